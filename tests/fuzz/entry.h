/*
 * entry.h: the fuzzed entry points, one per reader (tests/fuzz/README.md).
 *
 * Each takes the bytes of one input file and runs it through the same
 * functions the commands use (load, check, costs, and for networks a
 * plan on a small machine), releasing everything.  Bad input must come
 * back as a located error; a crash, a sanitizer report or a leak is a bug.
 * The libFuzzer harnesses (tests/fuzz/fuzz_<name>.c, `make fuzz`) and the
 * replay suite (tests/unit/test_fuzz.c, `make test` and `make asan`) call
 * the same functions.
 */
#ifndef WAFERSIM_FUZZ_ENTRY_H
#define WAFERSIM_FUZZ_ENTRY_H

#include <stddef.h>
#include <stdint.h>

int fuzz_machine(const uint8_t *data, size_t size);
int fuzz_net_yaml(const uint8_t *data, size_t size);
int fuzz_plan(const uint8_t *data, size_t size);
int fuzz_onnx(const uint8_t *data, size_t size);
int fuzz_stats(const uint8_t *data, size_t size);
int fuzz_sweep(const uint8_t *data, size_t size);
int fuzz_wafer_csv(const uint8_t *data, size_t size);
int fuzz_gpu_jsonl(const uint8_t *data, size_t size);
int fuzz_gpu_yaml(const uint8_t *data, size_t size);
int fuzz_journal(const uint8_t *data, size_t size);
int fuzz_cli(const uint8_t *data, size_t size);

/* Entry by harness name ("machine", ..., "onnx_struct" = fuzz_onnx), or
 * NULL. */
typedef int (*fuzz_fn)(const uint8_t *data, size_t size);
fuzz_fn fuzz_entry(const char *name);

#endif
