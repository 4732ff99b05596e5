/*
 * engine_roofline.c: the analytic bound of a plan (engine.h), not
 * simulated: no training step of the plan can be shorter, because each
 * term is work one resource must do alone within a step (a stage's
 * reference PE, a route's lanes, the host link, the external memory's
 * two directions), and the step is at least the largest.  Weight
 * streaming: the wafer's compute, the weights in and the gradients out,
 * each in series on its resource, overlapping each other.
 */
#include "sim/engine_int.h"

#include <stdlib.h>
#include <string.h>

#include "compiler/plan_estimate.h"
#include "fabric/timing.h"

/* Weight bytes a stage streams in per pass, as the engine counts them
 * (engine_stream.c); a table lookup streams only the rows its ids select,
 * which the plan does not know: 0, so the sum stays a lower bound. */
static double stream_weight_bytes(const struct plan_stage *ps)
{
	if (ps->kind == KERNEL_EMBEDDING)
		return 0;
	return (double)(ps->stream_bytes > 0
				? ps->stream_bytes
				: ps->sram.weights * ps->r.w * ps->r.h);
}

/* Weight streaming: the layers run in turn over the whole wafer, so a step
 * holds every layer's compute of the batch (the recomputed forward too)
 * in series; the weights stream in twice per micro-batch pass (forward,
 * backward) and the gradients out once, each direction in series, while
 * the wafer computes; the first weights arrive after the memory's
 * latency.  The step is at least the longest of the three plus that
 * latency.  Inference (`samples` streamed as one batch): the forward
 * compute of them all or one stream of the weights. */
static void roofline_streaming(const struct plan *p, const struct machine *m,
			       int64_t batch, int64_t samples, int wafers,
			       struct engine_roofline *out)
{
	/* the weights' link as the engine streams over it: the external
	 * memory, and with several wafers the interconnect's tree */
	double ebpc;
	cycles_t link_lat;
	plan_stream_link(m, wafers, &ebpc, &link_lat);
	int64_t mb = p->micro_batch > 0 && p->micro_batch < batch
			     ? p->micro_batch : batch;
	double passes = (double)((batch + mb - 1) / mb);
	double comp = 0, fwd = 0, w = 0;
	for (int i = 0; i < p->n_stages; i++) {
		const struct plan_stage *ps = &p->stages[i];
		double f = (double)engine_task_occ(m, p->prec,
						   &ps->work[PASS_FWD], NULL);
		double b = (double)engine_task_occ(m, p->prec,
						   &ps->work[PASS_BWD_DATA], NULL) +
			   (double)engine_task_occ(m, p->prec,
						   &ps->work[PASS_BWD_WEIGHT], NULL) +
			   (ps->recompute ? f : 0);
		comp += (f + b) * (double)batch;
		fwd += f;
		w += stream_weight_bytes(ps) / ebpc;
	}
	double in = 2 * w * passes, gout = w * passes, lat = (double)link_lat;
	double step = comp;
	out->limit = LIMIT_COMPUTE;
	if (in > step) {
		step = in;
		out->limit = LIMIT_EXTMEM;
	}
	if (gout > step)
		step = gout;
	out->step_cycles = step + lat;
	out->sample_cycles = step / (double)batch;
	if (samples < 1)
		samples = batch;
	double inf = fwd * (double)samples > w ? fwd * (double)samples : w;
	out->infer_sample_cycles = (inf + lat) / (double)samples;
	out->infer_is_bound = 1;
}

/* The bound so far: per step (batch x a resource's time per sample, plus
 * what it does once per step) and what sets it; the forward pace per
 * sample (inference). */
struct roof_pace {
	double batch;
	double step, worst, fworst;
	enum stats_limit limit;
};

/* A resource busy `per_sample` cycles for each sample of the batch and
 * `once` more per step. */
static void roof_term(struct roof_pace *rp, double per_sample, double once,
		      enum stats_limit l)
{
	double t = per_sample * rp->batch + once;
	if (t > rp->step) {
		rp->step = t;
		rp->worst = per_sample;
		rp->limit = l;
	}
}

static void roofline_stages(const struct plan *p, const struct machine *m,
			    struct roof_pace *rp)
{
	for (int i = 0; i < p->n_stages; i++) {
		const struct plan_stage *ps = &p->stages[i];
		enum stats_limit l = LIMIT_COMPUTE, lk;
		double c = 0, f = 0, heaviest = -1;
		for (int k = 0; k < PASS_UPDATE; k++) {
			double o = (double)engine_task_occ(m, p->prec, &ps->work[k],
							   &lk);
			c += o;
			if (k == PASS_FWD)
				f = o;
			if (o > heaviest) {
				heaviest = o;
				l = lk;
			}
		}
		/* sample copies (plan.h): R copies serve R samples at once */
		c /= (double)plan_copies(ps);
		f /= (double)plan_copies(ps);
		if (f > rp->fworst)
			rp->fworst = f;
		/* its reference PE: every task of the batch, then the update */
		double u = (double)engine_task_occ(m, p->prec,
						   &ps->work[PASS_UPDATE], NULL);
		roof_term(rp, c, u, l);
	}
}

/* Routes: a sample's wavelets over the lanes of the stream. */
static void roofline_routes(const struct plan *p, struct roof_pace *rp)
{
	for (int i = 0; i < p->n_routes; i++) {
		const struct plan_route *r = &p->routes[i];
		int64_t lanes = plan_route_lanes(p, r);
		if (r->kind != ROUTE_SAMPLE)
			continue; /* once per step: roofline_sync() */
		double ser = (double)ceil_div64(r->wavelets_per_sample, lanes);
		roof_term(rp, ser, 0, LIMIT_FABRIC);
		if (r->pass != PASS_BWD_DATA && ser > rp->fworst)
			rp->fworst = ser;
	}
}

/* Shared weights: a replica computes its batch, sends its gradients to
 * the owner, which updates, and waits for the weights back before its
 * next forward: all in series within a step (serialised over the bundle,
 * lanes as the engine's: the rectangles' extents across the first and
 * last hop). */
static void roofline_sync(const struct plan *p, const struct machine *m,
			  struct roof_pace *rp)
{
	for (int i = 0; i < p->n_routes; i++) {
		const struct plan_route *r = &p->routes[i];
		if (r->kind != ROUTE_GRAD_SYNC || r->src_stage < 0 ||
		    r->dst_stage < 0)
			continue;
		double round = 0, c = 0;
		for (int j = 0; j < p->n_routes; j++) {
			const struct plan_route *q = &p->routes[j];
			if (j != i && (q->kind != ROUTE_WEIGHT_SYNC ||
				       q->src_stage != r->dst_stage ||
				       q->dst_stage != r->src_stage))
				continue;
			round += (double)ceil_div64(
				fabric_wavelets(&m->fabric, q->bytes_per_step),
				plan_sync_lanes(p, m, q));
		}
		const struct plan_stage *rs = &p->stages[r->src_stage];
		const struct plan_stage *os = &p->stages[r->dst_stage];
		for (int k = 0; k < PASS_UPDATE; k++)
			c += (double)engine_task_occ(m, p->prec, &rs->work[k],
						     NULL);
		c /= (double)plan_copies(rs);
		round += (double)engine_task_occ(m, p->prec,
						 &os->work[PASS_UPDATE], NULL);
		roof_term(rp, c, round, LIMIT_FABRIC);
	}
}

void engine_roofline(const struct plan *p, const struct machine *m,
		     int64_t batch, struct engine_roofline *out)
{
	engine_roofline_run(p, m, batch, 0, 1, out);
}

void engine_roofline_run(const struct plan *p, const struct machine *m,
			 int64_t batch, int64_t infer_samples, int wafers,
			 struct engine_roofline *out)
{
	memset(out, 0, sizeof(*out));
	if (batch <= 0)
		batch = p->batch > 0 ? p->batch : 1;
	double bpc = m->io.bandwidth_gbytes_s / m->clock_ghz;
	double in_bytes = 0;
	for (int i = 0; i < p->n_routes; i++)
		if (plan_route_host_input(p, i)) /* a multicast's once */
			in_bytes += (double)p->routes[i].wavelets_per_sample *
				    (double)(m->fabric.wavelet_bits / 8);
	double io = in_bytes / bpc;
	if (p->mode == MODE_STREAMING) {
		roofline_streaming(p, m, batch, infer_samples, wafers, out);
		return;
	}
	struct roof_pace rp = {(double)batch, 0, 0, io, LIMIT_IO};
	roof_term(&rp, io, 0, LIMIT_IO); /* the host link */
	roofline_stages(p, m, &rp);
	roofline_routes(p, &rp);
	roofline_sync(p, m, &rp);
	out->limit = rp.limit;
	out->sample_cycles = rp.worst;
	out->infer_sample_cycles = rp.fworst;
	out->step_cycles = rp.step;
}
