/*
 * traffic.h: synthetic traffic and fabric characterisation (what
 * `wafersim fabric` runs), on top of the cycle-level simulator.
 *
 * Method, as BookSim's: every PE is a Bernoulli source of packets of
 * `packet_wavelets` wavelets with probability rate / packet_wavelets per
 * cycle (drawn as geometric gaps, so idle PEs cost nothing), destinations
 * from the pattern, one color routed X then Y.  Packets created during the
 * warm-up are not measured; those created during the measurement window are
 * followed until delivered (traffic keeps flowing meanwhile) or until the
 * drain limit, which marks the run saturated.  A source queue holding more
 * than `max_queue_wavelets` refuses new packets (counted), which bounds
 * memory beyond saturation and does not change accepted throughput.
 *
 * Patterns (W x H mesh, source (x, y)):
 *   uniform    any PE, itself included (so average hops = 2(k^2-1)/(3k))
 *   transpose  (y, x)                       needs a square mesh
 *   bitcomp    (W-1-x, H-1-y)
 *   tornado    ((x + ceil(W/2) - 1) mod W, (y + ceil(H/2) - 1) mod H)
 *   hotspot    the centre PE (W/2, H/2) with probability hotspot_fraction,
 *              else uniform
 *   neighbor   ((x + 1) mod W, y)
 * Their saturation bounds under X-then-Y routing are derived in
 * docs/fabric.md and computed by traffic_bound().
 *
 * Deterministic: the PRNG (xoshiro256**) lives in the run; same config and
 * seed give the same figures (wall time aside).
 */
#ifndef WAFERSIM_FABRIC_TRAFFIC_H
#define WAFERSIM_FABRIC_TRAFFIC_H

#include <stddef.h>
#include <stdint.h>

#include "fabric/fabric_params.h"
#include "fabric/fabsim.h"
#include "ground/diag.h"
#include "ground/util.h"

enum traffic_pattern {
	TRAFFIC_UNIFORM,
	TRAFFIC_TRANSPOSE,
	TRAFFIC_BITCOMP,
	TRAFFIC_TORNADO,
	TRAFFIC_HOTSPOT,
	TRAFFIC_NEIGHBOR,
	TRAFFIC_PATTERNS
};

/* Pattern by name, or -1. */
int traffic_pattern_parse(const char *name);
const char *traffic_pattern_name(int pattern);
/* "uniform, transpose, ..." for messages. */
const char *traffic_pattern_list(void);

struct traffic_config {
	struct fabric_params params;
	int32_t width, height;
	int pattern;
	double rate;		    /* offered wavelets per cycle per PE, [0, 1] */
	int64_t packet_wavelets;    /* >= 1 */
	cycles_t warmup_cycles;	    /* not measured */
	cycles_t measure_cycles;    /* >= 1 */
	cycles_t drain_cycles;	    /* at most this long after the window */
	uint64_t seed;
	double hotspot_fraction;    /* hotspot only, [0, 1] */
	int64_t max_queue_wavelets; /* per source queue */
	/* fabsim's memory budget (ground/checked.h); 0: the default */
	int64_t max_memory_bytes;
	/* called every 1024 cycles with the fraction of warm-up and window
	 * simulated (0..1); may be NULL.  Nothing it sees changes results */
	void (*progress)(void *ctx, double done);
	void *progress_ctx;
};

/* Defaults: rate 0.1, packets of 1 wavelet, 1000 warm-up, 2000 measured,
 * drain up to 20000, seed 1, hotspot 0.1, queue 256. */
void traffic_config_init(struct traffic_config *c);

/* Check a configuration; every problem is reported.  0 or WS_EINPUT. */
int traffic_check(const struct traffic_config *c, struct diag *d);

struct traffic_result {
	double offered;		    /* wavelets per cycle per PE, as generated */
	double accepted;	    /* consumed in the window, per cycle per PE */
	double avg_packet_latency;  /* created -> last wavelet consumed */
	double avg_network_latency; /* first wavelet left the PE -> done */
	double max_packet_latency;
	double avg_hops;
	double zero_load_latency; /* closed form at the measured avg hops */
	int64_t packets_measured, packets_done;
	uint64_t packets_refused;
	cycles_t cycles;   /* simulated */
	double wall_s;
	double node_cycles_per_s;
	double routers_per_cycle; /* active routers visited, average */
	int saturated;	  /* window's packets not all done, or accepted
			     below 95 % of offered */
	size_t bytes;	  /* simulator state */
	struct fabsim_counters counters;
};

/* One characterisation run.  0 or WS_EINPUT. */
int traffic_run(const struct traffic_config *c, struct traffic_result *r,
		struct diag *d);

/* Theoretical saturation throughput (wavelets per cycle per PE) of the
 * configured pattern under X-then-Y routing: the inverse of the heaviest
 * channel load per unit of injection rate, capped by the ramps. */
double traffic_bound(const struct traffic_config *c);

/* Saturation throughput found by bisection on the offered rate (the
 * highest rate that is not saturated), to within `tol` of the bound. */
int traffic_saturation(const struct traffic_config *c, double tol,
		       double *sat_rate, struct diag *d);

/* Rising offered rates, step bound/10, until the first saturated point.
 * Allocates *pts (caller frees). */
int traffic_sweep(const struct traffic_config *c, struct traffic_result **pts,
		  double **rates, size_t *n, struct diag *d);

#endif
