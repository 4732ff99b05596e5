#!/bin/sh
# run.sh BUILD SECONDS NAME...: run each libFuzzer harness BUILD/fuzz/NAME
# for SECONDS from tests/fuzz/corpus/NAME, replace that corpus by the
# minimised merge of it and what the run found, keep crash inputs in
# tests/fuzz/crashes/NAME-*, and print one line per harness:
#     harness  runs  time_s  corpus  crashes
# Exit 1 if any harness crashed (or timed out, or ran out of memory).
set -u
build=$1
secs=$2
shift 2
mkdir -p tests/fuzz/crashes
printf '%-12s %10s %7s %7s %8s\n' harness runs time_s corpus crashes
bad=0
for n in "$@"; do
	bin=$build/fuzz/$n
	seeds=tests/fuzz/corpus/$n
	work=$build/fuzz/work/$n
	log=$build/fuzz/$n.log
	rm -rf "$work" "$work.min"
	mkdir -p "$work" "$work.min" "$seeds"
	# crashes, leaks, timeouts, out-of-memory (slow units are not bugs)
	before=$(ls tests/fuzz/crashes | grep "^$n-" | grep -vc slow-unit)
	# inputs as large as the seeds, no larger (keeps the corpora small)
	case $n in
	onnx*) maxlen=12288 ;;
	stats) maxlen=32768 ;;
	*) maxlen=8192 ;;
	esac
	t0=$(date +%s)
	# -timeout is wall-clock: a fuzzer at nice 19 on a loaded machine
	# took 29 s for a unit of 0.5 s CPU (2 cores, load average 8), and
	# a timeout ends the whole run; a real hang still stops at $tmo s
	tmo=120
	ASAN_OPTIONS=detect_leaks=1 \
	LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp \
	nice "$bin" -max_total_time="$secs" \
		-timeout=$tmo -rss_limit_mb=3072 -print_final_stats=1 \
		-max_len=$maxlen \
		-artifact_prefix="tests/fuzz/crashes/$n-" \
		"$work" "$seeds" >"$log" 2>&1
	t1=$(date +%s)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	# minimise: the smallest set of inputs with the same coverage
	ASAN_OPTIONS=detect_leaks=0 nice "$bin" -merge=1 -timeout=$tmo \
		-artifact_prefix="$build/fuzz/merge-$n-" \
		"$work.min" "$seeds" "$work" >"$log.merge" 2>&1 &&
		[ -n "$(ls "$work.min")" ] &&
		rm -f "$seeds"/* && cp "$work.min"/* "$seeds"/
	corpus=$(ls "$seeds" | wc -l)
	rm -f tests/fuzz/crashes/"$n"-slow-unit-*
	after=$(ls tests/fuzz/crashes | grep "^$n-" | grep -vc slow-unit)
	crashes=$((after - before))
	[ "$crashes" -gt 0 ] && bad=1
	printf '%-12s %10s %7s %7s %8s\n' "$n" "${runs:-?}" $((t1 - t0)) \
		"$corpus" "$crashes"
done
[ "$bad" -eq 0 ] || echo "crash inputs: tests/fuzz/crashes/ (logs: $build/fuzz/*.log)"
exit $bad
