/* SPDX-License-Identifier: GPL-2.0-only */
/* The flight recorder of the agent: each cycle, and the kernel events since
 * the cycle before, into the store (record/store.h), as frames made by the
 * cycle and event codecs. Runs in the collection loop, after the snapshot
 * is published: a scrape never waits for it.
 *
 * A keyframe starts each segment and comes again after KEY_MIN_FRAMES
 * cycles once the deltas since the last one have cost as much as it did
 * (keyframes are then at most half of the store), and after KEY_MAX_FRAMES
 * cycles or KEY_MAX_MS whatever they cost: that bounds both what one
 * damaged frame costs and how many frames a reader decodes to reach any
 * cycle. */
#ifndef CGSCOPE_RECORD_RECORDER_H
#define CGSCOPE_RECORD_RECORDER_H

#include <stdbool.h>
#include <stdint.h>

#include "collect/snapshot.h"
#include "events/event_ring.h"
#include "record/cycle_codec.h"
#include "record/record_status.h"
#include "record/store.h"

#define KEY_MIN_FRAMES 64
#define KEY_MAX_FRAMES 360
#define KEY_MAX_MS (3600 * 1000)

struct recorder_opts {
	const char *dir;
	uint64_t max_bytes, retention_ms;
	int level;			/* deflate level; 0: the default */
	const char *hostname, *kernel, *version;
};

struct recorder;

/* Opens the store (see store_open: call it before dropping privileges). */
int recorder_open(const struct recorder_opts *o, struct recorder **ret,
		  struct store_open_info *info);
void recorder_close(struct recorder *r);

/* The recorder's families as the next page should show them. */
void recorder_status(const struct recorder *r, struct record_status *ret);

/* Records cycle s, whose page showed m, after the events of ring (may be
 * NULL) since the last call. The recorder keeps a reference to s until the
 * next call (record/cycle_codec.h): s must not change after. 0; or the negative errno of the write that
 * failed: nothing of it is kept, the status counts it, and the next call
 * tries again (recording "pauses" while the file system is full). */
int recorder_record(struct recorder *r, const struct snapshot *s, const struct cycle_meta *m,
		    struct event_ring *ring);

/* Bytes of the last frames written, for make bench: the last cycle frame
 * and whether it was a keyframe. */
void recorder_last_frame(const struct recorder *r, uint64_t *ret_bytes, bool *ret_key);

#endif
