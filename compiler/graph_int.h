/*
 * graph_int.h: internals shared by the compiler front end (graph.c, shape.c,
 * cost.c, net_yaml.c, onnx.c).  Not included from other folders.
 */
#ifndef WAFERSIM_GRAPH_INT_H
#define WAFERSIM_GRAPH_INT_H

#include "compiler/graph.h"

/*
 * Infer the output shapes of layer `id` from its inputs and attributes and
 * check that the inputs fit the operation.  Errors name the layer, the input
 * and expected vs found shapes.  0 or WS_EINPUT.
 */
int shape_infer_layer(struct graph *g, int id, struct diag *d);

/* Parameters owned by one application of layer l (0 for shape-free ops). */
int64_t shape_layer_params(const struct graph *g, const struct layer *l);

/* "[a, b, c]" into buf (size >= 96). */
char *shape_str(char *buf, size_t n, int rank, const int64_t *dims);

/* Where a layer was defined, for diag_add(): file, line, col. */
#define LAYER_LOC(g, l) (g)->source, (l)->src_line, (l)->src_col

/* Normalise a possibly negative axis for `rank`; -1 if out of range. */
int axis_norm(int axis, int rank);

#endif
