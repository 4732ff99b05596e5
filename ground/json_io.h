/*
 * json_io.h: the house's use of jansson (Debian libjansson-dev), the JSON
 * library every reader and writer of JSON goes through.
 *
 * Writing: build a json_t tree with the constructors below (they never
 * fail: allocation failure aborts, as with ground/mem.h) and write it with
 * ws_json_write.  Numbers: integers as integers; reals with 17 significant
 * digits (jansson's "%.17g" plus ".0" when integral), which always read
 * back to the same double; NaN and infinities, which JSON cannot hold, as
 * null.  Object keys keep the order they were set in (jansson 2.14).
 *
 * Reading: ws_json_parse wraps json_loadb; a syntax error is reported in
 * the house format at jansson's line and column, e.g.
 *     json: '}' expected near 'x' (f.json:3:17)
 * jansson keeps no position for values, so a reader that rejects a value
 * names it by its path ("stages[3].x") beside the file.
 *
 * Ownership: constructors return a new reference; ws_json_set and
 * ws_json_push steal it (json_object_set_new / json_array_append_new).
 * Lookups return borrowed references.
 */
#ifndef WAFERSIM_JSON_IO_H
#define WAFERSIM_JSON_IO_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "ground/diag.h"

/* Dump flags: indented for outputs people read (--json), compact for
 * large files programs read (stats.json, trace events). */
#define WS_JSON_INDENT	(JSON_INDENT(2) | JSON_REAL_PRECISION(17))
#define WS_JSON_COMPACT (JSON_COMPACT | JSON_REAL_PRECISION(17))

/* ---- building ------------------------------------------------------------ */

json_t *ws_json_obj(void);
json_t *ws_json_arr(void);
json_t *ws_json_real(double v); /* NaN, +-inf: null */
json_t *ws_json_int(int64_t v);
json_t *ws_json_str(const char *s); /* NULL: "" */
/* obj[key] = v (v stolen); returns obj. */
json_t *ws_json_set(json_t *obj, const char *key, json_t *v);
/* Append v (stolen) to arr; returns arr. */
json_t *ws_json_push(json_t *arr, json_t *v);
/* Shorthands for the common members. */
void ws_json_set_real(json_t *obj, const char *key, double v);
void ws_json_set_int(json_t *obj, const char *key, int64_t v);
void ws_json_set_str(json_t *obj, const char *key, const char *s);
/* An array of n reals / of n integers. */
json_t *ws_json_reals(const double *v, size_t n);
json_t *ws_json_ints(const int64_t *v, size_t n);

/* ---- writing ------------------------------------------------------------- */

/* Write v with `flags` and a newline, then drop the reference to v.
 * 0, or WS_EIO if the stream failed. */
int ws_json_write(FILE *out, json_t *v, size_t flags);

/* ---- reading ------------------------------------------------------------- */

/*
 * Parse one JSON value from text[0..len); `file` and `first_line` locate
 * messages (first_line: the line number of text[0]).  Returns the value
 * (a new reference) or NULL with one message in d.
 */
json_t *ws_json_parse(const char *text, size_t len, const char *file,
		      int first_line, struct diag *d);
/* The same for a whole file (NULL and a message if it cannot be read). */
json_t *ws_json_read_file(const char *path, struct diag *d);

/* Member at a dotted path ("train.median_ms"), or NULL. */
json_t *ws_json_at(const json_t *v, const char *path);
/* The number at path: 1 and *out set if it is a number, else 0. */
int ws_json_num_at(const json_t *v, const char *path, double *out);
/* The string at path, or NULL if absent or not a string. */
const char *ws_json_str_at(const json_t *v, const char *path);
/* "a number", "a string", ... for messages; "nothing" for NULL. */
const char *ws_json_kind(const json_t *v);

#endif
