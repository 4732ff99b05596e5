/*
 * map_share.c: shared weights run in turn: which stages may be, the
 * choice applied to a plan, and the objective's term (map_share.h).
 */
#include "compiler/map_share.h"

#include <string.h>

static const char *const share_names[SHARE_COUNT] = {"replicas",
						     "time_shared"};

const char *map_share_name(int sharing)
{
	return sharing >= 0 && sharing < SHARE_COUNT ? share_names[sharing]
						     : "?";
}

int map_share_from_name(const char *s)
{
	for (int i = 0; s && i < SHARE_COUNT; i++)
		if (strcmp(s, share_names[i]) == 0)
			return i;
	return -1;
}

/* The stage holding layer l, or -1. */
static int stage_of(const struct plan *p, int l)
{
	for (int i = 0; i < p->n_stages; i++)
		for (int k = 0; k < p->stages[i].n_layers; k++)
			if (p->stages[i].layers[k] == l)
				return i;
	return -1;
}

int map_share_owner(const struct graph *g, const struct plan *p, int s)
{
	if (!g || s < 0 || s >= p->n_stages || p->mode == MODE_STREAMING)
		return -1;
	const struct plan_stage *st = &p->stages[s];
	int owner = -1;
	for (int k = 0; k < st->n_layers; k++) {
		int l = st->layers[k];
		if (l < 0 || l >= g->n_layers)
			continue;
		int ow = g->layers[l].param_owner;
		if (ow < 0 || ow == l || ow >= g->n_layers)
			continue;
		int o = stage_of(p, ow);
		if (o < 0 || o == s || (owner >= 0 && o != owner))
			return -1; /* weights of several stages, or its own */
		owner = o;
	}
	/* a host runs on its own rectangle: no chains of guests */
	if (owner >= 0 && map_share_owner(g, p, owner) >= 0)
		return -1;
	return owner;
}

int map_share_set(const struct graph *g, struct plan *p,
		  const unsigned char *time)
{
	int n = 0;
	for (int i = 0; i < p->n_stages; i++) {
		int o = map_share_owner(g, p, i);
		p->stages[i].sharing = SHARE_REPLICAS;
		p->stages[i].host = 0;
		if (o < 0)
			continue;
		n++;
		if (time && time[i]) {
			p->stages[i].sharing = SHARE_TIME;
			p->stages[i].host = o;
		}
	}
	return n;
}

int map_share_guest(const struct plan *p, int s)
{
	return s >= 0 && s < p->n_stages &&
	       p->stages[s].sharing == SHARE_TIME &&
	       p->stages[s].host >= 0 && p->stages[s].host < p->n_stages &&
	       p->stages[s].host != s;
}

int map_share_any(const struct plan *p)
{
	for (int i = 0; i < p->n_stages; i++)
		if (map_share_guest(p, i))
			return 1;
	return 0;
}

int map_share_root(const struct plan *p, int s)
{
	return map_share_guest(p, s) ? p->stages[s].host : s;
}

#define root map_share_root

/* Does stage j run on stage s's rectangle (j != s)? */
static int cotenant(const struct plan *p, int s, int j)
{
	return j != s && root(p, j) == root(p, s);
}

double map_share_cotenants(const struct plan *p, const struct machine *m,
			   int s, int train, map_share_occ_fn occ)
{
	double c = 0;
	for (int j = 0; j < p->n_stages; j++) {
		if (!cotenant(p, s, j))
			continue;
		const struct plan_stage *t = &p->stages[j];
		for (int k = 0; k < (train ? PASS_UPDATE : PASS_FWD + 1); k++)
			c += (double)occ(m, p->prec, &t->work[k]);
	}
	return c;
}

cycles_t map_share_pace(const struct plan *p, int s)
{
	cycles_t c = p->stages[s].stage_cycles;
	for (int j = 0; j < p->n_stages; j++)
		if (cotenant(p, s, j))
			c += p->stages[j].stage_cycles;
	return c;
}

int64_t map_share_sram(const struct plan *p, int s)
{
	int64_t b = p->stages[s].sram.total;
	for (int j = 0; j < p->n_stages; j++)
		if (cotenant(p, s, j))
			b += p->stages[j].sram.total - p->stages[j].sram.code;
	return b;
}

json_t *map_share_json(const struct plan *p)
{
	json_t *a = ws_json_arr();
	for (int i = 0; i < p->n_stages; i++) {
		if (!map_share_guest(p, i))
			continue;
		json_t *o = ws_json_obj();
		ws_json_set_str(o, "stage", p->stages[i].name);
		ws_json_set_str(o, "mapping", map_share_name(SHARE_TIME));
		ws_json_set_str(o, "host", p->stages[p->stages[i].host].name);
		ws_json_push(a, o);
	}
	for (int k = 0; k < p->n_routes; k++) {
		const struct plan_route *r = &p->routes[k];
		if (r->kind != ROUTE_GRAD_SYNC || r->src_stage < 0 ||
		    r->dst_stage < 0)
			continue;
		json_t *o = ws_json_obj();
		ws_json_set_str(o, "stage", p->stages[r->src_stage].name);
		ws_json_set_str(o, "mapping", map_share_name(SHARE_REPLICAS));
		ws_json_set_str(o, "owner", p->stages[r->dst_stage].name);
		ws_json_push(a, o);
	}
	return a;
}
