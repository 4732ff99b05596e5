/* test_util.c: helpers shared by the CUnit suites. See test_util.h. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ground/util.h"

int tu_add_suite(const char *name, const struct tu_test *tests)
{
	CU_pSuite s = CU_add_suite(name, NULL, NULL);
	if (!s)
		return -1;
	for (; tests->name; tests++)
		if (!CU_add_test(s, tests->name, tests->fn))
			return -1;
	return 0;
}

static char *tmp_base(void)
{
	const char *t = getenv("TMPDIR");
	return xstrdup(t && *t ? t : "/tmp");
}

char *tu_temp_file(const char *suffix, const char *text)
{
	char *base = tmp_base();
	char *path = xasprintf("%s/wstest_XXXXXX%s", base, suffix);
	free(base);
	int fd = mkstemps(path, (int)strlen(suffix));
	if (fd < 0) {
		free(path);
		return NULL;
	}
	size_t n = strlen(text);
	if (write(fd, text, n) != (ssize_t)n) {
		close(fd);
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}

char *tu_temp_dir(void)
{
	char *base = tmp_base();
	char *path = xasprintf("%s/wstestd_XXXXXX", base);
	free(base);
	if (!mkdtemp(path)) {
		free(path);
		return NULL;
	}
	return path;
}

void tu_rm_rf(char *dir)
{
	char *rm = xasprintf("rm -rf '%s'", dir);
	CU_ASSERT_EQUAL(system(rm), 0);
	free(rm);
	free(dir);
}

char *tu_read(const char *path)
{
	char *data = NULL;
	struct diag d;
	diag_init(&d);
	if (read_file(path, &data, NULL, &d) != 0)
		data = NULL;
	diag_release(&d);
	return data;
}

static char *slurp(const char *path)
{
	char *data = tu_read(path);
	return data ? data : xstrdup("");
}

int tu_run(const char *args, char **out, char **err)
{
	char *o = tu_temp_file(".out", "");
	char *e = tu_temp_file(".err", "");
	char *cmd = xasprintf("%s %s >%s 2>%s </dev/null", WAFERSIM_BIN, args,
			      o, e);
	int st = system(cmd);
	int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	if (out)
		*out = slurp(o);
	if (err)
		*err = slurp(e);
	remove(o);
	remove(e);
	free(o);
	free(e);
	free(cmd);
	return rc;
}

char *tu_path(const char *rel)
{
	return xasprintf("%s/%s", WAFERSIM_SRCDIR, rel);
}
