/*
 * test_harden.c: the hostile-input campaign (tests/harden/hostile.py,
 * issue 17), a slice of it: every case of the slice gets its exit status
 * (1 bad input, 2 bad option), a located error, no sanitizer report or
 * crash, and leaves no output file.  The whole campaign runs in `make
 * validate` (tests/validate/val_hostile.sh), on build-asan/ when built.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "ground/util.h"
#include "test_util.h"

static void test_hostile_slice(void)
{
	if (system("/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1")) {
		fprintf(stderr, "\n  harden: python3-onnx missing "
				"(tools/deps.sh), campaign skipped\n");
		return;
	}
	/* failures are printed, one per case, with the command */
	char *cmd = xasprintf("cd '%s' && /usr/bin/python3 "
			      "tests/harden/hostile.py --quick --bin '%s' "
			      ">/tmp/wafersim_hostile.$$ 2>&1; rc=$?; "
			      "sed 's/^/    /' /tmp/wafersim_hostile.$$ | "
			      "tail -n 40; rm -f /tmp/wafersim_hostile.$$; "
			      "exit $rc",
			      WAFERSIM_SRCDIR, WAFERSIM_BIN);
	int rc = system(cmd);
	CU_ASSERT_TRUE(rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
	free(cmd);
}

int suite_harden(void);
int suite_harden(void)
{
	static const struct tu_test tests[] = {
		{"hostile inputs (a slice of tests/harden/hostile.py)",
		 test_hostile_slice},
		{0},
	};
	return tu_add_suite("harden", tests);
}
