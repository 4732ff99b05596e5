/*
 * cli.h: what every `wafersim <command>` shares: exit codes, the command
 * table's entry points, and small helpers for options and errors.
 *
 * Conventions: long options from one table (cli/opt.h: one spelling, one
 * meaning, one default per concept); `-o FILE` for an output file (written
 * atomically), a folder has its own option; `--json` for machine-readable
 * output on stdout; messages and progress on stderr (progress only when
 * stderr is a terminal).  A command is a few named steps: parse (cli_parse)
 * -> load inputs -> plan -> simulate -> report.
 *
 * Layer 5, cli/ owns the program: main, one file per command, their shared
 * option parsing, the sweep drivers (threads and MPI).  It may include
 * everything; never a layer above (docs/ARCHITECTURE.md, checked by
 * tests/house/check_layers.py).
 */
#ifndef WAFERSIM_CLI_H
#define WAFERSIM_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "ground/diag.h"

enum { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_USAGE = 2 };

/* Entry points, one file each: cli/cmd_<name>.c.  argv[0] is the command. */
int cmd_run(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_place(int argc, char **argv);
int cmd_gpu(int argc, char **argv);
int cmd_fabric(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_machine(int argc, char **argv);
int cmd_sweep(int argc, char **argv);

/* Print "wafersim <cmd>: <message>" and a hint to --help; returns
 * EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* For a command's parse step: *ex = code, returns 0 ("stop"). */
int cli_stop(int *ex, int code);

/* The GPU's data type for a --precision value (enum pe_prec): fp32 ->
 * fp32, mixed -> bf16 autocast, fp16 -> fp16 autocast. */
int cli_gpu_dtype(int precision);

/* Data parallel at a global batch (run and sweep by default: the GPUs
 * train the wafer's global batch): how many of `asked` GPUs take part, at
 * most one per sample.  PyTorch's DistributedSampler
 * (torch/utils/data/distributed.py, drop_last=False, the default) gives
 * each of N ranks ceil(B / N) samples, padding the shards with repeated
 * samples when N does not divide B; a rank beyond the B-th would hold
 * repeats only and add no sample to the step, so a lab starts at most B.
 * 1 when asked < 1; asked when global_batch < 1. */
int cli_ddp_gpus(int64_t global_batch, long asked);

/* The repeated samples DistributedSampler pads one step with: each of
 * `gpus` GPUs takes `per_gpu` samples of a global batch of global_batch
 * (per_gpu x gpus - global_batch, 0 when that is not positive). */
int64_t cli_ddp_padded(int64_t global_batch, int64_t per_gpu, int gpus);

/* Print all diagnostics and return EXIT_INPUT (EXIT_USAGE for WS_EUSAGE). */
int cli_fail(struct diag *d, int rc);

/* Parse a positive integer option value; on error prints and returns -1. */
int cli_parse_long(const char *cmd, const char *opt, const char *val,
		   long lo, long hi, long *out);

/* "WxH" (e.g. "32x16", or "32X16"): two decimal integers in [1, max],
 * digits only (no sign, no blank: " 4x4" and "+4x4" are refused, as
 * every integer option refuses them).  0, or -1 (nothing stored). */
int cli_parse_wxh(const char *s, long max, int *w, int *h);

/* ws_list_models() for a listing command: prints the error and returns
 * NULL if the folder cannot be read. */
char **cli_list_models(const char *subdir, size_t *n);

/* A --max-memory style size ("512M", "8G", bytes); NULL: *out = 0 (the
 * default budget).  On error prints a usage error and returns -1. */
int cli_parse_size(const char *cmd, const char *opt, const char *val,
		   int64_t *out);

/* True when progress may be shown (stderr is a terminal). */
int cli_progress_ok(void);

/* Progress on stderr: "\r<what>: 42% (3.1 s)", first after a second of
 * the command (t0: its start, wall_seconds()), then at most 5 times a
 * second; cli_progress_end clears the line if anything was shown.  The
 * callback fits engine_opts.progress and traffic_config.progress. */
struct cli_progress {
	double t0, last;
	int shown;
	const char *what;
};
void cli_progress_init(struct cli_progress *pg, double t0, const char *what);
void cli_progress_cb(void *ctx, double done);
void cli_progress_end(struct cli_progress *pg);

#endif
