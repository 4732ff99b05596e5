/* test_kern_pick.c: for dense layer shapes, every kernel algorithm that
 * runs and fits is simulated (forced, as `--kernel` does) on the same
 * rectangle, and the compiler's own pick is within 5% of the fastest
 * simulated one for the plan's job: eleven training shapes (the training
 * step), and inference shapes (batch-1 GEMVs, a small batch: a stream of
 * PLAN_INFER_STREAM predictions, the forward latency then the simulated
 * interval, as the inference objective weighs it); the fastest is the
 * weight-stationary stream on every shape (training: its copies of the
 * weights in row groups beat each other algorithm on its own best split;
 * inference: its occupancy per sample beats a GEMV's whole time). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/kern.h"
#include "compiler/map.h"
#include "compiler/place.h"
#include "compiler/plan_estimate.h"
#include "sim/engine.h"
#include "test_engine_plans.h"
#include "test_util.h"

/* What the job simulates on plan p: the training step, or the inference
 * of a stream of PLAN_INFER_STREAM predictions as the inference plan's
 * objective weighs it (the first sample's latency, the others at the
 * interval: compiler/plan.h). */
static cycles_t simulated(const struct plan *p, const struct machine *m)
{
	struct stats st;
	int infer = p->job == PLAN_JOB_INFER;
	CU_ASSERT_EQUAL(tp_run(p, m, infer ? ENGINE_INFER : ENGINE_TRAIN, 0,
			       0, &st), 0);
	cycles_t t = infer ? st.infer_latency_cycles +
				     (cycles_t)(PLAN_INFER_STREAM - 1) *
					     st.infer_interval_cycles
			   : st.step_cycles;
	stats_release(&st);
	return t;
}

/* What the job simulates of `net` (compiled for `job`) with the dense
 * stage on w x h running `kernel` ("auto": the compiler's pick); 0 when
 * the forced one cannot run there. */
/* `g` compiled for `job` into *p, its dense stage then put on w x h with
 * `copies` sample copies and mapped with `kernel` (as --region runs it). */
static void plan_on(const struct graph *g, const struct machine *m,
		    enum plan_job job, enum pe_prec prec, const char *kernel,
		    int32_t w, int32_t h, int32_t copies, struct plan *p)
{
	struct plan_opts o;
	plan_opts_init(&o);
	o.mode = MODE_PIPELINED;
	o.job = job;
	o.solo = 1; /* the inference search's plan, re-picked below */
	o.copies = 0; /* the copies set below, on the rectangle */
	o.prec = prec;
	o.kernel = "auto"; /* forced below, on the rectangle (as --region) */
	plan_init(p);
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(plan_build(g, m, &o, p, &d), 0);
	diag_release(&d);
	CU_ASSERT_EQUAL(p->job, job);
	struct plan_stage *s = &p->stages[0];
	s->r.w = w;
	s->r.h = h;
	s->copies = copies;
	if (s->r.x + w > m->width)
		s->r.x = 0;
	if (s->r.y + h > m->height)
		s->r.y = 0;
	struct map_ctx c = {g, m, p->prec, p->opt, p->mode, p->batch, 0,
			    kernel, 0, NULL, p->job, 0};
	map_kernel(&c, s);
	plan_summarise(p, m);
}

static cycles_t step_with(const struct graph *g, const struct machine *m,
			  enum plan_job job, enum pe_prec prec,
			  const char *kernel, int32_t w, int32_t h, int *picked)
{
	struct plan p;
	plan_on(g, m, job, prec, kernel, w, h, 1, &p);
	struct plan_stage *s = &p.stages[0];
	cycles_t t = 0;
	*picked = s->kernel;
	int want = kern_from_name(kernel) >= 0 ? kern_from_name(kernel)
						  : s->kernel;
	if (s->kernel == want && s->sram.total <= m->pe.sram_bytes)
		t = simulated(&p, m);
	plan_release(&p);
	return t;
}

/* A network of one dense layer, `rows` x K in (rows 0: a vector), N
 * out, and a loss, at `batch`, loaded into *g. */
static void one_layer(int64_t rows, int64_t K, int64_t N, int64_t batch,
		      struct graph *g)
{
	char *shape = rows ? xasprintf("%lld, %lld", (long long)rows,
				       (long long)K)
			   : xasprintf("%lld", (long long)K);
	char *yaml = xasprintf(
		"name: one\nbatch: %lld\ninputs:\n  x: [%s]\n"
		"layers:\n  - {name: fc, op: dense, in: x, units: "
		"%lld}\n  - {name: loss, op: mse_loss}\n",
		(long long)batch, shape, (long long)N);
	char *path = tu_temp_file(".yaml", yaml);
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(graph_load(path, OPT_MOMENTUM, g, &d), 0);
	diag_release(&d);
	remove(path);
	free(path);
	free(yaml);
	free(shape);
}

struct pick_shape {
	int64_t rows, K, N;
	int32_t w, h;
	int64_t batch;
	enum plan_job job;
	enum pe_prec prec;
	const char *machine;
};

/* Every algorithm simulated on the shape, then the pick: within 5% of
 * the fastest.  Counts the fastest's algorithm in won[]. */
static void pick_within(const struct pick_shape *ps, int *won)
{
	struct machine m;
	tp_load(ps->machine, &m);
	struct graph g;
	one_layer(ps->rows, ps->K, ps->N, ps->batch, &g);
	cycles_t fastest = 0;
	int n = 0, picked, best = -1;
	printf("\n    %s b%lld %lldx%lldx%lld on %dx%d of %s:",
	       ps->job == PLAN_JOB_INFER ? "infer" : "train",
	       (long long)ps->batch, (long long)ps->rows, (long long)ps->K,
	       (long long)ps->N, ps->w, ps->h, ps->machine);
	for (int a = 0; a < KERN_COUNT; a++) {
		cycles_t t = step_with(&g, &m, ps->job, ps->prec,
				       kern_name((enum kern_alg)a), ps->w,
				       ps->h, &picked);
		if (!t) {
			printf(" %s -", kern_name((enum kern_alg)a));
			continue;
		}
		printf(" %s %llu", kern_name((enum kern_alg)a),
		       (unsigned long long)t);
		n++;
		if (!fastest || t < fastest) {
			fastest = t;
			best = a;
		}
	}
	cycles_t mine = step_with(&g, &m, ps->job, ps->prec, "auto", ps->w,
				  ps->h, &picked);
	printf("\n      fastest %s %llu, pick %s %llu",
	       kern_name((enum kern_alg)best), (unsigned long long)fastest,
	       kern_name((enum kern_alg)picked), (unsigned long long)mine);
	CU_ASSERT(n >= 2);
	CU_ASSERT(mine > 0);
	CU_ASSERT((double)mine <= 1.05 * (double)fastest);
	if (best >= 0)
		won[best]++;
	graph_release(&g);
}

/* The stream wins every shape here, training and inference alike: an
 * inference pick weighs a stream of PLAN_INFER_STREAM predictions, where
 * a GEMV's reductions, which do not overlap from sample to sample, lose
 * to the stream's occupancy (compiler/map_kern.c infer_cycles); the
 * GEMVs' one-sample latency only breaks ties. */
static void all_stream(const int *won)
{
	for (int a = 0; a < KERN_COUNT; a++)
		CU_ASSERT_EQUAL(won[a], a == KERN_STREAM ? 17 : 0);
}

/*
 * Training shapes.  The weight-stationary kernel issues one FMA vector
 * instruction per row and input, over the PE's outputs (N / h); Cannon
 * and SUMMA one per input and output, over the PE's rows (M / h).  Every
 * vector instruction pays the same software (cores/pe_sw.h, calibrated on
 * MeshGEMM), so on one copy of the weights the stream wins while a sample
 * has few rows (an MLP, short sequences) and loses when its rows per PE
 * outnumber its outputs per PE (long sequences through narrow layers).
 * In row groups (compiler/map.c gemm_split: copies of the weights, each
 * serving its own rows) the stream's rows per PE fall with the copies,
 * and every algorithm is weighed on its own best split: here the stream
 * wins every shape.
 */
static void train_shapes(int *won)
{
#define TRAIN(r, k, n, w, h) {r, k, n, w, h, 8, PLAN_JOB_TRAIN, PREC_MIXED, "mini64"}
	static const struct pick_shape shapes[] = {
		TRAIN(1, 512, 512, 16, 16),	/* an MLP layer */
		TRAIN(1, 2048, 1024, 32, 32),	/* a wide MLP layer */
		TRAIN(16, 512, 512, 16, 16),	/* a short sequence */
		TRAIN(64, 256, 1024, 32, 16),	/* FFN of a small transformer */
		TRAIN(128, 768, 768, 48, 48),	/* attention projection */
		TRAIN(196, 384, 384, 32, 32),	/* ViT-like tokens */
		TRAIN(8, 2048, 256, 64, 8),	/* wide and flat */
		TRAIN(1024, 256, 256, 32, 32),	/* a long sequence, narrow */
		TRAIN(2048, 256, 1024, 32, 32), /* its FFN: 4x the outputs */
		TRAIN(2048, 768, 768, 48, 48),	/* GPT-2 small's projection */
		TRAIN(512, 64, 64, 16, 8),	/* long and narrow, not square */
	};
#undef TRAIN
	for (size_t i = 0; i < ARRAY_SIZE(shapes); i++)
		pick_within(&shapes[i], won);
}

/*
 * Inference shapes: the forward alone, its latency plus the batch's
 * other samples at its pace.  A batch-1 GEMV (the MeshGEMV, K = N
 * = 8 P on P x P of wse3, fp16) waits for the weight-stationary kernel's
 * relay chain across the row, where a GEMV reduced down the column in
 * groups answers sooner; a batch of samples runs at the stream's pace,
 * far below a GEMV's whole time per sample.
 */
static void infer_shapes(int *won)
{
#define INFER(r, k, n, p, b, prec, mach) \
	{r, k, n, p, p, b, PLAN_JOB_INFER, prec, mach}
	static const struct pick_shape shapes[] = {
		INFER(0, 128, 128, 16, 1, PREC_FP16, "wse3"),
		INFER(0, 256, 256, 32, 1, PREC_FP16, "wse3"),
		INFER(0, 640, 640, 80, 1, PREC_FP16, "wse3"),
		INFER(0, 512, 512, 16, 1, PREC_MIXED, "mini64"),
		INFER(0, 512, 512, 16, 4, PREC_MIXED, "mini64"),
		INFER(0, 1024, 1024, 32, 64, PREC_MIXED, "mini64"),
	};
#undef INFER
	for (size_t i = 0; i < ARRAY_SIZE(shapes); i++)
		pick_within(&shapes[i], won);
}

/* Each job's shapes, the pick within 5% of the fastest; over both, the
 * pick is not a constant. */
static void test_pick_simulated(void)
{
	int won[KERN_COUNT] = {0};
	train_shapes(won);
	infer_shapes(won);
	all_stream(won);
}

/* The dense stage of `g` on w x h mapped with `kernel` (map_kernel, as
 * --kernel does) into *p (released by the caller). */
static void mapped(const struct graph *g, const struct machine *m,
		   const char *kernel, int32_t w, int32_t h, struct plan *p)
{
	struct plan_opts o;
	plan_opts_init(&o);
	o.mode = MODE_PIPELINED;
	plan_init(p);
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(plan_build(g, m, &o, p, &d), 0);
	diag_release(&d);
	struct plan_stage *s = &p->stages[0];
	s->r.x = s->r.y = 0;
	s->r.w = w;
	s->r.h = h;
	struct map_ctx c = {g, m, p->prec, p->opt, p->mode, p->batch, 0,
			    kernel, 0, NULL, p->job, 0};
	map_kernel(&c, s);
	plan_summarise(p, m);
}

/* An algorithm other than the weight-stationary one holds the layer's
 * weights as its own B block: the stage's SRAM counts them once (as
 * `weights`), not again in the algorithm's buffers, and the algorithm
 * fits when the stage's data, its buffers and its code do.  On a layer
 * and rectangle where counting the weights twice would refuse it, the
 * forced algorithm runs, within the PE's SRAM. */
static void test_sram_weights_once(void)
{
	struct machine m;
	tp_load("mini64", &m);
	int found = 0;
	for (int64_t K = 512; K <= 2048 && !found; K += 256) {
		struct graph g;
		one_layer(0, K, K, 8, &g);
		for (int32_t P = 16; P <= 64 && !found; P += 8) {
			struct plan p;
			mapped(&g, &m, "stream", P, P, &p);
			const struct sram_use u = p.stages[0].sram;
			int64_t other = u.total - u.buffers - u.code;
			plan_release(&p);
			struct kern_shape ks = {8, K, K, P, P, PREC_MIXED, 0};
			struct kern_cost kc;
			kern_eval(&m, KERN_GEMV_GROUPED, &ks, &kc);
			int64_t twice = other + kc.sram_bytes;
			int64_t once = twice - kc.b_bytes;
			if (!kc.applicable || once + 1024 > m.pe.sram_bytes ||
			    twice <= m.pe.sram_bytes)
				continue;
			found = 1;
			mapped(&g, &m, "gemv_grouped", P, P, &p);
			const struct plan_stage *s = &p.stages[0];
			printf("\n    %lldx%lld on %dx%d: weights %lld B per PE, "
			       "gemv_grouped %lld B with its B block; stage "
			       "%lld B (twice-counted %lld), PE %lld B",
			       (long long)K, (long long)K, P, P,
			       (long long)s->sram.weights,
			       (long long)kc.sram_bytes,
			       (long long)s->sram.total, (long long)twice,
			       (long long)m.pe.sram_bytes);
			CU_ASSERT_EQUAL(s->kernel, KERN_GEMV_GROUPED);
			CU_ASSERT_EQUAL(s->sram.weights, u.weights);
			CU_ASSERT(s->sram.total <= m.pe.sram_bytes);
			CU_ASSERT(s->sram.total < twice);
			CU_ASSERT_EQUAL(s->sram.total,
					s->sram.weights + s->sram.grads +
						s->sram.opt_state +
						s->sram.activations +
						s->sram.buffers +
						s->sram.code);
			struct stats st;
			CU_ASSERT_EQUAL(tp_run(&p, &m, ENGINE_TRAIN, 0, 0, &st),
					0);
			stats_release(&st);
			plan_release(&p);
		}
		graph_release(&g);
	}
	CU_ASSERT(found);
}

/* A copied inference stage (plan.h `copies`): the pick weighs each
 * algorithm's stream of PLAN_INFER_STREAM predictions as the copies run
 * it (compiler/plan_task.c plan_stream_time, R samples served at once),
 * which is what the engine simulates.  By hand, a 8 -> 8 dense layer
 * (batch 1, mixed precision) by gemv_star on 2 copies of 2 x 2 PEs
 * (4 x 2) of mini16: per PE Kt = Nt = 4, partial sums 4 fp32 wavelets;
 * software per row: a loop (5), five descriptors (20), five vector
 * starts (10), four calls (8), three fabric starts (66) = 109; the
 * multiplies 4 x ceil(4 / 2) plus the clear ceil(4 / 4) = 9; the star
 * reduction max(4 x 1, 1 hop) + 2 ramps + relay 11 = 17; the multicast
 * back 1 hop + 2 ramps + 4 + 1 = 8: 143 cycles a sample, its latency
 * 143 + 2 ramps = 145.  One copy: 145 + 1023 x 143 = 146434; two copies
 * serve two samples at once: 145 + 1023 x 143 / 2 = 73289.5 (the engine's
 * interval 71.5).  Until the pick knew the copies it weighed 146434. */
static void test_copies_gemv(void)
{
	struct machine m;
	tp_load("mini16", &m);
	struct graph g;
	one_layer(0, 8, 8, 1, &g);
	struct plan p;
	plan_on(&g, &m, PLAN_JOB_INFER, PREC_MIXED, "gemv_star", 4, 2, 2, &p);
	struct plan_stage *s = &p.stages[0];
	CU_ASSERT_EQUAL(s->kernel, KERN_GEMV_STAR);
	struct rect cr = plan_copy_rect(s, 0);
	const struct kernel_work *k = &s->work[PASS_FWD];
	double one = plan_stream_time(&m, p.prec, &cr, k, 1, PLAN_INFER_STREAM);
	double two = plan_stream_time(&m, p.prec, &cr, k, 2, PLAN_INFER_STREAM);
	struct stats st;
	CU_ASSERT_EQUAL(tp_run(&p, &m, ENGINE_INFER, 0, 0, &st), 0);
	printf("\n    gemv_star 8x8 on 2 copies of %dx%d: task %llu, "
	       "estimate %.1f (one copy %.1f), engine interval %llu, "
	       "latency %llu",
	       (int)cr.w, (int)cr.h,
	       (unsigned long long)plan_task_occ(&m, p.prec, k), two, one,
	       (unsigned long long)st.infer_interval_cycles,
	       (unsigned long long)st.infer_latency_cycles);
	CU_ASSERT_EQUAL(plan_task_occ(&m, p.prec, k), 143);
	CU_ASSERT_DOUBLE_EQUAL(one, 146434, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(two, 73289.5, 1e-9);
	/* the engine serves the stream at the estimate's pace */
	CU_ASSERT((double)st.infer_interval_cycles >= 71 &&
		  (double)st.infer_interval_cycles <= 72);
	stats_release(&st);
	plan_release(&p);
	graph_release(&g);
}

/* A copied training stage: the pick weighs the weight-stationary
 * stream with its copies' flows along X sharing the links between their
 * columns (plan_copies_flows, as map.c lays them and the engine runs
 * them).  By hand, a 8 -> 128 dense layer (batch 8, a vector a sample,
 * mixed precision, its input needing no gradient) on 4 copies of 4 x 1
 * PEs (16 x 1) of mini16.  The stream, per PE tk = 2 inputs, tn = 128
 * outputs:
 *   forward: 256 FMAs over 2 lanes (128) and 256 other ops over 4 (the
 *   upstream's partial sums added, the bias: 64), SRAM reads 192 (the
 *   2 x 128 fp16 weights, 64 words; the fp32 sums read once per input,
 *   128) over 2 ports, writes 128 over 1: busy 192; task start 8,
 *   software 83 (once: a control and four descriptors, 18; the row: a
 *   loop 5, two descriptors 8, two calls 4, two vector starts 4, two
 *   fabric starts 44): 283.  Its partial sums, 128 fp32 wavelets, are
 *   relayed along the row (X): 129 wavelets with the input's 1;
 *   weighed max(283, 129) = 283.
 *   backward data (no gradient to pass on): the dy broadcast along the
 *   row (X) for the weight gradient, 128 fp16 = 64 wavelets, into SRAM
 *   (32 words, writes 32): 32 + 8 = 40; weighed max(40, 64) = 64.
 *   weight gradient: 256 FMAs (128), reads 33 + 128 over 2, writes
 *   128: busy 128, + 8 + 83 = 219; no flows (a row of one PE).
 * One copy: 283 + 64 + 219 = 566.  On 4 copies each link between two
 * columns carries the four copies' flows along X: 4 x 128 = 512 in the
 * forward, 4 x 64 = 256 in the backward: 512 + 256 + 219 = 987.
 * gemv_tree on a column of one PE (no reduction, no multicast), per row
 * of A: a loop 5, five descriptors 20, Kt + 1 vector starts, Kt calls;
 * the multiplies Kt x ceil(Nt / 2) and the clear ceil(Nt / 4); forward
 * (one row, Kt = 8, Nt = 32): 5 + 20 + 18 + 16 + 128 + 8 = 195; weight
 * gradient (8 rows of Kt = 1, Nt = 32): 8 x (5 + 20 + 4 + 2 + 16 + 8) =
 * 440; 635 in all.  Until the training pick knew the copies it weighed
 * the stream 566 and kept it; with them, 987: gemv_tree, which the
 * engine runs faster. */
static void test_copies_train(void)
{
	struct machine m;
	tp_load("mini16", &m);
	struct graph g;
	one_layer(0, 8, 128, 8, &g);
	struct plan p, q;
	plan_on(&g, &m, PLAN_JOB_TRAIN, PREC_MIXED, "auto", 16, 1, 4, &p);
	plan_on(&g, &m, PLAN_JOB_TRAIN, PREC_MIXED, "stream", 16, 1, 4, &q);
	const struct plan_stage *s = &p.stages[0], *t = &q.stages[0];
	struct kern_shape fwd = {1, 8, 128, 4, 1, PREC_MIXED, 0};
	struct kern_shape wgt = {8, 1, 128, 4, 1, PREC_MIXED, 0};
	struct kern_cost kf, kw;
	kern_eval(&m, KERN_GEMV_TREE, &fwd, &kf);
	kern_eval(&m, KERN_GEMV_TREE, &wgt, &kw);
	CU_ASSERT_EQUAL(kf.cycles, 195);
	CU_ASSERT_EQUAL(kw.cycles, 440);
	CU_ASSERT_EQUAL(t->kernel, KERN_STREAM);
	CU_ASSERT_EQUAL(t->work[PASS_FWD].link_wavelets, 512);
	CU_ASSERT_EQUAL(t->work[PASS_BWD_DATA].link_wavelets, 256);
	CU_ASSERT_EQUAL(s->kernel, KERN_GEMV_TREE);
	cycles_t picked = simulated(&p, &m), stream = simulated(&q, &m);
	printf("\n    8x128 on 4 copies of 4x1, training: pick %s, step %llu "
	       "(the stream's %llu)",
	       kern_name((enum kern_alg)s->kernel),
	       (unsigned long long)picked, (unsigned long long)stream);
	CU_ASSERT(picked < stream);
	plan_release(&p);
	plan_release(&q);
	graph_release(&g);
}

int suite_kern_pick(void);
int suite_kern_pick(void)
{
	static const struct tu_test tests[] = {
		{"training and inference: pick within 5% of every simulated "
		 "kernel",
		 test_pick_simulated},
		{"a non-WS kernel counts the weights once",
		 test_sram_weights_once},
		{"copies=2: the GEMV's stream estimate is the engine's "
		 "(hand-computed)",
		 test_copies_gemv},
		{"copies=4, training: the stream weighed with its copies' "
		 "X-link load (hand-computed)",
		 test_copies_train},
		{0, 0}};
	return tu_add_suite("kern_pick", tests);
}
