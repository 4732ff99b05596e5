/* report.c: text and JSON reports of a run. See report.h. */
#include "sim/report.h"
#include "compiler/map_share.h"
#include "fabric/timing.h"
#include "compiler/kern.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* `v` rounded to the three significant digits the report prints, so that
 * the unit is chosen for the printed value (0.0009996 J is "1 mJ", not
 * "1e+03 uJ"). */
static double sig3(double v)
{
	char tmp[32];
	snprintf(tmp, sizeof(tmp), "%.3g", v);
	return strtod(tmp, NULL);
}

const char *report_fmt_s(char *buf, double s)
{
	double r = sig3(s); /* the unit: for the printed value */
	if (!(r > 0))
		snprintf(buf, 32, "0 s");
	else if (r < 1e-6)
		snprintf(buf, 32, "%.3g ns", s * 1e9);
	else if (r < 1e-3)
		snprintf(buf, 32, "%.3g us", s * 1e6);
	else if (r < 1)
		snprintf(buf, 32, "%.3g ms", s * 1e3);
	else if (r < 120)
		snprintf(buf, 32, "%.3g s", s);
	else if (r < 7200)
		snprintf(buf, 32, "%.3g min", s / 60);
	else if (r < 2 * 86400)
		snprintf(buf, 32, "%.3g h", s / 3600);
	else if (r < 2 * 365 * 86400.0)
		snprintf(buf, 32, "%.3g days", s / 86400);
	else
		snprintf(buf, 32, "%.3g years", s / (365 * 86400.0));
	return buf;
}

static const char *fmt_j(char *buf, double j)
{
	double r = sig3(j); /* the unit: for the printed value */
	if (r < 1e-3)
		snprintf(buf, 32, "%.3g uJ", j * 1e6);
	else if (r < 1)
		snprintf(buf, 32, "%.3g mJ", j * 1e3);
	else if (r < 1e3)
		snprintf(buf, 32, "%.3g J", j);
	else if (r < 1e6)
		snprintf(buf, 32, "%.3g kJ", j / 1e3);
	else if (r < 3.6e9)
		snprintf(buf, 32, "%.3g kWh", j / 3.6e6);
	else if (r < 3.6e12)
		snprintf(buf, 32, "%.3g MWh", j / 3.6e9);
	else
		snprintf(buf, 32, "%.3g GWh", j / 3.6e12);
	return buf;
}

const char *report_fmt_j(char *buf, double j)
{
	return fmt_j(buf, j);
}

static const char *fmt_n(char *buf, double v)
{
	double r = sig3(v); /* the unit: for the printed value */
	if (r >= 1e9)
		snprintf(buf, 32, "%.3g G", v / 1e9);
	else if (r >= 1e6)
		snprintf(buf, 32, "%.3g M", v / 1e6);
	else if (r >= 1e3)
		snprintf(buf, 32, "%.3g k", v / 1e3);
	else
		snprintf(buf, 32, "%.3g", v);
	return buf;
}

/* An integer with thousands separators: 753,972. */
static const char *fmt_int(char *buf, int64_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)(v < 0 ? -v : v));
	int o = 0;
	if (v < 0)
		buf[o++] = '-';
	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = 0;
	return buf;
}

static const char *fmt_w(char *buf, double w)
{
	double r = sig3(w); /* the unit: for the printed value */
	if (r >= 1e3)
		snprintf(buf, 32, "%.3g kW", w / 1e3);
	else
		snprintf(buf, 32, "%.3g W", w);
	return buf;
}

const char *report_fmt_ratio(char *buf, double r)
{
	if (!(r > 0) || !isfinite(r))
		snprintf(buf, 32, "unknown");
	else if (r >= 99.95)
		snprintf(buf, 32, "%.0fx", r);
	else if (r >= 0.995 && r < 1.095) /* "1.03x", never "1.0x" */
		snprintf(buf, 32, "%.2fx", r);
	else if (r >= 0.0995)
		snprintf(buf, 32, "%.1fx", r);
	else /* never "0.0x": two significant digits */
		snprintf(buf, 32, "%.2gx", r);
	return buf;
}

const char *report_ratio_words(char *buf, size_t n, double r,
			       const char *more, const char *less)
{
	char a[32];
	if (!(r > 0) || !isfinite(r))
		snprintf(buf, n, "unknown");
	else if (fabs((r >= 1 ? r : 1 / r) - 1) < 0.005) /* "1.00x" */
		snprintf(buf, n, "the same");
	else
		snprintf(buf, n, "%s %s", report_fmt_ratio(a, r >= 1 ? r : 1 / r),
			 r >= 1 ? more : less);
	return buf;
}

static const char *stage_name(const struct plan *p, int s)
{
	if (s < 0)
		return "host";
	if (s >= p->n_stages || !p->stages[s].name)
		return "?";
	return p->stages[s].name;
}

/* Shared-weight synchronisation (plan ROUTE_GRAD_SYNC / ROUTE_WEIGHT_SYNC)
 * per training step: bytes each way, and the longest round trip of a
 * (replica, owner) pair on the fabric (gradient stream, then weights
 * back: serialisation over the lanes plus transit), the chain the engine
 * puts between a replica's last backward and its next forward (the
 * owner's update in between is not counted here). */
struct sync_sum {
	int routes;
	int64_t grad_bytes, weight_bytes;
	cycles_t round_trip; /* longest pair, zero-load */
	cycles_t wait;	     /* contention on the sync routes, per step */
	int64_t lanes;	     /* of that pair's gradient stream */
};

static void sync_summary(const struct plan *p, const struct stats *st,
			 const struct machine *m, struct sync_sum *o)
{
	memset(o, 0, sizeof(*o));
	if (!st || st->steps < 1)
		return;
	for (int i = 0; i < p->n_routes && i < st->n_routes; i++) {
		const struct plan_route *r = &p->routes[i];
		if (r->kind == ROUTE_SAMPLE)
			continue;
		o->routes++;
		const struct stats_route *sr = &st->routes[i];
		o->wait += sr->wait_cycles / (cycles_t)st->steps;
		if (r->kind == ROUTE_WEIGHT_SYNC) {
			o->weight_bytes += r->bytes_per_step;
			continue;
		}
		o->grad_bytes += r->bytes_per_step;
		cycles_t rt = fabric_stream_cycles(&m->fabric, sr->hops,
						   sr->occ_cycles);
		for (int j = 0; j < p->n_routes && j < st->n_routes; j++)
			if (p->routes[j].kind == ROUTE_WEIGHT_SYNC &&
			    p->routes[j].src_stage == r->dst_stage &&
			    p->routes[j].dst_stage == r->src_stage)
				rt += fabric_stream_cycles(
					&m->fabric, st->routes[j].hops,
					st->routes[j].occ_cycles);
		if (rt > o->round_trip) {
			o->round_trip = rt;
			o->lanes = sr->lanes;
		}
	}
}

const char *report_bottleneck(const struct stats *st, const struct plan *p,
			      char *buf, size_t n)
{
	if (st->bottleneck == LIMIT_IO && st->bottleneck_route < 0)
		snprintf(buf, n, "host I/O at the wafer edge (I/O bound)");
	else if (st->bottleneck_route >= 0) {
		int r = st->bottleneck_route;
		int src, dst;
		if (r < p->n_routes) {
			src = p->routes[r].src_stage;
			dst = p->routes[r].dst_stage;
		} else { /* derived backward route: reversed forward one */
			src = dst = -1;
			int k = p->n_routes;
			for (int i = 0; i < p->n_routes; i++)
				if (p->routes[i].pass == PASS_FWD &&
				    p->routes[i].src_stage >= 0 &&
				    p->routes[i].dst_stage >= 0 && k++ == r) {
					src = p->routes[i].dst_stage;
					dst = p->routes[i].src_stage;
				}
		}
		if (r < p->n_routes && p->routes[r].kind != ROUTE_SAMPLE)
			snprintf(buf, n,
				 "shared-weight %s '%s' -> '%s' (fabric bound, "
				 "once per step)",
				 p->routes[r].kind == ROUTE_GRAD_SYNC
					 ? "gradient sync"
					 : "weight sync",
				 stage_name(p, src), stage_name(p, dst));
		else
			snprintf(buf, n, "route '%s' -> '%s' (fabric bound)",
				 stage_name(p, src), stage_name(p, dst));
	} else if (st->slowest_stage >= 0) {
		const struct stats_stage *g = &st->stages[st->slowest_stage];
		const char *what = st->mode == MODE_STREAMING
					   ? stats_limit_name(st->bottleneck)
					   : stats_limit_name(g->limit);
		snprintf(buf, n, "%s '%s' (%s bound)",
			 st->mode == MODE_STREAMING ? "layer" : "stage", g->name,
			 what);
	} else
		snprintf(buf, n, "none");
	return buf;
}

/* Training figures: per step, then per epoch, run and campaign when the
 * dataset size is known. */
static void compute_train(const struct report_in *r, struct report_figures *f)
{
	const struct stats *t = r->train;
	int64_t epochs = r->epochs > 0 ? r->epochs : 1;
	int64_t runs = r->runs > 0 ? r->runs : 1;
	energy_compute(t, r->m, &f->e_train);
	f->step_s = (double)t->step_cycles * f->cycle_s;
	f->step_first_s = (double)t->step_first_cycles * f->cycle_s;
	/* several wafers (data parallel): each runs the batch, all draw
	 * power */
	int64_t wafers = t->wafers > 1 ? t->wafers : 1;
	int64_t gbatch = t->batch * wafers;
	f->samples_per_s = f->step_s > 0 ? (double)gbatch / f->step_s : 0;
	double dyn = f->e_train.total_pj - f->e_train.part_pj[ENERGY_STATIC];
	f->step_j = (dyn * 1e-12 / (t->steps > 0 ? t->steps : 1) +
		     f->idle_w * f->step_s) * (double)wafers;
	f->step_power_w = f->step_s > 0 ? f->step_j / f->step_s : 0;
	f->roof_step_s = r->roof.step_cycles * f->cycle_s;
	f->dataset_known = r->dataset_samples > 0 && gbatch > 0;
	if (!f->dataset_known)
		return;
	f->steps_per_epoch = (r->dataset_samples + gbatch - 1) / gbatch;
	f->epoch_s = (double)f->steps_per_epoch * f->step_s;
	f->epoch_j = (double)f->steps_per_epoch * f->step_j;
	f->train_s = (double)epochs * f->epoch_s;
	f->train_j = (double)epochs * f->epoch_j;
	f->campaign_s = (double)runs * f->train_s;
	f->campaign_j = (double)runs * f->train_j;
}

static void compute_infer(const struct report_in *r, struct report_figures *f)
{
	const struct stats *t = r->infer;
	energy_compute(t, r->m, &f->e_infer);
	double iv = (double)t->infer_interval_cycles * f->cycle_s;
	f->pred_per_s = iv > 0 ? 1 / iv : 0;
	f->pred_latency_s = (double)t->infer_latency_cycles * f->cycle_s;
	double dyn = f->e_infer.total_pj - f->e_infer.part_pj[ENERGY_STATIC];
	f->pred_j = dyn * 1e-12 / (double)(t->samples > 0 ? t->samples : 1) +
		    f->idle_w * iv;
	f->predictions_s = f->pred_per_s > 0
				   ? (double)r->predictions / f->pred_per_s
				   : 0;
	f->predictions_j = (double)r->predictions * f->pred_j;
	f->roof_pred_per_s = r->roof.infer_sample_cycles > 0
				     ? 1 / (r->roof.infer_sample_cycles *
					    f->cycle_s)
				     : 0;
	/* a pipeline streams samples one by one; weight streaming runs the
	 * streamed samples as one batch */
	f->infer_batch = t->mode == MODE_STREAMING ? t->samples : 1;
}

/* The GPU baseline's campaign and the ratios, per sample (training at
 * each side's batch, the dataset in steps of the GPU's own batch). */
static void compute_gpu(const struct report_in *r, struct report_figures *f,
			int k)
{
	const struct report_gpu *g = &r->gpu;
	int64_t epochs = r->epochs > 0 ? r->epochs : 1;
	int64_t runs = r->runs > 0 ? r->runs : 1;
	/* a training step's distinct samples (the sampler's repeats train
	 * nothing new); an inference batch: every GPU's share, each a
	 * prediction of the stream */
	int64_t gb = g->batch > 0 ? g->batch : 1;
	int64_t ib = g->batch + g->padded > 0 ? g->batch + g->padded : 1;
	if (f->dataset_known) {
		double steps = (double)((r->dataset_samples + gb - 1) / gb) *
			       (double)epochs;
		f->gpu_train_s[k] = steps * g->train_step_s[k];
		f->gpu_train_j[k] = steps * g->train_step_j[k];
		f->gpu_campaign_s[k] = (double)runs * f->gpu_train_s[k];
		f->gpu_campaign_j[k] = (double)runs * f->gpu_train_j[k];
	}
	f->gpu_pred_per_s[k] = g->infer_batch_s[k] > 0
				       ? (double)ib / g->infer_batch_s[k]
				       : 0;
	f->gpu_pred_j[k] = g->infer_batch_j[k] / (double)ib;
	f->gpu_predictions_s[k] =
		f->gpu_pred_per_s[k] > 0
			? (double)r->predictions / f->gpu_pred_per_s[k]
			: 0;
	f->gpu_predictions_j[k] = (double)r->predictions * f->gpu_pred_j[k];
	if (r->train && f->samples_per_s > 0 && g->train_step_s[k] > 0) {
		double wb = f->samples_per_s * f->step_s; /* global batch */
		f->speedup_train[k] = g->train_step_s[k] / (double)gb /
				      (f->step_s / wb);
		f->energy_ratio_train[k] =
			f->step_j > 0 ? g->train_step_j[k] / (double)gb /
						(f->step_j / wb)
				      : 0;
	}
	if (f->pred_per_s > 0 && f->gpu_pred_per_s[k] > 0) {
		f->speedup_infer[k] = f->pred_per_s / f->gpu_pred_per_s[k];
		f->energy_ratio_infer[k] =
			f->pred_j > 0 ? f->gpu_pred_j[k] / f->pred_j : 0;
	}
}

void report_compute(const struct report_in *r, struct report_figures *f)
{
	memset(f, 0, sizeof(*f));
	const struct machine *m = r->m;
	f->cycle_s = machine_cycle_s(m);
	f->idle_w = energy_idle_w(m);
	f->full_load_w = energy_full_load_w(m, r->p->prec);
	if (r->train)
		compute_train(r, f);
	if (r->infer)
		compute_infer(r, f);
	for (int k = 0; r->gpu.present && k < 2; k++)
		compute_gpu(r, f, k);
}

static const char *prec_name(enum pe_prec p)
{
	return p == PREC_FP32 ? "fp32" : p == PREC_MIXED ? "mixed (fp16 x fp16 + fp32)"
							 : "fp16";
}

static const char *mode_name(enum exec_mode m)
{
	return m == MODE_STREAMING ? "weight streaming" : "layer-pipelined";
}

static int cmp_stage(const void *a, const void *b, const struct stats *st)
{
	double x = stats_stage_sample_cycles(st, *(const int *)a);
	double y = stats_stage_sample_cycles(st, *(const int *)b);
	if (x != y)
		return x < y ? 1 : -1;
	return *(const int *)a - *(const int *)b;
}

/* insertion sort: qsort has no context argument in C11 */
static void sort_stages(int *idx, int n, const struct stats *st)
{
	for (int i = 1; i < n; i++) {
		int v = idx[i], j = i;
		while (j > 0 && cmp_stage(&idx[j - 1], &v, st) > 0) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = v;
	}
}

#define REPORT_MAX_ROWS 12

/* "1 stage", "2 stages": the suffix for a count */
#define PLURAL(n) ((n) == 1 ? "" : "s")

/* A dense stage's algorithm (compiler/kern.h) after `lead` when it is not
 * the weight-stationary mapping: the compiler's pick or --kernel's. */
static void text_stage_kernel(const struct plan *p, int i, const char *lead,
			      FILE *out)
{
	if (!p || i >= p->n_stages)
		return;
	const struct plan_stage *ps = &p->stages[i];
	if (ps->kind != KERNEL_DENSE || ps->kernel <= 0)
		return;
	fprintf(out, "%s%s", lead, kern_name((enum kern_alg)ps->kernel));
	if (ps->kernel_groups > 0)
		fprintf(out, " in %lld groups", (long long)ps->kernel_groups);
}

static void text_stages(const struct report_in *r, const struct stats *st,
			FILE *out)
{
	int n = st->n_stages;
	int *idx = xmalloc((size_t)(n ? n : 1) * sizeof(int));
	for (int i = 0; i < n; i++)
		idx[i] = i;
	sort_stages(idx, n, st);
	int rows = n < REPORT_MAX_ROWS ? n : REPORT_MAX_ROWS;
	fprintf(out, "  %s (cycles of the busiest PE):\n",
		rows < n ? "slowest stages" : "stages");
	fprintf(out, "    %-22s %-16s %8s %8s %8s %9s %5s  %s\n", "stage",
		"rectangle", "PEs", "fwd", "bwd", "/sample", "busy", "limit");
	for (int k = 0; k < rows; k++) {
		int i = idx[k];
		const struct stats_stage *g = &st->stages[i];
		char rect[40];
		snprintf(rect, sizeof(rect), "%dx%d@%d,%d", g->r.w, g->r.h,
			 g->r.x, g->r.y);
		double busy = st->total_cycles
				      ? (double)(g->compute_cycles + g->comm_cycles) /
						(double)st->total_cycles
				      : 0;
		/* an inference stream runs no backward pass */
		char bwd[24] = "-";
		if (st->job != STATS_INFER)
			snprintf(bwd, sizeof(bwd), "%llu",
				 (unsigned long long)(g->occ_cycles[PASS_BWD_DATA] +
						      g->occ_cycles[PASS_BWD_WEIGHT]));
		fprintf(out, "    %-22.22s %-16s %8lld %8llu %8s %9.0f %4.0f%%  %s",
			g->name, rect, (long long)g->pes,
			(unsigned long long)g->occ_cycles[PASS_FWD], bwd,
			stats_stage_sample_cycles(st, i), 100 * busy,
			stats_limit_name(g->limit));
		text_stage_kernel(r->p, i, ", kernel ", out);
		if (g->copies > 1) /* compiler/plan.h: R copies, R samples at once */
			fprintf(out, ", %d sample copies", g->copies);
		fprintf(out, "\n");
	}
	if (rows < n)
		fprintf(out, "    ... and %d more stage%s\n", n - rows,
			PLURAL(n - rows));
	free(idx);
}

static void text_energy_parts(const struct energy_breakdown *e, FILE *out)
{
	fprintf(out, "  energy by part     ");
	for (int i = 0; i < ENERGY_PARTS; i++)
		fprintf(out, " %s %.0f%%", energy_part_name((enum energy_part)i),
			e->total_pj > 0 ? 100 * e->part_pj[i] / e->total_pj : 0);
	fprintf(out, "\n");
}

/* ---- text sections ------------------------------------------------------ */

static const struct stats *any_stats(const struct report_in *r)
{
	return r->train ? r->train : r->infer;
}

static void text_head(const struct report_in *r,
		      const struct report_figures *f, FILE *out)
{
	const struct plan *p = r->p;
	const struct machine *m = r->m;
	const struct stats *any = any_stats(r);
	long long b = any ? any->batch : p->batch;
	int wafers = r->train && r->train->wafers > 1 ? r->train->wafers : 1;
	fprintf(out, "wafersim run: %s on %s (%lld x %lld PEs, %.3g GHz), %s, batch %lld",
		p->network ? p->network : "?", m->name, (long long)m->width,
		(long long)m->height, m->clock_ghz, prec_name(p->prec),
		b * wafers);
	if (wafers > 1)
		fprintf(out, " (%lld on each of %d wafers)", b, wafers);
	fputs("\n\n", out);
	(void)f;
}

/* PEs the plan's rectangles hold (a streamed plan: all). */
static int64_t plan_pes(const struct plan *p, const struct machine *m)
{
	int64_t used = 0;
	for (int i = 0; i < p->n_stages; i++) /* time-shared: once */
		if (map_share_root(p, i) == i)
			used += (int64_t)p->stages[i].r.w * p->stages[i].r.h;
	if (p->mode == MODE_STREAMING && p->n_stages > 0)
		used = machine_pes(m);
	return used;
}

static void text_plan(const struct report_in *r,
		      const struct report_figures *f, FILE *out)
{
	const struct plan *p = r->p;
	const struct machine *m = r->m;
	const struct stats *any = any_stats(r);
	char a[32], b[32];
	int64_t used = plan_pes(p, m);
	fprintf(out, "Plan (%s)\n", mode_name(p->mode));
	if (p->mode_reason[0])
		fprintf(out, "  mode               %s\n", p->mode_reason);
	else
		fprintf(out, "  mode               %s\n", mode_name(p->mode));
	fprintf(out, "  placement          %s, %d stage%s, %d route%s, %d "
		"color%s\n", p->strategy ? p->strategy : "?", p->n_stages,
		PLURAL(p->n_stages), p->n_routes, PLURAL(p->n_routes),
		p->colors_used, PLURAL(p->colors_used));
	fprintf(out, "  PEs used           %s of %s (%.1f%%)\n",
		fmt_int(a, used), fmt_int(b, machine_pes(m)),
		100.0 * (double)used / (double)machine_pes(m));
	if (any)
		text_stages(r, any, out);
	(void)f;
}

static int has_region(const struct report_in *r)
{
	const struct stats *any = any_stats(r);
	return r->region && any && any->n_stages > 0;
}

/* kernel microbenchmark: the main stage alone */
static void text_region(const struct report_in *r,
			const struct report_figures *f, FILE *out)
{
	const struct stats *any = any_stats(r);
	int s0 = any->slowest_stage >= 0 ? any->slowest_stage : 0;
	const struct stats_stage *g = &any->stages[s0];
	cycles_t occ = g->occ_cycles[PASS_FWD];
	cycles_t comm = g->latency_cycles[PASS_FWD] - occ;
	fprintf(out, "\nKernel on %s: '%s'", r->region, g->name);
	text_stage_kernel(r->p, s0, ", ", out);
	fputc('\n', out);
	fprintf(out, "  forward, one sample  %llu cycles (compute %llu, "
		"communication %llu)%s\n",
		(unsigned long long)g->latency_cycles[PASS_FWD],
		(unsigned long long)occ, (unsigned long long)comm,
		comm > occ ? ": communication dominates" : "");
	if (r->train)
		fprintf(out, "  training step        %llu cycles (batch %lld)\n",
			(unsigned long long)r->train->step_cycles,
			(long long)r->train->batch);
	const struct stats *in = r->infer;
	if (r->infer_plan && in && s0 < in->n_stages) {
		/* the inference ran on its own plan: its stage's kernel */
		fprintf(out, "  inference's plan     '%s'", in->stages[s0].name);
		text_stage_kernel(r->infer_plan, s0, ", ", out);
		fprintf(out, ": forward, one sample %llu cycles\n",
			(unsigned long long)in->stages[s0].latency_cycles
				[PASS_FWD]);
	}
	(void)f;
}

static int has_train(const struct report_in *r)
{
	return r->train != NULL;
}

static int has_infer(const struct report_in *r)
{
	return r->infer != NULL;
}

static int has_gpu(const struct report_in *r)
{
	return r->gpu.present;
}

static int has_campaign(const struct report_in *r)
{
	return r->runs > 1 || r->predictions > 0;
}

/* Training: the shared-weight sync line, if any. */
static void text_train_sync(const struct report_in *r, FILE *out)
{
	const struct stats *t = r->train;
	char a[32], b[32];
	struct sync_sum sy;
	sync_summary(r->p, t, r->m, &sy);
	if (sy.routes)
		fprintf(out, "  shared weights     %sB of replica gradients to "
			"their owners and %sB of weights back per step "
			"(%d route%s); longest round trip %llu cycles "
			"(gradients over %lld lane%s, then weights) of the "
			"step's %llu; %llu cycles of link contention\n",
			fmt_n(a, (double)sy.grad_bytes),
			fmt_n(b, (double)sy.weight_bytes), sy.routes,
			PLURAL(sy.routes), (unsigned long long)sy.round_trip,
			(long long)sy.lanes, PLURAL(sy.lanes),
			(unsigned long long)t->step_cycles,
			(unsigned long long)sy.wait);
}

/* Weight streaming: micro-batch passes per step. */
static int64_t stream_passes(const struct stats *t)
{
	int64_t mb = t->micro_batch > 0 ? t->micro_batch : t->batch;
	return mb > 0 ? (t->batch + mb - 1) / mb : 1;
}

/* Training: the slowest layer or stage and the pipeline's pace. */
static void text_train_pace(const struct report_in *r,
			    const struct report_figures *f, FILE *out)
{
	const struct stats *t = r->train;
	const struct plan *p = r->p;
	char a[32], b[32], c[32];
	if (t->slowest_stage >= 0 && t->mode == MODE_STREAMING) {
		const struct stats_stage *g = &t->stages[t->slowest_stage];
		/* its weights stream in twice per micro-batch pass: the span
		 * is one pass's, the bytes one stream's */
		double bw = r->m->extmem.bandwidth_gbytes_s * 1e9;
		double streams = 2 * (double)stream_passes(t) * t->steps;
		double one = (double)g->extmem_in_bytes / streams;
		fprintf(out, "  slowest layer      '%s': %s from its weights "
			"streaming in to its gradients out, per pass (its "
			"weights: %sB, %s at %.0f GB/s each time; in twice per "
			"micro-batch pass)\n",
			g->name,
			report_fmt_s(a, (double)g->stream_span_cycles * f->cycle_s),
			fmt_n(b, one), report_fmt_s(c, one / bw), bw / 1e9);
	} else if (t->slowest_stage >= 0)
		fprintf(out, "  slowest stage      '%s': %.0f cycles per sample "
			"(steady state)\n",
			t->stages[t->slowest_stage].name,
			stats_stage_sample_cycles(t, t->slowest_stage));
	if (t->mode == MODE_STREAMING || t->pace_cycles <= 0 ||
	    t->step_cycles <= 0)
		return;
	double work = t->pace_cycles * (double)t->batch;
	double share = 1 - work / (double)t->step_cycles;
	int syncb = t->bottleneck_route >= 0 &&
		    t->bottleneck_route < p->n_routes &&
		    p->routes[t->bottleneck_route].kind != ROUTE_SAMPLE;
	if (syncb) /* once per step: not a per-sample pace */
		fprintf(out, "  pipeline           the shared-weight "
			"sync streams %.0f cycles once per step "
			"(%.0f per sample of the batch) of the "
			"step's %llu cycles%s\n",
			work, t->pace_cycles,
			(unsigned long long)t->step_cycles,
			share > 0.5 ? "; the rest is the sync's "
				      "round trip, contention, "
				      "fill and drain"
				    : "");
	else
		fprintf(out, "  pipeline           %.0f cycles per sample at the "
			"bottleneck; the batch needs %.0f of the step's %llu "
			"cycles%s\n", t->pace_cycles, work,
			(unsigned long long)t->step_cycles,
			share > 0.5 ? ": fill and drain dominate (a larger "
				      "batch would amortise them)"
				    : "");
}

/* The step's time: streamed, its micro-batches; pipelined, the last
 * step's beside the first's. */
static void text_train_time(const struct report_in *r,
			    const struct report_figures *f, FILE *out)
{
	const struct stats *t = r->train;
	char a[32], b[32];
	if (t->mode == MODE_STREAMING) {
		int64_t mb = t->micro_batch > 0 ? t->micro_batch : t->batch;
		fprintf(out, "  time per step      %s  (every layer's weights in "
			"twice and gradients out per micro-batch of %lld, %lld "
			"per step%s)\n", report_fmt_s(a, f->step_s), (long long)mb,
			(long long)((t->batch + mb - 1) / mb),
			t->recompute ? ", activations recomputed" : "");
		if (r->p->micro_reason[0])
			fprintf(out, "  micro-batch        %s\n", r->p->micro_reason);
		if (t->wafers > 1)
			fprintf(out, "  wafers             %d data-parallel, batch "
				"%lld each (%lld per step); weights broadcast and "
				"gradients summed through the interconnect\n",
				t->wafers, (long long)t->batch,
				(long long)t->batch * t->wafers);
	} else if (t->steps > 1) {
		/* every step fills and drains (a stage forwards the next
		 * step's samples after its update); the first starts idle,
		 * a later one with the host's inputs sent ahead while the
		 * step before drained: either may be the longer
		 * (docs/engine.md, "Training") */
		fprintf(out, "  time per step      %s  (the last of %d steps; "
			"the first, from an idle wafer, %s)\n",
			report_fmt_s(a, f->step_s), t->steps,
			report_fmt_s(b, f->step_first_s));
	} else {
		fprintf(out, "  time per step      %s  (one step, from an idle "
			"wafer)\n", report_fmt_s(a, f->step_s));
	}
}

static void text_train(const struct report_in *r,
		       const struct report_figures *f, FILE *out)
{
	const struct stats *t = r->train;
	char a[32], b[32], c[32], d[32];
	char bn[REPORT_BOTTLENECK_MAX];
	fprintf(out, "\nTraining (simulated: %d step%s of %lld sample%s, %s)\n",
		t->steps, PLURAL(t->steps), (long long)t->batch,
		PLURAL(t->batch),
		t->full ? "every PE timed" : "one reference PE per stage");
	text_train_time(r, f, out);
	fprintf(out, "  samples per second %s\n", fmt_n(a, f->samples_per_s));
	if (f->dataset_known)
		fprintf(out, "  epoch              %s  (%s sample%s, %lld step%s); "
			"a training run of %lld epoch%s: %s\n",
			report_fmt_s(a, f->epoch_s),
			fmt_n(b, (double)r->dataset_samples),
			PLURAL(r->dataset_samples),
			(long long)f->steps_per_epoch,
			PLURAL(f->steps_per_epoch), (long long)r->epochs,
			PLURAL(r->epochs), report_fmt_s(c, f->train_s));
	else
		fprintf(out, "  epoch              dataset size unknown: give "
			"--samples (per-epoch and whole-training figures not "
			"printed)\n");
	if (f->dataset_known)
		fprintf(out, "  energy             %s per step, %s per epoch; "
			"average power %s (idle %s)\n",
			fmt_j(a, f->step_j), fmt_j(b, f->epoch_j),
			fmt_w(c, f->step_power_w), fmt_w(d, f->idle_w));
	else
		fprintf(out, "  energy             %s per step; average power "
			"%s (idle %s)\n", fmt_j(a, f->step_j),
			fmt_w(c, f->step_power_w), fmt_w(d, f->idle_w));
	text_energy_parts(&f->e_train, out);
	fprintf(out, "  bottleneck         %s\n",
		report_bottleneck(t, r->p, bn, sizeof(bn)));
	text_train_sync(r, out);
	text_train_pace(r, f, out);
	fprintf(out, "  PE utilisation     %.1f%% of all PE-cycles\n",
		100 * stats_pe_utilisation(t));
	fprintf(out, "  analytic bound     %s per step (no step of this plan "
		"is faster: roofline, not simulated; %s bound)\n",
		report_fmt_s(a, f->roof_step_s),
		stats_limit_name(r->roof.limit));
}

/* The plan the inference ran on. */
static const struct plan *infer_plan(const struct report_in *r)
{
	return r->infer_plan ? r->infer_plan : r->p;
}

/* Which plan the inference figures are of, in words. */
static void text_infer_plan(const struct report_in *r, FILE *out)
{
	const struct plan *p = infer_plan(r), *t = r->p;
	if (p->job != PLAN_JOB_INFER) {
		fprintf(out, "  plan               the training plan's (%s)\n",
			r->infer_kept_training
				? "the plan compiled for inference is "
				  "slower for it by the estimate"
			: p->mode == MODE_STREAMING
				? "weight streaming: no choice in it depends "
				  "on the job"
				: "its kernels and placement chosen for the "
				  "training step");
		return;
	}
	if (!r->infer_plan) {
		fprintf(out, "  plan               compiled for inference\n");
		return;
	}
	int dense = 0, other = 0;
	for (int i = 0; i < p->n_stages && i < t->n_stages; i++) {
		dense += p->stages[i].kind == KERNEL_DENSE;
		other += p->stages[i].kernel != t->stages[i].kernel;
	}
	char a[32];
	fprintf(out, "  plan               its own, compiled for inference: %s "
		"PEs, %d of %d dense stage%s on another kernel than in "
		"training\n", fmt_int(a, plan_pes(p, r->m)), other, dense,
		PLURAL(dense));
}

static void text_infer(const struct report_in *r,
		       const struct report_figures *f, FILE *out)
{
	const struct stats *t = r->infer;
	char a[32], b[32];
	char bn[REPORT_BOTTLENECK_MAX];
	fprintf(out, "\nInference (simulated: %lld sample%s streamed, forward "
		"only)\n", (long long)t->samples, PLURAL(t->samples));
	text_infer_plan(r, out);
	fprintf(out, "  predictions/s      %s  (latency %s per sample)\n",
		fmt_n(a, f->pred_per_s), report_fmt_s(b, f->pred_latency_s));
	fprintf(out, "  energy             %s per prediction; average power %s\n",
		fmt_j(a, f->pred_j), fmt_w(b, f->pred_j * f->pred_per_s));
	fprintf(out, "  bottleneck         %s\n",
		report_bottleneck(t, infer_plan(r), bn, sizeof(bn)));
	if (r->roof.infer_is_bound)
		fprintf(out, "  analytic bound     %s predictions/s at most "
			"(roofline, not simulated)\n",
			fmt_n(a, f->roof_pred_per_s));
	else
		fprintf(out, "  analytic estimate  %s predictions/s at the "
			"slowest stage's or route's pace (not simulated; not a "
			"bound: a finite stream can beat it)\n",
			fmt_n(a, f->roof_pred_per_s));
}

/* One speedup's range, or "unknown"; 1 when unknown because the GPU
 * model has no measured rows of that style and job. */
static int conf_cell(FILE *out, double s, double g, double w)
{
	double lo, hi;
	char a[32], b[32];
	if (report_speedup_range(s, g, w, &lo, &hi)) {
		fprintf(out, "%s-%s", report_fmt_ratio(a, lo),
			report_fmt_ratio(b, hi));
		return 0;
	}
	fputs("unknown", out);
	return isnan(g) && s > 0;
}

/* Beside the speedups, the range the validation errors imply. */
static void text_conf(const struct report_in *r,
		      const struct report_figures *f, FILE *out)
{
	const struct report_conf *c = &r->conf;
	if (!c->present)
		return;
	for (int k = 0; k < 2; k++) {
		if (!(k ? r->infer : r->train))
			continue;
		const double *s = k ? f->speedup_infer : f->speedup_train;
		const double *g = k ? c->gpu_infer_err : c->gpu_train_err;
		fprintf(out, "  speedup range        %s ",
			k ? "inference" : "training");
		int none[2];
		none[0] = conf_cell(out, s[0], g[0], c->wafer_err);
		fputs(" / ", out);
		none[1] = conf_cell(out, s[1], g[1], c->wafer_err);
		fputs(" (GPU time / wafer time per sample, vs eager / graph)",
		      out);
		for (int j = 0; j < 2; j++)
			if (none[j])
				fprintf(out, "; unknown: no measured %s %s "
					"rows to bound the GPU model's error",
					j ? "graph" : "eager",
					k ? "inference" : "training");
		fputs("\n", out);
	}
	fputs("  from validation      GPU model median |error| (training, "
	      "eager / graph) ", out);
	for (int k = 0; k < 2; k++) {
		if (isnan(c->gpu_train_err[k]))
			fputs("unknown", out);
		else
			fprintf(out, "%.0f%%", 100 * c->gpu_train_err[k]);
		fputs(k ? "" : " / ", out);
	}
	fprintf(out, " on %s; wafer model %.1f%% on %s\n", c->gpu_basis,
		100 * c->wafer_err, c->wafer_basis);
}

/* One row of the side-by-side table: each figure with its batch. */
static void gpu_row(FILE *out, const char *what, const char *const v[3],
		    const int64_t batch[3])
{
	fprintf(out, "  %-20s", what);
	for (int k = 0; k < 3; k++) {
		char cell[48];
		snprintf(cell, sizeof(cell), "%s (b=%lld)", v[k],
			 (long long)batch[k]);
		fprintf(out, " %18s", cell);
	}
	fputc('\n', out);
}

/* The ratios in words: "training: the wafer is 76.9x faster than eager
 * and 16.2x faster than graph per sample; it uses 4.0x less energy ..." */
static void gpu_ratios(FILE *out, const char *what, const double sp[2],
		       const double er[2])
{
	char a[48], b[48], c[48], d[48];
	fprintf(out, "  %-20s the wafer is %s than eager and %s than graph "
		"per sample; it uses %s than eager and %s than graph\n",
		what, report_ratio_words(a, sizeof(a), sp[0], "faster", "slower"),
		report_ratio_words(b, sizeof(b), sp[1], "faster", "slower"),
		report_ratio_words(c, sizeof(c), er[0], "less energy",
				   "more energy"),
		report_ratio_words(d, sizeof(d), er[1], "less energy",
				   "more energy"));
}

/* A GPU step that cannot run: the reason in the GPU columns, no time. */
static void text_gpu_cannot(const struct report_in *r, FILE *out)
{
	static const char *const no = "cannot run";
	const char *v[3] = {"", no, no};
	fprintf(out, "  cannot run          %s\n", r->gpu.fit);
	fprintf(out, "  %-20s %18s %18s %18s\n", "", "wafer", "GPU eager",
		"GPU graph");
	for (int k = 0; k < 2; k++) {
		if (!(k ? r->infer : r->train))
			continue;
		fprintf(out, "  %-20s", k ? "inference" : "training");
		v[0] = "see above";
		for (int i = 0; i < 3; i++)
			fprintf(out, " %18s", v[i]);
		fputc('\n', out);
	}
	fprintf(out, "  %-20s no GPU time for a step that cannot run; no "
		"speedup\n", "comparison");
}

static void text_gpu(const struct report_in *r,
		     const struct report_figures *f, FILE *out)
{
	const struct report_gpu *g = &r->gpu;
	char a[48], b[48], c[48]; /* "1073741824000000 (1073741824/GPU)" */
	const char *v[3] = {a, b, c};
	if (g->cannot_run) {
		fprintf(out, "\nGPU baseline: %s, batch %lld (model: "
			"gpu/gpu.h)\n", g->name, (long long)g->batch);
		text_gpu_cannot(r, out);
		return;
	}
	int64_t per = g->batch_per_gpu ? g->batch_per_gpu : g->batch;
	fprintf(out, "\nGPU baseline: %s x %d, batch %lld (%lld per GPU",
		g->name, g->n_gpus, (long long)g->batch, (long long)per);
	if (g->padded)
		fprintf(out, ", %lld repeated sample%s", (long long)g->padded,
			PLURAL(g->padded));
	fprintf(out, "; model: gpu/gpu.h; eager %s bound)\n", g->bound);
	/* more GPUs than asked: the fit line says why */
	if (g->gpus_why[0] && g->n_gpus < g->asked_gpus)
		fprintf(out, "  GPUs                %d of the %d asked: %s\n",
			g->n_gpus, g->asked_gpus, g->gpus_why);
	if (g->padded)
		fprintf(out, "  shares              %lld samples over %d GPUs "
			"do not divide: each takes %lld, %lld of them "
			"repeated (DistributedSampler's padding); the "
			"figures per sample count the %lld distinct\n",
			(long long)g->batch, g->n_gpus, (long long)per,
			(long long)g->padded, (long long)g->batch);
	if (g->fit[0])
		fprintf(out, "  does not fit        %s\n", g->fit);
	fprintf(out, "  energy boundary      the wafer (PEs, SRAM, fabric; "
		"sim/energy.h) beside the GPUs' board power; neither counts "
		"fans, power supplies, hosts or the weight-streaming "
		"appliances; the wafer's is not validated against a "
		"measurement\n");
	fprintf(out, "  %-20s %18s %18s %18s\n", "(b = batch)", "wafer",
		"GPU eager", "GPU graph");
	/* both batches: the GPUs may run their own (run --gpu-batch) */
	snprintf(b, sizeof b, "%lld (%lld/GPU)", (long long)g->batch,
		 (long long)per);
	fprintf(out, "  %-20s %18lld %18s %18s\n", "batch per step",
		(long long)(r->train ? f->samples_per_s * f->step_s + 0.5
				     : r->p->batch), b, b);
	if (g->asked_gpus > 0 && g->n_gpus != g->asked_gpus) {
		snprintf(b, sizeof b, "%d (%d asked)", g->n_gpus,
			 g->asked_gpus);
		fprintf(out, "  %-20s %18s %18s %18s\n", "GPUs", "", b, b);
	}
	if (r->train) {
		int64_t tb[3] = {(int64_t)(f->samples_per_s * f->step_s + 0.5),
				 g->batch, g->batch};
		report_fmt_s(a, f->step_s);
		report_fmt_s(b, g->train_step_s[0]);
		report_fmt_s(c, g->train_step_s[1]);
		gpu_row(out, "training step", v, tb);
		fmt_j(a, f->step_j);
		fmt_j(b, g->train_step_j[0]);
		fmt_j(c, g->train_step_j[1]);
		gpu_row(out, "energy per step", v, tb);
	}
	if (r->infer) {
		int64_t ib[3] = {f->infer_batch, g->batch + g->padded,
				 g->batch + g->padded};
		fmt_n(a, f->pred_per_s);
		fmt_n(b, f->gpu_pred_per_s[0]);
		fmt_n(c, f->gpu_pred_per_s[1]);
		gpu_row(out, "predictions/s", v, ib);
		fmt_j(a, f->pred_j);
		fmt_j(b, f->gpu_pred_j[0]);
		fmt_j(c, f->gpu_pred_j[1]);
		gpu_row(out, "energy/prediction", v, ib);
	}
	if (r->train)
		gpu_ratios(out, "training", f->speedup_train,
			   f->energy_ratio_train);
	if (r->infer)
		gpu_ratios(out, "inference", f->speedup_infer,
			   f->energy_ratio_infer);
	text_conf(r, f, out);
}

static void text_campaign(const struct report_in *r,
			  const struct report_figures *f, FILE *out)
{
	char a[32], b[32];
	fprintf(out, "\nCampaign: %lld training run%s x %lld epoch%s",
		(long long)r->runs, PLURAL(r->runs), (long long)r->epochs,
		PLURAL(r->epochs));
	if (r->predictions > 0)
		fprintf(out, ", %s prediction%s",
			fmt_n(a, (double)r->predictions),
			PLURAL(r->predictions));
	fprintf(out, " (time, energy)\n  %-12s %22s", "", "wafer");
	if (r->gpu.present)
		fprintf(out, " %22s %22s", "GPU eager", "GPU graph");
	fprintf(out, "\n");
	for (int row = 0; row < 2; row++) {
		if (row == 0 && r->train && !f->dataset_known)
			fprintf(out, "  %-12s dataset size unknown: give "
				"--samples\n", "training");
		if (row == 0 && !(r->train && f->dataset_known))
			continue;
		if (row == 1 && !(r->infer && r->predictions > 0))
			continue;
		double ts[3] = {row ? f->predictions_s : f->campaign_s,
				row ? f->gpu_predictions_s[0] : f->gpu_campaign_s[0],
				row ? f->gpu_predictions_s[1] : f->gpu_campaign_s[1]};
		double js[3] = {row ? f->predictions_j : f->campaign_j,
				row ? f->gpu_predictions_j[0] : f->gpu_campaign_j[0],
				row ? f->gpu_predictions_j[1] : f->gpu_campaign_j[1]};
		fprintf(out, "  %-12s", row ? "predictions" : "training");
		for (int k = 0; k < (r->gpu.present ? 3 : 1); k++) {
			char cell[64];
			snprintf(cell, sizeof(cell), "%s, %s",
				 report_fmt_s(a, ts[k]), fmt_j(b, js[k]));
			if (k && r->gpu.cannot_run)
				snprintf(cell, sizeof(cell), "cannot run");
			fprintf(out, " %22s", cell);
		}
		fprintf(out, "\n");
	}
}

/* The text report's sections in order: a section prints when present(r)
 * (NULL: always). */
static const struct report_section {
	const char *title;
	int (*present)(const struct report_in *r);
	void (*text)(const struct report_in *r, const struct report_figures *f,
		     FILE *out);
} report_sections[] = {
	{"head", NULL, text_head},
	{"plan", NULL, text_plan},
	{"kernel", has_region, text_region},
	{"training", has_train, text_train},
	{"inference", has_infer, text_infer},
	{"gpu", has_gpu, text_gpu},
	{"campaign", has_campaign, text_campaign},
};

void report_text(const struct report_in *r, FILE *out)
{
	struct report_figures f;
	report_compute(r, &f);
	for (size_t i = 0; i < sizeof(report_sections) / sizeof(report_sections[0]);
	     i++) {
		const struct report_section *sec = &report_sections[i];
		if (!sec->present || sec->present(r))
			sec->text(r, &f, out);
	}
}

/* ---- JSON ----------------------------------------------------------------
 * Every figure the text prints is here too (a test checks it), in SI units:
 * seconds, joules, watts, bytes, fractions; per-epoch and whole-training
 * figures are null when the dataset size is unknown.  The stage table's
 * columns are stats.stages[] fields (bwd: the two backward passes'
 * occ_cycles; busy: compute + comm over total_cycles). */

static json_t *energy_json(const struct energy_breakdown *e)
{
	json_t *o = ws_json_obj();
	for (int i = 0; i < ENERGY_PARTS; i++)
		ws_json_set_real(o, energy_part_name((enum energy_part)i),
				 e->part_pj[i] * 1e-12);
	return o;
}

/* each part's share of the total (the text's "energy by part") */
static json_t *energy_share_json(const struct energy_breakdown *e)
{
	json_t *o = ws_json_obj();
	for (int i = 0; i < ENERGY_PARTS; i++)
		ws_json_set_real(o, energy_part_name((enum energy_part)i),
				 e->total_pj > 0 ? e->part_pj[i] / e->total_pj
						 : 0);
	return o;
}

/* a figure that is only known with the dataset size */
static void set_known(json_t *o, const char *key, int known, double v)
{
	if (known)
		ws_json_set_real(o, key, v);
	else
		ws_json_set(o, key, json_null());
}

static void train_json_sync(const struct report_in *r, json_t *o)
{
	struct sync_sum sy;
	sync_summary(r->p, r->train, r->m, &sy);
	if (!sy.routes) /* shared weights only: others as before */
		return;
	ws_json_set_int(o, "sync_routes", sy.routes);
	ws_json_set_int(o, "sync_grad_bytes_per_step", sy.grad_bytes);
	ws_json_set_int(o, "sync_weight_bytes_per_step", sy.weight_bytes);
	ws_json_set_int(o, "sync_round_trip_cycles", (int64_t)sy.round_trip);
	ws_json_set_int(o, "sync_lanes", sy.lanes);
	ws_json_set_int(o, "sync_wait_cycles", (int64_t)sy.wait);
}

/* the text's "slowest layer/stage" and "pipeline" lines */
static void train_json_pace(const struct report_in *r,
			    const struct report_figures *f, json_t *o)
{
	const struct stats *t = r->train;
	if (t->slowest_stage >= 0) {
		const struct stats_stage *g = &t->stages[t->slowest_stage];
		json_t *s = ws_json_obj();
		ws_json_set_str(s, "name", g->name);
		ws_json_set_real(s, "sample_cycles",
				 stats_stage_sample_cycles(t, t->slowest_stage));
		if (t->mode == MODE_STREAMING) {
			ws_json_set_real(s, "stream_span_s",
					 (double)g->stream_span_cycles *
						 f->cycle_s);
			double one = (double)g->extmem_in_bytes /
				     (2 * (double)stream_passes(t) *
				      (t->steps > 0 ? t->steps : 1));
			ws_json_set_real(s, "weight_bytes", one);
			ws_json_set_real(s, "weight_stream_s",
					 one / (r->m->extmem.bandwidth_gbytes_s *
						1e9));
			ws_json_set_real(s, "extmem_bytes_s",
					 r->m->extmem.bandwidth_gbytes_s * 1e9);
		}
		ws_json_set(o, "slowest", s);
	}
	ws_json_set_real(o, "pace_batch_cycles",
			 t->pace_cycles * (double)t->batch);
}

static json_t *train_json(const struct report_in *r,
			  const struct report_figures *f)
{
	const struct plan *p = r->p;
	int k = f->dataset_known;
	char bn[REPORT_BOTTLENECK_MAX];
	json_t *o = ws_json_obj();
	ws_json_set_int(o, "batch", r->train->batch);
	ws_json_set_int(o, "steps_simulated", r->train->steps);
	ws_json_set_real(o, "step_s", f->step_s);
	ws_json_set_real(o, "step_first_s", f->step_first_s);
	ws_json_set_real(o, "samples_per_s", f->samples_per_s);
	ws_json_set_real(o, "step_j", f->step_j);
	ws_json_set_real(o, "avg_power_w", f->step_power_w);
	ws_json_set_int(o, "dataset_samples", r->dataset_samples);
	if (k)
		ws_json_set_int(o, "steps_per_epoch", f->steps_per_epoch);
	else
		ws_json_set(o, "steps_per_epoch", json_null());
	set_known(o, "epoch_s", k, f->epoch_s);
	set_known(o, "epoch_j", k, f->epoch_j);
	ws_json_set_int(o, "epochs", r->epochs);
	set_known(o, "train_s", k, f->train_s);
	set_known(o, "train_j", k, f->train_j);
	ws_json_set_str(o, "bottleneck",
			report_bottleneck(r->train, p, bn, sizeof(bn)));
	train_json_sync(r, o);
	train_json_pace(r, f, o);
	if (r->train->mode == MODE_STREAMING) { /* streaming only */
		ws_json_set_int(o, "micro_batch", r->train->micro_batch);
		ws_json_set_int(o, "recompute", r->train->recompute);
		ws_json_set_int(o, "wafers", r->train->wafers);
		ws_json_set_str(o, "micro_reason", p->micro_reason);
	}
	ws_json_set_real(o, "roofline_step_s", f->roof_step_s);
	ws_json_set_str(o, "roofline_limit", stats_limit_name(r->roof.limit));
	ws_json_set(o, "energy_j", energy_json(&f->e_train));
	ws_json_set(o, "energy_share", energy_share_json(&f->e_train));
	ws_json_set(o, "stats", stats_json(r->train));
	return o;
}

static json_t *infer_json(const struct report_in *r,
			  const struct report_figures *f)
{
	char bn[REPORT_BOTTLENECK_MAX];
	json_t *o = ws_json_obj();
	ws_json_set_int(o, "samples", r->infer->samples);
	ws_json_set_int(o, "batch", f->infer_batch);
	ws_json_set_real(o, "predictions_per_s", f->pred_per_s);
	ws_json_set_real(o, "latency_s", f->pred_latency_s);
	ws_json_set_real(o, "prediction_j", f->pred_j);
	ws_json_set_real(o, "avg_power_w", f->pred_j * f->pred_per_s);
	ws_json_set_str(o, "bottleneck",
			report_bottleneck(r->infer, infer_plan(r), bn,
					  sizeof(bn)));
	ws_json_set_str(o, "plan",
			infer_plan(r)->job != PLAN_JOB_INFER ? "training"
			: r->infer_plan			       ? "inference, its own"
							       : "inference");
	ws_json_set_real(o, "roofline_predictions_per_s", f->roof_pred_per_s);
	ws_json_set(o, "roofline_is_bound",
		    json_boolean(r->roof.infer_is_bound));
	ws_json_set(o, "energy_j", energy_json(&f->e_infer));
	ws_json_set(o, "energy_share", energy_share_json(&f->e_infer));
	ws_json_set(o, "stats", stats_json(r->infer));
	return o;
}

/* the speedup's range from the validation errors: [lo, hi] or null */
static json_t *range_json(double s, double g, double w)
{
	double lo, hi;
	if (!report_speedup_range(s, g, w, &lo, &hi))
		return json_null();
	return ws_json_reals((const double[]){lo, hi}, 2);
}

static json_t *gpu_style_json(const struct report_in *r,
			      const struct report_figures *f, int k)
{
	const struct report_conf *c = &r->conf;
	json_t *s = ws_json_obj();
	ws_json_set_real(s, "step_s", r->gpu.train_step_s[k]);
	ws_json_set_real(s, "step_j", r->gpu.train_step_j[k]);
	ws_json_set_real(s, "predictions_per_s", f->gpu_pred_per_s[k]);
	ws_json_set_real(s, "prediction_j", f->gpu_pred_j[k]);
	ws_json_set_real(s, "speedup_train", f->speedup_train[k]);
	ws_json_set_real(s, "energy_ratio_train", f->energy_ratio_train[k]);
	ws_json_set_real(s, "speedup_infer", f->speedup_infer[k]);
	ws_json_set_real(s, "energy_ratio_infer", f->energy_ratio_infer[k]);
	if (c->present) {
		ws_json_set(s, "speedup_train_range",
			    range_json(f->speedup_train[k], c->gpu_train_err[k],
				       c->wafer_err));
		ws_json_set(s, "speedup_infer_range",
			    range_json(f->speedup_infer[k], c->gpu_infer_err[k],
				       c->wafer_err));
		ws_json_set_real(s, "model_train_error", c->gpu_train_err[k]);
		ws_json_set_real(s, "model_infer_error", c->gpu_infer_err[k]);
	}
	return s;
}

static json_t *gpu_json(const struct report_in *r,
			const struct report_figures *f)
{
	json_t *o = ws_json_obj();
	ws_json_set_str(o, "name", r->gpu.name);
	ws_json_set_int(o, "gpus", r->gpu.n_gpus);
	ws_json_set_int(o, "asked_gpus", r->gpu.asked_gpus);
	ws_json_set_int(o, "batch", r->gpu.batch);
	ws_json_set_int(o, "batch_per_gpu", r->gpu.batch_per_gpu
						    ? r->gpu.batch_per_gpu
						    : r->gpu.batch);
	ws_json_set_int(o, "padded_samples", r->gpu.padded);
	if (r->gpu.gpus_why[0])
		ws_json_set_str(o, "gpus_why", r->gpu.gpus_why);
	ws_json_set_str(o, "fit", r->gpu.cannot_run ? "cannot run"
				  : r->gpu.fit[0] ? r->gpu.fit : "as-is");
	ws_json_set_str(o, "sharding", r->gpu.sharding);
	if (r->gpu.cannot_run) { /* no times for what cannot run */
		ws_json_set_str(o, "why", r->gpu.fit);
		ws_json_set(o, "eager", json_null());
		ws_json_set(o, "graph", json_null());
		return o;
	}
	ws_json_set_str(o, "bound", r->gpu.bound);
	if (r->conf.present) {
		ws_json_set_real(o, "wafer_model_error", r->conf.wafer_err);
		ws_json_set_str(o, "gpu_error_basis", r->conf.gpu_basis);
		ws_json_set_str(o, "wafer_error_basis", r->conf.wafer_basis);
		ws_json_set_int(o, "wafer_error_kernel_rows",
				r->conf.wafer_kernel_rows);
		ws_json_set_int(o, "wafer_error_network_rows",
				r->conf.wafer_network_rows);
	}
	ws_json_set(o, "eager", gpu_style_json(r, f, 0));
	ws_json_set(o, "graph", gpu_style_json(r, f, 1));
	return o;
}

static json_t *campaign_json(const struct report_in *r,
			     const struct report_figures *f)
{
	static const char *const st[2] = {"eager", "graph"};
	int k = f->dataset_known;
	json_t *o = ws_json_obj();
	ws_json_set_int(o, "runs", r->runs);
	ws_json_set_int(o, "epochs", r->epochs);
	ws_json_set_int(o, "predictions", r->predictions);
	set_known(o, "train_s", k, f->campaign_s);
	set_known(o, "train_j", k, f->campaign_j);
	ws_json_set_real(o, "predictions_s", f->predictions_s);
	ws_json_set_real(o, "predictions_j", f->predictions_j);
	int runs = !r->gpu.cannot_run; /* else null: no time */
	for (int i = 0; r->gpu.present && i < 2; i++) {
		char key[48];
		snprintf(key, sizeof(key), "gpu_%s_train_s", st[i]);
		set_known(o, key, k && runs, f->gpu_campaign_s[i]);
		snprintf(key, sizeof(key), "gpu_%s_train_j", st[i]);
		set_known(o, key, k && runs, f->gpu_campaign_j[i]);
		snprintf(key, sizeof(key), "gpu_%s_predictions_s", st[i]);
		set_known(o, key, runs, f->gpu_predictions_s[i]);
		snprintf(key, sizeof(key), "gpu_%s_predictions_j", st[i]);
		set_known(o, key, runs, f->gpu_predictions_j[i]);
	}
	return o;
}

/* the head and plan lines */
static void head_json(const struct report_in *r, json_t *o)
{
	const struct plan *p = r->p;
	const struct machine *m = r->m;
	const struct stats *any = any_stats(r);
	int64_t used = 0;
	for (int i = 0; i < p->n_stages; i++) /* time-shared: once */
		if (map_share_root(p, i) == i)
			used += (int64_t)p->stages[i].r.w * p->stages[i].r.h;
	if (p->mode == MODE_STREAMING && p->n_stages > 0)
		used = machine_pes(m);
	ws_json_set_str(o, "network", p->network);
	ws_json_set_str(o, "machine", m->name);
	ws_json_set_int(o, "width", m->width);
	ws_json_set_int(o, "height", m->height);
	ws_json_set_real(o, "clock_ghz", m->clock_ghz);
	ws_json_set_int(o, "batch", any ? any->batch : p->batch);
	ws_json_set_str(o, "mode",
			p->mode == MODE_STREAMING ? "streaming" : "pipelined");
	ws_json_set_str(o, "mode_reason", p->mode_reason);
	ws_json_set_str(o, "strategy", p->strategy);
	ws_json_set(o, "sharing", map_share_json(p));
	ws_json_set_str(o, "dtype", p->prec == PREC_FP32 ? "fp32" : "mixed");
	ws_json_set_str(o, "precision", prec_name(p->prec));
	ws_json_set_int(o, "stages", p->n_stages);
	ws_json_set_int(o, "routes", p->n_routes);
	ws_json_set_int(o, "colors_used", p->colors_used);
	ws_json_set_int(o, "pes_used", used);
	ws_json_set_int(o, "pes", machine_pes(m));
	ws_json_set_real(o, "pes_used_share",
			 (double)used / (double)machine_pes(m));
}

void report_json(const struct report_in *r, FILE *out)
{
	struct report_figures f;
	report_compute(r, &f);
	json_t *o = ws_json_obj();
	head_json(r, o);
	ws_json_set_real(o, "idle_power_w", f.idle_w);
	ws_json_set_real(o, "full_load_power_w", f.full_load_w);
	if (r->train)
		ws_json_set(o, "train", train_json(r, &f));
	if (r->infer)
		ws_json_set(o, "infer", infer_json(r, &f));
	if (r->gpu.present)
		ws_json_set(o, "gpu", gpu_json(r, &f));
	ws_json_set(o, "campaign", campaign_json(r, &f));
	ws_json_write(out, o, WS_JSON_INDENT);
}
