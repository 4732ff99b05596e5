/*
 * flow.h: the stream-level (fluid) fabric model, for the engine at full
 * wafer scale.
 *
 * A stream is n wavelets from one PE to one PE (X then Y), or a multicast
 * along a row or a column from its source to a last PE (every PE after the
 * source up to the last one receives all n).  Streams that are active at
 * the same time share what they cross: every mesh link (one direction), the
 * source PE's ramp up and every destination's ramp down each carry at most
 * one wavelet per cycle.  Rates are max-min fair: at every start and end of
 * a stream the rates are recomputed by progressive filling (the bottleneck
 * resource's capacity is split evenly among its unfrozen streams, those are
 * frozen, repeat), which is what the cycle-level simulator's round-robin
 * arbitration converges to.
 *
 * Completion of a stream whose fluid transfer ends at time T (real, cycles):
 *     done_cycle = ceil(T) - 1 + 2 ramp + hops * hop
 * so an uncontended stream gives done - start = fabric_stream_cycles()
 * exactly, the same as the cycle-level simulator at zero load.
 *
 * Approximations (see docs/fabric.md): a stream holds bandwidth on all its
 * links from its start, not from when its head reaches them (negligible when
 * n >> hops); streams from the same PE are fair-shared, not sent one after
 * the other as the simulator's FIFO source queue does (the last of them ends
 * at the same time either way); colors add no bandwidth (they share links),
 * and finite buffers cost nothing here.
 *
 * Cost: resources crossed by exactly the same streams are merged into one
 * (a lone stream's whole path, a row multicast's links), and at each event
 * only the streams linked through shared resources to the one that started
 * or ended are recomputed.  Memory O(total path length) + 24 bytes per PE
 * during the call.  About 4,000 streams over the WSE-2 grid take well
 * under a second (unit test prints it).  Deterministic.
 */
#ifndef WAFERSIM_FABRIC_FLOW_H
#define WAFERSIM_FABRIC_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "fabric/fabric_params.h"
#include "fabric/mesh.h"
#include "ground/diag.h"
#include "ground/util.h"

enum { FLOW_UNICAST = 0, FLOW_LINE_MULTICAST = 1 };

struct flow_stream {
	/* input */
	int32_t src;	     /* source PE id */
	int32_t dst;	     /* unicast: destination; multicast: last PE */
	int kind;	     /* FLOW_UNICAST or FLOW_LINE_MULTICAST */
	int32_t color;	     /* informative only: colors share links */
	int64_t n_wavelets;  /* >= 1 */
	cycles_t start_cycle; /* earliest cycle its first wavelet leaves */
	/* output */
	cycles_t done_cycle; /* last wavelet consumed by the last destination */
	int32_t hops;	     /* links crossed to the farthest destination */
	double min_rate;     /* lowest rate it got, wavelets per cycle */
};

/* Run the streams; fills their outputs.  `link_wavelets`, if not NULL, has
 * 4 * width * height entries (mesh_link() ids) and receives each link's
 * wavelet load added up (it is not cleared first).  0 or WS_EINPUT when a
 * stream is malformed (PE outside the mesh, multicast not on one line,
 * n < 1); nothing is computed then. */
int flow_run(const struct mesh *m, const struct fabric_params *f,
	     struct flow_stream *streams, size_t n, uint64_t *link_wavelets,
	     struct diag *d);

/*
 * Incremental use, for an engine that learns of streams as it goes:
 *
 *     struct flow_sim *fs = flow_sim_new(&mesh, &params);
 *     id = flow_sim_add(fs, &stream, d);    start_cycle >= flow_sim_time()
 *     t = flow_sim_next_event(fs);          next start or end (INFINITY: none)
 *     flow_sim_advance(fs, t);              run every event up to t
 *     flow_sim_get(fs, id, &s, &done);      done_cycle once done
 *
 * Adding all streams first and advancing to INFINITY gives what flow_run
 * gives (a unit test checks).  A predicted end can move later when a stream
 * added afterwards shares a resource; it never moves earlier.  Each
 * advance rebuilds the tables of the unfinished streams (O(their paths)),
 * so advance from event to event, not cycle by cycle.
 */
struct flow_sim;
struct flow_sim *flow_sim_new(const struct mesh *m,
			      const struct fabric_params *f);
void flow_sim_free(struct flow_sim *fs);
/* The stream as given (outputs ignored); its id (0, 1, ...) or WS_EINPUT. */
int64_t flow_sim_add(struct flow_sim *fs, const struct flow_stream *s,
		     struct diag *d);
double flow_sim_time(const struct flow_sim *fs);
double flow_sim_next_event(struct flow_sim *fs);
void flow_sim_advance(struct flow_sim *fs, double t);
/* The stream with its outputs; *done says whether done_cycle is final. */
int flow_sim_get(const struct flow_sim *fs, int64_t id, struct flow_stream *out,
		 int *done);

#endif
