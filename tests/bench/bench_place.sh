#!/bin/sh
# bench_place.sh: placement speed and quality.  Places Uno on wse2 with
# every strategy (--compare prints PEs, bottleneck, traffic, colors, SRAM
# and compile seconds per strategy) and checks the fast strategies stay
# under one second each; then the other zoo networks that load.
# Usage: sh tests/bench/bench_place.sh [path/to/wafersim]
set -u
bin=${1:-build/wafersim}
rc=0
echo "place uno --machine wse2 --compare (anneal budget 10 s)"
out=$("$bin" place uno --machine wse2 --compare) || rc=1
echo "$out"
echo "$out" | awk '$1 != "strategy" && $1 != "anneal" && $NF+0 >= 1.0 {
	print "FAIL: " $1 " took " $NF " s (limit 1 s)"; bad = 1 }
	END { exit bad }' || rc=1
for n in combo nt3 p1b1 p1b2 p1b3 attn unomt st1 tbi3d; do
	if "$bin" place "$n" --machine wse2 --json >/dev/null 2>&1; then
		echo "== $n"
		out=$("$bin" place "$n" --machine wse2 --compare --time-budget 5) || rc=1
		echo "$out"
		# the optimiser starts from the others: never a slower bottleneck
		echo "$out" | awk -v n="$n" '$1 == "anneal" { a = $5 }
			$1 != "strategy" && $1 != "anneal" && (m == "" || $5 + 0 < m) { m = $5 + 0 }
			END { if (a + 0 > m) { print "FAIL: " n " anneal bottleneck " a " > " m; exit 1 } }' || rc=1
	else
		echo "== $n: not placed ($("$bin" place "$n" --machine wse2 2>&1 | head -1))"
	fi
done
exit $rc
