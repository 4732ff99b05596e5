/* test_report.c: the run report from hand-built plans (no compiler). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/report.h"
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
	return buf;
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

static void test_text(void)
{
	struct fixture fx;
	fx_init(&fx, 0);
	/* a GPU that is 10x slower and uses 5x the energy */
	struct report_figures f0;
	report_compute(&fx.ri, &f0);
	fx.ri.gpu.present = 1;
	snprintf(fx.ri.gpu.name, sizeof(fx.ri.gpu.name), "fake");
	fx.ri.gpu.n_gpus = 1;
	fx.ri.gpu.batch = 8;
	for (int k = 0; k < 2; k++) {
		fx.ri.gpu.train_step_s[k] = 10 * f0.step_s;
		fx.ri.gpu.train_step_j[k] = 5 * f0.step_j;
		fx.ri.gpu.infer_batch_s[k] = 8 * 10 / f0.pred_per_s;
		fx.ri.gpu.infer_batch_j[k] = 8 * 5 * f0.pred_j;
	}
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
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "analytic estimate"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "idle"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "training 10.0x / 10.0x"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "inference 10.0x / 10.0x"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "Campaign: 100 training run(s)"));
	free(t);
	fx_release(&fx);
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

int suite_report(void);
int suite_report(void)
{
	static const struct tu_test tests[] = {
		{"figures from stats", test_figures},
		{"text report with GPU and campaign", test_text},
		{"JSON deterministic", test_json_deterministic},
		{"streaming report", test_streaming_report},
		{"time formatting", test_fmt},
		{0, 0}};
	return tu_add_suite("report", tests);
}
