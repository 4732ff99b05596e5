/* event.c: binary-heap event queue with a FIFO for the current time.
 * See event.h. */
#include "ground/event.h"

#include <stdlib.h>
#include <string.h>

void event_queue_init(struct event_queue *q)
{
	q->heap = NULL;
	q->n = q->cap = 0;
	q->now = NULL;
	q->now_head = q->now_tail = q->now_cap = 0;
	q->last = 0;
	q->next_seq = 0;
	q->pushed = 0;
}

void event_queue_release(struct event_queue *q)
{
	free(q->heap);
	free(q->now);
	event_queue_init(q);
}

/* a fires before b */
static inline int ev_before(const struct event *a, const struct event *b)
{
	if (a->time != b->time)
		return a->time < b->time;
	return a->seq < b->seq;
}

/* Put e in the hole at h[i], moving it up past the later parents. */
static void sift_up(struct event *h, size_t i, const struct event *e)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!ev_before(e, &h[parent]))
			break;
		h[i] = h[parent];
		i = parent;
	}
	h[i] = *e;
}

/* Append e to the FIFO, sliding it to the front of its array or growing
 * the array when the tail is at the end. */
static void now_append(struct event_queue *q, const struct event *e)
{
	if (q->now_tail == q->now_cap) {
		size_t k = q->now_tail - q->now_head;
		if (q->now_head > 0 && k < q->now_cap / 2) {
			memmove(q->now, q->now + q->now_head,
				k * sizeof(*q->now));
		} else {
			q->now_cap = q->now_cap ? 2 * q->now_cap : 64;
			struct event *a = xmalloc(q->now_cap * sizeof(*a));
			if (k)
				memcpy(a, q->now + q->now_head, k * sizeof(*a));
			free(q->now);
			q->now = a;
		}
		q->now_head = 0;
		q->now_tail = k;
	}
	q->now[q->now_tail++] = *e;
}

void event_push(struct event_queue *q, cycles_t time, uint32_t kind,
		uint32_t a, uint64_t b)
{
	struct event e = {time, q->next_seq++, kind, a, b};
	q->pushed++;
	/* the FIFO stays sorted: one time, rising sequence numbers */
	if (q->now_head == q->now_tail ? time == q->last
				       : time == q->now[q->now_head].time) {
		now_append(q, &e);
		return;
	}
	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 64;
		q->heap = xrealloc(q->heap, q->cap * sizeof(*q->heap));
	}
	sift_up(q->heap, q->n++, &e);
}

/* Remove heap[0]: the hole goes down along the earlier children to a
 * leaf, then the last event climbs from there (it belonged near the
 * bottom, so it climbs little: about one comparison per level instead
 * of two). */
static void heap_pop(struct event_queue *q, struct event *out)
{
	*out = q->heap[0];
	size_t n = --q->n;
	if (n == 0)
		return;
	struct event last = q->heap[n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && ev_before(&q->heap[c + 1], &q->heap[c]))
			c++;
		q->heap[i] = q->heap[c];
		i = c;
	}
	sift_up(q->heap, i, &last);
}

int event_pop(struct event_queue *q, struct event *out)
{
	if (q->now_head < q->now_tail &&
	    (q->n == 0 || ev_before(&q->now[q->now_head], &q->heap[0]))) {
		*out = q->now[q->now_head++];
		if (q->now_head == q->now_tail)
			q->now_head = q->now_tail = 0;
	} else if (q->n > 0) {
		heap_pop(q, out);
	} else {
		return 0;
	}
	q->last = out->time;
	return 1;
}
