/*
 * cmd_run.c: `wafersim run`: load a network and a machine, build (or read)
 * a plan, simulate a training step and an inference stream on the engine,
 * and report time, energy and the bottleneck beside the GPU baseline.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opt.h"
#include "compiler/graph.h"
#include "compiler/kern.h"
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

static const char *const run_options[] = {
	"machine", "set", "batch", "precision", "mode", "optimizer",
	"strategy", "sharing", "plan", "region", "job", "steps", "infer-samples", "full", "gpu",
	"gpus", "gpu-batch", "epochs", "samples", "runs", "predictions", "json",
	"output", "verbose", "engine", "vcd", "trace", "trace-detail", "kernel",
	"groups", "wafers", "max-memory", "place", "dtype", NULL};

static const struct cli_command run_cmd = {
	"run", "NET [options]",
	"Simulate training and inference of NET (zoo name or .yaml/.onnx file)\n"
	"on a wafer-scale machine; report time per step, samples/s, epoch and\n"
	"time to train, predictions/s, energy, power and the bottleneck, with\n"
	"an analytic bound beside the simulated figures.  With --gpu or\n"
	"--gpus, the GPU baseline beside it, at the wafer's global batch\n"
	"(shared over the GPUs as PyTorch's DistributedSampler does: at most\n"
	"one GPU per sample, shares that do not divide padded with repeated\n"
	"samples, which the figures per sample leave out) or at --gpu-batch\n"
	"per GPU.  With --engine systemc, after the report, one task of every\n"
	"stage runs on the SystemC reference model (machines up to 64x64)\n"
	"beside the engine's.",
	run_options,
	"example: wafersim run uno --machine wse2 --gpu h100 --runs 1000\n",
	1, 1, NULL};

/* Force stage *stage of the plan (< 0: its heaviest, whose index is
 * then set) onto a w x h rectangle, re-mapped by the compiler's own
 * kernel rules (with the algorithm po asks for, for the plan's job). */
static int apply_region(struct plan *p, const struct graph *g,
			const struct machine *m, const struct plan_opts *po,
			int w, int h, int *stage, struct diag *d)
{
	if (w > m->width || h > m->height) {
		diag_add(d, NULL, 0, 0,
			 "run: '--region' must fit the %lldx%lld grid, got %dx%d",
			 (long long)m->width, (long long)m->height, w, h);
		return WS_EINPUT;
	}
	/* as place refuses it without --region (compiler/plan_build.c) */
	if (po->kernel && kern_from_name(po->kernel) > KERN_STREAM &&
	    p->mode != MODE_PIPELINED) {
		diag_add(d, NULL, 0, 0,
			 "run: '--kernel %s' is the algorithm of a pipelined "
			 "plan's dense stages, but '%s' on '%s' is %.200s "
			 "(give '--mode pipelined')",
			 po->kernel, p->network, m->name, p->mode_reason);
		return WS_EINPUT;
	}
	int best = *stage;
	if (best < 0 || best >= p->n_stages) {
		best = 0;
		for (int i = 1; i < p->n_stages; i++)
			if (p->stages[i].stage_cycles >
			    p->stages[best].stage_cycles)
				best = i;
	}
	*stage = best;
	struct plan_stage *s = &p->stages[best];
	s->r.w = w;
	s->r.h = h;
	s->copies = 0; /* the region holds the stage's kernel once */
	if (s->r.x + w > m->width)
		s->r.x = 0;
	if (s->r.y + h > m->height)
		s->r.y = 0;
	struct map_ctx c = {g, m, p->prec, po->opt, p->mode, p->batch, 0,
			    po->kernel, po->groups, NULL, p->job, 0};
	map_kernel(&c, s);
	char why[256];
	if (map_kernel_why_not(&c, s, why, sizeof why)) {
		diag_add(d, NULL, 0, 0, "run: stage '%s' on '--region %dx%d' "
			 "cannot run '--kernel %s': %s", s->name, w, h,
			 po->kernel, why);
		return WS_EINPUT;
	}
	return 0;
}


/* Everything one run holds, filled step by step. */
struct run {
	struct cli_opts o;
	struct diag d;
	struct machine m;
	struct graph g;
	struct plan p;
	/* the default job (both): the plan compiled for inference, which
	 * the inference runs on when have_pi (run_infer_plan) */
	struct plan pi;
	int have_pi;
	struct stats st_train, st_infer;
	struct gpu_spec gs;
	struct gpu_result gr[2];
	struct report_in ri;
	struct sc_ref_opts sco;
	struct trace_opts topt;
	struct outfile of;
	int of_open;
	int region_stage; /* the stage --region put on its rectangle */
	int rw, rh, have_graph, have_gpu, do_train, do_infer, systemc;
	double t0, te;
	uint64_t events;
	int64_t max_memory; /* --max-memory in bytes; 0: the default */
};

/* With --plan the file's placement runs: an option that places (it would
 * be silently ignored) is a usage error; 0 when none is given. */
static int plan_placing_usage(const struct cli_opts *o)
{
	static const char *const placing[] = {"strategy", "sharing", "kernel",
					      "groups"};
	for (size_t i = 0; i < ARRAY_SIZE(placing); i++)
		if (cli_given(o, placing[i]))
			return cli_usage_error("run", "'--%s' places the "
					       "network, and '--plan' runs "
					       "one placed already (the "
					       "file's): give one of them",
					       placing[i]);
	return 0;
}

/* 1 to go on; else 0 with the exit status in *ex. */
static int run_parse(struct run *r, int argc, char **argv, int *ex)
{
	struct cli_opts *o = &r->o;
	int pr = cli_parse(&run_cmd, argc, argv, o);
	*ex = cli_parse_exit(pr);
	if (pr != CLI_GO)
		return 0;
	if (o->region && cli_parse_wxh(o->region, 100000, &r->rw, &r->rh))
		return cli_stop(ex, cli_usage_error("run", "'--region' must be WxH (e.g. "
				       "32x16), got '%s'", o->region));
	if (cli_parse_size("run", "--max-memory", o->max_memory,
			   &r->max_memory))
		return cli_stop(ex, EXIT_USAGE);
	r->systemc = o->engine == CLI_ENGINE_SYSTEMC;
	if (o->vcd && !r->systemc)
		return cli_stop(ex, cli_usage_error("run", "'--vcd' needs '--engine systemc'"));
	if (r->systemc && o->json)
		return cli_stop(ex, cli_usage_error("run", "'--engine systemc' prints text; "
				       "drop '--json'"));
	r->do_train = o->job != CLI_JOB_INFER;
	r->do_infer = o->job != CLI_JOB_TRAIN;
	r->sco.vcd_path = o->vcd;
	if (o->trace_detail) {
		r->topt.link_dirs = 1;
		r->topt.pe_tracks = 4;
	}
	if ((*ex = cli_kernel_usage("run", o)))
		return 0;
	if (o->plan && (*ex = plan_placing_usage(o)))
		return 0;
	if (o->wafers > 1 && o->mode == MODE_PIPELINED)
		return cli_stop(ex, cli_usage_error("run", "'--wafers %ld' "
				"trains data-parallel only in weight "
				"streaming; drop '--mode pipelined'",
				o->wafers));
	r->have_gpu = cli_given(o, "gpu") || cli_given(o, "gpus") ||
		      cli_given(o, "gpu-batch");
	*ex = EXIT_OK;
	return 1;
}

/* Every output path is checked before the work starts; the report (on
 * standard output too) is committed only after every step (systemc,
 * traces) succeeded: a waveform that cannot be written (--vcd /dev/full)
 * failed after the report was printed. */
static int run_outputs(struct run *r)
{
	const struct cli_opts *o = &r->o;
	int rc;
	if ((rc = outfile_open_held(&r->of, o->output ? o->output : "-",
				    &r->d)))
		return rc;
	r->of_open = 1;
	if (o->vcd && (rc = ws_check_output_file(o->vcd, "--vcd", &r->d)))
		return rc;
	if (o->trace && (rc = ws_check_output_dir(o->trace, "--trace", &r->d)))
		return rc;
	return 0;
}

static int run_load(struct run *r)
{
	int rc;
	if ((rc = cli_load_machine(&r->o, &r->m, &r->d)))
		return rc;
	if (r->systemc &&
	    (rc = sc_ref_check_mesh(r->m.width, r->m.height, &r->d)))
		return rc;
	if ((rc = graph_load(r->o.args[0], r->o.optimizer, &r->g, &r->d)))
		return rc;
	r->have_graph = 1;
	return 0;
}

/* The default job (train and infer): when the training plan is pipelined
 * the inference runs on a plan of its own, compiled for inference as a
 * vendor compiles the two jobs apart (dense stages' kernels picked for
 * the forward, the placement for the inference of a batch:
 * compiler/map.h, place.h).  Not for a plan file (the file is the plan),
 * nor a streamed training plan: no choice of a streamed plan depends on
 * the job, and the compiler streams when a pipeline does not fit, which
 * the forward's picks do not change (the SRAM fit is the training
 * mapping's), so the inference runs on it (the report says so). */
static int run_infer_plan(struct run *r, const struct plan_opts *pb,
			  const struct plan_opts *po)
{
	const struct cli_opts *o = &r->o;
	if (!r->do_train || !r->do_infer || o->plan ||
	    r->p.mode != MODE_PIPELINED)
		return 0;
	struct plan_opts pi = *pb;
	pi.job = PLAN_JOB_INFER;
	pi.rival = &r->p; /* the training plan competes (place.h) */
	int rc = plan_build(&r->g, &r->m, &pi, &r->pi, &r->d);
	if (rc)
		return rc;
	if (r->pi.job != PLAN_JOB_INFER) { /* the training plan won */
		plan_release(&r->pi);
		r->ri.infer_kept_training = 1;
		return 0;
	}
	if (o->region)
		rc = apply_region(&r->pi, &r->g, &r->m, po, r->rw, r->rh,
				  &r->region_stage, &r->d);
	if (!rc && po->batch > 0)
		r->pi.batch = po->batch;
	r->have_pi = !rc;
	return rc;
}

static int run_plan(struct run *r)
{
	const struct cli_opts *o = &r->o;
	struct plan_opts po;
	cli_plan_opts(o, &po);
	cli_plan_wafers(o, r->g.default_batch, &po);
	/* with --region the forced kernel is the region stage's alone, and
	 * an inference plan is the inference compile's (no rival: its
	 * stage is re-picked for the job) */
	struct plan_opts pb = po;
	if (o->region) {
		struct plan_opts def;
		plan_opts_init(&def);
		pb.kernel = def.kernel;
		pb.groups = def.groups;
		pb.solo = 1;
	}
	int rc;
	r->region_stage = -1;
	if (o->plan) {
		/* the file's wafers; --wafers, if given, must say the same;
		 * the file's job, unless --job trains (an inference plan is
		 * then refused) */
		struct plan_want want = {
			cli_given(o, "wafers") ? o->wafers : 0,
			!cli_given(o, "job")	  ? -1
			: o->job == CLI_JOB_INFER ? PLAN_JOB_INFER
						  : PLAN_JOB_TRAIN,
			cli_given(o, "mode") && o->mode != MODE_AUTO ? o->mode
								      : -1,
			cli_given(o, "precision") ? o->precision : -1,
			cli_given(o, "optimizer") ? o->optimizer : -1};
		rc = plan_load_want(o->plan, &r->g, &r->m, &want, &r->p,
				    &r->d);
		r->o.wafers = r->p.wafers;
		if (!cli_given(o, "job") && r->p.job == PLAN_JOB_INFER)
			r->do_train = 0;
		/* the plan's batch per wafer, unless --batch (global) */
		po.batch = o->batch > 0 ? (o->batch + r->p.wafers - 1) /
						  r->p.wafers
					: 0;
	} else {
		rc = plan_build(&r->g, &r->m, &pb, &r->p, &r->d);
		/* --job infer, and the training plan infers faster */
		r->ri.infer_kept_training = !rc && pb.job == PLAN_JOB_INFER &&
					    r->p.job != PLAN_JOB_INFER;
	}
	if (rc)
		return rc;
	if (o->region && (rc = apply_region(&r->p, &r->g, &r->m, &po, r->rw,
					    r->rh, &r->region_stage, &r->d)))
		return rc;
	if (po.batch > 0)
		r->p.batch = po.batch;
	if ((rc = run_infer_plan(r, &pb, &po)))
		return rc;
	if (o->plan && r->p.mode == MODE_STREAMING && r->p.micro_batch > 0) {
		/* --batch over a plan file: its micro-batch, at most the batch
		 * (the engine's rule), and a reason that says so */
		if (r->p.micro_batch > r->p.batch)
			r->p.micro_batch = r->p.batch;
		char *says = xasprintf("as %s says, with --batch", o->plan);
		plan_micro_reason(&r->p, r->p.micro_reason, says);
		free(says);
	}
	return 0;
}

static int run_simulate(struct run *r)
{
	struct cli_progress pg;
	cli_progress_init(&pg, r->t0, "simulating");
	struct engine_opts eo;
	engine_opts_init(&eo);
	eo.batch = r->p.batch;
	eo.steps = (int)r->o.steps;
	eo.infer_samples = r->o.infer_samples;
	eo.full = r->o.full;
	eo.max_memory_bytes = r->max_memory;
	eo.wafers = (int)r->o.wafers;
	if (r->o.trace) /* task spans for the timeline, bounded */
		eo.max_spans = TRACE_MAX_SPANS;
	if (cli_progress_ok()) {
		eo.progress = cli_progress_cb;
		eo.progress_ctx = &pg;
	}
	double te = wall_seconds();
	int rc = 0;
	if (r->do_train) {
		eo.job = ENGINE_TRAIN;
		pg.what = "simulating training";
		rc = engine_run(&r->p, &r->g, &r->m, &eo, &r->st_train, &r->d);
		r->events += r->st_train.events;
	}
	if (!rc && r->do_infer) {
		eo.job = ENGINE_INFER;
		pg.what = "simulating inference";
		rc = engine_run(r->have_pi ? &r->pi : &r->p, &r->g, &r->m,
				&eo, &r->st_infer, &r->d);
		r->events += r->st_infer.events;
	}
	r->te = wall_seconds() - te;
	cli_progress_end(&pg);
	return rc;
}

/* Why the GPUs the step runs on are not the ones asked for, into b. */
static void run_gpus_why(struct report_gpu *b, int64_t global)
{
	b->gpus_why[0] = 0;
	if (b->n_gpus > b->asked_gpus)
		snprintf(b->gpus_why, sizeof(b->gpus_why),
			 "the weights, gradients and optimizer state need "
			 "%d", b->n_gpus);
	else if (b->n_gpus < b->asked_gpus)
		snprintf(b->gpus_why, sizeof(b->gpus_why),
			 "a global batch of %lld has one sample for each of "
			 "%d; more would take repeated samples only "
			 "('--gpu-batch' gives each GPU a batch of its own)",
			 (long long)global, b->n_gpus);
}

/* The GPU baseline beside the wafer: eager and graph, data parallel. By
 * default at the wafers' global batch, shared out as DistributedSampler
 * does (cli_ddp_gpus: at most one GPU per sample, shares padded with
 * repeated samples when they do not divide); --gpu-batch: the GPUs' own
 * batch per GPU. */
static int run_gpu(struct run *r)
{
	struct report_gpu *b = &r->ri.gpu;
	int64_t global = r->o.gpu_batch > 0 ? 0 : r->p.batch * r->o.wafers;
	long n = global ? cli_ddp_gpus(global, r->o.gpus) : r->o.gpus;
	int rc;
	if ((rc = gpu_load(r->o.gpu, &r->gs, &r->d)))
		return rc;
	report_confidence(&r->ri, r->o.precision);
	for (int k = 0; k < 2; k++) {
		struct gpu_run_opts go;
		gpu_run_opts_default(&go);
		if (global)
			go.global_batch = global;
		else
			go.batch = r->o.gpu_batch;
		go.dtype = cli_gpu_dtype(r->o.precision);
		go.n_gpus = (int)n;
		go.style = k ? GPU_GRAPH : GPU_EAGER;
		go.optimizer = r->o.optimizer;
		if ((rc = gpu_estimate(&r->gs, &r->g, &go, &r->gr[k], &r->d)))
			return rc;
		/* more GPUs when the state needs them (gpu_plan_words) */
		n = r->gr[k].n_gpus;
		b->train_step_s[k] = r->gr[k].train.seconds;
		b->train_step_j[k] = n > 1 ? r->gr[k].cluster_energy_j
					   : r->gr[k].train.energy_j;
		b->infer_batch_s[k] = r->gr[k].infer.seconds;
		/* an inference batch per GPU, in parallel */
		b->infer_batch_j[k] = r->gr[k].infer.energy_j * (double)n;
	}
	b->present = 1;
	snprintf(b->name, sizeof(b->name), "%s", r->gs.name);
	b->n_gpus = (int)n;
	b->asked_gpus = (int)r->o.gpus;
	/* the step's distinct samples: the global batch, or --gpu-batch x N;
	 * beyond them the sampler's repeats */
	b->batch_per_gpu = r->gr[0].batch;
	b->batch = global ? global : r->gr[0].batch * n;
	b->padded = global ? cli_ddp_padded(global, b->batch_per_gpu,
					    b->n_gpus)
			   : 0;
	if (!r->do_train) { /* a stream of requests fills every share */
		b->batch += b->padded;
		b->padded = 0;
	}
	run_gpus_why(b, global);
	/* how a step that does not fit runs, or why it cannot (no time) */
	gpu_plan_words(&r->gr[0], b->fit, sizeof(b->fit));
	b->cannot_run = !r->gr[0].runs;
	snprintf(b->sharding, sizeof(b->sharding), "%s",
		 gpu_shard_name(r->gr[0].shard));
	snprintf(b->bound, sizeof(b->bound), "%s",
		 gpu_bound_name(r->gr[0].train.bound));
	return 0;
}

static void run_report_in(struct run *r)
{
	struct report_in *ri = &r->ri;
	ri->p = &r->p;
	ri->g = &r->g;
	ri->m = &r->m;
	ri->train = r->do_train ? &r->st_train : NULL;
	ri->infer = r->do_infer ? &r->st_infer : NULL;
	engine_roofline_run(&r->p, &r->m, r->p.batch, r->o.infer_samples,
			    (int)r->o.wafers, &ri->roof);
	ri->infer_plan = r->have_pi ? &r->pi : NULL;
	if (r->have_pi) { /* the inference's bound: its own plan's */
		struct engine_roofline ir;
		engine_roofline_run(&r->pi, &r->m, r->pi.batch,
				    r->o.infer_samples, (int)r->o.wafers, &ir);
		ri->roof.infer_sample_cycles = ir.infer_sample_cycles;
		ri->roof.infer_is_bound = ir.infer_is_bound;
	}
	ri->dataset_samples =
		r->o.samples > 0 ? r->o.samples : r->g.dataset_samples;
	ri->epochs = r->o.epochs;
	ri->runs = r->o.runs;
	ri->predictions = (int64_t)r->o.predictions;
	ri->region = r->o.region;
}

static int run_report(struct run *r)
{
	int rc;
	if (r->o.json)
		report_json(&r->ri, r->of.f);
	else
		report_text(&r->ri, r->of.f);
	/* the SystemC check's lines on standard output after the report,
	 * held with it until everything succeeded */
	struct outfile sc;
	memset(&sc, 0, sizeof(sc));
	if (r->systemc) {
		double worst;
		/* one plan and its stats: the inference's unless it ran on
		 * a plan of its own */
		int inf = r->do_infer && !r->have_pi;
		if ((rc = outfile_open_held(&sc, "-", &r->d)) ||
		    (rc = sc_ref_check_plan(&r->p, &r->m,
					    inf ? &r->st_infer : &r->st_train,
					    r->do_train, &r->sco, sc.f, &worst,
					    &r->d))) {
			outfile_abort(&sc);
			return rc;
		}
	}
	if (r->o.trace && (rc = trace_write(&r->ri, r->o.trace, &r->topt,
					    &r->d))) {
		outfile_abort(&sc);
		return rc;
	}
	r->of_open = 0;
	rc = outfile_commit(&r->of, &r->d);
	if (rc) {
		outfile_abort(&sc);
		return rc;
	}
	if ((rc = outfile_commit(&sc, &r->d)))
		return rc;
	if (r->o.verbose) {
		double wall = wall_seconds() - r->t0, te = r->te;
		uint64_t tasks = r->st_train.pe_tasks + r->st_infer.pe_tasks;
		fprintf(stderr, "run: %.3f s wall (engine %.3f s), %llu events "
			"(%.3g events/s), %llu PE tasks (%.3g per s)\n", wall, te,
			(unsigned long long)r->events,
			te > 0 ? (double)r->events / te : 0,
			(unsigned long long)tasks,
			te > 0 ? (double)tasks / te : 0);
	}
	return 0;
}

static int run_steps(struct run *r)
{
	int rc;
	if ((rc = run_outputs(r)) || (rc = run_load(r)) || (rc = run_plan(r)) ||
	    (rc = run_simulate(r)))
		return rc;
	run_report_in(r);
	if (r->have_gpu && (rc = run_gpu(r)))
		return rc;
	return run_report(r);
}

int cmd_run(int argc, char **argv)
{
	struct run *r = xcalloc(1, sizeof(*r));
	cli_opts_init(&r->o);
	sc_ref_opts_init(&r->sco);
	trace_opts_init(&r->topt);
	diag_init(&r->d);
	stats_init(&r->st_train);
	stats_init(&r->st_infer);
	plan_init(&r->p);
	plan_init(&r->pi);
	r->t0 = wall_seconds();
	int ex;
	if (run_parse(r, argc, argv, &ex)) {
		int rc = run_steps(r);
		ex = rc ? cli_fail(&r->d, rc) : EXIT_OK;
	}
	if (r->of_open)
		outfile_abort(&r->of);
	for (int k = 0; k < 2; k++)
		gpu_result_release(&r->gr[k]);
	stats_release(&r->st_train);
	stats_release(&r->st_infer);
	plan_release(&r->p);
	plan_release(&r->pi);
	if (r->have_graph)
		graph_release(&r->g);
	diag_release(&r->d);
	cli_opts_release(&r->o);
	free(r);
	return ex;
}
