/*
 * trace_heat.c: wafer heatmaps (PE utilisation, link utilisation, SRAM
 * occupancy) and the placement map, drawn in C (trace_png.h).
 *
 * One pixel per PE up to 1200 PEs a side (WSE-2 757 x 996, WSE-3 762 x 1176), scaled up for
 * small meshes, binned (mean of the PEs under a pixel) beyond, or as asked
 * by opts.heat_bin.  PEs that no stage uses are grey on the PE and SRAM
 * maps, so "idle" and "unused" do not look alike.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ground/util.h"
#include "traces/trace_int.h"
#include "traces/trace_png.h"

#define UNUSED_GREY ((struct trace_rgb){0xd9, 0xd9, 0xd9})

void trace_heat_scale(int64_t w, int64_t h, int heat_bin, int *scale, int *bin)
{
	int64_t m = w > h ? w : h;
	*scale = 1;
	*bin = 1;
	if (heat_bin > 0)
		*bin = heat_bin;
	else if (m > 1200)
		*bin = (int)((m + 1199) / 1200);
	else if (m > 0 && m < 512)
		*scale = (int)(512 / m);
}

/* cells -> pixels of one side */
static int px_of(int64_t cells, int scale, int bin)
{
	return (int)(scale > 1 ? cells * scale : (cells + bin - 1) / bin);
}

/* 1 where a stage's rectangle covers the PE */
static uint8_t *used_mask(const struct trace_data *t)
{
	uint8_t *u = xcalloc((size_t)(t->width * t->height) + 1, 1);
	for (int s = 0; s < t->n_stages; s++) {
		const struct rect *r = &t->stages[s].r;
		for (int64_t y = r->y; y < (int64_t)r->y + r->h; y++)
			for (int64_t x = r->x; x < (int64_t)r->x + r->w; x++)
				if (x >= 0 && y >= 0 && x < t->width &&
				    y < t->height)
					u[y * t->width + x] = 1;
	}
	return u;
}

struct heat {
	const char *file, *title, *unit;
	char subtitle[200];
	const float *v;	     /* [W*H] */
	const uint8_t *used; /* NULL: every PE shown */
	double hi;	     /* top of the color scale */
};

static int heat_draw(const struct trace_data *t, const char *dir,
		     const struct heat *h, const struct trace_opts *o,
		     struct diag *d)
{
	int scale, bin;
	trace_heat_scale(t->width, t->height, o->heat_bin, &scale, &bin);
	struct trace_frame fr = {0};
	fr.map_w = px_of(t->width, scale, bin);
	fr.map_h = px_of(t->height, scale, bin);
	fr.cells_w = t->width;
	fr.cells_h = t->height;
	fr.title = h->title;
	fr.subtitle = h->subtitle;
	fr.bar_unit = h->unit;
	fr.bar_lo = 0;
	fr.bar_hi = h->hi > 0 ? h->hi : 1;
	int cw, ch, mx, my;
	trace_frame_layout(&fr, &cw, &ch, &mx, &my);
	struct trace_canvas c;
	trace_canvas_init(&c, cw, ch, TRACE_WHITE);
	trace_frame_draw(&c, &fr, mx, my);
	double inv = 1.0 / fr.bar_hi;
	if (scale > 1 || bin == 1) {
		float lastv = 0;
		struct trace_rgb lastc = trace_viridis(0);
		for (int64_t y = 0; y < t->height; y++)
			for (int64_t x = 0; x < t->width; x++) {
				int64_t id = y * t->width + x;
				if (h->v[id] != lastv) {
					lastv = h->v[id];
					lastc = trace_viridis(lastv * inv);
				}
				struct trace_rgb col = h->used && !h->used[id]
							       ? UNUSED_GREY
							       : lastc;
				if (scale == 1)
					trace_put(&c, mx + (int)x, my + (int)y,
						  col);
				else
					trace_fill(&c, mx + (int)x * scale,
						   my + (int)y * scale, scale,
						   scale, col);
			}
	} else {
		for (int py = 0; py < fr.map_h; py++)
			for (int px = 0; px < fr.map_w; px++) {
				double sum = 0;
				int n = 0;
				for (int64_t y = (int64_t)py * bin;
				     y < (int64_t)(py + 1) * bin &&
				     y < t->height;
				     y++)
					for (int64_t x = (int64_t)px * bin;
					     x < (int64_t)(px + 1) * bin &&
					     x < t->width;
					     x++) {
						int64_t id = y * t->width + x;
						if (h->used && !h->used[id])
							continue;
						sum += h->v[id];
						n++;
					}
				trace_put(&c, mx + px, my + py,
					  n ? trace_viridis(sum / n * inv)
					    : UNUSED_GREY);
			}
	}
	char *path = trace_path(dir, h->file);
	int rc = trace_png_write(&c, path, d);
	free(path);
	trace_canvas_release(&c);
	return rc;
}

/* The scale's top: the smallest of 1, 2, 2.5, 5 x 10^k at or above v, so
 * a light load still spreads over the colors (1 if v is 0 or beyond 1). */
static double nice_ceil(double v)
{
	if (!(v > 0) || v >= 1)
		return v > 1 ? v : 1;
	double p = pow(10, floor(log10(v)));
	static const double m[] = {1, 2, 2.5, 5, 10};
	for (size_t i = 0; i < 5; i++)
		if (m[i] * p >= v * (1 - 1e-12))
			return m[i] * p;
	return 10 * p;
}

static double max_of(const float *v, int64_t n)
{
	double m = 0;
	for (int64_t i = 0; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

int trace_heat_write(const struct trace_data *t, const char *dir,
		     const struct trace_opts *o, struct diag *d)
{
	int64_t n = t->width * t->height;
	if (n <= 0)
		return 0;
	uint8_t *used = used_mask(t);
	float *v = xmalloc((size_t)n * sizeof(float));
	char *title;
	int rc = 0;
	int64_t n_used = 0;
	for (int64_t i = 0; i < n; i++)
		n_used += used[i];
	/* PE utilisation */
	if (t->pe_util) {
		double sum = 0;
		for (int64_t i = 0; i < n; i++)
			sum += used[i] ? t->pe_util[i] : 0;
		struct heat h = {.file = "heat_pe.png",
				 .unit = "busy frac",
				 .v = t->pe_util,
				 .used = used,
				 .hi = nice_ceil(max_of(t->pe_util, n))};
		title = xasprintf("PE utilisation: %s on %s (%s)", t->network,
				  t->machine, t->job);
		h.title = title;
		snprintf(h.subtitle, sizeof(h.subtitle),
			 "busy / %.0f cycles; mean %.3f over %lld used PEs "
			 "(grey: unused)",
			 t->total_cycles, n_used ? sum / (double)n_used : 0,
			 (long long)n_used);
		rc = heat_draw(t, dir, &h, o, d);
		free(title);
	}
	/* link utilisation: busiest outgoing link, then each direction */
	static const char *const dn[4] = {"east", "west", "south", "north"};
	for (int k = -1; !rc && t->link_util && k < (o->link_dirs ? 4 : 0);
	     k++) {
		if (k >= 0 && !t->link_dirs_saved)
			break;
		for (int64_t i = 0; i < n; i++)
			v[i] = k < 0 ? trace_link_max(t, i)
				     : t->link_util[i * 4 + k];
		char file[64];
		snprintf(file, sizeof(file),
			 k < 0 ? "heat_link.png" : "heat_link_%s.png",
			 k < 0 ? "" : dn[k]);
		/* a link carries at most one wavelet per cycle: the scale
		 * tops at that; more (the engine counting a stream's lanes
		 * on one link) saturates and is counted in the subtitle */
		double top = max_of(v, n);
		int64_t over = 0;
		for (int64_t i = 0; i < n; i++)
			over += v[i] > 1.0f;
		struct heat h = {.file = file,
				 .unit = "wavelet/cyc",
				 .v = v,
				 .used = NULL,
				 .hi = top > 1 ? 1 : nice_ceil(top)};
		title = xasprintf("Link utilisation%s%s: %s on %s (%s)",
				  k < 0 ? "" : ", ", k < 0 ? "" : dn[k],
				  t->network, t->machine, t->job);
		h.title = title;
		snprintf(h.subtitle, sizeof(h.subtitle),
			 k < 0 ? "wavelets per cycle on each PE's busiest "
				 "outgoing link, over %.0f cycles; %lld above 1"
			       : "wavelets per cycle leaving each PE this way, "
				 "over %.0f cycles; %lld above 1",
			 t->total_cycles, (long long)over);
		rc = heat_draw(t, dir, &h, o, d);
		free(title);
	}
	/* SRAM occupancy: the fullest PE of each stage stands for its stage */
	if (!rc) {
		memset(v, 0, (size_t)n * sizeof(float));
		double cap = t->sram_bytes_per_pe > 0
				     ? (double)t->sram_bytes_per_pe
				     : 1;
		double worst = 0;
		for (int s = 0; s < t->n_stages; s++) {
			const struct rect *r = &t->stages[s].r;
			double f = (double)t->stages[s].sram_bytes / cap;
			worst = f > worst ? f : worst;
			for (int64_t y = r->y; y < (int64_t)r->y + r->h; y++)
				for (int64_t x = r->x; x < (int64_t)r->x + r->w;
				     x++)
					if (x >= 0 && y >= 0 && x < t->width &&
					    y < t->height)
						v[y * t->width + x] = (float)f;
		}
		struct heat h = {.file = "heat_sram.png",
				 .unit = "SRAM frac",
				 .v = v,
				 .used = used,
				 .hi = nice_ceil(worst)};
		title = xasprintf("SRAM occupancy: %s on %s", t->network,
				  t->machine);
		h.title = title;
		snprintf(h.subtitle, sizeof(h.subtitle),
			 "bytes used / %lld bytes per PE (fullest PE of each "
			 "stage); fullest %.1f%%",
			 (long long)t->sram_bytes_per_pe, worst * 100);
		rc = heat_draw(t, dir, &h, o, d);
		free(title);
	}
	free(v);
	free(used);
	return rc;
}

/* ---- placement map ------------------------------------------------------ */

#define ROUTE_FWD    ((struct trace_rgb){0x10, 0x10, 0x10})
#define ROUTE_BWD    ((struct trace_rgb){0xc0, 0x00, 0x00})
#define LEGEND_CHARS 38

int trace_place_write(const struct trace_data *t, const char *dir,
		      const struct trace_opts *o, struct diag *d)
{
	if (t->width <= 0 || t->height <= 0)
		return 0;
	int scale, bin;
	trace_heat_scale(t->width, t->height, o->heat_bin, &scale, &bin);
	const struct trace_font *sm = &trace_font_small;
	struct trace_frame fr = {0};
	fr.map_w = px_of(t->width, scale, bin);
	fr.map_h = px_of(t->height, scale, bin);
	fr.cells_w = t->width;
	fr.cells_h = t->height;
	char *title = xasprintf("Placement: %s on %s (%s, %s)", t->network,
				t->machine, t->strategy, t->mode);
	/* weight streaming: the layers run in turn, each on (most of) the
	 * wafer: one color for all, the legend lists their order */
	int streaming = !strcmp(t->mode, "streaming");
	uint8_t *mask = used_mask(t);
	int64_t used = 0;
	for (int64_t i = 0; i < t->width * t->height; i++)
		used += mask[i];
	free(mask);
	char sub[200];
	snprintf(sub, sizeof(sub),
		 "%d %s on %lld of %lld PEs (%.1f%%), %d routes; grey: "
		 "unused PEs",
		 t->n_stages, streaming ? "layers in turn" : "stages",
		 (long long)used, (long long)(t->width * t->height),
		 100.0 * (double)used / (double)(t->width * t->height),
		 t->n_routes);
	fr.title = title;
	fr.subtitle = sub;
	fr.extra_right = 24 + LEGEND_CHARS * sm->w;
	int cw, ch, mx, my;
	trace_frame_layout(&fr, &cw, &ch, &mx, &my);
	int rows = t->n_stages + 4;
	if (ch < my + rows * (sm->h + 1) + 16 && rows <= 60)
		ch = my + rows * (sm->h + 1) + 16;
	struct trace_canvas c;
	trace_canvas_init(&c, cw, ch, TRACE_WHITE);
	trace_frame_draw(&c, &fr, mx, my);
	trace_fill(&c, mx, my, fr.map_w, fr.map_h, UNUSED_GREY);
	double kx = (double)fr.map_w / (double)t->width;
	double ky = (double)fr.map_h / (double)t->height;
	for (int s = 0; s < t->n_stages; s++) {
		const struct rect *r = &t->stages[s].r;
		int x0 = mx + (int)floor(r->x * kx),
		    y0 = my + (int)floor(r->y * ky);
		int x1 = mx + (int)ceil((r->x + r->w) * kx);
		int y1 = my + (int)ceil((r->y + r->h) * ky);
		struct trace_rgb col = trace_qual(streaming ? 0 : s);
		trace_fill(&c, x0, y0, x1 - x0, y1 - y0, col);
		if (x1 - x0 >= 4 && y1 - y0 >= 4)
			trace_box(&c, x0, y0, x1 - x0, y1 - y0,
				  (struct trace_rgb){0x40, 0x40, 0x40});
	}
	/* routes on top of rectangles, labels on top of routes */
	for (int i = 0; i < t->n_routes; i++) {
		const struct trace_route *r = &t->routes[i];
		struct trace_rgb col =
			strcmp(r->pass, "fwd") ? ROUTE_BWD : ROUTE_FWD;
		int thick = scale >= 4 ? 3 : 2;
		for (int k = 0; k + 1 < r->n_points; k++) {
			int ax = mx + (int)((r->points[k].x + 0.5) * kx);
			int ay = my + (int)((r->points[k].y + 0.5) * ky);
			int bx = mx + (int)((r->points[k + 1].x + 0.5) * kx);
			int by = my + (int)((r->points[k + 1].y + 0.5) * ky);
			trace_line(&c, ax, ay, bx, by, thick, col);
		}
		if (r->n_points > 0) {
			const struct plan_point *e =
				&r->points[r->n_points - 1];
			int ex = mx + (int)((e->x + 0.5) * kx);
			int ey = my + (int)((e->y + 0.5) * ky);
			trace_fill(&c, ex - 3, ey - 3, 7, 7, col);
		}
	}
	char buf[96];
	for (int s = 0; s < t->n_stages; s++) {
		const struct rect *r = &t->stages[s].r;
		int x0 = mx + (int)floor(r->x * kx),
		    y0 = my + (int)floor(r->y * ky);
		int wpx = (int)ceil(r->w * kx), hpx = (int)ceil(r->h * ky);
		if (streaming) { /* one label for the layers in turn */
			if (s == 0) {
				snprintf(buf, sizeof(buf),
					 "layers 0-%d in turn (weight "
					 "streaming)",
					 t->n_stages - 1);
				if (trace_text_w(sm, buf) + 2 <= wpx)
					trace_text(
						&c, sm,
						x0 + (wpx -
						      trace_text_w(sm, buf)) /
								2,
						y0 + (hpx - sm->h) / 2, buf,
						trace_ink_on(trace_qual(0)));
			}
			continue;
		}
		struct trace_rgb ink = trace_ink_on(trace_qual(s));
		snprintf(buf, sizeof(buf), "%d %s", s, t->stages[s].name);
		if (trace_text_w(sm, buf) + 4 > wpx)
			snprintf(buf, sizeof(buf), "%d", s);
		if (trace_text_w(sm, buf) + 2 <= wpx && sm->h + 2 <= hpx)
			trace_text(&c, sm,
				   x0 + (wpx - trace_text_w(sm, buf)) / 2,
				   y0 + (hpx - sm->h) / 2, buf, ink);
	}
	/* legend */
	int lx = mx + fr.map_w + 16, ly = my;
	int max_rows = (ch - my - 8) / (sm->h + 1);
	for (int s = 0; s < t->n_stages; s++, ly += sm->h + 1) {
		if (s + 4 >= max_rows && s + 1 < t->n_stages) {
			snprintf(buf, sizeof(buf), "... %d more stages",
				 t->n_stages - s);
			trace_text(&c, sm, lx, ly, buf, TRACE_BLACK);
			ly += sm->h + 1;
			break;
		}
		trace_fill(&c, lx, ly + 2, 10, sm->h - 4,
			   trace_qual(streaming ? 0 : s));
		snprintf(buf, sizeof(buf), "%d %s %dx%d", s, t->stages[s].name,
			 t->stages[s].r.w, t->stages[s].r.h);
		buf[LEGEND_CHARS - 2] = 0;
		trace_text(&c, sm, lx + 14, ly, buf, TRACE_BLACK);
	}
	ly += 4;
	trace_fill(&c, lx, ly + 2, 10, sm->h - 4, UNUSED_GREY);
	trace_text(&c, sm, lx + 14, ly, "unused PEs", TRACE_BLACK);
	ly += sm->h + 1;
	trace_fill(&c, lx, ly + sm->h / 2 - 1, 10, 2, ROUTE_FWD);
	trace_text(&c, sm, lx + 14, ly, "forward route", TRACE_BLACK);
	ly += sm->h + 1;
	trace_fill(&c, lx, ly + sm->h / 2 - 1, 10, 2, ROUTE_BWD);
	trace_text(&c, sm, lx + 14, ly, "backward route", TRACE_BLACK);
	char *path = trace_path(dir, "placement.png");
	int rc = trace_png_write(&c, path, d);
	free(path);
	free(title);
	trace_canvas_release(&c);
	if (rc)
		return rc;
	/* the placement as CSV */
	path = trace_path(dir, "stages.csv");
	struct outfile of;
	rc = outfile_open(&of, path, d);
	free(path);
	if (rc)
		return WS_EIO;
	static const int cols[] = {TS_NAME,	TS_KIND,     TS_X,
				   TS_Y,	TS_W,	     TS_H,
				   TS_PES,	TS_SRAM,     TS_COMPUTE,
				   TS_COMM,	TS_WAIT_IN,  TS_WAIT_OUT,
				   TS_LIMIT};
	fputs("stage,", of.f);
	sf_csv_header(of.f, trace_stage_fields, cols, ARRAY_SIZE(cols));
	fputc('\n', of.f);
	for (int s = 0; s < t->n_stages; s++) {
		fprintf(of.f, "%d,", s);
		sf_csv_row(of.f, trace_stage_fields, cols, ARRAY_SIZE(cols),
			   &t->stages[s]);
		fputc('\n', of.f);
	}
	if (outfile_commit(&of, d))
		return WS_EIO;
	path = trace_path(dir, "routes.csv");
	rc = outfile_open(&of, path, d);
	free(path);
	if (rc)
		return WS_EIO;
	static const int rcols[] = {TR_SRC, TR_DST, TR_COLOR, TR_PASS,
				    TR_WAVELETS};
	fputs("route,", of.f);
	sf_csv_header(of.f, trace_route_fields, rcols, ARRAY_SIZE(rcols));
	fputs(",points\n", of.f);
	for (int i = 0; i < t->n_routes; i++) {
		const struct trace_route *r = &t->routes[i];
		fprintf(of.f, "%d,", i);
		sf_csv_row(of.f, trace_route_fields, rcols, ARRAY_SIZE(rcols), r);
		fputc(',', of.f);
		for (int k = 0; k < r->n_points; k++)
			fprintf(of.f, "%s%d:%d", k ? " " : "", r->points[k].x,
				r->points[k].y);
		fputc('\n', of.f);
	}
	return outfile_commit(&of, d) ? WS_EIO : 0;
}
