/*
 * size_grow.c: after a strategy has placed the stages, the slowest one
 * grows into the PEs nobody uses while that speeds it (size.h size_grow).
 * Strategies pack rectangles at the sizes balanced for 90% of the grid and
 * shrink large ones when they do not pack; what is left over should go to
 * the stage that sets the pace, not stay idle.
 */
#include "compiler/size.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ground/util.h"

/* Aspects tried for a moved rectangle, times the item's preferred one. */
static const double grow_aspects[] = {1, 4, 0.25};
/* A moved rectangle's traffic cost may grow by this factor at most (1:
 * never farther from the stages it talks to; 1.25 let p1b1's strips
 * plan move away and its objective fall 11.8% below the simulated step,
 * val_objective.sh). */
#define SIZE_GROW_TRAFFIC_SLACK 1.0
/* ... plus every byte going (W + H) / SIZE_GROW_NEAR hops farther: a move
 * to the free PEs just beside its neighbours stays allowed. */
#define SIZE_GROW_NEAR 64
/* Sizes tried for a moved rectangle, times its PEs now. */
static const double grow_factors[] = {1.05, 1.1, 1.25, 1.5, 2, 3, 4, 8};

struct grow {
	const struct place_problem *pp;
	struct rect *r;
	int b;		    /* the slowest item */
	double best_t;	    /* the lowest pace found for it */
	struct rect best;   /* and where */
	int32_t *occ;	    /* (W+1) x (H+1) prefix sums of PEs others take
			       (at most W H <= 4096^2: int32_t holds it) */
	unsigned char *cov; /* W x H: 1 where another item lies */
	unsigned char *seen; /* max(W, H) + 1: find_free's scratch */
	/* find_free's map of one shape, built when probing corner by corner
	 * grows long (a crowded grid): free[y W + x] 1 when the shape fits
	 * at (x, y), col_free[x] 1 when it fits somewhere in column x */
	unsigned char *free, *col_free;
};

/* is_free probes of one find_free before it maps the whole grid for
 * its shape (the map costs about W x H probes' worth of sequential work,
 * a probe four scattered reads): only crowded grids get there. */
#define GROW_PROBES_BEFORE_MAP(W, H) ((W) * (H) / 16)

/* Free columns (rows) beside item b's rectangle in direction dir (0 east,
 * 1 west, 2 towards larger y, 3 towards smaller y), over its whole side. */
static int32_t free_run(const struct grow *g, int dir)
{
	const struct place_problem *pp = g->pp;
	const struct rect *a = &g->r[g->b];
	int32_t run = dir == 0	 ? pp->grid_w - (a->x + a->w)
		      : dir == 1 ? a->x
		      : dir == 2 ? pp->grid_h - (a->y + a->h)
				 : a->y;
	for (int j = 0; j < pp->n_items; j++) {
		const struct rect *o = &g->r[j];
		if (j == g->b)
			continue;
		int rows = o->y < a->y + a->h && a->y < o->y + o->h;
		int cols = o->x < a->x + a->w && a->x < o->x + o->w;
		int32_t gap = -1;
		if (dir == 0 && rows && o->x >= a->x + a->w)
			gap = o->x - (a->x + a->w);
		else if (dir == 1 && rows && o->x + o->w <= a->x)
			gap = a->x - (o->x + o->w);
		else if (dir == 2 && cols && o->y >= a->y + a->h)
			gap = o->y - (a->y + a->h);
		else if (dir == 3 && cols && o->y + o->h <= a->y)
			gap = a->y - (o->y + o->h);
		if (gap >= 0 && gap < run)
			run = gap;
	}
	return run;
}

/* Manhattan distance between the centres of a and b. */
static double centres(const struct rect *a, const struct rect *b)
{
	if (a->w == 0)
		return 1;
	return fabs(a->x + a->w / 2.0 - (b->x + b->w / 2.0)) +
	       fabs(a->y + a->h / 2.0 - (b->y + b->h / 2.0));
}

/* What item b's traffic costs with b on c: bytes per sample times the
 * distance to the other end, over its edges and its shared-weight syncs
 * (their bytes spread over the batch); host input not counted.  With c
 * NULL: the bytes alone. */
static double traffic(const struct grow *g, const struct rect *c)
{
	const struct place_problem *pp = g->pp;
	double sum = 0;
	struct rect unit = {0, 0, 0, 0};
	if (!c) /* every other end at distance 1 */
		c = &unit;
	for (int e = 0; e < pp->n_edges; e++) {
		const struct place_edge *ed = &pp->edges[e];
		int o = ed->src == g->b	  ? ed->dst
			: ed->dst == g->b ? ed->src
					  : -1;
		if (o >= 0 && o != g->b)
			sum += (double)(ed->bytes + 1) * centres(c, &g->r[o]);
	}
	double batch = pp->batch > 0 ? (double)pp->batch : 1;
	for (int k = 0; k < pp->n_syncs; k++) {
		const struct place_sync *sy = &pp->syncs[k];
		int o = sy->replica == g->b ? sy->owner
			: sy->owner == g->b ? sy->replica
					    : -1;
		if (o >= 0 && o != g->b)
			sum += (double)(sy->grad_wavelets +
					sy->weight_wavelets) *
			       4 / batch * centres(c, &g->r[o]);
	}
	return sum;
}

/* Try rectangle c for the slowest item: kept when it fits, stays within
 * the item's useful extent, is faster than the best so far, and (moved
 * away from where it lies) costs its traffic at most
 * SIZE_GROW_TRAFFIC_SLACK times what it did: the objective does not
 * charge every latency of a longer path (fill and drain), so a move far
 * from the stages it talks to can look better than it runs (p1b2 pack:
 * objective 39.6 us, simulated 48.5 us). */
static void try_rect(struct grow *g, struct rect c)
{
	const struct place_item *it = &g->pp->items[g->b];
	if (c.w > it->max_w || c.h > it->max_h ||
	    !place_item_fits(g->pp, g->b, c.w, c.h))
		return;
	double near = (g->pp->grid_w + g->pp->grid_h) / SIZE_GROW_NEAR;
	if (!place_overlap(&c, &g->r[g->b]) &&
	    traffic(g, &c) > SIZE_GROW_TRAFFIC_SLACK * traffic(g, &g->r[g->b]) +
				     near * traffic(g, NULL))
		return;
	double t = place_item_cycles(g->pp, g->b, c.w, c.h);
	if (t < g->best_t) {
		g->best_t = t;
		g->best = c;
	}
}

/* The rectangle stretched into the free PEs beside it, by the whole free
 * run, half or a quarter of it. */
static void try_stretch(struct grow *g)
{
	const struct rect a = g->r[g->b];
	for (int dir = 0; dir < 4; dir++) {
		int32_t run = free_run(g, dir);
		for (int32_t k = run; k >= 1 && k >= run / 4; k /= 2) {
			struct rect c = a;
			if (dir == 0)
				c.w += k;
			else if (dir == 1)
				c.x -= k, c.w += k;
			else if (dir == 2)
				c.h += k;
			else
				c.y -= k, c.h += k;
			try_rect(g, c);
		}
	}
}

/* Prefix sums of the PEs the other items take: occ[y (W+1) + x] counts
 * those in [0, x) x [0, y). */
static void build_occ(struct grow *g)
{
	const struct place_problem *pp = g->pp;
	int64_t W = pp->grid_w, H = pp->grid_h;
	memset(g->cov, 0, (size_t)(W * H));
	for (int j = 0; j < pp->n_items; j++) {
		const struct rect *r = &g->r[j];
		if (j == g->b)
			continue;
		for (int64_t y = r->y; y < r->y + r->h; y++)
			memset(g->cov + y * W + r->x, 1, (size_t)r->w);
	}
	int32_t *o = g->occ;
	for (int64_t y = 1; y <= H; y++)
		for (int64_t x = 1; x <= W; x++)
			o[y * (W + 1) + x] = g->cov[(y - 1) * W + x - 1] +
					     o[(y - 1) * (W + 1) + x] +
					     o[y * (W + 1) + x - 1] -
					     o[(y - 1) * (W + 1) + x - 1];
}

/* Is rectangle c free of the other items? */
static int is_free(const struct grow *g, const struct rect *c)
{
	int64_t W1 = g->pp->grid_w + 1;
	const int32_t *o = g->occ;
	int64_t x0 = c->x, y0 = c->y, x1 = c->x + c->w, y1 = c->y + c->h;
	return o[y1 * W1 + x1] - o[y0 * W1 + x1] - o[y1 * W1 + x0] +
		       o[y0 * W1 + x0] ==
	       0;
}

/* find_free's map for a w x h shape: where it is free of the other
 * items, by the same prefix sums as is_free. */
static void map_free(struct grow *g, int32_t w, int32_t h)
{
	int64_t W = g->pp->grid_w, H = g->pp->grid_h, W1 = W + 1;
	int64_t nx = W - w + 1;
	const int32_t *o = g->occ;
	unsigned char *restrict col = g->col_free;
	memset(col, 0, (size_t)W);
	for (int64_t y = 0; y + h <= H; y++) {
		const int32_t *restrict lo = o + y * W1;
		const int32_t *restrict hi = o + (y + h) * W1;
		unsigned char *restrict f = g->free + y * W;
		for (int64_t x = 0; x < nx; x++)
			f[x] = hi[x + w] - lo[x + w] - hi[x] + lo[x] == 0;
		for (int64_t x = 0; x < nx; x++)
			col[x] |= f[x];
	}
}

/* Candidate corners along one axis for an extent e: the grid's two ends
 * and both sides of every other rectangle; their count. */
static int corners(const struct grow *g, int axis, int32_t e, int32_t *out)
{
	const struct place_problem *pp = g->pp;
	int32_t lim = axis ? pp->grid_h : pp->grid_w;
	int n = 0;
	out[n++] = 0;
	out[n++] = lim - e;
	for (int j = 0; j < pp->n_items; j++) {
		const struct rect *r = &g->r[j];
		int32_t lo = axis ? r->y : r->x, len = axis ? r->h : r->w;
		if (j == g->b)
			continue;
		out[n++] = lo + len;
		out[n++] = lo - e;
	}
	return n;
}

/* A corner coordinate: its distance from the item's, its first index
 * among the corners, its value. */
struct corner {
	int64_t d;
	int at;
	int32_t v;
};

static int corner_cmp(const void *pa, const void *pb)
{
	const struct corner *a = pa, *b = pb;
	if (a->d != b->d)
		return a->d < b->d ? -1 : 1;
	return (a->at > b->at) - (a->at < b->at);
}

/* The corners in [0, lim - e] (those a rectangle can take), each once
 * (its first index), by distance from `from`, then index; their count.
 * seen: lim + 1 bytes, cleared. */
static int corner_order(const int32_t *v, int n, int32_t lim, int32_t e,
			int32_t from, unsigned char *seen, struct corner *out)
{
	int k = 0;
	for (int i = 0; i < n; i++) {
		if (v[i] < 0 || v[i] > lim - e || seen[v[i]])
			continue;
		seen[v[i]] = 1;
		out[k++] = (struct corner){llabs((long long)v[i] - from), i,
					   v[i]};
	}
	for (int i = 0; i < k; i++)
		seen[out[i].v] = 0;
	qsort(out, (size_t)k, sizeof(*out), corner_cmp);
	return k;
}

/*
 * A free place for a w x h rectangle at the corners, nearest the item's
 * present one (of equals, the first in the corners' order, x then y);
 * 0 when none.  The corners are visited by distance, so the search stops
 * at the first free place of each x and at the first x farther than the
 * best found (a repeated corner is the same place, and a later one never
 * wins a tie): the answer a scan of every pair of corners gives.
 */
static int find_free(struct grow *g, int32_t w, int32_t h, int32_t *cx,
		     int32_t *cy, int32_t *xs, int32_t *ys)
{
	const struct place_problem *pp = g->pp;
	const struct rect *a = &g->r[g->b];
	int nx = corners(g, 0, w, xs), ny = corners(g, 1, h, ys);
	struct corner *ox = xcalloc((size_t)nx + 1, sizeof(*ox));
	struct corner *oy = xcalloc((size_t)ny + 1, sizeof(*oy));
	nx = corner_order(xs, nx, pp->grid_w, w, a->x, g->seen, ox);
	ny = corner_order(ys, ny, pp->grid_h, h, a->y, g->seen, oy);
	int64_t best = -1, probes = 0;
	int64_t W = pp->grid_w, H = pp->grid_h;
	int mapped = 0, bi = 0, bk = 0;
	for (int i = 0; i < nx && (best < 0 || ox[i].d <= best); i++) {
		if (mapped && !g->col_free[ox[i].v])
			continue; /* no y of this x is free */
		for (int k = 0; k < ny; k++) {
			int64_t dist = ox[i].d + oy[k].d;
			if (best >= 0 && dist > best)
				break;
			struct rect c = {ox[i].v, oy[k].v, w, h};
			if (mapped ? !g->free[(int64_t)c.y * W + c.x]
				   : !is_free(g, &c)) {
				if (!mapped &&
				    ++probes >= GROW_PROBES_BEFORE_MAP(W, H)) {
					map_free(g, w, h);
					mapped = 1;
				}
				continue;
			}
			if (best < 0 || dist < best ||
			    ox[i].at < bi || (ox[i].at == bi && oy[k].at < bk)) {
				best = dist;
				bi = ox[i].at;
				bk = oy[k].at;
				*cx = c.x;
				*cy = c.y;
			}
			break; /* the other y of this x are no nearer */
		}
	}
	free(ox);
	free(oy);
	return best >= 0;
}

/* A w x h shape of about `pes` PEs and aspect a, within the item's
 * useful extent and the grid. */
static void shape_of(const struct grow *g, int64_t pes, double a, int32_t *w,
		     int32_t *h)
{
	const struct place_item *it = &g->pp->items[g->b];
	int32_t mw = it->max_w < g->pp->grid_w ? it->max_w : g->pp->grid_w;
	int32_t mh = it->max_h < g->pp->grid_h ? it->max_h : g->pp->grid_h;
	double x = sqrt((double)pes * a);
	*w = x < 1 ? 1 : x > mw ? mw : (int32_t)x;
	int64_t y = (pes + *w - 1) / *w;
	*h = y < 1 ? 1 : y > mh ? mh : (int32_t)y;
}

/* The item moved to a larger free rectangle: sizes and aspects from
 * grow_factors and grow_aspects, the fastest that has a free place. */
static void try_move(struct grow *g, int32_t *xs, int32_t *ys)
{
	const struct place_problem *pp = g->pp;
	const struct rect *a = &g->r[g->b];
	int built = 0;
	for (size_t f = 0; f < ARRAY_SIZE(grow_factors); f++) {
		for (size_t k = 0; k < ARRAY_SIZE(grow_aspects); k++) {
			int32_t w, h;
			int64_t pes = (int64_t)(grow_factors[f] * (double)a->w *
						a->h);
			double asp = pp->items[g->b].aspect * grow_aspects[k];
			shape_of(g, pes, asp, &w, &h);
			if ((int64_t)w * h <= (int64_t)a->w * a->h ||
			    place_item_cycles(pp, g->b, w, h) >= g->best_t ||
			    !place_item_fits(pp, g->b, w, h))
				continue;
			if (!built)
				build_occ(g);
			built = 1;
			int32_t x = 0, y = 0;
			if (find_free(g, w, h, &x, &y, xs, ys))
				try_rect(g, (struct rect){x, y, w, h});
		}
	}
}

/* The slowest item (first of equals), and its pace. */
static int slowest(const struct place_problem *pp, const struct rect *r,
		   double *t)
{
	int b = 0;
	*t = -1;
	for (int i = 0; i < pp->n_items; i++) {
		double c = place_item_cycles(pp, i, r[i].w, r[i].h);
		if (c > *t) {
			*t = c;
			b = i;
		}
	}
	return b;
}

/* The moves of the loop below, one layout after another. */
static int grow_moves(struct grow *g, struct rect *hist, int *moved)
{
	const struct place_problem *pp = g->pp;
	int n = pp->n_items, moves = 0;
	int32_t *xs = xcalloc((size_t)(2 * n + 2), sizeof(int32_t));
	int32_t *ys = xcalloc((size_t)(2 * n + 2), sizeof(int32_t));
	for (int it = 0; it < SIZE_GROW_MAX_MOVES(n); it++) {
		double t;
		g->b = slowest(pp, g->r, &t);
		g->best_t = t;
		try_stretch(g);
		try_move(g, xs, ys);
		if (!(g->best_t < t))
			break; /* the pace stops improving */
		hist[moves] = g->r[g->b];
		moved[moves++] = g->b;
		g->r[g->b] = g->best;
	}
	free(xs);
	free(ys);
	return moves;
}

int size_grow(const struct place_problem *pp, struct rect *rects)
{
	int n = pp->n_items;
	if (n < 1)
		return 0;
	int64_t W = pp->grid_w, H = pp->grid_h;
	struct grow g = {pp,   rects, 0,    0,	  {0, 0, 0, 0},
			 NULL, NULL,  NULL, NULL, NULL};
	g.seen = xcalloc((size_t)(W > H ? W : H) + 1, 1);
	g.occ = xcalloc((size_t)((W + 1) * (H + 1)), sizeof(*g.occ));
	g.cov = xcalloc((size_t)(W * H), 1);
	g.free = xcalloc((size_t)(W * H), 1);
	g.col_free = xcalloc((size_t)W, 1);
	struct rect *hist =
		xcalloc((size_t)SIZE_GROW_MAX_MOVES(n), sizeof(*hist));
	int *moved = xcalloc((size_t)SIZE_GROW_MAX_MOVES(n), sizeof(int));
	double before = pp->objective ? pp->objective(pp->ctx, rects) : 0;
	int moves = grow_moves(&g, hist, moved), keep = moves;
	/* the objective may say the step got longer (routes stretched,
	 * fill and drain): then the longest prefix of the moves among
	 * moves/2, moves/4, ... that does not raise it, or none */
	for (int k = moves; pp->objective && k > 0; k /= 2) {
		while (keep > k) { /* undo down to k moves */
			keep--;
			rects[moved[keep]] = hist[keep];
		}
		if (pp->objective(pp->ctx, rects) <= before)
			break;
		if (k == 1)
			keep = 0, rects[moved[0]] = hist[0];
	}
	free(g.occ);
	free(g.cov);
	free(g.free);
	free(g.col_free);
	free(g.seen);
	free(hist);
	free(moved);
	return keep;
}
