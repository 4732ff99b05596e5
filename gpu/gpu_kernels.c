/*
 * gpu_kernels.c: the kernels an eager framework (PyTorch) launches for a
 * graph, and the device time of one kernel.
 *
 * What each op launches follows PyTorch 2.x eager on CUDA (cuBLAS for
 * dense and matmul, cuDNN for convolution and batch norm, fused
 * scaled-dot-product attention, foreach optimizers); docs/gpu.md lists it.
 * Autocast (bf16/fp16): matrix ops run in low precision and cast their
 * fp32 inputs (weights once per step, cached), fp32-list ops (softmax,
 * layer norm, losses) cast low-precision inputs back; every cast of a
 * tensor that needs a gradient has a cast kernel in backward too.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/gpu_int.h"
#include "ground/util.h"

/* ---- device time of one kernel ------------------------------------------ */

static double peak_flops(const struct gpu_spec *g, enum gpu_math m)
{
	return g->peak_tflops[m] * 1e12;
}

double gpu_mem_seconds(const struct gpu_spec *g, double bytes)
{
	return bytes / (g->mem_bandwidth_gbytes_s * 1e9 * g->calib.mem_fraction);
}

static double ceil_div(double a, double b)
{
	return ceil(a / b);
}

/* Filled share of one dimension of `size` on the best tile height cuBLAS
 * has between 32 and `tile` (its SIMT kernels come in 32-, 64- and
 * 128-row tiles: ampere_sgemm_32x128, _64x64, _128x128, ...). */
static double tile_fill_1d(int64_t size, int64_t tile)
{
	double best = 1;
	if (size <= 0)
		return 1;
	for (int64_t t = tile; t >= 1; t /= 2) {
		double f = (double)size / (ceil_div((double)size, (double)t) *
					   (double)t);
		if (t == tile || f > best)
			best = f;
		if (t <= 32)
			break;
	}
	return best;
}

/* Share of a thread block's output tile that holds real rows and columns:
 * a GEMM of m rows on t-row tiles computes ceil(m / t) x t rows, with t
 * the best cuBLAS tile height between 32 and tile_m.  The fp32 (SIMT) path pays for the empty part: its thread blocks
 * run every row of the tile. */
double gpu_tile_fill(const struct gpu_spec *g, int64_t m, int64_t n)
{
	const struct gpu_calib *c = &g->calib;
	return tile_fill_1d(m, c->tile_m) * tile_fill_1d(n, c->tile_n);
}

/* Share of the SMs' rate that `batch` m x n x k GEMMs on tm x tn output
 * tiles reach: the share of SMs the output tiles keep busy in their last
 * wave (split-K first spreads a small output over idle SMs), times the
 * pipeline efficiency of the reduction depth each tile sees. */
static double tiled_eff(const struct gpu_spec *g, int64_t m, int64_t n,
			int64_t k, int64_t batch, double tm, double tn)
{
	const struct gpu_calib *c = &g->calib;
	double tiles = ceil_div((double)m, tm) * ceil_div((double)n, tn) *
		       (double)batch;
	double sms = (double)g->sms, split = 1;
	if (tiles < sms) {
		split = floor(sms / tiles);
		double by_k = floor((double)k / c->split_k_min);
		if (by_k < split)
			split = by_k;
		if (split < 1)
			split = 1;
	}
	double kp = (double)k / split, t = tiles * split;
	double waves = ceil_div(t, sms);
	return t / (waves * sms) * (kp / (kp + c->k_half));
}

/* Rate of `batch` m x n x k GEMMs on tm x tn output tiles: the
 * large-GEMM fraction of peak times tiled_eff; on the fp32 (SIMT) path
 * times the filled share of the tiles. */
static double tiled_rate(const struct gpu_spec *g, enum gpu_math math,
			 int64_t m, int64_t n, int64_t k, int64_t batch,
			 double tm, double tn)
{
	const struct gpu_calib *c = &g->calib;
	double frac = math == GPU_MATH_FP32 ? c->gemm_fraction_fp32
					    : c->gemm_fraction_tensor;
	double fill = math == GPU_MATH_FP32 ? gpu_tile_fill(g, m, n) : 1;
	return peak_flops(g, math) * frac *
	       tiled_eff(g, m, n, k, batch, tm, tn) * fill;
}

/* Achieved rate of `batch` m x n x k GEMMs (tiled_rate on tile_m x
 * tile_n).  cuBLAS's heuristics choose the tile per shape: larger tiles
 * reuse more data, smaller ones make more tiles and lose less of the last
 * wave (NVIDIA, "Matrix Multiplication Background User's Guide", 2.3 and
 * 3.2).  Its fp32 (SIMT) kernels come as 128 x 128, 128 x 64 and 64 x 128
 * tiles (ampere_sgemm_128x128_*, _128x64_*, ...): when the large tiles
 * fill more than the SMs (no split-K) a half tile at half_tile_fraction
 * of the rate runs instead if it loses less. */
double gpu_gemm_rate(const struct gpu_spec *g, enum gpu_math math, int64_t m,
		     int64_t n, int64_t k, int64_t batch)
{
	const struct gpu_calib *c = &g->calib;
	if (m <= 0 || n <= 0 || k <= 0 || batch <= 0)
		return peak_flops(g, math);
	double tm = (double)c->tile_m, tn = (double)c->tile_n;
	double r = tiled_rate(g, math, m, n, k, batch, tm, tn);
	double tiles = ceil_div((double)m, tm) * ceil_div((double)n, tn) *
		       (double)batch;
	if (math != GPU_MATH_FP32 || c->half_tile_fraction <= 0 ||
	    tiles < g->sms)
		return r;
	double f = c->half_tile_fraction;
	double wide = f * tiled_rate(g, math, m, n, k, batch, tm, tn / 2);
	double tall = f * tiled_rate(g, math, m, n, k, batch, tm / 2, tn);
	if (wide > r)
		r = wide;
	return tall > r ? tall : r;
}

double gpu_gemm_seconds(const struct gpu_spec *g, enum gpu_math math,
			int64_t m, int64_t n, int64_t k, int64_t batch,
			int elem_bytes)
{
	double flops = 2.0 * (double)m * (double)n * (double)k * (double)batch;
	double bytes = ((double)m * k + (double)k * n + (double)m * n) *
		       elem_bytes * (double)batch;
	double t_math = flops / gpu_gemm_rate(g, math, m, n, k, batch);
	double t_mem = gpu_mem_seconds(g, bytes);
	return t_math > t_mem ? t_math : t_mem;
}

/* Time of loads that are bound by latency, not bandwidth: each thread
 * keeps one element load in flight (the value is used before the next
 * load is issued), so a set of resident threads moves threads / latency
 * elements per second (Little's law).
 *  - elem_loads over the whole GPU: every SM full (threads_per_sm);
 *  - per-channel blocks (PyTorch's batch-norm statistics, depthwise
 *    weight gradient): each block sweeps block_loads with block_threads
 *    threads; the blocks run in waves of sms x (threads_per_sm /
 *    block_threads) resident blocks. */
double gpu_latency_seconds(const struct gpu_spec *g, double elem_loads,
			   double blocks, double block_loads, int block_threads)
{
	double lat = g->calib.mem_latency_ns * 1e-9, t = 0;
	if (elem_loads > 0)
		t = elem_loads * lat / ((double)g->sms * g->threads_per_sm);
	if (blocks > 0 && block_threads > 0) {
		double per_sm = floor((double)g->threads_per_sm /
				      block_threads);
		if (per_sm < 1)
			per_sm = 1;
		double waves = ceil_div(blocks, (double)g->sms * per_sm);
		double tb = waves * ceil_div(block_loads, block_threads) * lat;
		if (tb > t)
			t = tb;
	}
	return t;
}

/* cuBLAS's fallback for unaligned operands (7.8) computes small tiles
 * and loads their operands in narrow pieces, again for every tile: from
 * L2 when the operands fit there, from device memory when they do not
 * (or when the GPU file gives no L2 size), which lowers the rate it
 * reaches. */
double gpu_unaligned_fraction(const struct gpu_spec *g,
			      const struct gpu_kern *k)
{
	if (k->bytes <= g->l2_mbytes * 1e6)
		return g->calib.unaligned_fraction;
	return g->calib.unaligned_fraction_dram;
}

/* Rate of cuBLAS's unaligned fallback for GEMM k (7.8): CUTLASS align1
 * kernels on unaligned_tile-square output tiles, tiled as section 2 says
 * (waves, split-K, reduction depth), and a partly filled tile computes its
 * empty rows too; unaligned_fraction(_dram) x peak is their rate on full
 * tiles in full waves. */
double gpu_unaligned_rate(const struct gpu_spec *g, const struct gpu_kern *k)
{
	double r = peak_flops(g, k->math) * gpu_unaligned_fraction(g, k);
	double t = (double)g->calib.unaligned_tile;
	if (t <= 0 || k->m <= 0 || k->n <= 0 || k->k <= 0 || k->batch <= 0)
		return r;
	double tm = ceil_div((double)k->m, t), tn = ceil_div((double)k->n, t);
	double fill = (double)k->m / (tm * t) * ((double)k->n / (tn * t));
	return r * fill * tiled_eff(g, k->m, k->n, k->k, k->batch, t, t);
}

static double matrix_seconds(const struct gpu_spec *g,
			     const struct gpu_kern *k)
{
	double rate = gpu_gemm_rate(g, k->math, k->m, k->n, k->k, k->batch);
	if (k->kind == GK_ATTN)
		rate *= g->calib.attn_fraction;
	if (k->kind == GK_CONV)
		rate *= g->calib.conv_fraction;
	if (!k->aligned && k->math != GPU_MATH_FP32) {
		double cap = gpu_unaligned_rate(g, k);
		if (rate > cap)
			rate = cap;
	}
	if (k->mma_passes > 1)
		rate /= k->mma_passes;
	return k->flops / rate;
}

void gpu_kern_time(const struct gpu_spec *g, struct gpu_kern *k)
{
	double t_math = 0, t_mem = gpu_mem_seconds(g, k->bytes);
	switch (k->kind) {
	case GK_GEMM:
	case GK_CONV:
	case GK_ATTN:
		t_math = matrix_seconds(g, k);
		break;
	case GK_SIMT:
		t_math = k->flops / (peak_flops(g, GPU_MATH_FP32) *
				     g->calib.gemm_fraction_fp32);
		break;
	case GK_MEM: {
		/* elementwise math is far below the memory time on any GPU;
		 * latency-bound loads count as memory time */
		double t_lat = gpu_latency_seconds(g, k->elem_loads, k->blocks,
						   k->block_loads,
						   k->block_threads);
		if (t_lat > t_mem)
			t_mem = t_lat;
		break;
	}
	case GK_HOST:
		k->mem_bound = 0;
		k->work_s = k->dev_s = 0;
		return;
	}
	k->mem_bound = t_mem >= t_math;
	k->work_s = k->mem_bound ? t_mem : t_math;
	k->dev_s = g->kernel_us * 1e-6 + k->work_s;
}

/* ---- the kernels of a graph --------------------------------------------- */

struct build {
	const struct gpu_spec *g;
	const struct graph *gr;
	const struct gpu_run_opts *o;
	struct gpu_klist *kl;
	int train, amp;
	int zero_grads;	  /* gradients zeroed, not set to None */
	int accumulate;	  /* this backward adds into existing gradients */
	int64_t B;
	int *tbytes;	  /* runtime element bytes per tensor */
	int *req;	  /* tensor needs a gradient */
	int *consumers;	  /* consumers that send a gradient back */
	int64_t params, param_tensors;
	struct diag *d;
};

static int64_t elems(const struct tensor *t)
{
	int64_t n = 1;
	for (int i = 0; i < t->rank; i++)
		n *= t->dims[i];
	return n;
}

static struct gpu_kern *add(struct build *b, int layer, int pass,
			    enum gk_kind kind, double flops, double bytes)
{
	struct gpu_klist *kl = b->kl;
	if (kl->n == kl->cap) {
		kl->cap = kl->cap ? 2 * kl->cap : 256;
		kl->k = xrealloc(kl->k, (size_t)kl->cap * sizeof(*kl->k));
	}
	struct gpu_kern *k = &kl->k[kl->n++];
	memset(k, 0, sizeof(*k));
	k->layer = layer;
	k->pass = pass;
	k->kind = kind;
	k->flops = flops;
	k->bytes = bytes;
	k->host = pass == PASS_FWD ? HOST_PY : HOST_CPP;
	k->batch = 1;
	k->aligned = 1;
	k->mma_passes = 1;
	return k;
}

static void mem(struct build *b, int layer, int pass, double bytes)
{
	add(b, layer, pass, GK_MEM, 0, bytes);
}

/* A framework op that only makes a view: host time, no kernel. */
static void view(struct build *b, int layer, int pass)
{
	add(b, layer, pass, GK_HOST, 0, 0);
}

/* A kernel the framework issues from C++ within a forward op. */
static void cpp(struct build *b, int layer, int pass, double bytes)
{
	add(b, layer, pass, GK_MEM, 0, bytes)->host = HOST_CPP;
}

static enum gpu_math mat_math(const struct build *b, int conv)
{
	if (b->o->dtype == DT_BF16)
		return GPU_MATH_BF16;
	if (b->o->dtype == DT_FP16)
		return GPU_MATH_FP16;
	/* PyTorch defaults: cuDNN convolutions in TF32, matmuls in fp32 */
	return conv ? GPU_MATH_TF32 : GPU_MATH_FP32;
}

static void gemm(struct build *b, int layer, int pass, int conv, int64_t m,
		 int64_t n, int64_t k, int64_t batch)
{
	int eb = b->amp ? 2 : 4;
	double bytes = ((double)m * k + (double)k * n + (double)m * n) * eb *
		       (double)batch;
	struct gpu_kern *x = add(b, layer, pass, GK_GEMM,
				 2.0 * (double)m * n * k * batch, bytes);
	x->math = mat_math(b, conv);
	x->m = m;
	x->n = n;
	x->k = k;
	x->batch = batch;
	x->elem_bytes = eb;
	int align = 16 / eb;
	/* cuBLAS row strides are k and n (either operand order); cuDNN pads
	 * channels itself */
	x->aligned = conv || (k % align == 0 && n % align == 0);
}

/* cuBLAS's fast tensor-core kernels need every operand's leading
 * dimension to be a multiple of 16 bytes, else it falls back to slow
 * kernels.  The leading dimensions of a layer's GEMMs are the feature
 * sizes of its stored tensors, the same in every pass: a dense layer's X
 * (B x in), W (out x in) and Y (B x out), and their gradients, have in
 * and out; a matmul's A (m x k), B (k x n) and C (m x n) have k and n.
 * The batch and m are never leading dimensions (a weight gradient's
 * reduction runs over the batch, but its operands keep their strides),
 * so the alignment of the last GEMM added is set from the layer's two. */
static void gemm_lds(struct build *b, int64_t ld1, int64_t ld2)
{
	struct gpu_kern *x = &b->kl->k[b->kl->n - 1];
	int align = 16 / x->elem_bytes;
	x->aligned = ld1 % align == 0 && ld2 % align == 0;
}

/* A convolution as an implicit GEMM (`batch` groups of m x n x k): the
 * GEMM's shape sets the rate, but the im2col matrix is never stored, so
 * memory traffic is the two activation tensors (a_bytes, b_bytes) and
 * the weights.
 * Layout: PyTorch's default layout is channels-first (NCHW); cuDNN's
 * tensor-core implicit GEMMs (TF32, bf16, fp16) read channels-last
 * (NHWC), so cuDNN transposes both activation operands into NHWC and back
 * (its nchwToNhwc / nhwcToNchw kernels): one read and one write of each,
 * two kernels. */
static void conv_gemm(struct build *b, int layer, int pass, int64_t m,
		      int64_t n, int64_t k, int64_t batch, double a_bytes,
		      double b_bytes, int64_t params)
{
	gemm(b, layer, pass, 1, m, n, k, batch);
	struct gpu_kern *x = &b->kl->k[b->kl->n - 1];
	x->bytes = a_bytes + b_bytes + (double)params * x->elem_bytes;
	x->kind = GK_CONV;
	if (x->math != GPU_MATH_FP32) {
		mem(b, layer, pass, 2 * a_bytes);
		b->kl->k[b->kl->n - 1].host = HOST_NONE;
		mem(b, layer, pass, 2 * b_bytes);
		b->kl->k[b->kl->n - 1].host = HOST_NONE;
	}
}

static double abytes(const struct build *b, int t)
{
	return (double)elems(&b->gr->tensors[t]) * (double)b->B *
	       b->tbytes[t];
}

enum cls { CLS_MATRIX, CLS_FP32, CLS_PASS };

static enum cls op_class(enum op_kind op)
{
	switch (op) {
	case OP_DENSE:
	case OP_MATMUL:
	case OP_CONV:
	case OP_CONV_TRANSPOSE:
	case OP_ATTENTION: return CLS_MATRIX;
	case OP_SOFTMAX:
	case OP_LAYERNORM:
	case OP_LOSS_MSE:
	case OP_LOSS_XENT: return CLS_FP32;
	default: return CLS_PASS;
	}
}

static int is_float(enum dtype dt)
{
	return dt == DT_FP32 || dt == DT_FP16 || dt == DT_BF16;
}

/* Runtime element size of every tensor, and which need gradients. */
static void tensor_props(struct build *b)
{
	const struct graph *gr = b->gr;
	for (int t = 0; t < gr->n_tensors; t++) {
		const struct tensor *x = &gr->tensors[t];
		b->tbytes[t] = is_float(x->dtype) ? 4 : (x->dtype == DT_INT64
							 ? 8 : 4);
		if (x->dtype == DT_BOOL)
			b->tbytes[t] = 1;
	}
	for (int l = 0; l < gr->n_layers; l++) {
		const struct layer *L = &gr->layers[l];
		enum cls c = op_class(L->op);
		int req = op_has_params(L->op), eb = 0;
		for (int i = 0; i < L->n_in; i++) {
			int t = L->in[i];
			req |= b->req[t];
			if (is_float(gr->tensors[t].dtype) && b->tbytes[t] > eb)
				eb = b->tbytes[t];
		}
		if (L->op == OP_EMBEDDING || !eb)
			eb = 4;
		if (b->amp && c == CLS_MATRIX)
			eb = 2;
		if (c == CLS_FP32)
			eb = 4;
		for (int i = 0; i < L->n_out; i++) {
			int t = L->out[i];
			if (is_float(gr->tensors[t].dtype)) {
				b->tbytes[t] = eb;
				b->req[t] = req;
			}
		}
	}
	for (int l = 0; l < gr->n_layers; l++) {
		const struct layer *L = &gr->layers[l];
		for (int i = 0; i < L->n_in; i++)
			if (b->req[L->in[i]])
				b->consumers[L->in[i]]++;
	}
}

static int64_t lead(const struct tensor *t, int keep)
{
	int64_t n = 1;
	for (int i = 0; i < t->rank - keep; i++)
		n *= t->dims[i];
	return n;
}

/* Parameters a layer owns, and in how many tensors. */
static int64_t layer_params(const struct graph *gr, const struct layer *L,
			    int *tensors)
{
	int64_t p = 0;
	*tensors = 0;
	if (L->op == OP_EMBEDDING) {
		*tensors = 1;
		return L->attrs.vocab * L->attrs.dim;
	}
	if (L->n_in < 1 || L->n_out < 1)
		return 0;
	const struct tensor *in = &gr->tensors[L->in[0]];
	const struct tensor *out = &gr->tensors[L->out[0]];
	switch (L->op) {
	case OP_DENSE: {
		int64_t k = in->rank ? in->dims[in->rank - 1] : 1;
		p = k * L->attrs.units + (L->attrs.bias ? L->attrs.units : 0);
		*tensors = 1 + !!L->attrs.bias;
		break;
	}
	case OP_CONV: {
		int64_t kk = 1, gps = L->attrs.groups > 0 ? L->attrs.groups : 1;
		for (int i = 0; i < L->attrs.spatial; i++)
			kk *= L->attrs.kernel[i];
		int64_t co = out->dims[0];
		p = co * (in->dims[0] / gps) * kk + (L->attrs.bias ? co : 0);
		*tensors = 1 + !!L->attrs.bias;
		break;
	}
	case OP_CONV_TRANSPOSE: { /* weights [Cin, Cout / groups, k..] */
		int64_t kk = 1, gps = L->attrs.groups > 0 ? L->attrs.groups : 1;
		for (int i = 0; i < L->attrs.spatial; i++)
			kk *= L->attrs.kernel[i];
		int64_t co = out->dims[0];
		p = in->dims[0] * (co / gps) * kk + (L->attrs.bias ? co : 0);
		*tensors = 1 + !!L->attrs.bias;
		break;
	}
	case OP_BATCHNORM:
		p = 2 * in->dims[0];
		*tensors = 2;
		break;
	case OP_LAYERNORM:
		p = 2 * (in->rank ? in->dims[in->rank - 1] : 1);
		*tensors = 2;
		break;
	case OP_EMBEDDING:
		p = L->attrs.vocab * L->attrs.dim;
		*tensors = 1;
		break;
	default: break;
	}
	return p;
}

int64_t gpu_layer_params(const struct graph *gr, int l)
{
	int t;
	if (gr->layers[l].param_owner != l)
		return 0;
	return layer_params(gr, &gr->layers[l], &t);
}

int gpu_layer_param_tensors(const struct graph *gr, int l)
{
	int t;
	if (gr->layers[l].param_owner != l)
		return 0;
	layer_params(gr, &gr->layers[l], &t);
	return t;
}

/* Autocast cast of a matrix op's fp32 inputs (fwd) and their gradients
 * back (bwd). */
static void amp_input_casts(struct build *b, int l, int bwd)
{
	const struct layer *L = &b->gr->layers[l];
	if (!b->amp)
		return;
	enum cls c = op_class(L->op);
	for (int i = 0; i < L->n_in; i++) {
		int t = L->in[i];
		if (!is_float(b->gr->tensors[t].dtype))
			continue;
		int from = b->tbytes[t];
		if ((c == CLS_MATRIX && from == 4) ||
		    (c == CLS_FP32 && from == 2)) {
			double n = abytes(b, t) / from;
			if (!bwd)
				cpp(b, l, PASS_FWD, n * 6);
			else if (b->req[t])
				mem(b, l, PASS_BWD_DATA, n * 6);
		}
	}
}

/* Attention output as [s, heads*dh] or [heads, s, dh]. */
static void attn_shape(const struct layer *L, const struct tensor *out,
		       int64_t B, int64_t *s, int64_t *dh, int64_t *nb)
{
	int64_t h = L->attrs.heads > 0 ? L->attrs.heads : 1;
	int r = out->rank;
	*s = r >= 2 ? out->dims[r - 2] : 1;
	if (r >= 3 && out->dims[r - 3] == h) {
		*dh = out->dims[r - 1];
		*nb = B * lead(out, 2);
	} else {
		*dh = out->dims[r - 1] / h;
		*nb = B * h * lead(out, 2);
	}
	if (*dh < 1)
		*dh = 1;
}

/* One layer as the per-op rules see it. */
struct lctx {
	int l;
	const struct layer *L;
	const struct tensor *in, *out;
	double bi, bo;		/* bytes of the first input and output */
	int64_t B;
	int64_t p;		/* parameters the layer's op holds */
	int ptens;		/* ... in that many tensors */
	int rq0;		/* the first input needs a gradient */
};

static void lctx_init(const struct build *b, int l, struct lctx *c)
{
	const struct graph *gr = b->gr;
	memset(c, 0, sizeof(*c));
	c->l = l;
	c->L = &gr->layers[l];
	c->in = &gr->tensors[c->L->in[0]];
	c->out = &gr->tensors[c->L->out[0]];
	c->bi = abytes(b, c->L->in[0]);
	c->bo = abytes(b, c->L->out[0]);
	c->B = b->B;
	c->p = layer_params(gr, c->L, &c->ptens);
	c->rq0 = b->req[c->L->in[0]];
}

/* A convolution as per-group GEMM shape: m output pixels x batch, n output
 * channels, k input channels x kernel taps. */
static void conv_dims(const struct lctx *c, int64_t *m, int64_t *n,
		      int64_t *k, int64_t *gps)
{
	const struct layer *L = c->L;
	int64_t kk = 1;
	*gps = L->attrs.groups > 0 ? L->attrs.groups : 1;
	for (int i = 0; i < L->attrs.spatial; i++)
		kk *= L->attrs.kernel[i];
	*m = c->B * (elems(c->out) / c->out->dims[0]);
	*n = c->out->dims[0] / *gps;
	*k = c->in->dims[0] / *gps * kk;
}

/* The fused attention kernel of (s, s, dh) over nb heads x batch. */
static void attn_kernel(struct build *b, const struct lctx *c, int pass,
			double flops, double bytes)
{
	int64_t s, dh, nb;
	attn_shape(c->L, c->out, c->B, &s, &dh, &nb);
	struct gpu_kern *x = add(b, c->l, pass, GK_ATTN, flops, bytes);
	x->math = b->amp ? mat_math(b, 0) : GPU_MATH_FP32;
	/* fp32: PyTorch's memory-efficient attention (CUTLASS) runs fp32 on
	 * tensor cores from sm80 on, as OpMultiplyAddFastF32: each multiply
	 * split into 3 TF32 products (mem_eff_attention/gemm_kernel_utils.h,
	 * DefaultGemmType<ArchTag, float>); a GPU without TF32 runs SIMT */
	if (!b->amp && b->g->peak_tflops[GPU_MATH_TF32] >
			       b->g->peak_tflops[GPU_MATH_FP32]) {
		x->math = GPU_MATH_TF32;
		x->mma_passes = 3;
	}
	/* 16 bit: PyTorch 2.11+ prefers cuDNN's SDPA on sm90 and sm100
	 * with cuDNN > 9.15 (sdp_utils.cpp, check_prefer_cudnn_attention);
	 * the GPU file says so with cudnn_sdpa_us, the host cost of its
	 * graph execute (docs/gpu.md 7.11) */
	x->cudnn_sdpa = b->amp && b->g->cudnn_sdpa_us > 0;
	x->m = s;
	x->n = s;
	x->k = dh;
	x->batch = nb;
}

/* FLOPs of the attention core: 4 s^2 dh per head (QK^T and PV), half if
 * causal, times `mult` (1 forward, 2.5 backward). */
static double attn_flops(const struct lctx *c, double mult)
{
	int64_t s, dh, nb;
	attn_shape(c->L, c->out, c->B, &s, &dh, &nb);
	return mult * 4.0 * (double)nb * s * s * dh *
	       (c->L->attrs.causal ? 0.5 : 1);
}

static double inputs_bytes(const struct build *b, const struct layer *L)
{
	double by = 0;
	for (int i = 0; i < L->n_in; i++)
		by += abytes(b, L->in[i]);
	return by;
}

/* ---- forward, per op ---------------------------------------------------- */

typedef void (*op_rule)(struct build *b, const struct lctx *c);

static void fwd_view(struct build *b, const struct lctx *c)
{
	view(b, c->l, PASS_FWD);
}

static void fwd_dense(struct build *b, const struct lctx *c)
{
	int64_t k = c->in->dims[c->in->rank - 1];
	gemm(b, c->l, PASS_FWD, 0, c->B * lead(c->in, 1), c->L->attrs.units,
	     k, 1);
}

/* Depthwise convolution (groups = input channels, 2-D or 3-D), as
 * PyTorch's select_conv_backend sees it: cuDNN when the input is fp16,
 * PyTorch's own CUDA kernels (DepthwiseConv2d.cu, DepthwiseConv3d.cu) for
 * fp32 and bf16 on channels-first data. */
static int depthwise_native(const struct build *b, const struct lctx *c)
{
	int64_t gps = c->L->attrs.groups;
	return gps > 1 && gps == c->in->dims[0] && c->L->attrs.spatial >= 2 &&
	       b->o->dtype != DT_FP16;
}

static int64_t conv_taps(const struct layer *L)
{
	int64_t kk = 1;
	for (int i = 0; i < L->attrs.spatial; i++)
		kk *= L->attrs.kernel[i];
	return kk;
}

static void fwd_conv(struct build *b, const struct lctx *c)
{
	int64_t m, n, k, gps;
	conv_dims(c, &m, &n, &k, &gps);
	if (depthwise_native(b, c)) {
		/* one thread per output element, its taps unrolled: bound by
		 * output elements per thread, not by bytes */
		struct gpu_kern *x = add(b, c->l, PASS_FWD, GK_MEM,
					 2.0 * (double)m * n * k * gps,
					 c->bi + c->bo + 4.0 * (double)c->p);
		x->elem_loads = (double)elems(c->out) * (double)c->B;
	} else {
		conv_gemm(b, c->l, PASS_FWD, m, n, k, gps, c->bi, c->bo, c->p);
	}
	if (c->L->attrs.bias)
		cpp(b, c->l, PASS_FWD, 2 * c->bo);
}

/* A transposed conv is the data gradient of the conv it transposes
 * (cuDNN runs it so): that conv has m = B x input positions outputs,
 * n = Cin / groups channels and k = Cout / groups x taps reductions. */
static void convt_dims(const struct lctx *c, int64_t *m, int64_t *n,
		       int64_t *k, int64_t *gps)
{
	const struct layer *L = c->L;
	int64_t kk = 1;
	*gps = L->attrs.groups > 0 ? L->attrs.groups : 1;
	for (int i = 0; i < L->attrs.spatial; i++)
		kk *= L->attrs.kernel[i];
	*m = c->B * (elems(c->in) / c->in->dims[0]);
	*n = c->in->dims[0] / *gps;
	*k = c->out->dims[0] / *gps * kk;
}

static void fwd_conv_transpose(struct build *b, const struct lctx *c)
{
	int64_t m, n, k, gps;
	convt_dims(c, &m, &n, &k, &gps);
	conv_gemm(b, c->l, PASS_FWD, m, k, n, gps, c->bi, c->bo, c->p);
	if (c->L->attrs.bias)
		cpp(b, c->l, PASS_FWD, 2 * c->bo);
}

static void fwd_matmul(struct build *b, const struct lctx *c)
{
	const struct layer *L = c->L;
	const struct tensor *in1 = &b->gr->tensors[L->in[L->n_in > 1]];
	int64_t k = c->in->dims[c->in->rank - 1];
	int64_t m = c->in->rank >= 2 ? c->in->dims[c->in->rank - 2] : 1;
	int64_t n = in1->dims[in1->rank - 1];
	gemm(b, c->l, PASS_FWD, 0, m, n, k, c->B * lead(c->out, 2));
}

/*
 * The heads around the fused kernel (F.scaled_dot_product_attention as a
 * block calls it: qkv.view(b, s, 3, h, dh).permute(2, 0, 3, 1, 4), q, k,
 * v = unbind; then out.transpose(1, 2).reshape(b, s, d)).  PyTorch's
 * flash and memory-efficient kernels take q, k, v transposed to
 * [b, s, h, dh] and write their output as a fresh [b, s, h, dh] tensor,
 * returned transposed (_scaled_dot_product_flash_attention_cuda,
 * _scaled_dot_product_efficient_attention_cuda: output.transpose(1, 2)),
 * so the merge's transpose gives back that contiguous tensor and its
 * reshape is a view: no copy.  Backward mirrors it: the output gradient
 * reaches the kernel contiguous once transposed (its .contiguous() is a
 * no-op), while the q, k, v gradients (three fresh [b, s, h, dh] tensors)
 * are stacked by unbind's backward (unbind_backward: at::stack) and the
 * stack, permuted back, cannot be viewed as [b, s, 3d]: view's backward
 * (grad.reshape) copies it.
 */
static void fwd_attention(struct build *b, const struct lctx *c)
{
	/* split heads: view, permute, unbind (views) */
	for (int i = 0; i < 3; i++)
		view(b, c->l, PASS_FWD);
	attn_kernel(b, c, PASS_FWD, attn_flops(c, 1),
		    inputs_bytes(b, c->L) + c->bo);
	/* merge heads: transpose and reshape, both views */
	view(b, c->l, PASS_FWD);
	view(b, c->l, PASS_FWD);
}

/* PyTorch's channels-first pooling kernels (max_pool2d_with_indices,
 * avg_pool2d) give one thread per output element and loop over its
 * window, one element at a time: bound by elements per thread (each
 * input element loaded once from memory at least), so bf16 gains little
 * over fp32. */
static void pool_elems(struct gpu_kern *x, const struct lctx *c)
{
	x->elem_loads = (double)elems(c->in) * (double)c->B;
}

static void fwd_maxpool(struct build *b, const struct lctx *c)
{
	mem(b, c->l, PASS_FWD, c->bi + c->bo + (b->train ? 2.0 * c->bo : 0));
	pool_elems(&b->kl->k[b->kl->n - 1], c);
}

static void fwd_avgpool(struct build *b, const struct lctx *c)
{
	mem(b, c->l, PASS_FWD, c->bi + c->bo);
	pool_elems(&b->kl->k[b->kl->n - 1], c);
}

/* One read of the input, one write of the output. */
static void fwd_stream(struct build *b, const struct lctx *c)
{
	mem(b, c->l, PASS_FWD, c->bi + c->bo);
}

static void fwd_dropout(struct build *b, const struct lctx *c)
{
	if (b->train)
		mem(b, c->l, PASS_FWD,
		    c->bi + c->bo + c->bo / b->tbytes[c->L->out[0]]);
}

/* Which batch norm runs (aten/src/ATen/native/Normalization.cpp,
 * _select_batch_norm_backend): cuDNN unless the input or weight is bf16;
 * so under bf16 autocast (the convolution before it wrote bf16) PyTorch's
 * own kernels (native/cuda/Normalization.cuh) run. */
static int bn_native(const struct build *b, const struct lctx *c)
{
	return b->o->dtype == DT_BF16 && b->tbytes[c->L->in[0]] == 2;
}

/* PyTorch's channels-first statistics kernels give every channel one
 * block of up to 512 threads (MAX_BLOCK_SIZE) that sweeps the channel's
 * batch x spatial elements (batch_norm_collect_statistics_kernel;
 * batch_norm_backward_reduce_kernel): cost in waves of blocks over the
 * SMs, each block bound by one load in flight per thread. */
static void bn_channel_blocks(struct gpu_kern *x, const struct lctx *c)
{
	double per_ch = (double)c->B * (double)(elems(c->in) / c->in->dims[0]);
	x->blocks = (double)c->in->dims[0];
	x->block_loads = per_ch;
	x->block_threads = 512;
}

/* The native path is several ATen ops issued from C++, each a kernel
 * with its own dispatch (Normalization.cu): training runs the statistics
 * (per-channel blocks), the running-stats update with 1/std (a small
 * kernel over the channels) and the normalisation; inference copies the
 * running mean into save_mean (`save_mean.copy_(running_mean)`, its own
 * kernel), computes 1/std from the running variance (small) and
 * normalises (batch_norm_cuda_out, PyTorch 2.x).  The
 * normalisation moves one element per thread per step (not vectorised):
 * bound by elements, so bf16 gains little over fp32. */
static void fwd_bn_native(struct build *b, const struct lctx *c)
{
	double ch = (double)c->in->dims[0];
	if (b->train) {
		struct gpu_kern *x = add(b, c->l, PASS_FWD, GK_MEM, 0, c->bi);
		bn_channel_blocks(x, c);
	}
	if (!b->train) /* save_mean.copy_(running_mean): the module's op */
		add(b, c->l, PASS_FWD, GK_MEM, 0, 8.0 * ch);
	struct gpu_kern *x = add(b, c->l, PASS_FWD, GK_MEM, 0, 24.0 * ch);
	x->host = HOST_CPP;
	x = add(b, c->l, PASS_FWD, GK_MEM, 0, c->bi + c->bo);
	x->elem_loads = (double)elems(c->in) * (double)c->B;
	x->host = HOST_CPP;
}

static void fwd_batchnorm(struct build *b, const struct lctx *c)
{
	if (bn_native(b, c))
		fwd_bn_native(b, c);
	else /* cuDNN: one call */
		mem(b, c->l, PASS_FWD, (b->train ? 2 : 1) * c->bi + c->bo);
	if (b->train) /* nn.BatchNorm: num_batches_tracked += 1 */
		mem(b, c->l, PASS_FWD, 16);
}

static void fwd_embedding(struct build *b, const struct lctx *c)
{
	mem(b, c->l, PASS_FWD, 2 * c->bo + c->bi);
}

/* Elementwise over several inputs (and concatenation). */
static void fwd_nary(struct build *b, const struct lctx *c)
{
	mem(b, c->l, PASS_FWD, c->bo + inputs_bytes(b, c->L));
}

static void fwd_loss_mse(struct build *b, const struct lctx *c)
{
	/* target, elementwise error, mean */
	mem(b, c->l, PASS_FWD, c->bi);
	mem(b, c->l, PASS_FWD, 2 * c->bi);
	cpp(b, c->l, PASS_FWD, c->bi);
}

static void fwd_loss_xent(struct build *b, const struct lctx *c)
{
	/* target, log-softmax, nll */
	mem(b, c->l, PASS_FWD, (double)c->B * 8);
	mem(b, c->l, PASS_FWD, 2 * c->bi);
	cpp(b, c->l, PASS_FWD, c->bi);
}

static const op_rule fwd_rules[OP_COUNT] = {
	[OP_FLATTEN] = fwd_view,	[OP_RESHAPE] = fwd_view,
	[OP_SQUEEZE] = fwd_view,	[OP_SPLIT] = fwd_view,
	[OP_SLICE] = fwd_view,		[OP_DENSE] = fwd_dense,
	[OP_CONV] = fwd_conv,		[OP_MATMUL] = fwd_matmul,
	[OP_ATTENTION] = fwd_attention, [OP_MAXPOOL] = fwd_maxpool,
	[OP_AVGPOOL] = fwd_avgpool,	[OP_GLOBALAVGPOOL] = fwd_stream,
	[OP_RELU] = fwd_stream,		[OP_SIGMOID] = fwd_stream,
	[OP_TANH] = fwd_stream,		[OP_GELU] = fwd_stream,
	[OP_EW_UNARY] = fwd_stream,	[OP_SOFTMAX] = fwd_stream,
	[OP_LAYERNORM] = fwd_stream,	[OP_TRANSPOSE] = fwd_stream,
	[OP_DROPOUT] = fwd_dropout,	[OP_BATCHNORM] = fwd_batchnorm,
	[OP_EMBEDDING] = fwd_embedding, [OP_ADD] = fwd_nary,
	[OP_SUB] = fwd_nary,		[OP_MUL] = fwd_nary,
	[OP_DIV] = fwd_nary,		[OP_CONCAT] = fwd_nary,
	[OP_LOSS_MSE] = fwd_loss_mse,	[OP_LOSS_XENT] = fwd_loss_xent,
	[OP_CONV_TRANSPOSE] = fwd_conv_transpose,
	[OP_REDUCE] = fwd_stream,	[OP_RESIZE] = fwd_stream,
	[OP_PAD] = fwd_stream,
};

static void layer_fwd(struct build *b, int l)
{
	const struct layer *L = &b->gr->layers[l];
	if (L->n_in < 1 || L->n_out < 1 || L->op == OP_INPUT)
		return; /* a parameter table used as data is a view */
	if (!b->train && (L->op == OP_LOSS_MSE || L->op == OP_LOSS_XENT))
		return;
	struct lctx c;
	lctx_init(b, l, &c);
	if (b->amp && c.p && L->param_owner == l &&
	    op_class(L->op) == CLS_MATRIX)
		for (int i = 0; i < c.ptens; i++)
			cpp(b, l, PASS_FWD, 6.0 * (double)c.p / c.ptens);
	amp_input_casts(b, l, 0);
	if (fwd_rules[L->op])
		fwd_rules[L->op](b, &c);
	else
		diag_add(b->d, b->gr->source, L->src_line, L->src_col,
			 "gpu: layer '%s' has op '%s' the GPU model cannot "
			 "cost", L->name, op_name(L->op));
}

/* ---- backward, per op --------------------------------------------------- */

static void bwd_dense(struct build *b, const struct lctx *c)
{
	int64_t k = c->in->dims[c->in->rank - 1], m = c->B * lead(c->in, 1);
	int64_t n = c->L->attrs.units;
	if (c->rq0)
		gemm(b, c->l, PASS_BWD_DATA, 0, m, k, n, 1);
	gemm(b, c->l, PASS_BWD_WEIGHT, 0, n, k, m, 1);
	gemm_lds(b, k, n);
	if (c->L->attrs.bias)
		mem(b, c->l, PASS_BWD_WEIGHT, c->bo);
}

/* PyTorch's depthwise backward: the input gradient has one thread per
 * input element (bound by elements per thread); the weight gradient runs
 * one block of min(32 x batch, 256) threads per (channel, tap), each
 * sweeping batch x output pixels of the output gradient and the input
 * (DepthwiseConv2d.cu conv_depthwise2d_grad_weight_kernel): the
 * activations are read once per tap. */
static void bwd_depthwise(struct build *b, const struct lctx *c)
{
	int64_t taps = conv_taps(c->L);
	double f = 2.0 * (double)elems(c->out) * (double)c->B * (double)taps;
	if (c->rq0) {
		struct gpu_kern *x = add(b, c->l, PASS_BWD_DATA, GK_MEM, f,
					 c->bi + c->bo + 4.0 * (double)c->p);
		x->elem_loads = (double)elems(c->in) * (double)c->B;
	}
	struct gpu_kern *w = add(b, c->l, PASS_BWD_WEIGHT, GK_MEM, f,
				 (c->bi + c->bo) * (double)taps);
	int64_t threads = 32 * c->B < 256 ? 32 * c->B : 256;
	w->blocks = (double)c->out->dims[0] * (double)taps;
	w->block_loads = (double)c->B * (double)(elems(c->out) /
						 c->out->dims[0]);
	w->block_threads = (int)threads;
}

static void bwd_conv(struct build *b, const struct lctx *c)
{
	int64_t m, n, k, gps;
	conv_dims(c, &m, &n, &k, &gps);
	if (depthwise_native(b, c)) {
		bwd_depthwise(b, c);
	} else {
		if (c->rq0)
			conv_gemm(b, c->l, PASS_BWD_DATA, m, k, n, gps, c->bo,
				  c->bi, c->p);
		conv_gemm(b, c->l, PASS_BWD_WEIGHT, n, k, m, gps, c->bi, c->bo,
			  c->p);
	}
	if (c->L->attrs.bias)
		mem(b, c->l, PASS_BWD_WEIGHT, c->bo);
}

static void bwd_conv_transpose(struct build *b, const struct lctx *c)
{
	int64_t m, n, k, gps;
	convt_dims(c, &m, &n, &k, &gps);
	if (c->rq0) /* the transposed conv's own conv, forward */
		conv_gemm(b, c->l, PASS_BWD_DATA, m, n, k, gps, c->bo, c->bi,
			  c->p);
	conv_gemm(b, c->l, PASS_BWD_WEIGHT, n, k, m, gps, c->bi, c->bo, c->p);
	if (c->L->attrs.bias)
		mem(b, c->l, PASS_BWD_WEIGHT, c->bo);
}

static void bwd_matmul(struct build *b, const struct lctx *c)
{
	const struct layer *L = c->L;
	const struct tensor *in1 = &b->gr->tensors[L->in[L->n_in > 1]];
	int64_t k = c->in->dims[c->in->rank - 1];
	int64_t m = c->in->rank >= 2 ? c->in->dims[c->in->rank - 2] : 1;
	int64_t n = in1->dims[in1->rank - 1], nb = c->B * lead(c->out, 2);
	if (c->rq0)
		gemm(b, c->l, PASS_BWD_DATA, 0, m, k, n, nb);
	if (L->n_in > 1 && b->req[L->in[1]]) {
		gemm(b, c->l, PASS_BWD_DATA, 0, k, n, m, nb);
		gemm_lds(b, k, n);
	}
}

static void bwd_attention(struct build *b, const struct lctx *c)
{
	double by = 2 * inputs_bytes(b, c->L);
	mem(b, c->l, PASS_BWD_DATA, 3 * c->bo);	/* rowsum(dO * O) */
	attn_kernel(b, c, PASS_BWD_DATA, attn_flops(c, 2.5), by + 2 * c->bo);
	mem(b, c->l, PASS_BWD_DATA, by); /* unbind backward: stack */
	mem(b, c->l, PASS_BWD_DATA, by); /* view backward: reshape copies */
}

/* Pointwise: read the saved input and the output gradient, write one. */
static void bwd_pointwise(struct build *b, const struct lctx *c)
{
	if (c->rq0)
		mem(b, c->l, PASS_BWD_DATA, c->bi + 2 * c->bo);
}

static void bwd_pool(struct build *b, const struct lctx *c)
{
	if (!c->rq0)
		return;
	mem(b, c->l, PASS_BWD_DATA, 2 * c->bi + 2 * c->bo);
	if (c->L->op != OP_GLOBALAVGPOOL) /* one thread per input element */
		pool_elems(&b->kl->k[b->kl->n - 1], c);
}

static void bwd_batchnorm(struct build *b, const struct lctx *c)
{
	if (!bn_native(b, c)) { /* cuDNN */
		mem(b, c->l, PASS_BWD_DATA, 3 * c->bi + c->bo);
		return;
	}
	/* per-channel sums of dy and dy * (x - mean), then dx elementwise */
	struct gpu_kern *x = add(b, c->l, PASS_BWD_DATA, GK_MEM, 0, 2 * c->bi);
	bn_channel_blocks(x, c);
	x = add(b, c->l, PASS_BWD_DATA, GK_MEM, 0, 3 * c->bi);
	x->elem_loads = (double)elems(c->in) * (double)c->B;
}

static void bwd_layernorm(struct build *b, const struct lctx *c)
{
	if (c->rq0)
		mem(b, c->l, PASS_BWD_DATA, 2 * c->bi + c->bo);
	mem(b, c->l, PASS_BWD_WEIGHT, 2 * c->bi);
}

static void bwd_embedding(struct build *b, const struct lctx *c)
{
	double table = 4.0 * (double)c->p;
	mem(b, c->l, PASS_BWD_WEIGHT, table); /* zero the dense grad */
	mem(b, c->l, PASS_BWD_WEIGHT, 2 * c->bi); /* sort indices */
	mem(b, c->l, PASS_BWD_WEIGHT, 2 * c->bi);
	mem(b, c->l, PASS_BWD_WEIGHT, 2 * c->bo); /* segment sums */
}

static void bwd_arith(struct build *b, const struct lctx *c)
{
	const struct layer *L = c->L;
	for (int i = 0; i < L->n_in; i++) {
		int t = L->in[i];
		if (!b->req[t])
			continue;
		int64_t ne = elems(&b->gr->tensors[t]);
		if (L->op == OP_MUL || L->op == OP_DIV)
			mem(b, c->l, PASS_BWD_DATA, 3 * abytes(b, t));
		else if (ne < elems(c->out) || (L->op == OP_SUB && i))
			mem(b, c->l, PASS_BWD_DATA, c->bo + abytes(b, t));
	}
}

static void bwd_split(struct build *b, const struct lctx *c)
{
	if (c->rq0)
		mem(b, c->l, PASS_BWD_DATA, 2 * c->bi);
}

static void bwd_slice(struct build *b, const struct lctx *c)
{
	if (c->rq0) {
		mem(b, c->l, PASS_BWD_DATA, c->bi);
		mem(b, c->l, PASS_BWD_DATA, 2 * c->bo);
	}
}

static void bwd_transpose(struct build *b, const struct lctx *c)
{
	if (c->rq0)
		mem(b, c->l, PASS_BWD_DATA, c->bi + c->bo);
}

static void bwd_loss_mse(struct build *b, const struct lctx *c)
{
	mem(b, c->l, PASS_BWD_DATA, 8); /* seed */
	mem(b, c->l, PASS_BWD_DATA, 3 * c->bi);
}

static void bwd_loss_xent(struct build *b, const struct lctx *c)
{
	mem(b, c->l, PASS_BWD_DATA, 8);
	mem(b, c->l, PASS_BWD_DATA, c->bi);
	mem(b, c->l, PASS_BWD_DATA, c->bi);
	mem(b, c->l, PASS_BWD_DATA, 3 * c->bi);
}

static const op_rule bwd_rules[OP_COUNT] = {
	[OP_DENSE] = bwd_dense,		[OP_CONV] = bwd_conv,
	[OP_MATMUL] = bwd_matmul,	[OP_ATTENTION] = bwd_attention,
	[OP_RELU] = bwd_pointwise,	[OP_SIGMOID] = bwd_pointwise,
	[OP_TANH] = bwd_pointwise,	[OP_GELU] = bwd_pointwise,
	[OP_EW_UNARY] = bwd_pointwise,	[OP_SOFTMAX] = bwd_pointwise,
	[OP_DROPOUT] = bwd_pointwise,	[OP_MAXPOOL] = bwd_pool,
	[OP_AVGPOOL] = bwd_pool,	[OP_GLOBALAVGPOOL] = bwd_pool,
	[OP_BATCHNORM] = bwd_batchnorm, [OP_LAYERNORM] = bwd_layernorm,
	[OP_EMBEDDING] = bwd_embedding, [OP_ADD] = bwd_arith,
	[OP_SUB] = bwd_arith,		[OP_MUL] = bwd_arith,
	[OP_DIV] = bwd_arith,		[OP_SPLIT] = bwd_split,
	[OP_SLICE] = bwd_slice,		[OP_TRANSPOSE] = bwd_transpose,
	[OP_LOSS_MSE] = bwd_loss_mse,	[OP_LOSS_XENT] = bwd_loss_xent,
	[OP_CONV_TRANSPOSE] = bwd_conv_transpose,
	[OP_REDUCE] = bwd_pointwise,	[OP_RESIZE] = bwd_pool,
	[OP_PAD] = bwd_transpose,
};

static void layer_bwd(struct build *b, int l)
{
	const struct graph *gr = b->gr;
	const struct layer *L = &gr->layers[l];
	if (L->op == OP_EMBEDDING && L->n_in < 1 && L->n_out > 0) {
		/* a table used whole: its gradient lands in a slice */
		mem(b, l, PASS_BWD_WEIGHT,
		    8.0 * (double)elems(&gr->tensors[L->out[0]]));
		return;
	}
	if (L->n_in < 1 || L->n_out < 1 || L->op == OP_INPUT)
		return;
	struct lctx c;
	lctx_init(b, l, &c);
	/* nothing flows back through a layer whose output needs no grad and
	 * which owns no weights (it is outside the differentiated graph) */
	if (!b->req[L->out[0]] && op_class(L->op) != CLS_FP32)
		return;
	/* gradients of a tensor used several times are summed */
	for (int i = 0; i < L->n_out; i++) {
		int t = L->out[i];
		for (int k = 1; k < b->consumers[t]; k++)
			mem(b, l, PASS_BWD_DATA, 3 * abytes(b, t));
	}
	if (bwd_rules[L->op])
		bwd_rules[L->op](b, &c);
	/* shared weights: the second use's gradient is added in */
	if (c.p && L->param_owner != l)
		mem(b, l, PASS_BWD_WEIGHT, 3.0 * (b->amp ? 2 : 4) * (double)c.p);
	/* zeroed gradients: autograd's AccumulateGrad adds the new gradient
	 * into the existing one (grad += new: read both, write one, fp32),
	 * one kernel per parameter tensor; set to None it hands the new
	 * gradient over without a kernel */
	if (b->accumulate && c.p && L->param_owner == l)
		for (int i = 0; i < c.ptens; i++)
			mem(b, l, PASS_BWD_WEIGHT, 12.0 * (double)c.p / c.ptens);
	/* autocast: weight gradients cast back to fp32 */
	if (b->amp && c.p && L->param_owner == l &&
	    op_class(L->op) == CLS_MATRIX)
		for (int i = 0; i < c.ptens; i++)
			mem(b, l, PASS_BWD_WEIGHT, 6.0 * (double)c.p / c.ptens);
	amp_input_casts(b, l, 1);
}

/* foreach optimizer: each op touches every parameter tensor, launching
 * one kernel per ~100 tensors or per ~21 M elements, whichever is more. */
static void optimizer(struct build *b)
{
	static const struct {
		int ops;
		double bytes_per_param; /* fp32 reads + writes, all ops */
	} opt[OPT_COUNT] = {
		[OPT_SGD] = {1, 12},
		[OPT_MOMENTUM] = {3, 32},
		[OPT_ADAM] = {7, 72},
	};
	enum optimizer o = b->o->optimizer;
	double P = (double)b->params;
	int per_op = (int)ceil((double)b->param_tensors / 100.0);
	int by_size = (int)ceil(P / (65536.0 * 320.0));
	if (by_size > per_op)
		per_op = by_size;
	if (per_op < 1)
		per_op = 1;
	for (int i = 0; i < opt[o].ops; i++)
		for (int j = 0; j < per_op; j++) {
			struct gpu_kern *k =
				add(b, -1, PASS_UPDATE, GK_MEM, 0,
				    opt[o].bytes_per_param * P / opt[o].ops /
					    per_op);
			k->host = j == 0 ? HOST_CPP : HOST_NONE;
		}
}

int gpu_zeroes_grads(const struct gpu_run_opts *o)
{
	if (o->grads == GPU_GRADS_AUTO)
		return o->style == GPU_GRAPH;
	return o->grads == GPU_GRADS_ZERO;
}

int gpu_kernels(const struct gpu_spec *g, const struct graph *gr,
		const struct gpu_run_opts *o, int train, struct gpu_klist *kl,
		int64_t *params, struct diag *d)
{
	struct build b = {g, gr, o, kl, train, o->dtype != DT_FP32,
			  gpu_zeroes_grads(o), 0, o->batch, NULL, NULL, NULL,
			  0, 0, d};
	size_t nt = (size_t)(gr->n_tensors > 0 ? gr->n_tensors : 1);
	b.tbytes = xcalloc(nt, sizeof(int));
	b.req = xcalloc(nt, sizeof(int));
	b.consumers = xcalloc(nt, sizeof(int));
	size_t before = diag_count(d);
	memset(kl, 0, sizeof(*kl));
	tensor_props(&b);
	for (int l = 0; l < gr->n_layers; l++) {
		const struct layer *L = &gr->layers[l];
		int pt = 0;
		int64_t p = layer_params(gr, L, &pt);
		if (L->param_owner == l) {
			b.params += p;
			b.param_tensors += pt;
		}
	}
	if (train && b.zero_grads) /* zero_grad(set_to_none=False) */
		mem(&b, -1, PASS_FWD, 4.0 * (double)b.params);
	/* gradient accumulation over micro-batches: every micro-batch after
	 * the first adds into the gradients; checkpointing recomputes the
	 * forward before backward */
	int steps = train && o->micro_batches > 1 ? o->micro_batches : 1;
	for (int s = 0; s < steps; s++) {
		b.accumulate = b.zero_grads || s > 0;
		for (int l = 0; l < gr->n_layers; l++)
			layer_fwd(&b, l);
		if (!train)
			break;
		for (int l = 0; o->checkpoint && l < gr->n_layers; l++)
			layer_fwd(&b, l);
		for (int l = gr->n_layers - 1; l >= 0; l--)
			layer_bwd(&b, l);
	}
	if (train)
		optimizer(&b);
	for (int i = 0; i < kl->n; i++)
		gpu_kern_time(g, &kl->k[i]);
	*params = b.params;
	free(b.tbytes);
	free(b.req);
	free(b.consumers);
	if (diag_count(d) > before) {
		gpu_klist_release(kl);
		return WS_EINPUT;
	}
	return WS_OK;
}

void gpu_train_memory_split(const struct graph *gr,
			    const struct gpu_run_opts *o, struct gpu_mem *m)
{
	static const double state_words[OPT_COUNT] = {0, 1, 2};
	double params = 0, acts = 0, unit = 0;
	int amp = o->dtype != DT_FP32, n = 0;
	for (int l = 0; l < gr->n_layers; l++) {
		const struct layer *L = &gr->layers[l];
		double p = (double)gpu_layer_params(gr, l);
		params += p;
		if (p > unit)
			unit = p;
		if (op_is_free(L->op) || L->op == OP_LOSS_MSE ||
		    L->op == OP_LOSS_XENT || L->op == OP_INPUT)
			continue;
		n++;
		for (int i = 0; i < L->n_out; i++) {
			const struct tensor *t = &gr->tensors[L->out[i]];
			int eb = amp && op_class(L->op) == CLS_MATRIX ? 2 : 4;
			acts += (double)elems(t) * eb;
		}
	}
	/* weights, gradients and optimizer state in fp32 (+ 16-bit weight
	 * copies under autocast); every layer output kept for backward */
	m->weights = params * (4.0 + (amp ? 2 : 0));
	m->grads = params * 4.0;
	m->optim = params * 4.0 * state_words[o->optimizer];
	m->params = params;
	m->unit_params = unit;
	m->acts_per_sample = acts;
	m->act_layers = n;
}

void gpu_klist_release(struct gpu_klist *kl)
{
	free(kl->k);
	memset(kl, 0, sizeof(*kl));
}
