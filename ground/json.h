/*
 * json.h: a small JSON reader (RFC 8259) and a JSON-lines file reader.
 *
 * Parses text into a tree of struct json_value (a DOM); every value keeps the
 * line and column where it starts, so a validator can point at it.  Numbers
 * are doubles.  Strings are decoded (escapes, \uXXXX with surrogate pairs, to
 * UTF-8) and NUL-terminated; a string holding \u0000 keeps its full length in
 * `len`.  Duplicate object keys are kept in order; lookups find the first.
 *
 * Accepted beyond RFC 8259, because Python's json module writes them:
 * NaN, Infinity and -Infinity as numbers.  Nothing else: no comments, no
 * trailing commas, no single quotes.  Nesting deeper than JSON_MAX_DEPTH is
 * an error (no unbounded recursion on hostile input).
 *
 * Errors go to a struct diag in the house format, e.g.
 *     json: expected ',' or '}' after an object member, got 'x' (f.jsonl:3:17)
 *
 * Ownership: json_parse fills a caller-owned root; json_release frees all it
 * holds.  Pointers returned by the lookup helpers point into the tree.
 */
#ifndef WAFERSIM_JSON_H
#define WAFERSIM_JSON_H

#include <stddef.h>
#include <stdio.h>

#include "ground/diag.h"

#define JSON_MAX_DEPTH 200

enum json_type { JSON_NULL = 0, JSON_BOOL, JSON_NUMBER, JSON_STRING,
		 JSON_ARRAY, JSON_OBJECT };

struct json_value {
	enum json_type type;
	int line, col;		   /* 1-based, where the value starts */
	int boolean;		   /* JSON_BOOL */
	double num;		   /* JSON_NUMBER */
	char *str;		   /* JSON_STRING: decoded, NUL-terminated */
	size_t len;		   /* JSON_STRING: bytes; ARRAY/OBJECT: items */
	struct json_value *items;  /* ARRAY elements, OBJECT member values */
	char **keys;		   /* OBJECT member names (decoded) */
};

/*
 * Parse exactly one JSON value from text[0..len) (surrounding whitespace
 * allowed).  `file` and `first_line` locate messages (first_line is the line
 * number of text[0], 1 for a whole file).  Returns 0 or WS_EINPUT; on error
 * *out is left empty (JSON_NULL) and one message is in d.
 */
int json_parse(const char *text, size_t len, const char *file, int first_line,
	       struct json_value *out, struct diag *d);

void json_release(struct json_value *v);

/* Member `key` of an object, or NULL (also NULL if obj is not an object). */
const struct json_value *json_get(const struct json_value *obj,
				  const char *key);
/* Follow a dotted path of member names ("train.median_ms"), or NULL. */
const struct json_value *json_path(const struct json_value *v,
				   const char *path);
/* The number at `path`: 1 and *out set if it is a number, else 0. */
int json_number_at(const struct json_value *v, const char *path, double *out);
/* The string at `path`, or NULL if absent or not a string. */
const char *json_string_at(const struct json_value *v, const char *path);

/* A JSON-lines file: one value per non-blank line. */
struct json_lines {
	char *file;
	struct json_value *rows;
	int *line_of;	/* source line of rows[i] */
	size_t n;
};

/*
 * Read a JSON-lines file (blank lines skipped).  Every bad line is reported
 * (file:line:col), not just the first; on any error returns WS_EINPUT and
 * keeps no rows.  WS_EIO if the file cannot be read.
 */
int json_lines_read(const char *path, struct json_lines *jl, struct diag *d);
/* Same, from text in memory; `file` names it in messages. */
int json_lines_parse(const char *file, const char *text, size_t len,
		     struct json_lines *jl, struct diag *d);
void json_lines_release(struct json_lines *jl);

/* ---- writing ------------------------------------------------------------ */

/* Write `s` as a JSON string literal (quotes and escapes); NULL writes "". */
void json_write_str(FILE *out, const char *s);
/* Write a number exactly (shortest form that reads back the same double);
 * NaN and infinities, which JSON cannot hold, are written as null. */
void json_write_num(FILE *out, double v);

#endif
