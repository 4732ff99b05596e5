/* stats.c: simulation statistics. See stats.h. */
#include "sim/stats.h"
#include "ground/json_io.h"
#include "ground/stat_field.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

const char *stats_limit_name(enum stats_limit l)
{
	static const char *const names[] = {"compute", "SRAM", "fabric",
					    "I/O", "external memory", "software"};
	return l < LIMIT_COUNT ? names[l] : "?";
}

void stats_init(struct stats *st)
{
	memset(st, 0, sizeof(*st));
	st->slowest_stage = -1;
	st->bottleneck_route = -1;
}

void stats_release(struct stats *st)
{
	for (int s = 0; s < st->n_stages; s++)
		free(st->stages[s].name);
	free(st->stages);
	free(st->routes);
	free(st->pe_busy_cycles);
	free(st->link_wavelets);
	free(st->win.stage_busy);
	free(st->win.fma);
	free(st->win.ew);
	free(st->win.sram_reads);
	free(st->win.sram_writes);
	free(st->win.wavelet_hops);
	free(st->win.io_bytes);
	free(st->spans);
	stats_init(st);
}

void stats_spans_alloc(struct stats *st, int64_t cap)
{
	free(st->spans);
	st->spans = NULL;
	st->n_spans = st->spans_dropped = 0;
	st->cap_spans = cap > 0 ? cap : 0;
	if (cap > 0)
		st->spans = xcalloc((size_t)cap, sizeof(*st->spans));
}

void stats_alloc(struct stats *st, int n_stages, int n_routes, int64_t width,
		 int64_t height)
{
	st->n_stages = n_stages;
	st->stages = xcalloc((size_t)(n_stages ? n_stages : 1),
			     sizeof(*st->stages));
	st->n_routes = n_routes;
	st->routes = xcalloc((size_t)(n_routes ? n_routes : 1),
			     sizeof(*st->routes));
	st->width = width;
	st->height = height;
	if (width > 0 && height > 0) {
		size_t n = (size_t)(width * height);
		st->pe_busy_cycles = xcalloc(n, sizeof(uint64_t));
		st->link_wavelets = xcalloc(n * LINK_DIRS, sizeof(uint64_t));
	}
	struct stats_windows *w = &st->win;
	w->n = 1;
	w->window_cycles = 64;
	w->n_stages = n_stages;
	w->stage_busy = xcalloc((size_t)STATS_MAX_WINDOWS *
					(size_t)(n_stages ? n_stages : 1),
				sizeof(double));
	w->fma = xcalloc(STATS_MAX_WINDOWS, sizeof(double));
	w->ew = xcalloc(STATS_MAX_WINDOWS, sizeof(double));
	w->sram_reads = xcalloc(STATS_MAX_WINDOWS, sizeof(double));
	w->sram_writes = xcalloc(STATS_MAX_WINDOWS, sizeof(double));
	w->wavelet_hops = xcalloc(STATS_MAX_WINDOWS, sizeof(double));
	w->io_bytes = xcalloc(STATS_MAX_WINDOWS, sizeof(double));
}

/* Halve the number of windows by summing neighbours in place. */
static void merge_series(double *a, int n, int stride)
{
	for (int s = 0; s < stride; s++) {
		for (int i = 0; i < n; i++) {
			int j0 = 2 * i, j1 = 2 * i + 1;
			double v = j0 < n ? a[j0 * stride + s] : 0;
			if (j1 < n)
				v += a[j1 * stride + s];
			a[i * stride + s] = v;
		}
		for (int i = (n + 1) / 2; i < n; i++)
			a[i * stride + s] = 0;
	}
}

void stats_win_cover(struct stats_windows *w, cycles_t t)
{
	while (t >= (cycles_t)STATS_MAX_WINDOWS * w->window_cycles) {
		int n = w->n;
		merge_series(w->stage_busy, n, w->n_stages ? w->n_stages : 1);
		merge_series(w->fma, n, 1);
		merge_series(w->ew, n, 1);
		merge_series(w->sram_reads, n, 1);
		merge_series(w->sram_writes, n, 1);
		merge_series(w->wavelet_hops, n, 1);
		merge_series(w->io_bytes, n, 1);
		w->n = (n + 1) / 2;
		w->window_cycles *= 2;
	}
	int need = (int)(t / w->window_cycles) + 1;
	if (need > w->n)
		w->n = need;
}

void stats_win_add(struct stats_windows *w, cycles_t t0, cycles_t t1,
		   double *series, int stride, double amount)
{
	if (amount == 0)
		return;
	if (t1 <= t0) {
		stats_win_cover(w, t0);
		series[(size_t)(t0 / w->window_cycles) * (size_t)stride] +=
			amount;
		return;
	}
	stats_win_cover(w, t1 - 1);
	/* the cover may have merged windows: series pointers stay valid
	 * because merging is in place */
	double per_cycle = amount / (double)(t1 - t0);
	cycles_t wc = w->window_cycles;
	for (cycles_t t = t0; t < t1;) {
		cycles_t i = t / wc;
		cycles_t end = (i + 1) * wc;
		if (end > t1)
			end = t1;
		series[(size_t)i * (size_t)stride] += per_cycle * (double)(end - t);
		t = end;
	}
}

double stats_stage_sample_cycles(const struct stats *st, int s)
{
	const struct stats_stage *g = &st->stages[s];
	double c = (double)g->occ_cycles[PASS_FWD];
	if (st->job == STATS_TRAIN)
		c += (double)g->occ_cycles[PASS_BWD_DATA] +
		     (double)g->occ_cycles[PASS_BWD_WEIGHT];
	if (g->copies > 1) /* that many samples served at once */
		c /= (double)g->copies;
	if (st->job == STATS_TRAIN) {
		if (st->batch > 0)
			c += (double)g->occ_cycles[PASS_UPDATE] /
			     (double)st->batch;
	}
	return c;
}

double stats_pe_utilisation(const struct stats *st)
{
	if (!st->pe_busy_cycles || st->total_cycles == 0)
		return 0;
	double busy = 0;
	int64_t n = st->width * st->height;
	for (int64_t i = 0; i < n; i++)
		busy += (double)st->pe_busy_cycles[i];
	return busy / ((double)n * (double)st->total_cycles);
}

static json_t *sample_cycles(const void *rec, const void *ctx)
{
	const struct stats *st = ctx;
	int s = (int)((const struct stats_stage *)rec - st->stages);
	return ws_json_real(stats_stage_sample_cycles(st, s));
}

static json_t *limit_name(const void *rec, const void *ctx)
{
	(void)ctx;
	return ws_json_str(
		stats_limit_name(((const struct stats_stage *)rec)->limit));
}

#define SSF(key, unit, doc, member, type)                                    \
	{key, unit, doc, offsetof(struct stats_stage, member), type, NULL, NULL, 0}
#define SSFN(key, unit, doc, fn) {key, unit, doc, 0, SF_FN, fn, NULL, 0}
/* The stage's statistics in --json (sim/stats.h has the meanings). */
_Static_assert(PASS_COUNT == 4, "occ_cycles is written as 4 numbers");
_Static_assert(sizeof(struct rect) == 4 * sizeof(int32_t),
	       "a rect is written as 4 numbers");
static const struct stat_field stage_fields[] = {
	SSF("name", "", "the plan stage's name", name, SF_STR),
	SSF("rect", "PEs", "x, y, w, h", r, SF_I32X4),
	SSF("compute_cycles", "cycles", "reference PE: datapath, SRAM, starts",
	    compute_cycles, SF_U64),
	SSF("comm_cycles", "cycles", "reference PE: wavelets beyond compute",
	    comm_cycles, SF_U64),
	SSF("wait_in_cycles", "cycles", "reference PE: idle, no input",
	    wait_in_cycles, SF_U64),
	SSF("wait_out_cycles", "cycles", "reference PE: no output room",
	    wait_out_cycles, SF_U64),
	SSF("occ_cycles", "cycles", "one task's occupancy per pass",
	    occ_cycles, SF_U64X4),
	SSFN("sample_cycles", "cycles", "reference PE time per sample",
	     sample_cycles),
	SSFN("limit", "", "what sets the task occupancy", limit_name),
	SSF("copies", "", "sample copies of the stage (1: none)", copies,
	    SF_INT),
	SSF("held_max", "samples", "training, pipelined: most samples held "
	    "at once", held_max, SF_I64),
	SSF("fma", "FMAs", "multiply-adds over every PE", fma, SF_I64),
	SSF("wavelet_hops", "hops", "inside the rectangle", wavelet_hops,
	    SF_I64),
	SSF("extmem_in_bytes", "bytes", "weights streamed in", extmem_in_bytes,
	    SF_I64),
	SSF("stream_span_cycles", "cycles", "weights in to last task end",
	    stream_span_cycles, SF_U64),
};

#define SRF(key, unit, doc, member, type)                                    \
	{key, unit, doc, offsetof(struct stats_route, member), type, NULL, NULL, 0}
static const struct stat_field route_fields[] = {
	SRF("src", "", "source stage (-1: host)", src_stage, SF_INT),
	SRF("dst", "", "destination stage (-1: host)", dst_stage, SF_INT),
	SRF("backward", "", "carries gradients", backward, SF_INT),
	SRF("wavelets", "wavelets", "carried over the run", wavelets, SF_I64),
	SRF("hops", "links", "links on the path", hops, SF_I64),
	SRF("lanes", "", "parallel rows or columns", lanes, SF_I64),
	SRF("occ_cycles", "cycles", "serialisation of one sample", occ_cycles,
	    SF_U64),
	SRF("busy_cycles", "cycles", "path serialising this route",
	    busy_cycles, SF_U64),
	SRF("wait_cycles", "cycles", "held by contention", wait_cycles, SF_U64),
};

json_t *stats_json(const struct stats *st)
{
	json_t *o = ws_json_obj();
	ws_json_set_int(o, "total_cycles", (int64_t)st->total_cycles);
	ws_json_set_int(o, "step_first_cycles", (int64_t)st->step_first_cycles);
	ws_json_set_int(o, "step_cycles", (int64_t)st->step_cycles);
	ws_json_set_int(o, "infer_latency_cycles",
			(int64_t)st->infer_latency_cycles);
	ws_json_set_int(o, "infer_interval_cycles",
			(int64_t)st->infer_interval_cycles);
	ws_json_set_int(o, "fma", st->fma);
	ws_json_set_int(o, "ew", st->ew);
	ws_json_set_int(o, "sram_reads", st->sram_reads);
	ws_json_set_int(o, "sram_writes", st->sram_writes);
	ws_json_set_int(o, "wavelet_hops", st->wavelet_hops);
	ws_json_set_int(o, "io_in_bytes", st->io_in_bytes);
	ws_json_set_int(o, "io_out_bytes", st->io_out_bytes);
	ws_json_set_int(o, "extmem_in_bytes", st->extmem_in_bytes);
	ws_json_set_int(o, "extmem_out_bytes", st->extmem_out_bytes);
	ws_json_set_int(o, "events", (int64_t)st->events);
	ws_json_set_int(o, "pe_tasks", (int64_t)st->pe_tasks);
	ws_json_set_real(o, "pe_utilisation", stats_pe_utilisation(st));
	ws_json_set_real(o, "pace_cycles", st->pace_cycles);
	json_t *a = ws_json_arr();
	for (int s = 0; s < st->n_stages; s++)
		ws_json_push(a, sf_json(stage_fields, ARRAY_SIZE(stage_fields),
					&st->stages[s], st));
	ws_json_set(o, "stages", a);
	a = ws_json_arr();
	for (int r = 0; r < st->n_routes; r++)
		ws_json_push(a, sf_json(route_fields, ARRAY_SIZE(route_fields),
					&st->routes[r], NULL));
	ws_json_set(o, "routes", a);
	return o;
}

void stats_write_json(const struct stats *st, FILE *out, int indent)
{
	ws_json_write(out, stats_json(st),
		      JSON_INDENT(indent) | JSON_REAL_PRECISION(17));
}
