/*
 * place_pack.c: strategy "pack": two-dimensional rectangle packing on a
 * skyline (the lowest free row of every column), stages in pipeline order,
 * each put where it is closest to the stages that feed it (bytes-weighted
 * Manhattan distance from their output ports) with little area wasted under
 * it.  Shapes: the kernel's preferred aspect, 4x wider and 4x taller.  If
 * the stages do not fit at their balanced sizes, the large ones shrink by 6%
 * (never below their minimums) and packing starts again.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/place.h"
#include "sim/util.h"

static double feed_dist(const struct place_problem *pp, const struct rect *r,
			int i, int32_t x, int32_t y, int32_t w, int32_t h)
{
	double sum = 0, bytes = 0;
	for (int e = 0; e < pp->n_edges; e++) {
		const struct place_edge *ed = &pp->edges[e];
		if (ed->dst != i || ed->src >= i)
			continue;
		double px, py;
		if (ed->src < 0) {
			/* host data: from the west or east edge, same row */
			py = y + h / 2.0;
			px = (pp->io_edges & EDGE_WEST) ? 0 : pp->grid_w;
			if ((pp->io_edges & EDGE_EAST) &&
			    pp->grid_w - (x + w) < x)
				px = pp->grid_w;
		} else {
			const struct rect *a = &r[ed->src];
			px = a->x + a->w;
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

static int pack_at(const struct place_problem *pp, double s, struct rect *r,
		   int32_t *sky, int32_t *cand)
{
	int W = pp->grid_w;
	for (int c = 0; c < W; c++)
		sky[c] = 0;
	for (int i = 0; i < pp->n_items; i++) {
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
		/* candidate x: the west edge and every placed edge */
		int nc = 0;
		cand[nc++] = 0;
		for (int j = 0; j < i; j++) {
			cand[nc++] = r[j].x + r[j].w;
			cand[nc++] = r[j].x;
		}
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
				double sc = feed_dist(pp, r, i, x, y, w, h) +
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
		for (int k = br.x; k < br.x + br.w; k++)
			sky[k] = br.y + br.h;
	}
	return 1;
}

static int pack(const struct place_problem *pp, struct rect *rects, char *note,
		struct diag *d)
{
	int32_t *sky = xcalloc((size_t)pp->grid_w, sizeof(int32_t));
	int32_t *cand = xcalloc((size_t)(2 * pp->n_items + 2), sizeof(int32_t));
	double s = 1;
	int ok = 0;
	for (int tries = 0; tries < 80 && !ok; tries++) {
		ok = pack_at(pp, s, rects, sky, cand);
		if (!ok) {
			if (s == 0)
				break;
			s = tries >= 78 ? 0 : s * 0.94;
		}
	}
	free(sky);
	free(cand);
	if (!ok) {
		diag_add(d, NULL, 0, 0,
			 "place: pack: the %d stages at their minimum sizes "
			 "must "
			 "pack into the %dx%d grid, they do not",
			 pp->n_items, pp->grid_w, pp->grid_h);
		return WS_EINPUT;
	}
	snprintf(note, 128, "sizes scaled by %.3f to pack", s);
	return 0;
}

const struct place_strategy place_strategy_pack = {
	"pack",
	"2-D skyline packing in pipeline order, each stage near its producers",
	pack,
};
