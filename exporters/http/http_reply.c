// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_reply.h"
#include "json/json_writer.h"

static enum MHD_Result queue(struct MHD_Connection *conn, unsigned status,
			     const char *type, char *body, size_t len)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result r;

	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	r = MHD_queue_response(conn, status, resp);
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

	sb_free(sb);
	if (!text)
		return MHD_NO;
	return queue(conn, status, "application/json", text, len);
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
