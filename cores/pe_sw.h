/*
 * pe_sw.h: what software costs a PE, besides its vector work.
 *
 * A CSL kernel is a few tasks and functions; every step of it runs
 * descriptor instructions (point a DSD at a buffer, load it into a DSR),
 * task control (block, unblock, activate), loops and @map callbacks, and
 * vector instructions that take a few cycles before their first element.
 * On the measured WSE-3 kernels this software, not the arithmetic, sets
 * the pace of small tiles (a MeshGEMM step with 1 x 1 tiles costs about
 * 160 cycles for one FMA; models/measured/wse3/README.md).
 *
 * An algorithm (compiler/kern_*.c) counts what its program runs per step
 * in a struct pe_prog, read off the public kernel sources; this module
 * prices the counts with the machine's struct pe_sw (pe_params.h, the
 * machine file's `pe.sw` section) and pe_params.task_start_cycles.  No
 * kernel or size has a factor of its own: every cycle comes from a count
 * times the cost of one such instruction.
 */
#ifndef WAFERSIM_PE_SW_H
#define WAFERSIM_PE_SW_H

#include <stdint.h>

#include "cores/pe.h"

/* Instructions of a program fragment, by kind of software cost. */
struct pe_prog {
	int64_t tasks;	 /* task activations (pe.task_start_cycles each) */
	int64_t ctrl;	 /* block / unblock / activate */
	int64_t dsd;	 /* descriptor instructions */
	int64_t loops;	 /* loop iterations */
	int64_t calls;	 /* @map callback calls */
	int64_t vec;	 /* vector instructions on SRAM operands (start-up) */
	int64_t fabric;	 /* vector instructions on fabric queues (start-up) */
};

/* Cycles the fragment's software costs (its vector elements excluded). */
cycles_t pe_prog_cycles(const struct pe_params *pe, const struct pe_prog *p);

/* p += n * q (a fragment run n times). */
void pe_prog_add(struct pe_prog *p, const struct pe_prog *q, int64_t n);

/*
 * The elements of one vector instruction of `n` elements at precision
 * `prec`: ceil(n / lanes) (`fma` picks the multiply-add lanes, else the
 * other vector lanes); its start-up is counted in pe_prog.vec.  0 for
 * n <= 0.
 */
cycles_t pe_vec_elem_cycles(const struct pe_params *pe, enum pe_prec prec,
		       int64_t n, int fma);

#endif
