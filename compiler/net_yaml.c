/*
 * net_yaml.c: YAML networks (format: docs/networks.md) into a graph.
 *
 * libyaml's document API gives a tree with a start mark on every node; each
 * error is reported at the node at fault.  Blocks (named sub-networks) are
 * expanded at each application with a name prefix ("enc1/fc1"); layers of
 * an application with `share:` use the weights of the named earlier
 * application (graph.h param_owner).  References to names not defined yet
 * become placeholder tensors: graph_finish() then reports dangling inputs
 * and cycles at the layer that uses them.
 */
#include "compiler/net_yaml.h"

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "compiler/graph_int.h"
#include "ground/cfg.h"
#include "ground/util.h"

#define NY_MAX_DEPTH  16    /* block applications nested */
#define NY_MAX_REPEAT 10000 /* repeat: upper bound */
#define NY_MAX_PARAMS 16    /* parameters of one block */

struct alias {
	char *name;
	int tensor;
};

/* A block application's view of names. */
struct scope {
	const char *prefix; /* "" at top level, "app/" inside */
	int n_bind;
	const char *bind_name[GRAPH_MAX_IO];
	int bind_tensor[GRAPH_MAX_IO];
	const char *share_prefix; /* "owner/" when sharing weights, or NULL */
	int depth;
	/* block parameters: "$name" in an attribute value is replaced */
	int n_par;
	const char *par_name[NY_MAX_PARAMS];
	yaml_node_t *par_node[NY_MAX_PARAMS];
};

/* Names of the graph's tensors or layers by hash (the newest of equal
 * names, as the graph's newest-first scans find): slot[k] = id + 1, 0
 * free; ids [0, done) are in.  Entries are only ever appended, so a
 * look-up adds the new ones first: a chain of N layers loads in time
 * linear in N, not N^2. */
struct name_ix {
	int *slot;
	int cap, done;
};

struct ny {
	const char *file;
	yaml_document_t doc;
	struct graph *g;
	struct diag *d;
	yaml_node_t *blocks; /* mapping node, or NULL */
	struct alias *aliases;
	int n_alias, cap_alias;
	int errors;
	struct name_ix tix, lix; /* tensors, layers */
};

/* ---------------------------------------------------------------- nodes */

#define LINE(n) ((int)(n)->start_mark.line + 1)
#define COL(n)	((int)(n)->start_mark.column + 1)

static void err(struct ny *c, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void err(struct ny *c, const yaml_node_t *n, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* no node: the document as a whole (an empty file), at 1:1 */
	diag_add(c->d, c->file, n ? LINE(n) : 1, n ? COL(n) : 1, "%s", buf);
	c->errors++;
}

static yaml_node_t *node(struct ny *c, int i)
{
	return yaml_document_get_node(&c->doc, i);
}

static const char *kind_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE: return "a scalar";
	case YAML_SEQUENCE_NODE: return "a list";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "nothing";
	}
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE
		       ? (const char *)n->data.scalar.value
		       : NULL;
}

static yaml_node_t *map_get(struct ny *c, yaml_node_t *m, const char *key)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	     p < m->data.mapping.pairs.top; p++) {
		const char *k = scalar(node(c, p->key));
		if (k && !strcmp(k, key))
			return node(c, p->value);
	}
	return NULL;
}

static int get_int(struct ny *c, yaml_node_t *n, const char *what, int64_t lo,
		   int64_t hi, int64_t *out)
{
	const char *shown = scalar(n);
	char hint[CFG_HINT_MAX];
	int64_t v;
	if (cfg_yaml_int(n, &v, hint, sizeof(hint))) {
		err(c, n, "network: '%s' must be an integer, got %s%s%s%s",
		    what, shown ? "'" : "", shown ? shown : kind_name(n),
		    shown ? "'" : "", hint);
		return -1;
	}
	if (v < lo || v > hi) {
		err(c, n, "network: '%s' must be in [%lld, %lld], got %lld",
		    what, (long long)lo, (long long)hi, (long long)v);
		return -1;
	}
	*out = v;
	return 0;
}

static int get_real(struct ny *c, yaml_node_t *n, const char *what, double lo,
		    double hi, double *out)
{
	const char *shown = scalar(n);
	char hint[CFG_HINT_MAX];
	double v;
	if (cfg_yaml_real(n, &v, hint, sizeof(hint))) {
		err(c, n, "network: '%s' must be a number, got %s%s%s%s", what,
		    shown ? "'" : "", shown ? shown : kind_name(n),
		    shown ? "'" : "", hint);
		return -1;
	}
	if (v < lo || v > hi) {
		err(c, n, "network: '%s' must be in [%g, %g], got %g", what, lo,
		    hi, v);
		return -1;
	}
	*out = v;
	return 0;
}

static int get_bool(struct ny *c, yaml_node_t *n, const char *what, int *out)
{
	const char *s = scalar(n);
	if (s && (!strcmp(s, "true") || !strcmp(s, "yes"))) {
		*out = 1;
		return 0;
	}
	if (s && (!strcmp(s, "false") || !strcmp(s, "no"))) {
		*out = 0;
		return 0;
	}
	err(c, n, "network: '%s' must be true or false, got %s", what,
	    s ? s : kind_name(n));
	return -1;
}

/* An integer or a list of up to `max` integers; returns count or -1. */
static int get_ints(struct ny *c, yaml_node_t *n, const char *what, int max,
		    int64_t lo, int64_t hi, int64_t *out)
{
	if (n->type == YAML_SCALAR_NODE)
		return get_int(c, n, what, lo, hi, out) ? -1 : 1;
	if (n->type != YAML_SEQUENCE_NODE) {
		err(c, n, "network: '%s' must be an integer or a list, got %s",
		    what, kind_name(n));
		return -1;
	}
	int k = 0;
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++, k++) {
		if (k == max) {
			err(c, n,
			    "network: '%s' must have at most %d entries, "
			    "got more",
			    what, max);
			return -1;
		}
		if (get_int(c, node(c, *it), what, lo, hi, &out[k]))
			return -1;
	}
	return k;
}

/* ---------------------------------------------------------------- names */

static int find_tensor(struct ny *c, const char *name);

static void alias_set(struct ny *c, const char *name, int tensor)
{
	/* Layers that named it before it was defined read a placeholder:
	 * point them at the real tensor. */
	int ph = find_tensor(c, name);
	if (ph >= 0 && ph != tensor && c->g->tensors[ph].producer < 0 &&
	    !c->g->tensors[ph].is_input)
		for (int i = 0; i < c->g->n_layers; i++)
			for (int k = 0; k < c->g->layers[i].n_in; k++)
				if (c->g->layers[i].in[k] == ph)
					c->g->layers[i].in[k] = tensor;
	for (int i = 0; i < c->n_alias; i++)
		if (!strcmp(c->aliases[i].name, name)) {
			c->aliases[i].tensor = tensor;
			return;
		}
	if (c->n_alias == c->cap_alias) {
		c->cap_alias = c->cap_alias ? 2 * c->cap_alias : 16;
		c->aliases = xrealloc(c->aliases,
				      c->cap_alias * sizeof(*c->aliases));
	}
	c->aliases[c->n_alias].name = xstrdup(name);
	c->aliases[c->n_alias++].tensor = tensor;
}

static int alias_find(const struct ny *c, const char *name)
{
	for (int i = 0; i < c->n_alias; i++)
		if (!strcmp(c->aliases[i].name, name))
			return c->aliases[i].tensor;
	return -1;
}

/* A name used as an input: a bound block input, an alias (block output),
 * or a tensor (created as a placeholder if not defined yet). */
static int resolve(struct ny *c, const struct scope *s, const char *local)
{
	for (int i = 0; i < s->n_bind; i++)
		if (!strcmp(s->bind_name[i], local))
			return s->bind_tensor[i];
	char *full = xasprintf("%s%s", s->prefix, local);
	int t = alias_find(c, full);
	if (t < 0)
		t = find_tensor(c, full);
	if (t < 0)
		t = graph_add_tensor(c->g, full, DT_FP32, 0, NULL);
	free(full);
	return t;
}

typedef const char *(*name_of_fn)(const struct graph *g, int i);

static const char *tensor_name(const struct graph *g, int i)
{
	return g->tensors[i].name;
}

static const char *layer_name(const struct graph *g, int i)
{
	return g->layers[i].name;
}

static size_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return (size_t)h;
}

static void ix_put(struct name_ix *x, name_of_fn nm, const struct graph *g,
		   int id)
{
	const char *name = nm(g, id);
	if (!name)
		return;
	size_t mask = (size_t)x->cap - 1, k = name_hash(name) & mask;
	for (; x->slot[k]; k = (k + 1) & mask)
		if (!strcmp(nm(g, x->slot[k] - 1), name)) {
			x->slot[k] = id + 1; /* the newer of equal names */
			return;
		}
	x->slot[k] = id + 1;
}

/* The newest of the first n entries named `name`, or -1. */
static int ix_find(struct name_ix *x, name_of_fn nm, const struct graph *g,
		   int n, const char *name)
{
	if (n < x->done || 2 * (size_t)n + 2 > (size_t)x->cap) {
		free(x->slot);
		for (x->cap = 64; (size_t)x->cap < 4 * (size_t)n + 4; x->cap *= 2)
			;
		x->slot = xcalloc((size_t)x->cap, sizeof(int));
		x->done = 0;
	}
	for (; x->done < n; x->done++)
		ix_put(x, nm, g, x->done);
	size_t mask = (size_t)x->cap - 1;
	for (size_t k = name_hash(name) & mask; x->slot[k]; k = (k + 1) & mask)
		if (!strcmp(nm(g, x->slot[k] - 1), name))
			return x->slot[k] - 1;
	return -1;
}

/* graph_find_tensor and the layer of that name, by the index. */
static int find_tensor(struct ny *c, const char *name)
{
	return ix_find(&c->tix, tensor_name, c->g, c->g->n_tensors, name);
}

static int find_layer(struct ny *c, const char *name)
{
	return ix_find(&c->lix, layer_name, c->g, c->g->n_layers, name);
}

/* ---------------------------------------------------------------- ops */

/* Per op: YAML names, the op, required and optional attribute keys, and
 * the variant it fixes (attrs.ew_name), if any. */
struct op_spec {
	const char *name;
	enum op_kind op;
	int spatial;
	const char *req, *opt;
	const char *fn;
};

static const struct op_spec op_specs[] = {
	{"dense", OP_DENSE, 0, "units", "bias", NULL},
	{"linear", OP_DENSE, 0, "units", "bias", NULL},
	{"matmul", OP_MATMUL, 0, "", "", NULL},
	{"conv", OP_CONV, 0, "filters kernel",
	 "stride padding dilation groups bias", NULL},
	{"conv1d", OP_CONV, 1, "filters kernel",
	 "stride padding dilation groups bias", NULL},
	{"conv2d", OP_CONV, 2, "filters kernel",
	 "stride padding dilation groups bias", NULL},
	{"conv3d", OP_CONV, 3, "filters kernel",
	 "stride padding dilation groups bias", NULL},
	{"maxpool", OP_MAXPOOL, 0, "kernel", "stride padding ceil_mode", NULL},
	{"avgpool", OP_AVGPOOL, 0, "kernel", "stride padding ceil_mode", NULL},
	{"globalavgpool", OP_GLOBALAVGPOOL, 0, "", "", NULL},
	{"batchnorm", OP_BATCHNORM, 0, "", "", NULL},
	{"layernorm", OP_LAYERNORM, 0, "", "bias", NULL},
	{"relu", OP_RELU, 0, "", "", NULL},
	{"sigmoid", OP_SIGMOID, 0, "", "", NULL},
	{"tanh", OP_TANH, 0, "", "", NULL},
	{"gelu", OP_GELU, 0, "", "", NULL},
	{"softmax", OP_SOFTMAX, 0, "", "axis", NULL},
	{"dropout", OP_DROPOUT, 0, "", "rate", NULL},
	{"embedding", OP_EMBEDDING, 0, "vocab dim", "", NULL},
	{"attention", OP_ATTENTION, 0, "heads", "causal", NULL},
	{"add", OP_ADD, 0, "", "", NULL},
	{"sub", OP_SUB, 0, "", "", NULL},
	{"mul", OP_MUL, 0, "", "", NULL},
	{"div", OP_DIV, 0, "", "", NULL},
	{"unary", OP_EW_UNARY, 0, "fn", "flops", NULL},
	{"concat", OP_CONCAT, 0, "", "axis", NULL},
	{"flatten", OP_FLATTEN, 0, "", "axis", NULL},
	{"reshape", OP_RESHAPE, 0, "shape", "", NULL},
	{"transpose", OP_TRANSPOSE, 0, "perm", "", NULL},
	{"split", OP_SPLIT, 0, "", "axis parts sizes", NULL},
	{"slice", OP_SLICE, 0, "start", "axis end step", NULL},
	{"squeeze", OP_SQUEEZE, 0, "", "axes", NULL},
	{"mse_loss", OP_LOSS_MSE, 0, "", "", NULL},
	{"cross_entropy", OP_LOSS_XENT, 0, "", "", NULL},
	{"conv_transpose", OP_CONV_TRANSPOSE, 0, "filters kernel",
	 "stride padding output_padding dilation groups bias", NULL},
	{"conv_transpose1d", OP_CONV_TRANSPOSE, 1, "filters kernel",
	 "stride padding output_padding dilation groups bias", NULL},
	{"conv_transpose2d", OP_CONV_TRANSPOSE, 2, "filters kernel",
	 "stride padding output_padding dilation groups bias", NULL},
	{"conv_transpose3d", OP_CONV_TRANSPOSE, 3, "filters kernel",
	 "stride padding output_padding dilation groups bias", NULL},
	{"reduce_mean", OP_REDUCE, 0, "", "axes keepdims", "mean"},
	{"reduce_sum", OP_REDUCE, 0, "", "axes keepdims", "sum"},
	{"reduce_max", OP_REDUCE, 0, "", "axes keepdims", "max"},
	{"resize", OP_RESIZE, 0, "", "scale size mode", "nearest"},
	{"upsample", OP_RESIZE, 0, "", "scale size mode", "nearest"},
	{"pad", OP_PAD, 0, "pads", "", NULL},
};

/* Keys any layer entry may have. */
static const char common_keys[] = "name op block in repeat shared share with";

/* A "$param" value replaced by the block parameter bound in scope s. */
static yaml_node_t *subst(struct ny *c, const struct scope *s, yaml_node_t *v)
{
	const char *x = scalar(v);
	if (!x || x[0] != '$')
		return v;
	for (int i = 0; s && i < s->n_par; i++)
		if (!strcmp(s->par_name[i], x + 1))
			return s->par_node[i];
	err(c, v,
	    "network: '%s' must name a parameter of the enclosing block, "
	    "got no such parameter",
	    x);
	return NULL;
}

static int word_in(const char *list, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = list; *p;) {
		while (*p == ' ')
			p++;
		const char *e = p;
		while (*e && *e != ' ')
			e++;
		if ((size_t)(e - p) == n && !strncmp(p, w, n))
			return 1;
		p = e;
	}
	return 0;
}

static const struct op_spec *find_op(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(op_specs); i++)
		if (!strcmp(op_specs[i].name, name))
			return &op_specs[i];
	return NULL;
}

static void list_ops(char *buf, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < ARRAY_SIZE(op_specs) && k < n; i++)
		k += snprintf(buf + k, n - k, "%s%s", i ? ", " : "",
			      op_specs[i].name);
}

/* Attribute parsing state of one entry. */
struct attr_ctx {
	struct ny *c;
	struct op_attrs *a;
	int *n_parts;
	int stride_given;
};

/* Integer attributes: key, field, range. */
static const struct {
	const char *key;
	size_t off;
	int64_t lo, hi;
} int_keys[] = {
	{"units", offsetof(struct op_attrs, units), 1, INT32_MAX},
	{"filters", offsetof(struct op_attrs, out_channels), 1, INT32_MAX},
	{"groups", offsetof(struct op_attrs, groups), 1, INT32_MAX},
	{"heads", offsetof(struct op_attrs, heads), 1, 65536},
	{"vocab", offsetof(struct op_attrs, vocab), 1, INT32_MAX},
	{"dim", offsetof(struct op_attrs, dim), 1, INT32_MAX},
	{"flops", offsetof(struct op_attrs, ew_flops_per_elem), 1, 1000},
	{"start", offsetof(struct op_attrs, start), -INT32_MAX, INT32_MAX},
	{"end", offsetof(struct op_attrs, end), -INT32_MAX, INT32_MAX},
	{"step", offsetof(struct op_attrs, step), 1, INT32_MAX},
};

/* Boolean attributes: key, field. */
static const struct {
	const char *key;
	size_t off;
} bool_keys[] = {
	{"bias", offsetof(struct op_attrs, bias)},
	{"causal", offsetof(struct op_attrs, causal)},
	{"ceil_mode", offsetof(struct op_attrs, ceil_mode)},
	{"keepdims", offsetof(struct op_attrs, keepdims)},
};

/* kernel, stride, dilation, padding: one value or one per spatial dim. */
static int attr_window(struct attr_ctx *x, const char *k, yaml_node_t *v)
{
	struct op_attrs *a = x->a;
	int64_t tmp[GRAPH_MAX_DIMS] = {0};
	int zero_ok = !strcmp(k, "padding") || !strcmp(k, "output_padding");
	int n = get_ints(x->c, v, k, 3, zero_ok ? 0 : 1, 100000, tmp);
	if (n < 0)
		return 1;
	int64_t *dst = !strcmp(k, "kernel")	      ? a->kernel
		       : !strcmp(k, "stride")	      ? a->stride
		       : !strcmp(k, "dilation")	      ? a->dilation
		       : !strcmp(k, "output_padding") ? a->output_padding
						      : a->pad_begin;
	for (int i = 0; i < 3; i++)
		dst[i] = tmp[n == 1 ? 0 : (i < n ? i : n - 1)];
	if (dst == a->pad_begin)
		memcpy(a->pad_end, a->pad_begin, sizeof(a->pad_end));
	int bad = 0;
	if (v->type == YAML_SEQUENCE_NODE) {
		if (a->spatial && a->spatial != n) {
			err(x->c, v,
			    "network: '%s' must have %d entries, got %d", k,
			    a->spatial, n);
			bad = 1;
		}
		a->spatial = n;
	}
	if (dst == a->stride)
		x->stride_given = 1;
	return bad;
}

static int attr_rate(struct attr_ctx *x, const char *k, yaml_node_t *v)
{
	return get_real(x->c, v, k, 0, 1, &x->a->rate) ? 1 : 0;
}

static int attr_axis(struct attr_ctx *x, const char *k, yaml_node_t *v)
{
	int64_t ax;
	if (get_int(x->c, v, k, -GRAPH_MAX_DIMS, GRAPH_MAX_DIMS, &ax))
		return 1;
	x->a->axis = (int)ax;
	return 0;
}

static int attr_fn(struct attr_ctx *x, const char *k, yaml_node_t *v)
{
	(void)k;
	const char *fn = scalar(v);
	if (!fn) {
		err(x->c, v, "network: 'fn' must be a name, got %s",
		    kind_name(v));
		return 1;
	}
	snprintf(x->a->ew_name, sizeof(x->a->ew_name), "%s", fn);
	return 0;
}

static int attr_shape(struct attr_ctx *x, const char *k, yaml_node_t *v)
{
	int n = get_ints(x->c, v, k, GRAPH_MAX_DIMS, -1, INT32_MAX,
			 x->a->shape);
	if (n < 0 || v->type != YAML_SEQUENCE_NODE) {
		if (n >= 0)
			err(x->c, v,
			    "network: 'shape' must be a list, got a scalar");
		return 1;
	}
	x->a->shape_rank = n;
	return 0;
}

static int attr_perm(struct attr_ctx *x, const char *k, yaml_node_t *v)
{
	int n = get_ints(x->c, v, k, GRAPH_MAX_DIMS, 0, GRAPH_MAX_DIMS - 1,
			 x->a->perm);
	if (n < 0)
		return 1;
	x->a->perm_rank = n;
	return 0;
}

static int attr_parts(struct attr_ctx *x, const char *k, yaml_node_t *v)
{
	int64_t p1;
	if (get_int(x->c, v, k, 1, GRAPH_MAX_IO, &p1))
		return 1;
	*x->n_parts = (int)p1;
	return 0;
}

static int attr_sizes(struct attr_ctx *x, const char *k, yaml_node_t *v)
{
	int n = get_ints(x->c, v, k, GRAPH_MAX_IO, 1, INT32_MAX, x->a->sizes);
	if (n < 0)
		return 1;
	*x->n_parts = n;
	return 0;
}

static int attr_axes(struct attr_ctx *x, const char *k, yaml_node_t *v)
{
	int64_t tmp[GRAPH_MAX_DIMS] = {0};
	int n = get_ints(x->c, v, k, GRAPH_MAX_DIMS, 0, GRAPH_MAX_DIMS - 1,
			 tmp);
	for (int i = 0; i < n; i++) {
		if (x->a->axes_mask & (1u << tmp[i])) {
			err(x->c, v, "network: '%s' must name each axis once, "
			    "got %lld twice",
			    k, (long long)tmp[i]);
			return 1;
		}
		x->a->axes_mask |= 1u << tmp[i];
	}
	return n < 0;
}

/* Resize factors of the spatial axes: one for all, or one per axis. */
static int attr_scale(struct attr_ctx *x, const char *k, yaml_node_t *v)
{
	int n = 0;
	double s[GRAPH_MAX_DIMS - 1];
	if (v->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top; it++, n++)
			if (n == GRAPH_MAX_DIMS - 1 ||
			    get_real(x->c, node(x->c, *it), k, 1e-3, 1e3,
				     &s[n]))
				return 1;
		for (int i = 0; i < n; i++)
			x->a->scale[1 + i] = s[i];
		return 0;
	}
	if (get_real(x->c, v, k, 1e-3, 1e3, &s[0]))
		return 1;
	for (int i = 1; i < GRAPH_MAX_DIMS; i++)
		x->a->scale[i] = s[0];
	return 0;
}

/* Resize target sizes of the spatial axes (channels kept). */
static int attr_size(struct attr_ctx *x, const char *k, yaml_node_t *v)
{
	int64_t tmp[GRAPH_MAX_DIMS] = {0};
	int n = get_ints(x->c, v, k, GRAPH_MAX_DIMS - 1, 1, INT32_MAX, tmp);
	if (n < 0)
		return 1;
	x->a->shape[0] = 0;
	for (int i = 0; i < n; i++)
		x->a->shape[1 + i] = tmp[i];
	x->a->shape_rank = n + 1;
	return 0;
}

static int attr_mode(struct attr_ctx *x, const char *k, yaml_node_t *v)
{
	static const char *const modes[][2] = {
		{"nearest", "nearest"}, {"linear", "linear"},
		{"bilinear", "linear"}, {"trilinear", "linear"},
		{"cubic", "cubic"},	{"bicubic", "cubic"},
	};
	const char *m = scalar(v);
	for (size_t i = 0; m && i < ARRAY_SIZE(modes); i++)
		if (!strcmp(m, modes[i][0])) {
			snprintf(x->a->ew_name, sizeof(x->a->ew_name), "%s",
				 modes[i][1]);
			return 0;
		}
	err(x->c, v,
	    "network: '%s' must be nearest, linear, bilinear, trilinear, "
	    "cubic or bicubic, got %s",
	    k, m ? m : kind_name(v));
	return 1;
}

/* Pads as PyTorch's F.pad lists them: (before, after) of the last axis,
 * then of the one before it, ... */
static int attr_pads(struct attr_ctx *x, const char *k, yaml_node_t *v)
{
	int64_t tmp[2 * GRAPH_MAX_DIMS] = {0};
	int n = get_ints(x->c, v, k, 2 * GRAPH_MAX_DIMS, -INT32_MAX, INT32_MAX,
			 tmp);
	if (n < 0)
		return 1;
	if (n % 2 || n == 0) {
		err(x->c, v,
		    "network: '%s' must list (before, after) pairs, got %d "
		    "values",
		    k, n);
		return 1;
	}
	for (int i = 0; i < n / 2; i++) {
		x->a->pads[0][i] = tmp[2 * i];
		x->a->pads[1][i] = tmp[2 * i + 1];
	}
	return 0;
}

/* Attributes with a parser of their own. */
static const struct {
	const char *key;
	int (*parse)(struct attr_ctx *x, const char *k, yaml_node_t *v);
} fn_keys[] = {
	{"kernel", attr_window},
	{"stride", attr_window},
	{"dilation", attr_window},
	{"padding", attr_window},
	{"rate", attr_rate},
	{"axis", attr_axis},
	{"fn", attr_fn},
	{"shape", attr_shape},
	{"perm", attr_perm},
	{"parts", attr_parts},
	{"sizes", attr_sizes},
	{"axes", attr_axes},
	{"output_padding", attr_window},
	{"scale", attr_scale},
	{"size", attr_size},
	{"mode", attr_mode},
	{"pads", attr_pads},
};

/* One attribute key (already checked to belong to the op); 1 if bad. */
static int parse_attr(struct attr_ctx *x, const char *k, yaml_node_t *v)
{
	for (size_t i = 0; i < ARRAY_SIZE(int_keys); i++)
		if (!strcmp(k, int_keys[i].key))
			return get_int(x->c, v, k, int_keys[i].lo,
				       int_keys[i].hi,
				       (int64_t *)((char *)x->a +
						   int_keys[i].off))
				       ? 1
				       : 0;
	for (size_t i = 0; i < ARRAY_SIZE(bool_keys); i++)
		if (!strcmp(k, bool_keys[i].key)) {
			int b = 0;
			int bad = get_bool(x->c, v, k, &b) ? 1 : 0;
			*(int *)((char *)x->a + bool_keys[i].off) = b;
			return bad;
		}
	for (size_t i = 0; i < ARRAY_SIZE(fn_keys); i++)
		if (!strcmp(k, fn_keys[i].key))
			return fn_keys[i].parse(x, k, v);
	return 0;
}

/* Every key must belong to the op, every required one be there; 0 or -1. */
static int check_keys(struct ny *c, yaml_node_t *e, const struct op_spec *sp)
{
	int bad = 0;
	/* Unknown keys first, then required ones. */
	for (yaml_node_pair_t *p = e->data.mapping.pairs.start;
	     p < e->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = node(c, p->key);
		const char *k = scalar(kn);
		if (!k)
			continue;
		if (!word_in(common_keys, k) && !word_in(sp->req, k) &&
		    !word_in(sp->opt, k)) {
			err(c, kn,
			    "network: key '%s' is not an attribute of op '%s' "
			    "(it takes: %s%s%s)",
			    k, sp->name, sp->req,
			    *sp->req && *sp->opt ? " " : "",
			    *sp->req || *sp->opt ? sp->opt : "nothing");
			bad = 1;
		}
	}
	char req[128];
	snprintf(req, sizeof(req), "%s", sp->req);
	for (char *save, *w = strtok_r(req, " ", &save); w;
	     w = strtok_r(NULL, " ", &save))
		if (!map_get(c, e, w)) {
			err(c, e,
			    "network: layer of op '%s' must have '%s', got "
			    "none",
			    sp->name, w);
			bad = 1;
		}
	return bad ? -1 : 0;
}

static void attrs_default(struct op_attrs *a, const struct op_spec *sp)
{
	memset(a, 0, sizeof(*a));
	a->bias = 1;
	a->groups = 1;
	a->axis = sp->op == OP_FLATTEN ? 0 : -1;
	a->spatial = sp->spatial;
	for (int i = 0; i < 3; i++)
		a->stride[i] = a->dilation[i] = 1;
	a->step = 1;
	a->end = INT64_MAX;
	if (sp->fn)
		snprintf(a->ew_name, sizeof(a->ew_name), "%s", sp->fn);
}

/* Fill attrs from the entry's keys; 0 or -1. */
static int parse_attrs(struct ny *c, yaml_node_t *e, const struct op_spec *sp,
		       const struct scope *s, struct op_attrs *a, int *n_parts)
{
	struct attr_ctx x = {c, a, n_parts, 0};
	int bad = 0;
	attrs_default(a, sp);
	*n_parts = 0;
	if (check_keys(c, e, sp))
		return -1;
	for (yaml_node_pair_t *p = e->data.mapping.pairs.start;
	     p < e->data.mapping.pairs.top; p++) {
		const char *k = scalar(node(c, p->key));
		yaml_node_t *v = node(c, p->value);
		if (!k || word_in(common_keys, k))
			continue;
		if (!(v = subst(c, s, v))) {
			bad = 1;
			continue;
		}
		bad |= parse_attr(&x, k, v);
	}
	if ((sp->op == OP_MAXPOOL || sp->op == OP_AVGPOOL) && !x.stride_given)
		memcpy(a->stride, a->kernel, sizeof(a->stride));
	if (sp->op == OP_EW_UNARY && !a->ew_flops_per_elem)
		a->ew_flops_per_elem = 1;
	if (sp->op == OP_SPLIT && !*n_parts) {
		err(c, e,
		    "network: layer of op 'split' must have 'parts' or "
		    "'sizes', got neither");
		bad = 1;
	}
	return bad ? -1 : 0;
}

/* ---------------------------------------------------------------- layers */

static int expand_list(struct ny *c, yaml_node_t *seq, const struct scope *s,
		       int first_in, int *last_out);

/* Inputs of an entry: explicit `in:` or the previous output. */
static int entry_inputs(struct ny *c, yaml_node_t *e, const struct scope *s,
			int prev, int *in)
{
	yaml_node_t *v = map_get(c, e, "in");
	if (!v) {
		if (prev < 0) {
			err(c, e,
			    "network: layer must say its input ('in:'), "
			    "got none and no previous layer");
			return -1;
		}
		in[0] = prev;
		return 1;
	}
	if (v->type == YAML_SCALAR_NODE) {
		in[0] = resolve(c, s, scalar(v));
		return 1;
	}
	if (v->type != YAML_SEQUENCE_NODE) {
		err(c, v,
		    "network: 'in' must be a name or a list of names, got "
		    "%s",
		    kind_name(v));
		return -1;
	}
	int n = 0;
	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++) {
		yaml_node_t *x = node(c, *it);
		if (!scalar(x)) {
			err(c, x,
			    "network: entries of 'in' must be names, got "
			    "%s",
			    kind_name(x));
			return -1;
		}
		if (n == GRAPH_MAX_IO) {
			err(c, v, "network: 'in' must list at most %d inputs",
			    GRAPH_MAX_IO);
			return -1;
		}
		in[n++] = resolve(c, s, scalar(x));
	}
	return n;
}

/* One op layer named `full`; returns its first output tensor or -1. */
static int add_op_layer(struct ny *c, yaml_node_t *e, const struct op_spec *sp,
			const struct scope *s, const char *full, int n_in,
			const int *in, int share_layer)
{
	struct op_attrs a;
	int parts;
	if (parse_attrs(c, e, sp, s, &a, &parts))
		return -1;
	if (find_layer(c, full) >= 0) {
		err(c, e,
		    "network: layer name '%s' must be unique, got it "
		    "twice",
		    full);
		return -1;
	}
	int out[GRAPH_MAX_IO], n_out = sp->op == OP_SPLIT ? parts : 1;
	for (int o = 0; o < n_out; o++) {
		char *tn =
			n_out > 1 ? xasprintf("%s:%d", full, o) : xstrdup(full);
		int t = find_tensor(c, tn);
		if (t < 0 || c->g->tensors[t].is_input)
			t = graph_add_tensor(c->g, tn, DT_FP32, 0, NULL);
		out[o] = t;
		free(tn);
	}
	int id = graph_add_layer(c->g, full, sp->op, &a, n_in, in, n_out, out);
	struct layer *l = &c->g->layers[id];
	l->src_line = LINE(e);
	l->src_col = COL(e);
	if (share_layer >= 0) {
		struct layer *o = &c->g->layers[share_layer];
		/* a bias-free dense layer of `vocab` units may use an
		 * embedding's table transposed (a language model's head
		 * tied to its token embedding, GPT-2 and BERT) */
		int tied = l->op == OP_DENSE && o->op == OP_EMBEDDING &&
			   !l->attrs.bias && l->attrs.units == o->attrs.vocab;
		if (!tied && (o->op != l->op ||
			      memcmp(&o->attrs, &l->attrs, sizeof(l->attrs)))) {
			err(c, e,
			    "network: layer '%s' must match the layer "
			    "'%s' whose weights it shares, got op '%s' vs "
			    "'%s' or different attributes",
			    full, o->name, op_name(l->op), op_name(o->op));
			return -1;
		}
		if (op_has_params(l->op)) /* nothing to share otherwise */
			l->param_owner = o->param_owner;
	}
	return out[0];
}

/* Apply block `bname` (mapping node) as application `app`. */
static int bind_params(struct ny *c, yaml_node_t *e, yaml_node_t *b,
		       const char *bname, const struct scope *caller,
		       struct scope *s)
{
	yaml_node_t *pars = map_get(c, b, "params");
	yaml_node_t *with = map_get(c, e, "with");
	if (pars && pars->type != YAML_MAPPING_NODE) {
		err(c, pars,
		    "network: 'params' of block '%s' must map names to "
		    "defaults, got %s",
		    bname, kind_name(pars));
		return -1;
	}
	if (with && with->type != YAML_MAPPING_NODE) {
		err(c, with,
		    "network: 'with' must map block parameters to "
		    "values, got %s",
		    kind_name(with));
		return -1;
	}
	if (with)
		for (yaml_node_pair_t *p = with->data.mapping.pairs.start;
		     p < with->data.mapping.pairs.top; p++) {
			const char *k = scalar(node(c, p->key));
			if (!k || !map_get(c, pars, k)) {
				err(c, node(c, p->key),
				    "network: '%s' must be a parameter of "
				    "block "
				    "'%s', got no such parameter",
				    k ? k : "?", bname);
				return -1;
			}
		}
	if (!pars)
		return 0;
	for (yaml_node_pair_t *p = pars->data.mapping.pairs.start;
	     p < pars->data.mapping.pairs.top; p++) {
		const char *k = scalar(node(c, p->key));
		yaml_node_t *v = map_get(c, with, k);
		if (v)
			v = subst(c, caller, v);
		else
			v = node(c, p->value);
		if (!v)
			return -1;
		const char *vs = scalar(v);
		if (!vs || !*vs || !strcmp(vs, "~") || !strcmp(vs, "null")) {
			err(c, e,
			    "network: block '%s' must be given parameter "
			    "'%s' ('with:'), got none",
			    bname, k);
			return -1;
		}
		if (s->n_par == NY_MAX_PARAMS) {
			err(c, pars,
			    "network: block '%s' must have at most %d "
			    "parameters",
			    bname, NY_MAX_PARAMS);
			return -1;
		}
		s->par_name[s->n_par] = k;
		s->par_node[s->n_par++] = v;
	}
	return 0;
}

static int apply_block(struct ny *c, yaml_node_t *e, yaml_node_t *bname_node,
		       const char *app, const char *share_app, int n_in,
		       const int *in, const struct scope *caller)
{
	int depth = caller->depth;
	const char *bname = scalar(bname_node);
	yaml_node_t *b = bname ? map_get(c, c->blocks, bname) : NULL;
	if (!b) {
		err(c, bname_node,
		    "network: block '%s' must be defined under "
		    "'blocks:', got no such block",
		    bname ? bname : "?");
		return -1;
	}
	if (depth >= NY_MAX_DEPTH) {
		err(c, e,
		    "network: blocks must nest at most %d deep, got "
		    "deeper (is block '%s' applied inside itself?)",
		    NY_MAX_DEPTH, bname);
		return -1;
	}
	if (b->type != YAML_MAPPING_NODE) {
		err(c, b, "network: block '%s' must be a mapping, got %s",
		    bname, kind_name(b));
		return -1;
	}
	yaml_node_t *bin = map_get(c, b, "inputs");
	yaml_node_t *layers = map_get(c, b, "layers");
	if (!layers || layers->type != YAML_SEQUENCE_NODE) {
		err(c, b,
		    "network: block '%s' must have a 'layers' list, got %s",
		    bname, layers ? kind_name(layers) : "none");
		return -1;
	}
	struct scope s = {0};
	char *prefix = xasprintf("%s/", app);
	char *sprefix = share_app ? xasprintf("%s/", share_app) : NULL;
	s.prefix = prefix;
	s.share_prefix = sprefix;
	s.depth = depth + 1;
	int rc = -1, last = -1;
	if (bind_params(c, e, b, bname, caller, &s))
		goto out;
	if (bin) {
		if (bin->type != YAML_SEQUENCE_NODE) {
			err(c, bin,
			    "network: 'inputs' of block '%s' must be a "
			    "list of names, got %s",
			    bname, kind_name(bin));
			goto out;
		}
		for (yaml_node_item_t *it = bin->data.sequence.items.start;
		     it < bin->data.sequence.items.top; it++) {
			const char *nm = scalar(node(c, *it));
			if (!nm || s.n_bind == GRAPH_MAX_IO) {
				err(c, bin,
				    "network: 'inputs' of block '%s' "
				    "must be at most %d names",
				    bname, GRAPH_MAX_IO);
				goto out;
			}
			s.bind_name[s.n_bind++] = nm;
		}
	} else {
		s.bind_name[0] = "in";
		s.n_bind = 1;
	}
	if (s.n_bind != n_in) {
		err(c, e,
		    "network: block '%s' must be given %d input%s, got %d",
		    bname, s.n_bind, s.n_bind == 1 ? "" : "s", n_in);
		goto out;
	}
	for (int i = 0; i < n_in; i++)
		s.bind_tensor[i] = in[i];
	if (expand_list(c, layers, &s, in[0], &last))
		goto out;
	yaml_node_t *outn = map_get(c, b, "output");
	if (outn) {
		const char *o = scalar(outn);
		if (!o) {
			err(c, outn,
			    "network: 'output' of block '%s' must be a "
			    "name, got %s",
			    bname, kind_name(outn));
			goto out;
		}
		last = resolve(c, &s, o);
	}
	rc = last;
out:
	free(prefix);
	free(sprefix);
	return rc;
}

/* What an entry applies: an op (*sp) or a block (*bn); 0 or -1. */
static int entry_kind(struct ny *c, yaml_node_t *e, const struct op_spec **sp,
		      yaml_node_t **bn)
{
	yaml_node_t *opn = map_get(c, e, "op");
	*bn = map_get(c, e, "block");
	*sp = NULL;
	if (!!opn == !!*bn) {
		err(c, e,
		    "network: a layer must have exactly one of 'op' or "
		    "'block', got %s",
		    opn ? "both" : "neither");
		return -1;
	}
	if (opn) {
		const char *o = scalar(opn);
		*sp = o ? find_op(o) : NULL;
		if (!*sp) {
			char ops[1024];
			list_ops(ops, sizeof(ops));
			err(c, opn, "network: op must be one of %s; got '%s'",
			    ops, o ? o : kind_name(opn));
			return -1;
		}
		return 0;
	}
	/* block applications take only the common keys */
	for (yaml_node_pair_t *p = e->data.mapping.pairs.start;
	     p < e->data.mapping.pairs.top; p++) {
		const char *k = scalar(node(c, p->key));
		if (k && !word_in(common_keys, k)) {
			err(c, node(c, p->key),
			    "network: key '%s' is not allowed on a block "
			    "application (allowed: %s)",
			    k, common_keys);
			return -1;
		}
	}
	return 0;
}

/* A name with a control character (a line break, a tab) is refused, at
 * node n: it would break the tables, CSV rows, plan files and gnuplot
 * scripts it is written into; so is one longer than GRAPH_NAME_MAX.  0,
 * or -1 after an error. */
static int name_ctrl_check(struct ny *c, yaml_node_t *n, const char *what,
			   const char *nm)
{
	long at = nm ? ctrl_char_offset(nm) : -1;
	if (nm && strlen(nm) > GRAPH_NAME_MAX) {
		err(c, n, "network: %s must be at most %d bytes, got %zu "
		    "('%.40s...')",
		    what, GRAPH_NAME_MAX, strlen(nm), nm);
		return -1;
	}
	if (at < 0)
		return 0;
	err(c, n,
	    "network: %s must be one line of text, got the control "
	    "character 0x%02x at character %ld",
	    what, (unsigned char)nm[at], at + 1);
	return -1;
}

/* The entry's own name (allocated), or NULL after an error. */
static char *entry_name(struct ny *c, yaml_node_t *e, const struct op_spec *sp,
			yaml_node_t *bn, int index)
{
	yaml_node_t *nn = map_get(c, e, "name");
	if (!nn)
		return xasprintf("%s_%d", sp ? sp->name : scalar(bn), index);
	const char *nm = scalar(nn);
	if (!nm || !*nm || strchr(nm, '/') || strchr(nm, ':')) {
		err(c, nn,
		    "network: 'name' must be a name without '/' or ':', got %s",
		    nm ? nm : kind_name(nn));
		return NULL;
	}
	if (name_ctrl_check(c, nn, "'name'", nm))
		return NULL;
	return xstrdup(nm);
}

/* The full name of the layer or application whose weights the entry
 * shares ('share:', or the same name under a shared block), or NULL; *bad
 * set after an error. */
static char *entry_share(struct ny *c, yaml_node_t *e, const struct scope *s,
			 const char *local, int *bad)
{
	yaml_node_t *sharen = map_get(c, e, "share");
	*bad = 0;
	if (sharen) {
		const char *o = scalar(sharen);
		if (!o) {
			err(c, sharen,
			    "network: 'share' must name an earlier layer or "
			    "block application, got %s",
			    kind_name(sharen));
			*bad = 1;
			return NULL;
		}
		return xasprintf("%s%s", s->prefix, o);
	}
	if (s->share_prefix)
		return xasprintf("%s%s", s->share_prefix, local);
	return NULL;
}

/* One application named `full` of an op or block entry, sharing the
 * weights of `owner` (or not, when NULL); returns its output, -1, or -2
 * when `owner` names nothing (the entry's earlier output stands). */
static int entry_apply(struct ny *c, yaml_node_t *e, const struct op_spec *sp,
		       yaml_node_t *bn, const struct scope *s, const char *full,
		       const char *owner, int n_in, const int *in)
{
	yaml_node_t *where = map_get(c, e, "share");
	if (!where)
		where = e;
	if (sp) {
		int sl = -1;
		if (owner && (sl = find_layer(c, owner)) < 0) {
			err(c, where,
			    "network: 'share' must name an earlier layer, got "
			    "'%s'",
			    owner);
			return -2;
		}
		return add_op_layer(c, e, sp, s, full, n_in, in, sl);
	}
	if (owner && alias_find(c, owner) < 0) {
		err(c, where,
		    "network: 'share' must name an earlier block application, "
		    "got '%s'",
		    owner);
		return -2;
	}
	int out = apply_block(c, e, bn, full, owner, n_in, in, s);
	if (out >= 0)
		alias_set(c, full, out);
	return out;
}

/* One entry of a layer list (possibly repeated); returns its output. */
static int expand_entry(struct ny *c, yaml_node_t *e, const struct scope *s,
			int index, int prev)
{
	if (e->type != YAML_MAPPING_NODE) {
		err(c, e, "network: a layer must be a mapping, got %s",
		    kind_name(e));
		return -1;
	}
	const struct op_spec *sp;
	yaml_node_t *bn;
	if (entry_kind(c, e, &sp, &bn))
		return -1;
	char *local = entry_name(c, e, sp, bn, index);
	if (!local)
		return -1;
	int64_t repeat = 1;
	int shared = 0, bad = 0;
	yaml_node_t *rn = map_get(c, e, "repeat"),
		    *shn = map_get(c, e, "shared");
	int in[GRAPH_MAX_IO], n_in = -1;
	char *share_full = NULL;
	if ((rn && get_int(c, rn, "repeat", 1, NY_MAX_REPEAT, &repeat)) ||
	    (shn && get_bool(c, shn, "shared", &shared)) ||
	    (n_in = entry_inputs(c, e, s, prev, in)) < 0 ||
	    ((share_full = entry_share(c, e, s, local, &bad)), bad)) {
		free(local);
		return -1;
	}
	int explicit_share = map_get(c, e, "share") != NULL;
	int out = -1;
	char *first_app = NULL;
	for (int64_t r = 0; r < repeat; r++) {
		char *full = repeat > 1 ? xasprintf("%s%s.%lld", s->prefix,
						    local, (long long)r + 1)
					: xasprintf("%s%s", s->prefix, local);
		char *owner_buf = NULL;
		const char *owner = share_full	      ? share_full
				    : r > 0 && shared ? first_app
						      : NULL;
		if (share_full && repeat > 1 && !explicit_share)
			owner = owner_buf = xasprintf("%s.%lld", share_full,
						      (long long)r + 1);
		if (r > 0) {
			n_in = 1;
			in[0] = out;
		}
		int o = entry_apply(c, e, sp, bn, s, full, owner, n_in, in);
		if (o == -2) {
			free(full);
			free(owner_buf);
			break;
		}
		out = o;
		if (r == 0)
			first_app = xstrdup(full);
		free(full);
		free(owner_buf);
		if (out < 0)
			break;
	}
	if (out >= 0 && repeat > 1) {
		char *full = xasprintf("%s%s", s->prefix, local);
		alias_set(c, full, out);
		free(full);
	}
	free(first_app);
	free(share_full);
	free(local);
	return out;
}

static int expand_list(struct ny *c, yaml_node_t *seq, const struct scope *s,
		       int first_in, int *last_out)
{
	int prev = first_in, bad = 0, k = 0;
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++) {
		int o = expand_entry(c, node(c, *it), s, ++k, prev);
		if (o < 0)
			bad = 1;
		else
			prev = o;
	}
	*last_out = prev;
	return bad ? -1 : 0;
}

/* ---------------------------------------------------------------- top */

static int parse_dtype(const char *s)
{
	for (int i = 0; i < DT_COUNT; i++)
		if (!strcmp(dtype_name((enum dtype)i), s))
			return i;
	return -1;
}

static int parse_input(struct ny *c, const char *name, yaml_node_t *v)
{
	yaml_node_t *shape = v;
	enum dtype dt = c->g->param_dtype; /* float inputs: the network's */
	if (v->type == YAML_MAPPING_NODE) {
		shape = map_get(c, v, "shape");
		yaml_node_t *dn = map_get(c, v, "dtype");
		for (yaml_node_pair_t *p = v->data.mapping.pairs.start;
		     p < v->data.mapping.pairs.top; p++) {
			const char *k = scalar(node(c, p->key));
			if (k && strcmp(k, "shape") && strcmp(k, "dtype"))
				err(c, node(c, p->key),
				    "network: key '%s' of input '%s' must be "
				    "'shape' or 'dtype'",
				    k, name);
		}
		if (dn) {
			int x = scalar(dn) ? parse_dtype(scalar(dn)) : -1;
			if (x < 0) {
				err(c, dn,
				    "network: 'dtype' of input '%s' must "
				    "be fp32, fp16, bf16, int64, int32 "
				    "or bool, got %s",
				    name, scalar(dn) ? scalar(dn) : "?");
				return -1;
			}
			dt = (enum dtype)x;
		}
		if (!shape) {
			err(c, v,
			    "network: input '%s' must have a 'shape', got "
			    "none",
			    name);
			return -1;
		}
	}
	if (shape->type != YAML_SEQUENCE_NODE) {
		err(c, shape,
		    "network: shape of input '%s' must be a list of "
		    "sizes, got %s",
		    name, kind_name(shape));
		return -1;
	}
	int64_t dims[GRAPH_MAX_DIMS];
	int n = get_ints(c, shape, "shape", GRAPH_MAX_DIMS, 1, INT32_MAX, dims);
	if (n < 0)
		return -1;
	if (find_tensor(c, name) >= 0) {
		err(c, v, "network: input name '%s' must be unique", name);
		return -1;
	}
	int t = graph_add_tensor(c->g, name, dt, n, dims);
	c->g->tensors[t].is_input = 1;
	return t;
}

static int load_doc(struct ny *c)
{
	yaml_node_t *root = yaml_document_get_root_node(&c->doc);
	struct graph *g = c->g;
	if (!root || root->type != YAML_MAPPING_NODE) {
		err(c, root,
		    "network: the file must be a mapping with 'name', "
		    "'inputs' and 'layers', got %s",
		    root ? kind_name(root) : "an empty document");
		return -1;
	}
	static const char top_keys[] =
		"name description batch samples dtype inputs blocks layers";
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		const char *k = scalar(node(c, p->key));
		if (!k || !word_in(top_keys, k))
			err(c, node(c, p->key),
			    "network: top-level key must be one of %s; got "
			    "'%s'",
			    top_keys, k ? k : "?");
	}
	yaml_node_t *v;
	if ((v = map_get(c, root, "name"))) {
		if (!scalar(v))
			err(c, v, "network: 'name' must be a string, got %s",
			    kind_name(v));
		else if (!name_ctrl_check(c, v, "'name'", scalar(v))) {
			free(g->name);
			g->name = xstrdup(scalar(v));
		}
	}
	if ((v = map_get(c, root, "description")) && scalar(v)) {
		free(g->description);
		g->description = xstrdup(scalar(v));
	}
	if ((v = map_get(c, root, "batch")))
		get_int(c, v, "batch", 1, INT32_MAX, &g->default_batch);
	if ((v = map_get(c, root, "samples")))
		get_int(c, v, "samples", 0, INT64_MAX / 2, &g->dataset_samples);
	if ((v = map_get(c, root, "dtype"))) {
		int x = scalar(v) ? parse_dtype(scalar(v)) : -1;
		if (x < 0 || x == DT_INT64 || x == DT_INT32 || x == DT_BOOL)
			err(c, v,
			    "network: 'dtype' must be fp32, fp16 or bf16, "
			    "got %s",
			    scalar(v) ? scalar(v) : kind_name(v));
		else
			g->param_dtype = (enum dtype)x;
	}
	c->blocks = map_get(c, root, "blocks");
	if (c->blocks && c->blocks->type != YAML_MAPPING_NODE) {
		err(c, c->blocks,
		    "network: 'blocks' must be a mapping of "
		    "names to blocks, got %s",
		    kind_name(c->blocks));
		c->blocks = NULL;
	}
	yaml_node_t *ins = map_get(c, root, "inputs");
	int first = -1;
	if (!ins || ins->type != YAML_MAPPING_NODE ||
	    ins->data.mapping.pairs.top == ins->data.mapping.pairs.start) {
		err(c, ins ? ins : root,
		    "network: 'inputs' must map input names to shapes, got %s",
		    ins ? kind_name(ins) : "none");
	} else {
		for (yaml_node_pair_t *p = ins->data.mapping.pairs.start;
		     p < ins->data.mapping.pairs.top; p++) {
			const char *k = scalar(node(c, p->key));
			if (name_ctrl_check(c, node(c, p->key), "an input name",
					    k))
				k = NULL;
			int t = k ? parse_input(c, k, node(c, p->value)) : -1;
			if (first < 0)
				first = t;
		}
	}
	yaml_node_t *layers = map_get(c, root, "layers");
	if (!layers || layers->type != YAML_SEQUENCE_NODE) {
		err(c, layers ? layers : root,
		    "network: 'layers' must be a list of layers, got %s",
		    layers ? kind_name(layers) : "none");
		return -1;
	}
	if (layers->data.sequence.items.top ==
	    layers->data.sequence.items.start) {
		err(c, layers,
		    "network: 'layers' must list at least one layer, got "
		    "none");
		return -1;
	}
	if (c->errors)
		return -1;
	struct scope s = {0};
	s.prefix = "";
	int last;
	return expand_list(c, layers, &s, first, &last);
}

int net_yaml_load_string(const char *file, const char *text, size_t len,
			 struct graph *g, struct diag *d)
{
	struct ny c = {0};
	c.file = file;
	c.g = g;
	c.d = d;
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	char *stem = xstrdup(base);
	char *dot = strrchr(stem, '.');
	if (dot)
		*dot = 0;
	graph_setup(g, stem, file);
	free(stem);

	int rc = WS_EINPUT;
	/* within the YAML limits (size, nesting, keys; ground/cfg.h) */
	if (cfg_yaml_load("network", file, text, len, &c.doc, d)) {
		graph_release(g);
		return WS_EINPUT;
	}
	if (load_doc(&c) == 0 && !c.errors && graph_finish(g, d) == 0)
		rc = 0;
	yaml_document_delete(&c.doc);
	for (int i = 0; i < c.n_alias; i++)
		free(c.aliases[i].name);
	free(c.aliases);
	free(c.tix.slot);
	free(c.lix.slot);
	if (rc)
		graph_release(g);
	return rc;
}

int net_yaml_load(const char *path, struct graph *g, struct diag *d)
{
	char *text;
	size_t len;
	memset(g, 0, sizeof(*g));
	if (read_file(path, &text, &len, d))
		return WS_EIO;
	int rc = net_yaml_load_string(path, text, len, g, d);
	free(text);
	return rc;
}
