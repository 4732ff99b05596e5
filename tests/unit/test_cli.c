/*
 * test_cli.c: the command-line conventions every command shares: --help,
 * --version, exit codes, -o written atomically, errors on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli/cli.h"
#include "ground/util.h"
#include "test_util.h"

static const char *const commands[] = {"run", "compile", "place", "gpu",
				       "fabric", "plot", "validate", "machine",
				       "sweep"};

static void test_version_and_help(void)
{
	char *out, *err;
	CU_ASSERT_EQUAL(tu_run("--version", &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "wafersim "));
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("--help", &out, &err), 0);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		CU_ASSERT_PTR_NOT_NULL(strstr(out, commands[i]));
	free(out);
	free(err);
}

static void test_every_command_has_help(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		char *args = xasprintf("%s --help", commands[i]);
		char *out, *err;
		int rc = tu_run(args, &out, &err);
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "usage: wafersim"));
		CU_ASSERT_PTR_NOT_NULL(strstr(out, commands[i]));
		free(out);
		free(err);
		free(args);
	}
}

static void test_usage_errors(void)
{
	char *out, *err;
	CU_ASSERT_EQUAL(tu_run("", &out, &err), 2);
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("frobnicate", &out, &err), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown command 'frobnicate'"));
	CU_ASSERT_STRING_EQUAL(out, "");
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("machine --bogus", &out, &err), 2);
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("machine show", &out, &err), 2);
	free(out);
	free(err);
	/* one argument too many: the message names it */
	CU_ASSERT_EQUAL(tu_run("validate wafer a.csv b.csv", &out, &err), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unexpected argument 'b.csv'"));
	free(out);
	free(err);
}

static void test_machine_show_roundtrip(void)
{
	char *dir = tu_temp_dir();
	char *args = xasprintf("machine show wse2 -o %s/a.yaml", dir);
	char *out, *err;
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
	free(out);
	free(err);
	free(args);
	args = xasprintf("machine show %s/a.yaml -o %s/b.yaml", dir, dir);
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
	free(out);
	free(err);
	free(args);

	struct diag d;
	diag_init(&d);
	char *a = NULL, *b = NULL, *pa = xasprintf("%s/a.yaml", dir),
	     *pb = xasprintf("%s/b.yaml", dir);
	CU_ASSERT_EQUAL(read_file(pa, &a, NULL, &d), 0);
	CU_ASSERT_EQUAL(read_file(pb, &b, NULL, &d), 0);
	if (a && b) {
		CU_ASSERT_STRING_EQUAL(a, b);
		CU_ASSERT_PTR_NOT_NULL(strstr(a, "width: 757"));
	}
	remove(pa);
	remove(pb);
	remove(dir);
	free(a);
	free(b);
	free(pa);
	free(pb);
	free(dir);
	diag_release(&d);
}

static void test_bad_machine_no_output(void)
{
	char *bad = tu_temp_file(".yaml", "name: x\ngrid:\n  width: -3\n  "
					  "height: 2\n  hieght: 4\n");
	char *dir = tu_temp_dir();
	char *args = xasprintf("machine show %s -o %s/out.yaml", bad, dir);
	char *out, *err;
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 1);
	/* both errors, each located */
	char *want1 = xasprintf("'grid.width' must be in [1, 4096] PE, got -3 "
				"(%s:3:10)", bad);
	char *want2 = xasprintf("unknown key 'grid.hieght' (expected one of: "
				"width, height) (%s:5:3)", bad);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want1));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want2));
	char *outpath = xasprintf("%s/out.yaml", dir);
	struct stat st;
	CU_ASSERT_NOT_EQUAL(stat(outpath, &st), 0); /* nothing written */
	remove(bad);
	remove(dir);
	free(want1);
	free(want2);
	free(outpath);
	free(out);
	free(err);
	free(args);
	free(bad);
	free(dir);
}

static void test_machine_list(void)
{
	char *out, *err;
	CU_ASSERT_EQUAL(tu_run("machine list", &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "wse2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "757x996"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "753972"));
	free(out);
	free(err);
}

/* Output directories are created as needed (mkdir -p), not required. */
static void test_output_dir_created(void)
{
	char *dir = tu_temp_dir();
	char *args = xasprintf("fabric --machine mini16 --pattern neighbor "
			       "--sweep --out-dir %s/new/sub", dir);
	char *out, *err;
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
	char *csv = xasprintf("%s/new/sub/fabric_neighbor.csv", dir);
	struct stat st;
	CU_ASSERT_EQUAL(stat(csv, &st), 0);
	char *cmd = xasprintf("rm -rf %s", dir);
	CU_ASSERT_EQUAL(system(cmd), 0);
	free(cmd);
	free(csv);
	free(args);
	free(out);
	free(err);
	free(dir);
}

/* place --compare says what its columns beside the objective are: a
 * training plan's predict/s is not what run prints (run infers on a plan
 * compiled for inference), an inference plan is ranked by its
 * predictions/s (the interval, compiler/plan.h PLAN_INFER_STREAM). */
static void test_compare_footer(void)
{
	char *out, *err;
	CU_ASSERT_EQUAL(tu_run("place models/onnx/attn.onnx --machine mini128 "
			       "--compare", &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "estimated training step"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "predict/s: this plan's inference "
					   "('run' infers on a plan of its "
					   "own"));
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("place models/onnx/attn.onnx --machine mini128 "
			       "--compare --job infer", &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "the estimated predictions/s of a "
					   "stream (the interval"));
	free(out);
	free(err);
}

/* Data parallel at a global batch (cli_ddp_gpus, cli_ddp_padded): at most
 * one GPU per sample, shares padded as DistributedSampler pads them. */
static void test_ddp_shares(void)
{
	static const struct {
		int64_t global;
		long asked;
		int gpus;
		int64_t per, padded;
	} cases[] = {
		{60, 100, 60, 1, 0}, /* 40 GPUs would hold repeats only */
		{60, 8, 8, 8, 4},    /* ceil(60 / 8) = 8 each, 64 - 60 */
		{60, 7, 7, 9, 3},    /* ceil(60 / 7) = 9 each, 63 - 60 */
		{60, 60, 60, 1, 0},
		{60, 1, 1, 60, 0},
		{1, 1000000, 1, 1, 0},
		{60, 0, 1, 60, 0},   /* no count: one GPU */
		{0, 5, 5, 0, 0},     /* no global batch: as asked */
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int n = cli_ddp_gpus(cases[i].global, cases[i].asked);
		CU_ASSERT_EQUAL(n, cases[i].gpus);
		if (cases[i].global < 1)
			continue;
		int64_t per = (cases[i].global + n - 1) / n;
		CU_ASSERT_EQUAL(per, cases[i].per);
		CU_ASSERT_EQUAL(cli_ddp_padded(cases[i].global, per, n),
				cases[i].padded);
	}
	/* more GPUs than samples because the state needs them (ZeRO): one
	 * sample each, the rest repeats */
	CU_ASSERT_EQUAL(cli_ddp_padded(3, 1, 5), 2);
	/* run: at equal global batches the speedup per sample is the ratio of
	 * the step times, whatever the padding (60 over 8: 64 computed, 60
	 * distinct); before, the 64 counted and the GPUs looked 7% faster */
	char *out, *err;
	CU_ASSERT_EQUAL(tu_run("run p1b2 --machine mini16 --gpus 8 --job train "
			       "--json", &out, &err), 0);
	json_t *j = json_loads(out, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	json_t *g = json_object_get(j, "gpu");
	double wafer = json_real_value(
		json_object_get(json_object_get(j, "train"), "step_s"));
	json_t *e = json_object_get(g, "eager");
	double gpu = json_real_value(json_object_get(e, "step_s"));
	double sp = json_real_value(json_object_get(e, "speedup_train"));
	CU_ASSERT(wafer > 0 && gpu > 0);
	CU_ASSERT_DOUBLE_EQUAL(sp, gpu / wafer, 1e-12 * sp);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(g, "batch")), 60);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(g,
							   "padded_samples")),
			4);
	json_decref(j);
	free(out);
	free(err);
}

int suite_cli(void)
{
	static const struct tu_test tests[] = {
		{"--version and --help", test_version_and_help},
		{"every command has --help", test_every_command_has_help},
		{"usage errors exit 2", test_usage_errors},
		{"machine show round-trips through -o", test_machine_show_roundtrip},
		{"bad machine: all errors, exit 1, no output",
		 test_bad_machine_no_output},
		{"machine list", test_machine_list},
		{"output directories are created", test_output_dir_created},
		{"place --compare says what predict/s is", test_compare_footer},
		{"GPUs at a global batch: shares and padding", test_ddp_shares},
		{0},
	};
	return tu_add_suite("cli", tests);
}
