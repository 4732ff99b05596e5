#!/bin/sh
# bench_fabric.sh: speed and memory of the cycle-level fabric simulator.
#   1. 64 x 64 mesh, uniform traffic at half the saturation bound (rate
#      0.03125 = 2/k), one core: node-cycles per second (target >= 10 M);
#   2. the whole WSE-2 grid (757 x 996), light uniform traffic (rate 2e-5,
#      packets of one wavelet) for about 10,000 cycles: < 60 s and < 2 GB.
# Prints the simulator's own figures plus wall time, CPU time and peak memory
# from /usr/bin/time -v.  Node-cycles per CPU second is printed beside the
# wall-clock figure: on a shared host the two differ.  Fails when a run
# fails, uses more memory than its limit, or more CPU time than its time
# limit (wall time over the limit with CPU time within is only reported).
set -u
bin=${1:-build/wafersim}
tmp=${TMPDIR:-/tmp}/bench_fabric.$$
rc=0

one() { # name wall_limit_s mem_limit_kb min_node_cycles_per_s args...
	name=$1 wlim=$2 mlim=$3 minrate=$4
	shift 4
	if ! /usr/bin/time -v "$bin" fabric "$@" >"$tmp.out" 2>"$tmp.err"; then
		echo "$name: FAILED"; cat "$tmp.err"; rc=1; return
	fi
	wall=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$tmp.err" |
		awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
	user=$(sed -n 's/.*User time (seconds): //p' "$tmp.err")
	sys=$(sed -n 's/.*System time (seconds): //p' "$tmp.err")
	mem=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp.err")
	cyc=$(sed -n 's/.*cycles simulated *//p' "$tmp.out")
	sw=$(sed -n 's/.*wall time *\([0-9.]*\) s/\1/p' "$tmp.out")
	nodes=$(sed -n 's/.*mesh \([0-9]*\)x\([0-9]*\),.*/\1 \2/p' "$tmp.out" |
		awk '{print $1 * $2}')
	echo "$name"
	grep -E '^  (offered|accepted|avg packet latency|avg network latency|avg hops|saturated|cycles simulated|wall time|node-cycles|active routers|memory)' \
		"$tmp.out" | sed 's/^/  /'
	awk -v c="$cyc" -v n="$nodes" -v u="$user" -v s="$sys" -v w="$wall" \
	    -v m="$mem" -v wl="$wlim" -v ml="$mlim" 'BEGIN {
		printf "  process: wall %.2f s (limit %s s), cpu %.2f s, peak %.1f MB (limit %.0f MB)\n",
			w, wl, u + s, m / 1024, ml / 1024
		if (u + s > 0)
			printf "  node-cycles per cpu second  %.3e\n", c * n / (u + s)
	}'
	# the limit holds for CPU time (one core); wall time is printed and
	# flagged, since on a shared host it also counts waiting for the CPU
	if awk -v u="$user" -v s="$sys" -v l="$wlim" 'BEGIN { exit !(u + s > l) }'; then
		echo "  over the time limit (cpu)"; rc=1
	elif awk -v w="$wall" -v l="$wlim" 'BEGIN { exit !(w > l) }'; then
		echo "  wall time over the limit, cpu time within: the host is busy"
	fi
	if [ "$mem" -gt "$mlim" ]; then
		echo "  over the memory limit"; rc=1
	fi
	if [ "$minrate" != 0 ]; then
		rate=$(awk -v c="$cyc" -v n="$nodes" -v t="$sw" 'BEGIN { print c * n / t }')
		if awk -v r="$rate" -v m="$minrate" 'BEGIN { exit !(r < m) }'; then
			echo "  below the target of $minrate node-cycles/s (is the host busy? compare the cpu figure)"
		else
			echo "  meets the target of $minrate node-cycles/s"
		fi
	fi
}

one "64x64 uniform, half saturation (rate 0.03125)" 60 1048576 10000000 \
	--machine mini64 --pattern uniform --rate 0.03125 --warmup 1000 \
	--cycles 10000
one "757x996 (wse2) uniform, light (rate 2e-5), ~10k cycles" 60 2097152 0 \
	--machine wse2 --pattern uniform --rate 0.00002 --warmup 300 \
	--cycles 8000 --drain 2500
rm -f "$tmp.out" "$tmp.err"
exit $rc
