/*
 * dot.h: a graph as Graphviz DOT text (`wafersim compile NET --dot FILE`).
 *
 * One node per layer (name, op, output shape, parameters), one per network
 * input; one edge per tensor use, labelled with its shape.  Shared-weight
 * applications get a dashed edge to the owner.  Deterministic output.
 */
#ifndef WAFERSIM_DOT_H
#define WAFERSIM_DOT_H

#include <stdio.h>

#include "compiler/graph.h"

void dot_write(const struct graph *g, FILE *out);

#endif
