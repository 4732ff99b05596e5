/*
 * onnx_sym.c: symbolic dimensions of an ONNX model as wildcards (issue 15).
 *
 * An export with dynamic axes names its dimensions ("N", "seq") instead of
 * giving sizes.  The leading dimension of a graph input is the batch (the
 * reader takes it as 1).  Any other symbolic dimension of a graph input is
 * a wildcard that takes the size the graph gives it where it meets a known
 * one: an embedding's ids against nothing, then the embedded values added
 * to a positional table [1, 16, 64] bind "seq" to 16; a MatMul against its
 * weight binds the inner dimension; a Conv binds the channels.  Shapes are
 * followed through the ops below, in node order, with numpy broadcasting;
 * the bound sizes are written into the model's declared shapes (inputs,
 * value_info, outputs) before the reader sees them.  A wildcard nothing
 * binds is an error naming the input, the dimension and its name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/onnx_int.h"
#include "ground/diag.h"
#include "ground/mem.h"

#define SYM_MAX_RANK ONNX_MAX_RANK

/* A value's shape: dims >= 0 sizes, < 0 symbol -(id + 1); rank -1 unknown. */
struct sval {
	const char *name;
	int rank;
	int64_t dims[SYM_MAX_RANK];
};

struct sym {
	const char *name; /* dim_param, or NULL */
	int parent;	  /* union-find */
	int64_t size;	  /* 0: unbound */
};

struct symtab {
	struct sval *v;
	int n_v, cap_v;
	int *hash; /* value index + 1, open addressing */
	int n_hash;
	struct sym *s;
	int n_s, cap_s;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct sval *val_find(struct symtab *t, const char *name, int add)
{
	if (!name || !*name)
		return NULL;
	size_t i = str_hash(name) & (size_t)(t->n_hash - 1);
	for (; t->hash[i]; i = (i + 1) & (size_t)(t->n_hash - 1))
		if (!strcmp(t->v[t->hash[i] - 1].name, name))
			return &t->v[t->hash[i] - 1];
	if (!add || t->n_v == t->cap_v)
		return NULL;
	struct sval *v = &t->v[t->n_v];
	memset(v, 0, sizeof(*v));
	v->name = name;
	v->rank = -1;
	t->hash[i] = ++t->n_v;
	return v;
}

static int sym_new(struct symtab *t, const char *name)
{
	for (int i = 0; name && *name && i < t->n_s; i++)
		if (t->s[i].name && !strcmp(t->s[i].name, name))
			return i;
	if (t->n_s == t->cap_s) {
		t->cap_s = t->cap_s ? 2 * t->cap_s : 16;
		t->s = xrealloc(t->s, (size_t)t->cap_s * sizeof(*t->s));
	}
	t->s[t->n_s] = (struct sym){name && *name ? name : NULL, t->n_s, 0};
	return t->n_s++;
}

static int sym_root(struct symtab *t, int i)
{
	while (t->s[i].parent != i)
		i = t->s[i].parent = t->s[t->s[i].parent].parent;
	return i;
}

/* A dimension's size: itself, or its symbol's binding (0: unbound). */
static int64_t dim_size(struct symtab *t, int64_t d)
{
	return d >= 0 ? d : t->s[sym_root(t, (int)(-d - 1))].size;
}

/* a and b are the same dimension: bind or join their symbols; the result
 * (broadcast: a size 1 gives way to the other) */
static int64_t unify(struct symtab *t, int64_t a, int64_t b, int bcast)
{
	int64_t sa = dim_size(t, a), sb = dim_size(t, b);
	if (bcast && sa == 1)
		return b;
	if (bcast && sb == 1)
		return a;
	if (a < 0 && b < 0) {
		int ra = sym_root(t, (int)(-a - 1)), rb = sym_root(t, (int)(-b - 1));
		if (ra != rb) {
			t->s[rb].parent = ra;
			if (!t->s[ra].size)
				t->s[ra].size = t->s[rb].size;
		}
		return a;
	}
	if (a < 0 && !sa && b >= 0)
		t->s[sym_root(t, (int)(-a - 1))].size = b;
	if (b < 0 && !sb && a >= 0)
		t->s[sym_root(t, (int)(-b - 1))].size = a;
	return a >= 0 ? a : b;
}

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n,
					const char *name)
{
	for (size_t i = 0; i < n->n_attribute; i++)
		if (n->attribute[i]->name && !strcmp(n->attribute[i]->name, name))
			return n->attribute[i];
	return NULL;
}

static struct sval *in(struct symtab *t, const Onnx__NodeProto *n, size_t k)
{
	struct sval *v = k < n->n_input ? val_find(t, n->input[k], 0) : NULL;
	return v && v->rank >= 0 ? v : NULL;
}

static int is_op(const Onnx__NodeProto *n, const char *const *ops)
{
	for (; *ops; ops++)
		if (!strcmp(n->op_type, *ops))
			return 1;
	return 0;
}

/* Elementwise with numpy broadcasting over all inputs. */
static void node_bcast(struct symtab *t, const Onnx__NodeProto *n,
		       struct sval *o)
{
	int rank = 0;
	for (size_t k = 0; k < n->n_input; k++) {
		struct sval *a = in(t, n, k);
		if (!a)
			return;
		rank = a->rank > rank ? a->rank : rank;
	}
	int64_t d[SYM_MAX_RANK];
	for (int i = 0; i < rank; i++)
		d[i] = 1;
	for (size_t k = 0; k < n->n_input; k++) {
		struct sval *a = in(t, n, k);
		for (int i = 0; i < a->rank; i++) {
			int j = rank - a->rank + i;
			d[j] = unify(t, d[j], a->dims[i], 1);
		}
	}
	o->rank = rank;
	memcpy(o->dims, d, sizeof(d));
}

/* Gather(data, indices): data[:axis] + indices + data[axis+1:]. */
static void node_gather(struct symtab *t, const Onnx__NodeProto *n,
			struct sval *o)
{
	struct sval *a = in(t, n, 0), *ix = in(t, n, 1);
	const Onnx__AttributeProto *ax = attr(n, "axis");
	int axis = ax ? (int)ax->i : 0;
	if (!a || !ix || (axis < 0 && (axis += a->rank) < 0) || axis >= a->rank ||
	    a->rank - 1 + ix->rank > SYM_MAX_RANK)
		return;
	int r = 0;
	for (int i = 0; i < axis; i++)
		o->dims[r++] = a->dims[i];
	for (int i = 0; i < ix->rank; i++)
		o->dims[r++] = ix->dims[i];
	for (int i = axis + 1; i < a->rank; i++)
		o->dims[r++] = a->dims[i];
	o->rank = r;
}

/* MatMul: A[..., M, K] x B[..., K, N] (the inner dimensions unify). */
static void node_matmul(struct symtab *t, const Onnx__NodeProto *n,
			struct sval *o)
{
	struct sval *a = in(t, n, 0), *b = in(t, n, 1);
	if (!a || !b || a->rank < 2 || b->rank < 1)
		return;
	unify(t, a->dims[a->rank - 1], b->dims[b->rank < 2 ? 0 : b->rank - 2],
	      0);
	*o = *a;
	o->name = NULL;
	if (b->rank >= 2)
		o->dims[a->rank - 1] = b->dims[b->rank - 1];
	else
		o->rank--;
}

/* Conv and ConvTranspose: the channels unify with the weight's. */
static void node_conv(struct symtab *t, const Onnx__NodeProto *n)
{
	struct sval *x = in(t, n, 0), *w = in(t, n, 1);
	const Onnx__AttributeProto *g = attr(n, "group");
	int64_t groups = g && g->i > 0 ? g->i : 1;
	if (!x || !w || x->rank < 2 || w->rank < 2)
		return;
	int64_t c = strcmp(n->op_type, "Conv") ? w->dims[0] : w->dims[1];
	if (c > 0 && groups <= INT64_MAX / c)
		unify(t, x->dims[1], c * groups, 0);
}

static const char *const unary_ops[] = {
	"Relu", "Sigmoid", "Tanh", "Erf", "Sqrt", "Exp", "Log", "Neg", "Abs",
	"Cast", "Softmax", "LogSoftmax", "Dropout", "Identity",
	"LayerNormalization", "BatchNormalization", "Gelu", "LeakyRelu",
	"Clip", "HardSigmoid", "HardSwish", "Reciprocal", "Elu", "Selu",
	"Softplus", "InstanceNormalization", NULL};
static const char *const bcast_ops[] = {"Add", "Sub", "Mul", "Div", "Pow",
					"Max", "Min", "Where", "Equal",
					"Less", "Greater", NULL};

/* Node n's first output from its inputs; what it unifies, bound. */
static void sym_node(struct symtab *t, const Onnx__NodeProto *n)
{
	if (!n->op_type || !n->n_output)
		return;
	struct sval *o = val_find(t, n->output[0], 1);
	if (!o || o->rank >= 0)
		return;
	struct sval tmp = {0};
	tmp.rank = -1;
	if (is_op(n, unary_ops)) {
		struct sval *a = in(t, n, 0);
		if (a)
			tmp = *a;
	} else if (is_op(n, bcast_ops))
		node_bcast(t, n, &tmp);
	else if (!strcmp(n->op_type, "Gather"))
		node_gather(t, n, &tmp);
	else if (!strcmp(n->op_type, "MatMul"))
		node_matmul(t, n, &tmp);
	else if (!strcmp(n->op_type, "Conv") ||
		 !strcmp(n->op_type, "ConvTranspose"))
		node_conv(t, n);
	o->rank = tmp.rank;
	memcpy(o->dims, tmp.dims, sizeof(o->dims));
}

/* A declared shape into v (symbols by name; an unnamed one is new). */
static void sym_declared(struct symtab *t, struct sval *v,
			 const Onnx__TypeProto *tp)
{
	if (!v || !tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
	    !tp->tensor_type || !tp->tensor_type->shape ||
	    tp->tensor_type->shape->n_dim > SYM_MAX_RANK)
		return;
	const Onnx__TensorShapeProto *s = tp->tensor_type->shape;
	for (size_t i = 0; i < s->n_dim; i++) {
		int64_t z = onnx_dim_size(s->dim[i]);
		if (z)
			v->dims[i] = z;
		else if (i == 0)
			v->dims[i] = 1; /* the batch */
		else
			v->dims[i] = -(int64_t)sym_new(t, onnx_dim_name(s->dim[i])) - 1;
	}
	v->rank = (int)s->n_dim;
}

/* Write the bound sizes into a declared shape; the first unbound
 * dimension (>= 1) into *unbound (-1: none). */
static void sym_write(struct symtab *t, const struct sval *v,
		      Onnx__TypeProto *tp, int *unbound)
{
	*unbound = -1;
	if (!v || v->rank < 0 || !tp || !tp->tensor_type ||
	    !tp->tensor_type->shape)
		return;
	Onnx__TensorShapeProto *s = tp->tensor_type->shape;
	for (size_t i = 1; i < s->n_dim && (int)i < v->rank; i++) {
		Onnx__TensorShapeProto__Dimension *dm = s->dim[i];
		if (v->dims[i] >= 0)
			continue;
		int64_t z = dim_size(t, v->dims[i]);
		if (z > 0) {
			/* dim_param shares a union with dim_value: its string
			 * (the reader's, malloc'd by protobuf-c's unpack) is
			 * freed here, as free_unpacked no longer would */
			if (dm->value_case ==
			    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM)
				free(dm->dim_param);
			dm->value_case =
				ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
			dm->dim_value = z;
		} else if (*unbound < 0)
			*unbound = (int)i;
	}
}

static void symtab_init(struct symtab *t, const Onnx__GraphProto *gp)
{
	memset(t, 0, sizeof(*t));
	t->cap_v = (int)(gp->n_input + gp->n_initializer + gp->n_node + 1);
	t->v = xcalloc((size_t)t->cap_v, sizeof(*t->v));
	t->n_hash = 16;
	while (t->n_hash < 2 * t->cap_v)
		t->n_hash *= 2;
	t->hash = xcalloc((size_t)t->n_hash, sizeof(int));
}

/* Any graph input with a symbolic dimension past the batch? */
static int has_wildcards(const Onnx__GraphProto *gp)
{
	for (size_t i = 0; i < gp->n_input; i++) {
		const Onnx__TypeProto *tp = gp->input[i]->type;
		if (!tp || !tp->tensor_type || !tp->tensor_type->shape)
			continue;
		const Onnx__TensorShapeProto *s = tp->tensor_type->shape;
		for (size_t k = 1; k < s->n_dim; k++)
			if (!onnx_dim_size(s->dim[k]))
				return 1;
	}
	return 0;
}

int onnx_bind_symbols(const char *file, Onnx__GraphProto *gp, struct diag *d)
{
	if (!gp || !has_wildcards(gp))
		return 0;
	struct symtab t;
	symtab_init(&t, gp);
	for (size_t i = 0; i < gp->n_initializer; i++) {
		const Onnx__TensorProto *w = gp->initializer[i];
		struct sval *v = val_find(&t, w->name, 1);
		if (!v || w->n_dims > SYM_MAX_RANK)
			continue;
		v->rank = (int)w->n_dims;
		for (size_t k = 0; k < w->n_dims; k++)
			v->dims[k] = w->dims[k];
	}
	for (size_t i = 0; i < gp->n_input; i++) {
		struct sval *v = val_find(&t, gp->input[i]->name, 1);
		if (v && v->rank < 0)
			sym_declared(&t, v, gp->input[i]->type);
	}
	for (size_t i = 0; i < gp->n_node; i++)
		sym_node(&t, gp->node[i]);
	int rc = 0;
	for (size_t i = 0; i < gp->n_input; i++) {
		int u;
		struct sval *v = val_find(&t, gp->input[i]->name, 0);
		sym_write(&t, v, gp->input[i]->type, &u);
		if (u < 0)
			continue;
		const Onnx__TensorShapeProto__Dimension *dm =
			gp->input[i]->type->tensor_type->shape->dim[u];
		diag_add(d, file, 0, 0,
			 "onnx: graph input '%s' dimension %d ('%s') must get "
			 "a size from the graph (a wildcard takes the size of "
			 "what it meets: a weight, a positional table), got "
			 "none; export it with a fixed size",
			 v->name, u, onnx_dim_name(dm) ? onnx_dim_name(dm) : "?");
		rc = WS_EINPUT;
	}
	free(t.v);
	free(t.hash);
	free(t.s);
	return rc;
}
