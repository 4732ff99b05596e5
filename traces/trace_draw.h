/*
 * trace_draw.h: the wafer pictures (heatmaps, placement map) drawn with
 * cairo (Debian libcairo2-dev) and written three ways: PNG (one pixel per
 * point), SVG and PDF (vector, text as glyphs; pdftotext reads the PDF's
 * labels).  Text is DejaVu Sans, anti-aliased.  A picture is a function
 * that draws on a cairo context; trace_pic_write runs it once per format.
 * The outputs are deterministic: no dates in the PDF, a fixed font.
 *
 * Heatmaps are painted from an image of one pixel per cell (PE or bin),
 * scaled with the nearest-neighbour filter, so a WSE-2 map (757 x 996 PEs)
 * is one embedded image in the SVG and PDF, not 750 000 rectangles.
 *
 * Coordinates: points from the top left; (x, y) grows east and south like
 * the mesh.
 */
#ifndef WAFERSIM_TRACE_DRAW_H
#define WAFERSIM_TRACE_DRAW_H

#include <cairo.h>
#include <stdint.h>

#include "ground/diag.h"

struct trace_rgb {
	uint8_t r, g, b;
};

#define TRACE_WHITE ((struct trace_rgb){255, 255, 255})
#define TRACE_BLACK ((struct trace_rgb){0, 0, 0})
#define TRACE_UNUSED ((struct trace_rgb){0xd9, 0xd9, 0xd9}) /* no stage */

/* Color maps.  Viridis (perceptually uniform, readable in grey) for
 * utilisation and occupancy, t in [0, 1] (clamped). */
struct trace_rgb trace_viridis(double t);
/* Distinct qualitative colors: trace_qual(i) differs for every i >= 0 up
 * to TRACE_QUAL_DISTINCT (Tableau 20 without its greys, then hues on the
 * golden angle at three lightnesses), none of them grey. */
#define TRACE_QUAL_DISTINCT 1000
struct trace_rgb trace_qual(int i);
/* Black or white, whichever reads better on `bg`. */
struct trace_rgb trace_ink_on(struct trace_rgb bg);

/* ---- drawing ------------------------------------------------------------- */

void trace_set_rgb(cairo_t *cr, struct trace_rgb c);
/* Font size in points; bold or regular DejaVu Sans. */
void trace_font(cairo_t *cr, double size, int bold);
double trace_text_w(cairo_t *cr, const char *s);
/* Text with its top-left corner at (x, y) (align 0), centred on x
 * (align 1) or ending at x (align 2); returns its width. */
double trace_text(cairo_t *cr, double x, double y, const char *s, int align,
		  struct trace_rgb col);
/* The same on a white box (a label readable over anything). */
void trace_label(cairo_t *cr, double x, double y, const char *s, int align);
void trace_fill(cairo_t *cr, double x, double y, double w, double h,
		struct trace_rgb col);
void trace_box(cairo_t *cr, double x, double y, double w, double h,
	       double lw, struct trace_rgb col);

/* An ARGB32 image of w x h cells (fill px[y * w + x] = 0xffRRGGBB), then
 * painted at (x, y) scaled to dw x dh with the nearest filter. */
uint32_t trace_argb(struct trace_rgb c);
void trace_paint_cells(cairo_t *cr, const uint32_t *px, int w, int h,
		       double x, double y, double dw, double dh);

/*
 * Standard frame of a wafer picture: title on top, x axis (PE column)
 * above the map and y axis (PE row) to its left with ticks, a color bar on
 * the right from `lo` to `hi` labelled `unit` (no bar if unit is NULL).
 * The caller draws the map (map_w x map_h points) at (*mx, *my).
 */
struct trace_frame {
	int map_w, map_h;
	int64_t cells_w, cells_h;
	const char *title, *subtitle;
	const char *bar_unit;
	double bar_lo, bar_hi;
	int extra_right; /* room for a legend right of the bar */
	int min_h;	 /* canvas at least this tall (a long legend) */
};
void trace_frame_layout(const struct trace_frame *f, int *cw, int *ch, int *mx,
			int *my);
void trace_frame_draw(cairo_t *cr, const struct trace_frame *f, int mx, int my);

/* Write dir/base.png, .svg and .pdf (each atomically) of a w x h picture
 * drawn by draw(cr, ctx).  0 or WS_EIO. */
int trace_pic_write(const char *dir, const char *base, int w, int h,
		    void (*draw)(cairo_t *cr, const void *ctx),
		    const void *ctx, struct diag *d);

#endif
