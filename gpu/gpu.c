/*
 * gpu.c: the GPU schema, loading, dumping and whole-GPU checks.
 *
 * Defaults of the overhead and calibration keys are the values fitted on
 * the measured H100 (models/gpus/h100.yaml); models/gpus/NAME.yaml cite the
 * datasheet behind every figure and mark the calibrated ones.
 */
#include "gpu/gpu.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ground/util.h"

#define CFG_OFF(f) offsetof(struct gpu_spec, f)

static const struct cfg_key peak_keys[] = {
	CFG_KR("fp32", "TFLOP/s", 0.001, 1e6, NULL,
	   "fp32 on CUDA cores (SIMT), dense", peak_tflops[GPU_MATH_FP32]),
	CFG_KR("tf32", "TFLOP/s", 0.001, 1e6, NULL,
	   "tf32 tensor cores, dense (no sparsity); = fp32 if none",
	   peak_tflops[GPU_MATH_TF32]),
	CFG_KR("bf16", "TFLOP/s", 0.001, 1e6, NULL,
	   "bf16 tensor cores, dense; the fp32 rate if none",
	   peak_tflops[GPU_MATH_BF16]),
	CFG_KR("fp16", "TFLOP/s", 0.001, 1e6, NULL, "fp16 tensor cores, dense",
	   peak_tflops[GPU_MATH_FP16]),
	{0},
};

static const struct cfg_key memory_keys[] = {
	CFG_KR("gbytes", "GB", 0.1, 1e6, NULL, "device memory", mem_gbytes),
	CFG_KR("bandwidth_gbytes_s", "GB/s", 1, 1e6, NULL,
	   "device memory bandwidth, datasheet", mem_bandwidth_gbytes_s),
	CFG_KR("l2_mbytes", "MB", 0, 1e6, "0",
	   "L2 cache, datasheet (0: unknown, nothing is taken to fit)",
	   l2_mbytes),
	CFG_KR("hbm_pj_per_bit", "pJ/bit", 0, 1000, "0",
	   "device-memory energy per bit moved, which data that stays in L2 "
	   "does not draw (0: not split from calibration.power_memory)",
	   hbm_pj_per_bit),
	{0},
};

static const struct cfg_key power_keys[] = {
	CFG_KR("idle_w", "W", 0, 1e5, NULL, "board power with nothing running",
	   idle_w),
	CFG_KR("max_w", "W", 1, 1e5, NULL, "board power limit (TDP)", max_w),
	{0},
};

static const struct cfg_key overhead_keys[] = {
	CFG_KR("kernel_us", "us", 0, 1e5, "3.2",
	   "device time every kernel costs beyond its work (launch, ramp, "
	   "tail); what remains inside a captured graph", kernel_us),
	CFG_KR("framework_op_us", "us", 0, 1e5, "38",
	   "host time per Python-level op in eager mode (module call, "
	   "dispatcher, launch); a property of the host CPU and framework",
	   framework_op_us),
	CFG_KR("autograd_op_us", "us", 0, 1e5, "15",
	   "extra host time per forward op in training (autograd graph "
	   "recording)", autograd_op_us),
	CFG_KR("internal_op_us", "us", 0, 1e5, "24",
	   "host time per op the framework issues from C++: backward "
	   "kernels, autocast casts, optimizer foreach ops",
	   internal_op_us),
	CFG_KR("step_us", "us", 0, 1e6, "0",
	   "host time per training step outside ops (optimizer.step and "
	   "zero_grad in Python); overlaps the device finishing backward",
	   step_us),
	CFG_KR("infer_op_us", "us", 0, 1e5, "28",
	   "host time per Python-level op under no_grad (inference) in eager "
	   "mode: no autograd recording, no saved tensors", infer_op_us),
	CFG_KR("graph_launch_us", "us", 0, 1e6, "20",
	   "host time to replay one captured graph", graph_launch_us),
	CFG_KR("cudnn_sdpa_us", "us", 0, 1e5, "0",
	   "extra host time per 16-bit attention call (forward or backward) "
	   "where PyTorch runs cuDNN's SDPA (2.11+ with cuDNN > 9.15 on sm90 "
	   "and sm100): the cuDNN graph's execute, 0 where flash attention "
	   "runs", cudnn_sdpa_us),
	{0},
};

static const struct cfg_key net_keys[] = {
	CFG_KI("gpus_per_node", "GPU", 1, 1024, "8", "GPUs sharing NVLink",
	   gpus_per_node),
	CFG_KR("nvlink_gbytes_s", "GB/s", 0.001, 1e6, "450",
	   "NVLink bandwidth per GPU, one direction", nvlink_gbytes_s),
	CFG_KR("nvlink_latency_us", "us", 0, 1e5, "3",
	   "latency of one NVLink ring step", nvlink_latency_us),
	CFG_KR("internode_gbytes_s", "GB/s", 0.001, 1e6, "50",
	   "inter-node network per GPU, one direction (InfiniBand)",
	   internode_gbytes_s),
	CFG_KR("internode_latency_us", "us", 0, 1e5, "6",
	   "latency of one inter-node ring step", internode_latency_us),
	CFG_KR("link_efficiency", "", 0.01, 1, "0.8",
	   "NVLink: achieved bus bandwidth of a large ring all-reduce / "
	   "nominal (NCCL protocol overhead)", link_efficiency),
	CFG_KR("internode_efficiency", "", 0.01, 1, "0.94",
	   "inter-node NICs: achieved ring bus bandwidth / nominal",
	   internode_efficiency),
	CFG_KR("first_bucket_mbytes", "MiB", 0.001, 1e6, "1",
	   "first gradient bucket (the last layers' gradients; PyTorch DDP "
	   "caps it at 1 MiB)", first_bucket_mbytes),
	CFG_KR("bucket_mbytes", "MiB", 0.001, 1e6, "25",
	   "later gradient buckets (PyTorch DDP bucket_cap_mb); each is "
	   "all-reduced once backward has filled it", bucket_mbytes),
	CFG_KI("collective_sms", "SM", 0, 1024, "16",
	   "SMs an all-reduce holds while it runs (one per NCCL channel; "
	   "compute kernels cannot use them)", collective_sms),
	CFG_KR("collective_hbm_per_bus_byte", "", 0, 100, "3",
	   "device-memory bytes a ring all-reduce moves per byte it sends "
	   "(receive-buffer write and read, local input read)",
	   collective_hbm_per_bus_byte),
	{0},
};

static const struct cfg_key calib_keys[] = {
	CFG_KR("gemm_fraction_fp32", "", 0.01, 1, "0.78",
	   "achieved / peak fp32 rate of a large square GEMM",
	   calib.gemm_fraction_fp32),
	CFG_KR("gemm_fraction_tensor", "", 0.01, 1, "0.72",
	   "achieved / peak tensor-core rate of a large square GEMM",
	   calib.gemm_fraction_tensor),
	CFG_KI("tile_m", "", 1, 4096, "128",
	   "rows of the output tile one thread block computes", calib.tile_m),
	CFG_KI("tile_n", "", 1, 4096, "128",
	   "columns of the output tile one thread block computes",
	   calib.tile_n),
	CFG_KR("k_half", "", 0, 1e6, "32",
	   "reduction depth at which a GEMM reaches half its rate "
	   "(pipeline fill and epilogue)", calib.k_half),
	CFG_KR("split_k_min", "", 1, 1e9, "64",
	   "least reduction depth per slice when a GEMM splits K over idle "
	   "SMs", calib.split_k_min),
	CFG_KR("half_tile_fraction", "", 0, 1, "0.85",
	   "fp32 (CUDA-core) GEMMs: rate of cuBLAS's half tiles (tile_m x "
	   "tile_n / 2 and tile_m / 2 x tile_n) over full ones; chosen when "
	   "they lose less of the last wave (0: full tiles only)",
	   calib.half_tile_fraction),
	CFG_KR("unaligned_fraction", "", 0.001, 1, "0.15",
	   "tensor-core GEMM rate / peak when k or n is not a multiple of 16 "
	   "bytes (slow fallback kernels) and its operands fit in L2",
	   calib.unaligned_fraction),
	CFG_KR("unaligned_fraction_dram", "", 0.001, 1, "0.131",
	   "the same when the operands exceed L2: the fallback re-reads them "
	   "from device memory for every tile", calib.unaligned_fraction_dram),
	CFG_KI("unaligned_tile", "", 0, 4096, "32",
	   "output tile (rows = columns) of that fallback, which does not "
	   "split K: its rate is the fractions above on full tiles and full "
	   "waves (0: the fractions alone, whatever the shape)",
	   calib.unaligned_tile),
	CFG_KR("mem_fraction", "", 0.01, 1, "0.9",
	   "achieved / datasheet memory bandwidth of a large streaming kernel",
	   calib.mem_fraction),
	CFG_KR("attn_fraction", "", 0.01, 1, "0.6",
	   "fused attention rate / GEMM rate of the same shape",
	   calib.attn_fraction),
	CFG_KR("conv_fraction", "", 0.01, 1, "1",
	   "cuDNN convolution rate / GEMM rate of the same implicit-GEMM "
	   "shape (address generation, halos, layout transforms)",
	   calib.conv_fraction),
	CFG_KR("mem_latency_ns", "ns", 1, 1e5, "600",
	   "loaded device-memory latency: a kernel with one element load in "
	   "flight per thread moves at most resident threads / latency "
	   "elements per second", calib.mem_latency_ns),
	CFG_KR("power_awake", "", 0, 1, "0.1",
	   "share of (max - idle) power drawn while a step runs at all",
	   calib.power_awake),
	CFG_KR("power_compute", "", 0, 2, "1.8",
	   "share of (max - idle) power at full compute utilisation of "
	   "tensor-core math (of its own peak)", calib.power_compute),
	CFG_KR("power_compute_simt", "", 0, 2, "1.3",
	   "share of (max - idle) power at full compute utilisation of "
	   "CUDA-core (SIMT) math: fp32 GEMMs off the tensor cores",
	   calib.power_compute_simt),
	CFG_KR("power_memory", "", 0, 2, "0.65",
	   "share of (max - idle) power at full bandwidth utilisation",
	   calib.power_memory),
	{0},
};

const struct cfg_key gpu_schema[] = {
	CFG_KS("name", NULL, "short name of the GPU", name),
	CFG_KS("description", "", "one line: model, form factor, source",
	   description),
	CFG_KI("sms", "SM", 1, 100000, NULL, "streaming multiprocessors", sms),
	CFG_KI("threads_per_sm", "thread", 32, 65536, "2048",
	   "resident threads per SM (2048 on Volta, Ampere, Hopper)",
	   threads_per_sm),
	CFG_KSEC("peak_tflops", "datasheet peak rates, dense", peak_keys),
	CFG_KSEC("memory", "device memory", memory_keys),
	CFG_KSEC("power", "board power", power_keys),
	CFG_KSEC("overhead", "per-kernel and per-op costs beyond the work",
	     overhead_keys),
	CFG_KSEC("interconnect", "data-parallel links", net_keys),
	CFG_KSEC("calibration", "fitted constants (see docs/gpu.md)", calib_keys),
	{0},
};

static int gpu_check(const void *obj, const struct cfg_src *src,
		     struct diag *d)
{
	const struct gpu_spec *g = obj;
	int errors = 0, line, col;
	/* look the location up first: argument evaluation order is unspecified */
#define AT(path) src->file, line, col
	if (g->idle_w >= g->max_w) {
		cfg_src_find(src, "power.idle_w", &line, &col);
		diag_add(d, AT("power.idle_w"),
			 "gpu: 'power.idle_w' must be below power.max_w = %g, "
			 "got %g", g->max_w, g->idle_w);
		errors++;
	}
	if (g->calib.power_awake + g->calib.power_compute > 2) {
		cfg_src_find(src, "calibration.power_compute", &line, &col);
		diag_add(d, AT("calibration.power_compute"),
			 "gpu: 'calibration.power_compute' plus power_awake "
			 "must be at most 2, got %g",
			 g->calib.power_awake + g->calib.power_compute);
		errors++;
	}
	if (g->calib.power_awake + g->calib.power_compute_simt > 2) {
		cfg_src_find(src, "calibration.power_compute_simt", &line,
			     &col);
		diag_add(d, AT("calibration.power_compute_simt"),
			 "gpu: 'calibration.power_compute_simt' plus "
			 "power_awake must be at most 2, got %g",
			 g->calib.power_awake + g->calib.power_compute_simt);
		errors++;
	}
#undef AT
	return errors ? WS_EINPUT : WS_OK;
}

int gpu_load_string(const char *file, const char *text, struct gpu_spec *g,
		    struct diag *d)
{
	return cfg_load_checked(gpu_schema, "gpu", file, text, g, gpu_check, d);
}

int gpu_load(const char *name_or_path, struct gpu_spec *g, struct diag *d)
{
	return cfg_load_preset(gpu_schema, "gpu", "gpus", name_or_path, g,
			       gpu_check, d);
}

void gpu_dump(const struct gpu_spec *g, FILE *out)
{
	fprintf(out, "# wafersim gpu '%s': effective configuration, "
		     "defaults filled in\n", g->name);
	cfg_dump(gpu_schema, g, out);
}

const char *gpu_bound_name(enum gpu_bound b)
{
	static const char *const n[] = {"compute", "memory", "overhead"};
	return b < GPU_BOUND_COUNT ? n[b] : "?";
}

const char *gpu_style_name(enum gpu_style s)
{
	return s == GPU_GRAPH ? "graph" : "eager";
}

const char *gpu_math_name(enum gpu_math m)
{
	static const char *const n[] = {"fp32", "tf32", "bf16", "fp16"};
	return m < GPU_MATH_COUNT ? n[m] : "?";
}
