/*
 * kern_stream.c: the weight-stationary kernel (see kern.h; the pipelined
 * mapping of compiler/map.c and plan.h).  The PE in column j, row i holds
 * a tk x tn block of B (tk = ceil(K/w), tn = ceil(N/h)).  A's rows stream
 * in: each row's K slice is multicast down the column, every PE multiplies
 * it into its tn partial sums (a @map over the tk inputs, each an FMA over
 * tn), and the partial sums are relayed along the row to the east edge.
 * One task per product; per row a loop iteration, two descriptors, the
 * receive of the row's K slice from the fabric into SRAM (the @map runs
 * over SRAM) and the partial sums' send, as the vendor's weight-
 * stationary GEMV does (csl-examples tutorials/gemv-08-routes-3: x
 * arrives on a fabric colour, the partial sums leave by one @fadds from
 * the west queue to the east one).  That example takes x by one
 * wavelet-triggered task per element, a task start, a descriptor and a
 * vector start-up each: dearer than one receive from three elements on,
 * so the receive is what is counted.  Rows pipeline: a row lasts the
 * busiest of the PE's work, its inputs (one wavelet a cycle down the
 * ramp) and its outgoing partial sums; the broadcast and the relay chain
 * are paid once.
 */
#include "compiler/kern_int.h"
#include "fabric/collective.h"

void kern_stream_eval(const struct machine *m, const struct kern_shape *s,
		      struct kern_cost *c)
{
	int64_t tk = kern_cdiv(s->K, s->w), tn = kern_cdiv(s->N, s->h);
	int64_t eb = pe_elem_bytes(s->prec), acc = kern_acc_bytes(s->prec);
	const struct fabric_params *f = &m->fabric;

	struct pe_prog once = {.tasks = 1, .ctrl = 1, .dsd = 4};
	/* per row: the K slice received off the fabric into SRAM, the
	 * partial sums sent on (added to the upstream's: one fabric-in,
	 * fabric-out add), each a vector instruction on a fabric queue */
	struct pe_prog row = {.loops = 1, .dsd = 2, .calls = tk, .vec = tk,
			      .fabric = 2};
	cycles_t mult = (cycles_t)tk *
			pe_vec_elem_cycles(&m->pe, s->prec, tn, 1);
	int64_t in = kern_wav(m, tk, eb);
	int64_t out = s->w > 1 ? kern_wav(m, tn, acc) : 0;
	cycles_t busy = pe_prog_cycles(&m->pe, &row) + mult;
	cycles_t pace = busy;
	if ((cycles_t)in > pace)
		pace = (cycles_t)in;
	if ((cycles_t)out > pace)
		pace = (cycles_t)out;
	cycles_t fill = coll_bcast(f, s->h, 0, in) +
			coll_chain_reduce(f, s->w, out,
					  pe_relay_latency_cycles(&m->pe,
								  s->prec));

	c->steps = s->M;
	c->cycles = pe_prog_cycles(&m->pe, &once) + (cycles_t)s->M * pace +
		    fill;
	c->compute = (cycles_t)s->M * mult;
	c->prog = once;
	pe_prog_add(&c->prog, &row, s->M);
	/* the B block, a few rows of inputs and partial sums in flight */
	int64_t rows = s->M < 8 ? s->M : 8;
	c->sram_bytes = tk * tn * eb + 2 * rows * (tk * eb + tn * acc);
	c->b_bytes = tk * tn * eb;
	kern_finish(m, c);
}
