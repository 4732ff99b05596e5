/*
 * test_sweep_axes.c: the axes of a sweep beyond the lists of networks,
 * machines, strategies, batches and dtypes (cli/sweep_spec.c, docs/sweep.md):
 * machine-parameter axes (--set KEY=V1,V2, any key of the machine schema;
 * run, place and fabric take --set KEY=VALUE),
 * --seed, --mode, --gpus and --gpu-batch.  A point of a --set axis is the
 * same value as the point on a machine file holding those values; bad keys
 * and values get the schema's messages, naming the option; a sweep over two
 * machine keys and two networks gives the same CSV bytes on 1 and 2
 * threads and on 2 MPI ranks; anneal rows depend on their seed only, not
 * on the other strategies of the sweep.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/sweep.h"
#include "ground/util.h"
#include "test_util.h"

static int set(struct sweep_spec *s, const char *opt, const char *val)
{
	struct diag d;
	diag_init(&d);
	int rc = sweep_spec_set(s, opt, val, &d);
	diag_release(&d);
	return rc;
}

/* p1b2 on mini64 with pack at batch 8: one point, before any axis. */
static void one_point(struct sweep_spec *s)
{
	sweep_spec_init(s);
	set(s, "--nets", "p1b2");
	set(s, "--machines", "mini64");
	set(s, "--strategies", "pack");
	set(s, "--batch", "8");
}

/* Two keys x two values: four machines per preset, the last axis fastest;
 * a point holds the figures of the same point on a machine file. */
static void test_set_axes_are_machines(void)
{
	struct sweep_spec s;
	sweep_spec_init(&s);
	CU_ASSERT_EQUAL(set(&s, "--nets", "p1b2"), 0);
	CU_ASSERT_EQUAL(set(&s, "--machines", "mini64"), 0);
	CU_ASSERT_EQUAL(set(&s, "--set", "grid.width=48,64"), 0);
	CU_ASSERT_EQUAL(set(&s, "--set", "clock_ghz=0.85,1.1"), 0);
	CU_ASSERT_EQUAL(set(&s, "--strategies", "pack"), 0);
	CU_ASSERT_EQUAL(set(&s, "--batch", "8"), 0);
	struct sweep sw;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_FATAL(sweep_prepare(&s, &sw, &d) == 0);
	CU_ASSERT_EQUAL(sw.n_points, 4);
	struct sweep_result r[4];
	sweep_run(&sw, 1, r, NULL, NULL);
	CU_ASSERT(r[1].set[0] == 0 && r[1].set[1] == 1);
	CU_ASSERT(r[2].set[0] == 1 && r[2].set[1] == 0);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL_FATAL(r[i].ok, 1);
	CU_ASSERT_EQUAL(r[1].pes_total, 48 * 64);
	CU_ASSERT_EQUAL(r[2].pes_total, 64 * 64);
	/* the same machine as a file: the same figures */
	char *file = tu_temp_file(".yaml", "name: mini64\ngrid:\n  width: 48\n"
					   "  height: 64\nclock_ghz: 1.1\n");
	struct sweep_spec f;
	sweep_spec_init(&f);
	set(&f, "--nets", "p1b2");
	set(&f, "--machines", file);
	set(&f, "--strategies", "pack");
	set(&f, "--batch", "8");
	struct sweep fw;
	CU_ASSERT_FATAL(sweep_prepare(&f, &fw, &d) == 0);
	struct sweep_result one;
	sweep_point(&fw, 0, &one);
	CU_ASSERT_EQUAL(memcmp(&one.step_s, &r[1].step_s, sizeof(double)), 0);
	CU_ASSERT_EQUAL(memcmp(&one.step_j, &r[1].step_j, sizeof(double)), 0);
	CU_ASSERT_STRING_EQUAL(one.bottleneck, r[1].bottleneck);
	/* the columns: one per key, between machine and strategy */
	char *csv = NULL;
	size_t len = 0;
	FILE *mf = open_memstream(&csv, &len);
	sweep_write_csv(&sw, r, mf);
	fclose(mf);
	CU_ASSERT_EQUAL(strncmp(csv, "index,net,machine,grid.width,clock_ghz,"
				"strategy,", 39), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(csv, "\n1,p1b2,mini64,48,1.1,pack,8,"));
	free(csv);
	sweep_release(&fw);
	sweep_spec_release(&f);
	remove(file);
	free(file);
	sweep_release(&sw);
	sweep_spec_release(&s);
	diag_release(&d);
}

/* Bad keys and values: the schema's messages, each naming the option, all
 * at once, exit 1 (2 for a malformed option), nothing written. */
static void test_set_errors(void)
{
	static const struct {
		const char *args;
		int rc;
		const char *msg[3];
	} cases[] = {
		{"--set grid.wdth=48 --set clock_ghz=0,x", 1,
		 {"unknown key 'grid.wdth' (expected one of: width, height) "
		  "(--set grid.wdth=48)",
		  "'clock_ghz' must be in [0.001, 100.0] GHz, got 0 (--set "
		  "clock_ghz=0)",
		  "'clock_ghz' must be a number, got 'x' (--set clock_ghz=x)"}},
		{"--set grid=3 --set io.edges=west+up", 1,
		 {"'grid' is a section", "got 'up' (--set io.edges=west+up)",
		  NULL}},
		{"--set pe.code_bytes=100000", 1,
		 {"'pe.code_bytes' must leave room for data", "(--set "
		  "pe.code_bytes=100000)", NULL}},
		{"--set grid.width", 2, {"'--set' must be KEY=V1,V2", NULL, NULL}},
		{"--set clock_ghz=1 --set clock_ghz=2", 2,
		 {"'--set clock_ghz' must be given once", NULL, NULL}},
		{"--set clock_ghz=1,,2", 2, {"empty item", NULL, NULL}},
	};
	char *dir = tu_temp_dir();
	char *f = xasprintf("%s/bad.csv", dir);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *args = xasprintf("sweep --net p1b2 --machine mini64,mini128 "
				       "--strategy pack --batch 8 %s -o %s",
				       cases[i].args, f);
		char *out, *err;
		CU_ASSERT_EQUAL(tu_run(args, &out, &err), cases[i].rc);
		for (int k = 0; k < 3 && cases[i].msg[k]; k++)
			if (!strstr(err, cases[i].msg[k]))
				CU_FAIL(cases[i].msg[k]);
		/* the same bad value on two machines: said once */
		const char *at = strstr(err, cases[i].msg[0]);
		CU_ASSERT(at && !strstr(at + 1, cases[i].msg[0]));
		CU_ASSERT_STRING_EQUAL(out, "");
		CU_ASSERT_NOT_EQUAL(access(f, F_OK), 0);
		free(out);
		free(err);
		free(args);
	}
	rmdir(dir);
	free(f);
	free(dir);
}

/* Too many machines (presets x --set combinations): refused before any
 * is loaded. */
static void test_set_too_many_machines(void)
{
	char list[1024] = "grid.width=1";
	for (int v = 2; v <= 101; v++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 ",%d", v);
	struct sweep_spec s;
	one_point(&s);
	CU_ASSERT_EQUAL(set(&s, "--set", list), 0);
	CU_ASSERT_EQUAL(set(&s, "--set", "grid.height=1,2,3,4,5,6,7,8,9,10,"
				  "11,12,13,14,15,16,17,18,19,20,21,22,23,24,"
				  "25,26,27,28,29,30,31,32,33,34,35,36,37,38,"
				  "39,40,41,42,43,44,45,46,47,48,49,50,51,52,"
				  "53,54,55,56,57,58,59,60,61,62,63,64,65,66,"
				  "67,68,69,70,71,72,73,74,75,76,77,78,79,80,"
				  "81,82,83,84,85,86,87,88,89,90,91,92,93,94,"
				  "95,96,97,98,99,100"),
			0);
	struct sweep sw;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(sweep_prepare(&s, &sw, &d), WS_EINPUT);
	CU_ASSERT(diag_contains(&d, "at most 10000 machines, got 10100"));
	diag_release(&d);
	sweep_spec_release(&s);
}

#define AXES_ARGS                                                          \
	"--net p1b2,uno --machine mini128 --set grid.width=96,128 "        \
	"--set extmem.bandwidth_gbytes_s=150,300 --strategy pack,anneal "  \
	"--batch 16"

/* Issue 14: two machine keys and two networks, the same CSV bytes on 1
 * and 2 threads and on 2 MPI ranks (the ranks also in tests/validate). */
static void test_axes_jobs_and_ranks_identical(void)
{
	char *dir = tu_temp_dir();
	char *f1 = xasprintf("%s/j1.csv", dir), *f2 = xasprintf("%s/j2.csv", dir);
	char *fm = xasprintf("%s/m.csv", dir);
	for (int j = 1; j <= 2; j++) {
		char *args = xasprintf("sweep " AXES_ARGS " --jobs %d -o %s", j,
				       j == 1 ? f1 : f2);
		char *out, *err;
		CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
		free(out);
		free(err);
		free(args);
	}
	char *a = tu_read(f1), *b = tu_read(f2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_STRING_EQUAL(a, b);
	int lines = 0, ok = 0;
	for (const char *p = a; *p; p++)
		lines += *p == '\n';
	for (const char *p = a; (p = strstr(p, ",ok,")); p++)
		ok++;
	CU_ASSERT_EQUAL(lines, 1 + 2 * 2 * 2 * 2);
	CU_ASSERT(ok >= 12);
	if (system("command -v mpirun >/dev/null 2>&1") == 0) {
		char *cmd = xasprintf(
			"ASAN_OPTIONS=detect_leaks=0 mpirun %s --oversubscribe "
			"-np 2 %s-mpi sweep " AXES_ARGS " -o %s >/dev/null "
			"2>&1 </dev/null",
			geteuid() == 0 ? "--allow-run-as-root" : "",
			WAFERSIM_BIN, fm);
		CU_ASSERT_EQUAL(system(cmd), 0);
		char *m = tu_read(fm);
		CU_ASSERT_PTR_NOT_NULL(m);
		if (m)
			CU_ASSERT_STRING_EQUAL(a, m);
		free(m);
		free(cmd);
		remove(fm);
	} else {
		fprintf(stderr, "\n  sweep_axes: mpirun not found, MPI leg "
				"skipped\n");
	}
	free(a);
	free(b);
	remove(f1);
	remove(f2);
	rmdir(dir);
	free(f1);
	free(f2);
	free(fm);
	free(dir);
}

/* The anneal row of a seed is the same whatever else the sweep holds (other
 * strategies, other seeds, threads): it depends on its network, machine,
 * options and seed only.  Two seeds give two columns' worth of rows. */
static void test_seed_rows_independent(void)
{
	const char *lists[][2] = {{"anneal", "1"}, {"pack,anneal,strips", "2,1"}};
	struct sweep_result got[2];
	for (int k = 0; k < 2; k++) {
		struct sweep_spec s;
		sweep_spec_init(&s);
		set(&s, "--nets", "uno");
		set(&s, "--machines", "mini128");
		set(&s, "--strategies", lists[k][0]);
		set(&s, "--batch", "32");
		set(&s, "--seed", lists[k][1]);
		struct sweep sw;
		struct diag d;
		diag_init(&d);
		CU_ASSERT_FATAL(sweep_prepare(&s, &sw, &d) == 0);
		CU_ASSERT(sw.show_seed);
		struct sweep_result *r = xcalloc((size_t)sw.n_points,
						 sizeof(*r));
		sweep_run(&sw, 2, r, NULL, NULL);
		/* anneal with seed 1: point 0, or (anneal, seed 1) = 3 */
		got[k] = r[k ? 3 : 0];
		CU_ASSERT_STRING_EQUAL(sw.spec.strategies[got[k].strategy],
				       "anneal");
		CU_ASSERT_EQUAL(sw.spec.seeds[got[k].seed_i], 1);
		if (k) /* seed 2 is another layout, in general another step */
			CU_ASSERT(r[2].ok && r[2].seed_i == 0);
		free(r);
		sweep_release(&sw);
		sweep_spec_release(&s);
		diag_release(&d);
	}
	CU_ASSERT_EQUAL_FATAL(got[0].ok, 1);
	CU_ASSERT_EQUAL(memcmp(&got[0].step_s, &got[1].step_s, sizeof(double)),
			0);
	CU_ASSERT_STRING_EQUAL(got[0].bottleneck, got[1].bottleneck);
	CU_ASSERT_EQUAL(got[0].pes_used, got[1].pes_used);
}

/* --mode and --seed are columns; --gpu-batch compares samples/s. */
static void test_mode_seed_gpu_columns(void)
{
	char *out, *err;
	CU_ASSERT_EQUAL(tu_run("sweep --net p1b2 --machine mini64 --strategy "
			       "pack --batch 8 --mode auto,pipelined --seed 3 "
			       "--gpu h100 --gpus 2 --gpu-batch 16",
			       &out, &err),
			0);
	CU_ASSERT_EQUAL(strncmp(out, "index,net,machine,strategy,batch,dtype,"
				"asked_mode,seed,status,", 62), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, ",gpu,gpus,gpu_batch,gpu_step_s,"
				      "speedup,error,gpus_used,gpu_sharding\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\n0,p1b2,mini64,pack,8,mixed,auto,"
				      "3,ok,streaming,"));
	/* p1b2 does not fit pipelined on mini64: a row with the reason */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\n1,p1b2,mini64,pack,8,mixed,"
				      "pipelined,3,error,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, ",h100,2,16,"));
	free(out);
	free(err);
	/* speedup: the wafer's samples/s over the GPUs' (2 x 16 per step) */
	struct sweep_spec s;
	one_point(&s);
	s.gpu = xstrdup("h100");
	s.gpus = 2;
	s.gpu_batch = 16;
	struct sweep sw;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_FATAL(sweep_prepare(&s, &sw, &d) == 0);
	struct sweep_result r;
	sweep_point(&sw, 0, &r);
	CU_ASSERT_EQUAL_FATAL(r.ok, 1);
	CU_ASSERT_EQUAL(r.gpu_batch, 16);
	double want = r.samples_per_s / (32.0 / r.gpu_step_s);
	CU_ASSERT_DOUBLE_EQUAL(r.speedup, want, 1e-12 * want);
	sweep_release(&sw);
	sweep_spec_release(&s);
	diag_release(&d);
}

/* --kernel and --wafers are axes (issue 12): columns of their own, the
 * batch global and split over the wafers, and a point's figures are
 * those `run` prints for the same options; a bad kernel name is refused
 * before anything runs. */
static void test_kernel_wafers_axes(void)
{
	char *out, *err;
	CU_ASSERT_EQUAL(tu_run("sweep --net p1b2 --machine mini64 --strategy "
			       "pack --batch 64 --kernel auto,stream "
			       "--wafers 1,2 --mode streaming",
			       &out, &err),
			0);
	CU_ASSERT_EQUAL(strncmp(out, "index,net,machine,strategy,batch,dtype,"
				"asked_mode,kernel,wafers,status,", 71), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\n1,p1b2,mini64,pack,64,mixed,"
				      "streaming,auto,2,ok,streaming,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\n2,p1b2,mini64,pack,64,mixed,"
				      "streaming,stream,1,ok,"));
	free(out);
	free(err);
	/* the two-wafer point is `run --wafers 2` with the same batch */
	struct sweep_spec s;
	one_point(&s);
	set(&s, "--batch", "64");
	set(&s, "--mode", "streaming");
	set(&s, "--wafers", "1,2");
	struct sweep sw;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_FATAL(sweep_prepare(&s, &sw, &d) == 0);
	CU_ASSERT_EQUAL(sw.n_points, 2);
	struct sweep_result r[2];
	sweep_run(&sw, 1, r, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(r[0].ok && r[1].ok, 1);
	CU_ASSERT_EQUAL(r[1].wafers_i, 1);
	CU_ASSERT_EQUAL(r[1].batch_samples, 64);
	CU_ASSERT(r[1].samples_per_s > r[0].samples_per_s);
	CU_ASSERT_EQUAL(tu_run("run p1b2 --machine mini64 --strategy pack "
			       "--batch 64 --mode streaming --wafers 2 "
			       "--job train --json", &out, &err), 0);
	const char *k = strstr(out, "\"samples_per_s\":");
	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	double want = strtod(k + strlen("\"samples_per_s\":"), NULL);
	printf("\n    p1b2 b64 on 2 wafers: sweep %.6g samples/s, run %.6g",
	       r[1].samples_per_s, want);
	CU_ASSERT_DOUBLE_EQUAL(r[1].samples_per_s, want, 1e-9 * want);
	free(out);
	free(err);
	sweep_release(&sw);
	sweep_spec_release(&s);
	diag_release(&d);
	CU_ASSERT_EQUAL(tu_run("sweep --net p1b2 --machine mini64 --batch 8 "
			       "--kernel stream,nope", &out, &err), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "'nope'"));
	free(out);
	free(err);
}

/* run, place and fabric take --set KEY=VALUE through the same schema. */
static void test_run_and_place_set(void)
{
	char *out, *err;
	CU_ASSERT_EQUAL(tu_run("run p1b2 --machine mini64 --set grid.width=48 "
			       "--set clock_ghz=1.1 --job train",
			       &out, &err),
			0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "on mini64 (48 x 64 PEs, 1.1 GHz)"));
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("place p1b2 --machine mini64 --set "
			       "grid.width=40 --strategy pack",
			       &out, &err),
			0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "(40x64 PEs)"));
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("fabric --machine mini16 --rate 0.01 --cycles "
			       "200 --set fabric.colors=0",
			       &out, &err),
			1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "(--set fabric.colors=0)"));
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("run p1b2 --machine mini64 --set grid.width=0",
			       &out, &err),
			1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "'grid.width' must be in [1, 4096] "
				      "PE, got 0 (--set grid.width=0)"));
	CU_ASSERT_STRING_EQUAL(out, "");
	free(out);
	free(err);
}

/* --strategy defaults to auto (as in run and place). */
static void test_strategy_default_auto(void)
{
	char *out, *err;
	CU_ASSERT_EQUAL(tu_run("sweep --net p1b2 --machine mini64 --batch 8",
			       &out, &err),
			0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\n0,p1b2,mini64,auto,8,mixed,ok,"));
	free(out);
	free(err);
}

int suite_sweep_axes(void)
{
	static const struct tu_test tests[] = {
		{"--set axes are machines", test_set_axes_are_machines},
		{"--set errors name the option", test_set_errors},
		{"too many --set machines refused", test_set_too_many_machines},
		{"two keys x two nets: jobs 1, 2 and 2 MPI ranks identical",
		 test_axes_jobs_and_ranks_identical},
		{"anneal rows depend on their seed only",
		 test_seed_rows_independent},
		{"--mode, --seed, --gpus, --gpu-batch columns",
		 test_mode_seed_gpu_columns},
		{"--kernel and --wafers axes", test_kernel_wafers_axes},
		{"run, place and fabric --set", test_run_and_place_set},
		{"--strategy defaults to auto", test_strategy_default_auto},
		{0, 0}};
	return tu_add_suite("sweep_axes", tests);
}
