/*
 * runner.c: the one CUnit runner.  Every tests/unit/test_<m>.c defines
 * `int suite_<m>(void)`, which adds its suite to the registry; the Makefile
 * lists them in suites.h.  CUnit's own summary is printed (CI reads it).
 *
 *   test_runner              run every suite
 *   test_runner NAME...      run only the named suites
 *   test_runner --list       list suites
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#define SUITE(m) int suite_##m(void);
#include "suites.h"
#undef SUITE

struct suite_entry {
	const char *name;
	int (*add)(void);
};

static const struct suite_entry suites[] = {
#define SUITE(m) {#m, suite_##m},
#include "suites.h"
#undef SUITE
};

int main(int argc, char **argv)
{
	size_t n = sizeof(suites) / sizeof(suites[0]);
	if (argc > 1 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", suites[i].name);
		return 0;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (size_t i = 0; i < n; i++) {
		int wanted = argc <= 1;
		for (int a = 1; a < argc; a++)
			if (strcmp(argv[a], suites[i].name) == 0)
				wanted = 1;
		if (wanted && suites[i].add() != 0) {
			fprintf(stderr, "cannot register suite %s: %s\n",
				suites[i].name, CU_get_error_msg());
			CU_cleanup_registry();
			return 2;
		}
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
