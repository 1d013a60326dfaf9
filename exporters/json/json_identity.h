/* SPDX-License-Identifier: GPL-2.0-only */
/* The owner of a cgroup (agent/cgroupfs/identity.h) and who runs in it
 * (agent/collect/container_names.h) in the JSON API. */
#ifndef CGSCOPE_JSON_IDENTITY_H
#define CGSCOPE_JSON_IDENTITY_H

#include <cJSON.h>

#include "collect/snapshot.h"
#include "json/json_writer.h"
#include "lib/strbuf.h"

/* Writes, as a member of the JSON object of cgroup i of s,
 *   "identity": {"unit": .., "container_id": .., "runtime": .., "pod_uid": ..,
 *                "qos_class": .., "namespace": .., "pod": .., "container": ..,
 *                "image": ..}
 * every key present, "" where the path and the runtime's state do not say
 * (as in cgroup_info). 0, or -EINVAL if the path is not absolute (nothing
 * written). */
int json_write_identity(struct json_writer *w, const struct snapshot *s, size_t i);

/* The names of an "identity" object read back (top --url): the offsets in
 * strings of each of CN_NR names into ret (0 for "", strings starting with
 * a NUL), and 1; 0 when identity has no names (an older agent). */
int json_read_identity_names(const cJSON *identity, struct strbuf *strings,
			     uint32_t ret[CN_NR]);

#endif
