/*
 * plan_estimate.h: the placement objective.  An analytic estimate of what
 * `wafersim run` simulates for a plan, computed without the engine: the
 * training step (and the inference interval) from stage paces, route
 * serialisation and contention on shared links, the shared-weight syncs,
 * host I/O, and the pipeline's fill and drain.  The timing rules are the
 * engine's (cores/pe.h occupancy, fabric/timing.h hops, ramps and relays);
 * docs/placement.md ("The objective") says how each term is charged and
 * how close it comes to the simulated step.
 */
#ifndef WAFERSIM_COMPILER_PLAN_ESTIMATE_H
#define WAFERSIM_COMPILER_PLAN_ESTIMATE_H

#include "compiler/plan.h"
#include "machine/machine.h"

struct plan_est {
	double step_cycles;   /* training step (batch of plan->batch) */
	double infer_cycles;  /* inference: cycles between predictions */
	double pace;	      /* per sample, the slowest of what follows */
	double stage_pace;    /* slowest stage: forward, backward, and its
			       * update's share of the batch (as `run`'s
			       * cycles per sample of a stage) */
	int pace_stage;	      /* that stage, -1 none */
	int pace_route;	      /* the slowest sample route; -1 none, or a
			       * link several share holds longer */
	double route_pace;    /* slowest route, contention included */
	double io_pace;	      /* host input per sample */
	double fill, drain;   /* first forward; its turnaround back */
	double pipeline;      /* the step before update and sync */
	double update;	      /* longest update */
	double sync;	      /* shared-weight round, contention included */
	double sync_block;    /* drain held up by early gradient syncs */
	char limit[200];      /* what sets the step, in words, named */
};

/* The estimate of plan p on machine m (clock from m). */
void plan_estimate(const struct plan *p, const struct machine *m,
		   struct plan_est *e);

/* The same, the training step only: infer_cycles is the closed form's,
 * not the replayed schedule's (what the placement search compares, at
 * half the cost). */
void plan_estimate_step(const struct plan *p, const struct machine *m,
			struct plan_est *e);

/* Microseconds per training step, samples per second (training and
 * inference) of an estimate. */
double plan_est_step_us(const struct plan_est *e, const struct machine *m);
double plan_est_train_rate(const struct plan_est *e, const struct plan *p,
			   const struct machine *m);
double plan_est_infer_rate(const struct plan_est *e, const struct machine *m);

/* Occupancy of one task of `w` on a PE: the busiest of datapath, SRAM
 * ports and task starts, or the ramp (one wavelet per cycle each way,
 * task starts on top); the engine's rule. */
cycles_t plan_task_occ(const struct machine *m, enum pe_prec prec,
		       const struct kernel_work *w);

/* A sync route's lanes (weights and gradients lie over the whole
 * rectangles): the source's extent across its first hop, the
 * destination's across its last, the fewer, no wider than the grid; as
 * the engine bundles the stream. */
int64_t plan_sync_lanes(const struct plan *p, const struct machine *m,
			const struct plan_route *r);

/* The busiest link's hold per sample: the sum, over the sample routes
 * whose bundles (as the engine lays them) cross it, of their
 * serialisations ser[i] (plan_estimate_links.c). */
double plan_link_load(const struct plan *p, const struct machine *m,
		      const double *ser);

/* A route's bundle as the engine lays it: the plan route's path (walked
 * backward when `reverse`: a backward route the engine derives from a
 * forward one) and its lanes. */
struct plan_bundle {
	const struct plan_route *r;
	int reverse;
	int64_t lanes;
};

/* The engine's lanes of bundle b between stages src and dst (src ==
 * p->n_stages: the host; dst < 0: to the host), forward or backward, a
 * sync route or not; its hops inside the grid in *hops
 * (plan_estimate_links.c). */
int64_t plan_bundle_lanes(const struct plan *p, const struct machine *m,
			  const struct plan_bundle *b, int src, int dst,
			  int fwd, int sync, int64_t *hops);

/* share[i] (heap, n_share[i] entries, ascending; NULL when none): the
 * bundles j holding a lane link in common with bundle i (lanes set), so
 * that their streams serialise in the engine; a bundle shares with itself
 * unless it has no link inside the grid.  Pairs are tested within cells
 * of the plane they run in: time about linear in the links. */
void plan_bundles_share(const struct machine *m, int n,
			const struct plan_bundle *b, int **share, int *n_share);

/* The engine's pipelined schedule replayed at stage level
 * (plan_estimate_replay.c): training (train 1) `steps` steps of `batch`,
 * the last step's cycles; inference, `samples` samples, the steady
 * interval between predictions.  -1 for a streaming plan, or when the
 * plan deadlocks (an input route missing). */
double plan_replay(const struct plan *p, const struct machine *m, int train,
		   int64_t batch, int steps, int64_t samples);

/* One task from its start to its output leaving the rectangle:
 * occupancy, or ramps, broadcast fill, partial sums final and the
 * reduction relay, whichever is longer (plan_task.c). */
double plan_task_time(const struct machine *m, enum pe_prec prec,
		      const struct rect *r, const struct kernel_work *w);

/* Sample copies interleaved by columns (plan.h `copies`, compiler/map.c):
 * a link between two columns carries every copy's flows along X of task
 * k (a row's reduction, a broadcast along the row, halos), `copies` times
 * one copy's; raises k->link_wavelets to that. */
void plan_copies_flows(struct kernel_work *k, int copies);

/* A stage's cycles per sample of tasks `w` on `copies` sample copies
 * (plan.h): the task's occupancy over its copies, which serve that many
 * samples at once (the schedule's servers, plan_sched.c).  */
double plan_task_pace(const struct machine *m, enum pe_prec prec,
		      const struct kernel_work *w, int copies);

/* n samples streamed through tasks `w` of a stage with `copies` sample
 * copies, each copy on rectangle r: the first's task time
 * (plan_task_time), then one every plan_task_pace.  What the inference
 * kernel pick weighs (compiler/map_kern.c), and what the engine's
 * schedule gives a stage that nothing else holds up. */
double plan_stream_time(const struct machine *m, enum pe_prec prec,
			const struct rect *r, const struct kernel_work *w,
			int copies, int64_t n);

/* A task's latency beyond its occupancy (ramps, broadcast fill, the
 * reduction relay), the engine's rule. */
double plan_task_lat(const struct machine *m, enum pe_prec prec,
		     const struct plan_stage *s, int pass);

/* Weight streaming: cycles of the last of two training steps of batch B
 * (train 1) or of one forward pass of B samples (train 0), host input io
 * cycles per sample; the engine's chain (plan_estimate_stream.c). */
double plan_stream_chain(const struct plan *p, const struct machine *m,
			 double B, int train, double io);

#endif
