/*
 * json_io.c: jansson with the house's number rule, dump flags and located
 * errors (json_io.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ground/json_io.h"
#include "ground/mem.h"
#include "ground/util.h"

/* jansson returns NULL only when allocation fails (or for bad input we
 * never give it): treat as ground/mem.h does. */
static json_t *must(json_t *v)
{
	if (!v) {
		fputs("wafersim: out of memory (JSON)\n", stderr);
		abort();
	}
	return v;
}

json_t *ws_json_obj(void)
{
	return must(json_object());
}

json_t *ws_json_arr(void)
{
	return must(json_array());
}

json_t *ws_json_real(double v)
{
	return must(isfinite(v) ? json_real(v) : json_null());
}

json_t *ws_json_int(int64_t v)
{
	return must(json_integer((json_int_t)v));
}

json_t *ws_json_str(const char *s)
{
	json_t *v = json_string(s ? s : "");
	if (v)
		return v;
	/* not UTF-8 (a name from a binary file): bytes above 127 as '?' */
	char *t = xstrdup(s);
	for (char *c = t; *c; c++)
		if ((unsigned char)*c > 127)
			*c = '?';
	v = must(json_string(t));
	free(t);
	return v;
}

json_t *ws_json_set(json_t *obj, const char *key, json_t *v)
{
	if (json_object_set_new_nocheck(obj, key, v))
		must(NULL);
	return obj;
}

json_t *ws_json_push(json_t *arr, json_t *v)
{
	if (json_array_append_new(arr, v))
		must(NULL);
	return arr;
}

void ws_json_set_real(json_t *obj, const char *key, double v)
{
	ws_json_set(obj, key, ws_json_real(v));
}

void ws_json_set_int(json_t *obj, const char *key, int64_t v)
{
	ws_json_set(obj, key, ws_json_int(v));
}

void ws_json_set_str(json_t *obj, const char *key, const char *s)
{
	ws_json_set(obj, key, ws_json_str(s));
}

json_t *ws_json_reals(const double *v, size_t n)
{
	json_t *a = ws_json_arr();
	for (size_t i = 0; i < n; i++)
		ws_json_push(a, ws_json_real(v[i]));
	return a;
}

json_t *ws_json_ints(const int64_t *v, size_t n)
{
	json_t *a = ws_json_arr();
	for (size_t i = 0; i < n; i++)
		ws_json_push(a, ws_json_int(v[i]));
	return a;
}

int ws_json_write(FILE *out, json_t *v, size_t flags)
{
	int rc = json_dumpf(v, out, flags | JSON_ENCODE_ANY);
	json_decref(v);
	if (rc || fputc('\n', out) == EOF)
		return WS_EIO;
	return WS_OK;
}

json_t *ws_json_parse(const char *text, size_t len, const char *file,
		      int first_line, struct diag *d)
{
	json_error_t e;
	json_t *v = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
			       &e);
	if (!v) {
		/* a byte jansson cannot decode (UTF-16, invalid UTF-8) comes
		 * without a column: counted back from its offset */
		int col = e.column;
		if (col <= 0 && e.position > 0 && (size_t)e.position <= len) {
			size_t at = (size_t)e.position, from = at;
			while (from > 0 && text[from - 1] != '\n')
				from--;
			col = at - from < INT32_MAX ? (int)(at - from) : 0;
		}
		diag_add(d, file, e.line > 0 ? first_line + e.line - 1 : 0,
			 col > 0 ? col : 1, "json: %s", e.text);
	}
	return v;
}

json_t *ws_json_read_file(const char *path, struct diag *d)
{
	char *text;
	size_t len;
	if (read_file(path, &text, &len, d))
		return NULL;
	json_t *v = ws_json_parse(text, len, path, 1, d);
	free(text);
	return v;
}

json_t *ws_json_at(const json_t *v, const char *path)
{
	char part[128];
	json_t *x = (json_t *)v;
	while (x && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof(part))
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		x = json_object_get(x, part);
		path += n + (dot != NULL);
	}
	return x;
}

int ws_json_num_at(const json_t *v, const char *path, double *out)
{
	json_t *x = ws_json_at(v, path);
	if (!json_is_number(x))
		return 0;
	*out = json_number_value(x);
	return 1;
}

const char *ws_json_str_at(const json_t *v, const char *path)
{
	return json_string_value(ws_json_at(v, path));
}

const char *ws_json_kind(const json_t *v)
{
	if (!v)
		return "nothing";
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER:
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}
