/*
 * trace_data.c: the snapshot every picture is drawn from: built from a run,
 * saved as stats.json plus grid CSVs, loaded back (jansson, ground/json_io.h).
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compiler/graph.h"
#include "sim/energy.h"
#include "ground/json_io.h"
#include "sim/stats.h"
#include "ground/util.h"
#include "traces/trace_int.h"

static const char *const dir_names[4] = {"east", "west", "south", "north"};

#define TSF(key, unit, doc, member, type)                                    \
	{key, unit, doc, offsetof(struct trace_stage, member), type, NULL, NULL, 0}
const struct stat_field trace_stage_fields[TS_FIELDS] = {
	[TS_NAME] = TSF("name", "", "the plan stage's name", name, SF_STR),
	[TS_KIND] = TSF("kind", "", "kernel kind (dense, conv, ...)", kind,
			SF_STR),
	[TS_X] = TSF("x", "PE", "rectangle: west column", r.x, SF_I32),
	[TS_Y] = TSF("y", "PE", "rectangle: north row", r.y, SF_I32),
	[TS_W] = TSF("w", "PEs", "rectangle: width", r.w, SF_I32),
	[TS_H] = TSF("h", "PEs", "rectangle: height", r.h, SF_I32),
	[TS_PES] = TSF("pes", "PEs", "PEs in the rectangle", pes, SF_I64),
	[TS_COMPUTE] = TSF("compute_cycles", "cycles",
			   "reference PE: datapath, SRAM ports, task starts",
			   compute_cycles, SF_COUNT),
	[TS_COMM] = TSF("comm_cycles", "cycles",
			"reference PE: wavelets beyond compute", comm_cycles,
			SF_COUNT),
	[TS_WAIT_IN] = TSF("wait_in_cycles", "cycles",
			   "reference PE: idle, no input", wait_in_cycles,
			   SF_COUNT),
	[TS_WAIT_OUT] = TSF("wait_out_cycles", "cycles",
			    "reference PE: ready, no output room",
			    wait_out_cycles, SF_COUNT),
	[TS_RECV_SHARE] = TSF("recv_share", "",
			      "share of comm spent receiving (0..1)",
			      recv_share, SF_REAL),
	[TS_REF_BUSY] = TSF("ref_busy_cycles", "cycles",
			    "reference PE: compute + comm", ref_busy_cycles,
			    SF_COUNT),
	[TS_SRAM] = TSF("sram_bytes", "bytes", "SRAM of the fullest PE",
			sram_bytes, SF_I64),
	[TS_FMA] = TSF("fma", "FMAs", "multiply-adds over every PE", fma,
		       SF_COUNT),
	[TS_LIMIT] = TSF("limit", "", "what sets the task occupancy", limit,
			 SF_STR),
	/* optional: a file saved before sample copies has none (1 then) */
	[TS_COPIES] = {"copies", "", "sample copies of the stage (1: none)",
		       offsetof(struct trace_stage, copies), SF_INT, NULL, NULL,
		       1},
};

#define TRF(key, csv, unit, doc, member, type)                               \
	{key, unit, doc, offsetof(struct trace_route, member), type, NULL, csv, 0}
const struct stat_field trace_route_fields[TR_FIELDS] = {
	[TR_SRC] = TRF("src", "src_stage", "", "source stage (-1: host)", src,
		       SF_INT),
	[TR_DST] = TRF("dst", "dst_stage", "", "destination stage (-1: host)",
		       dst, SF_INT),
	[TR_COLOR] = TRF("color", NULL, "", "fabric color", color, SF_INT),
	[TR_PASS] = TRF("pass", NULL, "", "fwd, bwd_data, ...", pass, SF_STR),
	[TR_WAVELETS] = TRF("wavelets", NULL, "wavelets",
			    "carried over the run", wavelets, SF_I64),
	[TR_KIND] = {"kind", "", "0 samples, 1 gradient sync, 2 weight sync",
		     offsetof(struct trace_route, kind), SF_INT, NULL, NULL, 1},
	[TR_LANES] = {"lanes", "", "rows or columns of the route's bundle",
		      offsetof(struct trace_route, lanes), SF_I64, NULL, NULL,
		      1},
};

#define TNF(key, unit, doc, member, type)                                    \
	{key, unit, doc, offsetof(struct trace_node, member), type, NULL, NULL, 0}
static const struct stat_field node_fields[] = {
	TNF("name", "", "layer or input name", name, SF_STR),
	TNF("op", "", "operation", op, SF_STR),
	TNF("shape", "", "output shape per sample", shape, SF_STR),
	TNF("params", "", "parameters", params, SF_I64),
	TNF("flops_fwd", "FLOPs", "forward, per sample", flops_fwd, SF_COUNT),
	TNF("stage", "", "stage it runs in (-1: none)", stage, SF_INT),
};

#define TEF(key, unit, doc, member, type)                                    \
	{key, unit, doc, offsetof(struct trace_edge, member), type, NULL, NULL, 0}
static const struct stat_field edge_fields[] = {
	TEF("from", "", "node id", from, SF_INT),
	TEF("to", "", "node id", to, SF_INT),
	TEF("label", "", "tensor shape or \"shared weights\"", label, SF_STR),
	TEF("dashed", "", "shared weights", dashed, SF_INT),
};

void trace_data_init(struct trace_data *t)
{
	memset(t, 0, sizeof(*t));
}

void trace_data_release(struct trace_data *t)
{
	free(t->network);
	free(t->machine);
	free(t->strategy);
	free(t->job);
	free(t->mode);
	for (int i = 0; i < t->n_stages; i++)
		sf_release(trace_stage_fields, TS_FIELDS, &t->stages[i]);
	free(t->stages);
	for (int i = 0; i < t->n_routes; i++) {
		sf_release(trace_route_fields, TR_FIELDS, &t->routes[i]);
		free(t->routes[i].points);
	}
	free(t->routes);
	for (int i = 0; i < t->n_nodes; i++)
		sf_release(node_fields, ARRAY_SIZE(node_fields), &t->nodes[i]);
	free(t->nodes);
	for (int i = 0; i < t->n_edges; i++)
		sf_release(edge_fields, ARRAY_SIZE(edge_fields), &t->edges[i]);
	free(t->edges);
	free(t->stage_busy);
	free(t->win_pe_util);
	free(t->win_fabric_util);
	free(t->win_power_w);
	free(t->pe_util);
	free(t->link_util);
	free(t->gpu.name);
	free(t->spans);
	memset(t, 0, sizeof(*t));
}

char *trace_path(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

float trace_link_max(const struct trace_data *t, int64_t id)
{
	if (!t->link_util)
		return 0;
	const float *l = t->link_util + id * 4;
	if (!t->link_dirs_saved)
		return l[0];
	float m = l[0];
	for (int k = 1; k < 4; k++)
		m = l[k] > m ? l[k] : m;
	return m;
}

static const char *kind_name(enum kernel_kind k)
{
	static const char *const n[KERNEL_COUNT] = {
		"dense",     "conv",	    "matmul", "attention",
		"embedding", "elementwise", "loss"};
	return (unsigned)k < KERNEL_COUNT ? n[k] : "?";
}

static const char *pass_name(enum pass p)
{
	static const char *const n[PASS_COUNT] = {"fwd", "bwd_data",
						  "bwd_weight", "update"};
	return (unsigned)p < PASS_COUNT ? n[p] : "?";
}

static char *shape_str(const struct tensor *x)
{
	char buf[128];
	size_t n = 0;
	buf[n++] = '[';
	for (int i = 0; i < x->rank && n < sizeof(buf) - 24; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%lld",
				      i ? "x" : "", (long long)x->dims[i]);
	snprintf(buf + n, sizeof(buf) - n, "]");
	return xstrdup(buf);
}

static void build_graph(const struct graph *g, const struct plan *p,
			struct trace_data *t)
{
	int *node_of_input = xcalloc((size_t)g->n_tensors + 1, sizeof(int));
	int n_inputs = 0;
	for (int i = 0; i < g->n_tensors; i++)
		if (g->tensors[i].producer < 0)
			node_of_input[i] = g->n_layers + n_inputs++;
	t->n_nodes = g->n_layers + n_inputs;
	t->nodes = xcalloc((size_t)t->n_nodes, sizeof(*t->nodes));
	for (int i = 0; i < g->n_layers; i++) {
		const struct layer *l = &g->layers[i];
		struct trace_node *n = &t->nodes[i];
		n->name = xstrdup(l->name);
		n->op = xstrdup(op_name(l->op));
		n->shape = l->n_out > 0 ? shape_str(&g->tensors[l->out[0]])
					: xstrdup("[]");
		n->params = l->cost.params;
		n->flops_fwd = (double)(l->cost.mat_flops[PASS_FWD] +
					l->cost.ew_flops[PASS_FWD]);
		n->stage = -1;
	}
	for (int i = 0; i < g->n_tensors; i++) {
		if (g->tensors[i].producer >= 0)
			continue;
		struct trace_node *n = &t->nodes[node_of_input[i]];
		n->name = xstrdup(g->tensors[i].name);
		n->op = xstrdup("input");
		n->shape = shape_str(&g->tensors[i]);
		n->stage = -1;
	}
	for (int s = 0; s < p->n_stages; s++)
		for (int k = 0; k < p->stages[s].n_layers; k++) {
			int li = p->stages[s].layers[k];
			if (li >= 0 && li < g->n_layers)
				t->nodes[li].stage = s;
		}
	int cap = 16;
	t->edges = xmalloc((size_t)cap * sizeof(*t->edges));
	for (int i = 0; i < g->n_layers; i++) {
		const struct layer *l = &g->layers[i];
		for (int k = 0; k < l->n_in + 1; k++) {
			int from;
			char *label;
			int dashed = 0;
			if (k < l->n_in) {
				const struct tensor *x = &g->tensors[l->in[k]];
				from = x->producer >= 0
					       ? x->producer
					       : node_of_input[l->in[k]];
				label = shape_str(x);
			} else {
				if (l->param_owner == i || l->param_owner < 0)
					continue;
				from = l->param_owner;
				label = xstrdup("shared weights");
				dashed = 1;
			}
			if (t->n_edges == cap) {
				cap *= 2;
				t->edges = xrealloc(t->edges,
						    (size_t)cap *
							    sizeof(*t->edges));
			}
			t->edges[t->n_edges++] =
				(struct trace_edge){from, i, label, dashed};
		}
	}
	free(node_of_input);
}

static void build_stage(const struct plan_stage *ps, const struct stats *st,
			int s, struct trace_stage *ts)
{
	ts->name = xstrdup(ps->name ? ps->name : "?");
	ts->kind = xstrdup(kind_name(ps->kind));
	ts->r = ps->r;
	ts->pes = (int64_t)ps->r.w * ps->r.h;
	ts->copies = plan_copies(ps);
	ts->sram_bytes = ps->sram.total;
	if (!ts->sram_bytes)
		ts->sram_bytes = ps->sram.weights + ps->sram.grads +
				 ps->sram.opt_state + ps->sram.activations +
				 ps->sram.buffers + ps->sram.code;
	double rin = 0, rout = 0;
	for (int k = PASS_FWD; k <= PASS_BWD_DATA; k++) {
		const struct kernel_work *w = &ps->work[k];
		rin += (double)w->bcast_wavelets + w->halo_wavelets / 2.0;
		rout += (double)w->reduce_wavelets + w->halo_wavelets / 2.0;
	}
	ts->recv_share = rin + rout > 0 ? rin / (rin + rout) : 0.5;
	if (!st || s >= st->n_stages) {
		ts->limit = xstrdup("?");
		return;
	}
	const struct stats_stage *ss = &st->stages[s];
	ts->compute_cycles = (double)ss->compute_cycles;
	ts->comm_cycles = (double)ss->comm_cycles;
	ts->wait_in_cycles = (double)ss->wait_in_cycles;
	ts->wait_out_cycles = (double)ss->wait_out_cycles;
	ts->ref_busy_cycles = ts->compute_cycles + ts->comm_cycles;
	ts->fma = (double)ss->fma;
	ts->limit = xstrdup(stats_limit_name(ss->limit));
}

static void route_copy(struct trace_route *tr, int src, int dst, int color,
		       enum pass pass, int64_t wavelets,
		       const struct plan_route *pr, int reversed)
{
	tr->src = src;
	tr->dst = dst;
	tr->color = color;
	tr->pass = xstrdup(pass_name(pass));
	tr->wavelets = wavelets;
	tr->n_points = pr->n_points;
	tr->points = xcalloc((size_t)pr->n_points + 1, sizeof(*tr->points));
	for (int k = 0; k < pr->n_points; k++)
		tr->points[k] =
			pr->points[reversed ? pr->n_points - 1 - k : k];
}

static void build_routes(const struct plan *p, const struct stats *st,
			 struct trace_data *t)
{
	/* the engine adds reversed forward routes (stage to stage, in plan
	 * order) for gradients when a training plan has no backward routes;
	 * its statistics and spans index them after the plan's */
	int n_extra = st && st->n_routes > p->n_routes
			      ? st->n_routes - p->n_routes
			      : 0;
	t->n_routes = p->n_routes + n_extra;
	t->routes = xcalloc((size_t)t->n_routes + 1, sizeof(*t->routes));
	for (int i = 0; i < p->n_routes; i++) {
		const struct plan_route *pr = &p->routes[i];
		route_copy(&t->routes[i], pr->src_stage, pr->dst_stage,
			   pr->color, pr->pass,
			   st && i < st->n_routes ? st->routes[i].wavelets : 0,
			   pr, 0);
		t->routes[i].kind = pr->kind;
		if (st && i < st->n_routes)
			t->routes[i].lanes = st->routes[i].lanes;
	}
	for (int i = 0, e = p->n_routes; i < p->n_routes && e < t->n_routes;
	     i++) {
		const struct plan_route *pr = &p->routes[i];
		if (pr->pass != PASS_FWD || pr->src_stage < 0 ||
		    pr->dst_stage < 0)
			continue;
		route_copy(&t->routes[e], pr->dst_stage, pr->src_stage,
			   pr->color, PASS_BWD_DATA, st->routes[e].wavelets, pr,
			   1);
		t->routes[e].lanes = st->routes[e].lanes;
		e++;
	}
}

static void build_windows(const struct stats *st, const struct machine *m,
			  struct trace_data *t)
{
	int nw = st->win.n, ns = t->n_stages;
	t->n_win = nw;
	t->window_cycles = (double)st->win.window_cycles;
	t->stage_busy = xcalloc((size_t)nw * (size_t)ns + 1, sizeof(double));
	t->win_pe_util = xcalloc((size_t)nw + 1, sizeof(double));
	t->win_fabric_util = xcalloc((size_t)nw + 1, sizeof(double));
	t->win_power_w = xcalloc((size_t)nw + 1, sizeof(double));
	double links = (double)(2 * (m->width - 1) * m->height +
				2 * m->width * (m->height - 1));
	double all_pes = (double)machine_pes(m);
	for (int w = 0; w < nw; w++) {
		double busy_pe_cycles = 0;
		for (int s = 0; s < ns && s < st->win.n_stages; s++) {
			double b = st->win.stage_busy[w * st->win.n_stages + s];
			t->stage_busy[w * ns + s] = b;
			busy_pe_cycles += b * (double)t->stages[s].pes;
		}
		double wc = t->window_cycles > 0 ? t->window_cycles : 1;
		t->win_pe_util[w] =
			all_pes > 0 ? busy_pe_cycles / (all_pes * wc) : 0;
		t->win_fabric_util[w] =
			links > 0 ? st->win.wavelet_hops[w] / (links * wc) : 0;
		t->win_power_w[w] = energy_window_power_w(st, m, w);
	}
}

static void build_grids(const struct stats *st, const struct machine *m,
			struct trace_data *t)
{
	if (!st->pe_busy_cycles || st->width != m->width ||
	    st->height != m->height)
		return;
	int64_t n = st->width * st->height;
	double tot = st->total_cycles > 0 ? (double)st->total_cycles : 1;
	t->pe_util = xmalloc((size_t)n * sizeof(float));
	for (int64_t i = 0; i < n; i++)
		t->pe_util[i] = (float)((double)st->pe_busy_cycles[i] / tot);
	if (!st->link_wavelets)
		return;
	t->link_util = xmalloc((size_t)n * 4 * sizeof(float));
	for (int64_t i = 0; i < n * 4; i++)
		t->link_util[i] = (float)((double)st->link_wavelets[i] / tot);
	t->link_dirs_saved = 1;
}

static void build_spans(const struct stats *st, struct trace_data *t)
{
	t->spans_dropped = st->spans_dropped;
	t->n_spans = st->n_spans;
	t->spans = xcalloc((size_t)st->n_spans + 1, sizeof(*t->spans));
	for (int64_t i = 0; i < st->n_spans; i++) {
		const struct stats_span *a = &st->spans[i];
		t->spans[i] = (struct trace_span){
			(double)a->t0, (double)a->t1, (double)a->comp_cycles,
			a->id,	       a->sample,     a->kind};
	}
}

/* The chart's figures: training per step, inference per prediction, each
 * with its batch; ratios per sample (report_compute's). */
static void build_gpu(const struct report_in *r,
		      const struct report_figures *f, struct trace_gpu *gp)
{
	gp->present = 1;
	gp->name = xstrdup(r->gpu.name);
	gp->n_gpus = r->gpu.n_gpus;
	struct trace_gpu_panel *tr = &gp->p[TRACE_GPU_TRAIN];
	struct trace_gpu_panel *in = &gp->p[TRACE_GPU_INFER];
	tr->present = r->train != NULL;
	in->present = r->infer != NULL && f->pred_per_s > 0;
	tr->wafer_s = f->step_s;
	tr->wafer_j = f->step_j;
	tr->batch = (int64_t)(f->samples_per_s * f->step_s + 0.5);
	in->wafer_s = f->pred_per_s > 0 ? 1 / f->pred_per_s : 0;
	in->wafer_j = f->pred_j;
	in->batch = f->infer_batch;
	tr->gpu_batch = in->gpu_batch = r->gpu.batch;
	for (int k = 0; k < 2; k++) {
		tr->gpu_s[k] = r->gpu.train_step_s[k];
		tr->gpu_j[k] = r->gpu.train_step_j[k];
		tr->speedup[k] = f->speedup_train[k];
		tr->energy_ratio[k] = f->energy_ratio_train[k];
		in->gpu_s[k] = f->gpu_pred_per_s[k] > 0 ? 1 / f->gpu_pred_per_s[k]
							: 0;
		in->gpu_j[k] = f->gpu_pred_j[k];
		in->speedup[k] = f->speedup_infer[k];
		in->energy_ratio[k] = f->energy_ratio_infer[k];
	}
}

int trace_data_build(const struct report_in *r, struct trace_data *t)
{
	const struct plan *p = r->p;
	const struct machine *m = r->m;
	const struct stats *st = r->train ? r->train : r->infer;
	trace_data_init(t);
	t->network = xstrdup(p->network ? p->network : "?");
	t->machine = xstrdup(m->name);
	t->strategy = xstrdup(p->strategy ? p->strategy : "?");
	t->job = xstrdup(r->train ? "train" : "infer");
	t->mode = xstrdup(st && st->mode == MODE_STREAMING ? "streaming"
							   : "pipelined");
	t->width = m->width;
	t->height = m->height;
	t->clock_ghz = m->clock_ghz;
	t->sram_bytes_per_pe = m->pe.sram_bytes;
	t->total_cycles = st ? (double)st->total_cycles : 0;
	t->steps = st && r->train ? st->steps : 0;
	t->samples = st ? st->samples : 0;
	t->n_stages = p->n_stages;
	t->stages = xcalloc((size_t)p->n_stages + 1, sizeof(*t->stages));
	for (int s = 0; s < p->n_stages; s++)
		build_stage(&p->stages[s], st, s, &t->stages[s]);
	build_routes(p, st, t);
	if (r->g)
		build_graph(r->g, p, t);
	if (!st)
		return 0;
	build_windows(st, m, t);
	struct report_figures f;
	report_compute(r, &f);
	const struct energy_breakdown *e = r->train ? &f.e_train : &f.e_infer;
	t->avg_power_w = e->avg_power_w;
	t->energy_j = e->total_pj * 1e-12;
	build_grids(st, m, t);
	build_spans(st, t);
	if (r->gpu.present && !r->gpu.cannot_run) /* no bars without times */
		build_gpu(r, &f, &t->gpu);
	return 0;
}

/* ---- save ---------------------------------------------------------------- */

/* One row per mesh row, W values.  `dir` < 0: the busiest of the four. */
static int save_grid(const struct trace_data *t, const char *dir,
		     const char *name, const float *v, int stride, int which,
		     struct diag *d)
{
	char *path = trace_path(dir, name);
	struct outfile o;
	int rc = outfile_open(&o, path, d);
	free(path);
	if (rc)
		return WS_EIO;
	/* neighbours mostly hold the same value (a stage's PEs run one
	 * program): format each run of equal values once */
	char buf[40];
	float last = 0;
	size_t blen = 1;
	buf[0] = '0';
	for (int64_t y = 0; y < t->height; y++) {
		for (int64_t x = 0; x < t->width; x++) {
			int64_t id = y * t->width + x;
			float f = which < 0 ? trace_link_max(t, id)
					    : v[id * stride + which];
			if (f != last) {
				last = f;
				if (f == 0) {
					buf[0] = '0';
					blen = 1;
				} else {
					blen = (size_t)snprintf(
						buf, sizeof(buf), "%.6g",
						(double)f);
				}
			}
			if (x)
				putc(',', o.f);
			fwrite(buf, 1, blen, o.f);
		}
		putc('\n', o.f);
	}
	return outfile_commit(&o, d) ? WS_EIO : 0;
}

static json_t *route_json(const struct trace_route *tr)
{
	json_t *o = sf_json(trace_route_fields, TR_FIELDS, tr, NULL);
	json_t *pts = ws_json_arr();
	for (int k = 0; k < tr->n_points; k++) {
		const int64_t xy[2] = {tr->points[k].x, tr->points[k].y};
		ws_json_push(pts, ws_json_ints(xy, 2));
	}
	return ws_json_set(o, "points", pts);
}

static json_t *graph_json(const struct trace_data *t, json_t *root)
{
	json_t *a = ws_json_arr();
	for (int i = 0; i < t->n_nodes; i++)
		ws_json_push(a, sf_json(node_fields, ARRAY_SIZE(node_fields),
					&t->nodes[i], NULL));
	ws_json_set(root, "nodes", a);
	a = ws_json_arr();
	for (int i = 0; i < t->n_edges; i++)
		ws_json_push(a, sf_json(edge_fields, ARRAY_SIZE(edge_fields),
					&t->edges[i], NULL));
	return ws_json_set(root, "edges", a);
}

static json_t *windows_json(const struct trace_data *t)
{
	json_t *o = ws_json_obj();
	ws_json_set_int(o, "n", t->n_win);
	ws_json_set_real(o, "window_cycles", t->window_cycles);
	ws_json_set(o, "stage_busy",
		    ws_json_reals(t->stage_busy,
				  (size_t)t->n_win * (size_t)t->n_stages));
	ws_json_set(o, "pe_util", ws_json_reals(t->win_pe_util, (size_t)t->n_win));
	ws_json_set(o, "fabric_util",
		    ws_json_reals(t->win_fabric_util, (size_t)t->n_win));
	ws_json_set(o, "power_w", ws_json_reals(t->win_power_w, (size_t)t->n_win));
	return o;
}

static json_t *spans_json(const struct trace_data *t)
{
	json_t *o = ws_json_obj(), *rows = ws_json_arr();
	ws_json_set_int(o, "dropped", t->spans_dropped);
	for (int64_t i = 0; i < t->n_spans; i++) {
		const struct trace_span *a = &t->spans[i];
		json_t *r = ws_json_arr();
		ws_json_push(r, ws_json_int(a->kind));
		ws_json_push(r, ws_json_int(a->id));
		ws_json_push(r, ws_json_int(a->sample));
		ws_json_push(r, ws_json_real(a->t0));
		ws_json_push(r, ws_json_real(a->t1));
		ws_json_push(r, ws_json_real(a->comp));
		ws_json_push(rows, r);
	}
	return ws_json_set(o, "rows", rows);
}

static json_t *gpu_panel_json(const struct trace_gpu_panel *p)
{
	if (!p->present)
		return json_null();
	json_t *o = ws_json_obj();
	ws_json_set_real(o, "wafer_s", p->wafer_s);
	ws_json_set_real(o, "wafer_j", p->wafer_j);
	ws_json_set(o, "gpu_s", ws_json_reals(p->gpu_s, 2));
	ws_json_set(o, "gpu_j", ws_json_reals(p->gpu_j, 2));
	ws_json_set(o, "speedup", ws_json_reals(p->speedup, 2));
	ws_json_set(o, "energy_ratio", ws_json_reals(p->energy_ratio, 2));
	ws_json_set_int(o, "batch", p->batch);
	ws_json_set_int(o, "gpu_batch", p->gpu_batch);
	return o;
}

static json_t *gpu_json(const struct trace_gpu *g)
{
	if (!g->present)
		return json_null();
	json_t *o = ws_json_obj();
	ws_json_set_str(o, "name", g->name);
	ws_json_set_int(o, "n_gpus", g->n_gpus);
	ws_json_set(o, "train", gpu_panel_json(&g->p[TRACE_GPU_TRAIN]));
	ws_json_set(o, "infer", gpu_panel_json(&g->p[TRACE_GPU_INFER]));
	return o;
}

static json_t *data_json(const struct trace_data *t, int dirs)
{
	json_t *o = ws_json_obj();
	ws_json_set_str(o, "format", TRACE_FORMAT);
	ws_json_set_int(o, "version", TRACE_FORMAT_VERSION);
	ws_json_set_str(o, "network", t->network);
	ws_json_set_str(o, "machine", t->machine);
	ws_json_set_str(o, "strategy", t->strategy);
	ws_json_set_str(o, "job", t->job);
	ws_json_set_str(o, "mode", t->mode);
	ws_json_set_int(o, "width", t->width);
	ws_json_set_int(o, "height", t->height);
	ws_json_set_real(o, "clock_ghz", t->clock_ghz);
	ws_json_set_int(o, "sram_bytes_per_pe", t->sram_bytes_per_pe);
	ws_json_set_real(o, "total_cycles", t->total_cycles);
	ws_json_set_int(o, "steps", t->steps);
	ws_json_set_int(o, "samples", t->samples);
	ws_json_set_real(o, "avg_power_w", t->avg_power_w);
	ws_json_set_real(o, "energy_j", t->energy_j);
	json_t *g = ws_json_obj();
	ws_json_set_str(g, "pe_util", t->pe_util ? "pe_util.csv" : "");
	ws_json_set_str(g, "link_util", t->link_util ? "link_util.csv" : "");
	ws_json_set_int(g, "link_dirs", dirs);
	ws_json_set(o, "grids", g);
	json_t *a = ws_json_arr();
	for (int s = 0; s < t->n_stages; s++)
		ws_json_push(a, sf_json(trace_stage_fields, TS_FIELDS,
					&t->stages[s], NULL));
	ws_json_set(o, "stages", a);
	a = ws_json_arr();
	for (int i = 0; i < t->n_routes; i++)
		ws_json_push(a, route_json(&t->routes[i]));
	ws_json_set(o, "routes", a);
	graph_json(t, o);
	ws_json_set(o, "windows", windows_json(t));
	ws_json_set(o, "spans", spans_json(t));
	return ws_json_set(o, "gpu", gpu_json(&t->gpu));
}

int trace_data_save(const struct trace_data *t, const char *dir,
		    const struct trace_opts *o, struct diag *d)
{
	char *path = trace_path(dir, "stats.json");
	struct outfile of;
	int rc = outfile_open(&of, path, d);
	free(path);
	if (rc)
		return WS_EIO;
	int dirs = o->link_dirs && t->link_dirs_saved;
	if (ws_json_write(of.f, data_json(t, dirs), WS_JSON_COMPACT) ||
	    outfile_commit(&of, d)) {
		outfile_abort(&of);
		return WS_EIO;
	}
	if (t->pe_util && save_grid(t, dir, "pe_util.csv", t->pe_util, 1, 0, d))
		return WS_EIO;
	if (t->link_util &&
	    save_grid(t, dir, "link_util.csv", t->link_util, 4, -1, d))
		return WS_EIO;
	for (int k = 0; dirs && k < 4; k++) {
		char name[64];
		snprintf(name, sizeof(name), "link_util_%s.csv", dir_names[k]);
		if (save_grid(t, dir, name, t->link_util, 4, k, d))
			return WS_EIO;
	}
	return 0;
}

/* ---- load ---------------------------------------------------------------- */

/* Values are named by their path in messages ("stages[3].x"): jansson
 * keeps no line numbers for values (and stats.json is one line). */
struct loader {
	const char *file;
	struct diag *d;
	int bad;
};

enum want { W_NUM, W_STR, W_ARR, W_OBJ };

static json_t *need(struct loader *L, const json_t *obj, const char *where,
		    const char *key, enum want w)
{
	static const char *const wn[] = {"a number", "a string", "an array",
					 "an object"};
	json_t *v = json_object_get(obj, key);
	int ok = w == W_NUM   ? json_is_number(v)
		 : w == W_STR ? json_is_string(v)
		 : w == W_ARR ? json_is_array(v)
			      : json_is_object(v);
	if (ok)
		return v;
	diag_add(L->d, L->file, 0, 0, "trace: '%s%s%s' must be %s, got %s",
		 where, *where ? "." : "", key, wn[w], ws_json_kind(v));
	L->bad = 1;
	return NULL;
}

static double get_num(struct loader *L, const json_t *o, const char *where,
		      const char *key)
{
	return json_number_value(need(L, o, where, key, W_NUM));
}

static char *get_str(struct loader *L, const json_t *o, const char *where,
		     const char *key)
{
	const char *s = json_string_value(need(L, o, where, key, W_STR));
	return xstrdup(s ? s : "");
}

static double *get_nums(struct loader *L, const json_t *o, const char *where,
			const char *key, size_t n)
{
	double *out = xcalloc(n + 1, sizeof(double));
	json_t *v = need(L, o, where, key, W_ARR);
	if (!v)
		return out;
	if (json_array_size(v) != n) {
		diag_add(L->d, L->file, 0, 0,
			 "trace: '%s%s%s' must have %zu numbers, got %zu",
			 where, *where ? "." : "", key, n, json_array_size(v));
		L->bad = 1;
		return out;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = json_number_value(json_array_get(v, i));
	return out;
}

/* The number `key` of root within [lo, hi], else an error and `dflt`. */
static double get_within(struct loader *L, const json_t *root,
			 const char *key, double lo, double hi, double dflt)
{
	const json_t *v = need(L, root, "", key, W_NUM);
	double x = json_number_value(v);
	if (!v || (x >= lo && x <= hi))
		return v ? x : dflt;
	diag_add(L->d, L->file, 0, 0, "trace: '%s' must be in [%g, %g], got %g",
		 key, lo, hi, x);
	L->bad = 1;
	return dflt;
}

/* The array `key` of root: its size in *n, or NULL (and an error). */
static json_t *get_list(struct loader *L, const json_t *root, const char *key,
			int *n)
{
	json_t *a = need(L, root, "", key, W_ARR);
	*n = a ? (int)json_array_size(a) : 0;
	return a;
}

static int load_grid(const char *dir, const char *name, int64_t w, int64_t h,
		     float *out, int stride, int which, struct diag *d)
{
	char *path = trace_path(dir, name), *text;
	size_t len;
	int rc = read_file(path, &text, &len, d);
	if (rc) {
		free(path);
		return rc;
	}
	char *p = text;
	/* equal neighbours: reuse the last number when its text repeats */
	const char *prev = NULL;
	size_t prev_len = 0;
	double prev_v = 0;
	for (int64_t y = 0; y < h && !rc; y++)
		for (int64_t x = 0; x < w; x++) {
			char *end;
			double v;
			if (prev && !strncmp(p, prev, prev_len) &&
			    (p[prev_len] == ',' || p[prev_len] == '\n')) {
				v = prev_v;
				end = p + prev_len;
			} else {
				v = strtod(p, &end);
				prev = p;
				prev_len = (size_t)(end - p);
				prev_v = v;
			}
			char want = x + 1 < w ? ',' : '\n';
			if (end == p || *end != want) {
				diag_add(d, path, (int)y + 1, 0,
					 "trace: grid must have %lld rows of "
					 "%lld comma-separated numbers",
					 (long long)h, (long long)w);
				rc = WS_EINPUT;
				break;
			}
			out[(y * w + x) * stride + which] = (float)v;
			p = end + 1;
		}
	free(text);
	free(path);
	return rc;
}

/* A stage's rectangle lies inside the mesh (it is drawn and indexed by);
 * else an error naming the stage, and a zero rectangle. */
static void check_rect(struct loader *L, const char *w,
		       const struct trace_data *t, struct rect *r)
{
	if (r->x >= 0 && r->y >= 0 && r->w >= 1 && r->h >= 1 &&
	    (int64_t)r->x + r->w <= t->width &&
	    (int64_t)r->y + r->h <= t->height)
		return;
	diag_add(L->d, L->file, 0, 0,
		 "trace: '%s' rectangle must lie inside the %lldx%lld mesh, "
		 "got x %d, y %d, w %d, h %d",
		 w, (long long)t->width, (long long)t->height, (int)r->x,
		 (int)r->y, (int)r->w, (int)r->h);
	memset(r, 0, sizeof(*r));
	L->bad = 1;
}

static void load_stages(struct loader *L, const json_t *root,
			struct trace_data *t)
{
	json_t *a = get_list(L, root, "stages", &t->n_stages);
	t->stages = xcalloc((size_t)t->n_stages + 1, sizeof(*t->stages));
	for (int i = 0; i < t->n_stages; i++) {
		const json_t *s = json_array_get(a, (size_t)i);
		struct trace_stage *ts = &t->stages[i];
		char w[32];
		snprintf(w, sizeof(w), "stages[%d]", i);
		if (sf_load(trace_stage_fields, TS_FIELDS, s, ts, "trace", w,
			    L->file, L->d)) {
			L->bad = 1;
			continue;
		}
		check_rect(L, w, t, &ts->r);
		if (!json_object_get(s, "copies")) {
			ts->copies = 1; /* saved before sample copies */
		} else if (ts->copies < 1 || ts->copies > PLAN_MAX_COPIES) {
			diag_add(L->d, L->file, 0, 0,
				 "trace: '%s.copies' must be in [1, %d], got "
				 "%d",
				 w, PLAN_MAX_COPIES, ts->copies);
			L->bad = 1;
		}
	}
}

static void load_points(struct loader *L, const json_t *s, const char *w,
			struct trace_route *tr)
{
	json_t *pts = need(L, s, w, "points", W_ARR);
	tr->n_points = pts ? (int)json_array_size(pts) : 0;
	tr->points = xcalloc((size_t)tr->n_points + 1, sizeof(*tr->points));
	for (int k = 0; k < tr->n_points; k++) {
		const json_t *q = json_array_get(pts, (size_t)k);
		if (!json_is_array(q) || json_array_size(q) != 2 ||
		    !json_is_number(json_array_get(q, 0)) ||
		    !json_is_number(json_array_get(q, 1))) {
			diag_add(L->d, L->file, 0, 0,
				 "trace: '%s.points[%d]' must be [x, y]", w, k);
			L->bad = 1;
			continue;
		}
		tr->points[k].x = (int32_t)json_number_value(json_array_get(q, 0));
		tr->points[k].y = (int32_t)json_number_value(json_array_get(q, 1));
	}
}

/* A route joins stages that exist, or the host (-1). */
static void check_route(struct loader *L, const char *w,
			const struct trace_data *t, struct trace_route *tr)
{
	if (tr->src >= -1 && tr->src < t->n_stages && tr->dst >= -1 &&
	    tr->dst < t->n_stages)
		return;
	diag_add(L->d, L->file, 0, 0,
		 "trace: '%s' must join two of the %d stages or the host "
		 "(-1), got %d -> %d",
		 w, t->n_stages, tr->src, tr->dst);
	L->bad = 1;
	tr->src = tr->dst = -1;
}

static void load_routes(struct loader *L, const json_t *root,
			struct trace_data *t)
{
	json_t *a = get_list(L, root, "routes", &t->n_routes);
	t->routes = xcalloc((size_t)t->n_routes + 1, sizeof(*t->routes));
	for (int i = 0; i < t->n_routes; i++) {
		const json_t *s = json_array_get(a, (size_t)i);
		struct trace_route *tr = &t->routes[i];
		char w[32];
		snprintf(w, sizeof(w), "routes[%d]", i);
		if (sf_load(trace_route_fields, TR_FIELDS, s, tr, "trace", w,
			    L->file, L->d))
			L->bad = 1;
		else
			check_route(L, w, t, tr);
		load_points(L, s, w, tr);
		for (int k = 0; k < tr->n_points; k++)
			if (tr->points[k].x < 0 || tr->points[k].y < 0 ||
			    tr->points[k].x >= t->width ||
			    tr->points[k].y >= t->height) {
				diag_add(L->d, L->file, 0, 0,
					 "trace: '%s.points[%d]' must lie "
					 "inside the %lldx%lld mesh, got [%d, "
					 "%d]",
					 w, k, (long long)t->width,
					 (long long)t->height,
					 (int)tr->points[k].x,
					 (int)tr->points[k].y);
				L->bad = 1;
				tr->n_points = 0;
				break;
			}
	}
}

static void load_graph(struct loader *L, const json_t *root,
		       struct trace_data *t)
{
	json_t *a = get_list(L, root, "nodes", &t->n_nodes);
	t->nodes = xcalloc((size_t)t->n_nodes + 1, sizeof(*t->nodes));
	for (int i = 0; i < t->n_nodes; i++) {
		const json_t *s = json_array_get(a, (size_t)i);
		struct trace_node *n = &t->nodes[i];
		char w[32];
		snprintf(w, sizeof(w), "nodes[%d]", i);
		if (sf_load(node_fields, ARRAY_SIZE(node_fields), s, n, "trace",
			    w, L->file, L->d))
			L->bad = 1;
		if (n->stage < -1 || n->stage >= t->n_stages) {
			diag_add(L->d, L->file, 0, 0,
				 "trace: '%s.stage' must be one of the %d "
				 "stages or -1 (none), got %d",
				 w, t->n_stages, n->stage);
			L->bad = 1;
			n->stage = -1;
		}
	}
	a = get_list(L, root, "edges", &t->n_edges);
	t->edges = xcalloc((size_t)t->n_edges + 1, sizeof(*t->edges));
	for (int i = 0; i < t->n_edges; i++) {
		const json_t *s = json_array_get(a, (size_t)i);
		struct trace_edge *e = &t->edges[i];
		char w[32];
		snprintf(w, sizeof(w), "edges[%d]", i);
		if (sf_load(edge_fields, ARRAY_SIZE(edge_fields), s, e, "trace",
			    w, L->file, L->d))
			L->bad = 1;
		if (e->from < 0 || e->from >= t->n_nodes || e->to < 0 ||
		    e->to >= t->n_nodes) {
			diag_add(L->d, L->file, 0, 0,
				 "trace: '%s' must join two of the %d nodes, "
				 "got %d -> %d",
				 w, t->n_nodes, e->from, e->to);
			L->bad = 1;
			e->from = e->to = 0;
		}
	}
}

static void load_windows(struct loader *L, const json_t *root,
			 struct trace_data *t)
{
	const char *k = "windows";
	json_t *w = need(L, root, "", k, W_OBJ);
	if (!w)
		return;
	double n = get_num(L, w, k, "n");
	t->n_win = n >= 0 && n <= 1 << 20 ? (int)n : 0;
	t->window_cycles = get_num(L, w, k, "window_cycles");
	if (t->n_win > 0 && !(t->window_cycles >= 1 &&
			      t->window_cycles < 0x1p62)) {
		diag_add(L->d, L->file, 0, 0,
			 "trace: 'windows.window_cycles' must be in [1, 2^62), "
			 "got %g",
			 t->window_cycles);
		L->bad = 1;
		t->window_cycles = 1;
	}
	t->stage_busy = get_nums(L, w, k, "stage_busy",
				 (size_t)t->n_win * (size_t)t->n_stages);
	t->win_pe_util = get_nums(L, w, k, "pe_util", (size_t)t->n_win);
	t->win_fabric_util = get_nums(L, w, k, "fabric_util", (size_t)t->n_win);
	t->win_power_w = get_nums(L, w, k, "power_w", (size_t)t->n_win);
}

/* One span row: 0 if it is [kind, id, sample, t0, t1, comp] with a known
 * kind, t0 <= t1 and an id of an existing stage or route. */
static int load_span(struct loader *L, const json_t *q, int64_t i,
		     const struct trace_data *t, struct trace_span *sa)
{
	double v[6];
	int ok = json_is_array(q) && json_array_size(q) == 6;
	for (size_t k = 0; ok && k < 6; k++) {
		ok = json_is_number(json_array_get(q, k));
		v[k] = json_number_value(json_array_get(q, k));
	}
	if (!ok || v[0] < 0 || v[0] >= STATS_SPAN_KINDS || v[4] < v[3]) {
		diag_add(L->d, L->file, 0, 0,
			 "trace: 'spans.rows[%lld]' must be [kind, id, sample, "
			 "t0, t1, comp] with t0 <= t1",
			 (long long)i);
		return 1;
	}
	*sa = (struct trace_span){v[3], v[4], v[5], (int32_t)v[1],
				  (uint32_t)v[2], (int)v[0]};
	int route = sa->kind >= STATS_SPAN_ROUTE;
	int lim = route ? t->n_routes : t->n_stages;
	if (sa->id < 0 || sa->id >= lim) {
		diag_add(L->d, L->file, 0, 0,
			 "trace: 'spans.rows[%lld]' names %s %d, there are %d",
			 (long long)i, route ? "route" : "stage", sa->id, lim);
		return 1;
	}
	return 0;
}

static void load_spans(struct loader *L, const json_t *root,
		       struct trace_data *t)
{
	json_t *sp = json_object_get(root, "spans");
	if (!json_is_object(sp)) /* absent: window spans */
		return;
	t->spans_dropped = (int64_t)get_num(L, sp, "spans", "dropped");
	json_t *rows = need(L, sp, "spans", "rows", W_ARR);
	size_t n = json_array_size(rows);
	t->spans = xcalloc(n + 1, sizeof(*t->spans));
	for (size_t i = 0; i < n; i++) {
		if (load_span(L, json_array_get(rows, i), (int64_t)i, t,
			      &t->spans[t->n_spans])) {
			L->bad = 1;
			break;
		}
		t->n_spans++;
	}
}

static void load_gpu_panel(struct loader *L, const json_t *g,
			   const char *key, struct trace_gpu_panel *p)
{
	const json_t *o = json_object_get(g, key);
	if (json_is_null(o))
		return; /* no such panel */
	char w[16];
	snprintf(w, sizeof(w), "gpu.%s", key);
	if (!need(L, g, "gpu", key, W_OBJ))
		return;
	p->present = 1;
	p->wafer_s = get_num(L, o, w, "wafer_s");
	p->wafer_j = get_num(L, o, w, "wafer_j");
	p->batch = (int64_t)get_num(L, o, w, "batch");
	p->gpu_batch = (int64_t)get_num(L, o, w, "gpu_batch");
	const char *keys[4] = {"gpu_s", "gpu_j", "speedup", "energy_ratio"};
	double *dst[4] = {p->gpu_s, p->gpu_j, p->speedup, p->energy_ratio};
	for (int k = 0; k < 4; k++) {
		double *v = get_nums(L, o, w, keys[k], 2);
		dst[k][0] = v[0];
		dst[k][1] = v[1];
		free(v);
	}
}

static void load_gpu(struct loader *L, const json_t *root,
		     struct trace_data *t)
{
	const json_t *g = json_object_get(root, "gpu");
	if (!json_is_object(g))
		return;
	const char *w = "gpu";
	struct trace_gpu *gp = &t->gpu;
	gp->present = 1;
	gp->name = get_str(L, g, w, "name");
	gp->n_gpus = (int)get_num(L, g, w, "n_gpus");
	load_gpu_panel(L, g, "train", &gp->p[TRACE_GPU_TRAIN]);
	load_gpu_panel(L, g, "infer", &gp->p[TRACE_GPU_INFER]);
}

static void load_grids(struct loader *L, const char *dir, const json_t *root,
		       struct trace_data *t)
{
	json_t *gr = need(L, root, "", "grids", W_OBJ);
	int64_t n = t->width * t->height;
	if (!gr || L->bad || n <= 0)
		return;
	const char *pe = ws_json_str_at(gr, "pe_util");
	const char *li = ws_json_str_at(gr, "link_util");
	/* the grids lie beside stats.json under their own names: the
	 * entries say which were saved, never where to read */
	if ((pe && *pe && strcmp(pe, "pe_util.csv")) ||
	    (li && *li && strcmp(li, "link_util.csv"))) {
		diag_add(L->d, L->file, 0, 0,
			 "trace: 'grids' must name pe_util.csv and "
			 "link_util.csv (or \"\"), got '%.200s' and '%.200s'",
			 pe ? pe : "", li ? li : "");
		L->bad = 1;
		return;
	}
	double dirs = 0;
	ws_json_num_at(gr, "link_dirs", &dirs);
	if (pe && *pe) {
		t->pe_util = xcalloc((size_t)n, sizeof(float));
		if (load_grid(dir, "pe_util.csv", t->width, t->height,
			      t->pe_util, 1, 0, L->d))
			L->bad = 1;
	}
	if (!li || !*li)
		return;
	t->link_util = xcalloc((size_t)n * 4, sizeof(float));
	t->link_dirs_saved = dirs != 0;
	for (int k = 0; k < (dirs != 0 ? 4 : 1) && !L->bad; k++) {
		char name[64];
		if (dirs != 0)
			snprintf(name, sizeof(name), "link_util_%s.csv",
				 dir_names[k]);
		else
			snprintf(name, sizeof(name), "link_util.csv");
		if (load_grid(dir, name, t->width, t->height, t->link_util, 4,
			      k, L->d))
			L->bad = 1;
	}
}

static void load_run(struct loader *L, const json_t *root,
		     struct trace_data *t)
{
	t->network = get_str(L, root, "", "network");
	t->machine = get_str(L, root, "", "machine");
	t->strategy = get_str(L, root, "", "strategy");
	t->job = get_str(L, root, "", "job");
	t->mode = get_str(L, root, "", "mode");
	/* converted only within range (out of it the conversion is
	 * undefined); the mesh is checked below, quoting what was read */
	double w = get_num(L, root, "", "width");
	double h = get_num(L, root, "", "height");
	double sram = get_num(L, root, "", "sram_bytes_per_pe");
	if (!(w >= 0 && w <= 1 << 26 && h >= 0 && h <= 1 << 26)) {
		diag_add(L->d, L->file, 0, 0,
			 "trace: mesh must be at most 2^26 PEs, got %gx%g", w,
			 h);
		L->bad = 1;
		w = h = 0;
	}
	if (!(sram >= 0 && sram < 0x1p62)) {
		diag_add(L->d, L->file, 0, 0,
			 "trace: 'sram_bytes_per_pe' must be in [0, 2^62), "
			 "got %g",
			 sram);
		L->bad = 1;
		sram = 0;
	}
	if (w != floor(w) || h != floor(h)) {
		diag_add(L->d, L->file, 0, 0,
			 "trace: 'width' and 'height' must be whole PEs, got "
			 "%gx%g",
			 w, h);
		L->bad = 1;
		w = h = 0;
	}
	t->width = (int64_t)w;
	t->height = (int64_t)h;
	t->clock_ghz = get_within(L, root, "clock_ghz", 1e-9, 1e6, 1);
	double v = get_num(L, root, "", "version");
	if (v != TRACE_FORMAT_VERSION) {
		diag_add(L->d, L->file, 0, 0,
			 "trace: 'version' must be %d (this wafersim's), got %g",
			 TRACE_FORMAT_VERSION, v);
		L->bad = 1;
	}
	t->sram_bytes_per_pe = (int64_t)sram;
	t->total_cycles = get_within(L, root, "total_cycles", 0, 0x1p62, 0);
	double steps = get_num(L, root, "", "steps");
	double samples = get_num(L, root, "", "samples");
	if (!(steps >= 0 && steps <= 0x1p62 && samples >= 0 &&
	      samples <= 0x1p62)) {
		diag_add(L->d, L->file, 0, 0,
			 "trace: 'steps' and 'samples' must be in [0, 2^62], "
			 "got %g and %g",
			 steps, samples);
		L->bad = 1;
		steps = samples = 0;
	}
	t->steps = (int64_t)steps;
	t->samples = (int64_t)samples;
	t->avg_power_w = get_num(L, root, "", "avg_power_w");
	t->energy_j = get_num(L, root, "", "energy_j");
	if (t->width < 0 || t->height < 0 ||
	    t->width * t->height > (1LL << 26)) {
		diag_add(L->d, L->file, 0, 0,
			 "trace: mesh %lldx%lld out of range",
			 (long long)t->width, (long long)t->height);
		L->bad = 1;
		t->width = t->height = 0;
	}
}

int trace_data_load(const char *dir, struct trace_data *t, struct diag *d)
{
	trace_data_init(t);
	char *path = trace_path(dir, "stats.json"), *text;
	size_t len;
	int rc = read_file(path, &text, &len, d);
	if (rc) {
		free(path);
		return rc;
	}
	json_t *root = ws_json_parse(text, len, path, 1, d);
	free(text);
	if (!root) {
		free(path);
		return WS_EINPUT;
	}
	struct loader L = {path, d, 0};
	const char *fmt = ws_json_str_at(root, "format");
	if (!fmt || strcmp(fmt, TRACE_FORMAT)) {
		diag_add(d, path, 0, 0, "trace: 'format' must be '%s', got '%s'",
			 TRACE_FORMAT, fmt ? fmt : "nothing");
		L.bad = 1;
	} else {
		load_run(&L, root, t);
		load_stages(&L, root, t);
		load_routes(&L, root, t);
		load_graph(&L, root, t);
		load_windows(&L, root, t);
		load_spans(&L, root, t);
		load_gpu(&L, root, t);
		load_grids(&L, dir, root, t);
	}
	json_decref(root);
	free(path);
	if (L.bad) {
		trace_data_release(t);
		return WS_EINPUT;
	}
	return 0;
}
