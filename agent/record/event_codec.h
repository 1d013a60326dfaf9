/* SPDX-License-Identifier: GPL-2.0-only */
/* Kernel events as the payload of a frame, and back: each event whole
 * (struct cgscope_event, field by field, strings by their length), with its
 * sequence number and wall-clock time, as the agent's ring had them. Pure. */
#ifndef CGSCOPE_RECORD_EVENT_CODEC_H
#define CGSCOPE_RECORD_EVENT_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "events/event_ring.h"
#include "lib/strbuf.h"

/* n events into raw (emptied first). 0 or -ENOMEM. */
int events_encode(const struct event_ring_entry *e, size_t n, struct strbuf *raw);

/* Calls fn for each event of a payload, in order, until it returns non-zero
 * (returned). 0 when all were read; -EBADMSG when the payload is malformed
 * (fn saw the events before the damage). */
int events_decode(const uint8_t *raw, size_t len,
		  int (*fn)(void *ctx, const struct event_ring_entry *e), void *ctx);

#endif
