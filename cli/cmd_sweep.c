/*
 * cmd_sweep.c: `wafersim sweep`: the cross product of networks, machines,
 * strategies, batches and dtypes, one engine run per point on N threads;
 * CSV of every point, summary (best strategy per network x machine) on
 * stdout.  The library does the work (cli/sweep.h); cli/mpi_sweep.c is the
 * same command split across MPI ranks.
 */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/sweep.h"
#include "ground/util.h"

static const char sweep_help[] =
	"usage: wafersim sweep --nets N1,N2 --machines M1,M2 --strategies S1,S2\n"
	"                      --batch B1,B2 [options]\n\n"
	"Simulate a training step of every point of the cross product (one\n"
	"engine run each) and write one CSV row per point: step time,\n"
	"samples/s, energy per step, average power, bottleneck, PEs used and,\n"
	"with --gpu, the speedup over one GPU.  Rows come in a fixed order\n"
	"(net, machine, strategy, batch, dtype; the last varies fastest),\n"
	"whatever the number of threads.  A summary (best strategy per\n"
	"network x machine) goes to stdout.  Every list is checked before\n"
	"anything runs.\n\n"
	"  --nets LIST         networks (zoo names or files)\n"
	"  --machines LIST     machine presets or files\n"
	"  --strategies LIST   placement strategies (wafersim place --help)\n"
	"  --batch LIST        samples per training step\n"
	"  --dtype LIST        mixed and/or fp32 (default mixed)\n"
	"  --gpu G             GPU preset or file: adds its eager step time and\n"
	"                      the speedup (one GPU, same batch and dtype)\n"
	"  --steps N           training steps simulated per point (default 2)\n"
	"  --jobs N            threads (default 1)\n"
	"  -o, --output FILE   write the CSV to FILE (default sweep.csv)\n"
	"  --json              print the points and best strategies as JSON on\n"
	"                      stdout instead of the summary table\n"
	"\nexample: wafersim sweep --nets uno,combo,p1b2 --machines wse2,wse3 \\\n"
	"           --strategies strips,pack,anneal --batch 32,64 --gpu h100 \\\n"
	"           --jobs 2 -o sweep.csv\n";

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
 * exit code when stopped or the journal cannot be written. */
static int run_share(const struct sweep *sw, const struct sweep_exec *x,
		     const char *out_path, int resume, int jobs,
		     struct sweep_result *res, int lead, struct diag *d)
{
	struct sweep_journal j;
	if (sweep_journal_open(&j, sw, out_path, x->rank, resume, res, d))
		return fail(d, WS_EIO, lead);
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
	int rc = 0;
	if (left) {
		fprintf(stderr,
			"sweep: stopped by signal %d with %lld points left; "
			"the finished ones are kept in %s\n",
			stop_signal, (long long)left,
			j.path ? j.path : "no journal (-o -)");
		rc = 128 + (stop_signal ? stop_signal : SIGTERM);
	}
	sweep_journal_close(&j);
	return rc;
}

/* cli_parse_long on rank 0; the other ranks check silently. */
static int parse_count(int lead, const char *opt, const char *val, long hi,
		       long *out)
{
	if (lead)
		return cli_parse_long("sweep", opt, val, 1, hi, out);
	char *end;
	long v = strtol(val, &end, 10);
	if (end == val || *end || v < 1 || v > hi)
		return -1;
	*out = v;
	return 0;
}

int sweep_command(int argc, char **argv, const struct sweep_exec *x)
{
	static const struct sweep_exec alone = {0, 1, NULL, NULL};
	if (!x || x->size < 1)
		x = &alone;
	int lead = x->rank == 0; /* prints and writes */
	static const struct option opts[] = {
		{"nets", required_argument, 0, 'N'},
		{"machines", required_argument, 0, 'M'},
		{"strategies", required_argument, 0, 'S'},
		{"batch", required_argument, 0, 'b'},
		{"dtype", required_argument, 0, 'd'},
		{"gpu", required_argument, 0, 'g'},
		{"steps", required_argument, 0, 's'},
		{"jobs", required_argument, 0, 'j'},
		{"output", required_argument, 0, 'o'},
		{"json", no_argument, 0, 'J'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0}};
	struct sweep_spec spec;
	sweep_spec_init(&spec);
	struct diag d;
	diag_init(&d);
	const char *out_path = "sweep.csv";
	long jobs = 1, steps = 0;
	int json = 0, c, rc = 0;
	int resume = 0; /* --resume joins the option table with issue 15 */
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'N': sweep_spec_set(&spec, "--nets", optarg, &d); break;
		case 'M': sweep_spec_set(&spec, "--machines", optarg, &d); break;
		case 'S': sweep_spec_set(&spec, "--strategies", optarg, &d); break;
		case 'b': sweep_spec_set(&spec, "--batch", optarg, &d); break;
		case 'd': sweep_spec_set(&spec, "--dtype", optarg, &d); break;
		case 'g':
			free(spec.gpu);
			spec.gpu = xstrdup(optarg);
			break;
		case 's':
			if (parse_count(lead, "--steps", optarg, 1000, &steps))
				rc = EXIT_USAGE;
			break;
		case 'j':
			if (parse_count(lead, "--jobs", optarg, 1024, &jobs))
				rc = EXIT_USAGE;
			break;
		case 'o': out_path = optarg; break;
		case 'J': json = 1; break;
		case 'h':
			if (lead)
				fputs(sweep_help, stdout);
			goto out;
		default:
			rc = lead ? cli_usage_error("sweep",
						    "unknown option '%s'",
						    argv[optind - 1])
				  : EXIT_USAGE;
			goto out;
		}
	}
	if (rc)
		goto out;
	if (optind < argc) {
		rc = lead ? cli_usage_error("sweep",
					    "unexpected argument '%s'",
					    argv[optind])
			  : EXIT_USAGE;
		goto out;
	}
	if (diag_count(&d)) {
		rc = fail(&d, WS_EUSAGE, lead);
		goto out;
	}
	static const char *const need[] = {"--nets", "--machines",
					   "--strategies", "--batch"};
	const int have[] = {spec.n_nets, spec.n_machines, spec.n_strategies,
			    spec.n_batches};
	for (int i = 0; i < 4; i++)
		if (!have[i]) {
			rc = lead ? cli_usage_error("sweep", "'%s' is required",
						    need[i])
				  : EXIT_USAGE;
			goto out;
		}
	spec.steps = (int)steps;

	struct sweep sw;
	if (sweep_prepare(&spec, &sw, &d)) {
		rc = fail(&d, WS_EINPUT, lead);
		goto out;
	}
	struct sweep_result *res =
		xcalloc((size_t)sw.n_points, sizeof(*res));
	rc = run_share(&sw, x, out_path, resume, (int)jobs, res, lead, &d);
	if (rc) {
		free(res);
		sweep_release(&sw);
		goto out;
	}
	if (x->gather && x->gather(&sw, res, x->ctx)) {
		diag_add(&d, NULL, 0, 0,
			 "sweep: gathering the rows on rank 0 failed");
	} else if (lead) {
		struct outfile of = {0};
		if (outfile_open(&of, out_path, &d) == 0) {
			sweep_write_csv(&sw, res, of.f);
			if (outfile_commit(&of, &d) == 0) {
				sweep_journal_remove(out_path);
				if (json)
					sweep_write_json(&sw, res, stdout);
				else
					sweep_write_summary(&sw, res, stdout);
			}
		}
	}
	free(res);
	sweep_release(&sw);
	if (diag_count(&d))
		rc = fail(&d, WS_EIO, lead);
out:
	sweep_spec_release(&spec);
	diag_release(&d);
	return rc;
}

int cmd_sweep(int argc, char **argv)
{
	return sweep_command(argc, argv, NULL);
}
