/*
 * test_graph.c: the IR built by hand: topological order, shape rules,
 * gradient flags, and errors of graph_finish().
 */
#include <stdlib.h>
#include <string.h>

#include "compiler/graph.h"
#include "ground/util.h"
#include "test_util.h"

static int input(struct graph *g, const char *name, int rank,
		 const int64_t *dims)
{
	int t = graph_add_tensor(g, name, DT_FP32, rank, dims);
	g->tensors[t].is_input = 1;
	return t;
}

static int layer1(struct graph *g, const char *name, enum op_kind op,
		  const struct op_attrs *a, int in)
{
	int out = graph_add_tensor(g, name, DT_FP32, 0, NULL);
	graph_add_layer(g, name, op, a, 1, &in, 1, &out);
	return out;
}

static void test_order_and_shapes(void)
{
	struct graph g;
	struct diag d;
	diag_init(&d);
	graph_setup(&g, "t", "t.yaml");
	int64_t img[] = {3, 32, 32};
	int x = input(&g, "x", 3, img);
	/* defined out of order: the pool reads the conv defined after it */
	struct op_attrs pool = {0};
	pool.kernel[0] = pool.kernel[1] = 2;
	pool.stride[0] = pool.stride[1] = 2;
	pool.spatial = 2;
	int conv_out = graph_add_tensor(&g, "c", DT_FP32, 0, NULL);
	int p = layer1(&g, "p", OP_MAXPOOL, &pool, conv_out);
	struct op_attrs conv = {0};
	conv.spatial = 2;
	conv.out_channels = 16;
	conv.groups = 1;
	conv.bias = 1;
	for (int i = 0; i < 2; i++) {
		conv.kernel[i] = 3;
		conv.stride[i] = 2;
		conv.dilation[i] = 2;
		conv.pad_begin[i] = conv.pad_end[i] = 2;
	}
	graph_add_layer(&g, "c", OP_CONV, &conv, 1, &x, 1, &conv_out);
	int f = layer1(&g, "f", OP_FLATTEN, NULL, p);
	(void)f;
	CU_ASSERT_EQUAL_FATAL(graph_finish(&g, &d), 0);
	/* conv first after ordering */
	CU_ASSERT_STRING_EQUAL(g.layers[0].name, "c");
	CU_ASSERT_STRING_EQUAL(g.layers[1].name, "p");
	CU_ASSERT_EQUAL(g.tensors[conv_out].producer, 0);
	/* (32 + 4 - 2*2 - 1) / 2 + 1 = 16; pooled 8 */
	const struct tensor *c = &g.tensors[conv_out];
	CU_ASSERT_EQUAL(c->rank, 3);
	CU_ASSERT_EQUAL(c->dims[0], 16);
	CU_ASSERT_EQUAL(c->dims[1], 16);
	CU_ASSERT_EQUAL(g.tensors[p].dims[2], 8);
	CU_ASSERT_EQUAL(g.tensors[f].rank, 1);
	CU_ASSERT_EQUAL(g.tensors[f].dims[0], 16 * 8 * 8);
	CU_ASSERT_TRUE(g.tensors[f].is_output);
	/* gradients: the conv reads the image only */
	CU_ASSERT_EQUAL(g.layers[0].needs_input_grad, 0);
	CU_ASSERT_EQUAL(g.layers[1].needs_input_grad, 1);
	CU_ASSERT_TRUE(g.tensors[f].requires_grad);
	graph_release(&g);
	diag_release(&d);
}

static void test_finish_errors(void)
{
	struct graph g;
	struct diag d;
	diag_init(&d);
	graph_setup(&g, "t", "t.yaml");
	int64_t v[] = {4};
	int x = input(&g, "x", 1, v);
	struct op_attrs dense = {0};
	dense.units = 3;
	int a = layer1(&g, "a", OP_DENSE, &dense, x);
	int ins[2] = {a, x};
	int out = graph_add_tensor(&g, "m", DT_FP32, 0, NULL);
	graph_add_layer(&g, "m", OP_MATMUL, NULL, 2, ins, 1, &out);
	CU_ASSERT_EQUAL(graph_finish(&g, &d), WS_EINPUT);
	CU_ASSERT_TRUE(diag_contains(&d, "inputs of layer 'm' (matmul) must "
					 "have at least 2 dimensions, got [3] "
					 "and [4]"));
	graph_release(&g);
	diag_clear(&d);

	graph_setup(&g, "t", "t.yaml");
	CU_ASSERT_EQUAL(graph_finish(&g, &d), WS_EINPUT);
	CU_ASSERT_TRUE(diag_contains(&d, "must have at least one layer"));
	graph_release(&g);
	diag_release(&d);
}

static void test_names(void)
{
	CU_ASSERT_STRING_EQUAL(op_name(OP_DENSE), "dense");
	CU_ASSERT_STRING_EQUAL(op_name(OP_LOSS_XENT), "cross_entropy");
	for (int i = 0; i < OP_COUNT; i++)
		CU_ASSERT_PTR_NOT_NULL(op_name((enum op_kind)i));
	CU_ASSERT_TRUE(op_is_free(OP_RESHAPE));
	CU_ASSERT_FALSE(op_is_free(OP_RELU));
	CU_ASSERT_TRUE(op_has_params(OP_CONV));
	CU_ASSERT_EQUAL(dtype_bytes(DT_BF16), 2);
	CU_ASSERT_EQUAL(dtype_bytes(DT_INT64), 8);
	CU_ASSERT_STRING_EQUAL(dtype_name(DT_FP32), "fp32");
}

int suite_graph(void)
{
	static const struct tu_test tests[] = {
		{"order, shapes and gradients", test_order_and_shapes},
		{"finish errors", test_finish_errors},
		{"names and dtypes", test_names},
		{0},
	};
	return tu_add_suite("graph", tests);
}
