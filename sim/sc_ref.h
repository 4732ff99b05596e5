/*
 * sc_ref.h: the SystemC reference model, seen from C.
 *
 * A wavelet-level, cycle-by-cycle model of the mesh (fabric/sc_router.h),
 * its PEs (cores/sc_pe.h) and the top level (sim/sc_top.h).  It calls the
 * same timing rules as the engine (fabric/timing.h, cores/pe.h), so the two
 * fidelities can differ only in how they aggregate.  It is the reference the
 * fast engine and the C fabric simulator are checked against
 * (tests/validate/ref_*.sh, docs/reference.md), and the source of VCD
 * waveforms.
 *
 * Two kinds of run:
 *   - traffic: synthetic patterns (uniform, transpose, ...) injected by every
 *     PE, destination-routed X then Y; prints what network simulators print;
 *   - program: every PE runs a short list of operations (send, receive,
 *     compute, relay) over static colour routes with multicast fan-out; a
 *     broadcast, a reduction or a plan's stage becomes such a program.
 *
 * Each run happens in a child process (fork): the SystemC kernel keeps its
 * state in globals and cannot elaborate twice, so running in a child keeps
 * the library free of mutable globals, lets one process run many reference
 * simulations, and turns a crash of the model into an error here.  Results
 * come back through a pipe; the VCD file (if asked) is written to a
 * temporary name and renamed into place only when the run succeeds.
 *
 * Meshes up to SC_REF_MAX_SIDE x SC_REF_MAX_SIDE; larger ones are refused.
 */
#ifndef WAFERSIM_SC_REF_H
#define WAFERSIM_SC_REF_H

#include <stdint.h>

/* The C headers below have no linkage guards of their own. */
#ifdef __cplusplus
extern "C" {
#endif

#include "compiler/plan.h"
#include "cores/pe.h"
#include "cores/sc_prog.h"
#include "ground/diag.h"
#include "machine/machine.h"
#include "ground/util.h"

/* Pattern by name ("uniform", ...); -1 if unknown. */
int sc_ref_pattern_parse(const char *name);
const char *sc_ref_pattern_name(int pattern);

void sc_ref_opts_init(struct sc_ref_opts *o);
void sc_ref_traffic_init(struct sc_ref_traffic *t);

/* Empty program on a mesh (routes all 0, no ops). */
void sc_ref_program_init(struct sc_ref_program *p, const struct machine *m,
			 int64_t width, int64_t height);
void sc_ref_program_release(struct sc_ref_program *p);
/* Append an op to PE `pe`; PEs must be filled in increasing id order. */
void sc_ref_program_add(struct sc_ref_program *p, int64_t pe,
			const struct sc_ref_op *op);
/* Close the program (fills `first` for PEs with no ops). */
void sc_ref_program_end(struct sc_ref_program *p);
/* Route colour c along a straight path from PE src to PE dst (same row or
 * column), delivering to every PE after src (multicast) or only to dst. */
void sc_ref_route_line(struct sc_ref_program *p, int64_t colors, int color,
		       int64_t src, int64_t dst, int multicast);

struct sc_ref_program_stats {
	int64_t cycles; /* first cycle to the last PE's last event */
	int64_t wavelets_injected, wavelets_ejected;
	int64_t unroutable;
	int64_t busy_cycles_max; /* compute cycles of the busiest PE */
	int32_t last_pe;	 /* the PE that finished last */
	int deadlock;		 /* 1: max_cycles reached with work left */
	double wall_s;
};

/*
 * One task of a plan stage (struct kernel_work of one pass, on a w x h
 * rectangle) as a program, the way compiler/plan.h maps it: a row of
 * feeder PEs outside the rectangle multicasts the input along the broadcast
 * axis, every PE exchanges its halo with its east neighbour, runs the task
 * (SC_OP_TASK), and the partial sums are relayed PE by PE along the
 * reduction axis (one add per wavelet) into drain PEs beyond the far edge.
 * *edge_adjust is what to add to the program's cycles to get the time from
 * the input at the rectangle's edge to the output leaving it (the feeders'
 * and drains' own ramps and hops removed, or the ramps the program does not
 * have added), the quantity the engine reports as a task's latency.
 * 0 or WS_EINPUT (rectangle plus feeders and drains beyond 64 x 64).
 */
int sc_ref_program_stage(struct sc_ref_program *p, const struct machine *m,
			 int64_t w, int64_t h, enum pe_prec prec,
			 const struct kernel_work *kw, int64_t *edge_adjust,
			 struct diag *d);

/*
 * `wafersim fabric --engine systemc`: the synthetic traffic of `c`
 * (fabric/traffic.h: pattern, rate, packet length, warm-up, window, drain
 * limit, hotspot share, source queue bound, seed) on the reference model,
 * reported in the C simulator's struct traffic_result so both print alike.
 * The reference draws its own random numbers, so figures agree
 * statistically, not bit for bit.  0, WS_EINPUT or WS_EIO.
 */
struct traffic_config;
struct traffic_result;
int sc_ref_traffic_run(const struct machine *m, const struct traffic_config *c,
		       const struct sc_ref_opts *o, struct traffic_result *r,
		       struct diag *d);

/*
 * `wafersim run --engine systemc`: every stage of `p` (forward, and
 * backward-to-data when `train`), one task each, on the reference model
 * (sc_ref_program_stage), printed beside the engine's latency of the same
 * task (st->stages[s].latency_cycles, from engine_run) with the difference;
 * a stage whose rectangle with feeders and drains exceeds 64 x 64 is listed
 * as skipped.  `o` may ask for a waveform of the slowest stage's forward
 * task.  Returns 0, or the first error (and stops) with messages in `d`;
 * *worst_rel gets the largest relative difference.
 */
struct stats;
int sc_ref_check_plan(const struct plan *p, const struct machine *m,
		      const struct stats *st, int train,
		      const struct sc_ref_opts *o, FILE *out, double *worst_rel,
		      struct diag *d);

/* 0 or WS_EINPUT if the mesh is too large for the reference model. */
int sc_ref_check_mesh(int64_t width, int64_t height, struct diag *d);

/* Run; 0, WS_EINPUT (bad spec or mesh), WS_EIO (the child failed or the
 * VCD file could not be written). */
int sc_ref_run_traffic(const struct machine *m, const struct sc_ref_traffic *t,
		       const struct sc_ref_opts *o,
		       struct sc_ref_traffic_stats *out, struct diag *d);
int sc_ref_run_program(const struct machine *m, const struct sc_ref_program *p,
		       const struct sc_ref_opts *o,
		       struct sc_ref_program_stats *out, struct diag *d);

#ifdef __cplusplus
}
#endif

#endif
