/*
 * flow.c: max-min fair fluid model of streams on the mesh.  See flow.h.
 *
 * Resources get global ids: mesh link r*4+dir, then 4N + pe for a PE's ramp
 * up, 5N + pe for its ramp down.  The ids a run touches are compacted to
 * 0..R-1 (sort, unique, binary search), so memory follows the streams, not
 * the wafer.  Two CSR tables join streams and resources both ways.
 */
#include "fabric/flow.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fabric/timing.h"

struct heap_ent {
	double share;
	int32_t res;
	uint32_t version;
};

struct flow_state {
	size_t n_res;
	size_t *s_off;	 /* stream -> resources, CSR */
	int32_t *s_res;
	size_t *r_off;	 /* resource -> streams, CSR */
	int32_t *r_str;
	double *cap;
	int32_t *cnt;
	uint32_t *ver;
	struct heap_ent *heap;
	size_t n_heap, cap_heap;
};

struct order_ent {
	cycles_t start;
	int32_t idx;
};

static int cmp_order(const void *a, const void *b)
{
	const struct order_ent *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* The resources of one stream, appended to *ids. */
static void stream_resources(const struct mesh *m, const struct flow_stream *s,
			     int64_t **ids, size_t *n, size_t *cap)
{
	int64_t N = mesh_nodes(m);
#define ADD(v)                                                           \
	do {                                                             \
		if (*n == *cap) {                                        \
			*cap = *cap ? 2 * *cap : 1024;                   \
			*ids = xrealloc(*ids, *cap * sizeof(**ids));     \
		}                                                        \
		(*ids)[(*n)++] = (v);                                    \
	} while (0)
	ADD(4 * N + s->src);
	int32_t r = s->src;
	while (r != s->dst) {
		int o = mesh_xy_port(m, r, s->dst);
		ADD(mesh_link(r, o));
		r = mesh_neighbour(m, r, o);
		if (s->kind == FLOW_LINE_MULTICAST && r != s->dst)
			ADD(5 * N + r);
	}
	ADD(5 * N + s->dst);
#undef ADD
}

static int heap_less(const struct heap_ent *a, const struct heap_ent *b)
{
	return a->share < b->share || (a->share == b->share && a->res < b->res);
}

static void heap_push(struct flow_state *st, double share, int32_t res)
{
	if (st->n_heap == st->cap_heap) {
		st->cap_heap = st->cap_heap ? 2 * st->cap_heap : 1024;
		st->heap = xrealloc(st->heap, st->cap_heap * sizeof(*st->heap));
	}
	struct heap_ent e = {share, res, st->ver[res]};
	size_t i = st->n_heap++;
	while (i > 0 && heap_less(&e, &st->heap[(i - 1) / 2])) {
		st->heap[i] = st->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	st->heap[i] = e;
}

static struct heap_ent heap_pop(struct flow_state *st)
{
	struct heap_ent top = st->heap[0], last = st->heap[--st->n_heap];
	size_t i = 0, n = st->n_heap;
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		const struct heap_ent *best = &last;
		if (l < n && heap_less(&st->heap[l], best))
			best = &st->heap[m = l];
		if (l + 1 < n && heap_less(&st->heap[l + 1], best))
			m = l + 1;
		if (m == i)
			break;
		st->heap[i] = st->heap[m];
		i = m;
	}
	if (n)
		st->heap[i] = last;
	return top;
}

/* Max-min fair rates of the active streams (progressive filling). */
static void fair_rates(struct flow_state *st, const int32_t *act, size_t n_act,
		       const uint8_t *is_act, double *rate, uint8_t *frozen)
{
	for (size_t k = 0; k < n_act; k++) {
		int32_t i = act[k];
		frozen[i] = 0;
		for (size_t j = st->s_off[i]; j < st->s_off[i + 1]; j++) {
			int32_t r = st->s_res[j];
			if (st->cnt[r] == 0)
				st->cap[r] = 1.0;
			st->cnt[r]++;
		}
	}
	st->n_heap = 0;
	for (size_t k = 0; k < n_act; k++) {
		int32_t i = act[k];
		for (size_t j = st->s_off[i]; j < st->s_off[i + 1]; j++) {
			int32_t r = st->s_res[j];
			st->ver[r]++;
			heap_push(st, st->cap[r] / st->cnt[r], r);
		}
	}
	size_t left = n_act;
	while (left && st->n_heap) {
		struct heap_ent e = heap_pop(st);
		int32_t r = e.res;
		if (e.version != st->ver[r] || st->cnt[r] == 0)
			continue;
		double share = st->cap[r] / st->cnt[r];
		if (share < 0)
			share = 0;
		for (size_t j = st->r_off[r]; j < st->r_off[r + 1]; j++) {
			int32_t i = st->r_str[j];
			if (!is_act[i] || frozen[i])
				continue;
			frozen[i] = 1;
			rate[i] = share;
			left--;
			for (size_t q = st->s_off[i]; q < st->s_off[i + 1]; q++) {
				int32_t x = st->s_res[q];
				st->cap[x] -= share;
				st->cnt[x]--;
				st->ver[x]++;
				if (st->cnt[x] > 0)
					heap_push(st, st->cap[x] / st->cnt[x], x);
			}
		}
	}
	/* every count is back to 0 here: each freeze undid its increments */
}

struct res_key {
	uint64_t hash;
	size_t cnt;
	int32_t res;
};

static int cmp_res_key(const void *a, const void *b)
{
	const struct res_key *x = a, *y = b;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	if (x->cnt != y->cnt)
		return x->cnt < y->cnt ? -1 : 1;
	return (x->res > y->res) - (x->res < y->res);
}

static int same_streams(const struct flow_state *st, int32_t a, int32_t b)
{
	size_t na = st->r_off[a + 1] - st->r_off[a];
	return na == st->r_off[b + 1] - st->r_off[b] &&
	       !memcmp(&st->r_str[st->r_off[a]], &st->r_str[st->r_off[b]],
		       na * sizeof(*st->r_str));
}

/*
 * Resources crossed by exactly the same streams carry the same load at
 * every instant, so one of them stands for all: a row multicast's 756 links
 * become one resource, a lone stream's whole path one.  This is what makes
 * wafer-scale runs cheap (a recomputation costs the merged resources, not
 * the path lengths).  Rewrites both CSR tables; returns the new count.
 */
static size_t merge_equivalent(struct flow_state *st, size_t n, size_t R)
{
	struct res_key *k = xmalloc(R * sizeof(*k));
	for (size_t r = 0; r < R; r++) {
		uint64_t h = 1469598103934665603ull;
		for (size_t j = st->r_off[r]; j < st->r_off[r + 1]; j++) {
			h ^= (uint64_t)(uint32_t)st->r_str[j];
			h *= 1099511628211ull;
		}
		k[r].hash = h;
		k[r].cnt = st->r_off[r + 1] - st->r_off[r];
		k[r].res = (int32_t)r;
	}
	qsort(k, R, sizeof(*k), cmp_res_key);
	int32_t *rep = xmalloc(R * sizeof(*rep));
	int32_t *first = xmalloc(R * sizeof(*first)); /* new id -> a member */
	size_t R2 = 0;
	for (size_t i = 0; i < R;) {
		size_t j = i; /* run of equal (hash, count) */
		while (j < R && k[j].hash == k[i].hash && k[j].cnt == k[i].cnt)
			j++;
		size_t base = R2;
		for (size_t q = i; q < j; q++) {
			size_t t = base;
			while (t < R2 && !same_streams(st, first[t], k[q].res))
				t++; /* hash collision: usually none */
			if (t == R2)
				first[R2++] = k[q].res;
			rep[k[q].res] = (int32_t)t;
		}
		i = j;
	}
	/* each stream's list: representatives, sorted, without repeats */
	size_t w = 0, start = 0;
	for (size_t i = 0; i < n; i++) {
		size_t lo = start, hi = st->s_off[i + 1];
		start = hi;
		st->s_off[i] = w;
		size_t from = w;
		for (size_t j = lo; j < hi; j++) {
			int32_t v = rep[st->s_res[j]];
			size_t q = w;
			while (q > from && st->s_res[q - 1] > v)
				q--;
			if (q > from && st->s_res[q - 1] == v)
				continue;
			memmove(&st->s_res[q + 1], &st->s_res[q],
				(w - q) * sizeof(*st->s_res));
			st->s_res[q] = v;
			w++;
		}
	}
	st->s_off[n] = w;
	/* resource -> streams again */
	memset(st->r_off, 0, (R + 1) * sizeof(*st->r_off));
	for (size_t j = 0; j < w; j++)
		st->r_off[st->s_res[j] + 1]++;
	for (size_t r = 0; r < R2; r++)
		st->r_off[r + 1] += st->r_off[r];
	size_t *fill = xmalloc((R2 + 1) * sizeof(*fill));
	memcpy(fill, st->r_off, (R2 + 1) * sizeof(*fill));
	for (size_t i = 0; i < n; i++)
		for (size_t j = st->s_off[i]; j < st->s_off[i + 1]; j++)
			st->r_str[fill[st->s_res[j]]++] = (int32_t)i;
	free(fill);
	free(first);
	free(rep);
	free(k);
	return R2;
}

static int check_stream(const struct mesh *m, const struct flow_stream *s,
			size_t i, struct diag *d)
{
	int32_t N = mesh_nodes(m);
	if (s->src < 0 || s->src >= N || s->dst < 0 || s->dst >= N) {
		diag_add(d, NULL, 0, 0,
			 "flow: stream %zu: 'src' and 'dst' must be PEs in [0, "
			 "%d], got %d and %d",
			 i, (int)N - 1, (int)s->src, (int)s->dst);
		return 1;
	}
	if (s->n_wavelets < 1) {
		diag_add(d, NULL, 0, 0,
			 "flow: stream %zu: 'n_wavelets' must be >= 1, got %lld",
			 i, (long long)s->n_wavelets);
		return 1;
	}
	if (s->kind == FLOW_LINE_MULTICAST) {
		if (s->src == s->dst || (mesh_x(m, s->src) != mesh_x(m, s->dst) &&
					 mesh_y(m, s->src) != mesh_y(m, s->dst))) {
			diag_add(d, NULL, 0, 0,
				 "flow: stream %zu: a multicast must run along "
				 "one row or column, got PE %d to PE %d",
				 i, (int)s->src, (int)s->dst);
			return 1;
		}
	} else if (s->kind != FLOW_UNICAST) {
		diag_add(d, NULL, 0, 0, "flow: stream %zu: unknown kind %d", i,
			 s->kind);
		return 1;
	}
	return 0;
}

/* The streams' resources as CSR both ways, ids compacted and equivalent
 * resources merged; adds each stream's wavelets to its links. */
static void build_state(const struct mesh *m, struct flow_stream *streams,
			size_t n, uint64_t *link_wavelets,
			struct flow_state *st)
{
	memset(st, 0, sizeof(*st));
	int64_t *ids = NULL;
	size_t n_ids = 0, cap_ids = 0;
	st->s_off = xmalloc((n + 1) * sizeof(*st->s_off));
	for (size_t i = 0; i < n; i++) {
		st->s_off[i] = n_ids;
		stream_resources(m, &streams[i], &ids, &n_ids, &cap_ids);
	}
	st->s_off[n] = n_ids;

	/* compact the ids, in order of first use (a direct map: 24 bytes per
	 * PE, cheaper than sorting millions of path entries) */
	size_t n_global = 6 * (size_t)mesh_nodes(m);
	int32_t *map = xmalloc(n_global * sizeof(*map));
	memset(map, 0xff, n_global * sizeof(*map));
	size_t R = 0;
	st->s_res = xmalloc(n_ids * sizeof(*st->s_res));
	int64_t N4 = 4 * (int64_t)mesh_nodes(m);
	for (size_t j = 0; j < n_ids; j++) {
		int32_t *v = &map[ids[j]];
		if (*v < 0)
			*v = (int32_t)R++;
		st->s_res[j] = *v;
	}
	free(map);
	st->n_res = R;
	for (size_t i = 0; i < n; i++) {
		struct flow_stream *s = &streams[i];
		s->hops = mesh_hops(m, s->src, s->dst);
		if (link_wavelets)
			for (size_t j = st->s_off[i]; j < st->s_off[i + 1]; j++)
				if (ids[j] < N4)
					link_wavelets[ids[j]] += (uint64_t)s->n_wavelets;
	}
	free(ids);

	/* resource -> streams */
	st->r_off = xcalloc(R + 1, sizeof(*st->r_off));
	for (size_t j = 0; j < n_ids; j++)
		st->r_off[st->s_res[j] + 1]++;
	for (size_t r = 0; r < R; r++)
		st->r_off[r + 1] += st->r_off[r];
	size_t *fill = xmalloc((R + 1) * sizeof(*fill));
	memcpy(fill, st->r_off, (R + 1) * sizeof(*fill));
	st->r_str = xmalloc(n_ids * sizeof(*st->r_str));
	for (size_t i = 0; i < n; i++)
		for (size_t j = st->s_off[i]; j < st->s_off[i + 1]; j++)
			st->r_str[fill[st->s_res[j]]++] = (int32_t)i;
	free(fill);
	R = merge_equivalent(st, n, R);
	st->n_res = R;
	st->cap = xcalloc(R, sizeof(*st->cap));
	st->cnt = xcalloc(R, sizeof(*st->cnt));
	st->ver = xcalloc(R, sizeof(*st->ver));
}

static void free_state(struct flow_state *st)
{
	free(st->s_off);
	free(st->s_res);
	free(st->r_off);
	free(st->r_str);
	free(st->cap);
	free(st->cnt);
	free(st->ver);
	free(st->heap);
}

/* Streams by start, ties by index. */
static int32_t *start_order(const struct flow_stream *streams, size_t n)
{
	struct order_ent *ord = xmalloc(n * sizeof(*ord));
	for (size_t i = 0; i < n; i++) {
		ord[i].start = streams[i].start_cycle;
		ord[i].idx = (int32_t)i;
	}
	qsort(ord, n, sizeof(*ord), cmp_order);
	int32_t *order = xmalloc(n * sizeof(*order));
	for (size_t i = 0; i < n; i++)
		order[i] = ord[i].idx;
	free(ord);
	return order;
}

/* The event loop's working sets. */
struct run {
	int32_t *order;		/* streams by start */
	uint8_t *frozen, *is_act;
	int32_t *act;		/* active streams */
	size_t n_act, next;	/* next: in order, the first not started */
	int32_t *changed, *comp; /* started or ended; their component */
	size_t n_changed;
	uint32_t *s_mark, *r_mark, epoch;
};

/* Add the active streams on resource r not yet in the component. */
static void comp_add_users(const struct flow_state *st, struct run *u,
			   int32_t r, size_t *n_comp)
{
	for (size_t q = st->r_off[r]; q < st->r_off[r + 1]; q++) {
		int32_t o = st->r_str[q];
		if (u->is_act[o] && u->s_mark[o] != u->epoch) {
			u->s_mark[o] = u->epoch;
			u->comp[(*n_comp)++] = o;
		}
	}
}

/* Only the streams linked (through shared resources) to one that started
 * or ended can change rate: that component, in u->comp. */
static size_t changed_component(const struct flow_state *st, struct run *u)
{
	u->epoch++;
	size_t n_comp = 0;
	for (size_t c = 0; c < u->n_changed; c++) {
		int32_t i = u->changed[c];
		if (u->is_act[i] && u->s_mark[i] != u->epoch) {
			u->s_mark[i] = u->epoch;
			u->comp[n_comp++] = i;
		}
		for (size_t j = st->s_off[i]; j < st->s_off[i + 1]; j++)
			u->r_mark[st->s_res[j]] = u->epoch;
	}
	/* seeds: the resources of every changed stream (ended ones too) */
	for (size_t c = 0; c < u->n_changed; c++) {
		int32_t i = u->changed[c];
		for (size_t j = st->s_off[i]; j < st->s_off[i + 1]; j++)
			comp_add_users(st, u, st->s_res[j], &n_comp);
	}
	for (size_t c = 0; c < n_comp; c++) { /* grows as it goes */
		int32_t i = u->comp[c];
		for (size_t j = st->s_off[i]; j < st->s_off[i + 1]; j++) {
			int32_t r = st->s_res[j];
			if (u->r_mark[r] == u->epoch)
				continue;
			u->r_mark[r] = u->epoch;
			comp_add_users(st, u, r, &n_comp);
		}
	}
	u->n_changed = 0;
	return n_comp;
}

/* Move every active stream on by dt from t; those that finish end at the
 * cycle after t + dt plus their fixed latency. */
static void advance(const struct fabric_params *f, struct flow_stream *streams,
		    struct run *u, double *rem, double *rate, uint8_t *done,
		    double t, double dt)
{
	cycles_t lat_fixed = 2 * (cycles_t)f->ramp_latency_cycles;
	cycles_t hop = fabric_hop_cycles(f);
	double t2 = t + dt;
	size_t w = 0;
	for (size_t k = 0; k < u->n_act; k++) {
		int32_t i = u->act[k];
		rem[i] -= rate[i] * dt;
		if (rem[i] <= 1e-9 * (double)streams[i].n_wavelets) {
			struct flow_stream *s = &streams[i];
			double end = ceil(t2 - 1e-7);
			s->done_cycle = (cycles_t)end - 1 + lat_fixed +
					(cycles_t)s->hops * hop;
			u->is_act[i] = 0;
			done[i] = 1;
			rem[i] = 0;
			rate[i] = 0;
			u->changed[u->n_changed++] = i;
		} else {
			u->act[w++] = i;
		}
	}
	u->n_act = w;
}

/* Time to the next event: the first active stream to end or the next to
 * start. */
static double next_event(struct flow_stream *streams, size_t n,
			 const struct run *u, const double *rem,
			 const double *rate, double t)
{
	double dt = INFINITY;
	for (size_t k = 0; k < u->n_act; k++) {
		int32_t i = u->act[k];
		if (rate[i] < streams[i].min_rate)
			streams[i].min_rate = rate[i];
		if (rate[i] > 0 && rem[i] / rate[i] < dt)
			dt = rem[i] / rate[i];
	}
	if (u->next < n) {
		double ts = (double)streams[u->order[u->next]].start_cycle - t;
		if (ts < dt)
			dt = ts;
	}
	return dt;
}

/*
 * The event loop, for the batch run and the incremental one alike: streams
 * with rem[i] wavelets left; those starting at or before t0 are active from
 * t0.  Runs every start and end up to and including t_end (INFINITY: until
 * all have ended).  On return rem, rate (as of t_end) and done are updated,
 * done_cycle and min_rate of ended streams filled; returns the time reached.
 */
static double run_streams(const struct mesh *m, const struct fabric_params *f,
			  struct flow_stream *streams, size_t n, double *rem,
			  double *rate, uint8_t *done, double t0, double t_end,
			  uint64_t *link_wavelets)
{
	if (n == 0)
		return t_end < INFINITY ? t_end : t0;
	struct flow_state st;
	build_state(m, streams, n, link_wavelets, &st);
	size_t R = st.n_res;
	struct run u = {
		.order = start_order(streams, n),
		.frozen = xcalloc(n, 1),
		.is_act = xcalloc(n, 1),
		.act = xmalloc(n * sizeof(*u.act)),
		.changed = xmalloc(n * sizeof(*u.changed)),
		.comp = xmalloc(n * sizeof(*u.comp)),
		.s_mark = xcalloc(n, sizeof(*u.s_mark)),
		.r_mark = xcalloc(R, sizeof(*u.r_mark)),
	};
	for (size_t i = 0; i < n; i++) {
		rate[i] = 0;
		done[i] = 0;
	}
	double t = t0;
	while (u.next < n || u.n_act) {
		while (u.next < n &&
		       (double)streams[u.order[u.next]].start_cycle <= t) {
			int32_t i = u.order[u.next++];
			u.is_act[i] = 1;
			u.act[u.n_act++] = i;
			u.changed[u.n_changed++] = i;
		}
		if (u.n_act == 0) {
			u.n_changed = 0;
			double ts = (double)streams[u.order[u.next]].start_cycle;
			if (ts > t_end) {
				t = t_end;
				break;
			}
			t = ts;
			continue;
		}
		size_t n_comp = changed_component(&st, &u);
		if (n_comp)
			fair_rates(&st, u.comp, n_comp, u.is_act, rate,
				   u.frozen);
		double dt = next_event(streams, n, &u, rem, rate, t);
		if (t + dt > t_end) { /* stop between events */
			for (size_t k = 0; k < u.n_act; k++)
				rem[u.act[k]] -= rate[u.act[k]] * (t_end - t);
			t = t_end;
			break;
		}
		advance(f, streams, &u, rem, rate, done, t, dt);
		t = t + dt;
	}
	if (u.next >= n && u.n_act == 0 && t_end < INFINITY)
		t = t_end;
	free(u.changed);
	free(u.comp);
	free(u.s_mark);
	free(u.r_mark);
	free(u.order);
	free(u.frozen);
	free(u.is_act);
	free(u.act);
	free_state(&st);
	return t;
}

int flow_run(const struct mesh *m, const struct fabric_params *f,
	     struct flow_stream *streams, size_t n, uint64_t *link_wavelets,
	     struct diag *d)
{
	int bad = 0;
	for (size_t i = 0; i < n; i++)
		bad |= check_stream(m, &streams[i], i, d);
	if (bad)
		return WS_EINPUT;
	if (n == 0)
		return 0;
	double *rem = xmalloc(n * sizeof(*rem));
	double *rate = xmalloc(n * sizeof(*rate));
	uint8_t *done = xmalloc(n);
	double t0 = INFINITY;
	for (size_t i = 0; i < n; i++) {
		rem[i] = (double)streams[i].n_wavelets;
		streams[i].min_rate = 1.0;
		if ((double)streams[i].start_cycle < t0)
			t0 = (double)streams[i].start_cycle;
	}
	run_streams(m, f, streams, n, rem, rate, done, t0, INFINITY,
		    link_wavelets);
	free(rem);
	free(rate);
	free(done);
	return 0;
}

/* ---- incremental ------------------------------------------------------ */

struct flow_sim {
	struct mesh m;
	struct fabric_params f;
	struct flow_stream *st;
	double *rem, *rate;
	uint8_t *done;
	size_t n, cap;
	double t;
	int dirty; /* streams added since the rates were computed */
};

struct flow_sim *flow_sim_new(const struct mesh *m,
			      const struct fabric_params *f)
{
	struct flow_sim *fs = xcalloc(1, sizeof(*fs));
	fs->m = *m;
	fs->f = *f;
	return fs;
}

void flow_sim_free(struct flow_sim *fs)
{
	if (!fs)
		return;
	free(fs->st);
	free(fs->rem);
	free(fs->rate);
	free(fs->done);
	free(fs);
}

double flow_sim_time(const struct flow_sim *fs)
{
	return fs->t;
}

int64_t flow_sim_add(struct flow_sim *fs, const struct flow_stream *s,
		     struct diag *d)
{
	if (check_stream(&fs->m, s, fs->n, d))
		return WS_EINPUT;
	if ((double)s->start_cycle < fs->t) {
		diag_add(d, NULL, 0, 0,
			 "flow: stream %zu starts at cycle %llu, before the "
			 "model's time %.17g",
			 fs->n, (unsigned long long)s->start_cycle, fs->t);
		return WS_EINPUT;
	}
	if (fs->n == fs->cap) {
		fs->cap = fs->cap ? 2 * fs->cap : 64;
		fs->st = xrealloc(fs->st, fs->cap * sizeof(*fs->st));
		fs->rem = xrealloc(fs->rem, fs->cap * sizeof(*fs->rem));
		fs->rate = xrealloc(fs->rate, fs->cap * sizeof(*fs->rate));
		fs->done = xrealloc(fs->done, fs->cap);
	}
	size_t i = fs->n++;
	fs->st[i] = *s;
	fs->st[i].hops = mesh_hops(&fs->m, s->src, s->dst);
	fs->st[i].min_rate = 1.0;
	fs->st[i].done_cycle = 0;
	fs->rem[i] = (double)s->n_wavelets;
	fs->rate[i] = 0;
	fs->done[i] = 0;
	fs->dirty = 1;
	return (int64_t)i;
}

void flow_sim_advance(struct flow_sim *fs, double t)
{
	if (t < fs->t)
		t = fs->t;
	size_t n = 0;
	for (size_t i = 0; i < fs->n; i++)
		n += !fs->done[i];
	struct flow_stream *st = xmalloc((n ? n : 1) * sizeof(*st));
	double *rem = xmalloc((n ? n : 1) * sizeof(*rem));
	double *rate = xmalloc((n ? n : 1) * sizeof(*rate));
	uint8_t *done = xmalloc(n ? n : 1);
	size_t *idx = xmalloc((n ? n : 1) * sizeof(*idx));
	size_t k = 0;
	for (size_t i = 0; i < fs->n; i++)
		if (!fs->done[i]) {
			idx[k] = i;
			st[k] = fs->st[i];
			rem[k++] = fs->rem[i];
		}
	run_streams(&fs->m, &fs->f, st, n, rem, rate, done, fs->t, t, NULL);
	for (k = 0; k < n; k++) {
		size_t i = idx[k];
		fs->st[i] = st[k];
		fs->rem[i] = rem[k];
		fs->rate[i] = rate[k];
		fs->done[i] = done[k];
	}
	free(st);
	free(rem);
	free(rate);
	free(done);
	free(idx);
	fs->t = t;
	fs->dirty = 0;
}

double flow_sim_next_event(struct flow_sim *fs)
{
	if (fs->dirty)
		flow_sim_advance(fs, fs->t);
	double best = INFINITY;
	for (size_t i = 0; i < fs->n; i++) {
		if (fs->done[i])
			continue;
		double e = (double)fs->st[i].start_cycle > fs->t
				   ? (double)fs->st[i].start_cycle
			   : fs->rate[i] > 0 ? fs->t + fs->rem[i] / fs->rate[i]
					     : INFINITY;
		if (e < best)
			best = e;
	}
	return best;
}

int flow_sim_get(const struct flow_sim *fs, int64_t id, struct flow_stream *out,
		 int *done)
{
	if (id < 0 || (size_t)id >= fs->n)
		return WS_EINPUT;
	*out = fs->st[id];
	*done = fs->done[id];
	return 0;
}
