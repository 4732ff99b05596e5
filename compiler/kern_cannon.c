/*
 * kern_cannon.c: Cannon's cyclic-shift GEMM as MeshGEMM runs it (see
 * kern.h).  Per PE, with tiles Mt x Kt of A and Kt x Nt of B:
 *
 *   skew:  P/2 shifts of A along the row (each a task: two descriptors
 *          pointed and loaded, a 16-bit move out and one in, two hops)
 *   steps: P times: swap the double buffers, start the next tiles' shift
 *          (four descriptors pointed, four loaded, the two finish tasks
 *          unblocked and activated), multiply the current tiles
 *          (kern_tile_multiply), then the step's four tasks (x_finish,
 *          y_finish, jumpcast_finish, next_step: each blocks itself, and
 *          one unblocks or activates the next) before the next step.
 *
 * The shift of the next tiles overlaps the multiply: a step lasts the
 * longer of the two.  Only square rectangles (the ring runs along rows and
 * columns of the same length).
 */
#include "compiler/kern_int.h"
#include "fabric/timing.h"

/* Hops of a shift in the interleaved ring: next-but-one neighbour. */
#define CANNON_SHIFT_HOPS 2

void kern_cannon_eval(const struct machine *m, const struct kern_shape *s,
		      struct kern_cost *c)
{
	if (s->w != s->h)
		return; /* not applicable */
	int64_t P = s->w;
	int64_t Mt = kern_cdiv(s->M, P), Kt = kern_cdiv(s->K, P),
		Nt = kern_cdiv(s->N, P);
	int64_t eb = pe_elem_bytes(s->prec);
	const struct fabric_params *f = &m->fabric;

	struct pe_prog step = {.tasks = 4, .ctrl = 12, .dsd = 12};
	cycles_t mult = kern_tile_multiply(m, s->prec, Mt, Kt, Nt, &step);
	int64_t wa = kern_wav(m, Mt * Kt, eb);
	struct pe_prog move = {.fabric = 1};
	cycles_t shift = pe_prog_cycles(&m->pe, &move) +
			 fabric_stream_cycles(f, CANNON_SHIFT_HOPS,
					      kern_tiles_wav(m, s->prec, Mt,
							     Kt, Nt));
	cycles_t busy = pe_prog_cycles(&m->pe, &step) + mult;
	cycles_t t_step = busy > shift ? busy : shift;

	struct pe_prog skew = {.tasks = 1, .ctrl = 1, .dsd = 4, .fabric = 1};
	cycles_t t_skew = pe_prog_cycles(&m->pe, &skew) +
			  fabric_stream_cycles(f, CANNON_SHIFT_HOPS, wa);

	c->steps = P;
	c->cycles = (cycles_t)P * t_step + (cycles_t)(P / 2) * t_skew;
	c->compute = (cycles_t)P * mult;
	pe_prog_add(&c->prog, &step, P);
	pe_prog_add(&c->prog, &skew, P / 2);
	/* A and B double buffered, C accumulated in place */
	c->sram_bytes = 2 * (Mt * Kt + Kt * Nt) * eb +
			Mt * Nt * kern_acc_bytes(s->prec);
	c->b_bytes = Kt * Nt * eb;
	c->c_bytes = Mt * Nt * kern_acc_bytes(s->prec);
	kern_finish(m, c);
}
