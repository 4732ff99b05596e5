/* sc_router.cpp: the reference model's router. See sc_router.h. */
#include "fabric/sc_router.h"

#include <cassert>
#include <cmath>
#include <ostream>

bool sc_wavelet::operator==(const sc_wavelet &o) const
{
	return valid == o.valid && tail == o.tail && measured == o.measured &&
	       color == o.color && src == o.src && dest == o.dest &&
	       seq == o.seq && gen_cycle == o.gen_cycle &&
	       inject_cycle == o.inject_cycle && sent_cycle == o.sent_cycle;
}

std::ostream &operator<<(std::ostream &os, const sc_wavelet &w)
{
	if (!w.valid)
		return os << "-";
	return os << "c" << int(w.color) << " " << w.src << "->" << w.dest
		  << " #" << w.seq;
}

/* In a waveform a link shows whether it carries a wavelet, its colour, its
 * source and the source's sequence number. */
void sc_trace(sc_core::sc_trace_file *tf, const sc_wavelet &w,
	      const std::string &name)
{
	sc_core::sc_trace(tf, w.valid, name + ".valid");
	sc_core::sc_trace(tf, w.color, name + ".color");
	sc_core::sc_trace(tf, w.src, name + ".src");
	sc_core::sc_trace(tf, w.seq, name + ".seq");
}

int64_t sc_router::cycle_now()
{
	return (int64_t)std::floor(sc_core::sc_time_stamp() /
				   sc_core::sc_time(1, sc_core::SC_NS));
}

sc_router::sc_router(sc_core::sc_module_name name, const sc_mesh_cfg *cfg,
		     int id)
    : sc_module(name), cfg_(cfg), id_(id), x_(id % cfg->width),
      y_(id / cfg->width)
{
	size_t pc = (size_t)SCR_PORTS * (size_t)cfg->colors;
	fifo_.resize(pc * (size_t)cfg->depth);
	head_.assign(pc, 0);
	count_.assign(pc, 0);
	credits_.assign(pc, cfg->depth);
	for (int p = 0; p < SCR_PORTS; p++) {
		nonempty_[p] = 0;
		rr_[p] = 0;
		out_busy_[p] = true; /* force the first write */
		credit_sent_[p] = true;
	}
	SC_METHOD(evaluate);
	sensitive << clk.pos();
	dont_initialize();
}

/* Output ports of a wavelet here: X first, then Y (y grows southwards), or
 * the colour's static route.  0 if it has none. */
uint8_t sc_router::route(const sc_wavelet &w) const
{
	if (w.dest >= 0) {
		int dx = w.dest % cfg_->width, dy = w.dest / cfg_->width;
		if (dx > x_)
			return 1u << SCR_E;
		if (dx < x_)
			return 1u << SCR_W;
		if (dy > y_)
			return 1u << SCR_S;
		if (dy < y_)
			return 1u << SCR_N;
		return 1u << SCR_RAMP;
	}
	if (!cfg_->routes)
		return 0;
	uint8_t m = cfg_->routes[(size_t)id_ * (size_t)cfg_->colors +
				 (size_t)w.color];
	/* A route off the mesh edge has no link: no route at all. */
	uint8_t edge = 0;
	if (y_ == 0)
		edge |= 1u << SCR_N;
	if (y_ == cfg_->height - 1)
		edge |= 1u << SCR_S;
	if (x_ == cfg_->width - 1)
		edge |= 1u << SCR_E;
	if (x_ == 0)
		edge |= 1u << SCR_W;
	return (m & edge) ? 0 : m;
}

bool sc_router::push(int port, const sc_wavelet &w, int64_t ready)
{
	int q = port * cfg_->colors + w.color;
	uint8_t mask = route(w);
	if (!mask) {
		/* A wavelet with nowhere to go is a model (plan) error: count
		 * it and hand the slot back at once so nothing else stalls. */
		st_.unroutable++;
		return false;
	}
	/* The sender spent a credit, so there is room: the protocol's
	 * invariant, not an input error. */
	assert(count_[q] < cfg_->depth);
	int i = (head_[q] + count_[q]) % cfg_->depth;
	slot &s = fifo_[(size_t)q * (size_t)cfg_->depth + (size_t)i];
	s.w = w;
	s.ready_cycle = ready;
	s.pending = mask;
	count_[q]++;
	st_.queued++;
	nonempty_[port] |= 1ull << w.color;
	return true;
}

/* Arrivals: from a neighbour, sent at t - 1 (the last rising edge) and
 * usable hop_cycles after; from the PE, sent at t (the PE writes on the
 * falling edge before) and usable ramp_cycles after.  Credits come back.
 * Returns true when nothing came in. */
bool sc_router::arrivals(uint64_t *freed)
{
	const int colors = cfg_->colors;
	bool quiet = true;
	for (int p = 0; p < SCR_PORTS; p++) {
		const sc_wavelet &w = in[p].read();
		if (w.valid) {
			quiet = false;
			int64_t ready =
				p == SCR_RAMP ? w.sent_cycle + cfg_->ramp_cycles
					      : w.sent_cycle + cfg_->hop_cycles;
			if (!push(p, w, ready))
				freed[p] |= 1ull << w.color; /* dropped */
		}
		uint64_t back = credit_in[p].read();
		if (back)
			quiet = false;
		while (back) {
			int c = __builtin_ctzll(back);
			back &= back - 1;
			credits_[p * colors + c]++;
			assert(credits_[p * colors + c] <= cfg_->depth);
		}
	}
	return quiet;
}

/* Heads that may move this cycle. */
int sc_router::heads(int64_t t, cand *cands)
{
	const int colors = cfg_->colors;
	int n = 0;
	for (int p = 0; p < SCR_PORTS; p++) {
		uint64_t m = nonempty_[p];
		while (m) {
			int c = __builtin_ctzll(m);
			m &= m - 1;
			int q = p * colors + c;
			slot &s = fifo_[(size_t)q * (size_t)cfg_->depth +
					head_[q]];
			if (s.ready_cycle <= t)
				cands[n++] = {q, &s};
		}
	}
	return n;
}

/* Each output port grants one head, round robin from rr_[o]. */
void sc_router::grant(int64_t t, cand *cands, int n)
{
	const int colors = cfg_->colors;
	const int nq = SCR_PORTS * colors;
	for (int o = 0; o < SCR_PORTS; o++) {
		int best = -1, best_d = nq;
		for (int k = 0; k < n; k++) {
			slot &s = *cands[k].s;
			int c = cands[k].q % colors;
			if (!(s.pending >> o & 1) ||
			    credits_[o * colors + c] <= 0)
				continue;
			int d = (cands[k].q - rr_[o] + nq) % nq;
			if (d < best_d) {
				best_d = d;
				best = k;
			}
		}
		if (best < 0) {
			if (out_busy_[o]) {
				out[o].write(sc_wavelet());
				out_busy_[o] = false;
			}
			continue;
		}
		slot &s = *cands[best].s;
		int c = cands[best].q % colors;
		sc_wavelet w = s.w;
		w.sent_cycle = t;
		out[o].write(w);
		out_busy_[o] = true;
		credits_[o * colors + c]--;
		s.pending &= (uint8_t) ~(1u << o);
		rr_[o] = (cands[best].q + 1) % nq;
		st_.forwarded[o]++;
	}
}

/* Heads whose fan-out is complete leave (after all grants, so one FIFO
 * gives at most one wavelet per cycle); their credits go back. */
void sc_router::retire(const cand *cands, int n, uint64_t *freed)
{
	const int colors = cfg_->colors;
	for (int k = 0; k < n; k++) {
		if (cands[k].s->pending)
			continue;
		int q = cands[k].q, p = q / colors, c = q % colors;
		head_[q] = (uint16_t)((head_[q] + 1) % cfg_->depth);
		if (--count_[q] == 0)
			nonempty_[p] &= ~(1ull << c);
		st_.queued--;
		freed[p] |= 1ull << c;
	}
	for (int p = 0; p < SCR_PORTS; p++) {
		if (freed[p] || credit_sent_[p]) {
			credit_out[p].write(freed[p]);
			credit_sent_[p] = freed[p] != 0;
		}
	}
}

/* Idle routers sleep until a neighbour writes to them: nothing buffered,
 * nothing arrived, every output written idle (so any later wavelet or
 * credit is a change, hence an event). */
void sc_router::sleep_if_idle(bool quiet)
{
	bool out_idle = true;
	for (int p = 0; p < SCR_PORTS; p++)
		out_idle = out_idle && !out_busy_[p] && !credit_sent_[p];
	if (quiet && out_idle && st_.queued == 0) {
		if (!wake_built_) {
			for (int p = 0; p < SCR_PORTS; p++) {
				wake_ |= in[p].value_changed_event();
				wake_ |= credit_in[p].value_changed_event();
			}
			wake_built_ = true;
		}
		asleep_ = true;
		next_trigger(wake_);
	}
}

void sc_router::evaluate()
{
	if (asleep_) {
		/* woken by a neighbour's write, half a cycle or less before
		 * the rising edge that must see it */
		asleep_ = false;
		if (!clk.posedge()) {
			next_trigger(clk.posedge_event());
			return;
		}
	}
	const int64_t t = cycle_now();
	uint64_t freed[SCR_PORTS] = {0, 0, 0, 0, 0};
	bool quiet = arrivals(freed); /* no wavelet and no credit came in */
	cand cands[SCR_PORTS * 64];
	int n = heads(t, cands);
	grant(t, cands, n);
	retire(cands, n, freed);
	sleep_if_idle(quiet);
}
