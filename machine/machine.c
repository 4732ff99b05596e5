/*
 * machine.c: the wafer machine schema, loading and whole-machine checks.
 *
 * Every key is declared once below.  Defaults are those of a WSE-2-like
 * machine; the presets in models/machines/ say where each figure comes from.
 */
#include "machine/machine.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ground/util.h"

#define CFG_OFF(f) offsetof(struct machine, f)

static const char *const edge_names[] = {"west", "east", "north", "south",
					 NULL};

static const struct cfg_key grid_keys[] = {
	CFG_KI("width", "PE", 1, 4096, NULL, "PEs across, west to east", width),
	CFG_KI("height", "PE", 1, 4096, NULL, "PEs down, north to south", height),
	{0},
};

static const struct cfg_key simd_keys[] = {
	CFG_KI("fma_fp16", "lanes", 1, 64, "4", "fp16 multiply-adds per cycle",
	   pe.simd.fma_fp16),
	CFG_KI("fma_mixed", "lanes", 1, 64, "2",
	   "fp16 x fp16 + fp32 accumulate multiply-adds per cycle",
	   pe.simd.fma_mixed),
	CFG_KI("fma_fp32", "lanes", 1, 64, "1", "fp32 multiply-adds per cycle",
	   pe.simd.fma_fp32),
	CFG_KI("add_fp16", "lanes", 1, 64, "4",
	   "fp16 add, multiply, max or compare per cycle", pe.simd.add_fp16),
	CFG_KI("add_fp32", "lanes", 1, 64, "2",
	   "fp32 add, multiply, max or compare per cycle", pe.simd.add_fp32),
	{0},
};

/* Software costs (cores/pe_sw.h).  Defaults: calibrated on the measured
 * WSE-3 MeshGEMM and MeshGEMV rows (models/measured/wse3/), each a cost a
 * CSL program pays per instruction it runs; docs/engine.md. */
static const struct cfg_key sw_keys[] = {
	CFG_KI("ctrl_cycles", "cycle", 0, 10000, "2",
	   "one task control instruction (block, unblock, activate)",
	   pe.sw.ctrl_cycles),
	CFG_KI("dsd_cycles", "cycle", 0, 10000, "4",
	   "one descriptor instruction (set base/length/offset, load to DSR)",
	   pe.sw.dsd_cycles),
	CFG_KI("loop_cycles", "cycle", 0, 10000, "5",
	   "one iteration of a software loop", pe.sw.loop_cycles),
	CFG_KI("call_cycles", "cycle", 0, 10000, "2",
	   "one element of a @map: scalar load, call and return",
	   pe.sw.call_cycles),
	CFG_KI("vec_start_cycles", "cycle", 0, 10000, "2",
	   "a vector instruction on SRAM operands before its first element",
	   pe.sw.vec_start_cycles),
	CFG_KI("fabric_start_cycles", "cycle", 0, 10000, "22",
	   "a vector instruction on a fabric queue before its first wavelet",
	   pe.sw.fabric_start_cycles),
	CFG_KI("relay_latency_cycles", "cycle", 0, 10000, "11",
	   "a wavelet through a PE's fabric-to-fabric add or move",
	   pe.sw.relay_latency_cycles),
	{0},
};

static const struct cfg_key pe_keys[] = {
	CFG_KI("sram_bytes", "B", 1024, 16777216, "49152", "local SRAM per PE",
	   pe.sram_bytes),
	CFG_KI("sram_banks", "", 1, 64, "8", "SRAM banks, words interleaved",
	   pe.sram_banks),
	CFG_KI("sram_read_ports", "", 1, 8, "2", "SRAM reads per cycle",
	   pe.sram_read_ports),
	CFG_KI("sram_write_ports", "", 1, 8, "1", "SRAM writes per cycle",
	   pe.sram_write_ports),
	CFG_KI("sram_port_bits", "bit", 8, 1024, "64", "width of one SRAM access",
	   pe.sram_port_bits),
	CFG_KI("code_bytes", "B", 0, 16777216, "6144",
	   "SRAM set aside for code and runtime on every PE", pe.code_bytes),
	CFG_KI("task_start_cycles", "cycle", 0, 10000, "8",
	   "cycles to activate a task", pe.task_start_cycles),
	CFG_KI("max_tasks", "", 1, 1024, "64", "task slots per PE", pe.max_tasks),
	CFG_KSEC("simd", "vector lanes per operation and data type", simd_keys),
	CFG_KSEC("sw", "software costs of the PE's runtime", sw_keys),
	{0},
};

static const struct cfg_key fabric_keys[] = {
	CFG_KI("wavelet_bits", "bit", 16, 256, "32", "payload bits per wavelet",
	   fabric.wavelet_bits),
	CFG_KI("colors", "", 1, 64, "24", "virtual channels (colors) per link",
	   fabric.colors),
	CFG_KI("link_latency_cycles", "cycle", 0, 1000, "1",
	   "wire delay between neighbouring routers", fabric.link_latency_cycles),
	CFG_KI("router_latency_cycles", "cycle", 0, 1000, "0",
	   "extra pipeline delay through a router",
	   fabric.router_latency_cycles),
	CFG_KI("ramp_latency_cycles", "cycle", 0, 1000, "1",
	   "PE to router (or back) delay, each way", fabric.ramp_latency_cycles),
	CFG_KI("buffer_depth_wavelets", "wavelet", 1, 1024, "4",
	   "input buffer per port and color (back-pressure beyond it)",
	   fabric.buffer_depth_wavelets),
	{0},
};

static const struct cfg_key io_keys[] = {
	CFG_KR("bandwidth_gbytes_s", "GB/s", 0, 1e6, "150",
	   "host I/O bandwidth, all edges together", io.bandwidth_gbytes_s),
	{"edges", CFG_FLAGS, "", 0, 0, "west, east",
	 "wafer edges where host data enters and leaves", CFG_OFF(io.edges), NULL,
	 edge_names},
	CFG_KI("latency_cycles", "cycle", 0, 100000000, "1000",
	   "host to first PE latency", io.latency_cycles),
	{0},
};

static const struct cfg_key extmem_keys[] = {
	CFG_KR("bandwidth_gbytes_s", "GB/s", 0, 1e6, "150",
	   "weight streaming rate from external memory into the wafer",
	   extmem.bandwidth_gbytes_s),
	CFG_KR("latency_us", "us", 0, 1e6, "2", "external memory request latency",
	   extmem.latency_us),
	CFG_KR("capacity_gbytes", "GB", 0, 1e9, "12000",
	   "external weight memory capacity", extmem.capacity_gbytes),
	{0},
};

static const struct cfg_key interconnect_keys[] = {
	CFG_KR("bandwidth_gbytes_s", "GB/s", 0.001, 1e6, "150",
	   "per wafer, each way: weights broadcast in, gradients reduced out",
	   interconnect.bandwidth_gbytes_s),
	CFG_KR("latency_us", "us", 0, 1e6, "1",
	   "per switch level of the broadcast and reduction tree",
	   interconnect.latency_us),
	CFG_KI("radix", "", 2, 1024, "16", "wafers (or switches) per switch",
	   interconnect.radix),
	{0},
};

static const struct cfg_key energy_keys[] = {
	CFG_KR("fma_fp16_pj", "pJ", 0, 1e6, "0.3", "one fp16 multiply-add",
	   energy.pe.fma_fp16_pj),
	CFG_KR("fma_mixed_pj", "pJ", 0, 1e6, "0.45",
	   "one fp16 multiply with fp32 accumulate", energy.pe.fma_mixed_pj),
	CFG_KR("fma_fp32_pj", "pJ", 0, 1e6, "1.2", "one fp32 multiply-add",
	   energy.pe.fma_fp32_pj),
	CFG_KR("add_fp16_pj", "pJ", 0, 1e6, "0.1", "one fp16 add or compare",
	   energy.pe.add_fp16_pj),
	CFG_KR("add_fp32_pj", "pJ", 0, 1e6, "0.3", "one fp32 add or compare",
	   energy.pe.add_fp32_pj),
	CFG_KR("sram_read_pj", "pJ", 0, 1e6, "2", "one SRAM read of a port width",
	   energy.pe.sram_read_pj),
	CFG_KR("sram_write_pj", "pJ", 0, 1e6, "2.5",
	   "one SRAM write of a port width", energy.pe.sram_write_pj),
	CFG_KR("wavelet_hop_pj", "pJ", 0, 1e6, "2.5",
	   "one wavelet across one link, router included",
	   energy.wavelet_hop_pj),
	CFG_KR("static_mw_per_pe", "mW", 0, 1e6, "3.1",
	   "leakage and clock power of one PE, busy or not",
	   energy.static_mw_per_pe),
	CFG_KR("active_pj_per_cycle", "pJ", 0, 1e6, "12.3",
	   "a PE running a task, per cycle, beyond its operations and SRAM "
	   "accesses (instruction issue, control, clock of the active core)",
	   energy.active_pj_per_cycle),
	CFG_KR("io_pj_per_byte", "pJ/B", 0, 1e9, "80", "host I/O, per byte",
	   energy.io_pj_per_byte),
	CFG_KR("extmem_pj_per_byte", "pJ/B", 0, 1e9, "100",
	   "external weight memory, per byte moved", energy.extmem_pj_per_byte),
	{0},
};

const struct cfg_key machine_schema[] = {
	CFG_KS("name", NULL, "short name of the machine", name),
	CFG_KS("description", "", "one line on what it models", description),
	CFG_KSEC("grid", "the PE array exposed to programs", grid_keys),
	CFG_KR("clock_ghz", "GHz", 0.001, 100, "0.85", "core and fabric clock",
	   clock_ghz),
	CFG_KSEC("pe", "processing element", pe_keys),
	CFG_KSEC("fabric", "mesh routers and links", fabric_keys),
	CFG_KSEC("io", "host I/O at the wafer edge", io_keys),
	CFG_KSEC("extmem", "external weight memory (weight streaming)",
	     extmem_keys),
	CFG_KSEC("interconnect",
	     "between external memory and several wafers (data parallel)",
	     interconnect_keys),
	CFG_KSEC("energy", "energy table", energy_keys),
	{0},
};

static int key_line(const struct cfg_src *src, const char *path)
{
	int line, col;
	cfg_src_find(src, path, &line, &col);
	return line;
}

static int key_col(const struct cfg_src *src, const char *path)
{
	int line, col;
	cfg_src_find(src, path, &line, &col);
	return col;
}

/* Checks that involve several keys: each error is located at the key that
 * has to change. */
static int machine_check(const void *obj, const struct cfg_src *src,
			 struct diag *d)
{
	const struct machine *m = obj;
	int errors = 0;
#define AT(path) \
	cfg_src_file(src, path), key_line(src, path), key_col(src, path)
	const struct pe_params *pe = &m->pe;
	int64_t word_bytes = pe->sram_port_bits / 8;
	if (pe->sram_port_bits % 8) {
		diag_add(d, AT("pe.sram_port_bits"),
			 "machine: 'pe.sram_port_bits' must be a multiple of "
			 "8, got %lld",
			 (long long)pe->sram_port_bits);
		errors++;
	}
	if (pe->sram_bytes % (pe->sram_banks * (word_bytes ? word_bytes : 1))) {
		diag_add(d, AT("pe.sram_bytes"),
			 "machine: 'pe.sram_bytes' must divide into %lld banks "
			 "of whole %lld-byte words, got %lld",
			 (long long)pe->sram_banks, (long long)word_bytes,
			 (long long)pe->sram_bytes);
		errors++;
	}
	if (pe->code_bytes >= pe->sram_bytes) {
		diag_add(d, AT("pe.code_bytes"),
			 "machine: 'pe.code_bytes' must leave room for data: "
			 "expected less than pe.sram_bytes = %lld, got %lld",
			 (long long)pe->sram_bytes, (long long)pe->code_bytes);
		errors++;
	}
	if (m->fabric.wavelet_bits % 16) {
		diag_add(d, AT("fabric.wavelet_bits"),
			 "machine: 'fabric.wavelet_bits' must be a multiple of "
			 "16 (one fp16), got %lld",
			 (long long)m->fabric.wavelet_bits);
		errors++;
	}
	if (m->io.bandwidth_gbytes_s > 0 && m->io.edges == 0) {
		diag_add(d, AT("io.edges"),
			 "machine: 'io.edges' must name at least one edge "
			 "when io.bandwidth_gbytes_s is %g",
			 m->io.bandwidth_gbytes_s);
		errors++;
	}
	if (m->io.bandwidth_gbytes_s <= 0) {
		diag_add(d, AT("io.bandwidth_gbytes_s"),
			 "machine: 'io.bandwidth_gbytes_s' must be above 0: "
			 "data has to enter the wafer, got %g",
			 m->io.bandwidth_gbytes_s);
		errors++;
	}
	/* weights stream in through it (streaming mode, the mode of last
	 * resort): at 0 a layer's stream would take forever, and a run hung
	 * on the infinite span */
	if (m->extmem.bandwidth_gbytes_s <= 0) {
		diag_add(d, AT("extmem.bandwidth_gbytes_s"),
			 "machine: 'extmem.bandwidth_gbytes_s' must be above 0: "
			 "weights stream in through it, got %g",
			 m->extmem.bandwidth_gbytes_s);
		errors++;
	}
#undef AT
	return errors ? WS_EINPUT : WS_OK;
}

int machine_load_string(const char *file, const char *text, struct machine *m,
			struct diag *d)
{
	return cfg_load_checked(machine_schema, "machine", file, text, m,
				machine_check, d);
}

int machine_load(const char *name_or_path, struct machine *m, struct diag *d)
{
	return machine_load_set(name_or_path, NULL, m, d);
}

int machine_load_set(const char *name_or_path, const struct cfg_sets *sets,
		     struct machine *m, struct diag *d)
{
	return cfg_load_preset_set(machine_schema, "machine", "machines",
				   name_or_path, sets, m, machine_check, d);
}

void machine_dump(const struct machine *m, FILE *out)
{
	fprintf(out, "# wafersim machine '%s': effective configuration, "
		     "defaults filled in\n", m->name);
	cfg_dump(machine_schema, m, out);
}
