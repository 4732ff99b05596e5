/*
 * sc_router.h: the SystemC reference model's router (C++17, SystemC 2.3).
 *
 * One router per PE, five ports (N, S, E, W, ramp).  Every port has, per
 * colour, an input FIFO of the machine's buffer depth; the sender of each
 * link holds credits for those FIFOs (back-pressure).  Each cycle every
 * output port grants one wavelet, round robin over (input port, colour)
 * pairs whose head wants that port and has a credit downstream; a multicast
 * head leaves its FIFO once every port of its fan-out has taken a copy.
 *
 * Timing (the rules of fabric/timing.h): a wavelet granted at cycle t by
 * one router can be granted by the next at t + fabric_hop_cycles(); one
 * from the PE enters the ramp FIFO ramp_latency_cycles after it left the
 * PE; one granted to the ramp reaches the PE ramp_latency_cycles later.
 * So the zero-load time of n wavelets over h hops is fabric_stream_cycles().
 *
 * Clocking: routers evaluate on the rising edge, PEs (cores/sc_pe.h) on the
 * falling edge, and all communication goes through sc_signals, so each
 * evaluation sees exactly what the other side wrote half a cycle before
 * (evaluate-then-update, no ordering between modules).
 *
 *    link[r][p]   sc_wavelet  written by router r's out[p], read by the
 *                             neighbour's in[opposite(p)] (or r's PE for ramp)
 *    credit[r][p] uint64_t    colour bits freed in r's input FIFO p this
 *                             cycle, read by the upstream sender of in[p]
 */
#ifndef WAFERSIM_SC_ROUTER_H
#define WAFERSIM_SC_ROUTER_H

#include <stdint.h>

#include <iosfwd>
#include <string>
#include <vector>

#include <systemc>

enum { SCR_N = 0, SCR_S, SCR_E, SCR_W, SCR_RAMP, SCR_PORTS };

/* One wavelet on a link; valid == false means the link is idle this cycle. */
struct sc_wavelet {
	bool valid = false;
	bool tail = false;     /* last wavelet of its packet */
	bool measured = false; /* its packet counts in the statistics */
	int16_t color = 0;     /* short: sc_trace has no signed-char overload */
	int32_t src = -1;
	int32_t dest = -1;	  /* >= 0: routed X then Y; < 0: colour route */
	uint32_t seq = 0;	  /* per-source sequence number (waveforms) */
	int64_t gen_cycle = 0;	  /* its packet was generated */
	int64_t inject_cycle = 0; /* its packet's head left the source PE */
	int64_t sent_cycle = 0;	  /* this wavelet left the previous hop */

	bool operator==(const sc_wavelet &o) const;
};
std::ostream &operator<<(std::ostream &os, const sc_wavelet &w);
void sc_trace(sc_core::sc_trace_file *tf, const sc_wavelet &w,
	      const std::string &name);

/* What every module of one mesh shares (read-only during simulation). */
struct sc_mesh_cfg {
	int width = 0, height = 0;
	int colors = 1;
	int depth = 1;		 /* input FIFO per (port, colour), wavelets */
	int64_t hop_cycles = 1;	 /* fabric_hop_cycles() */
	int64_t ramp_cycles = 0; /* ramp latency, each way */
	const uint8_t *routes = nullptr; /* [router * colors + c] tx masks */
};

/* Per-router counters, read by the top level after the run. */
struct sc_router_stats {
	int64_t forwarded[SCR_PORTS] = {0, 0, 0, 0, 0}; /* per output port */
	int64_t unroutable = 0;
	int64_t queued = 0; /* wavelets in the input FIFOs now */
};

class sc_router : public sc_core::sc_module
{
      public:
	sc_core::sc_in<bool> clk;
	sc_core::sc_in<sc_wavelet> in[SCR_PORTS];
	sc_core::sc_out<sc_wavelet> out[SCR_PORTS];
	sc_core::sc_in<uint64_t> credit_in[SCR_PORTS];	 /* for out[p] */
	sc_core::sc_out<uint64_t> credit_out[SCR_PORTS]; /* for in[p] */

	sc_router(sc_core::sc_module_name name, const sc_mesh_cfg *cfg, int id);
	SC_HAS_PROCESS(sc_router);

	const sc_router_stats &stats() const
	{
		return st_;
	}
	/* Current cycle from simulated time (routers run on rising edges). */
	static int64_t cycle_now();

      private:
	struct slot {
		sc_wavelet w;
		int64_t ready_cycle; /* may be granted from this cycle on */
		uint8_t pending;     /* output ports still to take a copy */
	};
	const sc_mesh_cfg *cfg_;
	int id_, x_, y_;
	std::vector<slot> fifo_;       /* [(port * colors + c) * depth + i] */
	std::vector<uint16_t> head_;   /* [port * colors + c] */
	std::vector<uint16_t> count_;  /* [port * colors + c] */
	std::vector<int32_t> credits_; /* [port * colors + c], for out[port] */
	uint64_t nonempty_[SCR_PORTS];
	int rr_[SCR_PORTS];	   /* next (port * colors + c) to favour */
	bool out_busy_[SCR_PORTS]; /* last value written was valid */
	bool credit_sent_[SCR_PORTS];
	sc_router_stats st_;
	bool asleep_ = false; /* waiting for wake_, not the clock */
	bool wake_built_ = false;
	sc_core::sc_event_or_list wake_; /* any input or credit written */

	uint8_t route(const sc_wavelet &w) const;
	bool push(int port, const sc_wavelet &w, int64_t ready);
	/* a head that may move this cycle: its FIFO and slot */
	struct cand {
		int q;
		slot *s;
	};
	bool arrivals(uint64_t *freed);
	int heads(int64_t t, cand *cands);
	void grant(int64_t t, cand *cands, int n);
	void retire(const cand *cands, int n, uint64_t *freed);
	void sleep_if_idle(bool quiet);
	void evaluate();
};

#endif
