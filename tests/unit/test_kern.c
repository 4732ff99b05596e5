/* test_kern.c: the kernel algorithms (compiler/kern.h): the mechanisms the
 * measured WSE-3 kernels show, and the pick. */
#include <stdlib.h>
#include <string.h>

#include "compiler/kern.h"
#include "compiler/kern_int.h"
#include "fabric/collective.h"
#include "test_util.h"

static void load(const char *name, struct machine *m)
{
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(machine_load(name, m, &d), 0);
	diag_release(&d);
}

static cycles_t eval(const struct machine *m, enum kern_alg a, int64_t M,
		     int64_t K, int64_t N, int32_t w, int32_t h, int64_t G)
{
	struct kern_shape s = {M, K, N, w, h, PREC_FP16, G};
	struct kern_cost c;
	kern_eval(m, a, &s, &c);
	CU_ASSERT(c.applicable);
	CU_ASSERT_EQUAL(c.cycles >= c.compute, 1);
	return c.cycles;
}

/* MeshGEMM: the cost of a step does not depend on P (the shifts go to a
 * neighbour of the interleaved ring); a long Kt costs more than long Mt
 * and Nt (a loop iteration per k, a call per (k, n)). */
static void test_cannon(void)
{
	struct machine m;
	load("wse3", &m);
	double s16 = (double)eval(&m, KERN_CANNON, 16, 16, 16, 16, 16, 0) / 16;
	double s400 =
		(double)eval(&m, KERN_CANNON, 400, 400, 400, 400, 400, 0) / 400;
	CU_ASSERT(s400 / s16 > 0.97 && s400 / s16 < 1.03);
	/* a software floor far above the one FMA of a 1 x 1 tile */
	CU_ASSERT(s16 > 100);
	cycles_t kt = eval(&m, KERN_CANNON, 144, 1152, 144, 144, 144, 0);
	cycles_t mn = eval(&m, KERN_CANNON, 1152, 144, 1152, 144, 144, 0);
	CU_ASSERT(kt > 2 * mn);
	/* only square rectangles (SUMMA runs on any) */
	struct kern_shape s = {64, 64, 64, 16, 8, PREC_FP16, 0};
	struct kern_cost c;
	kern_eval(&m, KERN_CANNON, &s, &c);
	CU_ASSERT_FALSE(c.applicable);
	kern_eval(&m, KERN_SUMMA, &s, &c);
	CU_ASSERT(c.applicable);
}

/* MeshGEMV: grows with P (chains and the multicast back), fewer groups
 * make longer chains, a fixed cost of fabric instructions. */
static void test_gemv(void)
{
	struct machine m;
	load("wse3", &m);
	cycles_t g2 = eval(&m, KERN_GEMV_GROUPED, 1, 80, 80, 80, 80, 2);
	cycles_t g4 = eval(&m, KERN_GEMV_GROUPED, 1, 80, 80, 80, 80, 4);
	cycles_t g8 = eval(&m, KERN_GEMV_GROUPED, 1, 80, 80, 80, 80, 8);
	CU_ASSERT(g2 > g4 && g4 > g8);
	cycles_t p144 = eval(&m, KERN_GEMV_GROUPED, 1, 144, 144, 144, 144, 8);
	cycles_t p400 = eval(&m, KERN_GEMV_GROUPED, 1, 400, 400, 400, 400, 8);
	CU_ASSERT(p400 > p144 + 256); /* more than a cycle per unit of P */
	CU_ASSERT(g8 > 100);	      /* fixed software cost */
	/* the compiler's G is at least as fast as any forced one */
	cycles_t best = eval(&m, KERN_GEMV_GROUPED, 1, 80, 80, 80, 80, 0);
	CU_ASSERT(best <= g8 && best <= g4 && best <= g2);
	/* a chain over the whole column is slower than grouped chains */
	CU_ASSERT(eval(&m, KERN_GEMV_CHAIN, 1, 400, 400, 400, 400, 0) > p400);
	/* more rows, more GEMVs */
	CU_ASSERT_EQUAL(eval(&m, KERN_GEMV_STAR, 4, 64, 64, 16, 16, 0),
			4 * eval(&m, KERN_GEMV_STAR, 1, 64, 64, 16, 16, 0));
}

/* SUMMA as the vendor's example runs it: every step waits for the
 * panels' multicast from the step's owners, so its step grows with P (a
 * hop per PE of the farthest distance), where MeshGEMM's neighbour
 * shifts do not; on a large rectangle Cannon wins. */
static void test_summa(void)
{
	struct machine m;
	load("wse3", &m);
	cycles_t s16 = eval(&m, KERN_SUMMA, 16, 16, 16, 16, 16, 0);
	cycles_t s400 = eval(&m, KERN_SUMMA, 400, 400, 400, 400, 400, 0);
	double grow = (double)s400 / 400 - (double)s16 / 16;
	/* the farthest PE is P/2 to P-1 hops from the owner */
	CU_ASSERT(grow >= 0.5 * (400 - 16));
	CU_ASSERT(s400 > eval(&m, KERN_CANNON, 400, 400, 400, 400, 400, 0));
}

/* Where each algorithm wins, by the same software rules: the stream
 * issues a vector instruction per row and input over the PE's outputs,
 * Cannon one per input and output over the PE's rows, so Cannon wins
 * when rows per PE outnumber outputs per PE (as the measured MeshGEMM
 * rows with Mt = Nt = 8, Kt = 1 against Mt = Nt = 1, Kt = 8 show); GEMV
 * wins one row's latency on a large rectangle (the stream's relay
 * crosses the row PE by PE), the stream many rows (its rows pipeline,
 * the GEMV's reductions do not). */
static void test_regimes(void)
{
	struct machine m;
	load("wse3", &m);
	CU_ASSERT(eval(&m, KERN_CANNON, 1152, 144, 144, 144, 144, 0) <
		  eval(&m, KERN_STREAM, 1152, 144, 144, 144, 144, 0));
	CU_ASSERT(eval(&m, KERN_STREAM, 144, 1152, 1152, 144, 144, 0) <
		  eval(&m, KERN_CANNON, 144, 1152, 1152, 144, 144, 0));
	CU_ASSERT(eval(&m, KERN_GEMV_GROUPED, 1, 3200, 3200, 400, 400, 0) <
		  eval(&m, KERN_STREAM, 1, 3200, 3200, 400, 400, 0));
	CU_ASSERT(eval(&m, KERN_STREAM, 1024, 3200, 3200, 400, 400, 0) <
		  eval(&m, KERN_GEMV_GROUPED, 1024, 3200, 3200, 400, 400, 0));
}

/* Six layer shapes: every algorithm that fits is evaluated, the pick is
 * within 5% of the fastest, and a forced algorithm is what it says. */
static void test_pick(void)
{
	static const struct {
		int64_t M, K, N;
		int32_t w, h;
	} shapes[] = {
		{1, 4096, 4096, 64, 64},    /* GEMV: batch 1 */
		{512, 1024, 1024, 32, 32},  /* GEMM, square */
		{128, 768, 3072, 48, 24},   /* transformer FFN, not square */
		{2048, 512, 512, 128, 128}, /* many rows */
		{8, 9216, 4096, 96, 96},    /* wide, few rows */
		{64, 64, 64, 8, 8},	    /* tiny */
		{4096, 4096, 4096, 16, 16}, /* too big for some */
	};
	const char *const machines[] = {"wse2", "wse3"};
	for (size_t mi = 0; mi < ARRAY_SIZE(machines); mi++) {
		struct machine m;
		load(machines[mi], &m);
		for (size_t i = 0; i < ARRAY_SIZE(shapes); i++) {
			struct kern_shape s = {shapes[i].M, shapes[i].K,
					       shapes[i].N, shapes[i].w,
					       shapes[i].h, PREC_MIXED, 0};
			cycles_t fastest = 0;
			int n_fit = 0;
			for (int a = 0; a < KERN_COUNT; a++) {
				struct kern_cost c;
				kern_eval(&m, (enum kern_alg)a, &s, &c);
				CU_ASSERT_STRING_EQUAL(
					kern_name((enum kern_alg)a),
					kern_name((enum kern_alg)
							  kern_from_name(
								  kern_name((enum kern_alg)a))));
				if (!c.applicable || !c.fits)
					continue;
				n_fit++;
				if (!fastest || c.cycles < fastest)
					fastest = c.cycles;
			}
			struct kern_cost pick;
			int a = kern_pick(&m, &s, &pick);
			if (!n_fit) {
				CU_ASSERT_EQUAL(a, -1);
				continue;
			}
			CU_ASSERT(a >= 0);
			CU_ASSERT(pick.fits);
			CU_ASSERT((double)pick.cycles <= 1.05 * (double)fastest);
		}
	}
	CU_ASSERT_EQUAL(kern_from_name("nope"), -1);
}

/* validate wafer: the shipped rows within the bounds; a header it
 * does not know is a located error; rows it cannot run are listed. */
/* SUMMA's waits step by step, as kern_summa.c describes them. */
static cycles_t summa_steps(const struct fabric_params *f, int64_t w, int64_t h,
			    int64_t wa, int64_t wb)
{
	int64_t S = w > h ? w : h;
	cycles_t sum = 0;
	for (int64_t k = 0; k < S; k++) {
		cycles_t x = coll_bcast(f, w, k * w / S, wa);
		cycles_t y = coll_bcast(f, h, k * h / S, wb);
		sum += x > y ? x : y;
	}
	return sum;
}

/* SUMMA's waits in closed form are the step-by-step sum, on long, wide,
 * square and one-PE rectangles, with and without a panel to send, on two
 * fabrics. */
static void test_summa_wait(void)
{
	const char *const machines[] = {"wse2", "mini16"};
	const int64_t side[] = {1, 2, 3, 7, 16, 33, 100, 257, 750, 994};
	const int64_t wav[] = {0, 1, 9, 400};
	const int ns = (int)ARRAY_SIZE(side), nw = (int)ARRAY_SIZE(wav);
	int differ = 0, n = 0;
	for (size_t mi = 0; mi < ARRAY_SIZE(machines); mi++) {
		struct machine m;
		load(machines[mi], &m);
		for (int c = 0; c < ns * ns * nw * nw; c++, n++) {
			int64_t w = side[c % ns], h = side[c / ns % ns];
			int64_t wa = wav[c / (ns * ns) % nw];
			int64_t wb = wav[c / (ns * ns * nw)];
			differ += summa_steps(&m.fabric, w, h, wa, wb) !=
				  kern_summa_wait(&m.fabric, w, h, wa, wb);
		}
	}
	CU_ASSERT_EQUAL(differ, 0);
	CU_ASSERT_EQUAL(n, 2 * 10 * 10 * 4 * 4);
}

static void test_validate_wafer(void)
{
	char *out, *err;
	int rc = tu_run("validate wafer", &out, &err);
	CU_ASSERT_EQUAL(rc, 0);
	double med = 100, worst = 100;
	const char *p = strstr(out, "median |error| ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(sscanf(p, "median |error| %lf%%  worst |error| %lf%%",
			       &med, &worst), 2);
	CU_ASSERT(med <= 15 && worst <= 35);
	free(out);
	free(err);

	char *bad = tu_temp_file(".csv", "# comment\nkernel,P,M\n1,2,3\n");
	char *args = xasprintf("validate wafer %s", bad);
	rc = tu_run(args, &out, &err);
	CU_ASSERT_EQUAL(rc, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "header"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":2:1)"));
	free(out);
	free(err);
	free(args);
	remove(bad);
	free(bad);

	/* other P and tiles than the shipped ones; one too big for the
	 * grid; one unknown kernel: listed, exit 1 */
	char *mine = tu_temp_file(
		".csv", "kernel,P,M,K,N,group_num,Mt,Kt,Nt,mean_cycles\n"
			"MeshGEMM,32,,,,,4,2,4,5000\n"
			"MeshGEMV,48,96,,48,4,2,,1,400\n"
			"MeshGEMM,5000,5000,5000,5000,,1,1,1,9\n"
			"FancyGEMM,16,16,16,16,,1,1,1,9\n");
	args = xasprintf("validate wafer %s --machine wse3", mine);
	rc = tu_run(args, &out, &err);
	CU_ASSERT_EQUAL(rc, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "rows: 2 predicted, 2 not"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "not predicted: line 4"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "unknown kernel 'FancyGEMM'"));
	free(out);
	free(err);
	free(args);
	remove(mine);
	free(mine);
}

int suite_kern(void);
int suite_kern(void)
{
	static const struct tu_test tests[] = {
		{"cannon: step cost, Kt", test_cannon},
		{"gemv: P, groups", test_gemv},
		{"summa: waits for its broadcasts", test_summa},
		{"regimes: stream, cannon, gemv", test_regimes},
		{"pick within 5% of the fastest", test_pick},
		{"summa: waits in closed form = step by step", test_summa_wait},
		{"validate wafer", test_validate_wafer},
		{0, 0}};
	return tu_add_suite("kern", tests);
}
