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
#include "cli/sweep.h"
#include "ground/json_io.h"
#include "ground/stat_field.h"
#include "ground/util.h"

/* Annealing in a sweep is never stopped by the clock (see sweep.h); the
 * move count (at most 300000) bounds it instead. */
#define SWEEP_ANNEAL_BUDGET_S 1e9

void sweep_spec_init(struct sweep_spec *s)
{
	memset(s, 0, sizeof(*s));
}

static void free_names(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void sweep_spec_release(struct sweep_spec *s)
{
	free_names(s->nets, s->n_nets);
	free_names(s->machines, s->n_machines);
	free_names(s->strategies, s->n_strategies);
	free(s->batches);
	free(s->dtypes);
	free(s->gpu);
	sweep_spec_init(s);
}

/* Split "a,b,c" into heap items; empty list or item: error. */
static int split_list(const char *opt, const char *val, char ***out, int *n,
		      struct diag *d)
{
	*out = NULL;
	*n = 0;
	if (!val || !*val) {
		diag_add(d, NULL, 0, 0,
			 "sweep: '%s' must be a non-empty comma-separated "
			 "list, got ''", opt);
		return WS_EINPUT;
	}
	char **v = NULL;
	int k = 0;
	const char *p = val;
	for (;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 0) {
			diag_add(d, NULL, 0, 0,
				 "sweep: '%s' must not have an empty item, got "
				 "'%s'", opt, val);
			free_names(v, k);
			return WS_EINPUT;
		}
		v = xrealloc(v, sizeof(*v) * (size_t)(k + 1));
		v[k] = xmalloc(len + 1);
		memcpy(v[k], p, len);
		v[k][len] = '\0';
		k++;
		if (!e)
			break;
		p = e + 1;
	}
	*out = v;
	*n = k;
	return 0;
}

int sweep_spec_set(struct sweep_spec *s, const char *opt, const char *val,
		   struct diag *d)
{
	char **v;
	int n;
	if (split_list(opt, val, &v, &n, d))
		return WS_EINPUT;
	if (!strcmp(opt, "--nets")) {
		free_names(s->nets, s->n_nets);
		s->nets = v, s->n_nets = n;
		return 0;
	}
	if (!strcmp(opt, "--machines")) {
		free_names(s->machines, s->n_machines);
		s->machines = v, s->n_machines = n;
		return 0;
	}
	if (!strcmp(opt, "--strategies")) {
		free_names(s->strategies, s->n_strategies);
		s->strategies = v, s->n_strategies = n;
		return 0;
	}
	int rc = 0;
	if (!strcmp(opt, "--batch")) {
		int64_t *b = xcalloc((size_t)n, sizeof(*b));
		for (int i = 0; i < n; i++) {
			char *end;
			long long x = strtoll(v[i], &end, 10);
			if (*end || end == v[i] || x < 1 || x > (1 << 20)) {
				diag_add(d, NULL, 0, 0,
					 "sweep: '--batch' items must be "
					 "integers in [1, 1048576], got '%s'",
					 v[i]);
				rc = WS_EINPUT;
			}
			b[i] = x;
		}
		if (rc)
			free(b);
		else {
			free(s->batches);
			s->batches = b, s->n_batches = n;
		}
	} else if (!strcmp(opt, "--dtype")) {
		enum pe_prec *t = xcalloc((size_t)n, sizeof(*t));
		for (int i = 0; i < n; i++) {
			if (!strcmp(v[i], "mixed"))
				t[i] = PREC_MIXED;
			else if (!strcmp(v[i], "fp32"))
				t[i] = PREC_FP32;
			else {
				diag_add(d, NULL, 0, 0,
					 "sweep: '--dtype' items must be mixed "
					 "or fp32, got '%s'", v[i]);
				rc = WS_EINPUT;
			}
		}
		if (rc)
			free(t);
		else {
			free(s->dtypes);
			s->dtypes = t, s->n_dtypes = n;
		}
	} else {
		diag_add(d, NULL, 0, 0, "sweep: unknown list option '%s'", opt);
		rc = WS_EINPUT;
	}
	free_names(v, n);
	return rc;
}

static char **copy_names(char *const *v, int n)
{
	char **c = xcalloc((size_t)(n ? n : 1), sizeof(*c));
	for (int i = 0; i < n; i++)
		c[i] = xstrdup(v[i]);
	return c;
}

int sweep_prepare(const struct sweep_spec *spec, struct sweep *sw,
		  struct diag *d)
{
	memset(sw, 0, sizeof(*sw));
	size_t before = diag_count(d);
	static const char *const what[] = {"--nets", "--machines",
					   "--strategies", "--batch"};
	const int counts[] = {spec->n_nets, spec->n_machines,
			      spec->n_strategies, spec->n_batches};
	for (size_t i = 0; i < ARRAY_SIZE(counts); i++)
		if (counts[i] < 1)
			diag_add(d, NULL, 0, 0,
				 "sweep: '%s' must list at least one item, "
				 "got none", what[i]);
	for (int i = 0; i < spec->n_batches; i++)
		if (spec->batches[i] < 1)
			diag_add(d, NULL, 0, 0,
				 "sweep: '--batch' items must be >= 1, got "
				 "%lld", (long long)spec->batches[i]);
	for (int i = 0; i < spec->n_strategies; i++)
		if (!place_find_strategy(spec->strategies[i])) {
			int n;
			const struct place_strategy *const *all =
				place_strategies(&n);
			char known[256] = "";
			for (int k = 0; k < n; k++)
				snprintf(known + strlen(known),
					 sizeof(known) - strlen(known), "%s%s",
					 k ? ", " : "", all[k]->name);
			diag_add(d, NULL, 0, 0,
				 "sweep: '--strategies' items must be one of "
				 "%s, got '%s'", known, spec->strategies[i]);
		}
	/* load every input once; the threads share them read-only */
	sw->graphs = xcalloc((size_t)(spec->n_nets ? spec->n_nets : 1),
			     sizeof(*sw->graphs));
	sw->machines = xcalloc((size_t)(spec->n_machines ? spec->n_machines : 1),
			       sizeof(*sw->machines));
	char *loaded_g = xcalloc((size_t)spec->n_nets + 1, 1);
	for (int i = 0; i < spec->n_nets; i++)
		loaded_g[i] = graph_load(spec->nets[i], OPT_MOMENTUM,
					 &sw->graphs[i], d) == 0;
	for (int i = 0; i < spec->n_machines; i++)
		machine_load(spec->machines[i], &sw->machines[i], d);
	if (spec->gpu)
		gpu_load(spec->gpu, &sw->gpu, d);
	if (diag_count(d) > before) {
		for (int i = 0; i < spec->n_nets; i++)
			if (loaded_g[i])
				graph_release(&sw->graphs[i]);
		free(loaded_g);
		free(sw->graphs);
		free(sw->machines);
		memset(sw, 0, sizeof(*sw));
		return WS_EINPUT;
	}
	free(loaded_g);
	struct sweep_spec *c = &sw->spec;
	c->nets = copy_names(spec->nets, spec->n_nets);
	c->n_nets = spec->n_nets;
	c->machines = copy_names(spec->machines, spec->n_machines);
	c->n_machines = spec->n_machines;
	c->strategies = copy_names(spec->strategies, spec->n_strategies);
	c->n_strategies = spec->n_strategies;
	c->batches = xcalloc((size_t)spec->n_batches, sizeof(*c->batches));
	memcpy(c->batches, spec->batches,
	       sizeof(*c->batches) * (size_t)spec->n_batches);
	c->n_batches = spec->n_batches;
	c->n_dtypes = spec->n_dtypes ? spec->n_dtypes : 1;
	c->dtypes = xcalloc((size_t)c->n_dtypes, sizeof(*c->dtypes));
	if (spec->n_dtypes)
		memcpy(c->dtypes, spec->dtypes,
		       sizeof(*c->dtypes) * (size_t)spec->n_dtypes);
	else
		c->dtypes[0] = PREC_MIXED;
	c->gpu = spec->gpu ? xstrdup(spec->gpu) : NULL;
	c->steps = spec->steps;
	sw->n_points = (int64_t)c->n_nets * c->n_machines * c->n_strategies *
		       c->n_batches * c->n_dtypes;
	return 0;
}

void sweep_release(struct sweep *sw)
{
	for (int i = 0; i < sw->spec.n_nets; i++)
		graph_release(&sw->graphs[i]);
	free(sw->graphs);
	free(sw->machines);
	sweep_spec_release(&sw->spec);
	memset(sw, 0, sizeof(*sw));
}

void sweep_point_coords(const struct sweep *sw, int64_t i, int *net,
			int *machine, int *strategy, int *batch, int *dtype)
{
	const struct sweep_spec *s = &sw->spec;
	*dtype = (int)(i % s->n_dtypes);
	i /= s->n_dtypes;
	*batch = (int)(i % s->n_batches);
	i /= s->n_batches;
	*strategy = (int)(i % s->n_strategies);
	i /= s->n_strategies;
	*machine = (int)(i % s->n_machines);
	i /= s->n_machines;
	*net = (int)i;
}

static void point_fail(struct sweep_result *r, const struct diag *d)
{
	r->ok = 0;
	const char *t = diag_text(d, 0);
	snprintf(r->error, sizeof(r->error), "%s", t ? t : "failed");
}

void sweep_point(const struct sweep *sw, int64_t i, struct sweep_result *r)
{
	memset(r, 0, sizeof(*r));
	r->index = i;
	sweep_point_coords(sw, i, &r->net, &r->machine, &r->strategy,
			   &r->batch, &r->dtype);
	const struct sweep_spec *s = &sw->spec;
	const struct graph *g = &sw->graphs[r->net];
	const struct machine *m = &sw->machines[r->machine];
	enum pe_prec prec = s->dtypes[r->dtype];
	int64_t batch = s->batches[r->batch];
	r->batch_samples = batch;

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
	po.time_budget_s = SWEEP_ANNEAL_BUDGET_S;
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
	if (engine_run(&p, g, m, &eo, &st, &d)) {
		point_fail(r, &d);
		goto done;
	}
	struct report_in ri;
	memset(&ri, 0, sizeof(ri));
	ri.p = &p;
	ri.g = g;
	ri.m = m;
	ri.train = &st;
	ri.epochs = 1;
	ri.runs = 1;
	ri.dataset_samples = g->dataset_samples;
	engine_roofline(&p, m, p.batch, &ri.roof);
	struct report_figures f;
	report_compute(&ri, &f);
	r->ok = 1;
	snprintf(r->mode, sizeof(r->mode), "%s", plan_mode_name(st.mode));
	r->step_s = f.step_s;
	r->samples_per_s = f.samples_per_s;
	r->step_j = f.step_j;
	r->power_w = f.step_power_w;
	snprintf(r->limit, sizeof(r->limit), "%s",
		 stats_limit_name(st.bottleneck));
	report_bottleneck(&st, &p, r->bottleneck, sizeof(r->bottleneck));
	r->pes_used = p.pes_used;
	r->pes_total = machine_pes(m);
	if (s->gpu) {
		struct gpu_run_opts go;
		gpu_run_opts_default(&go);
		go.batch = batch;
		go.dtype = prec == PREC_FP32 ? DT_FP32 : DT_BF16;
		go.n_gpus = 1;
		go.style = GPU_EAGER;
		go.optimizer = OPT_MOMENTUM;
		struct gpu_result gr;
		memset(&gr, 0, sizeof(gr));
		if (gpu_estimate(&sw->gpu, g, &go, &gr, &d)) {
			point_fail(r, &d);
			gpu_result_release(&gr);
			goto done;
		}
		r->gpu = 1;
		r->gpu_step_s = gr.train.seconds;
		r->speedup = r->step_s > 0 ? gr.train.seconds / r->step_s : 0;
		gpu_result_release(&gr);
	}
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

void sweep_write_csv(const struct sweep *sw, const struct sweep_result *res,
		     FILE *out)
{
	const struct sweep_spec *s = &sw->spec;
	fputs("index,net,machine,strategy,batch,dtype,status,mode,step_s,"
	      "samples_per_s,step_j,power_w,limit,bottleneck,pes_used,"
	      "pes_total", out);
	if (s->gpu)
		fputs(",gpu,gpu_step_s,speedup", out);
	fputs(",error\n", out);
	for (int64_t i = 0; i < sw->n_points; i++) {
		const struct sweep_result *r = &res[i];
		fprintf(out, "%lld,", (long long)r->index);
		sf_csv_str(out, s->nets[r->net]);
		fputc(',', out);
		sf_csv_str(out, s->machines[r->machine]);
		fputc(',', out);
		sf_csv_str(out, s->strategies[r->strategy]);
		fprintf(out, ",%lld,%s,%s,", (long long)r->batch_samples,
			plan_prec_name(s->dtypes[r->dtype]),
			r->ok ? "ok" : "error");
		if (r->ok) {
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
		} else {
			fputs(",,,,,,,,", out);
		}
		if (s->gpu) {
			fputc(',', out);
			sf_csv_str(out, s->gpu);
			fputc(',', out);
			if (r->ok && r->gpu) {
				csv_double(out, r->gpu_step_s);
				fputc(',', out);
				csv_double(out, r->speedup);
			} else {
				fputc(',', out);
			}
		}
		fputc(',', out);
		sf_csv_str(out, r->ok ? "" : r->error);
		fputc('\n', out);
	}
}

/* Best point of each (net, machine, batch, dtype) group, by samples/s
 * (ties: the earlier point); -1 when none of the group ran. */
static int64_t group_best(const struct sweep *sw,
			  const struct sweep_result *res, int64_t first,
			  int *failed)
{
	const struct sweep_spec *s = &sw->spec;
	/* points of a group differ only in the strategy index */
	int64_t stride = (int64_t)s->n_batches * s->n_dtypes;
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

/* Groups (net, machine, batch, dtype), in point order: how many, and the
 * first point of group k (its strategy 0). */
static int64_t n_groups(const struct sweep *sw)
{
	const struct sweep_spec *s = &sw->spec;
	return (int64_t)s->n_nets * s->n_machines * s->n_batches * s->n_dtypes;
}

static int64_t group_first(const struct sweep *sw, int64_t k)
{
	const struct sweep_spec *s = &sw->spec;
	int64_t bd = (int64_t)s->n_batches * s->n_dtypes;
	return (k / bd) * s->n_strategies * bd + k % bd;
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
	fprintf(out, "%-12s %-10s %6s %-6s %-10s %11s %13s %11s %9s%s\n",
		"net", "machine", "batch", "dtype", "best", "step",
		"samples/s", "energy/step", "PEs used",
		s->gpu ? "  speedup" : "");
	for (int64_t k = 0; k < n_groups(sw); k++) {
		int64_t first = group_first(sw, k);
		int failed;
		int64_t b = group_best(sw, res, first, &failed);
		const struct sweep_result *r = &res[first];
		fprintf(out, "%-12s %-10s %6lld %-6s ", s->nets[r->net],
			s->machines[r->machine], (long long)r->batch_samples,
			plan_prec_name(s->dtypes[r->dtype]));
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
		fprintf(out, "%-10s %11s %13.4g %9.4g J %8.1f%%",
			s->strategies[x->strategy], report_fmt_s(t, x->step_s),
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
	ws_json_set_str(o, "strategy", s->strategies[r->strategy]);
	ws_json_set_int(o, "batch", r->batch_samples);
	ws_json_set_str(o, "dtype", plan_prec_name(s->dtypes[r->dtype]));
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
		ws_json_set_real(o, "gpu_step_s", r->gpu_step_s);
		ws_json_set_real(o, "speedup", r->speedup);
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
