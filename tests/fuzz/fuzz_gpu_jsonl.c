/* fuzz_gpu_jsonl.c: libFuzzer harness for fuzz_gpu_jsonl()
 * (tests/fuzz/entry.h). */
#include "tests/fuzz/entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_gpu_jsonl(data, size);
}
