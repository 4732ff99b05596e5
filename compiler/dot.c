/* dot.c: the graph as Graphviz DOT text (see dot.h). */
#include "compiler/dot.h"

#include <inttypes.h>

static void q(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void shape(FILE *f, const struct tensor *t)
{
	fputc('[', f);
	for (int i = 0; i < t->rank; i++)
		fprintf(f, "%s%" PRId64, i ? "," : "", t->dims[i]);
	fputc(']', f);
}

void dot_write(const struct graph *g, FILE *out)
{
	fprintf(out, "digraph ");
	q(out, g->name);
	fprintf(out, " {\n  rankdir=TB;\n  node [shape=box, fontname="
		     "\"Helvetica\", fontsize=10];\n  edge [fontsize=8];\n");
	for (int t = 0; t < g->n_tensors; t++) {
		const struct tensor *x = &g->tensors[t];
		if (!x->is_input)
			continue;
		fprintf(out, "  in%d [shape=ellipse, label=\"", t);
		for (const char *s = x->name; *s; s++)
			fprintf(out, *s == '"' ? "\\\"" : "%c", *s);
		fprintf(out, "\\n");
		shape(out, x);
		fprintf(out, "\"];\n");
	}
	for (int i = 0; i < g->n_layers; i++) {
		const struct layer *l = &g->layers[i];
		fprintf(out, "  L%d [label=\"", i);
		for (const char *s = l->name; *s; s++)
			fprintf(out, *s == '"' ? "\\\"" : "%c", *s);
		fprintf(out, "\\n%s ", op_name(l->op));
		shape(out, &g->tensors[l->out[0]]);
		if (l->cost.params)
			fprintf(out, "\\n%" PRId64 " params", l->cost.params);
		fprintf(out, "\"%s];\n",
			op_has_params(l->op) ? ", style=filled, fillcolor="
					       "\"#dde8f5\""
					     : "");
	}
	for (int i = 0; i < g->n_layers; i++) {
		const struct layer *l = &g->layers[i];
		for (int k = 0; k < l->n_in; k++) {
			const struct tensor *x = &g->tensors[l->in[k]];
			if (x->producer >= 0)
				fprintf(out, "  L%d -> L%d [label=\"",
					x->producer, i);
			else
				fprintf(out, "  in%d -> L%d [label=\"",
					l->in[k], i);
			shape(out, x);
			fprintf(out, "\"];\n");
		}
		if (l->param_owner != i)
			fprintf(out,
				"  L%d -> L%d [style=dashed, color=gray, "
				"constraint=false, label=\"shares\"];\n",
				i, l->param_owner);
	}
	fprintf(out, "}\n");
}
