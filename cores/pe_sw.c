/* pe_sw.c: software costs of the PE. See pe_sw.h. */
#include "cores/pe_sw.h"

cycles_t pe_prog_cycles(const struct pe_params *pe, const struct pe_prog *p)
{
	const struct pe_sw *s = &pe->sw;
	return (cycles_t)(p->tasks * pe->task_start_cycles +
			  p->ctrl * s->ctrl_cycles + p->dsd * s->dsd_cycles +
			  p->loops * s->loop_cycles +
			  p->calls * s->call_cycles +
			  p->vec * s->vec_start_cycles +
			  p->fabric * s->fabric_start_cycles);
}

void pe_prog_add(struct pe_prog *p, const struct pe_prog *q, int64_t n)
{
	p->tasks += n * q->tasks;
	p->ctrl += n * q->ctrl;
	p->dsd += n * q->dsd;
	p->loops += n * q->loops;
	p->calls += n * q->calls;
	p->vec += n * q->vec;
	p->fabric += n * q->fabric;
}

cycles_t pe_vec_elem_cycles(const struct pe_params *pe, enum pe_prec prec,
		       int64_t n, int fma)
{
	if (n <= 0)
		return 0;
	int64_t lanes = fma ? pe_fma_lanes(pe, prec) : pe_ew_lanes(pe, prec);
	if (lanes < 1)
		lanes = 1;
	return (cycles_t)((n + lanes - 1) / lanes);
}
