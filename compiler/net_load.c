/*
 * net_load.c: the compiler's front-end entry point.  Picks the reader for a
 * network (ONNX by extension, YAML otherwise; zoo names looked up in
 * models/), then counts its costs.  It sits above the readers and the IR,
 * so that the IR knows nothing of its readers.  Declared in graph.h.
 */
#include "compiler/graph.h"

#include <stdlib.h>
#include <string.h>

#include "compiler/cost.h"
#include "compiler/net_yaml.h"
#include "compiler/onnx.h"
#include "ground/util.h"

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcmp(s + a - b, suf);
}

int graph_load(const char *name_or_path, enum optimizer opt, struct graph *g,
	       struct diag *d)
{
	memset(g, 0, sizeof(*g));
	int rc;
	if (ends_with(name_or_path, ".onnx")) {
		char *path =
			ws_find_model(name_or_path, "onnx", "", "network", d);
		if (!path)
			return WS_EIO;
		rc = onnx_load(path, g, d);
		free(path);
	} else {
		const char *ext =
			ends_with(name_or_path, ".yaml") ||
					ends_with(name_or_path, ".yml")
				? ""
				: ".yaml";
		char *path =
			ws_find_model(name_or_path, "nets", ext, "network", d);
		if (!path)
			return WS_EIO;
		rc = net_yaml_load(path, g, d);
		free(path);
	}
	if (rc)
		return rc;
	if (cost_count_checked(g, opt, d)) {
		graph_release(g);
		return WS_EINPUT;
	}
	return 0;
}
