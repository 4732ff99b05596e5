/* test_engine_links.c: the engine's per-link counts obey the fabric's
 * physics (one wavelet per cycle per directed link) and conserve what the
 * engine moved: compiled zoo networks on mini128 and wse2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/graph.h"
#include "compiler/place.h"
#include "sim/engine.h"
#include "test_engine_plans.h"
#include "test_util.h"

struct link_check {
	int64_t over;	 /* directed links above one wavelet per cycle */
	double peak;	 /* busiest link, wavelets per cycle over the run */
	uint64_t sum;	 /* wavelets summed over every link */
};

static void link_scan(const struct stats *st, struct link_check *c)
{
	memset(c, 0, sizeof(*c));
	int64_t n = st->width * st->height * LINK_DIRS;
	for (int64_t i = 0; i < n; i++) {
		uint64_t v = st->link_wavelets[i];
		c->sum += v;
		if (v > st->total_cycles)
			c->over++;
		double r = (double)v / (double)st->total_cycles;
		if (r > c->peak)
			c->peak = r;
	}
}

/* Edge links (leaving the grid) do not exist: nothing may be counted on
 * them. */
static int64_t edge_counts(const struct stats *st)
{
	int64_t bad = 0;
	for (int64_t y = 0; y < st->height; y++)
		for (int64_t x = 0; x < st->width; x++) {
			const uint64_t *l =
				&st->link_wavelets[(y * st->width + x) * LINK_DIRS];
			bad += (y == 0 && l[LINK_NORTH]) +
			       (y == st->height - 1 && l[LINK_SOUTH]) +
			       (x == 0 && l[LINK_WEST]) +
			       (x == st->width - 1 && l[LINK_EAST]);
		}
	return bad;
}

static void check_net(const char *net, const char *mach, int job)
{
	struct machine m;
	struct diag d;
	struct graph g;
	struct plan p;
	diag_init(&d);
	plan_init(&p);
	CU_ASSERT_EQUAL_FATAL(machine_load(mach, &m, &d), 0);
	if (graph_load(net, OPT_MOMENTUM, &g, &d)) {
		diag_print(&d, stdout);
		CU_FAIL("graph_load");
		diag_release(&d);
		return;
	}
	struct plan_opts po;
	plan_opts_init(&po);
	CU_ASSERT_EQUAL_FATAL(plan_build(&g, &m, &po, &p, &d), 0);
	struct engine_opts o;
	engine_opts_init(&o);
	o.job = job;
	o.batch = p.batch;
	o.infer_samples = 16;
	struct stats st;
	stats_init(&st);
	CU_ASSERT_EQUAL_FATAL(engine_run(&p, &g, &m, &o, &st, &d), 0);
	CU_ASSERT_FATAL(st.total_cycles > 0);
	struct link_check c;
	link_scan(&st, &c);
	/* routes: wavelets x in-grid hops; rectangles: their counted hops */
	uint64_t want = 0;
	for (int r = 0; r < st.n_routes; r++)
		want += (uint64_t)st.routes[r].wavelets *
			(uint64_t)st.routes[r].hops;
	for (int s = 0; s < st.n_stages; s++)
		want += (uint64_t)st.stages[s].wavelet_hops;
	printf("    %-6s %-7s %-5s %4s cycles %10llu  links over 1/cycle %6lld"
	       "  peak %.3f  link sum %llu vs hops %llu\n", net, mach,
	       job == ENGINE_TRAIN ? "train" : "infer",
	       p.mode == MODE_STREAMING ? "strm" : "pipe",
	       (unsigned long long)st.total_cycles, (long long)c.over, c.peak,
	       (unsigned long long)c.sum, (unsigned long long)want);
	/* physics: a directed link carries at most one wavelet per cycle */
	CU_ASSERT_EQUAL(c.over, 0);
	CU_ASSERT(c.peak <= 1.0);
	/* conservation: every wavelet hop the engine timed is on one link, and
	 * the run's hop total (energy) is the same figure */
	CU_ASSERT_EQUAL(c.sum, want);
	CU_ASSERT_EQUAL((uint64_t)st.wavelet_hops, want);
	CU_ASSERT_EQUAL(edge_counts(&st), 0);
	/* a route's busy cycles cannot exceed the run */
	for (int r = 0; r < st.n_routes; r++)
		CU_ASSERT(st.routes[r].busy_cycles <= st.total_cycles);
	stats_release(&st);
	plan_release(&p);
	graph_release(&g);
	diag_release(&d);
}

static void test_uno_wse2(void)
{
	printf("\n");
	check_net("uno", "wse2", ENGINE_TRAIN);
	check_net("uno", "wse2", ENGINE_INFER);
}

static void test_zoo_mini128(void)
{
	const char *nets[] = {"uno", "p1b2", "attn"};
	printf("\n");
	for (size_t i = 0; i < ARRAY_SIZE(nets); i++)
		check_net(nets[i], "mini128", ENGINE_TRAIN);
}

static void test_zoo_wse2(void)
{
	const char *nets[] = {"p1b2", "attn", "nt3"}; /* nt3: conv halo */
	printf("\n");
	for (size_t i = 0; i < ARRAY_SIZE(nets); i++)
		check_net(nets[i], "wse2", ENGINE_TRAIN);
}

/*
 * Two stage pairs stacked on mini128, A -> B along row 15 and C -> D along
 * row `row2`, each stream spread over 16 lanes.  With row2 = 16 the paths
 * are disjoint but the bundles (rows 7..22 and 8..23) share 15 rows of
 * links: the streams must serialise.  Far apart (row2 = 80) they must not.
 * Returns the total contention wait of the two routes; fills *st.
 */
static cycles_t two_bundles(int row2, struct stats *st)
{
	struct machine m;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(machine_load("mini128", &m, &d), 0);
	struct plan p;
	memset(&p, 0, sizeof(p));
	p.network = xstrdup("bundles");
	p.machine = xstrdup(m.name);
	p.strategy = xstrdup("hand");
	p.mode = MODE_PIPELINED;
	p.prec = PREC_MIXED;
	p.batch = 8;
	p.n_stages = 4;
	p.stages = calloc(4, sizeof(*p.stages));
	/* A, B on the row band of row 15; C, D below on that of row2 */
	int top = row2 == 16 ? 16 : row2;
	const int xy[4][2] = {{0, 0}, {64, 0}, {0, top}, {64, top}};
	for (int i = 0; i < 4; i++) {
		struct plan_stage *s = &p.stages[i];
		s->name = xasprintf("s%d", i);
		s->n_layers = 1;
		s->layers[0] = i;
		tp_dense_stage(s, &m, PREC_MIXED, 1024, 1024, 16, 16);
		s->r.x = xy[i][0];
		s->r.y = xy[i][1];
	}
	p.n_routes = 4;
	p.routes = calloc(4, sizeof(*p.routes));
	tp_route(&p.routes[0], -1, 0, 512, 0, 0, 0, 0);
	tp_route(&p.routes[1], -1, 2, 512, 0, top, 0, top);
	tp_route(&p.routes[2], 0, 1, 2048, 15, 15, 64, 15);
	tp_route(&p.routes[3], 2, 3, 2048, 15, row2, 64, row2);
	struct engine_opts o;
	engine_opts_init(&o);
	o.job = ENGINE_INFER;
	o.infer_samples = 8;
	stats_init(st);
	CU_ASSERT_EQUAL_FATAL(engine_run(&p, NULL, &m, &o, st, &d), 0);
	CU_ASSERT_EQUAL(st->routes[2].lanes, 16);
	CU_ASSERT_EQUAL(st->routes[3].lanes, 16);
	cycles_t wait = st->routes[2].wait_cycles + st->routes[3].wait_cycles;
	tp_release(&p);
	diag_release(&d);
	return wait;
}

static void test_bundle_contention(void)
{
	struct stats near, far;
	cycles_t wn = two_bundles(16, &near);
	cycles_t wf = two_bundles(80, &far);
	printf("\n    overlapping bundles: wait %llu cycles, end %llu; "
	       "apart: wait %llu, end %llu\n", (unsigned long long)wn,
	       (unsigned long long)near.total_cycles, (unsigned long long)wf,
	       (unsigned long long)far.total_cycles);
	/* the shared links are held by one stream at a time */
	CU_ASSERT(wn > 0);
	CU_ASSERT_EQUAL(wf, 0);
	CU_ASSERT(near.total_cycles >= far.total_cycles);
	/* a shared link carries both streams' lanes: 2 x 2048 / 16 per
	 * sample, within what the run's cycles allow */
	int64_t shared = (10 * 128 + 40) * LINK_DIRS + LINK_EAST;
	CU_ASSERT_EQUAL(near.link_wavelets[shared], 2 * 8 * 2048 / 16);
	CU_ASSERT_EQUAL(far.link_wavelets[shared], 8 * 2048 / 16);
	struct link_check c;
	link_scan(&near, &c);
	CU_ASSERT_EQUAL(c.over, 0);
	stats_release(&near);
	stats_release(&far);
}

int suite_engine_links(void);
int suite_engine_links(void)
{
	static const struct tu_test tests[] = {
		{"uno on wse2: links within capacity, hops conserved",
		 test_uno_wse2},
		{"zoo on mini128: links within capacity", test_zoo_mini128},
		{"zoo on wse2: links within capacity", test_zoo_wse2},
		{"overlapping bundles serialise", test_bundle_contention},
		{0, 0}};
	return tu_add_suite("engine_links", tests);
}
