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

/* The three resources of the streaming chain and their constants. */
struct stream_state {
	double bpc;		/* external memory bytes per cycle */
	cycles_t lat;		/* external memory latency */
	cycles_t wafer_free, in_free, out_free, prev_start;
	cycles_t *grads_out;	/* per stage: its gradients left */
};

/* Gradients of stage si out (after its backward, over [cs, ce)), then the
 * update in external memory. */
static void stream_grads_out(struct sim *s, struct stream_state *z, int si,
			     int64_t wbytes, cycles_t wcyc, cycles_t ws,
			     cycles_t cs, cycles_t ce)
{
	struct stats *st = s->st;
	struct stats_stage *ss = &st->stages[si];
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

/* One layer's pass (ph 0 forward, 1 backward) of step k over the batch of
 * B: its weights stream in, the wafer computes, gradients stream out. */
static void stream_layer(struct sim *s, struct stream_state *z, int si,
			 int ph, int k, int64_t B, cycles_t io_done, int first)
{
	struct stats *st = s->st;
	struct stage_rt *g = &s->sg[si];
	struct stats_stage *ss = &st->stages[si];
	int64_t wbytes = stage_weight_bytes(s, si);
	cycles_t wcyc = (cycles_t)((double)wbytes / z->bpc + 0.999999);
	/* weights of this layer may stream once the previous layer started
	 * (double buffer) and, after step 0, once its gradients left */
	cycles_t ws = cmax(z->in_free, z->prev_start);
	if (k > 0)
		ws = cmax(ws, z->grads_out[si]);
	cycles_t wend = ws + z->lat + wcyc;
	z->in_free = ws + wcyc;
	int pa = ph == 0 ? PASS_FWD : PASS_BWD_DATA;
	int pb = ph == 0 ? -1 : PASS_BWD_WEIGHT;
	cycles_t occ = g->occ[pa] + (pb >= 0 ? g->occ[pb] : 0);
	cycles_t comp = g->comp[pa] + (pb >= 0 ? g->comp[pb] : 0);
	cycles_t cs = cmax(z->wafer_free, ws + z->lat);
	if (first)
		cs = cmax(cs, io_done);
	cycles_t ce = cmax(cs + occ * (cycles_t)B + g->lat[pa],
			   wend + g->lat[pa]);
	z->prev_start = cs;
	z->wafer_free = ce;
	ss->compute_cycles += comp * (cycles_t)B;
	ss->comm_cycles += (occ - comp) * (cycles_t)B;
	if (!ss->first_cycle && !ss->last_cycle)
		ss->first_cycle = cs;
	ss->last_cycle = ce;
	if (ce - ws > ss->stream_span_cycles)
		ss->stream_span_cycles = ce - ws;
	ss->extmem_in_bytes += wbytes;
	st->extmem_in_bytes += wbytes;
	for (int64_t b = 0; b < B; b++) {
		cycles_t t0 = cs + (cycles_t)b * occ;
		eng_count_work(s, si, pa, t0, t0 + g->occ[pa]);
		if (pb >= 0)
			eng_count_work(s, si, pb, t0 + g->occ[pa], t0 + occ);
	}
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
		stream_grads_out(s, z, si, wbytes, wcyc, ws, cs, ce);
}

/*
 * Weight streaming: the layers run one after another over the wafer, so
 * the schedule is a chain over three resources (the PEs, the external
 * memory's input stream and its output stream); each task starts when its
 * resource is free and its inputs are ready, as in the pipelined engine.
 */
void eng_run_streaming(struct sim *s)
{
	struct stats *st = s->st;
	const struct machine *m = s->m;
	struct stream_state z;
	memset(&z, 0, sizeof(z));
	z.bpc = m->extmem.bandwidth_gbytes_s / m->clock_ghz;
	z.lat = (cycles_t)(m->extmem.latency_us * 1e3 * m->clock_ghz);
	int n = s->n;
	int64_t B = s->train ? s->B : s->S;
	int steps = s->train ? s->steps : 1;
	z.grads_out = xcalloc((size_t)n, sizeof(cycles_t));
	/* host input of the batch */
	cycles_t io = s->sg[n].occ[PASS_FWD] * (cycles_t)B;
	st->io_busy_cycles += io * (cycles_t)steps;
	for (int k = 0; k < steps; k++) {
		cycles_t io_done = (k == 0 ? 0 : z.wafer_free) + io +
				   (cycles_t)m->io.latency_cycles;
		st->io_in_bytes += s->host_bytes * B;
		int npass = s->train ? 2 : 1;
		for (int ph = 0; ph < npass; ph++)
			for (int j = 0; j < n; j++)
				stream_layer(s, &z, ph == 0 ? j : n - 1 - j, ph,
					     k, B, io_done, ph == 0 && j == 0);
		cycles_t end = z.wafer_free;
		for (int i = 0; i < n; i++)
			end = cmax(end, z.grads_out[i]);
		if (s->train) {
			s->step_end[k] = end;
			for (int i = 0; i < n; i++)
				st->stages[i].tasks[PASS_UPDATE]++;
		} else {
			for (int64_t b = 0; b < B; b++)
				s->sample_out[b] = z.wafer_free;
		}
		if (s->o.progress)
			s->o.progress(s->o.progress_ctx,
				      (double)(k + 1) / (double)steps);
	}
	if (!s->train) {
		/* a batch of B goes through together: spread it evenly */
		cycles_t total = z.wafer_free;
		for (int64_t b = 0; b < B; b++)
			s->sample_out[b] = total * (cycles_t)(b + 1) / (cycles_t)B;
	}
	free(z.grads_out);
}
