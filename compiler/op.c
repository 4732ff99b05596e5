/*
 * op.c: names and facts of the IR's vocabulary (operators, element types),
 * and the small shape helpers every pass uses.  The bottom of compiler/:
 * it calls nothing else of the folder.  Declared in graph.h.
 */
#include "compiler/graph_int.h"

#include <string.h>

static const char *const op_names[OP_COUNT] = {
	[OP_INPUT] = "input",
	[OP_DENSE] = "dense",
	[OP_MATMUL] = "matmul",
	[OP_CONV] = "conv",
	[OP_MAXPOOL] = "maxpool",
	[OP_AVGPOOL] = "avgpool",
	[OP_GLOBALAVGPOOL] = "globalavgpool",
	[OP_BATCHNORM] = "batchnorm",
	[OP_LAYERNORM] = "layernorm",
	[OP_RELU] = "relu",
	[OP_SIGMOID] = "sigmoid",
	[OP_TANH] = "tanh",
	[OP_GELU] = "gelu",
	[OP_SOFTMAX] = "softmax",
	[OP_DROPOUT] = "dropout",
	[OP_EMBEDDING] = "embedding",
	[OP_ATTENTION] = "attention",
	[OP_ADD] = "add",
	[OP_SUB] = "sub",
	[OP_MUL] = "mul",
	[OP_DIV] = "div",
	[OP_EW_UNARY] = "unary",
	[OP_CONCAT] = "concat",
	[OP_FLATTEN] = "flatten",
	[OP_RESHAPE] = "reshape",
	[OP_TRANSPOSE] = "transpose",
	[OP_SPLIT] = "split",
	[OP_SLICE] = "slice",
	[OP_SQUEEZE] = "squeeze",
	[OP_LOSS_MSE] = "mse_loss",
	[OP_LOSS_XENT] = "cross_entropy",
};

const char *op_name(enum op_kind op)
{
	return (unsigned)op < OP_COUNT ? op_names[op] : "?";
}

int op_is_free(enum op_kind op)
{
	switch (op) {
	case OP_INPUT:
	case OP_CONCAT:
	case OP_FLATTEN:
	case OP_RESHAPE:
	case OP_TRANSPOSE:
	case OP_SPLIT:
	case OP_SLICE:
	case OP_SQUEEZE: return 1;
	default: return 0;
	}
}

int op_has_params(enum op_kind op)
{
	switch (op) {
	case OP_DENSE:
	case OP_CONV:
	case OP_BATCHNORM:
	case OP_LAYERNORM:
	case OP_EMBEDDING: return 1;
	default: return 0;
	}
}

static const struct {
	const char *name;
	int bytes;
} dtypes[DT_COUNT] = {
	[DT_FP32] = {"fp32", 4},   [DT_FP16] = {"fp16", 2},
	[DT_BF16] = {"bf16", 2},   [DT_INT64] = {"int64", 8},
	[DT_INT32] = {"int32", 4}, [DT_BOOL] = {"bool", 1},
};

int dtype_bytes(enum dtype dt)
{
	return (unsigned)dt < DT_COUNT ? dtypes[dt].bytes : 0;
}

const char *dtype_name(enum dtype dt)
{
	return (unsigned)dt < DT_COUNT ? dtypes[dt].name : "?";
}

int64_t tensor_elems(const struct tensor *t)
{
	int64_t n = 1;
	for (int i = 0; i < t->rank; i++)
		n *= t->dims[i];
	return n;
}

int axis_norm(int axis, int rank)
{
	if (axis < 0)
		axis += rank;
	return axis >= 0 && axis < rank ? axis : -1;
}
