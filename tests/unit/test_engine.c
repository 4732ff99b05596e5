/* test_engine.c: the engine on hand-built plans, and its event queue. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/graph.h"
#include "compiler/kern.h"
#include "compiler/place.h"
#include "compiler/plan_credit.h"
#include "compiler/plan_estimate.h"
#include "cores/pe_sw.h"
#include "cores/pe.h"
#include "fabric/collective.h"
#include "fabric/flow.h"
#include "fabric/mesh.h"
#include "fabric/timing.h"
#include "sim/energy.h"
#include "fabric/reserve.h"
#include "sim/engine.h"
#include "ground/event.h"
#include "machine/machine.h"
#include "test_util.h"
#include "tests/unit/test_engine_plans.h"

static cycles_t cmax_u(cycles_t a, cycles_t b)
{
	return a > b ? a : b;
}

/* ---- event queue ---------------------------------------------------- */

static void test_event_order(void)
{
	struct event_queue q;
	event_queue_init(&q);
	/* pseudo-random times, many ties */
	uint64_t x = 12345;
	for (int i = 0; i < 5000; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		event_push(&q, (x >> 33) % 100, 0, (uint32_t)i, 0);
	}
	struct event prev = {0, 0, 0, 0, 0}, e;
	int n = 0;
	while (event_pop(&q, &e)) {
		if (n) {
			CU_ASSERT(e.time >= prev.time);
			if (e.time == prev.time)
				CU_ASSERT(e.a > prev.a); /* push order */
		}
		prev = e;
		n++;
	}
	CU_ASSERT_EQUAL(n, 5000);
	CU_ASSERT_EQUAL(event_queue_len(&q), 0);
	CU_ASSERT_EQUAL(event_pop(&q, &e), 0);
	event_queue_release(&q);
}


/* Pushes between pops, many at the time just popped (the queue's FIFO),
 * some earlier, some later: the same order as a linear search for the
 * earliest (time, then push order) over what is pending. */
static void test_event_interleaved(void)
{
	struct event_queue q;
	event_queue_init(&q);
	enum { N = 4000 };
	static struct event ref[N];
	int nref = 0, pushed = 0, popped = 0;
	uint64_t x = 777;
	cycles_t now = 0;
	while (popped < N) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		int r = (int)((x >> 33) % 8);
		if (pushed < N && (r < 5 || nref == 0)) {
			cycles_t t = r < 3   ? now
				     : r == 3 ? (now > 2 ? now - 2 : 0)
					      : now + (x >> 40) % 5;
			event_push(&q, t, 0, (uint32_t)pushed, 0);
			ref[nref++] = (struct event){t, (uint64_t)pushed, 0,
						     (uint32_t)pushed, 0};
			pushed++;
			continue;
		}
		int m = 0;
		for (int i = 1; i < nref; i++)
			if (ref[i].time < ref[m].time ||
			    (ref[i].time == ref[m].time &&
			     ref[i].seq < ref[m].seq))
				m = i;
		struct event e;
		CU_ASSERT_FATAL(event_pop(&q, &e) == 1);
		CU_ASSERT_EQUAL(e.a, ref[m].a);
		CU_ASSERT_EQUAL(e.time, ref[m].time);
		now = e.time;
		ref[m] = ref[--nref];
		popped++;
		CU_ASSERT_EQUAL(event_queue_len(&q), (size_t)nref);
	}
	struct event e;
	CU_ASSERT_EQUAL(event_pop(&q, &e), 0);
	event_queue_release(&q);
}

/* ---- engine --------------------------------------------------------- */

/* A dense layer alone, by hand: one sample through, forward only, with
 * the weight-stationary kernel's software as the compiler maps it
 * (compiler/kern_stream.c priced by the machine's pe.sw table,
 * cores/pe_sw.h). */
static void test_dense_by_hand(void)
{
	struct machine m;
	tp_load("mini128", &m);
	int64_t K = 1024, N = 1024, w = 32, h = 32;
	struct plan p;
	tp_dense_chain(&p, &m, 1, (const int64_t[]){K, N}, w, h, PREC_MIXED);
	struct kern_shape ks = {1, K, N, (int32_t)w, (int32_t)h, PREC_MIXED,
				0};
	struct kern_cost kc;
	kern_eval(&m, KERN_STREAM, &ks, &kc);
	kc.prog.tasks = 0; /* the work's own task start counts it */
	p.stages[0].work[PASS_FWD].pe.sw_cycles =
		(int64_t)pe_prog_cycles(&m.pe, &kc.prog);
	struct stats st;
	CU_ASSERT_EQUAL_FATAL(tp_run(&p, &m, ENGINE_INFER, 1, 0, &st), 0);

	/* hand computation: the tile's multiply-adds on the mixed lanes plus
	 * a task start and the kernel's software: once, a control
	 * instruction and four descriptors; per row of the input, a loop
	 * iteration, two descriptors, the receive of the row's K / w inputs
	 * off a fabric queue, a @map call and a vector start-up per input
	 * element of the tile (K / w of them) and the partial sums' send on
	 * a fabric queue; then broadcast down h rows one hop each,
	 * and the partial sums relayed across w columns: every PE of the row
	 * takes each wavelet down its ramp, adds its own partial sum and
	 * sends it back up after the fabric-to-fabric vector op's latency
	 * (pe.sw.relay_latency_cycles, 11, the kernels' collectives'), so a
	 * column costs hop + 2 ramp + 11 = 14 (as the hardware and the
	 * SystemC reference do; until the relay was modelled this was one
	 * hop per column, then until the engine took the kernels' latency
	 * hop + 2 ramp + 1), the reduced stream's tail, two ramps */
	const struct pe_sw *sw = &m.pe.sw;
	CU_ASSERT_EQUAL_FATAL(sw->relay_latency_cycles, 11);
	double tk = (double)(K / w);
	double soft = (double)(sw->ctrl_cycles + 4 * sw->dsd_cycles) +
		      (double)(sw->loop_cycles + 2 * sw->dsd_cycles) +
		      tk * (double)(sw->call_cycles + sw->vec_start_cycles) +
		      2.0 * (double)sw->fabric_start_cycles;
	double tile = tk * (double)(N / h);
	double compute = tile / 2 + 8 + soft;
	double comm = (double)(h - 1) + (double)(w - 1) * (1 + 2 + 11) +
		      (double)(N / h - 1) + 2;
	double stage = compute + comm;
	double got = (double)st.stages[0].latency_cycles[PASS_FWD];
	printf("\n    dense %lldx%lld on %lldx%lld: stage %g cycles by hand "
	       "(software %g), %g simulated\n", (long long)K, (long long)N,
	       (long long)w, (long long)h, stage, soft, got);
	CU_ASSERT(fabs(got - stage) / stage < 0.05);
	/* the whole sample: host I/O in, the stage, out to the edge */
	double bpc = 150.0 / 0.85;
	double io = ceil((double)K * 2 / bpc) + 1000;
	double in_route = 2 + (double)(K / 2) / (double)w - 1;
	double out_route = 2 + (127 - 31) + (double)(N / 2) / (double)h - 1 + 1000;
	double total = io + in_route + stage + out_route;
	double lat = (double)st.infer_latency_cycles;
	printf("    whole sample: %g by hand, %g simulated\n", total, lat);
	CU_ASSERT(fabs(lat - total) / total < 0.05);
	stats_release(&st);

	/* steady stream: one sample per tile time, software included */
	CU_ASSERT_EQUAL_FATAL(tp_run(&p, &m, ENGINE_INFER, 64, 0, &st), 0);
	double iv = (double)st.infer_interval_cycles;
	printf("    steady: %g cycles per sample (tile time %g)\n", iv,
	       compute);
	CU_ASSERT(fabs(iv - compute) / compute < 0.05);
	stats_release(&st);
	tp_release(&p);
}

/* Doubling a rectangle halves compute until communication dominates. */
static void test_dense_scaling(void)
{
	struct machine m;
	tp_load("mini128", &m);
	int64_t K = 2048, N = 2048;
	int dims[][2] = {{8, 8}, {16, 8}, {16, 16}, {32, 16}, {32, 32},
			 {64, 32}, {64, 64}, {128, 64}, {128, 128}};
	double prev = 0;
	int comm_dominated = 0;
	printf("\n");
	for (size_t i = 0; i < ARRAY_SIZE(dims); i++) {
		struct plan p;
		tp_dense_chain(&p, &m, 1, (const int64_t[]){K, N}, dims[i][0],
			       dims[i][1], PREC_MIXED);
		struct stats st;
		CU_ASSERT_EQUAL_FATAL(tp_run(&p, &m, ENGINE_INFER, 1, 0, &st), 0);
		double occ = (double)st.stages[0].occ_cycles[PASS_FWD];
		double lat = (double)st.stages[0].latency_cycles[PASS_FWD];
		printf("    %3dx%-3d compute %7.0f comm %5.0f cycles%s\n",
		       dims[i][0], dims[i][1], occ, lat - occ,
		       lat - occ > occ ? "  communication dominates" : "");
		if (prev > 0 && !comm_dominated) {
			double r = occ / prev;
			CU_ASSERT(r > 0.45 && r < 0.6);
		}
		if (lat - occ > occ)
			comm_dominated = 1;
		prev = occ;
		stats_release(&st);
		tp_release(&p);
	}
	CU_ASSERT(comm_dominated);
}

/* fp32 runs the same layer at half the mixed-precision FMA rate (wse2: 1 vs
 * 2 lanes) and moves twice the bytes per activation. */
static void test_precisions(void)
{
	struct machine m;
	tp_load("mini64", &m);
	double occ[2];
	int64_t wav[2];
	enum pe_prec pr[2] = {PREC_MIXED, PREC_FP32};
	for (int k = 0; k < 2; k++) {
		struct plan p;
		tp_dense_chain(&p, &m, 1, (const int64_t[]){2048, 2048}, 16, 16,
			       pr[k]);
		struct stats st;
		CU_ASSERT_EQUAL_FATAL(tp_run(&p, &m, ENGINE_INFER, 16, 0, &st), 0);
		occ[k] = (double)st.stages[0].occ_cycles[PASS_FWD];
		wav[k] = st.routes[0].wavelets;
		stats_release(&st);
		tp_release(&p);
	}
	printf("\n    2048x2048 on 16x16: mixed %g, fp32 %g cycles per sample\n",
	       occ[0], occ[1]);
	CU_ASSERT(occ[1] / occ[0] > 1.8 && occ[1] / occ[0] < 2.2);
	CU_ASSERT_EQUAL(wav[1], 2 * wav[0]);
}

/* Class mode and full mode agree. */
static void test_full_agrees(void)
{
	const char *machines[] = {"mini16", "mini64", "mini128"};
	for (size_t k = 0; k < ARRAY_SIZE(machines); k++) {
		struct machine m;
		tp_load(machines[k], &m);
		int64_t W = m.width;
		struct plan p;
		tp_dense_chain(&p, &m, 3,
			       (const int64_t[]){W * 8, W * 16, W * 4, 10},
			       (int)(W / 4), (int)(W / 2), PREC_MIXED);
		struct stats a, b;
		CU_ASSERT_EQUAL_FATAL(tp_run(&p, &m, ENGINE_TRAIN, 0, 0, &a), 0);
		CU_ASSERT_EQUAL_FATAL(tp_run(&p, &m, ENGINE_TRAIN, 0, 1, &b), 0);
		double ca = (double)a.step_cycles, cb = (double)b.step_cycles;
		printf("\n    %s: step %g (class) vs %g (full) cycles, "
		       "%llu vs %llu PE tasks", machines[k], ca, cb,
		       (unsigned long long)a.pe_tasks,
		       (unsigned long long)b.pe_tasks);
		CU_ASSERT(ca > 0);
		CU_ASSERT(fabs(ca - cb) / ca < 0.01);
		CU_ASSERT(fabs((double)a.total_cycles - (double)b.total_cycles) /
				  (double)a.total_cycles < 0.01);
		CU_ASSERT(b.pe_tasks > a.pe_tasks);
		/* per-PE busy cycles agree too */
		CU_ASSERT(fabs(stats_pe_utilisation(&a) -
			       stats_pe_utilisation(&b)) < 0.01);
		stats_release(&a);
		stats_release(&b);
		tp_release(&p);
	}
	printf("\n");
}

/* Uneven tiles (a graph gives K and N): full mode times the smaller tiles
 * separately and still agrees with the class mode within 1%. */
static void test_full_uneven(void)
{
	struct machine m;
	tp_load("mini128", &m);
	int64_t dims[] = {1000, 1000, 999, 10};
	struct graph g;
	graph_setup(&g, "uneven", "test");
	int t = graph_add_tensor(&g, "x", DT_FP32, 1, &dims[0]);
	g.tensors[t].is_input = 1;
	for (int i = 0; i < 3; i++) {
		char name[16];
		snprintf(name, sizeof(name), "d%d", i);
		int o = graph_add_tensor(&g, name, DT_FP32, 0, NULL);
		struct op_attrs a;
		memset(&a, 0, sizeof(a));
		a.units = dims[i + 1];
		a.bias = 1;
		graph_add_layer(&g, name, OP_DENSE, &a, 1, &t, 1, &o);
		t = o;
	}
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(graph_finish(&g, &d), 0);
	struct plan p;
	tp_dense_chain(&p, &m, 3, dims, 24, 36, PREC_MIXED);
	struct stats st[2];
	for (int k = 0; k < 2; k++) {
		struct engine_opts o;
		engine_opts_init(&o);
		o.full = k;
		stats_init(&st[k]);
		CU_ASSERT_EQUAL_FATAL(engine_run(&p, &g, &m, &o, &st[k], &d), 0);
	}
	double ca = (double)st[0].step_cycles, cb = (double)st[1].step_cycles;
	double ua = stats_pe_utilisation(&st[0]), ub = stats_pe_utilisation(&st[1]);
	printf("\n    uneven tiles: step %g (class) vs %g (full), PE "
	       "utilisation %.4f vs %.4f\n", ca, cb, ua, ub);
	CU_ASSERT(cb <= ca);
	CU_ASSERT(fabs(ca - cb) / ca < 0.01);
	/* the smaller tiles are idle a little longer */
	CU_ASSERT(ub < ua);
	for (int k = 0; k < 2; k++)
		stats_release(&st[k]);
	tp_release(&p);
	graph_release(&g);
	diag_release(&d);
}

/* Training: the step is at least batch x the slowest stage, the backward
 * pass runs, every stage updates once per step. */
static void test_training_schedule(void)
{
	struct machine m;
	tp_load("mini64", &m);
	struct plan p;
	tp_dense_chain(&p, &m, 3, (const int64_t[]){512, 1024, 256, 10}, 16, 32,
		       PREC_MIXED);
	p.batch = 16;
	struct stats st;
	CU_ASSERT_EQUAL_FATAL(tp_run(&p, &m, ENGINE_TRAIN, 0, 0, &st), 0);
	CU_ASSERT_EQUAL(st.steps, 2);
	double slow = stats_stage_sample_cycles(&st, st.slowest_stage);
	printf("\n    step %llu cycles (first %llu), slowest stage %g per "
	       "sample x 16 = %g\n", (unsigned long long)st.step_cycles,
	       (unsigned long long)st.step_first_cycles, slow, 16 * slow);
	CU_ASSERT((double)st.step_cycles >= 16 * slow);
	CU_ASSERT((double)st.step_cycles < 16 * slow * 3);
	for (int i = 0; i < st.n_stages; i++) {
		CU_ASSERT_EQUAL(st.stages[i].tasks[PASS_FWD], 32);
		CU_ASSERT_EQUAL(st.stages[i].tasks[PASS_BWD_DATA], 32);
		CU_ASSERT_EQUAL(st.stages[i].tasks[PASS_UPDATE], 2);
		const struct stats_stage *g = &st.stages[i];
		CU_ASSERT_EQUAL(g->compute_cycles + g->comm_cycles +
					g->wait_in_cycles + g->wait_out_cycles,
				st.total_cycles);
	}
	/* derived backward routes carried gradients */
	CU_ASSERT(st.n_routes > p.n_routes);
	CU_ASSERT(st.routes[p.n_routes].wavelets > 0);
	stats_release(&st);
	tp_release(&p);
}

/* A slow consumer holds its producer back (waiting for output space). */
static void test_back_pressure(void)
{
	struct machine m;
	tp_load("mini64", &m);
	struct plan p;
	/* a big fast stage feeding a tiny slow one */
	tp_dense_chain(&p, &m, 2, (const int64_t[]){256, 256, 256}, 32, 32,
		       PREC_MIXED);
	p.stages[1].r.w = 2;
	p.stages[1].r.h = 2;
	p.stages[1].r.x = 60;
	p.stages[1].work[PASS_FWD].pe.fma *= 200;
	struct stats st;
	CU_ASSERT_EQUAL_FATAL(tp_run(&p, &m, ENGINE_INFER, 32, 0, &st), 0);
	printf("\n    producer waited %llu cycles for output space\n",
	       (unsigned long long)st.stages[0].wait_out_cycles);
	CU_ASSERT(st.stages[0].wait_out_cycles > 0);
	CU_ASSERT_EQUAL(st.slowest_stage, 1);
	stats_release(&st);
	tp_release(&p);
}

/* A short side input (Uno's doses) does not throttle a long main path:
 * the early input is buffered for the skew, the stream keeps its pace. */
static void test_input_skew(void)
{
	struct machine m;
	tp_load("mini128", &m);
	struct plan p;
	tp_dense_chain(&p, &m, 4, (const int64_t[]){1000, 1000, 1000, 1000, 1},
		       32, 64, PREC_MIXED);
	p.routes = realloc(p.routes, (size_t)(p.n_routes + 1) * sizeof(*p.routes));
	tp_route(&p.routes[p.n_routes++], -1, 3, 1, 0, 64, 96, 64);
	struct stats st;
	CU_ASSERT_EQUAL_FATAL(tp_run(&p, &m, ENGINE_INFER, 128, 0, &st), 0);
	double pace = 0;
	for (int i = 0; i < st.n_stages; i++)
		if ((double)st.stages[i].occ_cycles[PASS_FWD] > pace)
			pace = (double)st.stages[i].occ_cycles[PASS_FWD];
	printf("\n    interval %llu cycles, slowest stage %g\n",
	       (unsigned long long)st.infer_interval_cycles, pace);
	CU_ASSERT((double)st.infer_interval_cycles < 1.1 * pace);
	stats_release(&st);
	tp_release(&p);
}

/* A streamed layer never beats its weight bytes over the I/O bandwidth. */
static void test_streaming_bound(void)
{
	struct machine m;
	tp_load("mini64", &m);
	struct plan p;
	tp_dense_chain(&p, &m, 2, (const int64_t[]){4096, 4096, 4096}, 64, 64,
		       PREC_MIXED);
	p.mode = MODE_STREAMING;
	for (int i = 0; i < p.n_stages; i++) {
		p.stages[i].r = (struct rect){0, 0, 64, 64};
		p.stages[i].sram.weights = 4096 * 4096 * 2 / (64 * 64);
	}
	struct stats st;
	CU_ASSERT_EQUAL_FATAL(tp_run(&p, &m, ENGINE_TRAIN, 0, 0, &st), 0);
	double bpc = m.extmem.bandwidth_gbytes_s / m.clock_ghz;
	double wcyc = 4096.0 * 4096 * 2 / bpc;
	for (int i = 0; i < st.n_stages; i++) {
		printf("\n    layer %d: %llu cycles from weights in to done, "
		       "bound %g", i,
		       (unsigned long long)st.stages[i].stream_span_cycles, wcyc);
		CU_ASSERT((double)st.stages[i].stream_span_cycles >= wcyc);
	}
	/* forward and backward each stream every layer's weights in */
	CU_ASSERT((double)st.step_cycles >= 2 * 2 * wcyc);
	CU_ASSERT_EQUAL(st.extmem_in_bytes, 2 * 2 * 2 * 4096 * 4096 * 2);
	printf("\n    step %llu cycles >= %g\n",
	       (unsigned long long)st.step_cycles, 4 * wcyc);
	stats_release(&st);
	tp_release(&p);
}


/* The engine's stream contention agrees with the fabric's flow model: two
 * streams sharing a row segment, both ready at 0, end together. */
static void test_contention_vs_flow(void)
{
	struct machine m;
	tp_load("mini64", &m);
	struct mesh mesh = {(int32_t)m.width, (int32_t)m.height};
	int64_t n = 2000;
	/* A: (0,5) -> (40,5); B: (10,5) -> (30,5): B's links inside A's */
	struct flow_stream fs[2];
	memset(fs, 0, sizeof(fs));
	fs[0].src = mesh_id(&mesh, 0, 5);
	fs[0].dst = mesh_id(&mesh, 40, 5);
	fs[1].src = mesh_id(&mesh, 10, 5);
	fs[1].dst = mesh_id(&mesh, 30, 5);
	for (int k = 0; k < 2; k++) {
		fs[k].kind = FLOW_UNICAST;
		fs[k].n_wavelets = n;
	}
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(flow_run(&mesh, &m.fabric, fs, 2, NULL, &d), 0);
	uint64_t *link_free = calloc((size_t)(m.width * m.height * 4), 8);
	int64_t la[40], lb[20];
	for (int x = 0; x < 40; x++)
		la[x] = mesh_link(mesh_id(&mesh, x, 5), DIR_EAST);
	for (int x = 0; x < 20; x++)
		lb[x] = mesh_link(mesh_id(&mesh, 10 + x, 5), DIR_EAST);
	cycles_t ea = fabric_reserve_path(link_free, la, 40, 0, n, &m.fabric,
					    NULL);
	cycles_t eb = fabric_reserve_path(link_free, lb, 20, 0, n, &m.fabric,
					    NULL);
	double last_flow = (double)cmax_u(fs[0].done_cycle, fs[1].done_cycle);
	double last_eng = (double)cmax_u(ea, eb);
	printf("\n    shared segment: last stream done at %g (engine) vs %g "
	       "(fabric flow model)\n", last_eng, last_flow);
	CU_ASSERT(fabs(last_eng - last_flow) / last_flow < 0.02);
	/* alone, both models give the fabric timing rule exactly */
	memset(link_free, 0, (size_t)(m.width * m.height * 4) * 8);
	CU_ASSERT_EQUAL(fabric_reserve_path(link_free, la, 40, 0, n, &m.fabric,
					      NULL),
			fabric_stream_cycles(&m.fabric, 40, n));
	free(link_free);
	diag_release(&d);
}

/* Two runs give the same bytes. */
static void test_deterministic(void)
{
	struct machine m;
	tp_load("mini64", &m);
	struct plan p;
	tp_dense_chain(&p, &m, 3, (const int64_t[]){500, 700, 300, 5}, 20, 24,
		       PREC_FP32);
	char *txt[2];
	for (int k = 0; k < 2; k++) {
		struct stats st;
		CU_ASSERT_EQUAL_FATAL(tp_run(&p, &m, ENGINE_TRAIN, 0, 0, &st), 0);
		size_t len;
		FILE *f = open_memstream(&txt[k], &len);
		stats_write_json(&st, f, 0);
		fclose(f);
		stats_release(&st);
	}
	CU_ASSERT_STRING_EQUAL(txt[0], txt[1]);
	free(txt[0]);
	free(txt[1]);
	tp_release(&p);
}

/* A simulation is a value: two run at once on two threads and give the
 * same bytes as one run alone. */
struct thr {
	const struct plan *p;
	const struct machine *m;
	char *json;
};

static void *thr_run(void *arg)
{
	struct thr *t = arg;
	struct stats st;
	if (tp_run(t->p, t->m, ENGINE_TRAIN, 0, 1, &st) == 0) {
		size_t len;
		FILE *f = open_memstream(&t->json, &len);
		stats_write_json(&st, f, 0);
		fclose(f);
	}
	stats_release(&st);
	return NULL;
}

static void test_two_threads(void)
{
	struct machine m;
	tp_load("mini64", &m);
	struct plan p;
	tp_dense_chain(&p, &m, 3, (const int64_t[]){500, 700, 300, 5}, 20, 24,
		       PREC_MIXED);
	struct thr t[3] = {{&p, &m, NULL}, {&p, &m, NULL}, {&p, &m, NULL}};
	thr_run(&t[0]);
	pthread_t a, b;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&a, NULL, thr_run, &t[1]), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&b, NULL, thr_run, &t[2]), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t[0].json);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t[1].json);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t[2].json);
	CU_ASSERT_STRING_EQUAL(t[0].json, t[1].json);
	CU_ASSERT_STRING_EQUAL(t[0].json, t[2].json);
	for (int i = 0; i < 3; i++)
		free(t[i].json);
	tp_release(&p);
}

/* Bad plans are errors, not crashes. */
static void test_bad_plan(void)
{
	struct machine m;
	tp_load("mini16", &m);
	struct plan p;
	tp_dense_chain(&p, &m, 1, (const int64_t[]){64, 64}, 8, 8, PREC_MIXED);
	p.stages[0].r.x = 12;
	struct engine_opts o;
	engine_opts_init(&o);
	struct diag d;
	diag_init(&d);
	struct stats st;
	stats_init(&st);
	CU_ASSERT_EQUAL(engine_run(&p, NULL, &m, &o, &st, &d), WS_EINPUT);
	CU_ASSERT(diag_contains(&d, "must lie in the 16x16 grid"));
	stats_release(&st);
	diag_release(&d);
	tp_release(&p);
}

/* A lone reduction down a column, by hand: every PE after the first takes
 * each partial-sum wavelet down its ramp, adds it (one cycle of work per
 * wavelet) and sends it back up 11 cycles after taking it (the fabric-in
 * to fabric-out latency the kernels' collectives charge, pe.sw), 14 cycles
 * a link with hop 1 and ramp 1; the stream of R wavelets counts once (its
 * head leaves when the partial sums are final, not after an occupancy
 * that already holds the stream).  The SystemC reference runs the same
 * relay (make validate-ref). */
static void test_reduction_relay(void)
{
	struct machine m;
	tp_load("mini64", &m);
	CU_ASSERT_EQUAL_FATAL(fabric_hop_cycles(&m.fabric), 1);
	CU_ASSERT_EQUAL_FATAL(m.fabric.ramp_latency_cycles, 1);
	CU_ASSERT_EQUAL_FATAL(pe_relay_cycles(&m.pe, PREC_MIXED), 1);
	CU_ASSERT_EQUAL_FATAL(pe_relay_latency_cycles(&m.pe, PREC_MIXED), 11);
	const int64_t L = 16, R = 32;
	/* ramp in + (L - 1)(hop + 2 ramp + latency) + (R - 1) + ramp out */
	const double hand = 1 + (double)(L - 1) * 14 + (double)(R - 1) + 1;
	CU_ASSERT_EQUAL(fabric_relay_cycles(&m.fabric, L - 1, R, 11, 1) + 2,
			(cycles_t)hand);
	/* the kernels' chain is the same relay: B wavelets over P PEs */
	CU_ASSERT_EQUAL(coll_chain_reduce(&m.fabric, L, R, 11),
			fabric_relay_cycles(&m.fabric, L - 1, R, 11, 1) + 1);
	for (int full = 0; full < 2; full++) {
		struct plan p;
		memset(&p, 0, sizeof p);
		p.network = xstrdup("reduce");
		p.machine = xstrdup(m.name);
		p.strategy = xstrdup("hand");
		p.mode = MODE_PIPELINED;
		p.prec = PREC_MIXED;
		p.batch = 1;
		p.samples_in_flight = 1;
		p.n_stages = 1;
		p.stages = calloc(1, sizeof *p.stages);
		struct plan_stage *s = &p.stages[0];
		s->name = xstrdup("reduce");
		s->kind = KERNEL_DENSE;
		s->n_layers = 1;
		s->r.w = 1;
		s->r.h = (int)L;
		s->work[PASS_FWD].reduce_wavelets = R;
		s->work[PASS_FWD].reduce_axis = AXIS_Y;
		p.n_routes = 2;
		p.routes = calloc(2, sizeof *p.routes);
		tp_route(&p.routes[0], -1, 0, 16, 0, 0, 0, 0);
		tp_route(&p.routes[1], 0, -1, 16, 0, 0, (int)m.width - 1, 0);
		struct stats st;
		CU_ASSERT_EQUAL_FATAL(tp_run(&p, &m, ENGINE_INFER, 1, full, &st),
				      0);
		double got = (double)st.stages[0].latency_cycles[PASS_FWD];
		printf("%s    column reduction %lld PEs, %lld wavelets (%s): "
		       "%g by hand, %g simulated\n",
		       full ? "" : "\n", (long long)L, (long long)R,
		       full ? "full" : "class", hand, got);
		CU_ASSERT_EQUAL(got, hand);
		stats_release(&st);
		tp_release(&p);
	}
}

/* A stage keeps every sample's saved activations in SRAM from its forward
 * to its backward, so a forward waits while the SRAM holds as many as fit
 * (compiler/plan_credit.h plan_act_slots).  Uno on wse2: the compiler
 * sizes head.1 for 2 d - 1 samples, but 4 B a sample per PE leave room
 * for the whole batch, and the pipeline's round trip uses it.  With the
 * PEs' SRAM full (no room beyond what was sized), no stage holds more
 * than it was sized for, the step is longer, and the objective's replay
 * still equals the engine to the cycle. */
static void test_activation_slots(void)
{
	struct machine m;
	struct graph g;
	struct plan p;
	struct diag d;
	diag_init(&d);
	plan_init(&p);
	CU_ASSERT_EQUAL_FATAL(machine_load("wse2", &m, &d), 0);
	CU_ASSERT_EQUAL_FATAL(graph_load("uno", OPT_MOMENTUM, &g, &d), 0);
	struct plan_opts po;
	plan_opts_init(&po);
	po.strategy = "pack";
	CU_ASSERT_EQUAL_FATAL(plan_build(&g, &m, &po, &p, &d), 0);
	struct stats a, b;
	CU_ASSERT_EQUAL_FATAL(tp_run(&p, &m, ENGINE_TRAIN, 0, 0, &a), 0);
	int ahead = -1;
	for (int i = 0; i < p.n_stages; i++) {
		CU_ASSERT(a.stages[i].held_max <= plan_act_slots(&p, &m, i));
		if (a.stages[i].held_max > p.stages[i].samples_in_flight &&
		    (ahead < 0 || a.stages[i].held_max -
					      p.stages[i].samples_in_flight >
				      a.stages[ahead].held_max -
					      p.stages[ahead].samples_in_flight))
			ahead = i;
	}
	CU_ASSERT_FATAL(ahead >= 0);
	for (int i = 0; i < p.n_stages; i++)
		p.stages[i].sram.total = m.pe.sram_bytes;
	CU_ASSERT_EQUAL_FATAL(tp_run(&p, &m, ENGINE_TRAIN, 0, 0, &b), 0);
	for (int i = 0; i < p.n_stages; i++) {
		if (p.stages[i].sram.activations > 0)
			CU_ASSERT_EQUAL(plan_act_slots(&p, &m, i),
					p.stages[i].samples_in_flight);
		CU_ASSERT(b.stages[i].held_max <= plan_act_slots(&p, &m, i));
	}
	double replay = plan_replay(&p, &m, 1, p.batch, 2, 0);
	printf("\n    uno/pack: '%s' sized for %lld samples, held %lld of "
	       "batch %lld, step %llu; SRAM full: held %lld, step %llu "
	       "(replay %.0f)",
	       p.stages[ahead].name,
	       (long long)p.stages[ahead].samples_in_flight,
	       (long long)a.stages[ahead].held_max, (long long)p.batch,
	       (unsigned long long)a.step_cycles,
	       (long long)b.stages[ahead].held_max,
	       (unsigned long long)b.step_cycles, replay);
	CU_ASSERT(b.step_cycles > a.step_cycles);
	CU_ASSERT_DOUBLE_EQUAL(replay, (double)b.step_cycles, 0.5);
	stats_release(&a);
	stats_release(&b);
	plan_release(&p);
	graph_release(&g);
	diag_release(&d);
}

int suite_engine(void);
int suite_engine(void)
{
	static const struct tu_test tests[] = {
		{"event queue order and ties", test_event_order},
		{"event queue pushes between pops", test_event_interleaved},
		{"dense layer against hand computation", test_dense_by_hand},
		{"reduction relay chain by hand", test_reduction_relay},
		{"doubling a rectangle halves compute", test_dense_scaling},
		{"mixed precision and fp32", test_precisions},
		{"class and full modes agree", test_full_agrees},
		{"full mode with uneven tiles", test_full_uneven},
		{"training schedule", test_training_schedule},
		{"back-pressure", test_back_pressure},
		{"short side input does not throttle", test_input_skew},
		{"streamed layer bound by I/O", test_streaming_bound},
		{"stream contention vs flow model", test_contention_vs_flow},
		{"deterministic", test_deterministic},
		{"two simulations on two threads", test_two_threads},
		{"bad plan", test_bad_plan},
		{"activations held within SRAM", test_activation_slots},
		{0, 0}};
	return tu_add_suite("engine", tests);
}
