/* SPDX-License-Identifier: GPL-2.0-only */
/* The unit of the store on disk: a frame, a fixed header and a payload.
 *
 *   offset  size  field
 *    0      4     magic "CGRF"
 *    4      1     type: segment, keyframe, delta, events
 *    5      1     codec: 0 raw, 1 deflate (zlib, raw stream)
 *    6      2     0
 *    8      4     payload length as stored
 *   12      4     payload length once inflated
 *   16      8     time, ms since the epoch (signed)
 *   24      8     sequence: cycle frames count up by one, so that a delta
 *                 frame knows the frame it applies to is the one before it
 *   32      4     crc32 (zlib) of the stored payload
 *   36      4     crc32 of bytes 0..35
 *
 * Integers are little-endian. The header has a checksum of its own so that a
 * damaged length is never believed: a reader that finds a bad header looks
 * for the next good one byte by byte (resync), and checking a candidate costs
 * 40 bytes of crc, not a payload's. Pure functions over buffers: the store,
 * the unit tests and the fuzz target call the same code. */
#ifndef CGSCOPE_RECORD_FRAME_H
#define CGSCOPE_RECORD_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "lib/strbuf.h"

#define FRAME_MAGIC 0x46524743u		/* "CGRF" as little-endian bytes */
#define FRAME_HEADER_SIZE 40
/* A payload this large is damage, not a cycle: 10,000 cgroups with every
 * controller make a keyframe of some 10 MB before compression. */
#define FRAME_MAX_PAYLOAD (256u << 20)

enum frame_type {
	FRAME_SEGMENT = 1,	/* first in each segment file: who wrote it, when */
	FRAME_KEY = 2,		/* a whole cycle */
	FRAME_DELTA = 3,	/* a cycle as differences from the cycle before */
	FRAME_EVENTS = 4,	/* kernel events, each whole */
};

enum frame_codec { FRAME_RAW = 0, FRAME_DEFLATE = 1 };

struct frame_header {
	uint8_t type, codec;
	uint32_t len, raw_len;
	int64_t time_ms;
	uint64_t seq;
	uint32_t crc;
};

static inline int frame_is_cycle(uint8_t type)
{
	return type == FRAME_KEY || type == FRAME_DELTA;
}

/* The header of h into out[FRAME_HEADER_SIZE], its checksum included. */
void frame_header_write(const struct frame_header *h, uint8_t *out);

/* The header at buf: 0, -ENODATA when len < FRAME_HEADER_SIZE, -EBADMSG
 * when it is not a header (magic, checksum, codec, lengths). */
int frame_header_read(const uint8_t *buf, size_t len, struct frame_header *ret);

/* A whole frame at buf[0..len): its header, and 0; -ENODATA when the
 * header is good but the payload runs past len (a torn tail, or more to
 * read); -EBADMSG when the header or the payload's checksum is bad. */
int frame_check(const uint8_t *buf, size_t len, struct frame_header *ret);

/* From *pos, the next whole frame in buf[0..len): 1 with *ret, its offset
 * in *ret_off, and *pos past it; 0 at the end. Bad bytes are skipped by
 * looking for the next good header; *ret_skipped (may be NULL) adds how
 * many. A good header whose payload runs past len ends the walk (0) with
 * *pos left at it: the caller tells a torn tail from a buffer to refill. */
int frame_next(const uint8_t *buf, size_t len, size_t *pos, struct frame_header *ret,
	       size_t *ret_off, uint64_t *ret_skipped);

/* A frame of raw[0..raw_len) appended to out: deflated at level (0: stored
 * raw) unless that does not make it smaller. 0 or -ENOMEM. */
int frame_build(uint8_t type, int64_t time_ms, uint64_t seq, const void *raw, size_t raw_len,
		int level, struct strbuf *out);

/* The payload of a checked frame (h, and its stored bytes), inflated into
 * out (emptied first): 0, -EBADMSG when it does not inflate to raw_len
 * bytes, -ENOMEM. */
int frame_payload(const struct frame_header *h, const uint8_t *stored, struct strbuf *out);

#endif
