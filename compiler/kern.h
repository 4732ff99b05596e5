/*
 * kern.h: a dense or matmul layer on a rectangle, as the hardware runs it.
 *
 * C[M x N] = A[M x K] B[K x N] on a w x h rectangle of PEs can be run by
 * several algorithms, each a module of its own (compiler/kern_<name>.c) on
 * the same PE rules (cores/pe.h, cores/pe_sw.h: vector work and the
 * software around it) and fabric rules (fabric/timing.h,
 * fabric/collective.h):
 *
 *   stream        weight-stationary: B tiled over the rectangle (K over
 *                 columns, N over rows), rows of A broadcast down the
 *                 columns, partial sums relayed along the rows (the
 *                 pipelined mapping of compiler/map.c)
 *   cannon        MeshGEMM: P x P only; P/2 skew shifts, then P steps,
 *                 each multiplying the current tiles while the next ones
 *                 shift to a neighbour of an interleaved ring (two hops),
 *                 double buffered
 *   summa         broadcast GEMM: max(w, h) steps; in each the owners of
 *                 the K panel multicast A along rows and B down columns,
 *                 every PE waits for both, then multiplies (one buffer
 *                 per operand: the vendor's gemm-collectives_2d example)
 *   gemv_star     GEMV per row of A (x = a row, K over the column, N over
 *   gemv_chain    the row): local GEMV, the partial sums reduced down the
 *   gemv_grouped  column (star, chain, two-phase chain in G groups, binary
 *   gemv_tree     tree: fabric/collective.h) and multicast back; G must
 *                 divide the column (MeshGEMV's groups are P / G PEs)
 *
 * Every algorithm counts the instructions its program runs per step, read
 * off the public kernel sources (MeshGEMM, MeshGEMV, the SDK's GEMV and
 * collectives examples), and prices them with the machine's software
 * costs; none has a factor of its own.  Errors against the measured WSE-3
 * kernels: `wafersim validate wafer` (docs/engine.md).
 */
#ifndef WAFERSIM_KERN_H
#define WAFERSIM_KERN_H

#include <stddef.h>
#include <stdint.h>

#include "cores/pe_sw.h"
#include "machine/machine.h"

enum kern_alg {
	KERN_STREAM = 0,
	KERN_CANNON,
	KERN_SUMMA,
	KERN_GEMV_STAR,
	KERN_GEMV_CHAIN,
	KERN_GEMV_GROUPED,
	KERN_GEMV_TREE,
	KERN_COUNT
};

struct kern_shape {
	int64_t M, K, N;     /* rows of A (samples x positions), in, out */
	int32_t w, h;	     /* the rectangle, PEs across and down */
	enum pe_prec prec;
	int64_t groups;	     /* gemv_grouped: G; 0 = the fastest G */
};

struct kern_cost {
	int applicable;	    /* the algorithm can run this shape at all */
	int fits;	    /* ... and its SRAM holds it */
	cycles_t cycles;    /* the whole product, first input to last output */
	cycles_t compute;   /* vector elements of the busiest PE */
	cycles_t software;  /* its software (pe_prog_cycles of prog) */
	cycles_t comm;	    /* what the fabric adds on the critical path */
	int64_t steps;	    /* shift / broadcast steps, GEMV rows, rows */
	int64_t groups;	    /* gemv_grouped: G used */
	int64_t sram_bytes; /* busiest PE, code included */
	int64_t b_bytes;    /* of sram_bytes: the PE's own block of B (a
			     * layer's weights in its forward and backward
			     * data products) */
	int64_t c_bytes;    /* of sram_bytes: its block of C kept whole
			     * (a layer's weight gradient in the weight-
			     * gradient product); 0 when C passes by */
	struct pe_prog prog; /* software of the whole product */
};

const char *kern_name(enum kern_alg a);
/* Algorithm by name, or -1. */
int kern_from_name(const char *s);
/* "stream, cannon, ..." for messages. */
const char *kern_names(void);

/* Cost of `a` on shape `s` (w, h, M, K, N >= 1). */
void kern_eval(const struct machine *m, enum kern_alg a,
	       const struct kern_shape *s, struct kern_cost *c);

/*
 * Why `a` cannot run shape `s` (c: its kern_eval), as a phrase in
 * why[n] ("cannon runs on square rectangles only, got 16x8"); 0 when it
 * can (why[0] = 0).  `fits`: also check c's SRAM against the PE's.
 */
int kern_why_not(const struct machine *m, enum kern_alg a,
		 const struct kern_shape *s, const struct kern_cost *c,
		 int fits, char *why, size_t n);

/*
 * The fastest algorithm that fits SRAM (ties: the lower enum), its cost in
 * *c; -1 (and *c of the stream algorithm) when none fits.
 */
int kern_pick(const struct machine *m, const struct kern_shape *s,
	      struct kern_cost *c);

#endif
