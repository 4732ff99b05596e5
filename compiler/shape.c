/*
 * shape.c: per-sample shape inference and parameter counts, one rule per op
 * (the rules op_desc[] in op.c points to; arity is checked there first).
 *
 * Shapes exclude the batch dimension (graph.h).  Each rule checks that its
 * inputs fit and writes the output shapes; an error names the layer, the
 * input, what was expected and what was found, and the layer's location.
 * Rules call nothing above tensor.c: what they need of their op (its name)
 * comes in the row they are handed.
 */
#include <stdio.h>
#include <string.h>

#include "compiler/graph_int.h"
#include "ground/checked.h"
#include "ground/util.h"

/* Sizes come from input files: products and sums saturate at CK_LIMIT
 * (ground/checked.h); graph_finish refuses a layer whose sizes reach it,
 * with a located message. */
#define MUL(a, b) ck_smul((a), (b))
#define ADD(a, b) ck_sadd((a), (b))

static const struct tensor *in_t(const struct graph *g, const struct layer *l,
				 int i)
{
	return i < l->n_in ? &g->tensors[l->in[i]] : NULL;
}

/* ------------------------------------------------------------ parameters */

int64_t params_dense(const struct graph *g, const struct layer *l)
{
	const struct tensor *in = in_t(g, l, 0);
	int64_t k = in && in->rank ? in->dims[in->rank - 1] : 1;
	return ADD(MUL(k, l->attrs.units), l->attrs.bias ? l->attrs.units : 0);
}

int64_t params_conv(const struct graph *g, const struct layer *l)
{
	const struct op_attrs *a = &l->attrs;
	const struct tensor *in = in_t(g, l, 0);
	int64_t c = in && in->rank ? in->dims[0] : 1;
	int64_t g1 = a->groups > 0 ? a->groups : 1;
	return ADD(MUL(MUL(a->out_channels, c / g1),
		       ck_sprod(a->kernel, a->spatial)),
		   a->bias ? a->out_channels : 0);
}

int64_t params_batchnorm(const struct graph *g, const struct layer *l)
{
	const struct tensor *in = in_t(g, l, 0);
	return in && in->rank ? MUL(2, in->dims[0]) : 0;
}

int64_t params_layernorm(const struct graph *g, const struct layer *l)
{
	const struct tensor *in = in_t(g, l, 0);
	int64_t c = in && in->rank ? in->dims[in->rank - 1] : 1;
	return MUL(l->attrs.bias ? 2 : 1, c);
}

int64_t params_embedding(const struct graph *g, const struct layer *l)
{
	(void)g;
	return MUL(l->attrs.vocab, l->attrs.dim);
}

/* ---------------------------------------------------------------- shapes */

/* Shorthands for errors at the layer. */
#define FAIL(...)                                                              \
	do {                                                                   \
		diag_add(d, LAYER_LOC(g, l), __VA_ARGS__);                     \
		return WS_EINPUT;                                              \
	} while (0)

static void set_out(struct graph *g, struct layer *l, int o, int rank,
		    const int64_t *dims, enum dtype dt)
{
	struct tensor *t = &g->tensors[l->out[o]];
	t->rank = rank;
	for (int i = 0; i < rank; i++)
		t->dims[i] = dims[i];
	t->dtype = dt;
}

/* Element type of a computed output: the first input's, unless it is an
 * index or mask type (then the parameters'). */
static enum dtype out_dtype(const struct graph *g, const struct tensor *x)
{
	enum dtype dt = x ? x->dtype : g->param_dtype;
	if (dt == DT_INT64 || dt == DT_INT32 || dt == DT_BOOL)
		dt = g->param_dtype;
	return dt;
}

/* Numpy broadcasting of a and b into out; 0 or -1. */
static int broadcast(const struct tensor *a, const struct tensor *b, int *rank,
		     int64_t *out)
{
	int r = a->rank > b->rank ? a->rank : b->rank;
	for (int i = 0; i < r; i++) {
		int ia = i - (r - a->rank), ib = i - (r - b->rank);
		int64_t da = ia >= 0 ? a->dims[ia] : 1;
		int64_t db = ib >= 0 ? b->dims[ib] : 1;
		if (da != db && da != 1 && db != 1)
			return -1;
		out[i] = da == 1 ? db : da;
	}
	*rank = r;
	return 0;
}

static int64_t window_out(int64_t n, int64_t k, int64_t s, int64_t dil,
			  int64_t pb, int64_t pe, int ceil_mode)
{
	/* attributes come from the file: checked (a padded input beyond
	 * CK_LIMIT gives CK_LIMIT, refused by graph_finish; a window wider
	 * than any input gives 0, refused by the rule) */
	int64_t in, reach, st;
	if (s < 1 || !ck_add_ok(n, pb, &in) || !ck_add_ok(in, pe, &in))
		return s < 1 ? 0 : CK_LIMIT;
	if (!ck_mul_ok(dil, k - 1, &reach) || !ck_add_ok(reach, 1, &reach) ||
	    reach > in)
		return 0;
	int64_t span = in - reach;
	int64_t o = span / s + (ceil_mode && span % s ? 1 : 0) + 1;
	/* PyTorch: the last window must start inside the padded input */
	if (ceil_mode && (!ck_mul_ok(o - 1, s, &st) || st >= n + pb))
		o--;
	return o;
}

int shape_dense(struct graph *g, struct layer *l, const struct op_desc *od,
		struct diag *d)
{
	(void)od;
	const struct tensor *x = in_t(g, l, 0);
	int64_t o[GRAPH_MAX_DIMS];
	char s1[96];
	if (x->rank < 1)
		FAIL("network: input '%s' of layer '%s' must have at least 1 "
		     "dimension, got %s",
		     x->name, l->name, shape_str(s1, 96, 0, NULL));
	if (l->attrs.units < 1)
		FAIL("network: 'units' of layer '%s' must be >= 1, got %lld",
		     l->name, (long long)l->attrs.units);
	memcpy(o, x->dims, sizeof(o));
	o[x->rank - 1] = l->attrs.units;
	set_out(g, l, 0, x->rank, o, out_dtype(g, x));
	return 0;
}

int shape_matmul(struct graph *g, struct layer *l, const struct op_desc *od,
		 struct diag *d)
{
	(void)od;
	const struct tensor *x = in_t(g, l, 0), *y = in_t(g, l, 1);
	int64_t o[GRAPH_MAX_DIMS];
	char s1[96], s2[96];
	int r;
	if (x->rank < 2 || y->rank < 2)
		FAIL("network: inputs of layer '%s' (matmul) must have at "
		     "least 2 dimensions, got %s and %s",
		     l->name, shape_str(s1, 96, x->rank, x->dims),
		     shape_str(s2, 96, y->rank, y->dims));
	int64_t k1 = x->dims[x->rank - 1], k2 = y->dims[y->rank - 2];
	if (k1 != k2)
		FAIL("network: input '%s' of layer '%s' (matmul) must have "
		     "%lld rows to match '%s' %s, got %s",
		     y->name, l->name, (long long)k1, x->name,
		     shape_str(s1, 96, x->rank, x->dims),
		     shape_str(s2, 96, y->rank, y->dims));
	struct tensor bx = *x, by = *y;
	bx.rank -= 2;
	by.rank -= 2;
	if (broadcast(&bx, &by, &r, o) || r + 2 > GRAPH_MAX_DIMS)
		FAIL("network: batch dimensions of the inputs of layer '%s' "
		     "(matmul) must broadcast, got %s and %s",
		     l->name, shape_str(s1, 96, x->rank, x->dims),
		     shape_str(s2, 96, y->rank, y->dims));
	o[r] = x->dims[x->rank - 2];
	o[r + 1] = y->dims[y->rank - 1];
	set_out(g, l, 0, r + 2, o, out_dtype(g, x));
	return 0;
}

/* Conv filters and groups: the output channels, or -1 after an error. */
static int64_t conv_channels(struct graph *g, struct layer *l, int64_t c,
			     struct diag *d)
{
	const struct op_attrs *a = &l->attrs;
	int64_t gr = a->groups;
	if (a->out_channels < 1) {
		diag_add(d, LAYER_LOC(g, l),
			 "network: 'filters' of layer '%s' must be >= 1, got "
			 "%lld",
			 l->name, (long long)a->out_channels);
		return -1;
	}
	if (gr < 1 || c % gr || a->out_channels % gr) {
		diag_add(d, LAYER_LOC(g, l),
			 "network: 'groups' of layer '%s' must divide input "
			 "channels %lld and filters %lld, got %lld",
			 l->name, (long long)c, (long long)a->out_channels,
			 (long long)gr);
		return -1;
	}
	return a->out_channels;
}

/* Spatial dims of a conv, pool or transposed conv (from the input when
 * unset): the input must be [channels, 1 to 3 spatial dims].  sp or -1
 * (reported). */
static int window_spatial(struct graph *g, struct layer *l,
			  const struct op_desc *od, struct diag *d)
{
	const struct tensor *x = in_t(g, l, 0);
	char s1[96];
	int sp = l->attrs.spatial;
	if (sp == 0 && x->rank >= 2 && x->rank <= 4)
		sp = l->attrs.spatial = x->rank - 1; /* from the input */
	if (sp < 1 || sp > 3) {
		diag_add(d, LAYER_LOC(g, l),
			 "network: 'spatial' of layer '%s' must be 1, 2 or 3, "
			 "got %d",
			 l->name, sp);
		return -1;
	}
	if (x->rank != sp + 1) {
		diag_add(d, LAYER_LOC(g, l),
			 "network: input '%s' of layer '%s' (%s %dd) must be "
			 "[channels, %d spatial dims], got %s",
			 x->name, l->name, od->name, sp, sp,
			 shape_str(s1, 96, x->rank, x->dims));
		return -1;
	}
	return sp;
}

/* Conv and pooling windows: [channels, 1 to 3 spatial dims]. */
int shape_window(struct graph *g, struct layer *l, const struct op_desc *od,
		 struct diag *d)
{
	const struct tensor *x = in_t(g, l, 0);
	struct op_attrs *a = &l->attrs;
	int64_t o[GRAPH_MAX_DIMS];
	char s1[96];
	int sp = window_spatial(g, l, od, d);
	if (sp < 0)
		return WS_EINPUT;
	o[0] = x->dims[0];
	if (l->op == OP_CONV && (o[0] = conv_channels(g, l, o[0], d)) < 0)
		return WS_EINPUT;
	for (int i = 0; i < sp; i++) {
		if (a->dilation[i] == 0) /* unset: 1 */
			a->dilation[i] = 1;
		if (a->kernel[i] < 1 || a->stride[i] < 1 || a->dilation[i] < 1)
			FAIL("network: kernel, stride and dilation of layer "
			     "'%s' must be >= 1, got %lld, %lld, %lld",
			     l->name, (long long)a->kernel[i],
			     (long long)a->stride[i],
			     (long long)a->dilation[i]);
		o[i + 1] =
			window_out(x->dims[i + 1], a->kernel[i], a->stride[i],
				   a->dilation[i], a->pad_begin[i],
				   a->pad_end[i], a->ceil_mode);
		if (o[i + 1] < 1)
			FAIL("network: input '%s' of layer '%s' is too small "
			     "for kernel %lld: %s",
			     x->name, l->name, (long long)a->kernel[i],
			     shape_str(s1, 96, x->rank, x->dims));
	}
	set_out(g, l, 0, sp + 1, o, out_dtype(g, x));
	return 0;
}

int shape_global_pool(struct graph *g, struct layer *l,
		      const struct op_desc *od, struct diag *d)
{
	(void)od;
	const struct tensor *x = in_t(g, l, 0);
	int64_t o[GRAPH_MAX_DIMS];
	char s1[96];
	if (x->rank < 2)
		FAIL("network: input '%s' of layer '%s' must be [channels, "
		     "spatial...], got %s",
		     x->name, l->name, shape_str(s1, 96, x->rank, x->dims));
	o[0] = x->dims[0];
	for (int i = 1; i < x->rank; i++)
		o[i] = 1;
	set_out(g, l, 0, x->rank, o, out_dtype(g, x));
	return 0;
}

int shape_norm(struct graph *g, struct layer *l, const struct op_desc *od,
	       struct diag *d)
{
	const struct tensor *x = in_t(g, l, 0);
	if (x->rank < 1)
		FAIL("network: input '%s' of layer '%s' must have at least 1 "
		     "dimension, got []",
		     x->name, l->name);
	return shape_same(g, l, od, d);
}

int shape_same(struct graph *g, struct layer *l, const struct op_desc *od,
	       struct diag *d)
{
	(void)od;
	(void)d;
	const struct tensor *x = in_t(g, l, 0);
	set_out(g, l, 0, x->rank, x->dims, out_dtype(g, x));
	return 0;
}

int shape_softmax(struct graph *g, struct layer *l, const struct op_desc *od,
		  struct diag *d)
{
	const struct tensor *x = in_t(g, l, 0);
	if (x->rank && axis_norm(l->attrs.axis, x->rank) < 0)
		FAIL("network: 'axis' of layer '%s' must be in [%d, %d], got "
		     "%d",
		     l->name, -x->rank, x->rank - 1, l->attrs.axis);
	return shape_same(g, l, od, d);
}

int shape_embedding(struct graph *g, struct layer *l, const struct op_desc *od,
		    struct diag *d)
{
	(void)od;
	const struct op_attrs *a = &l->attrs;
	const struct tensor *x = in_t(g, l, 0);
	int64_t o[GRAPH_MAX_DIMS];
	char s1[96];
	if (a->vocab < 1 || a->dim < 1)
		FAIL("network: 'vocab' and 'dim' of layer '%s' must be >= 1, "
		     "got %lld and %lld",
		     l->name, (long long)a->vocab, (long long)a->dim);
	if (!x) {
		o[0] = a->vocab;
		o[1] = a->dim;
		set_out(g, l, 0, 2, o, g->param_dtype);
		return 0;
	}
	if (x->rank + 1 > GRAPH_MAX_DIMS)
		FAIL("network: input '%s' of layer '%s' has too many "
		     "dimensions: %s",
		     x->name, l->name, shape_str(s1, 96, x->rank, x->dims));
	memcpy(o, x->dims, sizeof(o));
	o[x->rank] = a->dim;
	set_out(g, l, 0, x->rank + 1, o, g->param_dtype);
	return 0;
}

/* Attention with one packed [seq, 3 x heads x head_dim] input. */
static int attention_packed(struct graph *g, struct layer *l, struct diag *d)
{
	const struct tensor *x = in_t(g, l, 0);
	int64_t o[GRAPH_MAX_DIMS];
	char s1[96];
	if (x->rank != 2 || x->dims[1] % (3 * l->attrs.heads))
		FAIL("network: packed input '%s' of layer '%s' (attention) "
		     "must be [seq, 3 x heads x head_dim] with %lld heads, got "
		     "%s",
		     x->name, l->name, (long long)l->attrs.heads,
		     shape_str(s1, 96, x->rank, x->dims));
	o[0] = x->dims[0];
	o[1] = x->dims[1] / 3;
	set_out(g, l, 0, 2, o, out_dtype(g, x));
	return 0;
}

int shape_attention(struct graph *g, struct layer *l, const struct op_desc *od,
		    struct diag *d)
{
	(void)od;
	const struct op_attrs *a = &l->attrs;
	int64_t o[GRAPH_MAX_DIMS];
	char s1[96], s2[96], s3[96];
	if (l->n_in == 2)
		FAIL("network: layer '%s' (attention) must have 1 (packed qkv) "
		     "or 3 inputs (q, k, v), got 2",
		     l->name);
	if (a->heads < 1)
		FAIL("network: 'heads' of layer '%s' must be >= 1, got %lld",
		     l->name, (long long)a->heads);
	if (l->n_in == 1)
		return attention_packed(g, l, d);
	const struct tensor *x = in_t(g, l, 0), *k = in_t(g, l, 1),
			    *v = in_t(g, l, 2);
	int rk = x->rank;
	if ((rk != 2 && rk != 3) || k->rank != rk || v->rank != rk)
		FAIL("network: q, k, v of layer '%s' (attention) must all be "
		     "[seq, dim] or [heads, seq, head_dim], got %s and %s",
		     l->name, shape_str(s1, 96, x->rank, x->dims),
		     shape_str(s2, 96, k->rank, k->dims));
	int kt = a->k_transposed;
	int64_t dq = x->dims[rk - 1], dk = k->dims[rk - 1 - kt];
	int64_t sk = k->dims[rk - 2 + kt], sv = v->dims[rk - 2];
	if (dq != dk || sk != sv ||
	    (rk == 3 && (x->dims[0] != k->dims[0] || k->dims[0] != v->dims[0])))
		FAIL("network: k '%s' of layer '%s' (attention) must match q "
		     "%s and v %s, got %s",
		     k->name, l->name, shape_str(s1, 96, x->rank, x->dims),
		     shape_str(s2, 96, v->rank, v->dims),
		     shape_str(s3, 96, k->rank, k->dims));
	if (rk == 2 && (dq % a->heads || v->dims[1] % a->heads))
		FAIL("network: width of q and v of layer '%s' must be a "
		     "multiple of heads %lld, got %lld and %lld",
		     l->name, (long long)a->heads, (long long)dq,
		     (long long)v->dims[1]);
	memcpy(o, x->dims, sizeof(o));
	o[rk - 1] = v->dims[rk - 1];
	set_out(g, l, 0, rk, o, out_dtype(g, x));
	return 0;
}

int shape_broadcast(struct graph *g, struct layer *l, const struct op_desc *od,
		    struct diag *d)
{
	const struct tensor *x = in_t(g, l, 0), *y = in_t(g, l, 1);
	int64_t o[GRAPH_MAX_DIMS];
	char s1[96], s2[96];
	int r;
	if (broadcast(x, y, &r, o))
		FAIL("network: input '%s' of layer '%s' (%s) must broadcast "
		     "to %s, got %s",
		     y->name, l->name, od->name,
		     shape_str(s1, 96, x->rank, x->dims),
		     shape_str(s2, 96, y->rank, y->dims));
	set_out(g, l, 0, r, o, out_dtype(g, x));
	return 0;
}

/* 'axis' of layer l normalised for x, or -1 after an error. */
static int layer_axis(struct graph *g, struct layer *l, const struct tensor *x,
		      struct diag *d)
{
	int ax = axis_norm(l->attrs.axis, x->rank);
	if (ax < 0)
		diag_add(d, LAYER_LOC(g, l),
			 "network: 'axis' of layer '%s' must be in [%d, %d], "
			 "got %d",
			 l->name, -x->rank, x->rank - 1, l->attrs.axis);
	return ax;
}

int shape_concat(struct graph *g, struct layer *l, const struct op_desc *od,
		 struct diag *d)
{
	(void)od;
	const struct tensor *x = in_t(g, l, 0);
	int64_t o[GRAPH_MAX_DIMS];
	char s1[96], s2[96];
	int ax = layer_axis(g, l, x, d);
	if (ax < 0)
		return WS_EINPUT;
	memcpy(o, x->dims, sizeof(o));
	for (int k = 1; k < l->n_in; k++) {
		const struct tensor *y = in_t(g, l, k);
		int ok = y->rank == x->rank;
		for (int i = 0; ok && i < x->rank; i++)
			ok = i == ax || y->dims[i] == x->dims[i];
		if (!ok)
			FAIL("network: input '%s' of layer '%s' (concat on "
			     "axis %d) must match %s except on that axis, got "
			     "%s",
			     y->name, l->name, ax,
			     shape_str(s1, 96, x->rank, x->dims),
			     shape_str(s2, 96, y->rank, y->dims));
		o[ax] = ADD(o[ax], y->dims[ax]);
	}
	set_out(g, l, 0, x->rank, o, x->dtype);
	return 0;
}

int shape_flatten(struct graph *g, struct layer *l, const struct op_desc *od,
		  struct diag *d)
{
	(void)od;
	const struct tensor *x = in_t(g, l, 0);
	int64_t o[GRAPH_MAX_DIMS];
	/* attrs.axis: dims before it are kept (default 0: all). */
	int ax = l->attrs.axis;
	if (ax < 0 || ax > x->rank)
		FAIL("network: 'axis' of layer '%s' must be in [0, %d], got %d",
		     l->name, x->rank, ax);
	memcpy(o, x->dims, sizeof(o));
	o[ax] = ck_sprod(x->dims + ax, x->rank - ax);
	set_out(g, l, 0, ax + 1, o, x->dtype);
	return 0;
}

int shape_reshape(struct graph *g, struct layer *l, const struct op_desc *od,
		  struct diag *d)
{
	(void)od;
	const struct op_attrs *a = &l->attrs;
	const struct tensor *x = in_t(g, l, 0);
	int64_t o[GRAPH_MAX_DIMS];
	char s1[96], s2[96];
	int rr = a->shape_rank, infer = -1;
	if (rr < 0 || rr > GRAPH_MAX_DIMS)
		FAIL("network: 'shape' of layer '%s' must have 0 to %d "
		     "dimensions, got %d",
		     l->name, GRAPH_MAX_DIMS, rr);
	int64_t known = 1;
	for (int i = 0; i < rr; i++) {
		o[i] = a->shape[i];
		if (o[i] == 0 && i < x->rank)
			o[i] = x->dims[i];
		if (o[i] == -1 && infer < 0)
			infer = i;
		else if (o[i] < 1)
			FAIL("network: 'shape' of layer '%s' must hold sizes "
			     ">= 1 (one -1 allowed), got %lld",
			     l->name, (long long)a->shape[i]);
		else
			known = MUL(known, o[i]);
	}
	int64_t n = tensor_elems(x);
	if (infer >= 0 && known > 0 && n % known == 0)
		o[infer] = n / known, known = n;
	if (known != n)
		FAIL("network: 'shape' of layer '%s' must hold the %lld "
		     "elements of '%s' %s, got %s",
		     l->name, (long long)n, x->name,
		     shape_str(s1, 96, x->rank, x->dims),
		     shape_str(s2, 96, rr, a->shape));
	set_out(g, l, 0, rr, o, x->dtype);
	return 0;
}

int shape_transpose(struct graph *g, struct layer *l, const struct op_desc *od,
		    struct diag *d)
{
	(void)od;
	const struct op_attrs *a = &l->attrs;
	const struct tensor *x = in_t(g, l, 0);
	int64_t o[GRAPH_MAX_DIMS];
	char s1[96], s2[96];
	int pr = a->perm_rank ? a->perm_rank : x->rank;
	unsigned seen = 0;
	int ok = pr == x->rank;
	for (int i = 0; ok && i < pr; i++) {
		int p = (int)a->perm[i];
		ok = p >= 0 && p < x->rank && !(seen & (1u << p));
		seen |= 1u << (p & 31);
		if (ok)
			o[i] = x->dims[p];
	}
	if (!ok)
		FAIL("network: 'perm' of layer '%s' must be a permutation of "
		     "the %d axes of %s, got %s",
		     l->name, x->rank, shape_str(s1, 96, x->rank, x->dims),
		     shape_str(s2, 96, pr, a->perm));
	set_out(g, l, 0, x->rank, o, x->dtype);
	return 0;
}

int shape_split(struct graph *g, struct layer *l, const struct op_desc *od,
		struct diag *d)
{
	(void)od;
	const struct op_attrs *a = &l->attrs;
	const struct tensor *x = in_t(g, l, 0);
	int64_t o[GRAPH_MAX_DIMS];
	int ax = layer_axis(g, l, x, d);
	if (ax < 0)
		return WS_EINPUT;
	if (l->n_out < 1)
		FAIL("network: layer '%s' (split) must have outputs", l->name);
	int64_t sum = 0;
	for (int k = 0; k < l->n_out; k++)
		sum = ADD(sum, a->sizes[k] ? a->sizes[k]
					   : x->dims[ax] / l->n_out);
	if (sum != x->dims[ax])
		FAIL("network: parts of layer '%s' (split) must add up to %lld "
		     "along axis %d, got %lld",
		     l->name, (long long)x->dims[ax], ax, (long long)sum);
	for (int k = 0; k < l->n_out; k++) {
		memcpy(o, x->dims, sizeof(o));
		o[ax] = a->sizes[k] ? a->sizes[k] : x->dims[ax] / l->n_out;
		set_out(g, l, k, x->rank, o, x->dtype);
	}
	return 0;
}

int shape_slice(struct graph *g, struct layer *l, const struct op_desc *od,
		struct diag *d)
{
	(void)od;
	const struct op_attrs *a = &l->attrs;
	const struct tensor *x = in_t(g, l, 0);
	int64_t o[GRAPH_MAX_DIMS];
	int ax = layer_axis(g, l, x, d);
	if (ax < 0)
		return WS_EINPUT;
	int64_t n = x->dims[ax], b = a->start, e = a->end;
	int64_t st = a->step ? a->step : 1;
	if (b < 0)
		b += n;
	if (e < 0)
		e += n;
	if (e > n)
		e = n;
	if (b < 0 || b >= n || e <= b || st < 1)
		FAIL("network: slice [%lld:%lld:%lld] of layer '%s' must "
		     "select something of axis %d (size %lld)",
		     (long long)a->start, (long long)a->end, (long long)st,
		     l->name, ax, (long long)n);
	memcpy(o, x->dims, sizeof(o));
	o[ax] = (e - b - 1) / st + 1;
	set_out(g, l, 0, x->rank, o, x->dtype);
	return 0;
}

int shape_squeeze(struct graph *g, struct layer *l, const struct op_desc *od,
		  struct diag *d)
{
	(void)od;
	const struct tensor *x = in_t(g, l, 0);
	int64_t o[GRAPH_MAX_DIMS];
	char s1[96];
	unsigned mask = l->attrs.axes_mask;
	int k = 0;
	for (int i = 0; i < x->rank; i++) {
		int sel = mask ? (int)((mask >> i) & 1) : x->dims[i] == 1;
		if (sel && x->dims[i] != 1)
			FAIL("network: axis %d of '%s' %s must have size 1 to "
			     "be squeezed by layer '%s', got %lld",
			     i, x->name, shape_str(s1, 96, x->rank, x->dims),
			     l->name, (long long)x->dims[i]);
		if (!sel)
			o[k++] = x->dims[i];
	}
	set_out(g, l, 0, k, o, x->dtype);
	return 0;
}

int shape_loss(struct graph *g, struct layer *l, const struct op_desc *od,
	       struct diag *d)
{
	(void)od;
	const struct tensor *x = in_t(g, l, 0);
	int64_t o[GRAPH_MAX_DIMS] = {0};
	char s1[96], s2[96];
	if (l->n_in == 2 && l->op == OP_LOSS_MSE) {
		const struct tensor *y = in_t(g, l, 1);
		if (tensor_elems(y) != tensor_elems(x))
			FAIL("network: target '%s' of layer '%s' must have the "
			     "shape of the prediction %s, got %s",
			     y->name, l->name,
			     shape_str(s1, 96, x->rank, x->dims),
			     shape_str(s2, 96, y->rank, y->dims));
	}
	set_out(g, l, 0, 0, o, out_dtype(g, x));
	return 0;
}

/* Transposed conv: out = (in - 1) stride - pads + dilation (k - 1) +
 * output_padding + 1 per spatial axis (PyTorch's ConvTranspose, ONNX's). */
int shape_conv_transpose(struct graph *g, struct layer *l,
			 const struct op_desc *od, struct diag *d)
{
	const struct tensor *x = in_t(g, l, 0);
	struct op_attrs *a = &l->attrs;
	int64_t o[GRAPH_MAX_DIMS];
	char s1[96];
	int sp = window_spatial(g, l, od, d);
	if (sp < 0 || (o[0] = conv_channels(g, l, x->dims[0], d)) < 0)
		return WS_EINPUT;
	for (int i = 0; i < sp; i++) {
		if (a->dilation[i] == 0)
			a->dilation[i] = 1;
		if (a->kernel[i] < 1 || a->stride[i] < 1 || a->dilation[i] < 1)
			FAIL("network: kernel, stride and dilation of layer "
			     "'%s' must be >= 1, got %lld, %lld, %lld",
			     l->name, (long long)a->kernel[i],
			     (long long)a->stride[i],
			     (long long)a->dilation[i]);
		int64_t op = a->output_padding[i];
		if (op < 0 || (op >= a->stride[i] && op >= a->dilation[i]))
			FAIL("network: 'output_padding' of layer '%s' must be "
			     "in [0, max(stride, dilation) - 1] = [0, %lld], "
			     "got %lld",
			     l->name,
			     (long long)(a->stride[i] > a->dilation[i]
						 ? a->stride[i]
						 : a->dilation[i]) -
				     1,
			     (long long)op);
		o[i + 1] = ADD(ADD(MUL(x->dims[i + 1] - 1, a->stride[i]),
				   -ADD(a->pad_begin[i], a->pad_end[i])),
			       ADD(MUL(a->dilation[i], a->kernel[i] - 1),
				   ADD(op, 1)));
		if (o[i + 1] < 1)
			FAIL("network: padding of layer '%s' must leave an "
			     "output, got size %lld on spatial axis %d of %s",
			     l->name, (long long)o[i + 1], i,
			     shape_str(s1, 96, x->rank, x->dims));
	}
	set_out(g, l, 0, sp + 1, o, out_dtype(g, x));
	return 0;
}

/* Weights [in channels, filters / groups, kernel...] (+ bias). */
int64_t params_conv_transpose(const struct graph *g, const struct layer *l)
{
	const struct op_attrs *a = &l->attrs;
	const struct tensor *in = in_t(g, l, 0);
	int64_t c = in && in->rank ? in->dims[0] : 1;
	int64_t g1 = a->groups > 0 ? a->groups : 1;
	return ADD(MUL(MUL(c, a->out_channels / g1),
		       ck_sprod(a->kernel, a->spatial)),
		   a->bias ? a->out_channels : 0);
}

/* Reduction over axes_mask (0: every axis). */
int shape_reduce(struct graph *g, struct layer *l, const struct op_desc *od,
		 struct diag *d)
{
	(void)od;
	const struct tensor *x = in_t(g, l, 0);
	int64_t o[GRAPH_MAX_DIMS];
	char s1[96];
	unsigned m = l->attrs.axes_mask;
	if (m >> x->rank)
		FAIL("network: 'axes' of layer '%s' must name axes of %s, got "
		     "axis %d",
		     l->name, shape_str(s1, 96, x->rank, x->dims),
		     31 - __builtin_clz(m));
	int k = 0;
	for (int i = 0; i < x->rank; i++) {
		int sel = !m || (m >> i) & 1;
		if (!sel)
			o[k++] = x->dims[i];
		else if (l->attrs.keepdims)
			o[k++] = 1;
	}
	set_out(g, l, 0, k, o, out_dtype(g, x));
	return 0;
}

/* Resampling: sizes, or floor(size x scale) per axis (ONNX Resize,
 * PyTorch interpolate/Upsample). */
int shape_resize(struct graph *g, struct layer *l, const struct op_desc *od,
		 struct diag *d)
{
	(void)od;
	const struct op_attrs *a = &l->attrs;
	const struct tensor *x = in_t(g, l, 0);
	int64_t o[GRAPH_MAX_DIMS];
	char s1[96], s2[96];
	int scaled = 0;
	for (int i = 0; i < GRAPH_MAX_DIMS; i++)
		scaled |= a->scale[i] > 0 && a->scale[i] != 1;
	if (x->rank < 2)
		FAIL("network: input of layer '%s' (resize) must be [C, "
		     "spatial..], got %s",
		     l->name, shape_str(s1, 96, x->rank, x->dims));
	if (a->shape_rank && scaled)
		FAIL("network: layer '%s' must give 'scale' or 'size', not "
		     "both",
		     l->name);
	if (a->shape_rank && a->shape_rank != x->rank)
		FAIL("network: 'size' of layer '%s' must have one entry per "
		     "axis of %s, got %s",
		     l->name, shape_str(s1, 96, x->rank, x->dims),
		     shape_str(s2, 96, a->shape_rank, a->shape));
	for (int i = 0; i < x->rank; i++) {
		double s = a->scale[i] > 0 ? a->scale[i] : 1;
		o[i] = a->shape_rank && a->shape[i] > 0
			       ? a->shape[i]
			       : (double)x->dims[i] * s + 1e-9 >= (double)CK_LIMIT
				 ? CK_LIMIT
				 : (int64_t)((double)x->dims[i] * s + 1e-9);
		if (o[i] < 1)
			FAIL("network: layer '%s' must resize %s to sizes >= "
			     "1, got %lld on axis %d",
			     l->name, shape_str(s1, 96, x->rank, x->dims),
			     (long long)o[i], i);
	}
	set_out(g, l, 0, x->rank, o, out_dtype(g, x));
	return 0;
}

/* Constant padding before and after each axis. */
int shape_pad(struct graph *g, struct layer *l, const struct op_desc *od,
	      struct diag *d)
{
	(void)od;
	const struct tensor *x = in_t(g, l, 0);
	int64_t o[GRAPH_MAX_DIMS];
	char s1[96];
	for (int k = x->rank; k < GRAPH_MAX_DIMS; k++)
		if (l->attrs.pads[0][k] || l->attrs.pads[1][k])
			FAIL("network: pads of layer '%s' must pad at most "
			     "the %d axes of %s, got a pair for axis %d from "
			     "the end",
			     l->name, x->rank,
			     shape_str(s1, 96, x->rank, x->dims), k + 1);
	for (int i = 0; i < x->rank; i++) {
		int k = x->rank - 1 - i; /* from the end */
		/* saturating: pads come from the file */
		o[i] = ADD(ADD(x->dims[i], l->attrs.pads[0][k]),
			   l->attrs.pads[1][k]);
		if (o[i] < 1)
			FAIL("network: pads of layer '%s' must leave sizes >= "
			     "1 "
			     "of %s, got %lld on axis %d",
			     l->name, shape_str(s1, 96, x->rank, x->dims),
			     (long long)o[i], i);
	}
	set_out(g, l, 0, x->rank, o, x->dtype);
	return 0;
}
