/*
 * test_engine_plans.h: hand-built plans for the engine's tests (a chain of
 * dense layers mapped the reference way of compiler/plan.h), so the engine
 * can be tested without the compiler.  Header-only: static functions.
 */
#ifndef WAFERSIM_TEST_ENGINE_PLANS_H
#define WAFERSIM_TEST_ENGINE_PLANS_H

#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "compiler/plan.h"
#include "cores/pe.h"
#include "sim/engine.h"
#include "machine/machine.h"
#include "ground/util.h"

static inline int64_t tp_cdiv(int64_t a, int64_t b)
{
	return (a + b - 1) / b;
}

/* The reference dense mapping of a K x N layer on a w x h rectangle. */
static inline void tp_dense_stage(struct plan_stage *s,
				  const struct machine *m, enum pe_prec prec,
				  int64_t K, int64_t N, int w, int h)
{
	int64_t eb = pe_elem_bytes(prec);
	int64_t ab = prec == PREC_FP16 ? 2 : 4; /* partial sums */
	int64_t tk = tp_cdiv(K, w), tn = tp_cdiv(N, h); /* as plan.h */
	int64_t port = m->pe.sram_port_bits / 8;
	s->kind = KERNEL_DENSE;
	s->tile_k = tk;
	s->tile_n = tn;
	s->r.w = w;
	s->r.h = h;
	struct kernel_work *f = &s->work[PASS_FWD];
	pe_gemv_work(&m->pe, prec, tk, tn, &f->pe);
	f->pe.ew = tn; /* activation of the reduced outputs */
	f->bcast_wavelets = tp_cdiv(tk * eb, 4);
	f->bcast_axis = AXIS_Y;
	f->reduce_wavelets = tp_cdiv(tn * ab, 4);
	f->reduce_axis = AXIS_X;
	f->out_wavelets = tp_cdiv(N * eb, 4);
	struct kernel_work *b = &s->work[PASS_BWD_DATA];
	pe_gemv_work(&m->pe, prec, tn, tk, &b->pe);
	b->pe.ew = tk;
	b->bcast_wavelets = tp_cdiv(tn * eb, 4);
	b->bcast_axis = AXIS_X;
	b->reduce_wavelets = tp_cdiv(tk * ab, 4);
	b->reduce_axis = AXIS_Y;
	b->out_wavelets = tp_cdiv(K * eb, 4);
	struct kernel_work *g = &s->work[PASS_BWD_WEIGHT];
	g->pe.fma = tk * tn;
	g->pe.sram_reads = tp_cdiv(tk * tn * 4, port);
	g->pe.sram_writes = tp_cdiv(tk * tn * 4, port);
	g->pe.tasks = 1;
	struct kernel_work *u = &s->work[PASS_UPDATE];
	u->pe.ew = 2 * tk * tn;
	u->pe.sram_reads = tp_cdiv(tk * tn * (4 + eb), port);
	u->pe.sram_writes = tp_cdiv(tk * tn * eb, port);
	u->pe.tasks = 1;
	s->sram.weights = tk * tn * eb;
	s->sram.grads = tk * tn * 4;
}

static inline void tp_route(struct plan_route *r, int src, int dst,
			    int64_t wavelets, int x0, int y0, int x1, int y1)
{
	r->src_stage = src;
	r->dst_stage = dst;
	r->color = 0;
	r->pass = PASS_FWD;
	r->wavelets_per_sample = wavelets;
	r->multicast_group = -1;
	r->n_points = 3;
	r->points = calloc(3, sizeof(*r->points));
	r->points[0] = (struct plan_point){x0, y0};
	r->points[1] = (struct plan_point){x1, y0};
	r->points[2] = (struct plan_point){x1, y1};
}

/*
 * A chain of n dense layers dims[0] -> dims[1] -> ... -> dims[n], each on a
 * w x h rectangle, left to right then in bands downwards; routes from the
 * west edge to the first stage, between stages, and from the last to the
 * east edge.
 */
static inline void tp_dense_chain(struct plan *p, const struct machine *m,
				  int n, const int64_t *dims, int w, int h,
				  enum pe_prec prec)
{
	memset(p, 0, sizeof(*p));
	p->network = xstrdup("test");
	p->machine = xstrdup(m->name);
	p->strategy = xstrdup("hand");
	p->mode = MODE_PIPELINED;
	p->prec = prec;
	p->batch = 8;
	p->samples_in_flight = 2;
	p->n_stages = n;
	p->stages = calloc((size_t)n, sizeof(*p->stages));
	int per_row = (int)(m->width / w);
	int64_t eb = pe_elem_bytes(prec);
	for (int i = 0; i < n; i++) {
		struct plan_stage *s = &p->stages[i];
		s->name = xasprintf("dense%d", i);
		s->n_layers = 1;
		s->layers[0] = i;
		tp_dense_stage(s, m, prec, dims[i], dims[i + 1], w, h);
		s->r.x = (i % per_row) * w;
		s->r.y = (i / per_row) * h;
	}
	p->n_routes = n + 1;
	p->routes = calloc((size_t)n + 1, sizeof(*p->routes));
	const struct rect *r0 = &p->stages[0].r;
	tp_route(&p->routes[0], -1, 0, tp_cdiv(dims[0] * eb, 4), 0, r0->y,
		 r0->x, r0->y);
	for (int i = 0; i + 1 < n; i++) {
		const struct rect *a = &p->stages[i].r, *b = &p->stages[i + 1].r;
		tp_route(&p->routes[i + 1], i, i + 1,
			 tp_cdiv(dims[i + 1] * eb, 4), a->x + a->w - 1, a->y,
			 b->x, b->y);
	}
	const struct rect *z = &p->stages[n - 1].r;
	tp_route(&p->routes[n], n - 1, -1, tp_cdiv(dims[n] * eb, 4),
		 z->x + z->w - 1, z->y, (int)m->width - 1, z->y);
}

static inline void tp_release(struct plan *p)
{
	for (int i = 0; i < p->n_stages; i++)
		free(p->stages[i].name);
	free(p->stages);
	for (int i = 0; i < p->n_routes; i++)
		free(p->routes[i].points);
	free(p->routes);
	free(p->network);
	free(p->machine);
	free(p->strategy);
	memset(p, 0, sizeof(*p));
}

/* Load a machine preset; the test stops if it does not load. */
static inline void tp_load(const char *name, struct machine *m)
{
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(machine_load(name, m, &d), 0);
	diag_release(&d);
}

/* Run the engine on a plan with default options but the job, inference
 * samples and full mode given; messages are printed on failure. */
static inline int tp_run(const struct plan *p, const struct machine *m,
			 enum engine_job job, int64_t samples, int full,
			 struct stats *st)
{
	struct engine_opts o;
	engine_opts_init(&o);
	o.job = job;
	o.infer_samples = samples;
	o.full = full;
	struct diag d;
	diag_init(&d);
	stats_init(st);
	int rc = engine_run(p, NULL, m, &o, st, &d);
	if (rc)
		diag_print(&d, stderr);
	diag_release(&d);
	return rc;
}

#endif
