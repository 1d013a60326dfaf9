// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "top/http_get.h"
#include "lib/strbuf.h"

int http_url_parse(const char *url, struct http_url *ret)
{
	struct http_url u = { .port = "80" };
	const char *p, *host, *host_end, *slash;
	size_t n;

	if (strncasecmp(url, "http://", 7))
		return -EINVAL;
	host = url + 7;
	slash = strchr(host, '/');
	if (!slash)
		slash = host + strlen(host);
	if (*host == '[') {
		host_end = memchr(host, ']', (size_t)(slash - host));
		if (!host_end)
			return -EINVAL;
		host++;
		p = host_end + 1;
	} else {
		host_end = memchr(host, ':', (size_t)(slash - host));
		if (!host_end)
			host_end = slash;
		p = host_end;
	}
	n = (size_t)(host_end - host);
	if (n == 0 || n >= sizeof(u.host) || memchr(host, '@', n))
		return -EINVAL;
	memcpy(u.host, host, n);
	if (*p == ':') {
		size_t pl = (size_t)(slash - p - 1);
		unsigned long port;
		char *end;

		if (pl == 0 || pl >= sizeof(u.port) || strspn(p + 1, "0123456789") != pl)
			return -EINVAL;
		port = strtoul(p + 1, &end, 10);
		if (port == 0 || port > 65535)
			return -EINVAL;
		snprintf(u.port, sizeof(u.port), "%lu", port);
	} else if (p != slash) {
		return -EINVAL;
	}
	n = strlen(slash);
	while (n > 0 && slash[n - 1] == '/')
		n--;
	if (n >= sizeof(u.base) || memchr(slash, '?', n) || memchr(slash, '#', n))
		return -EINVAL;
	memcpy(u.base, slash, n);
	*ret = u;
	return 0;
}

/* The value of header name in the header block, or NULL. */
static const char *header(const char *h, size_t len, const char *name, size_t *ret_len)
{
	size_t nl = strlen(name);
	const char *end = h + len;

	while (h < end) {
		const char *eol = memchr(h, '\n', (size_t)(end - h));
		const char *v;

		if (!eol)
			eol = end;
		if ((size_t)(eol - h) > nl && h[nl] == ':' && !strncasecmp(h, name, nl)) {
			v = h + nl + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			*ret_len = (size_t)(eol - v);
			while (*ret_len && (v[*ret_len - 1] == '\r' || v[*ret_len - 1] == ' '))
				(*ret_len)--;
			return v;
		}
		h = eol + 1;
	}
	return NULL;
}

static int dechunk(const char *p, size_t len, struct strbuf *out)
{
	const char *end = p + len;

	for (;;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		uint64_t size = 0;
		const char *q;

		if (!eol)
			return -EPROTO;
		for (q = p; q < eol && *q != ';' && *q != '\r'; q++) {
			int d = *q >= '0' && *q <= '9' ? *q - '0' :
				*q >= 'a' && *q <= 'f' ? *q - 'a' + 10 :
				*q >= 'A' && *q <= 'F' ? *q - 'A' + 10 : -1;
			if (d < 0 || size > (UINT64_MAX >> 4))
				return -EPROTO;
			size = size * 16 + (uint64_t)d;
		}
		if (q == p)
			return -EPROTO;
		p = eol + 1;
		if (size == 0)
			return 0;	/* trailers, if any, are of no use here */
		if (size > (uint64_t)(end - p))
			return -EPROTO;
		sb_append(out, p, (size_t)size);
		p += size;
		if (p < end && *p == '\r')
			p++;
		if (p >= end || *p != '\n')
			return -EPROTO;
		p++;
	}
}

int http_parse_response(const char *buf, size_t len, struct http_response *ret)
{
	const char *hdr_end = memmem(buf, len, "\r\n\r\n", 4), *body, *v;
	struct strbuf out = {0};
	size_t hlen, vlen, blen;
	int status, r;

	if (!hdr_end || len < 12 || memcmp(buf, "HTTP/1.", 7) || buf[8] != ' ' ||
	    buf[9] < '1' || buf[9] > '5' || buf[10] < '0' || buf[10] > '9' ||
	    buf[11] < '0' || buf[11] > '9')
		return -EPROTO;
	status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	hlen = (size_t)(hdr_end - buf) + 2;
	body = hdr_end + 4;
	blen = len - (size_t)(body - buf);

	if ((v = header(buf, hlen, "Transfer-Encoding", &vlen)) && vlen == 7 &&
	    !strncasecmp(v, "chunked", 7)) {
		r = dechunk(body, blen, &out);
		if (r < 0) {
			sb_free(&out);
			return r;
		}
	} else {
		if ((v = header(buf, hlen, "Content-Length", &vlen))) {
			char num[24], *end;
			unsigned long long cl;

			if (vlen == 0 || vlen >= sizeof(num) || strspn(v, "0123456789") < vlen)
				return -EPROTO;
			memcpy(num, v, vlen);
			num[vlen] = '\0';
			cl = strtoull(num, &end, 10);
			if (cl > blen)
				return -EPROTO;	/* cut short */
			blen = (size_t)cl;
		}
		sb_append(&out, body, blen);
	}
	r = sb_reserve(&out, 0);
	if (r < 0)
		return r;
	ret->status = status;
	ret->body_len = out.len;
	ret->body = sb_steal(&out, NULL);
	return 0;
}

void http_response_free(struct http_response *r)
{
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd until the deadline. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		int64_t left = deadline - now_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int connect_one(const struct addrinfo *ai, int64_t deadline)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			ai->ai_protocol);
	int r, err = 0;
	socklen_t el = sizeof(err);

	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		r = -errno;
		goto fail;
	}
	r = wait_fd(fd, POLLOUT, deadline);
	if (r < 0)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0) {
		r = -errno;
		goto fail;
	}
	if (err) {
		r = -err;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return r;
}

static int send_all(int fd, const char *p, size_t n, int64_t deadline)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		int r;

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			r = wait_fd(fd, POLLOUT, deadline);
			if (r < 0)
				return r;
			continue;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int http_get(const struct http_url *u, const char *path_query, int timeout_ms,
	     size_t max_body, struct http_response *ret)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ais = NULL, *ai;
	int64_t deadline = now_ms() + timeout_ms;
	struct strbuf req = {0}, in = {0};
	int fd = -1, r;

	r = getaddrinfo(u->host, u->port, &hints, &ais);
	if (r)
		return r == EAI_SYSTEM ? -errno : r == EAI_MEMORY ? -ENOMEM : -EHOSTUNREACH;
	r = -ECONNREFUSED;
	for (ai = ais; ai; ai = ai->ai_next) {
		fd = connect_one(ai, deadline);
		if (fd >= 0)
			break;
		r = fd;
		if (r == -ETIMEDOUT)
			break;
	}
	freeaddrinfo(ais);
	if (fd < 0)
		return r;

	sb_printf(&req, "GET %s%s HTTP/1.1\r\nHost: %s%s%s:%s\r\n"
		  "User-Agent: cgscope-top\r\nAccept: application/json\r\n"
		  "Connection: close\r\n\r\n",
		  u->base, path_query, strchr(u->host, ':') ? "[" : "", u->host,
		  strchr(u->host, ':') ? "]" : "", u->port);
	r = sb_error(&req);
	if (r == 0)
		r = send_all(fd, req.buf, req.len, deadline);
	/* Connection: close: the server ends the body by closing, whatever
	 * framing it chose; read to EOF, then parse. */
	while (r == 0) {
		ssize_t n;

		r = sb_reserve(&in, 65536);
		if (r < 0)
			break;
		n = recv(fd, in.buf + in.len, in.cap - in.len - 1, 0);
		if (n > 0) {
			in.len += (size_t)n;
			in.buf[in.len] = '\0';
			if (in.len > max_body + 65536)
				r = -EFBIG;
			continue;
		}
		if (n == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			r = -errno;
			break;
		}
		r = wait_fd(fd, POLLIN, deadline);
	}
	close(fd);
	if (r == 0)
		r = http_parse_response(in.buf ? in.buf : "", in.len, ret);
	if (r == 0 && ret->body_len > max_body) {
		http_response_free(ret);
		r = -EFBIG;
	}
	sb_free(&req);
	sb_free(&in);
	return r;
}
