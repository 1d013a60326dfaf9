/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The layouts a table of per-cgroup counters shares between its BPF side
 * (bpf/cgroup_counters.bpf.h, which says how the tables work) and its reader
 * (agent/events/cgroup_counters.h). */
#ifndef CGSCOPE_CGROUP_COUNTERS_LAYOUT_H
#define CGSCOPE_CGROUP_COUNTERS_LAYOUT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* At most this many regions (per-CPU tables), and __u64 counters in a
 * value struct: bounds for the verifier. */
#define CGC_REGIONS_MAX 256
#define CGC_MAX_U64S 32

/* Who holds a slot: id 0 = nobody. gen is odd while BPF changes the slot.
 * parent and level say where the cgroup sits, for a table whose counts
 * are summed over subtrees (the network table); 0 in the others. */
struct cgc_meta {
	__u64 id;
	__u64 gen;
	__u64 parent;		/* the parent cgroup's id; 0 at the top of the table */
	__u32 level;		/* the cgroup's depth below the cgroup2 root */
	__u32 pad;
};

/* Since load. */
struct cgc_stat {
	__u64 allocated;	/* slots handed to a cgroup */
	__u64 released;		/* ... given back when the cgroup was freed */
	__u64 unslotted;	/* counts not made: every slot was taken */
	/* Moves of counts from one slot to another (a freed cgroup's into
	 * its parent's): done, and under way. A reader that sums slots
	 * retries a read that one overlapped. */
	__u64 moves;
	__u64 moving;
};

/* The geometry, set before load (NAME_cfg in .rodata). */
struct cgc_cfg {
	__u32 slots;
	__u32 regions;		/* 1: shared, atomic adds; else one per possible CPU */
};

#endif
