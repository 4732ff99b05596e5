/* test_mode.c: the automatic mode keeps, of the two plans the machine
 * can run, the one with the shorter estimated step (compiler/plan_build.c
 * prefer_faster): a pipeline that mostly fills and drains (a 64-stage
 * decoder at batch 4) is streamed, a network whose pipeline stays full
 * (Uno) is pipelined; either way the other mode's estimate is not
 * shorter. */
#include <stdio.h>
#include <string.h>

#include "compiler/place.h"
#include "compiler/plan.h"
#include "test_util.h"

static double est_of(const struct graph *g, const struct machine *m,
		     enum exec_mode mode, int64_t batch, enum exec_mode *got)
{
	struct plan_opts o;
	plan_opts_init(&o);
	o.mode = mode;
	o.batch = batch;
	o.strategy = "strips";
	struct plan p;
	plan_init(&p);
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(plan_build(g, m, &o, &p, &d), 0);
	double t = p.est_step_cycles;
	*got = p.mode;
	if (mode == MODE_AUTO && p.mode == MODE_STREAMING)
		CU_ASSERT_PTR_NOT_NULL(strstr(p.mode_reason, "shorter step"));
	plan_release(&p);
	diag_release(&d);
	return t;
}

static void test_auto_faster(void)
{
	static const struct {
		const char *net;
		int64_t batch;
		enum exec_mode want;
	} cases[] = {
		{"gpt2_small", 4, MODE_STREAMING},
		{"uno", 32, MODE_PIPELINED},
	};
	struct machine m;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(machine_load("wse2", &m, &d), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct graph g;
		CU_ASSERT_EQUAL_FATAL(graph_load(cases[i].net, OPT_MOMENTUM, &g,
						 &d), 0);
		enum exec_mode a, x;
		double ta = est_of(&g, &m, MODE_AUTO, cases[i].batch, &a);
		double tp = est_of(&g, &m, MODE_PIPELINED, cases[i].batch, &x);
		double ts = est_of(&g, &m, MODE_STREAMING, cases[i].batch, &x);
		printf("\n    %s b%lld: pipelined %.0f, streaming %.0f cycles "
		       "estimated; auto %s", cases[i].net,
		       (long long)cases[i].batch, tp, ts, plan_mode_name(a));
		CU_ASSERT_EQUAL(a, cases[i].want);
		CU_ASSERT(ta <= tp && ta <= ts);
		graph_release(&g);
	}
	diag_release(&d);
}

int suite_mode(void);
int suite_mode(void)
{
	static const struct tu_test tests[] = {
		{"auto: the mode with the shorter estimated step",
		 test_auto_faster},
		{0, 0}};
	return tu_add_suite("mode", tests);
}
