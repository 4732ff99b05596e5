/* test_collective.c: fabric/collective.h against the published closed
 * forms (Luczynski et al., HPDC'24; models/measured/wse3/README.md),
 * evaluated with each machine's own hop and ramp and a one-cycle add. */
#include "fabric/collective.h"
#include "fabric/timing.h"
#include "machine/machine.h"
#include "test_util.h"

static const char *const machines[] = {"mini16", "wse2", "wse3"};
static const int64_t Ps[] = {2, 3, 8, 16, 33, 100};
static const int64_t Bs[] = {1, 4, 32};

/* Machine i of the list, its ramp (T_R) and hop in cycles. */
static void load(size_t i, struct machine *m, int64_t *TR, int64_t *h)
{
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(machine_load(machines[i], m, &d), 0);
	diag_release(&d);
	*TR = m->fabric.ramp_latency_cycles;
	*h = (int64_t)fabric_hop_cycles(&m->fabric);
}

/* star: B(P-1) + 2 T_R + 1, the root's ramp taking one wavelet a cycle
 * (or the farthest PE's distance when a hop is slower than B wavelets) */
static void test_star_chain(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(machines); i++) {
		struct machine m;
		int64_t TR, h;
		load(i, &m, &TR, &h);
		const struct fabric_params *f = &m.fabric;
		for (size_t p = 0; p < ARRAY_SIZE(Ps); p++) {
			for (size_t b = 0; b < ARRAY_SIZE(Bs); b++) {
				int64_t P = Ps[p], B = Bs[b];
				int64_t per = B > h ? B : h;
				CU_ASSERT_EQUAL(coll_star_reduce(f, P, B, 1),
						(cycles_t)(per * (P - 1) +
							   2 * TR + 1));
				/* chain: B + (2 T_R + 2)(P - 1) at one
				 * cycle per hop */
				CU_ASSERT_EQUAL(coll_chain_reduce(f, P, B, 1),
						(cycles_t)(B + (2 * TR + h + 1) *
								       (P - 1)));
			}
		}
		CU_ASSERT_EQUAL(coll_chain_reduce(f, 1, 8, 1), 0);
		CU_ASSERT_EQUAL(coll_star_reduce(f, 8, 0, 1), 0);
	}
}

/* two-phase: depth g/2 + G/2 links (middle roots), contention 2B; the
 * second phase's links are g hops long */
static void test_two_phase_tree(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(machines); i++) {
		struct machine m;
		int64_t TR, h;
		load(i, &m, &TR, &h);
		const struct fabric_params *f = &m.fabric;
		for (int64_t P = 4; P <= 400; P *= 3) {
			for (int64_t G = 2; G <= P; G *= 2) {
				int64_t g = (P + G - 1) / G, B = 4;
				int64_t want = (g / 2) * (h + 2 * TR + 1) +
					       (G / 2) * (g * h + 2 * TR + 1) +
					       2 * B;
				CU_ASSERT_EQUAL(
					coll_two_phase_reduce(f, P, G, B, 1),
					(cycles_t)want);
				CU_ASSERT(coll_two_phase_root(P, G) < P);
			}
			/* one group: a chain to the middle PE */
			CU_ASSERT_EQUAL(coll_two_phase_reduce(f, P, 1, 4, 1),
					(cycles_t)((P / 2) * (h + 2 * TR + 1) +
						   4));
			/* tree: level l joins PEs 2^l apart */
			int64_t want = 5;
			for (int64_t s = 1; s < P; s *= 2)
				want += s * h + 2 * TR + 1;
			CU_ASSERT_EQUAL(coll_tree_reduce(f, P, 5, 1),
					(cycles_t)want);
		}
	}
}

/* broadcasts B + P + 2 T_R and B + M + N - 2 + 2 T_R + 1; ring all-reduce
 * 2(P-1)B/P + 4P - 6 + 2(P-1)(2 T_R + 1) */
static void test_bcast_ring(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(machines); i++) {
		struct machine m;
		int64_t TR, h;
		load(i, &m, &TR, &h);
		const struct fabric_params *f = &m.fabric;
		for (size_t p = 0; p < ARRAY_SIZE(Ps); p++) {
			int64_t P = Ps[p];
			for (size_t b = 0; b < ARRAY_SIZE(Bs); b++) {
				int64_t B = Bs[b];
				CU_ASSERT_EQUAL(coll_bcast(f, P, 0, B),
						(cycles_t)(B + (P - 1) * h +
							   1 + 2 * TR));
				CU_ASSERT_EQUAL(
					coll_bcast_2d(f, P, 7, B),
					(cycles_t)(B + (P + 7 - 2) * h +
						   2 * TR + 1));
			}
			/* from the middle: half the distance */
			CU_ASSERT(coll_bcast(f, P, P / 2, 1) <=
				  coll_bcast(f, P, 0, 1));
			int64_t B = 3 * P;
			CU_ASSERT_EQUAL(coll_ring_allreduce(f, P, B, 1),
					(cycles_t)(2 * (P - 1) * B / P +
						   (4 * P - 6) * h +
						   2 * (P - 1) * (2 * TR + 1)));
		}
	}
}

int suite_collective(void);
int suite_collective(void)
{
	static const struct tu_test tests[] = {
		{"star and chain reduce", test_star_chain},
		{"two-phase and tree reduce", test_two_phase_tree},
		{"broadcasts and ring all-reduce", test_bcast_ring},
		{0, 0}};
	return tu_add_suite("collective", tests);
}
