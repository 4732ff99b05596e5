/*
 * cmd_compile.c: `wafersim compile NET`: read a network (zoo name, YAML or
 * ONNX file), print its layers and what training and inference cost.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opt.h"
#include "compiler/cost.h"
#include "compiler/dot.h"
#include "compiler/graph.h"
#include "ground/util.h"
#include "ground/json_io.h"

static const char *const compile_options[] = {
	"batch", "optimizer", "json", "dot", "list", NULL};

static const struct cli_command compile_cmd = {
	"compile", "NET [options]",
	"Read a network (zoo name: models/nets/NAME.yaml, a .yaml file or an\n"
	".onnx file) and print, per layer: name, op, per-sample output shape,\n"
	"parameters, forward FLOPs and training FLOPs (forward + backward, per\n"
	"sample); then totals per sample and per batch.",
	compile_options,
	"FLOPs count 2 per multiply-add; 'matrix' FLOPs are those PyTorch's\n"
	"FLOP counter counts (dense, conv, matmul, attention).\n"
	"\nexample: wafersim compile uno --batch 256\n",
	0, 1, NULL};

static void fmt_shape(char *buf, size_t n, const struct tensor *t)
{
	size_t k = snprintf(buf, n, "[");
	for (int i = 0; i < t->rank && k < n; i++)
		k += snprintf(buf + k, n - k, "%s%" PRId64, i ? "," : "",
			      t->dims[i]);
	if (k < n)
		snprintf(buf + k, n - k, "]");
}

static int64_t layer_train_flops(const struct layer *l)
{
	int64_t s = 0;
	for (int p = PASS_FWD; p <= PASS_BWD_WEIGHT; p++)
		s += l->cost.mat_flops[p] + l->cost.ew_flops[p];
	return s;
}

static const char *const pass_key[PASS_COUNT] = {"fwd", "bwd_data",
						  "bwd_weight", "update"};

static void set_flops(json_t *o, const int64_t *mat, const int64_t *ew)
{
	for (int p = 0; p < PASS_COUNT; p++) {
		char k[40];
		snprintf(k, sizeof(k), "mat_flops_%s", pass_key[p]);
		ws_json_set_int(o, k, mat[p]);
		snprintf(k, sizeof(k), "ew_flops_%s", pass_key[p]);
		ws_json_set_int(o, k, ew[p]);
	}
}

static json_t *layer_json(const struct graph *g, int i)
{
	const struct layer *l = &g->layers[i];
	const struct tensor *t = &g->tensors[l->out[0]];
	json_t *o = ws_json_obj();
	ws_json_set_str(o, "name", l->name);
	ws_json_set_str(o, "op", op_name(l->op));
	ws_json_set(o, "shape", ws_json_ints(t->dims, (size_t)t->rank));
	json_t *in = ws_json_arr();
	for (int k = 0; k < l->n_in; k++)
		ws_json_push(in, ws_json_str(g->tensors[l->in[k]].name));
	ws_json_set(o, "inputs", in);
	ws_json_set_int(o, "params", l->cost.params);
	ws_json_set(o, "shares",
		    l->param_owner != i
			    ? ws_json_str(g->layers[l->param_owner].name)
			    : json_null());
	set_flops(o, l->cost.mat_flops, l->cost.ew_flops);
	ws_json_set_int(o, "weight_bytes", l->cost.weight_bytes);
	ws_json_set_int(o, "act_in_bytes", l->cost.act_in_bytes);
	ws_json_set_int(o, "act_out_bytes", l->cost.act_out_bytes);
	ws_json_set_int(o, "saved_bytes", l->cost.saved_bytes);
	ws_json_set_int(o, "opt_state_bytes", l->cost.opt_state_bytes);
	return o;
}

static json_t *totals_json(const struct graph *g, const struct cost_totals *t,
			   int64_t batch)
{
	json_t *o = ws_json_obj();
	ws_json_set_int(o, "layers", g->n_layers);
	ws_json_set_int(o, "params", t->params);
	ws_json_set_int(o, "buffers", t->buffers);
	set_flops(o, t->mat_flops, t->ew_flops);
	ws_json_set_int(o, "weight_bytes", t->weight_bytes);
	ws_json_set_int(o, "grad_bytes", t->grad_bytes);
	ws_json_set_int(o, "opt_state_bytes", t->opt_state_bytes);
	ws_json_set_int(o, "saved_bytes", t->saved_bytes);
	ws_json_set_int(o, "act_in_bytes", t->act_in_bytes);
	ws_json_set_int(o, "act_out_bytes", t->act_out_bytes);
	ws_json_set_int(o, "input_bytes", t->input_bytes);
	ws_json_set_int(o, "output_bytes", t->output_bytes);
	ws_json_set_int(o, "infer_flops_per_sample",
			cost_infer_flops_per_sample(t));
	ws_json_set_int(o, "infer_mat_flops_per_sample",
			cost_infer_mat_flops_per_sample(t));
	ws_json_set_int(o, "train_flops_per_sample",
			cost_train_flops_per_sample(t));
	ws_json_set_int(o, "train_mat_flops_per_sample",
			cost_train_mat_flops_per_sample(t));
	ws_json_set_int(o, "infer_flops_per_batch",
			cost_infer_flops_per_batch(t, batch));
	ws_json_set_int(o, "infer_mat_flops_per_batch",
			cost_infer_mat_flops_per_batch(t, batch));
	ws_json_set_int(o, "train_flops_per_batch",
			cost_train_flops_per_batch(t, batch));
	ws_json_set_int(o, "train_mat_flops_per_batch",
			cost_train_mat_flops_per_batch(t, batch));
	ws_json_set_int(o, "train_memory_bytes",
			cost_train_memory_bytes(t, batch));
	return o;
}

static void print_json(const struct graph *g, const struct cost_totals *t,
		       int64_t batch)
{
	json_t *o = ws_json_obj();
	ws_json_set_str(o, "name", g->name);
	ws_json_set_str(o, "source", g->source);
	ws_json_set_int(o, "batch", batch);
	ws_json_set_str(o, "optimizer", optimizer_name(t->opt));
	ws_json_set_str(o, "param_dtype", dtype_name(g->param_dtype));
	json_t *a = ws_json_arr();
	for (int i = 0; i < g->n_layers; i++)
		ws_json_push(a, layer_json(g, i));
	ws_json_set(o, "layers", a);
	ws_json_set(o, "totals", totals_json(g, t, batch));
	ws_json_write(stdout, o, WS_JSON_INDENT);
}

/* 12345678 -> "12.35 M" style, 4 significant digits. */
static const char *human(char *buf, size_t n, double v, const char *unit)
{
	static const char *const pre[] = {"", "k", "M", "G", "T", "P", "E"};
	int k = 0;
	while (v >= 999.95 && k < 6) {
		v /= 1000;
		k++;
	}
	snprintf(buf, n, k ? "%.2f %s%s" : "%.0f %s%s", v, pre[k], unit);
	return buf;
}

static void print_table(const struct graph *g, const struct cost_totals *t,
			int64_t batch)
{
	char b1[32], b2[32], b3[32], shape[64];
	int w = 4;
	for (int i = 0; i < g->n_layers; i++) {
		int n = (int)strlen(g->layers[i].name);
		w = n > w ? n : w;
	}
	if (w > 40)
		w = 40;
	printf("network %s (%s): %d layer%s%s%s\n", g->name, g->source,
	       g->n_layers, g->n_layers == 1 ? "" : "s",
	       *g->description ? ", " : "", g->description);
	printf("%-*s  %-13s %-18s %14s %14s %14s\n", w, "layer", "op", "output",
	       "params", "fwd FLOPs", "train FLOPs");
	for (int i = 0; i < g->n_layers; i++) {
		const struct layer *l = &g->layers[i];
		fmt_shape(shape, sizeof(shape), &g->tensors[l->out[0]]);
		char params[40];
		if (l->param_owner != i && op_has_params(l->op))
			snprintf(params, sizeof(params), "(shared)");
		else
			snprintf(params, sizeof(params), "%" PRId64,
				 l->cost.params);
		printf("%-*s  %-13s %-18s %14s %14" PRId64 " %14" PRId64 "\n",
		       w, l->name, op_name(l->op), shape, params,
		       l->cost.mat_flops[PASS_FWD] + l->cost.ew_flops[PASS_FWD],
		       layer_train_flops(l));
	}
	printf("\ntotals (per sample unless said; FLOPs 2 per multiply-add)\n");
	printf("  parameters            %" PRId64 " (%s, %s weights)\n",
	       t->params, human(b1, sizeof(b1), (double)t->weight_bytes, "B"),
	       dtype_name(g->param_dtype));
	if (t->buffers)
		printf("  buffers               %" PRId64
		       " (batch-norm running statistics, not trained)\n",
		       t->buffers);
	printf("  forward               %" PRId64 " FLOPs (matrix %" PRId64
	       ", elementwise %" PRId64 ")\n",
	       cost_infer_flops_per_sample(t), t->mat_flops[PASS_FWD],
	       t->ew_flops[PASS_FWD]);
	printf("  backward to data      %" PRId64 " FLOPs (matrix %" PRId64
	       ")\n",
	       t->mat_flops[PASS_BWD_DATA] + t->ew_flops[PASS_BWD_DATA],
	       t->mat_flops[PASS_BWD_DATA]);
	printf("  backward to weights   %" PRId64 " FLOPs (matrix %" PRId64
	       ")\n",
	       t->mat_flops[PASS_BWD_WEIGHT] + t->ew_flops[PASS_BWD_WEIGHT],
	       t->mat_flops[PASS_BWD_WEIGHT]);
	printf("  training (fwd+bwd)    %" PRId64 " FLOPs (matrix %" PRId64
	       ")\n",
	       cost_train_flops_per_sample(t),
	       cost_train_mat_flops_per_sample(t));
	printf("  optimizer update      %" PRId64
	       " FLOPs per step (%s), state %s\n",
	       t->ew_flops[PASS_UPDATE], optimizer_name(t->opt),
	       human(b1, sizeof(b1), (double)t->opt_state_bytes, "B"));
	printf("  activations           %s written, %s kept for backward\n",
	       human(b1, sizeof(b1), (double)t->act_out_bytes, "B"),
	       human(b2, sizeof(b2), (double)t->saved_bytes, "B"));
	printf("per batch of %" PRId64 "\n", batch);
	printf("  inference             %s (matrix %s)\n",
	       human(b1, sizeof(b1),
		     (double)cost_infer_flops_per_batch(t, batch), "FLOP"),
	       human(b2, sizeof(b2),
		     (double)cost_infer_mat_flops_per_batch(t, batch), "FLOP"));
	printf("  training step         %s (matrix %s), memory %s\n",
	       human(b1, sizeof(b1),
		     (double)cost_train_flops_per_batch(t, batch), "FLOP"),
	       human(b2, sizeof(b2),
		     (double)cost_train_mat_flops_per_batch(t, batch), "FLOP"),
	       human(b3, sizeof(b3), (double)cost_train_memory_bytes(t, batch),
		     "B"));
	if (g->dataset_samples)
		printf("  epoch                 %" PRId64
		       " samples, %s training\n",
		       g->dataset_samples,
		       human(b1, sizeof(b1),
			     (double)cost_train_flops_per_sample(t) *
				     (double)g->dataset_samples,
			     "FLOP"));
}

/* The zoo: every .yaml file in models/nets/, sorted by name. */
static int compile_list(void)
{
	size_t n;
	char **paths = cli_list_models("nets", &n);
	if (!paths)
		return EXIT_INPUT;
	int rc = EXIT_OK;
	printf("%-14s %12s %14s %16s %6s  %s\n", "name", "params",
	       "fwd FLOP/smp", "train FLOP/smp", "batch", "description");
	for (size_t i = 0; i < n; i++) {
		const char *path = paths[i];
		struct graph g;
		struct diag d;
		diag_init(&d);
		if (graph_load(path, OPT_MOMENTUM, &g, &d) == 0) {
			struct cost_totals t;
			char b1[32], b2[32];
			cost_totals(&g, &t);
			printf("%-14s %12" PRId64 " %14s %16s %6" PRId64
			       "  %s\n",
			       g.name, t.params,
			       human(b1, sizeof(b1),
				     (double)cost_infer_flops_per_sample(&t),
				     ""),
			       human(b2, sizeof(b2),
				     (double)cost_train_flops_per_sample(&t),
				     ""),
			       g.default_batch, g.description);
			graph_release(&g);
		} else {
			diag_print(&d, stderr);
			rc = EXIT_INPUT;
		}
		diag_release(&d);
	}
	ws_free_list(paths);
	return rc;
}

static int write_dot(const struct graph *g, const char *path,
		     struct diag *d)
{
	struct outfile of;
	int rc = outfile_open(&of, path, d);
	if (!rc) {
		dot_write(g, of.f);
		rc = outfile_commit(&of, d);
	}
	return rc;
}

int cmd_compile(int argc, char **argv)
{
	struct cli_opts o;
	cli_opts_init(&o);
	int pr = cli_parse(&compile_cmd, argc, argv, &o);
	if (pr != CLI_GO)
		return cli_parse_exit(pr);
	if (o.list)
		return compile_list();
	if (o.n_args != 1)
		return cli_usage_error("compile", "a network is required");
	struct diag d;
	diag_init(&d);
	struct graph g;
	int rc = graph_load(o.args[0], (enum optimizer)o.optimizer, &g, &d);
	if (rc) {
		int e = cli_fail(&d, rc);
		diag_release(&d);
		return e;
	}
	/* the default batch of every command (cli/opt.c, --batch) */
	int64_t batch = o.batch ? o.batch
		      : g.default_batch ? g.default_batch : 32;
	struct cost_totals t;
	cost_totals(&g, &t);
	rc = cost_batch_checked(&g, &t, batch, g.source, 0, 0, &d);
	if (!rc && o.dot)
		rc = write_dot(&g, o.dot, &d);
	int ex = rc ? cli_fail(&d, rc) : EXIT_OK;
	if (!rc && o.json)
		print_json(&g, &t, batch);
	else if (!rc)
		print_table(&g, &t, batch);
	graph_release(&g);
	diag_release(&d);
	return ex;
}
