/* SPDX-License-Identifier: GPL-2.0-only */
/* Discovery: the cgroup tree as the collector knows it. A cgroup is a node
 * identified by the inode of its directory; the tree is kept current between
 * cycles by inotify on every directory, so that a cycle re-lists only the
 * directories that changed (a full walk costs as much as reading the files).
 * Without inotify (no watches left), every directory is listed each cycle. */
#ifndef CGSCOPE_CGROUP_TREE_H
#define CGSCOPE_CGROUP_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroupfs/cgroup_values.h"

struct cg_node {
	uint64_t id;
	struct cg_node *hnext, *wnext;	/* hash chains: by id, by watch */
	struct cg_node *parent, *first_child, *next_sibling;
	char *path;			/* "/" or "/a/b" */
	uint32_t depth;
	int dirfd;			/* -1 past the descriptor budget: see
					   cgroup_tree_openat */
	int wd;				/* inotify watch, -1 for none */
	bool dirty;			/* its children must be listed again */
	uint64_t gen;			/* the walk that last reached it */

	/* Owned by the collector. */
	int table;			/* descriptor table of fds[], -1 for none yet */
	int ctl_fd;			/* cgroup.controllers; -1 in a bare capture */
	int fds[F_NR];			/* -1: the file is not there */
	char ctl[256];			/* last contents of cgroup.controllers */
	size_t ctl_len;
	int32_t prev_idx;		/* its index in the previous snapshot */
	bool vanished;
};

/* Called for each node that appears (after its directory is open) and
 * before each node that disappears is freed. */
struct cgroup_tree_ops {
	void (*added)(void *ctx, struct cg_node *n);
	void (*removed)(void *ctx, struct cg_node *n);
	/* The descriptor budget shared with the owner: may one more be held?
	 * (counts it when yes), and one held is closed. */
	bool (*take_fd)(void *ctx);
	void (*give_fd)(void *ctx);
};

struct cgroup_tree;

int cgroup_tree_open(const char *root, const struct cgroup_tree_ops *ops, void *ctx,
		     struct cgroup_tree **ret);
void cgroup_tree_free(struct cgroup_tree *t);

/* Brings the tree up to date. *ret_order is every node in tree order
 * (parents first, siblings by name), valid until the next walk. */
int cgroup_tree_walk(struct cgroup_tree *t, struct cg_node ***ret_order, size_t *ret_n);

/* Opens a file (or ".") of a node, by its held directory descriptor, or by
 * its path from the root when the budget left it none. -errno. */
int cgroup_tree_openat(const struct cgroup_tree *t, const struct cg_node *n,
		       const char *name, int flags);

/* Opens a file of a node by its path from the root's descriptor, whatever
 * the node holds: for a thread with a descriptor table of its own, which
 * keeps the root's descriptor at the same number and nothing else. */
int cgroup_tree_open_by_path(const struct cgroup_tree *t, const struct cg_node *n,
			     const char *name, int flags);
int cgroup_tree_root_fd(const struct cgroup_tree *t);

/* A node turned out to be gone while being read: its parent is listed again
 * at the next walk. */
void cgroup_tree_vanished(struct cgroup_tree *t, struct cg_node *n);

struct cgroup_tree_stats {
	uint64_t created, removed;	/* nodes seen appearing, vanishing */
	uint64_t listed;		/* directories listed */
	uint64_t list_errors;		/* directories that could not be listed */
	bool watching;			/* inotify keeps the tree current */
};

void cgroup_tree_stats(const struct cgroup_tree *t, struct cgroup_tree_stats *ret);

#endif
