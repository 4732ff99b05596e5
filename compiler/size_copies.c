/* size_copies.c: sample copies offered to the slowest stage of a placed
 * layout, kept by the objective (size.h size_copies). */
#include "compiler/size.h"

#include <math.h>
#include <stdlib.h>

#include "ground/util.h"

/* The slowest item not yet refused, or -1 (none, or it takes no
 * copies: a time-shared rectangle, whose pace copies cannot lower). */
static int slowest(const struct place_problem *pp, const struct rect *rects,
		   const int *copies, const unsigned char *refused)
{
	int b = -1;
	double worst = -1;
	for (int i = 0; i < pp->n_items; i++) {
		double t = place_item_cycles(pp, i, rects[i].w, rects[i].h);
		if (!refused[i] && t > worst) {
			worst = t;
			b = i;
		}
	}
	return b >= 0 && copies[b] > 0 ? b : -1;
}

int size_copies(const struct place_problem *pp, const struct rect *rects,
		int *copies, void (*set)(const void *ctx, const int *copies))
{
	if (!pp->objective)
		return 0;
	double base = pp->objective(pp->ctx, rects);
	unsigned char *refused = xcalloc((size_t)pp->n_items + 1, 1);
	int kept = 0;
	for (int k = 0; k < SIZE_COPIES_MAX_OFFERS && isfinite(base); k++) {
		int b = slowest(pp, rects, copies, refused);
		if (b < 0)
			break;
		int was = copies[b], R = 2 * was;
		refused[b] = 1;
		if (R > PLAN_MAX_COPIES || R > rects[b].w)
			continue;
		copies[b] = R;
		set(pp->ctx, copies);
		double v = pp->fits && !pp->fits(pp->ctx, b, rects[b].w,
						 rects[b].h)
				   ? INFINITY
				   : pp->objective(pp->ctx, rects);
		if (!(v < base)) {
			copies[b] = was;
			set(pp->ctx, copies);
			continue;
		}
		refused[b] = 0; /* kept: it may take more */
		base = v;
		kept++;
	}
	free(refused);
	return kept;
}
