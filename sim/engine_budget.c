/*
 * engine_budget.c: the memory a run will take, estimated from the plan,
 * the machine and the options before anything is allocated, held to the
 * budget (ground/checked.h, --max-memory).
 *
 * What grows with the input (the layout in engine.c's head): per PE, the
 * links' classes while they are built (LINK_DIRS x 4 bytes; the first
 * free cycles are per class after; counted at LINK_DIRS x 8, the per-link
 * table they replaced, so the estimate stays an upper bound), full mode's
 * first free
 * cycle (8), the statistics' busy cycles and link counts (8 + LINK_DIRS x
 * 8); per stage and sample, the arrival and completion records (5 bytes)
 * and per sample its output cycle (8); per stage and step the sync
 * counts; the recorded spans of a traced run and the per-PE grids the
 * traces draw from (TRACE_GRID_BYTES per PE) [D].
 */
#include "sim/engine_int.h"

#include <stdio.h>

#include "ground/checked.h"

/* [D] traces/ keeps a few double-precision grids per PE (utilisation,
 * SRAM, links per direction) while drawing */
#define TRACE_GRID_BYTES 64.0

double eng_estimate_bytes(const struct sim *s)
{
	const struct machine *m = s->m;
	double npe = (double)m->width * (double)m->height;
	double stages = (double)s->p->n_stages + 1;
	double per_pe = 8.0 * LINK_DIRS + 8.0 + 8.0 * LINK_DIRS +
			(s->o.full ? 8.0 : 0.0) +
			(s->o.max_spans > 0 ? TRACE_GRID_BYTES : 0.0);
	double samples = (double)s->S * (stages * 5.0 + 8.0);
	double steps = (double)s->steps * (12.0 + stages * 4.0);
	double spans = (double)s->o.max_spans * (double)sizeof(struct stats_span);
	return npe * per_pe + samples + steps + spans;
}

int eng_budget_check(const struct sim *s, struct diag *d)
{
	char what[160];
	snprintf(what, sizeof(what),
		 "engine: %s of %lld samples on a %lldx%lld machine%s",
		 s->train ? "training" : "inference", (long long)s->S,
		 (long long)s->m->width, (long long)s->m->height,
		 s->o.full ? ", every PE timed (--full)" : "");
	return mem_budget_check(what, eng_estimate_bytes(s),
				s->o.max_memory_bytes, d);
}
