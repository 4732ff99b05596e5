/*
 * plan.h: what every PE runs, where, and what it sends to whom.
 *
 * The plan is the hand-off from the compiler (map.c, place_*.c, route.c) to
 * the engine (sim/engine.c) and the trace writers (traces/).  It is a plain
 * value: it can be written to YAML and read back (plan_io.c), so users can
 * hand-edit rectangles.
 *
 * A STAGE is one kernel on one rectangle: one graph layer, or several fused
 * (a dense layer with its activation, normalisation and dropout).  Per-PE
 * work is given for the busiest PE of the stage (the kernels tile evenly up
 * to rounding, so the busiest PE sets the stage's pace).
 *
 *        x ->  (east)
 *     y  +---------------------------------------------+
 *     |  | stage 0 | stage 1 |   stage 2    |          |
 *     v  | (w0,h0) |         |              |  unused  |
 *        |---------+---------+--------------+          |
 *   west |  routes: dimension-ordered paths between    |  east
 *   edge |  rectangle edges, one color each            |  edge
 *        +---------------------------------------------+
 *
 * Dense kernel on a w x h rectangle (the reference mapping, compiler/map.c):
 * the weight matrix [K in, N out] is tiled so the PE in column j, row i
 * holds a tile_k x tile_n block, tile_k = ceil(K/w) (the K slice is chosen
 * by the column) and tile_n = ceil(N/h) (the N slice by the row).  The input
 * vector enters at the north edge and column j's K slice is broadcast down
 * the column (bcast_axis = AXIS_Y); partial sums are reduced along rows to
 * the east edge (reduce_axis = AXIS_X), where the fused epilogue (bias,
 * activation, normalisation, dropout) runs and the output leaves.  Backward
 * runs the transposed flows (dy slices broadcast along rows, dx partial sums
 * reduced down columns to the south edge); the weight gradient is a local
 * outer product; the update is local.  The axes are always given explicitly
 * in struct kernel_work: the engine should read them, not assume them.
 *
 * Execution modes:
 *   MODE_PIPELINED  every stage owns its rectangle for the whole run; the
 *                   rectangles never overlap; samples are pipelined.
 *   MODE_STREAMING  stages run one at a time, each on the whole wafer (all
 *                   rectangles are the full grid and do overlap); the
 *                   weights of a stage stream in from external memory
 *                   (plan_stage.stream_bytes) and the gradients out.
 *
 * Ownership: every pointer in a plan is owned by it (plan_release frees).
 * The compiler's entry points (plan_build, plan_load, plan_check) are in
 * compiler/place.h and compiler/plan_io.h.
 */
#ifndef WAFERSIM_PLAN_H
#define WAFERSIM_PLAN_H

#include <stdint.h>
#include <stdio.h>

#include "compiler/graph.h"
#include "cores/pe.h"
#include "ground/diag.h"
#include "machine/machine.h"

#define PLAN_MAX_FUSED 8

enum exec_mode { MODE_AUTO = 0, MODE_PIPELINED, MODE_STREAMING };

/* The job a plan is compiled for.  Training: the step (forward, backward
 * data, weight gradient, update); inference: the forward pass alone, so
 * a dense stage's algorithm is picked for the forward's latency and pace
 * (compiler/map.h).  A training plan also runs inference (its forward). */
enum plan_job { PLAN_JOB_TRAIN = 0, PLAN_JOB_INFER };

/* An inference plan serves a stream of predictions (a model is run
 * billions of times; `run`'s headline is predictions/s, one over the
 * steady interval): its objective (compiler/plan_build.c est_cost) is
 * the time of PLAN_INFER_STREAM predictions, the first sample's latency
 * then PLAN_INFER_STREAM - 1 intervals, per prediction: the interval
 * decides, the latency breaks near ties (docs/placement.md, "The
 * objective").  [U] a choice: 1024 and 65536 keep the same plans on the
 * zoo (wse2); the plan's batch (32) in its place let the latency decide
 * (uno: 2.79 M predictions/s at 22.9 us, against 4.80 M at 41.3 us). */
#define PLAN_INFER_STREAM 1024

enum kernel_kind {
	KERNEL_DENSE = 0,   /* dense / gemm with fused epilogue */
	KERNEL_CONV,	    /* convolution, tiled over channels and positions */
	KERNEL_MATMUL,	    /* activation x activation */
	KERNEL_ATTENTION,   /* attention core */
	KERNEL_EMBEDDING,   /* table gather */
	KERNEL_ELEMENTWISE, /* pooling, norms, activations, add, concat, ... */
	KERNEL_LOSS,
	KERNEL_COUNT
};

enum plan_axis { AXIS_X = 0, AXIS_Y = 1 }; /* X: along a row, Y: a column */

struct rect {
	int32_t x, y, w, h; /* top-left corner (west, north) and size in PEs */
};

/* Communication and compute of the busiest PE of a stage, for one sample of
 * one pass (PASS_UPDATE: once per optimizer step). */
struct kernel_work {
	struct pe_work pe;	/* compute, in cores/ units */
	int64_t bcast_wavelets; /* received by multicast along bcast_axis */
	enum plan_axis bcast_axis;
	int64_t reduce_wavelets; /* partial sums sent along reduce_axis */
	enum plan_axis reduce_axis;
	int64_t halo_wavelets; /* exchanged with mesh neighbours */
	int64_t out_wavelets;  /* the whole stage's output for one sample */
	/* the busiest link inside the rectangle, when it carries more than
	 * a PE's own streams (GEMM row groups: other groups' rows pass
	 * through, compiler/map.c), else 0 */
	int64_t link_wavelets;
};

/* SRAM use of the fullest PE of a stage, in bytes. */
struct sram_use {
	int64_t weights, grads, opt_state;
	int64_t activations; /* kept for backward, all samples in flight */
	int64_t buffers;     /* input/output staging */
	int64_t code;
	int64_t total;
};

struct plan_stage {
	char *name;
	enum kernel_kind kind;
	int n_layers;
	int layers[PLAN_MAX_FUSED]; /* graph layer ids, first is the main one */
	struct rect r;
	int64_t tile_k, tile_n; /* per-PE tile of the main operation */
	struct kernel_work work[PASS_COUNT];
	struct sram_use sram;
	cycles_t est_cycles[PASS_COUNT]; /* analytic, per sample (update: step);
					  * one sample alone, fill latency
					  * across the rectangle included */
	/* --- added by the placement engineer (all additive) --- */
	int64_t samples_in_flight; /* samples whose activations it keeps
				    * (1F1B: map_in_flight in map.h) */
	int64_t min_pes;	   /* fewest PEs whose SRAM holds the stage */
	int64_t stream_bytes;	   /* STREAMING: weight bytes streamed in per
				    * step (0 in pipelined mode) */
	cycles_t stage_cycles;	   /* pace: per sample, the busiest resource
				    * (compute or inbound wavelets) summed
				    * over FWD, BWD_DATA, BWD_WEIGHT, plus
				    * UPDATE / batch; fill latency excluded
				    * (est_cycles includes it) */
	int line, col; /* where the stage was read (plan_load), or 0 */
	/* --- added (additive): the algorithm a dense stage runs --- */
	int kernel;	      /* enum kern_alg (compiler/kern.h); 0 = stream,
			       * the mapping described above */
	int64_t kernel_groups; /* gemv_grouped: G */
	/* GEMM row groups (compiler/map.c gemm_split): the rectangle cut
	 * into row_groups_x x row_groups_y copies of the weights, each
	 * serving its own rows of a sample; 1 x 1 (or 0) = one copy */
	int32_t row_groups_x, row_groups_y;
	/* STREAMING: 1 when the stage's activations are not kept for
	 * backward but recomputed from its segment's checkpoint (its forward
	 * runs again before its backward; compiler/microbatch.h) */
	int recompute;
	/* --- added (additive): a shared layer's applications in turn --- */
	/* A stage applying weights another stage owns (graph.h param_owner;
	 * Uno's second drug encoder) either keeps a replica on a rectangle of
	 * its own, synced once per step (SHARE_REPLICAS: the sync routes
	 * below), or runs on the owner's stage's rectangle, `host`, which
	 * then serves every application in turn (SHARE_TIME: no replica, no
	 * sync; the rectangle's pace is the sum of its stages').  0 for every
	 * other stage.  Plan YAML: `sharing: replicas|time_shared` on the
	 * stages that apply another's weights (compiler/map_share.h). */
	int sharing; /* enum plan_sharing */
	int host;    /* SHARE_TIME: the stage whose rectangle it runs on */
	/* An embedding with an input (a table lookup): rows in the table
	 * and ids per sample (a streamed pass brings only the rows its ids
	 * select, at most one per id); 0 otherwise (compiler/map.c) */
	int64_t lookup_rows, lookup_ids;
	/* --- added (additive): sample copies --- */
	/* Pipelined: the stage's rectangle holds `copies` (R) whole copies
	 * of the stage, interleaved by columns (copy c has the columns
	 * x + c, x + c + R, ...: plan_copy_rect), each with the full stage
	 * state; sample s runs on copy s mod R, so the stage serves R
	 * samples at once (its pace per sample is its task time / R, the
	 * latency per sample unchanged).  Interleaved, a copy's PE has its
	 * counterparts in the next columns: once per step, in the update,
	 * the copies' weight gradients are summed over one link each and the
	 * updated weights sent back; the copies' flows along X share the
	 * links between their columns (compiler/map.c "sample copies").  The
	 * work, SRAM and tiles above are one copy's.  0 or 1: one copy.
	 * Plan YAML: `copies: R` (written when R > 1). */
	int32_t copies;
};

/* The most sample copies a stage may have. */
#define PLAN_MAX_COPIES 16

enum plan_sharing { SHARE_REPLICAS = 0, SHARE_TIME, SHARE_COUNT };

struct plan_point {
	int32_t x, y;
};

struct plan_route {
	int src_stage; /* -1: host input entering at the wafer edge */
	int dst_stage; /* -1: host output leaving at the wafer edge */
	int color;
	enum pass pass; /* PASS_FWD activations, PASS_BWD_DATA gradients */
	int64_t wavelets_per_sample;
	/* Corners of a dimension-ordered path (X first, then Y), src to dst:
	 * the first point lies in the source rectangle (its output port) or
	 * on an I/O edge for the host, the last in the destination. */
	int n_points;
	struct plan_point *points;
	/* Routes sharing a source tree (fan-out) share an id and a color;
	 * -1 for a route of its own. */
	int multicast_group;
	/* --- added (additive) --- */
	/* Graph tensor carried (its gradient for BWD_DATA), or -1. */
	int tensor;
	int64_t hops; /* links crossed: sum of |dx| + |dy| over the path */
	int line, col; /* where the route was read (plan_load), or 0 */
	/* --- added (additive): shared-weight synchronisation --- */
	/* ROUTE_SAMPLE (0): the routes above, wavelets_per_sample per sample.
	 * ROUTE_GRAD_SYNC: once per step, from a stage holding a replica of
	 * shared weights (graph.h param_owner) to the owner's stage: the
	 * replica's weight gradients (fp32), summed into the owner's before
	 * the owner's update (pass PASS_BWD_WEIGHT).
	 * ROUTE_WEIGHT_SYNC: once per step, owner -> replica: the updated
	 * weights (fp16 in mixed/fp16 precision, fp32 otherwise), needed
	 * before the replica's next forward (pass PASS_UPDATE).
	 * Sync routes join two distinct stages (never the host), carry
	 * bytes_per_step > 0 and wavelets_per_sample 0; pipelined plans only.
	 * In plan YAML they add `kind: grad_sync|weight_sync` and
	 * `bytes_per_step: N` (absent for sample routes). */
	int kind;		/* enum route_kind */
	int64_t bytes_per_step; /* sync routes: bytes once per step, else 0 */
};

enum route_kind { ROUTE_SAMPLE = 0, ROUTE_GRAD_SYNC, ROUTE_WEIGHT_SYNC,
		  ROUTE_KIND_COUNT };

/*
 * Kernel colors: every router inside a stage's rectangle keeps this many
 * colors for the kernel's own broadcast and reduction flows (forward and
 * backward); routes between stages use the remaining ones there.
 */
#define PLAN_KERNEL_COLORS 4

struct plan {
	char *network;	/* graph name */
	char *machine;	/* machine name */
	char *strategy; /* placement strategy that made it ("hand" if edited) */
	enum exec_mode mode;
	char mode_reason[256];
	enum pe_prec prec;
	int64_t batch;
	/* Largest stage samples_in_flight: pipeline depth for activations. */
	int64_t samples_in_flight;
	int n_stages;
	struct plan_stage *stages;
	int n_routes;
	struct plan_route *routes;
	int colors_used;
	/* --- added (additive): summary figures, grid, provenance --- */
	int64_t grid_w, grid_h; /* machine grid the plan was made for */
	int64_t pes_used;	/* PEs inside some stage's rectangle */
	int bottleneck_stage;	/* stage with the largest stage_cycles, or -1 */
	cycles_t bottleneck_cycles;   /* its stage_cycles: time per sample */
	/* Sum over routes of wavelet bytes x hops, per sample. */
	int64_t hop_bytes_per_sample;
	int64_t max_sram_bytes;	      /* largest sram.total over stages */
	int64_t min_pes_total;	      /* sum of stages' min_pes */
	enum optimizer opt; /* optimizer the training state is sized for */
	uint64_t seed;	    /* strategy seed (anneal) */
	double compile_s;   /* wall seconds plan_build took (not written) */
	/* A strategy's remark, e.g. "stopped by time budget after N moves". */
	char strategy_note[128];
	/* Bytes entering from the host per sample (input routes, a multicast
	 * tree once), and the cycles they take at io.bandwidth_gbytes_s: the
	 * pace when that exceeds the bottleneck stage. */
	int64_t host_bytes_per_sample;
	double host_cycles_per_sample;
	/* The objective (compiler/plan_estimate.h), filled by
	 * plan_summarise: estimated training step and inference interval,
	 * in cycles, and what sets the step. */
	double est_step_cycles, est_infer_cycles;
	char est_limit[200];
	/* Wall seconds that estimate took (issue 14: at most 50 ms). */
	double est_eval_s;
	/* STREAMING (compiler/microbatch.h): the batch runs as micro-batches
	 * of micro_batch samples (the last may be smaller), gradients
	 * accumulated over them; recompute: activations checkpointed per
	 * segment and recomputed (stages' recompute flags).  micro_batch 0
	 * in pipelined plans.  micro_reason: why, in words. */
	int64_t micro_batch;
	int recompute;
	char micro_reason[384];
	/* Wafers training data-parallel (plan_opts wafers; <= 1: one): a
	 * streamed plan's weights and gradients also cross the interconnect
	 * (plan_stream_link), which the objective charges as the engine. */
	int64_t wafers;
	/* What the plan was compiled for (plan_opts job); files without a
	 * 'job' key are training plans. */
	enum plan_job job;
	/* How the shared layers were mapped and why (plan_build), or "". */
	char share_note[256];
	/* The work-proportional bound, cycles per sample (compiler/size.h),
	 * when a caller computed it (`place`), else 0; not written to YAML. */
	double work_bound_cycles;
};

/* Empty plan (no stages, no routes, mode MODE_AUTO, bottleneck_stage -1). */
void plan_init(struct plan *p);
/* Free everything the plan owns and leave it as after plan_init. */
void plan_release(struct plan *p);

/* Names used in plan files and reports (lowercase, stable). */
const char *plan_mode_name(enum exec_mode m);
const char *plan_kind_name(enum kernel_kind k);
const char *plan_pass_name(enum pass p);
const char *plan_prec_name(enum pe_prec p);
/* Reverse lookups: index or -1. */
int plan_mode_from_name(const char *s);
int plan_kind_from_name(const char *s);
int plan_pass_from_name(const char *s);
int plan_prec_from_name(const char *s);
/* "sample", "grad_sync", "weight_sync"; and back (index or -1). */
const char *plan_route_kind_name(int k);
int plan_route_kind_from_name(const char *s);

/* Stage id by name, or -1. */
int plan_find_stage(const struct plan *p, const char *name);

/* A stage's sample copies (at least 1), and copy c's rectangle as the
 * copy's kernel sees it: w / R columns (a remainder left idle) by h, its
 * columns one in every R of the stage's from x + c (plan_lines.c). */
int plan_copies(const struct plan_stage *s);
struct rect plan_copy_rect(const struct plan_stage *s, int c);

/* Lines (rows or columns of PEs) the stage's output of `pass` leaves by:
 * across its reduction's axis, or (no reduction) its longer edge; and
 * its input enters by: across its broadcast's axis, or its longer edge.
 * One copy's (a sample runs on one).  The engine lays routes' bundles
 * over them (plan_lines.c). */
int64_t plan_stage_out_lines(const struct plan_stage *s, int pass);
int64_t plan_stage_in_lines(const struct plan_stage *s, int pass);
/* A sample route's lanes: the fewer of its source's output lines and its
 * destination's input lines (forward, or backward data), at least 1. */
int64_t plan_route_lanes(const struct plan *p, const struct plan_route *r);

/* 1 when route i is a forward route from the host whose data crosses the
 * edge I/O: the first of its multicast tree (the tree carries the tensor
 * once, the routers copy it to every destination), or one of no tree.
 * What the host's input costs per sample, for the summary, the engine's
 * host task (compiler/plan_sched.c) and the objective alike. */
int plan_route_host_input(const struct plan *p, int i);

/* Bytes of SRAM a weight-streamed plan holds weights streamed ahead in:
 * on every PE, what the stage with the most other data (activations,
 * buffers, code, gradients) leaves free, at least the mapping's own
 * weight allowance.  One rule for the engine and the objective
 * (plan_stream.c). */
int64_t plan_stream_buffer_bytes(const struct plan *p,
				 const struct machine *m);

/* The link a weight-streamed plan's weights come in and its gradients go
 * out by, for `wafers` training data-parallel (<= 1: one): weights reach
 * every wafer through the interconnect's broadcast tree and gradients
 * come back summed through it, so a stream runs at the slower of the
 * external memory and a wafer's interconnect link (bytes per cycle), and
 * crosses one switch per level of a `radix`-way tree each way
 * (ceil(log_radix(wafers)) levels, none for one wafer) after the
 * memory's latency (cycles).  One rule for the engine and its bound. */
void plan_stream_link(const struct machine *m, int64_t wafers,
		      double *bytes_per_cycle, cycles_t *latency_cycles);

/* Recompute the summary figures (pes_used, bottleneck, hop bytes, max SRAM,
 * min_pes_total, route hops, colors_used, host bytes and cycles) from
 * stages and routes.  `m` may be NULL (host cycles then 0). */
void plan_tally(struct plan *p, const struct machine *m);
/* plan_tally, then (m given) the objective: est_step_cycles,
 * est_infer_cycles, est_limit (compiler/plan_estimate.h), which replays
 * the plan and so costs far more than the tally. */
void plan_summarise(struct plan *p, const struct machine *m);

#endif
