/*
 * engine_finish.c: after the run, the statistics the events did not
 * fill as they went: totals, per-link counts, step and inference times,
 * the bottleneck.  See engine_int.h.
 */
#include "sim/engine_int.h"

#include <stdlib.h>
#include <string.h>

/* In-rectangle link counts of a rectangle: every flow inside it puts the
 * same count on each link it uses, so a stage's counts are one amount
 * per direction (east: links leaving x < w - 1, west: x > 0, south:
 * y < h - 1, north: y > 0) and one busy count per PE.  Stages on the same
 * rectangle (weight streaming: all) are summed before painting. */
struct rect_counts {
	struct rect r;
	uint64_t dir[LINK_DIRS];
	cycles_t busy;
	int used;
};

/* Add stage si's flows (bcast and reduce of each pass, halos) and busy
 * cycles to c. */
static void stage_link_counts(const struct sim *s, int si,
			      struct rect_counts *c)
{
	const struct plan_stage *ps = &s->p->stages[si];
	const struct stats_stage *ss = &s->st->stages[si];
	for (int p = 0; p < PASS_COUNT; p++) {
		const struct kernel_work *w = &ps->work[p];
		/* sample copies (plan.h): a copy's flows along Y stay in its
		 * columns (its share of the tasks, every update), its flows
		 * along X cross the copies' span (eng_task_hops) */
		uint64_t R = p == PASS_UPDATE ? 1 : (uint64_t)plan_copies(ps);
		uint64_t nt = (uint64_t)ss->tasks[p];
		if (!nt)
			continue;
		int back = p == PASS_BWD_DATA;
		struct {
			int64_t v;
			enum plan_axis a;
		} fl[2] = {{w->bcast_wavelets, w->bcast_axis},
			   {w->reduce_wavelets, w->reduce_axis}};
		for (int f = 0; f < 2; f++) {
			if (fl[f].v <= 0)
				continue;
			int ax = fl[f].a == AXIS_X;
			int dir = ax ? (back ? LINK_WEST : LINK_EAST)
				     : (back ? LINK_NORTH : LINK_SOUTH);
			c->dir[dir] += (ax ? nt : nt / R) * (uint64_t)fl[f].v;
		}
		/* halo: half each way between row neighbours (the odd one
		 * east), so each link pair carries halo_wavelets per task */
		if (w->halo_wavelets > 0) {
			uint64_t hw = (uint64_t)w->halo_wavelets;
			c->dir[LINK_EAST] += nt * (hw - hw / 2);
			c->dir[LINK_WEST] += nt * (hw / 2);
		}
	}
	c->busy += ss->compute_cycles + ss->comm_cycles;
	c->used = 1;
}

static void paint_rect_counts(struct sim *s, struct rect_counts *c)
{
	if (!c->used)
		return;
	const struct rect *r = &c->r;
	int64_t W = s->m->width;
	for (int y = 0; y < r->h; y++)
		for (int x = 0; x < r->w; x++) {
			int64_t id = (r->y + y) * W + (r->x + x);
			uint64_t *l = &s->st->link_wavelets[id * LINK_DIRS];
			if (x + 1 < r->w)
				l[LINK_EAST] += c->dir[LINK_EAST];
			if (x > 0)
				l[LINK_WEST] += c->dir[LINK_WEST];
			if (y + 1 < r->h)
				l[LINK_SOUTH] += c->dir[LINK_SOUTH];
			if (y > 0)
				l[LINK_NORTH] += c->dir[LINK_NORTH];
			if (!s->pe_free)
				s->st->pe_busy_cycles[id] += c->busy;
		}
	memset(c, 0, sizeof(*c));
}

/* In-rectangle link counts from the tasks run (both modes), stage by
 * stage, one painting per run of stages on the same rectangle. */
static void stage_links_all(struct sim *s)
{
	struct rect_counts c;
	memset(&c, 0, sizeof(c));
	for (int i = 0; i < s->n; i++) {
		/* sample copies: the columns they take (a remainder idle) */
		const struct plan_stage *ps = &s->p->stages[i];
		struct rect span = plan_copy_rect(ps, 0);
		span.x = ps->r.x;
		span.w *= plan_copies(ps);
		const struct rect *r = &span;
		if (c.used && memcmp(&c.r, r, sizeof(*r)))
			paint_rect_counts(s, &c);
		c.r = *r;
		stage_link_counts(s, i, &c);
	}
	paint_rect_counts(s, &c);
}

/* Count a route's wavelets on the links of its bundle (eng_bundle_lo()): the
 * same links bundle_reserve() held.  Each sample's wavelets are dealt over
 * the lanes, the first `wavelets % lanes` lanes one more, so no lane link
 * carries more than `ser` per sample and the links sum to wavelets x hops
 * (stats.wavelet_hops) exactly. */
static void route_paint(struct sim *s, int ri)
{
	const struct eroute *e = &s->rt[ri];
	const struct plan_sched_route *r = &s->k.rt[ri];
	if (!e->n_sends || !e->n_links)
		return;
	uint64_t base = (uint64_t)(r->wavelets / r->lanes) * (uint64_t)e->n_sends;
	int64_t rem = r->wavelets % r->lanes;
	for (int i = 0; i < e->n_links; i++) {
		int64_t lo = eng_bundle_lo(s, r->lanes, e->links[i]);
		for (int64_t l = 0; l < r->lanes; l++)
			s->st->link_wavelets[eng_bundle_link(s, e->links[i], lo + l)] +=
				base + (l < rem ? (uint64_t)e->n_sends : 0);
	}
}

/* The run's end; per stage: waiting time, pass occupancies and latencies,
 * limit, totals, in-rectangle link counts. */
static void finish_stages(struct sim *s)
{
	struct stats *st = s->st;
	cycles_t end = 0;
	for (int i = 0; i < s->n; i++)
		end = cmax(end, st->stages[i].last_cycle);
	for (int64_t g = 0; g < s->S; g++)
		end = cmax(end, s->k.sample_out[g]);
	if (s->train && s->steps > 0)
		end = cmax(end, s->k.step_end[s->steps - 1]);
	st->total_cycles = end;
	stats_win_cover(&st->win, end > 0 ? end - 1 : 0);
	for (int i = 0; i < s->n; i++) {
		struct stats_stage *ss = &st->stages[i];
		cycles_t used = ss->compute_cycles + ss->comm_cycles +
				ss->wait_out_cycles;
		ss->wait_in_cycles = end > used ? end - used : 0;
		for (int k = 0; k < PASS_COUNT; k++)
			ss->occ_cycles[k] = s->k.sg[i].occ[k],
			ss->latency_cycles[k] = s->k.sg[i].occ[k] + s->k.sg[i].lat[k];
		/* the limit of the heaviest pass of the stage */
		cycles_t best = 0;
		ss->limit = s->sg[i].lim[PASS_FWD];
		for (int k = 0; k < PASS_COUNT; k++)
			if (s->k.sg[i].occ[k] > best) {
				best = s->k.sg[i].occ[k];
				ss->limit = s->sg[i].lim[k];
			}
		st->fma += ss->fma;
		st->ew += ss->ew;
		st->sram_reads += ss->sram_reads;
		st->sram_writes += ss->sram_writes;
		st->wavelet_hops += ss->wavelet_hops;
	}
	stage_links_all(s);
}

/* Training: the steady step (the last) and the first; inference: the
 * first sample's latency and the steady interval (second half). */
static void finish_times(struct sim *s)
{
	struct stats *st = s->st;
	if (s->train) {
		st->step_first_cycles = s->k.step_end[0];
		st->step_cycles = s->steps > 1 ? s->k.step_end[s->steps - 1] -
							 s->k.step_end[s->steps - 2]
					       : s->k.step_end[0];
	} else {
		st->infer_latency_cycles = s->k.sample_out[0];
		st->infer_interval_cycles = plan_sched_interval(&s->k);
	}
}

/* Weight streaming: the layer holding the wafer longest; external memory
 * bound when its weights took longer to arrive than its compute. */
static void finish_streaming_bottleneck(struct sim *s)
{
	struct stats *st = s->st;
	cycles_t worst = 0;
	for (int i = 0; i < s->n; i++)
		if (st->stages[i].stream_span_cycles > worst) {
			worst = st->stages[i].stream_span_cycles;
			st->slowest_stage = i;
		}
	if (st->slowest_stage >= 0) {
		const struct stats_stage *g = &st->stages[st->slowest_stage];
		double bpc = s->m->extmem.bandwidth_gbytes_s / s->m->clock_ghz;
		double wcyc = (double)g->extmem_in_bytes / bpc;
		double comp = (double)(g->compute_cycles + g->comm_cycles);
		st->bottleneck = wcyc > comp ? LIMIT_EXTMEM : g->limit;
	}
}

/* Pipelined: the slowest stage, unless a route or the host I/O needs more
 * cycles per sample. */
static void finish_bottleneck(struct sim *s)
{
	struct stats *st = s->st;
	double worst = 0;
	for (int i = 0; i < s->n; i++) {
		double c = stats_stage_sample_cycles(st, i);
		if (c > worst) {
			worst = c;
			st->slowest_stage = i;
		}
	}
	st->bottleneck = st->slowest_stage >= 0
				 ? st->stages[st->slowest_stage].limit
				 : LIMIT_COMPUTE;
	double rworst = worst;
	for (int r = 0; r < s->nr; r++) {
		const struct plan_sched_route *e = &s->k.rt[r];
		if (!s->train && !e->fwd)
			continue;
		/* a sync route's stream is once per step: per sample, its
		 * share of the batch */
		double per = e->sync ? (double)e->ser / (double)s->B
				     : (double)e->ser;
		if (per > rworst) {
			rworst = per;
			st->bottleneck_route = r;
			st->bottleneck = LIMIT_FABRIC;
		}
	}
	if ((double)s->k.sg[s->n].occ[PASS_FWD] > rworst) {
		rworst = (double)s->k.sg[s->n].occ[PASS_FWD];
		st->bottleneck = LIMIT_IO;
		st->bottleneck_route = -1;
	}
	st->pace_cycles = rworst;
}

void eng_finish(struct sim *s)
{
	finish_stages(s);
	for (int r = 0; r < s->nr; r++)
		route_paint(s, r);
	finish_times(s);
	if (s->p->mode == MODE_STREAMING)
		finish_streaming_bottleneck(s);
	else
		finish_bottleneck(s);
}
