/*
 * cost.c: FLOPs, bytes and memory per layer and pass (conventions: cost.h).
 *
 * Elementwise FLOPs per element are estimates of what a straightforward
 * kernel does (a relu is one compare, a sigmoid exp+add+div+neg, a norm a
 * few passes of adds and multiplies); matrix FLOPs are exact.
 */
#include "compiler/cost.h"

#include <string.h>

#include "compiler/graph_int.h"
#include "ground/checked.h"
#include "ground/mem.h"

/* Every product and sum below is checked (ground/checked.h): sizes come
 * from input files.  The first overflow is reported at the layer and the
 * figures saturate at CK_LIMIT. */
#define MUL(a, b) ck_mul(ck, "FLOPs and bytes", (a), (b))
#define ADD(a, b) ck_add(ck, "FLOPs and bytes", (a), (b))

static int64_t tbytes(struct ck *ck, const struct graph *g, int t)
{
	return MUL(tensor_elems(&g->tensors[t]),
		   dtype_bytes(g->tensors[t].dtype));
}

/* Elementwise FLOPs per output element: forward, backward to data. */
static const struct {
	enum op_kind op;
	int64_t fwd, bwd;
} ew_table[] = {
	{OP_RELU, 1, 1},      {OP_SIGMOID, 4, 2},   {OP_TANH, 4, 2},
	{OP_GELU, 8, 12},     {OP_SOFTMAX, 5, 4},   {OP_DROPOUT, 2, 1},
	{OP_BATCHNORM, 7, 9}, {OP_LAYERNORM, 7, 9}, {OP_ADD, 1, 1},
	{OP_SUB, 1, 1},	      {OP_MUL, 1, 2},	    {OP_DIV, 1, 3},
};

static void ew_rates(const struct layer *l, int64_t *f, int64_t *b)
{
	*f = *b = 0;
	if (l->op == OP_EW_UNARY) {
		*f = l->attrs.ew_flops_per_elem > 0 ? l->attrs.ew_flops_per_elem
						    : 1;
		*b = *f + 1;
		return;
	}
	for (size_t i = 0; i < sizeof(ew_table) / sizeof(ew_table[0]); i++)
		if (ew_table[i].op == l->op) {
			*f = ew_table[i].fwd;
			*b = ew_table[i].bwd;
		}
}

static void cost_layer(struct graph *g, int id, enum optimizer opt,
		       struct ck *ck)
{
	struct layer *l = &g->layers[id];
	struct layer_cost *c = &l->cost;
	const struct op_attrs *a = &l->attrs;
	memset(c, 0, sizeof(*c));
	const struct tensor *x = l->n_in ? &g->tensors[l->in[0]] : NULL;
	const struct tensor *y = &g->tensors[l->out[0]];
	int64_t din = x ? tensor_elems(x) : 0, dout = tensor_elems(y);
	int grad = l->needs_input_grad;

	for (int k = 0; k < l->n_in; k++)
		c->act_in_bytes = ADD(c->act_in_bytes, tbytes(ck, g, l->in[k]));
	for (int o = 0; o < l->n_out; o++)
		c->act_out_bytes = ADD(c->act_out_bytes, tbytes(ck, g, l->out[o]));

	if (l->param_owner == id)
		c->params = shape_layer_params(g, l);
	if (l->param_owner == id && l->op == OP_BATCHNORM && x && x->rank)
		c->buffers = MUL(2, x->dims[0]);
	c->weight_bytes = MUL(c->params, dtype_bytes(g->param_dtype));
	if (opt == OPT_MOMENTUM)
		c->opt_state_bytes = MUL(4, c->params);
	else if (opt == OPT_ADAM)
		c->opt_state_bytes = MUL(8, c->params);
	static const int64_t upd[OPT_COUNT] = {COST_SGD_FLOPS_PER_PARAM,
					       COST_MOMENTUM_FLOPS_PER_PARAM,
					       COST_ADAM_FLOPS_PER_PARAM};
	c->ew_flops[PASS_UPDATE] =
		MUL(c->params, upd[(unsigned)opt < OPT_COUNT ? opt : OPT_SGD]);

	int64_t f = 0, b = 0;
	switch (l->op) {
	case OP_DENSE: {
		int64_t k = x->rank ? x->dims[x->rank - 1] : 1;
		int64_t m = k ? din / k : 0, mac = MUL(MUL(m, k), a->units);
		c->mat_flops[PASS_FWD] = MUL(2, mac);
		c->mat_flops[PASS_BWD_DATA] = grad ? MUL(2, mac) : 0;
		c->mat_flops[PASS_BWD_WEIGHT] = MUL(2, mac);
		if (a->bias) {
			c->ew_flops[PASS_FWD] = dout;
			c->ew_flops[PASS_BWD_WEIGHT] = dout;
		}
		c->saved_bytes = tbytes(ck, g, l->in[0]);
		return;
	}
	case OP_CONV: {
		int64_t cin = x->dims[0], gr = a->groups > 0 ? a->groups : 1;
		int64_t mac = MUL(MUL(dout, cin / gr),
				  ck_prod(ck, "FLOPs", a->kernel, a->spatial));
		c->mat_flops[PASS_FWD] = MUL(2, mac);
		c->mat_flops[PASS_BWD_DATA] = grad ? MUL(2, mac) : 0;
		c->mat_flops[PASS_BWD_WEIGHT] = MUL(2, mac);
		if (a->bias) {
			c->ew_flops[PASS_FWD] = dout;
			c->ew_flops[PASS_BWD_WEIGHT] = dout;
		}
		c->saved_bytes = tbytes(ck, g, l->in[0]);
		return;
	}
	case OP_MATMUL: {
		int64_t k = x->dims[x->rank - 1], mac = MUL(dout, k);
		c->mat_flops[PASS_FWD] = MUL(2, mac);
		for (int i = 0; i < 2; i++)
			if (g->tensors[l->in[i]].requires_grad)
				c->mat_flops[PASS_BWD_DATA] += MUL(2, mac);
		c->saved_bytes =
			ADD(tbytes(ck, g, l->in[0]), tbytes(ck, g, l->in[1]));
		return;
	}
	case OP_ATTENTION: {
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
			c->saved_bytes = ADD(c->saved_bytes, tbytes(ck, g, l->in[i]));
		c->saved_bytes = ADD(c->saved_bytes,
				     ADD(tbytes(ck, g, l->out[0]),
					 MUL(MUL(4, h), sq)));
		return;
	}
	case OP_EMBEDDING:
		c->ew_flops[PASS_BWD_WEIGHT] = dout; /* scatter-add */
		c->saved_bytes = x ? tbytes(ck, g, l->in[0]) : 0;
		return;
	case OP_MAXPOOL:
	case OP_AVGPOOL:
		c->ew_flops[PASS_FWD] =
			MUL(dout, ck_prod(ck, "FLOPs", a->kernel, a->spatial));
		c->ew_flops[PASS_BWD_DATA] = grad ? din : 0;
		c->saved_bytes =
			grad && l->op == OP_MAXPOOL ? tbytes(ck, g, l->in[0]) : 0;
		return;
	case OP_GLOBALAVGPOOL:
		c->ew_flops[PASS_FWD] = din;
		c->ew_flops[PASS_BWD_DATA] = grad ? din : 0;
		return;
	case OP_LOSS_MSE:
		c->ew_flops[PASS_FWD] = MUL(3, din);
		c->ew_flops[PASS_BWD_DATA] = grad ? MUL(2, din) : 0;
		c->saved_bytes = grad ? tbytes(ck, g, l->in[0]) : 0;
		return;
	case OP_LOSS_XENT:
		c->ew_flops[PASS_FWD] = MUL(5, din);
		c->ew_flops[PASS_BWD_DATA] = grad ? MUL(2, din) : 0;
		c->saved_bytes = grad ? tbytes(ck, g, l->in[0]) : 0;
		return;
	default: break;
	}
	if (op_is_free(l->op))
		return;
	ew_rates(l, &f, &b);
	c->ew_flops[PASS_FWD] = MUL(f, dout);
	c->ew_flops[PASS_BWD_DATA] = grad ? MUL(b, dout) : 0;
	if (l->op == OP_BATCHNORM || l->op == OP_LAYERNORM)
		c->ew_flops[PASS_BWD_WEIGHT] = MUL(2, dout);
	if (!grad && !op_has_params(l->op))
		return;
	switch (l->op) {
	case OP_RELU:
	case OP_SIGMOID:
	case OP_TANH:
	case OP_SOFTMAX: c->saved_bytes = tbytes(ck, g, l->out[0]); break;
	case OP_DROPOUT:
		c->saved_bytes = dout; /* one byte of mask per element */
		break;
	case OP_MUL:
	case OP_DIV:
		c->saved_bytes =
			ADD(tbytes(ck, g, l->in[0]), tbytes(ck, g, l->in[1]));
		break;
	case OP_ADD:
	case OP_SUB: break;
	default: c->saved_bytes = tbytes(ck, g, l->in[0]); break;
	}
}

int cost_count_checked(struct graph *g, enum optimizer opt, struct diag *d)
{
	g->opt = opt;
	int bad = 0;
	for (int i = 0; i < g->n_layers; i++) {
		const struct layer *l = &g->layers[i];
		char subject[256];
		snprintf(subject, sizeof(subject), "network: layer '%s'",
			 l->name);
		struct ck ck;
		ck_init(&ck, d, g->source, subject);
		ck.line = l->src_line;
		ck.col = l->src_col;
		cost_layer(g, i, opt, &ck);
		bad |= ck.failed;
	}
	/* the totals too (cost_totals adds them up unchecked) */
	struct ck ck;
	char subject[256];
	snprintf(subject, sizeof(subject), "network: '%s'", g->name);
	ck_init(&ck, bad ? NULL : d, g->source, subject);
	int64_t f = 0, m = 0;
	for (int i = 0; i < g->n_layers; i++) {
		const struct layer_cost *c = &g->layers[i].cost;
		for (int p = 0; p < PASS_COUNT; p++) {
			f = ck_add(&ck, "FLOPs per sample, all layers", f,
				   c->mat_flops[p]);
			f = ck_add(&ck, "FLOPs per sample, all layers", f,
				   c->ew_flops[p]);
		}
		const int64_t b[] = {c->weight_bytes, c->opt_state_bytes,
				     c->saved_bytes, c->act_out_bytes};
		for (size_t k = 0; k < ARRAY_SIZE(b); k++)
			m = ck_add(&ck, "bytes per sample, all layers", m,
				   b[k]);
	}
	return bad || ck.failed ? WS_EINPUT : WS_OK;
}

void cost_count(struct graph *g, enum optimizer opt)
{
	cost_count_checked(g, opt, NULL);
}

void cost_totals(const struct graph *g, struct cost_totals *t)
{
	memset(t, 0, sizeof(*t));
	t->n_layers = g->n_layers;
	for (int i = 0; i < g->n_layers; i++) {
		const struct layer_cost *c = &g->layers[i].cost;
		t->params += c->params;
		t->buffers += c->buffers;
		for (int p = 0; p < PASS_COUNT; p++) {
			t->mat_flops[p] += c->mat_flops[p];
			t->ew_flops[p] += c->ew_flops[p];
		}
		t->weight_bytes += c->weight_bytes;
		t->opt_state_bytes += c->opt_state_bytes;
		t->act_in_bytes += c->act_in_bytes;
		t->act_out_bytes += c->act_out_bytes;
		t->saved_bytes += c->saved_bytes;
	}
	t->grad_bytes = t->weight_bytes;
	t->opt = g->opt;
	for (int i = 0; i < g->n_tensors; i++) {
		const struct tensor *x = &g->tensors[i];
		int64_t bytes = tensor_elems(x) * dtype_bytes(x->dtype);
		if (x->producer < 0 && x->is_input)
			t->input_bytes += bytes;
		if (x->is_output)
			t->output_bytes += bytes;
	}
}

int64_t cost_infer_mat_flops_per_sample(const struct cost_totals *t)
{
	return t->mat_flops[PASS_FWD];
}

int64_t cost_infer_flops_per_sample(const struct cost_totals *t)
{
	return t->mat_flops[PASS_FWD] + t->ew_flops[PASS_FWD];
}

int64_t cost_train_mat_flops_per_sample(const struct cost_totals *t)
{
	return t->mat_flops[PASS_FWD] + t->mat_flops[PASS_BWD_DATA] +
	       t->mat_flops[PASS_BWD_WEIGHT];
}

int64_t cost_train_flops_per_sample(const struct cost_totals *t)
{
	int64_t s = 0;
	for (int p = PASS_FWD; p <= PASS_BWD_WEIGHT; p++)
		s += t->mat_flops[p] + t->ew_flops[p];
	return s;
}

int64_t cost_infer_flops_per_batch(const struct cost_totals *t, int64_t batch)
{
	return batch * cost_infer_flops_per_sample(t);
}

int64_t cost_infer_mat_flops_per_batch(const struct cost_totals *t,
				       int64_t batch)
{
	return batch * cost_infer_mat_flops_per_sample(t);
}

int64_t cost_train_flops_per_batch(const struct cost_totals *t, int64_t batch)
{
	return batch * cost_train_flops_per_sample(t) +
	       t->mat_flops[PASS_UPDATE] + t->ew_flops[PASS_UPDATE];
}

int64_t cost_train_mat_flops_per_batch(const struct cost_totals *t,
				       int64_t batch)
{
	return batch * cost_train_mat_flops_per_sample(t);
}

int64_t cost_train_memory_bytes(const struct cost_totals *t, int64_t batch)
{
	return t->weight_bytes + t->grad_bytes + t->opt_state_bytes +
	       batch * t->saved_bytes;
}

static const char *const opt_names[OPT_COUNT] = {"sgd", "momentum", "adam"};

const char *optimizer_name(enum optimizer opt)
{
	return (unsigned)opt < OPT_COUNT ? opt_names[opt] : "?";
}

int optimizer_parse(const char *s)
{
	for (int i = 0; i < OPT_COUNT; i++)
		if (!strcmp(s, opt_names[i]))
			return i;
	return -1;
}
