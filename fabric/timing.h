/*
 * timing.h: the fabric's timing rules, in one place.
 *
 * The cycle-level fabric simulator (fabric/), the engine's stream model
 * (sim/) and the SystemC reference model all use these; a test checks the
 * simulator's zero-load latency equals fabric_stream_cycles() exactly.
 *
 * Model: a wavelet leaves its PE over the ramp (ramp latency), crosses each
 * link in hop_cycles = link latency + router latency (at least 1), and goes
 * down the ramp into the destination PE.  One wavelet per cycle per link per
 * direction, so a stream of n wavelets arrives n - 1 cycles after its head.
 *
 * Layer 1, fabric/ owns the mesh: timing rules, the cycle-level simulator
 * (fabsim.h), stream reservation (reserve.h), max-min flows (flow.h),
 * synthetic traffic (traffic.h), the SystemC router.  It may include
 * ground/ and cores/ (same layer); never a layer above
 * (docs/ARCHITECTURE.md, checked by tests/house/check_layers.py).
 */
#ifndef WAFERSIM_FABRIC_TIMING_H
#define WAFERSIM_FABRIC_TIMING_H

#include <stdint.h>

#include "fabric/fabric_params.h"
#include "ground/util.h"

/* Cycles for one wavelet to cross one link and its router (>= 1). */
cycles_t fabric_hop_cycles(const struct fabric_params *f);

/* Zero-load cycles from the first wavelet leaving the source PE to the last
 * one arriving in the destination PE, `hops` links apart, `n` wavelets. */
cycles_t fabric_stream_cycles(const struct fabric_params *f, int64_t hops,
			      int64_t n);

/*
 * A reduction chain relayed PE by PE: every PE after the first takes each
 * wavelet down its ramp, adds its own partial sum and sends the sum back
 * up, `latency` cycles after taking it, and takes one wavelet every
 * max(1, rate) cycles (cores/pe.h pe_relay_latency_cycles and
 * pe_relay_cycles).  The head pays fabric_relay_link_cycles() = hop +
 * 2 ramp + latency per link (not just a hop).
 * fabric_relay_cycles(): zero-load cycles from the head leaving the first
 * PE to the tail leaving the last, `links` links apart, `n` wavelets:
 *     links (hop + 2 ramp + latency) + (n - 1) max(1, rate)  (links > 0)
 *     n - 1                                                   (links == 0)
 * The engine's task latency and its per-PE chain (sim/engine.c) and the
 * compiler's estimate use these; the kernels' collectives
 * (fabric/collective.h) use the same link; the SystemC reference runs
 * the same relay wavelet by wavelet.
 */
cycles_t fabric_relay_link_cycles(const struct fabric_params *f,
				  cycles_t latency);
cycles_t fabric_relay_cycles(const struct fabric_params *f, int64_t links,
			     int64_t n, cycles_t latency, cycles_t rate);

/* Wavelets needed to carry `bytes` (payload wavelet_bits each). */
int64_t fabric_wavelets(const struct fabric_params *f, int64_t bytes);

#endif
