// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events/event_format.h"
#include "http/event_stream.h"
#include "http/http_reply.h"
#include "json/json_writer.h"
#include "lib/utf8.h"
#include "lib/clock.h"
#include "lib/units.h"

#define LIST_MAX 10000		/* events one /api/v1/events answer holds at most */
/* A comment line after this long without a write: keeps proxies from
 * timing the stream out, and finds clients that are gone. Each client's
 * own silence counts, from the moment it connected. */
#define KEEPALIVE_MS 15000

struct client {
	struct client *prev, *next;
	struct event_stream *st;
	struct MHD_Connection *conn;
	uint64_t next_seq;		/* send events after this one */
	uint32_t mask;
	bool suspended, closing;
	int64_t last_write_ms;		/* monotonic */
	char *pending;			/* formatted, not yet handed to MHD */
	size_t pending_len, pending_off;
};

struct event_stream {
	struct event_ring *ring;
	pthread_mutex_t lock;		/* the client list and their flags */
	struct client head;
	pthread_t thread;
	bool stop;
	uint64_t seen_seq;
};

static const char *arg(struct MHD_Connection *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
}

static int parse_filters(struct MHD_Connection *conn, uint32_t *ret_mask, char *err, size_t errsize)
{
	const char *types = arg(conn, "type");

	*ret_mask = 0;
	if (types && event_type_mask_parse(types, ret_mask) < 0) {
		snprintf(err, errsize, "unknown event type in '%s': want names such as migration, mkdir, rmdir, "
			 "oom_kill, throttle, or groups lifecycle, freezer, oom, throttling", types);
		return -EINVAL;
	}
	return 0;
}

/* A string that may not be UTF-8 (a cgroup name is bytes): cJSON passes
 * bytes through, and a JSON text must be UTF-8: lib/utf8.h's escape. */
static void add_text(cJSON *o, const char *key, const char *text)
{
	size_t len = strlen(text);
	struct strbuf sb = {0};

	if (!utf8_needs_escape(text, len)) {
		cJSON_AddStringToObject(o, key, text);
		return;
	}
	utf8_escape(&sb, text, len);
	cJSON_AddStringToObject(o, key, sb.buf ? sb.buf : "");
	sb_free(&sb);
}

/* The wall-clock time of an entry, as the ring keeps it. */
static cJSON *entry_json(const struct event_ring_entry *e)
{
	cJSON *o = event_to_json(&e->ev, e->seq, e->wall_ns);

	/* A path that is not UTF-8 would make the document invalid. */
	if (o && cJSON_GetObjectItemCaseSensitive(o, "path")) {
		cJSON_DeleteItemFromObjectCaseSensitive(o, "path");
		add_text(o, "path", e->ev.path);
	}
	return o;
}

enum MHD_Result event_stream_list(struct event_ring *ring, struct MHD_Connection *conn)
{
	const char *since_s = arg(conn, "since"), *limit_s = arg(conn, "limit");
	uint64_t since = 0, limit = 1000, next, first = 0, last = 0;
	struct event_ring_entry *buf;
	struct strbuf sb = {0};
	struct json_writer w = json_writer_on(&sb);
	uint32_t mask;
	char err[256];
	size_t n;

	if (!ring)
		return reply_error(conn, MHD_HTTP_NOT_FOUND, "no event source");
	if (since_s && parse_uint(since_s, 0, UINT64_MAX, &since) < 0)
		return reply_error(conn, MHD_HTTP_BAD_REQUEST, "since must be a sequence number, not '%s'", since_s);
	if (limit_s && parse_uint(limit_s, 1, LIST_MAX, &limit) < 0)
		return reply_error(conn, MHD_HTTP_BAD_REQUEST, "limit must be from 1 to %d, not '%s'",
				   LIST_MAX, limit_s);
	if (parse_filters(conn, &mask, err, sizeof(err)) < 0)
		return reply_error(conn, MHD_HTTP_BAD_REQUEST, "%s", err);
	buf = malloc(sizeof(*buf) * limit);
	if (!buf)
		return reply_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	n = event_ring_read(ring, since, mask, limit, buf, &next);
	event_ring_bounds(ring, &first, &last);
	/* Each event is a small cJSON object, printed and freed before the
	 * next; the list around them is written as it goes, so that LIST_MAX
	 * events are never a tree all at once. */
	jw_object(&w);
	jw_key(&w, "events");
	jw_array(&w);
	for (size_t i = 0; i < n; i++) {
		cJSON *o = entry_json(&buf[i]);
		char *text = o ? cJSON_PrintUnformatted(o) : NULL;

		cJSON_Delete(o);
		if (!text) {
			sb_fail(&sb);	/* out of memory: no half list */
			break;
		}
		jw_raw(&w, text, strlen(text));
		cJSON_free(text);
	}
	jw_array_end(&w);
	/* Where to ask from next: after the last entry looked at. */
	jw_key(&w, "next_seq");
	jw_u64(&w, next > since ? next : since);
	jw_key(&w, "first_seq");
	jw_u64(&w, first);
	jw_key(&w, "last_seq");
	jw_u64(&w, last);
	/* Events the ring no longer holds between since and the oldest kept. */
	jw_key(&w, "missed");
	jw_u64(&w, first > since + 1 ? first - since - 1 : 0);
	jw_object_end(&w);
	free(buf);
	return reply_json(conn, MHD_HTTP_OK, &sb);
}

/* Formats what is waiting for c into c->pending; the stream's lock is held
 * for the client's fields, not for the ring (which has its own). */
static void fill_pending(struct client *c)
{
	struct event_ring_entry e[32];
	uint64_t missed = 0, since = c->next_seq;
	size_t n = event_ring_read_missed(c->st->ring, c->next_seq, c->mask, 32, e, &c->next_seq,
					  &missed);
	size_t cap = 0, len = 0;
	char *out = NULL;

	/* A client slower than the events lost the oldest: what it holds is
	 * bounded (the ring, and at most 32 formatted events here), never its
	 * backlog. It is told, with a gap event (no id: Last-Event-ID stays the
	 * last event it got) before the first event after the gap. */
	if (missed) {
		cap = 256;
		out = malloc(cap);
		if (out)
			len = (size_t)snprintf(out, cap,
					       ": %llu events skipped: this client fell behind\n"
					       "event: gap\ndata: {\"type\":\"gap\",\"missed\":%llu,"
					       "\"after_seq\":%llu,\"resume_seq\":%llu}\n\n",
					       (unsigned long long)missed, (unsigned long long)missed,
					       (unsigned long long)since,
					       (unsigned long long)(since + missed + 1));
		else
			cap = 0;
	}

	for (size_t i = 0; i < n; i++) {
		cJSON *o = entry_json(&e[i]);
		char *text = o ? cJSON_PrintUnformatted(o) : NULL;
		size_t need;

		cJSON_Delete(o);
		if (!text)
			continue;
		need = strlen(text) + 96;
		if (len + need > cap) {
			char *p = realloc(out, cap = (len + need) * 2);
			if (!p) {
				cJSON_free(text);
				break;
			}
			out = p;
		}
		len += (size_t)snprintf(out + len, cap - len, "id: %llu\nevent: %s\ndata: %s\n\n",
					(unsigned long long)e[i].seq, event_type_name(e[i].ev.type), text);
		cJSON_free(text);
	}
	if (!len) {
		free(out);
		out = NULL;
	}
	c->pending = out;
	c->pending_len = len;
	c->pending_off = 0;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct client *c = cls;
	struct event_stream *st = c->st;
	size_t n;

	(void)pos;
	pthread_mutex_lock(&st->lock);
	if (c->closing) {
		pthread_mutex_unlock(&st->lock);
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	if (!c->pending)
		fill_pending(c);
	if (!c->pending && clock_ms(CLOCK_MONOTONIC) - c->last_write_ms >= KEEPALIVE_MS) {
		/* A comment line: keeps proxies from timing out, and a write
		 * to a gone client ends the stream. */
		c->pending = strdup(": keep-alive\n\n");
		c->pending_len = c->pending ? strlen(c->pending) : 0;
		c->pending_off = 0;
	}
	if (!c->pending) {
		/* Nothing to send: out of MHD's loop until woken. */
		c->suspended = true;
		MHD_suspend_connection(c->conn);
		pthread_mutex_unlock(&st->lock);
		return 0;
	}
	n = c->pending_len - c->pending_off;
	if (n > max)
		n = max;
	memcpy(buf, c->pending + c->pending_off, n);
	c->pending_off += n;
	if (c->pending_off == c->pending_len) {
		free(c->pending);
		c->pending = NULL;
	}
	c->last_write_ms = clock_ms(CLOCK_MONOTONIC);
	pthread_mutex_unlock(&st->lock);
	return (ssize_t)n;
}

static void client_free(void *cls)
{
	struct client *c = cls;
	struct event_stream *st = c->st;

	pthread_mutex_lock(&st->lock);
	c->prev->next = c->next;
	c->next->prev = c->prev;
	pthread_mutex_unlock(&st->lock);
	free(c->pending);
	free(c);
}

/* Resumes suspended clients: every one (events came; with closing, all
 * end), or with due only those whose keep-alive is due. A suspended
 * connection cannot be closed, so those taken off under the lock stay
 * valid until resumed here, outside it: libmicrohttpd takes locks of its
 * own in MHD_resume_connection. Returns, for due, in how many ms the next
 * suspended client's keep-alive is due (KEEPALIVE_MS if none). */
static int64_t resume(struct event_stream *st, bool closing, bool due)
{
	int64_t next = KEEPALIVE_MS;

	for (;;) {
		struct MHD_Connection *batch[64];
		int64_t now = clock_ms(CLOCK_MONOTONIC);
		size_t n = 0;

		pthread_mutex_lock(&st->lock);
		for (struct client *c = st->head.next; c != &st->head && n < 64; c = c->next) {
			int64_t left = c->last_write_ms + KEEPALIVE_MS - now;

			if (closing)
				c->closing = true;
			if (!c->suspended)
				continue;
			if (due && left > 0) {
				if (left < next)
					next = left;
				continue;
			}
			c->suspended = false;
			batch[n++] = c->conn;
		}
		pthread_mutex_unlock(&st->lock);
		for (size_t i = 0; i < n; i++)
			MHD_resume_connection(batch[i]);
		if (n < 64)
			return next;
	}
}

static void resume_all(struct event_stream *st, bool closing)
{
	resume(st, closing, false);
}

/* Resumes suspended clients when events came, and each when its
 * keep-alive is due: it waits for the ring until the next one is. */
static void *waker(void *arg)
{
	struct event_stream *st = arg;
	int64_t wait_ms = 1000;

	for (;;) {
		uint64_t last = 0;
		int r = event_ring_wait(st->ring, st->seen_seq, (int)wait_ms);

		event_ring_bounds(st->ring, NULL, &last);
		pthread_mutex_lock(&st->lock);
		if (st->stop) {
			pthread_mutex_unlock(&st->lock);
			return NULL;
		}
		st->seen_seq = last;
		pthread_mutex_unlock(&st->lock);
		if (r > 0)
			resume_all(st, false);
		/* A client that connected since is not seen here until the
		 * next turn: never wait more than a second. */
		wait_ms = resume(st, false, true);
		if (wait_ms > 1000)
			wait_ms = 1000;
		if (wait_ms < 1)
			wait_ms = 1;
		if (r == -ESHUTDOWN)
			return NULL;
	}
}

int event_stream_start(struct event_ring *ring, struct event_stream **ret)
{
	struct event_stream *st = calloc(1, sizeof(*st));
	int r;

	if (!st)
		return -ENOMEM;
	st->ring = ring;
	st->head.prev = st->head.next = &st->head;
	pthread_mutex_init(&st->lock, NULL);
	event_ring_bounds(ring, NULL, &st->seen_seq);
	r = pthread_create(&st->thread, NULL, waker, st);
	if (r) {
		free(st);
		return -r;
	}
	*ret = st;
	return 0;
}

void event_stream_stop(struct event_stream *st)
{
	if (!st)
		return;
	pthread_mutex_lock(&st->lock);
	st->stop = true;
	pthread_mutex_unlock(&st->lock);
	pthread_join(st->thread, NULL);
	resume_all(st, true);
	/* The clients are freed by MHD as their connections end. */
}

void event_stream_free(struct event_stream *st)
{
	if (!st)
		return;
	pthread_mutex_destroy(&st->lock);
	free(st);
}

enum MHD_Result event_stream_serve(struct event_stream *st, struct MHD_Connection *conn)
{
	const char *since_s = arg(conn, "since");
	const char *last_id = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Last-Event-ID");
	struct MHD_Response *resp;
	struct client *c;
	uint64_t since;
	char err[256];
	enum MHD_Result r;

	if (!st)
		return reply_error(conn, MHD_HTTP_NOT_FOUND, "no event source");
	c = calloc(1, sizeof(*c));
	if (!c)
		return MHD_NO;
	if (parse_filters(conn, &c->mask, err, sizeof(err)) < 0) {
		free(c);
		return reply_error(conn, MHD_HTTP_BAD_REQUEST, "%s", err);
	}
	/* A reconnecting client resumes after the last event it saw; a new one
	 * starts with what comes next, unless it asks for ?since=. */
	if (last_id && parse_uint(last_id, 0, UINT64_MAX, &since) == 0)
		c->next_seq = since;
	else if (since_s && parse_uint(since_s, 0, UINT64_MAX, &since) == 0)
		c->next_seq = since;
	else if (since_s || last_id) {
		free(c);
		return reply_error(conn, MHD_HTTP_BAD_REQUEST, "since and Last-Event-ID are sequence numbers");
	} else
		event_ring_bounds(st->ring, NULL, &c->next_seq);
	c->st = st;
	c->conn = conn;
	c->last_write_ms = clock_ms(CLOCK_MONOTONIC);
	/* A first comment at once: the status line and headers go out with
	 * it (libmicrohttpd holds them until there is a body to send), so a
	 * client knows the stream is open without waiting for an event. */
	c->pending = strdup(": connected\n\n");
	c->pending_len = c->pending ? strlen(c->pending) : 0;
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, c, client_free);
	if (!resp) {
		free(c);
		return MHD_NO;
	}
	pthread_mutex_lock(&st->lock);
	c->next = &st->head;
	c->prev = st->head.prev;
	st->head.prev->next = c;
	st->head.prev = c;
	pthread_mutex_unlock(&st->lock);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	r = reply_queue(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return r;
}
