/*
 * wafer_val_net.c: network rows of `wafersim validate wafer` (see
 * wafer_val.h): the training rate of a whole network on a named machine,
 * as the row says: the network (zoo name, or a YAML/ONNX path relative to
 * the measurement file, or a name found in wval_opts.nets_dir), the
 * machine, the wafers training data-parallel (the global batch split
 * evenly), the mode (streaming or pipelined), the precision and the
 * batch.  The plan is the compiler's for that mode (streaming: its
 * micro-batches, compiler/microbatch.h); two training steps are
 * simulated and the last one's rate is the prediction.  The optimizer is
 * Adam(W), as in the vendor's pre-training configurations the shipped
 * rows come from (models/measured/wse2/training-source.csv).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler/graph.h"
#include "compiler/place.h"
#include "compiler/plan.h"
#include "ground/util.h"
#include "sim/engine.h"
#include "sim/stats.h"
#include "sim/wafer_val.h"

enum { NF_NET = 0, NF_MACHINE, NF_WAFERS, NF_MODE, NF_DTYPE, NF_BATCH,
       NF_RATE, NF_SOURCE, NF_COUNT };

static int ends_with(const char *s, const char *x)
{
	size_t a = strlen(s), b = strlen(x);
	return a >= b && !strcmp(s + a - b, x);
}

/* The network to load: a path (relative to the measurement file's folder
 * unless absolute), a file in nets_dir, or the zoo name as it is. */
static char *net_source(const char *name, const char *dir,
			const struct wval_opts *o)
{
	int is_path = strchr(name, '/') || ends_with(name, ".yaml") ||
		      ends_with(name, ".onnx");
	if (is_path)
		return name[0] == '/' || !dir || !*dir
			       ? xstrdup(name)
			       : xasprintf("%s/%s", dir, name);
	if (o->nets_dir) {
		const char *ext[] = {".yaml", ".onnx"};
		for (int i = 0; i < 2; i++) {
			char *p = xasprintf("%s/%s%s", o->nets_dir, name, ext[i]);
			if (!access(p, R_OK))
				return p;
			free(p);
		}
	}
	return xstrdup(name);
}

/* " (path:line:col)" after the reason why[n] (cut to make room): the
 * field of the measurement file that named what could not be loaded. */
static void locate(char *why, size_t n, const char *path, int line, int col)
{
	char at[640];
	int k = snprintf(at, sizeof(at), " (%s:%d:%d)", path, line, col);
	size_t len = strlen(why);
	if (k < 0 || (size_t)k >= n || (size_t)k >= sizeof(at))
		return;
	if (len + (size_t)k >= n)
		len = n - (size_t)k - 1;
	memcpy(why + len, at, (size_t)k + 1);
}

/* Parse the numeric and named fields; WS_EINPUT (located) when one is
 * malformed. */
static int net_fields(const char *path, int line, char **f, const int *col,
		      long long *wafers,
		      long long *batch, double *rate, int *mode, int *prec,
		      struct diag *d)
{
	char *end;
	*wafers = strtoll(f[NF_WAFERS], &end, 10);
	if (*end || *wafers < 1 || *wafers > (1 << 20)) {
		diag_add(d, path, line, col[NF_WAFERS],
			 "validate: 'wafers' must be an "
			 "integer in [1, 2^20] (as --wafers), got '%s'",
			 f[NF_WAFERS]);
		return WS_EINPUT;
	}
	*batch = strtoll(f[NF_BATCH], &end, 10);
	if (*end || *batch < 1 || *batch > (1 << 30)) {
		diag_add(d, path, line, col[NF_BATCH],
			 "validate: 'batch' must be an "
			 "integer in [1, 2^30], got '%s'", f[NF_BATCH]);
		return WS_EINPUT;
	}
	*rate = strtod(f[NF_RATE], &end);
	if (*end || !(*rate > 0) || !isfinite(*rate)) {
		diag_add(d, path, line, col[NF_RATE],
			 "validate: 'samples_per_s' must be "
			 "a number > 0 and finite, got '%s'", f[NF_RATE]);
		return WS_EINPUT;
	}
	*mode = plan_mode_from_name(f[NF_MODE]);
	if (*mode != MODE_STREAMING && *mode != MODE_PIPELINED) {
		diag_add(d, path, line, col[NF_MODE],
			 "validate: 'mode' must be "
			 "streaming or pipelined, got '%s'", f[NF_MODE]);
		return WS_EINPUT;
	}
	*prec = plan_prec_from_name(f[NF_DTYPE]);
	if (*prec < 0) {
		diag_add(d, path, line, col[NF_DTYPE],
			 "validate: 'dtype' must be mixed, "
			 "fp16 or fp32, got '%s'", f[NF_DTYPE]);
		return WS_EINPUT;
	}
	return 0;
}

/* The compiler's plan; when its default strategy cannot place the
 * stages, the first other strategy that can (as a user would try). */
static int build_any(const struct graph *g, const struct machine *m,
		     struct plan_opts *po, struct plan *p, struct diag *d)
{
	if (!plan_build(g, m, po, p, d))
		return 0;
	int n;
	const struct place_strategy *const *all = place_strategies(&n);
	for (int i = 0; i < n; i++) {
		if (!strcmp(all[i]->name, PLACE_DEFAULT_STRATEGY))
			continue;
		struct diag tmp;
		diag_init(&tmp);
		po->strategy = all[i]->name;
		po->time_budget_s = 5;
		int rc = plan_build(g, m, po, p, &tmp);
		diag_release(&tmp);
		if (!rc) {
			diag_clear(d);
			return 0;
		}
	}
	return WS_EINPUT;
}

/* Simulate the row: samples per second of the whole job, or 0 with the
 * reason in r->skipped; *field: the row's field that could not be loaded
 * (NF_MACHINE, NF_NET), else -1. */
static double net_predict(const char *src, const char *machine, int wafers,
			  int64_t batch, int mode, int prec,
			  int64_t max_memory_bytes, struct wval_row *r,
			  int *field)
{
	struct diag d;
	diag_init(&d);
	struct machine m;
	struct graph g;
	struct plan p;
	plan_init(&p);
	double rate = 0;
	int have_g = 0;
	*field = NF_MACHINE;
	if (machine_load(machine, &m, &d))
		goto out;
	*field = NF_NET;
	if (graph_load(src, OPT_ADAM, &g, &d))
		goto out;
	have_g = 1;
	*field = -1;
	struct plan_opts po;
	plan_opts_init(&po);
	po.mode = (enum exec_mode)mode;
	po.prec = (enum pe_prec)prec;
	po.opt = OPT_ADAM;
	po.batch = (batch + wafers - 1) / wafers; /* per wafer */
	if (build_any(&g, &m, &po, &p, &d))
		goto out;
	struct engine_opts eo;
	engine_opts_init(&eo);
	eo.job = ENGINE_TRAIN;
	eo.batch = po.batch;
	eo.wafers = wafers;
	eo.max_memory_bytes = max_memory_bytes;
	struct stats st;
	stats_init(&st);
	if (!engine_run(&p, &g, &m, &eo, &st, &d) && st.step_cycles > 0)
		rate = (double)st.batch * wafers /
		       ((double)st.step_cycles * machine_cycle_s(&m));
	stats_release(&st);
out:
	if (rate <= 0)
		snprintf(r->skipped, sizeof(r->skipped), "%s",
			 diag_count(&d) ? diag_text(&d, 0)
					: "the simulation gave no step time");
	plan_release(&p);
	if (have_g)
		graph_release(&g);
	diag_release(&d);
	return rate;
}

int wval_network_row(const char *path, const char *dir, char **fields,
		     const int *col, int n_fields, const struct wval_opts *o,
		     struct wval_row *r, struct diag *d)
{
	if (n_fields != NF_COUNT) {
		diag_add(d, path, r->line, 1,
			 "validate: %d fields expected, got %d", NF_COUNT,
			 n_fields);
		return WS_EINPUT;
	}
	long long wafers, batch;
	double rate;
	int mode, prec;
	if (net_fields(path, r->line, fields, col, &wafers, &batch, &rate, &mode,
		       &prec, d))
		return WS_EINPUT;
	snprintf(r->label, sizeof(r->label), "%s %s x%lld %s b%lld",
		 fields[NF_NET], fields[NF_MACHINE], wafers, fields[NF_MODE],
		 batch);
	r->measured = rate;
	if (o->only_mode && mode != plan_mode_from_name(o->only_mode)) {
		snprintf(r->skipped, sizeof(r->skipped), "mode '%s' not "
			 "selected (only '%s')", fields[NF_MODE], o->only_mode);
		return 0;
	}
	if (o->parse_only) {
		snprintf(r->skipped, sizeof(r->skipped), "not simulated "
			 "(fields checked only)");
		return 0;
	}
	char *src = net_source(fields[NF_NET], dir, o);
	int field;
	r->predicted = net_predict(src, fields[NF_MACHINE], (int)wafers,
				   (int64_t)batch, mode, prec,
				   o->max_memory_bytes, r, &field);
	free(src);
	if (field >= 0)
		locate(r->skipped, sizeof(r->skipped), path, r->line,
		       col[field]);
	return 0;
}
