/* SPDX-License-Identifier: GPL-2.0-only */
/* A small HTTP/1.1 client for `cgscope top --url`: one GET per connection
 * (Connection: close), plain http only, a deadline for the whole exchange.
 * The agent is our own server, so this needs none of a browser's tolerance;
 * it does need to fail cleanly, and to never hang. */
#ifndef CGSCOPE_HTTP_GET_H
#define CGSCOPE_HTTP_GET_H

#include <stddef.h>

struct http_url {
	char host[256];			/* without the brackets of an IPv6 address */
	char port[8];
	char base[512];			/* the URL's path, without a trailing '/' */
};

/* "http://host[:port][/base]", host a name, IPv4, or [IPv6]; port 80 if
 * none. -EINVAL for anything else (https included: not supported). */
int http_url_parse(const char *url, struct http_url *ret);

struct http_response {
	int status;
	char *body;			/* NUL-terminated */
	size_t body_len;
};

/* Splits a whole response (status line, headers, body) as read to EOF.
 * The body is Content-Length bytes, the chunks of a chunked body, or all
 * that follows the headers. -EPROTO if it is not a complete response. */
int http_parse_response(const char *buf, size_t len, struct http_response *ret);

/* GET base + path_query from the server. Any status is a success here; the
 * caller reads ret->status. -ETIMEDOUT when timeout_ms runs out, -EFBIG
 * beyond max_body bytes, a connect or resolve error otherwise. */
int http_get(const struct http_url *u, const char *path_query, int timeout_ms,
	     size_t max_body, struct http_response *ret);

void http_response_free(struct http_response *r);

#endif
