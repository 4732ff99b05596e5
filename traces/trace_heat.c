/*
 * trace_heat.c: wafer heatmaps (PE utilisation, link utilisation, SRAM
 * occupancy), drawn with cairo (trace_draw.h) as PNG, SVG and PDF.
 *
 * One cell per PE up to 1200 PEs a side (WSE-2 757 x 996, WSE-3 762 x
 * 1176), scaled up for small meshes, binned (mean of the PEs under a
 * pixel) beyond, or as asked by opts.heat_bin.  PEs that no stage uses
 * are grey on the PE and SRAM maps, so "idle" and "unused" do not look
 * alike.  The PE and SRAM maps outline and label every stage; the link
 * maps outline every route's bundle (its lanes side by side across each
 * segment, centred on the path, as the engine lays them) and name it
 * where no other name lies.  Scales start at 0.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ground/util.h"
#include "traces/trace_draw.h"
#include "traces/trace_int.h"

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

int trace_px_of(int64_t cells, int scale, int bin)
{
	return (int)(scale > 1 ? cells * scale : (cells + bin - 1) / bin);
}

void trace_stage_ids(const struct trace_data *t, int s, char *buf, size_t n)
{
	size_t k = 0;
	buf[0] = 0;
	for (int g = s; g < t->n_stages && k + 1 < n; g++)
		if (trace_stage_host(t, g) == s) {
			int w = snprintf(buf + k, n - k, "%s%d", k ? "+" : "", g);
			k = w < 0 ? n : k + (size_t)w;
		}
}

int trace_stage_host(const struct trace_data *t, int s)
{
	const struct rect *r = &t->stages[s].r;
	if (!t->mode || strcmp(t->mode, "pipelined"))
		return s;
	for (int h = 0; h < s; h++) {
		const struct rect *q = &t->stages[h].r;
		if (q->x == r->x && q->y == r->y && q->w == r->w && q->h == r->h)
			return h;
	}
	return s;
}

uint8_t *trace_used_mask(const struct trace_data *t)
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

enum overlay { OV_NONE, OV_STAGES, OV_ROUTES };

struct heat {
	const struct trace_data *t;
	const char *base, *title, *unit;
	char subtitle[200];
	const float *v;	     /* [W*H] */
	const uint8_t *used; /* NULL: every PE shown */
	double hi;	     /* top of the color scale (bottom: 0) */
	enum overlay overlay;
	int scale, bin;
	struct trace_frame fr;
	int cw, ch, mx, my;
};

/* One ARGB cell per PE (or per bin: the mean of its used PEs). */
static uint32_t *heat_cells(const struct heat *h, int *cw, int *ch)
{
	const struct trace_data *t = h->t;
	int b = h->scale > 1 ? 1 : h->bin;
	*cw = (int)((t->width + b - 1) / b);
	*ch = (int)((t->height + b - 1) / b);
	uint32_t *px = xmalloc((size_t)*cw * (size_t)*ch * 4);
	double inv = 1.0 / h->hi;
	for (int py = 0; py < *ch; py++)
		for (int pxi = 0; pxi < *cw; pxi++) {
			double sum = 0;
			int n = 0;
			for (int64_t y = (int64_t)py * b;
			     y < (int64_t)(py + 1) * b && y < t->height; y++)
				for (int64_t x = (int64_t)pxi * b;
				     x < (int64_t)(pxi + 1) * b && x < t->width;
				     x++) {
					int64_t id = y * t->width + x;
					if (h->used && !h->used[id])
						continue;
					sum += h->v[id];
					n++;
				}
			px[(size_t)py * *cw + pxi] = trace_argb(
				n ? trace_viridis(sum / n * inv) : TRACE_UNUSED);
		}
	return px;
}

/* Points of mesh coordinate x (column) and y (row) on the map. */
static double at_x(const struct heat *h, double x)
{
	return h->mx + x * h->fr.map_w / (double)h->t->width;
}

static double at_y(const struct heat *h, double y)
{
	return h->my + y * h->fr.map_h / (double)h->t->height;
}

/* Label boxes already placed, so that no two names overlap. */
struct label_boxes {
	double *b; /* x0, y0, x1, y1 each */
	int n;
};

static int box_free(const struct label_boxes *lb, const double *q)
{
	for (int i = 0; i < lb->n; i++) {
		const double *o = lb->b + 4 * i;
		if (q[0] < o[2] && o[0] < q[2] && q[1] < o[3] && o[1] < q[3])
			return 0;
	}
	return 1;
}

/* The label box of text at (x, y), moved inside the map. */
static void label_box(const struct heat *h, double x, double y, double w,
		      double ht, double *q)
{
	double right = h->mx + h->fr.map_w, bottom = h->my + h->fr.map_h;
	x = fmax(h->mx + 2, fmin(x, right - w + 2));
	y = fmax(h->my + 1, fmin(y, bottom - ht + 1));
	q[0] = x - 2;
	q[1] = y - 1;
	q[2] = x - 2 + w;
	q[3] = y - 1 + ht;
}

/* text at the first of the n candidate places (x[i], y[i]) where its box
 * overlaps no earlier one (else at the first), recorded in lb. */
static void label_first_free(cairo_t *cr, const struct heat *h,
			     struct label_boxes *lb, const char *text,
			     const double *x, const double *y, int n)
{
	cairo_font_extents_t fe;
	cairo_font_extents(cr, &fe);
	double w = trace_text_w(cr, text) + 4, ht = fe.ascent + fe.descent + 2;
	double q[4];
	int i = 0;
	for (; i < n; i++) {
		label_box(h, x[i], y[i], w, ht, q);
		if (box_free(lb, q))
			break;
	}
	if (i == n)
		label_box(h, x[0], y[0], w, ht, q);
	trace_label(cr, q[0] + 2, q[1] + 1, text, 0);
	lb->b = xrealloc(lb->b, (size_t)(lb->n + 1) * 4 * sizeof(double));
	memcpy(lb->b + 4 * lb->n++, q, sizeof(q));
}

/* Every stage outlined, then named: inside its top-left corner (or lower
 * inside it, or right of it, or below it, where no other name lies). */
static void stage_outlines(cairo_t *cr, const struct heat *h)
{
	char buf[96];
	struct label_boxes lb = {NULL, 0};
	trace_font(cr, 9, 0);
	for (int s = 0; s < h->t->n_stages; s++) {
		const struct rect *r = &h->t->stages[s].r;
		double x0 = at_x(h, r->x), y0 = at_y(h, r->y);
		double x1 = at_x(h, r->x + r->w), y1 = at_y(h, r->y + r->h);
		cairo_set_source_rgb(cr, 1, 1, 1);
		cairo_set_line_width(cr, 1);
		cairo_rectangle(cr, x0, y0, x1 - x0 > 1 ? x1 - x0 : 1,
				y1 - y0 > 1 ? y1 - y0 : 1);
		cairo_stroke(cr);
	}
	for (int s = 0; s < h->t->n_stages; s++) {
		const struct trace_stage *ts = &h->t->stages[s];
		if (trace_stage_host(h->t, s) != s)
			continue; /* named on its host's label */
		double x0 = at_x(h, ts->r.x), y0 = at_y(h, ts->r.y);
		double x1 = at_x(h, ts->r.x + ts->r.w);
		double y1 = at_y(h, ts->r.y + ts->r.h);
		char ids[48];
		trace_stage_ids(h->t, s, ids, sizeof(ids));
		snprintf(buf, sizeof(buf), "%s %s%s", ids, ts->name,
			 strchr(ids, '+') ? " (time-shared)" : "");
		if (trace_text_w(cr, buf) + 6 > x1 - x0)
			snprintf(buf, sizeof(buf), "%s", ids);
		const double xs[6] = {x0 + 2, x0 + 2, x0 + 2, x1 + 3, x0 + 2,
				      x0 + 2};
		const double ys[6] = {y0 + 2, y0 + 16, y0 + 30, y0 + 2, y1 + 3,
				      y0 - 14};
		label_first_free(cr, h, &lb, buf, xs, ys, 6);
	}
	free(lb.b);
}

/* A route's name beside one of its corners (the middle one first; right
 * of the corner, else left of it; level, else one, two or three label
 * heights up or down) where it overlaps no other name, inside the map;
 * failing all of them, the nearest free place below the middle corner. */
static void route_name(cairo_t *cr, const struct heat *h,
		       const struct trace_route *r, const char *text,
		       struct label_boxes *lb)
{
	static const int dy[7] = {0, 1, -1, 2, -2, 3, -3};
	cairo_font_extents_t fe;
	cairo_font_extents(cr, &fe);
	double w = trace_text_w(cr, text) + 4, ht = fe.ascent + fe.descent + 2;
	int below = (int)(h->fr.map_h / (ht + 1)) + 1;
	int n = 14 * (r->n_points + 1) + below, c = 0;
	double *x = xmalloc((size_t)n * sizeof(double));
	double *y = xmalloc((size_t)n * sizeof(double));
	for (int t = 0; t <= r->n_points; t++) {
		int k = t == 0 ? r->n_points / 2 : t - 1;
		double cx = at_x(h, r->points[k].x + 0.5);
		double cy = at_y(h, r->points[k].y + 0.5);
		for (int d = 0; d < 14; d++, c++) {
			x[c] = d < 7 ? cx + 2 : cx - w - 2;
			y[c] = cy + 2 + dy[d % 7] * (ht + 1);
		}
	}
	const struct plan_point *m = &r->points[r->n_points / 2];
	for (int k = 0; k < below; k++, c++) {
		x[c] = at_x(h, m->x + 0.5) + 2;
		y[c] = at_y(h, m->y + 0.5) + 2 + k * (ht + 1);
	}
	label_first_free(cr, h, lb, text, x, y, n);
	free(x);
	free(y);
}

/* First line of a bundle of `lanes` centred on line c, kept inside the
 * grid's `span` lines (the engine's rule: sim/engine_task.c
 * eng_bundle_lo). */
static int64_t bundle_lo(int64_t c, int64_t lanes, int64_t span)
{
	int64_t lo = c - lanes / 2;
	if (lo + lanes > span)
		lo = span - lanes;
	return lo < 0 ? 0 : lo;
}

/* A route's bundle as the engine lays it: each segment's lanes side by
 * side across its direction, centred on the path; outlined segment by
 * segment (a route without lane figures: its path). */
static void bundle_outline(cairo_t *cr, const struct heat *h,
			   const struct trace_route *r)
{
	cairo_set_source_rgba(cr, 1, 1, 1, 0.8);
	cairo_set_line_width(cr, 1);
	if (r->lanes <= 1) {
		cairo_new_path(cr);
		for (int k = 0; k < r->n_points; k++)
			cairo_line_to(cr, at_x(h, r->points[k].x + 0.5),
				      at_y(h, r->points[k].y + 0.5));
		cairo_stroke(cr);
		return;
	}
	for (int k = 0; k + 1 < r->n_points; k++) {
		const struct plan_point *a = &r->points[k], *b = &r->points[k + 1];
		double x0, y0, x1, y1;
		if (a->y == b->y) { /* along x: lanes are rows */
			int64_t lo = bundle_lo(a->y, r->lanes, h->t->height);
			x0 = at_x(h, a->x < b->x ? a->x : b->x);
			x1 = at_x(h, (a->x > b->x ? a->x : b->x) + 1);
			y0 = at_y(h, (double)lo);
			y1 = at_y(h, (double)(lo + r->lanes));
		} else { /* along y: lanes are columns */
			int64_t lo = bundle_lo(a->x, r->lanes, h->t->width);
			y0 = at_y(h, a->y < b->y ? a->y : b->y);
			y1 = at_y(h, (a->y > b->y ? a->y : b->y) + 1);
			x0 = at_x(h, (double)lo);
			x1 = at_x(h, (double)(lo + r->lanes));
		}
		cairo_rectangle(cr, x0, y0, x1 - x0, y1 - y0);
		cairo_stroke(cr);
	}
}

static void route_outlines(cairo_t *cr, const struct heat *h)
{
	char buf[64];
	struct label_boxes lb = {NULL, 0};
	trace_font(cr, 8, 0);
	for (int i = 0; i < h->t->n_routes; i++)
		if (h->t->routes[i].n_points >= 2)
			bundle_outline(cr, h, &h->t->routes[i]);
	for (int i = 0; i < h->t->n_routes; i++) { /* names over every line */
		const struct trace_route *r = &h->t->routes[i];
		if (r->n_points < 2)
			continue;
		snprintf(buf, sizeof(buf), "r%d %d>%d", i, r->src, r->dst);
		route_name(cr, h, r, buf, &lb);
	}
	free(lb.b);
}

static void heat_draw(cairo_t *cr, const void *ctx)
{
	const struct heat *h = ctx;
	trace_frame_draw(cr, &h->fr, h->mx, h->my);
	int cw, ch;
	uint32_t *px = heat_cells(h, &cw, &ch);
	trace_paint_cells(cr, px, cw, ch, h->mx, h->my, h->fr.map_w,
			  h->fr.map_h);
	free(px);
	if (h->overlay == OV_STAGES)
		stage_outlines(cr, h);
	else if (h->overlay == OV_ROUTES)
		route_outlines(cr, h);
}

static int heat_write(struct heat *h, const char *dir,
		      const struct trace_opts *o, struct diag *d)
{
	const struct trace_data *t = h->t;
	trace_heat_scale(t->width, t->height, o->heat_bin, &h->scale, &h->bin);
	memset(&h->fr, 0, sizeof(h->fr));
	h->fr.map_w = trace_px_of(t->width, h->scale, h->bin);
	h->fr.map_h = trace_px_of(t->height, h->scale, h->bin);
	h->fr.cells_w = t->width;
	h->fr.cells_h = t->height;
	h->fr.title = h->title;
	h->fr.subtitle = h->subtitle;
	h->fr.bar_unit = h->unit;
	h->fr.bar_lo = 0;
	h->fr.bar_hi = h->hi > 0 ? h->hi : 1;
	h->hi = h->fr.bar_hi;
	trace_frame_layout(&h->fr, &h->cw, &h->ch, &h->mx, &h->my);
	return trace_pic_write(dir, h->base, h->cw, h->ch, heat_draw, h, d);
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

static int heat_pe(const struct trace_data *t, const uint8_t *used,
		   const char *dir, const struct trace_opts *o, struct diag *d)
{
	int64_t n = t->width * t->height, n_used = 0;
	double sum = 0;
	for (int64_t i = 0; i < n; i++) {
		n_used += used[i];
		sum += used[i] ? t->pe_util[i] : 0;
	}
	struct heat h = {.t = t, .base = "heat_pe", .unit = "busy frac",
			 .v = t->pe_util, .used = used,
			 .hi = nice_ceil(max_of(t->pe_util, n)),
			 .overlay = OV_STAGES};
	char *title = xasprintf("PE utilisation: %s on %s (%s)", t->network,
				t->machine, t->job);
	h.title = title;
	snprintf(h.subtitle, sizeof(h.subtitle),
		 "busy / %.0f cycles; mean %.3f over %lld used PEs "
		 "(grey: unused); stages outlined",
		 t->total_cycles, n_used ? sum / (double)n_used : 0,
		 (long long)n_used);
	int rc = heat_write(&h, dir, o, d);
	free(title);
	return rc;
}

/* link maps: the busiest outgoing link (k < 0), or direction k */
static int heat_link(const struct trace_data *t, int k, float *v,
		     const char *dir, const struct trace_opts *o,
		     struct diag *d)
{
	static const char *const dn[4] = {"east", "west", "south", "north"};
	int64_t n = t->width * t->height;
	for (int64_t i = 0; i < n; i++)
		v[i] = k < 0 ? trace_link_max(t, i) : t->link_util[i * 4 + k];
	char base[64];
	snprintf(base, sizeof(base), k < 0 ? "heat_link" : "heat_link_%s",
		 k < 0 ? "" : dn[k]);
	double top = max_of(v, n);
	struct heat h = {.t = t, .base = base, .unit = "wavelet/cyc", .v = v,
			 .hi = top > 1 ? 1 : nice_ceil(top),
			 .overlay = OV_ROUTES};
	char *title = xasprintf("Link utilisation%s%s: %s on %s (%s)",
				k < 0 ? "" : ", ", k < 0 ? "" : dn[k],
				t->network, t->machine, t->job);
	h.title = title;
	snprintf(h.subtitle, sizeof(h.subtitle),
		 k < 0 ? "wavelets per cycle on each PE's busiest outgoing "
			 "link, over %.0f cycles; routes outlined"
		       : "wavelets per cycle leaving each PE this way, over "
			 "%.0f cycles; routes outlined",
		 t->total_cycles);
	int rc = heat_write(&h, dir, o, d);
	free(title);
	return rc;
}

/* SRAM occupancy: the fullest PE of each stage stands for its stage */
static int heat_sram(const struct trace_data *t, const uint8_t *used,
		     float *v, const char *dir, const struct trace_opts *o,
		     struct diag *d)
{
	memset(v, 0, (size_t)(t->width * t->height) * sizeof(float));
	double cap = t->sram_bytes_per_pe > 0 ? (double)t->sram_bytes_per_pe
					      : 1;
	double worst = 0;
	for (int s = 0; s < t->n_stages; s++) {
		const struct rect *r = &t->stages[s].r;
		double f = (double)t->stages[s].sram_bytes / cap;
		worst = f > worst ? f : worst;
		for (int64_t y = r->y; y < (int64_t)r->y + r->h; y++)
			for (int64_t x = r->x; x < (int64_t)r->x + r->w; x++)
				if (x >= 0 && y >= 0 && x < t->width &&
				    y < t->height)
					v[y * t->width + x] = (float)f;
	}
	struct heat h = {.t = t, .base = "heat_sram", .unit = "SRAM frac",
			 .v = v, .used = used, .hi = nice_ceil(worst),
			 .overlay = OV_STAGES};
	char *title = xasprintf("SRAM occupancy: %s on %s", t->network,
				t->machine);
	h.title = title;
	snprintf(h.subtitle, sizeof(h.subtitle),
		 "bytes used / %lld bytes per PE (fullest PE of each stage); "
		 "fullest %.1f%%",
		 (long long)t->sram_bytes_per_pe, worst * 100);
	int rc = heat_write(&h, dir, o, d);
	free(title);
	return rc;
}

int trace_heat_write(const struct trace_data *t, const char *dir,
		     const struct trace_opts *o, struct diag *d)
{
	int64_t n = t->width * t->height;
	if (n <= 0)
		return 0;
	uint8_t *used = trace_used_mask(t);
	float *v = xmalloc((size_t)n * sizeof(float));
	int rc = t->pe_util ? heat_pe(t, used, dir, o, d) : 0;
	for (int k = -1; !rc && t->link_util && k < (o->link_dirs ? 4 : 0);
	     k++) {
		if (k >= 0 && !t->link_dirs_saved)
			break;
		rc = heat_link(t, k, v, dir, o, d);
	}
	if (!rc)
		rc = heat_sram(t, used, v, dir, o, d);
	free(v);
	free(used);
	return rc;
}
