/* event.c: binary-heap event queue. See event.h. */
#include "ground/event.h"

#include <stdlib.h>

void event_queue_init(struct event_queue *q)
{
	q->heap = NULL;
	q->n = q->cap = 0;
	q->next_seq = 0;
	q->pushed = 0;
}

void event_queue_release(struct event_queue *q)
{
	free(q->heap);
	event_queue_init(q);
}

/* a fires before b */
static int ev_before(const struct event *a, const struct event *b)
{
	if (a->time != b->time)
		return a->time < b->time;
	return a->seq < b->seq;
}

void event_push(struct event_queue *q, cycles_t time, uint32_t kind,
		uint32_t a, uint64_t b)
{
	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 64;
		q->heap = xrealloc(q->heap, q->cap * sizeof(*q->heap));
	}
	struct event e = {time, q->next_seq++, kind, a, b};
	size_t i = q->n++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!ev_before(&e, &q->heap[parent]))
			break;
		q->heap[i] = q->heap[parent];
		i = parent;
	}
	q->heap[i] = e;
	q->pushed++;
}

int event_pop(struct event_queue *q, struct event *out)
{
	if (q->n == 0)
		return 0;
	*out = q->heap[0];
	struct event last = q->heap[--q->n];
	size_t i = 0, n = q->n;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && ev_before(&q->heap[c + 1], &q->heap[c]))
			c++;
		if (!ev_before(&q->heap[c], &last))
			break;
		q->heap[i] = q->heap[c];
		i = c;
	}
	if (n > 0)
		q->heap[i] = last;
	return 1;
}
