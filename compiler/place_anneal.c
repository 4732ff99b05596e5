/*
 * place_anneal.c: strategy "anneal": simulated annealing over positions and
 * shapes, chains seeded from the layouts of "pack" and "strips".
 *
 * What it minimises, in order (docs/placement.md, "The annealer"):
 *   1. the objective's step (compiler/plan_estimate.h) as far as a layout
 *      decides it without routes: B max(T_max, io) + sync, with B the
 *      batch, T_max the slowest stage's cycles per sample (stage sizes
 *      free to change: resize and edge moves trade PEs between stages as
 *      the sizing step does), io the host input per sample, and sync the
 *      longest shared-weight round: gradients then weights, each
 *      serialised over the lanes route.c's path would give it (the
 *      source's extent across the first hop, the destination's across the
 *      last);
 *   2. hop-bytes per sample: bytes x hops of every route, measured as
 *      route.c lays them out (output port = middle of the source's east
 *      column, to the destination's nearest PE; host data from the I/O edge
 *      nearest the fan-out's first consumer).
 * The result is the lexicographic best (step, then hop-bytes) of every
 * layout any chain visited, starts included, so it is never worse than the
 * best start on the step, nor on hop-bytes when the steps tie.
 *
 * Schedule: "pack" and "strips" (by name, so that adding a strategy file
 * changes nothing here) make the starts; CHAINS_PER_START chains anneal
 * from each, then one polishing chain anneals hop-bytes alone from the
 * best layout, rejecting every move that lifts the step above the best.
 * A chain's Metropolis cost is a scalar, in cycles:
 *     step + W_NEXT B T_next + W_HOP B hop_bytes / (4 L)
 * T_next (the second slowest stage) rewards progress when two stages tie as
 * bottleneck; hop_bytes / (4 L) is the cycles one sample's wavelet-hops
 * would take if only L = 2 W H / 16 links carried them (the normalisation of
 * place_cost).  Unused PEs are not charged: they matter only through the
 * stage times.
 *
 * Moves: shift, jump, swap two stages' corners, resize (PEs x0.6 .. x1.4, or
 * down to about the bottleneck's pace for a stage well under it; aspect
 * perturbed), move one edge by up to 1/8 of the stage's side; a quarter of
 * the moves pick the current bottleneck and grow it.  A move that leaves the
 * grid, overlaps or breaks SRAM is rejected.
 *
 * Deterministic: the budget is counted in moves (MOVES_PER_STAGE per stage,
 * at most MAX_MOVES, per chain; the polishing chain half that), so the
 * result depends only on the network, the machine, the options and the
 * seed.  A time budget (plan_opts time_budget_s, --time-budget) applies
 * only when given, and the strategy note then says if it stopped a chain.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/place.h"
#include "ground/util.h"

/* weights of the chain cost (documented in docs/placement.md) */
#define W_NEXT		 0.1
#define W_HOP		 0.05
#define MAX_STARTS	 2
#define CHAINS_PER_START 2
#define MOVES_PER_STAGE	 1500
#define MAX_MOVES	 150000

extern const struct place_strategy place_strategy_anneal;

struct inc;

struct state {
	const struct place_problem *pp;
	struct rect *r;
	double *cyc; /* stage cycles per item */
	struct inc *ix; /* NULL: score() and valid() scan everything */
};

/* A layout's figures: what the annealer compares. */
struct score {
	double tmax, tnext; /* slowest and second slowest stage cycles */
	double sync;	    /* longest shared-weight round, cycles */
	double step;	    /* B max(tmax, io) + sync */
	double hop;	    /* hop-bytes per sample (route.c geometry) */
	double cost;	    /* chain cost (above) */
};

static int32_t clamp(int32_t v, int32_t lo, int32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Hops of edge e as route.c lays it out (route_out_port, route_in_port,
 * route_host_port). */
static int64_t edge_hops(const struct place_problem *pp, const struct rect *r,
			 const struct place_edge *e)
{
	const struct rect *b = &r[e->dst];
	int32_t px, py;
	int ei = (int)(e - pp->edges);
	if (e->src >= 0) {
		const struct rect *a = &r[e->src];
		px = a->x + a->w - 1;
		py = a->y + a->h / 2;
	} else {
		/* the port nearest the fan-out's first consumer's centre */
		const struct rect *c0 =
			pp->edge_root ? &r[pp->edges[pp->edge_root[ei]].dst]
				      : b;
		int32_t cx = c0->x + c0->w / 2, cy = c0->y + c0->h / 2;
		int32_t W = pp->grid_w, H = pp->grid_h;
		int64_t bd = -1;
		px = 0;
		py = cy;
		const struct {
			unsigned bit;
			int32_t x, y;
		} c[4] = {{EDGE_WEST, 0, cy},
			  {EDGE_EAST, W - 1, cy},
			  {EDGE_NORTH, cx, 0},
			  {EDGE_SOUTH, cx, H - 1}};
		for (int k = 0; k < 4; k++) {
			if (!(pp->io_edges & c[k].bit))
				continue;
			int64_t dd = llabs((long long)c[k].x - cx) +
				     llabs((long long)c[k].y - cy);
			if (bd < 0 || dd < bd) {
				bd = dd;
				px = c[k].x;
				py = c[k].y;
			}
		}
	}
	int32_t qx = clamp(px, b->x, b->x + b->w - 1);
	int32_t qy = clamp(py, b->y, b->y + b->h - 1);
	return llabs((long long)px - qx) + llabs((long long)py - qy);
}

/* Lanes of a stream from rectangle a's output port to b's nearest PE:
 * a's extent across the first hop, b's across the last, the fewer. */
static int64_t sync_lanes(const struct place_problem *pp, const struct rect *a,
			  const struct rect *b)
{
	int32_t px = a->x + a->w - 1, py = a->y + a->h / 2;
	int32_t qx = clamp(px, b->x, b->x + b->w - 1);
	int32_t qy = clamp(py, b->y, b->y + b->h - 1);
	int first_x = qx != px, last_y = qy != py;
	int64_t lo = first_x ? a->h : a->w, li = last_y ? b->w : b->h;
	int64_t l = lo < li ? lo : li;
	int64_t cap = first_x ? pp->grid_h : pp->grid_w;
	l = l > cap ? cap : l;
	return l < 1 ? 1 : l;
}

/* The longest shared-weight round: gradients, then weights back. */
static double sync_cycles(const struct place_problem *pp, const struct rect *r)
{
	double sync = 0;
	for (int k = 0; k < pp->n_syncs; k++) {
		const struct place_sync *q = &pp->syncs[k];
		const struct rect *a = &r[q->replica], *b = &r[q->owner];
		double g = (double)((q->grad_wavelets + sync_lanes(pp, a, b) - 1) /
				    sync_lanes(pp, a, b));
		double w = (double)((q->weight_wavelets + sync_lanes(pp, b, a) -
				     1) /
				    sync_lanes(pp, b, a));
		if (g + w > sync)
			sync = g + w;
	}
	return sync;
}

static int inc_score(const struct state *s, struct score *o);

static void score(const struct state *s, struct score *o)
{
	const struct place_problem *pp = s->pp;
	if (s->ix && inc_score(s, o))
		return;
	o->tmax = o->tnext = 0;
	for (int i = 0; i < pp->n_items; i++) {
		double c = s->cyc[i];
		if (c > o->tmax) {
			o->tnext = o->tmax;
			o->tmax = c;
		} else if (c > o->tnext) {
			o->tnext = c;
		}
	}
	o->hop = 0;
	for (int e = 0; e < pp->n_edges; e++)
		o->hop += (double)pp->edges[e].bytes *
			  (double)edge_hops(pp, s->r, &pp->edges[e]);
	double B = (double)(pp->batch > 0 ? pp->batch : 1);
	double pace = o->tmax > pp->io_cycles ? o->tmax : pp->io_cycles;
	/* a route's serialisation over its lanes: the source's rows (its
	 * output leaves along them), the destination's columns (its input
	 * is broadcast down them), the fewer */
	for (int e = 0; e < pp->n_edges; e++) {
		const struct place_edge *q = &pp->edges[e];
		if (q->wavelets <= 0)
			continue;
		int64_t lanes = s->r[q->dst].w;
		if (q->src >= 0 && s->r[q->src].h < lanes)
			lanes = s->r[q->src].h;
		lanes = lanes < 1 ? 1 : lanes;
		double ser = (double)((q->wavelets + lanes - 1) / lanes);
		pace = ser > pace ? ser : pace;
	}
	o->sync = sync_cycles(pp, s->r);
	o->step = B * pace + o->sync;
	double links = 2.0 * pp->grid_w * pp->grid_h / 16.0;
	o->cost = o->step + W_NEXT * B * o->tnext +
		  W_HOP * B * o->hop / (4.0 * links);
}

/* Lexicographic: step, then hop-bytes. */
static int better(const struct score *a, const struct score *b)
{
	if (a->step != b->step)
		return a->step < b->step;
	return a->hop < b->hop;
}

static int inc_free(const struct state *s, const struct rect *q, int i,
		    int j, const struct rect *qo);
static int inc_slowest(const struct state *s, int i);

/* Inside the grid and clear of every other item; with the index, j (the
 * swap's other stage, -1 none) is taken at qo and the others where the
 * index has them (apply's state: see there). */
static int valid(const struct state *s, int i, const struct rect *q, int j,
		 const struct rect *qo)
{
	const struct place_problem *pp = s->pp;
	if (q->x < 0 || q->y < 0 || q->w < 1 || q->h < 1 ||
	    q->x + q->w > pp->grid_w || q->y + q->h > pp->grid_h)
		return 0;
	if (s->ix)
		return inc_free(s, q, i, j, qo);
	for (int k = 0; k < pp->n_items; k++)
		if (k != i && place_overlap(q, &s->r[k]))
			return 0;
	return 1;
}

static int32_t rnd(uint64_t *st, int32_t n)
{
	return n <= 0 ? 0 : (int32_t)(place_rand(st) % (uint64_t)n);
}

static double unit(uint64_t *st)
{
	return (double)(place_rand(st) >> 11) / 9007199254740992.0;
}

struct chain_out {
	long moves, done, accepted;
	int stopped;
};

/* A proposed move: stage i to qi, and (swap) stage j to qj. */
struct move {
	int i, j;
	struct rect qi, qj;
};

/* Move one edge of qi by up to 1/8 of its side (out when growing);
 * 0 if the rectangle falls under the stage's minimum. */
static int move_edge(const struct place_problem *pp, uint64_t *st,
		     double left, int grow, struct move *mv)
{
	struct rect *qi = &mv->qi;
	int side = rnd(st, 4);
	int32_t len = side % 2 == 0 ? qi->w : qi->h;
	int32_t span = 4 + (int32_t)(left * len / 8);
	int32_t k = 1 + rnd(st, span);
	if (!grow && rnd(st, 2))
		k = -k;
	switch (side) {
	case 0: qi->w += k; break; /* east */
	case 1: qi->h += k; break; /* south */
	case 2:
		qi->x -= k;
		qi->w += k;
		break; /* west */
	default:
		qi->y -= k;
		qi->h += k;
		break; /* north */
	}
	return !(qi->w < 1 || qi->h < 1 ||
		 (int64_t)qi->w * qi->h < pp->items[mv->i].min_pes);
}

/* Resize qi around the same centre; 0 if no shape fits. */
static int move_resize(const struct state *s, uint64_t *st, int grow,
		       double tmax, struct move *mv)
{
	const struct place_problem *pp = s->pp;
	struct rect *qi = &mv->qi;
	int i = mv->i;
	double f;
	if (grow)
		f = 1.0 + 0.4 * unit(st);
	else if (s->cyc[i] < 0.8 * tmax && rnd(st, 2))
		/* to pace: about the PEs that bring it
		 * near the bottleneck's time, freeing room */
		f = s->cyc[i] / (tmax * (0.8 + 0.2 * unit(st)));
	else
		f = 0.6 + 0.8 * unit(st);
	int64_t pes = (int64_t)((double)qi->w * qi->h * f);
	double asp = (double)qi->w / qi->h * (0.6 + 0.8 * unit(st));
	int32_t cx = qi->x + qi->w / 2, cy = qi->y + qi->h / 2;
	if (!place_shape_aspect(pp, i, pes, asp, &qi->w, &qi->h))
		return 0;
	qi->x = clamp(cx - qi->w / 2, 0, pp->grid_w - qi->w);
	qi->y = clamp(cy - qi->h / 2, 0, pp->grid_h - qi->h);
	return 1;
}

/* Draw a move (shift, jump, swap, edge, resize; a quarter grow the
 * bottleneck unless polishing); 0 if it is refused before checking. */
static int propose(const struct state *s, uint64_t *st, double left,
		   int polish, double tmax, struct move *mv)
{
	const struct place_problem *pp = s->pp;
	const struct rect *rects = s->r;
	int n = pp->n_items;
	int kind = rnd(st, 5);
	int i = rnd(st, n);
	int grow = 0;
	if (!polish && rnd(st, 4) == 0) {
		/* a quarter of the moves grow the bottleneck */
		if (s->ix)
			i = inc_slowest(s, i);
		else
			for (int k = 0; k < n; k++)
				if (s->cyc[k] > s->cyc[i])
					i = k;
		grow = 1;
		if (kind == 1 || kind == 2)
			kind = 4;
	}
	*mv = (struct move){i, -1, rects[i], {0, 0, 0, 0}};
	struct rect *qi = &mv->qi;
	if (kind == 0) { /* shift */
		int32_t span = 1 + (int32_t)(8 * left * (qi->w + qi->h) / 2);
		qi->x += rnd(st, 2 * span + 1) - span;
		qi->y += rnd(st, 2 * span + 1) - span;
	} else if (kind == 1) { /* jump */
		qi->x = rnd(st, pp->grid_w - qi->w + 1);
		qi->y = rnd(st, pp->grid_h - qi->h + 1);
	} else if (kind == 2 && n > 1) { /* swap corners */
		int j = rnd(st, n - 1);
		if (j >= i)
			j++;
		mv->j = j;
		mv->qj = rects[j];
		qi->x = rects[j].x;
		qi->y = rects[j].y;
		mv->qj.x = rects[i].x;
		mv->qj.y = rects[i].y;
	} else if (kind == 4 || kind == 2) {
		return move_edge(pp, st, left, grow, mv);
	} else {
		return move_resize(s, st, grow, tmax, mv);
	}
	return 1;
}

/* Apply the move if it is valid (in the grid, no overlap, SRAM fits):
 * 1 and the old rectangles in *old, else 0 and nothing changed. */
static int apply(struct state *s, const struct move *mv, struct move *old)
{
	struct rect *rects = s->r;
	int i = mv->i, j = mv->j;
	/* validity: check i against everyone but j, then j */
	*old = (struct move){i, j, rects[i], j >= 0 ? rects[j] : mv->qj};
	rects[i] = (struct rect){-1, -1, 0, 0};
	if (j >= 0)
		rects[j] = mv->qj;
	int ok = valid(s, i, &mv->qi, j, &mv->qj);
	rects[i] = mv->qi;
	if (ok && j >= 0) {
		rects[j] = (struct rect){-1, -1, 0, 0};
		ok = valid(s, j, &mv->qj, i, &mv->qi);
		rects[j] = mv->qj;
	}
	int resized = mv->qi.w != old->qi.w || mv->qi.h != old->qi.h;
	if (ok && resized &&
	    !place_item_fits(s->pp, i, mv->qi.w, mv->qi.h))
		ok = 0;
	if (!ok) {
		rects[i] = old->qi;
		if (j >= 0)
			rects[j] = old->qj;
	}
	return ok;
}

/* ---- the chain's figures kept up to date move by move -------------------
 *
 * A move changes one or two rectangles, so score() and valid() need not
 * scan every item and edge (N of them, N^2 per chain).  The index keeps:
 *
 *   top     a tournament tree over the items' cycles: the two largest
 *           (tmax, tnext as score's scan finds them: two zeros to start)
 *           and the first item of the largest (propose's bottleneck);
 *   hop     every edge's bytes x hops, and their sum as an integer: while
 *           it stays under 2^53 every partial sum is exact in a double,
 *           so it is the double score's edge-order sum makes (above it,
 *           score scans as before);
 *   ser     a max tree over the edges' serialisation cycles;
 *   tiles   the items' rectangles bucketed by TS x TS tiles of the grid:
 *           an overlap test visits the items of the tiles it covers.
 *
 * dep lists, per item, the edges whose hops or lanes read its rectangle
 * (its own, and host edges whose fan-out's first consumer it is).  Every
 * figure is the same value the scans compute: the output is unchanged.
 */
#define INC_MIN_ITEMS 64

struct tnode {
	double m1, m2; /* largest, second largest */
	int at;	       /* first item holding m1 */
};

struct tile {
	int *k;
	int n, cap;
};

struct inc {
	int n, ne, tsz, esz;
	struct tnode *top; /* tsz leaves from index tsz */
	double *ser;	   /* esz leaves from index esz, -1: no wavelets */
	int64_t *hv;	   /* per edge, bytes x hops */
	int64_t hop;	   /* their sum */
	int exact;	   /* bytes all >= 0: hop sums exactly */
	int *doff, *dat;   /* dep: edges per item */
	int32_t ts, tw, th;
	struct tile *tiles;
	struct rect *in; /* each item's rectangle as the tiles hold it */
	int *stamp, cur;
};

static struct tnode tmerge(struct tnode a, struct tnode b)
{
	struct tnode o;
	if (b.m1 > a.m1) {
		o.m1 = b.m1;
		o.at = b.at;
		o.m2 = a.m1 > b.m2 ? a.m1 : b.m2;
	} else {
		o.m1 = a.m1;
		o.at = a.at;
		o.m2 = b.m1 > a.m2 ? b.m1 : a.m2;
	}
	return o;
}

static void top_set(struct inc *x, int i, double c)
{
	int k = x->tsz + i;
	x->top[k] = (struct tnode){c, -INFINITY, i};
	for (k /= 2; k >= 1; k /= 2)
		x->top[k] = tmerge(x->top[2 * k], x->top[2 * k + 1]);
}

static void ser_set(struct inc *x, int e, double v)
{
	int k = x->esz + e;
	x->ser[k] = v;
	for (k /= 2; k >= 1; k /= 2)
		x->ser[k] = x->ser[2 * k] > x->ser[2 * k + 1] ? x->ser[2 * k]
							      : x->ser[2 * k + 1];
}

/* Edge e's serialisation cycles as score() computes them (-1: none). */
static double edge_ser(const struct place_problem *pp, const struct rect *r,
		       const struct place_edge *q)
{
	if (q->wavelets <= 0)
		return -1;
	int64_t lanes = r[q->dst].w;
	if (q->src >= 0 && r[q->src].h < lanes)
		lanes = r[q->src].h;
	lanes = lanes < 1 ? 1 : lanes;
	(void)pp;
	return (double)((q->wavelets + lanes - 1) / lanes);
}

static void edge_set(struct state *s, int e)
{
	struct inc *x = s->ix;
	const struct place_edge *q = &s->pp->edges[e];
	int64_t v = q->bytes * edge_hops(s->pp, s->r, q);
	x->hop += v - x->hv[e];
	x->hv[e] = v;
	ser_set(x, e, edge_ser(s->pp, s->r, q));
}

/* Item i's rectangle or cycles changed: its figures again. */
static void inc_item(struct state *s, int i)
{
	struct inc *x = s->ix;
	top_set(x, i, s->cyc[i]);
	for (int k = x->doff[i]; k < x->doff[i + 1]; k++)
		edge_set(s, x->dat[k]);
}

static void tiles_of(const struct inc *x, const struct rect *r, int32_t *t0,
		     int32_t *t1, int32_t *u0, int32_t *u1)
{
	*t0 = r->x / x->ts;
	*t1 = (r->x + r->w - 1) / x->ts;
	*u0 = r->y / x->ts;
	*u1 = (r->y + r->h - 1) / x->ts;
}

/* Item k into (add) or out of the tiles its rectangle `in` covers. */
static void tile_put(struct inc *x, int k, int add)
{
	const struct rect *r = &x->in[k];
	if (r->w < 1 || r->h < 1)
		return;
	int32_t t0, t1, u0, u1;
	tiles_of(x, r, &t0, &t1, &u0, &u1);
	for (int32_t v = u0; v <= u1; v++)
		for (int32_t t = t0; t <= t1; t++) {
			struct tile *c = &x->tiles[(int64_t)v * x->tw + t];
			if (add) {
				if (c->n == c->cap) {
					c->cap = 2 * c->cap + 4;
					c->k = xrealloc(c->k, sizeof(int) *
								(size_t)c->cap);
				}
				c->k[c->n++] = k;
				continue;
			}
			for (int a = 0; a < c->n; a++)
				if (c->k[a] == k) {
					c->k[a] = c->k[--c->n];
					break;
				}
		}
}

/* The tiles take item k where s->r has it now (a move kept). */
static void inc_commit(struct state *s, int k)
{
	struct inc *x = s->ix;
	if (!x || k < 0)
		return;
	tile_put(x, k, 0);
	x->in[k] = s->r[k];
	tile_put(x, k, 1);
}

static int inc_free(const struct state *s, const struct rect *q, int i,
		    int j, const struct rect *qo)
{
	struct inc *x = s->ix;
	if (j >= 0 && place_overlap(q, qo))
		return 0;
	int32_t t0, t1, u0, u1;
	tiles_of(x, q, &t0, &t1, &u0, &u1);
	for (int32_t v = u0; v <= u1; v++)
		for (int32_t t = t0; t <= t1; t++) {
			const struct tile *c = &x->tiles[(int64_t)v * x->tw + t];
			for (int a = 0; a < c->n; a++) {
				int k = c->k[a];
				if (k != i && k != j &&
				    place_overlap(q, &x->in[k]))
					return 0;
			}
		}
	return 1;
}

static int inc_score(const struct state *s, struct score *o)
{
	const struct place_problem *pp = s->pp;
	const struct inc *x = s->ix;
	if (!x->exact || x->hop >= ((int64_t)1 << 53))
		return 0;
	const struct tnode *t = &x->top[1];
	o->tmax = t->m1 > 0 ? t->m1 : 0;
	o->tnext = t->m2 > 0 ? t->m2 : 0;
	o->hop = (double)x->hop;
	double B = (double)(pp->batch > 0 ? pp->batch : 1);
	double pace = o->tmax > pp->io_cycles ? o->tmax : pp->io_cycles;
	if (x->ne && x->ser[1] > pace)
		pace = x->ser[1];
	o->sync = sync_cycles(pp, s->r);
	o->step = B * pace + o->sync;
	double links = 2.0 * pp->grid_w * pp->grid_h / 16.0;
	o->cost = o->step + W_NEXT * B * o->tnext +
		  W_HOP * B * o->hop / (4.0 * links);
	return 1;
}

/* propose's bottleneck from i: i if none is slower, else the first of
 * the slowest (its scan's answer). */
static int inc_slowest(const struct state *s, int i)
{
	const struct tnode *t = &s->ix->top[1];
	return s->cyc[i] < t->m1 ? t->at : i;
}

/* The edges whose figures read item i's rectangle, per item. */
static void inc_deps(struct inc *x, const struct place_problem *pp)
{
	int n = x->n;
	x->doff = xcalloc((size_t)n + 2, sizeof(int));
	x->dat = xcalloc((size_t)(3 * pp->n_edges) + 1, sizeof(int));
	for (int pass = 0; pass < 2; pass++) {
		int *fill = xcalloc((size_t)n + 1, sizeof(int));
		for (int e = 0; e < pp->n_edges; e++) {
			const struct place_edge *q = &pp->edges[e];
			int d[3] = {q->src, q->dst, -1};
			if (q->src < 0 && pp->edge_root)
				d[2] = pp->edges[pp->edge_root[e]].dst;
			for (int a = 0; a < 3; a++) {
				if (d[a] < 0 || (a > 0 && d[a] == d[0]) ||
				    (a > 1 && d[a] == d[1]))
					continue;
				if (pass == 0)
					x->doff[d[a] + 1]++;
				else
					x->dat[x->doff[d[a]] + fill[d[a]]++] =
						e;
			}
		}
		free(fill);
		for (int i = 0; pass == 0 && i < n; i++)
			x->doff[i + 1] += x->doff[i];
	}
}

/* The index of s's layout (NULL for few items: the scans are cheap). */
static struct inc *inc_new(struct state *s)
{
	const struct place_problem *pp = s->pp;
	int n = pp->n_items;
	if (n < INC_MIN_ITEMS)
		return NULL;
	struct inc *x = xcalloc(1, sizeof(*x));
	s->ix = x;
	x->n = n;
	x->ne = pp->n_edges;
	for (x->tsz = 1; x->tsz < n; x->tsz *= 2)
		;
	for (x->esz = 1; x->esz < x->ne; x->esz *= 2)
		;
	x->top = xmalloc(sizeof(*x->top) * (size_t)(2 * x->tsz));
	for (int k = 0; k < 2 * x->tsz; k++)
		x->top[k] = (struct tnode){-INFINITY, -INFINITY, 0};
	x->ser = xmalloc(sizeof(double) * (size_t)(2 * x->esz));
	for (int k = 0; k < 2 * x->esz; k++)
		x->ser[k] = -1;
	x->hv = xcalloc((size_t)x->ne + 1, sizeof(int64_t));
	x->exact = 1;
	/* no term (hops < W + H) nor sum can wrap an int64 */
	int64_t cap = ((int64_t)1 << 53) / ((int64_t)pp->grid_w + pp->grid_h);
	for (int e = 0; e < x->ne; e++)
		x->exact &= pp->edges[e].bytes >= 0 &&
			    pp->edges[e].bytes < cap / (x->ne + 1) + 1;
	inc_deps(x, pp);
	double area = (double)pp->grid_w * pp->grid_h / n;
	x->ts = (int32_t)sqrt(area);
	x->ts = x->ts < 8 ? 8 : x->ts;
	x->tw = (pp->grid_w + x->ts - 1) / x->ts;
	x->th = (pp->grid_h + x->ts - 1) / x->ts;
	x->tiles = xcalloc((size_t)x->tw * (size_t)x->th, sizeof(*x->tiles));
	x->in = xcalloc((size_t)n, sizeof(*x->in));
	for (int i = 0; i < n; i++)
		top_set(x, i, s->cyc[i]);
	for (int e = 0; e < x->ne; e++)
		edge_set(s, e);
	for (int i = 0; i < n; i++)
		inc_commit(s, i);
	return x;
}

static void inc_free_all(struct state *s)
{
	struct inc *x = s->ix;
	if (!x)
		return;
	for (int64_t k = 0; k < (int64_t)x->tw * x->th; k++)
		free(x->tiles[k].k);
	free(x->tiles);
	free(x->in);
	free(x->top);
	free(x->ser);
	free(x->hv);
	free(x->doff);
	free(x->dat);
	free(x);
	s->ix = NULL;
}

/*
 * One annealing chain from the layout in s->r; every layout better (by
 * better()) than *best is copied to best_r.  A polishing chain (polish 1)
 * anneals hop-bytes alone and rejects every move that lifts the bottleneck
 * above best->tmax.
 */
static void chain(struct state *s, uint64_t seed, long moves, double t_end,
		  int polish, struct rect *best_r, struct score *best,
		  struct chain_out *out)
{
	const struct place_problem *pp = s->pp;
	struct rect *rects = s->r;
	int n = pp->n_items;
	for (int i = 0; i < n; i++)
		s->cyc[i] = place_item_cycles(pp, i, rects[i].w, rects[i].h);
	inc_new(s);
	struct score cur, nw;
	score(s, &cur);
	if (polish)
		cur.cost = cur.hop;
	uint64_t st = seed;
	double T0 = 0.02 * cur.cost, T;
	long it, accepted = 0;
	int stopped = 0;
	for (it = 0; it < moves; it++) {
		if (t_end > 0 && (it & 255) == 0 && wall_seconds() > t_end) {
			stopped = 1;
			break;
		}
		double left = 1.0 - (double)it / (double)moves;
		T = T0 * pow(1e-4, (double)it / (double)moves);
		struct move mv, old;
		if (!propose(s, &st, left, polish, cur.tmax, &mv) ||
		    !apply(s, &mv, &old))
			continue;
		int i = mv.i;
		double ci = s->cyc[i];
		if (mv.qi.w != old.qi.w || mv.qi.h != old.qi.h)
			s->cyc[i] = place_item_cycles(pp, i, mv.qi.w, mv.qi.h);
		if (s->ix) {
			inc_item(s, i);
			if (mv.j >= 0)
				inc_item(s, mv.j);
		}
		score(s, &nw);
		if (polish)
			nw.cost = nw.step > best->step ? INFINITY : nw.hop;
		if (nw.cost <= cur.cost ||
		    unit(&st) <
			    exp((cur.cost - nw.cost) / (T > 0 ? T : 1e-12))) {
			cur = nw;
			accepted++;
			inc_commit(s, i);
			inc_commit(s, mv.j);
			if (better(&nw, best)) {
				*best = nw;
				memcpy(best_r, rects,
				       sizeof(*best_r) * (size_t)n);
			}
		} else {
			rects[i] = old.qi;
			if (mv.j >= 0)
				rects[mv.j] = old.qj;
			s->cyc[i] = ci;
			if (s->ix) {
				inc_item(s, i);
				if (mv.j >= 0)
					inc_item(s, mv.j);
			}
		}
	}
	inc_free_all(s);
	out->moves = moves;
	out->done = it;
	out->accepted = accepted;
	out->stopped = stopped;
}

/* Starting layouts: every other strategy's, in order of better(). */
struct starts {
	struct rect *r[MAX_STARTS];
	struct score sc[MAX_STARTS];
	const char *name[MAX_STARTS];
	int n;
};

/* The starts, by name: a strategy file added later changes nothing. */
static const char *const start_names[MAX_STARTS] = {"pack", "strips"};

static const struct place_strategy *
start_strategy(const struct place_problem *pp, const char *name)
{
	for (int k = 0; pp->strategies && k < pp->n_strategies; k++)
		if (strcmp(pp->strategies[k]->name, name) == 0)
			return pp->strategies[k];
	return NULL;
}

static void make_starts(struct state *s, struct starts *ss)
{
	const struct place_problem *pp = s->pp;
	int n = pp->n_items;
	ss->n = 0;
	for (int k = 0; k < MAX_STARTS; k++) {
		const struct place_strategy *st =
			start_strategy(pp, start_names[k]);
		if (!st)
			continue;
		struct rect *r = xcalloc((size_t)n + 1, sizeof(*r));
		char tmp[128] = "";
		struct diag quiet;
		diag_init(&quiet);
		int rc = st->fn(pp, r, tmp, &quiet);
		if (!rc && place_check(pp, r, NULL))
			rc = 1;
		diag_release(&quiet);
		if (rc) {
			free(r);
			continue;
		}
		s->r = r;
		for (int i = 0; i < n; i++)
			s->cyc[i] = place_item_cycles(pp, i, r[i].w, r[i].h);
		struct score sc;
		score(s, &sc);
		/* insertion in order of better(): stable, deterministic */
		int at = ss->n;
		while (at > 0 && better(&sc, &ss->sc[at - 1])) {
			ss->r[at] = ss->r[at - 1];
			ss->sc[at] = ss->sc[at - 1];
			ss->name[at] = ss->name[at - 1];
			at--;
		}
		ss->r[at] = r;
		ss->sc[at] = sc;
		ss->name[at] = st->name;
		ss->n++;
	}
}

/* What the chains did, for the strategy note. */
struct tally {
	long done, accepted, total;
	int stopped;
};

static void tally_add(struct tally *t, const struct chain_out *co)
{
	t->done += co->done;
	t->accepted += co->accepted;
	t->stopped |= co->stopped;
}

/* CHAINS_PER_START chains from each start, sharing the time budget. */
static void run_chains(struct state *s, const struct starts *ss, long moves,
		       double t0, double budget, struct rect *rects,
		       struct score *best, struct tally *t)
{
	const struct place_problem *pp = s->pp;
	int n = pp->n_items, ns = ss->n;
	struct rect *work = xmalloc(sizeof(*work) * (size_t)n);
	int nc = ns * CHAINS_PER_START;
	for (int c = 0; c < nc; c++) {
		struct chain_out co = {0, 0, 0, 0};
		t->total += moves;
		if (t->stopped)
			continue;
		/* the chains share what is left of a budget given */
		double t_end = 0;
		if (budget > 0)
			t_end = wall_seconds() +
				(budget - (wall_seconds() - t0)) / (nc - c);
		memcpy(work, ss->r[c % ns], sizeof(*work) * (size_t)n);
		s->r = work;
		chain(s,
		      pp->seed * 0x9e3779b97f4a7c15ull ^
			      (0x5eed5eedull + (uint64_t)c),
		      moves, t_end, 0, rects, best, &co);
		tally_add(t, &co);
	}
	free(work);
}

/* Of the annealed layout and the starts, the lowest by the objective
 * itself (fill and drain included, which the chains do not charge): the
 * start's name when a start wins (rects then hold it), else NULL.  Each
 * is compared grown first when plan_build grows every strategy's layout
 * (pp->grow): as their plans would have them. */
static const char *keep_by_objective(const struct place_problem *pp,
				     const struct starts *ss,
				     struct rect *rects)
{
	if (!pp->objective)
		return NULL;
	for (int c = 0; pp->grow && c <= ss->n; c++)
		pp->grow(pp, c < ss->n ? ss->r[c] : rects);
	double best = pp->objective(pp->ctx, rects);
	int pick = -1;
	for (int c = 0; c < ss->n; c++) {
		double v = pp->objective(pp->ctx, ss->r[c]);
		if (v < best) {
			best = v;
			pick = c;
		}
	}
	if (pick < 0)
		return NULL;
	memcpy(rects, ss->r[pick], sizeof(*rects) * (size_t)pp->n_items);
	return ss->name[pick];
}

static int anneal(const struct place_problem *pp, struct rect *rects,
		  char *note, struct diag *d)
{
	int n = pp->n_items;
	double t0 = wall_seconds();
	double budget = pp->time_budget_s > 0 ? pp->time_budget_s : 0;
	struct state s = {pp, NULL, xcalloc((size_t)n + 1, sizeof(double)),
			  NULL};
	struct starts ss;
	make_starts(&s, &ss);
	if (!ss.n) {
		free(s.cyc);
		diag_add(d, NULL, 0, 0,
			 "place: anneal: neither pack nor strips could make a "
			 "starting layout of the %d stages in the %dx%d grid",
			 n, pp->grid_w, pp->grid_h);
		return WS_EINPUT;
	}
	/* -- chains from every start; the lexicographic best is kept -- */
	struct score best = ss.sc[0];
	memcpy(rects, ss.r[0], sizeof(*rects) * (size_t)n);
	long moves = (long)MOVES_PER_STAGE * n;
	if (moves > MAX_MOVES)
		moves = MAX_MOVES;
	struct tally t = {0, 0, 0, 0};
	run_chains(&s, &ss, moves, t0, budget, rects, &best, &t);
	/* -- polish: hop-bytes down at the best bottleneck found -- */
	long pmoves = moves / 2;
	t.total += pmoves;
	if (!t.stopped && n > 1) {
		struct chain_out co = {0, 0, 0, 0};
		struct rect *r = xmalloc(sizeof(*r) * (size_t)n);
		memcpy(r, rects, sizeof(*r) * (size_t)n);
		s.r = r;
		chain(&s, pp->seed * 0x9e3779b97f4a7c15ull ^ 0x9011511ull,
		      pmoves, budget > 0 ? t0 + budget : 0, 1, rects, &best,
		      &co);
		tally_add(&t, &co);
		free(r);
	}
	const char *kept = keep_by_objective(pp, &ss, rects);
	for (int c = 0; c < ss.n; c++)
		free(ss.r[c]);
	char buf[256];
	snprintf(buf, sizeof buf,
		 "from %s (+%d more), %s%ld of %ld moves, %ld accepted, "
		 "step %.0f, hop-bytes %.4g%s%s",
		 ss.name[0], ss.n - 1,
		 t.stopped ? "stopped by time budget after " : "", t.done,
		 t.total, t.accepted, best.step, best.hop,
		 kept ? "; kept start " : "", kept ? kept : "");
	size_t len = strlen(buf) < 127 ? strlen(buf) : 127;
	memcpy(note, buf, len);
	note[len] = 0;
	free(s.cyc);
	return 0;
}

const struct place_strategy place_strategy_anneal = {
	"anneal",
	"simulated annealing over positions and shapes for the objective's "
	"step, chains seeded from pack's and strips' layouts",
	anneal,
};
