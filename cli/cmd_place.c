/*
 * cmd_place.c: `wafersim place`: map and place a network on a machine's
 * mesh, print the plan's summary, write it (-o), compare strategies
 * (--compare) or validate a hand-edited plan (--check).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "compiler/graph.h"
#include "compiler/place.h"
#include "compiler/plan.h"
#include "compiler/plan_io.h"
#include "machine/machine.h"
#include "ground/util.h"

static const char place_help[] =
	"usage: wafersim place NET --machine M [options]\n\n"
	"Map NET (zoo name or .yaml/.onnx file) onto machine M: kernels per\n"
	"layer, execution mode, rectangle sizes, placement and routes.\n\n"
	"  --machine M         machine preset or file (required)\n"
	"  --strategy S        placement strategy "
	"(default " PLACE_DEFAULT_STRATEGY "; see --list-strategies)\n"
	"  --mode M            auto (default), pipelined or streaming\n"
	"  --batch B           samples per step (default: the network's)\n"
	"  --precision P       fp32, mixed (default) or fp16\n"
	"  --optimizer O       sgd, momentum (default) or adam\n"
	"  --seed N            seed of randomised strategies (default 1)\n"
	"  --time-budget S     wall-clock cap for anneal in seconds (default: "
	"none;\n"
	"                      its budget is counted in moves)\n"
	"  -o, --output FILE   write the plan as YAML (docs/placement.md)\n"
	"  --json              print the summary as JSON on stdout\n"
	"  --compare           one row per strategy, ranked by the "
	"objective (estimated\n"
	"                      step in us, samples/s, predictions/s), PEs, "
	"bottleneck,\n"
	"                      traffic, colors, SRAM, compile time\n"
	"  --check FILE        read a (hand-edited) plan and validate it\n"
	"  --list-strategies   print the strategies and exit\n"
	"\nexample: wafersim place uno --machine wse2 -o uno.plan.yaml\n";

static void print_summary(const struct plan *p, const struct machine *m)
{
	printf("plan for '%s' on '%s' (%lldx%lld PEs), strategy '%s'%s%s%s\n",
	       p->network, p->machine, (long long)p->grid_w,
	       (long long)p->grid_h, p->strategy,
	       p->strategy_note[0] ? " (" : "", p->strategy_note,
	       p->strategy_note[0] ? ")" : "");
	printf("mode: %s\n", p->mode_reason);
	printf("precision %s, batch %lld, samples in flight up to %lld\n\n",
	       plan_prec_name(p->prec), (long long)p->batch,
	       (long long)p->samples_in_flight);
	printf("%-4s %-24s %-11s %-22s %9s %9s %8s %12s\n", "id", "stage",
	       "kind", "rect x,y wxh", "PEs", "min PEs", "SRAM/PE",
	       "cycles/smpl");
	for (int i = 0; i < p->n_stages; i++) {
		const struct plan_stage *s = &p->stages[i];
		char rect[40];
		snprintf(rect, sizeof rect, "%d,%d %dx%d", s->r.x, s->r.y,
			 s->r.w, s->r.h);
		printf("%-4d %-24.24s %-11s %-22s %9lld %9lld %8lld %12llu%s\n",
		       i, s->name, plan_kind_name(s->kind), rect,
		       (long long)s->r.w * s->r.h, (long long)s->min_pes,
		       (long long)s->sram.total,
		       (unsigned long long)s->stage_cycles,
		       i == p->bottleneck_stage ? "  <- bottleneck" : "");
	}
	int64_t total = p->grid_w * p->grid_h;
	printf("\nbottleneck: stage '%s', %llu cycles per sample "
	       "(%.0f samples/s at %.2f GHz)\n",
	       p->bottleneck_stage >= 0 ? p->stages[p->bottleneck_stage].name
					: "-",
	       (unsigned long long)p->bottleneck_cycles,
	       p->bottleneck_cycles
		       ? m->clock_ghz * 1e9 / (double)p->bottleneck_cycles
		       : 0.0,
	       m->clock_ghz);
	printf("host input: %lld B per sample, %.0f cycles at %.0f GB/s%s\n",
	       (long long)p->host_bytes_per_sample, p->host_cycles_per_sample,
	       m->io.bandwidth_gbytes_s,
	       p->host_cycles_per_sample > (double)p->bottleneck_cycles
		       ? " (slower than the bottleneck stage: host I/O sets "
			 "the pace)"
		       : "");
	printf("estimate: %.2f us per step (%.0f samples/s), %.0f "
	       "predictions/s; step set by %s\n",
	       p->est_step_cycles / (m->clock_ghz * 1e3),
	       p->est_step_cycles > 0 ? (double)p->batch * m->clock_ghz * 1e9 /
						p->est_step_cycles
				      : 0.0,
	       p->est_infer_cycles > 0
		       ? m->clock_ghz * 1e9 / p->est_infer_cycles
		       : 0.0,
	       p->est_limit);
	printf("PEs used %lld of %lld (%.1f%%), routes %d, colors used %d of "
	       "%lld, hop-bytes per sample %lld, largest SRAM per PE %lld of "
	       "%lld B, compile %.3f s\n",
	       (long long)p->pes_used, (long long)total,
	       100.0 * (double)p->pes_used / (double)total, p->n_routes,
	       p->colors_used, (long long)m->fabric.colors,
	       (long long)p->hop_bytes_per_sample, (long long)p->max_sram_bytes,
	       (long long)m->pe.sram_bytes, p->compile_s);
}

/* One row of --compare: the strategy's plan ranked by the objective. */
static void compare_row(const char *name, const struct plan *p,
			const struct machine *m, int rank)
{
	int64_t tot = p->grid_w * p->grid_h;
	double us = p->est_step_cycles / (m->clock_ghz * 1e3);
	printf("%-4d %-8s %-9s %10.2f %11.0f %11.0f %6.1f%% %12llu "
	       "%-20.20s %14lld %6d %9lld %9.3f\n",
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
}

/* Every strategy's plan, ranked by the objective (the estimated step, in
 * run's units), failures last. */
static int compare(const struct graph *g, const struct machine *m,
		   const struct plan_opts *o, int json)
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
		/* insertion by (built, estimated step), stable */
		int at = i;
		while (at > 0 &&
		       (ok[i] > ok[order[at - 1]] ||
			(ok[i] && ok[order[at - 1]] &&
			 ps[i].est_step_cycles <
				 ps[order[at - 1]].est_step_cycles))) {
			order[at] = order[at - 1];
			at--;
		}
		order[at] = i;
	}
	if (json)
		printf("[");
	else
		printf("%-4s %-8s %-9s %10s %11s %11s %7s %12s %-20s %14s %6s "
		       "%9s %9s\n",
		       "rank", "strategy", "mode", "us/step", "samples/s",
		       "predict/s", "PEs", "bottleneck", "(stage)",
		       "hop-B/sample", "colors", "SRAM/PE", "compile_s");
	for (int k = 0; k < n; k++) {
		int i = order[k];
		if (json) {
			if (k)
				printf(", ");
			if (!ok[i])
				printf("{\"strategy\": \"%s\", \"error\": "
				       "true}",
				       all[i]->name);
			else
				plan_write_json(&ps[i], stdout);
		} else if (!ok[i]) {
			printf("%-4s %-8s failed: %s\n", "-", all[i]->name,
			       why[i]);
		} else {
			compare_row(all[i]->name, &ps[i], m, k + 1);
		}
		plan_release(&ps[i]);
		free(why[i]);
	}
	if (json)
		printf("]\n");
	else
		printf("ranked by the objective: the estimated training step "
		       "(docs/placement.md, \"The objective\")\n");
	free(ps);
	free(ok);
	free(order);
	free(why);
	return rc;
}

int cmd_place(int argc, char **argv)
{
	static const struct option opts[] = {
		{"machine", required_argument, 0, 'm'},
		{"strategy", required_argument, 0, 's'},
		{"mode", required_argument, 0, 'M'},
		{"batch", required_argument, 0, 'b'},
		{"precision", required_argument, 0, 'p'},
		{"optimizer", required_argument, 0, 'O'},
		{"seed", required_argument, 0, 'S'},
		{"time-budget", required_argument, 0, 't'},
		{"output", required_argument, 0, 'o'},
		{"json", no_argument, 0, 'j'},
		{"compare", no_argument, 0, 'c'},
		{"check", required_argument, 0, 'k'},
		{"list-strategies", no_argument, 0, 'L'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0}};
	const char *mname = NULL, *out = NULL, *check = NULL;
	int json = 0, cmp = 0;
	struct plan_opts o;
	plan_opts_init(&o);
	long v;
	double dv;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': mname = optarg; break;
		case 's': o.strategy = optarg; break;
		case 'M': {
			int mm = plan_mode_from_name(optarg);
			if (mm < 0)
				return cli_usage_error(
					"place",
					"'--mode' must be auto, pipelined or "
					"streaming, got '%s'",
					optarg);
			o.mode = (enum exec_mode)mm;
			break;
		}
		case 'b':
			if (cli_parse_long("place", "--batch", optarg, 1,
					   1L << 30, &v))
				return EXIT_USAGE;
			o.batch = v;
			break;
		case 'p': {
			int pp = plan_prec_from_name(optarg);
			if (pp < 0)
				return cli_usage_error(
					"place",
					"'--precision' must be fp32, mixed or "
					"fp16, got '%s'",
					optarg);
			o.prec = (enum pe_prec)pp;
			break;
		}
		case 'O':
			if (!strcmp(optarg, "sgd"))
				o.opt = OPT_SGD;
			else if (!strcmp(optarg, "momentum"))
				o.opt = OPT_MOMENTUM;
			else if (!strcmp(optarg, "adam"))
				o.opt = OPT_ADAM;
			else
				return cli_usage_error("place",
						       "'--optimizer' must be "
						       "sgd, momentum or "
						       "adam, got '%s'",
						       optarg);
			break;
		case 'S':
			if (cli_parse_long("place", "--seed", optarg, 0,
					   2147483647L, &v))
				return EXIT_USAGE;
			o.seed = (uint64_t)v;
			break;
		case 't':
			if (cli_parse_double("place", "--time-budget", optarg,
					     0.001, 86400, &dv))
				return EXIT_USAGE;
			o.time_budget_s = dv;
			break;
		case 'o': out = optarg; break;
		case 'j': json = 1; break;
		case 'c': cmp = 1; break;
		case 'k': check = optarg; break;
		case 'L': {
			int n;
			const struct place_strategy *const *all =
				place_strategies(&n);
			for (int i = 0; i < n; i++)
				printf("%-8s %s\n", all[i]->name, all[i]->doc);
			return EXIT_OK;
		}
		case 'h': fputs(place_help, stdout); return EXIT_OK;
		default:
			return cli_usage_error("place", "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("place", "expected one network, got %d",
				       argc - optind);
	if (!mname)
		return cli_usage_error("place", "'--machine' is required");
	if (o.strategy && !place_find_strategy(o.strategy))
		return cli_usage_error("place",
				       "'--strategy' must be a known strategy "
				       "(--list-strategies), got '%s'",
				       o.strategy);
	struct diag d;
	diag_init(&d);
	struct machine m;
	struct graph g;
	int rc = machine_load(mname, &m, &d);
	if (rc) {
		int r = cli_fail(&d, rc);
		diag_release(&d);
		return r;
	}
	rc = graph_load(argv[optind], o.opt, &g, &d);
	if (rc) {
		int r = cli_fail(&d, rc);
		diag_release(&d);
		return r;
	}
	int ex = EXIT_OK;
	struct plan p;
	plan_init(&p);
	if (cmp) {
		ex = compare(&g, &m, &o, json);
	} else {
		rc = check ? plan_load(check, &g, &m, &p, &d)
			   : plan_build(&g, &m, &o, &p, &d);
		if (!rc && out)
			rc = plan_save(&p, &g, out, &d);
		if (rc) {
			ex = cli_fail(&d, rc);
		} else if (json) {
			plan_write_json(&p, stdout);
		} else if (!out || strcmp(out, "-") != 0) {
			if (check)
				printf("%s: plan is valid\n", check);
			print_summary(&p, &m);
		}
	}
	plan_release(&p);
	graph_release(&g);
	diag_release(&d);
	return ex;
}
