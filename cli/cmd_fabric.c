/*
 * cmd_fabric.c: `wafersim fabric`: characterise the mesh fabric alone with
 * synthetic traffic (fabric/traffic.h), one run, a sweep of rising rates
 * (CSV + PNG through gnuplot) or a saturation search.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "fabric/traffic.h"
#include "machine/machine.h"
#include "sim/sc_ref.h"
#include "ground/json_io.h"
#include "ground/util.h"

static const char fabric_help[] =
	"usage: wafersim fabric [--machine M] [--mesh WxH] [--pattern P]\n"
	"                       [--rate R] [--packet-wavelets N] [--cycles C]\n"
	"                       [--warmup C] [--drain C] [--seed S]\n"
	"                       [--hotspot-fraction F] [--sweep | --saturation]\n"
	"                       [-o DIR] [--json]\n"
	"                       [--engine fabsim|systemc [--vcd FILE [--vcd-pe N]...]]\n\n"
	"Synthetic traffic on the cycle-level fabric model: every PE injects\n"
	"packets (Bernoulli), routed X then Y on one color.  Prints what network\n"
	"simulators print: average packet and network latency, accepted\n"
	"throughput, average hops, cycles simulated, wall time, node-cycles/s.\n\n"
	"  --machine M          preset or YAML file (default mini64)\n"
	"  --mesh WxH           sub-mesh to simulate (default: whole machine)\n"
	"  --pattern P          uniform, transpose, bitcomp, tornado, hotspot,\n"
	"                       neighbor (default uniform)\n"
	"  --rate R             offered wavelets per cycle per PE, 0..1 (0.1)\n"
	"  --packet-wavelets N  wavelets per packet (1)\n"
	"  --cycles C           measured cycles (2000)\n"
	"  --warmup C           cycles before measuring (1000)\n"
	"  --drain C            at most C cycles to deliver measured packets\n"
	"                       (20000); otherwise the run is 'saturated'\n"
	"  --seed S             PRNG seed (1)\n"
	"  --hotspot-fraction F share of traffic to the centre PE (0.1)\n"
	"  --sweep              rising rates (bound/10 steps) until saturation;\n"
	"                       writes DIR/fabric_<pattern>.csv, .png, .svg, .pdf\n"
	"  --saturation         bisection for the saturation rate\n"
	"  -o, --output DIR     where --sweep writes (default .)\n"
	"  --json               machine-readable output on stdout\n"
	"  --engine E           fabsim (default: the C simulator) or systemc\n"
	"                       (the SystemC reference model, one point, meshes\n"
	"                       up to 64x64; docs/reference.md)\n"
	"  --vcd FILE           systemc: write a VCD waveform (GTKWave) of the\n"
	"                       traced PEs, their routers and links\n"
	"  --vcd-pe N           PE id (y * width + x) to trace, repeatable up to\n"
	"                       16 (default 0)\n"
	"\nexample: wafersim fabric --machine mini64 --pattern transpose "
	"--rate 0.01\n";

static int parse_mesh(const char *s, int32_t *w, int32_t *h)
{
	char *end;
	long a = strtol(s, &end, 10);
	if (end == s || (*end != 'x' && *end != 'X'))
		return -1;
	const char *p = end + 1;
	long b = strtol(p, &end, 10);
	if (end == p || *end || a < 1 || b < 1 || a > 4096 || b > 4096)
		return -1;
	*w = (int32_t)a;
	*h = (int32_t)b;
	return 0;
}

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
	printf("  memory                %.1f MB\n", (double)r->bytes / 1e6);
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
	ws_json_set_int(o, "memory_bytes", (int64_t)r->bytes);
	ws_json_set_int(o, "wavelets_in", (int64_t)r->counters.in);
	ws_json_set_int(o, "wavelets_out", (int64_t)r->counters.out);
	return o;
}

/* The PNG through gnuplot: written to the outfile's temporary name, then
 * renamed in place by the commit. */
/* gnuplot's terminal for each format the sweep chart is drawn in */
static const char *const chart_fmt[3] = {"png", "svg", "pdf"};
static const char *const chart_term[3] = {
	"pngcairo size 800,560 font 'sans,10'",
	"svg size 800,560 font 'sans,10'",
	"pdfcairo size 8in,5.6in font 'sans,10'"};

/* One chart through gnuplot: written to the outfile's temporary name,
 * then renamed in place by the commit.  The saturation bound is a dashed
 * line; offsets keep the highest and rightmost points inside the frame. */
static int plot_one(const char *csv, const char *path, int k,
		    const struct traffic_config *c, double bound,
		    struct diag *d)
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
			 path);
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
		"set xrange [0:%.17g]\n"
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
		bound * 1.12, bound, bound, bound, bound, csv);
	fclose(sf);
	char *cmd = xasprintf("gnuplot '%s' 2>&1", script_path);
	int st = system(cmd);
	free(cmd);
	remove(script_path);
	free(script_path);
	struct stat sb;
	if (st != 0 || stat(o.tmp_path, &sb) != 0 || sb.st_size == 0) {
		outfile_abort(&o);
		diag_add(d, NULL, 0, 0,
			 "fabric: gnuplot could not draw '%s' (is gnuplot "
			 "installed? Debian's gnuplot-nox; tools/deps.sh "
			 "installs it)",
			 path);
		return WS_EIO;
	}
	return outfile_commit(&o, d);
}

/* The sweep chart as base.png, base.svg and base.pdf. */
static int plot_png(const char *csv, const char *png,
		    const struct traffic_config *c, double bound,
		    struct diag *d)
{
	if (strchr(csv, '\'') || strchr(png, '\'')) {
		diag_add(d, NULL, 0, 0,
			 "fabric: output paths must not contain quotes, got '%s'",
			 png);
		return WS_EINPUT;
	}
	size_t n = strlen(png);
	int rc = 0;
	for (int k = 0; k < 3 && !rc; k++) {
		char *path = xasprintf("%.*s.%s", (int)(n > 4 ? n - 4 : n),
				       png, chart_fmt[k]);
		rc = plot_one(csv, path, k, c, bound, d);
		free(path);
	}
	return rc;
}

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
	char *csv = xasprintf("%s/fabric_%s.csv", dir,
			      traffic_pattern_name(c->pattern));
	char *png = xasprintf("%s/fabric_%s.png", dir,
			      traffic_pattern_name(c->pattern));
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
	int plot_rc = rc ? rc : plot_png(csv, png, c, bound, d);
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
		if (!rc)
			printf("wrote %s\n", csv);
		if (!plot_rc)
			printf("wrote %s (and .svg, .pdf)\n", png);
	}
	free(csv);
	free(png);
	free(pts);
	free(rates);
	return rc ? rc : plot_rc;
}

int cmd_fabric(int argc, char **argv)
{
	enum { O_MESH = 256, O_PATTERN, O_RATE, O_PKT, O_CYCLES, O_WARMUP,
	       O_DRAIN, O_SEED, O_HOT, O_SWEEP, O_SAT, O_JSON, O_MACHINE,
	       O_ENGINE, O_VCD, O_VCD_PE };
	static const struct option opts[] = {
		{"machine", required_argument, NULL, O_MACHINE},
		{"mesh", required_argument, NULL, O_MESH},
		{"pattern", required_argument, NULL, O_PATTERN},
		{"rate", required_argument, NULL, O_RATE},
		{"packet-wavelets", required_argument, NULL, O_PKT},
		{"cycles", required_argument, NULL, O_CYCLES},
		{"warmup", required_argument, NULL, O_WARMUP},
		{"drain", required_argument, NULL, O_DRAIN},
		{"seed", required_argument, NULL, O_SEED},
		{"hotspot-fraction", required_argument, NULL, O_HOT},
		{"sweep", no_argument, NULL, O_SWEEP},
		{"saturation", no_argument, NULL, O_SAT},
		{"json", no_argument, NULL, O_JSON},
		{"engine", required_argument, NULL, O_ENGINE},
		{"vcd", required_argument, NULL, O_VCD},
		{"vcd-pe", required_argument, NULL, O_VCD_PE},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *machine_name = "mini64", *mesh = NULL, *pattern = "uniform";
	const char *out_dir = ".";
	int sweep = 0, sat = 0, json = 0, systemc = 0;
	struct sc_ref_opts sco;
	sc_ref_opts_init(&sco);
	long v;
	double rate = 0.1;
	struct traffic_config c;
	traffic_config_init(&c);
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (ch) {
		case O_MACHINE: machine_name = optarg; break;
		case O_MESH: mesh = optarg; break;
		case O_PATTERN: pattern = optarg; break;
		case O_RATE: {
			char *end;
			rate = strtod(optarg, &end);
			if (end == optarg || *end)
				return cli_usage_error(
					"fabric", "'--rate' must be a number, got '%s'",
					optarg);
			break;
		}
		case O_PKT:
			if (cli_parse_long("fabric", "--packet-wavelets", optarg, 1,
					   1000000, &v))
				return EXIT_USAGE;
			c.packet_wavelets = v;
			break;
		case O_CYCLES:
			if (cli_parse_long("fabric", "--cycles", optarg, 1,
					   1000000000L, &v))
				return EXIT_USAGE;
			c.measure_cycles = (cycles_t)v;
			break;
		case O_WARMUP:
			if (cli_parse_long("fabric", "--warmup", optarg, 0,
					   1000000000L, &v))
				return EXIT_USAGE;
			c.warmup_cycles = (cycles_t)v;
			break;
		case O_DRAIN:
			if (cli_parse_long("fabric", "--drain", optarg, 0,
					   1000000000L, &v))
				return EXIT_USAGE;
			c.drain_cycles = (cycles_t)v;
			break;
		case O_SEED:
			if (cli_parse_long("fabric", "--seed", optarg, 0,
					   2147483647L, &v))
				return EXIT_USAGE;
			c.seed = (uint64_t)v;
			break;
		case O_HOT:
			if (cli_parse_double("fabric", "--hotspot-fraction", optarg,
					     0, 1, &c.hotspot_fraction))
				return EXIT_USAGE;
			break;
		case O_SWEEP: sweep = 1; break;
		case O_SAT: sat = 1; break;
		case O_JSON: json = 1; break;
		case O_ENGINE:
			if (strcmp(optarg, "fabsim") && strcmp(optarg, "systemc"))
				return cli_usage_error(
					"fabric",
					"'--engine' must be fabsim or systemc, got '%s'",
					optarg);
			systemc = !strcmp(optarg, "systemc");
			break;
		case O_VCD: sco.vcd_path = optarg; break;
		case O_VCD_PE:
			if (sco.n_vcd_pes == SC_REF_MAX_VCD)
				return cli_usage_error("fabric",
						       "at most %d '--vcd-pe'",
						       SC_REF_MAX_VCD);
			if (cli_parse_long("fabric", "--vcd-pe", optarg, 0,
					   SC_REF_MAX_SIDE * SC_REF_MAX_SIDE - 1, &v))
				return EXIT_USAGE;
			sco.vcd_pes[sco.n_vcd_pes++] = (int32_t)v;
			break;
		case 'o': out_dir = optarg; break;
		case 'h': fputs(fabric_help, stdout); return EXIT_OK;
		default: return cli_usage_error("fabric", "bad option");
		}
	}
	if (optind < argc)
		return cli_usage_error("fabric", "unexpected argument '%s'",
				       argv[optind]);
	if (sweep && sat)
		return cli_usage_error("fabric",
				       "'--sweep' and '--saturation' exclude "
				       "each other");
	if (systemc && (sweep || sat))
		return cli_usage_error("fabric",
				       "'--engine systemc' runs one point; "
				       "'--sweep' and '--saturation' use fabsim");
	if (!systemc && (sco.vcd_path || sco.n_vcd_pes))
		return cli_usage_error("fabric",
				       "'--vcd' needs '--engine systemc'");
	if (sco.vcd_path && !sco.n_vcd_pes)
		sco.n_vcd_pes = 1; /* PE 0 */

	struct diag d;
	diag_init(&d);
	struct machine m;
	if (machine_load(machine_name, &m, &d)) {
		int rc = cli_fail(&d, WS_EINPUT);
		diag_release(&d);
		return rc;
	}
	c.params = m.fabric;
	c.width = (int32_t)m.width;
	c.height = (int32_t)m.height;
	c.rate = rate;
	if (mesh) {
		int32_t w, h;
		if (parse_mesh(mesh, &w, &h)) {
			diag_release(&d);
			return cli_usage_error(
				"fabric", "'--mesh' must be WxH (e.g. 16x16), got '%s'",
				mesh);
		}
		if (w > m.width || h > m.height)
			diag_add(&d, NULL, 0, 0,
				 "fabric: '--mesh' must fit machine '%s' (%lldx%lld), "
				 "got %dx%d",
				 m.name, (long long)m.width, (long long)m.height,
				 (int)w, (int)h);
		c.width = w;
		c.height = h;
	}
	c.pattern = traffic_pattern_parse(pattern);
	if (c.pattern < 0) {
		diag_add(&d, NULL, 0, 0,
			 "fabric: '--pattern' must be one of %s, got '%s'",
			 traffic_pattern_list(), pattern);
		c.pattern = TRAFFIC_UNIFORM; /* keep checking the rest */
	}
	traffic_check(&c, &d);
	if (diag_count(&d)) {
		int rc = cli_fail(&d, WS_EINPUT);
		diag_release(&d);
		return rc;
	}

	int rc = 0;
	double bound = traffic_bound(&c);
	if (sweep) {
		/* the directory first: a sweep can run for minutes */
		rc = ws_mkdir_p(out_dir, &d);
		if (!rc)
			rc = do_sweep(m.name, &c, out_dir, json, &d);
	} else if (sat) {
		double s;
		rc = traffic_saturation(&c, 0.02, &s, &d);
		if (!rc) {
			if (json) {
				json_t *o = ws_json_obj();
				ws_json_set_str(o, "pattern",
						traffic_pattern_name(c.pattern));
				ws_json_set_int(o, "width", c.width);
				ws_json_set_int(o, "height", c.height);
				ws_json_set_real(o, "saturation_rate", s);
				ws_json_set_real(o, "bound", bound);
				ws_json_write(stdout, o, WS_JSON_INDENT);
			} else {
				printf("fabric: %s on %dx%d saturates at %.5f "
				       "wavelets/cycle/node, bound %.5f (ratio "
				       "%.3f)\n",
				       traffic_pattern_name(c.pattern), (int)c.width,
				       (int)c.height, s, bound, s / bound);
			}
		}
	} else {
		struct traffic_result r;
		rc = systemc ? sc_ref_traffic_run(&m, &c, &sco, &r, &d)
			     : traffic_run(&c, &r, &d);
		if (!rc && systemc && !json)
			printf("fabric: engine systemc (reference model)%s%s\n",
			       sco.vcd_path ? ", waveform " : "",
			       sco.vcd_path ? sco.vcd_path : "");
		if (!rc) {
			if (json) {
				ws_json_write(stdout,
					      point_json(&c, &r, bound),
					      WS_JSON_INDENT);
			} else {
				print_text(m.name, &c, &r, bound);
			}
		}
	}
	if (rc) {
		int e = cli_fail(&d, rc);
		diag_release(&d);
		return e;
	}
	diag_release(&d);
	return EXIT_OK;
}
