/*
 * cmd_fabric.c: `wafersim fabric`: characterise the mesh fabric alone with
 * synthetic traffic (fabric/traffic.h), one run, a sweep of rising rates
 * (CSV + PNG through gnuplot) or a saturation search.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/opt.h"
#include "fabric/traffic.h"
#include "machine/machine.h"
#include "sim/sc_ref.h"
#include "ground/json_io.h"
#include "ground/util.h"

static const char *const fabric_options[] = {
	"machine", "set", "mesh", "pattern", "rate", "packet-wavelets", "cycles",
	"warmup", "drain", "seed", "hotspot-fraction", "sweep", "saturation",
	"out-dir", "json", "engine", "vcd", "vcd-pe", "max-memory", "verbose",
	"output>out-dir", NULL};

static const struct cli_command fabric_cmd = {
	"fabric", "[--machine M] [--mesh WxH] [options]",
	"Synthetic traffic on the cycle-level fabric model: every PE injects\n"
	"packets (Bernoulli), routed X then Y on one color.  Prints what network\n"
	"simulators print: average packet and network latency, accepted\n"
	"throughput, average hops, cycles simulated, wall time, node-cycles/s.\n"
	"One point, a sweep of rising rates (--sweep: CSV and PNG through\n"
	"gnuplot) or a saturation search (--saturation).  --engine systemc runs\n"
	"one point on the SystemC reference model (docs/reference.md).",
	fabric_options,
	"example: wafersim fabric --machine mini64 --pattern transpose "
	"--rate 0.01\n",
	0, 0, NULL};

/* The default sub-mesh: the whole machine up to this side. */
enum { FABRIC_DEFAULT_SIDE = 64 };

static void print_text(const char *machine, const struct traffic_config *c,
		       const struct traffic_result *r, double bound)
{
	printf("fabric: machine %s, mesh %dx%d, pattern %s, offered rate %g "
	       "wavelets/cycle/PE, packets of %lld wavelet(s), seed %llu\n",
	       machine, (int)c->width, (int)c->height,
	       traffic_pattern_name(c->pattern), c->rate,
	       (long long)c->packet_wavelets, (unsigned long long)c->seed);
	printf("  offered load          %.5f wavelets/cycle/node\n", r->offered);
	printf("  accepted throughput   %.5f wavelets/cycle/node\n", r->accepted);
	printf("  avg packet latency    %.2f cycles\n", r->avg_packet_latency);
	printf("  avg network latency   %.2f cycles\n", r->avg_network_latency);
	printf("  max packet latency    %.0f cycles\n", r->max_packet_latency);
	printf("  zero-load latency     %.2f cycles (closed form at avg hops)\n",
	       r->zero_load_latency);
	printf("  avg hops              %.3f\n", r->avg_hops);
	printf("  packets measured      %lld (delivered %lld, refused %llu)\n",
	       (long long)r->packets_measured, (long long)r->packets_done,
	       (unsigned long long)r->packets_refused);
	printf("  saturation bound      %.5f wavelets/cycle/node (X-then-Y)\n",
	       bound);
	printf("  saturated             %s\n", r->saturated ? "yes" : "no");
	printf("  cycles simulated      %llu\n", (unsigned long long)r->cycles);
	printf("  wall time             %.3f s\n", r->wall_s);
	printf("  node-cycles/s         %.3e\n", r->node_cycles_per_s);
	printf("  active routers/cycle  %.1f\n", r->routers_per_cycle);
	if (r->bytes > 0)
		printf("  memory                %.1f MB\n", (double)r->bytes / 1e6);
	else /* the SystemC model does not measure its own */
		printf("  memory                not measured (SystemC model)\n");
	printf("  wavelets in/out       %llu / %llu (buffered %llu)\n",
	       (unsigned long long)r->counters.in,
	       (unsigned long long)r->counters.out,
	       (unsigned long long)r->counters.buffered);
}

static json_t *point_json(const struct traffic_config *c,
			  const struct traffic_result *r, double bound)
{
	json_t *o = ws_json_obj();
	ws_json_set_str(o, "pattern", traffic_pattern_name(c->pattern));
	ws_json_set_int(o, "width", c->width);
	ws_json_set_int(o, "height", c->height);
	ws_json_set_real(o, "rate", c->rate);
	ws_json_set_int(o, "packet_wavelets", c->packet_wavelets);
	ws_json_set_int(o, "seed", (int64_t)c->seed);
	ws_json_set_real(o, "offered", r->offered);
	ws_json_set_real(o, "accepted", r->accepted);
	ws_json_set_real(o, "avg_packet_latency", r->avg_packet_latency);
	ws_json_set_real(o, "avg_network_latency", r->avg_network_latency);
	ws_json_set_real(o, "max_packet_latency", r->max_packet_latency);
	ws_json_set_real(o, "zero_load_latency", r->zero_load_latency);
	ws_json_set_real(o, "avg_hops", r->avg_hops);
	ws_json_set_int(o, "packets_measured", r->packets_measured);
	ws_json_set_int(o, "packets_done", r->packets_done);
	ws_json_set_int(o, "packets_refused", (int64_t)r->packets_refused);
	ws_json_set_real(o, "bound", bound);
	ws_json_set(o, "saturated", json_boolean(r->saturated));
	ws_json_set_int(o, "cycles", (int64_t)r->cycles);
	ws_json_set_real(o, "wall_s", r->wall_s);
	ws_json_set_real(o, "node_cycles_per_s", r->node_cycles_per_s);
	if (r->bytes > 0)
		ws_json_set_int(o, "memory_bytes", (int64_t)r->bytes);
	else /* not measured (SystemC) */
		ws_json_set(o, "memory_bytes", json_null());
	ws_json_set_int(o, "wavelets_in", (int64_t)r->counters.in);
	ws_json_set_int(o, "wavelets_out", (int64_t)r->counters.out);
	return o;
}

/* gnuplot's terminal for each format the sweep chart is drawn in */
static const char *const chart_fmt[3] = {"png", "svg", "pdf"};
static const char *const chart_term[3] = {
	"pngcairo size 800,560 font 'sans,10'",
	"svg size 800,560 font 'sans,10'",
	"pdfcairo size 8in,5.6in font 'sans,10'"};

/* One chart through gnuplot: written to the outfile's temporary name,
 * then renamed in place by the commit.  The saturation bound is a dashed
 * line; no point reaches the frame (tests/unit/svg_points.py): x runs to
 * past the bound and the highest accepted rate (xmax), latency from 0 to
 * an offset above the highest. */
static int plot_one(const char *csv, const char *path, const char *shown,
		    int k, const struct traffic_config *c, double bound,
		    double xmax, struct diag *d)
{
	struct outfile o;
	if (outfile_open(&o, path, d))
		return WS_EIO;
	char *script_path = xasprintf("%s.gp", o.tmp_path);
	FILE *sf = fopen(script_path, "w");
	if (!sf) {
		free(script_path);
		outfile_abort(&o);
		diag_add(d, NULL, 0, 0, "cannot write a gnuplot script for '%s'",
			 shown);
		return WS_EIO;
	}
	fprintf(sf,
		"set terminal %s\n"
		"set output '%s'\n"
		"set datafile separator ','\n"
		"set key top left\n"
		"set grid\n"
		"set title 'wafersim fabric: %s, %dx%d mesh, %lld-wavelet packets'\n"
		"set xlabel 'accepted throughput (wavelets/cycle/node)'\n"
		"set ylabel 'average latency (cycles)'\n"
		"set xrange [0:%.17g]\nset yrange [0:*]\n"
		"set offsets 0, 0, graph 0.08, 0\n"
		"set arrow from %.17g, graph 0 to %.17g, graph 1 nohead dt 2 "
		"lw 2 lc rgb '#d62728'\n"
		"set label 'saturation bound %.4g' at %.17g, graph 0.95 right "
		"offset -1,0 tc rgb '#d62728'\n"
		"plot '%s' using 3:4 skip 1 with linespoints title 'packet "
		"latency', '' using 3:5 skip 1 with linespoints title 'network "
		"latency'\n",
		chart_term[k], o.tmp_path, traffic_pattern_name(c->pattern),
		(int)c->width, (int)c->height, (long long)c->packet_wavelets,
		xmax, bound, bound, bound, bound, csv);
	int script_bad = fclose(sf) != 0;
	/* gnuplot's words into a log beside the script, never onto the
	 * command's standard output (--json) */
	char *log_path = xasprintf("%s.log", script_path);
	char *cmd = xasprintf("gnuplot '%s' >'%s' 2>&1", script_path,
			      log_path);
	int st = script_bad ? -1 : system(cmd);
	free(cmd);
	remove(script_path);
	free(script_path);
	struct stat sb;
	if (st != 0 || stat(o.tmp_path, &sb) != 0 || sb.st_size == 0) {
		outfile_abort(&o);
		/* sh's 127: no gnuplot; else what gnuplot said, first line */
		char *said = NULL;
		size_t len = 0;
		struct diag quiet;
		diag_init(&quiet);
		if (st != -1 && read_file(log_path, &said, &len, &quiet) == 0)
			said[strcspn(said, "\n")] = 0;
		diag_release(&quiet);
		if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 127)
			diag_add(d, NULL, 0, 0,
				 "fabric: gnuplot could not draw '%s' (is "
				 "gnuplot installed? Debian's gnuplot-nox; "
				 "tools/deps.sh installs it)",
				 shown);
		else
			diag_add(d, NULL, 0, 0,
				 "fabric: gnuplot could not draw '%s'%s%s%s",
				 shown, said && *said ? " (gnuplot: " : "",
				 said && *said ? said : "",
				 said && *said ? ")" : "");
		free(said);
		remove(log_path);
		free(log_path);
		return WS_EIO;
	}
	remove(log_path);
	free(log_path);
	/* gnuplot's PDF carries its creation date: a fixed one */
	if (k == 2)
		ws_file_fix_stamp(o.tmp_path, WS_PDF_DATE_KEY, WS_PDF_DATE);
	return outfile_commit(&o, d);
}

/* The sweep chart as base.png, base.svg and base.pdf; x runs to 12% past
 * the bound or 8% past the highest accepted rate (a pattern's estimate may
 * exceed its bound: docs/fabric.md). */
static int plot_png(const char *csv, const char *png, const char *shown,
		    const struct traffic_config *c, double bound,
		    const struct traffic_result *pts, size_t n_pts,
		    struct diag *d)
{
	double xmax = bound * 1.12;
	for (size_t i = 0; i < n_pts; i++)
		if (pts[i].accepted * 1.08 > xmax)
			xmax = pts[i].accepted * 1.08;
	if (strchr(csv, '\'') || strchr(png, '\'')) {
		diag_add(d, NULL, 0, 0,
			 "fabric: output paths must not contain quotes, got '%s'",
			 png);
		return WS_EINPUT;
	}
	size_t n = strlen(png), ns = strlen(shown);
	int rc = 0;
	for (int k = 0; k < 3 && !rc; k++) {
		char *path = xasprintf("%.*s.%s", (int)(n > 4 ? n - 4 : n),
				       png, chart_fmt[k]);
		char *sp = xasprintf("%.*s.%s", (int)(ns > 4 ? ns - 4 : ns),
				     shown, chart_fmt[k]);
		rc = plot_one(csv, path, sp, k, c, bound, xmax, d);
		free(path);
		free(sp);
	}
	return rc;
}

/* The sweep's CSV and chart into the folder `dir` (a temporary one);
 * png_shown: the chart's final name, for the messages. */
static int sweep_files(const char *dir, const char *png_shown,
		       const struct traffic_config *c,
		       const struct traffic_result *pts, const double *rates,
		       size_t n, struct diag *d)
{
	const char *pat = traffic_pattern_name(c->pattern);
	char *csv = xasprintf("%s/fabric_%s.csv", dir, pat);
	char *png = xasprintf("%s/fabric_%s.png", dir, pat);
	struct outfile o;
	int rc = outfile_open(&o, csv, d);
	if (!rc) {
		fprintf(o.f, "rate,offered,accepted,avg_packet_latency,"
			     "avg_network_latency,avg_hops,saturated\n");
		for (size_t i = 0; i < n; i++)
			fprintf(o.f, "%.6g,%.6g,%.6g,%.4f,%.4f,%.4f,%d\n",
				rates[i], pts[i].offered, pts[i].accepted,
				pts[i].avg_packet_latency,
				pts[i].avg_network_latency, pts[i].avg_hops,
				pts[i].saturated);
		rc = outfile_commit(&o, d);
	}
	if (!rc)
		rc = plot_png(csv, png, png_shown, c, traffic_bound(c), pts,
			      n, d);
	free(csv);
	free(png);
	return rc;
}

/* The sweep, its files written into a temporary folder moved into place
 * once all are written (ground/util.h, outdir: a full disk or a chart
 * gnuplot cannot draw leaves nothing), then the table. */
static int do_sweep(const char *machine, const struct traffic_config *c,
		    const char *dir, int json, struct diag *d)
{
	struct traffic_result *pts;
	double *rates;
	size_t n;
	double bound = traffic_bound(c);
	if (traffic_sweep(c, &pts, &rates, &n, d)) {
		free(pts);
		free(rates);
		return WS_EINPUT;
	}
	size_t dl = strlen(dir);
	while (dl > 1 && dir[dl - 1] == '/') /* out/ -> out/fabric_... */
		dl--;
	char *csv = xasprintf("%.*s/fabric_%s.csv", (int)dl, dir,
			      traffic_pattern_name(c->pattern));
	char *png = xasprintf("%.*s/fabric_%s.png", (int)dl, dir,
			      traffic_pattern_name(c->pattern));
	struct outdir od;
	int rc = outdir_open(&od, dir, d);
	if (!rc) {
		rc = sweep_files(od.tmp_path, png, c, pts, rates, n, d);
		if (rc) {
			/* the error names a file of the temporary folder */
			diag_add(d, NULL, 0, 0,
				 "fabric: nothing written to '%s'", dir);
			outdir_abort(&od);
		} else
			rc = outdir_commit(&od, d);
	}
	if (rc) {
		free(csv);
		free(png);
		free(pts);
		free(rates);
		return rc;
	}
	if (json) {
		json_t *j = ws_json_obj(), *a = ws_json_arr();
		ws_json_set_str(j, "machine", machine);
		ws_json_set_real(j, "bound", bound);
		for (size_t i = 0; i < n; i++) {
			struct traffic_config t = *c;
			t.rate = rates[i];
			ws_json_push(a, point_json(&t, &pts[i], bound));
		}
		ws_json_set(j, "points", a);
		ws_json_write(stdout, j, WS_JSON_INDENT);
	} else {
		printf("fabric sweep: machine %s, mesh %dx%d, pattern %s, bound "
		       "%.5f wavelets/cycle/node\n",
		       machine, (int)c->width, (int)c->height,
		       traffic_pattern_name(c->pattern), bound);
		printf("%10s %10s %10s %12s %12s %8s %s\n", "rate", "offered",
		       "accepted", "pkt_latency", "net_latency", "hops", "sat");
		for (size_t i = 0; i < n; i++)
			printf("%10.5f %10.5f %10.5f %12.2f %12.2f %8.3f %s\n",
			       rates[i], pts[i].offered, pts[i].accepted,
			       pts[i].avg_packet_latency,
			       pts[i].avg_network_latency, pts[i].avg_hops,
			       pts[i].saturated ? "yes" : "no");
		printf("wrote %s\n", csv);
		printf("wrote %s (and .svg, .pdf)\n", png);
	}
	free(csv);
	free(png);
	free(pts);
	free(rates);
	return 0;
}

/* 1 to go on; else 0 with the exit status in *ex. */
static int fabric_parse(struct cli_opts *o, struct sc_ref_opts *sco,
			int argc, char **argv, int *ex)
{
	int pr = cli_parse(&fabric_cmd, argc, argv, o);
	*ex = cli_parse_exit(pr);
	if (pr != CLI_GO)
		return 0;
	int systemc = o->engine == CLI_ENGINE_SYSTEMC;
	if (o->sweep && o->saturation)
		return cli_stop(ex, cli_usage_error("fabric", "'--sweep' and "
				"'--saturation' exclude each other"));
	if (systemc && (o->sweep || o->saturation))
		return cli_stop(ex, cli_usage_error("fabric",
				"'--engine systemc' runs one point; '--sweep' "
				"and '--saturation' use the native engine"));
	/* a point and --saturation write no file: a folder for them would
	 * be silently ignored (its errors too) */
	if (o->out_dir && !o->sweep)
		return cli_stop(ex, cli_usage_error("fabric",
				"'--out-dir' is where '--sweep' writes its "
				"files; one point and '--saturation' write "
				"none (give '--sweep', or drop '--out-dir')"));
	if (!systemc && (o->vcd || o->vcd_pe.n))
		return cli_stop(ex, cli_usage_error("fabric",
				"'--vcd' needs '--engine systemc'"));
	sco->vcd_path = o->vcd;
	for (int i = 0; i < o->vcd_pe.n; i++) {
		long v;
		if (cli_parse_long("fabric", "--vcd-pe", o->vcd_pe.v[i], 0,
				   SC_REF_MAX_SIDE * SC_REF_MAX_SIDE - 1, &v))
			return cli_stop(ex, EXIT_USAGE);
		sco->vcd_pes[sco->n_vcd_pes++] = (int32_t)v;
	}
	if (sco->vcd_path && !sco->n_vcd_pes)
		sco->n_vcd_pes = 1; /* PE 0 */
	int64_t bytes;
	if (cli_parse_size("fabric", "--max-memory", o->max_memory, &bytes))
		return cli_stop(ex, EXIT_USAGE);
	if (o->mesh && strcmp(o->mesh, "full")) {
		int w, h;
		if (cli_parse_wxh(o->mesh, 4096, &w, &h))
			return cli_stop(ex, cli_usage_error("fabric", "'--mesh' "
					"must be WxH (e.g. 16x16) or full, got "
					"'%s'", o->mesh));
	}
	return 1;
}

/* The traffic configuration from the machine and the options; errors
 * collected in d. */
static void fabric_config(const struct cli_opts *o, const struct machine *m,
			  struct traffic_config *c, struct diag *d)
{
	traffic_config_init(c);
	c->params = m->fabric;
	c->width = (int32_t)(m->width < FABRIC_DEFAULT_SIDE ? m->width
							    : FABRIC_DEFAULT_SIDE);
	c->height = (int32_t)(m->height < FABRIC_DEFAULT_SIDE
				      ? m->height
				      : FABRIC_DEFAULT_SIDE);
	if (o->mesh && !strcmp(o->mesh, "full")) {
		c->width = (int32_t)m->width;
		c->height = (int32_t)m->height;
	} else if (o->mesh) {
		int w = 0, h = 0;
		cli_parse_wxh(o->mesh, 4096, &w, &h); /* checked: fabric_parse */
		if (w > m->width || h > m->height)
			diag_add(d, NULL, 0, 0,
				 "fabric: '--mesh' must fit machine '%s' "
				 "(%lldx%lld), got %dx%d",
				 m->name, (long long)m->width,
				 (long long)m->height, (int)w, (int)h);
		c->width = w;
		c->height = h;
	}
	c->rate = o->rate;
	c->packet_wavelets = o->packet_wavelets;
	c->measure_cycles = (cycles_t)o->cycles;
	c->warmup_cycles = (cycles_t)o->warmup;
	c->drain_cycles = (cycles_t)o->drain;
	c->seed = (uint64_t)o->seed;
	c->hotspot_fraction = o->hotspot_fraction;
	cli_parse_size("fabric", "--max-memory", o->max_memory,
		       &c->max_memory_bytes); /* checked by fabric_parse */
	c->pattern = traffic_pattern_parse(o->pattern);
	if (c->pattern < 0) {
		diag_add(d, NULL, 0, 0,
			 "fabric: '--pattern' must be one of %s, got '%s'",
			 traffic_pattern_list(), o->pattern);
		c->pattern = TRAFFIC_UNIFORM; /* keep checking the rest */
	}
	traffic_check(c, d);
}

static int fabric_saturation(const struct traffic_config *c, int json,
			     struct diag *d)
{
	double s, bound = traffic_bound(c);
	int rc = traffic_saturation(c, 0.02, &s, d);
	if (rc)
		return rc;
	if (json) {
		json_t *j = ws_json_obj();
		ws_json_set_str(j, "pattern", traffic_pattern_name(c->pattern));
		ws_json_set_int(j, "width", c->width);
		ws_json_set_int(j, "height", c->height);
		ws_json_set_real(j, "saturation_rate", s);
		ws_json_set_real(j, "bound", bound);
		ws_json_write(stdout, j, WS_JSON_INDENT);
		return 0;
	}
		printf("fabric: %s on %dx%d saturates at %.5f "
		       "wavelets/cycle/node, bound %.5f (ratio %.3f)\n",
		       traffic_pattern_name(c->pattern), (int)c->width,
		       (int)c->height, s, bound, s / bound);
	return 0;
}

static int fabric_point(const struct machine *m,
			const struct traffic_config *c,
			const struct sc_ref_opts *sco, int systemc, int json,
			struct diag *d)
{
	struct traffic_result r;
	int rc = systemc ? sc_ref_traffic_run(m, c, sco, &r, d)
			 : traffic_run(c, &r, d);
	if (rc)
		return rc;
	if (systemc && !json)
		printf("fabric: engine systemc (reference model)%s%s\n",
		       sco->vcd_path ? ", waveform " : "",
		       sco->vcd_path ? sco->vcd_path : "");
	if (json) {
		ws_json_write(stdout, point_json(c, &r, traffic_bound(c)),
			      WS_JSON_INDENT);
	} else {
		print_text(m->name, c, &r, traffic_bound(c));
	}
	return 0;
}

/* One point, a sweep or a saturation search. */
static int fabric_work(const struct cli_opts *o, const struct sc_ref_opts *sco,
		       const struct machine *m, const struct traffic_config *c,
		       struct diag *d)
{
	if (o->sweep) {
		const char *dir = o->out_dir ? o->out_dir : ".";
		/* the folder checked first (a sweep can run for minutes),
		 * made with its missing parents once the sweep is done, as
		 * run --trace and plot --out-dir make theirs */
		int rc = ws_check_output_dir(dir, "--out-dir", d);
		return rc ? rc : do_sweep(m->name, c, dir, o->json, d);
	}
	if (o->saturation)
		return fabric_saturation(c, o->json, d);
	return fabric_point(m, c, sco, o->engine == CLI_ENGINE_SYSTEMC,
			    o->json, d);
}

static int fabric_steps(const struct cli_opts *o,
			const struct sc_ref_opts *sco, struct diag *d)
{
	struct machine m;
	struct traffic_config c;
	/* the waveform's place before the work */
	if (o->vcd && ws_check_output_file(o->vcd, "--vcd", d))
		return WS_EIO;
	if (cli_load_machine(o, &m, d))
		return WS_EINPUT;
	fabric_config(o, &m, &c, d);
	if (diag_count(d))
		return WS_EINPUT;
	struct cli_progress pg;
	cli_progress_init(&pg, wall_seconds(), "fabric: simulating");
	if (o->verbose || cli_progress_ok()) { /* stderr only */
		c.progress = cli_progress_cb;
		c.progress_ctx = &pg;
	}
	int rc = fabric_work(o, sco, &m, &c, d);
	cli_progress_end(&pg);
	return rc;
}

int cmd_fabric(int argc, char **argv)
{
	struct cli_opts o;
	struct sc_ref_opts sco;
	cli_opts_init(&o);
	sc_ref_opts_init(&sco);
	int ex;
	if (!fabric_parse(&o, &sco, argc, argv, &ex))
		return ex;
	struct diag d;
	diag_init(&d);
	int rc = fabric_steps(&o, &sco, &d);
	ex = rc ? cli_fail(&d, rc) : EXIT_OK;
	diag_release(&d);
	return ex;
}
