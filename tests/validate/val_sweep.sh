#!/bin/sh
# Sweeps (docs/sweep.md): the full example of the README (3 networks x wse2,
# wse3 x strips, pack, anneal x batch 32, 64, with the H100 baseline) run on
# 1 thread, on 2 threads and on 2 MPI ranks (build/wafersim-mpi).  Prints the
# summary, wall times and row counts; fails unless the three CSVs are
# byte-identical (a simulation is a value; the order of the rows does not
# depend on the scheduling).  Then issue 14's what-if sweep (two networks x
# grid.width x clock_ghz x extmem.bandwidth_gbytes_s, pack and anneal) on
# 1 and 2 threads and 2 MPI ranks, byte-identical too.  The MPI leg is skipped, saying so, when
# mpirun or build/wafersim-mpi is missing.
set -u
bin=${1:-build/wafersim}
mpibin="$bin-mpi"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args="--net uno,combo,p1b2 --machine wse2,wse3 --strategy strips,pack,anneal --batch 32,64 --gpu h100"
now() { date +%s.%N; }
t0=$(now)
"$bin" sweep $args --jobs 1 -o "$tmp/j1.csv" >"$tmp/j1.txt" || { cat "$tmp/j1.txt"; echo "val_sweep: sweep --jobs 1 failed"; exit 1; }
t1=$(now)
"$bin" sweep $args --jobs 2 -o "$tmp/j2.csv" >/dev/null || { echo "val_sweep: sweep --jobs 2 failed"; exit 1; }
t2=$(now)
cat "$tmp/j1.txt"
rows=$(($(wc -l <"$tmp/j1.csv") - 1))
errs=$(tail -n +2 "$tmp/j1.csv" | grep -c ',error,')
echo
awk -v a="$t0" -v b="$t1" -v c="$t2" -v r="$rows" -v e="$errs" 'BEGIN {
	printf "rows %d (%d failed points); wall: --jobs 1 %.2f s, --jobs 2 %.2f s\n", r, e, b - a, c - b }'
rc=0
if cmp -s "$tmp/j1.csv" "$tmp/j2.csv"; then
	echo "ok   --jobs 2 CSV byte-identical to --jobs 1"
else
	echo "FAIL --jobs 2 CSV differs from --jobs 1"; diff "$tmp/j1.csv" "$tmp/j2.csv" | head -5; rc=1
fi
if ! command -v mpirun >/dev/null 2>&1 || [ ! -x "$mpibin" ]; then
	echo "skip MPI: mpirun or $mpibin missing"
	exit $rc
fi
root=""
[ "$(id -u)" = 0 ] && root="--allow-run-as-root"
for np in 2 3; do
	t3=$(now)
	mpirun $root --oversubscribe -np $np "$mpibin" sweep $args -o "$tmp/mpi$np.csv" >"$tmp/mpi.txt" 2>&1 </dev/null ||
		{ cat "$tmp/mpi.txt"; echo "FAIL mpirun -np $np failed"; rc=1; continue; }
	t4=$(now)
	if cmp -s "$tmp/j1.csv" "$tmp/mpi$np.csv"; then
		awk -v a="$t3" -v b="$t4" -v n="$np" 'BEGIN { printf "ok   mpirun -np %d CSV byte-identical to wafersim sweep (%.2f s)\n", n, b - a }'
	else
		echo "FAIL mpirun -np $np CSV differs from wafersim sweep"; diff "$tmp/j1.csv" "$tmp/mpi$np.csv" | head -5; rc=1
	fi
done
whatif="--net uno,nt3 --machine wse2 --set grid.width=600,757 --set clock_ghz=0.85,1.1 --set extmem.bandwidth_gbytes_s=150,300 --strategy pack,anneal --batch 32"
"$bin" sweep $whatif --jobs 1 -o "$tmp/w1.csv" >/dev/null || { echo "FAIL what-if sweep --jobs 1"; exit 1; }
"$bin" sweep $whatif --jobs 2 -o "$tmp/w2.csv" >/dev/null || { echo "FAIL what-if sweep --jobs 2"; exit 1; }
mpirun $root --oversubscribe -np 2 "$mpibin" sweep $whatif -o "$tmp/wm.csv" >/dev/null 2>&1 </dev/null || { echo "FAIL what-if mpirun -np 2"; rc=1; }
if cmp -s "$tmp/w1.csv" "$tmp/w2.csv" && cmp -s "$tmp/w1.csv" "$tmp/wm.csv"; then
	echo "ok   what-if sweep ($(($(wc -l <"$tmp/w1.csv") - 1)) rows, 3 machine keys): --jobs 1, --jobs 2, mpirun -np 2 byte-identical"
else
	echo "FAIL what-if sweep CSVs differ"; rc=1
fi
exit $rc
