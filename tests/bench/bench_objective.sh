#!/bin/sh
# bench_objective.sh: how long the placement objective (compiler/
# plan_estimate.h) takes to evaluate one plan, for every strategy's plan
# of every zoo network on wse2 (`place --json`: est_eval_s, the wall time
# of the estimate of the plan placed).  Prints each network's worst and
# the worst over the zoo; fails over 50 ms (issue 14's bound).
# Usage: sh tests/bench/bench_objective.sh [path/to/wafersim]
set -u
bin=${1:-build/wafersim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nets=$("$bin" compile --list | awk 'NR > 1 { print $1 }')
for n in $nets; do
	for s in pack strips anneal; do
		if "$bin" place "$n" --machine wse2 --strategy "$s" --json > "$tmp/p.json" 2>/dev/null; then
			python3 -c 'import json, sys
p = json.load(open(sys.argv[1]))
print(sys.argv[2], sys.argv[3], p["mode"], p["stages"], p["routes"], "%.3f" % (1e3 * p["est_eval_s"]))' "$tmp/p.json" "$n" "$s"
		fi
	done
done > "$tmp/t.txt"
awk '{ if (!($1 in w) || $6 > w[$1]) { w[$1] = $6; ws[$1] = $2; wm[$1] = $3; st[$1] = $4; rt[$1] = $5 }
	if ($6 > worst) { worst = $6; wn = $1 "/" $2 } ; t++ }
	END { printf "%-16s %-7s %-10s %6s %6s %12s\n", "network", "worst", "mode", "stages", "routes", "objective_ms"
	      for (n in w) printf "%-16s %-7s %-10s %6d %6d %12.3f\n", n, ws[n], wm[n], st[n], rt[n], w[n] | "sort"
	      close("sort")
	      printf "objective evaluation: worst %.3f ms per plan (%s) over %d plans (limit 50 ms)\n", worst, wn, t
	      if (worst > 50) { print "FAIL: over 50 ms"; exit 1 } }' "$tmp/t.txt"
