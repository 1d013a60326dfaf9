/* SPDX-License-Identifier: GPL-2.0-only */
/* The most recent events, in memory, for readers that come and go (the JSON
 * API, a streaming client): a fixed-capacity ring where the newest event
 * replaces the oldest. Every event gets a sequence number, 1 for the first
 * and one more for each, so a reader asks for "what came after N" and can
 * tell from the numbers whether it missed some. Thread-safe: one or more
 * writers, any number of readers. */
#ifndef CGSCOPE_EVENT_RING_H
#define CGSCOPE_EVENT_RING_H

#include <stddef.h>
#include <stdint.h>

#include "bpf/events.h"

struct event_ring;

struct event_ring_entry {
	uint64_t seq;
	uint64_t wall_ns;	/* CLOCK_REALTIME of the event, ns since the epoch */
	struct cgscope_event ev;
};

/* -EINVAL for a capacity of 0, -ENOMEM. */
int event_ring_new(size_t capacity, struct event_ring **ret);
/* No reader or writer may be using it any more. NULL is fine. */
void event_ring_free(struct event_ring *r);

/* Copies ev in, with the next sequence number (returned) and its wall-clock
 * time, computed from ev->ts_ns (CLOCK_MONOTONIC, as bpf_ktime_get_ns()
 * gives; records made in userspace set it with clock_gettime too). Waiters
 * see it after the next event_ring_wake. */
uint64_t event_ring_push(struct event_ring *r, const struct cgscope_event *ev);

/* Wakes the waiters for what was pushed since the last wake. Once per batch
 * of pushes, not per event: at 100,000 events a second a wake each is a
 * futex call and a context switch each, which is what made the BPF consumer
 * fall behind the kernel's ring buffer. */
void event_ring_wake(struct event_ring *r);

/* Entries with seq > since whose type is in type_mask (CGSCOPE_EV_MASK()
 * bits; 0 = every type), oldest first, at most max of them into ret.
 * Returns how many were written. *ret_next gets the sequence number to pass
 * as `since` next time: the last entry looked at, so entries filtered out
 * are not looked at again. ret_next may be NULL. */
size_t event_ring_read(struct event_ring *r, uint64_t since, uint32_t type_mask, size_t max,
		       struct event_ring_entry *ret, uint64_t *ret_next);

/* The same, and *ret_missed (may be NULL) gets how many events, of any
 * type, came after `since` but were overwritten before this read: a reader
 * that fell behind by more than the capacity loses the oldest, and says so
 * (the SSE stream's gap event). */
size_t event_ring_read_missed(struct event_ring *r, uint64_t since, uint32_t type_mask,
			      size_t max, struct event_ring_entry *ret, uint64_t *ret_next,
			      uint64_t *ret_missed);

/* The sequence numbers held: *ret_first..*ret_last, both 0 while empty.
 * A reader whose `since` is below first - 1 missed first - 1 - since
 * events. Either pointer may be NULL. */
void event_ring_bounds(struct event_ring *r, uint64_t *ret_first, uint64_t *ret_last);

/* Waits until an event with seq > since is there (1), timeout_ms passes
 * (0; -1 waits without limit), or the ring is shut down (-ESHUTDOWN). */
int event_ring_wait(struct event_ring *r, uint64_t since, int timeout_ms);

/* Wakes every waiter for good: event_ring_wait() returns -ESHUTDOWN from
 * now on. Pushing and reading still work. */
void event_ring_shutdown(struct event_ring *r);

size_t event_ring_capacity(const struct event_ring *r);

#endif
