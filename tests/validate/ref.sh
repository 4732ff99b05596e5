#!/bin/sh
# Engine against the SystemC reference model (see tests/validate/ref_*.sh).
set -u
bin=${1:-build/wafersim}
dir=$(dirname "$0")
rc=0
found=0
for v in "$dir"/ref_*.sh; do
	[ -e "$v" ] || continue
	found=1
	sh "$v" "$bin" || rc=1
done
[ $found = 1 ] || { echo "validate-ref: no reference cases yet" >&2; exit 1; }
exit $rc
