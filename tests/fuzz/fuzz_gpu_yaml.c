/* fuzz_gpu_yaml.c: libFuzzer harness for fuzz_gpu_yaml() (tests/fuzz/entry.h). */
#include "tests/fuzz/entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_gpu_yaml(data, size);
}
