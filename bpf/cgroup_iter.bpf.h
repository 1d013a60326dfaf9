/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The cgroup tree in one pass: a sleepable iter/cgroup program that walks
 * every cgroup below the cgroup it is attached to (pre-order) and keeps one
 * struct cgiter_rec per cgroup in a hash map, keyed by cgroup id.
 *
 * Records go to maps, not to the iterator's seq_file: a cgroup iterator
 * gives one read() per session, and that read holds at most the seq_file's
 * buffer (8 pages), some 40 records. They go to an array userspace reads in
 * place, sized for the tree with room to grow, and past it to a map that
 * grows as the tree does (recs, spill below). Userspace (agent/collect/
 * cgroup_iter.c) sets gen before each session and reads the records after.
 *
 * It reads what the cgroup's files would show, in the kernel's units, and
 * after the flush that reading cpu.stat (and, on 6.1, memory.stat) would
 * make; kernel differences are in iter_compat.bpf.h. This is the whole
 * program; cgscope_iter.bpf.c and cgscope_iter_cgroup_rstat.bpf.c include
 * it, each with the flush kfunc of its kernels as ITER_FLUSH(cgrp). */
#ifndef CGSCOPE_CGROUP_ITER_BPF_H
#define CGSCOPE_CGROUP_ITER_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "iter_compat.bpf.h"
#include "macros.bpf.h"
#include "cgroup_iter.h"

/* Every loop is unrolled: 6.1's verifier takes a loop whose head follows a
 * helper call for a back-edge ("back-edge from insn N to N+1") and refuses
 * the program; later kernels accept it. */

#ifndef ITER_FLUSH
#error "ITER_FLUSH(cgrp): the statistics flush of the object's kernels"
#endif

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* What to read (enum cgiter_cover bits), set before load: groups switched
 * off cost nothing. The record's optional parts, which size the map's
 * values (bpf/cgroup_iter.h): what the code that writes them is dropped
 * without, so that the verifier never sees a write past a value. */
const volatile __u32 want = ~0u;
const volatile bool with_psi = false;
const volatile bool with_memstat = false;

/* Written by userspace before each session: the records it writes carry
 * it; psi: read the psi totals too (measured by the check, never served). */
__u64 gen;
__u32 psi;
/* Written by each session. */
__u32 cover;			/* enum cgiter_cover: what this kernel gave */
__u64 visited;			/* cgroups walked */
__u64 dropped;			/* cgroups with no record: the map was full */

/* Records of the first `capacity` cgroups of a walk, by their place in
 * it: an array userspace maps and reads in place (no copy, no syscall), and
 * a record is reached with no lookup of a key. Sized by userspace for the
 * tree it found, with room to grow; past it, the spill map below. */
const volatile __u32 capacity = 1;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);		/* capacity, set by userspace */
	/* Sizes, not BTF types: userspace cuts the value to the parts it
	 * asked for (CGITER_SIZE_*), which a BTF value type would contradict. */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct cgiter_rec));
} recs SEC(".maps");

/* The cgroups past capacity, by id, in a map that grows with the tree (no
 * preallocated elements): read in batches, those of cgroups that are gone
 * deleted by userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);	/* set by userspace */
	__uint(key_size, sizeof(__u64));
	__uint(value_size, sizeof(struct cgiter_rec));
} spill SEC(".maps");

/* Room for raw kernel arrays (memcg_vmstats) and a new record. */
#define SCRATCH_SIZE 2048
struct scratch {
	__u8 raw[SCRATCH_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

static __always_inline __u32 compute_cover(bool flushed)
{
	__u32 c = CGITER_COVER_CGROUP;

	if (bpf_core_type_exists(struct task_group) &&
	    bpf_core_field_exists(struct task_group, shares) &&
	    bpf_core_field_exists(struct task_group, cfs_bandwidth) && SUBSYS_ID(cpu) >= 0)
		c |= CGITER_COVER_CPU;
	if (bpf_core_type_exists(struct mem_cgroup) && SUBSYS_ID(memory) >= 0) {
		c |= CGITER_COVER_MEMORY | CGITER_COVER_MEMORY_EVENTS;
		if (with_memstat && memstat_layout_v61())
			c |= CGITER_COVER_MEMORY_STAT;
		if (has_swap())
			c |= CGITER_COVER_MEMORY_SWAP;
	}
	if (bpf_core_type_exists(struct pids_cgroup) && SUBSYS_ID(pids) >= 0)
		c |= CGITER_COVER_PIDS;
	if (flushed)
		c |= CGITER_COVER_FLUSH;
	return c & (want | CGITER_COVER_FLUSH);
}

static __always_inline void set_unset(__u64 *p, int n)
{
	#pragma unroll
	for (int i = 0; i < n; i++)
		p[i] = CGITER_UNSET;
}

/* A kernel structure copied whole into scratch (one helper call rather
 * than one per field, ~50 ns each), and its fields read there at their
 * relocated offsets. */
#define RAW(s, off, type) (*(type *)((s)->raw + (off)))
#define RAW_MAX 1024

static __always_inline int copy_raw(struct scratch *s, const void *src, __u32 size)
{
	if (size > RAW_MAX)
		return -1;
	return bpf_probe_read_kernel(s->raw, size & (RAW_MAX - 1), src);
}

/* The controllers cgroup.controllers lists: the parent's subtree_control
 * (for a threaded cgroup, only the threaded controllers: cpu and pids among
 * ours); on the hierarchy's root, those bound to it. The parent is reached
 * as a cgroup_subsys_state (its self), which the verifier knows no more of:
 * read through the helper. */
static __always_inline __u32 visible_controllers(struct cgroup *cgrp, bool threaded)
{
	int ids[4] = { SUBSYS_ID(cpu), SUBSYS_ID(memory), SUBSYS_ID(io), SUBSYS_ID(pids) };
	struct cgroup_subsys_state *pcss = cgrp->self.parent;
	__u32 mask, out = 0;
	u16 m16 = 0;

	if (pcss) {
		bpf_probe_read_kernel(&m16, sizeof(m16),
				      (void *)pcss - bpf_core_field_offset(struct cgroup, self) +
					      bpf_core_field_offset(struct cgroup, subtree_control));
		mask = m16;
	} else {
		mask = BPF_CORE_READ(cgrp, root, subsys_mask);
	}
	#pragma unroll
	for (int i = 0; i < 4; i++)
		if (ids[i] >= 0 && ((mask >> ids[i]) & 1))
			out |= 1u << i;
	if (threaded)
		out &= CGITER_CTL_CPU | CGITER_CTL_PIDS;
	return out;
}

static __always_inline void read_cpu_base(struct cgroup *cgrp, struct cgiter_rec *r)
{
	r->sum_exec_ns = cgrp->bstat.cputime.sum_exec_runtime;
	r->utime_ns = cgrp->bstat.cputime.utime;
	r->stime_ns = cgrp->bstat.cputime.stime;
	if (cputime_scaled()) {
		r->prev_utime_ns = cgrp->prev_cputime.utime;
		r->prev_stime_ns = cgrp->prev_cputime.stime;
		r->have |= CGITER_HAVE_CPU_SCALE;
	} else {
		r->prev_utime_ns = r->prev_stime_ns = CGITER_UNSET;
	}
	r->forceidle_ns = cgroup_forceidle_ns(cgrp);
	r->have |= CGITER_HAVE_CPU_STAT;
}

static __always_inline void read_cpu(struct cgroup_subsys_state *css, struct cgiter_rec *r,
				     struct scratch *s)
{
	void *tg = (void *)css - bpf_core_field_offset(struct task_group, css);
	__u64 shares = 0;

	if (copy_raw(s, tg + bpf_core_field_offset(struct task_group, cfs_bandwidth),
		     bpf_core_type_size(struct cfs_bandwidth)) ||
	    bpf_probe_read_kernel(&shares, sizeof(shares),
				  tg + bpf_core_field_offset(struct task_group, shares)))
		return;
#define CFS(field, type) RAW(s, bpf_core_field_offset(struct cfs_bandwidth, field), type)
	r->nr_periods = (__u32)CFS(nr_periods, int);
	r->nr_throttled = (__u32)CFS(nr_throttled, int);
	r->throttled_ns = CFS(throttled_time, __u64);
	if (bpf_core_field_exists(struct cfs_bandwidth, nr_burst)) {
		r->nr_bursts = (__u32)CFS(nr_burst, int);
		r->burst_ns = CFS(burst_time, __u64);
	} else {
		r->nr_bursts = r->burst_ns = CGITER_UNSET;
	}
	r->quota_ns = CFS(quota, __u64);
	r->period_ns = (__u64)CFS(period, __s64);
#undef CFS
	r->shares = shares;
	r->have |= CGITER_HAVE_CPU_BW | CGITER_HAVE_CPU_CTL;
}

/* A page_counter's usage, watermark (peak: NULL for none) and limits,
 * copied whole. */
static __always_inline int read_counter(struct scratch *s, const void *pc, __u64 *usage,
					__u64 *peak, __u64 *max, __u64 *high, __u64 *low, __u64 *min)
{
	if (copy_raw(s, pc, bpf_core_type_size(struct page_counter)))
		return -1;
#define PC(field) RAW(s, bpf_core_field_offset(struct page_counter, field), __u64)
	*usage = PC(usage);
	if (peak)
		*peak = PC(watermark);
	*max = PC(max);
	if (high) {
		*high = PC(high);
		*low = PC(low);
		*min = PC(min);
	}
#undef PC
	return 0;
}

/* memory.events[.local] from the kernel's memory_events[] (indexed by enum
 * memcg_memory_event, which moves with the config), copied in one read. */
static __always_inline void read_mem_events(void *memcg, struct cgiter_rec *r,
					    struct scratch *s)
{
	__u32 off_ev = bpf_core_field_offset(struct mem_cgroup, memory_events);
	__u32 off_loc = bpf_core_field_offset(struct mem_cgroup, memory_events_local);
	__u32 size = bpf_core_field_size(struct mem_cgroup, memory_events);
	__u64 *ev = (__u64 *)s->raw, *loc = (__u64 *)(s->raw + 512);
	int idx[CGITER_MEMEV_NR] = {
		bpf_core_enum_value(enum memcg_memory_event, MEMCG_LOW),
		bpf_core_enum_value(enum memcg_memory_event, MEMCG_HIGH),
		bpf_core_enum_value(enum memcg_memory_event, MEMCG_MAX),
		bpf_core_enum_value(enum memcg_memory_event, MEMCG_OOM),
		bpf_core_enum_value(enum memcg_memory_event, MEMCG_OOM_KILL),
		bpf_core_enum_value(enum memcg_memory_event, MEMCG_OOM_GROUP_KILL),
		-1,	/* MEMCG_SOCK_THROTTLED: not in the kernels of vmlinux.h */
	};
	int sw[CGITER_SWAPEV_NR] = {
		bpf_core_enum_value(enum memcg_memory_event, MEMCG_SWAP_HIGH),
		bpf_core_enum_value(enum memcg_memory_event, MEMCG_SWAP_MAX),
		bpf_core_enum_value(enum memcg_memory_event, MEMCG_SWAP_FAIL),
	};

	if (size > 512 ||
	    bpf_probe_read_kernel(ev, size & 511, memcg + off_ev) ||
	    bpf_probe_read_kernel(loc, size & 511, memcg + off_loc)) {
		set_unset(r->mem_events, CGITER_MEMEV_NR);
		set_unset(r->mem_events_local, CGITER_MEMEV_NR);
		set_unset(r->swap_events, CGITER_SWAPEV_NR);
		return;
	}
	#pragma unroll
	for (int i = 0; i < CGITER_MEMEV_NR; i++) {
		__u32 k = (__u32)idx[i];

		if (k >= 64) {
			r->mem_events[i] = r->mem_events_local[i] = CGITER_UNSET;
			continue;
		}
		r->mem_events[i] = ev[k];
		r->mem_events_local[i] = loc[k];
	}
	#pragma unroll
	for (int i = 0; i < CGITER_SWAPEV_NR; i++) {
		__u32 k = (__u32)sw[i];

		r->swap_events[i] = k < 64 ? ev[k] : CGITER_UNSET;
	}
}

/* memory.stat, 6.1's layout: state[] by item, events[] by place (see
 * memstat_layout_v61). State values are clamped at 0 as
 * memcg_page_state() does; units are applied in userspace. */
static __always_inline void read_memstat(void *memcg, struct cgiter_rec *r, struct scratch *s)
{
	struct memcg_vmstats *vm = NULL;
	__u32 off = bpf_core_field_offset(struct memcg_vmstats, state);
	__u32 size = bpf_core_field_size(struct memcg_vmstats, state) +
		     bpf_core_field_size(struct memcg_vmstats, events);
	__u32 nstate = bpf_core_field_size(struct memcg_vmstats, state) / sizeof(long);
	long *st = (long *)s->raw;
#define ST(item, e) bpf_core_enum_value(enum e, item)
	int state_idx[] = {
		[CGITER_MS_ANON] = ST(NR_ANON_MAPPED, node_stat_item),
		[CGITER_MS_FILE] = ST(NR_FILE_PAGES, node_stat_item),
		[CGITER_MS_KERNEL] = ST(MEMCG_KMEM, memcg_stat_item),
		[CGITER_MS_KERNEL_STACK] = ST(NR_KERNEL_STACK_KB, node_stat_item),
		[CGITER_MS_PAGETABLES] = ST(NR_PAGETABLE, node_stat_item),
		[CGITER_MS_SEC_PAGETABLES] = bpf_core_enum_value_exists(enum node_stat_item,
									NR_SECONDARY_PAGETABLE) ?
			ST(NR_SECONDARY_PAGETABLE, node_stat_item) : -1,
		[CGITER_MS_PERCPU] = ST(MEMCG_PERCPU_B, memcg_stat_item),
		[CGITER_MS_SOCK] = ST(MEMCG_SOCK, memcg_stat_item),
		[CGITER_MS_VMALLOC] = ST(MEMCG_VMALLOC, memcg_stat_item),
		[CGITER_MS_SHMEM] = ST(NR_SHMEM, node_stat_item),
		[CGITER_MS_ZSWAP] = has_zswap() ? ST(MEMCG_ZSWAP_B, memcg_stat_item) : -1,
		[CGITER_MS_ZSWAPPED] = has_zswap() ? ST(MEMCG_ZSWAPPED, memcg_stat_item) : -1,
		[CGITER_MS_FILE_MAPPED] = ST(NR_FILE_MAPPED, node_stat_item),
		[CGITER_MS_FILE_DIRTY] = ST(NR_FILE_DIRTY, node_stat_item),
		[CGITER_MS_FILE_WRITEBACK] = ST(NR_WRITEBACK, node_stat_item),
		[CGITER_MS_SWAPCACHED] = has_swap() ? ST(NR_SWAPCACHE, node_stat_item) : -1,
		[CGITER_MS_ANON_THP] = has_thp() ? ST(NR_ANON_THPS, node_stat_item) : -1,
		[CGITER_MS_FILE_THP] = has_thp() ? ST(NR_FILE_THPS, node_stat_item) : -1,
		[CGITER_MS_SHMEM_THP] = has_thp() ? ST(NR_SHMEM_THPS, node_stat_item) : -1,
		[CGITER_MS_INACTIVE_ANON] = ST(NR_INACTIVE_ANON, node_stat_item),
		[CGITER_MS_ACTIVE_ANON] = ST(NR_ACTIVE_ANON, node_stat_item),
		[CGITER_MS_INACTIVE_FILE] = ST(NR_INACTIVE_FILE, node_stat_item),
		[CGITER_MS_ACTIVE_FILE] = ST(NR_ACTIVE_FILE, node_stat_item),
		[CGITER_MS_UNEVICTABLE] = ST(NR_UNEVICTABLE, node_stat_item),
		[CGITER_MS_SLAB_RECLAIMABLE] = ST(NR_SLAB_RECLAIMABLE_B, node_stat_item),
		[CGITER_MS_SLAB_UNRECLAIMABLE] = ST(NR_SLAB_UNRECLAIMABLE_B, node_stat_item),
		[CGITER_MS_WORKINGSET_REFAULT_ANON] = ST(WORKINGSET_REFAULT_ANON, node_stat_item),
		[CGITER_MS_WORKINGSET_REFAULT_FILE] = ST(WORKINGSET_REFAULT_FILE, node_stat_item),
		[CGITER_MS_WORKINGSET_ACTIVATE_ANON] = ST(WORKINGSET_ACTIVATE_ANON, node_stat_item),
		[CGITER_MS_WORKINGSET_ACTIVATE_FILE] = ST(WORKINGSET_ACTIVATE_FILE, node_stat_item),
		[CGITER_MS_WORKINGSET_RESTORE_ANON] = ST(WORKINGSET_RESTORE_ANON, node_stat_item),
		[CGITER_MS_WORKINGSET_RESTORE_FILE] = ST(WORKINGSET_RESTORE_FILE, node_stat_item),
		[CGITER_MS_WORKINGSET_NODERECLAIM] = ST(WORKINGSET_NODERECLAIM, node_stat_item),
	};
	int ev_idx[] = {
		EV61_PGSCAN_KSWAPD, EV61_PGSCAN_DIRECT, EV61_PGSTEAL_KSWAPD, EV61_PGSTEAL_DIRECT,
		EV61_PGFAULT, EV61_PGMAJFAULT, EV61_PGREFILL, EV61_PGACTIVATE, EV61_PGDEACTIVATE,
		EV61_PGLAZYFREE, EV61_PGLAZYFREED,
		has_zswap() ? ev61_zswpin() : -1, has_zswap() ? ev61_zswpin() + 1 : -1,
		has_thp() ? ev61_thp() : -1, has_thp() ? ev61_thp() + 1 : -1,
	};
#undef ST
	_Static_assert(ARRAY_SIZE(state_idx) == CGITER_MS_WORKINGSET_NODERECLAIM + 1,
		       "every state item has an index");
	_Static_assert(ARRAY_SIZE(ev_idx) == CGITER_MS_NR - CGITER_MS_PGSCAN_KSWAPD,
		       "every event item has an index");

	if (bpf_probe_read_kernel(&vm, sizeof(vm),
				  memcg + bpf_core_field_offset(struct mem_cgroup, vmstats)) ||
	    !vm || size > SCRATCH_SIZE ||
	    bpf_probe_read_kernel(st, size & (SCRATCH_SIZE - 1), (void *)vm + off)) {
		set_unset(r->memstat, CGITER_MS_NR);
		return;
	}
	#pragma unroll
	for (int i = 0; i < (int)ARRAY_SIZE(state_idx); i++) {
		__u32 k = (__u32)state_idx[i];
		long v;

		/* (-1 is out of range too) */
		if (k >= nstate || k >= SCRATCH_SIZE / 8) {
			r->memstat[i] = CGITER_UNSET;
			continue;
		}
		v = st[k & (SCRATCH_SIZE / 8 - 1)];
		r->memstat[i] = v < 0 ? 0 : (__u64)v;
	}
	#pragma unroll
	for (int i = 0; i < (int)ARRAY_SIZE(ev_idx); i++) {
		__u32 k = (__u32)ev_idx[i] + nstate;

		if (ev_idx[i] < 0 || k >= SCRATCH_SIZE / 8) {
			r->memstat[CGITER_MS_PGSCAN_KSWAPD + i] = CGITER_UNSET;
			continue;
		}
		r->memstat[CGITER_MS_PGSCAN_KSWAPD + i] = (__u64)st[k & (SCRATCH_SIZE / 8 - 1)];
	}
	r->have |= CGITER_HAVE_MEMSTAT;
}

static __always_inline void read_memory(struct cgroup_subsys_state *css, struct cgiter_rec *r,
					struct scratch *s, __u32 cov)
{
	void *memcg = (void *)css - bpf_core_field_offset(struct mem_cgroup, css);

	if (read_counter(s, memcg + bpf_core_field_offset(struct mem_cgroup, memory),
			 &r->mem_usage, &r->mem_watermark, &r->mem_max, &r->mem_high,
			 &r->mem_low, &r->mem_min))
		return;
	r->have |= CGITER_HAVE_MEMORY;
	if (cov & CGITER_COVER_MEMORY_EVENTS)
		read_mem_events(memcg, r, s);
	if ((cov & CGITER_COVER_MEMORY_SWAP) &&
	    !read_counter(s, memcg + bpf_core_field_offset(struct mem_cgroup, swap),
			  &r->swap_usage, NULL, &r->swap_max, NULL, NULL, NULL))
		r->have |= CGITER_HAVE_SWAP;
	if (with_memstat && (cov & CGITER_COVER_MEMORY_STAT))
		read_memstat(memcg, r, s);
}

static __always_inline void read_pids(struct cgroup_subsys_state *css, struct cgroup *cgrp,
				      struct cgiter_rec *r, struct scratch *s)
{
	void *pids = (void *)css - bpf_core_field_offset(struct pids_cgroup, css);

	if (copy_raw(s, pids, bpf_core_type_size(struct pids_cgroup)))
		return;
#define PIDS(field, type) RAW(s, bpf_core_field_offset(struct pids_cgroup, field), type)
	r->pids_current = (__u64)PIDS(counter, __s64);
	r->pids_limit = (__u64)PIDS(limit, __s64);
	r->pids_peak = bpf_core_field_exists(struct pids_cgroup, watermark) ?
			       (__u64)PIDS(watermark, __s64) : CGITER_UNSET;
#undef PIDS
	r->pids_events_max = pids_events_max(pids, cgrp, s->raw);
	r->have |= CGITER_HAVE_PIDS;
}

/* psi totals as the group holds them between aggregations (psi_show()
 * aggregates the per-CPU times first, which no program can do): measured
 * against the files, not served (docs/performance.md). total[][] is
 * [NR_PSI_AGGREGATORS][NR_PSI_STATES - 1], PSI_AVGS first. */
static __always_inline void read_psi(struct cgroup *cgrp, struct cgiter_rec *r)
{
	struct psi_group *g = cgrp->psi;
	int st[CGITER_PSI_NR] = {
		bpf_core_enum_value(enum psi_states, PSI_CPU_SOME),
		bpf_core_enum_value(enum psi_states, PSI_CPU_FULL),
		bpf_core_enum_value(enum psi_states, PSI_MEM_SOME),
		bpf_core_enum_value(enum psi_states, PSI_MEM_FULL),
		bpf_core_enum_value(enum psi_states, PSI_IO_SOME),
		bpf_core_enum_value(enum psi_states, PSI_IO_FULL),
		-1,	/* PSI_IRQ_FULL: not in the kernels of vmlinux.h */
	};

	if (!g || bpf_core_enum_value(enum psi_aggregators, PSI_AVGS) != 0)
		return;		/* HAVE_PSI clear */
	#pragma unroll
	for (int i = 0; i < CGITER_PSI_NR; i++) {
		__u32 k = (__u32)st[i];

		r->psi_total_ns[i] = k < 12 ? g->total[k] : CGITER_UNSET;
	}
	r->have |= CGITER_HAVE_PSI;
}

/* The record of the walk's place-th cgroup: in the array, or in the spill
 * map by id (made on first sight). NULL when the spill map is full. */
static __always_inline struct cgiter_rec *record(__u64 id, __u64 place, struct scratch *s)
{
	struct cgiter_rec *r;
	__u32 k = (__u32)place;

	if (place < capacity)
		return bpf_map_lookup_elem(&recs, &k);
	r = bpf_map_lookup_elem(&spill, &id);
	if (r)
		return r;
	__builtin_memset(s->raw, 0, sizeof(struct cgiter_rec));	/* >= the value */
	if (bpf_map_update_elem(&spill, &id, s->raw, BPF_NOEXIST))
		return NULL;
	return bpf_map_lookup_elem(&spill, &id);
}

SEC("iter.s/cgroup")
int cgroup_stats(struct bpf_iter__cgroup *ctx)
{
	struct cgroup *cgrp = ctx->cgroup;
	struct cgroup_subsys_state *css;
	struct cgiter_rec *r;
	struct scratch *s;
	__u32 zero = 0, cov;
	bool threaded;
	__u64 id;

	if (!cgrp)
		return 0;	/* the end of the walk */
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 1;
	if (ctx->meta->seq_num == 0) {
		/* The first cgroup is the one the iterator starts at: one flush
		 * covers every cgroup of the walk. */
		ITER_FLUSH(cgrp);
		cover = compute_cover(true);
		visited = dropped = 0;
	}
	cov = cover;
	id = cgroup_ino(cgrp);
	r = record(id, visited++, s);
	if (!r) {
		dropped++;
		return 0;
	}
	/* Every part is written whole or its have bit left clear: an array
	 * slot held another cgroup's record last walk. */
	r->id = id;
	r->gen = gen;
	r->level = cgrp->level;
	r->have = 0;
	r->nr_descendants = (__u32)cgrp->nr_descendants;
	r->nr_dying_descendants = (__u32)cgrp->nr_dying_descendants;
	threaded = cgrp->dom_cgrp != cgrp;
	r->flags = (cgrp->nr_populated_csets + cgrp->nr_populated_domain_children +
		    cgrp->nr_populated_threaded_children ? CGITER_POPULATED : 0) |
		   (cgroup_frozen(cgrp) ? CGITER_FROZEN : 0) |
		   (cgrp->freezer.freeze ? CGITER_FREEZE : 0) |
		   (threaded ? CGITER_THREADED : 0);
	r->controllers = visible_controllers(cgrp, threaded);

	/* cpu.stat of the hierarchy's root is the whole machine's
	 * (root_cgroup_cputime()): files. */
	if ((cov & CGITER_COVER_CPU) && cgrp->level > 0)
		read_cpu_base(cgrp, r);
	if ((cov & CGITER_COVER_CPU) && (css = css_of(cgrp, SUBSYS_ID(cpu))))
		read_cpu(css, r, s);
	if ((cov & CGITER_COVER_MEMORY) && (css = css_of(cgrp, SUBSYS_ID(memory))))
		read_memory(css, r, s, cov);
	if ((cov & CGITER_COVER_PIDS) && (css = css_of(cgrp, SUBSYS_ID(pids))))
		read_pids(css, cgrp, r, s);
	if (with_psi && psi)
		read_psi(cgrp, r);
	return 0;
}

#endif
