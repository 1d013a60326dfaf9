// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_reply.h"

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

enum MHD_Result reply_json(struct MHD_Connection *conn, unsigned status, cJSON *doc)
{
	char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;

	cJSON_Delete(doc);
	if (!text)
		return MHD_NO;
	return queue(conn, status, "application/json", text, strlen(text));
}

enum MHD_Result reply_error(struct MHD_Connection *conn, unsigned status,
			    const char *fmt, ...)
{
	cJSON *doc = cJSON_CreateObject();
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cJSON_AddStringToObject(doc, "error", msg);
	return reply_json(conn, status, doc);
}
