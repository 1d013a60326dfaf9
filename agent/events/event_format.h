/* SPDX-License-Identifier: GPL-2.0-only */
/* struct cgscope_event (bpf/events.h) as people and programs read it: one
 * human-readable line, or one JSON object. Also the names of event types
 * and OOM scopes, and the parsing of --type lists; a record's source is
 * named by hook_name() (events/hook.h). */
#ifndef CGSCOPE_EVENT_FORMAT_H
#define CGSCOPE_EVENT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "bpf/events.h"

/* "migration", "mkdir", "rmdir", "release", "rename", "freeze", "unfreeze",
 * "frozen", "populated", "oom_kill", "throttle", "unthrottle"; "unknown". */
const char *event_type_name(uint32_t type);
/* "unknown", "global", "memcg", "cpuset", "mempolicy". */
const char *event_oom_scope_name(uint32_t scope);

/* A comma-separated list of type names and groups ("lifecycle" = mkdir,
 * rmdir, release, rename; "freezer" = freeze, unfreeze, frozen; "oom" =
 * oom_kill; "throttling" = throttle, unthrottle; "all") as a mask of
 * CGSCOPE_EV_MASK() bits. -EINVAL for an unknown word or an empty list. */
int event_type_mask_parse(const char *list, uint32_t *ret_mask);

/* One line, no newline: time (UTC, microseconds), type, cgroup path and id,
 * the type's fields, and the source in brackets. Control characters in
 * paths and comms are written as \xHH. Returns what snprintf() returns: the
 * length the whole line needs (it is cut to fit size). */
int event_format_text(const struct cgscope_event *ev, uint64_t wall_ns, char *buf, size_t size);

/* The event as a JSON object: "seq" (when seq is not 0), "time" (RFC 3339,
 * UTC, nanoseconds), "timestamp_ns" (the same as a number), "ktime_ns",
 * "type", "source", "cgroup_id", "path",
 * "level", then the type's own fields (docs in event_format.c). 64-bit
 * integers are JSON integers written from their exact decimal text (never
 * through a double), as the rest of cgscope's JSON does. NULL when out of
 * memory. */
cJSON *event_to_json(const struct cgscope_event *ev, uint64_t seq, uint64_t wall_ns);

/* The same, printed on one line (no newline) into a string to release with
 * cJSON_free(). -ENOMEM. */
int event_format_json(const struct cgscope_event *ev, uint64_t seq, uint64_t wall_ns,
		      char **ret);

#endif
