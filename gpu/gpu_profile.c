/*
 * gpu_profile.c: the model's kernels against a measured per-kernel
 * profile, by kind of kernel (gpu_profile.h; docs/gpu.md, "Profiles").
 */
#include "gpu/gpu_profile.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ground/util.h"
#include "gpu/gpu_int.h"
#include "gpu/gpu_validate_int.h"

const char *gpu_pkind_name(enum gpu_pkind k)
{
	static const char *const names[] = {"gemm", "attention",
					    "convolution", "memory"};
	return (unsigned)k < GPU_PK_COUNT ? names[k] : "?";
}

/*
 * Kernel names, first rule that matches (case-insensitive substrings).
 * Attention first: its CUTLASS and cuDNN kernels carry "cutlass" and
 * "sm90" too (PyTorch's `fmha_cutlassF_*`, `pytorch_flash::flash_fwd_*`,
 * cuDNN's `cudnn_generated_fort_native_sdpa_*`).  Convolutions next:
 * cuDNN's implicit GEMMs say "gemm" too (`sm80_xmma_fprop_implicit_gemm_*`,
 * `*_dgrad_*`, `*_wgrad_*`, `implicit_convolve_sgemm`, `scudnn_*`,
 * winograd and FFT engines) and PyTorch's own depthwise and grouped
 * kernels (`conv_depthwise2d_*`, `conv_depthwise3d_*`).  The layout
 * transposes around them (`nchwToNhwcKernel`) move memory.  Then the
 * GEMMs: cuBLAS's (`sm90_xmma_gemm_*`, `nvjet_*`, `ampere_sgemm_*`,
 * `gemv2T_kernel`, `splitKreduce_kernel`) and CUTLASS's
 * (`cutlass_80_wmma_tensorop_bf16_s161616gemm_*`).  Everything else
 * (ATen's elementwise, reduction, norm, softmax, index and optimizer
 * kernels, cuDNN's batch norm, copies and sets) is memory.
 */
static const struct {
	const char *sub;
	enum gpu_pkind kind;
} kind_rules[] = {
	{"fmha", GPU_PK_ATTN},
	{"flash", GPU_PK_ATTN},
	{"sdpa", GPU_PK_ATTN},
	{"attention", GPU_PK_ATTN},
	{"nchwtonhwc", GPU_PK_MEM},
	{"nhwctonchw", GPU_PK_MEM},
	{"fprop", GPU_PK_CONV},
	{"dgrad", GPU_PK_CONV},
	{"wgrad", GPU_PK_CONV},
	{"convolve", GPU_PK_CONV},
	{"conv_depthwise", GPU_PK_CONV},
	{"conv2d", GPU_PK_CONV},
	{"conv3d", GPU_PK_CONV},
	{"scudnn", GPU_PK_CONV},
	{"winograd", GPU_PK_CONV},
	{"gemm", GPU_PK_GEMM},
	{"gemv", GPU_PK_GEMM},
	{"nvjet", GPU_PK_GEMM},
	{"splitkreduce", GPU_PK_GEMM},
	{"cutlass", GPU_PK_GEMM},
	{"cublas", GPU_PK_GEMM},
};

/* 1 if `sub` (lower case) occurs in s, ignoring case. */
static int has_sub(const char *s, const char *sub)
{
	size_t n = strlen(sub);
	for (; *s; s++) {
		size_t i = 0;
		while (i < n && s[i] &&
		       tolower((unsigned char)s[i]) == (unsigned char)sub[i])
			i++;
		if (i == n)
			return 1;
	}
	return 0;
}

enum gpu_pkind gpu_pkind_of(const char *kernel_name)
{
	for (size_t i = 0; i < ARRAY_SIZE(kind_rules); i++)
		if (has_sub(kernel_name, kind_rules[i].sub))
			return kind_rules[i].kind;
	return GPU_PK_MEM;
}

/* The kind a model kernel would show under in a profile: PyTorch's own
 * depthwise kernels (docs/gpu.md 7.2) are modelled as bound by elements
 * per thread (GK_MEM) but are convolutions by name. */
static int model_kind(const struct graph *gr, const struct gpu_kern *k)
{
	switch (k->kind) {
	case GK_GEMM:
	case GK_SIMT:
		return GPU_PK_GEMM;
	case GK_ATTN:
		return GPU_PK_ATTN;
	case GK_CONV:
		return GPU_PK_CONV;
	case GK_MEM:
		if (k->layer >= 0 && k->flops > 0 &&
		    gr->layers[k->layer].op == OP_CONV)
			return GPU_PK_CONV;
		return GPU_PK_MEM;
	case GK_HOST:
		break;
	}
	return -1;
}

/* The model's kernels of the row's phase, summed by kind. */
static void predict(const struct gpu_spec *g, const struct graph *gr,
		    const struct gpu_run_opts *o, struct gpu_prof_row *r)
{
	struct gpu_klist kl;
	int64_t params = 0;
	struct diag dd;
	diag_init(&dd);
	if (gpu_kernels(g, gr, o, r->train, &kl, &params, &dd)) {
		r->id.skipped = xstrdup(diag_count(&dd) && diag_text(&dd, 0)
						? diag_text(&dd, 0)
						: "model failed");
		diag_release(&dd);
		return;
	}
	diag_release(&dd);
	for (int i = 0; i < kl.n; i++) {
		int kk = model_kind(gr, &kl.k[i]);
		if (kk < 0)
			continue;
		r->pred_n[kk] += 1;
		r->pred_s[kk] += kl.k[i].dev_s;
	}
	gpu_klist_release(&kl);
}

/* The measured kernels of a row, summed by kind: NULL, or why not (and
 * *key the field to point at). */
static char *measured(const json_t *row, struct gpu_prof_row *r,
		      const char **key)
{
	const char *phase = ws_json_str_at(row, "phase");
	*key = "phase";
	if (!phase || (strcmp(phase, "train") && strcmp(phase, "infer")))
		return xasprintf("'phase' must be \"train\" or \"infer\", "
				 "got %s", phase ? phase : "nothing");
	r->train = !strcmp(phase, "train");
	*key = "kernels";
	const json_t *ks = json_object_get(row, "kernels");
	if (!json_is_array(ks))
		return xasprintf("'kernels' must be a list of {\"name\", "
				 "\"calls\", \"device_us\"}, got %s",
				 ws_json_kind(ks));
	size_t i;
	const json_t *k;
	json_array_foreach(ks, i, k) {
		const char *name = ws_json_str_at(k, "name");
		double calls, us;
		if (!name || !ws_json_num_at(k, "calls", &calls) ||
		    !ws_json_num_at(k, "device_us", &us) || !(calls >= 0) ||
		    !(us >= 0) || !isfinite(calls) || !isfinite(us))
			return xasprintf("'kernels' entry %zu must have a "
					 "string 'name' and numbers 'calls' "
					 "and 'device_us' >= 0 (per step)",
					 i + 1);
		enum gpu_pkind kk = gpu_pkind_of(name);
		r->meas_n[kk] += calls;
		r->meas_s[kk] += us * 1e-6;
	}
	return NULL;
}

int gpu_profile_text(const struct gpu_spec *g, const char *path,
		     const char *text, size_t len,
		     const char *const *nets_dirs, int n_dirs,
		     struct gpu_prof *p, struct diag *d)
{
	struct gpu_jsonl jl;
	memset(p, 0, sizeof(*p));
	int rc = gpu_val_jsonl_rows(path, text, len,
				    "profile rows (tools/measure_gpu.py "
				    "--profile)", &jl, d);
	if (rc)
		return rc;
	p->file = xstrdup(path);
	p->rows = xcalloc(jl.n, sizeof(*p->rows));
	struct gpu_net_cache cache = {NULL, 0};
	for (size_t i = 0; i < jl.n; i++) {
		struct gpu_prof_row *r = &p->rows[p->n++];
		struct gpu_run_opts o;
		const struct graph *rg;
		const char *key;
		r->id.line = jl.line_of[i];
		if (gpu_val_row_setup(path, text, len, jl.rows[i], NULL,
				      nets_dirs, n_dirs, &cache, &r->id, &o,
				      &rg))
			continue;
		r->id.skipped = measured(jl.rows[i], r, &key);
		if (!r->id.skipped)
			predict(g, rg, &o, r);
		else
			gpu_val_locate(&r->id, path, text, len, key);
	}
	for (int i = 0; i < p->n; i++) {
		if (p->rows[i].id.skipped)
			p->n_skipped++;
		else
			p->n_compared++;
	}
	gpu_net_cache_release(&cache);
	gpu_jsonl_release(&jl);
	return WS_OK;
}

int gpu_profile_file(const struct gpu_spec *g, const char *path,
		     const char *const *nets_dirs, int n_dirs,
		     struct gpu_prof *p, struct diag *d)
{
	char *text;
	size_t len;
	memset(p, 0, sizeof(*p));
	int rc = read_file(path, &text, &len, d);
	if (rc)
		return rc;
	rc = gpu_profile_text(g, path, text, len, nets_dirs, n_dirs, p, d);
	free(text);
	return rc;
}

void gpu_prof_release(struct gpu_prof *p)
{
	for (int i = 0; i < p->n; i++)
		free(p->rows[i].id.skipped);
	free(p->rows);
	free(p->file);
	memset(p, 0, sizeof(*p));
}

static void prof_line(FILE *out, const char *head, const char *kind,
		      double mn, double pn, double ms, double ps)
{
	fprintf(out, "%-36s | %-11s %8.1f %8.0f | %9.3f %9.3f ", head, kind,
		mn, pn, ms * 1e3, ps * 1e3);
	if (ms > 0)
		fprintf(out, "%+6.0f%%\n", 100 * (ps / ms - 1));
	else
		fprintf(out, "%7s\n", "-");
}

void gpu_prof_print(const struct gpu_prof *p, FILE *out)
{
	fprintf(out, "profile: %s\n", p->file);
	fprintf(out, "%-36s | %-11s %8s %8s | %9s %9s %7s\n",
		"network      batch prec  phase", "kind", "kernels", "model",
		"dev ms", "model", "err");
	for (int i = 0; i < p->n; i++) {
		const struct gpu_prof_row *r = &p->rows[i];
		if (r->id.skipped)
			continue;
		char head[128];
		snprintf(head, sizeof(head), "%-12s %6lld %-5s %-5s",
			 r->id.model, (long long)r->id.batch, r->id.precision,
			 r->train ? "train" : "infer");
		double mn = 0, pn = 0, ms = 0, ps = 0;
		for (int k = 0; k < GPU_PK_COUNT; k++) {
			prof_line(out, k ? "" : head, gpu_pkind_name(k),
				  r->meas_n[k], r->pred_n[k], r->meas_s[k],
				  r->pred_s[k]);
			mn += r->meas_n[k];
			pn += r->pred_n[k];
			ms += r->meas_s[k];
			ps += r->pred_s[k];
		}
		prof_line(out, "", "all", mn, pn, ms, ps);
	}
	for (int i = 0; i < p->n; i++)
		if (p->rows[i].id.skipped)
			fprintf(out, "not compared: line %d (%s, batch %lld, "
				     "%s): %s\n", p->rows[i].id.line,
				p->rows[i].id.model,
				(long long)p->rows[i].id.batch,
				p->rows[i].id.precision, p->rows[i].id.skipped);
	fprintf(out, "rows: %d compared, %d not compared\n", p->n_compared,
		p->n_skipped);
}
