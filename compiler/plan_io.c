/*
 * plan_io.c: plan YAML writer and validating reader, JSON summary.
 * See plan_io.h; the format is in docs/placement.md.
 */
#include "compiler/plan_io.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "compiler/cost.h"
#include "compiler/kern.h"
#include "compiler/map.h"
#include "compiler/map_share.h"
#include "compiler/microbatch.h"
#include "compiler/place.h"
#include "compiler/route.h"
#include "ground/cfg.h"
#include "ground/checked.h"
#include "ground/util.h"
#include "ground/json_io.h"

static const char *const opt_names[] = {"sgd", "momentum", "adam", NULL};
/* enum plan_job; a plan file without 'job' is a training plan */
static const char *const job_names[] = {"train", "infer", NULL};

/* ---- writing ---------------------------------------------------------------
 */

/* Quote a string for YAML (double-quoted, escaping " and \). */
static void put_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void put_work(FILE *f, const struct kernel_work *k)
{
	fprintf(f,
		"{fma: %lld, ew: %lld, sram_reads: %lld, sram_writes: %lld, "
		"tasks: %lld, bcast_wavelets: %lld, bcast_axis: %s, "
		"reduce_wavelets: %lld, reduce_axis: %s, halo_wavelets: %lld, "
		"out_wavelets: %lld}",
		(long long)k->pe.fma, (long long)k->pe.ew,
		(long long)k->pe.sram_reads, (long long)k->pe.sram_writes,
		(long long)k->pe.tasks, (long long)k->bcast_wavelets,
		k->bcast_axis == AXIS_X ? "x" : "y",
		(long long)k->reduce_wavelets,
		k->reduce_axis == AXIS_X ? "x" : "y",
		(long long)k->halo_wavelets, (long long)k->out_wavelets);
}

/* The plan's head: inputs, options and summary. */
static void write_head(const struct plan *p, FILE *f)
{
	fprintf(f,
		"# wafersim plan (docs/placement.md).  Edit stage 'rect's and\n"
		"# 'routes'; everything else is recomputed when the plan is "
		"read.\n"
		"# An empty 'routes: []' is routed again.\n");
	fprintf(f, "network: ");
	put_str(f, p->network);
	fprintf(f, "\nmachine: ");
	put_str(f, p->machine);
	fprintf(f, "\ngrid: {width: %lld, height: %lld}\n",
		(long long)p->grid_w, (long long)p->grid_h);
	fprintf(f, "strategy: ");
	put_str(f, p->strategy);
	fprintf(f, "\nseed: %llu\n", (unsigned long long)p->seed);
	fprintf(f, "mode: %s\nmode_reason: ", plan_mode_name(p->mode));
	put_str(f, p->mode_reason);
	fprintf(f, "\nprecision: %s\noptimizer: %s\nbatch: %lld\n",
		plan_prec_name(p->prec),
		(unsigned)p->opt < OPT_COUNT ? opt_names[p->opt] : "momentum",
		(long long)p->batch);
	fprintf(f, "wafers: %lld\n", (long long)(p->wafers > 1 ? p->wafers : 1));
	/* training plans keep the files they had: no key means training */
	if (p->job == PLAN_JOB_INFER)
		fprintf(f, "job: %s\n", job_names[p->job]);
	fprintf(f, "samples_in_flight: %lld\n",
		(long long)p->samples_in_flight);
	if (p->mode == MODE_STREAMING) {
		fprintf(f, "micro_batch: %lld\nrecompute: %s\nmicro_reason: ",
			(long long)p->micro_batch,
			p->recompute ? "true" : "false");
		put_str(f, p->micro_reason);
		fprintf(f, "\n");
	}
	fprintf(f, "summary: {pes_used: %lld, bottleneck_stage: ",
		(long long)p->pes_used);
	put_str(f, p->bottleneck_stage >= 0
			   ? p->stages[p->bottleneck_stage].name
			   : "");
	fprintf(f,
		", bottleneck_cycles: %llu, hop_bytes_per_sample: %lld, "
		"colors_used: %d, max_sram_bytes: %lld, min_pes_total: %lld}\n",
		(unsigned long long)p->bottleneck_cycles,
		(long long)p->hop_bytes_per_sample, p->colors_used,
		(long long)p->max_sram_bytes, (long long)p->min_pes_total);
}

static void write_stage(const struct plan *p, int si, const struct graph *g,
			FILE *f)
{
	const struct plan_stage *s = &p->stages[si];
	fprintf(f, "  - name: ");
	put_str(f, s->name);
	fprintf(f, "\n    rect: {x: %d, y: %d, w: %d, h: %d}\n", s->r.x,
		s->r.y, s->r.w, s->r.h);
	if (s->copies > 1)
		fprintf(f, "    copies: %d\n", s->copies);
	if (map_share_owner(g, p, si) >= 0) /* applies another's weights */
		fprintf(f, "    sharing: %s\n", map_share_name(s->sharing));
	fprintf(f, "    kind: %s\n    layers: [", plan_kind_name(s->kind));
	for (int k = 0; k < s->n_layers; k++) {
		if (k)
			fputs(", ", f);
		if (g && s->layers[k] >= 0 && s->layers[k] < g->n_layers)
			put_str(f, g->layers[s->layers[k]].name);
		else
			fprintf(f, "%d", s->layers[k]);
	}
	fprintf(f, "]\n    tile: {k: %lld, n: %lld}\n", (long long)s->tile_k,
		(long long)s->tile_n);
	fprintf(f, "    samples_in_flight: %lld\n    min_pes: %lld\n",
		(long long)s->samples_in_flight, (long long)s->min_pes);
	fprintf(f, "    kernel: %s\n", kern_name((enum kern_alg)s->kernel));
	if (s->kernel == KERN_GEMV_GROUPED)
		fprintf(f, "    kernel_groups: %lld\n",
			(long long)s->kernel_groups);
	if (s->stream_bytes)
		fprintf(f, "    stream_bytes: %lld\n",
			(long long)s->stream_bytes);
	const struct sram_use *u = &s->sram;
	fprintf(f,
		"    sram: {weights: %lld, grads: %lld, opt_state: "
		"%lld, "
		"activations: %lld, buffers: %lld, code: %lld, total: "
		"%lld}\n",
		(long long)u->weights, (long long)u->grads,
		(long long)u->opt_state, (long long)u->activations,
		(long long)u->buffers, (long long)u->code, (long long)u->total);
	fprintf(f, "    est_cycles: {");
	for (int q = 0; q < PASS_COUNT; q++)
		fprintf(f, "%s%s: %llu", q ? ", " : "",
			plan_pass_name((enum pass)q),
			(unsigned long long)s->est_cycles[q]);
	fprintf(f, "}\n    stage_cycles: %llu\n    work:\n",
		(unsigned long long)s->stage_cycles);
	for (int q = 0; q < PASS_COUNT; q++) {
		fprintf(f, "      %s: ", plan_pass_name((enum pass)q));
		put_work(f, &s->work[q]);
		fputc('\n', f);
	}
}

static void write_route(const struct plan *p, const struct plan_route *r,
			const struct graph *g, FILE *f)
{
	fprintf(f, "  - {src: ");
	put_str(f, r->src_stage >= 0 ? p->stages[r->src_stage].name : "host");
	fprintf(f, ", dst: ");
	put_str(f, r->dst_stage >= 0 ? p->stages[r->dst_stage].name : "host");
	fprintf(f,
		", pass: %s, color: %d, multicast_group: %d, "
		"wavelets_per_sample: %lld, ",
		plan_pass_name(r->pass), r->color, r->multicast_group,
		(long long)r->wavelets_per_sample);
	if (r->kind != ROUTE_SAMPLE) /* additive: sample routes as before */
		fprintf(f, "kind: %s, bytes_per_step: %lld, ",
			plan_route_kind_name(r->kind),
			(long long)r->bytes_per_step);
	if (g && r->tensor >= 0 && r->tensor < g->n_tensors) {
		fprintf(f, "tensor: ");
		put_str(f, g->tensors[r->tensor].name);
		fprintf(f, ", ");
	}
	fprintf(f, "points: [");
	for (int k = 0; k < r->n_points; k++)
		fprintf(f, "%s[%d, %d]", k ? ", " : "", r->points[k].x,
			r->points[k].y);
	fprintf(f, "]}\n");
}

void plan_write(const struct plan *p, const struct graph *g, FILE *f)
{
	write_head(p, f);
	fprintf(f, "stages:\n");
	for (int i = 0; i < p->n_stages; i++)
		write_stage(p, i, g, f);
	fprintf(f, "routes:%s\n", p->n_routes ? "" : " []");
	for (int i = 0; i < p->n_routes; i++)
		write_route(p, &p->routes[i], g, f);
}

int plan_save(const struct plan *p, const struct graph *g, const char *path,
	      struct diag *d)
{
	struct outfile o;
	if (outfile_open(&o, path, d))
		return WS_EIO;
	plan_write(p, g, o.f);
	return outfile_commit(&o, d);
}

static json_t *stage_json(const struct plan_stage *s)
{
	json_t *o = ws_json_obj();
	ws_json_set_str(o, "name", s->name);
	ws_json_set_str(o, "kind", plan_kind_name(s->kind));
	ws_json_set_int(o, "x", s->r.x);
	ws_json_set_int(o, "y", s->r.y);
	ws_json_set_int(o, "w", s->r.w);
	ws_json_set_int(o, "h", s->r.h);
	ws_json_set_int(o, "sram_bytes", s->sram.total);
	ws_json_set_int(o, "min_pes", s->min_pes);
	ws_json_set_int(o, "samples_in_flight", s->samples_in_flight);
	ws_json_set_str(o, "kernel", kern_name((enum kern_alg)s->kernel));
	ws_json_set_int(o, "stage_cycles", (int64_t)s->stage_cycles);
	if (s->copies > 1)
		ws_json_set_int(o, "copies", s->copies);
	return o;
}

json_t *plan_json(const struct plan *p)
{
	json_t *o = ws_json_obj();
	ws_json_set_str(o, "network", p->network);
	ws_json_set_str(o, "machine", p->machine);
	ws_json_set_str(o, "strategy", p->strategy);
	ws_json_set_str(o, "mode", plan_mode_name(p->mode));
	ws_json_set_str(o, "mode_reason", p->mode_reason);
	ws_json_set_int(o, "batch", p->batch);
	if (p->job == PLAN_JOB_INFER)
		ws_json_set_str(o, "job", job_names[p->job]);
	ws_json_set_int(o, "stages", p->n_stages);
	ws_json_set_int(o, "routes", p->n_routes);
	ws_json_set_int(o, "pes_used", p->pes_used);
	ws_json_set_int(o, "pes_total", (int64_t)p->grid_w * p->grid_h);
	ws_json_set_str(o, "bottleneck_stage",
			p->bottleneck_stage >= 0
				? p->stages[p->bottleneck_stage].name
				: "");
	ws_json_set_int(o, "bottleneck_cycles", (int64_t)p->bottleneck_cycles);
	ws_json_set_int(o, "hop_bytes_per_sample", p->hop_bytes_per_sample);
	ws_json_set_int(o, "colors_used", p->colors_used);
	ws_json_set_int(o, "max_sram_bytes", p->max_sram_bytes);
	ws_json_set_int(o, "host_bytes_per_sample", p->host_bytes_per_sample);
	/* to a tenth of a cycle, as the text report shows it */
	ws_json_set_real(o, "host_cycles_per_sample",
			 round(p->host_cycles_per_sample * 10) / 10);
	ws_json_set_real(o, "compile_s", p->compile_s);
	ws_json_set_str(o, "strategy_note", p->strategy_note);
	/* the objective (compiler/plan_estimate.h), whole cycles */
	ws_json_set_int(o, "est_step_cycles", (int64_t)llround(p->est_step_cycles));
	ws_json_set_int(o, "est_infer_cycles",
			(int64_t)llround(p->est_infer_cycles));
	ws_json_set_str(o, "est_limit", p->est_limit);
	ws_json_set_real(o, "est_eval_s", p->est_eval_s);
	/* the shared layers' mapping, and how it was chosen */
	ws_json_set(o, "sharing", map_share_json(p));
	ws_json_set_str(o, "share_note", p->share_note);
	if (p->work_bound_cycles > 0)
		ws_json_set_real(o, "work_bound_cycles",
				 round(p->work_bound_cycles * 10) / 10);
	json_t *a = ws_json_arr();
	for (int i = 0; i < p->n_stages; i++)
		ws_json_push(a, stage_json(&p->stages[i]));
	ws_json_set(o, "stage_list", a);
	return o;
}

void plan_write_json(const struct plan *p, FILE *f)
{
	ws_json_write(f, plan_json(p), WS_JSON_INDENT);
}

/* ---- reading ---------------------------------------------------------------
 */

struct rd {
	yaml_document_t *doc;
	const char *file;
	struct diag *d;
	int errors;
	int64_t want_wafers; /* the caller's wafer count, or 0: the file's */
	int want_job;	     /* the caller's enum plan_job, or -1: the file's */
	const struct plan_want *want;
};

static int L(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}
static int C(const yaml_node_t *n)
{
	return (int)n->start_mark.column + 1;
}

static yaml_node_t *get(struct rd *r, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start;
	     pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(r->doc, pr->key);
		if (k && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(r->doc, pr->value);
	}
	return NULL;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE
		       ? (const char *)n->data.scalar.value
		       : NULL;
}

/* hint: why a scalar is not the number wanted (cfg_yaml_int), or "". */
static void err_hint(struct rd *r, const yaml_node_t *n, const char *what,
		     const char *expect, const char *hint)
{
	const char *s = scalar(n);
	diag_add(r->d, r->file, n ? L(n) : 0, n ? C(n) : 0,
		 "plan: '%s' must be %s, got %s%s%s%s", what, expect,
		 s ? "'" : "",
		 s   ? s
		 : n ? "a collection"
		     : "nothing",
		 s ? "'" : "", hint);
	r->errors++;
}

static void err(struct rd *r, const yaml_node_t *n, const char *what,
		const char *expect)
{
	err_hint(r, n, what, expect, "");
}

/* Integer in [lo, hi]; `def` if the node is absent and !required. */
static int64_t get_int(struct rd *r, yaml_node_t *map, const char *key,
		       int64_t lo, int64_t hi, int64_t def, int required,
		       const char *what)
{
	yaml_node_t *n = get(r, map, key);
	if (!n) {
		if (required) {
			diag_add(r->d, r->file, map ? L(map) : 0,
				 map ? C(map) : 0,
				 "plan: '%s' must be given, got nothing", what);
			r->errors++;
		}
		return def;
	}
	char hint[CFG_HINT_MAX];
	int64_t v = 0;
	if (cfg_yaml_int(n, &v, hint, sizeof(hint)) || v < lo || v > hi) {
		char ex[96];
		snprintf(ex, sizeof ex, "an integer in [%lld, %lld]",
			 (long long)lo, (long long)hi);
		err_hint(r, n, what, ex, hint);
		return def;
	}
	return v;
}

static int get_enum(struct rd *r, yaml_node_t *map, const char *key,
		    int (*from)(const char *), int def, const char *what,
		    const char *expect)
{
	yaml_node_t *n = get(r, map, key);
	if (!n)
		return def;
	int v = from(scalar(n));
	if (v < 0) {
		err(r, n, what, expect);
		return def;
	}
	return v;
}

static int opt_from_name(const char *s)
{
	for (int i = 0; opt_names[i]; i++)
		if (s && strcmp(s, opt_names[i]) == 0)
			return i;
	return -1;
}

static int job_from_name(const char *s)
{
	for (int i = 0; job_names[i]; i++)
		if (s && strcmp(s, job_names[i]) == 0)
			return i;
	return -1;
}

static int stage_or_host(const struct plan *p, const char *s)
{
	if (!s)
		return -2;
	if (strcmp(s, "host") == 0)
		return -1;
	int i = plan_find_stage(p, s);
	return i >= 0 ? i : -2;
}

static void read_routes(struct rd *r, yaml_node_t *seq, struct plan *p,
			const struct graph *g, const struct machine *m)
{
	int n = (int)(seq->data.sequence.items.top -
		      seq->data.sequence.items.start);
	p->routes = xcalloc((size_t)n + 1, sizeof(*p->routes));
	for (int i = 0; i < n; i++) {
		yaml_node_t *e = yaml_document_get_node(
			r->doc, seq->data.sequence.items.start[i]);
		if (!e || e->type != YAML_MAPPING_NODE) {
			err(r, e, "routes[]", "a mapping");
			continue;
		}
		struct plan_route *rt = &p->routes[p->n_routes++];
		rt->line = L(e);
		rt->col = C(e);
		rt->multicast_group = -1;
		rt->tensor = -1;
		rt->color = -1;
		yaml_node_t *sn = get(r, e, "src"), *dn = get(r, e, "dst");
		rt->src_stage = stage_or_host(p, scalar(sn));
		rt->dst_stage = stage_or_host(p, scalar(dn));
		if (rt->src_stage == -2) {
			err(r, sn ? sn : e, "route src",
			    "a stage name or 'host'");
			rt->src_stage = -1;
		}
		if (rt->dst_stage == -2) {
			err(r, dn ? dn : e, "route dst",
			    "a stage name or 'host'");
			rt->dst_stage = -1;
		}
		rt->pass = (enum pass)get_enum(r, e, "pass",
					       plan_pass_from_name, PASS_FWD,
					       "route pass", "fwd or bwd_data");
		rt->color = (int)get_int(r, e, "color", -1, 63, -1, 0,
					 "route color");
		rt->multicast_group =
			(int)get_int(r, e, "multicast_group", -1, 1 << 30, -1,
				     0, "route multicast_group");
		rt->wavelets_per_sample =
			get_int(r, e, "wavelets_per_sample", 0, INT64_MAX / 4,
				0, 0, "route wavelets_per_sample");
		rt->kind = get_enum(r, e, "kind", plan_route_kind_from_name,
				    ROUTE_SAMPLE, "route kind",
				    "sample, grad_sync or weight_sync");
		rt->bytes_per_step =
			get_int(r, e, "bytes_per_step", 0, INT64_MAX / 4, 0, 0,
				"route bytes_per_step");
		const char *tn = scalar(get(r, e, "tensor"));
		if (tn && g)
			rt->tensor = graph_find_tensor(g, tn);
		yaml_node_t *pts = get(r, e, "points");
		if (!pts || pts->type != YAML_SEQUENCE_NODE) {
			err(r, pts ? pts : e, "route points",
			    "a list of [x, y] pairs");
			continue;
		}
		int np = (int)(pts->data.sequence.items.top -
			       pts->data.sequence.items.start);
		rt->points = xcalloc((size_t)np + 1, sizeof(*rt->points));
		for (int k = 0; k < np; k++) {
			yaml_node_t *pt = yaml_document_get_node(
				r->doc, pts->data.sequence.items.start[k]);
			int ok =
				pt && pt->type == YAML_SEQUENCE_NODE &&
				pt->data.sequence.items.top -
						pt->data.sequence.items.start ==
					2;
			int64_t xy[2] = {0, 0};
			char hint[CFG_HINT_MAX] = "";
			for (int q = 0; ok && q < 2; q++) {
				ok = !cfg_yaml_int(
					     yaml_document_get_node(
						     r->doc,
						     pt->data.sequence.items
							     .start[q]),
					     &xy[q], hint, sizeof(hint)) &&
				     xy[q] >= -1000000 && xy[q] <= 1000000;
			}
			if (!ok) {
				err_hint(r, pt, "route point",
					 "[x, y] integers", hint);
				continue;
			}
			rt->points[rt->n_points++] = (struct plan_point){
				(int32_t)xy[0], (int32_t)xy[1]};
		}
	}
	(void)m;
}

/* The head: network and machine must match; options and grid. */
/* `wafers` (1 when absent, as in plans written before it was): only a
 * streamed plan trains on several; the caller's count, when it gave one,
 * must be the file's. */
static void read_wafers(struct rd *r, yaml_node_t *root, struct plan *p)
{
	yaml_node_t *wn = get(r, root, "wafers");
	p->wafers = get_int(r, root, "wafers", 1, 1 << 20, 1, 0, "wafers");
	if (p->wafers > 1 && p->mode != MODE_STREAMING)
		err(r, wn, "wafers", "1 in a pipelined plan (several wafers "
				     "train data-parallel only in weight "
				     "streaming)");
	if (r->want_wafers > 0 && r->want_wafers != p->wafers) {
		char ex[96];
		snprintf(ex, sizeof ex, "%lld, as '--wafers' says",
			 (long long)r->want_wafers);
		if (wn) {
			err(r, wn, "wafers", ex);
		} else {
			diag_add(r->d, r->file, L(root), C(root),
				 "plan: 'wafers' must be %s, got nothing (a "
				 "plan for 1 wafer)", ex);
			r->errors++;
		}
	}
}

/* `job` (train when absent, as in plans written before it was): a plan
 * compiled for inference picked its kernels for the forward alone, so a
 * caller that trains is refused it; inference runs on either. */
static void read_job(struct rd *r, yaml_node_t *root, struct plan *p)
{
	p->job = (enum plan_job)get_enum(r, root, "job", job_from_name,
					 PLAN_JOB_TRAIN, "job",
					 "train or infer");
	if (r->want_job == PLAN_JOB_TRAIN && p->job == PLAN_JOB_INFER)
		err(r, get(r, root, "job"), "job",
		    "train, as '--job' asks for a training step (an "
		    "inference plan's kernels serve the forward alone: give "
		    "'--job infer', or place the plan for training)");
}

/* The run's mode, precision and optimizer, when it gives them, must be
 * the file's (struct plan_want): at the key, or the head when absent. */
static void read_agree(struct rd *r, yaml_node_t *root, const struct plan *p)
{
	static const char *const key[3] = {"mode", "precision", "optimizer"};
	const struct plan_want *w = r->want;
	const int want[3] = {w->mode, w->prec, w->opt};
	const int has[3] = {(int)p->mode, (int)p->prec, (int)p->opt};
	for (int i = 0; i < 3; i++) {
		if (want[i] < 0 || want[i] == has[i])
			continue;
		const char *name =
			i == 0	 ? plan_mode_name((enum exec_mode)want[i])
			: i == 1 ? plan_prec_name((enum pe_prec)want[i])
				 : optimizer_name((enum optimizer)want[i]);
		char ex[160];
		snprintf(ex, sizeof ex,
			 "'%s', as '--%s' says (drop it, or place again "
			 "with it)",
			 name, key[i]);
		yaml_node_t *n = get(r, root, key[i]);
		err(r, n ? n : root, key[i], ex);
	}
}

static void read_head(struct rd *r, yaml_node_t *root, const struct graph *g,
		      const struct machine *m, struct plan *p)
{
	yaml_node_t *nn = get(r, root, "network"),
		    *mn = get(r, root, "machine");
	if (!nn || !scalar(nn) || strcmp(scalar(nn), g->name) != 0) {
		char ex[160];
		snprintf(ex, sizeof ex, "'%s' (the network given)", g->name);
		err(r, nn ? nn : root, "network", ex);
	}
	if (!mn || !scalar(mn) || strcmp(scalar(mn), m->name) != 0) {
		char ex[160];
		snprintf(ex, sizeof ex, "'%s' (the machine given)", m->name);
		err(r, mn ? mn : root, "machine", ex);
	}
	p->network = xstrdup(g->name);
	p->machine = xstrdup(m->name);
	const char *st = scalar(get(r, root, "strategy"));
	p->strategy = xstrdup(st ? st : "hand");
	p->mode = (enum exec_mode)get_enum(r, root, "mode",
					   plan_mode_from_name, MODE_PIPELINED,
					   "mode", "pipelined or streaming");
	if (p->mode == MODE_AUTO) {
		err(r, get(r, root, "mode"), "mode", "pipelined or streaming");
		p->mode = MODE_PIPELINED;
	}
	p->prec = (enum pe_prec)get_enum(r, root, "precision",
					 plan_prec_from_name, PREC_MIXED,
					 "precision", "fp32, mixed or fp16");
	p->opt = (enum optimizer)get_enum(r, root, "optimizer", opt_from_name,
					  OPT_MOMENTUM, "optimizer",
					  "sgd, momentum or adam");
	p->batch = get_int(r, root, "batch", 1, 1 << 30, 32, 1, "batch");
	yaml_node_t *bn = get(r, root, "batch");
	struct cost_totals ct;
	cost_totals(g, &ct);
	if (cost_batch_checked(g, &ct, p->batch, r->file, bn ? L(bn) : 0,
			       bn ? C(bn) : 0, r->d))
		r->errors++;
	p->seed = (uint64_t)get_int(r, root, "seed", 0, INT64_MAX, 1, 0, "seed");
	read_agree(r, root, p);
	read_wafers(r, root, p);
	read_job(r, root, p);
	yaml_node_t *gr = get(r, root, "grid");
	p->grid_w = get_int(r, gr, "width", 1, 4096, m->width, 0, "grid.width");
	p->grid_h =
		get_int(r, gr, "height", 1, 4096, m->height, 0, "grid.height");
	if (gr && (p->grid_w != m->width || p->grid_h != m->height)) {
		diag_add(r->d, r->file, L(gr), C(gr),
			 "plan: 'grid' must be the machine's %lldx%lld, got "
			 "%lldx%lld",
			 (long long)m->width, (long long)m->height,
			 (long long)p->grid_w, (long long)p->grid_h);
		r->errors++;
	}
	p->grid_w = m->width;
	p->grid_h = m->height;
}

/* A stage's 'sharing' (absent: replicas), for a stage applying another
 * stage's weights in a pipelined plan only. */
static void read_sharing(struct rd *r, yaml_node_t *e, const struct graph *g,
			 struct plan *p, int si)
{
	yaml_node_t *sh = get(r, e, "sharing");
	if (!sh)
		return;
	int v = map_share_from_name(scalar(sh));
	int owner = map_share_owner(g, p, si);
	if (v < 0) {
		err(r, sh, "stages[].sharing", "replicas or time_shared");
	} else if (owner < 0) {
		char ex[160];
		snprintf(ex, sizeof ex,
			 "absent: stage '%s' applies no other stage's "
			 "weights in a %s plan",
			 p->stages[si].name, plan_mode_name(p->mode));
		err(r, sh, "stages[].sharing", ex);
	} else {
		p->stages[si].sharing = v;
		p->stages[si].host = v == SHARE_TIME ? owner : 0;
	}
}

/* One entry of 'stages': its rectangle, matched by name. */
static void read_stage(struct rd *r, yaml_node_t *e, const struct graph *g,
		       struct plan *p, int *seen)
{
	yaml_node_t *nm = get(r, e, "name");
	int si = nm && scalar(nm) ? plan_find_stage(p, scalar(nm)) : -1;
	if (si < 0) {
		err(r, nm ? nm : e, "stages[].name",
		    "a stage of the network (see 'wafersim place')");
		return;
	}
	if (seen[si]++) {
		err(r, nm, "stages[].name", "given once");
		return;
	}
	yaml_node_t *rc_n = get(r, e, "rect");
	struct plan_stage *s = &p->stages[si];
	for (yaml_node_pair_t *pr = rc_n && rc_n->type == YAML_MAPPING_NODE
					    ? rc_n->data.mapping.pairs.start
					    : NULL;
	     pr && pr < rc_n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(r->doc, pr->key);
		const char *ks = scalar(k);
		if (!ks || strlen(ks) != 1 || !strchr("xywh", ks[0]))
			err(r, k, "stages[].rect keys", "x, y, w and h");
	}
	s->r.x = (int32_t)get_int(r, rc_n, "x", -1000000, 1000000, 0, 1,
				  "rect.x");
	s->r.y = (int32_t)get_int(r, rc_n, "y", -1000000, 1000000, 0, 1,
				  "rect.y");
	s->r.w = (int32_t)get_int(r, rc_n, "w", -1000000, 1000000, 1, 1,
				  "rect.w");
	s->r.h = (int32_t)get_int(r, rc_n, "h", -1000000, 1000000, 1, 1,
				  "rect.h");
	yaml_node_t *at = rc_n ? rc_n : e;
	s->line = L(at);
	s->col = C(at);
	read_sharing(r, e, g, p, si);
	s->copies = (int32_t)get_int(r, e, "copies", 1, PLAN_MAX_COPIES, 1, 0,
				     "stages[].copies");
	/* the algorithm the file names (kept by remap_stages), or -1: the
	 * compiler's pick for the rectangle */
	yaml_node_t *kn = get(r, e, "kernel");
	s->kernel = -1;
	if (kn && (!scalar(kn) || kern_from_name(scalar(kn)) < 0)) {
		char ex[160];
		snprintf(ex, sizeof ex, "one of %s", kern_names());
		err(r, kn, "stages[].kernel", ex);
	} else if (kn) {
		s->kernel = kern_from_name(scalar(kn));
	}
	s->kernel_groups = get_int(r, e, "kernel_groups", 0, 1 << 20, 0, 0,
				   "stages[].kernel_groups");
}

/* 'stages': the rectangles of the stages re-derived from the graph; every
 * stage must be there once. */
static int read_stages(struct rd *r, yaml_node_t *root, const struct graph *g,
		       struct plan *p)
{
	yaml_node_t *ss = get(r, root, "stages");
	if (!ss || ss->type != YAML_SEQUENCE_NODE) {
		err(r, ss ? ss : root, "stages", "a list of stages");
		return WS_EINPUT;
	}
	int *seen = xcalloc((size_t)p->n_stages, sizeof(int));
	int ns = (int)(ss->data.sequence.items.top -
		       ss->data.sequence.items.start);
	for (int i = 0; i < ns; i++)
		read_stage(r,
			   yaml_document_get_node(
				   r->doc, ss->data.sequence.items.start[i]),
			   g, p, seen);
	for (int i = 0; i < p->n_stages; i++)
		if (!seen[i]) {
			diag_add(r->d, r->file, L(ss), C(ss),
				 "plan: stage '%s' of network '%s' must be in "
				 "'stages', got no entry",
				 p->stages[i].name, g->name);
			r->errors++;
		}
	free(seen);
	return r->errors ? WS_EINPUT : 0;
}

/* Recompute every stage's kernel for its rectangle: the algorithm the
 * file names (an error where it cannot run there), else the compiler's
 * pick, as plan_build makes it. */
static void remap_stages(struct rd *r, const struct graph *g,
			 const struct machine *m,
			 const struct map_edge *edges, int n_edges,
			 struct plan *p)
{
	struct map_ctx mc = {g, m, p->prec, p->opt, p->mode, p->batch, 0,
			     "auto", 0, p, p->job, 0};
	map_in_flight(p, edges, n_edges, p->mode);
	mc.stream_act_bytes = map_stream_act_bytes(&mc, p);
	if (p->mode == MODE_STREAMING && p->micro_batch > 0)
		mc.stream_act_bytes = ck_smul_batch(
			mb_saved_per_sample(&mc, p, p->recompute),
			p->micro_batch);
	for (int i = 0; i < p->n_stages; i++) {
		struct plan_stage *s = &p->stages[i];
		int32_t w, h;
		int want = s->kernel;
		mc.kernel = want >= 0 ? kern_name((enum kern_alg)want) : "auto";
		mc.groups = want >= 0 ? s->kernel_groups : 0;
		if (s->r.w > 0 && s->r.h > 0)
			map_kernel(&mc, s);
		if (want > 0 && s->kernel != want && p->mode == MODE_PIPELINED) {
			diag_add(r->d, r->file, s->line, s->col,
				 "plan: stage '%s' 'kernel' must run on its "
				 "%dx%d rectangle, got '%s' (it cannot; "
				 "leave 'kernel' out for the compiler's pick)",
				 s->name, s->r.w, s->r.h,
				 kern_name((enum kern_alg)want));
			r->errors++;
		}
		/* streaming stages take the whole wafer, as plan_build says;
		 * the fewest PEs of one copy (plan_build sizes before it
		 * offers sample copies) */
		struct plan_stage one = *s;
		one.copies = 0;
		s->min_pes = p->mode == MODE_STREAMING
				     ? machine_pes(m)
				     : map_min_pes(&mc, s->copies > 1 ? &one : s,
						   &w, &h);
	}
}

/* 'routes': read, or (none given) laid for the stages as placed; routes
 * without a color get one; then the whole plan is checked. */
static int load_routes(struct rd *r, yaml_node_t *root, const struct graph *g,
		       const struct machine *m, const struct map_edge *edges,
		       int n_edges, struct plan *p)
{
	yaml_node_t *rs = get(r, root, "routes");
	if (rs && rs->type == YAML_SEQUENCE_NODE &&
	    rs->data.sequence.items.top > rs->data.sequence.items.start) {
		read_routes(r, rs, p, g, m);
		if (!r->errors && route_complete(p, g, m, edges, n_edges,
						 r->file, L(rs), C(rs), r->d))
			r->errors++;
	} else if (rs && rs->type != YAML_SEQUENCE_NODE &&
		   !(scalar(rs) && !*scalar(rs))) {
		err(r, rs, "routes", "a list of routes");
	} else if (!plan_check(p, m, r->file, r->d)) {
		/* no routes given: route the stages as placed, syncs too */
		if (route_build(p, m, edges, n_edges, r->d) ||
		    route_add_sync(p, g, m, r->d))
			r->errors++;
	} else {
		r->errors++;
	}
	if (r->errors)
		return WS_EINPUT;
	int need = 0;
	for (int i = 0; i < p->n_routes; i++)
		need |= p->routes[i].color < 0;
	if (need && route_assign_colors(p, m, r->file, r->d))
		return WS_EINPUT;
	int rc = plan_check(p, m, r->file, r->d) ? WS_EINPUT : 0;
	plan_summarise(p, m);
	return rc;
}

void plan_micro_reason(struct plan *p, const char *why, const char *source)
{
	long long mb = 0, b = 0;
	int same = why && sscanf(why, "micro-batch %lld of %lld", &mb, &b) == 2 &&
		   mb == p->micro_batch && b == p->batch &&
		   !strstr(why, "recomputed") == !p->recompute;
	if (same) {
		if (why != p->micro_reason)
			snprintf(p->micro_reason, sizeof p->micro_reason, "%s",
				 why);
		return;
	}
	int64_t passes = (p->batch + p->micro_batch - 1) / p->micro_batch;
	snprintf(p->micro_reason, sizeof p->micro_reason,
		 "micro-batch %lld of %lld (%lld pass%s, gradients "
		 "accumulated%s): %s",
		 (long long)p->micro_batch, (long long)p->batch,
		 (long long)passes, passes == 1 ? "" : "es",
		 p->recompute ? "; every block recomputed from its input "
				"checkpoint" : "",
		 source);
}

static int load_string(const char *file, const char *text,
		       const struct graph *g, const struct machine *m,
		       const struct plan_want *w, struct plan *p,
		       struct diag *d)
{
	plan_release(p);
	yaml_document_t doc;
	/* within the YAML limits (size, nesting, keys; ground/cfg.h) */
	if (cfg_yaml_load("plan", file, text, strlen(text), &doc, d))
		return WS_EINPUT;
	struct rd r = {&doc, file, d, 0, w->wafers, w->job, w};
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	int rc = 0;
	struct map_edge *edges = NULL;
	int n_edges = 0;
	if (!root || root->type != YAML_MAPPING_NODE) {
		diag_add(d, file, root ? L(root) : 1, root ? C(root) : 1,
			 "plan: file must be a mapping (a plan), got %s",
			 root ? "something else" : "an empty document");
		rc = WS_EINPUT;
		goto out;
	}
	read_head(&r, root, g, m, p);
	/* stages: re-derived from the graph, rectangles from the file */
	if (map_stages(g, p->prec, p, &edges, &n_edges, d) ||
	    read_stages(&r, root, g, p)) {
		rc = WS_EINPUT;
		goto out;
	}
	if (p->mode == MODE_STREAMING) {
		/* micro-batches as the file says (compiler/microbatch.h) */
		p->micro_batch = get_int(&r, root, "micro_batch", 1, p->batch,
					 p->batch, 0, "micro_batch");
		const char *rec = scalar(get(&r, root, "recompute"));
		p->recompute = rec && !strcmp(rec, "true");
		char *says = xasprintf("as %s says", file);
		plan_micro_reason(p, scalar(get(&r, root, "micro_reason")),
				  says);
		free(says);
	}
	remap_stages(&r, g, m, edges, n_edges, p);
	const char *why = scalar(get(&r, root, "mode_reason"));
	if (why && *why)
		snprintf(p->mode_reason, sizeof p->mode_reason, "%s", why);
	else
		snprintf(p->mode_reason, sizeof p->mode_reason,
			 "%s: read from %s", plan_mode_name(p->mode), file);
	rc = load_routes(&r, root, g, m, edges, n_edges, p);
out:
	if (r.errors && !rc)
		rc = WS_EINPUT;
	free(edges);
	yaml_document_delete(&doc);
	return rc;
}

int plan_load_string(const char *file, const char *text, const struct graph *g,
		     const struct machine *m, struct plan *p, struct diag *d)
{
	const struct plan_want any = {0, -1, -1, -1, -1};
	return load_string(file, text, g, m, &any, p, d);
}

int plan_load_want(const char *path, const struct graph *g,
		   const struct machine *m, const struct plan_want *w,
		   struct plan *p, struct diag *d)
{
	char *text;
	size_t len;
	if (read_file(path, &text, &len, d))
		return WS_EIO;
	int rc = load_string(path, text, g, m, w, p, d);
	free(text);
	return rc;
}

int plan_load_wafers(const char *path, const struct graph *g,
		     const struct machine *m, int64_t wafers, struct plan *p,
		     struct diag *d)
{
	const struct plan_want w = {wafers, -1, -1, -1, -1};
	return plan_load_want(path, g, m, &w, p, d);
}

int plan_load(const char *path, const struct graph *g, const struct machine *m,
	      struct plan *p, struct diag *d)
{
	return plan_load_wafers(path, g, m, 0, p, d);
}
