/*
 * cost.c: FLOPs, bytes and memory per layer and pass (conventions: cost.h).
 *
 * Each layer gets the part every op shares here (activation bytes,
 * parameters, optimizer state and update), then its op's cost rule from
 * op_desc[] (op.c; the rules are in cost_rules.c).
 */
#include "compiler/cost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/graph_int.h"
#include "ground/checked.h"
#include "ground/mem.h"

/* Sizes come from input files: products and sums saturate at CK_LIMIT
 * (ground/checked.h, as in the rules of cost_rules.c), and
 * cost_count_checked refuses a layer whose figures reached it. */
#define MUL(a, b) ck_smul((a), (b))
#define ADD(a, b) ck_sadd((a), (b))

static int64_t tbytes(const struct graph *g, int t)
{
	return MUL(tensor_elems(&g->tensors[t]),
		   dtype_bytes(g->tensors[t].dtype));
}

/* The part of a layer's costs every op shares, then its op's rule. */
static void cost_layer(struct graph *g, int id, enum optimizer opt)
{
	struct layer *l = &g->layers[id];
	struct layer_cost *c = &l->cost;
	memset(c, 0, sizeof(*c));
	for (int k = 0; k < l->n_in; k++)
		c->act_in_bytes = ADD(c->act_in_bytes, tbytes(g, l->in[k]));
	for (int o = 0; o < l->n_out; o++)
		c->act_out_bytes = ADD(c->act_out_bytes, tbytes(g, l->out[o]));

	if (l->param_owner == id)
		c->params = op_layer_params(g, l);
	c->weight_bytes = MUL(c->params, dtype_bytes(g->param_dtype));
	if (opt == OPT_MOMENTUM)
		c->opt_state_bytes = MUL(4, c->params);
	else if (opt == OPT_ADAM)
		c->opt_state_bytes = MUL(8, c->params);
	static const int64_t upd[OPT_COUNT] = {COST_SGD_FLOPS_PER_PARAM,
					       COST_MOMENTUM_FLOPS_PER_PARAM,
					       COST_ADAM_FLOPS_PER_PARAM};
	c->ew_flops[PASS_UPDATE] =
		MUL(c->params, upd[(unsigned)opt < OPT_COUNT ? opt : OPT_SGD]);

	if ((unsigned)l->op < OP_COUNT && op_desc[l->op].cost)
		op_desc[l->op].cost(g, l, &op_desc[l->op], c);
}

/* The first figure of a layer that reached CK_LIMIT, or NULL. */
static const char *saturated_figure(const struct layer_cost *c)
{
	static const char *const mat[PASS_COUNT] = {
		"forward matrix FLOPs", "backward (data) matrix FLOPs",
		"backward (weights) matrix FLOPs", "update matrix FLOPs"};
	static const char *const ew[PASS_COUNT] = {
		"forward elementwise FLOPs", "backward (data) elementwise FLOPs",
		"backward (weights) elementwise FLOPs",
		"update elementwise FLOPs"};
	if (ck_saturated(c->params))
		return "parameters";
	const struct {
		const char *name;
		int64_t v;
	} f[] = {{"weight bytes", c->weight_bytes},
		 {"optimizer state bytes", c->opt_state_bytes},
		 {"activation bytes read", c->act_in_bytes},
		 {"activation bytes written", c->act_out_bytes},
		 {"bytes saved for backward", c->saved_bytes},
		 {"buffers", c->buffers}};
	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		if (ck_saturated(f[i].v))
			return f[i].name;
	for (int p = 0; p < PASS_COUNT; p++) {
		if (ck_saturated(c->mat_flops[p]))
			return mat[p];
		if (ck_saturated(c->ew_flops[p]))
			return ew[p];
	}
	return NULL;
}

int cost_count_checked(struct graph *g, enum optimizer opt, struct diag *d)
{
	g->opt = opt;
	int bad = 0;
	int64_t flops = 0, bytes = 0;
	for (int i = 0; i < g->n_layers; i++) {
		const struct layer *l = &g->layers[i];
		cost_layer(g, i, opt);
		const char *q = saturated_figure(&l->cost);
		if (q) {
			if (d)
				diag_add(d, LAYER_LOC(g, l),
					 "network: layer '%s': %s must be less "
					 "than 2^53 (%lld), got more",
					 l->name, q, (long long)CK_LIMIT);
			bad = 1;
			continue;
		}
		/* the totals too (cost_totals adds them up) */
		for (int p = 0; p < PASS_COUNT; p++)
			flops = ADD(flops, ADD(l->cost.mat_flops[p],
					       l->cost.ew_flops[p]));
		bytes = ADD(bytes, ADD(ADD(l->cost.weight_bytes,
					   l->cost.opt_state_bytes),
				       ADD(l->cost.saved_bytes,
					   l->cost.act_out_bytes)));
	}
	if (!bad && (ck_saturated(flops) || ck_saturated(bytes))) {
		if (d)
			diag_add(d, g->source, 0, 0,
				 "network: '%s': %s of all layers must be less "
				 "than 2^53 (%lld) per sample, got more",
				 g->name, ck_saturated(flops) ? "FLOPs" : "bytes",
				 (long long)CK_LIMIT);
		bad = 1;
	}
	return bad ? WS_EINPUT : WS_OK;
}

void cost_count(struct graph *g, enum optimizer opt)
{
	cost_count_checked(g, opt, NULL);
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

/* Figures of a batch saturate at CK_BATCH_LIMIT (ground/checked.h):
 * cost_batch_checked refuses a batch that reaches it. */
#define BMUL(a, b) ck_smul_batch((a), (b))
#define BADD(a, b) ck_sadd_batch((a), (b))

int64_t cost_infer_flops_per_batch(const struct cost_totals *t, int64_t batch)
{
	return BMUL(batch, cost_infer_flops_per_sample(t));
}

int64_t cost_infer_mat_flops_per_batch(const struct cost_totals *t,
				       int64_t batch)
{
	return BMUL(batch, cost_infer_mat_flops_per_sample(t));
}

int64_t cost_train_flops_per_batch(const struct cost_totals *t, int64_t batch)
{
	return BADD(BMUL(batch, cost_train_flops_per_sample(t)),
		    t->mat_flops[PASS_UPDATE] + t->ew_flops[PASS_UPDATE]);
}

int64_t cost_train_mat_flops_per_batch(const struct cost_totals *t,
				       int64_t batch)
{
	return BMUL(batch, cost_train_mat_flops_per_sample(t));
}

int64_t cost_train_memory_bytes(const struct cost_totals *t, int64_t batch)
{
	return BADD(t->weight_bytes + t->grad_bytes + t->opt_state_bytes,
		    BMUL(batch, t->saved_bytes));
}

int cost_batch_checked(const struct graph *g, const struct cost_totals *t,
		       int64_t batch, const char *file, int line, int col,
		       struct diag *d)
{
	char *subject = xasprintf("network '%s'", g->name ? g->name : "?");
	struct ck ck;
	ck_init_batch(&ck, d, file, subject);
	ck.line = line;
	ck.col = col;
	ck_add(&ck, "training FLOPs per batch",
	       ck_mul(&ck, "training FLOPs per batch", batch,
		      cost_train_flops_per_sample(t)),
	       t->mat_flops[PASS_UPDATE] + t->ew_flops[PASS_UPDATE]);
	ck_add(&ck, "training memory per batch",
	       t->weight_bytes + t->grad_bytes + t->opt_state_bytes,
	       ck_mul(&ck, "activations kept for backward per batch", batch,
		      t->saved_bytes));
	ck_mul(&ck, "activations written per batch", batch,
	       t->act_out_bytes);
	free(subject);
	return ck.failed ? WS_EINPUT : WS_OK;
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
