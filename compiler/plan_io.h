/*
 * plan_io.h: plans as YAML files (written, read back, validated) and as a
 * JSON summary.  The format is documented in docs/placement.md.
 *
 * What a file holds: the run parameters (network, machine, mode, precision,
 * batch per wafer, wafers training data-parallel, the job it was compiled
 * for ('job: infer'; training when absent), optimizer, strategy, seed), one entry per stage with its rectangle (the part meant for
 * hand-editing) and, for reading by people, its layers,
 * tile, SRAM use, per-pass work and cycle estimates; and the routes with
 * their corner points, colors and multicast groups.
 *
 * Reading (plan_load) trusts only the rectangles and routes: the stages are
 * re-derived from the graph (map_stages) and matched by name, and every
 * stage's work and SRAM are recomputed (map_kernel) for its rectangle, so
 * a hand-edited rectangle is judged by the same rules as a compiled one.
 * An empty or missing `routes:` list is routed again (route_build).  Then
 * plan_check runs; every problem is reported with the plan file's
 * line:col.
 */
#ifndef WAFERSIM_PLAN_IO_H
#define WAFERSIM_PLAN_IO_H

#include <stdio.h>

#include "compiler/graph.h"
#include "compiler/plan.h"
#include "ground/diag.h"
#include "ground/json_io.h"
#include "machine/machine.h"

/* Write p as YAML; g (may be NULL) names the fused layers.  Deterministic:
 * the same plan gives the same bytes (compile time is not written). */
void plan_write(const struct plan *p, const struct graph *g, FILE *out);
/* Atomically write to `path` ("-" = stdout).  0 or WS_EIO. */
int plan_save(const struct plan *p, const struct graph *g, const char *path,
	      struct diag *d);

/* Read a plan written by plan_write (maybe hand-edited) for graph g on
 * machine m; see above.  p is released and refilled.  0, WS_EIO or
 * WS_EINPUT (all problems in d, each with file:line:col). */
int plan_load(const char *path, const struct graph *g, const struct machine *m,
	      struct plan *p, struct diag *d);
int plan_load_string(const char *file, const char *text, const struct graph *g,
		     const struct machine *m, struct plan *p, struct diag *d);
/* As plan_load, for a caller that says how many wafers train the plan
 * (`run --wafers N`): the file's `wafers` (1 when absent) must be
 * `wafers`, else an error at its line:col; 0 takes the file's. */
int plan_load_wafers(const char *path, const struct graph *g,
		     const struct machine *m, int64_t wafers, struct plan *p,
		     struct diag *d);
/* What a caller running the file asks of it: `wafers` as above; `job`
 * -1 to take the file's ('job: infer', or a training plan when absent),
 * PLAN_JOB_TRAIN when the run trains (a file that says 'job: infer' is
 * then an error at its line:col: its kernels serve the forward alone),
 * PLAN_JOB_INFER when it only infers (any plan: a training plan's
 * forward runs too). */
struct plan_want {
	int64_t wafers;
	int job;
	/* the run's enum exec_mode, pe_prec, optimizer, or -1: the file's;
	 * one the file does not say is an error at its key's line:col (an
	 * option is refused, not ignored: the plan follows from them) */
	int mode, prec, opt;
};
int plan_load_want(const char *path, const struct graph *g,
		   const struct machine *m, const struct plan_want *w,
		   struct plan *p, struct diag *d);

/* A streamed plan's micro_reason: `why` (the file's, or the plan's own)
 * while it still describes p->micro_batch, p->batch and p->recompute (the
 * compiler's words, compiler/microbatch.c), else the choice in numbers
 * followed by `source` ("as FILE says"). */
void plan_micro_reason(struct plan *p, const char *why, const char *source);

/* Summary and stages as one JSON object (for `place --json`): built (the
 * caller owns it, may add keys) or written. */
json_t *plan_json(const struct plan *p);
void plan_write_json(const struct plan *p, FILE *out);

#endif
