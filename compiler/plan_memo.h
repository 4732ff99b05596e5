/*
 * plan_memo.h: what plan_build asks the kernel mapping (compiler/map.h)
 * again and again, remembered across the plans one plan_build makes.
 *
 * The default build places a network a dozen times (every strategy, every
 * sharing trial, the streamed alternative) and each placement asks for the
 * cycles, the SRAM fit and the fewest PEs of the same stages on the same
 * shapes.  The answers depend only on what map_cycles, map_fits and
 * map_min_pes read: the map_ctx's fields and, per stage, its layers (by
 * content: op, attributes, costs, tensor shapes), kind, sharing and
 * samples in flight, with the same of the stages time-shared on its
 * rectangle (map_share.h).  plan_memo_sign() turns that into a
 * signature per stage (equal signatures: equal answers, compared in full,
 * never by hash alone); the answers are kept by (signature, w, h).
 * Remembering changes no answer, only how often it is computed.
 *
 * A signature holds while the stages and the context do: sign again after
 * anything those fields come from changes (mode, sharing, in-flight
 * counts).  One plan_memo serves one graph and machine.
 */
#ifndef WAFERSIM_PLAN_MEMO_H
#define WAFERSIM_PLAN_MEMO_H

#include <stdint.h>

#include "compiler/map.h"

struct plan_memo;

struct plan_memo *plan_memo_new(void);
void plan_memo_free(struct plan_memo *pm);

/* Signature ids of c->plan's stages 0 .. n-1 in ids[n] (c->plan set). */
void plan_memo_sign(struct plan_memo *pm, const struct map_ctx *c, int n,
		    int *ids);

/* map_cycles(c, s, w, h) of stage s whose signature is id. */
double plan_memo_cycles(struct plan_memo *pm, const struct map_ctx *c,
			const struct plan_stage *s, int id, int32_t w,
			int32_t h);
/* map_fits of s on w x h as the weight-stationary mapping needs it
 * (c->kernel taken as NULL). */
int plan_memo_fits(struct plan_memo *pm, const struct map_ctx *c,
		   const struct plan_stage *s, int id, int32_t w, int32_t h);
/* map_min_pes(c, s, w, h). */
int64_t plan_memo_min_pes(struct plan_memo *pm, const struct map_ctx *c,
			  const struct plan_stage *s, int id, int32_t *w,
			  int32_t *h);

/* A stage signature's work-proportional floor (compiler/size.h
 * size_stage_floor) once asked: 1 and its figures (ok: some shape
 * fits), or 0 when not yet remembered. */
int plan_memo_floor(const struct plan_memo *pm, int id, int *ok, double *work,
		    double *fl);
void plan_memo_set_floor(struct plan_memo *pm, int id, int ok, double work,
			 double fl);

#endif
