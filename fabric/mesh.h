/*
 * mesh.h: geometry of the 2-D mesh, by integer arithmetic only.
 *
 * Routers (and their PEs) are numbered row by row:
 *
 *        x = 0     1     2   ...  width-1
 *   y=0   [0]---[1]---[2]---...             north is y-1 (up)
 *          |     |     |                    south is y+1 (down)
 *   y=1   [w]--[w+1]--...                   east  is x+1
 *                                           west  is x-1
 *   id = y * width + x
 *
 * Every router has five ports: the four mesh directions and the ramp to its
 * own PE.  The link leaving router `id` towards direction `dir` (N, S, E, W)
 * has id `id * 4 + dir`; links off the mesh edge exist in the numbering but
 * never carry traffic.  So per-link arrays have 4 * width * height entries.
 */
#ifndef WAFERSIM_FABRIC_MESH_H
#define WAFERSIM_FABRIC_MESH_H

#include <stdint.h>

/* Router ports.  The four mesh directions double as link directions. */
enum {
	DIR_NORTH = 0,
	DIR_SOUTH = 1,
	DIR_EAST = 2,
	DIR_WEST = 3,
	DIR_RAMP = 4, /* to and from the router's own PE */
	MESH_PORTS = 5,
	MESH_LINK_DIRS = 4,
};

struct mesh {
	int32_t width, height;
};

static inline int32_t mesh_nodes(const struct mesh *m)
{
	return m->width * m->height;
}
static inline int32_t mesh_id(const struct mesh *m, int32_t x, int32_t y)
{
	return y * m->width + x;
}
static inline int32_t mesh_x(const struct mesh *m, int32_t id)
{
	return id % m->width;
}
static inline int32_t mesh_y(const struct mesh *m, int32_t id)
{
	return id / m->width;
}

/* The port a wavelet leaving through `dir` enters at the neighbour. */
static inline int mesh_opposite(int dir)
{
	return dir ^ 1; /* N<->S, E<->W */
}

/* Neighbour of `id` in direction `dir`, or -1 off the mesh edge. */
static inline int32_t mesh_neighbour(const struct mesh *m, int32_t id, int dir)
{
	int32_t x = id % m->width, y = id / m->width;
	switch (dir) {
	case DIR_NORTH: return y > 0 ? id - m->width : -1;
	case DIR_SOUTH: return y + 1 < m->height ? id + m->width : -1;
	case DIR_EAST: return x + 1 < m->width ? id + 1 : -1;
	case DIR_WEST: return x > 0 ? id - 1 : -1;
	default: return -1;
	}
}

/* Id of the link leaving `id` towards `dir` (see the picture above). */
static inline int64_t mesh_link(int32_t id, int dir)
{
	return (int64_t)id * MESH_LINK_DIRS + dir;
}

/* Hops between two routers under dimension-ordered routing. */
static inline int32_t mesh_hops(const struct mesh *m, int32_t a, int32_t b)
{
	int32_t dx = mesh_x(m, a) - mesh_x(m, b);
	int32_t dy = mesh_y(m, a) - mesh_y(m, b);
	return (dx < 0 ? -dx : dx) + (dy < 0 ? -dy : dy);
}

/* Dimension-ordered (X then Y) output port at router `at` for a wavelet
 * going to `dst`; DIR_RAMP when it has arrived. */
static inline int mesh_xy_port(const struct mesh *m, int32_t at, int32_t dst)
{
	int32_t ax = at % m->width, dx = dst % m->width;
	if (dx > ax)
		return DIR_EAST;
	if (dx < ax)
		return DIR_WEST;
	if (dst > at)
		return DIR_SOUTH;
	if (dst < at)
		return DIR_NORTH;
	return DIR_RAMP;
}

#endif
