/*
 * sweep.c: design-space sweeps (sweep.h).
 *
 * What must stay true: a point's row is a function of (spec, index) only.
 * Nothing here reads the clock into a result, the annealer's time cap is
 * out of reach, and the inputs loaded by sweep_prepare are shared read-only
 * by every thread.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/place.h"
#include "sim/engine.h"
#include "sim/report.h"
#include "sim/stats.h"
#include "cli/cli.h"
#include "cli/sweep.h"
#include "ground/json_io.h"
#include "ground/stat_field.h"
#include "ground/util.h"

/* Sizes of the axes, slowest first: net, machine, the --set axes,
 * strategy, batch, dtype, mode, kernel, wafers, seed. */
static int axis_sizes(const struct sweep *sw, int64_t *size)
{
	const struct sweep_spec *s = &sw->spec;
	int n = 0;
	size[n++] = s->n_nets;
	size[n++] = s->n_machines;
	for (int k = 0; k < s->n_sets; k++)
		size[n++] = s->sets[k].n_values;
	size[n++] = s->n_strategies;
	size[n++] = s->n_batches;
	size[n++] = s->n_dtypes;
	size[n++] = s->n_modes;
	size[n++] = s->n_kernels;
	size[n++] = s->n_wafers;
	size[n++] = s->n_seeds;
	return n;
}

void sweep_point_coords(const struct sweep *sw, int64_t i,
			struct sweep_result *r)
{
	int64_t size[SWEEP_MAX_SETS + 10];
	int at[SWEEP_MAX_SETS + 10];
	int n = axis_sizes(sw, size);
	for (int k = n - 1; k >= 0; k--) {
		at[k] = (int)(i % size[k]);
		i /= size[k];
	}
	int k = 0;
	r->net = at[k++];
	r->machine = at[k++];
	for (int a = 0; a < sw->spec.n_sets; a++)
		r->set[a] = at[k++];
	r->strategy = at[k++];
	r->batch = at[k++];
	r->dtype = at[k++];
	r->mode_i = at[k++];
	r->kernel_i = at[k++];
	r->wafers_i = at[k++];
	r->seed_i = at[k++];
}

/* The machine of a point: its preset with its --set values. */
static const struct machine *point_machine(const struct sweep *sw,
					   const struct sweep_result *r)
{
	int64_t c = 0;
	for (int k = 0; k < sw->spec.n_sets; k++)
		c = c * sw->spec.sets[k].n_values + r->set[k];
	return &sw->machines[r->machine * sw->n_combos + c];
}

static void point_fail(struct sweep_result *r, const struct diag *d)
{
	r->ok = 0;
	const char *t = diag_text(d, 0);
	size_t n = sizeof(r->error);
	if (snprintf(r->error, n, "%s", t ? t : "failed") >= (int)n)
		memcpy(r->error + n - 4, "...", 4);
}

/* The GPU baseline of a point: `gpus` GPUs data parallel, each with
 * --gpu-batch samples (default: the wafer's global batch shared out as
 * run does, on at most one GPU per sample: cli_ddp_gpus). */
static int point_gpu(const struct sweep *sw, const struct graph *g,
		     enum pe_prec prec, struct sweep_result *r, struct diag *d)
{
	const struct sweep_spec *s = &sw->spec;
	int64_t n = s->gpu_batch ? (s->gpus > 0 ? s->gpus : 1)
				 : cli_ddp_gpus(r->batch_samples, s->gpus);
	struct gpu_run_opts go;
	gpu_run_opts_default(&go);
	if (s->gpu_batch)
		go.batch = s->gpu_batch;
	else /* kept when the state needs more GPUs */
		go.global_batch = r->batch_samples;
	go.dtype = prec == PREC_FP32 ? DT_FP32 : DT_BF16;
	go.n_gpus = (int)n;
	go.style = GPU_EAGER;
	go.optimizer = OPT_MOMENTUM;
	struct gpu_result gr;
	memset(&gr, 0, sizeof(gr));
	int rc = gpu_estimate(&sw->gpu, g, &go, &gr, d);
	if (rc == 0 && gr.runs) { /* no GPU figures for what cannot run */
		n = gr.n_gpus; /* more when the state needs them */
		r->gpu = 1;
		r->gpu_batch = gr.batch;
		r->gpus_used = gr.n_gpus;
		snprintf(r->gpu_sharding, sizeof(r->gpu_sharding), "%s",
			 gpu_shard_name(gr.shard));
		r->gpu_step_s = gr.train.seconds;
		/* the step's distinct samples: the global batch (beyond it
		 * the sampler's repeats: cli_ddp_padded), or --gpu-batch x N */
		double gpu_samples = s->gpu_batch ? (double)(gr.batch * n)
						  : (double)r->batch_samples;
		/* the same batch: the ratio of step times (as it always was) */
		if (!s->gpu_batch || gr.batch * n == r->batch_samples)
			r->speedup = r->step_s > 0 ? gr.train.seconds / r->step_s
						   : 0;
		else
			r->speedup = gr.train.seconds > 0
					     ? r->samples_per_s /
						       (gpu_samples /
							gr.train.seconds)
					     : 0;
	}
	gpu_result_release(&gr);
	return rc;
}

/* The figures of a point whose plan ran (st) into r. */
static void point_figures(const struct plan *p, const struct graph *g,
			  const struct machine *m, const struct stats *st,
			  struct sweep_result *r)
{
	struct report_in ri;
	memset(&ri, 0, sizeof(ri));
	ri.p = p;
	ri.g = g;
	ri.m = m;
	ri.train = st;
	ri.epochs = 1;
	ri.runs = 1;
	ri.dataset_samples = g->dataset_samples;
	engine_roofline_run(p, m, p->batch, 0, st->wafers, &ri.roof);
	struct report_figures f;
	report_compute(&ri, &f);
	r->ok = 1;
	snprintf(r->mode, sizeof(r->mode), "%s", plan_mode_name(st->mode));
	snprintf(r->placed_by, sizeof(r->placed_by), "%s",
		 p->strategy ? p->strategy : "");
	r->step_s = f.step_s;
	r->samples_per_s = f.samples_per_s;
	r->step_j = f.step_j;
	r->power_w = f.step_power_w;
	snprintf(r->limit, sizeof(r->limit), "%s",
		 stats_limit_name(st->bottleneck));
	report_bottleneck(st, p, r->bottleneck, sizeof(r->bottleneck));
	r->pes_used = p->pes_used;
	r->pes_total = machine_pes(m);
}

void sweep_point(const struct sweep *sw, int64_t i, struct sweep_result *r)
{
	memset(r, 0, sizeof(*r));
	r->index = i;
	sweep_point_coords(sw, i, r);
	const struct sweep_spec *s = &sw->spec;
	const struct graph *g = &sw->graphs[r->net];
	const struct machine *m = point_machine(sw, r);
	enum pe_prec prec = s->dtypes[r->dtype];
	int64_t batch = s->batches[r->batch];
	int64_t wafers = s->wafers[r->wafers_i];
	r->batch_samples = batch;
	/* each wafer runs its share of the global batch (as run --wafers) */
	batch = (batch + wafers - 1) / wafers;

	struct diag d;
	diag_init(&d);
	struct plan p;
	struct stats st;
	plan_init(&p);
	stats_init(&st);

	struct plan_opts po;
	plan_opts_init(&po);
	po.strategy = s->strategies[r->strategy];
	po.batch = batch;
	po.prec = prec;
	po.opt = OPT_MOMENTUM;
	po.mode = (enum exec_mode)s->modes[r->mode_i];
	po.seed = (uint64_t)s->seeds[r->seed_i];
	po.kernel = s->kernels[r->kernel_i];
	po.wafers = wafers;
	/* no wall-clock cap: anneal counts moves, so a row never depends on
	 * the speed or the load of the machine (sweep.h) */
	po.time_budget_s = 0;
	if (plan_build(g, m, &po, &p, &d)) {
		point_fail(r, &d);
		goto done;
	}
	p.batch = batch;
	struct engine_opts eo;
	engine_opts_init(&eo);
	eo.job = ENGINE_TRAIN;
	eo.batch = batch;
	eo.steps = s->steps;
	eo.max_memory_bytes = s->max_memory;
	eo.wafers = (int)wafers;
	if (engine_run(&p, g, m, &eo, &st, &d)) {
		point_fail(r, &d);
		goto done;
	}
	point_figures(&p, g, m, &st, r);
	if (s->gpu && point_gpu(sw, g, prec, r, &d))
		point_fail(r, &d);
done:
	stats_release(&st);
	plan_release(&p);
	diag_release(&d);
}

/* ---- threads -------------------------------------------------------------- */

struct pool {
	const struct sweep *sw;
	struct sweep_result *res;
	int share, n_shares;
	pthread_mutex_t lock;
	int64_t next, done, total;
	struct sweep_journal *journal; /* may be NULL */
	volatile const int *stop;      /* may be NULL */
	void (*progress)(void *ctx, int64_t done, int64_t total);
	void *ctx;
};

static void *worker(void *arg)
{
	struct pool *pl = arg;
	for (;;) {
		if (pl->stop && *pl->stop)
			break;
		pthread_mutex_lock(&pl->lock);
		int64_t k = pl->next++;
		pthread_mutex_unlock(&pl->lock);
		int64_t i = pl->share + k * pl->n_shares;
		if (i >= pl->sw->n_points)
			break;
		if (pl->journal && pl->journal->done[i])
			continue; /* read back from a journal */
		/* each result has its own slot: no lock needed to fill it */
		sweep_point(pl->sw, i, &pl->res[i]);
		pthread_mutex_lock(&pl->lock);
		sweep_journal_add(pl->journal, &pl->res[i]);
		pl->done++;
		if (pl->progress)
			pl->progress(pl->ctx, pl->done, pl->total);
		pthread_mutex_unlock(&pl->lock);
	}
	return NULL;
}

int64_t sweep_share_points(const struct sweep *sw, int share, int n_shares)
{
	if (share >= sw->n_points)
		return 0;
	return (sw->n_points - share + n_shares - 1) / n_shares;
}

/* A record read back from a journal whose check holds is still refused
 * unless this sweep could have written it: its coordinates those of its
 * index (they index the spec's lists when the CSV is written) and its
 * strings terminated.  A journal edited by hand, or of a build whose
 * record differs but has the same size, crashed --resume. */
static int record_fits(const struct sweep *sw, const struct sweep_result *r)
{
	struct sweep_result c;
	memset(&c, 0, sizeof(c));
	sweep_point_coords(sw, r->index, &c);
	const char *strs[] = {r->error, r->mode, r->placed_by, r->limit,
			      r->bottleneck, r->gpu_sharding};
	const size_t lens[] = {sizeof(r->error), sizeof(r->mode),
			       sizeof(r->placed_by), sizeof(r->limit),
			       sizeof(r->bottleneck), sizeof(r->gpu_sharding)};
	for (size_t i = 0; i < ARRAY_SIZE(lens); i++)
		if (!memchr(strs[i], '\0', lens[i]))
			return 0;
	return (r->ok == 0 || r->ok == 1) && c.net == r->net &&
	       c.machine == r->machine && c.strategy == r->strategy &&
	       c.batch == r->batch && c.dtype == r->dtype &&
	       c.mode_i == r->mode_i && c.seed_i == r->seed_i &&
	       c.kernel_i == r->kernel_i && c.wafers_i == r->wafers_i &&
	       !memcmp(c.set, r->set, sizeof(c.set));
}

int64_t sweep_resumed_check(const struct sweep *sw, struct sweep_journal *j,
			    const struct sweep_result *res)
{
	int64_t dropped = 0;
	for (int64_t i = 0; j && j->done && i < sw->n_points; i++)
		if (j->done[i] &&
		    (res[i].index != i || !record_fits(sw, &res[i]))) {
			j->done[i] = 0;
			dropped++;
		}
	if (j)
		j->n_resumed -= dropped;
	return dropped;
}

int64_t sweep_run_journaled(const struct sweep *sw, int share, int n_shares,
			    int jobs, struct sweep_result *results,
			    struct sweep_journal *j, volatile const int *stop,
			    void (*progress)(void *ctx, int64_t done,
					     int64_t total),
			    void *ctx)
{
	struct pool pl;
	memset(&pl, 0, sizeof(pl));
	pl.sw = sw;
	pl.res = results;
	pl.share = share;
	pl.n_shares = n_shares;
	pl.total = sweep_share_points(sw, share, n_shares);
	pl.journal = j;
	pl.stop = stop;
	pl.progress = progress;
	pl.ctx = ctx;
	int64_t todo = pl.total;
	sweep_resumed_check(sw, j, results);
	for (int64_t i = share; j && i < sw->n_points; i += n_shares)
		todo -= j->done[i];
	pl.total = todo;
	pthread_mutex_init(&pl.lock, NULL);
	if (jobs < 1)
		jobs = 1;
	if (jobs > todo)
		jobs = (int)(todo ? todo : 1);
	int started = 0;
	pthread_t *t = xcalloc((size_t)jobs, sizeof(*t));
	if (jobs > 1)
		for (; started < jobs; started++)
			if (pthread_create(&t[started], NULL, worker, &pl))
				break;
	if (started == 0) /* one job, or no thread could start: run here */
		worker(&pl);
	for (int k = 0; k < started; k++)
		pthread_join(t[k], NULL);
	free(t);
	pthread_mutex_destroy(&pl.lock);
	return todo - pl.done;
}

int sweep_run_share(const struct sweep *sw, int share, int n_shares, int jobs,
		    struct sweep_result *results,
		    void (*progress)(void *ctx, int64_t done, int64_t total),
		    void *ctx)
{
	sweep_run_journaled(sw, share, n_shares, jobs, results, NULL, NULL,
			    progress, ctx);
	return 0;
}

int sweep_run(const struct sweep *sw, int jobs, struct sweep_result *results,
	      void (*progress)(void *ctx, int64_t done, int64_t total),
	      void *ctx)
{
	return sweep_run_share(sw, 0, 1, jobs, results, progress, ctx);
}

/* ---- output --------------------------------------------------------------- */

static void csv_double(FILE *out, double v)
{
	char b[32];
	fputs(fmt_double_exact(b, v), out);
}

/* Header cells of the point's coordinates, after "index". */
static void csv_coord_header(const struct sweep *sw, FILE *out)
{
	const struct sweep_spec *s = &sw->spec;
	fputs(",net,machine", out);
	for (int k = 0; k < s->n_sets; k++) {
		fputc(',', out);
		sf_csv_str(out, s->sets[k].key);
	}
	fputs(",strategy,batch,dtype", out);
	if (sw->show_mode)
		fputs(",asked_mode", out);
	if (sw->show_kernel)
		fputs(",kernel", out);
	if (sw->show_wafers)
		fputs(",wafers", out);
	if (sw->show_seed)
		fputs(",seed", out);
}

static void csv_coords(const struct sweep *sw, const struct sweep_result *r,
		       FILE *out)
{
	const struct sweep_spec *s = &sw->spec;
	fputc(',', out);
	sf_csv_str(out, s->nets[r->net]);
	fputc(',', out);
	sf_csv_str(out, s->machines[r->machine]);
	for (int k = 0; k < s->n_sets; k++) {
		fputc(',', out);
		sf_csv_str(out, s->sets[k].values[r->set[k]]);
	}
	fputc(',', out);
	sf_csv_str(out, s->strategies[r->strategy]);
	fprintf(out, ",%lld,%s", (long long)r->batch_samples,
		plan_prec_name(s->dtypes[r->dtype]));
	if (sw->show_mode)
		fprintf(out, ",%s",
			plan_mode_name((enum exec_mode)s->modes[r->mode_i]));
	if (sw->show_kernel)
		fprintf(out, ",%s", s->kernels[r->kernel_i]);
	if (sw->show_wafers)
		fprintf(out, ",%lld", (long long)s->wafers[r->wafers_i]);
	if (sw->show_seed)
		fprintf(out, ",%lld", (long long)s->seeds[r->seed_i]);
}

static void csv_figures(const struct sweep_result *r, FILE *out)
{
	fprintf(out, "%s,", r->mode);
	csv_double(out, r->step_s);
	fputc(',', out);
	csv_double(out, r->samples_per_s);
	fputc(',', out);
	csv_double(out, r->step_j);
	fputc(',', out);
	csv_double(out, r->power_w);
	fprintf(out, ",%s,", r->limit);
	sf_csv_str(out, r->bottleneck);
	fprintf(out, ",%lld,%lld", (long long)r->pes_used,
		(long long)r->pes_total);
}

static void csv_gpu(const struct sweep *sw, const struct sweep_result *r,
		    FILE *out)
{
	const struct sweep_spec *s = &sw->spec;
	fputc(',', out);
	sf_csv_str(out, s->gpu);
	int shown = r->ok && r->gpu;
	if (sw->show_gpus) {
		fprintf(out, ",%d,", s->gpus > 0 ? s->gpus : 1);
		if (shown)
			fprintf(out, "%lld", (long long)r->gpu_batch);
	}
	fputc(',', out);
	if (shown) {
		csv_double(out, r->gpu_step_s);
		fputc(',', out);
		csv_double(out, r->speedup);
	} else {
		fputc(',', out);
	}
}

void sweep_write_csv(const struct sweep *sw, const struct sweep_result *res,
		     FILE *out)
{
	const struct sweep_spec *s = &sw->spec;
	fputs("index", out);
	csv_coord_header(sw, out);
	fputs(",status,mode,step_s,samples_per_s,step_j,power_w,limit,"
	      "bottleneck,pes_used,pes_total", out);
	if (s->gpu)
		fputs(sw->show_gpus ? ",gpu,gpus,gpu_batch,gpu_step_s,speedup"
				    : ",gpu,gpu_step_s,speedup",
		      out);
	/* appended after error: the columns of earlier sweeps keep their
	 * places */
	fputs(s->gpu ? ",error,gpus_used,gpu_sharding\n" : ",error\n", out);
	for (int64_t i = 0; i < sw->n_points; i++) {
		const struct sweep_result *r = &res[i];
		fprintf(out, "%lld", (long long)r->index);
		csv_coords(sw, r, out);
		fprintf(out, ",%s,", r->ok ? "ok" : "error");
		if (r->ok)
			csv_figures(r, out);
		else
			fputs(",,,,,,,,", out);
		if (s->gpu)
			csv_gpu(sw, r, out);
		fputc(',', out);
		sf_csv_str(out, r->ok ? "" : r->error);
		if (s->gpu && r->ok && r->gpu)
			fprintf(out, ",%d,%s", r->gpus_used, r->gpu_sharding);
		else if (s->gpu)
			fputs(",,", out);
		fputc('\n', out);
	}
}

/* Points after the strategy axis (batch, dtype, mode, kernel, wafers,
 * seed): the stride between two strategies of a group. */
static int64_t strategy_stride(const struct sweep *sw)
{
	const struct sweep_spec *s = &sw->spec;
	return (int64_t)s->n_batches * s->n_dtypes * s->n_modes *
	       s->n_kernels * s->n_wafers * s->n_seeds;
}

/* Best point of each group (the points that differ only in the strategy)
 * by samples/s (ties: the earlier point); -1 when none of it ran. */
static int64_t group_best(const struct sweep *sw,
			  const struct sweep_result *res, int64_t first,
			  int *failed)
{
	const struct sweep_spec *s = &sw->spec;
	int64_t stride = strategy_stride(sw);
	int64_t best = -1;
	*failed = 0;
	for (int k = 0; k < s->n_strategies; k++) {
		const struct sweep_result *r = &res[first + k * stride];
		if (!r->ok) {
			(*failed)++;
			continue;
		}
		if (best < 0 || r->samples_per_s > res[best].samples_per_s)
			best = first + k * stride;
	}
	return best;
}

/* Groups, in point order: how many, and the first point of group k (its
 * strategy 0). */
static int64_t n_groups(const struct sweep *sw)
{
	return sw->n_points / sw->spec.n_strategies;
}

static int64_t group_first(const struct sweep *sw, int64_t k)
{
	int64_t inner = strategy_stride(sw);
	return (k / inner) * sw->spec.n_strategies * inner + k % inner;
}

/* Width of the summary column of --set axis k: its key or longest value. */
static int set_width(const struct sweep_axis *a)
{
	int w = (int)strlen(a->key);
	for (int v = 0; v < a->n_values; v++)
		if ((int)strlen(a->values[v]) > w)
			w = (int)strlen(a->values[v]);
	return w;
}

/* The group's coordinates (r: one of its points), or the header (r NULL):
 * net, machine, the --set values, batch, dtype, asked mode, kernel,
 * wafers, seed. */
static void summary_coords(const struct sweep *sw,
			   const struct sweep_result *r, FILE *out)
{
	const struct sweep_spec *s = &sw->spec;
	fprintf(out, "%-12s %-10s ", r ? s->nets[r->net] : "net",
		r ? s->machines[r->machine] : "machine");
	for (int k = 0; k < s->n_sets; k++)
		fprintf(out, "%-*s ", set_width(&s->sets[k]),
			r ? s->sets[k].values[r->set[k]] : s->sets[k].key);
	if (r)
		fprintf(out, "%6lld %-6s ", (long long)r->batch_samples,
			plan_prec_name(s->dtypes[r->dtype]));
	else
		fprintf(out, "%6s %-6s ", "batch", "dtype");
	if (sw->show_mode)
		fprintf(out, "%-9s ",
			r ? plan_mode_name((enum exec_mode)s->modes[r->mode_i])
			  : "mode");
	if (sw->show_kernel)
		fprintf(out, "%-12s ", r ? s->kernels[r->kernel_i] : "kernel");
	if (sw->show_wafers && r)
		fprintf(out, "%6lld ", (long long)s->wafers[r->wafers_i]);
	else if (sw->show_wafers)
		fprintf(out, "%6s ", "wafers");
	if (sw->show_seed && r)
		fprintf(out, "%10lld ", (long long)s->seeds[r->seed_i]);
	else if (sw->show_seed)
		fprintf(out, "%10s ", "seed");
}

void sweep_write_summary(const struct sweep *sw,
			 const struct sweep_result *res, FILE *out)
{
	const struct sweep_spec *s = &sw->spec;
	int64_t ok = 0;
	for (int64_t i = 0; i < sw->n_points; i++)
		ok += res[i].ok;
	fprintf(out, "sweep: %lld points, %lld ran, %lld failed\n",
		(long long)sw->n_points, (long long)ok,
		(long long)(sw->n_points - ok));
	summary_coords(sw, NULL, out);
	fprintf(out, "%-16s %11s %13s %11s %9s%s\n", "best", "step",
		"samples/s", "energy/step", "PEs used",
		s->gpu ? "  speedup" : "");
	for (int64_t k = 0; k < n_groups(sw); k++) {
		int64_t first = group_first(sw, k);
		int failed;
		int64_t b = group_best(sw, res, first, &failed);
		summary_coords(sw, &res[first], out);
		if (b < 0) {
			fprintf(out, "(no strategy could run it)\n");
			continue;
		}
		const struct sweep_result *x = &res[b];
		char t[32];
		double pct = x->pes_total
				     ? 100.0 * (double)x->pes_used /
					       (double)x->pes_total
				     : 0;
		char name[40];
		const char *asked = s->strategies[x->strategy];
		if (x->placed_by[0] && strcmp(x->placed_by, asked))
			snprintf(name, sizeof(name), "%s (%s)", asked,
				 x->placed_by);
		else
			snprintf(name, sizeof(name), "%s", asked);
		fprintf(out, "%-16s %11s %13.4g %9.4g J %8.1f%%", name,
			report_fmt_s(t, x->step_s),
			x->samples_per_s, x->step_j, pct);
		if (s->gpu)
			fprintf(out, "  %6.2fx", x->speedup);
		if (failed)
			fprintf(out, "  (%d failed)", failed);
		fputc('\n', out);
	}
}

static json_t *point_json(const struct sweep *sw,
			  const struct sweep_result *r)
{
	const struct sweep_spec *s = &sw->spec;
	json_t *o = ws_json_obj();
	ws_json_set_int(o, "index", r->index);
	ws_json_set_str(o, "net", s->nets[r->net]);
	ws_json_set_str(o, "machine", s->machines[r->machine]);
	if (s->n_sets) {
		json_t *set = ws_json_obj();
		for (int k = 0; k < s->n_sets; k++)
			ws_json_set_str(set, s->sets[k].key,
					s->sets[k].values[r->set[k]]);
		ws_json_set(o, "set", set);
	}
	ws_json_set_str(o, "strategy", s->strategies[r->strategy]);
	ws_json_set_int(o, "batch", r->batch_samples);
	ws_json_set_str(o, "dtype", plan_prec_name(s->dtypes[r->dtype]));
	if (sw->show_mode)
		ws_json_set_str(o, "asked_mode",
				plan_mode_name((enum exec_mode)
						       s->modes[r->mode_i]));
	if (sw->show_kernel)
		ws_json_set_str(o, "kernel", s->kernels[r->kernel_i]);
	if (sw->show_wafers)
		ws_json_set_int(o, "wafers", s->wafers[r->wafers_i]);
	if (sw->show_seed)
		ws_json_set_int(o, "seed", s->seeds[r->seed_i]);
	ws_json_set(o, "ok", json_boolean(r->ok));
	if (!r->ok) {
		ws_json_set_str(o, "error", r->error);
		return o;
	}
	ws_json_set_str(o, "mode", r->mode);
	ws_json_set_real(o, "step_s", r->step_s);
	ws_json_set_real(o, "samples_per_s", r->samples_per_s);
	ws_json_set_real(o, "step_j", r->step_j);
	ws_json_set_real(o, "power_w", r->power_w);
	ws_json_set_str(o, "limit", r->limit);
	ws_json_set_str(o, "bottleneck", r->bottleneck);
	ws_json_set_int(o, "pes_used", r->pes_used);
	ws_json_set_int(o, "pes_total", r->pes_total);
	if (r->gpu) {
		if (sw->show_gpus) {
			ws_json_set_int(o, "gpus", s->gpus > 0 ? s->gpus : 1);
			ws_json_set_int(o, "gpu_batch", r->gpu_batch);
		}
		ws_json_set_real(o, "gpu_step_s", r->gpu_step_s);
		ws_json_set_real(o, "speedup", r->speedup);
		/* as run --json's gpu.gpus and gpu.sharding */
		ws_json_set_int(o, "gpus_used", r->gpus_used);
		ws_json_set_str(o, "gpu_sharding", r->gpu_sharding);
	}
	return o;
}

void sweep_write_json(const struct sweep *sw, const struct sweep_result *res,
		      FILE *out)
{
	json_t *o = ws_json_obj(), *a = ws_json_arr(), *best = ws_json_arr();
	for (int64_t i = 0; i < sw->n_points; i++)
		ws_json_push(a, point_json(sw, &res[i]));
	ws_json_set(o, "points", a);
	for (int64_t k = 0; k < n_groups(sw); k++) {
		int64_t first = group_first(sw, k);
		int failed;
		int64_t b = group_best(sw, res, first, &failed);
		if (b >= 0)
			ws_json_push(best, ws_json_int(b));
	}
	ws_json_set(o, "best", best);
	ws_json_write(out, o, WS_JSON_INDENT);
}
