/*
 * sc_prog.h: what the SystemC reference PEs run (cores/sc_pe.h): the
 * synthetic traffic spec and the PE programs (operations, colour routes),
 * as plain C data.  The functions that build and run them from a machine or
 * a plan live above, in sim/sc_ref.h; this header is here so that the PE
 * module includes only its own layer and below.
 */
#ifndef WAFERSIM_SC_PROG_H
#define WAFERSIM_SC_PROG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "cores/pe.h"

#ifdef __cplusplus
}
#endif

#define SC_REF_MAX_SIDE 64
#define SC_REF_MAX_VCD	16 /* PEs (with their routers) traced at most */
/* A program may add this many rows and columns of feeder and drain PEs
 * around a rectangle as large as the mesh limit (sc_ref_program_stage). */
#define SC_REF_PROGRAM_BORDER 2

/* Router ports; bit (1 << port) in a route's transmit mask. */
enum sc_ref_port {
	SC_PORT_N = 0,
	SC_PORT_S,
	SC_PORT_E,
	SC_PORT_W,
	SC_PORT_RAMP,
	SC_PORT_COUNT
};

enum sc_ref_pattern {
	SC_PAT_UNIFORM = 0,
	SC_PAT_TRANSPOSE,
	SC_PAT_BITCOMP,
	SC_PAT_TORNADO,
	SC_PAT_HOTSPOT,
	SC_PAT_NEIGHBOR,
	SC_PAT_COUNT
};


/* Options common to both kinds of run. */
struct sc_ref_opts {
	const char *vcd_path; /* NULL: no waveform */
	int n_vcd_pes;	      /* PEs traced, with their router's links */
	int32_t vcd_pes[SC_REF_MAX_VCD]; /* PE ids (y * width + x) */
	int64_t max_cycles;		 /* give up (deadlock) after; 0: 10^7 */
};

/* Synthetic traffic: every PE generates packets of `packet_wavelets`
 * wavelets, a packet with probability rate / packet_wavelets per cycle
 * (so `rate` is the offered load in wavelets per cycle per PE), into an
 * unbounded source queue; wavelets are routed X then Y by destination.
 * Packets generated in [warmup, warmup + measure) are measured; the run
 * continues until they have all arrived (or max_cycles). */
struct sc_ref_traffic {
	int64_t width, height;	 /* mesh size, <= the machine's */
	int pattern;		 /* SC_PAT_* */
	double rate;		 /* offered wavelets / cycle / PE, in [0, 1] */
	int64_t packet_wavelets; /* >= 1 */
	int64_t warmup_cycles;
	int64_t measure_cycles;	 /* >= 1 */
	double hotspot_fraction; /* hotspot: share of packets to the hot PE */
	int64_t colors_used;	 /* packet i of a PE uses colour i % this */
	int64_t max_queue_wavelets; /* a fuller source queue refuses new
				       packets (as fabric/traffic.h); 0: none */
	int drain;		    /* 1: stop generating after the window and
				       run until the fabric is empty */
	uint64_t seed;
};

struct sc_ref_traffic_stats {
	int64_t cycles;		    /* simulated */
	int64_t packets_measured;   /* generated in the window, all arrived */
	int64_t packets_lost;	    /* measured but not arrived by max_cycles */
	double avg_packet_latency;  /* generation to tail arrival, cycles */
	double avg_network_latency; /* head leaving its PE to tail arrival */
	double max_packet_latency;
	double avg_hops;
	double throughput; /* wavelets arrived in the window / cycle / PE */
	double offered;	   /* wavelets generated in the window / c / PE */
	int64_t wavelets_injected; /* whole run, counted in and out */
	int64_t wavelets_ejected;
	int64_t wavelets_in_flight; /* in the fabric at the end */
	int64_t wavelets_queued;    /* in source queues at the end */
	int64_t unroutable;	    /* wavelets with no route (model error) */
	int64_t packets_generated;  /* in the window (measured or lost) */
	int64_t packets_refused;    /* source queue full (max_queue_wavelets) */
	double wall_s;		    /* the child's simulation wall time */
};

/* A PE program: operations run in order, one PE at a time per cycle. */
enum sc_ref_op_kind {
	SC_OP_SEND = 0, /* inject n wavelets on `color` (to `dest` if >= 0) */
	SC_OP_RECV,	/* consume n wavelets of `color`, one per cycle */
	SC_OP_COMPUTE,	/* one task: pe_work_cycles(work) busy cycles */
	SC_OP_RELAY,	/* n times: take a wavelet of `color`, spend
			   pe_work_cycles(work), send one on `color_out`
			   pe_relay_latency_cycles() after taking it */
	SC_OP_TASK,	/* a task activated by the arrival of the first of
			   n wavelets of `color` (at once if n == 0): it
			   computes for pe_work_cycles(work); once activated
			   (its task starts and software, pe_cycles.task,
			   after the arrival) it takes the n wavelets as they
			   arrive, one per cycle, sends n_send halo wavelets
			   to `dest` on `color_out` and takes n_recv2 halo
			   wavelets of `color_out` */
	SC_OP_COUNT
};

struct sc_ref_op {
	int kind; /* SC_OP_* */
	int color, color_out;
	int32_t dest; /* SEND: destination PE (X then Y), -1: colour route */
	int64_t n;    /* wavelets */
	struct pe_work work;	 /* COMPUTE: the task; RELAY: per wavelet */
	int64_t n_send, n_recv2; /* TASK: halo out and in */
};

/* Every PE's operations (CSR layout: PE i runs ops[first[i] .. first[i+1]))
 * and every router's static routes: routes[(y * width + x) * colors + c] is
 * the transmit mask (bits 1 << SC_PORT_*) of a wavelet of colour c at that
 * router; 0 = no route.  Colour routes apply to wavelets with dest < 0. */
struct sc_ref_program {
	int64_t width, height;
	enum pe_prec prec;
	int64_t *first; /* width * height + 1 entries */
	struct sc_ref_op *ops;
	uint8_t *routes; /* width * height * machine colours */
	int64_t n_ops, cap_ops;
};

#endif
