/*
 * test_sc_ref.c: the SystemC reference model (sim/sc_ref.h) against the
 * shared timing rules, on small meshes: zero-load latency equals
 * fabric_stream_cycles() exactly, a row broadcast completes in the
 * multicast closed form, compute lasts pe_work_cycles(), a slow consumer
 * back-pressures without losing a wavelet, wavelets are conserved under
 * random traffic, and meshes beyond 64 x 64 are refused.  The heavy cross-
 * validation against the engine is tests/validate/ref_cases.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cores/pe.h"
#include "fabric/timing.h"
#include "sim/machine.h"
#include "sim/sc_ref.h"
#include "test_util.h"

static void load_mini16(struct machine *m)
{
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(machine_load("mini16", m, &d), 0);
	diag_release(&d);
}

/* One stream of n wavelets from src to dst (X then Y); cycles from the
 * first wavelet leaving to the last arriving. */
static int64_t stream_cycles(const struct machine *m, int64_t w, int64_t h,
			     int64_t src, int64_t dst, int64_t n)
{
	struct sc_ref_program p;
	sc_ref_program_init(&p, m, w, h);
	struct sc_ref_op send = {.kind = SC_OP_SEND, .color = 0, .dest = (int32_t)dst,
				 .n = n};
	struct sc_ref_op recv = {.kind = SC_OP_RECV, .color = 0, .dest = -1,
				 .n = n};
	if (src < dst) {
		sc_ref_program_add(&p, src, &send);
		sc_ref_program_add(&p, dst, &recv);
	} else {
		sc_ref_program_add(&p, dst, &recv);
		sc_ref_program_add(&p, src, &send);
	}
	sc_ref_program_end(&p);
	struct sc_ref_program_stats st;
	struct diag d;
	diag_init(&d);
	int rc = sc_ref_run_program(m, &p, NULL, &st, &d);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(st.deadlock, 0);
	CU_ASSERT_EQUAL(st.wavelets_injected, n);
	CU_ASSERT_EQUAL(st.wavelets_ejected, n);
	diag_release(&d);
	sc_ref_program_release(&p);
	return rc ? -1 : st.cycles;
}

static void test_zero_load_exact(void)
{
	struct machine m;
	load_mini16(&m);
	static const struct {
		int64_t w, h, link, router, ramp, n;
	} cases[] = {
		{4, 4, 1, 0, 1, 1}, {8, 8, 1, 0, 1, 16}, {16, 16, 1, 0, 1, 5},
		{8, 4, 2, 1, 2, 7}, {5, 7, 1, 2, 3, 1},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		m.fabric.link_latency_cycles = cases[i].link;
		m.fabric.router_latency_cycles = cases[i].router;
		m.fabric.ramp_latency_cycles = cases[i].ramp;
		int64_t w = cases[i].w, h = cases[i].h;
		int64_t hops = (w - 1) + (h - 1);
		int64_t got = stream_cycles(&m, w, h, 0, w * h - 1, cases[i].n);
		int64_t want = (int64_t)fabric_stream_cycles(&m.fabric, hops,
							     cases[i].n);
		printf("\n    zero-load %lldx%lld hop %lld ramp %lld n %lld: "
		       "reference %lld, closed form %lld",
		       (long long)w, (long long)h,
		       (long long)fabric_hop_cycles(&m.fabric),
		       (long long)cases[i].ramp, (long long)cases[i].n,
		       (long long)got, (long long)want);
		CU_ASSERT_EQUAL(got, want);
		/* and back, west- and northwards */
		got = stream_cycles(&m, w, h, w * h - 1, 0, cases[i].n);
		CU_ASSERT_EQUAL(got, want);
	}
}

static void test_row_broadcast(void)
{
	struct machine m;
	load_mini16(&m);
	const int64_t w = 16, h = 2, n = 24;
	struct sc_ref_program p;
	sc_ref_program_init(&p, &m, w, h);
	sc_ref_route_line(&p, m.fabric.colors, 3, 0, w - 1, 1);
	struct sc_ref_op send = {.kind = SC_OP_SEND, .color = 3, .dest = -1,
				 .n = n};
	struct sc_ref_op recv = {.kind = SC_OP_RECV, .color = 3, .dest = -1,
				 .n = n};
	sc_ref_program_add(&p, 0, &send);
	for (int64_t x = 1; x < w; x++)
		sc_ref_program_add(&p, x, &recv);
	sc_ref_program_end(&p);
	struct sc_ref_program_stats st;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(sc_ref_run_program(&m, &p, NULL, &st, &d), 0);
	int64_t want = (int64_t)fabric_stream_cycles(&m.fabric, w - 1, n);
	printf("\n    row broadcast %lld wavelets over %lld PEs: reference %lld, "
	       "closed form %lld",
	       (long long)n, (long long)w, (long long)st.cycles,
	       (long long)want);
	CU_ASSERT_EQUAL(st.cycles, want);
	CU_ASSERT_EQUAL(st.wavelets_injected, n);
	CU_ASSERT_EQUAL(st.wavelets_ejected, n * (w - 1));
	CU_ASSERT_EQUAL(st.last_pe, w - 1);
	diag_release(&d);
	sc_ref_program_release(&p);
}

/* A consumer busy with a long task first: the producer stalls once the
 * ramp, link and router FIFOs are full, and nothing is lost. */
static void test_back_pressure_and_compute(void)
{
	struct machine m;
	load_mini16(&m);
	const int64_t n = 200;
	struct sc_ref_program p;
	sc_ref_program_init(&p, &m, 4, 1);
	struct sc_ref_op send = {.kind = SC_OP_SEND, .color = 1, .dest = 3,
				 .n = n};
	struct sc_ref_op work = {.kind = SC_OP_COMPUTE, .dest = -1};
	work.work.fma = 4000;
	work.work.tasks = 1;
	struct sc_ref_op recv = {.kind = SC_OP_RECV, .color = 1, .dest = -1,
				 .n = n};
	sc_ref_program_add(&p, 0, &send);
	sc_ref_program_add(&p, 3, &work);
	sc_ref_program_add(&p, 3, &recv);
	sc_ref_program_end(&p);
	struct sc_ref_program_stats st;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(sc_ref_run_program(&m, &p, NULL, &st, &d), 0);
	int64_t k = (int64_t)pe_work_cycles(&m.pe, p.prec, &work.work);
	/* the consumer takes one wavelet per cycle after its task */
	printf("\n    back-pressure: task %lld cycles, total %lld",
	       (long long)k, (long long)st.cycles);
	CU_ASSERT_EQUAL(st.busy_cycles_max, k);
	CU_ASSERT_EQUAL(st.cycles, k + n - 1);
	CU_ASSERT_EQUAL(st.wavelets_injected, n);
	CU_ASSERT_EQUAL(st.wavelets_ejected, n);
	CU_ASSERT_EQUAL(st.deadlock, 0);
	diag_release(&d);
	sc_ref_program_release(&p);
}

static void test_traffic_conserves(void)
{
	struct machine m;
	load_mini16(&m);
	struct sc_ref_traffic t;
	sc_ref_traffic_init(&t);
	t.width = t.height = 8;
	t.rate = 0.05;
	t.packet_wavelets = 4;
	t.warmup_cycles = 200;
	t.measure_cycles = 1000;
	t.drain = 1;
	struct sc_ref_traffic_stats st;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(sc_ref_run_traffic(&m, &t, NULL, &st, &d), 0);
	printf("\n    uniform 8x8 at 0.05: %lld packets, latency %.2f, hops "
	       "%.3f, accepted %.4f",
	       (long long)st.packets_measured, st.avg_packet_latency,
	       st.avg_hops, st.throughput);
	CU_ASSERT(st.packets_measured > 100);
	CU_ASSERT_EQUAL(st.packets_lost, 0);
	CU_ASSERT_EQUAL(st.unroutable, 0);
	/* drained: every wavelet that went in came out, once */
	CU_ASSERT_EQUAL(st.wavelets_injected, st.wavelets_ejected);
	CU_ASSERT_EQUAL(st.wavelets_in_flight, 0);
	CU_ASSERT_EQUAL(st.wavelets_queued, 0);
	/* at low load the latency is near zero-load: hops + 2 ramps + n - 1 */
	double zl = st.avg_hops * (double)fabric_hop_cycles(&m.fabric) +
		    2.0 * (double)m.fabric.ramp_latency_cycles + 3.0;
	CU_ASSERT(st.avg_network_latency >= zl - 1e-9);
	CU_ASSERT(st.avg_network_latency < zl * 1.2);
	/* hop count of uniform traffic on k x k, self-traffic included */
	double k = 8, hops = 2 * (k * k - 1) / (3 * k);
	CU_ASSERT(st.avg_hops > hops * 0.9 && st.avg_hops < hops * 1.1);
	/* accepted equals offered below saturation */
	CU_ASSERT(st.throughput > st.offered * 0.9 &&
		  st.throughput < st.offered * 1.1);
	diag_release(&d);
}

static void test_refuses_large_mesh(void)
{
	struct machine m;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(machine_load("mini128", &m, &d), 0);
	struct sc_ref_traffic t;
	sc_ref_traffic_init(&t);
	t.width = t.height = 65;
	struct sc_ref_traffic_stats st;
	CU_ASSERT_EQUAL(sc_ref_run_traffic(&m, &t, NULL, &st, &d), WS_EINPUT);
	CU_ASSERT(diag_contains(&d, "at most 64x64"));
	CU_ASSERT(diag_contains(&d, "got 65x65"));
	diag_clear(&d);
	CU_ASSERT_EQUAL(sc_ref_check_mesh(64, 64, &d), 0);
	CU_ASSERT_EQUAL(diag_count(&d), 0);
	t.width = t.height = 8;
	t.rate = 1.5;
	CU_ASSERT_EQUAL(sc_ref_run_traffic(&m, &t, NULL, &st, &d), WS_EINPUT);
	CU_ASSERT(diag_contains(&d, "'rate' must be in [0, 1], got 1.5"));
	diag_release(&d);
}

static void test_vcd(void)
{
	struct machine m;
	load_mini16(&m);
	char *dir = tu_temp_dir();
	char *path = xasprintf("%s/w.vcd", dir);
	struct sc_ref_opts o;
	sc_ref_opts_init(&o);
	o.vcd_path = path;
	o.n_vcd_pes = 2;
	o.vcd_pes[0] = 0;
	o.vcd_pes[1] = 5;
	struct sc_ref_traffic t;
	sc_ref_traffic_init(&t);
	t.width = t.height = 4;
	t.warmup_cycles = 10;
	t.measure_cycles = 100;
	struct sc_ref_traffic_stats st;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(sc_ref_run_traffic(&m, &t, &o, &st, &d), 0);
	char *text = NULL;
	size_t len = 0;
	CU_ASSERT_EQUAL(read_file(path, &text, &len, &d), 0);
	CU_ASSERT_PTR_NOT_NULL(text && strstr(text, "$enddefinitions"));
	CU_ASSERT_PTR_NOT_NULL(text && strstr(text, "$scope module router_1_1 $end"));
	CU_ASSERT_PTR_NOT_NULL(text && strstr(text, "$scope module out_E $end"));
	CU_ASSERT_PTR_NOT_NULL(text && strstr(text, "$scope module pe_0_0 $end"));
	CU_ASSERT_PTR_NOT_NULL(text && strstr(text, " valid "));
	CU_ASSERT_PTR_NULL(text && strstr(text, "router_2_2"));
	free(text);
	unlink(path);
	/* a bad traced PE is refused and nothing is written */
	o.vcd_pes[1] = 99;
	CU_ASSERT_EQUAL(sc_ref_run_traffic(&m, &t, &o, &st, &d), WS_EINPUT);
	struct stat sb;
	CU_ASSERT_NOT_EQUAL(stat(path, &sb), 0);
	rmdir(dir);
	free(path);
	free(dir);
	diag_release(&d);
}

int suite_sc_ref(void)
{
	static const struct tu_test tests[] = {
		{"zero-load latency equals the closed form", test_zero_load_exact},
		{"row broadcast equals the multicast closed form",
		 test_row_broadcast},
		{"compute and back-pressure", test_back_pressure_and_compute},
		{"uniform traffic: conservation, hops, latency",
		 test_traffic_conserves},
		{"meshes beyond 64x64 and bad rates refused",
		 test_refuses_large_mesh},
		{"VCD waveform", test_vcd},
		{0},
	};
	return tu_add_suite("sc_ref", tests);
}
