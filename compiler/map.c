/* map.c: layers -> stages -> per-PE kernel work and SRAM. See map.h. */
#include "compiler/map.h"
#include "compiler/map_share.h"
#include "compiler/map_int.h"
#include "compiler/kern.h"
#include "compiler/plan_estimate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cores/pe.h"
#include "fabric/timing.h"
#include "ground/checked.h"
#include "ground/util.h"

/* Rows (dense) or input channels (conv) a kernel buffers at a time. */
#define MAP_ROW_BLOCK 8

static int64_t cdiv(int64_t a, int64_t b)
{
	return b <= 0 ? a : (a + b - 1) / b;
}
static int64_t imax(int64_t a, int64_t b)
{
	return a > b ? a : b;
}
static int64_t imin(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t elems(const struct tensor *t)
{
	int64_t n = 1;
	for (int i = 0; i < t->rank; i++)
		n *= t->dims[i] > 0 ? t->dims[i] : 1;
	return n;
}

/* ---- stage formation ----------------------------------------------------- */

static enum kernel_kind kind_of(enum op_kind op)
{
	switch (op) {
	case OP_DENSE: return KERNEL_DENSE;
	case OP_CONV:
	case OP_CONV_TRANSPOSE: return KERNEL_CONV; /* a conv over the
						      strided input */
	case OP_MATMUL: return KERNEL_MATMUL;
	case OP_ATTENTION: return KERNEL_ATTENTION;
	case OP_EMBEDDING: return KERNEL_EMBEDDING;
	case OP_LOSS_MSE:
	case OP_LOSS_XENT: return KERNEL_LOSS;
	default: return KERNEL_ELEMENTWISE;
	}
}

/* Ops that start a stage of their own. */
static int starts_stage(enum op_kind op)
{
	return kind_of(op) != KERNEL_ELEMENTWISE;
}

int map_stages(const struct graph *g, enum pe_prec prec, struct plan *p,
	       struct map_edge **edges_out, int *n_edges_out, struct diag *d)
{
	int *stage_of = xmalloc(sizeof(int) * (size_t)(g->n_layers + 1));
	int cap = 16, n = 0;
	struct plan_stage *st = xcalloc((size_t)cap, sizeof(*st));
	for (int li = 0; li < g->n_layers; li++) {
		const struct layer *L = &g->layers[li];
		stage_of[li] = -1;
		if (L->op == OP_INPUT)
			continue;
		int ps = -1; /* latest stage producing one of its inputs */
		for (int k = 0; k < L->n_in; k++) {
			int pl = g->tensors[L->in[k]].producer;
			if (pl >= 0 && pl < li && stage_of[pl] > ps)
				ps = stage_of[pl];
		}
		if (!starts_stage(L->op) && ps >= 0 &&
		    st[ps].n_layers < PLAN_MAX_FUSED) {
			st[ps].layers[st[ps].n_layers++] = li;
			stage_of[li] = ps;
			continue;
		}
		if (n == cap) {
			cap *= 2;
			st = xrealloc(st, sizeof(*st) * (size_t)cap);
		}
		memset(&st[n], 0, sizeof(st[n]));
		st[n].name = xstrdup(L->name);
		st[n].kind = kind_of(L->op);
		st[n].n_layers = 1;
		st[n].layers[0] = li;
		st[n].samples_in_flight = 1;
		stage_of[li] = n++;
	}
	if (n == 0) {
		diag_add(d, g->source, 0, 0,
			 "place: network '%s' must have a computing layer, got "
			 "none",
			 g->name);
		free(st);
		free(stage_of);
		return WS_EINPUT;
	}
	p->stages = st;
	p->n_stages = n;

	/* Edges: one per (source stage, tensor), consumers deduplicated. */
	int ecap = 16, ne = 0;
	struct map_edge *e = xcalloc((size_t)ecap, sizeof(*e));
	int eb = pe_elem_bytes(prec);
	for (int s = 0; s < n; s++) {
		for (int k = 0; k < st[s].n_layers; k++) {
			const struct layer *L = &g->layers[st[s].layers[k]];
			for (int q = 0; q < L->n_in; q++) {
				int t = L->in[q];
				int pl = g->tensors[t].producer;
				int src = pl >= 0 ? stage_of[pl] : -1;
				if (src == s)
					continue;
				int found = -1;
				for (int x = 0; x < ne; x++)
					if (e[x].src == src && e[x].tensor == t)
						found = x;
				if (found < 0) {
					if (ne == ecap) {
						ecap *= 2;
						e = xrealloc(
							e,
							sizeof(*e) *
								(size_t)ecap);
					}
					found = ne++;
					memset(&e[found], 0, sizeof(e[found]));
					e[found].src = src;
					e[found].tensor = t;
					e[found].bytes =
						elems(&g->tensors[t]) * eb;
				}
				struct map_edge *x = &e[found];
				int dup = 0;
				for (int y = 0; y < x->n_dst; y++)
					dup |= x->dst[y] == s;
				if (!dup && x->n_dst < (int)ARRAY_SIZE(x->dst))
					x->dst[x->n_dst++] = s;
				/* gradients flow back unless the consumer
				 * needs none or the source is the host */
				if (src >= 0 && L->needs_input_grad)
					x->grad = 1;
			}
		}
	}
	free(stage_of);
	*edges_out = e;
	*n_edges_out = ne;
	return 0;
}

void map_in_flight(struct plan *p, const struct map_edge *edges, int n_edges,
		   enum exec_mode mode)
{
	int n = p->n_stages;
	int64_t *depth = xcalloc((size_t)n + 1, sizeof(int64_t));
	/* stages are in topological order: consumers after producers */
	for (int s = n - 1; s >= 0; s--) {
		depth[s] = 1;
		for (int e = 0; e < n_edges; e++) {
			if (edges[e].src != s)
				continue;
			for (int k = 0; k < edges[e].n_dst; k++) {
				int t = edges[e].dst[k];
				if (t > s && depth[t] + 1 > depth[s])
					depth[s] = depth[t] + 1;
			}
		}
	}
	p->samples_in_flight = 0;
	for (int s = 0; s < n; s++) {
		int64_t f = 2 * depth[s] - 1;
		if (mode == MODE_STREAMING || f > p->batch)
			f = p->batch;
		p->stages[s].samples_in_flight = f > 0 ? f : 1;
		if (p->stages[s].samples_in_flight > p->samples_in_flight)
			p->samples_in_flight = p->stages[s].samples_in_flight;
	}
	free(depth);
}

/* ---- kernel model -------------------------------------------------------- */

/* Totals of a stage's layers. */
struct stage_sum {
	const struct layer *main;
	int64_t mat_fma[PASS_COUNT], ew[PASS_COUNT];
	int64_t weight_bytes, opt_bytes, saved_bytes, params;
	/* weights the stage must hold (pipelined) or stream in (streaming):
	 * its own, plus a replica of those of a shared layer it applies
	 * again (weight_bytes counts owned weights only, once per network) */
	int64_t held_weight_bytes, held_params;
	int64_t in_elems,
		out_elems; /* main layer's first input, stage output */
	int needs_grad;
};

static void stage_sum(const struct map_ctx *c, const struct plan_stage *s,
		      struct stage_sum *t)
{
	const struct graph *g = c->g;
	memset(t, 0, sizeof(*t));
	t->main = &g->layers[s->layers[0]];
	for (int k = 0; k < s->n_layers; k++) {
		const struct layer *L = &g->layers[s->layers[k]];
		for (int p = 0; p < PASS_COUNT; p++) {
			t->mat_fma[p] += L->cost.mat_flops[p] / 2;
			t->ew[p] += L->cost.ew_flops[p];
		}
		t->weight_bytes += L->cost.weight_bytes;
		/* time-shared: the host's weights serve it (map_share.h) */
		int replica = L->param_owner >= 0 &&
			      L->param_owner != s->layers[k];
		int held = !replica || s->sharing != SHARE_TIME;
		t->held_weight_bytes +=
			!held	  ? 0
			: replica ? g->layers[L->param_owner].cost.weight_bytes
				  : L->cost.weight_bytes;
		t->held_params += !held	   ? 0
				  : replica ? g->layers[L->param_owner].cost.params
					    : L->cost.params;
		t->opt_bytes += L->cost.opt_state_bytes;
		t->saved_bytes += L->cost.saved_bytes;
		t->params += L->cost.params;
	}
	if (t->main->n_in > 0)
		t->in_elems = elems(&g->tensors[t->main->in[0]]);
	const struct layer *last = &g->layers[s->layers[s->n_layers - 1]];
	if (last->n_out > 0)
		t->out_elems = elems(&g->tensors[last->out[0]]);
	t->needs_grad = t->main->needs_input_grad;
	/* the update touches every parameter: count it if costs did not */
	if (t->params && !t->ew[PASS_UPDATE])
		t->ew[PASS_UPDATE] = 2 * t->params;
	/* activations the kernel itself keeps, if costs did not say */
	if (!t->saved_bytes && t->params)
		t->saved_bytes = t->in_elems * pe_elem_bytes(c->prec);
}

/* Dense dims: M rows of K in, N out per sample. */
static void dense_dims(const struct map_ctx *c, const struct stage_sum *t,
		       int64_t *M, int64_t *K, int64_t *N)
{
	const struct layer *L = t->main;
	const struct tensor *in = &c->g->tensors[L->in[0]];
	*K = in->rank > 0 && in->dims[in->rank - 1] > 0 ? in->dims[in->rank - 1]
							: 1;
	*M = imax(1, elems(in) / *K);
	*N = L->attrs.units > 0 ? L->attrs.units : 1;
}

/* Conv dims: Cin, input positions, Cout, output positions, kernel volume. */
static void conv_dims(const struct map_ctx *c, const struct stage_sum *t,
		      int64_t *cin, int64_t *pin, int64_t *cout, int64_t *pout,
		      int64_t *kvol)
{
	const struct layer *L = t->main;
	const struct tensor *in = &c->g->tensors[L->in[0]];
	const struct tensor *out = &c->g->tensors[L->out[0]];
	*cin = in->rank > 0 ? imax(1, in->dims[0]) : 1;
	*pin = imax(1, elems(in) / *cin);
	*cout = out->rank > 0 ? imax(1, out->dims[0]) : 1;
	*pout = imax(1, elems(out) / *cout);
	int64_t kv = 1;
	int sp = L->attrs.spatial > 0 && L->attrs.spatial <= 3
			 ? L->attrs.spatial
			 : 1;
	for (int i = 0; i < sp; i++)
		kv *= imax(1, L->attrs.kernel[i]);
	*kvol = kv;
}

/*
 * A convolution whose weights outweigh its activations (late layers: few
 * positions, many channels) is mapped as the implicit GEMM
 * [positions x (Cin/groups . kernel)] x [(Cin/groups . kernel) x Cout] with
 * the dense mapping (weights split, not replicated per column); others
 * keep the positions x channels mapping.  Fills the GEMM dims if so.
 */
static int conv_as_gemm(const struct map_ctx *c, const struct stage_sum *t,
			int64_t *M, int64_t *K, int64_t *N)
{
	if (t->main->op != OP_CONV || t->main->n_in < 1 || t->main->n_out < 1)
		return 0;
	int64_t cin, pin, cout, pout, kv;
	conv_dims(c, t, &cin, &pin, &cout, &pout, &kv);
	int64_t groups = t->main->attrs.groups > 0 ? t->main->attrs.groups : 1;
	if (groups > 1 && groups == cin)
		return 0; /* depthwise: nothing to share across channels */
	if (t->params <= cin * pin + cout * pout)
		return 0;
	*M = pout;
	*K = imax(1, cin / groups * kv);
	*N = cout;
	return 1;
}

static int64_t words(const struct map_ctx *c, int64_t bytes)
{
	return pe_sram_words(&c->m->pe, bytes);
}
static int64_t wav(const struct map_ctx *c, int64_t bytes)
{
	return fabric_wavelets(&c->m->fabric, bytes);
}

/* A kernel's frame on a w x h rectangle, and what its work mapping leaves
 * for the SRAM step: this PE's share of the stage's parameters, its saved
 * activations and buffers per sample, and how often weights are
 * replicated. */
struct kern_frame {
	int32_t w, h;
	int64_t P, eb, acc;
	double share;
	int64_t act_pe, buf_pe, wrep;
	int64_t rgroups; /* GEMM: row groups, each with a copy of the weights */
	int copies;	 /* the stage's sample copies, this frame one of them */
};

/*
 * Row groups of a GEMM stage (pipelined, M > 1): the rectangle is cut into
 * gx x gy groups, each holding a copy of the weights and serving its own
 * rows of the sample's M (a conv's positions run as a GEMM, a sequence's
 * tokens), as the conv mapping's position groups do; the copies' weight
 * gradients are summed once per step (gemm_groups).  A single copy passes
 * the sample's rows one after another, each paying the kernel's software
 * per row (compiler/kern_stream.c: loop, descriptors, fabric start), so
 * past a small tile more PEs do not speed it; more copies divide the rows.
 * The split and the algorithm are chosen together (gemm_eval): every split
 * (counts growing by MAP_GROUP_RATIO) with the algorithm map_kern_apply
 * picks (or the one forced) on one group, the lowest pace whose SRAM fits.
 */
#define MAP_GROUP_RATIO 2

/* Row groups are for dense layers of a pipelined plan (a sequence's
 * tokens).  Convolutions run as their GEMM keep one copy: with copies
 * their floors fall far below what the placement gives a convolution
 * network's many stages today (pack's density, the conv mapping's
 * preferred aspect), and resnet50's and mobilenet_v2's plans, pipelined
 * then, broke issue 14's sizing rule (docs/placement.md). */
static int row_groups_apply(const struct map_ctx *c, const struct plan_stage *s)
{
	return c->mode == MODE_PIPELINED && s->kind == KERNEL_DENSE;
}
struct gemm_split {
	int32_t w, h;
	int64_t gx, gy, M;
};

static void split_set(int64_t M, int32_t w, int32_t h, int64_t gx,
		      int64_t gy, struct gemm_split *g)
{
	g->gx = gx;
	g->gy = gy;
	g->w = (int32_t)(w / gx);
	g->h = (int32_t)(h / gy);
	g->M = cdiv(M, gx * gy);
}

/* Dense, or a conv as its implicit GEMM: [M x K] x [K x N]. */
static void work_gemm(const struct map_ctx *c, const struct stage_sum *t,
		      int64_t M, int64_t K, int64_t N, struct kern_frame *kf,
		      struct plan_stage *o)
{
	const struct pe_params *pe = &c->m->pe;
	struct kernel_work *wk = o->work;
	int32_t w = kf->w, h = kf->h;
	int64_t eb = kf->eb, acc = kf->acc, P = kf->P;
	int64_t tk = cdiv(K, w), tn = cdiv(N, h);
	o->tile_k = tk;
	o->tile_n = tn;
	kf->share = (double)(tk * tn) / (double)(K * N);
	int64_t f = M * tk * tn;
	/* epilogue (bias, activation): where the reduction leaves the sums,
	 * the row's east PE; in weight streaming a layer's output stays
	 * spread over the wafer for the next layer (activations never
	 * leave it), so the row's chain ends as a reduce-scatter (the same
	 * wavelets) and every PE applies the epilogue to its share */
	int64_t ew_pes = (c->mode == MODE_STREAMING ? P : h) * kf->rgroups;
	int64_t ew_f = cdiv(t->ew[PASS_FWD], ew_pes);
	/* cores/ reference GEMV tile, once per row of the sample */
	struct pe_work gv;
	pe_gemv_work(pe, c->prec, tk, tn, &gv);
	wk[PASS_FWD].pe = (struct pe_work){
		gv.fma * M, (w > 1 ? M * tn : 0) + ew_f, gv.sram_reads * M,
		gv.sram_writes * M, gv.tasks, 0};
	wk[PASS_FWD].bcast_wavelets = wav(c, M * tk * eb);
	wk[PASS_FWD].reduce_wavelets = w > 1 ? wav(c, M * tn * acc) : 0;
	wk[PASS_FWD].out_wavelets = wav(c, M * N * eb);
	int64_t ew_b = cdiv(t->ew[PASS_BWD_DATA], ew_pes);
	struct kernel_work *b = &wk[PASS_BWD_DATA];
	b->bcast_axis = AXIS_X;
	b->reduce_axis = AXIS_Y;
	b->bcast_wavelets = wav(c, M * tn * eb);
	if (t->needs_grad) {
		pe_gemv_work(pe, c->prec, tn, tk, &gv);
		b->pe = (struct pe_work){gv.fma * M,
					 (h > 1 ? M * tk : 0) + ew_b,
					 gv.sram_reads * M, gv.sram_writes * M,
					 gv.tasks, 0};
		b->reduce_wavelets = h > 1 ? wav(c, M * tk * acc) : 0;
		b->out_wavelets = wav(c, M * K * eb);
	} else {
		b->pe = (struct pe_work){0, ew_b, words(c, M * tn * eb),
					 words(c, M * tn * eb), 1, 0};
	}
	wk[PASS_BWD_WEIGHT].pe = (struct pe_work){
		f, 0, words(c, M * (tk + tn) * eb) + words(c, tk * tn * acc),
		words(c, tk * tn * acc), 1, 0};
	/* saved x and y are spread over the whole rectangle, not
	 * replicated; the weight-gradient pass broadcasts the x slice
	 * down the columns again (dy is still in the row buffers) */
	kf->act_pe = (cdiv(M * K, P) + cdiv(M * N, P)) * eb;
	/* rows stream through in blocks of MAP_ROW_BLOCK, double
	 * buffered: inputs and partial sums of one block */
	kf->buf_pe = 2 * imin(M, MAP_ROW_BLOCK) * (tk * eb + tn * acc);
	wk[PASS_BWD_WEIGHT].bcast_axis = AXIS_Y;
	wk[PASS_BWD_WEIGHT].bcast_wavelets = h > 1 ? wav(c, M * tk * eb) : 0;
}

/* A GEMM in row groups (gemm_split): the stage's whole output per sample;
 * the rows of the other groups pass through a group's links (a column
 * carries every row of its group column, gy x one group's; a row every
 * group's partial sums, gx x), so the busiest link carries more than a
 * PE's own stream (link_wavelets); once per step the copies' weight
 * gradients are summed (each PE's tile relayed to its counterpart in the
 * next group: a link carries a group's whole row or column of tiles, along
 * X, then along Y) and the updated weights sent back to every copy (the
 * optimizer state is spread over the copies, kern_frame.wrep). */
static void gemm_groups(const struct map_ctx *c, int64_t M, int64_t K,
			int64_t N, const struct gemm_split *g,
			struct plan_stage *o)
{
	int64_t eb = pe_elem_bytes(c->prec), acc = c->prec == PREC_FP16 ? 2 : 4;
	for (int p = 0; p < PASS_UPDATE; p++) {
		struct kernel_work *k = &o->work[p];
		int64_t gb = k->bcast_axis == AXIS_X ? g->gx : g->gy;
		int64_t gr = k->reduce_axis == AXIS_X ? g->gx : g->gy;
		k->link_wavelets = imax(k->bcast_wavelets * gb,
					k->reduce_wavelets * gr);
	}
	o->work[PASS_FWD].out_wavelets = wav(c, M * N * eb);
	if (o->work[PASS_BWD_DATA].out_wavelets)
		o->work[PASS_BWD_DATA].out_wavelets = wav(c, M * K * eb);
	struct kernel_work *u = &o->work[PASS_UPDATE];
	int64_t wel = o->tile_k * o->tile_n;
	int64_t span = (g->gx > 1 ? g->w : 0) + (g->gy > 1 ? g->h : 0);
	u->reduce_axis = u->bcast_axis = g->gx > 1 ? AXIS_X : AXIS_Y;
	u->reduce_wavelets = wav(c, wel * acc);
	u->bcast_wavelets = wav(c, wel * eb);
	u->link_wavelets = span * (u->reduce_wavelets + u->bcast_wavelets);
}

/*
 * Conv: output channels over rows, positions over columns.  Rows beyond
 * the output channels form row groups: first position groups, down to one
 * output position per PE; the groups past that split the reduction (the
 * input channels of a group, as MeshGEMV splits K), their partial sums
 * reduced down the column.  Weights are replicated per position group; the
 * weight gradient is accumulated in place over the step's samples and
 * reduced across the replicas once per step, in the update (gradient
 * accumulation, as data-parallel training reduces once per step).
 */
struct conv_split {
	int64_t hc, hp, hr; /* channel rows, position groups, reduction groups */
	int64_t tn, tk, tin, ci; /* per PE: channels, positions, input
				  * positions, input channels */
	int64_t grp_rows;	 /* channel rows sharing an input channel */
	double rf;		 /* share of an output's inputs on a PE */
};

static void conv_split(const struct map_ctx *c, const struct stage_sum *t,
		       int32_t w, int32_t h, struct conv_split *cs)
{
	int64_t cin, pin, cout, pout, kv;
	conv_dims(c, t, &cin, &pin, &cout, &pout, &kv);
	int64_t groups = t->main->attrs.groups > 0 ? t->main->attrs.groups : 1;
	int64_t cg = imax(1, cin / groups); /* inputs of one output */
	cs->hc = imin(h, cout);
	int64_t hg = imax(1, h / cs->hc), need = cdiv(pout, w);
	cs->hr = hg > need ? imin(cg, hg / need) : 1;
	cs->hp = hg / cs->hr;
	cs->tn = cdiv(cout, cs->hc);
	cs->tk = cdiv(pout, w * cs->hp);
	cs->tin = cdiv(pin, w * cs->hp);
	/* a grouped (depthwise) conv's row needs only the input channels
	 * of the groups its output channels belong to */
	int64_t cpo = imax(1, cout / groups);
	int64_t spanned = imin(groups, cdiv(cs->tn, cpo));
	cs->ci = imin(cin, spanned * cdiv(cg, cs->hr));
	cs->grp_rows = imin(cs->hc, cdiv(cpo, cs->tn));
	cs->rf = (double)cdiv(cg, cs->hr) / (double)cg;
}

static void work_conv(const struct map_ctx *c, const struct stage_sum *t,
		      struct kern_frame *kf, struct plan_stage *o)
{
	struct kernel_work *wk = o->work;
	int32_t w = kf->w, h = kf->h;
	int64_t eb = kf->eb, acc = kf->acc;
	int64_t cin, pin, cout, pout, kv;
	conv_dims(c, t, &cin, &pin, &cout, &pout, &kv);
	struct conv_split cs;
	conv_split(c, t, w, h, &cs);
	int64_t tn = cs.tn, tk = cs.tk, tin = cs.tin, ci = cs.ci;
	o->tile_k = tk;
	o->tile_n = tn;
	/* this PE's share of the outputs, and of each output's inputs */
	double rf = cs.rf;
	double fr = (double)(tn * tk) / (double)(cout * pout);
	int64_t f[PASS_COUNT];
	for (int p = 0; p < PASS_COUNT; p++)
		f[p] = (int64_t)ceil((double)t->mat_fma[p] * fr * rf);
	kf->share = (double)tn / (double)cout * rf; /* replicated per group */
	kf->wrep = w * cs.hp;
	/* weights on the PE */
	int64_t wel = (int64_t)ceil((double)cdiv(t->params, cout) * tn * rf);
	int64_t halo = (kv - 1) * ci * eb;
	int64_t ewf = (int64_t)ceil((double)t->ew[PASS_FWD] * fr);
	int red = cs.hr > 1;
	wk[PASS_FWD].pe = (struct pe_work){
		f[PASS_FWD], ewf + (red ? tn * tk : 0),
		words(c, (f[PASS_FWD] + ci * tin) * eb),
		words(c, tn * tk * eb), 2 + (w > 1) + red, 0};
	wk[PASS_FWD].bcast_wavelets = wav(c, ci * tin * eb);
	wk[PASS_FWD].halo_wavelets = w > 1 ? wav(c, halo) : 0;
	wk[PASS_FWD].reduce_axis = AXIS_Y;
	wk[PASS_FWD].reduce_wavelets = red ? wav(c, tn * tk * acc) : 0;
	wk[PASS_FWD].out_wavelets = wav(c, cout * pout * eb);
	struct kernel_work *b = &wk[PASS_BWD_DATA];
	b->bcast_axis = AXIS_X;
	b->reduce_axis = AXIS_Y;
	int64_t ewb = (int64_t)ceil((double)t->ew[PASS_BWD_DATA] * fr);
	b->pe = (struct pe_work){
		t->needs_grad ? f[PASS_BWD_DATA] : 0, ewb,
		words(c, (f[PASS_BWD_DATA] + tn * tk) * eb),
		words(c, ci * tin * acc), 2, 0};
	b->halo_wavelets = w > 1 && t->needs_grad ? wav(c, halo) : 0;
	b->reduce_wavelets = cs.grp_rows * cs.hr > 1 && t->needs_grad
				     ? wav(c, ci * tin * acc)
				     : 0;
	b->out_wavelets = t->needs_grad ? wav(c, cin * pin * eb) : 0;
	struct kernel_work *gw = &wk[PASS_BWD_WEIGHT];
	gw->pe = (struct pe_work){f[PASS_BWD_WEIGHT], 0,
				  words(c, (f[PASS_BWD_WEIGHT]) * eb),
				  words(c, wel * acc), 1, 0};
	/* the saved input is spread down the column, re-broadcast
	 * for the weight gradient */
	kf->act_pe = (cdiv(ci * tin, cs.hc) + tn * tk) * eb;
	gw->bcast_axis = AXIS_Y;
	gw->bcast_wavelets = h > 1 ? wav(c, ci * tin * eb) : 0;
	/* the replicas' accumulated gradients, summed once per step, and
	 * the updated weights sent back (the optimizer state is spread
	 * over the replicas, kern_frame.wrep) */
	wk[PASS_UPDATE].reduce_axis = wk[PASS_UPDATE].bcast_axis = AXIS_X;
	wk[PASS_UPDATE].reduce_wavelets = w > 1 ? wav(c, wel * acc) : 0;
	wk[PASS_UPDATE].bcast_wavelets = w > 1 ? wav(c, wel * eb) : 0;
	/* input channels stream through MAP_ROW_BLOCK at a time
	 * (double buffered) into fp32 accumulators of the tile */
	kf->buf_pe = 2 * imin(ci, MAP_ROW_BLOCK) * (tin + kv) * eb +
		     tn * tk * acc;
}

/* Elements (output, or input for reductions such as losses) spread
 * evenly; the second operand broadcast along rows. */
static void work_ew(const struct map_ctx *c, const struct plan_stage *s,
		    const struct stage_sum *t, struct kern_frame *kf,
		    struct plan_stage *o)
{
	struct kernel_work *wk = o->work;
	int32_t w = kf->w, h = kf->h;
	int64_t eb = kf->eb, acc = kf->acc, P = kf->P;
	int64_t E = imax(1, imax(t->out_elems, t->in_elems));
	int64_t tk = cdiv(E, P);
	o->tile_k = tk;
	o->tile_n = 1;
	double fr = (double)tk / (double)E;
	kf->share = 1.0 / (double)P;
	int64_t f[PASS_COUNT], e[PASS_COUNT];
	for (int p = 0; p < PASS_COUNT; p++) {
		f[p] = (int64_t)ceil((double)t->mat_fma[p] * fr);
		e[p] = (int64_t)ceil((double)t->ew[p] * fr);
	}
	int64_t tin = cdiv(imax(1, t->in_elems), P);
	int64_t other = 0; /* broadcast operand per PE row */
	int attn = s->kind == KERNEL_ATTENTION || s->kind == KERNEL_MATMUL;
	if (attn) {
		const struct layer *L = t->main;
		int q = L->n_in > 1 ? 1 : 0;
		int64_t ne = L->n_in > 0 ? elems(&c->g->tensors[L->in[q]]) : E;
		if (s->kind == KERNEL_ATTENTION)
			ne *= 2; /* keys and values */
		other = cdiv(ne, h);
	} else if (s->kind == KERNEL_EMBEDDING) {
		other = cdiv(imax(1, t->in_elems), 1); /* indices */
	}
	for (int p = PASS_FWD; p <= PASS_BWD_WEIGHT; p++) {
		int64_t ff = p == PASS_BWD_DATA && !t->needs_grad ? 0 : f[p];
		wk[p].pe = (struct pe_work){
			ff, e[p], words(c, (2 * ff + e[p] + tin + tk) * eb),
			words(c, tk * eb), 1 + (other > 0), 0};
	}
	wk[PASS_FWD].bcast_axis = AXIS_X;
	wk[PASS_FWD].bcast_wavelets = other ? wav(c, other * eb) : 0;
	wk[PASS_FWD].out_wavelets = wav(c, E * eb);
	if (s->kind == KERNEL_EMBEDDING) {
		/* gathered rows are collected along rows */
		wk[PASS_FWD].reduce_wavelets =
			w > 1 ? wav(c, cdiv(E, h) * eb) : 0;
		wk[PASS_BWD_WEIGHT].bcast_axis = AXIS_X;
		wk[PASS_BWD_WEIGHT].bcast_wavelets = wav(c, cdiv(E, h) * eb);
	}
	if (attn) {
		wk[PASS_BWD_DATA].reduce_axis = AXIS_X;
		wk[PASS_BWD_DATA].reduce_wavelets =
			w > 1 && t->needs_grad ? wav(c, other * acc) : 0;
	}
	if (t->needs_grad)
		wk[PASS_BWD_DATA].out_wavelets =
			wav(c, imax(1, t->in_elems) * eb);
	/* the broadcast operand's slices are part of what is saved */
	kf->act_pe = cdiv(t->saved_bytes, P);
	/* the broadcast operand (keys and values) passes by in blocks of
	 * MAP_ROW_BLOCK of its rows per PE, double buffered, as attention
	 * kernels stream keys and values past the queries they hold (flash
	 * attention, Dao et al. 2022) */
	kf->buf_pe = 2 * (tin + tk + imin(other, MAP_ROW_BLOCK * tk)) * eb;
}

/* The (local) update, and the SRAM per PE. */
static void kernel_sram(const struct map_ctx *c, const struct plan_stage *s,
			const struct stage_sum *t, const struct kern_frame *kf,
			struct plan_stage *o)
{
	/* the update is local: every parameter read, changed, written */
	double share = kf->share;
	int64_t ppe = (int64_t)ceil((double)t->params * share);
	int64_t state_words = words(
		c, (int64_t)ceil((double)(t->weight_bytes * 2 + t->opt_bytes) *
				 share));
	o->work[PASS_UPDATE].pe = (struct pe_work){
		0, (int64_t)ceil((double)t->ew[PASS_UPDATE] * share),
		ppe ? state_words : 0, ppe ? state_words : 0, ppe ? 1 : 0, 0};

	struct sram_use *m = &o->sram;
	int64_t wbytes = (int64_t)ceil((double)t->held_weight_bytes * share);
	/* an inference program (plan_job) holds no gradients, no optimizer
	 * state and no activations kept for a backward pass: a vendor
	 * compiles it without them */
	int train = c->job != PLAN_JOB_INFER;
	if (c->mode == MODE_STREAMING) {
		/* weights pass through in chunks; state stays off-wafer */
		m->weights = imin(wbytes, 2 * 1024);
		m->grads = train ? imin(wbytes, 2 * 1024) : 0;
		m->opt_state = 0;
		m->activations = cdiv(c->stream_act_bytes, kf->P);
	} else {
		m->weights = wbytes;
		m->grads = train ? wbytes : 0;
		m->opt_state = train ? (int64_t)ceil((double)t->opt_bytes *
						     share / (double)kf->wrep)
				     : 0;
		/* samples in flight come from the batch: a sum that
		 * saturates (ground/checked.h) never fits */
		m->activations = train ? ck_smul_batch(kf->act_pe,
						       imax(1, s->samples_in_flight))
				       : 0;
	}
	m->buffers = kf->buf_pe;
	m->code = c->m->pe.code_bytes;
	m->total = ck_sadd_batch(m->weights + m->grads + m->opt_state +
					 m->buffers + m->code,
				 m->activations);
}

/* Time: compute and the PE's inbound stream overlap; flows add their fill
 * latency across the rectangle. */
static void kernel_time(const struct map_ctx *c, int32_t w, int32_t h,
			struct plan_stage *o)
{
	const struct fabric_params *fp = &c->m->fabric;
	int train = c->job != PLAN_JOB_INFER;
	cycles_t total = 0;
	for (int p = 0; p < PASS_COUNT; p++) {
		const struct kernel_work *k = &o->work[p];
		cycles_t comp = pe_work_cycles(&c->m->pe, c->prec, &k->pe);
		int64_t stream = imax(k->bcast_wavelets + k->reduce_wavelets +
					      k->halo_wavelets,
				      k->link_wavelets);
		int64_t span =
			(k->bcast_wavelets ? (k->bcast_axis == AXIS_X ? w : h)
					   : 0) +
			(k->reduce_wavelets ? (k->reduce_axis == AXIS_X ? w : h)
					    : 0);
		cycles_t pace =
			comp > (cycles_t)stream ? comp : (cycles_t)stream;
		o->est_cycles[p] = pace;
		if (stream)
			o->est_cycles[p] += fabric_stream_cycles(fp, span, 1);
		/* in a pipeline the fill latency is paid once, not per
		 * sample: the pace is the busiest resource; an inference
		 * program runs the forward alone */
		if (p == PASS_FWD || (p != PASS_UPDATE && train))
			total += pace;
	}
	if (train)
		total += (cycles_t)cdiv((int64_t)o->est_cycles[PASS_UPDATE],
					imax(1, c->batch));
	o->stage_cycles = total;
}

static void work_reset(struct plan_stage *o)
{
	memset(o->work, 0, sizeof(o->work));
	memset(&o->sram, 0, sizeof(o->sram));
	for (int p = 0; p < PASS_COUNT; p++) {
		o->work[p].bcast_axis = AXIS_Y;
		o->work[p].reduce_axis = AXIS_X;
	}
	o->kernel = 0;
	o->kernel_groups = 0;
	o->row_groups_x = o->row_groups_y = 1;
}

/* A GEMM on w x h in split g: the weight-stationary mapping of one group,
 * the groups' streams and sync, then the algorithm (map_kern_apply) and
 * the time. */
static void gemm_eval(const struct map_ctx *c, const struct plan_stage *s,
		      const struct stage_sum *t, int64_t M, int64_t K,
		      int64_t N, int32_t w, int32_t h,
		      const struct gemm_split *g, struct kern_frame kf,
		      struct plan_stage *o)
{
	work_reset(o);
	kf.w = g->w;
	kf.h = g->h;
	kf.P = (int64_t)g->w * g->h;
	kf.rgroups = kf.wrep = g->gx * g->gy;
	o->row_groups_x = (int32_t)g->gx;
	o->row_groups_y = (int32_t)g->gy;
	work_gemm(c, t, g->M, K, N, &kf, o);
	if (kf.rgroups > 1)
		gemm_groups(c, M, K, N, g, o);
	kernel_sram(c, s, t, &kf, o);
	if (c->mode == MODE_PIPELINED && c->kernel)
		map_kern_apply(c, t->needs_grad, g->M, K, N, g->w, g->h,
			       kf.copies, o);
	kernel_time(c, w, h, o);
}

/* Whether a's evaluation is better than b's: the algorithm forced (when
 * one is) runs, then SRAM fits, then the lower pace; a tie keeps b (the
 * fewer copies, probed first). */
static int split_better(const struct map_ctx *c, const struct plan_stage *a,
			const struct plan_stage *b)
{
	int forced = c->kernel ? kern_from_name(c->kernel) : -1;
	int ra = forced < 0 || a->kernel == forced;
	int rb = forced < 0 || b->kernel == forced;
	if (ra != rb)
		return ra;
	int fa = a->sram.total <= c->m->pe.sram_bytes;
	int fb = b->sram.total <= c->m->pe.sram_bytes;
	if (fa != fb)
		return fa;
	return a->stage_cycles < b->stage_cycles;
}

static void take_eval(const struct plan_stage *q, struct plan_stage *o)
{
	memcpy(o->work, q->work, sizeof(o->work));
	o->sram = q->sram;
	o->tile_k = q->tile_k;
	o->tile_n = q->tile_n;
	o->kernel = q->kernel;
	o->kernel_groups = q->kernel_groups;
	o->row_groups_x = q->row_groups_x;
	o->row_groups_y = q->row_groups_y;
	memcpy(o->est_cycles, q->est_cycles, sizeof(o->est_cycles));
	o->stage_cycles = q->stage_cycles;
}

/* The split of w x h (and the algorithm on it) with the best evaluation
 * (split_better), into o; one copy unless pipelined with M > 1. */
static void gemm_split(const struct map_ctx *c, const struct plan_stage *s,
		       const struct stage_sum *t, int64_t M, int64_t K,
		       int64_t N, int32_t w, int32_t h,
		       const struct kern_frame *kf, struct plan_stage *o)
{
	struct gemm_split g;
	struct plan_stage best, q;
	split_set(M, w, h, 1, 1, &g);
	gemm_eval(c, s, t, M, K, N, w, h, &g, *kf, &best);
	int64_t sram = c->m->pe.sram_bytes;
	int many = row_groups_apply(c, s) && M > 1 && best.sram.total <= sram;
	/* more copies need more SRAM per PE (larger tiles, the same rows
	 * per PE): past the first split that does not fit, none will */
	for (int64_t gy = 1; many && gy <= imin(M, h); gy *= MAP_GROUP_RATIO)
		for (int64_t gx = 1; gx * gy <= M && gx <= w;
		     gx *= MAP_GROUP_RATIO) {
			if (gx * gy == 1)
				continue;
			split_set(M, w, h, gx, gy, &g);
			gemm_eval(c, s, t, M, K, N, w, h, &g, *kf, &q);
			if (q.sram.total > sram) {
				many = gx > 1;
				break;
			}
			if (split_better(c, &q, &best))
				best = q;
		}
	take_eval(&best, o);
}

/* One copy of the stage on a w x h rectangle, of `copies` in all. */
static void kernel_eval_one(const struct map_ctx *c, const struct plan_stage *s,
			    int32_t w, int32_t h, int copies,
			    struct plan_stage *o)
{
	struct stage_sum t;
	stage_sum(c, s, &t);
	struct kern_frame kf = {
		.w = w,
		.h = h,
		.P = (int64_t)w * h,
		.eb = pe_elem_bytes(c->prec),
		.acc = c->prec == PREC_FP16 ? 2 : 4, /* partial sums */
		.wrep = 1,
		.rgroups = 1,
		.copies = copies,
	};
	int64_t M, K, N;
	if (s->kind == KERNEL_DENSE || conv_as_gemm(c, &t, &M, &K, &N)) {
		if (s->kind == KERNEL_DENSE)
			dense_dims(c, &t, &M, &K, &N);
		gemm_split(c, s, &t, M, K, N, w, h, &kf, o);
		return;
	}
	work_reset(o);
	if (s->kind == KERNEL_CONV)
		work_conv(c, &t, &kf, o);
	else
		work_ew(c, s, &t, &kf, o);
	kernel_sram(c, s, &t, &kf, o);
	kernel_time(c, w, h, o);
}

/*
 * Sample copies (plan.h `copies`, pipelined): the w x h rectangle holds R
 * copies of the stage interleaved by columns (copy c has every R-th
 * column from c: plan_copy_rect), each mapped as the stage alone on
 * w/R x h, with the full stage state (weights, gradients, optimizer
 * state) and the activations of its own samples (sample s runs on copy
 * s mod R: ceil(in flight / R) of them).  The copies run at once, so a
 * link between two columns carries every copy's flows along X (a row's
 * reduction, halo, a broadcast along the row): R times one copy's
 * (kernel_work.link_wavelets); flows along Y stay in a copy's own
 * columns.  Once per step, in the update, the copies' weight gradients
 * are summed (each PE's gradients relayed to its counterpart in the next
 * column, one link, fp32 or the fp16 accumulators) and the updated
 * weights sent back the same way, one add per gradient element and copy
 * beyond the first.  The pace per sample is the copy's task times over
 * R (R samples served at once) plus the update over the batch.
 */
static void copies_links(const struct map_ctx *c, int64_t R,
			 struct plan_stage *o)
{
	int64_t eb = pe_elem_bytes(c->prec), acc = c->prec == PREC_FP16 ? 2 : 4;
	for (int p = 0; p < PASS_UPDATE; p++)
		plan_copies_flows(&o->work[p], (int)R);
	int64_t elems = cdiv(o->sram.grads, eb);
	if (elems <= 0)
		return;
	struct kernel_work *u = &o->work[PASS_UPDATE];
	int64_t sum = wav(c, elems * acc) + wav(c, o->sram.weights);
	u->link_wavelets = ck_sadd_batch(u->link_wavelets, sum);
	u->pe.ew = ck_sadd_batch(u->pe.ew, ck_smul_batch(elems, R - 1));
}

static void kernel_eval(const struct map_ctx *c, const struct plan_stage *s,
			int32_t w, int32_t h, struct plan_stage *o)
{
	int64_t R = s->copies > 1 && c->mode == MODE_PIPELINED ? s->copies : 1;
	if (R <= 1) {
		kernel_eval_one(c, s, w, h, 1, o);
		return;
	}
	struct plan_stage one = *s;
	one.r = (struct rect){0, 0, w, h};
	struct rect cr = plan_copy_rect(&one, 0);
	one.copies = 1;
	one.samples_in_flight = cdiv(imax(1, s->samples_in_flight), R);
	kernel_eval_one(c, &one, cr.w, cr.h, (int)R, o);
	copies_links(c, R, o);
	kernel_time(c, cr.w, cr.h, o);
	if (c->job == PLAN_JOB_INFER) {
		o->stage_cycles = (cycles_t)cdiv((int64_t)o->stage_cycles, R);
		return;
	}
	cycles_t upd = (cycles_t)cdiv((int64_t)o->est_cycles[PASS_UPDATE],
				      imax(1, c->batch));
	o->stage_cycles = (cycles_t)cdiv((int64_t)(o->stage_cycles - upd), R) +
			  upd;
}

void map_kernel(const struct map_ctx *c, struct plan_stage *s)
{
	int32_t w = s->r.w > 0 ? s->r.w : 1, h = s->r.h > 0 ? s->r.h : 1;
	kernel_eval(c, s, w, h, s);
	s->stream_bytes = 0;
	s->lookup_rows = s->lookup_ids = 0;
	const struct layer *l0 = s->n_layers > 0 && s->layers[0] >= 0 &&
					 s->layers[0] < c->g->n_layers
				 ? &c->g->layers[s->layers[0]]
				 : NULL;
	if (s->kind == KERNEL_EMBEDDING && l0 && l0->op == OP_EMBEDDING &&
	    l0->n_in >= 1 && l0->attrs.vocab > 0) {
		s->lookup_rows = l0->attrs.vocab;
		s->lookup_ids = tensor_elems(&c->g->tensors[l0->in[0]]);
	}
	if (c->mode == MODE_STREAMING) {
		/* the external memory keeps the master weights and sends
		 * them at the precision the PEs multiply in (fp16 in mixed
		 * precision: Cerebras weight streaming keeps fp32 masters
		 * off-wafer, Hot Chips 34) */
		struct stage_sum t;
		stage_sum(c, s, &t);
		s->stream_bytes = t.held_params * pe_elem_bytes(c->prec);
	}
}

int map_kernel_why_not(const struct map_ctx *c, const struct plan_stage *s,
		       char *why, size_t n)
{
	struct stage_sum t;
	stage_sum(c, s, &t);
	int64_t M, K, N;
	why[0] = 0;
	if (c->mode != MODE_PIPELINED ||
	    !(s->kind == KERNEL_DENSE || conv_as_gemm(c, &t, &M, &K, &N)))
		return 0;
	if (s->kind == KERNEL_DENSE)
		dense_dims(c, &t, &M, &K, &N);
	int32_t gx = s->row_groups_x > 0 ? s->row_groups_x : 1;
	int32_t gy = s->row_groups_y > 0 ? s->row_groups_y : 1;
	struct gemm_split gs;
	split_set(M, s->r.w > 0 ? s->r.w : 1, s->r.h > 0 ? s->r.h : 1, gx, gy,
		  &gs);
	return map_kern_why_not(c, t.needs_grad, gs.M, K, N, gs.w, gs.h, s,
				why, n);
}

/* map_max_shape, with a GEMM's row groups (gemm_split) or without. */
static void max_shape(const struct map_ctx *c, const struct plan_stage *s,
		      int grouped, int32_t *max_w, int32_t *max_h)
{
	struct stage_sum t;
	stage_sum(c, s, &t);
	int64_t mw, mh;
	int64_t M, K, N;
	if (s->kind == KERNEL_DENSE || conv_as_gemm(c, &t, &M, &K, &N)) {
		if (s->kind == KERNEL_DENSE)
			dense_dims(c, &t, &M, &K, &N);
		int64_t rows = grouped && row_groups_apply(c, s) ? M : 1;
		mw = ck_smul_batch(K, rows);
		mh = ck_smul_batch(N, rows);
	} else if (s->kind == KERNEL_CONV) {
		int64_t cin, pin, cout, pout, kv;
		conv_dims(c, &t, &cin, &pin, &cout, &pout, &kv);
		int64_t groups = t.main->attrs.groups > 0 ? t.main->attrs.groups
							   : 1;
		mw = pout;
		/* extra rows take position groups (see work_conv): down to
		 * one output position per PE, then reduction groups down to
		 * one input channel per PE */
		mh = cout * pout * imax(1, cin / groups);
	} else {
		int64_t E = imax(1, imax(t.out_elems, t.in_elems));
		mw = E;
		mh = E;
	}
	*max_w = (int32_t)imax(1, imin(mw, c->m->width));
	*max_h = (int32_t)imax(1, imin(mh, c->m->height));
}

void map_max_shape(const struct map_ctx *c, const struct plan_stage *s,
		   int32_t *max_w, int32_t *max_h)
{
	max_shape(c, s, 1, max_w, max_h);
}

double map_aspect(const struct map_ctx *c, const struct plan_stage *s)
{
	int32_t mw, mh;
	max_shape(c, s, 0, &mw, &mh);
	if (s->kind == KERNEL_CONV) {
		/* preferred: a row per output channel (position groups are
		 * for growing past it, map_max_shape) */
		struct stage_sum t;
		stage_sum(c, s, &t);
		int64_t M, K, N;
		if (!conv_as_gemm(c, &t, &M, &K, &N)) {
			int64_t cin, pin, cout, pout, kv;
			conv_dims(c, &t, &cin, &pin, &cout, &pout, &kv);
			mh = (int32_t)imax(
				1, imin(cout * imax(1, pout / imax(1, imin(
								 pout,
								 c->m->width))),
					c->m->height));
		}
	}
	double a = (double)mw / (double)mh;
	if (s->kind != KERNEL_DENSE && s->kind != KERNEL_CONV)
		a = 1;
	return a < 1.0 / 16 ? 1.0 / 16 : a > 16 ? 16 : a;
}

/* kernel_eval, with the stages time-shared on s's rectangle (c->plan)
 * counted: their cycles added, their SRAM but the code beside s's. */
static void group_eval(const struct map_ctx *c, const struct plan_stage *s,
		       int32_t w, int32_t h, struct plan_stage *o)
{
	kernel_eval(c, s, w, h, o);
	const struct plan *p = c->plan;
	if (!p || c->no_guests || s < p->stages ||
	    s >= p->stages + p->n_stages)
		return;
	int si = (int)(s - p->stages);
	for (int j = 0; j < p->n_stages; j++) {
		if (j == si || !map_share_guest(p, j) || p->stages[j].host != si)
			continue;
		struct plan_stage gs;
		kernel_eval(c, &p->stages[j], w, h, &gs);
		o->stage_cycles += gs.stage_cycles;
		o->sram.total = ck_sadd_batch(o->sram.total,
					      gs.sram.total - gs.sram.code);
	}
}

int map_fits(const struct map_ctx *c, const struct plan_stage *s, int32_t w,
	     int32_t h)
{
	struct plan_stage o;
	group_eval(c, s, w, h, &o);
	return o.sram.total <= c->m->pe.sram_bytes;
}

cycles_t map_cycles(const struct map_ctx *c, const struct plan_stage *s,
		    int32_t w, int32_t h)
{
	struct plan_stage o;
	group_eval(c, s, w, h, &o);
	return o.stage_cycles;
}

/* The widths shape_for tries: 1, then x1.25 each (truncated; a repeat is
 * dropped, it would score the same), the last mw.  Returns the count. */
#define SHAPE_WIDTHS 128
static int shape_widths(int32_t mw, int32_t *ws)
{
	int n = 0;
	for (double wf = 1; n < SHAPE_WIDTHS; wf *= 1.25) {
		int32_t w = (int32_t)wf;
		if (w > mw)
			w = mw;
		if (!n || w != ws[n - 1])
			ws[n++] = w;
		if (w >= mw)
			break;
	}
	return n;
}

/* How many of the widths a shape for `pes` PEs tries: up to the first
 * that reaches pes (or mw, the last). */
static int shape_tries(const int32_t *ws, int n, int64_t pes)
{
	int k = 0;
	while (k < n - 1 && ws[k] < pes)
		k++;
	return k + 1;
}

/* SRAM per PE of s on w x cdiv(pes, w); INT64_MAX when taller than mh. */
static int64_t shape_sram(const struct map_ctx *c, const struct plan_stage *s,
			  int64_t pes, int32_t w, int32_t mh)
{
	int64_t h = cdiv(pes, w);
	if (h > mh)
		return INT64_MAX;
	struct plan_stage o;
	group_eval(c, s, w, (int32_t)h, &o);
	return o.sram.total;
}

/* Best-fitting shape for about `pes` PEs: lowest SRAM (the narrowest of
 * equals); 0 if none fits. */
static int shape_for(const struct map_ctx *c, const struct plan_stage *s,
		     int64_t pes, const int32_t *ws, int n, int32_t mh,
		     int32_t *bw, int32_t *bh)
{
	int64_t best = INT64_MAX;
	for (int k = 0, nt = shape_tries(ws, n, pes); k < nt; k++) {
		int64_t t = shape_sram(c, s, pes, ws[k], mh);
		if (t < best) {
			best = t;
			*bw = ws[k];
			*bh = (int32_t)cdiv(pes, ws[k]);
		}
	}
	return best <= c->m->pe.sram_bytes;
}

/* Does shape_for(pes) fit?  The same widths, stopping at the first that
 * fits, ws[*hint] first (the last to fit: usually fits again); *hint
 * becomes the one that fit. */
static int shape_fits(const struct map_ctx *c, const struct plan_stage *s,
		      int64_t pes, const int32_t *ws, int n, int32_t mh,
		      int *hint)
{
	int nt = shape_tries(ws, n, pes);
	int64_t cap = c->m->pe.sram_bytes;
	if (*hint < nt && shape_sram(c, s, pes, ws[*hint], mh) <= cap)
		return 1;
	for (int k = 0; k < nt; k++)
		if (k != *hint && shape_sram(c, s, pes, ws[k], mh) <= cap) {
			*hint = k;
			return 1;
		}
	return 0;
}

/* The index of width w in ws (0 if absent). */
static int width_index(const int32_t *ws, int n, int32_t w)
{
	for (int k = 0; k < n; k++)
		if (ws[k] == w)
			return k;
	return 0;
}

/*
 * The fewest PEs that fit, by bisection over the PE count with shape_for's
 * test (its SRAM need not fall monotonically with PEs: the bisection's
 * probes are part of the answer).  A probe only asks whether some width
 * fits, so it stops at the first; the shape comes from shape_for at the
 * end.
 */
int64_t map_min_pes(const struct map_ctx *c, const struct plan_stage *s,
		    int32_t *w, int32_t *h)
{
	int32_t mw, mh;
	map_max_shape(c, s, &mw, &mh);
	int64_t hi = (int64_t)mw * mh;
	int32_t bw = 0, bh = 0, ws[SHAPE_WIDTHS];
	int n = shape_widths(mw, ws);
	if (!shape_for(c, s, hi, ws, n, mh, &bw, &bh)) {
		/* more PEs than elements may still spread buffers: try the
		 * whole grid once */
		int32_t gw = (int32_t)c->m->width, gh = (int32_t)c->m->height;
		int32_t gws[SHAPE_WIDTHS];
		int gn = shape_widths(gw, gws);
		if (!shape_for(c, s, (int64_t)gw * gh, gws, gn, gh, &bw, &bh))
			return 0;
		*w = bw;
		*h = bh;
		return (int64_t)bw * bh;
	}
	int32_t hw = bw, hh = bh;
	int64_t lo = 1, top = hi; /* invariant: hi fits */
	if (shape_for(c, s, 1, ws, n, mh, &bw, &bh)) {
		*w = bw;
		*h = bh;
		return 1;
	}
	int hint = width_index(ws, n, hw);
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;
		if (shape_fits(c, s, mid, ws, n, mh, &hint))
			hi = mid;
		else
			lo = mid;
	}
	if (hi != top)
		shape_for(c, s, hi, ws, n, mh, &hw, &hh);
	*w = hw;
	*h = hh;
	return (int64_t)hw * hh;
}

int64_t map_saved_bytes(const struct map_ctx *c, const struct plan_stage *s)
{
	struct stage_sum t;
	stage_sum(c, s, &t);
	return t.saved_bytes;
}

int64_t map_stream_act_bytes(const struct map_ctx *c, const struct plan *p)
{
	int64_t act = 0;
	for (int i = 0; i < p->n_stages; i++)
		act = ck_sadd_batch(act, map_saved_bytes(c, &p->stages[i]));
	return ck_smul_batch(act, p->batch);
}

int64_t map_state_bytes(const struct map_ctx *c, const struct plan_stage *s)
{
	struct stage_sum t;
	stage_sum(c, s, &t);
	/* an inference program holds the weights alone (kernel_sram) */
	if (c->job == PLAN_JOB_INFER)
		return t.held_weight_bytes;
	return 2 * t.held_weight_bytes + t.opt_bytes;
}
