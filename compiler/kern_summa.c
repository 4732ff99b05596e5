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
#include "fabric/timing.h"

/*
 * The S steps' waits: per step k the later of the two panels' multicasts
 * (coll_bcast), panel k's owners being column k w / S and row k h / S.
 * The placement asks for it on every shape it tries, so it is summed in
 * closed form rather than step by step (the same integers):
 *
 * - a line of P PEs with its owner at r takes v(r) = E - H (P - 1 - far),
 *   far = max(r, P - 1 - r), E = coll_bcast with the owner at an end, H a
 *   hop (coll_bcast: one hop per PE to the farthest);
 * - the longer side F (P = S) has its owner at r = k, the other G (Q PEs)
 *   at r = floor(k Q / S), which moves by at most one per step;
 * - so on each half of the steps (k up to (S - 1) / 2, and after), going
 *   outwards, v_F rises by H per step and v_G by at most H: v_F - v_G
 *   never falls outwards, and G is the later on one run of steps around
 *   the middle of each half's inner end (found by bisection), F outside.
 * The sums of floor(k Q / S) are floor_sum's (Euclid-like, O(log S)).
 */
struct bline {
	int64_t P;  /* PEs along the line */
	cycles_t E; /* coll_bcast with the owner at an end; 0: no multicast */
};

/* sum of floor((a i + b) / m), i = 0 .. n - 1 (m > 0, a, b >= 0) */
static int64_t floor_sum(int64_t n, int64_t m, int64_t a, int64_t b)
{
	int64_t ans = 0;
	for (;;) {
		if (a >= m) {
			ans += (n - 1) * n / 2 * (a / m);
			a %= m;
		}
		if (b >= m) {
			ans += n * (b / m);
			b %= m;
		}
		int64_t y = a * n + b;
		if (y < m)
			return ans;
		n = y / m;
		b = y % m;
		int64_t t = m;
		m = a;
		a = t;
	}
}

/* sum over k in [lo, hi] of far for r = floor(k Q / S) on a line of Q */
static int64_t far_sum(int64_t Q, int64_t S, int64_t lo, int64_t hi)
{
	if (lo > hi)
		return 0;
	/* far = Q - 1 - r while r < Q / 2, then r: from k = ks on */
	int64_t ks = (Q / 2 * S + Q - 1) / Q;
	int64_t a1 = hi < ks - 1 ? hi : ks - 1, b0 = lo > ks ? lo : ks;
	int64_t sum = 0;
	if (a1 >= lo)
		sum += (a1 - lo + 1) * (Q - 1) -
		       (floor_sum(a1 + 1, S, Q, 0) - floor_sum(lo, S, Q, 0));
	if (hi >= b0)
		sum += floor_sum(hi + 1, S, Q, 0) - floor_sum(b0, S, Q, 0);
	return sum;
}

/* sum of v over the steps k in [lo, hi] of a line with owner floor(k P /
 * S) */
static cycles_t line_sum(const struct bline *l, cycles_t H, int64_t S,
			 int64_t lo, int64_t hi)
{
	if (lo > hi || !l->E)
		return 0;
	return (cycles_t)(hi - lo + 1) * (l->E - H * (cycles_t)(l->P - 1)) +
	       H * (cycles_t)far_sum(l->P, S, lo, hi);
}

/* v_F(k) - v_G(k) */
static int64_t lead(const struct bline *F, const struct bline *G, cycles_t H,
		    int64_t S, int64_t k)
{
	int64_t r = k * G->P / S;
	int64_t ff = k > S - 1 - k ? k : S - 1 - k;
	int64_t fg = r > G->P - 1 - r ? r : G->P - 1 - r;
	int64_t vf = F->E ? (int64_t)F->E - (int64_t)H * (S - 1 - ff) : 0;
	int64_t vg = G->E ? (int64_t)G->E - (int64_t)H * (G->P - 1 - fg) : 0;
	return vf - vg;
}

cycles_t kern_summa_wait(const struct fabric_params *f, int64_t w, int64_t h,
			 int64_t wa, int64_t wb)
{
	int64_t S = w > h ? w : h;
	cycles_t H = fabric_hop_cycles(f);
	struct bline a = {w, coll_bcast(f, w, 0, wa)};
	struct bline b = {h, coll_bcast(f, h, 0, wb)};
	const struct bline *F = w >= h ? &a : &b, *G = w >= h ? &b : &a;
	int64_t m = (S - 1) / 2;
	/* left half: G the later on [L, m] (lead falls with k there) */
	int64_t lo = 0, hi = m + 1;
	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;
		if (lead(F, G, H, S, mid) < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	int64_t L = lo;
	/* right half: G the later on [m + 1, R] (lead rises with k) */
	lo = m + 1;
	hi = S;
	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;
		if (lead(F, G, H, S, mid) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	int64_t R = lo - 1;
	return line_sum(F, H, S, 0, L - 1) + line_sum(G, H, S, L, m) +
	       line_sum(G, H, S, m + 1, R) + line_sum(F, H, S, R + 1, S - 1);
}

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

	cycles_t wait = kern_summa_wait(f, s->w, s->h, wa, wb);

	c->steps = S;
	c->cycles = (cycles_t)S * busy + wait;
	c->compute = (cycles_t)S * mult;
	pe_prog_add(&c->prog, &step, S);
	/* own pieces of A and B, one received panel of each, C */
	c->sram_bytes =
		(Mt * kern_cdiv(s->K, s->w) + kern_cdiv(s->K, s->h) * Nt) * eb +
		(Mt * Kt + Kt * Nt) * eb + Mt * Nt * kern_acc_bytes(s->prec);
	c->b_bytes = kern_cdiv(s->K, s->h) * Nt * eb;
	c->c_bytes = Mt * Nt * kern_acc_bytes(s->prec);
	kern_finish(m, c);
}
