/*
 * reserve.h: the link-reservation contention rule, the fabric model the
 * engine uses at wafer scale.
 *
 * A stream of n wavelets, ready at `ready`, starts when every link it needs
 * is free, holds them all for its serialisation (n cycles, one wavelet per
 * link per cycle), and arrives fabric_stream_cycles(hops, n) after it
 * starts.  Streams are reserved in the order the engine issues them, so a
 * later stream that shares a link waits for the earlier one (first come,
 * first served), which is what a congested color sees on the mesh.
 *
 * It is cheaper than the max-min fair stream model (flow.h) because it never
 * revisits a stream once reserved; a unit test holds the two against each
 * other on shared links, and the SystemC reference checks the engine built
 * on it (docs/reference.md).
 *
 * `link_free` is the caller's array of first free cycles, one entry per
 * link.  The links of a stream are given as `n_spans` runs of `span_len`
 * consecutive entries, starting at span_first[i]: one run per hop of a
 * bundle of `span_len` parallel lanes (span_len 1: a single path).
 */
#ifndef WAFERSIM_FABRIC_RESERVE_H
#define WAFERSIM_FABRIC_RESERVE_H

#include <stdint.h>

#include "fabric/fabric_params.h"
#include "ground/util.h"

/* Reserve the links for a stream of `wavelets` (at least 1) over `hops`
 * hops; returns its arrival cycle, *start (may be NULL) its start. */
cycles_t fabric_reserve(uint64_t *link_free, const int64_t *span_first,
			int n_spans, int64_t span_len, int64_t hops,
			cycles_t ready, int64_t wavelets,
			const struct fabric_params *f, cycles_t *start);

/* The same for a single path: links[i] are link_free indices. */
static inline cycles_t fabric_reserve_path(uint64_t *link_free,
					   const int64_t *links, int n_links,
					   cycles_t ready, int64_t wavelets,
					   const struct fabric_params *f,
					   cycles_t *start)
{
	return fabric_reserve(link_free, links, n_links, 1, n_links, ready,
			      wavelets, f, start);
}

#endif
