/* plan_credit.c: back-pressure credits (plan_credit.h). */
#include "compiler/plan_credit.h"

#include <stdlib.h>

#include "compiler/map_share.h"
#include "fabric/timing.h"

static cycles_t cmax(cycles_t a, cycles_t b)
{
	return a > b ? a : b;
}

void plan_credits(const struct fabric_params *f, int n, const cycles_t *occ,
		  const cycles_t *lat, const struct plan_credit_route *r,
		  int nr, int64_t *out)
{
	cycles_t *dist = xcalloc((size_t)n + 1, sizeof(cycles_t));
	/* longest arrival time of a sample at every stage's edge, host at 0
	 * (relaxation over the DAG; n + 1 rounds suffice) */
	for (int round = 0; round <= n; round++) {
		int changed = 0;
		for (int i = 0; i < nr; i++) {
			const struct plan_credit_route *e = &r[i];
			if (!e->fwd || e->dst < 0)
				continue;
			cycles_t t = dist[e->src] + occ[e->src] + lat[e->src] +
				     fabric_stream_cycles(f, e->hops,
							  e->ser > 0 ? e->ser : 1);
			if (t > dist[e->dst]) {
				dist[e->dst] = t;
				changed = 1;
			}
		}
		if (!changed)
			break;
	}
	for (int i = 0; i < nr; i++) {
		const struct plan_credit_route *e = &r[i];
		out[i] = 0;
		if (!e->fwd || e->dst < 0)
			continue;
		/* from the producer's start to the consumer's start */
		cycles_t transit = dist[e->dst] - dist[e->src];
		cycles_t per = cmax((cycles_t)(e->ser > 0 ? e->ser : 1),
				    cmax(occ[e->src], 1));
		out[i] = PLAN_INPUT_SLOTS + (int64_t)(transit / per);
	}
	free(dist);
}

void plan_credits_of(const struct plan_credit_route *r, int nr,
		     const int64_t *rc, int src, const int *cons, int n_cons,
		     int64_t *out)
{
	for (int k = 0; k < n_cons; k++) {
		out[k] = PLAN_INPUT_SLOTS;
		for (int i = 0; i < nr; i++)
			if (r[i].src == src && r[i].dst == cons[k] &&
			    rc[i] > out[k])
				out[k] = rc[i];
	}
}

int64_t plan_act_slots(const struct plan *p, const struct machine *m, int s)
{
	int64_t tenants = 0;
	for (int j = 0; j < p->n_stages; j++)
		tenants += map_share_root(p, j) == map_share_root(p, s);
	return plan_act_slots_of(p, m, s, tenants);
}

int64_t plan_act_slots_of(const struct plan *p, const struct machine *m, int s,
			  int64_t tenants)
{
	const struct plan_stage *st = &p->stages[s];
	int64_t batch = p->batch > 0 ? p->batch : 1;
	int64_t sized = st->samples_in_flight > 0 ? st->samples_in_flight : 1;
	if (st->sram.activations <= 0)
		return batch;
	/* sample copies (plan.h): each holds its own samples' activations,
	 * sized for ceil(in flight / copies) of them */
	int64_t R = plan_copies(st);
	int64_t one = (sized + R - 1) / R;
	int64_t per = (st->sram.activations + one - 1) / one;
	/* alone on its rectangle: its own SRAM (map_share_sram's sum) */
	int64_t spare = m->pe.sram_bytes -
			(tenants > 1 ? map_share_sram(p, s) : st->sram.total);
	int64_t slots = sized + R * (spare > 0 ? spare / (tenants > 0 ? tenants : 1) / per
					   : 0);
	return slots < batch ? slots : batch;
}
