/* traffic.c: synthetic traffic and characterisation. See traffic.h. */
#include "fabric/traffic.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fabric/timing.h"

static const char *const pattern_names[TRAFFIC_PATTERNS] = {
	"uniform", "transpose", "bitcomp", "tornado", "hotspot", "neighbor",
};

int traffic_pattern_parse(const char *name)
{
	for (int i = 0; i < TRAFFIC_PATTERNS; i++)
		if (!strcmp(name, pattern_names[i]))
			return i;
	return -1;
}

const char *traffic_pattern_name(int p)
{
	return p >= 0 && p < TRAFFIC_PATTERNS ? pattern_names[p] : "?";
}

const char *traffic_pattern_list(void)
{
	return "uniform, transpose, bitcomp, tornado, hotspot, neighbor";
}

void traffic_config_init(struct traffic_config *c)
{
	memset(c, 0, sizeof(*c));
	c->params.wavelet_bits = 32;
	c->params.colors = 24;
	c->params.link_latency_cycles = 1;
	c->params.router_latency_cycles = 0;
	c->params.ramp_latency_cycles = 1;
	c->params.buffer_depth_wavelets = 4;
	c->width = c->height = 8;
	c->pattern = TRAFFIC_UNIFORM;
	c->rate = 0.1;
	c->packet_wavelets = 1;
	c->warmup_cycles = 1000;
	c->measure_cycles = 2000;
	c->drain_cycles = 20000;
	c->seed = 1;
	c->hotspot_fraction = 0.1;
	c->max_queue_wavelets = 256;
}

int traffic_check(const struct traffic_config *c, struct diag *d)
{
	size_t before = diag_count(d);
	if (!(c->rate >= 0 && c->rate <= 1))
		diag_add(d, NULL, 0, 0,
			 "fabric: 'rate' must be in [0, 1] wavelets per cycle "
			 "per PE, got %g",
			 c->rate);
	if (c->pattern < 0 || c->pattern >= TRAFFIC_PATTERNS)
		diag_add(d, NULL, 0, 0, "fabric: 'pattern' must be one of %s",
			 traffic_pattern_list());
	if (c->width < 1 || c->height < 1 || c->width > 4096 || c->height > 4096)
		diag_add(d, NULL, 0, 0,
			 "fabric: 'mesh' must be 1..4096 x 1..4096, got %dx%d",
			 (int)c->width, (int)c->height);
	if (c->pattern == TRAFFIC_TRANSPOSE && c->width != c->height)
		diag_add(d, NULL, 0, 0,
			 "fabric: pattern 'transpose' needs a square mesh, got "
			 "%dx%d",
			 (int)c->width, (int)c->height);
	if (c->packet_wavelets < 1 || c->packet_wavelets > 1000000)
		diag_add(d, NULL, 0, 0,
			 "fabric: 'packet-wavelets' must be in [1, 1000000], got "
			 "%lld",
			 (long long)c->packet_wavelets);
	if (c->measure_cycles < 1)
		diag_add(d, NULL, 0, 0, "fabric: 'cycles' must be >= 1, got 0");
	if (!(c->hotspot_fraction >= 0 && c->hotspot_fraction <= 1))
		diag_add(d, NULL, 0, 0,
			 "fabric: 'hotspot-fraction' must be in [0, 1], got %g",
			 c->hotspot_fraction);
	if (c->max_queue_wavelets < c->packet_wavelets)
		diag_add(d, NULL, 0, 0,
			 "fabric: 'packet-wavelets' must be at most the "
			 "source queue's %lld wavelets, got %lld",
			 (long long)c->max_queue_wavelets,
			 (long long)c->packet_wavelets);
	return diag_count(d) > before ? WS_EINPUT : 0;
}

/* ---- PRNG: xoshiro256**, seeded by splitmix64 ------------------------- */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

/* Uniform in [0, n). */
static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in (0, 1]. */
static inline double rng_unit(struct rng *r)
{
	return ((double)(rng_next(r) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
}

/* ---- destinations ----------------------------------------------------- */

static int32_t dest_of(const struct traffic_config *c, const struct mesh *m,
		       struct rng *g, int32_t src)
{
	int32_t W = m->width, H = m->height, x = src % W, y = src / W;
	switch (c->pattern) {
	case TRAFFIC_TRANSPOSE: return mesh_id(m, y, x);
	case TRAFFIC_BITCOMP: return mesh_id(m, W - 1 - x, H - 1 - y);
	case TRAFFIC_TORNADO:
		return mesh_id(m, (x + (W + 1) / 2 - 1) % W,
			       (y + (H + 1) / 2 - 1) % H);
	case TRAFFIC_NEIGHBOR: return mesh_id(m, (x + 1) % W, y);
	case TRAFFIC_HOTSPOT:
		if (rng_unit(g) <= c->hotspot_fraction)
			return mesh_id(m, W / 2, H / 2);
		return (int32_t)rng_below(g, (uint32_t)(W * H));
	default: return (int32_t)rng_below(g, (uint32_t)(W * H));
	}
}

/* ---- bounds ----------------------------------------------------------- */

/* Heaviest 1-D channel load (per unit rate) of the map x -> f(x) on K
 * nodes, both directions. */
static double load_1d(int32_t K, int32_t (*f)(int32_t, int32_t))
{
	double best = 0;
	for (int32_t j = 0; j + 1 < K; j++) {
		double e = 0, w = 0;
		for (int32_t x = 0; x < K; x++) {
			int32_t t = f(x, K);
			if (x <= j && t > j)
				e++;
			if (t <= j && x > j)
				w++;
		}
		if (e > best)
			best = e;
		if (w > best)
			best = w;
	}
	return best;
}

static int32_t f_bitcomp(int32_t x, int32_t K)
{
	return K - 1 - x;
}
static int32_t f_tornado(int32_t x, int32_t K)
{
	return (x + (K + 1) / 2 - 1) % K;
}
static int32_t f_neighbor(int32_t x, int32_t K)
{
	return (x + 1) % K;
}
static int32_t f_same(int32_t x, int32_t K)
{
	(void)K;
	return x;
}

/* Uniform: expected load of the middle link of a line of K, per unit rate:
 * max over j of (j + 1)(K - 1 - j) / K. */
static double load_uniform(int32_t K)
{
	double best = 0;
	for (int32_t j = 0; j + 1 < K; j++) {
		double l = (double)(j + 1) * (double)(K - 1 - j) / K;
		if (l > best)
			best = l;
	}
	return best;
}

double traffic_bound(const struct traffic_config *c)
{
	int32_t W = c->width, H = c->height;
	double load = 0, lx, ly;
	switch (c->pattern) {
	case TRAFFIC_TRANSPOSE: load = W > 1 ? W - 1 : 0; break;
	case TRAFFIC_BITCOMP:
		lx = load_1d(W, f_bitcomp);
		ly = load_1d(H, f_bitcomp);
		load = lx > ly ? lx : ly;
		break;
	case TRAFFIC_TORNADO:
		lx = load_1d(W, f_tornado);
		ly = load_1d(H, f_tornado);
		load = lx > ly ? lx : ly;
		break;
	case TRAFFIC_NEIGHBOR:
		lx = load_1d(W, f_neighbor);
		ly = load_1d(H, f_same);
		load = lx > ly ? lx : ly;
		break;
	case TRAFFIC_HOTSPOT: {
		/* the hot PE's ramp down takes its share of everybody's */
		double h = c->hotspot_fraction, N = (double)W * H;
		double eject = h * N + (1 - h);
		lx = load_uniform(W);
		ly = load_uniform(H);
		double uni = (1 - h) * (lx > ly ? lx : ly);
		load = eject > uni ? eject : uni;
		break;
	}
	default:
		lx = load_uniform(W);
		ly = load_uniform(H);
		load = lx > ly ? lx : ly;
		break;
	}
	if (load < 1) /* the ramps carry one wavelet per cycle */
		load = 1;
	return 1.0 / load;
}

/* ---- one run ---------------------------------------------------------- */

struct gen_ent {
	cycles_t at;
	int32_t node;
};

struct run {
	const struct traffic_config *c;
	struct fabsim *s;
	struct rng rng;
	double p; /* packet probability per cycle per PE */
	double log1mp;
	struct gen_ent *heap;
	size_t n_heap;
	cycles_t win_lo, win_hi;
	int64_t measured, done;
	uint64_t refused, refused_window, generated_wavelets_window;
	double sum_lat, sum_net, sum_hops, max_lat;
	struct diag *d;
	int failed; /* an injection failed (the memory budget): error in d */
};

static int gen_less(const struct gen_ent *a, const struct gen_ent *b)
{
	return a->at < b->at || (a->at == b->at && a->node < b->node);
}

static void gen_sift_down(struct gen_ent *h, size_t n, size_t i)
{
	struct gen_ent e = h[i];
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		const struct gen_ent *best = &e;
		if (l < n && gen_less(&h[l], best))
			best = &h[m = l];
		if (l + 1 < n && gen_less(&h[l + 1], best))
			m = l + 1;
		if (m == i)
			break;
		h[i] = h[m];
		i = m;
	}
	h[i] = e;
}

static cycles_t gap(struct run *u)
{
	if (u->p >= 1)
		return 1;
	double g = floor(log(rng_unit(&u->rng)) / u->log1mp);
	if (g > 1e15)
		g = 1e15;
	return 1 + (cycles_t)g;
}

static void on_done(void *ctx, int64_t pkt, const struct fabsim_packet_info *i)
{
	struct run *u = ctx;
	(void)pkt;
	if (i->created_cycle < u->win_lo || i->created_cycle >= u->win_hi)
		return;
	double lat = (double)(i->done_cycle - i->created_cycle);
	u->done++;
	u->sum_lat += lat;
	u->sum_net += (double)(i->done_cycle - i->injected_cycle);
	u->sum_hops += i->hops;
	if (lat > u->max_lat)
		u->max_lat = lat;
}

/* Packets due this cycle. */
static void generate(struct run *u)
{
	const struct mesh *m = fabsim_mesh(u->s);
	cycles_t now = fabsim_now(u->s);
	int64_t n = u->c->packet_wavelets;
	while (u->n_heap && u->heap[0].at == now) {
		int32_t src = u->heap[0].node;
		int32_t dst = dest_of(u->c, m, &u->rng, src);
		int in_window = now >= u->win_lo && now < u->win_hi;
		if (in_window)
			u->generated_wavelets_window += (uint64_t)n;
		if (fabsim_queued(u->s, src) + n > u->c->max_queue_wavelets) {
			u->refused++;
			if (in_window)
				u->refused_window++;
		} else {
			/* arguments checked: only the memory budget fails */
			if (fabsim_inject(u->s, src, 0, dst, n, now, u->d) < 0) {
				u->failed = 1;
				return;
			}
			if (in_window)
				u->measured++;
		}
		u->heap[0].at = now + gap(u);
		gen_sift_down(u->heap, u->n_heap, 0);
	}
}

/* Every node's first packet time, as a heap. */
static void gen_init(struct run *u, int32_t N)
{
	if (u->p <= 0)
		return;
	u->heap = xmalloc((size_t)N * sizeof(*u->heap));
	for (int32_t i = 0; i < N; i++) {
		u->heap[i].node = i;
		u->heap[i].at = gap(u) - 1;
	}
	u->n_heap = (size_t)N;
	for (size_t i = u->n_heap / 2; i-- > 0;)
		gen_sift_down(u->heap, u->n_heap, i);
}

/* What the measurement window saw. */
struct window {
	uint64_t out_lo, out_hi, visits;
	int64_t *q0;	 /* source queues at its start */
	int64_t starved; /* sources whose queue kept growing */
};

/* Step until the measured packets are done (or the drain ends),
 * sampling counters at the window's ends. */
static void run_window(struct run *u, int32_t N, struct window *w)
{
	const struct traffic_config *c = u->c;
	struct fabsim_counters k;
	cycles_t end = u->win_hi + c->drain_cycles;
	for (;;) {
		cycles_t now = fabsim_now(u->s);
		if (now == u->win_lo) {
			fabsim_counters(u->s, &k);
			w->out_lo = k.out;
			w->visits = fabsim_router_visits(u->s);
			for (int32_t i = 0; i < N; i++)
				w->q0[i] = fabsim_queued(u->s, i);
		}
		if (now == u->win_hi) {
			fabsim_counters(u->s, &k);
			w->out_hi = k.out;
			w->visits = fabsim_router_visits(u->s) - w->visits;
			/* a source whose queue keeps growing is held back by
			 * a saturated bottleneck, even if few sources are */
			double slack = 16.0 * (double)c->packet_wavelets +
				       0.05 * c->rate * (double)c->measure_cycles;
			for (int32_t i = 0; i < N; i++)
				if ((double)(fabsim_queued(u->s, i) - w->q0[i]) >
				    slack)
					w->starved++;
		}
		if (now >= u->win_hi && u->done == u->measured)
			break;
		if (now >= end)
			break;
		if (c->progress && !(now & 1023))
			c->progress(c->progress_ctx,
				    now < u->win_hi ? (double)now /
							      (double)u->win_hi
						    : 1.0);
		generate(u);
		if (u->failed)
			break;
		fabsim_step(u->s);
	}
}

/* The result from the run and its window. */
static void fill_result(const struct run *u, const struct window *w,
			int32_t N, struct traffic_result *r)
{
	const struct traffic_config *c = u->c;
	r->cycles = fabsim_now(u->s);
	r->offered = (double)u->generated_wavelets_window /
		     ((double)c->measure_cycles * N);
	r->accepted =
		(double)(w->out_hi - w->out_lo) / ((double)c->measure_cycles * N);
	r->packets_measured = u->measured;
	r->packets_done = u->done;
	r->packets_refused = u->refused;
	if (u->done) {
		r->avg_packet_latency = u->sum_lat / (double)u->done;
		r->avg_network_latency = u->sum_net / (double)u->done;
		r->avg_hops = u->sum_hops / (double)u->done;
		r->max_packet_latency = u->max_lat;
	}
	r->zero_load_latency =
		(double)(2 * c->params.ramp_latency_cycles) +
		r->avg_hops * (double)fabric_hop_cycles(&c->params) +
		(double)(c->packet_wavelets - 1);
	/* unstable: packets left behind, throughput short of the offer,
	 * source queues overflowing, or latency beyond 3x zero load (the
	 * usual definition; it catches bottlenecks that hold back only a
	 * few sources) */
	r->saturated = u->done < u->measured ||
		       r->accepted < 0.95 * r->offered ||
		       u->refused_window > 0 || w->starved > 0 ||
		       r->avg_packet_latency > 3 * r->zero_load_latency + 50;
	r->node_cycles_per_s =
		r->wall_s > 0 ? (double)r->cycles * N / r->wall_s : 0;
	r->routers_per_cycle = (double)w->visits / (double)c->measure_cycles;
	r->bytes = fabsim_bytes(u->s) + (size_t)N * sizeof(*u->heap);
	fabsim_counters(u->s, &r->counters);
}

int traffic_run(const struct traffic_config *c, struct traffic_result *r,
		struct diag *d)
{
	memset(r, 0, sizeof(*r));
	if (traffic_check(c, d))
		return WS_EINPUT;
	struct fabsim_config fc = {
		.width = c->width,
		.height = c->height,
		.colors = 1,
		.params = c->params,
		.recycle_packets = 1,
		.max_memory_bytes = c->max_memory_bytes,
	};
	struct run u;
	memset(&u, 0, sizeof(u));
	u.c = c;
	u.s = fabsim_new(&fc, d);
	if (!u.s)
		return WS_EINPUT;
	double t0 = wall_seconds();
	rng_seed(&u.rng, c->seed);
	u.p = c->rate / (double)c->packet_wavelets;
	u.log1mp = log1p(-u.p);
	u.win_lo = c->warmup_cycles;
	u.win_hi = c->warmup_cycles + c->measure_cycles;
	fabsim_set_done_hook(u.s, on_done, &u);
	int32_t N = c->width * c->height;
	gen_init(&u, N);
	struct window w = {0, 0, 0, xcalloc((size_t)N, sizeof(int64_t)), 0};
	u.d = d;
	run_window(&u, N, &w);
	r->wall_s = wall_seconds() - t0;
	if (!u.failed)
		fill_result(&u, &w, N, r);
	fabsim_free(u.s);
	free(u.heap);
	free(w.q0);
	return u.failed ? WS_EINPUT : 0;
}

int traffic_saturation(const struct traffic_config *c, double tol,
		       double *sat_rate, struct diag *d)
{
	if (traffic_check(c, d))
		return WS_EINPUT;
	double bound = traffic_bound(c);
	double lo = 0, hi = bound * 1.3 > 1 ? 1 : bound * 1.3;
	struct traffic_config t = *c;
	struct traffic_result r;
	if (t.measure_cycles < 5000) /* longer windows see slow backlogs */
		t.measure_cycles = 5000;
	/* is even the top stable? */
	t.rate = hi;
	if (traffic_run(&t, &r, d))
		return WS_EINPUT;
	if (!r.saturated) {
		*sat_rate = hi;
		return 0;
	}
	while (hi - lo > tol * bound) {
		t.rate = (lo + hi) / 2;
		if (traffic_run(&t, &r, d))
			return WS_EINPUT;
		if (r.saturated)
			hi = t.rate;
		else
			lo = t.rate;
	}
	*sat_rate = lo;
	return 0;
}

int traffic_sweep(const struct traffic_config *c, struct traffic_result **pts,
		  double **rates, size_t *n, struct diag *d)
{
	*pts = NULL;
	*rates = NULL;
	*n = 0;
	if (traffic_check(c, d))
		return WS_EINPUT;
	double bound = traffic_bound(c);
	struct traffic_config t = *c;
	for (int i = 1; i <= 15; i++) {
		t.rate = bound * i / 10.0;
		if (t.rate > 1)
			break;
		*pts = xrealloc(*pts, (*n + 1) * sizeof(**pts));
		*rates = xrealloc(*rates, (*n + 1) * sizeof(**rates));
		if (traffic_run(&t, &(*pts)[*n], d))
			return WS_EINPUT;
		(*rates)[(*n)++] = t.rate;
		if ((*pts)[*n - 1].saturated)
			break;
	}
	return 0;
}
