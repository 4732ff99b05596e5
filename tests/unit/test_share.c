/* test_share.c: shared weights run in turn (compiler/map_share.h).  One
 * rectangle serves every application of a shared layer (no replica, no
 * sync): the engine runs one task at a time on it and the owner's update
 * waits for every application's gradients; the objective charges the
 * rectangle's summed pace; plan files say `sharing:` per stage; the
 * compiler chooses per stage by the objective. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/graph.h"
#include "compiler/map_share.h"
#include "compiler/place.h"
#include "compiler/plan_io.h"
#include "sim/engine.h"
#include "test_util.h"

struct fix {
	struct machine m;
	struct graph g;
	struct diag d;
};

static int fix_load(struct fix *f, const char *net)
{
	diag_init(&f->d);
	if (machine_load("wse2", &f->m, &f->d) ||
	    graph_load(net, OPT_MOMENTUM, &f->g, &f->d)) {
		diag_print(&f->d, stdout);
		return -1;
	}
	return 0;
}

static void fix_release(struct fix *f)
{
	graph_release(&f->g);
	diag_release(&f->d);
}

static int build(struct fix *f, int sharing, const char *strat,
		 struct plan *p)
{
	struct plan_opts po;
	plan_opts_init(&po);
	po.sharing = sharing;
	po.strategy = strat;
	plan_init(p);
	int rc = plan_build(&f->g, &f->m, &po, p, &f->d);
	if (rc)
		diag_print(&f->d, stdout);
	return rc;
}

/* Simulated training step (2 steps), spans recorded when `spans`. */
static cycles_t step_of(struct fix *f, const struct plan *p, int spans,
			struct stats *st)
{
	struct engine_opts o;
	engine_opts_init(&o);
	o.job = ENGINE_TRAIN;
	o.batch = p->batch;
	o.steps = 2;
	o.max_spans = spans ? 1 << 20 : 0;
	stats_init(st);
	struct diag d;
	diag_init(&d);
	int rc = engine_run(p, &f->g, &f->m, &o, st, &d);
	if (rc)
		diag_print(&d, stdout);
	diag_release(&d);
	return rc ? 0 : st->step_cycles;
}

static int n_kind(const struct plan *p, int kind)
{
	int k = 0;
	for (int i = 0; i < p->n_routes; i++)
		k += p->routes[i].kind == kind;
	return k;
}

/* Time-shared uno: no sync routes, guests on their hosts' rectangles,
 * the pipeline's tasks on a shared rectangle never overlap, both
 * applications run every sample forward and backward, the host updates
 * once per step after its guests' last backward. */
static void test_engine_turns(void)
{
	struct fix f;
	CU_ASSERT_EQUAL_FATAL(fix_load(&f, "uno"), 0);
	struct plan p;
	CU_ASSERT_EQUAL_FATAL(build(&f, PLAN_SHARING_TIME, "pack", &p), 0);
	CU_ASSERT_EQUAL(n_kind(&p, ROUTE_GRAD_SYNC), 0);
	CU_ASSERT_EQUAL(n_kind(&p, ROUTE_WEIGHT_SYNC), 0);
	int guests = 0;
	for (int i = 0; i < p.n_stages; i++)
		if (map_share_guest(&p, i)) {
			guests++;
			CU_ASSERT(!memcmp(&p.stages[i].r,
					  &p.stages[p.stages[i].host].r,
					  sizeof(struct rect)));
			CU_ASSERT_EQUAL(p.stages[i].sram.weights, 0);
		}
	CU_ASSERT_EQUAL(guests, 6); /* uno: two encoders, three layers each */
	struct stats st;
	CU_ASSERT_FATAL(step_of(&f, &p, 1, &st) > 0);
	CU_ASSERT_EQUAL(st.spans_dropped, 0);
	int64_t overlaps = 0, tasks = 0, late_updates = 0;
	for (int64_t a = 0; a < st.n_spans; a++) {
		const struct stats_span *x = &st.spans[a];
		if (x->kind > STATS_SPAN_UPDATE)
			continue;
		if (map_share_guest(&p, x->id))
			tasks++;
		for (int64_t b = a + 1; b < st.n_spans; b++) {
			const struct stats_span *y = &st.spans[b];
			if (y->kind > STATS_SPAN_UPDATE || y->id == x->id ||
			    map_share_root(&p, y->id) !=
				    map_share_root(&p, x->id))
				continue;
			overlaps += x->t0 < y->t1 && y->t0 < x->t1 &&
				    x->t1 > x->t0 && y->t1 > y->t0;
			/* a host's update after its guest's backward of
			 * the same step */
			if (x->kind == STATS_SPAN_UPDATE &&
			    y->kind == STATS_SPAN_BWD &&
			    !map_share_guest(&p, x->id) &&
			    y->sample / p.batch == x->sample)
				late_updates += y->t1 > x->t0;
		}
	}
	/* every guest: 2 steps x batch x (forward + backward) + 2 updates */
	CU_ASSERT_EQUAL(tasks, (int64_t)guests * 2 * (2 * p.batch + 1));
	CU_ASSERT_EQUAL(overlaps, 0);
	CU_ASSERT_EQUAL(late_updates, 0);
	printf("    uno time-shared: %lld guest tasks, step %llu cycles\n",
	       (long long)tasks, (unsigned long long)st.step_cycles);
	stats_release(&st);
	plan_release(&p);
	fix_release(&f);
}

/*
 * Both mappings simulated for uno and combo, placed by the default
 * strategy (auto): the objective within 10% of each simulated step, and
 * auto's choice simulates no slower than the faster of the two (the
 * objective is the engine's schedule replayed, so the choice it makes is
 * the simulated one's).
 */
static void test_both_mappings(void)
{
	static const char *const nets[] = {"uno", "combo"};
	for (size_t i = 0; i < ARRAY_SIZE(nets); i++) {
		struct fix f;
		CU_ASSERT_EQUAL_FATAL(fix_load(&f, nets[i]), 0);
		cycles_t sim[3];
		double est[3];
		static const int how[] = {PLAN_SHARING_REPLICAS,
					  PLAN_SHARING_TIME,
					  PLAN_SHARING_AUTO};
		for (int k = 0; k < 3; k++) {
			struct plan p;
			struct stats st;
			CU_ASSERT_EQUAL_FATAL(build(&f, how[k], NULL, &p), 0);
			sim[k] = step_of(&f, &p, 0, &st);
			est[k] = p.est_step_cycles;
			CU_ASSERT(sim[k] > 0);
			double rel = est[k] / (double)sim[k] - 1;
			CU_ASSERT(rel < 0.10 && rel > -0.10);
			stats_release(&st);
			plan_release(&p);
		}
		printf("    %s: replicas %llu (objective %.0f), "
		       "time-shared %llu (%.0f), auto %llu (%.0f)\n",
		       nets[i], (unsigned long long)sim[0], est[0],
		       (unsigned long long)sim[1], est[1],
		       (unsigned long long)sim[2], est[2]);
		cycles_t best = sim[0] < sim[1] ? sim[0] : sim[1];
		CU_ASSERT(sim[2] <= best);
		fix_release(&f);
	}
}

static char *plan_text(const struct plan *p, const struct graph *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mf = open_memstream(&buf, &len);
	plan_write(p, g, mf);
	fclose(mf);
	return buf;
}

/* Written, read back, written again: the same bytes, the same sharing. */
static void test_round_trip(void)
{
	struct fix f;
	CU_ASSERT_EQUAL_FATAL(fix_load(&f, "combo"), 0);
	struct plan p, q;
	CU_ASSERT_EQUAL_FATAL(build(&f, PLAN_SHARING_AUTO, "pack", &p), 0);
	char *a = plan_text(&p, &f.g);
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "sharing: time_shared"));
	plan_init(&q);
	CU_ASSERT_EQUAL_FATAL(plan_load_string("combo.plan.yaml", a, &f.g,
					       &f.m, &q, &f.d),
			      0);
	for (int i = 0; i < p.n_stages; i++) {
		CU_ASSERT_EQUAL(p.stages[i].sharing, q.stages[i].sharing);
		CU_ASSERT(!map_share_guest(&p, i) ||
			  p.stages[i].host == q.stages[i].host);
	}
	CU_ASSERT_EQUAL(p.n_routes, q.n_routes);
	CU_ASSERT_DOUBLE_EQUAL(p.est_step_cycles, q.est_step_cycles, 1e-6);
	char *b = plan_text(&q, &f.g);
	/* the strategy note is not written; everything else is the same */
	CU_ASSERT_STRING_EQUAL(a, b);
	free(a), free(b);
	plan_release(&p), plan_release(&q);
	fix_release(&f);
}

/* Line (1-based) of the first occurrence of `s` in `text`. */
static int line_of(const char *text, const char *s)
{
	const char *at = strstr(text, s);
	int line = 1;
	for (const char *c = text; at && c < at; c++)
		line += *c == '\n';
	return at ? line : -1;
}

/* `text` with the first `from` replaced by `to` (heap). */
static char *subst(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	size_t n = strlen(text) + strlen(to) + 1;
	char *out = xcalloc(n, 1);
	memcpy(out, text, (size_t)(at - text));
	strcat(out, to);
	strcat(out, at + strlen(from));
	return out;
}

/* Loading `text` fails with a message containing `what` at `line`. */
static void rejects(struct fix *f, const char *text, const char *what,
		    int line)
{
	struct plan q;
	struct diag d;
	plan_init(&q);
	diag_init(&d);
	CU_ASSERT_NOT_EQUAL(plan_load_string("e.plan.yaml", text, &f->g,
					     &f->m, &q, &d),
			    0);
	int hit = 0;
	for (size_t k = 0; k < diag_count(&d); k++)
		hit |= strstr(diag_text(&d, k), what) &&
		       (line < 0 || d.msgs[k].line == line);
	if (!hit)
		diag_print(&d, stdout);
	CU_ASSERT(hit);
	plan_release(&q);
	diag_release(&d);
}

/* Bad `sharing` values and edits, each a located error. */
static void test_bad_sharing(void)
{
	struct fix f;
	CU_ASSERT_EQUAL_FATAL(fix_load(&f, "combo"), 0);
	struct plan p;
	CU_ASSERT_EQUAL_FATAL(build(&f, PLAN_SHARING_REPLICAS, "pack", &p), 0);
	char *a = plan_text(&p, &f.g);
	/* a value that is not one */
	char *t = subst(a, "sharing: replicas", "sharing: twice");
	rejects(&f, t, "'stages[].sharing' must be replicas or time_shared, "
		       "got 'twice'",
		line_of(t, "sharing: twice"));
	free(t);
	/* on a stage that applies nobody's weights */
	t = subst(a, "    kind: dense", "    sharing: time_shared\n    kind: dense");
	rejects(&f, t, "applies no other stage's weights",
		line_of(t, "sharing: time_shared"));
	free(t);
	/* time-shared on its own rectangle: must take its host's */
	t = subst(a, "sharing: replicas", "sharing: time_shared");
	rejects(&f, t, "must have stage", -1);
	free(t);
	free(a);
	plan_release(&p);
	fix_release(&f);
}

/* place --compare --simulate: every strategy's row carries a simulated
 * step and the objective's error against it. */
static void test_compare_simulate(void)
{
	char *out = NULL, *err = NULL;
	CU_ASSERT_EQUAL(tu_run("place p1b2 --machine wse2 --compare --simulate",
			       &out, &err),
			0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "sim us/step"));
	int rows = 0; /* rows ending in the objective's error, "...%" */
	for (const char *l = out; *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		rows += n > 1 && l[n - 1] == '%' && strstr(l, "pipelined") &&
			(size_t)(strstr(l, "pipelined") - l) < n;
		l += n + (e != NULL);
	}
	CU_ASSERT(rows >= 2);
	free(out), free(err);
}

/* --compare --simulate --json: every placed strategy with its rank, the
 * objective's and the simulated step and the error between them. */
static void test_compare_simulate_json(void)
{
	char *out = NULL, *err = NULL;
	CU_ASSERT_EQUAL(tu_run("place p1b2 --machine wse2 --compare --simulate "
			       "--json",
			       &out, &err),
			0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	json_t *a = json_loads(out, 0, NULL);
	CU_ASSERT_FATAL(json_is_array(a));
	CU_ASSERT(json_array_size(a) >= 2);
	size_t i;
	json_t *e;
	json_array_foreach(a, i, e) {
		double est = json_real_value(json_object_get(e, "est_step_us"));
		double sim = json_real_value(json_object_get(e, "sim_step_us"));
		double rel = json_real_value(
			json_object_get(e, "objective_error"));
		CU_ASSERT_EQUAL(json_integer_value(json_object_get(e, "rank")),
				(json_int_t)i + 1);
		CU_ASSERT(est > 0 && sim > 0);
		CU_ASSERT(fabs(est / sim - 1 - rel) < 0.002);
		CU_ASSERT(json_is_array(json_object_get(e, "sharing")));
	}
	json_decref(a);
	free(out), free(err);
}

/* The sharing decision in --json: per applying stage its mapping and
 * where it runs (time-shared: the host) or syncs (replicas: the owner),
 * in `place` and in `run`, as the options ask. */
static void test_json_sharing(void)
{
	const char *cmds[3] = {
		"place uno --machine wse2 --strategy pack --sharing replicas "
		"--json",
		"place uno --machine wse2 --strategy pack --sharing time_shared "
		"--json",
		"run uno --machine wse2 --strategy pack --sharing time_shared "
		"--json"};
	for (int k = 0; k < 3; k++) {
		char *out = NULL, *err = NULL;
		CU_ASSERT_EQUAL(tu_run(cmds[k], &out, &err), 0);
		json_t *o = out ? json_loads(out, 0, NULL) : NULL;
		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		json_t *sh = json_object_get(o, "sharing");
		CU_ASSERT(json_is_array(sh) && json_array_size(sh) == 6);
		size_t i;
		json_t *e;
		json_array_foreach(sh, i, e) {
			const char *m =
				json_string_value(json_object_get(e, "mapping"));
			CU_ASSERT_STRING_EQUAL(m, k ? "time_shared"
						    : "replicas");
			CU_ASSERT_PTR_NOT_NULL(json_object_get(e, k ? "host"
								    : "owner"));
		}
		/* time-shared stages counted once in the PEs used */
		json_t *used = json_object_get(o, "pes_used");
		json_t *tot = json_object_get(o, k == 2 ? "pes" : "pes_total");
		CU_ASSERT(json_integer_value(used) <= json_integer_value(tot));
		json_decref(o);
		free(out), free(err);
	}
}

int suite_share(void);
int suite_share(void)
{
	static const struct tu_test tests[] = {
		{"uno time-shared: one task at a time, updates after guests",
		 test_engine_turns},
		{"uno, combo: both mappings simulated, auto the faster",
		 test_both_mappings},
		{"plan file: sharing written and read back", test_round_trip},
		{"plan file: bad sharing values and edits located",
		 test_bad_sharing},
		{"place --compare --simulate", test_compare_simulate},
		{"place --compare --simulate --json", test_compare_simulate_json},
		{"--json: the sharing decision", test_json_sharing},
		{0, 0}};
	return tu_add_suite("share", tests);
}
