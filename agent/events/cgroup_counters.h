/* SPDX-License-Identifier: GPL-2.0-only */
/* The reader of a table of per-cgroup counters that BPF programs keep in
 * the kernel (bpf/cgroup_counters.bpf.h says how a table works; its layouts
 * are bpf/cgroup_counters_layout.h). One table per value struct (all
 * __u64 fields): the kernel events' struct cgscope_cg_counts is one; network
 * counters can be another, in any BPF object that declares one with
 * CGC_TABLE(name, ...).
 *
 * The table is read through memory mapped at open, never through bpf():
 * the agent reads it every cycle after dropping its privileges, and kernels
 * before 6.5 refuse bpf() to such a process. A cgroup's values are the sum
 * of its slot over the table's regions (one per CPU for a per-CPU table).
 *
 * Lifecycle, for a table NAME in a BPF object obj:
 *   cgroup_counters_prepare(obj, NAME, slots, per_cpu, &cfg)  before load:
 *       sizes the maps; the caller copies cfg into .rodata's NAME_cfg
 *   load obj (or reuse its maps' fds from an object that was loaded)
 *   cgroup_counters_open(obj, NAME, &cfg, &c)   after load, still privileged:
 *       fills the free-slot stack, maps the table
 *   cgroup_counters_read(c, fn, ctx)           each cycle, from any thread
 *   cgroup_counters_close(c)
 *
 * Threads: read, stat and sweep may run from several threads at once;
 * close when none does. */
#ifndef CGSCOPE_CGROUP_COUNTERS_H
#define CGSCOPE_CGROUP_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/cgroup_counters_layout.h"

struct bpf_object;
struct cgroup_counters;

/* Sizes NAME's maps in obj for slots cgroups (0: the table's default) with
 * one region, or one per possible CPU when per_cpu (shared instead past
 * CGC_REGIONS_MAX CPUs). *ret_cfg is what NAME_cfg must hold. -ENOENT when
 * obj has no such table. */
int cgroup_counters_prepare(struct bpf_object *obj, const char *name, uint32_t slots,
			    bool per_cpu, struct cgc_cfg *ret_cfg);

/* Opens the loaded table NAME of obj (its maps may be another object's,
 * through bpf_map__reuse_fd): every slot free, the maps mapped. */
int cgroup_counters_open(struct bpf_object *obj, const char *name, const struct cgc_cfg *cfg,
			 struct cgroup_counters **ret);

void cgroup_counters_close(struct cgroup_counters *c);

/* Calls fn once per cgroup that holds a slot, with its values summed over
 * the regions (value_size / 8 counters, in the order of the value struct;
 * valid during the call). A slot that BPF is handing out or taking back as
 * it is read is read again, and left out if it keeps changing. Returns how
 * many cgroups fn was called for. */
size_t cgroup_counters_read(struct cgroup_counters *c,
			    void (*fn)(uint64_t id, const uint64_t *values, void *ctx), void *ctx);

/* A whole table read at once, with each cgroup's place in the tree, for a
 * table whose counts are summed over subtrees (the network table): slots[i]
 * holds values[i * n_u64 ...]. Made by cgroup_counters_read_tree, reused
 * from one read to the next; cgc_tree_free frees it. */
struct cgc_tree_slot {
	uint64_t id, parent;
	uint32_t level;
};

struct cgc_tree {
	struct cgc_tree_slot *slots;
	uint64_t *values;
	size_t n, cap, n_u64;
	/* The last try too overlapped a move of counts between slots: a
	 * cgroup freed as it was read may count twice or not at all. */
	bool torn;
};

/* Reads every cgroup that holds a slot into t, as one picture: BPF moves a
 * freed cgroup's counts into its parent's slot (NAME_stat's moves and
 * moving), and a read that a move overlapped is made again, up to a few
 * times. Returns the number of cgroups, or -ENOMEM. */
int cgroup_counters_read_tree(struct cgroup_counters *c, struct cgc_tree *t);
void cgc_tree_free(struct cgc_tree *t);

/* The table's statistics since open. */
void cgroup_counters_stat(const struct cgroup_counters *c, struct cgc_stat *ret);

/* Slots in all: the most cgroups counted at once. */
uint32_t cgroup_counters_slots(const struct cgroup_counters *c);

/* For a table whose cgroups' release is not traced: gives back the slots of
 * cgroups that live() says are gone. Needs the bpf() syscall (-EPERM on
 * kernels before 6.5 once privileges are dropped). Returns the number of
 * slots freed or -errno. */
int cgroup_counters_sweep(struct cgroup_counters *c, bool (*live)(uint64_t id, void *ctx),
			  void *ctx);

#endif
