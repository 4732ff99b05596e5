/* size.c: the work-proportional bound of a pipelined plan.  See size.h. */
#include "compiler/size.h"

#include <math.h>

#include "compiler/map.h"
#include "compiler/map_share.h"
#include "compiler/plan_memo.h"
#include "cores/pe.h"
#include "ground/mem.h"

/* Arithmetic of p's layers per training sample at the PE's lanes. */
static double arith_pe_cycles(const struct graph *g, const struct machine *m,
			      const struct plan *p)
{
	double fma = (double)pe_fma_lanes(&m->pe, p->prec);
	double add = (double)pe_ew_lanes(&m->pe, p->prec);
	double batch = p->batch > 0 ? (double)p->batch : 1;
	double work = 0;
	for (int i = 0; i < p->n_stages; i++) {
		const struct plan_stage *s = &p->stages[i];
		for (int k = 0; k < s->n_layers; k++) {
			const struct layer_cost *c =
				&g->layers[s->layers[k]].cost;
			for (int q = 0; q < PASS_COUNT; q++) {
				double w = (double)c->mat_flops[q] / 2 / fma +
					   (double)c->ew_flops[q] / add;
				work += q == PASS_UPDATE ? w / batch : w;
			}
		}
	}
	return work;
}

/* The probed extent after v up to max (geometric, every integer at the
 * start, max itself last); past max when v is max. */
static int32_t next_extent(int32_t v, int32_t max)
{
	int32_t n = (int32_t)floor(v * SIZE_PROBE_RATIO);
	if (n <= v)
		n = v + 1;
	return v < max && n > max ? max : n;
}

/* How the bound times and fits a stage: through the mapping, or (when
 * set) the caller's callbacks (plan_build's memo). */
struct floor_src {
	const struct map_ctx *mc, *fit;
	size_bound_cycles_fn cycles;
	size_bound_fits_fn fits;
	const void *ctx;
};

/* Stage si on w x h, when it fits SRAM as the weight-stationary mapping
 * needs it (`fit`: the kernel pick only replaces it by one that fits, as
 * plan_build sizes): its pace lowers the floor *fl and its PE-cycles the
 * work *work. */
static void probe(const struct floor_src *fs, const struct plan *p, int si,
		  int32_t w, int32_t h, double *work, double *fl)
{
	const struct plan_stage *s = &p->stages[si];
	if (fs->fits ? !fs->fits(fs->ctx, si, w, h)
		     : !map_fits(fs->fit, s, w, h))
		return;
	double t = fs->cycles ? fs->cycles(fs->ctx, si, w, h)
			      : (double)map_cycles(fs->mc, s, w, h);
	if (t < *fl)
		*fl = t;
	if (t * w * h < *work)
		*work = t * w * h;
}

/* work(i) and floor(i) of stage si (size.h) over the probed shapes (the
 * geometric grid, which depends on the stage alone, not on where it
 * lies); 0 when none fits. */
static int stage_floor(const struct floor_src *fs, const struct plan *p,
		       int si, double *work, double *fl)
{
	const struct plan_stage *s = &p->stages[si];
	int32_t mw, mh;
	map_max_shape(fs->mc, s, &mw, &mh);
	*work = *fl = INFINITY;
	for (int32_t w = 1; w <= mw; w = next_extent(w, mw))
		for (int32_t h = 1; h <= mh; h = next_extent(h, mh))
			probe(fs, p, si, w, h, work, fl);
	return isfinite(*fl);
}

/* The mapping contexts of plan p's bound. */
static void bound_ctx(const struct graph *g, const struct machine *m,
		      const struct plan *p, const char *kernel,
		      struct map_ctx *mc, struct map_ctx *fit)
{
	*mc = (struct map_ctx){g,	 m, p->prec, p->opt, MODE_PIPELINED,
			       p->batch, 0, kernel,  0,	     p,	 p->job, 0};
	*fit = *mc;
	fit->kernel = NULL;
}

int size_stage_floor(const struct graph *g, const struct machine *m,
		     const struct plan *p, const char *kernel, int si,
		     size_bound_cycles_fn cycles, size_bound_fits_fn fits,
		     const void *ctx, double *work, double *fl)
{
	struct map_ctx mc, fit;
	bound_ctx(g, m, p, kernel, &mc, &fit);
	struct floor_src fs = {&mc, &fit, cycles, fits, ctx};
	return stage_floor(&fs, p, si, work, fl);
}

/* size_bound's answers remembered (plan_memo.h): equal stages (a deep
 * chain's layers) are probed once. */
struct bound_memo {
	const struct graph *g;
	const struct machine *m;
	const struct plan *p;
	const char *kernel;
	struct map_ctx mc;
	struct plan_memo *pm;
	int *sig;
};

static double memo_cycles_cb(const void *ctx, int si, int32_t w, int32_t h)
{
	const struct bound_memo *bm = ctx;
	return plan_memo_cycles(bm->pm, &bm->mc, &bm->p->stages[si],
				bm->sig[si], w, h);
}

static int memo_fits_cb(const void *ctx, int si, int32_t w, int32_t h)
{
	const struct bound_memo *bm = ctx;
	return plan_memo_fits(bm->pm, &bm->mc, &bm->p->stages[si],
			      bm->sig[si], w, h);
}

static int memo_floor_cb(const void *ctx, int si, double *work, double *fl)
{
	const struct bound_memo *bm = ctx;
	int ok;
	if (plan_memo_floor(bm->pm, bm->sig[si], &ok, work, fl))
		return ok;
	ok = size_stage_floor(bm->g, bm->m, bm->p, bm->kernel, si,
			      memo_cycles_cb, memo_fits_cb, bm, work, fl);
	plan_memo_set_floor(bm->pm, bm->sig[si], ok, *work, *fl);
	return ok;
}

void size_bound(const struct graph *g, const struct machine *m,
		const struct plan *p, const char *kernel, struct size_bound *b)
{
	if (p->mode != MODE_PIPELINED) {
		size_bound_cb(g, m, p, kernel, NULL, NULL, b);
		return;
	}
	/* the memo's fits are the weight-stationary mapping's (its
	 * kernel NULL), as bound_ctx's `fit` */
	struct bound_memo bm = {g, m, p, kernel, {0}, plan_memo_new(),
				xcalloc((size_t)p->n_stages + 1, sizeof(int))};
	struct map_ctx fit;
	bound_ctx(g, m, p, kernel, &bm.mc, &fit);
	bm.mc.no_guests = !map_share_any(p);
	plan_memo_sign(bm.pm, &bm.mc, p->n_stages, bm.sig);
	size_bound_cb(g, m, p, kernel, memo_floor_cb, &bm, b);
	free(bm.sig);
	plan_memo_free(bm.pm);
}

void size_bound_cb(const struct graph *g, const struct machine *m,
		   const struct plan *p, const char *kernel,
		   size_bound_floor_fn floor_of, const void *ctx,
		   struct size_bound *b)
{
	*b = (struct size_bound){0, 0, 0, -1, 0, 0};
	if (p->mode != MODE_PIPELINED)
		return;
	double pes = (double)machine_pes(m);
	struct map_ctx mc, fit;
	bound_ctx(g, m, p, kernel, &mc, &fit);
	mc.no_guests = fit.no_guests = !map_share_any(p);
	struct floor_src fs = {&mc, &fit, NULL, NULL, NULL};
	for (int i = 0; i < p->n_stages; i++) {
		double w, f;
		if (map_share_guest(p, i))
			continue;
		if (!(floor_of ? floor_of(ctx, i, &w, &f)
			       : size_stage_floor(g, m, p, kernel, i, NULL,
						  NULL, NULL, &w, &f)))
			w = f = INFINITY;
		/* the stage's own rectangle among the shapes (the grid of
		 * probes may miss it, and a floor above the stage's own pace
		 * is no floor: nt3's conv2 paced 23272 cycles on its 724 x
		 * 898, the probes' best was 23276) */
		const struct rect *r = &p->stages[i].r;
		if (r->w > 0 && r->h > 0)
			probe(&fs, p, i, r->w, r->h, &w, &f);
		if (!isfinite(f))
			continue;
		b->work_pe_cycles += w;
		if (f > b->floor_cycles) {
			b->floor_cycles = f;
			b->floor_stage = i;
		}
	}
	b->spread_cycles = b->work_pe_cycles / pes;
	b->bound_cycles = b->spread_cycles > b->floor_cycles ? b->spread_cycles
							     : b->floor_cycles;
	b->arith_cycles = arith_pe_cycles(g, m, p) / pes;
}

int size_rule_applies(const struct plan *p)
{
	double grid = (double)p->grid_w * (double)p->grid_h;
	return p->mode == MODE_PIPELINED &&
	       (double)p->pes_used <= (1 - SIZE_IDLE_SHARE) * grid;
}
