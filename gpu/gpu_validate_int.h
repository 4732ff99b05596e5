/*
 * gpu_validate_int.h: what the measured-row readers of gpu/ share (the
 * validator, gpu_validate.c, and the profile check, gpu_profile.c); not
 * an API.
 */
#ifndef WAFERSIM_GPU_VALIDATE_INT_H
#define WAFERSIM_GPU_VALIDATE_INT_H

#include "gpu/gpu_validate.h"

/* Networks loaded so far, by name or path. */
struct net_cache;
struct gpu_net_cache {
	struct net_cache *c;
	int n;
};
void gpu_net_cache_release(struct gpu_net_cache *nc);

/* The rows of a JSON-lines file of `what` (text already read): 0, or
 * WS_EINPUT when it is not JSON lines or holds no row (a file:1:1 error
 * naming `what`). */
int gpu_val_jsonl_rows(const char *path, const char *text, size_t len,
		       const char *what, struct gpu_jsonl *jl, struct diag *d);

/* A row's identity ("model", "batch", "precision", "mode"), the run
 * options it was measured with ("optimizer") and its network (`net` when
 * not NULL, else its "network_file", NAME in `dirs`, the zoo): 0, or -1
 * with r->skipped set and located at the field that is wrong. */
int gpu_val_row_setup(const char *path, const char *text, size_t len,
		      const json_t *row, const struct graph *net,
		      const char *const *dirs, int n_dirs,
		      struct gpu_net_cache *cache, struct gpu_val_row *r,
		      struct gpu_run_opts *o, const struct graph **rg);

/* Append " (path:line:col)" to r->skipped, col of `key` on the row's
 * line (1 when the row has no such key). */
void gpu_val_locate(struct gpu_val_row *r, const char *path,
		    const char *text, size_t len, const char *key);

#endif
