// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "http/http_guard.h"
#include "lib/clock.h"

struct guarded_conn {
	struct guarded_conn *prev, *next;
	int fd;
	uint64_t deadline_ns;
	bool cut;
};

struct http_guard {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool stop;
	uint64_t deadline_ns;
	struct guarded_conn head;	/* circular list of pending requests */
	atomic_uint_fast64_t cut;
};

static void unlink_conn(struct guarded_conn *c)
{
	c->prev->next = c->next;
	c->next->prev = c->prev;
	c->prev = c->next = c;
}

/* Connections are added in deadline order, so the sweep stops at the first
 * one still in time. shutdown() rather than close(): the descriptor stays
 * libmicrohttpd's, which sees the end of the stream and cleans up. */
static void *sweeper(void *arg)
{
	struct http_guard *g = arg;

	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		struct timespec until;
		uint64_t now = clock_ns(CLOCK_MONOTONIC);

		while (g->head.next != &g->head && g->head.next->deadline_ns <= now) {
			struct guarded_conn *c = g->head.next;
			shutdown(c->fd, SHUT_RDWR);
			c->cut = true;
			unlink_conn(c);
			atomic_fetch_add(&g->cut, 1);
		}
		/* 5 sweeps a second is plenty */
		until = ns_to_timespec(clock_ns(CLOCK_REALTIME) + 200 * 1000000ull);
		pthread_cond_timedwait(&g->wake, &g->lock, &until);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

int http_guard_start(uint64_t deadline_ms, struct http_guard **ret)
{
	struct http_guard *g = calloc(1, sizeof(*g));
	int r;

	if (!g)
		return -ENOMEM;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->wake, NULL);
	g->head.prev = g->head.next = &g->head;
	g->deadline_ns = deadline_ms * 1000000ull;
	r = pthread_create(&g->thread, NULL, sweeper, g);
	if (r) {
		free(g);
		return -r;
	}
	*ret = g;
	return 0;
}

void http_guard_stop(struct http_guard *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->stop = true;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->thread, NULL);
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

/* Sorted by deadline; new deadlines are nearly always the latest, so the
 * walk from the tail is short. */
static void arm_locked(struct http_guard *g, struct guarded_conn *c, uint64_t deadline_ns)
{
	struct guarded_conn *after = g->head.prev;

	c->deadline_ns = deadline_ns;
	while (after != &g->head && after->deadline_ns > deadline_ns)
		after = after->prev;
	c->prev = after;
	c->next = after->next;
	after->next->prev = c;
	after->next = c;
}

struct guarded_conn *http_guard_add(struct http_guard *g, int fd)
{
	struct guarded_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = fd;
	pthread_mutex_lock(&g->lock);
	arm_locked(g, c, clock_ns(CLOCK_MONOTONIC) + g->deadline_ns);
	pthread_mutex_unlock(&g->lock);
	return c;
}

void http_guard_received(struct http_guard *g, struct guarded_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	unlink_conn(c);
	pthread_mutex_unlock(&g->lock);
}

void http_guard_next_request(struct http_guard *g, struct guarded_conn *c,
			     uint64_t idle_ms)
{
	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	unlink_conn(c);
	if (!c->cut)
		arm_locked(g, c, clock_ns(CLOCK_MONOTONIC) + idle_ms * 1000000ull + g->deadline_ns);
	pthread_mutex_unlock(&g->lock);
}

void http_guard_remove(struct http_guard *g, struct guarded_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	unlink_conn(c);
	pthread_mutex_unlock(&g->lock);
	free(c);
}

uint64_t http_guard_cut(const struct http_guard *g)
{
	return atomic_load(&((struct http_guard *)g)->cut);
}
