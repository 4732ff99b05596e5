/*
 * test_route.c: dimension-ordered paths, ports, host input from I/O edges,
 * multicast groups sharing a color, color exhaustion naming the router,
 * and route_check catching disconnected and clashing routes.
 */
#include <stdlib.h>
#include <string.h>

#include "compiler/route.h"
#include "place_nets.h"
#include "ground/util.h"
#include "test_util.h"

static void test_paths_and_ports(void)
{
	struct plan_point *pts;
	int n = route_path((struct plan_point){2, 3}, (struct plan_point){7, 9},
			   &pts);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT(pts[1].x == 7 && pts[1].y == 3); /* X first, then Y */
	free(pts);
	n = route_path((struct plan_point){2, 3}, (struct plan_point){2, 9},
		       &pts);
	CU_ASSERT_EQUAL(n, 2);
	free(pts);
	struct plan_stage s;
	memset(&s, 0, sizeof s);
	s.r = (struct rect){10, 20, 5, 8};
	struct plan_point o = route_out_port(&s);
	CU_ASSERT(o.x == 14 && o.y == 24);
	struct plan_point in = route_in_port(&s, (struct plan_point){0, 100});
	CU_ASSERT(in.x == 10 && in.y == 27);
	struct machine m;
	CU_ASSERT_EQUAL_FATAL(pn_machine("mini64", 0, 0, 0, &m), 0);
	m.io.edges = EDGE_WEST | EDGE_EAST;
	struct plan_point h = route_host_port(&m, (struct plan_point){50, 7});
	CU_ASSERT(h.x == 63 && h.y == 7);
	m.io.edges = EDGE_NORTH;
	h = route_host_port(&m, (struct plan_point){50, 7});
	CU_ASSERT(h.x == 50 && h.y == 0);
}

/* Two stages side by side, host input, a fan-out to two consumers. */
static void small_plan(struct plan *p)
{
	plan_init(p);
	p->mode = MODE_PIPELINED;
	p->n_stages = 3;
	p->stages = xcalloc(3, sizeof(*p->stages));
	const char *names[] = {"a", "b", "c"};
	for (int i = 0; i < 3; i++) {
		p->stages[i].name = xstrdup(names[i]);
		p->stages[i].r = (struct rect){4 + 10 * i, 4, 6, 6};
	}
}

static void test_build_multicast(void)
{
	struct machine m;
	CU_ASSERT_EQUAL_FATAL(pn_machine("mini64", 0, 0, 0, &m), 0);
	struct plan p;
	small_plan(&p);
	struct map_edge e[2];
	memset(e, 0, sizeof e);
	e[0] = (struct map_edge){-1, 0, 1, {0}, 0, 400};
	e[1].src = 0;
	e[1].tensor = 1;
	e[1].n_dst = 2;
	e[1].dst[0] = 1;
	e[1].dst[1] = 2;
	e[1].grad = 1;
	e[1].bytes = 800;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(route_build(&p, &m, e, 2, &d), 0);
	/* host->a, a->b, a->c forward, b->a and c->a backward */
	CU_ASSERT_EQUAL(p.n_routes, 5);
	int fwd_mc = 0, color = -1;
	for (int i = 0; i < p.n_routes; i++) {
		struct plan_route *r = &p.routes[i];
		if (r->pass == PASS_FWD && r->src_stage == 0) {
			fwd_mc++;
			CU_ASSERT(r->multicast_group >= 0);
			if (color < 0)
				color = r->color;
			CU_ASSERT_EQUAL(r->color,
					color); /* one tree, one color */
		}
		if (r->src_stage < 0) {
			CU_ASSERT_EQUAL(r->points[0].x, 0); /* west I/O edge */
		}
		CU_ASSERT(r->wavelets_per_sample > 0);
	}
	CU_ASSERT_EQUAL(fwd_mc, 2);
	CU_ASSERT_EQUAL(route_check(&p, &m, NULL, &d), 0);
	CU_ASSERT(p.hop_bytes_per_sample > 0);
	/* the host sends x once: 400 B at io.bandwidth_gbytes_s */
	CU_ASSERT_EQUAL(p.host_bytes_per_sample, 400);
	CU_ASSERT_DOUBLE_EQUAL(p.host_cycles_per_sample,
			       400 / m.io.bandwidth_gbytes_s * m.clock_ghz,
			       1e-9);

	/* disconnected: move the consumer away, keep the route */
	p.stages[1].r.y = 40;
	CU_ASSERT(route_check(&p, &m, "x.yaml", &d) > 0);
	CU_ASSERT(diag_contains(&d, "disconnected"));
	p.stages[1].r.y = 4;
	/* two routes of different trees sharing a color on a router */
	diag_clear(&d);
	for (int i = 0; i < p.n_routes; i++)
		p.routes[i].color = PLAN_KERNEL_COLORS;
	CU_ASSERT(route_check(&p, &m, NULL, &d) > 0);
	CU_ASSERT(diag_contains(&d, "must be free at router"));
	/* a color the machine does not have */
	diag_clear(&d);
	p.routes[0].color = (int)m.fabric.colors;
	CU_ASSERT(route_check(&p, &m, NULL, &d) > 0);
	CU_ASSERT(diag_contains(&d, "'color' must be in"));
	plan_release(&p);
	diag_release(&d);
}

static void test_color_exhaustion(void)
{
	/* 6 parallel routes through the same row and 1 route color */
	struct machine m;
	CU_ASSERT_EQUAL_FATAL(
		pn_machine("mini64", 0, 0, PLAN_KERNEL_COLORS + 2, &m), 0);
	struct plan p;
	small_plan(&p);
	p.n_routes = 6;
	p.routes = xcalloc(6, sizeof(*p.routes));
	for (int i = 0; i < 6; i++) {
		struct plan_route *r = &p.routes[i];
		r->src_stage = 0;
		r->dst_stage = 2;
		r->color = -1;
		r->multicast_group = -1;
		r->n_points =
			route_path((struct plan_point){9, 5},
				   (struct plan_point){24, 5}, &r->points);
	}
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(route_assign_colors(&p, &m, NULL, &d), WS_EINPUT);
	CU_ASSERT(diag_contains(&d, "no color left for 'a' -> 'c'"));
	CU_ASSERT(diag_contains(&d, "router ("));
	/* every color in use is named, and what to change */
	CU_ASSERT(diag_contains(&d, "colors 0-3 (kernels), 4, 5, all 6"));
	CU_ASSERT(diag_contains(&d, "'fabric.colors'"));
	CU_ASSERT(diag_contains(&d, "--strategy"));
	/* the first two got the two route colors */
	CU_ASSERT_EQUAL(p.routes[0].color, PLAN_KERNEL_COLORS);
	CU_ASSERT_EQUAL(p.routes[1].color, PLAN_KERNEL_COLORS + 1);
	plan_release(&p);
	diag_release(&d);
}

int suite_route(void)
{
	static const struct tu_test tests[] = {
		{"paths and ports", test_paths_and_ports},
		{"build: host input, multicast, backward",
		 test_build_multicast},
		{"colors exhausted name the router", test_color_exhaustion},
		{0, 0}};
	return tu_add_suite("route", tests);
}
