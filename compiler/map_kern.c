/*
 * map_kern.c: which algorithm a dense stage runs (see map_int.h, map.h).
 *
 * The three passes are three products on the same rectangle:
 *   forward        Y[M x N]  = X[M x K] W[K x N]
 *   backward data  dX[M x K] = dY[M x N] W^T[N x K]
 *   weight grad    dW[K x N] = X^T[K x M] dY[M x N]
 * The pick serves the plan's job (map_ctx job).  Training: the stage's
 * pace is the sum of the three (as map.c's stage_cycles): for the
 * weight-stationary mapping the busiest of the PE's work (with its
 * software) and its wavelets, for another algorithm its whole time.
 * Inference runs the forward alone, sample after sample as the engine
 * streams them, and is weighed as the inference plan's objective weighs
 * it (compiler/plan.h PLAN_INFER_STREAM, plan_build.c est_cost): a
 * stream of PLAN_INFER_STREAM predictions, the first sample's latency
 * (the task's time from its start to its output leaving the rectangle,
 * plan_task_time) then the others at the task's occupancy
 * (plan_task_occ), so the pace per prediction decides and the latency
 * breaks near ties, whatever the plan's batch (a batch-1 GEMV answers
 * sooner than the stream's relay chain, but the stream serves a sample
 * per occupancy of a few hundred cycles where the GEMV keeps the
 * rectangle busy its whole time); only the forward's algorithm is
 * replaced and only its SRAM counted (the backward passes keep the
 * mapping's work: an inference plan never runs them).
 */
#include <stdio.h>
#include <string.h>

#include "compiler/kern.h"
#include "compiler/map_int.h"
#include "compiler/plan_estimate.h"

static const enum pass passes[] = {PASS_FWD, PASS_BWD_DATA,
				   PASS_BWD_WEIGHT};

/* Does the pick's job run pass p of the product: inference the forward
 * alone, training every pass (backward data when the input needs it). */
static int job_runs(const struct map_ctx *c, int needs_grad, enum pass p)
{
	if (c->job == PLAN_JOB_INFER)
		return p == PASS_FWD;
	return p != PASS_BWD_DATA || needs_grad;
}

/* Work k as a stage's `copies` sample copies run it, into *out: their
 * flows along X sharing the links between their columns
 * (plan_copies_flows, as map.c lays them). */
static void as_copies(const struct kernel_work *k, int copies,
		      struct kernel_work *out)
{
	*out = *k;
	if (copies > 1)
		plan_copies_flows(out, copies);
}

/* What inference charges forward work k on w x h (one copy's rectangle)
 * of a stage with `copies` sample copies: a stream of PLAN_INFER_STREAM
 * predictions, one sample's latency, then a pace per further sample (the
 * objective's weighing, plan.h), as the copies run it (as_copies), R
 * samples served at once (plan_stream_time, the engine's schedule). */
static double infer_cycles(const struct map_ctx *c, const struct kernel_work *k,
			   int32_t w, int32_t h, int copies)
{
	struct rect r = {0, 0, w, h};
	struct kernel_work kk;
	as_copies(k, copies, &kk);
	return plan_stream_time(c->m, c->prec, &r, &kk, copies,
				PLAN_INFER_STREAM);
}

static void pass_shape(const struct map_ctx *c, enum pass p, int64_t M,
		       int64_t K, int64_t N, int32_t w, int32_t h,
		       struct kern_shape *s)
{
	*s = (struct kern_shape){M, K, N, w, h, c->prec, c->groups};
	if (p == PASS_BWD_DATA) {
		s->K = N;
		s->N = K;
	} else if (p == PASS_BWD_WEIGHT) {
		s->M = K;
		s->K = M;
	}
}

/* The weight-stationary mapping's software, beside its task starts. */
static void stream_software(const struct map_ctx *c, int needs_grad,
			    int64_t M, int64_t K, int64_t N, int32_t w,
			    int32_t h, struct plan_stage *o)
{
	for (size_t i = 0; i < ARRAY_SIZE(passes); i++) {
		enum pass p = passes[i];
		if (p == PASS_BWD_DATA && !needs_grad)
			continue;
		struct kern_shape s;
		/* backward data runs the transposed flows (N broadcast
		 * along the rows, K reduced down the columns); the weight
		 * gradient is the forward's program on the PE's own tile
		 * (a row of x and dy per row of the sample) */
		pass_shape(c, p == PASS_BWD_DATA ? p : PASS_FWD, M, K, N,
			   p == PASS_BWD_DATA ? h : w,
			   p == PASS_BWD_DATA ? w : h, &s);
		struct kern_cost k;
		kern_eval(c->m, KERN_STREAM, &s, &k);
		struct pe_prog sw = k.prog;
		sw.tasks = 0; /* the work's own task starts count them */
		o->work[p].pe.sw_cycles = (int64_t)pe_prog_cycles(&c->m->pe,
								  &sw);
	}
}

/* The weight-stationary mapping's training pace of stage o, as its
 * `copies` sample copies run it (as_copies): per pass the busiest of the
 * PE's work and its wavelets, the links its copies share among them. */
static cycles_t stream_pace(const struct map_ctx *c,
			    const struct plan_stage *o, int copies)
{
	cycles_t t = 0;
	for (size_t i = 0; i < ARRAY_SIZE(passes); i++) {
		struct kernel_work kk;
		as_copies(&o->work[passes[i]], copies, &kk);
		const struct kernel_work *k = &kk;
		cycles_t comp = pe_work_cycles(&c->m->pe, c->prec, &k->pe);
		int64_t own = k->bcast_wavelets + k->reduce_wavelets +
			      k->halo_wavelets;
		cycles_t wav = (cycles_t)(own > k->link_wavelets
						  ? own
						  : k->link_wavelets);
		t += comp > wav ? comp : wav;
	}
	return t;
}

/* What of pass p's SRAM (cost) the stage already holds: its weights are
 * the B of the forward and backward-data products, its weight gradient
 * the C of the weight-gradient product, each counted once. */
static int64_t alt_shared(enum pass p, const struct kern_cost *cost,
			  const struct plan_stage *o)
{
	int64_t own = p == PASS_BWD_WEIGHT ? cost->c_bytes : cost->b_bytes;
	int64_t held = p == PASS_BWD_WEIGHT ? o->sram.grads : o->sram.weights;
	return own < held ? own : held;
}

/* SRAM a PE of the stage needs running pass p by an algorithm of cost
 * `cost`: the stage's own data (weights, gradients, optimizer state,
 * activations) beside the algorithm's buffers and code. */
static int64_t alt_sram(enum pass p, const struct kern_cost *cost,
			const struct plan_stage *o)
{
	int64_t other = o->sram.total - o->sram.buffers - o->sram.code;
	return other + cost->sram_bytes - alt_shared(p, cost, o);
}

/* Pass p's work run by an algorithm of cost `cost` in place of k's: the
 * same FMAs and SRAM traffic per PE (energy); the algorithm's time, its
 * communication inside, on top. */
static void alt_work(const struct map_ctx *c, const struct kern_cost *cost,
		     struct kernel_work *k)
{
	k->pe.tasks = 0;
	k->pe.sw_cycles = 0;
	k->bcast_wavelets = k->reduce_wavelets = k->halo_wavelets = 0;
	cycles_t own = pe_work_cycles(&c->m->pe, c->prec, &k->pe);
	k->pe.sw_cycles = cost->cycles > own ? (int64_t)(cost->cycles - own)
					     : 0;
}

/* Algorithm a's cost for the job in *total (training: its time over the
 * passes; inference: infer_cycles of its forward) and per pass in cost;
 * 0 if it cannot run the shape or does not fit beside the stage's other
 * SRAM in a pass the job runs. */
static int alt_cost(const struct map_ctx *c, enum kern_alg a, int needs_grad,
		    int64_t M, int64_t K, int64_t N, int32_t w, int32_t h,
		    int copies, const struct plan_stage *o,
		    struct kern_cost *cost, double *total)
{
	*total = 0;
	for (size_t i = 0; i < ARRAY_SIZE(passes); i++) {
		enum pass p = passes[i];
		if (!job_runs(c, needs_grad, p))
			continue;
		struct kern_shape s;
		pass_shape(c, p, M, K, N, w, h, &s);
		kern_eval(c->m, a, &s, &cost[p]);
		if (!cost[p].applicable ||
		    alt_sram(p, &cost[p], o) > c->m->pe.sram_bytes)
			return 0;
		*total += (double)cost[p].cycles;
	}
	if (c->job == PLAN_JOB_INFER) {
		struct kernel_work k = o->work[PASS_FWD];
		alt_work(c, &cost[PASS_FWD], &k);
		*total = infer_cycles(c, &k, w, h, copies);
	}
	return 1;
}

/* Replace the mapping's work by algorithm a's in the passes the job runs. */
static void use_alt(const struct map_ctx *c, enum kern_alg a, int needs_grad,
		    const struct kern_cost *cost,
		    struct plan_stage *o)
{
	int64_t buf = 0;
	for (size_t i = 0; i < ARRAY_SIZE(passes); i++) {
		enum pass p = passes[i];
		if (!job_runs(c, needs_grad, p))
			continue;
		alt_work(c, &cost[p], &o->work[p]);
		/* its buffers: what the stage does not already hold */
		int64_t b = cost[p].sram_bytes - c->m->pe.code_bytes -
			    alt_shared(p, &cost[p], o);
		if (b > buf)
			buf = b;
	}
	o->kernel = a;
	o->kernel_groups = cost[PASS_FWD].groups;
	struct sram_use *m = &o->sram;
	m->buffers = buf;
	m->total = m->weights + m->grads + m->opt_state + m->activations +
		   m->buffers + m->code;
}

void map_kern_apply(const struct map_ctx *c, int needs_grad, int64_t M,
		    int64_t K, int64_t N, int32_t w, int32_t h, int copies,
		    struct plan_stage *o)
{
	o->kernel = KERN_STREAM;
	o->kernel_groups = 0;
	stream_software(c, needs_grad, M, K, N, w, h, o);
	int forced = kern_from_name(c->kernel); /* "auto": -1, the pick */
	if (forced == KERN_STREAM)
		return;
	double best = c->job == PLAN_JOB_INFER
			      ? infer_cycles(c, &o->work[PASS_FWD], w, h,
					     copies)
			      : (double)stream_pace(c, o, copies);
	int pick = -1;
	struct kern_cost cost[PASS_COUNT], keep[PASS_COUNT];
	for (int a = KERN_STREAM + 1; a < KERN_COUNT; a++) {
		if (forced >= 0 && a != forced)
			continue;
		double t;
		memset(cost, 0, sizeof(cost));
		if (!alt_cost(c, (enum kern_alg)a, needs_grad, M, K, N, w, h,
			      copies, o, cost, &t))
			continue;
		if (forced >= 0 || t < best) {
			best = t;
			pick = a;
			memcpy(keep, cost, sizeof(keep));
		}
	}
	if (pick >= 0)
		use_alt(c, (enum kern_alg)pick, needs_grad, keep, o);
}

int map_kern_why_not(const struct map_ctx *c, int needs_grad, int64_t M,
		     int64_t K, int64_t N, int32_t w, int32_t h,
		     const struct plan_stage *o, char *why, size_t n)
{
	int forced = c->kernel ? kern_from_name(c->kernel) : -1;
	why[0] = 0;
	if (forced <= KERN_STREAM || o->kernel == forced)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(passes); i++) {
		if (!job_runs(c, needs_grad, passes[i]))
			continue;
		struct kern_shape s;
		struct kern_cost k;
		pass_shape(c, passes[i], M, K, N, w, h, &s);
		kern_eval(c->m, (enum kern_alg)forced, &s, &k);
		if (kern_why_not(c->m, (enum kern_alg)forced, &s, &k, 0, why,
				 n))
			return 1;
		int64_t need = alt_sram(passes[i], &k, o);
		if (need > c->m->pe.sram_bytes) {
			snprintf(why, n, "%s needs %lld B of SRAM per PE on "
				 "%dx%d (its buffers and code beside the "
				 "stage's weights, gradients and "
				 "activations), the PE has %lld B", c->kernel,
				 (long long)need, (int)w, (int)h,
				 (long long)c->m->pe.sram_bytes);
			return 1;
		}
	}
	snprintf(why, n, "%s was not picked on %dx%d", c->kernel, (int)w,
		 (int)h);
	return 1;
}
