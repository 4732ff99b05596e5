/*
 * test_map.c: kernel mapping: stage grouping (fusion), the dense tiling,
 * SRAM accounting and minimum PEs, conv halo, infeasible layers.
 */
#include <stdlib.h>
#include <string.h>

#include "compiler/kern.h"
#include "compiler/map.h"
#include "cores/pe.h"
#include "ground/checked.h"
#include "place_nets.h"
#include "ground/util.h"
#include "test_util.h"

/* x[K] -> dense(N) -> relu -> dropout -> dense(3) -> mse */
static void build_mlp(struct graph *g, int64_t K, int64_t N)
{
	graph_setup(g, "mlp", "mlp.yaml");
	int x = pn_input(g, "x", 1, &K);
	int y = pn_dense(g, "fc1", x, N);
	y = pn_layer(g, "act1", OP_RELU, NULL, 1, &y);
	struct op_attrs dr;
	memset(&dr, 0, sizeof dr);
	dr.rate = 0.1;
	y = pn_layer(g, "drop1", OP_DROPOUT, &dr, 1, &y);
	y = pn_dense(g, "fc2", y, 3);
	int64_t three = 3;
	int t = pn_input(g, "t", 1, &three);
	int ins[2] = {y, t};
	int l = pn_layer(g, "loss", OP_LOSS_MSE, NULL, 2, ins);
	g->tensors[l].is_output = 1;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(graph_finish(g, &d), 0);
	diag_release(&d);
	cost_count(g, OPT_MOMENTUM);
}

/* g's stages (mixed precision) into a fresh plan p, edges in e. */
static void stages_of(const struct graph *g, struct plan *p, struct diag *d,
		      struct map_edge **e, int *ne)
{
	plan_init(p);
	diag_init(d);
	*e = NULL;
	*ne = 0;
	CU_ASSERT_EQUAL_FATAL(map_stages(g, PREC_MIXED, p, e, ne, d), 0);
}

static void test_fusion(void)
{
	struct graph g;
	build_mlp(&g, 100, 50);
	struct plan p;
	struct diag d;
	struct map_edge *e;
	int ne;
	stages_of(&g, &p, &d, &e, &ne);
	/* fc1+act1+drop1, fc2, loss */
	CU_ASSERT_EQUAL(p.n_stages, 3);
	CU_ASSERT_STRING_EQUAL(p.stages[0].name, "fc1");
	CU_ASSERT_EQUAL(p.stages[0].n_layers, 3);
	CU_ASSERT_EQUAL(p.stages[0].kind, KERNEL_DENSE);
	CU_ASSERT_EQUAL(p.stages[2].kind, KERNEL_LOSS);
	/* edges: host x -> fc1, fc1 -> fc2, fc2 -> loss, host t -> loss */
	CU_ASSERT_EQUAL(ne, 4);
	int host = 0, grads = 0;
	for (int i = 0; i < ne; i++) {
		host += e[i].src < 0;
		grads += e[i].grad;
	}
	CU_ASSERT_EQUAL(host, 2);
	CU_ASSERT_EQUAL(grads, 2); /* fc1->fc2 and fc2->loss */
	/* 1F1B: 2 d - 1 samples for a stage d stages from the end */
	p.batch = 8;
	map_in_flight(&p, e, ne, MODE_PIPELINED);
	CU_ASSERT_EQUAL(p.stages[0].samples_in_flight, 5);
	CU_ASSERT_EQUAL(p.stages[1].samples_in_flight, 3);
	CU_ASSERT_EQUAL(p.stages[2].samples_in_flight, 1);
	CU_ASSERT_EQUAL(p.samples_in_flight, 5);
	p.batch = 4; /* never more than the batch */
	map_in_flight(&p, e, ne, MODE_PIPELINED);
	CU_ASSERT_EQUAL(p.stages[0].samples_in_flight, 4);
	map_in_flight(&p, e, ne, MODE_STREAMING);
	CU_ASSERT_EQUAL(p.stages[2].samples_in_flight, 4);
	free(e);
	plan_release(&p);
	graph_release(&g);
	diag_release(&d);
}

static void test_dense_tiling(void)
{
	struct graph g;
	struct machine m;
	CU_ASSERT_EQUAL_FATAL(pn_machine("mini64", 0, 0, 0, &m), 0);
	build_mlp(&g, 1000, 300);
	struct plan p;
	struct diag d;
	struct map_edge *e;
	int ne;
	stages_of(&g, &p, &d, &e, &ne);
	struct map_ctx c = {&g, &m, PREC_MIXED, OPT_MOMENTUM, MODE_PIPELINED,
			    8,	0, NULL, 0, NULL, PLAN_JOB_TRAIN, 0};
	struct plan_stage *s = &p.stages[0];
	s->samples_in_flight = 1;
	s->r = (struct rect){0, 0, 7, 9};
	map_kernel(&c, s);
	/* tile: ceil(K/w) x ceil(N/h) */
	CU_ASSERT_EQUAL(s->tile_k, (1000 + 6) / 7);
	CU_ASSERT_EQUAL(s->tile_n, (300 + 8) / 9);
	CU_ASSERT_EQUAL(s->work[PASS_FWD].pe.fma, s->tile_k * s->tile_n);
	CU_ASSERT_EQUAL(s->work[PASS_BWD_WEIGHT].pe.fma, s->tile_k * s->tile_n);
	CU_ASSERT_EQUAL(s->work[PASS_FWD].bcast_axis, AXIS_Y);
	CU_ASSERT_EQUAL(s->work[PASS_FWD].reduce_axis, AXIS_X);
	CU_ASSERT_EQUAL(s->work[PASS_BWD_DATA].bcast_axis, AXIS_X);
	CU_ASSERT_EQUAL(s->work[PASS_BWD_DATA].reduce_axis, AXIS_Y);
	CU_ASSERT(s->work[PASS_FWD].reduce_wavelets > 0);
	/* first layer: no gradient to its input, so no backward matmul */
	CU_ASSERT_EQUAL(s->work[PASS_BWD_DATA].pe.fma, 0);
	/* second dense needs its input gradient */
	struct plan_stage *s2 = &p.stages[1];
	s2->samples_in_flight = 1;
	s2->r = (struct rect){0, 0, 3, 1};
	map_kernel(&c, s2);
	CU_ASSERT(s2->work[PASS_BWD_DATA].pe.fma > 0);
	/* weights: about params / PEs in the param dtype, grads the same,
	 * momentum state; code allowance from the machine */
	int64_t wpe = s->sram.weights;
	CU_ASSERT(wpe >= s->tile_k * s->tile_n * 4);
	CU_ASSERT(wpe <= (s->tile_k + 1) * (s->tile_n + 1) * 4 + 64);
	CU_ASSERT_EQUAL(s->sram.grads, s->sram.weights);
	CU_ASSERT(s->sram.opt_state > 0);
	CU_ASSERT_EQUAL(s->sram.code, m.pe.code_bytes);
	CU_ASSERT_EQUAL(s->sram.total, s->sram.weights + s->sram.grads +
					       s->sram.opt_state +
					       s->sram.activations +
					       s->sram.buffers + s->sram.code);
	/* time uses the cores/ rule: more PEs, fewer cycles */
	cycles_t small = map_cycles(&c, s, 2, 2),
		 big = map_cycles(&c, s, 20, 20);
	CU_ASSERT(big < small);
	/* activations scale with the samples in flight */
	int64_t a1 = s->sram.activations;
	s->samples_in_flight = 5;
	map_kernel(&c, s);
	CU_ASSERT_EQUAL(s->sram.activations, 5 * a1);
	/* minimum PEs: fits there, not on fewer */
	int32_t w, h;
	s->samples_in_flight = 1;
	int64_t mp = map_min_pes(&c, s, &w, &h);
	CU_ASSERT(mp > 1);
	CU_ASSERT_EQUAL(mp, (int64_t)w * h);
	CU_ASSERT(map_fits(&c, s, w, h));
	CU_ASSERT(!map_fits(&c, s, 1, 1));
	/* 1000x300 fp32 weights+grads+momentum = 3.6 MB: >= 3.6 MB / 48 KB */
	CU_ASSERT(mp >= 1000 * 300 * 12 / m.pe.sram_bytes);
	free(e);
	plan_release(&p);
	graph_release(&g);
	diag_release(&d);
}

static void test_conv_halo(void)
{
	struct graph g;
	struct machine m;
	CU_ASSERT_EQUAL_FATAL(pn_machine("mini64", 0, 0, 0, &m), 0);
	graph_setup(&g, "cnn", "cnn.yaml");
	int64_t dims[2] = {4, 1000};
	int x = pn_input(&g, "x", 2, dims);
	struct op_attrs a;
	memset(&a, 0, sizeof a);
	a.spatial = 1;
	a.out_channels = 8;
	a.kernel[0] = 5;
	a.stride[0] = 1;
	a.dilation[0] = 1;
	a.groups = 1;
	int y = pn_layer(&g, "conv", OP_CONV, &a, 1, &x);
	y = pn_layer(&g, "r", OP_RELU, NULL, 1, &y);
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(graph_finish(&g, &d), 0);
	cost_count(&g, OPT_SGD);
	struct plan p;
	plan_init(&p);
	struct map_edge *e = NULL;
	int ne = 0;
	CU_ASSERT_EQUAL_FATAL(map_stages(&g, PREC_MIXED, &p, &e, &ne, &d), 0);
	CU_ASSERT_EQUAL(p.n_stages, 1);
	struct map_ctx c = {&g, &m, PREC_MIXED, OPT_SGD, MODE_PIPELINED, 8, 0, NULL, 0, NULL,
			    PLAN_JOB_TRAIN, 0};
	struct plan_stage *s = &p.stages[0];
	CU_ASSERT_EQUAL(s->kind, KERNEL_CONV);
	s->samples_in_flight = 1;
	s->r = (struct rect){0, 0, 10, 2};
	map_kernel(&c, s);
	/* positions over columns, output channels over rows */
	CU_ASSERT_EQUAL(s->tile_n, 4);
	CU_ASSERT_EQUAL(s->tile_k, (996 + 9) / 10);
	CU_ASSERT(s->work[PASS_FWD].halo_wavelets > 0);
	CU_ASSERT(s->work[PASS_FWD].pe.fma > 0);
	/* rows beyond the 8 channels take position groups */
	int64_t fma2 = s->work[PASS_FWD].pe.fma;
	s->r = (struct rect){0, 0, 10, 16};
	map_kernel(&c, s);
	CU_ASSERT_EQUAL(s->tile_n, 1);
	CU_ASSERT_EQUAL(s->tile_k, (996 + 19) / 20);
	CU_ASSERT(s->work[PASS_FWD].pe.fma < fma2);
	s->r = (struct rect){0, 0, 1, 2};
	map_kernel(&c, s);
	CU_ASSERT_EQUAL(s->work[PASS_FWD].halo_wavelets, 0);
	free(e);
	plan_release(&p);
	graph_release(&g);
	diag_release(&d);
}

/* A 1-D conv stage: cin channels of len positions, cout filters of width
 * k, `groups` groups, after a 1x1 conv (so that its input gradient runs);
 * mapped on w x h (mixed, batch 8). */
struct conv1 {
	struct graph g;
	struct machine m;
	struct plan p;
	struct map_edge *e;
	struct map_ctx c;
};

static void conv1_build(struct conv1 *t, int64_t cin, int64_t len,
			int64_t cout, int64_t k, int64_t groups)
{
	CU_ASSERT_EQUAL_FATAL(pn_machine("mini64", 0, 0, 0, &t->m), 0);
	graph_setup(&t->g, "cnn", "cnn.yaml");
	int64_t dims[2] = {cin, len};
	int x = pn_input(&t->g, "x", 2, dims);
	struct op_attrs a;
	memset(&a, 0, sizeof a);
	a.spatial = 1;
	a.out_channels = cout;
	a.kernel[0] = k;
	a.stride[0] = 1;
	a.dilation[0] = 1;
	a.groups = groups;
	struct op_attrs a0 = a;
	a0.out_channels = cin; /* a 1x1 conv before: gradients flow back */
	a0.kernel[0] = 1;
	a0.groups = 1;
	int y = pn_layer(&t->g, "conv0", OP_CONV, &a0, 1, &x);
	y = pn_layer(&t->g, "conv", OP_CONV, &a, 1, &y);
	pn_layer(&t->g, "r", OP_RELU, NULL, 1, &y);
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(graph_finish(&t->g, &d), 0);
	cost_count(&t->g, OPT_SGD);
	plan_init(&t->p);
	int ne = 0;
	t->e = NULL;
	CU_ASSERT_EQUAL_FATAL(
		map_stages(&t->g, PREC_MIXED, &t->p, &t->e, &ne, &d), 0);
	CU_ASSERT_EQUAL_FATAL(t->p.n_stages, 2);
	CU_ASSERT_EQUAL_FATAL(t->p.stages[1].kind, KERNEL_CONV);
	t->p.stages[1].samples_in_flight = 1;
	t->c = (struct map_ctx){&t->g, &t->m, PREC_MIXED, OPT_SGD,
				MODE_PIPELINED, 8, 0, NULL, 0, NULL,
				PLAN_JOB_TRAIN, 0};
	diag_release(&d);
}

static struct plan_stage *conv1_map(struct conv1 *t, int32_t w, int32_t h)
{
	struct plan_stage *s = &t->p.stages[1];
	s->r = (struct rect){0, 0, w, h};
	map_kernel(&t->c, s);
	return s;
}

static void conv1_release(struct conv1 *t)
{
	free(t->e);
	plan_release(&t->p);
	graph_release(&t->g);
}

/* Rows past one output position per PE split each output's reduction
 * (input channels over row groups, partial sums reduced down the column),
 * and the weight gradient is reduced across the replicas once per step,
 * not per sample. */
static void test_conv_reduction_split(void)
{
	struct conv1 t;
	conv1_build(&t, 16, 100, 2, 5, 1); /* 96 output positions */
	struct plan_stage *s = conv1_map(&t, 48, 4); /* 2 position groups */
	int64_t fma = s->work[PASS_FWD].pe.fma;
	int64_t halo = s->work[PASS_FWD].halo_wavelets;
	cycles_t pace = s->stage_cycles;
	CU_ASSERT_EQUAL(s->tile_k, 1);
	CU_ASSERT_EQUAL(s->work[PASS_FWD].reduce_wavelets, 0);
	/* per sample, the weight gradient stays where it is computed */
	CU_ASSERT_EQUAL(s->work[PASS_BWD_WEIGHT].reduce_wavelets, 0);
	CU_ASSERT(s->work[PASS_UPDATE].reduce_wavelets > 0);
	CU_ASSERT_EQUAL(s->work[PASS_UPDATE].reduce_axis, AXIS_X);
	/* 8 row groups for 2 positions: 4 reduction groups of 4 channels */
	s = conv1_map(&t, 48, 16);
	CU_ASSERT_EQUAL(s->tile_k, 1);
	CU_ASSERT(s->work[PASS_FWD].pe.fma * 4 <= fma + 4);
	CU_ASSERT(s->work[PASS_FWD].halo_wavelets * 4 <= halo + 4);
	CU_ASSERT(s->work[PASS_FWD].reduce_wavelets > 0);
	CU_ASSERT_EQUAL(s->work[PASS_FWD].reduce_axis, AXIS_Y);
	CU_ASSERT(s->stage_cycles < pace);
	/* no more reduction groups than input channels */
	s = conv1_map(&t, 48, 64);
	CU_ASSERT(s->work[PASS_FWD].pe.fma >= 5);
	int32_t mw, mh;
	map_max_shape(&t.c, s, &mw, &mh);
	CU_ASSERT_EQUAL(mh, 64); /* the grid: 2 x 96 x 16 rows useful */
	conv1_release(&t);
}

/* A depthwise conv's row receives only its own channels' inputs, and its
 * input gradient needs no reduction across rows. */
static void test_conv_depthwise_channels(void)
{
	struct conv1 dw, full;
	conv1_build(&dw, 8, 100, 8, 3, 8);
	conv1_build(&full, 8, 100, 8, 3, 1);
	struct plan_stage *a = conv1_map(&dw, 49, 8);
	struct plan_stage *b = conv1_map(&full, 49, 8);
	CU_ASSERT_EQUAL(a->tile_n, 1);
	CU_ASSERT(a->work[PASS_FWD].bcast_wavelets * 4 <=
		  b->work[PASS_FWD].bcast_wavelets);
	CU_ASSERT(a->work[PASS_FWD].halo_wavelets * 4 <=
		  b->work[PASS_FWD].halo_wavelets);
	CU_ASSERT_EQUAL(a->work[PASS_BWD_DATA].reduce_wavelets, 0);
	CU_ASSERT(b->work[PASS_BWD_DATA].reduce_wavelets > 0);
	CU_ASSERT(a->stage_cycles < b->stage_cycles);
	conv1_release(&dw);
	conv1_release(&full);
}

/* A dense layer over M rows per sample (a sequence's tokens): past a
 * small tile, more PEs hold more copies of the weights, each serving its
 * own rows (row groups), so the stage keeps speeding up; the copies'
 * gradients are summed once per step, in the update.  Streaming (the
 * whole wafer, weights streamed in) keeps one copy. */
static void test_gemm_row_groups(void)
{
	struct graph g;
	struct machine m;
	CU_ASSERT_EQUAL_FATAL(pn_machine("mini64", 0, 0, 0, &m), 0);
	graph_setup(&g, "seq", "seq.yaml");
	int64_t dims[2] = {64, 32}; /* M = 64 rows of K = 32 */
	int x = pn_input(&g, "x", 2, dims);
	int y = pn_dense(&g, "fc0", x, 32);
	pn_dense(&g, "fc", y, 16);
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(graph_finish(&g, &d), 0);
	cost_count(&g, OPT_MOMENTUM);
	struct plan p;
	struct map_edge *e;
	int ne;
	stages_of(&g, &p, &d, &e, &ne);
	struct plan_stage *s = &p.stages[1];
	s->samples_in_flight = 1;
	struct map_ctx c = {&g, &m, PREC_MIXED, OPT_MOMENTUM, MODE_PIPELINED,
			    8, 0, "auto", 0, NULL, PLAN_JOB_TRAIN, 0};
	s->r = (struct rect){0, 0, 1, 1}; /* one copy */
	map_kernel(&c, s);
	CU_ASSERT_EQUAL(s->work[PASS_UPDATE].reduce_wavelets, 0);
	int64_t out = s->work[PASS_FWD].out_wavelets;
	s->r = (struct rect){0, 0, 32, 16}; /* one weight per PE, or copies */
	map_kernel(&c, s);
	cycles_t one = s->stage_cycles;
	s->r = (struct rect){0, 0, 64, 64}; /* 8 times the PEs */
	map_kernel(&c, s);
	CU_ASSERT(s->stage_cycles < one);
	/* more than one copy of the 32 x 16 weights on the rectangle */
	CU_ASSERT(s->tile_k * s->tile_n * 64 * 64 >= 2 * 32 * 16);
	CU_ASSERT(map_fits(&c, s, 64, 64));
	CU_ASSERT_EQUAL(s->work[PASS_FWD].out_wavelets, out);
	CU_ASSERT(s->work[PASS_UPDATE].reduce_wavelets > 0);
	CU_ASSERT(s->work[PASS_UPDATE].bcast_wavelets > 0);
	int32_t mw, mh;
	map_max_shape(&c, s, &mw, &mh);
	CU_ASSERT(mw == 64 && mh == 64); /* past K x N: the grid */
	/* the copies recorded; the rows of the other groups pass through
	 * a group's links, and the copies' sum crosses the groups once per
	 * step: both charged beyond a PE's own streams */
	int64_t gx = s->row_groups_x, gy = s->row_groups_y;
	CU_ASSERT(gx * gy >= 2);
	CU_ASSERT_EQUAL(s->tile_k, (32 + 64 / gx - 1) / (64 / gx));
	CU_ASSERT(s->work[PASS_UPDATE].link_wavelets >=
		  s->work[PASS_UPDATE].reduce_wavelets * (64 / gx));
	const struct kernel_work *f = &s->work[PASS_FWD];
	CU_ASSERT(f->link_wavelets >= f->bcast_wavelets * gy);
	CU_ASSERT(f->link_wavelets >= f->reduce_wavelets * gx);
	/* the weight-stationary mapping's fit (kernel NULL, as sizing asks)
	 * agrees */
	struct map_ctx c0 = c;
	c0.kernel = NULL;
	CU_ASSERT(map_fits(&c0, s, 64, 64));
	/* a forced algorithm runs on its own best split, the split and the
	 * algorithm chosen together: never slower than on one copy */
	struct map_ctx cs = c;
	cs.kernel = "summa";
	struct plan_stage s1 = *s;
	map_kernel(&cs, &s1);
	CU_ASSERT_EQUAL(s1.kernel, KERN_SUMMA);
	CU_ASSERT(s1.stage_cycles >= s->stage_cycles);
	c.mode = MODE_STREAMING;
	map_kernel(&c, s);
	CU_ASSERT_EQUAL(s->work[PASS_UPDATE].reduce_wavelets, 0);
	map_max_shape(&c, s, &mw, &mh);
	CU_ASSERT(mw == 32 && mh == 16);
	free(e);
	plan_release(&p);
	graph_release(&g);
	diag_release(&d);
}

static void test_infeasible_reported(void)
{
	/* one dense too big for a 16x16 machine: the error names it */
	struct graph g;
	struct machine m;
	CU_ASSERT_EQUAL_FATAL(pn_machine("mini16", 0, 0, 0, &m), 0);
	build_mlp(&g, 4000, 4000);
	struct plan p;
	plan_init(&p);
	struct diag d;
	diag_init(&d);
	struct plan_opts o;
	plan_opts_init(&o);
	o.mode = MODE_PIPELINED;
	CU_ASSERT_EQUAL(plan_build(&g, &m, &o, &p, &d), WS_EINPUT);
	CU_ASSERT(diag_contains(&d, "pipelined mode does not fit"));
	CU_ASSERT(diag_contains(&d, "'fc1'"));
	/* auto: falls back to weight streaming and says why */
	diag_clear(&d);
	o.mode = MODE_AUTO;
	CU_ASSERT_EQUAL_FATAL(plan_build(&g, &m, &o, &p, &d), 0);
	CU_ASSERT_EQUAL(p.mode, MODE_STREAMING);
	CU_ASSERT(strstr(p.mode_reason, "streaming:") == p.mode_reason);
	CU_ASSERT(strstr(p.mode_reason, "'fc1'") != NULL);
	CU_ASSERT(p.stages[0].stream_bytes > 0);
	CU_ASSERT_EQUAL(plan_check(&p, &m, NULL, &d), 0);
	/* a batch whose activations overflow the whole wafer runs as
	 * micro-batches that fit, and the plan says so */
	plan_release(&p);
	diag_clear(&d);
	o.batch = 1 << 20;
	CU_ASSERT_EQUAL_FATAL(plan_build(&g, &m, &o, &p, &d), 0);
	CU_ASSERT(p.micro_batch >= 1 && p.micro_batch < o.batch);
	CU_ASSERT(strstr(p.micro_reason, "micro-batch") == p.micro_reason);
	for (int i = 0; i < p.n_stages; i++)
		CU_ASSERT(p.stages[i].sram.total <= m.pe.sram_bytes);
	/* twice the micro-batch would not fit: it is the largest */
	plan_release(&p);
	diag_clear(&d);
	int64_t mb = 0;
	{
		struct plan q;
		plan_init(&q);
		CU_ASSERT_EQUAL_FATAL(plan_build(&g, &m, &o, &q, &d), 0);
		mb = q.micro_batch;
		plan_release(&q);
	}
	o.micro_batch = 2 * mb + 2;
	CU_ASSERT_EQUAL(plan_build(&g, &m, &o, &p, &d), WS_EINPUT);
	CU_ASSERT(diag_contains(&d, "streaming mode does not fit"));
	o.micro_batch = 0;
	plan_release(&p);
	graph_release(&g);
	diag_release(&d);
}

/* A shared encoder applied twice (Uno: one drug encoder for both drugs)
 * owns its weights once, but weight streaming brings them in for every
 * application, and a pipelined replica holds its own copy. */
static void test_shared_weights_streamed_per_application(void)
{
	struct graph g;
	struct machine m;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(graph_load("uno", OPT_MOMENTUM, &g, &d), 0);
	CU_ASSERT_EQUAL_FATAL(machine_load("wse2", &m, &d), 0);
	int64_t owned = 0, applied = 0;
	for (int i = 0; i < g.n_layers; i++) {
		const struct layer *L = &g.layers[i];
		owned += L->cost.weight_bytes;
		applied += g.layers[L->param_owner].cost.weight_bytes;
	}
	CU_ASSERT(applied > owned); /* uno shares two encoders */
	struct plan p;
	plan_init(&p);
	struct plan_opts o;
	plan_opts_init(&o);
	o.mode = MODE_STREAMING;
	CU_ASSERT_EQUAL_FATAL(plan_build(&g, &m, &o, &p, &d), 0);
	int64_t streamed = 0;
	for (int s = 0; s < p.n_stages; s++) {
		streamed += p.stages[s].stream_bytes;
		/* a stage applying shared weights streams them too */
		const struct layer *L = &g.layers[p.stages[s].layers[0]];
		if (g.layers[L->param_owner].cost.weight_bytes > 0)
			CU_ASSERT(p.stages[s].stream_bytes > 0);
	}
	/* at the precision the PEs multiply in (fp32 masters stay off) */
	CU_ASSERT_EQUAL(streamed,
			applied / 4 * pe_elem_bytes(p.prec));
	plan_release(&p);
	graph_release(&g);
	diag_release(&d);
}

/* Issue 17: a stage's activations times the samples in flight, and the
 * batch's activations in weight streaming, saturate (ground/checked.h)
 * instead of wrapping to a negative size that "fits" on one PE. */
static void test_batch_products_saturate(void)
{
	struct graph g;
	struct machine m;
	CU_ASSERT_EQUAL_FATAL(pn_machine("mini64", 0, 0, 0, &m), 0);
	build_mlp(&g, INT64_C(1) << 40, 2); /* 4 TB of input per sample */
	struct plan p;
	struct diag d;
	struct map_edge *e;
	int ne;
	stages_of(&g, &p, &d, &e, &ne);
	p.batch = INT64_C(1) << 30;
	struct map_ctx c = {&g, &m, PREC_MIXED, OPT_MOMENTUM, MODE_PIPELINED,
			    p.batch, 0, NULL, 0, NULL, PLAN_JOB_TRAIN, 0};
	CU_ASSERT_EQUAL(map_stream_act_bytes(&c, &p), CK_BATCH_LIMIT);
	struct plan_stage *s = &p.stages[0];
	s->samples_in_flight = INT64_C(1) << 30;
	s->r = (struct rect){0, 0, 1, 1};
	map_kernel(&c, s);
	CU_ASSERT_EQUAL(s->sram.activations, CK_BATCH_LIMIT);
	CU_ASSERT_EQUAL(s->sram.total, CK_BATCH_LIMIT);
	CU_ASSERT_FALSE(map_fits(&c, s, 1, 1));
	free(e);
	plan_release(&p);
	graph_release(&g);
	diag_release(&d);
}

int suite_map(void)
{
	static const struct tu_test tests[] = {
		{"fusion into the producing kernel", test_fusion},
		{"dense tiling, SRAM and minimum PEs", test_dense_tiling},
		{"conv tiling and halo", test_conv_halo},
		{"conv reduction split, gradient once per step",
		 test_conv_reduction_split},
		{"depthwise conv: a row's own channels",
		 test_conv_depthwise_channels},
		{"GEMM row groups past a small tile", test_gemm_row_groups},
		{"infeasible layer reported", test_infeasible_reported},
		{"shared weights streamed per application",
		 test_shared_weights_streamed_per_application},
		{"batch products saturate", test_batch_products_saturate},
		{0, 0}};
	return tu_add_suite("map", tests);
}
