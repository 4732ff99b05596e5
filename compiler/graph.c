/*
 * graph.c: the network IR: building, checking, ordering.  (Reading a file
 * into it is the front end's job: net_load.c picks the reader.)
 *
 * Front ends add tensors and layers in whatever order their source gives
 * them (a YAML layer may name an input defined further down); graph_finish()
 * then checks the whole graph, orders it and infers shapes.  Everything the
 * user wrote wrong is reported through the diag, with the layer's location.
 */
#include "compiler/graph.h"

#include <stdlib.h>
#include <string.h>

#include "compiler/graph_int.h"
#include "ground/checked.h"
#include "ground/util.h"

void graph_setup(struct graph *g, const char *name, const char *source)
{
	memset(g, 0, sizeof(*g));
	g->name = xstrdup(name ? name : "");
	g->source = xstrdup(source ? source : "");
	g->description = xstrdup("");
	g->param_dtype = DT_FP32;
}

void graph_release(struct graph *g)
{
	for (int i = 0; i < g->n_tensors; i++)
		free(g->tensors[i].name);
	for (int i = 0; i < g->n_layers; i++) {
		free(g->layers[i].name);
		free(g->layers[i].origin);
	}
	free(g->tensors);
	free(g->layers);
	free(g->name);
	free(g->source);
	free(g->description);
	memset(g, 0, sizeof(*g));
}

int graph_add_tensor(struct graph *g, const char *name, enum dtype dt, int rank,
		     const int64_t *dims)
{
	if (g->n_tensors == g->cap_tensors) {
		g->cap_tensors = g->cap_tensors ? 2 * g->cap_tensors : 64;
		g->tensors = xrealloc(g->tensors,
				      g->cap_tensors * sizeof(*g->tensors));
	}
	struct tensor *t = &g->tensors[g->n_tensors];
	memset(t, 0, sizeof(*t));
	t->name = xstrdup(name);
	t->dtype = dt;
	if (rank < 0 || rank > GRAPH_MAX_DIMS)
		rank = 0;
	t->rank = rank;
	for (int i = 0; i < rank && dims; i++)
		t->dims[i] = dims[i];
	t->producer = -1;
	return g->n_tensors++;
}

int graph_find_tensor(const struct graph *g, const char *name)
{
	/* Newest first: later definitions are looked up most often. */
	for (int i = g->n_tensors - 1; i >= 0; i--)
		if (!strcmp(g->tensors[i].name, name))
			return i;
	return -1;
}

int graph_add_layer(struct graph *g, const char *name, enum op_kind op,
		    const struct op_attrs *attrs, int n_in, const int *in,
		    int n_out, const int *out)
{
	if (g->n_layers == g->cap_layers) {
		g->cap_layers = g->cap_layers ? 2 * g->cap_layers : 64;
		g->layers =
			xrealloc(g->layers, g->cap_layers * sizeof(*g->layers));
	}
	int id = g->n_layers++;
	struct layer *l = &g->layers[id];
	memset(l, 0, sizeof(*l));
	l->name = xstrdup(name);
	l->op = op;
	if (attrs)
		l->attrs = *attrs;
	if (n_in > GRAPH_MAX_IO)
		n_in = GRAPH_MAX_IO;
	if (n_out > GRAPH_MAX_IO)
		n_out = GRAPH_MAX_IO;
	l->n_in = n_in;
	l->n_out = n_out;
	for (int i = 0; i < n_in; i++)
		l->in[i] = in[i];
	for (int i = 0; i < n_out; i++) {
		l->out[i] = out[i];
		g->tensors[out[i]].producer = id;
	}
	l->param_owner = id;
	l->needs_input_grad = 1;
	return id;
}

/* Binary min-heap of layer ids: Kahn's algorithm picks the earliest-defined
 * ready layer, so the order is stable and deterministic. */
struct heap {
	int *a;
	int n;
};

static void heap_push(struct heap *h, int v)
{
	int i = h->n++;
	h->a[i] = v;
	while (i > 0 && h->a[(i - 1) / 2] > h->a[i]) {
		int p = (i - 1) / 2, t = h->a[p];
		h->a[p] = h->a[i];
		h->a[i] = t;
		i = p;
	}
}

static int heap_pop(struct heap *h)
{
	int top = h->a[0];
	h->a[0] = h->a[--h->n];
	for (int i = 0;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		if (l < h->n && h->a[l] < h->a[m])
			m = l;
		if (r < h->n && h->a[r] < h->a[m])
			m = r;
		if (m == i)
			break;
		int t = h->a[m];
		h->a[m] = h->a[i];
		h->a[i] = t;
		i = m;
	}
	return top;
}

/* prod[t] = the layer writing tensor t, or -1.  Reports tensors written
 * twice (or written and declared a network input) and dangling inputs;
 * 0 or WS_EINPUT. */
static int graph_producers(struct graph *g, int *prod, struct diag *d)
{
	int bad = 0;
	for (int t = 0; t < g->n_tensors; t++)
		prod[t] = -1;
	for (int i = 0; i < g->n_layers; i++) {
		struct layer *l = &g->layers[i];
		for (int o = 0; o < l->n_out; o++) {
			int t = l->out[o];
			if (prod[t] >= 0 || g->tensors[t].is_input) {
				diag_add(d, LAYER_LOC(g, l),
					 "network: layer '%s' writes '%s', "
					 "which is already %s",
					 l->name, g->tensors[t].name,
					 g->tensors[t].is_input
						 ? "a network input"
						 : "written by another layer");
				bad = 1;
			} else {
				prod[t] = i;
			}
		}
	}
	for (int i = 0; i < g->n_layers; i++) {
		struct layer *l = &g->layers[i];
		for (int k = 0; k < l->n_in; k++) {
			int t = l->in[k];
			if (prod[t] < 0 && !g->tensors[t].is_input) {
				diag_add(d, LAYER_LOC(g, l),
					 "network: input '%s' of layer '%s' "
					 "must be a network input or a layer "
					 "output, got nothing of that name",
					 g->tensors[t].name, l->name);
				bad = 1;
			}
		}
	}
	return bad ? WS_EINPUT : 0;
}

/* Kahn's algorithm: order[0 .. returned count) and, per layer, the inputs
 * still waiting (indeg; nonzero only for layers left in a cycle).
 * Indegree = inputs produced by layers (a layer reading the same tensor
 * twice counts it twice and is released twice). */
static int kahn(const struct graph *g, const int *prod, int *indeg, int *order)
{
	int n = g->n_layers;
	int *cons_start = xcalloc(g->n_tensors + 1, sizeof(int));
	int *cons = xmalloc((size_t)(n * GRAPH_MAX_IO + 1) * sizeof(int));
	for (int i = 0; i < n; i++)
		for (int k = 0; k < g->layers[i].n_in; k++) {
			int t = g->layers[i].in[k];
			if (prod[t] >= 0) {
				indeg[i]++;
				cons_start[t + 1]++;
			}
		}
	for (int t = 0; t < g->n_tensors; t++)
		cons_start[t + 1] += cons_start[t];
	int *fill = xmalloc((g->n_tensors + 1) * sizeof(int));
	memcpy(fill, cons_start, (g->n_tensors + 1) * sizeof(int));
	for (int i = 0; i < n; i++)
		for (int k = 0; k < g->layers[i].n_in; k++) {
			int t = g->layers[i].in[k];
			if (prod[t] >= 0)
				cons[fill[t]++] = i;
		}
	struct heap h = {xmalloc((n + 1) * sizeof(int)), 0};
	for (int i = 0; i < n; i++)
		if (!indeg[i])
			heap_push(&h, i);
	int done = 0;
	while (h.n) {
		int i = heap_pop(&h);
		order[done++] = i;
		const struct layer *l = &g->layers[i];
		for (int o = 0; o < l->n_out; o++) {
			int t = l->out[o];
			for (int c = cons_start[t]; c < cons_start[t + 1]; c++)
				if (--indeg[cons[c]] == 0)
					heap_push(&h, cons[c]);
		}
	}
	free(h.a);
	free(fill);
	free(cons);
	free(cons_start);
	return done;
}

/* Report the first layer left in a cycle, with the input that closes it
 * (an input still waiting on an unfinished layer). */
static void report_cycle(struct graph *g, const int *prod, const int *indeg,
			 struct diag *d)
{
	for (int i = 0; i < g->n_layers; i++) {
		if (!indeg[i])
			continue;
		struct layer *l = &g->layers[i];
		const char *via = "?";
		for (int k = 0; k < l->n_in; k++) {
			int p = prod[l->in[k]];
			if (p >= 0 && indeg[p]) {
				via = g->tensors[l->in[k]].name;
				break;
			}
		}
		diag_add(d, LAYER_LOC(g, l),
			 "network: layer '%s' must not depend on its own "
			 "output, got a cycle through input '%s'",
			 l->name, via);
		return;
	}
}

/* Permute layers into `order`; remap ids. */
static void permute(struct graph *g, const int *prod, const int *order)
{
	int n = g->n_layers;
	int *newid = xmalloc((n + 1) * sizeof(int));
	for (int k = 0; k < n; k++)
		newid[order[k]] = k;
	struct layer *nl = xmalloc((n + 1) * sizeof(*nl));
	for (int k = 0; k < n; k++) {
		nl[k] = g->layers[order[k]];
		nl[k].param_owner = newid[nl[k].param_owner];
	}
	memcpy(g->layers, nl, n * sizeof(*nl));
	free(nl);
	for (int t = 0; t < g->n_tensors; t++)
		g->tensors[t].producer = prod[t] >= 0 ? newid[prod[t]] : -1;
	free(newid);
}

/* Check producers and inputs; order layers topologically.  Reports dangling
 * inputs, tensors written twice, and cycles. */
static int graph_order(struct graph *g, struct diag *d)
{
	int n = g->n_layers, rc = 0;
	int *prod = xmalloc((g->n_tensors + 1) * sizeof(int));
	if (graph_producers(g, prod, d)) {
		free(prod);
		return WS_EINPUT;
	}
	int *indeg = xcalloc(n + 1, sizeof(int));
	int *order = xmalloc((n + 1) * sizeof(int));
	if (kahn(g, prod, indeg, order) < n) {
		report_cycle(g, prod, indeg, d);
		rc = WS_EINPUT;
	} else {
		permute(g, prod, order);
	}
	free(order);
	free(indeg);
	free(prod);
	return rc;
}

/* A tensor's per-sample size within CK_LIMIT (ground/checked.h), so that
 * tensor_elems and every cost built on it stay exact; located at the
 * layer that makes it (or the first that reads a network input). */
static int check_tensor_size(struct graph *g, int t, const struct layer *l,
			     struct diag *d)
{
	const struct tensor *x = &g->tensors[t];
	char subject[256], quantity[160];
	snprintf(subject, sizeof(subject), "network: layer '%s'", l->name);
	snprintf(quantity, sizeof(quantity), "elements per sample of '%s'",
		 x->name);
	struct ck ck;
	ck_init(&ck, d, l->origin ? l->origin : g->source, subject);
	ck.line = l->src_line;
	ck.col = l->src_col;
	for (int k = 0; k < x->rank; k++)
		if (x->dims[k] < 0) {
			diag_add(d, LAYER_LOC(g, l),
				 "%s: dimensions of '%s' must be >= 0, got "
				 "%lld",
				 subject, x->name, (long long)x->dims[k]);
			return WS_EINPUT;
		}
	int64_t n = ck_prod(&ck, quantity, x->dims, x->rank);
	if (!ck.failed && ck_saturated(n))
		diag_add(d, LAYER_LOC(g, l), "%s: %s must be less than 2^53",
			 subject, quantity);
	return ck.failed || ck_saturated(n) ? WS_EINPUT : WS_OK;
}

static int check_sizes(struct graph *g, int i, struct diag *d)
{
	const struct layer *l = &g->layers[i];
	int rc = 0;
	for (int k = 0; k < l->n_in; k++)
		if (g->tensors[l->in[k]].producer < 0)
			rc |= check_tensor_size(g, l->in[k], l, d);
	for (int o = 0; o < l->n_out; o++)
		rc |= check_tensor_size(g, l->out[o], l, d);
	if (!rc && ck_saturated(op_layer_params(g, l))) {
		diag_add(d, LAYER_LOC(g, l),
			 "network: layer '%s': parameters must be fewer than "
			 "2^53, got more",
			 l->name);
		rc = WS_EINPUT;
	}
	return rc;
}

/* Every name within GRAPH_NAME_MAX (a reader checked the names it read;
 * a composed one may still be longer).  0 or WS_EINPUT (all reported). */
static int names_check(const struct graph *g, struct diag *d)
{
	int rc = WS_OK;
	const char *what = "network name";
	for (int i = -1; i < g->n_layers + g->n_tensors; i++) {
		const char *nm = i < 0		    ? g->name
				 : i < g->n_layers ? g->layers[i].name
						   : g->tensors[i - g->n_layers]
							     .name;
		if (i >= 0)
			what = i < g->n_layers ? "layer name" : "tensor name";
		if (!nm || strlen(nm) <= GRAPH_NAME_MAX)
			continue;
		diag_add(d, g->source, 0, 0,
			 "network: %s '%.60s...' must be at most %d bytes, "
			 "got %zu%s",
			 what, nm, GRAPH_NAME_MAX, strlen(nm),
			 i >= 0 ? " (as composed from blocks and repeats)"
				: "");
		rc = WS_EINPUT;
	}
	return rc;
}

int graph_finish(struct graph *g, struct diag *d)
{
	size_t before = diag_count(d);
	if (names_check(g, d))
		return WS_EINPUT;
	if (g->n_layers == 0) {
		diag_add(d, g->source, 0, 0,
			 "network: '%s' must have at least one layer, got none",
			 g->name);
		return WS_EINPUT;
	}
	int rc = graph_order(g, d);
	if (rc)
		return rc;
	/* Shapes in order; stop at the first failing layer of each chain (a
	 * failed layer's outputs get rank -1 and its consumers stay quiet). */
	char *failed = xcalloc(g->n_tensors + 1, 1);
	for (int i = 0; i < g->n_layers; i++) {
		struct layer *l = &g->layers[i];
		int skip = 0;
		for (int k = 0; k < l->n_in; k++)
			skip |= failed[l->in[k]];
		if (!skip && op_infer_layer(g, i, d) == 0 &&
		    check_sizes(g, i, d) == 0)
			continue;
		for (int o = 0; o < l->n_out; o++)
			failed[l->out[o]] = 1;
	}
	free(failed);
	if (diag_count(d) > before)
		return WS_EINPUT;
	/* Gradients: a tensor needs one when it depends on a parameter. */
	for (int t = 0; t < g->n_tensors; t++)
		g->tensors[t].requires_grad = 0;
	for (int i = 0; i < g->n_layers; i++) {
		struct layer *l = &g->layers[i];
		int rg = 0;
		for (int k = 0; k < l->n_in; k++)
			rg |= g->tensors[l->in[k]].requires_grad;
		l->needs_input_grad = rg;
		if (op_has_params(g->layers[l->param_owner].op))
			rg = 1;
		for (int o = 0; o < l->n_out; o++)
			g->tensors[l->out[o]].requires_grad = rg;
	}
	/* Outputs: tensors nobody reads. */
	char *read = xcalloc(g->n_tensors + 1, 1);
	for (int i = 0; i < g->n_layers; i++)
		for (int k = 0; k < g->layers[i].n_in; k++)
			read[g->layers[i].in[k]] = 1;
	for (int t = 0; t < g->n_tensors; t++)
		if (!read[t] && g->tensors[t].producer >= 0)
			g->tensors[t].is_output = 1;
	free(read);
	return 0;
}
