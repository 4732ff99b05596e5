/*
 * diag.h: collected diagnostics for bad input.
 *
 * A parse or validation pass records every problem it finds in a caller-owned
 * struct diag and keeps going; the caller checks diag_count() at the end and
 * prints them all.  This is the house's error kind (1): bad input or
 * environment, returned with a message.  Broken invariants assert instead.
 *
 * Message shape (lowercase, subject quoted, location last):
 *     machine: 'fabric.width' must be in [1, 4096], got 0 (wse2.yaml:12:5)
 *
 * Lines and columns are 1-based, as editors show them.  A location with
 * line 0 is printed as just the file name; a NULL file prints no location.
 */
#ifndef WAFERSIM_DIAG_H
#define WAFERSIM_DIAG_H

#include <stddef.h>
#include <stdio.h>

/* Return codes of fallible functions. */
enum {
	WS_OK = 0,
	WS_EINPUT = -1, /* bad input: details in the struct diag */
	WS_ENOMEM = -2, /* allocation failed */
	WS_EIO = -3,    /* file could not be opened, read or written */
	WS_EUSAGE = -4, /* bad command-line usage */
};

#define DIAG_MAX_KEPT 200 /* messages kept; later ones only counted */

struct diag_msg {
	char *text; /* full formatted message, location included */
	char *file; /* may be NULL */
	int line, col;
};

struct diag {
	struct diag_msg *msgs;
	size_t n, cap;
	size_t dropped; /* errors beyond DIAG_MAX_KEPT */
};

void diag_init(struct diag *d);
void diag_release(struct diag *d);
/* Forget all messages, keep the storage. */
void diag_clear(struct diag *d);

/*
 * Record an error.  `file` may be NULL; `line`/`col` are 1-based (0 = unknown).
 * The message is formatted from `fmt`, then " (file:line:col)" is appended.
 */
void diag_add(struct diag *d, const char *file, int line, int col,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Number of errors recorded (kept + dropped). */
size_t diag_count(const struct diag *d);

/* Print every message, one per line, prefixed with "error: ". */
void diag_print(const struct diag *d, FILE *out);

/* Text of message i (0-based), or NULL. */
const char *diag_text(const struct diag *d, size_t i);

/* True if any recorded message contains `needle` (used by tests). */
int diag_contains(const struct diag *d, const char *needle);

#endif
