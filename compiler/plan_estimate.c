/*
 * plan_estimate.c: the placement objective (plan_estimate.h): the engine's
 * timing rules applied to a plan in closed form.
 *
 * Pipelined training, one step of batch B:
 *     step = fill + drain + (B - 1) pace + update + sync
 * fill: the first sample's forward along the longest path (host I/O and
 * latency, every stage's task occupancy and latency: ramps, broadcast
 * fill, the reduction relay; every route's hops, ramps and serialisation);
 * drain: the last sample's backward to the data along the longest path
 * back, then the weight gradient; pace: per sample, the slowest of the
 * stages (all passes), the routes (serialisation over their lanes, plus
 * that of routes sharing a link with them) and the host input; update: the
 * longest; sync: the longest shared-weight round (gradients, then weights
 * back, each serialised over its bundle, plus the sync streams sharing its
 * links, since they all start at the end of the step).
 * Weight streaming: every layer in turn, the batch's compute or its
 * weights' stream (in for forward; in, and gradients out, for backward),
 * the longer, plus host input.
 * Inference: the slowest forward task, forward route or host input.
 */
#include "compiler/plan_estimate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/map_share.h"
#include "cores/pe.h"
#include "fabric/timing.h"
#include "ground/util.h"

static int64_t ceil_div64(int64_t a, int64_t b)
{
	return b > 0 ? (a + b - 1) / b : a;
}

static double dmax(double a, double b)
{
	return a > b ? a : b;
}

int64_t plan_sync_lanes(const struct plan *p, const struct machine *m,
			  const struct plan_route *r)
{
	if (r->n_points < 2)
		return 1;
	const struct plan_point *a = &r->points[0], *b = &r->points[1];
	const struct plan_point *y = &r->points[r->n_points - 2],
				*z = &r->points[r->n_points - 1];
	const struct rect *sr = &p->stages[r->src_stage].r;
	const struct rect *dr = &p->stages[r->dst_stage].r;
	int ex0 = a->x != b->x, ex1 = y->x != z->x;
	int64_t lo = ex0 ? sr->h : sr->w, li = ex1 ? dr->h : dr->w;
	int64_t l = lo < li ? lo : li;
	int64_t s0 = ex0 ? m->height : m->width, s1 = ex1 ? m->height : m->width;
	l = l > s0 ? s0 : l;
	l = l > s1 ? s1 : l;
	return l < 1 ? 1 : l;
}

static int64_t route_hops(const struct plan_route *r)
{
	int64_t h = 0;
	for (int k = 0; k + 1 < r->n_points; k++)
		h += llabs((long long)r->points[k + 1].x - r->points[k].x) +
		     llabs((long long)r->points[k + 1].y - r->points[k].y);
	return h;
}

/* Serialisation of every route (per sample, or per step for syncs). */
static void route_sers(const struct plan *p, const struct machine *m,
		       double *ser)
{
	for (int i = 0; i < p->n_routes; i++) {
		const struct plan_route *r = &p->routes[i];
		if (r->kind == ROUTE_SAMPLE)
			ser[i] = (double)ceil_div64(r->wavelets_per_sample,
						    plan_route_lanes(p, r));
		else
			ser[i] = (double)ceil_div64(
				fabric_wavelets(&m->fabric, r->bytes_per_step),
				plan_sync_lanes(p, m, r));
	}
}

/* The band of lines a bundle of `lanes` covers around line c (centred,
 * kept inside the grid's `span` lines), as the engine lays bundles. */
static void band(int64_t c, int64_t lanes, int64_t span, int64_t *lo,
		 int64_t *hi)
{
	*lo = c - lanes / 2;
	if (*lo + lanes > span)
		*lo = span - lanes;
	if (*lo < 0)
		*lo = 0;
	*hi = *lo + lanes;
}

/* Do two straight segments, as bundles of la and lb lanes, share a link?
 * Along the same lines, in the same direction, overlapping. */
static int seg_share(const struct machine *m, struct plan_point a0,
		     struct plan_point a1, int64_t la, struct plan_point b0,
		     struct plan_point b1, int64_t lb)
{
	int ha = a0.y == a1.y && a0.x != a1.x, hb = b0.y == b1.y && b0.x != b1.x;
	int va = a0.x == a1.x && a0.y != a1.y, vb = b0.x == b1.x && b0.y != b1.y;
	int32_t as, ae, bs, be;
	int64_t ac, bc, span;
	if (ha && hb) {
		as = a0.x, ae = a1.x, bs = b0.x, be = b1.x;
		ac = a0.y, bc = b0.y, span = m->height;
	} else if (va && vb) {
		as = a0.y, ae = a1.y, bs = b0.y, be = b1.y;
		ac = a0.x, bc = b0.x, span = m->width;
	} else {
		return 0;
	}
	if ((ae > as) != (be > bs))
		return 0;
	int32_t alo = as < ae ? as : ae, ahi = as < ae ? ae : as;
	int32_t blo = bs < be ? bs : be, bhi = bs < be ? be : bs;
	if (!(alo < bhi && blo < ahi))
		return 0;
	int64_t l0, h0, l1, h1;
	band(ac, la, span, &l0, &h0);
	band(bc, lb, span, &l1, &h1);
	return l0 < h1 && l1 < h0;
}

static int routes_share(const struct machine *m, const struct plan_route *a,
			int64_t la, const struct plan_route *b, int64_t lb)
{
	for (int i = 0; i + 1 < a->n_points; i++)
		for (int j = 0; j + 1 < b->n_points; j++)
			if (seg_share(m, a->points[i], a->points[i + 1], la,
				      b->points[j], b->points[j + 1], lb))
				return 1;
	return 0;
}

static int64_t *all_lanes(const struct plan *p, const struct machine *m)
{
	int64_t *lanes = xcalloc((size_t)p->n_routes + 1, sizeof(int64_t));
	for (int i = 0; i < p->n_routes; i++)
		lanes[i] = p->routes[i].kind == ROUTE_SAMPLE
				   ? plan_route_lanes(p, &p->routes[i])
				   : plan_sync_lanes(p, m, &p->routes[i]);
	return lanes;
}

/*
 * The shared-weight round, reserved as the engine does: every gradient
 * stream ready at the end of the step's backward, in route order, starts
 * when the earlier ones sharing a link with it have ended; an owner's
 * update waits for all its replicas' gradients; every weight stream is
 * then ready and reserved the same way.  Returns the last end.
 */
static double sync_round(const struct plan *p, const struct machine *m,
			 const double *ser, double update)
{
	int n = p->n_routes;
	int64_t *lanes = all_lanes(p, m);
	double *end = xcalloc((size_t)n + 1, sizeof(double));
	double *own = xcalloc((size_t)p->n_stages + 1, sizeof(double));
	double last = 0;
	for (int kind = ROUTE_GRAD_SYNC; kind <= ROUTE_WEIGHT_SYNC; kind++)
		for (int i = 0; i < n; i++) {
			const struct plan_route *r = &p->routes[i];
			if (r->kind != kind)
				continue;
			double start = kind == ROUTE_GRAD_SYNC
					       ? 0
					       : own[r->src_stage] + update;
			for (int j = 0; j < n; j++)
				if (end[j] > start && j != i &&
				    p->routes[j].kind != ROUTE_SAMPLE &&
				    routes_share(m, r, lanes[i], &p->routes[j],
						 lanes[j]))
					start = end[j];
			end[i] = start + ser[i] +
				 (double)fabric_stream_cycles(&m->fabric,
							      route_hops(r), 1);
			if (kind == ROUTE_GRAD_SYNC)
				own[r->dst_stage] = dmax(own[r->dst_stage],
							 end[i]);
			last = dmax(last, end[i]);
		}
	free(lanes);
	free(end);
	free(own);
	return last;
}

/* Host input per sample, in cycles at the I/O bandwidth. */
static double io_pace(const struct plan *p, const struct machine *m)
{
	double bpc = m->io.bandwidth_gbytes_s / m->clock_ghz;
	double bytes = 0;
	for (int i = 0; i < p->n_routes; i++)
		if (plan_route_host_input(p, i))
			bytes += (double)p->routes[i].wavelets_per_sample *
				 (double)(m->fabric.wavelet_bits / 8);
	return bytes / bpc;
}

/* The paces: every stage's, every sample route's serialisation, the
 * host's.  Sample routes sharing links are not charged each other's
 * serialisation: their streams are staggered in time (charging it
 * overestimated vit_b16's annealed step by half). */
static void paces(const struct plan *p, const struct machine *m,
		  const double *ser, struct plan_est *e)
{
	double B = (double)(p->batch > 0 ? p->batch : 1);
	e->pace_stage = e->pace_route = -1;
	int shared = map_share_any(p);
	for (int i = 0; i < p->n_stages; i++) {
		const struct plan_stage *s = &p->stages[i];
		double c = 0, f;
		for (int k = 0; k < PASS_UPDATE; k++)
			c += (double)plan_task_occ(m, p->prec, &s->work[k]);
		/* sample copies serve that many samples at once */
		c /= (double)plan_copies(s);
		if (shared)
			c += map_share_cotenants(p, m, i, 1, plan_task_occ);
		/* the update once per step: its share of the batch, as the
		 * engine's cycles per sample of a stage count it (the step's
		 * terms charge it apart: pipeline(), e->update) */
		c += (double)plan_task_occ(m, p->prec, &s->work[PASS_UPDATE]) /
		     B;
		if (c > e->stage_pace) {
			e->stage_pace = c;
			e->pace_stage = i;
		}
		f = plan_task_pace(m, p->prec, &s->work[PASS_FWD],
				   plan_copies(s));
		if (shared)
			f += map_share_cotenants(p, m, i, 0, plan_task_occ);
		e->infer_cycles = dmax(e->infer_cycles, f);
		e->update = dmax(e->update,
				 (double)plan_task_occ(m, p->prec,
						       &s->work[PASS_UPDATE]));
	}
	for (int i = 0; i < p->n_routes; i++) {
		const struct plan_route *r = &p->routes[i];
		if (r->kind != ROUTE_SAMPLE)
			continue;
		if (ser[i] > e->route_pace) {
			e->route_pace = ser[i];
			e->pace_route = i;
		}
		if (r->pass == PASS_FWD)
			e->infer_cycles = dmax(e->infer_cycles, ser[i]);
	}
	/* links shared by sample routes hold each for its serialisation,
	 * one after the other */
	double link = plan_link_load(p, m, ser);
	if (link > e->route_pace) {
		e->route_pace = link;
		e->pace_route = -1;
	}
	e->io_pace = io_pace(p, m);
	e->infer_cycles = dmax(e->infer_cycles, e->io_pace);
	e->pace = dmax(e->stage_pace, dmax(e->route_pace, e->io_pace));
}

/* A route's latency for one sample: ramps, hops, its serialisation. */
static double route_lat(const struct machine *m, const struct plan_route *r,
			double ser)
{
	return 2.0 * (double)m->fabric.ramp_latency_cycles +
	       (double)route_hops(r) * (double)fabric_hop_cycles(&m->fabric) +
	       ser;
}

/* One task of stage si's pass from its start to its output leaving, on
 * the rectangle it runs on (one sample copy's). */
static double task_time(const struct machine *m, const struct plan *p,
			int si, int pass)
{
	struct rect r = plan_copy_rect(&p->stages[si], 0);
	return plan_task_time(m, p->prec, &r, &p->stages[si].work[pass]);
}

/* When the first sample's input is in at every stage (tin), and from a
 * stage's backward output to the end of the step (tout, the longest path
 * back through the producers' backward, then a weight gradient). */
static void arrivals(const struct plan *p, const struct machine *m,
		     const double *ser, double io, double *tin, double *tout)
{
	int n = p->n_stages;
	double host = io + (double)m->io.latency_cycles;
	/* each stage's forward sample routes in: at[off[s] .. off[s + 1])
	 * (a maximum over them: the same in any order) */
	int *off = xcalloc((size_t)n + 2, sizeof(int));
	int *at = xcalloc((size_t)p->n_routes + 1, sizeof(int));
	for (int pass = 0; pass < 2; pass++) {
		int *fill = pass ? xcalloc((size_t)n + 1, sizeof(int)) : NULL;
		for (int i = 0; i < p->n_routes; i++) {
			const struct plan_route *r = &p->routes[i];
			int s = r->dst_stage;
			if (r->kind != ROUTE_SAMPLE || r->pass != PASS_FWD ||
			    s < 0 || s >= n)
				continue;
			if (!pass)
				off[s + 1]++;
			else
				at[off[s] + fill[s]++] = i;
		}
		for (int s = 0; !pass && s < n; s++)
			off[s + 1] += off[s];
		free(fill);
	}
	/* stages are in topological order: producers first */
	for (int s = 0; s < n; s++) {
		tin[s] = 0;
		for (int k = off[s]; k < off[s + 1]; k++) {
			int i = at[k];
			const struct plan_route *r = &p->routes[i];
			double a = route_lat(m, r, ser[i]);
			if (r->src_stage < 0)
				a += host;
			else
				a += tin[r->src_stage] +
				     task_time(m, p, r->src_stage, PASS_FWD);
			tin[s] = dmax(tin[s], a);
		}
	}
	for (int s = 0; s < n; s++) {
		const struct plan_stage *st = &p->stages[s];
		tout[s] = (double)plan_task_occ(m, p->prec,
						&st->work[PASS_BWD_WEIGHT]);
		for (int k = off[s]; k < off[s + 1]; k++) {
			int i = at[k];
			const struct plan_route *r = &p->routes[i];
			if (r->src_stage < 0)
				continue;
			tout[s] = dmax(tout[s],
				       route_lat(m, r, ser[i]) +
					       task_time(m, p, r->src_stage,
							 PASS_BWD_DATA) +
					       tout[r->src_stage]);
		}
	}
	free(off);
	free(at);
}

/*
 * Gradient syncs that hold up the drain.  The engine sends a replica's
 * weight gradients as soon as its last backward task is done, before that
 * task's own output has left and while the stages upstream are still
 * draining; a backward sample route whose bundle shares links with the
 * sync stream then waits for the stream's end.  With rest[s] the time
 * from stage s's last backward output to the end of the drain (tout),
 * the sync from replica r starts rest[r] before the end and holds its
 * links for ser cycles; a backward route out of stage q (rest[q] <=
 * rest[r]) on those links cannot leave before it ends: the drain is
 * longer by ser - (rest[r] - rest[q]) when that is positive.
 */
static double sync_block(const struct plan *p, const struct machine *m,
			 const double *ser, const double *rest)
{
	int64_t *lanes = all_lanes(p, m);
	double extra = 0;
	for (int i = 0; i < p->n_routes; i++) {
		const struct plan_route *g = &p->routes[i];
		if (g->kind != ROUTE_GRAD_SYNC)
			continue;
		for (int j = 0; j < p->n_routes; j++) {
			const struct plan_route *b = &p->routes[j];
			if (b->kind != ROUTE_SAMPLE || b->pass != PASS_BWD_DATA ||
			    b->src_stage < 0 ||
			    rest[b->src_stage] > rest[g->src_stage])
				continue;
			double x = ser[i] - (rest[g->src_stage] -
					     rest[b->src_stage]);
			if (x > extra &&
			    routes_share(m, g, lanes[i], b, lanes[j]))
				extra = x;
		}
	}
	free(lanes);
	return extra;
}

/*
 * The step before the update and the sync: the longer of the whole
 * pipeline's round for the last sample (the batch entering at the
 * forward pace, its last sample forward to the end and back) and, for
 * every stage, its batch of work between the first sample's arrival and
 * the rest of the last sample's backward.
 */
static void pipeline(const struct plan *p, const struct machine *m,
		     const double *ser, double fpace, struct plan_est *e)
{
	int n = p->n_stages;
	double B = (double)(p->batch > 0 ? p->batch : 1);
	double *tin = xcalloc((size_t)n + 1, sizeof(double));
	double *tout = xcalloc((size_t)n + 1, sizeof(double));
	arrivals(p, m, ser, e->io_pace, tin, tout);
	double round = 0, busy = 0;
	int shared = map_share_any(p);
	for (int s = 0; s < n; s++) {
		const struct plan_stage *st = &p->stages[s];
		struct rect cr = plan_copy_rect(st, 0);
		double f = plan_task_time(m, p->prec, &cr, &st->work[PASS_FWD]);
		double b = plan_task_time(m, p->prec, &cr,
				     &st->work[PASS_BWD_DATA]);
		e->fill = dmax(e->fill, tin[s] + f);
		double c = 0;
		for (int k = 0; k < PASS_UPDATE; k++)
			c += (double)plan_task_occ(m, p->prec, &st->work[k]);
		c /= (double)plan_copies(st);
		if (shared)
			c += map_share_cotenants(p, m, s, 1, plan_task_occ);
		c = dmax(c, dmax(e->io_pace, e->route_pace));
		busy = dmax(busy, tin[s] + B * c + tout[s]);
		round = dmax(round, tin[s] + f + b + tout[s]);
	}
	/* the last sample's turnaround after the first's */
	e->drain = round - e->fill;
	e->fill = dmax(0, e->fill);
	double last = (B - 1) * fpace + round;
	e->pipeline = dmax(last, busy);
	e->sync_block = sync_block(p, m, ser, tout);
	free(tin);
	free(tout);
}

/* Samples `run` streams for inference by default (its --infer-samples),
 * training steps it simulates (its --steps): the step is the last's. */
#define EST_INFER_SAMPLES 64
#define EST_STEPS 2
/* The replay's cost is its events, a few per sample per stage and route:
 * past EST_REPLAY_BUDGET samples x (stages + routes) per step (issue 14:
 * the objective within 50 ms; bert_large pipelined, 1024 samples through
 * 129 stages and 356 routes, took 137 ms of CPU), the step is replayed
 * at b and 2b samples and extrapolated linearly to the batch: a pipelined
 * step is fill, the batch at the pace, and drain.  [D]erived, checked on
 * bert_large/anneal (b = 64 and 128: -0.8% from the full replay; 128 and
 * 256: +0.3%; at this budget b = 41 and 82: -2.1%) and by
 * tests/validate/val_objective.sh against the engine. */
#define EST_REPLAY_BUDGET 60000

/* The training step by the replay (plan_replay), extrapolated past the
 * budget; -1 as plan_replay. */
static double replay_step(const struct plan *p, const struct machine *m)
{
	int64_t B = p->batch > 0 ? p->batch : 1;
	int64_t per = (int64_t)p->n_stages + p->n_routes + 1;
	int64_t b = EST_REPLAY_BUDGET / (3 * per);
	if (B * per <= EST_REPLAY_BUDGET || 2 * b >= B || b < 16)
		return plan_replay(p, m, 1, B, EST_STEPS, 0);
	double r1 = plan_replay(p, m, 1, b, EST_STEPS, 0);
	double r2 = plan_replay(p, m, 1, 2 * b, EST_STEPS, 0);
	if (r1 < 0 || r2 < 0)
		return -1;
	return r2 + (double)(B - 2 * b) * (r2 - r1) / (double)b;
}

static void streaming(const struct plan *p, const struct machine *m,
		      struct plan_est *e)
{
	double B = (double)(p->batch > 0 ? p->batch : 1);
	e->io_pace = io_pace(p, m);
	e->step_cycles = plan_stream_chain(p, m, B, 1, e->io_pace);
	e->pace = e->step_cycles / B;
	e->infer_cycles = plan_stream_chain(p, m, EST_INFER_SAMPLES, 0,
					    e->io_pace) /
			  EST_INFER_SAMPLES;
	snprintf(e->limit, sizeof e->limit,
		 "weight streaming: every layer's compute or weights in turn");
}

static const char *end_name(const struct plan *p, int s)
{
	return s >= 0 && s < p->n_stages ? p->stages[s].name : "host";
}

/* What sets the pace, named as `run` names its bottleneck
 * (sim/report.c, report_bottleneck). */
static void pace_words(const struct plan *p, const struct plan_est *e,
		       char *buf, size_t n)
{
	if (e->pace == e->io_pace)
		snprintf(buf, n, "host I/O at the wafer edge");
	else if (e->pace == e->route_pace && e->pace_route >= 0)
		snprintf(buf, n, "route '%.40s' -> '%.40s'",
			 end_name(p, p->routes[e->pace_route].src_stage),
			 end_name(p, p->routes[e->pace_route].dst_stage));
	else if (e->pace == e->route_pace)
		snprintf(buf, n, "routes sharing a link");
	else
		snprintf(buf, n, "stage '%.80s'", end_name(p, e->pace_stage));
}

static void estimate(const struct plan *p, const struct machine *m,
		     int infer, struct plan_est *e)
{
	memset(e, 0, sizeof(*e));
	if (p->mode == MODE_STREAMING) {
		streaming(p, m, e);
		return;
	}
	size_t nr = (size_t)p->n_routes + 1;
	double *ser = xcalloc(nr, sizeof(double));
	route_sers(p, m, ser);
	paces(p, m, ser, e);
	pipeline(p, m, ser, e->infer_cycles, e);
	e->sync = sync_round(p, m, ser, e->update);
	e->step_cycles = e->pipeline + e->sync_block + e->update + e->sync;
	double B = (double)(p->batch > 0 ? p->batch : 1);
	/* the engine's schedule replayed: what the terms above miss */
	double rs = replay_step(p, m);
	double ri = infer ? plan_replay(p, m, 0, 1, 1, EST_INFER_SAMPLES) : -1;
	if (rs > 0)
		e->step_cycles = rs;
	if (ri > 0)
		e->infer_cycles = ri;
	char what[120];
	pace_words(p, e, what, sizeof what);
	if (e->sync > (B - 1) * e->pace && e->sync > e->fill + e->drain)
		snprintf(e->limit, sizeof e->limit,
			 "the shared-weight sync (%.0f cycles per step)",
			 e->sync);
	else if (e->fill + e->drain > (B - 1) * e->pace)
		snprintf(e->limit, sizeof e->limit,
			 "fill and drain (%.0f cycles; pace %.0f per sample, "
			 "%s)",
			 e->fill + e->drain, e->pace, what);
	else
		snprintf(e->limit, sizeof e->limit, "%s (%.0f cycles per sample)",
			 what, e->pace);
	free(ser);
}

void plan_estimate(const struct plan *p, const struct machine *m,
		   struct plan_est *e)
{
	estimate(p, m, 1, e);
}

void plan_estimate_step(const struct plan *p, const struct machine *m,
			struct plan_est *e)
{
	estimate(p, m, 0, e);
}

double plan_est_step_us(const struct plan_est *e, const struct machine *m)
{
	return e->step_cycles / (m->clock_ghz * 1e3);
}

double plan_est_train_rate(const struct plan_est *e, const struct plan *p,
			   const struct machine *m)
{
	return e->step_cycles > 0 ? (double)p->batch * m->clock_ghz * 1e9 /
					    e->step_cycles
				  : 0;
}

double plan_est_infer_rate(const struct plan_est *e, const struct machine *m)
{
	return e->infer_cycles > 0 ? m->clock_ghz * 1e9 / e->infer_cycles : 0;
}
