/*
 * plan_estimate_replay.c: the objective's pipelined step and inference
 * interval by replaying the engine's schedule at stage level
 * (plan_estimate.h plan_replay).
 *
 * The closed form (plan_estimate.c) charges fill, drain, pace and syncs
 * one by one; it misses what the schedule itself costs, which the engine
 * simulates: a stage that prefers backward tasks alternates bursts of
 * forward and backward work, so its last backward tasks wait for the round
 * trip of the samples it sent last (drugnet with strips); a host whose
 * back-pressure credits cover only the forward transit stalls whenever its
 * first stage runs backward tasks (p1b1 annealed).  Neither has a closed
 * form; both are what the engine's dispatch rules do.  So the objective
 * runs those rules, event by event, on one reference PE per stage, as the
 * engine does without `--full`:
 *
 *   - a stage's (and the host's) task times: plan_task_occ() and
 *     plan_task_lat(), the engine's own rules (plan_task.c);
 *   - its dispatch: update when the batch's gradients and syncs are in,
 *     else the oldest backward whose gradients have arrived, else the next
 *     forward when its inputs are in, the stage has updated for its step
 *     and every consumer has a credit; time-shared stages one at a time;
 *   - credits: plan_credits() (compiler/plan_credit.h), the engine's rule;
 *   - a route's stream: the engine reserves every lane link of its bundle
 *     (fabric/reserve.h); a link's next free cycle is the end of the last
 *     stream over it, so a stream starts at the latest end among the
 *     bundles it shares a lane link with (plan_bundles_share(), laid as
 *     the engine lays them), itself included, which is what the engine's
 *     per-link reservation gives without walking the links;
 *   - events in time order, ties in push order (ground/event.h), pushed in
 *     the engine's order.
 * Only the statistics the engine keeps are left out, so the cost is that
 * of the events (a few per task), not of the bundles' lane links.
 */
#include "compiler/plan_estimate.h"

#include <stdlib.h>
#include <string.h>

#include "compiler/map_share.h"
#include "compiler/plan_credit.h"
#include "fabric/timing.h"
#include "ground/event.h"

enum { EV_TRY = 0, EV_DONE, EV_OUT_FWD, EV_OUT_BWD, EV_ARRIVE };
enum { T_NONE = 0, T_FWD, T_BWD, T_UPDATE };

struct rstage {
	cycles_t occ[PASS_COUNT], lat[PASS_COUNT];
	int fwd_need, bwd_need, gsync_need, wsync_need;
	int64_t next_fwd, next_bwd, updates;
	int task;
	cycles_t free_at;
	int n_out_fwd, n_out_bwd, n_cons, n_prod, n_gsync, n_wsync;
	int *out_fwd, *out_bwd, *cons, *prod, *gsync, *wsync;
	int64_t *credits;
	int n_mates, *mates, share_host, n_guests, *guests;
	int sink;
};

struct rroute {
	int src, dst, fwd, sync;
	int64_t wavelets, lanes, ser, hops;
	int n_share, *share; /* routes whose bundles share a lane link */
	cycles_t last_end;
};

struct replay {
	const struct plan *p;
	const struct machine *m;
	int n, nr, train, steps;
	int64_t B, S;
	struct rstage *sg;
	struct rroute *rt;
	uint16_t *fwd_got, *bwd_got, *gsync_got, *wsync_got;
	uint8_t *fwd_done;
	cycles_t *sample_out, *step_end;
	int *step_count;
	struct event_queue q;
};

static cycles_t cmax(cycles_t a, cycles_t b)
{
	return a > b ? a : b;
}

static void add(int **a, int *n, int v, int unique)
{
	for (int i = 0; unique && i < *n; i++)
		if ((*a)[i] == v)
			return;
	*a = xrealloc(*a, (size_t)(*n + 1) * sizeof(int));
	(*a)[(*n)++] = v;
}

/* ---- set-up: the engine's (sim/engine_setup.c), without statistics ---- */

static void setup_stages(struct replay *s)
{
	const struct plan *p = s->p;
	for (int i = 0; i < s->n; i++)
		for (int k = 0; k < PASS_COUNT; k++) {
			s->sg[i].occ[k] = plan_task_occ(s->m, p->prec,
							&p->stages[i].work[k]);
			s->sg[i].lat[k] = (cycles_t)plan_task_lat(s->m, p->prec,
								  &p->stages[i],
								  k);
		}
}

/* The plan's routes, then (training a plan without backward routes) its
 * forward routes between stages reversed, as the engine derives them;
 * their lanes, serialisation and hops, and which share lane links. */
static void setup_routes(struct replay *s)
{
	const struct plan *p = s->p;
	int has_bwd = 0, nfs = 0;
	for (int i = 0; i < p->n_routes; i++) {
		has_bwd |= p->routes[i].pass == PASS_BWD_DATA;
		nfs += p->routes[i].pass == PASS_FWD &&
		       p->routes[i].src_stage >= 0 && p->routes[i].dst_stage >= 0;
	}
	int extra = s->train && !has_bwd ? nfs : 0;
	s->nr = p->n_routes + extra;
	s->rt = xcalloc((size_t)s->nr + 1, sizeof(*s->rt));
	struct plan_bundle *b = xcalloc((size_t)s->nr + 1, sizeof(*b));
	int e = p->n_routes;
	for (int i = 0; i < p->n_routes; i++) {
		const struct plan_route *pr = &p->routes[i];
		struct rroute *r = &s->rt[i];
		r->fwd = pr->pass != PASS_BWD_DATA;
		r->src = pr->src_stage < 0 ? s->n : pr->src_stage;
		r->dst = pr->dst_stage;
		r->wavelets = pr->wavelets_per_sample;
		if (pr->kind != ROUTE_SAMPLE) {
			r->sync = pr->kind;
			r->fwd = 0;
			r->wavelets = fabric_wavelets(&s->m->fabric,
						      pr->bytes_per_step);
		}
		b[i] = (struct plan_bundle){pr, 0, 0};
		if (extra && pr->pass == PASS_FWD && pr->src_stage >= 0 &&
		    pr->dst_stage >= 0) {
			struct rroute *q = &s->rt[e];
			q->fwd = 0;
			q->src = pr->dst_stage;
			q->dst = pr->src_stage;
			q->wavelets = pr->wavelets_per_sample;
			b[e++] = (struct plan_bundle){pr, 1, 0};
		}
	}
	for (int i = 0; i < s->nr; i++) {
		struct rroute *r = &s->rt[i];
		b[i].lanes = plan_bundle_lanes(p, s->m, &b[i], r->src, r->dst,
					       r->fwd, r->sync, &r->hops);
		r->lanes = b[i].lanes;
		r->ser = r->lanes > 0 ? (r->wavelets + r->lanes - 1) / r->lanes
				      : r->wavelets;
	}
	unsigned char *sh = xcalloc((size_t)s->nr * (size_t)s->nr + 1, 1);
	plan_bundles_share(s->m, s->nr, b, sh);
	for (int i = 0; i < s->nr; i++)
		for (int j = 0; j < s->nr; j++)
			if (sh[(size_t)i * (size_t)s->nr + (size_t)j])
				add(&s->rt[i].share, &s->rt[i].n_share, j, 0);
	free(sh);
	free(b);
}

/* Who sends route i, who waits for it, who holds back-pressure on whom. */
static void wire_route(struct replay *s, int i)
{
	struct rroute *r = &s->rt[i];
	struct rstage *a = &s->sg[r->src];
	if (r->sync) {
		if (!s->train || r->src >= s->n || r->dst < 0)
			return;
		struct rstage *d = &s->sg[r->dst];
		if (r->sync == ROUTE_GRAD_SYNC) {
			add(&a->gsync, &a->n_gsync, i, 0);
			d->gsync_need++;
		} else {
			add(&a->wsync, &a->n_wsync, i, 0);
			d->wsync_need++;
		}
	} else if (r->fwd) {
		add(&a->out_fwd, &a->n_out_fwd, i, 0);
		if (r->dst >= 0) {
			s->sg[r->dst].fwd_need++;
			add(&a->cons, &a->n_cons, r->dst, 1);
			add(&s->sg[r->dst].prod, &s->sg[r->dst].n_prod, r->src,
			    1);
		}
	} else if (s->train && r->src < s->n && r->dst >= 0) {
		add(&a->out_bwd, &a->n_out_bwd, i, 0);
		s->sg[r->dst].bwd_need++;
	}
}

/* The host's task: the bytes of all its routes through the edge I/O. */
static void setup_host(struct replay *s)
{
	struct rstage *h = &s->sg[s->n];
	int64_t bytes = 0;
	for (int i = 0; i < h->n_out_fwd; i++)
		bytes += s->rt[h->out_fwd[i]].wavelets *
			 (s->m->fabric.wavelet_bits / 8);
	double bpc = s->m->io.bandwidth_gbytes_s / s->m->clock_ghz;
	h->occ[PASS_FWD] = bytes > 0 ? (cycles_t)((double)bytes / bpc +
						  0.999999)
				     : 0;
}

static void setup_credits(struct replay *s)
{
	struct plan_credit_route *cr = xcalloc((size_t)s->nr + 1, sizeof(*cr));
	int64_t *rc = xcalloc((size_t)s->nr + 1, sizeof(int64_t));
	cycles_t *occ = xcalloc((size_t)s->n + 1, sizeof(cycles_t));
	cycles_t *lat = xcalloc((size_t)s->n + 1, sizeof(cycles_t));
	for (int i = 0; i <= s->n; i++) {
		occ[i] = s->sg[i].occ[PASS_FWD];
		lat[i] = i < s->n ? s->sg[i].lat[PASS_FWD]
				  : (cycles_t)s->m->io.latency_cycles;
	}
	for (int r = 0; r < s->nr; r++)
		cr[r] = (struct plan_credit_route){
			s->rt[r].src, s->rt[r].dst, s->rt[r].fwd,
			s->rt[r].ser, s->rt[r].hops};
	plan_credits(&s->m->fabric, s->n, occ, lat, cr, s->nr, rc);
	for (int i = 0; i <= s->n; i++) {
		struct rstage *g = &s->sg[i];
		g->credits = xcalloc((size_t)(g->n_cons ? g->n_cons : 1),
				     sizeof(int64_t));
		plan_credits_of(cr, s->nr, rc, i, g->cons, g->n_cons,
				g->credits);
	}
	free(cr);
	free(rc);
	free(occ);
	free(lat);
}

/* Time-shared stages: mates, host, guests (sim/engine_share.c). */
static void setup_share(struct replay *s)
{
	for (int i = 0; i <= s->n; i++)
		s->sg[i].share_host = -1;
	for (int i = 0; i < s->n; i++) {
		int root = map_share_root(s->p, i);
		for (int j = 0; j < s->n; j++)
			if (j != i && map_share_root(s->p, j) == root)
				add(&s->sg[i].mates, &s->sg[i].n_mates, j, 0);
		if (!map_share_guest(s->p, i) || !s->train)
			continue;
		s->sg[i].share_host = root;
		s->sg[i].wsync_need++;
		s->sg[root].gsync_need++;
		add(&s->sg[root].guests, &s->sg[root].n_guests, i, 0);
	}
}

static void setup(struct replay *s)
{
	s->sg = xcalloc((size_t)s->n + 1, sizeof(*s->sg));
	setup_stages(s);
	setup_routes(s);
	for (int i = 0; i < s->nr; i++)
		wire_route(s, i);
	for (int i = 0; i < s->n; i++)
		s->sg[i].sink = s->sg[i].n_cons == 0;
	setup_host(s);
	setup_credits(s);
	setup_share(s);
	size_t ns = (size_t)(s->n + 1) * (size_t)s->S;
	size_t nk = (size_t)(s->n + 1) * (size_t)s->steps;
	s->fwd_got = xcalloc(ns, sizeof(uint16_t));
	s->bwd_got = xcalloc(ns, sizeof(uint16_t));
	s->fwd_done = xcalloc(ns, 1);
	s->gsync_got = xcalloc(nk, sizeof(uint16_t));
	s->wsync_got = xcalloc(nk, sizeof(uint16_t));
	s->sample_out = xcalloc((size_t)s->S, sizeof(cycles_t));
	s->step_end = xcalloc((size_t)s->steps, sizeof(cycles_t));
	s->step_count = xcalloc((size_t)s->steps, sizeof(int));
	event_queue_init(&s->q);
}

static void release(struct replay *s)
{
	for (int i = 0; i <= s->n; i++) {
		struct rstage *g = &s->sg[i];
		free(g->out_fwd), free(g->out_bwd), free(g->cons);
		free(g->prod), free(g->gsync), free(g->wsync);
		free(g->credits), free(g->mates), free(g->guests);
	}
	for (int i = 0; i < s->nr; i++)
		free(s->rt[i].share);
	free(s->sg), free(s->rt);
	free(s->fwd_got), free(s->bwd_got), free(s->fwd_done);
	free(s->gsync_got), free(s->wsync_got);
	free(s->sample_out), free(s->step_end), free(s->step_count);
	event_queue_release(&s->q);
}

/* ---- the run: the engine's dispatch (sim/engine.c) ---------------------- */

static void route_send(struct replay *s, int ri, uint64_t smp, cycles_t t)
{
	struct rroute *e = &s->rt[ri];
	cycles_t start = t;
	for (int k = 0; k < e->n_share; k++)
		start = cmax(start, s->rt[e->share[k]].last_end);
	int64_t w = e->ser > 0 ? e->ser : 1;
	if (e->n_share)
		e->last_end = start + (cycles_t)w;
	cycles_t arrive = start + fabric_stream_cycles(&s->m->fabric, e->hops,
						       w);
	if (e->dst < 0)
		arrive += (cycles_t)s->m->io.latency_cycles;
	event_push(&s->q, arrive, EV_ARRIVE, (uint32_t)ri, smp);
}

static void start_task(struct replay *s, int si, int kind, uint64_t smp,
		       cycles_t now)
{
	struct rstage *g = &s->sg[si];
	int pa = kind == T_FWD ? PASS_FWD
		 : kind == T_BWD ? PASS_BWD_DATA
				 : PASS_UPDATE;
	cycles_t occ = g->occ[pa] + (kind == T_BWD ? g->occ[PASS_BWD_WEIGHT]
						   : 0);
	g->task = kind;
	g->free_at = now + occ;
	event_push(&s->q, g->free_at, EV_DONE, (uint32_t)si, smp);
	if (si == s->n) {
		g->next_fwd++;
		event_push(&s->q, now + occ + (cycles_t)s->m->io.latency_cycles,
			   EV_OUT_FWD, (uint32_t)si, smp);
	} else if (kind != T_UPDATE) {
		cycles_t out = now + g->occ[pa] + g->lat[pa];
		if (kind == T_FWD)
			g->next_fwd++;
		else
			g->next_bwd++;
		event_push(&s->q, out, kind == T_FWD ? EV_OUT_FWD : EV_OUT_BWD,
			   (uint32_t)si, smp);
	}
	if (kind == T_FWD)
		for (int i = 0; i < g->n_prod; i++)
			event_push(&s->q, now, EV_TRY, (uint32_t)g->prod[i], 0);
}

/* The update or the oldest backward task, if one is ready. */
static int try_train(struct replay *s, int si, cycles_t now)
{
	struct rstage *g = &s->sg[si];
	size_t base = (size_t)si * (size_t)s->S;
	int64_t k = g->updates;
	size_t ks = (size_t)si * (size_t)s->steps + (size_t)k;
	if (k < s->steps && g->next_bwd == (k + 1) * s->B &&
	    (!g->gsync_need || s->gsync_got[ks] >= g->gsync_need) &&
	    (!g->wsync_need || s->wsync_got[ks] >= g->wsync_need)) {
		start_task(s, si, T_UPDATE, (uint64_t)k, now);
		return 1;
	}
	int64_t b = g->next_bwd;
	if (b < g->next_fwd && s->fwd_done[base + b] &&
	    s->bwd_got[base + b] >= g->bwd_need) {
		start_task(s, si, T_BWD, (uint64_t)b, now);
		return 1;
	}
	return 0;
}

static void try_stage(struct replay *s, int si, cycles_t now)
{
	struct rstage *g = &s->sg[si];
	if (g->task != T_NONE || now < g->free_at)
		return;
	for (int i = 0; i < g->n_mates; i++)
		if (s->sg[g->mates[i]].task != T_NONE ||
		    now < s->sg[g->mates[i]].free_at)
			return;
	int host = si == s->n;
	if (s->train && !host && try_train(s, si, now))
		return;
	int64_t f = g->next_fwd;
	if (f >= s->S || (s->train && !host && g->updates < f / s->B) ||
	    s->fwd_got[(size_t)si * (size_t)s->S + (size_t)f] < g->fwd_need)
		return;
	for (int i = 0; i < g->n_cons; i++)
		if (f - s->sg[g->cons[i]].next_fwd >= g->credits[i])
			return;
	start_task(s, si, T_FWD, (uint64_t)f, now);
}

static void on_done(struct replay *s, int si, cycles_t now)
{
	struct rstage *g = &s->sg[si];
	int step_done = g->next_bwd > 0 && g->next_bwd % s->B == 0;
	int64_t k = g->next_bwd / s->B - 1;
	if (g->task == T_BWD && step_done)
		for (int i = 0; i < g->n_gsync; i++)
			route_send(s, g->gsync[i], (uint64_t)k, now);
	if (g->task == T_UPDATE) {
		int64_t u = g->updates++;
		if (++s->step_count[u] == s->n)
			s->step_end[u] = now;
		for (int i = 0; i < g->n_wsync; i++)
			route_send(s, g->wsync[i], (uint64_t)u, now);
		for (int i = 0; i < g->n_guests; i++) {
			s->wsync_got[(size_t)g->guests[i] * (size_t)s->steps +
				     (size_t)u]++;
			event_push(&s->q, now, EV_TRY, (uint32_t)g->guests[i], 0);
		}
	}
	if (g->task == T_BWD && g->share_host >= 0 && step_done) {
		s->gsync_got[(size_t)g->share_host * (size_t)s->steps +
			     (size_t)k]++;
		event_push(&s->q, now, EV_TRY, (uint32_t)g->share_host, 0);
	}
	g->task = T_NONE;
	for (int i = 0; i < g->n_mates; i++)
		try_stage(s, g->mates[i], now);
	try_stage(s, si, now);
}

static void on_out(struct replay *s, int si, uint64_t smp, int fwd,
		   cycles_t now)
{
	struct rstage *g = &s->sg[si];
	if (fwd) {
		s->fwd_done[(size_t)si * (size_t)s->S + smp] = 1;
		for (int i = 0; i < g->n_out_fwd; i++)
			route_send(s, g->out_fwd[i], smp, now);
		if (g->sink && si != s->n)
			s->sample_out[smp] = cmax(s->sample_out[smp], now);
	} else {
		for (int i = 0; i < g->n_out_bwd; i++)
			route_send(s, g->out_bwd[i], smp, now);
	}
	if (si != s->n)
		try_stage(s, si, now);
}

static void on_arrive(struct replay *s, int ri, uint64_t smp, cycles_t now)
{
	struct rroute *e = &s->rt[ri];
	if (e->sync) {
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

static void run(struct replay *s)
{
	event_push(&s->q, 0, EV_TRY, (uint32_t)s->n, 0);
	for (int i = 0; i < s->n; i++)
		event_push(&s->q, 0, EV_TRY, (uint32_t)i, 0);
	struct event ev;
	while (event_pop(&s->q, &ev)) {
		if (ev.kind == EV_TRY)
			try_stage(s, (int)ev.a, ev.time);
		else if (ev.kind == EV_DONE)
			on_done(s, (int)ev.a, ev.time);
		else if (ev.kind == EV_ARRIVE)
			on_arrive(s, (int)ev.a, ev.b, ev.time);
		else
			on_out(s, (int)ev.a, ev.b, ev.kind == EV_OUT_FWD,
			       ev.time);
	}
}

/* Did every stage run all its tasks (else the plan deadlocks)? */
static int finished(const struct replay *s)
{
	for (int i = 0; i < s->n; i++)
		if (s->sg[i].next_fwd != s->S ||
		    (s->train && (s->sg[i].next_bwd != s->S ||
				  s->sg[i].updates != s->steps)))
			return 0;
	return 1;
}

double plan_replay(const struct plan *p, const struct machine *m, int train,
		   int64_t batch, int steps, int64_t samples)
{
	if (p->n_stages <= 0 || p->mode == MODE_STREAMING)
		return -1;
	struct replay s;
	memset(&s, 0, sizeof(s));
	s.p = p;
	s.m = m;
	s.n = p->n_stages;
	s.train = train;
	s.B = batch > 0 ? batch : 1;
	s.steps = steps > 0 ? steps : 2;
	s.S = train ? s.B * s.steps : (samples > 0 ? samples : 64);
	setup(&s);
	run(&s);
	double v = -1;
	if (finished(&s) && train)
		v = (double)(s.steps > 1 ? s.step_end[s.steps - 1] -
						   s.step_end[s.steps - 2]
					 : s.step_end[0]);
	else if (finished(&s)) {
		int64_t a = s.S / 2, b = s.S - 1;
		v = b > a ? (double)((s.sample_out[b] - s.sample_out[a]) /
				     (cycles_t)(b - a))
			  : (double)s.sample_out[0];
	}
	release(&s);
	return v;
}
