/* route.c: paths between stage rectangles, multicast groups, colors.
 * See route.h. */
#include "compiler/route.h"

#include "compiler/map_share.h"

#include <stdlib.h>
#include <string.h>

#include "fabric/timing.h"
#include "ground/util.h"

static int32_t clamp32(int32_t v, int32_t lo, int32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

struct plan_point route_out_port(const struct plan_stage *s)
{
	return (struct plan_point){s->r.x + s->r.w - 1, s->r.y + s->r.h / 2};
}

struct plan_point route_in_port(const struct plan_stage *s,
				struct plan_point from)
{
	return (struct plan_point){
		clamp32(from.x, s->r.x, s->r.x + s->r.w - 1),
		clamp32(from.y, s->r.y, s->r.y + s->r.h - 1)};
}

struct plan_point route_host_port(const struct machine *m, struct plan_point to)
{
	int32_t W = (int32_t)m->width, H = (int32_t)m->height;
	struct plan_point best = {0, to.y};
	int64_t bd = -1;
	struct {
		unsigned bit;
		struct plan_point p;
	} c[4] = {{EDGE_WEST, {0, to.y}},
		  {EDGE_EAST, {W - 1, to.y}},
		  {EDGE_NORTH, {to.x, 0}},
		  {EDGE_SOUTH, {to.x, H - 1}}};
	for (int i = 0; i < 4; i++) {
		if (!(m->io.edges & c[i].bit))
			continue;
		int64_t dd = llabs((long long)c[i].p.x - to.x) +
			     llabs((long long)c[i].p.y - to.y);
		if (bd < 0 || dd < bd) {
			bd = dd;
			best = c[i].p;
		}
	}
	return best;
}

int route_path(struct plan_point a, struct plan_point b,
	       struct plan_point **pts)
{
	struct plan_point *p = xmalloc(3 * sizeof(*p));
	int n = 0;
	p[n++] = a;
	if (a.x != b.x && a.y != b.y)
		p[n++] = (struct plan_point){b.x, a.y}; /* X first, then Y */
	p[n++] = b;
	*pts = p;
	return n;
}

static struct plan_route *add_route(struct plan *p, int *cap)
{
	if (p->n_routes == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		p->routes =
			xrealloc(p->routes, sizeof(*p->routes) * (size_t)*cap);
	}
	struct plan_route *r = &p->routes[p->n_routes++];
	memset(r, 0, sizeof(*r));
	r->color = -1;
	r->multicast_group = -1;
	r->tensor = -1;
	return r;
}

static struct plan_point centre(const struct plan_stage *s)
{
	return (struct plan_point){s->r.x + s->r.w / 2, s->r.y + s->r.h / 2};
}

int route_build(struct plan *p, const struct machine *m,
		const struct map_edge *edges, int n_edges, struct diag *d)
{
	int cap = 0;
	for (int i = 0; i < p->n_routes; i++)
		free(p->routes[i].points);
	free(p->routes);
	p->routes = NULL;
	p->n_routes = 0;
	int group = 0;
	for (int e = 0; e < n_edges; e++) {
		const struct map_edge *E = &edges[e];
		if (p->mode == MODE_STREAMING && E->src >= 0)
			continue; /* data stays in place between layers */
		if (E->n_dst == 0)
			continue;
		struct plan_point root =
			E->src >= 0 ? route_out_port(&p->stages[E->src])
				    : route_host_port(
					      m, centre(&p->stages[E->dst[0]]));
		int g = E->n_dst > 1 ? group++ : -1;
		int64_t wv = fabric_wavelets(&m->fabric, E->bytes);
		for (int k = 0; k < E->n_dst; k++) {
			const struct plan_stage *dst = &p->stages[E->dst[k]];
			struct plan_point in = route_in_port(dst, root);
			struct plan_route *r = add_route(p, &cap);
			r->src_stage = E->src;
			r->dst_stage = E->dst[k];
			r->pass = PASS_FWD;
			r->tensor = E->tensor;
			r->wavelets_per_sample = wv;
			r->multicast_group = g;
			r->n_points = route_path(root, in, &r->points);
		}
		if (!E->grad || E->src < 0)
			continue;
		for (int k = 0; k < E->n_dst; k++) {
			const struct plan_stage *dst = &p->stages[E->dst[k]];
			struct plan_point in = route_in_port(dst, root);
			struct plan_route *r = add_route(p, &cap);
			r->src_stage = E->dst[k];
			r->dst_stage = E->src;
			r->pass = PASS_BWD_DATA;
			r->tensor = E->tensor;
			r->wavelets_per_sample = wv;
			r->n_points = route_path(in, root, &r->points);
		}
	}
	return route_assign_colors(p, m, NULL, d);
}

/* Run `body` with `id` = every router on the route's path (a corner may be
 * visited twice: bodies must be idempotent), numbered y * W + x inside the
 * box (routes_box) whose corner is (X0, Y0) and width W. */
#define FOR_PATH(r, X0, Y0, W, id, body)                                       \
	do {                                                                   \
		for (int k_ = 0; k_ < (r)->n_points; k_++) {                   \
			struct plan_point a_ = (r)->points[k_];                \
			struct plan_point b_ = k_ + 1 < (r)->n_points          \
						       ? (r)->points[k_ + 1]   \
						       : a_;                   \
			int dx_ = b_.x > a_.x ? 1 : b_.x < a_.x ? -1 : 0;      \
			int dy_ = b_.y > a_.y ? 1 : b_.y < a_.y ? -1 : 0;      \
			int32_t x_ = a_.x, y_ = a_.y;                          \
			for (;;) {                                             \
				int64_t id = (int64_t)(y_ - (Y0)) * (W) +      \
					     (x_ - (X0));                      \
				body;                                          \
				if (x_ == b_.x && y_ == b_.y)                  \
					break;                                 \
				x_ += dx_;                                     \
				y_ += dy_;                                     \
			}                                                      \
		}                                                              \
	} while (0)

static int int_cmp(const void *pa, const void *pb)
{
	int a = *(const int *)pa, b = *(const int *)pb;
	return (a > b) - (a < b);
}

int route_sync_pairs(const struct plan *p, const struct graph *g,
		     struct route_sync **out)
{
	*out = NULL;
	if (p->mode != MODE_PIPELINED || !g)
		return 0;
	int *stage_of = xmalloc(sizeof(int) * (size_t)(g->n_layers + 1));
	for (int l = 0; l < g->n_layers; l++)
		stage_of[l] = -1;
	for (int i = 0; i < p->n_stages; i++)
		for (int k = 0; k < p->stages[i].n_layers; k++) {
			int l = p->stages[i].layers[k];
			if (l >= 0 && l < g->n_layers)
				stage_of[l] = i;
		}
	int64_t wb = p->prec == PREC_FP32 ? 4 : 2;
	int n = 0, most = 1;
	for (int i = 0; i < p->n_stages; i++)
		most = p->stages[i].n_layers > most ? p->stages[i].n_layers
						    : most;
	int *owners = xcalloc((size_t)most + 1, sizeof(int));
	for (int i = 0; i < p->n_stages; i++) {
		if (map_share_guest(p, i))
			continue; /* its host's weights: nothing to sync */
		/* owners in order of their stage, each pair once: the
		 * stages owning a layer's weights, not every stage */
		int no = 0;
		for (int k = 0; k < p->stages[i].n_layers; k++) {
			int l = p->stages[i].layers[k];
			int ow = l >= 0 && l < g->n_layers
					 ? g->layers[l].param_owner
					 : -1;
			if (ow >= 0 && ow != l && ow < g->n_layers &&
			    stage_of[ow] >= 0 && stage_of[ow] != i)
				owners[no++] = stage_of[ow];
		}
		qsort(owners, (size_t)no, sizeof(int), int_cmp);
		for (int q = 0; q < no; q++) {
			int o = owners[q];
			if (q && owners[q - 1] == o)
				continue;
			int64_t params = 0;
			for (int k = 0; k < p->stages[i].n_layers; k++) {
				int l = p->stages[i].layers[k];
				if (l < 0 || l >= g->n_layers)
					continue;
				int ow = g->layers[l].param_owner;
				if (ow < 0 || ow == l || ow >= g->n_layers ||
				    stage_of[ow] != o)
					continue;
				params += g->layers[ow].cost.params;
			}
			if (params <= 0)
				continue;
			*out = xrealloc(*out, sizeof(**out) * (size_t)(n + 1));
			(*out)[n++] = (struct route_sync){i, o, params * 4,
							  params * wb};
		}
	}
	free(owners);
	free(stage_of);
	return n;
}

static const char *stage_name(const struct plan *p, int s)
{
	return s >= 0 && s < p->n_stages ? p->stages[s].name : "host";
}

/* The route of kind/src/dst/pass (and tensor, when both know it), or -1. */
static int find_route(const struct plan *p, int kind, int src, int dst,
		      int pass, int tensor)
{
	for (int i = 0; i < p->n_routes; i++) {
		const struct plan_route *r = &p->routes[i];
		if (r->kind == kind && r->src_stage == src &&
		    r->dst_stage == dst && (int)r->pass == pass &&
		    (tensor < 0 || r->tensor < 0 || r->tensor == tensor))
			return i;
	}
	return -1;
}

/* Every sync route of the plan's pairs, laid when missing (color -1), its
 * bytes set from the graph; returns the pairs. */
static int lay_syncs(struct plan *p, const struct graph *g)
{
	struct route_sync *sp;
	int n = route_sync_pairs(p, g, &sp);
	for (int k = 0; k < n; k++)
		for (int dir = 0; dir < 2; dir++) {
			int src = dir ? sp[k].owner : sp[k].replica;
			int dst = dir ? sp[k].replica : sp[k].owner;
			int kind = dir ? ROUTE_WEIGHT_SYNC : ROUTE_GRAD_SYNC;
			int pass = dir ? PASS_UPDATE : PASS_BWD_WEIGHT;
			int i = find_route(p, kind, src, dst, pass, -1);
			if (i < 0) {
				int cap = p->n_routes;
				struct plan_route *r = add_route(p, &cap);
				r->src_stage = src;
				r->dst_stage = dst;
				r->kind = kind;
				r->pass = (enum pass)pass;
				struct plan_point a =
					route_out_port(&p->stages[src]);
				r->n_points = route_path(
					a, route_in_port(&p->stages[dst], a),
					&r->points);
				i = p->n_routes - 1;
			}
			p->routes[i].bytes_per_step =
				dir ? sp[k].weight_bytes : sp[k].grad_bytes;
		}
	free(sp);
	return n;
}

int route_add_sync(struct plan *p, const struct graph *g,
		   const struct machine *m, struct diag *d)
{
	return lay_syncs(p, g) ? route_assign_colors(p, m, NULL, d) : 0;
}

/* A sample route the graph needs: present, with its payload recomputed;
 * else a located error. */
static int require_sample(struct plan *p, const struct machine *m,
			  const struct graph *g, const struct map_edge *E,
			  int src, int dst, int pass, const char *file,
			  int line, int col, struct diag *d)
{
	int i = find_route(p, ROUTE_SAMPLE, src, dst, pass, E->tensor);
	if (i >= 0) {
		p->routes[i].wavelets_per_sample =
			fabric_wavelets(&m->fabric, E->bytes);
		return 0;
	}
	diag_add(d, file, line, col,
		 "plan: route '%s' -> '%s' (%s, tensor '%s') must be in "
		 "'routes', got none (write 'routes: []' to have every route "
		 "laid again)",
		 stage_name(p, src), stage_name(p, dst),
		 plan_pass_name((enum pass)pass),
		 g && E->tensor >= 0 ? g->tensors[E->tensor].name : "?");
	return 1;
}

int route_complete(struct plan *p, const struct graph *g,
		   const struct machine *m, const struct map_edge *edges,
		   int n_edges, const char *file, int line, int col,
		   struct diag *d)
{
	int bad = 0;
	for (int e = 0; e < n_edges; e++) {
		const struct map_edge *E = &edges[e];
		if (p->mode == MODE_STREAMING && E->src >= 0)
			continue;
		for (int k = 0; k < E->n_dst; k++) {
			bad += require_sample(p, m, g, E, E->src, E->dst[k],
					      PASS_FWD, file, line, col, d);
			if (E->grad && E->src >= 0)
				bad += require_sample(p, m, g, E, E->dst[k],
						      E->src, PASS_BWD_DATA,
						      file, line, col, d);
		}
	}
	if (bad)
		return WS_EINPUT;
	lay_syncs(p, g);
	return 0;
}

static int path_ok(const struct plan_route *r, const struct machine *m)
{
	for (int k = 0; k < r->n_points; k++) {
		const struct plan_point *q = &r->points[k];
		if (q->x < 0 || q->y < 0 || q->x >= m->width ||
		    q->y >= m->height)
			return 0;
		if (k && q->x != r->points[k - 1].x &&
		    q->y != r->points[k - 1].y)
			return 0;
	}
	return r->n_points >= 1;
}

/* The smallest box of routers holding every path that stays on the grid
 * (path_ok): what the color and clash tables cover, instead of the whole
 * wafer (850 k routers, most of them on no route). */
struct route_box {
	int32_t x0, y0;
	int64_t w, h;
};

static void routes_box(const struct plan *p, const struct machine *m,
		       struct route_box *b)
{
	int32_t x1 = -1, y1 = -1;
	b->x0 = b->y0 = INT32_MAX;
	for (int i = 0; i < p->n_routes; i++) {
		const struct plan_route *r = &p->routes[i];
		if (!path_ok(r, m))
			continue;
		for (int k = 0; k < r->n_points; k++) {
			const struct plan_point *q = &r->points[k];
			b->x0 = q->x < b->x0 ? q->x : b->x0;
			b->y0 = q->y < b->y0 ? q->y : b->y0;
			x1 = q->x > x1 ? q->x : x1;
			y1 = q->y > y1 ? q->y : y1;
		}
	}
	if (x1 < 0) { /* no route on the grid: an empty box */
		b->x0 = b->y0 = 0;
		x1 = y1 = -1;
	}
	b->w = (int64_t)x1 - b->x0 + 1;
	b->h = (int64_t)y1 - b->y0 + 1;
}

static void list_colors(uint64_t mask, char *buf, size_t n)
{
	size_t len = 0;
	buf[0] = 0;
	len += (size_t)snprintf(buf, n, "0-%d (kernels)",
				PLAN_KERNEL_COLORS - 1);
	for (int c = PLAN_KERNEL_COLORS; c < 64 && len < n; c++)
		if (mask >> c & 1)
			len += (size_t)snprintf(buf + len, n - len, ", %d", c);
}

/*
 * Which routes cross which, from their segments: two axis-aligned
 * segments share a router exactly when their bounding boxes overlap
 * (integer corners), so a route's colors at every router of its path are
 * the colors of the routes whose segments overlap its own.  No table of
 * the wafer's routers (850 k on wse2, routes on a few thousand).
 *
 *   seg[off[i] .. off[i + 1]) = route i's segments, corner to corner (a
 *   one-point route: one point); box[i] = all of them; ok[i] = path_ok
 */
struct span {
	int32_t x0, y0, x1, y1; /* corners, x0 <= x1, y0 <= y1 */
};

struct crossing {
	struct span *seg, *box;
	int *off;
	unsigned char *ok;
};

static void crossing_init(struct crossing *x, const struct plan *p,
			  const struct machine *m)
{
	int n = p->n_routes, ns = 0;
	for (int i = 0; i < n; i++)
		ns += p->routes[i].n_points;
	x->seg = xcalloc((size_t)ns + 1, sizeof(*x->seg));
	x->box = xcalloc((size_t)n + 1, sizeof(*x->box));
	x->off = xcalloc((size_t)n + 1, sizeof(int));
	x->ok = xcalloc((size_t)n + 1, 1);
	ns = 0;
	for (int i = 0; i < n; i++) {
		const struct plan_route *r = &p->routes[i];
		x->off[i] = ns;
		x->ok[i] = (unsigned char)path_ok(r, m);
		struct span *b = &x->box[i];
		*b = (struct span){INT32_MAX, INT32_MAX, INT32_MIN, INT32_MIN};
		for (int k = 0; x->ok[i] && k < r->n_points; k++) {
			/* FOR_PATH's walk: to the next corner, the last
			 * corner alone */
			struct plan_point a = r->points[k];
			struct plan_point c =
				k + 1 < r->n_points ? r->points[k + 1] : a;
			struct span *s = &x->seg[ns++];
			*s = (struct span){
				a.x < c.x ? a.x : c.x, a.y < c.y ? a.y : c.y,
				a.x > c.x ? a.x : c.x, a.y > c.y ? a.y : c.y};
			b->x0 = s->x0 < b->x0 ? s->x0 : b->x0;
			b->y0 = s->y0 < b->y0 ? s->y0 : b->y0;
			b->x1 = s->x1 > b->x1 ? s->x1 : b->x1;
			b->y1 = s->y1 > b->y1 ? s->y1 : b->y1;
		}
	}
	x->off[n] = ns;
}

static void crossing_release(struct crossing *x)
{
	free(x->seg);
	free(x->box);
	free(x->off);
	free(x->ok);
}

static int overlap(const struct span *a, const struct span *b)
{
	return a->x0 <= b->x1 && b->x0 <= a->x1 && a->y0 <= b->y1 &&
	       b->y0 <= a->y1;
}

/* Do routes i and j share a router? */
static int crosses(const struct crossing *x, int i, int j)
{
	if (!overlap(&x->box[i], &x->box[j]))
		return 0;
	for (int a = x->off[i]; a < x->off[i + 1]; a++)
		for (int b = x->off[j]; b < x->off[j + 1]; b++)
			if (overlap(&x->seg[a], &x->seg[b]))
				return 1;
	return 0;
}

/* Is route j in route i's multicast group, still to be colored (i
 * itself included)? */
static int in_group(const struct plan *p, const struct crossing *x, int i,
		    int j)
{
	const struct plan_route *r = &p->routes[i], *q = &p->routes[j];
	return j == i || (r->multicast_group >= 0 &&
			  q->multicast_group == r->multicast_group &&
			  q->color < 0 && x->ok[j]);
}

/* The colors at router (px, py): bit[q] of every route q through it. */
static uint64_t colors_at(const struct crossing *x, const uint64_t *bit, int n,
			  int32_t px, int32_t py)
{
	struct span pt = {px, py, px, py};
	uint64_t at = 0;
	for (int q = 0; q < n; q++)
		for (int a = x->off[q]; bit[q] && a < x->off[q + 1]; a++)
			if (overlap(&x->seg[a], &pt))
				at |= bit[q];
	return at;
}

/* No color left for route i (colors `used` on its group's path): the
 * error, naming the fullest router on its path. */
static void no_color(const struct plan *p, const struct machine *m,
		     const struct crossing *x, const uint64_t *bit, int i,
		     uint64_t used, const char *file, struct diag *d)
{
	const struct plan_route *r = &p->routes[i];
	int64_t W = m->width, worst = 0;
	int wn = -1;
	FOR_PATH(r, 0, 0, W, id, {
		int k = __builtin_popcountll(colors_at(x, bit, p->n_routes,
						       (int32_t)(id % W),
						       (int32_t)(id / W)));
		if (k > wn) {
			wn = k;
			worst = id;
		}
	});
	char cl[256];
	list_colors(used, cl, sizeof cl);
	diag_add(d, file, r->line, r->col,
		 "route: no color left for '%s' -> '%s' (%s): "
		 "its path%s crosses routers using colors %s, "
		 "all %d the machine has (fullest: router "
		 "(%lld,%lld) with %d); place the stages "
		 "closer or apart so fewer routes cross "
		 "(another --strategy, e.g. anneal or pack), "
		 "or use a machine with more 'fabric.colors'",
		 stage_name(p, r->src_stage), stage_name(p, r->dst_stage),
		 plan_pass_name(r->pass),
		 r->multicast_group >= 0 ? " (with its multicast tree)" : "",
		 cl, (int)m->fabric.colors, (long long)(worst % W),
		 (long long)(worst / W), wn);
}

/*
 * Where to look for the routes crossing one (route_assign_colors): the
 * routes by the TILE x TILE tiles of the grid their boxes cover (a route
 * crosses only those sharing a tile with it), and each route's next of its
 * multicast group (-1: none), so that neither asks every route of every
 * route.  The colors found are those of the scan of all pairs: a color
 * is the OR of the bits of the routes crossing the group.
 */
#define ROUTE_TILE 32

struct near {
	int32_t tw, th;
	int *off, *at; /* routes of tile t: at[off[t] .. off[t + 1]) */
	int *next;     /* next route of the same multicast group */
	int *stamp, cur;
};

static int group_cmp(const void *pa, const void *pb)
{
	const int *a = pa, *b = pb; /* (group, route) */
	if (a[0] != b[0])
		return a[0] < b[0] ? -1 : 1;
	return (a[1] > b[1]) - (a[1] < b[1]);
}

static void near_init(struct near *nr, const struct plan *p,
		      const struct machine *m, const struct crossing *x)
{
	int n = p->n_routes;
	nr->tw = (int32_t)((m->width + ROUTE_TILE - 1) / ROUTE_TILE);
	nr->th = (int32_t)((m->height + ROUTE_TILE - 1) / ROUTE_TILE);
	size_t nt = (size_t)nr->tw * (size_t)nr->th;
	nr->off = xcalloc(nt + 2, sizeof(int));
	for (int pass = 0; pass < 2; pass++) {
		int *fill = pass ? xcalloc(nt + 1, sizeof(int)) : NULL;
		for (int q = 0; q < n; q++) {
			const struct span *b = &x->box[q];
			if (!x->ok[q] || b->x0 > b->x1)
				continue; /* no segment: crosses nothing */
			for (int32_t ty = b->y0 / ROUTE_TILE;
			     ty <= b->y1 / ROUTE_TILE; ty++)
				for (int32_t tx = b->x0 / ROUTE_TILE;
				     tx <= b->x1 / ROUTE_TILE; tx++) {
					size_t t = (size_t)ty * nr->tw + tx;
					if (!pass)
						nr->off[t + 1]++;
					else
						nr->at[nr->off[t] + fill[t]++] =
							q;
				}
		}
		if (!pass) {
			for (size_t t = 0; t < nt; t++)
				nr->off[t + 1] += nr->off[t];
			nr->at = xcalloc((size_t)nr->off[nt] + 1, sizeof(int));
		}
		free(fill);
	}
	nr->next = xcalloc((size_t)n + 1, sizeof(int));
	int *ord = xcalloc((size_t)(2 * n) + 2, sizeof(int));
	for (int i = 0; i < n; i++) {
		ord[2 * i] = p->routes[i].multicast_group;
		ord[2 * i + 1] = i;
	}
	qsort(ord, (size_t)n, 2 * sizeof(int), group_cmp);
	for (int k = 0; k < n; k++) {
		int g = ord[2 * k];
		nr->next[ord[2 * k + 1]] =
			g >= 0 && k + 1 < n && ord[2 * k + 2] == g
				? ord[2 * k + 3]
				: -1;
	}
	free(ord);
	nr->stamp = xcalloc((size_t)n + 1, sizeof(int));
	nr->cur = 0;
}

static void near_release(struct near *nr)
{
	free(nr->off);
	free(nr->at);
	free(nr->next);
	free(nr->stamp);
}

/* The colors (bits) of the routes crossing route j, added to used. */
static uint64_t near_colors(struct near *nr, const struct crossing *x,
			    const uint64_t *bit, int j, uint64_t used)
{
	const struct span *b = &x->box[j];
	if (!x->ok[j] || b->x0 > b->x1)
		return used;
	nr->cur++;
	for (int32_t ty = b->y0 / ROUTE_TILE; ty <= b->y1 / ROUTE_TILE; ty++)
		for (int32_t tx = b->x0 / ROUTE_TILE; tx <= b->x1 / ROUTE_TILE;
		     tx++) {
			size_t t = (size_t)ty * nr->tw + tx;
			for (int k = nr->off[t]; k < nr->off[t + 1]; k++) {
				int q = nr->at[k];
				if (nr->stamp[q] == nr->cur)
					continue;
				nr->stamp[q] = nr->cur;
				if (bit[q] & ~used && crosses(x, j, q))
					used |= bit[q];
			}
		}
	return used;
}

int route_assign_colors(struct plan *p, const struct machine *m,
			const char *file, struct diag *d)
{
	int ncol = (int)m->fabric.colors, n = p->n_routes;
	struct crossing x;
	crossing_init(&x, p, m);
	/* bit[q]: the color route q holds on its routers, 0 for none yet */
	uint64_t *bit = xcalloc((size_t)n + 1, sizeof(uint64_t));
	int rc = 0;
	/* routes whose paths leave the grid are reported by route_check */
	for (int i = 0; i < n; i++)
		if (p->routes[i].color >= 0 && x.ok[i])
			bit[i] = 1ull << (p->routes[i].color & 63);
	struct near nr;
	near_init(&nr, p, m, &x);
	for (int i = 0; i < n; i++) {
		if (p->routes[i].color >= 0 || !x.ok[i])
			continue;
		/* the whole multicast group takes one color (its members
		 * after i: i's chain of next) */
		uint64_t used = 0;
		for (int j = i; j >= 0; j = nr.next[j])
			if (in_group(p, &x, i, j))
				used = near_colors(&nr, &x, bit, j, used);
		int c = PLAN_KERNEL_COLORS;
		while (c < ncol && (used >> c & 1))
			c++;
		if (c >= ncol) {
			no_color(p, m, &x, bit, i, used, file, d);
			rc = WS_EINPUT;
			break;
		}
		for (int j = i; j >= 0; j = nr.next[j])
			if (in_group(p, &x, i, j)) {
				p->routes[j].color = c;
				bit[j] = 1ull << c;
			}
	}
	near_release(&nr);
	free(bit);
	crossing_release(&x);
	/* the figures routes change; the objective is the caller's to ask
	 * for (plan_summarise), once the plan is complete */
	if (!rc)
		plan_tally(p, m);
	return rc;
}

static int on_io_edge(const struct machine *m, struct plan_point q)
{
	unsigned e = m->io.edges;
	return ((e & EDGE_WEST) && q.x == 0) ||
	       ((e & EDGE_EAST) && q.x == m->width - 1) ||
	       ((e & EDGE_NORTH) && q.y == 0) ||
	       ((e & EDGE_SOUTH) && q.y == m->height - 1);
}

static int in_rect(const struct rect *r, struct plan_point q)
{
	return q.x >= r->x && q.x < r->x + r->w && q.y >= r->y &&
	       q.y < r->y + r->h;
}

/* A route's stages, kind and bytes; *stop when the rest cannot be
 * checked.  Returns the errors found. */
static int check_kind(const struct plan *p, const struct plan_route *r,
		      const char *file, struct diag *d, int *stop)
{
	const char *sn = stage_name(p, r->src_stage);
	const char *dn = stage_name(p, r->dst_stage);
	int bad = 0;
	*stop = 1;
	if (r->src_stage >= p->n_stages || r->dst_stage >= p->n_stages ||
	    r->src_stage < -1 || r->dst_stage < -1) {
		diag_add(d, file, r->line, r->col,
			 "route: stages must exist, got %d -> %d", r->src_stage,
			 r->dst_stage);
		return 1;
	}
	if (r->kind < 0 || r->kind >= ROUTE_KIND_COUNT) {
		diag_add(d, file, r->line, r->col,
			 "route: '%s' -> '%s' 'kind' must be sample, "
			 "grad_sync or weight_sync, got %d",
			 sn, dn, r->kind);
		return 1;
	}
	if (r->kind == ROUTE_SAMPLE && r->bytes_per_step != 0) {
		diag_add(d, file, r->line, r->col,
			 "route: '%s' -> '%s' 'bytes_per_step' must be "
			 "0 on a sample route (kind grad_sync or "
			 "weight_sync carry bytes per step), got %lld",
			 sn, dn, (long long)r->bytes_per_step);
		bad++;
	}
	if (r->kind != ROUTE_SAMPLE &&
	    (r->src_stage < 0 || r->dst_stage < 0 ||
	     r->src_stage == r->dst_stage || r->bytes_per_step < 1 ||
	     r->wavelets_per_sample != 0 || p->mode == MODE_STREAMING)) {
		diag_add(d, file, r->line, r->col,
			 "route: %s route '%s' -> '%s' must join two "
			 "distinct stages of a pipelined plan with "
			 "bytes_per_step > 0 and wavelets_per_sample 0, "
			 "got bytes_per_step %lld, wavelets_per_sample "
			 "%lld, mode %s",
			 plan_route_kind_name(r->kind), sn, dn,
			 (long long)r->bytes_per_step,
			 (long long)r->wavelets_per_sample,
			 plan_mode_name(p->mode));
		bad++;
	}
	if (r->kind != ROUTE_SAMPLE && (map_share_guest(p, r->src_stage) ||
					map_share_guest(p, r->dst_stage))) {
		diag_add(d, file, r->line, r->col,
			 "route: %s route '%s' -> '%s' must not join a "
			 "time-shared stage (its host holds the weights: "
			 "delete the route, or give the stage 'sharing: "
			 "replicas'), got one",
			 plan_route_kind_name(r->kind), sn, dn);
		bad++;
	}
	if (r->n_points < 1) {
		diag_add(d, file, r->line, r->col,
			 "route: '%s' -> '%s' must have points, got "
			 "none",
			 sn, dn);
		return bad + 1;
	}
	*stop = 0;
	return bad;
}

/* A route's points: on the grid, along x or y, joining its ends. */
static int check_points(const struct plan *p, const struct plan_route *r,
			const struct machine *m, const char *file,
			struct diag *d)
{
	const char *sn = stage_name(p, r->src_stage);
	const char *dn = stage_name(p, r->dst_stage);
	int bad = 0;
	for (int k = 0; k < r->n_points; k++) {
		struct plan_point q = r->points[k];
		if (q.x < 0 || q.y < 0 || q.x >= m->width || q.y >= m->height) {
			diag_add(d, file, r->line, r->col,
				 "route: '%s' -> '%s' point %d must lie "
				 "inside the %lldx%lld grid, got "
				 "(%d,%d)",
				 sn, dn, k, (long long)m->width,
				 (long long)m->height, q.x, q.y);
			bad++;
		} else if (k && q.x != r->points[k - 1].x &&
			   q.y != r->points[k - 1].y) {
			diag_add(d, file, r->line, r->col,
				 "route: '%s' -> '%s' segment %d must "
				 "be "
				 "along x or y, got (%d,%d) -> (%d,%d)",
				 sn, dn, k, r->points[k - 1].x,
				 r->points[k - 1].y, q.x, q.y);
			bad++;
		}
	}
	struct plan_point a = r->points[0], b = r->points[r->n_points - 1];
	int a_ok = r->src_stage >= 0 ? in_rect(&p->stages[r->src_stage].r, a)
				     : on_io_edge(m, a);
	int b_ok = r->dst_stage >= 0 ? in_rect(&p->stages[r->dst_stage].r, b)
				     : on_io_edge(m, b);
	if (!a_ok || !b_ok) {
		diag_add(d, file, r->line, r->col,
			 "route: '%s' -> '%s' is disconnected: must %s "
			 "at (%d,%d) and %s at (%d,%d)",
			 sn, dn,
			 a_ok ? "start"
			 : r->src_stage >= 0
				 ? "start inside the source rectangle"
				 : "start on an I/O edge",
			 a.x, a.y,
			 b_ok ? "end"
			 : r->dst_stage >= 0
				 ? "end inside the destination rectangle"
				 : "end on an I/O edge",
			 b.x, b.y);
		bad++;
	}
	return bad;
}

/* A route's color: in [PLAN_KERNEL_COLORS, colors). */
static int check_color(const struct plan *p, const struct plan_route *r,
		       const struct machine *m, const char *file,
		       struct diag *d)
{
	int ncol = (int)m->fabric.colors;
	if (r->color >= PLAN_KERNEL_COLORS && r->color < ncol)
		return 0;
	diag_add(d, file, r->line, r->col,
		 "route: '%s' -> '%s' 'color' must be in [%d, "
		 "%d] "
		 "(machine '%s' has %d colors, %d kept for "
		 "kernels), got %d",
		 stage_name(p, r->src_stage), stage_name(p, r->dst_stage),
		 PLAN_KERNEL_COLORS, ncol - 1, m->name, ncol,
		 PLAN_KERNEL_COLORS, r->color);
	return 1;
}

/* Two routes of different groups sharing a color at one router (at most
 * about ten reported).  owner[k] is router k's group on color seen[k] - 1
 * (none when seen[k] is another color): no sweep of every router per
 * color. */
static int check_clashes(const struct plan *p, const struct machine *m,
			 const char *file, struct diag *d)
{
	int bad = 0, ncol = (int)m->fabric.colors;
	struct route_box bx;
	routes_box(p, m, &bx);
	int64_t W = bx.w;
	size_t nb = (size_t)(bx.w * bx.h) + 1;
	int64_t *owner = xmalloc(sizeof(int64_t) * nb);
	int *seen = xcalloc(nb, sizeof(int));
	for (int c = PLAN_KERNEL_COLORS; c < ncol && bad < 10; c++) {
		for (int i = 0; i < p->n_routes; i++) {
			const struct plan_route *r = &p->routes[i];
			if (r->color != c || !path_ok(r, m))
				continue; /* off the grid: check_points' */
			int64_t tag = r->multicast_group >= 0
					      ? r->multicast_group
					      : 1000000 + i;
			int64_t clash = -1;
			FOR_PATH(r, bx.x0, bx.y0, W, id, {
				if (seen[id] == c + 1 && owner[id] >= 0 &&
				    owner[id] != tag && clash < 0)
					clash = id;
				owner[id] = tag;
				seen[id] = c + 1;
			});
			if (clash >= 0) {
				diag_add(d, file, r->line, r->col,
					 "route: '%s' -> '%s' color %d must be "
					 "free at router (%lld,%lld), got it "
					 "used by another route there",
					 stage_name(p, r->src_stage),
					 stage_name(p, r->dst_stage), c,
					 (long long)(bx.x0 + clash % W),
					 (long long)(bx.y0 + clash / W));
				bad++;
			}
		}
	}
	free(seen);
	free(owner);
	return bad;
}

int route_check(const struct plan *p, const struct machine *m, const char *file,
		struct diag *d)
{
	int bad = 0;
	for (int i = 0; i < p->n_routes; i++) {
		const struct plan_route *r = &p->routes[i];
		int stop;
		bad += check_kind(p, r, file, d, &stop);
		if (stop)
			continue;
		bad += check_points(p, r, m, file, d);
		bad += check_color(p, r, m, file, d);
	}
	if (bad)
		return bad;
	return check_clashes(p, m, file, d);
}
