/*
 * plan_credit.h: back-pressure credits of a pipelined plan, one rule for
 * the engine (sim/engine_setup.c) and the objective's replay of its
 * schedule (compiler/plan_estimate_replay.c).
 *
 * A producer may run ahead of a consumer's forward starts by the
 * consumer's input slots plus what the path between them holds at full
 * rate: its transit latency (the producer's task and its broadcast and
 * reduction chain, the route's hops and ramps, the host I/O latency) over
 * the serialisation of one sample (router buffers hold at least one
 * wavelet per hop, so a long path is also a deep queue).  And when a
 * consumer's inputs arrive by paths of different latency (Uno's doses go
 * straight from the host to the head, its encoders take three stages),
 * the early input is buffered at the consumer for the skew between them;
 * without this the short path would throttle the whole pipeline, which
 * the hardware does not do.
 */
#ifndef WAFERSIM_COMPILER_PLAN_CREDIT_H
#define WAFERSIM_COMPILER_PLAN_CREDIT_H

#include <stdint.h>

#include "compiler/plan.h"
#include "fabric/fabric_params.h"
#include "ground/util.h"
#include "machine/machine.h"

/* Samples a stage buffers at its input edge: double buffering, one sample
 * arriving while one computes [U]. */
#define PLAN_INPUT_SLOTS 2

/* A route as the rule sees it: stage ids (src == n: the host; dst < 0:
 * to the host), forward (activations) or not, serialisation and hops of
 * its bundle (as the engine lays it). */
struct plan_credit_route {
	int src, dst, fwd;
	int64_t ser, hops;
};

/*
 * Credits per route: out[r], for a forward route r between a producer
 * and a consumer stage, the samples the producer may be ahead of that
 * consumer's forward starts (at least PLAN_INPUT_SLOTS); 0 for other
 * routes.  occ[i], lat[i]: stage i's forward occupancy and latency beyond
 * it (i = n: the host's task and the I/O latency).  A producer's credit
 * toward a consumer is the largest over the routes joining them.
 */
void plan_credits(const struct fabric_params *f, int n, const cycles_t *occ,
		  const cycles_t *lat, const struct plan_credit_route *r,
		  int nr, int64_t *out);

/* Stage src's credits toward each of its n_cons consumers cons[k], from
 * the routes' credits rc (plan_credits): the largest over the routes
 * joining them, at least PLAN_INPUT_SLOTS. */
void plan_credits_of(const struct plan_credit_route *r, int nr,
		     const int64_t *rc, int src, const int *cons, int n_cons,
		     int64_t *out);

/*
 * Samples stage s may hold in training between a forward's start and the
 * end of that sample's backward: its PEs keep every such sample's saved
 * activations in SRAM, so a forward waits while they hold as many as fit.
 * That is the samples_in_flight the compiler sized the stage's SRAM for
 * (compiler/map.h map_in_flight), plus as many more as the PE's free
 * SRAM holds (pe.sram_bytes less the rectangle's use, map_share_sram,
 * shared evenly by the stages time-sharing it; with sample copies,
 * plan.h, as many more per copy, each copy's activations sized for
 * ceil(in flight / copies) samples); at most the batch, and
 * the batch when the stage saves no activations.
 */
int64_t plan_act_slots(const struct plan *p, const struct machine *m, int s);
/* The same, the stages on s's rectangle (s and those time-shared with it)
 * counted by the caller: `tenants` (plan_sched knows them; the count
 * costs a scan of every stage). */
int64_t plan_act_slots_of(const struct plan *p, const struct machine *m, int s,
			  int64_t tenants);

#endif
