/*
 * trace_int.h: inside traces/ only.  struct trace_data is a self-contained
 * snapshot of what every picture shows, so that pictures can be drawn from
 * a live run (trace_data_build) or from saved files (trace_data_load) by the
 * same code.
 *
 *   trace_data
 *     run:     names, job, mesh size, clock, SRAM per PE, total cycles,
 *              steps and samples simulated
 *     stages[] rectangle, time breakdown, SRAM bytes, send/receive shares
 *     routes[] corner points, wavelets, pass
 *     nodes[], edges[]   the network graph (empty when no graph was given)
 *     win      per window: stage busy (ref PE), PE util, fabric util, power
 *     pe_util[W*H], link_util[W*H*4] (id = (y*W + x)*4 + dir), NULL if absent
 *     gpu      the baseline comparison figures
 */
#ifndef WAFERSIM_TRACE_INT_H
#define WAFERSIM_TRACE_INT_H

#include <stdint.h>
#include <stdio.h>

#include "compiler/plan.h"
#include "ground/diag.h"
#include "ground/stat_field.h"
#include "traces/trace.h"

#define TRACE_FORMAT	     "wafersim-trace"
#define TRACE_FORMAT_VERSION 2

struct trace_stage {
	char *name;
	char *kind;
	struct rect r;
	int64_t pes;
	double compute_cycles, comm_cycles, wait_in_cycles, wait_out_cycles;
	double recv_share;	/* share of comm spent receiving (0..1) */
	double ref_busy_cycles; /* reference PE: compute + comm */
	int64_t sram_bytes;	/* fullest PE */
	double fma;
	char *limit;
	int copies;		/* sample copies (compiler/plan.h), >= 1 */
};

/* The stage's fields (stats.json, stages.csv, breakdown.csv), by index. */
enum {
	TS_NAME, TS_KIND, TS_X, TS_Y, TS_W, TS_H, TS_PES, TS_COMPUTE,
	TS_COMM, TS_WAIT_IN, TS_WAIT_OUT, TS_RECV_SHARE, TS_REF_BUSY,
	TS_SRAM, TS_FMA, TS_LIMIT, TS_COPIES, TS_FIELDS
};
extern const struct stat_field trace_stage_fields[TS_FIELDS];

struct trace_route {
	int src, dst, color;
	char *pass;
	int64_t wavelets;
	int kind; /* enum route_kind: samples, gradient or weight sync */
	int64_t lanes; /* parallel rows/columns of its bundle (0: unknown) */
	int n_points;
	struct plan_point *points;
};

/* The route's fields (points apart: a list of corners). */
enum {
	TR_SRC, TR_DST, TR_COLOR, TR_PASS, TR_WAVELETS, TR_KIND, TR_LANES,
	TR_FIELDS
};
extern const struct stat_field trace_route_fields[TR_FIELDS];

struct trace_node {
	char *name, *op, *shape;
	int64_t params;
	double flops_fwd; /* per sample */
	int stage;	  /* -1: not placed (free op, input) */
};

struct trace_edge {
	int from, to; /* node ids */
	char *label;
	int dashed; /* shared weights */
};

/* One panel of the GPU chart: a training step, or one prediction. */
struct trace_gpu_panel {
	int present;
	double wafer_s, wafer_j;	   /* per step / per prediction */
	double gpu_s[2], gpu_j[2];	   /* eager, graph-captured */
	double speedup[2], energy_ratio[2]; /* per sample, GPU over wafer */
	int64_t batch, gpu_batch;	   /* each figure's batch */
};

enum { TRACE_GPU_TRAIN, TRACE_GPU_INFER };

struct trace_gpu {
	int present;
	char *name;
	int n_gpus;
	struct trace_gpu_panel p[2]; /* TRACE_GPU_TRAIN, TRACE_GPU_INFER */
};

/* A recorded span (sim/stats.h struct stats_span), cycles. */
struct trace_span {
	double t0, t1, comp;
	int32_t id;
	uint32_t sample;
	int kind; /* enum stats_span_kind */
};

struct trace_data {
	char *network, *machine, *strategy, *job, *mode;
	int64_t width, height;
	double clock_ghz;
	int64_t sram_bytes_per_pe;
	double total_cycles;
	int64_t steps;	 /* training steps simulated (0: inference) */
	int64_t samples; /* samples simulated (all steps) */
	int n_stages, n_routes, n_nodes, n_edges;
	struct trace_stage *stages;
	struct trace_route *routes;
	struct trace_node *nodes;
	struct trace_edge *edges;
	/* time windows */
	int n_win;
	double window_cycles;
	double *stage_busy; /* [n_win * n_stages] */
	double *win_pe_util, *win_fabric_util, *win_power_w; /* [n_win] */
	double avg_power_w, energy_j;
	float *pe_util;	     /* [W*H], NULL if absent */
	float *link_util;    /* [W*H*4], NULL if absent */
	int link_dirs_saved; /* link_util holds 4 directions (else the
				busiest in slot 0 of each PE) */
	struct trace_gpu gpu;
	/* recorded task spans (empty: the timeline uses the windows) */
	int64_t n_spans, spans_dropped;
	struct trace_span *spans;
};

void trace_data_init(struct trace_data *t);
void trace_data_release(struct trace_data *t);
int trace_data_build(const struct report_in *r, struct trace_data *t);
/* stats.json + grid CSVs into dir */
int trace_data_save(const struct trace_data *t, const char *dir,
		    const struct trace_opts *o, struct diag *d);
int trace_data_load(const char *dir, struct trace_data *t, struct diag *d);

/* Busiest outgoing link of PE id, wavelets per cycle. */
float trace_link_max(const struct trace_data *t, int64_t id);

/* Renderers (each writes its files into dir). */
int trace_chrome_write(const struct trace_data *t, const char *dir,
		       const struct trace_opts *o, struct diag *d);
int trace_heat_write(const struct trace_data *t, const char *dir,
		     const struct trace_opts *o, struct diag *d);
int trace_place_write(const struct trace_data *t, const char *dir,
		      const struct trace_opts *o, struct diag *d);
/* graph.dot now; Graphviz draws graph.svg and graph.png in the background
 * (*job: its process, or -1); trace_graph_finish waits for it. */
int trace_graph_start(const struct trace_data *t, const char *dir,
		      const struct trace_opts *o, struct diag *d, long *job);
void trace_graph_finish(const char *dir, long job, const struct trace_opts *o);
int trace_plot_write(const struct trace_data *t, const char *dir,
		     const struct trace_opts *o, struct diag *d);

/* Pixels per PE (>= 1) or PEs per pixel (bin > 1) for a mesh. */
void trace_heat_scale(int64_t w, int64_t h, int heat_bin, int *scale, int *bin);
/* Points of a map side of `cells` PEs at that scale. */
int trace_px_of(int64_t cells, int scale, int bin);
/* 1 where a stage's rectangle covers the PE ([W*H], heap). */
uint8_t *trace_used_mask(const struct trace_data *t);
/* The first stage on stage s's rectangle: s, or the host whose PEs s
 * time-shares (a shared layer's guest; pipelined plans only, where
 * distinct stages never overlap). */
int trace_stage_host(const struct trace_data *t, int s);
/* "6+3" : host s and the guests on its rectangle, into buf[n]. */
void trace_stage_ids(const struct trace_data *t, int s, char *buf, size_t n);

/* Run argv (a program found on PATH) inside dir, output discarded; if tmp
 * is given (a file name ending ".tmp" in dir) rename it to its final name
 * on success, remove it on failure.  0 on success, 1 if the program is
 * missing or failed. */
int trace_run_tool(const char *dir, const char *const *argv, const char *tmp);
/* The same in two steps: start (a job id, or -1), then wait (0 ok, 1 not). */
long trace_tool_start(const char *dir, const char *const *argv);
int trace_tool_wait(long job);
/* Rename dir/tmp (ending ".tmp") into place if ok, else remove it; 0 if
 * it is in place. */
int trace_tmp_commit(const char *dir, const char *tmp, int ok);

/* "dir/name" (heap). */
char *trace_path(const char *dir, const char *name);

#endif
