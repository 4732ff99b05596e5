/*
 * place_strips.c: strategy "strips": stages side by side in pipeline order
 * along horizontal bands of equal height, snaking (west to east on even
 * bands, east to west on odd ones), so consecutive stages are neighbours.
 *
 * For each band count k (band height H = grid_h / k) it finds the largest
 * scale s in (0, 1] such that every stage, given max(s target, min) PEs as a
 * H-tall strip (shorter if the kernel has fewer useful rows), fits in k
 * bands; of those layouts it keeps the one of lowest place_cost().
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/place.h"
#include "ground/util.h"

/* Lay out at scale s with k bands; 0 if it does not fit. */
static int layout(const struct place_problem *pp, int k, double s,
		  struct rect *r)
{
	int32_t H = pp->grid_h / k;
	if (H < 1)
		return 0;
	int band = 0;
	int32_t cur = 0;
	for (int i = 0; i < pp->n_items; i++) {
		const struct place_item *it = &pp->items[i];
		int32_t h = it->max_h < H ? it->max_h : H;
		if (h < 1)
			h = 1;
		double want = (double)place_scaled_pes(pp, i, s);
		int64_t w64 = (int64_t)ceil(want / h);
		if (w64 < 1)
			w64 = 1;
		int32_t w = w64 > pp->grid_w ? pp->grid_w + 1 : (int32_t)w64;
		while (w <= pp->grid_w && !place_item_fits(pp, i, w, h))
			w += w / 8 + 1;
		if (w > pp->grid_w)
			return 0;
		if (cur + w > pp->grid_w) {
			band++;
			cur = 0;
		}
		if (band >= k)
			return 0;
		int32_t x = band % 2 == 0 ? cur : pp->grid_w - cur - w;
		r[i] = (struct rect){x, band * H, w, h};
		cur += w;
	}
	return 1;
}

static int strips(const struct place_problem *pp, struct rect *rects,
		  char *note, struct diag *d)
{
	int n = pp->n_items;
	struct rect *tmp = xcalloc((size_t)n, sizeof(*tmp));
	double best = INFINITY;
	int kmax = 2 * n + 8 < 96 ? 2 * n + 8 : 96;
	if (kmax > pp->grid_h)
		kmax = pp->grid_h;
	for (int k = 1; k <= kmax; k++) {
		if (!layout(pp, k, 0, tmp))
			continue;
		double lo = 0, hi = 1;
		if (layout(pp, k, 1, tmp)) {
			lo = 1;
		} else {
			for (int it = 0; it < 18; it++) {
				double mid = (lo + hi) / 2;
				if (layout(pp, k, mid, tmp))
					lo = mid;
				else
					hi = mid;
			}
		}
		layout(pp, k, lo, tmp);
		double c = place_cost(pp, tmp);
		if (c < best) {
			best = c;
			memcpy(rects, tmp, sizeof(*tmp) * (size_t)n);
			snprintf(note, 128, "%d bands of %d rows, scale %.3f",
				 k, pp->grid_h / k, lo);
		}
	}
	free(tmp);
	if (isinf(best)) {
		diag_add(
			d, NULL, 0, 0,
			"place: strips: the %d stages' minimum strips must fit "
			"in the %dx%d grid, they do not",
			n, pp->grid_w, pp->grid_h);
		return WS_EINPUT;
	}
	return 0;
}

const struct place_strategy place_strategy_strips = {
	"strips",
	"stages in pipeline order as strips on snaking horizontal bands",
	strips,
};
