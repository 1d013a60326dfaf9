// SPDX-License-Identifier: GPL-2.0-only
/* The HTTP client of `cgscope top --url`: URLs, responses (Content-Length,
 * chunked, to EOF, cut short), and GETs against a canned server on a
 * loopback port, a silent one included (the timeout). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "top/http_get.h"
#include "lib/macros.h"

static void test_url(void **state)
{
	struct http_url u;

	(void)state;
	assert_int_equal(http_url_parse("http://127.0.0.1:9753", &u), 0);
	assert_string_equal(u.host, "127.0.0.1");
	assert_string_equal(u.port, "9753");
	assert_string_equal(u.base, "");
	assert_int_equal(http_url_parse("http://agent.example/", &u), 0);
	assert_string_equal(u.host, "agent.example");
	assert_string_equal(u.port, "80");
	assert_string_equal(u.base, "");
	assert_int_equal(http_url_parse("HTTP://[::1]:80/cgscope//", &u), 0);
	assert_string_equal(u.host, "::1");
	assert_string_equal(u.base, "/cgscope");
	assert_false(u.https);
	assert_string_equal(u.auth, "");
	assert_int_equal(http_url_parse("https://h:1", &u), 0);
	assert_true(u.https);
	assert_int_equal(http_url_parse("HTTPS://h", &u), 0);
	assert_string_equal(u.port, "443");
	assert_int_equal(http_url_parse("h:1", &u), -EINVAL);
	assert_int_equal(http_url_parse("ftp://h:1", &u), -EINVAL);
	assert_int_equal(http_url_parse("http://", &u), -EINVAL);
	assert_int_equal(http_url_parse("http://h:", &u), -EINVAL);
	assert_int_equal(http_url_parse("http://h:0", &u), -EINVAL);
	assert_int_equal(http_url_parse("http://h:65536", &u), -EINVAL);
	assert_int_equal(http_url_parse("http://h:1x", &u), -EINVAL);
	assert_int_equal(http_url_parse("http://[::1", &u), -EINVAL);
	assert_int_equal(http_url_parse("http://[::1]x", &u), -EINVAL);
	assert_int_equal(http_url_parse("http://h/x?y", &u), -EINVAL);
}

/* User info: percent-decoded, the last '@' before the path ends it, and
 * never shown. */
static void test_url_userinfo(void **state)
{
	struct http_url u;
	char shown[256];

	(void)state;
	assert_int_equal(http_url_parse("http://alice:s3cret@127.0.0.1:9753/base", &u), 0);
	assert_string_equal(u.auth, "alice:s3cret");
	assert_string_equal(u.host, "127.0.0.1");
	assert_string_equal(u.port, "9753");
	http_url_display(&u, shown, sizeof(shown));
	assert_string_equal(shown, "http://alice@127.0.0.1:9753/base");
	assert_int_equal(http_url_parse("https://al%69ce:p%40ss%3Aw@rd@[::1]:1", &u), 0);
	assert_string_equal(u.auth, "alice:p@ss:w@rd");
	assert_string_equal(u.host, "::1");
	http_url_display(&u, shown, sizeof(shown));
	assert_string_equal(shown, "https://alice@[::1]:1");
	/* A user alone: an empty password, as curl reads it. */
	assert_int_equal(http_url_parse("http://user@h", &u), 0);
	assert_string_equal(u.auth, "user:");
	assert_string_equal(u.host, "h");
	/* An '@' in the path is not user info. */
	assert_int_equal(http_url_parse("http://h:1/a@b", &u), 0);
	assert_string_equal(u.auth, "");
	assert_string_equal(u.base, "/a@b");
	assert_int_equal(http_url_parse("http://@h", &u), -EINVAL);
	assert_int_equal(http_url_parse("http://:pw@h", &u), -EINVAL);
	assert_int_equal(http_url_parse("http://a:%4@h", &u), -EINVAL);
	assert_int_equal(http_url_parse("http://a:%zz@h", &u), -EINVAL);
	assert_int_equal(http_url_parse("http://a:%00@h", &u), -EINVAL);
	assert_int_equal(http_url_parse("http://a:b@", &u), -EINVAL);
}

static void parse_ok(const char *raw, int status, const char *body)
{
	struct http_response r;

	assert_int_equal(http_parse_response(raw, strlen(raw), &r), 0);
	assert_int_equal(r.status, status);
	assert_int_equal(r.body_len, strlen(body));
	assert_string_equal(r.body, body);
	http_response_free(&r);
}

static void parse_bad(const char *raw)
{
	struct http_response r;

	assert_int_equal(http_parse_response(raw, strlen(raw), &r), -EPROTO);
}

static void test_response(void **state)
{
	(void)state;
	parse_ok("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 200, "hello");
	/* Bytes past Content-Length are not the body. */
	parse_ok("HTTP/1.1 200 OK\r\ncontent-length:2\r\n\r\nhello", 200, "he");
	parse_ok("HTTP/1.0 404 Not Found\r\nX: y\r\n\r\n{\"error\":1}", 404, "{\"error\":1}");
	parse_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		 "4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\n\r\n",
		 200, "Wikipedia in \r\n\r\nchunks.");
	parse_ok("HTTP/1.1 204 No Content\r\n\r\n", 204, "");
	parse_bad("");
	parse_bad("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n");	/* headers not ended */
	parse_bad("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhello");	/* cut short */
	parse_bad("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nhello");
	parse_bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
	parse_bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
	parse_bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n");
	parse_bad("SSH-2.0-OpenSSH\r\n\r\n");
	parse_bad("HTTP/1.1 20 OK\r\n\r\n");
}

/* A server on a loopback port that answers one connection with reply, or
 * holds it silent when reply is NULL. */
struct server {
	int fd;
	char port[8];
	const char *reply;
	char request[2048];
	pthread_t thread;
};

static void *serve(void *arg)
{
	struct server *s = arg;
	int c = accept(s->fd, NULL, NULL);
	size_t n = 0;

	if (c < 0)
		return NULL;
	while (n < sizeof(s->request) - 1 && !strstr(s->request, "\r\n\r\n")) {
		ssize_t r = read(c, s->request + n, sizeof(s->request) - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (s->reply)
		(void)!write(c, s->reply, strlen(s->reply));
	else
		usleep(500000);
	close(c);
	return NULL;
}

static void server_start(struct server *s, const char *reply)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);

	memset(s, 0, sizeof(*s));
	s->reply = reply;
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->fd, 1), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &al), 0);
	snprintf(s->port, sizeof(s->port), "%u", ntohs(a.sin_port));
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
	pthread_join(s->thread, NULL);
	close(s->fd);
}

static void test_get(void **state)
{
	struct http_response r;
	struct http_url u;
	struct server s;
	char url[64];

	(void)state;
	server_start(&s, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			 "Content-Length: 11\r\n\r\n{\"a\":\"b\"}\r\n");
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/base", s.port);
	assert_int_equal(http_url_parse(url, &u), 0);
	assert_int_equal(http_get(&u, "/api/v1/cgroups?x=1", 2000, 1 << 20, &r), 0);
	server_stop(&s);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"a\":\"b\"}\r\n");
	http_response_free(&r);
	assert_non_null(strstr(s.request, "GET /base/api/v1/cgroups?x=1 HTTP/1.1\r\n"));
	assert_non_null(strstr(s.request, "\r\nConnection: close\r\n"));
	assert_non_null(strstr(s.request, "\r\nHost: 127.0.0.1:"));
	assert_null(strstr(s.request, "Authorization"));

	/* Basic auth: "Aladdin:open sesame" is RFC 7617's example; the lengths
	 * 1, 2 and 3 mod 3 of base64's padding too. */
	static const struct { const char *auth, *header; } auths[] = {
		{ "Aladdin:open sesame", "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n" },
		{ "a:", "Authorization: Basic YTo=\r\n" },
		{ "ab:c", "Authorization: Basic YWI6Yw==\r\n" },
		{ "abc:de", "Authorization: Basic YWJjOmRl\r\n" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(auths); i++) {
		server_start(&s, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
		snprintf(url, sizeof(url), "http://127.0.0.1:%s", s.port);
		assert_int_equal(http_url_parse(url, &u), 0);
		strcpy(u.auth, auths[i].auth);
		assert_int_equal(http_get(&u, "/", 2000, 1 << 20, &r), 0);
		server_stop(&s);
		assert_int_equal(r.status, 401);
		http_response_free(&r);
		if (!strstr(s.request, auths[i].header))
			fail_msg("want %s in\n%s", auths[i].header, s.request);
	}

	/* Bigger than the caller allows. */
	server_start(&s, "HTTP/1.1 200 OK\r\n\r\n0123456789");
	snprintf(url, sizeof(url), "http://127.0.0.1:%s", s.port);
	assert_int_equal(http_url_parse(url, &u), 0);
	assert_int_equal(http_get(&u, "/", 2000, 4, &r), -EFBIG);
	server_stop(&s);

	/* A server that says nothing: the deadline ends the wait. */
	server_start(&s, NULL);
	snprintf(url, sizeof(url), "http://127.0.0.1:%s", s.port);
	assert_int_equal(http_url_parse(url, &u), 0);
	assert_int_equal(http_get(&u, "/", 100, 1 << 20, &r), -ETIMEDOUT);
	server_stop(&s);

	/* Nobody listening. */
	assert_int_equal(http_get(&u, "/", 1000, 1 << 20, &r), -ECONNREFUSED);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_url_userinfo),
		cmocka_unit_test(test_response),
		cmocka_unit_test(test_get),
	};

	return UNIT_RUN("http_get", tests, argc, argv);
}
