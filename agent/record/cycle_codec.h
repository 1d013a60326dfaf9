/* SPDX-License-Identifier: GPL-2.0-only */
/* A collection cycle as the payload of a frame, and back.
 *
 * What is recorded is what the served page was rendered from: every
 * cgroup's identity (id, parent, depth, path) and values (each file's
 * numbers, memory.stat, io.stat per device, the BPF-derived counters), the
 * snapshot's own counters (collector_stats, events_status: hooks, event
 * counts, BPF program statistics), what the filter left out, the compat
 * mode, the recorder's own status, the device names cAdvisor's labels used,
 * and the version, host and interval. Rates are not: a reader computes them
 * from the cycle before, as the collector does (collect/rates.h).
 *
 * A keyframe holds a whole cycle, and the names of its columns (files,
 * values, memory.stat keys, global counters), so that a later cgscope maps
 * what it knows and skips what it does not. A delta frame holds the
 * differences from the cycle before: cgroups by id (the list only when it
 * changed: new ones with their identity), then each value column as
 * zigzag varints of the difference, column after column, a column with no
 * change left out (a bitmap says which are there). An idle cycle is then a
 * few hundred bytes of zeros, which deflate makes a few dozen.
 *
 * The state of an encoder and of a decoder is the same structure. A decoder
 * keeps the last cycle in the recording's column order; an encoder keeps a
 * reference to the last snapshot it encoded and reads the cycle before
 * there (a copy would be 3 KiB a cgroup: issue 22). Pure: no files, no
 * clocks. */
#ifndef CGSCOPE_RECORD_CYCLE_CODEC_H
#define CGSCOPE_RECORD_CYCLE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/snapshot.h"
#include "record/record_status.h"
#include "lib/strbuf.h"

#define CYCLE_DEVNAME_LEN 64

struct cycle_devname {
	uint32_t major, minor;
	char name[CYCLE_DEVNAME_LEN];	/* "" when the page labelled it "MAJ:MIN" */
};

/* What the page shows besides the snapshot itself. */
struct cycle_meta {
	uint64_t filtered, over_limit;	/* struct cgroup_filter_result */
	uint8_t compat;			/* enum compat (cmd/cycle.h): 1 cAdvisor's families too */
	struct record_status rec;	/* the cgscope_record_* families as served */
	uint64_t interval_ms;
	char version[64], hostname[256], kernel[128];
	/* With compat: the name of each device the page named. */
	struct cycle_devname *devs;
	size_t ndev;
};

void cycle_meta_free(struct cycle_meta *m);

struct cycle_state;

int cycle_state_new(struct cycle_state **ret);
void cycle_state_free(struct cycle_state *st);
/* Forget the last cycle: the next encode is a keyframe, the next decode
 * must be one. */
void cycle_state_reset(struct cycle_state *st);
/* Whether the state holds a cycle (a delta frame applies to it), and the
 * frame sequence number of that cycle. */
bool cycle_state_valid(const struct cycle_state *st);
uint64_t cycle_state_seq(const struct cycle_state *st);

/* The payload of s and m into raw (emptied first), as a keyframe when key or
 * when st holds no cycle (*ret_key says which); st then holds s as frame
 * seq: a reference to s (snapshot_ref), until the next encode, a reset or
 * the free. s must not change after (snapshots never do once made). 0 or
 * -ENOMEM. */
int cycle_encode(struct cycle_state *st, const struct snapshot *s, const struct cycle_meta *m,
		 bool key, uint64_t seq, struct strbuf *raw, bool *ret_key);

/* Applies a payload: a keyframe (key) replaces st, a delta frame must follow
 * the cycle st holds (seq == its seq + 1). 0; -ESTALE when it does not
 * follow; -EBADMSG when the payload is malformed (st then holds nothing);
 * -ENOMEM. */
int cycle_decode(struct cycle_state *st, const uint8_t *raw, size_t len, bool key, uint64_t seq);

/* The cycle st holds as a new snapshot (no page, no rates) and its meta
 * (free with cycle_meta_free). *ret_layout_differs (may be NULL) says
 * whether the collector's and the events' counters were recorded by a
 * cgscope whose structures differ from this one's (they are then zero). */
int cycle_state_snapshot(const struct cycle_state *st, struct snapshot **ret,
			 struct cycle_meta *ret_meta, bool *ret_layout_differs);

/* How many cgroups the last cycle held. */
size_t cycle_state_cgroups(const struct cycle_state *st);

#endif
