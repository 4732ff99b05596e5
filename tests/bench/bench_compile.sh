#!/bin/sh
# Front-end speed: `wafersim compile` (load, shapes, costs, table) for every
# zoo network, from YAML and from ONNX; wall seconds and peak memory each.
# The issue asks for "well under a second" on the largest network: each
# compile must take under 0.5 s (a limit, not a test: timing belongs here).
set -u
bin=${1:-build/wafersim}
rc=0
for n in uno combo nt3 p1b1 p1b2 p1b3 attn unomt st1 tbi3d resnet50 vgg16 \
	mobilenet_v2 vit_b16 bert_base gpt2_small; do
	for src in "$n" "$n.onnx"; do
		t0=$(date +%s.%N)
		"$bin" compile "$src" --json > /dev/null || rc=1
		t1=$(date +%s.%N)
		awk -v a="$t0" -v b="$t1" -v s="$src" \
			'BEGIN { printf "compile %-20s %7.3f s\n", s, b - a
				 if (b - a >= 0.5) { print "    over 0.5 s"; exit 1 } }' ||
			rc=1
	done
done
exit $rc
