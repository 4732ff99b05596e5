/*
 * test_net_yaml.c: the YAML network reader: the zoo loads, blocks, repeat
 * and shared weights expand as documented, and every kind of bad input is
 * reported with its file:line:col.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/cost.h"
#include "compiler/graph.h"
#include "compiler/net_yaml.h"
#include "ground/util.h"
#include "test_util.h"

/* Load text as "t.yaml"; returns rc, graph released by the caller on 0. */
static int load_text(const char *text, struct graph *g, struct diag *d)
{
	diag_init(d);
	return net_yaml_load_string("t.yaml", text, strlen(text), g, d);
}

/* Expect a failure whose message contains every needle. */
static void expect_error(const char *text, const char *n1, const char *n2)
{
	struct graph g;
	struct diag d;
	int rc = load_text(text, &g, &d);
	CU_ASSERT_EQUAL(rc, WS_EINPUT);
	CU_ASSERT_TRUE(diag_contains(&d, n1));
	if (n2)
		CU_ASSERT_TRUE(diag_contains(&d, n2));
	if (!diag_contains(&d, n1) || (n2 && !diag_contains(&d, n2)))
		diag_print(&d, stderr);
	diag_release(&d);
}

static void test_uno_loads(void)
{
	struct graph g;
	struct diag d;
	diag_init(&d);
	int rc = graph_load("uno", OPT_SGD, &g, &d);
	if (rc)
		diag_print(&d, stderr);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	struct cost_totals t;
	cost_totals(&g, &t);
	/* 21,275,001 per ../reference/networks.md: the shared encoders count
	 * once although applied twice. */
	CU_ASSERT_EQUAL(t.params, 21275001);
	CU_ASSERT_EQUAL(g.default_batch, 32);
	int shared = 0, inputs = 0;
	for (int i = 0; i < g.n_layers; i++)
		if (g.layers[i].param_owner != i &&
		    op_has_params(g.layers[i].op))
			shared++;
	for (int i = 0; i < g.n_tensors; i++)
		inputs += g.tensors[i].is_input;
	CU_ASSERT_EQUAL(shared, 6); /* 2 encoders x 3 dense */
	CU_ASSERT_EQUAL(inputs, 7);
	/* the concat sees 1 + 1 + 5 x 1000 */
	int cat = -1;
	for (int i = 0; i < g.n_layers; i++)
		if (g.layers[i].op == OP_CONCAT)
			cat = i;
	CU_ASSERT_TRUE_FATAL(cat >= 0);
	CU_ASSERT_EQUAL(g.tensors[g.layers[cat].out[0]].dims[0], 5002);
	graph_release(&g);
	diag_release(&d);
}

static void test_blocks_repeat_share(void)
{
	const char *text =
		"name: t\n"
		"inputs: {x: [8], y: [8]}\n"
		"blocks:\n"
		"  enc:\n"
		"    inputs: [a]\n"
		"    layers:\n"
		"      - {name: fc, op: dense, units: 4, in: a}\n"
		"      - {name: act, op: tanh}\n"
		"layers:\n"
		"  - {name: e1, block: enc, in: x}\n"
		"  - {name: e2, block: enc, in: y, share: e1}\n"
		"  - {name: s, op: add, in: [e1, e2]}\n"
		"  - {name: r, op: dense, units: 4, repeat: 3, shared: true}\n"
		"  - {name: loss, op: mse_loss, in: r}\n";
	struct graph g;
	struct diag d;
	int rc = load_text(text, &g, &d);
	if (rc)
		diag_print(&d, stderr);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	cost_count(&g, OPT_SGD);
	struct cost_totals t;
	cost_totals(&g, &t);
	/* enc: 8*4+4 once; r: 4*4+4 once although applied 3 times */
	CU_ASSERT_EQUAL(t.params, 36 + 20);
	/* forward matrix work counts every application */
	CU_ASSERT_EQUAL(t.mat_flops[PASS_FWD], 2 * (2 * 32 + 3 * 16));
	/* first layers read network inputs: no gradient to data */
	for (int i = 0; i < g.n_layers; i++) {
		const struct layer *l = &g.layers[i];
		if (!strcmp(l->name, "e1/fc") || !strcmp(l->name, "e2/fc"))
			CU_ASSERT_EQUAL(l->cost.mat_flops[PASS_BWD_DATA], 0);
		if (!strcmp(l->name, "r.2"))
			CU_ASSERT_STRING_EQUAL(g.layers[l->param_owner].name,
					       "r.1");
	}
	CU_ASSERT_NOT_EQUAL(graph_find_tensor(&g, "r.3"), -1);
	graph_release(&g);
	diag_release(&d);
}

/* Names may be used before they are defined, blocks' outputs included. */
static void test_forward_references(void)
{
	const char *text = "name: t\ninputs: {x: [8]}\n"
			   "blocks:\n  enc:\n    layers:\n"
			   "      - {name: fc, op: dense, units: 4}\n"
			   "layers:\n"
			   "  - {name: out, op: dense, units: 2, in: e}\n"
			   "  - {name: e, block: enc, in: x}\n";
	struct graph g;
	struct diag d;
	int rc = load_text(text, &g, &d);
	if (rc)
		diag_print(&d, stderr);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(g.n_layers, 2);
	CU_ASSERT_STRING_EQUAL(g.layers[0].name, "e/fc");
	CU_ASSERT_STRING_EQUAL(g.layers[1].name, "out");
	CU_ASSERT_EQUAL(g.tensors[g.layers[1].in[0]].dims[0], 4);
	graph_release(&g);
	diag_release(&d);
}

static void test_bad_unknown_op(void)
{
	expect_error("name: t\ninputs: {x: [4]}\nlayers:\n"
		     "  - {op: dense, units: 2}\n"
		     "  - {op: frobnicate}\n",
		     "op must be one of", "got 'frobnicate' (t.yaml:5:10)");
}

static void test_bad_missing_attribute(void)
{
	expect_error("name: t\ninputs: {x: [4]}\nlayers:\n"
		     "  - {name: d, op: dense}\n",
		     "op 'dense' must have 'units', got none", "(t.yaml:4:5)");
	expect_error("name: t\ninputs: {x: [4]}\nlayers:\n"
		     "  - {name: d, op: dense, units: 2, kernel: 3}\n",
		     "key 'kernel' is not an attribute of op 'dense'",
		     "(t.yaml:4:36)");
}

static void test_bad_shape_mismatch(void)
{
	expect_error("name: t\ninputs: {x: [4], y: [5]}\nlayers:\n"
		     "  - {name: a, op: dense, units: 3, in: x}\n"
		     "  - {name: b, op: dense, units: 2, in: y}\n"
		     "  - {name: s, op: add, in: [a, b]}\n",
		     "input 'b' of layer 's' (add) must broadcast to [3], got "
		     "[2]",
		     "(t.yaml:6:5)");
	expect_error("name: t\ninputs: {x: [3, 32, 32]}\nlayers:\n"
		     "  - {name: c, op: conv, filters: 8, kernel: [3, 3, 3]}\n",
		     "input 'x' of layer 'c' (conv 3d) must be [channels, 3 "
		     "spatial dims], got [3, 32, 32]",
		     "(t.yaml:4:5)");
}

static void test_bad_cycle(void)
{
	expect_error("name: t\ninputs: {x: [4]}\nlayers:\n"
		     "  - {name: a, op: add, in: [x, c]}\n"
		     "  - {name: b, op: relu, in: a}\n"
		     "  - {name: c, op: relu, in: b}\n",
		     "layer 'a' must not depend on its own output, got a cycle "
		     "through input 'c'",
		     "(t.yaml:4:5)");
}

static void test_bad_dangling_input(void)
{
	expect_error("name: t\ninputs: {x: [4]}\nlayers:\n"
		     "  - {name: a, op: relu}\n"
		     "  - {name: b, op: add, in: [a, nowhere]}\n",
		     "input 'nowhere' of layer 'b' must be a network input or "
		     "a layer output",
		     "(t.yaml:5:5)");
}

static void test_bad_yaml_syntax(void)
{
	expect_error("name: t\ninputs: {x: [4]\nlayers: []\n",
		     "must be valid YAML", "t.yaml:");
	expect_error("name: t\ninputs: {x: [4]}\nlayers:\n"
		     "  - {name: a, block: nope}\n",
		     "block 'nope' must be defined", "(t.yaml:4:22)");
	expect_error("name: t\ninputs: {x: [4]}\nlayers:\n"
		     "  - {name: a, op: relu}\n  - {name: a, op: relu}\n",
		     "layer name 'a' must be unique", "(t.yaml:5:5)");
}

/*
 * Parameter counts of the zoo, copied from the team's reference table
 * (shared/reference/networks.md, "params" column).  Exact figures must match
 * exactly; figures given as "244.4 M" must match at the digits given.
 */
static const struct {
	const char *name;
	int64_t params; /* exact count, or the figure x 10^-digits */
	int digits;	/* 0: exact; else rounded to 10^digits */
} zoo_params[] = {
	{"uno", 21275001, 0},	 {"combo", 13742001, 0}, {"nt3", 154922918, 0},
	{"p1b1", 2444, 5},	 {"p1b2", 29540618, 0},	 {"p1b3", 30088701, 0},
	{"attn", 8893437, 0},	 {"unomt", 878, 5},	 {"st1", 393, 5},
	{"tbi3d", 955, 4},	 {"resnet50", 256, 5},	 {"vgg16", 1384, 5},
	{"mobilenet_v2", 35, 5}, {"vit_b16", 866, 5},	 {"bert_base", 1086, 5},
	{"gpt2_small", 1630, 5},
};

static void test_zoo_params(void)
{
	for (size_t j = 0; j < 2 * ARRAY_SIZE(zoo_params); j++) {
		size_t i = j / 2;
		struct graph g;
		struct diag d;
		diag_init(&d);
		/* from the YAML, then from the ONNX file */
		char *name = xasprintf("%s%s", zoo_params[i].name,
				       j % 2 ? ".onnx" : "");
		int rc = graph_load(name, OPT_SGD, &g, &d);
		free(name);
		if (rc)
			diag_print(&d, stderr);
		CU_ASSERT_EQUAL(rc, 0);
		if (rc) {
			diag_release(&d);
			continue;
		}
		struct cost_totals t;
		cost_totals(&g, &t);
		int64_t n = t.params;
		/* The table's attn figure is Keras' total, which counts the
		 * batch norms' running mean and variance (PyTorch: 8,887,507
		 * trainable). */
		if (!strcmp(zoo_params[i].name, "attn"))
			n += t.buffers;
		int64_t want = zoo_params[i].params, got = n;
		if (zoo_params[i].digits) {
			int64_t q = 1;
			for (int k = 0; k < zoo_params[i].digits; k++)
				q *= 10;
			got = (n + q / 2) / q;
		}
		CU_ASSERT_EQUAL(got, want);
		if (got != want)
			fprintf(stderr, "%s%s: %lld parameters\n",
				zoo_params[i].name, j % 2 ? ".onnx" : "",
				(long long)n);
		graph_release(&g);
		diag_release(&d);
	}
}

/* Truncated and byte-mutated zoo files: a graph or a reported error, never
 * a crash (run under `make asan` too). */
static void test_mangled_never_crashes(void)
{
	static const char *const files[] = {"models/nets/resnet50.yaml",
					    "models/nets/st1.yaml"};
	static const char junk[] = "{}[]:,-$ \n#x9";
	uint64_t seed = 99;
	for (size_t f = 0; f < ARRAY_SIZE(files); f++) {
		char *path = tu_path(files[f]);
		char *text;
		size_t len;
		struct diag d;
		diag_init(&d);
		CU_ASSERT_EQUAL_FATAL(read_file(path, &text, &len, &d), 0);
		char *buf = xmalloc(len + 1);
		for (int round = 0; round < 200; round++) {
			memcpy(buf, text, len + 1);
			size_t n = len;
			seed = seed * 6364136223846793005ull +
			       1442695040888963407ull;
			if (round % 2)
				n = (size_t)(seed >> 33) % len; /* truncate */
			else
				buf[(seed >> 33) % len] =
					junk[(seed >> 20) % (sizeof(junk) - 1)];
			buf[n] = 0;
			struct graph g;
			diag_clear(&d);
			int rc = net_yaml_load_string("m.yaml", buf, n, &g, &d);
			CU_ASSERT(rc == 0 ||
				  (rc == WS_EINPUT && diag_count(&d)));
			if (rc == 0)
				graph_release(&g);
		}
		free(buf);
		free(text);
		free(path);
		diag_release(&d);
	}
}

/* Issue 17 (inputs never seen): an empty file, one of comments only and
 * an empty layer list are errors at a line and column, not the file
 * alone. */
static void test_empty_located(void)
{
	expect_error("", "got an empty document (t.yaml:1:1)", NULL);
	expect_error("# only a comment\n# cut here",
		     "got an empty document (t.yaml:1:1)", NULL);
	expect_error("name: n\ninputs:\n  x: [4]\nlayers: []\n",
		     "network: 'layers' must list at least one layer, got "
		     "none (t.yaml:4:9)",
		     NULL);
}

/* A control character in the network's, a layer's or an input's name
 * is refused at the name: a line break broke the plan file (it did not
 * read back), CSV rows and gnuplot scripts. */
static void test_control_char_names(void)
{
	expect_error("name: \"a\\nb\"\ninputs:\n  x: [4]\nlayers:\n"
		     "  - {name: r, op: relu}\n",
		     "network: 'name' must be one line of text, got the "
		     "control character 0x0a at character 2 (t.yaml:1:7)",
		     NULL);
	expect_error("name: n\ninputs:\n  x: [4]\nlayers:\n"
		     "  - {name: \"r\\tq\", op: relu}\n",
		     "control character 0x09 at character 2 (t.yaml:5:12)",
		     NULL);
	expect_error("name: n\ninputs:\n  \"x\\ny\": [4]\nlayers:\n"
		     "  - {name: r, op: relu}\n",
		     "network: an input name must be one line of text",
		     "(t.yaml:3:3)");
}

/* Names are held to GRAPH_NAME_MAX bytes: the network's, an input's and
 * a layer's as read (located), a composed one (a repeat's "NAME.N") as
 * the graph is finished; one at the limit loads whole. */
static void test_name_length(void)
{
	char at[GRAPH_NAME_MAX + 1], over[GRAPH_NAME_MAX + 2];
	memset(at, 'a', GRAPH_NAME_MAX);
	at[GRAPH_NAME_MAX] = 0;
	memset(over, 'b', GRAPH_NAME_MAX + 1);
	over[GRAPH_NAME_MAX + 1] = 0;
	const char *fmt[] = {
		"name: %s\ninputs: {x: [4]}\nlayers:\n"
		"  - {name: d, op: dense, units: 2}\n",
		"name: t\ninputs: {%s: [4]}\nlayers:\n"
		"  - {name: d, op: dense, units: 2}\n",
		"name: t\ninputs: {x: [4]}\nlayers:\n"
		"  - {name: %s, op: dense, units: 2}\n"};
	static const char *const where[] = {"(t.yaml:1:7)", "(t.yaml:2:10)",
					    "(t.yaml:4:12)"};
	for (int k = 0; k < 3; k++) {
		char *text = xasprintf(fmt[k], over);
		expect_error(text, "must be at most 256 bytes, got 257",
			     where[k]);
		free(text);
		text = xasprintf(fmt[k], at);
		struct graph g;
		struct diag d;
		CU_ASSERT_EQUAL(load_text(text, &g, &d), 0);
		if (diag_count(&d))
			diag_print(&d, stderr);
		const char *got = k == 0   ? g.name
				  : k == 1 ? g.tensors[0].name
					   : g.layers[0].name;
		CU_ASSERT_EQUAL(strlen(got), GRAPH_NAME_MAX);
		graph_release(&g);
		diag_release(&d);
		free(text);
	}
	/* 255 bytes and ".1": a composed name past the limit */
	at[255] = 0;
	char *text = xasprintf("name: t\ninputs: {x: [4]}\nlayers:\n"
			       "  - {name: %s, op: relu, repeat: 2}\n",
			       at);
	expect_error(text, "network: layer name 'aaaa",
		     "must be at most 256 bytes, got 257 (as composed");
	free(text);
}

int suite_net_yaml(void)
{
	static const struct tu_test tests[] = {
		{"uno loads, shared encoders counted once", test_uno_loads},
		{"zoo parameter counts (YAML, ONNX) match the reference",
		 test_zoo_params},
		{"blocks, repeat and shared weights", test_blocks_repeat_share},
		{"forward references", test_forward_references},
		{"unknown op", test_bad_unknown_op},
		{"missing or foreign attribute", test_bad_missing_attribute},
		{"shape mismatch", test_bad_shape_mismatch},
		{"cycle", test_bad_cycle},
		{"dangling input", test_bad_dangling_input},
		{"syntax, unknown block, duplicate name", test_bad_yaml_syntax},
		{"mangled files: errors, never crashes",
		 test_mangled_never_crashes},
		{"empty file, empty layer list: located errors",
		 test_empty_located},
		{"control characters in names refused",
		 test_control_char_names},
		{"names at most GRAPH_NAME_MAX bytes", test_name_length},
		{0},
	};
	return tu_add_suite("net_yaml", tests);
}
