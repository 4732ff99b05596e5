/*
 * fuzz_onnx_struct.c: structure-aware ONNX harness.  Inputs are ModelProto
 * bytes, run through fuzz_onnx(); the custom mutator parses a model and
 * changes one thing a graph is made of (what the ONNX reader must check
 * before use: input counts, op types, attribute values, dimensions, node
 * order), so most mutants are well-formed protobuf that reach the graph
 * rules, where byte flips mostly stop at the protobuf parser.  Half the
 * time it falls back to libFuzzer's byte mutations.
 */
#include <stdlib.h>
#include <string.h>

#include "ground/mem.h"
#include "onnx.pb-c.h"
#include "tests/fuzz/entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_onnx(data, size);
}

static const int64_t extremes[] = {
	0, -1, 1, 2, 3, -2, 7, 1 << 16, INT32_MAX, INT32_MIN,
	INT64_C(1) << 40, INT64_C(1) << 53, INT64_MAX, INT64_MIN,
	-(INT64_C(1) << 62),
};
static const char *const ops[] = {
	"Add", "MatMul", "Gemm", "Conv", "Reshape", "Split", "Concat",
	"Transpose", "Softmax", "Relu", "Gather", "Slice", "Unsqueeze",
	"Squeeze", "Shape", "Flatten", "MaxPool", "AveragePool",
	"GlobalAveragePool", "BatchNormalization", "LayerNormalization",
	"Erf", "Mul", "Div", "Sub", "Sqrt", "Pow", "ReduceMean", "Cast",
	"Constant", "Identity", "Dropout", "Tanh", "Sigmoid", "Where",
	"Expand", "ConstantOfShape", "Range", "Equal", "NoSuchOp",
};

/* One saved field, put back before the model is freed (protobuf-c frees
 * by the counts and pointers it allocated). */
struct undo {
	void *at;
	unsigned char old[sizeof(int64_t) > sizeof(void *) ? sizeof(int64_t)
							    : sizeof(void *)];
	size_t len;
};

static void set_field(struct undo *u, void *at, const void *val, size_t len)
{
	u->at = at;
	u->len = len;
	memcpy(u->old, at, len);
	memcpy(at, val, len);
}

static Onnx__TensorShapeProto *value_shape(Onnx__ValueInfoProto *v)
{
	if (!v || !v->type ||
	    v->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
	    !v->type->tensor_type)
		return NULL;
	return v->type->tensor_type->shape;
}

/* Change one field of g (chosen by r); fills u[0..1]; 0 if nothing fit. */
static int mutate_graph(Onnx__GraphProto *g, unsigned r, struct undo *u)
{
	Onnx__NodeProto *n = g->node[(r >> 4) % g->n_node];
	int64_t x = extremes[(r >> 12) % ARRAY_SIZE(extremes)];
	switch (r % 8) {
	case 0: { /* drop inputs: an Add with one input */
		size_t k = n->n_input ? n->n_input - 1 : 0;
		set_field(u, &n->n_input, &k, sizeof(k));
		return 1;
	}
	case 1: { /* another op on the same inputs */
		const char *op = ops[(r >> 12) % ARRAY_SIZE(ops)];
		set_field(u, &n->op_type, &op, sizeof(op));
		return 1;
	}
	case 2: /* an integer attribute at an extreme */
		for (size_t a = 0; a < n->n_attribute; a++) {
			Onnx__AttributeProto *at = n->attribute[a];
			if (at->has_i) {
				set_field(u, &at->i, &x, sizeof(x));
				return 1;
			}
			if (at->n_ints) {
				set_field(u, &at->ints[(r >> 20) % at->n_ints],
					  &x, sizeof(x));
				return 1;
			}
		}
		return 0;
	case 3: { /* a declared dimension at an extreme */
		size_t nv = g->n_input + g->n_value_info + g->n_output;
		if (!nv)
			return 0;
		size_t i = (r >> 20) % nv;
		Onnx__ValueInfoProto *v =
			i < g->n_input ? g->input[i]
			: i < g->n_input + g->n_value_info
				? g->value_info[i - g->n_input]
				: g->output[i - g->n_input - g->n_value_info];
		Onnx__TensorShapeProto *s = value_shape(v);
		if (!s || !s->n_dim)
			return 0;
		Onnx__TensorShapeProto__Dimension *dm =
			s->dim[(r >> 24) % s->n_dim];
		if (dm->value_case !=
		    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
			return 0;
		set_field(u, &dm->dim_value, &x, sizeof(x));
		return 1;
	}
	case 4: { /* an initializer's dimension at an extreme */
		if (!g->n_initializer)
			return 0;
		Onnx__TensorProto *t =
			g->initializer[(r >> 20) % g->n_initializer];
		if (!t->n_dims)
			return 0;
		set_field(u, &t->dims[(r >> 24) % t->n_dims], &x, sizeof(x));
		return 1;
	}
	case 5: { /* an input wired to another value */
		if (!n->n_input)
			return 0;
		Onnx__NodeProto *o = g->node[(r >> 20) % g->n_node];
		if (!o->n_output)
			return 0;
		set_field(u, &n->input[(r >> 24) % n->n_input], &o->output[0],
			  sizeof(char *));
		return 1;
	}
	case 6: { /* two nodes swapped (order, cycles) */
		size_t j = (r >> 20) % g->n_node, i = (r >> 4) % g->n_node;
		Onnx__NodeProto *a = g->node[i], *b = g->node[j];
		set_field(&u[0], &g->node[i], &b, sizeof(b));
		set_field(&u[1], &g->node[j], &a, sizeof(a));
		return 1;
	}
	default: { /* fewer nodes */
		size_t k = g->n_node - 1 - (r >> 20) % g->n_node;
		set_field(u, &g->n_node, &k, sizeof(k));
		return 1;
	}
	}
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	srand(seed);
	unsigned r = (unsigned)rand() ^ ((unsigned)rand() << 15);
	Onnx__ModelProto *m = (r & 1) ? NULL
				      : onnx__model_proto__unpack(NULL, size,
								  data);
	if (!m || !m->graph || !m->graph->n_node) {
		if (m)
			onnx__model_proto__free_unpacked(m, NULL);
		return LLVMFuzzerMutate(data, size, max_size);
	}
	struct undo u[2];
	memset(u, 0, sizeof(u));
	size_t out = 0;
	if (mutate_graph(m->graph, r >> 1, u) &&
	    onnx__model_proto__get_packed_size(m) <= max_size)
		out = onnx__model_proto__pack(m, data);
	for (int i = 1; i >= 0; i--)
		if (u[i].at)
			memcpy(u[i].at, u[i].old, u[i].len);
	onnx__model_proto__free_unpacked(m, NULL);
	return out ? out : LLVMFuzzerMutate(data, size, max_size);
}
