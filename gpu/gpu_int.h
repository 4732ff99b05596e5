/*
 * gpu_int.h: internals of the GPU model shared by gpu/gpu_*.c (not an API).
 *
 * A step is a list of kernels in launch order.  Each kernel knows its layer
 * and pass, its work (a GEMM shape, or FLOPs and bytes), and how many
 * framework ops the host spends to launch it (0 for extra launches of the
 * same op).
 */
#ifndef WAFERSIM_GPU_INT_H
#define WAFERSIM_GPU_INT_H

#include "gpu/gpu.h"

/* Host cost of launching a kernel in eager mode. */
enum gpu_host {
	HOST_NONE = 0,	/* launched inside another op (cuDNN helpers, extra
			   foreach chunks): no framework op of its own */
	HOST_PY,	/* a Python-level op (module or functional call) */
	HOST_CPP	/* issued from C++: autograd backward, autocast casts,
			   optimizer foreach ops, helpers inside an op */
};

enum gk_kind { GK_MEM = 0, GK_GEMM, GK_CONV, GK_ATTN, GK_SIMT,
	       GK_HOST /* a framework op that launches nothing (a view) */ };

struct gpu_kern {
	int layer;		/* graph layer, -1 for step-level kernels */
	int pass;		/* enum pass */
	enum gk_kind kind;
	enum gpu_math math;	/* GEMM / ATTN / SIMT */
	int64_t m, n, k, batch; /* GEMM / ATTN shape */
	int elem_bytes;
	int aligned;		/* GEMM: row strides 16-byte aligned */
	double flops, bytes;
	int mma_passes;		/* GEMM/ATTN: tensor-core passes per multiply
				   (3 for fp32 emulated by 3 x TF32) */
	/* latency-bound kernels (GK_MEM): */
	double elem_loads;	/* element loads, one in flight per thread,
				   all resident threads busy */
	double blocks;		/* per-channel thread blocks, each sweeping */
	double block_loads;	/* ... this many element loads */
	int block_threads;	/* ... with this many threads */
	enum gpu_host host;	/* what the host spends to launch it */
	int cudnn_sdpa;		/* ATTN: cuDNN's SDPA runs it (cudnn_sdpa_us
				   more host time in eager mode) */
	/* filled by the timing pass */
	double dev_s, work_s;
	int mem_bound;
};

struct gpu_klist {
	struct gpu_kern *k;
	int n, cap;
};

/* Build the kernels of a training step (train = 1) or of an inference
 * batch (train = 0).  0 or WS_EINPUT. */
int gpu_kernels(const struct gpu_spec *g, const struct graph *gr,
		const struct gpu_run_opts *o, int train, struct gpu_klist *kl,
		int64_t *params, struct diag *d);
void gpu_klist_release(struct gpu_klist *kl);

/* 1 when the step zeroes gradients (and so accumulates into them). */
int gpu_zeroes_grads(const struct gpu_run_opts *o);

/* Parameters layer l owns (0 if it has none or uses another's). */
int64_t gpu_layer_params(const struct graph *gr, int l);
/* ... and in how many tensors (weight, bias, ...). */
int gpu_layer_param_tensors(const struct graph *gr, int l);

/* Training memory in parts (bytes, one GPU, nothing sharded). */
struct gpu_mem {
	double weights;		/* fp32 weights (+ 16-bit copies, autocast) */
	double grads;		/* fp32 gradients */
	double optim;		/* optimizer state (0, 1, 2 words/param) */
	double params;
	double unit_params;	/* the largest layer's parameters */
	double acts_per_sample;	/* saved activations of one sample */
	int act_layers;		/* layers that save them */
};
void gpu_train_memory_split(const struct graph *gr,
			    const struct gpu_run_opts *o, struct gpu_mem *m);
/* Rough training memory per GPU as `o` runs (its batch, checkpointing,
 * sharding over o->n_gpus): weights, gradients, optimizer state, saved
 * activations (no workspaces, no allocator slack).  gpu_shard.c. */
double gpu_train_memory_bytes(const struct graph *gr,
			      const struct gpu_run_opts *o);

/* ZeRO/FSDP (gpu_shard.c). */
/* Ring all-reduce of `bytes` over n GPUs (NCCL); *busbw_out (may be
 * NULL) gets the bus bandwidth it achieves, bytes/s.  A ring
 * reduce-scatter or all-gather of the same bytes takes half. */
double gpu_allreduce_s(const struct gpu_spec *g, int n, double bytes,
		       double *busbw_out);
/* Weights, gradients and optimizer state per GPU under sharding s over
 * n GPUs (DDP / AUTO: nothing sharded). */
double gpu_shard_state_bytes(const struct gpu_mem *m, enum gpu_shard s,
			     int n);
/* Saved activations of one sample with checkpointing (ck) or not. */
double gpu_acts_per_sample(const struct gpu_mem *m, int ck);
/* The fewest GPUs, at least n, on which the state of some sharding and
 * one checkpointed sample fit; 0 when no number does. */
int gpu_shard_gpus(const struct gpu_spec *g, const struct gpu_mem *m,
		   int n);
/* What the ZeRO collectives add to a step of o (stages 1-3, n_gpus > 1)
 * whose forward and backward take fwd_s and bwd_s (all micro-batches):
 * fills the data-parallel fields of out, returns the exposed time. */
/* What ZeRO-3's weight all-gather adds to an inference batch whose
 * forward takes fwd_s (0 for other shardings or one GPU). */
double gpu_shard_infer_comm(const struct gpu_spec *g, const struct graph *gr,
			    const struct gpu_run_opts *o, double fwd_s);
double gpu_shard_comm(const struct gpu_spec *g, const struct graph *gr,
		      const struct gpu_run_opts *o, double fwd_s,
		      double bwd_s, struct gpu_result *out);

/* Rate / peak of cuBLAS's unaligned fallback for GEMM k: from L2 or
 * from device memory (7.8). */
double gpu_unaligned_fraction(const struct gpu_spec *g,
			      const struct gpu_kern *k);
/* ... and its rate (FLOP/s) for the shape of k: its own tiles, no
 * split-K (7.8). */
double gpu_unaligned_rate(const struct gpu_spec *g, const struct gpu_kern *k);

/* Share of the memory power that device memory draws (hbm_pj_per_bit;
 * 0 when not given). */
double gpu_hbm_share(const struct gpu_spec *g);

/* Device time of one kernel (fills dev_s, work_s, mem_bound). */
void gpu_kern_time(const struct gpu_spec *g, struct gpu_kern *k);

#endif
