/* pe.c: PE timing and energy rules. See pe.h. */
#include "cores/pe.h"

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

void pe_work_breakdown(const struct pe_params *pe, enum pe_prec p,
		       const struct pe_work *w, struct pe_cycles *out)
{
	/* FMA and other vector ops share the datapath; SRAM ports stream
	 * operands while it computes, so the busiest of them sets the pace,
	 * and task starts are paid on top (a task cannot overlap its own
	 * activation). */
	int64_t c = ceil_div(w->fma, pe_fma_lanes(pe, p));
	int64_t e = ceil_div(w->ew, pe_ew_lanes(pe, p));
	out->datapath = (cycles_t)(c + e);
	out->sram_read = (cycles_t)ceil_div(w->sram_reads, pe->sram_read_ports);
	out->sram_write =
		(cycles_t)ceil_div(w->sram_writes, pe->sram_write_ports);
	out->task = (cycles_t)(w->tasks * pe->task_start_cycles +
			       w->sw_cycles);
	cycles_t busy = out->datapath;
	out->bound = PE_BOUND_COMPUTE;
	if (out->sram_read > busy) {
		busy = out->sram_read;
		out->bound = PE_BOUND_SRAM_READ;
	}
	if (out->sram_write > busy) {
		busy = out->sram_write;
		out->bound = PE_BOUND_SRAM_WRITE;
	}
	if (out->task > busy)
		out->bound = PE_BOUND_TASKS;
	out->total = busy + out->task;
	if (out->total == 0 &&
	    (w->fma || w->ew || w->sram_reads || w->sram_writes))
		out->total = 1;
}

cycles_t pe_work_cycles(const struct pe_params *pe, enum pe_prec p,
			const struct pe_work *w)
{
	struct pe_cycles c;
	pe_work_breakdown(pe, p, w, &c);
	return c.total;
}

const char *pe_bound_name(enum pe_bound b)
{
	static const char *const names[] = {"compute", "SRAM read",
					    "SRAM write", "software"};
	return b < PE_BOUND_COUNT ? names[b] : "?";
}

double pe_fma_pj(const struct pe_energy *e, enum pe_prec p)
{
	return p == PREC_FP32	 ? e->fma_fp32_pj
	       : p == PREC_MIXED ? e->fma_mixed_pj
				 : e->fma_fp16_pj;
}

double pe_ew_pj(const struct pe_energy *e, enum pe_prec p)
{
	return p == PREC_FP32 ? e->add_fp32_pj : e->add_fp16_pj;
}

void pe_work_energy_split(const struct pe_energy *e, enum pe_prec p,
			  const struct pe_work *w, double *ops_pj,
			  double *sram_pj)
{
	*ops_pj = (double)w->fma * pe_fma_pj(e, p) +
		  (double)w->ew * pe_ew_pj(e, p);
	*sram_pj = (double)w->sram_reads * e->sram_read_pj +
		   (double)w->sram_writes * e->sram_write_pj;
}

void pe_gemv_work(const struct pe_params *pe, enum pe_prec p, int64_t k,
		  int64_t n, struct pe_work *w)
{
	int64_t port_bytes = pe->sram_port_bits / 8;
	int64_t acc_bytes = p == PREC_FP16 ? 2 : 4;
	w->fma = k * n;
	w->ew = 0;
	w->sw_cycles = 0;
	/* weights once; accumulators read and written once per input row */
	w->sram_reads = ceil_div(k * n * pe_elem_bytes(p), port_bytes) +
			k * ceil_div(n * acc_bytes, port_bytes);
	w->sram_writes = k * ceil_div(n * acc_bytes, port_bytes);
	w->tasks = k > 0 ? 1 : 0;
}

int64_t pe_sram_words(const struct pe_params *pe, int64_t bytes)
{
	return ceil_div(bytes, pe->sram_port_bits / 8);
}

double pe_work_energy_pj(const struct pe_energy *e, enum pe_prec p,
			 const struct pe_work *w)
{
	double ops, sram;
	pe_work_energy_split(e, p, w, &ops, &sram);
	return ops + sram;
}

void pe_relay_work(struct pe_work *w)
{
	w->fma = 0;
	w->ew = 1;
	w->sram_reads = 1;
	w->sram_writes = 0;
	w->tasks = 0;
	w->sw_cycles = 0;
}

cycles_t pe_relay_cycles(const struct pe_params *pe, enum pe_prec p)
{
	struct pe_work w;
	pe_relay_work(&w);
	return pe_work_cycles(pe, p, &w);
}

cycles_t pe_relay_latency_cycles(const struct pe_params *pe, enum pe_prec p)
{
	cycles_t add = pe_relay_cycles(pe, p);
	cycles_t lat = (cycles_t)pe->sw.relay_latency_cycles;
	return lat > add ? lat : add;
}
