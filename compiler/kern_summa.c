/*
 * kern_summa.c: SUMMA, the broadcast GEMM (see kern.h).  C is tiled
 * Mt x Nt (M down the h rows, N across the w columns); K is cut into
 * S = max(w, h) panels of Kt.  In step k the PEs owning panel k multicast
 * their Mt x Kt piece of A along their row and their Kt x Nt piece of B
 * down their column; every PE multiplies the two (kern_tile_multiply).
 * Double buffered as MeshGEMM: the next panels arrive while the current
 * ones are multiplied, so a step lasts the longer of the multiply with its
 * software and the panels' serialisation with the receive's start-up; the
 * first broadcast's latency across the rectangle is paid once.
 *
 * Per step the program runs what a MeshGEMM step does for its two
 * streams (four descriptors pointed and loaded, the two receive tasks and
 * the step task, each blocking itself and starting the next) and the
 * multiply.
 */
#include "compiler/kern_int.h"
#include "fabric/collective.h"

void kern_summa_eval(const struct machine *m, const struct kern_shape *s,
		     struct kern_cost *c)
{
	int64_t S = s->w > s->h ? s->w : s->h;
	int64_t Mt = kern_cdiv(s->M, s->h), Nt = kern_cdiv(s->N, s->w);
	int64_t Kt = kern_cdiv(s->K, S);
	int64_t eb = pe_elem_bytes(s->prec);
	const struct fabric_params *f = &m->fabric;

	struct pe_prog step = {.tasks = 3, .ctrl = 9, .dsd = 12};
	cycles_t mult = kern_tile_multiply(m, s->prec, Mt, Kt, Nt, &step);
	int64_t wmax = kern_tiles_wav(m, s->prec, Mt, Kt, Nt);
	struct pe_prog recv = {.fabric = 1};
	cycles_t panels = pe_prog_cycles(&m->pe, &recv) + (cycles_t)wmax;
	cycles_t busy = pe_prog_cycles(&m->pe, &step) + mult;
	cycles_t t_step = busy > panels ? busy : panels;
	/* the first panels cross the whole rectangle (from a corner, as
	 * the bound of the owners at either end) */
	cycles_t fill = coll_bcast_2d(f, s->w, s->h, wmax);

	c->steps = S;
	c->cycles = (cycles_t)S * t_step + fill;
	c->compute = (cycles_t)S * mult;
	pe_prog_add(&c->prog, &step, S);
	/* own pieces of A and B, two panels of each, C */
	c->sram_bytes = (Mt * kern_cdiv(s->K, s->w) +
			 kern_cdiv(s->K, s->h) * Nt) * eb +
			2 * (Mt * Kt + Kt * Nt) * eb +
			Mt * Nt * kern_acc_bytes(s->prec);
	c->b_bytes = kern_cdiv(s->K, s->h) * Nt * eb;
	c->c_bytes = Mt * Nt * kern_acc_bytes(s->prec);
	kern_finish(m, c);
}
