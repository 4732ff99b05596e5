#!/bin/sh
# outputs.sh BIN DIR: write a fixed list of wafersim outputs into DIR, one
# file per command (stdout, then exit status), plus the files the commands
# write (plans, sweep CSV, traces and pictures).  Wall-clock fields are
# masked so that two builds of the same model give the same bytes.
# Used by compare.sh to show that a refactor changes no output.
set -u
bin=$1
out=$2
mkdir -p "$out"
n=0
mask() {
	# wall-clock figures: JSON keys and table columns that time the tool itself
	sed -E -e 's/("(compile_s|est_eval_s|wall_s|elapsed_s|sim_wall_s|wall_seconds)": )[-0-9.e+]+/\1MASKED/g' \
	       -e 's/(in |took |wall )[0-9.]+ ?(s|ms)\b/\1MASKED/g' \
	       -e 's/[0-9]+\.[0-9]+ s wall/MASKED s wall/g' \
	       -e 's/("node_cycles_per_s": )[-0-9.e+]+/\1MASKED/g' \
	       -e 's/(compile|wall time|node-cycles\/s) +[0-9.e+]+/\1 MASKED/g' \
	       -e 's/^(anneal|pack|strips|[a-z_]+ +(pipelined|streaming) .*) [0-9]+\.[0-9]+$/\1 MASKED/' \
	       -e 's/^([0-9]+ +[a-z_]+ +(pipelined|streaming) .*) [0-9]+\.[0-9]+$/\1 MASKED/' \
	       -e 's#/[^ "]*/(models|tests)/#<SRC>/\1/#g'
}
c() {
	n=$((n + 1))
	f=$(printf '%s/%02d.txt' "$out" "$n")
	echo "\$ wafersim $*" > "$f"
	"$bin" "$@" 2>"$f.err" | mask >> "$f"
	echo "exit $?" >> "$f"
	mask < "$f.err" > "$f.stderr"; rm -f "$f.err"
}
c compile uno
c compile uno --json
c compile models/onnx/attn.onnx --batch 1 --json
c compile resnet50 --batch 8 --json
c compile --list
c compile attn --dot "$out/attn.dot"
c machine show wse2
c machine schema
c place uno --machine wse2 --json
c place p1b1 --machine wse2 --strategy strips -o "$out/p1b1.plan.yaml"
c place --check "$out/p1b1.plan.yaml" p1b1 --machine wse2
c place combo --machine wse2 --compare
c run uno --machine wse2 --gpu h100
c run uno --machine wse2 --gpu h100x8 --json
c run p1b1 --machine wse2 --mode streaming --dtype fp32 --json
c run nt3 --machine wse3 --json
c run uno --machine mini128 --json
c run p1b1 --machine wse2 --plan "$out/p1b1.plan.yaml" --json
c run uno --machine wse2 --trace "$out/trace"
c plot "$out/trace" -o "$out/replot"
c gpu uno --gpu h100 --batch 32 --dtype bf16 --json
c gpu resnet50 --gpus 8 --batch 256 --dtype fp32 --style graph --json
c gpu vit_b16 --batch 64 --dtype fp32
c validate gpu
c fabric --machine mini16 --pattern uniform --rate 0.02 --json
c fabric --machine mini16 --pattern transpose --rate 0.01
c sweep --nets uno,p1b2 --machines wse2,mini128 --strategies pack,strips --batch 16,32 --gpu h100 --jobs 2 -o "$out/sweep.csv"
c sweep --net uno,p1b2 --machine mini128 --set grid.width=96,128 --set clock_ghz=0.85,1.1 --strategy pack,anneal --batch 16 --seed 1,2 --gpu h100 --gpu-batch 32 --jobs 2 -o "$out/sweep_set.csv" --json
# pictures and trace files: replace wall-clock fields in text files
for f in $(find "$out/trace" "$out/replot" -type f 2>/dev/null); do
	case "$f" in
	*.png|*.pdf) ;;
	*) mask < "$f" > "$f.m" && mv "$f.m" "$f" ;;
	esac
done
exit 0
