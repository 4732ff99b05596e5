/*
 * plan_build.c: from a graph and a machine to a plan: the strategy table,
 * sizing of the stages, the choice of execution mode, placement by a
 * strategy, routing and the final check.  See place.h.
 */
#include "compiler/place.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/cost.h"
#include "compiler/kern.h"
#include "compiler/map.h"
#include "compiler/map_share.h"
#include "compiler/microbatch.h"
#include "compiler/plan_estimate.h"
#include "compiler/plan_memo.h"
#include "compiler/route.h"
#include "compiler/size.h"
#include "fabric/timing.h"
#include "ground/util.h"

/* ---- strategy table (generated list, see Makefile) ----------------------- */

#define STRATEGY(n) extern const struct place_strategy place_strategy_##n;
#include "strategies.h"
#undef STRATEGY

static const struct place_strategy *const strategy_table[] = {
#define STRATEGY(n) &place_strategy_##n,
#include "strategies.h"
#undef STRATEGY
};

const struct place_strategy *const *place_strategies(int *n)
{
	*n = (int)ARRAY_SIZE(strategy_table);
	return strategy_table;
}

const struct place_strategy *place_find_strategy(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(strategy_table); i++)
		if (name && strcmp(strategy_table[i]->name, name) == 0)
			return strategy_table[i];
	return NULL;
}

/* ---- plan_build ------------------------------------------------------------
 */

void plan_opts_init(struct plan_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = MODE_AUTO;
	o->prec = PREC_MIXED;
	o->opt = OPT_MOMENTUM;
	o->seed = 1;
	o->kernel = "auto";
	o->grow = 1;
	o->copies = 1;
}

/* One plan_build: its inputs, and what each step leaves for the next. */
struct build_ctx {
	struct map_ctx mc;
	struct plan_stage *stages;
	const struct graph *g;
	const struct machine *m;
	const struct plan_opts *o;
	const struct place_strategy *strat;
	struct plan *p;
	struct diag *d;
	struct map_edge *edges;
	int n_edges;
	int n;			 /* stages */
	struct place_item *items; /* one per stage (a time-shared stage's
				   * unused: it runs on its host's) */
	int *item_stage;	 /* placement item -> stage (place_items) */
	int *stage_item;	 /* and back (a guest: its host's item) */
	int64_t grid, budget;	 /* PEs: all, and the fill's share */
	double fill;
	int64_t sum_min; /* minimum PEs, all stages */
	char state[32];	 /* training state, formatted */
	int pipe_ok, pipe_asked; /* min_sizes' answer, and whether asked */
	char why_not[256]; /* why not pipelined, when not */
	/* stage answers by signature (the kernel pick evaluates every
	 * algorithm for a shape; the annealer, the sizing and every other
	 * plan of this plan_build ask for the same shapes again and again) */
	struct plan_memo *pm;
	int *sig; /* per stage, for the current mode and sharing */
	/* the objective's inference interval replayed (the engine's
	 * schedule, as plan_summarise's), not the closed form's: while
	 * sample copies are offered to an inference plan (place_items) */
	int replay_infer;
};

/* Stage si's cycles on w x h, through the memo. */
static double memo_cycles(const struct build_ctx *b, int si, int32_t w,
			  int32_t h)
{
	return plan_memo_cycles(b->pm, &b->mc, &b->stages[si], b->sig[si], w,
				h);
}

static double cb_cycles(const void *ctx, int i, int32_t w, int32_t h)
{
	const struct build_ctx *b = ctx;
	return memo_cycles(b, b->item_stage[i], w, h);
}

static int cb_fits(const void *ctx, int i, int32_t w, int32_t h)
{
	const struct build_ctx *b = ctx;
	int si = b->item_stage[i];
	/* SRAM as the weight-stationary mapping needs it: the pick only
	 * ever replaces it by an algorithm that fits */
	return plan_memo_fits(b->pm, &b->mc, &b->stages[si], b->sig[si], w, h);
}

/* The objective of estimate e of plan p for the job p is compiled for:
 * the training step, or the inference per prediction of a stream of
 * PLAN_INFER_STREAM samples as the engine runs it (compiler/plan.h): the
 * first sample's forward along the longest path, then the others at the
 * forward interval, over their count (weight streaming: the forward
 * chain over the samples `run` streams, per sample, e->infer_cycles). */
static double est_cost(const struct plan *p, const struct plan_est *e)
{
	if (p->job != PLAN_JOB_INFER)
		return e->step_cycles;
	if (p->mode == MODE_STREAMING)
		return e->infer_cycles;
	double n = PLAN_INFER_STREAM;
	return (e->fill + (n - 1) * e->infer_cycles) / n;
}

double plan_cost(const struct plan *p, const struct machine *m)
{
	if (p->job != PLAN_JOB_INFER)
		return p->est_step_cycles;
	struct plan_est e;
	plan_estimate_step(p, m, &e);
	/* pipelined, the interval the summary replayed (the engine's
	 * schedule: plan_summarise), not the closed form's */
	if (p->mode == MODE_PIPELINED && p->est_infer_cycles > 0)
		e.infer_cycles = p->est_infer_cycles;
	return est_cost(p, &e);
}

/* What the objective's figures are, for the notes. */
static const char *cost_unit(const struct plan_opts *o)
{
	return o->job == PLAN_JOB_INFER ? "ns/prediction" : "us/step";
}

/* Cycles per unit of cost_unit: us for a step, ns for a prediction. */
static double cost_cycles(const struct plan_opts *o, const struct machine *m)
{
	return m->clock_ghz * (o->job == PLAN_JOB_INFER ? 1 : 1e3);
}

/* The objective for a layout (place_problem.objective): the stages
 * mapped on rects and routed in a scratch plan, then estimated. */
static double cb_objective(const void *ctx, const struct rect *rects)
{
	const struct build_ctx *b = ctx;
	struct plan t = *b->p;
	t.stages = xmalloc(sizeof(*t.stages) * (size_t)b->n);
	memcpy(t.stages, b->p->stages, sizeof(*t.stages) * (size_t)b->n);
	t.routes = NULL;
	t.n_routes = 0;
	for (int i = 0; i < b->n; i++) {
		t.stages[i].r = rects[b->stage_item[i]];
		map_kernel(&b->mc, &t.stages[i]);
	}
	struct diag quiet;
	diag_init(&quiet);
	double v = INFINITY;
	if (!route_build(&t, b->m, b->edges, b->n_edges, &quiet) &&
	    !route_add_sync(&t, b->g, b->m, &quiet)) {
		struct plan_est e;
		if (b->replay_infer && t.job == PLAN_JOB_INFER)
			plan_estimate(&t, b->m, &e);
		else
			plan_estimate_step(&t, b->m, &e);
		v = est_cost(&t, &e);
	}
	diag_release(&quiet);
	for (int i = 0; i < t.n_routes; i++)
		free(t.routes[i].points);
	free(t.routes);
	free(t.stages);
	return v;
}

/* Smallest PE count whose stage time is within 10% of the best found at
 * the largest useful size: beyond it PEs buy nothing. */
static int64_t useful_pes(const struct build_ctx *b, int i, int32_t mw,
			  int32_t mh, int64_t min_pes)
{
	int64_t maxp = (int64_t)mw * mh;
	double best = INFINITY;
	int64_t bestp = maxp;
	struct {
		int64_t p;
		double t;
	} probe[64];
	int np = 0;
	for (int64_t p = maxp; p >= min_pes && np < 64; p = p * 2 / 3) {
		int32_t w = (int32_t)sqrt((double)p * mw / mh);
		if (w < 1)
			w = 1;
		if (w > mw)
			w = mw;
		int64_t h = (p + w - 1) / w;
		if (h > mh)
			h = mh;
		double t = memo_cycles(b, i, w, (int32_t)h);
		probe[np].p = (int64_t)w * h;
		probe[np++].t = t;
		if (t < best)
			best = t;
		if (p < 2)
			break;
	}
	for (int k = 0; k < np; k++)
		if (probe[k].t <= 1.1 * best && probe[k].p < bestp)
			bestp = probe[k].p;
	return bestp > min_pes ? bestp : min_pes;
}

/* Stage time of item i on about `pes` PEs of its preferred aspect. */
static double size_cycles(const struct build_ctx *b,
			  const struct place_item *it, int i, int64_t pes)
{
	int32_t w = (int32_t)llround(sqrt((double)pes * it->aspect));
	if (w < 1)
		w = 1;
	if (w > it->max_w)
		w = it->max_w;
	if (w > pes)
		w = (int32_t)pes;
	int64_t h = (pes + w - 1) / w;
	if (h > it->max_h)
		h = it->max_h;
	/* the sizing's bisections ask for the same shapes again and again */
	return memo_cycles(b, i, w, (int32_t)h);
}

/* Fewest PEs (>= min, <= cap) on which item i runs within t cycles. */
static int64_t pes_for(const struct build_ctx *b, const struct place_item *it,
		       int i, int64_t cap, double t)
{
	int64_t lo = it->min_pes, hi = cap;
	if (size_cycles(b, it, i, lo) <= t)
		return lo;
	if (size_cycles(b, it, i, hi) > t)
		return hi;
	while (hi - lo > 1 && hi - lo > lo / 64) {
		int64_t mid = lo + (hi - lo) / 2;
		if (size_cycles(b, it, i, mid) <= t)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

static void set_mode_ctx(struct build_ctx *b, struct plan *p,
			 enum exec_mode mode, const struct map_edge *edges,
			 int n_edges)
{
	b->mc.mode = mode;
	p->mode = mode;
	map_in_flight(p, edges, n_edges, mode);
	b->mc.stream_act_bytes = map_stream_act_bytes(&b->mc, p);
	plan_memo_sign(b->pm, &b->mc, b->n, b->sig);
}

static void fmt_bytes(char *buf, size_t n, double v)
{
	const char *u[] = {"B", "KB", "MB", "GB", "TB"};
	int k = 0;
	while (v >= 1024 && k < 4) {
		v /= 1024;
		k++;
	}
	snprintf(buf, n, k ? "%.1f %s" : "%.0f %s", v, u[k]);
}

/* The strategy named by the options, or NULL with an error naming all. */
static const struct place_strategy *find_strategy(const struct plan_opts *o,
						  struct diag *d)
{
	const char *sname = o->strategy ? o->strategy : PLACE_DEFAULT_STRATEGY;
	const struct place_strategy *strat = place_find_strategy(sname);
	if (strat)
		return strat;
	char names[256] = "";
	int n;
	const struct place_strategy *const *all = place_strategies(&n);
	for (int i = 0; i < n; i++) {
		strncat(names, i ? ", " : "", sizeof(names) - strlen(names) - 1);
		strncat(names, all[i]->name, sizeof(names) - strlen(names) - 1);
	}
	diag_add(d, NULL, 0, 0,
		 "place: 'strategy' must be one of " PLACE_AUTO ", %s, got "
		 "'%s'",
		 names, sname);
	return NULL;
}

/* What the stages' minimum PEs hold, for the mode's reasons: a training
 * plan its state and the activations in flight, an inference plan its
 * weights alone (map.c kernel_sram). */
static const char *held_what(const struct build_ctx *b, const struct plan *p,
			     char *out, size_t n)
{
	if (b->mc.job == PLAN_JOB_INFER)
		snprintf(out, n, "inference weights %s", b->state);
	else
		snprintf(out, n,
			 "training state %s and activations of up to %lld "
			 "sample%s in flight",
			 b->state, (long long)p->samples_in_flight,
			 p->samples_in_flight == 1 ? "" : "s");
	return out;
}

/* Minimum PEs per stage; whether they fit pipelined, and why not. */
static void min_sizes(struct build_ctx *b)
{
	struct plan *p = b->p;
	const struct machine *m = b->m;
	int nowhere = -1, bigi = 0;
	int64_t biggest = 0, state = 0;
	b->sum_min = 0;
	for (int i = 0; i < b->n; i++) {
		int32_t w, h;
		int64_t mp = plan_memo_min_pes(b->pm, &b->mc, &p->stages[i],
					       b->sig[i], &w, &h);
		p->stages[i].min_pes = mp;
		if (!mp && nowhere < 0)
			nowhere = i;
		if (map_share_guest(p, i))
			mp = 0; /* on its host's rectangle, counted there */
		b->items[i].min_pes = mp;
		b->sum_min += mp;
		if (mp > biggest) {
			biggest = mp;
			bigi = i;
		}
	}
	for (int i = 0; i < b->n; i++)
		state += map_state_bytes(&b->mc, &p->stages[i]);
	fmt_bytes(b->state, sizeof b->state, (double)state);
	b->pipe_ok = nowhere < 0 && b->sum_min <= b->budget;
	b->pipe_asked = 1;
	b->why_not[0] = 0;
	if (nowhere >= 0) {
		struct plan_stage tmp = p->stages[nowhere];
		tmp.r = (struct rect){0, 0, (int32_t)m->width,
				      (int32_t)m->height};
		map_kernel(&b->mc, &tmp);
		char need[32];
		fmt_bytes(need, sizeof need, (double)tmp.sram.total);
		snprintf(b->why_not, sizeof b->why_not,
			 "stage '%s' needs %s per PE even on the whole "
			 "%lldx%lld "
			 "grid (SRAM %lld B)",
			 p->stages[nowhere].name, need, (long long)m->width,
			 (long long)m->height, (long long)m->pe.sram_bytes);
	} else if (!b->pipe_ok) {
		char what[160];
		snprintf(b->why_not, sizeof b->why_not,
			 "%d stage%s need%s at least %lld PEs (%s), "
			 "more than %.0f%% of the %lld PEs; largest '%s' needs "
			 "%lld",
			 b->n, b->n == 1 ? "" : "s", b->n == 1 ? "s" : "",
			 (long long)b->sum_min, held_what(b, p, what, sizeof what),
			 b->fill * 100,
			 (long long)b->grid, p->stages[bigi].name,
			 (long long)biggest);
	}
}

/* Can it run pipelined?  The mode to use, or -1 with an error when the
 * forced mode does not fit. */
static int choose_mode(struct build_ctx *b)
{
	if (b->o->wafers > 1) {
		if (b->o->mode == MODE_PIPELINED) {
			diag_add(b->d, NULL, 0, 0,
				 "place: %lld wafers train data-parallel only "
				 "in weight streaming, got '--mode pipelined'",
				 (long long)b->o->wafers);
			return -1;
		}
		snprintf(b->why_not, sizeof b->why_not, "%lld wafers train "
			 "data-parallel only in weight streaming",
			 (long long)b->o->wafers);
		return MODE_STREAMING;
	}
	/* forced streaming: why pipelining would not do is asked only if
	 * streaming does not fit either (pipelined_why_not) */
	if (b->o->mode == MODE_STREAMING)
		return MODE_STREAMING;
	set_mode_ctx(b, b->p, MODE_PIPELINED, b->edges, b->n_edges);
	min_sizes(b);
	if (b->o->mode == MODE_PIPELINED && !b->pipe_ok) {
		diag_add(b->d, NULL, 0, 0,
			 "place: pipelined mode does not fit '%s' on '%s': %s",
			 b->p->network, b->m->name, b->why_not);
		return -1;
	}
	return b->o->mode == MODE_STREAMING || !b->pipe_ok ? MODE_STREAMING
							   : MODE_PIPELINED;
}

/* The sharing the options ask for, on p's stages (map_share.h). */
static void share_apply(const struct graph *g, const struct plan_opts *o,
			struct plan *p)
{
	unsigned char *all = NULL;
	const unsigned char *t = o->share_time;
	if (!t && o->sharing == PLAN_SHARING_TIME) {
		all = xcalloc((size_t)p->n_stages + 1, 1);
		memset(all, 1, (size_t)p->n_stages);
		t = all;
	}
	map_share_set(g, p, t);
	free(all);
}

/* min_sizes as choose_mode would have asked it, for a plan already
 * streaming (its stages shared as the options say again, on a copy). */
static void pipelined_why_not(struct build_ctx *b)
{
	struct plan t = *b->p;
	t.stages = xmalloc(sizeof(*t.stages) * (size_t)b->n);
	memcpy(t.stages, b->p->stages, sizeof(*t.stages) * (size_t)b->n);
	share_apply(b->g, b->o, &t);
	struct build_ctx c = *b;
	c.p = &t;
	c.stages = t.stages;
	c.mc.plan = &t;
	c.mc.no_guests = !map_share_any(&t);
	c.items = xcalloc((size_t)b->n + 1, sizeof(*c.items));
	c.sig = xcalloc((size_t)b->n + 1, sizeof(int));
	set_mode_ctx(&c, &t, MODE_PIPELINED, b->edges, b->n_edges);
	min_sizes(&c);
	b->pipe_ok = c.pipe_ok;
	memcpy(b->why_not, c.why_not, sizeof b->why_not);
	free(c.sig);
	free(c.items);
	free(t.stages);
}

/* Streaming: every stage on the whole wafer, in turn. */
static int stream_items(struct build_ctx *b)
{
	struct plan *p = b->p;
	const struct machine *m = b->m;
	set_mode_ctx(b, p, MODE_STREAMING, b->edges, b->n_edges);
	map_share_set(b->g, p, NULL); /* every stage has the wafer in turn */
	b->mc.no_guests = 1;
	plan_memo_sign(b->pm, &b->mc, b->n, b->sig);
	for (int i = 0; i < b->n; i++) {
		p->stages[i].r = (struct rect){0, 0, (int32_t)m->width,
					       (int32_t)m->height};
		p->stages[i].min_pes = b->grid;
	}
	int bad = mb_choose(&b->mc, p, b->o->micro_batch, b->o->recompute);
	if (bad) {
		struct plan_stage *s = &p->stages[bad - 1];
		if (!b->pipe_asked && b->o->wafers <= 1)
			pipelined_why_not(b);
		char ab[32];
		fmt_bytes(ab, sizeof ab, (double)b->mc.stream_act_bytes);
		diag_add(b->d, NULL, 0, 0,
			 "place: streaming mode does not fit "
			 "'%s' on '%s': stage '%s' needs %lld B "
			 "per PE (activations of a micro-batch of "
			 "%lld%s: %s over the wafer), SRAM is "
			 "%lld B%s%s",
			 p->network, m->name, s->name,
			 (long long)s->sram.total, (long long)p->micro_batch,
			 p->recompute ? ", recomputed from checkpoints" : "",
			 ab, (long long)m->pe.sram_bytes,
			 b->pipe_ok ? "" : "; pipelined: ", b->why_not);
		return WS_EINPUT;
	}
	if (b->o->mode == MODE_STREAMING)
		snprintf(p->mode_reason, sizeof p->mode_reason,
			 "streaming: forced by --mode streaming");
	else
		snprintf(p->mode_reason, sizeof p->mode_reason,
			 "streaming: %.200s", b->why_not);
	return 0;
}

/* Pipelined sizing: PEs in proportion to work, within min and useful.
 * Stage times match: the smallest pace T whose PE counts (each stage's
 * fewest PEs reaching T, within its minimum and useful maximum) fit the
 * budget.  A stage with R sample copies (sized again once they are
 * known: copies_resize) is R of its copies side by side: R times as
 * wide, at least R times one copy's fewest PEs (each holds the whole
 * stage state). */
static void size_items(struct build_ctx *b)
{
	int n = b->n;
	struct place_item *items = b->items;
	int64_t *cap = xcalloc((size_t)n, sizeof(int64_t));
	for (int i = 0; i < n; i++) {
		struct plan_stage *s = &b->p->stages[i];
		int32_t mw, mh, R = plan_copies(s);
		map_max_shape(&b->mc, s, &mw, &mh);
		if (R > 1) {
			mw = (int64_t)mw * R > (int64_t)b->m->width
				     ? (int32_t)b->m->width
				     : mw * R;
			items[i].min_pes = s->min_pes * R;
		}
		items[i].max_w = mw;
		items[i].max_h = mh;
		if ((int64_t)mw * mh < items[i].min_pes) {
			/* fits only spread past its useful shape */
			items[i].max_w = (int32_t)b->m->width;
			items[i].max_h = (int32_t)b->m->height;
		}
		items[i].aspect = map_aspect(&b->mc, s) * R;
		items[i].work = memo_cycles(b, i, 1, 1);
		cap[i] = useful_pes(b, i, mw, mh, items[i].min_pes);
	}
	double tlo = 0, thi = 0;
	for (int i = 0; i < n; i++) {
		if (map_share_guest(b->p, i))
			continue; /* sized with its host */
		double t = size_cycles(b, &items[i], i, items[i].min_pes);
		if (t > thi)
			thi = t;
	}
	for (int it = 0; it < 40; it++) {
		double mid = (tlo + thi) / 2;
		int64_t sum = 0;
		for (int i = 0; i < n; i++)
			if (!map_share_guest(b->p, i))
				sum += pes_for(b, &items[i], i, cap[i], mid);
		if (sum <= b->budget)
			thi = mid;
		else
			tlo = mid;
	}
	for (int i = 0; i < n; i++)
		items[i].target_pes = map_share_guest(b->p, i)
					      ? 0
					      : pes_for(b, &items[i], i,
							cap[i], thi);
	free(cap);
}

/* Host input per sample at the I/O bandwidth, as the engine charges it
 * (every route from the host). */
static double io_cycles(const struct build_ctx *b)
{
	int64_t bytes = 0;
	for (int e = 0; e < b->n_edges; e++)
		if (b->edges[e].src < 0)
			bytes += fabric_wavelets(&b->m->fabric,
						 b->edges[e].bytes) *
				 b->edges[e].n_dst *
				 (b->m->fabric.wavelet_bits / 8);
	double bpc = b->m->io.bandwidth_gbytes_s / b->m->clock_ghz;
	return bpc > 0 ? (double)bytes / bpc : 0;
}

/* The shared-weight syncs between stages, in wavelets, for the strategy. */
static int sync_items(const struct build_ctx *b, struct place_sync **out)
{
	struct route_sync *rs;
	int n = route_sync_pairs(b->p, b->g, &rs);
	*out = n ? xcalloc((size_t)n, sizeof(**out)) : NULL;
	for (int k = 0; k < n; k++)
		(*out)[k] = (struct place_sync){
			b->stage_item[rs[k].replica], b->stage_item[rs[k].owner],
			fabric_wavelets(&b->m->fabric, rs[k].grad_bytes),
			fabric_wavelets(&b->m->fabric, rs[k].weight_bytes)};
	free(rs);
	return n;
}

/* The placement items: every stage but the time-shared ones (they run
 * on their host's rectangle, map_share.h); item_stage and stage_item map
 * between the two.  Returns the item count. */
static int items_of(struct build_ctx *b, struct place_item **items)
{
	int n = 0;
	*items = xcalloc((size_t)b->n + 1, sizeof(**items));
	b->item_stage = xcalloc((size_t)b->n + 1, sizeof(int));
	b->stage_item = xcalloc((size_t)b->n + 1, sizeof(int));
	for (int i = 0; i < b->n; i++) {
		if (map_share_guest(b->p, i))
			continue;
		b->item_stage[n] = i;
		b->stage_item[i] = n;
		(*items)[n++] = b->items[i];
	}
	for (int i = 0; i < b->n; i++)
		if (map_share_guest(b->p, i))
			b->stage_item[i] = b->stage_item[b->p->stages[i].host];
	return n;
}

/* The placement's edges, between items (none from an item to itself:
 * a host feeding its guest), edge_root as place.h says. */
static int edges_of(const struct build_ctx *b, struct place_edge **out,
		    int **root)
{
	int npe = 0;
	for (int e = 0; e < b->n_edges; e++)
		npe += b->edges[e].n_dst;
	struct place_edge *pe_edges = xcalloc((size_t)npe + 1, sizeof(*pe_edges));
	int *edge_root = xcalloc((size_t)npe + 1, sizeof(int));
	npe = 0;
	for (int e = 0; e < b->n_edges; e++) {
		const struct map_edge *me = &b->edges[e];
		int first = npe;
		int src = me->src < 0 ? -1 : b->stage_item[me->src];
		for (int k = 0; k < me->n_dst; k++) {
			int dst = b->stage_item[me->dst[k]];
			if (dst == src)
				continue;
			edge_root[npe] = first;
			pe_edges[npe++] = (struct place_edge){
				src, dst, me->bytes * (1 + me->grad),
				fabric_wavelets(&b->m->fabric, me->bytes)};
		}
	}
	*out = pe_edges;
	*root = edge_root;
	return npe;
}

/* Positions from the strategy, checked; the stages mapped on them. */
/* size_copies' set: every item's copies to its stage, and the memo's
 * signatures again (the copies are part of a stage's). */
static void cb_set_copies(const void *ctx, const int *copies)
{
	const struct build_ctx *b = ctx;
	for (int i = 0; i < b->n; i++)
		if (!map_share_guest(b->p, i))
			b->stages[i].copies =
				copies[b->stage_item[i]] > 1
					? copies[b->stage_item[i]] : 0;
	plan_memo_sign(b->pm, &b->mc, b->n, b->sig);
}

/* Sample copies for the slowest stages of a pipelined plan, where the
 * objective falls (size.h size_copies); none on a time-shared rectangle.
 * A copied item may grow R times as wide.  Returns the offers kept. */
static int offer_copies(struct build_ctx *b, const struct place_problem *pp,
			const struct rect *rects, struct place_item *items)
{
	int *copies = xcalloc((size_t)pp->n_items + 1, sizeof(int));
	for (int i = 0; i < pp->n_items; i++)
		copies[i] = 1;
	for (int i = 0; i < b->n; i++) {
		int it = b->stage_item[i];
		if (map_share_guest(b->p, i))
			copies[it] = 0;
		else if (copies[it] && b->stages[i].copies > 1)
			copies[it] = b->stages[i].copies;
	}
	int kept = size_copies(pp, rects, copies, cb_set_copies);
	if (kept)
		for (int i = 0; i < pp->n_items; i++)
			if (copies[i] > 1)
				items[i].max_w = (int32_t)(
					(int64_t)items[i].max_w * copies[i] >
							pp->grid_w
						? pp->grid_w
						: items[i].max_w * copies[i]);
	free(copies);
	return kept;
}

/* The bound's stage time and fit (size.h size_bound_cb): the memo's. */
static double cb_stage_cycles(const void *ctx, int si, int32_t w, int32_t h)
{
	return memo_cycles(ctx, si, w, h);
}

static int cb_stage_fits(const void *ctx, int si, int32_t w, int32_t h)
{
	const struct build_ctx *b = ctx;
	return plan_memo_fits(b->pm, &b->mc, &b->stages[si], b->sig[si], w, h);
}

static const char *bound_kernel(const struct build_ctx *b)
{
	return b->o->kernel ? b->o->kernel : "auto";
}

/* The bound's stage work and floor (size.h size_bound_cb), remembered
 * per stage signature. */
static int cb_stage_floor(const void *ctx, int si, double *work, double *fl)
{
	const struct build_ctx *b = ctx;
	int ok;
	if (plan_memo_floor(b->pm, b->sig[si], &ok, work, fl))
		return ok;
	ok = size_stage_floor(b->g, b->m, b->p, bound_kernel(b), si,
			      cb_stage_cycles, cb_stage_fits, b, work, fl);
	plan_memo_set_floor(b->pm, b->sig[si], ok, *work, *fl);
	return ok;
}

/* Does the layout `rects` (the stages' copies as set) break issue 14's
 * sizing rule (size.h: pace above SIZE_BOUND_FACTOR x the bound with at
 * least SIZE_IDLE_SHARE of the PEs idle)?  Maps the plan's stages. */
static int rule_broken(struct build_ctx *b, const struct rect *rects)
{
	struct plan *p = b->p;
	for (int i = 0; i < b->n; i++) {
		p->stages[i].r = rects[b->stage_item[i]];
		map_kernel(&b->mc, &p->stages[i]);
	}
	plan_tally(p, NULL);
	if (!size_rule_applies(p))
		return 0;
	struct size_bound bd;
	size_bound_cb(b->g, b->m, p, bound_kernel(b), cb_stage_floor, b, &bd);
	return (double)p->bottleneck_cycles >
	       SIZE_BOUND_FACTOR * bd.bound_cycles;
}

/* The stages sized (size_items) and placed by the strategy again, their
 * copies as set, then grown, into alt: 0 when it placed.  The items
 * (pp->items, n of them) are the new sizes; the strategy's note in
 * note. */
static int copies_resize(struct build_ctx *b, const struct place_problem *pp,
			 struct place_item *items, struct rect *alt,
			 char *note)
{
	size_items(b);
	for (int k = 0; k < pp->n_items; k++)
		items[k] = b->items[b->item_stage[k]];
	struct diag quiet;
	diag_init(&quiet);
	int rc = b->strat->fn(pp, alt, note, &quiet);
	diag_release(&quiet);
	if (rc || place_check(pp, alt, NULL))
		return 1;
	pp->grow(pp, alt);
	return 0;
}

/* Sample copies lower the bound (a copied stage's floor falls) below
 * half the pace where the strategy sized the stages without them: a
 * stage that sets the pace (one whose copies the objective refused)
 * keeps the PEs it had, where the copied stages, now faster, hold more
 * than their share.  When the copies break the sizing rule the plan met
 * without them, the stages are sized and placed again with the copies
 * known (copies_resize), and that layout kept when it meets the rule and
 * the objective falls; else the copies are dropped (and the layout
 * before them, `pre`, kept), so the rule's exceptions may only shrink
 * (tests/unit/size_exceptions.txt). */
static void copies_keep_rule(struct build_ctx *b,
			     const struct place_problem *pp,
			     struct place_item *items, struct rect *rects,
			     const struct rect *pre, int n)
{
	if (!rule_broken(b, rects))
		return;
	int *none = xcalloc((size_t)n + 1, sizeof(int));
	int32_t *had = xcalloc((size_t)b->n + 1, sizeof(int32_t));
	struct place_item *was = xmalloc(sizeof(*was) * (size_t)n);
	struct place_item *was_b = xmalloc(sizeof(*was_b) * (size_t)b->n);
	struct rect *alt = xcalloc((size_t)n, sizeof(*alt));
	char note[sizeof b->p->strategy_note];
	memcpy(was, items, sizeof(*was) * (size_t)n);
	memcpy(was_b, b->items, sizeof(*was_b) * (size_t)b->n);
	for (int i = 0; i < b->n; i++)
		had[i] = b->stages[i].copies;
	double v_copied = pp->objective(pp->ctx, rects);
	int resized = !copies_resize(b, pp, items, alt, note) &&
		      !rule_broken(b, alt);
	double v_alt = resized ? pp->objective(pp->ctx, alt) : INFINITY;
	cb_set_copies(b, none);
	int pre_ok = !rule_broken(b, pre);
	/* the faster of the layouts that meet the rule; when neither that
	 * nor `pre` does, the copies' faster step */
	if (resized && v_alt < (pre_ok ? pp->objective(pp->ctx, pre)
				       : v_copied)) {
		for (int i = 0; i < b->n; i++)
			b->stages[i].copies = had[i];
		plan_memo_sign(b->pm, &b->mc, b->n, b->sig);
		memcpy(rects, alt, sizeof(*rects) * (size_t)n);
		memcpy(b->p->strategy_note, note, sizeof note);
	} else {
		/* the sizes the layouts kept were made with */
		memcpy(items, was, sizeof(*was) * (size_t)n);
		memcpy(b->items, was_b, sizeof(*was_b) * (size_t)b->n);
		if (pre_ok) {
			memcpy(rects, pre, sizeof(*rects) * (size_t)n);
		} else { /* broken either way: the copies' faster step */
			for (int i = 0; i < b->n; i++)
				b->stages[i].copies = had[i];
			plan_memo_sign(b->pm, &b->mc, b->n, b->sig);
		}
	}
	free(alt);
	free(was_b);
	free(was);
	free(had);
	free(none);
}

/* An inference plan's copies, kept (with the layout grown after them)
 * only when its objective, replayed, is below the layout before them,
 * `pre`, without copies. */
static void copies_keep_faster(struct build_ctx *b,
			       const struct place_problem *pp,
			       struct rect *rects, const struct rect *pre,
			       int n)
{
	double v = pp->objective(pp->ctx, rects);
	int *none = xcalloc((size_t)n + 1, sizeof(int));
	int32_t *had = xcalloc((size_t)b->n + 1, sizeof(int32_t));
	for (int i = 0; i < b->n; i++)
		had[i] = b->stages[i].copies;
	cb_set_copies(b, none);
	if (pp->objective(pp->ctx, pre) <= v) {
		memcpy(rects, pre, sizeof(*rects) * (size_t)n);
	} else {
		for (int i = 0; i < b->n; i++)
			b->stages[i].copies = had[i];
		plan_memo_sign(b->pm, &b->mc, b->n, b->sig);
	}
	free(had);
	free(none);
}

static int place_items(struct build_ctx *b)
{
	struct plan *p = b->p;
	const struct machine *m = b->m;
	struct place_item *items;
	int n = items_of(b, &items);
	struct place_edge *pe_edges;
	int *edge_root;
	int npe = edges_of(b, &pe_edges, &edge_root);
	struct place_problem pp = {(int32_t)m->width,
				   (int32_t)m->height,
				   m->io.edges,
				   n,
				   items,
				   npe,
				   pe_edges,
				   b->o->seed,
				   b->o->time_budget_s,
				   cb_cycles,
				   cb_fits,
				   b,
				   edge_root,
				   strategy_table,
				   (int)ARRAY_SIZE(strategy_table),
				   p->batch,
				   io_cycles(b),
				   0,
				   NULL,
				   NULL,
				   NULL};
	struct place_sync *ps = NULL;
	pp.n_syncs = sync_items(b, &ps);
	pp.syncs = ps;
	pp.objective = cb_objective;
	pp.grow = b->o->grow ? size_grow : NULL;
	struct rect *rects = xcalloc((size_t)n, sizeof(*rects));
	int rc = b->strat->fn(&pp, rects, p->strategy_note, b->d);
	/* what the sizing's 90% and the strategy's packing left idle goes
	 * to the slowest stage while that speeds it (size.h), if asked;
	 * then sample copies offered to the slowest, kept where the
	 * objective falls, and the idle PEs offered again (a grown layout
	 * grows no more: anneal's starts, grown, stay its strategies'
	 * plans) */
	if (!rc && pp.grow && !place_check(&pp, rects, NULL)) {
		pp.grow(&pp, rects);
		struct rect *pre = xmalloc(sizeof(*rects) * (size_t)n);
		memcpy(pre, rects, sizeof(*rects) * (size_t)n);
		/* an inference plan's too: its objective is a long
		 * stream's time per prediction, which copies of the
		 * slowest stage shorten as they shorten a step; the sizing
		 * rule is a training plan's (size.h) */
		b->replay_infer = b->o->job == PLAN_JOB_INFER;
		if (b->o->copies && offer_copies(b, &pp, rects, items)) {
			pp.grow(&pp, rects);
			offer_copies(b, &pp, rects, items);
			if (b->o->job != PLAN_JOB_INFER)
				copies_keep_rule(b, &pp, items, rects, pre,
						 n);
			else
				copies_keep_faster(b, &pp, rects, pre, n);
		}
		b->replay_infer = 0;
		free(pre);
	}
	free(ps);
	if (!rc && place_check(&pp, rects, b->d))
		rc = WS_EINPUT;
	if (rc) {
		diag_add(b->d, NULL, 0, 0,
			 "place: strategy '%s' could not place '%s' "
			 "pipelined on '%s' (minimum %lld PEs of %lld)",
			 b->strat->name, p->network, m->name,
			 (long long)b->sum_min, (long long)b->grid);
	} else {
		char what[160];
		for (int i = 0; i < b->n; i++) {
			p->stages[i].r = rects[b->stage_item[i]];
			map_kernel(&b->mc, &p->stages[i]);
		}
		snprintf(p->mode_reason, sizeof p->mode_reason,
			 "pipelined: %s%d stage%s need%s at least %lld PEs "
			 "(%.2f%% of %lld) for %s",
			 b->o->mode == MODE_PIPELINED ? "forced; " : "", b->n,
			 b->n == 1 ? "" : "s", b->n == 1 ? "s" : "",
			 (long long)b->sum_min,
			 100.0 * (double)b->sum_min / (double)b->grid,
			 (long long)b->grid, held_what(b, p, what, sizeof what));
	}
	free(rects);
	free(pe_edges);
	free(edge_root);
	free(items);
	free(b->item_stage);
	free(b->stage_item);
	b->item_stage = b->stage_item = NULL;
	return rc;
}

/* Routes and sync routes, the summary, and the hand-edit check. */
static int route_and_check(struct build_ctx *b)
{
	struct plan *p = b->p;
	int rc = route_build(p, b->m, b->edges, b->n_edges, b->d);
	if (!rc)
		rc = route_add_sync(p, b->g, b->m, b->d);
	if (rc)
		return rc;
	plan_summarise(p, b->m);
	/* what a hand-edited plan must pass, the compiler's must too */
	if (plan_check(p, b->m, NULL, b->d)) {
		diag_add(b->d, NULL, 0, 0,
			 "place: strategy '%s' made a plan that fails its "
			 "checks (above): please report it",
			 b->strat->name);
		return WS_EINPUT;
	}
	return 0;
}

/* The plan's header fields from the inputs and options. */
static void plan_header(struct plan *p, const struct graph *g,
			const struct machine *m, const struct plan_opts *o,
			const struct place_strategy *strat)
{
	p->network = xstrdup(g->name ? g->name : "?");
	p->machine = xstrdup(m->name);
	p->strategy = xstrdup(strat->name);
	p->prec = o->prec;
	p->opt = o->opt;
	p->seed = o->seed;
	p->batch = o->batch > 0		  ? o->batch
		   : g->default_batch > 0 ? g->default_batch
					  : 32;
	p->grid_w = m->width;
	p->grid_h = m->height;
	p->wafers = o->wafers > 1 ? o->wafers : 1;
	p->job = o->job;
}

/* Place and route pipelined; when the mode was chosen automatically and
 * the stages fit by their sizes but the strategy cannot pack or route
 * them, stream instead and say why. */
static int place_route_or_stream(struct build_ctx *b)
{
	if (b->o->mode != MODE_AUTO) {
		int rc = place_items(b);
		return rc ? rc : route_and_check(b);
	}
	struct diag tmp, *d = b->d;
	diag_init(&tmp);
	b->d = &tmp;
	int rc = place_items(b);
	if (!rc)
		rc = route_and_check(b);
	b->d = d;
	size_t n = diag_count(&tmp);
	if (rc && n) {
		const char *why = diag_text(&tmp, n - 1);
		size_t k = strlen(why);
		if (k > 200) /* room in mode_reason after "streaming: " */
			k = 200;
		memcpy(b->why_not, why, k);
		b->why_not[k] = 0;
		rc = stream_items(b);
		if (!rc)
			rc = route_and_check(b);
	}
	diag_release(&tmp);
	return rc;
}

/* A forced algorithm (--kernel NAME): every dense stage of the pipelined
 * plan runs it, or the plan is refused naming the stage and why. */
static int check_forced_kernel(struct build_ctx *b)
{
	const char *k = b->o->kernel;
	const struct plan *p = b->p;
	if (!k || kern_from_name(k) <= KERN_STREAM)
		return 0;
	if (p->mode != MODE_PIPELINED) {
		diag_add(b->d, NULL, 0, 0,
			 "place: '--kernel %s' is the algorithm of a pipelined "
			 "plan's dense stages, but '%s' on '%s' is %.200s",
			 k, p->network, b->m->name, p->mode_reason);
		return WS_EINPUT;
	}
	int bad = 0;
	for (int i = 0; i < p->n_stages; i++) {
		char why[256];
		if (!map_kernel_why_not(&b->mc, &p->stages[i], why,
					sizeof why))
			continue;
		diag_add(b->d, NULL, 0, 0, "place: stage '%s' cannot run "
			 "'--kernel %s': %s", p->stages[i].name, k, why);
		bad = 1;
	}
	return bad ? WS_EINPUT : 0;
}

/* One strategy's plan. */
static int build_one(struct plan_memo *pm, const struct graph *g,
		     const struct machine *m, const struct plan_opts *o,
		     struct plan *p, struct diag *d)
{
	double t0 = wall_seconds();
	plan_release(p);
	const struct place_strategy *strat = find_strategy(o, d);
	if (!strat)
		return WS_EINPUT;
	if (m->fabric.colors <= PLAN_KERNEL_COLORS) {
		diag_add(d, NULL, 0, 0,
			 "place: machine '%s' 'fabric.colors' must be more "
			 "than the %d kernel colors, got %lld",
			 m->name, PLAN_KERNEL_COLORS,
			 (long long)m->fabric.colors);
		return WS_EINPUT;
	}
	plan_header(p, g, m, o, strat);
	struct cost_totals ct;
	cost_totals(g, &ct);
	if (cost_batch_checked(g, &ct, p->batch, g->source, 0, 0, d))
		return WS_EINPUT;
	struct build_ctx b = {
		.mc = {g, m, o->prec, o->opt, MODE_PIPELINED, p->batch, 0,
		       o->kernel, o->groups},
		.g = g, .m = m, .o = o, .strat = strat, .p = p, .d = d};
	int rc = map_stages(g, o->prec, p, &b.edges, &b.n_edges, d);
	if (rc)
		return rc;
	b.stages = p->stages;
	b.n = p->n_stages;
	b.mc.plan = p;
	b.mc.job = o->job;
	share_apply(g, o, p);
	b.mc.no_guests = !map_share_any(p);
	b.grid = machine_pes(m);
	b.fill = o->fill > 0 && o->fill <= 1 ? o->fill : 0.9;
	b.budget = (int64_t)(b.fill * (double)b.grid);
	b.items = xcalloc((size_t)b.n, sizeof(*b.items));
	b.pm = pm;
	b.sig = xcalloc((size_t)b.n + 1, sizeof(int));
	int mode = choose_mode(&b);
	if (mode < 0) {
		rc = WS_EINPUT;
	} else if (mode == MODE_STREAMING) {
		rc = stream_items(&b);
	} else {
		size_items(&b);
		rc = place_route_or_stream(&b);
	}
	if (!rc && mode == MODE_STREAMING)
		rc = route_and_check(&b);
	if (!rc)
		rc = check_forced_kernel(&b);
	free(b.items);
	free(b.sig);
	free(b.edges);
	p->compile_s = wall_seconds() - t0;
	return rc;
}

/*
 * Strategy "auto" (the default): every strategy of the table builds its
 * plan and the best by the objective (compiler/plan_estimate.h: the
 * estimated training step; ties go to the earlier strategy in the table)
 * is kept; its note names the runner-up.  When none can, the errors are
 * the first strategy's.
 */
static int build_auto(struct plan_memo *pm, const struct graph *g,
		      const struct machine *m, const struct plan_opts *o,
		      struct plan *p, struct diag *d)
{
	double t0 = wall_seconds();
	int n;
	const struct place_strategy *const *all = place_strategies(&n);
	struct plan cand;
	plan_init(&cand);
	int best = -1, second = -1;
	double best_t = 0, second_t = 0;
	/* streamed by the options, a plan places nothing: every strategy
	 * would build the first one's (the same step, so the first kept and
	 * the second the runner-up) */
	int same = o->mode == MODE_STREAMING || o->wafers > 1;
	for (int i = 0; i < n; i++) {
		if (same && i > 0) {
			second = best >= 0 ? i : -1;
			second_t = best_t;
			break;
		}
		struct plan_opts oi = *o;
		oi.strategy = all[i]->name;
		struct diag quiet;
		diag_init(&quiet);
		int rc = build_one(pm, g, m, &oi, &cand, &quiet);
		diag_release(&quiet);
		if (rc)
			continue;
		double t = plan_cost(&cand, m);
		if (best < 0 || t < best_t) {
			second = best;
			second_t = best_t;
			best = i;
			best_t = t;
			plan_release(p);
			*p = cand;
			plan_init(&cand);
		} else if (second < 0 || t < second_t) {
			second = i;
			second_t = t;
		}
	}
	plan_release(&cand);
	if (best < 0) {
		struct plan_opts o0 = *o;
		o0.strategy = n > 0 ? all[0]->name : NULL;
		return build_one(pm, g, m, &o0, p, d);
	}
	double us = cost_cycles(o, m);
	char note[sizeof p->strategy_note];
	const char *u = cost_unit(o);
	if (second >= 0)
		snprintf(note, sizeof note,
			 "auto: best of %d by the objective, %.1f %s; "
			 "runner-up '%s' %.1f %s",
			 n, best_t / us, u, all[second]->name, second_t / us,
			 u);
	else
		snprintf(note, sizeof note,
			 "auto: the only strategy that could, %.1f %s",
			 best_t / us, u);
	memcpy(p->strategy_note, note, sizeof note);
	p->compile_s = wall_seconds() - t0;
	return 0;
}

/* The options' strategy (or every one, "auto"), sharing as they say. */
static int build_strategy(struct plan_memo *pm, const struct graph *g,
			  const struct machine *m, const struct plan_opts *o,
			  struct plan *p, struct diag *d)
{
	const char *s = o->strategy ? o->strategy : PLACE_DEFAULT_STRATEGY;
	if (strcmp(s, PLACE_AUTO) == 0) {
		plan_release(p);
		return build_auto(pm, g, m, o, p, d);
	}
	return build_one(pm, g, m, o, p, d);
}

/* The stages that may run on their owner's rectangle (time[] marks
 * them); their count. */
static int share_candidates(const struct graph *g, const struct plan_opts *o,
			    unsigned char **cand, int *n_stages)
{
	struct plan t;
	plan_init(&t);
	struct map_edge *edges = NULL;
	int n_edges = 0, n = 0;
	struct diag quiet;
	diag_init(&quiet);
	*cand = NULL;
	*n_stages = 0;
	if (!map_stages(g, o->prec, &t, &edges, &n_edges, &quiet)) {
		*n_stages = t.n_stages;
		*cand = xcalloc((size_t)t.n_stages + 1, 1);
		for (int i = 0; i < t.n_stages; i++)
			if (map_share_owner(g, &t, i) >= 0)
				(*cand)[i] = 1, n++;
	}
	free(edges);
	diag_release(&quiet);
	plan_release(&t);
	return n;
}

/* The objective's step for the time-shared set `time`, placed by pack
 * (fast: the choice is made on its layouts), or INFINITY. */
static double share_trial(struct plan_memo *pm, const struct graph *g,
			  const struct machine *m, const struct plan_opts *o,
			  const unsigned char *time)
{
	struct plan_opts q = *o;
	q.strategy = "pack";
	q.share_time = time;
	q.copies = 0;
	struct plan t;
	plan_init(&t);
	struct diag quiet;
	diag_init(&quiet);
	int rc = build_one(pm, g, m, &q, &t, &quiet);
	double est = rc || t.mode != MODE_PIPELINED ? INFINITY
						    : plan_cost(&t, m);
	diag_release(&quiet);
	plan_release(&t);
	return est;
}

/* q's plan, built quietly by its strategy; when it builds (in `mode`, or
 * any when mode < 0) with a step shorter than p's, it replaces p and *kept
 * is set.  Returns its step, or INFINITY when it does not build. */
static double build_if_faster(struct plan_memo *pm, const struct graph *g,
			      const struct machine *m,
			      const struct plan_opts *q, struct plan *p,
			      int mode, int *kept)
{
	struct plan a;
	plan_init(&a);
	struct diag quiet;
	diag_init(&quiet);
	double t = INFINITY;
	*kept = 0;
	if (!build_strategy(pm, g, m, q, &a, &quiet) &&
	    (mode < 0 || (int)a.mode == mode) && a.est_step_cycles > 0) {
		t = plan_cost(&a, m);
		if (t < plan_cost(p, m)) {
			plan_release(p);
			*p = a;
			plan_init(&a);
			*kept = 1;
		}
	}
	diag_release(&quiet);
	plan_release(&a);
	return t;
}

/*
 * The options' strategy places `alt` too when it differs from `time`; the
 * plan with the lower objective is kept in p (and its set in time).  The
 * descent chose on pack's layouts, but what a mapping costs depends on
 * the layout (a replica's sync routes cross it, a time-shared rectangle's
 * inputs converge on it), so the other strategies may order the two
 * otherwise (Uno on wse2: 5 of 6 time-shared is the better on pack's
 * layouts, all 6 on anneal's).  Returns alt's step, or INFINITY.
 */
static double place_alternative(struct plan_memo *pm, const struct graph *g,
				const struct machine *m,
				const struct plan_opts *o, struct plan *p,
				unsigned char *time, const unsigned char *alt,
				int ns)
{
	if (memcmp(time, alt, (size_t)ns) == 0)
		return INFINITY;
	struct plan_opts q = *o;
	q.share_time = alt;
	int kept;
	double t = build_if_faster(pm, g, m, &q, p, MODE_PIPELINED, &kept);
	if (kept)
		memcpy(time, alt, (size_t)ns);
	return t;
}

/* How the sharing was chosen (plan.share_note): the kept set; placed by
 * the options' strategy, the descent's set (k[0] stages time-shared) and
 * the alternative (k[1]) and their steps t[] (t[1] INFINITY: not placed);
 * on pack's layouts pk[] = {descent, all replicas, all time-shared}. */
static void share_note(struct plan *p, const struct plan_opts *o,
		       const struct machine *m, int kept, int nc,
		       const int *k, const double *t, const double *pk)
{
	double us = cost_cycles(o, m);
	const char *u = cost_unit(o);
	char placed[96] = "";
	if (isfinite(t[1]))
		snprintf(placed, sizeof placed, "placed: %d time-shared "
			 "%.1f %s, %d time-shared %.1f; ", k[0],
			 t[0] / us, u, k[1], t[1] / us);
	snprintf(p->share_note, sizeof p->share_note,
		 "%d of %d time-shared by the objective (%son pack's "
		 "layouts: %.1f %s; all replicas %.1f, all time-shared "
		 "%.1f)", kept, nc, placed, pk[0] / us, u, pk[1] / us,
		 pk[2] / us);
}

/*
 * PLAN_SHARING_AUTO: per stage that applies another's weights, replicas
 * or time-shared, whichever gives the lower objective: starting from the
 * better of all replicas and all time-shared, each in stage order is
 * switched and kept so when the step falls (coordinate descent, on pack's
 * layouts: one fast placement per trial); then the options' strategy
 * places the choice and, when it differs, the better of all replicas and
 * all time-shared (place_alternative()), and the faster is kept.
 */
static int build_shared(struct plan_memo *pm, const struct graph *g,
			const struct machine *m, const struct plan_opts *o,
			struct plan *p, struct diag *d)
{
	unsigned char *cand;
	int ns, nc = share_candidates(g, o, &cand, &ns);
	if (!nc) {
		free(cand);
		return build_strategy(pm, g, m, o, p, d);
	}
	unsigned char *time = xcalloc((size_t)ns + 1, 1);
	unsigned char *glob = xcalloc((size_t)ns + 1, 1);
	double base = share_trial(pm, g, m, o, time);
	double all = share_trial(pm, g, m, o, cand), best = base;
	if (all < base) { /* start from every one time-shared */
		memcpy(time, cand, (size_t)ns);
		best = all;
	}
	memcpy(glob, time, (size_t)ns);
	for (int i = 0; i < ns && isfinite(best); i++) {
		if (!cand[i])
			continue;
		time[i] = !time[i];
		double t = share_trial(pm, g, m, o, time);
		if (t < best)
			best = t;
		else
			time[i] = !time[i];
	}
	struct plan_opts q = *o;
	q.share_time = time;
	int rc = build_strategy(pm, g, m, &q, p, d);
	/* the descent kept its start: the other extreme is the alternative
	 * (pack's layouts may order them otherwise: combo's replicas, 3 of
	 * 3 time-shared on pack's, are the faster placed by the others
	 * once the slowest stages take sample copies) */
	if (memcmp(time, glob, (size_t)ns) == 0)
		for (int i = 0; i < ns; i++)
			glob[i] = cand[i] && !time[i];
	int k[2] = {0, 0}, kept = 0;
	for (int i = 0; i < ns; i++)
		k[0] += time[i], k[1] += glob[i];
	double first = rc ? INFINITY : plan_cost(p, m);
	double other =
		rc || !isfinite(best) || p->mode != MODE_PIPELINED
			? INFINITY
			: place_alternative(pm, g, m, o, p, time, glob, ns);
	for (int i = 0; i < ns; i++)
		kept += time[i];
	if (!rc && isfinite(best))
		share_note(p, o, m, kept, nc, k,
			   (double[2]){first, other},
			   (double[3]){best, base, all});
	free(glob);
	free(time);
	free(cand);
	return rc;
}

/*
 * MODE_AUTO: when the stages fit pipelined, the weight-streamed plan is
 * built too and the one with the shorter estimated training step is kept
 * (compiler/plan_estimate.h, the pipelined stages at their real cost,
 * software included when the kernels charge it).  Both are plans the
 * machine runs; fitting is not a reason to prefer one: a large batch of
 * tokens keeps the whole wafer busy on one layer at a time, while a
 * pipeline gives each layer a small rectangle and pays its software per
 * sample (ViT-B/16 at batch 2850).
 */
static void prefer_faster(struct plan_memo *pm, const struct graph *g,
			  const struct machine *m, const struct plan_opts *o,
			  struct plan *p)
{
	struct plan_opts so = *o;
	so.mode = MODE_STREAMING;
	double was = plan_cost(p, m);
	long long pes = (long long)p->pes_used;
	int kept;
	double t = build_if_faster(pm, g, m, &so, p, -1, &kept);
	if (kept) {
		int inf = o->job == PLAN_JOB_INFER;
		double u = m->clock_ghz * (inf ? 1 : 1e6);
		snprintf(p->mode_reason, sizeof p->mode_reason,
			 "streaming: a shorter %s by the estimate than "
			 "pipelined, %.4g %s against %.4g %s (the stages "
			 "would fit pipelined, on %lld PEs)",
			 inf ? "prediction" : "step", t / u,
			 inf ? "ns" : "ms", was / u, inf ? "ns" : "ms", pes);
	}
}

/* A deep copy of plan a into p (plan_init'ed or released). */
static void plan_copy(const struct plan *a, struct plan *p)
{
	*p = *a;
	p->network = a->network ? xstrdup(a->network) : NULL;
	p->machine = a->machine ? xstrdup(a->machine) : NULL;
	p->strategy = a->strategy ? xstrdup(a->strategy) : NULL;
	p->stages = xmalloc(sizeof(*p->stages) * (size_t)(a->n_stages + 1));
	memcpy(p->stages, a->stages, sizeof(*p->stages) * (size_t)a->n_stages);
	for (int i = 0; i < a->n_stages; i++)
		p->stages[i].name = a->stages[i].name
					    ? xstrdup(a->stages[i].name)
					    : NULL;
	p->routes = xmalloc(sizeof(*p->routes) * (size_t)(a->n_routes + 1));
	memcpy(p->routes, a->routes, sizeof(*p->routes) * (size_t)a->n_routes);
	for (int i = 0; i < a->n_routes; i++) {
		size_t n = sizeof(*a->routes[i].points) *
			   (size_t)a->routes[i].n_points;
		p->routes[i].points = xmalloc(n + 1);
		memcpy(p->routes[i].points, a->routes[i].points, n);
	}
}

/* The plan for the options' job (plan_build without the rival). */
static int build_job(struct plan_memo *pm, const struct graph *g,
		     const struct machine *m, const struct plan_opts *o,
		     struct plan *p, struct diag *d)
{
	int rc = o->sharing == PLAN_SHARING_AUTO && !o->share_time &&
				 o->wafers <= 1 && o->mode != MODE_STREAMING
			 ? build_shared(pm, g, m, o, p, d)
			 : build_strategy(pm, g, m, o, p, d);
	if (!rc && o->mode == MODE_AUTO && p->mode == MODE_PIPELINED)
		prefer_faster(pm, g, m, o, p);
	return rc;
}

/* An inference plan p against the training plan's inference (o->rival,
 * or one built here): the training plan replaces p when plan_cost says
 * its inference is faster (the inference's search is a heuristic and
 * the training plan is a layout it may miss). */
static void rival_if_faster(struct plan_memo *pm, const struct graph *g,
			    const struct machine *m, const struct plan_opts *o,
			    struct plan *p)
{
	struct plan t;
	plan_init(&t);
	if (o->rival) {
		plan_copy(o->rival, &t);
	} else {
		struct plan_opts q = *o;
		q.job = PLAN_JOB_TRAIN;
		struct diag quiet;
		diag_init(&quiet);
		int rc = build_job(pm, g, m, &q, &t, &quiet);
		diag_release(&quiet);
		if (rc) {
			plan_release(&t);
			return;
		}
	}
	t.job = PLAN_JOB_INFER;
	double c = plan_cost(&t, m);
	t.job = PLAN_JOB_TRAIN;
	if (c < plan_cost(p, m)) {
		plan_release(p);
		*p = t;
		return;
	}
	plan_release(&t);
}

int plan_build(const struct graph *g, const struct machine *m,
	       const struct plan_opts *o, struct plan *p, struct diag *d)
{
	struct plan_opts def;
	if (!o) {
		plan_opts_init(&def);
		o = &def;
	}
	/* one memo for every plan made here: same graph, same machine */
	struct plan_memo *pm = plan_memo_new();
	int rc = build_job(pm, g, m, o, p, d);
	if (!rc && o->job == PLAN_JOB_INFER && !o->solo)
		rival_if_faster(pm, g, m, o, p);
	plan_memo_free(pm);
	return rc;
}
