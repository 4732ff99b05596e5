/*
 * op.c: the IR's vocabulary: one row of facts per operator (op_desc[],
 * graph_int.h), read by shape inference, cost counting and every message
 * that names an op.  A new op is one row here plus its rules (shape.c,
 * cost_rules.c).  Declared in graph.h and graph_int.h.
 */
#include "compiler/graph_int.h"

#include <string.h>

#define FREE   OPF_FREE
#define PARAMS OPF_PARAMS

/* name, min_in, max_in, n_out, flags, ew_fwd, ew_bwd, infer, params, cost */
const struct op_desc op_desc[OP_COUNT] = {
	[OP_INPUT] = {"input", 1, 1, 1, FREE, 0, 0, NULL, NULL, NULL},
	[OP_DENSE] = {"dense", 1, 1, 1, PARAMS, 0, 0, shape_dense, params_dense,
		      cost_dense},
	[OP_MATMUL] = {"matmul", 2, 2, 1, 0, 0, 0, shape_matmul, NULL,
		       cost_matmul},
	[OP_CONV] = {"conv", 1, 1, 1, PARAMS, 0, 0, shape_window, params_conv,
		     cost_conv},
	[OP_MAXPOOL] = {"maxpool", 1, 1, 1, 0, 0, 0, shape_window, NULL,
			cost_pool},
	[OP_AVGPOOL] = {"avgpool", 1, 1, 1, 0, 0, 0, shape_window, NULL,
			cost_pool},
	[OP_GLOBALAVGPOOL] = {"globalavgpool", 1, 1, 1, 0, 0, 0,
			      shape_global_pool, NULL, cost_global_pool},
	[OP_BATCHNORM] = {"batchnorm", 1, 1, 1, PARAMS, 7, 9, shape_norm,
			  params_batchnorm, cost_norm},
	[OP_LAYERNORM] = {"layernorm", 1, 1, 1, PARAMS, 7, 9, shape_norm,
			  params_layernorm, cost_norm},
	[OP_RELU] = {"relu", 1, 1, 1, 0, 1, 1, shape_same, NULL,
		     cost_ew_saves_out},
	[OP_SIGMOID] = {"sigmoid", 1, 1, 1, 0, 4, 2, shape_same, NULL,
			cost_ew_saves_out},
	[OP_TANH] = {"tanh", 1, 1, 1, 0, 4, 2, shape_same, NULL,
		     cost_ew_saves_out},
	[OP_GELU] = {"gelu", 1, 1, 1, 0, 8, 12, shape_same, NULL,
		     cost_ew_saves_in},
	[OP_SOFTMAX] = {"softmax", 1, 1, 1, 0, 5, 4, shape_softmax, NULL,
			cost_ew_saves_out},
	[OP_DROPOUT] = {"dropout", 1, 1, 1, 0, 2, 1, shape_same, NULL,
			cost_dropout},
	[OP_EMBEDDING] = {"embedding", 0, 1, 1, PARAMS, 0, 0, shape_embedding,
			  params_embedding, cost_embedding},
	[OP_ATTENTION] = {"attention", 1, 3, 1, 0, 0, 0, shape_attention, NULL,
			  cost_attention},
	[OP_ADD] = {"add", 2, 2, 1, 0, 1, 1, shape_broadcast, NULL,
		    cost_ew_saves_none},
	[OP_SUB] = {"sub", 2, 2, 1, 0, 1, 1, shape_broadcast, NULL,
		    cost_ew_saves_none},
	[OP_MUL] = {"mul", 2, 2, 1, 0, 1, 2, shape_broadcast, NULL,
		    cost_ew_saves_both},
	[OP_DIV] = {"div", 2, 2, 1, 0, 1, 3, shape_broadcast, NULL,
		    cost_ew_saves_both},
	[OP_EW_UNARY] = {"unary", 1, 1, 1, 0, 0, 0, shape_same, NULL,
			 cost_unary},
	[OP_CONCAT] = {"concat", 1, GRAPH_MAX_IO, 1, FREE, 0, 0, shape_concat,
		       NULL, NULL},
	[OP_FLATTEN] = {"flatten", 1, 1, 1, FREE, 0, 0, shape_flatten, NULL,
			NULL},
	[OP_RESHAPE] = {"reshape", 1, 1, 1, FREE, 0, 0, shape_reshape, NULL,
			NULL},
	[OP_TRANSPOSE] = {"transpose", 1, 1, 1, FREE, 0, 0, shape_transpose,
			  NULL, NULL},
	[OP_SPLIT] = {"split", 1, 1, -1, FREE, 0, 0, shape_split, NULL, NULL},
	[OP_SLICE] = {"slice", 1, 1, 1, FREE, 0, 0, shape_slice, NULL, NULL},
	[OP_SQUEEZE] = {"squeeze", 1, 1, 1, FREE, 0, 0, shape_squeeze, NULL,
			NULL},
	[OP_LOSS_MSE] = {"mse_loss", 1, 2, 1, 0, 0, 0, shape_loss, NULL,
			 cost_loss},
	[OP_LOSS_XENT] = {"cross_entropy", 1, 2, 1, 0, 0, 0, shape_loss, NULL,
			  cost_loss},
	[OP_CONV_TRANSPOSE] = {"conv_transpose", 1, 1, 1, PARAMS, 0, 0,
			       shape_conv_transpose, params_conv_transpose,
			       cost_conv_transpose},
	[OP_REDUCE] = {"reduce", 1, 1, 1, 0, 0, 0, shape_reduce, NULL,
		       cost_reduce},
	[OP_RESIZE] = {"resize", 1, 1, 1, 0, 0, 0, shape_resize, NULL,
		       cost_resize},
	[OP_PAD] = {"pad", 1, 1, 1, FREE, 0, 0, shape_pad, NULL, NULL},
};

const char *op_name(enum op_kind op)
{
	return (unsigned)op < OP_COUNT ? op_desc[op].name : "?";
}

int op_is_free(enum op_kind op)
{
	return (unsigned)op < OP_COUNT && (op_desc[op].flags & OPF_FREE);
}

int op_has_params(enum op_kind op)
{
	return (unsigned)op < OP_COUNT && (op_desc[op].flags & OPF_PARAMS);
}

int64_t op_layer_params(const struct graph *g, const struct layer *l)
{
	if ((unsigned)l->op >= OP_COUNT || !op_desc[l->op].params)
		return 0;
	return op_desc[l->op].params(g, l);
}

int op_infer_layer(struct graph *g, int id, struct diag *d)
{
	struct layer *l = &g->layers[id];
	if ((unsigned)l->op >= OP_COUNT || !op_desc[l->op].infer) {
		diag_add(d, LAYER_LOC(g, l),
			 "network: layer '%s' must have a computing op, got "
			 "'%s'",
			 l->name, op_name(l->op));
		return WS_EINPUT;
	}
	const struct op_desc *od = &op_desc[l->op];
	int lo = od->min_in, hi = od->max_in;
	if (l->n_in < lo || l->n_in > hi) {
		if (lo == hi)
			diag_add(d, LAYER_LOC(g, l),
				 "network: layer '%s' (%s) must have %d "
				 "input%s, got %d",
				 l->name, od->name, lo, lo == 1 ? "" : "s",
				 l->n_in);
		else
			diag_add(d, LAYER_LOC(g, l),
				 "network: layer '%s' (%s) must have %d to %d "
				 "inputs, got %d",
				 l->name, od->name, lo, hi, l->n_in);
		return WS_EINPUT;
	}
	if (od->n_out > 0 && l->n_out != od->n_out) {
		diag_add(d, LAYER_LOC(g, l),
			 "network: layer '%s' (%s) must have %d output, got %d",
			 l->name, od->name, od->n_out, l->n_out);
		return WS_EINPUT;
	}
	if (l->n_in && g->tensors[l->in[0]].rank < 0)
		return WS_EINPUT;
	return od->infer(g, l, od, d);
}
