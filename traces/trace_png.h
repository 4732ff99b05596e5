/*
 * trace_png.h: a small RGB canvas for the trace pictures, written as PNG with
 * libpng.  Pictures are drawn in C (not through an external plotter) so that
 * a 757 x 996 wafer heatmap costs milliseconds and is byte-identical from
 * run to run: no fonts from the system, no timestamps in the file.
 *
 * Canvas layout: one allocation, 3 bytes per pixel, row-major from the top
 * left; (x, y) grows east and south like the mesh, so a PE at (x, y) lands at
 * canvas (x0 + x, y0 + y).
 *
 * Text uses the two built-in 1-bit fonts of trace_font.c (DejaVu Sans Mono,
 * rasterised once at development time): labels stay exact colors, so tests
 * can count distinct colors in a picture.
 */
#ifndef WAFERSIM_TRACE_PNG_H
#define WAFERSIM_TRACE_PNG_H

#include <stdint.h>

#include "ground/diag.h"

struct trace_rgb {
	uint8_t r, g, b;
};

struct trace_canvas {
	int w, h;
	uint8_t *px; /* [h][w][3] */
};

/* A 1-bit font: printable ASCII (32..126), glyph c has h rows; bit x of a
 * row is column x (x < w <= 16). */
struct trace_font {
	int w, h, ascent;
	const uint16_t *rows; /* [95][h] */
};
extern const struct trace_font trace_font_small; /* 7 x 14 */
extern const struct trace_font trace_font_bold;	 /* 8 x 17 */

#define TRACE_WHITE ((struct trace_rgb){255, 255, 255})
#define TRACE_BLACK ((struct trace_rgb){0, 0, 0})
#define TRACE_GREY  ((struct trace_rgb){200, 200, 200})

void trace_canvas_init(struct trace_canvas *c, int w, int h,
		       struct trace_rgb bg);
void trace_canvas_release(struct trace_canvas *c);

/* Clipped to the canvas. */
static inline void trace_put(struct trace_canvas *c, int x, int y,
			     struct trace_rgb col)
{
	if (x < 0 || y < 0 || x >= c->w || y >= c->h)
		return;
	uint8_t *p = c->px + ((size_t)y * (size_t)c->w + (size_t)x) * 3;
	p[0] = col.r;
	p[1] = col.g;
	p[2] = col.b;
}
void trace_fill(struct trace_canvas *c, int x, int y, int w, int h,
		struct trace_rgb col);
/* Outline of a w x h box (1 pixel). */
void trace_box(struct trace_canvas *c, int x, int y, int w, int h,
	       struct trace_rgb col);
/* Straight line, `thick` pixels wide (square pen). */
void trace_line(struct trace_canvas *c, int x0, int y0, int x1, int y1,
		int thick, struct trace_rgb col);

/* Text with its top-left corner at (x, y); returns the width drawn.
 * Characters outside printable ASCII draw as '?'.  `vertical`: rotated 90
 * degrees counter-clockwise, reading upwards from (x, y) = bottom-left. */
int trace_text(struct trace_canvas *c, const struct trace_font *f, int x, int y,
	       const char *s, struct trace_rgb col);
void trace_text_up(struct trace_canvas *c, const struct trace_font *f, int x,
		   int y, const char *s, struct trace_rgb col);
static inline int trace_text_w(const struct trace_font *f, const char *s)
{
	int n = 0;
	while (s[n])
		n++;
	return n * f->w;
}

/* Color maps: t in [0, 1] (clamped). Viridis (perceptually uniform, readable
 * in grey scale) for utilisation and occupancy. */
struct trace_rgb trace_viridis(double t);
/* A set of distinct qualitative colors (stages, layers), index wraps. */
struct trace_rgb trace_qual(int i);
/* Black or white, whichever reads better on `bg`. */
struct trace_rgb trace_ink_on(struct trace_rgb bg);

/*
 * Standard frame of a wafer picture: title on top, x axis (PE column) above
 * the map and y axis (PE row) to its left with ticks and numbers, a color bar
 * on the right from `lo` to `hi` labelled `unit` (no bar if unit is NULL).
 * The map itself (map_w x map_h pixels, `scale` pixels per cell if >= 1
 * or 1/bin cells per pixel) is drawn by the caller at (*mx, *my).
 */
struct trace_frame {
	int map_w, map_h;	  /* pixels of the map area */
	int64_t cells_w, cells_h; /* what the axes count (PEs) */
	const char *title, *subtitle;
	const char *bar_unit; /* NULL: no color bar */
	double bar_lo, bar_hi;
	int extra_right; /* room for a legend right of the bar */
};
void trace_frame_layout(const struct trace_frame *f, int *cw, int *ch, int *mx,
			int *my);
void trace_frame_draw(struct trace_canvas *c, const struct trace_frame *f,
		      int mx, int my);

/* Write as an 8-bit RGB PNG (atomically).  0 or WS_EIO. */
int trace_png_write(const struct trace_canvas *c, const char *path,
		    struct diag *d);

#endif
