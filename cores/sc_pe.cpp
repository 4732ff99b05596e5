/* sc_pe.cpp: the reference model's PE. See sc_pe.h. */
#include "cores/sc_pe.h"

#include <cassert>
#include <cstdlib>

sc_pe::sc_pe(sc_core::sc_module_name name, const sc_pe_cfg *cfg, int id,
	     uint64_t seed)
    : sc_module(name), cfg_(cfg), id_(id)
{
	depth_ = cfg->mesh->depth;
	colors_ = cfg->mesh->colors;
	rxq_.resize((size_t)depth_ * (size_t)colors_);
	rx_head_.assign((size_t)colors_, 0);
	rx_count_.assign((size_t)colors_, 0);
	credits_.assign((size_t)colors_, depth_);
	/* splitmix64 per PE, its state a hash of (seed, id): streams that are
	 * not shifted copies of each other, and no shared generator. */
	rng_ = seed;
	rng_ ^= next_random() + (uint64_t)id * 0xd1b54a32d192ed03ull;
	rng_ = next_random();
	if (cfg->program) {
		op_ = cfg->program->first[id];
		op_end_ = cfg->program->first[id + 1];
		st_.done = op_ == op_end_;
	}
	SC_METHOD(evaluate);
	sensitive << clk.neg();
	dont_initialize();
}

void sc_pe::trace(sc_core::sc_trace_file *tf)
{
	std::string n = name();
	sc_core::sc_trace(tf, trace_op_, n + ".op");
	sc_core::sc_trace(tf, trace_busy_, n + ".busy");
	sc_core::sc_trace(tf, trace_queue_, n + ".queue");
}

uint64_t sc_pe::next_random()
{
	uint64_t z = (rng_ += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Destination of a new packet; the patterns follow the usual definitions
 * (Dally and Towles, ch. 3), on a W x H mesh with ids y * W + x. */
int32_t sc_pe::pick_dest()
{
	const sc_mesh_cfg &m = *cfg_->mesh;
	int w = m.width, h = m.height, x = id_ % w, y = id_ / w;
	int n = w * h;
	switch (cfg_->traffic->pattern) {
	case SC_PAT_TRANSPOSE:
		/* (x, y) -> (y, x), scaled when the mesh is not square */
		return (int32_t)((int64_t)x * h / w * w + (int64_t)y * w / h);
	case SC_PAT_BITCOMP: return (int32_t)((h - 1 - y) * w + (w - 1 - x));
	case SC_PAT_TORNADO:
		return (int32_t)(((y + (h + 1) / 2 - 1) % h) * w +
				 (x + (w + 1) / 2 - 1) % w);
	case SC_PAT_NEIGHBOR: return (int32_t)(y * w + (x + 1) % w);
	case SC_PAT_HOTSPOT: {
		double u = (double)(next_random() >> 11) * 0x1.0p-53;
		if (u < cfg_->traffic->hotspot_fraction)
			return cfg_->hot_pe;
		return (int32_t)(next_random() % (uint64_t)n);
	}
	default: return (int32_t)(next_random() % (uint64_t)n);
	}
}

bool sc_pe::can_send(int color) const
{
	return !sent_now_ && credits_[(size_t)color] > 0;
}

void sc_pe::send(int color, int32_t dest, bool tail, bool measured, int64_t gen,
		 int64_t inject, int64_t t)
{
	assert(can_send(color));
	sc_wavelet w;
	w.valid = true;
	w.tail = tail;
	w.measured = measured;
	w.color = (int16_t)color;
	w.src = id_;
	w.dest = dest;
	w.seq = seq_++;
	w.gen_cycle = gen;
	w.inject_cycle = inject;
	w.sent_cycle = t;
	tx.write(w);
	tx_busy_ = true;
	sent_now_ = true;
	credits_[(size_t)color]--;
	st_.injected++;
}

/* Take the oldest wavelet of `color` that has arrived by cycle t (one per
 * colour per cycle); its slot goes back to the router as a credit. */
bool sc_pe::take(int color, int64_t t, rx_slot *out)
{
	size_t c = (size_t)color;
	if (!rx_count_[c] || (consumed_now_ >> color & 1))
		return false;
	rx_slot &s = rxq_[c * (size_t)depth_ + rx_head_[c]];
	if (s.arrival > t)
		return false;
	*out = s;
	rx_head_[c] = (uint16_t)((rx_head_[c] + 1) % depth_);
	rx_count_[c]--;
	freed_ |= 1ull << color;
	consumed_now_ |= 1ull << color;
	st_.ejected++;
	return true;
}

void sc_pe::step_traffic(int64_t t)
{
	const sc_ref_traffic &tr = *cfg_->traffic;
	const int64_t w0 = tr.warmup_cycles,
		      w1 = tr.warmup_cycles + tr.measure_cycles;
	/* Sink: everything that has arrived, every colour. */
	for (int c = 0; c < colors_; c++) {
		rx_slot s;
		while (take(c, t, &s)) {
			consumed_now_ &=
				~(1ull << c); /* a sink drains at link rate */
			if (s.arrival >= w0 && s.arrival < w1)
				st_.ejected_window++;
			if (s.w.tail && s.w.measured) {
				double lat =
					(double)(s.arrival - s.w.gen_cycle);
				st_.lat_sum += lat;
				st_.net_lat_sum +=
					(double)(s.arrival - s.w.inject_cycle);
				if (lat > st_.lat_max)
					st_.lat_max = lat;
				int w = cfg_->mesh->width;
				st_.hops_sum +=
					std::abs(s.w.src % w - id_ % w) +
					std::abs(s.w.src / w - id_ / w);
				st_.packets_measured_done++;
			}
		}
	}
	/* Source: Bernoulli generation, then one wavelet of the oldest packet.
	 */
	double p = tr.rate / (double)tr.packet_wavelets;
	double u = (double)(next_random() >> 11) * 0x1.0p-53;
	bool full = tr.max_queue_wavelets > 0 &&
		    st_.queued + tr.packet_wavelets > tr.max_queue_wavelets;
	if (u < p && full)
		st_.refused++;
	if (u < p && !(tr.drain && t >= w1) && !full) {
		packet k;
		k.gen_cycle = t;
		k.inject_cycle = -1;
		k.dest = pick_dest();
		k.color = (int8_t)(packets_made_++ % tr.colors_used);
		k.measured = t >= w0 && t < w1;
		k.sent = 0;
		srcq_.push_back(k);
		st_.queued += tr.packet_wavelets;
		if (k.measured) {
			st_.packets_measured_gen++;
			st_.generated_window += tr.packet_wavelets;
		}
	}
	if (!srcq_.empty() && can_send(srcq_.front().color)) {
		packet &k = srcq_.front();
		if (k.sent == 0)
			k.inject_cycle = t;
		bool tail = k.sent == tr.packet_wavelets - 1;
		send(k.color, k.dest, tail, k.measured, k.gen_cycle,
		     k.inject_cycle, t);
		st_.queued--;
		if (++k.sent == tr.packet_wavelets)
			srcq_.pop_front();
	}
	trace_queue_ = (int)srcq_.size();
}

static int64_t event_max(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* One cycle of each op kind; true when the op has finished. */
bool sc_pe::op_send(const sc_ref_op &o, int64_t t)
{
	if (op_done_ < o.n && can_send(o.color)) {
		send(o.color, o.dest, op_done_ == o.n - 1, false, t, t, t);
		op_done_++;
		st_.last_event = event_max(st_.last_event, t);
	}
	return op_done_ == o.n;
}

bool sc_pe::op_recv(const sc_ref_op &o, int64_t t)
{
	rx_slot s;
	if (op_done_ < o.n && take(o.color, t, &s)) {
		op_done_++;
		st_.last_event = event_max(st_.last_event, t);
	}
	return op_done_ == o.n;
}

bool sc_pe::op_compute(const sc_ref_op &o, int64_t t)
{
	if (!op_started_) {
		int64_t k = (int64_t)pe_work_cycles(cfg_->pe, cfg_->prec,
						    &o.work);
		busy_until_ = t + k;
		st_.busy_cycles += k;
		op_started_ = true;
	}
	trace_busy_ = t < busy_until_;
	if (t >= busy_until_) {
		st_.last_event = event_max(st_.last_event, busy_until_);
		return true;
	}
	return false;
}

/* Send what is computed, then take the next wavelet if the datapath is
 * free: a task per arriving wavelet.  The sum leaves the relay's latency
 * after its wavelet was taken (cores/pe.h pe_relay_latency_cycles, as the
 * engine and the kernels' collectives), the next wavelet is taken when
 * the add's work is done. */
bool sc_pe::op_relay(const sc_ref_op &o, int64_t t)
{
	rx_slot s;
	if (!relay_ready_.empty() && relay_ready_.front() <= t &&
	    can_send(o.color_out)) {
		relay_ready_.pop_front();
		send(o.color_out, o.dest, op_sent_ == o.n - 1, false, t, t, t);
		op_sent_++;
		st_.last_event = event_max(st_.last_event, t);
	}
	if (op_done_ < o.n && t >= relay_free_ && take(o.color, t, &s)) {
		int64_t k = (int64_t)pe_work_cycles(cfg_->pe, cfg_->prec,
						    &o.work);
		int64_t lat = (int64_t)pe_relay_latency_cycles(cfg_->pe,
							       cfg_->prec);
		relay_free_ = t + k;
		relay_ready_.push_back(t + (lat > k ? lat : k));
		st_.busy_cycles += k;
		op_done_++;
	}
	trace_busy_ = t < relay_free_;
	return op_sent_ == o.n;
}

/* Has a wavelet of `color` arrived by cycle t (without taking it)? */
bool sc_pe::arrived(int color, int64_t t) const
{
	size_t c = (size_t)color;
	return rx_count_[c] &&
	       rxq_[c * (size_t)depth_ + rx_head_[c]].arrival <= t;
}

/* The first input wavelet activates the task; its inputs are taken, and
 * its halo goes out and comes in, while it computes, but only once it
 * runs: after its activation and the software before its first wavelet
 * (cores/pe.h pe_cycles.task: "a task cannot overlap its own
 * activation"), as the engine's occupancy counts them (wavelets in/out
 * plus task start, compiler/plan_task.c). */
bool sc_pe::op_task(const sc_ref_op &o, int64_t t)
{
	rx_slot s;
	if (!op_started_ && (o.n == 0 || arrived(o.color, t))) {
		struct pe_cycles c;
		pe_work_breakdown(cfg_->pe, cfg_->prec, &o.work, &c);
		busy_until_ = t + (int64_t)c.total;
		take_from_ = t + o.work.tasks * (int64_t)cfg_->pe->task_start_cycles;
		st_.busy_cycles += (int64_t)c.total;
		op_started_ = true;
	}
	if (op_started_ && t >= take_from_) {
		if (op_sent_ < o.n_send && can_send(o.color_out)) {
			send(o.color_out, o.dest, op_sent_ == o.n_send - 1,
			     false, t, t, t);
			op_sent_++;
			relay_free_ = event_max(relay_free_, t + 1);
		}
		if (op_halo_ < o.n_recv2 && take(o.color_out, t, &s)) {
			op_halo_++;
			relay_free_ = event_max(relay_free_, t + 1);
		}
		if (op_done_ < o.n && take(o.color, t, &s)) {
			op_done_++;
			relay_free_ = event_max(relay_free_, t + 1);
		}
	}
	trace_busy_ = op_started_ && t < busy_until_;
	if (op_started_ && op_done_ == o.n && op_sent_ == o.n_send &&
	    op_halo_ == o.n_recv2 && t >= busy_until_ && t >= relay_free_) {
		st_.last_event = event_max(st_.last_event,
					   event_max(busy_until_, relay_free_));
		return true;
	}
	return false;
}

void sc_pe::step_program(int64_t t)
{
	const sc_ref_program &pg = *cfg_->program;
	while (op_ < op_end_) {
		const sc_ref_op &o = pg.ops[op_];
		bool finished = false;
		switch (o.kind) {
		case SC_OP_SEND: finished = op_send(o, t); break;
		case SC_OP_RECV: finished = op_recv(o, t); break;
		case SC_OP_COMPUTE: finished = op_compute(o, t); break;
		case SC_OP_RELAY: finished = op_relay(o, t); break;
		case SC_OP_TASK: finished = op_task(o, t); break;
		default: assert(!"unknown op kind"); finished = true;
		}
		if (!finished)
			break;
		op_++;
		op_done_ = op_sent_ = op_halo_ = 0;
		op_started_ = false;
		relay_free_ = 0;
		relay_ready_.clear();
		trace_busy_ = 0;
	}
	trace_op_ = op_ < op_end_ ? (int)(op_ - pg.first[id_]) : -1;
	st_.done = op_ == op_end_;
}

/* May this PE sleep after deciding cycle t, and until when?  Returns false
 * (stay awake), or true with *wake_at the cycle to decide next (0: only
 * when the router writes to it).  Only in program mode, only with nothing
 * buffered, sent or freed, and only in states that need no cycle-by-cycle
 * work: computing, or waiting for wavelets or credits. */
bool sc_pe::may_sleep(int64_t t, int64_t *wake_at) const
{
	*wake_at = 0;
	if (!cfg_->program || cfg_->traffic || sent_now_ || tx_busy_ ||
	    credit_sent_ || freed_)
		return false;
	for (int c = 0; c < colors_; c++)
		if (rx_count_[(size_t)c])
			return false;
	if (op_ >= op_end_)
		return true;
	const sc_ref_op &o = cfg_->program->ops[op_];
	switch (o.kind) {
	case SC_OP_COMPUTE:
		if (!op_started_ || busy_until_ <= t + 1)
			return false;
		*wake_at = busy_until_;
		return true;
	case SC_OP_TASK:
		if (op_started_ && take_from_ > t + 1) {
			*wake_at = take_from_; /* activating */
			return true;
		}
		if (op_sent_ < o.n_send)
			return false;
		if (!op_started_ || op_done_ < o.n || op_halo_ < o.n_recv2)
			return true; /* waiting for wavelets */
		*wake_at = event_max(busy_until_, relay_free_);
		return *wake_at > t + 1;
	case SC_OP_RECV: return true;
	case SC_OP_SEND: return credits_[(size_t)o.color] == 0;
	default: return false;
	}
}

void sc_pe::evaluate()
{
	if (asleep_) {
		/* woken by the router or the timer: decide on the falling
		 * edge, as always */
		asleep_ = false;
		if (!clk.negedge()) {
			next_trigger(clk.negedge_event());
			return;
		}
	}
	/* Falling edge after rising edge t - 1: decide cycle t. */
	const int64_t t = sc_router::cycle_now() + 1;
	const sc_wavelet &w = rx.read();
	if (w.valid) {
		size_t c = (size_t)w.color;
		assert(rx_count_[c] < depth_); /* the router spent a credit */
		size_t i = (rx_head_[c] + rx_count_[c]) % (size_t)depth_;
		rxq_[c * (size_t)depth_ + i] = {
			w, w.sent_cycle + cfg_->mesh->ramp_cycles};
		rx_count_[c]++;
	}
	uint64_t back = credit_in.read();
	const bool quiet = !w.valid && !back;
	while (back) {
		int c = __builtin_ctzll(back);
		back &= back - 1;
		credits_[(size_t)c]++;
	}
	freed_ = 0;
	consumed_now_ = 0;
	sent_now_ = false;
	if (cfg_->traffic)
		step_traffic(t);
	else if (cfg_->program)
		step_program(t);
	if (!sent_now_ && tx_busy_) {
		tx.write(sc_wavelet());
		tx_busy_ = false;
	}
	if (freed_ || credit_sent_) {
		credit_out.write(freed_);
		credit_sent_ = freed_ != 0;
	}
	int64_t wake_at;
	if (quiet && may_sleep(t, &wake_at)) {
		if (!wake_built_) {
			wake_ |= rx.value_changed_event();
			wake_ |= credit_in.value_changed_event();
			wake_built_ = true;
		}
		asleep_ = true;
		if (wake_at > 0) /* a quarter cycle before that falling edge */
			next_trigger(
				sc_core::sc_time((double)(wake_at - t) - 0.25,
						 sc_core::SC_NS),
				wake_);
		else
			next_trigger(wake_);
	}
}
