// SPDX-License-Identifier: GPL-2.0-only
/* A ring of the most recent events under one mutex; a condition variable
 * (on CLOCK_MONOTONIC, so a clock change does not stretch a wait) wakes
 * streaming readers. Entry seq lives at slot (seq - 1) % capacity, so a read
 * finds its starting point by arithmetic, not by searching. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events/event_ring.h"
#include "lib/clock.h"

struct event_ring {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t capacity;
	uint64_t last;		/* seq of the newest entry, 0 while empty */
	uint64_t woken;		/* last when waiters were last woken */
	unsigned waiters;
	bool shutdown;
	struct event_ring_entry *slots;
};

int event_ring_new(size_t capacity, struct event_ring **ret)
{
	pthread_condattr_t attr;
	struct event_ring *r;

	if (capacity == 0)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->slots = calloc(capacity, sizeof(*r->slots));
	if (!r->slots) {
		free(r);
		return -ENOMEM;
	}
	r->capacity = capacity;
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cond, &attr);
	pthread_condattr_destroy(&attr);
	*ret = r;
	return 0;
}

void event_ring_free(struct event_ring *r)
{
	if (!r)
		return;
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r->slots);
	free(r);
}

uint64_t event_ring_push(struct event_ring *r, const struct cgscope_event *ev)
{
	/* The wall-clock time the event happened: now, minus how long ago it
	 * happened by the monotonic clock. */
	uint64_t mono = clock_ns(CLOCK_MONOTONIC), wall = clock_ns(CLOCK_REALTIME);
	uint64_t age = ev->ts_ns && ev->ts_ns <= mono ? mono - ev->ts_ns : 0;
	struct event_ring_entry *e;
	uint64_t seq;

	pthread_mutex_lock(&r->lock);
	seq = ++r->last;
	e = &r->slots[(seq - 1) % r->capacity];
	e->seq = seq;
	e->wall_ns = wall - age;
	e->ev = *ev;
	pthread_mutex_unlock(&r->lock);
	return seq;
}

void event_ring_wake(struct event_ring *r)
{
	pthread_mutex_lock(&r->lock);
	if (r->waiters && r->woken != r->last)
		pthread_cond_broadcast(&r->cond);
	r->woken = r->last;
	pthread_mutex_unlock(&r->lock);
}

static uint64_t first_locked(const struct event_ring *r)
{
	if (r->last == 0)
		return 0;
	return r->last > r->capacity ? r->last - r->capacity + 1 : 1;
}

size_t event_ring_read(struct event_ring *r, uint64_t since, uint32_t type_mask, size_t max,
		       struct event_ring_entry *ret, uint64_t *ret_next)
{
	return event_ring_read_missed(r, since, type_mask, max, ret, ret_next, NULL);
}

size_t event_ring_read_missed(struct event_ring *r, uint64_t since, uint32_t type_mask,
			      size_t max, struct event_ring_entry *ret, uint64_t *ret_next,
			      uint64_t *ret_missed)
{
	uint64_t seq, next = since, missed = 0;
	size_t n = 0;

	pthread_mutex_lock(&r->lock);
	seq = first_locked(r);
	if (seq > since + 1 && since < r->last)
		missed = seq - since - 1;	/* overwritten before this reader got them */
	if (seq <= since)
		seq = since + 1;
	for (; seq && seq <= r->last && n < max; seq++) {
		const struct event_ring_entry *e = &r->slots[(seq - 1) % r->capacity];

		next = seq;
		if (type_mask && !(type_mask & CGSCOPE_EV_MASK(e->ev.type)))
			continue;
		ret[n++] = *e;
	}
	/* Nothing newer to look at: a reader that was ahead (a restarted
	 * agent) starts over from what is there. */
	if (next > r->last)
		next = r->last;
	pthread_mutex_unlock(&r->lock);
	if (ret_next)
		*ret_next = next;
	if (ret_missed)
		*ret_missed = missed;
	return n;
}

void event_ring_bounds(struct event_ring *r, uint64_t *ret_first, uint64_t *ret_last)
{
	pthread_mutex_lock(&r->lock);
	if (ret_first)
		*ret_first = first_locked(r);
	if (ret_last)
		*ret_last = r->last;
	pthread_mutex_unlock(&r->lock);
}

int event_ring_wait(struct event_ring *r, uint64_t since, int timeout_ms)
{
	struct timespec deadline;
	int rc = 0, ret;

	if (timeout_ms >= 0)
		deadline = ns_to_timespec(clock_ns(CLOCK_MONOTONIC) + (uint64_t)timeout_ms * 1000000);
	pthread_mutex_lock(&r->lock);
	r->waiters++;
	while (!r->shutdown && r->last <= since && rc == 0)
		rc = timeout_ms < 0 ? pthread_cond_wait(&r->cond, &r->lock)
				    : pthread_cond_timedwait(&r->cond, &r->lock, &deadline);
	r->waiters--;
	if (r->shutdown)
		ret = -ESHUTDOWN;
	else
		ret = r->last > since ? 1 : 0;
	pthread_mutex_unlock(&r->lock);
	return ret;
}

void event_ring_shutdown(struct event_ring *r)
{
	pthread_mutex_lock(&r->lock);
	r->shutdown = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

size_t event_ring_capacity(const struct event_ring *r)
{
	return r->capacity;
}
