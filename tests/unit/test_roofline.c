/* test_roofline.c: the analytic bound (sim/engine.h engine_roofline) is a
 * bound: no simulated training step of the zoo is shorter, pipelined or
 * weight-streamed, and neither is a streamed inference's time per
 * prediction. */
#include <stdio.h>
#include <string.h>

#include "compiler/graph.h"
#include "compiler/place.h"
#include "machine/machine.h"
#include "sim/engine.h"
#include "test_util.h"

/* The zoo networks the test simulates both ways (the largest ones, whose
 * plans alone take seconds or which do not fit pipelined, are left to
 * tests/validate). */
static const char *const zoo[] = {
	"attn",	 "bert_base", "combo", "drugnet", "gpt2_small", "mobilenet_v2",
	"nt3",	 "p1b1",      "p1b2",  "p1b3",	  "resnet50",   "st1",
	"tbi3d", "uno",	      "unomt", "vgg16",	  "vit_b16",
};

/* Simulate `job` of p: 0 or -1. */
static int simulate(const struct plan *p, const struct graph *g,
		    const struct machine *m, enum engine_job job,
		    int64_t samples, struct stats *st, struct diag *d)
{
	struct engine_opts o;
	engine_opts_init(&o);
	o.job = job;
	o.batch = p->batch;
	o.infer_samples = samples;
	stats_init(st);
	return engine_run(p, g, m, &o, st, d);
}

/* One network in one mode: the bound against the simulation; the ratio
 * (bound / simulated step) into *ratio. */
static int check_net(const char *net, enum exec_mode mode,
		     const struct machine *m, double *ratio)
{
	struct diag d;
	diag_init(&d);
	struct graph g;
	struct plan p;
	plan_init(&p);
	int rc = graph_load(net, OPT_MOMENTUM, &g, &d);
	struct plan_opts po;
	plan_opts_init(&po);
	po.mode = mode;
	po.strategy = "pack"; /* fast; the bound holds for any layout */
	if (!rc)
		rc = plan_build(&g, m, &po, &p, &d);
	if (rc) {
		diag_print(&d, stdout);
		CU_FAIL("plan");
		goto out;
	}
	struct engine_roofline b;
	int64_t samples = 16;
	engine_roofline_run(&p, m, p.batch, samples, 1, &b);
	struct stats st;
	if (!simulate(&p, &g, m, ENGINE_TRAIN, 0, &st, &d)) {
		*ratio = b.step_cycles / (double)st.step_cycles;
		if (b.step_cycles > (double)st.step_cycles)
			printf("\n    %s %s: bound %.0f > simulated %llu cycles",
			       net, plan_mode_name(st.mode), b.step_cycles,
			       (unsigned long long)st.step_cycles);
		CU_ASSERT(b.step_cycles <= (double)st.step_cycles);
		CU_ASSERT(b.step_cycles > 0);
	} else {
		CU_FAIL("train");
	}
	stats_release(&st);
	if (mode == MODE_STREAMING) {
		CU_ASSERT(b.infer_is_bound);
		if (!simulate(&p, &g, m, ENGINE_INFER, samples, &st, &d)) {
			CU_ASSERT(b.infer_sample_cycles <=
				  (double)st.infer_interval_cycles);
		} else {
			CU_FAIL("infer");
		}
		stats_release(&st);
	} else {
		CU_ASSERT(!b.infer_is_bound);
	}
out:
	plan_release(&p);
	graph_release(&g);
	diag_release(&d);
	return rc;
}

static void test_zoo_bound(void)
{
	struct diag d;
	diag_init(&d);
	struct machine m;
	CU_ASSERT_EQUAL_FATAL(machine_load("wse2", &m, &d), 0);
	double lo[2] = {1e9, 1e9}, hi[2] = {0, 0};
	for (size_t i = 0; i < sizeof(zoo) / sizeof(zoo[0]); i++)
		for (int k = 0; k < 2; k++) {
			double r = 0;
			check_net(zoo[i], k ? MODE_STREAMING : MODE_PIPELINED,
				  &m, &r);
			lo[k] = r < lo[k] ? r : lo[k];
			hi[k] = r > hi[k] ? r : hi[k];
		}
	printf("\n    bound / simulated step on wse2: pipelined %.2f-%.2f, "
	       "streaming %.2f-%.2f ", lo[0], hi[0], lo[1], hi[1]);
	diag_release(&d);
}

/* Several wafers (weight streaming): the bound streams the weights over
 * the interconnect as the engine does (compiler/plan.h plan_stream_link),
 * so with an interconnect slower than the external memory the bound of a
 * weight-bound plan grows with the wafers and is still no longer than
 * the simulated step of each wafer. */
static void test_wafers_bound(void)
{
	struct diag d;
	diag_init(&d);
	struct machine m;
	CU_ASSERT_EQUAL_FATAL(machine_load("mini64", &m, &d), 0);
	m.interconnect.bandwidth_gbytes_s = m.extmem.bandwidth_gbytes_s / 4;
	struct graph g;
	CU_ASSERT_EQUAL_FATAL(graph_load("p1b2", OPT_MOMENTUM, &g, &d), 0);
	struct plan p;
	plan_init(&p);
	struct plan_opts po;
	plan_opts_init(&po);
	po.mode = MODE_STREAMING;
	po.strategy = "pack";
	po.batch = 32;
	po.wafers = 2;
	CU_ASSERT_EQUAL_FATAL(plan_build(&g, &m, &po, &p, &d), 0);
	struct engine_roofline b1, b2;
	engine_roofline_run(&p, &m, p.batch, 0, 1, &b1);
	engine_roofline_run(&p, &m, p.batch, 0, 2, &b2);
	struct engine_opts o;
	engine_opts_init(&o);
	o.job = ENGINE_TRAIN;
	o.batch = p.batch;
	o.wafers = 2;
	struct stats st;
	stats_init(&st);
	CU_ASSERT_EQUAL_FATAL(engine_run(&p, &g, &m, &o, &st, &d), 0);
	printf("\n    p1b2 b32 per wafer, interconnect at 1/4 of the memory: "
	       "bound %.0f cycles on 1 wafer, %.0f on 2, simulated %llu on 2",
	       b1.step_cycles, b2.step_cycles,
	       (unsigned long long)st.step_cycles);
	CU_ASSERT(b2.step_cycles > 2 * b1.step_cycles);
	CU_ASSERT(b2.step_cycles <= (double)st.step_cycles);
	stats_release(&st);
	plan_release(&p);
	graph_release(&g);
	diag_release(&d);
}

int suite_roofline(void);
int suite_roofline(void)
{
	static const struct tu_test tests[] = {
		{"the analytic bound is a bound across the zoo", test_zoo_bound},
		{"with several wafers the bound streams over the interconnect",
		 test_wafers_bound},
		{0, 0}};
	return tu_add_suite("roofline", tests);
}
