/*
 * test_objective.c: the objective's replay of the engine's pipelined
 * schedule (compiler/plan_estimate_replay.c) against the engine itself.
 *
 * The replay runs the engine's dispatch rules on one reference PE per
 * stage, without statistics, so its training step and inference interval
 * must be the engine's to the cycle.  The plans cover what the replay
 * must get right: host back-pressure credits in training (p1b1 with
 * anneal), a stage running forward and backward work in bursts (drugnet
 * with strips), shared-weight syncs and time-shared stages (combo), and
 * bundles contending for links (attn).  If the engine's dispatch changes,
 * this fails: change the replay the same way.
 */
#include <stdio.h>

#include "compiler/graph.h"
#include "compiler/place.h"
#include "compiler/plan_estimate.h"
#include "sim/engine.h"
#include "test_util.h"

/* Simulate plan p as `run --plan` does (job train or infer). */
static int simulate(const struct plan *p, const struct graph *g,
		    const struct machine *m, int train, struct stats *st)
{
	struct engine_opts o;
	engine_opts_init(&o);
	o.job = train ? ENGINE_TRAIN : ENGINE_INFER;
	o.batch = train ? p->batch : 1;
	stats_init(st);
	struct diag d;
	diag_init(&d);
	int rc = engine_run(p, g, m, &o, st, &d);
	if (rc)
		diag_print(&d, stdout);
	diag_release(&d);
	return rc;
}

/* Machine wse2, network net, plan by strategy (replicas: shared weights
 * as replicas, else the default). */
static void load(const char *net, const char *strategy, int replicas,
		 struct machine *m, struct graph *g, struct plan *p,
		 struct diag *d)
{
	diag_init(d);
	plan_init(p);
	CU_ASSERT_EQUAL_FATAL(machine_load("wse2", m, d), 0);
	CU_ASSERT_EQUAL_FATAL(graph_load(net, OPT_MOMENTUM, g, d), 0);
	struct plan_opts po;
	plan_opts_init(&po);
	po.strategy = strategy;
	if (replicas)
		po.sharing = PLAN_SHARING_REPLICAS;
	CU_ASSERT_EQUAL_FATAL(plan_build(g, m, &po, p, d), 0);
}

static void check(const char *net, const char *strategy, const char *sharing)
{
	struct machine m;
	struct graph g;
	struct plan p;
	struct diag d;
	load(net, strategy, sharing != NULL, &m, &g, &p, &d);
	CU_ASSERT_EQUAL(p.mode, MODE_PIPELINED);
	struct stats tr, in;
	CU_ASSERT_EQUAL_FATAL(simulate(&p, &g, &m, 1, &tr), 0);
	CU_ASSERT_EQUAL_FATAL(simulate(&p, &g, &m, 0, &in), 0);
	printf("    %s %s%s: step %.0f / %llu cycles, interval %.0f / %llu "
	       "(objective / engine)\n",
	       net, strategy, sharing ? " replicas" : "", p.est_step_cycles,
	       (unsigned long long)tr.step_cycles, p.est_infer_cycles,
	       (unsigned long long)in.infer_interval_cycles);
	CU_ASSERT_DOUBLE_EQUAL(p.est_step_cycles, (double)tr.step_cycles, 0.5);
	CU_ASSERT_DOUBLE_EQUAL(p.est_infer_cycles,
			       (double)in.infer_interval_cycles, 0.5);
	/* the replay alone, as plan_estimate calls it */
	CU_ASSERT_DOUBLE_EQUAL(plan_replay(&p, &m, 1, p.batch, 2, 0),
			       (double)tr.step_cycles, 0.5);
	stats_release(&tr);
	stats_release(&in);
	plan_release(&p);
	graph_release(&g);
	diag_release(&d);
}

static void test_replay_is_engine(void)
{
	check("p1b1", "anneal", NULL);
	check("drugnet", "strips", NULL);
	check("combo", "pack", NULL);
	check("combo", "strips", "replicas");
	check("attn", "pack", NULL);
}

/* A streaming plan has no pipelined schedule to replay. */
static void test_replay_streaming(void)
{
	struct machine m;
	struct graph g;
	struct plan p;
	struct diag d;
	diag_init(&d);
	plan_init(&p);
	CU_ASSERT_EQUAL_FATAL(machine_load("wse2", &m, &d), 0);
	CU_ASSERT_EQUAL_FATAL(graph_load("tbi3d", OPT_MOMENTUM, &g, &d), 0);
	struct plan_opts po;
	plan_opts_init(&po);
	po.strategy = "pack";
	po.mode = MODE_STREAMING;
	CU_ASSERT_EQUAL_FATAL(plan_build(&g, &m, &po, &p, &d), 0);
	CU_ASSERT_EQUAL(p.mode, MODE_STREAMING);
	CU_ASSERT(plan_replay(&p, &m, 1, p.batch, 2, 0) < 0);
	CU_ASSERT(p.est_step_cycles > 0);
	plan_release(&p);
	graph_release(&g);
	diag_release(&d);
}

/*
 * An inference plan is chosen for what `run` headlines, predictions/s
 * (one over the steady interval), not for the latency of a batch: of
 * every strategy's inference plan of uno on wse2, the one `auto` keeps
 * has the shortest estimated interval (within 5%), and the engine's
 * interval on it is the objective's (within 10%, issue 14).  Ranked by
 * the latency of batch 32 (before), auto kept a plan of 2.79 M
 * predictions/s where strips' gave 3.74 M.
 */
static void test_infer_objective_is_headline(void)
{
	struct machine m;
	struct graph g;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(machine_load("wse2", &m, &d), 0);
	CU_ASSERT_EQUAL_FATAL(graph_load("uno", OPT_MOMENTUM, &g, &d), 0);
	const char *strat[] = {"auto", "pack", "strips", "anneal"};
	double iv[4];
	struct plan kept;
	plan_init(&kept);
	for (int i = 0; i < 4; i++) {
		struct plan_opts po;
		plan_opts_init(&po);
		po.strategy = strat[i];
		po.job = PLAN_JOB_INFER;
		po.solo = 1; /* its own plan, not the training plan's */
		struct plan p;
		plan_init(&p);
		CU_ASSERT_EQUAL_FATAL(plan_build(&g, &m, &po, &p, &d), 0);
		iv[i] = p.est_infer_cycles;
		printf("    uno %s: interval %.0f cycles (objective)\n",
		       strat[i], iv[i]);
		if (i == 0)
			kept = p;
		else
			plan_release(&p);
	}
	for (int i = 1; i < 4; i++)
		CU_ASSERT(iv[0] <= 1.05 * iv[i]);
	struct stats in;
	CU_ASSERT_EQUAL_FATAL(simulate(&kept, &g, &m, 0, &in), 0);
	CU_ASSERT(in.infer_interval_cycles > 0);
	CU_ASSERT(iv[0] <= 1.1 * (double)in.infer_interval_cycles &&
		  iv[0] >= 0.9 * (double)in.infer_interval_cycles);
	stats_release(&in);
	plan_release(&kept);
	graph_release(&g);
	diag_release(&d);
}

int suite_objective(void);
int suite_objective(void)
{
	static const struct tu_test tests[] = {
		{"replay: the engine's step and interval to the cycle",
		 test_replay_is_engine},
		{"replay: none for a streaming plan", test_replay_streaming},
		{"inference: the objective ranks by the headline's interval",
		 test_infer_objective_is_headline},
		{0, 0}};
	return tu_add_suite("objective", tests);
}
