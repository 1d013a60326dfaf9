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

/* Who holds a slot: id 0 = nobody. gen is odd while BPF changes the slot. */
struct cgc_meta {
	__u64 id;
	__u64 gen;
};

/* Since load. */
struct cgc_stat {
	__u64 allocated;	/* slots handed to a cgroup */
	__u64 released;		/* ... given back when the cgroup was freed */
	__u64 unslotted;	/* counts not made: every slot was taken */
};

/* The geometry, set before load (NAME_cfg in .rodata). */
struct cgc_cfg {
	__u32 slots;
	__u32 regions;		/* 1: shared, atomic adds; else one per possible CPU */
};

#endif
