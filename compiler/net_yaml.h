/*
 * net_yaml.h: the YAML network reader (format: docs/networks.md).
 *
 * Reads a network description into a finished graph (graph_finish() run,
 * costs not yet counted).  Every problem is reported with file:line:col of
 * the YAML node at fault; the reader keeps going to report as many as it
 * can.  On failure the graph is released (left zeroed).
 */
#ifndef WAFERSIM_NET_YAML_H
#define WAFERSIM_NET_YAML_H

#include <stddef.h>

#include "compiler/graph.h"

/* 0, WS_EIO (cannot read) or WS_EINPUT. */
int net_yaml_load(const char *path, struct graph *g, struct diag *d);
/* Same from text; `file` names the source in messages. */
int net_yaml_load_string(const char *file, const char *text, size_t len,
			 struct graph *g, struct diag *d);

#endif
