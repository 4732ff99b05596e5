/* test_gpu.c: GPU files, the kernel cost model, the whole-network estimate,
 * the validation bounds against the measured H100, and the commands. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler/cost.h"
#include "compiler/net_yaml.h"
#include "gpu/gpu.h"
#include "gpu/gpu_int.h"
#include "gpu/gpu_validate.h"
#include "ground/json_io.h"
#include "ground/util.h"
#include "test_util.h"

static void load_ok(const char *name, struct gpu_spec *g)
{
	struct diag d;
	diag_init(&d);
	int rc = gpu_load(name, g, &d);
	if (rc)
		diag_print(&d, stderr);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	diag_release(&d);
}

static char *dump_str(const struct gpu_spec *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	gpu_dump(g, f);
	fclose(f);
	return buf;
}

static void test_presets_roundtrip(void)
{
	static const char *const names[] = {"v100", "a100", "h100", "h200"};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct gpu_spec g, g2;
		load_ok(names[i], &g);
		CU_ASSERT_STRING_EQUAL(g.name, names[i]);
		CU_ASSERT(g.peak_tflops[GPU_MATH_BF16] >=
			  g.peak_tflops[GPU_MATH_FP32]);
		CU_ASSERT(g.idle_w < g.max_w);
		char *a = dump_str(&g);
		struct diag d;
		diag_init(&d);
		CU_ASSERT_EQUAL(gpu_load_string("dump.yaml", a, &g2, &d), 0);
		diag_release(&d);
		char *b = dump_str(&g2);
		CU_ASSERT_STRING_EQUAL(a, b); /* same bytes */
		CU_ASSERT_EQUAL(g.kernel_us, g2.kernel_us);
		CU_ASSERT_EQUAL(g.calib.tile_n, g2.calib.tile_n);
		free(a);
		free(b);
	}
	/* datasheet ordering: newer parts are faster */
	struct gpu_spec v, h, h2;
	load_ok("v100", &v);
	load_ok("h100", &h);
	load_ok("h200", &h2);
	CU_ASSERT(h.peak_tflops[GPU_MATH_BF16] > v.peak_tflops[GPU_MATH_BF16]);
	CU_ASSERT(h2.mem_bandwidth_gbytes_s > h.mem_bandwidth_gbytes_s);
}

static const char good_min[] =
	"name: tiny\nsms: 10\npeak_tflops: {fp32: 1, tf32: 2, bf16: 4, fp16: 4}\n"
	"memory: {gbytes: 8, bandwidth_gbytes_s: 100}\n"
	"power: {idle_w: 10, max_w: 100}\n";

static void test_bad_files(void)
{
	static const struct {
		const char *text, *needle;
	} cases[] = {
		/* missing required key */
		{"name: x\nsms: 10\n", "peak_tflops"},
		/* unknown key */
		{"name: tiny\nsms: 10\npeak_tflops: {fp32: 1, tf32: 2, bf16: 4, "
		 "fp16: 4}\nmemory: {gbytes: 8, bandwidth_gbytes_s: 100}\n"
		 "power: {idle_w: 10, max_w: 100}\nflops: 3\n", "flops"},
		/* out of range */
		{"name: tiny\nsms: 0\npeak_tflops: {fp32: 1, tf32: 2, bf16: 4, "
		 "fp16: 4}\nmemory: {gbytes: 8, bandwidth_gbytes_s: 100}\n"
		 "power: {idle_w: 10, max_w: 100}\n", "'sms'"},
		/* wrong type */
		{"name: tiny\nsms: many\npeak_tflops: {fp32: 1, tf32: 2, bf16: 4, "
		 "fp16: 4}\nmemory: {gbytes: 8, bandwidth_gbytes_s: 100}\n"
		 "power: {idle_w: 10, max_w: 100}\n", "'sms'"},
		/* whole-GPU check: idle above max, located at idle_w */
		{"name: tiny\nsms: 10\npeak_tflops: {fp32: 1, tf32: 2, bf16: 4, "
		 "fp16: 4}\nmemory: {gbytes: 8, bandwidth_gbytes_s: 100}\n"
		 "power: {idle_w: 200, max_w: 100}\n",
		 "'power.idle_w' must be below power.max_w = 100, got 200 "
		 "(bad.yaml:5:"},
		/* calibration out of range */
		{"name: tiny\nsms: 10\npeak_tflops: {fp32: 1, tf32: 2, bf16: 4, "
		 "fp16: 4}\nmemory: {gbytes: 8, bandwidth_gbytes_s: 100}\n"
		 "power: {idle_w: 10, max_w: 100}\ncalibration: "
		 "{mem_fraction: 1.5}\n", "mem_fraction"},
		/* not YAML */
		{"name: [x\n", "bad.yaml"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct gpu_spec g;
		struct diag d;
		diag_init(&d);
		CU_ASSERT_EQUAL(gpu_load_string("bad.yaml", cases[i].text, &g, &d),
				WS_EINPUT);
		if (!diag_contains(&d, cases[i].needle)) {
			fprintf(stderr, "\ncase %zu:\n", i);
			diag_print(&d, stderr);
		}
		CU_ASSERT(diag_contains(&d, cases[i].needle));
		diag_release(&d);
	}
	/* the minimal file loads, defaults filled in */
	struct gpu_spec g;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(gpu_load_string("ok.yaml", good_min, &g, &d), 0);
	CU_ASSERT(g.kernel_us > 0 && g.gpus_per_node == 8);
	/* a missing preset is an I/O error naming it */
	CU_ASSERT_EQUAL(gpu_load("no_such_gpu", &g, &d), WS_EIO);
	CU_ASSERT(diag_contains(&d, "no_such_gpu"));
	diag_release(&d);
}

static void test_gemm_rate(void)
{
	struct gpu_spec g;
	load_ok("h100", &g);
	double big = gpu_gemm_rate(&g, GPU_MATH_BF16, 8192, 8192, 8192, 1);
	double peak = g.peak_tflops[GPU_MATH_BF16] * 1e12;
	/* a large GEMM reaches about the calibrated fraction of peak */
	CU_ASSERT(big > 0.6 * g.calib.gemm_fraction_tensor * peak);
	CU_ASSERT(big <= g.calib.gemm_fraction_tensor * peak);
	/* thin and shallow GEMMs run far below it (memory included) */
	CU_ASSERT(2.0 * 32 * 1000 * 1000 /
			  gpu_gemm_seconds(&g, GPU_MATH_BF16, 32, 1000, 1000, 1,
					   2) <
		  0.2 * big);
	CU_ASSERT(gpu_gemm_rate(&g, GPU_MATH_BF16, 8192, 8192, 16, 1) <
		  0.5 * big);
	/* more work per call never lowers the rate for square shapes */
	double prev = 0;
	for (int64_t n = 256; n <= 8192; n *= 2) {
		double r = gpu_gemm_rate(&g, GPU_MATH_FP32, n, n, n, 1);
		CU_ASSERT(r >= prev * 0.95);
		prev = r;
	}
	/* measured micro-benchmarks, large sizes: within 25% */
	struct gpu_jsonl jl;
	struct diag d;
	diag_init(&d);
	char *path = tu_path("models/measured/h100/micro.jsonl");
	CU_ASSERT_EQUAL_FATAL(gpu_jsonl_read(path, &jl, &d), 0);
	int checked = 0;
	for (size_t i = 0; i < jl.n; i++) {
		const char *kind = ws_json_str_at(jl.rows[i], "kind");
		const char *dt = ws_json_str_at(jl.rows[i], "dtype");
		double m, n, k, ms;
		if (!kind || strcmp(kind, "gemm") ||
		    !ws_json_num_at(jl.rows[i], "m", &m) ||
		    !ws_json_num_at(jl.rows[i], "n", &n) ||
		    !ws_json_num_at(jl.rows[i], "k", &k) ||
		    !ws_json_num_at(jl.rows[i], "median_ms", &ms) || ms < 0.3)
			continue;
		enum gpu_math mm = !strcmp(dt, "fp32")	 ? GPU_MATH_FP32
				   : !strcmp(dt, "tf32") ? GPU_MATH_TF32
				   : !strcmp(dt, "bf16") ? GPU_MATH_BF16
							 : GPU_MATH_FP16;
		int eb = mm == GPU_MATH_FP32 || mm == GPU_MATH_TF32 ? 4 : 2;
		double t = gpu_gemm_seconds(&g, mm, (int64_t)m, (int64_t)n,
					    (int64_t)k, 1, eb);
		if ((int64_t)k % (16 / eb) && mm != GPU_MATH_FP32)
			continue; /* unaligned: checked through the networks */
		CU_ASSERT(fabs(t / (ms * 1e-3) - 1) < 0.25);
		checked++;
	}
	CU_ASSERT(checked >= 8);
	gpu_jsonl_release(&jl);
	free(path);
	diag_release(&d);
	/* memory time is linear in bytes */
	CU_ASSERT_DOUBLE_EQUAL(gpu_mem_seconds(&g, 2e9),
			       2 * gpu_mem_seconds(&g, 1e9), 1e-12);
}

/* A 3-layer MLP: 1024 -> 4096 -> 4096 -> 10. */
static const char mlp_yaml[] =
	"name: mlp\nbatch: 32\ninputs:\n  x: [1024]\nlayers:\n"
	"  - {name: fc1, op: dense, units: 4096, in: x}\n"
	"  - {name: r1, op: relu}\n"
	"  - {name: fc2, op: dense, units: 4096}\n"
	"  - {name: r2, op: relu}\n"
	"  - {name: out, op: dense, units: 10}\n"
	"  - {name: loss, op: cross_entropy}\n";

static void load_mlp(struct graph *gr)
{
	struct diag d;
	diag_init(&d);
	int rc = net_yaml_load_string("mlp.yaml", mlp_yaml, strlen(mlp_yaml),
				      gr, &d);
	if (rc)
		diag_print(&d, stderr);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	diag_release(&d);
}

static void estimate(const struct gpu_spec *g, const struct graph *gr,
		     int64_t batch, enum dtype dt, enum gpu_style st,
		     enum optimizer opt, int n_gpus, struct gpu_result *r)
{
	struct gpu_run_opts o;
	gpu_run_opts_default(&o);
	o.batch = batch;
	o.dtype = dt;
	o.style = st;
	o.optimizer = opt;
	o.n_gpus = n_gpus;
	struct diag d;
	diag_init(&d);
	int rc = gpu_estimate(g, gr, &o, r, &d);
	if (rc)
		diag_print(&d, stderr);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	diag_release(&d);
}

static int layer_id(const struct graph *gr, const char *name)
{
	for (int l = 0; l < gr->n_layers; l++)
		if (!strcmp(gr->layers[l].name, name))
			return l;
	return -1;
}

static void test_estimate_mlp(void)
{
	struct gpu_spec g;
	struct graph gr;
	load_ok("h100", &g);
	load_mlp(&gr);
	struct gpu_result small, large, graph_s, bf, sgd, adam;
	estimate(&g, &gr, 32, DT_FP32, GPU_EAGER, OPT_MOMENTUM, 1, &small);
	estimate(&g, &gr, 65536, DT_FP32, GPU_EAGER, OPT_MOMENTUM, 1, &large);
	estimate(&g, &gr, 32, DT_FP32, GPU_GRAPH, OPT_MOMENTUM, 1, &graph_s);
	estimate(&g, &gr, 32, DT_BF16, GPU_EAGER, OPT_MOMENTUM, 1, &bf);
	estimate(&g, &gr, 32, DT_FP32, GPU_EAGER, OPT_SGD, 1, &sgd);
	estimate(&g, &gr, 32, DT_FP32, GPU_EAGER, OPT_ADAM, 1, &adam);
	/* small batch in eager mode: overhead-bound; large: compute-bound */
	CU_ASSERT_EQUAL(small.train.bound, GPU_BOUND_OVERHEAD);
	CU_ASSERT_EQUAL(small.infer.bound, GPU_BOUND_OVERHEAD);
	CU_ASSERT_EQUAL(large.train.bound, GPU_BOUND_COMPUTE);
	int fc2 = layer_id(&gr, "fc2");
	CU_ASSERT_EQUAL(small.layers[fc2].bound, GPU_BOUND_OVERHEAD);
	CU_ASSERT_EQUAL(large.layers[fc2].bound, GPU_BOUND_COMPUTE);
	/* per-layer times add up to the step (optimizer aside) */
	double sum = 0;
	for (int l = 0; l < large.n_layers; l++)
		for (int p = 0; p < PASS_COUNT; p++)
			sum += large.layers[l].train_s[p];
	CU_ASSERT(sum <= large.train.seconds * 1.0001);
	CU_ASSERT(sum > 0.8 * large.train.seconds);
	/* large batch: close to FLOPs at the achieved GEMM rate */
	double fl = large.train.flops;
	CU_ASSERT(large.train.seconds > fl / (g.peak_tflops[0] * 1e12));
	/* a captured graph removes the host overhead */
	CU_ASSERT(graph_s.train.seconds < 0.6 * small.train.seconds);
	CU_ASSERT_EQUAL(graph_s.train.host_s, 0);
	/* autocast adds cast kernels: more kernels, slower when overhead-bound */
	CU_ASSERT(bf.train.kernels > small.train.kernels);
	CU_ASSERT(bf.train.seconds > small.train.seconds);
	/* the first layer computes no input gradient: fc1 has one GEMM fewer
	 * in backward than fc2 */
	int fc1 = layer_id(&gr, "fc1");
	CU_ASSERT_EQUAL(small.layers[fc1].kernels_train + 1,
			small.layers[fc2].kernels_train);
	CU_ASSERT_EQUAL(small.layers[fc1].train_s[PASS_BWD_DATA], 0);
	CU_ASSERT(small.layers[fc2].train_s[PASS_BWD_DATA] > 0);
	/* optimizers: Adam does more work than momentum, momentum than SGD */
	CU_ASSERT(adam.train.kernels > small.train.kernels);
	CU_ASSERT(small.train.kernels > sgd.train.kernels);
	CU_ASSERT(adam.train.seconds > sgd.train.seconds);
	/* energy: idle power is a floor, the limit a ceiling */
	struct gpu_result *rs[] = {&small, &large, &graph_s, &bf};
	for (size_t i = 0; i < ARRAY_SIZE(rs); i++) {
		CU_ASSERT(rs[i]->train.avg_power_w > g.idle_w);
		CU_ASSERT(rs[i]->train.avg_power_w <= g.max_w);
		CU_ASSERT(rs[i]->infer.energy_j > 0);
	}
	CU_ASSERT(large.train.avg_power_w > small.train.avg_power_w);
	/* memory: weights, grads, momentum and activations; a huge batch
	 * does not fit in 80 GB */
	CU_ASSERT(small.fits);
	CU_ASSERT(small.train_memory_bytes > 3 * 4.0 * small.params);
	CU_ASSERT(large.train_memory_bytes > small.train_memory_bytes);
	struct gpu_result huge;
	estimate(&g, &gr, 10000000, DT_FP32, GPU_EAGER, OPT_MOMENTUM, 1, &huge);
	CU_ASSERT_FALSE(huge.fits);
	gpu_result_release(&huge);
	CU_ASSERT_EQUAL(small.params, 1024 * 4096 + 4096 + 4096 * 4096 +
					      4096 + 4096 * 10 + 10);
	struct gpu_result *all[] = {&small, &large, &graph_s, &bf, &sgd, &adam};
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		gpu_result_release(all[i]);
	graph_release(&gr);
}

static void test_data_parallel(void)
{
	struct gpu_spec g;
	struct graph gr;
	load_ok("h100", &g);
	load_mlp(&gr);
	struct gpu_result one, eight, sixteen, slow;
	estimate(&g, &gr, 4096, DT_BF16, GPU_EAGER, OPT_MOMENTUM, 1, &one);
	estimate(&g, &gr, 4096, DT_BF16, GPU_EAGER, OPT_MOMENTUM, 8, &eight);
	estimate(&g, &gr, 4096, DT_BF16, GPU_EAGER, OPT_MOMENTUM, 16, &sixteen);
	CU_ASSERT_EQUAL(one.scaling_efficiency, 1);
	CU_ASSERT(eight.allreduce_s > 0);
	CU_ASSERT(eight.scaling_efficiency > 0 && eight.scaling_efficiency <= 1);
	/* crossing nodes (InfiniBand) costs more than NVLink */
	CU_ASSERT(sixteen.allreduce_s > eight.allreduce_s);
	CU_ASSERT(sixteen.scaling_efficiency <= eight.scaling_efficiency);
	CU_ASSERT(eight.train.seconds >= one.train.seconds);
	CU_ASSERT(eight.samples_per_s > 4 * one.samples_per_s);
	/* a slow network hurts scaling */
	struct gpu_spec s = g;
	s.nvlink_gbytes_s = 1;
	estimate(&s, &gr, 4096, DT_BF16, GPU_EAGER, OPT_MOMENTUM, 8, &slow);
	CU_ASSERT(slow.scaling_efficiency < eight.scaling_efficiency);
	CU_ASSERT(slow.exposed_comm_s > eight.exposed_comm_s);
	struct gpu_result *all[] = {&one, &eight, &sixteen, &slow};
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		gpu_result_release(all[i]);
	graph_release(&gr);
}

/*
 * ResNet-50 data parallel on 8 H100s (one NVSwitch node), bf16, batch 256
 * per GPU, against the public scaling efficiencies of ResNet-50 at about
 * that per-GPU batch on 8-GPU NVLink systems (1 GPU -> 8 GPUs, same batch
 * per GPU):
 *   NVIDIA DeepLearningExamples, ResNet-50 v1.5 PyTorch README, DGX A100:
 *     7.72x TF32 (96.5%), 6.72x mixed precision (84.0%);
 *   NVIDIA DeepLearningExamples, RN50 v1.5 MXNet README, DGX A100, batch
 *     256: weak scaling 7.76x mixed (97.0%), 7.82x TF32 (97.75%);
 *   W. Paik's PyTorch DDP scaling benchmark (synthetic data, fp16):
 *     ResNet-152 on 8 A100 97.4%.
 * Range: 84.0% .. 97.75%.  No public 1-vs-8 H100 figure was found.  The
 * model has no input pipeline and no GPU-to-GPU speed spread (a step
 * waits for the slowest GPU), so it sits at or above the top of that
 * range: ~1.95 ms of exposed DDP time (bucket copies, buffer broadcast,
 * tail, contention) on the 105.7 ms bf16 step gives ~98.2%.  The test
 * fails below the range, or above its top by more than the public
 * figures disagree for one system and network: NVIDIA's DGX A100 TF32
 * ResNet-50 figures, PyTorch 96.5% and MXNet 97.75%, differ by 1.25
 * points, so up to 99.0%.
 */
static void test_resnet50_scaling(void)
{
	struct gpu_spec g;
	struct graph gr;
	struct diag d;
	load_ok("h100", &g);
	diag_init(&d);
	int rc = graph_load("resnet50", OPT_MOMENTUM, &gr, &d);
	if (rc)
		diag_print(&d, stderr);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	diag_release(&d);
	struct gpu_result one, eight, sixteen, eight32;
	estimate(&g, &gr, 256, DT_BF16, GPU_EAGER, OPT_MOMENTUM, 1, &one);
	estimate(&g, &gr, 256, DT_BF16, GPU_EAGER, OPT_MOMENTUM, 8, &eight);
	estimate(&g, &gr, 256, DT_BF16, GPU_EAGER, OPT_MOMENTUM, 16, &sixteen);
	estimate(&g, &gr, 256, DT_FP32, GPU_EAGER, OPT_MOMENTUM, 8, &eight32);
	double e8 = eight.scaling_efficiency;
	if (e8 < 0.84 || e8 > 0.99)
		fprintf(stderr, "resnet50 8 x h100 bf16: %.2f%% outside the "
				"public 84.0-97.75%% (+1.25)\n", 100 * e8);
	CU_ASSERT(e8 >= 0.84 && e8 <= 0.99);
	/* the parts add up, and each is what DDP on NVLink should give:
	 * 25.6 M fp32 gradients = 102 MB in a 1 MiB first bucket and 25 MiB
	 * ones; at ~350 GB/s bus bandwidth the all-reduces take well under
	 * a millisecond and hide behind backward but for a short tail */
	CU_ASSERT(eight.buckets >= 4 && eight.buckets <= 7);
	CU_ASSERT(eight.allreduce_s > 0.3e-3 && eight.allreduce_s < 1.5e-3);
	CU_ASSERT(eight.comm_tail_s < eight.allreduce_s);
	CU_ASSERT(eight.ddp_copy_s > 0 && eight.contention_s > 0);
	CU_ASSERT(fabs(eight.exposed_comm_s -
		       (eight.comm_tail_s + eight.ddp_copy_s +
			eight.contention_s + eight.ddp_buffer_s)) < 1e-12);
	/* DDP's buffer broadcast before each forward: 53 batch norms with
	 * 26560 channels in all: 212480 bytes of running statistics and
	 * 53 x 8 of num_batches_tracked; 159 copies back + 2 flattens x
	 * 3.2 us = 515.2 us, 4 x 212904 bytes through memory (0.28 us),
	 * and two ring broadcasts (half a ring all-reduce each: 7 x 2.1 us
	 * + 0.875 x bytes / 360 GB/s): 15.22 + 14.70 us.  545.4 us. */
	double bw = 3350e9 * 0.9, bus = 450e9 * 0.8;
	double want_buf = 161 * 3.2e-6 + 4 * (212480.0 + 424) / bw +
			  (14 * 2.1e-6 + 1.75 * 212480 / bus) / 2 +
			  (14 * 2.1e-6 + 1.75 * 424 / bus) / 2;
	CU_ASSERT_DOUBLE_EQUAL(eight.ddp_buffer_s, want_buf, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(one.ddp_buffer_s, 0, 1e-15);
	CU_ASSERT(fabs(eight.train.seconds - one.train.seconds -
		       eight.exposed_comm_s) < 1e-9);
	/* two nodes: the same rings leave each node through its 8 NICs (8 x
	 * 47 GB/s, about NVLink's bus bandwidth), so 16 GPUs cost a little
	 * more latency, not a collapse */
	CU_ASSERT(sixteen.scaling_efficiency <= e8);
	CU_ASSERT(sixteen.scaling_efficiency > e8 - 0.02);
	/* fp32 (TF32) steps are longer and hide the same DDP cost better */
	CU_ASSERT(eight32.scaling_efficiency > e8);
	struct gpu_result *all[] = {&one, &eight, &sixteen, &eight32};
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		gpu_result_release(all[i]);
	graph_release(&gr);
}

/* The acceptance bounds on the project's H100 measurements. */
static void test_validation_bounds(void)
{
	struct gpu_spec g;
	load_ok("h100", &g);
	struct gpu_val v;
	struct diag d;
	diag_init(&d);
	char *train = tu_path("models/measured/h100/train.jsonl");
	char *graphs = tu_path("models/measured/h100/graphs.jsonl");
	CU_ASSERT_EQUAL_FATAL(gpu_validate_file(&g, train, &v, &d), 0);
	CU_ASSERT_EQUAL(v.n_skipped, 0);
	CU_ASSERT(v.n_predicted >= 18);
	/* issue 13's bounds: medians 6% train, 12% inference, 10% energy;
	 * no row off by more than 1.5x */
	CU_ASSERT(v.median_abs[GPU_VAL_TRAIN] <= 0.06);
	CU_ASSERT(v.median_abs[GPU_VAL_INFER] <= 0.12);
	CU_ASSERT(v.median_abs[GPU_VAL_ENERGY] <= 0.10);
	CU_ASSERT(v.worst_ratio <= 1.5);
	if (v.median_abs[GPU_VAL_INFER] > 0.12 || v.worst_ratio > 1.5 ||
	    v.median_abs[GPU_VAL_TRAIN] > 0.06 ||
	    v.median_abs[GPU_VAL_ENERGY] > 0.10)
		gpu_val_print(&v, stderr, 1);
	gpu_val_release(&v);
	CU_ASSERT_EQUAL_FATAL(gpu_validate_file(&g, graphs, &v, &d), 0);
	CU_ASSERT(v.n_predicted >= 10);
	CU_ASSERT(v.median_abs[GPU_VAL_TRAIN] <= 0.06);
	CU_ASSERT(v.median_abs[GPU_VAL_ENERGY] <= 0.10);
	CU_ASSERT(v.worst_ratio <= 1.5);
	gpu_val_release(&v);
	free(train);
	free(graphs);
	diag_release(&d);
}

/* JSON lines: blank lines skipped, rows keep their line numbers; every
 * bad line is reported with its own file:line:col. */
static void test_jsonl(void)
{
	struct diag d;
	struct gpu_jsonl jl;
	diag_init(&d);
	const char *ok = "{\"m\": \"uno\", \"t\": {\"ms\": 4.5}}\n\n"
			 "  \n{\"m\": \"p1b1\"}\r\n";
	CU_ASSERT_EQUAL(gpu_jsonl_parse("x.jsonl", ok, strlen(ok), &jl, &d), 0);
	CU_ASSERT_EQUAL(jl.n, 2);
	CU_ASSERT_EQUAL(jl.line_of[0], 1);
	CU_ASSERT_EQUAL(jl.line_of[1], 4);
	CU_ASSERT_STRING_EQUAL(ws_json_str_at(jl.rows[1], "m"), "p1b1");
	gpu_jsonl_release(&jl);
	/* a byte order mark before the first row is skipped (it was a
	 * JSON syntax error) */
	char bom[128];
	snprintf(bom, sizeof(bom), "\xef\xbb\xbf%s", ok);
	CU_ASSERT_EQUAL(gpu_jsonl_parse("x.jsonl", bom, strlen(bom), &jl, &d),
			0);
	CU_ASSERT_EQUAL(jl.n, 2);
	double ms = 0;
	CU_ASSERT(ws_json_num_at(jl.rows[0], "t.ms", &ms));
	CU_ASSERT_DOUBLE_EQUAL(ms, 4.5, 0);
	gpu_jsonl_release(&jl);

	const char *bad = "{\"a\": 1}\n{\"a\": }\n{}\n[1,\n";
	CU_ASSERT_EQUAL(gpu_jsonl_parse("x.jsonl", bad, strlen(bad), &jl, &d),
			WS_EINPUT);
	CU_ASSERT_EQUAL(diag_count(&d), 2);
	CU_ASSERT(diag_contains(&d, "(x.jsonl:2:"));
	CU_ASSERT(diag_contains(&d, "(x.jsonl:4:"));
	CU_ASSERT_EQUAL(jl.n, 0);
	gpu_jsonl_release(&jl);
	diag_release(&d);

	diag_init(&d);
	CU_ASSERT_EQUAL(gpu_jsonl_read("/nonexistent/x.jsonl", &jl, &d),
			WS_EIO);
	CU_ASSERT(diag_count(&d) > 0);
	diag_release(&d);
}

static void test_validate_rows(void)
{
	struct gpu_spec g;
	load_ok("h100", &g);
	char *f = tu_temp_file(".jsonl",
		"{\"model\": \"uno\", \"batch\": 32, \"precision\": \"fp32\", "
		"\"train\": {\"median_ms\": 4.0, \"energy_j_per_iter\": 0.7}, "
		"\"infer\": {\"median_ms\": 1.0}}\n"
		"{\"model\": \"no_such_net\", \"batch\": 8, \"precision\": "
		"\"fp32\", \"train\": {\"median_ms\": 1.0}}\n"
		"{\"model\": \"uno\", \"batch\": 32, \"precision\": \"int4\", "
		"\"train\": {\"median_ms\": 1.0}}\n"
		"{\"model\": \"uno\", \"batch\": 8, \"precision\": \"fp32\", "
		"\"error\": \"OOM\"}\n");
	struct gpu_val v;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(gpu_validate_file(&g, f, &v, &d), 0);
	CU_ASSERT_EQUAL(v.n, 4);
	CU_ASSERT_EQUAL(v.n_predicted, 1);
	CU_ASSERT_EQUAL(v.n_skipped, 3);
	CU_ASSERT_PTR_NULL(v.rows[0].skipped);
	CU_ASSERT(strstr(v.rows[1].skipped, "no_such_net") != NULL);
	CU_ASSERT(strstr(v.rows[2].skipped, "int4") != NULL);
	CU_ASSERT(strstr(v.rows[3].skipped, "OOM") != NULL);
	CU_ASSERT(isnan(v.rows[0].err[GPU_VAL_ENERGY]) == 0);
	gpu_val_release(&v);
	remove(f);
	free(f);
	/* a file that is not JSON lines fails with its location */
	f = tu_temp_file(".jsonl", "{\"model\": \"uno\"\n");
	CU_ASSERT_EQUAL(gpu_validate_file(&g, f, &v, &d), WS_EINPUT);
	CU_ASSERT(diag_contains(&d, ":1:"));
	remove(f);
	free(f);
	diag_release(&d);
}

static void test_cli(void)
{
	char *out, *err;
	CU_ASSERT_EQUAL(tu_run("gpu uno --gpu h100 --batch 32", &out, &err), 0);
	CU_ASSERT(strstr(out, "training step:") != NULL);
	CU_ASSERT(strstr(out, "overhead") != NULL);
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("gpu uno --batch 2048 --dtype bf16 --gpus 8 "
			       "--style graph --optimizer adam --json",
			       &out, &err), 0);
	struct diag d;
	diag_init(&d);
	json_t *v = ws_json_parse(out, strlen(out), "out", 1, &d);
	CU_ASSERT_FATAL(v != NULL);
	double eff = 0, n = 0;
	CU_ASSERT(ws_json_num_at(v, "data_parallel.scaling_efficiency", &eff));
	CU_ASSERT(eff > 0 && eff <= 1);
	CU_ASSERT(ws_json_num_at(v, "gpus", &n) && n == 8);
	CU_ASSERT_STRING_EQUAL(ws_json_str_at(v, "style"), "graph");
	CU_ASSERT(json_array_size(json_object_get(v, "layers")) > 10);
	json_decref(v);
	diag_release(&d);
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("gpu uno --dtype int3", &out, &err), 2);
	CU_ASSERT(strstr(err, "int3") != NULL);
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("gpu no_such_net", &out, &err), 1);
	CU_ASSERT(strstr(err, "no_such_net") != NULL);
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("gpu show h100", &out, &err), 0);
	CU_ASSERT(strstr(out, "framework_op_us") != NULL);
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("gpu list", &out, &err), 0);
	CU_ASSERT(strstr(out, "h100") && strstr(out, "v100") &&
		  strstr(out, "a100") && strstr(out, "h200"));
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("validate gpu --quiet", &out, &err), 0);
	CU_ASSERT(strstr(out, "median |error|") != NULL);
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("validate nothing", &out, &err), 2);
	free(out);
	free(err);
}

/* ---- execution mechanisms, each against a hand computation ------------ */

static void load_yaml(const char *text, struct graph *gr)
{
	struct diag d;
	diag_init(&d);
	int rc = net_yaml_load_string("t.yaml", text, strlen(text), gr, &d);
	if (rc)
		diag_print(&d, stderr);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	diag_release(&d);
}

static void estimate_o(const struct gpu_spec *g, const struct graph *gr,
		       const struct gpu_run_opts *o, struct gpu_result *r)
{
	struct diag d;
	diag_init(&d);
	int rc = gpu_estimate(g, gr, o, r, &d);
	if (rc)
		diag_print(&d, stderr);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	diag_release(&d);
}

/* The H100, a network from YAML, and graph-style options at `batch`
 * (a layer's time is then the sum of its kernels' device times). */
static void cbr_setup(struct gpu_spec *g, struct graph *gr,
		      struct gpu_run_opts *o, const char *yaml, int64_t batch)
{
	load_ok("h100", g);
	load_yaml(yaml, gr);
	gpu_run_opts_default(o);
	o->batch = batch;
	o->style = GPU_GRAPH;
}

/* Latency-bound loads (Little's law), H100: 132 SMs x 2048 threads,
 * 600 ns. */
static void test_latency_bound(void)
{
	struct gpu_spec g;
	load_ok("h100", &g);
	CU_ASSERT_EQUAL(g.threads_per_sm, 2048);
	CU_ASSERT_DOUBLE_EQUAL(g.calib.mem_latency_ns, 600, 1e-9);
	/* 64 channel blocks of 512 threads: 4 fit an SM, one wave; each
	 * sweeps 401408 elements = 784 loads per thread x 600 ns */
	CU_ASSERT_DOUBLE_EQUAL(gpu_latency_seconds(&g, 0, 64, 401408, 512),
			       784 * 600e-9, 1e-12);
	/* 600 blocks: 528 resident, two waves */
	CU_ASSERT_DOUBLE_EQUAL(gpu_latency_seconds(&g, 0, 600, 401408, 512),
			       2 * 784 * 600e-9, 1e-12);
	/* 1e8 loads over 132 x 2048 threads */
	CU_ASSERT_DOUBLE_EQUAL(gpu_latency_seconds(&g, 1e8, 0, 0, 0),
			       1e8 * 600e-9 / (132.0 * 2048), 1e-12);
}

/* A conv, batch norm, ReLU block at 56 x 56 with 16 channels. */
static const char cbr_yaml[] =
	"name: cbr\nbatch: 32\ninputs:\n  x: [16, 56, 56]\nlayers:\n"
	"  - {name: c, op: conv2d, filters: 16, kernel: 3, padding: 1, "
	"bias: false, in: x}\n"
	"  - {name: bn, op: batchnorm}\n"
	"  - {name: r, op: relu}\n"
	"  - {name: dw, op: conv2d, filters: 16, kernel: 3, padding: 1, "
	"groups: 16, bias: false}\n"
	"  - {name: f, op: flatten}\n"
	"  - {name: out, op: dense, units: 10}\n"
	"  - {name: loss, op: cross_entropy}\n";

/* Mechanism 1: batch norm in training.  bf16 (autocast: the convolution
 * wrote bf16) runs PyTorch's own kernels, fp32 runs cuDNN.  Graph style,
 * so a layer's time is the sum of its kernels' device times:
 * statistics: 16 channel blocks, one wave, 32 x 3136 = 100352 elements
 * per channel = 196 loads per thread x 600 ns = 117.6 us; normalisation:
 * 1605632 elements over 132 x 2048 threads x 600 ns = 3.564 us (above
 * its 6.4 MB at 3.015 TB/s = 2.13 us); the 1/std update and
 * num_batches_tracked move a few bytes; 4 kernels x kernel_us. */
static void test_batchnorm_mechanism(void)
{
	struct gpu_spec g;
	struct graph gr;
	struct gpu_run_opts o;
	cbr_setup(&g, &gr, &o, cbr_yaml, 32);
	o.grads = GPU_GRADS_NONE; /* no grad += new in the sums */
	o.dtype = DT_BF16;
	struct gpu_result bf, fp;
	estimate_o(&g, &gr, &o, &bf);
	o.dtype = DT_FP32;
	estimate_o(&g, &gr, &o, &fp);
	int bn = layer_id(&gr, "bn");
	double bw = 3350e9 * 0.9, n = 1605632;
	double want = 4 * g.kernel_us * 1e-6 + 196 * 600e-9 +
		      n * 600e-9 / (132.0 * 2048) + (24.0 * 16 + 16) / bw;
	CU_ASSERT_DOUBLE_EQUAL(bf.layers[bn].train_s[PASS_FWD], want, 1e-9);
	CU_ASSERT_EQUAL(bf.layers[bn].kernels_train, 4 + 2);
	/* cuDNN (fp32): one memory-bound pass reading the input twice */
	double want32 = 2 * g.kernel_us * 1e-6 + (3 * n * 4 + 16) / bw;
	CU_ASSERT_DOUBLE_EQUAL(fp.layers[bn].train_s[PASS_FWD], want32, 1e-9);
	/* bound by per-channel blocks, the bf16 layer is slower than fp32 */
	CU_ASSERT(bf.layers[bn].train_s[PASS_FWD] >
		  fp.layers[bn].train_s[PASS_FWD]);
	gpu_result_release(&bf);
	gpu_result_release(&fp);
	graph_release(&gr);
}

/* Mechanism 2: depthwise convolution, bf16 and fp32 on PyTorch's kernels.
 * Weight gradient at batch 8: 16 channels x 9 taps = 144 blocks of
 * min(32 x 8, 256) = 256 threads (8 per SM: one wave), each sweeping
 * 8 x 3136 = 25088 positions = 98 loads per thread x 600 ns = 58.8 us;
 * the activations (2 x 802816 B in bf16) are read once per tap:
 * 14.45 MB at 3.015 TB/s = 4.79 us, below the latency bound. */
static void test_depthwise_mechanism(void)
{
	struct gpu_spec g;
	struct graph gr;
	struct gpu_run_opts o;
	cbr_setup(&g, &gr, &o, cbr_yaml, 8);
	o.grads = GPU_GRADS_NONE; /* no grad += new in the sums */
	o.dtype = DT_BF16;
	struct gpu_result bf, h;
	estimate_o(&g, &gr, &o, &bf);
	int dw = layer_id(&gr, "dw");
	/* + the autocast cast of the 144-weight gradient back to fp32 */
	double want = g.kernel_us * 1e-6 + 98 * 600e-9;
	double cast = g.kernel_us * 1e-6 + 6.0 * 144 / (3350e9 * 0.9);
	CU_ASSERT_DOUBLE_EQUAL(bf.layers[dw].train_s[PASS_BWD_WEIGHT],
			       want + cast,
			       1e-9);
	/* backward is far slower than forward (one thread per output) */
	CU_ASSERT(bf.layers[dw].train_s[PASS_BWD_WEIGHT] >
		  4 * bf.layers[dw].train_s[PASS_FWD]);
	/* fp16 runs cuDNN (a grouped implicit GEMM): a different cost */
	o.dtype = DT_FP16;
	estimate_o(&g, &gr, &o, &h);
	CU_ASSERT(fabs(h.layers[dw].train_s[PASS_BWD_WEIGHT] - want) > 1e-6);
	gpu_result_release(&bf);
	gpu_result_release(&h);
	graph_release(&gr);
}

/* A transposed conv runs as the data gradient of the conv it transposes:
 * its GEMMs carry the compiler's matrix FLOPs, pass by pass, and a
 * decoder (transposed conv, resize, pad, reduce) costs without error. */
static void test_conv_transpose(void)
{
	static const char yaml[] =
		"name: dec\nbatch: 8\ninputs:\n  x: [32, 16, 16]\nlayers:\n"
		"  - {name: c, op: conv2d, filters: 32, kernel: 3, padding: 1,"
		" in: x}\n"
		"  - {name: up, op: conv_transpose2d, filters: 16, kernel: 2,"
		" stride: 2, bias: false}\n"
		"  - {name: rs, op: resize, scale: 2, mode: bilinear}\n"
		"  - {name: pd, op: pad, pads: [1, 1, 1, 1]}\n"
		"  - {name: gm, op: reduce_mean, axes: [1, 2]}\n";
	struct gpu_spec g;
	struct graph gr;
	load_ok("h100", &g);
	load_yaml(yaml, &gr);
	cost_count(&gr, OPT_SGD);
	struct gpu_run_opts o;
	gpu_run_opts_default(&o);
	o.batch = 8;
	o.dtype = DT_FP32;
	struct gpu_result r;
	estimate_o(&g, &gr, &o, &r);
	int up = layer_id(&gr, "up");
	const struct layer_cost *lc = &gr.layers[up].cost;
	double mat = 0;
	for (int p = PASS_FWD; p <= PASS_BWD_WEIGHT; p++)
		mat += (double)lc->mat_flops[p];
	/* 32 x 16 x 16 inputs, each meeting 16 x 2 x 2 weights */
	CU_ASSERT(lc->mat_flops[PASS_FWD] == 2 * 32 * 256 * 16 * 4);
	CU_ASSERT_DOUBLE_EQUAL(r.layers[up].flops_train, 8 * mat,
			       8 * mat * 1e-9);
	CU_ASSERT(r.train.seconds > 0);
	gpu_result_release(&r);
	graph_release(&gr);
}

/* Mechanism 3: tile fill of small fp32 GEMMs.  m = 100 on 32-, 64- or
 * 128-row tiles fills 100 / 128 of them; n = 1000 fills 1000 / 1024. */
static void test_tile_fill(void)
{
	struct gpu_spec g;
	load_ok("h100", &g);
	CU_ASSERT_DOUBLE_EQUAL(gpu_tile_fill(&g, 100, 1000),
			       (100.0 / 128) * (1000.0 / 1024), 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(gpu_tile_fill(&g, 32, 128), 1, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(gpu_tile_fill(&g, 1, 1), 1.0 / 32 / 32, 1e-12);
	/* same tile count, so the rates differ by the fill alone */
	double r100 = gpu_gemm_rate(&g, GPU_MATH_FP32, 100, 1024, 1024, 1);
	double r128 = gpu_gemm_rate(&g, GPU_MATH_FP32, 128, 1024, 1024, 1);
	CU_ASSERT_DOUBLE_EQUAL(r100 / r128, 100.0 / 128, 1e-12);
	/* tensor cores are not charged for it */
	CU_ASSERT_DOUBLE_EQUAL(
		gpu_gemm_rate(&g, GPU_MATH_BF16, 100, 1024, 1024, 1),
		gpu_gemm_rate(&g, GPU_MATH_BF16, 128, 1024, 1024, 1), 1e-3);
}

/* Mechanism 4: gradient accumulation.  The MLP has 6 parameter tensors
 * and P = 1024 x 4096 + 4096 + 4096 x 4096 + 4096 + 4096 x 10 + 10
 * parameters.  Zeroed gradients add one memset of 4P bytes and one
 * grad += new per tensor (12 bytes per parameter), graph style. */
static void test_grad_accumulation(void)
{
	struct gpu_spec g;
	struct graph gr;
	load_ok("h100", &g);
	load_mlp(&gr);
	struct gpu_run_opts o;
	gpu_run_opts_default(&o);
	o.batch = 32;
	o.style = GPU_GRAPH;
	struct gpu_result zero, none, deflt;
	estimate_o(&g, &gr, &o, &deflt); /* AUTO: a graph zeroes */
	o.grads = GPU_GRADS_ZERO;
	estimate_o(&g, &gr, &o, &zero);
	o.grads = GPU_GRADS_NONE;
	estimate_o(&g, &gr, &o, &none);
	double P = 1024.0 * 4096 + 4096 + 4096.0 * 4096 + 4096 + 40960 + 10;
	CU_ASSERT_EQUAL(zero.train.kernels, none.train.kernels + 7);
	double want = 7 * g.kernel_us * 1e-6 + 16 * P / (3350e9 * 0.9);
	CU_ASSERT_DOUBLE_EQUAL(zero.train.seconds - none.train.seconds, want,
			       1e-9);
	CU_ASSERT_DOUBLE_EQUAL(deflt.train.seconds, zero.train.seconds, 1e-15);
	/* eager sets gradients to None by default */
	o.style = GPU_EAGER;
	o.grads = GPU_GRADS_AUTO;
	struct gpu_result eager;
	estimate_o(&g, &gr, &o, &eager);
	CU_ASSERT_EQUAL(eager.train.kernels, none.train.kernels);
	struct gpu_result *all[] = {&zero, &none, &deflt, &eager};
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		gpu_result_release(all[i]);
	graph_release(&gr);
}

/* Mechanism 5: host cost of inference.  The MLP's forward is 5 Python
 * ops (fc1, r1, fc2, r2, out; no loss) at infer_op_us each; under
 * autocast 7 casts issued from C++ join them (6 weights, the fp32 input
 * of fc1; fc2 and out already get bf16). */
static void test_infer_host(void)
{
	struct gpu_spec g;
	struct graph gr;
	load_ok("h100", &g);
	load_mlp(&gr);
	struct gpu_result fp, bf;
	estimate(&g, &gr, 32, DT_FP32, GPU_EAGER, OPT_MOMENTUM, 1, &fp);
	estimate(&g, &gr, 32, DT_BF16, GPU_EAGER, OPT_MOMENTUM, 1, &bf);
	CU_ASSERT_DOUBLE_EQUAL(fp.infer.host_s, 5 * g.infer_op_us * 1e-6,
			       1e-12);
	CU_ASSERT_DOUBLE_EQUAL(bf.infer.host_s,
			       (5 * g.infer_op_us + 7 * g.internal_op_us) *
				       1e-6, 1e-12);
	/* a mixed concatenation promotes to fp32 inside torch.cat (no cast
	 * of its own); the next 16-bit dense casts it down again: 3 Python
	 * ops (a, c, b) and 6 casts (a's weight, bias and fp32 input, b's
	 * weight, bias and the fp32 concatenation) */
	static const char cat_yaml[] =
		"name: cat\nbatch: 32\ninputs:\n  x: [16]\nlayers:\n"
		"  - {name: a, op: dense, units: 16, in: x}\n"
		"  - {name: c, op: concat, in: [a, x]}\n"
		"  - {name: b, op: dense, units: 4}\n"
		"  - {name: loss, op: mse_loss}\n";
	struct graph cg;
	struct gpu_result cr;
	load_yaml(cat_yaml, &cg);
	estimate(&g, &cg, 32, DT_BF16, GPU_EAGER, OPT_MOMENTUM, 1, &cr);
	CU_ASSERT_DOUBLE_EQUAL(cr.infer.host_s,
			       (3 * g.infer_op_us + 6 * g.internal_op_us) *
				       1e-6, 1e-12);
	gpu_result_release(&cr);
	graph_release(&cg);
	/* training pays the full module call plus autograd recording */
	CU_ASSERT(g.framework_op_us + g.autograd_op_us > g.infer_op_us);
	gpu_result_release(&fp);
	gpu_result_release(&bf);
	graph_release(&gr);
}

/* A BERT-sized attention block (s = 128, d = 768, 12 heads) at batch
 * 32 in fp32, graph style on the H100: fills g, gr and r, returns the
 * attention layer; its fused kernel's rate is attn_fp32_rate(g). */
static int attn_block(struct gpu_spec *g, struct graph *gr,
		      struct gpu_result *r)
{
	static const char y[] =
		"name: a\nbatch: 32\ninputs:\n  x: [128, 768]\nlayers:\n"
		"  - {name: qkv, op: dense, units: 2304, in: x}\n"
		"  - {name: attn, op: attention, heads: 12}\n"
		"  - {name: loss, op: mse_loss}\n";
	load_ok("h100", g);
	load_yaml(y, gr);
	estimate(g, gr, 32, DT_FP32, GPU_GRAPH, OPT_MOMENTUM, 1, r);
	return layer_id(gr, "attn");
}

static double attn_fp32_rate(const struct gpu_spec *g)
{
	return gpu_gemm_rate(g, GPU_MATH_TF32, 128, 128, 64, 384) *
	       g->calib.attn_fraction / 3;
}

/* Mechanism 6: fp32 attention on tensor cores.  s = 128, d = 64, 12 heads
 * x batch 32 = 384 (s x s x d) problems, 4 s^2 d FLOPs each; the fp32
 * kernel runs 3 TF32 products per multiply: TF32 GEMM rate x
 * attn_fraction / 3. */
static void test_attention_fp32(void)
{
	struct gpu_spec g;
	struct graph gr;
	struct gpu_result r;
	int a = attn_block(&g, &gr, &r);
	double flops = 4.0 * 384 * 128 * 128 * 64;
	double rate = attn_fp32_rate(&g);
	double bo = 32.0 * 128 * 768 * 4, bin = 32.0 * 128 * 2304 * 4;
	double bw = 3350e9 * 0.9;
	/* the fused kernel (compute-bound); the heads are views (below) */
	double want = g.kernel_us * 1e-6 + flops / rate;
	CU_ASSERT(flops / rate > (bin + bo) / bw);
	CU_ASSERT_DOUBLE_EQUAL(r.layers[a].train_s[PASS_FWD], want, 1e-9);
	gpu_result_release(&r);
	graph_release(&gr);
}

/* Mechanism: the heads around the fused kernel.  Flash and
 * memory-efficient attention write their output as [b, s, h, dh], so
 * out.transpose(1, 2).reshape(b, s, d) is a view: the forward is the
 * fused kernel alone.  Backward: rowsum(dO * O), the fused kernel, then
 * unbind's backward stacks dq, dk, dv (at::stack) and view's backward
 * reshapes the permuted stack, which copies it.  By hand, fp32, batch 32,
 * s = 128, d = 768 (12 heads): bo = 32 x 128 x 768 x 4 = 12.58 MB, the
 * q, k, v gradients 3 bo = 37.75 MB, read and written: 75.50 MB each for
 * the stack and the copy = 25.04 us each at 3.015 TB/s; rowsum 3 bo =
 * 12.52 us; the fused kernel 2.5 x 1.61 GFLOP at the 3 x TF32 rate
 * (compute-bound); four kernel_us. */
static void test_attention_heads(void)
{
	struct gpu_spec g;
	struct graph gr;
	struct gpu_result r;
	int a = attn_block(&g, &gr, &r);
	double bo = 32.0 * 128 * 768 * 4, bw = 3350e9 * 0.9;
	double flops = 2.5 * 4.0 * 384 * 128 * 128 * 64;
	double rate = attn_fp32_rate(&g);
	CU_ASSERT_DOUBLE_EQUAL(2 * 3 * bo / bw, 25.04e-6, 0.01e-6);
	CU_ASSERT_DOUBLE_EQUAL(3 * bo / bw, 12.52e-6, 0.01e-6);
	double want = 4 * g.kernel_us * 1e-6 + 3 * bo / bw + flops / rate +
		      2 * (2 * 3 * bo / bw);
	CU_ASSERT_DOUBLE_EQUAL(r.layers[a].train_s[PASS_BWD_DATA], want, 1e-9);
	CU_ASSERT_EQUAL(r.layers[a].kernels_train, 1 + 4);
	gpu_result_release(&r);
	graph_release(&gr);
}

/* Mechanism 11: PyTorch 2.11+ runs 16-bit attention through cuDNN's SDPA
 * on the H100 (cuDNN > 9.15, sm90): each call, forward or backward,
 * executes its cached cuDNN graph, cudnn_sdpa_us (14 us) of host time on
 * top of the op's own.  The block above (one attention layer) in bf16,
 * eager: training has 2 calls (forward, backward), inference 1; fp32
 * runs the memory-efficient kernel (no cuDNN: no extra), and a captured
 * graph has no host time at all. */
static void test_cudnn_sdpa_host(void)
{
	struct gpu_spec g;
	struct graph gr;
	struct gpu_result r;
	attn_block(&g, &gr, &r);
	gpu_result_release(&r);
	CU_ASSERT_DOUBLE_EQUAL(g.cudnn_sdpa_us, 14, 1e-12);
	struct gpu_spec flash = g;
	flash.cudnn_sdpa_us = 0;
	static const enum dtype dts[] = {DT_BF16, DT_FP32};
	for (int i = 0; i < 2; i++) {
		struct gpu_result c, f;
		estimate(&g, &gr, 32, dts[i], GPU_EAGER, OPT_MOMENTUM, 1, &c);
		estimate(&flash, &gr, 32, dts[i], GPU_EAGER, OPT_MOMENTUM, 1,
			 &f);
		int calls = dts[i] == DT_BF16;
		CU_ASSERT_DOUBLE_EQUAL(c.train.host_s - f.train.host_s,
				       calls * 2 * 14e-6, 1e-12);
		CU_ASSERT_DOUBLE_EQUAL(c.infer.host_s - f.infer.host_s,
				       calls * 14e-6, 1e-12);
		gpu_result_release(&c);
		gpu_result_release(&f);
	}
	struct gpu_result c, f;
	estimate(&g, &gr, 32, DT_BF16, GPU_GRAPH, OPT_MOMENTUM, 1, &c);
	estimate(&flash, &gr, 32, DT_BF16, GPU_GRAPH, OPT_MOMENTUM, 1, &f);
	CU_ASSERT_DOUBLE_EQUAL(c.train.seconds, f.train.seconds, 1e-15);
	gpu_result_release(&c);
	gpu_result_release(&f);
	/* the A100 (sm80) runs flash attention: no extra */
	struct gpu_spec a100;
	load_ok("a100", &a100);
	CU_ASSERT_EQUAL(a100.cudnn_sdpa_us, 0);
	graph_release(&gr);
}

/* Mechanism 7: tensor-core convolutions on channels-first data: cuDNN
 * transposes both activations into NHWC and back (2 kernels per
 * convolution, each reading and writing its tensor once); batch-norm
 * inference and pooling are bound by elements per thread, so bf16 gains
 * little there.  Conv c at batch 32: x and y are 1605632 elements each. */
static void test_conv_layout(void)
{
	struct gpu_spec g;
	struct graph gr;
	struct gpu_run_opts o;
	cbr_setup(&g, &gr, &o, cbr_yaml, 32);
	o.dtype = DT_BF16;
	struct gpu_result bf;
	estimate_o(&g, &gr, &o, &bf);
	int c = layer_id(&gr, "c");
	/* forward: weight cast, input cast, the conv, two transposes */
	double n = 1605632, bw = 3350e9 * 0.9;
	double conv_s = gpu_gemm_seconds(&g, GPU_MATH_BF16, 32 * 3136, 16,
					 144, 1, 2);
	double want = 5 * g.kernel_us * 1e-6 + 6.0 * 2304 / bw +
		      6.0 * n / bw + 2 * (2 * n * 2) / bw;
	CU_ASSERT(bf.layers[c].train_s[PASS_FWD] > want);
	CU_ASSERT(bf.layers[c].train_s[PASS_FWD] <
		  want + conv_s + 1e-9 + (2 * n * 2 + 2304 * 2) / bw);
	/* batch-norm inference in bf16 (batch_norm_cuda_out, eval): copy
	 * the running mean (16 channels x 8 B), 1/std from the running
	 * variance (24 B per channel), then normalise one element per
	 * thread: 1605632 elements over 132 x 2048 threads x 600 ns =
	 * 3.564 us, not the 6.4 MB / 3.015 TB/s = 2.13 us its bytes would
	 * take */
	int bn = layer_id(&gr, "bn");
	double lat = n * 600e-9 / (132.0 * 2048);
	CU_ASSERT_DOUBLE_EQUAL(bf.layers[bn].infer_s,
			       3 * g.kernel_us * 1e-6 + (8.0 + 24.0) * 16 / bw +
				       lat,
			       1e-9);
	CU_ASSERT_EQUAL(bf.layers[bn].kernels_infer, 3);
	gpu_result_release(&bf);
	graph_release(&gr);
}

/* Mechanism 10: cuBLAS's choice of tile for fp32 (SIMT) GEMMs.  H100:
 * 66.9 TFLOP/s x 0.78 = 52.182 TFLOP/s on full 128 x 128 tiles; half
 * tiles (128 x 64, 64 x 128) at half_tile_fraction 0.85 of that, chosen
 * when the full tiles fill more than the 132 SMs and the half ones lose
 * less of the last wave.
 *  - 4096 x 768 x 3072: 192 full tiles, 2 waves: 192 / 264 = 0.72727,
 *    k_eff 3072 / 3104 = 0.98969: 37.560 TFLOP/s; 384 half tiles, 3
 *    waves: 384 / 396 = 0.96970: 0.85 x 50.080 = 42.568 TFLOP/s, chosen:
 *    19.327 GFLOP in 454.0 us + kernel_us (micro.jsonl: 459.6 us);
 *  - BERT-base's feed-forward weight gradient at batch 64 (3072 x 768
 *    over 8192 tokens): 144 full tiles, 0.54545 x 0.99611 = 28.353
 *    TFLOP/s; 288 half tiles 0.85 x 0.72727 x 0.99611 = 32.131 TFLOP/s;
 *  - 8192 x 3072 x 768: 1536 full tiles, 12 waves, 0.96970 x 0.96:
 *    48.577 TFLOP/s; halves lose as much of their last wave: full;
 *  - small outputs (fewer tiles than SMs) split K as before; tensor-core
 *    GEMMs keep full tiles. */
static void test_half_tiles(void)
{
	struct gpu_spec g;
	load_ok("h100", &g);
	CU_ASSERT_DOUBLE_EQUAL(g.calib.half_tile_fraction, 0.85, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(gpu_gemm_rate(&g, GPU_MATH_FP32, 4096, 768, 3072,
					     1),
			       42.568e12, 0.002e12);
	CU_ASSERT_DOUBLE_EQUAL(gpu_gemm_rate(&g, GPU_MATH_FP32, 3072, 768, 8192,
					     1),
			       32.131e12, 0.002e12);
	CU_ASSERT_DOUBLE_EQUAL(gpu_gemm_rate(&g, GPU_MATH_FP32, 8192, 3072, 768,
					     1),
			       48.577e12, 0.002e12);
	double t = g.kernel_us * 1e-6 +
		   gpu_gemm_seconds(&g, GPU_MATH_FP32, 4096, 768, 3072, 1, 4);
	CU_ASSERT_DOUBLE_EQUAL(t, 457.2e-6, 0.1e-6);
	CU_ASSERT(fabs(t / 459.584e-6 - 1) < 0.01);
	struct gpu_spec full = g;
	full.calib.half_tile_fraction = 0;
	CU_ASSERT_DOUBLE_EQUAL(gpu_gemm_rate(&full, GPU_MATH_FP32, 4096, 768,
					     3072, 1),
			       37.560e12, 0.002e12);
	/* split-K outputs and tensor-core GEMMs: as with full tiles only */
	CU_ASSERT_DOUBLE_EQUAL(
		gpu_gemm_rate(&g, GPU_MATH_FP32, 256, 1000, 1000, 1),
		gpu_gemm_rate(&full, GPU_MATH_FP32, 256, 1000, 1000, 1), 1);
	CU_ASSERT_DOUBLE_EQUAL(
		gpu_gemm_rate(&g, GPU_MATH_BF16, 4096, 768, 3072, 1),
		989.4e12 * 0.72 * (192.0 / 264) * (3072.0 / 3104), 1e9);
}

/* Mechanism 8: operand alignment of cuBLAS GEMMs.  The leading
 * dimensions of a dense layer's GEMMs are its input and output feature
 * sizes in all three passes (X: B x in, W: out x in, Y: B x out); the
 * batch never is.  So in bf16 (8 elements = 16 bytes):
 *  - a: 1024 -> 1024 at batch 100 is aligned in every pass although 100
 *    is not a multiple of 8 (its weight gradient reduces over the batch);
 *  - b: 1024 -> 1001 is unaligned in every pass, the weight gradient
 *    too: 2 x 1001 x 1024 x 100 = 205.0 MFLOP at the fallback's
 *    0.15 x 989.4 = 148.4 TFLOP/s on its 32 x 32 tiles (7.8: 1024 tiles,
 *    0.970 of 8 waves, 1001 / 1024 filled, k_eff 100 / 132: 0.718) =
 *    1.924 us (+ kernel_us), where the aligned rate would take less. */
static const char align_yaml[] =
	"name: al\nbatch: 100\ninputs:\n  x: [1024]\nlayers:\n"
	"  - {name: a, op: dense, units: 1024, bias: false, in: x}\n"
	"  - {name: b, op: dense, units: 1001, bias: false}\n"
	"  - {name: loss, op: cross_entropy}\n";

static void test_gemm_alignment(void)
{
	struct gpu_spec g;
	struct graph gr;
	struct gpu_run_opts o;
	cbr_setup(&g, &gr, &o, align_yaml, 100);
	o.grads = GPU_GRADS_NONE;
	o.dtype = DT_BF16;
	struct gpu_result r;
	estimate_o(&g, &gr, &o, &r);
	int a = layer_id(&gr, "a"), b = layer_id(&gr, "b");
	double tiles = (1024.0 / 1056) * (1001.0 / 1024) * (100.0 / 132);
	double bw = 3350e9 * 0.9, cap = 989.4e12 * 0.15 * tiles;
	double ka = gpu_gemm_seconds(&g, GPU_MATH_BF16, 1024, 1024, 100, 1, 2);
	double kb = 2.0 * 1001 * 1024 * 100 / cap;
	CU_ASSERT_DOUBLE_EQUAL(kb, 1.9236e-6, 1e-10);
	/* + the autocast cast of the weight gradient back to fp32 */
	double cast_a = g.kernel_us * 1e-6 + 6.0 * 1024 * 1024 / bw;
	double cast_b = g.kernel_us * 1e-6 + 6.0 * 1001 * 1024 / bw;
	CU_ASSERT(ka < kb);
	CU_ASSERT_DOUBLE_EQUAL(r.layers[a].train_s[PASS_BWD_WEIGHT],
			       g.kernel_us * 1e-6 + ka + cast_a, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(r.layers[b].train_s[PASS_BWD_WEIGHT],
			       g.kernel_us * 1e-6 + kb + cast_b, 1e-9);
	gpu_result_release(&r);
	graph_release(&gr);
}

/* Mechanism 8 (energy): cuBLAS's unaligned fallback re-reads its
 * operands for every tile; when they do not fit in L2 the re-reads come
 * from device memory, busy in proportion to how close the kernel runs to
 * the fallback's ceiling.  Inference of 1024 -> 1001 at batch 4096 in
 * bf16: one GEMM of 8.40 GFLOP at 0.15 x 989.4 TFLOP/s on the fallback's
 * 32 x 32 tiles (x 0.919: 4096 tiles in 32 waves, 0.978 filled, k_eff
 * 1024 / 1056), 18.7 MB of operands; memory is busy u_compute / 0.15, the
 * fallback's rate on full tiles.  With the H100's 50 MB L2 they fit (no change); with no
 * L2 figure (0) the memory term rises from bytes / (t x 3350 GB/s) to
 * u_compute / 0.15: energy + (700 - 70) W x t x power_memory x the
 * difference.  (The fallback's rate beyond L2 is set to the one within
 * here, so that only the energy moves: test_fallback_rate_l2 checks the
 * rate.) */
static void test_fallback_memory(void)
{
	struct gpu_spec g;
	struct graph gr;
	struct gpu_run_opts o;
	cbr_setup(&g, &gr, &o, align_yaml, 4096);
	o.dtype = DT_BF16;
	g.calib.unaligned_fraction_dram = g.calib.unaligned_fraction;
	g.hbm_pj_per_bit = 0; /* the memory kernels' L2 share stays out */
	struct gpu_result fit, nofit;
	estimate_o(&g, &gr, &o, &fit);
	CU_ASSERT_DOUBLE_EQUAL(g.l2_mbytes, 50, 1e-12);
	g.l2_mbytes = 0;
	estimate_o(&g, &gr, &o, &nofit);
	double flops = 2.0 * 4096 * 1001 * 1024;
	double bytes = (4096.0 * 1024 + 1024.0 * 1001 + 4096.0 * 1001) * 2;
	double uf = g.calib.unaligned_fraction, pm = g.calib.power_memory;
	double tiles = (4096.0 / 4224) * (1001.0 / 1024) * (1024.0 / 1056);
	double t = g.kernel_us * 1e-6 + flops / (989.4e12 * uf * tiles);
	double uc = flops / (t * 989.4e12), um = bytes / (t * 3350e9);
	double want = 630 * t * pm * (uc / uf - um);
	CU_ASSERT(uc / uf > um);
	CU_ASSERT_DOUBLE_EQUAL(nofit.infer.energy_j - fit.infer.energy_j, want,
			       1e-9);
	CU_ASSERT_DOUBLE_EQUAL(nofit.infer.seconds, fit.infer.seconds, 1e-15);
	gpu_result_release(&fit);
	gpu_result_release(&nofit);
	graph_release(&gr);
}

/* Mechanism 8 (time): the fallback re-reads its operands for every
 * tile, from L2 when they fit there (unaligned_fraction, 0.15 of the
 * peak on full tiles), from device memory when they do not
 * (unaligned_fraction_dram, 0.131: micro.jsonl's bf16 2048 x 2000 x
 * 60483 GEMM, 127.1 TFLOP/s on its tiles).
 *  - that GEMM: (2048 x 60483 + 60483 x 2000 + 2048 x 2000) x 2 bytes =
 *    498.2 MB > 50 MB; 2 x 2048 x 2000 x 60483 = 495.5 GFLOP; 64 x 63 =
 *    4032 tiles of 32 x 32 in 31 waves (0.9853), 2000 / 2016 filled,
 *    k_eff 60483 / 60515: 0.131 x 989.4 x 0.9770 = 126.64 TFLOP/s =
 *    3.913 ms (+ kernel_us), measured 3.898 ms;
 *  - inference of 1024 -> 1001 at batch 4096: 8.396 GFLOP, 18.7 MB of
 *    operands, in L2: 8.396 / (148.41 x 0.9192) = 61.55 us (+ kernel_us,
 *    + the autocast cast of its weight: 6 bytes x 1001 x 1024 at 3.015
 *    TB/s); on a GPU with no L2 figure (0: nothing taken to fit) 8.396 /
 *    (129.61 x 0.9192) = 70.48 us. */
static void test_fallback_rate_l2(void)
{
	struct gpu_spec g;
	struct graph gr;
	struct gpu_run_opts o;
	cbr_setup(&g, &gr, &o, align_yaml, 4096);
	o.dtype = DT_BF16;
	CU_ASSERT_DOUBLE_EQUAL(g.calib.unaligned_fraction, 0.15, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(g.calib.unaligned_fraction_dram, 0.131, 1e-12);
	CU_ASSERT_EQUAL(g.calib.unaligned_tile, 32);
	struct gpu_kern k;
	memset(&k, 0, sizeof(k));
	k.kind = GK_GEMM;
	k.math = GPU_MATH_BF16;
	k.m = 2048, k.n = 2000, k.k = 60483, k.batch = 1;
	k.elem_bytes = 2;
	k.mma_passes = 1;
	k.flops = 2.0 * 2048 * 2000 * 60483;
	k.bytes = (2048.0 * 60483 + 60483.0 * 2000 + 2048.0 * 2000) * 2;
	gpu_kern_time(&g, &k);
	CU_ASSERT_DOUBLE_EQUAL(k.dev_s, g.kernel_us * 1e-6 + 3.9128e-3, 1e-7);
	CU_ASSERT(fabs(k.dev_s / 3.898144e-3 - 1) < 0.01);
	k.aligned = 1; /* the same GEMM aligned: far faster */
	gpu_kern_time(&g, &k);
	CU_ASSERT(k.dev_s < 1e-3);
	struct gpu_result fit, nofit;
	estimate_o(&g, &gr, &o, &fit);
	g.l2_mbytes = 0;
	estimate_o(&g, &gr, &o, &nofit);
	int b = layer_id(&gr, "b");
	double flops = 2.0 * 4096 * 1001 * 1024;
	double cast = g.kernel_us * 1e-6 + 6.0 * 1001 * 1024 / (3350e9 * 0.9);
	double tiles = (4096.0 / 4224) * (1001.0 / 1024) * (1024.0 / 1056);
	CU_ASSERT_DOUBLE_EQUAL(fit.layers[b].infer_s,
			       cast + g.kernel_us * 1e-6 +
				       flops / (989.4e12 * 0.15 * tiles),
			       1e-10);
	CU_ASSERT_DOUBLE_EQUAL(nofit.layers[b].infer_s,
			       cast + g.kernel_us * 1e-6 +
				       flops / (989.4e12 * 0.131 * tiles),
			       1e-10);
	CU_ASSERT_DOUBLE_EQUAL(nofit.layers[b].infer_s - fit.layers[b].infer_s,
			       70.48e-6 - 61.55e-6, 1e-8);
	gpu_result_release(&fit);
	gpu_result_release(&nofit);
	graph_release(&gr);
}

/* Mechanism 8 (tiles): cuBLAS's unaligned fallback computes 32 x 32
 * output tiles (CUTLASS align1, unaligned_tile), tiled as any GEMM
 * (waves, split-K below one wave, reduction depth), and a partly filled
 * tile costs a full one.  P1B1's first layer at batch 100 in bf16,
 * 100 x 2000 x 60483 (operands beyond L2): 4 x 63 = 252 tiles, two
 * waves of 132 (0.9545), 100 / 128 x 2000 / 2016 = 0.7750 filled, k_eff
 * 60483 / 60515: 0.131 x 989.4 x 0.7394 = 95.84 TFLOP/s, 24.20 GFLOP in
 * 252.4 us, where the flat rate said 186.7 us; at 128 rows (as many
 * tiles, all full) 30.97 GFLOP take the same 252.4 us.  A 16 x 2 output
 * (one tile) splits K over all 132 SMs: 132 x 16 / 32 x 2 / 32 of the
 * rate's share, minus the depth each slice sees. */
static void test_fallback_tiles(void)
{
	struct gpu_spec g;
	CU_ASSERT_EQUAL_FATAL(gpu_load("h100", &g, NULL), 0);
	struct gpu_kern k;
	memset(&k, 0, sizeof(k));
	k.kind = GK_GEMM;
	k.math = GPU_MATH_BF16;
	k.elem_bytes = 2;
	k.mma_passes = 1;
	k.batch = 1;
	k.m = 100, k.n = 2000, k.k = 60483;
	k.flops = 2.0 * 100 * 2000 * 60483;
	k.bytes = (100.0 * 60483 + 60483.0 * 2000 + 100.0 * 2000) * 2;
	double r100 = gpu_unaligned_rate(&g, &k);
	CU_ASSERT_DOUBLE_EQUAL(r100, 989.4e12 * 0.131 * (252.0 / 264) *
					     (100.0 / 128) * (2000.0 / 2016) *
					     (60483.0 / 60515),
			       1e6);
	gpu_kern_time(&g, &k);
	CU_ASSERT_DOUBLE_EQUAL(k.dev_s - g.kernel_us * 1e-6, 252.44e-6, 1e-8);
	k.m = 128;
	k.flops = 2.0 * 128 * 2000 * 60483;
	k.bytes = (128.0 * 60483 + 60483.0 * 2000 + 128.0 * 2000) * 2;
	gpu_kern_time(&g, &k);
	CU_ASSERT_DOUBLE_EQUAL(k.dev_s - g.kernel_us * 1e-6, 252.44e-6, 1e-8);
	k.m = 16, k.n = 2, k.k = 10000000;
	k.bytes = (16.0 + 2.0) * 1e7 * 2; /* 360 MB: beyond L2 */
	double kp = 1e7 / 132;
	CU_ASSERT_DOUBLE_EQUAL(gpu_unaligned_rate(&g, &k),
			       989.4e12 * 0.131 * (16.0 / 32) * (2.0 / 32) *
				       kp / (kp + 32),
			       1e6);
	g.calib.unaligned_tile = 0; /* no tiles: the flat rate */
	CU_ASSERT_DOUBLE_EQUAL(gpu_unaligned_rate(&g, &k), 989.4e12 * 0.131,
			       1e6);
}

/* Energy (section 4): CUDA-core (SIMT) math draws power_compute_simt per
 * unit of the fp32 peak, tensor-core math power_compute per unit of its
 * own.  A 4096 x 4096 dense layer at batch 4096 in fp32 is one SIMT GEMM
 * of 2 x 4096^3 = 137.4 GFLOP; below the power limit its energy above
 * idle is (700 - 70) W x dev_s x power_compute_simt x u_compute, and
 * dev_s x u_compute = FLOPs / peak, so raising power_compute_simt from
 * 0.5 to 1.0 adds 630 x 0.5 x 137.4e9 / 66.9e12 = 0.6471 J, whatever the
 * GEMM's rate.  The same layer in bf16 runs on tensor cores: unchanged. */
static void test_simt_power(void)
{
	static const char yaml[] =
		"name: p\nbatch: 4096\ninputs:\n  x: [4096]\nlayers:\n"
		"  - {name: a, op: dense, units: 4096, in: x}\n"
		"  - {name: loss, op: mse_loss}\n";
	struct gpu_spec g;
	struct graph gr;
	load_ok("h100", &g);
	load_yaml(yaml, &gr);
	struct gpu_result r[2][2];
	for (int dt = 0; dt < 2; dt++)
		for (int i = 0; i < 2; i++) {
			g.calib.power_compute_simt = i ? 1.0 : 0.5;
			estimate(&g, &gr, 4096, dt ? DT_BF16 : DT_FP32,
				 GPU_GRAPH, OPT_MOMENTUM, 1, &r[dt][i]);
		}
	double want = 630 * 0.5 * 2.0 * 4096 * 4096 * 4096 / 66.9e12;
	CU_ASSERT_DOUBLE_EQUAL(want, 0.6471, 1e-4);
	CU_ASSERT_DOUBLE_EQUAL(r[0][1].infer.energy_j - r[0][0].infer.energy_j,
			       want, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(r[0][1].infer.seconds, r[0][0].infer.seconds,
			       1e-15);
	CU_ASSERT_DOUBLE_EQUAL(r[1][1].infer.energy_j, r[1][0].infer.energy_j,
			       1e-12);
	for (int dt = 0; dt < 2; dt++)
		for (int i = 0; i < 2; i++)
			gpu_result_release(&r[dt][i]);
	graph_release(&gr);
}

/* Data in L2 (section 4): a ReLU over 1 Mi fp32 elements at batch 1
 * reads 4 MiB and writes 4 MiB, 8388608 bytes, under the H100's 50 MB
 * L2: at hbm_pj_per_bit 3.9 its inference energy drops by 8388608 x 8 x
 * 3.9 pJ = 0.26172 mJ (the memory term is far below the power limit);
 * over 16 Mi elements (134 MB) the data does not fit and nothing
 * changes.  The share: 3.9 pJ x 8 x 3350 GB/s = 104.5 W of the 0.65 x
 * 630 W = 409.5 W of memory power, 0.2552. */
static void test_l2_memory_energy(void)
{
	static const char *const yaml[2] = {
		"name: l\nbatch: 1\ninputs:\n  x: [1048576]\nlayers:\n"
		"  - {name: r, op: relu, in: x}\n"
		"  - {name: loss, op: mse_loss}\n",
		"name: l\nbatch: 1\ninputs:\n  x: [16777216]\nlayers:\n"
		"  - {name: r, op: relu, in: x}\n"
		"  - {name: loss, op: mse_loss}\n"};
	struct gpu_spec g;
	load_ok("h100", &g);
	g.calib.power_memory = 0.65;
	g.hbm_pj_per_bit = 3.9;
	CU_ASSERT_DOUBLE_EQUAL(gpu_hbm_share(&g), 0.25524, 1e-5);
	double want[2] = {8388608.0 * 8 * 3.9e-12, 0};
	CU_ASSERT_DOUBLE_EQUAL(want[0], 0.26172e-3, 1e-8);
	for (int v = 0; v < 2; v++) {
		struct graph gr;
		load_yaml(yaml[v], &gr);
		struct gpu_result r[2];
		for (int i = 0; i < 2; i++) {
			g.hbm_pj_per_bit = i ? 3.9 : 0;
			estimate(&g, &gr, 1, DT_FP32, GPU_GRAPH, OPT_SGD, 1,
				 &r[i]);
		}
		CU_ASSERT_DOUBLE_EQUAL(r[0].infer.energy_j - r[1].infer.energy_j,
				       want[v], 1e-12);
		CU_ASSERT_DOUBLE_EQUAL(r[0].infer.seconds, r[1].infer.seconds,
				       1e-15);
		for (int i = 0; i < 2; i++)
			gpu_result_release(&r[i]);
		graph_release(&gr);
	}
}

/* Issue 13: no cell of the validation table may be worse than before the
 * execution mechanisms.  tests/golden/gpu_validate_7e92768.txt is the
 * table `validate gpu` printed then (its origin in its first lines);
 * every cell of today's (train, inference, energy of every row of
 * train.jsonl and graphs.jsonl) is compared by |log(predicted /
 * measured)|, allowing half a unit of the last printed digit of the old
 * figures.  The cells still worse are listed, each with its reason, in
 * tests/golden/gpu_worse_than_before.txt: a cell newly worse fails, and
 * so does a listed cell that is no longer worse (take it off the list). */
struct old_cell {
	char key[128];
	double tol, err;	/* |log(pred / meas)| then */
	double rel;		/* pred / meas - 1 then */
};

static int old_cells(struct old_cell **out)
{
	char *path = tu_path("tests/golden/gpu_validate_7e92768.txt");
	FILE *f = fopen(path, "r");
	free(path);
	*out = NULL;
	if (!f)
		return -1;
	static const char *const metric[] = {"train", "infer", "energy"};
	char line[512], file[64] = "?";
	int n = 0;
	*out = xcalloc(256, sizeof(**out));
	while (fgets(line, sizeof(line), f) && n < 250) {
		char *m = strstr(line, "models/measured/h100/");
		if (!strncmp(line, "measurements:", 13) && m) {
			snprintf(file, sizeof(file), "%.*s",
				 (int)strcspn(m + 21, "\n"), m + 21);
			continue;
		}
		char net[64], prec[16], style[16], bound[16];
		long long batch;
		char *bar = strchr(line, '|');
		if (!bar || sscanf(line, "%63s %lld %15s %15s %15s", net, &batch,
				   prec, style, bound) != 5)
			continue;
		for (int k = 0; k < 3 && bar; k++) {
			double pr, me;
			if (sscanf(bar + 1, "%lf %lf", &pr, &me) == 2 && pr > 0 &&
			    me > 0) {
				struct old_cell *c = &(*out)[n++];
				snprintf(c->key, sizeof(c->key),
					 "%s %s %lld %s %s %s", file, net, batch,
					 prec, style, metric[k]);
				c->err = fabs(log(pr / me));
				c->rel = pr / me - 1;
				c->tol = 0.0005 / pr + 0.0005 / me;
			}
			bar = strchr(bar + 1, '|');
		}
	}
	fclose(f);
	return n;
}

static char *listed_cells(void)
{
	char *path = tu_path("tests/golden/gpu_worse_than_before.txt");
	FILE *f = fopen(path, "r");
	free(path);
	char *text = xcalloc(1, 1);
	size_t n = 0;
	char line[256];
	while (f && fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, ":\n")] = 0;
		text = xrealloc(text, n + strlen(line) + 3);
		n += (size_t)sprintf(text + n, "[%s]", line);
	}
	if (f)
		fclose(f);
	return text;
}

static void test_no_cell_worse(void)
{
	struct old_cell *old = NULL;
	int n_old = old_cells(&old);
	CU_ASSERT_FATAL(n_old == 74); /* 18 x 3 + 10 x 2 cells */
	struct gpu_spec g;
	load_ok("h100", &g);
	char *listed = listed_cells();
	static const char *const files[] = {"train.jsonl", "graphs.jsonl"};
	static const char *const metric[] = {"train", "infer", "energy"};
	int seen = 0, worse = 0, unlisted = 0;
	for (int fi = 0; fi < 2; fi++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "models/measured/h100/%s", files[fi]);
		char *path = tu_path(rel);
		struct gpu_val v;
		struct diag d;
		diag_init(&d);
		CU_ASSERT_EQUAL_FATAL(gpu_validate_file(&g, path, &v, &d), 0);
		for (int i = 0; i < v.n; i++) {
			const struct gpu_val_row *r = &v.rows[i];
			for (int k = 0; k < GPU_VAL_COUNT; k++) {
				char key[128], tag[132];
				snprintf(key, sizeof(key), "%s %s %lld %s %s %s",
					 files[fi], r->model, (long long)r->batch,
					 r->precision, gpu_style_name(r->style),
					 metric[k]);
				const struct old_cell *c = NULL;
				for (int j = 0; j < n_old && !c; j++)
					if (!strcmp(old[j].key, key))
						c = &old[j];
				if (!c || isnan(r->err[k]))
					continue;
				seen++;
				double now = fabs(log(r->pred[k] / r->meas[k]));
				int is_worse = now > c->err + c->tol;
				int is_listed = strstr(listed, (snprintf(tag,
					sizeof(tag), "[%s]", key), tag)) != NULL;
				worse += is_worse;
				if (is_worse != is_listed) {
					unlisted++;
					fprintf(stderr, "\n  %s: %+.1f%% before, "
						"%+.1f%% now (%s)", key,
						100 * c->rel,
						100 * r->err[k],
						is_worse ? "worse, not listed"
							 : "listed, no longer "
							   "worse");
				}
			}
		}
		gpu_val_release(&v);
		diag_release(&d);
		free(path);
	}
	CU_ASSERT_EQUAL(seen, n_old);
	CU_ASSERT_EQUAL(unlisted, 0);
	if (worse)
		fprintf(stderr, "\n  (%d cells still worse than before issue "
			"13: tests/golden/gpu_worse_than_before.txt) ", worse);
	free(listed);
	free(old);
}

/* No constant may be calibrated on one network's rows: a line with a
 * CALIBRATED tag, in any GPU file or in the GPU model's sources, that
 * names exactly one of the zoo's networks fails.  Names are compared
 * without case and punctuation ("ResNet-50" is resnet50), each network
 * also by the first word of its name ("BERT" for bert_base); a name
 * inside a longer one that is also named ("uno" in "unomt") counts once. */
static void squash(const char *in, char *out, size_t n)
{
	size_t k = 0;
	for (; *in && k + 1 < n; in++)
		if ((*in >= 'a' && *in <= 'z') || (*in >= '0' && *in <= '9'))
			out[k++] = *in;
		else if (*in >= 'A' && *in <= 'Z')
			out[k++] = (char)(*in - 'A' + 'a');
	out[k] = 0;
}

static void first_word(const char *net, char *out, size_t n)
{
	char b[64];
	snprintf(b, sizeof(b), "%s", net);
	b[strcspn(b, "_.")] = 0; /* bert_base: bert; gpt2_small: gpt2 */
	squash(b, out, n);
}

/* How many distinct networks a line names: full names (minus those
 * inside a longer full name also there), plus families named by their
 * first word only (at least 4 letters) with no full name there. */
static int nets_named(const char *line, char **nets, size_t n)
{
	char sq[1024], a[64], b[64];
	squash(line, sq, sizeof(sq));
	if (n > 256)
		n = 256;
	int full[256] = {0}, count = 0;
	for (size_t i = 0; i < n; i++) {
		squash(nets[i], a, sizeof(a));
		full[i] = strstr(sq, a) != NULL;
	}
	for (size_t i = 0; i < n; i++) {
		squash(nets[i], a, sizeof(a));
		int inside = 0;
		for (size_t j = 0; j < n; j++) {
			squash(nets[j], b, sizeof(b));
			inside |= j != i && full[j] && strlen(b) > strlen(a) &&
				  strstr(b, a) != NULL;
		}
		count += full[i] && !inside;
	}
	for (size_t i = 0; i < n; i++) {
		first_word(nets[i], a, sizeof(a));
		int family_full = 0, first = 1;
		for (size_t j = 0; j < n; j++) {
			first_word(nets[j], b, sizeof(b));
			if (strcmp(a, b))
				continue;
			family_full |= full[j];
			first &= j >= i;
		}
		count += first && !family_full && strlen(a) >= 4 &&
			 strstr(sq, a) != NULL;
	}
	return count;
}

/* The zoo's network names (models/nets/ *.yaml), as bare names. */
static char **zoo_names(size_t *n)
{
	struct diag d;
	diag_init(&d);
	char **paths = ws_list_models("nets", n, &d);
	diag_release(&d);
	for (size_t i = 0; paths && i < *n; i++) {
		char *slash = strrchr(paths[i], '/');
		memmove(paths[i], slash ? slash + 1 : paths[i],
			strlen(slash ? slash + 1 : paths[i]) + 1);
		paths[i][strcspn(paths[i], ".")] = 0;
	}
	return paths;
}

static int bad_tags_in(const char *path, char **nets, size_t n)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[1024];
	int bad = 0;
	while (fgets(line, sizeof(line), f)) {
		/* what it was calibrated on follows the tag (a key such as
		 * attn_fraction before it names no network) */
		const char *tag = strstr(line, "CALIBRATED");
		if (!tag || nets_named(tag, nets, n) != 1)
			continue;
		fprintf(stderr, "\n  %s: CALIBRATED on one network: %s", path,
			line);
		bad++;
	}
	fclose(f);
	return bad;
}

static void test_calibrated_tags(void)
{
	size_t n = 0;
	char **nets = zoo_names(&n);
	CU_ASSERT_FATAL(nets != NULL && n >= 16);
	/* the check catches what it is there for */
	CU_ASSERT_EQUAL(nets_named("x: 2.5  # CALIBRATED (graphs.jsonl, "
				   "ResNet-50)", nets, n), 1);
	CU_ASSERT_EQUAL(nets_named("# CALIBRATED on BERT rows", nets, n), 1);
	CU_ASSERT_EQUAL(nets_named("# CALIBRATED (UnoMT)", nets, n), 1);
	CU_ASSERT_EQUAL(nets_named("# CALIBRATED (all networks' rows)", nets,
				   n), 0);
	CU_ASSERT_EQUAL(bad_tags_in("/nonexistent", nets, n), -1);
	char *dir = tu_temp_dir(), *tmp = xasprintf("%s/g.yaml", dir);
	FILE *f = fopen(tmp, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("  attn_fraction: 0.6   # CALIBRATED (all rows)\n"
	      "  conv_layout_passes: 2.5     # CALIBRATED (graphs.jsonl, "
	      "resnet50)\n", f);
	fclose(f);
	CU_ASSERT_EQUAL(bad_tags_in(tmp, nets, n), 1);
	remove(tmp);
	rmdir(dir);
	free(tmp);
	free(dir);
	CU_ASSERT_EQUAL(nets_named("# CALIBRATED (uno, p1b1, resnet50 and "
				   "bert_base rows)", nets, n), 4);
	/* every GPU preset, and the model's sources */
	size_t n_gpus = 0;
	struct diag d;
	diag_init(&d);
	char **presets = ws_list_models("gpus", &n_gpus, &d);
	diag_release(&d);
	CU_ASSERT_FATAL(presets != NULL && n_gpus >= 4);
	for (size_t i = 0; i < n_gpus; i++)
		CU_ASSERT_EQUAL(bad_tags_in(presets[i], nets, n), 0);
	ws_free_list(presets);
	static const char *const src[] = {
		"gpu/gpu.c", "gpu/gpu_kernels.c", "gpu/gpu_model.c",
		"gpu/gpu_validate.c", "gpu/gpu.h", "gpu/gpu_int.h"};
	for (size_t i = 0; i < ARRAY_SIZE(src); i++) {
		char *path = tu_path(src[i]);
		CU_ASSERT_EQUAL(bad_tags_in(path, nets, n), 0);
		free(path);
	}
	ws_free_list(nets);
}

/* A batch that does not fit: gradient accumulation over the fewest
 * micro-batches that fit.  MLP on a GPU with 0.3 GB: weights, gradients
 * and momentum take 12 bytes x P = 252.2 MB; each sample saves 4096 x 4 +
 * 10 floats = 65576 bytes; 47.8 MB hold 728 samples, so batch 2048 runs
 * as 3 micro-batches of 683.  With 0.05 GB not even one sample fits on
 * any number of GPUs (ZeRO: test_gpu_shard.c): no time. */
static void test_does_not_fit(void)
{
	struct gpu_spec g;
	struct graph gr;
	load_ok("h100", &g);
	load_mlp(&gr);
	g.mem_gbytes = 0.3;
	struct gpu_run_opts o;
	gpu_run_opts_default(&o);
	o.batch = 2048;
	struct gpu_result r, x;
	estimate_o(&g, &gr, &o, &r);
	double P = 1024.0 * 4096 + 4096 + 4096.0 * 4096 + 4096 + 40960 + 10;
	double per = 4.0 * (4 * 4096 + 10);
	int64_t fit = (int64_t)floor((0.3e9 - 12 * P) / per);
	CU_ASSERT_EQUAL(fit, 728);
	CU_ASSERT_EQUAL(r.fits, 0);
	CU_ASSERT_EQUAL(r.fit, GPU_FIT_ACCUMULATE);
	CU_ASSERT_EQUAL(r.micro_batches, 3);
	CU_ASSERT_EQUAL(r.micro_batch, 683);
	CU_ASSERT_DOUBLE_EQUAL(r.full_memory_bytes, 12 * P + 2048 * per, 1);
	CU_ASSERT_DOUBLE_EQUAL(r.train_memory_bytes, 12 * P + 683 * per, 1);
	CU_ASSERT(r.train_memory_bytes <= 0.3e9);
	CU_ASSERT_EQUAL(r.batch, 2048);
	/* the same as asking for 3 micro-batches */
	o.micro_batches = 3;
	estimate_o(&g, &gr, &o, &x);
	CU_ASSERT_DOUBLE_EQUAL(x.train.seconds, r.train.seconds, 1e-15);
	CU_ASSERT_DOUBLE_EQUAL(x.infer.seconds, r.infer.seconds, 1e-15);
	/* micro-batches 2 and 3 add into the 6 gradients: 2 x 6 kernels */
	struct gpu_result one;
	o.micro_batches = 0;
	o.batch = 683;
	g.mem_gbytes = 80;
	estimate_o(&g, &gr, &o, &one);
	/* momentum: 3 foreach ops of 2 launches each (21.02 M parameters >
	 * the 65536 x 320 = 20.97 M elements of one launch) */
	int opt_k = 3 * 2;
	CU_ASSERT_EQUAL(r.train.kernels,
			3 * (one.train.kernels - opt_k) + 12 + opt_k);
	gpu_result_release(&r);
	gpu_result_release(&x);
	gpu_result_release(&one);
	/* nothing fits on any number of GPUs: no time, the reason
	 * (more cases: tests/unit/test_gpu_shard.c) */
	g.mem_gbytes = 0.05;
	o.batch = 2048;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(gpu_estimate(&g, &gr, &o, &r, &d), 0);
	CU_ASSERT_EQUAL(r.runs, 0);
	CU_ASSERT_EQUAL(r.train.seconds, 0);
	CU_ASSERT(r.why[0] != 0);
	gpu_result_release(&r);
	diag_release(&d);
	graph_release(&gr);
}

/* Rows may name their network by file (relative to the measurement file)
 * or be looked up in extra folders before the zoo. */
static void test_validate_network_file(void)
{
	struct gpu_spec g;
	load_ok("h100", &g);
	char dir[] = "/tmp/wafersim_gpuval_XXXXXX";
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	char *net = xasprintf("%s/mine.yaml", dir);
	char *meas = xasprintf("%s/m.jsonl", dir);
	FILE *f = fopen(net, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(mlp_yaml, f);
	fclose(f);
	f = fopen(meas, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("{\"model\": \"mlp\", \"network_file\": \"mine.yaml\", "
	      "\"batch\": 32, \"precision\": \"fp32\", "
	      "\"train\": {\"median_ms\": 1.0}}\n"
	      "{\"model\": \"mine\", \"batch\": 32, \"precision\": \"fp32\", "
	      "\"train\": {\"median_ms\": 1.0}}\n", f);
	fclose(f);
	struct gpu_val v;
	struct diag d;
	diag_init(&d);
	/* zoo only: the second row's network is unknown */
	CU_ASSERT_EQUAL_FATAL(gpu_validate_file(&g, meas, &v, &d), 0);
	CU_ASSERT_PTR_NULL(v.rows[0].skipped);
	CU_ASSERT_PTR_NOT_NULL(v.rows[1].skipped);
	double t0 = v.rows[0].pred[GPU_VAL_TRAIN];
	gpu_val_release(&v);
	/* with the folder: both, and the same network gives the same time */
	const char *dirs[] = {dir};
	CU_ASSERT_EQUAL_FATAL(gpu_validate_file_in(&g, meas, dirs, 1, &v, &d),
			      0);
	CU_ASSERT_EQUAL(v.n_predicted, 2);
	CU_ASSERT_DOUBLE_EQUAL(v.rows[1].pred[GPU_VAL_TRAIN], t0, 1e-15);
	gpu_val_release(&v);
	/* the command: without --nets the second row is listed as not
	 * predicted (exit 1); `--nets DIR` finds it (exit 0) */
	char *out, *err;
	char *args = xasprintf("validate gpu %s", meas);
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "rows: 1 predicted, 1 not"));
	free(out);
	free(err);
	free(args);
	args = xasprintf("validate gpu %s --nets %s", meas, dir);
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "rows: 2 predicted, 0 not"));
	free(out);
	free(err);
	free(args);
	diag_release(&d);
	remove(net);
	remove(meas);
	rmdir(dir);
	free(net);
	free(meas);
}

/* run: the GPUs at the wafer's global batch by default (shared out as
 * DistributedSampler does: rounded up, the shares padded with repeated
 * samples, at most one GPU per sample), or at their own batch per GPU
 * with --gpu-batch; the table says both batches. */
static void test_run_gpu_batch(void)
{
	static const struct {
		const char *args;
		int rc;
		const char *want[2];
	} cases[] = {
		/* 30 over 4: 8 each, 32 computed, 2 of them repeats; the
		 * global batch stays 30 */
		{"--gpus 4 --batch 30 --json", 0,
		 {"\"batch_per_gpu\": 8", "\"batch\": 30"}},
		{"--gpus 4 --batch 30 --json", 0,
		 {"\"padded_samples\": 2", "\"gpus\": 4"}},
		{"--gpus 4 --batch 30", 0,
		 {"30 (8/GPU)", "each takes 8, 2 of them repeated"}},
		/* 100 GPUs for 30 samples: 30 of them, one sample each */
		{"--gpus 100 --batch 30 --json", 0,
		 {"\"gpus\": 30", "\"asked_gpus\": 100"}},
		{"--gpus 100 --batch 30 --json", 0,
		 {"\"batch_per_gpu\": 1", "\"padded_samples\": 0"}},
		{"--gpus 100 --batch 30", 0,
		 {"30 of the 100 asked", "30 (1/GPU)"}},
		/* --gpu-batch: every GPU asked, no padding */
		{"--gpus 100 --batch 30 --gpu-batch 1 --json", 0,
		 {"\"gpus\": 100", "\"batch\": 100"}},
		{"--gpus 4 --batch 30 --gpu-batch 64 --json", 0,
		 {"\"batch_per_gpu\": 64", "\"batch\": 256"}},
		{"--gpus 4 --batch 30 --gpu-batch 64", 0,
		 {"batch per step", "256 (64/GPU)"}},
		/* --gpu-batch alone asks for the GPU baseline (one GPU) */
		{"--batch 30 --gpu-batch 64", 0, {"64 (64/GPU)", "wafer"}},
		{"--gpu-batch 0", 2, {"", ""}},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *out, *err;
		char *args = xasprintf("run uno --machine mini128 %s",
				       cases[i].args);
		CU_ASSERT_EQUAL(tu_run(args, &out, &err), cases[i].rc);
		for (int k = 0; k < 2; k++)
			CU_ASSERT_PTR_NOT_NULL(strstr(out, cases[i].want[k]));
		free(args);
		free(out);
		free(err);
	}
}

/* tools/measure_gpu.py --help runs without PyTorch (or any package) and
 * says what the script needs. */
static void test_measure_help(void)
{
	if (system("python3 -c 'import sys' >/dev/null 2>&1") != 0)
		return; /* no Python on this machine: nothing to check */
	char *script = tu_path("tools/measure_gpu.py");
	char *cmd = xasprintf("python3 '%s' --help 2>&1", script);
	FILE *p = popen(cmd, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	char buf[8192];
	size_t n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = 0;
	CU_ASSERT_EQUAL(pclose(p), 0);
	CU_ASSERT(strstr(buf, "usage:") != NULL);
	CU_ASSERT(strstr(buf, "--micro") != NULL);
	CU_ASSERT(strstr(buf, "Needs:") != NULL);
	free(cmd);
	free(script);
}

int suite_gpu(void);
int suite_gpu(void)
{
	static const struct tu_test tests[] = {
		{"presets load and dump round-trips", test_presets_roundtrip},
		{"bad gpu files", test_bad_files},
		{"gemm rate", test_gemm_rate},
		{"estimate mlp", test_estimate_mlp},
		{"data parallel", test_data_parallel},
		{"resnet50 8 x h100 scaling vs public figures",
		 test_resnet50_scaling},
		{"validation bounds (H100)", test_validation_bounds},
		{"json lines", test_jsonl},
		{"validate rows", test_validate_rows},
		{"commands", test_cli},
		{"latency-bound loads", test_latency_bound},
		{"mechanism: batch norm in training", test_batchnorm_mechanism},
		{"mechanism: depthwise convolution", test_depthwise_mechanism},
		{"conv_transpose: the GEMMs of its conv", test_conv_transpose},
		{"mechanism: tile fill", test_tile_fill},
		{"mechanism: tile choice of fp32 GEMMs", test_half_tiles},
		{"mechanism: gradient accumulation", test_grad_accumulation},
		{"mechanism: inference host cost", test_infer_host},
		{"mechanism: fp32 attention on tensor cores",
		 test_attention_fp32},
		{"mechanism: attention heads as views", test_attention_heads},
		{"mechanism: cuDNN attention's host cost",
		 test_cudnn_sdpa_host},
		{"mechanism: channels-first layout", test_conv_layout},
		{"mechanism: GEMM operand alignment", test_gemm_alignment},
		{"mechanism: unaligned GEMMs beyond L2 (time)",
		 test_fallback_rate_l2},
		{"mechanism: tiles of the unaligned fallback",
		 test_fallback_tiles},
		{"mechanism: unaligned GEMMs beyond L2 (energy)",
		 test_fallback_memory},
		{"mechanism: CUDA-core and tensor-core power", test_simt_power},
		{"mechanism: data in L2 draws no device-memory power",
		 test_l2_memory_energy},
		{"no CALIBRATED tag on one network", test_calibrated_tags},
		{"no cell worse than before issue 13", test_no_cell_worse},
		{"a batch that does not fit", test_does_not_fit},
		{"validate: network_file and network folders",
		 test_validate_network_file},
		{"measure_gpu.py --help without PyTorch", test_measure_help},
		{"run --gpu-batch", test_run_gpu_batch},
		{0},
	};
	return tu_add_suite("gpu", tests);
}
