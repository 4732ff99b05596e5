/*
 * engine.h: discrete-event, cycle-approximate execution of a plan.
 *
 * The engine runs a plan (compiler/plan.h) on a machine and fills a struct
 * stats (sim/stats.h).  Every cycle count it produces comes from the timing
 * rules of cores/pe.h (a task's occupancy of a PE) and fabric/timing.h (hops,
 * ramps, serialisation); the engine only decides WHEN things happen, from
 * dependencies and resources:
 *
 *   - a stage (one kernel on one rectangle) runs a task when its inputs have
 *     arrived at its edge, its PEs are free, and (forward) every consumer has
 *     room for the output (back-pressure: credits of STAGE_INPUT_SLOTS
 *     samples plus what the path to the consumer holds at full rate and the
 *     skew between the consumer's input paths, see credits_setup());
 *   - a task's input is broadcast across the rectangle, its partial sums are
 *     reduced along rows or columns (relayed PE by PE: every PE takes each
 *     wavelet down its ramp, adds and sends it on, fabric/timing.h
 *     fabric_relay_cycles), then the stage's output leaves on its
 *     routes; a route holds the links of its path for the serialisation of
 *     the wavelets it carries (contention: a later stream waits);
 *   - samples enter from the wafer edge at the host I/O rate;
 *   - training: forward flows down the chain of stages, the loss stage turns
 *     a sample around, gradients flow back over the backward routes (or the
 *     forward routes reversed when the plan has none), every stage updates
 *     its weights once it has the whole batch's gradients, and the next
 *     step's forward at a stage waits for that stage's update.  Fill and
 *     drain are simulated, not assumed;
 *   - weight streaming: the stages are the layers in order, each over the
 *     whole wafer; weights stream in from external memory before forward and
 *     again before backward, gradients stream out; the next layer's weights
 *     stream while the current one computes (double buffering); a layer never
 *     finishes before its weights have arrived;
 *   - inference: forward only, a stream of samples.
 *
 * PEs of a stage run the same program; by default one reference PE (the
 * busiest) stands for all of them (a class with a multiplicity) and the
 * offsets across the rectangle (broadcast fill, reduction chain) are added
 * in closed form.  With `full`, every PE's task is timed separately (its own
 * tile, its own position along the broadcast and the reduction chain), every
 * PE's busy cycles are counted; the stage-level dispatch is the same, so
 * both give the same cycles when the tiles are even, and close to them
 * otherwise (tests check within 1%).
 *
 * A simulation is a value: engine_run() allocates everything it needs,
 * touches no globals, and two can run at once on two threads.
 *
 * Layer 4, sim/ owns executing a plan: the engine, statistics, energy,
 * reports and the SystemC top level; beside it gpu/ and traces/.  It may
 * include every layer below (ground/ to compiler/) and gpu/, traces/ (same
 * layer); never a layer above (docs/ARCHITECTURE.md, checked by
 * tests/house/check_layers.py).
 */
#ifndef WAFERSIM_ENGINE_H
#define WAFERSIM_ENGINE_H

#include <stdint.h>

#include "compiler/graph.h"
#include "compiler/plan.h"
#include "compiler/plan_credit.h"
#include "ground/diag.h"
#include "machine/machine.h"
#include "sim/stats.h"

/* Samples a stage may hold at its input before its producers stall. */
#define STAGE_INPUT_SLOTS PLAN_INPUT_SLOTS /* compiler/plan_credit.h */

enum engine_job { ENGINE_TRAIN = 0, ENGINE_INFER };

struct engine_opts {
	enum engine_job job;
	int64_t batch;		/* samples per training step; 0: plan->batch */
	int steps;		/* training steps simulated; 0: 2 */
	int64_t infer_samples;	/* inference samples streamed; 0: 64 */
	int full;		/* time every PE separately */
	/* weight streaming: wafers training data-parallel, each running the
	 * plan's batch (0: one); machine.interconnect joins them */
	int wafers;
	/* task and route spans kept in stats.spans for timelines (traces/):
	 * at most this many; 0 (default): not recorded, no cost */
	int64_t max_spans;
	/* memory budget in bytes (ground/checked.h); 0: the default.  A
	 * run estimated larger is refused before anything is allocated */
	int64_t max_memory_bytes;
	/* called now and then with the fraction done (0..1); may be NULL */
	void (*progress)(void *ctx, double done);
	void *progress_ctx;
};

void engine_opts_init(struct engine_opts *o);

/*
 * Simulate `p` on `m`.  `g` may be NULL; when given (the graph the plan was
 * made from) it gives exact per-PE tiles of dense layers for the full mode.
 * `st` must be initialised (stats_init); it is filled, caller releases.
 * Returns 0, or WS_EINPUT when the plan cannot run on this machine (a
 * rectangle outside the grid, a route naming a missing stage, an empty
 * plan) or would need more memory than o->max_memory_bytes, with the
 * reasons in `d`.
 */
int engine_run(const struct plan *p, const struct graph *g,
	       const struct machine *m, const struct engine_opts *o,
	       struct stats *st, struct diag *d);

/*
 * Occupancy of one PE by one task of `w` (cycles): the busiest of its
 * datapath and SRAM ports (pe_work_cycles) and of the wavelets through its
 * ramp (one per cycle each way: broadcast + halo in, reduction + halo out).
 * Sets *limit to what won.  Shared with the analytic roofline.
 */
cycles_t engine_task_occ(const struct machine *m, enum pe_prec prec,
			 const struct kernel_work *w, enum stats_limit *limit);

/*
 * Analytic bound of the plan, no simulation (engine_roofline.c): no
 * training step is shorter than step_cycles.  Pipelined: the largest of
 * every stage's reference PE (batch x its tasks per sample + its update),
 * every route's lanes (batch x a sample's serialisation), the host link
 * and every shared-weight round (the replica's batch, its gradients out,
 * the owner's update, the weights back).  Weight streaming: the wafer's
 * compute of the batch, the weights in (twice per micro-batch pass) or
 * the gradients out, the longest, plus the memory's latency.
 * Inference: weight streaming, a bound on the cycles per prediction of
 * `infer_samples` streamed as one batch; pipelined, the slowest stage's
 * or route's forward pace, an estimate (a finite stream measured over its
 * second half can beat it: infer_is_bound 0).
 * Printed beside the simulated figures, labelled as such.
 */
struct engine_roofline {
	double sample_cycles;	/* the bounding resource's cycles per sample */
	double step_cycles;	/* one training step: a lower bound */
	double infer_sample_cycles;
	int infer_is_bound;	/* infer_sample_cycles is a lower bound */
	enum stats_limit limit;
};
void engine_roofline(const struct plan *p, const struct machine *m,
		     int64_t batch, struct engine_roofline *out);
/* The same with the inference's samples (0: the batch) and the wafers
 * training data-parallel (engine_opts.wafers; weight streaming: each runs
 * `batch`, its weights over the interconnect, plan_stream_link). */
void engine_roofline_run(const struct plan *p, const struct machine *m,
			 int64_t batch, int64_t infer_samples, int wafers,
			 struct engine_roofline *out);

#endif
