/* fuzz_wafer_csv.c: libFuzzer harness for fuzz_wafer_csv()
 * (tests/fuzz/entry.h). */
#include "tests/fuzz/entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_wafer_csv(data, size);
}
