/*
 * sc_top.h: the reference model's mesh top level (C++17, SystemC 2.3).
 *
 * Builds width x height routers (fabric/sc_router.h) and PEs
 * (cores/sc_pe.h), the signals between them and one clock, runs the
 * simulation until the work is done, and sums the statistics.  C code
 * reaches it through sim/sc_ref.h, which runs it in a child process.
 *
 *    PE(x,y)  tx/credit --> router(x,y).in[RAMP]       rising edge: routers
 *             <-- rx/credit  router(x,y).out[RAMP]      falling edge: PEs
 *    router(x,y).out[E] --> link --> router(x+1,y).in[W]  (and so on)
 *    router(x,y).credit_out[W] --> router(x-1,y).credit_in[E]
 *
 * Edge ports read a shared idle signal and write signals nobody reads.
 */
#ifndef WAFERSIM_SC_TOP_H
#define WAFERSIM_SC_TOP_H

#include <stdint.h>

#include <memory>
#include <vector>

#include <systemc>

#include "cores/sc_pe.h"
#include "fabric/sc_router.h"
#include "sim/sc_ref.h"

class sc_top : public sc_core::sc_module
{
      public:
	/* `pcfg` and what it points to must outlive the module. */
	sc_top(sc_core::sc_module_name name, const sc_mesh_cfg *mesh,
	       const sc_pe_cfg *pcfg, uint64_t seed);
	~sc_top();

	/* Trace PE `id`, its router's five output links and its tx link. */
	void trace(sc_core::sc_trace_file *tf, int id);

	int n() const
	{
		return n_;
	}
	const sc_router &router(int id) const
	{
		return *routers_[(size_t)id];
	}
	const sc_pe &pe(int id) const
	{
		return *pes_[(size_t)id];
	}

      private:
	int n_;
	sc_core::sc_clock clk_;
	sc_core::sc_signal<sc_wavelet> idle_link_;
	sc_core::sc_signal<uint64_t> idle_credit_;
	std::vector<std::unique_ptr<sc_core::sc_signal<sc_wavelet>>> link_;
	std::vector<std::unique_ptr<sc_core::sc_signal<uint64_t>>> credit_;
	std::vector<std::unique_ptr<sc_core::sc_signal<sc_wavelet>>> pe_tx_;
	std::vector<std::unique_ptr<sc_core::sc_signal<uint64_t>>> pe_credit_;
	std::vector<std::unique_ptr<sc_router>> routers_;
	std::vector<std::unique_ptr<sc_pe>> pes_;
};

#endif
