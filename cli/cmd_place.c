/*
 * cmd_place.c: `wafersim place`: map and place a network on a machine's
 * mesh, print the plan's summary, write it (-o), compare strategies
 * (--compare) or validate a hand-edited plan (--check).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opt.h"
#include "compiler/graph.h"
#include "compiler/place.h"
#include "compiler/plan.h"
#include "compiler/plan_io.h"
#include "compiler/size.h"
#include "sim/engine.h"
#include "machine/machine.h"
#include "ground/util.h"

static const char *const place_options[] = {
	"machine", "set", "strategy", "mode", "batch", "precision",
	"optimizer", "seed", "time-budget", "sharing", "wafers", "job", "output",
	"json", "compare",
	"simulate", "check", "list-strategies",
	NULL};

static const struct cli_command place_cmd = {
	"place", "NET [--machine M] [options]",
	"Map NET (zoo name or .yaml/.onnx file) onto machine M: kernels per\n"
	"layer, execution mode, rectangle sizes, placement and routes.  With\n"
	"-o, the plan is written as YAML (docs/placement.md) for hand edits\n"
	"and 'wafersim run --plan'; '--job infer' compiles it for inference\n"
	"(each dense stage's kernel picked for the forward alone).  --compare: one row per strategy, ranked\n"
	"by the objective (estimated step in us, samples/s, predictions/s),\n"
	"PEs, slowest stage, traffic, colors, SRAM, compile time.",
	place_options,
	"example: wafersim place uno --machine wse2 -o uno.plan.yaml\n", 0, 1, NULL};

/* The pace against the work-proportional bound (compiler/size.h). */
static void print_bound(const struct plan *p, const struct graph *g,
			const struct machine *m)
{
	if (p->mode != MODE_PIPELINED)
		return;
	struct size_bound b;
	size_bound(g, m, p, "auto", &b);
	double r = b.bound_cycles > 0
			   ? (double)p->bottleneck_cycles / b.bound_cycles
			   : 0;
	printf("work-proportional bound: %.0f cycles per sample (work %.0f "
	       "PE-cycles per sample over %lld PEs: %.1f; slowest stage's "
	       "floor '%s' %.0f; arithmetic alone %.1f); pace %.2fx it%s\n",
	       b.bound_cycles, b.work_pe_cycles, (long long)machine_pes(m),
	       b.spread_cycles,
	       b.floor_stage >= 0 ? p->stages[b.floor_stage].name : "-",
	       b.floor_cycles, b.arith_cycles, r,
	       !size_rule_applies(p)	 ? ""
	       : r <= SIZE_BOUND_FACTOR ? ", within 2x with >= 10% of PEs idle"
					 : ", ABOVE 2x with >= 10% of PEs idle");
}

static void print_summary(const struct plan *p, const struct graph *g,
			  const struct machine *m)
{
	printf("plan for '%s' on '%s' (%lldx%lld PEs), strategy '%s'%s%s%s\n",
	       p->network, p->machine, (long long)p->grid_w,
	       (long long)p->grid_h, p->strategy,
	       p->strategy_note[0] ? " (" : "", p->strategy_note,
	       p->strategy_note[0] ? ")" : "");
	printf("mode: %s\n", p->mode_reason);
	if (p->share_note[0])
		printf("shared layers: %s\n", p->share_note);
	printf("precision %s, batch %lld", plan_prec_name(p->prec),
	       (long long)p->batch);
	if (p->wafers > 1)
		printf(" on each of %lld wafers (data-parallel, %lld per "
		       "step)", (long long)p->wafers,
		       (long long)(p->batch * p->wafers));
	if (p->job == PLAN_JOB_INFER)
		printf(", compiled for inference");
	printf(", samples in flight up to %lld\n\n",
	       (long long)p->samples_in_flight);
	printf("%-4s %-24s %-11s %-22s %9s %9s %8s %12s\n", "id", "stage",
	       "kind", "rect x,y wxh", "PEs", "min PEs", "SRAM/PE",
	       "cycles/smpl");
	for (int i = 0; i < p->n_stages; i++) {
		const struct plan_stage *s = &p->stages[i];
		char rect[40], kind[32];
		snprintf(rect, sizeof rect, "%d,%d %dx%d", s->r.x, s->r.y,
			 s->r.w, s->r.h);
		/* sample copies (plan.h): "dense x2" */
		snprintf(kind, sizeof kind, "%s", plan_kind_name(s->kind));
		if (s->copies > 1)
			snprintf(kind, sizeof kind, "%s x%d",
				 plan_kind_name(s->kind), s->copies);
		printf("%-4d %-24.24s %-11s %-22s %9lld %9lld %8lld %12llu%s\n",
		       i, s->name, kind, rect,
		       (long long)s->r.w * s->r.h, (long long)s->min_pes,
		       (long long)s->sram.total,
		       (unsigned long long)s->stage_cycles,
		       i == p->bottleneck_stage ? "  <- slowest" : "");
	}
	int64_t total = p->grid_w * p->grid_h;
	/* a pipelined training plan's inference is not what run's default
	 * job infers on (a plan of its own, compiled for inference) */
	int own = p->job != PLAN_JOB_INFER && p->mode == MODE_PIPELINED;
	printf("\nestimate: %.2f us per step (%.0f samples/s), %.0f "
	       "predictions/s%s\n",
	       p->est_step_cycles / (m->clock_ghz * 1e3),
	       p->est_step_cycles > 0 ? (double)p->batch * m->clock_ghz * 1e9 /
						p->est_step_cycles
				      : 0.0,
	       p->est_infer_cycles > 0
		       ? m->clock_ghz * 1e9 / p->est_infer_cycles
		       : 0.0,
	       own ? " on this plan ('run' infers on a plan compiled for "
		     "inference: place --job infer)"
		   : "");
	/* what sets the step, named as run names its bottleneck (the
	 * estimate's, by the engine's rules: compiler/plan_estimate.h);
	 * the slowest stage by the sizing's pace beside it */
	printf("bottleneck: %s%s\n", p->est_limit,
	       p->job == PLAN_JOB_INFER ? ", of its training step" : "");
	printf("slowest stage: '%s', %llu cycles per sample as sized (the "
	       "table's pace; %.0f samples/s at %.2f GHz)\n",
	       p->bottleneck_stage >= 0 ? p->stages[p->bottleneck_stage].name
					: "-",
	       (unsigned long long)p->bottleneck_cycles,
	       p->bottleneck_cycles
		       ? m->clock_ghz * 1e9 / (double)p->bottleneck_cycles
		       : 0.0,
	       m->clock_ghz);
	printf("host input: %lld B per sample, %.0f cycle%s at %.0f GB/s%s\n",
	       (long long)p->host_bytes_per_sample, p->host_cycles_per_sample,
	       fabs(p->host_cycles_per_sample - 1) < 0.5 ? "" : "s",
	       m->io.bandwidth_gbytes_s,
	       p->host_cycles_per_sample > (double)p->bottleneck_cycles
		       ? " (slower than the slowest stage)"
		       : "");
	printf("PEs used %lld of %lld (%.1f%%), routes %d, colors used %d of "
	       "%lld, hop-bytes per sample %lld, largest SRAM per PE %lld of "
	       "%lld B, compile %.3f s\n",
	       (long long)p->pes_used, (long long)total,
	       100.0 * (double)p->pes_used / (double)total, p->n_routes,
	       p->colors_used, (long long)m->fabric.colors,
	       (long long)p->hop_bytes_per_sample, (long long)p->max_sram_bytes,
	       (long long)m->pe.sram_bytes, p->compile_s);
	print_bound(p, g, m);
}

/* One row of --compare: the strategy's plan ranked by the objective. */
static void compare_row(const char *name, const struct plan *p,
			const struct machine *m, int rank, double sim_us)
{
	int64_t tot = p->grid_w * p->grid_h;
	double us = p->est_step_cycles / (m->clock_ghz * 1e3);
	printf("%-4d %-8s %-9s %10.2f %11.0f %11.0f %6.1f%% %12llu "
	       "%-20.20s %14lld %6d %9lld %9.3f",
	       rank, name, plan_mode_name(p->mode), us,
	       us > 0 ? (double)p->batch / us * 1e6 : 0.0,
	       p->est_infer_cycles > 0
		       ? m->clock_ghz * 1e9 / p->est_infer_cycles
		       : 0.0,
	       100.0 * (double)p->pes_used / (double)tot,
	       (unsigned long long)p->bottleneck_cycles,
	       p->bottleneck_stage >= 0 ? p->stages[p->bottleneck_stage].name
					: "-",
	       (long long)p->hop_bytes_per_sample, p->colors_used,
	       (long long)p->max_sram_bytes, p->compile_s);
	if (sim_us > 0)
		printf(" %12.2f %+8.1f%%\n", sim_us, 100 * (us / sim_us - 1));
	else
		printf(sim_us < 0 ? "\n" : " %12s\n", "failed");
}

/* --simulate: the plan's training step as `run` simulates it (2 steps,
 * the last's), in us; 0 when the engine refuses it. */
static double simulated_us(const struct graph *g, const struct machine *m,
			   const struct plan *p)
{
	struct engine_opts eo;
	engine_opts_init(&eo);
	eo.job = ENGINE_TRAIN;
	eo.batch = p->batch;
	eo.steps = 2;
	struct stats st;
	stats_init(&st);
	struct diag d;
	diag_init(&d);
	int rc = engine_run(p, g, m, &eo, &st, &d);
	double us = rc ? 0 : (double)st.step_cycles / (m->clock_ghz * 1e3);
	stats_release(&st);
	diag_release(&d);
	return us;
}

/* The bound on a plan's pace, when pipelined (compiler/size.h). */
static void set_bound(const struct graph *g, const struct machine *m,
		      struct plan *p)
{
	struct size_bound b;
	size_bound(g, m, p, "auto", &b);
	p->work_bound_cycles = b.bound_cycles;
}

/* One --compare --json element: the plan's JSON with its rank (and, with
 * --simulate, the simulated step and the objective's error against it),
 * or the strategy's error. */
static json_t *compare_json(const struct graph *g, const struct machine *m,
			    struct plan *p, int ok, const char *name,
			    const char *why, int rank, int simulate)
{
	if (!ok) {
		json_t *e = ws_json_obj();
		ws_json_set_str(e, "strategy", name);
		ws_json_set(e, "error", json_true());
		ws_json_set_str(e, "message", why ? why : "?");
		return e;
	}
	set_bound(g, m, p);
	json_t *o = plan_json(p);
	ws_json_set_int(o, "rank", rank);
	if (simulate) {
		double us = p->est_step_cycles / (m->clock_ghz * 1e3);
		double sim = simulated_us(g, m, p);
		if (sim > 0) {
			ws_json_set_real(o, "est_step_us", round(us * 100) / 100);
			ws_json_set_real(o, "sim_step_us", round(sim * 100) / 100);
			ws_json_set_real(o, "objective_error",
					 round((us / sim - 1) * 1000) / 1000);
		} else {
			ws_json_set(o, "sim_step_us", json_null());
		}
	}
	return o;
}

/* Every strategy's plan, ranked by the objective (the estimated step, or
 * an inference plan's inference of its batch: plan_cost), failures last. */
static int compare(const struct graph *g, const struct machine *m,
		   const struct plan_opts *o, int json, int simulate)
{
	int n;
	const struct place_strategy *const *all = place_strategies(&n);
	struct plan *ps = xcalloc((size_t)n + 1, sizeof(*ps));
	int *ok = xcalloc((size_t)n + 1, sizeof(int));
	int *order = xcalloc((size_t)n + 1, sizeof(int));
	char **why = xcalloc((size_t)n + 1, sizeof(char *));
	int rc = EXIT_OK;
	for (int i = 0; i < n; i++) {
		struct plan_opts oi = *o;
		oi.strategy = all[i]->name;
		struct diag d;
		plan_init(&ps[i]);
		diag_init(&d);
		ok[i] = plan_build(g, m, &oi, &ps[i], &d) == 0;
		if (!ok[i]) {
			why[i] = xstrdup(diag_text(&d, 0) ? diag_text(&d, 0)
							  : "?");
			rc = EXIT_INPUT;
		}
		diag_release(&d);
		/* insertion by (built, objective), stable */
		int at = i;
		while (at > 0 &&
		       (ok[i] > ok[order[at - 1]] ||
			(ok[i] && ok[order[at - 1]] &&
			 plan_cost(&ps[i], m) <
				 plan_cost(&ps[order[at - 1]], m)))) {
			order[at] = order[at - 1];
			at--;
		}
		order[at] = i;
	}
	if (!json)
		printf("%-4s %-8s %-9s %10s %11s %11s %7s %12s %-20s %14s %6s "
		       "%9s %9s%s\n",
		       "rank", "strategy", "mode", "us/step", "samples/s",
		       "predict/s", "PEs", "slowest", "(stage)",
		       "hop-B/sample", "colors", "SRAM/PE", "compile_s",
		       simulate ? "  sim us/step objective" : "");
	json_t *arr = json ? ws_json_arr() : NULL;
	for (int k = 0; k < n; k++) {
		int i = order[k];
		if (json) {
			ws_json_push(arr, compare_json(g, m, &ps[i], ok[i],
						       all[i]->name, why[i],
						       k + 1, simulate));
		} else if (!ok[i]) {
			printf("%-4s %-8s failed: %s\n", "-", all[i]->name,
			       why[i]);
		} else {
			compare_row(all[i]->name, &ps[i], m, k + 1,
				    simulate ? simulated_us(g, m, &ps[i]) : -1);
		}
		plan_release(&ps[i]);
		free(why[i]);
	}
	if (json)
		ws_json_write(stdout, arr, WS_JSON_INDENT);
	else if (o->job == PLAN_JOB_INFER)
		printf("ranked by the objective: the estimated predictions/s "
		       "of a stream (the interval; the first sample's latency "
		       "spread over %d predictions: docs/placement.md, \"The "
		       "objective\"); us/step, samples/s: this plan's "
		       "training step\n", PLAN_INFER_STREAM);
	else
		printf("ranked by the objective: the estimated training step "
		       "(docs/placement.md, \"The objective\"); predict/s: "
		       "this plan's inference ('run' infers on a plan of its "
		       "own: place --job infer)\n");
	free(ps);
	free(ok);
	free(order);
	free(why);
	return rc;
}

static void list_strategies(void)
{
	int n;
	const struct place_strategy *const *all = place_strategies(&n);
	for (int i = 0; i < n; i++)
		printf("%-8s %s\n", all[i]->name, all[i]->doc);
}

/* One plan: built, or read and checked (--check); written (-o); printed. */
static int place_one(const struct cli_opts *o, const struct graph *g,
		     const struct machine *m, const struct plan_opts *po,
		     struct diag *d)
{
	struct plan p;
	plan_init(&p);
	/* --check with --wafers: the file's count must be it */
	int rc = o->check ? plan_load_wafers(o->check, g, m,
					     cli_given(o, "wafers") ? o->wafers
								    : 0,
					     &p, d)
			  : plan_build(g, m, po, &p, d);
	if (!rc && o->output)
		rc = plan_save(&p, g, o->output, d);
	int ex = EXIT_OK;
	if (rc) {
		ex = cli_fail(d, rc);
	} else if (o->json) {
		set_bound(g, m, &p);
		plan_write_json(&p, stdout);
	} else if (!o->output || strcmp(o->output, "-") != 0) {
		if (o->check)
			printf("%s: plan is valid\n", o->check);
		print_summary(&p, g, m);
	}
	plan_release(&p);
	return ex;
}

static int place_steps(const struct cli_opts *o, struct diag *d)
{
	struct plan_opts po;
	cli_plan_opts(o, &po);
	struct machine m;
	struct graph g;
	int rc = cli_load_machine(o, &m, d);
	if (!rc)
		rc = graph_load(o->args[0], o->optimizer, &g, d);
	if (rc)
		return cli_fail(d, rc);
	cli_plan_wafers(o, g.default_batch, &po);
	int ex = o->compare ? compare(&g, &m, &po, o->json, o->simulate)
			    : place_one(o, &g, &m, &po, d);
	graph_release(&g);
	return ex;
}

int cmd_place(int argc, char **argv)
{
	struct cli_opts o;
	cli_opts_init(&o);
	int pr = cli_parse(&place_cmd, argc, argv, &o);
	if (pr != CLI_GO)
		return cli_parse_exit(pr);
	if (o.list_strategies) {
		list_strategies();
		return EXIT_OK;
	}
	if (o.n_args != 1)
		return cli_usage_error("place", "a network is required");
	if (strcmp(o.strategy, PLACE_AUTO) && !place_find_strategy(o.strategy))
		return cli_usage_error("place", "'--strategy' must be a known "
				       "strategy (--list-strategies), got '%s'",
				       o.strategy);
	struct diag d;
	diag_init(&d);
	int ex = place_steps(&o, &d);
	diag_release(&d);
	cli_opts_release(&o);
	return ex;
}
