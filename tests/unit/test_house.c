/*
 * test_house.c: the shape of the house (docs/ARCHITECTURE.md, "Layers and
 * folders"): includes point only down the layers, no two files call each
 * other (directly or through a ring), no function is over 100 lines.  The
 * checks are the scripts in tests/house/; a failure prints their report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "ground/util.h"
#include "test_util.h"

/* Run a check script from the source tree's top; its output goes to the
 * terminal (it names every offender).  Returns its exit status. */
static int run_check(const char *script, const char *arg)
{
	char *bin = xstrdup(WAFERSIM_BIN);
	char *slash = strrchr(bin, '/');
	if (slash)
		*slash = '\0'; /* the build folder: objects for check_calls */
	char *cmd = xasprintf("cd '%s' && python3 tests/house/%s %s >/tmp/"
			      "wafersim_house.$$ 2>&1; rc=$?; [ $rc -eq 0 ] || "
			      "cat /tmp/wafersim_house.$$; rm -f "
			      "/tmp/wafersim_house.$$; exit $rc",
			      WAFERSIM_SRCDIR, script, arg ? arg : bin);
	int rc = system(cmd);
	free(cmd);
	free(bin);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static void test_layers(void)
{
	CU_ASSERT_EQUAL(run_check("check_layers.py", ""), 0);
}

static void test_no_circles(void)
{
	CU_ASSERT_EQUAL(run_check("check_calls.py", NULL), 0);
}

static void test_function_length(void)
{
	CU_ASSERT_EQUAL(run_check("check_fnlen.py", "100"), 0);
}

int suite_house(void)
{
	static const struct tu_test tests[] = {
		{"includes point down the layers", test_layers},
		{"no two files call each other", test_no_circles},
		{"no function over 100 lines (but the listed ones)",
		 test_function_length},
		{0}};
	return tu_add_suite("house", tests);
}
