#!/bin/sh
# bench_traces.sh: cost of `--trace` on the full wse2 Uno run (the budget:
# under 5 s and under 100 MB by default), and the finer-detail options.
# Prints: CPU seconds (user + system, of wafersim and the gnuplot and
# Graphviz programs it waits for; best of 3) without and with traces, the
# difference, the directory size, and the C-only re-render time (wafersim
# plot without gnuplot and Graphviz).  Fails if the default exceeds the
# budget.  CPU time, not wall: on a shared machine the wall clock measures
# the other jobs (under a load of 9 the wall difference passed 5 s).
set -u
bin=${1:-build/wafersim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

best() { # best CPU seconds (user + system, children included) of 3 runs
	b=
	for i in 1 2 3; do
		/usr/bin/time -f '%U %S' -o "$tmp/time" "$@" >/dev/null 2>&1 ||
			{ echo "failed: $*" >&2; return 1; }
		t=$(awk '{ print $1 + $2 }' "$tmp/time")
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
	done
	printf '%.3f' "$b"
}

run="$bin run uno --machine wse2 --gpu h100"
base=$(best $run) || exit 1
with=$(best $run --trace "$tmp/t") || exit 1
mb=$(du -sm "$tmp/t" | cut -f1)
files=$(ls "$tmp/t" | wc -l)
replot=$(best "$bin" plot "$tmp/t" -o "$tmp/r" --no-gnuplot --no-graphviz) || exit 1
full=$(best "$bin" plot "$tmp/t" -o "$tmp/f") || exit 1
add=$(echo "$with - $base" | bc -l)
printf 'traces: uno on wse2: run %s CPU s, with --trace %s CPU s (adds %.3f s), %s MB in %s files\n' \
	"$base" "$with" "$add" "$mb" "$files"
printf 'traces: re-render from saved stats: %s CPU s (C pictures, JSON, CSV), %s CPU s with gnuplot and Graphviz\n' \
	"$replot" "$full"
# finer detail: per-direction link maps and 4 sampled PE tracks per stage
detail=$(best $run --trace "$tmp/d" --trace-detail) || exit 1
dmb=$(du -sm "$tmp/d" | cut -f1)
printf 'traces: run with --trace-detail (link maps per direction, 4 PE tracks per stage): %s CPU s, %s MB\n' "$detail" "$dmb"
ok=1
[ "$(echo "$add < 5" | bc -l)" = 1 ] || { echo "traces: FAIL: adds $add CPU s (budget 5 s)"; ok=0; }
[ "$mb" -lt 100 ] || { echo "traces: FAIL: $mb MB (budget 100 MB)"; ok=0; }
[ $ok = 1 ]
