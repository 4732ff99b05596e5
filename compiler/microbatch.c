/*
 * microbatch.c: micro-batch size and activation recomputation for weight
 * streaming.  See microbatch.h.
 */
#include "compiler/microbatch.h"

#include <stdio.h>
#include <string.h>

#include "ground/checked.h"
#include "ground/util.h"

/* The block application a stage belongs to: the length of its main
 * layer's name up to the first '/', or 0 when it is in no block. */
static size_t segment_len(const struct map_ctx *c, const struct plan_stage *s)
{
	if (!c->g || s->n_layers < 1 || s->layers[0] < 0 ||
	    s->layers[0] >= c->g->n_layers)
		return 0;
	const char *nm = c->g->layers[s->layers[0]].name;
	const char *sl = strchr(nm, '/');
	return sl ? (size_t)(sl - nm) : 0;
}

static int same_segment(const struct map_ctx *c, const struct plan_stage *a,
			const struct plan_stage *b)
{
	size_t la = segment_len(c, a), lb = segment_len(c, b);
	return la && la == lb &&
	       !strncmp(c->g->layers[a->layers[0]].name,
			c->g->layers[b->layers[0]].name, la);
}

/* Bytes per sample of a stage's main layer's first input (a checkpoint). */
static int64_t input_bytes(const struct map_ctx *c, const struct plan_stage *s)
{
	const struct layer *l = &c->g->layers[s->layers[0]];
	if (l->n_in < 1)
		return 0;
	return tensor_elems(&c->g->tensors[l->in[0]]) * pe_elem_bytes(c->prec);
}

int64_t mb_saved_per_sample(const struct map_ctx *c, struct plan *p,
			    int recompute)
{
	int64_t total = 0, seg = 0, worst = 0;
	for (int i = 0; i < p->n_stages; i++) {
		struct plan_stage *s = &p->stages[i];
		int64_t saved = map_saved_bytes(c, s);
		int in_seg = recompute && segment_len(c, s) > 0;
		s->recompute = in_seg;
		if (!in_seg) {
			total += saved;
			continue;
		}
		if (i == 0 || !same_segment(c, s, &p->stages[i - 1])) {
			/* a new application: its input is the checkpoint */
			total += input_bytes(c, s);
			seg = 0;
		}
		seg += saved;
		if (seg > worst)
			worst = seg;
	}
	return total + worst;
}

int mb_apply(struct map_ctx *c, struct plan *p)
{
	int64_t mb = p->micro_batch > 0 ? p->micro_batch : p->batch;
	c->stream_act_bytes =
		ck_smul_batch(mb_saved_per_sample(c, p, p->recompute), mb);
	int bad = -1;
	for (int i = 0; i < p->n_stages; i++) {
		struct plan_stage *s = &p->stages[i];
		map_kernel(c, s);
		if (bad < 0 && s->sram.total > c->m->pe.sram_bytes)
			bad = i;
	}
	return bad;
}

/* The largest micro-batch in [1, hi] that fits with `recompute`, or 0. */
static int64_t largest_fit(struct map_ctx *c, struct plan *p, int64_t hi,
			   int recompute)
{
	p->recompute = recompute;
	p->micro_batch = 1;
	if (mb_apply(c, p) >= 0)
		return 0;
	int64_t lo = 1;
	p->micro_batch = hi;
	if (mb_apply(c, p) < 0)
		return hi;
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;
		p->micro_batch = mid;
		if (mb_apply(c, p) < 0)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static void fmt_gb(char *buf, size_t n, double bytes)
{
	snprintf(buf, n, "%.3g GB", bytes / 1e9);
}

/* Estimated cycles of a step with the stages as mapped (est_cycles per
 * sample): per micro-batch pass and layer, its compute or its weights'
 * stream, the longer (forward, then backward with the forward again where
 * recomputed). */
static double step_estimate(const struct map_ctx *c, const struct plan *p)
{
	int64_t B = p->batch > 0 ? p->batch : 1;
	int64_t mb = p->micro_batch > 0 ? p->micro_batch : B;
	double passes = (double)((B + mb - 1) / mb);
	double bpc = c->m->extmem.bandwidth_gbytes_s / c->m->clock_ghz;
	double t = 0;
	for (int i = 0; i < p->n_stages; i++) {
		const struct plan_stage *s = &p->stages[i];
		double w = (double)s->stream_bytes / bpc;
		double f = (double)s->est_cycles[PASS_FWD] * (double)mb;
		double b = (double)(s->est_cycles[PASS_BWD_DATA] +
				    s->est_cycles[PASS_BWD_WEIGHT] +
				    (s->recompute ? s->est_cycles[PASS_FWD] : 0)) *
			   (double)mb;
		t += (f > w ? f : w) + (b > w ? b : w);
	}
	return t * passes;
}

/* Even micro-batches: as many passes as `mb` needs, sizes within one. */
static int64_t even_micro(int64_t B, int64_t mb)
{
	int64_t n = (B + mb - 1) / mb;
	return (B + n - 1) / n;
}

int mb_choose(struct map_ctx *c, struct plan *p, int64_t force,
	      int force_recompute)
{
	int64_t B = p->batch > 0 ? p->batch : 1;
	char act[32];
	fmt_gb(act, sizeof act, (double)mb_saved_per_sample(c, p, 0) * (double)B);
	int64_t mb = 0;
	int rec = force_recompute > 0;
	const char *why;
	if (force > 0) {
		mb = force < B ? force : B;
		why = "forced";
	} else {
		/* the largest micro-batch that fits without recomputation,
		 * and with it; the faster step by the estimate (more passes
		 * stream every layer's weights again, recomputation runs the
		 * forward again) */
		int64_t m0 = force_recompute > 0 ? 0 : largest_fit(c, p, B, 0);
		int64_t m1 = force_recompute < 0 ? 0 : largest_fit(c, p, B, 1);
		double t0 = 0, t1 = 0;
		if (m0) {
			p->recompute = 0;
			p->micro_batch = even_micro(B, m0);
			mb_apply(c, p);
			t0 = step_estimate(c, p);
		}
		if (m1) {
			p->recompute = 1;
			p->micro_batch = even_micro(B, m1);
			mb_apply(c, p);
			t1 = step_estimate(c, p);
		}
		rec = m1 && (!m0 || t1 < t0);
		mb = rec ? m1 : m0;
		why = !rec && mb == B ? "the batch's saved activations fit"
		      : rec && m0 ? "recomputing makes the step shorter than "
				    "more passes of the weights would"
		      : rec ? "not even one sample's activations fit without "
			      "recomputation"
			    : "the largest that fits the wafer's SRAM";
		if (!mb)
			mb = 1;
	}
	p->micro_batch = even_micro(B, mb);
	p->recompute = rec;
	int bad = mb_apply(c, p);
	char one[32];
	fmt_gb(one, sizeof one, (double)c->stream_act_bytes);
	char txt[512];
	snprintf(txt, sizeof txt,
		 "micro-batch %lld of %lld (%lld pass%s, gradients "
		 "accumulated): %s; saved activations %s per micro-batch%s "
		 "(%s for the whole batch without recomputation)",
		 (long long)p->micro_batch, (long long)B,
		 (long long)((B + p->micro_batch - 1) / p->micro_batch),
		 (B + p->micro_batch - 1) / p->micro_batch == 1 ? "" : "es", why,
		 one, rec ? " with every block recomputed from its input "
			    "checkpoint" : "",
		 act);
	memcpy(p->micro_reason, txt, sizeof p->micro_reason - 1);
	p->micro_reason[sizeof p->micro_reason - 1] = 0;
	return bad >= 0 ? bad + 1 : 0;
}
