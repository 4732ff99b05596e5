/*
 * tensor.c: element types and the small shape helpers every pass uses
 * (sizes, axes, shapes as text).  The bottom of compiler/: it calls nothing
 * else of the folder, so the per-op rules (shape.c, cost_rules.c) and the
 * op table above them (op.c) may all use it.  Declared in graph.h and
 * graph_int.h.
 */
#include <stdio.h>

#include "compiler/graph_int.h"
#include "ground/checked.h"

static const struct {
	const char *name;
	int bytes;
} dtypes[DT_COUNT] = {
	[DT_FP32] = {"fp32", 4},   [DT_FP16] = {"fp16", 2},
	[DT_BF16] = {"bf16", 2},   [DT_INT64] = {"int64", 8},
	[DT_INT32] = {"int32", 4}, [DT_BOOL] = {"bool", 1},
};

int dtype_bytes(enum dtype dt)
{
	return (unsigned)dt < DT_COUNT ? dtypes[dt].bytes : 0;
}

const char *dtype_name(enum dtype dt)
{
	return (unsigned)dt < DT_COUNT ? dtypes[dt].name : "?";
}

int64_t tensor_elems(const struct tensor *t)
{
	int64_t n = 1; /* saturating: graph_finish refuses CK_LIMIT */
	for (int i = 0; i < t->rank; i++)
		n = ck_smul(n, t->dims[i]);
	return n;
}

int axis_norm(int axis, int rank)
{
	if (axis < 0)
		axis += rank;
	return axis >= 0 && axis < rank ? axis : -1;
}

char *shape_str(char *buf, size_t n, int rank, const int64_t *dims)
{
	size_t k = 0;
	k += snprintf(buf + k, n - k, "[");
	for (int i = 0; i < rank && k < n; i++)
		k += snprintf(buf + k, n - k, "%s%lld", i ? ", " : "",
			      (long long)dims[i]);
	if (k < n)
		snprintf(buf + k, n - k, "]");
	return buf;
}
