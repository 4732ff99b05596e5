#!/bin/sh
# val_fabric.sh: the fabric model against theory, on meshes too big for the
# unit tests.  Saturation throughput is found by bisection on the offered
# rate (wafersim fabric --saturation) and compared with the channel-load
# bound of docs/fabric.md:
#   uniform    k = 8, 16, 32   within [0.70, 1.00] of 4/k
#   transpose  k = 8, 16, 32   within [0.85, 1.10] of 1/(k-1)
#   hotspot    k = 8, 16, 32   within [0.85, 1.10] of 1/(0.1 k^2 + 0.9)
#   bitcomp    k = 16          within [0.70, 1.10] of 2/k
# and the uniform average hop count on 32 x 32 within 1 % of 2(k^2-1)/(3k).
# Prints one line per case; fails when any is outside its tolerance.
set -u
bin=${1:-build/wafersim}
rc=0

sat() { # pattern k lo hi
	line=$("$bin" fabric --machine mini64 --mesh "$2x$2" --pattern "$1" \
		--saturation) || { echo "$1 k=$2: FAILED"; rc=1; return; }
	ratio=$(echo "$line" | sed -n 's/.*(ratio \([0-9.]*\)).*/\1/p')
	if awk -v r="$ratio" -v lo="$3" -v hi="$4" 'BEGIN { exit !(r >= lo && r <= hi) }'; then
		verdict=ok
	else
		verdict=OUTSIDE; rc=1
	fi
	printf '%-60s [%s, %s] %s\n' "$line" "$3" "$4" "$verdict"
}

for k in 8 16 32; do sat uniform $k 0.70 1.00; done
for k in 8 16 32; do sat transpose $k 0.85 1.10; done
for k in 8 16 32; do sat hotspot $k 0.85 1.10; done
sat bitcomp 16 0.70 1.10

hops=$("$bin" fabric --machine mini64 --mesh 32x32 --rate 0.02 --cycles 4000 |
	sed -n 's/^  avg hops *//p')
want=$(awk 'BEGIN { k = 32; print 2 * (k * k - 1) / (3 * k) }')
err=$(awk -v h="$hops" -v w="$want" 'BEGIN { e = (h - w) / w; if (e < 0) e = -e; print 100 * e }')
if awk -v e="$err" 'BEGIN { exit !(e <= 1) }'; then v=ok; else v=OUTSIDE; rc=1; fi
printf 'uniform 32x32 avg hops %s vs 2(k^2-1)/(3k) = %.4f: error %.3f %% (limit 1 %%) %s\n' \
	"$hops" "$want" "$err" "$v"
exit $rc
