/* SPDX-License-Identifier: GPL-2.0-only */
/* The owner of a cgroup (agent/identity.h) in the JSON API. */
#ifndef CGSCOPE_JSON_IDENTITY_H
#define CGSCOPE_JSON_IDENTITY_H

#include <cJSON.h>

/* Adds to obj, the JSON object of one cgroup,
 *   "identity": {"unit": .., "container_id": .., "runtime": .., "pod_uid": ..,
 *                "qos_class": ..}
 * every key present, "" where the path does not say (as in cgroup_info).
 * 0, -EINVAL if path is not absolute, -ENOMEM. */
int json_add_identity(cJSON *obj, const char *path);

#endif
