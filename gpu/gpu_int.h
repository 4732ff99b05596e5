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

/* Training memory in parts: weights, gradients and optimizer state;
 * saved activations per sample; layers that save them. */
void gpu_train_memory_split(const struct graph *gr,
			    const struct gpu_run_opts *o, double *state,
			    double *acts_per_sample, int *act_layers);
/* Rough training memory: weights, gradients, optimizer state, saved
 * activations (no workspaces, no allocator slack). */
double gpu_train_memory_bytes(const struct graph *gr,
			      const struct gpu_run_opts *o);

/* Device time of one kernel (fills dev_s, work_s, mem_bound). */
void gpu_kern_time(const struct gpu_spec *g, struct gpu_kern *k);

#endif
