/*
 * onnx_int.h: private to the ONNX reader (compiler/onnx*.c).
 *
 * onnx_check_model holds an unpacked model to the limits of onnx.h before
 * onnx.c reads its graph: counts of nodes, initializers and declared
 * values; rank, dimensions and element count of every declared shape,
 * initializer and attribute tensor; inline data lengths; external-data
 * references (relative paths inside the model's folder `dir`; integer
 * constants are read from them into raw_data, weights never are; `dir`
 * NULL: the model came from memory and no file is read).  Every error is
 * recorded in d, located by file, then value or node (name, op type,
 * index) and field.  0 or WS_EINPUT.
 */
#ifndef WAFERSIM_ONNX_INT_H
#define WAFERSIM_ONNX_INT_H

#include "compiler/onnx.h"
#include "onnx.pb-c.h"

/* Node n's attribute `name`, or NULL (onnx_check.c). */
const Onnx__AttributeProto *onnx_attr(const Onnx__NodeProto *n,
				      const char *name);

int onnx_check_model(const char *file, const char *dir,
		     Onnx__ModelProto *m, struct diag *d);

/* A declared dimension's size, or 0 when it is symbolic (a name, or
 * nothing); its name, or NULL. */
static inline int64_t onnx_dim_size(const Onnx__TensorShapeProto__Dimension *dm)
{
	return dm->value_case ==
			       ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
		       dm->dim_value > 0
		       ? dm->dim_value
		       : 0;
}

static inline const char *
onnx_dim_name(const Onnx__TensorShapeProto__Dimension *dm)
{
	return dm->value_case ==
			       ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
		       ? dm->dim_param
		       : NULL;
}

/* Symbolic dimensions of the graph inputs past the batch, as wildcards:
 * bound by what they meet in the graph and written into the declared
 * shapes (compiler/onnx_sym.c).  0 or WS_EINPUT (a wildcard nothing
 * binds). */
int onnx_bind_symbols(const char *file, Onnx__GraphProto *gp, struct diag *d);

#endif
