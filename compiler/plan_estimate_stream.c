/*
 * plan_estimate_stream.c: the objective for a weight-streamed plan
 * (plan_estimate.h), the engine's chain (sim/engine_stream.c) in closed
 * form over its three resources: the wafer, the external memory's input
 * stream (weights) and its output stream (gradients).  A training step
 * runs the batch as micro-batches (plan micro_batch); every micro-batch
 * streams every layer's weights in for its forward and again for its
 * backward (recomputing the forward first where the stage's activations
 * are not kept) and sends its gradients out.  A layer's weights stream
 * once the wafer's weight buffer has room for them (the passes still
 * computing hold theirs) and never later than the previous pass started;
 * at a step's start, once that layer's gradients of the previous step
 * have left.  A table lookup streams only the rows its micro-batch's
 * ids select (stage lookup_rows, lookup_ids).
 */
#include "compiler/plan_estimate.h"

#include <stdlib.h>
#include <string.h>

#include "ground/util.h"

struct chain {
	double bpc, lat;
	double wafer, in, out, prev;
	double *grads;	 /* per stage: its gradients out */
	double *buf_b;	 /* per pass streamed so far: bytes */
	double *buf_end; /* ... and the end of its compute */
	int64_t n_pass, cap;
	double buf_cap;
};

static double dmax(double a, double b)
{
	return a > b ? a : b;
}

static double buffer_ready(const struct chain *z, double bytes)
{
	double held = bytes;
	int64_t q = z->n_pass;
	while (q > 0 && held + z->buf_b[q - 1] <= z->buf_cap)
		held += z->buf_b[--q];
	double t = q > 0 ? z->buf_end[q - 1] : 0;
	return t < z->prev ? t : z->prev;
}

static void buffer_push(struct chain *z, double bytes, double end)
{
	if (z->n_pass == z->cap) {
		z->cap = z->cap ? 2 * z->cap : 1024;
		z->buf_b = xrealloc(z->buf_b, (size_t)z->cap * sizeof(double));
		z->buf_end = xrealloc(z->buf_end,
				      (size_t)z->cap * sizeof(double));
	}
	z->buf_b[z->n_pass] = bytes;
	z->buf_end[z->n_pass++] = end;
}

struct pass_at {
	int si, ph, after_update, first;
	double B, io_done;
};

static void chain_layer(const struct plan *p, const struct machine *m,
			struct chain *z, const struct pass_at *a)
{
	const struct plan_stage *s = &p->stages[a->si];
	double bytes = (double)s->stream_bytes;
	/* a table lookup streams the rows its ids select, as the engine */
	if (s->lookup_rows > 0 &&
	    (double)s->lookup_ids * a->B < (double)s->lookup_rows)
		bytes = (double)(s->stream_bytes / s->lookup_rows) *
			(double)s->lookup_ids * a->B;
	double wcyc = (double)(int64_t)(bytes / z->bpc + 0.999999);
	double ws = dmax(z->in, buffer_ready(z, bytes));
	if (a->after_update)
		ws = dmax(ws, z->grads[a->si]);
	double wend = ws + z->lat + wcyc;
	z->in = ws + wcyc;
	int pa = a->ph == 0 ? PASS_FWD : PASS_BWD_DATA;
	double occ = (double)plan_task_occ(m, p->prec, &s->work[pa]);
	if (a->ph) {
		occ += (double)plan_task_occ(m, p->prec,
					     &s->work[PASS_BWD_WEIGHT]);
		if (s->recompute)
			occ += (double)plan_task_occ(m, p->prec,
						     &s->work[PASS_FWD]);
	}
	double lat = plan_task_lat(m, p->prec, s, pa);
	double cs = dmax(z->wafer, ws + z->lat);
	if (a->first)
		cs = dmax(cs, a->io_done);
	double ce = dmax(cs + occ * a->B + lat, wend + lat);
	z->prev = cs;
	z->wafer = ce;
	buffer_push(z, bytes, ce);
	if (a->ph) {
		double gs = dmax(z->out, cs);
		z->grads[a->si] = dmax(gs + wcyc, ce) + z->lat;
		z->out = dmax(gs + wcyc, ce);
	}
}

double plan_stream_chain(const struct plan *p, const struct machine *m,
			 double B, int train, double io)
{
	struct chain z;
	memset(&z, 0, sizeof(z));
	cycles_t lat;
	/* the engine's link: external memory, and the interconnect's tree
	 * when several wafers train data-parallel */
	plan_stream_link(m, p->wafers, &z.bpc, &lat);
	z.lat = (double)lat;
	z.buf_cap = (double)plan_stream_buffer_bytes(p, m);
	int n = p->n_stages, steps = train ? 2 : 1;
	double mb = train && p->micro_batch > 0 && (double)p->micro_batch < B
			    ? (double)p->micro_batch
			    : B;
	z.grads = xcalloc((size_t)n + 1, sizeof(double));
	double prev_end = 0, end = 0;
	for (int k = 0; k < steps; k++) {
		double io_start = k == 0 ? 0 : z.wafer;
		for (int64_t u = 0; (double)u * mb < B; u++) {
			double bu = B - (double)u * mb < mb ? B - (double)u * mb
							    : mb;
			struct pass_at a = {0, 0, k > 0 && u == 0, 0, bu, 0};
			a.io_done = io_start + io * ((double)u * mb + bu) +
				    (double)m->io.latency_cycles;
			for (a.ph = 0; a.ph < (train ? 2 : 1); a.ph++)
				for (int j = 0; j < n; j++) {
					a.si = a.ph == 0 ? j : n - 1 - j;
					a.first = a.ph == 0 && j == 0;
					chain_layer(p, m, &z, &a);
				}
		}
		prev_end = end;
		end = z.wafer;
		for (int i = 0; i < n && train; i++)
			end = dmax(end, z.grads[i]);
	}
	free(z.grads);
	free(z.buf_b);
	free(z.buf_end);
	return end - prev_end;
}
