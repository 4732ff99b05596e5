/* onnx.c: the ONNX reader (see onnx.h).  Placeholder until the reader lands. */
#include "compiler/onnx.h"

#include <string.h>

int onnx_load_buffer(const char *file, const uint8_t *data, size_t len,
		     struct graph *g, struct diag *d)
{
	(void)data;
	(void)len;
	memset(g, 0, sizeof(*g));
	diag_add(d, file, 0, 0, "onnx: reader not available in this version");
	return WS_EINPUT;
}

int onnx_load(const char *path, struct graph *g, struct diag *d)
{
	return onnx_load_buffer(path, NULL, 0, g, d);
}
