/*
 * trace_draw.c: cairo drawing helpers, colors, the wafer frame and the
 * three-format writer (trace_draw.h).
 */
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ground/util.h"
#include "traces/trace_draw.h"
#include "traces/trace_int.h"

/* matplotlib's viridis at t = 0, 1/8, ..., 1 */
static const uint8_t viridis9[9][3] = {
	{68, 1, 84},	{71, 44, 122},	{59, 81, 139},
	{44, 113, 142}, {33, 144, 141}, {39, 173, 129},
	{92, 200, 99},	{170, 220, 50}, {253, 231, 37}};

struct trace_rgb trace_viridis(double t)
{
	t = !(t > 0) ? 0 : t > 1 ? 1 : t;
	double u = t * 8;
	int i = (int)u < 8 ? (int)u : 7;
	double f = u - i;
	struct trace_rgb o;
	o.r = (uint8_t)lround(viridis9[i][0] * (1 - f) + viridis9[i + 1][0] * f);
	o.g = (uint8_t)lround(viridis9[i][1] * (1 - f) + viridis9[i + 1][1] * f);
	o.b = (uint8_t)lround(viridis9[i][2] * (1 - f) + viridis9[i + 1][2] * f);
	return o;
}

/* Tableau 20 without its two greys (grey means "unused") */
static const uint8_t qual[18][3] = {
	{0x1f, 0x77, 0xb4}, {0xff, 0x7f, 0x0e}, {0x2c, 0xa0, 0x2c},
	{0xd6, 0x27, 0x28}, {0x94, 0x67, 0xbd}, {0x8c, 0x56, 0x4b},
	{0xe3, 0x77, 0xc2}, {0xbc, 0xbd, 0x22}, {0x17, 0xbe, 0xcf},
	{0xae, 0xc7, 0xe8}, {0xff, 0xbb, 0x78}, {0x98, 0xdf, 0x8a},
	{0xff, 0x98, 0x96}, {0xc5, 0xb0, 0xd5}, {0xc4, 0x9c, 0x94},
	{0xf7, 0xb6, 0xd2}, {0xdb, 0xdb, 0x8d}, {0x9e, 0xda, 0xe5},
};

/* HSV (h in [0, 1)) to RGB */
static struct trace_rgb hsv(double h, double s, double v)
{
	double r = 0, g = 0, b = 0, f = h * 6 - floor(h * 6);
	double p = v * (1 - s), q = v * (1 - f * s), t = v * (1 - (1 - f) * s);
	switch ((int)floor(h * 6) % 6) {
	case 0: r = v, g = t, b = p; break;
	case 1: r = q, g = v, b = p; break;
	case 2: r = p, g = v, b = t; break;
	case 3: r = p, g = q, b = v; break;
	case 4: r = t, g = p, b = v; break;
	default: r = v, g = p, b = q; break;
	}
	return (struct trace_rgb){(uint8_t)lround(r * 255),
				  (uint8_t)lround(g * 255),
				  (uint8_t)lround(b * 255)};
}

struct trace_rgb trace_qual(int i)
{
	if (i < 0)
		i = -i;
	if (i < 18)
		return (struct trace_rgb){qual[i][0], qual[i][1], qual[i][2]};
	/* beyond the palette: hues on the golden angle (never equal for
	 * distinct i: the fraction i * 0.618... differs, and the 8-bit
	 * rounding is separated by the three saturation/value rings) */
	int k = i - 18;
	double h = fmod(k * 0.6180339887498949, 1.0);
	static const double sv[3][2] = {{0.65, 0.85}, {0.45, 0.95},
					{0.80, 0.65}};
	return hsv(h, sv[k % 3][0], sv[k % 3][1]);
}

struct trace_rgb trace_ink_on(struct trace_rgb bg)
{
	double l = 0.299 * bg.r + 0.587 * bg.g + 0.114 * bg.b;
	return l > 140 ? TRACE_BLACK : TRACE_WHITE;
}

/* ---- drawing ------------------------------------------------------------- */

void trace_set_rgb(cairo_t *cr, struct trace_rgb c)
{
	cairo_set_source_rgb(cr, c.r / 255.0, c.g / 255.0, c.b / 255.0);
}

void trace_font(cairo_t *cr, double size, int bold)
{
	cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
			       bold ? CAIRO_FONT_WEIGHT_BOLD
				    : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, size);
}

double trace_text_w(cairo_t *cr, const char *s)
{
	cairo_text_extents_t e;
	cairo_text_extents(cr, s, &e);
	return e.x_advance;
}

double trace_text(cairo_t *cr, double x, double y, const char *s, int align,
		  struct trace_rgb col)
{
	cairo_font_extents_t fe;
	cairo_font_extents(cr, &fe);
	double w = trace_text_w(cr, s);
	trace_set_rgb(cr, col);
	cairo_move_to(cr, x - (align == 1 ? w / 2 : align == 2 ? w : 0),
		      y + fe.ascent);
	cairo_show_text(cr, s);
	cairo_new_path(cr);
	return w;
}

void trace_label(cairo_t *cr, double x, double y, const char *s, int align)
{
	cairo_font_extents_t fe;
	cairo_font_extents(cr, &fe);
	double w = trace_text_w(cr, s);
	double x0 = x - (align == 1 ? w / 2 : align == 2 ? w : 0);
	cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
	cairo_rectangle(cr, x0 - 2, y - 1, w + 4, fe.ascent + fe.descent + 2);
	cairo_fill(cr);
	trace_text(cr, x0, y, s, 0, TRACE_BLACK);
}

void trace_fill(cairo_t *cr, double x, double y, double w, double h,
		struct trace_rgb col)
{
	trace_set_rgb(cr, col);
	cairo_rectangle(cr, x, y, w, h);
	cairo_fill(cr);
}

void trace_box(cairo_t *cr, double x, double y, double w, double h,
	       double lw, struct trace_rgb col)
{
	trace_set_rgb(cr, col);
	cairo_set_line_width(cr, lw);
	cairo_rectangle(cr, x + lw / 2, y + lw / 2, w - lw, h - lw);
	cairo_stroke(cr);
}

uint32_t trace_argb(struct trace_rgb c)
{
	return 0xff000000u | (uint32_t)c.r << 16 | (uint32_t)c.g << 8 | c.b;
}

void trace_paint_cells(cairo_t *cr, const uint32_t *px, int w, int h,
		       double x, double y, double dw, double dh)
{
	cairo_surface_t *img =
		cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
	cairo_surface_flush(img);
	unsigned char *data = cairo_image_surface_get_data(img);
	int stride = cairo_image_surface_get_stride(img);
	for (int r = 0; r < h; r++)
		memcpy(data + (size_t)r * (size_t)stride, px + (size_t)r * w,
		       (size_t)w * 4);
	cairo_surface_mark_dirty(img);
	cairo_save(cr);
	cairo_translate(cr, x, y);
	cairo_scale(cr, dw / w, dh / h);
	cairo_set_source_surface(cr, img, 0, 0);
	cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
	cairo_rectangle(cr, 0, 0, w, h);
	cairo_fill(cr);
	cairo_restore(cr);
	cairo_surface_destroy(img);
}

/* ---- the wafer frame ----------------------------------------------------- */

enum {
	M_LEFT = 74,
	M_TOP = 86,
	M_BOTTOM = 16,
	BAR_GAP = 16,
	BAR_W = 18,
	BAR_LABELS = 70
};

static int bar_room(const struct trace_frame *f)
{
	return (f->bar_unit ? BAR_GAP + BAR_W + BAR_LABELS : 16) +
	       f->extra_right;
}

/* widths of text need a context: a scratch one */
static double measure(const char *s, double size, int bold)
{
	cairo_surface_t *s0 = cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1);
	cairo_t *cr = cairo_create(s0);
	trace_font(cr, size, bold);
	double w = trace_text_w(cr, s);
	cairo_destroy(cr);
	cairo_surface_destroy(s0);
	return w;
}

void trace_frame_layout(const struct trace_frame *f, int *cw, int *ch, int *mx,
			int *my)
{
	double title_w = f->title ? measure(f->title, 14, 1) : 0;
	double sub_w = f->subtitle ? measure(f->subtitle, 11, 0) : 0;
	title_w = sub_w > title_w ? sub_w : title_w;
	*mx = M_LEFT;
	*my = M_TOP;
	*cw = M_LEFT + f->map_w + bar_room(f);
	if (*cw < (int)ceil(title_w) + 16)
		*cw = (int)ceil(title_w) + 16;
	*ch = M_TOP + f->map_h + M_BOTTOM;
	if (f->bar_unit && *ch < M_TOP + 120 + M_BOTTOM)
		*ch = M_TOP + 120 + M_BOTTOM;
	if (*ch < f->min_h)
		*ch = f->min_h;
}

/* A round tick step giving at most about `max_ticks` ticks over n. */
static int64_t tick_step(int64_t n, int max_ticks)
{
	int64_t step = 1;
	for (;;) {
		for (int k = 0; k < 3; k++) {
			int64_t s = step * (k == 0 ? 1 : k == 1 ? 2 : 5);
			if (n / s <= max_ticks)
				return s;
		}
		step *= 10;
	}
}

static void frame_axes(cairo_t *cr, const struct trace_frame *f, int mx,
		       int my)
{
	char buf[64];
	trace_font(cr, 10, 0);
	cairo_set_line_width(cr, 1);
	int64_t sx =
		tick_step(f->cells_w, f->map_w / 50 > 1 ? f->map_w / 50 : 1);
	for (int64_t v = 0; v <= f->cells_w && f->cells_w > 0; v += sx) {
		double px = mx + (double)v * f->map_w / (double)f->cells_w;
		trace_fill(cr, px - 0.5, my - 5, 1, 4, TRACE_BLACK);
		snprintf(buf, sizeof(buf), "%lld", (long long)v);
		trace_text(cr, px, my - 19, buf, 1, TRACE_BLACK);
	}
	trace_text(cr, mx + f->map_w / 2.0, my - 34, "x (PE column, east ->)",
		   1, TRACE_BLACK);
	int64_t sy =
		tick_step(f->cells_h, f->map_h / 40 > 1 ? f->map_h / 40 : 1);
	for (int64_t v = 0; v <= f->cells_h && f->cells_h > 0; v += sy) {
		double py = my + (double)v * f->map_h / (double)f->cells_h;
		trace_fill(cr, mx - 5, py - 0.5, 4, 1, TRACE_BLACK);
		snprintf(buf, sizeof(buf), "%lld", (long long)v);
		trace_text(cr, mx - 7, py - 6, buf, 2, TRACE_BLACK);
	}
	cairo_save(cr);
	cairo_translate(cr, 6, my + f->map_h / 2.0);
	cairo_rotate(cr, -M_PI / 2);
	trace_text(cr, 0, 0, "y (PE row, south ->)", 1, TRACE_BLACK);
	cairo_restore(cr);
}

static void frame_bar(cairo_t *cr, const struct trace_frame *f, int mx,
		      int my)
{
	char buf[64];
	double bx = mx + f->map_w + BAR_GAP;
	int bh = f->map_h < 120 ? 120 : f->map_h;
	cairo_pattern_t *g = cairo_pattern_create_linear(0, my + bh, 0, my);
	for (int k = 0; k <= 8; k++) {
		struct trace_rgb c = trace_viridis(k / 8.0);
		cairo_pattern_add_color_stop_rgb(g, k / 8.0, c.r / 255.0,
						 c.g / 255.0, c.b / 255.0);
	}
	cairo_set_source(cr, g);
	cairo_rectangle(cr, bx, my, BAR_W, bh);
	cairo_fill(cr);
	cairo_pattern_destroy(g);
	trace_box(cr, bx - 1, my - 1, BAR_W + 2, bh + 2, 1, TRACE_BLACK);
	trace_font(cr, 10, 0);
	for (int k = 0; k <= 4; k++) {
		double v = f->bar_lo + (f->bar_hi - f->bar_lo) * k / 4.0;
		double py = my + bh - bh * k / 4.0;
		trace_fill(cr, bx + BAR_W, py - 0.5, 4, 1, TRACE_BLACK);
		snprintf(buf, sizeof(buf), "%.3g", v);
		trace_text(cr, bx + BAR_W + 6, py - 6, buf, 0, TRACE_BLACK);
	}
	trace_text(cr, bx - 4, my - 34, f->bar_unit, 0, TRACE_BLACK);
}

void trace_frame_draw(cairo_t *cr, const struct trace_frame *f, int mx, int my)
{
	if (f->title) {
		trace_font(cr, 14, 1);
		trace_text(cr, 8, 6, f->title, 0, TRACE_BLACK);
	}
	if (f->subtitle) {
		trace_font(cr, 11, 0);
		trace_text(cr, 8, 26, f->subtitle, 0, TRACE_BLACK);
	}
	trace_box(cr, mx - 1, my - 1, f->map_w + 2, f->map_h + 2, 1,
		  TRACE_BLACK);
	frame_axes(cr, f, mx, my);
	if (f->bar_unit)
		frame_bar(cr, f, mx, my);
}

/* ---- files --------------------------------------------------------------- */

static cairo_status_t to_file(void *closure, const unsigned char *data,
			      unsigned int len)
{
	return fwrite(data, 1, len, closure) == len ? CAIRO_STATUS_SUCCESS
						    : CAIRO_STATUS_WRITE_ERROR;
}

static void draw_on(cairo_surface_t *s, void (*draw)(cairo_t *, const void *),
		    const void *ctx)
{
	cairo_t *cr = cairo_create(s);
	trace_set_rgb(cr, TRACE_WHITE);
	cairo_paint(cr);
	draw(cr, ctx);
	cairo_destroy(cr);
}

static int write_one(const char *dir, const char *base, const char *ext,
		     int w, int h, void (*draw)(cairo_t *, const void *),
		     const void *ctx, struct diag *d)
{
	char *name = xasprintf("%s.%s", base, ext);
	char *path = trace_path(dir, name);
	free(name);
	struct outfile o;
	int rc = outfile_open(&o, path, d);
	free(path);
	if (rc)
		return WS_EIO;
	cairo_surface_t *s;
	if (!strcmp(ext, "svg")) {
		s = cairo_svg_surface_create_for_stream(to_file, o.f, w, h);
	} else if (!strcmp(ext, "pdf")) {
		s = cairo_pdf_surface_create_for_stream(to_file, o.f, w, h);
		/* no creation date: the same run gives the same bytes */
		cairo_pdf_surface_set_metadata(
			s, CAIRO_PDF_METADATA_CREATE_DATE, "");
	} else {
		s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
	}
	draw_on(s, draw, ctx);
	cairo_status_t st = CAIRO_STATUS_SUCCESS;
	if (!strcmp(ext, "png"))
		st = cairo_surface_write_to_png_stream(s, to_file, o.f);
	cairo_surface_finish(s);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(s);
	cairo_surface_destroy(s);
	if (st != CAIRO_STATUS_SUCCESS) {
		diag_add(d, o.path, 0, 0, "trace: cannot draw '%s': %s",
			 o.path, cairo_status_to_string(st));
		outfile_abort(&o);
		return WS_EIO;
	}
	return outfile_commit(&o, d) ? WS_EIO : 0;
}

int trace_pic_write(const char *dir, const char *base, int w, int h,
		    void (*draw)(cairo_t *cr, const void *ctx),
		    const void *ctx, struct diag *d)
{
	static const char *const ext[3] = {"png", "svg", "pdf"};
	for (int k = 0; k < 3; k++)
		if (write_one(dir, base, ext[k], w, h, draw, ctx, d))
			return WS_EIO;
	return 0;
}
