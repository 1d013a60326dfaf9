/* SPDX-License-Identifier: GPL-2.0-only */
/* A small HTTP/1.1 client for `cgscope top --url`: one GET per connection
 * (Connection: close), http or https (GnuTLS), basic auth, a deadline for
 * the whole exchange. The agent is our own server, so this needs none of a
 * browser's tolerance; it does need to fail cleanly, and to never hang. */
#ifndef CGSCOPE_HTTP_GET_H
#define CGSCOPE_HTTP_GET_H

#include <stdbool.h>
#include <stddef.h>

/* The trust, and the client certificate if any, of https requests. */
struct http_tls_client;

struct http_url {
	bool https;
	char host[256];			/* without the brackets of an IPv6 address */
	char port[8];
	char base[512];			/* the URL's path, without a trailing '/' */
	/* "user:password" for basic auth: the URL's user info, percent-
	 * decoded, or what the caller puts here; "" for none. */
	char auth[512];
	/* For https: set by the caller (http_tls_client_new). */
	struct http_tls_client *tls;
};

/* "http[s]://[user[:password]@]host[:port][/base]", host a name, IPv4, or
 * [IPv6]; port 80 (443 for https) if none; user and password may hold
 * %XX escapes (a '@' or ':' of a password: %40, %3A). -EINVAL for anything
 * else. */
int http_url_parse(const char *url, struct http_url *ret);
/* The URL without its password, to show and to log:
 * "http://alice@host:9753/base". */
void http_url_display(const struct http_url *u, char *buf, size_t size);

/* Trust for https: the PEM CA file, or the system's CAs when NULL; a
 * client certificate and key (PEM files) when the agent asks for one, or
 * NULL. -errno with the reason in err. */
int http_tls_client_new(const char *ca_file, const char *cert_file, const char *key_file,
			struct http_tls_client **ret, char *err, size_t errsize);
void http_tls_client_free(struct http_tls_client *t);

struct http_response {
	int status;
	char *body;			/* NUL-terminated */
	size_t body_len;
};

/* Splits a whole response (status line, headers, body) as read to EOF.
 * The body is Content-Length bytes, the chunks of a chunked body, or all
 * that follows the headers. -EPROTO if it is not a complete response. */
int http_parse_response(const char *buf, size_t len, struct http_response *ret);

/* GET base + path_query from the server, with basic auth when u->auth is
 * set. Any status is a success here; the caller reads ret->status.
 * -ETIMEDOUT when timeout_ms runs out, -EFBIG beyond max_body bytes,
 * -EKEYREJECTED when the server's certificate is not trusted (or not for
 * this host), -ECONNABORTED when the TLS handshake or session fails
 * otherwise (a client certificate refused, say), a connect or resolve error
 * otherwise. */
int http_get(const struct http_url *u, const char *path_query, int timeout_ms,
	     size_t max_body, struct http_response *ret);

void http_response_free(struct http_response *r);

#endif
