/*
 * engine.c: discrete-event execution of a plan. See engine.h.
 *
 * Layout of the run-time state (all owned by struct sim, freed together):
 *
 *   stages  [0 .. n)      plan stages        struct stage_rt (per stage)
 *   stages  [n]           the host source:   injects samples at the I/O rate
 *   routes  [0 .. nr)     plan routes, then backward routes the engine
 *                         derived by reversing forward ones (plans without
 *                         PASS_BWD_DATA routes)
 *   fwd_got, bwd_got      [(n + 1) * S]      inputs arrived per stage, sample
 *   fwd_done              [(n + 1) * S]      forward output left the stage
 *   link_free             [4][W * H]         first cycle each link is free,
 *                         one plane per direction; N/S planes row-major
 *                         (y * W + x), E/W planes column-major (x * H + y),
 *                         so the lanes of a bundle at one hop (side by
 *                         side across the hop) are contiguous:
 *
 *                           E/W hop at (x, y), lanes lo..lo+L-1:
 *                             plane[E] + x * H + lo .. + L - 1
 *                           N/S hop at (x, y):
 *                             plane[S] + y * W + lo .. + L - 1
 *   pe_free               [W * H]            full mode: first free cycle
 *
 * What must stay true: every time comes from engine_task_occ() and the
 * fabric timing rules; events are only pushed for now or the future; the
 * queue's tie-break (push order) is the only ordering between equal times,
 * so runs are deterministic.
 */
#include "sim/engine.h"

#include <stdlib.h>
#include <string.h>

#include "cores/pe.h"
#include "fabric/reserve.h"
#include "fabric/timing.h"
#include "ground/event.h"

enum { EV_TRY = 0, EV_DONE, EV_OUT_FWD, EV_OUT_BWD, EV_ARRIVE };
enum { TASK_NONE = 0, TASK_FWD, TASK_BWD, TASK_UPDATE };

struct stage_rt {
	/* per pass: occupancy of the reference PE, its compute part, what
	 * limits it, and the extra latency from the task's start to its
	 * output leaving the rectangle beyond the occupancy */
	cycles_t occ[PASS_COUNT], comp[PASS_COUNT], lat[PASS_COUNT];
	/* per pass: cycles from the task's start until its partial sums are
	 * final and the reduction stream can leave (task_ready()) */
	cycles_t ready[PASS_COUNT];
	enum stats_limit lim[PASS_COUNT];
	double task_hops[PASS_COUNT]; /* wavelet hops inside the rect */
	int64_t pes;
	int fwd_need, bwd_need;	 /* input routes to wait for */
	int64_t next_fwd, next_bwd, updates;
	int task;		 /* TASK_* running, TASK_NONE when idle */
	cycles_t free_at;
	int blocked;		 /* ready forward task held by back-pressure */
	cycles_t blocked_since;
	int n_out_fwd, n_out_bwd, n_cons, n_prod;
	int *out_fwd, *out_bwd;	 /* route ids */
	int *cons, *prod;	 /* stage ids (consumers hold back-pressure) */
	int64_t *credits;	 /* per consumer: samples this stage may be
				    ahead of that consumer's starts */
	int sink;		 /* forward output goes to no stage */
	/* full mode: occupancy of the four tile shapes (columns with the
	 * larger or smaller share of K x rows with that of N) */
	cycles_t occ_full[PASS_COUNT][4];
	cycles_t ready_full[PASS_COUNT][4];
	int64_t k_big_cols, n_big_rows; /* columns / rows with the larger share */
	/* shared weights (plan ROUTE_GRAD_SYNC / ROUTE_WEIGHT_SYNC): sync
	 * routes this stage sends once per step (gradients after its last
	 * backward of the step, weights after its update) and how many it
	 * waits for before its update (gradients: owner; weights: replica,
	 * whose "update" is taking the owner's new weights in) */
	int n_gsync_out, n_wsync_out, gsync_need, wsync_need;
	int *gsync_out, *wsync_out;
};

struct eroute {
	int src, dst;	 /* stage ids; src == n: host; dst == -1: host */
	int fwd;	 /* 1 activations, 0 gradients */
	int64_t wavelets, lanes, ser, hops;
	int n_links;
	int64_t *links;	 /* link ids along the representative path */
	/* the bundle: `lanes` parallel copies of each link of the path, side
	 * by side across its direction (bundle_lo()); the stream holds all of
	 * them and every one carries its share of the wavelets */
	int64_t n_sends; /* samples sent over the run (for the link counts) */
	int64_t *lf;	 /* per path link: link_free index of its first lane */
	int sync;	 /* plan route kind: ROUTE_SAMPLE, or once per step */
};

struct sim {
	const struct plan *p;
	const struct graph *g;
	const struct machine *m;
	struct engine_opts o;
	struct stats *st;
	int n, nr;
	int64_t B, S;
	int steps, train;
	struct stage_rt *sg;
	struct eroute *rt;
	uint16_t *fwd_got, *bwd_got;
	uint8_t *fwd_done;
	cycles_t *sample_out;
	cycles_t *step_end;
	int *step_count;
	uint64_t *link_free;
	uint64_t *pe_free;
	struct event_queue q;
	cycles_t hop, ramp;
	cycles_t relay;	/* cycles a PE spends per relayed wavelet (pe.h) */
	int64_t samples_out;
	int64_t host_bytes;	/* host input bytes per sample */
	/* sync routes arrived per stage and step: [(n + 1) * steps] */
	uint16_t *gsync_got, *wsync_got;
};

static int64_t ceil_div64(int64_t a, int64_t b)
{
	return b <= 0 ? 0 : (a + b - 1) / b;
}

static cycles_t cmax(cycles_t a, cycles_t b)
{
	return a > b ? a : b;
}

void engine_opts_init(struct engine_opts *o)
{
	memset(o, 0, sizeof(*o));
}

cycles_t engine_task_occ(const struct machine *m, enum pe_prec prec,
			 const struct kernel_work *w, enum stats_limit *limit)
{
	struct pe_cycles c;
	pe_work_breakdown(&m->pe, prec, &w->pe, &c);
	cycles_t in = (cycles_t)(w->bcast_wavelets + w->halo_wavelets);
	cycles_t out = (cycles_t)(w->reduce_wavelets + w->halo_wavelets);
	cycles_t occ = c.total;
	enum stats_limit l = c.bound == PE_BOUND_COMPUTE     ? LIMIT_COMPUTE
			     : c.bound == PE_BOUND_TASKS     ? LIMIT_TASKS
							     : LIMIT_SRAM;
	/* the ramp carries one wavelet per cycle each way; task starts are
	 * paid on top of streaming, like on top of computing */
	cycles_t ramp = cmax(in, out) + c.task;
	if (ramp > occ) {
		occ = ramp;
		l = LIMIT_FABRIC;
	}
	if (limit)
		*limit = l;
	return occ;
}

/* Extent of a rectangle along an axis, and across it. */
static int64_t along(const struct rect *r, enum plan_axis a)
{
	return a == AXIS_X ? r->w : r->h;
}

static int64_t across(const struct rect *r, enum plan_axis a)
{
	return a == AXIS_X ? r->h : r->w;
}

/* Cycles from a task's start until its partial sums are final, so its
 * reduction stream can start to leave: the computation and the inputs
 * (broadcast and halo, one per cycle over the ramp, task starts on top, as
 * engine_task_occ() counts them), not the outgoing stream.  The occupancy
 * may also count the outgoing stream (ramp-bound tasks); the latency must
 * not count it a second time after the occupancy. */
static cycles_t task_ready(const struct machine *m, enum pe_prec prec,
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
 * sends it back up) and its tail.  Must equal what full_task() computes
 * when all tiles are equal. */
static cycles_t task_lat(const struct sim *s, const struct rect *r,
			 const struct kernel_work *w, cycles_t occ,
			 cycles_t ready)
{
	int64_t lb = w->bcast_wavelets > 0 ? along(r, w->bcast_axis) - 1 : 0;
	if (w->reduce_wavelets <= 0)
		return 2 * s->ramp + (cycles_t)lb * s->hop;
	int64_t lr = along(r, w->reduce_axis) - 1;
	cycles_t chain = fabric_relay_cycles(&s->m->fabric, lr,
					     w->reduce_wavelets, s->relay);
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

static double task_hops(const struct rect *r, const struct kernel_work *w)
{
	double h = 0;
	if (w->bcast_wavelets > 0)
		h += (double)w->bcast_wavelets *
		     (double)(along(r, w->bcast_axis) - 1) *
		     (double)across(r, w->bcast_axis);
	if (w->reduce_wavelets > 0)
		h += (double)w->reduce_wavelets *
		     (double)(along(r, w->reduce_axis) - 1) *
		     (double)across(r, w->reduce_axis);
	/* halo: every PE trades with its row neighbours inside the rectangle
	 * (the spatial split is over columns, compiler/map.c), one hop each:
	 * the w - 1 link pairs of each row, as stage_links() counts them */
	h += (double)w->halo_wavelets * (double)(r->w - 1) * (double)r->h;
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
#undef SC
}

/* Full mode: the per-PE tiles of a stage.  A dense main layer with known
 * K (input features) and N (units) is split as compiler/plan.h says: K over
 * the w columns, N over the h rows, the first K % w columns (N % h rows)
 * one element larger.  Anything else is taken as even. */
static void full_setup(struct sim *s, int si)
{
	const struct plan_stage *ps = &s->p->stages[si];
	struct stage_rt *g = &s->sg[si];
	int64_t K = 0, N = 0;
	if (s->g && ps->kind == KERNEL_DENSE && ps->n_layers > 0 &&
	    ps->layers[0] >= 0 && ps->layers[0] < s->g->n_layers) {
		const struct layer *l = &s->g->layers[ps->layers[0]];
		if (l->op == OP_DENSE && l->n_in > 0) {
			const struct tensor *t = &s->g->tensors[l->in[0]];
			if (t->rank > 0)
				K = t->dims[t->rank - 1];
			N = l->attrs.units;
		}
	}
	int64_t h = ps->r.h, w = ps->r.w;
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
			g->ready_full[p][c] = task_ready(s->m, s->p->prec, &kw);
		}
}

/*
 * Full mode: time every PE of stage si for one task started (dispatched)
 * at t0: passes pa (whose output leaves the stage) then pb (or -1, local
 * work after it).  Returns the cycle the output leaves the rectangle.
 */
static cycles_t full_task(struct sim *s, int si, int pa, int pb, cycles_t t0)
{
	const struct plan_stage *ps = &s->p->stages[si];
	struct stage_rt *g = &s->sg[si];
	const struct kernel_work *w = &ps->work[pa];
	const struct rect *r = &ps->r;
	int64_t W = s->m->width;
	int red_x = w->reduce_axis == AXIS_X;
	int has_b = w->bcast_wavelets > 0, has_r = w->reduce_wavelets > 0;
	int64_t lines = has_r ? across(r, w->reduce_axis) : 1;
	int64_t len = has_r ? along(r, w->reduce_axis) : (int64_t)r->w * r->h;
	cycles_t out = t0;
	/* the reduced stream's tail after its head left the chain's last PE */
	cycles_t tail =
		has_r ? fabric_relay_cycles(&s->m->fabric, len - 1,
					    w->reduce_wavelets, s->relay) -
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
			int64_t id = (r->y + y) * W + (r->x + x);
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
			 * its own are, adds (s->relay) and sends it on */
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

static int64_t stage_out_lines(const struct plan_stage *ps, int pass)
{
	const struct kernel_work *w = &ps->work[pass];
	if (w->reduce_wavelets > 0)
		return across(&ps->r, w->reduce_axis);
	/* no reduction: the output is spread over the rectangle and leaves
	 * through its longer edge */
	return ps->r.w > ps->r.h ? ps->r.w : ps->r.h;
}

static int64_t stage_in_lines(const struct plan_stage *ps, int pass)
{
	const struct kernel_work *w = &ps->work[pass];
	if (w->bcast_wavelets > 0)
		return across(&ps->r, w->bcast_axis);
	return ps->r.w > ps->r.h ? ps->r.w : ps->r.h;
}

/* Link ids along a path of corners (dimension-ordered segments).  Steps
 * whose source router is outside the grid (host edge) are skipped. */
static void route_links(struct sim *s, struct eroute *e,
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
	e->hops = n;
}

/* First lane of the bundle copy of path link `link` (lanes side by side
 * across the link's direction, centred on the path, kept inside the grid):
 * copy l (0 <= l < e->lanes) is link bundle_link(s, link, lo + l). */
static int64_t bundle_lo(const struct sim *s, const struct eroute *e,
			 int64_t link)
{
	int64_t W = s->m->width, H = s->m->height;
	int64_t id = link / LINK_DIRS;
	int dir = (int)(link % LINK_DIRS);
	int along_x = dir == LINK_EAST || dir == LINK_WEST;
	int64_t span = along_x ? H : W;
	int64_t c = along_x ? id / W : id % W;
	int64_t lo = c - e->lanes / 2;
	if (lo < 0)
		lo = 0;
	if (lo + e->lanes > span)
		lo = span - e->lanes;
	return lo;
}

static int64_t bundle_link(const struct sim *s, int64_t link, int64_t lane)
{
	int64_t W = s->m->width;
	int64_t id = link / LINK_DIRS;
	int dir = (int)(link % LINK_DIRS);
	int along_x = dir == LINK_EAST || dir == LINK_WEST;
	int64_t pid = along_x ? lane * W + id % W : (id / W) * W + lane;
	return pid * LINK_DIRS + dir;
}

/*
 * The engine's rule for a route's stream: fabric_reserve() (the fabric's
 * link-reservation model, fabric/reserve.h) over the whole bundle (every
 * lane of every hop), so two streams whose bundles
 * share a link serialise even when their representative paths do not
 * cross; the latency is that of the path (its hops).  This is the same
 * traffic route_paint() counts: each lane link carries at most `ser`
 * wavelets per sample and is held for `ser` cycles.
 */
static cycles_t bundle_reserve(struct sim *s, const struct eroute *e,
			       cycles_t ready, cycles_t *start)
{
	return fabric_reserve(s->link_free, e->lf, e->n_links, e->lanes,
			      e->n_links, ready, e->ser, &s->m->fabric, start);
}

/* Where the lanes of path link `link` start in link_free (layout at the
 * top of this file). */
static int64_t bundle_free_index(const struct sim *s, const struct eroute *e,
				 int64_t link)
{
	int64_t W = s->m->width, H = s->m->height;
	int64_t id = link / LINK_DIRS;
	int dir = (int)(link % LINK_DIRS);
	int64_t plane = (int64_t)dir * W * H, lo = bundle_lo(s, e, link);
	if (dir == LINK_EAST || dir == LINK_WEST)
		return plane + (id % W) * H + lo;
	return plane + (id / W) * W + lo;
}

/* Send sample `smp` on route ri, ready at t. */
static void route_send(struct sim *s, int ri, uint64_t smp, cycles_t t)
{
	struct eroute *e = &s->rt[ri];
	struct stats_route *sr = &s->st->routes[ri];
	cycles_t start;
	cycles_t arrive = bundle_reserve(s, e, t, &start);
	e->n_sends++;

	if (e->dst < 0) {
		arrive += (cycles_t)s->m->io.latency_cycles;
		s->st->io_out_bytes += e->wavelets * (s->m->fabric.wavelet_bits / 8);
	}
	sr->wavelets += e->wavelets;
	sr->busy_cycles += (cycles_t)e->ser;
	sr->wait_cycles += start - t;
	double hops = (double)e->wavelets * (double)e->hops;
	s->st->wavelet_hops += (int64_t)hops;
	stats_win_add(&s->st->win, start, start + (cycles_t)e->ser,
		      s->st->win.wavelet_hops, 1, hops);
	if (s->st->cap_spans) { /* traces: off by default */
		if (start > t)
			stats_span_add(s->st, STATS_SPAN_ROUTE_WAIT, ri, smp, t,
				       start, 0);
		stats_span_add(s->st, STATS_SPAN_ROUTE, ri, smp, start,
			       start + (cycles_t)e->ser, 0);
	}
	event_push(&s->q, arrive, EV_ARRIVE, (uint32_t)ri, smp);
}

/* ---- stages ----------------------------------------------------------- */

static void count_work(struct sim *s, int si, int pass, cycles_t t0,
		       cycles_t t1)
{
	const struct pe_work *w = &s->p->stages[si].work[pass].pe;
	struct stats_stage *g = &s->st->stages[si];
	int64_t pes = s->sg[si].pes;
	g->fma += w->fma * pes;
	g->ew += w->ew * pes;
	g->sram_reads += w->sram_reads * pes;
	g->sram_writes += w->sram_writes * pes;
	g->wavelet_hops += (int64_t)s->sg[si].task_hops[pass];
	struct stats_windows *win = &s->st->win;
	stats_win_add(win, t0, t1, win->fma, 1, (double)(w->fma * pes));
	stats_win_add(win, t0, t1, win->ew, 1, (double)(w->ew * pes));
	stats_win_add(win, t0, t1, win->sram_reads, 1,
		      (double)(w->sram_reads * pes));
	stats_win_add(win, t0, t1, win->sram_writes, 1,
		      (double)(w->sram_writes * pes));
	stats_win_add(win, t0, t1, win->wavelet_hops, 1,
		      s->sg[si].task_hops[pass]);
	g->tasks[pass]++;
}

/* Start a task on stage si at `now`; passes run back to back. */
static void start_task(struct sim *s, int si, int kind, uint64_t smp,
		       cycles_t now)
{
	struct stage_rt *g = &s->sg[si];
	int host = si == s->n;
	if (g->blocked) {
		if (!host)
			s->st->stages[si].wait_out_cycles += now - g->blocked_since;
		if (!host && s->st->cap_spans) /* traces: off by default */
			stats_span_add(s->st, STATS_SPAN_STALL, si, smp,
				       g->blocked_since, now, 0);
		g->blocked = 0;
	}
	int pa, pb = -1;
	if (kind == TASK_FWD)
		pa = PASS_FWD;
	else if (kind == TASK_BWD)
		pa = PASS_BWD_DATA, pb = PASS_BWD_WEIGHT;
	else
		pa = PASS_UPDATE;
	cycles_t occ = g->occ[pa] + (pb >= 0 ? g->occ[pb] : 0);
	cycles_t comp = g->comp[pa] + (pb >= 0 ? g->comp[pb] : 0);
	g->task = kind;
	g->free_at = now + occ;
	event_push(&s->q, g->free_at, EV_DONE, (uint32_t)si, smp);
	if (host) {
		/* the host's task is pushing one sample through the I/O */
		s->st->io_busy_cycles += occ;
		int64_t bytes = 0;
		for (int i = 0; i < g->n_out_fwd; i++)
			bytes += s->rt[g->out_fwd[i]].wavelets *
				 (s->m->fabric.wavelet_bits / 8);
		s->st->io_in_bytes += bytes;
		stats_win_add(&s->st->win, now, now + occ, s->st->win.io_bytes,
			      1, (double)bytes);
		g->next_fwd++;
		event_push(&s->q, now + occ + (cycles_t)s->m->io.latency_cycles,
			   EV_OUT_FWD, (uint32_t)si, smp);
	} else {
		struct stats_stage *ss = &s->st->stages[si];
		ss->compute_cycles += comp;
		ss->comm_cycles += occ - comp;
		if (ss->tasks[PASS_FWD] + ss->tasks[PASS_BWD_DATA] +
			    ss->tasks[PASS_UPDATE] == 0)
			ss->first_cycle = now;
		ss->last_cycle = cmax(ss->last_cycle, now + occ);
		stats_win_add(&s->st->win, now, now + occ,
			      s->st->win.stage_busy + si, s->n, (double)occ);
		if (s->st->cap_spans) /* traces: off by default */
			stats_span_add(s->st,
				       kind == TASK_FWD   ? STATS_SPAN_FWD
				       : kind == TASK_BWD ? STATS_SPAN_BWD
							  : STATS_SPAN_UPDATE,
				       si, smp, now, now + occ, comp);
		count_work(s, si, pa, now, now + g->occ[pa]);
		if (pb >= 0)
			count_work(s, si, pb, now + g->occ[pa], now + occ);
		cycles_t out;
		if (s->o.full)
			out = full_task(s, si, pa, pb, now);
		else {
			out = now + g->occ[pa] + g->lat[pa];
			s->st->pe_tasks++;
		}
		if (kind == TASK_FWD) {
			g->next_fwd++;
			event_push(&s->q, out, EV_OUT_FWD, (uint32_t)si, smp);
		} else if (kind == TASK_BWD) {
			g->next_bwd++;
			event_push(&s->q, out, EV_OUT_BWD, (uint32_t)si, smp);
		}
	}
	/* producers held by back-pressure on us may go on now */
	if (kind == TASK_FWD)
		for (int i = 0; i < g->n_prod; i++)
			event_push(&s->q, now, EV_TRY, (uint32_t)g->prod[i], 0);
}

/* Pick and start the next task of stage si if it is idle. */
static void try_stage(struct sim *s, int si, cycles_t now)
{
	struct stage_rt *g = &s->sg[si];
	if (g->task != TASK_NONE || now < g->free_at)
		return;
	size_t base = (size_t)si * (size_t)s->S;
	int host = si == s->n;
	if (s->train && !host) {
		int64_t k = g->updates;
		size_t ks = (size_t)si * (size_t)s->steps + (size_t)k;
		if (k < s->steps && g->next_bwd == (k + 1) * s->B &&
		    (!g->gsync_need || s->gsync_got[ks] >= g->gsync_need) &&
		    (!g->wsync_need || s->wsync_got[ks] >= g->wsync_need)) {
			start_task(s, si, TASK_UPDATE, (uint64_t)k, now);
			return;
		}
		int64_t b = g->next_bwd;
		if (b < g->next_fwd && s->fwd_done[base + b] &&
		    s->bwd_got[base + b] >= g->bwd_need) {
			start_task(s, si, TASK_BWD, (uint64_t)b, now);
			return;
		}
	}
	int64_t f = g->next_fwd;
	if (f >= s->S)
		return;
	if (s->train && !host && g->updates < f / s->B)
		return;
	if (s->fwd_got[base + f] < g->fwd_need)
		return;
	for (int i = 0; i < g->n_cons; i++)
		if (f - s->sg[g->cons[i]].next_fwd >= g->credits[i]) {
			if (!g->blocked) {
				g->blocked = 1;
				g->blocked_since = now;
			}
			return;
		}
	start_task(s, si, TASK_FWD, (uint64_t)f, now);
}

static void on_done(struct sim *s, int si, cycles_t now)
{
	struct stage_rt *g = &s->sg[si];
	if (g->task == TASK_BWD && g->n_gsync_out && g->next_bwd > 0 &&
	    g->next_bwd % s->B == 0) {
		/* the step's weight gradients are complete: to the owner */
		for (int i = 0; i < g->n_gsync_out; i++)
			route_send(s, g->gsync_out[i],
				   (uint64_t)(g->next_bwd / s->B - 1), now);
	}
	if (g->task == TASK_UPDATE) {
		int64_t k = g->updates++;
		if (++s->step_count[k] == s->n)
			s->step_end[k] = now;
		/* the updated weights: back to the replicas */
		for (int i = 0; i < g->n_wsync_out; i++)
			route_send(s, g->wsync_out[i], (uint64_t)k, now);
	}
	g->task = TASK_NONE;
	try_stage(s, si, now);
}

static void on_out(struct sim *s, int si, uint64_t smp, int fwd,
		   cycles_t now)
{
	struct stage_rt *g = &s->sg[si];
	if (fwd) {
		s->fwd_done[(size_t)si * (size_t)s->S + smp] = 1;
		for (int i = 0; i < g->n_out_fwd; i++)
			route_send(s, g->out_fwd[i], smp, now);
		if (g->sink && si != s->n) {
			s->sample_out[smp] = cmax(s->sample_out[smp], now);
			if (!s->train)
				s->samples_out++;
		}
	} else {
		for (int i = 0; i < g->n_out_bwd; i++)
			route_send(s, g->out_bwd[i], smp, now);
	}
	if (si != s->n)
		try_stage(s, si, now);
}

static void on_arrive(struct sim *s, int ri, uint64_t smp, cycles_t now)
{
	struct eroute *e = &s->rt[ri];
	if (e->sync) { /* smp is the step */
		size_t ks = (size_t)e->dst * (size_t)s->steps + (size_t)smp;
		if (e->sync == ROUTE_GRAD_SYNC)
			s->gsync_got[ks]++;
		else
			s->wsync_got[ks]++;
		try_stage(s, e->dst, now);
		return;
	}
	if (e->dst < 0) {
		s->sample_out[smp] = cmax(s->sample_out[smp], now);
		return;
	}
	size_t at = (size_t)e->dst * (size_t)s->S + smp;
	if (e->fwd)
		s->fwd_got[at]++;
	else
		s->bwd_got[at]++;
	try_stage(s, e->dst, now);
}

/* ---- set-up ----------------------------------------------------------- */

static int check_plan(const struct plan *p, const struct machine *m,
		      struct diag *d)
{
	size_t before = diag_count(d);
	if (p->n_stages <= 0)
		diag_add(d, NULL, 0, 0, "engine: plan '%s' has no stages",
			 p->network ? p->network : "?");
	for (int i = 0; i < p->n_stages; i++) {
		const struct rect *r = &p->stages[i].r;
		if (r->w < 1 || r->h < 1 || r->x < 0 || r->y < 0 ||
		    r->x + r->w > m->width || r->y + r->h > m->height)
			diag_add(d, NULL, 0, 0,
				 "engine: stage '%s' rectangle must lie in the "
				 "%lldx%lld grid, got %dx%d at (%d, %d)",
				 p->stages[i].name ? p->stages[i].name : "?",
				 (long long)m->width, (long long)m->height,
				 r->w, r->h, r->x, r->y);
	}
	for (int i = 0; i < p->n_routes; i++) {
		const struct plan_route *r = &p->routes[i];
		if (r->src_stage < -1 || r->src_stage >= p->n_stages ||
		    r->dst_stage < -1 || r->dst_stage >= p->n_stages ||
		    (r->src_stage < 0 && r->dst_stage < 0))
			diag_add(d, NULL, 0, 0,
				 "engine: route %d must join stages in [0, %d) "
				 "or the host, got %d -> %d",
				 i, p->n_stages, r->src_stage, r->dst_stage);
	}
	return diag_count(d) > before ? WS_EINPUT : 0;
}

static void push_int(int **a, int *n, int v)
{
	for (int i = 0; i < *n; i++)
		if ((*a)[i] == v)
			return;
	*a = xrealloc(*a, (size_t)(*n + 1) * sizeof(int));
	(*a)[(*n)++] = v;
}

static void add_route_out(int **a, int *n, int v)
{
	*a = xrealloc(*a, (size_t)(*n + 1) * sizeof(int));
	(*a)[(*n)++] = v;
}

static void credits_setup(struct sim *s);

static void setup(struct sim *s)
{
	const struct plan *p = s->p;
	const struct machine *m = s->m;
	int n = s->n = p->n_stages;
	s->hop = fabric_hop_cycles(&m->fabric);
	s->ramp = (cycles_t)m->fabric.ramp_latency_cycles;
	s->relay = pe_relay_cycles(&m->pe, p->prec);
	s->sg = xcalloc((size_t)n + 1, sizeof(*s->sg));
	for (int i = 0; i < n; i++) {
		const struct plan_stage *ps = &p->stages[i];
		struct stage_rt *g = &s->sg[i];
		g->pes = (int64_t)ps->r.w * ps->r.h;
		for (int k = 0; k < PASS_COUNT; k++) {
			g->occ[k] = engine_task_occ(m, p->prec, &ps->work[k],
						    &g->lim[k]);
			g->comp[k] = pe_work_cycles(&m->pe, p->prec,
						    &ps->work[k].pe);
			if (g->comp[k] > g->occ[k])
				g->comp[k] = g->occ[k];
			g->ready[k] = task_ready(m, p->prec, &ps->work[k]);
			g->lat[k] = task_lat(s, &ps->r, &ps->work[k],
					     g->occ[k], g->ready[k]);
			g->task_hops[k] = task_hops(&ps->r, &ps->work[k]);
		}
		if (s->o.full)
			full_setup(s, i);
	}
	/* routes: the plan's, then reversed forward routes when the plan has
	 * no backward routes and we train */
	int has_bwd = 0;
	for (int i = 0; i < p->n_routes; i++)
		if (p->routes[i].pass == PASS_BWD_DATA)
			has_bwd = 1;
	int nfwd_stage = 0;
	for (int i = 0; i < p->n_routes; i++)
		if (p->routes[i].pass == PASS_FWD && p->routes[i].src_stage >= 0 &&
		    p->routes[i].dst_stage >= 0)
			nfwd_stage++;
	int extra = s->train && !has_bwd ? nfwd_stage : 0;
	s->nr = p->n_routes + extra;
	s->rt = xcalloc((size_t)s->nr + 1, sizeof(*s->rt));
	int e = p->n_routes;
	int64_t wb = m->fabric.wavelet_bits / 8;
	for (int i = 0; i < p->n_routes; i++) {
		const struct plan_route *pr = &p->routes[i];
		struct eroute *r = &s->rt[i];
		r->fwd = pr->pass != PASS_BWD_DATA;
		r->src = pr->src_stage < 0 ? n : pr->src_stage;
		r->dst = pr->dst_stage;
		r->wavelets = pr->wavelets_per_sample;
		if (pr->kind != ROUTE_SAMPLE) {
			/* once per step, between two stages (plan_check) */
			r->sync = pr->kind;
			r->fwd = 0;
			r->wavelets = fabric_wavelets(&m->fabric,
						      pr->bytes_per_step);
		}
		route_links(s, r, pr->points, pr->n_points, 0);
		if (extra && pr->pass == PASS_FWD && pr->src_stage >= 0 &&
		    pr->dst_stage >= 0) {
			struct eroute *b = &s->rt[e++];
			b->fwd = 0;
			b->src = pr->dst_stage;
			b->dst = pr->src_stage;
			b->wavelets = pr->wavelets_per_sample;
			route_links(s, b, pr->points, pr->n_points, 1);
		}
	}
	for (int i = 0; i < s->nr; i++) {
		struct eroute *r = &s->rt[i];
		int pa = r->fwd ? PASS_FWD : PASS_BWD_DATA;
		int64_t lo = r->src < n ? stage_out_lines(&p->stages[r->src], pa)
					: INT64_MAX;
		int64_t li = r->dst >= 0 ? stage_in_lines(&p->stages[r->dst], pa)
					 : lo;
		if (r->sync && r->src < n && r->dst >= 0) {
			/* weights and gradients lie over the whole rectangle:
			 * they leave across the source's extent facing the
			 * first hop and enter across the destination's
			 * facing the last */
			lo = li = 1;
			if (r->n_links) {
				int d0 = (int)(r->links[0] % LINK_DIRS);
				int d1 = (int)(r->links[r->n_links - 1] %
					       LINK_DIRS);
				const struct rect *a = &p->stages[r->src].r;
				const struct rect *b = &p->stages[r->dst].r;
				lo = d0 == LINK_EAST || d0 == LINK_WEST ? a->h
									: a->w;
				li = d1 == LINK_EAST || d1 == LINK_WEST ? b->h
									: b->w;
			}
		}
		r->lanes = lo < li ? lo : li;
		if (r->lanes == INT64_MAX || r->lanes < 1)
			r->lanes = 1;
		/* a bundle is no wider than the grid across any of its hops */
		for (int k = 0; k < r->n_links; k++) {
			int d = (int)(r->links[k] % LINK_DIRS);
			int64_t span = d == LINK_EAST || d == LINK_WEST
					       ? m->height : m->width;
			if (r->lanes > span)
				r->lanes = span;
		}
		r->lf = xmalloc((size_t)(r->n_links + 1) * sizeof(int64_t));
		for (int k = 0; k < r->n_links; k++)
			r->lf[k] = bundle_free_index(s, r, r->links[k]);
		r->ser = ceil_div64(r->wavelets, r->lanes);
		if (r->sync) {
			if (s->train && r->src < n && r->dst >= 0) {
				struct stage_rt *a = &s->sg[r->src];
				struct stage_rt *b = &s->sg[r->dst];
				if (r->sync == ROUTE_GRAD_SYNC) {
					add_route_out(&a->gsync_out,
						      &a->n_gsync_out, i);
					b->gsync_need++;
				} else {
					add_route_out(&a->wsync_out,
						      &a->n_wsync_out, i);
					b->wsync_need++;
				}
			}
		} else if (s->train || r->fwd) {
			if (r->fwd) {
				add_route_out(&s->sg[r->src].out_fwd,
					      &s->sg[r->src].n_out_fwd, i);
				if (r->dst >= 0) {
					s->sg[r->dst].fwd_need++;
					push_int(&s->sg[r->src].cons,
						 &s->sg[r->src].n_cons, r->dst);
					push_int(&s->sg[r->dst].prod,
						 &s->sg[r->dst].n_prod, r->src);
				}
			} else if (r->src < n && r->dst >= 0) {
				add_route_out(&s->sg[r->src].out_bwd,
					      &s->sg[r->src].n_out_bwd, i);
				s->sg[r->dst].bwd_need++;
			}
		}
		struct stats_route *sr = &s->st->routes[i];
		sr->src_stage = r->src == n ? -1 : r->src;
		sr->dst_stage = r->dst;
		sr->backward = r->sync ? r->sync == ROUTE_GRAD_SYNC : !r->fwd;
		sr->hops = r->hops;
		sr->lanes = r->lanes;
		sr->occ_cycles = (cycles_t)r->ser;
	}
	for (int i = 0; i < n; i++)
		s->sg[i].sink = s->sg[i].n_cons == 0;
	/* the host: one task per sample, the bytes of all its routes through
	 * the edge I/O */
	struct stage_rt *h = &s->sg[n];
	int64_t bytes = 0;
	for (int i = 0; i < h->n_out_fwd; i++)
		bytes += s->rt[h->out_fwd[i]].wavelets * wb;
	s->host_bytes = bytes;
	double bpc = m->io.bandwidth_gbytes_s / m->clock_ghz; /* bytes/cycle */
	h->occ[PASS_FWD] = bytes > 0 ? (cycles_t)((double)bytes / bpc + 0.999999)
				     : 0;
	h->lim[PASS_FWD] = LIMIT_IO;
	credits_setup(s);
}

/*
 * Back-pressure credits.  A producer may run ahead of a consumer's starts by
 * the consumer's input slots plus what the path between them holds at full
 * rate: its transit latency (the producer's broadcast and reduction chain,
 * the route's hops and ramps, the host I/O latency) over the serialisation
 * of one sample (router buffers hold at least one wavelet per hop, so a
 * long path is also a deep queue).  And when a consumer's inputs arrive by
 * paths of different latency (Uno's doses go straight from the host to the
 * head, its encoders take three stages), the early input is buffered at the
 * consumer for the skew between them; without this the short path would
 * throttle the whole pipeline, which the hardware does not do.
 */
static void credits_setup(struct sim *s)
{
	int n = s->n;
	cycles_t *dist = xcalloc((size_t)n + 1, sizeof(cycles_t));
	cycles_t *arr = xcalloc((size_t)s->nr + 1, sizeof(cycles_t));
	/* longest arrival time of a sample at every stage's edge, host at 0
	 * (relaxation over the DAG; n + 1 rounds suffice) */
	for (int round = 0; round <= n; round++) {
		int changed = 0;
		for (int r = 0; r < s->nr; r++) {
			const struct eroute *e = &s->rt[r];
			if (!e->fwd || e->dst < 0)
				continue;
			const struct stage_rt *g = &s->sg[e->src];
			cycles_t t = dist[e->src] + g->occ[PASS_FWD] +
				     fabric_stream_cycles(&s->m->fabric, e->hops,
							  e->ser > 0 ? e->ser : 1);
			t += e->src == n ? (cycles_t)s->m->io.latency_cycles
					 : g->lat[PASS_FWD];
			arr[r] = t;
			if (t > dist[e->dst]) {
				dist[e->dst] = t;
				changed = 1;
			}
		}
		if (!changed)
			break;
	}
	for (int i = 0; i <= n; i++) {
		struct stage_rt *g = &s->sg[i];
		g->credits = xcalloc((size_t)(g->n_cons ? g->n_cons : 1),
				     sizeof(int64_t));
		for (int k = 0; k < g->n_cons; k++)
			g->credits[k] = STAGE_INPUT_SLOTS;
	}
	for (int r = 0; r < s->nr; r++) {
		const struct eroute *e = &s->rt[r];
		if (!e->fwd || e->dst < 0)
			continue;
		struct stage_rt *g = &s->sg[e->src];
		/* from the producer's start to the consumer's start */
		cycles_t transit = dist[e->dst] - dist[e->src];
		cycles_t per = cmax((cycles_t)(e->ser > 0 ? e->ser : 1),
				    cmax(g->occ[PASS_FWD], 1));
		int64_t cr = STAGE_INPUT_SLOTS + (int64_t)(transit / per);
		for (int k = 0; k < g->n_cons; k++)
			if (g->cons[k] == e->dst && cr > g->credits[k])
				g->credits[k] = cr;
	}
	free(dist);
	free(arr);
}

static void sim_release(struct sim *s)
{
	if (s->sg)
		for (int i = 0; i <= s->n; i++) {
			free(s->sg[i].out_fwd);
			free(s->sg[i].out_bwd);
			free(s->sg[i].cons);
			free(s->sg[i].prod);
			free(s->sg[i].credits);
			free(s->sg[i].gsync_out);
			free(s->sg[i].wsync_out);
		}
	free(s->sg);
	if (s->rt)
		for (int i = 0; i < s->nr; i++)
			free(s->rt[i].links), free(s->rt[i].lf);
	free(s->rt);
	free(s->fwd_got);
	free(s->bwd_got);
	free(s->fwd_done);
	free(s->sample_out);
	free(s->step_end);
	free(s->step_count);
	free(s->gsync_got);
	free(s->wsync_got);
	free(s->link_free);
	free(s->pe_free);
	event_queue_release(&s->q);
}

/* In-rectangle link counts from the tasks run (both modes). */
static void stage_links(struct sim *s, int si)
{
	const struct plan_stage *ps = &s->p->stages[si];
	const struct stats_stage *ss = &s->st->stages[si];
	int64_t W = s->m->width;
	for (int p = 0; p < PASS_COUNT; p++) {
		const struct kernel_work *w = &ps->work[p];
		uint64_t nt = (uint64_t)ss->tasks[p];
		if (!nt)
			continue;
		int back = p == PASS_BWD_DATA;
		struct {
			int64_t v;
			enum plan_axis a;
		} fl[2] = {{w->bcast_wavelets, w->bcast_axis},
			   {w->reduce_wavelets, w->reduce_axis}};
		for (int f = 0; f < 2; f++) {
			if (fl[f].v <= 0)
				continue;
			int ax = fl[f].a == AXIS_X;
			int dir = ax ? (back ? LINK_WEST : LINK_EAST)
				     : (back ? LINK_NORTH : LINK_SOUTH);
			for (int y = 0; y < ps->r.h - (ax ? 0 : 1); y++)
				for (int x = 0; x < ps->r.w - (ax ? 1 : 0); x++) {
					int64_t sx = back && ax ? x + 1 : x;
					int64_t sy = back && !ax ? y + 1 : y;
					int64_t id = (ps->r.y + sy) * W +
						     (ps->r.x + sx);
					s->st->link_wavelets[id * LINK_DIRS +
							     dir] +=
						nt * (uint64_t)fl[f].v;
				}
		}
		/* halo: half each way between row neighbours (the odd one
		 * east), so each link pair carries halo_wavelets per task */
		if (w->halo_wavelets > 0)
			for (int y = 0; y < ps->r.h; y++)
				for (int x = 0; x + 1 < ps->r.w; x++) {
					int64_t id = (ps->r.y + y) * W + ps->r.x + x;
					uint64_t hw = (uint64_t)w->halo_wavelets;
					s->st->link_wavelets[id * LINK_DIRS +
							     LINK_EAST] +=
						nt * (hw - hw / 2);
					s->st->link_wavelets[(id + 1) * LINK_DIRS +
							     LINK_WEST] +=
						nt * (hw / 2);
				}
	}
	if (!s->pe_free) {
		cycles_t busy = ss->compute_cycles + ss->comm_cycles;
		for (int y = 0; y < ps->r.h; y++)
			for (int x = 0; x < ps->r.w; x++)
				s->st->pe_busy_cycles[(ps->r.y + y) * W +
						      (ps->r.x + x)] += busy;
	}
}

/* Count a route's wavelets on the links of its bundle (bundle_lo()): the
 * same links bundle_reserve() held.  Each sample's wavelets are dealt over
 * the lanes, the first `wavelets % lanes` lanes one more, so no lane link
 * carries more than `ser` per sample and the links sum to wavelets x hops
 * (stats.wavelet_hops) exactly. */
static void route_paint(struct sim *s, int ri)
{
	const struct eroute *e = &s->rt[ri];
	if (!e->n_sends || !e->n_links)
		return;
	uint64_t base = (uint64_t)(e->wavelets / e->lanes) * (uint64_t)e->n_sends;
	int64_t rem = e->wavelets % e->lanes;
	for (int i = 0; i < e->n_links; i++) {
		int64_t lo = bundle_lo(s, e, e->links[i]);
		for (int64_t l = 0; l < e->lanes; l++)
			s->st->link_wavelets[bundle_link(s, e->links[i], lo + l)] +=
				base + (l < rem ? (uint64_t)e->n_sends : 0);
	}
}

static void finish(struct sim *s)
{
	struct stats *st = s->st;
	cycles_t end = 0;
	for (int i = 0; i < s->n; i++)
		end = cmax(end, st->stages[i].last_cycle);
	for (int64_t g = 0; g < s->S; g++)
		end = cmax(end, s->sample_out[g]);
	if (s->train && s->steps > 0)
		end = cmax(end, s->step_end[s->steps - 1]);
	st->total_cycles = end;
	stats_win_cover(&st->win, end > 0 ? end - 1 : 0);
	for (int i = 0; i < s->n; i++) {
		struct stats_stage *ss = &st->stages[i];
		cycles_t used = ss->compute_cycles + ss->comm_cycles +
				ss->wait_out_cycles;
		ss->wait_in_cycles = end > used ? end - used : 0;
		for (int k = 0; k < PASS_COUNT; k++)
			ss->occ_cycles[k] = s->sg[i].occ[k],
			ss->latency_cycles[k] = s->sg[i].occ[k] + s->sg[i].lat[k];
		/* the limit of the heaviest pass of the stage */
		cycles_t best = 0;
		ss->limit = s->sg[i].lim[PASS_FWD];
		for (int k = 0; k < PASS_COUNT; k++)
			if (s->sg[i].occ[k] > best) {
				best = s->sg[i].occ[k];
				ss->limit = s->sg[i].lim[k];
			}
		st->fma += ss->fma;
		st->ew += ss->ew;
		st->sram_reads += ss->sram_reads;
		st->sram_writes += ss->sram_writes;
		st->wavelet_hops += ss->wavelet_hops;
		stage_links(s, i);
	}
	for (int r = 0; r < s->nr; r++)
		route_paint(s, r);
	if (s->train) {
		st->step_first_cycles = s->step_end[0];
		st->step_cycles = s->steps > 1 ? s->step_end[s->steps - 1] -
							 s->step_end[s->steps - 2]
					       : s->step_end[0];
	} else {
		st->infer_latency_cycles = s->sample_out[0];
		int64_t a = s->S / 2, b = s->S - 1;
		if (b > a)
			st->infer_interval_cycles =
				(s->sample_out[b] - s->sample_out[a]) /
				(cycles_t)(b - a);
		else
			st->infer_interval_cycles = s->sample_out[0];
	}
	if (s->p->mode == MODE_STREAMING) {
		/* the layer holding the wafer longest; external memory bound
		 * when its weights took longer to arrive than its compute */
		cycles_t worst = 0;
		for (int i = 0; i < s->n; i++)
			if (st->stages[i].stream_span_cycles > worst) {
				worst = st->stages[i].stream_span_cycles;
				st->slowest_stage = i;
			}
		if (st->slowest_stage >= 0) {
			const struct stats_stage *g = &st->stages[st->slowest_stage];
			double bpc = s->m->extmem.bandwidth_gbytes_s / s->m->clock_ghz;
			double wcyc = (double)g->extmem_in_bytes / bpc;
			double comp = (double)(g->compute_cycles + g->comm_cycles);
			st->bottleneck = wcyc > comp ? LIMIT_EXTMEM : g->limit;
		}
		return;
	}
	/* bottleneck: the slowest stage, unless a route or the host I/O needs
	 * more cycles per sample */
	double worst = 0;
	for (int i = 0; i < s->n; i++) {
		double c = stats_stage_sample_cycles(st, i);
		if (c > worst) {
			worst = c;
			st->slowest_stage = i;
		}
	}
	st->bottleneck = st->slowest_stage >= 0
				 ? st->stages[st->slowest_stage].limit
				 : LIMIT_COMPUTE;
	double rworst = worst;
	for (int r = 0; r < s->nr; r++) {
		if (!s->train && !s->rt[r].fwd)
			continue;
		/* a sync route's stream is once per step: per sample, its
		 * share of the batch */
		double per = s->rt[r].sync ? (double)s->rt[r].ser / (double)s->B
					   : (double)s->rt[r].ser;
		if (per > rworst) {
			rworst = per;
			st->bottleneck_route = r;
			st->bottleneck = LIMIT_FABRIC;
		}
	}
	if ((double)s->sg[s->n].occ[PASS_FWD] > rworst) {
		rworst = (double)s->sg[s->n].occ[PASS_FWD];
		st->bottleneck = LIMIT_IO;
		st->bottleneck_route = -1;
	}
	st->pace_cycles = rworst;
}

/* ---- weight streaming ------------------------------------------------- */

static int64_t stage_weight_bytes(const struct sim *s, int si)
{
	const struct plan_stage *ps = &s->p->stages[si];
	if (ps->stream_bytes > 0) /* what the compiler streams per step */
		return ps->stream_bytes;
	if (s->g) {
		int64_t b = 0;
		for (int k = 0; k < ps->n_layers; k++) {
			int l = ps->layers[k];
			if (l >= 0 && l < s->g->n_layers &&
			    s->g->layers[l].param_owner == l)
				b += s->g->layers[l].cost.weight_bytes;
		}
		return b;
	}
	return ps->sram.weights * (int64_t)ps->r.w * ps->r.h;
}

/*
 * Weight streaming: the layers run one after another over the wafer, so
 * the schedule is a chain over three resources (the PEs, the external
 * memory's input stream and its output stream); each task starts when its
 * resource is free and its inputs are ready, as in the pipelined engine.
 */
static void run_streaming(struct sim *s)
{
	struct stats *st = s->st;
	const struct machine *m = s->m;
	double bpc = m->extmem.bandwidth_gbytes_s / m->clock_ghz;
	cycles_t lat = (cycles_t)(m->extmem.latency_us * 1e3 * m->clock_ghz);
	cycles_t wafer_free = 0, in_free = 0, out_free = 0, prev_start = 0;
	int n = s->n;
	int64_t B = s->train ? s->B : s->S;
	int steps = s->train ? s->steps : 1;
	cycles_t *grads_out = xcalloc((size_t)n, sizeof(cycles_t));
	/* host input of the batch */
	cycles_t io = s->sg[n].occ[PASS_FWD] * (cycles_t)B;
	st->io_busy_cycles += io * (cycles_t)steps;
	for (int k = 0; k < steps; k++) {
		cycles_t io_done = (k == 0 ? 0 : wafer_free) + io +
				   (cycles_t)m->io.latency_cycles;
		st->io_in_bytes += s->host_bytes * B;
		int npass = s->train ? 2 : 1;
		for (int ph = 0; ph < npass; ph++) {
			for (int j = 0; j < n; j++) {
				int si = ph == 0 ? j : n - 1 - j;
				struct stage_rt *g = &s->sg[si];
				struct stats_stage *ss = &st->stages[si];
				int64_t wbytes = stage_weight_bytes(s, si);
				cycles_t wcyc = (cycles_t)((double)wbytes / bpc +
							   0.999999);
				/* weights of this layer may stream once the
				 * previous layer started (double buffer) and,
				 * after step 0, once its gradients left */
				cycles_t ws = cmax(in_free, prev_start);
				if (k > 0)
					ws = cmax(ws, grads_out[si]);
				cycles_t wend = ws + lat + wcyc;
				in_free = ws + wcyc;
				int pa = ph == 0 ? PASS_FWD : PASS_BWD_DATA;
				int pb = ph == 0 ? -1 : PASS_BWD_WEIGHT;
				cycles_t occ = g->occ[pa] + (pb >= 0 ? g->occ[pb] : 0);
				cycles_t comp = g->comp[pa] + (pb >= 0 ? g->comp[pb] : 0);
				cycles_t cs = cmax(wafer_free, ws + lat);
				if (ph == 0 && j == 0)
					cs = cmax(cs, io_done);
				cycles_t ce = cmax(cs + occ * (cycles_t)B + g->lat[pa],
						   wend + g->lat[pa]);
				prev_start = cs;
				wafer_free = ce;
				ss->compute_cycles += comp * (cycles_t)B;
				ss->comm_cycles += (occ - comp) * (cycles_t)B;
				ss->wait_out_cycles += 0;
				if (!ss->first_cycle && !ss->last_cycle)
					ss->first_cycle = cs;
				ss->last_cycle = ce;
				if (ce - ws > ss->stream_span_cycles)
					ss->stream_span_cycles = ce - ws;
				ss->extmem_in_bytes += wbytes;
				st->extmem_in_bytes += wbytes;
				for (int64_t b = 0; b < B; b++) {
					cycles_t t0 = cs + (cycles_t)b * occ;
					count_work(s, si, pa, t0, t0 + g->occ[pa]);
					if (pb >= 0)
						count_work(s, si, pb, t0 + g->occ[pa],
							   t0 + occ);
				}
				stats_win_add(&st->win, cs, ce,
					      st->win.stage_busy + si, n,
					      (double)(occ * (cycles_t)B));
				if (st->cap_spans) /* traces: off by default */
					stats_span_add(st, ph ? STATS_SPAN_BWD
							      : STATS_SPAN_FWD,
						       si, 0, cs, ce,
						       comp * (cycles_t)B);
				stats_win_add(&st->win, ws, ws + wcyc,
					      st->win.io_bytes, 1, (double)wbytes);
				st->pe_tasks += (uint64_t)B;
				st->events += 1;
				if (ph == 1) {
					/* gradients out, then the update in
					 * external memory */
					cycles_t gs = cmax(out_free, cs);
					cycles_t ge = cmax(gs + wcyc, ce) + lat;
					out_free = gs + wcyc > ce ? gs + wcyc : ce;
					grads_out[si] = ge;
					ss->extmem_out_bytes += wbytes;
					st->extmem_out_bytes += wbytes;
					ss->last_cycle = cmax(ss->last_cycle, ge);
					if (ge - ws > ss->stream_span_cycles)
						ss->stream_span_cycles = ge - ws;
				}
			}
		}
		cycles_t end = wafer_free;
		for (int i = 0; i < n; i++)
			end = cmax(end, grads_out[i]);
		if (s->train) {
			s->step_end[k] = end;
			for (int i = 0; i < n; i++)
				st->stages[i].tasks[PASS_UPDATE]++;
		} else {
			for (int64_t b = 0; b < B; b++)
				s->sample_out[b] = wafer_free;
		}
		if (s->o.progress)
			s->o.progress(s->o.progress_ctx,
				      (double)(k + 1) / (double)steps);
	}
	if (!s->train) {
		/* a batch of B goes through together: spread it evenly */
		cycles_t total = wafer_free;
		for (int64_t b = 0; b < B; b++)
			s->sample_out[b] = total * (cycles_t)(b + 1) / (cycles_t)B;
	}
	free(grads_out);
}

int engine_run(const struct plan *p, const struct graph *gr,
	       const struct machine *m, const struct engine_opts *o,
	       struct stats *st, struct diag *d)
{
	if (check_plan(p, m, d))
		return WS_EINPUT;
	struct sim s;
	memset(&s, 0, sizeof(s));
	s.p = p;
	s.g = gr;
	s.m = m;
	s.o = *o;
	s.st = st;
	s.train = o->job == ENGINE_TRAIN;
	s.B = o->batch > 0 ? o->batch : (p->batch > 0 ? p->batch : 1);
	s.steps = o->steps > 0 ? o->steps : 2;
	s.S = s.train ? s.B * s.steps
		      : (o->infer_samples > 0 ? o->infer_samples : 64);
	int streaming = p->mode == MODE_STREAMING;
	stats_alloc(st, p->n_stages, 0, m->width, m->height);
	stats_spans_alloc(st, o->max_spans); /* traces; 0: off */
	st->job = s.train ? STATS_TRAIN : STATS_INFER;
	st->mode = streaming ? MODE_STREAMING : MODE_PIPELINED;
	st->prec = p->prec;
	st->full = o->full;
	st->batch = s.B;
	st->steps = s.train ? s.steps : 0;
	st->samples = s.S;
	for (int i = 0; i < p->n_stages; i++) {
		st->stages[i].name = xstrdup(p->stages[i].name ? p->stages[i].name
							       : "?");
		st->stages[i].kind = p->stages[i].kind;
		st->stages[i].r = p->stages[i].r;
		st->stages[i].pes = (int64_t)p->stages[i].r.w * p->stages[i].r.h;
	}
	/* routes are known only after set-up; size the stats for them */
	int64_t npe = m->width * m->height;
	s.link_free = xcalloc((size_t)npe * LINK_DIRS, sizeof(uint64_t));
	if (o->full && !streaming)
		s.pe_free = xcalloc((size_t)npe, sizeof(uint64_t));
	event_queue_init(&s.q);
	/* a provisional route table so setup can fill stats.routes */
	int has_bwd = 0, nfs = 0;
	for (int i = 0; i < p->n_routes; i++) {
		has_bwd |= p->routes[i].pass == PASS_BWD_DATA;
		nfs += p->routes[i].pass == PASS_FWD &&
		       p->routes[i].src_stage >= 0 && p->routes[i].dst_stage >= 0;
	}
	st->n_routes = p->n_routes + (s.train && !has_bwd ? nfs : 0);
	free(st->routes);
	st->routes = xcalloc((size_t)st->n_routes + 1, sizeof(*st->routes));
	setup(&s);
	size_t ns = (size_t)(s.n + 1) * (size_t)s.S;
	s.fwd_got = xcalloc(ns, sizeof(uint16_t));
	s.bwd_got = xcalloc(ns, sizeof(uint16_t));
	s.fwd_done = xcalloc(ns, 1);
	s.sample_out = xcalloc((size_t)s.S, sizeof(cycles_t));
	s.step_end = xcalloc((size_t)s.steps, sizeof(cycles_t));
	s.step_count = xcalloc((size_t)s.steps, sizeof(int));
	s.gsync_got = xcalloc((size_t)(s.n + 1) * (size_t)s.steps,
			      sizeof(uint16_t));
	s.wsync_got = xcalloc((size_t)(s.n + 1) * (size_t)s.steps,
			      sizeof(uint16_t));
	if (streaming) {
		run_streaming(&s);
	} else {
		event_push(&s.q, 0, EV_TRY, (uint32_t)s.n, 0);
		for (int i = 0; i < s.n; i++)
			event_push(&s.q, 0, EV_TRY, (uint32_t)i, 0);
		struct event ev;
		while (event_pop(&s.q, &ev)) {
			st->events++;
			switch (ev.kind) {
			case EV_TRY:
				try_stage(&s, (int)ev.a, ev.time);
				break;
			case EV_DONE:
				on_done(&s, (int)ev.a, ev.time);
				break;
			case EV_OUT_FWD:
			case EV_OUT_BWD:
				on_out(&s, (int)ev.a, ev.b,
				       ev.kind == EV_OUT_FWD, ev.time);
				break;
			case EV_ARRIVE:
				on_arrive(&s, (int)ev.a, ev.b, ev.time);
				break;
			}
			if (o->progress &&
			    (o->full || (st->events & 0x3ff) == 0)) {
				/* tasks run over tasks to run */
				double done = 0;
				for (int i = 0; i < s.n; i++)
					done += (double)(s.sg[i].next_fwd +
							 s.sg[i].next_bwd);
				done /= (double)s.n * (double)s.S *
					(s.train ? 2.0 : 1.0);
				o->progress(o->progress_ctx, done);
			}
		}
	}
	int rc = 0;
	if (!streaming) {
		/* every stage must have finished its work: otherwise the plan
		 * deadlocked (a stage waiting for an input nobody sends) */
		for (int i = 0; i < s.n; i++) {
			struct stage_rt *g = &s.sg[i];
			int ok = g->next_fwd == s.S &&
				 (!s.train || (g->next_bwd == s.S &&
					       g->updates == s.steps));
			if (!ok) {
				diag_add(d, NULL, 0, 0,
					 "engine: stage '%s' must run all %lld "
					 "samples, got %lld forward and %lld "
					 "backward (plan deadlocks: an input "
					 "route is missing or circular)",
					 p->stages[i].name ? p->stages[i].name
							   : "?",
					 (long long)s.S, (long long)g->next_fwd,
					 (long long)g->next_bwd);
				rc = WS_EINPUT;
				break;
			}
		}
	}
	if (!rc)
		finish(&s);
	sim_release(&s);
	return rc;
}

/* ---- analytic roofline ------------------------------------------------ */

/* Lanes of a sync route's stream from its corners (setup() does the same
 * from its links): the source's extent across the first hop, the
 * destination's across the last, the fewer, no wider than the grid. */
static int64_t sync_lanes(const struct plan *p, const struct machine *m,
			  const struct plan_route *r)
{
	if (r->n_points < 2)
		return 1;
	const struct plan_point *a = &r->points[0], *b = &r->points[1];
	const struct plan_point *y = &r->points[r->n_points - 2],
				*z = &r->points[r->n_points - 1];
	const struct rect *sr = &p->stages[r->src_stage].r;
	const struct rect *dr = &p->stages[r->dst_stage].r;
	int ex0 = a->x != b->x, ex1 = y->x != z->x;
	int64_t lo = ex0 ? sr->h : sr->w, li = ex1 ? dr->h : dr->w;
	int64_t l = lo < li ? lo : li;
	int64_t span0 = ex0 ? m->height : m->width;
	int64_t span1 = ex1 ? m->height : m->width;
	if (l > span0)
		l = span0;
	if (l > span1)
		l = span1;
	return l < 1 ? 1 : l;
}

void engine_roofline(const struct plan *p, const struct machine *m,
		     int64_t batch, struct engine_roofline *out)
{
	memset(out, 0, sizeof(*out));
	if (batch <= 0)
		batch = p->batch > 0 ? p->batch : 1;
	double hop = (double)fabric_hop_cycles(&m->fabric);
	double bpc = m->io.bandwidth_gbytes_s / m->clock_ghz;
	double in_bytes = 0;
	for (int i = 0; i < p->n_routes; i++)
		if (p->routes[i].src_stage < 0)
			in_bytes += (double)p->routes[i].wavelets_per_sample *
				    (double)(m->fabric.wavelet_bits / 8);
	double io = in_bytes / bpc;
	if (p->mode == MODE_STREAMING) {
		double ebpc = m->extmem.bandwidth_gbytes_s / m->clock_ghz;
		double step = 0, inf = 0;
		for (int i = 0; i < p->n_stages; i++) {
			const struct plan_stage *ps = &p->stages[i];
			double w = (double)ps->sram.weights * ps->r.w * ps->r.h /
				   ebpc;
			double f = (double)engine_task_occ(m, p->prec,
							   &ps->work[PASS_FWD], NULL);
			double b = (double)engine_task_occ(m, p->prec,
							   &ps->work[PASS_BWD_DATA], NULL) +
				   (double)engine_task_occ(m, p->prec,
							   &ps->work[PASS_BWD_WEIGHT], NULL);
			step += (f * batch > w ? f * batch : w) +
				(b * batch > 2 * w ? b * batch : 2 * w);
			inf += f * batch > w ? f * batch : w;
		}
		out->step_cycles = step + io * batch;
		out->sample_cycles = step / batch;
		out->infer_sample_cycles = inf / batch;
		out->limit = LIMIT_EXTMEM;
		return;
	}
	double worst = io, fworst = io, depth = 0, upd = 0;
	out->limit = LIMIT_IO;
	for (int i = 0; i < p->n_stages; i++) {
		const struct plan_stage *ps = &p->stages[i];
		enum stats_limit l = LIMIT_COMPUTE, lk;
		double c = 0, f = 0, heaviest = -1;
		for (int k = 0; k < PASS_UPDATE; k++) {
			double o = (double)engine_task_occ(m, p->prec, &ps->work[k],
							   &lk);
			c += o;
			if (k == PASS_FWD)
				f = o;
			if (o > heaviest) {
				heaviest = o;
				l = lk;
			}
		}
		if (c > worst) {
			worst = c;
			out->limit = l;
		}
		if (f > fworst)
			fworst = f;

		double u = (double)engine_task_occ(m, p->prec,
						   &ps->work[PASS_UPDATE], NULL);
		if (u > upd)
			upd = u;
	}
	/* routes: a sample's wavelets over the lanes of the stream */
	for (int i = 0; i < p->n_routes; i++) {
		const struct plan_route *r = &p->routes[i];
		int pa = r->pass == PASS_BWD_DATA ? PASS_BWD_DATA : PASS_FWD;
		int64_t lo = r->src_stage >= 0
				     ? stage_out_lines(&p->stages[r->src_stage], pa)
				     : INT64_MAX;
		int64_t li = r->dst_stage >= 0
				     ? stage_in_lines(&p->stages[r->dst_stage], pa)
				     : lo;
		int64_t lanes = lo < li ? lo : li;
		if (lanes == INT64_MAX || lanes < 1)
			lanes = 1;
		if (r->kind != ROUTE_SAMPLE)
			continue; /* once per step: below */
		double ser = (double)ceil_div64(r->wavelets_per_sample, lanes);
		if (ser > worst) {
			worst = ser;
			out->limit = LIMIT_FABRIC;
		}
		if (pa == PASS_FWD && ser > fworst)
			fworst = ser;
	}
	/* fill and drain: the longest path of forward tasks (occupancy, fill
	 * across the rectangle) and routes (hops) from the host */
	double *dist = xcalloc((size_t)p->n_stages + 1, sizeof(double));
	for (int round = 0; round <= p->n_stages; round++) {
		int changed = 0;
		for (int i = 0; i < p->n_routes; i++) {
			const struct plan_route *r = &p->routes[i];
			if (r->pass != PASS_FWD || r->dst_stage < 0)
				continue;
			double t = r->src_stage < 0 ? io + (double)m->io.latency_cycles
						    : dist[r->src_stage];
			if (r->src_stage >= 0) {
				const struct plan_stage *ps = &p->stages[r->src_stage];
				t += (double)engine_task_occ(m, p->prec,
							     &ps->work[PASS_FWD], NULL) +
				     hop * (ps->r.w + ps->r.h);
			}
			for (int k = 0; k + 1 < r->n_points; k++)
				t += hop * (abs(r->points[k + 1].x - r->points[k].x) +
					    abs(r->points[k + 1].y - r->points[k].y));
			if (t > dist[r->dst_stage]) {
				dist[r->dst_stage] = t;
				changed = 1;
			}
		}
		if (!changed)
			break;
	}
	for (int i = 0; i < p->n_stages; i++) {
		const struct plan_stage *ps = &p->stages[i];
		double t = dist[i] + (double)engine_task_occ(m, p->prec,
							     &ps->work[PASS_FWD], NULL) +
			   hop * (ps->r.w + ps->r.h);
		if (t > depth)
			depth = t;
	}
	free(dist);
	/* shared weights: the longest (replica, owner) round, gradients then
	 * weights back, serialised over the bundle (lanes as the engine's:
	 * the rectangles' extents across the first and last hop), after the
	 * replica's last backward and before its next forward */
	double sync = 0;
	for (int i = 0; i < p->n_routes; i++) {
		const struct plan_route *r = &p->routes[i];
		if (r->kind != ROUTE_GRAD_SYNC || r->src_stage < 0 ||
		    r->dst_stage < 0)
			continue;
		double round = 0;
		for (int j = 0; j < p->n_routes; j++) {
			const struct plan_route *q = &p->routes[j];
			if (j != i && (q->kind != ROUTE_WEIGHT_SYNC ||
				       q->src_stage != r->dst_stage ||
				       q->dst_stage != r->src_stage))
				continue;
			double ser = (double)ceil_div64(
				fabric_wavelets(&m->fabric, q->bytes_per_step),
				sync_lanes(p, m, q));
			round += ser;
		}
		if (round > sync)
			sync = round;
	}
	/* in series with the batch's pace (not a per-sample cost) */
	if (sync > worst * (double)batch)
		out->limit = LIMIT_FABRIC;
	out->sample_cycles = worst;
	out->infer_sample_cycles = fworst;
	/* fill and drain: forward and backward through the chain once */
	out->step_cycles = worst * (double)batch + 2 * depth + upd + sync;
}
