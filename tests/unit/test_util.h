/*
 * test_util.h: helpers shared by the CUnit suites (not a suite itself).
 */
#ifndef WAFERSIM_TEST_UTIL_H
#define WAFERSIM_TEST_UTIL_H

#include <stddef.h>

#include <CUnit/CUnit.h>

/* Every suite's entry point, from the generated list. */
#define SUITE(m) int suite_##m(void);
#include "suites.h"
#undef SUITE

/* Add a suite with its tests; returns 0 or -1.  `tests` ends with {0}. */
struct tu_test {
	const char *name;
	void (*fn)(void);
};
int tu_add_suite(const char *name, const struct tu_test *tests);

/* Write `text` to a fresh temporary file with the given suffix; returns its
 * path (heap); the caller removes it. */
char *tu_temp_file(const char *suffix, const char *text);
/* A fresh empty temporary directory (heap path). */
char *tu_temp_dir(void);
/* Remove dir and everything in it (asserts it worked), then free(dir). */
void tu_rm_rf(char *dir);

/* Run the wafersim binary with `args` (shell words), capturing stdout and
 * stderr into heap strings; returns the exit code. */
int tu_run(const char *args, char **out, char **err);

/* The bytes of a file as a heap string, or NULL if it cannot be read. */
char *tu_read(const char *path);

/* Path of a project file, "<srcdir>/<rel>" (heap). */
char *tu_path(const char *rel);

#endif
