/*
 * cost.c: FLOPs, bytes and memory per layer and pass (conventions: cost.h).
 *
 * Each layer gets the part every op shares here (activation bytes,
 * parameters, optimizer state and update), then its op's cost rule from
 * op_desc[] (op.c; the rules are in cost_rules.c).
 */
#include "compiler/cost.h"

#include <string.h>

#include "compiler/graph_int.h"

static int64_t tbytes(const struct graph *g, int t)
{
	return tensor_elems(&g->tensors[t]) * dtype_bytes(g->tensors[t].dtype);
}

/* The part of a layer's costs every op shares, then its op's rule. */
static void cost_layer(struct graph *g, int id, enum optimizer opt)
{
	struct layer *l = &g->layers[id];
	struct layer_cost *c = &l->cost;
	memset(c, 0, sizeof(*c));
	for (int k = 0; k < l->n_in; k++)
		c->act_in_bytes += tbytes(g, l->in[k]);
	for (int o = 0; o < l->n_out; o++)
		c->act_out_bytes += tbytes(g, l->out[o]);

	if (l->param_owner == id)
		c->params = op_layer_params(g, l);
	c->weight_bytes = c->params * dtype_bytes(g->param_dtype);
	if (opt == OPT_MOMENTUM)
		c->opt_state_bytes = 4 * c->params;
	else if (opt == OPT_ADAM)
		c->opt_state_bytes = 8 * c->params;
	static const int64_t upd[OPT_COUNT] = {COST_SGD_FLOPS_PER_PARAM,
					       COST_MOMENTUM_FLOPS_PER_PARAM,
					       COST_ADAM_FLOPS_PER_PARAM};
	c->ew_flops[PASS_UPDATE] =
		c->params * upd[(unsigned)opt < OPT_COUNT ? opt : OPT_SGD];

	if ((unsigned)l->op < OP_COUNT && op_desc[l->op].cost)
		op_desc[l->op].cost(g, l, &op_desc[l->op], c);
}

void cost_count(struct graph *g, enum optimizer opt)
{
	g->opt = opt;
	for (int i = 0; i < g->n_layers; i++)
		cost_layer(g, i, opt);
}

void cost_totals(const struct graph *g, struct cost_totals *t)
{
	memset(t, 0, sizeof(*t));
	t->n_layers = g->n_layers;
	for (int i = 0; i < g->n_layers; i++) {
		const struct layer_cost *c = &g->layers[i].cost;
		t->params += c->params;
		t->buffers += c->buffers;
		for (int p = 0; p < PASS_COUNT; p++) {
			t->mat_flops[p] += c->mat_flops[p];
			t->ew_flops[p] += c->ew_flops[p];
		}
		t->weight_bytes += c->weight_bytes;
		t->opt_state_bytes += c->opt_state_bytes;
		t->act_in_bytes += c->act_in_bytes;
		t->act_out_bytes += c->act_out_bytes;
		t->saved_bytes += c->saved_bytes;
	}
	t->grad_bytes = t->weight_bytes;
	t->opt = g->opt;
	for (int i = 0; i < g->n_tensors; i++) {
		const struct tensor *x = &g->tensors[i];
		int64_t bytes = tensor_elems(x) * dtype_bytes(x->dtype);
		if (x->producer < 0 && x->is_input)
			t->input_bytes += bytes;
		if (x->is_output)
			t->output_bytes += bytes;
	}
}

int64_t cost_infer_mat_flops_per_sample(const struct cost_totals *t)
{
	return t->mat_flops[PASS_FWD];
}

int64_t cost_infer_flops_per_sample(const struct cost_totals *t)
{
	return t->mat_flops[PASS_FWD] + t->ew_flops[PASS_FWD];
}

int64_t cost_train_mat_flops_per_sample(const struct cost_totals *t)
{
	return t->mat_flops[PASS_FWD] + t->mat_flops[PASS_BWD_DATA] +
	       t->mat_flops[PASS_BWD_WEIGHT];
}

int64_t cost_train_flops_per_sample(const struct cost_totals *t)
{
	int64_t s = 0;
	for (int p = PASS_FWD; p <= PASS_BWD_WEIGHT; p++)
		s += t->mat_flops[p] + t->ew_flops[p];
	return s;
}

int64_t cost_infer_flops_per_batch(const struct cost_totals *t, int64_t batch)
{
	return batch * cost_infer_flops_per_sample(t);
}

int64_t cost_infer_mat_flops_per_batch(const struct cost_totals *t,
				       int64_t batch)
{
	return batch * cost_infer_mat_flops_per_sample(t);
}

int64_t cost_train_flops_per_batch(const struct cost_totals *t, int64_t batch)
{
	return batch * cost_train_flops_per_sample(t) +
	       t->mat_flops[PASS_UPDATE] + t->ew_flops[PASS_UPDATE];
}

int64_t cost_train_mat_flops_per_batch(const struct cost_totals *t,
				       int64_t batch)
{
	return batch * cost_train_mat_flops_per_sample(t);
}

int64_t cost_train_memory_bytes(const struct cost_totals *t, int64_t batch)
{
	return t->weight_bytes + t->grad_bytes + t->opt_state_bytes +
	       batch * t->saved_bytes;
}

static const char *const opt_names[OPT_COUNT] = {"sgd", "momentum", "adam"};

const char *optimizer_name(enum optimizer opt)
{
	return (unsigned)opt < OPT_COUNT ? opt_names[opt] : "?";
}

int optimizer_parse(const char *s)
{
	for (int i = 0; i < OPT_COUNT; i++)
		if (!strcmp(s, opt_names[i]))
			return i;
	return -1;
}
