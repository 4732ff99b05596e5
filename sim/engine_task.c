/*
 * engine_task.c: the timing of one task on a stage's rectangle (occupancy,
 * readiness, latency, in-rectangle hops), full mode's per-PE tiles, and the
 * geometry of routes and their bundles.  See engine_int.h.
 */
#include "sim/engine_int.h"

#include <stdlib.h>
#include <string.h>

#include "compiler/plan_estimate.h"
#include "cores/pe.h"
#include "fabric/timing.h"

cycles_t engine_task_occ(const struct machine *m, enum pe_prec prec,
			 const struct kernel_work *w, enum stats_limit *limit)
{
	/* the rule is the compiler's estimate's (plan_task_occ): the
	 * busiest of datapath, SRAM ports and task starts, or the ramp (one
	 * wavelet per cycle each way, task starts on top) */
	cycles_t occ = plan_task_occ(m, prec, w);
	if (limit) {
		struct pe_cycles c;
		pe_work_breakdown(&m->pe, prec, &w->pe, &c);
		*limit = occ > c.total		     ? LIMIT_FABRIC
			 : c.bound == PE_BOUND_COMPUTE ? LIMIT_COMPUTE
			 : c.bound == PE_BOUND_TASKS   ? LIMIT_TASKS
						       : LIMIT_SRAM;
	}
	return occ;
}

/* Cycles from a task's start until its partial sums are final, so its
 * reduction stream can start to leave: the computation and the inputs
 * (broadcast and halo, one per cycle over the ramp, task starts on top, as
 * engine_task_occ() counts them), not the outgoing stream.  The occupancy
 * may also count the outgoing stream (ramp-bound tasks); the latency must
 * not count it a second time after the occupancy. */
cycles_t eng_task_ready(const struct machine *m, enum pe_prec prec,
			   const struct kernel_work *w)
{
	struct pe_cycles c;
	pe_work_breakdown(&m->pe, prec, &w->pe, &c);
	cycles_t in = (cycles_t)(w->bcast_wavelets + w->halo_wavelets);
	return cmax(c.total, in > 0 ? in + c.task : 0);
}

/* Latency of a task beyond its occupancy `occ`: ramps, broadcast fill along
 * the rectangle, then (with a reduction) from the partial sums being final
 * (`ready` after the start) the reduction chain relayed PE by PE
 * (fabric_relay_cycles(): every PE takes each wavelet down its ramp, adds,
 * sends it back up) and its tail.  Must equal what eng_full_task() computes
 * when all tiles are equal. */
cycles_t eng_task_lat(const struct sim *s, const struct rect *r,
			 const struct kernel_work *w, cycles_t occ,
			 cycles_t ready)
{
	int64_t lb = w->bcast_wavelets > 0 ? along(r, w->bcast_axis) - 1 : 0;
	if (w->reduce_wavelets <= 0)
		return 2 * s->ramp + (cycles_t)lb * s->hop;
	int64_t lr = along(r, w->reduce_axis) - 1;
	cycles_t chain = fabric_relay_cycles(&s->m->fabric, lr,
					     w->reduce_wavelets, s->relay,
					     s->relay_rate);
	cycles_t fill = (cycles_t)lb * s->hop;
	cycles_t path;
	if (lb > 0 && lr > 0 && w->bcast_axis == w->reduce_axis)
		/* the chain runs along the broadcast: the far PE's own
		 * stream or the chain, whichever ends later */
		path = cmax(fill + (cycles_t)w->reduce_wavelets - 1, chain);
	else
		path = fill + chain;
	cycles_t total = 2 * s->ramp + ready + path;
	return total > occ ? total - occ : 0;
}

/* Wavelet hops of one task of stage ps's pass inside its rectangle.
 * With sample copies (plan.h), a copy's flows along Y stay in its own
 * columns (every copy's, for the update all copies run), its flows along
 * X cross the copies' whole span (R x the copy's width), as
 * engine_finish.c paints them. */
double eng_task_hops(const struct plan_stage *ps, int pass)
{
	const struct kernel_work *w = &ps->work[pass];
	struct rect c = plan_copy_rect(ps, 0);
	int64_t R = plan_copies(ps);
	double ys = pass == PASS_UPDATE ? (double)R : 1; /* copies running */
	struct {
		int64_t v;
		enum plan_axis a;
	} fl[2] = {{w->bcast_wavelets, w->bcast_axis},
		   {w->reduce_wavelets, w->reduce_axis}};
	double h = 0;
	for (int f = 0; f < 2; f++) {
		if (fl[f].v <= 0)
			continue;
		if (fl[f].a == AXIS_X)
			h += (double)fl[f].v * (double)(R * c.w - 1) *
			     (double)c.h;
		else
			h += (double)fl[f].v * (double)(c.h - 1) *
			     (double)c.w * ys;
	}
	/* halo: every PE trades with its row neighbours inside the rectangle
	 * (the spatial split is over columns, compiler/map.c), one hop each:
	 * the w - 1 link pairs of each row, as stage_links() counts them */
	h += (double)w->halo_wavelets * (double)(R * c.w - 1) * (double)c.h;
	return h;
}

/* Scale a kernel's work by f in (0, 1] (a smaller tile), rounding up. */
static void scale_work(const struct kernel_work *w, double f,
		       struct kernel_work *out)
{
	*out = *w;
	if (f >= 1)
		return;
#define SC(x) (x) = (int64_t)((double)(x) * f + 0.999999)
	SC(out->pe.fma);
	SC(out->pe.ew);
	SC(out->pe.sram_reads);
	SC(out->pe.sram_writes);
	SC(out->bcast_wavelets);
	SC(out->reduce_wavelets);
	SC(out->link_wavelets);
#undef SC
}

/* Full mode: the per-PE tiles of a stage.  A dense main layer with known
 * K (input features) and N (units) is split as compiler/plan.h says: K over
 * the w columns, N over the h rows, the first K % w columns (N % h rows)
 * one element larger.  Anything else is taken as even. */
void eng_full_setup(struct sim *s, int si)
{
	const struct plan_stage *ps = &s->p->stages[si];
	struct stage_rt *g = &s->sg[si];
	int64_t K = 0, N = 0;
	/* row groups (copies of the weights): their tiles taken as even */
	int grouped = ps->row_groups_x > 1 || ps->row_groups_y > 1;
	if (s->g && !grouped && ps->kind == KERNEL_DENSE && ps->n_layers > 0 &&
	    ps->layers[0] >= 0 && ps->layers[0] < s->g->n_layers) {
		const struct layer *l = &s->g->layers[ps->layers[0]];
		if (l->op == OP_DENSE && l->n_in > 0) {
			const struct tensor *t = &s->g->tensors[l->in[0]];
			if (t->rank > 0)
				K = t->dims[t->rank - 1];
			N = l->attrs.units;
		}
	}
	struct rect cr = plan_copy_rect(ps, 0);
	int64_t h = cr.h, w = cr.w;
	double fk[2] = {1, 1}, fn[2] = {1, 1};
	g->k_big_cols = w;
	g->n_big_rows = h;
	if (K > 0 && N > 0 && ps->tile_k > 0 && ps->tile_n > 0) {
		int64_t kb = ceil_div64(K, w), ks = K / w;
		int64_t nb = ceil_div64(N, h), ns = N / h;
		g->k_big_cols = K % w ? K % w : w;
		g->n_big_rows = N % h ? N % h : h;
		fk[0] = kb < ps->tile_k ? (double)kb / (double)ps->tile_k : 1;
		fk[1] = ks < ps->tile_k ? (double)ks / (double)ps->tile_k : 1;
		fn[0] = nb < ps->tile_n ? (double)nb / (double)ps->tile_n : 1;
		fn[1] = ns < ps->tile_n ? (double)ns / (double)ps->tile_n : 1;
	}
	/* combo c: bit 1 = a smaller-K column, bit 0 = a smaller-N row */
	for (int p = 0; p < PASS_COUNT; p++)
		for (int c = 0; c < 4; c++) {
			struct kernel_work kw;
			scale_work(&ps->work[p], fk[c >> 1] * fn[c & 1], &kw);
			g->occ_full[p][c] =
				engine_task_occ(s->m, s->p->prec, &kw, NULL);
			g->ready_full[p][c] = eng_task_ready(s->m, s->p->prec, &kw);
		}
}

/*
 * Full mode: time every PE of stage si's sample copy `copy` (plan.h; 0
 * without copies) for one task started (dispatched) at t0: passes pa (whose
 * output leaves the stage) then pb (or -1, local work after it).  Returns
 * the cycle the output leaves the rectangle.
 */
cycles_t eng_full_task(struct sim *s, int si, int pa, int pb, cycles_t t0,
		       int copy)
{
	const struct plan_stage *ps = &s->p->stages[si];
	struct stage_rt *g = &s->sg[si];
	const struct kernel_work *w = &ps->work[pa];
	struct rect rc = plan_copy_rect(ps, copy);
	const struct rect *r = &rc;
	int64_t R = plan_copies(ps); /* the copy's columns: one in every R */
	int64_t W = s->m->width;
	int red_x = w->reduce_axis == AXIS_X;
	int has_b = w->bcast_wavelets > 0, has_r = w->reduce_wavelets > 0;
	int64_t lines = has_r ? across(r, w->reduce_axis) : 1;
	int64_t len = has_r ? along(r, w->reduce_axis) : (int64_t)r->w * r->h;
	cycles_t out = t0;
	/* the reduced stream's tail after its head left the chain's last PE */
	cycles_t tail =
		has_r ? fabric_relay_cycles(&s->m->fabric, len - 1,
					    w->reduce_wavelets, s->relay,
					    s->relay_rate) -
				(cycles_t)(len - 1) *
					fabric_relay_link_cycles(&s->m->fabric,
								 s->relay)
		      : 0;
	for (int64_t li = 0; li < lines; li++) {
		cycles_t red = 0;
		for (int64_t k = 0; k < len; k++) {
			int64_t x, y;
			if (!has_r) {
				x = k % r->w;
				y = k / r->w;
			} else if (red_x) {
				x = k;
				y = li;
			} else {
				x = li;
				y = k;
			}
			int64_t pos_b = w->bcast_axis == AXIS_X ? x : y;
			int c = (x < g->k_big_cols ? 0 : 2) +
				(y < g->n_big_rows ? 0 : 1);
			int64_t id = (r->y + y) * W + (r->x + x * R);
			cycles_t arr = t0 + s->ramp +
				       (has_b ? (cycles_t)pos_b * s->hop : 0);
			cycles_t start = cmax(s->pe_free[id], arr);
			cycles_t end = start + g->occ_full[pa][c];
			cycles_t busy = g->occ_full[pa][c];
			if (pb >= 0)
				busy += g->occ_full[pb][c];
			s->pe_free[id] = start + busy;
			s->st->pe_busy_cycles[id] += busy;
			/* relay chain: the head leaves the first PE when its
			 * partial sums are final; every later PE takes it
			 * (hop + 2 ramp after it left the previous one) once
			 * its own are, adds and sends it on s->relay later */
			cycles_t rdy = start + g->ready_full[pa][c];
			if (has_r)
				red = k ? cmax(rdy, red + s->hop + 2 * s->ramp) +
						  s->relay
					: rdy;
			else
				out = cmax(out, end + s->ramp);
		}
		if (has_r)
			out = cmax(out, red + tail + s->ramp);
	}
	s->st->pe_tasks += (uint64_t)r->w * (uint64_t)r->h;
	return out;
}

/* ---- routes ----------------------------------------------------------- */

/* Link ids along a path of corners (dimension-ordered segments).  Steps
 * whose source router is outside the grid (host edge) are skipped. */
void eng_route_links(struct sim *s, struct eroute *e,
			const struct plan_point *pt, int np, int reverse)
{
	int64_t W = s->m->width, H = s->m->height;
	int64_t cap = 16, n = 0;
	int64_t *links = xmalloc((size_t)cap * sizeof(int64_t));
	for (int i = 0; i + 1 < np; i++) {
		struct plan_point a = pt[reverse ? np - 1 - i : i];
		struct plan_point b = pt[reverse ? np - 2 - i : i + 1];
		int64_t x = a.x, y = a.y;
		while (x != b.x || y != b.y) {
			int dir;
			int64_t nx = x, ny = y;
			if (x != b.x) {
				dir = b.x > x ? LINK_EAST : LINK_WEST;
				nx += b.x > x ? 1 : -1;
			} else {
				dir = b.y > y ? LINK_SOUTH : LINK_NORTH;
				ny += b.y > y ? 1 : -1;
			}
			if (x >= 0 && x < W && y >= 0 && y < H &&
			    nx >= 0 && nx < W && ny >= 0 && ny < H) {
				if (n == cap) {
					cap *= 2;
					links = xrealloc(links, (size_t)cap *
							 sizeof(int64_t));
				}
				links[n++] = (y * W + x) * LINK_DIRS + dir;
			}
			x = nx;
			y = ny;
		}
	}
	e->links = links;
	e->n_links = (int)n;
}

/* First lane of the bundle copy of path link `link` (lanes side by side
 * across the link's direction, centred on the path, kept inside the grid):
 * copy l (0 <= l < lanes) is link eng_bundle_link(s, link, lo + l). */
int64_t eng_bundle_lo(const struct sim *s, int64_t lanes, int64_t link)
{
	int64_t W = s->m->width, H = s->m->height;
	int64_t id = link / LINK_DIRS;
	int dir = (int)(link % LINK_DIRS);
	int along_x = dir == LINK_EAST || dir == LINK_WEST;
	int64_t span = along_x ? H : W;
	int64_t c = along_x ? id / W : id % W;
	int64_t lo = c - lanes / 2;
	if (lo < 0)
		lo = 0;
	if (lo + lanes > span)
		lo = span - lanes;
	return lo;
}

int64_t eng_bundle_link(const struct sim *s, int64_t link, int64_t lane)
{
	int64_t W = s->m->width;
	int64_t id = link / LINK_DIRS;
	int dir = (int)(link % LINK_DIRS);
	int along_x = dir == LINK_EAST || dir == LINK_WEST;
	int64_t pid = along_x ? lane * W + id % W : (id / W) * W + lane;
	return pid * LINK_DIRS + dir;
}

/* Where the lanes of path link `link` start in link_free (layout at the
 * top of this file). */
int64_t eng_bundle_free_index(const struct sim *s, int64_t lanes,
			      int64_t link)
{
	int64_t W = s->m->width, H = s->m->height;
	int64_t id = link / LINK_DIRS;
	int dir = (int)(link % LINK_DIRS);
	int64_t plane = (int64_t)dir * W * H, lo = eng_bundle_lo(s, lanes, link);
	if (dir == LINK_EAST || dir == LINK_WEST)
		return plane + (id % W) * H + lo;
	return plane + (id / W) * W + lo;
}

void eng_count_work(struct sim *s, int si, int pass, cycles_t t0,
		    cycles_t t1, int64_t n)
{
	const struct pe_work *w = &s->p->stages[si].work[pass].pe;
	struct stats_stage *g = &s->st->stages[si];
	/* a task runs on one sample copy, the update on every copy */
	int64_t R = pass == PASS_UPDATE ? plan_copies(&s->p->stages[si]) : 1;
	int64_t pes = s->sg[si].pes * n * R;
	double hops = s->sg[si].task_hops[pass] * (double)n;
	g->fma += w->fma * pes;
	g->ew += w->ew * pes;
	g->sram_reads += w->sram_reads * pes;
	g->sram_writes += w->sram_writes * pes;
	g->wavelet_hops += n == 1 ? (int64_t)s->sg[si].task_hops[pass]
				  : (int64_t)hops;
	struct stats_windows *win = &s->st->win;
	stats_win_add(win, t0, t1, win->fma, 1, (double)(w->fma * pes));
	stats_win_add(win, t0, t1, win->ew, 1, (double)(w->ew * pes));
	stats_win_add(win, t0, t1, win->sram_reads, 1,
		      (double)(w->sram_reads * pes));
	stats_win_add(win, t0, t1, win->sram_writes, 1,
		      (double)(w->sram_writes * pes));
	stats_win_add(win, t0, t1, win->wavelet_hops, 1, hops);
	g->tasks[pass] += n;
}
