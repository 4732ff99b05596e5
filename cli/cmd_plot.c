/*
 * cmd_plot.c: `wafersim plot DIR`: re-render every trace picture and CSV
 * from the statistics a run saved with `--trace DIR` (traces/trace.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "traces/trace.h"

/* clang-format off */
static const char usage[] =
	"usage: wafersim plot DIR [-o OUTDIR] [--heat-bin N] [--link-dirs]\n"
	"                     [--pe-tracks N] [--no-gnuplot] [--no-graphviz]\n"
	"\n"
	"Re-render the trace pictures (heatmaps, placement map, network graph,\n"
	"timeline, gnuplot charts) and their CSV files from DIR/stats.json and\n"
	"the grid CSVs saved by `wafersim run ... --trace DIR`.  docs/traces.md\n"
	"describes every file.\n"
	"\n"
	"  -o, --output DIR  write into DIR instead of the input directory\n"
	"  --heat-bin N      PEs per heatmap pixel side (default: 1 up to 1200\n"
	"                    PEs a side, scaled up on small meshes)\n"
	"  --link-dirs       one link heatmap per direction (if they were saved:\n"
	"                    run --trace-detail)\n"
	"  --pe-tracks N     timeline tracks for N sampled PEs per stage (<= 16)\n"
	"  --no-gnuplot      skip the gnuplot charts (CSV and scripts still)\n"
	"  --no-graphviz     skip the network graph drawing\n"
	"\nexample: wafersim plot out/uno-wse2 --heat-bin 2\n";
/* clang-format on */

int cmd_plot(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"heat-bin", required_argument, NULL, 'b'},
		{"link-dirs", no_argument, NULL, 'l'},
		{"pe-tracks", required_argument, NULL, 'p'},
		{"no-gnuplot", no_argument, NULL, 'G'},
		{"no-graphviz", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0}};
	struct trace_opts o;
	trace_opts_init(&o);
	const char *out_dir = NULL;
	long v;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out_dir = optarg; break;
		case 'b':
			if (cli_parse_long("plot", "--heat-bin", optarg, 1,
					   4096, &v))
				return EXIT_USAGE;
			o.heat_bin = (int)v;
			break;
		case 'l': o.link_dirs = 1; break;
		case 'p':
			if (cli_parse_long("plot", "--pe-tracks", optarg, 0,
					   TRACE_MAX_PE_TRACKS, &v))
				return EXIT_USAGE;
			o.pe_tracks = (int)v;
			break;
		case 'G': o.gnuplot = 0; break;
		case 'V': o.graphviz = 0; break;
		case 'h': fputs(usage, stdout); return EXIT_OK;
		default: return cli_usage_error("plot", "bad option");
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("plot",
				       "expected one trace directory, "
				       "got %d arguments",
				       argc - optind);
	const char *dir = argv[optind];
	struct diag d;
	diag_init(&d);
	int rc = trace_replot(dir, out_dir ? out_dir : dir, &o, &d);
	int ex = rc ? cli_fail(&d, rc) : EXIT_OK;
	if (!rc)
		fprintf(stderr, "plot: pictures written to %s\n",
			out_dir ? out_dir : dir);
	diag_release(&d);
	return ex;
}
