/* SPDX-License-Identifier: GPL-2.0-only */
/* A snapshot as JSON, both ways: the agent writes it for /api/v1/cgroups
 * (json_writer.h: straight into a buffer, no tree), and `cgscope top --url`
 * parses it back (cJSON) into a struct snapshot, so that both modes of top
 * read the same structure.
 *
 * 64-bit integers (ids, counters) are written as exact decimal JSON numbers
 * from the integer, never through a double (cJSON's own numbers are doubles
 * and would round above 2^53); the parser reads them back from the text. */
#ifndef CGSCOPE_JSON_SNAPSHOT_H
#define CGSCOPE_JSON_SNAPSHOT_H

#include <stdint.h>

#include "json/json_writer.h"
#include "collect/snapshot.h"
#include "lib/strbuf.h"

/* The members of one cgroup's JSON object, without its braces (the single
 * cgroup endpoints add members of their own): id, path, parent_id, depth,
 * identity, populated, frozen, and each controller's values that were read,
 * grouped as "cgroup", "cpu", "memory", "io", "pids", "pressure", plus
 * "rates". The one way a cgroup is written. */
void json_cgroup_fields(struct json_writer *w, const struct snapshot *s,
			const struct cgroup_sample *c);

/* Filters of /api/v1/cgroups; NULL/negative for none. */
struct json_filter {
	const char *path_prefix;	/* "/a" matches /a and /a/..., not /ab */
	int max_depth;			/* -1: any */
};

/* Appends {"timestamp_ms":..,"cycle":..,"root":..,"cgroups":[...]} to sb.
 * 0 or -ENOMEM (sb_error). */
int json_snapshot(const struct snapshot *s, const struct json_filter *f, struct strbuf *sb);

/* Parses what json_snapshot wrote. -EINVAL if it is not such a document. */
int json_parse_snapshot(const char *buf, size_t len, struct snapshot **ret);

#endif
