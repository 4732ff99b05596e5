/* timing.c: the fabric's timing rules. See timing.h. */
#include "fabric/timing.h"

cycles_t fabric_hop_cycles(const struct fabric_params *f)
{
	int64_t h = f->link_latency_cycles + f->router_latency_cycles;
	return (cycles_t)(h < 1 ? 1 : h);
}

cycles_t fabric_stream_cycles(const struct fabric_params *f, int64_t hops,
			      int64_t n)
{
	if (n <= 0)
		return 0;
	return (cycles_t)(2 * f->ramp_latency_cycles) +
	       (cycles_t)hops * fabric_hop_cycles(f) + (cycles_t)(n - 1);
}

int64_t fabric_wavelets(const struct fabric_params *f, int64_t bytes)
{
	int64_t wb = f->wavelet_bits / 8;
	return (bytes + wb - 1) / wb;
}

cycles_t fabric_relay_link_cycles(const struct fabric_params *f,
				  cycles_t latency)
{
	return fabric_hop_cycles(f) +
	       (cycles_t)(2 * f->ramp_latency_cycles) + latency;
}

cycles_t fabric_relay_cycles(const struct fabric_params *f, int64_t links,
			     int64_t n, cycles_t latency, cycles_t rate)
{
	if (n <= 0)
		return 0;
	if (links <= 0)
		return (cycles_t)(n - 1);
	if (rate < 1)
		rate = 1;
	return (cycles_t)links * fabric_relay_link_cycles(f, latency) +
	       (cycles_t)(n - 1) * rate;
}
