/* SPDX-License-Identifier: GPL-2.0-only */
/* The HTTP front: /metrics, the JSON API, /healthz and a landing page, all
 * served from the current snapshot (never from cgroupfs), with libmicrohttpd. */
#ifndef CGSCOPE_HTTP_SERVER_H
#define CGSCOPE_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "events/event_ring.h"
#include "collect/snapshot.h"
#include "http/web_config.h"

/* What /api/v1/status tells besides the snapshot's own counters. */
struct agent_info {
	int64_t started_ms;		/* wall clock */
	const char *cgroup_root;
	uint64_t interval_ms;
	const char *collect_source;	/* --collect.source: "auto", "bpf", "files" */
	const char *collect_source_note;	/* why files where not the iterator; "" */
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
	/* TLS, basic auth, headers; NULL: none. Moved into the server by a
	 * successful http_server_start (left empty), the caller's otherwise. */
	struct web_config *web_config;
	struct event_ring *ring;	/* recent kernel events; NULL: none */
};

struct http_server;

/* Binds and starts serving in threads of its own. -EADDRINUSE, -EINVAL for
 * an address that does not parse, -EHOSTUNREACH for a host that does not
 * resolve, -EKEYREJECTED for a TLS certificate, key or CA that GnuTLS
 * refuses; err says which, in a sentence. */
int http_server_start(const struct http_server_opts *opts, struct http_server **ret,
		      char *err, size_t errsize);
void http_server_stop(struct http_server *h);

/* Puts a new web config in force (SIGHUP): users and headers from the next
 * request on, the certificate, CA and versions from the next connection
 * on. Moves *c into the server on success. A config that GnuTLS refuses,
 * or one that would turn TLS on or off or basic auth off (a half-written
 * file must not open the port), is refused with err saying why, and the
 * old one stays. */
int http_server_reload(struct http_server *h, struct web_config *c, char *err, size_t errsize);

/* Connections cut off by the request deadline so far. */
uint64_t http_server_requests_cut(const struct http_server *h);

/* Splits "host:port" ("" host = every address); 0 or -EINVAL. */
int http_parse_listen_address(const char *addr, char *ret_host, size_t host_size,
			      char *ret_port, size_t port_size);

#endif
