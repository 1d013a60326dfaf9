/* SPDX-License-Identifier: GPL-2.0-only */
/* The JSON API under /api/v1/, served from the current snapshot. */
#ifndef CGSCOPE_JSON_API_H
#define CGSCOPE_JSON_API_H

#include <microhttpd.h>

#include "http/http_server.h"

/* Answers any URL below /api/; unknown ones get a JSON 404. */
enum MHD_Result json_api_handle(const struct http_server_opts *opts,
				struct MHD_Connection *conn, const char *url);

#endif
