/* SPDX-License-Identifier: GPL-2.0-only */
/* Reading a store back: the cycle at any time, the cycles before and after
 * it, every cycle and every event of a time range. A cycle comes back as a
 * snapshot like the one the agent made, with the rates computed from the
 * recorded cycle before it (collect/rates.h), as the collector computes
 * them; and with what its page showed besides (struct cycle_meta), so that
 * cmd/cycle.c renders the page as it was served.
 *
 * A cycle is found through the segments' indexes (record/store.h): the
 * segment whose frames span the time, its entries, the keyframe before the
 * cycle; then the frames from that keyframe to the cycle are read in one go
 * and decoded. A cycle whose keyframe group is damaged cannot be decoded:
 * the cycle before it that can is taken instead (replay_at), or it is
 * skipped (the walks). */
#ifndef CGSCOPE_RECORD_REPLAY_H
#define CGSCOPE_RECORD_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "collect/snapshot.h"
#include "events/event_ring.h"
#include "record/cycle_codec.h"
#include "record/store.h"

struct replay_cycle {
	struct snapshot *s;		/* a reference of the caller's */
	/* The recorded cycle just before, its rates and growth came from;
	 * NULL when there is none (the first cycle of an agent's run). */
	struct snapshot *prev;
	struct cycle_meta meta;
	bool layout_differs;		/* recorded by a cgscope whose counters differ */
	uint64_t seq;
	int64_t time_ms;		/* of its frame: the snapshot's taken_ms */
};

void replay_cycle_free(struct replay_cycle *c);

struct replay;

/* -ENOENT when dir holds no store. */
int replay_open(const char *dir, struct replay **ret);
void replay_close(struct replay *rp);

/* Cycles without rates from then on (has_rates 0): for a reader of the
 * pages alone, which show none (export), a thirtieth of its time. */
void replay_without_rates(struct replay *rp);

/* The host and kernel of the newest segment, the cgscope that wrote it. */
const char *replay_hostname(const struct replay *rp);
const char *replay_kernel(const struct replay *rp);

/* The times of the first and last cycle recorded: 0, or -ENOENT. */
int replay_span(struct replay *rp, int64_t *ret_first, int64_t *ret_last);

/* The last cycle at or before t that can be read. -ENOENT when there is
 * none. It becomes the current one. */
int replay_at(struct replay *rp, int64_t t, struct replay_cycle *ret);
/* The cycle after or before the current one: -ENOENT past either end.
 * Past the end, a store still being written is looked at again. */
int replay_next(struct replay *rp, struct replay_cycle *ret);
int replay_prev(struct replay *rp, struct replay_cycle *ret);

/* fn for each cycle with from <= time <= to, in order (each decoded once),
 * until it returns non-zero (returned). The cycle passed is the caller's
 * for the call only. */
int replay_each_cycle(struct replay *rp, int64_t from, int64_t to,
		      int (*fn)(void *ctx, const struct replay_cycle *c), void *ctx);

/* fn for each event whose wall-clock time is within [from, to], in order. */
int replay_each_event(struct replay *rp, int64_t from, int64_t to,
		      int (*fn)(void *ctx, const struct event_ring_entry *e), void *ctx);

/* What a walk through every frame found, for `dump --replay --list`. */
struct replay_frame_info {
	size_t segment;			/* its position, oldest first */
	unsigned slot;
	struct store_entry e;
	bool ok;			/* read whole and, for a cycle, decoded */
	uint64_t cycle;			/* the collector's cycle number */
	size_t cgroups, events;
};

/* fn for every frame of every segment, in order; *ret_damaged the bytes
 * that were not frames. */
int replay_each_frame(struct replay *rp, int (*fn)(void *ctx, const struct replay_frame_info *f),
		      void *ctx, uint64_t *ret_damaged);

#endif
