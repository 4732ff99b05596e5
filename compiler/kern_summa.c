/*
 * kern_summa.c: SUMMA, the broadcast GEMM (see kern.h), as the vendor's
 * public SUMMA runs it (csl-examples, benchmarks/gemm-collectives_2d/
 * pe.csl).  C is tiled Mt x Nt (M down the h rows, N across the w
 * columns); K is cut into S = max(w, h) panels of Kt.  In step k the PEs
 * owning panel k (a column for A, a row for B) multicast their Mt x Kt
 * piece of A along their row and their Kt x Nt piece of B down their
 * column (collectives_2d broadcasts, one fabric instruction each on every
 * PE: the owner's send, the others' receive); the tasks x_done and y_done
 * start the compute task once both have arrived, which multiplies the two
 * (kern_tile_multiply) and only then starts the next step's broadcasts.
 *
 * Nothing overlaps: the source keeps one buffer per operand, so a step
 * lasts its software, the panels' multicast from the owner to the
 * farthest PE of the line (fabric/collective.h) and the multiply, one
 * after the other.  (MeshGEMM, kern_cannon.c, double-buffers its
 * neighbour shifts instead: that is the difference WaferLLM's kernel
 * makes.)
 *
 * Per step the program runs the two broadcasts' descriptors (pointed and
 * loaded for the two streams), the three tasks (x_done activates compute,
 * y_done unblocks it, compute blocks itself and calls the next step) and
 * the multiply.
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

	/* the two broadcasts: one fabric instruction each (send or
	 * receive) beside the descriptors and the three tasks */
	struct pe_prog step = {.tasks = 3, .ctrl = 9, .dsd = 12, .fabric = 2};
	cycles_t mult = kern_tile_multiply(m, s->prec, Mt, Kt, Nt, &step);
	int64_t wa = kern_wav(m, Mt * Kt, eb), wb = kern_wav(m, Kt * Nt, eb);
	cycles_t busy = pe_prog_cycles(&m->pe, &step) + mult;

	cycles_t wait = 0;
	for (int64_t k = 0; k < S; k++) {
		/* panel k's owners: column k w / S, row k h / S */
		cycles_t a = coll_bcast(f, s->w, k * s->w / S, wa);
		cycles_t b = coll_bcast(f, s->h, k * s->h / S, wb);
		wait += a > b ? a : b;
	}

	c->steps = S;
	c->cycles = (cycles_t)S * busy + wait;
	c->compute = (cycles_t)S * mult;
	pe_prog_add(&c->prog, &step, S);
	/* own pieces of A and B, one received panel of each, C */
	c->sram_bytes = (Mt * kern_cdiv(s->K, s->w) +
			 kern_cdiv(s->K, s->h) * Nt) * eb +
			(Mt * Kt + Kt * Nt) * eb +
			Mt * Nt * kern_acc_bytes(s->prec);
	c->b_bytes = kern_cdiv(s->K, s->h) * Nt * eb;
	c->c_bytes = Mt * Nt * kern_acc_bytes(s->prec);
	kern_finish(m, c);
}
