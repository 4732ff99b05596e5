/*
 * microbatch.h: how a weight-streamed batch is cut, as the vendor's
 * compiler does it (Cerebras weight streaming: "micro_batch_size" chosen
 * by the compiler, gradient accumulation over micro-batches; activation
 * checkpointing when a sample's activations do not fit): the largest
 * micro-batch whose saved activations fit the wafer's SRAM next to every
 * stage's working set, without recomputation if one sample fits,
 * otherwise with every block application's activations recomputed from
 * its input (a checkpoint per block, as Megatron's full recomputation).
 *
 * Layer 3 (compiler/): uses map.h (a stage's SRAM on the whole wafer).
 */
#ifndef WAFERSIM_MICROBATCH_H
#define WAFERSIM_MICROBATCH_H

#include <stdint.h>

#include "compiler/map.h"
#include "compiler/plan.h"

/* Saved activation bytes per sample when streaming, with recompute 0
 * (every stage's) or 1 (checkpoints of block applications plus the largest
 * application's activations, live while it is recomputed); sets the
 * stages' recompute flags accordingly. */
int64_t mb_saved_per_sample(const struct map_ctx *c, struct plan *p,
			    int recompute);

/* Map every stage on the whole wafer with p->micro_batch and
 * p->recompute as they are (c->stream_act_bytes set); returns the first
 * stage whose SRAM overflows, or -1. */
int mb_apply(struct map_ctx *c, struct plan *p);

/* Choose p->micro_batch (<= p->batch; forced when `force` > 0) and
 * p->recompute (forced on when force_recompute > 0, off when < 0, else
 * automatic), map the stages, and say why in p->micro_reason.  Returns 0,
 * or the overflowing stage's index + 1 when even one sample with
 * recomputation does not fit (the stages then mapped with that). */
int mb_choose(struct map_ctx *c, struct plan *p, int64_t force,
	      int force_recompute);

#endif
