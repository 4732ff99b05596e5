/*
 * fabsim.c: the cycle-level fabric simulator.  See fabsim.h for the model.
 *
 * Buffers, struct-of-arrays.  Every router r owns 6 groups of `C` colors:
 * ports 0..4 are its input ports (N, S, E, W, ramp from the PE), group 5 is
 * the PE's receive buffer fed by the router's ramp output.
 *
 *   group  g = r * 6 + port                 nonempty[g]: bit c = FIFO not empty
 *   buffer b = g * C + color                head[b], len[b], used[b], served[b]
 *   slot     = b * D + i  (ring of depth D) slot_pkt, slot_dst, slot_ready
 *
 * len counts wavelets in the FIFO, those still on the link included (they
 * hold their slot from the cycle they are sent); used = len + slots freed
 * this cycle, whose credit the sender sees only from the next cycle.  So a
 * sender checks used < D, and no visit order of routers changes a result.
 *
 * Inside one router a cycle is: (1) the PE injects into the ramp input,
 * (2) switch allocation and traversal for the five input ports, (3) the PE
 * consumes from its receive buffer.  With zero ramp latency a wavelet may
 * pass all three in one cycle, as the timing rule says it should.
 */
#include "fabric/fabsim.h"

#include <stdlib.h>
#include <string.h>

#include "fabric/timing.h"

#define NONE UINT32_MAX
#define GROUPS 6	 /* 5 router input ports + the PE receive buffer */
#define PE_RX 5		 /* group of the PE receive buffer */
#define MAX_PACKETS 0xfffffff0u

struct fs_pkt {
	int32_t src, dst, color, hops, dests;
	uint32_t next; /* source queue link, or free-list link */
	int64_t n, sent, delivered;
	cycles_t created, injected, done_at;
	uint8_t done, live;
};

struct fs_pending {
	cycles_t cycle;
	uint32_t pkt;
};

struct fabsim {
	struct fabsim_config cfg;
	struct mesh mesh;
	int32_t n;	   /* routers */
	int32_t C;	   /* colors modelled */
	uint32_t D;	   /* buffer depth */
	uint32_t hop, ramp; /* cycles */
	cycles_t now;

	/* buffers (see the picture above) */
	uint64_t *nonempty; /* [n * 6] */
	uint16_t *head, *len, *used; /* [n * 6 * C] */
	uint8_t *served;	     /* multicast outputs already taken */
	uint32_t *slot_pkt, *slot_dst, *slot_ready; /* [n * 6 * C * D] */

	/* per router */
	uint32_t *occ;	     /* wavelets in its 6 * C buffers */
	uint8_t *rr_color;   /* [n * 6] next color the PE consumes */
	uint16_t *rr_out;    /* [n * 5] next (port, color) to favour per output */
	uint32_t *srcq_head, *srcq_tail;
	int64_t *srcq_wavelets; /* wavelets not yet sent, per PE */
	uint32_t *sink_interval; /* NULL: everyone full speed */
	cycles_t *sink_next;
	uint32_t max_sink_interval;
	uint64_t *busy;		 /* [n] */
	uint64_t *link_wavelets; /* [n * 4] */

	/* routes */
	uint8_t *color_mode;	   /* [C] */
	uint8_t *route_rx, *route_tx; /* [n * C] */

	/* active set: act holds the routers to visit in the next step */
	int32_t *act, *cur;
	int32_t n_act;
	uint8_t *in_act;

	uint32_t *freed; /* buffers popped this cycle */
	size_t n_freed, cap_freed;

	/* packets */
	struct fs_pkt *pkt;
	uint32_t n_pkt, cap_pkt, free_pkt;
	struct fs_pending *heap;
	size_t n_heap, cap_heap;

	fabsim_done_fn done_fn;
	void *done_ctx;

	struct fabsim_counters ctr;
	uint64_t visits;
	cycles_t last_progress;
};

/* ---- small helpers ---------------------------------------------------- */

static inline void activate(struct fabsim *s, int32_t r)
{
	if (!s->in_act[r]) {
		s->in_act[r] = 1;
		s->act[s->n_act++] = r;
	}
}

static inline int ready(uint32_t ready_at, cycles_t now)
{
	return (int32_t)(ready_at - (uint32_t)now) <= 0;
}

static inline void buf_push(struct fabsim *s, int32_t r, int port, int32_t c,
			    uint32_t pkt, uint32_t dst, uint32_t ready_at)
{
	uint32_t g = (uint32_t)r * GROUPS + (uint32_t)port;
	uint32_t b = g * (uint32_t)s->C + (uint32_t)c;
	uint32_t pos = (uint32_t)s->head[b] + s->len[b];
	if (pos >= s->D)
		pos -= s->D;
	size_t slot = (size_t)b * s->D + pos;
	s->slot_pkt[slot] = pkt;
	s->slot_dst[slot] = dst;
	s->slot_ready[slot] = ready_at;
	s->len[b]++;
	s->used[b]++;
	s->nonempty[g] |= 1ull << c;
	s->occ[r]++;
	s->ctr.buffered++;
	activate(s, r);
}

static inline void buf_pop(struct fabsim *s, int32_t r, uint32_t g,
			   uint32_t b, int32_t c)
{
	uint32_t h = s->head[b] + 1u;
	s->head[b] = (uint16_t)(h == s->D ? 0 : h);
	if (--s->len[b] == 0)
		s->nonempty[g] &= ~(1ull << c);
	s->served[b] = 0;
	s->occ[r]--;
	s->ctr.buffered--;
	if (s->n_freed == s->cap_freed) {
		s->cap_freed = s->cap_freed ? 2 * s->cap_freed : 1024;
		s->freed = xrealloc(s->freed, s->cap_freed * sizeof(*s->freed));
	}
	s->freed[s->n_freed++] = b;
}

/* Credit for color c through output `o` of router r. */
static inline int has_credit(const struct fabsim *s, int32_t r, int o,
			     int32_t c)
{
	uint32_t g;
	switch (o) {
	case DIR_NORTH: g = (uint32_t)(r - s->mesh.width) * GROUPS + DIR_SOUTH; break;
	case DIR_SOUTH: g = (uint32_t)(r + s->mesh.width) * GROUPS + DIR_NORTH; break;
	case DIR_EAST: g = (uint32_t)(r + 1) * GROUPS + DIR_WEST; break;
	case DIR_WEST: g = (uint32_t)(r - 1) * GROUPS + DIR_EAST; break;
	default: g = (uint32_t)r * GROUPS + PE_RX; break;
	}
	return s->used[g * (uint32_t)s->C + (uint32_t)c] < s->D;
}

static void heap_push(struct fabsim *s, cycles_t cycle, uint32_t pkt)
{
	if (s->n_heap == s->cap_heap) {
		s->cap_heap = s->cap_heap ? 2 * s->cap_heap : 256;
		s->heap = xrealloc(s->heap, s->cap_heap * sizeof(*s->heap));
	}
	size_t i = s->n_heap++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		struct fs_pending *q = &s->heap[p];
		if (q->cycle < cycle || (q->cycle == cycle && q->pkt < pkt))
			break;
		s->heap[i] = *q;
		i = p;
	}
	s->heap[i].cycle = cycle;
	s->heap[i].pkt = pkt;
}

static struct fs_pending heap_pop(struct fabsim *s)
{
	struct fs_pending top = s->heap[0];
	struct fs_pending last = s->heap[--s->n_heap];
	size_t i = 0, n = s->n_heap;
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l >= n)
			break;
		struct fs_pending *best = &last;
		if (s->heap[l].cycle < best->cycle ||
		    (s->heap[l].cycle == best->cycle && s->heap[l].pkt < best->pkt)) {
			m = l;
			best = &s->heap[l];
		}
		if (l + 1 < n &&
		    (s->heap[l + 1].cycle < best->cycle ||
		     (s->heap[l + 1].cycle == best->cycle &&
		      s->heap[l + 1].pkt < best->pkt)))
			m = l + 1;
		if (m == i)
			break;
		s->heap[i] = s->heap[m];
		i = m;
	}
	if (n)
		s->heap[i] = last;
	return top;
}

/* ---- lifecycle -------------------------------------------------------- */

struct fabsim *fabsim_new(const struct fabsim_config *cfg, struct diag *d)
{
	const struct fabric_params *f = &cfg->params;
	int bad = 0;
	if (cfg->width < 1 || cfg->width > 4096 || cfg->height < 1 ||
	    cfg->height > 4096) {
		diag_add(d, NULL, 0, 0,
			 "fabric: 'mesh' must be 1..4096 x 1..4096, got %dx%d",
			 (int)cfg->width, (int)cfg->height);
		bad = 1;
	}
	if (f->colors < 1 || f->colors > 64 || cfg->colors < 1 ||
	    cfg->colors > f->colors) {
		diag_add(d, NULL, 0, 0,
			 "fabric: 'colors' modelled must be in [1, %lld], got %d",
			 (long long)f->colors, (int)cfg->colors);
		bad = 1;
	}
	if (f->buffer_depth_wavelets < 1 || f->buffer_depth_wavelets > 1024) {
		diag_add(d, NULL, 0, 0,
			 "fabric: 'buffer_depth_wavelets' must be in [1, 1024], "
			 "got %lld",
			 (long long)f->buffer_depth_wavelets);
		bad = 1;
	}
	if (f->ramp_latency_cycles < 0 || f->ramp_latency_cycles > 100000 ||
	    f->link_latency_cycles < 0 || f->router_latency_cycles < 0 ||
	    fabric_hop_cycles(f) > 100000) {
		diag_add(d, NULL, 0, 0,
			 "fabric: latencies must be in [0, 100000] cycles");
		bad = 1;
	}
	if (bad)
		return NULL;

	struct fabsim *s = xcalloc(1, sizeof(*s));
	s->cfg = *cfg;
	s->mesh.width = cfg->width;
	s->mesh.height = cfg->height;
	s->n = cfg->width * cfg->height;
	s->C = cfg->colors;
	s->D = (uint32_t)f->buffer_depth_wavelets;
	s->hop = (uint32_t)fabric_hop_cycles(f);
	s->ramp = (uint32_t)f->ramp_latency_cycles;
	size_t n = (size_t)s->n, groups = n * GROUPS, bufs = groups * (size_t)s->C;
	s->nonempty = xcalloc(groups, sizeof(*s->nonempty));
	s->head = xcalloc(bufs, sizeof(*s->head));
	s->len = xcalloc(bufs, sizeof(*s->len));
	s->used = xcalloc(bufs, sizeof(*s->used));
	s->served = xcalloc(bufs, sizeof(*s->served));
	s->slot_pkt = xcalloc(bufs * s->D, sizeof(*s->slot_pkt));
	s->slot_dst = xcalloc(bufs * s->D, sizeof(*s->slot_dst));
	s->slot_ready = xcalloc(bufs * s->D, sizeof(*s->slot_ready));
	s->occ = xcalloc(n, sizeof(*s->occ));
	s->rr_color = xcalloc(groups, sizeof(*s->rr_color));
	s->rr_out = xcalloc(n * MESH_PORTS, sizeof(*s->rr_out));
	s->srcq_head = xmalloc(n * sizeof(*s->srcq_head));
	s->srcq_tail = xmalloc(n * sizeof(*s->srcq_tail));
	memset(s->srcq_head, 0xff, n * sizeof(*s->srcq_head));
	memset(s->srcq_tail, 0xff, n * sizeof(*s->srcq_tail));
	s->srcq_wavelets = xcalloc(n, sizeof(*s->srcq_wavelets));
	s->busy = xcalloc(n, sizeof(*s->busy));
	s->link_wavelets = xcalloc(n * MESH_LINK_DIRS, sizeof(*s->link_wavelets));
	s->color_mode = xcalloc((size_t)s->C, 1);
	s->route_rx = xmalloc(n * (size_t)s->C);
	memset(s->route_rx, 0xff, n * (size_t)s->C);
	s->route_tx = xcalloc(n * (size_t)s->C, 1);
	s->act = xmalloc(n * sizeof(*s->act));
	s->cur = xmalloc(n * sizeof(*s->cur));
	s->in_act = xcalloc(n, 1);
	s->free_pkt = NONE;
	s->max_sink_interval = 1;
	return s;
}

void fabsim_free(struct fabsim *s)
{
	if (!s)
		return;
	free(s->nonempty);
	free(s->head);
	free(s->len);
	free(s->used);
	free(s->served);
	free(s->slot_pkt);
	free(s->slot_dst);
	free(s->slot_ready);
	free(s->occ);
	free(s->rr_color);
	free(s->rr_out);
	free(s->srcq_head);
	free(s->srcq_tail);
	free(s->srcq_wavelets);
	free(s->sink_interval);
	free(s->sink_next);
	free(s->busy);
	free(s->link_wavelets);
	free(s->color_mode);
	free(s->route_rx);
	free(s->route_tx);
	free(s->act);
	free(s->cur);
	free(s->in_act);
	free(s->freed);
	free(s->pkt);
	free(s->heap);
	free(s);
}

size_t fabsim_bytes(const struct fabsim *s)
{
	size_t n = (size_t)s->n, groups = n * GROUPS, bufs = groups * (size_t)s->C;
	return sizeof(*s) + groups * (8 + 1) + bufs * (2 + 2 + 2 + 1) +
	       bufs * s->D * 12 + n * (4 + 10 + 4 + 4 + 8 + 8 + 4 + 4 + 1) +
	       n * MESH_LINK_DIRS * 8 + n * (size_t)s->C * 2 +
	       s->cap_freed * 4 + (size_t)s->cap_pkt * sizeof(struct fs_pkt) +
	       s->cap_heap * sizeof(struct fs_pending) +
	       (s->sink_interval ? n * 12 : 0);
}

const struct mesh *fabsim_mesh(const struct fabsim *s)
{
	return &s->mesh;
}

cycles_t fabsim_now(const struct fabsim *s)
{
	return s->now;
}

/* ---- configuration ---------------------------------------------------- */

static int check_color(const struct fabsim *s, int32_t color, struct diag *d)
{
	if (color < 0 || color >= s->C) {
		diag_add(d, NULL, 0, 0,
			 "fabric: 'color' must be in [0, %d], got %d",
			 (int)s->C - 1, (int)color);
		return WS_EINPUT;
	}
	return 0;
}

static int check_pe(const struct fabsim *s, const char *what, int32_t pe,
		    struct diag *d)
{
	if (pe < 0 || pe >= s->n) {
		diag_add(d, NULL, 0, 0, "fabric: '%s' must be a PE in [0, %d], got %d",
			 what, (int)s->n - 1, (int)pe);
		return WS_EINPUT;
	}
	return 0;
}

int fabsim_color_mode(struct fabsim *s, int32_t color, int mode,
		      struct diag *d)
{
	if (check_color(s, color, d))
		return WS_EINPUT;
	if (mode != FABSIM_XY && mode != FABSIM_STATIC) {
		diag_add(d, NULL, 0, 0, "fabric: unknown routing mode %d", mode);
		return WS_EINPUT;
	}
	s->color_mode[color] = (uint8_t)mode;
	return 0;
}

int fabsim_set_route(struct fabsim *s, int32_t router, int32_t color,
		     int rx_port, unsigned tx_mask, struct diag *d)
{
	if (check_pe(s, "router", router, d) || check_color(s, color, d))
		return WS_EINPUT;
	if (rx_port < 0 || rx_port >= MESH_PORTS || tx_mask >= (1u << MESH_PORTS)) {
		diag_add(d, NULL, 0, 0,
			 "fabric: route of router %d color %d: bad port "
			 "(rx %d, tx mask 0x%x)",
			 (int)router, (int)color, rx_port, tx_mask);
		return WS_EINPUT;
	}
	for (int o = 0; o < MESH_LINK_DIRS; o++)
		if ((tx_mask >> o & 1) && mesh_neighbour(&s->mesh, router, o) < 0) {
			diag_add(d, NULL, 0, 0,
				 "fabric: route of router %d color %d sends off "
				 "the mesh edge (port %d)",
				 (int)router, (int)color, o);
			return WS_EINPUT;
		}
	if (rx_port != DIR_RAMP && mesh_neighbour(&s->mesh, router, rx_port) < 0) {
		diag_add(d, NULL, 0, 0,
			 "fabric: route of router %d color %d receives from off "
			 "the mesh edge (port %d)",
			 (int)router, (int)color, rx_port);
		return WS_EINPUT;
	}
	size_t i = (size_t)router * (size_t)s->C + (size_t)color;
	s->route_rx[i] = (uint8_t)rx_port;
	s->route_tx[i] = (uint8_t)tx_mask;
	s->color_mode[color] = FABSIM_STATIC;
	return 0;
}

int fabsim_route_line(struct fabsim *s, int32_t color, int32_t src,
		      int32_t last, struct diag *d)
{
	if (check_pe(s, "src", src, d) || check_pe(s, "last", last, d) ||
	    check_color(s, color, d))
		return WS_EINPUT;
	const struct mesh *m = &s->mesh;
	int dir;
	if (src == last || (mesh_x(m, src) != mesh_x(m, last) &&
			    mesh_y(m, src) != mesh_y(m, last))) {
		diag_add(d, NULL, 0, 0,
			 "fabric: multicast line from PE %d to PE %d must stay "
			 "in one row or column and be at least one hop long",
			 (int)src, (int)last);
		return WS_EINPUT;
	}
	dir = mesh_xy_port(m, src, last);
	int back = mesh_opposite(dir);
	int rc = fabsim_set_route(s, src, color, DIR_RAMP, 1u << dir, d);
	for (int32_t r = mesh_neighbour(m, src, dir); !rc && r != last;
	     r = mesh_neighbour(m, r, dir))
		rc = fabsim_set_route(s, r, color, back,
				      1u << dir | 1u << DIR_RAMP, d);
	if (!rc)
		rc = fabsim_set_route(s, last, color, back, 1u << DIR_RAMP, d);
	return rc;
}

void fabsim_set_sink_interval(struct fabsim *s, int32_t pe, uint32_t cycles)
{
	if (pe < 0 || pe >= s->n)
		abort();
	if (cycles < 1)
		cycles = 1;
	if (!s->sink_interval) {
		s->sink_interval = xmalloc((size_t)s->n * sizeof(*s->sink_interval));
		for (int32_t i = 0; i < s->n; i++)
			s->sink_interval[i] = 1;
		s->sink_next = xcalloc((size_t)s->n, sizeof(*s->sink_next));
	}
	s->sink_interval[pe] = cycles;
	if (cycles > s->max_sink_interval)
		s->max_sink_interval = cycles;
}

void fabsim_set_done_hook(struct fabsim *s, fabsim_done_fn fn, void *ctx)
{
	s->done_fn = fn;
	s->done_ctx = ctx;
}

/* Walk the static routes of `color` from `src`: destinations and depth.
 * Returns WS_EINPUT if the routes loop. */
static int walk_routes(const struct fabsim *s, int32_t src, int32_t color,
		       int32_t *dests, int32_t *hops, struct diag *d)
{
	size_t cap = 64, n = 0, steps = 0;
	struct { int32_t r, port, depth; } *st = xmalloc(cap * sizeof(*st));
	st[n].r = src;
	st[n].port = DIR_RAMP;
	st[n++].depth = 0;
	*dests = 0;
	*hops = 0;
	while (n) {
		int32_t r = st[--n].r, port = st[n].port, depth = st[n].depth;
		if (++steps > (size_t)s->n * MESH_PORTS) {
			free(st);
			diag_add(d, NULL, 0, 0,
				 "fabric: routes of color %d from PE %d loop",
				 (int)color, (int)src);
			return WS_EINPUT;
		}
		size_t i = (size_t)r * (size_t)s->C + (size_t)color;
		if (s->route_rx[i] != port)
			continue; /* dropped there: a routing error */
		for (int o = 0; o < MESH_PORTS; o++) {
			if (!(s->route_tx[i] >> o & 1))
				continue;
			if (o == DIR_RAMP) {
				++*dests;
				if (depth > *hops)
					*hops = depth;
				continue;
			}
			if (n == cap) {
				cap *= 2;
				st = xrealloc(st, cap * sizeof(*st));
			}
			st[n].r = mesh_neighbour(&s->mesh, r, o);
			st[n].port = mesh_opposite(o);
			st[n++].depth = depth + 1;
		}
	}
	free(st);
	return 0;
}

static void srcq_append(struct fabsim *s, uint32_t id)
{
	struct fs_pkt *p = &s->pkt[id];
	int32_t r = p->src;
	p->next = NONE;
	if (s->srcq_head[r] == NONE)
		s->srcq_head[r] = id;
	else
		s->pkt[s->srcq_tail[r]].next = id;
	s->srcq_tail[r] = id;
	s->ctr.queued += (uint64_t)p->n;
	s->srcq_wavelets[r] += p->n;
	activate(s, r);
}

int64_t fabsim_inject(struct fabsim *s, int32_t src, int32_t color,
		      int32_t dst, int64_t n_wavelets, cycles_t at_cycle,
		      struct diag *d)
{
	if (check_pe(s, "src", src, d) || check_color(s, color, d))
		return WS_EINPUT;
	int stat = s->color_mode[color] == FABSIM_STATIC;
	if (!stat && check_pe(s, "dst", dst, d))
		return WS_EINPUT;
	if (n_wavelets < 1 || n_wavelets > ((int64_t)1 << 40)) {
		diag_add(d, NULL, 0, 0,
			 "fabric: 'n_wavelets' must be in [1, 2^40], got %lld",
			 (long long)n_wavelets);
		return WS_EINPUT;
	}
	if (at_cycle < s->now) {
		diag_add(d, NULL, 0, 0,
			 "fabric: packet injected at cycle %llu, which is past "
			 "(now %llu)",
			 (unsigned long long)at_cycle, (unsigned long long)s->now);
		return WS_EINPUT;
	}
	int32_t dests = 1, hops = 0;
	if (stat) {
		if (walk_routes(s, src, color, &dests, &hops, d))
			return WS_EINPUT;
		dst = -1;
	} else {
		hops = mesh_hops(&s->mesh, src, dst);
	}
	uint32_t id;
	if (s->free_pkt != NONE) {
		id = s->free_pkt;
		s->free_pkt = s->pkt[id].next;
	} else {
		if (s->n_pkt >= MAX_PACKETS)
			abort(); /* 4G live packet records: cannot happen in RAM */
		if (s->n_pkt == s->cap_pkt) {
			s->cap_pkt = s->cap_pkt ? 2 * s->cap_pkt : 1024;
			s->pkt = xrealloc(s->pkt, (size_t)s->cap_pkt * sizeof(*s->pkt));
		}
		id = s->n_pkt++;
	}
	struct fs_pkt *p = &s->pkt[id];
	memset(p, 0, sizeof(*p));
	p->src = src;
	p->dst = dst;
	p->color = color;
	p->hops = hops;
	p->dests = dests;
	p->n = n_wavelets;
	p->created = at_cycle;
	p->live = 1;
	if (at_cycle == s->now)
		srcq_append(s, id);
	else
		heap_push(s, at_cycle, id);
	return id;
}

/* ---- the cycle -------------------------------------------------------- */

static void packet_delivered(struct fabsim *s, uint32_t id)
{
	struct fs_pkt *p = &s->pkt[id];
	if (++p->delivered < p->n * p->dests)
		return;
	p->done = 1;
	p->done_at = s->now;
	if (s->done_fn) {
		struct fabsim_packet_info info;
		fabsim_packet(s, id, &info);
		s->done_fn(s->done_ctx, id, &info);
	}
	if (s->cfg.recycle_packets) {
		p->live = 0;
		p->next = s->free_pkt;
		s->free_pkt = id;
	}
}

static void router_cycle(struct fabsim *s, int32_t r)
{
	const uint32_t C = (uint32_t)s->C, D = s->D;
	const cycles_t now = s->now;
	const uint32_t g0 = (uint32_t)r * GROUPS;
	int moved = 0;

	/* (1) the PE injects one wavelet of its oldest queued packet */
	uint32_t q = s->srcq_head[r];
	if (q != NONE) {
		struct fs_pkt *p = &s->pkt[q];
		uint32_t b = (g0 + DIR_RAMP) * C + (uint32_t)p->color;
		if (s->used[b] < D) {
			if (p->sent == 0)
				p->injected = now;
			buf_push(s, r, DIR_RAMP, p->color, q, (uint32_t)p->dst,
				 (uint32_t)(now + s->ramp));
			s->ctr.in++;
			s->ctr.queued--;
			s->srcq_wavelets[r]--;
			moved = 1;
			if (++p->sent == p->n) {
				s->srcq_head[r] = p->next;
				if (p->next == NONE)
					s->srcq_tail[r] = NONE;
				if (p->dests == 0) {
					p->done = 1;
					p->done_at = now;
				}
			}
		}
	}

	/* (2) switch: every output port grants, round-robin, one of the
	 * (input port, color) heads that want it and have its credit.  Flat
	 * over pairs, so streams on distinct colors share a link evenly
	 * (max-min fair, as fabric/flow.h assumes). */
	const uint32_t PC = MESH_PORTS * C;
	uint16_t *rr = &s->rr_out[(size_t)r * MESH_PORTS];
	uint32_t best[MESH_PORTS], best_d[MESH_PORTS];
	for (int o = 0; o < MESH_PORTS; o++)
		best_d[o] = UINT32_MAX;
	int any = 0;
	for (int p = 0; p < MESH_PORTS; p++) {
		uint64_t mask = s->nonempty[g0 + (uint32_t)p];
		while (mask) {
			uint32_t c = (uint32_t)__builtin_ctzll(mask);
			mask &= mask - 1;
			uint32_t b = (g0 + (uint32_t)p) * C + c;
			size_t slot = (size_t)b * D + s->head[b];
			if (!ready(s->slot_ready[slot], now))
				continue;
			unsigned want;
			if (s->color_mode[c] == FABSIM_XY) {
				want = 1u << mesh_xy_port(&s->mesh, r,
							  (int32_t)s->slot_dst[slot]);
			} else {
				size_t ri = (size_t)r * C + c;
				if (s->route_rx[ri] != p || !s->route_tx[ri]) {
					/* routing error of the modelled program */
					buf_pop(s, r, g0 + (uint32_t)p, b, (int32_t)c);
					s->ctr.dropped++;
					moved = 1;
					continue;
				}
				want = s->route_tx[ri] & ~(unsigned)s->served[b];
			}
			uint32_t idx = (uint32_t)p * C + c;
			for (unsigned m = want; m; m &= m - 1) {
				int o = __builtin_ctz(m);
				if (!has_credit(s, r, o, (int32_t)c))
					continue;
				uint32_t dist = idx >= rr[o] ? idx - rr[o]
							     : idx + PC - rr[o];
				if (dist < best_d[o]) {
					best_d[o] = dist;
					best[o] = idx;
					any = 1;
				}
			}
		}
	}

	if (any) {
		uint32_t touched[MESH_PORTS];
		int n_touched = 0;
		for (int o = 0; o < MESH_PORTS; o++) {
			if (best_d[o] == UINT32_MAX)
				continue;
			uint32_t idx = best[o], p = idx / C, c = idx - p * C;
			uint32_t b = (g0 + p) * C + c;
			size_t slot = (size_t)b * D + s->head[b];
			uint32_t pk = s->slot_pkt[slot], dst = s->slot_dst[slot];
			rr[o] = (uint16_t)(idx + 1 == PC ? 0 : idx + 1);
			if (o == DIR_RAMP) {
				buf_push(s, r, PE_RX, (int32_t)c, pk, dst,
					 (uint32_t)(now + s->ramp));
			} else {
				int32_t r2 = mesh_neighbour(&s->mesh, r, o);
				buf_push(s, r2, mesh_opposite(o), (int32_t)c, pk, dst,
					 (uint32_t)(now + s->hop));
				s->link_wavelets[(size_t)r * MESH_LINK_DIRS + (size_t)o]++;
				s->ctr.hops++;
			}
			if (!(s->served[b] & 0x80)) {
				s->served[b] |= 0x80; /* touched this cycle */
				touched[n_touched++] = b;
			}
			s->served[b] |= (uint8_t)(1u << o);
		}
		for (int i = 0; i < n_touched; i++) {
			uint32_t b = touched[i], idx = b - g0 * C;
			uint32_t p = idx / C, c = idx - p * C;
			unsigned served = s->served[b] & 0x1f;
			unsigned want = s->color_mode[c] == FABSIM_XY
						? served
						: s->route_tx[(size_t)r * C + c];
			if ((served & want) == want) {
				s->ctr.replicated +=
					(uint64_t)__builtin_popcount(served) - 1;
				buf_pop(s, r, g0 + p, b, (int32_t)c);
			} else {
				s->served[b] = (uint8_t)served;
			}
		}
		s->busy[r]++;
		moved = 1;
	}

	/* (3) the PE consumes one wavelet */
	uint32_t gp = g0 + PE_RX;
	uint64_t mask = s->nonempty[gp];
	if (mask && (!s->sink_interval || s->sink_next[r] <= now)) {
		uint32_t c0 = C > 1 ? s->rr_color[gp] : 0;
		for (uint32_t k = 0; k < C; k++) {
			uint32_t c = c0 + k;
			if (c >= C)
				c -= C;
			if (!(mask >> c & 1))
				continue;
			uint32_t b = gp * C + c;
			size_t slot = (size_t)b * D + s->head[b];
			if (!ready(s->slot_ready[slot], now))
				continue;
			uint32_t pk = s->slot_pkt[slot];
			buf_pop(s, r, gp, b, (int32_t)c);
			s->ctr.out++;
			moved = 1;
			if (s->sink_interval)
				s->sink_next[r] = now + s->sink_interval[r];
			if (C > 1)
				s->rr_color[gp] = (uint8_t)(c + 1 == C ? 0 : c + 1);
			packet_delivered(s, pk);
			break;
		}
	}
	if (moved)
		s->last_progress = now;
}

void fabsim_step(struct fabsim *s)
{
	/* packets whose time has come join their PE's send queue */
	while (s->n_heap && s->heap[0].cycle <= s->now)
		srcq_append(s, heap_pop(s).pkt);

	int32_t *cur = s->act, n = s->n_act;
	s->act = s->cur;
	s->cur = cur;
	s->n_act = 0;
	for (int32_t i = 0; i < n; i++)
		s->in_act[cur[i]] = 0;
	s->visits += (uint64_t)n;
	for (int32_t i = 0; i < n; i++) {
		int32_t r = cur[i];
		router_cycle(s, r);
		if (s->occ[r] || s->srcq_head[r] != NONE)
			activate(s, r);
	}
	/* credits of this cycle's pops reach the senders now */
	for (size_t i = 0; i < s->n_freed; i++)
		s->used[s->freed[i]]--;
	s->n_freed = 0;
	s->now++;
}

int fabsim_idle(const struct fabsim *s)
{
	return s->n_act == 0 && s->n_heap == 0;
}

int fabsim_run(struct fabsim *s, cycles_t until_cycle)
{
	cycles_t patience = 1000 + 4 * (cycles_t)s->max_sink_interval +
			    2 * ((cycles_t)s->hop + s->ramp);
	s->last_progress = s->now;
	while (s->now < until_cycle) {
		if (s->n_act == 0) {
			if (s->n_heap == 0)
				return FABSIM_DONE;
			cycles_t t = s->heap[0].cycle;
			if (t > s->now) {
				if (t >= until_cycle) {
					s->now = until_cycle;
					return FABSIM_LIMIT;
				}
				s->now = t;
			}
			s->last_progress = s->now;
		}
		fabsim_step(s);
		if (s->now - s->last_progress > patience && s->ctr.buffered)
			return FABSIM_DEADLOCK;
	}
	return fabsim_idle(s) ? FABSIM_DONE : FABSIM_LIMIT;
}

/* ---- results ---------------------------------------------------------- */

int fabsim_packet(const struct fabsim *s, int64_t id,
		  struct fabsim_packet_info *info)
{
	if (id < 0 || id >= (int64_t)s->n_pkt || !s->pkt[id].live)
		return WS_EINPUT;
	const struct fs_pkt *p = &s->pkt[id];
	info->src = p->src;
	info->dst = p->dst;
	info->color = p->color;
	info->n_wavelets = p->n;
	info->hops = p->hops;
	info->dests = p->dests;
	info->delivered = p->delivered;
	info->created_cycle = p->created;
	info->injected_cycle = p->injected;
	info->done_cycle = p->done_at;
	info->done = p->done;
	return 0;
}

int64_t fabsim_queued(const struct fabsim *s, int32_t pe)
{
	return s->srcq_wavelets[pe];
}

int64_t fabsim_packets(const struct fabsim *s)
{
	return s->n_pkt;
}

void fabsim_counters(const struct fabsim *s, struct fabsim_counters *c)
{
	*c = s->ctr;
}

const uint64_t *fabsim_link_wavelets(const struct fabsim *s)
{
	return s->link_wavelets;
}

const uint64_t *fabsim_router_busy(const struct fabsim *s)
{
	return s->busy;
}

uint64_t fabsim_router_visits(const struct fabsim *s)
{
	return s->visits;
}
