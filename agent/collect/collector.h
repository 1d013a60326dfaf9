/* SPDX-License-Identifier: GPL-2.0-only */
/* The collector: keeps the cgroup tree current (a cgroup is identified by the
 * inode of its directory), holds a descriptor on each file it reads and
 * re-reads it with pread, and makes one snapshot per cycle. */
#ifndef CGSCOPE_COLLECTOR_H
#define CGSCOPE_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "collect/snapshot.h"

struct collector;

/* root: a cgroup2 mount, a directory below one, or a plain directory holding
 * a captured tree. files: the files to read, bits (1 << enum cg_file); the
 * others are never opened, and no sample has them. collector_new reads every
 * file (CG_FILES_ALL). */
int collector_new_files(const char *root, uint32_t files, struct collector **ret);
int collector_new(const char *root, struct collector **ret);
void collector_free(struct collector *c);

/* Walks the tree, reads every file of every cgroup, and returns a new
 * snapshot without its rendered pages. Vanished cgroups are dropped quietly;
 * malformed files are counted in the snapshot's stats (see
 * collector_last_error). Fails only when the root itself cannot be read. */
int collector_collect(struct collector *c, struct snapshot **ret);

/* The most recent failure to read or parse file f: the cgroup path and a
 * negative errno (-EINVAL for malformed contents). 0 if there was none. */
int collector_last_error(const struct collector *c, enum cg_file f,
			 const char **ret_path);

struct cgroup_iter;

/* Serves the files of groups (bits 1 << enum iter_group, collect/
 * iter_decode.h) that the kernel lets the cgroup iterator read from its
 * records instead of the files, from the next cycle on; it stays the
 * caller's, who frees it after the collector (or detaches it with NULL or
 * groups 0 first). A walk that fails has that cycle's files read instead;
 * three in a row and the iterator is given up (collector_stats.iter_gave_up). */
void collector_use_iter(struct collector *c, struct cgroup_iter *it, uint32_t groups);
/* The groups it may serve now: 0 once given up. */
uint32_t collector_iter_groups(const struct collector *c);

/* Descriptors the collector holds open, for the self-metrics and tests. */
size_t collector_open_fds(const struct collector *c);

#endif
