/*
 * engine_setup.c: checking a plan and building the engine's run-time state
 * from it (stages, routes and their bundles, the host, back-pressure
 * credits); releasing it.  See engine_int.h.
 */
#include "sim/engine_int.h"

#include <stdlib.h>
#include <string.h>

#include "compiler/plan_credit.h"
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

static void push_int(int **a, int *n, int v)
{
	for (int i = 0; i < *n; i++)
		if ((*a)[i] == v)
			return;
	*a = xrealloc(*a, (size_t)(*n + 1) * sizeof(int));
	(*a)[(*n)++] = v;
}

static void add_route_out(int **a, int *n, int v)
{
	*a = xrealloc(*a, (size_t)(*n + 1) * sizeof(int));
	(*a)[(*n)++] = v;
}

static void credits_setup(struct sim *s);

/* Per stage and pass: occupancy, compute, what limits it, readiness,
 * latency, in-rectangle hops (and full mode's per-PE tiles). */
static void setup_stages(struct sim *s)
{
	const struct plan *p = s->p;
	const struct machine *m = s->m;
	for (int i = 0; i < s->n; i++) {
		const struct plan_stage *ps = &p->stages[i];
		struct stage_rt *g = &s->sg[i];
		g->pes = (int64_t)ps->r.w * ps->r.h;
		for (int k = 0; k < PASS_COUNT; k++) {
			g->occ[k] = engine_task_occ(m, p->prec, &ps->work[k],
						    &g->lim[k]);
			g->comp[k] = pe_work_cycles(&m->pe, p->prec,
						    &ps->work[k].pe);
			if (g->comp[k] > g->occ[k])
				g->comp[k] = g->occ[k];
			g->ready[k] = eng_task_ready(m, p->prec, &ps->work[k]);
			g->lat[k] = eng_task_lat(s, &ps->r, &ps->work[k],
					     g->occ[k], g->ready[k]);
			g->task_hops[k] = eng_task_hops(&ps->r, &ps->work[k]);
		}
		if (s->o.full)
			eng_full_setup(s, i);
	}
}

/* The route table: the plan's routes, then reversed forward routes when
 * the plan has no backward routes and we train. */
static void setup_route_table(struct sim *s)
{
	const struct plan *p = s->p;
	const struct machine *m = s->m;
	int n = s->n;
	int has_bwd = 0;
	for (int i = 0; i < p->n_routes; i++)
		if (p->routes[i].pass == PASS_BWD_DATA)
			has_bwd = 1;
	int nfwd_stage = 0;
	for (int i = 0; i < p->n_routes; i++)
		if (p->routes[i].pass == PASS_FWD && p->routes[i].src_stage >= 0 &&
		    p->routes[i].dst_stage >= 0)
			nfwd_stage++;
	int extra = s->train && !has_bwd ? nfwd_stage : 0;
	s->nr = p->n_routes + extra;
	s->rt = xcalloc((size_t)s->nr + 1, sizeof(*s->rt));
	int e = p->n_routes;
	for (int i = 0; i < p->n_routes; i++) {
		const struct plan_route *pr = &p->routes[i];
		struct eroute *r = &s->rt[i];
		r->fwd = pr->pass != PASS_BWD_DATA;
		r->src = pr->src_stage < 0 ? n : pr->src_stage;
		r->dst = pr->dst_stage;
		r->wavelets = pr->wavelets_per_sample;
		if (pr->kind != ROUTE_SAMPLE) {
			/* once per step, between two stages (plan_check) */
			r->sync = pr->kind;
			r->fwd = 0;
			r->wavelets = fabric_wavelets(&m->fabric,
						      pr->bytes_per_step);
		}
		eng_route_links(s, r, pr->points, pr->n_points, 0);
		if (extra && pr->pass == PASS_FWD && pr->src_stage >= 0 &&
		    pr->dst_stage >= 0) {
			struct eroute *b = &s->rt[e++];
			b->fwd = 0;
			b->src = pr->dst_stage;
			b->dst = pr->src_stage;
			b->wavelets = pr->wavelets_per_sample;
			eng_route_links(s, b, pr->points, pr->n_points, 1);
		}
	}
}

/* A route's lanes (the fewer of its source's output lines and its
 * destination's input lines, no wider than the grid across any hop), where
 * its bundle lies in link_free, and its serialisation. */
static void setup_route_bundle(struct sim *s, struct eroute *r)
{
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
		if (r->n_links) {
			int d0 = (int)(r->links[0] % LINK_DIRS);
			int d1 = (int)(r->links[r->n_links - 1] %
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
	for (int k = 0; k < r->n_links; k++) {
		int d = (int)(r->links[k] % LINK_DIRS);
		int64_t span = d == LINK_EAST || d == LINK_WEST
				       ? m->height : m->width;
		if (r->lanes > span)
			r->lanes = span;
	}
	r->lf = xmalloc((size_t)(r->n_links + 1) * sizeof(int64_t));
	for (int k = 0; k < r->n_links; k++)
		r->lf[k] = eng_bundle_free_index(s, r, r->links[k]);
	r->ser = ceil_div64(r->wavelets, r->lanes);
}

/* Route i joins its stages: who sends it, who waits for it, who holds
 * back-pressure on whom. */
static void setup_route_wire(struct sim *s, int i)
{
	struct eroute *r = &s->rt[i];
	int n = s->n;
	if (r->sync) {
		if (s->train && r->src < n && r->dst >= 0) {
			struct stage_rt *a = &s->sg[r->src];
			struct stage_rt *b = &s->sg[r->dst];
			if (r->sync == ROUTE_GRAD_SYNC) {
				add_route_out(&a->gsync_out,
					      &a->n_gsync_out, i);
				b->gsync_need++;
			} else {
				add_route_out(&a->wsync_out,
					      &a->n_wsync_out, i);
				b->wsync_need++;
			}
		}
	} else if (s->train || r->fwd) {
		if (r->fwd) {
			add_route_out(&s->sg[r->src].out_fwd,
				      &s->sg[r->src].n_out_fwd, i);
			if (r->dst >= 0) {
				s->sg[r->dst].fwd_need++;
				push_int(&s->sg[r->src].cons,
					 &s->sg[r->src].n_cons, r->dst);
				push_int(&s->sg[r->dst].prod,
					 &s->sg[r->dst].n_prod, r->src);
			}
		} else if (r->src < n && r->dst >= 0) {
			add_route_out(&s->sg[r->src].out_bwd,
				      &s->sg[r->src].n_out_bwd, i);
			s->sg[r->dst].bwd_need++;
		}
	}
	struct stats_route *sr = &s->st->routes[i];
	sr->src_stage = r->src == n ? -1 : r->src;
	sr->dst_stage = r->dst;
	sr->backward = r->sync ? r->sync == ROUTE_GRAD_SYNC : !r->fwd;
	sr->hops = r->hops;
	sr->lanes = r->lanes;
	sr->occ_cycles = (cycles_t)r->ser;
}

/* The host: one task per sample, the bytes of all its routes through the
 * edge I/O. */
static void setup_host(struct sim *s)
{
	const struct machine *m = s->m;
	struct stage_rt *h = &s->sg[s->n];
	int64_t wb = m->fabric.wavelet_bits / 8;
	int64_t bytes = 0;
	for (int i = 0; i < h->n_out_fwd; i++)
		bytes += s->rt[h->out_fwd[i]].wavelets * wb;
	s->host_bytes = bytes;
	double bpc = m->io.bandwidth_gbytes_s / m->clock_ghz; /* bytes/cycle */
	h->occ[PASS_FWD] = bytes > 0 ? (cycles_t)((double)bytes / bpc + 0.999999)
				     : 0;
	h->lim[PASS_FWD] = LIMIT_IO;
}

void eng_setup(struct sim *s)
{
	const struct plan *p = s->p;
	const struct machine *m = s->m;
	int n = s->n = p->n_stages;
	s->hop = fabric_hop_cycles(&m->fabric);
	s->ramp = (cycles_t)m->fabric.ramp_latency_cycles;
	s->relay = pe_relay_latency_cycles(&m->pe, p->prec);
	s->relay_rate = pe_relay_cycles(&m->pe, p->prec);
	s->sg = xcalloc((size_t)n + 1, sizeof(*s->sg));
	setup_stages(s);
	setup_route_table(s);
	for (int i = 0; i < s->nr; i++) {
		setup_route_bundle(s, &s->rt[i]);
		setup_route_wire(s, i);
	}
	for (int i = 0; i < n; i++)
		s->sg[i].sink = s->sg[i].n_cons == 0;
	setup_host(s);
	credits_setup(s);
	eng_share_setup(s);
}

/* Back-pressure credits: the rule is compiler/plan_credit.h's, which the
 * objective's replay of this schedule calls too. */
static void credits_setup(struct sim *s)
{
	int n = s->n;
	struct plan_credit_route *cr = xcalloc((size_t)s->nr + 1, sizeof(*cr));
	int64_t *rc = xcalloc((size_t)s->nr + 1, sizeof(int64_t));
	cycles_t *occ = xcalloc((size_t)n + 1, sizeof(cycles_t));
	cycles_t *lat = xcalloc((size_t)n + 1, sizeof(cycles_t));
	for (int i = 0; i <= n; i++) {
		occ[i] = s->sg[i].occ[PASS_FWD];
		lat[i] = i < n ? s->sg[i].lat[PASS_FWD]
			       : (cycles_t)s->m->io.latency_cycles;
	}
	for (int r = 0; r < s->nr; r++)
		cr[r] = (struct plan_credit_route){s->rt[r].src, s->rt[r].dst,
						   s->rt[r].fwd, s->rt[r].ser,
						   s->rt[r].hops};
	plan_credits(&s->m->fabric, n, occ, lat, cr, s->nr, rc);
	for (int i = 0; i <= n; i++) {
		struct stage_rt *g = &s->sg[i];
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

void eng_sim_release(struct sim *s)
{
	if (s->sg)
		for (int i = 0; i <= s->n; i++) {
			free(s->sg[i].out_fwd);
			free(s->sg[i].out_bwd);
			free(s->sg[i].cons);
			free(s->sg[i].prod);
			free(s->sg[i].credits);
			free(s->sg[i].gsync_out);
			free(s->sg[i].wsync_out);
		}
	eng_share_release(s);
	free(s->sg);
	if (s->rt)
		for (int i = 0; i < s->nr; i++)
			free(s->rt[i].links), free(s->rt[i].lf);
	free(s->rt);
	free(s->fwd_got);
	free(s->bwd_got);
	free(s->fwd_done);
	free(s->sample_out);
	free(s->step_end);
	free(s->step_count);
	free(s->gsync_got);
	free(s->wsync_got);
	free(s->link_free);
	free(s->pe_free);
	event_queue_release(&s->q);
}
