/*
 * cmd_plot.c: `wafersim plot DIR`: re-render every trace picture and CSV
 * from the statistics a run saved with `--trace DIR` (traces/trace.h).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opt.h"
#include "traces/trace.h"

static const char *const plot_options[] = {
	"out-dir", "heat-bin", "link-dirs", "pe-tracks", "no-gnuplot",
	"no-graphviz", "output>out-dir", NULL};

static const struct cli_command plot_cmd = {
	"plot", "DIR [options]",
	"Re-render the trace pictures (heatmaps, placement map, network graph,\n"
	"timeline, gnuplot charts) and their CSV files from DIR/stats.json and\n"
	"the grid CSVs saved by `wafersim run ... --trace DIR`.  docs/traces.md\n"
	"describes every file.",
	plot_options, "example: wafersim plot out/uno-wse2 --heat-bin 2\n", 1, 1, NULL};

int cmd_plot(int argc, char **argv)
{
	struct cli_opts co;
	cli_opts_init(&co);
	int pr = cli_parse(&plot_cmd, argc, argv, &co);
	if (pr != CLI_GO)
		return cli_parse_exit(pr);
	struct trace_opts o;
	trace_opts_init(&o);
	o.heat_bin = (int)co.heat_bin;
	o.link_dirs = co.link_dirs;
	o.pe_tracks = (int)co.pe_tracks;
	o.gnuplot = !co.no_gnuplot;
	o.graphviz = !co.no_graphviz;
	const char *dir = co.args[0];
	const char *out_dir = co.out_dir ? co.out_dir : dir;
	struct diag d;
	diag_init(&d);
	/* the folder's place before the work, as run --trace checks its */
	int rc = co.out_dir ? ws_check_output_dir(co.out_dir, "--out-dir", &d)
			    : 0;
	if (!rc)
		rc = trace_replot(dir, out_dir, &o, &d);
	int ex = rc ? cli_fail(&d, rc) : EXIT_OK;
	if (!rc)
		fprintf(stderr, "plot: pictures written to %s\n", out_dir);
	diag_release(&d);
	return ex;
}
