/*
 * trace_plot.c: the charts drawn by gnuplot's cairo terminals (pngcairo,
 * svg, pdfcairo: NAME.png, NAME.svg, NAME.pdf), each from a CSV written
 * beside it and a .gp script users can edit and re-run (`gnuplot
 * timeline.gp` inside the trace directory):
 *
 *   timeline   power (W, from 0) and PE and fabric utilisation over time
 *              (per window, x fitted to the run)
 *   breakdown  per-stage time of the reference PE: compute, comm, wait
 *              in, wait out, in percent of the run (stacked, 100%) and in
 *              us per step or per sample (side by side, log scale)
 *   gpu        run time and energy on the wafer and the GPU baseline,
 *              values on the bars, the ratios in words
 *
 * gnuplot runs once for all scripts.  If it is missing the CSVs and scripts
 * are still written and a note says so; that is not an error.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ground/util.h"
#include "sim/report.h"
#include "traces/trace_int.h"

static int open_out(struct outfile *o, const char *dir, const char *name,
		    struct diag *d)
{
	char *path = trace_path(dir, name);
	int rc = outfile_open(o, path, d);
	free(path);
	return rc ? WS_EIO : 0;
}

/* The script's head: a loop over the three formats; the plot commands
 * follow, then script_tail.  `out` names the files (NAME.png ...), `tmp`
 * is appended while drawing (the caller renames). */
static void script_head(FILE *f, const char *what, const char *name, int w,
			int h)
{
	fprintf(f,
		"# %s; data: %s.csv\n"
		"if (!exists(\"out\")) out = \"%s\"\n"
		"if (!exists(\"tmp\")) tmp = \"\"\n"
		"do for [fmt in \"png svg pdf\"] {\n"
		"reset\n"
		"if (fmt eq \"png\") { set terminal pngcairo size %d,%d font "
		"\"Sans,10\" }\n"
		"if (fmt eq \"svg\") { set terminal svg size %d,%d font "
		"\"Sans,10\" }\n"
		"if (fmt eq \"pdf\") { set terminal pdfcairo size %gin,%gin "
		"font \"Sans,10\" }\n"
		"set output out.\".\".fmt.tmp\n"
		"set datafile separator \",\"\nset datafile columnheaders\n",
		what, name, name, w, h, w, h, w / 100.0, h / 100.0);
}

static void script_tail(FILE *f)
{
	fputs("set output\n}\n", f);
}

/* The timeline's optional third panel: each stage's busy fraction of its
 * reference PE per window (with PE tracks: --trace-detail, --pe-tracks). */
static void stage_panel(FILE *f, const struct trace_data *t)
{
	fprintf(f,
		"set ylabel \"stage busy\"\nset yrange [0:1.05]\n"
		"set key outside right top noenhanced maxcols 1 font \",7\"\n"
		"plot for [i=8:%d] \"timeline.csv\" using 3:i with steps "
		"lw 1.5 title columnhead(i)\n",
		7 + t->n_stages);
}

static int write_timeline(const struct trace_data *t, const char *dir,
			  int panel, struct diag *d)
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
	double end_us = t->total_cycles * usc;
	panel = panel && t->n_stages > 0;
	script_head(o.f, "utilisation and power over time", "timeline", 1000,
		    panel ? 960 : 640);
	fprintf(o.f,
		"set key outside right top\nset grid\nset lmargin 10\n"
		"set rmargin 24\nset xrange [0:%.6g]\n"
		"set multiplot layout %d,1 title \"%s on %s (%s): utilisation "
		"and power over time\" noenhanced\n"
		"set ylabel \"power (W)\"\nset yrange [0:*]\n"
		"set format x \"\"\nunset xlabel\n"
		"plot \"timeline.csv\" using 3:7 "
		"with steps lw 2 lc rgb \"#d62728\" title \"power\"\n"
		"set format x \"%%g\"\nset xlabel \"time (us)\"\n"
		"set ylabel \"utilisation\"\nset yrange [0:*]\n"
		"plot \"timeline.csv\" using 3:5 with steps lw 2 "
		"lc rgb \"#1f77b4\" title \"PE (all PEs)\", \\\n"
		"     \"\" using 3:6 with steps lw 2 lc rgb \"#2ca02c\" "
		"title \"fabric (all links)\"\n",
		end_us > 0 ? end_us : 1, panel ? 3 : 2, t->network, t->machine,
		t->job);
	if (panel)
		stage_panel(o.f, t);
	fputs("unset multiplot\n", o.f);
	script_tail(o.f);
	return outfile_commit(&o, d) ? WS_EIO : 0;
}

/* The breakdown's script: the four parts of each stage's reference PE
 * stacked in percent of the run (top), then side by side in time per
 * step (training) or per sample (inference), averaged over the run, on a
 * log scale so that a part of 0.01% stays as visible as one of 90% (the
 * axis starts below the smallest part that is not 0; a part of 0 has no
 * bar). */
static void breakdown_script(FILE *f, const struct trace_data *t)
{
	int train = t->steps > 0;
	int64_t per = train ? t->steps : t->samples;
	double usc = t->clock_ghz > 0 ? 1e-3 / t->clock_ghz : 1e-3;
	/* us of one step (or sample) per cycle of the run */
	double k = per > 0 ? usc / (double)per : usc, top = 0, least = 0;
	size_t name_len = 0; /* the longest stage name: room for the tics */
	for (int s = 0; s < t->n_stages; s++) {
		const struct trace_stage *ts = &t->stages[s];
		if (strlen(ts->name) > name_len)
			name_len = strlen(ts->name);
		double v[4] = {ts->compute_cycles, ts->comm_cycles,
			       ts->wait_in_cycles, ts->wait_out_cycles};
		for (int i = 0; i < 4; i++) {
			top = v[i] * k > top ? v[i] * k : top;
			if (v[i] > 0 && (least == 0 || v[i] * k < least))
				least = v[i] * k;
		}
	}
	/* the axis starts below the smallest part (half of it), at least
	 * four decades below the largest */
	double floor_us = top > 0 ? top * 1e-4 : 1e-6;
	if (least > 0 && least / 2 < floor_us)
		floor_us = least / 2;
	int wpx = 300 + 44 * t->n_stages;
	script_head(f, "per-stage time of the reference PE", "breakdown",
		    wpx < 760 ? 760 : wpx > 4000 ? 4000 : wpx, 880);
	fprintf(f,
		"set multiplot layout 2,1 title \"%s on %s (%s): time per "
		"stage of the reference PE, %.0f cycles = %lld %s%s\" "
		"noenhanced\n"
		"set style data histograms\nset style histogram rowstacked\n"
		"set style fill solid 0.9 border rgb \"#333333\"\n"
		"set boxwidth 0.8\nset key outside right top\n"
		"set lmargin 12\nset rmargin 16\n"
		"set ylabel \"%% of the run\"\nunset xtics\n"
		"set grid ytics\nset yrange [0:100]\n"
		"sum(a, b, c, d) = a + b + c + d > 0 ? a + b + c + d : 1\n"
		"pc(x) = 100.0 * x / sum($3, $4, $5, $6)\n"
		"plot \"breakdown.csv\" using (pc($3)) title "
		"\"compute\" lc rgb \"#1f77b4\", \\\n"
		"     \"\" using (pc($4)) title \"comm\" lc rgb \"#ff7f0e\", "
		"\\\n"
		"     \"\" using (pc($5)) title \"wait in\" lc rgb "
		"\"#c7c7c7\", \\\n"
		"     \"\" using (pc($6)) title \"wait out\" lc rgb "
		"\"#d62728\"\n"
		"set xtics\nunset key\n"
		"set style histogram clustered gap 1\n"
		"set ylabel \"us per %s (log)\"\nset logscale y\n"
		"set yrange [%.9g:*]\nset format y \"%%g\"\n"
		"set xtics rotate by -60 left noenhanced\nset bmargin %d\n"
		"us(x) = x * %.9g > %.9g ? x * %.9g : %.9g\n"
		"plot \"breakdown.csv\" using (us($3)):xtic(2) title "
		"\"compute\" lc rgb \"#1f77b4\", \\\n"
		"     \"\" using (us($4)) title \"comm\" lc rgb \"#ff7f0e\", "
		"\\\n"
		"     \"\" using (us($5)) title \"wait in\" lc rgb "
		"\"#c7c7c7\", \\\n"
		"     \"\" using (us($6)) title \"wait out\" lc rgb "
		"\"#d62728\"\n"
		"unset multiplot\n",
		t->network, t->machine, t->job, t->total_cycles,
		(long long)per, train ? "step" : "sample",
		per == 1 ? "" : "s", train ? "step" : "sample", floor_us,
		name_len < 5 ? 4 : 2 + (int)((name_len > 40 ? 40 : name_len) *
					   2 / 5), k,
		floor_us, k, floor_us);
	script_tail(f);
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
	breakdown_script(o.f, t);
	return outfile_commit(&o, d) ? WS_EIO : 0;
}

/* The ratios of a panel in words, time and energy: "the wafer is 76.9x
 * faster than eager, 16.2x than graph", "it uses 4.0x less energy than
 * eager, 1.6x less than graph" (per sample). */
static void gpu_words(char *ts, char *js, size_t n,
		      const struct trace_gpu_panel *p)
{
	char a[48], b[48], c[48], e[48];
	snprintf(ts, n, "the wafer is %s than eager, %s than graph",
		 report_ratio_words(a, sizeof(a), p->speedup[0], "faster",
				    "slower"),
		 report_ratio_words(b, sizeof(b), p->speedup[1], "faster",
				    "slower"));
	snprintf(js, n, "it uses %s than eager, %s than graph",
		 report_ratio_words(c, sizeof(c), p->energy_ratio[0],
				    "less energy", "more energy"),
		 report_ratio_words(e, sizeof(e), p->energy_ratio[1], "less",
				    "more"));
}

/* gpu.csv: per panel the wafer and the two GPU styles, each with its
 * batch. */
static int write_gpu_csv(const struct trace_data *t, const char *dir,
			 struct diag *d)
{
	const struct trace_gpu *g = &t->gpu;
	static const char *const what[2] = {"training step", "prediction"};
	static const char *const mode[2] = {"eager", "graph"};
	struct outfile o;
	if (open_out(&o, dir, "gpu.csv", d))
		return WS_EIO;
	fprintf(o.f, "panel,system,seconds,joules,batch,speedup_of_wafer,"
		     "energy_ratio_of_wafer,time,energy\n");
	for (int k = 0; k < 2; k++) {
		const struct trace_gpu_panel *p = &g->p[k];
		char ts[32], js[32];
		if (!p->present)
			continue;
		fprintf(o.f, "%s,%s b=%lld,%.6g,%.6g,%lld,1,1,%s,%s\n",
			what[k], t->machine, (long long)p->batch, p->wafer_s,
			p->wafer_j, (long long)p->batch,
			report_fmt_s(ts, p->wafer_s), report_fmt_j(js, p->wafer_j));
		for (int m = 0; m < 2; m++)
			fprintf(o.f, "%s,%s %s b=%lld,%.6g,%.6g,%lld,%.6g,%.6g,"
				"%s,%s\n", what[k], g->name, mode[m],
				(long long)p->gpu_batch, p->gpu_s[m],
				p->gpu_j[m], (long long)p->gpu_batch,
				p->speedup[m], p->energy_ratio[m],
				report_fmt_s(ts, p->gpu_s[m]),
				report_fmt_j(js, p->gpu_j[m]));
	}
	return outfile_commit(&o, d) ? WS_EIO : 0;
}

/* The GPU chart: a row of two panels (time, energy; log scale, values on
 * the bars) for the training step and one for a prediction, each titled
 * with its ratios in words. */
static int write_gpu(const struct trace_data *t, const char *dir,
		     struct diag *d)
{
	const struct trace_gpu *g = &t->gpu;
	if (write_gpu_csv(t, dir, d))
		return WS_EIO;
	struct outfile o;
	if (open_out(&o, dir, "gpu.gp", d))
		return WS_EIO;
	int rows = g->p[0].present + g->p[1].present;
	script_head(o.f, "the wafer against the GPU baseline", "gpu", 1200,
		    rows > 1 ? 900 : 500);
	fprintf(o.f,
		"set style data histograms\nset style histogram clustered\n"
		"set style fill solid 0.9 border rgb \"#333333\"\n"
		"set boxwidth 0.7\nset logscale y\nset grid ytics\n"
		"unset key\nset xtics noenhanced\nset format y \"%%g\"\n"
		"set xrange [-0.6:2.6]\nset offsets 0, 0, graph 0.2, 0\n"
		"set multiplot layout %d,2 title \"%s on %s vs %dx %s (ratios "
		"per sample; b = batch)\" noenhanced\n", rows ? rows : 1,
		t->network, t->machine, g->n_gpus, g->name);
	static const char *const what[2] = {"training step",
					    "one prediction"};
	for (int k = 0, row = 0; k < 2; k++) {
		const struct trace_gpu_panel *p = &g->p[k];
		if (!p->present)
			continue;
		char tw[128], jw[128];
		gpu_words(tw, jw, sizeof(tw), p);
		/* rows of gpu.csv: this panel's three */
		int a = 3 * row++, b = a + 2;
		fprintf(o.f,
			"set title \"%s, time (s, log scale):\\n%s\" "
			"noenhanced\n"
			"plot \"gpu.csv\" every ::%d::%d using 3:xtic(2) lc rgb "
			"\"#1f77b4\", \"\" every ::%d::%d using "
			"($0):3:8 with labels offset 0,0.8\n"
			"set title \"%s, energy (J, log scale):\\n%s\" "
			"noenhanced\n"
			"plot \"gpu.csv\" every ::%d::%d using 4:xtic(2) lc rgb "
			"\"#ff7f0e\", \"\" every ::%d::%d using "
			"($0):4:9 with labels offset 0,0.8\n",
			what[k], tw, a, b, a, b, what[k], jw, a, b, a, b);
	}
	fputs("unset multiplot\n", o.f);
	script_tail(o.f);
	return outfile_commit(&o, d) ? WS_EIO : 0;
}

/* Run gnuplot in dir on each script, writing NAME.FMT.tmp, then rename.
 * Returns 0 if every chart was drawn, 1 if gnuplot is missing or failed. */
static int run_gnuplot(const char *dir, const char *const *names, int n)
{
	static const char *const fmt[3] = {"png", "svg", "pdf"};
	const char *argv[3 * 8 + 2];
	char *alloc[16];
	int a = 0, na = 0;
	argv[a++] = "gnuplot";
	for (int i = 0; i < n; i++) {
		argv[a++] = "-e";
		argv[a++] = alloc[na++] =
			xasprintf("out='%s'; tmp='.tmp'", names[i]);
		argv[a++] = alloc[na++] = xasprintf("%s.gp", names[i]);
	}
	argv[a] = NULL;
	int rc = trace_run_tool(dir, argv, NULL);
	for (int i = 0; i < n; i++)
		for (int k = 0; k < 3; k++) {
			char *tmp = xasprintf("%s.%s.tmp", names[i], fmt[k]);
			rc |= trace_tmp_commit(dir, tmp, !rc);
			free(tmp);
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
	if (write_timeline(t, dir, o->pe_tracks > 0, d))
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
	/* `dir` is the temporary folder (ground/util.h outdir): not named */
	if (o->gnuplot && run_gnuplot(dir, names, n) && !o->quiet)
		fprintf(stderr,
			"note: gnuplot is missing or failed: charts not "
			"drawn (install Debian's gnuplot-nox; their CSV and "
			".gp scripts are written with the other files)\n");
	return 0;
}
