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

#include "collect/fd_budget.h"

struct cg_node {
	uint64_t id;
	struct cg_node *hnext, *wnext;	/* hash chains: by id, by watch */
	struct cg_node *parent, *first_child, *next_sibling;
	char *path;			/* "/" or "/a/b" */
	uint32_t depth;
	/* A small number of its own while it lives, below cgroup_tree_slots():
	 * where a user of the tree keeps what it knows of the node, in an array
	 * of its own. A slot is given again only after a walk reported it
	 * removed, and never within the walk that reported it. */
	uint32_t slot;
	int dirfd;			/* -1 past the descriptor budget: see
					   cgroup_tree_openat */
	int wd;				/* inotify watch, -1 for none */
	bool dirty;			/* its children must be listed again */
	uint64_t gen;			/* the walk that last reached it */
};

struct cgroup_tree;

/* dirs: the budget the directories below the root are held from (the root's
 * is always held, and not counted), shared with whoever else holds
 * descriptors on this table; it must outlive the tree. */
int cgroup_tree_open(const char *root, struct fd_budget *dirs, struct cgroup_tree **ret);
void cgroup_tree_free(struct cgroup_tree *t);

/* What a walk found, valid until the next walk. */
struct cgroup_walk {
	struct cg_node **order;		/* every node in tree order (parents
					   first, siblings by name) */
	size_t n;
	const uint32_t *removed;	/* slots of the nodes that vanished */
	size_t nremoved;
};

/* Brings the tree up to date. */
int cgroup_tree_walk(struct cgroup_tree *t, struct cgroup_walk *ret);

/* One more than the highest slot a node has had: the size of an array by
 * slot. */
uint32_t cgroup_tree_slots(const struct cgroup_tree *t);

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

/* The node of a cgroup id (the inode of its directory), NULL for none. */
struct cg_node *cgroup_tree_find(const struct cgroup_tree *t, uint64_t id);

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
