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
 * runs those rules, the engine's own (compiler/plan_sched.h: dispatch,
 * credits, time-shared rectangles), on one reference PE per stage, as the
 * engine does without `--full`.  What it times itself:
 *
 *   - a stage's task times: plan_task_occ() and plan_task_lat(), the
 *     engine's own rules (plan_task.c);
 *   - a route's stream: the engine reserves every lane link of its bundle
 *     (fabric/reserve.h); a link's next free cycle is the end of the last
 *     stream over it, so a stream starts at the latest end among the
 *     bundles it shares a lane link with (plan_bundles_share(), laid as
 *     the engine lays them), itself included, which is what the engine's
 *     per-link reservation gives without walking the links.
 * Only the statistics the engine keeps are left out, so the cost is that
 * of the events (a few per task), not of the bundles' lane links.
 */
#include "compiler/plan_estimate.h"

#include <stdlib.h>
#include <string.h>

#include "compiler/plan_sched.h"
#include "fabric/timing.h"

/* per route: the routes whose bundles share a lane link with it, and the
 * end of its last stream */
struct rlink {
	int n_share, *share;
	cycles_t last_end;
};

struct replay {
	struct plan_sched k;
	struct rlink *rl;
};

static cycles_t cmax(cycles_t a, cycles_t b)
{
	return a > b ? a : b;
}

static void setup_stages(struct replay *s)
{
	const struct plan *p = s->k.p;
	for (int i = 0; i < s->k.n; i++)
		for (int k = 0; k < PASS_COUNT; k++) {
			s->k.sg[i].occ[k] = plan_task_occ(s->k.m, p->prec,
							  &p->stages[i].work[k]);
			s->k.sg[i].lat[k] = (cycles_t)plan_task_lat(
				s->k.m, p->prec, &p->stages[i], k);
		}
}

/* The routes' lanes, serialisation and hops, and which share lane links. */
static void setup_routes(struct replay *s)
{
	const struct plan *p = s->k.p;
	int nr = s->k.nr;
	struct plan_bundle *b = xcalloc((size_t)nr + 1, sizeof(*b));
	for (int i = 0; i < nr; i++) {
		struct plan_sched_route *r = &s->k.rt[i];
		b[i] = (struct plan_bundle){r->pr, r->reverse, 0};
		b[i].lanes = plan_bundle_lanes(p, s->k.m, &b[i], r->src, r->dst,
					       r->fwd, r->sync, &r->hops);
		r->lanes = b[i].lanes;
		r->ser = r->lanes > 0 ? (r->wavelets + r->lanes - 1) / r->lanes
				      : r->wavelets;
	}
	s->rl = xcalloc((size_t)nr + 1, sizeof(*s->rl));
	int **sh = xcalloc((size_t)nr + 1, sizeof(int *));
	int *nsh = xcalloc((size_t)nr + 1, sizeof(int));
	plan_bundles_share(s->k.m, nr, b, sh, nsh);
	for (int i = 0; i < nr; i++) {
		s->rl[i].share = sh[i];
		s->rl[i].n_share = nsh[i];
	}
	free(sh);
	free(nsh);
	free(b);
}

/* A stream starts when every bundle it shares a lane link with is free. */
static cycles_t route_send(void *ctx, int ri, uint64_t smp, cycles_t t)
{
	struct replay *s = ctx;
	struct rlink *l = &s->rl[ri];
	const struct plan_sched_route *e = &s->k.rt[ri];
	(void)smp;
	cycles_t start = t;
	for (int k = 0; k < l->n_share; k++)
		start = cmax(start, s->rl[l->share[k]].last_end);
	int64_t w = e->ser > 0 ? e->ser : 1;
	if (l->n_share)
		l->last_end = start + (cycles_t)w;
	return start + fabric_stream_cycles(&s->k.m->fabric, e->hops, w);
}

double plan_replay(const struct plan *p, const struct machine *m, int train,
		   int64_t batch, int steps, int64_t samples)
{
	if (p->n_stages <= 0 || p->mode == MODE_STREAMING)
		return -1;
	struct replay s;
	memset(&s, 0, sizeof(s));
	int64_t B = batch > 0 ? batch : 1;
	int K = steps > 0 ? steps : 2;
	plan_sched_init(&s.k, p, m, train, B, K,
			train ? B * K : (samples > 0 ? samples : 64));
	setup_stages(&s);
	setup_routes(&s);
	plan_sched_wire(&s.k);
	s.k.h.send = route_send;
	s.k.ctx = &s;
	plan_sched_run(&s.k);
	const struct plan_sched *k = &s.k;
	double v = -1;
	if (plan_sched_unfinished(k) < 0 && train)
		v = (double)(K > 1 ? k->step_end[K - 1] - k->step_end[K - 2]
				   : k->step_end[0]);
	else if (plan_sched_unfinished(k) < 0)
		v = (double)plan_sched_interval(k);
	for (int i = 0; i < k->nr; i++)
		free(s.rl[i].share);
	free(s.rl);
	plan_sched_release(&s.k);
	return v;
}
