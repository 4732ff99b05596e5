/*
 * size.h: the yardstick for how many PEs each stage of a pipelined plan
 * gets (the sizing itself: plan_build.c size_items, by the stages' real
 * pace).
 *
 * The WORK-PROPORTIONAL BOUND of a pipelined training plan is a pace
 * (cycles per sample) that no sizing of its stages can beat:
 *
 *   work(i)  = min over shapes w x h of stage i of  T_i(w, h) x w h
 *              the stage's PE-cycles per sample on its most economical
 *              rectangle, T_i the real pace (map_cycles: the kernel the
 *              compiler picks, software costs included; shapes that fit
 *              SRAM, within map_max_shape)
 *   floor(i) = min over the same shapes of T_i(w, h)
 *              the fastest the stage runs however many PEs it gets
 *
 *   bound    = max( sum_i work(i) / (grid width x grid height),
 *                   max_i floor(i) )
 *
 * A time-shared stage is counted with its host (map_share.h: one
 * rectangle, the paces summed).  Why it bounds every sizing: a plan of
 * pace T gives stage i some P_i PEs with T >= T_i(P_i) >= floor(i) and
 * P_i >= work(i) / T_i(P_i) >= work(i) / T, so the grid holds
 * sum_i work(i) / T PEs at least.  Shapes are probed on a geometric grid
 * of widths and heights (ratio SIZE_PROBE_RATIO), so the bound is exact to
 * within that sampling.
 *
 * The rule (issue 14, tests/unit/test_size.c): whenever at least
 * SIZE_IDLE_SHARE of the grid's PEs are outside every rectangle, a
 * pipelined plan's pace (plan.bottleneck_cycles) is at most
 * SIZE_BOUND_FACTOR times the bound: idle PEs must not sit beside a stage
 * that more PEs would speed up.
 *
 * The literal rule (issue 14: the work spread alone, without the floors)
 * conflicts with the fastest step where a stage's floor is software per
 * sample (dense layers of one row per sample: task start, the kernel's
 * set-up and per-row program, about 65 cycles a pass however many PEs):
 * only copies of the stage, samples alternating between them, lower it,
 * and past two copies their syncs and fill and drain outgrow the gain
 * (the engine runs a stage's tasks one at a time, so the mapping has no
 * per-stage copies; the measure replicates every stage).  drugnet on wse2,
 * 64 samples per step, every stage replicated R times
 * (tests/validate/nets/drugnet_x*.yaml, `run --sharing replicas`;
 * docs/placement.md "What sets each stage kind's floor"): R = 1, 2, 4, 8
 * give 67.9, 57.8, 74.6, 345 us per step, per-sample paces 291, 164,
 * 143, 87 cycles, while 2x the spread is 41: the fastest step is R = 2,
 * still 8x the spread.
 *
 * The arithmetic alone (FMAs and element-wise operations of every layer
 * at the PE's lanes, no communication, SRAM ports, task starts or
 * software) spread over the grid is reported beside it (`arith_cycles`);
 * it is far below what any mapping reaches on small networks, where the
 * per-PE fixed costs of a stage dominate.
 */
#ifndef WAFERSIM_COMPILER_SIZE_H
#define WAFERSIM_COMPILER_SIZE_H

#include "compiler/graph.h"
#include "compiler/place.h"
#include "compiler/plan.h"
#include "machine/machine.h"

/* The rule's factor and idle share (issue 14). */
#define SIZE_BOUND_FACTOR 2.0
#define SIZE_IDLE_SHARE	  0.10
/* Successive probed widths (heights) grow by this factor (and 1). */
#define SIZE_PROBE_RATIO 1.25

struct size_bound {
	double work_pe_cycles; /* sum of work(i), PE-cycles per sample */
	double spread_cycles;  /* work_pe_cycles / grid PEs */
	double floor_cycles;   /* max of floor(i) */
	int floor_stage;       /* its stage, or -1 */
	double bound_cycles;   /* max(spread_cycles, floor_cycles) */
	double arith_cycles;   /* arithmetic alone over the grid */
};

/* The bound of pipelined plan p (of g, on m; its stages' sharing as
 * set), the stages timed with kernel `kernel` (place.h plan_opts.kernel;
 * "auto" as the compiler's default).  Zeroes for a streaming plan. */
void size_bound(const struct graph *g, const struct machine *m,
		const struct plan *p, const char *kernel, struct size_bound *b);

/* Does the rule apply to p (pipelined, at least SIZE_IDLE_SHARE of the
 * grid's PEs outside every rectangle)? */
int size_rule_applies(const struct plan *p);

/* ---- growing the slowest stage (after a strategy) ----------------------- */

/*
 * Give PEs to the slowest item of a placed layout while that speeds it:
 * repeatedly, the item with the largest place_item_cycles grows into free
 * PEs next to it (its rectangle stretched east, west, north or south) or
 * moves to a larger free rectangle elsewhere, whichever of the probed
 * shapes gives it the lowest pace, as long as the new shape fits its
 * SRAM, stays within max_w x max_h, lowers its pace and (moved) takes it
 * no farther from the items it talks to than a few hops (size_grow.c
 * SIZE_GROW_TRAFFIC_SLACK, SIZE_GROW_NEAR); it stops when
 * the slowest item cannot be sped up (the pace stops improving) or no
 * free PEs are left (at most SIZE_GROW_MAX_MOVES).  When pp->objective is
 * set, the moves are kept only as far as it does not rise: all of them,
 * else the first half, quarter, ... of them, else none.  rects stay
 * inside the grid and disjoint.  Returns the number of moves kept.
 * Deterministic.
 */
#define SIZE_GROW_MAX_MOVES(n_items) (8 * (n_items) + 32)
int size_grow(const struct place_problem *pp, struct rect *rects);

#endif
