/*
 * plan_stream.c: the wafer's weight buffer of a weight-streamed plan
 * (plan.h).  One rule for the engine, which streams weights into it
 * (sim/engine_stream.c), and for the objective, which charges the same
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
