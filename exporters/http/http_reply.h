/* SPDX-License-Identifier: GPL-2.0-only */
/* Queuing responses: every one with a Content-Type. */
#ifndef CGSCOPE_HTTP_REPLY_H
#define CGSCOPE_HTTP_REPLY_H

#include <microhttpd.h>

#include "lib/strbuf.h"

enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status,
			   const char *type, const char *body);
/* Sends sb's bytes (json_writer.h) and takes them: sb is empty after.
 * MHD_NO when sb ran out of memory. */
enum MHD_Result reply_json(struct MHD_Connection *conn, unsigned status, struct strbuf *sb);
/* {"error": "..."} with the status. */
enum MHD_Result reply_error(struct MHD_Connection *conn, unsigned status,
			    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
