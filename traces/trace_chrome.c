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

#include "ground/json_io.h"
#include "ground/util.h"
#include "sim/stats.h"
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

/* One event: ",\n" and the event on one line (the first event of the
 * array is written by trace_chrome_write without the comma). */
static void event(FILE *f, json_t *ev)
{
	fputs(",\n", f);
	json_dumpf(ev, f, WS_JSON_COMPACT);
	json_decref(ev);
}

/* Microseconds to the nanosecond (six decimals), as the viewers show
 * them: the same double as the decimal "%.6f" writes. */
static double ns_grid(double us)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%.6f", us);
	return strtod(buf, NULL);
}

/* {"name", "cat", "ph": "X", "pid", "tid", "ts", "dur"}, microseconds */
static json_t *x_event(const char *name, const char *cat, int pid, int tid,
		       double ts, double dur)
{
	json_t *e = ws_json_obj();
	ws_json_set_str(e, "name", name);
	ws_json_set_str(e, "cat", cat);
	ws_json_set_str(e, "ph", "X");
	ws_json_set_int(e, "pid", pid);
	ws_json_set_int(e, "tid", tid);
	ws_json_set_real(e, "ts", ns_grid(ts));
	ws_json_set_real(e, "dur", ns_grid(dur));
	return e;
}

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
	event(k->f, x_event(span_name[k->kind], span_cat[k->kind], 1, k->tid,
			    b, e - b));
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
	json_t *e = ws_json_obj(), *a = ws_json_obj();
	ws_json_set_str(e, "name", what);
	ws_json_set_str(e, "ph", "M");
	ws_json_set_int(e, "pid", pid);
	ws_json_set_int(e, "tid", tid);
	ws_json_set_str(a, "name", name);
	event(f, ws_json_set(e, "args", a));
	e = ws_json_obj();
	a = ws_json_obj();
	ws_json_set_str(e, "name", "thread_sort_index");
	ws_json_set_str(e, "ph", "M");
	ws_json_set_int(e, "pid", pid);
	ws_json_set_int(e, "tid", tid);
	ws_json_set_int(a, "sort_index", sort);
	event(f, ws_json_set(e, "args", a));
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
	json_t *ev = x_event(name, cat, pid, tid, b, e - b);
	if (pass) {
		json_t *a = ws_json_obj();
		ws_json_set_str(a, "pass", pass);
		ws_json_set_int(a, strcmp(pass, "update") ? "sample" : "step",
				sample);
		ws_json_set(ev, "args", a);
	} else if (waited >= 0) {
		json_t *a = ws_json_obj();
		ws_json_set_int(a, "sample", sample);
		ws_json_set_int(a, "waited_cycles", (int64_t)floor(waited + 0.5));
		ws_json_set(ev, "args", a);
	}
	event(f, ev);
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

static json_t *process_name(int pid, const char *name)
{
	json_t *e = ws_json_obj(), *a = ws_json_obj();
	ws_json_set_str(e, "name", "process_name");
	ws_json_set_str(e, "ph", "M");
	ws_json_set_int(e, "pid", pid);
	ws_json_set_str(a, "name", name);
	return ws_json_set(e, "args", a);
}

static void routes_recorded(const struct trace_data *t, double usc, FILE *f)
{
	event(f, process_name(2, "routes (one span per sample streamed)"));
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
	json_t *e = ws_json_obj(), *a = ws_json_obj();
	ws_json_set_str(e, "name", name);
	ws_json_set_str(e, "ph", "C");
	ws_json_set_int(e, "pid", 1);
	ws_json_set_real(e, "ts", ns_grid(ts_us));
	ws_json_set_real(a, "value", isfinite(v) ? v : 0);
	event(f, ws_json_set(e, "args", a));
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
	json_t *od = ws_json_obj();
	ws_json_set_str(od, "network", t->network);
	ws_json_set_str(od, "machine", t->machine);
	ws_json_set_str(od, "job", t->job);
	ws_json_set_real(od, "clock_ghz", t->clock_ghz);
	ws_json_set_real(od, "window_cycles", t->window_cycles);
	ws_json_set_real(od, "total_cycles", t->total_cycles);
	ws_json_set_str(od, "spans",
			t->n_spans > 0 && t->spans_dropped == 0
				? "per task, recorded by the engine"
				: "per time window, see docs/traces.md");
	/* the events one per line, so the file streams (a long run has
	 * hundreds of thousands) */
	fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":", f);
	json_dumpf(od, f, WS_JSON_COMPACT);
	json_decref(od);
	fputs(",\n\"traceEvents\":[\n", f);
	char *pname =
		xasprintf("%s on %s (%s)", t->network, t->machine, t->job);
	json_t *pn = process_name(1, pname);
	json_dumpf(pn, f, WS_JSON_COMPACT);
	json_decref(pn);
	free(pname);
	int sort = 0;
	/* recorded task spans, unless some were dropped (then windows) */
	int recorded = t->n_spans > 0 && t->spans_dropped == 0;
	for (int s = 0; s < t->n_stages; s++) {
		const struct trace_stage *ts = &t->stages[s];
		/* a copied stage's kind as place prints it ("dense x2") */
		char cp[16] = "";
		if (ts->copies > 1)
			snprintf(cp, sizeof cp, " x%d", ts->copies);
		char *name = xasprintf("%d %s (%s%s %dx%d at %d,%d)", s,
				       ts->name, ts->kind, cp, ts->r.w,
				       ts->r.h, ts->r.x, ts->r.y);
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
