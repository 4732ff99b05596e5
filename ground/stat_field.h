/*
 * stat_field.h: statistics records described once, as cfg.h describes
 * configuration: one table of fields per record (a stage, a route) with
 * name, unit, one-line doc, offset into the struct and type.  The same
 * table drives the JSON writer, the CSV writers (a column list picks and
 * orders fields by index) and the JSON loader, so a field's name is
 * spelled in one place.
 *
 * Types: integers of the struct's width, doubles (SF_REAL; SF_COUNT is a
 * double holding a whole count, written to CSV without decimals), strings
 * (char *, owned by the record when loaded), four int32 or uint64 in a row
 * (written as one array), and computed values (SF_FN: written from
 * fn(rec, ctx), skipped by the loader and by CSV).
 */
#ifndef WAFERSIM_STAT_FIELD_H
#define WAFERSIM_STAT_FIELD_H

#include <stddef.h>
#include <stdio.h>

#include "ground/diag.h"
#include "ground/json_io.h"

enum sf_type {
	SF_STR = 0, /* char * */
	SF_INT,	    /* int */
	SF_I32,	    /* int32_t */
	SF_I64,	    /* int64_t */
	SF_U64,	    /* uint64_t (cycles_t) */
	SF_REAL,    /* double */
	SF_COUNT,   /* double holding a whole count */
	SF_I32X4,   /* int32_t[4] (a rectangle x, y, w, h) */
	SF_U64X4,   /* uint64_t[4] */
	SF_FN,	    /* computed: fn(rec, ctx) when written */
};

struct stat_field {
	const char *name;
	const char *unit; /* "cycles", "bytes", "PEs", "" */
	const char *doc;
	size_t offset;
	enum sf_type type;
	json_t *(*fn)(const void *rec, const void *ctx); /* SF_FN */
	const char *csv;  /* CSV column name if not `name` */
	int optional;	  /* may be absent when loaded (then zero, or "") */
};

/* The record as a JSON object: every field, in table order. */
json_t *sf_json(const struct stat_field *f, size_t n, const void *rec,
		const void *ctx);

/*
 * Fill rec from obj: every field but SF_FN must be there with its type.
 * Mismatches are reported as "what: 'where.name' must be a number, got
 * a string (file)" and counted; the field is left zero.  Returns the
 * number of errors.
 */
int sf_load(const struct stat_field *f, size_t n, const json_t *obj,
	    void *rec, const char *what, const char *where, const char *file,
	    struct diag *d);

/* Free the strings a loaded record owns. */
void sf_release(const struct stat_field *f, size_t n, void *rec);

/* CSV: the header and one row of the columns cols[0..n_cols), comma
 * separated, no newline (the caller may add columns, then ends the line). */
void sf_csv_header(FILE *out, const struct stat_field *f, const int *cols,
		   size_t n_cols);
void sf_csv_row(FILE *out, const struct stat_field *f, const int *cols,
		size_t n_cols, const void *rec);
/* A CSV string field: quoted if it holds a comma, quote or line break
 * (a line break written as a space: one record per line). */
void sf_csv_str(FILE *out, const char *s);

#endif
