/* checked.c: checked size arithmetic and memory budgets. See checked.h. */
#include "ground/checked.h"

#include <stdio.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

void ck_init(struct ck *c, struct diag *d, const char *file,
	     const char *subject)
{
	c->d = d;
	c->file = file;
	c->line = c->col = 0;
	c->subject = subject;
	c->failed = 0;
	c->limit = CK_LIMIT;
}

void ck_init_batch(struct ck *c, struct diag *d, const char *file,
		   const char *subject)
{
	ck_init(c, d, file, subject);
	c->limit = CK_BATCH_LIMIT;
}

/* a * b (a + b) within [-limit, limit]: 1 and *out; else 0, *out = limit */
static int mul_within(int64_t a, int64_t b, int64_t limit, int64_t *out)
{
	int64_t r;
	if (__builtin_mul_overflow(a, b, &r) || r > limit || r < -limit) {
		*out = limit;
		return 0;
	}
	*out = r;
	return 1;
}

static int add_within(int64_t a, int64_t b, int64_t limit, int64_t *out)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r) || r > limit || r < -limit) {
		*out = limit;
		return 0;
	}
	*out = r;
	return 1;
}

int ck_mul_ok(int64_t a, int64_t b, int64_t *out)
{
	return mul_within(a, b, CK_LIMIT, out);
}

int ck_add_ok(int64_t a, int64_t b, int64_t *out)
{
	return add_within(a, b, CK_LIMIT, out);
}

int64_t ck_smul(int64_t a, int64_t b)
{
	int64_t r;
	ck_mul_ok(a, b, &r);
	return r;
}

int64_t ck_sadd(int64_t a, int64_t b)
{
	int64_t r;
	ck_add_ok(a, b, &r);
	return r;
}

int64_t ck_smul_batch(int64_t a, int64_t b)
{
	int64_t r;
	mul_within(a, b, CK_BATCH_LIMIT, &r);
	return r;
}

int64_t ck_sadd_batch(int64_t a, int64_t b)
{
	int64_t r;
	add_within(a, b, CK_BATCH_LIMIT, &r);
	return r;
}

int64_t ck_sprod(const int64_t *v, int n)
{
	int64_t p = 1;
	for (int i = 0; i < n; i++)
		p = ck_smul(p, v[i]);
	return p;
}

static void ck_fail(struct ck *c, const char *quantity, int64_t a,
		    const char *op, int64_t b)
{
	if (!c->failed && c->d)
		diag_add(c->d, c->file, c->line, c->col,
			 "%s: %s must be at most %lld (2^%d), got %lld %s "
			 "%lld",
			 c->subject ? c->subject : "input", quantity,
			 (long long)c->limit, __builtin_ctzll((uint64_t)c->limit),
			 (long long)a, op, (long long)b);
	c->failed = 1;
}

int64_t ck_mul(struct ck *c, const char *quantity, int64_t a, int64_t b)
{
	int64_t r;
	if (!mul_within(a, b, c->limit, &r))
		ck_fail(c, quantity, a, "x", b);
	return r;
}

int64_t ck_add(struct ck *c, const char *quantity, int64_t a, int64_t b)
{
	int64_t r;
	if (!add_within(a, b, c->limit, &r))
		ck_fail(c, quantity, a, "+", b);
	return r;
}

int64_t ck_prod(struct ck *c, const char *quantity, const int64_t *v, int n)
{
	int64_t p = 1;
	for (int i = 0; i < n; i++)
		p = ck_mul(c, quantity, p, v[i]);
	return p;
}

int64_t mem_physical_bytes(void)
{
	long pages = sysconf(_SC_PHYS_PAGES);
	long page = sysconf(_SC_PAGESIZE);
	if (pages <= 0 || page <= 0)
		return 0;
	return (int64_t)pages * (int64_t)page;
}

int64_t mem_budget_default(void)
{
	int64_t ram = mem_physical_bytes();
	return ram > 0 ? (int64_t)((double)ram * MEM_BUDGET_SHARE)
		       : MEM_BUDGET_FALLBACK;
}

/* Bytes as "512 MB", "1.24 TB", "3 kB": decimal units, 3 digits. */
static const char *fmt_bytes(char *buf, size_t n, double b)
{
	static const char *const unit[] = {"bytes", "kB", "MB", "GB", "TB",
					   "PB", "EB"};
	int u = 0;
	while (b >= 999.5 && u < 6) {
		b /= 1000;
		u++;
	}
	snprintf(buf, n, "%.3g %s", b, unit[u]);
	return buf;
}

int mem_budget_check(const char *what, double estimate_bytes,
		     int64_t limit_bytes, struct diag *d)
{
	int dflt = limit_bytes <= 0;
	if (dflt)
		limit_bytes = mem_budget_default();
	if (estimate_bytes <= (double)limit_bytes)
		return WS_OK;
	char e[32], l[32], r[32], why[128];
	int64_t ram = mem_physical_bytes();
	if (!dflt)
		snprintf(why, sizeof(why), "--max-memory");
	else if (ram > 0)
		snprintf(why, sizeof(why),
			 "the default: half of the %s of physical RAM; "
			 "--max-memory to change",
			 fmt_bytes(r, sizeof(r), (double)ram));
	else
		snprintf(why, sizeof(why),
			 "the default when the RAM is unknown; --max-memory "
			 "to change");
	diag_add(d, NULL, 0, 0,
		 "%s: needs about %s of memory, more than the limit of %s "
		 "(%s)",
		 what, fmt_bytes(e, sizeof(e), estimate_bytes),
		 fmt_bytes(l, sizeof(l), (double)limit_bytes), why);
	return WS_EINPUT;
}

int mem_parse_size(const char *text, int64_t *bytes)
{
	if (!text || !isdigit((unsigned char)*text))
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno || v <= 0)
		return -1;
	int shift = 0;
	switch (*end) {
	case 'K': case 'k': shift = 10; break;
	case 'M': case 'm': shift = 20; break;
	case 'G': case 'g': shift = 30; break;
	case 'T': case 't': shift = 40; break;
	case '\0': break;
	default: return -1;
	}
	if (shift && end[1] && !(end[1] == 'B' && !end[2]))
		return -1;
	int64_t r;
	if (!ck_mul_ok(v, INT64_C(1) << shift, &r))
		return -1;
	*bytes = r;
	return 0;
}
