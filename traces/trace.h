/*
 * trace.h: architecture trace files and pictures of a simulated run
 * (`wafersim run ... --trace DIR`) and their re-rendering from saved
 * statistics (`wafersim plot DIR`).  docs/traces.md shows each output.
 *
 * What goes into DIR (every plotted series also as CSV):
 *
 *   trace.json        Chrome trace-event timeline (Perfetto, chrome://tracing):
 *                     one track per stage rectangle (and per sampled PE on
 *                     request) with compute / receive / send / stall / wait-in
 *                     spans; counters: PE and fabric utilisation, power (W)
 *   stats.json        the saved statistics every picture is drawn from
 *                     (format "wafersim-trace", read back by trace_replot)
 *   pe_util.csv       per-PE busy fraction, one row per mesh row (y)
 *   link_util.csv     per-PE busiest outgoing link, wavelets per cycle
 *   heat_pe.png       wafer heatmap of PE utilisation
 *   heat_link.png     wafer heatmap of link utilisation (busiest direction)
 *   heat_link_{east,west,south,north}.png, link_util_<dir>.csv  (link_dirs)
 *   heat_sram.png     wafer heatmap of SRAM occupancy (fraction of capacity)
 *   placement.png     stage rectangles filled and labelled, routes, unused
 *                     PEs in grey; stages.csv, routes.csv
 *   graph.dot/.svg/.png  the network drawn by Graphviz: shapes, costs, and
 *                     the rectangle each layer is placed on (needs the graph)
 *   timeline.csv/.png utilisation and power over time (gnuplot)
 *   breakdown.csv/.png per-stage compute / comm / wait in / wait out (gnuplot)
 *   gpu.csv/.png      time and energy against the GPU baseline (gnuplot; only
 *                     when a GPU was given)
 *   *.gp              the gnuplot scripts, to restyle by hand
 *
 * Every picture comes as PNG, SVG and PDF.  Heatmaps and the placement map
 * are drawn with cairo (traces/trace_draw.h): fast and byte-identical.
 * gnuplot and Graphviz pictures are skipped (with a note on stderr naming
 * the Debian package, never an error) if the program is not installed.
 *
 * Layer 4, traces/ owns trace files and pictures drawn from a run's
 * statistics and plan.  It may include every layer below; sim/ and gpu/
 * (same layer); never a layer above (docs/ARCHITECTURE.md, checked by
 * tests/house/check_layers.py).
 */
#ifndef WAFERSIM_TRACE_H
#define WAFERSIM_TRACE_H

#include <stdint.h>

#include "ground/diag.h"
#include "sim/report.h"

struct trace_opts {
	int pe_tracks; /* PEs sampled per stage, each its own timeline
			  track (0: none; bounded by TRACE_MAX_PE_TRACKS) */
	int heat_bin;  /* PEs per heatmap pixel side; 0: automatic (one
			  pixel per PE up to 1200 a side, scaled up below
			  512) */
	int link_dirs; /* also one link heatmap and CSV per direction */
	int gnuplot;   /* draw the gnuplot charts (default 1) */
	int graphviz;  /* draw the network graph (default 1) */
	int quiet;     /* no notes on stderr */
};
#define TRACE_MAX_PE_TRACKS 16
/* Task and route spans a traced run records (engine_opts.max_spans): about
 * 40 bytes each in memory, 120 in trace.json; beyond it, window spans. */
#define TRACE_MAX_SPANS (1 << 18)

void trace_opts_init(struct trace_opts *o);

/*
 * Write every trace of the run in `r` (train statistics if present, else
 * inference) into directory `dir` (created if missing).  Returns 0, or
 * WS_EIO / WS_EINPUT with the reason in d.
 */
int trace_write(const struct report_in *r, const char *dir,
		const struct trace_opts *o, struct diag *d);

/*
 * Re-render every picture and CSV from `in_dir`/stats.json and its grid CSVs
 * into `out_dir` (may be the same directory).  0, WS_EIO or WS_EINPUT.
 */
int trace_replot(const char *in_dir, const char *out_dir,
		 const struct trace_opts *o, struct diag *d);

#endif
