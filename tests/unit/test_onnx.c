/*
 * test_onnx.c: the ONNX reader.  Every zoo ONNX file (models/onnx/, weights
 * absent) loads and gives the same totals as its YAML twin; corrupt files
 * and unsupported ops are reported with the node and op type.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler/cost.h"
#include "compiler/graph.h"
#include "compiler/onnx.h"
#include "onnx.pb-c.h"
#include "ground/json_io.h"
#include "ground/util.h"
#include "test_util.h"

static const char *const zoo[] = {
	"uno",		"combo",   "nt3",	"p1b1",
	"p1b2",		"p1b3",	   "attn",	"unomt",
	"st1",		"tbi3d",   "resnet50",	"vgg16",
	"mobilenet_v2", "vit_b16", "bert_base", "gpt2_small",
};

/* Elementwise forward FLOPs without the layers an inference export drops
 * (dropout, loss) and without conv biases (a folded batch norm turns the
 * bias into the norm's shift). */
static int64_t ew_fwd_core(const struct graph *g)
{
	int64_t s = 0;
	for (int i = 0; i < g->n_layers; i++) {
		enum op_kind op = g->layers[i].op;
		if (op != OP_DROPOUT && op != OP_LOSS_MSE &&
		    op != OP_LOSS_XENT && op != OP_CONV)
			s += g->layers[i].cost.ew_flops[PASS_FWD];
	}
	return s;
}

static void test_zoo_matches_yaml(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(zoo); i++) {
		struct graph gy, go;
		struct diag d;
		diag_init(&d);
		char *onnx = xasprintf("%s.onnx", zoo[i]);
		int ry = graph_load(zoo[i], OPT_MOMENTUM, &gy, &d);
		int ro = graph_load(onnx, OPT_MOMENTUM, &go, &d);
		if (ry || ro)
			diag_print(&d, stderr);
		CU_ASSERT_EQUAL(ry, 0);
		CU_ASSERT_EQUAL(ro, 0);
		if (!ry && !ro) {
			struct cost_totals ty, to;
			cost_totals(&gy, &ty);
			cost_totals(&go, &to);
			/* tbi3d's eval export folded each batch norm into its
			 * conv: the conv biases (32 + 64 + 128 + 256) cannot be
			 * told apart from the batch-norm shift */
			int64_t fold = strcmp(zoo[i], "tbi3d") ? 0 : 480;
			CU_ASSERT_EQUAL(ty.params, to.params + fold);
			int ok = ty.params == to.params + fold;
			for (int p = PASS_FWD; p <= PASS_BWD_WEIGHT; p++) {
				CU_ASSERT_EQUAL(ty.mat_flops[p],
						to.mat_flops[p]);
				ok &= ty.mat_flops[p] == to.mat_flops[p];
			}
			int64_t ey = ew_fwd_core(&gy), eo = ew_fwd_core(&go);
			double rel = (double)(ey - eo) / (double)(eo ? eo : 1);
			CU_ASSERT_TRUE(rel < 0.01 && rel > -0.01);
			ok &= rel < 0.01 && rel > -0.01;
			if (!ok)
				fprintf(stderr,
					"%s: params %lld vs %lld, fwd mat %lld "
					"vs "
					"%lld, ew %lld vs %lld\n",
					zoo[i], (long long)ty.params,
					(long long)to.params,
					(long long)ty.mat_flops[PASS_FWD],
					(long long)to.mat_flops[PASS_FWD],
					(long long)ey, (long long)eo);
			graph_release(&gy);
			graph_release(&go);
		}
		free(onnx);
		diag_release(&d);
	}
}

/* Costs that must not depend on what the file declares about shapes. */
static int same_costs(const char *what, const struct graph *a,
		      const struct graph *b)
{
	struct cost_totals ta, tb;
	cost_totals(a, &ta);
	cost_totals(b, &tb);
	int ok = ta.params == tb.params && a->n_layers == b->n_layers &&
		 ta.saved_bytes == tb.saved_bytes &&
		 ta.act_out_bytes == tb.act_out_bytes;
	for (int p = 0; p < PASS_COUNT; p++)
		ok &= ta.mat_flops[p] == tb.mat_flops[p] &&
		      ta.ew_flops[p] == tb.ew_flops[p];
	if (!ok)
		fprintf(stderr,
			"%s: params %lld vs %lld, fwd FLOPs %lld+%lld vs "
			"%lld+%lld\n",
			what, (long long)ta.params, (long long)tb.params,
			(long long)ta.mat_flops[PASS_FWD],
			(long long)ta.ew_flops[PASS_FWD],
			(long long)tb.mat_flops[PASS_FWD],
			(long long)tb.ew_flops[PASS_FWD]);
	return ok;
}

/* Every zoo file with its value_info removed (as torch.onnx.export writes
 * it without shape inference), then also the outputs' shapes: wafersim
 * infers every intermediate shape from the graph inputs, so parameters,
 * FLOPs and bytes are those of the file as shipped. */
static void test_zoo_without_value_info(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(zoo); i++) {
		char *rel = xasprintf("models/onnx/%s.onnx", zoo[i]);
		char *path = tu_path(rel);
		char *data;
		size_t len;
		struct diag d;
		struct graph full, bare;
		diag_init(&d);
		CU_ASSERT_EQUAL_FATAL(read_file(path, &data, &len, &d), 0);
		Onnx__ModelProto *m = onnx__model_proto__unpack(
			NULL, len, (const uint8_t *)data);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		CU_ASSERT_TRUE(m->graph->n_value_info > 0);
		CU_ASSERT_EQUAL_FATAL(
			onnx_load_buffer(rel, (uint8_t *)data, len, &full, &d),
			0);
		cost_count(&full, OPT_ADAM);
		for (int outputs = 0; outputs < 2; outputs++) {
			size_t n_vi = m->graph->n_value_info;
			Onnx__TensorShapeProto *shape[16];
			m->graph->n_value_info = 0;
			for (size_t k = 0; outputs && k < m->graph->n_output &&
					   k < ARRAY_SIZE(shape);
			     k++) { /* no shape field: unknown, not rank 0 */
				Onnx__TypeProto__Tensor *tt =
					m->graph->output[k]->type->tensor_type;
				shape[k] = tt->shape;
				tt->shape = NULL;
			}
			size_t blen = onnx__model_proto__get_packed_size(m);
			uint8_t *buf = xmalloc(blen + 1);
			onnx__model_proto__pack(m, buf);
			m->graph->n_value_info = n_vi;
			for (size_t k = 0; outputs && k < m->graph->n_output &&
					   k < ARRAY_SIZE(shape);
			     k++)
				m->graph->output[k]->type->tensor_type->shape =
					shape[k];
			int rc = onnx_load_buffer(rel, buf, blen, &bare, &d);
			if (rc)
				diag_print(&d, stderr);
			CU_ASSERT_EQUAL(rc, 0);
			if (!rc) {
				cost_count(&bare, OPT_ADAM);
				CU_ASSERT_TRUE(
					same_costs(zoo[i], &full, &bare));
				graph_release(&bare);
			}
			free(buf);
		}
		graph_release(&full);
		onnx__model_proto__free_unpacked(m, NULL);
		free(data);
		free(path);
		free(rel);
		diag_release(&d);
	}
}

/* Layers of op `op` in g. */
static int count_op(const struct graph *g, enum op_kind op)
{
	int n = 0;
	for (int i = 0; i < g->n_layers; i++)
		n += g->layers[i].op == op;
	return n;
}

/* The per-sample shape of g's (one) output as "D1 D2 ..". */
static void output_shape(const struct graph *g, char *buf, size_t len)
{
	size_t k = 0;
	buf[0] = 0;
	for (int t = 0; t < g->n_tensors; t++)
		if (g->tensors[t].is_output)
			for (int i = 0; i < g->tensors[t].rank && k < len; i++)
				k += (size_t)snprintf(
					buf + k, len - k, "%s%lld",
					i ? " " : "",
					(long long)g->tensors[t].dims[i]);
}

/* A symbolic dimension nothing binds: an error naming the input, the
 * dimension and its name (tests/onnx/make_models.py wildcard()). */
static void wildcard_unbound(const char *dir)
{
	struct graph g;
	struct diag d;
	diag_init(&d);
	char *path = xasprintf("%s/wild_unbound.onnx", dir);
	char *ep = xasprintf("%s/wild_unbound.error", dir);
	char *want = NULL;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(read_file(ep, &want, &len, &d), 0);
	want[strcspn(want, "\n")] = 0;
	int rc = graph_load(path, OPT_SGD, &g, &d);
	CU_ASSERT_EQUAL(rc, WS_EINPUT);
	if (rc == 0)
		graph_release(&g);
	CU_ASSERT_TRUE(diag_contains(&d, want));
	if (!diag_contains(&d, want))
		diag_print(&d, stderr);
	free(want);
	free(ep);
	free(path);
	diag_release(&d);
}

/* Graphs shaped like torch.onnx.export's EfficientNet, ConvNeXt, U-Net,
 * transposed convs and a transformer, written at test time by
 * tests/onnx/make_models.py with the onnx Python helpers, with and without
 * shape inference: both load, with the same costs, the parameters the
 * script counted from the initializers and the output shape it expects. */
static void test_exported_models(void)
{
	static const struct {
		const char *name;
		enum op_kind op; /* an op the export must turn into */
		int n_op;	 /* that many layers */
	} models[] = {
		{"efficientnet_tiny", OP_GLOBALAVGPOOL, 3},
		{"convnext_tiny", OP_REDUCE, 3},
		{"unet_tiny", OP_CONV_TRANSPOSE, 1},
		{"deconv_1d_3d", OP_CONV_TRANSPOSE, 2},
		{"transformer_tiny", OP_ATTENTION, 1},
		/* symbolic sequence axis: a wildcard the position table
		 * binds to 16 */
		{"transformer_dyn", OP_ATTENTION, 1},
	};
	char *dir = tu_temp_dir();
	char *script = tu_path("tests/onnx/make_models.py");
	char *cmd = xasprintf("/usr/bin/python3 %s %s", script, dir);
	int rc = system(cmd);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	for (size_t i = 0; i < ARRAY_SIZE(models); i++) {
		struct graph g[2];
		struct diag d;
		diag_init(&d);
		char *p0 = xasprintf("%s/%s.onnx", dir, models[i].name);
		char *p1 = xasprintf("%s/%s_shapes.onnx", dir, models[i].name);
		char *pe = xasprintf("%s/%s.expect", dir, models[i].name);
		int r0 = graph_load(p0, OPT_SGD, &g[0], &d);
		int r1 = graph_load(p1, OPT_SGD, &g[1], &d);
		if (r0 || r1)
			diag_print(&d, stderr);
		CU_ASSERT_EQUAL(r0, 0);
		CU_ASSERT_EQUAL(r1, 0);
		char *text;
		size_t len;
		long long params = -1;
		char want[128] = "", got[128];
		if (read_file(pe, &text, &len, &d) == 0) {
			char *o = strstr(text, "output ");
			sscanf(text, "params %lld", &params);
			if (o)
				sscanf(o, "output %127[0-9 ]", want);
			free(text);
		}
		for (int k = 0; k < 2; k++) {
			if (k ? r1 : r0)
				continue;
			struct cost_totals t;
			cost_totals(&g[k], &t);
			output_shape(&g[k], got, sizeof(got));
			CU_ASSERT_EQUAL(t.params, params);
			CU_ASSERT_STRING_EQUAL(got, want);
			CU_ASSERT_EQUAL(count_op(&g[k], models[i].op),
					models[i].n_op);
			if (t.params != params || strcmp(got, want))
				fprintf(stderr,
					"%s: params %lld (want %lld), output "
					"[%s] (want [%s])\n",
					models[i].name, (long long)t.params,
					params, got, want);
		}
		if (!r0 && !r1)
			CU_ASSERT_TRUE(
				same_costs(models[i].name, &g[0], &g[1]));
		for (int k = 0; k < 2; k++)
			if (k ? !r1 : !r0)
				graph_release(&g[k]);
		free(p0);
		free(p1);
		free(pe);
		diag_release(&d);
	}
	wildcard_unbound(dir);
	free(cmd);
	free(script);
	tu_rm_rf(dir);
}

/* Wrong graphs (tests/onnx/make_models.py, bad_*): each is a located
 * error (file, node name, op type, field, values as read), never a graph. */
static void test_bad_exports(void)
{
	static const char *const names[] = {
		"add_one_input",  "matmul_inner", "reshape_impossible",
		"declared_shape", "axis_range",
	};
	char *dir = tu_temp_dir();
	char *script = tu_path("tests/onnx/make_models.py");
	char *cmd = xasprintf("/usr/bin/python3 %s %s", script, dir);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct graph g;
		struct diag d;
		diag_init(&d);
		char *path = xasprintf("%s/bad_%s.onnx", dir, names[i]);
		char *ep = xasprintf("%s/bad_%s.error", dir, names[i]);
		char *text = NULL;
		size_t len;
		CU_ASSERT_EQUAL_FATAL(read_file(ep, &text, &len, &d), 0);
		char *nl = strchr(text, '\n');
		CU_ASSERT_PTR_NOT_NULL_FATAL(nl);
		*nl = 0;
		char *want = nl + 1;
		want[strcspn(want, "\n")] = 0;
		char *node = xasprintf("node '%s'", text);
		int rc = graph_load(path, OPT_SGD, &g, &d);
		CU_ASSERT_EQUAL(rc, WS_EINPUT);
		if (rc == 0)
			graph_release(&g);
		CU_ASSERT_TRUE(diag_contains(&d, want));
		CU_ASSERT_TRUE(diag_contains(&d, node));
		CU_ASSERT_TRUE(diag_contains(&d, path));
		if (!diag_contains(&d, want) || !diag_contains(&d, node)) {
			fprintf(stderr, "%s: want \"%s\" at %s, got:\n",
				names[i], want, node);
			diag_print(&d, stderr);
		}
		free(node);
		free(text);
		free(ep);
		free(path);
		diag_release(&d);
	}
	free(cmd);
	free(script);
	tu_rm_rf(dir);
}

static void test_patterns(void)
{
	struct graph g;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(graph_load("gpt2_small.onnx", OPT_SGD, &g, &d),
			      0);
	int att = 0, gelu = 0, causal = 0, erf = 0, shared = 0;
	for (int i = 0; i < g.n_layers; i++) {
		const struct layer *l = &g.layers[i];
		att += l->op == OP_ATTENTION;
		causal += l->op == OP_ATTENTION && l->attrs.causal;
		gelu += l->op == OP_GELU;
		erf += l->op == OP_EW_UNARY && !strcmp(l->attrs.ew_name, "erf");
	}
	CU_ASSERT_EQUAL(att, 12);
	CU_ASSERT_EQUAL(causal, 12);
	CU_ASSERT_EQUAL(gelu, 12);
	CU_ASSERT_EQUAL(erf, 0);
	graph_release(&g);
	/* st1: one block's initializers used four times: weights once */
	CU_ASSERT_EQUAL_FATAL(graph_load("st1.onnx", OPT_SGD, &g, &d), 0);
	for (int i = 0; i < g.n_layers; i++)
		shared += g.layers[i].param_owner != i &&
			  op_has_params(g.layers[i].op);
	/* q, k, v, o, ln1, ff1, ff2, ln2 in applications 2 to 4 */
	if (shared != 3 * 8)
		fprintf(stderr, "st1.onnx: %d shared layers\n", shared);
	CU_ASSERT_EQUAL(shared, 3 * 8);
	graph_release(&g);
	diag_release(&d);
}

static void expect_error(const uint8_t *data, size_t len, const char *n1,
			 const char *n2)
{
	struct graph g;
	struct diag d;
	diag_init(&d);
	int rc = onnx_load_buffer("bad.onnx", data, len, &g, &d);
	CU_ASSERT_EQUAL(rc, WS_EINPUT);
	CU_ASSERT_TRUE(diag_contains(&d, n1));
	if (n2)
		CU_ASSERT_TRUE(diag_contains(&d, n2));
	if (!diag_contains(&d, n1) || (n2 && !diag_contains(&d, n2)))
		diag_print(&d, stderr);
	diag_release(&d);
}

/* Every proper prefix of a small model (p1b2.onnx, 2 KB): an error that
 * names the file, never a crash (make asan runs this under ASan).  A
 * prefix that ends where a top-level field ends is a well-formed
 * protobuf: cut after the graph it lacks opset_import, which ONNX
 * requires, and is refused for it (onnx_check.c); none loads. */
/* The bytes of a file of the source tree (heap). */
static char *src_bytes(const char *rel, size_t *len)
{
	char *path = tu_path(rel), *data = NULL;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(read_file(path, &data, len, &d), 0);
	diag_release(&d);
	free(path);
	return data;
}

static void test_every_prefix(void)
{
	size_t len;
	char *data = src_bytes("models/onnx/p1b2.onnx", &len);
	int loaded = 0, located = 0, no_opset = 0;
	for (size_t n = 0; n < len; n++) {
		struct graph g;
		struct diag e;
		diag_init(&e);
		int rc = onnx_load_buffer("cut.onnx", (const uint8_t *)data, n,
					  &g, &e);
		CU_ASSERT(rc == WS_OK || rc == WS_EINPUT);
		if (rc == WS_OK) {
			loaded++;
			graph_release(&g);
		} else {
			located += diag_contains(&e, "cut.onnx");
			no_opset += diag_contains(&e, "'opset_import'");
		}
		diag_release(&e);
	}
	printf("\n    %zu prefixes: %d refused and located (%d for a missing "
	       "opset_import), %d loaded ",
	       len, located, no_opset, loaded);
	CU_ASSERT_EQUAL(located, (int)len);
	CU_ASSERT_EQUAL(loaded, 0);
	CU_ASSERT(no_opset > 0);
	free(data);
}

/* A model without the fields ONNX requires (ir_version, opset_import,
 * a graph output) is refused, every missing one named with the file. */
static void test_required_fields(void)
{
	size_t len;
	char *data = src_bytes("models/onnx/p1b2.onnx", &len);
	Onnx__ModelProto *m =
		onnx__model_proto__unpack(NULL, len, (const uint8_t *)data);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	size_t n_op = m->n_opset_import, n_out = m->graph->n_output;
	int64_t ir = m->ir_version;
	m->n_opset_import = 0;
	m->graph->n_output = 0;
	m->ir_version = 0;
	size_t blen = onnx__model_proto__get_packed_size(m);
	uint8_t *buf = xmalloc(blen);
	onnx__model_proto__pack(m, buf);
	expect_error(buf, blen, "onnx: model must have 'opset_import'",
		     "'ir_version' of at least 1");
	expect_error(buf, blen, "graph must have at least one 'output'",
		     "(bad.onnx)");
	m->n_opset_import = n_op;
	m->graph->n_output = n_out;
	m->ir_version = ir;
	onnx__model_proto__free_unpacked(m, NULL);
	free(buf);
	free(data);
}

static void test_truncated_and_magic(void)
{
	char *path = tu_path("models/onnx/uno.onnx");
	char *data;
	size_t len;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(read_file(path, &data, &len, &d), 0);
	/* cut in the middle of a message */
	expect_error((const uint8_t *)data, len / 2, "truncated or corrupt",
		     "bad.onnx");
	expect_error((const uint8_t *)data, 1, "must start with an ONNX", NULL);
	const char *png = "\x89PNG\r\n\x1a\n0000";
	expect_error((const uint8_t *)png, strlen(png),
		     "must start with an ONNX ModelProto", "got 0x89");
	expect_error((const uint8_t *)"", 0, "an empty file", NULL);
	free(data);
	free(path);
	diag_release(&d);
}


/* A small graph builder on protobuf-c's structs (all storage static to the
 * test): nodes with ints attributes, initializers with dims only, float
 * scalar constants. */
struct tb {
	Onnx__NodeProto node[24], *np[24];
	Onnx__AttributeProto attr[24], *ap[24];
	Onnx__TensorProto init[8], *ip[8], cval[8];
	float cdata[8];
	int n, na, ni, nc;
	const char *name; /* the graph's; NULL: "built" */
};

static void tb_node(struct tb *b, const char *name, const char *op, int n_in,
		    const char *const *in, const char *out,
		    const char *attr_name, int n_ints, const int64_t *ints)
{
	Onnx__NodeProto *n = &b->node[b->n];
	onnx__node_proto__init(n);
	n->name = (char *)name;
	n->op_type = (char *)op;
	n->n_input = (size_t)n_in;
	n->input = (char **)in;
	n->n_output = 1;
	n->output = xmalloc(sizeof(char *));
	n->output[0] = (char *)out;
	if (attr_name) {
		Onnx__AttributeProto *a = &b->attr[b->na];
		onnx__attribute_proto__init(a);
		a->name = (char *)attr_name;
		a->has_type = 1;
		a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
		a->n_ints = (size_t)n_ints;
		a->ints = (int64_t *)ints;
		b->ap[b->na] = a;
		n->n_attribute = 1;
		n->attribute = &b->ap[b->na++];
	}
	b->np[b->n++] = n;
}

static void tb_const(struct tb *b, const char *out, float v)
{
	Onnx__TensorProto *t = &b->cval[b->nc];
	onnx__tensor_proto__init(t);
	t->has_data_type = 1;
	t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
	b->cdata[b->nc] = v;
	t->has_raw_data = 1;
	t->raw_data.len = 4;
	t->raw_data.data = (uint8_t *)&b->cdata[b->nc];
	Onnx__AttributeProto *a = &b->attr[b->na];
	onnx__attribute_proto__init(a);
	a->name = (char *)"value";
	a->has_type = 1;
	a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
	a->t = t;
	b->ap[b->na] = a;
	b->nc++;
	tb_node(b, out, "Constant", 0, NULL, out, NULL, 0, NULL);
	b->node[b->n - 1].n_attribute = 1;
	b->node[b->n - 1].attribute = &b->ap[b->na++];
}

static void tb_init(struct tb *b, const char *name, int n_dims,
		    const int64_t *dims)
{
	Onnx__TensorProto *t = &b->init[b->ni];
	onnx__tensor_proto__init(t);
	t->name = (char *)name;
	t->has_data_type = 1;
	t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
	t->n_dims = (size_t)n_dims;
	t->dims = (int64_t *)dims;
	b->ip[b->ni++] = t;
}

/* Pack with one float input x of `dims` (batch first). */
static uint8_t *tb_pack(struct tb *b, int n_dims, const int64_t *dims,
			const char *output, size_t *len)
{
	Onnx__TensorShapeProto__Dimension dm[4], *dp[4];
	for (int i = 0; i < n_dims; i++) {
		onnx__tensor_shape_proto__dimension__init(&dm[i]);
		dm[i].value_case =
			ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
		dm[i].dim_value = dims[i];
		dp[i] = &dm[i];
	}
	Onnx__TensorShapeProto shape = ONNX__TENSOR_SHAPE_PROTO__INIT;
	shape.n_dim = (size_t)n_dims;
	shape.dim = dp;
	Onnx__TypeProto__Tensor tt = ONNX__TYPE_PROTO__TENSOR__INIT;
	tt.has_elem_type = 1;
	tt.elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
	tt.shape = &shape;
	Onnx__TypeProto type = ONNX__TYPE_PROTO__INIT;
	type.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	type.tensor_type = &tt;
	Onnx__ValueInfoProto in = ONNX__VALUE_INFO_PROTO__INIT,
			     out = ONNX__VALUE_INFO_PROTO__INIT;
	in.name = (char *)"x";
	in.type = &type;
	out.name = (char *)output;
	Onnx__ValueInfoProto *gin[1] = {&in}, *gout[1] = {&out};
	Onnx__GraphProto graph = ONNX__GRAPH_PROTO__INIT;
	graph.name = (char *)(b->name ? b->name : "built");
	graph.n_node = (size_t)b->n;
	graph.node = b->np;
	graph.n_initializer = (size_t)b->ni;
	graph.initializer = b->ip;
	graph.n_input = 1;
	graph.input = gin;
	graph.n_output = 1;
	graph.output = gout;
	Onnx__OperatorSetIdProto opset = ONNX__OPERATOR_SET_ID_PROTO__INIT;
	opset.domain = (char *)"";
	opset.has_version = 1;
	opset.version = 17;
	Onnx__OperatorSetIdProto *opsets[1] = {&opset};
	Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
	m.has_ir_version = 1;
	m.ir_version = 8;
	m.graph = &graph;
	m.n_opset_import = 1;
	m.opset_import = opsets;
	*len = onnx__model_proto__get_packed_size(&m);
	uint8_t *buf = xmalloc(*len + 1);
	onnx__model_proto__pack(&m, buf);
	for (int i = 0; i < b->n; i++)
		free(b->node[i].output);
	return buf;
}

/* A one-node model built with protobuf-c: x [1, 4] -> op -> y. */
static uint8_t *tiny_model(const char *op, size_t *len)
{
	static struct tb b;
	static const char *const in[] = {"x"};
	static const int64_t dims[] = {1, 4};
	memset(&b, 0, sizeof(b));
	b.name = "tiny";
	tb_node(&b, "/block/frob", op, 1, in, "y", NULL, 0, NULL);
	return tb_pack(&b, 2, dims, "y", len);
}

/* A node, value or graph name longer than GRAPH_NAME_MAX is refused,
 * naming which; one at the limit names its layer whole. */
static void test_name_length(void)
{
	static struct tb b;
	static const char *const in[] = {"x"};
	static const int64_t dims[] = {1, 4};
	char at[GRAPH_NAME_MAX + 1], over[GRAPH_NAME_MAX + 2];
	memset(at, 'a', GRAPH_NAME_MAX);
	at[GRAPH_NAME_MAX] = 0;
	memset(over, 'b', GRAPH_NAME_MAX + 1);
	over[GRAPH_NAME_MAX + 1] = 0;
	size_t len;
	for (int k = 0; k < 3; k++) {
		memset(&b, 0, sizeof(b));
		b.name = k == 2 ? over : "g";
		tb_node(&b, k == 0 ? over : "r", "Relu", 1, in,
			k == 1 ? over : "y", NULL, 0, NULL);
		uint8_t *buf = tb_pack(&b, 2, dims, k == 1 ? over : "y", &len);
		expect_error(buf, len, "must be at most 256 bytes, got 257",
			     k == 0   ? "node 0's name"
			     : k == 1 ? "graph output 0's name"
				      : "graph 'name'");
		free(buf);
	}
	memset(&b, 0, sizeof(b));
	tb_node(&b, at, "Relu", 1, in, "y", NULL, 0, NULL);
	uint8_t *buf = tb_pack(&b, 2, dims, "y", &len);
	struct graph g;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(onnx_load_buffer("ok.onnx", buf, len, &g, &d),
			      0);
	CU_ASSERT_EQUAL(strlen(g.layers[0].name), GRAPH_NAME_MAX);
	graph_release(&g);
	diag_release(&d);
	free(buf);
}

/* An exporter's spelled-out layer norm (opset < 17) becomes one layer norm;
 * MatMul + bias one dense layer; shapes are inferred without value_info. */
static void test_layernorm_spelled_out(void)
{
	static struct tb b;
	memset(&b, 0, sizeof(b));
	static const int64_t last[] = {-1}, xd[] = {1, 5, 8};
	static const int64_t d8[] = {8}, d86[] = {8, 6}, d6[] = {6};
	static const char *const
		i_m[] = {"x"},
		*const i_d[] = {"x", "m"}, *const i_p[] = {"d", "two"},
		*const i_v[] = {"p"}, *const i_e[] = {"v", "eps"},
		*const i_q[] = {"e"}, *const i_n[] = {"d", "q"},
		*const i_y[] = {"n", "gamma"}, *const i_z[] = {"y", "beta"},
		*const i_o[] = {"z", "W"}, *const i_b[] = {"bias", "o"};
	tb_init(&b, "gamma", 1, d8);
	tb_init(&b, "beta", 1, d8);
	tb_init(&b, "W", 2, d86);
	tb_init(&b, "bias", 1, d6);
	tb_node(&b, "/ln/ReduceMean", "ReduceMean", 1, i_m, "m", "axes", 1,
		last);
	tb_node(&b, "/ln/Sub", "Sub", 2, i_d, "d", NULL, 0, NULL);
	tb_const(&b, "two", 2.0f);
	tb_node(&b, "/ln/Pow", "Pow", 2, i_p, "p", NULL, 0, NULL);
	tb_node(&b, "/ln/ReduceMean_1", "ReduceMean", 1, i_v, "v", "axes", 1,
		last);
	tb_const(&b, "eps", 1e-5f);
	tb_node(&b, "/ln/Add", "Add", 2, i_e, "e", NULL, 0, NULL);
	tb_node(&b, "/ln/Sqrt", "Sqrt", 1, i_q, "q", NULL, 0, NULL);
	tb_node(&b, "/ln/Div", "Div", 2, i_n, "n", NULL, 0, NULL);
	tb_node(&b, "/ln/Mul", "Mul", 2, i_y, "y", NULL, 0, NULL);
	tb_node(&b, "/ln/Add_1", "Add", 2, i_z, "z", NULL, 0, NULL);
	tb_node(&b, "/fc/MatMul", "MatMul", 2, i_o, "o", NULL, 0, NULL);
	tb_node(&b, "/fc/Add", "Add", 2, i_b, "out", NULL, 0, NULL);
	size_t len;
	uint8_t *buf = tb_pack(&b, 3, xd, "out", &len);
	struct graph g;
	struct diag d;
	diag_init(&d);
	int rc = onnx_load_buffer("ln.onnx", buf, len, &g, &d);
	if (rc)
		diag_print(&d, stderr);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(g.n_layers, 2);
	CU_ASSERT_EQUAL(g.layers[0].op, OP_LAYERNORM);
	CU_ASSERT_STRING_EQUAL(g.layers[0].name, "ln/Add_1");
	CU_ASSERT_EQUAL(g.layers[1].op, OP_DENSE);
	CU_ASSERT_TRUE(g.layers[1].attrs.bias);
	const struct tensor *o = &g.tensors[g.layers[1].out[0]];
	CU_ASSERT_EQUAL(o->rank, 2);
	CU_ASSERT_EQUAL(o->dims[0], 5);
	CU_ASSERT_EQUAL(o->dims[1], 6);
	cost_count(&g, OPT_SGD);
	struct cost_totals t;
	cost_totals(&g, &t);
	CU_ASSERT_EQUAL(t.params, 16 + 54);
	CU_ASSERT_EQUAL(t.mat_flops[PASS_FWD], 2 * 5 * 8 * 6);
	graph_release(&g);
	diag_release(&d);
	free(buf);
}

/* Keras-style conv: auto_pad SAME_UPPER with stride 2 keeps ceil(9/2). */
static void test_conv_auto_pad(void)
{
	static struct tb b;
	memset(&b, 0, sizeof(b));
	static const int64_t xd[] = {1, 3, 9, 9}, wd[] = {4, 3, 3, 3};
	static const int64_t st[] = {2, 2};
	static const char *const in[] = {"x", "W"};
	tb_init(&b, "W", 4, wd);
	tb_node(&b, "/conv/Conv", "Conv", 2, in, "y", "strides", 2, st);
	static Onnx__AttributeProto pad;
	onnx__attribute_proto__init(&pad);
	pad.name = (char *)"auto_pad";
	pad.has_type = 1;
	pad.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
	pad.has_s = 1;
	pad.s.data = (uint8_t *)"SAME_UPPER";
	pad.s.len = 10;
	static Onnx__AttributeProto *two[2];
	two[0] = b.node[0].attribute[0];
	two[1] = &pad;
	b.node[0].n_attribute = 2;
	b.node[0].attribute = two;
	size_t len;
	uint8_t *buf = tb_pack(&b, 4, xd, "y", &len);
	struct graph g;
	struct diag d;
	diag_init(&d);
	int rc = onnx_load_buffer("pad.onnx", buf, len, &g, &d);
	if (rc)
		diag_print(&d, stderr);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	const struct tensor *y = &g.tensors[g.layers[0].out[0]];
	CU_ASSERT_EQUAL(y->rank, 3);
	CU_ASSERT_EQUAL(y->dims[0], 4);
	CU_ASSERT_EQUAL(y->dims[1], 5);
	CU_ASSERT_EQUAL(y->dims[2], 5);
	CU_ASSERT_EQUAL(g.layers[0].attrs.pad_begin[0], 1);
	CU_ASSERT_EQUAL(g.layers[0].attrs.pad_end[0], 1);
	CU_ASSERT_FALSE(g.layers[0].attrs.bias);
	graph_release(&g);
	diag_release(&d);
	free(buf);
}

/* Issue 17: a node with fewer inputs than its op needs is refused, named,
 * before any rule reads the missing input (it read out of bounds). */
static void test_one_input_add(void)
{
	static struct tb b;
	memset(&b, 0, sizeof(b));
	static const int64_t xd[] = {1, 8};
	static const char *const in[] = {"x"};
	tb_node(&b, "/add", "Add", 1, in, "y", NULL, 0, NULL);
	size_t len;
	uint8_t *buf = tb_pack(&b, 2, xd, "y", &len);
	expect_error(buf, len,
		     "onnx: node 'add' (Add) must have at least 2 inputs, "
		     "got 1 (bad.onnx)",
		     NULL);
	free(buf);
}

/* Issue 17: names that are not UTF-8 text are refused (they were read as
 * they came and printed as '??' in --json, exit 0); UTF-8 names load. */
static void test_names_utf8(void)
{
	static struct tb b;
	static const int64_t xd[] = {1, 8};
	static const char *const in[] = {"x"};
	memset(&b, 0, sizeof(b));
	tb_node(&b, "\xff\xfe", "Relu", 1, in, "y", NULL, 0, NULL);
	size_t len;
	uint8_t *buf = tb_pack(&b, 2, xd, "y", &len);
	expect_error(buf, len,
		     "onnx: node 0's name must be UTF-8 text, got the byte "
		     "0xff at byte 0 (bad.onnx)",
		     NULL);
	free(buf);
	static const char *const in2[] = {"x"};
	memset(&b, 0, sizeof(b));
	tb_node(&b, "relu", "Relu", 1, in2, "y\xc0\xaf", NULL, 0, NULL);
	buf = tb_pack(&b, 2, xd, "y\xc0\xaf", &len); /* overlong '/' */
	expect_error(buf, len, "graph output 0's name must be UTF-8 text, got "
			       "the byte 0xc0 at byte 1",
		     NULL);
	free(buf);
	memset(&b, 0, sizeof(b));
	tb_node(&b, "\xc3\xa4\xe2\x86\x92", "Relu", 1, in2, "y", NULL, 0,
		NULL);
	buf = tb_pack(&b, 2, xd, "y", &len);
	struct graph g;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(onnx_load_buffer("ok.onnx", buf, len, &g, &d), 0);
	if (!diag_count(&d))
		graph_release(&g);
	diag_release(&d);
	free(buf);
}

/* Node names that make one layer name twice ('a' and '/a'; an unnamed
 * node's "Relu_1" and a node named so) are refused: the plan 'place -o'
 * wrote named two stages alike and did not read back; a line break in a
 * name too. */
static void test_names_unique(void)
{
	static struct tb b;
	static const int64_t xd[] = {1, 8};
	static const char *const in0[] = {"x"}, *const in1[] = {"a"};
	/* a second name NULL: one node */
	const char *cases[][3] = {
		{"same", "same", "node 1's name must differ from node 0's"},
		{"a", "/a", "node 1's name must differ from node 0's"},
		{"Relu_1", "", "node 1's name must differ from node 0's"},
		{"r\nq", NULL, "node 0's name must be one line of text, got "
				"the control character 0x0a at byte 1"}};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(&b, 0, sizeof(b));
		tb_node(&b, cases[i][0], "Relu", 1, in0, cases[i][1] ? "a" : "y",
			NULL, 0, NULL);
		if (cases[i][1])
			tb_node(&b, cases[i][1], "Relu", 1, in1, "y", NULL, 0,
				NULL);
		size_t len;
		uint8_t *buf = tb_pack(&b, 2, xd, "y", &len);
		expect_error(buf, len, cases[i][2], "(bad.onnx)");
		free(buf);
	}
}

/* Issue 17: a MatMul whose inner dimensions differ is refused (it became
 * a dense layer with the weight's shape). */
static void test_matmul_mismatch(void)
{
	static struct tb b;
	memset(&b, 0, sizeof(b));
	static const int64_t xd[] = {1, 8}, wd[] = {16, 4};
	static const char *const in[] = {"x", "W"};
	tb_init(&b, "W", 2, wd);
	tb_node(&b, "/mm", "MatMul", 2, in, "y", NULL, 0, NULL);
	size_t len;
	uint8_t *buf = tb_pack(&b, 2, xd, "y", &len);
	expect_error(buf, len, "'mm'", "8");
	free(buf);
}

/* Issue 17: a conv whose output has more than 2^53 elements is an input
 * error naming the layer (it gave negative FLOPs with exit 0). */
static void test_conv_overflow(void)
{
	static struct tb b;
	memset(&b, 0, sizeof(b));
	static const int64_t xd[] = {1, 3, 1 << 20, 1 << 20};
	static const int64_t wd[] = {1 << 20, 3, 3, 3};
	static const int64_t st[] = {1, 1};
	static const char *const in[] = {"x", "W"};
	tb_init(&b, "W", 4, wd);
	tb_node(&b, "/conv/Conv", "Conv", 2, in, "y", "strides", 2, st);
	size_t len;
	uint8_t *buf = tb_pack(&b, 4, xd, "y", &len);
	expect_error(buf, len,
		     "network: layer 'conv/Conv': elements per sample of",
		     "must be at most 9007199254740992 (2^53)");
	free(buf);
}

static void test_unsupported_op(void)
{
	size_t len;
	uint8_t *buf = tiny_model("FrobnicateND", &len);
	expect_error(buf, len,
		     "node 'block/frob' (op type FrobnicateND, node 0)",
		     "not supported on data; supported: Gemm, MatMul");
	free(buf);
	/* the same model with a supported op loads */
	buf = tiny_model("Relu", &len);
	struct graph g;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(onnx_load_buffer("ok.onnx", buf, len, &g, &d), 0);
	if (!diag_count(&d)) {
		CU_ASSERT_EQUAL(g.n_layers, 1);
		CU_ASSERT_EQUAL(g.layers[0].op, OP_RELU);
		CU_ASSERT_STRING_EQUAL(g.name, "tiny");
		graph_release(&g);
	}
	diag_release(&d);
	free(buf);
}

/* Deterministically corrupted zoo files: every outcome is a load or a
 * reported error, never a crash (run under `make asan` too). */
static void test_corrupt_never_crashes(void)
{
	static const char *const files[] = {"models/onnx/uno.onnx",
					    "models/onnx/st1.onnx"};
	uint64_t seed = 12345;
	for (size_t f = 0; f < ARRAY_SIZE(files); f++) {
		char *path = tu_path(files[f]);
		char *data;
		size_t len;
		struct diag d;
		diag_init(&d);
		CU_ASSERT_EQUAL_FATAL(read_file(path, &data, &len, &d), 0);
		uint8_t *buf = xmalloc(len);
		for (int round = 0; round < 150; round++) {
			memcpy(buf, data, len);
			for (int k = 0; k < 1 + round % 8; k++) {
				seed = seed * 6364136223846793005ull +
				       1442695040888963407ull;
				buf[(seed >> 33) % len] ^=
					(uint8_t)(1u << ((seed >> 29) & 7));
			}
			struct graph g;
			diag_clear(&d);
			int rc =
				onnx_load_buffer("fuzz.onnx", buf, len, &g, &d);
			CU_ASSERT(rc == 0 || rc == WS_EINPUT);
			CU_ASSERT(rc == 0 || diag_count(&d) > 0);
			if (rc == 0)
				graph_release(&g);
		}
		free(buf);
		free(data);
		free(path);
		diag_release(&d);
	}
}

/* Write `len` bytes to dir/name. */
static void put_file(const char *dir, const char *name, const void *data,
		     size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fwrite(data, 1, len, f);
	fclose(f);
	free(path);
}

/* x [1, 8] -> Reshape(x, shape) -> y, the int64 `shape` kept in external
 * data at `location` (offset 8 of the file). */
static uint8_t *external_reshape(struct tb *b, const char *location,
				 size_t *len)
{
	static const int64_t xd[] = {1, 8}, sd[] = {3};
	static const char *const in[] = {"x", "shape"};
	static Onnx__StringStringEntryProto e[2], *ep[2];
	memset(b, 0, sizeof(*b));
	tb_init(b, "shape", 1, sd);
	Onnx__TensorProto *t = &b->init[0];
	t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
	t->has_data_location = 1;
	t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
	for (int i = 0; i < 2; i++) {
		onnx__string_string_entry_proto__init(&e[i]);
		ep[i] = &e[i];
	}
	e[0].key = (char *)"location";
	e[0].value = (char *)location;
	e[1].key = (char *)"offset";
	e[1].value = (char *)"8";
	t->n_external_data = 2;
	t->external_data = ep;
	tb_node(b, "/reshape", "Reshape", 2, in, "y", NULL, 0, NULL);
	return tb_pack(b, 2, xd, "y", len);
}

static int load_in(const char *dir, const uint8_t *buf, size_t len,
		   struct graph *g, struct diag *d)
{
	put_file(dir, "m.onnx", buf, len);
	char *path = xasprintf("%s/m.onnx", dir);
	int rc = onnx_load(path, g, d);
	free(path);
	return rc;
}

/* Issue 17: external data.  Integer constants are read from a file next
 * to the model; a location outside the model's folder (absolute, "..", a
 * symbolic link out of it), a missing file or a model read from memory
 * is a located error naming the initializer and the location. */
static void test_external_data(void)
{
	static struct tb b;
	char *dir = tu_temp_dir();
	const int64_t data[4] = {-1, 1, 2, 4}; /* offset 8: shape [1, 2, 4] */
	put_file(dir, "shape.bin", data, sizeof(data));
	size_t len;
	uint8_t *buf = external_reshape(&b, "shape.bin", &len);
	struct graph g;
	struct diag d;
	diag_init(&d);
	int rc = load_in(dir, buf, len, &g, &d);
	CU_ASSERT_EQUAL(rc, 0);
	if (rc)
		diag_print(&d, stderr);
	else {
		const struct tensor *y = &g.tensors[g.n_tensors - 1];
		CU_ASSERT_EQUAL(y->rank, 2);
		CU_ASSERT_EQUAL(y->dims[0], 2);
		CU_ASSERT_EQUAL(y->dims[1], 4);
		graph_release(&g);
	}
	/* from memory: nothing is read */
	expect_error(buf, len,
		     "onnx: initializer 'shape': external data file "
		     "'shape.bin' is not available",
		     "(bad.onnx)");
	free(buf);
	static const struct {
		const char *loc, *msg;
	} bad[] = {
		{"../shape.bin", "must be a relative path inside the model's "
				 "folder (no '..'), got '../shape.bin'"},
		{"/etc/passwd", "got '/etc/passwd'"},
		{"link.bin", "'link.bin' leaves the model's folder"},
		{"none.bin", "'none.bin' cannot be found"},
	};
	char *link = xasprintf("%s/link.bin", dir);
	CU_ASSERT_EQUAL(symlink("/etc/passwd", link), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		diag_clear(&d);
		buf = external_reshape(&b, bad[i].loc, &len);
		CU_ASSERT_EQUAL(load_in(dir, buf, len, &g, &d), WS_EINPUT);
		CU_ASSERT_TRUE(diag_contains(&d, "initializer 'shape'"));
		CU_ASSERT_TRUE(diag_contains(&d, bad[i].msg));
		CU_ASSERT_TRUE(diag_contains(&d, "m.onnx)"));
		if (!diag_contains(&d, bad[i].msg))
			diag_print(&d, stderr);
		free(buf);
	}
	char *cmd = xasprintf("rm -rf %s", dir);
	CU_ASSERT_EQUAL(system(cmd), 0);
	free(cmd);
	free(link);
	free(dir);
	diag_release(&d);
}

/* Issue 17: limits on rank, dimensions, element counts and data lengths,
 * each error naming the value or initializer and the field. */
static void test_limits(void)
{
	static struct tb b;
	static const int64_t x2[] = {1, 8}, w9[] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
	static const int64_t wneg[] = {8, -3}, wbig[] = {1 << 30, 1 << 30,
						      1 << 30};
	static const char *const in[] = {"x", "W"};
	static const struct {
		const int64_t *dims;
		int rank;
		const char *msg;
	} cases[] = {
		{w9, 9, "initializer 'W' must have rank at most 8, got 9"},
		{wneg, 2, "initializer 'W': dimension 1 must be in [0, 2^53], "
			  "got -3"},
		{wbig, 3, "initializer 'W' must have at most 2^53 elements"},
	};
	size_t len;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&b, 0, sizeof(b));
		tb_init(&b, "W", cases[i].rank, cases[i].dims);
		tb_node(&b, "/mm", "MatMul", 2, in, "y", NULL, 0, NULL);
		uint8_t *buf = tb_pack(&b, 2, x2, "y", &len);
		expect_error(buf, len, cases[i].msg, "(bad.onnx)");
		free(buf);
	}
	/* a graph input with a negative dimension */
	static const int64_t xneg[] = {1, -8};
	memset(&b, 0, sizeof(b));
	tb_node(&b, "/relu", "Relu", 1, in, "y", NULL, 0, NULL);
	uint8_t *buf = tb_pack(&b, 2, xneg, "y", &len);
	expect_error(buf, len,
		     "onnx: graph input 'x': dimension 1 must be in [0, 2^53], "
		     "got -8",
		     NULL);
	free(buf);
	/* inline data that does not match the dimensions */
	memset(&b, 0, sizeof(b));
	static const int64_t w2[] = {8, 4};
	static const float few[3] = {1, 2, 3};
	tb_init(&b, "W", 2, w2);
	b.init[0].has_raw_data = 1;
	b.init[0].raw_data.len = sizeof(few);
	b.init[0].raw_data.data = (uint8_t *)few;
	tb_node(&b, "/mm", "MatMul", 2, in, "y", NULL, 0, NULL);
	buf = tb_pack(&b, 2, x2, "y", &len);
	expect_error(buf, len,
		     "initializer 'W': raw_data must hold 128 bytes (32 "
		     "elements), got 12",
		     NULL);
	free(buf);
}

/* `wafersim run NET --json` on mini128 beside an H100: the figures the
 * decoder ops must reach through mapping, engine and GPU baseline. */
static void run_decoder(const char *net, const char *stage_prefix,
			int n_stages)
{
	char *args = xasprintf("run %s --machine mini128 --gpu h100 --batch 4 "
			       "--precision fp32 --json", net);
	char *out, *err;
	int rc = tu_run(args, &out, &err);
	if (rc)
		fprintf(stderr, "\n%s: %s", net, err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	json_t *j = json_loads(out, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	double step = json_number_value(ws_json_at(j, "train.step_s"));
	double bound = json_number_value(ws_json_at(j, "train.roofline_step_s"));
	CU_ASSERT(step > 0);
	CU_ASSERT(bound > 0 && bound <= step * (1 + 1e-9));
	CU_ASSERT(json_number_value(ws_json_at(j, "infer.predictions_per_s")) > 0);
	CU_ASSERT(json_number_value(ws_json_at(j, "gpu.eager.step_s")) > 0);
	/* every transposed conv is a stage of its own that computes */
	json_t *st = ws_json_at(j, "train.stats.stages");
	int found = 0;
	size_t i;
	json_t *s;
	json_array_foreach(st, i, s) {
		const char *name = json_string_value(json_object_get(s, "name"));
		if (!name || strncmp(name, stage_prefix, strlen(stage_prefix)))
			continue;
		found++;
		json_t *c = json_object_get(s, "compute_cycles");
		CU_ASSERT(c && json_number_value(c) > 0);
	}
	CU_ASSERT_EQUAL(found, n_stages);
	json_decref(j);
	free(out);
	free(err);
	free(args);
}

/* Decoders (issue 15): transposed convs 1-D to 3-D, resize, reduce_mean
 * as users export them (ONNX without value_info) and as YAML ops, run
 * end to end: placed, simulated (step above its analytic bound, the
 * transposed convs computing) and costed on the GPU. */
static void test_decoders_run(void)
{
	char *dir = tu_temp_dir();
	char *script = tu_path("tests/onnx/make_models.py");
	char *cmd = xasprintf("/usr/bin/python3 %s %s", script, dir);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	char *unet = xasprintf("%s/unet_tiny.onnx", dir);
	char *dec = xasprintf("%s/deconv_1d_3d.onnx", dir);
	run_decoder(unet, "ConvTranspose", 1);
	run_decoder(dec, "ConvTranspose", 2);
	char *yaml = tu_temp_file(".yaml",
		"name: dec3\ninputs: {v: [4, 4, 6, 6], s: [4, 12], t: [75]}\n"
		"layers:\n"
		"  - {name: up3, op: conv_transpose3d, filters: 8, kernel: 2,"
		" stride: 2, in: v}\n"
		"  - {name: r3, op: relu}\n"
		"  - {name: gm, op: reduce_mean, axes: [1, 2, 3]}\n"
		"  - {name: up1, op: conv_transpose1d, filters: 8, kernel: 4,"
		" stride: 2, padding: 1, in: s}\n"
		"  - {name: rs, op: resize, scale: 2, mode: linear}\n"
		"  - {name: g1, op: reduce_mean, axes: [1]}\n"
		"  - {name: cat, op: concat, in: [gm, g1]}\n"
		"  - {name: up2in, op: reshape, shape: [4, 2, 2]}\n"
		"  - {name: up2, op: conv_transpose2d, filters: 3, kernel: 3,"
		" stride: 2}\n"
		"  - {name: out, op: flatten}\n"
		"  - {name: loss, op: mse_loss, in: [out, t]}\n");
	run_decoder(yaml, "up", 3);
	remove(yaml);
	free(yaml);
	tu_rm_rf(dir);
	free(dec);
	free(unet);
	free(cmd);
	free(script);
}

int suite_onnx(void)
{
	static const struct tu_test tests[] = {
		{"zoo ONNX equals YAML: params, matrix and ew FLOPs",
		 test_zoo_matches_yaml},
		{"zoo ONNX without value_info or output shapes: same costs",
		 test_zoo_without_value_info},
		{"exports as torch writes them (EfficientNet, ConvNeXt, U-Net, "
		 "ConvTranspose 1-D/3-D, transformer), with and without shapes",
		 test_exported_models},
		{"decoders run end to end: ONNX and YAML transposed convs "
		 "1-D to 3-D, resize, reduce_mean", test_decoders_run},
		{"wrong graphs: one-input Add, MatMul mismatch, impossible "
		 "Reshape, contradicted declared shape, axis out of range",
		 test_bad_exports},
		{"attention, gelu and shared-weight recognition",
		 test_patterns},
		{"truncated file, wrong magic", test_truncated_and_magic},
		{"every prefix of a model: an error, no crash", test_every_prefix},
		{"a model lacking required fields is refused",
		 test_required_fields},
		{"names at most GRAPH_NAME_MAX bytes", test_name_length},
		{"unsupported op names node and op type", test_unsupported_op},
		{"spelled-out layer norm, dense with bias, no value_info",
		 test_layernorm_spelled_out},
		{"conv with auto_pad SAME_UPPER", test_conv_auto_pad},
		{"one-input Add refused", test_one_input_add},
		{"MatMul with mismatched inner dimensions refused",
		 test_matmul_mismatch},
		{"names must be UTF-8 text", test_names_utf8},
		{"node names make unique layer names, one line each",
		 test_names_unique},
		{"overflowing conv refused", test_conv_overflow},
		{"corrupted files: errors, never crashes",
		 test_corrupt_never_crashes},
		{"external data: constants read inside the model's folder, "
		 "escapes refused",
		 test_external_data},
		{"limits: rank, dimensions, elements, data length",
		 test_limits},
		{0},
	};
	return tu_add_suite("onnx", tests);
}
