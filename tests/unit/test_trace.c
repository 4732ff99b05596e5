/*
 * test_trace.c: every trace picture rendered for a small case (a chain of
 * dense layers on mini64, simulated by the engine) and checked real: each
 * as PNG (size, the expected colors, decoded with cairo), SVG (well-formed
 * XML with its elements, parsed by Python's xml.dom) and PDF (its labels,
 * extracted by poppler's pdftotext); the timeline JSON parsed with jansson
 * with every span inside the run; saved statistics re-rendered to
 * identical pictures.
 */
#include <cairo.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compiler/cost.h"
#include "compiler/graph.h"
#include "sim/energy.h"
#include "sim/engine.h"
#include "ground/json_io.h"
#include "sim/report.h"
#include "test_engine_plans.h"
#include "test_util.h"
#include "traces/trace.h"
#include "traces/trace_int.h"
#include "traces/trace_draw.h"

struct img {
	int w, h;
	uint8_t *px; /* RGB */
};

static int img_read(const char *path, struct img *im)
{
	memset(im, 0, sizeof(*im));
	cairo_surface_t *s = cairo_image_surface_create_from_png(path);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(s);
		return -1;
	}
	im->w = cairo_image_surface_get_width(s);
	im->h = cairo_image_surface_get_height(s);
	int stride = cairo_image_surface_get_stride(s);
	const unsigned char *data = cairo_image_surface_get_data(s);
	im->px = malloc((size_t)im->w * (size_t)im->h * 3 + 1);
	for (int y = 0; y < im->h; y++)
		for (int x = 0; x < im->w; x++) {
			uint32_t v;
			memcpy(&v, data + (size_t)y * stride + (size_t)x * 4,
			       4);
			uint8_t *p = im->px + ((size_t)y * im->w + x) * 3;
			p[0] = (uint8_t)(v >> 16);
			p[1] = (uint8_t)(v >> 8);
			p[2] = (uint8_t)v;
		}
	cairo_surface_destroy(s);
	return 0;
}

static uint32_t px_at(const struct img *im, int x, int y)
{
	const uint8_t *p = im->px + ((size_t)y * (size_t)im->w + (size_t)x) * 3;
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* distinct colors in [x0,x1) x [y0,y1) */
static int distinct(const struct img *im, int x0, int y0, int x1, int y1)
{
	size_t n = 0, cap = (size_t)(x1 - x0) * (size_t)(y1 - y0);
	uint32_t *v = malloc(cap * sizeof(*v) + 4);
	for (int y = y0; y < y1; y++)
		for (int x = x0; x < x1; x++)
			v[n++] = px_at(im, x, y);
	qsort(v, n, sizeof(*v), cmp_u32);
	int k = 0;
	for (size_t i = 0; i < n; i++)
		k += i == 0 || v[i] != v[i - 1];
	free(v);
	return k;
}

static int has_color(const struct img *im, struct trace_rgb c)
{
	uint32_t want = (uint32_t)c.r << 16 | (uint32_t)c.g << 8 | c.b;
	for (int y = 0; y < im->h; y++)
		for (int x = 0; x < im->w; x++)
			if (px_at(im, x, y) == want)
				return 1;
	return 0;
}

static uint32_t rgb32(struct trace_rgb c)
{
	return (uint32_t)c.r << 16 | (uint32_t)c.g << 8 | c.b;
}

/* ---- the case: 3 dense layers on mini64, with a matching graph ---------- */

struct tcase {
	struct machine m;
	struct plan p;
	struct graph g;
	struct stats st;
	struct report_in r;
};

static const int64_t dims[4] = {512, 1024, 256, 10};

static void case_make_spans(struct tcase *c, int64_t max_spans)
{
	struct diag d;
	diag_init(&d);
	CU_ASSERT_FATAL(machine_load("mini64", &c->m, &d) == 0);
	tp_dense_chain(&c->p, &c->m, 3, dims, 16, 32, PREC_MIXED);
	/* the SRAM of each stage differs, so the SRAM map has 3 levels */
	for (int s = 0; s < 3; s++)
		c->p.stages[s].sram.total =
			c->p.stages[s].sram.weights + c->p.stages[s].sram.grads;
	/* a graph whose layers 0..2 are the stages */
	graph_setup(&c->g, "chain3", "test");
	int x = graph_add_tensor(&c->g, "x", DT_FP32, 1, &dims[0]);
	c->g.tensors[x].is_input = 1;
	int prev = x;
	for (int i = 0; i < 3; i++) {
		char name[32];
		snprintf(name, sizeof(name), "h%d", i);
		int out = graph_add_tensor(&c->g, name, DT_FP32, 0, NULL);
		struct op_attrs a;
		memset(&a, 0, sizeof(a));
		a.units = dims[i + 1];
		a.bias = 1;
		snprintf(name, sizeof(name), "dense%d", i);
		graph_add_layer(&c->g, name, OP_DENSE, &a, 1, &prev, 1, &out);
		prev = out;
	}
	CU_ASSERT_FATAL(graph_finish(&c->g, &d) == 0);
	cost_count(&c->g, OPT_SGD);
	stats_init(&c->st);
	struct engine_opts o;
	engine_opts_init(&o);
	o.max_spans = max_spans;
	CU_ASSERT_FATAL(engine_run(&c->p, &c->g, &c->m, &o, &c->st, &d) == 0);
	memset(&c->r, 0, sizeof(c->r));
	c->r.p = &c->p;
	c->r.g = &c->g;
	c->r.m = &c->m;
	c->r.train = &c->st;
	c->r.epochs = 1;
	c->r.runs = 1;
	/* a GPU baseline to compare with (figures as the caller fills them) */
	c->r.gpu.present = 1;
	snprintf(c->r.gpu.name, sizeof(c->r.gpu.name), "testgpu");
	c->r.gpu.n_gpus = 1;
	c->r.gpu.batch = 8;
	c->r.gpu.train_step_s[0] = 2e-3;
	c->r.gpu.train_step_s[1] = 1e-3;
	c->r.gpu.train_step_j[0] = 0.8;
	c->r.gpu.train_step_j[1] = 0.5;
	diag_release(&d);
}

static void case_make(struct tcase *c)
{
	case_make_spans(c, 0);
}

static void case_free(struct tcase *c)
{
	stats_release(&c->st);
	graph_release(&c->g);
	tp_release(&c->p);
}

static char *file_in(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/* WAFERSIM_TRACE_KEEP=DIR keeps the pictures of test_pictures there */
static void rm_rf_keep(const char *dir, int may_keep)
{
	const char *keep = may_keep ? getenv("WAFERSIM_TRACE_KEEP") : NULL;
	char *cmd =
		keep ? xasprintf("rm -rf '%s' && mv '%s' '%s'", keep, dir, keep)
		     : xasprintf("rm -rf '%s'", dir);
	CU_ASSERT(system(cmd) == 0);
	free(cmd);
}

static void rm_rf(const char *dir)
{
	rm_rf_keep(dir, 0);
}

/* The map area of a wafer picture: where trace_frame_layout puts it. */
static void map_area(const struct machine *m, int *mx, int *my, int *mw,
		     int *mh, int *ch)
{
	int scale, bin, cw;
	trace_heat_scale(m->width, m->height, 0, &scale, &bin);
	struct trace_frame f = {0};
	f.map_w = (int)(m->width * scale);
	f.map_h = (int)(m->height * scale);
	f.bar_unit = "x";
	trace_frame_layout(&f, &cw, ch, mx, my);
	*mw = f.map_w;
	*mh = f.map_h;
}

/* PE utilisation: grey where no stage is, a viridis color at every
 * stage's centre, the stages outlined in white. */
static void check_heat_pe(const char *dir, const struct tcase *c)
{
	int mx, my, mw, mh, ch;
	map_area(&c->m, &mx, &my, &mw, &mh, &ch);
	CU_ASSERT(mw == 512 && mh == 512); /* mini64 scaled up 8x */
	struct img im;
	char *f = file_in(dir, "heat_pe.png");
	CU_ASSERT_FATAL(img_read(f, &im) == 0);
	CU_ASSERT(im.h == ch && im.w >= mx + mw + 50);
	CU_ASSERT(px_at(&im, mx + mw - 2, my + mh - 2) == 0xd9d9d9u);
	for (int s = 0; s < c->p.n_stages; s++) {
		const struct rect *r = &c->p.stages[s].r;
		uint32_t v = px_at(&im, mx + (r->x + r->w / 2) * 8 + 4,
				   my + (r->y + r->h / 2) * 8 + 4);
		CU_ASSERT(v != 0xd9d9d9u && v != 0xffffffu);
	}
	CU_ASSERT(has_color(&im, TRACE_WHITE));
	free(im.px);
	free(f);
	/* SRAM occupancy: the three stages' levels differ */
	f = file_in(dir, "heat_sram.png");
	CU_ASSERT_FATAL(img_read(f, &im) == 0);
	CU_ASSERT(im.h == ch);
	uint32_t lv[3];
	for (int s = 0; s < 3; s++) {
		const struct rect *r = &c->p.stages[s].r;
		lv[s] = px_at(&im, mx + (r->x + r->w / 2) * 8 + 4,
			      my + (r->y + r->h / 2) * 8 + 4);
	}
	CU_ASSERT(lv[0] != lv[1] && lv[1] != lv[2] && lv[0] != lv[2]);
	free(im.px);
	free(f);
	/* links: some links carry wavelets, most do not */
	f = file_in(dir, "heat_link.png");
	CU_ASSERT_FATAL(img_read(f, &im) == 0);
	CU_ASSERT(im.h == ch);
	CU_ASSERT(distinct(&im, mx, my, mx + mw, my + mh) >= 2);
	free(im.px);
	free(f);
}

/* placement: every stage's color, grey unused PEs, forward routes (their
 * destination squares), each stage's label inside its rectangle */
static void check_placement(const char *dir, const struct tcase *c)
{
	int mx, my, mw, mh, ch;
	map_area(&c->m, &mx, &my, &mw, &mh, &ch);
	struct img im;
	char *f = file_in(dir, "placement.png");
	CU_ASSERT_FATAL(img_read(f, &im) == 0);
	CU_ASSERT(im.w > mx + mw && im.h >= my + mh);
	for (int s = 0; s < c->p.n_stages; s++)
		CU_ASSERT(has_color(&im, trace_qual(s)));
	CU_ASSERT(px_at(&im, mx + mw - 2, my + mh - 2) == 0xd9d9d9u);
	CU_ASSERT(has_color(&im, (struct trace_rgb){0x10, 0x10, 0x10}));
	const struct rect *r0 = &c->p.stages[0].r;
	CU_ASSERT(distinct(&im, mx + r0->x * 8 + 2, my + r0->y * 8 + 2,
			   mx + (r0->x + r0->w) * 8 - 2,
			   my + (r0->y + r0->h) * 8 - 2) >= 2);
	free(im.px);
	free(f);
	/* the graph: Graphviz PNG with the stages' fill colors */
	f = file_in(dir, "graph.png");
	CU_ASSERT_FATAL(img_read(f, &im) == 0);
	CU_ASSERT(im.w > 50 && im.h > 100);
	for (int s = 0; s < 3; s++)
		CU_ASSERT(has_color(&im, trace_qual(s)));
	free(im.px);
	free(f);
}

/* gnuplot charts: size from their scripts, not blank */
static void check_charts(const char *dir)
{
	const char *charts[3] = {"timeline.png", "breakdown.png", "gpu.png"};
	/* gpu: one row of panels (training only) */
	const int cw[3] = {1000, 760, 1200}, chh[3] = {640, 880, 500};
	for (int k = 0; k < 3; k++) {
		struct img im;
		char *f = file_in(dir, charts[k]);
		CU_ASSERT_FATAL(img_read(f, &im) == 0);
		CU_ASSERT(im.w == cw[k] && im.h == chh[k]);
		CU_ASSERT(distinct(&im, 0, 0, im.w, im.h) > 10);
		free(im.px);
		free(f);
	}
}

/* The output of a shell command run in dir (heap), or NULL. */
static char *run_in(const char *dir, const char *cmd)
{
	char *full = xasprintf("cd '%s' && %s 2>&1", dir, cmd);
	FILE *p = popen(full, "r");
	free(full);
	if (!p)
		return NULL;
	size_t cap = 4096, n = 0;
	char *out = xmalloc(cap);
	size_t got;
	while ((got = fread(out + n, 1, cap - n - 1, p)) > 0) {
		n += got;
		if (n + 1 >= cap)
			out = xrealloc(out, cap *= 2);
	}
	out[n] = 0;
	int rc = pclose(p);
	if (rc) {
		free(out);
		return NULL;
	}
	return out;
}

/* Every picture as PNG, SVG and PDF: each SVG well-formed with the
 * elements its kind draws, each PDF carrying its labels. */
static void check_formats(const char *dir)
{
	static const struct {
		const char *base, *element, *label;
	} pics[] = {
		{"heat_pe", "image", "PE utilisation"},
		{"heat_link", "image", "Link utilisation"},
		{"heat_sram", "image", "SRAM occupancy"},
		{"placement", "path", "forward route"},
		{"graph", "polygon", "dense2"},
		{"timeline", "path", "power"},
		{"breakdown", "path", "compute"},
		{"gpu", "path", "faster"},
	};
	for (size_t k = 0; k < ARRAY_SIZE(pics); k++) {
		static const char *const ext[3] = {"png", "svg", "pdf"};
		for (int e = 0; e < 3; e++) {
			char *name = xasprintf("%s.%s", pics[k].base, ext[e]);
			char *f = file_in(dir, name);
			struct stat sb;
			CU_ASSERT(stat(f, &sb) == 0 && sb.st_size > 0);
			if (stat(f, &sb))
				printf("\n  missing: %s\n", name);
			free(f);
			free(name);
		}
		char *cmd = xasprintf(
			"python3 -c \"import sys, xml.dom.minidom as m; "
			"d = m.parse('%s.svg'); "
			"print(d.documentElement.tagName, "
			"len(d.getElementsByTagName('%s')))\"",
			pics[k].base, pics[k].element);
		char *out = run_in(dir, cmd);
		CU_ASSERT(out && !strncmp(out, "svg ", 4) && atoi(out + 4) > 0);
		free(out);
		free(cmd);
		cmd = xasprintf("pdftotext '%s.pdf' -", pics[k].base);
		out = run_in(dir, cmd);
		CU_ASSERT(out && strstr(out, pics[k].label));
		if (!out || !strstr(out, pics[k].label))
			printf("\n  %s.pdf lacks '%s'\n", pics[k].base,
			       pics[k].label);
		free(out);
		free(cmd);
	}
}

/* The breakdown names all four parts of a stage's time, in percent and
 * per step, with the run's step count. */
static void check_breakdown(const char *dir)
{
	char *txt = run_in(dir, "pdftotext breakdown.pdf -");
	static const char *const parts[] = {"compute", "comm", "wait in",
					    "wait out", "% of the run",
					    "us per step"};
	for (size_t k = 0; k < ARRAY_SIZE(parts); k++)
		CU_ASSERT(txt && strstr(txt, parts[k]));
	const char *eq = txt ? strstr(txt, " cycles = ") : NULL;
	int steps = 0;
	CU_ASSERT(eq && sscanf(eq, " cycles = %d step", &steps) == 1 &&
		  steps >= 1);
	free(txt);
}

/* Every part of every stage's time is a bar one can see (p1b1's comm is
 * 0.003% of its run: no bar in percent alone), with the legend's. */
static void check_breakdown_visible(const char *dir)
{
	char *py = tu_path("tests/unit/breakdown_bars.py");
	char *cmd = xasprintf("python3 '%s' .", py);
	char *txt = run_in(dir, cmd);
	CU_ASSERT_PTR_NOT_NULL_FATAL(txt);
	char name[16];
	int stages, bars, parts = 0, tiny = 0;
	for (const char *l = txt; l && sscanf(l, "%15s %d %d", name, &stages,
					      &bars) == 3;
	     l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		CU_ASSERT(bars >= stages + 1);
		if (bars < stages + 1)
			printf("\n  breakdown: %s in %d stages, %d bars\n",
			       name, stages, bars);
		parts++;
		tiny += !strcmp(name, "comm") && stages > 0;
	}
	CU_ASSERT_EQUAL(parts, 4);
	CU_ASSERT_EQUAL(tiny, 1); /* the case has the tiny part */
	free(txt);
	free(cmd);
	free(py);
}

static void test_pictures(void)
{
	struct tcase c;
	case_make(&c);
	char *dir = tu_temp_dir();
	struct diag d;
	diag_init(&d);
	struct trace_opts o;
	trace_opts_init(&o);
	o.quiet = 1;
	CU_ASSERT_FATAL(trace_write(&c.r, dir, &o, &d) == 0);
	check_heat_pe(dir, &c);
	check_placement(dir, &c);
	check_charts(dir);
	check_formats(dir);
	check_breakdown(dir);
	diag_release(&d);
	rm_rf_keep(dir, 1);
	free(dir);
	case_free(&c);
}

static void test_timeline_json(void)
{
	struct tcase c;
	case_make(&c);
	char *dir = tu_temp_dir();
	struct diag d;
	diag_init(&d);
	struct trace_opts o;
	trace_opts_init(&o);
	o.quiet = 1;
	o.gnuplot = o.graphviz = 0;
	o.pe_tracks = 2;
	CU_ASSERT_FATAL(trace_write(&c.r, dir, &o, &d) == 0);
	/* with PE tracks the timeline gets a third panel, one line a stage */
	char *gp = file_in(dir, "timeline.gp"), *script;
	size_t gl;
	CU_ASSERT_FATAL(read_file(gp, &script, &gl, &d) == 0);
	CU_ASSERT(strstr(script, "layout 3,1") && strstr(script, "[i=8:10]"));
	/* the power axis (the first panel) from 0; x fitted to the run */
	const char *pw = strstr(script, "title \"power\"");
	CU_ASSERT(pw && strstr(script, "set yrange [0:*]") &&
		  strstr(script, "set yrange [0:*]") < pw);
	double total_us = (double)c.st.total_cycles / c.m.clock_ghz * 1e-3;
	double xr = 0;
	const char *xq = strstr(script, "set xrange [0:");
	CU_ASSERT(xq && sscanf(xq, "set xrange [0:%lf]", &xr) == 1);
	CU_ASSERT(fabs(xr - total_us) <= 1e-3 * total_us + 1e-3);
	free(script);
	free(gp);
	char *f = file_in(dir, "trace.json"), *text;
	size_t len;
	CU_ASSERT_FATAL(read_file(f, &text, &len, &d) == 0);
	json_t *root = ws_json_parse(text, len, f, 1, &d);
	CU_ASSERT_FATAL(root != NULL);
	const json_t *ev = json_object_get(root, "traceEvents");
	CU_ASSERT_FATAL(json_is_array(ev));
	int spans[8] = {0}, compute = 0, counters = 0, bad = 0, names = 0;
	double end_max = 0;
	for (size_t i = 0; i < json_array_size(ev); i++) {
		const json_t *e = json_array_get(ev, i);
		const char *ph = ws_json_str_at(e, "ph");
		CU_ASSERT_FATAL(ph != NULL);
		double tid = 0, ts = -1, dur = -1;
		ws_json_num_at(e, "tid", &tid);
		if (!strcmp(ph, "X")) {
			if (!ws_json_num_at(e, "ts", &ts) ||
			    !ws_json_num_at(e, "dur", &dur) || ts < 0 ||
			    dur < 0 || ts + dur > total_us + 1e-5)
				bad++;
			end_max = ts + dur > end_max ? ts + dur : end_max;
			if (tid >= 1 && tid <= 3)
				spans[(int)tid]++;
			if (!strcmp(ws_json_str_at(e, "name"), "compute"))
				compute++;
		} else if (!strcmp(ph, "C")) {
			counters++;
		} else if (!strcmp(ph, "M")) {
			names++;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	for (int s = 1; s <= 3; s++)
		CU_ASSERT(spans[s] > 0);
	CU_ASSERT(compute > 0);
	CU_ASSERT_EQUAL(counters, 3 * c.st.win.n);
	/* stage tracks and 2 sampled PEs per stage, each named and sorted */
	CU_ASSERT_EQUAL(names, 1 + 2 * (3 + 3 * 2));
	/* the spans of a track cover the run: last end at the run's end */
	CU_ASSERT(fabs(end_max - total_us) < 1e-3);
	json_decref(root);
	free(text);
	free(f);
	diag_release(&d);
	rm_rf(dir);
	free(dir);
	case_free(&c);
}

/* With task spans recorded: one compute span per task, per stage in time
 * order, every span inside the run; route streams on their own tracks. */
static void test_timeline_recorded(void)
{
	struct tcase c;
	case_make_spans(&c, 100000);
	CU_ASSERT(c.st.n_spans > 0 && c.st.spans_dropped == 0);
	char *dir = tu_temp_dir();
	struct diag d;
	diag_init(&d);
	struct trace_opts o;
	trace_opts_init(&o);
	o.quiet = 1;
	o.gnuplot = o.graphviz = 0;
	CU_ASSERT_FATAL(trace_write(&c.r, dir, &o, &d) == 0);
	char *f = file_in(dir, "trace.json"), *text;
	size_t len;
	CU_ASSERT_FATAL(read_file(f, &text, &len, &d) == 0);
	json_t *root = ws_json_parse(text, len, f, 1, &d);
	CU_ASSERT_FATAL(root != NULL);
	const json_t *ev = json_object_get(root, "traceEvents");
	CU_ASSERT_FATAL(json_is_array(ev));
	double total_us = (double)c.st.total_cycles / c.m.clock_ghz * 1e-3;
	int64_t fwd[4] = {0}, bwd[4] = {0}, streams = 0;
	double last_end[4] = {0};
	int bad = 0, overlap = 0;
	for (size_t i = 0; i < json_array_size(ev); i++) {
		const json_t *e = json_array_get(ev, i);
		if (strcmp(ws_json_str_at(e, "ph"), "X"))
			continue;
		double pid = 0, tid = 0, ts = -1, dur = -1;
		ws_json_num_at(e, "pid", &pid);
		ws_json_num_at(e, "tid", &tid);
		if (!ws_json_num_at(e, "ts", &ts) ||
		    !ws_json_num_at(e, "dur", &dur) || ts < 0 || dur <= 0 ||
		    ts + dur > total_us + 1e-5)
			bad++;
		const char *name = ws_json_str_at(e, "name");
		if (pid == 2) {
			streams += !strcmp(name, "stream");
			continue;
		}
		int s = (int)tid;
		if (s < 1 || s > 3)
			continue;
		if (ts < last_end[s] - 1e-6)
			overlap++;
		last_end[s] = ts + dur;
		const char *pass = ws_json_str_at(e, "args.pass");
		if (!strcmp(name, "compute") && pass) {
			fwd[s] += !strcmp(pass, "fwd");
			bwd[s] += !strcmp(pass, "bwd");
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(overlap, 0);
	for (int s = 0; s < 3; s++) {
		CU_ASSERT_EQUAL(fwd[s + 1], c.st.stages[s].tasks[PASS_FWD]);
		CU_ASSERT_EQUAL(bwd[s + 1],
				c.st.stages[s].tasks[PASS_BWD_DATA]);
		CU_ASSERT(fabs(last_end[s + 1] - total_us) < 1e-3);
	}
	CU_ASSERT(streams > 0);
	CU_ASSERT(!strcmp(ws_json_str_at(root, "otherData.spans"),
			  "per task, recorded by the engine"));
	json_decref(root);
	free(text);
	free(f);
	/* the spans survive a save and load: same timeline re-rendered */
	char *dir2 = tu_temp_dir();
	int rrc = trace_replot(dir, dir2, &o, &d);
	if (rrc)
		diag_print(&d, stdout);
	CU_ASSERT_FATAL(rrc == 0);
	char *a = file_in(dir, "trace.json"), *b = file_in(dir2, "trace.json");
	char *x, *y;
	size_t nx, ny;
	CU_ASSERT_FATAL(read_file(a, &x, &nx, &d) == 0 &&
			read_file(b, &y, &ny, &d) == 0);
	CU_ASSERT(nx == ny && !memcmp(x, y, nx));
	free(x);
	free(y);
	free(a);
	free(b);
	diag_release(&d);
	rm_rf(dir);
	rm_rf(dir2);
	free(dir);
	free(dir2);
	case_free(&c);
}

/* Recording spans changes nothing the engine reports. */
static void test_spans_do_not_change_run(void)
{
	struct tcase a, b;
	case_make_spans(&a, 0);
	case_make_spans(&b, 50);
	CU_ASSERT(a.st.n_spans == 0 && a.st.spans == NULL);
	CU_ASSERT(b.st.n_spans == 50 && b.st.spans_dropped > 0);
	CU_ASSERT_EQUAL(a.st.total_cycles, b.st.total_cycles);
	CU_ASSERT_EQUAL(a.st.step_cycles, b.st.step_cycles);
	CU_ASSERT_EQUAL(a.st.events, b.st.events);
	int64_t n = machine_pes(&a.m);
	CU_ASSERT(!memcmp(a.st.pe_busy_cycles, b.st.pe_busy_cycles,
			  (size_t)n * sizeof(uint64_t)));
	/* with spans dropped, the timeline falls back to windows */
	char *dir = tu_temp_dir();
	struct diag d;
	diag_init(&d);
	struct trace_opts o;
	trace_opts_init(&o);
	o.quiet = 1;
	o.gnuplot = o.graphviz = 0;
	CU_ASSERT_FATAL(trace_write(&b.r, dir, &o, &d) == 0);
	char *f = file_in(dir, "trace.json"), *text;
	size_t len;
	CU_ASSERT_FATAL(read_file(f, &text, &len, &d) == 0);
	CU_ASSERT(strstr(text, "per time window") != NULL);
	free(text);
	free(f);
	diag_release(&d);
	rm_rf(dir);
	free(dir);
	case_free(&a);
	case_free(&b);
}

static int same_file(const char *a, const char *b)
{
	char *x, *y;
	size_t nx, ny;
	struct diag d;
	diag_init(&d);
	int ok = read_file(a, &x, &nx, &d) == 0 &&
		 read_file(b, &y, &ny, &d) == 0;
	ok = ok && nx == ny && memcmp(x, y, nx) == 0;
	free(x);
	free(y);
	diag_release(&d);
	return ok;
}

static void test_replot_identical(void)
{
	struct tcase c;
	case_make(&c);
	char *dir = tu_temp_dir(), *dir2 = tu_temp_dir();
	struct diag d;
	diag_init(&d);
	struct trace_opts o;
	trace_opts_init(&o);
	o.quiet = 1;
	o.gnuplot = 0;
	o.link_dirs = 1;
	CU_ASSERT_FATAL(trace_write(&c.r, dir, &o, &d) == 0);
	CU_ASSERT_FATAL(trace_replot(dir, dir2, &o, &d) == 0);
	const char *files[] = {"heat_pe.png",	     "heat_link.png",
			       "heat_link_east.png", "heat_sram.png",
			       "placement.png",	     "trace.json",
			       "stats.json",	     "pe_util.csv",
			       "graph.dot",	     "breakdown.csv",
			       "breakdown.gp"};
	for (size_t k = 0; k < ARRAY_SIZE(files); k++) {
		char *a = file_in(dir, files[k]), *b = file_in(dir2, files[k]);
		CU_ASSERT(same_file(a, b));
		if (!same_file(a, b))
			printf("\n  differs after replot: %s\n", files[k]);
		free(a);
		free(b);
	}
	/* the CLI re-renders too */
	char *args = xasprintf("plot '%s' --no-gnuplot", dir), *out, *err;
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
	free(args);
	free(out);
	free(err);
	diag_release(&d);
	rm_rf(dir);
	rm_rf(dir2);
	free(dir);
	free(dir2);
	case_free(&c);
}

/* The GPU chart of a run with inference: a training row and an inference
 * row, each figure with its batch, the ratios in words. */
static void check_gpu_chart(const char *dir)
{
	char *gsvg = file_in(dir, "gpu.svg"), *gtext = NULL;
	size_t glen;
	struct diag dg;
	diag_init(&dg);
	CU_ASSERT_FATAL(read_file(gsvg, &gtext, &glen, &dg) == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(gtext, "training step, time"));
	CU_ASSERT_PTR_NOT_NULL(strstr(gtext, "one prediction, energy"));
	CU_ASSERT_PTR_NOT_NULL(strstr(gtext, "h100 eager b="));
	CU_ASSERT_PTR_NOT_NULL(strstr(gtext, "than eager"));
	/* values on the bars: every panel plots its labels */
	char *ggp = file_in(dir, "gpu.gp"), *gscript;
	size_t ggl;
	CU_ASSERT_FATAL(read_file(ggp, &gscript, &ggl, &dg) == 0);
	int lab = 0;
	for (const char *q = strstr(gscript, "with labels"); q;
	     q = strstr(q + 1, "with labels"))
		lab++;
	CU_ASSERT(lab >= 2);
	free(gscript);
	free(ggp);
	free(gtext);
	free(gsvg);
	diag_release(&dg);
}

/* End to end: `wafersim run --trace` on a zoo network, then `plot`. */
static void test_cli_run_trace(void)
{
	char *dir = tu_temp_dir(), *dir2 = tu_temp_dir(), *out, *err;
	char *args = xasprintf("run p1b1 --machine mini64 --gpu h100 --trace "
			       "'%s'",
			       dir);
	CU_ASSERT_EQUAL_FATAL(tu_run(args, &out, &err), 0);
	free(args);
	free(out);
	free(err);
	const char *files[] = {
		"trace.json",	 "stats.json",	  "pe_util.csv",
		"link_util.csv", "heat_pe.png",	  "heat_link.png",
		"heat_sram.png", "placement.png", "graph.dot",
		"graph.svg",	 "graph.png",	  "graph.pdf",
		"placement.svg", "placement.pdf", "timeline.csv",
		"timeline.png",	 "timeline.pdf",  "breakdown.csv",
		"breakdown.png", "gpu.csv",	  "gpu.png",
		"gpu.svg",	 "stages.csv"};
	for (size_t k = 0; k < ARRAY_SIZE(files); k++) {
		char *f = file_in(dir, files[k]);
		struct stat sb;
		CU_ASSERT(stat(f, &sb) == 0 && sb.st_size > 0);
		free(f);
	}
	check_gpu_chart(dir);
	check_breakdown_visible(dir);
	/* training and inference both simulated: the inference traced in
	 * infer/, its own job */
	char *inf = file_in(dir, "infer/stats.json"), *itext;
	size_t ilen;
	struct diag di;
	diag_init(&di);
	CU_ASSERT_FATAL(read_file(inf, &itext, &ilen, &di) == 0);
	json_t *ij = ws_json_parse(itext, ilen, inf, 1, &di);
	CU_ASSERT(ij && ws_json_str_at(ij, "job") &&
		  !strcmp(ws_json_str_at(ij, "job"), "infer"));
	json_decref(ij);
	free(itext);
	free(inf);
	diag_release(&di);
	inf = file_in(dir, "infer/placement.pdf");
	struct stat isb;
	CU_ASSERT(stat(inf, &isb) == 0 && isb.st_size > 0);
	free(inf);
	/* the traced run recorded task spans; the pictures are 1 per PE x 8 */
	struct diag d;
	diag_init(&d);
	char *f = file_in(dir, "trace.json"), *text;
	size_t len;
	CU_ASSERT_FATAL(read_file(f, &text, &len, &d) == 0);
	CU_ASSERT(strstr(text, "per task, recorded by the engine") != NULL);
	free(text);
	free(f);
	struct img im;
	f = file_in(dir, "heat_pe.png");
	CU_ASSERT_FATAL(img_read(f, &im) == 0);
	struct machine m;
	CU_ASSERT_FATAL(machine_load("mini64", &m, &d) == 0);
	int mx, my, mw, mh, ch;
	map_area(&m, &mx, &my, &mw, &mh, &ch);
	CU_ASSERT(im.h == ch && im.w > mx + mw);
	/* p1b1 does not fit mini64 layer-pipelined: weight streaming runs
	 * every layer on the whole wafer, so every PE is used, equally */
	CU_ASSERT_EQUAL(distinct(&im, mx + mw / 4, my + mh / 4,
				 mx + 3 * mw / 4, my + 3 * mh / 4), 1);
	CU_ASSERT(px_at(&im, mx + mw / 2, my + mh / 2) != 0xd9d9d9u);
	free(im.px);
	free(f);
	f = file_in(dir, "placement.png");
	CU_ASSERT_FATAL(img_read(f, &im) == 0);
	CU_ASSERT(has_color(&im, trace_qual(0))); /* the layers' outlines */
	free(im.px);
	free(f);
	/* plot re-renders the same C pictures elsewhere */
	args = xasprintf("plot '%s' -o '%s' --no-gnuplot --no-graphviz", dir,
			 dir2);
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
	free(args);
	free(out);
	free(err);
	const char *same[] = {"heat_pe.png", "heat_link.png", "heat_sram.png",
			      "placement.png", "trace.json"};
	for (size_t k = 0; k < ARRAY_SIZE(same); k++) {
		char *a = file_in(dir, same[k]), *b = file_in(dir2, same[k]);
		CU_ASSERT(same_file(a, b));
		free(a);
		free(b);
	}
	diag_release(&d);
	rm_rf(dir);
	rm_rf(dir2);
	free(dir);
	free(dir2);
}

static void test_bad_saved_stats(void)
{
	char *dir = tu_temp_dir();
	char *f = file_in(dir, "stats.json");
	FILE *fp = fopen(f, "w");
	CU_ASSERT_FATAL(fp != NULL);
	fprintf(fp, "{\"format\": \"wafersim-trace\", \"version\": 1,\n"
		    " \"network\": 3}\n");
	fclose(fp);
	struct diag d;
	diag_init(&d);
	CU_ASSERT_EQUAL(trace_replot(dir, dir, NULL, &d), WS_EINPUT);
	CU_ASSERT(diag_contains(&d, "'network' must be a string, got a number"));
	CU_ASSERT(diag_contains(&d, "stats.json)"));
	diag_clear(&d);
	/* a syntax error: jansson's line and column */
	fp = fopen(f, "w");
	CU_ASSERT_FATAL(fp != NULL);
	fprintf(fp, "{\"format\": \"wafersim-trace\",\n \"version\" 1}\n");
	fclose(fp);
	CU_ASSERT_EQUAL(trace_replot(dir, dir, NULL, &d), WS_EINPUT);
	CU_ASSERT(diag_contains(&d, "stats.json:2:"));
	diag_clear(&d);
	/* a bad value deep inside is named by its path */
	fp = fopen(f, "w");
	CU_ASSERT_FATAL(fp != NULL);
	fprintf(fp, "{\"format\": \"wafersim-trace\", \"stages\": "
		    "[{\"name\": \"a\"}, {\"name\": \"b\", \"x\": \"7\"}]}\n");
	fclose(fp);
	CU_ASSERT_EQUAL(trace_replot(dir, dir, NULL, &d), WS_EINPUT);
	CU_ASSERT(diag_contains(&d, "'stages[1].x' must be a number, got a "
				    "string"));
	diag_release(&d);
	char *args = xasprintf("plot '%s'", dir), *out, *err;
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 1);
	CU_ASSERT(strstr(err, "must be a string") != NULL);
	free(args);
	free(out);
	free(err);
	CU_ASSERT_EQUAL(tu_run("plot", &out, &err), 2);
	free(out);
	free(err);
	rm_rf(dir);
	free(dir);
	free(f);
}

/* A hand-made trace: one stage `name` over the whole W x H mesh. */
static void one_stage_trace(struct trace_data *t, const char *machine,
			    int64_t w, int64_t h, const char *name)
{
	trace_data_init(t);
	t->network = xstrdup("synthetic");
	t->machine = xstrdup(machine);
	t->strategy = xstrdup("hand");
	t->job = xstrdup("train");
	t->mode = xstrdup("pipelined");
	t->width = w;
	t->height = h;
	t->sram_bytes_per_pe = 49152;
	t->total_cycles = 1000;
	t->n_stages = 1;
	t->stages = xcalloc(2, sizeof(*t->stages));
	t->stages[0].name = xstrdup(name);
	t->stages[0].kind = xstrdup("dense");
	t->stages[0].limit = xstrdup("compute");
	t->stages[0].r = (struct rect){0, 0, (int)w, (int)h};
}

/* A mesh beyond 1200 a side is binned: 2050 x 1030 PEs at 2 x 2 per
 * pixel; the left half busy, the right half half as busy. */
static void test_binned_heatmap(void)
{
	struct trace_data t;
	one_stage_trace(&t, "big", 2050, 1030, "all");
	t.stages[0].sram_bytes = 24576;
	int64_t n = t.width * t.height;
	t.pe_util = xmalloc((size_t)n * sizeof(float));
	for (int64_t i = 0; i < n; i++)
		t.pe_util[i] = i % t.width < 1025 ? 1.0f : 0.5f;
	char *dir = tu_temp_dir();
	struct diag d;
	diag_init(&d);
	struct trace_opts o;
	trace_opts_init(&o);
	CU_ASSERT_FATAL(trace_heat_write(&t, dir, &o, &d) == 0);
	int scale, bin, cw, ch, mx, my;
	trace_heat_scale(t.width, t.height, 0, &scale, &bin);
	CU_ASSERT(scale == 1 && bin == 2);
	struct trace_frame fr = {0};
	fr.map_w = 1025;
	fr.map_h = 515;
	fr.bar_unit = "x";
	trace_frame_layout(&fr, &cw, &ch, &mx, &my);
	char *f = file_in(dir, "heat_pe.png");
	struct img im;
	CU_ASSERT_FATAL(img_read(f, &im) == 0);
	CU_ASSERT(im.h == ch && im.w >= mx + 1025);
	/* two halves, two colors (inside the stage's outline and label) */
	CU_ASSERT_EQUAL(distinct(&im, mx + 100, my + 40, mx + 500, my + 500),
			1);
	CU_ASSERT_EQUAL(distinct(&im, mx + 530, my + 40, mx + 1020, my + 500),
			1);
	CU_ASSERT(px_at(&im, mx + 300, my + 300) == rgb32(trace_viridis(1.0)));
	CU_ASSERT(px_at(&im, mx + 900, my + 300) == rgb32(trace_viridis(0.5)));
	free(im.px);
	free(f);
	/* asked for 4 x 4 PEs per pixel */
	o.heat_bin = 4;
	CU_ASSERT_FATAL(trace_heat_write(&t, dir, &o, &d) == 0);
	f = file_in(dir, "heat_sram.png");
	CU_ASSERT_FATAL(img_read(f, &im) == 0);
	fr.map_w = 513;
	fr.map_h = 258;
	trace_frame_layout(&fr, &cw, &ch, &mx, &my);
	CU_ASSERT(im.h == ch);
	CU_ASSERT_EQUAL(distinct(&im, mx + 100, my + 40, mx + 500, my + 250),
			1);
	free(im.px);
	free(f);
	diag_release(&d);
	rm_rf(dir);
	free(dir);
	trace_data_release(&t);
}

/* Routes pass under the stage labels, never over them: a backward route
 * (red) along the row of a stage's label is interrupted by the label's
 * box and drawn on both sides of it. */
static int route_red(uint32_t c)
{
	int r = (int)(c >> 16), g = (int)(c >> 8 & 0xff), b = (int)(c & 0xff);
	return r > g + 80 && r > b + 80;
}

static void test_routes_under_labels(void)
{
	struct trace_data t;
	one_stage_trace(&t, "m41", 41, 41, "a_stage_named_at_length/dense");
	CU_ASSERT_FATAL(!route_red(rgb32(trace_qual(0))));
	/* the label sits at the middle row (20 of 41), so does the route */
	t.n_routes = 1;
	t.routes = xcalloc(1, sizeof(*t.routes));
	struct trace_route *r = &t.routes[0];
	r->pass = xstrdup("bwd");
	r->wavelets = 100;
	r->n_points = 2;
	r->points = xcalloc(2, sizeof(*r->points));
	r->points[0] = (struct plan_point){0, 20};
	r->points[1] = (struct plan_point){40, 20};
	char *dir = tu_temp_dir();
	struct diag d;
	diag_init(&d);
	struct trace_opts o;
	trace_opts_init(&o);
	CU_ASSERT_FATAL(trace_place_write(&t, dir, &o, &d) == 0);
	char *f = file_in(dir, "placement.png");
	struct img im;
	CU_ASSERT_FATAL(img_read(f, &im) == 0);
	int best = -1, most = 0;
	for (int y = 0; y < im.h; y++) {
		int n = 0;
		for (int x = 0; x < im.w; x++)
			n += route_red(px_at(&im, x, y));
		if (n > most)
			most = n, best = y;
	}
	CU_ASSERT_FATAL(best >= 0);
	int xl = -1, xr = -1, gap = 0, run = 0;
	for (int x = 0; x < im.w; x++)
		if (route_red(px_at(&im, x, best)))
			xr = x, xl = xl < 0 ? x : xl;
	for (int x = xl; x <= xr; x++) {
		run = route_red(px_at(&im, x, best)) ? 0 : run + 1;
		gap = run > gap ? run : gap;
	}
	/* the label's box: a gap of at least its text's width; the route on
	 * both sides of it over most of the map */
	CU_ASSERT(gap >= 60);
	CU_ASSERT(most >= 200);
	free(im.px);
	free(f);
	diag_release(&d);
	rm_rf(dir);
	free(dir);
	trace_data_release(&t);
}

static void test_colors_and_bins(void)
{
	/* qualitative colors never repeat within a figure, and none is the
	 * grey of unused PEs */
	int n = 300;
	uint32_t *v = malloc((size_t)n * sizeof(*v));
	for (int i = 0; i < n; i++) {
		v[i] = rgb32(trace_qual(i));
		CU_ASSERT(v[i] != rgb32(TRACE_UNUSED));
	}
	qsort(v, (size_t)n, sizeof(*v), cmp_u32);
	int dup = 0;
	for (int i = 1; i < n; i++)
		dup += v[i] == v[i - 1];
	CU_ASSERT_EQUAL(dup, 0);
	free(v);
	/* wafer scale: one pixel per PE for WSE-2, binned beyond 1200 */
	int s, b;
	trace_heat_scale(757, 996, 0, &s, &b);
	CU_ASSERT(s == 1 && b == 1);
	trace_heat_scale(3000, 2000, 0, &s, &b);
	CU_ASSERT(s == 1 && b == 3);
	trace_heat_scale(16, 16, 0, &s, &b);
	CU_ASSERT(s == 32 && b == 1);
	trace_heat_scale(757, 996, 4, &s, &b);
	CU_ASSERT(s == 1 && b == 4);
}

/* `wafersim run OPTS --trace DIR` into a fresh DIR (heap), which it
 * returns; the run must succeed. */
static char *traced_run(const char *opts)
{
	char *dir = tu_temp_dir(), *out, *err;
	char *args = xasprintf("run %s --trace '%s'", opts, dir);
	CU_ASSERT_EQUAL(tu_run(args, &out, &err), 0);
	free(args);
	free(out);
	free(err);
	return dir;
}

/* Time-shared stages (Uno's encoders on mini128) are drawn as one
 * rectangle named by all its stages; the legend lists only the route
 * kinds drawn; no two route names on the link map overlap (their boxes as
 * pdftotext -bbox reads them from the PDF). */
static void test_time_shared_and_names(void)
{
	char *dir = traced_run("uno --machine mini128 --job train");
	char *txt = run_in(dir, "pdftotext placement.pdf -");
	CU_ASSERT_PTR_NOT_NULL_FATAL(txt);
	CU_ASSERT_PTR_NOT_NULL(strstr(txt, "time-shared"));
	CU_ASSERT_PTR_NOT_NULL(strstr(txt, "6 desc2_enc/fc.1/dense on 3's PEs"));
	CU_ASSERT_PTR_NOT_NULL(strstr(txt, "forward route"));
	CU_ASSERT_PTR_NULL(strstr(txt, "shared-weight sync")); /* none */
	free(txt);
	txt = run_in(dir, "pdftotext heat_pe.pdf -");
	CU_ASSERT(txt && strstr(txt, "(time-shared)"));
	free(txt);
	/* the 1 x 1 loss is ringed and named on the map, not only in the
	 * legend: its index is a word twice */
	txt = run_in(dir, "pdftotext -bbox placement.pdf - | python3 -c \""
			  "import re, sys\n"
			  "t = sys.stdin.read()\n"
			  "i = re.search(r'>([0-9]+)</word>\\s*<word[^>]*>loss<', t)"
			  ".group(1)\n"
			  "print(len(re.findall('>' + i + '</word>', t)))\"");
	CU_ASSERT(txt && atoi(txt) >= 2);
	free(txt);
	/* route names: words "rN" with their boxes; count overlapping pairs */
	txt = run_in(dir,
		     "pdftotext -bbox heat_link.pdf - | python3 -c \""
		     "import re, sys\n"
		     "b = [tuple(map(float, m.groups())) for m in re.finditer("
		     "r'xMin=.([0-9.]+). yMin=.([0-9.]+). xMax=.([0-9.]+). "
		     "yMax=.([0-9.]+).>r[0-9]+<', sys.stdin.read())]\n"
		     "n = sum(1 for i in range(len(b)) for j in range(i) if "
		     "b[i][0] < b[j][2] and b[j][0] < b[i][2] and "
		     "b[i][1] < b[j][3] and b[j][1] < b[i][3])\n"
		     "print(len(b), n)\"");
	int names = 0, overlaps = -1;
	CU_ASSERT(txt && sscanf(txt, "%d %d", &names, &overlaps) == 2);
	CU_ASSERT(names >= 40); /* every route (45) named */
	CU_ASSERT_EQUAL(overlaps, 0);
	free(txt);
	/* bundles: the routes' lanes are saved for the outlines */
	txt = run_in(dir, "python3 -c \"import json; r = json.load(open("
			  "'stats.json'))['routes']; print(sum(1 for x in r "
			  "if x.get('lanes', 0) > 1))\"");
	CU_ASSERT(txt && atoi(txt) >= 10);
	free(txt);
	rm_rf_keep(dir, 0);
	free(dir);
}

/* Shared-weight sync routes (Uno with replicas) are drawn in their own
 * color and named in the legend; a streamed plan's layers each get their
 * own color (nested outlines). */
static void test_sync_and_streaming_colors(void)
{
	char *dir = traced_run("uno --machine mini128 --job train "
			       "--sharing replicas");
	char *txt = run_in(dir, "pdftotext placement.pdf -");
	CU_ASSERT(txt && strstr(txt, "shared-weight sync (per step)"));
	free(txt);
	struct img im;
	char *f = file_in(dir, "placement.png");
	CU_ASSERT_FATAL(img_read(f, &im) == 0);
	CU_ASSERT(has_color(&im, (struct trace_rgb){0x7b, 0x2c, 0xbf}));
	free(im.px);
	free(f);
	rm_rf_keep(dir, 0);
	free(dir);
	dir = traced_run("p1b2 --machine mini64 --mode streaming --job train");
	txt = run_in(dir, "pdftotext placement.pdf -");
	int last = -1;
	const char *l = txt ? strstr(txt, "layers 0-") : NULL;
	CU_ASSERT(l && sscanf(l, "layers 0-%d", &last) == 1 && last >= 2);
	free(txt);
	f = file_in(dir, "placement.png");
	CU_ASSERT_FATAL(img_read(f, &im) == 0);
	for (int s = 0; s <= last; s++)
		CU_ASSERT(has_color(&im, trace_qual(s)));
	free(im.px);
	free(f);
	rm_rf_keep(dir, 0);
	free(dir);
}

int suite_trace(void)
{
	static const struct tu_test tests[] = {
		{"pictures are real (size, colors, labels)", test_pictures},
		{"timeline JSON parses, spans inside the run",
		 test_timeline_json},
		{"timeline from recorded task spans", test_timeline_recorded},
		{"recording spans changes nothing",
		 test_spans_do_not_change_run},
		{"replot from saved stats is identical", test_replot_identical},
		{"bad saved stats are reported", test_bad_saved_stats},
		{"wafersim run --trace, then plot", test_cli_run_trace},
		{"colors never repeat, heatmap scale", test_colors_and_bins},
		{"routes pass under the stage labels", test_routes_under_labels},
		{"big meshes are binned", test_binned_heatmap},
		{"time-shared stages named together, route names apart",
		 test_time_shared_and_names},
		{"sync routes and streamed layers in colors of their own",
		 test_sync_and_streaming_colors},
		{0}};
	return tu_add_suite("trace", tests);
}
