/*
 * report_conf.c: how far the report's speedups can be trusted (see
 * report.h, report_confidence()).  Each side of a speedup is a model held
 * against measurements: the GPU baseline against the project's measured
 * H100 rows (gpu/gpu_validate.h), the wafer against the measured WSE-3
 * kernels (sim/wafer_val.h).  Their median |error| bound the ratio.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/gpu_validate.h"
#include "ground/util.h"
#include "sim/report.h"
#include "sim/wafer_val.h"

/* Median |error| of the GPU model on the measured rows of one precision
 * and style, for training or inference; NAN when there are none. */
static double gpu_median(const struct gpu_val *v, const char *prec,
			 enum gpu_style style, int metric)
{
	double *e = xcalloc((size_t)v->n + 1, sizeof(double));
	int c = 0;
	for (int i = 0; i < v->n; i++) {
		const struct gpu_val_row *r = &v->rows[i];
		if (r->skipped || r->style != style ||
		    strcmp(r->precision, prec) || isnan(r->err[metric]))
			continue;
		e[c++] = fabs(r->err[metric]);
	}
	for (int i = 1; i < c; i++) /* insertion sort: a few rows */
		for (int j = i; j > 0 && e[j - 1] > e[j]; j--) {
			double t = e[j];
			e[j] = e[j - 1];
			e[j - 1] = t;
		}
	double m = !c ? NAN : c % 2 ? e[c / 2] : (e[c / 2 - 1] + e[c / 2]) / 2;
	free(e);
	return m;
}

/* The measured rows of the eager style (train.jsonl) and of captured
 * graphs (graphs.jsonl). */
static void gpu_side(struct report_in *r, enum pe_prec prec)
{
	static const char *const files[2] = {"train.jsonl", "graphs.jsonl"};
	char *home = ws_data_dir();
	struct diag d;
	diag_init(&d);
	struct gpu_spec g;
	const char *p = prec == PREC_FP32 ? "fp32" : "bf16";
	int loaded = !gpu_load("h100", &g, &d);
	for (int k = 0; loaded && k < 2; k++) {
		char *file = xasprintf("%s/models/measured/h100/%s", home,
				       files[k]);
		struct gpu_val v;
		if (!gpu_validate_file(&g, file, &v, &d)) {
			for (int s = 0; s < 2; s++) {
				double t = gpu_median(&v, p, (enum gpu_style)s,
						      GPU_VAL_TRAIN);
				double i = gpu_median(&v, p, (enum gpu_style)s,
						      GPU_VAL_INFER);
				if (isnan(r->conf.gpu_train_err[s]))
					r->conf.gpu_train_err[s] = t;
				if (isnan(r->conf.gpu_infer_err[s]))
					r->conf.gpu_infer_err[s] = i;
			}
			gpu_val_release(&v);
		}
		free(file);
	}
	snprintf(r->conf.gpu_basis, sizeof(r->conf.gpu_basis),
		 "measured H100 %s rows", p);
	diag_release(&d);
	free(home);
}

static void wafer_side(struct report_in *r)
{
	char *home = ws_data_dir();
	char *file = xasprintf("%s/models/measured/wse3/kernels.csv", home);
	free(home);
	struct diag d;
	diag_init(&d);
	struct wval_opts o = {.machine = "wse3"};
	struct wval v;
	if (!wval_file(file, &o, &v, &d))
		r->conf.wafer_err = v.median_abs;
	wval_release(&v);
	snprintf(r->conf.wafer_basis, sizeof(r->conf.wafer_basis),
		 "measured WSE-3 kernels");
	diag_release(&d);
	free(file);
}

void report_confidence(struct report_in *r, enum pe_prec prec)
{
	for (int s = 0; s < 2; s++)
		r->conf.gpu_train_err[s] = r->conf.gpu_infer_err[s] = NAN;
	r->conf.wafer_err = NAN;
	gpu_side(r, prec);
	wafer_side(r);
	r->conf.present = 1;
}

int report_speedup_range(double s, double gpu_err, double wafer_err,
			 double *lo, double *hi)
{
	if (!(s > 0) || isnan(gpu_err) || isnan(wafer_err) || wafer_err >= 1)
		return 0;
	*lo = s * (1 - gpu_err) / (1 + wafer_err);
	*hi = s * (1 + gpu_err) / (1 - wafer_err);
	return 1;
}
