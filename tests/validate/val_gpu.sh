#!/bin/sh
# GPU baseline against the measured H100 (models/measured/h100/): prints the
# full table (predicted vs measured training time, inference time, training
# energy; median and worst), then ResNet-50 data-parallel scaling on 8 and
# 16 H100s.  Fails when the bounds break:
#   train.jsonl  median |error| <= 6% train time, <= 12% inference time,
#                <= 10% train energy; no row off by more than 1.5x
#   graphs.jsonl median |error| <= 6% train time, <= 10% energy; 1.5x
# (issue 13's bounds)
# With GPU_DOC=docs/gpu.md it also rewrites the table in that file (between
# the lines "<!-- validate gpu: begin -->" and "<!-- validate gpu: end -->"),
# so the documented table is always what this build prints.
set -u
bin=${1:-build/wafersim}
out=$("$bin" validate gpu) || { echo "$out"; echo "val_gpu: validate gpu failed"; exit 1; }
echo "$out"
if [ -n "${GPU_DOC:-}" ]; then
	tmp=$(mktemp)
	echo "$out" | sed "s#^measurements: .*/models/#measurements: models/#" > "$tmp.t"
	awk -v t="$tmp.t" '
	/^<!-- validate gpu: begin -->/ { print; print "```"; while ((getline l < t) > 0) print l; print "```"; skip = 1; next }
	/^<!-- validate gpu: end -->/ { skip = 0 }
	!skip { print }' "$GPU_DOC" > "$tmp" && mv "$tmp" "$GPU_DOC"
	rm -f "$tmp.t"
	echo "val_gpu: table written to $GPU_DOC"
fi
echo "$out" | awk '
/^measurements:/ { file = ($2 ~ /graphs/) ? "graphs" : "train" }
/median \|error\|/ {
	gsub(/%/, "")
	metric = $1 " " $2; med = $5
	lim = (metric == "train time") ? 6 : (metric == "infer time") ? 12 : 10
	if (med + 0 > lim) { printf "FAIL %s %s median %s%% > %d%%\n", file, metric, med, lim; bad = 1 }
	else printf "ok   %s %s median %s%% <= %d%%\n", file, metric, med, lim
}
/worst ratio/ {
	r = $NF; sub(/x/, "", r)
	rl = 1.5
	if (r + 0 > rl) { printf "FAIL %s worst ratio %sx > %sx\n", file, r, rl; bad = 1 }
	else printf "ok   %s worst ratio %sx <= %sx\n", file, r, rl
}
END { exit bad }' || exit 1
echo
echo "ResNet-50 data parallel, batch 256 per GPU.  Public 1 -> 8 GPU figures"
echo "(NVLink systems, ResNet-50 at ~256 per GPU): NVIDIA DeepLearningExamples"
echo "PyTorch DGX A100 96.5% TF32, 84.0% mixed; MXNet DGX A100 97.75% TF32,"
echo "97.0% mixed; Paik's PyTorch DDP benchmark 97.4% (ResNet-152, 8 A100)."
echo "Range 84.0-97.75%; no public 1-vs-8 H100 figure (docs/gpu.md)."
for dt in mixed fp32; do
	for n in 1 8 16; do
		"$bin" gpu resnet50 --gpus $n --batch 256 --precision $dt | grep -E "training step|data parallel|exposed =" | sed "s/^/  $dt $n GPUs: /"
	done
done
