/*
 * mem.h: the allocation wrappers every module uses, at the very bottom of
 * the house (diagnostics are built on them; they use nothing of the
 * project).
 *
 * They abort on out-of-memory with a message (a simulator that cannot get
 * memory for its own state has nothing useful to report), so callers need
 * not check.
 */
#ifndef WAFERSIM_MEM_H
#define WAFERSIM_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
