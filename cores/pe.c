/* pe.c: PE timing and energy rules. See pe.h. */
#include "cores/pe.h"

#include "sim/machine.h"

int pe_elem_bytes(enum pe_prec p)
{
	return p == PREC_FP32 ? 4 : 2;
}

int64_t pe_fma_lanes(const struct pe_params *pe, enum pe_prec p)
{
	switch (p) {
	case PREC_FP32: return pe->simd.fma_fp32;
	case PREC_MIXED: return pe->simd.fma_mixed;
	default: return pe->simd.fma_fp16;
	}
}

int64_t pe_ew_lanes(const struct pe_params *pe, enum pe_prec p)
{
	return p == PREC_FP32 ? pe->simd.add_fp32 : pe->simd.add_fp16;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
	return (a + b - 1) / b;
}

cycles_t pe_work_cycles(const struct pe_params *pe, enum pe_prec p,
			const struct pe_work *w)
{
	int64_t c = ceil_div(w->fma, pe_fma_lanes(pe, p));
	int64_t e = ceil_div(w->ew, pe_ew_lanes(pe, p));
	int64_t r = ceil_div(w->sram_reads, pe->sram_read_ports);
	int64_t s = ceil_div(w->sram_writes, pe->sram_write_ports);
	int64_t busy = c + e; /* FMA and other vector ops share the datapath */
	if (r > busy)
		busy = r;
	if (s > busy)
		busy = s;
	int64_t total = busy + w->tasks * pe->task_start_cycles;
	if (total == 0 && (w->fma || w->ew || w->sram_reads || w->sram_writes))
		total = 1;
	return (cycles_t)total;
}

int64_t pe_sram_words(const struct pe_params *pe, int64_t bytes)
{
	return ceil_div(bytes, pe->sram_port_bits / 8);
}

double pe_work_energy_pj(const struct machine_energy *e, enum pe_prec p,
			 const struct pe_work *w)
{
	double fma_pj = p == PREC_FP32	 ? e->fma_fp32_pj
			: p == PREC_MIXED ? e->fma_mixed_pj
					  : e->fma_fp16_pj;
	double ew_pj = p == PREC_FP32 ? e->add_fp32_pj : e->add_fp16_pj;
	return (double)w->fma * fma_pj + (double)w->ew * ew_pj +
	       (double)w->sram_reads * e->sram_read_pj +
	       (double)w->sram_writes * e->sram_write_pj;
}
