/*
 * test_docs.c: the figures README.md and docs/ quote are what the
 * commands print now (tools/docs.py check; `make docs` rewrites them).
 * Blocks marked slow and picture blocks are left to `make docs`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "ground/util.h"
#include "test_util.h"

/* The folder of the wafersim these tests were built with (build/ or
 * build-asan/): docs.py runs that one, never another build's (heap). */
static char *bin_dir(void)
{
	char *d = xstrdup(WAFERSIM_BIN), *slash = strrchr(d, '/');
	if (slash)
		*slash = 0;
	return d;
}

static int docs_check(const char *files, char **out)
{
	char *log = tu_temp_file(".log", "");
	char *dir = bin_dir();
	char *cmd = xasprintf("cd %s && WAFERSIM_BUILD_DIR=%s python3 "
			      "tools/docs.py check %s >%s 2>&1",
			      WAFERSIM_SRCDIR, dir, files, log);
	free(dir);
	int st = system(cmd);
	struct diag d;
	diag_init(&d);
	*out = NULL;
	if (read_file(log, out, NULL, &d))
		*out = xstrdup("");
	diag_release(&d);
	remove(log);
	free(log);
	free(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void test_quoted_figures_are_current(void)
{
	char *out;
	int rc = docs_check("", &out);
	if (rc)
		fprintf(stderr, "\n%s", out);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "block(s) checked, 0 differ"));
	free(out);
}

/* `docs.py update FILE` then FILE's text (heap; "" if unreadable). */
static char *docs_update(const char *md)
{
	char *dir = bin_dir();
	char *cmd = xasprintf("cd %s && WAFERSIM_BUILD_DIR=%s python3 "
			      "tools/docs.py update %s >/dev/null",
			      WAFERSIM_SRCDIR, dir, md);
	free(dir);
	CU_ASSERT_EQUAL(system(cmd), 0);
	free(cmd);
	struct diag d;
	diag_init(&d);
	char *text = NULL;
	CU_ASSERT_EQUAL(read_file(md, &text, NULL, &d), 0);
	diag_release(&d);
	return text ? text : xstrdup("");
}

/* A figure typed by hand (or left stale) fails the check. */
static void test_stale_figure_fails(void)
{
	char *md = tu_temp_file(".md",
				"The zoo has\n<!-- docs:n inline json=totals.params "
				"$ wafersim compile uno --json -->12<!-- /docs --> "
				"parameters.\n");
	char *out;
	CU_ASSERT_EQUAL(docs_check(md, &out), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "block 'n' differs"));
	free(out);
	/* update writes the printed value; then check passes */
	char *text = docs_update(md);
	CU_ASSERT_EQUAL(docs_check(md, &out), 0);
	free(out);
	CU_ASSERT_PTR_NULL(strstr(text, "-->12<!--"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "<!-- /docs --> parameters."));
	free(text);
	remove(md);
	free(md);
}

/* Figures of an earlier build are kept as typed, never re-run, and must
 * name a commit; Markdown output (a table) is quoted without a fence. */
static void test_history_and_md(void)
{
	char *md = tu_temp_file(".md",
				"Before: <!-- docs:b inline history=HEAD $ false -->"
				"12<!-- /docs --> cycles.\n"
				"<!-- docs:t md $ printf '| a |\\n|---|\\n| 1 |' -->\n"
				"<!-- /docs -->\n");
	char *out;
	char *text = docs_update(md);
	CU_ASSERT_EQUAL(docs_check(md, &out), 0);
	free(out);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "-->12<!-- /docs -->"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text,
				      "-->\n| a |\n|---|\n| 1 |\n<!-- /docs"));
	free(text);
	remove(md);
	free(md);
	/* a history block naming no commit fails the check */
	md = tu_temp_file(".md", "<!-- docs:b inline history=0000000000 $ "
			  "false -->12<!-- /docs -->\n");
	CU_ASSERT_EQUAL(docs_check(md, &out), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "is not a commit"));
	free(out);
	remove(md);
	free(md);
}

int suite_docs(void)
{
	static const struct tu_test tests[] = {
		{"quoted figures are what the commands print",
		 test_quoted_figures_are_current},
		{"a stale figure fails the check", test_stale_figure_fails},
		{"history blocks kept, md blocks unfenced",
		 test_history_and_md},
		{0},
	};
	return tu_add_suite("docs", tests);
}
