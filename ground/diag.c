/* diag.c: collected diagnostics. See diag.h. */
#include "ground/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ground/mem.h"

void diag_init(struct diag *d)
{
	memset(d, 0, sizeof(*d));
}

void diag_clear(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->msgs[i].text);
		free(d->msgs[i].file);
	}
	d->n = 0;
	d->dropped = 0;
}

void diag_release(struct diag *d)
{
	diag_clear(d);
	free(d->msgs);
	memset(d, 0, sizeof(*d));
}

void diag_add(struct diag *d, const char *file, int line, int col,
	      const char *fmt, ...)
{
	if (d->n >= DIAG_MAX_KEPT) {
		d->dropped++;
		return;
	}
	char body[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);

	char loc[600] = "";
	if (file && line > 0 && col > 0)
		snprintf(loc, sizeof(loc), " (%s:%d:%d)", file, line, col);
	else if (file && line > 0)
		snprintf(loc, sizeof(loc), " (%s:%d)", file, line);
	else if (file)
		snprintf(loc, sizeof(loc), " (%s)", file);

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		d->msgs = xrealloc(d->msgs, cap * sizeof(*d->msgs));
		d->cap = cap;
	}
	struct diag_msg *m = &d->msgs[d->n++];
	m->text = xasprintf("%s%s", body, loc);
	m->file = file ? xstrdup(file) : NULL;
	m->line = line;
	m->col = col;
}

size_t diag_count(const struct diag *d)
{
	return d->n + d->dropped;
}

void diag_print(const struct diag *d, FILE *out)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(out, "error: %s\n", d->msgs[i].text);
	if (d->dropped)
		fprintf(out, "error: ... and %zu more errors\n", d->dropped);
}

const char *diag_text(const struct diag *d, size_t i)
{
	return i < d->n ? d->msgs[i].text : NULL;
}

int diag_contains(const struct diag *d, const char *needle)
{
	for (size_t i = 0; i < d->n; i++)
		if (strstr(d->msgs[i].text, needle))
			return 1;
	return 0;
}
