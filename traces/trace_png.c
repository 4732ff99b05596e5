/* trace_png.c: canvas drawing, color maps, the wafer frame, PNG output. */
#include "traces/trace_png.h"

#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ground/util.h"

void trace_canvas_init(struct trace_canvas *c, int w, int h,
		       struct trace_rgb bg)
{
	c->w = w > 0 ? w : 1;
	c->h = h > 0 ? h : 1;
	c->px = xmalloc((size_t)c->w * (size_t)c->h * 3);
	trace_fill(c, 0, 0, c->w, c->h, bg);
}

void trace_canvas_release(struct trace_canvas *c)
{
	free(c->px);
	memset(c, 0, sizeof(*c));
}

void trace_fill(struct trace_canvas *c, int x, int y, int w, int h,
		struct trace_rgb col)
{
	int x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
	int x1 = x + w > c->w ? c->w : x + w, y1 = y + h > c->h ? c->h : y + h;
	if (x0 >= x1 || y0 >= y1)
		return;
	for (int yy = y0; yy < y1; yy++) {
		uint8_t *p =
			c->px + ((size_t)yy * (size_t)c->w + (size_t)x0) * 3;
		for (int xx = x0; xx < x1; xx++, p += 3) {
			p[0] = col.r;
			p[1] = col.g;
			p[2] = col.b;
		}
	}
}

void trace_box(struct trace_canvas *c, int x, int y, int w, int h,
	       struct trace_rgb col)
{
	if (w <= 0 || h <= 0)
		return;
	trace_fill(c, x, y, w, 1, col);
	trace_fill(c, x, y + h - 1, w, 1, col);
	trace_fill(c, x, y, 1, h, col);
	trace_fill(c, x + w - 1, y, 1, h, col);
}

void trace_line(struct trace_canvas *c, int x0, int y0, int x1, int y1,
		int thick, struct trace_rgb col)
{
	int dx = abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
	int dy = -abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
	int err = dx + dy, t0 = (thick - 1) / 2;
	for (;;) {
		trace_fill(c, x0 - t0, y0 - t0, thick, thick, col);
		if (x0 == x1 && y0 == y1)
			break;
		int e2 = 2 * err;
		if (e2 >= dy) {
			err += dy;
			x0 += sx;
		}
		if (e2 <= dx) {
			err += dx;
			y0 += sy;
		}
	}
}

static const uint16_t *glyph(const struct trace_font *f, char ch)
{
	unsigned char u = (unsigned char)ch;
	if (u < 32 || u > 126)
		u = '?';
	return f->rows + (size_t)(u - 32) * (size_t)f->h;
}

int trace_text(struct trace_canvas *c, const struct trace_font *f, int x, int y,
	       const char *s, struct trace_rgb col)
{
	int x0 = x;
	for (; *s; s++, x += f->w) {
		const uint16_t *g = glyph(f, *s);
		for (int r = 0; r < f->h; r++)
			for (int b = 0; b < f->w; b++)
				if (g[r] >> b & 1)
					trace_put(c, x + b, y + r, col);
	}
	return x - x0;
}

void trace_text_up(struct trace_canvas *c, const struct trace_font *f, int x,
		   int y, const char *s, struct trace_rgb col)
{
	/* glyph column b goes up the canvas, glyph row r goes right */
	for (; *s; s++, y -= f->w) {
		const uint16_t *g = glyph(f, *s);
		for (int r = 0; r < f->h; r++)
			for (int b = 0; b < f->w; b++)
				if (g[r] >> b & 1)
					trace_put(c, x + r, y - b, col);
	}
}

/* matplotlib's viridis at t = 0, 1/8, ..., 1 */
static const uint8_t viridis9[9][3] = {
	{0x44, 0x01, 0x54}, {0x48, 0x28, 0x78}, {0x3e, 0x49, 0x89},
	{0x31, 0x68, 0x8e}, {0x26, 0x82, 0x8e}, {0x1f, 0x9e, 0x89},
	{0x35, 0xb7, 0x79}, {0x6e, 0xce, 0x58}, {0xfd, 0xe7, 0x25},
};

struct trace_rgb trace_viridis(double t)
{
	if (!(t > 0))
		t = 0;
	if (t > 1)
		t = 1;
	double u = t * 8;
	int i = (int)u;
	if (i >= 8)
		i = 7;
	double f = u - i;
	struct trace_rgb o;
	o.r = (uint8_t)lround(viridis9[i][0] * (1 - f) +
			      viridis9[i + 1][0] * f);
	o.g = (uint8_t)lround(viridis9[i][1] * (1 - f) +
			      viridis9[i + 1][1] * f);
	o.b = (uint8_t)lround(viridis9[i][2] * (1 - f) +
			      viridis9[i + 1][2] * f);
	return o;
}

/* Tableau 20 without its two greys (grey means "unused" in our pictures) */
static const uint8_t qual[18][3] = {
	{0x1f, 0x77, 0xb4}, {0xff, 0x7f, 0x0e}, {0x2c, 0xa0, 0x2c},
	{0xd6, 0x27, 0x28}, {0x94, 0x67, 0xbd}, {0x8c, 0x56, 0x4b},
	{0xe3, 0x77, 0xc2}, {0xbc, 0xbd, 0x22}, {0x17, 0xbe, 0xcf},
	{0xae, 0xc7, 0xe8}, {0xff, 0xbb, 0x78}, {0x98, 0xdf, 0x8a},
	{0xff, 0x98, 0x96}, {0xc5, 0xb0, 0xd5}, {0xc4, 0x9c, 0x94},
	{0xf7, 0xb6, 0xd2}, {0xdb, 0xdb, 0x8d}, {0x9e, 0xda, 0xe5},
};

struct trace_rgb trace_qual(int i)
{
	if (i < 0)
		i = -i;
	const uint8_t *q = qual[i % 18];
	return (struct trace_rgb){q[0], q[1], q[2]};
}

struct trace_rgb trace_ink_on(struct trace_rgb bg)
{
	double l = 0.299 * bg.r + 0.587 * bg.g + 0.114 * bg.b;
	return l > 140 ? TRACE_BLACK : TRACE_WHITE;
}

/* ---- the wafer frame ---------------------------------------------------- */

enum {
	M_LEFT = 74,
	M_TOP = 82,
	M_BOTTOM = 16,
	BAR_GAP = 16,
	BAR_W = 18,
	BAR_LABELS = 64
};

static int bar_room(const struct trace_frame *f)
{
	return (f->bar_unit ? BAR_GAP + BAR_W + BAR_LABELS : 16) +
	       f->extra_right;
}

void trace_frame_layout(const struct trace_frame *f, int *cw, int *ch, int *mx,
			int *my)
{
	int title_w = 0;
	if (f->title)
		title_w = trace_text_w(&trace_font_bold, f->title);
	if (f->subtitle) {
		int s = trace_text_w(&trace_font_small, f->subtitle);
		title_w = s > title_w ? s : title_w;
	}
	*mx = M_LEFT;
	*my = M_TOP;
	*cw = M_LEFT + f->map_w + bar_room(f);
	if (*cw < title_w + 2 * 8)
		*cw = title_w + 2 * 8;
	*ch = M_TOP + f->map_h + M_BOTTOM;
	if (f->bar_unit && *ch < M_TOP + 120 + M_BOTTOM)
		*ch = M_TOP + 120 + M_BOTTOM;
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

void trace_frame_draw(struct trace_canvas *c, const struct trace_frame *f,
		      int mx, int my)
{
	const struct trace_font *sm = &trace_font_small;
	if (f->title)
		trace_text(c, &trace_font_bold, 8, 6, f->title, TRACE_BLACK);
	if (f->subtitle)
		trace_text(c, sm, 8, 6 + trace_font_bold.h + 1, f->subtitle,
			   TRACE_BLACK);
	trace_box(c, mx - 1, my - 1, f->map_w + 2, f->map_h + 2, TRACE_BLACK);
	char buf[64];
	/* x axis above the map: PE column */
	int64_t sx =
		tick_step(f->cells_w, f->map_w / 50 > 1 ? f->map_w / 50 : 1);
	for (int64_t v = 0; v <= f->cells_w && f->cells_w > 0; v += sx) {
		int px = mx + (int)(v * f->map_w / f->cells_w);
		if (v == f->cells_w)
			px--;
		trace_fill(c, px, my - 5, 1, 4, TRACE_BLACK);
		snprintf(buf, sizeof(buf), "%lld", (long long)v);
		int tw = trace_text_w(sm, buf);
		trace_text(c, sm, px - tw / 2, my - 5 - sm->h, buf,
			   TRACE_BLACK);
	}
	const char *xl = "x (PE column, east ->)";
	trace_text(c, sm, mx + f->map_w / 2 - trace_text_w(sm, xl) / 2,
		   my - 8 - 2 * sm->h, xl, TRACE_BLACK);
	/* y axis left of the map: PE row */
	int64_t sy =
		tick_step(f->cells_h, f->map_h / 40 > 1 ? f->map_h / 40 : 1);
	for (int64_t v = 0; v <= f->cells_h && f->cells_h > 0; v += sy) {
		int py = my + (int)(v * f->map_h / f->cells_h);
		if (v == f->cells_h)
			py--;
		trace_fill(c, mx - 5, py, 4, 1, TRACE_BLACK);
		snprintf(buf, sizeof(buf), "%lld", (long long)v);
		int tw = trace_text_w(sm, buf);
		trace_text(c, sm, mx - 7 - tw, py - sm->h / 2, buf,
			   TRACE_BLACK);
	}
	const char *yl = "y (PE row, south ->)";
	trace_text_up(c, sm, 4, my + f->map_h / 2 + trace_text_w(sm, yl) / 2,
		      yl, TRACE_BLACK);
	if (!f->bar_unit)
		return;
	/* color bar: hi at the top */
	int bx = mx + f->map_w + BAR_GAP;
	int bh = f->map_h < 120 ? 120 : f->map_h;
	for (int i = 0; i < bh; i++)
		trace_fill(c, bx, my + i, BAR_W, 1,
			   trace_viridis(1.0 - (double)i / (bh - 1)));
	trace_box(c, bx - 1, my - 1, BAR_W + 2, bh + 2, TRACE_BLACK);
	for (int k = 0; k <= 4; k++) {
		double v = f->bar_lo + (f->bar_hi - f->bar_lo) * k / 4.0;
		int py = my + bh - 1 - (int)lround((bh - 1) * k / 4.0);
		trace_fill(c, bx + BAR_W, py, 4, 1, TRACE_BLACK);
		snprintf(buf, sizeof(buf), "%.3g", v);
		trace_text(c, sm, bx + BAR_W + 6, py - sm->h / 2, buf,
			   TRACE_BLACK);
	}
	trace_text(c, sm, bx - 4, my - 8 - 2 * sm->h, f->bar_unit, TRACE_BLACK);
}

/* ---- PNG ---------------------------------------------------------------- */

int trace_png_write(const struct trace_canvas *c, const char *path,
		    struct diag *d)
{
	struct outfile o;
	if (outfile_open(&o, path, d))
		return WS_EIO;
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL,
						  NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	if (!png || !info) {
		png_destroy_write_struct(&png, &info);
		outfile_abort(&o);
		diag_add(d, path, 0, 0, "png: cannot create a PNG writer");
		return WS_EIO;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		outfile_abort(&o);
		diag_add(d, path, 0, 0, "png: write failed");
		return WS_EIO;
	}
	png_init_io(png, o.f);
	/* fast and deterministic: no time chunk, fixed filter and level */
	png_set_compression_level(png, 6);
	png_set_filter(png, 0, PNG_FILTER_SUB | PNG_FILTER_UP);
	png_set_IHDR(png, info, (png_uint_32)c->w, (png_uint_32)c->h, 8,
		     PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < c->h; y++)
		png_write_row(png, c->px + (size_t)y * (size_t)c->w * 3);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return outfile_commit(&o, d) ? WS_EIO : 0;
}
