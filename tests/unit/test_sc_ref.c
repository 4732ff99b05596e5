/*
 * test_sc_ref.c: the SystemC reference model (sim/sc_ref.h) against the
 * shared timing rules, on small meshes: zero-load latency equals
 * fabric_stream_cycles() exactly, a row broadcast completes in the
 * multicast closed form, compute lasts pe_work_cycles(), a slow consumer
 * back-pressures without losing a wavelet, wavelets are conserved under
 * random traffic, and meshes beyond 64 x 64 are refused.  The heavy cross-
 * validation against the engine is tests/validate/ref_cases.sh.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cores/pe.h"
#include "fabric/fabsim.h"
#include "fabric/timing.h"
#include "fabric/traffic.h"
#include "sim/engine.h"
#include "machine/machine.h"
#include "sim/sc_ref.h"
#include "sim/stats.h"
#include "test_engine_plans.h"
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
	struct sc_ref_op send = {
		.kind = SC_OP_SEND, .color = 0, .dest = (int32_t)dst, .n = n};
	struct sc_ref_op recv = {
		.kind = SC_OP_RECV, .color = 0, .dest = -1, .n = n};
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
	struct sc_ref_op send = {
		.kind = SC_OP_SEND, .color = 3, .dest = -1, .n = n};
	struct sc_ref_op recv = {
		.kind = SC_OP_RECV, .color = 3, .dest = -1, .n = n};
	sc_ref_program_add(&p, 0, &send);
	for (int64_t x = 1; x < w; x++)
		sc_ref_program_add(&p, x, &recv);
	sc_ref_program_end(&p);
	struct sc_ref_program_stats st;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(sc_ref_run_program(&m, &p, NULL, &st, &d), 0);
	int64_t want = (int64_t)fabric_stream_cycles(&m.fabric, w - 1, n);
	printf("\n    row broadcast %lld wavelets over %lld PEs: reference "
	       "%lld, "
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
	struct sc_ref_op send = {
		.kind = SC_OP_SEND, .color = 1, .dest = 3, .n = n};
	struct sc_ref_op work = {.kind = SC_OP_COMPUTE, .dest = -1};
	work.work.fma = 4000;
	work.work.tasks = 1;
	struct sc_ref_op recv = {
		.kind = SC_OP_RECV, .color = 1, .dest = -1, .n = n};
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

/* Same spec and seed, same figures (the run is a value; SystemC's process
 * order cannot matter because modules talk only through signals). */
static void test_deterministic(void)
{
	struct machine m;
	load_mini16(&m);
	struct sc_ref_traffic t;
	sc_ref_traffic_init(&t);
	t.width = t.height = 6;
	t.rate = 0.3;
	t.packet_wavelets = 3;
	t.warmup_cycles = 100;
	t.measure_cycles = 500;
	t.pattern = SC_PAT_HOTSPOT;
	t.max_queue_wavelets = 64;
	struct sc_ref_traffic_stats a, b;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(sc_ref_run_traffic(&m, &t, NULL, &a, &d), 0);
	CU_ASSERT_EQUAL(sc_ref_run_traffic(&m, &t, NULL, &b, &d), 0);
	a.wall_s = b.wall_s = 0;
	CU_ASSERT_EQUAL(memcmp(&a, &b, sizeof a), 0);
	t.seed = 2;
	CU_ASSERT_EQUAL(sc_ref_run_traffic(&m, &t, NULL, &b, &d), 0);
	CU_ASSERT_NOT_EQUAL(a.avg_packet_latency, b.avg_packet_latency);
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
	CU_ASSERT_PTR_NOT_NULL(text &&
			       strstr(text, "$scope module router_1_1 $end"));
	CU_ASSERT_PTR_NOT_NULL(text &&
			       strstr(text, "$scope module out_E $end"));
	CU_ASSERT_PTR_NOT_NULL(text &&
			       strstr(text, "$scope module pe_0_0 $end"));
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

/* The C fabric simulator's zero-load packet latency equals the reference's,
 * cycle for cycle (both claim exactness). */
static void test_same_as_fabsim_zero_load(void)
{
	struct machine m;
	load_mini16(&m);
	m.fabric.link_latency_cycles = 2;
	m.fabric.ramp_latency_cycles = 2;
	m.fabric.buffer_depth_wavelets = 4;
	const int side = 6;
	const int64_t n = 5;
	struct fabsim_config fc;
	memset(&fc, 0, sizeof fc);
	fc.width = fc.height = side;
	fc.colors = 1;
	fc.params = m.fabric;
	struct diag d;
	diag_init(&d);
	struct fabsim *s = fabsim_new(&fc, &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	int64_t pk = fabsim_inject(s, 3, 0, side * side - 2, n, 0, &d);
	CU_ASSERT_EQUAL(fabsim_run(s, 10000), FABSIM_DONE);
	struct fabsim_packet_info info;
	CU_ASSERT_EQUAL(fabsim_packet(s, pk, &info), 0);
	fabsim_free(s);
	int64_t ref = stream_cycles(&m, side, side, 3, side * side - 2, n);
	printf("\n    fabsim %lld, reference %lld",
	       (long long)(info.done_cycle - info.injected_cycle),
	       (long long)ref);
	CU_ASSERT_EQUAL((int64_t)(info.done_cycle - info.injected_cycle), ref);
	diag_release(&d);
}

/* Uniform traffic below saturation: the C fabric simulator and the
 * reference agree on latency and throughput within 5 %. */
static void test_same_as_fabsim_traffic(void)
{
	struct machine m;
	load_mini16(&m);
	struct traffic_config c;
	traffic_config_init(&c);
	c.params = m.fabric;
	c.width = c.height = 8;
	c.rate = 0.15;
	c.packet_wavelets = 2;
	c.warmup_cycles = 300;
	c.measure_cycles = 1500;
	struct traffic_result a, b;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(traffic_run(&c, &a, &d), 0);
	CU_ASSERT_EQUAL_FATAL(sc_ref_traffic_run(&m, &c, NULL, &b, &d), 0);
	printf("\n    8x8 uniform 0.15: latency fabsim %.2f reference %.2f, "
	       "accepted %.4f / %.4f",
	       a.avg_packet_latency, b.avg_packet_latency, a.accepted,
	       b.accepted);
	CU_ASSERT(fabs(a.avg_packet_latency - b.avg_packet_latency) <=
		  0.05 * b.avg_packet_latency);
	CU_ASSERT(fabs(a.accepted - b.accepted) <= 0.05 * b.accepted);
	CU_ASSERT_EQUAL(b.saturated, 0);
	diag_release(&d);
}

/* One task of a stage: the engine's latency against the reference running
 * every PE; a row broadcast exactly, a dense layer within 5 %. */
static double engine_task_latency(const struct machine *m,
				  const struct plan_stage *s)
{
	struct plan p;
	memset(&p, 0, sizeof p);
	p.network = xstrdup("ref");
	p.machine = xstrdup(m->name);
	p.strategy = xstrdup("hand");
	p.mode = MODE_PIPELINED;
	p.prec = PREC_MIXED;
	p.batch = 1;
	p.samples_in_flight = 1;
	p.n_stages = 1;
	p.stages = calloc(1, sizeof *p.stages);
	p.stages[0] = *s;
	p.stages[0].name = xstrdup("s");
	p.n_routes = 2;
	p.routes = calloc(2, sizeof *p.routes);
	tp_route(&p.routes[0], -1, 0, 16, 0, 0, 0, 0);
	tp_route(&p.routes[1], 0, -1, 16, s->r.w - 1, 0, (int)m->width - 1, 0);
	struct engine_opts o;
	engine_opts_init(&o);
	o.job = ENGINE_INFER;
	o.infer_samples = 1;
	struct stats st;
	stats_init(&st);
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(engine_run(&p, NULL, m, &o, &st, &d), 0);
	double lat = st.n_stages ? (double)st.stages[0].latency_cycles[PASS_FWD]
				 : -1;
	stats_release(&st);
	diag_release(&d);
	tp_release(&p);
	return lat;
}

static double ref_task_latency(const struct machine *m,
			       const struct plan_stage *s)
{
	struct sc_ref_program p;
	struct sc_ref_program_stats st;
	struct diag d;
	diag_init(&d);
	int64_t adj = 0;
	CU_ASSERT_EQUAL_FATAL(
		sc_ref_program_stage(&p, m, s->r.w, s->r.h, PREC_MIXED,
				     &s->work[PASS_FWD], &adj, &d),
		0);
	CU_ASSERT_EQUAL(sc_ref_run_program(m, &p, NULL, &st, &d), 0);
	CU_ASSERT_EQUAL(st.deadlock, 0);
	CU_ASSERT_EQUAL(st.unroutable, 0);
	sc_ref_program_release(&p);
	diag_release(&d);
	return (double)(st.cycles + adj);
}

/* A dense stage of w x 1 PEs whose task takes n wavelets broadcast along
 * the row, and nothing else. */
static void row_stage(struct plan_stage *s, int32_t w, int64_t n)
{
	memset(s, 0, sizeof *s);
	s->kind = KERNEL_DENSE;
	s->r.w = w;
	s->r.h = 1;
	s->work[PASS_FWD].bcast_wavelets = n;
	s->work[PASS_FWD].bcast_axis = AXIS_X;
}

static void test_same_as_engine_stage(void)
{
	struct machine m;
	load_mini16(&m);
	struct plan_stage s;
	row_stage(&s, 12, 40);
	double e = engine_task_latency(&m, &s), r = ref_task_latency(&m, &s);
	printf("\n    row broadcast: engine %.0f, reference %.0f", e, r);
	CU_ASSERT_EQUAL(e, r);
	memset(&s, 0, sizeof s);
	tp_dense_stage(&s, &m, PREC_MIXED, 256, 256, 8, 8);
	e = engine_task_latency(&m, &s);
	r = ref_task_latency(&m, &s);
	printf(", dense 256x256 on 8x8: engine %.0f, reference %.0f", e, r);
	CU_ASSERT(fabs(e - r) <= 0.05 * r);
}

/* A ramp-bound task (a first layer's backward-to-data: its input needs no
 * gradient, so only dy broadcast along the row and the activation's
 * backward, as compiler/map.c maps it): the task is activated by its
 * first wavelet and takes its inputs only once it runs (cores/pe.h: a
 * task cannot overlap its own activation).  By hand on mini16 (hop 1,
 * ramp 1, task start 8, 2 read ports, 1 write port, 4 fp16 add lanes),
 * 8 x 1 PEs, 32 wavelets in: the work is max(ceil(4 / 4), 16 / 2, 16 / 1)
 * + 8 = 24 cycles, the ramp 32 + 8 = 40, so the task occupies the PE 40
 * cycles; its latency is 40 + 2 ramps + 7 hops across the row = 49.  The
 * reference took the wavelets during the activation and said 41. */
static void test_task_activation_before_inputs(void)
{
	struct machine m;
	load_mini16(&m);
	struct plan_stage s;
	row_stage(&s, 8, 32);
	s.work[PASS_FWD].reduce_axis = AXIS_Y;
	s.work[PASS_FWD].pe = (struct pe_work){0, 4, 16, 16, 1, 0};
	double e = engine_task_latency(&m, &s), r = ref_task_latency(&m, &s);
	printf("\n    activation then 32 inputs: engine %.0f, reference %.0f "
	       "(by hand 49)",
	       e, r);
	CU_ASSERT_EQUAL(e, 49);
	CU_ASSERT_EQUAL(r, 49);
}

/* The command line: `wafersim fabric --engine systemc`. */
static void test_cli(void)
{
	char *out, *err;
	CU_ASSERT_EQUAL(tu_run("fabric --machine mini16 --mesh 8x8 --rate 0.05 "
			       "--warmup 100 --cycles 400 --engine systemc",
			       &out, &err),
			0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "engine systemc"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "accepted throughput"));
	/* the SystemC model does not measure its memory: no "0.0 MB" */
	CU_ASSERT_PTR_NULL(strstr(out, "0.0 MB"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "memory                not measured"));
	free(out);
	free(err);
	CU_ASSERT_EQUAL(
		tu_run("fabric --machine mini128 --mesh full --engine systemc",
		       &out, &err),
		1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "at most 64x64"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "got 128x128"));
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("fabric --vcd x.vcd", &out, &err), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "needs '--engine systemc'"));
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("fabric --engine verilator", &out, &err), 2);
	free(out);
	free(err);
	/* `wafersim run --engine systemc`: every stage's task beside the
	 * engine's; the forward pass of a dense stage within 5 % */
	CU_ASSERT_EQUAL(tu_run("run uno --machine mini16 --batch 4 --job infer "
			       "--engine systemc",
			       &out, &err),
			0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "reference model (SystemC"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "largest difference"));
	/* every stage row: the reference is never faster than the engine by
	 * more than 5 %, and the longest task (compute-bound) is within 5 % */
	int rows = 0;
	double best_e = 0, best_r = 0;
	const char *table =
		out ? strstr(out, "reference model (SystemC") : NULL;
	for (const char *l = table; l && *l;
	     l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char name[64], pass[16], rect[16];
		double e, r;
		if (sscanf(l, "%63s %15s %15s %lf %lf", name, pass, rect, &e,
			   &r) != 5 ||
		    !strchr(rect, 'x'))
			continue;
		rows++;
		CU_ASSERT(r >= 0.95 * e);
		if (e > best_e) {
			best_e = e;
			best_r = r;
		}
	}
	CU_ASSERT(rows >= 2);
	CU_ASSERT(best_e > 0 && fabs(best_e - best_r) <= 0.05 * best_r);
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("run uno --machine mini128 --engine systemc",
			       &out, &err),
			1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "at most 64x64"));
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("run uno --vcd x.vcd", &out, &err), 2);
	free(out);
	free(err);
}

int suite_sc_ref(void)
{
	static const struct tu_test tests[] = {
		{"zero-load latency equals the closed form",
		 test_zero_load_exact},
		{"row broadcast equals the multicast closed form",
		 test_row_broadcast},
		{"compute and back-pressure", test_back_pressure_and_compute},
		{"uniform traffic: conservation, hops, latency",
		 test_traffic_conserves},
		{"deterministic for a seed", test_deterministic},
		{"meshes beyond 64x64 and bad rates refused",
		 test_refuses_large_mesh},
		{"VCD waveform", test_vcd},
		{"zero-load packet: same cycles as fabsim",
		 test_same_as_fabsim_zero_load},
		{"uniform traffic: fabsim within 5%",
		 test_same_as_fabsim_traffic},
		{"stage task: engine exact (broadcast), within 5% (dense)",
		 test_same_as_engine_stage},
		{"a task's activation before its inputs (hand-computed)",
		 test_task_activation_before_inputs},
		{"wafersim fabric|run --engine systemc", test_cli},
		{0},
	};
	return tu_add_suite("sc_ref", tests);
}
