/*
 * cost.h: what training and inference of a graph cost, per layer and pass.
 *
 * cost_count() fills every layer's `cost` (graph.h, struct layer_cost) and
 * cost_totals() adds them up.  Conventions (chosen to match PyTorch's
 * torch.utils.flop_counter, which the project's GPU measurements used):
 *
 *  - FLOPs count 2 per multiply-add.  MATRIX work is what PyTorch's counter
 *    counts: dense, conv, matmul and the attention core.  A dense layer's bias
 *    and everything else (activations, norms, pooling, softmax, losses,
 *    elementwise math, optimizer) is ELEMENTWISE work, estimated per element.
 *  - Forward, backward-to-data and backward-to-weights are per sample.
 *    Backward-to-data is 0 for a layer none of whose inputs needs a gradient
 *    (the first layer after a network input: frameworks skip it).
 *  - The attention core counts 2 matmuls forward (QK^T and PV) and 5 backward
 *    (scores recomputed, then dV, dP, dQ, dK), as flash-attention kernels and
 *    PyTorch's counter do.  A causal mask is not discounted (neither is it by
 *    PyTorch's counter).
 *  - UPDATE is per optimizer step (once per batch), on owned parameters only.
 *  - Shared weights (layer.param_owner != itself): parameters, weight bytes
 *    and optimizer state counted at the owner only; compute per application.
 *  - Bytes: weights in graph.param_dtype; activations in their tensor dtype;
 *    optimizer state in fp32 (momentum: 1 value per parameter, Adam: 2).
 */
#ifndef WAFERSIM_COST_H
#define WAFERSIM_COST_H

#include <stdint.h>

#include "compiler/graph.h"

/* Elementwise FLOPs per updated parameter, per optimizer step. */
#define COST_SGD_FLOPS_PER_PARAM      2
#define COST_MOMENTUM_FLOPS_PER_PARAM 4
#define COST_ADAM_FLOPS_PER_PARAM     12

/* Fill layer.cost of every layer of a finished graph for optimizer `opt`.
 * Every product and sum is checked (ground/checked.h): a figure beyond
 * CK_LIMIT is an error naming the layer and quantity (the first per layer,
 * located at it), and the figures saturate.  0 or WS_EINPUT.  cost_count
 * is the same without messages (for graphs known to be sane). */
int cost_count_checked(struct graph *g, enum optimizer opt, struct diag *d);
void cost_count(struct graph *g, enum optimizer opt);

/* Network totals: the sums of the per-layer costs. */
struct cost_totals {
	enum optimizer opt;
	int64_t params;		       /* trainable parameters, shared once */
	int64_t buffers;	       /* batch-norm running statistics */
	int64_t mat_flops[PASS_COUNT]; /* FWD..BWD_WEIGHT per sample; UPDATE */
	int64_t ew_flops[PASS_COUNT];  /*   per step (matrix part is 0) */
	int64_t weight_bytes;
	int64_t grad_bytes; /* = weight_bytes (one gradient each) */
	int64_t opt_state_bytes;
	int64_t act_in_bytes;  /* per sample, forward */
	int64_t act_out_bytes; /* per sample, forward */
	int64_t saved_bytes;   /* per sample, kept for backward */
	int64_t input_bytes;   /* network inputs, per sample */
	int64_t output_bytes;  /* network outputs, per sample */
	int n_layers;
};
void cost_totals(const struct graph *g, struct cost_totals *t);

/* Per sample: forward (inference) FLOPs, matrix only or all. */
int64_t cost_infer_mat_flops_per_sample(const struct cost_totals *t);
int64_t cost_infer_flops_per_sample(const struct cost_totals *t);
/* Per sample: forward + backward (both kinds), matrix only or all. */
int64_t cost_train_mat_flops_per_sample(const struct cost_totals *t);
int64_t cost_train_flops_per_sample(const struct cost_totals *t);
/* Per batch of `batch` samples.  Training includes one optimizer update
 * (cost_train_flops_per_batch) or not (..._mat_: the figure PyTorch's
 * counter gives for forward + backward). */
int64_t cost_infer_flops_per_batch(const struct cost_totals *t, int64_t batch);
int64_t cost_infer_mat_flops_per_batch(const struct cost_totals *t,
				       int64_t batch);
int64_t cost_train_flops_per_batch(const struct cost_totals *t, int64_t batch);
int64_t cost_train_mat_flops_per_batch(const struct cost_totals *t,
				       int64_t batch);
/* Memory a training step needs: weights, gradients, optimizer state and the
 * activations kept for backward for `batch` samples. */
int64_t cost_train_memory_bytes(const struct cost_totals *t, int64_t batch);
/* The figures above for `batch` samples (and the activations of the batch)
 * must lie within CK_BATCH_LIMIT (ground/checked.h); beyond, the functions
 * saturate and this refuses: WS_EINPUT and "network 'n': training FLOPs
 * per batch must be at most 4611686018427387904 (2^62), got B x F" at
 * file:line:col (where the batch was given; line 0 when unknown).  Call it
 * where a batch size meets a network. */
int cost_batch_checked(const struct graph *g, const struct cost_totals *t,
		       int64_t batch, const char *file, int line, int col,
		       struct diag *d);

/* "sgd", "momentum", "adam"; parse returns -1 if unknown. */
const char *optimizer_name(enum optimizer opt);
int optimizer_parse(const char *s);

#endif
