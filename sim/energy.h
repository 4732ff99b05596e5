/*
 * energy.h: energy and power of a simulated run, from the machine's energy
 * table (struct machine_energy) and the counts in struct stats.
 *
 * Components (picojoules over the whole run):
 *   ops      FMA and other vector operations (per precision)
 *   sram     SRAM port-width reads and writes
 *   fabric   wavelet hops (one wavelet over one link, router included)
 *   io       host I/O bytes through the wafer edge
 *   extmem   weight-streaming bytes to and from external memory
 *   control  a PE running a task, per busy cycle, beyond its operations
 *            and SRAM accesses (instruction issue, control, the active
 *            core's clock: machine energy.active_pj_per_cycle)
 *   static   static power of every PE of the machine over the run (idle PEs
 *            draw it too: the wafer is powered as a whole)
 */
#ifndef WAFERSIM_ENERGY_H
#define WAFERSIM_ENERGY_H

#include "machine/machine.h"
#include "sim/stats.h"

enum energy_part { ENERGY_OPS = 0, ENERGY_SRAM, ENERGY_FABRIC, ENERGY_IO,
		   ENERGY_EXTMEM, ENERGY_ACTIVE, ENERGY_STATIC, ENERGY_PARTS };

struct energy_breakdown {
	double part_pj[ENERGY_PARTS];
	double total_pj;
	double seconds;		/* run time */
	double avg_power_w;	/* total / seconds */
	double idle_power_w;	/* static power of the whole machine */
};

const char *energy_part_name(enum energy_part p);

/* Energy of the run in `st`. */
void energy_compute(const struct stats *st, const struct machine *m,
		    struct energy_breakdown *out);

/* Power of time window i of `st` (dynamic + static), watts. */
double energy_window_power_w(const struct stats *st, const struct machine *m,
			     int i);

/*
 * The boundary: the wafer itself (its PEs, SRAM, fabric and the
 * power they draw idle), the energy of its edge I/O and of the weight
 * traffic; not the system around it (fans, pumps, power supplies, the
 * host servers, the external memory and interconnect appliances).  That
 * is the counterpart of a GPU's board power (chip, HBM, voltage
 * regulators as the board's sensor reads it), which is what the GPU
 * baseline's energy models (gpu/gpu.h).
 *
 * Power of the machine at full load, watts: every PE issuing its peak FMA
 * rate at precision `p` with the SRAM traffic of the reference GEMV tile
 * (weights at port width, fp32 accumulators read and written), and one
 * wavelet in and out of every router per cycle, plus static power.  The
 * plausibility check of an energy table (WSE-2: 10-25 kW).
 */
double energy_full_load_w(const struct machine *m, enum pe_prec p);

/* Static power of the whole machine, watts. */
double energy_idle_w(const struct machine *m);

#endif
