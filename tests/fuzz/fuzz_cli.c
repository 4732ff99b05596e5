/* fuzz_cli.c: libFuzzer harness for fuzz_cli() (tests/fuzz/entry.h). */
#include "tests/fuzz/entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_cli(data, size);
}
