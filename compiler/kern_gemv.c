/*
 * kern_gemv.c: GEMV with a reduction down the column and a multicast back
 * (see kern.h), as MeshGEMV runs it.  For each row x of A: the PE in row
 * i, column j holds a Kt x Nt block of B (Kt = ceil(K/h), Nt = ceil(N/w))
 * and Kt elements of x; it clears its Nt partial sums, runs a @map over
 * its x elements (each an FMA over Nt), and the column sums the partial
 * sums (Nt values, one fabric stream per phase) by
 *
 *   gemv_star     every PE to the column's first PE
 *   gemv_chain    relayed PE by PE to the last PE
 *   gemv_grouped  two-phase chains: G groups to their middle, the group
 *                 roots to the middle root (MeshGEMV's two_tree_allreduce)
 *   gemv_tree     a binary tree to the first PE, one receive per level
 *
 * then the root multicasts the sums back up and down the column, and
 * every PE receives them before the next row.  The phases are blocking
 * fabric instructions on the critical path: each adds the start-up of a
 * fabric instruction (pe.sw.fabric_start_cycles) to the collective's
 * cycles (fabric/collective.h, with the PE's relay latency).  Rows do not
 * overlap (the next row's reduction needs every PE's sums).
 */
#include <string.h>

#include "compiler/kern_int.h"
#include "fabric/collective.h"

/* One row: cycles, with the root of the reduction in *root. */
static cycles_t reduce(const struct machine *m, enum kern_alg alg, int64_t P,
		       int64_t G, int64_t W, enum pe_prec prec,
		       struct pe_prog *p, int64_t *root)
{
	const struct fabric_params *f = &m->fabric;
	cycles_t r = pe_relay_latency_cycles(&m->pe, prec);
	switch (alg) {
	case KERN_GEMV_STAR:
		*root = 0;
		p->fabric += 1;
		return coll_star_reduce(f, P, W, r);
	case KERN_GEMV_CHAIN:
		*root = P - 1;
		p->fabric += 1;
		return coll_chain_reduce(f, P, W, r);
	case KERN_GEMV_TREE: {
		*root = 0;
		for (int64_t span = 1; span < P; span *= 2)
			p->fabric += 1;
		return coll_tree_reduce(f, P, W, r);
	}
	default:
		*root = coll_two_phase_root(P, G);
		p->fabric += G > 1 ? 2 : 1;
		return coll_two_phase_reduce(f, P, G, W, r);
	}
}

static void gemv_with(const struct machine *m, enum kern_alg alg,
		      const struct kern_shape *s, int64_t G,
		      struct kern_cost *c)
{
	int64_t P = s->h;
	int64_t Kt = kern_cdiv(s->K, P), Nt = kern_cdiv(s->N, s->w);
	int64_t eb = pe_elem_bytes(s->prec), acc = kern_acc_bytes(s->prec);
	int64_t W = kern_wav(m, Nt, acc);

	/* clear, the @map over x (loop of the repeat, five descriptors),
	 * the root's send and every PE's receive of the multicast */
	struct pe_prog row = {.loops = 1, .dsd = 5, .vec = 1 + Kt,
			      .calls = Kt, .fabric = P > 1 ? 2 : 0};
	cycles_t mult = (cycles_t)Kt *
				pe_vec_elem_cycles(&m->pe, s->prec, Nt, 1) +
			pe_vec_elem_cycles(&m->pe, s->prec, Nt, 0);
	int64_t root = 0;
	cycles_t red = reduce(m, alg, P, G, W, s->prec, &row, &root);
	cycles_t back = coll_bcast(&m->fabric, P, root, W);
	cycles_t t_row = pe_prog_cycles(&m->pe, &row) + mult + red + back;

	memset(c, 0, sizeof(*c));
	c->steps = s->M;
	c->groups = alg == KERN_GEMV_GROUPED ? G : 0;
	c->cycles = (cycles_t)s->M * t_row;
	c->compute = (cycles_t)s->M * mult;
	pe_prog_add(&c->prog, &row, s->M);
	c->sram_bytes = Kt * Nt * eb + Kt * eb + 2 * Nt * acc;
	c->b_bytes = Kt * Nt * eb;
	kern_finish(m, c);
}

/* G groups in *c if faster than what *c holds. */
static void gemv_if_faster(const struct machine *m, enum kern_alg alg,
			   const struct kern_shape *s, int64_t G,
			   struct kern_cost *c)
{
	struct kern_cost k;
	gemv_with(m, alg, s, G, &k);
	if (k.cycles < c->cycles)
		*c = k;
}

void kern_gemv_eval(const struct machine *m, enum kern_alg alg,
		    const struct kern_shape *s, struct kern_cost *c)
{
	if (alg != KERN_GEMV_GROUPED) {
		gemv_with(m, alg, s, 1, c);
		return;
	}
	if (s->groups > 0) {
		/* MeshGEMV splits the column into G groups of P / G PEs */
		if (s->groups <= s->h && s->h % s->groups == 0)
			gemv_with(m, alg, s, s->groups, c);
		return;
	}
	/* the compiler's G: the fastest divisor of the column, the first
	 * of equals in increasing order: the divisors up to sqrt(h), then
	 * their cofactors (O(sqrt h), the placement asks on every shape) */
	gemv_with(m, alg, s, 1, c);
	int64_t h = s->h, r = 1;
	while ((r + 1) * (r + 1) <= h)
		r++;
	for (int64_t d = 2; d <= r; d++)
		if (h % d == 0)
			gemv_if_faster(m, alg, s, d, c);
	for (int64_t d = r; d >= 1; d--)
		if (h % d == 0 && h / d != d)
			gemv_if_faster(m, alg, s, h / d, c);
}
