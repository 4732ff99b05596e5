/*
 * test_cost.c: cost counting.  The matrix FLOPs of every zoo network must
 * equal PyTorch's own counter (flops_forward, flops_train_step in the
 * project's copy of the H100 measurements, models/measured/h100/train.jsonl)
 * within 1% at every batch size measured.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/cost.h"
#include "compiler/graph.h"
#include "ground/json_io.h"
#include "ground/util.h"
#include "test_util.h"

/* Value of "key": in a JSON line (number or string), or NULL. */
static const char *json_field(const char *line, const char *key, char *buf,
			      size_t n)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	const char *p = strstr(line, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	size_t k = 0;
	if (*p == '"') {
		p++;
		while (*p && *p != '"' && k + 1 < n)
			buf[k++] = *p++;
	} else {
		while (*p && *p != ',' && *p != '}' && k + 1 < n)
			buf[k++] = *p++;
	}
	buf[k] = 0;
	return buf;
}

static int within(int64_t ours, int64_t ref, double tol)
{
	double d = (double)ours - (double)ref;
	if (d < 0)
		d = -d;
	return d <= tol * (double)ref;
}

static void check_measured(const char *ext)
{
	char *path = tu_path("models/measured/h100/train.jsonl");
	char *text;
	size_t len;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(read_file(path, &text, &len, &d), 0);
	int checked = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char m[64], b[32], ff[32], ft[32], pr[32];
		if (!json_field(line, "model", m, sizeof(m)) ||
		    !json_field(line, "batch", b, sizeof(b)) ||
		    !json_field(line, "flops_forward", ff, sizeof(ff)) ||
		    !json_field(line, "flops_train_step", ft, sizeof(ft)) ||
		    !strcmp(ff, "null"))
			continue;
		json_field(line, "params", pr, sizeof(pr));
		int64_t batch = atoll(b), fwd = atoll(ff), train = atoll(ft);
		diag_clear(&d);
		char *name = xasprintf("%s%s", m, ext);
		struct graph g;
		int rc = graph_load(name, OPT_MOMENTUM, &g, &d);
		if (rc)
			diag_print(&d, stderr);
		CU_ASSERT_EQUAL(rc, 0);
		if (!rc) {
			struct cost_totals t;
			cost_totals(&g, &t);
			int64_t of = cost_infer_mat_flops_per_batch(&t, batch);
			int64_t ot = cost_train_mat_flops_per_batch(&t, batch);
			int ok = within(of, fwd, 0.01) &&
				 within(ot, train, 0.01);
			CU_ASSERT_TRUE(ok);
			CU_ASSERT_EQUAL(t.params, atoll(pr));
			if (!ok || t.params != atoll(pr))
				fprintf(stderr,
					"%s batch %" PRId64 ": fwd %" PRId64
					" vs %" PRId64 ", train %" PRId64
					" vs %" PRId64 ", params %" PRId64
					" vs %s\n",
					name, batch, of, fwd, ot, train,
					t.params, pr);
			checked++;
			graph_release(&g);
		}
		free(name);
	}
	/* uno, p1b1, resnet50 and bert_base at two or three batches each */
	CU_ASSERT_TRUE(checked >= 8);
	free(text);
	free(path);
	diag_release(&d);
}

static void test_measured_yaml(void)
{
	check_measured("");
}

static void test_measured_onnx(void)
{
	check_measured(".onnx");
}

/* Hand-checked small cases: conv, attention, optimizer state, first layer. */
static void test_rules(void)
{
	const char *text =
		"name: t\n"
		"inputs: {img: [3, 8, 8], ids: {shape: [4], dtype: int64}}\n"
		"layers:\n"
		"  - {name: c, op: conv, filters: 4, kernel: 3, padding: 1,"
		" in: img}\n"
		"  - {name: dw, op: conv, filters: 4, kernel: 3, groups: 4}\n"
		"  - {name: e, op: embedding, vocab: 10, dim: 6, in: ids}\n"
		"  - {name: qkv, op: dense, units: 18}\n"
		"  - {name: a, op: attention, heads: 2}\n"
		"  - {name: l, op: cross_entropy}\n"
		"  - {name: l2, op: mse_loss, in: dw}\n";
	struct graph g;
	struct diag d;
	diag_init(&d);
	char *path = tu_temp_file(".yaml", text);
	int rc = graph_load(path, OPT_ADAM, &g, &d);
	if (rc)
		diag_print(&d, stderr);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	struct cost_totals t;
	cost_totals(&g, &t);
	const struct layer *c = &g.layers[0], *dw = &g.layers[1];
	CU_ASSERT_STRING_EQUAL(c->name, "c");
	/* 4 x 8 x 8 outputs, 3 x 3 x 3 MACs each; no input grad (image) */
	CU_ASSERT_EQUAL(c->cost.mat_flops[PASS_FWD], 2 * 256 * 27);
	CU_ASSERT_EQUAL(c->cost.mat_flops[PASS_BWD_DATA], 0);
	CU_ASSERT_EQUAL(c->cost.params, 4 * 27 + 4);
	/* depthwise: 4 x 6 x 6 outputs, 9 MACs each; needs input grad */
	CU_ASSERT_EQUAL(dw->cost.mat_flops[PASS_FWD], 2 * 144 * 9);
	CU_ASSERT_EQUAL(dw->cost.mat_flops[PASS_BWD_DATA], 2 * 144 * 9);
	CU_ASSERT_EQUAL(dw->cost.params, 4 * 9 + 4);
	for (int i = 0; i < g.n_layers; i++) {
		const struct layer *l = &g.layers[i];
		if (!strcmp(l->name, "a")) {
			/* 2 heads, seq 4, head dim 3: QK^T and PV 48 MACs
			 * each; backward 5 matmuls */
			CU_ASSERT_EQUAL(l->cost.mat_flops[PASS_FWD], 2 * 192);
			CU_ASSERT_EQUAL(l->cost.mat_flops[PASS_BWD_DATA],
					2 * 5 * 96);
			CU_ASSERT_EQUAL(g.tensors[l->out[0]].dims[1], 6);
		}
		if (!strcmp(l->name, "qkv"))
			CU_ASSERT_EQUAL(l->cost.mat_flops[PASS_BWD_DATA],
					2 * 4 * 6 * 18);
		if (!strcmp(l->name, "e"))
			CU_ASSERT_EQUAL(l->cost.params, 60);
	}
	/* Adam: two fp32 values per parameter */
	CU_ASSERT_EQUAL(t.opt_state_bytes, 8 * t.params);
	CU_ASSERT_EQUAL(t.ew_flops[PASS_UPDATE],
			COST_ADAM_FLOPS_PER_PARAM * t.params);
	CU_ASSERT_EQUAL(cost_train_memory_bytes(&t, 2),
			t.weight_bytes * 2 + t.opt_state_bytes +
				2 * t.saved_bytes);
	/* SGD keeps no state */
	cost_count(&g, OPT_SGD);
	cost_totals(&g, &t);
	CU_ASSERT_EQUAL(t.opt_state_bytes, 0);
	CU_ASSERT_EQUAL(t.opt, OPT_SGD);
	graph_release(&g);
	remove(path);
	free(path);
	diag_release(&d);
}

/* The decoder ops by hand: transposed convs, resize, pad, reductions. */
static void test_decoder_rules(void)
{
	const char *text =
		"name: t\n"
		"inputs: {x: [8, 5, 5], s: [2, 10]}\n"
		"layers:\n"
		"  - {name: up, op: conv_transpose, filters: 4, kernel: 3,"
		" stride: 2, padding: 1, output_padding: 1, in: x}\n"
		"  - {name: rs, op: resize, scale: 2, mode: bilinear}\n"
		"  - {name: pd, op: pad, pads: [1, 2, 0, 3]}\n"
		"  - {name: gm, op: reduce_mean, axes: [1, 2]}\n"
		"  - {name: u1, op: conv_transpose1d, filters: 6, kernel: 4,"
		" stride: 3, groups: 2, bias: false, in: s}\n"
		"  - {name: m1, op: reduce_max, axes: [0], keepdims: true}\n";
	struct graph g;
	struct diag d;
	diag_init(&d);
	char *path = tu_temp_file(".yaml", text);
	int rc = graph_load(path, OPT_SGD, &g, &d);
	if (rc)
		diag_print(&d, stderr);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	for (int i = 0; i < g.n_layers; i++) {
		const struct layer *l = &g.layers[i];
		const struct tensor *y = &g.tensors[l->out[0]];
		if (!strcmp(l->name, "up")) {
			/* (5 - 1) 2 - 2 + 2 + 1 + 1 = 10; every input element
			 * meets 4 x 9 weights */
			CU_ASSERT_EQUAL(y->dims[1], 10);
			CU_ASSERT_EQUAL(y->dims[2], 10);
			CU_ASSERT_EQUAL(l->cost.params, 8 * 4 * 9 + 4);
			CU_ASSERT_EQUAL(l->cost.mat_flops[PASS_FWD],
					2 * 200 * 36);
			CU_ASSERT_EQUAL(l->cost.mat_flops[PASS_BWD_WEIGHT],
					2 * 200 * 36);
			CU_ASSERT_EQUAL(l->cost.ew_flops[PASS_FWD], 400);
		}
		if (!strcmp(l->name, "rs")) { /* 2 x 2 taps, 2 FLOPs each */
			CU_ASSERT_EQUAL(tensor_elems(y), 4 * 20 * 20);
			CU_ASSERT_EQUAL(l->cost.ew_flops[PASS_FWD],
					8 * 4 * 20 * 20);
		}
		if (!strcmp(l->name, "pd")) { /* last axis +3, the one before
						 +3 */
			CU_ASSERT_EQUAL(y->dims[0], 4);
			CU_ASSERT_EQUAL(y->dims[1], 23);
			CU_ASSERT_EQUAL(y->dims[2], 23);
			CU_ASSERT_EQUAL(l->cost.ew_flops[PASS_FWD], 0);
		}
		if (!strcmp(l->name, "gm")) {
			CU_ASSERT_EQUAL(y->rank, 1);
			CU_ASSERT_EQUAL(l->cost.ew_flops[PASS_FWD],
					4 * 23 * 23);
		}
		if (!strcmp(l->name, "u1")) { /* (10 - 1) 3 + 3 + 1 = 31 */
			CU_ASSERT_EQUAL(y->dims[1], 31);
			CU_ASSERT_EQUAL(l->cost.params, 2 * 3 * 4);
			CU_ASSERT_EQUAL(l->cost.mat_flops[PASS_FWD],
					2 * 20 * 3 * 4);
		}
		if (!strcmp(l->name, "m1")) {
			CU_ASSERT_EQUAL(y->rank, 2);
			CU_ASSERT_EQUAL(y->dims[0], 1);
			CU_ASSERT_STRING_EQUAL(l->attrs.ew_name, "max");
		}
	}
	graph_release(&g);
	remove(path);
	free(path);
	/* output_padding must stay below the stride (or dilation) */
	path = tu_temp_file(".yaml", "inputs: {x: [2, 4]}\nlayers:\n"
				     "  - {op: conv_transpose1d, filters: 2,"
				     " kernel: 2, stride: 2,"
				     " output_padding: 2}\n");
	CU_ASSERT_EQUAL(graph_load(path, OPT_SGD, &g, &d), WS_EINPUT);
	CU_ASSERT_TRUE(diag_contains(&d, "'output_padding' of layer"));
	remove(path);
	free(path);
	diag_release(&d);
}

/* `wafersim compile`: table, JSON, DOT, errors and exit codes, speed. */
static void test_compile_cli(void)
{
	char *out, *err;
	CU_ASSERT_EQUAL(tu_run("compile uno --batch 256", &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "parameters            21275001"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "desc2_enc/fc.1/dense"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "(shared)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "per batch of 256"));
	free(out);
	free(err);
	CU_ASSERT_EQUAL(
		tu_run("compile uno.onnx --json --optimizer adam", &out, &err),
		0);
	struct diag d;
	diag_init(&d);
	json_t *j = ws_json_parse(out, strlen(out), "out", 1, &d);
	CU_ASSERT_FATAL(j != NULL);
	double v = 0;
	CU_ASSERT(ws_json_num_at(j, "totals.layers", &v) && v > 10);
	CU_ASSERT(ws_json_num_at(j, "totals.params", &v) && v == 21275001);
	CU_ASSERT_STRING_EQUAL(ws_json_str_at(j, "optimizer"), "adam");
	/* 2 x 21,275,001 x 4 bytes of Adam state */
	CU_ASSERT(ws_json_num_at(j, "totals.opt_state_bytes", &v) &&
		  v == 170200008);
	json_decref(j);
	diag_release(&d);
	free(out);
	free(err);
	/* the zoo listing: a header and one line per network */
	CU_ASSERT_EQUAL(tu_run("compile --list", &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "gpt2_small        163037184"));
	int lines = 0;
	for (const char *q = out; *q; q++)
		lines += *q == '\n';
	CU_ASSERT_EQUAL(lines, 1 + 20);
	free(out);
	free(err);
	/* usage errors exit 2, bad input 1 with the location */
	CU_ASSERT_EQUAL(tu_run("compile", &out, &err), 2);
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("compile uno --optimizer rmsprop", &out, &err),
			2);
	free(out);
	free(err);
	char *bad = tu_temp_file(".yaml", "name: t\ninputs: {x: [4]}\n"
					  "layers:\n  - {op: dense}\n");
	char *args = xasprintf("compile %s", bad);
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "must have 'units'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ".yaml:4:5)"));
	CU_ASSERT_STRING_EQUAL(out, "");
	free(out);
	free(err);
	free(args);
	remove(bad);
	free(bad);
	CU_ASSERT_EQUAL(tu_run("compile no_such_net", &out, &err), 1);
	free(out);
	free(err);
	/* --dot writes a Graphviz file */
	char *dir = tu_temp_dir();
	args = xasprintf("compile combo --dot %s/g.dot", dir);
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
	free(out);
	free(err);
	free(args);
	char *dot = xasprintf("%s/g.dot", dir), *text;
	size_t len;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(read_file(dot, &text, &len, &d), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "digraph \"combo\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "label=\"shares\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "-> L"));
	free(text);
	remove(dot);
	remove(dir);
	free(dot);
	free(dir);
	diag_release(&d);
}

/* out with every "<source tree>/" written as "<SRC>/" (heap). */
static char *mask_src(const char *out)
{
	char *src = tu_path("");
	size_t n = strlen(src);
	char *m = xmalloc(strlen(out) + 1), *q = m;
	for (const char *p = out; *p;) {
		if (!strncmp(p, src, n)) {
			q += sprintf(q, "<SRC>/");
			p += n;
		} else {
			*q++ = *p++;
		}
	}
	*q = 0;
	free(src);
	return m;
}

/* tests/golden/compile_*: output compared byte for byte (README there). */
static void test_golden(void)
{
	static const char *const cases[] = {"compile_uno",
					    "compile_attn_onnx_json"};
	int update = getenv("WAFERSIM_UPDATE_GOLDEN") != NULL;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *rel = xasprintf("tests/golden/%s/args", cases[i]);
		char *ap = tu_path(rel), *args, *want, *out, *err;
		free(rel);
		rel = xasprintf("tests/golden/%s/expected", cases[i]);
		char *ep = tu_path(rel);
		free(rel);
		size_t len;
		struct diag d;
		diag_init(&d);
		CU_ASSERT_EQUAL_FATAL(read_file(ap, &args, &len, &d), 0);
		while (len && args[len - 1] == '\n')
			args[--len] = 0;
		CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
		char *body = mask_src(out);
		if (update) {
			FILE *f = fopen(ep, "w");
			CU_ASSERT_PTR_NOT_NULL_FATAL(f);
			fputs(body, f);
			fclose(f);
		}
		CU_ASSERT_EQUAL_FATAL(read_file(ep, &want, &len, &d), 0);
		CU_ASSERT_STRING_EQUAL(body, want);
		if (strcmp(body, want))
			fprintf(stderr,
				"golden %s differs (see tests/golden/"
				"README.md)\n",
				cases[i]);
		free(want);
		free(body);
		free(out);
		free(err);
		free(args);
		free(ap);
		free(ep);
		diag_release(&d);
	}
}

int suite_cost(void)
{
	static const struct tu_test tests[] = {
		{"conv, depthwise, attention, optimizer rules", test_rules},
		{"conv_transpose, resize, pad, reduce rules",
		 test_decoder_rules},
		{"YAML zoo matrix FLOPs vs PyTorch counter",
		 test_measured_yaml},
		{"ONNX zoo matrix FLOPs vs PyTorch counter",
		 test_measured_onnx},
		{"compile command: table, JSON, DOT, errors", test_compile_cli},
		{"golden compile outputs", test_golden},
		{0},
	};
	return tu_add_suite("cost", tests);
}
