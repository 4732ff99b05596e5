#!/bin/sh
# bench_deep.sh: placing deep networks must not be superlinear.  A chain
# of N dense layers of 64 units (the shape of the issue's report: 1000
# layers took 29.5 s, 20,000 did not finish in 10 minutes) is placed on
# wse2 with the default strategy (auto: every strategy, the best by the
# objective).  Prints wall and CPU seconds and peak memory for N = 1000
# (fails when the CPU seconds, which a machine shared with other builds
# stretches less than the wall, pass DEEP_LIMIT_S, default 10 s: about
# twice what it takes now) and, unless DEEP_BIG=0, for N = 20,000
# (printed, no limit).  Without GNU time the CPU figure is the wall's.
# Usage: sh tests/bench/bench_deep.sh [path/to/wafersim]
set -u
bin=${1:-build/wafersim}
limit=${DEEP_LIMIT_S:-10}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
chain() {
	awk -v n="$1" 'BEGIN { print "name: deep"; print "batch: 32"
		print "inputs:"; print "  x: [64]"; print "layers:"
		for (i = 0; i < n; i++)
			printf "  - {name: l%d, op: dense, units: 64%s}\n", i,
				i == 0 ? ", in: x" : ""
		print "  - {name: loss, op: mse_loss}" }' > "$tmp/deep$1.yaml"
}
# place N: prints "N wall-seconds cpu-seconds KB" (KB 0 without GNU time)
place() {
	chain "$1"
	t0=$(date +%s.%N)
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f "%U %S %M" -o "$tmp/rss" "$bin" place \
			"$tmp/deep$1.yaml" --machine wse2 > "$tmp/out" 2>&1
	else
		"$bin" place "$tmp/deep$1.yaml" --machine wse2 > "$tmp/out" 2>&1
	fi
	rc=$?
	t1=$(date +%s.%N)
	[ $rc -eq 0 ] || { echo "FAIL: deep chain of $1 layers: $(head -1 "$tmp/out")"; return 1; }
	use=$(tail -1 "$tmp/rss" 2>/dev/null || echo "")
	awk -v n="$1" -v a="$t0" -v b="$t1" -v use="$use" 'BEGIN {
		split(use, u, " "); cpu = u[3] != "" ? u[1] + u[2] : b - a
		printf "%d %.2f %.2f %d\n", n, b - a, cpu, u[3] + 0 }'
}
rc=0
r=$(place 1000) || { echo "$r"; exit 1; }
echo "$r" | awk -v lim="$limit" '{ printf "place deep chain of %d dense layers: %s s wall, %s s CPU (limit %s s), %.0f MB peak\n", $1, $2, $3, lim, $4 / 1024
	if ($3 + 0 > lim + 0) { print "FAIL: over the limit"; exit 1 } }' || rc=1
if [ "${DEEP_BIG:-1}" != 0 ]; then
	r=$(place 20000) || { echo "$r"; exit 1; }
	echo "$r" | awk '{ printf "place deep chain of %d dense layers: %s s wall, %s s CPU, %.0f MB peak\n", $1, $2, $3, $4 / 1024 }'
fi
exit $rc
