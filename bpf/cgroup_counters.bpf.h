/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Per-cgroup counters in the kernel that userspace reads without the bpf()
 * syscall: the machinery every per-cgroup count of cgscope uses (kernel
 * events here; network bytes from cgroup_skb programs can use it too).
 *
 * Why not a hash map keyed by cgroup id, or cgroup local storage: the agent
 * reads its counters every cycle after it dropped to uid nobody with no
 * capabilities, and kernels before 6.5 refuse the bpf() syscall to such a
 * process (kernel.unprivileged_bpf_disabled), so map lookups are out. An
 * array map with BPF_F_MMAPABLE can be mapped at load and read through
 * memory from then on. So a table is:
 *
 *   NAME_slot    HASH   cgroup id -> slot (an index), used by BPF only
 *   NAME_free    STACK  the slots no cgroup holds; the loader fills it at load
 *   NAME_meta    ARRAY, mmapable: slot -> struct cgc_meta (which cgroup holds it)
 *   NAME_values  ARRAY, mmapable: the counters, one value struct (all __u64)
 *                per slot and region: entry (region * slots + slot)
 *
 * Regions: a shared table has one, and adds with atomic instructions; a
 * per-CPU table has one per possible CPU and each CPU adds to its own
 * without atomics (what pays where many CPUs count the same cgroup at high
 * rates, such as packets). Userspace sums the regions. NAME_cfg (set in
 * .rodata before load) says how many slots and regions there are.
 *
 * A cgroup gets a slot on its first count (cgc_values(..., true)) and gives
 * it back when the kernel frees it (cgc_release() from the cgroup_release
 * tracepoint), so the table holds the cgroups that exist, whatever the
 * churn. When every slot is taken a count is not made and NAME_stat's
 * `unslotted` says so. The stack is LIFO, so the slots in use stay low.
 *
 * Slot ownership, published through NAME_meta with a sequence count: BPF
 * makes gen odd, changes the slot (zeroes its values in every region, sets
 * id), then makes it even again; userspace reads gen, id, the values, gen,
 * and retries when gen changed or was odd. A program that looked a slot up
 * just before its cgroup was freed could add to it after it was handed to
 * another cgroup: the counts cgscope keeps cannot, since a cgroup that
 * still has tasks (or sockets) is not freed.
 *
 * Use (one table per value struct):
 *
 *   CGC_TABLE(ev, struct cgscope_cg_counts, 16384);
 *   struct cgscope_cg_counts *c = CGC_VALUES(ev, cgroup_id, true);
 *   if (c) CGC_ADD(ev, &c->migrations_in, 1);
 *   ...
 *   CGC_RELEASE(ev, cgroup_id);		(in the cgroup_release program)
 *
 * A table whose counts a reader sums over subtrees (the network table)
 * records each cgroup's parent and level in NAME_meta (CGC_SLOT), and
 * moves a freed cgroup's counts into its parent's slot before giving the
 * slot back, counted in NAME_stat's `moving` (under way) and `moves`
 * (done): the reader retries a read that a move overlapped, so that no
 * count is seen twice or not at all, and a parent's sum never goes down.
 */
#ifndef CGSCOPE_CGROUP_COUNTERS_BPF_H
#define CGSCOPE_CGROUP_COUNTERS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "cgroup_counters_layout.h"

/* Regions are zeroed one by one when a slot is handed out: a bound for the
 * verifier. A per-CPU table on a machine with more possible CPUs is made
 * shared by the loader (cgroup_counters_geometry()). */
#define CGC_MAX_REGIONS CGC_REGIONS_MAX

#define CGC_TABLE(name, value_type, default_slots)				\
struct {									\
	__uint(type, BPF_MAP_TYPE_HASH);					\
	__uint(max_entries, default_slots);					\
	__type(key, __u64);							\
	__type(value, __u32);							\
} name##_slot SEC(".maps");							\
struct {									\
	__uint(type, BPF_MAP_TYPE_STACK);					\
	__uint(max_entries, default_slots);					\
	__uint(value_size, sizeof(__u32));					\
} name##_free SEC(".maps");							\
struct {									\
	__uint(type, BPF_MAP_TYPE_ARRAY);					\
	__uint(map_flags, BPF_F_MMAPABLE);					\
	__uint(max_entries, default_slots);					\
	__type(key, __u32);							\
	__type(value, struct cgc_meta);						\
} name##_meta SEC(".maps");							\
struct {									\
	__uint(type, BPF_MAP_TYPE_ARRAY);					\
	__uint(map_flags, BPF_F_MMAPABLE);					\
	__uint(max_entries, default_slots);					\
	__type(key, __u32);							\
	__type(value, value_type);						\
} name##_values SEC(".maps");							\
struct {									\
	__uint(type, BPF_MAP_TYPE_ARRAY);					\
	__uint(map_flags, BPF_F_MMAPABLE);					\
	__uint(max_entries, 1);							\
	__type(key, __u32);							\
	__type(value, struct cgc_stat);						\
} name##_stat SEC(".maps");							\
const volatile struct cgc_cfg name##_cfg = { default_slots, 1 }

static __always_inline void cgc_stat_add(void *stat_map, int field)
{
	__u32 zero = 0;
	struct cgc_stat *st = bpf_map_lookup_elem(stat_map, &zero);

	if (!st)
		return;
	if (field == 0)
		__sync_fetch_and_add(&st->allocated, 1);
	else if (field == 1)
		__sync_fetch_and_add(&st->released, 1);
	else
		__sync_fetch_and_add(&st->unslotted, 1);
}

/* Zeroes slot's values in every region. */
static __always_inline void cgc_zero(void *values, __u32 slots, __u32 regions, __u32 slot,
				     __u32 value_size)
{
	for (__u32 r = 0; r < CGC_MAX_REGIONS; r++) {
		__u32 idx = r * slots + slot;
		__u64 *v;

		if (r >= regions)
			break;
		v = bpf_map_lookup_elem(values, &idx);
		if (!v)
			break;
		for (__u32 i = 0; i < CGC_MAX_U64S; i++) {
			if (i * 8 >= value_size)
				break;
			v[i] = 0;
		}
	}
}

/* Takes a free slot for id, where the cgroup sits at level below parent
 * (both 0 in a table that does not sum subtrees): the new slot, or the one
 * another CPU gave id meanwhile, or -1 when none is free. */
static __always_inline __s64 cgc_alloc(void *slot_map, void *free_map, void *meta_map,
				       void *values, void *stat_map, __u32 slots,
				       __u32 regions, __u32 value_size, __u64 id,
				       __u64 parent, __u32 level)
{
	struct cgc_meta *m;
	__u32 slot, *other;

	if (bpf_map_pop_elem(free_map, &slot)) {
		cgc_stat_add(stat_map, 2);
		return -1;
	}
	m = bpf_map_lookup_elem(meta_map, &slot);
	if (!m) {
		bpf_map_push_elem(free_map, &slot, 0);
		return -1;
	}
	__sync_fetch_and_add(&m->gen, 1);	/* odd: changing */
	cgc_zero(values, slots, regions, slot, value_size);
	if (bpf_map_update_elem(slot_map, &id, &slot, BPF_NOEXIST)) {
		/* Another CPU gave id a slot first (or the hash is full). */
		m->id = 0;
		__sync_fetch_and_add(&m->gen, 1);
		bpf_map_push_elem(free_map, &slot, 0);
		other = bpf_map_lookup_elem(slot_map, &id);
		if (other)
			return *other;
		cgc_stat_add(stat_map, 2);
		return -1;
	}
	m->id = id;
	m->parent = parent;
	m->level = level;
	__sync_fetch_and_add(&m->gen, 1);	/* even: published */
	cgc_stat_add(stat_map, 0);
	return slot;
}

/* This CPU's values of a slot (its region's; the only one of a shared
 * table). */
static __always_inline void *cgc_slot_values(void *values, __u32 slots, __u32 regions, __u32 slot)
{
	__u32 idx = slot;

	if (regions > 1)
		idx += bpf_get_smp_processor_id() * slots;
	return bpf_map_lookup_elem(values, &idx);
}

/* This CPU's values of cgroup id, NULL when it has no slot and create is
 * false or none is free. */
static __always_inline void *cgc_values(void *slot_map, void *free_map, void *meta_map,
					void *values, void *stat_map, __u32 slots,
					__u32 regions, __u32 value_size, __u64 id, bool create)
{
	__u32 *s = bpf_map_lookup_elem(slot_map, &id);
	__s64 slot;

	if (s)
		slot = *s;
	else if (!create)
		return NULL;
	else
		slot = cgc_alloc(slot_map, free_map, meta_map, values, stat_map, slots, regions,
				 value_size, id, 0, 0);
	if (slot < 0)
		return NULL;
	return cgc_slot_values(values, slots, regions, (__u32)slot);
}

/* Gives id's slot back: the cgroup is gone. */
static __always_inline void cgc_release(void *slot_map, void *free_map, void *meta_map,
					void *stat_map, __u64 id)
{
	__u32 *s = bpf_map_lookup_elem(slot_map, &id);
	struct cgc_meta *m;
	__u32 slot;

	if (!s)
		return;
	slot = *s;
	if (bpf_map_delete_elem(slot_map, &id))
		return;		/* another CPU released it */
	m = bpf_map_lookup_elem(meta_map, &slot);
	if (m) {
		__sync_fetch_and_add(&m->gen, 1);
		m->id = 0;
		__sync_fetch_and_add(&m->gen, 1);
	}
	bpf_map_push_elem(free_map, &slot, 0);
	cgc_stat_add(stat_map, 1);
}

#define CGC_VALUES(name, id, create)						\
	((__typeof__(name##_values.value))cgc_values(&name##_slot, &name##_free,	\
		&name##_meta, &name##_values, &name##_stat, name##_cfg.slots,		\
		name##_cfg.regions, sizeof(*name##_values.value), (id), (create)))

/* Adds to a counter of this CPU's values: atomically when every CPU shares
 * one region. */
#define CGC_ADD(name, ptr, delta)						\
	do {									\
		if (name##_cfg.regions > 1)					\
			*(ptr) += (delta);					\
		else								\
			__sync_fetch_and_add((ptr), (delta));			\
	} while (0)

/* Adds to a counter that only ever changes under one kernel lock (the
 * migration counts: every attach runs under cgroup_mutex), so no atomic
 * instruction is needed whatever the regions; other counters of the same
 * slot are other words, which a plain add of this one does not touch. */
#define CGC_ADD_SERIAL(name, ptr, delta)	(*(ptr) += (delta))

#define CGC_RELEASE(name, id)							\
	cgc_release(&name##_slot, &name##_free, &name##_meta, &name##_stat, (id))

/* For tables whose counts are summed over subtrees: id's slot, taken on
 * first use with its place in the tree (-1 when none is free), and the
 * values of a slot in this CPU's region or in region r. */
#define CGC_SLOT(name, id, parent, level)					\
	({									\
		__u64 __id = (id);						\
		__u32 *__s = bpf_map_lookup_elem(&name##_slot, &__id);		\
		__s ? (__s64)*__s :						\
		cgc_alloc(&name##_slot, &name##_free, &name##_meta, &name##_values,	\
			  &name##_stat, name##_cfg.slots, name##_cfg.regions,		\
			  sizeof(*name##_values.value), __id, (parent), (level));	\
	})

#define CGC_SLOT_VALUES(name, slot)						\
	((__typeof__(name##_values.value))cgc_slot_values(&name##_values,		\
		name##_cfg.slots, name##_cfg.regions, (slot)))

#define CGC_REGION_VALUES(name, slot, region)					\
	({									\
		__u32 __idx = (region) * name##_cfg.slots + (slot);		\
		(__typeof__(name##_values.value))bpf_map_lookup_elem(&name##_values, &__idx); \
	})

#endif
