#!/bin/sh
# bench_yaml.sh: the YAML reader's duplicate-key check must take linear
# time (issue 17: a pairwise check took over a minute on 100k keys).
# Times `machine check` on a file with 6,000 and with 60,000 keys, the
# last one a duplicate, and fails when 10x the keys take more than 30x the
# time (plus 0.5 s of slack for process start on a loaded machine).
# Usage: sh tests/bench/bench_yaml.sh [path/to/wafersim]
set -u
bin=${1:-build/wafersim}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
keys() {
	awk -v n="$1" 'BEGIN { print "name: t"; print "extra:"
		for (i = 0; i < n; i++) print "  k" i ": 1"
		print "  k17: 2" }' > "$tmp/k$1.yaml"
	t0=$(date +%s.%N)
	"$bin" machine check "$tmp/k$1.yaml" > /dev/null 2> "$tmp/err" &&
		{ echo "FAIL: $1 keys with a duplicate accepted"; return 1; }
	grep -q "duplicate key 'extra.k17'" "$tmp/err" ||
		{ echo "FAIL: $1 keys: $(cat "$tmp/err")"; return 1; }
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}
s1=$(keys 6000) || { echo "$s1"; exit 1; }
s2=$(keys 60000) || { echo "$s2"; exit 1; }
echo "duplicate key among 6000 keys: $s1 s, among 60000 keys: $s2 s"
awk -v a="$s1" -v b="$s2" 'BEGIN { if (b > 30 * a + 0.5) {
	print "FAIL: 10x the keys took " b / a "x the time (limit 30x)"; exit 1 } }'
