/* SPDX-License-Identifier: GPL-2.0-only */
/* /api/v1/events (the recent-events ring as JSON) and
 * /api/v1/events/stream (Server-Sent Events as they happen). */
#ifndef CGSCOPE_EVENT_STREAM_H
#define CGSCOPE_EVENT_STREAM_H

#include <microhttpd.h>

#include "events/event_ring.h"

struct event_stream;

/* Wakes suspended stream readers when events come, and every few seconds to
 * send a keep-alive comment (which is also how a gone client is noticed). */
int event_stream_start(struct event_ring *ring, struct event_stream **ret);
/* Resumes every stream and makes them end: before MHD_stop_daemon. */
void event_stream_stop(struct event_stream *st);
/* After MHD_stop_daemon, which frees the clients. */
void event_stream_free(struct event_stream *st);

enum MHD_Result event_stream_list(struct event_ring *ring, struct MHD_Connection *conn);
enum MHD_Result event_stream_serve(struct event_stream *st, struct MHD_Connection *conn);

#endif
