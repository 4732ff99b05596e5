/*
 * plan_estimate_links.c: the busiest link's load per sample (the
 * objective's share of route contention, plan_estimate.h).
 *
 * The engine reserves every lane link of a route's bundle for the route's
 * serialisation, once per sample (sim/engine.c bundle_reserve over
 * fabric/reserve.h), so per sample a link is held for the sum of the
 * serialisations of the sample routes whose bundles cross it: no pace can
 * be shorter than the busiest link's sum.  The bundles are laid as the
 * engine lays them: the path's links (X then Y, hops whose source router
 * is outside the grid skipped), `lanes` copies side by side across each
 * hop, centred on the path and kept inside the grid.
 */
#include "compiler/plan_estimate.h"

#include <stdlib.h>

#include "ground/util.h"

/* Directions, as the engine's link planes: a bundle shares links only
 * with bundles going the same way. */
enum { DIR_E, DIR_W, DIR_S, DIR_N };

/* One straight run of a bundle: links along [a0, a1) (source routers),
 * lanes across [b0, b1), held `w` cycles per sample. */
struct run {
	int dir;
	int64_t a0, a1, b0, b1;
	double w;
};

struct runs {
	struct run *v;
	int n, cap;
};

static void push(struct runs *rs, struct run r)
{
	if (r.a0 >= r.a1 || r.b0 >= r.b1 || r.w <= 0)
		return;
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? 2 * rs->cap : 64;
		rs->v = xrealloc(rs->v, (size_t)rs->cap * sizeof(*rs->v));
	}
	rs->v[rs->n++] = r;
}

/* The lanes a bundle of `lanes` centred on line c covers (engine's rule:
 * centred, moved inside the grid's `span` lines). */
static void lanes_at(int64_t c, int64_t lanes, int64_t span, int64_t *b0,
		     int64_t *b1)
{
	if (lanes > span)
		lanes = span;
	int64_t lo = c - lanes / 2;
	if (lo < 0)
		lo = 0;
	if (lo + lanes > span)
		lo = span - lanes;
	*b0 = lo;
	*b1 = lo + lanes;
}

/* The source routers [a0, a1) of the hops from p to q along an axis of
 * `len` routers (both ends of a hop inside the grid). */
static void hops_along(int64_t p, int64_t q, int64_t len, struct run *r)
{
	int fwd = q > p;
	r->a0 = fwd ? p : q + 1;
	r->a1 = fwd ? q : p + 1;
	int64_t lo = fwd ? 0 : 1, hi = fwd ? len - 1 : len;
	r->a0 = r->a0 < lo ? lo : r->a0;
	r->a1 = r->a1 > hi ? hi : r->a1;
}

/* The runs of one straight step from a to b (one axis changes). */
static void leg(const struct machine *m, int64_t ax, int64_t ay, int64_t bx,
		int64_t by, int64_t lanes, double w, struct runs *rs)
{
	int64_t W = m->width, H = m->height;
	struct run r = {0, 0, 0, 0, 0, w};
	if (ay == by && ax != bx) {
		if (ay < 0 || ay >= H)
			return;
		r.dir = bx > ax ? DIR_E : DIR_W;
		hops_along(ax, bx, W, &r);
		lanes_at(ay, lanes, H, &r.b0, &r.b1);
	} else if (ax == bx && ay != by) {
		if (ax < 0 || ax >= W)
			return;
		r.dir = by > ay ? DIR_S : DIR_N;
		hops_along(ay, by, H, &r);
		lanes_at(ax, lanes, W, &r.b0, &r.b1);
	} else {
		return;
	}
	push(rs, r);
}

/* The runs of a path of corners, walked backward when `reverse` (a
 * backward route the engine derives from a forward one). */
static void path_runs(const struct machine *m, const struct plan_point *pt,
		      int np, int reverse, int64_t lanes, double w,
		      struct runs *rs)
{
	for (int k = 0; k + 1 < np; k++) {
		struct plan_point a = pt[reverse ? np - 1 - k : k];
		struct plan_point b = pt[reverse ? np - 2 - k : k + 1];
		/* X first, then Y, as the engine walks a step */
		leg(m, a.x, a.y, b.x, a.y, lanes, w, rs);
		leg(m, b.x, a.y, b.x, b.y, lanes, w, rs);
	}
}

static void route_runs(const struct machine *m, const struct plan_route *r,
		       int64_t lanes, double w, struct runs *rs)
{
	path_runs(m, r->points, r->n_points, 0, lanes, w, rs);
}

struct edge {
	int64_t b;
	double w;
};

static int edge_cmp(const void *x, const void *y)
{
	const struct edge *a = x, *b = y;
	if (a->b != b->b)
		return a->b < b->b ? -1 : 1;
	/* ends before starts at the same lane: [b0, b1) */
	return (a->w > 0) - (b->w > 0);
}

static int int_cmp(const void *pa, const void *pb)
{
	int a = *(const int *)pa, b = *(const int *)pb;
	return (a > b) - (a < b);
}

/* The runs of direction dir by the LOAD_CELL-long cells along a they
 * cover: those over a point a are among its cell's. */
#define LOAD_CELL 32

struct along {
	int64_t nc;
	int *off, *at;
};

static void along_init(struct along *al, const struct runs *rs, int dir)
{
	int64_t amax = 0;
	for (int j = 0; j < rs->n; j++)
		if (rs->v[j].dir == dir && rs->v[j].a1 > amax)
			amax = rs->v[j].a1;
	al->nc = amax / LOAD_CELL + 1;
	al->off = xcalloc((size_t)al->nc + 2, sizeof(int));
	al->at = NULL;
	for (int pass = 0; pass < 2; pass++) {
		int *fill = pass ? xcalloc((size_t)al->nc + 1, sizeof(int))
				 : NULL;
		for (int j = 0; j < rs->n; j++) {
			const struct run *o = &rs->v[j];
			if (o->dir != dir || o->a0 >= o->a1 || o->a0 < 0)
				continue;
			for (int64_t k = o->a0 / LOAD_CELL;
			     k <= (o->a1 - 1) / LOAD_CELL; k++)
				if (!pass)
					al->off[k + 1]++;
				else
					al->at[al->off[k] + fill[k]++] = j;
		}
		if (!pass) {
			for (int64_t k = 0; k < al->nc; k++)
				al->off[k + 1] += al->off[k];
			al->at = xcalloc((size_t)al->off[al->nc] + 1,
					 sizeof(int));
		}
		free(fill);
	}
}

/* The largest sum of the runs of direction `dir` over one link. */
static double max_overlap(const struct runs *rs, int dir, struct edge *ev)
{
	double best = 0;
	struct along al;
	along_init(&al, rs, dir);
	int *js = xcalloc((size_t)rs->n + 1, sizeof(int));
	for (int i = 0; i < rs->n; i++) {
		const struct run *c = &rs->v[i];
		if (c->dir != dir)
			continue;
		/* the maximum lies where some run starts along; the runs
		 * over it, in run order (the events' order, and so the
		 * sums, those of a scan of every run) */
		int nj = 0;
		if (c->a0 >= 0 && c->a0 / LOAD_CELL < al.nc) {
			int64_t k = c->a0 / LOAD_CELL;
			for (int q = al.off[k]; q < al.off[k + 1]; q++) {
				const struct run *o = &rs->v[al.at[q]];
				if (o->a0 <= c->a0 && o->a1 > c->a0)
					js[nj++] = al.at[q];
			}
		}
		qsort(js, (size_t)nj, sizeof(int), int_cmp);
		int ne = 0;
		for (int q = 0; q < nj; q++) {
			const struct run *o = &rs->v[js[q]];
			ev[ne++] = (struct edge){o->b0, o->w};
			ev[ne++] = (struct edge){o->b1, -o->w};
		}
		qsort(ev, (size_t)ne, sizeof(*ev), edge_cmp);
		double sum = 0;
		for (int k = 0; k < ne; k++) {
			sum += ev[k].w;
			if (sum > best)
				best = sum;
		}
	}
	free(js);
	free(al.off);
	free(al.at);
	return best;
}

double plan_link_load(const struct plan *p, const struct machine *m,
		      const double *ser)
{
	struct runs rs = {NULL, 0, 0};
	for (int i = 0; i < p->n_routes; i++) {
		const struct plan_route *r = &p->routes[i];
		if (r->kind == ROUTE_SAMPLE)
			route_runs(m, r, plan_route_lanes(p, r), ser[i], &rs);
	}
	struct edge *ev = xcalloc((size_t)rs.n * 2 + 1, sizeof(*ev));
	double best = 0;
	for (int d = DIR_E; d <= DIR_N; d++) {
		double b = max_overlap(&rs, d, ev);
		if (b > best)
			best = b;
	}
	free(ev);
	free(rs.v);
	return best;
}

static int64_t span_of(const struct machine *m, int dir)
{
	return dir == DIR_E || dir == DIR_W ? m->height : m->width;
}

int64_t plan_bundle_lanes(const struct plan *p, const struct machine *m,
			  const struct plan_bundle *b, int src, int dst,
			  int fwd, int sync, int64_t *hops)
{
	struct runs rs = {NULL, 0, 0};
	path_runs(m, b->r->points, b->r->n_points, b->reverse, 1, 1, &rs);
	int n = p->n_stages, pa = fwd ? PASS_FWD : PASS_BWD_DATA;
	int64_t lo = src < n ? plan_stage_out_lines(&p->stages[src], pa)
			     : INT64_MAX;
	int64_t li = dst >= 0 ? plan_stage_in_lines(&p->stages[dst], pa) : lo;
	if (sync && src < n && dst >= 0) {
		/* weights and gradients lie over the whole rectangle: they
		 * leave across the source's extent facing the first hop and
		 * enter across the destination's facing the last */
		lo = li = 1;
		if (rs.n) {
			const struct rect *a = &p->stages[src].r;
			const struct rect *z = &p->stages[dst].r;
			int d0 = rs.v[0].dir, d1 = rs.v[rs.n - 1].dir;
			lo = d0 == DIR_E || d0 == DIR_W ? a->h : a->w;
			li = d1 == DIR_E || d1 == DIR_W ? z->h : z->w;
		}
	}
	int64_t l = lo < li ? lo : li;
	if (l == INT64_MAX || l < 1)
		l = 1;
	*hops = 0;
	for (int k = 0; k < rs.n; k++) {
		/* no wider than the grid across any of its hops */
		if (l > span_of(m, rs.v[k].dir))
			l = span_of(m, rs.v[k].dir);
		*hops += rs.v[k].a1 - rs.v[k].a0;
	}
	free(rs.v);
	return l;
}

/* A non-empty run of bundle i in a T x T cell of its direction's plane;
 * two runs overlap only if they cover a common cell, so pairs are tested
 * within cells, not all against all. */
#define SHARE_CELL 32

struct cell_ent {
	int64_t cell;
	int i, x;
};

static int cell_cmp(const void *pa, const void *pb)
{
	const struct cell_ent *a = pa, *b = pb;
	if (a->cell != b->cell)
		return a->cell < b->cell ? -1 : 1;
	if (a->i != b->i)
		return a->i < b->i ? -1 : 1;
	return (a->x > b->x) - (a->x < b->x);
}

static int pair_cmp(const void *pa, const void *pb)
{
	const int *a = pa, *b = pb;
	if (a[0] != b[0])
		return a[0] < b[0] ? -1 : 1;
	return (a[1] > b[1]) - (a[1] < b[1]);
}

static int runs_hit(const struct run *u, const struct run *v)
{
	return u->dir == v->dir && u->a0 < v->a1 && v->a0 < u->a1 &&
	       u->b0 < v->b1 && v->b0 < u->b1;
}

/* The cells of every run, sorted by cell; their count. */
static int64_t run_cells(const struct machine *m, int n, const struct runs *rs,
			 struct cell_ent **out)
{
	int64_t span = (m->width > m->height ? m->width : m->height) + 1;
	int64_t nc = span / SHARE_CELL + 1, cnt = 0, cap = 0;
	struct cell_ent *e = NULL;
	for (int i = 0; i < n; i++)
		for (int x = 0; x < rs[i].n; x++) {
			const struct run *r = &rs[i].v[x];
			if (r->a0 >= r->a1 || r->b0 >= r->b1)
				continue; /* overlaps nothing, itself included */
			for (int64_t ca = r->a0 / SHARE_CELL;
			     ca <= (r->a1 - 1) / SHARE_CELL; ca++)
				for (int64_t cb = r->b0 / SHARE_CELL;
				     cb <= (r->b1 - 1) / SHARE_CELL; cb++) {
					if (cnt == cap) {
						cap = 2 * cap + 256;
						e = xrealloc(e, (size_t)cap *
									sizeof(*e));
					}
					e[cnt++] = (struct cell_ent){
						((int64_t)r->dir * nc + ca) * nc + cb,
						i, x};
				}
		}
	if (cnt)
		qsort(e, (size_t)cnt, sizeof(*e), cell_cmp);
	*out = e;
	return cnt;
}

void plan_bundles_share(const struct machine *m, int n,
			const struct plan_bundle *b, int **share, int *n_share)
{
	struct runs *rs = xcalloc((size_t)n + 1, sizeof(*rs));
	for (int i = 0; i < n; i++)
		path_runs(m, b[i].r->points, b[i].r->n_points, b[i].reverse,
			  b[i].lanes, 1, &rs[i]);
	struct cell_ent *e;
	int64_t ne = run_cells(m, n, rs, &e), np = 0, capp = 0;
	int *pr = NULL; /* pairs (i, j), both ways */
	for (int64_t s = 0, t; s < ne; s = t) {
		for (t = s; t < ne && e[t].cell == e[s].cell; t++)
			;
		for (int64_t p = s; p < t; p++)
			for (int64_t q = p; q < t; q++) {
				if (!runs_hit(&rs[e[p].i].v[e[p].x],
					      &rs[e[q].i].v[e[q].x]))
					continue;
				if (np + 2 > capp) {
					capp = 2 * capp + 256;
					pr = xrealloc(pr, (size_t)capp * 2 *
								  sizeof(int));
				}
				pr[2 * np] = e[p].i;
				pr[2 * np + 1] = e[q].i;
				np++;
				pr[2 * np] = e[q].i;
				pr[2 * np + 1] = e[p].i;
				np++;
			}
	}
	if (np)
		qsort(pr, (size_t)np, 2 * sizeof(int), pair_cmp);
	for (int i = 0; i < n; i++) {
		share[i] = NULL;
		n_share[i] = 0;
	}
	for (int64_t k = 0; k < np; k++) {
		int i = pr[2 * k], j = pr[2 * k + 1];
		if (k && pr[2 * k - 2] == i && pr[2 * k - 1] == j)
			continue;
		share[i] = xrealloc(share[i],
				    (size_t)(n_share[i] + 1) * sizeof(int));
		share[i][n_share[i]++] = j;
	}
	free(pr);
	free(e);
	for (int i = 0; i < n; i++)
		free(rs[i].v);
	free(rs);
}
