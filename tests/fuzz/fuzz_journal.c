/* fuzz_journal.c: libFuzzer harness for fuzz_journal() (tests/fuzz/entry.h). */
#include "tests/fuzz/entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_journal(data, size);
}
