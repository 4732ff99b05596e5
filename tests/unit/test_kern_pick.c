/* test_kern_pick.c: for six dense layer shapes, every kernel algorithm
 * that runs and fits is simulated (forced, as `--kernel` does) on the
 * same rectangle, and the compiler's own pick is within 5% of the fastest
 * simulated training step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/kern.h"
#include "compiler/map.h"
#include "compiler/place.h"
#include "sim/engine.h"
#include "test_engine_plans.h"
#include "test_util.h"

/* Training step of `net` with the dense stage on w x h running `kernel`
 * ("auto": the compiler's pick); 0 when the forced one cannot run there. */
static cycles_t step_with(const struct graph *g, const struct machine *m,
			  const char *kernel, int32_t w, int32_t h,
			  int *picked)
{
	struct plan_opts o;
	plan_opts_init(&o);
	o.mode = MODE_PIPELINED;
	o.kernel = "auto"; /* forced below, on the rectangle (as --region) */
	struct plan p;
	plan_init(&p);
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL_FATAL(plan_build(g, m, &o, &p, &d), 0);
	diag_release(&d);
	struct plan_stage *s = &p.stages[0];
	s->r.w = w;
	s->r.h = h;
	if (s->r.x + w > m->width)
		s->r.x = 0;
	if (s->r.y + h > m->height)
		s->r.y = 0;
	struct map_ctx c = {g, m, p.prec, p.opt, p.mode, p.batch, 0, kernel,
			    0, NULL};
	map_kernel(&c, s);
	plan_summarise(&p, m);
	cycles_t t = 0;
	*picked = s->kernel;
	int want = kern_from_name(kernel) >= 0 ? kern_from_name(kernel)
						  : s->kernel;
	if (s->kernel == want && s->sram.total <= m->pe.sram_bytes) {
		struct stats st;
		CU_ASSERT_EQUAL(tp_run(&p, m, ENGINE_TRAIN, 0, 0, &st), 0);
		t = st.step_cycles;
		stats_release(&st);
	}
	plan_release(&p);
	return t;
}

static void test_pick_simulated(void)
{
	static const struct {
		int64_t rows, K, N;
		int32_t w, h;
	} shapes[] = {
		{1, 512, 512, 16, 16},	   /* an MLP layer */
		{1, 2048, 1024, 32, 32},   /* a wide MLP layer */
		{16, 512, 512, 16, 16},	   /* a short sequence */
		{64, 256, 1024, 32, 16},   /* FFN of a small transformer */
		{128, 768, 768, 48, 48},   /* attention projection */
		{196, 384, 384, 32, 32},   /* ViT-like tokens */
		{8, 2048, 256, 64, 8},	   /* wide and flat */
	};
	struct machine m;
	tp_load("mini64", &m);
	for (size_t i = 0; i < ARRAY_SIZE(shapes); i++) {
		char *yaml = xasprintf(
			"name: one\nbatch: 8\ninputs:\n  x: [%lld, %lld]\n"
			"layers:\n  - {name: fc, op: dense, in: x, units: "
			"%lld}\n  - {name: loss, op: mse_loss}\n",
			(long long)shapes[i].rows, (long long)shapes[i].K,
			(long long)shapes[i].N);
		char *path = tu_temp_file(".yaml", yaml);
		struct graph g;
		struct diag d;
		diag_init(&d);
		CU_ASSERT_EQUAL_FATAL(graph_load(path, OPT_MOMENTUM, &g, &d),
				      0);
		diag_release(&d);
		cycles_t fastest = 0;
		int n = 0, picked;
		for (int a = 0; a < KERN_COUNT; a++) {
			cycles_t t = step_with(&g, &m,
					       kern_name((enum kern_alg)a),
					       shapes[i].w, shapes[i].h,
					       &picked);
			if (!t)
				continue;
			n++;
			if (!fastest || t < fastest)
				fastest = t;
		}
		cycles_t mine = step_with(&g, &m, "auto", shapes[i].w,
					  shapes[i].h, &picked);
		printf("\n    %lldx%lldx%lld on %dx%d: %d kernels run, "
		       "fastest %llu, pick %s %llu",
		       (long long)shapes[i].rows, (long long)shapes[i].K,
		       (long long)shapes[i].N, shapes[i].w, shapes[i].h, n,
		       (unsigned long long)fastest,
		       kern_name((enum kern_alg)picked),
		       (unsigned long long)mine);
		CU_ASSERT(n >= 2);
		CU_ASSERT(mine > 0);
		CU_ASSERT((double)mine <= 1.05 * (double)fastest);
		graph_release(&g);
		remove(path);
		free(path);
		free(yaml);
	}
}

int suite_kern_pick(void);
int suite_kern_pick(void)
{
	static const struct tu_test tests[] = {
		{"pick within 5% of every simulated kernel",
		 test_pick_simulated},
		{0, 0}};
	return tu_add_suite("kern_pick", tests);
}
