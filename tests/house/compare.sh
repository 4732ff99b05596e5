#!/bin/sh
# compare.sh [REV] [--values]: build REV (default: HEAD~1) in a temporary
# worktree and the working tree as it is, run outputs.sh with both binaries
# and diff the results.  Exit 0 when every output is byte-identical
# (wall-clock fields masked).  With --values, outputs whose bytes differ
# must be JSON holding the same values, every number the same double
# (json_same.py): the check for a change of JSON number format or layout.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
rev=${1:-HEAD~1}
values=${2:-}
tmp=$(mktemp -d)
trap 'git -C "$top" worktree remove --force "$tmp/base" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
git -C "$top" worktree add --detach "$tmp/base" "$rev" >/dev/null 2>&1 || { echo "compare: cannot check out $rev" >&2; exit 2; }
make -C "$tmp/base" -j2 build/wafersim >/dev/null 2>&1 || { echo "compare: $rev does not build" >&2; exit 2; }
make -C "$top" -j2 build/wafersim >/dev/null 2>&1 || { echo "compare: working tree does not build" >&2; exit 2; }
(cd "$tmp/base" && sh "$top/tests/house/outputs.sh" "$tmp/base/build/wafersim" "$tmp/before")
(cd "$top" && sh "$top/tests/house/outputs.sh" "$top/build/wafersim" "$tmp/after")
# the output folders' own paths appear in messages: make them equal
for d in before after; do
	grep -rlF "$tmp/$d" "$tmp/$d" 2>/dev/null | while read -r f; do
		sed -i "s#$tmp/$d#OUT#g" "$f"
	done
done
if [ "$values" = "--values" ]; then
	python3 "$top/tests/house/json_same.py" "$tmp/before" "$tmp/after"
	exit $?
fi
if diff -r "$tmp/before" "$tmp/after" > "$tmp/diff.txt"; then
	echo "compare: $(find "$tmp/after" -type f | wc -l) outputs identical to $rev"
	exit 0
fi
head -${COMPARE_LINES:-100} "$tmp/diff.txt"
echo "compare: outputs differ from $rev" >&2
exit 1
