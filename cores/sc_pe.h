/*
 * sc_pe.h: the SystemC reference model's processing element (C++17).
 *
 * A PE sits on its router's ramp.  It receives wavelets into one FIFO per
 * colour (the machine's buffer depth; the router holds credits for it, so a
 * slow PE back-pressures the fabric) and sends at most one wavelet per cycle
 * into the router's ramp FIFOs (for which it holds credits).
 *
 * It runs in one of two modes, chosen by the top level:
 *   - traffic: a synthetic source and sink (sim/sc_ref.h, struct
 *     sc_ref_traffic): Bernoulli packet generation into an unbounded source
 *     queue, destinations from the pattern, and latency statistics;
 *   - program: a list of operations (struct sc_ref_op) run in order; a
 *     compute task lasts pe_work_cycles() of the shared PE rules
 *     (cores/pe.h), a relay task activates on every arriving wavelet.
 *
 * PEs evaluate on the falling clock edge, deciding what happens in the
 * next cycle T; see fabric/sc_router.h for the clocking.
 */
#ifndef WAFERSIM_SC_PE_H
#define WAFERSIM_SC_PE_H

#include <stdint.h>

#include <deque>
#include <vector>

#include <systemc>

#include "fabric/sc_router.h"
#include "cores/sc_prog.h"

/* What every PE of one run shares (read-only during simulation). */
struct sc_pe_cfg {
	const sc_mesh_cfg *mesh = nullptr;
	const struct pe_params *pe = nullptr;
	enum pe_prec prec = PREC_MIXED;
	const struct sc_ref_traffic *traffic = nullptr; /* traffic mode */
	int hot_pe = 0;					/* hotspot target */
	const struct sc_ref_program *program = nullptr; /* program mode */
};

/* Per-PE counters, summed by the top level. */
struct sc_pe_stats {
	int64_t injected = 0, ejected = 0;
	int64_t ejected_window = 0;   /* arrived inside the window */
	int64_t generated_window = 0; /* wavelets generated in the window */
	int64_t packets_measured_gen = 0, packets_measured_done = 0;
	double lat_sum = 0, net_lat_sum = 0, lat_max = 0, hops_sum = 0;
	int64_t queued = 0;	 /* wavelets waiting in the source queue */
	int64_t refused = 0;	 /* packets refused: source queue full */
	int64_t busy_cycles = 0; /* program: compute and relay cycles */
	int64_t last_event = 0;	 /* program: last send/arrival/compute end */
	bool done = false;	 /* program: all ops finished */
};

class sc_pe : public sc_core::sc_module
{
      public:
	sc_core::sc_in<bool> clk;
	sc_core::sc_in<sc_wavelet> rx;	    /* from the router's ramp output */
	sc_core::sc_out<sc_wavelet> tx;	    /* into the router's ramp FIFOs */
	sc_core::sc_in<uint64_t> credit_in; /* router freed ramp FIFO slots */
	sc_core::sc_out<uint64_t> credit_out; /* we freed rx FIFO slots */

	sc_pe(sc_core::sc_module_name name, const sc_pe_cfg *cfg, int id,
	      uint64_t seed);
	SC_HAS_PROCESS(sc_pe);

	const sc_pe_stats &stats() const
	{
		return st_;
	}
	/* Add this PE's state (current op, busy, queue) to a waveform. */
	void trace(sc_core::sc_trace_file *tf);

      private:
	struct rx_slot {
		sc_wavelet w;
		int64_t arrival; /* cycle it reached the PE */
	};
	struct packet {
		int64_t gen_cycle, inject_cycle;
		int32_t dest;
		int8_t color;
		bool measured;
		int64_t sent;
	};
	const sc_pe_cfg *cfg_;
	int id_;
	uint64_t rng_;
	int depth_, colors_;
	std::vector<rx_slot> rxq_; /* [c * depth + i] */
	std::vector<uint16_t> rx_head_, rx_count_;
	std::vector<int32_t> credits_; /* router ramp FIFO slots per colour */
	uint64_t freed_ = 0; /* rx slots freed this cycle (colour bits) */
	bool credit_sent_ = true, tx_busy_ = true, sent_now_ = false;
	uint32_t seq_ = 0;
	int64_t packets_made_ = 0;
	std::deque<packet> srcq_;
	/* program state */
	int64_t op_ = 0, op_end_ = 0, op_done_ = 0, op_sent_ = 0, op_halo_ = 0;
	bool op_started_ = false;
	int64_t busy_until_ = 0, relay_free_ = 0;
	int64_t take_from_ = 0; /* TASK: runs (takes, sends) from then on */
	std::deque<int64_t> relay_ready_;
	uint64_t consumed_now_ = 0;
	int trace_op_ = -1, trace_busy_ = 0, trace_queue_ = 0;
	sc_pe_stats st_;
	bool asleep_ = false; /* waiting for wake_ or a timer */
	bool wake_built_ = false;
	sc_core::sc_event_or_list wake_; /* rx or credit_in written */

	bool may_sleep(int64_t t, int64_t *wake_at) const;
	uint64_t next_random();
	int32_t pick_dest();
	bool can_send(int color) const;
	void send(int color, int32_t dest, bool tail, bool measured,
		  int64_t gen, int64_t inject, int64_t t);
	bool take(int color, int64_t t, rx_slot *out);
	bool arrived(int color, int64_t t) const;
	void step_traffic(int64_t t);
	bool op_send(const sc_ref_op &o, int64_t t);
	bool op_recv(const sc_ref_op &o, int64_t t);
	bool op_compute(const sc_ref_op &o, int64_t t);
	bool op_relay(const sc_ref_op &o, int64_t t);
	bool op_task(const sc_ref_op &o, int64_t t);
	void step_program(int64_t t);
	void evaluate();
};

#endif
