/* kern.c: the table of kernel algorithms and the pick. See kern.h. */
#include "compiler/kern.h"

#include <stdio.h>
#include <string.h>

#include "compiler/kern_int.h"

static const char *const names[KERN_COUNT] = {
	[KERN_STREAM] = "stream",
	[KERN_CANNON] = "cannon",
	[KERN_SUMMA] = "summa",
	[KERN_GEMV_STAR] = "gemv_star",
	[KERN_GEMV_CHAIN] = "gemv_chain",
	[KERN_GEMV_GROUPED] = "gemv_grouped",
	[KERN_GEMV_TREE] = "gemv_tree",
};

const char *kern_name(enum kern_alg a)
{
	return a >= 0 && a < KERN_COUNT ? names[a] : "?";
}

int kern_from_name(const char *s)
{
	for (int a = 0; a < KERN_COUNT; a++)
		if (!strcmp(s, names[a]))
			return a;
	return -1;
}

const char *kern_names(void)
{
	return "stream, cannon, summa, gemv_star, gemv_chain, gemv_grouped, "
	       "gemv_tree";
}

void kern_eval(const struct machine *m, enum kern_alg a,
	       const struct kern_shape *s, struct kern_cost *c)
{
	memset(c, 0, sizeof(*c));
	switch (a) {
	case KERN_STREAM: kern_stream_eval(m, s, c); break;
	case KERN_CANNON: kern_cannon_eval(m, s, c); break;
	case KERN_SUMMA: kern_summa_eval(m, s, c); break;
	default: kern_gemv_eval(m, a, s, c); break;
	}
}

int kern_why_not(const struct machine *m, enum kern_alg a,
		 const struct kern_shape *s, const struct kern_cost *c,
		 int fits, char *why, size_t n)
{
	why[0] = 0;
	if (a == KERN_CANNON && s->w != s->h)
		snprintf(why, n, "cannon runs on square rectangles only, got "
			 "%dx%d", (int)s->w, (int)s->h);
	else if (a == KERN_GEMV_GROUPED && s->groups > 0 &&
		 (s->groups > s->h || s->h % s->groups))
		snprintf(why, n, "gemv_grouped's %lld groups must divide the "
			 "column's %d PEs", (long long)s->groups, (int)s->h);
	else if (!c->applicable)
		snprintf(why, n, "%s cannot run on %dx%d", kern_name(a),
			 (int)s->w, (int)s->h);
	else if (fits && !c->fits)
		snprintf(why, n, "%s needs %lld B of SRAM per PE on %dx%d "
			 "(code included), the PE has %lld B", kern_name(a),
			 (long long)c->sram_bytes, (int)s->w, (int)s->h,
			 (long long)m->pe.sram_bytes);
	return why[0] != 0;
}

int kern_pick(const struct machine *m, const struct kern_shape *s,
	      struct kern_cost *c)
{
	int best = -1;
	struct kern_cost k;
	for (int a = 0; a < KERN_COUNT; a++) {
		kern_eval(m, (enum kern_alg)a, s, &k);
		if (!k.applicable || !k.fits)
			continue;
		if (best < 0 || k.cycles < c->cycles) {
			best = a;
			*c = k;
		}
	}
	if (best < 0)
		kern_eval(m, KERN_STREAM, s, c);
	return best;
}
