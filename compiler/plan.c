/* plan.c: the plan value's lifecycle, names and summary. See plan.h. */
#include "compiler/plan.h"

#include "compiler/map_share.h"
#include "compiler/plan_estimate.h"

#include <stdlib.h>
#include <string.h>

#include "fabric/timing.h"
#include "ground/util.h"

void plan_init(struct plan *p)
{
	memset(p, 0, sizeof(*p));
	p->bottleneck_stage = -1;
}

void plan_release(struct plan *p)
{
	free(p->network);
	free(p->machine);
	free(p->strategy);
	for (int i = 0; i < p->n_stages; i++)
		free(p->stages[i].name);
	free(p->stages);
	for (int i = 0; i < p->n_routes; i++)
		free(p->routes[i].points);
	free(p->routes);
	plan_init(p);
}

static const char *const mode_names[] = {"auto", "pipelined", "streaming",
					 NULL};
static const char *const kind_names[] = {
	"dense",     "conv",	    "matmul", "attention",
	"embedding", "elementwise", "loss",   NULL};
static const char *const pass_names[] = {"fwd", "bwd_data", "bwd_weight",
					 "update", NULL};
static const char *const prec_names[] = {"fp32", "mixed", "fp16", NULL};

static int find_name(const char *const *names, const char *s)
{
	for (int i = 0; names[i]; i++)
		if (s && strcmp(names[i], s) == 0)
			return i;
	return -1;
}

const char *plan_mode_name(enum exec_mode m)
{
	return (unsigned)m < 3 ? mode_names[m] : "?";
}
const char *plan_kind_name(enum kernel_kind k)
{
	return (unsigned)k < KERNEL_COUNT ? kind_names[k] : "?";
}
const char *plan_pass_name(enum pass p)
{
	return (unsigned)p < PASS_COUNT ? pass_names[p] : "?";
}
const char *plan_prec_name(enum pe_prec p)
{
	return (unsigned)p < PREC_COUNT ? prec_names[p] : "?";
}
int plan_mode_from_name(const char *s)
{
	return find_name(mode_names, s);
}
int plan_kind_from_name(const char *s)
{
	return find_name(kind_names, s);
}
int plan_pass_from_name(const char *s)
{
	return find_name(pass_names, s);
}
int plan_prec_from_name(const char *s)
{
	return find_name(prec_names, s);
}

static const char *const route_kind_names[ROUTE_KIND_COUNT] = {
	"sample", "grad_sync", "weight_sync"};

const char *plan_route_kind_name(int k)
{
	return k >= 0 && k < ROUTE_KIND_COUNT ? route_kind_names[k] : "?";
}

int plan_route_kind_from_name(const char *s)
{
	for (int i = 0; i < ROUTE_KIND_COUNT; i++)
		if (s && strcmp(s, route_kind_names[i]) == 0)
			return i;
	return -1;
}

int plan_find_stage(const struct plan *p, const char *name)
{
	for (int i = 0; i < p->n_stages; i++)
		if (strcmp(p->stages[i].name, name) == 0)
			return i;
	return -1;
}

void plan_tally(struct plan *p, const struct machine *m)
{
	p->pes_used = 0;
	p->bottleneck_stage = -1;
	p->bottleneck_cycles = 0;
	p->max_sram_bytes = 0;
	p->min_pes_total = 0;
	int shared = map_share_any(p);
	for (int i = 0; i < p->n_stages; i++) {
		const struct plan_stage *s = &p->stages[i];
		/* a time-shared stage's rectangle is its host's */
		int64_t a = map_share_guest(p, i) ? 0 : (int64_t)s->r.w * s->r.h;
		/* streaming stages share the whole wafer: count it once */
		if (p->mode != MODE_STREAMING || a > p->pes_used)
			p->pes_used =
				p->mode == MODE_STREAMING ? a : p->pes_used + a;
		cycles_t pace = shared ? map_share_pace(p, i) : s->stage_cycles;
		if (p->bottleneck_stage < 0 || pace > p->bottleneck_cycles) {
			p->bottleneck_stage = i;
			p->bottleneck_cycles = pace;
		}
		int64_t sram = shared ? map_share_sram(p, i) : s->sram.total;
		if (sram > p->max_sram_bytes)
			p->max_sram_bytes = sram;
		p->min_pes_total += s->min_pes;
	}
	int64_t wbytes = m ? m->fabric.wavelet_bits / 8 : 4;
	p->hop_bytes_per_sample = 0;
	p->host_bytes_per_sample = 0;
	int maxc = -1;
	for (int i = 0; i < p->n_routes; i++) {
		struct plan_route *r = &p->routes[i];
		int64_t hops = 0;
		for (int k = 1; k < r->n_points; k++)
			hops += llabs((long long)r->points[k].x -
				      r->points[k - 1].x) +
				llabs((long long)r->points[k].y -
				      r->points[k - 1].y);
		r->hops = hops;
		p->hop_bytes_per_sample +=
			r->wavelets_per_sample * wbytes * hops;
		if (plan_route_host_input(p, i))
			p->host_bytes_per_sample +=
				r->wavelets_per_sample * wbytes;
		if (r->color > maxc)
			maxc = r->color;
	}
	p->host_cycles_per_sample = m && m->io.bandwidth_gbytes_s > 0
					    ? (double)p->host_bytes_per_sample /
						      m->io.bandwidth_gbytes_s *
						      m->clock_ghz
					    : 0;
	/* colors [0, PLAN_KERNEL_COLORS) are the kernels' own */
	p->colors_used = maxc + 1;
	if (p->n_stages > 0 && p->colors_used < PLAN_KERNEL_COLORS)
		p->colors_used = PLAN_KERNEL_COLORS;
}

void plan_summarise(struct plan *p, const struct machine *m)
{
	plan_tally(p, m);
	if (m) {
		struct plan_est e;
		double t0 = wall_seconds();
		plan_estimate(p, m, &e);
		p->est_eval_s = wall_seconds() - t0;
		p->est_step_cycles = e.step_cycles;
		p->est_infer_cycles = e.infer_cycles;
		snprintf(p->est_limit, sizeof p->est_limit, "%s", e.limit);
	}
}
