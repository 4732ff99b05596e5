/*
 * stats.h: what a simulation measured.  Filled by engine_run() (engine.h),
 * read by energy.h, report.h and the trace writers (traces/).  Plain data;
 * every array is owned by the struct stats and freed by stats_release().
 *
 * Four levels, each documented where it is declared:
 *
 *   stats                 the run: job, batch, cycles, step and sample times
 *   stats.stages[s]       one per plan stage (same index as plan.stages)
 *   stats.routes[r]       one per plan route (same index as plan.routes)
 *   stats.pe_busy_cycles  one per PE of the machine,  id = y * width + x
 *   stats.link_wavelets   one per directed link,      id = pe_id * 4 + dir
 *                         (dir: N, S, E, W as fabric/mesh.h, mesh_link())
 *   stats.win             time windows: series over the run
 *
 * Time windows (for timelines):
 *
 *     cycle 0         window_cycles                      total_cycles
 *     |  win 0  |  win 1  |  win 2  |   ...   |  win n-1  |
 *
 * `window_cycles` is chosen by the engine (it starts small and doubles,
 * merging neighbours, so that n stays <= STATS_MAX_WINDOWS whatever the
 * length of the run).  Per window: busy cycles of each stage's reference PE
 * (stage_busy[w * n_stages + s]; divide by window_cycles for utilisation),
 * and counts summed over every PE and link (operations, SRAM accesses,
 * wavelet hops, I/O bytes), from which energy.h derives power over time.
 * Work of a task is spread evenly over the cycles the task occupies.
 *
 * Per-stage times are those of the stage's reference PE (its busiest one)
 * and always add up: compute + comm + wait_in + wait_out == total_cycles.
 */
#ifndef WAFERSIM_STATS_H
#define WAFERSIM_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "compiler/plan.h"
#include "fabric/mesh.h"
#include "ground/json_io.h"
#include "ground/util.h"

#define STATS_MAX_WINDOWS 256

/* What sets the pace of a stage, a route or the whole run. */
enum stats_limit {
	LIMIT_COMPUTE = 0, /* PE datapath (FMA and vector lanes) */
	LIMIT_SRAM,	   /* SRAM read or write ports */
	LIMIT_FABRIC,	   /* wavelets through a PE's ramp or a link */
	LIMIT_IO,	   /* host I/O at the wafer edge */
	LIMIT_EXTMEM,	   /* weight streaming from external memory */
	LIMIT_TASKS,	   /* software: task starts and the program around
			    * the work (cores/pe_sw.h) */
	LIMIT_COUNT
};
const char *stats_limit_name(enum stats_limit l);

enum stats_job { STATS_TRAIN = 0, STATS_INFER };

/* Link directions: the link leaving a PE's router towards a neighbour.
 * Same numbering as fabric/mesh.h (DIR_NORTH.. and mesh_link()), so
 * link_wavelets[mesh_link(id, dir)] is that link's load. */
enum { LINK_NORTH = DIR_NORTH, LINK_SOUTH = DIR_SOUTH, LINK_EAST = DIR_EAST,
       LINK_WEST = DIR_WEST, LINK_DIRS = MESH_LINK_DIRS };

struct stats_stage {
	char *name;		/* copy of the plan stage's name */
	enum kernel_kind kind;
	struct rect r;
	int64_t pes;		/* PEs in the rectangle (the class multiplicity) */
	/* the reference PE over the run, cycles (sum == total_cycles) */
	cycles_t compute_cycles;  /* datapath, SRAM ports, task starts */
	cycles_t comm_cycles;	  /* occupied by wavelets beyond compute */
	cycles_t wait_in_cycles;  /* idle: no task had its inputs (fill too) */
	cycles_t wait_out_cycles; /* a task was ready, output space was not */
	/* one task of each pass: occupancy of the reference PE, and the
	 * latency from inputs at the edge to outputs at the edge */
	cycles_t occ_cycles[PASS_COUNT];
	cycles_t latency_cycles[PASS_COUNT];
	int64_t tasks[PASS_COUNT]; /* tasks run (stage level) */
	/* sample copies running the stage's tasks side by side
	 * (compiler/plan.h `copies`): 1 without; a forward or backward
	 * task keeps one copy busy, so a sample costs the stage occ / copies
	 * (stats_stage_sample_cycles); compute and comm cycles are a PE's */
	int copies;
	int64_t held_max;	   /* training, pipelined: most samples whose
				    * activations it held at once (forwards
				    * started less backwards started; at most
				    * compiler/plan_credit.h plan_act_slots) */
	enum stats_limit limit;	   /* what sets occ of forward + backward */
	/* totals over every PE of the stage and the whole run */
	int64_t fma, ew, sram_reads, sram_writes;
	int64_t wavelet_hops;	   /* inside the rectangle */
	cycles_t first_cycle, last_cycle; /* first task start, last task end */
	/* weight streaming only: weight bytes in and gradient bytes out */
	int64_t extmem_in_bytes, extmem_out_bytes;
	cycles_t stream_span_cycles; /* from weights starting to stream in to
					the layer's last task end (max pass) */
};

struct stats_route {
	int src_stage, dst_stage; /* stage ids, -1: host (as the plan route) */
	int backward;		/* carries gradients (PASS_BWD_DATA) */
	int64_t wavelets;	/* carried over the run */
	int64_t hops;		/* links on the path */
	int64_t lanes;		/* parallel rows/columns the stream spreads on */
	cycles_t busy_cycles;	/* cycles the path was serialising this route */
	cycles_t wait_cycles;	/* cycles held by contention on its links */
	cycles_t occ_cycles;	/* serialisation of one sample */
};

struct stats_windows {
	int n;			 /* windows in use */
	cycles_t window_cycles;
	int n_stages;
	double *stage_busy;	 /* [STATS_MAX_WINDOWS * n_stages] */
	double *fma, *ew, *sram_reads, *sram_writes; /* [STATS_MAX_WINDOWS] */
	double *wavelet_hops, *io_bytes;
};

/*
 * Optional task spans for timelines (traces/): recorded only when
 * engine_opts.max_spans > 0, at most that many (later ones are counted in
 * spans_dropped), so a trace never costs unbounded memory and the engine
 * pays one untaken branch per task when off.  Times are those of the
 * stage's reference PE (class mode) or the stage-level dispatch (full).
 */
enum stats_span_kind {
	STATS_SPAN_FWD = 0,	/* a forward task: [t0, t1) occupies the PEs */
	STATS_SPAN_BWD,		/* backward to data and weights */
	STATS_SPAN_UPDATE,	/* the weight update of a step */
	STATS_SPAN_STALL,	/* ready, but a consumer had no room (wait_out) */
	STATS_SPAN_ROUTE,	/* a route serialising one sample's wavelets */
	STATS_SPAN_ROUTE_WAIT,	/* that stream held by contention first */
	STATS_SPAN_KINDS
};
struct stats_span {
	cycles_t t0, t1;
	cycles_t comp_cycles;	/* tasks: datapath part of [t0, t1); the rest
				   is wavelets through the ramp */
	int32_t id;		/* stage, or route for STATS_SPAN_ROUTE* */
	uint32_t sample;	/* sample, or step for STATS_SPAN_UPDATE */
	uint8_t kind;		/* enum stats_span_kind */
};

struct stats {
	enum stats_job job;
	enum exec_mode mode;	 /* pipelined or streaming (as simulated) */
	enum pe_prec prec;
	int full;		 /* every PE simulated separately */
	int64_t batch;		 /* samples per step (train), one wafer */
	int wafers;		 /* wafers data-parallel (streaming), >= 1 */
	int64_t micro_batch;	 /* streaming: samples per micro-batch pass */
	int recompute;		 /* streaming: activations recomputed */
	int steps;		 /* training steps simulated */
	int64_t samples;	 /* samples simulated (all steps) */
	cycles_t total_cycles;	 /* end of the last event */
	cycles_t step_first_cycles;  /* first step, pipeline fill included */
	cycles_t step_cycles;	 /* steady step: last step's end - previous end
				    (== step_first_cycles if steps == 1) */
	cycles_t infer_latency_cycles;	/* inference: first sample in to out */
	cycles_t infer_interval_cycles; /* inference: cycles per sample, steady */
	int slowest_stage;	 /* highest per-sample occupancy, -1 if none */
	int bottleneck_route;	 /* route slower than the slowest stage, or -1 */
	enum stats_limit bottleneck; /* what limits the run as a whole */
	double pace_cycles;	 /* pipelined: cycles per sample of the
				    bottleneck (stage, route or host I/O) */
	/* totals over the run */
	int64_t fma, ew, sram_reads, sram_writes, wavelet_hops;
	int64_t io_in_bytes, io_out_bytes;	 /* host I/O */
	int64_t extmem_in_bytes, extmem_out_bytes; /* weight streaming */
	cycles_t io_busy_cycles;
	uint64_t events;	 /* events popped from the queue */
	uint64_t pe_tasks;	 /* PE-level task executions simulated */
	/* per stage and route */
	int n_stages;
	struct stats_stage *stages;
	int n_routes;
	struct stats_route *routes;
	/* per PE and link of the whole machine (NULL when width*height == 0) */
	int64_t width, height;
	uint64_t *pe_busy_cycles;  /* [width * height] */
	uint64_t *link_wavelets;   /* [width * height * LINK_DIRS] */
	struct stats_windows win;
	/* task spans (see struct stats_span); NULL unless asked for */
	struct stats_span *spans;
	int64_t n_spans, cap_spans, spans_dropped;
};

void stats_init(struct stats *st);
void stats_release(struct stats *st);

/* Allocate per-stage, per-route, per-PE, per-link and window arrays
 * (zeroed). */
void stats_alloc(struct stats *st, int n_stages, int n_routes, int64_t width,
		 int64_t height);

/* Add `amount` of a counter spread evenly over [t0, t1) to the windows;
 * grows (doubles) window_cycles as needed.  `series` is one of the window
 * arrays, or stage_busy + s with stride n_stages (use the helpers below). */
void stats_win_add(struct stats_windows *w, cycles_t t0, cycles_t t1,
		   double *series, int stride, double amount);
/* Make sure windows cover cycle t (call before adding at t). */
void stats_win_cover(struct stats_windows *w, cycles_t t);

/* Make room for up to `cap` spans (0: recording stays off). */
void stats_spans_alloc(struct stats *st, int64_t cap);
/* Record a span if recording is on and there is room (else count it). */
static inline void stats_span_add(struct stats *st, int kind, int32_t id,
				  uint64_t sample, cycles_t t0, cycles_t t1,
				  cycles_t comp_cycles)
{
	if (!st->cap_spans)
		return;
	if (st->n_spans >= st->cap_spans) {
		st->spans_dropped++;
		return;
	}
	struct stats_span *v = &st->spans[st->n_spans++];
	v->t0 = t0;
	v->t1 = t1;
	v->comp_cycles = comp_cycles;
	v->id = id;
	v->sample = (uint32_t)sample;
	v->kind = (uint8_t)kind;
}

/* Per-stage sample time: forward + backward occupancy (train) or forward
 * (infer) of the reference PE, plus the update spread over the batch. */
double stats_stage_sample_cycles(const struct stats *st, int s);

/* Utilisation of PEs over the run: busy PE-cycles / (PEs x total cycles). */
double stats_pe_utilisation(const struct stats *st);

/* Everything as JSON (deterministic: fixed key order, exact doubles; a new
 * reference).  Per-PE and per-link arrays are summarised, not listed. */
json_t *stats_json(const struct stats *st);
/* The same written to out, indented by `indent` (0: one line). */
void stats_write_json(const struct stats *st, FILE *out, int indent);

#endif
