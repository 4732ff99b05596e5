/* trace.c: trace_write and trace_replot: snapshot, save, render all. */
#include "traces/trace.h"

#include <string.h>
#include <stdio.h>
#include <stdlib.h>

#include "ground/util.h"
#include "traces/trace_int.h"

void trace_opts_init(struct trace_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->gnuplot = 1;
	o->graphviz = 1;
}

/* Everything but the saved statistics (when save is 0).  Graphviz runs
 * while gnuplot and the C pictures are drawn (two cores). */
static int render_all(const struct trace_data *t, const char *dir,
		      const struct trace_opts *o, int save, struct diag *d)
{
	int rc = save ? trace_data_save(t, dir, o, d) : 0;
	long dot_job = -1;
	if (!rc && o->graphviz)
		rc = trace_graph_start(t, dir, o, d, &dot_job);
	if (!rc)
		rc = trace_chrome_write(t, dir, o, d);
	if (!rc)
		rc = trace_heat_write(t, dir, o, d);
	if (!rc)
		rc = trace_place_write(t, dir, o, d);
	if (!rc)
		rc = trace_plot_write(t, dir, o, d);
	trace_graph_finish(dir, dot_job, o);
	return rc;
}

static int trace_one(const struct report_in *r, const char *dir,
		     const struct trace_opts *o, struct diag *d)
{
	if (ws_mkdir_p(dir, d))
		return WS_EIO;
	struct trace_data t;
	int rc = trace_data_build(r, &t);
	if (!rc)
		rc = render_all(&t, dir, o, 1, d);
	trace_data_release(&t);
	return rc;
}

int trace_write(const struct report_in *r, const char *dir,
		const struct trace_opts *o, struct diag *d)
{
	struct trace_opts def;
	if (!o) {
		trace_opts_init(&def);
		o = &def;
	}
	/* into a temporary folder moved into place at the end: a failed or
	 * killed run leaves no partial trace (ground/util.h, outdir) */
	struct outdir od;
	if (outdir_open(&od, dir, d))
		return WS_EIO;
	int rc = trace_one(r, od.tmp_path, o, d);
	if (!rc && r->train && r->infer) {
		/* training and inference both simulated: the inference in
		 * infer/ */
		struct report_in ri = *r;
		ri.train = NULL;
		if (r->infer_plan) /* on its own plan (run's default job) */
			ri.p = r->infer_plan;
		char *sub = xasprintf("%s/infer", od.tmp_path);
		rc = trace_one(&ri, sub, o, d);
		free(sub);
	}
	if (rc) {
		/* the error above names a file of the temporary folder */
		diag_add(d, NULL, 0, 0, "trace: nothing written to '%s'", dir);
		outdir_abort(&od);
		return rc;
	}
	return outdir_commit(&od, d);
}

int trace_replot(const char *in_dir, const char *out_dir,
		 const struct trace_opts *o, struct diag *d)
{
	struct trace_opts def;
	if (!o) {
		trace_opts_init(&def);
		o = &def;
	}
	struct trace_data t;
	int rc = trace_data_load(in_dir, &t, d);
	if (rc)
		return rc;
	struct outdir od;
	rc = outdir_open(&od, out_dir, d);
	if (!rc) {
		/* re-save only into another directory: link directions
		 * survive only if they were saved */
		struct trace_opts oo = *o;
		oo.link_dirs = o->link_dirs && t.link_dirs_saved;
		rc = render_all(&t, od.tmp_path, &oo,
				strcmp(in_dir, out_dir) != 0, d);
		if (rc) {
			/* the error names a file of the temporary folder */
			diag_add(d, NULL, 0, 0,
				 "trace: nothing written to '%s'", out_dir);
			outdir_abort(&od);
		} else
			rc = outdir_commit(&od, d);
	}
	trace_data_release(&t);
	return rc;
}
