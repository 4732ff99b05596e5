/*
 * wafer_val.c: `wafersim validate wafer`: measured kernels and networks
 * against the model.  See wafer_val.h.
 */
#include "sim/wafer_val.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/kern.h"
#include "ground/checked.h"
#include "ground/util.h"

static const char kernel_header[] = "kernel,P,M,K,N,group_num,Mt,Kt,Nt,"
				    "mean_cycles";
static const char network_header[] = "network,machine,wafers,mode,dtype,"
				     "batch,samples_per_s,source_id";

enum { KF_KERNEL, KF_P, KF_M, KF_K, KF_N, KF_G, KF_MT, KF_KT, KF_NT,
       KF_CYCLES, KF_COUNT };

/* Split `line` (modified) at commas into at most max fields, trimmed. */
static int split(char *line, char **f, int max)
{
	int n = 0;
	for (char *p = line;; p++) {
		char *start = p;
		while (*p && *p != ',')
			p++;
		char end = *p;
		*p = '\0';
		while (isspace((unsigned char)*start))
			start++;
		char *e = start + strlen(start);
		while (e > start && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (n < max)
			f[n] = start;
		n++;
		if (!end)
			break;
	}
	return n;
}

/* Integer field in [lo, hi], or 0 when empty (*v untouched); -1 if
 * malformed or out of range. */
static int int_field(const char *s, long long lo, long long hi,
		     long long *v)
{
	if (!*s)
		return 0;
	char *end;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (*end || errno || x < lo || x > hi)
		return -1;
	*v = x;
	return 1;
}

/* A dimension: the field, or its tile times P (kernel_dims keeps the
 * product within KDIM_MAX); 0 if neither is given. */
static long long dim(long long given, long long tile, long long P)
{
	return given > 0 ? given : tile > 0 ? tile * P : 0;
}

/* Largest P: a side of the largest grid a machine file may give
 * (machine/machine.c's grid bounds) and more [D]. */
#define KP_MAX 65536
/* Largest dimension or tile: what a network file's layer may have
 * (compiler/net_yaml.c: units, filters in [1, 2^31 - 1]) [D]. */
#define KDIM_MAX INT32_MAX

static int kernel_fields(const char *path, int line, char **f,
			 const int *col, long long *x, double *cycles,
			 struct diag *d)
{
	static const char *const names[KF_COUNT] = {
		"kernel", "P", "M", "K", "N", "group_num", "Mt", "Kt", "Nt",
		"mean_cycles"};
	int bad = 0;
	for (int i = KF_P; i < KF_CYCLES; i++) {
		long long lo = i == KF_P ? 1 : 0;
		long long hi = i == KF_P || i == KF_G ? KP_MAX : KDIM_MAX;
		x[i] = 0;
		if (int_field(f[i], lo, hi, &x[i]) < 0 ||
		    (i == KF_P && !*f[i])) {
			diag_add(d, path, line, col[i],
				 "validate: '%s' must be a whole number in "
				 "[%lld, %lld]%s, got '%s'", names[i], lo, hi,
				 i == KF_P ? "" : " or empty", f[i]);
			bad = 1;
		}
	}
	char *end;
	*cycles = strtod(f[KF_CYCLES], &end);
	if (!*f[KF_CYCLES] || *end || !(*cycles > 0) ||
	    !isfinite(*cycles)) {
		diag_add(d, path, line, col[KF_CYCLES],
			 "validate: 'mean_cycles' must be a number > 0 and "
			 "finite, got '%s'", f[KF_CYCLES]);
		bad = 1;
	}
	return bad ? WS_EINPUT : 0;
}

/* A dimension and its tile, when both are given, must agree (tile =
 * dimension / P); a MeshGEMV row gives M and N only (its vector is M
 * long).  WS_EINPUT (located) otherwise. */
static int kernel_dims(const char *path, int line, char **f, const int *col,
		       const long long *x, struct diag *d)
{
	static const char *const dn[3] = {"M", "K", "N"}, *const tn[3] = {
		"Mt", "Kt", "Nt"};
	long long P = x[KF_P];
	int bad = 0;
	for (int i = 0; i < 3; i++) {
		long long v = x[KF_M + i], t = x[KF_MT + i];
		if (!v && t > KDIM_MAX / P) {
			diag_add(d, path, line, col[KF_MT + i],
				 "validate: '%s' times P must be at most %lld "
				 "(%s), got %lld x %lld", tn[i],
				 (long long)KDIM_MAX, dn[i], t, P);
			bad = 1;
		}
		if (v > 0 && t > 0 && (v % P || v / P != t)) {
			diag_add(d, path, line, col[KF_MT + i],
				 "validate: '%s' must be %s / P = %lld / %lld"
				 "%s, got %lld",
				 tn[i], dn[i], v, P,
				 v % P ? " (not a whole number: leave it "
					 "empty)"
				       : "",
				 t);
			bad = 1;
		}
	}
	if (!strcmp(f[KF_KERNEL], "MeshGEMV") && (x[KF_K] || x[KF_KT])) {
		int k = x[KF_K] ? KF_K : KF_KT;
		diag_add(d, path, line, col[k],
			 "validate: '%s' must be empty in a MeshGEMV row (its "
			 "vector is M long, its matrix M x N), got '%s'",
			 k == KF_K ? "K" : "Kt", f[k]);
		bad = 1;
	}
	return bad ? WS_EINPUT : 0;
}

static int kernel_row(const char *path, int line, char **f, int nf,
		      const int *col, const struct machine *m,
		      struct wval_row *r, struct diag *d)
{
	if (nf != KF_COUNT) {
		diag_add(d, path, line, 1,
			 "validate: %d fields expected, got %d", KF_COUNT, nf);
		return WS_EINPUT;
	}
	long long x[KF_COUNT];
	double cycles;
	if (kernel_fields(path, line, f, col, x, &cycles, d) ||
	    kernel_dims(path, line, f, col, x, d))
		return WS_EINPUT;
	long long P = x[KF_P];
	struct kern_shape s = {
		.M = dim(x[KF_M], x[KF_MT], P), .K = dim(x[KF_K], x[KF_KT], P),
		.N = dim(x[KF_N], x[KF_NT], P), .w = (int32_t)P,
		.h = (int32_t)P, .prec = PREC_FP16, .groups = x[KF_G]};
	int alg = kern_from_name(f[KF_KERNEL]);
	if (!strcmp(f[KF_KERNEL], "MeshGEMM"))
		alg = KERN_CANNON;
	if (!strcmp(f[KF_KERNEL], "MeshGEMV")) {
		/* y = x A: x (M) down the column, A's N across the row */
		alg = KERN_GEMV_GROUPED;
		s.K = s.M;
		s.M = 1;
	}
	if ((double)s.M * (double)s.K * (double)s.N > (double)CK_LIMIT) {
		int at = x[KF_M] ? KF_M : KF_MT;
		diag_add(d, path, line, col[at],
			 "validate: 'M x K x N' must be at most 2^53 "
			 "multiply-accumulates (ground/checked.h), got %lld "
			 "x %lld x %lld", (long long)s.M, (long long)s.K,
			 (long long)s.N);
		return WS_EINPUT;
	}
	snprintf(r->label, sizeof(r->label), "%s P=%lld %lldx%lldx%lld%s",
		 f[KF_KERNEL], P, (long long)s.M, (long long)s.K,
		 (long long)s.N, "");
	if (x[KF_G] > 0)
		snprintf(r->label + strlen(r->label),
			 sizeof(r->label) - strlen(r->label), " G=%lld",
			 x[KF_G]);
	r->measured = cycles;
	if (alg < 0) {
		snprintf(r->skipped, sizeof(r->skipped),
			 "unknown kernel '%s' (MeshGEMM, MeshGEMV, %s)",
			 f[KF_KERNEL], kern_names());
		return 0;
	}
	if (P > m->width || P > m->height) {
		snprintf(r->skipped, sizeof(r->skipped),
			 "%lld x %lld PEs exceed %s's %lld x %lld grid", P, P,
			 m->name, (long long)m->width, (long long)m->height);
		return 0;
	}
	if (s.M < 1 || s.K < 1 || s.N < 1) {
		snprintf(r->skipped, sizeof(r->skipped),
			 "M, K and N (or their tiles) must be given");
		return 0;
	}
	struct kern_cost c;
	kern_eval(m, (enum kern_alg)alg, &s, &c);
	if (kern_why_not(m, (enum kern_alg)alg, &s, &c, 0, r->skipped,
			 sizeof(r->skipped)))
		return 0;
	r->predicted = (double)c.cycles;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double wval_median_abs(const struct wval *v, int n, int *rows)
{
	int total = 0, c = 0;
	for (int k = 0; k < n; k++)
		total += v[k].n;
	double *e = xcalloc((size_t)total + 1, sizeof(double));
	for (int k = 0; k < n; k++)
		for (int i = 0; i < v[k].n; i++)
			if (!v[k].rows[i].skipped[0])
				e[c++] = fabs(v[k].rows[i].err);
	qsort(e, (size_t)c, sizeof(double), cmp_double);
	double m = !c ? NAN : c % 2 ? e[c / 2] : (e[c / 2 - 1] + e[c / 2]) / 2;
	free(e);
	if (rows)
		*rows = c;
	return m;
}

static void summarise(struct wval *v)
{
	v->n_predicted = v->n_skipped = 0;
	v->worst_abs = NAN;
	for (int i = 0; i < v->n; i++) {
		struct wval_row *r = &v->rows[i];
		if (r->skipped[0]) {
			v->n_skipped++;
			continue;
		}
		r->err = (r->predicted - r->measured) / r->measured;
		if (!v->n_predicted++ || fabs(r->err) > v->worst_abs)
			v->worst_abs = fabs(r->err);
	}
	v->median_abs = wval_median_abs(v, 1, NULL);
}

/* The header decides the kind; 0, or WS_EINPUT (located). */
static int header(const char *path, int line, const char *text,
		  struct wval *v, struct diag *d)
{
	if (!strcmp(text, kernel_header)) {
		v->kind = WVAL_KERNEL;
		v->unit = "cycles";
		return 0;
	}
	if (!strcmp(text, network_header)) {
		v->kind = WVAL_NETWORK;
		v->unit = "samples/s";
		return 0;
	}
	diag_add(d, path, line, 1,
		 "validate: header '%s' or '%s' expected, got '%s'",
		 kernel_header, network_header, text);
	return WS_EINPUT;
}

/* Folder of `path` ("." if none), heap. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	return xasprintf("%.*s", (int)(slash - path), path);
}

static int read_rows(const char *path, char *text, const struct wval_opts *o,
		     const struct machine *m, struct wval *v, struct diag *d)
{
	int line = 0, have_header = 0, rc = 0, cap = 0;
	char *dir = dir_of(path);
	if (!strncmp(text, "\xef\xbb\xbf", 3)) /* a UTF-8 byte order mark */
		text += 3;
	for (char *p = text, *next; p && *p; p = next) {
		line++;
		next = strchr(p, '\n');
		if (next)
			*next++ = '\0';
		size_t len = strlen(p);
		if (len && p[len - 1] == '\r')
			p[len - 1] = '\0';
		char *s = p;
		while (isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#')
			continue;
		if (!have_header) {
			have_header = 1;
			if ((rc = header(path, line, s, v, d)))
				break;
			continue;
		}
		if (v->n == cap) {
			cap = cap ? 2 * cap : 32;
			v->rows = xrealloc(v->rows, sizeof(*v->rows) *
							    (size_t)cap);
		}
		struct wval_row *r = &v->rows[v->n++];
		memset(r, 0, sizeof(*r));
		r->line = line;
		char *f[WVAL_MAX_FIELDS];
		int col[WVAL_MAX_FIELDS];
		int nf = split(s, f, WVAL_MAX_FIELDS);
		for (int i = 0; i < nf && i < WVAL_MAX_FIELDS; i++)
			col[i] = (int)(f[i] - p) + 1;
		int e = v->kind == WVAL_KERNEL
				? kernel_row(path, line, f, nf, col, m, r, d)
				: wval_network_row(path, dir, f, col,
						   nf < WVAL_MAX_FIELDS
							   ? nf
							   : WVAL_MAX_FIELDS,
						   o, r, d);
		rc = rc ? rc : e;
	}
	if (!rc && !have_header) {
		diag_add(d, path, line, 1,
			 "validate: header '%s' or '%s' expected, got none",
			 kernel_header, network_header);
		rc = WS_EINPUT;
	}
	free(dir);
	return rc;
}

static void wval_init(struct wval *v, const char *path)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->file, sizeof(v->file), "%s", path);
	v->unit = "cycles";
	v->median_abs = v->worst_abs = NAN;
}

int wval_text(const char *path, char *text, const struct wval_opts *o,
	      const struct machine *m, struct wval *v, struct diag *d)
{
	wval_init(v, path);
	snprintf(v->machine, sizeof(v->machine), "%s", m->name);
	int rc = read_rows(path, text, o, m, v, d);
	if (!rc)
		summarise(v);
	return rc;
}

int wval_file(const char *path, const struct wval_opts *o, struct wval *v,
	      struct diag *d)
{
	wval_init(v, path);
	struct machine m;
	int rc = machine_load(o->machine ? o->machine : "wse3", &m, d);
	if (rc)
		return rc;
	char *text = NULL;
	size_t len = 0;
	if ((rc = read_file(path, &text, &len, d)))
		return rc;
	rc = wval_text(path, text, o, &m, v, d);
	free(text);
	return rc;
}

void wval_print(const struct wval *v, FILE *out, int rows)
{
	fprintf(out, "measurements: %s", v->file);
	if (v->kind == WVAL_KERNEL)
		fprintf(out, " (kernel rows on %s)", v->machine);
	fputc('\n', out);
	if (rows && v->n_predicted)
		fprintf(out, "%-40s %12s %12s %8s\n", "row", "measured",
			"predicted", "error");
	for (int i = 0; rows && i < v->n; i++) {
		const struct wval_row *r = &v->rows[i];
		if (!r->skipped[0])
			fprintf(out, "%-40s %12.1f %12.1f %+7.1f%%\n",
				r->label, r->measured, r->predicted,
				100 * r->err);
	}
	for (int i = 0; i < v->n; i++)
		if (v->rows[i].skipped[0])
			fprintf(out, "not predicted: line %d (%s): %s\n",
				v->rows[i].line, v->rows[i].label,
				v->rows[i].skipped);
	fprintf(out, "rows: %d predicted, %d not predicted (%s)\n",
		v->n_predicted, v->n_skipped, v->unit);
	if (v->n_predicted)
		fprintf(out, "median |error| %.1f%%  worst |error| %.1f%%\n",
			100 * v->median_abs, 100 * v->worst_abs);
}

void wval_release(struct wval *v)
{
	free(v->rows);
	memset(v, 0, sizeof(*v));
}
