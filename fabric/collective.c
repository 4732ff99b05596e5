/* collective.c: reductions and broadcasts along a line. See collective.h. */
#include "fabric/collective.h"

#include "fabric/timing.h"

static int64_t cdiv(int64_t a, int64_t b)
{
	return (a + b - 1) / b;
}

cycles_t coll_link_cycles(const struct fabric_params *f, int64_t hops,
			  cycles_t relay)
{
	/* the relay's link (fabric/timing.h), over `hops` hops */
	return (cycles_t)(hops - 1) * fabric_hop_cycles(f) +
	       fabric_relay_link_cycles(f, relay);
}

cycles_t coll_star_reduce(const struct fabric_params *f, int64_t P, int64_t B,
			  cycles_t relay)
{
	if (P <= 1 || B <= 0)
		return 0;
	/* the root's ramp takes one wavelet a cycle; the farthest PE's
	 * first wavelet needs P - 1 hops to get there */
	cycles_t in = (cycles_t)(B * (P - 1));
	cycles_t far = (cycles_t)(P - 1) * fabric_hop_cycles(f);
	return (in > far ? in : far) +
	       (cycles_t)(2 * f->ramp_latency_cycles) + relay;
}

cycles_t coll_chain_reduce(const struct fabric_params *f, int64_t P,
			   int64_t B, cycles_t relay)
{
	if (P <= 1 || B <= 0)
		return 0;
	return (cycles_t)(P - 1) * coll_link_cycles(f, 1, relay) + (cycles_t)B;
}

int64_t coll_two_phase_root(int64_t P, int64_t G)
{
	if (G < 1)
		G = 1;
	int64_t g = cdiv(P, G);
	int64_t r = (G / 2) * g + g / 2;
	return r < P ? r : P - 1;
}

cycles_t coll_two_phase_reduce(const struct fabric_params *f, int64_t P,
			       int64_t G, int64_t B, cycles_t relay)
{
	if (P <= 1 || B <= 0)
		return 0;
	if (G < 1)
		G = 1;
	if (G > P)
		G = P;
	int64_t g = cdiv(P, G);
	/* phase 1: the longer half of a group chains to its middle PE;
	 * phase 2: the longer half of the roots, g hops apart, to theirs */
	cycles_t t = (cycles_t)(g / 2) * coll_link_cycles(f, 1, relay) +
		     (cycles_t)B;
	if (G > 1)
		t += (cycles_t)(G / 2) * coll_link_cycles(f, g, relay) +
		     (cycles_t)B;
	return t;
}

cycles_t coll_tree_reduce(const struct fabric_params *f, int64_t P,
			  int64_t B, cycles_t relay)
{
	if (P <= 1 || B <= 0)
		return 0;
	/* level l adds PEs 2^l apart; the streams pipeline through the
	 * levels, so the contention is paid once */
	cycles_t t = (cycles_t)B;
	for (int64_t span = 1; span < P; span *= 2)
		t += coll_link_cycles(f, span, relay);
	return t;
}

cycles_t coll_bcast(const struct fabric_params *f, int64_t P, int64_t root,
		    int64_t B)
{
	if (P <= 1 || B <= 0)
		return 0;
	int64_t far = root > P - 1 - root ? root : P - 1 - root;
	/* the root's send, the farthest PE's distance, B - 1 behind the head
	 * (multicast fans out in the routers for free) */
	return (cycles_t)far * fabric_hop_cycles(f) +
	       (cycles_t)(2 * f->ramp_latency_cycles) + (cycles_t)B + 1;
}

cycles_t coll_bcast_2d(const struct fabric_params *f, int64_t M, int64_t N,
		       int64_t B)
{
	if (M * N <= 1 || B <= 0)
		return 0;
	return (cycles_t)(M + N - 2) * fabric_hop_cycles(f) +
	       (cycles_t)(2 * f->ramp_latency_cycles) + (cycles_t)B + 1;
}

cycles_t coll_ring_allreduce(const struct fabric_params *f, int64_t P,
			     int64_t B, cycles_t relay)
{
	if (P <= 1 || B <= 0)
		return 0;
	/* reduce-scatter then all-gather: 2(P - 1) rounds of B/P wavelets,
	 * each through a ramp pair and the relay; the ring's longest links
	 * (an interleaved ring: two hops) add 4P - 6 hops over the rounds */
	return (cycles_t)(2 * (P - 1) * cdiv(B, P)) +
	       (cycles_t)(4 * P - 6) * fabric_hop_cycles(f) +
	       (cycles_t)(2 * (P - 1)) *
		       ((cycles_t)(2 * f->ramp_latency_cycles) + relay);
}
