/* SPDX-License-Identifier: GPL-2.0-only */
/* The owner of a cgroup (agent/cgroupfs/identity.h) in the JSON API. */
#ifndef CGSCOPE_JSON_IDENTITY_H
#define CGSCOPE_JSON_IDENTITY_H

#include "json/json_writer.h"

/* Writes, as a member of the JSON object of one cgroup,
 *   "identity": {"unit": .., "container_id": .., "runtime": .., "pod_uid": ..,
 *                "qos_class": ..}
 * every key present, "" where the path does not say (as in cgroup_info).
 * 0, or -EINVAL if path is not absolute (nothing written). */
int json_write_identity(struct json_writer *w, const char *path);

#endif
