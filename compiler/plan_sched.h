/*
 * plan_sched.h: the pipelined schedule of a plan, one set of rules for the
 * engine (sim/engine.c, which times every stream on the fabric's links)
 * and the objective's replay (compiler/plan_estimate_replay.c, which times
 * them from which bundles share a link).  What is here is everything the
 * two have in common: the route table, who waits for whom, back-pressure
 * credits (compiler/plan_credit.h), time-shared rectangles, the host's
 * task, and the dispatch, event by event.  What differs is behind hooks.
 *
 * Stages [0, n) are the plan's, stage n is the host (its task pushes one
 * sample through the edge I/O).  Routes [0, p->n_routes) are the plan's;
 * training a plan without backward routes adds its forward routes between
 * stages, reversed, after them.
 *
 * A stage's dispatch, whenever one of its servers (sample copies, one
 * server for a stage without) is idle and so is every stage sharing its
 * rectangle: its update when the step's backward tasks, gradient syncs
 * (and, for a replica, weight syncs) are in and every server is idle;
 * else (on the sample's server) the oldest backward task
 * whose forward has left and whose gradients have arrived; else the next
 * forward task when its inputs are in, the stage has updated for its step,
 * its SRAM has room for one more sample's activations (training: fewer
 * than its slots between forwards started and backwards started,
 * compiler/plan_credit.h plan_act_slots) and every consumer has a credit.  Events fire in time order, ties in
 * push order (ground/event.h), so a run is deterministic.
 *
 * Use: plan_sched_init(); fill each stage's occ[] and lat[] and each
 * route's lanes, ser and hops; plan_sched_wire(); set the hooks;
 * plan_sched_run(); read step_end[] / sample_out[]; plan_sched_release().
 */
#ifndef WAFERSIM_COMPILER_PLAN_SCHED_H
#define WAFERSIM_COMPILER_PLAN_SCHED_H

#include <stdint.h>

#include "compiler/plan.h"
#include "ground/event.h"
#include "machine/machine.h"

enum { SCHED_EV_TRY = 0, SCHED_EV_DONE, SCHED_EV_OUT_FWD, SCHED_EV_OUT_BWD,
       SCHED_EV_ARRIVE };
enum { SCHED_NONE = 0, SCHED_FWD, SCHED_BWD, SCHED_UPDATE };

struct plan_sched_stage {
	/* per pass, filled by the caller: occupancy of a task, and the
	 * latency from its start to its output leaving, beyond occ */
	cycles_t occ[PASS_COUNT], lat[PASS_COUNT];
	int fwd_need, bwd_need;	 /* input routes to wait for */
	int gsync_need, wsync_need; /* sync arrivals before an update */
	int64_t next_fwd, next_bwd, updates;
	int task;		 /* SCHED_* last started, SCHED_NONE when
				    every server is idle */
	cycles_t free_at;	 /* when the task last started ends */
	/* servers: the stage's sample copies (plan.h `copies`), each
	 * running one task at a time: sample s's forward and backward on
	 * server s mod copies, the update on all of them at once */
	int copies;
	int stask[PLAN_MAX_COPIES];
	cycles_t sfree[PLAN_MAX_COPIES];
	int blocked;		 /* a ready forward held by back-pressure */
	cycles_t blocked_since;
	int n_out_fwd, n_out_bwd, n_cons, n_prod, n_gsync_out, n_wsync_out;
	int *out_fwd, *out_bwd;	 /* route ids */
	int *cons, *prod;	 /* stage ids (consumers hold back-pressure) */
	int *gsync_out, *wsync_out; /* sync routes sent once per step */
	int64_t *credits;	 /* per consumer: samples this stage may be
				    ahead of that consumer's starts */
	int64_t slots;		 /* training: samples whose activations it
				    holds at most (plan_act_slots) */
	int sink;		 /* forward output goes to no stage */
	/* time-shared rectangles (compiler/map_share.h): the other stages on
	 * it; a guest's host (its gradients count as a gradient sync of the
	 * host's) or -1; a host's guests (its update is their weight sync) */
	int n_mates, *mates, share_host, n_guests, *guests;
};

struct plan_sched_route {
	int src, dst;	 /* stage ids; src == n: host; dst == -1: host */
	int fwd;	 /* 1 activations, 0 gradients (and syncs) */
	int sync;	 /* plan route kind: ROUTE_SAMPLE, or once per step */
	int64_t wavelets; /* per sample (per step for a sync) */
	int64_t lanes, ser, hops; /* filled by the caller */
	const struct plan_route *pr; /* where it comes from */
	int reverse;	 /* pr's path walked backwards */
};

/* What the user of the schedule times itself.  send: route ri's stream of
 * sample (step, for a sync) smp ready at `ready`: the cycle it arrives at
 * the far end (the host's I/O latency is added here).  start (optional):
 * stage si starts a task of `kind` at now (its free_at and task already
 * set): for a forward or backward task of a stage, the cycle its output
 * leaves (default now + occ + lat of the pass).  event (optional): called
 * after every event. */
struct plan_sched_hooks {
	cycles_t (*send)(void *ctx, int ri, uint64_t smp, cycles_t ready);
	cycles_t (*start)(void *ctx, int si, int kind, uint64_t smp,
			  cycles_t now);
	void (*event)(void *ctx);
};

struct plan_sched {
	const struct plan *p;
	const struct machine *m;
	int n, nr, train, steps;
	int64_t B, S;
	struct plan_sched_stage *sg;	/* [n + 1] */
	struct plan_sched_route *rt;	/* [nr] */
	int64_t host_bytes;		/* host input bytes per sample */
	/* per stage and sample [(n + 1) * S]: inputs arrived, forward left */
	uint16_t *fwd_got, *bwd_got;
	uint8_t *fwd_done;
	/* per stage and step [(n + 1) * steps]: syncs arrived */
	uint16_t *gsync_got, *wsync_got;
	cycles_t *sample_out;		/* [S] last output of each sample */
	cycles_t *step_end;		/* [steps] last update of each step */
	int *step_count;
	struct event_queue q;
	struct plan_sched_hooks h;
	void *ctx;
};

/* Routes of plan p's schedule (training: `train`): its own, plus its
 * forward routes between stages reversed when it has no backward ones. */
int plan_sched_n_routes(const struct plan *p, int train);

/* The stages and route table of plan p (S samples: train ? B * steps). */
void plan_sched_init(struct plan_sched *s, const struct plan *p,
		     const struct machine *m, int train, int64_t B,
		     int steps, int64_t S);

/* Who waits for whom, the host's task, credits, shared rectangles, and the
 * run's records; after the caller filled occ, lat, lanes, ser, hops. */
void plan_sched_wire(struct plan_sched *s);

/* Every stage tries at cycle 0, then events until none is left. */
void plan_sched_run(struct plan_sched *s);

/* The first stage that did not run all its tasks (the plan deadlocks),
 * or -1. */
int plan_sched_unfinished(const struct plan_sched *s);

/* Inference: the steady interval between outputs, over the second half
 * of the run's S samples, widened to whole rounds of every stage's
 * sample copies (a stage of R copies finishes its samples R at a time,
 * so a window that cuts a round in two measures a burst, not the pace);
 * cycles, rounded down.  The engine and the objective's replay report
 * this one figure. */
cycles_t plan_sched_interval(const struct plan_sched *s);

void plan_sched_release(struct plan_sched *s);

#endif
