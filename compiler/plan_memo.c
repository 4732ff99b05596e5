/* plan_memo.c: stage answers remembered across plan_build's plans.  See
 * plan_memo.h. */
#include "compiler/plan_memo.h"

#include <string.h>

#include "compiler/map_share.h"
#include "ground/mem.h"

/*
 * Answers by (signature, w, h) in a direct-mapped table: a slot keeps the
 * latest key hashed to it (a lost answer is computed again, never a wrong
 * one given).  The default Uno build asks about 10^5 distinct keys; a
 * small network a few hundred.  The table starts at MEMO_SLOTS_MIN and
 * doubles, up to MEMO_SLOTS, whenever the keys it had to make room for
 * pass a quarter of its slots: a plan of a small network no longer
 * clears 12 MB (the net_yaml fuzzer spent 41% of its instructions in
 * that memset), a large one ends at the same size as before.
 *
 *   slots[k] = { sig, w, h | fits (-1: not asked) | cycles (-1: not asked) }
 *   w == 0: an empty slot (every asked rectangle has w >= 1)
 */
#define MEMO_SLOTS (1 << 19)
#define MEMO_SLOTS_MIN (1 << 12)

struct memo_slot {
	int32_t sig, w, h;
	int fits;
	double cycles;
};

/* One signature: its bytes, and its fewest PEs once asked. */
struct memo_sig {
	unsigned char *bytes;
	size_t len;
	int min_asked;
	int64_t min_pes;
	int32_t min_w, min_h;
	int floor_asked, floor_ok; /* plan_memo_floor */
	double floor_work, floor_fl;
};

struct plan_memo {
	struct memo_slot *slots;
	int64_t n_slots, misses; /* a power of 2; keys given a slot */
	struct memo_sig *sigs;
	int n_sigs, cap_sigs;
	int *index; /* open addressing by the bytes' hash: sig id + 1, 0 free */
	int index_cap;
	unsigned char *buf; /* a signature being built */
	size_t len, cap;
};

struct plan_memo *plan_memo_new(void)
{
	struct plan_memo *pm = xcalloc(1, sizeof(*pm));
	pm->n_slots = MEMO_SLOTS_MIN;
	pm->slots = xcalloc((size_t)pm->n_slots, sizeof(*pm->slots));
	return pm;
}

void plan_memo_free(struct plan_memo *pm)
{
	if (!pm)
		return;
	for (int i = 0; i < pm->n_sigs; i++)
		free(pm->sigs[i].bytes);
	free(pm->sigs);
	free(pm->index);
	free(pm->slots);
	free(pm->buf);
	free(pm);
}

static void put(struct plan_memo *pm, const void *v, size_t n)
{
	if (pm->len + n > pm->cap) {
		pm->cap = 2 * (pm->len + n) + 256;
		pm->buf = xrealloc(pm->buf, pm->cap);
	}
	memcpy(pm->buf + pm->len, v, n);
	pm->len += n;
}

/* What the mapping reads of tensor t (map.c: elems, dims). */
static void put_tensor(struct plan_memo *pm, const struct tensor *t)
{
	put(pm, &t->dtype, sizeof t->dtype);
	put(pm, &t->rank, sizeof t->rank);
	put(pm, t->dims, sizeof t->dims);
	put(pm, &t->is_output, sizeof t->is_output);
	put(pm, &t->is_input, sizeof t->is_input);
	put(pm, &t->requires_grad, sizeof t->requires_grad);
}

/*
 * What the mapping reads of layer l (map.c stage_sum, dense_dims,
 * conv_dims, map_kernel: its op, attributes, costs, tensors' shapes, and
 * of a weights' owner its weight bytes and parameters): by content, not
 * by id, so that equal layers (a deep chain's, a transformer's blocks)
 * share their answers.  Bytes the mapping does not read (padding, names)
 * may only make equal layers differ: an answer computed again, never a
 * wrong one.
 */
static void put_layer(struct plan_memo *pm, const struct graph *g, int l)
{
	if (l < 0 || l >= g->n_layers) {
		put(pm, &l, sizeof l);
		return;
	}
	const struct layer *L = &g->layers[l];
	put(pm, &L->op, sizeof L->op);
	put(pm, &L->attrs, sizeof L->attrs);
	put(pm, &L->n_in, sizeof L->n_in);
	put(pm, &L->n_out, sizeof L->n_out);
	put(pm, &L->needs_input_grad, sizeof L->needs_input_grad);
	put(pm, &L->cost, sizeof L->cost);
	for (int k = 0; k < L->n_in && k < GRAPH_MAX_IO; k++)
		put_tensor(pm, &g->tensors[L->in[k]]);
	for (int k = 0; k < L->n_out && k < GRAPH_MAX_IO; k++)
		put_tensor(pm, &g->tensors[L->out[k]]);
	int replica = L->param_owner >= 0 && L->param_owner != l;
	put(pm, &replica, sizeof replica);
	if (replica && L->param_owner < g->n_layers) {
		const struct layer_cost *o = &g->layers[L->param_owner].cost;
		put(pm, &o->weight_bytes, sizeof o->weight_bytes);
		put(pm, &o->params, sizeof o->params);
	} else if (replica) {
		put(pm, &L->param_owner, sizeof L->param_owner);
	}
}

/* What kernel_eval reads of a stage (map.c: stage_sum, kernel_sram). */
static void put_stage(struct plan_memo *pm, const struct graph *g,
		      const struct plan_stage *s)
{
	put(pm, &s->kind, sizeof s->kind);
	put(pm, &s->n_layers, sizeof s->n_layers);
	for (int k = 0; k < s->n_layers; k++)
		put_layer(pm, g, s->layers[k]);
	put(pm, &s->sharing, sizeof s->sharing);
	put(pm, &s->host, sizeof s->host);
	put(pm, &s->samples_in_flight, sizeof s->samples_in_flight);
	put(pm, &s->copies, sizeof s->copies);
}

/* The context's fields (the plan's stages come per stage). */
static void put_ctx(struct plan_memo *pm, const struct map_ctx *c)
{
	put(pm, &c->g, sizeof c->g);
	put(pm, &c->m, sizeof c->m);
	put(pm, &c->prec, sizeof c->prec);
	put(pm, &c->opt, sizeof c->opt);
	put(pm, &c->mode, sizeof c->mode);
	put(pm, &c->batch, sizeof c->batch);
	put(pm, &c->stream_act_bytes, sizeof c->stream_act_bytes);
	put(pm, &c->groups, sizeof c->groups);
	put(pm, &c->job, sizeof c->job);
	const char *k = c->kernel ? c->kernel : "";
	put(pm, k, strlen(k) + 1);
	put(pm, &(char){c->kernel != NULL}, 1);
}

static uint64_t hash_bytes(const unsigned char *b, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* Signature i into the index (its capacity a power of two, at least
 * twice the signatures). */
static void index_put(struct plan_memo *pm, int i)
{
	size_t mask = (size_t)pm->index_cap - 1;
	size_t k = (size_t)hash_bytes(pm->sigs[i].bytes, pm->sigs[i].len) &
		   mask;
	while (pm->index[k])
		k = (k + 1) & mask;
	pm->index[k] = i + 1;
}

/* The id of the signature in pm->buf, added when new (found by hash,
 * compared in full). */
static int intern(struct plan_memo *pm)
{
	if (2 * (pm->n_sigs + 1) > pm->index_cap) {
		free(pm->index);
		pm->index_cap = pm->index_cap ? 2 * pm->index_cap : 64;
		pm->index = xcalloc((size_t)pm->index_cap, sizeof(int));
		for (int i = 0; i < pm->n_sigs; i++)
			index_put(pm, i);
	}
	size_t mask = (size_t)pm->index_cap - 1;
	for (size_t k = (size_t)hash_bytes(pm->buf, pm->len) & mask;
	     pm->index[k]; k = (k + 1) & mask) {
		const struct memo_sig *g = &pm->sigs[pm->index[k] - 1];
		if (g->len == pm->len && memcmp(g->bytes, pm->buf, pm->len) == 0)
			return pm->index[k] - 1;
	}
	if (pm->n_sigs == pm->cap_sigs) {
		pm->cap_sigs = 2 * pm->cap_sigs + 16;
		pm->sigs = xrealloc(pm->sigs,
				    sizeof(*pm->sigs) * (size_t)pm->cap_sigs);
	}
	struct memo_sig *g = &pm->sigs[pm->n_sigs];
	memset(g, 0, sizeof(*g));
	g->bytes = xmalloc(pm->len ? pm->len : 1);
	memcpy(g->bytes, pm->buf, pm->len);
	g->len = pm->len;
	index_put(pm, pm->n_sigs);
	return pm->n_sigs++;
}

void plan_memo_sign(struct plan_memo *pm, const struct map_ctx *c, int n,
		    int *ids)
{
	const struct plan *p = c->plan;
	for (int i = 0; i < n; i++) {
		pm->len = 0;
		put_ctx(pm, c);
		put_stage(pm, c->g, &p->stages[i]);
		/* the stages group_eval (map.c) counts on its rectangle */
		for (int j = 0; !c->no_guests && j < p->n_stages; j++)
			if (j != i && map_share_guest(p, j) &&
			    p->stages[j].host == i)
				put_stage(pm, c->g, &p->stages[j]);
		ids[i] = intern(pm);
	}
}

static struct memo_slot *slot_of(struct memo_slot *slots, int64_t n,
				 int id, int32_t w, int32_t h)
{
	uint64_t k = ((uint64_t)(uint32_t)id * 0x9e3779b97f4a7c15ull) ^
		     ((uint64_t)(uint32_t)w * 0xc2b2ae3d27d4eb4full) ^
		     ((uint64_t)(uint32_t)h * 0x165667b19e3779f9ull);
	return &slots[(k >> 20) & (uint64_t)(n - 1)];
}

/* Twice the slots, the answers kept (where two meet, the later). */
static void grow(struct plan_memo *pm)
{
	int64_t n = 2 * pm->n_slots;
	struct memo_slot *t = xcalloc((size_t)n, sizeof(*t));
	for (int64_t i = 0; i < pm->n_slots; i++) {
		const struct memo_slot *o = &pm->slots[i];
		if (o->w)
			*slot_of(t, n, o->sig, o->w, o->h) = *o;
	}
	free(pm->slots);
	pm->slots = t;
	pm->n_slots = n;
}

static struct memo_slot *slot(struct plan_memo *pm, int id, int32_t w,
			      int32_t h)
{
	struct memo_slot *c = slot_of(pm->slots, pm->n_slots, id, w, h);
	if (c->sig == id && c->w == w && c->h == h)
		return c;
	if (++pm->misses > pm->n_slots / 4 && pm->n_slots < MEMO_SLOTS) {
		grow(pm);
		c = slot_of(pm->slots, pm->n_slots, id, w, h);
	}
	*c = (struct memo_slot){id, w, h, -1, -1};
	return c;
}

double plan_memo_cycles(struct plan_memo *pm, const struct map_ctx *c,
			const struct plan_stage *s, int id, int32_t w,
			int32_t h)
{
	struct memo_slot *k = slot(pm, id, w, h);
	if (k->cycles < 0)
		k->cycles = (double)map_cycles(c, s, w, h);
	return k->cycles;
}

int plan_memo_fits(struct plan_memo *pm, const struct map_ctx *c,
		   const struct plan_stage *s, int id, int32_t w, int32_t h)
{
	struct memo_slot *k = slot(pm, id, w, h);
	if (k->fits < 0) {
		struct map_ctx ws = *c;
		ws.kernel = NULL;
		k->fits = map_fits(&ws, s, w, h);
	}
	return k->fits;
}

int64_t plan_memo_min_pes(struct plan_memo *pm, const struct map_ctx *c,
			  const struct plan_stage *s, int id, int32_t *w,
			  int32_t *h)
{
	struct memo_sig *g = &pm->sigs[id];
	if (!g->min_asked) {
		g->min_pes = map_min_pes(c, s, &g->min_w, &g->min_h);
		g->min_asked = 1;
	}
	*w = g->min_w;
	*h = g->min_h;
	return g->min_pes;
}

int plan_memo_floor(const struct plan_memo *pm, int id, int *ok, double *work,
		    double *fl)
{
	const struct memo_sig *g = &pm->sigs[id];
	if (!g->floor_asked)
		return 0;
	*ok = g->floor_ok;
	*work = g->floor_work;
	*fl = g->floor_fl;
	return 1;
}

void plan_memo_set_floor(struct plan_memo *pm, int id, int ok, double work,
			 double fl)
{
	struct memo_sig *g = &pm->sigs[id];
	g->floor_asked = 1;
	g->floor_ok = ok;
	g->floor_work = work;
	g->floor_fl = fl;
}
