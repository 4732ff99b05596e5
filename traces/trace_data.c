/*
 * trace_data.c: the snapshot every picture is drawn from: built from a run,
 * saved as stats.json plus grid CSVs, loaded back (ground/json.h).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compiler/graph.h"
#include "sim/energy.h"
#include "ground/json.h"
#include "sim/stats.h"
#include "ground/util.h"
#include "traces/trace_int.h"

static const char *const dir_names[4] = {"east", "west", "south", "north"};

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
	for (int i = 0; i < t->n_stages; i++) {
		free(t->stages[i].name);
		free(t->stages[i].kind);
		free(t->stages[i].limit);
	}
	free(t->stages);
	for (int i = 0; i < t->n_routes; i++) {
		free(t->routes[i].pass);
		free(t->routes[i].points);
	}
	free(t->routes);
	for (int i = 0; i < t->n_nodes; i++) {
		free(t->nodes[i].name);
		free(t->nodes[i].op);
		free(t->nodes[i].shape);
	}
	free(t->nodes);
	for (int i = 0; i < t->n_edges; i++)
		free(t->edges[i].label);
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

void trace_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
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
	t->n_stages = p->n_stages;
	t->stages = xcalloc((size_t)p->n_stages + 1, sizeof(*t->stages));
	for (int s = 0; s < p->n_stages; s++) {
		const struct plan_stage *ps = &p->stages[s];
		struct trace_stage *ts = &t->stages[s];
		ts->name = xstrdup(ps->name ? ps->name : "?");
		ts->kind = xstrdup(kind_name(ps->kind));
		ts->r = ps->r;
		ts->pes = (int64_t)ps->r.w * ps->r.h;
		ts->sram_bytes = ps->sram.total;
		if (!ts->sram_bytes)
			ts->sram_bytes = ps->sram.weights + ps->sram.grads +
					 ps->sram.opt_state +
					 ps->sram.activations +
					 ps->sram.buffers + ps->sram.code;
		double rin = 0, rout = 0;
		for (int k = PASS_FWD; k <= PASS_BWD_DATA; k++) {
			const struct kernel_work *w = &ps->work[k];
			rin += (double)w->bcast_wavelets +
			       w->halo_wavelets / 2.0;
			rout += (double)w->reduce_wavelets +
				w->halo_wavelets / 2.0;
		}
		ts->recv_share = rin + rout > 0 ? rin / (rin + rout) : 0.5;
		if (st && s < st->n_stages) {
			const struct stats_stage *ss = &st->stages[s];
			ts->compute_cycles = (double)ss->compute_cycles;
			ts->comm_cycles = (double)ss->comm_cycles;
			ts->wait_in_cycles = (double)ss->wait_in_cycles;
			ts->wait_out_cycles = (double)ss->wait_out_cycles;
			ts->ref_busy_cycles =
				ts->compute_cycles + ts->comm_cycles;
			ts->fma = (double)ss->fma;
			ts->limit = xstrdup(stats_limit_name(ss->limit));
		} else {
			ts->limit = xstrdup("?");
		}
	}
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
		struct trace_route *tr = &t->routes[i];
		tr->src = pr->src_stage;
		tr->dst = pr->dst_stage;
		tr->color = pr->color;
		tr->pass = xstrdup(pass_name(pr->pass));
		tr->wavelets =
			st && i < st->n_routes ? st->routes[i].wavelets : 0;
		tr->n_points = pr->n_points;
		tr->points =
			xcalloc((size_t)pr->n_points + 1, sizeof(*tr->points));
		if (pr->n_points)
			memcpy(tr->points, pr->points,
			       (size_t)pr->n_points * sizeof(*tr->points));
	}
	for (int i = 0, e = p->n_routes; i < p->n_routes && e < t->n_routes;
	     i++) {
		const struct plan_route *pr = &p->routes[i];
		if (pr->pass != PASS_FWD || pr->src_stage < 0 ||
		    pr->dst_stage < 0)
			continue;
		struct trace_route *tr = &t->routes[e];
		tr->src = pr->dst_stage;
		tr->dst = pr->src_stage;
		tr->color = pr->color;
		tr->pass = xstrdup(pass_name(PASS_BWD_DATA));
		tr->wavelets = st->routes[e].wavelets;
		tr->n_points = pr->n_points;
		tr->points =
			xcalloc((size_t)pr->n_points + 1, sizeof(*tr->points));
		for (int k = 0; k < pr->n_points; k++)
			tr->points[k] = pr->points[pr->n_points - 1 - k];
		e++;
	}
	if (r->g)
		build_graph(r->g, p, t);
	if (!st)
		return 0;
	/* windows */
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
	struct report_figures f;
	report_compute(r, &f);
	const struct energy_breakdown *e = r->train ? &f.e_train : &f.e_infer;
	t->avg_power_w = e->avg_power_w;
	t->energy_j = e->total_pj * 1e-12;
	/* per PE and link grids */
	if (st->pe_busy_cycles && st->width == m->width &&
	    st->height == m->height) {
		int64_t n = st->width * st->height;
		double tot =
			st->total_cycles > 0 ? (double)st->total_cycles : 1;
		t->pe_util = xmalloc((size_t)n * sizeof(float));
		for (int64_t i = 0; i < n; i++)
			t->pe_util[i] =
				(float)((double)st->pe_busy_cycles[i] / tot);
		if (st->link_wavelets) {
			t->link_util = xmalloc((size_t)n * 4 * sizeof(float));
			for (int64_t i = 0; i < n * 4; i++)
				t->link_util[i] =
					(float)((double)st->link_wavelets[i] /
						tot);
			t->link_dirs_saved = 1;
		}
	}
	t->spans_dropped = st->spans_dropped;
	t->n_spans = st->n_spans;
	t->spans = xcalloc((size_t)st->n_spans + 1, sizeof(*t->spans));
	for (int64_t i = 0; i < st->n_spans; i++) {
		const struct stats_span *a = &st->spans[i];
		t->spans[i] = (struct trace_span){
			(double)a->t0, (double)a->t1, (double)a->comp_cycles,
			a->id,	       a->sample,     a->kind};
	}
	if (r->gpu.present) {
		struct trace_gpu *gp = &t->gpu;
		gp->present = 1;
		gp->name = xstrdup(r->gpu.name);
		gp->n_gpus = r->gpu.n_gpus;
		gp->train = r->train != NULL;
		for (int k = 0; k < 2; k++) {
			if (gp->train) {
				gp->gpu_s[k] = f.gpu_train_s[k];
				gp->gpu_j[k] = f.gpu_train_j[k];
				gp->speedup[k] = f.speedup_train[k];
				gp->energy_ratio[k] = f.energy_ratio_train[k];
			} else {
				gp->gpu_s[k] = f.gpu_pred_per_s[k] > 0
						       ? 1 / f.gpu_pred_per_s[k]
						       : 0;
				gp->gpu_j[k] = f.gpu_pred_j[k];
				gp->speedup[k] = f.speedup_infer[k];
				gp->energy_ratio[k] = f.energy_ratio_infer[k];
			}
		}
		gp->wafer_s =
			gp->train ? f.train_s
				  : (f.pred_per_s > 0 ? 1 / f.pred_per_s : 0);
		gp->wafer_j = gp->train ? f.train_j : f.pred_j;
	}
	return 0;
}

/* ---- save ---------------------------------------------------------------- */

static void num(FILE *f, const char *key, double v, int comma)
{
	char buf[32];
	fprintf(f, "\"%s\": %s%s", key,
		isfinite(v) ? fmt_double_exact(buf, v) : "null",
		comma ? ", " : "");
}

static void str(FILE *f, const char *key, const char *v, int comma)
{
	fprintf(f, "\"%s\": ", key);
	trace_json_str(f, v);
	if (comma)
		fputs(", ", f);
}

static void num_array(FILE *f, const char *key, const double *v, int n,
		      int comma)
{
	char buf[32];
	fprintf(f, "\"%s\": [", key);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? ", " : "",
			isfinite(v[i]) ? fmt_double_exact(buf, v[i]) : "0");
	fprintf(f, "]%s", comma ? ",\n    " : "");
}

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

int trace_data_save(const struct trace_data *t, const char *dir,
		    const struct trace_opts *o, struct diag *d)
{
	char *path = trace_path(dir, "stats.json");
	struct outfile of;
	int rc = outfile_open(&of, path, d);
	free(path);
	if (rc)
		return WS_EIO;
	FILE *f = of.f;
	int dirs = o->link_dirs && t->link_dirs_saved;
	fprintf(f, "{\n  ");
	str(f, "format", TRACE_FORMAT, 1);
	num(f, "version", TRACE_FORMAT_VERSION, 0);
	fprintf(f, ",\n  ");
	str(f, "network", t->network, 1);
	str(f, "machine", t->machine, 1);
	str(f, "strategy", t->strategy, 1);
	str(f, "job", t->job, 1);
	str(f, "mode", t->mode, 0);
	fprintf(f, ",\n  ");
	num(f, "width", (double)t->width, 1);
	num(f, "height", (double)t->height, 1);
	num(f, "clock_ghz", t->clock_ghz, 1);
	num(f, "sram_bytes_per_pe", (double)t->sram_bytes_per_pe, 1);
	num(f, "total_cycles", t->total_cycles, 1);
	num(f, "avg_power_w", t->avg_power_w, 1);
	num(f, "energy_j", t->energy_j, 0);
	fprintf(f, ",\n  \"grids\": {");
	str(f, "pe_util", t->pe_util ? "pe_util.csv" : "", 1);
	str(f, "link_util", t->link_util ? "link_util.csv" : "", 1);
	num(f, "link_dirs", dirs, 0);
	fprintf(f, "},\n  \"stages\": [");
	for (int s = 0; s < t->n_stages; s++) {
		const struct trace_stage *ts = &t->stages[s];
		fprintf(f, "%s\n    {", s ? "," : "");
		str(f, "name", ts->name, 1);
		str(f, "kind", ts->kind, 1);
		num(f, "x", ts->r.x, 1);
		num(f, "y", ts->r.y, 1);
		num(f, "w", ts->r.w, 1);
		num(f, "h", ts->r.h, 1);
		num(f, "pes", (double)ts->pes, 1);
		num(f, "compute_cycles", ts->compute_cycles, 1);
		num(f, "comm_cycles", ts->comm_cycles, 1);
		num(f, "wait_in_cycles", ts->wait_in_cycles, 1);
		num(f, "wait_out_cycles", ts->wait_out_cycles, 1);
		num(f, "recv_share", ts->recv_share, 1);
		num(f, "ref_busy_cycles", ts->ref_busy_cycles, 1);
		num(f, "sram_bytes", (double)ts->sram_bytes, 1);
		num(f, "fma", ts->fma, 1);
		str(f, "limit", ts->limit, 0);
		fputc('}', f);
	}
	fprintf(f, "\n  ],\n  \"routes\": [");
	for (int i = 0; i < t->n_routes; i++) {
		const struct trace_route *tr = &t->routes[i];
		fprintf(f, "%s\n    {", i ? "," : "");
		num(f, "src", tr->src, 1);
		num(f, "dst", tr->dst, 1);
		num(f, "color", tr->color, 1);
		str(f, "pass", tr->pass, 1);
		num(f, "wavelets", (double)tr->wavelets, 1);
		fprintf(f, "\"points\": [");
		for (int k = 0; k < tr->n_points; k++)
			fprintf(f, "%s[%d, %d]", k ? ", " : "", tr->points[k].x,
				tr->points[k].y);
		fprintf(f, "]}");
	}
	fprintf(f, "\n  ],\n  \"nodes\": [");
	for (int i = 0; i < t->n_nodes; i++) {
		const struct trace_node *n = &t->nodes[i];
		fprintf(f, "%s\n    {", i ? "," : "");
		str(f, "name", n->name, 1);
		str(f, "op", n->op, 1);
		str(f, "shape", n->shape, 1);
		num(f, "params", (double)n->params, 1);
		num(f, "flops_fwd", n->flops_fwd, 1);
		num(f, "stage", n->stage, 0);
		fputc('}', f);
	}
	fprintf(f, "\n  ],\n  \"edges\": [");
	for (int i = 0; i < t->n_edges; i++) {
		const struct trace_edge *e = &t->edges[i];
		fprintf(f, "%s\n    {", i ? "," : "");
		num(f, "from", e->from, 1);
		num(f, "to", e->to, 1);
		str(f, "label", e->label, 1);
		num(f, "dashed", e->dashed, 0);
		fputc('}', f);
	}
	fprintf(f, "\n  ],\n  \"windows\": {");
	num(f, "n", t->n_win, 1);
	num(f, "window_cycles", t->window_cycles, 0);
	fprintf(f, ",\n    ");
	num_array(f, "stage_busy", t->stage_busy, t->n_win * t->n_stages, 1);
	num_array(f, "pe_util", t->win_pe_util, t->n_win, 1);
	num_array(f, "fabric_util", t->win_fabric_util, t->n_win, 1);
	num_array(f, "power_w", t->win_power_w, t->n_win, 0);
	fprintf(f, "},\n  \"spans\": {");
	num(f, "dropped", (double)t->spans_dropped, 0);
	fprintf(f, ",\n    \"rows\": [");
	for (int64_t i = 0; i < t->n_spans; i++) {
		const struct trace_span *a = &t->spans[i];
		char b0[32], b1[32], b2[32];
		fprintf(f, "%s[%d, %d, %u, %s, %s, %s]",
			i ? (i % 4 ? ", " : ",\n      ") : "", a->kind, a->id,
			a->sample, fmt_double_exact(b0, a->t0),
			fmt_double_exact(b1, a->t1),
			fmt_double_exact(b2, a->comp));
	}
	fprintf(f, "]");
	fprintf(f, "},\n  \"gpu\": ");
	if (t->gpu.present) {
		const struct trace_gpu *g = &t->gpu;
		fputc('{', f);
		str(f, "name", g->name, 1);
		num(f, "n_gpus", g->n_gpus, 1);
		num(f, "train", g->train, 1);
		num(f, "wafer_s", g->wafer_s, 1);
		num(f, "wafer_j", g->wafer_j, 1);
		num_array(f, "gpu_s", g->gpu_s, 2, 0);
		fputs(", ", f);
		num_array(f, "gpu_j", g->gpu_j, 2, 0);
		fputs(", ", f);
		num_array(f, "speedup", g->speedup, 2, 0);
		fputs(", ", f);
		num_array(f, "energy_ratio", g->energy_ratio, 2, 0);
		fputc('}', f);
	} else {
		fputs("null", f);
	}
	fprintf(f, "\n}\n");
	if (outfile_commit(&of, d))
		return WS_EIO;
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

struct loader {
	const char *file;
	struct diag *d;
	int bad;
};

static const struct json_value *need(struct loader *L,
				     const struct json_value *obj,
				     const char *key, enum json_type type)
{
	const struct json_value *v = json_get(obj, key);
	static const char *const tn[] = {"null",     "a boolean", "a number",
					 "a string", "an array",  "an object"};
	if (!v || v->type != type) {
		diag_add(L->d, L->file, v ? v->line : obj->line,
			 v ? v->col : obj->col,
			 "trace: '%s' must be %s, got %s", key, tn[type],
			 v ? tn[v->type] : "nothing");
		L->bad = 1;
		return NULL;
	}
	return v;
}

static double get_num(struct loader *L, const struct json_value *o,
		      const char *key)
{
	const struct json_value *v = need(L, o, key, JSON_NUMBER);
	return v ? v->num : 0;
}

static char *get_str(struct loader *L, const struct json_value *o,
		     const char *key)
{
	const struct json_value *v = need(L, o, key, JSON_STRING);
	return xstrdup(v ? v->str : "");
}

static double *get_nums(struct loader *L, const struct json_value *o,
			const char *key, size_t n)
{
	double *out = xcalloc(n + 1, sizeof(double));
	const struct json_value *v = need(L, o, key, JSON_ARRAY);
	if (!v)
		return out;
	if (v->len != n) {
		diag_add(L->d, L->file, v->line, v->col,
			 "trace: '%s' must have %zu numbers, got %zu", key, n,
			 v->len);
		L->bad = 1;
		return out;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = v->items[i].type == JSON_NUMBER ? v->items[i].num : 0;
	return out;
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
	struct json_value root;
	rc = json_parse(text, len, path, 1, &root, d);
	free(text);
	if (rc) {
		free(path);
		return rc;
	}
	struct loader L = {path, d, 0};
	const char *fmt = json_string_at(&root, "format");
	if (root.type != JSON_OBJECT || !fmt || strcmp(fmt, TRACE_FORMAT)) {
		diag_add(d, path, 1, 1,
			 "trace: 'format' must be '%s', got '%s'", TRACE_FORMAT,
			 fmt ? fmt : "nothing");
		json_release(&root);
		free(path);
		return WS_EINPUT;
	}
	t->network = get_str(&L, &root, "network");
	t->machine = get_str(&L, &root, "machine");
	t->strategy = get_str(&L, &root, "strategy");
	t->job = get_str(&L, &root, "job");
	t->mode = get_str(&L, &root, "mode");
	t->width = (int64_t)get_num(&L, &root, "width");
	t->height = (int64_t)get_num(&L, &root, "height");
	t->clock_ghz = get_num(&L, &root, "clock_ghz");
	t->sram_bytes_per_pe = (int64_t)get_num(&L, &root, "sram_bytes_per_pe");
	t->total_cycles = get_num(&L, &root, "total_cycles");
	t->avg_power_w = get_num(&L, &root, "avg_power_w");
	t->energy_j = get_num(&L, &root, "energy_j");
	if (t->width < 0 || t->height < 0 ||
	    t->width * t->height > (1LL << 26)) {
		diag_add(d, path, 0, 0, "trace: mesh %lldx%lld out of range",
			 (long long)t->width, (long long)t->height);
		L.bad = 1;
		t->width = t->height = 0;
	}
	const struct json_value *a = need(&L, &root, "stages", JSON_ARRAY);
	if (a) {
		t->n_stages = (int)a->len;
		t->stages = xcalloc(a->len + 1, sizeof(*t->stages));
		for (size_t i = 0; i < a->len; i++) {
			const struct json_value *s = &a->items[i];
			struct trace_stage *ts = &t->stages[i];
			ts->name = get_str(&L, s, "name");
			ts->kind = get_str(&L, s, "kind");
			ts->r.x = (int32_t)get_num(&L, s, "x");
			ts->r.y = (int32_t)get_num(&L, s, "y");
			ts->r.w = (int32_t)get_num(&L, s, "w");
			ts->r.h = (int32_t)get_num(&L, s, "h");
			ts->pes = (int64_t)get_num(&L, s, "pes");
			ts->compute_cycles = get_num(&L, s, "compute_cycles");
			ts->comm_cycles = get_num(&L, s, "comm_cycles");
			ts->wait_in_cycles = get_num(&L, s, "wait_in_cycles");
			ts->wait_out_cycles = get_num(&L, s, "wait_out_cycles");
			ts->recv_share = get_num(&L, s, "recv_share");
			ts->ref_busy_cycles = get_num(&L, s, "ref_busy_cycles");
			ts->sram_bytes = (int64_t)get_num(&L, s, "sram_bytes");
			ts->fma = get_num(&L, s, "fma");
			ts->limit = get_str(&L, s, "limit");
		}
	}
	a = need(&L, &root, "routes", JSON_ARRAY);
	if (a) {
		t->n_routes = (int)a->len;
		t->routes = xcalloc(a->len + 1, sizeof(*t->routes));
		for (size_t i = 0; i < a->len; i++) {
			const struct json_value *s = &a->items[i];
			struct trace_route *tr = &t->routes[i];
			tr->src = (int)get_num(&L, s, "src");
			tr->dst = (int)get_num(&L, s, "dst");
			tr->color = (int)get_num(&L, s, "color");
			tr->pass = get_str(&L, s, "pass");
			tr->wavelets = (int64_t)get_num(&L, s, "wavelets");
			const struct json_value *pts =
				need(&L, s, "points", JSON_ARRAY);
			if (!pts)
				continue;
			tr->n_points = (int)pts->len;
			tr->points = xcalloc(pts->len + 1, sizeof(*tr->points));
			for (size_t k = 0; k < pts->len; k++) {
				const struct json_value *q = &pts->items[k];
				if (q->type != JSON_ARRAY || q->len != 2 ||
				    q->items[0].type != JSON_NUMBER ||
				    q->items[1].type != JSON_NUMBER) {
					diag_add(d, path, q->line, q->col,
						 "trace: a route point must be "
						 "[x, y]");
					L.bad = 1;
					continue;
				}
				tr->points[k].x = (int32_t)q->items[0].num;
				tr->points[k].y = (int32_t)q->items[1].num;
			}
		}
	}
	a = need(&L, &root, "nodes", JSON_ARRAY);
	if (a) {
		t->n_nodes = (int)a->len;
		t->nodes = xcalloc(a->len + 1, sizeof(*t->nodes));
		for (size_t i = 0; i < a->len; i++) {
			const struct json_value *s = &a->items[i];
			struct trace_node *n = &t->nodes[i];
			n->name = get_str(&L, s, "name");
			n->op = get_str(&L, s, "op");
			n->shape = get_str(&L, s, "shape");
			n->params = (int64_t)get_num(&L, s, "params");
			n->flops_fwd = get_num(&L, s, "flops_fwd");
			n->stage = (int)get_num(&L, s, "stage");
			if (n->stage >= t->n_stages)
				n->stage = -1;
		}
	}
	a = need(&L, &root, "edges", JSON_ARRAY);
	if (a) {
		t->n_edges = (int)a->len;
		t->edges = xcalloc(a->len + 1, sizeof(*t->edges));
		for (size_t i = 0; i < a->len; i++) {
			const struct json_value *s = &a->items[i];
			struct trace_edge *e = &t->edges[i];
			e->from = (int)get_num(&L, s, "from");
			e->to = (int)get_num(&L, s, "to");
			e->label = get_str(&L, s, "label");
			e->dashed = (int)get_num(&L, s, "dashed");
			if (e->from < 0 || e->from >= t->n_nodes || e->to < 0 ||
			    e->to >= t->n_nodes) {
				diag_add(d, path, s->line, s->col,
					 "trace: edge must join two of the %d "
					 "nodes, got %d -> %d",
					 t->n_nodes, e->from, e->to);
				L.bad = 1;
				e->from = e->to = 0;
			}
		}
	}
	const struct json_value *w = need(&L, &root, "windows", JSON_OBJECT);
	if (w) {
		double n = get_num(&L, w, "n");
		t->n_win = n >= 0 && n <= 1 << 20 ? (int)n : 0;
		t->window_cycles = get_num(&L, w, "window_cycles");
		t->stage_busy =
			get_nums(&L, w, "stage_busy",
				 (size_t)t->n_win * (size_t)t->n_stages);
		t->win_pe_util = get_nums(&L, w, "pe_util", (size_t)t->n_win);
		t->win_fabric_util =
			get_nums(&L, w, "fabric_util", (size_t)t->n_win);
		t->win_power_w = get_nums(&L, w, "power_w", (size_t)t->n_win);
	}
	const struct json_value *sp = json_get(&root, "spans");
	if (sp && sp->type == JSON_OBJECT) { /* absent: window spans */
		t->spans_dropped = (int64_t)get_num(&L, sp, "dropped");
		const struct json_value *rows =
			need(&L, sp, "rows", JSON_ARRAY);
		t->spans =
			xcalloc((rows ? rows->len : 0) + 1, sizeof(*t->spans));
		for (size_t i = 0; rows && i < rows->len; i++) {
			const struct json_value *q = &rows->items[i];
			int ok = q->type == JSON_ARRAY && q->len == 6;
			for (size_t k = 0; ok && k < 6; k++)
				ok = q->items[k].type == JSON_NUMBER;
			if (!ok || q->items[0].num < 0 ||
			    q->items[0].num >= STATS_SPAN_KINDS ||
			    q->items[4].num < q->items[3].num) {
				diag_add(d, path, q->line, q->col,
					 "trace: a span must be [kind, id, "
					 "sample, t0, t1, comp] with t0 <= t1");
				L.bad = 1;
				break;
			}
			struct trace_span *sa = &t->spans[t->n_spans++];
			sa->kind = (int)q->items[0].num;
			sa->id = (int32_t)q->items[1].num;
			sa->sample = (uint32_t)q->items[2].num;
			sa->t0 = q->items[3].num;
			sa->t1 = q->items[4].num;
			sa->comp = q->items[5].num;
			int lim = sa->kind >= STATS_SPAN_ROUTE ? t->n_routes
							       : t->n_stages;
			if (sa->id < 0 || sa->id >= lim) {
				diag_add(
					d, path, q->line, q->col,
					"trace: span names %s %d, there are %d",
					sa->kind >= STATS_SPAN_ROUTE ? "route"
								     : "stage",
					sa->id, lim);
				L.bad = 1;
				break;
			}
		}
	}
	const struct json_value *g = json_get(&root, "gpu");
	if (g && g->type == JSON_OBJECT) {
		struct trace_gpu *gp = &t->gpu;
		gp->present = 1;
		gp->name = get_str(&L, g, "name");
		gp->n_gpus = (int)get_num(&L, g, "n_gpus");
		gp->train = (int)get_num(&L, g, "train");
		gp->wafer_s = get_num(&L, g, "wafer_s");
		gp->wafer_j = get_num(&L, g, "wafer_j");
		const char *keys[4] = {"gpu_s", "gpu_j", "speedup",
				       "energy_ratio"};
		double *dst[4] = {gp->gpu_s, gp->gpu_j, gp->speedup,
				  gp->energy_ratio};
		for (int k = 0; k < 4; k++) {
			double *v = get_nums(&L, g, keys[k], 2);
			dst[k][0] = v[0];
			dst[k][1] = v[1];
			free(v);
		}
	}
	const struct json_value *gr = need(&L, &root, "grids", JSON_OBJECT);
	int64_t n = t->width * t->height;
	if (gr && !L.bad && n > 0) {
		const char *pe = json_string_at(gr, "pe_util");
		const char *li = json_string_at(gr, "link_util");
		double dirs = 0;
		json_number_at(gr, "link_dirs", &dirs);
		if (pe && *pe) {
			t->pe_util = xcalloc((size_t)n, sizeof(float));
			if (load_grid(dir, "pe_util.csv", t->width, t->height,
				      t->pe_util, 1, 0, d))
				L.bad = 1;
		}
		if (li && *li) {
			t->link_util = xcalloc((size_t)n * 4, sizeof(float));
			t->link_dirs_saved = dirs != 0;
			for (int k = 0; k < (dirs != 0 ? 4 : 1) && !L.bad;
			     k++) {
				char name[64];
				if (dirs != 0)
					snprintf(name, sizeof(name),
						 "link_util_%s.csv",
						 dir_names[k]);
				else
					snprintf(name, sizeof(name),
						 "link_util.csv");
				if (load_grid(dir, name, t->width, t->height,
					      t->link_util, 4, k, d))
					L.bad = 1;
			}
		}
	}
	json_release(&root);
	free(path);
	if (L.bad) {
		trace_data_release(t);
		return WS_EINPUT;
	}
	return 0;
}
