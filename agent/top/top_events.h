/* SPDX-License-Identifier: GPL-2.0-only */
/* The recent events `cgscope top` shows in its bottom pane: a small ring of
 * lines, filled either from an agent's /api/v1/events or, without an agent,
 * from what changed between two snapshots (cgroups created and removed,
 * oom_kill and nr_throttled growth), named as the agent names its events:
 * mkdir, rmdir, oom_kill, throttle. */
#ifndef CGSCOPE_TOP_EVENTS_H
#define CGSCOPE_TOP_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "collect/snapshot.h"

#define TOP_EVENTS_MAX 256

struct top_event {
	int64_t ts_ms;			/* wall clock */
	char type[24];
	char path[256];			/* cut at the front when longer */
	char detail[160];		/* "+1 (total 3)", "pid=12 comm=x", ... */
};

struct top_events {
	struct top_event items[TOP_EVENTS_MAX];
	size_t head, n;			/* oldest at head */
	uint64_t added;			/* ever added: a frame shows what is new */
};

void top_events_add(struct top_events *e, int64_t ts_ms, const char *type,
		    const char *path, const char *detail);

/* The i-th most recent event, i from 0; NULL past the end. */
const struct top_event *top_events_recent(const struct top_events *e, size_t i);

/* Adds the events that the step from prev to cur shows, stamped with cur's
 * time. Returns how many, or -ENOMEM. */
int top_events_diff(struct top_events *e, const struct snapshot *prev,
		    const struct snapshot *cur);

/* Adds the events of an agent's /api/v1/events answer:
 * {"events":[{"seq":N,"type":"oom_kill",...,"cgroup_id":..,"path":..}],
 *  "next_seq":N}. Fields other than the known ones become "key=value" in
 * the detail; events without a time of their own get now_ms. Returns how
 * many, -EINVAL if buf is not such a document. */
int top_events_parse_json(struct top_events *e, const char *buf, size_t len,
			  int64_t now_ms, uint64_t *ret_next_seq);

#endif
