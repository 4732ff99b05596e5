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
 * Dense kernel on a w x h rectangle (the reference mapping): the weight
 * matrix [K in, N out] is tiled so PE (i, j) holds a (K/h) x (N/w) block.
 * The input vector is broadcast down columns (each column needs K/h values
 * per row, multicast along the column); partial sums are reduced along rows
 * to the east edge; backward runs the transposed flows; the weight gradient
 * is a local outer product; the update is local.
 */
#ifndef WAFERSIM_PLAN_H
#define WAFERSIM_PLAN_H

#include <stdint.h>
#include <stdio.h>

#include "compiler/graph.h"
#include "cores/pe.h"
#include "sim/diag.h"
#include "sim/machine.h"

#define PLAN_MAX_FUSED 8

enum exec_mode { MODE_AUTO = 0, MODE_PIPELINED, MODE_STREAMING };

enum kernel_kind {
	KERNEL_DENSE = 0,  /* dense / gemm with fused epilogue */
	KERNEL_CONV,	   /* convolution, tiled over channels and positions */
	KERNEL_MATMUL,	   /* activation x activation */
	KERNEL_ATTENTION,  /* attention core */
	KERNEL_EMBEDDING,  /* table gather */
	KERNEL_ELEMENTWISE,/* pooling, norms, activations, add, concat, ... */
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
	struct pe_work pe;	  /* compute, in cores/ units */
	int64_t bcast_wavelets;	  /* received by multicast along bcast_axis */
	enum plan_axis bcast_axis;
	int64_t reduce_wavelets;  /* partial sums sent along reduce_axis */
	enum plan_axis reduce_axis;
	int64_t halo_wavelets;	  /* exchanged with mesh neighbours */
	int64_t out_wavelets;	  /* the whole stage's output for one sample */
};

/* SRAM use of the fullest PE of a stage, in bytes. */
struct sram_use {
	int64_t weights, grads, opt_state;
	int64_t activations;	/* kept for backward, all samples in flight */
	int64_t buffers;	/* input/output staging */
	int64_t code;
	int64_t total;
};

struct plan_stage {
	char *name;
	enum kernel_kind kind;
	int n_layers;
	int layers[PLAN_MAX_FUSED]; /* graph layer ids, first is the main one */
	struct rect r;
	int64_t tile_k, tile_n;	    /* per-PE tile of the main operation */
	struct kernel_work work[PASS_COUNT];
	struct sram_use sram;
	cycles_t est_cycles[PASS_COUNT]; /* analytic, per sample (update: step) */
};

struct plan_point {
	int32_t x, y;
};

struct plan_route {
	int src_stage;	/* -1: host input entering at the wafer edge */
	int dst_stage;	/* -1: host output leaving at the wafer edge */
	int color;
	enum pass pass;	/* PASS_FWD activations, PASS_BWD_DATA gradients */
	int64_t wavelets_per_sample;
	int n_points;	/* corners of a dimension-ordered path, src to dst */
	struct plan_point *points;
	int multicast_group; /* routes sharing a source tree share an id, else -1 */
};

struct plan {
	char *network;	/* graph name */
	char *machine;	/* machine name */
	char *strategy;	/* placement strategy that made it ("hand" if edited) */
	enum exec_mode mode;
	char mode_reason[256];
	enum pe_prec prec;
	int64_t batch;
	int64_t samples_in_flight; /* pipeline depth used for activation memory */
	int n_stages;
	struct plan_stage *stages;
	int n_routes;
	struct plan_route *routes;
	int colors_used;
};

void plan_init(struct plan *p);
void plan_release(struct plan *p);

#endif
