/*
 * map_share.h: shared weights run in turn (plan_stage.sharing).
 *
 * A layer applied to several inputs (Uno's and Combo's drug encoders:
 * graph.h param_owner) has two mappings:
 *
 *   SHARE_REPLICAS   every application is a stage on its own rectangle;
 *                    the applying stages hold a replica of the weights,
 *                    and once per step their gradients go to the owner's
 *                    stage and the updated weights come back (sync
 *                    routes, route.h route_sync_pairs).
 *   SHARE_TIME       the applying stage ("guest") runs on its owner's
 *                    stage's rectangle ("host"): one copy of the weights,
 *                    no sync, and the rectangle serves each application's
 *                    tasks in turn, so its pace per sample is the sum of
 *                    its stages' and the pipeline passes through it once
 *                    per application.
 *
 *      replicas                         time-shared
 *   +--------+   grads  +--------+     +------------------+
 *   | desc1  | <------- | desc2  |     | desc1 | desc2    |  one rectangle,
 *   | (owner)| -------> |(replica)     | (host)| (guest)  |  tasks in turn
 *   +--------+  weights +--------+     +------------------+
 *
 * The compiler chooses per applying stage by the objective (place.h
 * plan_opts.sharing); a plan file says which (`sharing:` on the stage).
 */
#ifndef WAFERSIM_MAP_SHARE_H
#define WAFERSIM_MAP_SHARE_H

#include "compiler/graph.h"
#include "compiler/plan.h"
#include "ground/json_io.h"
#include "machine/machine.h"

/* The stage owning every shared layer stage s applies, when there is
 * one such stage other than s (s may then be time-shared on it), else
 * -1. */
int map_share_owner(const struct graph *g, const struct plan *p, int s);

/* Names in plan files and options: "replicas", "time_shared"; and back
 * (index or -1). */
const char *map_share_name(int sharing);
int map_share_from_name(const char *s);

/*
 * Set every stage's sharing and host: a stage that can run on its
 * owner's rectangle (map_share_owner) is time-shared when time[s] is
 * nonzero (time NULL: none), otherwise it keeps replicas.  Returns the
 * number of stages that apply another's weights.
 */
int map_share_set(const struct graph *g, struct plan *p,
		  const unsigned char *time);

/* Is stage s time-shared on another (a guest)?  Its rectangle is its
 * host's then, and it is not placed on its own. */
int map_share_guest(const struct plan *p, int s);

/* Has p any time-shared stage?  (When not, map_share_pace and
 * map_share_sram are the stage's own figures and map_share_cotenants 0:
 * loops over the stages ask once, not N times per stage.) */
int map_share_any(const struct plan *p);

/* The stage whose rectangle s runs on: its host, or s itself. */
int map_share_root(const struct plan *p, int s);

/* SRAM per PE of s's rectangle: its stages' totals, the code once. */
int64_t map_share_sram(const struct plan *p, int s);

/* Occupancy of one task of a kernel (the objective's rule,
 * plan_estimate.h plan_task_occ, handed in). */
typedef cycles_t (*map_share_occ_fn)(const struct machine *m,
				     enum pe_prec prec,
				     const struct kernel_work *w);

/*
 * The objective's term for time-shared stages: per sample, the cycles the
 * rectangle of stage s spends on the OTHER stages sharing it (the host's
 * guests, or a guest's host and fellow guests), every pass but the
 * update (train) or the forward only (inference).  0 for a stage alone.
 * Added to s's own occupancy it is the rectangle's pace.
 */
double map_share_cotenants(const struct plan *p, const struct machine *m,
			   int s, int train, map_share_occ_fn occ);

/*
 * The sharing decision as JSON (`place --json`, `run --json`): one object
 * per stage applying another's weights, {"stage", "mapping":
 * "time_shared", "host"} for a guest, {"stage", "mapping": "replicas",
 * "owner"} for a replica (a stage with a gradient sync route; one object
 * per owner).  An empty array when no stage shares.  The caller owns it.
 */
json_t *map_share_json(const struct plan *p);

/* Stage s's pace with its rectangle's other stages (stage_cycles summed
 * over them; its own stage_cycles when alone). */
cycles_t map_share_pace(const struct plan *p, int s);

#endif
