/*
 * machine.h: a wafer-scale machine as described by its YAML file.
 *
 * Presets live in models/machines/<name>.yaml; `machine_load` takes a preset
 * name or a path.  The schema (every key, unit, range, default, doc) is one
 * table in machine.c, also printed by `wafersim machine schema`.
 *
 * Layer 2, machine/ owns the machine description: the YAML schema and
 * presets, aggregating the cores/ and fabric/ parameters with I/O,
 * external memory and energy.  It may include ground/, cores/, fabric/;
 * never a layer above (docs/ARCHITECTURE.md, checked by
 * tests/house/check_layers.py).
 */
#ifndef WAFERSIM_MACHINE_H
#define WAFERSIM_MACHINE_H

#include <stdint.h>
#include <stdio.h>

#include "ground/cfg.h"
#include "cores/pe_params.h"
#include "ground/diag.h"
#include "fabric/fabric_params.h"

/* Wafer edges, as bits of `io.edges`. */
enum { EDGE_WEST = 1u << 0, EDGE_EAST = 1u << 1, EDGE_NORTH = 1u << 2,
       EDGE_SOUTH = 1u << 3 };

struct machine_io {
	double bandwidth_gbytes_s; /* host I/O, all edges together */
	unsigned edges;		   /* EDGE_* bits */
	int64_t latency_cycles;	   /* host to first PE */
};

struct machine_extmem {
	double bandwidth_gbytes_s; /* weight streaming rate into the wafer */
	double latency_us;
	double capacity_gbytes;
};

/* Several wafers training one network data-parallel (weight streaming):
 * the interconnect between the external memory and the wafers (Cerebras
 * SwarmX) broadcasts weights to all and sums gradients on the way back, a
 * tree of `radix`-way switches. */
struct machine_interconnect {
	double bandwidth_gbytes_s; /* per wafer, each way */
	double latency_us;	   /* per switch level */
	int64_t radix;		   /* wafers (or switches) per switch */
};

/* Energy table: per operation, per access, per hop, static power. */
struct machine_energy {
	struct pe_energy pe;   /* operations and SRAM accesses (cores/) */
	double wavelet_hop_pj; /* one wavelet over one link, router included */
	double static_mw_per_pe;
	double active_pj_per_cycle; /* a PE running a task, per cycle */
	double io_pj_per_byte;
	double extmem_pj_per_byte;
};

struct machine {
	char name[CFG_STR_MAX];
	char description[CFG_STR_MAX];
	int64_t width, height; /* PEs across (x, east) and down (y, south) */
	double clock_ghz;
	struct pe_params pe;
	struct fabric_params fabric;
	struct machine_io io;
	struct machine_extmem extmem;
	struct machine_interconnect interconnect;
	struct machine_energy energy;
};

/* The schema table (ends with {0}). */
extern const struct cfg_key machine_schema[];

/* Load by preset name (models/machines/NAME.yaml) or path.  Fills defaults,
 * checks every key, then checks the machine as a whole (e.g. SRAM divisible
 * into banks, code fitting in SRAM).  0, WS_EIO or WS_EINPUT. */
int machine_load(const char *name_or_path, struct machine *m, struct diag *d);
/* The same with keys overridden ("--set grid.width=600", cfg_sets in
 * ground/cfg.h): each checked as in a file and named in messages, then the
 * whole-machine checks.  `sets` may be NULL. */
int machine_load_set(const char *name_or_path, const struct cfg_sets *sets,
		     struct machine *m, struct diag *d);
int machine_load_string(const char *file, const char *text, struct machine *m,
			struct diag *d);

/* Effective configuration as YAML (loads back to the same machine). */
void machine_dump(const struct machine *m, FILE *out);

static inline int64_t machine_pes(const struct machine *m)
{
	return m->width * m->height;
}

/* Seconds per cycle. */
static inline double machine_cycle_s(const struct machine *m)
{
	return 1e-9 / m->clock_ghz;
}

#endif
