/*
 * onnx.h: the ONNX network reader.
 *
 * Reads an ONNX ModelProto (protobuf-c code generated at build time from
 * Debian's onnx.proto) into a finished graph (graph_finish() run, costs not
 * yet counted).  Weights may live in an absent external file: only the
 * initializers' dimensions are used; integer constants kept in external
 * data are read from it (a relative path inside the model's folder; none
 * is read by onnx_load_buffer).  Subgraphs that only compute shapes
 * (Shape, Gather, Unsqueeze, Concat, ... on constants) are folded away;
 * primitive attention (MatMul, scale, Softmax, MatMul) is recognised as one
 * attention layer; MatMul/Gemm with a weight initializer becomes a dense
 * layer (its bias Add folded in).
 *
 * Shapes: the export's batch size must be 1 (or symbolic); a leading
 * dimension of 1 on a tensor of rank >= 2 is taken as the batch and dropped
 * (graph.h shapes are per sample).  Other symbolic dimensions of the graph
 * inputs are wildcards that take the size of what they meet in the graph
 * (a positional table, a weight; compiler/onnx_sym.c); in declared shapes
 * of other values a symbolic dimension declares nothing.
 *
 * Errors name the node, its op type and what is supported; a truncated or
 * corrupt file is reported, never crashed on.  On failure the graph is
 * released (left zeroed).
 */
#ifndef WAFERSIM_ONNX_H
#define WAFERSIM_ONNX_H

#include <stddef.h>
#include <stdint.h>

#include "compiler/graph.h"

/* Limits a model is held to (errors name the value or node and field). */
#define ONNX_MAX_FILE_BYTES (INT64_C(2) << 30) /* [P] protobuf's 2 GB limit
						  on one message */
#define ONNX_MAX_NODES 1000000 /* [U] nodes, initializers, declared values:
				  far beyond exported networks */
#define ONNX_MAX_RANK 8	       /* [D] wafersim's rank 5 per sample + batch,
				  with room for layout ops */
#define ONNX_MAX_OPSET 25 /* [U] ONNX's default opset is 23 (1.19, 2025):
			     room for two more releases */
#define ONNX_MAX_EXTERNAL_BYTES 32768 /* [D] folded constants read from
					 external data: 4096 int64 values */

/* 0, WS_EIO or WS_EINPUT. */
int onnx_load(const char *path, struct graph *g, struct diag *d);
/* Same from bytes in memory; `file` names the source in messages. */
int onnx_load_buffer(const char *file, const uint8_t *data, size_t len,
		     struct graph *g, struct diag *d);

#endif
