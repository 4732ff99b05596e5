/*
 * gpu.h: the GPU baseline: a GPU described by its YAML file, and the model
 * that predicts training-step and inference time and energy of a network on
 * one GPU or a data-parallel cluster of them.
 *
 * The model (docs/gpu.md has the derivation and the validation table):
 *
 *   graph --> kernels an eager framework (PyTorch) launches, per layer and
 *             pass: forward, backward to data, backward to weights, optimizer
 *             update; autocast cast kernels for bf16/fp16; the first layer
 *             computes no input gradient.
 *   kernel --> device time: GEMM/conv at an achieved rate that depends on
 *             shape and data type (wave quantisation over the SMs, reduction
 *             depth, a large-GEMM fraction of the datasheet peak), memory-
 *             bound kernels at achieved bandwidth, plus a fixed per-kernel
 *             device cost;
 *          --> host time: per-op framework overhead (eager only).
 *   step   --> host and device run as a two-stage pipeline: a kernel starts
 *             when the host has issued it and the previous kernel is done.
 *             Eager mode is overhead-bound when the host is the slower stage.
 *             Graph-captured style drops the host cost (one launch per step).
 *   energy --> idle power x time + (max - idle) x (awake share over the step
 *             + compute and memory shares while kernels run).
 *   data parallel --> ring all-reduce of gradients in buckets, overlapped
 *             with the backward pass; NVLink inside a node, the inter-node
 *             network across nodes.  State that does not fit is sharded
 *             (ZeRO-1/2/3, FSDP; gpu_shard.c), on more GPUs if needed.
 *
 * Every figure comes from the GPU's YAML (datasheet values, and a few
 * calibrated constants marked as such in models/gpus/NAME.yaml); there are no
 * per-network factors.
 *
 * Layer 4, gpu/ owns the GPU baseline: kernels of a training step, their
 * device and host time, energy, data parallel, validation against
 * measurements.  It may include every layer below; sim/ and traces/ (same
 * layer); never a layer above (docs/ARCHITECTURE.md, checked by
 * tests/house/check_layers.py).
 */
#ifndef WAFERSIM_GPU_H
#define WAFERSIM_GPU_H

#include <stdint.h>
#include <stdio.h>

#include "ground/cfg.h"
#include "compiler/graph.h"
#include "ground/diag.h"

/* ---- the GPU description (models/gpus/NAME.yaml) ------------------------ */

/* Math types a kernel can run in (index into gpu_spec.peak_tflops). */
enum gpu_math { GPU_MATH_FP32 = 0, GPU_MATH_TF32, GPU_MATH_BF16,
		GPU_MATH_FP16, GPU_MATH_COUNT };

struct gpu_calib {
	/* achieved / datasheet peak of a large, square GEMM */
	double gemm_fraction_fp32;   /* SIMT (CUDA-core) fp32 */
	double gemm_fraction_tensor; /* tensor cores: tf32, bf16, fp16 */
	int64_t tile_m, tile_n;	     /* output tile of one thread block */
	double k_half;		     /* reduction depth at half the rate */
	double split_k_min;	     /* least depth per split-K slice */
	double half_tile_fraction;   /* fp32: rate of a half tile vs a full
					one (0: full tiles only) */
	double unaligned_fraction;   /* tensor-core rate / peak when a row
					stride is not 16-byte aligned and
					the operands fit in L2 */
	double unaligned_fraction_dram; /* ... when they do not: the
					   fallback's re-reads come from
					   device memory (7.8) */
	int64_t unaligned_tile;	     /* output tile (square) of that
					fallback, which does not split K
					(0: a flat cap, no tiling) */
	double mem_fraction;	     /* achieved / datasheet bandwidth */
	double attn_fraction;	     /* fused attention vs a GEMM, same shape */
	double conv_fraction;	     /* implicit-GEMM convolution vs a GEMM */
	double mem_latency_ns;	     /* loaded device-memory latency: a
					kernel that keeps one element load in
					flight per thread moves at most
					threads / latency elements per second */
	/* power above idle, as fractions of (max_w - idle_w) */
	double power_awake;	/* whenever a step runs (clocks up) */
	double power_compute;	/* x compute utilisation while a kernel runs
				   (tensor-core math, of its dtype's peak) */
	double power_compute_simt; /* the same for CUDA-core (SIMT) math */
	double power_memory;	/* x bandwidth utilisation while a kernel runs */
};

struct gpu_spec {
	char name[CFG_STR_MAX];
	char description[CFG_STR_MAX];
	int64_t sms;			/* streaming multiprocessors */
	int64_t threads_per_sm;		/* resident threads per SM (2048) */
	double peak_tflops[GPU_MATH_COUNT]; /* dense, datasheet */
	double mem_gbytes;
	double mem_bandwidth_gbytes_s;
	double l2_mbytes;		/* L2 cache (0: unknown) */
	double hbm_pj_per_bit;		/* energy per bit moved to or from
					   device memory (0: not split from
					   the rest of the memory power) */
	double idle_w, max_w;		/* board power */
	double kernel_us;		/* device: fixed cost per kernel */
	double framework_op_us;		/* host: per framework op, eager */
	double autograd_op_us;		/* host: extra per forward op when
					   training (autograd recording) */
	double internal_op_us;		/* host: per op issued from C++
					   (backward, casts, optimizer) */
	double step_us;			/* host: per training step (optimizer
					   and zero_grad in Python) */
	double infer_op_us;		/* host: per Python-level op under
					   no_grad (inference), eager */
	double graph_launch_us;		/* host: one captured-graph replay */
	double cudnn_sdpa_us;		/* host: extra per 16-bit attention call
					   when PyTorch runs cuDNN's SDPA on
					   this GPU (0: flash attention) */
	/* interconnect (data parallel) */
	int64_t gpus_per_node;
	double nvlink_gbytes_s;		/* per GPU, one direction */
	double nvlink_latency_us;
	double internode_gbytes_s;	/* per GPU, one direction */
	double internode_latency_us;
	double link_efficiency;		/* NVLink: achieved bus bandwidth of a
					   large ring all-reduce / nominal */
	double internode_efficiency;	/* the same for the inter-node NICs */
	double first_bucket_mbytes;	/* DDP's first gradient bucket, MiB
					   (PyTorch: 1) */
	double bucket_mbytes;		/* later gradient buckets, MiB
					   (PyTorch DDP bucket_cap_mb: 25) */
	int64_t collective_sms;		/* SMs an all-reduce holds while it runs
					   (one per NCCL channel) */
	double collective_hbm_per_bus_byte; /* device-memory bytes a ring
					   all-reduce moves per byte on the bus */
	struct gpu_calib calib;
};

extern const struct cfg_key gpu_schema[];

/* Load by preset name (models/gpus/NAME.yaml) or path.  Every bad key is
 * reported with file:line:col; whole-GPU checks follow (e.g. idle power
 * below max power).  0, WS_EIO or WS_EINPUT. */
int gpu_load(const char *name_or_path, struct gpu_spec *g, struct diag *d);
int gpu_load_string(const char *file, const char *text, struct gpu_spec *g,
		    struct diag *d);
/* Effective configuration as YAML; loads back to the same GPU (same
 * bytes when dumped again). */
void gpu_dump(const struct gpu_spec *g, FILE *out);

/* ---- kernel-level costs (device seconds, fixed kernel cost excluded) ---- */

/* Achieved rate (FLOP/s) of `batch` independent m x n x k GEMMs. */
double gpu_gemm_rate(const struct gpu_spec *g, enum gpu_math math, int64_t m,
		     int64_t n, int64_t k, int64_t batch);
/* Device time of those GEMMs: the slower of math at the achieved rate and
 * moving the operands (elem_bytes per element) at achieved bandwidth. */
double gpu_gemm_seconds(const struct gpu_spec *g, enum gpu_math math,
			int64_t m, int64_t n, int64_t k, int64_t batch,
			int elem_bytes);
/* Filled share of the output tiles of an m x n GEMM (1 when m and n are
 * multiples of the tile); the fp32 (SIMT) rate is scaled by it. */
double gpu_tile_fill(const struct gpu_spec *g, int64_t m, int64_t n);
/* Device time of latency-bound loads: elem_loads spread over every
 * resident thread, and/or `blocks` thread blocks of block_threads threads
 * each sweeping block_loads elements, one load in flight per thread. */
double gpu_latency_seconds(const struct gpu_spec *g, double elem_loads,
			   double blocks, double block_loads,
			   int block_threads);
/* Device time to move `bytes` through memory at achieved bandwidth. */
double gpu_mem_seconds(const struct gpu_spec *g, double bytes);

/* ---- whole-network estimate --------------------------------------------- */

enum gpu_style { GPU_EAGER = 0, GPU_GRAPH };
/* How gradients are cleared between steps: set to None (autograd hands
 * the new gradient over, no kernel) or zeroed (every parameter tensor's
 * gradient is accumulated, grad += new: one kernel per tensor).  AUTO =
 * what each style does: eager sets to None, a captured graph zeroes (its
 * buffers must stay put). */
enum gpu_grads { GPU_GRADS_AUTO = 0, GPU_GRADS_NONE, GPU_GRADS_ZERO };
/* How a training step runs on a GPU: as asked, or (when the batch does not
 * fit in memory) what a user would do: gradient accumulation over
 * micro-batches, or activation checkpointing, whichever is faster.
 * GPU_FIT_BOTH: checkpointing and micro-batches together (when a
 * checkpointed batch still does not fit).  Weights, gradients and
 * optimizer state that do not fit are sharded (enum gpu_shard). */
enum gpu_fit { GPU_FIT_AS_IS = 0, GPU_FIT_ACCUMULATE, GPU_FIT_CHECKPOINT,
	       GPU_FIT_BOTH };
const char *gpu_fit_name(enum gpu_fit f);
/* How the training state is spread over the data-parallel GPUs
 * (Rajbhandari et al., "ZeRO: Memory Optimizations Toward Training
 * Trillion Parameter Models", SC'20; PyTorch FSDP's sharding strategies):
 * DDP: every GPU holds all weights, gradients and optimizer state;
 * ZERO1 shards the optimizer state over the GPUs; ZERO2 also the
 * gradients (FSDP SHARD_GRAD_OP); ZERO3 also the weights (FSDP
 * FULL_SHARD).  AUTO: gpu_estimate chooses (gpu_shard.c), the result says
 * which. */
enum gpu_shard { GPU_SHARD_AUTO = 0, GPU_SHARD_DDP, GPU_SHARD_ZERO1,
		 GPU_SHARD_ZERO2, GPU_SHARD_ZERO3, GPU_SHARD_COUNT };
const char *gpu_shard_name(enum gpu_shard s);
enum gpu_bound { GPU_BOUND_COMPUTE = 0, GPU_BOUND_MEMORY,
		 GPU_BOUND_OVERHEAD, GPU_BOUND_COUNT };

struct gpu_run_opts {
	int64_t batch;		/* per GPU; 0 = the graph's default_batch, or 32 */
	enum dtype dtype;	/* DT_FP32 (TF32 convolutions, as cuDNN does by
				   default), DT_BF16 or DT_FP16 (autocast) */
	int n_gpus;		/* 1 .. ; data parallel beyond 1 */
	enum gpu_style style;
	enum optimizer optimizer;
	enum gpu_grads grads;
	/* How a step that does not fit in memory runs (gpu_estimate chooses
	 * when both are 0; the result says what it chose): */
	int micro_batches;	/* > 1: gradient accumulation over this many
				   micro-batches of ceil(batch / n) */
	int checkpoint;		/* 1: activation checkpointing */
	enum gpu_shard shard;	/* AUTO: the least sharding that fits */
	int64_t global_batch;	/* > 0: the cluster's batch, shared out over
				   the GPUs (ceil), replacing batch; kept
				   when the state needs more GPUs */
};
void gpu_run_opts_default(struct gpu_run_opts *o);

/* One layer's share of the wall-clock time (the pipeline's critical path
 * attributed to the kernel that extended it). */
struct gpu_layer_result {
	int layer;			/* graph layer id */
	double train_s[PASS_COUNT];	/* fwd, bwd-data, bwd-weight, update */
	double infer_s;
	double by_bound_s[GPU_BOUND_COUNT]; /* training time split by bound */
	enum gpu_bound bound;		/* the largest of by_bound_s */
	int kernels_train, kernels_infer;
	double flops_train;		/* matrix + elementwise, whole batch */
};

struct gpu_pass_result {
	double seconds;		/* wall clock: training step or inference batch */
	double device_busy_s;	/* sum of kernel device times */
	double host_s;		/* sum of host (framework) times */
	double energy_j;	/* whole board, idle included */
	double avg_power_w;
	double flops;
	int kernels;
	double by_bound_s[GPU_BOUND_COUNT];
	enum gpu_bound bound;
};

struct gpu_result {
	struct gpu_pass_result train, infer;
	/* data parallel (n_gpus > 1; zeros otherwise) */
	double allreduce_s;	 /* all-reduce of all gradients, alone */
	double exposed_comm_s;	 /* what data parallelism adds to the step:
				    the sum of the four parts below */
	double ddp_buffer_s;	 /* module buffers (batch-norm statistics)
				    broadcast before each forward */
	double comm_tail_s;	 /* all-reduce still running after backward
				    (the last buckets' exposed tail) */
	double ddp_copy_s;	 /* gradients copied into the buckets (during
				    backward) and back (after the last
				    all-reduce), one kernel per tensor each */
	double contention_s;	 /* compute lost to the collective kernels
				    (SMs, memory bandwidth) while they
				    overlap backward */
	int buckets;		 /* gradient buckets (all-reduces) per step */
	double scaling_efficiency; /* single-GPU step / multi-GPU step */
	double samples_per_s;	 /* whole cluster, training */
	double cluster_energy_j; /* all GPUs, one step */
	int64_t batch;		 /* per GPU */
	int64_t params;
	double train_memory_bytes; /* rough estimate per GPU: weights, grads,
				      optimizer state, saved activations,
				      as the step runs (see fit) */
	double full_memory_bytes; /* the same for the whole batch at once */
	int fits;		 /* full_memory_bytes <= memory.gbytes */
	enum gpu_fit fit;	 /* how the step runs */
	int micro_batches;	 /* GPU_FIT_ACCUMULATE: how many */
	int64_t micro_batch;	 /* ... of this many samples each */
	/* sharded data parallel (gpu_shard.c) */
	int runs;		 /* 0: the step cannot run on any number of
				    these GPUs (why says why): no times */
	char why[400];
	int asked_gpus;		 /* n_gpus asked for */
	int n_gpus;		 /* GPUs the step runs on: more than asked
				    when the state does not fit on those */
	enum gpu_shard shard;	 /* how the state is spread over them */
	double state_bytes;	 /* weights, gradients, optimizer state per
				    GPU, as sharded */
	double shard_comm_s;	 /* ZeRO collectives of a step, alone */
	struct gpu_layer_result *layers; /* n_layers entries, graph order */
	int n_layers;
};
void gpu_result_release(struct gpu_result *r);

/*
 * Estimate a training step (zero_grad, forward, loss, backward, optimizer
 * step) and an inference batch (forward only, no gradients) of `gr` on the
 * GPU described by `g`, with the options in `opts` (batch per GPU, dtype,
 * number of GPUs, eager or graph style, optimizer).  `gr` must be a
 * finished graph (graph_load / graph_finish); its per-sample shapes are
 * read, its costs are not needed.  Fills `out`; the caller releases it
 * with gpu_result_release().  Times in seconds, energy in joules (whole
 * board, idle included, one GPU; cluster_energy_j for all GPUs).
 * Returns 0, or WS_EINPUT with the reason in d (a dtype the model does not
 * support, an op it cannot cost).  A batch that would not fit in device
 * memory is not an error: `fits` says so (the estimate is rough), and with
 * opts->shard AUTO the step runs as a user would run it (sharded state,
 * more GPUs, micro-batches, checkpointing: `shard`, `n_gpus`, `fit`).  A
 * step that cannot run on any number of GPUs is not an error either:
 * `runs` is 0, `why` says why, and there are no times.
 *
 * Example:
 *     struct gpu_run_opts o;
 *     gpu_run_opts_default(&o);
 *     o.batch = 256; o.dtype = DT_BF16;
 *     if (gpu_estimate(&h100, &graph, &o, &r, &d) == 0)
 *         printf("%.3f ms per step\n", r.train.seconds * 1e3);
 */
int gpu_estimate(const struct gpu_spec *g, const struct graph *gr,
		 const struct gpu_run_opts *opts, struct gpu_result *out,
		 struct diag *d);

/* How a step that does not fit runs, in words for reports that print
 * "does not fit " before them: "" when it fits as asked (the batch as is,
 * DDP, the GPUs asked for); else e.g. "on 1 GPU; runs on 2 GPUs with
 * ZeRO-3 (...), 4 micro-batches of 15 per GPU, gradient accumulation" or
 * "3 micro-batches of 342 per GPU, gradient accumulation".  When the step
 * cannot run (r->runs 0): the reason. */
void gpu_plan_words(const struct gpu_result *r, char *buf, size_t n);

const char *gpu_bound_name(enum gpu_bound b);
const char *gpu_style_name(enum gpu_style s);
const char *gpu_math_name(enum gpu_math m);

#endif
