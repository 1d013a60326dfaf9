/* SPDX-License-Identifier: GPL-2.0-only */
/* The frames of a segment's bytes, in order, cycles decoded as a reader
 * decodes them: a keyframe starts a group, a delta applies only to the
 * cycle just before it, so that damage costs the rest of its group and no
 * more. Pure, over a buffer: what the unit tests and the fuzz target check
 * the store's promise with. */
#ifndef CGSCOPE_RECORD_SEGMENT_WALK_H
#define CGSCOPE_RECORD_SEGMENT_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "lib/strbuf.h"
#include "record/cycle_codec.h"
#include "record/frame.h"

/* For each whole frame: its header and offset, and for a cycle frame
 * whether it decoded (dec then holds it); for an events frame, how many
 * events it held (-1 when they did not decode). A non-zero return stops
 * the walk and is returned. */
typedef int (*segment_walk_fn)(void *ctx, const struct frame_header *h, size_t off, int ok,
			       const struct cycle_state *dec);

/* 0 (or fn's stop), -ENOMEM; *ret_skipped (may be NULL) the bytes that
 * were not frames. */
int segment_walk(const uint8_t *buf, size_t len, struct cycle_state *dec, struct strbuf *scratch,
		 segment_walk_fn fn, void *ctx, uint64_t *ret_skipped);

#endif
