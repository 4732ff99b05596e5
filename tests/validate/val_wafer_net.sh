#!/bin/sh
# val_wafer_net.sh: the wafer model against measured CS-2 training rates of
# whole networks (models/measured/wse2/training.csv, `wafersim validate
# wafer FILE`): prints the table; fails when a row could not be compared
# or a streamed row is more than 25% off.  The pipelined row is printed,
# not bounded: it ran with variable sequence lengths, which wafersim does
# not model (models/measured/wse2/README.md).
set -u
bin=${1:-build/wafersim}
file=${WAFERSIM_HOME:-.}/models/measured/wse2/training.csv
out=$("$bin" validate wafer "$file") || { echo "$out"; echo "validate wafer (networks): FAILED (rows not compared)"; exit 1; }
echo "$out"
bad=$(echo "$out" | awk '/ streaming b[0-9]+ / { e = $NF; sub("%", "", e); if (e < 0) e = -e; if (e > 25) print $1 " " e "%" }')
if [ -n "$bad" ]; then
	echo "networks: streamed rows beyond 25%: $bad"
	exit 1
fi
echo "networks: every streamed row within 25% ok"
