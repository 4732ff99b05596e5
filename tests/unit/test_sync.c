/* test_sync.c: shared weights in pipelined mode.  A stage holding a replica
 * of another stage's weights (graph.h param_owner) sends its weight
 * gradients to the owner once per step and gets the updated weights back
 * (plan ROUTE_GRAD_SYNC / ROUTE_WEIGHT_SYNC, compiler/plan_build.c; engine:
 * the owner's update waits for the gradients, the replica's for the
 * weights).  Uno on wse2 (its drug-descriptor and fingerprint encoders are
 * applied twice), p1b2 (no shared weights). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/graph.h"
#include "compiler/place.h"
#include "compiler/plan_io.h"
#include "fabric/timing.h"
#include "sim/engine.h"
#include "test_util.h"

struct fixture {
	struct machine m;
	struct graph g;
	struct plan p;
	struct diag d;
};

static int fixture_load(struct fixture *f, const char *net, const char *mach)
{
	diag_init(&f->d);
	plan_init(&f->p);
	if (machine_load(mach, &f->m, &f->d) ||
	    graph_load(net, OPT_MOMENTUM, &f->g, &f->d)) {
		diag_print(&f->d, stdout);
		return -1;
	}
	struct plan_opts po;
	plan_opts_init(&po);
	/* the syncs under test: replicas (test_share.c has time-sharing) */
	po.sharing = PLAN_SHARING_REPLICAS;
	if (plan_build(&f->g, &f->m, &po, &f->p, &f->d)) {
		diag_print(&f->d, stdout);
		return -1;
	}
	return 0;
}

static void fixture_release(struct fixture *f)
{
	plan_release(&f->p);
	graph_release(&f->g);
	diag_release(&f->d);
}

static int n_sync(const struct plan *p)
{
	int k = 0;
	for (int i = 0; i < p->n_routes; i++)
		k += p->routes[i].kind != ROUTE_SAMPLE;
	return k;
}

static int run(const struct fixture *f, const struct plan *p, int steps,
	       struct stats *st)
{
	struct engine_opts o;
	engine_opts_init(&o);
	o.job = ENGINE_TRAIN;
	o.batch = p->batch;
	o.steps = steps;
	stats_init(st);
	struct diag d;
	diag_init(&d);
	int rc = engine_run(p, &f->g, &f->m, &o, st, &d);
	if (rc)
		diag_print(&d, stdout);
	diag_release(&d);
	return rc;
}

/* The plan: one gradient and one weight route per (replica, owner) pair,
 * bytes from the owner's parameters (fp32 gradients, weights at the
 * plan's precision). */
static void test_uno_plan(void)
{
	struct fixture f;
	CU_ASSERT_EQUAL_FATAL(fixture_load(&f, "uno", "wse2"), 0);
	CU_ASSERT_FATAL(n_sync(&f.p) > 0);
	CU_ASSERT_EQUAL(n_sync(&f.p) % 2, 0);
	int64_t wb = f.p.prec == PREC_FP32 ? 4 : 2;
	for (int i = 0; i < f.p.n_routes; i++) {
		const struct plan_route *r = &f.p.routes[i];
		if (r->kind != ROUTE_GRAD_SYNC)
			continue;
		/* parameters of the owner layers applied again in src */
		int64_t params = 0;
		const struct plan_stage *rs = &f.p.stages[r->src_stage];
		const struct plan_stage *os = &f.p.stages[r->dst_stage];
		for (int k = 0; k < rs->n_layers; k++) {
			int ow = f.g.layers[rs->layers[k]].param_owner;
			for (int j = 0; j < os->n_layers; j++)
				if (os->layers[j] == ow && ow != rs->layers[k])
					params += f.g.layers[ow].cost.params;
		}
		CU_ASSERT(params > 0);
		CU_ASSERT_EQUAL(r->bytes_per_step, 4 * params);
		CU_ASSERT_EQUAL(r->wavelets_per_sample, 0);
		int back = 0;
		for (int j = 0; j < f.p.n_routes; j++) {
			const struct plan_route *q = &f.p.routes[j];
			if (q->kind == ROUTE_WEIGHT_SYNC &&
			    q->src_stage == r->dst_stage &&
			    q->dst_stage == r->src_stage) {
				back++;
				CU_ASSERT_EQUAL(q->bytes_per_step, wb * params);
			}
		}
		CU_ASSERT_EQUAL(back, 1);
	}
	/* YAML round trip keeps them; plan_check accepts them */
	char *buf = NULL;
	size_t len = 0;
	FILE *mf = open_memstream(&buf, &len);
	plan_write(&f.p, &f.g, mf);
	fclose(mf);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "kind: grad_sync"));
	struct plan q;
	plan_init(&q);
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(plan_load_string("uno.yaml", buf, &f.g, &f.m, &q, &d), 0);
	CU_ASSERT_EQUAL(plan_check(&q, &f.m, "uno.yaml", &d), 0);
	diag_print(&d, stdout);
	CU_ASSERT_EQUAL(q.n_routes, f.p.n_routes);
	for (int i = 0; i < q.n_routes && i < f.p.n_routes; i++) {
		CU_ASSERT_EQUAL(q.routes[i].kind, f.p.routes[i].kind);
		CU_ASSERT_EQUAL(q.routes[i].bytes_per_step,
				f.p.routes[i].bytes_per_step);
	}
	/* a hand edit that zeroes one's bytes cannot under-report: the
	 * bytes are recomputed from the graph when the plan is read */
	char *bad = strstr(buf, "bytes_per_step: ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
	bad += strlen("bytes_per_step: ");
	/* "0" padded with blanks: 000000 is refused (a leading zero) */
	for (char *z = bad; *z >= '0' && *z <= '9'; z++)
		*z = z == bad ? '0' : ' ';
	diag_release(&d);
	diag_init(&d);
	plan_release(&q);
	CU_ASSERT_EQUAL(plan_load_string("uno.yaml", buf, &f.g, &f.m, &q, &d),
			0);
	CU_ASSERT_EQUAL(q.n_routes, f.p.n_routes);
	for (int i = 0; i < q.n_routes && i < f.p.n_routes; i++)
		CU_ASSERT_EQUAL(q.routes[i].bytes_per_step,
				f.p.routes[i].bytes_per_step);
	plan_release(&q);
	diag_release(&d);
	free(buf);
	fixture_release(&f);
}

/*
 * The engine.  Lower bound on the first step (one step simulated), for
 * the pair (R replica, O owner) with the longest gradient stream: R's
 * gradients leave when R's last backward of the step ends (t_R), take at
 * least their serialisation ser_g = ceil(wavelets / lanes) to reach O,
 * O updates, and the weights take at least ser_w to come back before R
 * takes them in (its update), which ends the step.  Without the sync the
 * same run reaches t_R no later (sync streams only add link reservations)
 * and R updates at once: t_R = R's last cycle - its update's occupancy.
 * So   step_sync >= t_R(no sync) + ser_g + ser_w,
 * i.e. the step grows by at least ser_g + ser_w minus what overlaps it
 * without the sync (the slack from t_R to the step's end).
 */
static void test_uno_step(void)
{
	struct fixture f;
	CU_ASSERT_EQUAL_FATAL(fixture_load(&f, "uno", "wse2"), 0);
	int nr = f.p.n_routes, ns = nr - n_sync(&f.p);
	/* sync routes come last: the plan without them */
	for (int i = 0; i < nr; i++)
		CU_ASSERT_EQUAL_FATAL(f.p.routes[i].kind != ROUTE_SAMPLE,
				      i >= ns);
	struct stats with1, with2, wo1, wo2;
	CU_ASSERT_EQUAL_FATAL(run(&f, &f.p, 1, &with1), 0);
	CU_ASSERT_EQUAL_FATAL(run(&f, &f.p, 2, &with2), 0);
	struct engine_roofline rw, ro;
	engine_roofline(&f.p, &f.m, f.p.batch, &rw);
	f.p.n_routes = ns;
	CU_ASSERT_EQUAL_FATAL(run(&f, &f.p, 1, &wo1), 0);
	CU_ASSERT_EQUAL_FATAL(run(&f, &f.p, 2, &wo2), 0);
	engine_roofline(&f.p, &f.m, f.p.batch, &ro);
	f.p.n_routes = nr;
	int best = -1;
	for (int i = ns; i < nr; i++)
		if (f.p.routes[i].kind == ROUTE_GRAD_SYNC &&
		    (best < 0 || with1.routes[i].occ_cycles >
					 with1.routes[best].occ_cycles))
			best = i;
	CU_ASSERT_FATAL(best >= 0);
	int R = f.p.routes[best].src_stage, O = f.p.routes[best].dst_stage;
	cycles_t ser_w = 0;
	for (int i = ns; i < nr; i++)
		if (f.p.routes[i].kind == ROUTE_WEIGHT_SYNC &&
		    f.p.routes[i].src_stage == O && f.p.routes[i].dst_stage == R)
			ser_w = with1.routes[i].occ_cycles;
	const struct stats_route *g = &with1.routes[best];
	int64_t wav = fabric_wavelets(&f.m.fabric, f.p.routes[best].bytes_per_step);
	CU_ASSERT(g->lanes >= 1);
	CU_ASSERT_EQUAL(g->occ_cycles, (cycles_t)((wav + g->lanes - 1) / g->lanes));
	/* sent once per step, every wavelet */
	CU_ASSERT_EQUAL(g->wavelets, wav);
	CU_ASSERT_EQUAL(with2.routes[best].wavelets, 2 * wav);
	cycles_t t_r = wo1.stages[R].last_cycle - wo1.stages[R].occ_cycles[PASS_UPDATE];
	cycles_t bound = t_r + g->occ_cycles + ser_w;
	printf("\n    uno/wse2: grad sync '%s' -> '%s' %lld B over %lld lanes = "
	       "%llu cycles, weights back %llu; first step %llu -> %llu "
	       "(bound %llu: t_R %llu + ser_g + ser_w); steady step %llu -> "
	       "%llu\n",
	       f.p.stages[R].name, f.p.stages[O].name,
	       (long long)f.p.routes[best].bytes_per_step, (long long)g->lanes,
	       (unsigned long long)g->occ_cycles, (unsigned long long)ser_w,
	       (unsigned long long)wo1.step_first_cycles,
	       (unsigned long long)with1.step_first_cycles,
	       (unsigned long long)bound, (unsigned long long)t_r,
	       (unsigned long long)wo2.step_cycles,
	       (unsigned long long)with2.step_cycles);
	CU_ASSERT(with1.step_first_cycles >= bound);
	/* the analytic bound holds the replica's round (zero-load) */
	CU_ASSERT(rw.step_cycles >= (double)(g->occ_cycles + ser_w) - 1e-6);
	CU_ASSERT(rw.step_cycles >= ro.step_cycles);
	CU_ASSERT(rw.step_cycles <= (double)with2.step_cycles);
	CU_ASSERT(with1.step_first_cycles > wo1.step_first_cycles);
	CU_ASSERT(with2.step_cycles > wo2.step_cycles);
	/* the steady step holds the replica's round: its forward and
	 * backward of the batch plus both streams */
	CU_ASSERT(with2.step_cycles >= g->occ_cycles + ser_w);
	stats_release(&with1);
	stats_release(&with2);
	stats_release(&wo1);
	stats_release(&wo2);
	fixture_release(&f);
}

/* No shared weights: no sync routes, nothing in the plan file or the
 * report that was not there before. */
static void test_p1b2_unchanged(void)
{
	struct fixture f;
	CU_ASSERT_EQUAL_FATAL(fixture_load(&f, "p1b2", "wse2"), 0);
	CU_ASSERT_EQUAL(n_sync(&f.p), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *mf = open_memstream(&buf, &len);
	plan_write(&f.p, &f.g, mf);
	fclose(mf);
	CU_ASSERT_PTR_NULL(strstr(buf, "_sync"));
	CU_ASSERT_PTR_NULL(strstr(buf, "bytes_per_step"));
	free(buf);
	char *out = NULL, *err = NULL;
	CU_ASSERT_EQUAL(tu_run("run p1b2 --machine wse2 --json", &out, &err), 0);
	CU_ASSERT_PTR_NULL(strstr(out, "sync_"));
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("run p1b2 --machine wse2", &out, &err), 0);
	CU_ASSERT_PTR_NULL(strstr(out, "shared weights"));
	free(out);
	free(err);
	fixture_release(&f);
}

/* Deterministic: two runs, same bytes; the report names the sync. */
static void test_uno_repeat(void)
{
	char *a = NULL, *b = NULL, *e1 = NULL, *e2 = NULL;
	CU_ASSERT_EQUAL(tu_run("run uno --machine wse2 --sharing replicas "
			       "--json", &a, &e1), 0);
	CU_ASSERT_EQUAL(tu_run("run uno --machine wse2 --sharing replicas "
			       "--json", &b, &e2), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_STRING_EQUAL(a, b);
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"sync_grad_bytes_per_step\""));
	free(a), free(b), free(e1), free(e2);
	CU_ASSERT_EQUAL(tu_run("run uno --machine wse2 --sharing replicas", &a,
			       &e1), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(a, "  shared weights "));
	free(a), free(e1);
}

/* Text of a plan, with every line containing `drop` removed (NULL: none)
 * and, when `routes_empty`, its routes replaced by "routes: []". */
static char *edited(const struct plan *p, const struct graph *g,
		    const char *drop, int routes_empty)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mf = open_memstream(&buf, &len);
	plan_write(p, g, mf);
	fclose(mf);
	char *out = xcalloc(len + 16, 1), *o = out;
	for (char *s = buf; *s;) {
		char *e = strchr(s, '\n');
		size_t n = e ? (size_t)(e - s + 1) : strlen(s);
		if (routes_empty && strncmp(s, "routes:", 7) == 0) {
			o += sprintf(o, "routes: []\n");
			break;
		}
		char keep = s[n - 1];
		s[n - 1] = 0;
		int hit = drop && strstr(s, drop);
		s[n - 1] = keep;
		if (!hit) {
			memcpy(o, s, n);
			o += n;
		}
		s += n;
	}
	free(buf);
	return out;
}

static cycles_t load_and_step(const struct fixture *f, const char *text,
			      struct plan *q, struct diag *d)
{
	plan_init(q);
	if (plan_load_string("uno.plan.yaml", text, &f->g, &f->m, q, d))
		return 0;
	struct stats st;
	cycles_t step = run(f, q, 2, &st) ? 0 : st.step_cycles;
	stats_release(&st);
	return step;
}

/* The fixture on uno (replicas) and its plan's simulated step (two
 * steps, the last's); 0 when it does not run. */
static cycles_t uno_base(struct fixture *f)
{
	CU_ASSERT_EQUAL_FATAL(fixture_load(f, "uno", "wse2"), 0);
	struct stats st;
	cycles_t step = run(f, &f->p, 2, &st) ? 0 : st.step_cycles;
	stats_release(&st);
	CU_ASSERT(step > 0);
	return step;
}

/*
 * Plans that cannot lie: `routes: []` lays every route again, sync routes
 * included; dropped sync routes are laid again; a dropped sample route is
 * an error at the file's 'routes' line; a stage moved (shrunk) with its
 * routes re-laid runs with every route.  None simulates a shorter step
 * than the plan it came from with its own routes.
 */
static void test_plan_edits(void)
{
	struct fixture f;
	cycles_t base = uno_base(&f);
	const char *cases[2][2] = {{NULL, "[]"}, {"_sync, bytes", NULL}};
	for (int k = 0; k < 2; k++) {
		char *text = edited(&f.p, &f.g, cases[k][0], cases[k][1] != NULL);
		struct plan q;
		struct diag d;
		diag_init(&d);
		cycles_t step = load_and_step(&f, text, &q, &d);
		diag_print(&d, stdout);
		CU_ASSERT_EQUAL(diag_count(&d), 0);
		CU_ASSERT_EQUAL(q.n_routes, f.p.n_routes);
		CU_ASSERT_EQUAL(n_sync(&q), n_sync(&f.p));
		CU_ASSERT(step >= base);
		printf("    edit %d: %d routes (%d sync), step %llu (was %llu)\n",
		       k, q.n_routes, n_sync(&q), (unsigned long long)step,
		       (unsigned long long)base);
		plan_release(&q);
		diag_release(&d);
		free(text);
	}
	/* one sample route dropped: rejected at the 'routes' line */
	char *text = edited(&f.p, &f.g, "pass: bwd_data", 0);
	struct plan q;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(load_and_step(&f, text, &q, &d), 0);
	CU_ASSERT(diag_count(&d) > 0);
	int line = 1;
	for (const char *s = text; s < strstr(text, "\nroutes:"); s++)
		line += *s == '\n';
	/* the routes list starts on the line after "routes:" */
	CU_ASSERT(d.n > 0 && d.msgs[0].line == line + 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(diag_text(&d, 0), "must be in 'routes'"));
	plan_release(&q);
	diag_release(&d);
	free(text);
	fixture_release(&f);
}

/* The text with stage `name`'s rect replaced by `r` (and its routes by
 * "routes: []" when `reroute`); the 1-based line of the rect in *line. */
static char *moved(const struct plan *p, const struct graph *g,
		   const char *name, struct rect r, int reroute, int *line)
{
	char *t = edited(p, g, NULL, reroute);
	char key[160];
	snprintf(key, sizeof key, "name: \"%s\"\n", name);
	char *at = strstr(t, key), *rl = at ? strstr(at, "rect: {") : NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(rl);
	char *eol = strchr(rl, '\n');
	char repl[96];
	int n = snprintf(repl, sizeof repl, "rect: {x: %d, y: %d, w: %d, h: %d}",
			 r.x, r.y, r.w, r.h);
	char *out = xcalloc(strlen(t) + (size_t)n + 1, 1);
	memcpy(out, t, (size_t)(rl - t));
	strcat(out, repl);
	strcat(out, eol);
	*line = 1;
	for (const char *s = t; s < rl; s++)
		*line += *s == '\n';
	free(t);
	return out;
}

/* A free w x h place on p's grid as far as can be from (x0, y0). */
static int far_free(const struct plan *p, int32_t w, int32_t h, int32_t x0,
		    int32_t y0, struct rect *out)
{
	int64_t best = -1;
	for (int32_t y = 0; y + h <= p->grid_h; y += h) {
		for (int32_t x = 0; x + w <= p->grid_w; x += w) {
			struct rect c = {x, y, w, h};
			int clash = 0;
			for (int i = 0; i < p->n_stages && !clash; i++)
				clash = place_overlap(&c, &p->stages[i].r);
			int64_t d = llabs((long long)x - x0) +
				    llabs((long long)y - y0);
			if (!clash && d > best) {
				best = d;
				*out = c;
			}
		}
	}
	return best >= 0;
}

/*
 * Plans that cannot lie, moved stages: the last stage moved to the free
 * place farthest from it is, with its old routes, rejected at a route's
 * line (they no longer reach it); with `routes: []`, routed again with
 * every route (sync included) and simulated no faster than where the
 * compiler put it (its routes only got longer).  Moved onto another
 * stage, or partly off the grid, it is rejected at its rect's line and
 * column.
 */
static void test_plan_moves(void)
{
	struct fixture f;
	cycles_t base = uno_base(&f);
	const struct plan_stage *s = &f.p.stages[f.p.n_stages - 1];
	struct rect far;
	CU_ASSERT_FATAL(far_free(&f.p, s->r.w, s->r.h, s->r.x, s->r.y, &far));
	const struct rect *other = &f.p.stages[0].r;
	struct rect cases[4] = {
		far, far, /* with its routes, then routed again */
		{other->x, other->y, s->r.w, s->r.h}, /* onto stage 0 */
		{(int32_t)f.p.grid_w - s->r.w / 2 - 1, s->r.y, s->r.w + 1,
		 s->r.h}, /* past the east edge */
	};
	for (int k = 0; k < 4; k++) {
		int line;
		char *text = moved(&f.p, &f.g, s->name, cases[k], k == 1, &line);
		struct plan q;
		struct diag d;
		diag_init(&d);
		cycles_t step = load_and_step(&f, text, &q, &d);
		if (k == 1) {
			diag_print(&d, stdout);
			CU_ASSERT_EQUAL(diag_count(&d), 0);
			CU_ASSERT_EQUAL(q.n_routes, f.p.n_routes);
			CU_ASSERT_EQUAL(n_sync(&q), n_sync(&f.p));
			CU_ASSERT(step >= base);
			printf("    '%s' moved to %d,%d: %d routes, step %llu "
			       "(was %llu)\n",
			       s->name, far.x, far.y, q.n_routes,
			       (unsigned long long)step,
			       (unsigned long long)base);
		} else {
			/* rejected, located in the file */
			CU_ASSERT_EQUAL(step, 0);
			CU_ASSERT(d.n > 0);
			CU_ASSERT(d.n > 0 && d.msgs[0].file &&
				  strcmp(d.msgs[0].file, "uno.plan.yaml") == 0);
			CU_ASSERT(d.n > 0 && d.msgs[0].line > 0 &&
				  d.msgs[0].col > 0);
			/* a bad rect is reported at the rect itself */
			int at_rect = 0;
			for (size_t i = 0; i < d.n; i++)
				at_rect |= d.msgs[i].line == line;
			CU_ASSERT(k == 0 || at_rect);
			printf("    case %d: %s\n", k,
			       d.n > 0 ? diag_text(&d, 0) : "-");
		}
		plan_release(&q);
		diag_release(&d);
		free(text);
	}
	fixture_release(&f);
}

/* The objective against the engine: within 10% of the simulated step
 * for every strategy's plan of a slice of the zoo. */
static void test_objective_slice(void)
{
	static const char *const nets[] = {"combo", "attn", "p1b3"};
	static const char *const strat[] = {"pack", "strips", "anneal"};
	for (size_t i = 0; i < ARRAY_SIZE(nets); i++)
		for (size_t k = 0; k < ARRAY_SIZE(strat); k++) {
			struct fixture f;
			diag_init(&f.d);
			plan_init(&f.p);
			CU_ASSERT_EQUAL_FATAL(
				machine_load("wse2", &f.m, &f.d), 0);
			CU_ASSERT_EQUAL_FATAL(graph_load(nets[i], OPT_MOMENTUM,
							 &f.g, &f.d),
					      0);
			struct plan_opts po;
			plan_opts_init(&po);
			po.strategy = strat[k];
			po.sharing = PLAN_SHARING_REPLICAS; /* see test_share */
			CU_ASSERT_EQUAL_FATAL(
				plan_build(&f.g, &f.m, &po, &f.p, &f.d), 0);
			struct stats st;
			CU_ASSERT_EQUAL_FATAL(run(&f, &f.p, 2, &st), 0);
			double sim = (double)st.step_cycles;
			double rel = f.p.est_step_cycles / sim - 1;
			printf("    %s %s: objective %.0f, simulated %.0f "
			       "(%+.1f%%)\n",
			       nets[i], strat[k], f.p.est_step_cycles, sim,
			       100 * rel);
			CU_ASSERT(rel < 0.10 && rel > -0.10);
			stats_release(&st);
			fixture_release(&f);
		}
}

/* drugnet (models/nets, from ../shared/nets/drugnet.yaml): the default
 * (auto) plan simulates no slower than pack's, whose conv stage c2 was
 * starved (1837 cycles per sample against 44 for e_fc), and its
 * objective is within 10% of its simulated step. */
static void test_drugnet(void)
{
	cycles_t step[2] = {0, 0};
	double est = 0;
	for (int k = 0; k < 2; k++) {
		struct fixture f;
		diag_init(&f.d);
		plan_init(&f.p);
		CU_ASSERT_EQUAL_FATAL(machine_load("wse2", &f.m, &f.d), 0);
		CU_ASSERT_EQUAL_FATAL(
			graph_load("drugnet", OPT_MOMENTUM, &f.g, &f.d), 0);
		struct plan_opts po;
		plan_opts_init(&po);
		po.strategy = k ? "pack" : NULL;
		CU_ASSERT_EQUAL_FATAL(plan_build(&f.g, &f.m, &po, &f.p, &f.d),
				      0);
		struct stats st;
		CU_ASSERT_EQUAL_FATAL(run(&f, &f.p, 2, &st), 0);
		step[k] = st.step_cycles;
		if (!k)
			est = f.p.est_step_cycles;
		printf("    drugnet %s: simulated %llu, objective %.0f\n",
		       f.p.strategy, (unsigned long long)step[k],
		       f.p.est_step_cycles);
		stats_release(&st);
		fixture_release(&f);
	}
	CU_ASSERT(step[0] <= step[1]);
	CU_ASSERT(est < 1.1 * (double)step[0] && est > 0.9 * (double)step[0]);
}

int suite_sync(void);
int suite_sync(void)
{
	static const struct tu_test tests[] = {
		{"uno plan: gradient and weight routes per replica", test_uno_plan},
		{"uno on wse2: the step holds the sync (lower bound)", test_uno_step},
		{"p1b2: no shared weights, nothing changes", test_p1b2_unchanged},
		{"uno: two runs byte-identical", test_uno_repeat},
		{"uno: plan edits re-route or are rejected", test_plan_edits},
		{"uno: a stage moved, overlapping or off the grid",
		 test_plan_moves},
		{"objective within 10% of the simulated step", test_objective_slice},
		{"drugnet: auto no slower than pack", test_drugnet},
		{0, 0}};
	return tu_add_suite("sync", tests);
}
