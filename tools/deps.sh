#!/bin/sh
# deps.sh: make sure the Debian packages wafersim builds and runs with are
# installed.  As root it installs what is missing with apt-get; otherwise it
# prints the exact command to run and fails.
set -u
PKGS="libyaml-dev libcunit1-dev libgraphviz-dev graphviz libsystemc-dev
libprotobuf-c-dev protobuf-c-compiler libonnx-dev gnuplot-nox libopenmpi-dev
openmpi-bin pkg-config libcairo2-dev fonts-dejavu-core poppler-utils
libjansson-dev gcc g++ make python3
binutils python3-onnx"
# `deps.sh fuzz` (make fuzz): clang and its libFuzzer/sanitizer runtimes too;
# nothing else needs clang.
[ "${1:-}" = fuzz ] && PKGS="$PKGS clang libclang-rt-14-dev"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "wafersim: missing Debian packages:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
	echo "wafersim: run this as root, then make again:" >&2
	echo "    apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
echo "wafersim: installing them with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2 || exit 1
apt-get install -y -q --no-install-recommends $missing >&2 || exit 1
