/*
 * sweep.h: design-space sweeps: the cross product of networks, machines,
 * placement strategies, batch sizes and data types, each point one engine
 * run (training step), as rows of a CSV and a summary (best strategy per
 * network x machine).
 *
 *   spec (lists of names) --sweep_prepare--> struct sweep (inputs loaded
 *   and checked once, read-only afterwards)
 *   point i --sweep_point--> struct sweep_result (a plain value)
 *   results[0 .. n) --sweep_write_csv / sweep_write_summary--> output
 *
 * Points are numbered in a fixed order: network, then machine, the
 * machine-parameter axes (--set), strategy, batch, dtype, mode, kernel,
 * wafers, seed (the last varies fastest), as the lists were given.  A
 * point's result depends only on its index and the spec, never on which
 * thread or process ran it or when: so `--jobs N` and the MPI driver
 * (cli/mpi_sweep.c) write the same bytes.  This is what "a simulation is a
 * value" buys.  The annealer's wall-clock cap is disabled in sweeps
 * (sweep_point sets a budget no run reaches), since a capped anneal would
 * depend on the load of the machine.
 *
 * Thread safety: sweep_point() only reads the struct sweep; every plan,
 * statistic and GPU estimate it makes is its own.  sweep_run() runs the
 * points on `jobs` pthreads (work taken from a shared counter; each result
 * lands at its own index).
 */
#ifndef WAFERSIM_SWEEP_H
#define WAFERSIM_SWEEP_H

#include <stdint.h>
#include <stdio.h>

#include "compiler/graph.h"
#include "compiler/plan.h"
#include "ground/diag.h"
#include "gpu/gpu.h"
#include "machine/machine.h"
#include "sim/report.h"

/* A machine-parameter axis: `--set KEY=V1,V2` (KEY a dotted key of the
 * machine schema, the values as text, checked by the schema). */
enum { SWEEP_MAX_SETS = 16 };
struct sweep_axis {
	char *key;
	char **values;
	int n_values;
};

/* What to sweep: lists as given on the command line (heap copies). */
struct sweep_spec {
	char **nets;
	int n_nets;
	char **machines;
	int n_machines;
	char **strategies;
	int n_strategies;
	int64_t *batches;
	int n_batches;
	enum pe_prec *dtypes; /* default: PREC_MIXED only */
	int n_dtypes;
	char *gpu;	      /* GPU preset or file for speedups, or NULL */
	int steps;	      /* training steps simulated; 0: engine default */
	struct sweep_axis *sets; /* machine keys, in the order given */
	int n_sets;
	int *modes;	      /* enum exec_mode; default MODE_AUTO only */
	int n_modes;
	int64_t *seeds;	      /* placement seeds; default 1 only */
	int n_seeds;
	int gpus;	      /* GPUs of the baseline (data parallel); 0: 1 */
	int64_t gpu_batch;    /* samples per GPU; 0: batch / gpus, rounded up */
	int64_t max_memory;   /* bytes one point's run may take (--max-memory);
			       * 0: the default of ground/checked.h */
	char **kernels;	      /* --kernel: auto or an algorithm of
			       * compiler/kern.h; default: the planner's */
	int n_kernels;
	int64_t *wafers;      /* --wafers: data-parallel wafers, the batch
			       * split over them; default 1 only */
	int n_wafers;
};

void sweep_spec_init(struct sweep_spec *s);
void sweep_spec_release(struct sweep_spec *s);

/*
 * Parse a comma-separated list `val` of option `opt` ("--nets",
 * "--machines", "--strategies", "--batch", "--dtype", "--mode", "--seed",
 * "--kernel", "--wafers") into the spec, replacing an earlier one.  Names
 * are only split here (they are checked by sweep_prepare); batches must be
 * integers in [1, 1048576], dtypes mixed or fp32, modes auto, pipelined or
 * streaming, seeds integers in [0, 2^31), kernels auto or an algorithm
 * name (kern_from_name), wafers integers in [1, 1048576] (the batch is
 * global, split over the wafers as `run --wafers` does).  "--set" takes
 * "KEY=V1,V2" and adds an axis (one per key;
 * the key and values are checked by sweep_prepare against the schema).  An
 * empty list or an empty item is an error.  0 or WS_EINPUT (with a message
 * in d).
 */
int sweep_spec_set(struct sweep_spec *s, const char *opt, const char *val,
		   struct diag *d);

/* The loaded, checked inputs of a sweep.  Read-only once prepared. */
struct sweep {
	struct sweep_spec spec;	 /* owned copy, defaults filled in */
	struct graph *graphs;	 /* [n_nets], momentum optimizer */
	/* [n_machines * n_combos]: machine i with the set values of combo c
	 * (the --set axes' value indices, the last axis fastest) at
	 * i * n_combos + c */
	struct machine *machines;
	int64_t n_combos;
	struct gpu_spec gpu;	 /* valid when spec.gpu */
	int64_t n_points;
	/* optional columns: the axes given on the command line */
	int show_mode, show_seed, show_gpus, show_kernel, show_wafers;
};

/*
 * Check and load everything a sweep needs, before anything runs: every
 * list non-empty, every network, machine and GPU loads, every strategy
 * exists (place_find_strategy).  Collects all problems into d; returns 0 or
 * WS_EINPUT (then `sw` needs no release).  `spec` is copied.
 */
int sweep_prepare(const struct sweep_spec *spec, struct sweep *sw,
		  struct diag *d);
void sweep_release(struct sweep *sw);

/* One point's figures.  A plain value with fixed-size text, zeroed before
 * it is filled (so it can be sent between processes as bytes). */
struct sweep_result {
	int64_t index;
	int ok;			 /* 0: the point could not be planned or run */
	char error[1024];	 /* why, when !ok (first message; a longer
				    one ends in "...") */
	int net, machine, strategy, batch, dtype; /* indices into the spec */
	int mode_i, seed_i;	 /* into spec.modes, spec.seeds */
	int kernel_i, wafers_i;	 /* into spec.kernels, spec.wafers */
	int set[SWEEP_MAX_SETS]; /* into spec.sets[k].values */
	int64_t batch_samples;	 /* the batch as run */
	char mode[16];		 /* pipelined or streaming */
	char placed_by[16];	 /* the plan's strategy ('auto' keeps one) */
	double step_s;		 /* steady training step */
	double samples_per_s;
	double step_j;		 /* energy per step */
	double power_w;		 /* average power over the step */
	char limit[16];		 /* what limits the run (stats_limit_name) */
	char bottleneck[REPORT_BOTTLENECK_MAX]; /* report_bottleneck() */
	int64_t pes_used, pes_total;
	int gpu;		 /* GPU figures present */
	int64_t gpu_batch;	 /* samples per GPU */
	int gpus_used;		 /* GPUs the step runs on: more than asked
				    when the state does not fit on those */
	char gpu_sharding[8];	 /* how the state is spread over them:
				    gpu_shard_name() (DDP, ZeRO-1..3) */
	double gpu_step_s;	 /* eager, same dtype: one step of the GPUs */
	double speedup;		 /* samples/s over the GPUs' (gpu_step_s /
				    step_s when both run the same batch) */
};

/* The coordinates of point i into r's index fields.  Order: network,
 * machine, the --set axes, strategy, batch, dtype, mode, kernel, wafers,
 * seed (the last varies fastest; lists not given have one item). */
void sweep_point_coords(const struct sweep *sw, int64_t i,
			struct sweep_result *r);

/* Run point i (0 <= i < n_points) and fill r.  Never fails as a whole: a
 * point that cannot be planned or simulated gets ok = 0 and its error. */
void sweep_point(const struct sweep *sw, int64_t i, struct sweep_result *r);

/* Run every point on `jobs` threads (>= 1); results[n_points].  If
 * `progress` is not NULL it is called (under a lock, from the worker
 * threads) after each point with the count done. */
int sweep_run(const struct sweep *sw, int jobs, struct sweep_result *results,
	      void (*progress)(void *ctx, int64_t done, int64_t total),
	      void *ctx);
/* The same for one share of the points: those with i % n_shares == share
 * (static round-robin, as the MPI driver splits them); other slots of
 * `results` are left alone.  `progress` counts this share's points. */
int sweep_run_share(const struct sweep *sw, int share, int n_shares, int jobs,
		    struct sweep_result *results,
		    void (*progress)(void *ctx, int64_t done, int64_t total),
		    void *ctx);
/* Points in share `share` of `n_shares`. */
int64_t sweep_share_points(const struct sweep *sw, int share, int n_shares);

/* The CSV: a header line, then one row per point in index order.  Doubles
 * exact (fmt_double_exact); text quoted when it holds a comma or quote. */
void sweep_write_csv(const struct sweep *sw, const struct sweep_result *res,
		     FILE *out);
/* Summary table: per network x machine (and batch, dtype) the best
 * strategy by samples/s, with its step time and energy, and failed points
 * counted. */
void sweep_write_summary(const struct sweep *sw,
			 const struct sweep_result *res, FILE *out);
/* The same as JSON: {"points": [...], "best": [...]} (deterministic). */
void sweep_write_json(const struct sweep *sw, const struct sweep_result *res,
		      FILE *out);

/* ---- resumable sweeps (cli/sweep_journal.c) ------------------------------
 *
 * Each process appends every point it finishes to its journal beside the
 * CSV, "<csv>.journal.<rank>" (one synced line per point: a kill -9 loses
 * at most the points still running).  Resuming reads every journal of the
 * CSV with the same sweep key (the lists, the point count and the record
 * size) and runs only the missing points; since a point is a value, the
 * CSV is byte-identical to an uninterrupted run, for any number of threads
 * or ranks before and after.  No journal for "-" (stdout).
 */
struct sweep_journal {
	int fd;		     /* this process's journal, or -1 */
	char *path;
	uint64_t key;	     /* identifies the sweep */
	unsigned char *done; /* [n_points]: 1 if read back from a journal */
	int64_t n_resumed;   /* points read back */
};
/* Open this rank's journal for `out_path`; with `resume`, first read every
 * journal of `out_path` into `results` (and j->done).  0 or WS_EIO. */
int sweep_journal_open(struct sweep_journal *j, const struct sweep *sw,
		       const char *out_path, int rank, int resume,
		       struct sweep_result *results, struct diag *d);
/* Un-mark the points read back whose record this sweep could not have
 * written (its coordinates not those of its index, a string without its
 * end, a bad 'ok': an edited journal, another build's record of the same
 * size), so they run again; returns how many (j->n_resumed counts the
 * rest).  sweep_run_journaled does it too; call it after
 * sweep_journal_open before using j->done or the results. */
int64_t sweep_resumed_check(const struct sweep *sw, struct sweep_journal *j,
			    const struct sweep_result *res);
/* Append one finished point (callers serialise: the pool's lock). */
void sweep_journal_add(struct sweep_journal *j, const struct sweep_result *r);
void sweep_journal_close(struct sweep_journal *j);
/* Delete every journal of `out_path` (once its CSV is in place). */
void sweep_journal_remove(const char *out_path);

/* sweep_run_share with a journal (may be NULL): points in j->done are not
 * run again, every finished point is appended, and no point starts once
 * *stop (may be NULL; set by a signal handler) is nonzero.  Returns the
 * number of points of this share left undone (0 when complete). */
int64_t sweep_run_journaled(const struct sweep *sw, int share, int n_shares,
			    int jobs, struct sweep_result *results,
			    struct sweep_journal *j,
			    volatile const int *stop,
			    void (*progress)(void *ctx, int64_t done,
					     int64_t total),
			    void *ctx);

/* ---- the command (cli/cmd_sweep.c; linked into build/wafersim and
 * build/wafersim-mpi, not into the library) ---------------------------- */

/* How the points are spread over processes.  NULL (or size 1): all here. */
struct sweep_exec {
	int rank, size;	/* this process runs the share `rank` of `size` */
	/* after this process ran its share: make `results` complete on rank
	 * 0 (the MPI gather); 0 or nonzero on failure */
	int (*gather)(const struct sweep *sw, struct sweep_result *results,
		      void *ctx);
	/* every process's status after its share (0, or an exit code such
	 * as 128 + a signal) made one (the largest); NULL: alone */
	int (*agree)(int rc, void *ctx);
	void *ctx;
};

/* `wafersim sweep` with argv[0] the command name.  Every process parses
 * and checks the same lists; only rank 0 prints messages and writes the
 * CSV and the summary.  Returns the exit code (cli.h). */
int sweep_command(int argc, char **argv, const struct sweep_exec *x);

#endif
