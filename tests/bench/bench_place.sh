#!/bin/sh
# bench_place.sh: placement speed and quality.  Places Uno on wse2 with
# every strategy (--compare ranks them by the objective, the estimated
# training step in us, and prints PEs, bottleneck, traffic, colors, SRAM
# and compile seconds) and checks the fast strategies stay under one
# second each; then the other zoo networks that load.  A strategy that
# cannot place a network is reported, not a failure; anneal's step must
# not be above the best other strategy's by more than 5% (it starts from
# pack and strips and charges what a layout decides; fill and drain come
# with the routes).
# Usage: sh tests/bench/bench_place.sh [path/to/wafersim]
set -u
bin=${1:-build/wafersim}
rc=0
check() {
	# $1 network; stdin: --compare rows (rank strategy mode us/step ...)
	awk -v n="$1" '$3 == "pipelined" || $3 == "streaming" {
		if ($2 != "anneal" && $NF + 0 >= 1.0) {
			print "FAIL: " n " " $2 " took " $NF " s (limit 1 s)"; bad = 1 }
		if ($2 == "anneal") a = $4
		else if (m == "" || $4 + 0 < m) m = $4 + 0 }
		END { if (a != "" && m != "" && a + 0 > 1.05 * m) {
			print "FAIL: " n " anneal " a " us/step > 1.05 x " m; bad = 1 }
		exit bad }'
}
for n in uno combo nt3 p1b1 p1b2 p1b3 attn unomt st1 tbi3d; do
	if "$bin" place "$n" --machine wse2 --strategy pack --json >/dev/null 2>&1; then
		echo "== $n"
		out=$("$bin" place "$n" --machine wse2 --compare)
		echo "$out"
		echo "$out" | check "$n" || rc=1
	else
		echo "== $n: not placed ($("$bin" place "$n" --machine wse2 --strategy pack 2>&1 | head -1))"
	fi
done
exit $rc
