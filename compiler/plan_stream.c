/*
 * plan_stream.c: the wafer's weight buffer of a weight-streamed plan and
 * the link its weights stream over (plan.h).  One rule for the engine,
 * which streams weights into it (sim/engine_stream.c), its analytic bound
 * (sim/engine_roofline.c), and for the objective, which charges the same
 * chain in closed form (plan_estimate_stream.c).
 */
#include "compiler/plan.h"

int64_t plan_stream_buffer_bytes(const struct plan *p,
				 const struct machine *m)
{
	int64_t worst = 0, wts = INT64_MAX;
	for (int i = 0; i < p->n_stages; i++) {
		const struct sram_use *u = &p->stages[i].sram;
		int64_t other = u->total - u->weights;
		if (other > worst)
			worst = other;
		if (u->weights < wts)
			wts = u->weights;
	}
	int64_t free_pe = m->pe.sram_bytes - worst;
	if (free_pe < wts)
		free_pe = wts == INT64_MAX ? 0 : wts;
	return free_pe * machine_pes(m);
}

void plan_stream_link(const struct machine *m, int64_t wafers,
		      double *bytes_per_cycle, cycles_t *latency_cycles)
{
	double ext = m->extmem.bandwidth_gbytes_s;
	double lat_us = m->extmem.latency_us;
	if (wafers > 1) {
		const struct machine_interconnect *ic = &m->interconnect;
		if (ic->bandwidth_gbytes_s < ext)
			ext = ic->bandwidth_gbytes_s;
		int64_t levels = 0, reach = 1;
		int64_t radix = ic->radix > 1 ? ic->radix : 2;
		while (reach < wafers) {
			reach *= radix;
			levels++;
		}
		lat_us += (double)levels * ic->latency_us;
	}
	*bytes_per_cycle = ext / m->clock_ghz;
	*latency_cycles = (cycles_t)(lat_us * 1e3 * m->clock_ghz);
}
