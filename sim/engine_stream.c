/*
 * engine_stream.c: weight streaming (plan mode MODE_STREAMING): the layers
 * one after another over the whole wafer, weights from external memory.
 * See engine_int.h.
 */
#include "sim/engine_int.h"

#include <stdlib.h>
#include <string.h>

static int64_t stage_weight_bytes(const struct sim *s, int si)
{
	const struct plan_stage *ps = &s->p->stages[si];
	if (ps->stream_bytes > 0) /* what the compiler streams per step */
		return ps->stream_bytes;
	if (s->g) {
		int64_t b = 0;
		for (int k = 0; k < ps->n_layers; k++) {
			int l = ps->layers[k];
			if (l >= 0 && l < s->g->n_layers &&
			    s->g->layers[l].param_owner == l)
				b += s->g->layers[l].cost.weight_bytes;
		}
		return b;
	}
	return ps->sram.weights * (int64_t)ps->r.w * ps->r.h;
}

/* Weight bytes a pass of stage si over `B` samples streams in: all of its
 * weights, except that a table lookup (an embedding with an input) needs
 * only the rows its samples' ids select, at most one per id (the gradient
 * of the table likewise touches only those rows). */
static int64_t pass_weight_bytes(const struct sim *s, int si, int64_t B)
{
	const struct plan_stage *ps = &s->p->stages[si];
	int64_t all = stage_weight_bytes(s, si);
	if (!s->g || ps->kind != KERNEL_EMBEDDING || ps->n_layers < 1 ||
	    ps->layers[0] < 0 || ps->layers[0] >= s->g->n_layers)
		return all;
	const struct layer *l = &s->g->layers[ps->layers[0]];
	if (l->op != OP_EMBEDDING || l->n_in < 1 || l->attrs.vocab <= 0)
		return all;
	int64_t ids = tensor_elems(&s->g->tensors[l->in[0]]) * B;
	if (ids >= l->attrs.vocab)
		return all;
	return all / l->attrs.vocab * ids;
}

/* The three resources of the streaming chain and their constants. */
struct stream_state {
	double in_bpc, out_bpc;	/* weights in, gradients out: bytes/cycle */
	cycles_t lat;		/* external memory latency (+ switch tree) */
	cycles_t wafer_free, in_free, out_free, prev_start;
	cycles_t *grads_out;	/* per stage: its gradients left */
	/* the wafer's weight buffer: every pass streamed so far (bytes, end
	 * of its compute, which frees them); cap: bytes it holds */
	int64_t *buf_bytes;
	cycles_t *buf_end;
	int64_t n_pass, cap_pass, buf_cap;
};

/* Earliest start of the stream of a pass of `bytes`: the passes still
 * computing or waiting hold their weights in the buffer, so it waits
 * until those beyond the buffer's capacity have ended; never later than
 * the previous pass's start (double buffering, as the mapping's weight
 * allowance provides). */
static cycles_t buffer_ready(const struct stream_state *z, int64_t bytes)
{
	int64_t held = bytes;
	int64_t q = z->n_pass;
	while (q > 0 && held + z->buf_bytes[q - 1] <= z->buf_cap)
		held += z->buf_bytes[--q];
	cycles_t t = q > 0 ? z->buf_end[q - 1] : 0;
	return t < z->prev_start ? t : z->prev_start;
}

static void buffer_push(struct stream_state *z, int64_t bytes, cycles_t end)
{
	if (z->n_pass == z->cap_pass) {
		z->cap_pass = z->cap_pass ? 2 * z->cap_pass : 1024;
		z->buf_bytes = xrealloc(z->buf_bytes,
					(size_t)z->cap_pass * sizeof(int64_t));
		z->buf_end = xrealloc(z->buf_end,
				      (size_t)z->cap_pass * sizeof(cycles_t));
	}
	z->buf_bytes[z->n_pass] = bytes;
	z->buf_end[z->n_pass++] = end;
}

/* The weight link, one wafer or several (plan_stream_link). */
static void stream_rates(const struct sim *s, struct stream_state *z)
{
	double bpc;
	plan_stream_link(s->m, s->o.wafers, &bpc, &z->lat);
	z->in_bpc = z->out_bpc = bpc;
}

/* Gradients of stage si out (after its backward, over [cs, ce)), summed
 * into the step's in the external memory (accumulation over micro-
 * batches; the update runs there once they are all in). */
static void stream_grads_out(struct sim *s, struct stream_state *z, int si,
			     int64_t wbytes, cycles_t ws, cycles_t cs,
			     cycles_t ce)
{
	struct stats *st = s->st;
	struct stats_stage *ss = &st->stages[si];
	cycles_t wcyc = (cycles_t)((double)wbytes / z->out_bpc + 0.999999);
	cycles_t gs = cmax(z->out_free, cs);
	cycles_t ge = cmax(gs + wcyc, ce) + z->lat;
	z->out_free = gs + wcyc > ce ? gs + wcyc : ce;
	z->grads_out[si] = ge;
	ss->extmem_out_bytes += wbytes;
	st->extmem_out_bytes += wbytes;
	ss->last_cycle = cmax(ss->last_cycle, ge);
	if (ge - ws > ss->stream_span_cycles)
		ss->stream_span_cycles = ge - ws;
}

/* One pass of a stage over a micro-batch. */
struct stream_pass {
	int si, ph;		/* stage; 0 forward, 1 backward */
	int64_t B;		/* samples in the micro-batch */
	int after_update;	/* first pass of a step after the first: the
				 * weights are the updated ones */
	cycles_t io_done;	/* its input is on the wafer (first layer) */
	int first;		/* first layer of the forward pass */
};

/* One layer's pass over a micro-batch: its weights stream in, the wafer
 * computes (backward: recomputing the forward first when the stage's
 * activations were not kept), gradients stream out. */
static void stream_layer(struct sim *s, struct stream_state *z,
			 const struct stream_pass *ps)
{
	struct stats *st = s->st;
	int si = ps->si, ph = ps->ph;
	int64_t B = ps->B;
	struct stage_rt *g = &s->sg[si];
	const struct plan_sched_stage *q = &s->k.sg[si];
	struct stats_stage *ss = &st->stages[si];
	int64_t wbytes = pass_weight_bytes(s, si, B);
	cycles_t wcyc = (cycles_t)((double)wbytes / z->in_bpc + 0.999999);
	/* weights of this layer may stream once the buffer has room for them
	 * (buffer_ready) and, at a step's start, once its gradients of the
	 * previous step left (the update needs them) */
	cycles_t ws = cmax(z->in_free, buffer_ready(z, wbytes));
	if (ps->after_update)
		ws = cmax(ws, z->grads_out[si]);
	cycles_t wend = ws + z->lat + wcyc;
	z->in_free = ws + wcyc;
	int pa = ph == 0 ? PASS_FWD : PASS_BWD_DATA;
	int pb = ph == 0 ? -1 : PASS_BWD_WEIGHT;
	int rec = ph == 1 && s->p->stages[si].recompute;
	cycles_t occ = q->occ[pa] + (pb >= 0 ? q->occ[pb] : 0) +
		       (rec ? q->occ[PASS_FWD] : 0);
	cycles_t comp = g->comp[pa] + (pb >= 0 ? g->comp[pb] : 0) +
			(rec ? g->comp[PASS_FWD] : 0);
	cycles_t cs = cmax(z->wafer_free, ws + z->lat);
	if (ps->first)
		cs = cmax(cs, ps->io_done);
	cycles_t ce = cmax(cs + occ * (cycles_t)B + q->lat[pa],
			   wend + q->lat[pa]);
	z->prev_start = cs;
	z->wafer_free = ce;
	buffer_push(z, wbytes, ce);
	ss->compute_cycles += comp * (cycles_t)B;
	ss->comm_cycles += (occ - comp) * (cycles_t)B;
	if (!ss->first_cycle && !ss->last_cycle)
		ss->first_cycle = cs;
	ss->last_cycle = ce;
	/* from its weights starting to stream (or, when they came early
	 * into the buffer, as long before its start as they took) */
	cycles_t from = cmax(ws, cs > z->lat + wcyc ? cs - z->lat - wcyc : 0);
	if (ce - from > ss->stream_span_cycles)
		ss->stream_span_cycles = ce - from;
	ss->extmem_in_bytes += wbytes;
	st->extmem_in_bytes += wbytes;
	/* the micro-batch's tasks back to back: recomputed forward, then
	 * the pass (backward: to data, then to weights) */
	cycles_t t0 = cs, nb = (cycles_t)B;
	if (rec) { /* the forward again, from the checkpoint */
		eng_count_work(s, si, PASS_FWD, t0, t0 + q->occ[PASS_FWD] * nb,
			       B);
		t0 += q->occ[PASS_FWD] * nb;
	}
	eng_count_work(s, si, pa, t0, t0 + q->occ[pa] * nb, B);
	if (pb >= 0)
		eng_count_work(s, si, pb, t0 + q->occ[pa] * nb,
			       t0 + (q->occ[pa] + q->occ[pb]) * nb, B);
	stats_win_add(&st->win, cs, ce, st->win.stage_busy + si, s->n,
		      (double)(occ * (cycles_t)B));
	if (st->cap_spans) /* traces: off by default */
		stats_span_add(st, ph ? STATS_SPAN_BWD : STATS_SPAN_FWD, si, 0,
			       cs, ce, comp * (cycles_t)B);
	stats_win_add(&st->win, ws, ws + wcyc, st->win.io_bytes, 1,
		      (double)wbytes);
	st->pe_tasks += (uint64_t)B;
	st->events += 1;
	if (ph == 1)
		stream_grads_out(s, z, si, wbytes, from, cs, ce);
}

/* Samples per micro-batch pass: the plan's micro-batch, within the run's
 * batch (the whole batch when the plan has none). */
static int64_t stream_micro(const struct sim *s, int64_t B)
{
	int64_t mb = s->p->micro_batch;
	return mb > 0 && mb < B ? mb : B;
}

/*
 * Weight streaming: the layers run one after another over the wafer, so
 * the schedule is a chain over three resources (the PEs, the external
 * memory's input stream and its output stream); each task starts when its
 * resource is free and its inputs are ready, as in the pipelined engine.
 * A training step runs the batch as micro-batches (plan micro_batch):
 * every micro-batch streams every layer's weights in for its forward and
 * again for its backward and sends its gradients out, where they are
 * accumulated; the next step's weights wait for the last gradients.
 */
void eng_run_streaming(struct sim *s)
{
	struct stats *st = s->st;
	const struct machine *m = s->m;
	struct stream_state z;
	memset(&z, 0, sizeof(z));
	stream_rates(s, &z);
	z.buf_cap = plan_stream_buffer_bytes(s->p, s->m);
	int n = s->n;
	int64_t B = s->train ? s->B : s->S;
	int64_t mb = s->train ? stream_micro(s, B) : B;
	int steps = s->train ? s->steps : 1;
	z.grads_out = xcalloc((size_t)n, sizeof(cycles_t));
	/* host input of the batch */
	cycles_t io1 = s->k.sg[n].occ[PASS_FWD];
	st->io_busy_cycles += io1 * (cycles_t)B * (cycles_t)steps;
	for (int k = 0; k < steps; k++) {
		cycles_t io_start = k == 0 ? 0 : z.wafer_free;
		st->io_in_bytes += s->k.host_bytes * B;
		int npass = s->train ? 2 : 1;
		for (int64_t u = 0; u * mb < B; u++) {
			int64_t bu = B - u * mb < mb ? B - u * mb : mb;
			struct stream_pass ps = {
				0, 0, bu, k > 0 && u == 0,
				io_start + io1 * (cycles_t)(u * mb + bu) +
					(cycles_t)m->io.latency_cycles,
				0};
			for (ps.ph = 0; ps.ph < npass; ps.ph++)
				for (int j = 0; j < n; j++) {
					ps.si = ps.ph == 0 ? j : n - 1 - j;
					ps.first = ps.ph == 0 && j == 0;
					stream_layer(s, &z, &ps);
				}
		}
		cycles_t end = z.wafer_free;
		for (int i = 0; i < n; i++)
			end = cmax(end, z.grads_out[i]);
		if (s->train) {
			s->k.step_end[k] = end;
			for (int i = 0; i < n; i++)
				st->stages[i].tasks[PASS_UPDATE]++;
		} else {
			for (int64_t b = 0; b < B; b++)
				s->k.sample_out[b] = z.wafer_free;
		}
		if (s->o.progress)
			s->o.progress(s->o.progress_ctx,
				      (double)(k + 1) / (double)steps);
	}
	if (!s->train) {
		/* a batch of B goes through together: spread it evenly */
		cycles_t total = z.wafer_free;
		for (int64_t b = 0; b < B; b++)
			s->k.sample_out[b] = total * (cycles_t)(b + 1) / (cycles_t)B;
	}
	free(z.grads_out);
	free(z.buf_bytes);
	free(z.buf_end);
}
