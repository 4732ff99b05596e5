/*
 * cmd_sweep.c: `wafersim sweep`: the cross product of networks, machines,
 * strategies, batches and dtypes, one engine run per point on N threads;
 * CSV of every point, summary (best strategy per network x machine) on
 * stdout.  The library does the work (cli/sweep.h); cli/mpi_sweep.c is the
 * same command split across MPI ranks.
 */
#include <signal.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opt.h"
#include "cli/sweep.h"
#include "ground/util.h"

static const char *const sweep_options[] = {
	"net,", "machine,", "set", "strategy,", "batch,", "precision,",
	"mode,", "seed,", "kernel,", "wafers,", "gpu", "gpus", "gpu-batch",
	"steps", "jobs",
	"output", "json", "resume", "nets>net,", "machines,", "strategies,",
	"dtype,", "max-memory", NULL};

static const struct cli_command sweep_cmd = {
	"sweep", "--net N1,N2 --batch B1,B2 [options]",
	"Simulate a training step of every point of the cross product of the\n"
	"comma lists (one engine run each) and write one CSV row per point:\n"
	"step time, samples/s, energy per step, average power, bottleneck, PEs\n"
	"used and, with --gpu, the speedup over the GPUs (same precision,\n"
	"eager).  --set KEY=V1,V2 (repeatable) adds an axis over a key of the\n"
	"machine schema (wafersim machine schema): machines that do not exist.\n"
	"Rows come in a fixed order (net, machine, the --set axes, strategy,\n"
	"batch, precision, mode, kernel, wafers, seed; the last varies\n"
	"fastest), whatever the number of threads; each axis given is a\n"
	"column.  --wafers N1,N2 splits each global batch over N wafers\n"
	"(weight streaming), as run does.  Every list is checked before\n"
	"anything runs.  Each finished point is journaled\n"
	"beside -o FILE: SIGINT or SIGTERM stop cleanly, --resume continues.\n"
	"With -o FILE, a summary (best strategy per group) or, with --json,\n"
	"the points and best strategies go to standard output; without -o the\n"
	"CSV does (or, with --json, the JSON).",
	sweep_options,
	"example: wafersim sweep --net uno,combo,p1b2 --machine wse2,wse3 \\\n"
	"           --strategy strips,pack,anneal --batch 32,64 --gpu h100 \\\n"
	"           --jobs 2 -o sweep.csv\n"
	"         wafersim sweep --net uno --strategy pack --batch 32 \\\n"
	"           --set clock_ghz=0.85,1.1 \\\n"
	"           --set extmem.bandwidth_gbytes_s=150,300 -o whatif.csv\n",
	0, 0, NULL};

struct progress {
	double t0;
	int shown;
};

static void progress_cb(void *ctx, int64_t done, int64_t total)
{
	struct progress *pg = ctx;
	double t = wall_seconds() - pg->t0;
	if (t < 1.0)
		return;
	fprintf(stderr, "\rsweep: %lld/%lld points (%.1f s)", (long long)done,
		(long long)total, t);
	pg->shown = 1;
}

/* Messages from rank 0 only (every rank finds the same ones). */
static int fail(struct diag *d, int rc, int lead)
{
	if (lead)
		return cli_fail(d, rc);
	return rc == WS_EUSAGE ? EXIT_USAGE : EXIT_INPUT;
}

/* SIGINT and SIGTERM stop a sweep cleanly: no new point starts, the
 * running ones finish and are journaled, and the command says how to
 * resume.  A signal handler can only reach a static. */
static volatile int stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void catch_stop_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Run this process's share with its journal beside `out_path`; 0, or the
 * exit code when stopped (128 + the signal) or the journal cannot be
 * written. */
static int run_share(const struct sweep *sw, const struct sweep_exec *x,
		     const char *out_path, int resume, int jobs,
		     struct sweep_result *res, int lead, struct diag *d)
{
	struct sweep_journal j;
	if (sweep_journal_open(&j, sw, out_path, x->rank, resume, res, d))
		return fail(d, WS_EIO, lead);
	sweep_resumed_check(sw, &j, res);
	if (lead && j.n_resumed)
		fprintf(stderr, "sweep: %lld of %lld points read back from "
				"the journal\n",
			(long long)j.n_resumed, (long long)sw->n_points);
	struct progress pg = {wall_seconds(), 0};
	stop_signal = 0;
	catch_stop_signals();
	int64_t left = sweep_run_journaled(
		sw, x->rank, x->size, jobs, res, &j, &stop_signal,
		lead && cli_progress_ok() ? progress_cb : NULL, &pg);
	if (pg.shown)
		fprintf(stderr, "\r%60s\r", "");
	sweep_journal_close(&j);
	return left ? 128 + (stop_signal ? stop_signal : SIGTERM) : 0;
}

/* Every process's outcome of its share (`rc`) made one: the largest, so
 * that a rank stopped by a signal stops them all before the gather (which
 * would wait for its rows forever).  Rank 0 says what happened. */
static int agree(int rc, const struct sweep_exec *x, const char *out_path,
		 int lead)
{
	int all = x->agree ? x->agree(rc, x->ctx) : rc;
	if (!lead || !all)
		return all;
	if (all > 128 && strcmp(out_path, "-"))
		fprintf(stderr,
			"sweep: stopped by signal %d before every point ran; "
			"the finished points are kept in %s.journal.*: the "
			"same command with --resume continues\n",
			all - 128, out_path);
	else if (all > 128)
		fprintf(stderr, "sweep: stopped by signal %d; without -o FILE "
				"no point is kept\n", all - 128);
	else if (!rc)
		fprintf(stderr, "sweep: another rank could not run its "
				"share\n");
	return all;
}

/* The comma lists into the spec, in the names sweep_spec_set knows. */
static void sweep_lists(const struct cli_opts *o, struct sweep_spec *spec,
			struct diag *d)
{
	static const char *const rows[][2] = {
		{"net", "--nets"},	   {"machine", "--machines"},
		{"strategy", "--strategies"}, {"batch", "--batch"},
		{"precision", "--dtype"}, {"mode", "--mode"},
		{"seed", "--seed"},	   {"kernel", "--kernel"},
		{"wafers", "--wafers"}};
	/* the spec's own defaults (mixed, auto, seed 1, the engine's steps)
	 * are the table's: set only what was given, so a journal's
	 * signature is the same however the sweep was spelled, and a column
	 * appears for every axis asked for */
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const char *v = cli_list(o, rows[i][0]);
		if (v && (i < 3 || cli_given(o, rows[i][0])))
			sweep_spec_set(spec, rows[i][1], v, d);
	}
	for (int k = 0; k < o->set.n; k++)
		sweep_spec_set(spec, "--set", o->set.v[k], d);
	/* a GPU baseline when any of its options is given (as in run) */
	int gpus = cli_given(o, "gpus") || o->gpus > 1;
	int gpu = cli_given(o, "gpu") || gpus || cli_given(o, "gpu-batch");
	free(spec->gpu);
	spec->gpu = gpu ? xstrdup(o->gpu) : NULL;
	spec->gpus = gpus ? (int)o->gpus : 0;
	spec->gpu_batch = cli_given(o, "gpu-batch") ? o->gpu_batch : 0;
	spec->steps = cli_given(o, "steps") ? (int)o->steps : 0;
}

/* 1 to go on; else 0 with the exit status in *ex. */
static int sweep_parse(struct cli_opts *o, struct sweep_spec *spec,
		       int lead, int argc, char **argv, int *ex)
{
	struct diag d;
	diag_init(&d);
	o->quiet = !lead;
	int pr = cli_parse(&sweep_cmd, argc, argv, o);
	*ex = cli_parse_exit(pr);
	int go = pr == CLI_GO;
	/* --strategy defaults to auto, as everywhere */
	static const char *const need[] = {"net", "batch"};
	for (int i = 0; go && i < 2; i++)
		if (!cli_given(o, need[i]))
			go = cli_stop(ex, lead ? cli_usage_error("sweep",
						 "'--%s' is required", need[i])
					       : EXIT_USAGE);
	if (go && o->resume && (!o->output || !strcmp(o->output, "-")))
		go = cli_stop(ex, lead ? cli_usage_error("sweep", "'--resume' "
					 "needs '-o FILE': the journal of "
					 "finished points sits beside it")
				       : EXIT_USAGE);
	/* the budget of each point's run (threads: --jobs of them at once) */
	if (go && cli_parse_size("sweep", "--max-memory", o->max_memory,
				 &spec->max_memory))
		go = cli_stop(ex, EXIT_USAGE);
	if (go) {
		sweep_lists(o, spec, &d);
		if (diag_count(&d))
			go = cli_stop(ex, fail(&d, WS_EUSAGE, lead));
	}
	diag_release(&d);
	return go;
}

/* The CSV to -o (or standard output), then the summary or JSON. */
static void sweep_write(const struct cli_opts *o, const struct sweep *sw,
			const struct sweep_result *res, struct diag *d)
{
	int to_stdout = !o->output || !strcmp(o->output, "-");
	if (to_stdout && o->json) {
		sweep_write_json(sw, res, stdout);
		return;
	}
	struct outfile of = {0};
	if (outfile_open(&of, to_stdout ? "-" : o->output, d))
		return;
	sweep_write_csv(sw, res, of.f);
	if (outfile_commit(&of, d)) {
		struct stat st;
		if (!to_stdout && (stat(o->output, &st) != 0 ||
				   S_ISREG(st.st_mode)))
			diag_add(d, NULL, 0, 0,
				 "sweep: the finished points are kept in "
				 "%s.journal.*: the same command with "
				 "--resume writes the table without running "
				 "them again",
				 o->output);
		return;
	}
	if (to_stdout)
		return;
	sweep_journal_remove(o->output);
	if (o->json)
		sweep_write_json(sw, res, stdout);
	else
		sweep_write_summary(sw, res, stdout);
}

static int sweep_steps(const struct cli_opts *o, const struct sweep_spec *spec,
		       const struct sweep_exec *x, struct diag *d)
{
	int lead = x->rank == 0;
	struct sweep sw;
	/* before any point runs: can the CSV be written there?  (The
	 * journal and the CSV's temporary file are made only later: a kill
	 * leaves no stray file but the journal.) */
	if (ws_check_output_file(o->output ? o->output : "-", "sweep: '-o'",
				 d))
		return fail(d, WS_EIO, lead);
	if (sweep_prepare(spec, &sw, d))
		return fail(d, WS_EINPUT, lead);
	struct sweep_result *res =
		xcalloc((size_t)sw.n_points, sizeof(*res));
	const char *out = o->output ? o->output : "-";
	int rc = agree(run_share(&sw, x, out, o->resume, (int)o->jobs, res,
				 lead, d),
		       x, out, lead);
	if (rc) {
		free(res);
		sweep_release(&sw);
		return rc;
	}
	if (x->gather && x->gather(&sw, res, x->ctx))
		diag_add(d, NULL, 0, 0,
			 "sweep: gathering the rows on rank 0 failed");
	else if (lead)
		sweep_write(o, &sw, res, d);
	free(res);
	sweep_release(&sw);
	return diag_count(d) ? fail(d, WS_EIO, lead) : EXIT_OK;
}

int sweep_command(int argc, char **argv, const struct sweep_exec *x)
{
	static const struct sweep_exec alone = {0, 1, NULL, NULL, NULL};
	if (!x || x->size < 1)
		x = &alone;
	struct cli_opts o;
	struct sweep_spec spec;
	struct diag d;
	cli_opts_init(&o);
	sweep_spec_init(&spec);
	diag_init(&d);
	int ex;
	if (sweep_parse(&o, &spec, x->rank == 0, argc, argv, &ex))
		ex = sweep_steps(&o, &spec, x, &d);
	sweep_spec_release(&spec);
	diag_release(&d);
	cli_opts_release(&o);
	return ex;
}

int cmd_sweep(int argc, char **argv)
{
	return sweep_command(argc, argv, NULL);
}
