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
#include <sys/mman.h>

#include "fabric/timing.h"
#include "ground/checked.h"

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

/* One buffered wavelet: the three fields are read together, so they sit
 * together (one cache line, not three). */
struct fs_slot {
	uint32_t pkt;
	uint32_t dst;	/* destination packed as y << 16 | x (XY colors) */
	uint32_t ready; /* cycle (low 32 bits) it may leave */
};

/* A router's hot state, one cache line. */
struct fs_router {
	_Alignas(64) uint32_t nonempty[GROUPS]; /* bit c: FIFO of color c not empty */
	uint32_t occ;			     /* wavelets in its 6 * C buffers */
	uint32_t srcq_head, srcq_tail;	     /* PE send queue (packet ids) */
	uint16_t rr_out[MESH_PORTS]; /* next (port, color) to favour per output */
	uint8_t rr_color;	     /* next color the PE consumes */
};

/* A FIFO's bookkeeping, together for the same reason. */
struct fs_buf {
	uint16_t head, len, used;
	uint8_t served; /* multicast outputs already taken */
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
	int32_t delta[MESH_LINK_DIRS]; /* id step to the neighbour, per dir */
	cycles_t now;

	/* buffers (see the picture above) */
	struct fs_router *rt; /* [n] */
	struct fs_buf *bm;    /* [n * 6 * C] */
	struct fs_slot *slot; /* [n * 6 * C * D] */

	/* per router, cold */
	int64_t *srcq_wavelets; /* wavelets not yet sent, per PE */
	uint32_t *sink_interval; /* NULL: everyone full speed */
	cycles_t *sink_next;
	uint32_t max_sink_interval;
	uint64_t *busy;		 /* [n] */
	uint64_t *link_wavelets; /* [n * 4] */

	/* routes */
	uint8_t *color_mode;	   /* [C] */
	uint8_t *route_rx, *route_tx; /* [n * C] */

	/* active set, a bitmap so routers are visited in id order (memory
	 * order): act holds the routers to visit in the next step */
	uint64_t *act, *cur;
	size_t n_words;
	int32_t n_act;
	int32_t *list; /* routers of the current step, in id order */
	int prefetch;  /* prefetch routers ahead (large meshes) */

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
	uint64_t bit = 1ull << (r & 63);
	if (!(s->act[r >> 6] & bit)) {
		s->act[r >> 6] |= bit;
		s->n_act++;
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
	uint32_t pos = (uint32_t)s->bm[b].head + s->bm[b].len;
	if (pos >= s->D)
		pos -= s->D;
	size_t slot = (size_t)b * s->D + pos;
	s->slot[slot].pkt = pkt;
	s->slot[slot].dst = dst;
	s->slot[slot].ready = ready_at;
	s->bm[b].len++;
	s->bm[b].used++;
	s->rt[r].nonempty[port] |= 1u << c;
	s->rt[r].occ++;
	s->ctr.buffered++;
	activate(s, r);
}

static inline void buf_pop(struct fabsim *s, int32_t r, uint32_t g,
			   uint32_t b, int32_t c)
{
	uint32_t h = s->bm[b].head + 1u;
	s->bm[b].head = (uint16_t)(h == s->D ? 0 : h);
	if (--s->bm[b].len == 0)
		s->rt[r].nonempty[g - (uint32_t)r * GROUPS] &= ~(1u << c);
	s->bm[b].served = 0;
	s->rt[r].occ--;
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
	uint32_t g = o == DIR_RAMP
			     ? (uint32_t)r * GROUPS + PE_RX
			     : (uint32_t)(r + s->delta[o]) * GROUPS +
				       (uint32_t)mesh_opposite(o);
	return s->bm[g * (uint32_t)s->C + (uint32_t)c].used < s->D;
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

/* Zeroed array; large ones on 2 MB pages where the kernel allows it: the
 * WSE-2 grid's state is hundreds of MB visited sparsely, and with 4 KB
 * pages nearly every visit would miss the TLB.  Freed with free(). */
static void *big_calloc(size_t n, size_t size)
{
	size_t bytes = n * size;
	int huge = bytes >= ((size_t)4 << 20);
	size_t align = huge ? (size_t)2 << 20 : 64; /* 64: cache-line structs */
	bytes = (bytes + align - 1) / align * align;
	if (bytes == 0)
		bytes = align;
	void *p = NULL;
	if (posix_memalign(&p, align, bytes) != 0)
		abort(); /* out of memory, as xmalloc does */
#ifdef MADV_HUGEPAGE
	if (huge)
		madvise(p, bytes, MADV_HUGEPAGE); /* a hint: failure is harmless */
#endif
	memset(p, 0, bytes);
	return p;
}

double fabsim_estimate_bytes(const struct fabsim_config *cfg)
{
	double routers = (double)cfg->width * (double)cfg->height;
	double depth = (double)cfg->params.buffer_depth_wavelets;
	return routers * (130.0 + (double)cfg->colors * 6.0 *
					  (8.0 + 12.0 * depth));
}

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
	if (f->colors < 1 || cfg->colors < 1 || cfg->colors > f->colors ||
	    cfg->colors > 32) {
		diag_add(d, NULL, 0, 0,
			 "fabric: 'colors' modelled must be in [1, %lld] and at "
			 "most 32, got %d",
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
	if (!bad) {
		char what[96];
		snprintf(what, sizeof(what),
			 "fabric: a %dx%d mesh, %d color%s, depth %lld",
			 (int)cfg->width, (int)cfg->height, (int)cfg->colors,
			 cfg->colors == 1 ? "" : "s",
			 (long long)f->buffer_depth_wavelets);
		bad = mem_budget_check(what, fabsim_estimate_bytes(cfg),
				       cfg->max_memory_bytes, d) != 0;
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
	s->delta[DIR_NORTH] = -cfg->width;
	s->delta[DIR_SOUTH] = cfg->width;
	s->delta[DIR_EAST] = 1;
	s->delta[DIR_WEST] = -1;
	s->prefetch = s->n >= 65536; /* small meshes stay in cache */
	size_t n = (size_t)s->n, groups = n * GROUPS, bufs = groups * (size_t)s->C;
	s->rt = big_calloc(n, sizeof(*s->rt));
	s->bm = big_calloc(bufs, sizeof(*s->bm));
	s->slot = big_calloc(bufs * s->D, sizeof(*s->slot));
	for (size_t i = 0; i < n; i++)
		s->rt[i].srcq_head = s->rt[i].srcq_tail = NONE;
	s->srcq_wavelets = xcalloc(n, sizeof(*s->srcq_wavelets));
	s->busy = big_calloc(n, sizeof(*s->busy));
	s->link_wavelets = big_calloc(n * MESH_LINK_DIRS, sizeof(*s->link_wavelets));
	s->color_mode = xcalloc((size_t)s->C, 1);
	s->route_rx = xmalloc(n * (size_t)s->C);
	memset(s->route_rx, 0xff, n * (size_t)s->C);
	s->route_tx = xcalloc(n * (size_t)s->C, 1);
	s->n_words = (n + 63) / 64;
	s->act = xcalloc(s->n_words, sizeof(*s->act));
	s->cur = xcalloc(s->n_words, sizeof(*s->cur));
	s->list = xmalloc(n * sizeof(*s->list));
	s->free_pkt = NONE;
	s->max_sink_interval = 1;
	return s;
}

void fabsim_free(struct fabsim *s)
{
	if (!s)
		return;
	free(s->rt);
	free(s->bm);
	free(s->slot);
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
	free(s->list);
	free(s->freed);
	free(s->pkt);
	free(s->heap);
	free(s);
}

size_t fabsim_bytes(const struct fabsim *s)
{
	size_t n = (size_t)s->n, groups = n * GROUPS, bufs = groups * (size_t)s->C;
	return sizeof(*s) + n * sizeof(struct fs_router) +
	       bufs * sizeof(struct fs_buf) +
	       bufs * s->D * sizeof(struct fs_slot) + n * (8 + 8 + 4 + 1) +
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
	if (s->rt[r].srcq_head == NONE)
		s->rt[r].srcq_head = id;
	else
		s->pkt[s->rt[r].srcq_tail].next = id;
	s->rt[r].srcq_tail = id;
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
			/* offered faster than the mesh delivers, the source
			 * queues fill on every PE: held within the memory
			 * budget the mesh was admitted under (a 4096x4096
			 * mesh at --rate 0.1 passed 13 GB and kept growing) */
			uint32_t cap = s->cap_pkt ? 2 * s->cap_pkt : 1024;
			char what[112];
			snprintf(what, sizeof(what),
				 "fabric: a %dx%d mesh holding %u packets at "
				 "cycle %llu", (int)s->cfg.width,
				 (int)s->cfg.height, cap,
				 (unsigned long long)s->now);
			if (mem_budget_check(what, fabsim_estimate_bytes(&s->cfg) +
						   (double)cap * sizeof(*s->pkt),
					     s->cfg.max_memory_bytes, d))
				return WS_EINPUT;
			s->cap_pkt = cap;
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

/* (1) the PE injects one wavelet of its oldest queued packet. */
static inline int router_inject(struct fabsim *s, int32_t r)
{
	const uint32_t C = (uint32_t)s->C, D = s->D;
	const cycles_t now = s->now;
	const uint32_t g0 = (uint32_t)r * GROUPS;
	int moved = 0;
	uint32_t q = s->rt[r].srcq_head;
	if (q != NONE) {
		struct fs_pkt *p = &s->pkt[q];
		uint32_t b = (g0 + DIR_RAMP) * C + (uint32_t)p->color;
		if (s->bm[b].used < D) {
			if (p->sent == 0)
				p->injected = now;
			uint32_t pd = p->dst < 0 ? NONE
						  : (uint32_t)(p->dst / s->mesh.width) << 16 |
							    (uint32_t)(p->dst % s->mesh.width);
			buf_push(s, r, DIR_RAMP, p->color, q, pd,
				 (uint32_t)(now + s->ramp));
			s->ctr.in++;
			s->ctr.queued--;
			s->srcq_wavelets[r]--;
			moved = 1;
			if (++p->sent == p->n) {
				s->rt[r].srcq_head = p->next;
				if (p->next == NONE)
					s->rt[r].srcq_tail = NONE;
				if (p->dests == 0) {
					p->done = 1;
					p->done_at = now;
				}
			}
		}
	}
	return moved;
}

/* (2a) for every output port, the (input port, color) head nearest its
 * round-robin pointer that wants it and has its credit; bit o of the
 * result set when output o has one (best[o]).  Drops heads a
 * route-table program misroutes (*moved). */
static inline unsigned router_requests(struct fabsim *s, int32_t r,
					uint32_t best[MESH_PORTS], int *moved)
{
	const uint32_t C = (uint32_t)s->C, D = s->D;
	const cycles_t now = s->now;
	const uint32_t g0 = (uint32_t)r * GROUPS;
	const uint32_t PC = MESH_PORTS * C;
	const uint32_t rx = (uint32_t)(r % s->mesh.width);
	const uint32_t ry = (uint32_t)(r / s->mesh.width);
	const uint16_t *rr = s->rt[r].rr_out;
	uint32_t best_d[MESH_PORTS];
	unsigned outs = 0; /* outputs with a candidate */
	for (int p = 0; p < MESH_PORTS; p++) {
		uint32_t mask = s->rt[r].nonempty[p];
		while (mask) {
			uint32_t c = (uint32_t)__builtin_ctz(mask);
			mask &= mask - 1;
			uint32_t b = (g0 + (uint32_t)p) * C + c;
			size_t slot = (size_t)b * D + s->bm[b].head;
			if (!ready(s->slot[slot].ready, now))
				continue;
			unsigned want;
			if (s->color_mode[c] == FABSIM_XY) {
				uint32_t dst = s->slot[slot].dst;
				uint32_t dx = dst & 0xffff, dy = dst >> 16;
				int o = dx > rx	  ? DIR_EAST
					: dx < rx ? DIR_WEST
					: dy > ry ? DIR_SOUTH
					: dy < ry ? DIR_NORTH
						  : DIR_RAMP;
				want = 1u << o;
			} else {
				size_t ri = (size_t)r * C + c;
				if (s->route_rx[ri] != p || !s->route_tx[ri]) {
					/* routing error of the modelled program */
					buf_pop(s, r, g0 + (uint32_t)p, b, (int32_t)c);
					s->ctr.dropped++;
					*moved = 1;
					continue;
				}
				want = s->route_tx[ri] & ~(unsigned)s->bm[b].served;
			}
			uint32_t idx = (uint32_t)p * C + c;
			for (unsigned m = want; m; m &= m - 1) {
				int o = __builtin_ctz(m);
				if (!has_credit(s, r, o, (int32_t)c))
					continue;
				uint32_t dist = idx >= rr[o] ? idx - rr[o]
							     : idx + PC - rr[o];
				if (!(outs >> o & 1) || dist < best_d[o]) {
					outs |= 1u << o;
					best_d[o] = dist;
					best[o] = idx;
				}
			}
		}
	}
	return outs;
}

/* (2b) every output with a candidate forwards it; multicast heads leave
 * their buffer once every output of their route has served them. */
static inline void router_grant(struct fabsim *s, int32_t r, unsigned outs,
				const uint32_t best[MESH_PORTS])
{
	const uint32_t C = (uint32_t)s->C, D = s->D;
	const cycles_t now = s->now;
	const uint32_t g0 = (uint32_t)r * GROUPS;
	const uint32_t PC = MESH_PORTS * C;
	uint16_t *rr = s->rt[r].rr_out;
	uint32_t touched[MESH_PORTS];
	int n_touched = 0;
	for (unsigned om = outs; om; om &= om - 1) {
		int o = __builtin_ctz(om);
		uint32_t idx = best[o], p = C == 1 ? idx : idx / C;
		uint32_t c = idx - p * C;
		uint32_t b = (g0 + p) * C + c;
		size_t slot = (size_t)b * D + s->bm[b].head;
		uint32_t pk = s->slot[slot].pkt, dst = s->slot[slot].dst;
		rr[o] = (uint16_t)(idx + 1 == PC ? 0 : idx + 1);
		if (o == DIR_RAMP) {
			buf_push(s, r, PE_RX, (int32_t)c, pk, dst,
				 (uint32_t)(now + s->ramp));
		} else {
			/* routes never leave the mesh (checked when set;
			 * X-then-Y stops at the destination) */
			int32_t r2 = r + s->delta[o];
			buf_push(s, r2, mesh_opposite(o), (int32_t)c, pk, dst,
				 (uint32_t)(now + s->hop));
			s->link_wavelets[(size_t)r * MESH_LINK_DIRS + (size_t)o]++;
			s->ctr.hops++;
		}
		if (s->color_mode[c] == FABSIM_XY) {
			buf_pop(s, r, g0 + p, b, (int32_t)c); /* unicast */
			continue;
		}
		if (!(s->bm[b].served & 0x80)) {
			s->bm[b].served |= 0x80; /* touched this cycle */
			touched[n_touched++] = b;
		}
		s->bm[b].served |= (uint8_t)(1u << o);
	}
	for (int i = 0; i < n_touched; i++) {
		uint32_t b = touched[i], idx = b - g0 * C;
		uint32_t p = idx / C, c = idx - p * C;
		unsigned served = s->bm[b].served & 0x1f;
		unsigned want = s->route_tx[(size_t)r * C + c];
		if ((served & want) == want) {
			static const uint8_t bits[32] = {
				0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
				1, 2, 2, 3, 2, 3, 3, 4, 2, 3, 3, 4, 3, 4, 4, 5};
			s->ctr.replicated += (uint64_t)bits[served] - 1;
			buf_pop(s, r, g0 + p, b, (int32_t)c);
		} else {
			s->bm[b].served = (uint8_t)served;
		}
	}
}

/* (3) the PE consumes one wavelet. */
static inline int router_consume(struct fabsim *s, int32_t r)
{
	const uint32_t C = (uint32_t)s->C, D = s->D;
	const cycles_t now = s->now;
	const uint32_t g0 = (uint32_t)r * GROUPS;
	int moved = 0;
	uint32_t gp = g0 + PE_RX;
	uint32_t mask = s->rt[r].nonempty[PE_RX];
	if (mask && (!s->sink_interval || s->sink_next[r] <= now)) {
		uint32_t c0 = C > 1 ? s->rt[r].rr_color : 0;
		for (uint32_t k = 0; k < C; k++) {
			uint32_t c = c0 + k;
			if (c >= C)
				c -= C;
			if (!(mask >> c & 1))
				continue;
			uint32_t b = gp * C + c;
			size_t slot = (size_t)b * D + s->bm[b].head;
			if (!ready(s->slot[slot].ready, now))
				continue;
			uint32_t pk = s->slot[slot].pkt;
			buf_pop(s, r, gp, b, (int32_t)c);
			s->ctr.out++;
			moved = 1;
			if (s->sink_interval)
				s->sink_next[r] = now + s->sink_interval[r];
			if (C > 1)
				s->rt[r].rr_color = (uint8_t)(c + 1 == C ? 0 : c + 1);
			packet_delivered(s, pk);
			break;
		}
	}
	return moved;
}

static void router_cycle(struct fabsim *s, int32_t r)
{
	int moved = router_inject(s, r);
	/* (2) switch: every output port grants, round-robin, one of the
	 * (input port, color) heads that want it and have its credit.  Flat
	 * over pairs, so streams on distinct colors share a link evenly
	 * (max-min fair, as fabric/flow.h assumes). */
	uint32_t best[MESH_PORTS];
	unsigned outs = router_requests(s, r, best, &moved);
	if (outs) {
		router_grant(s, r, outs, best);
		s->busy[r]++;
		moved = 1;
	}
	moved |= router_consume(s, r);
	if (moved)
		s->last_progress = s->now;
}

static inline void prefetch_router(const struct fabsim *s, int32_t r)
{
	__builtin_prefetch(&s->rt[r]);
	__builtin_prefetch(&s->bm[(size_t)r * GROUPS * (size_t)s->C]);
}

static inline void prefetch_slots(const struct fabsim *s, int32_t r)
{
	const struct fs_router *rt = &s->rt[r];
	for (int p = 0; p < GROUPS; p++) {
		uint32_t m = rt->nonempty[p];
		if (!m)
			continue;
		size_t b = ((size_t)r * GROUPS + (size_t)p) * (size_t)s->C +
			   (size_t)__builtin_ctz(m);
		__builtin_prefetch(&s->slot[b * s->D]);
	}
}

void fabsim_step(struct fabsim *s)
{
	/* packets whose time has come join their PE's send queue */
	while (s->n_heap && s->heap[0].cycle <= s->now)
		srcq_append(s, heap_pop(s).pkt);

	uint64_t *cur = s->act;
	s->act = s->cur;
	s->cur = cur;
	s->visits += (uint64_t)s->n_act;
	/* this cycle's routers, in id order */
	int32_t n = 0, *list = s->list;
	for (size_t w = 0; w < s->n_words; w++) {
		uint64_t word = cur[w];
		if (!word)
			continue;
		cur[w] = 0;
		do {
			list[n++] = (int32_t)(w * 64 + (size_t)__builtin_ctzll(word));
			word &= word - 1;
		} while (word);
	}
	s->n_act = 0;
	/* On a large mesh the active routers are sparse and their state is
	 * far apart: fetch a few routers ahead so the misses overlap. */
	const int ahead = 16, ahead2 = 6;
	if (s->prefetch) {
		for (int32_t i = 0; i < n && i < ahead; i++)
			prefetch_router(s, list[i]);
		for (int32_t i = 0; i < n && i < ahead2; i++)
			prefetch_slots(s, list[i]);
	}
	for (int32_t i = 0; i < n; i++) {
		int32_t r = list[i];
		if (s->prefetch) {
			if (i + ahead < n)
				prefetch_router(s, list[i + ahead]);
			if (i + ahead2 < n)
				prefetch_slots(s, list[i + ahead2]);
		}
		router_cycle(s, r);
		if (s->rt[r].occ || s->rt[r].srcq_head != NONE)
			activate(s, r);
	}
	/* credits of this cycle's pops reach the senders now */
	for (size_t i = 0; i < s->n_freed; i++)
		s->bm[s->freed[i]].used--;
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
