// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_reply.h"
#include "json/json_writer.h"

#define GZIP_MIN 1024

void reply_add_headers(struct MHD_Connection *conn, struct MHD_Response *resp)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	const struct reply_headers *h = ci ? ci->socket_context : NULL;

	for (size_t i = 0; h && i < h->n; i++)
		MHD_add_response_header(resp, h->v[i].name, h->v[i].value);
}

enum MHD_Result reply_queue(struct MHD_Connection *conn, unsigned status, struct MHD_Response *resp)
{
	reply_add_headers(conn, resp);
	return MHD_queue_response(conn, status, resp);
}

static enum MHD_Result queue_encoded(struct MHD_Connection *conn, unsigned status,
				     const char *type, char *body, size_t len, bool gz, bool vary)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result r;

	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (gz)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	if (vary)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	r = reply_queue(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result queue(struct MHD_Connection *conn, unsigned status,
			     const char *type, char *body, size_t len)
{
	return queue_encoded(conn, status, type, body, len, false, false);
}

bool reply_wants_gzip(struct MHD_Connection *conn)
{
	const char *ae = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_ACCEPT_ENCODING);
	const char *p;

	if (!ae || !(p = strstr(ae, "gzip")))
		return false;
	p += 4;
	while (*p == ' ')
		p++;
	if (*p != ';')
		return true;
	p++;
	while (*p == ' ')
		p++;
	if (*p != 'q' || p[1] != '=')
		return true;
	return strtod(p + 2, NULL) > 0;
}

static void unref_snapshot(void *cls)
{
	snapshot_unref(cls);
}

static enum MHD_Result queue_snapshot(struct MHD_Connection *conn, struct MHD_Response *resp,
				      const char *type, bool gz)
{
	enum MHD_Result r;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	if (gz)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	r = reply_queue(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return r;
}

/* A page's text for a client that does not take gzip: inflated while it is
 * sent, into the response's own block. */
struct page_body {
	struct snapshot *s;
	struct page_reader rd;
};

static ssize_t page_body_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct page_body *b = cls;
	ssize_t n = page_reader_read(&b->rd, buf, max);

	(void)pos;	/* MHD asks in order, and no further than the length */
	return n > 0 ? n : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void page_body_free(void *cls)
{
	struct page_body *b = cls;

	page_reader_close(&b->rd);
	snapshot_unref(b->s);
	free(b);
}

/* The block MHD fills from page_body_read, allocated with each response. */
#define PAGE_BODY_BLOCK (64 * 1024)

enum MHD_Result reply_snapshot_page(struct MHD_Connection *conn, struct snapshot *s,
				    const char *type, const struct zpage *p, enum page_part part,
				    bool gz)
{
	struct MHD_Response *resp;
	struct page_body *b;

	if (gz && part == PAGE_ALL) {
		resp = MHD_create_response_from_buffer_with_free_callback_cls(
			p->gz_len, p->gz, unref_snapshot, s);
		if (!resp)
			snapshot_unref(s);
		return queue_snapshot(conn, resp, type, true);
	}
	if (gz) {
		/* The part's own gzip: the page's header, the part's deflate
		 * data, its own trailer; nothing copied. */
		const struct MHD_IoVec iov[3] = {
			{ p->gz, GZIP_HEADER_LEN },
			{ p->gz + p->part[part].zoff, p->gz_len - GZIP_TRAILER_LEN - p->part[part].zoff },
			{ p->part[part].trailer, GZIP_TRAILER_LEN },
		};

		resp = MHD_create_response_from_iovec(iov, 3, unref_snapshot, s);
		if (!resp)
			snapshot_unref(s);
		return queue_snapshot(conn, resp, type, true);
	}
	b = calloc(1, sizeof(*b));
	if (!b || page_reader_open(&b->rd, p, part) < 0) {
		free(b);
		snapshot_unref(s);
		return MHD_NO;
	}
	b->s = s;
	resp = MHD_create_response_from_callback(p->part[part].len, PAGE_BODY_BLOCK, page_body_read,
						 b, page_body_free);
	if (!resp)
		page_body_free(b);
	return queue_snapshot(conn, resp, type, false);
}

enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status,
			   const char *type, const char *body)
{
	char *copy = strdup(body);

	return copy ? queue(conn, status, type, copy, strlen(copy)) : MHD_NO;
}

enum MHD_Result reply_json(struct MHD_Connection *conn, unsigned status, struct strbuf *sb)
{
	size_t len;
	char *text = sb_error(sb) == 0 ? sb_steal(sb, &len) : NULL;

	char *gz;
	size_t gzlen;

	sb_free(sb);
	if (!text)
		return MHD_NO;
	/* A list made for this request alone (a filter, events) is
	 * compressed for it alone; a short answer is not worth it. */
	if (len >= GZIP_MIN && reply_wants_gzip(conn) && gzip_buf(text, len, &gz, &gzlen) == 0) {
		free(text);
		return queue_encoded(conn, status, "application/json", gz, gzlen, true, true);
	}
	return queue_encoded(conn, status, "application/json", text, len, false, len >= GZIP_MIN);
}

enum MHD_Result reply_error(struct MHD_Connection *conn, unsigned status,
			    const char *fmt, ...)
{
	struct strbuf sb = {0};
	struct json_writer w = json_writer_on(&sb);
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jw_object(&w);
	jw_key(&w, "error");
	jw_string(&w, msg);
	jw_object_end(&w);
	return reply_json(conn, status, &sb);
}
