/*
 * engine.c: discrete-event execution of a plan. See engine.h.
 *
 * The pipelined schedule's rules (dispatch, back-pressure credits,
 * time-shared rectangles) are compiler/plan_sched.h's, which the
 * placement objective replays too; the engine times what they start: every
 * stream on the links of its bundle, every task (every PE with --full), and
 * keeps the statistics.
 *
 * Files: engine.c (events and engine_run), engine_task.c (a task's timing,
 * route geometry), engine_setup.c, engine_stream.c (weight streaming),
 * engine_finish.c, engine_roofline.c; shared state in engine_int.h.
 *
 * Layout of the run-time state (all owned by struct sim, freed together):
 *
 *   k                     the schedule (plan_sched.h): its stages [0 .. n]
 *                         (n: the host source), routes [0 .. nr), records
 *   sg      [0 .. n]      per stage, what only the engine needs (stage_rt)
 *   rt      [0 .. nr)     per route, its path's links and bundle (eroute)
 *   links                 [4][W * H]         numbered one plane per
 *                         direction; N/S planes row-major (y * W + x), E/W
 *                         planes column-major (x * H + y), so the lanes of
 *                         a bundle at one hop (side by side across the hop)
 *                         are contiguous:
 *
 *                           E/W hop at (x, y), lanes lo..lo+L-1:
 *                             plane[E] + x * H + lo .. + L - 1
 *                           N/S hop at (x, y):
 *                             plane[S] + y * W + lo .. + L - 1
 *   link_free             [classes]          first cycle each link class
 *                         is free: a class is the links the same routes'
 *                         bundles hold (engine_setup.c), which every
 *                         stream holds and frees together, so one entry
 *                         stands for all of them
 *   pe_free               [W * H]            full mode: first free cycle
 *
 * What must stay true: every time comes from engine_task_occ() and the
 * fabric timing rules; events are only pushed for now or the future; the
 * queue's tie-break (push order) is the only ordering between equal times,
 * so runs are deterministic.
 */
#include "sim/engine_int.h"

#include <stdlib.h>
#include <string.h>

#include "fabric/reserve.h"

void engine_opts_init(struct engine_opts *o)
{
	memset(o, 0, sizeof(*o));
}

/*
 * The engine's rule for a route's stream: fabric_reserve() (the fabric's
 * link-reservation model, fabric/reserve.h) over the whole bundle (every
 * lane of every hop), so two streams whose bundles
 * share a link serialise even when their representative paths do not
 * cross; the latency is that of the path (its hops).  This is the same
 * traffic route_paint() counts: each lane link carries at most `ser`
 * wavelets per sample and is held for `ser` cycles.
 */
static cycles_t bundle_reserve(struct sim *s, int ri, cycles_t ready,
			       cycles_t *start)
{
	const struct eroute *e = &s->rt[ri];
	const struct plan_sched_route *r = &s->k.rt[ri];
	/* per link class: the same rule, each class's links being free
	 * together (engine_setup.c) */
	return fabric_reserve(s->link_free, e->cls, e->n_cls, 1, e->n_links,
			      ready, r->ser, &s->m->fabric, start);
}

/* The schedule's hook (plan_sched_hooks.send): send sample `smp` on route
 * ri, ready at t; its arrival, and its statistics. */
static cycles_t route_send(void *ctx, int ri, uint64_t smp, cycles_t t)
{
	struct sim *s = ctx;
	const struct plan_sched_route *e = &s->k.rt[ri];
	struct stats_route *sr = &s->st->routes[ri];
	cycles_t start;
	cycles_t arrive = bundle_reserve(s, ri, t, &start);
	s->rt[ri].n_sends++;

	if (e->dst < 0)
		s->st->io_out_bytes += e->wavelets * (s->m->fabric.wavelet_bits / 8);
	sr->wavelets += e->wavelets;
	sr->busy_cycles += (cycles_t)e->ser;
	sr->wait_cycles += start - t;
	double hops = (double)e->wavelets * (double)e->hops;
	s->st->wavelet_hops += (int64_t)hops;
	stats_win_add(&s->st->win, start, start + (cycles_t)e->ser,
		      s->st->win.wavelet_hops, 1, hops);
	if (s->st->cap_spans) { /* traces: off by default */
		if (start > t)
			stats_span_add(s->st, STATS_SPAN_ROUTE_WAIT, ri, smp, t,
				       start, 0);
		stats_span_add(s->st, STATS_SPAN_ROUTE, ri, smp, start,
			       start + (cycles_t)e->ser, 0);
	}
	return arrive;
}

/* The host's task: pushing one sample through the I/O. */
static void host_start(struct sim *s, cycles_t now, cycles_t occ)
{
	s->st->io_busy_cycles += occ;
	int64_t bytes = s->k.host_bytes; /* a multicast tree's once */
	s->st->io_in_bytes += bytes;
	stats_win_add(&s->st->win, now, now + occ, s->st->win.io_bytes, 1,
		      (double)bytes);
}

/* Full mode: the task on sample smp's copy's PEs, the update on every
 * copy's (plan.h `copies`). */
static cycles_t full_task(struct sim *s, int si, int kind, uint64_t smp,
			  int pa, int pb, cycles_t now)
{
	const struct plan_stage *ps = &s->p->stages[si];
	int R = plan_copies(ps);
	cycles_t out = now;
	for (int c = 0; c < R; c++) {
		if (kind != SCHED_UPDATE && (uint64_t)c != smp % (uint64_t)R)
			continue;
		out = cmax(out, eng_full_task(s, si, pa, pb, now, c));
	}
	return out;
}

/* The schedule's hook (plan_sched_hooks.start): stage si starts a task at
 * `now`; its statistics, and (full mode) every PE timed.  Returns the
 * cycle its output leaves. */
static cycles_t task_start(void *ctx, int si, int kind, uint64_t smp,
			   cycles_t now)
{
	struct sim *s = ctx;
	const struct plan_sched_stage *g = &s->k.sg[si];
	int host = si == s->n;
	if (g->blocked && !host) {
		s->st->stages[si].wait_out_cycles += now - g->blocked_since;
		if (s->st->cap_spans) /* traces: off by default */
			stats_span_add(s->st, STATS_SPAN_STALL, si, smp,
				       g->blocked_since, now, 0);
	}
	int pa, pb = -1;
	if (kind == SCHED_FWD)
		pa = PASS_FWD;
	else if (kind == SCHED_BWD)
		pa = PASS_BWD_DATA, pb = PASS_BWD_WEIGHT;
	else
		pa = PASS_UPDATE;
	cycles_t occ = g->free_at - now;
	if (host) {
		host_start(s, now, occ);
		return now + occ;
	}
	const struct stage_rt *x = &s->sg[si];
	cycles_t comp = x->comp[pa] + (pb >= 0 ? x->comp[pb] : 0);
	struct stats_stage *ss = &s->st->stages[si];
	if (kind == SCHED_FWD && s->train && (int64_t)smp + 1 - g->next_bwd >
						     ss->held_max)
		ss->held_max = (int64_t)smp + 1 - g->next_bwd;
	/* busy cycles of one PE of the stage: with sample copies a forward
	 * or backward task keeps one copy's PEs busy, the update all */
	cycles_t R = kind == SCHED_UPDATE ? 1 : (cycles_t)g->copies;
	ss->compute_cycles += comp / R;
	ss->comm_cycles += (occ - comp) / R;
	if (ss->tasks[PASS_FWD] + ss->tasks[PASS_BWD_DATA] +
		    ss->tasks[PASS_UPDATE] == 0)
		ss->first_cycle = now;
	ss->last_cycle = cmax(ss->last_cycle, now + occ);
	stats_win_add(&s->st->win, now, now + occ, s->st->win.stage_busy + si,
		      s->n, (double)occ / (double)R);
	if (s->st->cap_spans) /* traces: off by default */
		stats_span_add(s->st,
			       kind == SCHED_FWD   ? STATS_SPAN_FWD
			       : kind == SCHED_BWD ? STATS_SPAN_BWD
						   : STATS_SPAN_UPDATE,
			       si, smp, now, now + occ, comp);
	eng_count_work(s, si, pa, now, now + g->occ[pa], 1);
	if (pb >= 0)
		eng_count_work(s, si, pb, now + g->occ[pa], now + occ, 1);
	if (s->o.full)
		return full_task(s, si, kind, smp, pa, pb, now);
	s->st->pe_tasks++;
	return now + g->occ[pa] + g->lat[pa];
}

/* The statistics' header and per-stage names; their route table sized for
 * the routes set-up will build (the plan's, plus reversed forward routes
 * when training a plan without backward routes). */
static void run_stats_init(struct sim *s, struct stats *st)
{
	const struct plan *p = s->p;
	const struct machine *m = s->m;
	const struct engine_opts *o = &s->o;
	int streaming = p->mode == MODE_STREAMING;
	stats_alloc(st, p->n_stages, 0, m->width, m->height);
	stats_spans_alloc(st, o->max_spans); /* traces; 0: off */
	st->job = s->train ? STATS_TRAIN : STATS_INFER;
	st->mode = streaming ? MODE_STREAMING : MODE_PIPELINED;
	st->prec = p->prec;
	st->full = o->full;
	st->batch = s->B;
	st->wafers = o->wafers > 1 ? o->wafers : 1;
	if (streaming && s->train) {
		st->micro_batch = p->micro_batch > 0 && p->micro_batch < s->B
					  ? p->micro_batch : s->B;
		st->recompute = p->recompute;
	}
	st->steps = s->train ? s->steps : 0;
	st->samples = s->S;
	for (int i = 0; i < p->n_stages; i++) {
		st->stages[i].name = xstrdup(p->stages[i].name ? p->stages[i].name
							       : "?");
		st->stages[i].kind = p->stages[i].kind;
		st->stages[i].r = p->stages[i].r;
		st->stages[i].pes = (int64_t)p->stages[i].r.w * p->stages[i].r.h;
		st->stages[i].copies = plan_copies(&p->stages[i]);
	}
	st->n_routes = plan_sched_n_routes(p, s->train);
	free(st->routes);
	st->routes = xcalloc((size_t)st->n_routes + 1, sizeof(*st->routes));
}

/* The schedule's hook (plan_sched_hooks.event): count the event, report
 * progress (tasks run over tasks to run). */
static void run_event(void *ctx)
{
	struct sim *s = ctx;
	struct stats *st = s->st;
	const struct engine_opts *o = &s->o;
	st->events++;
	if (o->progress && (o->full || (st->events & 0x3ff) == 0)) {
		double done = 0;
		for (int i = 0; i < s->n; i++)
			done += (double)(s->k.sg[i].next_fwd +
					 s->k.sg[i].next_bwd);
		done /= (double)s->n * (double)s->S * (s->train ? 2.0 : 1.0);
		o->progress(o->progress_ctx, done);
	}
}

/* The pipelined engine: the schedule's rules (compiler/plan_sched.h), the
 * streams and tasks timed here. */
static void run_events(struct sim *s)
{
	s->k.h = (struct plan_sched_hooks){route_send, task_start, run_event};
	s->k.ctx = s;
	plan_sched_run(&s->k);
}

/* Every stage must have finished its work: otherwise the plan deadlocked
 * (a stage waiting for an input nobody sends). */
static int run_check_done(const struct sim *s, struct diag *d)
{
	const struct plan *p = s->p;
	int i = plan_sched_unfinished(&s->k);
	if (i < 0)
		return 0;
	const struct plan_sched_stage *g = &s->k.sg[i];
	diag_add(d, NULL, 0, 0,
		 "engine: stage '%s' must run all %lld samples, got %lld "
		 "forward and %lld backward (plan deadlocks: an input route "
		 "is missing or circular)",
		 p->stages[i].name ? p->stages[i].name : "?", (long long)s->S,
		 (long long)g->next_fwd, (long long)g->next_bwd);
	return WS_EINPUT;
}

int engine_run(const struct plan *p, const struct graph *gr,
	       const struct machine *m, const struct engine_opts *o,
	       struct stats *st, struct diag *d)
{
	if (eng_check_plan(p, m, d))
		return WS_EINPUT;
	if (o->wafers > 1 && p->mode != MODE_STREAMING) {
		/* SwarmX joins wafers only for weight streaming */
		diag_add(d, NULL, 0, 0, "engine: %d wafers train data-parallel "
			 "only in weight streaming, got a %s plan of '%s'",
			 o->wafers, plan_mode_name(p->mode),
			 p->network ? p->network : "?");
		return WS_EINPUT;
	}
	struct sim s;
	memset(&s, 0, sizeof(s));
	s.p = p;
	s.g = gr;
	s.m = m;
	s.o = *o;
	s.st = st;
	s.train = o->job == ENGINE_TRAIN;
	s.B = o->batch > 0 ? o->batch : (p->batch > 0 ? p->batch : 1);
	s.steps = o->steps > 0 ? o->steps : 2;
	s.S = s.train ? s.B * s.steps
		      : (o->infer_samples > 0 ? o->infer_samples : 64);
	if (eng_budget_check(&s, d))
		return WS_EINPUT;
	int streaming = p->mode == MODE_STREAMING;
	run_stats_init(&s, st);
	int64_t npe = m->width * m->height;
	if (o->full && !streaming)
		s.pe_free = xcalloc((size_t)npe, sizeof(uint64_t));
	eng_setup(&s);
	if (streaming)
		eng_run_streaming(&s);
	else
		run_events(&s);
	int rc = streaming ? 0 : run_check_done(&s, d);
	if (!rc)
		eng_finish(&s);
	eng_sim_release(&s);
	return rc;
}
