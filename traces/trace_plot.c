/*
 * trace_plot.c: the charts drawn by gnuplot (pngcairo), each from a CSV
 * written beside it and a .gp script users can edit and re-run
 * (`gnuplot timeline.gp` inside the trace directory):
 *
 *   timeline   PE and fabric utilisation and power over time (per window)
 *   breakdown  per-stage time of the reference PE: compute, comm, wait in,
 *              wait out (stacked; they add up to the run's cycles)
 *   gpu        run time and energy on the wafer and the GPU baseline
 *
 * gnuplot runs once for all scripts.  If it is missing the CSVs and scripts
 * are still written and a note says so; that is not an error.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ground/util.h"
#include "traces/trace_int.h"

static int open_out(struct outfile *o, const char *dir, const char *name,
		    struct diag *d)
{
	char *path = trace_path(dir, name);
	int rc = outfile_open(o, path, d);
	free(path);
	return rc ? WS_EIO : 0;
}

static int write_timeline(const struct trace_data *t, const char *dir,
			  struct diag *d)
{
	struct outfile o;
	if (open_out(&o, dir, "timeline.csv", d))
		return WS_EIO;
	double usc = t->clock_ghz > 0 ? 1e-3 / t->clock_ghz : 1e-3;
	fprintf(o.f, "window,start_cycle,start_us,end_us,pe_util,fabric_util,"
		     "power_w");
	for (int s = 0; s < t->n_stages; s++) {
		fputs(",busy_", o.f);
		sf_csv_str(o.f, t->stages[s].name);
	}
	fputc('\n', o.f);
	for (int w = 0; w < t->n_win; w++) {
		double c0 = w * t->window_cycles, c1 = c0 + t->window_cycles;
		if (c0 >= t->total_cycles)
			break;
		if (c1 > t->total_cycles)
			c1 = t->total_cycles;
		fprintf(o.f, "%d,%.0f,%.6g,%.6g,%.6g,%.6g,%.6g", w, c0,
			c0 * usc, c1 * usc, t->win_pe_util[w],
			t->win_fabric_util[w], t->win_power_w[w]);
		for (int s = 0; s < t->n_stages; s++)
			fprintf(o.f, ",%.6g",
				t->window_cycles > 0
					? t->stage_busy[w * t->n_stages + s] /
						  t->window_cycles
					: 0);
		fputc('\n', o.f);
	}
	if (outfile_commit(&o, d))
		return WS_EIO;
	if (open_out(&o, dir, "timeline.gp", d))
		return WS_EIO;
	fprintf(o.f,
		"# utilisation and power over time; data: timeline.csv\n"
		"reset\nif (!exists(\"out\")) out = \"timeline.png\"\n"
		"set terminal pngcairo size 1000,640 font \"Sans,10\"\n"
		"set output out\nset datafile separator \",\"\nset datafile "
		"columnheaders\n"
		"set key outside right top\nset grid\nset lmargin 10\nset "
		"rmargin 24\n"
		"set multiplot layout 2,1 title \"%s on %s (%s): utilisation "
		"and "
		"power over time\"\n"
		"set ylabel \"power (W)\"\nset format x \"\"\nunset xlabel\n"
		"plot \"timeline.csv\" using 3:7 "
		"with steps lw 2 lc rgb \"#d62728\" title \"power\"\n"
		"set format x \"%%g\"\nset xlabel \"time (us)\"\n"
		"set ylabel \"utilisation\"\nset yrange [0:*]\n"
		"plot \"timeline.csv\" using 3:5 with steps lw 2 "
		"lc rgb \"#1f77b4\" title \"PE (all PEs)\", \\\n"
		"     \"\" using 3:6 with steps lw 2 lc rgb \"#2ca02c\" "
		"title \"fabric (all links)\"\n"
		"unset multiplot\n",
		t->network, t->machine, t->job);
	return outfile_commit(&o, d) ? WS_EIO : 0;
}

static int write_breakdown(const struct trace_data *t, const char *dir,
			   struct diag *d)
{
	struct outfile o;
	if (open_out(&o, dir, "breakdown.csv", d))
		return WS_EIO;
	static const int cols[] = {TS_NAME, TS_COMPUTE, TS_COMM, TS_WAIT_IN,
				   TS_WAIT_OUT};
	fputs("stage,", o.f);
	sf_csv_header(o.f, trace_stage_fields, cols, ARRAY_SIZE(cols));
	fputc('\n', o.f);
	for (int s = 0; s < t->n_stages; s++) {
		fprintf(o.f, "%d,", s);
		sf_csv_row(o.f, trace_stage_fields, cols, ARRAY_SIZE(cols),
			   &t->stages[s]);
		fputc('\n', o.f);
	}
	if (outfile_commit(&o, d))
		return WS_EIO;
	if (open_out(&o, dir, "breakdown.gp", d))
		return WS_EIO;
	int wpx = 300 + 28 * t->n_stages;
	fprintf(o.f,
		"# per-stage time of the reference PE; data: breakdown.csv\n"
		"reset\nif (!exists(\"out\")) out = \"breakdown.png\"\n"
		"set terminal pngcairo size %d,560 font \"Sans,10\"\n"
		"set output out\nset datafile separator \",\"\nset datafile "
		"columnheaders\n"
		"set title \"%s on %s (%s): time per stage (reference PE)\"\n"
		"set style data histograms\nset style histogram rowstacked\n"
		"set style fill solid 0.9 border rgb \"#333333\"\nset boxwidth "
		"0.8\n"
		"set key outside right top\nset ylabel \"cycles\"\n"
		"set xtics rotate by -60 left noenhanced\nset grid ytics\n"
		"set yrange [0:*]\n"
		"plot \"breakdown.csv\" using 3:xtic(2) title \"compute\" "
		"lc rgb \"#1f77b4\", \\\n"
		"     \"\" using 4 title \"comm\" lc rgb \"#ff7f0e\", \\\n"
		"     \"\" using 5 title \"wait in\" lc rgb \"#c7c7c7\", \\\n"
		"     \"\" using 6 title \"wait out\" lc rgb \"#d62728\"\n",
		wpx < 700    ? 700
		: wpx > 4000 ? 4000
			     : wpx,
		t->network, t->machine, t->job);
	return outfile_commit(&o, d) ? WS_EIO : 0;
}

static int write_gpu(const struct trace_data *t, const char *dir,
		     struct diag *d)
{
	const struct trace_gpu *g = &t->gpu;
	struct outfile o;
	if (open_out(&o, dir, "gpu.csv", d))
		return WS_EIO;
	fprintf(o.f, "system,seconds,joules,speedup_of_wafer,"
		     "energy_ratio_of_wafer\n");
	fprintf(o.f, "%s,%.6g,%.6g,1,1\n", t->machine, g->wafer_s, g->wafer_j);
	const char *mode[2] = {"eager", "graph"};
	for (int k = 0; k < 2; k++) {
		fprintf(o.f, "%dx %s %s,%.6g,%.6g,%.6g,%.6g\n", g->n_gpus,
			g->name, mode[k], g->gpu_s[k], g->gpu_j[k],
			g->speedup[k], g->energy_ratio[k]);
	}
	if (outfile_commit(&o, d))
		return WS_EIO;
	if (open_out(&o, dir, "gpu.gp", d))
		return WS_EIO;
	const char *what = g->train ? "training run" : "one prediction";
	fprintf(o.f,
		"# the wafer against the GPU baseline; data: gpu.csv\n"
		"reset\nif (!exists(\"out\")) out = \"gpu.png\"\n"
		"set terminal pngcairo size 1000,480 font \"Sans,10\"\n"
		"set output out\nset datafile separator \",\"\nset datafile "
		"columnheaders\n"
		"set style data histograms\nset style histogram clustered\nset "
		"style fill solid 0.9 border "
		"rgb \"#333333\"\nset boxwidth 0.7\nset logscale y\n"
		"set grid ytics\nunset key\nset xtics noenhanced\nset format y "
		"\"%%g\"\nset xrange [-0.6:2.6]\n"
		"set multiplot layout 1,2 title \"%s (%s): %s on %s vs %dx %s; "
		"wafer speedup %.3gx (eager) %.3gx (graph), energy ratio "
		"%.3gx / %.3gx\" noenhanced\n"
		"set title \"time (s), log scale\"\n"
		"plot \"gpu.csv\" using 2:xtic(1) lc rgb \"#1f77b4\"\n"
		"set title \"energy (J), log scale\"\n"
		"plot \"gpu.csv\" using 3:xtic(1) lc rgb \"#ff7f0e\"\n"
		"unset multiplot\n",
		t->network, what, t->job, t->machine, g->n_gpus, g->name,
		g->speedup[0], g->speedup[1], g->energy_ratio[0],
		g->energy_ratio[1]);
	return outfile_commit(&o, d) ? WS_EIO : 0;
}

/* Run gnuplot in dir on each script, writing NAME.png.tmp, then rename.
 * Returns 0 if every chart was drawn, 1 if gnuplot is missing or failed. */
static int run_gnuplot(const char *dir, const char *const *names, int n)
{
	const char *argv[3 * 8 + 2];
	char *alloc[16];
	int a = 0, na = 0;
	argv[a++] = "gnuplot";
	for (int i = 0; i < n; i++) {
		argv[a++] = "-e";
		argv[a++] = alloc[na++] =
			xasprintf("out='%s.png.tmp'", names[i]);
		argv[a++] = alloc[na++] = xasprintf("%s.gp", names[i]);
	}
	argv[a] = NULL;
	int rc = trace_run_tool(dir, argv, NULL);
	for (int i = 0; i < n; i++) {
		char *tmp = xasprintf("%s/%s.png.tmp", dir, names[i]);
		char *fin = xasprintf("%s/%s.png", dir, names[i]);
		if (!rc)
			rc = rename(tmp, fin) != 0;
		else
			unlink(tmp);
		free(tmp);
		free(fin);
	}
	for (int i = 0; i < na; i++)
		free(alloc[i]);
	return rc;
}

int trace_plot_write(const struct trace_data *t, const char *dir,
		     const struct trace_opts *o, struct diag *d)
{
	const char *names[3];
	int n = 0;
	if (write_timeline(t, dir, d))
		return WS_EIO;
	names[n++] = "timeline";
	if (write_breakdown(t, dir, d))
		return WS_EIO;
	names[n++] = "breakdown";
	if (t->gpu.present) {
		if (write_gpu(t, dir, d))
			return WS_EIO;
		names[n++] = "gpu";
	}
	if (o->gnuplot && run_gnuplot(dir, names, n) && !o->quiet)
		fprintf(stderr,
			"note: gnuplot is missing or failed: charts not "
			"drawn (their CSV and .gp scripts are in %s)\n",
			dir);
	return 0;
}
