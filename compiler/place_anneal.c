/*
 * place_anneal.c: strategy "anneal": simulated annealing over positions and
 * shapes, starting from the better (place_cost) of the "pack" and "strips"
 * layouts.
 *
 * Cost (place_cost, docs/placement.md): bottleneck stage cycles + traffic
 * (bytes x Manhattan distance, as wavelet-hops spread over the links) + 10%
 * of the bottleneck per unused wafer.  Moves: shift a stage by a few PEs,
 * move it anywhere, swap two stages' corners, resize a stage (PEs x0.8 ..
 * x1.25, within its minimum and useful maximum, aspect perturbed), move one
 * edge of a stage by 1 to 4 PEs (grow into a gap, or give one up); a
 * quarter of the moves pick the current bottleneck stage.  A move
 * that leaves the grid, overlaps or breaks SRAM is rejected.
 *
 * Deterministic for a given seed: the schedule is a fixed number of moves
 * (3000 per stage, at most 300000).  The time budget (plan_opts
 * time_budget_s, --time-budget; default 10 s) only stops it early, and the
 * plan's strategy_note then says so, since the result then depends on the
 * speed of the machine.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/place.h"
#include "sim/util.h"

extern const struct place_strategy place_strategy_pack;
extern const struct place_strategy place_strategy_strips;

struct state {
	const struct place_problem *pp;
	struct rect *r;
	double *cyc; /* stage cycles per item */
};

static int valid(const struct state *s, int i, const struct rect *q)
{
	const struct place_problem *pp = s->pp;
	if (q->x < 0 || q->y < 0 || q->w < 1 || q->h < 1 ||
	    q->x + q->w > pp->grid_w || q->y + q->h > pp->grid_h)
		return 0;
	for (int j = 0; j < pp->n_items; j++)
		if (j != i && place_overlap(q, &s->r[j]))
			return 0;
	return 1;
}

static double cost(const struct state *s)
{
	return place_cost_cycles(s->pp, s->r, s->cyc);
}

static int32_t rnd(uint64_t *st, int32_t n)
{
	return n <= 0 ? 0 : (int32_t)(place_rand(st) % (uint64_t)n);
}

static double unit(uint64_t *st)
{
	return (double)(place_rand(st) >> 11) / 9007199254740992.0;
}

static int anneal(const struct place_problem *pp, struct rect *rects,
		  char *note, struct diag *d)
{
	int n = pp->n_items;
	/* start from the better of pack and strips */
	struct rect *alt = xmalloc(sizeof(*alt) * (size_t)n);
	struct diag quiet;
	diag_init(&quiet);
	int rc = place_strategy_pack.fn(pp, rects, note, &quiet);
	int rc2 = place_strategy_strips.fn(pp, alt, note, &quiet);
	diag_release(&quiet);
	if (rc && rc2) {
		free(alt);
		diag_add(d, NULL, 0, 0,
			 "place: anneal: neither pack nor strips could make a "
			 "starting layout of the %d stages in the %dx%d grid",
			 n, pp->grid_w, pp->grid_h);
		return WS_EINPUT;
	}
	const char *start = "pack";
	if (rc || (!rc2 && place_cost(pp, alt) < place_cost(pp, rects))) {
		memcpy(rects, alt, sizeof(*alt) * (size_t)n);
		start = "strips";
	}
	free(alt);
	struct state s = {pp, rects, xcalloc((size_t)n, sizeof(double))};
	for (int i = 0; i < n; i++)
		s.cyc[i] = place_item_cycles(pp, i, rects[i].w, rects[i].h);
	struct rect *best = xmalloc(sizeof(*best) * (size_t)n);
	memcpy(best, rects, sizeof(*best) * (size_t)n);
	double cur = cost(&s), bestc = cur;
	uint64_t st = pp->seed ^ 0x5eed5eedull;
	long moves = 3000L * n;
	if (moves > 300000)
		moves = 300000;
	double budget = pp->time_budget_s > 0 ? pp->time_budget_s : 10.0;
	double t0 = wall_seconds(), T0 = 0.02 * cur, T;
	long it, accepted = 0;
	int stopped = 0;
	for (it = 0; it < moves; it++) {
		if ((it & 255) == 0 && wall_seconds() - t0 > budget) {
			stopped = 1;
			break;
		}
		T = T0 * pow(1e-4, (double)it / (double)moves);
		int kind = rnd(&st, 5);
		int i = rnd(&st, n), j = -1;
		if (rnd(&st, 4) == 0) {
			/* a quarter of the moves work on the bottleneck */
			for (int k = 0; k < n; k++)
				if (s.cyc[k] > s.cyc[i])
					i = k;
			if (kind == 1 || kind == 2)
				kind = 4;
		}
		struct rect qi = rects[i], qj = {0, 0, 0, 0};
		const struct place_item *item = &pp->items[i];
		if (kind == 0) { /* shift */
			int32_t span =
				1 + (int32_t)(8 * (1.0 - (double)it / moves) *
					      (qi.w + qi.h) / 2);
			qi.x += rnd(&st, 2 * span + 1) - span;
			qi.y += rnd(&st, 2 * span + 1) - span;
		} else if (kind == 1) { /* jump */
			qi.x = rnd(&st, pp->grid_w - qi.w + 1);
			qi.y = rnd(&st, pp->grid_h - qi.h + 1);
		} else if (kind == 2 && n > 1) { /* swap corners */
			j = rnd(&st, n - 1);
			if (j >= i)
				j++;
			qj = rects[j];
			qi.x = rects[j].x;
			qi.y = rects[j].y;
			qj.x = rects[i].x;
			qj.y = rects[i].y;
		} else if (kind == 4) { /* move one edge by 1..4 PEs */
			int32_t k = 1 + rnd(&st, 4) * (rnd(&st, 2) ? 1 : -1);
			switch (rnd(&st, 4)) {
			case 0: qi.w += k; break; /* east */
			case 1: qi.h += k; break; /* south */
			case 2:
				qi.x -= k;
				qi.w += k;
				break; /* west */
			default:
				qi.y -= k;
				qi.h += k;
				break; /* north */
			}
			if (qi.w < 1 || qi.h < 1 ||
			    (int64_t)qi.w * qi.h < item->min_pes)
				continue;
		} else { /* resize */
			double f = 0.8 + 0.45 * unit(&st);
			int64_t pes = (int64_t)((double)qi.w * qi.h * f);
			double asp =
				(double)qi.w / qi.h * (0.7 + 0.6 * unit(&st));
			if (!place_shape_aspect(pp, i, pes, asp, &qi.w, &qi.h))
				continue;
		}
		/* validity: check i against everyone but j, then j */
		struct rect oi = rects[i], oj = j >= 0 ? rects[j] : qj;
		rects[i] = (struct rect){-1, -1, 0, 0};
		if (j >= 0)
			rects[j] = qj;
		int ok = valid(&s, i, &qi);
		rects[i] = qi;
		if (ok && j >= 0) {
			rects[j] = (struct rect){-1, -1, 0, 0};
			ok = valid(&s, j, &qj);
			rects[j] = qj;
		}
		if (ok && (qi.w != oi.w || qi.h != oi.h) &&
		    !place_item_fits(pp, i, qi.w, qi.h))
			ok = 0;
		if (!ok) {
			rects[i] = oi;
			if (j >= 0)
				rects[j] = oj;
			continue;
		}
		double ci = s.cyc[i];
		if (qi.w != oi.w || qi.h != oi.h)
			s.cyc[i] = place_item_cycles(pp, i, qi.w, qi.h);
		double nc = cost(&s);
		if (nc <= cur ||
		    unit(&st) < exp((cur - nc) / (T > 0 ? T : 1e-12))) {
			cur = nc;
			accepted++;
			if (nc < bestc) {
				bestc = nc;
				memcpy(best, rects, sizeof(*best) * (size_t)n);
			}
		} else {
			rects[i] = oi;
			if (j >= 0)
				rects[j] = oj;
			s.cyc[i] = ci;
		}
	}
	memcpy(rects, best, sizeof(*best) * (size_t)n);
	snprintf(note, 128,
		 "from %s, %s%ld of %ld moves, %ld accepted, cost %.4g", start,
		 stopped ? "stopped by time budget after " : "", it, moves,
		 accepted, bestc);
	free(best);
	free(s.cyc);
	return 0;
}

const struct place_strategy place_strategy_anneal = {
	"anneal",
	"simulated annealing over positions and shapes from pack or strips",
	anneal,
};
