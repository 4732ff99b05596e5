/*
 * wafer_val.h: the wafer model against measured hardware (`wafersim
 * validate wafer`).
 *
 * A measurement file is CSV; lines starting with '#' are comments; the
 * first other line is the header and says what the rows are:
 *
 *   kernel,P,M,K,N,group_num,Mt,Kt,Nt,mean_cycles
 *       one kernel on a P x P rectangle, cycles per invocation (as
 *       models/measured/wse3/kernels.csv).  `kernel` is MeshGEMM (run as
 *       the cannon algorithm), MeshGEMV (gemv_grouped with G = group_num)
 *       or any algorithm name of compiler/kern.h; the kernels are fp16.
 *       M, K, N may be empty when the tile and P give them.
 *   network,machine,wafers,mode,dtype,batch,samples_per_s,source_id
 *       a whole network's training rate (sim/wafer_val_net.c).
 *
 * Every row gets a prediction or a reason it has none (never dropped);
 * a malformed field or an unknown header is bad input, located (kernel
 * rows: P and group_num in [1, 65536] and [0, 65536], dimensions and
 * tiles, and a tile times P, at most 2^31 - 1, M x K x N at most 2^53;
 * measurements finite and > 0).  A UTF-8 byte order mark before the
 * header is skipped.
 */
#ifndef WAFERSIM_WAFER_VAL_H
#define WAFERSIM_WAFER_VAL_H

#include <stdint.h>
#include <stdio.h>

#include "ground/diag.h"
#include "machine/machine.h"

enum wval_kind { WVAL_KERNEL = 0, WVAL_NETWORK };

#define WVAL_MAX_FIELDS 16

struct wval_row {
	int line;
	char label[128];	/* what was measured, for the table */
	double measured, predicted; /* cycles (kernel) or samples/s */
	double err;		/* (predicted - measured) / measured */
	char skipped[256];	/* why it has no prediction, or "" */
};

struct wval {
	char file[512];
	char machine[128];	/* kernel rows: the machine they ran on */
	enum wval_kind kind;
	const char *unit;	/* "cycles" or "samples/s" */
	struct wval_row *rows;
	int n, n_predicted, n_skipped;
	double median_abs, worst_abs; /* NAN when nothing was predicted */
};

/* Options of a validation run. */
struct wval_opts {
	const char *machine; /* kernel rows: machine preset or file (wse3) */
	const char *nets_dir; /* network rows: extra folder of networks, or
			       * NULL */
	int64_t max_memory_bytes; /* network rows: a run's memory budget
				   * (--max-memory); 0: the default */
	const char *only_mode; /* network rows: simulate only the rows of
				* this mode ("streaming"); the others are
				* listed as not predicted; NULL: every row */
	int parse_only;	       /* network rows: fields checked, nothing
				* loaded nor simulated (listed as not
				* predicted): the fuzz harness */
};

/*
 * Read `path` and predict every row.  0, or WS_EINPUT / WS_EIO with the
 * errors in *d (bad header, malformed field, unreadable file, machine
 * that does not load).  wval_release() frees *v in either case.
 */
int wval_file(const char *path, const struct wval_opts *o, struct wval *v,
	      struct diag *d);
/*
 * The same on the file's text (modified), already read, with kernel rows
 * on `m`: what wval_file does after loading the machine and reading the
 * file.  `path` names the file in messages and is the folder of relative
 * network paths.
 */
int wval_text(const char *path, char *text, const struct wval_opts *o,
	      const struct machine *m, struct wval *v, struct diag *d);
void wval_print(const struct wval *v, FILE *out, int rows);
/*
 * The median |error| over the predicted rows of n results taken together
 * (the rows pooled, not the files' medians averaged); NAN when none was
 * predicted.  *rows (may be NULL): how many rows it is over.
 */
double wval_median_abs(const struct wval *v, int n, int *rows);
void wval_release(struct wval *v);

/*
 * A network row: fields as split from the line (fields[0] = network),
 * col[i] the 1-based column of fields[i] in the line,
 * `dir` the measurement file's folder (relative paths), `o` the run's
 * options.  Fills r->predicted, or r->skipped with the reason.  0, or
 * WS_EINPUT for a malformed field (in *d, at path:line).
 * (sim/wafer_val_net.c.)
 */
int wval_network_row(const char *path, const char *dir, char **fields,
		     const int *col, int n_fields, const struct wval_opts *o,
		     struct wval_row *r, struct diag *d);

#endif
