/*
 * report_conf.c: how far the report's speedups can be trusted (see
 * report.h, report_confidence()).  Each side of a speedup is a model held
 * against measurements: the GPU baseline against the project's measured
 * H100 rows (gpu/gpu_validate.h), the wafer against the measured WSE-3
 * kernels and CS-2 streamed training rates (sim/wafer_val.h).  Their
 * median |error| bound the ratio.
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

/* "38 kernels: 3.2%": a kind's rows and their own median */
static void kind_text(char *buf, size_t n, int rows, const char *what,
		      double median)
{
	int k = snprintf(buf, n, "%d %s%s", rows, what, rows == 1 ? "" : "s");
	if (rows && k > 0 && (size_t)k < n)
		snprintf(buf + k, n - (size_t)k, ": %.1f%%", 100 * median);
}

void report_wafer_confidence(struct report_conf *c, const char *kernels,
			     const char *networks)
{
	const char *files[2] = {kernels, networks};
	struct wval v[2];
	int n = 0, rows[2] = {0, 0};
	double med[2] = {NAN, NAN};
	for (int k = 0; k < 2; k++) {
		if (!files[k])
			continue;
		struct diag d;
		diag_init(&d);
		struct wval_opts o = {.machine = "wse3",
				      .only_mode = "streaming"};
		/* a file that does not read adds no row: the counts say so */
		if (!wval_file(files[k], &o, &v[n], &d)) {
			int kind = v[n].kind;
			med[kind] = wval_median_abs(&v[n], 1, &rows[kind]);
			n++;
		} else {
			wval_release(&v[n]);
		}
		diag_release(&d);
	}
	int total;
	c->wafer_err = wval_median_abs(v, n, &total);
	c->wafer_kernel_rows = rows[WVAL_KERNEL];
	c->wafer_network_rows = rows[WVAL_NETWORK];
	char kt[48], nt[64];
	kind_text(kt, sizeof kt, rows[WVAL_KERNEL], "kernel", med[WVAL_KERNEL]);
	kind_text(nt, sizeof nt, rows[WVAL_NETWORK], "streamed network",
		  med[WVAL_NETWORK]);
	snprintf(c->wafer_basis, sizeof(c->wafer_basis),
		 "%d measured rows (%s, %s; pipelined networks left out: "
		 "docs/engine.md)", total, kt, nt);
	for (int k = 0; k < n; k++)
		wval_release(&v[k]);
}

static void wafer_side(struct report_in *r)
{
	char *home = ws_data_dir();
	char *kernels = xasprintf("%s/models/measured/wse3/kernels.csv", home);
	char *networks = xasprintf("%s/models/measured/wse2/training.csv",
				   home);
	report_wafer_confidence(&r->conf, kernels, networks);
	free(kernels);
	free(networks);
	free(home);
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
