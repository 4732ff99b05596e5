/*
 * engine_setup.c: checking a plan and building the engine's run-time state
 * from it (stages' task times, routes' links and bundles; the schedule's
 * wiring and credits are compiler/plan_sched.h's); releasing it.  See
 * engine_int.h.
 */
#include "sim/engine_int.h"

#include <stdlib.h>
#include <string.h>

#include "cores/pe.h"
#include "fabric/timing.h"

int eng_check_plan(const struct plan *p, const struct machine *m,
		      struct diag *d)
{
	size_t before = diag_count(d);
	if (p->n_stages <= 0)
		diag_add(d, NULL, 0, 0, "engine: plan '%s' has no stages",
			 p->network ? p->network : "?");
	for (int i = 0; i < p->n_stages; i++) {
		const struct rect *r = &p->stages[i].r;
		if (r->w < 1 || r->h < 1 || r->x < 0 || r->y < 0 ||
		    r->x + r->w > m->width || r->y + r->h > m->height)
			diag_add(d, NULL, 0, 0,
				 "engine: stage '%s' rectangle must lie in the "
				 "%lldx%lld grid, got %dx%d at (%d, %d)",
				 p->stages[i].name ? p->stages[i].name : "?",
				 (long long)m->width, (long long)m->height,
				 r->w, r->h, r->x, r->y);
	}
	for (int i = 0; i < p->n_routes; i++) {
		const struct plan_route *r = &p->routes[i];
		if (r->src_stage < -1 || r->src_stage >= p->n_stages ||
		    r->dst_stage < -1 || r->dst_stage >= p->n_stages ||
		    (r->src_stage < 0 && r->dst_stage < 0))
			diag_add(d, NULL, 0, 0,
				 "engine: route %d must join stages in [0, %d) "
				 "or the host, got %d -> %d",
				 i, p->n_stages, r->src_stage, r->dst_stage);
	}
	return diag_count(d) > before ? WS_EINPUT : 0;
}

/* Per stage and pass: occupancy, compute, what limits it, readiness,
 * latency, in-rectangle hops (and full mode's per-PE tiles). */
static void setup_stages(struct sim *s)
{
	const struct plan *p = s->p;
	const struct machine *m = s->m;
	for (int i = 0; i < s->n; i++) {
		const struct plan_stage *ps = &p->stages[i];
		struct stage_rt *g = &s->sg[i];
		struct plan_sched_stage *q = &s->k.sg[i];
		/* a task runs on one sample copy's PEs (the update on every
		 * copy's: eng_count_work) */
		struct rect tr = plan_copy_rect(ps, 0);
		g->pes = (int64_t)tr.w * tr.h;
		for (int k = 0; k < PASS_COUNT; k++) {
			q->occ[k] = engine_task_occ(m, p->prec, &ps->work[k],
						    &g->lim[k]);
			g->comp[k] = pe_work_cycles(&m->pe, p->prec,
						    &ps->work[k].pe);
			if (g->comp[k] > q->occ[k])
				g->comp[k] = q->occ[k];
			g->ready[k] = eng_task_ready(m, p->prec, &ps->work[k]);
			q->lat[k] = eng_task_lat(s, &tr, &ps->work[k],
					     q->occ[k], g->ready[k]);
			g->task_hops[k] = eng_task_hops(ps, k);
		}
		if (s->o.full)
			eng_full_setup(s, i);
	}
}

/* Each route's path as links (plan_sched_init() built the table: the
 * plan's routes, then reversed forward routes when the plan has no
 * backward routes and we train). */
static void setup_route_links(struct sim *s)
{
	s->rt = xcalloc((size_t)s->nr + 1, sizeof(*s->rt));
	for (int i = 0; i < s->nr; i++) {
		const struct plan_sched_route *r = &s->k.rt[i];
		eng_route_links(s, &s->rt[i], r->pr->points, r->pr->n_points,
				r->reverse);
		s->k.rt[i].hops = s->rt[i].n_links;
	}
}

/* A route's lanes (the fewer of its source's output lines and its
 * destination's input lines, no wider than the grid across any hop), where
 * its bundle lies in link_free, and its serialisation. */
static void setup_route_bundle(struct sim *s, int i)
{
	struct plan_sched_route *r = &s->k.rt[i];
	struct eroute *e = &s->rt[i];
	const struct plan *p = s->p;
	const struct machine *m = s->m;
	int n = s->n;
	int pa = r->fwd ? PASS_FWD : PASS_BWD_DATA;
	int64_t lo = r->src < n ? plan_stage_out_lines(&p->stages[r->src], pa)
				: INT64_MAX;
	int64_t li = r->dst >= 0 ? plan_stage_in_lines(&p->stages[r->dst], pa)
				 : lo;
	if (r->sync && r->src < n && r->dst >= 0) {
		/* weights and gradients lie over the whole rectangle:
		 * they leave across the source's extent facing the
		 * first hop and enter across the destination's
		 * facing the last */
		lo = li = 1;
		if (e->n_links) {
			int d0 = (int)(e->links[0] % LINK_DIRS);
			int d1 = (int)(e->links[e->n_links - 1] %
				       LINK_DIRS);
			const struct rect *a = &p->stages[r->src].r;
			const struct rect *b = &p->stages[r->dst].r;
			lo = d0 == LINK_EAST || d0 == LINK_WEST ? a->h
								: a->w;
			li = d1 == LINK_EAST || d1 == LINK_WEST ? b->h
								: b->w;
		}
	}
	r->lanes = lo < li ? lo : li;
	if (r->lanes == INT64_MAX || r->lanes < 1)
		r->lanes = 1;
	/* a bundle is no wider than the grid across any of its hops */
	for (int k = 0; k < e->n_links; k++) {
		int d = (int)(e->links[k] % LINK_DIRS);
		int64_t span = d == LINK_EAST || d == LINK_WEST
				       ? m->height : m->width;
		if (r->lanes > span)
			r->lanes = span;
	}
	e->lf = xmalloc((size_t)(e->n_links + 1) * sizeof(int64_t));
	for (int k = 0; k < e->n_links; k++)
		e->lf[k] = eng_bundle_free_index(s, r->lanes, e->links[k]);
	r->ser = ceil_div64(r->wavelets, r->lanes);
}

/* Route i's statistics' header. */
static void setup_route_stats(struct sim *s, int i)
{
	const struct plan_sched_route *r = &s->k.rt[i];
	struct stats_route *sr = &s->st->routes[i];
	sr->src_stage = r->src == s->n ? -1 : r->src;
	sr->dst_stage = r->dst;
	sr->backward = r->sync ? r->sync == ROUTE_GRAD_SYNC : !r->fwd;
	sr->hops = r->hops;
	sr->lanes = r->lanes;
	sr->occ_cycles = (cycles_t)r->ser;
}

/*
 * Link classes: the links whose bundles (every lane of every hop) belong
 * to the same set of routes.  A stream holds all its bundle's links from
 * the same cycle to the same cycle, so the links of a class are always
 * free at the same cycle: fabric_reserve over one entry per class gives
 * what it gives over every link (each link's maximum is its class's),
 * at the cost of the classes a route crosses instead of lanes x hops.
 * Built route by route: a link in class c joins class next[c] when route
 * i holds it (one new class per (c, i), stamp[c] = i; last[c] the route
 * that made c, so a link held twice by a route moves once).
 */
struct class_build {
	int32_t *of; /* per link: its class (0: no route) */
	int *next, *stamp, *last;
	int n, cap;
};

static int class_join(struct class_build *b, int c, int i)
{
	if (b->last[c] == i)
		return c;
	if (b->stamp[c] != i) {
		if (b->n == b->cap) {
			b->cap *= 2;
			b->next =
				xrealloc(b->next, sizeof(int) * (size_t)b->cap);
			b->stamp = xrealloc(b->stamp,
					    sizeof(int) * (size_t)b->cap);
			b->last =
				xrealloc(b->last, sizeof(int) * (size_t)b->cap);
		}
		b->stamp[c] = i;
		b->next[c] = b->n;
		b->stamp[b->n] = -1;
		b->last[b->n] = i;
		b->n++;
	}
	return b->next[c];
}

/* Route i's classes (its bundle's, each once) into e->cls. */
static void route_classes(struct class_build *b, struct eroute *e,
			  int64_t lanes, int i)
{
	int cap = 8;
	e->cls = xmalloc(sizeof(int64_t) * (size_t)cap);
	e->n_cls = 0;
	for (int k = 0; k < e->n_links; k++)
		for (int64_t l = 0; l < lanes; l++) {
			int c = b->of[e->lf[k] + l];
			if (b->stamp[c] == i)
				continue;
			b->stamp[c] = i;
			if (e->n_cls == cap) {
				cap *= 2;
				e->cls = xrealloc(e->cls, sizeof(int64_t) *
								  (size_t)cap);
			}
			e->cls[e->n_cls++] = c;
		}
}

static void setup_link_classes(struct sim *s)
{
	int64_t nl = s->m->width * s->m->height * LINK_DIRS;
	struct class_build b = {
		xcalloc((size_t)nl, sizeof(int32_t)), NULL, NULL, NULL, 1, 64};
	b.next = xmalloc(sizeof(int) * (size_t)b.cap);
	b.stamp = xmalloc(sizeof(int) * (size_t)b.cap);
	b.last = xmalloc(sizeof(int) * (size_t)b.cap);
	b.stamp[0] = b.last[0] = -1;
	for (int i = 0; i < s->nr; i++) {
		const struct eroute *e = &s->rt[i];
		int64_t lanes = s->k.rt[i].lanes;
		for (int k = 0; k < e->n_links; k++) {
			int32_t *of = b.of + e->lf[k];
			for (int64_t l = 0; l < lanes; l++)
				of[l] = class_join(&b, of[l], i);
		}
	}
	/* stamps from here on mark a route's classes already listed */
	for (int c = 0; c < b.n; c++)
		b.stamp[c] = -1;
	for (int i = 0; i < s->nr; i++)
		route_classes(&b, &s->rt[i], s->k.rt[i].lanes, i);
	s->link_free = xcalloc((size_t)b.n, sizeof(uint64_t));
	free(b.of);
	free(b.next);
	free(b.stamp);
	free(b.last);
}

void eng_setup(struct sim *s)
{
	const struct plan *p = s->p;
	const struct machine *m = s->m;
	plan_sched_init(&s->k, p, m, s->train, s->B, s->steps, s->S);
	int n = s->n = s->k.n;
	s->nr = s->k.nr;
	s->hop = fabric_hop_cycles(&m->fabric);
	s->ramp = (cycles_t)m->fabric.ramp_latency_cycles;
	s->relay = pe_relay_latency_cycles(&m->pe, p->prec);
	s->relay_rate = pe_relay_cycles(&m->pe, p->prec);
	s->sg = xcalloc((size_t)n + 1, sizeof(*s->sg));
	setup_stages(s);
	setup_route_links(s);
	for (int i = 0; i < s->nr; i++) {
		setup_route_bundle(s, i);
		setup_route_stats(s, i);
	}
	setup_link_classes(s);
	/* who waits for whom, the host's task, credits, shared rectangles */
	plan_sched_wire(&s->k);
	s->sg[n].lim[PASS_FWD] = LIMIT_IO;
}

void eng_sim_release(struct sim *s)
{
	free(s->sg);
	if (s->rt)
		for (int i = 0; i < s->nr; i++)
			free(s->rt[i].links), free(s->rt[i].lf),
				free(s->rt[i].cls);
	free(s->rt);
	free(s->link_free);
	free(s->pe_free);
	plan_sched_release(&s->k);
}
