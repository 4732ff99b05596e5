/*
 * engine_int.h: private to the engine (sim/engine*.c), as SQLite's
 * vdbeInt.h is to the VDBE.  The run-time state of one simulation
 * (struct sim, layout in engine.c's head) and the steps the engine's files
 * share.  Who calls whom (no file calls back up):
 *
 *   engine.c (events, engine_run)
 *     -> engine_setup.c   plan check, run-time state, credits, release
 *     -> engine_stream.c  weight streaming
 *     -> engine_finish.c  totals, link counts, times, bottleneck
 *     -> engine_task.c    a task's timing, full mode, route geometry
 *     -> engine_budget.c  memory estimate and budget, before allocating
 *   engine_roofline.c (engine_roofline) -> engine_task.c
 */
#ifndef WAFERSIM_ENGINE_INT_H
#define WAFERSIM_ENGINE_INT_H

#include <stdint.h>

#include "ground/event.h"
#include "sim/engine.h"

enum { EV_TRY = 0, EV_DONE, EV_OUT_FWD, EV_OUT_BWD, EV_ARRIVE };
enum { TASK_NONE = 0, TASK_FWD, TASK_BWD, TASK_UPDATE };

struct stage_rt {
	/* per pass: occupancy of the reference PE, its compute part, what
	 * limits it, and the extra latency from the task's start to its
	 * output leaving the rectangle beyond the occupancy */
	cycles_t occ[PASS_COUNT], comp[PASS_COUNT], lat[PASS_COUNT];
	/* per pass: cycles from the task's start until its partial sums are
	 * final and the reduction stream can leave (task_ready()) */
	cycles_t ready[PASS_COUNT];
	enum stats_limit lim[PASS_COUNT];
	double task_hops[PASS_COUNT]; /* wavelet hops inside the rect */
	int64_t pes;
	int fwd_need, bwd_need;	 /* input routes to wait for */
	int64_t next_fwd, next_bwd, updates;
	int task;		 /* TASK_* running, TASK_NONE when idle */
	cycles_t free_at;
	int blocked;		 /* ready forward task held by back-pressure */
	cycles_t blocked_since;
	int n_out_fwd, n_out_bwd, n_cons, n_prod;
	int *out_fwd, *out_bwd;	 /* route ids */
	int *cons, *prod;	 /* stage ids (consumers hold back-pressure) */
	int64_t *credits;	 /* per consumer: samples this stage may be
				    ahead of that consumer's starts */
	int sink;		 /* forward output goes to no stage */
	/* full mode: occupancy of the four tile shapes (columns with the
	 * larger or smaller share of K x rows with that of N) */
	cycles_t occ_full[PASS_COUNT][4];
	cycles_t ready_full[PASS_COUNT][4];
	int64_t k_big_cols, n_big_rows; /* columns / rows with the larger share */
	/* shared weights (plan ROUTE_GRAD_SYNC / ROUTE_WEIGHT_SYNC): sync
	 * routes this stage sends once per step (gradients after its last
	 * backward of the step, weights after its update) and how many it
	 * waits for before its update (gradients: owner; weights: replica,
	 * whose "update" is taking the owner's new weights in) */
	int n_gsync_out, n_wsync_out, gsync_need, wsync_need;
	int *gsync_out, *wsync_out;
	/* time-shared stages (plan_stage.sharing, compiler/map_share.h):
	 * the other stages on this rectangle, which runs one task at a time
	 * among them; a guest's host (its gradients count as a gradient
	 * sync of the host's, at no cost) or -1; a host's guests (its
	 * update counts as their weight sync) */
	int n_mates, *mates;
	int share_host;
	int n_guests, *guests;
};

struct eroute {
	int src, dst;	 /* stage ids; src == n: host; dst == -1: host */
	int fwd;	 /* 1 activations, 0 gradients */
	int64_t wavelets, lanes, ser, hops;
	int n_links;
	int64_t *links;	 /* link ids along the representative path */
	/* the bundle: `lanes` parallel copies of each link of the path, side
	 * by side across its direction (bundle_lo()); the stream holds all of
	 * them and every one carries its share of the wavelets */
	int64_t n_sends; /* samples sent over the run (for the link counts) */
	int64_t *lf;	 /* per path link: link_free index of its first lane */
	int sync;	 /* plan route kind: ROUTE_SAMPLE, or once per step */
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
	struct stage_rt *sg;
	struct eroute *rt;
	uint16_t *fwd_got, *bwd_got;
	uint8_t *fwd_done;
	cycles_t *sample_out;
	cycles_t *step_end;
	int *step_count;
	uint64_t *link_free;
	uint64_t *pe_free;
	struct event_queue q;
	cycles_t hop, ramp;
	cycles_t relay;	/* cycles a relayed wavelet spends in a PE (pe.h) */
	cycles_t relay_rate; /* cycles a PE spends per relayed wavelet */
	int64_t samples_out;
	int64_t host_bytes;	/* host input bytes per sample */
	/* sync routes arrived per stage and step: [(n + 1) * steps] */
	uint16_t *gsync_got, *wsync_got;
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
double eng_task_hops(const struct rect *r, const struct kernel_work *w);
void eng_full_setup(struct sim *s, int si);
cycles_t eng_full_task(struct sim *s, int si, int pa, int pb, cycles_t t0);
void eng_route_links(struct sim *s, struct eroute *e,
		     const struct plan_point *pt, int np, int reverse);
int64_t eng_bundle_lo(const struct sim *s, const struct eroute *e,
		      int64_t link);
int64_t eng_bundle_link(const struct sim *s, int64_t link, int64_t lane);
int64_t eng_bundle_free_index(const struct sim *s, const struct eroute *e,
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

/* engine_share.c: time-shared stages' mates, host and guests (after the
 * routes are wired); their release */
void eng_share_setup(struct sim *s);
void eng_share_release(struct sim *s);

/* engine_stream.c */
void eng_run_streaming(struct sim *s);

/* engine_finish.c */
void eng_finish(struct sim *s);

#endif
