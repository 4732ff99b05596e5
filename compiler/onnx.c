/*
 * onnx.c: ONNX models (protobuf-c, schema from Debian's onnx.proto) into a
 * graph.  See onnx.h for what is recognised.
 *
 * Every ONNX value gets a kind:
 *
 *     DATA   computed from a network input (or from a parameter used as data)
 *     PARAM  a floating-point initializer (weights; data never needed)
 *     CONST  Constant nodes, integer initializers, Shape outputs, and
 *            everything computed only from those: shape arithmetic, folded
 *
 * Only nodes with a DATA (or PARAM-as-data) input become layers.  Shapes
 * never depend on the file's value_info: nodes are read in order, constants
 * folded, and each data node's layers get their shapes from wafersim's own
 * rules (op_infer_layer) as soon as they are emitted, so the ONNX shape of
 * every value (batch 1 first, a symbolic batch taken as 1) is known before
 * a Shape or Reshape downstream needs it.  Layout ops (Reshape, Slice,
 * Split, Squeeze, Unsqueeze, Expand, Flatten, Transpose) work out their
 * output from constant shape inputs (infer_missing).  Shapes the file does
 * declare are compared with ours at the end (a disagreement on the element
 * count is an error).  Patterns fused before layers are emitted:
 *
 *     MatMul(x, W) + Add(b)              -> dense with bias
 *     x * 0.5 * (1 + erf(x / sqrt 2))    -> gelu
 *     MatMul(q*s, k^T*s) [*s] [+mask] -> Softmax -> MatMul(., v)
 *                                        -> attention (mask: causal)
 *     Conv with exporter-made weights    -> conv (no bias) + batch norm
 *       ("onnx::" initializers: batch norm folded by an eval-mode export)
 */
#include "compiler/onnx.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/graph_int.h"
#include "compiler/onnx_int.h"
#include "ground/checked.h"
#include "ground/util.h"

#define OX_MAX_RANK ONNX_MAX_RANK

enum vkind { V_NONE = 0, V_DATA, V_PARAM, V_CONST };

struct oval {
	const char *name;
	enum vkind kind;
	int rank; /* -1: unknown */
	int64_t dims[OX_MAX_RANK];
	int elem_type;
	int init;	/* initializer index (PARAM, CONST), or -1 */
	int producer;	/* node index, or -1 */
	int n_cons;	/* consuming nodes */
	int first_cons; /* a consuming node (for single-consumer chains) */
	int tensor;	/* graph tensor (DATA), or -1 */
	int layer;	/* graph layer that produced it, or -1 */
	double *val;	/* CONST: folded values (row-major), or NULL */
	int64_t n_val;
};

#define OX_MAX_FOLD 4096 /* largest constant folded (elements) */

/* Node roles decided by the pattern pass. */
enum nrole { N_NORMAL = 0, N_ABSORBED, N_GELU, N_ATTENTION, N_LAYERNORM };

struct ox {
	const char *file;
	struct diag *d;
	struct graph *g;
	Onnx__GraphProto *gp;
	struct oval *v;
	int n_v, cap_v;
	int *hash; /* open addressing: value index + 1 */
	size_t n_hash;
	enum nrole *role;
	int *pat_a, *pat_b, *pat_c; /* pattern operands (value ids) */
	int *pat_flag;
	int *init_owner; /* per initializer: layer that owns it, or -1 */
	int errors;
};

/* ---------------------------------------------------------------- values */

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int val_find(const struct ox *c, const char *name)
{
	if (!name || !*name)
		return -1;
	for (size_t i = str_hash(name) & (c->n_hash - 1);;
	     i = (i + 1) & (c->n_hash - 1)) {
		int k = c->hash[i];
		if (!k)
			return -1;
		if (!strcmp(c->v[k - 1].name, name))
			return k - 1;
	}
}

static int val_get(struct ox *c, const char *name)
{
	int k = val_find(c, name);
	if (k >= 0)
		return k;
	if (c->n_v == c->cap_v) {
		c->cap_v = c->cap_v ? 2 * c->cap_v : 256;
		c->v = xrealloc(c->v, c->cap_v * sizeof(*c->v));
	}
	k = c->n_v++;
	struct oval *v = &c->v[k];
	memset(v, 0, sizeof(*v));
	v->name = name;
	v->rank = -1;
	v->init = v->producer = v->tensor = v->layer = v->first_cons = -1;
	size_t i = str_hash(name) & (c->n_hash - 1);
	while (c->hash[i])
		i = (i + 1) & (c->n_hash - 1);
	c->hash[i] = k + 1;
	return k;
}

static void set_shape_from_type(struct oval *v, const Onnx__TypeProto *tp)
{
	if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
	    !tp->tensor_type)
		return;
	v->elem_type = tp->tensor_type->elem_type;
	const Onnx__TensorShapeProto *s = tp->tensor_type->shape;
	if (!s || s->n_dim > OX_MAX_RANK)
		return;
	for (size_t i = 0; i < s->n_dim; i++) {
		int64_t z = onnx_dim_size(s->dim[i]);
		if (z)
			v->dims[i] = z;
		else if (i == 0)
			v->dims[i] = 1; /* symbolic batch: taken as 1 */
		else
			return;
	}
	v->rank = (int)s->n_dim;
}

/* Per-sample view: a leading 1 on rank >= 2 is the batch. */
static int stripped(const struct oval *v)
{
	return v->rank >= 2 && v->dims[0] == 1;
}

static int ps_rank(const struct oval *v)
{
	return v->rank - stripped(v);
}

static const int64_t *ps_dims(const struct oval *v)
{
	return v->dims + stripped(v);
}

static int64_t val_elems(const struct oval *v)
{
	int64_t n = 1;
	for (int i = 0; i < v->rank; i++)
		n = ck_smul(n, v->dims[i]); /* CK_LIMIT: refused later */
	return n;
}

/* ---------------------------------------------------------------- nodes */

static const char *node_name(const Onnx__NodeProto *n, int idx, char *buf,
			     size_t len)
{
	if (n->name && *n->name)
		return n->name[0] == '/' ? n->name + 1 : n->name;
	snprintf(buf, len, "%s_%d", n->op_type ? n->op_type : "node", idx);
	return buf;
}

static void nerr(struct ox *c, int idx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void nerr(struct ox *c, int idx, const char *fmt, ...)
{
	char msg[3072], nb[64];
	const Onnx__NodeProto *n = c->gp->node[idx];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(c->d, c->file, 0, 0,
		 "onnx: node '%s' (op type %s, node %d): %s",
		 node_name(n, idx, nb, sizeof(nb)), n->op_type, idx, msg);
	c->errors++;
}

/* Layer `id` comes from node `idx`: its errors (graph checks, shapes,
 * sizes) name the file, the node and its op type. */
static void set_origin(struct ox *c, int id, int idx)
{
	char nb[64];
	const Onnx__NodeProto *n = c->gp->node[idx];
	free(c->g->layers[id].origin);
	c->g->layers[id].origin =
		xasprintf("%s: node '%s' (op type %s, node %d)", c->file,
			  node_name(n, idx, nb, sizeof(nb)),
			  n->op_type ? n->op_type : "", idx);
}

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n,
					const char *name)
{
	return onnx_attr(n, name);
}

static int64_t attr_i(const Onnx__NodeProto *n, const char *name, int64_t def)
{
	const Onnx__AttributeProto *a = attr(n, name);
	return a ? a->i : def;
}

static int attr_ints(const Onnx__NodeProto *n, const char *name, int64_t *out,
		     int max)
{
	const Onnx__AttributeProto *a = attr(n, name);
	if (!a)
		return 0;
	int k = 0;
	for (size_t i = 0; i < a->n_ints && k < max; i++)
		out[k++] = a->ints[i];
	return k;
}

static int op_is(const Onnx__NodeProto *n, const char *op)
{
	return n->op_type && !strcmp(n->op_type, op);
}

/* Value id of input i of node n, or -1 (absent or empty). */
static int in_val(struct ox *c, const Onnx__NodeProto *n, size_t i)
{
	return i < n->n_input ? val_find(c, n->input[i]) : -1;
}

/* Input i of node n when it is a folded constant, else NULL. */
static const struct oval *cin(struct ox *c, const Onnx__NodeProto *n, size_t i)
{
	int k = in_val(c, n, i);
	return k >= 0 && c->v[k].val ? &c->v[k] : NULL;
}

static int kind_of(struct ox *c, int vid)
{
	return vid >= 0 ? (int)c->v[vid].kind : V_NONE;
}

/* Is value `vid` a single-consumer output of a node of type `op`?  Returns
 * the node index or -1. */
static int single_from(struct ox *c, int vid, const char *op)
{
	if (vid < 0 || c->v[vid].producer < 0 || c->v[vid].n_cons != 1)
		return -1;
	int p = c->v[vid].producer;
	return op_is(c->gp->node[p], op) ? p : -1;
}

/* The only consumer of `vid` if it is of type `op`, else -1. */
static int single_to(struct ox *c, int vid, const char *op)
{
	if (vid < 0 || c->v[vid].n_cons != 1)
		return -1;
	int k = c->v[vid].first_cons;
	return op_is(c->gp->node[k], op) ? k : -1;
}

static int out_val(struct ox *c, const Onnx__NodeProto *n, size_t i)
{
	return i < n->n_output ? val_find(c, n->output[i]) : -1;
}

/* For a Mul/Div node with one CONST operand: the other operand, else -1. */
static int scaled_operand(struct ox *c, int node)
{
	const Onnx__NodeProto *n = c->gp->node[node];
	if (!(op_is(n, "Mul") || op_is(n, "Div")) || n->n_input != 2)
		return -1;
	int a = in_val(c, n, 0), b = in_val(c, n, 1);
	if (kind_of(c, b) == V_CONST && kind_of(c, a) == V_DATA)
		return a;
	if (op_is(n, "Mul") && kind_of(c, a) == V_CONST &&
	    kind_of(c, b) == V_DATA)
		return b;
	return -1;
}

/* ------------------------------------------------------------- patterns */

static void find_gelu(struct ox *c, int e)
{
	/* Erf(x / c1) + c2, times x, times c3 (either order of the muls) */
	const Onnx__NodeProto *erf = c->gp->node[e];
	int u = in_val(c, erf, 0);
	int dn = single_from(c, u, "Div");
	if (dn < 0)
		dn = single_from(c, u, "Mul");
	if (dn < 0)
		return;
	int x = scaled_operand(c, dn);
	if (x < 0)
		return;
	int an = single_to(c, out_val(c, erf, 0), "Add");
	if (an < 0)
		return;
	const Onnx__NodeProto *add = c->gp->node[an];
	if (kind_of(c, in_val(c, add, 0)) != V_CONST &&
	    kind_of(c, in_val(c, add, 1)) != V_CONST)
		return;
	int m1 = single_to(c, out_val(c, add, 0), "Mul");
	if (m1 < 0)
		return;
	const Onnx__NodeProto *mul = c->gp->node[m1];
	int last = m1, m2 = -1;
	int o1 = in_val(c, mul, 0) == x || in_val(c, mul, 1) == x;
	if (o1) {
		/* x * (1 + erf) [* 0.5] */
		m2 = single_to(c, out_val(c, mul, 0), "Mul");
		if (m2 >= 0 && scaled_operand(c, m2) >= 0)
			last = m2;
		else
			m2 = -1;
	} else {
		/* (0.5 * x)... not produced by the exporters in the zoo */
		return;
	}
	c->role[dn] = N_ABSORBED;
	c->role[e] = N_ABSORBED;
	c->role[an] = N_ABSORBED;
	if (m2 >= 0)
		c->role[m1] = N_ABSORBED;
	c->role[last] = N_GELU;
	c->pat_a[last] = x;
}

static void find_attention(struct ox *c, int sm)
{
	const Onnx__NodeProto *s = c->gp->node[sm];
	int score = in_val(c, s, 0);
	int causal = 0;
	int chain[8], nch = 0;
	/* walk up through scaling and masking to the scores MatMul */
	int p;
	for (;;) {
		if (score < 0 || c->v[score].n_cons != 1 ||
		    (p = c->v[score].producer) < 0 || nch == 8)
			return;
		const Onnx__NodeProto *n = c->gp->node[p];
		if (op_is(n, "MatMul"))
			break;
		int nx = scaled_operand(c, p);
		if (nx < 0 && (op_is(n, "Add") || op_is(n, "Where"))) {
			/* mask: one DATA operand, the rest constant */
			int data = -1, ok = 1;
			for (size_t i = 0; i < n->n_input; i++) {
				int k = in_val(c, n, i);
				if (kind_of(c, k) == V_DATA) {
					ok &= data < 0;
					data = k;
				}
			}
			if (ok && data >= 0) {
				nx = data;
				causal = 1;
			}
		}
		if (nx < 0)
			return;
		chain[nch++] = p;
		score = nx;
	}
	int m1 = p;
	const Onnx__NodeProto *mm = c->gp->node[m1];
	int q = in_val(c, mm, 0), k = in_val(c, mm, 1);
	if (kind_of(c, q) != V_DATA || kind_of(c, k) != V_DATA)
		return;
	int m2 = single_to(c, out_val(c, s, 0), "MatMul");
	if (m2 < 0 || in_val(c, c->gp->node[m2], 0) != out_val(c, s, 0))
		return;
	int v = in_val(c, c->gp->node[m2], 1);
	if (kind_of(c, v) != V_DATA)
		return;
	/* peel the scale off q and k; look through k's transpose */
	int pq = c->v[q].n_cons == 1 ? c->v[q].producer : -1;
	if (pq >= 0 && scaled_operand(c, pq) >= 0) {
		c->role[pq] = N_ABSORBED;
		q = scaled_operand(c, pq);
	}
	int pk = c->v[k].n_cons == 1 ? c->v[k].producer : -1;
	if (pk >= 0 && scaled_operand(c, pk) >= 0) {
		c->role[pk] = N_ABSORBED;
		k = scaled_operand(c, pk);
	}
	int kt = 1;
	int tn = single_from(c, k, "Transpose");
	if (tn >= 0) {
		int64_t perm[OX_MAX_RANK];
		int r = attr_ints(c->gp->node[tn], "perm", perm, OX_MAX_RANK);
		int ok = r >= 2 && (c->v[k].rank < 0 || r == c->v[k].rank);
		for (int i = 0; ok && i < r - 2; i++)
			ok = perm[i] == i;
		if (ok && perm[r - 2] == r - 1 && perm[r - 1] == r - 2) {
			c->role[tn] = N_ABSORBED;
			k = in_val(c, c->gp->node[tn], 0);
			kt = 0;
		}
	}
	for (int i = 0; i < nch; i++)
		c->role[chain[i]] = N_ABSORBED;
	c->role[m1] = N_ABSORBED;
	c->role[sm] = N_ABSORBED;
	c->role[m2] = N_ATTENTION;
	c->pat_a[m2] = q;
	c->pat_b[m2] = k;
	c->pat_c[m2] = v;
	c->pat_flag[m2] = kt | (causal << 1);
}

/* Layer norm spelled out (exports before opset 17):
 *   d = x - ReduceMean(x); y = d / Sqrt(ReduceMean(Pow(d, 2)) + eps)
 *   [* gamma [+ beta]]                                                  */
/* Does ReduceMean node r reduce the last axis only (-1, or rank - 1 when
 * the rank is known)?  A channels-first norm (axis 1) is no layer norm. */
static int reduces_last_axis(struct ox *c, int r)
{
	const Onnx__NodeProto *n = c->gp->node[r];
	const struct oval *x = &c->v[in_val(c, n, 0)], *av = cin(c, n, 1);
	int64_t ax[2];
	int k = attr_ints(n, "axes", ax, 2);
	if (!k && av && av->n_val == 1) {
		ax[0] = (int64_t)av->val[0];
		k = 1;
	}
	return k == 1 && (ax[0] == -1 || (x->rank > 0 && ax[0] == x->rank - 1));
}

static void find_layernorm(struct ox *c, int r1)
{
	const Onnx__NodeProto *n = c->gp->node[r1];
	int x = in_val(c, n, 0), m = out_val(c, n, 0);
	if (!reduces_last_axis(c, r1))
		return;
	int sub = single_to(c, m, "Sub");
	if (sub < 0 || in_val(c, c->gp->node[sub], 0) != x)
		return;
	int d = out_val(c, c->gp->node[sub], 0);
	if (d < 0 || c->v[d].n_cons != 2)
		return;
	/* the two users of d: Pow and Div */
	int pw = -1, dv = -1;
	for (size_t i = 0; i < c->gp->n_node; i++) {
		const Onnx__NodeProto *u = c->gp->node[i];
		for (size_t k = 0; k < u->n_input; k++)
			if (in_val(c, u, k) == d) {
				if (op_is(u, "Pow"))
					pw = (int)i;
				else if (op_is(u, "Div") && k == 0)
					dv = (int)i;
			}
	}
	if (pw < 0 || dv < 0)
		return;
	int r2 = single_to(c, out_val(c, c->gp->node[pw], 0), "ReduceMean");
	if (r2 < 0 || !reduces_last_axis(c, r2))
		return;
	int ad = single_to(c, out_val(c, c->gp->node[r2], 0), "Add");
	if (ad < 0)
		return;
	int sq = single_to(c, out_val(c, c->gp->node[ad], 0), "Sqrt");
	if (sq < 0 || out_val(c, c->gp->node[sq], 0) < 0 ||
	    c->v[out_val(c, c->gp->node[sq], 0)].first_cons != dv)
		return;
	int last = dv, gamma = -1, beta = -1;
	int mul = single_to(c, out_val(c, c->gp->node[dv], 0), "Mul");
	if (mul >= 0) {
		const Onnx__NodeProto *u = c->gp->node[mul];
		int a0 = in_val(c, u, 0), a1 = in_val(c, u, 1);
		gamma = kind_of(c, a0) == V_PARAM   ? a0
			: kind_of(c, a1) == V_PARAM ? a1
						    : -1;
	}
	if (gamma < 0)
		return; /* no affine part: not a layer norm with weights */
	last = mul;
	int add = single_to(c, out_val(c, c->gp->node[mul], 0), "Add");
	if (add >= 0) {
		const Onnx__NodeProto *u = c->gp->node[add];
		int a0 = in_val(c, u, 0), a1 = in_val(c, u, 1);
		beta = kind_of(c, a0) == V_PARAM   ? a0
		       : kind_of(c, a1) == V_PARAM ? a1
						   : -1;
		if (beta >= 0)
			last = add;
	}
	int parts[] = {r1, sub, pw, r2, ad, sq, dv, mul};
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
		c->role[parts[i]] = N_ABSORBED;
	c->role[last] = N_LAYERNORM;
	c->pat_a[last] = x;
	c->pat_b[last] = gamma;
	c->pat_flag[last] = beta >= 0;
}

/* ---------------------------------------------------------------- layers */

static int data_tensor(struct ox *c, int vid);

/* Add a layer for node `idx` writing ONNX value `out` (or a fresh tensor
 * when out < 0); returns the layer id. */
static int emit(struct ox *c, int idx, const char *suffix, enum op_kind op,
		const struct op_attrs *a, int n_in, const int *in_vals, int out)
{
	char nb[64];
	const char *base = node_name(c->gp->node[idx], idx, nb, sizeof(nb));
	char *name = xasprintf("%s%s", base, suffix ? suffix : "");
	int tin[GRAPH_MAX_IO];
	for (int i = 0; i < n_in; i++) {
		if (in_vals[i] >= 0) {
			tin[i] = data_tensor(c, in_vals[i]);
			continue;
		}
		/* an input left empty (""): reported, a placeholder keeps
		 * the graph whole until the errors are printed */
		nerr(c, idx, "input %d must name a value, got an empty name",
		     i);
		tin[i] = graph_add_tensor(c->g, "", DT_FP32, 0, NULL);
	}
	int t;
	if (out >= 0) {
		struct oval *v = &c->v[out];
		t = graph_add_tensor(c->g, name, DT_FP32,
				     v->rank >= 0 ? ps_rank(v) : 0,
				     v->rank >= 0 ? ps_dims(v) : NULL);
		v->tensor = t;
	} else {
		t = graph_add_tensor(c->g, name, DT_FP32, 0, NULL);
	}
	int id = graph_add_layer(c->g, name, op, a, n_in, tin, 1, &t);
	c->g->layers[id].src_line = 0;
	c->g->layers[id].src_col = idx + 1;
	set_origin(c, id, idx);
	if (out >= 0)
		c->v[out].layer = id;
	free(name);
	return id;
}

/* Graph tensor of a DATA value; a PARAM used as data becomes a learned
 * tensor layer (embedding without input) the first time. */
static int data_tensor(struct ox *c, int vid)
{
	struct oval *v = &c->v[vid];
	if (v->tensor >= 0)
		return v->tensor;
	if (v->kind != V_PARAM || v->rank < 1) {
		/* its producer failed (reported); keep going quietly */
		if (!c->errors)
			diag_add(c->d, c->file, 0, 0,
				 "onnx: value '%s' is used as data but has no "
				 "shape",
				 v->name);
		c->errors++;
		v->tensor = graph_add_tensor(c->g, v->name, DT_FP32, 0, NULL);
		return v->tensor;
	}
	/* PARAM used as data */
	struct op_attrs a = {0};
	int r = ps_rank(v);
	const int64_t *dd = ps_dims(v);
	a.dim = r ? dd[r - 1] : 1;
	a.vocab = 1;
	for (int i = 0; i + 1 < r; i++)
		a.vocab = ck_smul(a.vocab, dd[i]);
	char *name = xasprintf("param:%s", v->name);
	int t = graph_add_tensor(c->g, name, DT_FP32, 2,
				 (int64_t[]){a.vocab, a.dim});
	int id = graph_add_layer(c->g, name, OP_EMBEDDING, &a, 0, NULL, 1, &t);
	if (v->init >= 0) {
		if (c->init_owner[v->init] >= 0)
			c->g->layers[id].param_owner = c->init_owner[v->init];
		else
			c->init_owner[v->init] = id;
	}
	free(name);
	if (r != 2) {
		struct op_attrs ra = {0};
		ra.shape_rank = r;
		memcpy(ra.shape, dd, r * sizeof(int64_t));
		char *n2 = xasprintf("param:%s/reshape", v->name);
		int t2 = graph_add_tensor(c->g, n2, DT_FP32, r, dd);
		graph_add_layer(c->g, n2, OP_RESHAPE, &ra, 1, &t, 1, &t2);
		free(n2);
		t = t2;
	}
	v->tensor = t;
	return t;
}

/* Share weights: the first layer using initializer `init` owns it. */
static void own(struct ox *c, int layer, int vid)
{
	if (vid < 0 || c->v[vid].init < 0)
		return;
	int i = c->v[vid].init;
	if (c->init_owner[i] < 0)
		c->init_owner[i] = layer;
	else if (c->init_owner[i] != layer)
		c->g->layers[layer].param_owner =
			c->g->layers[c->init_owner[i]].param_owner;
}

/* Convert an ONNX axis of value v to a per-sample axis; -1 = batch axis. */
static int ps_axis(const struct oval *v, int64_t axis)
{
	if (axis < 0)
		axis += v->rank;
	return (int)axis - stripped(v);
}

/* A layout-only layer: output shape = the file's shape of `out`. */
static int emit_reshape(struct ox *c, int idx, int in, int out)
{
	struct oval *o = &c->v[out];
	if (o->rank < 0) {
		nerr(c, idx,
		     "output '%s' must have a shape wafersim can infer "
		     "(shape, axes or sizes inputs computed from shapes "
		     "and constants only), got none",
		     o->name);
		return -1;
	}
	struct op_attrs a = {0};
	a.shape_rank = ps_rank(o);
	memcpy(a.shape, ps_dims(o), a.shape_rank * sizeof(int64_t));
	if (val_elems(o) != val_elems(&c->v[in])) {
		nerr(c, idx,
		     "output '%s' must have the %lld elements of its "
		     "input, got %lld (only layout changes are "
		     "supported here)",
		     o->name, (long long)val_elems(&c->v[in]),
		     (long long)val_elems(o));
		return -1;
	}
	return emit(c, idx, NULL, OP_RESHAPE, &a, 1, &in, out);
}

/* auto_pad SAME_UPPER / SAME_LOWER (Keras exports): the pads that keep
 * ceil(in / stride) outputs, the odd one at the end (UPPER) or start. */
static void auto_pad(const Onnx__NodeProto *n, const struct oval *x,
		     struct op_attrs *a)
{
	const Onnx__AttributeProto *ap = attr(n, "auto_pad");
	if (!ap || !ap->s.data || x->rank != a->spatial + 2)
		return;
	int upper = ap->s.len == 10 && !memcmp(ap->s.data, "SAME_UPPER", 10);
	int lower = ap->s.len == 10 && !memcmp(ap->s.data, "SAME_LOWER", 10);
	if (!upper && !lower)
		return; /* NOTSET or VALID: pads as given (none) */
	for (int i = 0; i < a->spatial; i++) {
		int64_t in = x->dims[2 + i], st = a->stride[i];
		int64_t out = (in + st - 1) / st;
		int64_t tot = (out - 1) * st +
			      (a->kernel[i] - 1) * a->dilation[i] + 1 - in;
		if (tot < 0)
			tot = 0;
		a->pad_begin[i] = upper ? tot / 2 : tot - tot / 2;
		a->pad_end[i] = tot - a->pad_begin[i];
	}
}

static int64_t *kernel_attrs(const Onnx__NodeProto *n, struct op_attrs *a,
			     int sp)
{
	int64_t pads[6] = {0}, k[3] = {0}, s[3] = {1, 1, 1}, dl[3] = {1, 1, 1};
	attr_ints(n, "kernel_shape", k, 3);
	attr_ints(n, "strides", s, 3);
	attr_ints(n, "dilations", dl, 3);
	attr_ints(n, "pads", pads, 6);
	a->spatial = sp;
	for (int i = 0; i < sp; i++) {
		a->kernel[i] = k[i];
		a->stride[i] = s[i];
		a->dilation[i] = dl[i];
		a->pad_begin[i] = pads[i];
		a->pad_end[i] = pads[i + sp];
	}
	return a->kernel;
}

/* Elementwise ops of one data input (Pow: and an exponent); extra inputs
 * (Clip's bounds, Dropout's ratio) are constants. */
static const struct {
	const char *op;
	enum op_kind kind;
	int flops;
} unary_ops[] = {
	{"Relu", OP_RELU, 1},
	{"Sigmoid", OP_SIGMOID, 4},
	{"Tanh", OP_TANH, 4},
	{"Dropout", OP_DROPOUT, 2},
	{"Sqrt", OP_EW_UNARY, 1},
	{"Erf", OP_EW_UNARY, 8},
	{"Exp", OP_EW_UNARY, 4},
	{"Log", OP_EW_UNARY, 4},
	{"Neg", OP_EW_UNARY, 1},
	{"Reciprocal", OP_EW_UNARY, 1},
	{"Clip", OP_EW_UNARY, 2},
	{"Abs", OP_EW_UNARY, 1},
	{"Pow", OP_EW_UNARY, 2},
	{"Gelu", OP_GELU, 8},
	{"HardSigmoid", OP_EW_UNARY, 3},
	{"HardSwish", OP_EW_UNARY, 4},
	{"LeakyRelu", OP_EW_UNARY, 2},
	{"Elu", OP_EW_UNARY, 4},
	{"Selu", OP_EW_UNARY, 5},
	{"Celu", OP_EW_UNARY, 5},
	{"Softplus", OP_EW_UNARY, 4},
	{"Softsign", OP_EW_UNARY, 3},
	{"Mish", OP_EW_UNARY, 12},
	{"ThresholdedRelu", OP_EW_UNARY, 1},
	{"Floor", OP_EW_UNARY, 1},
	{"Ceil", OP_EW_UNARY, 1},
	{"Round", OP_EW_UNARY, 1},
	{"Sign", OP_EW_UNARY, 1},
	{"Sin", OP_EW_UNARY, 4},
	{"Cos", OP_EW_UNARY, 4},
};

static void lower(char *dst, const char *src, size_t n)
{
	size_t i = 0;
	for (; src[i] && i + 1 < n; i++)
		dst[i] = (char)(src[i] >= 'A' && src[i] <= 'Z' ? src[i] + 32
							       : src[i]);
	dst[i] = 0;
}

static int infer_missing(struct ox *c, int idx, const Onnx__NodeProto *n);

static void node_gemm(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	struct op_attrs a = {0};
	int x = in_val(c, n, 0), out = out_val(c, n, 0);
	int id;
	int w = in_val(c, n, 1);
	if (kind_of(c, w) == V_PARAM && c->v[w].rank == 2) {
		int tb = op_is(n, "Gemm") && attr_i(n, "transB", 0);
		if (op_is(n, "Gemm") && attr_i(n, "transA", 0)) {
			nerr(c, idx, "transA=1 must not be used, got it");
			return;
		}
		a.units = c->v[w].dims[tb ? 0 : 1];
		int64_t k = c->v[w].dims[tb ? 1 : 0];
		const struct oval *xv = &c->v[x];
		if (xv->rank >= 1 && xv->dims[xv->rank - 1] != k) {
			char s1[96], s2[96];
			nerr(c, idx,
			     "input '%s' %s must have %lld in its last "
			     "dimension to match weight '%s' %s%s, got %lld",
			     xv->name, shape_str(s1, 96, xv->rank, xv->dims),
			     (long long)k, c->v[w].name,
			     shape_str(s2, 96, 2, c->v[w].dims),
			     tb ? " (transB)" : "",
			     (long long)xv->dims[xv->rank - 1]);
			return;
		}
		int b = in_val(c, n, 2);
		a.bias = b >= 0;
		id = emit(c, idx, NULL, OP_DENSE, &a, 1, &x, out);
		own(c, id, w);
		return;
	}
	if (kind_of(c, w) != V_DATA && kind_of(c, w) != V_PARAM) {
		nerr(c, idx,
		     "second input must be a weight or data, "
		     "got a constant");
		return;
	}
	int in2[2] = {x, w};
	emit(c, idx, NULL, OP_MATMUL, &a, 2, in2, out);
}

static void node_conv(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	struct op_attrs a = {0};
	int x = in_val(c, n, 0), out = out_val(c, n, 0);
	int id;
	int w = in_val(c, n, 1), b = in_val(c, n, 2);
	if (kind_of(c, w) != V_PARAM || c->v[w].rank < 3 || c->v[w].rank > 5) {
		nerr(c, idx,
		     "weights must be an initializer of rank 3 "
		     "to 5");
		return;
	}
	kernel_attrs(n, &a, c->v[w].rank - 2);
	if (!attr(n, "kernel_shape"))
		for (int i = 0; i < a.spatial; i++)
			a.kernel[i] = c->v[w].dims[2 + i];
	a.out_channels = c->v[w].dims[0];
	a.groups = attr_i(n, "group", 1);
	auto_pad(n, &c->v[x], &a);
	a.bias = b >= 0;
	/* eval-mode export folded a batch norm into this conv */
	int folded = b >= 0 && !strncmp(c->v[b].name, "onnx::", 6) &&
		     !strncmp(c->v[w].name, "onnx::", 6);
	if (folded) {
		a.bias = 0;
		id = emit(c, idx, NULL, OP_CONV, &a, 1, &x, -1);
		own(c, id, w);
		int t = c->g->layers[id].out[0];
		struct op_attrs bn = {0};
		char nb[64];
		char *name =
			xasprintf("%s/bn", node_name(n, idx, nb, sizeof(nb)));
		struct oval *o = &c->v[out];
		int t2 = graph_add_tensor(c->g, name, DT_FP32,
					  o->rank >= 0 ? ps_rank(o) : 0,
					  o->rank >= 0 ? ps_dims(o) : NULL);
		int id2 = graph_add_layer(c->g, name, OP_BATCHNORM, &bn, 1, &t,
					  1, &t2);
		c->g->layers[id2].src_col = idx + 1;
	set_origin(c, id2, idx);
		set_origin(c, id2, idx);
		o->tensor = t2;
		o->layer = id2;
		free(name);
		return;
	}
	id = emit(c, idx, NULL, OP_CONV, &a, 1, &x, out);
	own(c, id, w);
}

static void node_pool(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	struct op_attrs a = {0};
	int x = in_val(c, n, 0), out = out_val(c, n, 0);
	int r = c->v[x].rank;
	if (r < 3 || r > 5) {
		nerr(c, idx,
		     "input must be [batch, channels, 1 to 3 "
		     "spatial dims]");
		return;
	}
	kernel_attrs(n, &a, r - 2);
	auto_pad(n, &c->v[x], &a);
	a.ceil_mode = (int)attr_i(n, "ceil_mode", 0);
	emit(c, idx, NULL, op_is(n, "MaxPool") ? OP_MAXPOOL : OP_AVGPOOL, &a, 1,
	     &x, out);
}

static void node_global_pool(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	struct op_attrs a = {0};
	int x = in_val(c, n, 0), out = out_val(c, n, 0);
	emit(c, idx, NULL, OP_GLOBALAVGPOOL, &a, 1, &x, out);
}

static void node_batchnorm(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	struct op_attrs a = {0};
	int x = in_val(c, n, 0), out = out_val(c, n, 0);
	int id;
	id = emit(c, idx, NULL, OP_BATCHNORM, &a, 1, &x, out);
	own(c, id, in_val(c, n, 1));
}

static void node_layernorm(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	struct op_attrs a = {0};
	int x = in_val(c, n, 0), out = out_val(c, n, 0);
	int id;
	a.bias = in_val(c, n, 2) >= 0;
	if (attr_i(n, "axis", -1) != -1 &&
	    attr_i(n, "axis", -1) != c->v[x].rank - 1) {
		nerr(c, idx, "'axis' must be the last axis, got %lld",
		     (long long)attr_i(n, "axis", -1));
		return;
	}
	id = emit(c, idx, NULL, OP_LAYERNORM, &a, 1, &x, out);
	own(c, id, in_val(c, n, 1));
}

static void node_softmax(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	struct op_attrs a = {0};
	int x = in_val(c, n, 0), out = out_val(c, n, 0);
	int ax = ps_axis(&c->v[x], attr_i(n, "axis", -1));
	a.axis = ax - ps_rank(&c->v[x]); /* negative: robust */
	if (ax < 0) {
		nerr(c, idx,
		     "softmax over the batch axis is not "
		     "supported");
		return;
	}
	emit(c, idx, NULL, OP_SOFTMAX, &a, 1, &x, out);
}

static void node_gather(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	struct op_attrs a = {0};
	int x = in_val(c, n, 0), out = out_val(c, n, 0);
	int id;
	int ids = in_val(c, n, 1);
	if (kind_of(c, x) == V_PARAM && kind_of(c, ids) == V_DATA &&
	    c->v[x].rank == 2 && attr_i(n, "axis", 0) == 0) {
		a.vocab = c->v[x].dims[0];
		a.dim = c->v[x].dims[1];
		id = emit(c, idx, NULL, OP_EMBEDDING, &a, 1, &ids, out);
		own(c, id, x);
		return;
	}
	if (kind_of(c, ids) != V_CONST) {
		nerr(c, idx,
		     "only embedding lookups (table initializer, "
		     "data indices) and constant indices are "
		     "supported");
		return;
	}
	/* constant index: a slice, then drop the axis */
	int ax = ps_axis(&c->v[x], attr_i(n, "axis", 0));
	if (ax < 0) {
		nerr(c, idx,
		     "gathering along the batch axis is not "
		     "supported");
		return;
	}
	a.axis = ax;
	a.start = 0;
	a.end = 1;
	a.step = 1;
	id = emit(c, idx, "/slice", OP_SLICE, &a, 1, &x, -1);
	int t = c->g->layers[id].out[0];
	struct oval *o = &c->v[out];
	if (o->rank < 0) {
		nerr(c, idx,
		     "output must have a shape wafersim can infer "
		     "(constant indices), got none");
		return;
	}
	struct op_attrs ra = {0};
	ra.shape_rank = ps_rank(o);
	memcpy(ra.shape, ps_dims(o), ra.shape_rank * sizeof(int64_t));
	char nb[64];
	char *name = xasprintf("%s", node_name(n, idx, nb, sizeof(nb)));
	int t2 = graph_add_tensor(c->g, name, DT_FP32, ra.shape_rank, ra.shape);
	int id2 = graph_add_layer(c->g, name, OP_RESHAPE, &ra, 1, &t, 1, &t2);
	c->g->layers[id2].src_col = idx + 1;
	set_origin(c, id2, idx);
	o->tensor = t2;
	o->layer = id2;
	free(name);
}

static void node_binary(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	struct op_attrs a = {0};
	int x = in_val(c, n, 0), out = out_val(c, n, 0);
	int y = in_val(c, n, 1);
	enum op_kind k = op_is(n, "Add")   ? OP_ADD
			 : op_is(n, "Sub") ? OP_SUB
			 : op_is(n, "Mul") ? OP_MUL
					   : OP_DIV;
	int kx = kind_of(c, x), ky = kind_of(c, y);
	/* bias after a weight MatMul: fold into the dense layer */
	if (k == OP_ADD && (kx == V_PARAM || ky == V_PARAM)) {
		int b = kx == V_PARAM ? x : y, d = kx == V_PARAM ? y : x;
		int pl = c->v[d].layer;
		if (kind_of(c, d) == V_DATA && pl >= 0 && c->v[d].n_cons == 1 &&
		    c->v[b].rank == 1 && c->g->layers[pl].op == OP_DENSE &&
		    !c->g->layers[pl].attrs.bias &&
		    c->g->layers[pl].attrs.units == c->v[b].dims[0]) {
			c->g->layers[pl].attrs.bias = 1;
			c->v[out].tensor = c->v[d].tensor;
			c->v[out].layer = pl;
			return;
		}
	}
	if (kx == V_CONST || ky == V_CONST) {
		int d = kx == V_CONST ? y : x;
		if (val_elems(&c->v[out]) != val_elems(&c->v[d]) &&
		    c->v[out].rank >= 0) {
			nerr(c, idx,
			     "a constant operand must not "
			     "broadcast the data, got %lld "
			     "elements from %lld",
			     (long long)val_elems(&c->v[out]),
			     (long long)val_elems(&c->v[d]));
			return;
		}
		a.ew_flops_per_elem = 1;
		lower(a.ew_name, n->op_type, sizeof(a.ew_name));
		emit(c, idx, NULL, OP_EW_UNARY, &a, 1, &d, out);
		return;
	}
	int in2[2] = {x, y};
	emit(c, idx, NULL, k, &a, 2, in2, out);
}

static void node_where(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	struct op_attrs a = {0};
	int x = in_val(c, n, 0), out = out_val(c, n, 0);
	int d = -1, nd = 0;
	for (size_t i = 0; i < n->n_input; i++) {
		int k = in_val(c, n, i);
		if (kind_of(c, k) == V_DATA || kind_of(c, k) == V_PARAM) {
			d = k;
			nd++;
		}
	}
	if (nd != 1 || kind_of(c, x) != V_CONST) {
		nerr(c, idx,
		     "only a constant condition selecting "
		     "from one data input is supported");
		return;
	}
	a.ew_flops_per_elem = 1;
	snprintf(a.ew_name, sizeof(a.ew_name), "where");
	emit(c, idx, NULL, OP_EW_UNARY, &a, 1, &d, out);
}

static void node_concat(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	struct op_attrs a = {0};
	int x = in_val(c, n, 0), out = out_val(c, n, 0);
	int ins[GRAPH_MAX_IO];
	if (n->n_input > GRAPH_MAX_IO) {
		nerr(c, idx, "must have at most %d inputs, got %zu",
		     GRAPH_MAX_IO, n->n_input);
		return;
	}
	for (size_t i = 0; i < n->n_input; i++) {
		ins[i] = in_val(c, n, i);
		if (kind_of(c, ins[i]) == V_CONST) {
			nerr(c, idx,
			     "constant inputs to a data concat "
			     "are not supported");
			return;
		}
	}
	int ax = ps_axis(&c->v[x], attr_i(n, "axis", 0));
	if (ax < 0) {
		nerr(c, idx,
		     "concatenating along the batch axis is "
		     "not supported");
		return;
	}
	a.axis = ax;
	emit(c, idx, NULL, OP_CONCAT, &a, (int)n->n_input, ins, out);
}

static void node_split(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	struct op_attrs a = {0};
	int x = in_val(c, n, 0);
	int id;
	if (n->n_output > GRAPH_MAX_IO) {
		nerr(c, idx, "must have at most %d outputs", GRAPH_MAX_IO);
		return;
	}
	int ax = ps_axis(&c->v[x], attr_i(n, "axis", 0));
	int outs[GRAPH_MAX_IO];
	for (size_t i = 0; i < n->n_output; i++) {
		int o = out_val(c, n, i);
		if (o < 0 || c->v[o].rank < 0) {
			nerr(c, idx,
			     "outputs must have shapes wafersim can infer "
			     "(constant 'split' sizes), got none");
			return;
		}
		outs[i] = o;
	}
	if (ax < 0) {
		/* splitting the (size 1) batch axis: one copy per part
		 */
		for (size_t i = 0; i < n->n_output; i++)
			emit_reshape(c, idx, x, outs[i]);
		return;
	}
	a.axis = ax;
	int tin = data_tensor(c, x), touts[GRAPH_MAX_IO];
	char nb[64];
	const char *base = node_name(n, idx, nb, sizeof(nb));
	for (size_t i = 0; i < n->n_output; i++) {
		struct oval *o = &c->v[outs[i]];
		a.sizes[i] = o->dims[ax + stripped(&c->v[x])];
		char *tn = xasprintf("%s:%zu", base, i);
		touts[i] = graph_add_tensor(c->g, tn, DT_FP32, ps_rank(o),
					    ps_dims(o));
		o->tensor = touts[i];
		free(tn);
	}
	id = graph_add_layer(c->g, base, OP_SPLIT, &a, 1, &tin,
			     (int)n->n_output, touts);
	c->g->layers[id].src_col = idx + 1;
	set_origin(c, id, idx);
	for (size_t i = 0; i < n->n_output; i++)
		c->v[outs[i]].layer = id;
}

/* Slice: one slice layer per axis whose size changes (free layout work);
 * the batch axis must keep its size. */
static void node_slice(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	struct op_attrs a = {0};
	int x = in_val(c, n, 0), out = out_val(c, n, 0);
	struct oval *o = &c->v[out], *iv = &c->v[x];
	if (o->rank < 0 || o->rank != iv->rank) {
		nerr(c, idx,
		     "output must have a shape wafersim can infer (constant "
		     "starts, ends, axes and steps) of the input's rank, got "
		     "none");
		return;
	}
	int axes[OX_MAX_RANK], k = 0;
	for (int i = 0; i < o->rank; i++)
		if (o->dims[i] != iv->dims[i]) {
			if (ps_axis(iv, i) < 0) {
				nerr(c, idx,
				     "slicing the batch axis is not "
				     "supported");
				return;
			}
			axes[k++] = i;
		}
	if (!k) {
		emit_reshape(c, idx, x, out);
		return;
	}
	int in = x;
	for (int j = 0; j < k; j++) {
		a.axis = ps_axis(iv, axes[j]);
		a.start = 0;
		a.end = o->dims[axes[j]];
		a.step = 1;
		if (j + 1 == k) {
			emit(c, idx, NULL, OP_SLICE, &a, 1, &in, out);
			break;
		}
		char sfx[32];
		snprintf(sfx, sizeof(sfx), "/axis%d", axes[j]);
		int id = emit(c, idx, sfx, OP_SLICE, &a, 1, &in, -1);
		/* an unnamed ONNX value for the intermediate result */
		in = val_get(c, c->g->tensors[c->g->layers[id].out[0]].name);
		c->v[in].kind = V_DATA;
		c->v[in].tensor = c->g->layers[id].out[0];
		c->v[in].layer = id;
	}
}

static void node_transpose(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	struct op_attrs a = {0};
	int x = in_val(c, n, 0), out = out_val(c, n, 0);
	struct oval *iv = &c->v[x];
	int64_t perm[OX_MAX_RANK];
	int r = attr_ints(n, "perm", perm, OX_MAX_RANK);
	if (r == 0) { /* default: reverse */
		r = iv->rank;
		for (int i = 0; i < r; i++)
			perm[i] = r - 1 - i;
	}
	struct oval *o = &c->v[out];
	if (o->rank < 0 && iv->rank == r) {
		o->rank = r;
		for (int i = 0; i < r; i++)
			o->dims[i] = iv->dims[perm[i]];
	}
	if (stripped(iv) && stripped(o) && perm[0] == 0 && r == iv->rank) {
		a.perm_rank = r - 1;
		for (int i = 1; i < r; i++)
			a.perm[i - 1] = perm[i] - 1;
		emit(c, idx, NULL, OP_TRANSPOSE, &a, 1, &x, out);
		return;
	}
	emit_reshape(c, idx, x, out);
}

static void node_flatten(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	int x = in_val(c, n, 0), out = out_val(c, n, 0);
	struct oval *iv = &c->v[x], *o = &c->v[out];
	if (o->rank < 0 && iv->rank >= 0) {
		int ax = (int)attr_i(n, "axis", 1);
		if (ax < 0)
			ax += iv->rank;
		int64_t a0 = 1, a1 = 1;
		for (int i = 0; i < iv->rank; i++)
			*(i < ax ? &a0 : &a1) =
				ck_smul(*(i < ax ? &a0 : &a1), iv->dims[i]);
		o->rank = 2;
		o->dims[0] = a0;
		o->dims[1] = a1;
	}
	emit_reshape(c, idx, x, out);
}

static void node_layout(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	int x = in_val(c, n, 0), out = out_val(c, n, 0);
	struct oval *iv = &c->v[x], *o = &c->v[out];
	if (o->rank < 0 && (op_is(n, "Identity") || op_is(n, "Cast"))) {
		o->rank = iv->rank;
		memcpy(o->dims, iv->dims, sizeof(o->dims));
	}
	emit_reshape(c, idx, x, out);
}

/* ConvTranspose: weights [in channels, filters / group, kernel...]; pads
 * from output_shape or auto_pad SAME_* when given (the ONNX spec's rule). */
static void node_conv_transpose(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	struct op_attrs a = {0};
	int x = in_val(c, n, 0), out = out_val(c, n, 0);
	int w = in_val(c, n, 1), b = in_val(c, n, 2);
	const struct oval *wv = w >= 0 ? &c->v[w] : NULL, *xv = &c->v[x];
	if (kind_of(c, w) != V_PARAM || wv->rank < 3 || wv->rank > 5 ||
	    xv->rank != wv->rank) {
		nerr(c, idx,
		     "weights must be an initializer of rank 3 to 5, the "
		     "input's rank %d, got %s",
		     xv->rank, w < 0 ? "none" : "another value");
		return;
	}
	kernel_attrs(n, &a, wv->rank - 2);
	if (!attr(n, "kernel_shape"))
		for (int i = 0; i < a.spatial; i++)
			a.kernel[i] = wv->dims[2 + i];
	a.groups = attr_i(n, "group", 1);
	a.out_channels = wv->dims[1] * a.groups;
	a.bias = b >= 0;
	attr_ints(n, "output_padding", a.output_padding, 3);
	int64_t shape[3];
	const Onnx__AttributeProto *ap = attr(n, "auto_pad");
	int upper =
		ap && ap->s.len == 10 && !memcmp(ap->s.data, "SAME_UPPER", 10);
	int lower =
		ap && ap->s.len == 10 && !memcmp(ap->s.data, "SAME_LOWER", 10);
	int given = attr_ints(n, "output_shape", shape, 3);
	if (given && given != a.spatial) {
		nerr(c, idx, "'output_shape' must have %d entries, got %d",
		     a.spatial, given);
		return;
	}
	for (int i = 0; (given || upper || lower) && i < a.spatial; i++) {
		int64_t in = xv->dims[2 + i], st = a.stride[i];
		int64_t want = given ? shape[i] : in * st;
		int64_t tot = st * (in - 1) + a.output_padding[i] +
			      (a.kernel[i] - 1) * a.dilation[i] + 1 - want;
		a.pad_begin[i] = upper ? tot / 2 : tot - tot / 2;
		a.pad_end[i] = tot - a.pad_begin[i];
	}
	int id = emit(c, idx, NULL, OP_CONV_TRANSPOSE, &a, 1, &x, out);
	own(c, id, w);
}

/* ReduceMean, ReduceSum, ReduceMax, ReduceMin: axes from the attribute or
 * (opset 18) a constant input; never the batch axis. */
static void node_reduce(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	struct op_attrs a = {0};
	int x = in_val(c, n, 0), out = out_val(c, n, 0);
	const struct oval *xv = &c->v[x], *ax = cin(c, n, 1);
	int64_t axes[OX_MAX_RANK];
	int k = attr_ints(n, "axes", axes, OX_MAX_RANK);
	if (!k && ax && ax->n_val <= OX_MAX_RANK)
		for (int64_t i = 0; i < ax->n_val; i++)
			axes[k++] = (int64_t)ax->val[i];
	if (!k && in_val(c, n, 1) >= 0 && !ax) {
		nerr(c, idx, "'axes' input must be constant, got data");
		return;
	}
	if (!k && attr_i(n, "noop_with_empty_axes", 0)) {
		emit_reshape(c, idx, x, out);
		return;
	}
	for (int i = 0; i < (k ? k : xv->rank); i++) {
		int64_t q = k ? axes[i] : i;
		if (q < -xv->rank || q >= xv->rank) {
			nerr(c, idx, "axis must be in [%d, %d], got %lld",
			     -xv->rank, xv->rank - 1, (long long)q);
			return;
		}
		int p = ps_axis(xv, q);
		if (p < 0) {
			nerr(c, idx,
			     "reducing over the batch axis is not supported "
			     "(axes %s)",
			     k ? "as given" : "absent: all of them");
			return;
		}
		a.axes_mask |= 1u << p;
	}
	a.keepdims = (int)attr_i(n, "keepdims", 1);
	lower(a.ew_name, n->op_type + 6, sizeof(a.ew_name));
	emit(c, idx, NULL, OP_REDUCE, &a, 1, &x, out);
}

/* Resize (opset 10+: X, roi, scales, sizes; opset 10: X, scales) and
 * Upsample (X, scales): per-sample scales or sizes from constants. */
static void node_resize(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	struct op_attrs a = {0};
	int x = in_val(c, n, 0), out = out_val(c, n, 0);
	const struct oval *xv = &c->v[x];
	int two = op_is(n, "Upsample") || n->n_input == 2;
	const struct oval *sc = cin(c, n, two ? 1 : 2);
	const struct oval *sz = two ? NULL : cin(c, n, 3);
	int st = stripped(xv), r = xv->rank;
	if (sz && sz->n_val == r) {
		a.shape_rank = r - st;
		for (int i = st; i < r; i++)
			a.shape[i - st] = (int64_t)sz->val[i];
	} else if (sc && sc->n_val == r) {
		for (int i = st; i < r; i++)
			a.scale[i - st] = sc->val[i];
	} else {
		nerr(c, idx,
		     "scales or sizes must be constants with one entry per "
		     "axis (%d), got none",
		     r);
		return;
	}
	if (st && ((sz && sz->n_val == r && sz->val[0] != 1) ||
		   (!(sz && sz->n_val == r) && sc->val[0] != 1))) {
		nerr(c, idx, "resizing the batch axis is not supported");
		return;
	}
	const Onnx__AttributeProto *m = attr(n, "mode");
	snprintf(a.ew_name, sizeof(a.ew_name), "%.*s",
		 m && m->s.data ? (int)m->s.len : 7,
		 m && m->s.data ? (const char *)m->s.data : "nearest");
	if (!strcmp(a.ew_name, "bilinear") || !strcmp(a.ew_name, "trilinear"))
		snprintf(a.ew_name, sizeof(a.ew_name), "linear");
	emit(c, idx, NULL, OP_RESIZE, &a, 1, &x, out);
}

/* Pad (opset 11+: constant pads [begins.., ends..] [, value [, axes]];
 * before: the 'pads' attribute); any mode: a layout copy. */
static void node_pad(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	struct op_attrs a = {0};
	int x = in_val(c, n, 0), out = out_val(c, n, 0);
	const struct oval *xv = &c->v[x], *pv = cin(c, n, 1),
			  *av = cin(c, n, 3);
	int64_t pads[2 * OX_MAX_RANK], axes[OX_MAX_RANK];
	int np = pv ? (int)pv->n_val
		    : attr_ints(n, "pads", pads, 2 * OX_MAX_RANK);
	int na = av ? (int)av->n_val : xv->rank;
	if ((pv && pv->n_val > 2 * OX_MAX_RANK) || na > OX_MAX_RANK ||
	    np != 2 * na) {
		nerr(c, idx,
		     "pads must be constant, 2 per padded axis (%d), got %d",
		     na, np);
		return;
	}
	for (int i = 0; pv && i < np; i++)
		pads[i] = (int64_t)pv->val[i];
	for (int i = 0; i < na; i++) {
		axes[i] = av ? (int64_t)av->val[i] : i;
		int p = ps_axis(xv, axes[i]);
		if (p < 0 && (pads[i] || pads[i + na])) {
			nerr(c, idx, "padding the batch axis is not supported");
			return;
		}
		if (p < 0)
			continue;
		int k = ps_rank(xv) - 1 - p; /* from the end */
		if (k < 0 || k >= GRAPH_MAX_DIMS) {
			nerr(c, idx, "axis %lld must be an axis of the input",
			     (long long)axes[i]);
			return;
		}
		a.pads[0][k] = pads[i];
		a.pads[1][k] = pads[i + na];
	}
	emit(c, idx, NULL, OP_PAD, &a, 1, &x, out);
}

static void node_unary(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	struct op_attrs a = {0};
	int x = in_val(c, n, 0), out = out_val(c, n, 0);
	for (size_t i = 0; i < ARRAY_SIZE(unary_ops); i++)
		if (op_is(n, unary_ops[i].op)) {
			a.ew_flops_per_elem = unary_ops[i].flops;
			lower(a.ew_name, n->op_type, sizeof(a.ew_name));
			if (unary_ops[i].kind == OP_DROPOUT)
				a.rate = 0;
			emit(c, idx, NULL, unary_ops[i].kind, &a, 1, &x, out);
			return;
		}
}

/* The inputs each ONNX op must have (the first min_in named, ONNX operator
 * specs' required inputs) and may have: checked for every node before any
 * rule reads them, and again by the emitters (one table for both).  Ops
 * not listed are left to the rules: unary ones take 1 to 3, others are
 * reported as unsupported (Dropout: ratio and training mode optional). */
static const struct {
	const char *op;
	int min_in, max_in;
} op_inputs[] = {
	{"Gemm", 2, 3},
	{"MatMul", 2, 2},
	{"Conv", 2, 3},
	{"MaxPool", 1, 1},
	{"AveragePool", 1, 1},
	{"GlobalAveragePool", 1, 1},
	{"GlobalMaxPool", 1, 1},
	{"ConvTranspose", 2, 3},
	{"ReduceMean", 1, 2},
	{"ReduceSum", 1, 2},
	{"ReduceMax", 1, 2},
	{"ReduceMin", 1, 2},
	{"Resize", 1, 4},
	{"Upsample", 2, 2},
	{"Pad", 1, 4},
	{"BatchNormalization", 5, 5},
	{"LayerNormalization", 2, 3},
	{"Softmax", 1, 1},
	{"LogSoftmax", 1, 1},
	{"Gather", 2, 2},
	{"Add", 2, 2},
	{"Sub", 2, 2},
	{"Mul", 2, 2},
	{"Div", 2, 2},
	{"Where", 3, 3},
	{"Concat", 1, GRAPH_MAX_IO},
	{"Split", 1, 2},
	{"Slice", 1, 5},
	{"Transpose", 1, 1},
	{"Flatten", 1, 1},
	{"Reshape", 2, 2},
	{"Squeeze", 1, 2},
	{"Unsqueeze", 1, 2},
	{"Identity", 1, 1},
	{"Cast", 1, 1},
	{"Expand", 2, 2},
	{"Pow", 2, 2},
	{"Mod", 2, 2},
	{"Equal", 2, 2},
	{"Range", 3, 3},
	{"Shape", 1, 1},
	{"Size", 1, 1},
	{"ConstantOfShape", 1, 1},
	{"Relu", 1, 1},
	{"Sigmoid", 1, 1},
	{"Tanh", 1, 1},
	{"Erf", 1, 1},
	{"Sqrt", 1, 1},
	{"Neg", 1, 1},
	{"Ceil", 1, 1},
	{"Floor", 1, 1},
	{"Dropout", 1, 3},
	{"Gelu", 1, 1},
};

/* The inputs n's op type must and may have (op_inputs[]): 1, or 0 when
 * the op is not listed (lo, hi untouched). */
static int node_inputs(const Onnx__NodeProto *n, int *lo, int *hi)
{
	for (size_t k = 0; n->op_type && k < ARRAY_SIZE(op_inputs); k++)
		if (!strcmp(n->op_type, op_inputs[k].op)) {
			*lo = op_inputs[k].min_in;
			*hi = op_inputs[k].max_in;
			return 1;
		}
	return 0;
}

/* ONNX op type and the emitter of its layers (its inputs: op_inputs[]). */
static const struct {
	const char *op;
	void (*emit)(struct ox *c, int idx);
} node_emitters[] = {
	{"Gemm", node_gemm},
	{"MatMul", node_gemm},
	{"Conv", node_conv},
	{"MaxPool", node_pool},
	{"AveragePool", node_pool},
	{"GlobalAveragePool", node_global_pool},
	{"GlobalMaxPool", node_global_pool},
	{"ConvTranspose", node_conv_transpose},
	{"ReduceMean", node_reduce},
	{"ReduceSum", node_reduce},
	{"ReduceMax", node_reduce},
	{"ReduceMin", node_reduce},
	{"Resize", node_resize},
	{"Upsample", node_resize},
	{"Pad", node_pad},
	{"BatchNormalization", node_batchnorm},
	{"LayerNormalization", node_layernorm},
	{"Softmax", node_softmax},
	{"LogSoftmax", node_softmax},
	{"Gather", node_gather},
	{"Add", node_binary},
	{"Sub", node_binary},
	{"Mul", node_binary},
	{"Div", node_binary},
	{"Where", node_where},
	{"Concat", node_concat},
	{"Split", node_split},
	{"Slice", node_slice},
	{"Transpose", node_transpose},
	{"Flatten", node_flatten},
	{"Reshape", node_layout},
	{"Squeeze", node_layout},
	{"Unsqueeze", node_layout},
	{"Identity", node_layout},
	{"Cast", node_layout},
	{"Expand", node_layout},
};

/* Nodes the pattern pass claimed: absorbed ones emit nothing, the last
 * node of a pattern emits the fused layer; 1 if the node was handled. */
static int node_pattern(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	struct op_attrs a = {0};
	int out = out_val(c, n, 0);
	int id;

	if (c->role[idx] == N_GELU) {
		int xin = c->pat_a[idx];
		emit(c, idx, NULL, OP_GELU, &a, 1, &xin, out);
		return 1;
	}
	if (c->role[idx] == N_LAYERNORM) {
		int xin = c->pat_a[idx];
		a.bias = c->pat_flag[idx];
		id = emit(c, idx, NULL, OP_LAYERNORM, &a, 1, &xin, out);
		own(c, id, c->pat_b[idx]);
		return 1;
	}
	if (c->role[idx] == N_ATTENTION) {
		int in3[3] = {c->pat_a[idx], c->pat_b[idx], c->pat_c[idx]};
		const struct oval *q = &c->v[in3[0]];
		a.k_transposed = c->pat_flag[idx] & 1;
		a.causal = (c->pat_flag[idx] >> 1) & 1;
		a.heads = ps_rank(q) == 3 ? ps_dims(q)[0] : 1;
		emit(c, idx, NULL, OP_ATTENTION, &a, 3, in3, out);
		return 1;
	}
	return 0;
}

/* An 'axis' attribute must name an axis of the first input (Flatten: or
 * the end) before anything uses it; 0 or -1 (reported, the value as
 * read). */
static int node_axis_ok(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	const Onnx__AttributeProto *ap = attr(n, "axis");
	int x = in_val(c, n, 0);
	if (!ap || x < 0 || c->v[x].rank < 0)
		return 0;
	int64_t r = c->v[x].rank, hi = op_is(n, "Flatten") ? r : r - 1;
	if (ap->i < -r || ap->i > hi) {
		nerr(c, idx, "'axis' must be in [%lld, %lld], got %lld",
		     (long long)-r, (long long)hi, (long long)ap->i);
		return -1;
	}
	return 0;
}

/* The node has lo to hi inputs, the first lo of them named; 0 or -1
 * (reported). */
static int node_arity(struct ox *c, int idx, int lo, int hi)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	if (n->n_input < (size_t)lo || n->n_input > (size_t)hi) {
		if (lo == hi)
			nerr(c, idx, "'input' must list %d input%s, got %zu",
			     lo, lo == 1 ? "" : "s", n->n_input);
		else
			nerr(c, idx,
			     "'input' must list %d to %d inputs, got %zu", lo,
			     hi, n->n_input);
		return -1;
	}
	for (int i = 0; i < lo; i++)
		if (in_val(c, n, (size_t)i) < 0) {
			nerr(c, idx,
			     "input %d must be given, got an empty name", i);
			return -1;
		}
	return node_axis_ok(c, idx);
}

/* An op type with no emitter: the error lists every op supported on data
 * (from the tables, so it cannot go stale). */
static void unsupported(struct ox *c, int idx)
{
	char list[2048];
	size_t k = 0;
	for (size_t i = 0; i < ARRAY_SIZE(node_emitters); i++)
		k += (size_t)snprintf(
			list + k, k < sizeof(list) ? sizeof(list) - k : 0,
			"%s%s", i ? ", " : "", node_emitters[i].op);
	for (size_t i = 0; i < ARRAY_SIZE(unary_ops); i++)
		k += (size_t)snprintf(list + k,
				      k < sizeof(list) ? sizeof(list) - k : 0,
				      ", %s", unary_ops[i].op);
	nerr(c, idx,
	     "op type '%s' is not supported on data; supported: %s; on "
	     "shapes and constants also Shape, Constant, ConstantOfShape, "
	     "Range, Equal, Mod, Trilu and any other op",
	     c->gp->node[idx]->op_type, list);
}

/* Shapes of the layers node idx added (ids first ..), by wafersim's own
 * rules, and from them the ONNX shapes (batch 1 first) of the node's
 * outputs the file declares none for.  The file's declared shapes are
 * compared with ours at the end (check_file_shapes). */
static void node_shapes(struct ox *c, int idx, int first)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	if (c->errors)
		return; /* a failed node's consumers stay quiet */
	for (int id = first; id < c->g->n_layers; id++)
		if (op_infer_layer(c->g, id, c->d)) {
			c->errors++;
			return;
		}
	/* the outputs have a batch axis when the data input has one (a
	 * transpose may have moved it: then it is an ordinary axis of 1) */
	int batch = 1, xin = c->role[idx] != N_NORMAL ? c->pat_a[idx] : -1;
	for (int pass = 0; pass < 2; pass++) /* data first, then weights */
		for (size_t k = 0; xin < 0 && k < n->n_input; k++) {
			int vid = in_val(c, n, k);
			if (vid >= 0 && c->v[vid].rank >= 0 &&
			    c->v[vid].kind == (pass ? V_PARAM : V_DATA))
				xin = vid;
		}
	if (xin >= 0 && c->v[xin].rank >= 0)
		batch = stripped(&c->v[xin]);
	for (size_t k = 0; k < n->n_output; k++) {
		int vid = out_val(c, n, k);
		if (vid < 0 || c->v[vid].rank >= 0 || c->v[vid].tensor < 0)
			continue;
		struct oval *v = &c->v[vid];
		const struct tensor *t = &c->g->tensors[v->tensor];
		if (t->rank + batch > OX_MAX_RANK)
			continue;
		v->rank = t->rank + batch;
		v->dims[0] = 1;
		memcpy(v->dims + batch, t->dims, t->rank * sizeof(int64_t));
	}
}

static void node_layers(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	int first = c->g->n_layers;
	if (c->role[idx] == N_ABSORBED)
		return;
	if (infer_missing(c, idx, n))
		return;
	if (!node_pattern(c, idx)) {
		void (*fn)(struct ox *, int) = NULL;
		int lo = 1, hi = 3;
		node_inputs(n, &lo, &hi);
		for (size_t i = 0; !fn && i < ARRAY_SIZE(node_emitters); i++)
			if (op_is(n, node_emitters[i].op))
				fn = node_emitters[i].emit;
		for (size_t i = 0; !fn && i < ARRAY_SIZE(unary_ops); i++)
			if (op_is(n, unary_ops[i].op))
				fn = node_unary;
		if (!fn) {
			unsupported(c, idx);
			return;
		}
		if (node_arity(c, idx, lo, hi))
			return;
		fn(c, idx);
	}
	node_shapes(c, idx, first);
}

/* ------------------------------------------------------------- folding */

/* Values of an ONNX tensor held inline (Constant nodes), or -1. */
static int tensor_values(const Onnx__TensorProto *t, struct oval *v)
{
	int64_t n = 1;
	if (t->n_dims > OX_MAX_RANK)
		return -1;
	v->rank = (int)t->n_dims;
	for (size_t i = 0; i < t->n_dims; i++) {
		v->dims[i] = t->dims[i];
		if (!ck_mul_ok(n, t->dims[i], &n))
			return -1;
	}
	if (n < 0 || n > OX_MAX_FOLD)
		return -1;
	double *x = xcalloc((size_t)n + 1, sizeof(double));
	int ok = 1;
	const uint8_t *raw = t->raw_data.data;
	size_t rl = t->raw_data.len;
	for (int64_t i = 0; i < n && ok; i++) {
		switch (t->data_type) {
		case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
			if (rl >= (size_t)(i + 1) * 8) {
				int64_t q;
				memcpy(&q, raw + i * 8, 8);
				x[i] = (double)q;
			} else if ((size_t)i < t->n_int64_data) {
				x[i] = (double)t->int64_data[i];
			} else {
				ok = 0;
			}
			break;
		case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
		case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL:
			if (t->data_type ==
				    ONNX__TENSOR_PROTO__DATA_TYPE__BOOL &&
			    rl >= (size_t)i + 1) {
				x[i] = raw[i];
			} else if (rl >= (size_t)(i + 1) * 4) {
				int32_t q;
				memcpy(&q, raw + i * 4, 4);
				x[i] = q;
			} else if ((size_t)i < t->n_int32_data) {
				x[i] = t->int32_data[i];
			} else {
				ok = 0;
			}
			break;
		case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
			if (rl >= (size_t)(i + 1) * 4) {
				float q;
				memcpy(&q, raw + i * 4, 4);
				x[i] = q;
			} else if ((size_t)i < t->n_float_data) {
				x[i] = t->float_data[i];
			} else {
				ok = 0;
			}
			break;
		default: ok = 0;
		}
	}
	if (!ok) {
		free(x);
		return -1;
	}
	free(v->val);
	v->val = x;
	v->n_val = n;
	return 0;
}

/* A folded value as an integer: exporters write "to the end" as INT64_MAX,
 * which a double rounds to 2^63, out of int64_t's range; values are
 * clamped to +-2^62 (far beyond any dimension) and NaN is 0. */
static int64_t val_i64(double v)
{
	const double lim = 4611686018427387904.0; /* 2^62 */
	if (!(v == v))
		return 0;
	return v > lim ? (int64_t)lim : v < -lim ? -(int64_t)lim : (int64_t)v;
}

static void set_vals(struct oval *o, int rank, const int64_t *dims,
		     const double *x, int64_t n)
{
	o->rank = rank;
	for (int i = 0; i < rank; i++)
		o->dims[i] = dims[i];
	free(o->val);
	o->val = xmalloc((size_t)(n + 1) * sizeof(double));
	memcpy(o->val, x, (size_t)n * sizeof(double));
	o->n_val = n;
}

/* Folding rules: node n's output o from its constant inputs a, b (the
 * first two; NULL when absent or not folded). */
typedef void (*fold_fn)(struct ox *c, const Onnx__NodeProto *n, struct oval *o,
			const struct oval *a, const struct oval *b);

static void fold_constant(struct ox *c, const Onnx__NodeProto *n,
			  struct oval *o, const struct oval *a,
			  const struct oval *b)
{
	(void)c, (void)a, (void)b;
	double buf[OX_MAX_FOLD];
	int64_t dims[OX_MAX_RANK] = {0};
	const Onnx__AttributeProto *at = attr(n, "value");
	if (at && at->t) {
		tensor_values(at->t, o);
	} else if ((at = attr(n, "value_int"))) {
		buf[0] = (double)at->i;
		set_vals(o, 0, dims, buf, 1);
	} else if ((at = attr(n, "value_ints")) && at->n_ints <= OX_MAX_FOLD) {
		for (size_t i = 0; i < at->n_ints; i++)
			buf[i] = (double)at->ints[i];
		dims[0] = (int64_t)at->n_ints;
		set_vals(o, 1, dims, buf, dims[0]);
	} else if ((at = attr(n, "value_float"))) {
		buf[0] = at->f;
		set_vals(o, 0, dims, buf, 1);
	}
}

static void fold_shape(struct ox *c, const Onnx__NodeProto *n, struct oval *o,
		       const struct oval *a, const struct oval *b)
{
	(void)a, (void)b;
	double buf[OX_MAX_RANK];
	int64_t dims[1];
	if (in_val(c, n, 0) < 0)
		return;
	const struct oval *x = &c->v[in_val(c, n, 0)];
	if (x->rank < 0)
		return;
	int64_t st = attr_i(n, "start", 0), en = attr_i(n, "end", x->rank);
	if (st < 0)
		st += x->rank;
	if (en < 0)
		en += x->rank;
	if (st < 0) /* clamped to [0, rank], as the ONNX spec says */
		st = 0;
	if (en > x->rank)
		en = x->rank;
	int k = 0;
	for (int64_t i = st; i < en; i++)
		buf[k++] = (double)x->dims[i];
	dims[0] = k;
	set_vals(o, 1, dims, buf, k);
}

static void fold_unary(struct ox *c, const Onnx__NodeProto *n, struct oval *o,
		       const struct oval *a, const struct oval *b)
{
	(void)c, (void)b;
	double buf[OX_MAX_FOLD];
	for (int64_t i = 0; i < a->n_val; i++) {
		double q = a->val[i];
		buf[i] = op_is(n, "Sqrt")    ? sqrt(q)
			 : op_is(n, "Neg")   ? -q
			 : op_is(n, "Floor") ? floor(q)
			 : op_is(n, "Ceil")  ? ceil(q)
					     : q;
	}
	set_vals(o, a->rank, a->dims, buf, a->n_val);
}

/* Unsqueeze, Squeeze, Reshape, Flatten: values unchanged; the shape from
 * the file if known, else worked out for the scalar cases. */
static void fold_layout(struct ox *c, const Onnx__NodeProto *n, struct oval *o,
			const struct oval *a, const struct oval *b)
{
	(void)b;
	int64_t dims[OX_MAX_RANK] = {0};
	if (o->rank < 0 && !op_is(n, "Flatten"))
		infer_missing(c, -1, n); /* the shape from the shape input */
	if (o->rank >= 0 && val_elems(o) == a->n_val) {
		set_vals(o, o->rank, o->dims, a->val, a->n_val);
	} else if (op_is(n, "Unsqueeze") && a->rank == 0) {
		dims[0] = 1;
		set_vals(o, 1, dims, a->val, 1);
	} else if (op_is(n, "Squeeze") && a->n_val == 1) {
		set_vals(o, 0, dims, a->val, 1);
	}
}

static void fold_gather(struct ox *c, const Onnx__NodeProto *n, struct oval *o,
			const struct oval *a, const struct oval *b)
{
	(void)c, (void)n;
	double buf[OX_MAX_FOLD];
	if (!b || a->rank != 1)
		return;
	for (int64_t i = 0; i < b->n_val; i++) {
		int64_t j = val_i64(b->val[i]);
		if (j < 0)
			j += a->n_val;
		if (j < 0 || j >= a->n_val)
			return;
		buf[i] = a->val[j];
	}
	set_vals(o, b->rank, b->dims, buf, b->n_val);
}

static void fold_concat(struct ox *c, const Onnx__NodeProto *n, struct oval *o,
			const struct oval *a, const struct oval *b)
{
	(void)a, (void)b;
	double buf[OX_MAX_FOLD];
	int64_t dims[1], k = 0;
	for (size_t i = 0; i < n->n_input; i++) {
		const struct oval *p = cin(c, n, i);
		if (!p || p->rank > 1 || k + p->n_val > OX_MAX_FOLD)
			return;
		memcpy(buf + k, p->val, (size_t)p->n_val * sizeof(double));
		k += p->n_val;
	}
	dims[0] = k;
	set_vals(o, 1, dims, buf, k);
}

static void fold_slice(struct ox *c, const Onnx__NodeProto *n, struct oval *o,
		       const struct oval *a, const struct oval *b)
{
	double buf[OX_MAX_FOLD];
	int64_t dims[1];
	if (a->rank != 1 || !b || !cin(c, n, 2))
		return;
	int64_t st = val_i64(b->val[0]);
	int64_t en = val_i64(cin(c, n, 2)->val[0]);
	int64_t sp = cin(c, n, 4) ? val_i64(cin(c, n, 4)->val[0]) : 1;
	int64_t len = a->n_val, k = 0;
	if (st < 0)
		st += len;
	if (en < 0)
		en += len;
	if (st < 0)
		st = 0;
	if (en > len)
		en = len;
	if (sp < 1)
		return;
	for (int64_t i = st; i < en; i += sp)
		buf[k++] = a->val[i];
	dims[0] = k;
	set_vals(o, 1, dims, buf, k);
}

static void fold_const_of_shape(struct ox *c, const Onnx__NodeProto *n,
				struct oval *o, const struct oval *a,
				const struct oval *b)
{
	(void)c, (void)b;
	double buf[OX_MAX_FOLD];
	int64_t dims[OX_MAX_RANK] = {0}, cnt = 1;
	if (a->n_val > OX_MAX_RANK)
		return;
	for (int64_t i = 0; i < a->n_val; i++) {
		dims[i] = val_i64(a->val[i]);
		if (dims[i] < 0 || !ck_mul_ok(cnt, dims[i], &cnt))
			return;
	}
	if (cnt > OX_MAX_FOLD || cnt < 0)
		return;
	double fill = 0;
	const Onnx__AttributeProto *at = attr(n, "value");
	struct oval tmp = {0};
	if (at && at->t && tensor_values(at->t, &tmp) == 0 && tmp.n_val)
		fill = tmp.val[0];
	free(tmp.val);
	for (int64_t i = 0; i < cnt; i++)
		buf[i] = fill;
	set_vals(o, (int)a->n_val, dims, buf, cnt);
}

static void fold_range(struct ox *c, const Onnx__NodeProto *n, struct oval *o,
		       const struct oval *a, const struct oval *b)
{
	double buf[OX_MAX_FOLD];
	int64_t dims[1], k = 0;
	if (!b || !cin(c, n, 2))
		return;
	double st = a->val[0], lim = b->val[0], d = cin(c, n, 2)->val[0];
	for (double q = st; d > 0 ? q < lim : q > lim; q += d) {
		if (k == OX_MAX_FOLD || d == 0)
			return;
		buf[k++] = q;
	}
	dims[0] = k;
	set_vals(o, 1, dims, buf, k);
}

static void fold_where(struct ox *c, const Onnx__NodeProto *n, struct oval *o,
		       const struct oval *a, const struct oval *b)
{
	double buf[OX_MAX_FOLD];
	const struct oval *z = cin(c, n, 2);
	if (!b || !z)
		return;
	int64_t m = a->n_val;
	if (b->n_val > m)
		m = b->n_val;
	if (z->n_val > m)
		m = z->n_val;
	const struct oval *big = a->n_val == m ? a : b->n_val == m ? b : z;
	for (int64_t i = 0; i < m; i++) {
		double cc = a->val[a->n_val == m ? i : 0];
		double y1 = b->val[b->n_val == m ? i : 0];
		double y2 = z->val[z->n_val == m ? i : 0];
		buf[i] = cc != 0 ? y1 : y2;
	}
	set_vals(o, big->rank, big->dims, buf, m);
}

static void fold_binary(struct ox *c, const Onnx__NodeProto *n, struct oval *o,
			const struct oval *a, const struct oval *b)
{
	(void)c;
	double buf[OX_MAX_FOLD];
	if (!b)
		return;
	int64_t m = a->n_val > b->n_val ? a->n_val : b->n_val;
	if ((a->n_val != m && a->n_val != 1) ||
	    (b->n_val != m && b->n_val != 1))
		return;
	for (int64_t i = 0; i < m; i++) {
		double p = a->val[a->n_val == m ? i : 0];
		double q = b->val[b->n_val == m ? i : 0];
		buf[i] = op_is(n, "Add")   ? p + q
			 : op_is(n, "Sub") ? p - q
			 : op_is(n, "Mul") ? p * q
			 : op_is(n, "Div") ? (q != 0 ? p / q : 0)
			 : op_is(n, "Mod") ? (q != 0 ? fmod(p, q) : 0)
					   : (double)(p == q);
	}
	const struct oval *big = a->n_val == m ? a : b;
	set_vals(o, big->rank, big->dims, buf, m);
}

/* ONNX op type -> folding rule; `need_a`: only with a folded first input. */
static const struct {
	const char *op;
	int need_a;
	fold_fn fold;
} fold_rules[] = {
	{"Constant", 0, fold_constant},
	{"Shape", 0, fold_shape},
	{"Identity", 1, fold_unary},
	{"Cast", 1, fold_unary},
	{"Sqrt", 1, fold_unary},
	{"Neg", 1, fold_unary},
	{"Floor", 1, fold_unary},
	{"Ceil", 1, fold_unary},
	{"Unsqueeze", 1, fold_layout},
	{"Squeeze", 1, fold_layout},
	{"Reshape", 1, fold_layout},
	{"Flatten", 1, fold_layout},
	{"Gather", 1, fold_gather},
	{"Concat", 1, fold_concat},
	{"Slice", 1, fold_slice},
	{"ConstantOfShape", 1, fold_const_of_shape},
	{"Range", 1, fold_range},
	{"Where", 1, fold_where},
	{"Add", 1, fold_binary},
	{"Sub", 1, fold_binary},
	{"Mul", 1, fold_binary},
	{"Div", 1, fold_binary},
	{"Mod", 1, fold_binary},
	{"Equal", 1, fold_binary},
};

/* Fold a node whose inputs are all constant (shape arithmetic).  Leaves
 * the output without values when the op is not one folded here; that is
 * only an error if a data op later needs them. */
static void const_fold(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	int oid = out_val(c, n, 0);
	if (oid < 0)
		return;
	const struct oval *a = cin(c, n, 0), *b = cin(c, n, 1);
	for (size_t i = 0; i < ARRAY_SIZE(fold_rules); i++)
		if (op_is(n, fold_rules[i].op)) {
			if (a || !fold_rules[i].need_a)
				fold_rules[i].fold(c, n, &c->v[oid], a, b);
			return;
		}
}

/* The output shape of a data node the file gave no shape for. */
/* Split: each output's size along the axis from the 'split' input
 * (opset 13), the attribute (before), or equal parts. */
static void infer_split(struct ox *c, const Onnx__NodeProto *n,
			const struct oval *x)
{
	int64_t ax = attr_i(n, "axis", 0), sizes[OX_MAX_RANK + GRAPH_MAX_IO];
	const struct oval *sp = cin(c, n, 1);
	size_t no = n->n_output;
	if (ax < 0)
		ax += x->rank;
	if (ax < 0 || ax >= x->rank || no < 1 || no > GRAPH_MAX_IO)
		return; /* reported by the emitter */
	int ns = sp ? (int)sp->n_val
		    : attr_ints(n, "split", sizes, GRAPH_MAX_IO);
	if (ns && (size_t)ns != no)
		return;
	for (size_t k = 0; k < no; k++) {
		int oid = out_val(c, n, k);
		if (oid < 0 || c->v[oid].rank >= 0)
			continue;
		struct oval *o = &c->v[oid];
		int64_t part = (x->dims[ax] + (int64_t)no - 1) / (int64_t)no;
		int64_t rest = x->dims[ax] - part * (int64_t)k;
		o->rank = x->rank;
		memcpy(o->dims, x->dims, sizeof(o->dims));
		o->dims[ax] = sp	    ? (int64_t)sp->val[k]
			      : ns	    ? sizes[k]
			      : part < rest ? part
					    : (rest > 0 ? rest : 0);
	}
}

/* One axis of a Slice, clamped as the ONNX spec says; its new length. */
static int64_t slice_len(int64_t dim, int64_t st, int64_t en, int64_t sp)
{
	if (st < 0)
		st += dim;
	if (en < 0)
		en += dim;
	if (sp > 0) {
		st = st < 0 ? 0 : st > dim ? dim : st;
		en = en < 0 ? 0 : en > dim ? dim : en;
		return en > st ? (en - st + sp - 1) / sp : 0;
	}
	st = st < 0 ? 0 : st > dim - 1 ? dim - 1 : st;
	en = en < -1 ? -1 : en > dim - 1 ? dim - 1 : en;
	return st > en ? (st - en - sp - 1) / -sp : 0;
}

/* Slice from constant starts, ends [, axes [, steps]] (opset 10), or the
 * attributes (before). */
static void infer_slice(struct ox *c, const Onnx__NodeProto *n,
			const struct oval *x, struct oval *o)
{
	int64_t st[OX_MAX_RANK], en[OX_MAX_RANK], ax[OX_MAX_RANK],
		sp[OX_MAX_RANK];
	int k;
	const struct oval *s1 = cin(c, n, 1), *e1 = cin(c, n, 2);
	const struct oval *a1 = cin(c, n, 3), *p1 = cin(c, n, 4);
	if (n->n_input >= 3) {
		if (!s1 || !e1 || s1->n_val != e1->n_val ||
		    s1->n_val > OX_MAX_RANK || (a1 && a1->n_val != s1->n_val) ||
		    (p1 && p1->n_val != s1->n_val) ||
		    (n->n_input > 3 && *n->input[3] && !a1) ||
		    (n->n_input > 4 && *n->input[4] && !p1))
			return;
		k = (int)s1->n_val;
		for (int i = 0; i < k; i++) {
			st[i] = (int64_t)s1->val[i];
			en[i] = e1->val[i] > 9e18 ? INT64_MAX
						  : (int64_t)e1->val[i];
			ax[i] = a1 ? (int64_t)a1->val[i] : i;
			sp[i] = p1 ? (int64_t)p1->val[i] : 1;
		}
	} else {
		k = attr_ints(n, "starts", st, OX_MAX_RANK);
		if (attr_ints(n, "ends", en, OX_MAX_RANK) != k)
			return;
		if (attr_ints(n, "axes", ax, OX_MAX_RANK) != k)
			for (int i = 0; i < k; i++)
				ax[i] = i;
		for (int i = 0; i < k; i++)
			sp[i] = 1;
	}
	int64_t dims[OX_MAX_RANK];
	memcpy(dims, x->dims, sizeof(dims));
	for (int i = 0; i < k; i++) {
		int64_t a = ax[i] < 0 ? ax[i] + x->rank : ax[i];
		if (a < 0 || a >= x->rank || sp[i] == 0)
			return;
		dims[a] = slice_len(x->dims[a], st[i], en[i], sp[i]);
	}
	o->rank = x->rank;
	memcpy(o->dims, dims, sizeof(dims));
}

/* The output shape of a layout node (Reshape, Unsqueeze, Squeeze, Gather,
 * Expand, ...) from its input x and constant shape inputs, into o (rank
 * left -1 when they do not say; -2 for a Reshape that cannot hold x). */
static void infer_shape(struct ox *c, const Onnx__NodeProto *n,
			const struct oval *x, struct oval *o)
{
	const struct oval *b = cin(c, n, 1);
	int r = x->rank;
	if (op_is(n, "Slice")) {
		infer_slice(c, n, x, o);
		return;
	}
	if (op_is(n, "Reshape") && b && b->rank == 1 &&
	    b->n_val <= OX_MAX_RANK) {
		int64_t known = 1, infer = -1;
		for (int64_t i = 0; i < b->n_val; i++) {
			int64_t q = val_i64(b->val[i]);
			if (q == 0 && i < r)
				q = x->dims[i];
			o->dims[i] = q;
			if (q == -1)
				infer = i;
			else
				known = ck_smul(known, q);
		}
		if (infer >= 0 && known > 0)
			o->dims[infer] = val_elems(x) / known;
		o->rank = (int)b->n_val;
		if (val_elems(o) != val_elems(x) || known <= 0)
			o->rank = -2;
		return;
	}
	if (op_is(n, "Unsqueeze") && b) {
		int rr = r + (int)b->n_val, k = 0;
		unsigned mask = 0;
		if (rr > OX_MAX_RANK)
			return;
		for (int64_t i = 0; i < b->n_val; i++) {
			int64_t q = val_i64(b->val[i]);
			if (q < -rr || q >= rr)
				return;
			mask |= 1u << (q < 0 ? q + rr : q);
		}
		for (int i = 0; i < rr; i++)
			o->dims[i] = mask & (1u << i) ? 1 : x->dims[k++];
		o->rank = rr;
		return;
	}
	if (op_is(n, "Squeeze")) {
		unsigned mask = 0;
		for (int64_t i = 0; b && i < b->n_val; i++) {
			int64_t q = val_i64(b->val[i]);
			if (q < -r || q >= r)
				return;
			mask |= 1u << (q < 0 ? q + r : q);
		}
		int k = 0;
		for (int i = 0; i < r; i++)
			if (b ? !(mask & (1u << i)) : x->dims[i] != 1)
				o->dims[k++] = x->dims[i];
		o->rank = k;
		return;
	}
	if (op_is(n, "Gather") && b) {
		int ax = (int)attr_i(n, "axis", 0);
		if (ax < 0)
			ax += r;
		int k = 0;
		for (int i = 0; i < r; i++) {
			if (i != ax) {
				o->dims[k++] = x->dims[i];
				continue;
			}
			for (int j = 0; j < b->rank; j++)
				o->dims[k++] = b->dims[j];
		}
		o->rank = k;
		return;
	}
	if (op_is(n, "Expand") && b && b->rank == 1) {
		int rr = r > b->n_val ? r : (int)b->n_val;
		for (int i = 0; i < rr; i++) {
			int ix = i - (rr - r), ib = i - (rr - (int)b->n_val);
			int64_t dx = ix >= 0 ? x->dims[ix] : 1;
			int64_t db = ib >= 0 ? val_i64(b->val[ib]) : 1;
			o->dims[i] = dx == 1 ? db : dx;
		}
		o->rank = rr;
		return;
	}
}

/* The output shape of data node idx from its inputs: set when the file
 * declares none, compared when it does (a declared shape the shape inputs
 * contradict, or a Reshape that cannot hold its input, is an error naming
 * the node).  idx < 0: constants, nothing reported.  0 or -1. */
static int infer_missing(struct ox *c, int idx, const Onnx__NodeProto *n)
{
	int oid = out_val(c, n, 0), xid = in_val(c, n, 0);
	if (oid < 0 || xid < 0 || c->v[xid].rank < 0)
		return 0;
	if (op_is(n, "Split"))
		infer_split(c, n, &c->v[xid]);
	struct oval *o = &c->v[oid], t;
	const struct oval *x = &c->v[xid];
	memset(&t, 0, sizeof(t));
	t.rank = -1;
	infer_shape(c, n, x, &t);
	char s1[96], s2[96], s3[96];
	if (t.rank == -2) { /* a Reshape: its shape input is at hand */
		const struct oval *b = cin(c, n, 1);
		int64_t want[OX_MAX_RANK];
		for (int64_t i = 0; i < b->n_val && i < OX_MAX_RANK; i++)
			want[i] = (int64_t)b->val[i];
		if (idx >= 0)
			nerr(c, idx,
			     "'shape' input must hold the %lld elements of "
			     "'%s' %s, got %s",
			     (long long)val_elems(x), x->name,
			     shape_str(s1, 96, x->rank, x->dims),
			     shape_str(s2, 96, (int)b->n_val, want));
		return -1;
	}
	if (t.rank < 0)
		return 0;
	if (o->rank < 0) {
		o->rank = t.rank;
		memcpy(o->dims, t.dims, sizeof(o->dims));
		return 0;
	}
	int same = o->rank == t.rank;
	for (int i = 0; same && i < t.rank; i++)
		same = o->dims[i] == t.dims[i];
	if (!same && idx >= 0)
		nerr(c, idx,
		     "output '%s' is declared %s in the file, got %s from its "
		     "input %s and shape inputs",
		     o->name, shape_str(s1, 96, o->rank, o->dims),
		     shape_str(s2, 96, t.rank, t.dims),
		     shape_str(s3, 96, x->rank, x->dims));
	return same ? 0 : -1;
}

/* ---------------------------------------------------------------- load */

/* Initializers: floating-point ones of rank >= 1 are parameters, the rest
 * constants.  0 or -1. */
static int classify_initializers(struct ox *c)
{
	Onnx__GraphProto *gp = c->gp;
	for (size_t i = 0; i < gp->n_initializer; i++) {
		const Onnx__TensorProto *t = gp->initializer[i];
		if (!t->name || !*t->name) {
			diag_add(c->d, c->file, 0, 0,
				 "onnx: initializer %zu must have a name, got "
				 "none",
				 i);
			return -1;
		}
		int k = val_get(c, t->name);
		struct oval *v = &c->v[k];
		v->init = (int)i;
		v->elem_type = t->data_type;
		v->rank = t->n_dims <= OX_MAX_RANK ? (int)t->n_dims : -1;
		int64_t elems = 1;
		for (size_t j = 0; j < t->n_dims && j < OX_MAX_RANK; j++) {
			v->dims[j] = t->dims[j];
			if (t->dims[j] < 0 ||
			    !ck_mul_ok(elems, t->dims[j], &elems)) {
				diag_add(c->d, c->file, 0, 0,
					 "onnx: initializer '%s' must have "
					 "dimensions >= 0 and at most 2^53 "
					 "elements, got dimension %lld",
					 t->name, (long long)t->dims[j]);
				return -1;
			}
		}
		int fl = t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT ||
			 t->data_type ==
				 ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16 ||
			 t->data_type ==
				 ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16 ||
			 t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
		v->kind = fl && t->n_dims >= 1 ? V_PARAM : V_CONST;
		if (v->kind == V_CONST) /* shapes, axes, pads: values */
			tensor_values(t, v);
	}
	return 0;
}

/* Graph inputs that are not initializers: the network's data inputs, batch
 * first.  0 or -1. */
static int classify_inputs(struct ox *c)
{
	Onnx__GraphProto *gp = c->gp;
	int n_inputs = 0;
	for (size_t i = 0; i < gp->n_input; i++) {
		const Onnx__ValueInfoProto *vi = gp->input[i];
		int k = val_get(c, vi->name ? vi->name : "");
		struct oval *v = &c->v[k];
		if (v->init >= 0)
			continue; /* an initializer listed as input */
		set_shape_from_type(v, vi->type);
		if (v->rank < 1) {
			diag_add(c->d, c->file, 0, 0,
				 "onnx: graph input '%s' must have a known "
				 "shape (batch first), got none",
				 v->name);
			return -1;
		}
		v->kind = V_DATA;
		enum dtype dt =
			v->elem_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64
				? DT_INT64
			: v->elem_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT32
				? DT_INT32
				: DT_FP32;
		/* graph inputs: the leading axis is the batch */
		v->tensor = graph_add_tensor(c->g, v->name, dt, v->rank - 1,
					     v->dims + 1);
		c->g->tensors[v->tensor].is_input = 1;
		if (v->dims[0] != 1) {
			diag_add(c->d, c->file, 0, 0,
				 "onnx: graph input '%s' must have batch size "
				 "1 (or symbolic), got %lld",
				 v->name, (long long)v->dims[0]);
			return -1;
		}
		n_inputs++;
	}
	if (!n_inputs) {
		diag_add(c->d, c->file, 0, 0,
			 "onnx: graph must have at least one input that is "
			 "not an initializer, got none");
		return -1;
	}
	return 0;
}

/* Shapes the file declares for intermediate values and outputs. */
static void file_shapes(struct ox *c)
{
	Onnx__GraphProto *gp = c->gp;
	for (size_t i = 0; i < gp->n_value_info; i++) {
		const Onnx__ValueInfoProto *vi = gp->value_info[i];
		if (vi->name) {
			int k = val_get(c, vi->name);
			set_shape_from_type(&c->v[k], vi->type);
		}
	}
	for (size_t i = 0; i < gp->n_output; i++) {
		const Onnx__ValueInfoProto *vi = gp->output[i];
		if (vi->name) {
			int k = val_get(c, vi->name);
			set_shape_from_type(&c->v[k], vi->type);
		}
	}
}

/* Node idx in order: its inputs' consumers, its outputs' kind and producer;
 * constant nodes are folded.  0 or -1. */
static int classify_node(struct ox *c, int idx)
{
	const Onnx__NodeProto *n = c->gp->node[idx];
	if (!n->op_type || !*n->op_type) {
		nerr(c, idx, "node must have an op type");
		return -1;
	}
	int any_data = 0, any_param = 0;
	for (size_t k = 0; k < n->n_input; k++) {
		if (!n->input[k] || !*n->input[k])
			continue;
		int vid = val_find(c, n->input[k]);
		if (vid < 0 || c->v[vid].kind == V_NONE) {
			nerr(c, idx,
			     "input '%s' must be a graph "
			     "input, an initializer or an "
			     "earlier node's output, got "
			     "nothing of that name",
			     n->input[k]);
			return -1;
		}
		struct oval *v = &c->v[vid];
		v->n_cons++;
		if (v->first_cons < 0)
			v->first_cons = idx;
		any_data |= v->kind == V_DATA;
		any_param |= v->kind == V_PARAM;
	}
	enum vkind ok;
	if (op_is(n, "Shape") || op_is(n, "Size") || op_is(n, "Constant") ||
	    op_is(n, "ConstantOfShape"))
		ok = V_CONST;
	else if (any_data)
		ok = V_DATA;
	else if (any_param && op_is(n, "Identity"))
		ok = V_PARAM;
	else if (any_param)
		ok = V_DATA; /* a parameter used as data */
	else
		ok = V_CONST;
	for (size_t k = 0; k < n->n_output; k++) {
		if (!n->output[k] || !*n->output[k])
			continue;
		int vid = val_get(c, n->output[k]);
		struct oval *v = &c->v[vid];
		if (v->producer >= 0 || v->init >= 0 || v->tensor >= 0) {
			nerr(c, idx,
			     "output '%s' is already "
			     "defined",
			     n->output[k]);
			return -1;
		}
		v->producer = idx;
		v->kind = ok;
		if (ok == V_PARAM) { /* Identity of a weight: alias */
			int src = in_val(c, n, 0);
			v->init = c->v[src].init;
			v->rank = c->v[src].rank;
			memcpy(v->dims, c->v[src].dims, sizeof(v->dims));
		}
	}
	if (op_is(n, "Constant")) /* needs nothing: the patterns read it */
		const_fold(c, idx);
	return 0;
}

static int check_node_inputs(struct ox *c)
{
	int bad = 0;
	for (size_t i = 0; i < c->gp->n_node; i++) {
		const Onnx__NodeProto *n = c->gp->node[i];
		int lo, hi;
		size_t have = 0;
		while (have < n->n_input && n->input[have] && n->input[have][0])
			have++;
		if (node_inputs(n, &lo, &hi) && have < (size_t)lo) {
			char nb[64];
			diag_add(c->d, c->file, 0, 0,
				 "onnx: node '%s' (%s) must have at least %d "
				 "inputs, got %zu",
				 node_name(n, (int)i, nb, sizeof(nb)),
				 n->op_type, lo, have);
			bad = 1;
		}
		if (!n->n_output || !n->output[0] || !n->output[0][0]) {
			char nb[64];
			diag_add(c->d, c->file, 0, 0,
				 "onnx: node '%s' (%s) must have an output, "
				 "got none",
				 node_name(n, (int)i, nb, sizeof(nb)),
				 n->op_type ? n->op_type : "?");
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

static int classify(struct ox *c)
{
	if (check_node_inputs(c))
		return -1;
	if (classify_initializers(c) || classify_inputs(c))
		return -1;
	file_shapes(c);
	for (size_t i = 0; i < c->gp->n_node; i++)
		if (classify_node(c, (int)i))
			return -1;
	return 0;
}

/* The ModelProto in data, or NULL after an error. */
static Onnx__ModelProto *unpack_model(const char *file, const uint8_t *data,
				      size_t len, struct diag *d)
{
	/* ModelProto starts with ir_version (field 1, varint): byte 0x08 */
	if (len < 2 || data[0] != 0x08) {
		diag_add(d, file, 0, 0,
			 "onnx: file must start with an ONNX ModelProto "
			 "(ir_version field, byte 0x08), got %s0x%02x",
			 len ? "" : "an empty file, ", len ? data[0] : 0);
		return NULL;
	}
	Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, data);
	if (!m) {
		diag_add(d, file, 0, 0,
			 "onnx: file must be a complete ONNX model, got %zu "
			 "bytes that do not parse (truncated or corrupt)",
			 len);
		return NULL;
	}
	if (!m->graph || !m->graph->n_node) {
		diag_add(d, file, 0, 0,
			 "onnx: model must have a graph with nodes, got %s",
			 m->graph ? "no nodes" : "no graph");
		onnx__model_proto__free_unpacked(m, NULL);
		return NULL;
	}
	return m;
}

static void ox_setup(struct ox *c, const char *file, Onnx__GraphProto *gp,
		     struct graph *g, struct diag *d)
{
	memset(c, 0, sizeof(*c));
	c->file = file;
	c->d = d;
	c->g = g;
	c->gp = gp;
	size_t nv = 2 * (gp->n_node * 3 + gp->n_initializer + gp->n_input +
			 gp->n_value_info + 16);
	c->n_hash = 64;
	while (c->n_hash < 2 * nv)
		c->n_hash *= 2;
	c->hash = xcalloc(c->n_hash, sizeof(int));
	size_t nn = gp->n_node;
	c->role = xcalloc(nn, sizeof(*c->role));
	c->pat_a = xcalloc(nn, sizeof(int));
	c->pat_b = xcalloc(nn, sizeof(int));
	c->pat_c = xcalloc(nn, sizeof(int));
	c->pat_flag = xcalloc(nn, sizeof(int));
	c->init_owner = xmalloc((gp->n_initializer + 1) * sizeof(int));
	for (size_t i = 0; i <= gp->n_initializer; i++)
		c->init_owner[i] = -1;
}

static void ox_release(struct ox *c)
{
	for (int k = 0; k < c->n_v; k++)
		free(c->v[k].val);
	free(c->v);
	free(c->hash);
	free(c->role);
	free(c->pat_a);
	free(c->pat_b);
	free(c->pat_c);
	free(c->pat_flag);
	free(c->init_owner);
}

/* The pattern pass: GELU, layer norm and attention, found from their
 * anchor node (Erf, ReduceMean, Softmax) on data. */
static void find_patterns(struct ox *c)
{
	for (size_t i = 0; i < c->gp->n_node; i++) {
		const Onnx__NodeProto *n = c->gp->node[i];
		if (op_is(n, "Erf") && kind_of(c, in_val(c, n, 0)) == V_DATA)
			find_gelu(c, (int)i);
		if (op_is(n, "ReduceMean") &&
		    kind_of(c, in_val(c, n, 0)) == V_DATA)
			find_layernorm(c, (int)i);
		if (op_is(n, "Softmax") &&
		    kind_of(c, in_val(c, n, 0)) == V_DATA)
			find_attention(c, (int)i);
	}
}

/* The shapes the file declares and ours must agree, dimension by
 * dimension (a symbolic batch was read as 1, a value with another symbolic
 * dimension declares nothing); a disagreement names the node that computes
 * the value.  0 or WS_EINPUT. */
static int check_file_shapes(struct ox *c)
{
	int rc = 0;
	for (int k = 0; k < c->n_v; k++) {
		struct oval *v = &c->v[k];
		if (v->kind != V_DATA || v->tensor < 0 || v->rank < 0)
			continue;
		const struct tensor *t = &c->g->tensors[v->tensor];
		/* per sample, or whole when the value's leading 1 is no batch
		 * (a transpose or a split moved it) */
		int same = 0;
		for (int b = 0; b <= stripped(v) && !same; b++) {
			same = v->rank - b == t->rank;
			for (int i = 0; same && i < t->rank; i++)
				same = v->dims[b + i] == t->dims[i];
		}
		if (same)
			continue;
		char s1[96], s2[96];
		shape_str(s1, 96, v->rank, v->dims);
		shape_str(s2, 96, t->rank, t->dims);
		if (v->producer >= 0)
			nerr(c, v->producer,
			     "output '%s' is declared %s in the file, got %s "
			     "(per sample) from shape inference",
			     v->name, s1, s2);
		else
			diag_add(c->d, c->file, 0, 0,
				 "onnx: value '%s' is declared %s in the file, "
				 "got %s (per sample) from shape inference",
				 v->name, s1, s2);
		rc = WS_EINPUT;
	}
	return rc;
}

/* The model in data; external data is read relative to `dir` (NULL:
 * none is read). */
static int load(const char *file, const char *dir, const uint8_t *data,
		size_t len, struct graph *g, struct diag *d)
{
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	char *stem = xstrdup(base);
	char *dot = strrchr(stem, '.');
	if (dot)
		*dot = 0;
	graph_setup(g, stem, file);
	free(stem);
	Onnx__ModelProto *m = unpack_model(file, data, len, d);
	if (m && (onnx_check_model(file, dir, m, d) ||
		  onnx_bind_symbols(file, m->graph, d))) {
		onnx__model_proto__free_unpacked(m, NULL);
		m = NULL;
	}
	if (!m) {
		graph_release(g);
		return WS_EINPUT;
	}
	struct ox c;
	ox_setup(&c, file, m->graph, g, d);
	int rc = WS_EINPUT;
	if (m->graph->name && *m->graph->name &&
	    strcmp(m->graph->name, "main_graph")) {
		free(g->name);
		g->name = xstrdup(m->graph->name);
	}
	if (classify(&c) == 0) {
		find_patterns(&c);
		/* in order: constants folded, data nodes emitted and their
		 * shapes inferred, so a Shape node sees the shape of its input
		 * however far down the graph it is */
		for (size_t i = 0; i < c.gp->n_node; i++) {
			const Onnx__NodeProto *n = c.gp->node[i];
			int vid = n->n_output ? val_find(&c, n->output[0]) : -1;
			if (vid >= 0 && c.v[vid].kind == V_CONST)
				const_fold(&c, (int)i);
			else if (vid >= 0 && c.v[vid].kind == V_DATA)
				node_layers(&c, (int)i);
		}
		if (!c.errors && graph_finish(g, d) == 0)
			rc = check_file_shapes(&c);
	}
	ox_release(&c);
	onnx__model_proto__free_unpacked(m, NULL);
	if (rc)
		graph_release(g);
	return rc;
}

int onnx_load_buffer(const char *file, const uint8_t *data, size_t len,
		     struct graph *g, struct diag *d)
{
	if ((int64_t)len > ONNX_MAX_FILE_BYTES) {
		memset(g, 0, sizeof(*g));
		diag_add(d, file, 0, 0,
			 "onnx: file must be at most %lld bytes, got %zu",
			 (long long)ONNX_MAX_FILE_BYTES, len);
		return WS_EINPUT;
	}
	return load(file, NULL, data, len, g, d);
}

int onnx_load(const char *path, struct graph *g, struct diag *d)
{
	char *data;
	size_t len;
	memset(g, 0, sizeof(*g));
	int rc = read_file_max(path, ONNX_MAX_FILE_BYTES, &data, &len, d);
	if (rc)
		return rc;
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xasprintf("%.*s", (int)(slash - path + (slash == path)),
				      path)
			  : xstrdup(".");
	rc = load(path, dir, (const uint8_t *)data, len, g, d);
	free(dir);
	free(data);
	return rc;
}
