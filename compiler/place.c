/*
 * place.c: the services every placement strategy uses (shapes, fits, the
 * cost model, overlap and validity checks, the random stream).  Strategies
 * (compiler/place_<name>.c) call these; plan_build.c calls the strategies.
 * See place.h.
 */
#include "compiler/place.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/map.h"
#include "compiler/route.h"
#include "ground/util.h"

/* ---- helpers ---------------------------------------------------------------
 */

int64_t place_scaled_pes(const struct place_problem *pp, int i, double s)
{
	const struct place_item *it = &pp->items[i];
	double grid = (double)pp->grid_w * pp->grid_h;
	double v = (double)it->target_pes;
	if (v > grid / 100)
		v *= s;
	int64_t p = (int64_t)v;
	return p > it->min_pes ? p : it->min_pes;
}

void place_adj_init(struct place_adj *a, const struct place_problem *pp)
{
	int n = pp->n_items;
	a->off = xcalloc((size_t)n + 2, sizeof(int));
	a->at = xcalloc((size_t)(2 * pp->n_edges) + 1, sizeof(int));
	for (int e = 0; e < pp->n_edges; e++) {
		const struct place_edge *ed = &pp->edges[e];
		if (ed->src >= 0 && ed->src < n && ed->src != ed->dst)
			a->off[ed->src + 1]++;
		if (ed->dst >= 0 && ed->dst < n)
			a->off[ed->dst + 1]++;
	}
	for (int i = 0; i < n; i++)
		a->off[i + 1] += a->off[i];
	int *fill = xcalloc((size_t)n + 1, sizeof(int));
	for (int e = 0; e < pp->n_edges; e++) {
		const struct place_edge *ed = &pp->edges[e];
		if (ed->src >= 0 && ed->src < n && ed->src != ed->dst)
			a->at[a->off[ed->src] + fill[ed->src]++] = e;
		if (ed->dst >= 0 && ed->dst < n)
			a->at[a->off[ed->dst] + fill[ed->dst]++] = e;
	}
	free(fill);
}

void place_adj_release(struct place_adj *a)
{
	free(a->off);
	free(a->at);
	a->off = a->at = NULL;
}

uint64_t place_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

double place_item_cycles(const struct place_problem *pp, int i, int32_t w,
			 int32_t h)
{
	if (pp->stage_cycles)
		return pp->stage_cycles(pp->ctx, i, w, h);
	const struct place_item *it = &pp->items[i];
	return it->work / ((double)w * h) + it->fixed_cycles;
}

int place_item_fits(const struct place_problem *pp, int i, int32_t w, int32_t h)
{
	if ((int64_t)w * h < pp->items[i].min_pes)
		return 0;
	return pp->fits ? pp->fits(pp->ctx, i, w, h) : 1;
}

int place_shape(const struct place_problem *pp, int i, int64_t pes, int32_t *bw,
		int32_t *bh)
{
	return place_shape_aspect(pp, i, pes, pp->items[i].aspect, bw, bh);
}

/* The log-aspect distance of a w x h shape from la, signed: it grows with
 * w (h = ceil(pes / w) falls), so its size falls then grows. */
static double shape_dlog(int32_t w, int64_t h, double la)
{
	return log((double)w / (double)h) - la;
}

/* Score of a w x h shape for pes PEs (lower is better): the log-aspect's
 * distance |dl| plus 4 x the share of PEs wasted. */
static double shape_score(double dl, int32_t w, int64_t h, int64_t pes)
{
	return fabs(dl) + 4.0 * (double)((int64_t)w * h - pes) / (double)pes;
}

/* Widths tried by place_shape_aspect: scores of [lo + 1, hi) known
 * (INFINITY once refused); every width outside scores at least bound_lo
 * (left) or bound_hi (right), the aspect distance at the frontier. */
struct shape_scan {
	int64_t pes;
	double la;
	int32_t w0, mw, lo, hi;
	double bound_lo, bound_hi;
	double *sc; /* by width - 1 */
};

/* The lowest (score, width) of those known; 0 if none. */
static int32_t scan_best(const struct shape_scan *s, double *m)
{
	int32_t bi = 0;
	*m = INFINITY;
	for (int32_t w = s->lo + 1; w < s->hi; w++)
		if (s->sc[w - 1] < *m) {
			*m = s->sc[w - 1];
			bi = w;
		}
	return bi;
}

/* Score widths outward from the frontiers until none outside can beat
 * the best known; the best width, 0 when none is left. */
static int32_t scan_widen(struct shape_scan *s)
{
	double m;
	int32_t bi = scan_best(s, &m);
	/* the bounds are exact (the distance is monotone on each side);
	 * the margin only guards against log's last-bit rounding */
	while (s->lo >= s->w0 && s->bound_lo <= m + 1e-12) {
		int32_t w = s->lo--;
		int64_t h = (s->pes + w - 1) / w;
		double dl = shape_dlog(w, h, s->la);
		s->sc[w - 1] = shape_score(dl, w, h, s->pes);
		s->bound_lo = fabs(dl);
		if (s->sc[w - 1] <= m) { /* narrower wins a tie */
			m = s->sc[w - 1];
			bi = w;
		}
	}
	while (s->hi <= s->mw && s->bound_hi <= m + 1e-12) {
		int32_t w = s->hi++;
		int64_t h = (s->pes + w - 1) / w;
		double dl = shape_dlog(w, h, s->la);
		s->sc[w - 1] = shape_score(dl, w, h, s->pes);
		s->bound_hi = fabs(dl);
		if (s->sc[w - 1] < m) {
			m = s->sc[w - 1];
			bi = w;
		}
	}
	return bi;
}

/*
 * The shape is the lowest (score, w) among the widths whose rectangle
 * fits (the w-order scan keeping strict improvements).  The fits
 * callback is a kernel evaluation, the expensive part: it is asked in
 * order of score, so the first that fits is the answer (usually one call).
 * The widths with h <= mh are [w0, mw]; the aspect distance changes sign
 * once over them, and the scan scores outward from there only while a
 * width could still beat the best (one log per width scored).
 */
int place_shape_aspect(const struct place_problem *pp, int i, int64_t pes,
		       double aspect, int32_t *bw, int32_t *bh)
{
	const struct place_item *it = &pp->items[i];
	int32_t mw = it->max_w < pp->grid_w ? it->max_w : pp->grid_w;
	int32_t mh = it->max_h < pp->grid_h ? it->max_h : pp->grid_h;
	if (mw < 1)
		mw = 1;
	if (mh < 1)
		mh = 1;
	if (pes < it->min_pes)
		pes = it->min_pes;
	if (pes > (int64_t)mw * mh)
		pes = (int64_t)mw * mh;
	if (pes < 1)
		return 0; /* every score is infinite: no shape */
	struct shape_scan s = {pes, log(aspect > 0 ? aspect : 1.0),
			       (int32_t)((pes + mh - 1) / mh), mw, 0, 0, 0, 0,
			       NULL};
	/* the first width whose aspect is at least the one asked */
	int32_t a = s.w0, b = mw + 1;
	while (a < b) {
		int32_t w = a + (b - a) / 2;
		if (shape_dlog(w, (pes + w - 1) / w, s.la) >= 0)
			b = w;
		else
			a = w + 1;
	}
	s.lo = a - 1;
	s.hi = a;
	double stack[1024];
	s.sc = mw <= 1024 ? stack : xmalloc(sizeof(*s.sc) * (size_t)mw);
	int found = 0;
	for (int32_t w; (w = scan_widen(&s)) != 0; s.sc[w - 1] = INFINITY) {
		int32_t h = (int32_t)((pes + w - 1) / w);
		if (place_item_fits(pp, i, w, h)) {
			*bw = w;
			*bh = h;
			found = 1;
			break;
		}
	}
	if (s.sc != stack)
		free(s.sc);
	return found;
}

int place_overlap(const struct rect *a, const struct rect *b)
{
	return a->x < b->x + b->w && b->x < a->x + a->w && a->y < b->y + b->h &&
	       b->y < a->y + a->h;
}

int place_any_overlap(const struct rect *r, int n, int64_t W, int64_t H)
{
	for (int i = 0; i < n; i++)
		if (r[i].w < 1 || r[i].h < 1 || r[i].x < 0 || r[i].y < 0 ||
		    r[i].x + r[i].w > W || r[i].y + r[i].h > H)
			return 1;
	unsigned char *cov = xcalloc((size_t)(W * H) + 1, 1);
	int hit = 0;
	for (int i = 0; i < n && !hit; i++)
		for (int64_t y = r[i].y; y < r[i].y + r[i].h && !hit; y++) {
			unsigned char *c = cov + y * W + r[i].x;
			for (int32_t x = 0; x < r[i].w; x++) {
				hit |= c[x];
				c[x] = 1;
			}
		}
	free(cov);
	return hit;
}

int place_check(const struct place_problem *pp, const struct rect *r,
		struct diag *d)
{
	int bad = 0;
	int scan = place_any_overlap(r, pp->n_items, pp->grid_w, pp->grid_h);
	for (int i = 0; i < pp->n_items; i++) {
		if (r[i].w < 1 || r[i].h < 1 || r[i].x < 0 || r[i].y < 0 ||
		    r[i].x + r[i].w > pp->grid_w ||
		    r[i].y + r[i].h > pp->grid_h) {
			if (d)
				diag_add(d, NULL, 0, 0,
					 "place: item %d rectangle (%d,%d "
					 "%dx%d) "
					 "must lie inside the %dx%d grid",
					 i, r[i].x, r[i].y, r[i].w, r[i].h,
					 pp->grid_w, pp->grid_h);
			bad++;
		}
		if ((int64_t)r[i].w * r[i].h < pp->items[i].min_pes) {
			if (d)
				diag_add(d, NULL, 0, 0,
					 "place: item %d must get at least "
					 "%lld PEs, got %lld",
					 i, (long long)pp->items[i].min_pes,
					 (long long)r[i].w * r[i].h);
			bad++;
		}
		for (int j = 0; scan && j < i; j++)
			if (place_overlap(&r[i], &r[j])) {
				if (d)
					diag_add(d, NULL, 0, 0,
						 "place: items %d and %d must "
						 "not overlap",
						 j, i);
				bad++;
			}
	}
	return bad;
}

static double centre_dist(const struct place_problem *pp, const struct rect *r,
			  const struct place_edge *e)
{
	const struct rect *b = &r[e->dst];
	double bx = b->x + b->w / 2.0, by = b->y + b->h / 2.0;
	if (e->src < 0) {
		/* host: nearest I/O edge */
		double best = INFINITY;
		if (pp->io_edges & EDGE_WEST)
			best = fmin(best, bx);
		if (pp->io_edges & EDGE_EAST)
			best = fmin(best, pp->grid_w - bx);
		if (pp->io_edges & EDGE_NORTH)
			best = fmin(best, by);
		if (pp->io_edges & EDGE_SOUTH)
			best = fmin(best, pp->grid_h - by);
		return isinf(best) ? bx : best;
	}
	const struct rect *a = &r[e->src];
	/* output port: east edge, middle */
	double ax = a->x + a->w, ay = a->y + a->h / 2.0;
	return fabs(ax - bx) + fabs(ay - by);
}

double place_cost_cycles(const struct place_problem *pp, const struct rect *r,
			 const double *cycles)
{
	double tmax = 0, used = 0, comm = 0;
	for (int i = 0; i < pp->n_items; i++) {
		if (cycles[i] > tmax)
			tmax = cycles[i];
		used += (double)r[i].w * r[i].h;
	}
	for (int e = 0; e < pp->n_edges; e++)
		comm += (double)pp->edges[e].bytes / 4.0 *
			centre_dist(pp, r, &pp->edges[e]);
	double grid = (double)pp->grid_w * pp->grid_h;
	double unused = 1.0 - used / grid;
	/* documented in docs/placement.md: the bottleneck's cycles, the
	 * cycles the fabric's 2 W H links would need for one sample's
	 * wavelet-hops if only 1/16 of them carried traffic, and 10% of the
	 * bottleneck per whole wafer left unused */
	return tmax + comm * 16.0 / (2.0 * grid) + 0.1 * tmax * unused;
}

double place_cost(const struct place_problem *pp, const struct rect *r)
{
	double *c = xcalloc((size_t)pp->n_items + 1, sizeof(double));
	for (int i = 0; i < pp->n_items; i++)
		c[i] = place_item_cycles(pp, i, r[i].w, r[i].h);
	double v = place_cost_cycles(pp, r, c);
	free(c);
	return v;
}
