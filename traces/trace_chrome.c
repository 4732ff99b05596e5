/*
 * trace_chrome.c: the timeline as Chrome trace-event JSON (Perfetto,
 * chrome://tracing): {"traceEvents": [...], "displayTimeUnit": "ns"}.
 *
 * When the run recorded task spans (engine_opts.max_spans, sim/stats.h),
 * each stage track shows every task: receive, compute and send parts of its
 * occupancy (compute = the task's datapath cycles, the rest split by the
 * stage's wavelets in vs out), with the pass and sample in its args; stall
 * spans where a ready task waited for output room; wait spans in the gaps.
 * A second process holds one track per route, a span per sample streamed
 * (args: the cycles it waited for contended links first).
 *
 * Otherwise (no recorded spans, or more than were kept) spans come from the
 * engine's time windows (sim/stats.h): in window w a
 * stage's reference PE was busy stage_busy[w][s] cycles.  The busy part is
 * split into receive / compute / send in the proportions of the stage's run
 * totals (comm_cycles split by the stage's wavelets in vs out), the idle
 * part into stall (a task was ready, output space was not: wait_out) and
 * wait (no input: wait_in), and laid out in that order inside the window.
 * Consecutive spans of one kind are merged, so a stage busy for many windows
 * shows one long span.  So a span is exact to a window, not to a task: the
 * window length is in the trace's metadata (otherData.window_cycles).
 *
 * Sampled PE tracks (opts.pe_tracks) scale their stage's busy time by the
 * PE's own busy cycles over the reference PE's (equal in class mode; they
 * differ in full mode).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/stats.h"
#include "ground/util.h"
#include "traces/trace_int.h"

enum {
	SPAN_RECV = 0,
	SPAN_COMPUTE,
	SPAN_SEND,
	SPAN_STALL,
	SPAN_WAIT,
	SPAN_KINDS
};
static const char *const span_name[SPAN_KINDS] = {
	"receive", "compute", "send", "stall (output full)", "wait (no input)"};
static const char *const span_cat[SPAN_KINDS] = {"comm", "compute", "comm",
						 "stall", "wait"};

struct track {
	FILE *f;
	int tid;
	double us_per_cycle;
	int kind;      /* pending span, -1 none */
	double t0, t1; /* cycles */
	long n_events;
};

static void flush(struct track *k)
{
	if (k->kind < 0 || !(k->t1 > k->t0))
		return;
	/* fixed-point microseconds: begin and end rounded the same way, so
	 * ts + dur never passes the next span's ts */
	double b = floor(k->t0 * k->us_per_cycle * 1e6 + 0.5) / 1e6;
	double e = floor(k->t1 * k->us_per_cycle * 1e6 + 0.5) / 1e6;
	fprintf(k->f,
		",\n{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"X\",\"pid\":1,"
		"\"tid\":%d,\"ts\":%.6f,\"dur\":%.6f}",
		span_name[k->kind], span_cat[k->kind], k->tid, b, e - b);
	k->n_events++;
	k->kind = -1;
}

static void span(struct track *k, int kind, double t0, double len)
{
	if (!(len > 1e-9))
		return;
	if (k->kind == kind && fabs(k->t1 - t0) < 1e-6) {
		k->t1 = t0 + len;
		return;
	}
	flush(k);
	k->kind = kind;
	k->t0 = t0;
	k->t1 = t0 + len;
}

/* The spans of stage s, its busy time scaled by `scale`. */
static void stage_spans(const struct trace_data *t, int s, double scale,
			struct track *k)
{
	const struct trace_stage *ts = &t->stages[s];
	double cm = ts->compute_cycles + ts->comm_cycles;
	double comp_share = cm > 0 ? ts->compute_cycles / cm : 1;
	double wi = ts->wait_in_cycles, wo = ts->wait_out_cycles;
	double stall_share = wi + wo > 0 ? wo / (wi + wo) : 0;
	for (int w = 0; w < t->n_win; w++) {
		double t0 = w * t->window_cycles;
		double t1 = t0 + t->window_cycles;
		if (t1 > t->total_cycles)
			t1 = t->total_cycles;
		double len = t1 - t0;
		if (!(len > 0))
			break;
		double busy = t->stage_busy[w * t->n_stages + s] * scale;
		busy = busy < 0 ? 0 : busy > len ? len : busy;
		double comp = busy * comp_share;
		double recv = (busy - comp) * ts->recv_share;
		double send = busy - comp - recv;
		double stall = (len - busy) * stall_share;
		double x = t0;
		span(k, SPAN_RECV, x, recv);
		x += recv;
		span(k, SPAN_COMPUTE, x, comp);
		x += comp;
		span(k, SPAN_SEND, x, send);
		x += send;
		span(k, SPAN_STALL, x, stall);
		x += stall;
		span(k, SPAN_WAIT, x, t1 - x);
	}
	flush(k);
}

static void meta_pid(FILE *f, int pid, const char *what, int tid,
		     const char *name, int sort)
{
	fprintf(f,
		",\n{\"name\":\"%s\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,"
		"\"args\":{\"name\":",
		what, pid, tid);
	trace_json_str(f, name);
	fprintf(f, "}}");
	fprintf(f,
		",\n{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":%d,"
		"\"tid\":%d,\"args\":{\"sort_index\":%d}}",
		pid, tid, sort);
}

static void meta(FILE *f, const char *what, int tid, const char *name, int sort)
{
	meta_pid(f, 1, what, tid, name, sort);
}

/* microseconds, rounded the same way for every begin and end */
static double us_of(double cycles, double usc)
{
	return floor(cycles * usc * 1e6 + 0.5) / 1e6;
}

static const char *const pass_of_kind[] = {"fwd", "bwd", "update"};

/* One recorded span [t0, t1) cycles on (pid, tid), with args. */
static void rspan(FILE *f, int pid, int tid, const char *name, const char *cat,
		  double t0, double t1, double usc, const char *pass,
		  uint32_t sample, double waited)
{
	double b = us_of(t0, usc), e = us_of(t1, usc);
	if (!(e > b))
		return;
	fprintf(f,
		",\n{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"X\",\"pid\":%d,"
		"\"tid\":%d,\"ts\":%.6f,\"dur\":%.6f",
		name, cat, pid, tid, b, e - b);
	if (pass)
		fprintf(f, ",\"args\":{\"pass\":\"%s\",\"%s\":%u}}", pass,
			strcmp(pass, "update") ? "sample" : "step", sample);
	else if (waited >= 0)
		fprintf(f, ",\"args\":{\"sample\":%u,\"waited_cycles\":%.0f}}",
			sample, waited);
	else
		fputc('}', f);
}

/* Stage s from recorded spans (in the engine's order: per stage, start
 * times never decrease). */
static void stage_recorded(const struct trace_data *t, int s, double usc,
			   FILE *f)
{
	const struct trace_stage *ts = &t->stages[s];
	double at = 0; /* end of the last span drawn */
	for (int64_t i = 0; i < t->n_spans; i++) {
		const struct trace_span *a = &t->spans[i];
		if (a->id != s || a->kind >= STATS_SPAN_ROUTE)
			continue;
		double t0 = a->t0 < at ? at : a->t0;
		if (t0 > at)
			rspan(f, 1, s + 1, span_name[SPAN_WAIT],
			      span_cat[SPAN_WAIT], at, t0, usc, NULL, 0, -1);
		if (a->kind == STATS_SPAN_STALL) {
			rspan(f, 1, s + 1, span_name[SPAN_STALL],
			      span_cat[SPAN_STALL], t0, a->t1, usc, NULL, 0,
			      -1);
		} else {
			const char *pass = pass_of_kind[a->kind];
			double comm = a->t1 - a->t0 - a->comp;
			comm = comm < 0 ? 0 : comm;
			double recv = comm * ts->recv_share;
			double x = t0;
			rspan(f, 1, s + 1, span_name[SPAN_RECV],
			      span_cat[SPAN_RECV], x, x + recv, usc, pass,
			      a->sample, -1);
			x += recv;
			double c1 = x + a->comp > a->t1 ? a->t1 : x + a->comp;
			rspan(f, 1, s + 1, span_name[SPAN_COMPUTE],
			      span_cat[SPAN_COMPUTE], x, c1, usc, pass,
			      a->sample, -1);
			rspan(f, 1, s + 1, span_name[SPAN_SEND],
			      span_cat[SPAN_SEND], c1, a->t1, usc, pass,
			      a->sample, -1);
		}
		at = a->t1 > at ? a->t1 : at;
	}
	if (t->total_cycles > at)
		rspan(f, 1, s + 1, span_name[SPAN_WAIT], span_cat[SPAN_WAIT],
		      at, t->total_cycles, usc, NULL, 0, -1);
}

static void routes_recorded(const struct trace_data *t, double usc, FILE *f)
{
	fprintf(f, ",\n{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":2,"
		   "\"args\":{\"name\":\"routes (one span per sample "
		   "streamed)\"}}");
	for (int r = 0; r < t->n_routes; r++) {
		const struct trace_route *tr = &t->routes[r];
		char *name = xasprintf("route %d: %s -> %s (%s)", r,
				       tr->src >= 0 && tr->src < t->n_stages
					       ? t->stages[tr->src].name
					       : "host",
				       tr->dst >= 0 && tr->dst < t->n_stages
					       ? t->stages[tr->dst].name
					       : "host",
				       tr->pass);
		meta_pid(f, 2, "thread_name", r + 1, name, r);
		free(name);
	}
	double waited = 0;
	for (int64_t i = 0; i < t->n_spans; i++) {
		const struct trace_span *a = &t->spans[i];
		if (a->kind == STATS_SPAN_ROUTE_WAIT) {
			waited = a->t1 - a->t0;
			continue;
		}
		if (a->kind != STATS_SPAN_ROUTE)
			continue;
		rspan(f, 2, a->id + 1, "stream", "comm", a->t0, a->t1, usc,
		      NULL, a->sample, waited);
		waited = 0;
	}
}

static void counter(FILE *f, const char *name, double ts_us, double v)
{
	char buf[32];
	fprintf(f,
		",\n{\"name\":\"%s\",\"ph\":\"C\",\"pid\":1,\"ts\":%.6f,"
		"\"args\":{\"value\":%s}}",
		name, ts_us, fmt_double_exact(buf, isfinite(v) ? v : 0));
}

int trace_chrome_write(const struct trace_data *t, const char *dir,
		       const struct trace_opts *o, struct diag *d)
{
	char *path = trace_path(dir, "trace.json");
	struct outfile of;
	int rc = outfile_open(&of, path, d);
	free(path);
	if (rc)
		return WS_EIO;
	FILE *f = of.f;
	double usc = t->clock_ghz > 0 ? 1e-3 / t->clock_ghz : 1e-3;
	char buf[32];
	fprintf(f, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"network\":");
	trace_json_str(f, t->network);
	fprintf(f, ",\"machine\":");
	trace_json_str(f, t->machine);
	fprintf(f, ",\"job\":");
	trace_json_str(f, t->job);
	fprintf(f, ",\"clock_ghz\":%s", fmt_double_exact(buf, t->clock_ghz));
	fprintf(f, ",\"window_cycles\":%s",
		fmt_double_exact(buf, t->window_cycles));
	fprintf(f, ",\"total_cycles\":%s",
		fmt_double_exact(buf, t->total_cycles));
	fprintf(f, ",\"spans\":\"%s\"},\n\"traceEvents\":[\n",
		t->n_spans > 0 && t->spans_dropped == 0
			? "per task, recorded by the engine"
			: "per time window, see docs/traces.md");
	char *pname =
		xasprintf("%s on %s (%s)", t->network, t->machine, t->job);
	fprintf(f, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,"
		   "\"args\":{\"name\":");
	trace_json_str(f, pname);
	fprintf(f, "}}");
	free(pname);
	int sort = 0;
	/* recorded task spans, unless some were dropped (then windows) */
	int recorded = t->n_spans > 0 && t->spans_dropped == 0;
	for (int s = 0; s < t->n_stages; s++) {
		const struct trace_stage *ts = &t->stages[s];
		char *name =
			xasprintf("%d %s (%s %dx%d at %d,%d)", s, ts->name,
				  ts->kind, ts->r.w, ts->r.h, ts->r.x, ts->r.y);
		meta(f, "thread_name", s + 1, name, sort++);
		free(name);
		if (recorded) {
			stage_recorded(t, s, usc, f);
		} else {
			struct track k = {f, s + 1, usc, -1, 0, 0, 0};
			stage_spans(t, s, 1.0, &k);
		}
		int np = o->pe_tracks < TRACE_MAX_PE_TRACKS
				 ? o->pe_tracks
				 : TRACE_MAX_PE_TRACKS;
		int64_t area = (int64_t)ts->r.w * ts->r.h;
		for (int i = 0; i < np && t->pe_util && area > 0; i++) {
			/* evenly along the rectangle's diagonal */
			int64_t px = ts->r.x +
				     (int64_t)ts->r.w * (2 * i + 1) / (2 * np);
			int64_t py = ts->r.y +
				     (int64_t)ts->r.h * (2 * i + 1) / (2 * np);
			if (px >= t->width || py >= t->height)
				continue;
			double busy = t->pe_util[py * t->width + px] *
				      t->total_cycles;
			double scale = ts->ref_busy_cycles > 0
					       ? busy / ts->ref_busy_cycles
					       : 0;
			int tid = 100000 + s * TRACE_MAX_PE_TRACKS + i;
			name = xasprintf("  PE (%lld,%lld) of %s",
					 (long long)px, (long long)py,
					 ts->name);
			meta(f, "thread_name", tid, name, sort++);
			free(name);
			struct track kp = {f, tid, usc, -1, 0, 0, 0};
			stage_spans(t, s, scale > 1 ? 1 : scale, &kp);
		}
	}
	if (recorded)
		routes_recorded(t, usc, f);
	for (int w = 0; w < t->n_win; w++) {
		double ts_us = w * t->window_cycles * usc;
		if (w * t->window_cycles >= t->total_cycles)
			break;
		counter(f, "PE utilisation", ts_us, t->win_pe_util[w]);
		counter(f, "fabric utilisation", ts_us, t->win_fabric_util[w]);
		counter(f, "power (W)", ts_us, t->win_power_w[w]);
	}
	fprintf(f, "\n]}\n");
	return outfile_commit(&of, d) ? WS_EIO : 0;
}
