#!/bin/sh
# val_objective.sh: the placement objective (compiler/plan_estimate.h)
# against the engine, for every strategy's plan of every zoo network on
# wse2: `place NET --strategy S -o plan` then `run NET --plan plan`;
# prints the estimated and simulated step and their difference, then how
# many are within 10%; fails on a plan outside 10% unless it is one of
# the known misses in objective_misses.txt, and on a listed plan now
# within 10% (issue 14: every strategy's plan of every zoo network on
# wse2; the list may only shrink).  Then the rates both commands print:
# `place`'s samples/s and predictions/s (from the objective: batch x
# clock / est_step_cycles, clock / est_infer_cycles) against `run`'s;
# fails on one more than 10% apart.  And the ranking: the strategy the
# objective ranks first must simulate within 5% of the best, and `place`'s
# default (auto) must keep a plan no worse by the objective.
# Usage: sh tests/validate/val_objective.sh [path/to/wafersim]
set -u
bin=${1:-build/wafersim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: > "$tmp/rates.txt"
nets=$("$bin" compile --list | awk 'NR > 1 { print $1 }')
clock=$("$bin" machine show wse2 | awk '$1 == "clock_ghz:" { print $2 }')
printf '%-14s %-7s %-10s %12s %12s %8s\n' network strategy mode objective_us simulated_us diff
for n in $nets; do
	for s in pack strips anneal; do
		if ! "$bin" place "$n" --machine wse2 --strategy "$s" -o "$tmp/p.yaml" --json > "$tmp/place.json" 2>/dev/null; then
			printf '%-14s %-7s not placed\n' "$n" "$s"
			continue
		fi
		if ! "$bin" run "$n" --machine wse2 --plan "$tmp/p.yaml" --json > "$tmp/run.json" 2>/dev/null; then
			printf '%-14s %-7s not run\n' "$n" "$s"
			continue
		fi
		python3 - "$n" "$s" "$tmp" "$clock" <<'PY'
import json, sys
n, s, tmp, clock = sys.argv[1:]
p = json.load(open(tmp + "/place.json"))
r = json.load(open(tmp + "/run.json"))
sim_us = r["train"]["step_s"] * 1e6
est_us = p["est_step_cycles"] / (float(clock) * 1e3)
d = est_us / sim_us - 1
print(f"{n:14s} {s:7s} {p['mode']:10s} {est_us:12.2f} {sim_us:12.2f} {100 * d:+7.1f}%")
# the rates `place` prints (cli/cmd_place.c) and `run` prints
hz = float(clock) * 1e9
ps, pi = p["batch"] * hz / p["est_step_cycles"], hz / p["est_infer_cycles"]
rs, ri = r["train"]["samples_per_s"], r["infer"]["predictions_per_s"]
with open(tmp + "/rates.txt", "a") as f:
    print(f"{n:14s} {s:7s} {ps:12.0f} {rs:12.0f} {100 * (ps / rs - 1):+7.1f}% "
          f"{pi:12.0f} {ri:12.0f} {100 * (pi / ri - 1):+7.1f}%", file=f)
PY
	done
done > "$tmp/table.txt"
cat "$tmp/table.txt"
printf '%-14s %-7s %12s %12s %8s %12s %12s %8s\n' network strategy place_samp/s run_samp/s diff place_pred/s run_pred/s diff
cat "$tmp/rates.txt"
awk '{ t++; a = $5 + 0; b = $8 + 0; a = a < 0 ? -a : a; b = b < 0 ? -b : b
	if (a > worst) worst = a; if (b > worst) worst = b
	if (a <= 10 && b <= 10) ok++; else bad = bad " " $1 "/" $2 }
	END { printf "place vs run samples/s and predictions/s within 10%%: %d of %d plans (worst %.1f%%)\n", ok, t, worst
	      if (bad != "") { printf "FAIL: outside 10%%:%s\n", bad; exit 1 } }' "$tmp/rates.txt"
rates=$?
# issue 14: the strategy ranked first by the objective (what --compare
# ranks first and auto keeps) simulates within 5% of the best simulated
awk '$NF ~ /%$/ { n = $1; if (!(n in bo) || $4 < bo[n]) { bo[n] = $4; fs[n] = $5; fn[n] = $2 }
		  if (!(n in bs) || $5 < bs[n]) { bs[n] = $5; bn[n] = $2 } }
	END { for (n in bo) { r = fs[n] / bs[n] - 1;
		printf "%-14s first by objective %-7s simulated %+.1f%% from the best (%s)\n", n, fn[n], 100 * r, bn[n] | "sort";
		if (r > 0.05) bad++; if (r > worst) worst = r; t++ }
	      close("sort")
	      printf "first-ranked strategy within 5%% of the best simulated: %d of %d networks (worst %+.1f%%)\n", t - bad, t, 100 * worst
	      if (bad) { printf "FAIL: %d networks whose first-ranked strategy is over 5%% from the best simulated\n", bad; exit 1 } }' "$tmp/table.txt"
rank=$?
# and `auto` (the default strategy) keeps the first-ranked: its plan's
# objective is the lowest of the three strategies'
for n in $nets; do
	"$bin" place "$n" --machine wse2 --json 2>/dev/null |
		python3 -c "import json, sys; p = json.load(sys.stdin); print(f\"$n {p['strategy']} {p['est_step_cycles'] / ($clock * 1e3):.2f}\")"
done > "$tmp/auto.txt"
awk 'FNR == NR { if ($NF ~ /%$/ && (!($1 in bo) || $4 + 0 < bo[$1])) bo[$1] = $4 + 0; next }
	{ t++; if ($3 + 0 <= bo[$1]) ok++; else bad = bad " " $1 "(" $2 " " $3 " > " bo[$1] ")" }
	END { printf "auto keeps the first-ranked strategy'"'"'s objective: %d of %d networks\n", ok, t
	      if (bad != "") { printf "FAIL: auto above the first-ranked:%s\n", bad; exit 1 } }' "$tmp/table.txt" "$tmp/auto.txt" || rank=1
[ $rates -eq 0 ] || rank=1
known=$(dirname "$0")/objective_misses.txt
awk 'FNR == NR { if ($0 !~ /^#/ && NF) listed[$1] = 1; next }
	$NF ~ /%$/ { t++; v = $NF + 0; if (v < 0) v = -v; k = $1 "/" $2; if (v > worst) worst = v
		     if (v <= 10) { ok++; if (k in listed) gone = gone " " k }
		     else if (k in listed) known = known " " k
		     else miss = miss " " k }
	/not run/ { t++; miss = miss " " $1 "/" $2 "(not run)" }
	END { printf "objective within 10%% of the simulated step: %d of %d plans (worst %.1f%%)\n", ok, t, worst;
	      if (known != "") printf "known misses (objective_misses.txt):%s\n", known;
	      if (miss != "") { printf "FAIL: outside 10%%, not listed:%s\n", miss; exit 1 }
	      if (gone != "") { printf "FAIL: listed in objective_misses.txt but now within 10%% (remove them):%s\n", gone; exit 1 } }' "$known" "$tmp/table.txt" && exit $rank
