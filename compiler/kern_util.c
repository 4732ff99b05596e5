/* kern_util.c: helpers the kernel algorithms share. See kern_int.h. */
#include <string.h>

#include "compiler/kern_int.h"
#include "fabric/timing.h"

int64_t kern_cdiv(int64_t a, int64_t b)
{
	return b <= 0 ? a : (a + b - 1) / b;
}

int64_t kern_acc_bytes(enum pe_prec p)
{
	return p == PREC_FP16 ? 2 : 4;
}

int64_t kern_wav(const struct machine *m, int64_t n, int64_t bytes)
{
	return fabric_wavelets(&m->fabric, n * bytes);
}

int64_t kern_tiles_wav(const struct machine *m, enum pe_prec prec, int64_t Mt,
		       int64_t Kt, int64_t Nt)
{
	int64_t eb = pe_elem_bytes(prec);
	int64_t wa = kern_wav(m, Mt * Kt, eb), wb = kern_wav(m, Kt * Nt, eb);
	return wa > wb ? wa : wb;
}

cycles_t kern_tile_multiply(const struct machine *m, enum pe_prec prec,
			    int64_t Mt, int64_t Kt, int64_t Nt,
			    struct pe_prog *p)
{
	/* per k: one base address, three DSR loads, two offsets advanced */
	struct pe_prog per_k = {.dsd = 6, .loops = 1};
	/* per element of the B row: the @map's call and one FMA over Mt */
	struct pe_prog per_kn = {.calls = 1, .vec = 1};
	pe_prog_add(p, &per_k, Kt);
	pe_prog_add(p, &per_kn, Kt * Nt);
	return (cycles_t)(Kt * Nt) * pe_vec_elem_cycles(&m->pe, prec, Mt, 1);
}

void kern_finish(const struct machine *m, struct kern_cost *c)
{
	c->applicable = 1;
	c->sram_bytes += m->pe.code_bytes;
	c->fits = c->sram_bytes <= m->pe.sram_bytes;
	c->software = pe_prog_cycles(&m->pe, &c->prog);
	cycles_t own = c->compute + c->software;
	c->comm = c->cycles > own ? c->cycles - own : 0;
}
