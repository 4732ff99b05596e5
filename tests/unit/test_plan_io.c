/*
 * test_plan_io.c: plans written to YAML and read back; hand edits checked
 * with the plan file's line:col (overlap, out of grid, SRAM overflow,
 * disconnected route, color overflow, unknown stage); the place command.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler/plan_io.h"
#include "place_nets.h"
#include "ground/util.h"
#include "test_util.h"

/* Line (1-based) of the n-th occurrence of `needle` in text. */
static int line_of(const char *text, const char *needle, int nth)
{
	const char *s = text;
	for (int k = 0; k <= nth; k++) {
		s = strstr(s, needle);
		if (!s)
			return -1;
		if (k < nth)
			s++;
	}
	int line = 1;
	for (const char *q = text; q < s; q++)
		line += *q == '\n';
	return line;
}

/* Replace the first "rect: {...}" after stage `name` with `rect`. */
static char *edit_rect(const char *text, const char *name, const char *rect)
{
	char key[96];
	snprintf(key, sizeof key, "- name: \"%s\"", name);
	const char *s = strstr(text, key);
	if (!s)
		return NULL;
	const char *r = strstr(s, "rect: {");
	const char *e = strchr(r, '}');
	return xasprintf("%.*srect: %s%s", (int)(r - text), text, rect, e + 1);
}

struct fixture {
	struct graph g;
	struct machine m;
	struct plan p;
	char *text;
};

static void setup(struct fixture *f)
{
	CU_ASSERT_EQUAL_FATAL(pn_random_graph(&f->g, 4, 4, 16, 64), 0);
	CU_ASSERT_EQUAL_FATAL(pn_machine("mini64", 0, 0, 0, &f->m), 0);
	plan_init(&f->p);
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(plan_build(&f->g, &f->m, NULL, &f->p, &d), 0);
	diag_release(&d);
	f->text = pn_plan_text(&f->p, &f->g);
}

static void teardown(struct fixture *f)
{
	plan_release(&f->p);
	graph_release(&f->g);
	free(f->text);
}

static void test_round_trip(void)
{
	struct fixture f;
	setup(&f);
	struct plan q;
	plan_init(&q);
	struct diag d;
	diag_init(&d);
	int rc = plan_load_string("p.yaml", f.text, &f.g, &f.m, &q, &d);
	CU_ASSERT_EQUAL(rc, 0);
	if (rc)
		diag_print(&d, stderr);
	CU_ASSERT_EQUAL_FATAL(q.n_stages, f.p.n_stages);
	CU_ASSERT_EQUAL_FATAL(q.n_routes, f.p.n_routes);
	for (int i = 0; i < q.n_stages; i++) {
		CU_ASSERT(memcmp(&q.stages[i].r, &f.p.stages[i].r,
				 sizeof(struct rect)) == 0);
		CU_ASSERT_EQUAL(q.stages[i].sram.total,
				f.p.stages[i].sram.total);
		CU_ASSERT_EQUAL(q.stages[i].stage_cycles,
				f.p.stages[i].stage_cycles);
	}
	for (int i = 0; i < q.n_routes; i++) {
		CU_ASSERT_EQUAL(q.routes[i].color, f.p.routes[i].color);
		CU_ASSERT_EQUAL(q.routes[i].n_points, f.p.routes[i].n_points);
		CU_ASSERT_EQUAL(q.routes[i].tensor, f.p.routes[i].tensor);
	}
	CU_ASSERT_EQUAL(q.mode, f.p.mode);
	CU_ASSERT_EQUAL(q.batch, f.p.batch);
	/* written again: the same bytes */
	char *again = pn_plan_text(&q, &f.g);
	CU_ASSERT_STRING_EQUAL(again, f.text);
	free(again);
	plan_release(&q);
	diag_release(&d);
	teardown(&f);
}

/* A random network on mini16 and the options of a streamed plan for it,
 * for `wafers` wafers. */
static void streamed_net(struct graph *g, struct machine *m,
			 struct plan_opts *o, int64_t wafers)
{
	CU_ASSERT_EQUAL_FATAL(pn_random_graph(g, 6, 5, 16, 64), 0);
	CU_ASSERT_EQUAL_FATAL(pn_machine("mini16", 0, 0, 0, m), 0);
	plan_opts_init(o);
	o->mode = MODE_STREAMING;
	o->wafers = wafers;
}

static void test_streaming_round_trip(void)
{
	struct graph g;
	struct machine m;
	struct plan_opts o;
	streamed_net(&g, &m, &o, 1);
	struct plan p, q;
	plan_init(&p);
	plan_init(&q);
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(plan_build(&g, &m, &o, &p, &d), 0);
	char *text = pn_plan_text(&p, &g);
	CU_ASSERT(strstr(text, "mode: streaming") != NULL);
	CU_ASSERT(strstr(text, "stream_bytes: ") != NULL);
	/* the stages share the wafer: overlapping is fine here */
	CU_ASSERT_EQUAL(plan_load_string("s.yaml", text, &g, &m, &q, &d), 0);
	CU_ASSERT_EQUAL(q.mode, MODE_STREAMING);
	char *again = pn_plan_text(&q, &g);
	CU_ASSERT_STRING_EQUAL(again, text);
	free(again);
	free(text);
	plan_release(&p);
	plan_release(&q);
	diag_release(&d);
	graph_release(&g);
}

/* Load `text`; expect failure with `what` at line `line`. */
static void expect_error(struct fixture *f, const char *text, const char *what,
			 int line)
{
	struct plan q;
	plan_init(&q);
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(
		plan_load_string("hand.yaml", text, &f->g, &f->m, &q, &d),
		WS_EINPUT);
	CU_ASSERT(diag_contains(&d, what));
	if (line > 0) {
		char loc[64];
		snprintf(loc, sizeof loc, "(hand.yaml:%d:", line);
		CU_ASSERT(diag_contains(&d, loc));
		if (!diag_contains(&d, loc) || !diag_contains(&d, what)) {
			fprintf(stderr, "expected '%s' at %s, got:\n", what,
				loc);
			diag_print(&d, stderr);
		}
	}
	plan_release(&q);
	diag_release(&d);
}

static void test_hand_edits(void)
{
	struct fixture f;
	setup(&f);
	CU_ASSERT_FATAL(f.p.n_stages >= 3);
	const char *n0 = f.p.stages[0].name, *n1 = f.p.stages[1].name;
	struct rect r0 = f.p.stages[0].r;
	int l1 = line_of(f.text, "rect:", 1); /* stage 1's rect line */
	char buf[128];

	/* overlap: stage 1 on top of stage 0 */
	snprintf(buf, sizeof buf, "{x: %d, y: %d, w: %d, h: %d}", r0.x, r0.y,
		 f.p.stages[1].r.w, f.p.stages[1].r.h);
	char *t = edit_rect(f.text, n1, buf);
	/* routes are kept: strip them so the overlap is the finding */
	char *cut = strstr(t, "\nroutes:");
	strcpy(cut, "\nroutes: []\n");
	expect_error(&f, t, "must not overlap", l1);
	free(t);

	/* out of grid */
	t = edit_rect(f.text, n1, "{x: 60, y: 0, w: 10, h: 2}");
	expect_error(&f, t, "must lie inside the 64x64 grid", l1);
	free(t);

	/* SRAM overflow: the first dense squeezed onto one PE */
	snprintf(buf, sizeof buf, "{x: %d, y: %d, w: 1, h: 1}", r0.x, r0.y);
	t = edit_rect(f.text, n0, buf);
	cut = strstr(t, "\nroutes:");
	strcpy(cut, "\nroutes: []\n");
	int l0 = line_of(f.text, "rect:", 0);
	if (f.p.stages[0].min_pes > 1)
		expect_error(&f, t, "SRAM per PE must be at most", l0);
	free(t);

	/* disconnected: move a stage, keep its routes */
	snprintf(buf, sizeof buf, "{x: %d, y: %d, w: %d, h: %d}", 63, 63, 1, 1);
	int moved = f.p.n_stages - 1; /* the loss: one PE fits it */
	t = edit_rect(f.text, f.p.stages[moved].name, buf);
	struct plan q;
	plan_init(&q);
	struct diag d;
	diag_init(&d);
	int rc = plan_load_string("hand.yaml", t, &f.g, &f.m, &q, &d);
	if (rc)
		CU_ASSERT(diag_contains(&d, "disconnected") ||
			  diag_contains(&d, "must not overlap"));
	plan_release(&q);
	diag_release(&d);
	free(t);
	/* the same with 'routes: []' is routed again and valid */
	t = edit_rect(f.text, f.p.stages[moved].name, buf);
	cut = strstr(t, "\nroutes:");
	strcpy(cut, "\nroutes: []\n");
	diag_init(&d);
	plan_init(&q);
	rc = plan_load_string("hand.yaml", t, &f.g, &f.m, &q, &d);
	if (rc == 0) {
		CU_ASSERT(q.n_routes > 0);
		CU_ASSERT_EQUAL(q.stages[moved].r.x, 63);
	} else {
		CU_ASSERT(diag_contains(&d, "must not overlap"));
	}
	plan_release(&q);
	diag_release(&d);
	free(t);

	/* color overflow on a route */
	int lr = line_of(f.text, "color: ", 0);
	const char *c = strstr(f.text, "color: ");
	t = xasprintf("%.*scolor: 99%s", (int)(c - f.text), f.text,
		      strchr(c, ','));
	expect_error(&f, t, "'route color' must be an integer in [-1, 63]", lr);
	free(t);
	c = strstr(f.text, "color: ");
	t = xasprintf("%.*scolor: 40%s", (int)(c - f.text), f.text,
		      strchr(c, ','));
	expect_error(&f, t, "'color' must be in [4, 23]", lr);
	free(t);

	/* unknown stage, wrong network, YAML syntax */
	char key[96];
	snprintf(key, sizeof key, "name: \"%s\"", n1);
	c = strstr(f.text, key);
	t = xasprintf("%.*sname: \"zzz\"%s", (int)(c - f.text), f.text,
		      c + strlen(key));
	expect_error(&f, t, "'stages[].name' must be a stage of the network",
		     line_of(f.text, key, 0));
	free(t);
	c = strstr(f.text, "network: ");
	t = xasprintf("%.*snetwork: other%s", (int)(c - f.text), f.text,
		      strchr(c, '\n'));
	expect_error(&f, t, "'network' must be 'rnd'",
		     line_of(f.text, "network: ", 0));
	free(t);
	expect_error(&f, "stages: [\n  {a: }\n", "must be valid YAML", 0);
	teardown(&f);
}

static void test_cli(void)
{
	char *dir = tu_temp_dir();
	char *out = NULL, *err = NULL;
	char *args = xasprintf("place uno --machine wse2 --strategy strips -o "
			       "%s/uno.yaml",
			       dir);
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
	CU_ASSERT(strstr(out, "\nbottleneck: ") != NULL);
	CU_ASSERT(strstr(out, "\nslowest stage: '") != NULL);
	CU_ASSERT(strstr(out, "mode: pipelined") != NULL);
	free(args);
	free(out);
	free(err);
	args = xasprintf("place uno --machine wse2 --check %s/uno.yaml", dir);
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
	CU_ASSERT(strstr(out, "plan is valid") != NULL);
	free(args);
	free(out);
	free(err);
	/* the wrong machine for the plan: an error with a location */
	args = xasprintf("place uno --machine mini64 --check %s/uno.yaml", dir);
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 1);
	CU_ASSERT(strstr(err, "'machine' must be 'mini64'") != NULL);
	CU_ASSERT(strstr(err, "uno.yaml:") != NULL);
	free(args);
	free(out);
	free(err);
	CU_ASSERT_EQUAL(
		tu_run("place uno --machine wse2 --compare --time-budget 0.2",
		       &out, &err),
		0);
	int n;
	place_strategies(&n);
	int rows = 0;
	for (const char *s = out; (s = strstr(s, " pipelined ")); s++)
		rows++;
	CU_ASSERT_EQUAL(rows, n);
	CU_ASSERT(strstr(out, "hop-B/sample") != NULL);
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("place uno --machine wse2 --json", &out, &err),
			0);
	CU_ASSERT(strstr(out, "\"bottleneck_cycles\": ") != NULL);
	free(out);
	free(err);
	CU_ASSERT_EQUAL(
		tu_run("place uno --machine wse2 --strategy zz", &out, &err),
		2);
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("place uno --machine mini16 --mode pipelined",
			       &out, &err),
			1);
	CU_ASSERT(strstr(err, "pipelined mode does not fit") != NULL);
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("place --list-strategies", &out, &err), 0);
	CU_ASSERT(strstr(out, "anneal") && strstr(out, "pack") &&
		  strstr(out, "strips"));
	free(out);
	free(err);
	args = xasprintf("rm -rf %s", dir);
	CU_ASSERT_EQUAL(system(args), 0);
	free(args);
	free(dir);
}

/* Plan text with the first `from` replaced by `to` (heap). */
static char *replace_once(const char *text, const char *from, const char *to)
{
	const char *s = strstr(text, from);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return xasprintf("%.*s%s%s", (int)(s - text), text, to,
			 s + strlen(from));
}

/* The wafer count travels in the file: a streamed plan for 2 wafers
 * reads back for 2, its estimate the built one's (the interconnect
 * charged); a caller's other count is an error at the `wafers` line; a
 * file without the key is for 1; a pipelined plan for 2 is refused. */
static void test_wafers(void)
{
	struct graph g;
	struct machine m;
	struct plan_opts o;
	streamed_net(&g, &m, &o, 1);
	struct plan p1, p2, q;
	plan_init(&p1);
	plan_init(&p2);
	plan_init(&q);
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(plan_build(&g, &m, &o, &p1, &d), 0);
	o.wafers = 2;
	CU_ASSERT_EQUAL_FATAL(plan_build(&g, &m, &o, &p2, &d), 0);
	/* else the count would not matter to the estimate */
	CU_ASSERT_FATAL(p2.est_step_cycles != p1.est_step_cycles);
	char *text = pn_plan_text(&p2, &g);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\nwafers: 2\n"));
	char *path = tu_temp_file(".yaml", text);
	CU_ASSERT_EQUAL(plan_load_wafers(path, &g, &m, 0, &q, &d), 0);
	CU_ASSERT_EQUAL(q.wafers, 2);
	CU_ASSERT_DOUBLE_EQUAL(q.est_step_cycles, p2.est_step_cycles, 1e-6);
	CU_ASSERT_EQUAL(plan_load_wafers(path, &g, &m, 2, &q, &d), 0);
	/* --wafers 3 on a plan for 2: located at the key */
	CU_ASSERT_EQUAL(plan_load_wafers(path, &g, &m, 3, &q, &d), WS_EINPUT);
	char at[64];
	snprintf(at, sizeof at, ":%d:", line_of(text, "\nwafers:", 0) + 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(diag_text(&d, 0), "'wafers' must be 3"));
	CU_ASSERT_PTR_NOT_NULL(strstr(diag_text(&d, 0), at));
	diag_clear(&d);
	/* no key: a plan for one wafer (files written before the key) */
	char *one = replace_once(text, "\nwafers: 2\n", "\n");
	CU_ASSERT_EQUAL(plan_load_string("one.yaml", one, &g, &m, &q, &d), 0);
	CU_ASSERT_EQUAL(q.wafers, 1);
	CU_ASSERT_DOUBLE_EQUAL(q.est_step_cycles, p1.est_step_cycles, 1e-6);
	/* the compiler's micro-batch reason survives a round trip, not a
	 * hand edit of micro_batch */
	CU_ASSERT_STRING_EQUAL(q.micro_reason, p1.micro_reason);
	char mb[64];
	snprintf(mb, sizeof mb, "\nmicro_batch: %lld\n",
		 (long long)q.micro_batch);
	long long want = q.micro_batch > 1 ? 1 : (long long)q.batch;
	CU_ASSERT_FATAL(want != q.micro_batch);
	char to[64], says[64];
	snprintf(to, sizeof to, "\nmicro_batch: %lld\n", want);
	snprintf(says, sizeof says, "micro-batch %lld of ", want);
	char *edited = replace_once(one, mb, to);
	CU_ASSERT_EQUAL(plan_load_string("mb.yaml", edited, &g, &m, &q, &d),
			0);
	CU_ASSERT_EQUAL(q.micro_batch, want);
	CU_ASSERT_PTR_NOT_NULL(strstr(q.micro_reason, says));
	CU_ASSERT_PTR_NOT_NULL(strstr(q.micro_reason, "as mb.yaml says"));
	free(edited);
	/* a pipelined plan cannot be for several wafers */
	char *pipe = replace_once(one, "mode: streaming", "mode: pipelined");
	char *pipe2 = replace_once(pipe, "\nbatch:", "\nwafers: 2\nbatch:");
	CU_ASSERT_EQUAL(plan_load_string("pipe.yaml", pipe2, &g, &m, &q, &d),
			WS_EINPUT);
	int found = 0;
	for (size_t i = 0; i < diag_count(&d); i++)
		found |= strstr(diag_text(&d, i), "'wafers' must be 1 in a "
						  "pipelined plan") != NULL;
	CU_ASSERT(found);
	unlink(path);
	free(path);
	free(text);
	free(one);
	free(pipe);
	free(pipe2);
	plan_release(&p1);
	plan_release(&p2);
	plan_release(&q);
	graph_release(&g);
	diag_release(&d);
}

/* `place --wafers` writes the count; `run --plan` takes it, and refuses
 * another --wafers with the plan file's location. */
static void test_wafers_cli(void)
{
	static const struct {
		const char *args; /* %s: the folder */
		int exit, on_err; /* the text to look in: stdout, or stderr */
		const char *want[2];
	} steps[] = {
		{"place nt3 --machine wse2 --mode streaming --batch 64 "
		 "--wafers 2 -o %s/nt3.yaml", 0, 0,
		 {"batch 32 on each of 2 wafers", NULL}},
		{"run nt3 --machine wse2 --plan %s/nt3.yaml --job train", 0, 0,
		 {"2 data-parallel, batch 32 each", NULL}},
		{"place nt3 --machine wse2 --check %s/nt3.yaml --wafers 1", 1,
		 1, {"'wafers' must be 1", "nt3.yaml:"}},
		{"run nt3 --machine wse2 --plan %s/nt3.yaml --job train "
		 "--wafers 3", 1, 1, {"'wafers' must be 3", "nt3.yaml:"}},
		/* --batch over the file: the micro-batch at most the batch,
		 * its reason in numbers */
		{"run nt3 --machine wse2 --plan %s/nt3.yaml --job train "
		 "--batch 2", 0, 0,
		 {"micro-batch 1 of 1 (1 pass", "nt3.yaml says, with --batch"}},
	};
	char *dir = tu_temp_dir();
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		char *out = NULL, *err = NULL;
		char *args = xasprintf(steps[i].args, dir);
		CU_ASSERT_EQUAL(tu_run(args, &out, &err), steps[i].exit);
		for (int k = 0; k < 2 && steps[i].want[k]; k++)
			CU_ASSERT_PTR_NOT_NULL(strstr(steps[i].on_err ? err : out,
						      steps[i].want[k]));
		free(args);
		free(out);
		free(err);
	}
	tu_rm_rf(dir);
}

int suite_plan_io(void)
{
	static const struct tu_test tests[] = {
		{"write, read back, same bytes", test_round_trip},
		{"streaming plan round trip", test_streaming_round_trip},
		{"hand edits reported with line:col", test_hand_edits},
		{"place command", test_cli},
		{"the wafer count in the file", test_wafers},
		{"place --wafers, run --plan: the file's count", test_wafers_cli},
		{0, 0}};
	return tu_add_suite("plan_io", tests);
}
