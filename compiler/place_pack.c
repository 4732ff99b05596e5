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
 * comparison being strict), which x are candidates, the placed items. */
struct pack_buf {
	const struct place_adj *adj;
	int32_t *sky, *cand;
	char *seen; /* grid_w + 1 */
	char *placed;
};

static void add_cand(struct pack_buf *pb, int *nc, int32_t x)
{
	if (!pb->seen[x]) {
		pb->seen[x] = 1;
		pb->cand[(*nc)++] = x;
	}
}

static int pack_at(const struct place_problem *pp, double s, struct rect *r,
		   struct pack_buf *pb, const int *order)
{
	int W = pp->grid_w;
	int32_t *sky = pb->sky, *cand = pb->cand;
	char *placed = pb->placed;
	for (int c = 0; c < W; c++)
		sky[c] = 0;
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
				int32_t y = 0;
				int64_t waste = 0;
				for (int k = x; k < x + w; k++)
					if (sky[k] > y)
						y = sky[k];
				if (y + h > pp->grid_h)
					continue;
				for (int k = x; k < x + w; k++)
					waste += y - sky[k];
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
		for (int k = br.x; k < br.x + br.w; k++)
			sky[k] = br.y + br.h;
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
			      xcalloc((size_t)n + 1, 1)};
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
