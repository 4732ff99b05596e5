/* energy.c: energy accounting. See energy.h. */
#include "sim/energy.h"

#include <string.h>

#include "cores/pe.h"

const char *energy_part_name(enum energy_part p)
{
	static const char *const names[] = {"operations", "SRAM", "fabric",
					    "host I/O", "external memory",
					    "control", "static"};
	return p < ENERGY_PARTS ? names[p] : "?";
}

double energy_idle_w(const struct machine *m)
{
	return m->energy.static_mw_per_pe * 1e-3 * (double)machine_pes(m);
}

/* PE-cycles spent running tasks, over the machine. */
static double busy_pe_cycles(const struct stats *st)
{
	double b = 0;
	if (st->pe_busy_cycles) {
		for (int64_t i = 0; i < st->width * st->height; i++)
			b += (double)st->pe_busy_cycles[i];
		return b;
	}
	for (int i = 0; i < st->n_stages; i++)
		b += (double)(st->stages[i].compute_cycles +
			      st->stages[i].comm_cycles) *
		     (double)st->stages[i].pes;
	return b;
}

void energy_compute(const struct stats *st, const struct machine *m,
		    struct energy_breakdown *out)
{
	const struct machine_energy *e = &m->energy;
	memset(out, 0, sizeof(*out));
	out->seconds = (double)st->total_cycles * machine_cycle_s(m);
	out->part_pj[ENERGY_OPS] = (double)st->fma * pe_fma_pj(&e->pe, st->prec) +
				   (double)st->ew * pe_ew_pj(&e->pe, st->prec);
	out->part_pj[ENERGY_SRAM] = (double)st->sram_reads * e->pe.sram_read_pj +
				    (double)st->sram_writes * e->pe.sram_write_pj;
	out->part_pj[ENERGY_FABRIC] = (double)st->wavelet_hops * e->wavelet_hop_pj;
	out->part_pj[ENERGY_IO] =
		(double)(st->io_in_bytes + st->io_out_bytes) * e->io_pj_per_byte;
	out->part_pj[ENERGY_EXTMEM] =
		(double)(st->extmem_in_bytes + st->extmem_out_bytes) *
		e->extmem_pj_per_byte;
	out->part_pj[ENERGY_ACTIVE] = busy_pe_cycles(st) * e->active_pj_per_cycle;
	out->idle_power_w = energy_idle_w(m);
	out->part_pj[ENERGY_STATIC] = out->idle_power_w * out->seconds * 1e12;
	for (int i = 0; i < ENERGY_PARTS; i++)
		out->total_pj += out->part_pj[i];
	out->avg_power_w = out->seconds > 0 ? out->total_pj * 1e-12 / out->seconds
					    : out->idle_power_w;
}

double energy_window_power_w(const struct stats *st, const struct machine *m,
			     int i)
{
	const struct machine_energy *e = &m->energy;
	const struct stats_windows *w = &st->win;
	if (i < 0 || i >= w->n || w->window_cycles == 0)
		return 0;
	double pj = w->fma[i] * pe_fma_pj(&e->pe, st->prec) + w->ew[i] * pe_ew_pj(&e->pe, st->prec) +
		    w->sram_reads[i] * e->pe.sram_read_pj +
		    w->sram_writes[i] * e->pe.sram_write_pj +
		    w->wavelet_hops[i] * e->wavelet_hop_pj +
		    w->io_bytes[i] * e->io_pj_per_byte;
	for (int k = 0; k < st->n_stages; k++)
		pj += w->stage_busy[(size_t)i * (size_t)st->n_stages + (size_t)k] *
		      (double)st->stages[k].pes * e->active_pj_per_cycle;
	double sec = (double)w->window_cycles * machine_cycle_s(m);
	return pj * 1e-12 / sec + energy_idle_w(m);
}

double energy_full_load_w(const struct machine *m, enum pe_prec p)
{
	/* one cycle of one PE at its peak: a GEMV tile large enough that the
	 * per-task start is negligible, normalised per cycle */
	struct pe_work w;
	pe_gemv_work(&m->pe, p, 64, 64, &w);
	cycles_t c = pe_work_cycles(&m->pe, p, &w);
	double pj = pe_work_energy_pj(&m->energy.pe, p, &w) / (double)c;
	/* a wavelet in and out of every router each cycle: two hops */
	pj += 2 * m->energy.wavelet_hop_pj + m->energy.active_pj_per_cycle;
	double dyn_w = pj * 1e-12 * m->clock_ghz * 1e9 * (double)machine_pes(m);
	return dyn_w + energy_idle_w(m);
}
