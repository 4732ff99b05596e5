/*
 * plan_lines.c: the lines a stage's data leaves and enters by, and a
 * sample route's lanes (plan.h).  One rule for the engine, which lays
 * every route's bundle over these lanes (sim/engine_setup.c), and for the
 * objective and the roofline, which charge its serialisation over them;
 * and which host routes carry their tensor through the edge I/O.
 */
#include "compiler/plan.h"

static int64_t across_axis(const struct rect *r, enum plan_axis a)
{
	return a == AXIS_X ? r->h : r->w;
}

int plan_copies(const struct plan_stage *s)
{
	return s->copies > 1 ? s->copies : 1;
}

struct rect plan_copy_rect(const struct plan_stage *s, int c)
{
	struct rect r = s->r;
	int n = plan_copies(s);
	if (n <= 1)
		return r;
	r.w = s->r.w / n > 0 ? s->r.w / n : 1;
	r.x += c;
	return r;
}

int64_t plan_stage_out_lines(const struct plan_stage *s, int pass)
{
	const struct kernel_work *w = &s->work[pass];
	struct rect r = plan_copy_rect(s, 0);
	if (w->reduce_wavelets > 0)
		return across_axis(&r, w->reduce_axis);
	/* no reduction: the output is spread over the rectangle and leaves
	 * through its longer edge */
	return r.w > r.h ? r.w : r.h;
}

int64_t plan_stage_in_lines(const struct plan_stage *s, int pass)
{
	const struct kernel_work *w = &s->work[pass];
	struct rect r = plan_copy_rect(s, 0);
	if (w->bcast_wavelets > 0)
		return across_axis(&r, w->bcast_axis);
	return r.w > r.h ? r.w : r.h;
}

int64_t plan_route_lanes(const struct plan *p, const struct plan_route *r)
{
	int pa = r->pass == PASS_BWD_DATA ? PASS_BWD_DATA : PASS_FWD;
	int64_t lo = r->src_stage >= 0
			     ? plan_stage_out_lines(&p->stages[r->src_stage], pa)
			     : INT64_MAX;
	int64_t li = r->dst_stage >= 0
			     ? plan_stage_in_lines(&p->stages[r->dst_stage], pa)
			     : lo;
	int64_t l = lo < li ? lo : li;
	return l == INT64_MAX || l < 1 ? 1 : l;
}

int plan_route_host_input(const struct plan *p, int i)
{
	const struct plan_route *r = &p->routes[i];
	if (r->src_stage >= 0 || r->pass != PASS_FWD ||
	    r->kind != ROUTE_SAMPLE)
		return 0;
	/* a multicast tree from the host carries its data once */
	for (int j = 0; j < i && r->multicast_group >= 0; j++)
		if (p->routes[j].multicast_group == r->multicast_group &&
		    p->routes[j].src_stage < 0)
			return 0;
	return 1;
}
