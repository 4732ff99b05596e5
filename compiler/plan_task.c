/*
 * plan_task.c: one task of a stage as the engine times it (plan_estimate.h):
 * its occupancy of a PE and its time from start to output; used by the
 * engine, the objective and the streamed objective.
 */
#include "compiler/plan_estimate.h"

#include "cores/pe.h"
#include "fabric/timing.h"
#include "ground/checked.h"

static double dmax(double a, double b)
{
	return a > b ? a : b;
}

static int64_t along(const struct rect *r, enum plan_axis a)
{
	return a == AXIS_X ? r->w : r->h;
}

cycles_t plan_task_occ(const struct machine *m, enum pe_prec prec,
		       const struct kernel_work *w)
{
	struct pe_cycles c;
	pe_work_breakdown(&m->pe, prec, &w->pe, &c);
	int64_t in = w->bcast_wavelets + w->halo_wavelets;
	int64_t out = w->reduce_wavelets + w->halo_wavelets;
	int64_t io = in > out ? in : out;
	/* a link busier than the ramps (other groups' rows passing) */
	cycles_t ramp = (cycles_t)(io > w->link_wavelets ? io
							   : w->link_wavelets) +
			c.task;
	return ramp > c.total ? ramp : c.total;
}

/* One task from its start to its output leaving the rectangle: occupancy,
 * or ramps, broadcast fill, partial sums final, the reduction relay. */
double plan_task_time(const struct machine *m, enum pe_prec prec,
			const struct rect *r, const struct kernel_work *w)
{
	const struct fabric_params *f = &m->fabric;
	struct pe_cycles c;
	pe_work_breakdown(&m->pe, prec, &w->pe, &c);
	double occ = (double)plan_task_occ(m, prec, w);
	int64_t in = w->bcast_wavelets + w->halo_wavelets;
	double ready = dmax((double)c.total, in > 0 ? (double)(in + c.task) : 0);
	double hop = (double)fabric_hop_cycles(f);
	double ramp = (double)f->ramp_latency_cycles;
	int64_t lb = w->bcast_wavelets > 0 ? along(r, w->bcast_axis) - 1 : 0;
	double fill = (double)lb * hop, path;
	if (w->reduce_wavelets <= 0)
		return occ + 2 * ramp + fill;
	int64_t lr = along(r, w->reduce_axis) - 1;
	double chain = (double)fabric_relay_cycles(
		f, lr, w->reduce_wavelets, pe_relay_latency_cycles(&m->pe, prec),
		pe_relay_cycles(&m->pe, prec));
	if (lb > 0 && lr > 0 && w->bcast_axis == w->reduce_axis)
		path = dmax(fill + (double)w->reduce_wavelets - 1, chain);
	else
		path = fill + chain;
	return dmax(occ, 2 * ramp + ready + path);
}

void plan_copies_flows(struct kernel_work *k, int copies)
{
	int64_t x = (k->bcast_axis == AXIS_X ? k->bcast_wavelets : 0);
	int64_t r = (k->reduce_axis == AXIS_X ? k->reduce_wavelets : 0);
	x = (x > r ? x : r) + k->halo_wavelets;
	int64_t all = ck_smul_batch(copies > 1 ? copies : 1, x);
	if (all > k->link_wavelets)
		k->link_wavelets = all;
}

double plan_task_pace(const struct machine *m, enum pe_prec prec,
		      const struct kernel_work *w, int copies)
{
	return (double)plan_task_occ(m, prec, w) /
	       (double)(copies > 1 ? copies : 1);
}

double plan_stream_time(const struct machine *m, enum pe_prec prec,
			const struct rect *r, const struct kernel_work *w,
			int copies, int64_t n)
{
	return plan_task_time(m, prec, r, w) +
	       (double)(n > 1 ? n - 1 : 0) * plan_task_pace(m, prec, w, copies);
}

double plan_task_lat(const struct machine *m, enum pe_prec prec,
		     const struct plan_stage *s, int pass)
{
	struct rect r = plan_copy_rect(s, 0);
	return plan_task_time(m, prec, &r, &s->work[pass]) -
	       (double)plan_task_occ(m, prec, &s->work[pass]);
}

