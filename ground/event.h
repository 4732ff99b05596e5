/*
 * event.h: the engine's event queue, a binary min-heap of timed events.
 *
 * Order is total and deterministic: by time, then by the order in which the
 * events were pushed (a sequence number), so two runs of the same
 * simulation pop the same events in the same order whatever the heap's
 * internal layout.  The queue knows nothing about what events mean: `kind`,
 * `a` and `b` are the owner's to interpret.
 *
 * Two parts, one order: a binary heap, and a FIFO of events pushed for the
 * time of the last event popped (a simulator's "try again now", a good
 * share of its events).  The FIFO's events all have one time and rising
 * sequence numbers, so it is sorted, and a pop takes the earlier of its
 * head and the heap's top: the same event the heap alone would give,
 * without a sift either way.
 *
 *     heap[0] is the earliest; heap[i]'s children are heap[2i+1], heap[2i+2]
 *     now[now_head .. now_tail): FIFO, all of time now[now_head].time
 */
#ifndef WAFERSIM_EVENT_H
#define WAFERSIM_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "ground/util.h"

struct event {
	cycles_t time;	/* when it fires */
	uint64_t seq;	/* push order: breaks ties between equal times */
	uint32_t kind;	/* owner-defined */
	uint32_t a;	/* owner-defined (e.g. a stage id) */
	uint64_t b;	/* owner-defined (e.g. a sample number) */
};

struct event_queue {
	struct event *heap;
	size_t n, cap;
	struct event *now;	/* the FIFO (above) */
	size_t now_head, now_tail, now_cap;
	cycles_t last;		/* time of the last event popped */
	uint64_t next_seq;
	uint64_t pushed;	/* events pushed over the queue's life */
};

void event_queue_init(struct event_queue *q);
void event_queue_release(struct event_queue *q);

/* Schedule an event. */
void event_push(struct event_queue *q, cycles_t time, uint32_t kind,
		uint32_t a, uint64_t b);

/* Remove the earliest event into *out; 0 if the queue was empty, else 1. */
int event_pop(struct event_queue *q, struct event *out);

static inline size_t event_queue_len(const struct event_queue *q)
{
	return q->n + (q->now_tail - q->now_head);
}

#endif
