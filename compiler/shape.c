/*
 * shape.c: per-sample shape inference and parameter counts, one rule per op.
 *
 * Shapes exclude the batch dimension (graph.h).  Each rule checks that its
 * inputs fit and writes the output shapes; an error names the layer, the
 * input, what was expected and what was found, and the layer's location.
 */
#include <stdio.h>
#include <string.h>

#include "compiler/graph_int.h"
#include "ground/checked.h"
#include "ground/util.h"

char *shape_str(char *buf, size_t n, int rank, const int64_t *dims)
{
	size_t k = 0;
	k += snprintf(buf + k, n - k, "[");
	for (int i = 0; i < rank && k < n; i++)
		k += snprintf(buf + k, n - k, "%s%lld", i ? ", " : "",
			      (long long)dims[i]);
	if (k < n)
		snprintf(buf + k, n - k, "]");
	return buf;
}

/* Saturating at CK_LIMIT (ground/checked.h): graph_finish refuses a layer
 * whose sizes reach it, with a located message. */
static int64_t smul(int64_t a, int64_t b)
{
	int64_t r;
	ck_mul_ok(a, b, &r);
	return r;
}

static int64_t sadd(int64_t a, int64_t b)
{
	int64_t r;
	ck_add_ok(a, b, &r);
	return r;
}

static int64_t prod(const int64_t *d, int n)
{
	int64_t p = 1;
	for (int i = 0; i < n; i++)
		p = smul(p, d[i]);
	return p;
}

int64_t shape_layer_params(const struct graph *g, const struct layer *l)
{
	const struct op_attrs *a = &l->attrs;
	const struct tensor *in = l->n_in ? &g->tensors[l->in[0]] : NULL;
	switch (l->op) {
	case OP_DENSE: {
		int64_t k = in && in->rank ? in->dims[in->rank - 1] : 1;
		return sadd(smul(k, a->units), a->bias ? a->units : 0);
	}
	case OP_CONV: {
		int64_t c = in && in->rank ? in->dims[0] : 1;
		int64_t g1 = a->groups > 0 ? a->groups : 1;
		return sadd(smul(smul(a->out_channels, c / g1),
				 prod(a->kernel, a->spatial)),
			    a->bias ? a->out_channels : 0);
	}
	case OP_BATCHNORM: return in && in->rank ? smul(2, in->dims[0]) : 0;
	case OP_LAYERNORM: {
		int64_t c = in && in->rank ? in->dims[in->rank - 1] : 1;
		return smul(a->bias ? 2 : 1, c);
	}
	case OP_EMBEDDING: return smul(a->vocab, a->dim);
	default: return 0;
	}
}

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
	/* attributes come from the file: checked, saturating (a padded
	 * input beyond CK_LIMIT gives CK_LIMIT, which graph_finish refuses;
	 * a window wider than any input gives 0) */
	int64_t in, reach, span;
	if (s < 1 || !ck_add_ok(n, pb, &in) || !ck_add_ok(in, pe, &in))
		return s < 1 ? 0 : CK_LIMIT;
	if (!ck_mul_ok(dil, k - 1, &reach) || !ck_add_ok(reach, 1, &reach) ||
	    reach > in)
		return 0;
	span = in - reach;
	int64_t o = span / s + (ceil_mode && span % s ? 1 : 0) + 1, st;
	/* PyTorch: the last window must start inside the padded input */
	if (ceil_mode && (!ck_mul_ok(o - 1, s, &st) || st >= n + pb))
		o--;
	return o;
}

int shape_infer_layer(struct graph *g, int id, struct diag *d)
{
	struct layer *l = &g->layers[id];
	struct op_attrs *a = &l->attrs;
	char s1[96], s2[96];
	const struct tensor *x = l->n_in ? &g->tensors[l->in[0]] : NULL;
	int64_t od[GRAPH_MAX_DIMS];
	int r;
	enum dtype dt = x ? x->dtype : g->param_dtype;
	if (dt == DT_INT64 || dt == DT_INT32 || dt == DT_BOOL)
		dt = g->param_dtype;

	/* Arity. */
	int min_in = 1, max_in = 1, n_out = 1;
	switch (l->op) {
	case OP_EMBEDDING: min_in = 0; break;
	case OP_MATMUL:
	case OP_ADD:
	case OP_SUB:
	case OP_MUL:
	case OP_DIV: min_in = max_in = 2; break;
	case OP_ATTENTION: max_in = 3; break;
	case OP_CONCAT: max_in = GRAPH_MAX_IO; break;
	case OP_LOSS_MSE:
	case OP_LOSS_XENT: max_in = 2; break;
	case OP_SPLIT: n_out = -1; break;
	default: break;
	}
	if (l->op == OP_INPUT || (unsigned)l->op >= OP_COUNT)
		FAIL("network: layer '%s' must have a computing op, got '%s'",
		     l->name, op_name(l->op));
	if (l->n_in < min_in || l->n_in > max_in) {
		if (min_in == max_in)
			FAIL("network: layer '%s' (%s) must have %d input%s, "
			     "got %d",
			     l->name, op_name(l->op), min_in,
			     min_in == 1 ? "" : "s", l->n_in);
		FAIL("network: layer '%s' (%s) must have %d to %d inputs, "
		     "got %d",
		     l->name, op_name(l->op), min_in, max_in, l->n_in);
	}
	if (n_out > 0 && l->n_out != n_out)
		FAIL("network: layer '%s' (%s) must have %d output, got %d",
		     l->name, op_name(l->op), n_out, l->n_out);
	if (l->op == OP_ATTENTION && l->n_in == 2)
		FAIL("network: layer '%s' (attention) must have 1 (packed qkv) "
		     "or 3 inputs (q, k, v), got 2",
		     l->name);
	if (x && x->rank < 0)
		return WS_EINPUT;

	switch (l->op) {
	case OP_DENSE:
		if (x->rank < 1)
			FAIL("network: input '%s' of layer '%s' must have at "
			     "least 1 dimension, got %s",
			     x->name, l->name, shape_str(s1, 96, 0, NULL));
		if (a->units < 1)
			FAIL("network: 'units' of layer '%s' must be >= 1, "
			     "got %lld",
			     l->name, (long long)a->units);
		memcpy(od, x->dims, sizeof(od));
		od[x->rank - 1] = a->units;
		set_out(g, l, 0, x->rank, od, dt);
		return 0;

	case OP_MATMUL: {
		const struct tensor *y = &g->tensors[l->in[1]];
		if (x->rank < 2 || y->rank < 2)
			FAIL("network: inputs of layer '%s' (matmul) must "
			     "have at least 2 dimensions, got %s and %s",
			     l->name, shape_str(s1, 96, x->rank, x->dims),
			     shape_str(s2, 96, y->rank, y->dims));
		int64_t k1 = x->dims[x->rank - 1], k2 = y->dims[y->rank - 2];
		if (k1 != k2)
			FAIL("network: input '%s' of layer '%s' (matmul) must "
			     "have %lld rows to match '%s' %s, got %s",
			     y->name, l->name, (long long)k1, x->name,
			     shape_str(s1, 96, x->rank, x->dims),
			     shape_str(s2, 96, y->rank, y->dims));
		struct tensor bx = *x, by = *y;
		bx.rank -= 2;
		by.rank -= 2;
		if (broadcast(&bx, &by, &r, od) || r + 2 > GRAPH_MAX_DIMS)
			FAIL("network: batch dimensions of the inputs of "
			     "layer '%s' (matmul) must broadcast, got %s and "
			     "%s",
			     l->name, shape_str(s1, 96, x->rank, x->dims),
			     shape_str(s2, 96, y->rank, y->dims));
		od[r] = x->dims[x->rank - 2];
		od[r + 1] = y->dims[y->rank - 1];
		set_out(g, l, 0, r + 2, od, dt);
		return 0;
	}

	case OP_CONV:
	case OP_MAXPOOL:
	case OP_AVGPOOL: {
		int sp = a->spatial;
		if (sp == 0 && x->rank >= 2 && x->rank <= 4)
			sp = a->spatial = x->rank - 1; /* from the input */
		if (sp < 1 || sp > 3)
			FAIL("network: 'spatial' of layer '%s' must be 1, 2 or "
			     "3, got %d",
			     l->name, sp);
		if (x->rank != sp + 1)
			FAIL("network: input '%s' of layer '%s' (%s %dd) must "
			     "be [channels, %d spatial dims], got %s",
			     x->name, l->name, op_name(l->op), sp, sp,
			     shape_str(s1, 96, x->rank, x->dims));
		int64_t c = x->dims[0];
		od[0] = c;
		if (l->op == OP_CONV) {
			int64_t gr = a->groups;
			if (a->out_channels < 1)
				FAIL("network: 'filters' of layer '%s' must "
				     "be >= 1, got %lld",
				     l->name, (long long)a->out_channels);
			if (gr < 1 || c % gr || a->out_channels % gr)
				FAIL("network: 'groups' of layer '%s' must "
				     "divide input channels %lld and filters "
				     "%lld, got %lld",
				     l->name, (long long)c,
				     (long long)a->out_channels, (long long)gr);
			od[0] = a->out_channels;
		}
		for (int i = 0; i < sp; i++) {
			if (a->dilation[i] == 0) /* unset: 1 */
				a->dilation[i] = 1;
			if (a->kernel[i] < 1 || a->stride[i] < 1 ||
			    a->dilation[i] < 1)
				FAIL("network: kernel, stride and dilation of "
				     "layer '%s' must be >= 1, got %lld, %lld, "
				     "%lld",
				     l->name, (long long)a->kernel[i],
				     (long long)a->stride[i],
				     (long long)a->dilation[i]);
			od[i + 1] = window_out(x->dims[i + 1], a->kernel[i],
					       a->stride[i], a->dilation[i],
					       a->pad_begin[i], a->pad_end[i],
					       a->ceil_mode);
			if (od[i + 1] < 1)
				FAIL("network: input '%s' of layer '%s' is too "
				     "small for kernel %lld: %s",
				     x->name, l->name, (long long)a->kernel[i],
				     shape_str(s1, 96, x->rank, x->dims));
		}
		set_out(g, l, 0, sp + 1, od, dt);
		return 0;
	}

	case OP_GLOBALAVGPOOL:
		if (x->rank < 2)
			FAIL("network: input '%s' of layer '%s' must be "
			     "[channels, spatial...], got %s",
			     x->name, l->name,
			     shape_str(s1, 96, x->rank, x->dims));
		od[0] = x->dims[0];
		for (int i = 1; i < x->rank; i++)
			od[i] = 1;
		set_out(g, l, 0, x->rank, od, dt);
		return 0;

	case OP_BATCHNORM:
	case OP_LAYERNORM:
		if (x->rank < 1)
			FAIL("network: input '%s' of layer '%s' must have at "
			     "least 1 dimension, got []",
			     x->name, l->name);
		/* fall through */
	case OP_RELU:
	case OP_SIGMOID:
	case OP_TANH:
	case OP_GELU:
	case OP_DROPOUT:
	case OP_EW_UNARY: set_out(g, l, 0, x->rank, x->dims, dt); return 0;

	case OP_SOFTMAX:
		if (x->rank && axis_norm(a->axis, x->rank) < 0)
			FAIL("network: 'axis' of layer '%s' must be in [%d, "
			     "%d], got %d",
			     l->name, -x->rank, x->rank - 1, a->axis);
		set_out(g, l, 0, x->rank, x->dims, dt);
		return 0;

	case OP_EMBEDDING:
		if (a->vocab < 1 || a->dim < 1)
			FAIL("network: 'vocab' and 'dim' of layer '%s' must be "
			     ">= 1, got %lld and %lld",
			     l->name, (long long)a->vocab, (long long)a->dim);
		if (!x) {
			od[0] = a->vocab;
			od[1] = a->dim;
			set_out(g, l, 0, 2, od, g->param_dtype);
			return 0;
		}
		if (x->rank + 1 > GRAPH_MAX_DIMS)
			FAIL("network: input '%s' of layer '%s' has too many "
			     "dimensions: %s",
			     x->name, l->name,
			     shape_str(s1, 96, x->rank, x->dims));
		memcpy(od, x->dims, sizeof(od));
		od[x->rank] = a->dim;
		set_out(g, l, 0, x->rank + 1, od, g->param_dtype);
		return 0;

	case OP_ATTENTION: {
		if (a->heads < 1)
			FAIL("network: 'heads' of layer '%s' must be >= 1, got "
			     "%lld",
			     l->name, (long long)a->heads);
		if (l->n_in == 1) {
			if (x->rank != 2 || x->dims[1] % (3 * a->heads))
				FAIL("network: packed input '%s' of layer '%s' "
				     "(attention) must be [seq, 3 x heads x "
				     "head_dim] with %lld heads, got %s",
				     x->name, l->name, (long long)a->heads,
				     shape_str(s1, 96, x->rank, x->dims));
			od[0] = x->dims[0];
			od[1] = x->dims[1] / 3;
			set_out(g, l, 0, 2, od, dt);
			return 0;
		}
		const struct tensor *k = &g->tensors[l->in[1]];
		const struct tensor *v = &g->tensors[l->in[2]];
		int rk = x->rank;
		if ((rk != 2 && rk != 3) || k->rank != rk || v->rank != rk)
			FAIL("network: q, k, v of layer '%s' (attention) must "
			     "all be [seq, dim] or [heads, seq, head_dim], got "
			     "%s and %s",
			     l->name, shape_str(s1, 96, x->rank, x->dims),
			     shape_str(s2, 96, k->rank, k->dims));
		int kt = a->k_transposed;
		int64_t dq = x->dims[rk - 1], dk = k->dims[rk - 1 - kt];
		int64_t sk = k->dims[rk - 2 + kt], sv = v->dims[rk - 2];
		if (dq != dk || sk != sv ||
		    (rk == 3 &&
		     (x->dims[0] != k->dims[0] || k->dims[0] != v->dims[0])))
			FAIL("network: k '%s' of layer '%s' (attention) must "
			     "match q %s and v %s, got %s",
			     k->name, l->name,
			     shape_str(s1, 96, x->rank, x->dims),
			     shape_str(s2, 96, v->rank, v->dims),
			     shape_str((char[96]){0}, 96, k->rank, k->dims));
		if (rk == 2 && (dq % a->heads || v->dims[1] % a->heads))
			FAIL("network: width of q and v of layer '%s' must be "
			     "a multiple of heads %lld, got %lld and %lld",
			     l->name, (long long)a->heads, (long long)dq,
			     (long long)v->dims[1]);
		memcpy(od, x->dims, sizeof(od));
		od[rk - 1] = v->dims[rk - 1];
		set_out(g, l, 0, rk, od, dt);
		return 0;
	}

	case OP_ADD:
	case OP_SUB:
	case OP_MUL:
	case OP_DIV: {
		const struct tensor *y = &g->tensors[l->in[1]];
		if (broadcast(x, y, &r, od))
			FAIL("network: input '%s' of layer '%s' (%s) must "
			     "broadcast to %s, got %s",
			     y->name, l->name, op_name(l->op),
			     shape_str(s1, 96, x->rank, x->dims),
			     shape_str(s2, 96, y->rank, y->dims));
		set_out(g, l, 0, r, od, dt);
		return 0;
	}

	case OP_CONCAT: {
		int ax = axis_norm(a->axis, x->rank);
		if (ax < 0)
			FAIL("network: 'axis' of layer '%s' must be in [%d, "
			     "%d], got %d",
			     l->name, -x->rank, x->rank - 1, a->axis);
		memcpy(od, x->dims, sizeof(od));
		for (int k = 1; k < l->n_in; k++) {
			const struct tensor *y = &g->tensors[l->in[k]];
			int ok = y->rank == x->rank;
			for (int i = 0; ok && i < x->rank; i++)
				ok = i == ax || y->dims[i] == x->dims[i];
			if (!ok)
				FAIL("network: input '%s' of layer '%s' "
				     "(concat on axis %d) must match %s "
				     "except on that axis, got %s",
				     y->name, l->name, ax,
				     shape_str(s1, 96, x->rank, x->dims),
				     shape_str(s2, 96, y->rank, y->dims));
			od[ax] = sadd(od[ax], y->dims[ax]);
		}
		set_out(g, l, 0, x->rank, od, x->dtype);
		return 0;
	}

	case OP_FLATTEN: {
		/* attrs.axis: dims before it are kept (default 0: all). */
		int ax = a->axis;
		if (ax < 0 || ax > x->rank)
			FAIL("network: 'axis' of layer '%s' must be in [0, "
			     "%d], "
			     "got %d",
			     l->name, x->rank, ax);
		memcpy(od, x->dims, sizeof(od));
		od[ax] = prod(x->dims + ax, x->rank - ax);
		set_out(g, l, 0, ax + 1, od, x->dtype);
		return 0;
	}

	case OP_RESHAPE: {
		int rr = a->shape_rank, infer = -1;
		if (rr < 0 || rr > GRAPH_MAX_DIMS)
			FAIL("network: 'shape' of layer '%s' must have 0 to %d "
			     "dimensions, got %d",
			     l->name, GRAPH_MAX_DIMS, rr);
		int64_t known = 1;
		for (int i = 0; i < rr; i++) {
			od[i] = a->shape[i];
			if (od[i] == 0 && i < x->rank)
				od[i] = x->dims[i];
			if (od[i] == -1 && infer < 0)
				infer = i;
			else if (od[i] < 1)
				FAIL("network: 'shape' of layer '%s' must hold "
				     "sizes >= 1 (one -1 allowed), got %lld",
				     l->name, (long long)a->shape[i]);
			else
				known = smul(known, od[i]);
		}
		int64_t n = tensor_elems(x);
		if (infer >= 0 && known > 0 && n % known == 0)
			od[infer] = n / known, known = n;
		if (known != n)
			FAIL("network: 'shape' of layer '%s' must hold the "
			     "%lld "
			     "elements of '%s' %s, got %s",
			     l->name, (long long)n, x->name,
			     shape_str(s1, 96, x->rank, x->dims),
			     shape_str(s2, 96, rr, a->shape));
		set_out(g, l, 0, rr, od, x->dtype);
		return 0;
	}

	case OP_TRANSPOSE: {
		int pr = a->perm_rank ? a->perm_rank : x->rank;
		unsigned seen = 0;
		int ok = pr == x->rank;
		for (int i = 0; ok && i < pr; i++) {
			int p = (int)a->perm[i];
			ok = p >= 0 && p < x->rank && !(seen & (1u << p));
			seen |= 1u << (p & 31);
			if (ok)
				od[i] = x->dims[p];
		}
		if (!ok)
			FAIL("network: 'perm' of layer '%s' must be a "
			     "permutation of the %d axes of %s, got %s",
			     l->name, x->rank,
			     shape_str(s1, 96, x->rank, x->dims),
			     shape_str(s2, 96, pr, a->perm));
		set_out(g, l, 0, x->rank, od, x->dtype);
		return 0;
	}

	case OP_SPLIT: {
		int ax = axis_norm(a->axis, x->rank);
		if (ax < 0)
			FAIL("network: 'axis' of layer '%s' must be in [%d, "
			     "%d], got %d",
			     l->name, -x->rank, x->rank - 1, a->axis);
		if (l->n_out < 1)
			FAIL("network: layer '%s' (split) must have outputs",
			     l->name);
		int64_t sum = 0;
		for (int o = 0; o < l->n_out; o++)
			sum += a->sizes[o] ? a->sizes[o]
					   : x->dims[ax] / l->n_out;
		if (sum != x->dims[ax])
			FAIL("network: parts of layer '%s' (split) must add up "
			     "to %lld along axis %d, got %lld",
			     l->name, (long long)x->dims[ax], ax,
			     (long long)sum);
		for (int o = 0; o < l->n_out; o++) {
			memcpy(od, x->dims, sizeof(od));
			od[ax] = a->sizes[o] ? a->sizes[o]
					     : x->dims[ax] / l->n_out;
			set_out(g, l, o, x->rank, od, x->dtype);
		}
		return 0;
	}

	case OP_SLICE: {
		int ax = axis_norm(a->axis, x->rank);
		if (ax < 0)
			FAIL("network: 'axis' of layer '%s' must be in [%d, "
			     "%d], got %d",
			     l->name, -x->rank, x->rank - 1, a->axis);
		int64_t n = x->dims[ax], b = a->start, e = a->end;
		int64_t st = a->step ? a->step : 1;
		if (b < 0)
			b += n;
		if (e < 0)
			e += n;
		if (e > n)
			e = n;
		if (b < 0 || b >= n || e <= b || st < 1)
			FAIL("network: slice [%lld:%lld:%lld] of layer '%s' "
			     "must select something of axis %d (size %lld)",
			     (long long)a->start, (long long)a->end,
			     (long long)st, l->name, ax, (long long)n);
		memcpy(od, x->dims, sizeof(od));
		od[ax] = (e - b + st - 1) / st;
		set_out(g, l, 0, x->rank, od, x->dtype);
		return 0;
	}

	case OP_SQUEEZE: {
		int k = 0;
		for (int i = 0; i < x->rank; i++) {
			int sel = a->axes_mask ? (int)((a->axes_mask >> i) & 1)
					       : x->dims[i] == 1;
			if (sel && x->dims[i] != 1)
				FAIL("network: axis %d of '%s' %s must have "
				     "size "
				     "1 to be squeezed by layer '%s', got %lld",
				     i, x->name,
				     shape_str(s1, 96, x->rank, x->dims),
				     l->name, (long long)x->dims[i]);
			if (!sel)
				od[k++] = x->dims[i];
		}
		set_out(g, l, 0, k, od, x->dtype);
		return 0;
	}

	case OP_LOSS_MSE:
	case OP_LOSS_XENT:
		if (l->n_in == 2 && l->op == OP_LOSS_MSE) {
			const struct tensor *y = &g->tensors[l->in[1]];
			if (tensor_elems(y) != tensor_elems(x))
				FAIL("network: target '%s' of layer '%s' must "
				     "have the shape of the prediction %s, got "
				     "%s",
				     y->name, l->name,
				     shape_str(s1, 96, x->rank, x->dims),
				     shape_str(s2, 96, y->rank, y->dims));
		}
		set_out(g, l, 0, 0, od, dt);
		return 0;

	default:
		FAIL("network: layer '%s' has op '%s', which shape inference "
		     "does not know",
		     l->name, op_name(l->op));
	}
}
