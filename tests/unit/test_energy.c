/* test_energy.c: energy accounting (sim/energy.h) on hand-built plans. */
#include <math.h>
#include <stdio.h>

#include "sim/energy.h"
#include "sim/engine.h"
#include "test_util.h"
#include "tests/unit/test_engine_plans.h"

/* Energy: full-load WSE-2 power in the plausible range; a run's energy
 * adds up. */
static void test_energy(void)
{
	struct machine m;
	tp_load("wse2", &m);
	double full = energy_full_load_w(&m, PREC_MIXED);
	double idle = energy_idle_w(&m);
	printf("\n    wse2: full load %.1f kW, idle %.1f kW\n", full / 1e3,
	       idle / 1e3);
	CU_ASSERT(full >= 10e3 && full <= 25e3);
	CU_ASSERT(idle < full);
	/* and a simulated run that keeps the whole wafer computing: four
	 * compute-bound dense stages side by side over all 757 x 996 PEs */
	{
		struct plan p;
		int64_t w = m.width / 4;
		tp_dense_chain(&p, &m, 4,
			       (const int64_t[]){64 * w, 64 * m.height,
						 64 * w, 64 * m.height, 64 * w},
			       (int)w, (int)m.height, PREC_MIXED);
		struct stats st;
		CU_ASSERT_EQUAL_FATAL(tp_run(&p, &m, ENGINE_INFER, 16, 0, &st), 0);
		double peak = 0;
		for (int i = 0; i < st.win.n; i++) {
			double pw = energy_window_power_w(&st, &m, i);
			if (pw > peak)
				peak = pw;
		}
		printf("    wse2 simulated, whole wafer busy: %.1f kW at the "
		       "busiest window, PE utilisation %.0f%%\n", peak / 1e3,
		       100 * stats_pe_utilisation(&st));
		CU_ASSERT(peak >= 10e3 && peak <= 25e3);
		stats_release(&st);
		tp_release(&p);
	}
	struct machine s;
	tp_load("mini64", &s);
	struct plan p;
	tp_dense_chain(&p, &s, 2, (const int64_t[]){1024, 1024, 64}, 32, 32,
		       PREC_MIXED);
	struct stats st;
	CU_ASSERT_EQUAL_FATAL(tp_run(&p, &s, ENGINE_TRAIN, 0, 0, &st), 0);
	struct energy_breakdown e;
	energy_compute(&st, &s, &e);
	double sum = 0;
	for (int i = 0; i < ENERGY_PARTS; i++) {
		CU_ASSERT(e.part_pj[i] >= 0);
		sum += e.part_pj[i];
	}
	CU_ASSERT_DOUBLE_EQUAL(sum, e.total_pj, 1e-6 * sum);
	CU_ASSERT(e.part_pj[ENERGY_OPS] > 0);
	CU_ASSERT(e.part_pj[ENERGY_FABRIC] > 0);
	CU_ASSERT(e.avg_power_w > e.idle_power_w);
	/* the windows account for the same dynamic energy */
	double wsum = 0;
	for (int i = 0; i < st.win.n; i++)
		wsum += (energy_window_power_w(&st, &s, i) - e.idle_power_w) *
			(double)st.win.window_cycles * machine_cycle_s(&s) * 1e12;
	double dyn = e.total_pj - e.part_pj[ENERGY_STATIC] -
		     (double)st.io_out_bytes * s.energy.io_pj_per_byte;
	CU_ASSERT(fabs(wsum - dyn) / dyn < 0.01);
	stats_release(&st);
	tp_release(&p);
}

int suite_energy(void);
int suite_energy(void)
{
	static const struct tu_test tests[] = {
		{"full load, idle, breakdown, windows", test_energy},
		{0, 0}};
	return tu_add_suite("energy", tests);
}
