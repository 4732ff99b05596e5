/*
 * place_nets.h: hand-built graphs and machines for the placement suites
 * (test_map.c, test_place.c, test_route.c, test_plan_io.c).  Not a suite.
 */
#ifndef WAFERSIM_TEST_PLACE_NETS_H
#define WAFERSIM_TEST_PLACE_NETS_H

#include <stdio.h>
#include <string.h>

#include "compiler/cost.h"
#include "compiler/graph.h"
#include "compiler/place.h"
#include "compiler/plan_io.h"
#include "machine/machine.h"

static inline int pn_input(struct graph *g, const char *name, int rank,
			   const int64_t *dims)
{
	int t = graph_add_tensor(g, name, DT_FP32, rank, dims);
	g->tensors[t].is_input = 1;
	return t;
}

static inline int pn_layer(struct graph *g, const char *name, enum op_kind op,
			   const struct op_attrs *a, int n_in, const int *in)
{
	int out = graph_add_tensor(g, name, DT_FP32, 0, NULL);
	graph_add_layer(g, name, op, a, n_in, in, 1, &out);
	return out;
}

static inline int pn_dense(struct graph *g, const char *name, int in,
			   int64_t units)
{
	struct op_attrs a;
	memset(&a, 0, sizeof(a));
	a.units = units;
	a.bias = 1;
	return pn_layer(g, name, OP_DENSE, &a, 1, &in);
}

/*
 * A random MLP-like graph (every third seed behind a small 1-D CNN):
 * `n` dense layers of random widths in [lo, hi],
 * each followed by a relu, some feeding two later layers (fan-out, so
 * multicast routes) through an add, ending in an MSE loss against a target
 * input.  Finished and costed (momentum).  Deterministic for `seed`.
 */
static inline int pn_random_graph(struct graph *g, unsigned seed, int n,
				  int64_t lo, int64_t hi)
{
	uint64_t st = seed * 7919u + 17;
	char name[32];
	graph_setup(g, "rnd", "rnd.yaml");
	int64_t in_dim =
		lo + (int64_t)(place_rand(&st) % (uint64_t)(hi - lo + 1));
	int x, prev;
	if (seed % 3 == 0) {
		/* a 1-D CNN front: conv, relu, (conv, relu,) maxpool, flatten
		 */
		int64_t dims[2] = {1 + (int64_t)(place_rand(&st) % 4),
				   64 + (int64_t)(place_rand(&st) % 448)};
		x = pn_input(g, "x", 2, dims);
		prev = x;
		int nconv = 1 + (int)(place_rand(&st) % 2);
		for (int i = 0; i < nconv; i++) {
			struct op_attrs a;
			memset(&a, 0, sizeof(a));
			a.spatial = 1;
			a.out_channels = 2 + (int64_t)(place_rand(&st) % 30);
			a.kernel[0] = 3 + (int64_t)(place_rand(&st) % 5);
			a.stride[0] = 1;
			a.dilation[0] = 1;
			a.groups = 1;
			a.bias = 1;
			snprintf(name, sizeof name, "conv%d", i);
			prev = pn_layer(g, name, OP_CONV, &a, 1, &prev);
			snprintf(name, sizeof name, "crelu%d", i);
			prev = pn_layer(g, name, OP_RELU, NULL, 1, &prev);
		}
		struct op_attrs pa;
		memset(&pa, 0, sizeof(pa));
		pa.spatial = 1;
		pa.kernel[0] = pa.stride[0] = 4;
		prev = pn_layer(g, "pool", OP_MAXPOOL, &pa, 1, &prev);
		prev = pn_layer(g, "flat", OP_FLATTEN, NULL, 1, &prev);
	} else {
		x = pn_input(g, "x", 1, &in_dim);
		prev = x;
	}
	int skip = -1;
	int64_t width = in_dim, skip_w = 0;
	for (int i = 0; i < n; i++) {
		int64_t u = lo + (int64_t)(place_rand(&st) %
					   (uint64_t)(hi - lo + 1));
		if (skip >= 0 && place_rand(&st) % 2)
			u = skip_w; /* allows a residual add below */
		snprintf(name, sizeof name, "fc%d", i);
		int y = pn_dense(g, name, prev, u);
		snprintf(name, sizeof name, "relu%d", i);
		y = pn_layer(g, name, OP_RELU, NULL, 1, &y);
		if (skip >= 0 && u == skip_w && skip != prev) {
			int ins[2] = {y, skip};
			snprintf(name, sizeof name, "add%d", i);
			y = pn_layer(g, name, OP_ADD, NULL, 2, ins);
			skip = -1;
		} else if (skip < 0 && place_rand(&st) % 3 == 0) {
			skip = y;
			skip_w = u;
		}
		prev = y;
		width = u;
	}
	int64_t out_dim = 1 + (int64_t)(place_rand(&st) % 16);
	int o = pn_dense(g, "out", prev, out_dim);
	int tgt = pn_input(g, "target", 1, &out_dim);
	int ins[2] = {o, tgt};
	int loss = pn_layer(g, "loss", OP_LOSS_MSE, NULL, 2, ins);
	g->tensors[loss].is_output = 1;
	(void)width;
	struct diag d;
	diag_init(&d);
	int rc = graph_finish(g, &d);
	if (rc)
		diag_print(&d, stderr);
	diag_release(&d);
	if (!rc)
		cost_count(g, OPT_MOMENTUM);
	g->default_batch = 8;
	return rc;
}

/* A small machine: preset `name` with grid w x h and `colors` colors. */
static inline int pn_machine(const char *name, int64_t w, int64_t h,
			     int64_t colors, struct machine *m)
{
	struct diag d;
	diag_init(&d);
	int rc = machine_load(name, m, &d);
	if (rc)
		diag_print(&d, stderr);
	diag_release(&d);
	if (w)
		m->width = w;
	if (h)
		m->height = h;
	if (colors)
		m->fabric.colors = colors;
	return rc;
}

/* A plan as its YAML file's text (plan_write); the caller frees it. */
static inline char *pn_plan_text(const struct plan *p, const struct graph *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	plan_write(p, g, f);
	fclose(f);
	return buf;
}

#endif
