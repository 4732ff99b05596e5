/* test_gpu_shard.c: sharded data parallel (ZeRO / FSDP) in the GPU model:
 * memory per GPU of each stage, the collectives' time, the automatic
 * choice of sharding and GPU count, a step that cannot run, and `run`
 * keeping the wafer's report beside it (gpu/gpu_shard.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/net_yaml.h"
#include "gpu/gpu.h"
#include "gpu/gpu_validate.h"
#include "ground/json_io.h"
#include "ground/util.h"
#include "test_util.h"

/* 1024 -> 4096 -> 4096 -> 10: P = 1024 x 4096 + 4096 + 4096 x 4096 +
 * 4096 + 4096 x 10 + 10 = 21,020,682 parameters, the largest layer
 * (fc2) 16,781,312; each sample saves 4 x (4 x 4096 + 10) = 65,576 bytes
 * in 5 layers (checkpointed: x 2 / sqrt(5)). */
static const char mlp_yaml[] =
	"name: mlp\nbatch: 32\ninputs:\n  x: [1024]\nlayers:\n"
	"  - {name: fc1, op: dense, units: 4096, in: x}\n"
	"  - {name: r1, op: relu}\n"
	"  - {name: fc2, op: dense, units: 4096}\n"
	"  - {name: r2, op: relu}\n"
	"  - {name: out, op: dense, units: 10}\n"
	"  - {name: loss, op: cross_entropy}\n";
static const double P = 21020682.0, UNIT = 16781312.0;

static void setup(struct gpu_spec *g, struct graph *gr)
{
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(gpu_load("h100", g, &d), 0);
	CU_ASSERT_EQUAL_FATAL(net_yaml_load_string("mlp.yaml", mlp_yaml,
						   strlen(mlp_yaml), gr, &d),
			      0);
	diag_release(&d);
}

static int est(const struct gpu_spec *g, const struct graph *gr,
	       const struct gpu_run_opts *o, struct gpu_result *r)
{
	struct diag d;
	diag_init(&d);
	int rc = gpu_estimate(g, gr, o, r, &d);
	if (rc)
		diag_print(&d, stderr);
	diag_release(&d);
	return rc;
}

/* Weights, gradients and optimizer state per GPU over 4 GPUs, by stage
 * (ZeRO paper figure 1, with this model's bytes per parameter). */
static void test_memory_per_stage(void)
{
	struct gpu_spec g;
	struct graph gr;
	setup(&g, &gr);
	/* fp32, momentum: W = G = O = 4P */
	const double fp32[GPU_SHARD_COUNT] = {
		0, 12 * P, 4 * P + 4 * P + 4 * P / 4, 4 * P + 8 * P / 4,
		12 * P / 4 + 2 * UNIT * 8};
	/* bf16 autocast, Adam: W = 4P + 2P copies, G = 4P, O = 8P */
	const double amp[GPU_SHARD_COUNT] = {
		0, 18 * P, 10 * P + 8 * P / 4, 6 * P + 12 * P / 4,
		18 * P / 4 + 2 * UNIT * 10};
	for (int s = GPU_SHARD_DDP; s < GPU_SHARD_COUNT; s++) {
		for (int k = 0; k < 2; k++) {
			struct gpu_run_opts o;
			gpu_run_opts_default(&o);
			o.n_gpus = 4;
			o.batch = 32;
			o.shard = (enum gpu_shard)s;
			o.dtype = k ? DT_BF16 : DT_FP32;
			o.optimizer = k ? OPT_ADAM : OPT_MOMENTUM;
			struct gpu_result r;
			CU_ASSERT_EQUAL_FATAL(est(&g, &gr, &o, &r), 0);
			CU_ASSERT_EQUAL(r.shard, s);
			CU_ASSERT_EQUAL(r.n_gpus, 4);
			CU_ASSERT_DOUBLE_EQUAL(r.state_bytes, k ? amp[s] : fp32[s],
					       1);
			/* the saved activations come on top, as before
			 * (bf16: the dense outputs in 2 bytes) */
			double act = k ? 2 * (2 * 4096 + 4 * 4096) + 2 * 10
				       : 65576;
			CU_ASSERT_DOUBLE_EQUAL(r.train_memory_bytes,
					       r.state_bytes + 32 * act, 1);
			gpu_result_release(&r);
		}
	}
	graph_release(&gr);
}

/* Ring all-reduce of B bytes over n NVLink GPUs (docs/gpu.md 6). */
static double ring_ar(const struct gpu_spec *g, int n, double bytes)
{
	return 2.0 * (n - 1) * g->nvlink_latency_us * 1e-6 +
	       2.0 * (n - 1) / n * bytes /
		       (g->nvlink_gbytes_s * 1e9 * g->link_efficiency);
}

/* The collectives of a step: ZeRO-1/2 reduce-scatter and all-gather the
 * all-reduce's bytes (4P, fp32 gradients and weights); ZeRO-3 gathers
 * the weights twice and scatters the gradients: 1.5x; ZeRO-2 scatters
 * every micro-batch's gradients.  Each ZeRO stage shards the optimizer
 * update: its kernels move 1/N of DDP's bytes. */
static void test_comm_volume(void)
{
	struct gpu_spec g;
	struct graph gr;
	setup(&g, &gr);
	const int n = 8;
	double ar = ring_ar(&g, n, 4 * P);
	/* hand: 14 x 2.1 us + 1.75 x 84,082,728 B / 360 GB/s = 438.1 us */
	CU_ASSERT(fabs(ar - 438.1e-6) < 0.1e-6);
	const struct {
		enum gpu_shard s;
		int micro;
		double times_ar;
	} cases[] = {
		{GPU_SHARD_ZERO1, 0, 1.0},
		{GPU_SHARD_ZERO2, 0, 1.0},
		{GPU_SHARD_ZERO3, 0, 1.5},
		{GPU_SHARD_ZERO1, 3, 1.0},	/* one scatter per step */
		{GPU_SHARD_ZERO2, 3, 2.0},	/* 3 scatters + 1 gather */
		{GPU_SHARD_ZERO3, 3, 4.5},	/* 3 x (2 gathers + scatter) */
	};
	struct gpu_run_opts o;
	gpu_run_opts_default(&o);
	o.n_gpus = n;
	o.batch = 64;
	struct gpu_result ddp;
	o.shard = GPU_SHARD_DDP;
	CU_ASSERT_EQUAL_FATAL(est(&g, &gr, &o, &ddp), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct gpu_result r;
		o.shard = cases[i].s;
		o.micro_batches = cases[i].micro;
		CU_ASSERT_EQUAL_FATAL(est(&g, &gr, &o, &r), 0);
		CU_ASSERT_DOUBLE_EQUAL(r.shard_comm_s, cases[i].times_ar * ar,
				       1e-12);
		CU_ASSERT(r.exposed_comm_s > 0);
		/* inference gathers the weights under ZeRO-3 (FSDP's eval
		 * forward); otherwise each GPU holds them, as DDP */
		if (cases[i].s == GPU_SHARD_ZERO3) {
			CU_ASSERT(r.infer.seconds > ddp.infer.seconds);
		} else {
			CU_ASSERT_DOUBLE_EQUAL(r.infer.seconds,
					       ddp.infer.seconds, 1e-15);
		}
		CU_ASSERT(r.exposed_comm_s <= r.shard_comm_s + r.contention_s);
		if (!cases[i].micro) {
			/* momentum moves 32 bytes per parameter; each GPU
			 * updates P / 8 of them */
			double saved = gpu_mem_seconds(&g, 32 * P) * 7 / 8;
			CU_ASSERT_DOUBLE_EQUAL(ddp.train.device_busy_s -
						       r.train.device_busy_s,
					       saved, 1e-9);
		}
		gpu_result_release(&r);
	}
	gpu_result_release(&ddp);
	graph_release(&gr);
}

/* AUTO: the fewest GPUs and on them the least sharding whose state fits
 * with one checkpointed sample (65,576 x 2 / sqrt(5) = 58,653 bytes). */
static void test_auto_choice(void)
{
	struct gpu_spec g;
	struct graph gr;
	setup(&g, &gr);
	const struct {
		double gb;
		int asked, gpus;
		enum gpu_shard s;
		const char *words;
	} cases[] = {
		/* DDP 12P = 252.2 MB fits 0.3 GB */
		{0.3, 4, 4, GPU_SHARD_DDP, ""},
		/* ZeRO-1: 9P = 189.2 MB */
		{0.2, 4, 4, GPU_SHARD_ZERO1, "with DDP; runs with ZeRO-1"},
		/* ZeRO-2: 6P = 126.1 MB */
		{0.15, 4, 4, GPU_SHARD_ZERO2, "with DDP; runs with ZeRO-2"},
		/* none on 4: ZeRO-2 needs 4P + 8P / N <= 1e8 - 58,653:
		 * N = ceil(168.17 M / 15.86 M) = 11 (ZeRO-1 keeps 8P, ZeRO-3
		 * two gathered fc2s, 268.5 MB: neither fits on any N) */
		{0.1, 4, 11, GPU_SHARD_ZERO2,
		 "on 4 GPUs; runs on 11 GPUs with ZeRO-2"},
		/* one GPU: 4P + 8P / 2 = 168.2 MB fits 0.2 GB on 2 */
		{0.2, 1, 2, GPU_SHARD_ZERO2,
		 "on 1 GPU; runs on 2 GPUs with ZeRO-2"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct gpu_run_opts o;
		gpu_run_opts_default(&o);
		o.n_gpus = cases[i].asked;
		o.global_batch = 44;
		g.mem_gbytes = cases[i].gb;
		struct gpu_result r;
		CU_ASSERT_EQUAL_FATAL(est(&g, &gr, &o, &r), 0);
		CU_ASSERT(r.runs);
		CU_ASSERT_EQUAL(r.n_gpus, cases[i].gpus);
		CU_ASSERT_EQUAL(r.asked_gpus, cases[i].asked);
		CU_ASSERT_EQUAL(r.shard, cases[i].s);
		/* the cluster keeps the global batch */
		CU_ASSERT_EQUAL(r.batch, (44 + r.n_gpus - 1) / r.n_gpus);
		CU_ASSERT(r.train_memory_bytes <= cases[i].gb * 1e9);
		CU_ASSERT(r.train.seconds > 0);
		char w[512];
		gpu_plan_words(&r, w, sizeof(w));
		if (!cases[i].words[0]) {
			CU_ASSERT_STRING_EQUAL(w, "");
		} else {
			CU_ASSERT_PTR_NOT_NULL(strstr(w, cases[i].words));
		}
		gpu_result_release(&r);
	}
	graph_release(&gr);
}

/* Nothing fits on any number of GPUs (0.05 GB: ZeRO-2's weights 4P = 84
 * MB, ZeRO-3's two gathered fc2s 268.5 MB): not an error, no time, the
 * reason said. */
static void test_cannot_run(void)
{
	struct gpu_spec g;
	struct graph gr;
	setup(&g, &gr);
	g.mem_gbytes = 0.05;
	struct gpu_run_opts o;
	gpu_run_opts_default(&o);
	o.batch = 8;
	struct gpu_result r;
	CU_ASSERT_EQUAL_FATAL(est(&g, &gr, &o, &r), 0);
	CU_ASSERT_EQUAL(r.runs, 0);
	CU_ASSERT_EQUAL(r.train.seconds, 0);
	CU_ASSERT_EQUAL(r.infer.seconds, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.why, "cannot train on any number"));
	char w[512];
	gpu_plan_words(&r, w, sizeof(w));
	CU_ASSERT_STRING_EQUAL(w, r.why);
	gpu_result_release(&r);
	graph_release(&gr);
}

/* An H100 with 1 GB: GPT-J's weights (36.3 GB, what ZeRO-2 keeps) and
 * two gathered LM heads (4.13 GB, ZeRO-3) fit on no number of them.
 * `gpu` fails with the reason; `run` prints the wafer's report and GPU
 * columns that say why there is no time (JSON: null). */
static void test_run_cannot(void)
{
	struct gpu_spec g;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(gpu_load("h100", &g, &d), 0);
	diag_release(&d);
	g.mem_gbytes = 1;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	gpu_dump(&g, f);
	fclose(f);
	char *path = tu_temp_file(".yaml", text);
	char *out, *err;
	char *args = xasprintf("gpu gptj_6b --batch 2 --gpu %s", path);
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot train on any number"));
	CU_ASSERT_PTR_NULL(strstr(out, "training step"));
	free(args);
	free(out);
	free(err);
	args = xasprintf("run gptj_6b --batch 120 --gpu %s", path);
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "Training (simulated"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "cannot run          'gptj_6b'"));
	CU_ASSERT_PTR_NULL(strstr(out, "training step"));
	free(args);
	free(out);
	free(err);
	args = xasprintf("run gptj_6b --batch 120 --gpu %s --json", path);
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
	json_error_t je;
	json_t *j = json_loads(out, 0, &je);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	json_t *gj = json_object_get(j, "gpu");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(gj, "fit")),
			       "cannot run");
	CU_ASSERT(json_is_null(json_object_get(gj, "eager")));
	CU_ASSERT_PTR_NOT_NULL(json_object_get(j, "train"));
	json_decref(j);
	free(args);
	free(out);
	free(err);
	remove(path);
	free(path);
	free(text);
}

/* GPT-J 6B (6.05 B parameters, bf16, momentum: 14 bytes each, 84.7 GB)
 * on an H100 with 40 GB: ZeRO-2 keeps the 36.3 GB of weights whole, so
 * ZeRO-3 over N: 84.7 GB / N + two gathered LM heads (4096 x 50400 +
 * 50400 parameters, 10 bytes each with their gradients: 4.13 GB) + one
 * checkpointed sample (1.45 GB) <= 40 GB: N = 3. */
static void test_gptj_zero3(void)
{
	struct gpu_spec g;
	struct graph gr;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(gpu_load("h100", &g, &d), 0);
	CU_ASSERT_EQUAL_FATAL(gpu_load_network("gptj_6b", &gr, &d), 0);
	diag_release(&d);
	g.mem_gbytes = 40;
	struct gpu_run_opts o;
	gpu_run_opts_default(&o);
	o.dtype = DT_BF16;
	o.batch = 2;
	struct gpu_result r;
	CU_ASSERT_EQUAL_FATAL(est(&g, &gr, &o, &r), 0);
	CU_ASSERT_EQUAL(r.n_gpus, 3);
	CU_ASSERT_EQUAL(r.shard, GPU_SHARD_ZERO3);
	CU_ASSERT(r.train_memory_bytes <= 40e9);
	double P6 = (double)r.params;
	CU_ASSERT(fabs(P6 / 6.05e9 - 1) < 0.01);
	CU_ASSERT_DOUBLE_EQUAL(r.state_bytes,
			       14 * P6 / 3 + 2 * 10 * (4097.0 * 50400), 1e3);
	gpu_result_release(&r);
	graph_release(&gr);
}

/* run keeps the wafer's report and compares with the GPUs that can run
 * it: gptj_6b's state (84.7 GB) needs 2 H100s with ZeRO-1; a GPU on
 * which nothing fits gives no GPU time, and the wafer's report stays. */
static void test_run_gptj(void)
{
	static const struct {
		const char *args;
		const char *want[3];
	} cases[] = {
		{"", {"Training (simulated", "GPU baseline: h100 x 2",
		      "on 1 GPU; runs on 2 GPUs with ZeRO-1"}},
		{"--gpus 8", {"Training (simulated", "GPU baseline: h100 x 8",
			      "with DDP; runs with ZeRO-1"}},
		{"--json", {"\"sharding\": \"ZeRO-1\"", "\"gpus\": 2",
			    "\"asked_gpus\": 1"}},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *out, *err;
		char *args = xasprintf("run gptj_6b --batch 120 --gpu h100 %s",
				       cases[i].args);
		CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
		for (int k = 0; k < 3; k++)
			CU_ASSERT_PTR_NOT_NULL(strstr(out, cases[i].want[k]));
		free(args);
		free(out);
		free(err);
	}
}

int suite_gpu_shard(void);
int suite_gpu_shard(void)
{
	static const struct tu_test tests[] = {
		{"memory per GPU of each stage", test_memory_per_stage},
		{"collectives: ZeRO-1/2 1x, ZeRO-3 1.5x the all-reduce",
		 test_comm_volume},
		{"the fewest GPUs, the least sharding", test_auto_choice},
		{"nothing fits: no time, the reason", test_cannot_run},
		{"gptj_6b on 40 GB: 3 GPUs with ZeRO-3", test_gptj_zero3},
		{"nothing fits: gpu fails, run keeps the wafer", test_run_cannot},
		{"run gptj_6b: the wafer's report and the sharded GPUs",
		 test_run_gptj},
		{0},
	};
	return tu_add_suite("gpu_shard", tests);
}
