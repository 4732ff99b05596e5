/* test_pe.c: the PE timing and energy rules (cores/pe.h). */
#include "cores/pe.h"
#include "machine/machine.h"
#include "test_util.h"

static void test_pe_rules(void)
{
	struct machine m;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(machine_load("wse2", &m, &d), 0);
	struct pe_work w;
	pe_gemv_work(&m.pe, PREC_MIXED, 32, 32, &w);
	CU_ASSERT_EQUAL(w.fma, 1024);
	struct pe_cycles c;
	pe_work_breakdown(&m.pe, PREC_MIXED, &w, &c);
	/* 1024 FMAs on 2 mixed lanes */
	CU_ASSERT_EQUAL(c.datapath, 512);
	CU_ASSERT_EQUAL(c.total, pe_work_cycles(&m.pe, PREC_MIXED, &w));
	CU_ASSERT(c.total >= 512 + (cycles_t)m.pe.task_start_cycles);
	/* fp32 is slower than mixed, fp16 faster */
	CU_ASSERT(pe_work_cycles(&m.pe, PREC_FP32, &w) > c.total);
	struct pe_work w16;
	pe_gemv_work(&m.pe, PREC_FP16, 32, 32, &w16);
	CU_ASSERT(pe_work_cycles(&m.pe, PREC_FP16, &w16) < c.total);
	/* SRAM-bound work says so */
	struct pe_work s = {0, 0, 1000, 0, 0, 0};
	pe_work_breakdown(&m.pe, PREC_MIXED, &s, &c);
	CU_ASSERT_EQUAL(c.bound, PE_BOUND_SRAM_READ);
	CU_ASSERT_EQUAL(c.total, 500);
	double ops, sram;
	pe_work_energy_split(&m.energy.pe, PREC_MIXED, &w, &ops, &sram);
	CU_ASSERT_DOUBLE_EQUAL(ops + sram,
			       pe_work_energy_pj(&m.energy.pe, PREC_MIXED, &w), 1e-9);
	diag_release(&d);
}

/* Lanes per precision come from the machine file, one place. */
static void test_pe_lanes(void)
{
	struct machine m;
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(machine_load("wse3", &m, &d), 0);
	CU_ASSERT_EQUAL(pe_fma_lanes(&m.pe, PREC_FP16), m.pe.simd.fma_fp16);
	CU_ASSERT_EQUAL(pe_fma_lanes(&m.pe, PREC_MIXED), m.pe.simd.fma_mixed);
	CU_ASSERT_EQUAL(pe_fma_lanes(&m.pe, PREC_FP32), m.pe.simd.fma_fp32);
	CU_ASSERT_EQUAL(pe_ew_lanes(&m.pe, PREC_FP32), m.pe.simd.add_fp32);
	/* task starts are paid on top of the busiest resource */
	struct pe_work w = {0, 0, 0, 0, 3, 0};
	CU_ASSERT_EQUAL(pe_work_cycles(&m.pe, PREC_MIXED, &w),
			(cycles_t)(3 * m.pe.task_start_cycles));
	struct pe_work z = {0, 0, 0, 0, 0, 0};
	CU_ASSERT_EQUAL(pe_work_cycles(&m.pe, PREC_MIXED, &z), 0);
	CU_ASSERT_EQUAL(pe_sram_words(&m.pe, 9), 2); /* 8-byte ports */
	diag_release(&d);
}

int suite_pe(void);
int suite_pe(void)
{
	static const struct tu_test tests[] = {
		{"timing and energy rules", test_pe_rules},
		{"lanes and task starts", test_pe_lanes},
		{0, 0}};
	return tu_add_suite("pe", tests);
}
