/*
 * test_agree.c: what a user sees of one plan agrees between `place` and
 * `run`: the bottleneck named alike, one figure per thing measured (the
 * host's input, a stage's pace, the bound's floor against it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler/graph.h"
#include "compiler/place.h"
#include "compiler/plan.h"
#include "compiler/size.h"
#include "ground/util.h"
#include "machine/machine.h"
#include "sim/engine.h"
#include "test_util.h"

/* The rest of the line of out that starts with `key`, up to n - 1
 * characters, in buf ("" when absent). */
static const char *line_after(const char *out, const char *key, char *buf,
			      size_t n)
{
	buf[0] = '\0';
	for (const char *p = out; p && *p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, key, strlen(key)) == 0) {
			const char *s = p + strlen(key);
			size_t k = strcspn(s, "\n");
			if (k >= n)
				k = n - 1;
			memcpy(buf, s, k);
			buf[k] = '\0';
			break;
		}
	}
	return buf;
}

/* `place NET OPTS` and `run NET OPTS --job train`: place's bottleneck
 * line names what run's names (the words before run's " (... bound)"),
 * and when that is a stage, with run's cycles per sample of it. */
static void same_bottleneck(const char *net, const char *opts)
{
	char *args = xasprintf("place %s --machine wse2 %s", net, opts);
	char *pout, *rout, *err;
	CU_ASSERT_EQUAL_FATAL(tu_run(args, &pout, &err), 0);
	free(args), free(err);
	args = xasprintf("run %s --machine wse2 %s --job train", net, opts);
	CU_ASSERT_EQUAL_FATAL(tu_run(args, &rout, &err), 0);
	free(args), free(err);
	char pb[256], rb[256], rs[256];
	line_after(pout, "bottleneck: ", pb, sizeof pb);
	line_after(rout, "  bottleneck         ", rb, sizeof rb);
	line_after(rout, "  slowest stage      ", rs, sizeof rs);
	char *cut = strstr(rb, " (");
	if (cut)
		*cut = '\0';
	printf("\n    %s %s: place '%s', run '%s'", net, opts, pb, rb);
	CU_ASSERT(rb[0] != '\0' && strstr(pb, rb) != NULL);
	if (strncmp(rb, "stage '", 7) == 0 && strstr(pb, rb) == pb) {
		/* "stage 'x' (N cycles per sample)" and "'x': N cycles" */
		double a = atof(pb + strlen(rb) + 2);
		const char *c = strstr(rs, "': ");
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CU_ASSERT(a > 0 && a == atof(c + 3));
	}
	free(pout), free(rout);
}

/* p1b1 (its input fed to two stages), nt3 (a stage sets the step),
 * uno (fill and drain, a stage's pace), and host I/O made the
 * bottleneck by a narrow edge. */
static void test_bottleneck_named_alike(void)
{
	same_bottleneck("p1b1", "");
	same_bottleneck("nt3", "");
	same_bottleneck("uno", "");
	same_bottleneck("p1b1", "--set io.bandwidth_gbytes_s=40");
}

/* The figure after "<key> " in out, or -1. */
static double figure_after(const char *out, const char *key)
{
	const char *s = strstr(out, key);
	return s ? atof(s + strlen(key)) : -1;
}

/* net's default plan on wse2. */
static void load(const char *net, struct machine *m, struct graph *g,
		 struct plan *p, struct diag *d)
{
	diag_init(d);
	plan_init(p);
	CU_ASSERT_EQUAL_FATAL(machine_load("wse2", m, d), 0);
	CU_ASSERT_EQUAL_FATAL(graph_load(net, OPT_MOMENTUM, g, d), 0);
	CU_ASSERT_EQUAL_FATAL(plan_build(g, m, NULL, p, d), 0);
}

/* The work-proportional bound's floor of a stage is the fastest it runs
 * on any shape, its own among them: never above its own pace, so never
 * above the plan's (nt3 on wse2: conv2's floor was 23276 on the probed
 * shapes, its pace 23272 on its own 724 x 898). */
static void test_floor_not_above_pace(void)
{
	struct machine m;
	struct graph g;
	struct plan p;
	struct diag d;
	load("nt3", &m, &g, &p, &d);
	struct size_bound b;
	size_bound(&g, &m, &p, "auto", &b);
	CU_ASSERT_FATAL(b.floor_stage >= 0);
	printf("\n    nt3: floor '%s' %.0f, its pace %llu, the plan's %llu",
	       p.stages[b.floor_stage].name, b.floor_cycles,
	       (unsigned long long)p.stages[b.floor_stage].stage_cycles,
	       (unsigned long long)p.bottleneck_cycles);
	CU_ASSERT(b.floor_cycles <=
		  (double)p.stages[b.floor_stage].stage_cycles);
	CU_ASSERT(b.bound_cycles <= (double)p.bottleneck_cycles);
	plan_release(&p);
	graph_release(&g);
	diag_release(&d);
}

/* The host's input per sample: what place prints (plan.
 * host_bytes_per_sample, a multicast tree's tensor once) is what the
 * engine sends through the edge (p1b1's input goes to its first stage
 * and to its loss, as the reconstruction's target: one tree). */
static void test_host_input_once(void)
{
	struct machine m;
	struct graph g;
	struct plan p;
	struct diag d;
	load("p1b1", &m, &g, &p, &d);
	int host_routes = 0;
	for (int i = 0; i < p.n_routes; i++)
		host_routes += p.routes[i].src_stage < 0;
	CU_ASSERT(host_routes >= 2);
	struct engine_opts eo;
	engine_opts_init(&eo);
	eo.job = ENGINE_TRAIN;
	eo.batch = p.batch;
	struct stats st;
	stats_init(&st);
	CU_ASSERT_EQUAL_FATAL(engine_run(&p, &g, &m, &eo, &st, &d), 0);
	printf("\n    p1b1: place %lld B per sample, engine %.0f",
	       (long long)p.host_bytes_per_sample,
	       (double)st.io_in_bytes / (double)st.samples);
	CU_ASSERT_EQUAL(st.io_in_bytes, p.host_bytes_per_sample * st.samples);
	stats_release(&st);
	/* and the analytic figures beside run's count it once too: p1b1's
	 * inference, I/O bound, was estimated at half its simulated rate */
	char *out, *err;
	CU_ASSERT_EQUAL_FATAL(tu_run("run p1b1 --machine wse2 --job infer "
				     "--json", &out, &err), 0);
	double sim = figure_after(out, "\"predictions_per_s\": "),
	       roof = figure_after(out, "\"roofline_predictions_per_s\": ");
	printf("\n    p1b1 inference: simulated %.0f, analytic %.0f "
	       "predictions/s", sim, roof);
	CU_ASSERT(sim > 0 && roof >= 0.9 * sim && roof <= 1.1 * sim);
	free(out), free(err);
	plan_release(&p);
	graph_release(&g);
	diag_release(&d);
}

/* run's step figures say what they are: the last of the steps simulated
 * beside the first, from an idle wafer, never "fill included" as if the
 * first were the longer by construction (every step fills and drains;
 * p1b1 on wse2 printed "253 us (first step 238 us, pipeline fill
 * included)"); one step simulated says so. */
static void test_step_words(void)
{
	char *out, *err;
	CU_ASSERT_EQUAL_FATAL(tu_run("run p1b1 --machine wse2 --steps 2 --job "
				     "train", &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "(the last of 2 steps; the "
					   "first, from an idle wafer, "));
	CU_ASSERT_PTR_NULL(strstr(out, "fill included"));
	free(out), free(err);
	CU_ASSERT_EQUAL_FATAL(tu_run("run p1b1 --machine wse2 --steps 1 --job "
				     "train", &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "(one step, from an idle wafer)"));
	free(out), free(err);
}

/* run --trace DIR makes DIR's missing parents, as plot --out-dir and
 * fabric --sweep --out-dir do, once the work succeeded; a run or sweep
 * that fails leaves none of them (fabric made its folder before the
 * sweep). */
static void test_trace_parents(void)
{
	char *dir = tu_temp_dir();
	char *out, *err;
	char *args = xasprintf("run p1b2 --machine mini16 --steps 1 "
			       "--max-memory 1K --trace %s/a/b/t", dir);
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 1);
	free(args), free(out), free(err);
	char *a = xasprintf("%s/a", dir);
	CU_ASSERT_NOT_EQUAL(access(a, F_OK), 0);
	args = xasprintf("run p1b2 --machine mini16 --steps 1 --trace "
			 "%s/a/b/t", dir);
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
	free(args), free(out), free(err);
	char *t = xasprintf("%s/a/b/t/trace.json", dir);
	CU_ASSERT_EQUAL(access(t, F_OK), 0);
	args = xasprintf("plot %s/a/b/t --out-dir %s/c/d/p --no-gnuplot "
			 "--no-graphviz", dir, dir);
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
	free(args), free(out), free(err);
	free(t);
	t = xasprintf("%s/c/d/p/heat_pe.png", dir);
	CU_ASSERT_EQUAL(access(t, F_OK), 0);
	free(t), free(a);
	args = xasprintf("fabric --machine mini16 --pattern uniform --sweep "
			 "--max-memory 1K --out-dir %s/e/f", dir);
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 1);
	free(args), free(out), free(err);
	a = xasprintf("%s/e", dir);
	CU_ASSERT_NOT_EQUAL(access(a, F_OK), 0);
	free(a);
	tu_rm_rf(dir);
}

/* Predictions/s: run's default job infers on a plan compiled for
 * inference; place's training plan says its own figure is this plan's
 * and where run's comes from, and place --job infer prints run's within
 * 10% (uno on wse2: the training plan 2.21 M, run 4.8 M). */
static void test_predictions_agree(void)
{
	char *pt, *pi, *r, *err;
	CU_ASSERT_EQUAL_FATAL(tu_run("place uno --machine wse2", &pt, &err),
			      0);
	free(err);
	CU_ASSERT_PTR_NOT_NULL(strstr(pt, "predictions/s on this plan ('run' "
					  "infers on a plan compiled for "
					  "inference: place --job infer)"));
	CU_ASSERT_EQUAL_FATAL(tu_run("place uno --machine wse2 --job infer",
				     &pi, &err), 0);
	free(err);
	CU_ASSERT_EQUAL_FATAL(tu_run("run uno --machine wse2 --json", &r,
				     &err), 0);
	free(err);
	const char *e = strstr(pi, "\nestimate: ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	double place = figure_after(strstr(e, "samples/s), "), "samples/s), ");
	double run = figure_after(r, "\"predictions_per_s\": ");
	printf("\n    uno: place --job infer %.0f, run %.0f predictions/s",
	       place, run);
	CU_ASSERT(place > 0 && run > 0 && place <= 1.1 * run &&
		  place >= 0.9 * run);
	free(pt), free(pi), free(r);
}

int suite_agree(void);
int suite_agree(void)
{
	static const struct tu_test tests[] = {
		{"place names the bottleneck as run does",
		 test_bottleneck_named_alike},
		{"the bound's floor is never above the stage's pace",
		 test_floor_not_above_pace},
		{"host input: place's bytes are the engine's",
		 test_host_input_once},
		{"run's step: the last beside the first, from an idle wafer",
		 test_step_words},
		{"run --trace makes missing parents, as plot does",
		 test_trace_parents},
		{"predictions/s: place says whose, --job infer's is run's",
		 test_predictions_agree},
		{0, 0}};
	return tu_add_suite("agree", tests);
}
