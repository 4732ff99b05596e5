/*
 * map.h: kernel mapping: graph layers -> stages -> per-PE work and SRAM.
 *
 * map_stages() groups layers into stages: each matrix-heavy op (dense, conv,
 * matmul, attention, embedding) and each loss starts a stage; normalisation,
 * activation, elementwise, dropout, pooling and shape ops are fused into the
 * stage that produces their (latest) input, where the data already sits;
 * shape ops cost nothing.  An elementwise layer fed only by network inputs
 * gets a stage of its own.
 *
 * map_kernel() fills a stage's tile, per-pass per-PE work, SRAM use and
 * analytic cycle estimate for the stage's current rectangle (s->r.w x s->r.h).
 * The reference mappings (documented with numbers in docs/placement.md):
 *   dense      tile_k = ceil(K/w), tile_n = ceil(N/h); inputs broadcast down
 *              columns, partial sums reduced along rows (see plan.h); over
 *              M > 1 rows per sample (pipelined), row groups: copies of
 *              the weights on gx x gy sub-rectangles, each serving its
 *              own rows, their gradients summed once per step, the split
 *              and the algorithm chosen together (map.c gemm_split)
 *   conv       output channels over rows (tile_n = ceil(Cout/min(h,Cout))),
 *              output positions over columns and over the row groups left
 *              when h > Cout, down to one position per PE; the groups
 *              past that split each output's input channels (hr groups,
 *              partial sums reduced down columns); input positions
 *              broadcast down columns (a grouped conv's row: its groups'
 *              channels only); halo exchange with row neighbours; weights
 *              replicated per position group, their gradients accumulated
 *              over the step and reduced along rows once, in the update;
 *              backward-data partial sums reduced down columns
 *   attention, matmul, embedding, elementwise, loss
 *              output elements spread evenly (tile_k = ceil(E/(w h)),
 *              tile_n = 1); the second operand (keys/values, table rows)
 *              broadcast along rows
 * SRAM per PE: weights, gradients, optimizer state (training state),
 * activations saved for backward for s->samples_in_flight samples, double
 * buffered input/output staging, and machine pe.code_bytes.
 */
#ifndef WAFERSIM_MAP_H
#define WAFERSIM_MAP_H

#include "compiler/graph.h"
#include "compiler/plan.h"
#include "ground/diag.h"
#include "machine/machine.h"

/* Everything map_kernel needs besides the graph and the stage. */
struct map_ctx {
	const struct graph *g;
	const struct machine *m;
	enum pe_prec prec;
	enum optimizer opt;
	enum exec_mode mode; /* PIPELINED or STREAMING */
	int64_t batch;
	int64_t stream_act_bytes; /* STREAMING: all stages' saved activations
				   * for the batch (spread over the wafer) */
	/* Dense stages (pipelined): the algorithm (compiler/kern.h) with
	 * its software costs, "auto" = the fastest that fits; NULL = the
	 * weight-stationary mapping without software costs (the default
	 * until the placement objective is retuned to them); `groups` for
	 * gemv_grouped, 0 = its fastest. */
	const char *kernel;
	int64_t groups;
	/* The plan whose stages these are, or NULL: map_fits, map_cycles
	 * and map_min_pes of a stage of it then count the stages
	 * time-shared on its rectangle (map_share.h) with it: their
	 * cycles added, their SRAM beside its own. */
	const struct plan *plan;
	/* The job the pick serves (last, so that positional initialisers
	 * leave it 0, training): PLAN_JOB_TRAIN, the lowest sum of the
	 * passes' cycles; PLAN_JOB_INFER, the lowest forward latency plus
	 * (batch - 1) forward paces, fitting the forward's SRAM. */
	enum plan_job job;
	/* 1 when the caller knows `plan` has no time-shared stage
	 * (map_share_any is 0; plan_build sets it with the sharing): the
	 * evaluations then skip looking for guests (0: they look). */
	int no_guests;
};

/* Communication between stages, one per (source stage, tensor). */
struct map_edge {
	int src;    /* stage id, or -1 for a network input (host) */
	int tensor; /* graph tensor id */
	int n_dst;  /* consumer stages */
	int dst[PLAN_MAX_FUSED * GRAPH_MAX_IO];
	int grad;      /* 1 if its gradient flows back (BWD_DATA) */
	int64_t bytes; /* per sample, at the activation precision */
};

/*
 * Group g's layers into stages: fills p->stages (names, kinds, layers;
 * rectangles zero) and returns the inter-stage edges in *edges (heap,
 * caller frees) with their count in *n_edges.  0 or WS_EINPUT (a graph
 * with no computing layer).
 */
int map_stages(const struct graph *g, enum pe_prec prec, struct plan *p,
	       struct map_edge **edges, int *n_edges, struct diag *d);

/*
 * Samples whose activations each stage keeps (sets every stage's and the
 * plan's samples_in_flight).  Pipelined, 1F1B: a stage keeps the samples
 * between its forward and its backward pass, 2 d - 1 where d is the number
 * of stages on the longest path from it to the end (itself included), at
 * most the batch; parallel branches (Uno's encoders) are not counted as
 * depth.  Streaming: the whole batch.
 */
void map_in_flight(struct plan *p, const struct map_edge *edges, int n_edges,
		   enum exec_mode mode);

/* Fill tile, work, sram, est_cycles, stage_cycles, kernel and
 * kernel_groups of `s` for its rectangle s->r (w, h >= 1) and
 * s->samples_in_flight.  With c->kernel set, a dense stage (and a
 * convolution run as a GEMM) in a pipelined plan runs the algorithm of
 * compiler/kern.h that fits SRAM and is fastest for c->job ("auto": for
 * training the lowest stage_cycles, for inference the lowest forward
 * latency plus (batch - 1) forward paces, as the engine streams samples
 * through the stage) or the one named: the weight-stationary
 * mapping above with its software (cores/pe_sw.h) in pe.sw_cycles, or
 * another algorithm whose whole time (communication inside) is the PE's
 * sw_cycles beside its FMAs, with no broadcast or reduction flows. */
void map_kernel(const struct map_ctx *c, struct plan_stage *s);
/* With an algorithm forced by c->kernel: 0 when stage s (mapped by
 * map_kernel) runs it or is not a dense product; else 1 and why, as a
 * phrase, in why[n] (not square, groups not dividing the column, SRAM). */
int map_kernel_why_not(const struct map_ctx *c, const struct plan_stage *s,
		       char *why, size_t n);

/* Largest useful width and height of a stage's rectangle (more PEs along
 * an axis would get no elements), limited by the grid. */
void map_max_shape(const struct map_ctx *c, const struct plan_stage *s,
		   int32_t *max_w, int32_t *max_h);
/* Preferred w / h of the stage's rectangle. */
double map_aspect(const struct map_ctx *c, const struct plan_stage *s);

/* map_fits, map_cycles and map_min_pes read of a stage its layers, kind,
 * sharing, host and samples_in_flight, and the same of the stages
 * time-shared on it: compiler/plan_memo.c remembers their answers by
 * exactly these (and the map_ctx's fields), so a field they come to read
 * must join its signature. */
/* Does the stage fit its SRAM on a w x h rectangle? (does not modify s) */
int map_fits(const struct map_ctx *c, const struct plan_stage *s, int32_t w,
	     int32_t h);
/* Stage cycles on w x h (does not modify s). */
cycles_t map_cycles(const struct map_ctx *c, const struct plan_stage *s,
		    int32_t w, int32_t h);

/* Fewest PEs on which the stage fits (some shape within the grid), and
 * that shape; 0 if it fits nowhere on the machine. */
int64_t map_min_pes(const struct map_ctx *c, const struct plan_stage *s,
		    int32_t *w, int32_t *h);

/* Per-sample activation bytes the stage saves for backward. */
int64_t map_saved_bytes(const struct map_ctx *c, const struct plan_stage *s);
/* Activation bytes every stage saves for the whole batch (streaming keeps
 * them on the wafer), saturating at CK_BATCH_LIMIT (ground/checked.h). */
int64_t map_stream_act_bytes(const struct map_ctx *c, const struct plan *p);
/* Bytes of training state (weights + grads + optimizer state). */
int64_t map_state_bytes(const struct map_ctx *c, const struct plan_stage *s);

#endif
