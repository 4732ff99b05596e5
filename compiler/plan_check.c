/*
 * plan_check.c: is a plan (built or read back from YAML) one the machine
 * can run?  Called by plan_build() and by plan_load(); it calls down into
 * placement's overlap test and routing's route check.  See place.h.
 */
#include "compiler/place.h"

#include "compiler/map_share.h"
#include "compiler/route.h"

#include <string.h>

/* ---- plan_check ------------------------------------------------------------
 */

/* A stage's sample copies (plan.h): a pipelined plan's, at least one
 * column each, on a rectangle no other stage time-shares. */
static int copies_check(const struct plan *p, int i, const char *file,
			struct diag *d)
{
	const struct plan_stage *s = &p->stages[i];
	int R = plan_copies(s), shared = 0;
	if (R <= 1)
		return 0;
	for (int j = 0; j < p->n_stages; j++)
		shared |= j != i && map_share_root(p, j) == map_share_root(p, i);
	const char *why = p->mode == MODE_STREAMING
				  ? "1 in a streaming plan (a streamed stage "
				    "has the whole wafer)"
			  : shared ? "1 on a time-shared rectangle"
			  : R > s->r.w ? "at most the rectangle's width (the "
					 "copies take one column in R each)"
				       : NULL;
	if (!why)
		return 0;
	diag_add(d, file, s->line, s->col,
		 "plan: stage '%s' 'copies' must be %s, got %d on %dx%d", s->name,
		 why, R, s->r.w, s->r.h);
	return 1;
}

int plan_check(const struct plan *p, const struct machine *m, const char *file,
	       struct diag *d)
{
	int bad = 0;
	if ((p->grid_w && p->grid_w != m->width) ||
	    (p->grid_h && p->grid_h != m->height)) {
		diag_add(d, file, 0, 0,
			 "plan: 'grid' must be the machine's %lldx%lld, got "
			 "%lldx%lld",
			 (long long)m->width, (long long)m->height,
			 (long long)p->grid_w, (long long)p->grid_h);
		bad++;
	}
	int shared = map_share_any(p);
	/* the pairs are compared only when some may clash (guests share
	 * their host's rectangle: compared always) */
	struct rect *all = xcalloc((size_t)p->n_stages + 1, sizeof(*all));
	for (int i = 0; i < p->n_stages; i++)
		all[i] = p->stages[i].r;
	int pairs = shared || place_any_overlap(all, p->n_stages, m->width,
						 m->height);
	free(all);
	for (int i = 0; i < p->n_stages; i++) {
		const struct plan_stage *s = &p->stages[i];
		const struct rect *r = &s->r;
		if (r->w < 1 || r->h < 1 || r->x < 0 || r->y < 0 ||
		    (int64_t)r->x + r->w > m->width ||
		    (int64_t)r->y + r->h > m->height) {
			diag_add(d, file, s->line, s->col,
				 "plan: stage '%s' rectangle must lie inside "
				 "the "
				 "%lldx%lld grid, got x %d y %d w %d h %d",
				 s->name, (long long)m->width,
				 (long long)m->height, r->x, r->y, r->w, r->h);
			bad++;
			continue;
		}
		/* with the stages time-shared on its rectangle */
		int64_t sram = shared ? map_share_sram(p, i) : s->sram.total;
		if (!map_share_guest(p, i) && sram > m->pe.sram_bytes) {
			diag_add(
				d, file, s->line, s->col,
				"plan: stage '%s' SRAM per PE must be at most "
				"%lld B, got %lld B on %dx%d (weights %lld, "
				"grads %lld, optimizer %lld, activations %lld, "
				"buffers %lld, code %lld%s)",
				s->name, (long long)m->pe.sram_bytes,
				(long long)sram, r->w, r->h,
				(long long)s->sram.weights,
				(long long)s->sram.grads,
				(long long)s->sram.opt_state,
				(long long)s->sram.activations,
				(long long)s->sram.buffers,
				(long long)s->sram.code,
				sram > s->sram.total
					? "; and the stages time-shared on it"
					: "");
			bad++;
		}
		bad += copies_check(p, i, file, d);
		if (p->mode == MODE_STREAMING)
			continue;
		for (int j = 0; pairs && j < i; j++) {
			const struct rect *q = &p->stages[j].r;
			int same = map_share_root(p, i) == map_share_root(p, j);
			if (same && memcmp(r, q, sizeof(*r)) != 0) {
				diag_add(d, file, s->line, s->col,
					 "plan: time-shared stage '%s' must "
					 "have stage '%s''s rectangle x %d y "
					 "%d w %d h %d, got x %d y %d w %d h %d",
					 map_share_guest(p, i) ? s->name
							       : p->stages[j].name,
					 map_share_guest(p, i) ? p->stages[j].name
							       : s->name,
					 q->x, q->y, q->w, q->h, r->x, r->y,
					 r->w, r->h);
				bad++;
			} else if (!same && place_overlap(r, q)) {
				diag_add(d, file, s->line, s->col,
					 "plan: stage '%s' must not overlap "
					 "stage '%s', got x %d y %d w %d h %d "
					 "and x %d y %d w %d h %d",
					 s->name, p->stages[j].name, r->x, r->y,
					 r->w, r->h, q->x, q->y, q->w, q->h);
				bad++;
			}
		}
	}
	if (!bad)
		bad += route_check(p, m, file, d);
	return bad;
}
