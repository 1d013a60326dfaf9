/* SPDX-License-Identifier: GPL-2.0-only */
/* The store: a directory of segment files of frames (record/frame.h), each
 * with an index file beside it, bounded in size and age.
 *
 *   DIR/LOCK              flock()ed by the one agent that writes; holds its pid
 *   DIR/seg-NN.cgr        a segment: a SEGMENT frame, then cycles and events
 *   DIR/seg-NN.idx        its index: a header, then one entry per frame
 *                         (time, offset, sequence, length, type)
 *
 * There are STORE_SLOTS segment files, all opened (and created) when the
 * writer opens the store, before the agent drops its privileges: an agent
 * that runs as nobody cannot create a file in a directory root owns, but it
 * writes through the descriptors it holds. A segment is reused by
 * truncating it: the oldest goes when the store would pass its size limit,
 * or when its newest frame is older than the retention. Each segment
 * starts with a keyframe, so that any segment can be read without the ones
 * before it; segments are ordered by a generation number in their SEGMENT
 * frame.
 *
 * A crash leaves at most a torn frame at the end of the newest segment: the
 * next writer cuts it (and rebuilds the index entries it lacks) and goes on
 * appending there. Readers take no lock and read while the writer writes:
 * a frame is whole once its checksum agrees, the index is a hint that is
 * checked against the frames it points to. */
#ifndef CGSCOPE_RECORD_STORE_H
#define CGSCOPE_RECORD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "record/frame.h"

#define STORE_SLOTS 64
/* A segment holds at most 1/STORE_SEGMENTS of the size limit and of the
 * retention: what goes at once when the oldest is dropped. */
#define STORE_SEGMENTS 48
#define STORE_SEGMENT_MIN (256u << 10)
#define STORE_SEGMENT_MAX (64u << 20)

struct store_opts {
	uint64_t max_bytes;		/* --record.max-size */
	uint64_t retention_ms;		/* --record.retention */
	/* For the SEGMENT frames: who writes. */
	const char *hostname, *kernel, *version;
};

struct store_open_info {
	pid_t holder;			/* -EBUSY: the pid in the lock file, 0 if unknown */
	uint64_t torn_bytes;		/* cut from the end of the newest segment */
	uint64_t frames;		/* frames found in the store */
};

struct store;

/* Opens dir for writing, making it (one level) if it is not there: takes
 * its lock and opens every segment and index file. -EBUSY when another
 * process holds the lock (info->holder); -errno of what failed otherwise
 * (EACCES, EROFS, ENOENT for a missing parent, ENOTDIR). */
int store_open(const char *dir, const struct store_opts *o, struct store **ret,
	       struct store_open_info *info);
void store_close(struct store *st);

/* Appends one frame (as frame_build made it). A cycle frame that is a delta
 * goes only into a segment that already holds a keyframe: when the store
 * starts a new segment for it (full, too old, the clock went back) it says
 * -ESTALE and keeps nothing, and the caller sends a keyframe. Otherwise 0,
 * or -errno of the write (ENOSPC: the file system is full; nothing is left
 * of the frame then), -EFBIG when the frame alone is larger than the size
 * limit. */
int store_append(struct store *st, const uint8_t *frame, size_t len);

/* The sequence number of the last cycle frame stored (0 for none): a
 * writer that restarts goes on from the one after it. */
uint64_t store_last_seq(const struct store *st);
/* Bytes of every file, and the time of the oldest frame (0 when none). */
void store_usage(const struct store *st, uint64_t *ret_bytes, int64_t *ret_oldest_ms);

/* --- reading ---------------------------------------------------------------- */

/* A frame found in a segment. */
struct store_entry {
	int64_t time_ms;
	uint64_t off, seq;
	uint32_t len;			/* the whole frame, header included */
	uint8_t type;
};

struct store_segment {
	unsigned slot;
	uint64_t generation;		/* 0 when its SEGMENT frame is damaged */
	int64_t created_ms;
	char hostname[256], kernel[128], version[64];
	/* Its frames, from the index and from a scan past it; loaded on first
	 * use (store_reader_entries). */
	struct store_entry *entries;
	size_t n;
	bool loaded;
	uint64_t damaged;		/* bytes that were not frames */
	uint64_t size;
	int fd;
};

struct store_reader {
	int dirfd;
	struct store_segment seg[STORE_SLOTS];	/* oldest first */
	size_t nseg;
};

/* Opens dir for reading: lists its segments, oldest first. -ENOENT when
 * dir holds no segment, -errno. */
int store_reader_open(const char *dir, struct store_reader **ret);
void store_reader_close(struct store_reader *r);

/* The frames of segment i (loaded once). 0 or -errno. */
int store_reader_entries(struct store_reader *r, size_t i);

/* The bytes [off, off + len) of segment i into buf (grown): 0, -errno,
 * -ENODATA when the file is shorter (truncated meanwhile). */
int store_reader_read(struct store_reader *r, size_t i, uint64_t off, size_t len,
		      uint8_t **buf, size_t *cap);

#endif
