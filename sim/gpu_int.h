/*
 * gpu_int.h: internals of the GPU model shared by sim/gpu_*.c (not an API).
 *
 * A step is a list of kernels in launch order.  Each kernel knows its layer
 * and pass, its work (a GEMM shape, or FLOPs and bytes), and how many
 * framework ops the host spends to launch it (0 for extra launches of the
 * same op).
 */
#ifndef WAFERSIM_GPU_INT_H
#define WAFERSIM_GPU_INT_H

#include "gpu.h"

enum gk_kind { GK_MEM = 0, GK_GEMM, GK_ATTN, GK_SIMT };

struct gpu_kern {
	int layer;		/* graph layer, -1 for step-level kernels */
	int pass;		/* enum pass */
	enum gk_kind kind;
	enum gpu_math math;	/* GEMM / ATTN / SIMT */
	int64_t m, n, k, batch; /* GEMM / ATTN shape */
	int elem_bytes;
	int aligned;		/* GEMM: row strides 16-byte aligned */
	double flops, bytes;
	int host_ops;		/* framework ops charged on the host */
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

/* Parameters layer l owns (0 if it has none or uses another's). */
int64_t gpu_layer_params(const struct graph *gr, int l);

/* Device time of one kernel (fills dev_s, work_s, mem_bound). */
void gpu_kern_time(const struct gpu_spec *g, struct gpu_kern *k);

#endif
