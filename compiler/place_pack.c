/*
 * place_pack.c: strategy "pack": two-dimensional rectangle packing on a
 * skyline (the lowest free row of every column), each stage put where it
 * is closest to the placed stages it talks to (bytes-weighted Manhattan
 * distance between output and input ports) with little area wasted under
 * it.  Two orders are packed, pipeline order (neighbours side by side) and
 * largest stage first (denser), and the one of lower place_cost() kept. Shapes:
 * the kernel's preferred aspect, 4x wider and 4x taller.  If the stages do not
 * fit at their balanced sizes, the large ones shrink by 6% (never below their
 * minimums) and packing starts again.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/place.h"
#include "ground/util.h"

/* Over item i's edges only (adj), in edge order: the sum is the one a
 * scan of every edge would make. */
static double feed_dist(const struct place_problem *pp,
			const struct place_adj *adj, const struct rect *r,
			const char *placed, int i, int32_t x, int32_t y,
			int32_t w, int32_t h)
{
	double sum = 0, bytes = 0;
	for (int k = adj->off[i]; k < adj->off[i + 1]; k++) {
		const struct place_edge *ed = &pp->edges[adj->at[k]];
		/* producers already placed (or the host) pull; so do the
		 * consumers already placed when packing out of order */
		int other = ed->dst == i   ? ed->src
			    : ed->src == i ? ed->dst
					   : -2;
		if (other == -2 || (other >= 0 && !placed[other]))
			continue;
		if (ed->src == i && other < 0)
			continue;
		double px, py;
		if (ed->src < 0) {
			/* host data: from the west or east edge, same row */
			py = y + h / 2.0;
			px = (pp->io_edges & EDGE_WEST) ? 0 : pp->grid_w;
			if ((pp->io_edges & EDGE_EAST) &&
			    pp->grid_w - (x + w) < x)
				px = pp->grid_w;
		} else if (ed->dst == i) {
			const struct rect *a = &r[ed->src];
			px = a->x + a->w;
			py = a->y + a->h / 2.0;
		} else {
			const struct rect *a = &r[ed->dst];
			px = a->x;
			py = a->y + a->h / 2.0;
		}
		double qx = px < x ? x : px > x + w - 1 ? x + w - 1 : px;
		double qy = py < y ? y : py > y + h - 1 ? y + h - 1 : py;
		double b = (double)ed->bytes + 1;
		sum += b * (fabs(px - qx) + fabs(py - qy));
		bytes += b;
	}
	return bytes > 0 ? sum / bytes : 0;
}

/* Scratch of pack_at: the skyline, the candidate x (each once, in order
 * of first appearance: a repeat would score the same and never win, the
 * comparison being strict), which x are candidates, the placed items.
 * The skyline's maxima and sums over any span of columns come from a
 * sparse table and prefix sums kept up to date as stages land, so a
 * candidate costs O(1) instead of a scan of its columns:
 *
 *     top[k * W + x] = max sky[x .. x + 2^k)    (x + 2^k <= W)
 *     sum[x]         = sky[0] + ... + sky[x - 1] (sum[0] = 0)
 */
struct pack_buf {
	const struct place_adj *adj;
	int32_t *sky, *cand;
	char *seen; /* grid_w + 1 */
	char *placed;
	int32_t *top; /* levels * grid_w */
	int64_t *sum; /* grid_w + 1 */
	int levels;   /* 1 + floor(log2(grid_w)) */
	int fd_nonneg; /* every edge's bytes >= 0: feed_dist >= 0 */
};

static void add_cand(struct pack_buf *pb, int *nc, int32_t x)
{
	if (!pb->seen[x]) {
		pb->seen[x] = 1;
		pb->cand[(*nc)++] = x;
	}
}

static int floor_log2(int32_t v)
{
	int k = 0;
	while (v >> (k + 1))
		k++;
	return k;
}

/* The highest skyline over columns [x, x + w), w >= 1. */
static int32_t sky_max(const struct pack_buf *pb, int W, int32_t x, int32_t w)
{
	int k = floor_log2(w);
	const int32_t *t = pb->top + (size_t)k * (size_t)W;
	int32_t a = t[x], b = t[x + w - ((int32_t)1 << k)];
	return a > b ? a : b;
}

/* Columns [x, x + w) rise to y: the skyline, its table and its sums. */
static void sky_set(struct pack_buf *pb, int W, int32_t x, int32_t w,
		    int32_t y)
{
	for (int32_t k = x; k < x + w; k++)
		pb->sky[k] = pb->top[k] = y;
	for (int k = 1; k < pb->levels; k++) {
		int32_t span = (int32_t)1 << k, half = span >> 1;
		int32_t lo = x - span + 1 < 0 ? 0 : x - span + 1;
		int32_t hi = x + w - 1 < W - span ? x + w - 1 : W - span;
		const int32_t *prev = pb->top + (size_t)(k - 1) * (size_t)W;
		int32_t *t = pb->top + (size_t)k * (size_t)W;
		for (int32_t j = lo; j <= hi; j++)
			t[j] = prev[j] > prev[j + half] ? prev[j]
							: prev[j + half];
	}
	for (int32_t k = x; k < W; k++)
		pb->sum[k + 1] = pb->sum[k] + pb->sky[k];
}

static int pack_at(const struct place_problem *pp, double s, struct rect *r,
		   struct pack_buf *pb, const int *order)
{
	int W = pp->grid_w;
	int32_t *sky = pb->sky, *cand = pb->cand;
	char *placed = pb->placed;
	for (int c = 0; c < W; c++)
		sky[c] = 0;
	memset(pb->top, 0, sizeof(*pb->top) * (size_t)pb->levels * (size_t)W);
	memset(pb->sum, 0, sizeof(*pb->sum) * ((size_t)W + 1));
	memset(placed, 0, (size_t)pp->n_items);
	memset(pb->seen, 0, (size_t)W + 1);
	/* candidate x: the west edge and every placed edge */
	int nc = 0;
	add_cand(pb, &nc, 0);
	for (int oi = 0; oi < pp->n_items; oi++) {
		int i = order[oi];
		const struct place_item *it = &pp->items[i];
		int64_t pes = place_scaled_pes(pp, i, s);
		int32_t sw[3], sh[3];
		int ns = 0;
		const double asp[3] = {1, 4, 0.25};
		for (int a = 0; a < 3; a++) {
			double as = (it->aspect > 0 ? it->aspect : 1) * asp[a];
			if (place_shape_aspect(pp, i, pes, as, &sw[ns],
					       &sh[ns])) {
				int dup = 0;
				for (int q = 0; q < ns; q++)
					dup |= sw[q] == sw[ns] &&
					       sh[q] == sh[ns];
				if (!dup)
					ns++;
			}
		}
		if (!ns)
			return 0;
		double best = INFINITY;
		struct rect br = {0, 0, 0, 0};
		for (int q = 0; q < ns; q++) {
			int32_t w = sw[q], h = sh[q];
			for (int c = 0; c < 2 * nc; c++) {
				/* left-aligned at cand, or right-aligned */
				int32_t x = c < nc ? cand[c] : cand[c - nc] - w;
				if (x < 0 || x + w > W)
					continue;
				int32_t y = sky_max(pb, W, x, w);
				if (y + h > pp->grid_h)
					continue;
				/* the area under it: w * y less the skyline */
				int64_t waste = (int64_t)w * y -
						(pb->sum[x + w] - pb->sum[x]);
				/* feed_dist >= 0 (no edge of negative bytes),
				 * and rounding is monotone: the score is at
				 * least its other terms; skip the distance
				 * where they alone cannot win */
				if (pb->fd_nonneg &&
				    !(0.0 + (double)waste / w + 0.01 * (x + y) <
				      best))
					continue;
				double sc = feed_dist(pp, pb->adj, r, placed, i,
						      x, y, w, h) +
					    (double)waste / w + 0.01 * (x + y);
				if (sc < best) {
					best = sc;
					br = (struct rect){x, y, w, h};
				}
			}
		}
		if (isinf(best))
			return 0;
		r[i] = br;
		placed[i] = 1;
		sky_set(pb, W, br.x, br.w, br.y + br.h);
		add_cand(pb, &nc, br.x + br.w);
		add_cand(pb, &nc, br.x);
	}
	return 1;
}

/* Pack in `order`, shrinking large stages until it fits; the scale used,
 * or -1 if even the minimums do not pack. */
static double pack_order(const struct place_problem *pp, const int *order,
			 struct rect *r, struct pack_buf *pb)
{
	double s = 1;
	for (int tries = 0; tries < 80; tries++) {
		if (pack_at(pp, s, r, pb, order))
			return s;
		if (s == 0)
			break;
		s = tries >= 78 ? 0 : s * 0.94;
	}
	return -1;
}

static int pack(const struct place_problem *pp, struct rect *rects, char *note,
		struct diag *d)
{
	int n = pp->n_items;
	struct place_adj adj;
	place_adj_init(&adj, pp);
	struct pack_buf pb = {&adj,
			      xcalloc((size_t)pp->grid_w, sizeof(int32_t)),
			      xcalloc((size_t)pp->grid_w + 2, sizeof(int32_t)),
			      xcalloc((size_t)pp->grid_w + 1, 1),
			      xcalloc((size_t)n + 1, 1),
			      NULL,
			      xcalloc((size_t)pp->grid_w + 1, sizeof(int64_t)),
			      1 + floor_log2(pp->grid_w),
			      1};
	for (int e = 0; e < pp->n_edges; e++)
		pb.fd_nonneg &= pp->edges[e].bytes >= 0;
	pb.top = xcalloc((size_t)pb.levels * (size_t)pp->grid_w,
			 sizeof(int32_t));
	int *order = xcalloc((size_t)n + 1, sizeof(int));
	struct rect *alt = xcalloc((size_t)n + 1, sizeof(*alt));
	/* 1: pipeline order, communicating stages side by side */
	for (int i = 0; i < n; i++)
		order[i] = i;
	double s1 = pack_order(pp, order, rects, &pb);
	/* 2: largest target first (denser), ties in pipeline order; a stable
	 * insertion sort keeps it deterministic */
	for (int i = 1; i < n; i++) {
		int v = order[i], j = i - 1;
		while (j >= 0 && pp->items[order[j]].target_pes <
					 pp->items[v].target_pes) {
			order[j + 1] = order[j];
			j--;
		}
		order[j + 1] = v;
	}
	double s2 = pack_order(pp, order, alt, &pb);
	const char *how = "pipeline order";
	double s = s1;
	if (s2 >= 0 &&
	    (s1 < 0 || place_cost(pp, alt) < place_cost(pp, rects))) {
		memcpy(rects, alt, sizeof(*alt) * (size_t)n);
		how = "largest first";
		s = s2;
	}
	free(pb.sky);
	free(pb.cand);
	free(pb.seen);
	free(pb.placed);
	free(pb.top);
	free(pb.sum);
	place_adj_release(&adj);
	free(order);
	free(alt);
	if (s < 0) {
		diag_add(d, NULL, 0, 0,
			 "place: pack: the %d stages at their minimum sizes "
			 "must "
			 "pack into the %dx%d grid, they do not",
			 n, pp->grid_w, pp->grid_h);
		return WS_EINPUT;
	}
	snprintf(note, 128, "%s, sizes scaled by %.3f to pack", how, s);
	return 0;
}

const struct place_strategy place_strategy_pack = {
	"pack",
	"2-D skyline packing near communicating stages (pipeline or "
	"largest-first order)",
	pack,
};
