/*
 * graph.h: the network IR shared by every stage after the front ends.
 *
 * A graph is a DAG of layers connected by tensors.  Both front ends (YAML in
 * net_yaml.c, ONNX in onnx.c) produce it; shape inference and cost counting
 * (cost.h) fill in the rest; mapping, placement and the GPU baseline read it.
 *
 * Shapes are PER SAMPLE: the batch dimension is not stored (it is a run
 * parameter).  A dense layer on a 942-wide input has input shape [942]; a
 * Conv1d over 60483 positions with one channel has [1, 60483] (channels
 * first, as PyTorch and ONNX lay them out); a transformer block's activations
 * are [seq, d].
 *
 * Layout (all arrays owned by the graph, indices instead of pointers):
 *
 *     graph.tensors[0 .. n_tensors)   tensor ids: producers and consumers
 *     graph.layers [0 .. n_layers)    topologically ordered after graph_finish()
 *     layer.in[i], layer.out[i]       tensor ids
 *     layer.param_owner               layer id whose weights this one uses
 *                                     (itself, or an earlier application of a
 *                                     shared encoder: weights counted once)
 *
 * Layer 3, compiler/ owns networks to plans: the graph IR and its readers
 * (net_load.c picks one), shapes, costs, kernel mapping, placement
 * strategies, routing, plans and plan files.  It may include ground/,
 * cores/, fabric/, machine/; never a layer above (docs/ARCHITECTURE.md,
 * checked by tests/house/check_layers.py).
 */
#ifndef WAFERSIM_GRAPH_H
#define WAFERSIM_GRAPH_H

#include <stdint.h>
#include <stdio.h>

#include "ground/diag.h"

#define GRAPH_MAX_DIMS 5  /* per-sample rank (batch excluded) */
#define GRAPH_MAX_IO 8	  /* inputs or outputs of one layer */
/* Bytes of a name: the network's, an input's, a layer's, a tensor's
 * (whole, as composed from blocks and repeats: "enc.2/fc/dense") [D]:
 * four times the longest of the zoo (61, vit_b16.onnx).  Longer is an
 * input error (graph_finish; the readers locate their own names), so
 * what holds names in fixed space (a sweep's records, cli/sweep.h) holds
 * them whole. */
#define GRAPH_NAME_MAX 256

enum dtype { DT_FP32 = 0, DT_FP16, DT_BF16, DT_INT64, DT_INT32, DT_BOOL,
	     DT_COUNT };

/* Operations.  "No arithmetic" ops (reshape & co.) cost no FLOPs. */
enum op_kind {
	OP_INPUT = 0,	/* a network input (no layer computes it) */
	OP_DENSE,	/* y = x W^T + b over the last dim; attrs.units, .bias */
	OP_MATMUL,	/* activation x activation (attention scores, ...) */
	OP_CONV,	/* 1-D, 2-D or 3-D; kernel/stride/pad/dilation/groups */
	OP_MAXPOOL,
	OP_AVGPOOL,
	OP_GLOBALAVGPOOL,
	OP_BATCHNORM,
	OP_LAYERNORM,
	OP_RELU,
	OP_SIGMOID,
	OP_TANH,
	OP_GELU,
	OP_SOFTMAX,	/* over attrs.axis */
	OP_DROPOUT,
	OP_EMBEDDING,	/* gather rows of a [vocab, dim] table; with no input
			   the whole table is the output (learned position
			   tables, class tokens, ONNX parameters used as data) */
	OP_ATTENTION,	/* multi-head attention core: softmax(QK^T/sqrt(d))V;
			   inputs q, k, v as [s, heads*dh] (or [heads, s, dh]),
			   or one packed [s, 3*heads*dh] input */
	OP_ADD,		/* elementwise, with broadcasting */
	OP_SUB,
	OP_MUL,
	OP_DIV,
	OP_EW_UNARY,	/* other elementwise math (sqrt, erf, pow, exp, ...) */
	OP_CONCAT,	/* along attrs.axis */
	OP_FLATTEN,
	OP_RESHAPE,
	OP_TRANSPOSE,
	OP_SPLIT,
	OP_SLICE,
	OP_SQUEEZE,
	OP_LOSS_MSE,	/* inputs: prediction [, target]; output rank 0 */
	OP_LOSS_XENT,	/* softmax cross-entropy (or sigmoid BCE) */
	OP_CONV_TRANSPOSE, /* 1-D to 3-D transposed conv ("deconvolution"):
			      the attributes of OP_CONV plus output_padding */
	OP_REDUCE,	/* mean (sum, max: attrs.ew_name) over
			   attrs.axes_mask (0: all), kept as 1 if keepdims */
	OP_RESIZE,	/* spatial resampling: attrs.scale per axis or
			   attrs.shape; nearest, linear or cubic (ew_name) */
	OP_PAD,		/* constant padding: attrs.pads (no arithmetic) */
	OP_COUNT
};

/* Attributes; which ones matter depends on the op. */
struct op_attrs {
	int64_t units;			  /* DENSE: output features */
	int bias;			  /* DENSE, CONV: has a bias */
	int spatial;			  /* CONV, POOL: 1, 2 or 3 */
	int64_t out_channels;		  /* CONV */
	int64_t kernel[3], stride[3], dilation[3];
	int64_t pad_begin[3], pad_end[3];
	int64_t groups;			  /* CONV: 1 = dense, = channels: depthwise */
	int64_t heads;			  /* ATTENTION */
	int causal;			  /* ATTENTION */
	int axis;			  /* SOFTMAX, CONCAT, SPLIT, ...; per-sample axis */
	int64_t vocab, dim;		  /* EMBEDDING */
	double rate;			  /* DROPOUT */
	int64_t perm[GRAPH_MAX_DIMS];	  /* TRANSPOSE */
	int64_t ew_flops_per_elem;	  /* EW_UNARY: FLOPs per element (>= 1) */
	char ew_name[16];		  /* EW_UNARY: "sqrt", "erf", ... */
	/* Added by the front end (frontend engineer): */
	int64_t shape[GRAPH_MAX_DIMS];	  /* RESHAPE: per-sample target shape; */
	int shape_rank;			  /*   -1 = inferred, 0 = copy input dim */
	int64_t sizes[GRAPH_MAX_IO];	  /* SPLIT: sizes along axis (0s: equal) */
	int64_t start, end, step;	  /* SLICE: along axis; end clamped */
	unsigned axes_mask;		  /* SQUEEZE: bit i = per-sample axis i;
					     0 = every axis of size 1 */
	int ceil_mode;			  /* POOL: round output size up */
	int perm_rank;			  /* TRANSPOSE: entries used in perm */
	int k_transposed;		  /* ATTENTION, 3 inputs: k given as
					     [heads, head_dim, seq] (ONNX) */
	int64_t output_padding[3];	  /* CONV_TRANSPOSE: added at the end */
	int keepdims;			  /* REDUCE: reduced axes kept as 1 */
	double scale[GRAPH_MAX_DIMS];	  /* RESIZE: per axis (0: unchanged),
					     unless shape_rank gives sizes */
	int64_t pads[2][GRAPH_MAX_DIMS];  /* PAD: before, after; [.][k] pads
					     the k-th axis from the end (as
					     PyTorch's F.pad lists them) */
};

struct tensor {
	char *name;
	enum dtype dtype;
	int rank;			/* 0 .. GRAPH_MAX_DIMS, batch excluded */
	int64_t dims[GRAPH_MAX_DIMS];
	int producer;			/* layer id, or -1 for a network input */
	int is_output;			/* a network output (or loss) */
	/* Added by the front end: */
	int is_input;			/* declared network input (producer -1) */
	int requires_grad;		/* set by graph_finish(): depends on a
					   parameter, so backward reaches it */
};

/* Passes of a training step. */
enum pass { PASS_FWD = 0, PASS_BWD_DATA, PASS_BWD_WEIGHT, PASS_UPDATE,
	    PASS_COUNT };

enum optimizer { OPT_SGD = 0, OPT_MOMENTUM, OPT_ADAM, OPT_COUNT };

/*
 * Costs of one layer, filled by cost_count() (cost.h).  FLOPs count 2 per
 * multiply-add, like PyTorch's FLOP counter.  FWD, BWD_DATA and BWD_WEIGHT
 * are per sample; UPDATE is per optimizer step (once per batch).
 */
struct layer_cost {
	int64_t params;		    /* weights + biases owned (0 if shared) */
	int64_t mat_flops[PASS_COUNT]; /* matrix work (dense, conv, matmul) */
	int64_t ew_flops[PASS_COUNT];  /* elementwise work */
	int64_t weight_bytes;	    /* params x bytes of the param dtype */
	int64_t act_in_bytes;	    /* activations read, per sample, fwd */
	int64_t act_out_bytes;	    /* activations written, per sample, fwd */
	int64_t saved_bytes;	    /* kept for backward, per sample */
	int64_t opt_state_bytes;    /* optimizer state for owned params */
	/* Added by the front end: */
	int64_t buffers;	    /* non-trainable values kept with the
				       weights (batch-norm running mean and
				       variance: 2 per channel); not params */
};

struct layer {
	char *name;
	enum op_kind op;
	struct op_attrs attrs;
	int n_in, n_out;
	int in[GRAPH_MAX_IO];	/* tensor ids */
	int out[GRAPH_MAX_IO];
	int param_owner;	/* layer id owning the weights (self if none shared) */
	int needs_input_grad;	/* 0 when no input needs a gradient (first layer) */
	int src_line, src_col;	/* where it was defined (YAML) or node index (ONNX) */
	char *origin;		/* ONNX: "m.onnx: node 'n' (op type T, node
				 * K)", the location of its errors; NULL
				 * (YAML: g->source:src_line:src_col); owned */
	struct layer_cost cost;
};

struct graph {
	char *name;
	char *source;		/* file it came from */
	struct tensor *tensors;
	int n_tensors, cap_tensors;
	struct layer *layers;
	int n_layers, cap_layers;
	/* metadata (YAML networks; 0 if unknown) */
	int64_t default_batch;
	int64_t dataset_samples;
	enum dtype param_dtype;	/* dtype that weights are counted in */
	/* Added by the front end: */
	char *description;	/* one line (YAML 'description'), "" if none */
	enum optimizer opt;	/* optimizer the costs were counted for */
};

/* Lifecycle.  (Not graph_init: libgvc exports a graph_init of its own, and
 * ours would interpose on it when Graphviz is linked in.) */
void graph_setup(struct graph *g, const char *name, const char *source);
void graph_release(struct graph *g);

/* Add a tensor (name copied); returns its id. */
int graph_add_tensor(struct graph *g, const char *name, enum dtype dt,
		     int rank, const int64_t *dims);
/* Find a tensor by name, or -1. */
int graph_find_tensor(const struct graph *g, const char *name);
/* Add a layer (name copied, in/out copied); returns its id.  Sets each output
 * tensor's producer and param_owner = self. */
int graph_add_layer(struct graph *g, const char *name, enum op_kind op,
		    const struct op_attrs *attrs, int n_in, const int *in,
		    int n_out, const int *out);

/*
 * Finish a graph: check it is a DAG with no dangling inputs, order layers
 * topologically (stable: definition order among ready layers), infer shapes
 * (shape.c), set needs_input_grad.  Errors name the layer, the input and
 * expected vs found shapes.  0 or WS_EINPUT.
 */
int graph_finish(struct graph *g, struct diag *d);

const char *op_name(enum op_kind op);
int op_is_free(enum op_kind op);	/* reshape & co.: no arithmetic */
int op_has_params(enum op_kind op);
int dtype_bytes(enum dtype dt);
const char *dtype_name(enum dtype dt);

int64_t tensor_elems(const struct tensor *t);

/*
 * Load a network by zoo name (models/nets/NAME.yaml), or a path ending in
 * .yaml/.yml or .onnx.  Returns a finished graph with costs counted for
 * `opt` (see cost.h).  0, WS_EIO or WS_EINPUT (all errors in d).
 */
int graph_load(const char *name_or_path, enum optimizer opt, struct graph *g,
	       struct diag *d);

#endif
