/* SPDX-License-Identifier: GPL-2.0-only */
/* Names cgroups from their ids (the inode of their directory, which is what
 * BPF records carry), so that the kernel need not copy paths into the ring
 * buffer. Filled by a walk of the cgroup2 tree at start, by the paths that
 * mkdir, rmdir and rename records carry, and by another walk when an id is
 * not known (at most one a second); entries go on release, and those that
 * two walks in a row did not find go too, so the table follows the tree.
 * Paths are below the cgroup2 root ("/" for the root), as the kernel's.
 * One thread at a time. */
#ifndef CGSCOPE_CGROUP_NAMES_H
#define CGSCOPE_CGROUP_NAMES_H

#include <stddef.h>
#include <stdint.h>

struct cgroup_names;

/* mount: where cgroup2 is mounted (NULL: found in /proc/self/mountinfo).
 * Walks the tree once. -ENOENT without a cgroup2 mount, -ENOMEM. */
int cgroup_names_new(const char *mount, struct cgroup_names **ret);
void cgroup_names_free(struct cgroup_names *n);

/* id is at path now (a record said so). */
void cgroup_names_learn(struct cgroup_names *n, uint64_t id, const char *path);
/* id is gone for good (released). */
void cgroup_names_forget(struct cgroup_names *n, uint64_t id);

/* The path of id, or NULL when neither the table nor a walk of the tree
 * (when one is allowed) knows it; valid until the next call. now_ms:
 * CLOCK_MONOTONIC ms, for the walks' pace. */
const char *cgroup_names_get(struct cgroup_names *n, uint64_t id, uint64_t now_ms);

/* Walks of the tree made, ids known (for tests and statistics). */
uint64_t cgroup_names_walks(const struct cgroup_names *n);
size_t cgroup_names_count(const struct cgroup_names *n);

#endif
