/* test_report.c: the run report from hand-built plans (no compiler). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ground/json_io.h"
#include "sim/report.h"
#include "sim/wafer_val.h"
#include "test_util.h"
#include "tests/unit/test_engine_plans.h"

struct fixture {
	struct machine m;
	struct plan p;
	struct stats train, infer;
	struct report_in ri;
};

static void fx_init(struct fixture *fx, int streaming)
{
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(machine_load("mini64", &fx->m, &d), 0);
	tp_dense_chain(&fx->p, &fx->m, 3, (const int64_t[]){900, 1000, 500, 1},
		       16, 32, PREC_MIXED);
	if (streaming) {
		fx->p.mode = MODE_STREAMING;
		for (int i = 0; i < fx->p.n_stages; i++)
			fx->p.stages[i].r = (struct rect){0, 0, 64, 64};
	}
	struct engine_opts o;
	engine_opts_init(&o);
	stats_init(&fx->train);
	stats_init(&fx->infer);
	CU_ASSERT_EQUAL_FATAL(engine_run(&fx->p, NULL, &fx->m, &o, &fx->train, &d), 0);
	o.job = ENGINE_INFER;
	CU_ASSERT_EQUAL_FATAL(engine_run(&fx->p, NULL, &fx->m, &o, &fx->infer, &d), 0);
	memset(&fx->ri, 0, sizeof(fx->ri));
	fx->ri.p = &fx->p;
	fx->ri.m = &fx->m;
	fx->ri.train = &fx->train;
	fx->ri.infer = &fx->infer;
	engine_roofline(&fx->p, &fx->m, fx->p.batch, &fx->ri.roof);
	fx->ri.dataset_samples = 1000;
	fx->ri.epochs = 3;
	fx->ri.runs = 100;
	fx->ri.predictions = 1000000000;
	diag_release(&d);
}

static void fx_release(struct fixture *fx)
{
	stats_release(&fx->train);
	stats_release(&fx->infer);
	tp_release(&fx->p);
}

static char *capture(void (*fn)(const struct report_in *, FILE *),
		     const struct report_in *r)
{
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	fn(r, f);
	fclose(f);
	/* a copy: GCC's -Wdangling-pointer takes pointers into the stream's
	 * buffer for pointers to the local `buf` */
	char *copy = xstrdup(buf);
	free(buf);
	return copy;
}

static void test_figures(void)
{
	struct fixture fx;
	fx_init(&fx, 0);
	struct report_figures f;
	report_compute(&fx.ri, &f);
	double cyc = 1e-9 / fx.m.clock_ghz;
	CU_ASSERT_DOUBLE_EQUAL(f.step_s, (double)fx.train.step_cycles * cyc,
			       1e-15);
	CU_ASSERT_DOUBLE_EQUAL(f.samples_per_s, 8 / f.step_s, 1e-6 * f.samples_per_s);
	CU_ASSERT_EQUAL(f.steps_per_epoch, 125); /* 1000 samples / batch 8 */
	CU_ASSERT_DOUBLE_EQUAL(f.train_s, 3 * 125 * f.step_s, 1e-9 * f.train_s);
	CU_ASSERT_DOUBLE_EQUAL(f.campaign_s, 100 * f.train_s, 1e-9 * f.campaign_s);
	CU_ASSERT(f.step_j > f.idle_w * f.step_s); /* dynamic on top of static */
	CU_ASSERT(f.pred_per_s > 0);
	CU_ASSERT_DOUBLE_EQUAL(f.predictions_s, 1e9 / f.pred_per_s,
			       1e-9 * f.predictions_s);
	/* the roofline is an estimate of the same thing: same order */
	CU_ASSERT(f.roof_step_s > 0.2 * f.step_s && f.roof_step_s < 5 * f.step_s);
	fx_release(&fx);
}

/* A GPU baseline `slow` times slower per step and using `energy` times
 * the wafer's energy, at the wafer's batch, with validation errors. */
static void fake_gpu(struct fixture *fx, double slow, double energy)
{
	struct report_figures f0;
	fx->ri.gpu.present = 0;
	report_compute(&fx->ri, &f0);
	fx->ri.gpu.present = 1;
	snprintf(fx->ri.gpu.name, sizeof(fx->ri.gpu.name), "fake");
	snprintf(fx->ri.gpu.bound, sizeof(fx->ri.gpu.bound), "compute");
	fx->ri.gpu.n_gpus = 1;
	fx->ri.gpu.batch = fx->train.batch;
	for (int k = 0; k < 2; k++) {
		fx->ri.gpu.train_step_s[k] = slow * f0.step_s;
		fx->ri.gpu.train_step_j[k] = energy * f0.step_j;
		fx->ri.gpu.infer_batch_s[k] =
			(double)fx->train.batch * slow / f0.pred_per_s;
		fx->ri.gpu.infer_batch_j[k] =
			(double)fx->train.batch * energy * f0.pred_j;
	}
	fx->ri.conf.present = 1;
	snprintf(fx->ri.conf.gpu_basis, sizeof(fx->ri.conf.gpu_basis), "rows");
	snprintf(fx->ri.conf.wafer_basis, sizeof(fx->ri.conf.wafer_basis),
		 "kernels");
	for (int k = 0; k < 2; k++) {
		fx->ri.conf.gpu_train_err[k] = 0.1 + 0.05 * k;
		fx->ri.conf.gpu_infer_err[k] = 0.2;
	}
	fx->ri.conf.wafer_err = 0.03;
}

static void test_text(void)
{
	struct fixture fx;
	fx_init(&fx, 0);
	/* a GPU that is 10x slower and uses 5x the energy */
	fake_gpu(&fx, 10, 5);
	struct report_figures f;
	report_compute(&fx.ri, &f);
	CU_ASSERT_DOUBLE_EQUAL(f.speedup_train[0], 10, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(f.energy_ratio_train[1], 5, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(f.speedup_infer[0], 10, 1e-6);
	char *t = capture(report_text, &fx.ri);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "time per step"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "samples per second"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "predictions/s"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "bottleneck"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "analytic bound"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "idle"));
	/* each ratio says its direction in words */
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "training             the wafer is "
					 "10.0x faster than eager and 10.0x "
					 "faster than graph per sample; it "
					 "uses 5.0x less energy than eager"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "inference            the wafer is "
					 "10.0x faster than eager"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "Campaign: 100 training runs x 3 "
					 "epochs, 1 G predictions"));
	/* the epoch line's second figure is one run of --epochs, named so */
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "steps); a training run of 3 "
					 "epochs: "));
	free(t);
	/* a GPU 40x faster using 50x less energy: the other direction, and
	 * ratios below 0.1 keep their digits */
	fake_gpu(&fx, 1 / 40.0, 1 / 50.0);
	t = capture(report_text, &fx.ri);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "the wafer is 40.0x slower than eager"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "it uses 50.0x more energy than eager"));
	/* the range: 0.025 (1 -+ 0.1) / (1 +- 0.03) */
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "training 0.022x-0.028x"));
	free(t);
	/* no measured graph inference: the range says so, not just
	 * "unknown" */
	fx.ri.conf.gpu_infer_err[1] = NAN;
	t = capture(report_text, &fx.ri);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, " / unknown (GPU time"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "vs eager / graph); unknown: no "
					 "measured graph inference rows"));
	for (const char *q = strstr(t, "0.0x"); q; q = strstr(q + 1, "0.0x"))
		CU_ASSERT(q > t && isdigit((unsigned char)q[-1])); /* "50.0x" */
	free(t);
	fx_release(&fx);
}

/* An inference-only report's stage table: no backward cycles (the
 * stream runs none), the forward ones as in the training table. */
static void test_infer_stage_table(void)
{
	struct fixture fx;
	fx_init(&fx, 0);
	for (int k = 0; k < 2; k++) {
		if (k)
			fx.ri.train = NULL;
		char *t = capture(report_text, &fx.ri);
		const char *h = strstr(t, "/sample");
		CU_ASSERT_PTR_NOT_NULL_FATAL(h);
		const char *row = strchr(h, '\n') + 1;
		char name[64], rect[64], pes[32], fwd[32], bwd[32];
		CU_ASSERT_EQUAL(sscanf(row, "%63s %63s %31s %31s %31s", name,
				       rect, pes, fwd, bwd), 5);
		CU_ASSERT(isdigit((unsigned char)fwd[0]));
		if (k) {
			CU_ASSERT_STRING_EQUAL(bwd, "-");
		} else {
			CU_ASSERT(isdigit((unsigned char)bwd[0]));
		}
		free(t);
	}
	fx_release(&fx);
}

/* Every figure of the side-by-side table says its batch. */
static void test_table_batch(void)
{
	struct fixture fx;
	fx_init(&fx, 0);
	fake_gpu(&fx, 10, 5);
	char *t = capture(report_text, &fx.ri);
	const char *rows[] = {"training step ", "energy per step ",
			      "predictions/s ", "energy/prediction "};
	char *tab = strstr(t, "GPU baseline:");
	CU_ASSERT_PTR_NOT_NULL_FATAL(tab);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *l = strstr(tab, rows[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(l);
		char *e = strchr(l, '\n');
		int cells = 0;
		for (char *q = strstr(l, "(b="); q && q < e; q = strstr(q + 1, "(b="))
			cells++;
		CU_ASSERT_EQUAL(cells, 3);
	}
	/* training at the step's batch; the pipeline streams inference one
	 * sample at a time */
	char want[64];
	snprintf(want, sizeof(want), "(b=%lld)", (long long)fx.train.batch);
	CU_ASSERT_PTR_NOT_NULL(strstr(strstr(tab, "training step"), want));
	CU_ASSERT_PTR_NOT_NULL(strstr(strstr(tab, "predictions/s"), "(b=1)"));
	free(t);
	fx_release(&fx);
}

static void test_ratio_fmt(void)
{
	char b[64];
	CU_ASSERT_STRING_EQUAL(report_fmt_ratio(b, 3.21), "3.2x");
	CU_ASSERT_STRING_EQUAL(report_fmt_ratio(b, 258.3), "258x");
	CU_ASSERT_STRING_EQUAL(report_fmt_ratio(b, 0.1), "0.1x");
	CU_ASSERT_STRING_EQUAL(report_fmt_ratio(b, 0.032), "0.032x");
	CU_ASSERT_STRING_EQUAL(report_fmt_ratio(b, 0.0004), "0.0004x");
	CU_ASSERT_STRING_EQUAL(report_fmt_ratio(b, 0), "unknown");
	CU_ASSERT_STRING_EQUAL(report_ratio_words(b, sizeof(b), 0.25, "faster",
						  "slower"), "4.0x slower");
	CU_ASSERT_STRING_EQUAL(report_ratio_words(b, sizeof(b), 3.2, "less",
						  "more"), "3.2x less");
	CU_ASSERT_STRING_EQUAL(report_ratio_words(b, sizeof(b), 1, "a", "b"),
			       "the same");
	/* near 1 the direction must survive the rounding: not "1.0x" */
	CU_ASSERT_STRING_EQUAL(report_ratio_words(b, sizeof(b), 2.19 / 2.25,
						  "less", "more"), "1.03x more");
	CU_ASSERT_STRING_EQUAL(report_ratio_words(b, sizeof(b), 1.06, "less",
						  "more"), "1.06x less");
	CU_ASSERT_STRING_EQUAL(report_ratio_words(b, sizeof(b), 1.003, "a",
						  "b"), "the same");
	CU_ASSERT_STRING_EQUAL(report_fmt_ratio(b, 1.1), "1.1x");
}

/* Without the dataset size no per-epoch or whole-training figure. */
static void test_no_dataset(void)
{
	struct fixture fx;
	fx_init(&fx, 0);
	fake_gpu(&fx, 10, 5);
	fx.ri.dataset_samples = 0;
	char *t = capture(report_text, &fx.ri);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "dataset size unknown"));
	CU_ASSERT_PTR_NULL(strstr(t, "per epoch"));
	CU_ASSERT_PTR_NULL(strstr(t, "epochs:"));
	char *camp = strstr(t, "Campaign:");
	CU_ASSERT_PTR_NOT_NULL_FATAL(camp);
	CU_ASSERT_PTR_NOT_NULL(strstr(camp, "training     dataset size unknown"));
	CU_ASSERT_PTR_NOT_NULL(strstr(camp, "predictions "));
	/* the per-sample ratios do not need it */
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "10.0x faster than eager"));
	char *j = capture(report_json, &fx.ri);
	json_t *o = json_loads(j, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	const char *nul[] = {"train.epoch_s", "train.epoch_j", "train.train_s",
			     "train.train_j", "campaign.train_s",
			     "campaign.gpu_eager_train_j"};
	for (size_t i = 0; i < sizeof(nul) / sizeof(nul[0]); i++)
		CU_ASSERT(json_is_null(ws_json_at(o, nul[i])));
	json_decref(o);
	free(j);
	free(t);
	fx_release(&fx);
}

/* "1 stage", "1 sample", "1 training run x 1 epoch, 1 prediction" */
static void test_grammar(void)
{
	struct fixture fx;
	fx_init(&fx, 0);
	fx.ri.runs = 1;
	fx.ri.epochs = 1;
	fx.ri.predictions = 1;
	fx.infer.samples = 1;
	int n = fx.p.n_stages;
	fx.p.n_stages = 1;
	char *t = capture(report_text, &fx.ri);
	fx.p.n_stages = n;
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "1 training run x 1 epoch, 1 "
					 "prediction "));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, ", 1 stage,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "1 sample streamed"));
	CU_ASSERT_PTR_NULL(strstr(t, "(s)"));
	free(t);
	fx_release(&fx);
}

/* The first "1 <plural>" of text ("1 stages", "1 samples in flight"),
 * heap, or NULL: a word after a lone 1 ending in one s (not "1 pass", not
 * the units ms, us, ns). */
static char *one_plural(const char *t)
{
	for (const char *p = t; (p = strstr(p, "1 ")) != NULL; p++) {
		if (p > t && (isdigit((unsigned char)p[-1]) || p[-1] == '.' ||
			      p[-1] == 'x' || p[-1] == 'e' || p[-1] == '-'))
			continue;
		const char *w = p + 2;
		size_t n = 0;
		while (isalpha((unsigned char)w[n]) || w[n] == '-')
			n++;
		if (n < 3 || w[n - 1] != 's' || w[n - 2] == 's')
			continue;
		return xasprintf("%.*s", (int)(n + 2), p);
	}
	return NULL;
}

/* Every command on a one-layer network, one sample, one step, one run,
 * one prediction: "1 layer", "1 stage needs", "1 sample in flight",
 * "1 cycle", never the plural. */
static void test_grammar_commands(void)
{
	char *bad = one_plural("ok: 1 stages need");
	CU_ASSERT(bad && !strcmp(bad, "1 stages")); /* the check can fail */
	free(bad);
	CU_ASSERT_PTR_NULL(one_plural("1 pass, 1 ms, 1.1 us, 21 samples"));
	char *net = tu_temp_file(".yaml", "name: one\nbatch: 1\ninputs:\n"
					  "  x: [64]\nlayers:\n"
					  "  - {name: fc, op: dense, units: 64, "
					  "in: x}\n");
	static const char *const cmds[] = {
		"compile %s",
		"place %s --machine mini16",
		"place %s --machine mini16 --compare",
		"run %s --machine mini16 --batch 1 --infer-samples 1 --gpu h100 "
		"--runs 1 --epochs 1 --predictions 1",
		"run %s --machine mini16 --batch 1 --mode streaming --steps 1",
	};
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		char *args = xasprintf(cmds[i], net), *out = NULL, *err = NULL;
		CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
		bad = one_plural(out ? out : "");
		CU_ASSERT_PTR_NULL(bad);
		if (bad)
			printf("\n  'wafersim %s' prints '%s'\n", args, bad);
		free(bad);
		free(args);
		free(out);
		free(err);
	}
	remove(net);
	free(net);
}

/* ---- every figure of the text is in the JSON --------------------------- */

/* Numbers of a JSON value (and the numbers inside its strings, which carry
 * the text's own sentences such as the bottleneck) into v[]. */
static void scan_text_numbers(const char *s, double **v, int *n, int *cap);

static void push_num(double x, double **v, int *n, int *cap)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 256;
		*v = realloc(*v, (size_t)*cap * sizeof(double));
	}
	(*v)[(*n)++] = x;
}

static void json_numbers(const json_t *j, double **v, int *n, int *cap)
{
	const char *k;
	json_t *x;
	size_t i;
	if (json_is_number(j))
		push_num(json_number_value(j), v, n, cap);
	else if (json_is_string(j))
		scan_text_numbers(json_string_value(j), v, n, cap);
	else if (json_is_object(j))
		json_object_foreach((json_t *)j, k, x) json_numbers(x, v, n, cap);
	else if (json_is_array(j))
		json_array_foreach(j, i, x) json_numbers(x, v, n, cap);
}

/* The factor of a unit written after a number. */
static double unit_scale(const char *u)
{
	static const struct {
		const char *u;
		double f;
	} units[] = {
		{"ns", 1e-9},	{"us", 1e-6},	 {"ms", 1e-3},	   {"min", 60},
		{"h", 3600},	{"days", 86400}, {"years", 31536000}, {"uJ", 1e-6},
		{"mJ", 1e-3},	{"kJ", 1e3},	 {"kWh", 3.6e6},   {"MWh", 3.6e9},
		{"GWh", 3.6e12}, {"kW", 1e3},	 {"kB", 1e3},	   {"MB", 1e6},
		{"GB", 1e9},	{"k", 1e3},	 {"M", 1e6},	   {"G", 1e9},
	};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t l = strlen(units[i].u);
		if (!strncmp(u, units[i].u, l) &&
		    (!u[l] || !isalpha((unsigned char)u[l])))
			return units[i].f;
	}
	return 1;
}

/* The numbers a text prints, scaled to SI by their units ("74.8 us",
 * "12%", "1.2 M"); not the digits of names ("fc.1", "wse2").  With tol
 * (text side): each number's rounding (half its last printed digit) and
 * whether it is a ratio ("3.2x", which words may have inverted). */
static void scan_numbers_tol(const char *s, double **v, int *n, int *cap,
			     double **tol, int *tcap)
{
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p) ||
		    (p > s && (isalnum((unsigned char)p[-1]) || p[-1] == '.' ||
			       p[-1] == '_' || p[-1] == '-')))
			continue;
		char *end;
		double x = strtod(p, &end), f = 1;
		/* thousands separators: "753,972" */
		while (*end == ',' && isdigit((unsigned char)end[1]) &&
		       isdigit((unsigned char)end[2]) &&
		       isdigit((unsigned char)end[3]) &&
		       !isdigit((unsigned char)end[4])) {
			x = x * 1000 + (double)strtol(end + 1, NULL, 10);
			end += 4;
		}
		const char *dot = memchr(p, '.', (size_t)(end - p));
		int decimals = dot ? (int)(end - dot - 1) : 0;
		if (*end == '%')
			f = 0.01;
		else if (*end == ' ')
			f = unit_scale(end + 1);
		int ratio = *end == 'x' && !isdigit((unsigned char)end[1]);
		if (tol) {
			if (*n == *tcap) {
				*tcap = *tcap ? 2 * *tcap : 256;
				*tol = realloc(*tol, (size_t)*tcap * sizeof(double));
			}
			/* negative: a ratio */
			double t = 0.5 * pow(10, -decimals) * f;
			(*tol)[*n] = ratio ? -t : t;
		}
		push_num(x * f, v, n, cap);
		p = end - 1;
	}
}

static void scan_text_numbers(const char *s, double **v, int *n, int *cap)
{
	int tc = 0;
	scan_numbers_tol(s, v, n, cap, NULL, &tc);
}

/* Is figure x (printed with rounding tol) among the n numbers jv[]? */
static int figure_in(const double *jv, int n, double x, double tol)
{
	int ratio = tol < 0;
	tol = fabs(tol) + 1e-9 * fabs(x);
	for (int k = 0; k < n; k++) {
		if (fabs(jv[k] - x) <= tol)
			return 1;
		/* "4.0x slower" is the ratio 0.25 */
		if (ratio && jv[k] > 0 && fabs(1 / jv[k] - x) <= tol)
			return 1;
	}
	return 0;
}

/* Figures of `text` (outside the stage table) absent from `json`: their
 * count; the first few are printed. */
static int missing_figures(const char *text, const char *json, int quiet)
{
	json_t *o = json_loads(json, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	double *jv = NULL;
	int jn = 0, jc = 0, missing = 0;
	json_numbers(o, &jv, &jn, &jc);
	json_decref(o);
	char *copy = xstrdup(text), *save = NULL;
	for (char *l = strtok_r(copy, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, "    ", 4)) /* the stage table: stats.stages[] */
			continue;
		double *tv = NULL, *tt = NULL;
		int tn = 0, tc = 0, ttc = 0;
		scan_numbers_tol(l, &tv, &tn, &tc, &tt, &ttc);
		for (int i = 0; i < tn; i++)
			if (!figure_in(jv, jn, tv[i], tt[i]) && missing++ < 5 &&
			    !quiet)
				printf("\n    not in --json: %g in '%s'", tv[i], l);
		free(tv);
		free(tt);
	}
	free(copy);
	free(jv);
	return missing;
}

static void test_json_complete(void)
{
	for (int streaming = 0; streaming < 2; streaming++)
		for (int ds = 0; ds < 2; ds++) {
			struct fixture fx;
			fx_init(&fx, streaming);
			fake_gpu(&fx, 10, 0.05);
			if (!ds)
				fx.ri.dataset_samples = 0;
			char *t = capture(report_text, &fx.ri);
			char *j = capture(report_json, &fx.ri);
			CU_ASSERT_EQUAL(missing_figures(t, j, 0), 0);
			/* the check can fail: a figure only the text has */
			char *t2 = xasprintf("%s  extra 123.457 ms\n", t);
			CU_ASSERT_EQUAL(missing_figures(t2, j, 1), 1);
			free(t2);
			free(t);
			free(j);
			fx_release(&fx);
		}
}

static void test_json_deterministic(void)
{
	char *j[2];
	for (int k = 0; k < 2; k++) {
		struct fixture fx;
		fx_init(&fx, k == 0 ? 0 : 0);
		j[k] = capture(report_json, &fx.ri);
		fx_release(&fx);
	}
	CU_ASSERT_STRING_EQUAL(j[0], j[1]);
	CU_ASSERT_PTR_NOT_NULL(strstr(j[0], "\"samples_per_s\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(j[0], "\"energy_j\""));
	free(j[0]);
	free(j[1]);
}

static void test_streaming_report(void)
{
	struct fixture fx;
	fx_init(&fx, 1);
	char *t = capture(report_text, &fx.ri);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "weight streaming"));
	CU_ASSERT(fx.train.extmem_in_bytes > 0);
	struct report_figures f;
	report_compute(&fx.ri, &f);
	CU_ASSERT(f.e_train.part_pj[ENERGY_EXTMEM] > 0);
	/* the slowest layer's line: its weights' bytes over the bandwidth
	 * is the time it prints beside them (per stream, not per step) */
	const char *l = strstr(t, "its weights: ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	double mb, ms, gbs;
	char u1[8], u2[8];
	CU_ASSERT_EQUAL_FATAL(sscanf(l, "its weights: %lf %7[a-zA-Z], %lf "
				     "%7[a-z] at %lf GB/s", &mb, u1, &ms, u2,
				     &gbs), 5);
	double bytes = mb * (u1[0] == 'M' ? 1e6 : u1[0] == 'k' ? 1e3 : 1);
	double sec = ms * (!strcmp(u2, "ms") ? 1e-3 : !strcmp(u2, "us") ? 1e-6 : 1);
	CU_ASSERT_DOUBLE_EQUAL(bytes / (gbs * 1e9), sec, 0.01 * sec);
	free(t);
	fx_release(&fx);
}

static void test_fmt(void)
{
	char b[32];
	CU_ASSERT_STRING_EQUAL(report_fmt_s(b, 0.0123), "12.3 ms");
	CU_ASSERT_STRING_EQUAL(report_fmt_s(b, 3 * 3600.0), "3 h");
	CU_ASSERT_STRING_EQUAL(report_fmt_s(b, 2e-6), "2 us");
	/* the unit is chosen for the rounded value: never "1e+03 us" */
	CU_ASSERT_STRING_EQUAL(report_fmt_s(b, 0.0009996), "1 ms");
	CU_ASSERT_STRING_EQUAL(report_fmt_s(b, 9.9996e-7), "1 us");
}

/* |error| of each predicted row of `file` (kernel rows on wse3), in order;
 * returns how many. */
static int row_errors(const char *file, double *e, int max)
{
	struct diag d;
	diag_init(&d);
	struct wval_opts o = {.machine = "wse3"};
	struct wval v;
	CU_ASSERT_EQUAL(wval_file(file, &o, &v, &d), 0);
	int n = 0;
	for (int i = 0; i < v.n && n < max; i++)
		if (!v.rows[i].skipped[0])
			e[n++] = fabs(v.rows[i].err);
	wval_release(&v);
	diag_release(&d);
	return n;
}

/* The wafer side of the range pools the kernel rows with the streamed
 * network rows, as the report says, and leaves the pipelined rows out: a
 * range over kernels alone, or one that took the pipelined row, fails. */
static void test_wafer_confidence_rows(void)
{
	static const char kernels[] =
		"# two rows of models/measured/wse3/kernels.csv\n"
		"kernel,P,M,K,N,group_num,Mt,Kt,Nt,mean_cycles\n"
		"MeshGEMM,16,16,16,16,,1,1,1,2637.4\n"
		"MeshGEMV,16,16,,16,4,1,,1,237.96\n";
	/* rates far below the model's: the largest errors of the three */
	static const char streamed[] =
		"network,machine,wafers,mode,dtype,batch,samples_per_s,"
		"source_id\n"
		"uno,mini64,1,streaming,mixed,8,1,test\n";
	static const char both[] =
		"network,machine,wafers,mode,dtype,batch,samples_per_s,"
		"source_id\n"
		"uno,mini64,1,streaming,mixed,8,1,test\n"
		"uno,wse2,1,pipelined,mixed,8,1,test\n";
	char *kf = tu_temp_file(".csv", kernels);
	char *sf = tu_temp_file(".csv", streamed);
	char *bf = tu_temp_file(".csv", both);
	double k[4], net[4];
	CU_ASSERT_EQUAL_FATAL(row_errors(kf, k, 4), 2);
	CU_ASSERT_EQUAL_FATAL(row_errors(sf, net, 4), 1);
	CU_ASSERT_FATAL(net[0] > k[0] && net[0] > k[1] && k[0] != k[1]);
	/* pooled: the middle of three is the larger kernel error; kernels
	 * alone would give the mean of two */
	double pooled = k[0] > k[1] ? k[0] : k[1];
	double kernels_only = (k[0] + k[1]) / 2;
	struct report_conf c;
	memset(&c, 0, sizeof(c));
	report_wafer_confidence(&c, kf, bf);
	CU_ASSERT_EQUAL(c.wafer_kernel_rows, 2);
	CU_ASSERT_EQUAL(c.wafer_network_rows, 1);
	CU_ASSERT_DOUBLE_EQUAL(c.wafer_err, pooled, 1e-12);
	CU_ASSERT(fabs(c.wafer_err - kernels_only) > 1e-6);
	char basis[96];
	snprintf(basis, sizeof basis, "3 measured rows (2 kernels: %.1f%%, 1 "
		 "streamed network: %.1f%%", 100 * kernels_only, 100 * net[0]);
	CU_ASSERT_PTR_NOT_NULL(strstr(c.wafer_basis, basis));
	/* kernels alone: their median, and the basis says so */
	report_wafer_confidence(&c, kf, NULL);
	CU_ASSERT_DOUBLE_EQUAL(c.wafer_err, kernels_only, 1e-12);
	CU_ASSERT_EQUAL(c.wafer_network_rows, 0);
	unlink(kf);
	unlink(sf);
	unlink(bf);
	free(kf);
	free(sf);
	free(bf);
}

/* On the project's files the range is over every kernel row and every
 * streamed network row they hold. */
static void test_wafer_confidence_project(void)
{
	char *kf = tu_path("models/measured/wse3/kernels.csv");
	char *nf = tu_path("models/measured/wse2/training.csv");
	int kernels = 0, streamed = 0;
	const char *files[2] = {kf, nf};
	for (int i = 0; i < 2; i++) {
		char *t = tu_read(files[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(t);
		char *save = NULL;
		for (char *l = strtok_r(t, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save)) {
			kernels += !strncmp(l, "MeshGEM", 7);
			streamed += i && strstr(l, ",streaming,") != NULL;
		}
		free(t);
	}
	CU_ASSERT(kernels > 0 && streamed > 0);
	struct report_conf c;
	memset(&c, 0, sizeof(c));
	report_wafer_confidence(&c, kf, nf);
	CU_ASSERT_EQUAL(c.wafer_kernel_rows, kernels);
	CU_ASSERT_EQUAL(c.wafer_network_rows, streamed);
	CU_ASSERT(c.wafer_err >= 0 && c.wafer_err < 1);
	free(kf);
	free(nf);
}

int suite_report(void);
int suite_report(void)
{
	static const struct tu_test tests[] = {
		{"figures from stats", test_figures},
		{"text report with GPU and campaign", test_text},
		{"JSON deterministic", test_json_deterministic},
		{"streaming report", test_streaming_report},
		{"time formatting", test_fmt},
		{"side-by-side table says each figure's batch", test_table_batch},
		{"inference-only stage table: no backward cycles",
		 test_infer_stage_table},
		{"ratios: digits below 0.1, direction in words", test_ratio_fmt},
		{"no dataset size: no epoch or training figures", test_no_dataset},
		{"1 stage, 1 sample, 1 run", test_grammar},
		{"one layer, one sample: no '1 <plural>' in any command",
		 test_grammar_commands},
		{"--json carries every figure of the text", test_json_complete},
		{"wafer range: kernel and streamed rows pooled, pipelined out",
		 test_wafer_confidence_rows},
		{"wafer range: every kernel and streamed row of the project's",
		 test_wafer_confidence_project},
		{0, 0}};
	return tu_add_suite("report", tests);
}
