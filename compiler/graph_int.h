/*
 * graph_int.h: internals shared by the compiler front end (graph.c, op.c,
 * tensor.c, shape.c, cost.c, cost_rules.c, net_yaml.c, onnx.c).  Not
 * included from other folders.
 *
 * Per-op facts live in ONE table, op_desc[] (op.c), one row per op:
 *
 *     name, arity, flags, elementwise FLOPs, shape rule, params rule,
 *     cost rule
 *
 * The rules are plain functions (shape.c, cost_rules.c) that read what
 * they need of the op from the row they are handed, so the table sits
 * above its rules and nothing below it calls back up:
 *
 *     graph.c, cost.c  -->  op.c (op_desc[])  -->  shape.c, cost_rules.c
 *                                                      |
 *                                                      v
 *                                                  tensor.c
 */
#ifndef WAFERSIM_GRAPH_INT_H
#define WAFERSIM_GRAPH_INT_H

#include "compiler/graph.h"

struct op_desc;

/* Output shapes of layer l from its inputs and attributes; checks that the
 * inputs fit.  Errors name the layer, the input and expected vs found
 * shapes.  0 or WS_EINPUT.  Arity is checked before (op_infer_layer). */
typedef int (*op_infer_fn)(struct graph *g, struct layer *l,
			   const struct op_desc *od, struct diag *d);
/* Parameters owned by one application of layer l. */
typedef int64_t (*op_params_fn)(const struct graph *g, const struct layer *l);
/* Per-op part of layer l's costs (cost.h); c already holds the parts every
 * op shares (activation bytes, parameters, optimizer state). */
typedef void (*op_cost_fn)(const struct graph *g, const struct layer *l,
			   const struct op_desc *od, struct layer_cost *c);

enum {
	OPF_FREE = 1,	/* no arithmetic: reshape & co. */
	OPF_PARAMS = 2, /* owns weights */
};

struct op_desc {
	const char *name;
	signed char min_in, max_in; /* inputs */
	signed char n_out;	    /* outputs; -1: any number (split) */
	unsigned char flags;	    /* OPF_* */
	/* Elementwise FLOPs per output element, forward and backward to data:
	 * what a straightforward kernel does (a relu is one compare, a
	 * sigmoid exp+add+div+neg, a norm a few passes) [U]. */
	unsigned char ew_fwd, ew_bwd;
	op_infer_fn infer;   /* NULL: not a computing op */
	op_params_fn params; /* NULL: no parameters */
	op_cost_fn cost;     /* NULL: costs nothing beyond the shared part */
};

/* The table (op.c); rows for op_kind values < OP_COUNT. */
extern const struct op_desc op_desc[OP_COUNT];

/*
 * Infer the output shapes of layer `id`: arity from its op's row, then the
 * op's shape rule.  0 or WS_EINPUT.
 */
int op_infer_layer(struct graph *g, int id, struct diag *d);

/* Parameters owned by one application of layer l (0 for shape-free ops). */
int64_t op_layer_params(const struct graph *g, const struct layer *l);

/* Shape rules (shape.c). */
int shape_dense(struct graph *g, struct layer *l, const struct op_desc *od,
		struct diag *d);
int shape_matmul(struct graph *g, struct layer *l, const struct op_desc *od,
		 struct diag *d);
int shape_window(struct graph *g, struct layer *l, const struct op_desc *od,
		 struct diag *d);
int shape_global_pool(struct graph *g, struct layer *l,
		      const struct op_desc *od, struct diag *d);
int shape_norm(struct graph *g, struct layer *l, const struct op_desc *od,
	       struct diag *d);
int shape_same(struct graph *g, struct layer *l, const struct op_desc *od,
	       struct diag *d);
int shape_softmax(struct graph *g, struct layer *l, const struct op_desc *od,
		  struct diag *d);
int shape_embedding(struct graph *g, struct layer *l, const struct op_desc *od,
		    struct diag *d);
int shape_attention(struct graph *g, struct layer *l, const struct op_desc *od,
		    struct diag *d);
int shape_broadcast(struct graph *g, struct layer *l, const struct op_desc *od,
		    struct diag *d);
int shape_concat(struct graph *g, struct layer *l, const struct op_desc *od,
		 struct diag *d);
int shape_flatten(struct graph *g, struct layer *l, const struct op_desc *od,
		  struct diag *d);
int shape_reshape(struct graph *g, struct layer *l, const struct op_desc *od,
		  struct diag *d);
int shape_transpose(struct graph *g, struct layer *l, const struct op_desc *od,
		    struct diag *d);
int shape_split(struct graph *g, struct layer *l, const struct op_desc *od,
		struct diag *d);
int shape_slice(struct graph *g, struct layer *l, const struct op_desc *od,
		struct diag *d);
int shape_squeeze(struct graph *g, struct layer *l, const struct op_desc *od,
		  struct diag *d);
int shape_loss(struct graph *g, struct layer *l, const struct op_desc *od,
	       struct diag *d);
int shape_conv_transpose(struct graph *g, struct layer *l,
			 const struct op_desc *od, struct diag *d);
int shape_reduce(struct graph *g, struct layer *l, const struct op_desc *od,
		 struct diag *d);
int shape_resize(struct graph *g, struct layer *l, const struct op_desc *od,
		 struct diag *d);
int shape_pad(struct graph *g, struct layer *l, const struct op_desc *od,
	      struct diag *d);

/* Parameter rules (shape.c). */
int64_t params_dense(const struct graph *g, const struct layer *l);
int64_t params_conv(const struct graph *g, const struct layer *l);
int64_t params_batchnorm(const struct graph *g, const struct layer *l);
int64_t params_layernorm(const struct graph *g, const struct layer *l);
int64_t params_embedding(const struct graph *g, const struct layer *l);
int64_t params_conv_transpose(const struct graph *g, const struct layer *l);

/* Cost rules (cost_rules.c). */
void cost_dense(const struct graph *g, const struct layer *l,
		const struct op_desc *od, struct layer_cost *c);
void cost_conv(const struct graph *g, const struct layer *l,
	       const struct op_desc *od, struct layer_cost *c);
void cost_matmul(const struct graph *g, const struct layer *l,
		 const struct op_desc *od, struct layer_cost *c);
void cost_attention(const struct graph *g, const struct layer *l,
		    const struct op_desc *od, struct layer_cost *c);
void cost_embedding(const struct graph *g, const struct layer *l,
		    const struct op_desc *od, struct layer_cost *c);
void cost_pool(const struct graph *g, const struct layer *l,
	       const struct op_desc *od, struct layer_cost *c);
void cost_global_pool(const struct graph *g, const struct layer *l,
		      const struct op_desc *od, struct layer_cost *c);
void cost_loss(const struct graph *g, const struct layer *l,
	       const struct op_desc *od, struct layer_cost *c);
void cost_ew_saves_out(const struct graph *g, const struct layer *l,
		       const struct op_desc *od, struct layer_cost *c);
void cost_ew_saves_in(const struct graph *g, const struct layer *l,
		      const struct op_desc *od, struct layer_cost *c);
void cost_unary(const struct graph *g, const struct layer *l,
		const struct op_desc *od, struct layer_cost *c);
void cost_ew_saves_both(const struct graph *g, const struct layer *l,
			const struct op_desc *od, struct layer_cost *c);
void cost_ew_saves_none(const struct graph *g, const struct layer *l,
			const struct op_desc *od, struct layer_cost *c);
void cost_dropout(const struct graph *g, const struct layer *l,
		  const struct op_desc *od, struct layer_cost *c);
void cost_norm(const struct graph *g, const struct layer *l,
	       const struct op_desc *od, struct layer_cost *c);
void cost_conv_transpose(const struct graph *g, const struct layer *l,
			 const struct op_desc *od, struct layer_cost *c);
void cost_reduce(const struct graph *g, const struct layer *l,
		 const struct op_desc *od, struct layer_cost *c);
void cost_resize(const struct graph *g, const struct layer *l,
		 const struct op_desc *od, struct layer_cost *c);

/* "[a, b, c]" into buf (size >= 96) (tensor.c). */
char *shape_str(char *buf, size_t n, int rank, const int64_t *dims);

/* Where a layer was defined, for diag_add(): file, line, col. */
#define LAYER_LOC(g, l)                                                        \
	((l)->origin ? (l)->origin : (g)->source), (l)->src_line, (l)->src_col

/* Normalise a possibly negative axis for `rank`; -1 if out of range
 * (tensor.c). */
int axis_norm(int axis, int rank);

#endif
