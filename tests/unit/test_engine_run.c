/* test_engine_run.c: `wafersim run` end to end, and every zoo network on
 * wse2 through the library (graph -> plan -> engine -> report). */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/graph.h"
#include "compiler/place.h"
#include "sim/engine.h"
#include "sim/report.h"
#include "test_util.h"

static const char one_layer[] =
	"name: one\n"
	"batch: 1\n"
	"inputs:\n"
	"  x: [2048]\n"
	"layers:\n"
	"  - {name: fc, op: dense, units: 2048, in: x}\n";

static void test_deterministic_json(void)
{
	char *out[2], *err[2];
	for (int k = 0; k < 2; k++) {
		int rc = tu_run("run uno --machine wse2 --json", &out[k], &err[k]);
		CU_ASSERT_EQUAL(rc, 0);
	}
	CU_ASSERT(strlen(out[0]) > 1000);
	CU_ASSERT_STRING_EQUAL(out[0], out[1]);
	CU_ASSERT_PTR_NOT_NULL(strstr(out[0], "\"samples_per_s\""));
	for (int k = 0; k < 2; k++) {
		free(out[k]);
		free(err[k]);
	}
}

static void test_text_report(void)
{
	char *out, *err;
	int rc = tu_run("run uno --machine wse2 --runs 1000 --predictions 1e9",
			&out, &err);
	CU_ASSERT_EQUAL(rc, 0);
	const char *want[] = {"Plan", "time per step", "samples per second",
			      "epoch", "energy", "bottleneck", "predictions/s",
			      "analytic bound", "Campaign: 1000 training run"};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		if (!strstr(out, want[i])) {
			printf("\n    missing '%s'", want[i]);
			CU_FAIL("report line missing");
		}
	CU_ASSERT_EQUAL(strlen(err), 0); /* no progress when not a terminal */
	free(out);
	free(err);
}

/* Doubling a kernel's rectangle: the report says when communication
 * dominates (the weight-stationary kernel's broadcast and relay chain;
 * forced, since an inference plan picks a GEMV there, whose reduction
 * the report counts in its PE time). */
static void test_region(void)
{
	char *net = tu_temp_file(".yaml", one_layer);
	const char *regions[] = {"8x8", "16x8", "128x128"};
	int dominated[3];
	for (int i = 0; i < 3; i++) {
		char *args = xasprintf("run %s --machine mini128 --region %s "
				       "--job infer --infer-samples 1 "
				       "--kernel stream", net,
				       regions[i]);
		char *out, *err;
		CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "Kernel on"));
		dominated[i] = strstr(out, "communication dominates") != NULL;
		free(args);
		free(out);
		free(err);
	}
	CU_ASSERT(!dominated[0]);
	CU_ASSERT(!dominated[1]);
	CU_ASSERT(dominated[2]);
	remove(net);
	free(net);
}

static void test_bad_input(void)
{
	char *out, *err;
	CU_ASSERT_EQUAL(tu_run("run nosuchnet --machine wse2", &out, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "nosuchnet"));
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("run uno --dtype fp8", &out, &err), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--dtype"));
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("run uno --region 9999x2", &out, &err), 1);
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("run", &out, &err), 2);
	free(out);
	free(err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every zoo network trains and infers on `machine` at its default batch. */
static void zoo_on(const char *machine)
{
	char *dir = tu_path("models/nets");
	DIR *dp = opendir(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	char *names[64];
	int n = 0;
	struct dirent *de;
	while ((de = readdir(dp)) && n < 64) {
		size_t l = strlen(de->d_name);
		if (l > 5 && !strcmp(de->d_name + l - 5, ".yaml"))
			names[n++] = xstrdup(de->d_name);
	}
	closedir(dp);
	qsort(names, (size_t)n, sizeof(char *), cmp_str);
	struct machine m;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(machine_load(machine, &m, &d), 0);
	printf("\n");
	for (int i = 0; i < n; i++) {
		names[i][strlen(names[i]) - 5] = 0;
		struct graph g;
		struct plan p;
		plan_init(&p);
		diag_clear(&d);
		int rc = graph_load(names[i], OPT_MOMENTUM, &g, &d);
		CU_ASSERT_EQUAL(rc, 0);
		if (rc) {
			diag_print(&d, stdout);
			free(names[i]);
			continue;
		}
		struct plan_opts po;
		plan_opts_init(&po);
		rc = plan_build(&g, &m, &po, &p, &d);
		CU_ASSERT_EQUAL(rc, 0);
		struct stats tr, in;
		stats_init(&tr);
		stats_init(&in);
		if (!rc) {
			struct engine_opts o;
			engine_opts_init(&o);
			o.batch = p.batch;
			rc = engine_run(&p, &g, &m, &o, &tr, &d);
			CU_ASSERT_EQUAL(rc, 0);
			o.job = ENGINE_INFER;
			if (!rc)
				rc = engine_run(&p, &g, &m, &o, &in, &d);
			CU_ASSERT_EQUAL(rc, 0);
		}
		if (rc)
			diag_print(&d, stdout);
		else {
			double cs = 1e-9 / m.clock_ghz;
			printf("    %-14s %-9s batch %4lld  step %10.4g ms  "
			       "%10.4g samples/s  %10.4g pred/s\n", names[i],
			       p.mode == MODE_STREAMING ? "streaming" : "pipelined",
			       (long long)tr.batch,
			       (double)tr.step_cycles * cs * 1e3,
			       (double)tr.batch / ((double)tr.step_cycles * cs),
			       1 / ((double)in.infer_interval_cycles * cs));
			CU_ASSERT(tr.step_cycles > 0);
			CU_ASSERT(in.infer_interval_cycles > 0);
		}
		stats_release(&tr);
		stats_release(&in);
		plan_release(&p);
		graph_release(&g);
		free(names[i]);
	}
	CU_ASSERT(n >= 4);
	diag_release(&d);
	free(dir);
}

static void test_zoo(void)
{
	zoo_on("wse2");
}

static void test_zoo_wse3(void)
{
	zoo_on("wse3");
}

/* Compiled plans (backward routes, fused stages, uneven tiles from the
 * graph): class and full modes agree within 2% on a 128 x 128 mesh.
 * With even tiles they give the same cycles; uneven tiles make full
 * mode's smaller-tile PEs finish a task 8 to 99 cycles sooner, and in a
 * pipeline whose stages have near-equal paces (uno with the kernels'
 * software costs: 20 stages within 15% of each other) that reorders the
 * 1F1B choice of forward or backward at some stages, a steady schedule
 * 1.4% longer with shorter tasks (a scheduling anomaly, not a timing
 * error). */
static void test_full_compiled(void)
{
	const char *nets[] = {"uno", "p1b2", "attn"};
	struct machine m;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(machine_load("mini128", &m, &d), 0);
	printf("\n");
	for (size_t i = 0; i < ARRAY_SIZE(nets); i++) {
		struct graph g;
		struct plan p;
		plan_init(&p);
		if (graph_load(nets[i], OPT_MOMENTUM, &g, &d)) {
			diag_print(&d, stdout);
			CU_FAIL("graph_load");
			continue;
		}
		struct plan_opts po;
		plan_opts_init(&po);
		CU_ASSERT_EQUAL_FATAL(plan_build(&g, &m, &po, &p, &d), 0);
		cycles_t c[2];
		for (int k = 0; k < 2; k++) {
			struct engine_opts o;
			engine_opts_init(&o);
			o.full = k;
			struct stats st;
			stats_init(&st);
			CU_ASSERT_EQUAL_FATAL(engine_run(&p, &g, &m, &o, &st, &d), 0);
			c[k] = st.step_cycles;
			stats_release(&st);
		}
		double rel = fabs((double)c[0] - (double)c[1]) / (double)c[0];
		printf("    %-5s on mini128: step %llu (class) vs %llu (full), "
		       "%.2f%%\n", nets[i], (unsigned long long)c[0],
		       (unsigned long long)c[1], 100 * rel);
		CU_ASSERT(rel < 0.02);
		plan_release(&p);
		graph_release(&g);
	}
	diag_release(&d);
}

int suite_engine_run(void);
int suite_engine_run(void)
{
	static const struct tu_test tests[] = {
		{"run --json twice: same bytes", test_deterministic_json},
		{"text report", test_text_report},
		{"--region: communication dominates", test_region},
		{"bad input", test_bad_input},
		{"every zoo network on wse2", test_zoo},
		{"every zoo network on wse3", test_zoo_wse3},
		{"class and full agree on compiled plans", test_full_compiled},
		{0, 0}};
	return tu_add_suite("engine_run", tests);
}
