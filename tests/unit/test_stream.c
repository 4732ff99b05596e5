/*
 * test_stream.c: weight streaming as the machines do it (issue 12 item 5):
 * micro-batches stream every layer's weights per pass, recomputation runs
 * the forward again, several wafers share the batch through the
 * interconnect, and network rows of `validate wafer`.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/cost.h"
#include "compiler/graph.h"
#include "compiler/place.h"
#include "ground/util.h"
#include "sim/engine.h"
#include "sim/stats.h"
#include "sim/wafer_val.h"
#include "test_util.h"

/* p1b2 streamed on mini64 with the micro-batch and recomputation forced;
 * planned for and run on `wafers` wafers; fills *st (caller releases),
 * the plan's total weight bytes streamed per pass, its passes and (est
 * not NULL) the objective's step. */
static int stream_run(struct machine *m, int64_t mb, int rec, int wafers,
		      struct stats *st, int64_t *wbytes, int64_t *passes,
		      double *est)
{
	struct diag d;
	diag_init(&d);
	struct graph g;
	struct plan p;
	plan_init(&p);
	CU_ASSERT_EQUAL_FATAL(graph_load("p1b2", OPT_MOMENTUM, &g, &d), 0);
	struct plan_opts o;
	plan_opts_init(&o);
	o.mode = MODE_STREAMING;
	o.batch = 60;
	o.micro_batch = mb;
	o.recompute = rec;
	o.wafers = wafers;
	int rc = plan_build(&g, m, &o, &p, &d);
	CU_ASSERT_EQUAL(rc, 0);
	if (rc)
		diag_print(&d, stdout);
	*wbytes = 0;
	for (int i = 0; i < p.n_stages; i++)
		*wbytes += p.stages[i].stream_bytes;
	*passes = (p.batch + p.micro_batch - 1) / p.micro_batch;
	if (est)
		*est = p.est_step_cycles;
	struct engine_opts eo;
	engine_opts_init(&eo);
	eo.wafers = wafers;
	stats_init(st);
	if (!rc)
		rc = engine_run(&p, &g, m, &eo, st, &d);
	CU_ASSERT_EQUAL(rc, 0);
	plan_release(&p);
	graph_release(&g);
	diag_release(&d);
	return rc;
}

/* Every micro-batch pass streams every layer's weights in for forward and
 * again for backward, and its gradients out (accumulated off-wafer): the
 * external memory moves passes x the weights each way, every step. */
static void test_micro_batches(void)
{
	struct machine m;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(machine_load("mini64", &m, &d), 0);
	struct stats a, b;
	int64_t wa, wb, pa, pb;
	if (stream_run(&m, 0, -1, 1, &a, &wa, &pa, NULL) ||
	    stream_run(&m, 7, -1, 1, &b, &wb, &pb, NULL))
		goto out;
	CU_ASSERT_EQUAL(pa, 1);
	CU_ASSERT_EQUAL(b.micro_batch, 7); /* 60 in 9 passes of <= 7 */
	CU_ASSERT_EQUAL(pb, 9);
	CU_ASSERT_EQUAL(wa, wb);
	CU_ASSERT_EQUAL(a.extmem_in_bytes, (int64_t)a.steps * pa * 2 * wa);
	CU_ASSERT_EQUAL(b.extmem_in_bytes, (int64_t)b.steps * pb * 2 * wb);
	CU_ASSERT_EQUAL(b.extmem_out_bytes, (int64_t)b.steps * pb * wb);
	/* the same work, more weight traffic: never faster */
	CU_ASSERT_EQUAL(a.fma, b.fma);
	CU_ASSERT(b.step_cycles >= a.step_cycles);
	printf("\n    p1b2 mini64 b60: one pass %llu cycles, 9 passes %llu\n",
	       (unsigned long long)a.step_cycles,
	       (unsigned long long)b.step_cycles);
out:
	stats_release(&a);
	stats_release(&b);
	diag_release(&d);
}

/* Recomputation runs every recomputed stage's forward again before its
 * backward: the multiply-adds grow by the recomputed forwards. */
static void test_recompute(void)
{
	struct machine m;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(machine_load("mini64", &m, &d), 0);
	struct stats a, b;
	int64_t w, n;
	if (stream_run(&m, 0, -1, 1, &a, &w, &n, NULL) ||
	    stream_run(&m, 0, 1, 1, &b, &w, &n, NULL))
		goto out;
	CU_ASSERT_EQUAL(a.recompute, 0);
	CU_ASSERT_EQUAL(b.recompute, 1);
	int64_t extra = 0;
	for (int i = 0; i < a.n_stages; i++)
		extra += b.stages[i].tasks[PASS_FWD] - a.stages[i].tasks[PASS_FWD];
	CU_ASSERT(b.fma >= a.fma);
	CU_ASSERT(b.step_cycles >= a.step_cycles);
	printf("\n    p1b2 mini64: %lld forward tasks recomputed, step %llu "
	       "-> %llu cycles\n", (long long)extra,
	       (unsigned long long)a.step_cycles,
	       (unsigned long long)b.step_cycles);
out:
	stats_release(&a);
	stats_release(&b);
	diag_release(&d);
}

/* Two wafers, each the batch: the same step but for one switch level of
 * latency each way, so twice the samples per second; an interconnect
 * slower than the external memory slows the weight-bound step.  The
 * objective (plan_estimate_stream.c) streams over the same link as the
 * engine: it moves with the step (equal to it on these plans; 1%
 * allowed). */
static void test_wafers(void)
{
	struct machine m;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(machine_load("mini64", &m, &d), 0);
	struct stats a, b, c;
	int64_t w, n;
	double ea, eb, ec;
	stats_init(&c);
	if (stream_run(&m, 0, -1, 1, &a, &w, &n, &ea) ||
	    stream_run(&m, 0, -1, 2, &b, &w, &n, &eb))
		goto out;
	CU_ASSERT_EQUAL(b.wafers, 2);
	CU_ASSERT(b.step_cycles >= a.step_cycles);
	CU_ASSERT((double)b.step_cycles <= 1.1 * (double)a.step_cycles);
	m.interconnect.bandwidth_gbytes_s = m.extmem.bandwidth_gbytes_s / 4;
	stats_release(&c);
	if (stream_run(&m, 0, -1, 2, &c, &w, &n, &ec))
		goto out;
	CU_ASSERT(c.step_cycles > b.step_cycles);
	printf("\n    p1b2 mini64 b60 step (objective / engine): 1 wafer "
	       "%.0f / %llu, 2 wafers %.0f / %llu, slow interconnect %.0f / "
	       "%llu",
	       ea, (unsigned long long)a.step_cycles, eb,
	       (unsigned long long)b.step_cycles, ec,
	       (unsigned long long)c.step_cycles);
	CU_ASSERT(ec > eb);
	CU_ASSERT(fabs(ea / (double)a.step_cycles - 1) <= 0.01);
	CU_ASSERT(fabs(eb / (double)b.step_cycles - 1) <= 0.01);
	CU_ASSERT(fabs(ec / (double)c.step_cycles - 1) <= 0.01);
out:
	stats_release(&a);
	stats_release(&b);
	stats_release(&c);
	diag_release(&d);
}

/* A network row names a YAML path relative to the measurement file; a
 * malformed row is bad input at its line. */
static void test_network_rows(void)
{
	char *dir = tu_temp_dir();
	char *net = xasprintf("%s/tiny.yaml", dir);
	char *csv = xasprintf("%s/rows.csv", dir);
	FILE *f = fopen(net, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("name: tiny\ninputs:\n  x: [256]\nlayers:\n"
	      "  - {name: fc1, op: dense, units: 256}\n"
	      "  - {name: fc2, op: dense, units: 10}\n"
	      "  - {name: loss, op: cross_entropy}\n", f);
	fclose(f);
	f = fopen(csv, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("# two rows\nnetwork,machine,wafers,mode,dtype,batch,"
	      "samples_per_s,source_id\n"
	      "tiny.yaml,mini64,1,streaming,mixed,64,1000,t1\n"
	      "tiny.yaml,mini64,2,streaming,mixed,64,1000,t2\n", f);
	fclose(f);
	struct wval v;
	struct wval_opts o = {.machine = NULL};
	struct diag d;
	diag_init(&d);
	memset(&v, 0, sizeof(v));
	int rc = wval_file(csv, &o, &v, &d);
	CU_ASSERT_EQUAL(rc, 0);
	if (rc)
		diag_print(&d, stdout);
	CU_ASSERT_EQUAL(v.n, 2);
	CU_ASSERT_EQUAL(v.n_predicted, 2);
	if (v.n_predicted == 2) {
		CU_ASSERT(v.rows[0].predicted > 0);
		/* two wafers, each half the batch */
		CU_ASSERT(v.rows[1].predicted > v.rows[0].predicted);
	}
	wval_release(&v);
	f = fopen(csv, "w");
	fputs("network,machine,wafers,mode,dtype,batch,samples_per_s,"
	      "source_id\ntiny.yaml,mini64,0,streaming,mixed,64,1000,t1\n", f);
	fclose(f);
	diag_clear(&d);
	CU_ASSERT_EQUAL(wval_file(csv, &o, &v, &d), WS_EINPUT);
	CU_ASSERT(diag_contains(&d, "'wafers' must be"));
	CU_ASSERT(diag_contains(&d, ":2"));
	wval_release(&v);
	remove(net);
	remove(csv);
	remove(dir);
	free(net);
	free(csv);
	free(dir);
	diag_release(&d);
}

/* The zoo's weight-streamed networks, from their published architectures:
 * parameters as published, the tied LM head using the token embedding's
 * table (counted once), and a tied head that does not match is an error. */
static void test_zoo_architectures(void)
{
	struct {
		const char *net;
		int64_t lo, hi; /* published parameter count, bounds */
	} nets[] = {{"bert_large", 334000000, 341000000},
		    {"gpt2_small_2048", 124000000, 126000000},
		    {"gptj_6b", 6000000000LL, 6100000000LL}};
	struct diag d;
	diag_init(&d);
	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		struct graph g;
		CU_ASSERT_EQUAL_FATAL(graph_load(nets[i].net, OPT_ADAM, &g, &d), 0);
		struct cost_totals t;
		cost_totals(&g, &t);
		CU_ASSERT(t.params >= nets[i].lo && t.params <= nets[i].hi);
		printf("\n    %-16s %lld parameters", nets[i].net,
		       (long long)t.params);
		for (int l = 0; l < g.n_layers; l++)
			if (!strcmp(g.layers[l].name, "lm_head") &&
			    !strcmp(nets[i].net, "gpt2_small_2048")) {
				const struct layer *o =
					&g.layers[g.layers[l].param_owner];
				CU_ASSERT_STRING_EQUAL(o->name, "tok");
				CU_ASSERT_EQUAL(g.layers[l].cost.params, 0);
			}
		graph_release(&g);
	}
	printf("\n");
	char *bad = tu_temp_file(".yaml",
		"name: untied\ninputs:\n  ids: {shape: [8], dtype: int64}\n"
		"layers:\n"
		"  - {name: tok, op: embedding, vocab: 100, dim: 16, in: ids}\n"
		"  - {name: head, op: dense, units: 99, bias: false, share: tok}\n");
	struct graph g;
	diag_clear(&d);
	CU_ASSERT_NOT_EQUAL(graph_load(bad, OPT_ADAM, &g, &d), 0);
	CU_ASSERT(diag_contains(&d, "must match the layer 'tok'"));
	remove(bad);
	free(bad);
	diag_release(&d);
}

int suite_stream(void);
int suite_stream(void)
{
	static const struct tu_test tests[] = {
		{"micro-batches stream the weights per pass", test_micro_batches},
		{"recomputation runs the forward again", test_recompute},
		{"wafers data-parallel through the interconnect", test_wafers},
		{"validate wafer: network rows", test_network_rows},
		{"zoo: BERT-large, GPT-2 small 2048, GPT-J 6B", test_zoo_architectures},
		{0, 0}};
	return tu_add_suite("stream", tests);
}
