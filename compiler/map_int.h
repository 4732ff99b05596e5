/*
 * map_int.h: private to compiler/map*.c.  map.c describes a dense stage
 * with the weight-stationary mapping; map_kern.c then prices its software
 * and, when another algorithm of compiler/kern.h is faster (or forced),
 * replaces the mapping's work by that algorithm's.
 */
#ifndef WAFERSIM_MAP_INT_H
#define WAFERSIM_MAP_INT_H

#include "compiler/map.h"

/* o's work, SRAM (filled by map.c for the weight-stationary mapping) and
 * kernel for the product [M x K] x [K x N] on w x h; `needs_grad`: the
 * backward-data pass runs; `copies`: the stage's sample copies (plan.h),
 * w x h being one copy's rectangle (or a row group of it): an inference
 * pick weighs each algorithm as the copies run it (plan_copies_flows,
 * plan_stream_time). */
void map_kern_apply(const struct map_ctx *c, int needs_grad, int64_t M,
		    int64_t K, int64_t N, int32_t w, int32_t h, int copies,
		    struct plan_stage *o);

/* With an algorithm forced (c->kernel a name other than stream) that o
 * does not run on w x h (its rectangle, or one row group of it): 1 and
 * why in why[n]; else 0. */
int map_kern_why_not(const struct map_ctx *c, int needs_grad, int64_t M,
		     int64_t K, int64_t N, int32_t w, int32_t h,
		     const struct plan_stage *o, char *why, size_t n);

#endif
