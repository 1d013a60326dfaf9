/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What the cgroup iterator (cgscope_iter.bpf.c) needs to know of kernel
 * differences: which structures and statistics the running kernel has, and
 * where, each getter naming the change it covers. Nothing compares kernel
 * versions: every bpf_core_*() below is resolved by libbpf against the
 * running kernel's BTF at load, and the verifier drops what does not apply.
 *
 * Reads of structures reached through container_of() (task_group,
 * mem_cgroup, pids_cgroup from their cgroup_subsys_state) go through
 * bpf_probe_read_kernel: the verifier knows those pointers only as a
 * cgroup_subsys_state, and bpf_rdonly_cast() that would retype them came
 * with Linux 6.2, after the first kernel with iter/cgroup (6.1). */
#ifndef CGSCOPE_ITER_COMPAT_H
#define CGSCOPE_ITER_COMPAT_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

/* Controller ids are an enum of the kernel's config (which controllers are
 * built): relocated, never assumed. -1 when the controller is not built. */
#define SUBSYS_ID(name)                                                         \
	(bpf_core_enum_value_exists(enum cgroup_subsys_id, name##_cgrp_id) ?     \
		 (int)bpf_core_enum_value(enum cgroup_subsys_id, name##_cgrp_id) : -1)

/* The cgroup's css of a controller, NULL when the controller is not
 * enabled for it (nor implied by another). */
static __always_inline struct cgroup_subsys_state *css_of(struct cgroup *cgrp, int id)
{
	if (id < 0 || id >= (int)bpf_core_enum_value(enum cgroup_subsys_id, CGROUP_SUBSYS_COUNT))
		return NULL;
	return cgrp->subsys[id];
}

/* cgroup::flags bit CGRP_FROZEN and cgroup_root::flags bit
 * CGRP_ROOT_PIDS_LOCAL_EVENTS are members of anonymous enums, which CO-RE
 * cannot relocate; CGRP_FROZEN has been 3 since it was added (5.2), and the
 * pids bit 1 << 20 since it was added (with pids_cgroup::events_local,
 * which is what tells whether it exists). vmlinux.h's values are right. */
static __always_inline bool cgroup_frozen(struct cgroup *cgrp)
{
	return (cgrp->flags >> CGRP_FROZEN) & 1;
}

/* Linux 5.5 made kernfs_node::id the inode number (u64); earlier kernels
 * have no iter/cgroup, so this program needs no older flavour. */
static __always_inline __u64 cgroup_ino(struct cgroup *cgrp)
{
	return cgrp->kn->id;
}

/* struct prev_cputime is empty with CONFIG_VIRT_CPU_ACCOUNTING_NATIVE
 * (powerpc, s390): cputime_adjust() then returns utime and stime as they
 * are. Elsewhere it scales them to sum_exec_runtime, monotonically. */
static __always_inline bool cputime_scaled(void)
{
	return bpf_core_field_exists(struct prev_cputime, utime);
}

/* cgroup_base_stat::forceidle_sum exists with CONFIG_SCHED_CORE, which is
 * also what makes cpu.stat show core_sched.force_idle_usec. */
struct cgroup_base_stat___sched_core {
	u64 forceidle_sum;
} __attribute__((preserve_access_index));

struct cgroup___sched_core {
	struct cgroup_base_stat___sched_core bstat;
} __attribute__((preserve_access_index));

/* CGITER_UNSET without it. */
static __always_inline __u64 cgroup_forceidle_ns(struct cgroup *cgrp)
{
	struct cgroup___sched_core *c = (void *)cgrp;

	if (!bpf_core_field_exists(c->bstat.forceidle_sum))
		return (__u64)-1;
	return c->bstat.forceidle_sum;
}

/* pids.events: on 6.1 one counter, pids_cgroup::events_limit; later
 * kernels (6.12 is one) have events[] and events_local[] by enum
 * pidcg_event ("cgroup/pids: Make event counters hierarchical"), shown as
 * events_local[PIDCG_FORKFAIL] when the hierarchy is mounted with
 * pids_localevents. */
struct pids_cgroup___v61 {
	atomic64_t events_limit;
} __attribute__((preserve_access_index));

/* pids: the struct, copied whole into raw (cgroup_iter.bpf.h). */
static __always_inline __u64 pids_events_max(void *pids, struct cgroup *cgrp, void *raw)
{
	__u32 i;

	if (bpf_core_field_exists(struct pids_cgroup___v61, events_limit))
		return *(__u64 *)(raw + bpf_core_field_offset(struct pids_cgroup___v61,
							     events_limit));
	if (cgrp->root->flags & CGRP_ROOT_PIDS_LOCAL_EVENTS) {
		i = bpf_core_enum_value(enum pidcg_event, PIDCG_FORKFAIL);
		return i < 2 ? *(__u64 *)(raw + bpf_core_field_offset(struct pids_cgroup,
									events_local) + i * 8) : (__u64)-1;
	}
	i = bpf_core_enum_value(enum pidcg_event, PIDCG_MAX);
	return i < 2 ? *(__u64 *)(raw + bpf_core_field_offset(struct pids_cgroup, events) + i * 8)
		     : (__u64)-1;
}

/* memory.stat is read from memcg_vmstats by item only where state[] is
 * indexed by the item itself, as on Linux 6.1 (state[MEMCG_NR_STAT]).
 * Later kernels (6.12 is one) packed it: state[MEMCG_VMSTAT_SIZE] holds
 * only the items memcg tracks, at places given by a table built at boot
 * (memcg_stats_index()) that no program can read. Events are by their place in the static
 * memcg_vm_event_stat[] of that kernel, which depends on the config: its
 * length must be the one 6.1's source gives for the config the enum shows
 * (13 events, ZSWPIN and ZSWPOUT with CONFIG_ZSWAP, THP_FAULT_ALLOC and
 * THP_COLLAPSE_ALLOC with CONFIG_TRANSPARENT_HUGEPAGE). */
static __always_inline bool has_zswap(void)
{
	return bpf_core_enum_value_exists(enum vm_event_item, ZSWPIN);
}

static __always_inline bool has_thp(void)
{
	return bpf_core_enum_value_exists(enum vm_event_item, THP_FAULT_ALLOC);
}

static __always_inline bool has_swap(void)
{
	return bpf_core_enum_value_exists(enum node_stat_item, NR_SWAPCACHE);
}

static __always_inline int memcg_nr_events_v61(void)
{
	return 13 + (has_zswap() ? 2 : 0) + (has_thp() ? 2 : 0);
}

static __always_inline bool memstat_layout_v61(void)
{
	if (!bpf_core_type_exists(struct memcg_vmstats) ||
	    !bpf_core_field_exists(struct mem_cgroup, vmstats) ||
	    !bpf_core_enum_value_exists(enum memcg_stat_item, MEMCG_NR_STAT))
		return false;
	return bpf_core_field_size(struct memcg_vmstats, state) ==
		       bpf_core_enum_value(enum memcg_stat_item, MEMCG_NR_STAT) * sizeof(long) &&
	       bpf_core_field_size(struct memcg_vmstats, events) ==
		       memcg_nr_events_v61() * sizeof(long) &&
	       bpf_core_field_offset(struct memcg_vmstats, events) ==
		       bpf_core_field_offset(struct memcg_vmstats, state) +
			       bpf_core_field_size(struct memcg_vmstats, state);
}

/* The place of a vm event in 6.1's memcg_vm_event_stat[]. */
#define EV61_PGSCAN_KSWAPD 2
#define EV61_PGSCAN_DIRECT 3
#define EV61_PGSTEAL_KSWAPD 4
#define EV61_PGSTEAL_DIRECT 5
#define EV61_PGFAULT 6
#define EV61_PGMAJFAULT 7
#define EV61_PGREFILL 8
#define EV61_PGACTIVATE 9
#define EV61_PGDEACTIVATE 10
#define EV61_PGLAZYFREE 11
#define EV61_PGLAZYFREED 12
static __always_inline int ev61_zswpin(void) { return 13; }
static __always_inline int ev61_thp(void) { return has_zswap() ? 15 : 13; }

#endif
