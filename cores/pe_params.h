/*
 * pe_params.h: the processing element's parameters, as loaded from the
 * machine file (section `pe`).  Plain data; the timing rules that use them
 * live in cores/pe.h.
 */
#ifndef WAFERSIM_PE_PARAMS_H
#define WAFERSIM_PE_PARAMS_H

#include <stdint.h>

/* SIMD lanes per cycle, per operation and data type. */
struct pe_simd {
	int64_t fma_fp16;  /* fp16 x fp16 + fp16 multiply-adds per cycle */
	int64_t fma_mixed; /* fp16 x fp16 + fp32 accumulate per cycle */
	int64_t fma_fp32;  /* fp32 multiply-adds per cycle */
	int64_t add_fp16;  /* fp16 add/mul/max/compare per cycle */
	int64_t add_fp32;  /* fp32 add/mul/max/compare per cycle */
};

/* Energy of the PE's own operations and SRAM accesses (the machine file's
 * `energy` section holds these beside the fabric's and the I/O's). */
struct pe_energy {
	double fma_fp16_pj, fma_mixed_pj, fma_fp32_pj;
	double add_fp16_pj, add_fp32_pj;
	double sram_read_pj;  /* one port-width read */
	double sram_write_pj; /* one port-width write */
};

/*
 * Software costs of the PE's runtime: what a CSL program pays besides its
 * vector work (cores/pe_sw.h turns instruction counts into cycles with
 * these).  A task's activation is pe_params.task_start_cycles.  Values and
 * sources: the presets in models/machines/ and docs/engine.md ("Software on the PE").
 */
struct pe_sw {
	int64_t ctrl_cycles;	 /* one @block / @unblock / @activate */
	int64_t dsd_cycles;	 /* one descriptor instruction (set base,
				  * length, offset; load to a DSR) */
	int64_t loop_cycles;	 /* one iteration of a software loop */
	int64_t call_cycles;	 /* one element of @map: scalar load, call,
				  * return */
	int64_t vec_start_cycles; /* a vector instruction on SRAM operands
				   * before its first element */
	int64_t fabric_start_cycles; /* a vector instruction on a fabric
				      * queue before its first wavelet */
	int64_t relay_latency_cycles; /* a wavelet through a PE's fabric-in
				       * to fabric-out vector op (add or
				       * move), one per cycle once filled */
};

struct pe_params {
	int64_t sram_bytes;	  /* local SRAM capacity */
	int64_t sram_banks;	  /* banks, words interleaved across them */
	int64_t sram_read_ports;  /* reads per cycle */
	int64_t sram_write_ports; /* writes per cycle */
	int64_t sram_port_bits;	  /* width of one port access */
	int64_t code_bytes;	  /* SRAM kept for code and runtime */
	int64_t task_start_cycles; /* cost to activate a task */
	int64_t max_tasks;	  /* task slots */
	struct pe_simd simd;
	struct pe_sw sw;
};

#endif
