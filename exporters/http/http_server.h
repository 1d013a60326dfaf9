/* SPDX-License-Identifier: GPL-2.0-only */
/* The HTTP front: /metrics, the JSON API, /healthz and a landing page, all
 * served from the current snapshot (never from cgroupfs), with libmicrohttpd. */
#ifndef CGSCOPE_HTTP_SERVER_H
#define CGSCOPE_HTTP_SERVER_H

#include <stdint.h>

#include "events/event_ring.h"
#include "collect/snapshot.h"
#include "http/web_config.h"

/* What /api/v1/status tells besides the snapshot's own counters. */
struct agent_info {
	int64_t started_ms;		/* wall clock */
	const char *cgroup_root;
	uint64_t interval_ms;
};

struct http_server_opts {
	const char *listen_address;	/* ":9753", "127.0.0.1:9753", "[::1]:9753" */
	const char *metrics_path;	/* "/metrics" */
	struct snapshot_slot *slot;
	const struct agent_info *info;
	/* /healthz fails when the last snapshot is older than this. */
	uint64_t stale_after_ms;
	/* Limits against floods and slow clients. */
	unsigned max_connections;
	unsigned max_connections_per_ip;
	size_t connection_memory_limit;	/* bytes per connection: caps headers */
	unsigned idle_timeout_s;	/* an idle connection is closed after this */
	uint64_t request_timeout_ms;	/* the whole request must arrive by then */
	const struct web_config *web_config;	/* TLS, basic auth; NULL: neither */
	struct event_ring *ring;	/* recent kernel events; NULL: none */
};

struct http_server;

/* Binds and starts serving in threads of its own. -EADDRINUSE, -EINVAL for
 * an address that does not parse, and so on. */
int http_server_start(const struct http_server_opts *opts, struct http_server **ret);
void http_server_stop(struct http_server *h);

/* Connections cut off by the request deadline so far. */
uint64_t http_server_requests_cut(const struct http_server *h);

/* Splits "host:port" ("" host = every address); 0 or -EINVAL. */
int http_parse_listen_address(const char *addr, char *ret_host, size_t host_size,
			      char *ret_port, size_t port_size);

#endif
