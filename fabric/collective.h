/*
 * collective.h: reductions and broadcasts along a line of PEs, in cycles.
 *
 * The public models of the fabric's collectives (Luczynski et al.,
 * "Near-Optimal Wafer-Scale Reduce", HPDC'24, as summarised in
 * models/measured/wse3/README.md), written with the machine's own hop and
 * ramp (fabric/timing.h) and the PE's relay latency r (the cycles a
 * wavelet spends in a PE that adds it to its own and sends it on:
 * cores/pe.h pe_relay_latency_cycles, the same the engine's chains pay;
 * 1 in the published model).  With hop = 1
 * and r = 1 each reduces to the published closed form (tests/unit/
 * test_collective.c checks them):
 *
 *   star       B(P-1) + 2 T_R + 1             all PEs send to the root,
 *                                             which takes one wavelet a cycle
 *   chain      B + (2 T_R + 2)(P - 1)         relayed PE by PE
 *   two-phase  chains inside G groups towards their middle PE, then a
 *              chain of the group roots (links g hops long) towards the
 *              middle root: depth g/2 + G/2 links, contention 2B
 *   tree       binary: level l joins PEs 2^l apart, ceil(log2 P) levels
 *   bcast 1-D  B + P + 2 T_R                  multicast, free fan-out
 *   bcast 2-D  B + M + N - 2 + 2 T_R + 1      on M x N
 *   ring       2(P-1)B/P + 4P - 6 + 2(P-1)(2 T_R + 1)   all-reduce
 *
 * P PEs, B wavelets per PE; every function returns the zero-load cycles
 * from the first send to the last wavelet at its destination, 0 when
 * there is nothing to do (P <= 1 or B <= 0).  Used by the kernel
 * algorithms (compiler/kern_*.c).
 */
#ifndef WAFERSIM_FABRIC_COLLECTIVE_H
#define WAFERSIM_FABRIC_COLLECTIVE_H

#include <stdint.h>

#include "fabric/fabric_params.h"
#include "ground/util.h"

/* One link of a relayed chain `hops` links long: hops x hop + 2 ramp + r. */
cycles_t coll_link_cycles(const struct fabric_params *f, int64_t hops,
			  cycles_t relay);

cycles_t coll_star_reduce(const struct fabric_params *f, int64_t P, int64_t B,
			  cycles_t relay);
cycles_t coll_chain_reduce(const struct fabric_params *f, int64_t P,
			   int64_t B, cycles_t relay);
/* Root in the middle of each of G groups of ceil(P/G), roots chained to
 * the middle group's root.  G <= 1 is a chain to the middle PE. */
cycles_t coll_two_phase_reduce(const struct fabric_params *f, int64_t P,
			       int64_t G, int64_t B, cycles_t relay);
cycles_t coll_tree_reduce(const struct fabric_params *f, int64_t P,
			  int64_t B, cycles_t relay);
/* Multicast from the PE `root` (0-based) of the line to all P. */
cycles_t coll_bcast(const struct fabric_params *f, int64_t P, int64_t root,
		    int64_t B);
/* Multicast from a corner of an M x N rectangle to all of it. */
cycles_t coll_bcast_2d(const struct fabric_params *f, int64_t M, int64_t N,
		       int64_t B);
cycles_t coll_ring_allreduce(const struct fabric_params *f, int64_t P,
			     int64_t B, cycles_t relay);

/* Where coll_two_phase_reduce() leaves the sum (0-based PE). */
int64_t coll_two_phase_root(int64_t P, int64_t G);

#endif
