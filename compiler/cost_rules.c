/*
 * cost_rules.c: the per-op part of a layer's costs (conventions: cost.h),
 * one rule per op family, pointed to by op_desc[] (op.c).  cost.c fills the
 * part every op shares (activation bytes, parameters, optimizer state)
 * before calling the rule.
 *
 * Elementwise FLOPs per element are estimates of what a straightforward
 * kernel does (op_desc[].ew_fwd, .ew_bwd); matrix FLOPs are exact.
 */
#include "compiler/graph_int.h"
#include "ground/checked.h"

/* Sizes come from input files: every product and sum saturates at
 * CK_LIMIT (ground/checked.h), and cost_count_checked refuses a layer
 * whose figures reached it. */
#define MUL(a, b) ck_smul((a), (b))
#define ADD(a, b) ck_sadd((a), (b))

#include <string.h>

static int64_t tbytes(const struct graph *g, int t)
{
	return MUL(tensor_elems(&g->tensors[t]),
		   dtype_bytes(g->tensors[t].dtype));
}

static int64_t in_elems(const struct graph *g, const struct layer *l)
{
	return l->n_in ? tensor_elems(&g->tensors[l->in[0]]) : 0;
}

static int64_t out_elems(const struct graph *g, const struct layer *l)
{
	return tensor_elems(&g->tensors[l->out[0]]);
}

/* Dense and conv: 2 FLOPs per multiply-add in each of the three passes
 * (backward to data only when an input needs it); the bias is elementwise. */
static void gemm_like(const struct graph *g, const struct layer *l,
		      struct layer_cost *c, int64_t mac)
{
	int64_t dout = out_elems(g, l);
	c->mat_flops[PASS_FWD] = MUL(2, mac);
	c->mat_flops[PASS_BWD_DATA] = l->needs_input_grad ? MUL(2, mac) : 0;
	c->mat_flops[PASS_BWD_WEIGHT] = MUL(2, mac);
	if (l->attrs.bias) {
		c->ew_flops[PASS_FWD] = dout;
		c->ew_flops[PASS_BWD_WEIGHT] = dout;
	}
	c->saved_bytes = tbytes(g, l->in[0]);
}

void cost_dense(const struct graph *g, const struct layer *l,
		const struct op_desc *od, struct layer_cost *c)
{
	(void)od;
	const struct tensor *x = &g->tensors[l->in[0]];
	int64_t k = x->rank ? x->dims[x->rank - 1] : 1;
	int64_t m = k ? in_elems(g, l) / k : 0;
	gemm_like(g, l, c, MUL(MUL(m, k), l->attrs.units));
}

void cost_conv(const struct graph *g, const struct layer *l,
	       const struct op_desc *od, struct layer_cost *c)
{
	(void)od;
	const struct op_attrs *a = &l->attrs;
	int64_t cin = g->tensors[l->in[0]].dims[0];
	int64_t gr = a->groups > 0 ? a->groups : 1;
	gemm_like(g, l, c,
		  MUL(MUL(out_elems(g, l), cin / gr),
		      ck_sprod(a->kernel, a->spatial)));
}

void cost_matmul(const struct graph *g, const struct layer *l,
		 const struct op_desc *od, struct layer_cost *c)
{
	(void)od;
	const struct tensor *x = &g->tensors[l->in[0]];
	int64_t k = x->dims[x->rank - 1], mac = MUL(out_elems(g, l), k);
	c->mat_flops[PASS_FWD] = MUL(2, mac);
	for (int i = 0; i < 2; i++)
		if (g->tensors[l->in[i]].requires_grad)
			c->mat_flops[PASS_BWD_DATA] =
				ADD(c->mat_flops[PASS_BWD_DATA], MUL(2, mac));
	c->saved_bytes = ADD(tbytes(g, l->in[0]), tbytes(g, l->in[1]));
}

void cost_attention(const struct graph *g, const struct layer *l,
		    const struct op_desc *od, struct layer_cost *c)
{
	(void)od;
	const struct op_attrs *a = &l->attrs;
	const struct tensor *x = &g->tensors[l->in[0]];
	int grad = l->needs_input_grad;
	/* heads, query and key lengths, q/k and v widths per head */
	int64_t h, sq, sk, dqk, dv;
	if (l->n_in == 1) {
		h = a->heads;
		sq = sk = x->dims[0];
		dqk = dv = x->dims[1] / 3 / h;
	} else {
		const struct tensor *k = &g->tensors[l->in[1]];
		const struct tensor *v = &g->tensors[l->in[2]];
		int r = x->rank;
		h = r == 3 ? x->dims[0] : a->heads;
		sq = x->dims[r - 2];
		sk = k->dims[r - 2 + a->k_transposed];
		dqk = r == 3 ? x->dims[2] : x->dims[1] / h;
		dv = r == 3 ? v->dims[2] : v->dims[1] / h;
	}
	int64_t scores = MUL(MUL(h, sq), sk);
	int64_t qk = MUL(scores, dqk), pv = MUL(scores, dv);
	c->mat_flops[PASS_FWD] = MUL(2, ADD(qk, pv));
	c->mat_flops[PASS_BWD_DATA] =
		grad ? MUL(2, ADD(MUL(3, qk), MUL(2, pv))) : 0;
	c->ew_flops[PASS_FWD] = MUL(6, scores);
	c->ew_flops[PASS_BWD_DATA] = grad ? MUL(4, scores) : 0;
	for (int i = 0; i < l->n_in; i++)
		c->saved_bytes = ADD(c->saved_bytes, tbytes(g, l->in[i]));
	c->saved_bytes = ADD(c->saved_bytes, ADD(tbytes(g, l->out[0]),
						 MUL(MUL(4, h), sq)));
}

void cost_embedding(const struct graph *g, const struct layer *l,
		    const struct op_desc *od, struct layer_cost *c)
{
	(void)od;
	c->ew_flops[PASS_BWD_WEIGHT] = out_elems(g, l); /* scatter-add */
	c->saved_bytes = l->n_in ? tbytes(g, l->in[0]) : 0;
}

void cost_pool(const struct graph *g, const struct layer *l,
	       const struct op_desc *od, struct layer_cost *c)
{
	(void)od;
	int grad = l->needs_input_grad;
	c->ew_flops[PASS_FWD] =
		MUL(out_elems(g, l), ck_sprod(l->attrs.kernel, l->attrs.spatial));
	c->ew_flops[PASS_BWD_DATA] = grad ? in_elems(g, l) : 0;
	c->saved_bytes = grad && l->op == OP_MAXPOOL ? tbytes(g, l->in[0]) : 0;
}

void cost_global_pool(const struct graph *g, const struct layer *l,
		      const struct op_desc *od, struct layer_cost *c)
{
	(void)od;
	int64_t din = in_elems(g, l);
	c->ew_flops[PASS_FWD] = din;
	c->ew_flops[PASS_BWD_DATA] = l->needs_input_grad ? din : 0;
}

/* Mean squared error: 3 FLOPs per element forward (sub, mul, add), 2
 * backward; softmax cross-entropy 5 forward (exp, sum, log, sub, pick). */
void cost_loss(const struct graph *g, const struct layer *l,
	       const struct op_desc *od, struct layer_cost *c)
{
	(void)od;
	int64_t din = in_elems(g, l);
	int grad = l->needs_input_grad;
	c->ew_flops[PASS_FWD] = MUL(l->op == OP_LOSS_MSE ? 3 : 5, din);
	c->ew_flops[PASS_BWD_DATA] = grad ? MUL(2, din) : 0;
	c->saved_bytes = grad ? tbytes(g, l->in[0]) : 0;
}

/* Elementwise work at f forward and b backward FLOPs per output element;
 * returns whether backward runs (then the op keeps what it needs). */
static int ew_apply(const struct graph *g, const struct layer *l,
		    struct layer_cost *c, int64_t f, int64_t b)
{
	int64_t dout = out_elems(g, l);
	c->ew_flops[PASS_FWD] = MUL(f, dout);
	c->ew_flops[PASS_BWD_DATA] = l->needs_input_grad ? MUL(b, dout) : 0;
	return l->needs_input_grad;
}

/* relu, sigmoid, tanh, softmax: backward reads the output. */
void cost_ew_saves_out(const struct graph *g, const struct layer *l,
		       const struct op_desc *od, struct layer_cost *c)
{
	if (ew_apply(g, l, c, od->ew_fwd, od->ew_bwd))
		c->saved_bytes = tbytes(g, l->out[0]);
}

/* gelu: backward reads the input. */
void cost_ew_saves_in(const struct graph *g, const struct layer *l,
		      const struct op_desc *od, struct layer_cost *c)
{
	if (ew_apply(g, l, c, od->ew_fwd, od->ew_bwd))
		c->saved_bytes = tbytes(g, l->in[0]);
}

/* Other elementwise math: the front end says its FLOPs per element. */
void cost_unary(const struct graph *g, const struct layer *l,
		const struct op_desc *od, struct layer_cost *c)
{
	(void)od;
	int64_t f =
		l->attrs.ew_flops_per_elem > 0 ? l->attrs.ew_flops_per_elem : 1;
	if (ew_apply(g, l, c, f, f + 1))
		c->saved_bytes = tbytes(g, l->in[0]);
}

/* mul, div: backward reads both operands. */
void cost_ew_saves_both(const struct graph *g, const struct layer *l,
			const struct op_desc *od, struct layer_cost *c)
{
	if (ew_apply(g, l, c, od->ew_fwd, od->ew_bwd))
		c->saved_bytes = ADD(tbytes(g, l->in[0]), tbytes(g, l->in[1]));
}

/* add, sub: backward needs nothing saved. */
void cost_ew_saves_none(const struct graph *g, const struct layer *l,
			const struct op_desc *od, struct layer_cost *c)
{
	ew_apply(g, l, c, od->ew_fwd, od->ew_bwd);
}

/* dropout: one byte of mask per element. */
void cost_dropout(const struct graph *g, const struct layer *l,
		  const struct op_desc *od, struct layer_cost *c)
{
	if (ew_apply(g, l, c, od->ew_fwd, od->ew_bwd))
		c->saved_bytes = out_elems(g, l);
}

/* batch and layer norm: scale and shift gradients (2 per element), the
 * input kept even for the first layer (the weights need it); a batch norm
 * also keeps its running mean and variance (2 per channel, not params). */
void cost_norm(const struct graph *g, const struct layer *l,
	       const struct op_desc *od, struct layer_cost *c)
{
	const struct tensor *x = &g->tensors[l->in[0]];
	ew_apply(g, l, c, od->ew_fwd, od->ew_bwd);
	c->ew_flops[PASS_BWD_WEIGHT] = MUL(2, out_elems(g, l));
	c->saved_bytes = tbytes(g, l->in[0]);
	if (l->op == OP_BATCHNORM && l->param_owner == (int)(l - g->layers) &&
	    x->rank)
		c->buffers = MUL(2, x->dims[0]);
}

/* Transposed conv: every input element meets every weight of its group,
 * as PyTorch's FLOP counter counts it (input positions x weights). */
void cost_conv_transpose(const struct graph *g, const struct layer *l,
			 const struct op_desc *od, struct layer_cost *c)
{
	(void)od;
	const struct op_attrs *a = &l->attrs;
	int64_t gr = a->groups > 0 ? a->groups : 1;
	gemm_like(g, l, c,
		  in_elems(g, l) * (a->out_channels / gr) *
			  ck_sprod(a->kernel, a->spatial));
}

/* Reduction: one add (or compare) per input element, one divide per output
 * (counted in the adds); backward spreads the gradient back. */
void cost_reduce(const struct graph *g, const struct layer *l,
		 const struct op_desc *od, struct layer_cost *c)
{
	(void)od;
	int64_t din = in_elems(g, l);
	c->ew_flops[PASS_FWD] = din;
	c->ew_flops[PASS_BWD_DATA] = l->needs_input_grad ? din : 0;
	if (l->needs_input_grad && strcmp(l->attrs.ew_name, "mean") &&
	    strcmp(l->attrs.ew_name, "sum"))
		c->saved_bytes = tbytes(g, l->in[0]); /* max, min: where */
}

/* Resize: FLOPs per output element by mode over the k resized axes:
 * nearest copies (1), linear blends 2^k taps, cubic 4^k (2 FLOPs per tap,
 * a multiply-add) [U]; backward scatters each gradient to its taps. */
void cost_resize(const struct graph *g, const struct layer *l,
		 const struct op_desc *od, struct layer_cost *c)
{
	(void)od;
	const struct tensor *x = &g->tensors[l->in[0]];
	const struct tensor *y = &g->tensors[l->out[0]];
	int64_t taps = 1;
	for (int i = 0; i < x->rank && i < y->rank; i++)
		if (x->dims[i] != y->dims[i])
			taps *= !strcmp(l->attrs.ew_name, "linear")  ? 2
				: !strcmp(l->attrs.ew_name, "cubic") ? 4
								     : 1;
	int64_t f = !strcmp(l->attrs.ew_name, "linear") ||
				    !strcmp(l->attrs.ew_name, "cubic")
			    ? 2 * taps
			    : 1;
	ew_apply(g, l, c, f, f);
}
