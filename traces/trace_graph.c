/*
 * trace_graph.c: the network drawn by Graphviz (libgvc, "dot" layout) as
 * graph.dot, graph.svg and graph.png.  One node per layer and per network
 * input; its shape tells the kind of operation, its label the output shape,
 * forward cost and parameters, its fill the color of the stage it is placed
 * on (the same color as in placement.png) and the stage's rectangle.
 */
#include <stdlib.h>
#include <string.h>

#include "ground/util.h"
#include "traces/trace_int.h"
#include "traces/trace_draw.h"

static const char *shape_of(const char *op)
{
	if (!strcmp(op, "input"))
		return "invhouse";
	if (!strcmp(op, "dense") || !strcmp(op, "conv") ||
	    !strcmp(op, "matmul"))
		return "box";
	if (!strcmp(op, "attention"))
		return "hexagon";
	if (!strcmp(op, "embedding"))
		return "cylinder";
	if (!strncmp(op, "loss", 4))
		return "doubleoctagon";
	return "ellipse";
}

static void si(char *buf, size_t n, double v, const char *unit)
{
	const char *p[] = {"", "k", "M", "G", "T", "P"};
	int i = 0;
	while (v >= 1000 && i < 5) {
		v /= 1000;
		i++;
	}
	snprintf(buf, n, "%.3g %s%s", v, p[i], unit);
}

/* DOT-escaped copy of s into f (inside a double-quoted string) */
static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
}

static char *dot_text(const struct trace_data *t, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	fprintf(f, "digraph \"");
	esc(f, t->network);
	fprintf(f, "\" {\n  rankdir=TB; nodesep=0.25; ranksep=0.35;\n"
		   "  labelloc=t; fontname=\"DejaVu Sans\"; fontsize=16;\n"
		   "  label=\"");
	esc(f, t->network);
	fprintf(f, " on ");
	esc(f, t->machine);
	fprintf(f,
		": layers, shapes, forward cost per sample, placement\";\n"
		"  node [fontname=\"DejaVu Sans\", fontsize=10, style=filled,"
		" fillcolor=white];\n  edge [fontname=\"DejaVu Sans\","
		" fontsize=8, color=\"#555555\"];\n");
	/* big networks: the PNG is scaled down to at most 30 x 100 inches
	 * (the SVG keeps every detail) */
	if (t->n_nodes > 150)
		fprintf(f, "  size=\"30,100\";\n");
	char c1[32], c2[32];
	for (int i = 0; i < t->n_nodes; i++) {
		const struct trace_node *n = &t->nodes[i];
		fprintf(f, "  n%d [shape=%s, label=\"", i, shape_of(n->op));
		esc(f, n->name);
		fprintf(f, "\\n%s ", n->op);
		esc(f, n->shape);
		if (n->flops_fwd > 0 || n->params > 0) {
			si(c1, sizeof(c1), n->flops_fwd, "FLOP");
			si(c2, sizeof(c2), (double)n->params, "");
			fprintf(f, "\\n%s, %sparams", c1, c2);
		}
		if (n->stage >= 0) {
			const struct trace_stage *s = &t->stages[n->stage];
			struct trace_rgb col = trace_qual(n->stage);
			fprintf(f,
				"\\nstage %d: %dx%d at (%d,%d)\", "
				"fillcolor=\"#%02x%02x%02x\"",
				n->stage, s->r.w, s->r.h, s->r.x, s->r.y, col.r,
				col.g, col.b);
			struct trace_rgb ink = trace_ink_on(col);
			if (ink.r)
				fprintf(f, ", fontcolor=white");
		} else {
			fprintf(f, "\"%s",
				!strcmp(n->op, "input")
					? ", fillcolor=\"#e8e8e8\""
					: "");
		}
		fprintf(f, "];\n");
	}
	for (int i = 0; i < t->n_edges; i++) {
		const struct trace_edge *e = &t->edges[i];
		fprintf(f, "  n%d -> n%d [label=\"", e->from, e->to);
		esc(f, e->label);
		fprintf(f, "\"%s];\n", e->dashed ? ", style=dashed" : "");
	}
	fprintf(f, "}\n");
	fclose(f);
	return buf;
}

static int write_mem(const char *dir, const char *name, const char *data,
		     size_t len, struct diag *d)
{
	char *fpath = trace_path(dir, name);
	struct outfile o;
	int rc = outfile_open(&o, fpath, d);
	free(fpath);
	if (rc)
		return WS_EIO;
	fwrite(data, 1, len, o.f);
	return outfile_commit(&o, d) ? WS_EIO : 0;
}

int trace_graph_start(const struct trace_data *t, const char *dir,
		      const struct trace_opts *o, struct diag *d, long *job)
{
	(void)o;
	*job = -1;
	if (t->n_nodes == 0)
		return 0;
	size_t len;
	char *text = dot_text(t, &len);
	int rc = write_mem(dir, "graph.dot", text, len, d);
	free(text);
	if (rc)
		return rc;
	/* Graphviz runs as the `dot` program, one layout for both formats:
	 * linking libgvc into wafersim is not possible while compiler/graph.c
	 * defines graph_setup(), a name libgvc's own layout code calls
	 * internally (the program's definition wins and layout crashes). */
	const char *argv[] = {"dot",	       "-Tsvg",	 "-o", "graph.svg.tmp",
			      "-Tpng",	       "-o",	 "graph.png.tmp",
			      "-Tpdf",	       "-o",	 "graph.pdf.tmp",
			      "graph.dot",     NULL};
	*job = trace_tool_start(dir, argv);
	return 0;
}

void trace_graph_finish(const char *dir, long job, const struct trace_opts *o)
{
	if (job < 0) /* no graph to draw (or no process to draw it) */
		return;
	int ok = trace_tool_wait(job) == 0;
	int bad = trace_tmp_commit(dir, "graph.svg.tmp", ok);
	bad |= trace_tmp_commit(dir, "graph.png.tmp", ok);
	bad |= trace_tmp_commit(dir, "graph.pdf.tmp", ok);
	if (bad && !o->quiet)
		fprintf(stderr,
			"note: Graphviz 'dot' is missing or failed: the "
			"graph is not drawn (install Debian's graphviz; "
			"graph.dot is in %s)\n",
			dir);
}
