/* stat_field.c: records written and read from their field tables
 * (stat_field.h). */
#include <math.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ground/mem.h"
#include "ground/stat_field.h"

#define AT(rec, f, T) ((T *)((char *)(rec) + (f)->offset))
#define CAT(rec, f, T) ((const T *)((const char *)(rec) + (f)->offset))

static json_t *field_json(const struct stat_field *f, const void *rec,
			  const void *ctx)
{
	switch (f->type) {
	case SF_STR: return ws_json_str(*CAT(rec, f, char *));
	case SF_INT: return ws_json_int(*CAT(rec, f, int));
	case SF_I32: return ws_json_int(*CAT(rec, f, int32_t));
	case SF_I64: return ws_json_int(*CAT(rec, f, int64_t));
	case SF_U64: return ws_json_int((int64_t)*CAT(rec, f, uint64_t));
	case SF_REAL:
	case SF_COUNT: return ws_json_real(*CAT(rec, f, double));
	case SF_I32X4: {
		const int32_t *v = CAT(rec, f, int32_t);
		const int64_t w[4] = {v[0], v[1], v[2], v[3]};
		return ws_json_ints(w, 4);
	}
	case SF_U64X4: {
		const uint64_t *v = CAT(rec, f, uint64_t);
		const int64_t w[4] = {(int64_t)v[0], (int64_t)v[1],
				      (int64_t)v[2], (int64_t)v[3]};
		return ws_json_ints(w, 4);
	}
	case SF_FN: return f->fn(rec, ctx);
	}
	return json_null();
}

json_t *sf_json(const struct stat_field *f, size_t n, const void *rec,
		const void *ctx)
{
	json_t *o = ws_json_obj();
	for (size_t i = 0; i < n; i++)
		ws_json_set(o, f[i].name, field_json(&f[i], rec, ctx));
	return o;
}

/* Four numbers into v (doubles), 1 if v is an array of exactly four. */
static int four(const json_t *v, double out[4])
{
	if (!json_is_array(v) || json_array_size(v) != 4)
		return 0;
	for (size_t k = 0; k < 4; k++) {
		if (!json_is_number(json_array_get(v, k)))
			return 0;
		out[k] = json_number_value(json_array_get(v, k));
	}
	return 1;
}

/* An integer field's value must be one its type holds (a conversion out
 * of range is undefined behaviour); reals take any number. */
static int in_range(int type, double x)
{
	switch (type) {
	case SF_INT:
	case SF_I32: return x >= INT32_MIN && x <= INT32_MAX;
	case SF_I64: return x >= -0x1p63 && x < 0x1p63;
	case SF_U64: return x >= 0 && x < 0x1p64;
	default: return 1;
	}
}

static int load_one(const struct stat_field *f, const json_t *v, void *rec)
{
	double q[4];
	if (f->type == SF_STR) {
		if (!json_is_string(v))
			return 0;
		*AT(rec, f, char *) = xstrdup(json_string_value(v));
		return 1;
	}
	if (f->type == SF_I32X4 || f->type == SF_U64X4) {
		if (!four(v, q))
			return 0;
		for (int k = 0; k < 4; k++) {
			if (!in_range(f->type == SF_I32X4 ? SF_I32 : SF_U64,
				      q[k]) ||
			    q[k] != floor(q[k]))
				return 0;
			if (f->type == SF_I32X4)
				AT(rec, f, int32_t)[k] = (int32_t)q[k];
			else
				AT(rec, f, uint64_t)[k] = (uint64_t)q[k];
		}
		return 1;
	}
	if (!json_is_number(v))
		return 0;
	double x = json_number_value(v);
	if (!in_range(f->type, x))
		return 0;
	/* integers are whole: 16.5 PEs is not 16 */
	if (f->type != SF_REAL && f->type != SF_COUNT && x != floor(x))
		return 0;
	switch (f->type) {
	case SF_INT: *AT(rec, f, int) = (int)x; break;
	case SF_I32: *AT(rec, f, int32_t) = (int32_t)x; break;
	case SF_I64: *AT(rec, f, int64_t) = (int64_t)x; break;
	case SF_U64: *AT(rec, f, uint64_t) = (uint64_t)x; break;
	default: *AT(rec, f, double) = x; break;
	}
	return 1;
}

int sf_load(const struct stat_field *f, size_t n, const json_t *obj,
	    void *rec, const char *what, const char *where, const char *file,
	    struct diag *d)
{
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		if (f[i].type == SF_FN)
			continue;
		const json_t *v = json_object_get(obj, f[i].name);
		if (load_one(&f[i], v, rec))
			continue;
		if (!v && f[i].optional) {
			if (f[i].type == SF_STR)
				*AT(rec, &f[i], char *) = xstrdup("");
			continue;
		}
		const char *want = f[i].type == SF_STR ? "a string"
				   : f[i].type == SF_I32X4 ||
						   f[i].type == SF_U64X4
					   ? "4 numbers"
					   : "a number";
		diag_add(d, file, 0, 0, "%s: '%s%s%s' must be %s, got %s",
			 what, where, *where ? "." : "", f[i].name, want,
			 ws_json_kind(v));
		if (f[i].type == SF_STR)
			*AT(rec, &f[i], char *) = xstrdup("");
		bad++;
	}
	return bad;
}

void sf_release(const struct stat_field *f, size_t n, void *rec)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].type == SF_STR) {
			free(*AT(rec, &f[i], char *));
			*AT(rec, &f[i], char *) = NULL;
		}
}

void sf_csv_str(FILE *out, const char *s)
{
	s = s ? s : "";
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s == '\n' || *s == '\r' ? ' ' : *s, out);
	}
	fputc('"', out);
}

void sf_csv_header(FILE *out, const struct stat_field *f, const int *cols,
		   size_t n_cols)
{
	for (size_t i = 0; i < n_cols; i++) {
		const struct stat_field *c = &f[cols[i]];
		fprintf(out, "%s%s", i ? "," : "", c->csv ? c->csv : c->name);
	}
}

void sf_csv_row(FILE *out, const struct stat_field *f, const int *cols,
		size_t n_cols, const void *rec)
{
	for (size_t i = 0; i < n_cols; i++) {
		const struct stat_field *c = &f[cols[i]];
		if (i)
			fputc(',', out);
		switch (c->type) {
		case SF_STR: sf_csv_str(out, *CAT(rec, c, char *)); break;
		case SF_INT: fprintf(out, "%d", *CAT(rec, c, int)); break;
		case SF_I32:
			fprintf(out, "%" PRId32, *CAT(rec, c, int32_t));
			break;
		case SF_I64:
			fprintf(out, "%" PRId64, *CAT(rec, c, int64_t));
			break;
		case SF_U64:
			fprintf(out, "%" PRIu64, *CAT(rec, c, uint64_t));
			break;
		case SF_REAL: fprintf(out, "%.6g", *CAT(rec, c, double)); break;
		case SF_COUNT: fprintf(out, "%.0f", *CAT(rec, c, double)); break;
		default: break; /* arrays and computed values: not in CSV */
		}
	}
}
