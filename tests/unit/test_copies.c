/*
 * test_copies.c: a stage's sample copies (compiler/plan.h `copies`): the
 * schedule's servers by hand, the plan file's key (round trip, located
 * errors, routes laid again), the engine against the objective, and
 * the copies in the machine-readable outputs (run --json's statistics,
 * the trace directory's stats.json, stages.csv and trace.json).
 */
#include <stdlib.h>
#include <string.h>

#include "compiler/plan_estimate.h"
#include "compiler/plan_io.h"
#include "compiler/plan_sched.h"
#include "place_nets.h"
#include "sim/engine.h"
#include "traces/trace.h"
#include "test_engine_plans.h"
#include "test_util.h"

/* ---- the schedule's servers, by hand ------------------------------- */

static cycles_t hand_send(void *ctx, int ri, uint64_t smp, cycles_t ready)
{
	(void)ctx, (void)ri, (void)smp;
	return ready; /* streams take no time: the stages alone */
}

/* Inference through host -> a -> b -> host: a's forward takes 10 cycles,
 * b's 30; every sample's output leaves at the task's end. */
static void sched_two_stages(const struct machine *m, int copies,
			     int64_t S, cycles_t *out)
{
	struct plan p;
	plan_init(&p);
	p.mode = MODE_PIPELINED;
	p.batch = S;
	p.n_stages = 2;
	p.stages = calloc(2, sizeof(*p.stages));
	p.stages[0].r = (struct rect){0, 0, 4, 4};
	p.stages[1].r = (struct rect){4, 0, 4, 4};
	p.stages[1].copies = copies;
	p.n_routes = 3;
	p.routes = calloc(3, sizeof(*p.routes));
	int ends[3][2] = {{-1, 0}, {0, 1}, {1, -1}};
	for (int i = 0; i < 3; i++)
		p.routes[i] = (struct plan_route){
			.src_stage = ends[i][0], .dst_stage = ends[i][1],
			.pass = PASS_FWD, .multicast_group = -1, .tensor = -1};
	struct plan_sched k;
	plan_sched_init(&k, &p, m, 0, S, 1, S);
	k.sg[0].occ[PASS_FWD] = 10;
	k.sg[1].occ[PASS_FWD] = 30;
	for (int i = 0; i < k.nr; i++)
		k.rt[i].ser = 1;
	plan_sched_wire(&k);
	k.h.send = hand_send;
	plan_sched_run(&k);
	CU_ASSERT_EQUAL(plan_sched_unfinished(&k), -1);
	memcpy(out, k.sample_out, (size_t)S * sizeof(cycles_t));
	plan_sched_release(&k);
	plan_release(&p);
}

/*
 * By hand, L the host's I/O latency (the host's task takes no time: no
 * bytes): sample i leaves the host at L and a at L + 10 (i + 1).  With one
 * copy, b runs them one after another from L + 10, each 30: sample i is
 * done at L + 40 + 30 i.  With two, sample i runs on copy i mod 2: copy 0
 * takes samples 0, 2, 4, ... from L + 10, every 30 cycles; copy 1 samples
 * 1, 3, ... from L + 20: sample i is done at L + 40 + 30 (i / 2) +
 * 10 (i mod 2), the pace per sample 15 (30 / 2), the latency of each
 * still 30.  Then L back to the host.
 */
static void test_sched_by_hand(void)
{
	struct machine m;
	tp_load("mini128", &m);
	cycles_t L = (cycles_t)m.io.latency_cycles;
	enum { S = 8 };
	cycles_t one[S], two[S];
	sched_two_stages(&m, 1, S, one);
	sched_two_stages(&m, 2, S, two);
	for (int i = 0; i < S; i++) {
		CU_ASSERT_EQUAL(one[i], 2 * L + 40 + 30 * (cycles_t)i);
		CU_ASSERT_EQUAL(two[i], 2 * L + 40 + 30 * (cycles_t)(i / 2) +
						10 * (cycles_t)(i % 2));
	}
	/* steady pace: 30 per sample with one copy, 15 with two */
	CU_ASSERT_EQUAL(one[S - 1] - one[1], 30 * (S - 2));
	CU_ASSERT_EQUAL(two[S - 1] - two[1], 15 * (S - 2));
}

/* ---- the plan file ------------------------------------------------- */

/* `text` with `line` inserted after the rect line of stage `name`, and
 * (routes_gone) its routes replaced by 'routes: []'. */
static char *with_line(const char *text, const char *name, const char *line,
		       int routes_gone)
{
	char key[96];
	snprintf(key, sizeof key, "- name: \"%s\"", name);
	const char *s = strstr(text, key);
	const char *e = s ? strchr(strstr(s, "rect: {"), '\n') : NULL;
	if (!e)
		return NULL;
	char *t = xasprintf("%.*s\n    %s%s", (int)(e - text), text, line, e);
	char *cut = routes_gone ? strstr(t, "\nroutes:") : NULL;
	if (cut)
		strcpy(cut, "\nroutes: []\n");
	return t;
}

static int line_at(const char *text, const char *needle)
{
	const char *s = strstr(text, needle);
	int line = 1;
	for (const char *q = text; s && q < s; q++)
		line += *q == '\n';
	return s ? line : -1;
}

struct fix {
	struct graph g;
	struct machine m;
	struct plan p;
	char *text;
	int si; /* a dense stage at least two columns wide */
};

static int fix_setup(struct fix *f)
{
	CU_ASSERT_EQUAL_FATAL(pn_random_graph(&f->g, 4, 4, 16, 64), 0);
	CU_ASSERT_EQUAL_FATAL(pn_machine("mini64", 0, 0, 0, &f->m), 0);
	plan_init(&f->p);
	struct diag d;
	diag_init(&d);
	struct plan_opts o;
	plan_opts_init(&o);
	o.mode = MODE_PIPELINED;
	o.grow = 0; /* no copies offered: the tests give them */
	CU_ASSERT_EQUAL_FATAL(plan_build(&f->g, &f->m, &o, &f->p, &d), 0);
	diag_release(&d);
	f->text = pn_plan_text(&f->p, &f->g);
	f->si = -1;
	for (int i = 0; i < f->p.n_stages && f->si < 0; i++)
		if (f->p.stages[i].kind == KERNEL_DENSE &&
		    f->p.stages[i].r.w >= 2)
			f->si = i;
	CU_ASSERT_FATAL(f->si >= 0);
	return 0;
}

static void fix_release(struct fix *f)
{
	plan_release(&f->p);
	graph_release(&f->g);
	free(f->text);
}

static int load(struct fix *f, const char *text, struct plan *q,
		struct diag *d)
{
	plan_init(q);
	diag_init(d);
	return plan_load_string("c.yaml", text, &f->g, &f->m, q, d);
}

static void test_plan_file(void)
{
	struct fix f;
	fix_setup(&f);
	const char *nm = f.p.stages[f.si].name;
	char *t = with_line(f.text, nm, "copies: 2", 0);
	struct plan q;
	struct diag d;
	CU_ASSERT_EQUAL_FATAL(load(&f, t, &q, &d), 0);
	CU_ASSERT_EQUAL(q.stages[f.si].copies, 2);
	/* one copy's kernel: on half the columns */
	struct rect cr = plan_copy_rect(&q.stages[f.si], 1);
	CU_ASSERT_EQUAL(cr.w, f.p.stages[f.si].r.w / 2);
	CU_ASSERT_EQUAL(cr.x, f.p.stages[f.si].r.x + 1);
	/* written and read again: the same bytes */
	char *w1 = pn_plan_text(&q, &f.g);
	CU_ASSERT_PTR_NOT_NULL(strstr(w1, "copies: 2"));
	struct plan q2;
	struct diag d2;
	CU_ASSERT_EQUAL(load(&f, w1, &q2, &d2), 0);
	char *w2 = pn_plan_text(&q2, &f.g);
	CU_ASSERT_STRING_EQUAL(w1, w2);
	free(w1), free(w2);
	plan_release(&q2), diag_release(&d2);
	plan_release(&q), diag_release(&d);
	free(t);

	/* bad values: located at the key's value */
	const char *bad[] = {"copies: 0", "copies: two", "copies: 17"};
	for (int i = 0; i < 3; i++) {
		t = with_line(f.text, nm, bad[i], 0);
		CU_ASSERT_EQUAL(load(&f, t, &q, &d), WS_EINPUT);
		char loc[64];
		snprintf(loc, sizeof loc, "(c.yaml:%d:13)", line_at(t, bad[i]));
		CU_ASSERT(diag_contains(&d, "stages[].copies"));
		CU_ASSERT(diag_contains(&d, loc));
		plan_release(&q), diag_release(&d);
		free(t);
	}
	/* more copies than columns */
	char many[32];
	snprintf(many, sizeof many, "copies: %d", f.p.stages[f.si].r.w + 1);
	if (f.p.stages[f.si].r.w < PLAN_MAX_COPIES) {
		t = with_line(f.text, nm, many, 1);
		CU_ASSERT_EQUAL(load(&f, t, &q, &d), WS_EINPUT);
		CU_ASSERT(diag_contains(&d, "'copies' must be at most the "
					    "rectangle's width"));
		plan_release(&q), diag_release(&d);
		free(t);
	}
	fix_release(&f);
}

/* Copies whose routes were dropped: every route laid again, and the
 * engine's step within 10% of the objective's. */
static void test_routes_again(void)
{
	struct fix f;
	fix_setup(&f);
	char *t = with_line(f.text, f.p.stages[f.si].name, "copies: 2", 1);
	struct plan q;
	struct diag d;
	int rc = load(&f, t, &q, &d);
	if (rc)
		diag_print(&d, stderr);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(q.n_routes, f.p.n_routes);
	for (int i = 0; i < q.n_routes; i++) {
		CU_ASSERT_EQUAL(q.routes[i].src_stage, f.p.routes[i].src_stage);
		CU_ASSERT_EQUAL(q.routes[i].dst_stage, f.p.routes[i].dst_stage);
	}
	struct engine_opts o;
	engine_opts_init(&o);
	o.job = ENGINE_TRAIN;
	struct stats st;
	stats_init(&st);
	struct diag de;
	diag_init(&de);
	CU_ASSERT_EQUAL_FATAL(engine_run(&q, &f.g, &f.m, &o, &st, &de), 0);
	double sim = (double)st.step_cycles, est = q.est_step_cycles;
	CU_ASSERT(est > 0 && sim > 0);
	CU_ASSERT(est / sim < 1.1 && est / sim > 0.9);
	/* the stage's PEs were busy: every copy's */
	const struct rect *r = &q.stages[f.si].r;
	for (int c = 0; c < 2; c++)
		CU_ASSERT(st.pe_busy_cycles[(int64_t)r->y * f.m.width + r->x + c] >
			  0);
	stats_release(&st);
	diag_release(&de);
	plan_release(&q), diag_release(&d);
	free(t);
	fix_release(&f);
}

/* Stage i's "copies" in a stages[] array of JSON objects, or -1. */
static int json_copies(const json_t *stages, int i)
{
	json_t *v = json_object_get(json_array_get(stages, (size_t)i),
				    "copies");
	return json_is_integer(v) ? (int)json_integer_value(v) : -1;
}

/* `dir`/stats.json with every stage's "copies" removed (a file saved
 * before sample copies), or set to `bad` on stage si (bad > 0). */
static void rewrite_copies(const char *dir, int si, int bad)
{
	char *f = xasprintf("%s/stats.json", dir);
	json_t *root = json_load_file(f, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	json_t *a = json_object_get(root, "stages");
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *s = json_array_get(a, i);
		if (bad > 0 && (int)i == si)
			json_object_set_new(s, "copies", json_integer(bad));
		else if (bad <= 0)
			json_object_del(s, "copies");
	}
	CU_ASSERT_EQUAL(json_dump_file(root, f, JSON_COMPACT), 0);
	json_decref(root);
	free(f);
}

/* A plan with two copies of stage si, run: the statistics (run --json),
 * stats.json and stages.csv of its trace say 2 there and 1 elsewhere;
 * re-rendered from stats.json they say it again, the timeline's track
 * names the copies ("dense x2"); a stats.json saved before copies reads
 * as 1 each, an impossible count is a named error. */
static void test_outputs_say_copies(void)
{
	struct fix f;
	fix_setup(&f);
	char *t = with_line(f.text, f.p.stages[f.si].name, "copies: 2", 0);
	struct plan q;
	struct diag d;
	CU_ASSERT_EQUAL_FATAL(load(&f, t, &q, &d), 0);
	struct engine_opts o;
	engine_opts_init(&o);
	o.job = ENGINE_TRAIN;
	struct stats st;
	stats_init(&st);
	CU_ASSERT_EQUAL_FATAL(engine_run(&q, &f.g, &f.m, &o, &st, &d), 0);
	json_t *js = stats_json(&st);
	json_t *ja = json_object_get(js, "stages");
	CU_ASSERT_EQUAL(json_array_size(ja), (size_t)q.n_stages);
	for (int i = 0; i < q.n_stages; i++)
		CU_ASSERT_EQUAL(json_copies(ja, i), i == f.si ? 2 : 1);
	json_decref(js);

	struct report_in r;
	memset(&r, 0, sizeof r);
	r.p = &q;
	r.g = &f.g;
	r.m = &f.m;
	r.train = &st;
	r.epochs = r.runs = 1;
	struct trace_opts to;
	trace_opts_init(&to);
	to.quiet = 1;
	to.gnuplot = to.graphviz = 0;
	char *dir = tu_temp_dir(), *dir2 = tu_temp_dir();
	CU_ASSERT_EQUAL_FATAL(trace_write(&r, dir, &to, &d), 0);
	CU_ASSERT_EQUAL_FATAL(trace_replot(dir, dir2, &to, &d), 0);
	const char *dirs[2] = {dir, dir2};
	for (int k = 0; k < 2; k++) {
		char *f1 = xasprintf("%s/stats.json", dirs[k]);
		json_t *root = json_load_file(f1, 0, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(root);
		json_t *a = json_object_get(root, "stages");
		for (int i = 0; i < q.n_stages; i++)
			CU_ASSERT_EQUAL(json_copies(a, i), i == f.si ? 2 : 1);
		json_decref(root);
		free(f1);
		/* stages.csv: the column after pes; stage si's row */
		char *f2 = xasprintf("%s/stages.csv", dirs[k]);
		char *csv = tu_read(f2);
		CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
		CU_ASSERT_PTR_NOT_NULL(strstr(csv, ",pes,copies,"));
		const struct rect *rr = &q.stages[f.si].r;
		char row[160];
		snprintf(row, sizeof row, "\n%d,%s,dense,%d,%d,%d,%d,%d,2,",
			 f.si, q.stages[f.si].name, rr->x, rr->y, rr->w, rr->h,
			 rr->w * rr->h);
		CU_ASSERT_PTR_NOT_NULL(strstr(csv, row));
		free(csv);
		free(f2);
		char *f3 = xasprintf("%s/trace.json", dirs[k]);
		char *tj = tu_read(f3);
		snprintf(row, sizeof row, "\"%d %s (dense x2 %dx%d at %d,%d)\"",
			 f.si, q.stages[f.si].name, rr->w, rr->h, rr->x, rr->y);
		CU_ASSERT_PTR_NOT_NULL(tj && strstr(tj, row));
		free(tj);
		free(f3);
	}
	/* saved before copies: every stage one copy (the rows say 1) */
	rewrite_copies(dir2, f.si, 0);
	CU_ASSERT_EQUAL(trace_replot(dir2, dir, &to, &d), 0);
	char *f4 = xasprintf("%s/stats.json", dir);
	json_t *root = json_load_file(f4, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	for (int i = 0; i < q.n_stages; i++)
		CU_ASSERT_EQUAL(json_copies(json_object_get(root, "stages"), i),
				1);
	json_decref(root);
	/* more than a stage may have: refused, named by its path */
	rewrite_copies(dir2, f.si, PLAN_MAX_COPIES + 1);
	CU_ASSERT_EQUAL(trace_replot(dir2, dir2, &to, &d), WS_EINPUT);
	char want[64];
	snprintf(want, sizeof want, "'stages[%d].copies' must be in [1, %d]",
		 f.si, PLAN_MAX_COPIES);
	CU_ASSERT(diag_contains(&d, want));
	free(f4);
	char *cmd = xasprintf("rm -rf '%s' '%s'", dir, dir2);
	CU_ASSERT_EQUAL(system(cmd), 0);
	free(cmd);
	free(dir), free(dir2);
	stats_release(&st);
	plan_release(&q), diag_release(&d);
	free(t);
	fix_release(&f);
}

/* An inference compile (plan_opts.job infer, no rival) of unomt on wse2
 * with and without sample copies: its slowest stages are software per
 * sample (a dense layer of one row: task start, set-up, a program per
 * row), so copies of them raise predictions/s as they shorten a step;
 * the plan keeps them only where its objective (a stream of
 * PLAN_INFER_STREAM, the interval replayed as the engine schedules it)
 * falls, and the engine's interval is then the objective's within 10%
 * (it measures 64 samples, the objective replays the same 64) and
 * shorter than without copies. */
static void test_inference_copies(void)
{
	struct machine m;
	CU_ASSERT_EQUAL_FATAL(pn_machine("wse2", 0, 0, 0, &m), 0);
	double sim[2] = {0, 0};
	for (int c = 0; c < 2; c++) {
		struct graph g;
		struct plan p;
		struct diag d;
		diag_init(&d);
		plan_init(&p);
		CU_ASSERT_EQUAL_FATAL(graph_load("unomt", OPT_MOMENTUM, &g,
						 &d), 0);
		struct plan_opts o;
		plan_opts_init(&o);
		o.job = PLAN_JOB_INFER;
		o.solo = 1;
		o.copies = c;
		CU_ASSERT_EQUAL_FATAL(plan_build(&g, &m, &o, &p, &d), 0);
		CU_ASSERT_EQUAL(p.job, PLAN_JOB_INFER);
		int copied = 0;
		for (int i = 0; i < p.n_stages; i++)
			copied += p.stages[i].copies > 1;
		CU_ASSERT(c ? copied > 0 : copied == 0);
		struct engine_opts eo;
		engine_opts_init(&eo);
		eo.job = ENGINE_INFER;
		struct stats st;
		stats_init(&st);
		CU_ASSERT_EQUAL_FATAL(engine_run(&p, &g, &m, &eo, &st, &d), 0);
		sim[c] = (double)st.infer_interval_cycles;
		double est = p.est_infer_cycles;
		fprintf(stderr, "[unomt infer, copies %s: %d stages copied; "
			"interval estimated %.0f, simulated %.0f cycles]\n",
			c ? "offered" : "off", copied, est, sim[c]);
		CU_ASSERT(sim[c] > 0 && est > 0);
		CU_ASSERT(est / sim[c] < 1.1 && est / sim[c] > 0.9);
		stats_release(&st);
		plan_release(&p);
		graph_release(&g);
		diag_release(&d);
	}
	/* predictions/s rise: the interval falls by a tenth at least */
	CU_ASSERT(sim[1] < 0.9 * sim[0]);
}

int suite_copies(void);
int suite_copies(void)
{
	static const struct tu_test tests[] = {
		{"two copies of a stage: the schedule by hand",
		 test_sched_by_hand},
		{"copies in the plan file: round trip, located errors",
		 test_plan_file},
		{"copies with routes dropped: laid again, run as estimated",
		 test_routes_again},
		{"copies in run --json, stats.json, stages.csv, trace.json",
		 test_outputs_say_copies},
		{"copies in an inference plan: predictions/s rise, as "
		 "estimated",
		 test_inference_copies},
		{0, 0}};
	return tu_add_suite("copies", tests);
}
