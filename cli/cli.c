/* cli.c: helpers shared by the commands. See cli.h. */
#include "cli/cli.h"
#include "compiler/graph.h"
#include "cores/pe.h"
#include "ground/checked.h"
#include "ground/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "wafersim %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see 'wafersim %s --help')\n", cmd);
	return EXIT_USAGE;
}

int cli_stop(int *ex, int code)
{
	*ex = code;
	return 0;
}

int cli_gpu_dtype(int precision)
{
	return precision == PREC_FP32   ? DT_FP32
	       : precision == PREC_FP16 ? DT_FP16
					: DT_BF16;
}

int cli_ddp_gpus(int64_t global_batch, long asked)
{
	if (asked < 1)
		return 1;
	if (global_batch > 0 && asked > global_batch)
		asked = (long)global_batch;
	return asked > INT32_MAX ? INT32_MAX : (int)asked;
}

int64_t cli_ddp_padded(int64_t global_batch, int64_t per_gpu, int gpus)
{
	int64_t all = per_gpu * (int64_t)gpus;
	return all > global_batch ? all - global_batch : 0;
}

int cli_fail(struct diag *d, int rc)
{
	diag_print(d, stderr);
	return rc == WS_EUSAGE ? EXIT_USAGE : EXIT_INPUT;
}

int cli_parse_long(const char *cmd, const char *opt, const char *val,
		   long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(val, &end, 10);
	if (errno || !*val || *end || v < lo || v > hi) {
		cli_usage_error(cmd, "'%s' must be an integer in [%ld, %ld], got '%s'",
				opt, lo, hi, val);
		return -1;
	}
	*out = v;
	return 0;
}

/* [1, max] from the digits at *s on; *s moves past them.  0 or -1. */
static int wxh_side(const char **s, long max, int *out)
{
	long v = 0;
	const char *p = *s;
	for (; *p >= '0' && *p <= '9'; p++)
		if ((v = v * 10 + (*p - '0')) > max)
			return -1;
	if (p == *s || v < 1)
		return -1;
	*s = p;
	*out = (int)v;
	return 0;
}

int cli_parse_wxh(const char *s, long max, int *w, int *h)
{
	int a, b;
	if (wxh_side(&s, max, &a) || (*s != 'x' && *s != 'X'))
		return -1;
	s++;
	if (wxh_side(&s, max, &b) || *s)
		return -1;
	*w = a;
	*h = b;
	return 0;
}

char **cli_list_models(const char *subdir, size_t *n)
{
	struct diag d;
	diag_init(&d);
	char **paths = ws_list_models(subdir, n, &d);
	if (!paths)
		diag_print(&d, stderr);
	diag_release(&d);
	return paths;
}

int cli_progress_ok(void)
{
	return isatty(2);
}

int cli_parse_size(const char *cmd, const char *opt, const char *val,
		   int64_t *out)
{
	*out = 0;
	if (!val)
		return 0;
	if (mem_parse_size(val, out) == 0)
		return 0;
	cli_usage_error(cmd, "'%s' must be a size in bytes with an optional "
			"K, M, G or T (e.g. 512M, 8G), got '%s'", opt, val);
	return -1;
}

void cli_progress_init(struct cli_progress *pg, double t0, const char *what)
{
	pg->t0 = t0;
	pg->last = 0;
	pg->shown = 0;
	pg->what = what;
}

void cli_progress_cb(void *ctx, double done)
{
	struct cli_progress *pg = ctx;
	double t = wall_seconds() - pg->t0;
	if (t < 1.0 || (pg->shown && t - pg->last < 0.2))
		return;
	fprintf(stderr, "\r%s: %3.0f%% (%.1f s)", pg->what, 100 * done, t);
	pg->last = t;
	pg->shown = 1;
}

void cli_progress_end(struct cli_progress *pg)
{
	if (pg->shown)
		fprintf(stderr, "\r%60s\r", "");
	pg->shown = 0;
}
