/*
 * route.h: routes between stage rectangles and their colors.
 *
 * Ports: a stage receives at its input port, the PE of its rectangle
 * nearest to the source (for dense kernels inputs then spread down the
 * columns from the north edge) and sends from its output port, the middle
 * of its east edge (where dense reductions end).  Host input enters at the
 * point of an I/O edge (machine io.edges) nearest to the consumer.
 *
 * A route is a dimension-ordered path (X first, then Y) given by its
 * corners.  One producer feeding several consumers gets one route per
 * consumer, all in one multicast group sharing one color (a tree rooted at
 * the output port).  Backward (PASS_BWD_DATA) routes run from the consumer
 * back to the producer for every edge whose gradient is needed.
 *
 * Colors: [0, PLAN_KERNEL_COLORS) belong to the kernels (their broadcasts
 * and reductions) at every router; routes get the lowest color in
 * [PLAN_KERNEL_COLORS, fabric.colors) not used by another group at any
 * router on their path.  When none is left the error names the router
 * (x, y) and the colors in use there.
 */
#ifndef WAFERSIM_ROUTE_H
#define WAFERSIM_ROUTE_H

#include "compiler/map.h"
#include "compiler/plan.h"
#include "ground/diag.h"
#include "machine/machine.h"

/* Output and input ports of a stage; the input port nearest (x, y). */
struct plan_point route_out_port(const struct plan_stage *s);
struct plan_point route_in_port(const struct plan_stage *s,
				struct plan_point from);
/* Host I/O point on one of the machine's io.edges nearest to `to`. */
struct plan_point route_host_port(const struct machine *m,
				  struct plan_point to);

/* Dimension-ordered path a -> b as corners (2 or 3 points, heap). */
int route_path(struct plan_point a, struct plan_point b,
	       struct plan_point **pts);

/*
 * Build p->routes from the stage edges (map_stages) for the stages' current
 * rectangles, then assign colors (route_assign_colors).  Streaming plans
 * get host-input routes only (stages share the wafer).  0 or WS_EINPUT.
 */
int route_build(struct plan *p, const struct machine *m,
		const struct map_edge *edges, int n_edges, struct diag *d);

/*
 * Assign colors to routes with color < 0 (keeping the others), so that no
 * router carries more than fabric.colors colors.  `file` is used for
 * locations of routes read from a plan file.  0 or WS_EINPUT.
 */
int route_assign_colors(struct plan *p, const struct machine *m,
			const char *file, struct diag *d);

/*
 * Check routes: points inside the grid, segments axis-aligned, first point
 * on or in the source rectangle (or on an I/O edge for host input), last in
 * the destination rectangle (or on an I/O edge for host output), colors in
 * range and no router over fabric.colors.  Returns the problem count.
 */
int route_check(const struct plan *p, const struct machine *m, const char *file,
		struct diag *d);

#endif
