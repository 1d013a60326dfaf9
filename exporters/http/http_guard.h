/* SPDX-License-Identifier: GPL-2.0-only */
/* A deadline for receiving a whole request. libmicrohttpd's own timeout is
 * one of idleness, which a client that trickles its headers a byte at a time
 * (slowloris) never trips; this guard shuts such connections down. */
#ifndef CGSCOPE_HTTP_GUARD_H
#define CGSCOPE_HTTP_GUARD_H

#include <stdint.h>

struct http_guard;
struct guarded_conn;

int http_guard_start(uint64_t deadline_ms, struct http_guard **ret);
void http_guard_stop(struct http_guard *g);

/* A connection was accepted (its socket): its first request must arrive
 * within the deadline. */
struct guarded_conn *http_guard_add(struct http_guard *g, int fd);
/* Its request's headers are all in. */
void http_guard_received(struct http_guard *g, struct guarded_conn *c);
/* A response was sent and the connection stays open: the next request must
 * arrive within idle_ms plus the deadline. */
void http_guard_next_request(struct http_guard *g, struct guarded_conn *c,
			     uint64_t idle_ms);
/* The connection is closed. */
void http_guard_remove(struct http_guard *g, struct guarded_conn *c);

/* Connections cut off so far, for the self-metrics. */
uint64_t http_guard_cut(const struct http_guard *g);

#endif
