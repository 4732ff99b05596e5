#!/bin/sh
# Validation suites: runs every tests/validate/val_*.sh with the wafersim
# binary as $1; each prints its table and tolerance, fails when outside it.
set -u
bin=${1:-build/wafersim}
dir=$(dirname "$0")
rc=0
for v in "$dir"/val_*.sh; do
	[ -e "$v" ] || continue
	echo "== $(basename "$v" .sh)"
	sh "$v" "$bin" || rc=1
done
exit $rc
