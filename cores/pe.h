/*
 * pe.h: the processing element's timing and energy rules.
 *
 * Every stage that turns per-PE work into cycles or picojoules calls these
 * (placement when it balances stages, the C engine, the SystemC reference
 * model), so the fidelities can differ only in how they aggregate.
 *
 * Layer 1, cores/ owns the PE: timing and energy rules, its parameters
 * (pe_params.h), the SystemC PE module and what it runs (sc_pe.h,
 * sc_prog.h).  It may include ground/ and, for the SystemC modules,
 * fabric/ (same layer); never a layer above (docs/ARCHITECTURE.md, checked
 * by tests/house/check_layers.py).
 */
#ifndef WAFERSIM_PE_H
#define WAFERSIM_PE_H

#include <stdint.h>

#include "cores/pe_params.h"
#include "ground/util.h"

/* Arithmetic precision of a kernel. */
enum pe_prec {
	PREC_FP32 = 0,	/* fp32 multiply-adds */
	PREC_MIXED,	/* fp16 x fp16 with fp32 accumulation */
	PREC_FP16,	/* fp16 throughout */
	PREC_COUNT
};

/* Work one PE does for one task (one sample of one pass of a kernel). */
struct pe_work {
	int64_t fma;		/* multiply-adds */
	int64_t ew;		/* other vector ops (add, max, activation, ...) */
	int64_t sram_reads;	/* port-width reads */
	int64_t sram_writes;	/* port-width writes */
	int64_t tasks;		/* task activations */
	int64_t sw_cycles;	/* software around the work besides the task
				 * starts: descriptors, control, loops, calls,
				 * vector start-ups, waits of a kernel
				 * algorithm (cores/pe_sw.h, compiler/kern.h) */
};

/* Bytes of one element at this precision (activations: fp16 unless fp32). */
int pe_elem_bytes(enum pe_prec p);

/* Lanes per cycle for multiply-adds and for other vector ops. */
int64_t pe_fma_lanes(const struct pe_params *pe, enum pe_prec p);
int64_t pe_ew_lanes(const struct pe_params *pe, enum pe_prec p);

/*
 * Cycles for a PE to do `w` with its operands in SRAM: task starts and
 * software (w->sw_cycles) plus the busiest of its resources (FMA lanes, vector lanes, SRAM read ports, SRAM
 * write ports), since the vector unit streams operands from SRAM while it
 * computes.  Never less than 1 for non-empty work.
 */
cycles_t pe_work_cycles(const struct pe_params *pe, enum pe_prec p,
			const struct pe_work *w);

/* Port-width SRAM words needed to hold `bytes`. */
int64_t pe_sram_words(const struct pe_params *pe, int64_t bytes);

/* Picojoules of one multiply-add and of one other vector op at `p`. */
double pe_fma_pj(const struct pe_energy *e, enum pe_prec p);
double pe_ew_pj(const struct pe_energy *e, enum pe_prec p);

/* Dynamic energy of `w` in picojoules (operations and SRAM accesses). */
double pe_work_energy_pj(const struct pe_energy *e, enum pe_prec p,
			 const struct pe_work *w);

/* Which resource of the PE sets the pace of a piece of work. */
enum pe_bound { PE_BOUND_COMPUTE = 0, PE_BOUND_SRAM_READ, PE_BOUND_SRAM_WRITE,
		PE_BOUND_TASKS, PE_BOUND_COUNT };
const char *pe_bound_name(enum pe_bound b);

/* The terms pe_work_cycles() takes the busiest of, and which one won.
 * total == pe_work_cycles() always. */
struct pe_cycles {
	cycles_t datapath;	/* FMA + other vector ops (shared lanes) */
	cycles_t sram_read;	/* reads / read ports */
	cycles_t sram_write;	/* writes / write ports */
	cycles_t task;		/* task starts x task_start_cycles, plus
				 * the work's sw_cycles */
	cycles_t total;
	enum pe_bound bound;
};
void pe_work_breakdown(const struct pe_params *pe, enum pe_prec p,
		       const struct pe_work *w, struct pe_cycles *out);

/* Energy of `w` split into arithmetic and SRAM parts (their sum is
 * pe_work_energy_pj()). */
void pe_work_energy_split(const struct pe_energy *e, enum pe_prec p,
			  const struct pe_work *w, double *ops_pj,
			  double *sram_pj);

/*
 * The reference GEMV tile: a PE holding a k x n block of the weights
 * multiplies it by k inputs arriving from the fabric and produces n partial
 * sums.  Weights are read from SRAM at port width (in the kernel's element
 * size), accumulators are read and written once per input row in the
 * accumulator width (fp32 unless fp16 throughout), the inputs come from the
 * fabric (no SRAM traffic), one task per sample (the task streams its
 * input rows through a fabric descriptor).  Fills *w.
 */
void pe_gemv_work(const struct pe_params *pe, enum pe_prec p, int64_t k,
		  int64_t n, struct pe_work *w);

/*
 * Relaying one wavelet of a reduction chain: a PE of the chain takes the
 * partial sum arriving from its upstream neighbour, adds its own (one vector
 * op, one SRAM read of its own partial sum) and sends the sum on.  Fills *w
 * (no task start: the relay is one task for the whole stream).
 *
 * One rule for every model of the chain: the engine (sim/engine_task.c),
 * the compiler's estimate (compiler/plan_task.c), the kernels' collectives
 * (compiler/kern_*.c through fabric/collective.h) and the SystemC
 * reference (cores/sc_pe.cpp, RELAY ops) all take the relay from here:
 *   pe_relay_cycles          the PE's cycles per relayed wavelet (its
 *                            rate once the stream flows): the add's work
 *   pe_relay_latency_cycles  cycles from a wavelet taken off the ramp to
 *                            its sum sent back up: the fabric-in to
 *                            fabric-out vector instruction's latency
 *                            (pe.sw.relay_latency_cycles, CALIBRATED on
 *                            the measured MeshGEMV rows), at least the add
 */
void pe_relay_work(struct pe_work *w);

/* Cycles a PE spends per relayed wavelet: pe_work_cycles(pe_relay_work). */
cycles_t pe_relay_cycles(const struct pe_params *pe, enum pe_prec p);

/* Cycles a relayed wavelet spends in the PE (see above). */
cycles_t pe_relay_latency_cycles(const struct pe_params *pe, enum pe_prec p);

#endif
