/* plan_sched.c: the pipelined schedule of a plan (plan_sched.h). */
#include "compiler/plan_sched.h"

#include <stdlib.h>
#include <string.h>

#include "compiler/map_share.h"
#include "compiler/plan_credit.h"
#include "fabric/timing.h"

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

/* ---- set-up ------------------------------------------------------------ */

static int reversed_routes(const struct plan *p, int train)
{
	int has_bwd = 0, nfs = 0;
	for (int i = 0; i < p->n_routes; i++) {
		has_bwd |= p->routes[i].pass == PASS_BWD_DATA;
		nfs += p->routes[i].pass == PASS_FWD &&
		       p->routes[i].src_stage >= 0 && p->routes[i].dst_stage >= 0;
	}
	return train && !has_bwd ? nfs : 0;
}

int plan_sched_n_routes(const struct plan *p, int train)
{
	return p->n_routes + reversed_routes(p, train);
}

void plan_sched_init(struct plan_sched *s, const struct plan *p,
		     const struct machine *m, int train, int64_t B,
		     int steps, int64_t S)
{
	memset(s, 0, sizeof(*s));
	s->p = p;
	s->m = m;
	s->n = p->n_stages;
	s->train = train;
	s->B = B;
	s->steps = steps;
	s->S = S;
	s->sg = xcalloc((size_t)s->n + 1, sizeof(*s->sg));
	for (int i = 0; i <= s->n; i++) {
		s->sg[i].share_host = -1;
		s->sg[i].copies = i < s->n ? plan_copies(&p->stages[i]) : 1;
	}
	int extra = reversed_routes(p, train);
	s->nr = p->n_routes + extra;
	s->rt = xcalloc((size_t)s->nr + 1, sizeof(*s->rt));
	int e = p->n_routes;
	for (int i = 0; i < p->n_routes; i++) {
		const struct plan_route *pr = &p->routes[i];
		struct plan_sched_route *r = &s->rt[i];
		r->pr = pr;
		r->fwd = pr->pass != PASS_BWD_DATA;
		r->src = pr->src_stage < 0 ? s->n : pr->src_stage;
		r->dst = pr->dst_stage;
		r->wavelets = pr->wavelets_per_sample;
		if (pr->kind != ROUTE_SAMPLE) {
			/* once per step, between two stages (plan_check) */
			r->sync = pr->kind;
			r->fwd = 0;
			r->wavelets = fabric_wavelets(&m->fabric,
						      pr->bytes_per_step);
		}
		if (extra && pr->pass == PASS_FWD && pr->src_stage >= 0 &&
		    pr->dst_stage >= 0) {
			struct plan_sched_route *b = &s->rt[e++];
			b->pr = pr;
			b->reverse = 1;
			b->fwd = 0;
			b->src = pr->dst_stage;
			b->dst = pr->src_stage;
			b->wavelets = pr->wavelets_per_sample;
		}
	}
}

/* Route i joins its stages: who sends it, who waits for it, who holds
 * back-pressure on whom. */
static void wire_route(struct plan_sched *s, int i)
{
	struct plan_sched_route *r = &s->rt[i];
	struct plan_sched_stage *a = &s->sg[r->src];
	if (r->sync) {
		if (!s->train || r->src >= s->n || r->dst < 0)
			return;
		struct plan_sched_stage *d = &s->sg[r->dst];
		if (r->sync == ROUTE_GRAD_SYNC) {
			add(&a->gsync_out, &a->n_gsync_out, i, 0);
			d->gsync_need++;
		} else {
			add(&a->wsync_out, &a->n_wsync_out, i, 0);
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

/* The host's task: the bytes of its routes through the edge I/O, a
 * multicast tree's once (plan_route_host_input). */
static void wire_host(struct plan_sched *s)
{
	const struct machine *m = s->m;
	struct plan_sched_stage *h = &s->sg[s->n];
	int64_t bytes = 0;
	for (int i = 0; i < h->n_out_fwd; i++) {
		const struct plan_sched_route *r = &s->rt[h->out_fwd[i]];
		if (r->pr && plan_route_host_input(s->p,
						   (int)(r->pr - s->p->routes)))
			bytes += r->wavelets * (m->fabric.wavelet_bits / 8);
	}
	s->host_bytes = bytes;
	double bpc = m->io.bandwidth_gbytes_s / m->clock_ghz; /* bytes/cycle */
	h->occ[PASS_FWD] = bytes > 0 ? (cycles_t)((double)bytes / bpc +
						  0.999999)
				     : 0;
}

static void wire_credits(struct plan_sched *s)
{
	int n = s->n;
	struct plan_credit_route *cr = xcalloc((size_t)s->nr + 1, sizeof(*cr));
	int64_t *rc = xcalloc((size_t)s->nr + 1, sizeof(int64_t));
	cycles_t *occ = xcalloc((size_t)n + 1, sizeof(cycles_t));
	cycles_t *lat = xcalloc((size_t)n + 1, sizeof(cycles_t));
	for (int i = 0; i <= n; i++) {
		/* a stage with copies serves that many samples at once */
		occ[i] = s->sg[i].occ[PASS_FWD] / (cycles_t)s->sg[i].copies;
		lat[i] = i < n ? s->sg[i].lat[PASS_FWD]
			       : (cycles_t)s->m->io.latency_cycles;
	}
	for (int r = 0; r < s->nr; r++)
		cr[r] = (struct plan_credit_route){s->rt[r].src, s->rt[r].dst,
						   s->rt[r].fwd, s->rt[r].ser,
						   s->rt[r].hops};
	plan_credits(&s->m->fabric, n, occ, lat, cr, s->nr, rc);
	/* the routes by source (stable), so that each stage's credits look
	 * at its own routes, not at all of them (a maximum: the same) */
	int *off = xcalloc((size_t)n + 3, sizeof(int));
	struct plan_credit_route *bs = xcalloc((size_t)s->nr + 1, sizeof(*bs));
	int64_t *bc = xcalloc((size_t)s->nr + 1, sizeof(int64_t));
	for (int r = 0; r < s->nr; r++)
		if (cr[r].src >= -1 && cr[r].src <= n)
			off[cr[r].src + 2]++;
	for (int k = 0; k <= n + 1; k++)
		off[k + 1] += off[k];
	for (int r = 0; r < s->nr; r++)
		if (cr[r].src >= -1 && cr[r].src <= n) {
			int at = off[cr[r].src + 1]++;
			bs[at] = cr[r];
			bc[at] = rc[r];
		}
	for (int i = 0; i <= n; i++) {
		struct plan_sched_stage *g = &s->sg[i];
		g->credits = xcalloc((size_t)(g->n_cons ? g->n_cons : 1),
				     sizeof(int64_t));
		/* after the fill, off[k] is where source k - 1's routes end
		 * and source k's begin */
		plan_credits_of(bs + off[i], off[i + 1] - off[i], bc + off[i],
				i, g->cons, g->n_cons, g->credits);
		/* a sample more for every further server of the consumer */
		for (int k = 0; k < g->n_cons; k++)
			g->credits[k] += s->sg[g->cons[k]].copies - 1;
	}
	free(off);
	free(bs);
	free(bc);
	free(cr);
	free(rc);
	free(occ);
	free(lat);
}

/*
 * A rectangle that runs several stages in turn (compiler/map_share.h):
 *   - a stage starts a task only when every stage on its rectangle is
 *     idle; when one finishes, the others are offered the rectangle
 *     first, so ready applications alternate;
 *   - a guest's last backward of a step stands for a gradient sync into
 *     its host (at no cost: the gradients are accumulated where the
 *     weights lie), so the host's update waits for it;
 *   - the host's update stands for the guests' weight sync: a guest's
 *     "update" (no work of its own) and so its next forward wait for it.
 */
static void wire_share(struct plan_sched *s)
{
	if (!map_share_any(s->p))
		return; /* no mates, no guests (a scan per stage would find none) */
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

void plan_sched_wire(struct plan_sched *s)
{
	for (int i = 0; i < s->nr; i++)
		wire_route(s, i);
	for (int i = 0; i < s->n; i++)
		s->sg[i].sink = s->sg[i].n_cons == 0;
	wire_host(s);
	wire_credits(s);
	wire_share(s);
	for (int i = 0; i < s->n; i++)
		s->sg[i].slots =
			plan_act_slots_of(s->p, s->m, i, s->sg[i].n_mates + 1);
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

void plan_sched_release(struct plan_sched *s)
{
	for (int i = 0; s->sg && i <= s->n; i++) {
		struct plan_sched_stage *g = &s->sg[i];
		free(g->out_fwd), free(g->out_bwd), free(g->cons);
		free(g->prod), free(g->gsync_out), free(g->wsync_out);
		free(g->credits), free(g->mates), free(g->guests);
	}
	free(s->sg), free(s->rt);
	free(s->fwd_got), free(s->bwd_got), free(s->fwd_done);
	free(s->gsync_got), free(s->wsync_got);
	free(s->sample_out), free(s->step_end), free(s->step_count);
	event_queue_release(&s->q);
	memset(s, 0, sizeof(*s));
}

/* ---- the run ----------------------------------------------------------- */

static void route_send(struct plan_sched *s, int ri, uint64_t smp,
		       cycles_t t)
{
	cycles_t arrive = s->h.send(s->ctx, ri, smp, t);
	if (s->rt[ri].dst < 0)
		arrive += (cycles_t)s->m->io.latency_cycles;
	event_push(&s->q, arrive, SCHED_EV_ARRIVE, (uint32_t)ri, smp);
}

/* Whether server c of stage g is idle at `now` (c < 0: every server). */
static int srv_idle(const struct plan_sched_stage *g, int c, cycles_t now)
{
	if (c >= 0)
		return g->stask[c] == SCHED_NONE && now >= g->sfree[c];
	for (int i = 0; i < g->copies; i++)
		if (g->stask[i] != SCHED_NONE || now < g->sfree[i])
			return 0;
	return 1;
}

/* Whether no server of stage g runs a task. */
static int srv_none(const struct plan_sched_stage *g)
{
	for (int i = 0; i < g->copies; i++)
		if (g->stask[i] != SCHED_NONE)
			return 0;
	return 1;
}

/* The server sample smp runs on. */
static int srv_of(const struct plan_sched_stage *g, int64_t smp)
{
	return g->copies == 1 ? 0 : (int)(smp % g->copies);
}

/* Start a task on stage si at `now`; a backward task runs both backward
 * passes back to back. */
static void start_task(struct plan_sched *s, int si, int kind, uint64_t smp,
		       cycles_t now)
{
	struct plan_sched_stage *g = &s->sg[si];
	int pa = kind == SCHED_FWD ? PASS_FWD
		 : kind == SCHED_BWD ? PASS_BWD_DATA
				     : PASS_UPDATE;
	cycles_t occ = g->occ[pa] + (kind == SCHED_BWD
					     ? g->occ[PASS_BWD_WEIGHT] : 0);
	g->task = kind;
	g->free_at = now + occ;
	if (kind != SCHED_UPDATE) {
		int c = srv_of(g, (int64_t)smp);
		g->stask[c] = kind;
		g->sfree[c] = g->free_at;
	} else {
		for (int c = 0; c < g->copies; c++) {
			g->stask[c] = kind;
			g->sfree[c] = g->free_at;
		}
	}
	event_push(&s->q, g->free_at, SCHED_EV_DONE, (uint32_t)si,
		   smp << 2 | (uint64_t)kind);
	cycles_t out = now + g->occ[pa] + g->lat[pa];
	if (s->h.start)
		out = s->h.start(s->ctx, si, kind, smp, now);
	g->blocked = 0;
	if (si == s->n) {
		g->next_fwd++;
		event_push(&s->q, now + occ + (cycles_t)s->m->io.latency_cycles,
			   SCHED_EV_OUT_FWD, (uint32_t)si, smp);
	} else if (kind != SCHED_UPDATE) {
		if (kind == SCHED_FWD)
			g->next_fwd++;
		else
			g->next_bwd++;
		event_push(&s->q, out,
			   kind == SCHED_FWD ? SCHED_EV_OUT_FWD : SCHED_EV_OUT_BWD,
			   (uint32_t)si, smp);
	}
	/* producers held by back-pressure on us may go on now */
	if (kind == SCHED_FWD)
		for (int i = 0; i < g->n_prod; i++)
			event_push(&s->q, now, SCHED_EV_TRY,
				   (uint32_t)g->prod[i], 0);
}

/* The update or the oldest backward task, if one is ready. */
static int try_train(struct plan_sched *s, int si, cycles_t now)
{
	struct plan_sched_stage *g = &s->sg[si];
	size_t base = (size_t)si * (size_t)s->S;
	int64_t k = g->updates;
	size_t ks = (size_t)si * (size_t)s->steps + (size_t)k;
	if (k < s->steps && g->next_bwd == (k + 1) * s->B &&
	    (g->copies == 1 || srv_idle(g, -1, now)) &&
	    (!g->gsync_need || s->gsync_got[ks] >= g->gsync_need) &&
	    (!g->wsync_need || s->wsync_got[ks] >= g->wsync_need)) {
		start_task(s, si, SCHED_UPDATE, (uint64_t)k, now);
		return 1;
	}
	int64_t b = g->next_bwd;
	if (b < g->next_fwd && s->fwd_done[base + b] &&
	    s->bwd_got[base + b] >= g->bwd_need &&
	    (g->copies == 1 || srv_idle(g, srv_of(g, b), now))) {
		start_task(s, si, SCHED_BWD, (uint64_t)b, now);
		return 1;
	}
	return 0;
}

/* The next forward task of stage si, if its inputs are in, its server
 * is idle, it has updated for its step, its SRAM has room and every
 * consumer a credit; 1 when started. */
static int try_forward(struct plan_sched *s, int si, cycles_t now)
{
	struct plan_sched_stage *g = &s->sg[si];
	int host = si == s->n;
	int64_t f = g->next_fwd;
	if (f >= s->S || (s->train && !host && g->updates < f / s->B) ||
	    s->fwd_got[(size_t)si * (size_t)s->S + (size_t)f] < g->fwd_need ||
	    (g->copies > 1 && !srv_idle(g, srv_of(g, f), now)))
		return 0;
	/* its SRAM holds no more samples' activations: a backward frees one */
	if (s->train && !host && f - g->next_bwd >= g->slots)
		return 0;
	for (int i = 0; i < g->n_cons; i++)
		if (f - s->sg[g->cons[i]].next_fwd >= g->credits[i]) {
			if (!g->blocked) {
				g->blocked = 1;
				g->blocked_since = now;
			}
			return 0;
		}
	start_task(s, si, SCHED_FWD, (uint64_t)f, now);
	return 1;
}

/* Start what stage si can start now: while one of its servers (and its
 * rectangle) is idle, the next task (one server for a stage without
 * copies: one task at most). */
static void try_stage(struct plan_sched *s, int si, cycles_t now)
{
	struct plan_sched_stage *g = &s->sg[si];
	int host = si == s->n;
	for (;;) {
		int idle = srv_idle(g, 0, now);
		for (int c = 1; !idle && c < g->copies; c++)
			idle = srv_idle(g, c, now);
		if (!idle)
			return;
		for (int i = 0; i < g->n_mates; i++)
			if (s->sg[g->mates[i]].task != SCHED_NONE ||
			    now < s->sg[g->mates[i]].free_at)
				return;
		if (!(s->train && !host && try_train(s, si, now)) &&
		    !try_forward(s, si, now))
			return;
		if (g->copies == 1)
			return;
	}
}

static void on_done(struct plan_sched *s, int si, uint64_t tag,
		    cycles_t now)
{
	struct plan_sched_stage *g = &s->sg[si];
	int kind = (int)(tag & 3);
	if (kind != SCHED_UPDATE)
		g->stask[srv_of(g, (int64_t)(tag >> 2))] = SCHED_NONE;
	else
		for (int c = 0; c < g->copies; c++)
			g->stask[c] = SCHED_NONE;
	int none = g->copies == 1 || srv_none(g);
	/* the step's backward tasks all started and, on every server, ended */
	int step_done = g->next_bwd > 0 && g->next_bwd % s->B == 0 && none;
	int64_t k = g->next_bwd / s->B - 1;
	if (kind == SCHED_BWD && step_done) /* gradients: to the owner */
		for (int i = 0; i < g->n_gsync_out; i++)
			route_send(s, g->gsync_out[i], (uint64_t)k, now);
	if (kind == SCHED_UPDATE) {
		int64_t u = g->updates++;
		if (++s->step_count[u] == s->n)
			s->step_end[u] = now;
		/* the updated weights: back to the replicas */
		for (int i = 0; i < g->n_wsync_out; i++)
			route_send(s, g->wsync_out[i], (uint64_t)u, now);
		/* and in place for the time-shared guests */
		for (int i = 0; i < g->n_guests; i++) {
			s->wsync_got[(size_t)g->guests[i] * (size_t)s->steps +
				     (size_t)u]++;
			event_push(&s->q, now, SCHED_EV_TRY,
				   (uint32_t)g->guests[i], 0);
		}
	}
	if (kind == SCHED_BWD && g->share_host >= 0 && step_done) {
		/* a guest's gradients are in place */
		s->gsync_got[(size_t)g->share_host * (size_t)s->steps +
			     (size_t)k]++;
		event_push(&s->q, now, SCHED_EV_TRY, (uint32_t)g->share_host,
			   0);
	}
	if (none)
		g->task = SCHED_NONE;
	/* the rectangle's other stages first: ready applications alternate */
	for (int i = 0; i < g->n_mates; i++)
		try_stage(s, g->mates[i], now);
	try_stage(s, si, now);
}

static void on_out(struct plan_sched *s, int si, uint64_t smp, int fwd,
		   cycles_t now)
{
	struct plan_sched_stage *g = &s->sg[si];
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

static void on_arrive(struct plan_sched *s, int ri, uint64_t smp,
		      cycles_t now)
{
	struct plan_sched_route *e = &s->rt[ri];
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

void plan_sched_run(struct plan_sched *s)
{
	event_push(&s->q, 0, SCHED_EV_TRY, (uint32_t)s->n, 0);
	for (int i = 0; i < s->n; i++)
		event_push(&s->q, 0, SCHED_EV_TRY, (uint32_t)i, 0);
	struct event ev;
	while (event_pop(&s->q, &ev)) {
		if (ev.kind == SCHED_EV_TRY)
			try_stage(s, (int)ev.a, ev.time);
		else if (ev.kind == SCHED_EV_DONE)
			on_done(s, (int)ev.a, ev.b, ev.time);
		else if (ev.kind == SCHED_EV_ARRIVE)
			on_arrive(s, (int)ev.a, ev.b, ev.time);
		else
			on_out(s, (int)ev.a, ev.b,
			       ev.kind == SCHED_EV_OUT_FWD, ev.time);
		if (s->h.event)
			s->h.event(s->ctx);
	}
}

static int64_t gcd64(int64_t a, int64_t b)
{
	while (b) {
		int64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

cycles_t plan_sched_interval(const struct plan_sched *s)
{
	int64_t a = s->S / 2, b = s->S - 1;
	if (b <= a)
		return s->sample_out[0];
	/* rounds of every stage's copies: their least common multiple */
	int64_t L = 1;
	for (int i = 0; i < s->n && L <= b; i++)
		L = L / gcd64(L, s->sg[i].copies) * s->sg[i].copies;
	int64_t n = b - a;
	if (L > 1 && L <= b)
		n = (n + L - 1) / L * L;
	if (n > b)
		n -= L;
	return (s->sample_out[b] - s->sample_out[b - n]) / (cycles_t)n;
}

int plan_sched_unfinished(const struct plan_sched *s)
{
	for (int i = 0; i < s->n; i++)
		if (s->sg[i].next_fwd != s->S ||
		    (s->train && (s->sg[i].next_bwd != s->S ||
				  s->sg[i].updates != s->steps)))
			return i;
	return -1;
}
