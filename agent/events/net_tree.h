/* SPDX-License-Identifier: GPL-2.0-only */
/* Each cgroup's network figures from a read of the kernel's network table
 * (the cgroup_skb counters, struct cgscope_net_counts per slot, with each
 * cgroup's parent: bpf/cgscope_events.bpf.c gives a cgroup's whole branch
 * a slot on its first packet). Two figures per cgroup: its own sockets',
 * and its subtree's, which is its own, plus what its freed descendants did
 * (moved into its slot when the kernel freed them), plus its live
 * children's subtree figures: what memory.current and cpu.stat are to
 * memory and CPU. Pure: the table read is the input. */
#ifndef CGSCOPE_NET_TREE_H
#define CGSCOPE_NET_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "bpf/events.h"
#include "events/cgroup_counters.h"

struct net_tree_entry {
	uint64_t id;
	struct cgscope_net_figures own;		/* the cgroup's own sockets */
	struct cgscope_net_figures total;	/* its subtree */
};

/* Entries sorted by id; reused from one build to the next. */
struct net_tree {
	struct net_tree_entry *e;
	size_t n, cap;
	/* scratch of the build, by entry: its parent's index, its level,
	 * and the entries deepest first */
	size_t *order, *parent;
	uint32_t *level;
};

/* The figures of every cgroup of t (values: struct cgscope_net_counts).
 * A cgroup whose parent is not in t (the top of the table) adds to
 * nobody. 0 or -ENOMEM; -EINVAL when t's values are not that struct. */
int net_tree_build(const struct cgc_tree *t, struct net_tree *nt);

/* The figures of cgroup id, NULL when it has none in the table (it has
 * sent and received nothing since the table was loaded). */
const struct net_tree_entry *net_tree_find(const struct net_tree *nt, uint64_t id);

void net_tree_free(struct net_tree *nt);

#endif
