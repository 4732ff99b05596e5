#!/bin/sh
# GPU baseline against the measured H100 (models/measured/h100/): prints the
# full table (predicted vs measured training time, inference time, training
# energy; median and worst), then ResNet-50 data-parallel scaling on 8 and
# 16 H100s.  Fails when the bounds break:
#   train.jsonl  median |error| <= 15% train time, <= 20% inference time,
#                <= 20% train energy; no row off by more than 2x
#   graphs.jsonl median |error| <= 15% train time
set -u
bin=${1:-build/wafersim}
out=$("$bin" validate gpu) || { echo "$out"; echo "val_gpu: validate gpu failed"; exit 1; }
echo "$out"
echo "$out" | awk '
/^measurements:/ { file = ($2 ~ /graphs/) ? "graphs" : "train" }
/median \|error\|/ {
	gsub(/%/, "")
	metric = $1 " " $2; med = $5
	lim = (metric == "train time") ? 15 : 20
	if (file == "graphs" && metric != "train time") next
	if (med + 0 > lim) { printf "FAIL %s %s median %s%% > %d%%\n", file, metric, med, lim; bad = 1 }
	else printf "ok   %s %s median %s%% <= %d%%\n", file, metric, med, lim
}
/worst ratio/ {
	r = $NF; sub(/x/, "", r)
	if (r + 0 > 2) { printf "FAIL %s worst ratio %sx > 2x\n", file, r; bad = 1 }
	else printf "ok   %s worst ratio %sx <= 2x\n", file, r
}
END { exit bad }' || exit 1
echo
echo "ResNet-50 data parallel, bf16, batch 256 per GPU (public figure: NVIDIA"
echo "DeepLearningExamples ResNet-50 v1.5 PyTorch, DGX A100 8 GPUs: strong"
echo "scaling 7.72x TF32 (96.5%), 6.72x mixed precision (84%))"
for n in 1 8 16; do
	"$bin" gpu resnet50 --gpus $n --batch 256 --dtype bf16 | grep -E "training step|data parallel" | sed "s/^/  $n GPUs: /"
done
