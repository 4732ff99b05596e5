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
#include "ground/json_io.h"

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
	1, 2, NULL};

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

static json_t *pass_json(const struct gpu_pass_result *p)
{
	json_t *o = ws_json_obj();
	ws_json_set_real(o, "seconds", p->seconds);
	ws_json_set_real(o, "energy_j", p->energy_j);
	ws_json_set_real(o, "avg_power_w", p->avg_power_w);
	ws_json_set_real(o, "device_busy_s", p->device_busy_s);
	ws_json_set_real(o, "host_s", p->host_s);
	ws_json_set_int(o, "kernels", p->kernels);
	ws_json_set_str(o, "bound", gpu_bound_name(p->bound));
	for (int b = 0; b < GPU_BOUND_COUNT; b++) {
		char k[48];
		snprintf(k, sizeof(k), "%s_s", gpu_bound_name(b));
		ws_json_set_real(o, k, p->by_bound_s[b]);
	}
	return o;
}

static json_t *dp_json(const struct gpu_result *r)
{
	json_t *o = ws_json_obj();
	ws_json_set_real(o, "allreduce_s", r->allreduce_s);
	ws_json_set_real(o, "shard_comm_s", r->shard_comm_s);
	ws_json_set_real(o, "exposed_comm_s", r->exposed_comm_s);
	ws_json_set_int(o, "buckets", r->buckets);
	ws_json_set_real(o, "comm_tail_s", r->comm_tail_s);
	ws_json_set_real(o, "ddp_copy_s", r->ddp_copy_s);
	ws_json_set_real(o, "contention_s", r->contention_s);
	ws_json_set_real(o, "ddp_buffer_s", r->ddp_buffer_s);
	ws_json_set_real(o, "scaling_efficiency", r->scaling_efficiency);
	ws_json_set_real(o, "samples_per_s", r->samples_per_s);
	ws_json_set_real(o, "cluster_energy_j", r->cluster_energy_j);
	return o;
}

static json_t *layers_json(const struct graph *gr, const struct gpu_result *r)
{
	static const char *const pn[] = {"fwd_s", "bwd_data_s", "bwd_weight_s",
					 "update_s"};
	json_t *a = ws_json_arr();
	for (int l = 0; l < r->n_layers; l++) {
		const struct gpu_layer_result *L = &r->layers[l];
		if (!L->kernels_train && !L->kernels_infer)
			continue;
		json_t *o = ws_json_obj();
		ws_json_set_str(o, "name", gr->layers[l].name);
		ws_json_set_str(o, "op", op_name(gr->layers[l].op));
		for (int p = 0; p < PASS_COUNT; p++)
			ws_json_set_real(o, pn[p], L->train_s[p]);
		ws_json_set_real(o, "infer_s", L->infer_s);
		ws_json_set_int(o, "kernels_train", L->kernels_train);
		ws_json_set_str(o, "bound", gpu_bound_name(L->bound));
		ws_json_push(a, o);
	}
	return a;
}

static void print_json(FILE *f, const struct gpu_spec *g,
		       const struct graph *gr, const struct gpu_run_opts *o,
		       const struct gpu_result *r)
{
	json_t *j = ws_json_obj();
	ws_json_set_str(j, "network", gr->name ? gr->name : "?");
	ws_json_set_str(j, "gpu", g->name);
	ws_json_set_int(j, "gpus", r->n_gpus);
	ws_json_set_int(j, "asked_gpus", r->asked_gpus);
	ws_json_set_int(j, "batch", r->batch);
	ws_json_set_str(j, "dtype", dtype_name(o->dtype));
	ws_json_set_str(j, "style", gpu_style_name(o->style));
	ws_json_set_str(j, "optimizer", opt_name(o->optimizer));
	ws_json_set_int(j, "params", r->params);
	ws_json_set(j, "train", pass_json(&r->train));
	ws_json_set(j, "infer", pass_json(&r->infer));
	ws_json_set_real(j, "train_memory_bytes", (double)r->train_memory_bytes);
	ws_json_set(j, "fits", json_boolean(r->fits));
	ws_json_set_real(j, "full_memory_bytes", r->full_memory_bytes);
	ws_json_set_str(j, "fit", gpu_fit_name(r->fit));
	ws_json_set_int(j, "micro_batches", r->micro_batches);
	ws_json_set_int(j, "micro_batch", r->micro_batch);
	ws_json_set_str(j, "sharding", gpu_shard_name(r->shard));
	ws_json_set_real(j, "state_bytes", r->state_bytes);
	char words[512];
	gpu_plan_words(r, words, sizeof(words));
	ws_json_set_str(j, "does_not_fit", words);
	ws_json_set(j, "data_parallel", dp_json(r));
	ws_json_set(j, "layers", layers_json(gr, r));
	ws_json_write(f, j, WS_JSON_INDENT);
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
		gr->name ? gr->name : "?", r->n_gpus, g->name, g->description,
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
		r->full_memory_bytes / 1e9, g->mem_gbytes,
		r->fits ? "" : ": does not fit");
	if (r->shard > GPU_SHARD_DDP) {
		char words[512];
		gpu_plan_words(r, words, sizeof(words));
		fprintf(f, "                 does not fit %s (%.2f GB per GPU); "
			   "times above are for that\n", words,
			r->train_memory_bytes / 1e9);
	} else if (r->fit == GPU_FIT_ACCUMULATE)
		fprintf(f, "                 runs as %d micro-batches of %lld "
			   "with gradient accumulation (%.2f GB); times above "
			   "are for that\n", r->micro_batches,
			(long long)r->micro_batch, r->train_memory_bytes / 1e9);
	else if (r->fit == GPU_FIT_CHECKPOINT || r->fit == GPU_FIT_BOTH)
		fprintf(f, "                 runs with activation checkpointing%s "
			   "(%.2f GB); times above are for that\n",
			r->fit == GPU_FIT_BOTH ? " and micro-batches" : "",
			r->train_memory_bytes / 1e9);
	if (r->n_gpus > 1 && r->shard > GPU_SHARD_DDP)
		fprintf(f, "data parallel:   %d GPUs, %s: collectives %.3f ms "
			   "alone, %.3f ms exposed (%.3f ms not overlapped + "
			   "%.3f ms compute lost to overlapping collectives), "
			   "scaling efficiency %.1f%%, cluster %.3f J per "
			   "step\n", r->n_gpus, gpu_shard_name(r->shard),
			r->shard_comm_s * 1e3, r->exposed_comm_s * 1e3,
			r->comm_tail_s * 1e3, r->contention_s * 1e3,
			100 * r->scaling_efficiency, r->cluster_energy_j);
	if (r->n_gpus > 1 && r->shard <= GPU_SHARD_DDP)
		fprintf(f, "data parallel:   %d GPUs, all-reduce %.3f ms alone, "
			   "%.3f ms exposed, scaling efficiency %.1f%%, "
			   "cluster %.3f J per step\n", o->n_gpus,
			r->allreduce_s * 1e3, r->exposed_comm_s * 1e3,
			100 * r->scaling_efficiency, r->cluster_energy_j);
	if (r->n_gpus > 1 && r->shard <= GPU_SHARD_DDP)
		fprintf(f, "  exposed = all-reduce tail %.3f ms + DDP bucket "
			   "copies %.3f ms + compute lost to overlapping "
			   "collectives %.3f ms (%d buckets) + buffer "
			   "broadcast %.3f ms\n",
			r->comm_tail_s * 1e3, r->ddp_copy_s * 1e3,
			r->contention_s * 1e3, r->buckets,
			r->ddp_buffer_s * 1e3);
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
	if (rc == 0 && !r.runs) { /* no time for what cannot run */
		diag_add(d, NULL, 0, 0, "gpu: %s", r.why);
		rc = WS_EINPUT;
	}
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
