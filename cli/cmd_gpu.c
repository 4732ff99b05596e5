/*
 * cmd_gpu.c: `wafersim gpu NET`: the GPU baseline for one network, with a
 * per-layer table (time by pass, and what bounds it) and totals.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opt.h"
#include "gpu/gpu.h"
#include "gpu/gpu_validate.h"
#include "ground/util.h"
#include "ground/json.h"

static const char *const gpu_options[] = {
	"gpu", "gpus", "batch", "precision", "style", "optimizer", "json",
	"output", "dtype", NULL};

static const struct cli_command gpu_cmd = {
	"gpu", "NET [options]\n"
	"       wafersim gpu show NAME|FILE    effective GPU configuration\n"
	"       wafersim gpu list              the presets in models/gpus/\n"
	"       wafersim gpu schema            every GPU key",
	"Predicts a training step (forward, loss, backward, optimizer) and an\n"
	"inference batch of NET (zoo name or .yaml/.onnx path) on one GPU, or\n"
	"N GPUs in data parallel (batch is per GPU).  The per-layer table says\n"
	"whether each layer's time is bound by compute, memory or overhead\n"
	"(per-kernel launch and framework cost).",
	gpu_options,
	"example: wafersim gpu uno --gpu h100 --batch 32 --precision mixed\n",
	1, 2};

static int gpu_list(void)
{
	size_t n;
	char **paths = cli_list_models("gpus", &n);
	if (!paths)
		return EXIT_INPUT;
	int rc = EXIT_OK;
	printf("%-8s %9s %9s %7s %9s %6s  %s\n", "name", "fp32 TF", "bf16 TF",
	       "mem GB", "mem GB/s", "TDP W", "description");
	for (size_t i = 0; i < n; i++) {
		const char *path = paths[i];
		struct gpu_spec g;
		struct diag d;
		diag_init(&d);
		if (gpu_load(path, &g, &d) == 0) {
			printf("%-8s %9.1f %9.1f %7.0f %9.0f %6.0f  %s\n", g.name,
			       g.peak_tflops[GPU_MATH_FP32],
			       g.peak_tflops[GPU_MATH_BF16], g.mem_gbytes,
			       g.mem_bandwidth_gbytes_s, g.max_w, g.description);
		} else {
			diag_print(&d, stderr);
			rc = EXIT_INPUT;
		}
		diag_release(&d);
	}
	ws_free_list(paths);
	return rc;
}

static const char *opt_name(enum optimizer o)
{
	return o == OPT_SGD ? "sgd" : o == OPT_ADAM ? "adam" : "momentum";
}

static void print_pass_json(FILE *f, const char *name,
			    const struct gpu_pass_result *p)
{
	fprintf(f, "  \"%s\": {\"seconds\": ", name);
	json_write_num(f, p->seconds);
	fputs(", \"energy_j\": ", f);
	json_write_num(f, p->energy_j);
	fputs(", \"avg_power_w\": ", f);
	json_write_num(f, p->avg_power_w);
	fputs(", \"device_busy_s\": ", f);
	json_write_num(f, p->device_busy_s);
	fputs(", \"host_s\": ", f);
	json_write_num(f, p->host_s);
	fprintf(f, ", \"kernels\": %d, \"bound\": \"%s\"", p->kernels,
		gpu_bound_name(p->bound));
	for (int b = 0; b < GPU_BOUND_COUNT; b++) {
		fprintf(f, ", \"%s_s\": ", gpu_bound_name(b));
		json_write_num(f, p->by_bound_s[b]);
	}
	fputs("}", f);
}

static void print_json(FILE *f, const struct gpu_spec *g,
		       const struct graph *gr, const struct gpu_run_opts *o,
		       const struct gpu_result *r)
{
	fputs("{\n  \"network\": ", f);
	json_write_str(f, gr->name ? gr->name : "?");
	fputs(", \"gpu\": ", f);
	json_write_str(f, g->name);
	fprintf(f, ", \"gpus\": %d, \"batch\": %lld, \"dtype\": \"%s\", "
		   "\"style\": \"%s\", \"optimizer\": \"%s\", \"params\": %lld,\n",
		o->n_gpus, (long long)r->batch, dtype_name(o->dtype),
		gpu_style_name(o->style), opt_name(o->optimizer),
		(long long)r->params);
	print_pass_json(f, "train", &r->train);
	fputs(",\n", f);
	print_pass_json(f, "infer", &r->infer);
	fputs(",\n  \"train_memory_bytes\": ", f);
	json_write_num(f, r->train_memory_bytes);
	fprintf(f, ", \"fits\": %s", r->fits ? "true" : "false");
	fputs(",\n  \"data_parallel\": {\"allreduce_s\": ", f);
	json_write_num(f, r->allreduce_s);
	fputs(", \"exposed_comm_s\": ", f);
	json_write_num(f, r->exposed_comm_s);
	fprintf(f, ", \"buckets\": %d", r->buckets);
	fputs(", \"comm_tail_s\": ", f);
	json_write_num(f, r->comm_tail_s);
	fputs(", \"ddp_copy_s\": ", f);
	json_write_num(f, r->ddp_copy_s);
	fputs(", \"contention_s\": ", f);
	json_write_num(f, r->contention_s);
	fputs(", \"scaling_efficiency\": ", f);
	json_write_num(f, r->scaling_efficiency);
	fputs(", \"samples_per_s\": ", f);
	json_write_num(f, r->samples_per_s);
	fputs(", \"cluster_energy_j\": ", f);
	json_write_num(f, r->cluster_energy_j);
	fputs("},\n  \"layers\": [", f);
	int first = 1;
	for (int l = 0; l < r->n_layers; l++) {
		const struct gpu_layer_result *L = &r->layers[l];
		if (!L->kernels_train && !L->kernels_infer)
			continue;
		fputs(first ? "\n    {\"name\": " : ",\n    {\"name\": ", f);
		first = 0;
		json_write_str(f, gr->layers[l].name);
		fprintf(f, ", \"op\": \"%s\"", op_name(gr->layers[l].op));
		static const char *const pn[] = {"fwd_s", "bwd_data_s",
						 "bwd_weight_s", "update_s"};
		for (int p = 0; p < PASS_COUNT; p++) {
			fprintf(f, ", \"%s\": ", pn[p]);
			json_write_num(f, L->train_s[p]);
		}
		fputs(", \"infer_s\": ", f);
		json_write_num(f, L->infer_s);
		fprintf(f, ", \"kernels_train\": %d, \"bound\": \"%s\"}",
			L->kernels_train, gpu_bound_name(L->bound));
	}
	fputs("\n  ]\n}\n", f);
}

static void pct_bounds(FILE *f, const struct gpu_pass_result *p)
{
	double t = p->seconds > 0 ? p->seconds : 1;
	fprintf(f, "compute %.0f%%, memory %.0f%%, overhead %.0f%%",
		100 * p->by_bound_s[GPU_BOUND_COMPUTE] / t,
		100 * p->by_bound_s[GPU_BOUND_MEMORY] / t,
		100 * p->by_bound_s[GPU_BOUND_OVERHEAD] / t);
}

static void print_text(FILE *f, const struct gpu_spec *g,
		       const struct graph *gr, const struct gpu_run_opts *o,
		       const struct gpu_result *r)
{
	fprintf(f, "network %s on %d x %s (%s), batch %lld per GPU, %s, %s, "
		   "optimizer %s, %lld parameters\n\n",
		gr->name ? gr->name : "?", o->n_gpus, g->name, g->description,
		(long long)r->batch, dtype_name(o->dtype),
		gpu_style_name(o->style), opt_name(o->optimizer),
		(long long)r->params);
	fprintf(f, "%-28s %-11s %9s %9s %9s %9s %9s %5s  %s\n", "layer", "op",
		"fwd ms", "bwd-d ms", "bwd-w ms", "train ms", "infer ms",
		"kern", "bound");
	int hidden = 0;
	double upd = r->train.seconds;
	for (int l = 0; l < r->n_layers; l++) {
		const struct gpu_layer_result *L = &r->layers[l];
		if (!L->kernels_train && !L->kernels_infer) {
			hidden++;
			continue;
		}
		double tr = L->train_s[0] + L->train_s[1] + L->train_s[2] +
			    L->train_s[3];
		upd -= tr;
		fprintf(f, "%-28.28s %-11.11s %9.4f %9.4f %9.4f %9.4f %9.4f "
			   "%5d  %s\n", gr->layers[l].name,
			op_name(gr->layers[l].op), L->train_s[0] * 1e3,
			L->train_s[1] * 1e3, L->train_s[2] * 1e3, tr * 1e3,
			L->infer_s * 1e3, L->kernels_train,
			gpu_bound_name(L->bound));
	}
	fprintf(f, "%-28s %-11s %9s %9s %9s %9.4f %9s\n",
		"(optimizer, comm, host)", "", "", "", "", upd * 1e3, "");
	if (hidden)
		fprintf(f, "(%d layers launch no kernels: views)\n", hidden);
	fprintf(f, "\ntraining step:   %9.3f ms  %8.3f J  %6.0f W  %d kernels,"
		   " %.0f samples/s\n", r->train.seconds * 1e3,
		r->train.energy_j, r->train.avg_power_w, r->train.kernels,
		r->samples_per_s);
	fprintf(f, "                 bound by %s (", gpu_bound_name(r->train.bound));
	pct_bounds(f, &r->train);
	fprintf(f, ")\n                 device busy %.3f ms, host %.3f ms\n",
		r->train.device_busy_s * 1e3, r->train.host_s * 1e3);
	fprintf(f, "inference batch: %9.3f ms  %8.3f J  %6.0f W  %d kernels\n",
		r->infer.seconds * 1e3, r->infer.energy_j,
		r->infer.avg_power_w, r->infer.kernels);
	fprintf(f, "                 bound by %s (", gpu_bound_name(r->infer.bound));
	pct_bounds(f, &r->infer);
	fputs(")\n", f);
	fprintf(f, "memory (training, rough): %.2f GB of %.0f GB%s\n",
		r->train_memory_bytes / 1e9, g->mem_gbytes,
		r->fits ? "" : "  -- DOES NOT FIT: lower --batch or add GPUs");
	if (o->n_gpus > 1)
		fprintf(f, "data parallel:   %d GPUs, all-reduce %.3f ms alone, "
			   "%.3f ms exposed, scaling efficiency %.1f%%, "
			   "cluster %.3f J per step\n", o->n_gpus,
			r->allreduce_s * 1e3, r->exposed_comm_s * 1e3,
			100 * r->scaling_efficiency, r->cluster_energy_j);
	if (o->n_gpus > 1)
		fprintf(f, "  exposed = all-reduce tail %.3f ms + DDP bucket "
			   "copies %.3f ms + compute lost to overlapping "
			   "collectives %.3f ms (%d buckets)\n",
			r->comm_tail_s * 1e3, r->ddp_copy_s * 1e3,
			r->contention_s * 1e3, r->buckets);
}

static int gpu_show(const char *name, const char *out_path)
{
	struct diag d;
	diag_init(&d);
	struct gpu_spec g;
	struct outfile of;
	int rc = gpu_load(name, &g, &d);
	if (rc == 0)
		rc = outfile_open(&of, out_path, &d);
	if (rc == 0) {
		gpu_dump(&g, of.f);
		rc = outfile_commit(&of, &d);
	}
	int ex = rc ? cli_fail(&d, rc) : EXIT_OK;
	diag_release(&d);
	return ex;
}

static int gpu_report(const struct cli_opts *co, const struct gpu_spec *g,
		      const struct graph *gr, const struct gpu_run_opts *o,
		      struct diag *d)
{
	struct gpu_result r;
	struct outfile of;
	int rc = gpu_estimate(g, gr, o, &r, d);
	if (rc == 0 && (rc = outfile_open(&of, co->output, d)) == 0) {
		if (co->json)
			print_json(of.f, g, gr, o, &r);
		else
			print_text(of.f, g, gr, o, &r);
		rc = outfile_commit(&of, d);
	}
	if (rc == 0 || r.layers)
		gpu_result_release(&r);
	return rc;
}

static int gpu_network(const struct cli_opts *co)
{
	struct gpu_run_opts o;
	gpu_run_opts_default(&o);
	o.n_gpus = (int)co->gpus;
	o.batch = co->batch;
	o.dtype = cli_gpu_dtype(co->precision);
	o.style = co->style;
	o.optimizer = co->optimizer;
	struct diag d;
	diag_init(&d);
	struct gpu_spec g;
	struct graph gr;
	int rc = gpu_load(co->gpu, &g, &d);
	if (rc == 0 && (rc = gpu_load_network(co->args[0], &gr, &d)) == 0) {
		rc = gpu_report(co, &g, &gr, &o, &d);
		graph_release(&gr);
	}
	int ex = rc ? cli_fail(&d, rc) : EXIT_OK;
	diag_release(&d);
	return ex;
}

int cmd_gpu(int argc, char **argv)
{
	struct cli_opts o;
	cli_opts_init(&o);
	int pr = cli_parse(&gpu_cmd, argc, argv, &o);
	if (pr != CLI_GO)
		return cli_parse_exit(pr);
	const char *a0 = o.args[0], *out = o.output ? o.output : "-";
	if (o.n_args == 1 && !strcmp(a0, "list"))
		return gpu_list();
	if (o.n_args == 1 && !strcmp(a0, "schema")) {
		cfg_print_schema(gpu_schema, stdout);
		return EXIT_OK;
	}
	if (!strcmp(a0, "show")) {
		if (o.n_args != 2)
			return cli_usage_error("gpu", "'show' needs one NAME or "
					       "FILE");
		return gpu_show(o.args[1], out);
	}
	if (o.n_args != 1)
		return cli_usage_error("gpu", "expected one network, got %d "
				       "arguments", o.n_args);
	o.output = out;
	return gpu_network(&o);
}
