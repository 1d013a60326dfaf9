/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The record the cgroup iterator (cgscope_iter.bpf.c) keeps per cgroup, and
 * that agent/collect/cgroup_iter.c turns into the values the files would
 * have given.
 *
 * Flat: fixed-size integers only, in the kernel's own units (pages, ns,
 * raw counters); the conversions the files apply (pages to bytes, ns to us,
 * the user/system scaling of cpu.stat) are done in userspace, once, where
 * they can be tested. A value the running kernel does not have is
 * CGITER_UNSET. `have` says which parts of the record were filled. */
#ifndef CGSCOPE_BPF_CGROUP_ITER_H
#define CGSCOPE_BPF_CGROUP_ITER_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define CGITER_UNSET ((__u64)-1)

/* rec.have: the parts of the record that hold values. */
enum cgiter_have {
	CGITER_HAVE_CPU_STAT = 1 << 0,	/* base cpu.stat (not on the hierarchy's root) */
	CGITER_HAVE_CPU_SCALE = 1 << 1,	/* prev_utime/prev_stime: cpu.stat scales user/system */
	CGITER_HAVE_CPU_BW = 1 << 2,	/* the cpu controller's css: CFS bandwidth statistics */
	CGITER_HAVE_CPU_CTL = 1 << 3,	/* cpu.max and cpu.weight values */
	CGITER_HAVE_MEMORY = 1 << 4,	/* the memory controller's css */
	CGITER_HAVE_MEMSTAT = 1 << 5,	/* memory.stat (Linux 6.1's layout of memcg_vmstats) */
	CGITER_HAVE_SWAP = 1 << 6,	/* memory.swap.* (CONFIG_SWAP) */
	CGITER_HAVE_PIDS = 1 << 7,	/* the pids controller's css */
	CGITER_HAVE_PSI = 1 << 8,	/* psi totals (measured, not served: docs/performance.md) */
};

/* rec.flags */
enum cgiter_flags {
	CGITER_POPULATED = 1 << 0,	/* cgroup.events populated */
	CGITER_FROZEN = 1 << 1,		/* cgroup.events frozen */
	CGITER_FREEZE = 1 << 2,		/* cgroup.freeze */
	CGITER_THREADED = 1 << 3,	/* a threaded cgroup: only threaded controllers */
};

/* rec.controllers: the controllers cgroup.controllers lists, which decide
 * which controller files the cgroup has. */
enum cgiter_controller {
	CGITER_CTL_CPU = 1 << 0,
	CGITER_CTL_MEMORY = 1 << 1,
	CGITER_CTL_IO = 1 << 2,
	CGITER_CTL_PIDS = 1 << 3,
};

/* cover (a global of the program, written by each session): what the
 * running kernel lets the program read at all. */
enum cgiter_cover {
	CGITER_COVER_CGROUP = 1 << 0,
	CGITER_COVER_CPU = 1 << 1,
	CGITER_COVER_MEMORY = 1 << 2,
	CGITER_COVER_MEMORY_EVENTS = 1 << 3,
	CGITER_COVER_MEMORY_STAT = 1 << 4,
	CGITER_COVER_MEMORY_SWAP = 1 << 5,
	CGITER_COVER_PIDS = 1 << 6,
	CGITER_COVER_FLUSH = 1 << 7,	/* a statistics flush kfunc was called */
};

/* memory.events / memory.events.local, in that file's order. */
enum cgiter_memev {
	CGITER_MEMEV_LOW, CGITER_MEMEV_HIGH, CGITER_MEMEV_MAX, CGITER_MEMEV_OOM,
	CGITER_MEMEV_OOM_KILL, CGITER_MEMEV_OOM_GROUP_KILL, CGITER_MEMEV_SOCK_THROTTLED,
	CGITER_MEMEV_NR
};

enum cgiter_swapev { CGITER_SWAPEV_HIGH, CGITER_SWAPEV_MAX, CGITER_SWAPEV_FAIL, CGITER_SWAPEV_NR };

/* The memory.stat items of Linux 6.1's memory_stat_format(), raw: state
 * items as memcg_page_state() returns them (pages, bytes or KiB: the unit
 * is the kernel's memcg_page_state_unit(), applied in userspace), events as
 * counts. The derived keys (slab, pgscan, pgsteal) are sums made in
 * userspace. */
enum cgiter_memstat {
	CGITER_MS_ANON, CGITER_MS_FILE, CGITER_MS_KERNEL, CGITER_MS_KERNEL_STACK,
	CGITER_MS_PAGETABLES, CGITER_MS_SEC_PAGETABLES, CGITER_MS_PERCPU, CGITER_MS_SOCK,
	CGITER_MS_VMALLOC, CGITER_MS_SHMEM, CGITER_MS_ZSWAP, CGITER_MS_ZSWAPPED,
	CGITER_MS_FILE_MAPPED, CGITER_MS_FILE_DIRTY, CGITER_MS_FILE_WRITEBACK,
	CGITER_MS_SWAPCACHED, CGITER_MS_ANON_THP, CGITER_MS_FILE_THP, CGITER_MS_SHMEM_THP,
	CGITER_MS_INACTIVE_ANON, CGITER_MS_ACTIVE_ANON, CGITER_MS_INACTIVE_FILE,
	CGITER_MS_ACTIVE_FILE, CGITER_MS_UNEVICTABLE, CGITER_MS_SLAB_RECLAIMABLE,
	CGITER_MS_SLAB_UNRECLAIMABLE,
	CGITER_MS_WORKINGSET_REFAULT_ANON, CGITER_MS_WORKINGSET_REFAULT_FILE,
	CGITER_MS_WORKINGSET_ACTIVATE_ANON, CGITER_MS_WORKINGSET_ACTIVATE_FILE,
	CGITER_MS_WORKINGSET_RESTORE_ANON, CGITER_MS_WORKINGSET_RESTORE_FILE,
	CGITER_MS_WORKINGSET_NODERECLAIM,
	/* events (memcg_vm_event_stat[]) */
	CGITER_MS_PGSCAN_KSWAPD, CGITER_MS_PGSCAN_DIRECT, CGITER_MS_PGSTEAL_KSWAPD,
	CGITER_MS_PGSTEAL_DIRECT, CGITER_MS_PGFAULT, CGITER_MS_PGMAJFAULT, CGITER_MS_PGREFILL,
	CGITER_MS_PGACTIVATE, CGITER_MS_PGDEACTIVATE, CGITER_MS_PGLAZYFREE,
	CGITER_MS_PGLAZYFREED, CGITER_MS_ZSWPIN, CGITER_MS_ZSWPOUT,
	CGITER_MS_THP_FAULT_ALLOC, CGITER_MS_THP_COLLAPSE_ALLOC,
	CGITER_MS_NR
};

/* psi totals, ns, as group->total[PSI_AVGS][] holds them. */
enum cgiter_psi {
	CGITER_PSI_CPU_SOME, CGITER_PSI_CPU_FULL, CGITER_PSI_MEM_SOME, CGITER_PSI_MEM_FULL,
	CGITER_PSI_IO_SOME, CGITER_PSI_IO_FULL, CGITER_PSI_IRQ_FULL, CGITER_PSI_NR
};

struct cgiter_rec {
	__u64 id;			/* kernfs id: the inode of the cgroup's directory */
	__u64 gen;			/* the session that wrote it (userspace's number) */
	__u32 level;			/* 0: the hierarchy's root */
	__u32 have;			/* enum cgiter_have */
	__u32 flags;			/* enum cgiter_flags */
	__u32 controllers;		/* enum cgiter_controller */
	__u64 nr_descendants, nr_dying_descendants;
	/* cpu.stat: cgroup_base_stat and prev_cputime, ns */
	__u64 sum_exec_ns, utime_ns, stime_ns, prev_utime_ns, prev_stime_ns;
	__u64 forceidle_ns;		/* CGITER_UNSET without CONFIG_SCHED_CORE */
	/* cfs_bandwidth: counters, and times in ns; quota CGITER_UNSET: none */
	__u64 nr_periods, nr_throttled, throttled_ns, nr_bursts, burst_ns;
	__u64 quota_ns, period_ns;
	__u64 shares;			/* task_group::shares, scaled load */
	/* memory: page_counter values in pages */
	__u64 mem_usage, mem_watermark, mem_max, mem_high, mem_low, mem_min;
	__u64 swap_usage, swap_max;
	__u64 mem_events[CGITER_MEMEV_NR], mem_events_local[CGITER_MEMEV_NR];
	__u64 swap_events[CGITER_SWAPEV_NR];
	/* pids */
	__u64 pids_current, pids_limit, pids_peak, pids_events_max;
	/* The parts below are in the map's values only when asked for
	 * (CGITER_SIZE_*): the batch reads copy every byte of a value, and a
	 * kernel without 6.1's memory.stat layout has no use for 408 of them. */
	__u64 psi_total_ns[CGITER_PSI_NR];
	__u64 memstat[CGITER_MS_NR];
};

/* The map's value size: the record up to psi_total_ns (no psi, no
 * memory.stat), up to memstat (psi), or whole (memory.stat). */
#define CGITER_SIZE_BASE __builtin_offsetof(struct cgiter_rec, psi_total_ns)
#define CGITER_SIZE_PSI __builtin_offsetof(struct cgiter_rec, memstat)
#define CGITER_SIZE_ALL sizeof(struct cgiter_rec)

#endif
