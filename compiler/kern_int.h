/*
 * kern_int.h: private to compiler/kern*.c.  One evaluation function per
 * algorithm (kern_<name>.c), called only by kern.c's table, and the
 * helpers they share (kern_util.c).
 */
#ifndef WAFERSIM_KERN_INT_H
#define WAFERSIM_KERN_INT_H

#include "compiler/kern.h"

void kern_stream_eval(const struct machine *m, const struct kern_shape *s,
		      struct kern_cost *c);
void kern_cannon_eval(const struct machine *m, const struct kern_shape *s,
		      struct kern_cost *c);
void kern_summa_eval(const struct machine *m, const struct kern_shape *s,
		     struct kern_cost *c);
/* SUMMA's waits on a w x h rectangle: the sum over its S = max(w, h)
 * steps of the later of the panels' multicasts (coll_bcast from column
 * k w / S of wa wavelets along the rows, from row k h / S of wb down the
 * columns), in closed form (kern_summa.c). */
cycles_t kern_summa_wait(const struct fabric_params *f, int64_t w, int64_t h,
			 int64_t wa, int64_t wb);
/* The four GEMV reductions: alg is one of KERN_GEMV_*. */
void kern_gemv_eval(const struct machine *m, enum kern_alg alg,
		    const struct kern_shape *s, struct kern_cost *c);

int64_t kern_cdiv(int64_t a, int64_t b);
/* Bytes of a partial sum at this precision (fp32 unless fp16). */
int64_t kern_acc_bytes(enum pe_prec p);
/* Wavelets carrying n elements of `bytes` each. */
int64_t kern_wav(const struct machine *m, int64_t n, int64_t bytes);

/*
 * The multiply of one step on tiles Mt x Kt and Kt x Nt as the MeshGEMM
 * source runs it: a loop over Kt (descriptors of the three operands
 * reloaded, two offsets advanced), in it a @map over the Nt elements of
 * the B row, each an FMA vector instruction over Mt elements.  Adds the
 * software to *p and returns the vector elements' cycles.
 */
cycles_t kern_tile_multiply(const struct machine *m, enum pe_prec prec,
			    int64_t Mt, int64_t Kt, int64_t Nt,
			    struct pe_prog *p);

/* Wavelets of the larger of the two tiles a step moves, Mt x Kt of A and
 * Kt x Nt of B (double-buffered GEMMs send both at once). */
int64_t kern_tiles_wav(const struct machine *m, enum pe_prec prec, int64_t Mt,
		       int64_t Kt, int64_t Nt);

/* Fill c->software from c->prog, c->comm (the cycles neither compute nor
 * software: the fabric on the critical path), c->fits from c->sram_bytes
 * (code included), and set c->applicable. */
void kern_finish(const struct machine *m, struct kern_cost *c);

#endif
