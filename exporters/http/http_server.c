// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/version.h"
#include "http/event_stream.h"
#include "http/http_guard.h"
#include "http/http_reply.h"
#include "lib/log.h"
#include "http/http_server.h"
#include "http/http_tls.h"
#include "http/json_api.h"
#include "lib/clock.h"

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* A web config in force, with its TLS credentials. Requests and
 * connections hold a reference: a reload swaps in a new one, and the old
 * one goes when the last connection that started under it is closed. */
struct web_state {
	atomic_int refs;
	struct web_config cfg;
	struct http_tls *tls;		/* NULL without TLS */
};

/* libmicrohttpd's socket context: what the server keeps per connection. */
struct http_conn {
	struct reply_headers headers;	/* first: http_reply reads it */
	struct guarded_conn *guard;
	struct web_state *tls_state;	/* the TLS settings of this connection */
	struct web_state *req_state;	/* the config of the request being answered */
	struct http_tls_conn tls;
};

struct http_server {
	struct MHD_Daemon *daemon;
	struct http_server_opts opts;
	struct http_guard *guard;
	struct event_stream *stream;	/* NULL without an event ring */
	int fd;
	bool tls;			/* fixed at start: a reload cannot change it */
	pthread_mutex_t state_lock;
	struct web_state *state;	/* NULL without a web config */
};

static void state_unref(struct web_state *st)
{
	if (st && atomic_fetch_sub(&st->refs, 1) == 1) {
		http_tls_free(st->tls);
		web_config_free(&st->cfg);
		free(st);
	}
}

static struct web_state *state_get(struct http_server *h)
{
	struct web_state *st;

	pthread_mutex_lock(&h->state_lock);
	st = h->state;
	if (st)
		atomic_fetch_add(&st->refs, 1);
	pthread_mutex_unlock(&h->state_lock);
	return st;
}

/* A state for c, its TLS credentials built; c is moved in on success. */
static int state_new(struct web_config *c, struct web_state **ret, char *err, size_t errsize)
{
	struct web_state *st = calloc(1, sizeof(*st));
	int r;

	if (!st)
		return -ENOMEM;
	if (c->tls && (r = http_tls_new(c, &st->tls, err, errsize)) < 0) {
		free(st);
		return r;
	}
	atomic_init(&st->refs, 1);
	st->cfg = *c;
	*c = (struct web_config){0};
	*ret = st;
	return 0;
}

int http_parse_listen_address(const char *addr, char *ret_host, size_t host_size,
			      char *ret_port, size_t port_size)
{
	const char *colon, *host = addr;
	size_t hlen;

	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		host = addr + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon)
			return -EINVAL;
		hlen = (size_t)(colon - addr);
		if (memchr(addr, ':', hlen))
			return -EINVAL;	/* a bare IPv6 address needs brackets */
	}
	if (!colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    atoi(colon + 1) > 65535 || hlen >= host_size || strlen(colon + 1) >= port_size)
		return -EINVAL;
	memcpy(ret_host, host, hlen);
	ret_host[hlen] = '\0';
	strcpy(ret_port, colon + 1);
	return 0;
}

static int listen_socket(const char *addr, int *ret_fd, char *err, size_t errsize)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	char host[256], port[8];
	struct addrinfo *res, *ai;
	int r, fd = -1, one = 1, zero = 0;

	r = http_parse_listen_address(addr, host, sizeof(host), port, sizeof(port));
	if (r < 0) {
		snprintf(err, errsize, "cannot listen on %s: not an address of the form [host]:port", addr);
		return r;
	}
	/* ":port" listens on every address, IPv6 and IPv4 on one socket. */
	hints.ai_family = host[0] ? AF_UNSPEC : AF_INET6;
	r = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (r == EAI_FAMILY || (r != 0 && !host[0])) {
		hints.ai_family = AF_INET;
		r = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	}
	if (r != 0) {
		/* Not bind's "Cannot assign requested address": the name
		 * itself did not resolve. */
		snprintf(err, errsize, "cannot listen on %s: the host '%s' does not resolve (%s)",
			 addr, host, r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		return -EHOSTUNREACH;
	}
	r = -EADDRNOTAVAIL;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			r = -errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6 && !host[0])
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0)
			break;
		r = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errsize, "cannot listen on %s: %s", addr, strerror(-r));
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* cadvisor: the cAdvisor families alone, the kubelet's /metrics/cadvisor. */
static enum MHD_Result serve_metrics(struct http_server *h, struct MHD_Connection *conn,
				     bool cadvisor)
{
	struct snapshot *s = snapshot_get(h->opts.slot);
	enum page_part part = cadvisor ? PAGE_CADVISOR : PAGE_ALL;

	if (!s)
		return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
				 "no collection cycle has completed yet\n");
	if (!s->page.part[part].on) {
		snapshot_unref(s);
		return reply_text(conn, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8",
				  "not found: /metrics/cadvisor is served with --compat=cadvisor\n");
	}
	return reply_snapshot_page(conn, s, PROM_CONTENT_TYPE, &s->page, part,
				   reply_wants_gzip(conn));
}

/* Cycles in a row past the interval before /healthz says the collector
 * cannot keep up: one slow cycle (the first, which opens every file, or a
 * burst of new cgroups) is not that. */
#define HEALTH_BEHIND_STREAK 3

static enum MHD_Result serve_health(struct http_server *h, struct MHD_Connection *conn)
{
	struct snapshot *s = snapshot_get(h->opts.slot);
	int64_t now_ms = clock_ms(CLOCK_REALTIME), age_ms;
	char body[128];
	unsigned status;

	if (!s) {
		snprintf(body, sizeof(body), "starting: no collection cycle yet\n");
		status = MHD_HTTP_SERVICE_UNAVAILABLE;
	} else {
		age_ms = now_ms - s->taken_ms;
		if (age_ms > (int64_t)h->opts.stale_after_ms) {
			snprintf(body, sizeof(body), "stale: last cycle %lld ms ago\n", (long long)age_ms);
			status = MHD_HTTP_SERVICE_UNAVAILABLE;
		} else if (s->stats.overrun_streak >= HEALTH_BEHIND_STREAK) {
			/* Served, but on a slower schedule than asked. */
			snprintf(body, sizeof(body),
				 "behind: %u cycles in a row took longer than the interval (last collect %.3f s)\n",
				 (unsigned)s->stats.overrun_streak, s->stats.last_duration);
			status = MHD_HTTP_SERVICE_UNAVAILABLE;
		} else {
			snprintf(body, sizeof(body), "ok\n");
			status = MHD_HTTP_OK;
		}
		snapshot_unref(s);
	}
	return reply_text(conn, status, "text/plain; charset=utf-8", body);
}

static enum MHD_Result serve_index(struct http_server *h, struct MHD_Connection *conn)
{
	char body[2048];

	snprintf(body, sizeof(body),
		 "<!DOCTYPE html>\n<html><head><title>cgscope</title></head><body>\n"
		 "<h1>cgscope</h1>\n"
		 "<p>cgroup v2 observability agent, version %s.</p>\n"
		 "<ul>\n<li><a href=\"%s\">%s</a>: Prometheus metrics of every cgroup</li>\n"
		 "<li><a href=\"/api/v1/cgroups\">/api/v1/cgroups</a>: every cgroup as JSON</li>\n"
		 "<li><a href=\"/api/v1/status\">/api/v1/status</a>: the agent's own state</li>\n"
		 "<li><a href=\"/healthz\">/healthz</a>: 200 while the collector is alive</li>\n"
		 "</ul>\n</body></html>\n",
		 cgscope_version, h->opts.metrics_path, h->opts.metrics_path);
	return reply_text(conn, MHD_HTTP_OK, "text/html; charset=utf-8", body);
}

static struct http_conn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* The config this request is answered under: users and headers. */
static void request_state(struct http_server *h, struct MHD_Connection *conn)
{
	struct http_conn *cc = conn_of(conn);

	if (!cc)
		return;
	state_unref(cc->req_state);
	cc->req_state = state_get(h);
	cc->headers = cc->req_state ?
		(struct reply_headers){ cc->req_state->cfg.headers, cc->req_state->cfg.nheaders } :
		(struct reply_headers){ NULL, 0 };
}

static bool authorized(struct MHD_Connection *conn)
{
	struct http_conn *cc = conn_of(conn);
	const struct web_config *wc;
	char *pass = NULL, *user;
	bool ok;

	/* Without a socket context (out of memory at accept) the connection
	 * was cut: refuse whatever still comes. */
	if (!cc)
		return false;
	if (!cc->req_state || !cc->req_state->cfg.nusers)
		return true;
	wc = &cc->req_state->cfg;
	user = MHD_basic_auth_get_username_password(conn, &pass);
	ok = user && web_config_check(wc, user, pass);
	if (pass)
		explicit_bzero(pass, strlen(pass));
	MHD_free(user);
	MHD_free(pass);
	return ok;
}

static enum MHD_Result reply_unauthorized(struct MHD_Connection *conn)
{
	static const char body[] = "unauthorized\n";
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		sizeof(body) - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result r;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	reply_add_headers(conn, resp);
	r = MHD_queue_basic_auth_fail_response(conn, "cgscope", resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result count_length(void *cls, enum MHD_ValueKind kind,
				    const char *key, const char *value)
{
	(void)kind;
	(void)value;
	if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH))
		++*(int *)cls;
	return MHD_YES;
}

/* What libmicrohttpd lets through that a strict server refuses: two
 * Content-Length headers (the way to smuggle a request past a proxy), and a
 * request line without a version (a NUL byte cut it short). */
static bool malformed(struct MHD_Connection *conn, const char *version)
{
	int lengths = 0;

	if (strcmp(version, MHD_HTTP_VERSION_1_1) && strcmp(version, MHD_HTTP_VERSION_1_0))
		return true;
	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_length, &lengths);
	return lengths > 1;
}

/* The states of a request, kept in libmicrohttpd's per-request pointer. */
static char req_new, req_nul, req_seen;

/* Sees the request target before it is percent-decoded: "%00" would decode
 * to a NUL that ends the path early ("/metrics%00.txt" read as "/metrics"). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls;
	(void)conn;
	return strcasestr(uri, "%00") ? &req_nul : &req_new;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version,
			      const char *upload_data, size_t *upload_data_size,
			      void **con_cls)
{
	struct http_server *h = cls;

	(void)upload_data;
	/* Answer once the headers are in; a body, if any, is not read. */
	if (*con_cls != &req_seen) {
		bool nul = *con_cls == &req_nul;

		*con_cls = &req_seen;
		http_guard_received(h->guard, conn_of(conn) ? conn_of(conn)->guard : NULL);
		request_state(h, conn);
		if (nul || malformed(conn, version))
			return reply_text(conn, MHD_HTTP_BAD_REQUEST, "text/plain; charset=utf-8",
					  "malformed request\n");
		if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
			if (strncmp(url, "/api/", 5) == 0)
				return reply_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
						   "method %s not allowed: only GET and HEAD", method);
			return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
					  "text/plain; charset=utf-8", "method not allowed\n");
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!authorized(conn))
		return reply_unauthorized(conn);
	if (strcmp(url, h->opts.metrics_path) == 0)
		return serve_metrics(h, conn, false);
	if (strcmp(url, "/metrics/cadvisor") == 0)
		return serve_metrics(h, conn, true);
	if (strcmp(url, "/healthz") == 0)
		return serve_health(h, conn);
	if (strcmp(url, "/") == 0)
		return serve_index(h, conn);
	if (strcmp(url, "/api/v1/events") == 0)
		return event_stream_list(h->opts.ring, conn);
	if (strcmp(url, "/api/v1/events/stream") == 0)
		return event_stream_serve(h->stream, conn);
	if (strncmp(url, "/api/", 5) == 0)
		return json_api_handle(&h->opts, conn, url);
	return reply_text(conn, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", "not found\n");
}

static void conn_free(struct http_server *h, struct http_conn *cc)
{
	if (!cc)
		return;
	http_guard_remove(h->guard, cc->guard);
	state_unref(cc->req_state);
	state_unref(cc->tls_state);
	free(cc);
}

/* A new connection gets the TLS settings in force now, before its
 * handshake; a reload later does not change them for it. */
static int conn_start(struct http_server *h, struct MHD_Connection *conn, struct http_conn *cc)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return -EBADF;
	cc->tls.fd = ci->connect_fd;
	cc->guard = http_guard_add(h->guard, cc->tls.fd);
	if (!h->tls)
		return 0;
	cc->tls_state = state_get(h);
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !cc->tls_state || !cc->tls_state->tls)
		return -EPROTO;
	return http_tls_session_setup(cc->tls_state->tls, ci->tls_session, &cc->tls);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http_server *h = cls;
	const union MHD_ConnectionInfo *ci;
	struct http_conn *cc;

	if (code != MHD_CONNECTION_NOTIFY_STARTED) {
		conn_free(h, *socket_context);
		*socket_context = NULL;
		return;
	}
	cc = calloc(1, sizeof(*cc));
	if (!cc || conn_start(h, conn, cc) < 0) {
		/* Never a TLS session with libmicrohttpd's own settings, nor
		 * a connection without the request deadline: cut it. */
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci)
			shutdown(ci->connect_fd, SHUT_RDWR);
	}
	*socket_context = cc;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *h = cls;
	struct http_conn *cc = conn_of(conn);

	(void)con_cls;
	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK && cc)
		http_guard_next_request(h->guard, cc->guard,
					(uint64_t)h->opts.idle_timeout_s * 1000);
}

/* libmicrohttpd's complaints are about single connections (resets, slow
 * clients): useful when debugging, noise otherwise. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_debug("http: %s", msg);
}

static void server_free(struct http_server *h)
{
	event_stream_free(h->stream);
	http_guard_stop(h->guard);
	state_unref(h->state);
	pthread_mutex_destroy(&h->state_lock);
	free(h);
}

int http_server_start(const struct http_server_opts *opts, struct http_server **ret,
		      char *err, size_t errsize)
{
	struct web_config *wc = opts->web_config;
	struct MHD_OptionItem tls[3] = { { MHD_OPTION_END, 0, NULL } };
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			 MHD_ALLOW_SUSPEND_RESUME;	/* event streams wait suspended */
	struct http_server *h = calloc(1, sizeof(*h));
	struct web_state *st = NULL;
	int r;

	if (!h)
		return -ENOMEM;
	h->opts = *opts;
	h->opts.web_config = NULL;
	h->fd = -1;
	pthread_mutex_init(&h->state_lock, NULL);
	/* The certificate and key are checked before the port is taken: a
	 * bad one is an error at start that names the setting. */
	if (wc) {
		struct web_config copy = *wc;

		r = state_new(&copy, &st, err, errsize);
		if (r < 0)
			goto fail;
		*wc = (struct web_config){0};
		h->state = st;
		h->tls = st->cfg.tls;
	}
	r = listen_socket(opts->listen_address, &h->fd, err, errsize);
	if (r < 0)
		goto fail;
	r = http_guard_start(opts->request_timeout_ms, &h->guard);
	if (r < 0)
		goto fail;
	if (opts->ring && (r = event_stream_start(opts->ring, &h->stream)) < 0)
		goto fail;
	if (h->tls) {
		/* libmicrohttpd wants a certificate to start TLS; each
		 * connection then gets the one in force (conn_start). */
		flags |= MHD_USE_TLS;
		tls[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, st->cfg.key_pem };
		tls[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, st->cfg.cert_pem };
		tls[2] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	}
	h->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, handle, h,
		MHD_OPTION_LISTEN_SOCKET, h->fd,
		MHD_OPTION_THREAD_POOL_SIZE, 2u,
		MHD_OPTION_CONNECTION_LIMIT, opts->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, opts->max_connections_per_ip,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, opts->connection_memory_limit,
		MHD_OPTION_CONNECTION_TIMEOUT, opts->idle_timeout_s,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
		/* Strict: no Host in HTTP/1.1, two Content-Lengths and the like
		 * are refused with 400 rather than guessed at. */
		MHD_OPTION_STRICT_FOR_CLIENT, 1,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_ARRAY, tls,
		MHD_OPTION_END);
	if (!h->daemon) {
		snprintf(err, errsize, "cannot start serving on %s%s", opts->listen_address,
			 h->tls ? ": libmicrohttpd refused the TLS certificate or key" : "");
		r = h->tls ? -EKEYREJECTED : -EIO;
		goto fail;
	}
	*ret = h;
	return 0;
fail:
	event_stream_stop(h->stream);
	if (h->fd >= 0)
		close(h->fd);
	if (st) {
		/* Failed: the caller keeps its config. */
		*wc = st->cfg;
		st->cfg = (struct web_config){0};
	}
	server_free(h);
	return r;
}

int http_server_reload(struct http_server *h, struct web_config *c, char *err, size_t errsize)
{
	struct web_state *st, *old;
	bool had_users;
	int r;

	pthread_mutex_lock(&h->state_lock);
	had_users = h->state && h->state->cfg.nusers;
	pthread_mutex_unlock(&h->state_lock);
	if (c->tls != h->tls) {
		snprintf(err, errsize, "a reload cannot turn TLS %s: restart the agent for that",
			 h->tls ? "off (the new file has no tls_server_config)" : "on");
		return -EPERM;
	}
	if (had_users && !c->nusers) {
		snprintf(err, errsize, "a reload cannot turn basic auth off (the new file has no "
			 "basic_auth_users): restart the agent for that");
		return -EPERM;
	}
	r = state_new(c, &st, err, errsize);
	if (r < 0)
		return r;
	pthread_mutex_lock(&h->state_lock);
	old = h->state;
	h->state = st;
	pthread_mutex_unlock(&h->state_lock);
	state_unref(old);
	return 0;
}

uint64_t http_server_requests_cut(const struct http_server *h)
{
	return h ? http_guard_cut(h->guard) : 0;
}

void http_server_stop(struct http_server *h)
{
	if (!h)
		return;
	/* Streams first: libmicrohttpd must not be stopped with a connection
	 * suspended. libmicrohttpd closes the listening socket itself. */
	event_stream_stop(h->stream);
	MHD_stop_daemon(h->daemon);
	server_free(h);
}
