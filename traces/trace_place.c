/*
 * trace_place.c: the placement map (stage rectangles, routes, legend) drawn
 * with cairo as PNG, SVG and PDF, and the placement as stages.csv and
 * routes.csv.
 *
 * Every stage has its own color (trace_qual never repeats within a
 * figure), an outline and a label on a white box drawn after the routes,
 * so routes never cover a label.  A stage too small to see (under 6
 * points a side: 1 x 1, 38 x 1) is ringed and its index written beside
 * it.  Stages time-sharing one rectangle (a shared layer's guests on their
 * host's PEs) are one rectangle in the host's color with an inner band in
 * each guest's, labelled with every stage on it; the legend says "on N's
 * PEs".  Routes: black forward, red backward, purple dashed and thicker
 * for the once-per-step shared-weight sync (gradients, weights), a square
 * at the destination; the legend lists only the kinds drawn.  Weight
 * streaming: the layers run in turn on (most of) the wafer, each drawn as
 * an outline in its own color, nested.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ground/util.h"
#include "traces/trace_draw.h"
#include "traces/trace_int.h"

#define ROUTE_FWD  ((struct trace_rgb){0x10, 0x10, 0x10})
#define ROUTE_BWD  ((struct trace_rgb){0xc0, 0x00, 0x00})
#define ROUTE_SYNC ((struct trace_rgb){0x7b, 0x2c, 0xbf})
#define LEGEND_W   260
#define TINY	   6.0 /* points: a stage smaller is ringed */

struct place {
	const struct trace_data *t;
	int streaming, any_unused;
	struct trace_frame fr;
	char title[200], sub[240];
	int cw, ch, mx, my;
	double kx, ky; /* points per PE */
};

static void stage_box(const struct place *p, int s, double *x0, double *y0,
		      double *w, double *h)
{
	const struct rect *r = &p->t->stages[s].r;
	*x0 = p->mx + r->x * p->kx;
	*y0 = p->my + r->y * p->ky;
	*w = r->w * p->kx;
	*h = r->h * p->ky;
}

static int host_of(const struct place *p, int s)
{
	return trace_stage_host(p->t, s);
}

static void draw_stages(cairo_t *cr, const struct place *p)
{
	trace_fill(cr, p->mx, p->my, p->fr.map_w, p->fr.map_h, TRACE_UNUSED);
	for (int s = 0; s < p->t->n_stages; s++) {
		double x, y, w, h;
		stage_box(p, s, &x, &y, &w, &h);
		if (p->streaming) { /* nested outlines, one color each */
			double in = 2.5 * (s % 12);
			if (s == 0)
				trace_fill(cr, x, y, w, h, (struct trace_rgb){
						   0xf4, 0xf4, 0xf4});
			trace_box(cr, x + in, y + in, w - 2 * in, h - 2 * in,
				  2, trace_qual(s));
			continue;
		}
		int host = host_of(p, s), k = 0;
		if (host != s) { /* a guest: a band inside its host's outline */
			for (int g = host + 1; g < s; g++)
				k += host_of(p, g) == host;
			double in = 3 + 5 * k;
			if (w > 2 * in + 4 && h > 2 * in + 4)
				trace_box(cr, x + in, y + in, w - 2 * in,
					  h - 2 * in, 4, trace_qual(s));
			continue;
		}
		trace_fill(cr, x, y, w, h, trace_qual(s));
		trace_box(cr, x, y, w, h, 0.8, (struct trace_rgb){0x40, 0x40,
								  0x40});
	}
}

static struct trace_rgb route_color(const struct trace_route *r)
{
	if (r->kind)
		return ROUTE_SYNC;
	return strcmp(r->pass, "fwd") ? ROUTE_BWD : ROUTE_FWD;
}

static void draw_routes(cairo_t *cr, const struct place *p)
{
	for (int i = 0; i < p->t->n_routes; i++) {
		const struct trace_route *r = &p->t->routes[i];
		if (r->n_points < 1)
			continue;
		trace_set_rgb(cr, route_color(r));
		cairo_set_line_width(cr, r->kind ? 3 : 1.5);
		static const double dash[2] = {6, 3};
		cairo_set_dash(cr, dash, r->kind ? 2 : 0, 0);
		for (int k = 0; k < r->n_points; k++)
			cairo_line_to(cr, p->mx + (r->points[k].x + 0.5) * p->kx,
				      p->my + (r->points[k].y + 0.5) * p->ky);
		cairo_stroke(cr);
		cairo_set_dash(cr, NULL, 0, 0);
		const struct plan_point *e = &r->points[r->n_points - 1];
		trace_fill(cr, p->mx + (e->x + 0.5) * p->kx - 3,
			   p->my + (e->y + 0.5) * p->ky - 3, 6, 6,
			   route_color(r));
	}
}

/* labels last: on white boxes, over the routes; tiny stages ringed */
static void draw_labels(cairo_t *cr, const struct place *p)
{
	char buf[96];
	trace_font(cr, 9, 0);
	if (p->streaming) {
		snprintf(buf, sizeof(buf),
			 "layers 0-%d in turn (weight streaming)",
			 p->t->n_stages - 1);
		trace_label(cr, p->mx + p->fr.map_w / 2.0,
			    p->my + p->fr.map_h / 2.0, buf, 1);
		return;
	}
	for (int s = 0; s < p->t->n_stages; s++) {
		double x, y, w, h;
		if (host_of(p, s) != s)
			continue; /* named on its host's label */
		stage_box(p, s, &x, &y, &w, &h);
		if (w < TINY || h < TINY) {
			trace_set_rgb(cr, TRACE_BLACK);
			cairo_set_line_width(cr, 1.5);
			cairo_arc(cr, x + w / 2, y + h / 2, 7, 0, 2 * M_PI);
			cairo_stroke(cr);
			snprintf(buf, sizeof(buf), "%d", s);
			trace_label(cr, x + w / 2 + 9, y + h / 2 - 6, buf, 0);
			continue;
		}
		char ids[48], names[160];
		size_t nn = 0;
		trace_stage_ids(p->t, s, ids, sizeof(ids));
		names[0] = 0;
		for (int g = s; g < p->t->n_stages && nn + 1 < sizeof(names);
		     g++)
			if (host_of(p, g) == s) {
				int k = snprintf(names + nn, sizeof(names) - nn,
						 "%s%s", nn ? ", " : "",
						 p->t->stages[g].name);
				nn = k < 0 ? sizeof(names) : nn + (size_t)k;
			}
		snprintf(buf, sizeof(buf), "%s %s", ids, names);
		if (trace_text_w(cr, buf) + 6 > w)
			snprintf(buf, sizeof(buf), "%s", ids);
		trace_label(cr, x + w / 2, y + h / 2 - 6, buf, 1);
		if (strchr(ids, '+'))
			trace_label(cr, x + w / 2, y + h / 2 + 8,
				    "time-shared", 1);
	}
}

static void legend_row(cairo_t *cr, double x, double y, struct trace_rgb c,
		       int line, const char *text)
{
	if (line)
		trace_fill(cr, x, y + 5, 12, 3, c);
	else
		trace_fill(cr, x, y + 1, 12, 10, c);
	trace_text(cr, x + 16, y, text, 0, TRACE_BLACK);
}

static void draw_legend(cairo_t *cr, const struct place *p)
{
	char buf[96];
	trace_font(cr, 9, 0);
	double x = p->mx + p->fr.map_w + 16, y = p->my, row = 13;
	int max_rows = (int)((p->ch - p->my - 8) / row) - 5;
	for (int s = 0; s < p->t->n_stages; s++, y += row) {
		if (s >= max_rows && s + 1 < p->t->n_stages) {
			snprintf(buf, sizeof(buf), "... %d more",
				 p->t->n_stages - s);
			trace_text(cr, x, y, buf, 0, TRACE_BLACK);
			y += row;
			break;
		}
		const struct trace_stage *ts = &p->t->stages[s];
		int host = host_of(p, s);
		if (host != s)
			snprintf(buf, sizeof(buf), "%d %.26s on %d's PEs", s,
				 ts->name, host);
		else
			snprintf(buf, sizeof(buf), "%d %.26s %dx%d", s,
				 ts->name, ts->r.w, ts->r.h);
		legend_row(cr, x, y, trace_qual(s), 0, buf);
	}
	y += 4 - row;
	if (p->any_unused)
		legend_row(cr, x, y += row, TRACE_UNUSED, 0, "unused PEs");
	int kinds[3] = {0, 0, 0}; /* forward, backward, sync: those drawn */
	for (int i = 0; i < p->t->n_routes; i++) {
		const struct trace_route *r = &p->t->routes[i];
		kinds[r->kind ? 2 : strcmp(r->pass, "fwd") ? 1 : 0] = 1;
	}
	if (kinds[0])
		legend_row(cr, x, y += row, ROUTE_FWD, 1, "forward route");
	if (kinds[1])
		legend_row(cr, x, y += row, ROUTE_BWD, 1, "backward route");
	if (kinds[2])
		legend_row(cr, x, y += row, ROUTE_SYNC, 1,
			   "shared-weight sync (per step)");
}

static void place_draw(cairo_t *cr, const void *ctx)
{
	const struct place *p = ctx;
	trace_frame_draw(cr, &p->fr, p->mx, p->my);
	draw_stages(cr, p);
	draw_routes(cr, p);
	draw_labels(cr, p);
	draw_legend(cr, p);
}

static void place_layout(const struct trace_data *t,
			 const struct trace_opts *o, struct place *p)
{
	memset(p, 0, sizeof(*p));
	p->t = t;
	p->streaming = !strcmp(t->mode, "streaming");
	int scale, bin;
	trace_heat_scale(t->width, t->height, o->heat_bin, &scale, &bin);
	p->fr.map_w = trace_px_of(t->width, scale, bin);
	p->fr.map_h = trace_px_of(t->height, scale, bin);
	p->fr.cells_w = t->width;
	p->fr.cells_h = t->height;
	uint8_t *mask = trace_used_mask(t);
	int64_t used = 0, n = t->width * t->height;
	for (int64_t i = 0; i < n; i++)
		used += mask[i];
	free(mask);
	p->any_unused = used < n;
	snprintf(p->title, sizeof(p->title), "Placement: %s on %s (%s, %s)",
		 t->network, t->machine, t->strategy, t->mode);
	snprintf(p->sub, sizeof(p->sub),
		 "%d %s on %lld of %lld PEs (%.1f%%), %d route%s%s",
		 t->n_stages,
		 p->streaming ? (t->n_stages == 1 ? "layer" : "layers in turn")
			      : (t->n_stages == 1 ? "stage" : "stages"),
		 (long long)used, (long long)n, 100.0 * (double)used / (double)n,
		 t->n_routes, t->n_routes == 1 ? "" : "s",
		 used < n ? "; grey: unused PEs" : "");
	p->fr.title = p->title;
	p->fr.subtitle = p->sub;
	p->fr.extra_right = LEGEND_W;
	int rows = t->n_stages + 6;
	p->fr.min_h = rows <= 70 ? 86 + rows * 13 + 16 : 0;
	trace_frame_layout(&p->fr, &p->cw, &p->ch, &p->mx, &p->my);
	p->kx = (double)p->fr.map_w / (double)t->width;
	p->ky = (double)p->fr.map_h / (double)t->height;
}

static int place_csv(const struct trace_data *t, const char *dir,
		     struct diag *d)
{
	static const int cols[] = {TS_NAME, TS_KIND, TS_X, TS_Y, TS_W,
				   TS_H, TS_PES, TS_COPIES, TS_SRAM, TS_COMPUTE,
				   TS_COMM, TS_WAIT_IN, TS_WAIT_OUT, TS_LIMIT};
	static const int rcols[] = {TR_SRC, TR_DST, TR_COLOR, TR_PASS,
				    TR_WAVELETS, TR_KIND};
	struct outfile of;
	char *path = trace_path(dir, "stages.csv");
	int rc = outfile_open(&of, path, d);
	free(path);
	if (rc)
		return WS_EIO;
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

int trace_place_write(const struct trace_data *t, const char *dir,
		      const struct trace_opts *o, struct diag *d)
{
	if (t->width <= 0 || t->height <= 0)
		return 0;
	struct place p;
	place_layout(t, o, &p);
	if (trace_pic_write(dir, "placement", p.cw, p.ch, place_draw, &p, d))
		return WS_EIO;
	return place_csv(t, dir, d);
}
