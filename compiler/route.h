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

#include "compiler/graph.h"
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
 * router carries more than fabric.colors colors, then the plan's figures
 * (plan_tally: not the objective, plan_summarise's).  `file` is used for
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
/*
 * Shared weights, pipelined: a stage applying a layer whose weights another
 * stage owns (graph.h param_owner) holds a replica (map.c).  Once per step
 * the replica's gradients (fp32) go to the owner's stage, which sums them
 * into its own before its update, and the updated weights (fp16 in mixed
 * or fp16 precision, fp32 otherwise) come back before the replica's next
 * forward.  route_sync_pairs lists the (replica stage, owner stage) pairs
 * with the bytes each way (summed over the pair's shared layers; *out
 * xmalloc'ed, NULL when none); route_add_sync adds one ROUTE_GRAD_SYNC and
 * one ROUTE_WEIGHT_SYNC per pair, paths as for sample routes (the source's
 * output port to the destination's nearest input port), colors assigned
 * after the sample routes so those keep theirs.  Streaming plans: none.
 */
struct route_sync {
	int replica, owner;
	int64_t grad_bytes, weight_bytes;
};
int route_sync_pairs(const struct plan *p, const struct graph *g,
		     struct route_sync **out);
int route_add_sync(struct plan *p, const struct graph *g,
		   const struct machine *m, struct diag *d);

/*
 * A plan read from a file must carry every route the graph needs: every
 * sample route (forward, and backward where a gradient flows) must be
 * there (else a located error at line:col, the file's 'routes'), and its
 * payload is recomputed; missing shared-weight sync routes are laid again
 * (color -1: assign colors after) and their bytes recomputed.
 */
int route_complete(struct plan *p, const struct graph *g,
		   const struct machine *m, const struct map_edge *edges,
		   int n_edges, const char *file, int line, int col,
		   struct diag *d);

int route_check(const struct plan *p, const struct machine *m, const char *file,
		struct diag *d);

#endif
