/*
 * gpu_validate.c: predict measured rows and summarise the errors.
 */
#include "gpu/gpu_validate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ground/util.h"
#include "gpu/gpu_validate_int.h"

int gpu_load_network(const char *name, struct graph *g, struct diag *d)
{
	/* a path is loaded as given */
	if (strchr(name, '/') || strstr(name, ".yaml") || strstr(name, ".onnx"))
		return graph_load(name, OPT_MOMENTUM, g, d);
	char *home = ws_data_dir();
	char *yaml = xasprintf("%s/models/nets/%s.yaml", home, name);
	char *onnx = xasprintf("%s/models/onnx/%s.onnx", home, name);
	FILE *f;
	const char *path = NULL;
	if ((f = fopen(yaml, "r"))) {
		fclose(f);
		path = yaml;
	} else if ((f = fopen(onnx, "r"))) {
		fclose(f);
		path = onnx;
	}
	int rc;
	if (path) {
		rc = graph_load(path, OPT_MOMENTUM, g, d);
	} else {
		diag_add(d, NULL, 0, 0,
			 "gpu: network '%s' must be a zoo network "
			 "(models/nets/%s.yaml or models/onnx/%s.onnx), "
			 "found neither", name, name, name);
		rc = WS_EIO;
	}
	free(yaml);
	free(onnx);
	free(home);
	return rc;
}

struct net_cache {
	char *name;	/* zoo name or path */
	struct graph g;
	int ok;
	char *error;
};

static struct net_cache *find_net(struct gpu_net_cache *nc, const char *name)
{
	for (int i = 0; i < nc->n; i++)
		if (!strcmp(nc->c[i].name, name))
			return &nc->c[i];
	nc->c = xrealloc(nc->c, (size_t)(nc->n + 1) * sizeof(*nc->c));
	struct net_cache *c = &nc->c[nc->n++];
	memset(c, 0, sizeof(*c));
	c->name = xstrdup(name);
	struct diag d;
	diag_init(&d);
	c->ok = gpu_load_network(name, &c->g, &d) == WS_OK;
	if (!c->ok)
		c->error = xstrdup(diag_count(&d) && diag_text(&d, 0)
					   ? diag_text(&d, 0)
					   : "cannot load the network");
	diag_release(&d);
	return c;
}

void gpu_net_cache_release(struct gpu_net_cache *nc)
{
	for (int i = 0; i < nc->n; i++) {
		if (nc->c[i].ok)
			graph_release(&nc->c[i].g);
		free(nc->c[i].error);
		free(nc->c[i].name);
	}
	free(nc->c);
	nc->c = NULL;
	nc->n = 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void summarise(struct gpu_val *v)
{
	double *buf = xcalloc((size_t)(v->n > 0 ? v->n : 1), sizeof(double));
	v->worst_ratio = 1;
	for (int m = 0; m < GPU_VAL_COUNT; m++) {
		int c = 0;
		v->worst_abs[m] = NAN;
		for (int i = 0; i < v->n; i++) {
			const struct gpu_val_row *r = &v->rows[i];
			if (r->skipped || isnan(r->err[m]))
				continue;
			double a = fabs(r->err[m]);
			buf[c++] = a;
			if (isnan(v->worst_abs[m]) || a > v->worst_abs[m])
				v->worst_abs[m] = a;
			double ratio = r->pred[m] > r->meas[m]
					       ? r->pred[m] / r->meas[m]
					       : r->meas[m] / r->pred[m];
			if (ratio > v->worst_ratio)
				v->worst_ratio = ratio;
		}
		v->count[m] = c;
		if (!c) {
			v->median_abs[m] = NAN;
			continue;
		}
		qsort(buf, (size_t)c, sizeof(double), cmp_double);
		v->median_abs[m] = c % 2 ? buf[c / 2]
					 : 0.5 * (buf[c / 2 - 1] + buf[c / 2]);
	}
	free(buf);
}

int gpu_jsonl_parse(const char *file, const char *text, size_t len,
		    struct gpu_jsonl *jl, struct diag *d)
{
	memset(jl, 0, sizeof(*jl));
	size_t cap = 0;
	int errors = 0, line = 1;
	const char *s = text, *end = text + len;
	/* a UTF-8 byte order mark (an editor's or PowerShell's) is not
	 * JSON: skipped, as the YAML and CSV readers skip it */
	if (len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		s += 3;
	for (; s < end; line++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl ? nl : end;
		const char *q = s;
		while (q < e && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		json_t *v = q < e ? ws_json_parse(s, (size_t)(e - s), file,
						  line, d)
				  : NULL;
		s = nl ? nl + 1 : end;
		if (q < e && !v)
			errors++;
		if (!v || errors) {
			json_decref(v);
			continue;
		}
		if (jl->n == cap) {
			cap = cap ? 2 * cap : 16;
			jl->rows = xrealloc(jl->rows, cap * sizeof(*jl->rows));
			jl->line_of = xrealloc(jl->line_of,
					       cap * sizeof(*jl->line_of));
		}
		jl->rows[jl->n] = v;
		jl->line_of[jl->n++] = line;
	}
	if (errors) {
		gpu_jsonl_release(jl);
		return WS_EINPUT;
	}
	return WS_OK;
}

int gpu_jsonl_read(const char *path, struct gpu_jsonl *jl, struct diag *d)
{
	char *text;
	size_t len;
	memset(jl, 0, sizeof(*jl));
	int rc = read_file(path, &text, &len, d);
	if (rc)
		return rc;
	rc = gpu_jsonl_parse(path, text, len, jl, d);
	free(text);
	return rc;
}

void gpu_jsonl_release(struct gpu_jsonl *jl)
{
	for (size_t i = 0; i < jl->n; i++)
		json_decref(jl->rows[i]);
	free(jl->rows);
	free(jl->line_of);
	memset(jl, 0, sizeof(*jl));
}

static double num_or_nan(const json_t *row, const char *path)
{
	double x;
	return ws_json_num_at(row, path, &x) && x > 0 ? x : NAN;
}

/* Where a row's network comes from: its "network_file" (relative to the
 * measurement file), else NAME.yaml / NAME.onnx in one of the folders
 * given, else the zoo.  Returns an xmalloc'ed name or path to load. */
static char *row_network(const char *meas_path, const char *model,
			 const char *file, const char *const *dirs, int n_dirs)
{
	if (file) {
		if (file[0] == '/')
			return xstrdup(file);
		const char *slash = strrchr(meas_path, '/');
		if (!slash) /* a path, never a zoo name */
			return xasprintf("./%s", file);
		return xasprintf("%.*s/%s", (int)(slash - meas_path), meas_path,
				 file);
	}
	for (int i = 0; i < n_dirs; i++) {
		static const char *const ext[] = {"yaml", "onnx"};
		for (int e = 0; e < 2; e++) {
			char *p = xasprintf("%s/%s.%s", dirs[i], model, ext[e]);
			FILE *f = fopen(p, "r");
			if (f) {
				fclose(f);
				return p;
			}
			free(p);
		}
	}
	return xstrdup(model);
}

/* The row's identity and whether it can be predicted at all. */
static int row_header(const json_t *row, struct gpu_val_row *r)
{
	const char *model = ws_json_str_at(row, "model");
	const char *prec = ws_json_str_at(row, "precision");
	const char *mode = ws_json_str_at(row, "mode");
	double batch = 0;
	for (int m = 0; m < GPU_VAL_COUNT; m++)
		r->meas[m] = r->pred[m] = r->err[m] = NAN;
	snprintf(r->model, sizeof(r->model), "%s", model ? model : "?");
	snprintf(r->precision, sizeof(r->precision), "%s", prec ? prec : "?");
	r->style = mode && !strcmp(mode, "cuda-graph") ? GPU_GRAPH : GPU_EAGER;
	int has_batch = ws_json_num_at(row, "batch", &batch);
	/* converted only when whole and within --gpu-batch's range */
	if (has_batch && !(batch >= 1 && batch <= (1 << 30) &&
			   batch == floor(batch)))
		batch = 0;
	r->batch = has_batch ? (int64_t)batch : 0;
	if (json_object_get(row, "error") || json_object_get(row, "skipped")) {
		const char *why = ws_json_str_at(row, "error");
		if (!why)
			why = ws_json_str_at(row, "skipped");
		r->skipped = xasprintf("measurement row records no result (%s)",
				       why ? why : "?");
		return -1;
	}
	if (!model || !has_batch || batch < 1 || !prec) {
		r->skipped = xstrdup("row needs 'model', a whole 'batch' in "
				     "[1, 2^30] and 'precision'");
		return -1;
	}
	return 0;
}

/* The run options a row was measured with. */
static int row_opts(const json_t *row, struct gpu_val_row *r,
		    struct gpu_run_opts *o)
{
	const char *prec = r->precision;
	const char *optn = ws_json_str_at(row, "optimizer");
	gpu_run_opts_default(o);
	o->batch = r->batch;
	o->style = r->style;
	if (!strcmp(prec, "fp32") || !strcmp(prec, "tf32")) {
		o->dtype = DT_FP32;
	} else if (!strcmp(prec, "bf16")) {
		o->dtype = DT_BF16;
	} else if (!strcmp(prec, "fp16")) {
		o->dtype = DT_FP16;
	} else {
		r->skipped = xasprintf("precision must be fp32, bf16 or fp16, "
				       "got '%s'", prec);
		return -1;
	}
	if (optn && !strcmp(optn, "sgd"))
		o->optimizer = OPT_SGD;
	else if (optn && !strcmp(optn, "adam"))
		o->optimizer = OPT_ADAM;
	return 0;
}

/* Predict one row on its network. */
static void row_predict(const struct gpu_spec *g, const json_t *row,
			const struct graph *net, const struct gpu_run_opts *o,
			struct gpu_val_row *r)
{
	r->meas[GPU_VAL_TRAIN] = num_or_nan(row, "train.median_ms") * 1e-3;
	r->meas[GPU_VAL_INFER] = num_or_nan(row, "infer.median_ms") * 1e-3;
	r->meas[GPU_VAL_ENERGY] = num_or_nan(row, "train.energy_j_per_iter");
	if (isnan(r->meas[GPU_VAL_TRAIN]) && isnan(r->meas[GPU_VAL_INFER]) &&
	    isnan(r->meas[GPU_VAL_ENERGY])) {
		r->skipped = xstrdup("row needs a number in 'train.median_ms', "
				     "'infer.median_ms' or "
				     "'train.energy_j_per_iter'");
		return;
	}
	struct gpu_result res;
	struct diag dd;
	diag_init(&dd);
	if (gpu_estimate(g, net, o, &res, &dd)) {
		r->skipped = xstrdup(diag_count(&dd) && diag_text(&dd, 0)
					     ? diag_text(&dd, 0)
					     : "model failed");
		diag_release(&dd);
		return;
	}
	diag_release(&dd);
	r->pred[GPU_VAL_TRAIN] = res.train.seconds;
	r->pred[GPU_VAL_INFER] = res.infer.seconds;
	r->pred[GPU_VAL_ENERGY] = res.train.energy_j;
	r->bound = res.train.bound;
	gpu_result_release(&res);
	for (int m = 0; m < GPU_VAL_COUNT; m++)
		r->err[m] = r->pred[m] / r->meas[m] - 1;
}

/* 1-based column of "key" on line `line` of text[len], or 1. */
static int key_col(const char *text, size_t len, int line, const char *key)
{
	const char *s = text, *end = text + len;
	for (int l = 1; l < line && s < end; l++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		s = nl ? nl + 1 : end;
	}
	const char *nl = memchr(s, '\n', (size_t)(end - s));
	size_t n = (size_t)((nl ? nl : end) - s), k = strlen(key);
	for (size_t i = 0; i + k + 2 <= n; i++)
		if (s[i] == '"' && !memcmp(s + i + 1, key, k) &&
		    s[i + 1 + k] == '"')
			return (int)i + 1;
	return 1;
}

/* " (path:line:col)" after r->skipped: `key`'s place on the row's line
 * (col 1 when the row has no such key). */
void gpu_val_locate(struct gpu_val_row *r, const char *path,
		    const char *text, size_t len, const char *key)
{
	char *t = xasprintf("%s (%s:%d:%d)", r->skipped, path, r->line,
			    key_col(text, len, r->line, key));
	free(r->skipped);
	r->skipped = t;
}

/* The field a row that cannot be predicted is wrong at: the one it
 * records its failure in, else the first of model, batch and precision
 * that is missing or wrong, else its measurements ("train"). */
static const char *bad_key(const json_t *row, const struct gpu_val_row *r)
{
	static const char *const precs[] = {"fp32", "tf32", "bf16", "fp16"};
	const char *prec = ws_json_str_at(row, "precision");
	int prec_ok = 0;
	for (size_t i = 0; prec && i < ARRAY_SIZE(precs); i++)
		prec_ok |= !strcmp(prec, precs[i]);
	return json_object_get(row, "error")	 ? "error"
	       : json_object_get(row, "skipped") ? "skipped"
	       : !ws_json_str_at(row, "model")	 ? "model"
	       : r->batch < 1			 ? "batch"
	       : !prec_ok			 ? "precision"
						 : "train";
}

/* The network of a row, by its name or file (cached), or `net` when
 * given; NULL with r->skipped set, located at the row's "network_file"
 * or "model", when it cannot be loaded. */
static const struct graph *row_graph(const char *path, const char *text,
				     size_t len, const json_t *row,
				     const struct graph *net,
				     const char *const *dirs, int n_dirs,
				     struct gpu_net_cache *cache,
				     struct gpu_val_row *r)
{
	if (net)
		return net;
	const json_t *nf = json_object_get(row, "network_file");
	if (nf && (!json_is_string(nf) || !*json_string_value(nf))) {
		r->skipped = xasprintf("'network_file' must be the path of a "
				       "YAML or ONNX file, got %s",
				       json_is_string(nf) ? "''"
							  : ws_json_kind(nf));
		gpu_val_locate(r, path, text, len, "network_file");
		return NULL;
	}
	const char *file = ws_json_str_at(row, "network_file");
	char *name = row_network(path, r->model, file, dirs, n_dirs);
	struct net_cache *c = find_net(cache, name);
	free(name);
	if (c->ok)
		return &c->g;
	r->skipped = xasprintf("unknown network: %s", c->error);
	gpu_val_locate(r, path, text, len, file ? "network_file" : "model");
	return NULL;
}

int gpu_val_jsonl_rows(const char *path, const char *text, size_t len,
		       const char *what, struct gpu_jsonl *jl, struct diag *d)
{
	int rc = gpu_jsonl_parse(path, text, len, jl, d);
	if (rc)
		return rc;
	if (!jl->n) { /* an empty file, /dev/null: nothing was checked */
		diag_add(d, path, 1, 1,
			 "validate: file must hold %s, one JSON object per "
			 "line, got none", what);
		gpu_jsonl_release(jl);
		return WS_EINPUT;
	}
	return WS_OK;
}

int gpu_val_row_setup(const char *path, const char *text, size_t len,
		      const json_t *row, const struct graph *net,
		      const char *const *dirs, int n_dirs,
		      struct gpu_net_cache *cache, struct gpu_val_row *r,
		      struct gpu_run_opts *o, const struct graph **rg)
{
	*rg = NULL;
	if (row_header(row, r) || row_opts(row, r, o)) {
		gpu_val_locate(r, path, text, len, bad_key(row, r));
		return -1;
	}
	*rg = row_graph(path, text, len, row, net, dirs, n_dirs, cache, r);
	return *rg ? 0 : -1;
}

int gpu_validate_text(const struct gpu_spec *g, const char *path,
		      const char *text, size_t len, const struct graph *net,
		      const char *const *nets_dirs, int n_dirs,
		      struct gpu_val *v, struct diag *d)
{
	struct gpu_jsonl jl;
	memset(v, 0, sizeof(*v));
	int rc = gpu_val_jsonl_rows(path, text, len, "measurements", &jl, d);
	if (rc)
		return rc;
	v->file = xstrdup(path);
	v->rows = xcalloc(jl.n ? jl.n : 1, sizeof(*v->rows));
	struct gpu_net_cache cache = {NULL, 0};
	for (size_t i = 0; i < jl.n; i++) {
		const json_t *row = jl.rows[i];
		struct gpu_val_row *r = &v->rows[v->n++];
		struct gpu_run_opts o;
		const struct graph *rg;
		r->line = jl.line_of[i];
		if (gpu_val_row_setup(path, text, len, row, net, nets_dirs,
				      n_dirs, &cache, r, &o, &rg))
			continue;
		row_predict(g, row, rg, &o, r);
		if (r->skipped) /* no measurement, or the model failed */
			gpu_val_locate(r, path, text, len, "train");
	}
	for (int i = 0; i < v->n; i++) {
		if (v->rows[i].skipped)
			v->n_skipped++;
		else
			v->n_predicted++;
	}
	summarise(v);
	gpu_net_cache_release(&cache);
	gpu_jsonl_release(&jl);
	return WS_OK;
}

int gpu_validate_file_in(const struct gpu_spec *g, const char *path,
			 const char *const *nets_dirs, int n_dirs,
			 struct gpu_val *v, struct diag *d)
{
	char *text;
	size_t len;
	memset(v, 0, sizeof(*v));
	int rc = read_file(path, &text, &len, d);
	if (rc)
		return rc;
	rc = gpu_validate_text(g, path, text, len, NULL, nets_dirs, n_dirs, v,
			       d);
	free(text);
	return rc;
}

int gpu_validate_file(const struct gpu_spec *g, const char *path,
		      struct gpu_val *v, struct diag *d)
{
	return gpu_validate_file_in(g, path, NULL, 0, v, d);
}

void gpu_val_release(struct gpu_val *v)
{
	for (int i = 0; i < v->n; i++)
		free(v->rows[i].skipped);
	free(v->rows);
	free(v->file);
	memset(v, 0, sizeof(*v));
}

static void cell(FILE *out, double pred, double meas, double scale)
{
	if (isnan(meas) || isnan(pred))
		fprintf(out, " %9s %9s %6s", "-", "-", "-");
	else
		fprintf(out, " %9.3f %9.3f %+5.0f%%", pred * scale,
			meas * scale, 100 * (pred / meas - 1));
}

void gpu_val_print(const struct gpu_val *v, FILE *out, int rows)
{
	static const char *const mname[] = {"train time", "infer time",
					    "train energy"};
	fprintf(out, "measurements: %s\n", v->file);
	if (rows)
		fprintf(out, "%-12s %6s %-5s %-5s %-8s | %9s %9s %6s | %9s %9s "
			     "%6s | %9s %9s %6s\n",
		"network", "batch", "prec", "style", "bound", "train ms",
		"meas", "err", "infer ms", "meas", "err", "train J", "meas",
		"err");
	for (int i = 0; rows && i < v->n; i++) {
		const struct gpu_val_row *r = &v->rows[i];
		if (r->skipped)
			continue;
		fprintf(out, "%-12s %6lld %-5s %-5s %-8s |", r->model,
			(long long)r->batch, r->precision,
			gpu_style_name(r->style), gpu_bound_name(r->bound));
		cell(out, r->pred[0], r->meas[0], 1e3);
		fputs(" |", out);
		cell(out, r->pred[1], r->meas[1], 1e3);
		fputs(" |", out);
		cell(out, r->pred[2], r->meas[2], 1);
		fputc('\n', out);
	}
	for (int i = 0; i < v->n; i++)
		if (v->rows[i].skipped)
			fprintf(out, "not predicted: line %d (%s, batch %lld, "
				     "%s): %s\n", v->rows[i].line,
				v->rows[i].model, (long long)v->rows[i].batch,
				v->rows[i].precision, v->rows[i].skipped);
	fprintf(out, "rows: %d predicted, %d not predicted\n", v->n_predicted,
		v->n_skipped);
	for (int m = 0; m < GPU_VAL_COUNT; m++) {
		if (!v->count[m])
			continue;
		fprintf(out, "%-12s  median |error| %5.1f%%  worst %5.1f%%  "
			     "(%d rows)\n", mname[m], 100 * v->median_abs[m],
			100 * v->worst_abs[m], v->count[m]);
	}
	fprintf(out, "worst ratio predicted/measured (either way): %.2fx\n",
		v->worst_ratio);
}
