/*
 * entry.c: the fuzzed entry points (entry.h).  Shared inputs (the network
 * and machine a plan is read against) are loaded once per process.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "tests/fuzz/entry.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/opt.h"
#include "cli/sweep.h"
#include "compiler/cost.h"
#include "compiler/graph.h"
#include "compiler/net_yaml.h"
#include "compiler/onnx.h"
#include "compiler/place.h"
#include "compiler/plan.h"
#include "compiler/plan_io.h"
#include "gpu/gpu.h"
#include "gpu/gpu_validate.h"
#include "ground/util.h"
#include "machine/machine.h"
#include "onnx.pb-c.h"
#include "sim/wafer_val.h"
#include "traces/trace.h"

/* NUL-terminated copy of the input (readers of text take strings). */
static char *text_of(const uint8_t *data, size_t size)
{
	char *t = xmalloc(size + 1);
	memcpy(t, data, size);
	t[size] = '\0';
	return t;
}

int fuzz_machine(const uint8_t *data, size_t size)
{
	char *t = text_of(data, size);
	struct machine m;
	struct diag d;
	diag_init(&d);
	if (machine_load_string("fuzz.yaml", t, &m, &d) == 0) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		machine_dump(&m, f);
		fclose(f);
		free(buf);
	}
	diag_release(&d);
	free(t);
	return 0;
}

/* What the commands do with a network once read: costs, totals, and a
 * plan on a small machine (strips: cheap and deterministic). */
static void use_graph(struct graph *g)
{
	static struct machine m;
	static int have_m = -1;
	struct diag dc;
	diag_init(&dc);
	int bad = cost_count_checked(g, OPT_MOMENTUM, &dc);
	diag_release(&dc);
	if (bad)
		return;
	struct cost_totals ct;
	cost_totals(g, &ct);
	(void)cost_train_memory_bytes(&ct, 32);
	if (have_m < 0) {
		struct diag dm;
		diag_init(&dm);
		have_m = machine_load("mini64", &m, &dm) == 0;
		diag_release(&dm);
	}
	if (!have_m || g->n_layers > 64)
		return;
	struct plan_opts o;
	plan_opts_init(&o);
	o.strategy = "strips";
	struct plan p;
	struct diag d;
	plan_init(&p);
	diag_init(&d);
	plan_build(g, &m, &o, &p, &d);
	plan_release(&p);
	diag_release(&d);
}

int fuzz_net_yaml(const uint8_t *data, size_t size)
{
	struct graph g;
	struct diag d;
	memset(&g, 0, sizeof(g));
	diag_init(&d);
	if (net_yaml_load_string("fuzz.yaml", (const char *)data, size, &g,
				 &d) == 0) {
		use_graph(&g);
		graph_release(&g);
	}
	diag_release(&d);
	return 0;
}

int fuzz_onnx(const uint8_t *data, size_t size)
{
	struct graph g;
	struct diag d;
	memset(&g, 0, sizeof(g));
	diag_init(&d);
	if (onnx_load_buffer("fuzz.onnx", data, size, &g, &d) == 0) {
		use_graph(&g);
		graph_release(&g);
	}
	diag_release(&d);
	return 0;
}

/* Plans are read against p1b2 on mini64 (the seeds were written for it). */
int fuzz_plan(const uint8_t *data, size_t size)
{
	static struct graph g;
	static struct machine m;
	static int ready = -1;
	if (ready < 0) {
		struct diag d0;
		diag_init(&d0);
		ready = graph_load("p1b2", OPT_MOMENTUM, &g, &d0) == 0 &&
			machine_load("mini64", &m, &d0) == 0;
		diag_release(&d0);
	}
	if (!ready)
		return 0;
	char *t = text_of(data, size);
	struct plan p;
	struct diag d;
	plan_init(&p);
	diag_init(&d);
	if (plan_load_string("fuzz.yaml", t, &g, &m, &p, &d) == 0) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		plan_write(&p, &g, f);
		plan_write_json(&p, f);
		fclose(f);
		free(buf);
	}
	plan_release(&p);
	diag_release(&d);
	free(t);
	return 0;
}

static char stats_root[256];

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void stats_cleanup(void)
{
	nftw(stats_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A folder of its own per process: <tmp>/wsfuzz.<pid>/{in,out}, removed
 * at exit. */
static const char *stats_dir(const char *sub)
{
	static char in[256], out[256];
	if (!in[0]) {
		const char *t = getenv("TMPDIR");
		snprintf(stats_root, sizeof(stats_root), "%s/wsfuzz.%ld",
			 t && *t ? t : "/tmp", (long)getpid());
		atexit(stats_cleanup);
		const char *tmp = getenv("TMPDIR");
		snprintf(in, sizeof(in), "%s/wsfuzz.%ld/in",
			 tmp && *tmp ? tmp : "/tmp", (long)getpid());
		snprintf(out, sizeof(out), "%s/wsfuzz.%ld/out",
			 tmp && *tmp ? tmp : "/tmp", (long)getpid());
		struct diag d;
		diag_init(&d);
		ws_mkdir_p(in, &d);
		ws_mkdir_p(out, &d);
		diag_release(&d);
	}
	return strcmp(sub, "in") ? out : in;
}

/* The input is a saved stats.json; the grids beside it are those of a
 * real 16 x 16 run (tests/fuzz/stats_grids/, with the stats.json they came with), so a file that says so
 * reaches the pictures. */
int fuzz_stats(const uint8_t *data, size_t size)
{
	static int copied;
	const char *in = stats_dir("in");
	if (!copied) {
		static const char *const grids[] = {"pe_util.csv",
						    "link_util.csv", NULL};
		char *src = ws_data_dir();
		for (int i = 0; grids[i]; i++) {
			char *from = xasprintf("%s/tests/fuzz/stats_grids/%s",
					       src, grids[i]);
			char *to = xasprintf("%s/%s", in, grids[i]);
			char *text;
			size_t len;
			struct diag d;
			diag_init(&d);
			if (read_file(from, &text, &len, &d) == 0) {
				FILE *f = fopen(to, "wb");
				if (f) {
					fwrite(text, 1, len, f);
					fclose(f);
				}
				free(text);
			}
			diag_release(&d);
			free(from);
			free(to);
		}
		free(src);
		copied = 1;
	}
	char *path = xasprintf("%s/stats.json", in);
	FILE *f = fopen(path, "wb");
	free(path);
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	struct trace_opts o;
	trace_opts_init(&o);
	o.gnuplot = 0;
	o.graphviz = 0;
	o.quiet = 1;
	struct diag d;
	diag_init(&d);
	trace_replot(in, stats_dir("out"), &o, &d);
	diag_release(&d);
	return 0;
}

/* A sweep specification: one "--option value" per line (the lists of
 * `wafersim sweep`), checked and prepared; points are not run. */
int fuzz_sweep(const uint8_t *data, size_t size)
{
	char *t = text_of(data, size);
	struct sweep_spec spec;
	struct diag d;
	sweep_spec_init(&spec);
	diag_init(&d);
	int bad = 0;
	char *save = NULL;
	for (char *line = strtok_r(t, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		if (!sp) {
			bad = 1;
			continue;
		}
		*sp = '\0';
		if (sweep_spec_set(&spec, line, sp + 1, &d))
			bad = 1;
	}
	if (!bad) {
		struct sweep sw;
		if (sweep_prepare(&spec, &sw, &d) == 0)
			sweep_release(&sw);
	}
	sweep_spec_release(&spec);
	diag_release(&d);
	free(t);
	return 0;
}

/* The command line: the input split at newlines into at most 48 words,
 * parsed (quietly) by a command that takes every option of the
 * vocabulary and up to 4 arguments, then what the commands derive from
 * the options: the plan's, the wafers' split of the batch, the kernel's
 * check. */
int fuzz_cli(const uint8_t *data, size_t size)
{
	char *t = text_of(data, size);
	size_t n_rows;
	const struct cli_opt *rows = cli_vocabulary(&n_rows);
	const char **names = xcalloc(n_rows + 1, sizeof(*names));
	for (size_t i = 0; i < n_rows; i++)
		names[i] = rows[i].name;
	const struct cli_command cmd = {"fuzz", "[ARG...]", "every option",
					names, NULL, 0, 4, NULL};
	char *argv[50];
	int argc = 0;
	argv[argc++] = (char *)"fuzz";
	char *save = NULL;
	for (char *w = strtok_r(t, "\n", &save); w && argc < 49;
	     w = strtok_r(NULL, "\n", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	struct cli_opts o;
	cli_opts_init(&o);
	o.quiet = 1;
	if (cli_parse(&cmd, argc, argv, &o) == CLI_GO) {
		struct plan_opts po;
		cli_plan_opts(&o, &po);
		cli_plan_wafers(&o, 60, &po);
		cli_kernel_usage("fuzz", &o);
		for (size_t i = 0; i < n_rows; i++)
			(void)cli_list(&o, rows[i].name);
	}
	cli_opts_release(&o);
	free(names);
	free(t);
	return 0;
}

/* Printed into memory and dropped: the table is part of what a file
 * reaches. */
static void print_wval(const struct wval *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	wval_print(v, f, 1);
	fclose(f);
	free(buf);
}

/* A `validate wafer` measurement file (CSV), kernel rows evaluated on
 * wse3; network rows are checked, not simulated (parse_only: seconds
 * each). */
int fuzz_wafer_csv(const uint8_t *data, size_t size)
{
	static struct machine m;
	static int ready = -1;
	if (ready < 0) {
		struct diag d0;
		diag_init(&d0);
		ready = machine_load("wse3", &m, &d0) == 0;
		diag_release(&d0);
	}
	if (!ready)
		return 0;
	char *t = text_of(data, size);
	struct wval_opts o = {.parse_only = 1};
	struct wval v;
	struct diag d;
	diag_init(&d);
	if (wval_text("fuzz.csv", t, &o, &m, &v, &d) == 0)
		print_wval(&v);
	wval_release(&v);
	diag_release(&d);
	free(t);
	return 0;
}

/* p1b2, loaded once per process; NULL if it cannot be. */
static const struct graph *p1b2_graph(void)
{
	static struct graph g;
	static int ready = -1;
	if (ready < 0) {
		struct diag d0;
		diag_init(&d0);
		ready = graph_load("p1b2", OPT_MOMENTUM, &g, &d0) == 0;
		diag_release(&d0);
	}
	return ready ? &g : NULL;
}

/* A `validate gpu` measurement file (JSON lines) predicted on h100, every
 * row on p1b2 (no network is loaded by name or file). */
int fuzz_gpu_jsonl(const uint8_t *data, size_t size)
{
	static struct gpu_spec gs;
	static int ready = -1;
	if (ready < 0) {
		struct diag d0;
		diag_init(&d0);
		ready = gpu_load("h100", &gs, &d0) == 0;
		diag_release(&d0);
	}
	const struct graph *g = p1b2_graph();
	if (!ready || !g)
		return 0;
	struct gpu_val v;
	struct diag d;
	diag_init(&d);
	if (gpu_validate_text(&gs, "fuzz.jsonl", (const char *)data, size, g,
			      NULL, 0, &v, &d) == 0) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		gpu_val_print(&v, f, 1);
		fclose(f);
		free(buf);
		gpu_val_release(&v);
	}
	diag_release(&d);
	return 0;
}

/* A GPU description: loaded, written back (gpu show), and a training step
 * and an inference of p1b2 estimated on it, eager and graph-captured, one
 * GPU and eight (what 'gpu NET --gpu FILE' does). */
int fuzz_gpu_yaml(const uint8_t *data, size_t size)
{
	const struct graph *g = p1b2_graph();
	char *t = text_of(data, size);
	struct gpu_spec gs;
	struct diag d;
	diag_init(&d);
	if (g && gpu_load_string("fuzz.yaml", t, &gs, &d) == 0) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		gpu_dump(&gs, f);
		for (int k = 0; k < 2; k++) {
			struct gpu_run_opts o;
			struct gpu_result r;
			char words[256];
			gpu_run_opts_default(&o);
			o.n_gpus = k ? 8 : 1;
			o.style = k ? GPU_GRAPH : GPU_EAGER;
			memset(&r, 0, sizeof(r));
			if (gpu_estimate(&gs, g, &o, &r, &d) == 0) {
				gpu_plan_words(&r, words, sizeof(words));
				fprintf(f, "%g %s\n", r.train.seconds, words);
			}
			if (r.layers)
				gpu_result_release(&r);
		}
		fclose(f);
		free(buf);
	}
	diag_release(&d);
	free(t);
	return 0;
}

/* A sweep journal read back by --resume: the input's first bytes are one
 * record (struct sweep_result, zero-filled when short) journaled as a
 * killed run writes it (its key and check valid, so the fields reach the
 * CSV), the rest raw lines appended to the journal; then the journal is
 * read back for a sweep of 2 networks x 2 batches x a --set axis and the
 * CSV, summary and JSON written (points not read back hold a real
 * point's result). */
int fuzz_journal(const uint8_t *data, size_t size)
{
	static struct sweep sw;
	static struct sweep_result real;
	static int ready = -1;
	if (ready < 0) {
		struct sweep_spec spec;
		struct diag d0;
		sweep_spec_init(&spec);
		diag_init(&d0);
		ready = sweep_spec_set(&spec, "--nets", "p1b2,p1b1", &d0) == 0 &&
			sweep_spec_set(&spec, "--machines", "mini16", &d0) ==
				0 &&
			sweep_spec_set(&spec, "--strategies", "pack", &d0) ==
				0 &&
			sweep_spec_set(&spec, "--batch", "8,16", &d0) == 0 &&
			sweep_spec_set(&spec, "--set", "clock_ghz=0.85,1", &d0) ==
				0 &&
			sweep_prepare(&spec, &sw, &d0) == 0;
		if (ready)
			sweep_point(&sw, 0, &real);
		sweep_spec_release(&spec);
		diag_release(&d0);
	}
	if (!ready)
		return 0;
	char *csv = xasprintf("%s/s.csv", stats_dir("out"));
	struct sweep_result r, *res = xcalloc((size_t)sw.n_points,
					      sizeof(*res));
	size_t rs = size < sizeof(r) ? size : sizeof(r);
	memset(&r, 0, sizeof(r));
	memcpy(&r, data, rs);
	struct sweep_journal j;
	struct diag d;
	diag_init(&d);
	if (sweep_journal_open(&j, &sw, csv, 0, 0, res, &d) == 0) {
		sweep_journal_add(&j, &r);
		if (size > rs && write(j.fd, data + rs, size - rs) < 0)
			diag_add(&d, NULL, 0, 0, "journal not written");
		sweep_journal_close(&j);
	}
	if (sweep_journal_open(&j, &sw, csv, 1, 1, res, &d) == 0) {
		sweep_resumed_check(&sw, &j, res);
		for (int64_t i = 0; i < sw.n_points; i++)
			if (!j.done[i]) {
				res[i] = real;
				sweep_point_coords(&sw, i, &res[i]);
				res[i].index = i;
			}
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		sweep_write_csv(&sw, res, f);
		sweep_write_summary(&sw, res, f);
		sweep_write_json(&sw, res, f);
		fclose(f);
		free(buf);
		sweep_journal_close(&j);
	}
	sweep_journal_remove(csv);
	diag_release(&d);
	free(res);
	free(csv);
	return 0;
}

fuzz_fn fuzz_entry(const char *name)
{
	static const struct {
		const char *name;
		fuzz_fn fn;
	} table[] = {
		{"machine", fuzz_machine}, {"net_yaml", fuzz_net_yaml},
		{"plan", fuzz_plan},	   {"onnx", fuzz_onnx},
		{"onnx_struct", fuzz_onnx}, {"stats", fuzz_stats},
		{"sweep", fuzz_sweep},	   {"wafer_csv", fuzz_wafer_csv},
		{"gpu_jsonl", fuzz_gpu_jsonl}, {"gpu_yaml", fuzz_gpu_yaml},
		{"journal", fuzz_journal},     {"cli", fuzz_cli},
	};
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (!strcmp(table[i].name, name))
			return table[i].fn;
	return NULL;
}
