/*
 * gpu_profile.h: the GPU model's kernels against a measured per-kernel
 * profile.
 *
 * `tools/measure_gpu.py --profile` runs each measured configuration under
 * PyTorch's profiler and writes profile.jsonl: one row per network,
 * batch, precision and phase ("train": one training step, "infer": one
 * forward under no_grad) with every CUDA kernel's name, calls and device
 * time per step ("kernels": [{"name", "calls", "device_us"}]).  The check
 * sorts the kernels by kind (GEMM, attention, convolution, memory: the
 * model's kinds, docs/gpu.md section 1) by their names and sets each
 * kind's measured calls and device time against the model's: where a
 * whole-step error comes from, on any network a user profiles.
 */
#ifndef WAFERSIM_GPU_PROFILE_H
#define WAFERSIM_GPU_PROFILE_H

#include <stdio.h>

#include "gpu/gpu.h"
#include "gpu/gpu_validate.h"

enum gpu_pkind { GPU_PK_GEMM = 0, GPU_PK_ATTN, GPU_PK_CONV, GPU_PK_MEM,
		 GPU_PK_COUNT };

/* "gemm", "attention", "convolution", "memory". */
const char *gpu_pkind_name(enum gpu_pkind k);

/* The kind of a CUDA kernel by its name as PyTorch's profiler records it
 * (cuBLAS, CUTLASS, cuDNN and ATen kernel names; docs/gpu.md, "Profiles"). */
enum gpu_pkind gpu_pkind_of(const char *kernel_name);

struct gpu_prof_row {
	struct gpu_val_row id;	/* model, batch, precision, line, skipped */
	int train;		/* phase: 1 training step, 0 inference */
	double meas_n[GPU_PK_COUNT], meas_s[GPU_PK_COUNT]; /* per step */
	double pred_n[GPU_PK_COUNT], pred_s[GPU_PK_COUNT];
};

struct gpu_prof {
	char *file;
	struct gpu_prof_row *rows;
	int n, n_compared, n_skipped;
};

/* Compare every row of a profile file (text already read; `path` names
 * it and is the folder of "network_file"s).  WS_EINPUT when it is not
 * JSON lines or holds no row; a row that cannot be compared is kept with
 * the reason, located (file:line:col). */
int gpu_profile_text(const struct gpu_spec *g, const char *path,
		     const char *text, size_t len,
		     const char *const *nets_dirs, int n_dirs,
		     struct gpu_prof *p, struct diag *d);
/* The same from a file (WS_EIO if it cannot be read). */
int gpu_profile_file(const struct gpu_spec *g, const char *path,
		     const char *const *nets_dirs, int n_dirs,
		     struct gpu_prof *p, struct diag *d);
void gpu_prof_release(struct gpu_prof *p);

/* The table: per row and kind, kernels and device ms measured against
 * modelled, then the rows not compared and why. */
void gpu_prof_print(const struct gpu_prof *p, FILE *out);

#endif
