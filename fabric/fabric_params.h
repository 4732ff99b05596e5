/*
 * fabric_params.h: the mesh fabric's parameters, as loaded from the machine
 * file (section `fabric`).  Plain data; the timing rules that use them live
 * in fabric/.
 */
#ifndef WAFERSIM_FABRIC_PARAMS_H
#define WAFERSIM_FABRIC_PARAMS_H

#include <stdint.h>

struct fabric_params {
	int64_t wavelet_bits;	       /* payload bits per wavelet */
	int64_t colors;		       /* virtual channels sharing a link */
	int64_t link_latency_cycles;   /* wire delay between routers */
	int64_t router_latency_cycles; /* pipeline delay through a router */
	int64_t ramp_latency_cycles;   /* PE <-> router, each way */
	int64_t buffer_depth_wavelets; /* input buffer per (port, color) */
};

#endif
