/*
 * cmd_run.c: `wafersim run`: load a network and a machine, build (or read)
 * a plan, simulate a training step and an inference stream on the engine,
 * and report time, energy and the bottleneck beside the GPU baseline.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "compiler/graph.h"
#include "compiler/map.h"
#include "compiler/place.h"
#include "compiler/plan.h"
#include "compiler/plan_io.h"
#include "sim/engine.h"
#include "gpu/gpu.h"
#include "sim/report.h"
#include "sim/sc_ref.h"
#include "traces/trace.h"
#include "machine/machine.h"
#include "ground/util.h"

static const char run_help[] =
	"usage: wafersim run NET [--machine M] [options]\n\n"
	"Simulate training and inference of NET (zoo name or .yaml/.onnx file)\n"
	"on a wafer-scale machine; report time per step, samples/s, epoch and\n"
	"time to train, predictions/s, energy, power and the bottleneck, with\n"
	"an analytic roofline estimate beside the simulated figures.\n\n"
	"  --machine M         machine preset or file (default wse2)\n"
	"  --batch B           samples per training step (default: the network's)\n"
	"  --dtype D           mixed (fp16 x fp16 + fp32 acc, default) or fp32\n"
	"  --mode M            auto (default), pipelined or streaming\n"
	"  --optimizer O       sgd, momentum (default) or adam\n"
	"  --place S           placement strategy (default: the compiler's)\n"
	"  --plan FILE         run a plan file (wafersim place -o) instead\n"
	"  --region WxH        kernel microbenchmark: force the main stage onto\n"
	"                      a W x H rectangle and report its cycles\n"
	"  --job J             train, infer or both (default both)\n"
	"  --steps N           training steps simulated (default 2)\n"
	"  --infer-samples N   samples streamed for inference (default 64)\n"
	"  --full              simulate every PE separately (slower)\n"
	"  --gpu G[xN]         GPU baseline: preset or file, N GPUs (e.g. h100x8)\n"
	"  --epochs E          epochs per training run (default 1)\n"
	"  --samples S         training samples per epoch (default: the network's)\n"
	"  --runs K            training runs in the campaign (default 1)\n"
	"  --predictions P     predictions in the campaign (default 0)\n"
	"  --json              JSON on stdout (or -o) instead of text\n"
	"  -o, --output FILE   write the report to FILE\n"
	"  -v, --verbose       wall time and events per second on stderr\n"
	"  --engine E          engine (default) or systemc: after the report,\n"
	"                      run one task of every stage on the SystemC\n"
	"                      reference model (machines up to 64x64) and print\n"
	"                      it beside the engine's (docs/reference.md)\n"
	"  --vcd FILE          with systemc: waveform of the slowest stage\n"
	"  --trace DIR         write timeline, heatmaps, placement map, graph and\n"
	"                      charts into DIR (docs/traces.md; re-render: plot)\n"
	"  --trace-detail      with --trace: link maps per direction, 4 sampled\n"
	"                      PE tracks per stage in the timeline\n"
	"\nexample: wafersim run uno --machine wse2 --gpu h100 --runs 1000\n";

struct progress {
	double t0;
	int shown;
	const char *what;
};

static void progress_cb(void *ctx, double done)
{
	struct progress *pg = ctx;
	double t = wall_seconds() - pg->t0;
	if (t < 1.0)
		return;
	fprintf(stderr, "\r%s: %3.0f%% (%.1f s)", pg->what, 100 * done, t);
	pg->shown = 1;
}

static int parse_region(const char *s, int *w, int *h)
{
	char *end;
	long a = strtol(s, &end, 10);
	if (end == s || (*end != 'x' && *end != 'X'))
		return -1;
	const char *q = end + 1;
	long b = strtol(q, &end, 10);
	if (end == q || *end || a < 1 || b < 1 || a > 100000 || b > 100000)
		return -1;
	*w = (int)a;
	*h = (int)b;
	return 0;
}

/* Force the plan's heaviest stage onto a w x h rectangle, re-mapped by the
 * compiler's own kernel rules. */
static int apply_region(struct plan *p, const struct graph *g,
			const struct machine *m, enum optimizer opt, int w,
			int h, struct diag *d)
{
	if (w > m->width || h > m->height) {
		diag_add(d, NULL, 0, 0,
			 "run: '--region' must fit the %lldx%lld grid, got %dx%d",
			 (long long)m->width, (long long)m->height, w, h);
		return WS_EINPUT;
	}
	int best = 0;
	for (int i = 1; i < p->n_stages; i++)
		if (p->stages[i].stage_cycles > p->stages[best].stage_cycles)
			best = i;
	struct plan_stage *s = &p->stages[best];
	s->r.w = w;
	s->r.h = h;
	if (s->r.x + w > m->width)
		s->r.x = 0;
	if (s->r.y + h > m->height)
		s->r.y = 0;
	struct map_ctx c = {g, m, p->prec, opt, p->mode, p->batch, 0, NULL, 0};
	map_kernel(&c, s);
	return 0;
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"machine", required_argument, 0, 'm'},
		{"batch", required_argument, 0, 'b'},
		{"dtype", required_argument, 0, 'd'},
		{"mode", required_argument, 0, 'M'},
		{"optimizer", required_argument, 0, 'O'},
		{"place", required_argument, 0, 'p'},
		{"plan", required_argument, 0, 'P'},
		{"region", required_argument, 0, 'r'},
		{"job", required_argument, 0, 'j'},
		{"steps", required_argument, 0, 's'},
		{"infer-samples", required_argument, 0, 'I'},
		{"full", no_argument, 0, 'F'},
		{"gpu", required_argument, 0, 'g'},
		{"epochs", required_argument, 0, 'e'},
		{"samples", required_argument, 0, 'S'},
		{"runs", required_argument, 0, 'k'},
		{"predictions", required_argument, 0, 'n'},
		{"json", no_argument, 0, 'J'},
		{"output", required_argument, 0, 'o'},
		{"verbose", no_argument, 0, 'v'},
		{"help", no_argument, 0, 'h'},
		{"engine", required_argument, 0, 'E'},
		{"vcd", required_argument, 0, 'V'},
		{"trace", required_argument, 0, 'T'},
		{"trace-detail", no_argument, 0, 'D'},
		{0, 0, 0, 0}};
	const char *mname = "wse2", *strategy = NULL, *plan_file = NULL;
	const char *gpu_arg = NULL, *out_path = NULL, *region = NULL;
	long batch = 0, steps = 0, infer_samples = 0, epochs = 1, samples = 0;
	long runs = 1;
	double predictions = 0;
	int full = 0, json = 0, verbose = 0, do_train = 1, do_infer = 1;
	enum pe_prec prec = PREC_MIXED;
	enum exec_mode mode = MODE_AUTO;
	enum optimizer optim = OPT_MOMENTUM;
	int rw = 0, rh = 0, systemc = 0;
	struct sc_ref_opts sco;
	sc_ref_opts_init(&sco);
	const char *trace_dir = NULL; /* --trace: traces/trace.h */
	struct trace_opts topt;
	trace_opts_init(&topt);
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "o:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'm': mname = optarg; break;
		case 'b':
			if (cli_parse_long("run", "--batch", optarg, 1, 1 << 20, &batch))
				return EXIT_USAGE;
			break;
		case 'd':
			if (!strcmp(optarg, "mixed"))
				prec = PREC_MIXED;
			else if (!strcmp(optarg, "fp32"))
				prec = PREC_FP32;
			else
				return cli_usage_error("run", "'--dtype' must be mixed or fp32, got '%s'", optarg);
			break;
		case 'M':
			if (!strcmp(optarg, "auto"))
				mode = MODE_AUTO;
			else if (!strcmp(optarg, "pipelined"))
				mode = MODE_PIPELINED;
			else if (!strcmp(optarg, "streaming"))
				mode = MODE_STREAMING;
			else
				return cli_usage_error("run", "'--mode' must be auto, pipelined or streaming, got '%s'", optarg);
			break;
		case 'O':
			if (!strcmp(optarg, "sgd"))
				optim = OPT_SGD;
			else if (!strcmp(optarg, "momentum"))
				optim = OPT_MOMENTUM;
			else if (!strcmp(optarg, "adam"))
				optim = OPT_ADAM;
			else
				return cli_usage_error("run", "'--optimizer' must be sgd, momentum or adam, got '%s'", optarg);
			break;
		case 'p': strategy = optarg; break;
		case 'P': plan_file = optarg; break;
		case 'r':
			region = optarg;
			if (parse_region(optarg, &rw, &rh))
				return cli_usage_error("run", "'--region' must be WxH (e.g. 32x16), got '%s'", optarg);
			break;
		case 'j':
			if (!strcmp(optarg, "train"))
				do_train = 1, do_infer = 0;
			else if (!strcmp(optarg, "infer"))
				do_train = 0, do_infer = 1;
			else if (!strcmp(optarg, "both"))
				do_train = 1, do_infer = 1;
			else
				return cli_usage_error("run", "'--job' must be train, infer or both, got '%s'", optarg);
			break;
		case 's':
			if (cli_parse_long("run", "--steps", optarg, 1, 1000, &steps))
				return EXIT_USAGE;
			break;
		case 'I':
			if (cli_parse_long("run", "--infer-samples", optarg, 1, 1 << 20, &infer_samples))
				return EXIT_USAGE;
			break;
		case 'F': full = 1; break;
		case 'g': gpu_arg = optarg; break;
		case 'e':
			if (cli_parse_long("run", "--epochs", optarg, 1, 1000000, &epochs))
				return EXIT_USAGE;
			break;
		case 'S':
			if (cli_parse_long("run", "--samples", optarg, 1, 1L << 50, &samples))
				return EXIT_USAGE;
			break;
		case 'k':
			if (cli_parse_long("run", "--runs", optarg, 1, 1L << 40, &runs))
				return EXIT_USAGE;
			break;
		case 'n':
			if (cli_parse_double("run", "--predictions", optarg, 0, 1e18, &predictions))
				return EXIT_USAGE;
			break;
		case 'J': json = 1; break;
		case 'o': out_path = optarg; break;
		case 'v': verbose = 1; break;
		case 'h': fputs(run_help, stdout); return EXIT_OK;
		case 'E':
			if (strcmp(optarg, "engine") && strcmp(optarg, "systemc"))
				return cli_usage_error("run", "'--engine' must be engine or systemc, got '%s'", optarg);
			systemc = !strcmp(optarg, "systemc");
			break;
		case 'V': sco.vcd_path = optarg; break;
		case 'T': trace_dir = optarg; break;
		case 'D': topt.link_dirs = 1; topt.pe_tracks = 4; break;
		default:
			return cli_usage_error("run", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("run", optind >= argc ? "a network is required"
							   : "one network expected, got '%s'",
				       optind < argc ? argv[optind + 1] : "");
	if (sco.vcd_path && !systemc)
		return cli_usage_error("run", "'--vcd' needs '--engine systemc'");
	if (systemc && json)
		return cli_usage_error("run", "'--engine systemc' prints text; drop '--json'");
	const char *net = argv[optind];
	char gpu_name[64] = "";
	long n_gpus = 1;
	if (gpu_arg) {
		snprintf(gpu_name, sizeof(gpu_name), "%s", gpu_arg);
		char *x = strrchr(gpu_name, 'x');
		if (x && x != gpu_name && x[1] >= '0' && x[1] <= '9') {
			if (cli_parse_long("run", "--gpu", x + 1, 1, 100000, &n_gpus))
				return EXIT_USAGE;
			*x = 0;
		}
	}

	struct diag d;
	diag_init(&d);
	struct machine m;
	struct graph g;
	struct plan p;
	struct stats st_train, st_infer;
	struct gpu_spec gs;
	struct gpu_result gr[2];
	memset(gr, 0, sizeof(gr));
	stats_init(&st_train);
	stats_init(&st_infer);
	plan_init(&p);
	int have_graph = 0, rc = 0;
	struct outfile of = {0};
	int of_open = 0;
	double t0 = wall_seconds();
	uint64_t events = 0;

	/* every output path is checked before the work starts; the report
	 * is committed only after every step (systemc, traces) succeeded */
	if ((rc = outfile_open(&of, out_path ? out_path : "-", &d)))
		goto done;
	of_open = 1;
	if (sco.vcd_path && (rc = ws_check_output(sco.vcd_path, "--vcd", &d)))
		goto done;
	if (trace_dir && (rc = ws_check_output(trace_dir, "--trace", &d)))
		goto done;
	if ((rc = machine_load(mname, &m, &d)))
		goto done;
	if (systemc && (rc = sc_ref_check_mesh(m.width, m.height, &d)))
		goto done;
	if ((rc = graph_load(net, optim, &g, &d)))
		goto done;
	have_graph = 1;
	if (plan_file) {
		if ((rc = plan_load(plan_file, &g, &m, &p, &d)))
			goto done;
	} else {
		struct plan_opts po;
		plan_opts_init(&po);
		po.strategy = strategy;
		po.mode = mode;
		po.batch = batch;
		po.prec = prec;
		po.opt = optim;
		if ((rc = plan_build(&g, &m, &po, &p, &d)))
			goto done;
	}
	if (region && (rc = apply_region(&p, &g, &m, optim, rw, rh, &d)))
		goto done;
	if (batch > 0)
		p.batch = batch;

	struct progress pg = {t0, 0, "simulating"};
	int tty = cli_progress_ok();
	struct engine_opts eo;
	engine_opts_init(&eo);
	eo.batch = p.batch;
	eo.steps = (int)steps;
	eo.infer_samples = infer_samples;
	eo.full = full;
	if (trace_dir) /* task spans for the timeline, bounded */
		eo.max_spans = TRACE_MAX_SPANS;
	if (tty) {
		eo.progress = progress_cb;
		eo.progress_ctx = &pg;
	}
	double te = wall_seconds();
	if (do_train) {
		eo.job = ENGINE_TRAIN;
		pg.what = "simulating training";
		if ((rc = engine_run(&p, &g, &m, &eo, &st_train, &d)))
			goto done;
		events += st_train.events;
	}
	if (do_infer) {
		eo.job = ENGINE_INFER;
		pg.what = "simulating inference";
		if ((rc = engine_run(&p, &g, &m, &eo, &st_infer, &d)))
			goto done;
		events += st_infer.events;
	}
	te = wall_seconds() - te;
	if (pg.shown)
		fprintf(stderr, "\r%60s\r", "");

	struct report_in ri;
	memset(&ri, 0, sizeof(ri));
	ri.p = &p;
	ri.g = &g;
	ri.m = &m;
	ri.train = do_train ? &st_train : NULL;
	ri.infer = do_infer ? &st_infer : NULL;
	engine_roofline(&p, &m, p.batch, &ri.roof);
	ri.dataset_samples = samples > 0 ? samples : g.dataset_samples;
	ri.epochs = epochs;
	ri.runs = runs;
	ri.predictions = (int64_t)predictions;
	ri.region = region;
	if (gpu_arg) {
		if ((rc = gpu_load(gpu_name, &gs, &d)))
			goto done;
		report_confidence(&ri, prec);
		for (int k = 0; k < 2; k++) {
			struct gpu_run_opts go;
			gpu_run_opts_default(&go);
			/* the same global batch as the wafer, shared out */
			go.batch = (p.batch + n_gpus - 1) / n_gpus;
			go.dtype = prec == PREC_FP32 ? DT_FP32 : DT_BF16;
			go.n_gpus = (int)n_gpus;
			go.style = k ? GPU_GRAPH : GPU_EAGER;
			go.optimizer = optim;
			if ((rc = gpu_estimate(&gs, &g, &go, &gr[k], &d)))
				goto done;
			ri.gpu.train_step_s[k] = gr[k].train.seconds;
			ri.gpu.train_step_j[k] = n_gpus > 1 ? gr[k].cluster_energy_j
							    : gr[k].train.energy_j;
			ri.gpu.infer_batch_s[k] = gr[k].infer.seconds;
			ri.gpu.infer_batch_j[k] = gr[k].infer.energy_j * (double)n_gpus;
		}
		ri.gpu.present = 1;
		snprintf(ri.gpu.name, sizeof(ri.gpu.name), "%.63s", gs.name);
		ri.gpu.n_gpus = (int)n_gpus;
		/* data parallel: each GPU takes its share of the wafer's
		 * batch (rounded up), the cluster a step of share x N */
		ri.gpu.batch = gr[0].batch * n_gpus;
		ri.gpu.batch_per_gpu = gr[0].batch;
		if (gr[0].fit == GPU_FIT_ACCUMULATE)
			snprintf(ri.gpu.fit, sizeof(ri.gpu.fit),
				 "%d micro-batches of %lld per GPU, gradient "
				 "accumulation", gr[0].micro_batches,
				 (long long)gr[0].micro_batch);
		else if (gr[0].fit == GPU_FIT_CHECKPOINT)
			snprintf(ri.gpu.fit, sizeof(ri.gpu.fit),
				 "activation checkpointing");
		snprintf(ri.gpu.bound, sizeof(ri.gpu.bound), "%s",
			 gpu_bound_name(gr[0].train.bound));
		if (n_gpus > 1) {
			/* an inference batch per GPU, in parallel */
			for (int k = 0; k < 2; k++)
				ri.gpu.infer_batch_j[k] = gr[k].infer.energy_j *
							  (double)n_gpus;
		}
	}
	if (json)
		report_json(&ri, of.f);
	else
		report_text(&ri, of.f);
	if (systemc) {
		double worst;
		if ((rc = sc_ref_check_plan(&p, &m, do_infer ? &st_infer : &st_train,
					    do_train, &sco, stdout, &worst, &d)))
			goto done;
	}
	if (trace_dir && (rc = trace_write(&ri, trace_dir, &topt, &d)))
		goto done;
	of_open = 0;
	if ((rc = outfile_commit(&of, &d)))
		goto done;
	if (verbose) {
		double wall = wall_seconds() - t0;
		uint64_t tasks = st_train.pe_tasks + st_infer.pe_tasks;
		fprintf(stderr, "run: %.3f s wall (engine %.3f s), %llu events "
			"(%.3g events/s), %llu PE tasks (%.3g per s)\n", wall, te,
			(unsigned long long)events,
			te > 0 ? (double)events / te : 0, (unsigned long long)tasks,
			te > 0 ? (double)tasks / te : 0);
	}
done:
	if (of_open)
		outfile_abort(&of);
	for (int k = 0; k < 2; k++)
		if (gpu_arg)
			gpu_result_release(&gr[k]);
	stats_release(&st_train);
	stats_release(&st_infer);
	plan_release(&p);
	if (have_graph)
		graph_release(&g);
	if (rc) {
		int e = cli_fail(&d, rc);
		diag_release(&d);
		return e;
	}
	diag_release(&d);
	return EXIT_OK;
}
