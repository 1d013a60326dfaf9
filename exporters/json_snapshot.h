/* SPDX-License-Identifier: GPL-2.0-only */
/* A snapshot as JSON (cJSON), both ways: the agent renders it for
 * /api/v1/cgroups, and `cgscope top --url` parses it back into a struct
 * snapshot, so that both modes of top read the same structure.
 *
 * 64-bit integers (ids, counters) are written as exact decimal JSON numbers
 * from the integer, never through a double (cJSON's own numbers are doubles
 * and would round above 2^53); the parser reads them back from the text. */
#ifndef CGSCOPE_JSON_SNAPSHOT_H
#define CGSCOPE_JSON_SNAPSHOT_H

#include <stdint.h>
#include <cJSON.h>

#include "snapshot.h"

/* One cgroup as a JSON object: id, path, parent_id, depth, populated,
 * frozen, and each controller's values that were read, grouped as "cgroup",
 * "cpu", "memory", "io", "pids", "pressure", plus "rates". */
cJSON *json_cgroup(const struct snapshot *s, const struct cgroup_sample *c);

/* Filters of /api/v1/cgroups; NULL/negative for none. */
struct json_filter {
	const char *path_prefix;	/* "/a" matches /a and /a/..., not /ab */
	int max_depth;			/* -1: any */
};

/* {"timestamp_ms":..,"cycle":..,"root":..,"cgroups":[...]} */
cJSON *json_snapshot(const struct snapshot *s, const struct json_filter *f);

/* Parses what json_snapshot printed. -EINVAL if it is not such a document. */
int json_parse_snapshot(const char *buf, size_t len, struct snapshot **ret);

/* Adds a string that may not be valid UTF-8: invalid bytes become U+FFFD. */
void json_add_text(cJSON *o, const char *key, const char *text);

/* An exact integer number node. */
cJSON *json_u64(uint64_t v);

#endif
