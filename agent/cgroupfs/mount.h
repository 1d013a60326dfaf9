/* SPDX-License-Identifier: GPL-2.0-only */
/* Where cgroup2 is mounted: never assumed (/sys/fs/cgroup on most hosts,
 * /sys/fs/cgroup/unified on hybrid ones), read from /proc/self/mountinfo. */
#ifndef CGSCOPE_MOUNT_H
#define CGSCOPE_MOUNT_H

#include <stddef.h>

/* The mount point of the first cgroup2 mount into ret[size]: 0, -ENOENT when
 * there is none, -ENAMETOOLONG, or the error reading mountinfo. */
int cgroup2_mount_find(char *ret, size_t size);

#endif
