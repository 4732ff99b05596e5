/*
 * checked.h: size arithmetic on values that come from input files, and
 * memory budgets.
 *
 * Every element count, byte count, FLOP count, cycle count or memory figure
 * computed from input values goes through ck_mul / ck_add / ck_prod: a
 * result outside [-CK_LIMIT, CK_LIMIT] is an input error naming the subject
 * (the layer, the machine key) and the quantity, recorded once in the
 * context's struct diag, and the value saturates at CK_LIMIT so that later
 * arithmetic on it stays defined.  The caller checks ck.failed (or the
 * diag) when it is done with the subject:
 *
 *     struct ck ck;
 *     ck_init(&ck, d, file, "layer 'conv1'");
 *     int64_t macs = ck_prod(&ck, "forward FLOPs", k, 3);
 *     macs = ck_mul(&ck, "forward FLOPs", macs, out_elems);
 *     if (ck.failed) return WS_EINPUT;
 *
 * Memory budgets: before allocating a model whose size follows from input
 * values (fabric buffers, per-PE state, traces), estimate the bytes and call
 * mem_budget_check(); it refuses with a message stating the estimate and
 * the limit.  The default limit is a fraction of physical RAM
 * (mem_budget_default); commands take --max-memory to change it.
 *
 * Layer 0 (ground/): includes only ground/diag.h.
 */
#ifndef WAFERSIM_CHECKED_H
#define WAFERSIM_CHECKED_H

#include <stdint.h>

#include "ground/diag.h"

/* Largest size, count or amount of work the model accepts: 2^53, the
 * largest integer a double holds exactly [D] (reports and JSON print
 * figures as doubles; above it they would no longer be exact). */
#define CK_LIMIT (INT64_C(1) << 53)

/* Largest figure for a whole batch (FLOPs per batch, a training step's
 * memory, activations of every sample in flight): 2^62, what an int64
 * holds with room for the sum of two [D].  A per-sample figure below
 * CK_LIMIT times a batch may pass 2^53 legitimately (GPT-J 6B at batch
 * 120 trains 1.05 x 2^53 FLOPs a step); reports print such figures as
 * doubles, rounded to 16 digits. */
#define CK_BATCH_LIMIT (INT64_C(1) << 62)

struct ck {
	struct diag *d;      /* where the first overflow is reported */
	const char *file;    /* location of the subject (may be NULL) */
	int line, col;	     /* 0 when unknown */
	const char *subject; /* "layer 'conv1'", "machine 'wse2'" */
	int failed;	     /* set by the first overflow */
	int64_t limit;	     /* CK_LIMIT (ck_init) or CK_BATCH_LIMIT */
};

void ck_init(struct ck *c, struct diag *d, const char *file,
	     const char *subject);
/* The same for figures of a whole batch: the limit is CK_BATCH_LIMIT. */
void ck_init_batch(struct ck *c, struct diag *d, const char *file,
		   const char *subject);

/* a * b, a + b, the product of v[0..n-1]: exact when the result lies in
 * [-limit, limit]; otherwise an error "<subject>: <quantity> must be at
 * most 9007199254740992 (2^53), got a x b" (first one only) and the result
 * is the limit. */
int64_t ck_mul(struct ck *c, const char *quantity, int64_t a, int64_t b);
int64_t ck_add(struct ck *c, const char *quantity, int64_t a, int64_t b);
int64_t ck_prod(struct ck *c, const char *quantity, const int64_t *v, int n);

/* The same rules without a context: 1 if a*b (a+b) lies within the limit,
 * with the result in *out; 0 otherwise (*out = CK_LIMIT). */
int ck_mul_ok(int64_t a, int64_t b, int64_t *out);
int ck_add_ok(int64_t a, int64_t b, int64_t *out);

/* Saturating forms for pure functions that cannot report (per-op rules):
 * the exact result within [-CK_LIMIT, CK_LIMIT], CK_LIMIT otherwise (and
 * CK_LIMIT stays CK_LIMIT through later products and sums of positive
 * sizes).  The caller then refuses any figure that reached CK_LIMIT
 * (ck_saturated), naming the subject and quantity. */
int64_t ck_smul(int64_t a, int64_t b);
int64_t ck_sadd(int64_t a, int64_t b);
int64_t ck_sprod(const int64_t *v, int n);
/* a * b and a + b saturating at CK_BATCH_LIMIT (figures of a batch). */
int64_t ck_smul_batch(int64_t a, int64_t b);
int64_t ck_sadd_batch(int64_t a, int64_t b);
static inline int ck_saturated(int64_t v)
{
	return v >= CK_LIMIT || v <= -CK_LIMIT;
}

/* Physical RAM in bytes (0 if unknown). */
int64_t mem_physical_bytes(void);

/* Default memory budget: MEM_BUDGET_SHARE of physical RAM, or
 * MEM_BUDGET_FALLBACK when RAM cannot be read. */
#define MEM_BUDGET_SHARE 0.5 /* [U] leave half for the OS and other jobs */
#define MEM_BUDGET_FALLBACK (INT64_C(4) << 30)
int64_t mem_budget_default(void);

/* 0 if `estimate_bytes` fits in `limit_bytes` (limit <= 0: the default);
 * otherwise WS_EINPUT and "<what>: needs about 12.3 GB of memory, more
 * than the limit of 8.59 GB (--max-memory)", or with the default "(the
 * default: half of the 24.6 GB of physical RAM; --max-memory to
 * change)". */
int mem_budget_check(const char *what, double estimate_bytes,
		     int64_t limit_bytes, struct diag *d);

/* Parse a size with an optional binary suffix (K, M, G, T; "512M",
 * "8G", "1000000").  0 and *bytes, or -1 if the text is not a positive
 * size within CK_LIMIT. */
int mem_parse_size(const char *text, int64_t *bytes);

#endif
