/*
 * fabsim.h: the cycle-level fabric simulator (one wavelet per link per
 * direction per cycle, per-color input buffers with credits, round-robin
 * arbitration, static multicast routes and X-then-Y point-to-point routes).
 *
 * Who calls it: `wafersim fabric` (synthetic traffic, fabric/traffic.h), the
 * engine when it wants wavelet accuracy on a small region, the tests that
 * check the stream model (fabric/flow.h), and the SystemC reference model,
 * which drives the same API and compares counters.
 *
 * Timing (the rules of fabric/timing.h, reproduced exactly at zero load):
 *   - a PE puts at most one wavelet per cycle on its ramp; it is in the
 *     router's ramp input buffer `ramp_latency_cycles` later;
 *   - a router forwards the head wavelet of an input buffer in the cycle it
 *     is there; it is in the neighbour's input buffer fabric_hop_cycles()
 *     later (link + router latency), or in the PE's receive buffer
 *     `ramp_latency_cycles` later when the output is the ramp;
 *   - the PE consumes one wavelet per cycle (or one every N cycles: a slow
 *     consumer, fabsim_set_sink_interval).
 *   So a packet of n wavelets over h hops takes
 *   fabric_stream_cycles(f, h, n) = 2 ramp + h hop + n - 1 cycles from its
 *   first wavelet leaving the source PE to its last one consumed, provided
 *   buffer_depth_wavelets >= max(hop, ramp) + 1 (else credits throttle the
 *   stream; see docs/fabric.md).
 *
 * Buffers and back-pressure: every router has, per (input port, color), a
 * FIFO of buffer_depth_wavelets; the PE has one per color for what the ramp
 * delivers.  A sender may send only while the receiving FIFO has a credit;
 * a credit comes back the cycle after the receiver forwards the wavelet
 * (evaluate-then-update: what one router does in a cycle cannot depend on
 * the order routers are visited).  Wavelets in flight on a link occupy
 * their slot already.  Nothing is ever dropped for lack of space.
 *
 * Arbitration: each output port grants one wavelet per cycle, round-robin
 * over the (input port, color) FIFOs whose ready head wants that output and
 * has a credit downstream.  Flat over pairs, so streams on distinct colors
 * share a link evenly (max-min fair, as the stream model assumes); streams
 * on one color merge per input port (the classic parking-lot unfairness of
 * round-robin meshes).  A multicast head is copied to each of its outputs
 * as they grant it and leaves its FIFO when all have.
 *
 * Routing per color (fabsim_color_mode):
 *   FABSIM_XY      (default) the wavelet carries its packet's destination;
 *                  every router sends it X first, then Y, then down the ramp.
 *   FABSIM_STATIC  the route table of (router, color): one receive port and a
 *                  set of transmit ports (fabsim_set_route).  A wavelet that
 *                  arrives on another port, or where no route is set, is a
 *                  routing error of the modelled program: it is dropped and
 *                  counted (fabsim_counters.dropped).
 *
 * Packets: fabsim_inject() queues a packet of n wavelets at its source PE
 * for a given cycle; the PE sends queued packets in order (one FIFO per PE).
 * Latencies per packet: created (the cycle asked for), injected (its first
 * wavelet left the PE), done (its last wavelet consumed by the last of its
 * destination PEs).  Packet latency = done - created, network latency =
 * done - injected, as BookSim reports them.
 *
 * State: struct-of-arrays by router id, only routers with work are visited
 * (in id order).  Memory is about 130 + colors * 6 * (8 + 12 * depth) bytes
 * per router (links included): the WSE-2 grid with one modelled color and
 * depth 4 takes about 360 MB.  At most 32 colors are modelled at once:
 * model only the colors you use (fabsim_config.colors).
 *
 * Not thread-safe per object; two objects may run on two threads.
 */
#ifndef WAFERSIM_FABRIC_FABSIM_H
#define WAFERSIM_FABRIC_FABSIM_H

#include <stdint.h>

#include "fabric/fabric_params.h"
#include "fabric/mesh.h"
#include "ground/diag.h"
#include "ground/util.h"

struct fabsim;

struct fabsim_config {
	int32_t width, height;	     /* mesh, 1..4096 each */
	int32_t colors;		     /* colors modelled, 1..params.colors */
	struct fabric_params params; /* latencies, buffer depth, colors */
	/* Forget a packet's record once it is done and reported through the
	 * done hook (long synthetic runs); then fabsim_packet() on it fails. */
	int recycle_packets;
	/* Memory budget in bytes (0: mem_budget_default(), half the RAM):
	 * fabsim_new refuses a mesh whose state would not fit, stating the
	 * estimate (fabsim_estimate_bytes) and the limit. */
	int64_t max_memory_bytes;
};

/* Bytes fabsim_new would allocate for `cfg` before any packet (the formula
 * above), without allocating. */
double fabsim_estimate_bytes(const struct fabsim_config *cfg);

enum { FABSIM_XY = 0, FABSIM_STATIC = 1 };

/* What fabsim_run() stopped on. */
enum {
	FABSIM_DONE = 0,     /* nothing queued, in flight or pending */
	FABSIM_LIMIT = 1,    /* the cycle limit came first */
	FABSIM_DEADLOCK = 2, /* wavelets wait but none moved for long */
};

struct fabsim_packet_info {
	int32_t src, dst; /* dst is -1 for a statically routed packet */
	int32_t color;
	int64_t n_wavelets;
	int32_t hops;	   /* links to the farthest destination */
	int32_t dests;	   /* destination PEs (multicast fan-out) */
	int64_t delivered; /* wavelets consumed, all destinations */
	cycles_t created_cycle, injected_cycle, done_cycle;
	int done; /* all n * dests wavelets consumed */
};

/* Counters for conservation: in + replicated = out + dropped + buffered. */
struct fabsim_counters {
	uint64_t in;	     /* wavelets PEs put on their ramps */
	uint64_t out;	     /* wavelets PEs consumed (each multicast copy) */
	uint64_t replicated; /* extra copies made by multicast fan-out */
	uint64_t dropped;    /* routing errors (static colors) */
	uint64_t buffered;   /* in a buffer or on a link right now */
	uint64_t queued;     /* wavelets waiting in PE source queues */
	uint64_t hops;	     /* wavelet-link traversals (mesh links) */
};

/* Called once per packet when its last wavelet is consumed. */
typedef void (*fabsim_done_fn)(void *ctx, int64_t pkt,
			       const struct fabsim_packet_info *info);

/* New simulator at cycle 0; NULL (and messages in d) on bad config. */
struct fabsim *fabsim_new(const struct fabsim_config *cfg, struct diag *d);
void fabsim_free(struct fabsim *s);

const struct mesh *fabsim_mesh(const struct fabsim *s);

/* Routing mode of a color (FABSIM_XY or FABSIM_STATIC). */
int fabsim_color_mode(struct fabsim *s, int32_t color, int mode,
		      struct diag *d);

/* Route of (router, color): wavelets arriving on `rx_port` (DIR_*) leave by
 * every port in `tx_mask` (bits 1 << DIR_*; DIR_RAMP delivers to the PE).
 * Ports off the mesh edge are an error.  Sets the color to FABSIM_STATIC. */
int fabsim_set_route(struct fabsim *s, int32_t router, int32_t color,
		     int rx_port, unsigned tx_mask, struct diag *d);

/* Routes for a straight multicast along a row or a column, from `src` to
 * `last` inclusive: every PE after src up to last receives a copy.  `src`
 * and `last` must share a row or a column and differ. */
int fabsim_route_line(struct fabsim *s, int32_t color, int32_t src,
		      int32_t last, struct diag *d);

/* Queue a packet of n wavelets at PE `src` on `color`, entering the PE's
 * send queue at `at_cycle` (>= now).  `dst` is the destination PE for an
 * FABSIM_XY color and ignored (pass -1) for a static one, whose fan-out is
 * found by walking the route tables from src.  Returns the packet id (>= 0)
 * or WS_EINPUT with a message. */
int64_t fabsim_inject(struct fabsim *s, int32_t src, int32_t color,
		      int32_t dst, int64_t n_wavelets, cycles_t at_cycle,
		      struct diag *d);

/* Slow consumer: PE `pe` consumes at most one wavelet every `cycles`
 * cycles (1 = full speed, the default). */
void fabsim_set_sink_interval(struct fabsim *s, int32_t pe, uint32_t cycles);

void fabsim_set_done_hook(struct fabsim *s, fabsim_done_fn fn, void *ctx);

/* Simulate one cycle (the cycle fabsim_now() names), then advance. */
void fabsim_step(struct fabsim *s);

/* Step until everything queued is consumed (FABSIM_DONE), `until_cycle` is
 * reached (FABSIM_LIMIT), or no wavelet moved for a long time while some
 * wait (FABSIM_DEADLOCK).  Idle stretches before a future injection are
 * skipped, not stepped. */
int fabsim_run(struct fabsim *s, cycles_t until_cycle);

/* True when nothing is queued, buffered or pending. */
int fabsim_idle(const struct fabsim *s);

cycles_t fabsim_now(const struct fabsim *s);

/* Record of packet `pkt`; 0, or WS_EINPUT if unknown or recycled. */
int fabsim_packet(const struct fabsim *s, int64_t pkt,
		  struct fabsim_packet_info *info);
int64_t fabsim_packets(const struct fabsim *s); /* ids so far */

/* Wavelets queued at PE `pe` (in the send queue, not yet on the ramp;
 * packets whose injection cycle is still ahead are not counted). */
int64_t fabsim_queued(const struct fabsim *s, int32_t pe);

void fabsim_counters(const struct fabsim *s, struct fabsim_counters *c);

/* Wavelets that crossed each link (mesh_link() ids, 4 * nodes entries). */
const uint64_t *fabsim_link_wavelets(const struct fabsim *s);
/* Cycles each router forwarded at least one wavelet (nodes entries). */
const uint64_t *fabsim_router_busy(const struct fabsim *s);
/* Routers visited per cycle, summed (work done, for benchmarks). */
uint64_t fabsim_router_visits(const struct fabsim *s);

/* Bytes of simulator state (for the memory figure). */
size_t fabsim_bytes(const struct fabsim *s);

#endif
