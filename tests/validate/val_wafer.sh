#!/bin/sh
# val_wafer.sh: the wafer model against measured WSE-3 kernels
# (models/measured/wse3/kernels.csv, `wafersim validate wafer`): prints the
# table; fails when the median |error| exceeds 15% or the worst 35%, or
# when a row could not be compared.
set -u
bin=${1:-build/wafersim}
out=$("$bin" validate wafer) || { echo "$out"; echo "validate wafer: FAILED (rows not compared)"; exit 1; }
echo "$out"
line=$(echo "$out" | grep '^median |error|')
med=$(echo "$line" | sed -n 's/^median |error| \([0-9.]*\)%.*/\1/p')
worst=$(echo "$line" | sed -n 's/.*worst |error| \([0-9.]*\)%.*/\1/p')
if awk -v m="$med" -v w="$worst" 'BEGIN { exit !(m <= 15 && w <= 35) }'; then
	echo "kernels: median $med% (limit 15%), worst $worst% (limit 35%) ok"
else
	echo "kernels: median $med% (limit 15%), worst $worst% (limit 35%) OUTSIDE"
	exit 1
fi
