/*
 * place.h: placement of stages (rectangles) on the mesh, and the compiler's
 * top-level entry point plan_build().
 *
 * A placement STRATEGY sees an abstract problem: a grid, a list of items
 * (one per stage) with the PEs each should get (target_pes, from work
 * balancing) and must get (min_pes, from SRAM), and the communication
 * between them.  It fills one rectangle per item.  It does not know about
 * layers, kernels or routes, so a strategy can be written and tested alone.
 *
 * Adding a strategy: write ONE file compiler/place_<name>.c that defines
 *
 *     const struct place_strategy place_strategy_<name> = {
 *             "<name>", "one-line description", my_fn };
 *
 * The Makefile lists every compiler/place_*.c in build/gen/strategies.h and
 * place.c builds its table from that list (sorted by file name), so the new
 * strategy appears in `wafersim place --strategy <name>` and `--compare`.
 * See docs/placement.md.  Helpers that strategies share are below
 * (place_problem_*), not in a place_*.c file.
 */
#ifndef WAFERSIM_PLACE_H
#define WAFERSIM_PLACE_H

#include <stdint.h>

#include "compiler/graph.h"
#include "compiler/plan.h"
#include "ground/diag.h"
#include "machine/machine.h"

struct place_item {
	int64_t target_pes;   /* PEs that balance the pipeline (>= min_pes) */
	int64_t min_pes;      /* fewest PEs whose SRAM holds the stage */
	int32_t max_w, max_h; /* widest / tallest useful rectangle (>= 1) */
	double aspect;	      /* preferred w / h (1 = square) */
	double work;	      /* cycles per sample on ONE PE (for balance) */
	double fixed_cycles;  /* per-sample cycles no PE count removes */
};

struct place_edge {
	int src, dst;  /* item ids; src -1 = host input at a wafer edge */
	int64_t bytes; /* per sample, forward and backward together */
	int64_t wavelets; /* per sample, forward (0: not charged) */
};

/* A shared-weight sync once per step: the replica's gradients to the
 * owner, the weights back, in wavelets (route.h route_sync_pairs). */
struct place_sync {
	int replica, owner;
	int64_t grad_wavelets, weight_wavelets;
};

struct place_strategy;

struct place_problem {
	int32_t grid_w, grid_h;
	unsigned io_edges; /* EDGE_* bits where host data enters */
	int n_items;
	const struct place_item *items; /* in pipeline (topological) order */
	int n_edges;
	const struct place_edge *edges;
	uint64_t seed;	      /* for randomised strategies */
	double time_budget_s; /* wall-clock cap (0 = none); see anneal */
	/* Optional: stage time of item i on a w x h rectangle; NULL = use
	 * work / (w h) + fixed_cycles. */
	double (*stage_cycles)(const void *ctx, int item, int32_t w, int32_t h);
	/* Optional: does item i fit its SRAM on w x h?
	 * NULL = w h >= min_pes. */
	int (*fits)(const void *ctx, int item, int32_t w, int32_t h);
	const void *ctx;
	/* Optional (NULL = every edge alone): edge_root[e] is the index of the
	 * first edge of e's fan-out (one output to several consumers, one
	 * multicast tree in route.c), e itself when alone or first.  route.c
	 * picks a host fan-out's I/O port from its first consumer's centre;
	 * anneal measures hop-bytes the same way. */
	const int *edge_root;
	/* Every strategy (plan_build passes place_strategies()): anneal
	 * starts from the others' layouts.  NULL = none. */
	const struct place_strategy *const *strategies;
	int n_strategies;
	/* The objective's terms a strategy may charge (plan_estimate.h;
	 * anneal does): samples per step, host input cycles per sample,
	 * and the shared-weight syncs between items (0 and NULL: none). */
	int64_t batch;
	double io_cycles;
	int n_syncs;
	const struct place_sync *syncs;
	/* Optional (NULL: none): the objective itself for a layout, the
	 * estimated training step in cycles (plan_estimate.h: the stages
	 * mapped on rects, routed, estimated; INFINITY when it cannot be
	 * routed).  anneal keeps, of its best layout and its starts, the one
	 * this ranks first (its own measure leaves fill and drain out). */
	double (*objective)(const void *ctx, const struct rect *rects);
	/* Optional (NULL: none): what plan_build does to every strategy's
	 * layout after it (size.h size_grow, when plan_opts.grow); anneal
	 * does it to its starts, so that they are the layouts those
	 * strategies' plans have.  Returns the moves made. */
	int (*grow)(const struct place_problem *pp, struct rect *rects);
};

/*
 * A strategy fills rects[0 .. n_items) so that every rectangle lies inside
 * the grid, none overlap, and item i gets at least min_pes PEs (w*h).
 * It may give fewer than target_pes.  Returns 0, or WS_EINPUT with a
 * message when it cannot (e.g. the minimums do not fit).  `note` (128
 * bytes) may receive a one-line remark ("" by default).
 */
typedef int (*place_fn)(const struct place_problem *pp, struct rect *rects,
			char *note, struct diag *d);

struct place_strategy {
	const char *name;
	const char *doc;
	place_fn fn;
};

/* Every strategy, sorted by name; n receives the count. */
const struct place_strategy *const *place_strategies(int *n);
/* By name, or NULL. */
const struct place_strategy *place_find_strategy(const char *name);
/* Default strategy name. */
/* "auto": every strategy, the best by the objective (plan_build). */
#define PLACE_AUTO "auto"
#define PLACE_DEFAULT_STRATEGY PLACE_AUTO

/* ---- helpers shared by strategies (place.c) ---------------------------- */

/* Stage time of item i on w x h (uses pp->stage_cycles when set). */
double place_item_cycles(const struct place_problem *pp, int i, int32_t w,
			 int32_t h);
/* Shape (w, h) with w*h >= pes (and close to it), w <= max_w, h <= max_h,
 * grid-limited, near the item's aspect; 0 if none exists. */
int place_shape(const struct place_problem *pp, int i, int64_t pes, int32_t *w,
		int32_t *h);
/* Same, for a given aspect (w / h) instead of the item's. */
int place_shape_aspect(const struct place_problem *pp, int i, int64_t pes,
		       double aspect, int32_t *w, int32_t *h);
/* Does item i fit (SRAM, min_pes) on w x h? */
int place_item_fits(const struct place_problem *pp, int i, int32_t w,
		    int32_t h);
/* Do two rectangles overlap? */
int place_overlap(const struct rect *a, const struct rect *b);
/* Can two of the n rectangles overlap?  0: none do and every one lies
 * inside the W x H grid (painted on a grid, time linear in their area);
 * 1: some pair overlaps, or one is outside (then the caller's pairwise
 * scan says which, in its order). */
int place_any_overlap(const struct rect *r, int n, int64_t W, int64_t H);
/* Check rects: inside the grid, no overlaps, min_pes met.  Messages go to
 * d (may be NULL); returns the number of problems. */
int place_check(const struct place_problem *pp, const struct rect *rects,
		struct diag *d);
/* Cost used to compare placements: bottleneck cycles, communication
 * (bytes x Manhattan distance between centres) and unused PEs, combined as
 * documented in docs/placement.md.  Lower is better. */
double place_cost(const struct place_problem *pp, const struct rect *rects);
/* Same, with item i's stage cycles given in cycles[i]. */
double place_cost_cycles(const struct place_problem *pp,
			 const struct rect *rects, const double *cycles);
/* PEs for item i when a strategy must shrink sizes by s in (0, 1]: large
 * stages (target over 1% of the grid) shrink to s target, never below
 * min_pes; small ones keep their target (they cost little area and would
 * become the bottleneck). */
int64_t place_scaled_pes(const struct place_problem *pp, int i, double s);
/* The edges touching each item (compressed rows): item i's are
 * at[off[i] .. off[i + 1]), ascending, an edge from i to i once; host
 * edges (src -1) under their consumer only.  Lets a strategy visit an
 * item's edges in the order a scan of pp->edges would, in time linear in
 * its degree instead of the edge count. */
struct place_adj {
	int *off; /* n_items + 1 */
	int *at;
};
void place_adj_init(struct place_adj *a, const struct place_problem *pp);
void place_adj_release(struct place_adj *a);
/* Deterministic PRNG (splitmix64). */
uint64_t place_rand(uint64_t *state);

/* ---- the compiler's entry point ---------------------------------------- */

struct plan_opts {
	const char *strategy; /* NULL = PLACE_DEFAULT_STRATEGY */
	enum exec_mode mode;  /* MODE_AUTO: pipelined if it fits */
	int64_t batch;	      /* 0 = graph default (or 32) */
	enum pe_prec prec;    /* default PREC_MIXED */
	enum optimizer opt;   /* optimizer the graph's costs were counted for */
	uint64_t seed;	      /* anneal seed (default 1) */
	double time_budget_s; /* anneal cap (0 = its default, 10 s) */
	double fill;	      /* share of the grid to hand out (0 = 0.9) */
	/* Dense stages: the algorithm (compiler/kern.h names) with its
	 * software costs, "auto" = the fastest that fits, NULL = the
	 * weight-stationary mapping without them (see map.h); groups for
	 * gemv_grouped (0 = its fastest). */
	const char *kernel;
	int64_t groups;
	/* STREAMING (compiler/microbatch.h): micro-batch size (0: the
	 * largest that fits) and activation recomputation (0 automatic, 1
	 * on, -1 off) */
	int64_t micro_batch;
	int recompute;
	/* Shared layers (compiler/map_share.h): PLAN_SHARING_AUTO chooses
	 * per applying stage by the objective, or all keep replicas, or all
	 * run in turn on their owner's rectangle.  share_time (NULL = by
	 * `sharing`): per stage, nonzero = time-shared (plan_build's own
	 * search sets it). */
	int sharing; /* enum plan_sharing_opt */
	const unsigned char *share_time;
	/* After placement, give the PEs left idle to the slowest stage while
	 * that speeds it and the objective does not rise (compiler/size.h
	 * size_grow).  On by default (plan_opts_init): since the objective
	 * replays the engine's schedule it ranks grown plans as they
	 * simulate (val_objective.sh), and the strips plans of p1b1, p1b2
	 * and p1b3 meet the sizing rule only grown (val_balance.sh). */
	int grow;
	/* wafers training data-parallel (0 or 1: one); more than one trains
	 * only in weight streaming (the vendor's SwarmX joins streamed
	 * wafers), so MODE_AUTO streams and MODE_PIPELINED is refused.
	 * `batch` stays the batch of one wafer. */
	int64_t wafers;
	/* The job the plan is compiled for (PLAN_JOB_TRAIN by default):
	 * inference picks each dense stage's algorithm for the forward
	 * pass alone (compiler/map.h, map_ctx job). */
	enum plan_job job;
	/* PLAN_JOB_INFER: the training plan competes (plan_cost of its
	 * inference) and is returned instead, its job PLAN_JOB_TRAIN, when
	 * faster: `rival` when the caller has built it (copied), else
	 * one built here; `solo` set: no rival (the plan is the inference
	 * compile's alone, as `run --region` re-picks its stage). */
	const struct plan *rival;
	int solo;
	/* With `grow`: sample copies (plan.h `copies`) offered to the
	 * slowest stages, kept where the objective falls (compiler/size.h
	 * size_copies).  On by default; off in the sharing search's trials
	 * (their placed choice and its alternative are compared with
	 * copies). */
	int copies;
};

enum plan_sharing_opt { PLAN_SHARING_AUTO = 0, PLAN_SHARING_REPLICAS,
			PLAN_SHARING_TIME };

void plan_opts_init(struct plan_opts *o);

/*
 * Map, size, place and route `g` on `m`: fills `p` (plan_init'ed by the
 * caller; released and refilled).  Chooses the mode (or obeys o->mode),
 * writes the reason in p->mode_reason.  Returns 0, or WS_EINPUT with
 * messages in d: unknown strategy, forced mode impossible (says what does
 * not fit), a stage that fits nowhere (layer and numbers), colors exhausted
 * (router and colors).
 */
int plan_build(const struct graph *g, const struct machine *m,
	       const struct plan_opts *o, struct plan *p, struct diag *d);

/* The objective plan_build minimises for a built plan's job, in cycles:
 * a training plan's estimated step (p->est_step_cycles), an inference
 * plan's estimated inference of its batch (the first sample's forward,
 * then batch - 1 forward intervals as the summary replayed them,
 * p->est_infer_cycles; compiler/plan_estimate.h).  Of a training plan
 * with job set to PLAN_JOB_INFER: its inference, so the two compare. */
double plan_cost(const struct plan *p, const struct machine *m);

/*
 * Validate a plan against its machine: rectangles inside the grid, no
 * overlaps (pipelined), SRAM within capacity, routes connected (start in or
 * on the source rectangle or at a wafer I/O edge, end in the destination,
 * axis-aligned segments, inside the grid), colors within fabric.colors at
 * every router.  `file` names the plan file for locations (stage/route
 * line/col); may be NULL.  Returns the number of problems.
 */
int plan_check(const struct plan *p, const struct machine *m, const char *file,
	       struct diag *d);

#endif
