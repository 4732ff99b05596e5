/*
 * ref_cases.c: the engines against the SystemC reference model
 * (sim/sc_ref.h), case by case; run by tests/validate/ref_cases.sh through
 * `make validate-ref`.  Prints one table: cycles on each side, their
 * difference, wall times and the speed ratio, and whether the case is
 * within its tolerance (5 %, exact for zero-load latency, or the documented
 * bound of docs/reference.md).  Exit 1 when a case is outside.
 *
 * Stage cases: one task of a plan stage (the reference dense mapping of
 * compiler/plan.h, as the engine's tests build it) -- the engine's
 * latency_cycles for that pass (sim/engine.c) against the reference model
 * running every PE of the rectangle (sc_ref_program_stage).
 * Traffic cases: the C fabric simulator (fabric/traffic.h) against the
 * reference model on the same pattern, load and packet length; the figure
 * compared is the average packet latency.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/kern.h"
#include "compiler/plan.h"
#include "fabric/fabsim.h"
#include "fabric/timing.h"
#include "fabric/traffic.h"
#include "sim/engine.h"
#include "machine/machine.h"
#include "sim/sc_ref.h"
#include "sim/stats.h"
#include "ground/util.h"

#include "../unit/test_engine_plans.h"

struct row {
	const char *name;
	double engine, ref;	/* cycles (or latency in cycles) */
	double engine_s, ref_s; /* wall seconds */
	double tol;		/* relative tolerance; 0: exact */
	double bound;		/* documented absolute bound, 0: none */
	const char *note;
};

static int n_bad;

static void print_row(const struct row *r)
{
	double diff = r->ref - r->engine;
	double rel = r->ref != 0 ? diff / r->ref : 0;
	int ok;
	const char *verdict;
	if (r->tol == 0) {
		ok = diff == 0;
		verdict = ok ? "exact" : "NOT EXACT";
	} else if (fabs(rel) <= r->tol) {
		ok = 1;
		verdict = "ok";
	} else if (r->bound > 0 && fabs(diff) <= r->bound) {
		ok = 1;
		verdict = "documented";
	} else {
		ok = 0;
		verdict = "OUTSIDE";
	}
	if (!ok)
		n_bad++;
	printf("%-32s %10.1f %10.1f %+9.1f %+7.2f%% %9.4f %9.4f %8.0fx  "
	       "%s%s%s\n",
	       r->name, r->engine, r->ref, diff, 100 * rel, r->engine_s,
	       r->ref_s, r->engine_s > 0 ? r->ref_s / r->engine_s : 0, verdict,
	       r->note ? "  " : "", r->note ? r->note : "");
}

/* ---- stage cases ------------------------------------------------------ */

/* The engine's latency of one task of `s` in pass `k` (a one-stage plan
 * between the west and east edges). */
static double engine_stage(const struct machine *m, const struct plan_stage *s,
			   enum pass k, double *wall)
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
	p.stages[0].name = xstrdup(s->name);
	p.n_routes = 2;
	p.routes = calloc(2, sizeof *p.routes);
	const struct rect *r = &s->r;
	tp_route(&p.routes[0], -1, 0, 16, 0, r->y, r->x, r->y);
	tp_route(&p.routes[1], 0, -1, 16, r->x + r->w - 1, r->y,
		 (int)m->width - 1, r->y);
	struct engine_opts o;
	engine_opts_init(&o);
	o.job = k == PASS_FWD ? ENGINE_INFER : ENGINE_TRAIN;
	o.batch = 1;
	o.steps = 1;
	o.infer_samples = 1;
	struct stats st;
	stats_init(&st);
	struct diag d;
	diag_init(&d);
	double t0 = wall_seconds();
	int rc = engine_run(&p, NULL, m, &o, &st, &d);
	*wall = wall_seconds() - t0;
	double lat = rc ? -1 : (double)st.stages[0].latency_cycles[k];
	if (rc)
		diag_print(&d, stderr);
	diag_release(&d);
	stats_release(&st);
	tp_release(&p);
	return lat;
}

static double ref_stage(const struct machine *m, const struct plan_stage *s,
			enum pass k, double *wall)
{
	struct sc_ref_program p;
	struct diag d;
	diag_init(&d);
	int64_t adj = 0;
	double lat = -1;
	double t0 = wall_seconds();
	if (sc_ref_program_stage(&p, m, s->r.w, s->r.h, PREC_MIXED, &s->work[k],
				 &adj, &d) == 0) {
		struct sc_ref_program_stats st;
		if (sc_ref_run_program(m, &p, NULL, &st, &d) == 0 &&
		    !st.deadlock)
			lat = (double)(st.cycles + adj);
		sc_ref_program_release(&p);
	}
	*wall = wall_seconds() - t0;
	if (diag_count(&d))
		diag_print(&d, stderr);
	diag_release(&d);
	return lat;
}

static void stage_case(const struct machine *m, const char *name,
		       const struct plan_stage *s, enum pass k, double bound,
		       const char *note)
{
	struct row r = {name, 0, 0, 0, 0, 0.05, bound, note};
	r.engine = engine_stage(m, s, k, &r.engine_s);
	r.ref = ref_stage(m, s, k, &r.ref_s);
	print_row(&r);
}

static void init_stage(struct plan_stage *s, const char *name, int w, int h)
{
	memset(s, 0, sizeof *s);
	s->name = (char *)name;
	s->kind = KERNEL_DENSE;
	s->n_layers = 1;
	s->r.w = w;
	s->r.h = h;
}

/* ---- traffic cases ---------------------------------------------------- */

static void traffic_case(const struct machine *m, const char *name, int pattern,
			 double rate, int64_t n, int side)
{
	struct traffic_config c;
	traffic_config_init(&c);
	c.params = m->fabric;
	c.width = c.height = side;
	c.pattern = pattern;
	c.rate = rate;
	c.packet_wavelets = n;
	c.warmup_cycles = 1000;
	c.measure_cycles = 4000;
	struct traffic_result tr;
	struct diag d;
	diag_init(&d);
	struct row r = {name, -1, -1, 0, 0, 0.05, 0, NULL};
	double t0 = wall_seconds();
	if (traffic_run(&c, &tr, &d) == 0)
		r.engine = tr.avg_packet_latency;
	r.engine_s = wall_seconds() - t0;

	struct sc_ref_traffic t;
	sc_ref_traffic_init(&t);
	t.width = t.height = side;
	t.pattern = pattern; /* same order as enum traffic_pattern */
	t.rate = rate;
	t.packet_wavelets = n;
	t.warmup_cycles = c.warmup_cycles;
	t.measure_cycles = (int64_t)c.measure_cycles;
	t.hotspot_fraction = c.hotspot_fraction;
	t.max_queue_wavelets = c.max_queue_wavelets;
	struct sc_ref_traffic_stats st;
	t0 = wall_seconds();
	if (sc_ref_run_traffic(m, &t, NULL, &st, &d) == 0)
		r.ref = st.avg_packet_latency;
	r.ref_s = wall_seconds() - t0;
	if (diag_count(&d))
		diag_print(&d, stderr);
	diag_release(&d);
	char note[160];
	snprintf(note, sizeof note,
		 "accepted %.4f vs %.4f, hops %.2f vs %.2f (latency, cycles)",
		 tr.accepted, st.throughput, tr.avg_hops, st.avg_hops);
	r.note = note;
	print_row(&r);
}

/* Zero-load latency of one packet corner to corner: exact. */
static void zero_load_case(const struct machine *m, int side, int64_t n)
{
	struct fabsim_config fc;
	memset(&fc, 0, sizeof fc);
	fc.width = fc.height = side;
	fc.colors = 1;
	fc.params = m->fabric;
	struct diag d;
	diag_init(&d);
	struct row r = {
		"zero-load latency 16x16, n=8", -1, -1, 0, 0, 0, 0, NULL};
	double t0 = wall_seconds();
	struct fabsim *s = fabsim_new(&fc, &d);
	int32_t dst = side * side - 1;
	if (s) {
		int64_t pk = fabsim_inject(s, 0, 0, dst, n, 0, &d);
		fabsim_run(s, 100000);
		struct fabsim_packet_info info;
		if (pk >= 0 && fabsim_packet(s, pk, &info) == 0 && info.done)
			r.engine =
				(double)(info.done_cycle - info.injected_cycle);
		fabsim_free(s);
	}
	r.engine_s = wall_seconds() - t0;
	struct sc_ref_program p;
	sc_ref_program_init(&p, m, side, side);
	struct sc_ref_op send = {SC_OP_SEND,	  0, 0, dst, n,
				 {0, 0, 0, 0, 0, 0}, 0, 0};
	struct sc_ref_op recv = {SC_OP_RECV,	  0, 0, -1, n,
				 {0, 0, 0, 0, 0, 0}, 0, 0};
	sc_ref_program_add(&p, 0, &send);
	sc_ref_program_add(&p, dst, &recv);
	sc_ref_program_end(&p);
	struct sc_ref_program_stats st;
	t0 = wall_seconds();
	if (sc_ref_run_program(m, &p, NULL, &st, &d) == 0)
		r.ref = (double)st.cycles;
	r.ref_s = wall_seconds() - t0;
	sc_ref_program_release(&p);
	char note[96];
	snprintf(note, sizeof note, "closed form %llu",
		 (unsigned long long)fabric_stream_cycles(&m->fabric,
							  2 * (side - 1), n));
	r.note = note;
	if (diag_count(&d))
		diag_print(&d, stderr);
	diag_release(&d);
	print_row(&r);
}

/* ---- the three-layer MLP pipeline -------------------------------------- */

/*
 * dims[0] -> dims[1] -> dims[2] -> dims[3], each layer a w x w stage, side
 * by side in one band of a 32 x 32 machine, S samples streamed (inference).
 * Engine: total cycles of engine_run (host I/O made negligible: its figure
 * is the pipeline's).  Reference: the same stages, every PE:
 *
 *     row 0      feeders (the host input), one per column of stage 0
 *     rows 1..w  stage 0 | stage 1 | stage 2 | drains
 *
 * a stage PE runs, per sample, TASK (column broadcast in) then its part of
 * the row reduction (SEND from the west edge, RELAY after); the east-edge
 * PE of row i takes the reduced row and sends it (fp16) to column i of the
 * next stage on a colour route: east along row i, then north and south
 * along the column, into every PE of it.  Colour sets alternate between
 * stage boundaries so a router never needs two routes for one colour.
 */
static void route_lane(struct sc_ref_program *p, int64_t colors, int color,
		       int64_t src, int64_t col_x, int64_t y_top, int64_t y_bot)
{
	int64_t W = p->width, sy = src / W, sx = src % W;
	for (int64_t x = sx; x < col_x; x++)
		p->routes[(sy * W + x) * colors + color] |= 1u << SC_PORT_E;
	for (int64_t y = y_top; y <= y_bot; y++) {
		uint8_t m = 1u << SC_PORT_RAMP;
		if (y <= sy && y > y_top)
			m |= 1u << SC_PORT_N;
		if (y >= sy && y < y_bot)
			m |= 1u << SC_PORT_S;
		p->routes[(y * W + col_x) * colors + color] |= m;
	}
}

/* The MLP's geometry in the reference program: n stages of w x w PEs in
 * a row below a feeder row, a drain column east, S samples. */
struct mlp_geo {
	const struct plan *p;
	int64_t W, H, colors;
	int n, w, S;
};

/* Stage PE (s, i, row): per sample, its task, then its part of the row
 * reduction (send, relay, or the east edge's receive and output). */
static void mlp_stage_pe(struct sc_ref_program *q, const struct mlp_geo *g,
			 int64_t id, int s, int i, int row)
{
	const int c_r = 1, c_out = 1, w = g->w, n = g->n;
	const struct kernel_work *k = &g->p->stages[s].work[PASS_FWD];
	int in_color = 2 + (s % 2) * w + i;
	int lane = 2 + ((s + 1) % 2) * w + row;
	const struct pe_work none = {0, 0, 0, 0, 0, 0};
	for (int smp = 0; smp < g->S; smp++) {
		struct sc_ref_op t = {SC_OP_TASK,	 in_color, 0, -1,
				      k->bcast_wavelets, k->pe,    0, 0};
		sc_ref_program_add(q, id, &t);
		if (i == 0) {
			struct sc_ref_op f = {SC_OP_SEND, c_r, 0,
					      (int32_t)(id + 1),
					      k->reduce_wavelets, none, 0, 0};
			sc_ref_program_add(q, id, &f);
			continue;
		}
		if (i < w - 1) {
			struct sc_ref_op f = {SC_OP_RELAY, c_r, c_r,
					      (int32_t)(id + 1),
					      k->reduce_wavelets, none, 0, 0};
			pe_relay_work(&f.work);
			sc_ref_program_add(q, id, &f);
			continue;
		}
		/* east edge: the reduced row, then its fp16 outputs to the
		 * next stage or the drain */
		struct sc_ref_op f = {SC_OP_RECV,	  c_r,	0, -1,
				      k->reduce_wavelets, none, 0, 0};
		sc_ref_program_add(q, id, &f);
		int64_t out = (k->out_wavelets + w - 1) / w;
		struct sc_ref_op o = {SC_OP_SEND, c_out, 0, (int32_t)(id + 1),
				      out,	  none,	 0, 0};
		if (s + 1 < n) {
			o.color = lane;
			o.dest = -1;
			if (smp == 0)
				route_lane(q, g->colors, lane, id,
					   (s + 1) * w + row, 1, g->H - 1);
		}
		sc_ref_program_add(q, id, &o);
	}
}

/* The reference program of the MLP: feeders, stages, drains. */
static void mlp_program(struct sc_ref_program *q, const struct mlp_geo *g)
{
	const int c_out = 1, w = g->w, n = g->n;
	const int64_t W = g->W, H = g->H;
	const struct pe_work none = {0, 0, 0, 0, 0, 0};
	for (int64_t y = 0; y < H; y++)
		for (int64_t x = 0; x < W; x++) {
			int64_t id = y * W + x;
			int s = (int)(x / w), i = (int)(x % w),
			    row = (int)y - 1;
			if (y == 0) {
				if (s != 0)
					continue;
				/* feeder of column i of stage 0: the host
				 * input */
				const struct kernel_work *k =
					&g->p->stages[0].work[PASS_FWD];
				sc_ref_route_line(q, g->colors, 2 + i, id,
						  (H - 1) * W + x, 1);
				struct sc_ref_op f = {
					SC_OP_SEND, 2 + i, 0, -1,
					g->S * k->bcast_wavelets, none, 0, 0};
				sc_ref_program_add(q, id, &f);
			} else if (s == n) {
				/* drain of row `row`: the network's output */
				const struct kernel_work *k =
					&g->p->stages[n - 1].work[PASS_FWD];
				int64_t out = (k->out_wavelets + w - 1) / w;
				struct sc_ref_op f = {SC_OP_RECV, c_out, 0, -1,
						      g->S * out, none,	 0, 0};
				sc_ref_program_add(q, id, &f);
			} else {
				mlp_stage_pe(q, g, id, s, i, row);
			}
		}
}

/* The weight-stationary kernel's software (compiler/kern.h: descriptors,
 * loop, a @map call per input, the partial sums' send) beside its task
 * start, as compiler/map_kern.c prices it, for the passes up to `last`. */
static void stream_software(const struct machine *m, struct plan_stage *s,
			    int64_t K, int64_t N, int32_t w, int32_t h,
			    int last)
{
	for (int p = PASS_FWD; p <= last; p++) {
		struct kern_shape ks = {1, K, N, w, h, PREC_MIXED, 0};
		struct kern_cost kc;
		kern_eval(m, KERN_STREAM, &ks, &kc);
		kc.prog.tasks = 0;
		s->work[p].pe.sw_cycles = (int64_t)pe_prog_cycles(&m->pe,
								  &kc.prog);
	}
}

static void mlp_case(const struct machine *m0, int S)
{
	struct machine m = *m0;
	m.width = m.height = 32;
	m.io.bandwidth_gbytes_s = 1e6;
	m.io.latency_cycles = 0;
	const int n = 3, w = 10;
	const int64_t dims[4] = {1000, 1000, 1000, 1000};
	const enum pe_prec prec = PREC_MIXED;
	struct plan p;
	tp_dense_chain(&p, &m, n, dims, w, w, prec);
	for (int i = 0; i < n; i++)
		stream_software(&m, &p.stages[i], dims[i], dims[i + 1], w, w,
				PASS_FWD);
	struct engine_opts o;
	engine_opts_init(&o);
	o.job = ENGINE_INFER;
	o.infer_samples = S;
	struct stats st;
	stats_init(&st);
	struct diag d;
	diag_init(&d);
	struct row r = {"MLP 3x1000 on 32x32, 10x10 stages",
			-1,
			-1,
			0,
			0,
			0.05,
			0,
			NULL};
	char name[64];
	snprintf(name, sizeof name, "MLP 3 layers 32x32, %d samples", S);
	r.name = name;
	double t0 = wall_seconds();
	if (engine_run(&p, NULL, &m, &o, &st, &d) == 0)
		r.engine = (double)st.total_cycles;
	r.engine_s = wall_seconds() - t0;
	stats_release(&st);

	/* the reference program */
	struct mlp_geo g = {&p, n * w + 1, w + 1, m.fabric.colors, n, w, S};
	struct sc_ref_program q;
	sc_ref_program_init(&q, &m, g.W, g.H);
	q.prec = prec;
	mlp_program(&q, &g);
	sc_ref_program_end(&q);
	struct sc_ref_program_stats qs;
	t0 = wall_seconds();
	if (sc_ref_run_program(&m, &q, NULL, &qs, &d) == 0 && !qs.deadlock &&
	    !qs.unroutable)
		r.ref = (double)qs.cycles;
	r.ref_s = wall_seconds() - t0;
	sc_ref_program_release(&q);
	if (diag_count(&d))
		diag_print(&d, stderr);
	diag_release(&d);
	tp_release(&p);
	print_row(&r);
}

int main(int argc, char **argv)
{
	const char *mname = argc > 1 ? argv[1] : "mini64";
	struct machine m;
	struct diag d;
	diag_init(&d);
	if (machine_load(mname, &m, &d)) {
		diag_print(&d, stderr);
		return 1;
	}
	diag_release(&d);
	const int64_t ramp = m.fabric.ramp_latency_cycles;
	const int64_t hop = (int64_t)fabric_hop_cycles(&m.fabric);

	printf("machine %s: hop %lld cycles, ramp %lld, buffers %lld wavelets, "
	       "tolerance 5 %%\n\n",
	       m.name, (long long)hop, (long long)ramp,
	       (long long)m.fabric.buffer_depth_wavelets);
	printf("%-32s %10s %10s %9s %8s %9s %9s %9s  %s\n", "case", "engine",
	       "systemc", "diff", "rel", "eng s", "sc s", "sc/eng", "verdict");

	zero_load_case(&m, 16, 8);

	/* row broadcast: 64 wavelets multicast along a row of 16 PEs */
	struct plan_stage s;
	init_stage(&s, "bcast", 16, 1);
	s.work[PASS_FWD].bcast_wavelets = 64;
	s.work[PASS_FWD].bcast_axis = AXIS_X;
	stage_case(&m, "row broadcast 16 PEs, 64 wl", &s, PASS_FWD, 0, NULL);

	/* column reduction: 32 partial-sum wavelets down a column of 16 PEs,
	 * every PE of it taking each wavelet down its ramp, adding and
	 * sending it back up (fabric_relay_cycles(), as the engine models
	 * it since the relay rule; it was 80 vs 93 when the engine moved the
	 * chain at hop speed and counted the stream twice) */
	init_stage(&s, "reduce", 1, 16);
	s.work[PASS_FWD].reduce_wavelets = 32;
	s.work[PASS_FWD].reduce_axis = AXIS_Y;
	stage_case(&m, "column reduction 16 PEs, 32 wl", &s, PASS_FWD, 0,
		   NULL);

	/* a dense layer 1024 x 1024 on 16 x 16, forward and backward */
	tp_dense_stage(&s, &m, PREC_MIXED, 1024, 1024, 16, 16);
	s.name = (char *)"dense";
	/* with the weight-stationary kernel's software */
	stream_software(&m, &s, 1024, 1024, 16, 16, PASS_BWD_DATA);
	stage_case(&m, "dense 1024x1024 16x16 fwd", &s, PASS_FWD, 0, NULL);
	stage_case(&m, "dense 1024x1024 16x16 bwd-data", &s, PASS_BWD_DATA, 0,
		   NULL);

	/* a 3x3 convolution, 32 -> 32 channels, 32x32 image on 16 x 16: 2x2
	 * positions per PE, halo of one row and column of 32 channels */
	init_stage(&s, "conv", 16, 16);
	s.kind = KERNEL_CONV;
	struct kernel_work *cw = &s.work[PASS_FWD];
	cw->pe.fma = 4 * 9 * 32 * 32;
	cw->pe.ew = 4 * 32;
	cw->pe.sram_reads = cw->pe.fma / 4;
	cw->pe.sram_writes = 4 * 32 * 2 / 8;
	cw->pe.tasks = 1;
	cw->halo_wavelets = 2 * 2 * 32 * 2 / 4;
	stage_case(&m, "conv 3x3 32ch 16x16 fwd", &s, PASS_FWD, 0, NULL);

	mlp_case(&m, 6);

	/* synthetic traffic, 16 x 16, packets of 4 wavelets */
	traffic_case(&m, "uniform 16x16 load 0.04", TRAFFIC_UNIFORM, 0.04, 4,
		     16);
	traffic_case(&m, "uniform 16x16 load 0.08", TRAFFIC_UNIFORM, 0.08, 4,
		     16);
	traffic_case(&m, "uniform 16x16 load 0.12", TRAFFIC_UNIFORM, 0.12, 4,
		     16);
	traffic_case(&m, "hotspot 16x16 load 0.03", TRAFFIC_HOTSPOT, 0.03, 4,
		     16);

	printf("\n%s: %d case(s) outside tolerance\n", n_bad ? "FAIL" : "ok",
	       n_bad);
	return n_bad ? 1 : 0;
}
