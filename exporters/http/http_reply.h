/* SPDX-License-Identifier: GPL-2.0-only */
/* Queuing responses: every one with a Content-Type. */
#ifndef CGSCOPE_HTTP_REPLY_H
#define CGSCOPE_HTTP_REPLY_H

#include <stdbool.h>
#include <microhttpd.h>

#include "collect/snapshot.h"

#include "lib/strbuf.h"
#include "http/web_config.h"

/* The headers every response carries (http_server_config.headers). The
 * server keeps them as the first member of each connection's socket
 * context, set when a request's headers are in. */
struct reply_headers {
	const struct web_header *v;
	size_t n;
};

/* Adds the connection's configured headers to resp. */
void reply_add_headers(struct MHD_Connection *conn, struct MHD_Response *resp);
/* MHD_queue_response with the configured headers: every response goes
 * through here. */
enum MHD_Result reply_queue(struct MHD_Connection *conn, unsigned status, struct MHD_Response *resp);

enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status,
			   const char *type, const char *body);
/* Sends sb's bytes (json_writer.h) and takes them: sb is empty after.
 * MHD_NO when sb ran out of memory. */
enum MHD_Result reply_json(struct MHD_Connection *conn, unsigned status, struct strbuf *sb);
/* Does the client accept gzip (Accept-Encoding, a q=0 weight refusing)? */
bool reply_wants_gzip(struct MHD_Connection *conn);
/* 200 with part of a page p kept in s (collect/snapshot.h: its Prometheus
 * page, or a cached form), which is compressed: sent as kept when gz
 * (Content-Encoding: gzip), else inflated a block at a time while it is
 * sent. Takes the caller's reference to s, which the response keeps until
 * sent. Vary: Accept-Encoding either way. */
enum MHD_Result reply_snapshot_page(struct MHD_Connection *conn, struct snapshot *s,
				    const char *type, const struct zpage *p, enum page_part part,
				    bool gz);
/* {"error": "..."} with the status. */
enum MHD_Result reply_error(struct MHD_Connection *conn, unsigned status,
			    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
