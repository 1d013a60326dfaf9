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

enum MHD_Result reply_snapshot_bytes(struct MHD_Connection *conn, struct snapshot *s,
				     const char *type, const char *body, size_t len, bool gz)
{
	struct MHD_Response *resp;
	enum MHD_Result r;

	/* The body points into the snapshot, which the response keeps alive. */
	resp = MHD_create_response_from_buffer_with_free_callback_cls(
		len, (void *)body, unref_snapshot, s);
	if (!resp) {
		snapshot_unref(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	if (gz)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	r = reply_queue(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return r;
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
