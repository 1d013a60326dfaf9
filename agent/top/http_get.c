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
#include <arpa/inet.h>
#include <gnutls/gnutls.h>

#include "top/http_get.h"
#include "lib/strbuf.h"
#include "lib/clock.h"

struct http_tls_client {
	gnutls_certificate_credentials_t cred;
};

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* RFC 3986 user info: %XX escapes decoded; a NUL, or a bad escape, is no
 * user info. */
static int decode_userinfo(const char *p, size_t n, char *out, size_t outsize)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -EINVAL;
			hi = hexval(p[i + 1]);
			lo = hexval(p[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -EINVAL;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (o + 1 >= outsize)
			return -EINVAL;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

int http_url_parse(const char *url, struct http_url *ret)
{
	struct http_url u = { .port = "80" };
	const char *p, *host, *host_end, *slash, *at;
	size_t n;

	if (!strncasecmp(url, "http://", 7)) {
		host = url + 7;
	} else if (!strncasecmp(url, "https://", 8)) {
		host = url + 8;
		u.https = true;
		strcpy(u.port, "443");
	} else {
		return -EINVAL;
	}
	slash = strchr(host, '/');
	if (!slash)
		slash = host + strlen(host);
	/* user:password@ ends at the last '@' before the path: a password
	 * with an '@' of its own, unescaped, still reads as meant. */
	at = NULL;
	for (const char *q = host; q < slash; q++)
		if (*q == '@')
			at = q;
	if (at) {
		const char *colon = memchr(host, ':', (size_t)(at - host));

		if (at == host || colon == host ||
		    decode_userinfo(host, (size_t)(at - host), u.auth, sizeof(u.auth)) < 0)
			return -EINVAL;
		/* No ':': a user without a password, as curl reads it. */
		if (!colon && strlen(u.auth) + 1 < sizeof(u.auth))
			strcat(u.auth, ":");
		host = at + 1;
	}
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

void http_url_display(const struct http_url *u, char *buf, size_t size)
{
	const char *colon = strchr(u->auth, ':');
	int ulen = colon ? (int)(colon - u->auth) : (int)strlen(u->auth);
	bool v6 = strchr(u->host, ':');

	snprintf(buf, size, "%s://%.*s%s%s%s%s:%s%s", u->https ? "https" : "http",
		 ulen, u->auth, u->auth[0] ? "@" : "", v6 ? "[" : "", u->host, v6 ? "]" : "",
		 u->port, u->base);
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

/* Waits for events on fd until the deadline. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		int64_t left = deadline - clock_ms(CLOCK_MONOTONIC);
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

int http_tls_client_new(const char *ca_file, const char *cert_file, const char *key_file,
			struct http_tls_client **ret, char *err, size_t errsize)
{
	struct http_tls_client *t = calloc(1, sizeof(*t));
	int gr;

	if (!t)
		return -ENOMEM;
	if ((gr = gnutls_certificate_allocate_credentials(&t->cred)) < 0) {
		free(t);
		return -ENOMEM;
	}
	if (ca_file) {
		gr = gnutls_certificate_set_x509_trust_file(t->cred, ca_file, GNUTLS_X509_FMT_PEM);
		if (gr <= 0) {
			snprintf(err, errsize, "CA file %s: %s", ca_file,
				 gr == 0 ? "no PEM certificate in it" : gnutls_strerror(gr));
			goto fail;
		}
	} else if ((gr = gnutls_certificate_set_x509_system_trust(t->cred)) < 0) {
		snprintf(err, errsize, "the system's CAs: %s", gnutls_strerror(gr));
		goto fail;
	}
	if ((cert_file != NULL) != (key_file != NULL)) {
		snprintf(err, errsize, "a client certificate needs both a certificate and a key file");
		goto fail;
	}
	if (cert_file && (gr = gnutls_certificate_set_x509_key_file(t->cred, cert_file, key_file,
								    GNUTLS_X509_FMT_PEM)) < 0) {
		snprintf(err, errsize, "client certificate %s and key %s: %s", cert_file, key_file,
			 gnutls_strerror(gr));
		goto fail;
	}
	*ret = t;
	return 0;
fail:
	http_tls_client_free(t);
	return -EINVAL;
}

void http_tls_client_free(struct http_tls_client *t)
{
	if (!t)
		return;
	gnutls_certificate_free_credentials(t->cred);
	free(t);
}

/* A connection: the socket, and over it a TLS session for https. */
struct conn {
	int fd;
	gnutls_session_t tls;
};

static int tls_error(int gr)
{
	if (gr == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR || gr == GNUTLS_E_CERTIFICATE_ERROR)
		return -EKEYREJECTED;
	if (gr == GNUTLS_E_MEMORY_ERROR)
		return -ENOMEM;
	return -ECONNABORTED;
}

/* Waits for what GnuTLS is blocked on, reading or writing. */
static int tls_wait(struct conn *c, int64_t deadline)
{
	return wait_fd(c->fd, gnutls_record_get_direction(c->tls) ? POLLOUT : POLLIN, deadline);
}

static int tls_start(struct conn *c, const struct http_url *u, int64_t deadline)
{
	unsigned char addr[16];
	int gr, r;

	if (!u->tls)
		return -EINVAL;
	if ((gr = gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK)) < 0)
		return tls_error(gr);
	if ((gr = gnutls_set_default_priority(c->tls)) < 0 ||
	    (gr = gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, u->tls->cred)) < 0)
		return tls_error(gr);
	/* SNI takes names only; the certificate is checked against the
	 * host as written, an address against its IP SANs. */
	if (inet_pton(AF_INET, u->host, addr) != 1 && inet_pton(AF_INET6, u->host, addr) != 1)
		gnutls_server_name_set(c->tls, GNUTLS_NAME_DNS, u->host, strlen(u->host));
	gnutls_session_set_verify_cert(c->tls, u->host, 0);
	gnutls_transport_set_int(c->tls, c->fd);
	for (;;) {
		gr = gnutls_handshake(c->tls);
		if (gr == 0)
			return 0;
		if (gr != GNUTLS_E_AGAIN && gr != GNUTLS_E_INTERRUPTED &&
		    gnutls_error_is_fatal(gr))
			return tls_error(gr);
		if ((r = tls_wait(c, deadline)) < 0)
			return r;
	}
}

static int send_all(struct conn *c, const char *p, size_t n, int64_t deadline)
{
	while (n) {
		ssize_t w;
		int r;

		if (c->tls) {
			w = gnutls_record_send(c->tls, p, n);
			if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED) {
				if ((r = tls_wait(c, deadline)) < 0)
					return r;
				continue;
			}
			if (w < 0)
				return tls_error((int)w);
		} else {
			w = send(c->fd, p, n, MSG_NOSIGNAL);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				if (errno != EAGAIN)
					return -errno;
				if ((r = wait_fd(c->fd, POLLOUT, deadline)) < 0)
					return r;
				continue;
			}
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Some bytes, 0 at the end of the stream, -EAGAIN when none are there
 * yet, or an error. */
static ssize_t recv_some(struct conn *c, char *buf, size_t n)
{
	ssize_t r;

	if (!c->tls) {
		r = recv(c->fd, buf, n, 0);
		if (r >= 0)
			return r;
		return errno == EINTR || errno == EAGAIN ? -EAGAIN : -errno;
	}
	r = gnutls_record_recv(c->tls, buf, n);
	if (r >= 0)
		return r;
	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
		return -EAGAIN;
	/* A close without TLS's close_notify: the body's own framing
	 * (Content-Length, chunks) says whether it was whole. */
	if (r == GNUTLS_E_PREMATURE_TERMINATION)
		return 0;
	return tls_error((int)r);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64(struct strbuf *sb, const char *in, size_t n)
{
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)in[i] << 16;
		char out[4];

		if (i + 1 < n)
			v |= (unsigned char)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)in[i + 2];
		out[0] = b64[(v >> 18) & 63];
		out[1] = b64[(v >> 12) & 63];
		out[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[3] = i + 2 < n ? b64[v & 63] : '=';
		sb_append(sb, out, 4);
	}
}

int http_get(const struct http_url *u, const char *path_query, int timeout_ms,
	     size_t max_body, struct http_response *ret)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ais = NULL, *ai;
	int64_t deadline = clock_ms(CLOCK_MONOTONIC) + timeout_ms;
	struct strbuf req = {0}, in = {0};
	struct conn c = { .fd = -1 };
	int r;

	r = getaddrinfo(u->host, u->port, &hints, &ais);
	if (r)
		return r == EAI_SYSTEM ? -errno : r == EAI_MEMORY ? -ENOMEM : -EHOSTUNREACH;
	r = -ECONNREFUSED;
	for (ai = ais; ai; ai = ai->ai_next) {
		c.fd = connect_one(ai, deadline);
		if (c.fd >= 0)
			break;
		r = c.fd;
		if (r == -ETIMEDOUT)
			break;
	}
	freeaddrinfo(ais);
	if (c.fd < 0)
		return r;
	r = u->https ? tls_start(&c, u, deadline) : 0;

	sb_printf(&req, "GET %s%s HTTP/1.1\r\nHost: %s%s%s:%s\r\n"
		  "User-Agent: cgscope-top\r\nAccept: application/json\r\n",
		  u->base, path_query, strchr(u->host, ':') ? "[" : "", u->host,
		  strchr(u->host, ':') ? "]" : "", u->port);
	if (u->auth[0]) {
		sb_puts(&req, "Authorization: Basic ");
		base64(&req, u->auth, strlen(u->auth));
		sb_puts(&req, "\r\n");
	}
	sb_puts(&req, "Connection: close\r\n\r\n");
	if (r == 0)
		r = sb_error(&req);
	if (r == 0)
		r = send_all(&c, req.buf, req.len, deadline);
	/* Connection: close: the server ends the body by closing, whatever
	 * framing it chose; read to EOF, then parse. */
	while (r == 0) {
		ssize_t n;

		r = sb_reserve(&in, 65536);
		if (r < 0)
			break;
		n = recv_some(&c, in.buf + in.len, in.cap - in.len - 1);
		if (n > 0) {
			in.len += (size_t)n;
			in.buf[in.len] = '\0';
			if (in.len > max_body + 65536)
				r = -EFBIG;
			continue;
		}
		if (n == 0)
			break;
		if (n != -EAGAIN) {
			r = (int)n;
			break;
		}
		r = c.tls ? tls_wait(&c, deadline) : wait_fd(c.fd, POLLIN, deadline);
	}
	/* TLS 1.3 ends the handshake before the server has looked at the
	 * client's certificate: a refusal is a session closed with nothing
	 * said, not an HTTP answer. */
	if (r == 0 && c.tls && in.len == 0)
		r = -ECONNABORTED;
	if (c.tls)
		gnutls_deinit(c.tls);
	close(c.fd);
	if (req.buf)
		explicit_bzero(req.buf, req.len);	/* the password, in base64 */
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
