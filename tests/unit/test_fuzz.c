/*
 * test_fuzz.c: replay every committed fuzz input (tests/fuzz/corpus/NAME/
 * and tests/fuzz/crashes/NAME-*) through the same entry points as the
 * libFuzzer harnesses (tests/fuzz/entry.h), built without libFuzzer.
 * Under `make asan` a sanitizer report or a leak fails the run; here each
 * input must come back (no crash) and every harness must have a corpus.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ground/util.h"
#include "test_util.h"
#include "tests/fuzz/entry.h"

/* Feed every regular file of `dir` (whose name starts with `prefix`) to
 * `fn`; returns how many. */
static int replay_dir(const char *dir, const char *prefix, fuzz_fn fn)
{
	DIR *dp = opendir(dir);
	if (!dp)
		return 0;
	int n = 0;
	for (struct dirent *e; (e = readdir(dp));) {
		if (e->d_name[0] == '.' ||
		    strncmp(e->d_name, prefix, strlen(prefix)))
			continue;
		char *path = xasprintf("%s/%s", dir, e->d_name);
		char *data;
		size_t len;
		struct diag d;
		diag_init(&d);
		if (read_file(path, &data, &len, &d) == 0) {
			fn((const uint8_t *)data, len);
			free(data);
			n++;
		}
		diag_release(&d);
		free(path);
	}
	closedir(dp);
	return n;
}

static void replay(const char *name)
{
	fuzz_fn fn = fuzz_entry(name);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fn);
	char *corpus = xasprintf("tests/fuzz/corpus/%s", name);
	char *dir = tu_path(corpus);
	char *crashes = tu_path("tests/fuzz/crashes");
	char *prefix = xasprintf("%s-", name);
	int n = replay_dir(dir, "", fn);
	CU_ASSERT_TRUE(n > 0);
	replay_dir(crashes, prefix, fn);
	free(corpus);
	free(dir);
	free(crashes);
	free(prefix);
}

static void test_machine(void) { replay("machine"); }
static void test_net_yaml(void) { replay("net_yaml"); }
static void test_plan(void) { replay("plan"); }
static void test_onnx(void) { replay("onnx"); }
static void test_onnx_struct(void) { replay("onnx_struct"); }
static void test_stats(void) { replay("stats"); }
static void test_sweep(void) { replay("sweep"); }
static void test_wafer_csv(void) { replay("wafer_csv"); }
static void test_gpu_jsonl(void) { replay("gpu_jsonl"); }
static void test_gpu_yaml(void) { replay("gpu_yaml"); }
static void test_journal(void) { replay("journal"); }
static void test_cli(void) { replay("cli"); }

int suite_fuzz(void)
{
	static const struct tu_test tests[] = {
		{"machine YAML corpus", test_machine},
		{"network YAML corpus", test_net_yaml},
		{"plan YAML corpus", test_plan},
		{"ONNX corpus", test_onnx},
		{"ONNX structure-aware corpus", test_onnx_struct},
		{"saved stats corpus", test_stats},
		{"sweep specification corpus", test_sweep},
		{"wafer measurement CSV corpus", test_wafer_csv},
		{"GPU measurement JSON lines corpus", test_gpu_jsonl},
		{"GPU description YAML corpus", test_gpu_yaml},
		{"sweep journal corpus", test_journal},
		{"command-line options corpus", test_cli},
		{0},
	};
	return tu_add_suite("fuzz", tests);
}
