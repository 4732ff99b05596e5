/*
 * engine_int.h: private to the engine (sim/engine*.c), as SQLite's
 * vdbeInt.h is to the VDBE.  The run-time state of one simulation
 * (struct sim, layout in engine.c's head) and the steps the engine's files
 * share.  Who calls whom (no file calls back up):
 *
 *   engine.c (events, engine_run)
 *     -> compiler/plan_sched.c  the schedule: wiring, credits, dispatch
 *     -> engine_setup.c   plan check, run-time state, release
 *     -> engine_stream.c  weight streaming
 *     -> engine_finish.c  totals, link counts, times, bottleneck
 *     -> engine_task.c    a task's timing, full mode, route geometry
 *     -> engine_budget.c  memory estimate and budget, before allocating
 *   engine_roofline.c (engine_roofline) -> engine_task.c
 */
#ifndef WAFERSIM_ENGINE_INT_H
#define WAFERSIM_ENGINE_INT_H

#include <stdint.h>

#include "compiler/plan_sched.h"
#include "sim/engine.h"

/* Engine-only state of a stage; what the schedule needs (occupancy,
 * latency, who waits for whom, credits) is its plan_sched_stage
 * (compiler/plan_sched.h), s->k.sg[i]. */
struct stage_rt {
	/* per pass: compute part of the occupancy, what limits it */
	cycles_t comp[PASS_COUNT];
	/* per pass: cycles from the task's start until its partial sums are
	 * final and the reduction stream can leave (task_ready()) */
	cycles_t ready[PASS_COUNT];
	enum stats_limit lim[PASS_COUNT];
	double task_hops[PASS_COUNT]; /* wavelet hops inside the rect */
	int64_t pes;
	/* full mode: occupancy of the four tile shapes (columns with the
	 * larger or smaller share of K x rows with that of N) */
	cycles_t occ_full[PASS_COUNT][4];
	cycles_t ready_full[PASS_COUNT][4];
	int64_t k_big_cols, n_big_rows; /* columns / rows with the larger share */
};

/* Engine-only state of a route (s->k.rt[i] holds its ends, kind,
 * wavelets, lanes, serialisation and hops). */
struct eroute {
	int n_links;
	int64_t *links;	 /* link ids along the representative path */
	/* the bundle: `lanes` parallel copies of each link of the path, side
	 * by side across its direction (bundle_lo()); the stream holds all of
	 * them and every one carries its share of the wavelets */
	int64_t n_sends; /* samples sent over the run (for the link counts) */
	int64_t *lf;	 /* per path link: link index of its first lane */
	int64_t *cls;	 /* the link classes of the bundle (link_free) */
	int n_cls;
};

struct sim {
	const struct plan *p;
	const struct graph *g;
	const struct machine *m;
	struct engine_opts o;
	struct stats *st;
	int n, nr;
	int64_t B, S;
	int steps, train;
	struct plan_sched k;	/* the schedule and its records */
	struct stage_rt *sg;	/* [n + 1] */
	struct eroute *rt;	/* [nr] */
	uint64_t *link_free; /* per link class (engine.c) */
	uint64_t *pe_free;
	cycles_t hop, ramp;
	cycles_t relay;	/* cycles a relayed wavelet spends in a PE (pe.h) */
	cycles_t relay_rate; /* cycles a PE spends per relayed wavelet */
};

static inline int64_t ceil_div64(int64_t a, int64_t b)
{
	return b <= 0 ? 0 : (a + b - 1) / b;
}

static inline cycles_t cmax(cycles_t a, cycles_t b)
{
	return a > b ? a : b;
}
/* Extent of a rectangle along an axis, and across it. */
static inline int64_t along(const struct rect *r, enum plan_axis a)
{
	return a == AXIS_X ? r->w : r->h;
}

static inline int64_t across(const struct rect *r, enum plan_axis a)
{
	return a == AXIS_X ? r->h : r->w;
}

/* engine_task.c */
cycles_t eng_task_ready(const struct machine *m, enum pe_prec prec,
			const struct kernel_work *w);
cycles_t eng_task_lat(const struct sim *s, const struct rect *r,
		      const struct kernel_work *w, cycles_t occ, cycles_t ready);
double eng_task_hops(const struct plan_stage *ps, int pass);
void eng_full_setup(struct sim *s, int si);
cycles_t eng_full_task(struct sim *s, int si, int pa, int pb, cycles_t t0,
		       int copy);
void eng_route_links(struct sim *s, struct eroute *e,
		     const struct plan_point *pt, int np, int reverse);
int64_t eng_bundle_lo(const struct sim *s, int64_t lanes, int64_t link);
int64_t eng_bundle_link(const struct sim *s, int64_t link, int64_t lane);
int64_t eng_bundle_free_index(const struct sim *s, int64_t lanes,
			      int64_t link);
/* Count n tasks of stage si's pass over [t0, t1) (operations, SRAM,
 * in-rectangle hops, per window). */
void eng_count_work(struct sim *s, int si, int pass, cycles_t t0,
		    cycles_t t1, int64_t n);

/* engine_setup.c */
/* engine_budget.c: the bytes a run will allocate (before it does), and
 * the check against engine_opts.max_memory_bytes.  0 or WS_EINPUT. */
double eng_estimate_bytes(const struct sim *s);
int eng_budget_check(const struct sim *s, struct diag *d);

int eng_check_plan(const struct plan *p, const struct machine *m,
		   struct diag *d);
void eng_setup(struct sim *s);
void eng_sim_release(struct sim *s);

/* engine_stream.c */
void eng_run_streaming(struct sim *s);

/* engine_finish.c */
void eng_finish(struct sim *s);

#endif
