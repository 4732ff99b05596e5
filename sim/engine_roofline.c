/*
 * engine_roofline.c: the analytic estimate of a plan (engine.h), not
 * simulated: the slowest per-sample pace, fill and drain, the shared-weight
 * sync, or for weight streaming every layer's weights against its compute.
 */
#include "sim/engine_int.h"

#include <stdlib.h>
#include <string.h>

#include "compiler/plan_estimate.h"
#include "fabric/timing.h"


/* Weight streaming: per micro-batch pass and layer, the micro-batch's
 * compute or its weights' stream in, the longer (backward: the forward
 * again where recomputed; the gradients leave on the other direction). */
static void roofline_streaming(const struct plan *p, const struct machine *m,
			       int64_t batch, double io,
			       struct engine_roofline *out)
{
	double ebpc = m->extmem.bandwidth_gbytes_s / m->clock_ghz;
	int64_t mb = p->micro_batch > 0 && p->micro_batch < batch
			     ? p->micro_batch : batch;
	double passes = (double)((batch + mb - 1) / mb);
	double step = 0, inf = 0;
	for (int i = 0; i < p->n_stages; i++) {
		const struct plan_stage *ps = &p->stages[i];
		double w = (double)(ps->stream_bytes > 0
					    ? ps->stream_bytes
					    : ps->sram.weights * ps->r.w * ps->r.h) /
			   ebpc;
		double f = (double)engine_task_occ(m, p->prec,
						   &ps->work[PASS_FWD], NULL);
		double b = (double)engine_task_occ(m, p->prec,
						   &ps->work[PASS_BWD_DATA], NULL) +
			   (double)engine_task_occ(m, p->prec,
						   &ps->work[PASS_BWD_WEIGHT], NULL) +
			   (ps->recompute ? f : 0);
		step += (f * mb > w ? f * mb : w) + (b * mb > w ? b * mb : w);
		inf += f * batch > w ? f * batch : w;
	}
	step *= passes;
	out->step_cycles = step + io * batch;
	out->sample_cycles = step / batch;
	out->infer_sample_cycles = inf / batch;
	out->limit = LIMIT_EXTMEM;
}

/* The paces so far (per sample: all passes, forward only) and what sets
 * them; the heaviest update. */
struct roof_pace {
	double worst, fworst, upd;
	enum stats_limit limit;
};

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
		if (c > rp->worst) {
			rp->worst = c;
			rp->limit = l;
		}
		if (f > rp->fworst)
			rp->fworst = f;

		double u = (double)engine_task_occ(m, p->prec,
						   &ps->work[PASS_UPDATE], NULL);
		if (u > rp->upd)
			rp->upd = u;
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
		if (ser > rp->worst) {
			rp->worst = ser;
			rp->limit = LIMIT_FABRIC;
		}
		if (r->pass != PASS_BWD_DATA && ser > rp->fworst)
			rp->fworst = ser;
	}
}

/* Fill and drain: the longest path of forward tasks (occupancy, fill
 * across the rectangle) and routes (hops) from the host. */
static double roofline_depth(const struct plan *p, const struct machine *m,
			     double io)
{
	double hop = (double)fabric_hop_cycles(&m->fabric);
	double depth = 0;
	double *dist = xcalloc((size_t)p->n_stages + 1, sizeof(double));
	for (int round = 0; round <= p->n_stages; round++) {
		int changed = 0;
		for (int i = 0; i < p->n_routes; i++) {
			const struct plan_route *r = &p->routes[i];
			if (r->pass != PASS_FWD || r->dst_stage < 0)
				continue;
			double t = r->src_stage < 0 ? io + (double)m->io.latency_cycles
						    : dist[r->src_stage];
			if (r->src_stage >= 0) {
				const struct plan_stage *ps = &p->stages[r->src_stage];
				t += (double)engine_task_occ(m, p->prec,
							     &ps->work[PASS_FWD], NULL) +
				     hop * (ps->r.w + ps->r.h);
			}
			for (int k = 0; k + 1 < r->n_points; k++)
				t += hop * (abs(r->points[k + 1].x - r->points[k].x) +
					    abs(r->points[k + 1].y - r->points[k].y));
			if (t > dist[r->dst_stage]) {
				dist[r->dst_stage] = t;
				changed = 1;
			}
		}
		if (!changed)
			break;
	}
	for (int i = 0; i < p->n_stages; i++) {
		const struct plan_stage *ps = &p->stages[i];
		double t = dist[i] + (double)engine_task_occ(m, p->prec,
							     &ps->work[PASS_FWD], NULL) +
			   hop * (ps->r.w + ps->r.h);
		if (t > depth)
			depth = t;
	}
	free(dist);
	return depth;
}

/* Shared weights: the longest (replica, owner) round, gradients then
 * weights back, serialised over the bundle (lanes as the engine's: the
 * rectangles' extents across the first and last hop), after the replica's
 * last backward and before its next forward. */
static double roofline_sync(const struct plan *p, const struct machine *m)
{
	double sync = 0;
	for (int i = 0; i < p->n_routes; i++) {
		const struct plan_route *r = &p->routes[i];
		if (r->kind != ROUTE_GRAD_SYNC || r->src_stage < 0 ||
		    r->dst_stage < 0)
			continue;
		double round = 0;
		for (int j = 0; j < p->n_routes; j++) {
			const struct plan_route *q = &p->routes[j];
			if (j != i && (q->kind != ROUTE_WEIGHT_SYNC ||
				       q->src_stage != r->dst_stage ||
				       q->dst_stage != r->src_stage))
				continue;
			double ser = (double)ceil_div64(
				fabric_wavelets(&m->fabric, q->bytes_per_step),
				plan_sync_lanes(p, m, q));
			round += ser;
		}
		if (round > sync)
			sync = round;
	}
	return sync;
}

void engine_roofline(const struct plan *p, const struct machine *m,
		     int64_t batch, struct engine_roofline *out)
{
	memset(out, 0, sizeof(*out));
	if (batch <= 0)
		batch = p->batch > 0 ? p->batch : 1;
	double bpc = m->io.bandwidth_gbytes_s / m->clock_ghz;
	double in_bytes = 0;
	for (int i = 0; i < p->n_routes; i++)
		if (p->routes[i].src_stage < 0)
			in_bytes += (double)p->routes[i].wavelets_per_sample *
				    (double)(m->fabric.wavelet_bits / 8);
	double io = in_bytes / bpc;
	if (p->mode == MODE_STREAMING) {
		roofline_streaming(p, m, batch, io, out);
		return;
	}
	struct roof_pace rp = {io, io, 0, LIMIT_IO};
	roofline_stages(p, m, &rp);
	roofline_routes(p, &rp);
	double depth = roofline_depth(p, m, io);
	double sync = roofline_sync(p, m);
	out->limit = rp.limit;
	/* in series with the batch's pace (not a per-sample cost) */
	if (sync > rp.worst * (double)batch)
		out->limit = LIMIT_FABRIC;
	out->sample_cycles = rp.worst;
	out->infer_sample_cycles = rp.fworst;
	/* fill and drain: forward and backward through the chain once */
	out->step_cycles = rp.worst * (double)batch + 2 * depth + rp.upd + sync;
}
