/*
 * test_fabric.c: the fabric model against theory (zero-load closed form,
 * hop counts, saturation bounds), multicast, back-pressure, conservation,
 * the stream model against the cycle-level one, and bad parameters.
 * Every test prints its figure.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fabric/fabsim.h"
#include "fabric/flow.h"
#include "fabric/timing.h"
#include "fabric/traffic.h"
#include "test_util.h"

static struct fabric_params params(int64_t link, int64_t router, int64_t ramp,
				   int64_t depth)
{
	struct fabric_params f = {
		.wavelet_bits = 32,
		.colors = 24,
		.link_latency_cycles = link,
		.router_latency_cycles = router,
		.ramp_latency_cycles = ramp,
		.buffer_depth_wavelets = depth,
	};
	return f;
}

static struct fabsim *mk(int32_t w, int32_t h, int32_t colors,
			 struct fabric_params f)
{
	struct fabsim_config c = {
		.width = w, .height = h, .colors = colors, .params = f};
	struct diag d;
	diag_init(&d);
	struct fabsim *s = fabsim_new(&c, &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	diag_release(&d);
	return s;
}

static void check_conservation(const struct fabsim *s)
{
	struct fabsim_counters k;
	fabsim_counters(s, &k);
	CU_ASSERT_EQUAL(k.in + k.replicated, k.out + k.dropped + k.buffered);
}

/* ---- zero load -------------------------------------------------------- */

static void test_zero_load(void)
{
	struct diag dg;
	diag_init(&dg);
	static const int32_t sizes[][2] = {{1, 1}, {4, 4}, {8, 8}, {16, 3}, {33, 17}};
	static const int64_t lens[] = {1, 2, 4, 17};
	static const int64_t lat[][3] = {{1, 0, 1}, {1, 0, 0}, {2, 1, 2}, {1, 2, 3}};
	int cases = 0, exact = 0;
	for (size_t pi = 0; pi < ARRAY_SIZE(lat); pi++) {
		/* depth >= max(hop, ramp) + 1: no credit stall at zero load */
		struct fabric_params f = params(lat[pi][0], lat[pi][1], lat[pi][2], 5);
		for (size_t si = 0; si < ARRAY_SIZE(sizes); si++) {
			int32_t w = sizes[si][0], h = sizes[si][1];
			struct fabsim *s = mk(w, h, 1, f);
			int32_t n = w * h;
			int32_t pairs[][2] = {{0, n - 1}, {n - 1, 0}, {n / 2, n / 3},
					      {w - 1, n - w}, {n / 2, n / 2}};
			for (size_t li = 0; li < ARRAY_SIZE(lens); li++)
				for (size_t k = 0; k < ARRAY_SIZE(pairs); k++) {
					cycles_t at = fabsim_now(s) + 3;
					int64_t id = fabsim_inject(s, pairs[k][0], 0,
								   pairs[k][1], lens[li],
								   at, &dg);
					CU_ASSERT_FATAL(id >= 0);
					CU_ASSERT_EQUAL(fabsim_run(s, at + 100000),
							FABSIM_DONE);
					struct fabsim_packet_info in;
					CU_ASSERT_EQUAL_FATAL(fabsim_packet(s, id, &in), 0);
					cycles_t want = fabric_stream_cycles(&f, in.hops,
									     lens[li]);
					cycles_t got = in.done_cycle - in.injected_cycle;
					cases++;
					exact += got == want && in.injected_cycle == at &&
						 in.hops == mesh_hops(fabsim_mesh(s),
								      pairs[k][0],
								      pairs[k][1]);
					if (got != want)
						printf("\n  mismatch %dx%d lat %lld/%lld/%lld "
						       "n %lld hops %d: %llu vs %llu",
						       (int)w, (int)h, (long long)lat[pi][0],
						       (long long)lat[pi][1],
						       (long long)lat[pi][2],
						       (long long)lens[li], (int)in.hops,
						       (unsigned long long)got,
						       (unsigned long long)want);
				}
			check_conservation(s);
			fabsim_free(s);
		}
	}
	printf("\n  zero-load latency = closed form exactly in %d of %d cases ",
	       exact, cases);
	CU_ASSERT_EQUAL(exact, cases);
	diag_release(&dg);
}

/* ---- uniform hop count ------------------------------------------------ */

static void test_uniform_hops(void)
{
	struct diag dg;
	diag_init(&dg);
	struct traffic_config c;
	traffic_config_init(&c);
	c.width = c.height = 16;
	c.rate = 0.05;
	c.measure_cycles = 4000;
	struct traffic_result r;
	CU_ASSERT_EQUAL_FATAL(traffic_run(&c, &r, &dg), 0);
	double k = 16, want = 2 * (k * k - 1) / (3 * k);
	printf("\n  uniform 16x16 (self-traffic included): avg hops %.4f, "
	       "2(k^2-1)/(3k) = %.4f, error %.2f %% over %lld packets ",
	       r.avg_hops, want, 100 * fabs(r.avg_hops - want) / want,
	       (long long)r.packets_done);
	CU_ASSERT(fabs(r.avg_hops - want) <= 0.01 * want);
	CU_ASSERT(r.packets_done > 10000);
	CU_ASSERT(!r.saturated);
	/* light load: latency near the closed form at those hops */
	CU_ASSERT(r.avg_packet_latency >= r.zero_load_latency - 1e-9);
	CU_ASSERT(r.avg_packet_latency < 1.3 * r.zero_load_latency);
	diag_release(&dg);
}

/* ---- saturation ------------------------------------------------------- */

static double sat_ratio(int pattern, int32_t k)
{
	struct diag dg;
	diag_init(&dg);
	struct traffic_config c;
	traffic_config_init(&c);
	c.width = c.height = k;
	c.pattern = pattern;
	double s = 0;
	CU_ASSERT_EQUAL(traffic_saturation(&c, 0.02, &s, &dg), 0);
	double b = traffic_bound(&c);
	printf("\n  %s %dx%d: saturates at %.4f, bound %.4f, ratio %.3f ",
	       traffic_pattern_name(pattern), (int)k, (int)k, s, b, s / b);
	diag_release(&dg);
	return s / b;
}

static void test_uniform_saturation(void)
{
	struct traffic_config c;
	traffic_config_init(&c);
	c.width = c.height = 8;
	CU_ASSERT_DOUBLE_EQUAL(traffic_bound(&c), 4.0 / 8, 1e-12);
	c.width = c.height = 16;
	CU_ASSERT_DOUBLE_EQUAL(traffic_bound(&c), 4.0 / 16, 1e-12);
	for (int32_t k = 8; k <= 16; k *= 2) {
		double q = sat_ratio(TRAFFIC_UNIFORM, k);
		CU_ASSERT(q >= 0.7 && q <= 1.0);
	}
}

static void test_pattern_saturation(void)
{
	double q = sat_ratio(TRAFFIC_TRANSPOSE, 8);
	CU_ASSERT(q >= 0.85 && q <= 1.1);
	q = sat_ratio(TRAFFIC_HOTSPOT, 8);
	CU_ASSERT(q >= 0.85 && q <= 1.1);
	q = sat_ratio(TRAFFIC_HOTSPOT, 16);
	CU_ASSERT(q >= 0.85 && q <= 1.1);
}

/* ---- multicast -------------------------------------------------------- */

static void test_row_multicast(void)
{
	struct diag dg;
	diag_init(&dg);
	struct fabric_params f = params(1, 0, 1, 4);
	int32_t W = 24, H = 3, y = 1;
	int ok = 0, cases = 0;
	for (int32_t w = 2; w <= W; w += 11)
		for (int64_t n = 1; n <= 64; n *= 8) {
			struct fabsim *s = mk(W, H, 2, f);
			struct diag d;
			diag_init(&d);
			int32_t src = y * W, last = y * W + w - 1;
			CU_ASSERT_EQUAL(fabsim_route_line(s, 1, src, last, &d), 0);
			int64_t id = fabsim_inject(s, src, 1, -1, n, 0, &d);
			CU_ASSERT_FATAL(id >= 0);
			diag_release(&d);
			CU_ASSERT_EQUAL(fabsim_run(s, 100000), FABSIM_DONE);
			struct fabsim_packet_info in;
			fabsim_packet(s, id, &in);
			cycles_t want = 2 * (cycles_t)f.ramp_latency_cycles +
					(cycles_t)(w - 1) * fabric_hop_cycles(&f) +
					(cycles_t)(n - 1);
			cycles_t got = in.done_cycle - in.injected_cycle;
			struct fabsim_counters k;
			fabsim_counters(s, &k);
			cases++;
			ok += got == want && in.dests == w - 1 &&
			      in.delivered == n * (w - 1) && k.in == (uint64_t)n &&
			      k.out == (uint64_t)(n * (w - 1)) && k.dropped == 0;
			check_conservation(s);
			/* the stream model says the same */
			struct flow_stream st = {.src = src, .dst = last,
						 .kind = FLOW_LINE_MULTICAST,
						 .n_wavelets = n};
			CU_ASSERT_EQUAL(flow_run(fabsim_mesh(s), &f, &st, 1, NULL, &dg),
					0);
			CU_ASSERT_EQUAL(st.done_cycle - st.start_cycle, want);
			fabsim_free(s);
		}
	printf("\n  row multicast: done = 2 ramp + (w-1) hop + n-1 in %d of %d "
	       "cases (w = 2, 13, 24; n = 1, 8, 64) ",
	       ok, cases);
	CU_ASSERT_EQUAL(ok, cases);
	diag_release(&dg);
}

/* ---- back-pressure ---------------------------------------------------- */

static void test_backpressure(void)
{
	struct diag dg;
	diag_init(&dg);
	struct fabric_params f = params(1, 0, 1, 4);
	struct fabsim *s = mk(8, 8, 2, f);
	int32_t src = mesh_id(fabsim_mesh(s), 0, 0), dst = mesh_id(fabsim_mesh(s), 3, 2);
	uint32_t slow = 7;
	int64_t n = 300;
	fabsim_set_sink_interval(s, dst, slow);
	int64_t a = fabsim_inject(s, src, 0, dst, n, 0, &dg);
	/* a second stream on another color through the same links */
	int64_t b = fabsim_inject(s, mesh_id(fabsim_mesh(s), 1, 0), 1,
				  mesh_id(fabsim_mesh(s), 3, 1), n, 0, &dg);
	CU_ASSERT_FATAL(a >= 0 && b >= 0);
	uint64_t max_buffered = 0;
	int stalled = 0, balanced = 1, one_per_cycle = 1;
	uint64_t prev[4 * 64] = {0};
	while (!fabsim_idle(s) && fabsim_now(s) < 100000) {
		fabsim_step(s);
		/* one wavelet per link per direction per cycle */
		const uint64_t *lw = fabsim_link_wavelets(s);
		for (int l = 0; l < 4 * 64; l++) {
			one_per_cycle &= lw[l] - prev[l] <= 1;
			prev[l] = lw[l];
		}
		struct fabsim_counters k;
		fabsim_counters(s, &k);
		balanced &= k.in + k.replicated == k.out + k.dropped + k.buffered;
		if (k.buffered > max_buffered)
			max_buffered = k.buffered;
		if (fabsim_now(s) == 500)
			stalled = fabsim_queued(s, src) > 0;
	}
	struct fabsim_counters k;
	fabsim_counters(s, &k);
	struct fabsim_packet_info ia, ib;
	fabsim_packet(s, a, &ia);
	fabsim_packet(s, b, &ib);
	printf("\n  slow consumer (1 per %u cycles): in %llu, out %llu, dropped "
	       "%llu, most buffered %llu, producer still queued at cycle 500: "
	       "%s, done at %llu (other color done at %llu) ",
	       slow, (unsigned long long)k.in, (unsigned long long)k.out,
	       (unsigned long long)k.dropped, (unsigned long long)max_buffered,
	       stalled ? "yes" : "no", (unsigned long long)ia.done_cycle,
	       (unsigned long long)ib.done_cycle);
	CU_ASSERT(balanced);
	CU_ASSERT(one_per_cycle);
	CU_ASSERT(fabsim_router_busy(s)[src] > 0 &&
		  fabsim_router_busy(s)[src] <= fabsim_now(s));
	CU_ASSERT_EQUAL(k.in, 2 * (uint64_t)n);
	CU_ASSERT_EQUAL(k.out, 2 * (uint64_t)n);
	CU_ASSERT_EQUAL(k.dropped, 0);
	CU_ASSERT_EQUAL(k.buffered, 0);
	CU_ASSERT(ia.done && ia.delivered == n && ib.done && ib.delivered == n);
	CU_ASSERT(stalled);
	/* the consumer sets the pace */
	CU_ASSERT(ia.done_cycle >= (cycles_t)(n - 1) * slow);
	/* finite buffers: at most depth per (port, color) on its path */
	CU_ASSERT(max_buffered <= 2 * 4 * (5 + 2));
	/* the other color is not blocked behind the slow one */
	CU_ASSERT(ib.done_cycle < ia.done_cycle / 2);
	fabsim_free(s);
	diag_release(&dg);
}

/* ---- conservation under load, routing errors, determinism ------------- */

static void test_conservation_and_determinism(void)
{
	struct diag dg;
	diag_init(&dg);
	struct traffic_config c;
	traffic_config_init(&c);
	c.width = 12;
	c.height = 9;
	c.rate = 0.6; /* beyond saturation: queues and refusals */
	c.packet_wavelets = 3;
	c.measure_cycles = 1000;
	c.drain_cycles = 500;
	struct traffic_result r1, r2;
	CU_ASSERT_EQUAL_FATAL(traffic_run(&c, &r1, &dg), 0);
	CU_ASSERT_EQUAL_FATAL(traffic_run(&c, &r2, &dg), 0);
	const struct fabsim_counters *k = &r1.counters;
	printf("\n  overloaded 12x9: in %llu = out %llu + buffered %llu; "
	       "accepted %.4f, same seed same figures: %s ",
	       (unsigned long long)k->in, (unsigned long long)k->out,
	       (unsigned long long)k->buffered, r1.accepted,
	       r1.avg_packet_latency == r2.avg_packet_latency &&
			       r1.accepted == r2.accepted
		       ? "yes"
		       : "no");
	CU_ASSERT_EQUAL(k->in + k->replicated, k->out + k->dropped + k->buffered);
	CU_ASSERT(r1.saturated);
	CU_ASSERT(r1.accepted < r1.offered);
	CU_ASSERT_EQUAL(r1.avg_packet_latency, r2.avg_packet_latency);
	CU_ASSERT_EQUAL(r1.accepted, r2.accepted);
	c.seed = 2;
	CU_ASSERT_EQUAL_FATAL(traffic_run(&c, &r2, &dg), 0);
	CU_ASSERT(r1.avg_packet_latency != r2.avg_packet_latency);

	/* a static color with a wrong receive port drops, and says so */
	struct fabric_params f = params(1, 0, 1, 4);
	struct fabsim *s = mk(4, 4, 1, f);
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(fabsim_set_route(s, 0, 0, DIR_RAMP, 1u << DIR_EAST, &d), 0);
	CU_ASSERT_EQUAL(fabsim_set_route(s, 1, 0, DIR_SOUTH, 1u << DIR_RAMP, &d), 0);
	CU_ASSERT(fabsim_set_route(s, 3, 0, DIR_WEST, 1u << DIR_EAST, &d) < 0);
	CU_ASSERT(diag_contains(&d, "off the mesh edge"));
	CU_ASSERT(fabsim_inject(s, 0, 0, -1, 5, 0, &d) >= 0);
	fabsim_run(s, 1000);
	struct fabsim_counters kk;
	fabsim_counters(s, &kk);
	CU_ASSERT_EQUAL(kk.dropped, 5);
	CU_ASSERT_EQUAL(kk.out, 0);
	check_conservation(s);
	diag_release(&d);
	fabsim_free(s);
	diag_release(&dg);
}

/* ---- the stream model against the cycle-level one --------------------- */

static void test_flow_vs_cycle(void)
{
	struct diag dg;
	diag_init(&dg);
	struct fabric_params f = params(1, 0, 1, 4);
	struct mesh m = {16, 16};
	/* (a) alone: exact; (b) two streams sharing links; (c) three-way
	 * share of one link; (d) disjoint then overlapping by start time */
	struct {
		int32_t src, dst;
		int64_t n;
		cycles_t start;
	} cases[][3] = {
		{{mesh_id(&m, 1, 2), mesh_id(&m, 9, 7), 200, 0}, {-1, -1, 0, 0}, {-1, -1, 0, 0}},
		{{mesh_id(&m, 0, 3), mesh_id(&m, 10, 3), 300, 0},
		 {mesh_id(&m, 2, 3), mesh_id(&m, 8, 5), 300, 0},
		 {-1, -1, 0, 0}},
		{{mesh_id(&m, 0, 0), mesh_id(&m, 6, 0), 200, 0},
		 {mesh_id(&m, 1, 0), mesh_id(&m, 5, 3), 200, 0},
		 {mesh_id(&m, 2, 0), mesh_id(&m, 7, 0), 200, 0}},
		{{mesh_id(&m, 0, 5), mesh_id(&m, 12, 5), 400, 0},
		 {mesh_id(&m, 3, 5), mesh_id(&m, 9, 5), 200, 150},
		 {-1, -1, 0, 0}},
	};
	int worst = 0;
	for (size_t ci = 0; ci < ARRAY_SIZE(cases); ci++) {
		struct flow_stream st[3];
		struct fabsim *s = mk(16, 16, 3, f);
		int64_t ids[3];
		size_t n = 0;
		for (; n < 3 && cases[ci][n].src >= 0; n++) {
			memset(&st[n], 0, sizeof(st[n]));
			st[n].src = cases[ci][n].src;
			st[n].dst = cases[ci][n].dst;
			st[n].n_wavelets = cases[ci][n].n;
			st[n].start_cycle = cases[ci][n].start;
			st[n].color = (int32_t)n;
			ids[n] = fabsim_inject(s, st[n].src, (int32_t)n, st[n].dst,
					       st[n].n_wavelets, st[n].start_cycle, &dg);
		}
		uint64_t *load = xcalloc(4 * 256, sizeof(*load));
		CU_ASSERT_EQUAL(flow_run(&m, &f, st, n, load, &dg), 0);
		CU_ASSERT_EQUAL(fabsim_run(s, 100000), FABSIM_DONE);
		const uint64_t *lw = fabsim_link_wavelets(s);
		int same_load = 1;
		for (int i = 0; i < 4 * 256; i++)
			same_load &= lw[i] == load[i];
		CU_ASSERT(same_load);
		free(load);
		printf("\n  case %zu:", ci);
		for (size_t i = 0; i < n; i++) {
			struct fabsim_packet_info in;
			fabsim_packet(s, ids[i], &in);
			int diff = (int)((long long)st[i].done_cycle -
					 (long long)in.done_cycle);
			if (abs(diff) > worst)
				worst = abs(diff);
			printf(" flow %llu / cycle %llu", (unsigned long long)st[i].done_cycle,
			       (unsigned long long)in.done_cycle);
			if (ci == 0)
				CU_ASSERT_EQUAL(diff, 0);
			/* within 2 % of the stream's duration */
			CU_ASSERT(abs(diff) <= 2 + (int)(0.02 * (double)in.done_cycle));
		}
		fabsim_free(s);
	}
	printf("\n  stream model vs cycle-level: worst difference %d cycles ", worst);
	diag_release(&dg);
}

/* The stream model at wafer scale: 3000 unicast streams at random places
 * and times plus 996 row multicasts on the WSE-2 grid.  Checks what must
 * hold whatever the contention (no stream beats its zero-load time, link
 * loads add up to wavelets x hops) and prints the time taken. */
static void test_flow_wafer_scale(void)
{
	struct diag dg;
	diag_init(&dg);
	struct fabric_params f = params(1, 0, 1, 4);
	struct mesh m = {757, 996};
	size_t n = 3000 + 996;
	struct flow_stream *st = xcalloc(n, sizeof(*st));
	uint64_t x = 12345;
	for (size_t i = 0; i < n; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t a = (uint32_t)(x >> 33);
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t b = (uint32_t)(x >> 33);
		if (i < 3000) {
			st[i].src = (int32_t)(a % (757u * 996u));
			st[i].dst = (int32_t)(b % (757u * 996u));
			st[i].kind = FLOW_UNICAST;
		} else {
			int32_t y = (int32_t)(i - 3000);
			st[i].src = y * 757;
			st[i].dst = y * 757 + 756;
			st[i].kind = FLOW_LINE_MULTICAST;
		}
		st[i].n_wavelets = 500 + a % 1000;
		st[i].start_cycle = b % 50000;
	}
	uint64_t *load = xcalloc(4 * (size_t)757 * 996, sizeof(*load));
	double t0 = wall_seconds();
	CU_ASSERT_EQUAL_FATAL(flow_run(&m, &f, st, n, load, &dg), 0);
	double dt = wall_seconds() - t0;
	uint64_t want = 0, got = 0;
	int ok = 1, slowed = 0;
	for (size_t i = 0; i < n; i++) {
		cycles_t zl = fabric_stream_cycles(&f, st[i].hops, st[i].n_wavelets);
		ok &= st[i].done_cycle - st[i].start_cycle >= zl;
		slowed += st[i].done_cycle - st[i].start_cycle > zl;
		want += (uint64_t)st[i].n_wavelets * (uint64_t)st[i].hops;
	}
	for (size_t l = 0; l < 4 * (size_t)757 * 996; l++)
		got += load[l];
	printf("\n  %zu streams on 757x996: %.2f s, %d slowed by sharing, "
	       "link loads %llu = wavelets x hops %llu ",
	       n, dt, slowed, (unsigned long long)got, (unsigned long long)want);
	CU_ASSERT(ok);
	CU_ASSERT(slowed > 0);
	CU_ASSERT_EQUAL(got, want);
	free(load);
	free(st);
	diag_release(&dg);
}

/* The incremental stream model against the batch one: all streams added
 * first, and streams added one by one as the clock reaches their start. */
static void test_flow_incremental(void)
{
	struct diag dg;
	diag_init(&dg);
	struct fabric_params f = params(1, 0, 1, 4);
	struct mesh m = {32, 32};
	size_t n = 300;
	struct flow_stream *st = xcalloc(n, sizeof(*st));
	uint64_t x = 777;
	for (size_t i = 0; i < n; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t a = (uint32_t)(x >> 33);
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t b = (uint32_t)(x >> 33);
		st[i].src = (int32_t)(a % 1024);
		st[i].dst = (int32_t)(b % 1024);
		if (i % 5 == 0) { /* some row multicasts */
			st[i].dst = (st[i].src / 32) * 32 + 31;
			st[i].kind = st[i].dst == st[i].src ? FLOW_UNICAST
							    : FLOW_LINE_MULTICAST;
		}
		st[i].n_wavelets = 50 + a % 400;
		st[i].start_cycle = (cycles_t)(i * 10 + b % 7); /* by start */
	}
	CU_ASSERT_EQUAL_FATAL(flow_run(&m, &f, st, n, NULL, &dg), 0);

	/* (a) everything first */
	struct flow_sim *fs = flow_sim_new(&m, &f);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL(flow_sim_add(fs, &st[i], &dg), (int64_t)i);
	flow_sim_advance(fs, INFINITY);
	int same_a = 0;
	for (size_t i = 0; i < n; i++) {
		struct flow_stream o;
		int done = 0;
		CU_ASSERT_EQUAL(flow_sim_get(fs, (int64_t)i, &o, &done), 0);
		same_a += done && o.done_cycle == st[i].done_cycle;
	}
	flow_sim_free(fs);

	/* (b) as the clock goes: add a stream when its start comes */
	fs = flow_sim_new(&m, &f);
	size_t next = 0;
	int events = 0;
	for (;;) {
		double te = flow_sim_next_event(fs);
		double ts = next < n ? (double)st[next].start_cycle : INFINITY;
		if (te == INFINITY && ts == INFINITY)
			break;
		if (ts <= te) {
			flow_sim_advance(fs, ts);
			CU_ASSERT(flow_sim_add(fs, &st[next++], &dg) >= 0);
		} else {
			flow_sim_advance(fs, te);
		}
		events++;
	}
	/* adding before the model's time is an error */
	struct flow_stream late = st[0];
	late.start_cycle = 0;
	CU_ASSERT(flow_sim_add(fs, &late, &dg) < 0);
	CU_ASSERT(diag_contains(&dg, "before the model's time"));
	int same_b = 0, close_b = 0;
	for (size_t i = 0; i < n; i++) {
		struct flow_stream o;
		int done = 0;
		flow_sim_get(fs, (int64_t)i, &o, &done);
		same_b += done && o.done_cycle == st[i].done_cycle;
		close_b += done && o.done_cycle + 1 >= st[i].done_cycle &&
			   o.done_cycle <= st[i].done_cycle + 1;
	}
	flow_sim_free(fs);
	printf("\n  incremental vs batch, %zu streams on 32x32: all added first "
	       "%d/%zu identical; added as the clock goes (%d events) %d/%zu "
	       "identical, %d/%zu within one cycle ",
	       n, same_a, n, events, same_b, n, close_b, n);
	CU_ASSERT_EQUAL(same_a, (int)n);
	CU_ASSERT_EQUAL(close_b, (int)n);
	CU_ASSERT(same_b >= (int)(n * 95 / 100));
	free(st);
	diag_release(&dg);
}

/* ---- bad parameters --------------------------------------------------- */

static void test_bad_params(void)
{
	struct traffic_config c;
	traffic_config_init(&c);
	struct diag d;
	diag_init(&d);
	c.rate = 1.5;
	CU_ASSERT(traffic_check(&c, &d) < 0);
	CU_ASSERT(diag_contains(&d, "'rate' must be in [0, 1]"));
	diag_clear(&d);
	c.rate = 0.1;
	c.pattern = TRAFFIC_TRANSPOSE;
	c.width = 8;
	c.height = 4;
	CU_ASSERT(traffic_check(&c, &d) < 0);
	CU_ASSERT(diag_contains(&d, "square"));
	diag_release(&d);
	CU_ASSERT_EQUAL(traffic_pattern_parse("nosuch"), -1);

	static const struct {
		const char *args, *msg;
	} bad[] = {
		{"fabric --machine mini16 --rate 1.5", "'rate' must be in [0, 1]"},
		{"fabric --machine mini16 --rate -0.1", "'rate' must be in [0, 1]"},
		{"fabric --machine mini16 --mesh 100x100", "must fit machine"},
		{"fabric --machine mini16 --pattern zigzag", "'--pattern' must be one of"},
		{"fabric --machine mini16 --mesh 8", "'--mesh' must be WxH"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *out, *err;
		int rc = tu_run(bad[i].args, &out, &err);
		printf("\n  '%s' -> exit %d: %s", bad[i].args, rc, strtok(err, "\n"));
		CU_ASSERT(rc == 1 || rc == 2);
		free(out);
		free(err);
		rc = tu_run(bad[i].args, &out, &err);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].msg));
		free(out);
		free(err);
	}
	/* a good run prints the BookSim figures */
	char *out, *err;
	int rc = tu_run("fabric --machine mini16 --mesh 8x8 --rate 0.1 --cycles 500",
			&out, &err);
	CU_ASSERT_EQUAL(rc, 0);
	static const char *const keys[] = {"avg packet latency", "avg network latency",
					   "accepted throughput", "avg hops",
					   "cycles simulated", "wall time",
					   "node-cycles/s"};
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		CU_ASSERT_PTR_NOT_NULL(strstr(out, keys[i]));
	free(out);
	free(err);
}

static void test_sweep_files(void)
{
	char *dir = tu_temp_dir();
	char *args = xasprintf("fabric --machine mini16 --mesh 6x6 --cycles 400 "
			       "--warmup 200 --sweep -o %s",
			       dir);
	char *out, *err;
	int rc = tu_run(args, &out, &err);
	CU_ASSERT_EQUAL(rc, 0);
	char *csv = xasprintf("%s/fabric_uniform.csv", dir);
	char *png = xasprintf("%s/fabric_uniform.png", dir);
	FILE *f = fopen(csv, "r");
	CU_ASSERT_PTR_NOT_NULL(f);
	int lines = 0;
	if (f) {
		char buf[256];
		while (fgets(buf, sizeof(buf), f))
			lines++;
		fclose(f);
	}
	FILE *p = fopen(png, "rb");
	unsigned char magic[4] = {0};
	if (p) {
		CU_ASSERT_EQUAL(fread(magic, 1, 4, p), 4);
		fclose(p);
	}
	printf("\n  sweep 6x6: %d CSV rows, PNG %s ", lines - 1,
	       magic[1] == 'P' && magic[2] == 'N' ? "written" : "missing");
	CU_ASSERT(lines >= 4);
	CU_ASSERT(magic[1] == 'P' && magic[2] == 'N' && magic[3] == 'G');
	/* the same chart as SVG and PDF, the bound marked and named */
	char *svg = xasprintf("%s/fabric_uniform.svg", dir);
	char *pdf = xasprintf("%s/fabric_uniform.pdf", dir);
	char *text = NULL;
	size_t len;
	struct diag d;
	diag_init(&d);
	CU_ASSERT(read_file(svg, &text, &len, &d) == 0 && text &&
		  strstr(text, "<svg") && strstr(text, "</svg>"));
	free(text);
	char *cmd = xasprintf("pdftotext '%s' - | grep -q 'saturation bound'",
			      pdf);
	CU_ASSERT(system(cmd) == 0);
	free(cmd);
	/* every point inside the frame, none on or past the border */
	char *py = tu_path("tests/unit/svg_points.py");
	cmd = xasprintf("python3 '%s' '%s'", py, svg);
	FILE *pp = popen(cmd, "r");
	int n_pts = -1, clipped = -1;
	CU_ASSERT(pp && fscanf(pp, "%d %d", &n_pts, &clipped) == 2);
	if (pp)
		pclose(pp);
	CU_ASSERT(n_pts >= lines - 1); /* two curves, a point per row each */
	CU_ASSERT_EQUAL(clipped, 0);
	free(cmd);
	free(py);
	diag_release(&d);
	remove(svg);
	remove(pdf);
	free(svg);
	free(pdf);
	remove(csv);
	remove(png);
	remove(dir);
	free(csv);
	free(png);
	free(args);
	free(dir);
	free(out);
	free(err);
}

int suite_fabric(void);
int suite_fabric(void)
{
	static const struct tu_test tests[] = {
		{"zero-load latency = closed form", test_zero_load},
		{"uniform hop count", test_uniform_hops},
		{"uniform saturation k=8,16", test_uniform_saturation},
		{"transpose and hotspot bounds", test_pattern_saturation},
		{"row multicast", test_row_multicast},
		{"back-pressure, slow consumer", test_backpressure},
		{"conservation, routing errors, determinism",
		 test_conservation_and_determinism},
		{"stream model vs cycle-level", test_flow_vs_cycle},
		{"stream model at wafer scale", test_flow_wafer_scale},
		{"stream model, incremental", test_flow_incremental},
		{"bad parameters", test_bad_params},
		{"sweep writes CSV and PNG", test_sweep_files},
		{0},
	};
	return tu_add_suite("fabric", tests);
}
