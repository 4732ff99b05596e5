/*
 * gpu_validate.h: the GPU model against measurements.
 *
 * Reads JSON lines in the format of models/measured/h100/train.jsonl (one
 * row per network, batch and precision: "model", "batch", "precision",
 * "train": {"median_ms", "energy_j_per_iter"}, "infer": {"median_ms"},
 * optional "optimizer" and "mode": "cuda-graph") and predicts every row.
 * A row's "model" names a zoo network: models/nets/NAME.yaml, else
 * models/onnx/NAME.onnx; or its "network_file" gives the network (a
 * YAML or ONNX file, relative to the measurement file).  Rows that cannot be predicted (unknown network,
 * a row that records an error, a bad field) are kept with the reason.
 */
#ifndef WAFERSIM_GPU_VALIDATE_H
#define WAFERSIM_GPU_VALIDATE_H

#include <stdio.h>

#include "ground/json_io.h"
#include "gpu/gpu.h"

enum gpu_val_metric { GPU_VAL_TRAIN = 0, GPU_VAL_INFER, GPU_VAL_ENERGY,
		      GPU_VAL_COUNT };

struct gpu_val_row {
	char model[64];
	char precision[16];
	int64_t batch;
	int line;		/* in the measurement file */
	enum gpu_style style;
	char *skipped;		/* why it was not predicted, or NULL */
	double meas[GPU_VAL_COUNT]; /* seconds, seconds, joules; NAN = none */
	double pred[GPU_VAL_COUNT];
	double err[GPU_VAL_COUNT];  /* pred / meas - 1; NAN = none */
	enum gpu_bound bound;	   /* predicted training bound */
};

struct gpu_val {
	char *file;
	struct gpu_val_row *rows;
	int n;
	int n_predicted, n_skipped;
	int count[GPU_VAL_COUNT];	/* rows with both figures */
	double median_abs[GPU_VAL_COUNT]; /* of |err|; NAN if count = 0 */
	double worst_abs[GPU_VAL_COUNT];
	double worst_ratio;		/* max over rows/metrics of
					   max(pred/meas, meas/pred) */
};

/* A JSON-lines file (the measurement format): one value per non-blank
 * line, read with jansson. */
struct gpu_jsonl {
	json_t **rows;
	int *line_of; /* source line of rows[i] */
	size_t n;
};

/* Read one.  Every bad line is reported (file:line:col), not only the
 * first; on any error returns WS_EINPUT and keeps no rows.  WS_EIO if the
 * file cannot be read. */
int gpu_jsonl_read(const char *path, struct gpu_jsonl *jl, struct diag *d);
/* Same, from text in memory; `file` names it in messages. */
int gpu_jsonl_parse(const char *file, const char *text, size_t len,
		    struct gpu_jsonl *jl, struct diag *d);
void gpu_jsonl_release(struct gpu_jsonl *jl);

/* Load a zoo network by name as the validator does (nets/ YAML first,
 * then onnx/).  0, WS_EIO or WS_EINPUT. */
int gpu_load_network(const char *name, struct graph *g, struct diag *d);

/* Predict every row of `path`.  Fails (WS_EIO / WS_EINPUT) only if the
 * file cannot be read or is not JSON lines; per-row problems are kept in
 * the rows. */
int gpu_validate_file(const struct gpu_spec *g, const char *path,
		      struct gpu_val *v, struct diag *d);
/* The same, looking a row's network up first in its "network_file" field
 * (a YAML or ONNX file, relative to the measurement file), then as
 * NAME.yaml / NAME.onnx in each of `nets_dirs`, then in the zoo. */
int gpu_validate_file_in(const struct gpu_spec *g, const char *path,
			 const char *const *nets_dirs, int n_dirs,
			 struct gpu_val *v, struct diag *d);
/* The same on the file's text, already read (`path` names it and is the
 * folder of "network_file"s); `net`, when not NULL, is every row's
 * network instead (nothing is loaded: the fuzz harness). */
int gpu_validate_text(const struct gpu_spec *g, const char *path,
		      const char *text, size_t len, const struct graph *net,
		      const char *const *nets_dirs, int n_dirs,
		      struct gpu_val *v, struct diag *d);
void gpu_val_release(struct gpu_val *v);

/* The table: one line per row (if `rows`), the rows not predicted and
 * why, then median and worst per metric. */
void gpu_val_print(const struct gpu_val *v, FILE *out, int rows);

#endif
