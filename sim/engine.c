/*
 * engine.c: discrete-event execution of a plan. See engine.h.
 *
 * Files: engine.c (events and engine_run), engine_task.c (a task's timing,
 * route geometry), engine_setup.c, engine_stream.c (weight streaming),
 * engine_finish.c, engine_roofline.c; shared state in engine_int.h.
 *
 * Layout of the run-time state (all owned by struct sim, freed together):
 *
 *   stages  [0 .. n)      plan stages        struct stage_rt (per stage)
 *   stages  [n]           the host source:   injects samples at the I/O rate
 *   routes  [0 .. nr)     plan routes, then backward routes the engine
 *                         derived by reversing forward ones (plans without
 *                         PASS_BWD_DATA routes)
 *   fwd_got, bwd_got      [(n + 1) * S]      inputs arrived per stage, sample
 *   fwd_done              [(n + 1) * S]      forward output left the stage
 *   link_free             [4][W * H]         first cycle each link is free,
 *                         one plane per direction; N/S planes row-major
 *                         (y * W + x), E/W planes column-major (x * H + y),
 *                         so the lanes of a bundle at one hop (side by
 *                         side across the hop) are contiguous:
 *
 *                           E/W hop at (x, y), lanes lo..lo+L-1:
 *                             plane[E] + x * H + lo .. + L - 1
 *                           N/S hop at (x, y):
 *                             plane[S] + y * W + lo .. + L - 1
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
#include "ground/event.h"

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
static cycles_t bundle_reserve(struct sim *s, const struct eroute *e,
			       cycles_t ready, cycles_t *start)
{
	return fabric_reserve(s->link_free, e->lf, e->n_links, e->lanes,
			      e->n_links, ready, e->ser, &s->m->fabric, start);
}

/* Send sample `smp` on route ri, ready at t. */
static void route_send(struct sim *s, int ri, uint64_t smp, cycles_t t)
{
	struct eroute *e = &s->rt[ri];
	struct stats_route *sr = &s->st->routes[ri];
	cycles_t start;
	cycles_t arrive = bundle_reserve(s, e, t, &start);
	e->n_sends++;

	if (e->dst < 0) {
		arrive += (cycles_t)s->m->io.latency_cycles;
		s->st->io_out_bytes += e->wavelets * (s->m->fabric.wavelet_bits / 8);
	}
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
	event_push(&s->q, arrive, EV_ARRIVE, (uint32_t)ri, smp);
}

/* Start a task on stage si at `now`; passes run back to back. */
static void start_task(struct sim *s, int si, int kind, uint64_t smp,
		       cycles_t now)
{
	struct stage_rt *g = &s->sg[si];
	int host = si == s->n;
	if (g->blocked) {
		if (!host)
			s->st->stages[si].wait_out_cycles += now - g->blocked_since;
		if (!host && s->st->cap_spans) /* traces: off by default */
			stats_span_add(s->st, STATS_SPAN_STALL, si, smp,
				       g->blocked_since, now, 0);
		g->blocked = 0;
	}
	int pa, pb = -1;
	if (kind == TASK_FWD)
		pa = PASS_FWD;
	else if (kind == TASK_BWD)
		pa = PASS_BWD_DATA, pb = PASS_BWD_WEIGHT;
	else
		pa = PASS_UPDATE;
	cycles_t occ = g->occ[pa] + (pb >= 0 ? g->occ[pb] : 0);
	cycles_t comp = g->comp[pa] + (pb >= 0 ? g->comp[pb] : 0);
	g->task = kind;
	g->free_at = now + occ;
	event_push(&s->q, g->free_at, EV_DONE, (uint32_t)si, smp);
	if (host) {
		/* the host's task is pushing one sample through the I/O */
		s->st->io_busy_cycles += occ;
		int64_t bytes = 0;
		for (int i = 0; i < g->n_out_fwd; i++)
			bytes += s->rt[g->out_fwd[i]].wavelets *
				 (s->m->fabric.wavelet_bits / 8);
		s->st->io_in_bytes += bytes;
		stats_win_add(&s->st->win, now, now + occ, s->st->win.io_bytes,
			      1, (double)bytes);
		g->next_fwd++;
		event_push(&s->q, now + occ + (cycles_t)s->m->io.latency_cycles,
			   EV_OUT_FWD, (uint32_t)si, smp);
	} else {
		struct stats_stage *ss = &s->st->stages[si];
		ss->compute_cycles += comp;
		ss->comm_cycles += occ - comp;
		if (ss->tasks[PASS_FWD] + ss->tasks[PASS_BWD_DATA] +
			    ss->tasks[PASS_UPDATE] == 0)
			ss->first_cycle = now;
		ss->last_cycle = cmax(ss->last_cycle, now + occ);
		stats_win_add(&s->st->win, now, now + occ,
			      s->st->win.stage_busy + si, s->n, (double)occ);
		if (s->st->cap_spans) /* traces: off by default */
			stats_span_add(s->st,
				       kind == TASK_FWD   ? STATS_SPAN_FWD
				       : kind == TASK_BWD ? STATS_SPAN_BWD
							  : STATS_SPAN_UPDATE,
				       si, smp, now, now + occ, comp);
		eng_count_work(s, si, pa, now, now + g->occ[pa], 1);
		if (pb >= 0)
			eng_count_work(s, si, pb, now + g->occ[pa], now + occ, 1);
		cycles_t out;
		if (s->o.full)
			out = eng_full_task(s, si, pa, pb, now);
		else {
			out = now + g->occ[pa] + g->lat[pa];
			s->st->pe_tasks++;
		}
		if (kind == TASK_FWD) {
			g->next_fwd++;
			event_push(&s->q, out, EV_OUT_FWD, (uint32_t)si, smp);
		} else if (kind == TASK_BWD) {
			g->next_bwd++;
			event_push(&s->q, out, EV_OUT_BWD, (uint32_t)si, smp);
		}
	}
	/* producers held by back-pressure on us may go on now */
	if (kind == TASK_FWD)
		for (int i = 0; i < g->n_prod; i++)
			event_push(&s->q, now, EV_TRY, (uint32_t)g->prod[i], 0);
}

/* Pick and start the next task of stage si if it is idle. */
static void try_stage(struct sim *s, int si, cycles_t now)
{
	struct stage_rt *g = &s->sg[si];
	if (g->task != TASK_NONE || now < g->free_at)
		return;
	for (int i = 0; i < g->n_mates; i++) /* time-shared rectangle */
		if (s->sg[g->mates[i]].task != TASK_NONE ||
		    now < s->sg[g->mates[i]].free_at)
			return;
	size_t base = (size_t)si * (size_t)s->S;
	int host = si == s->n;
	if (s->train && !host) {
		int64_t k = g->updates;
		size_t ks = (size_t)si * (size_t)s->steps + (size_t)k;
		if (k < s->steps && g->next_bwd == (k + 1) * s->B &&
		    (!g->gsync_need || s->gsync_got[ks] >= g->gsync_need) &&
		    (!g->wsync_need || s->wsync_got[ks] >= g->wsync_need)) {
			start_task(s, si, TASK_UPDATE, (uint64_t)k, now);
			return;
		}
		int64_t b = g->next_bwd;
		if (b < g->next_fwd && s->fwd_done[base + b] &&
		    s->bwd_got[base + b] >= g->bwd_need) {
			start_task(s, si, TASK_BWD, (uint64_t)b, now);
			return;
		}
	}
	int64_t f = g->next_fwd;
	if (f >= s->S)
		return;
	if (s->train && !host && g->updates < f / s->B)
		return;
	if (s->fwd_got[base + f] < g->fwd_need)
		return;
	for (int i = 0; i < g->n_cons; i++)
		if (f - s->sg[g->cons[i]].next_fwd >= g->credits[i]) {
			if (!g->blocked) {
				g->blocked = 1;
				g->blocked_since = now;
			}
			return;
		}
	start_task(s, si, TASK_FWD, (uint64_t)f, now);
}

static void on_done(struct sim *s, int si, cycles_t now)
{
	struct stage_rt *g = &s->sg[si];
	if (g->task == TASK_BWD && g->n_gsync_out && g->next_bwd > 0 &&
	    g->next_bwd % s->B == 0) {
		/* the step's weight gradients are complete: to the owner */
		for (int i = 0; i < g->n_gsync_out; i++)
			route_send(s, g->gsync_out[i],
				   (uint64_t)(g->next_bwd / s->B - 1), now);
	}
	if (g->task == TASK_UPDATE) {
		int64_t k = g->updates++;
		if (++s->step_count[k] == s->n)
			s->step_end[k] = now;
		/* the updated weights: back to the replicas */
		for (int i = 0; i < g->n_wsync_out; i++)
			route_send(s, g->wsync_out[i], (uint64_t)k, now);
		/* and in place for the time-shared guests */
		for (int i = 0; i < g->n_guests; i++) {
			s->wsync_got[(size_t)g->guests[i] * (size_t)s->steps +
				     (size_t)k]++;
			event_push(&s->q, now, EV_TRY, (uint32_t)g->guests[i], 0);
		}
	}
	if (g->task == TASK_BWD && g->share_host >= 0 && g->next_bwd > 0 &&
	    g->next_bwd % s->B == 0) { /* a guest's gradients are in place */
		s->gsync_got[(size_t)g->share_host * (size_t)s->steps +
			     (size_t)(g->next_bwd / s->B - 1)]++;
		event_push(&s->q, now, EV_TRY, (uint32_t)g->share_host, 0);
	}
	g->task = TASK_NONE;
	/* the rectangle's other stages first: ready applications alternate */
	for (int i = 0; i < g->n_mates; i++)
		try_stage(s, g->mates[i], now);
	try_stage(s, si, now);
}

static void on_out(struct sim *s, int si, uint64_t smp, int fwd,
		   cycles_t now)
{
	struct stage_rt *g = &s->sg[si];
	if (fwd) {
		s->fwd_done[(size_t)si * (size_t)s->S + smp] = 1;
		for (int i = 0; i < g->n_out_fwd; i++)
			route_send(s, g->out_fwd[i], smp, now);
		if (g->sink && si != s->n) {
			s->sample_out[smp] = cmax(s->sample_out[smp], now);
			if (!s->train)
				s->samples_out++;
		}
	} else {
		for (int i = 0; i < g->n_out_bwd; i++)
			route_send(s, g->out_bwd[i], smp, now);
	}
	if (si != s->n)
		try_stage(s, si, now);
}

static void on_arrive(struct sim *s, int ri, uint64_t smp, cycles_t now)
{
	struct eroute *e = &s->rt[ri];
	if (e->sync) { /* smp is the step */
		size_t ks = (size_t)e->dst * (size_t)s->steps + (size_t)smp;
		if (e->sync == ROUTE_GRAD_SYNC)
			s->gsync_got[ks]++;
		else
			s->wsync_got[ks]++;
		try_stage(s, e->dst, now);
		return;
	}
	if (e->dst < 0) {
		s->sample_out[smp] = cmax(s->sample_out[smp], now);
		return;
	}
	size_t at = (size_t)e->dst * (size_t)s->S + smp;
	if (e->fwd)
		s->fwd_got[at]++;
	else
		s->bwd_got[at]++;
	try_stage(s, e->dst, now);
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
	}
	int has_bwd = 0, nfs = 0;
	for (int i = 0; i < p->n_routes; i++) {
		has_bwd |= p->routes[i].pass == PASS_BWD_DATA;
		nfs += p->routes[i].pass == PASS_FWD &&
		       p->routes[i].src_stage >= 0 && p->routes[i].dst_stage >= 0;
	}
	st->n_routes = p->n_routes + (s->train && !has_bwd ? nfs : 0);
	free(st->routes);
	st->routes = xcalloc((size_t)st->n_routes + 1, sizeof(*st->routes));
}

/* Per stage and sample (and step) arrival and completion records. */
static void run_alloc(struct sim *s)
{
	size_t ns = (size_t)(s->n + 1) * (size_t)s->S;
	s->fwd_got = xcalloc(ns, sizeof(uint16_t));
	s->bwd_got = xcalloc(ns, sizeof(uint16_t));
	s->fwd_done = xcalloc(ns, 1);
	s->sample_out = xcalloc((size_t)s->S, sizeof(cycles_t));
	s->step_end = xcalloc((size_t)s->steps, sizeof(cycles_t));
	s->step_count = xcalloc((size_t)s->steps, sizeof(int));
	s->gsync_got = xcalloc((size_t)(s->n + 1) * (size_t)s->steps,
			       sizeof(uint16_t));
	s->wsync_got = xcalloc((size_t)(s->n + 1) * (size_t)s->steps,
			       sizeof(uint16_t));
}

/* The pipelined engine: every stage tries at 0, then events until none. */
static void run_events(struct sim *s)
{
	struct stats *st = s->st;
	const struct engine_opts *o = &s->o;
	event_push(&s->q, 0, EV_TRY, (uint32_t)s->n, 0);
	for (int i = 0; i < s->n; i++)
		event_push(&s->q, 0, EV_TRY, (uint32_t)i, 0);
	struct event ev;
	while (event_pop(&s->q, &ev)) {
		st->events++;
		switch (ev.kind) {
		case EV_TRY:
			try_stage(s, (int)ev.a, ev.time);
			break;
		case EV_DONE:
			on_done(s, (int)ev.a, ev.time);
			break;
		case EV_OUT_FWD:
		case EV_OUT_BWD:
			on_out(s, (int)ev.a, ev.b, ev.kind == EV_OUT_FWD,
			       ev.time);
			break;
		case EV_ARRIVE:
			on_arrive(s, (int)ev.a, ev.b, ev.time);
			break;
		}
		if (o->progress && (o->full || (st->events & 0x3ff) == 0)) {
			/* tasks run over tasks to run */
			double done = 0;
			for (int i = 0; i < s->n; i++)
				done += (double)(s->sg[i].next_fwd +
						 s->sg[i].next_bwd);
			done /= (double)s->n * (double)s->S *
				(s->train ? 2.0 : 1.0);
			o->progress(o->progress_ctx, done);
		}
	}
}

/* Every stage must have finished its work: otherwise the plan deadlocked
 * (a stage waiting for an input nobody sends). */
static int run_check_done(const struct sim *s, struct diag *d)
{
	const struct plan *p = s->p;
	for (int i = 0; i < s->n; i++) {
		const struct stage_rt *g = &s->sg[i];
		int ok = g->next_fwd == s->S &&
			 (!s->train || (g->next_bwd == s->S &&
					g->updates == s->steps));
		if (!ok) {
			diag_add(d, NULL, 0, 0,
				 "engine: stage '%s' must run all %lld "
				 "samples, got %lld forward and %lld "
				 "backward (plan deadlocks: an input "
				 "route is missing or circular)",
				 p->stages[i].name ? p->stages[i].name : "?",
				 (long long)s->S, (long long)g->next_fwd,
				 (long long)g->next_bwd);
			return WS_EINPUT;
		}
	}
	return 0;
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
	s.link_free = xcalloc((size_t)npe * LINK_DIRS, sizeof(uint64_t));
	if (o->full && !streaming)
		s.pe_free = xcalloc((size_t)npe, sizeof(uint64_t));
	event_queue_init(&s.q);
	eng_setup(&s);
	run_alloc(&s);
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
