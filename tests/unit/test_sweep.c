/*
 * test_sweep.c: design-space sweeps (cli/sweep.h, `wafersim sweep`,
 * build/wafersim-mpi): list parsing and checking, point order, rows that
 * agree with a single engine run, --jobs 2 byte-identical to --jobs 1 (the
 * test that a simulation is a value), MPI ranks byte-identical to threads,
 * and bad lists failing before anything is written.  Small machines
 * (mini64, mini128) and small networks keep it quick.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

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

static void small_spec(struct sweep_spec *s)
{
	sweep_spec_init(s);
	CU_ASSERT_EQUAL(set(s, "--nets", "p1b2,combo"), 0);
	CU_ASSERT_EQUAL(set(s, "--machines", "mini64,mini128"), 0);
	CU_ASSERT_EQUAL(set(s, "--strategies", "strips,pack,anneal"), 0);
	CU_ASSERT_EQUAL(set(s, "--batch", "8,16"), 0);
}

static char *csv_of(const struct sweep *sw, const struct sweep_result *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	sweep_write_csv(sw, r, f);
	fclose(f);
	return buf;
}

static void test_spec_lists(void)
{
	struct sweep_spec s;
	sweep_spec_init(&s);
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(sweep_spec_set(&s, "--nets", "uno,combo,p1b2", &d), 0);
	CU_ASSERT_EQUAL(s.n_nets, 3);
	CU_ASSERT_STRING_EQUAL(s.nets[2], "p1b2");
	CU_ASSERT_EQUAL(sweep_spec_set(&s, "--batch", "32,64", &d), 0);
	CU_ASSERT_EQUAL(s.n_batches, 2);
	CU_ASSERT_EQUAL(s.batches[1], 64);
	CU_ASSERT_EQUAL(sweep_spec_set(&s, "--dtype", "fp32,mixed", &d), 0);
	CU_ASSERT_EQUAL(s.dtypes[0], PREC_FP32);
	CU_ASSERT_EQUAL(diag_count(&d), 0);
	/* errors: empty list, empty item, batch 0, not a number, bad dtype */
	CU_ASSERT_EQUAL(sweep_spec_set(&s, "--nets", "", &d), WS_EINPUT);
	CU_ASSERT(diag_contains(&d, "'--nets' must be a non-empty"));
	CU_ASSERT_EQUAL(sweep_spec_set(&s, "--machines", "wse2,,wse3", &d),
			WS_EINPUT);
	CU_ASSERT(diag_contains(&d, "empty item"));
	CU_ASSERT_EQUAL(sweep_spec_set(&s, "--batch", "32,0", &d), WS_EINPUT);
	CU_ASSERT(diag_contains(&d, "got '0'"));
	CU_ASSERT_EQUAL(sweep_spec_set(&s, "--batch", "3x", &d), WS_EINPUT);
	CU_ASSERT_EQUAL(sweep_spec_set(&s, "--dtype", "fp8", &d), WS_EINPUT);
	CU_ASSERT(diag_contains(&d, "got 'fp8'"));
	/* a failed list leaves the earlier one */
	CU_ASSERT_EQUAL(s.n_nets, 3);
	CU_ASSERT_EQUAL(s.n_batches, 2);
	diag_release(&d);
	sweep_spec_release(&s);
}

static void test_prepare_collects_every_error(void)
{
	struct sweep_spec s;
	sweep_spec_init(&s);
	set(&s, "--nets", "p1b2,nosuchnet");
	set(&s, "--machines", "mini64,nosuchmachine");
	set(&s, "--strategies", "pack,nosuchstrategy");
	set(&s, "--batch", "8");
	struct sweep sw;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(sweep_prepare(&s, &sw, &d), WS_EINPUT);
	CU_ASSERT(diag_contains(&d, "nosuchnet"));
	CU_ASSERT(diag_contains(&d, "nosuchmachine"));
	CU_ASSERT(diag_contains(&d, "got 'nosuchstrategy'"));
	diag_clear(&d);
	/* a missing list */
	struct sweep_spec e;
	sweep_spec_init(&e);
	set(&e, "--nets", "p1b2");
	CU_ASSERT_EQUAL(sweep_prepare(&e, &sw, &d), WS_EINPUT);
	CU_ASSERT(diag_contains(&d, "'--machines' must list at least one"));
	diag_release(&d);
	sweep_spec_release(&e);
	sweep_spec_release(&s);
}

/* Point order: net, machine, strategy, batch, dtype (last fastest), and a
 * row holds the same figures as the point run alone. */
static void test_order_and_rows(void)
{
	struct sweep_spec s;
	small_spec(&s);
	set(&s, "--dtype", "mixed,fp32");
	struct sweep sw;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_FATAL(sweep_prepare(&s, &sw, &d) == 0);
	CU_ASSERT_EQUAL(sw.n_points, 2 * 2 * 3 * 2 * 2);
	struct sweep_result c;
	sweep_point_coords(&sw, 0, &c);
	CU_ASSERT(c.net == 0 && c.machine == 0 && c.strategy == 0 &&
		  c.batch == 0 && c.dtype == 0);
	sweep_point_coords(&sw, 1, &c);
	CU_ASSERT(c.net == 0 && c.machine == 0 && c.strategy == 0 &&
		  c.batch == 0 && c.dtype == 1);
	sweep_point_coords(&sw, 2 * 2 * 3 * 2 * 2 - 1, &c);
	CU_ASSERT(c.net == 1 && c.machine == 1 && c.strategy == 2 &&
		  c.batch == 1 && c.dtype == 1);
	sweep_point_coords(&sw, 3 * 2 * 2, &c);
	CU_ASSERT(c.net == 0 && c.machine == 1 && c.strategy == 0);

	struct sweep_result *res = xcalloc((size_t)sw.n_points, sizeof(*res));
	sweep_run(&sw, 1, res, NULL, NULL);
	int ok = 0;
	for (int64_t i = 0; i < sw.n_points; i++) {
		const struct sweep_result *r = &res[i];
		CU_ASSERT_EQUAL(r->index, i);
		if (!r->ok)
			continue;
		ok++;
		CU_ASSERT(r->step_s > 0);
		/* samples/s is the batch over the steady step */
		double sps = (double)r->batch_samples / r->step_s;
		CU_ASSERT_DOUBLE_EQUAL(r->samples_per_s, sps, 1e-9 * sps);
		CU_ASSERT(r->step_j > 0 && r->power_w > 0);
		CU_ASSERT_DOUBLE_EQUAL(r->power_w, r->step_j / r->step_s,
				       1e-9 * r->power_w);
		CU_ASSERT(r->pes_used > 0 && r->pes_used <= r->pes_total);
		CU_ASSERT(r->bottleneck[0] != '\0');
	}
	CU_ASSERT(ok > sw.n_points / 2);
	/* fp32 is no faster than mixed, each at its best strategy (one
	 * strategy's layout may suit one precision's stage sizes better than
	 * the other's: p1b2 on mini128 with strips, grown, simulates faster
	 * in fp32) */
	for (int64_t i = 0; i < sw.n_points; i += 2 * 2 * 3) {
		for (int64_t b = 0; b < 2 * 2; b += 2) {
			double best[2] = {0, 0};
			for (int64_t k = 0; k < 3; k++)
				for (int dt = 0; dt < 2; dt++) {
					const struct sweep_result *r =
						&res[i + k * 4 + b + dt];
					if (r->ok && (best[dt] == 0 ||
						      r->step_s < best[dt]))
						best[dt] = r->step_s;
				}
			if (best[0] > 0 && best[1] > 0)
				CU_ASSERT(best[1] >= best[0] * 0.999);
		}
	}
	/* running a point again alone gives the same value */
	struct sweep_result again;
	sweep_point(&sw, 7, &again);
	CU_ASSERT_EQUAL(memcmp(&again.step_s, &res[7].step_s, sizeof(double)),
			0);
	CU_ASSERT_STRING_EQUAL(again.bottleneck, res[7].bottleneck);
	free(res);
	sweep_release(&sw);
	diag_release(&d);
	sweep_spec_release(&s);
}

/* The design's promise: simulations are values, so two threads give the
 * same bytes as one. */
static void test_jobs_identical(void)
{
	struct sweep_spec s;
	small_spec(&s);
	set(&s, "--nets", "p1b2,combo,uno");
	struct sweep sw;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_FATAL(sweep_prepare(&s, &sw, &d) == 0);
	struct sweep_result *r1 = xcalloc((size_t)sw.n_points, sizeof(*r1));
	struct sweep_result *r2 = xcalloc((size_t)sw.n_points, sizeof(*r2));
	sweep_run(&sw, 1, r1, NULL, NULL);
	sweep_run(&sw, 2, r2, NULL, NULL);
	char *a = csv_of(&sw, r1), *b = csv_of(&sw, r2);
	CU_ASSERT_STRING_EQUAL(a, b);
	/* one header line, one row per point */
	int lines = 0;
	for (const char *p = a; *p; p++)
		lines += *p == '\n';
	CU_ASSERT_EQUAL(lines, sw.n_points + 1);
	free(a);
	free(b);
	free(r1);
	free(r2);
	sweep_release(&sw);
	diag_release(&d);
	sweep_spec_release(&s);
}

/* A point the compiler cannot place is a row with its reason, not a
 * failed sweep. */
static void test_failed_point_is_a_row(void)
{
	struct sweep_spec s;
	sweep_spec_init(&s);
	set(&s, "--nets", "nt3,p1b2");
	set(&s, "--machines", "mini64");
	set(&s, "--strategies", "pack");
	set(&s, "--batch", "8");
	struct sweep sw;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_FATAL(sweep_prepare(&s, &sw, &d) == 0);
	struct sweep_result res[2];
	sweep_run(&sw, 2, res, NULL, NULL);
	CU_ASSERT_EQUAL(res[0].ok, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(res[0].error, "does not fit"));
	CU_ASSERT_EQUAL(res[1].ok, 1);
	char *csv = csv_of(&sw, res);
	CU_ASSERT_PTR_NOT_NULL(strstr(csv, "\n0,nt3,mini64,pack,8,mixed,error,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(csv, "\n1,p1b2,mini64,pack,8,mixed,ok,"));
	free(csv);
	sweep_release(&sw);
	diag_release(&d);
	sweep_spec_release(&s);
}

#define SMALL_ARGS                                                       \
	"--nets p1b2,combo --machines mini64,mini128 "                   \
	"--strategies strips,pack,anneal --batch 8,16 --gpu h100"

/* The summary's best of an 'auto' point names the strategy auto kept
 * (the plan's own), as run and place do: "auto (anneal)". */
static void test_summary_auto_kept(void)
{
	char *dir = tu_temp_dir();
	char *f = xasprintf("%s/a.csv", dir);
	char *args = xasprintf("sweep --nets p1b2 --machines mini64 --batch 8 "
			       "-o %s", f);
	char *out, *err;
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
	const char *kept = strstr(out, "auto (");
	CU_ASSERT_PTR_NOT_NULL(kept);
	if (kept) {
		char name[32] = "";
		sscanf(kept + strlen("auto ("), "%31[^)]", name);
		CU_ASSERT(!strcmp(name, "pack") || !strcmp(name, "strips") ||
			  !strcmp(name, "anneal"));
	}
	free(out);
	free(err);
	free(args);
	free(f);
	tu_rm_rf(dir);
}

static void test_cli_jobs_and_summary(void)
{
	char *dir = tu_temp_dir();
	char *f1 = xasprintf("%s/j1.csv", dir), *f2 = xasprintf("%s/j2.csv", dir);
	char *args = xasprintf("sweep " SMALL_ARGS " --jobs 1 -o %s", f1);
	char *out, *err;
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "best"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "speedup"));
	/* a summary line per net x machine x batch */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "combo        mini128"));
	free(out);
	free(err);
	free(args);
	args = xasprintf("sweep " SMALL_ARGS " --jobs 2 -o %s --json", f2);
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"best\": ["));
	free(out);
	free(err);
	free(args);
	char *a = tu_read(f1), *b = tu_read(f2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_STRING_EQUAL(a, b);
	CU_ASSERT_EQUAL(strncmp(a, "index,net,machine,strategy,batch", 32), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\n0,p1b2,mini64,strips,8,mixed,"));
	free(a);
	free(b);
	remove(f1);
	remove(f2);
	rmdir(dir);
	free(f1);
	free(f2);
	free(dir);
}

static void test_cli_bad_lists_write_nothing(void)
{
	static const struct {
		const char *args;
		int rc;
		const char *msg;
	} cases[] = {
		{"--nets uno,nosuch --machines mini64 --strategies pack "
		 "--batch 8", 1, "nosuch"},
		{"--nets uno --machines mini64,wse9 --strategies pack "
		 "--batch 8", 1, "wse9"},
		{"--nets uno --machines mini64 --strategies pack,best "
		 "--batch 8", 1, "got 'best'"},
		{"--nets uno --machines mini64 --strategies pack --batch 8,0",
		 2, "got '0'"},
		{"--nets '' --machines mini64 --strategies pack --batch 8", 2,
		 "non-empty"},
		{"--nets uno --machines mini64 --strategies pack", 2,
		 "'--batch' is required"},
		{"--nets uno --machines mini64 --strategies pack --batch 8 "
		 "--gpu nosuchgpu", 1, "nosuchgpu"},
		{"--nets uno --machines mini64 --strategies pack --batch 8,16,8",
		 2, "got '8' twice"},
		{"--nets uno --machines mini64 --strategies pack --batch 8 "
		 "--set grid.width=64,64", 2, "got '64' twice"},
	};
	char *dir = tu_temp_dir();
	char *f = xasprintf("%s/bad.csv", dir);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *args = xasprintf("sweep %s -o %s", cases[i].args, f);
		char *out, *err;
		CU_ASSERT_EQUAL(tu_run(args, &out, &err), cases[i].rc);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].msg));
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

/* The last two fields of a CSV line (no quoted commas in them). */
static void last_two(const char *line, char *a, char *b, size_t n)
{
	const char *end = strchr(line, '\n');
	size_t len = end ? (size_t)(end - line) : strlen(line);
	char *t = xasprintf("%.*s", (int)len, line);
	char *c2 = strrchr(t, ',');
	CU_ASSERT_PTR_NOT_NULL_FATAL(c2);
	*c2 = '\0';
	char *c1 = strrchr(t, ',');
	CU_ASSERT_PTR_NOT_NULL_FATAL(c1);
	snprintf(a, n, "%s", c1 + 1);
	snprintf(b, n, "%s", c2 + 1);
	free(t);
}

/* A row says the GPUs its baseline ran on and how the state was spread
 * (issue 13: a state that does not fit runs sharded on more GPUs than
 * asked), in columns appended after `error`, as run --json says them. */
static void test_gpus_used(void)
{
	char *dir = tu_temp_dir();
	char *h100 = tu_path("models/gpus/h100.yaml");
	char *text = tu_read(h100);
	char *at = strstr(text, "  gbytes: 80\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	/* 0.2 GB: p1b2's training state does not fit on one */
	char *small = xasprintf("%.*s  gbytes: 0.2\n%s", (int)(at - text),
				text, at + strlen("  gbytes: 80\n"));
	char *gpu = xasprintf("%s/small.yaml", dir);
	FILE *f = fopen(gpu, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(small, f);
	fclose(f);
	const char *gpus[2] = {"h100", gpu};
	char *csv = xasprintf("%s/s.csv", dir);
	for (int k = 0; k < 2; k++) {
		const char *point = "p1b2 --machine mini64 --strategy pack "
				    "--batch 8";
		char *args = xasprintf("sweep --net %s --gpu %s -o %s", point,
				       gpus[k], csv);
		char *out, *err;
		CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
		free(out);
		free(err);
		free(args);
		char *rows = tu_read(csv);
		char name[64], shard_name[64], used[64], shard[64];
		last_two(rows, name, shard_name, sizeof(name));
		CU_ASSERT_STRING_EQUAL(name, "gpus_used");
		CU_ASSERT_STRING_EQUAL(shard_name, "gpu_sharding");
		CU_ASSERT_PTR_NOT_NULL(strstr(rows, ",speedup,error,"));
		last_two(strchr(rows, '\n') + 1, used, shard, sizeof(used));
		args = xasprintf("run %s --gpu %s --json", point, gpus[k]);
		CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
		json_t *j = json_loads(out, 0, NULL);
		json_t *g = json_object_get(j, "gpu");
		CU_ASSERT_EQUAL(atoi(used),
				json_integer_value(json_object_get(g, "gpus")));
		const char *js = json_string_value(json_object_get(g,
								   "sharding"));
		CU_ASSERT_STRING_EQUAL(shard, js ? js : "?");
		if (k == 0) { /* fits: the one GPU asked for, replicated */
			CU_ASSERT_EQUAL(atoi(used), 1);
			CU_ASSERT_STRING_EQUAL(shard, "DDP");
		} else { /* more GPUs than asked, sharded */
			CU_ASSERT_TRUE(atoi(used) > 1);
			CU_ASSERT_PTR_NOT_NULL(strstr(shard, "ZeRO"));
		}
		json_decref(j);
		free(out);
		free(err);
		free(args);
		free(rows);
	}
	free(csv);
	free(gpu);
	free(small);
	free(text);
	free(h100);
	tu_rm_rf(dir);
}

/* The MPI driver, 2 ranks, against the threaded command. */
static void test_mpi_identical(void)
{
	if (system("command -v mpirun >/dev/null 2>&1") != 0) {
		fprintf(stderr, "\n  sweep: mpirun not found, MPI test "
				"skipped\n");
		return;
	}
	char *mpibin = xasprintf("%.*s-mpi",
				 (int)strlen(WAFERSIM_BIN), WAFERSIM_BIN);
	CU_ASSERT_EQUAL_FATAL(access(mpibin, X_OK), 0);
	char *dir = tu_temp_dir();
	char *f1 = xasprintf("%s/t.csv", dir), *f2 = xasprintf("%s/m.csv", dir);
	char *args = xasprintf("sweep " SMALL_ARGS " --jobs 2 -o %s", f1);
	char *out, *err;
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
	free(out);
	free(err);
	free(args);
	/* Open MPI leaks by design (and from unloaded plugins, so no
	 * suppression can name them): under `make asan` leak checking is off
	 * for this one command; every other check stays on, and the same
	 * sweep_command() runs leak-checked above through the threaded CLI */
	char *cmd = xasprintf("ASAN_OPTIONS=detect_leaks=0 mpirun %s --oversubscribe -np 2 %s sweep "
			      SMALL_ARGS " -o %s >%s/out.txt 2>&1 </dev/null",
			      geteuid() == 0 ? "--allow-run-as-root" : "",
			      mpibin, f2, dir);
	int rc = system(cmd);
	CU_ASSERT_EQUAL(rc, 0);
	char *a = tu_read(f1), *b = tu_read(f2);
	CU_ASSERT_PTR_NOT_NULL(a);
	CU_ASSERT_PTR_NOT_NULL(b);
	if (a && b)
		CU_ASSERT_STRING_EQUAL(a, b);
	char *txt = xasprintf("%s/out.txt", dir);
	char *o = tu_read(txt);
	CU_ASSERT(o && strstr(o, "sweep: 24 points"));
	free(o);
	free(a);
	free(b);
	remove(f1);
	remove(f2);
	remove(txt);
	rmdir(dir);
	free(txt);
	free(cmd);
	free(f1);
	free(f2);
	free(dir);
	free(mpibin);
}

int suite_sweep(void)
{
	static const struct tu_test tests[] = {
		{"spec_lists", test_spec_lists},
		{"prepare_collects_every_error",
		 test_prepare_collects_every_error},
		{"order_and_rows", test_order_and_rows},
		{"jobs_identical", test_jobs_identical},
		{"failed_point_is_a_row", test_failed_point_is_a_row},
		{"cli_jobs_and_summary", test_cli_jobs_and_summary},
		{"summary names the strategy auto kept", test_summary_auto_kept},
		{"cli_bad_lists_write_nothing",
		 test_cli_bad_lists_write_nothing},
		{"mpi_identical", test_mpi_identical},
		{"gpus_used", test_gpus_used},
		{0, 0}};
	return tu_add_suite("sweep", tests);
}
