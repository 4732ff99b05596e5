/*
 * test_checked.c: checked size arithmetic (overflow and the 2^53 limit are
 * input errors naming subject and quantity, reported once, saturating) and
 * memory budgets (the refusal states estimate and limit).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler/graph.h"
#include "ground/checked.h"
#include "ground/util.h"
#include "test_util.h"

static void test_exact_within_limit(void)
{
	struct diag d;
	struct ck ck;
	diag_init(&d);
	ck_init(&ck, &d, "n.yaml", "network: layer 'fc'");
	int64_t dims[3] = {1000, 1000, 1000};
	CU_ASSERT_EQUAL(ck_prod(&ck, "elements", dims, 3), 1000000000);
	CU_ASSERT_EQUAL(ck_add(&ck, "bytes", CK_LIMIT - 1, 1), CK_LIMIT);
	CU_ASSERT_EQUAL(ck_mul(&ck, "bytes", -4, 5), -20);
	CU_ASSERT_FALSE(ck.failed);
	CU_ASSERT_EQUAL(diag_count(&d), 0);
	diag_release(&d);
}

static void test_overflow_reported_once(void)
{
	struct diag d;
	struct ck ck;
	diag_init(&d);
	ck_init(&ck, &d, "n.yaml", "network: layer 'conv1'");
	ck.line = 7;
	ck.col = 3;
	int64_t big = INT64_C(1) << 40;
	int64_t r = ck_mul(&ck, "forward FLOPs", big, big);
	CU_ASSERT_EQUAL(r, CK_LIMIT);
	CU_ASSERT_TRUE(ck.failed);
	/* later results saturate and stay silent */
	CU_ASSERT_EQUAL(ck_add(&ck, "bytes", r, r), CK_LIMIT);
	CU_ASSERT_EQUAL(diag_count(&d), 1);
	CU_ASSERT_TRUE(diag_contains(
		&d, "network: layer 'conv1': forward FLOPs must be at most "
		    "9007199254740992 (2^53), got 1099511627776 x "
		    "1099511627776 (n.yaml:7:3)"));
	/* int64 wrap-around itself, not only the limit */
	int64_t out;
	CU_ASSERT_FALSE(ck_mul_ok(INT64_MAX, 2, &out));
	CU_ASSERT_FALSE(ck_add_ok(INT64_MAX, 1, &out));
	CU_ASSERT_FALSE(ck_mul_ok(INT64_MIN, -1, &out));
	CU_ASSERT_EQUAL(out, CK_LIMIT);
	CU_ASSERT_TRUE(ck_mul_ok(CK_LIMIT, 1, &out));
	CU_ASSERT_FALSE(ck_mul_ok(CK_LIMIT, 2, &out));
	diag_release(&d);
}

static void test_budget(void)
{
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(mem_budget_check("fabric", 1e9, INT64_C(2) << 30, &d),
			0);
	CU_ASSERT_EQUAL(mem_budget_check("fabric", 12e9, INT64_C(8) << 30, &d),
			WS_EINPUT);
	CU_ASSERT_TRUE(diag_contains(&d, "fabric: needs about 12 GB of "
					  "memory, more than the limit of "
					  "8.59 GB (--max-memory)"));
	diag_clear(&d);
	/* the default is half the RAM and says so */
	CU_ASSERT_TRUE(mem_budget_default() > 0);
	CU_ASSERT_EQUAL(mem_budget_check("fabric", 1e30, 0, &d), WS_EINPUT);
	CU_ASSERT_TRUE(diag_contains(&d, "(the default: half of the "));
	CU_ASSERT_TRUE(diag_contains(&d, "of physical RAM; --max-memory to "
					  "change)"));
	diag_release(&d);
	int64_t b;
	CU_ASSERT_EQUAL(mem_parse_size("512M", &b), 0);
	CU_ASSERT_EQUAL(b, INT64_C(512) << 20);
	CU_ASSERT_EQUAL(mem_parse_size("8GB", &b), 0);
	CU_ASSERT_EQUAL(b, INT64_C(8) << 30);
	CU_ASSERT_EQUAL(mem_parse_size("1000", &b), 0);
	CU_ASSERT_EQUAL(b, 1000);
	CU_ASSERT_EQUAL(mem_parse_size("0", &b), -1);
	CU_ASSERT_EQUAL(mem_parse_size("-1G", &b), -1);
	CU_ASSERT_EQUAL(mem_parse_size("5X", &b), -1);
	CU_ASSERT_EQUAL(mem_parse_size("99999999999T", &b), -1);
}

/* Issue 17: a dense layer whose weights and optimizer state overflow is an
 * input error naming the layer (it gave negative memory with exit 0). */
static void test_dense_overflow(void)
{
	char *path = tu_temp_file(".yaml",
				  "name: big\n"
				  "inputs:\n  x: [67108864]\n"
				  "layers:\n"
				  "  - {name: huge, op: dense, units: 67108864, "
				  "in: x}\n"
				  "  - {name: loss, op: mse_loss}\n");
	struct graph g;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(graph_load(path, OPT_ADAM, &g, &d), WS_EINPUT);
	if (!diag_contains(&d, "network: layer 'huge': weight bytes must be "
			       "less than 2^53 (9007199254740992), got more"))
		diag_print(&d, stderr);
	CU_ASSERT_TRUE(diag_contains(&d, "network: layer 'huge': weight bytes "
					  "must be less than 2^53 "
					  "(9007199254740992), got more"));
	CU_ASSERT_TRUE(diag_contains(&d, ".yaml:5:5)"));
	diag_release(&d);
	remove(path);
	free(path);
}

/* A network of 2^44 parameters: 2^46 training FLOPs a sample, within
 * 2^53; a batch of 2^20 takes them past int64 (the per-batch figures of
 * `compile --json` wrapped to 0 with exit 0). */
static const char big_net[] = "name: big\n"
			      "inputs:\n  x: [4194304]\n"
			      "layers:\n"
			      "  - {name: fc, op: dense, units: 4194304, in: x}\n"
			      "  - {name: loss, op: mse_loss}\n";

/* Issue 17: figures of a batch (FLOPs, memory) are checked against
 * CK_BATCH_LIMIT where a batch meets a network: compile, place and a
 * plan file's batch (located at its line). */
static void test_batch_overflow(void)
{
	struct diag d;
	struct ck ck;
	diag_init(&d);
	ck_init_batch(&ck, &d, "n.yaml", "network 'n'");
	int64_t big = INT64_C(1) << 40;
	CU_ASSERT_EQUAL(ck_mul(&ck, "FLOPs per batch", big, 1 << 20),
			big << 20); /* past 2^53: fine for a batch */
	CU_ASSERT_EQUAL(ck_mul(&ck, "FLOPs per batch", big, big),
			CK_BATCH_LIMIT);
	CU_ASSERT_TRUE(diag_contains(&d, "must be at most 4611686018427387904 "
					  "(2^62), got 1099511627776 x"));
	diag_release(&d);

	char *net = tu_temp_file(".yaml", big_net);
	const char *msg = "network 'big': training FLOPs per batch must be at "
			  "most 4611686018427387904 (2^62), got 1048576 x "
			  "70368773537792";
	char *args = xasprintf("compile %s -b 1048576 --json", net);
	char *out = NULL, *err = NULL;
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 1);
	CU_ASSERT_TRUE(out && !*out);
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, msg));
	free(args);
	free(out);
	free(err);
	/* a batch of 4096: 2^58 FLOPs, past 2^53 but within 2^62, exact */
	args = xasprintf("compile %s -b 4096 --json", net);
	out = NULL;
	CU_ASSERT_EQUAL(tu_run(args, &out, NULL), 0);
	CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "\"train_mat_flops_per_"
						  "batch\": 288230376151711744"));
	free(args);
	free(out);
	args = xasprintf("place %s --machine mini16 -b 1048576", net);
	err = NULL;
	CU_ASSERT_EQUAL(tu_run(args, NULL, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, msg));
	free(args);
	free(err);
	/* a plan file's batch, at its line and column */
	char *plan = tu_temp_file(".yaml", "network: big\nmachine: mini16\n"
					   "batch: 1073741824\nstages: []\n");
	char *o = xasprintf("%s.json", plan);
	args = xasprintf("run %s --machine mini16 --plan %s -o %s", net, plan,
			 o);
	err = NULL;
	CU_ASSERT_EQUAL(tu_run(args, NULL, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "got 1073741824 x "
						  "70368773537792"));
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, ".yaml:3:8)"));
	CU_ASSERT_EQUAL(access(o, F_OK), -1);
	free(args);
	free(err);
	remove(plan);
	free(plan);
	free(o);
	remove(net);
	free(net);
}

/* Issue 17: a fabric too large for the memory budget is refused before
 * anything is allocated, with the estimate and the limit (it grew past
 * 12 GB, then aborted without a message). */
static void test_fabric_budget(void)
{
	char *m = tu_temp_file(".yaml", "name: big\ngrid:\n  width: 4096\n"
					"  height: 4096\nfabric:\n"
					"  buffer_depth_wavelets: 1024\n");
	char *args = xasprintf("fabric --machine %s --mesh full --cycles 10", m);
	char *err = NULL;
	CU_ASSERT_EQUAL(tu_run(args, NULL, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "fabric: a 4096x4096 mesh, 1 "
						"color, depth 1024: needs "
						"about 1.24 TB of memory, more "
						"than the limit of"));
	free(err);
	free(args);
	remove(m);
	free(m);
}

/* Issue 17: --max-memory in run and fabric: a model estimated larger is
 * refused before it is allocated, exit 1, the estimate and the limit
 * named; a value that is no size is a usage error (exit 2); the default
 * (half the RAM) is printed with a refusal. */
static void test_max_memory_option(void)
{
	static const struct {
		const char *args, *msg;
		int ex;
	} cases[] = {
		{"run p1b2 --machine mini16 --max-memory 10K",
		 "error: engine: training of ", 1},
		{"run p1b2 --machine mini16 --job infer --max-memory 10K",
		 "samples on a 16x16 machine: needs about ", 1},
		{"run p1b2 --machine mini16 --max-memory 10K",
		 "more than the limit of 10.2 kB (--max-memory)", 1},
		{"run p1b2 --machine mini16 --max-memory 12Q",
		 "'--max-memory' must be a size in bytes with an optional K, M, "
		 "G or T (e.g. 512M, 8G), got '12Q'", 2},
		{"fabric --machine mini16 --max-memory 1K",
		 "fabric: a 16x16 mesh, 1 color, depth 4: needs about ", 1},
		{"fabric --machine mini16 --max-memory -5",
		 "got '-5'", 2},
		/* a default refusal says what the default is */
		{"run p1b2 --machine mini16 --batch 1048576 --steps 1000",
		 "(the default: half of the ", 1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = NULL, *err = NULL;
		int ex = tu_run(cases[i].args, &out, &err);
		CU_ASSERT_EQUAL(ex, cases[i].ex);
		CU_ASSERT_PTR_NOT_NULL(err && strstr(err, cases[i].msg));
		if (ex != cases[i].ex || !err || !strstr(err, cases[i].msg))
			fprintf(stderr, "%s: exit %d, %s\n", cases[i].args, ex,
				err ? err : "");
		CU_ASSERT_TRUE(!out || !*out); /* refused before any output */
		free(out);
		free(err);
	}
	/* within the limit: it runs as without one */
	char *a = NULL, *b = NULL;
	CU_ASSERT_EQUAL(tu_run("run p1b2 --machine mini16 --json --max-memory "
			       "1G", &a, NULL), 0);
	CU_ASSERT_EQUAL(tu_run("run p1b2 --machine mini16 --json", &b, NULL),
			0);
	CU_ASSERT_PTR_NOT_NULL(a && strstr(a, "\"machine\""));
	free(a);
	free(b);
}

/* Issue 17: sweep takes --max-memory for each point's run; a point beyond
 * it is an error row stating estimate and limit; a bad size is a usage
 * error. */
static void test_sweep_max_memory(void)
{
	char *out = NULL, *err = NULL;
	CU_ASSERT_EQUAL(tu_run("sweep --net p1b2 --machine mini16 --batch 8 "
			       "--max-memory 1K",
			       &out, NULL),
			0);
	CU_ASSERT_PTR_NOT_NULL(out && strstr(out, ",error,") &&
			       strstr(out, "more than the limit of 1.02 kB "
					   "(--max-memory)"));
	free(out);
	out = NULL;
	CU_ASSERT_EQUAL(tu_run("sweep --net p1b2 --machine mini16 --batch 8 "
			       "--max-memory 1G",
			       &out, NULL),
			0);
	CU_ASSERT_PTR_NOT_NULL(out && strstr(out, ",ok,"));
	free(out);
	CU_ASSERT_EQUAL(tu_run("sweep --net p1b2 --machine mini16 --batch 8 "
			       "--max-memory 1X",
			       NULL, &err),
			2);
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "'--max-memory' must be a "
						  "size"));
	free(err);
}

/* Issue 17: validate wafer takes --max-memory for its network rows' runs:
 * a row beyond it is listed with the estimate and the limit (exit 1, as
 * any row not predicted); within it the row is predicted; a bad size is a
 * usage error. */
static void test_validate_max_memory(void)
{
	char *csv = tu_temp_file(".csv", "network,machine,wafers,mode,dtype,"
					 "batch,samples_per_s,source_id\n"
					 "p1b2,mini64,1,streaming,fp16,8,1000,a\n");
	static const struct {
		const char *opt, *msg;
		int ex;
	} cases[] = {
		{"--max-memory 10K", "more than the limit of 10.2 kB "
				     "(--max-memory)", 1},
		{"--max-memory 1G", "1 predicted, 0 not predicted", 0},
		{"--max-memory 0", "'--max-memory' must be a size", 2},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *args = xasprintf("validate wafer %s %s", csv,
				       cases[i].opt);
		char *out = NULL, *err = NULL;
		CU_ASSERT_EQUAL(tu_run(args, &out, &err), cases[i].ex);
		CU_ASSERT_TRUE((out && strstr(out, cases[i].msg)) ||
			       (err && strstr(err, cases[i].msg)));
		free(out);
		free(err);
		free(args);
	}
	remove(csv);
	free(csv);
}

int suite_checked(void)
{
	static const struct tu_test tests[] = {
		{"exact within the limit", test_exact_within_limit},
		{"validate wafer --max-memory", test_validate_max_memory},
		{"overflow reported once, saturates",
		 test_overflow_reported_once},
		{"memory budget", test_budget},
		{"overflowing dense layer refused", test_dense_overflow},
		{"figures of a batch beyond 2^62 refused", test_batch_overflow},
		{"fabric beyond the memory budget refused", test_fabric_budget},
		{"--max-memory in run and fabric", test_max_memory_option},
		{"--max-memory in sweep", test_sweep_max_memory},
		{0},
	};
	return tu_add_suite("checked", tests);
}
