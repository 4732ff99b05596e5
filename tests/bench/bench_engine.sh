#!/bin/sh
# bench_engine.sh: engine speed and memory on the full WSE-2 grid.
#   1. Uno, one training step at batch 32 (class mode): < 1 s, < 2 GB
#   2. the same with --full (every PE timed):            < 2 min, < 8 GB
#   3. GPT-J 6B, batch 120, weight streaming, 1 wafer:   < 5 s, < 2 GB
#   4. the same on 2 wafers (data parallel, --wafers 2): < 5 s, < 2 GB
# Prints wall time, peak memory and events per second (from -v); fails
# when a bound is broken.
set -u
bin=${1:-build/wafersim}
tmp=${TMPDIR:-/tmp}/bench_engine.$$
rc=0

one() { # name wall_limit_s mem_limit_kb args...
	name=$1 wlim=$2 mlim=$3
	shift 3
	if ! /usr/bin/time -v "$bin" run "$@" -v >"$tmp.out" 2>"$tmp.err"; then
		echo "$name: FAILED"; cat "$tmp.err"; rc=1; return
	fi
	wall=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$tmp.err" |
		awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
	mem=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp.err")
	ev=$(grep '^run:' "$tmp.err")
	printf '%-34s wall %6.2f s (limit %s s)  peak %7.1f MB (limit %.0f MB)\n' \
		"$name" "$wall" "$wlim" "$(echo "$mem" | awk '{print $1/1024}')" \
		"$(echo "$mlim" | awk '{print $1/1024}')"
	echo "    $ev"
	grep -E 'time per step|bottleneck' "$tmp.out" | head -3 | sed 's/^/    /'
	if awk -v w="$wall" -v l="$wlim" 'BEGIN { exit !(w > l) }'; then
		echo "    over the wall-time limit"; rc=1
	fi
	if [ "$mem" -gt "$mlim" ]; then
		echo "    over the memory limit"; rc=1
	fi
}

one "uno b32 wse2 (class)" 1 2097152 uno --machine wse2 --batch 32 --job train --steps 1
one "uno b32 wse2 --full" 120 8388608 uno --machine wse2 --batch 32 --job train --steps 1 --full
one "gptj_6b b120 wse2 streaming x1" 5 2097152 gptj_6b --machine wse2 --batch 120 --mode streaming --job train
one "gptj_6b b120 wse2 streaming x2" 5 2097152 gptj_6b --machine wse2 --batch 120 --mode streaming --job train --wafers 2
rm -f "$tmp.out" "$tmp.err"
exit $rc
