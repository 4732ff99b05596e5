/*
 * opt.c: the vocabulary table, the parser and --help.  See opt.h.
 */
#include "cli/opt.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "compiler/graph.h"
#include "compiler/kern.h"
#include "compiler/place.h"
#include "compiler/plan.h"
#include "cores/pe.h"
#include "gpu/gpu.h"
#include "ground/mem.h"
#include "machine/machine.h"

/* Name <-> value tables, one per enum option, in one place.  The first
 * row is the canonical name of its value; rows with `use` are old
 * spellings. */
static const struct cli_name precision_names[] = {
	{"fp32", PREC_FP32, NULL},
	{"mixed", PREC_MIXED, NULL},
	{"fp16", PREC_FP16, NULL},
	{"bf16", PREC_MIXED, "mixed"}, /* gpu --dtype bf16 */
	{NULL, 0, NULL}};
static const struct cli_name mode_names[] = {
	{"auto", MODE_AUTO, NULL},
	{"pipelined", MODE_PIPELINED, NULL},
	{"streaming", MODE_STREAMING, NULL},
	{NULL, 0, NULL}};
static const struct cli_name optimizer_names[] = {
	{"sgd", OPT_SGD, NULL},
	{"momentum", OPT_MOMENTUM, NULL},
	{"adam", OPT_ADAM, NULL},
	{"sgd-momentum", OPT_MOMENTUM, "momentum"},
	{NULL, 0, NULL}};
static const struct cli_name engine_names[] = {
	{"native", CLI_ENGINE_NATIVE, NULL},
	{"systemc", CLI_ENGINE_SYSTEMC, NULL},
	{"engine", CLI_ENGINE_NATIVE, "native"}, /* run --engine engine */
	{"fabsim", CLI_ENGINE_NATIVE, "native"}, /* fabric --engine fabsim */
	{NULL, 0, NULL}};
static const struct cli_name job_names[] = {
	{"both", CLI_JOB_BOTH, NULL},
	{"train", CLI_JOB_TRAIN, NULL},
	{"infer", CLI_JOB_INFER, NULL},
	{NULL, 0, NULL}};
static const struct cli_name sharing_names[] = {
	{"auto", PLAN_SHARING_AUTO, NULL},
	{"replicas", PLAN_SHARING_REPLICAS, NULL},
	{"time_shared", PLAN_SHARING_TIME, NULL},
	{NULL, 0, NULL}};
static const struct cli_name style_names[] = {
	{"eager", GPU_EAGER, NULL},
	{"graph", GPU_GRAPH, NULL},
	{NULL, 0, NULL}};

static int gpu_hook(const char *cmd, const struct cli_opt *row,
		    const char *val, struct cli_opts *o);
static int kernel_hook(const char *cmd, const struct cli_opt *row,
		       const char *val, struct cli_opts *o);

#define F(field) offsetof(struct cli_opts, field)
#define BIG 1e18

/*
 * The vocabulary.  Rules for adding an option (issue 15):
 *
 *  1. One concept, one row, one spelling.  Before adding a row, look for
 *     the concept here: if it exists, accept that row in your command
 *     (add its name to the command's option list) instead of a new one.
 *     Long names are lower-case words joined by '-'; short names only for
 *     -o (output), -v (verbose), -b (batch).
 *  2. One meaning: the help phrase must be true in every command that
 *     accepts the row.  If a command needs a different meaning, it is a
 *     different concept with a different name.
 *  3. One default: `def` is parsed into the field (so it is what the
 *     command uses) and printed by --help; `def_doc` says it in words when
 *     it depends on the input ("the network's, else 32").  Never print a
 *     default by hand.
 *  4. -o/--output is always a file ("-" = standard output); a folder gets
 *     its own option (--out-dir, --trace).  A list in `sweep` is the same
 *     row with a comma list ("batch," in the command's list).
 *  5. Renaming: keep the old spelling as a row with `alias_of` (it warns
 *     on stderr and still works), or as a value row with `use` in the
 *     option's name table.
 *  6. Reserved rows (bottom) belong to open issues; a command starts
 *     accepting one by listing it.  tests/unit/test_cli.c checks every
 *     command's --help against this table: an option without a row, a
 *     concept with two spellings or two defaults fail `make test`.
 */
static const struct cli_opt vocabulary[] = {
	/* inputs */
	{"machine", 0, CLI_STR, F(machine), 0, 0, NULL, "wse2", NULL, "M",
	 "machine", "machine preset (models/machines/) or YAML file", NULL,
	 NULL},
	{"net", 0, CLI_STR, F(net), 0, 0, NULL, NULL, NULL, "NETS", "network",
	 "networks: zoo names or .yaml/.onnx files", NULL, NULL},
	{"gpu", 0, CLI_STR, F(gpu), 0, 0, NULL, "h100", NULL, "G", "gpu",
	 "GPU preset (models/gpus/) or YAML file", NULL, gpu_hook},
	{"gpus", 0, CLI_INT, F(gpus), 1, 1000000, NULL, "1", NULL, "N",
	 "gpu-count", "data-parallel GPUs", NULL, NULL},
	{"plan", 0, CLI_STR, F(plan), 0, 0, NULL, NULL, NULL, "FILE", "plan",
	 "run a plan file (wafersim place -o) instead of placing", NULL,
	 NULL},
	/* what is run */
	{"batch", 'b', CLI_INT, F(batch), 1, 1 << 20, NULL, NULL,
	 "the network's, else 32", "B", "batch",
	 "samples per training step (per GPU in 'gpu')", NULL, NULL},
	{"precision", 0, CLI_ENUM, F(precision), 0, 0, precision_names,
	 "mixed", NULL, "P", "precision",
	 "fp32, mixed (fp16 multiplies, fp32 sums; bf16 autocast on GPUs) "
	 "or fp16",
	 NULL, NULL},
	{"mode", 0, CLI_ENUM, F(mode), 0, 0, mode_names, "auto", NULL, "M",
	 "mode", "auto, pipelined (weights stay on the wafer) or streaming",
	 NULL, NULL},
	{"optimizer", 0, CLI_ENUM, F(optimizer), 0, 0, optimizer_names,
	 "momentum", NULL, "O", "optimizer", "sgd, momentum or adam", NULL,
	 NULL},
	{"strategy", 0, CLI_STR, F(strategy), 0, 0, NULL,
	 PLACE_DEFAULT_STRATEGY, NULL, "S", "strategy",
	 "placement strategy (wafersim place --list-strategies); auto: "
	 "every strategy, the best by the estimated step", NULL,
	 NULL},
	{"sharing", 0, CLI_ENUM, F(sharing), 0, 0, sharing_names, "auto",
	 NULL, "S", "sharing",
	 "a shared layer's applications (Uno's drug encoders): replicas "
	 "synced once per step, time_shared (one rectangle runs them in "
	 "turn) or auto (per layer, the better by the estimated step)",
	 NULL, NULL},
	{"job", 0, CLI_ENUM, F(job), 0, 0, job_names, "both", NULL, "J", "job",
	 "train, infer or both", NULL, NULL},
	{"steps", 0, CLI_INT, F(steps), 1, 1000, NULL, "2", NULL, "N", "steps",
	 "training steps simulated", NULL, NULL},
	{"infer-samples", 0, CLI_INT, F(infer_samples), 1, 1 << 20, NULL, "64",
	 NULL, "N", "infer-samples", "samples streamed for inference", NULL,
	 NULL},
	{"full", 0, CLI_FLAG, F(full), 0, 0, NULL, NULL, NULL, NULL, "full",
	 "simulate every PE separately (slower)", NULL, NULL},
	{"region", 0, CLI_STR, F(region), 0, 0, NULL, NULL, NULL, "WxH",
	 "region",
	 "kernel microbenchmark: force the main stage onto a W x H "
	 "rectangle and report its cycles",
	 NULL, NULL},
	{"engine", 0, CLI_ENUM, F(engine), 0, 0, engine_names, "native", NULL,
	 "E", "engine",
	 "native (wafersim's C models) or systemc (the SystemC reference "
	 "model, meshes up to 64x64; docs/reference.md)",
	 NULL, NULL},
	{"seed", 0, CLI_INT, F(seed), 0, 2147483647L, NULL, "1", NULL, "N",
	 "seed", "seed of everything random (strategies, traffic)", NULL,
	 NULL},
	{"time-budget", 0, CLI_REAL, F(time_budget), 0.001, 86400, NULL, NULL,
	 "none: anneal counts moves", "S", "time-budget",
	 "wall-clock cap for anneal, in seconds", NULL, NULL},
	{"style", 0, CLI_ENUM, F(style), 0, 0, style_names, "eager", NULL, "S",
	 "gpu-style", "eager or graph (a captured CUDA graph)", NULL, NULL},
	/* campaign */
	{"epochs", 0, CLI_INT, F(epochs), 1, 1000000, NULL, "1", NULL, "E",
	 "epochs", "epochs per training run", NULL, NULL},
	{"samples", 0, CLI_INT, F(samples), 1, 1LL << 50, NULL, NULL,
	 "the network's dataset", "S", "dataset-samples",
	 "training samples per epoch", NULL, NULL},
	{"runs", 0, CLI_INT, F(runs), 1, 1LL << 40, NULL, "1", NULL, "K",
	 "runs", "training runs in the campaign", NULL, NULL},
	{"predictions", 0, CLI_REAL, F(predictions), 0, BIG, NULL, "0", NULL,
	 "P", "predictions", "predictions in the campaign", NULL, NULL},
	/* fabric */
	{"mesh", 0, CLI_STR, F(mesh), 0, 0, NULL, NULL,
	 "the whole machine, at most 64x64", "WxH", "mesh",
	 "sub-mesh to simulate ('full': the whole machine)", NULL, NULL},
	{"pattern", 0, CLI_STR, F(pattern), 0, 0, NULL, "uniform", NULL, "P",
	 "pattern",
	 "uniform, transpose, bitcomp, tornado, hotspot or neighbor", NULL,
	 NULL},
	{"rate", 0, CLI_REAL, F(rate), -BIG, BIG, NULL, "0.1", NULL, "R", "rate",
	 "offered wavelets per cycle per PE", NULL, NULL},
	{"packet-wavelets", 0, CLI_INT, F(packet_wavelets), 1, 1000000, NULL,
	 "1", NULL, "N", "packet-wavelets", "wavelets per packet", NULL, NULL},
	{"cycles", 0, CLI_INT, F(cycles), 1, 1000000000L, NULL, "2000", NULL,
	 "C", "cycles", "measured cycles", NULL, NULL},
	{"warmup", 0, CLI_INT, F(warmup), 0, 1000000000L, NULL, "1000", NULL,
	 "C", "warmup", "cycles before measuring", NULL, NULL},
	{"drain", 0, CLI_INT, F(drain), 0, 1000000000L, NULL, "20000", NULL,
	 "C", "drain",
	 "at most C cycles to deliver the measured packets, else the run is "
	 "'saturated'",
	 NULL, NULL},
	{"hotspot-fraction", 0, CLI_REAL, F(hotspot_fraction), -BIG, BIG, NULL,
	 "0.1", NULL, "F", "hotspot-fraction",
	 "share of the traffic sent to the centre PE", NULL, NULL},
	{"sweep", 0, CLI_FLAG, F(sweep), 0, 0, NULL, NULL, NULL, NULL,
	 "fabric-sweep",
	 "rising rates until saturation; writes fabric_<pattern>.csv, .png, "
	 ".svg and .pdf into --out-dir",
	 NULL, NULL},
	{"saturation", 0, CLI_FLAG, F(saturation), 0, 0, NULL, NULL, NULL,
	 NULL, "saturation", "bisection for the saturation rate", NULL, NULL},
	{"vcd-pe", 0, CLI_STRS, F(vcd_pe), 0, 0, NULL, "0", NULL, "N",
	 "vcd-pe",
	 "with --vcd: PE id (y * width + x) to trace, repeatable up to 16",
	 NULL, NULL},
	/* place */
	{"compare", 0, CLI_FLAG, F(compare), 0, 0, NULL, NULL, NULL, NULL,
	 "compare",
	 "one row per strategy: PEs, slowest stage, traffic, colors, SRAM, "
	 "compile time",
	 NULL, NULL},
	{"simulate", 0, CLI_FLAG, F(simulate), 0, 0, NULL, NULL, NULL, NULL,
	 "simulate",
	 "with --compare: run each strategy's plan (one training step as "
	 "'run' does) and add its simulated step",
	 NULL, NULL},
	{"check", 0, CLI_STR, F(check), 0, 0, NULL, NULL, NULL, "FILE",
	 "check-plan", "read a (hand-edited) plan and validate it", NULL,
	 NULL},
	{"list-strategies", 0, CLI_FLAG, F(list_strategies), 0, 0, NULL, NULL,
	 NULL, NULL, "list-strategies", "print the strategies and exit", NULL,
	 NULL},
	/* compile */
	{"list", 0, CLI_FLAG, F(list), 0, 0, NULL, NULL, NULL, NULL,
	 "list-nets", "the zoo (models/nets/): parameters, FLOPs, batch", NULL,
	 NULL},
	/* validate */
	{"graphs", 0, CLI_STR, F(graphs), 0, 0, NULL, NULL, NULL, "FILE",
	 "graphs", "captured-graph measurements (graphs.jsonl format)", NULL,
	 NULL},
	{"profile", 0, CLI_STR, F(profile), 0, 0, NULL, NULL, NULL, "FILE",
	 "profile",
	 "per-kernel profile (tools/measure_gpu.py --profile): kernels and "
	 "device time by kind, measured against modelled",
	 NULL, NULL},
	{"quiet", 0, CLI_FLAG, F(quiet_rows), 0, 0, NULL, NULL, NULL, NULL,
	 "quiet", "print only the summary lines", NULL, NULL},
	/* sweep */
	{"jobs", 0, CLI_INT, F(jobs), 1, 1024, NULL, "1", NULL, "N", "jobs",
	 "threads", NULL, NULL},
	/* plot */
	{"heat-bin", 0, CLI_INT, F(heat_bin), 1, 4096, NULL, NULL,
	 "1 up to 1200 PEs a side, more on larger meshes", "N", "heat-bin",
	 "PEs per heatmap pixel side", NULL, NULL},
	{"link-dirs", 0, CLI_FLAG, F(link_dirs), 0, 0, NULL, NULL, NULL, NULL,
	 "link-dirs",
	 "one link heatmap per direction (if saved: run --trace-detail)",
	 NULL, NULL},
	{"pe-tracks", 0, CLI_INT, F(pe_tracks), 0, 16, NULL, "0", NULL, "N",
	 "pe-tracks", "timeline tracks for N sampled PEs per stage", NULL,
	 NULL},
	{"no-gnuplot", 0, CLI_FLAG, F(no_gnuplot), 0, 0, NULL, NULL, NULL,
	 NULL, "no-gnuplot", "skip the gnuplot charts (CSV and scripts still)",
	 NULL, NULL},
	{"no-graphviz", 0, CLI_FLAG, F(no_graphviz), 0, 0, NULL, NULL, NULL,
	 NULL, "no-graphviz", "skip the network graph drawing", NULL, NULL},
	/* outputs */
	{"output", 'o', CLI_STR, F(output), 0, 0, NULL, NULL,
	 "standard output", "FILE", "output",
	 "write the command's output to FILE ('-': standard output)", NULL,
	 NULL},
	{"json", 0, CLI_FLAG, F(json), 0, 0, NULL, NULL, NULL, NULL, "json",
	 "JSON instead of text", NULL, NULL},
	{"out-dir", 0, CLI_STR, F(out_dir), 0, 0, NULL, NULL,
	 "the input folder, else the current one", "DIR", "out-dir",
	 "folder for the files the command writes", NULL, NULL},
	{"trace", 0, CLI_STR, F(trace), 0, 0, NULL, NULL, NULL, "DIR", "trace",
	 "write timeline, heatmaps, placement map, graph and charts into DIR "
	 "(docs/traces.md; re-render: plot)",
	 NULL, NULL},
	{"trace-detail", 0, CLI_FLAG, F(trace_detail), 0, 0, NULL, NULL, NULL,
	 NULL, "trace-detail",
	 "with --trace: link maps per direction, 4 sampled PE tracks per "
	 "stage in the timeline",
	 NULL, NULL},
	{"vcd", 0, CLI_STR, F(vcd), 0, 0, NULL, NULL, NULL, "FILE", "vcd",
	 "with --engine systemc: VCD waveform (GTKWave)", NULL, NULL},
	{"dot", 0, CLI_STR, F(dot), 0, 0, NULL, NULL, NULL, "FILE", "dot",
	 "write the graph for Graphviz to FILE", NULL, NULL},
	{"verbose", 'v', CLI_FLAG, F(verbose), 0, 0, NULL, NULL, NULL, NULL,
	 "verbose", "wall time and events per second on stderr", NULL, NULL},
	/* old spellings: accepted where a command lists them, with a warning */
	{"place", 0, CLI_STR, F(strategy), 0, 0, NULL, NULL, NULL, "S",
	 "strategy", NULL, "strategy", NULL},
	{"strategies", 0, CLI_STR, F(strategy), 0, 0, NULL, NULL, NULL, "S",
	 "strategy", NULL, "strategy", NULL},
	{"dtype", 0, CLI_ENUM, F(precision), 0, 0, precision_names, NULL, NULL,
	 "P", "precision", NULL, "precision", NULL},
	{"machines", 0, CLI_STR, F(machine), 0, 0, NULL, NULL, NULL, "M",
	 "machine", NULL, "machine", NULL},
	{"net-dir", 0, CLI_STR, F(net_dir), 0, 0, NULL, NULL, NULL, "DIR",
	 "nets", NULL, "nets", NULL},
	/* reserved by open issues: concept, spelling and default settled */
	{"wafers", 0, CLI_INT, F(wafers), 1, 1 << 20, NULL, "1", NULL, "N",
	 "wafers",
	 "wafers training one network data-parallel in weight streaming "
	 "(the batch is split over them)",
	 NULL, NULL},
	{"kernel", 0, CLI_STR, F(kernel), 0, 0, NULL, "auto", NULL, "K",
	 "kernel",
	 "algorithm of the dense stages of a pipelined plan: stream, "
	 "cannon, summa, gemv_star, gemv_chain, gemv_grouped or gemv_tree "
	 "(docs/engine.md); auto: the fastest that fits SRAM",
	 NULL, kernel_hook},
	{"groups", 0, CLI_INT, F(groups), 1, 1 << 20, NULL, NULL,
	 "the fastest that divides the column", "G", "groups",
	 "force gemv_grouped with G groups in its two-phase reduction; "
	 "G must divide the PEs of a column",
	 NULL, NULL},
	{"nets", 0, CLI_STR, F(net_dir), 0, 0, NULL, NULL, NULL, "DIR", "nets",
	 "a folder to look network names up in first", NULL,
	 NULL},
	{"gpu-batch", 0, CLI_INT, F(gpu_batch), 1, 1 << 30, NULL, NULL,
	 "the global batch over --gpus, at most one GPU a sample", "B", "gpu-batch",
	 "samples per GPU in the GPU baseline", NULL, NULL},
	{"set", 0, CLI_STRS, F(set), 0, 0, NULL, NULL, NULL, "KEY=V",
	 "machine-set",
	 "override a key of the machine schema (grid.width=600), "
	 "repeatable; in sweep a comma list of values, one axis per key",
	 NULL, NULL},
	{"max-memory", 0, CLI_STR, F(max_memory), 0, 0, NULL, NULL,
	 "half the physical RAM", "SIZE", "max-memory",
	 "refuse a run whose simulator memory is estimated above SIZE "
	 "(bytes, or with K, M, G or T: 512M, 8G)", NULL, NULL},
	{"resume", 0, CLI_FLAG, F(resume), 0, 0, NULL, NULL, NULL, NULL,
	 "resume", "continue a killed sweep from its journal", NULL,
	 NULL},
};

#undef F
#undef BIG

enum { N_ROWS = sizeof(vocabulary) / sizeof(vocabulary[0]) };
_Static_assert((int)N_ROWS <= (int)CLI_MAX_ROWS, "raise CLI_MAX_ROWS");

const struct cli_opt *cli_vocabulary(size_t *n)
{
	*n = N_ROWS;
	return vocabulary;
}

const struct cli_opt *cli_opt_find(const char *name)
{
	for (size_t i = 0; i < N_ROWS; i++)
		if (!strcmp(vocabulary[i].name, name))
			return &vocabulary[i];
	return NULL;
}

static void *field(struct cli_opts *o, const struct cli_opt *r)
{
	return (char *)o + r->offset;
}

static void say(const struct cli_opts *o, const char *cmd, const char *fmt,
		const char *a, const char *b)
{
	if (o->quiet)
		return;
	fprintf(stderr, "wafersim %s: ", cmd);
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
}

static const struct cli_name *enum_find(const struct cli_name *t,
					const char *s)
{
	for (; t->name; t++)
		if (!strcmp(t->name, s))
			return t;
	return NULL;
}

static void enum_list(const struct cli_name *t, char *buf, size_t n)
{
	size_t k = 0;
	buf[0] = 0;
	for (; t->name && k < n; t++)
		if (!t->use)
			k += snprintf(buf + k, n - k, "%s%s", k ? ", " : "",
				      t->name);
}

const char *cli_enum_name(const char *option, int value)
{
	const struct cli_opt *r = cli_opt_find(option);
	if (!r || !r->names)
		return "?";
	for (const struct cli_name *t = r->names; t->name; t++)
		if (!t->use && t->value == value)
			return t->name;
	return "?";
}

/* Check `val` against row `r` and, unless `dry`, store it.  `cmd` names
 * the command in messages. */
static int set_value(const char *cmd, const struct cli_opt *r,
		     const char *val, struct cli_opts *o, int dry)
{
	char *end;
	errno = 0;
	switch (r->kind) {
	case CLI_FLAG:
		if (!dry)
			*(int *)field(o, r) = 1;
		return 0;
	case CLI_INT: {
		long long v = strtoll(val, &end, 10);
		if (errno || !*val || isspace((unsigned char)*val) || *end ||
		    v < r->lo || v > r->hi) {
			if (!o->quiet)
				fprintf(stderr, "wafersim %s: '--%s' must be an "
					"integer in [%.0f, %.0f], got '%s'\n",
					cmd, r->name, r->lo, r->hi, val);
			return -1;
		}
		if (!dry)
			*(long *)field(o, r) = (long)v;
		return 0;
	}
	case CLI_REAL: {
		double v = strtod(val, &end);
		/* an underflow (1e-320) is a number near 0; an overflow is
		 * not a number */
		if (errno == ERANGE && v > -1 && v < 1)
			errno = 0;
		if (errno || !*val || isspace((unsigned char)*val) || *end ||
		    !(v >= r->lo && v <= r->hi)) {
			if (!o->quiet)
				fprintf(stderr, "wafersim %s: '--%s' must be a "
					"number in [%g, %g], got '%s'\n",
					cmd, r->name, r->lo, r->hi, val);
			return -1;
		}
		if (!dry)
			*(double *)field(o, r) = v;
		return 0;
	}
	case CLI_ENUM: {
		const struct cli_name *t = enum_find(r->names, val);
		if (!t) {
			char list[128];
			enum_list(r->names, list, sizeof list);
			say(o, cmd, "'--%s' must be one of %s", r->name, list);
			if (!o->quiet)
				fprintf(stderr, "  (got '%s')\n", val);
			return -1;
		}
		if (t->use)
			say(o, cmd, "'%s' is deprecated, use '%s'", t->name,
			    t->use);
		if (!dry)
			*(int *)field(o, r) = t->value;
		return 0;
	}
	case CLI_STRS: {
		struct cli_strs *s = field(o, r);
		if (dry)
			return 0;
		if (s->n == CLI_MAX_REPEAT) {
			say(o, cmd, "at most 16 '--%s'%s", r->name, "");
			return -1;
		}
		s->v[s->n++] = val;
		return 0;
	}
	case CLI_STR:
		if (r->hook)
			return r->hook(cmd, r, val, o);
		if (!dry)
			*(const char **)field(o, r) = val;
		return 0;
	}
	return -1;
}

void cli_opts_init(struct cli_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->quiet = 1;
	for (size_t i = 0; i < N_ROWS; i++) {
		const struct cli_opt *r = &vocabulary[i];
		if (r->def && !r->alias_of && r->kind != CLI_STRS &&
		    set_value("", r, r->def, o, 0))
			abort(); /* a default the row itself refuses */
	}
	o->quiet = 0;
}

void cli_opts_release(struct cli_opts *o)
{
	for (int i = 0; i < o->n_lists; i++)
		free(o->list_val[i]);
	o->n_lists = 0;
}

/* --gpu NAME, or the old NAMExN (sets --gpus N, warns).  Only a preset
 * name ends in xN: a path ("/tmp/a9x8.yaml") is a file, whatever its
 * letters. */
static int gpu_hook(const char *cmd, const struct cli_opt *row,
		    const char *val, struct cli_opts *o)
{
	(void)row;
	o->gpu = val;
	const char *x = strrchr(val, 'x');
	if (!x || x == val || !x[1] || strchr(val, '/') ||
	    strspn(x + 1, "0123456789") != strlen(x + 1))
		return 0;
	if (set_value(cmd, cli_opt_find("gpus"), x + 1, o, 0))
		return -1;
	say(o, cmd, "'--gpu %s' is deprecated, use '--gpu NAME --gpus N'",
	    val, "");
	snprintf(o->gpu_buf, sizeof o->gpu_buf, "%.*s", (int)(x - val), val);
	o->gpu = o->gpu_buf;
	return 0;
}

/* --kernel NAME: "auto" or an algorithm of compiler/kern.h. */
static int kernel_hook(const char *cmd, const struct cli_opt *row,
		       const char *val, struct cli_opts *o)
{
	if (strcmp(val, "auto") && kern_from_name(val) < 0) {
		if (!o->quiet)
			fprintf(stderr, "wafersim %s: '--%s' must be auto, "
				"%s; got '%s'\n", cmd, row->name, kern_names(),
				val);
		return -1;
	}
	o->kernel = val;
	return 0;
}

/* The row a command's entry names, and how: entry "name", "name," (a
 * comma list) or "old>new" (--old accepted here for --new). */
struct accept {
	const struct cli_opt *row;	/* what the value fills */
	const struct cli_opt *spelled;	/* the row whose name was typed */
	int list, deprecated;
};

static int entry_match(const char *e, const char *name, char short_name,
		       struct accept *a)
{
	char buf[64];
	snprintf(buf, sizeof buf, "%s", e);
	char *gt = strchr(buf, '>');
	char *comma = strchr(buf, ',');
	if (gt)
		*gt = 0;
	if (comma)
		*comma = 0;
	const struct cli_opt *r = cli_opt_find(buf);
	if (!r)
		return 0;
	if (name ? strcmp(r->name, name) : r->short_name != short_name)
		return 0;
	a->spelled = r;
	a->list = comma != NULL;
	a->deprecated = gt != NULL || r->alias_of != NULL;
	a->row = gt ? cli_opt_find(gt + 1)
		    : r->alias_of ? cli_opt_find(r->alias_of) : r;
	return a->row != NULL;
}

static int find_accepted(const struct cli_command *c, const char *name,
			 char short_name, struct accept *a)
{
	for (const char *const *e = c->options; *e; e++)
		if (entry_match(*e, name, short_name, a))
			return 1;
	return 0;
}

static int row_index(const struct cli_opt *r)
{
	return (int)(r - vocabulary);
}

/* A comma list: every item checked like a single value, enum items
 * rewritten to their canonical names. */
static int set_list(const char *cmd, const struct cli_opt *r,
		    const char *val, struct cli_opts *o)
{
	size_t n = strlen(val) + 1;
	if (!*val || val[0] == ',' || val[n - 2] == ',' || strstr(val, ",,")) {
		say(o, cmd, "'--%s' needs a list of non-empty items, got '%s'",
		    r->name, val);
		return -1;
	}
	char *copy = xstrdup(val), *out = xmalloc(4 * n + 16);
	out[0] = 0;
	int bad = 0;
	for (char *save, *it = strtok_r(copy, ",", &save); it;
	     it = strtok_r(NULL, ",", &save)) {
		struct cli_opts tmp = *o;
		tmp.n_lists = 0;
		bad |= set_value(cmd, r, it, &tmp, 0) != 0;
		if (!*it)
			bad |= 1;
		const char *canon = r->kind == CLI_ENUM
			? cli_enum_name(r->alias_of ? r->alias_of : r->name,
					*(int *)field(&tmp, r))
			: it;
		strcat(out, out[0] ? "," : "");
		strcat(out, canon);
	}
	free(copy);
	if (bad || !out[0] || o->n_lists == CLI_MAX_LISTS) {
		if (!bad)
			say(o, cmd, "'--%s' needs a list of non-empty items, "
			    "got '%s'", r->name, val);
		free(out);
		return -1;
	}
	for (int i = 0; i < o->n_lists; i++)
		if (o->list_opt[i] == r) {
			free(o->list_val[i]);
			o->list_val[i] = out;
			return 0;
		}
	o->list_opt[o->n_lists] = r;
	o->list_val[o->n_lists++] = out;
	return 0;
}

/* One option at argv[*i]; advances *i past its value. */
static int parse_option(const struct cli_command *c, int argc, char **argv,
			int *i, struct cli_opts *o)
{
	const char *arg = argv[*i], *val = NULL;
	char name[64] = "", short_name = 0;
	if (arg[1] == '-') {
		const char *eq = strchr(arg + 2, '=');
		size_t n = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		snprintf(name, sizeof name, "%.*s", (int)n, arg + 2);
		val = eq ? eq + 1 : NULL;
	} else {
		short_name = arg[1];
		if (arg[2])
			val = arg + 2;
	}
	struct accept a;
	if (!find_accepted(c, name[0] ? name : NULL, short_name, &a)) {
		say(o, c->name, "unknown option '%s'%s", arg, "");
		if (!o->quiet)
			fprintf(stderr, "(see 'wafersim %s --help')\n",
				c->name);
		return -1;
	}
	if (a.row->kind != CLI_FLAG && !val) {
		if (*i + 1 >= argc) {
			say(o, c->name, "'%s' needs a value (%s)", arg,
			    a.row->arg ? a.row->arg : "");
			return -1;
		}
		val = argv[++*i];
	} else if (a.row->kind == CLI_FLAG && val) {
		say(o, c->name, "'%s' takes no value%s", arg, "");
		return -1;
	}
	if (a.deprecated)
		say(o, c->name, "'--%s' is deprecated, use '--%s'",
		    a.spelled->name, a.row->name);
	o->given[row_index(a.row)] = 1;
	if (a.list)
		return set_list(c->name, a.row, val, o);
	return set_value(c->name, a.row, val, o, 0);
}

/* The value command c declares as its own default of option `name`
 * (struct cli_command.defaults), or NULL. */
static const char *own_default(const struct cli_command *c, const char *name)
{
	size_t n = strlen(name);
	for (const char *const *e = c->defaults; e && *e; e++)
		if (!strncmp(*e, name, n) && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

int cli_parse(const struct cli_command *c, int argc, char **argv,
	      struct cli_opts *o)
{
	int only_args = 0;
	for (const char *const *e = c->defaults; e && *e; e++) {
		char name[64];
		snprintf(name, sizeof name, "%.*s", (int)strcspn(*e, "="), *e);
		const struct cli_opt *r = cli_opt_find(name);
		if (!r || set_value("", r, own_default(c, name), o, 0))
			abort(); /* a declared default its row refuses */
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (only_args || a[0] != '-' || !a[1]) {
			if (o->n_args == CLI_MAX_ARGS) {
				say(o, c->name, "too many arguments%s%s", "", "");
				return CLI_BAD;
			}
			o->args[o->n_args++] = a;
		} else if (!strcmp(a, "--")) {
			only_args = 1;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			if (!o->quiet)
				cli_help(c, stdout);
			return CLI_DONE;
		} else if (parse_option(c, argc, argv, &i, o)) {
			return CLI_BAD;
		}
	}
	if (o->n_args < c->min_args || o->n_args > c->max_args) {
		if (o->quiet)
			return CLI_BAD;
		if (o->n_args < c->min_args)
			cli_usage_error(c->name, "missing argument: usage: "
					"wafersim %s %s", c->name, c->usage);
		else
			cli_usage_error(c->name, "unexpected argument '%s': "
					"usage: wafersim %s %s",
					o->args[c->max_args], c->name,
					c->usage);
		return CLI_BAD;
	}
	return CLI_GO;
}

int cli_parse_exit(int r)
{
	return r == CLI_DONE ? EXIT_OK : EXIT_USAGE;
}

int cli_given(const struct cli_opts *o, const char *name)
{
	const struct cli_opt *r = cli_opt_find(name);
	return r && o->given[row_index(r)];
}

const char *cli_list(const struct cli_opts *o, const char *name)
{
	const struct cli_opt *r = cli_opt_find(name);
	for (int i = 0; i < o->n_lists; i++)
		if (o->list_opt[i] == r ||
		    (o->list_opt[i]->alias_of &&
		     !strcmp(o->list_opt[i]->alias_of, name)))
			return o->list_val[i];
	return r ? r->def : NULL;
}

/* "  -o, --output FILE" padded to 22 columns, then the help wrapped at 78
 * with the default at its end. */
static void help_row(const struct cli_opt *r, int list, const char *own,
		     FILE *f)
{
	char head[64], text[512], sh[8] = "";
	if (r->short_name)
		snprintf(sh, sizeof sh, "-%c, ", r->short_name);
	snprintf(head, sizeof head, "  %s--%s%s%s%s", sh, r->name,
		 r->arg ? " " : "", r->arg ? r->arg : "",
		 list && r->arg ? ",..." : "");
	const char *def = r->def ? r->def : r->def_doc;
	if (own)
		snprintf(text, sizeof text, "%s (default %s in this command)",
			 r->help, own);
	else
		snprintf(text, sizeof text, "%s%s%s%s", r->help,
			 !def ? "" : r->def ? " (default " : " (default: ",
			 def ? def : "", def ? ")" : "");
	fprintf(f, "%-22s", head);
	int col = (int)strlen(head) < 22 ? 22 : 78;
	if (col == 78) {
		fputc('\n', f);
		fprintf(f, "%22s", "");
		col = 22;
	}
	for (const char *w = text; *w;) {
		size_t n = strcspn(w, " ");
		if (col > 22 && col + 1 + (int)n > 78) {
			fprintf(f, "\n%22s", "");
			col = 22;
		} else if (col > 22) {
			fputc(' ', f);
			col++;
		}
		fwrite(w, 1, n, f);
		col += (int)n;
		w += n;
		while (*w == ' ')
			w++;
	}
	fputc('\n', f);
}

void cli_help(const struct cli_command *c, FILE *f)
{
	fprintf(f, "usage: wafersim %s %s\n\n%s\n", c->name, c->usage,
		c->about);
	int old = 0;
	if (c->options[0])
		fputs("\noptions:\n", f);
	for (const char *const *e = c->options; *e; e++) {
		struct accept a;
		char name[64];
		snprintf(name, sizeof name, "%s", *e);
		name[strcspn(name, ",>")] = 0;
		if (!entry_match(*e, name, 0, &a) || a.deprecated) {
			old |= 1;
			continue;
		}
		help_row(a.row, a.list, own_default(c, a.row->name), f);
	}
	if (old) {
		int col = fprintf(f, "\nold spellings (accepted, with a warning):");
		for (const char *const *e = c->options; *e; e++) {
			struct accept a;
			char name[64], item[80];
			snprintf(name, sizeof name, "%s", *e);
			name[strcspn(name, ",>")] = 0;
			if (!entry_match(*e, name, 0, &a) || !a.deprecated)
				continue;
			int k = snprintf(item, sizeof item, " --%s (--%s)",
					 a.spelled->name, a.row->name);
			if (col + k > 78)
				col = fprintf(f, "\n   ") - 1;
			col += fprintf(f, "%s", item);
		}
		fputc('\n', f);
	}
	if (c->footer)
		fprintf(f, "\n%s", c->footer);
}

void cli_plan_opts(const struct cli_opts *o, struct plan_opts *po)
{
	plan_opts_init(po);
	po->strategy = o->strategy;
	po->mode = o->mode;
	po->batch = o->batch;
	po->prec = o->precision;
	po->opt = o->optimizer;
	po->seed = (uint64_t)o->seed;
	po->time_budget_s = o->time_budget;
	po->sharing = o->sharing;
	/* the planner's own default kernel unless one is asked for;
	 * --groups forces the grouped reduction */
	if (cli_given(o, "kernel"))
		po->kernel = o->kernel;
	else if (cli_given(o, "groups"))
		po->kernel = kern_name(KERN_GEMV_GROUPED);
	po->groups = o->groups;
	/* an inference job compiles an inference plan; both: training */
	po->job = o->job == CLI_JOB_INFER ? PLAN_JOB_INFER : PLAN_JOB_TRAIN;
}

void cli_plan_wafers(const struct cli_opts *o, int64_t net_batch,
		     struct plan_opts *po)
{
	po->wafers = o->wafers;
	if (o->wafers > 1) {
		int64_t gb = o->batch > 0 ? o->batch
			     : net_batch > 0 ? net_batch
					     : 32;
		po->batch = (gb + o->wafers - 1) / o->wafers;
	}
}

int cli_kernel_usage(const char *cmd, const struct cli_opts *o)
{
	if (cli_given(o, "groups") && cli_given(o, "kernel") &&
	    kern_from_name(o->kernel) != KERN_GEMV_GROUPED)
		return cli_usage_error(cmd, "'--groups' forces gemv_grouped, "
				       "got '--kernel %s'", o->kernel);
	return 0;
}

int cli_load_machine(const struct cli_opts *o, struct machine *m,
		     struct diag *d)
{
	struct cfg_sets sets = {"--set", o->set.v, o->set.n};
	return machine_load_set(o->machine, &sets, m, d);
}
