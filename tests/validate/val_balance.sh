#!/bin/sh
# val_balance.sh: issue 14's sizing rule for every strategy's plan of every
# zoo network on wse2 (default mode): whenever at least 10% of the PEs are
# unused, the plan's pace is within 2x of the work-proportional bound
# (compiler/size.h; `place` prints both).  Prints one row per plan; fails
# on a plan breaking the rule that tests/unit/size_exceptions.txt does not
# list, and on a listed plan that now meets it (the list may only shrink).
# Usage: sh tests/validate/val_balance.sh [path/to/wafersim]
set -u
bin=${1:-build/wafersim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
known=$(dirname "$0")/../unit/size_exceptions.txt
nets=$("$bin" compile --list | awk 'NR > 1 { print $1 }')
printf '%-16s %-7s %-10s %7s %12s %8s %9s  %s\n' network strategy mode used pace_cycles vs_bound vs_spread rule
for n in $nets; do
	for s in pack strips anneal; do
		if ! "$bin" place "$n" --machine wse2 --strategy "$s" > "$tmp/out.txt" 2>/dev/null; then
			printf '%-16s %-7s not placed\n' "$n" "$s"
			continue
		fi
		awk -v n="$n" -v s="$s" '
			/^mode: / { mode = $2; sub(/:$/, "", mode) }
			/^slowest stage: / { pace = $4 }
			/^PEs used / { used = $6; gsub(/[(),]/, "", used) }
			/^work-proportional bound: / { for (i = 1; i <= NF; i++) { if ($i == "pace") r = $(i + 1)
				if ($i == "PEs:") { sp = $(i + 1); sub(/;$/, "", sp) } }
				rule = /ABOVE 2x/ ? "BREAKS" : /within 2x/ ? "holds" : "-" }
			END { if (rule == "") { rule = "-"; r = "-"; q = "-" } else q = sprintf("%.2fx", pace / sp)
			      printf "%-16s %-7s %-10s %7s %12s %8s %9s  %s\n", n, s, mode, used, pace, r, q, rule }' "$tmp/out.txt"
	done
done > "$tmp/table.txt"
cat "$tmp/table.txt"
awk 'FNR == NR { if ($0 !~ /^#/ && NF) listed[$1] = 1; next }
	$3 == "pipelined" { t++ }
	$NF == "holds" { ok++ }
	{ k = $1 "/" $2 }
	$NF == "BREAKS" { if (k in listed) known = known " " k; else bad = bad " " k }
	$NF != "BREAKS" && (k in listed) { gone = gone " " k }
	/not placed/ { bad = bad " " k "(not placed)" }
	$NF == "holds" || $NF == "BREAKS" { idle++; if ($7 + 0 <= 2) spread_ok++ }
	END { printf "sizing rule: %d pipelined plans, %d with >= 10%% PEs idle within 2x of the bound\n", t, ok;
	      printf "against the work spread alone (no stage floors): %d of the %d with >= 10%% PEs idle within 2x\n", spread_ok, idle;
	      if (known != "") printf "known exceptions (size_exceptions.txt, each with why):%s\n", known;
	      if (bad != "") { printf "FAIL: rule broken, not listed:%s\n", bad; exit 1 }
	      if (gone != "") { printf "FAIL: listed but now within the rule (remove them):%s\n", gone; exit 1 } }' "$known" "$tmp/table.txt"
