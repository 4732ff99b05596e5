#!/bin/sh
# Benchmarks: runs every tests/bench/bench_*.sh with the wafersim binary as
# $1; each prints its own figures.  Fails if any fails.
set -u
bin=${1:-build/wafersim}
dir=$(dirname "$0")
rc=0
for b in "$dir"/bench_*.sh; do
	[ -e "$b" ] || continue
	echo "== $(basename "$b" .sh)"
	sh "$b" "$bin" || rc=1
done
exit $rc
