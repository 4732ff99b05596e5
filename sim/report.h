/*
 * report.h: the answer of `wafersim run`, as text for people and JSON for
 * tools, from simulated statistics, their energy and (optionally) the GPU
 * baseline.  The report computes nothing the engine should: it converts
 * cycles to seconds, per-step to per-epoch and per-campaign figures, and
 * names the bottleneck the engine found.
 *
 * JSON is deterministic (fixed key order, exact doubles, no wall time).
 */
#ifndef WAFERSIM_REPORT_H
#define WAFERSIM_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "compiler/graph.h"
#include "compiler/plan.h"
#include "sim/energy.h"
#include "sim/engine.h"
#include "machine/machine.h"
#include "sim/stats.h"

/* GPU baseline figures, filled by the caller from gpu/gpu.h (the report
 * does not depend on the GPU model).  Index: 0 eager, 1 graph-captured. */
struct report_gpu {
	int present;
	char name[CFG_STR_MAX];	/* the GPU file's 'name', whole */
	int n_gpus;			/* GPUs the step runs on */
	int asked_gpus;			/* ... asked for (fewer than n_gpus
					   when the state needs more GPUs,
					   more when the global batch has
					   fewer samples: gpus_why) */
	char gpus_why[200];		/* why n_gpus is not asked_gpus, or "" */
	int64_t batch;			/* distinct samples per step, all
					   GPUs together (the global batch) */
	int64_t batch_per_gpu;		/* each GPU's share (0: batch) */
	int64_t padded;			/* repeated samples per step beyond
					   batch: batch_per_gpu x n_gpus -
					   batch (DistributedSampler's
					   padding; cli_ddp_padded) */
	char fit[512];			/* how a step that does not fit runs
					   ("" = as is; gpu_plan_words), or
					   why it cannot run */
	char sharding[16];		/* DDP, ZeRO-1, -2, -3 */
	int cannot_run;			/* the step cannot run on any number
					   of these GPUs: no times */
	double train_step_s[2];
	double train_step_j[2];		/* all GPUs */
	double infer_batch_s[2];	/* one inference batch of `batch` */
	double infer_batch_j[2];
	char bound[32];			/* what limits the eager step */
};

/* How far the speedups can be trusted (report_confidence()): each side's
 * median |error| on its measured rows; NAN where there are none. */
struct report_conf {
	int present;
	double gpu_train_err[2], gpu_infer_err[2]; /* eager, graph */
	char gpu_basis[64];
	double wafer_err;
	int wafer_kernel_rows, wafer_network_rows; /* what wafer_err is over */
	char wafer_basis[192];
};

struct report_in {
	const struct plan *p;
	const struct graph *g;		/* may be NULL */
	const struct machine *m;
	const struct stats *train;	/* may be NULL (inference only) */
	const struct stats *infer;	/* may be NULL (training only) */
	/* the plan the inference ran on when not p: compiled for inference
	 * (run's default job, both), or NULL */
	const struct plan *infer_plan;
	/* a plan was compiled for inference but the training plan's
	 * inference was faster by the estimate: the inference ran on p */
	int infer_kept_training;
	struct engine_roofline roof;
	int64_t dataset_samples;	/* samples per epoch; 0: unknown */
	int64_t epochs;			/* >= 1 */
	int64_t runs;			/* training campaign: repeats (>= 1) */
	int64_t predictions;		/* inference campaign; 0: none */
	struct report_gpu gpu;
	const char *region;		/* --region WxH given, or NULL */
	struct report_conf conf;	/* filled by report_confidence() */
};

/*
 * Fill r->conf: the GPU baseline's median |error| on the project's
 * measured H100 rows of the precision (bf16 rows for mixed and fp16) and
 * each style, training and inference; the wafer model's as
 * report_wafer_confidence() on the project's files,
 * models/measured/wse3/kernels.csv and models/measured/wse2/training.csv
 * (sim/report_conf.c).
 */
void report_confidence(struct report_in *r, enum pe_prec prec);

/*
 * The wafer side: the median |error| of the wafer model over every
 * predicted row of the kernel file `kernels` (on wse3, where the
 * project's were measured) and every predicted streamed row of the
 * network file `networks`, pooled (sim/wafer_val.h; either file may be
 * NULL).  Both are simulated here (a fraction of a second).  Pipelined
 * network rows are not read: the project's one (BERT, variable sequence
 * lengths) measures work wafersim does not model, and it takes tens of
 * CPU seconds (docs/engine.md, "Where the wafer model is checked").
 * Fills c->wafer_err (NAN if no row), the row counts and c->wafer_basis.
 */
void report_wafer_confidence(struct report_conf *c, const char *kernels,
			     const char *networks);

/* The range of speedup s that errors of gpu_err and wafer_err (fractions)
 * on the two sides imply: s (1 - g) / (1 + w) to s (1 + g) / (1 - w).
 * 0 when an error is unknown. */
int report_speedup_range(double s, double gpu_err, double wafer_err,
			 double *lo, double *hi);

/* Derived figures (seconds, joules, per second), shared by both formats
 * and by tests. */
struct report_figures {
	double cycle_s;
	double step_s, step_first_s, samples_per_s;
	double step_j, step_power_w;
	/* per epoch, per training run (all epochs) and the campaign (runs x
	 * train): 0 when the dataset size is unknown (dataset_known 0) */
	int dataset_known;
	int64_t steps_per_epoch;
	double epoch_s, epoch_j, train_s, train_j;
	double campaign_s, campaign_j;
	double pred_per_s, pred_latency_s, pred_j;	/* one prediction */
	double predictions_s, predictions_j;		/* the whole campaign */
	double roof_step_s, roof_pred_per_s;
	struct energy_breakdown e_train, e_infer;
	double idle_w, full_load_w;
	/* GPU (index 0 eager, 1 graph): same campaign */
	double gpu_train_s[2], gpu_train_j[2];
	double gpu_pred_per_s[2], gpu_pred_j[2];
	double gpu_campaign_s[2], gpu_campaign_j[2];
	double gpu_predictions_s[2], gpu_predictions_j[2];
	/* per sample (training: at each side's batch; inference: per
	 * prediction), GPU over wafer: > 1 the wafer is faster / uses less */
	double speedup_train[2], energy_ratio_train[2];
	double speedup_infer[2], energy_ratio_infer[2];
	int64_t infer_batch;	/* the wafer's inference batch (1: streamed one
				   by one through the pipeline) */
};

void report_compute(const struct report_in *r, struct report_figures *f);

/* Human-readable report. */
void report_text(const struct report_in *r, FILE *out);
/* JSON report (one object). */
void report_json(const struct report_in *r, FILE *out);

/* The bottleneck in words, e.g. "stage 'dense3' (compute bound)" or
 * "route 'enc0' -> 'dense1' (fabric bound)"; into buf (size n; at
 * REPORT_BOTTLENECK_MAX the stage names are whole). */
#define REPORT_BOTTLENECK_MAX (2 * GRAPH_NAME_MAX + 96)
const char *report_bottleneck(const struct stats *st, const struct plan *p,
			      char *buf, size_t n);

/* Format seconds with a fitting unit ("12.3 ms", "4.1 h"); buf holds 32. */
const char *report_fmt_s(char *buf, double s);
/* Joules likewise ("230 mJ", "12.8 kWh"). */
const char *report_fmt_j(char *buf, double j);

/* A ratio as "3.2x", "258x", near 1 with two decimals ("1.03x", never a
 * "1.0x" that hides which way it goes) or, below 0.1, with two
 * significant digits ("0.032x", never "0.0x"); "unknown" when not
 * positive.  buf holds 32. */
const char *report_fmt_ratio(char *buf, double r);

/* A ratio in words, its direction said: r = 3.2 gives "3.2x <more>",
 * r = 0.5 "2.0x <less>", r = 0.97 "1.03x <less>", within 0.5% of 1 "the
 * same" (e.g. more = "faster", less = "slower"). */
const char *report_ratio_words(char *buf, size_t n, double r,
			       const char *more, const char *less);

#endif
