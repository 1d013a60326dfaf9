/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* CO-RE getters for kernel structures whose layout changed between the
 * kernels cgscope runs on. This file and agent/events/bpf_probe.c are the
 * only places that know about kernel differences (cgscope_events.bpf.c asks
 * here); each getter names the change it covers.
 * No kernel versions are compared: libbpf resolves every bpf_core_*() check
 * against the running kernel's BTF at load time, and the verifier drops the
 * branch that does not apply. */
#ifndef CGSCOPE_CORE_COMPAT_H
#define CGSCOPE_CORE_COMPAT_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

/* Linux 6.15 renamed kernfs_node::parent to __parent when it became RCU
 * protected (633488947ef6 "kernfs: Use RCU to access kernfs_node::parent"). */
struct kernfs_node___pre615 {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___pre615 *)kn, parent);
}

/* Linux 5.5 made kernfs_node::id a u64 (the inode number on 64-bit); before,
 * it was union kernfs_node_id with the inode in the low 32 bits ("kernfs:
 * convert kernfs_node->id from union kernfs_node_id to u64"). */
union kernfs_node_id___pre55 {
	struct {
		u32 ino;
		u32 generation;
	};
	u64 id;
} __attribute__((preserve_access_index));

struct kernfs_node___pre55 {
	union kernfs_node_id___pre55 id;
} __attribute__((preserve_access_index));

static __always_inline u64 kn_id(struct kernfs_node *kn)
{
	if (bpf_core_type_exists(union kernfs_node_id___pre55))
		return BPF_CORE_READ((struct kernfs_node___pre55 *)kn, id.ino);
	return BPF_CORE_READ(kn, id);
}

static __always_inline u64 cgroup_id_of(struct cgroup *cgrp)
{
	return kn_id(BPF_CORE_READ(cgrp, kn));
}

/* The unified (cgroup2) hierarchy is the kernel's cgrp_dfl_root, whose
 * hierarchy id is 0 (the "0::" line of /proc/PID/cgroup). The cgroup
 * tracepoints fire for v1 hierarchies too; hybrid hosts have several. */
static __always_inline bool cgroup_on_dfl(struct cgroup *cgrp)
{
	return BPF_CORE_READ(cgrp, root, hierarchy_id) == 0;
}

/* The same three for BTF-typed pointers (tp_btf arguments, task iterator):
 * plain loads the verifier checks against BTF, CO-RE relocated, instead of
 * a bpf_probe_read_kernel() call each (about 15 ns apiece). tp_btf came
 * with Linux 5.5, as did the u64 kernfs_node::id. */
static __always_inline u64 cgroup_id_typed(struct cgroup *cgrp)
{
	return cgrp->kn->id;
}

/* The kernel's own test (cgroup_on_dfl()): the root's address, one load
 * from the cgroup (whose line the caller reads anyway) where the hierarchy
 * id is two, the second in a line nothing else here touches. The address
 * comes from kallsyms; a kernel that does not list it gets the id test. */
extern const void cgrp_dfl_root __ksym __weak;

static __always_inline bool cgroup_on_dfl_typed(struct cgroup *cgrp)
{
	if (&cgrp_dfl_root)	/* resolved to 0 when missing (__weak) */
		return (const void *)cgrp->root == &cgrp_dfl_root;
	return cgrp->root->hierarchy_id == 0;
}

static __always_inline struct cgroup *task_dfl_cgroup_typed(struct task_struct *task)
{
	return task->cgroups->dfl_cgrp;
}

static __always_inline struct cgroup *task_dfl_cgroup(struct task_struct *task)
{
	return BPF_CORE_READ(task, cgroups, dfl_cgrp);
}

/* Linux 6.2 turned mm_struct::rss_stat from struct mm_rss_stat (an array of
 * atomic_long_t) into an array of percpu_counter (f1a7941243c1 "mm: convert
 * mm's rss stats into percpu_counter"). The oom tracepoint reads ->count of
 * the percpu_counter without summing CPUs (get_mm_counter()), as we do. */
struct mm_rss_stat___pre62 {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___pre62 {
	struct mm_rss_stat___pre62 rss_stat;
} __attribute__((preserve_access_index));

/* member: enum value MM_FILEPAGES, MM_ANONPAGES, MM_SHMEMPAGES (resolved by
 * the caller with bpf_core_enum_value so the indexes follow the kernel). The
 * loop gives every read a constant index, which CO-RE access strings need. */
static __always_inline long mm_counter(struct mm_struct *mm, int member)
{
	struct mm_struct___pre62 *old = (void *)mm;
	bool pre62 = bpf_core_field_exists(old->rss_stat);
	long v = 0;

#pragma unroll
	for (int i = 0; i < 4; i++) {
		if (i != member)
			continue;
		if (pre62)
			v = BPF_CORE_READ(old, rss_stat.count[i].counter);
		else
			v = BPF_CORE_READ(mm, rss_stat[i].count);
	}
	return v < 0 ? 0 : v;
}

/* The kernel's MM_* indexes are an anonymous enum, which CO-RE cannot
 * relocate; they have kept their values since Linux 4.5 added
 * MM_SHMEMPAGES, so vmlinux.h's are right on every kernel we run. */
static __always_inline u64 mm_anon_pages(struct mm_struct *mm)
{
	return mm_counter(mm, MM_ANONPAGES);
}

static __always_inline u64 mm_file_pages(struct mm_struct *mm)
{
	return mm_counter(mm, MM_FILEPAGES);
}

static __always_inline u64 mm_shmem_pages(struct mm_struct *mm)
{
	return mm_counter(mm, MM_SHMEMPAGES);
}

static __always_inline u64 mm_pgtables_bytes(struct mm_struct *mm)
{
	/* Only with CONFIG_MMU; a nommu kernel has no page tables to count. */
	if (!bpf_core_field_exists(mm->pgtables_bytes))
		return 0;
	return BPF_CORE_READ(mm, pgtables_bytes.counter);
}

/* cfs_rq::rq exists only with CONFIG_FAIR_GROUP_SCHED, rq::cpu only with
 * CONFIG_SMP; both are there wherever CFS bandwidth control is. */
static __always_inline u32 cfs_rq_cpu(struct cfs_rq *cfs_rq)
{
	if (!bpf_core_field_exists(cfs_rq->rq) || !bpf_core_field_exists(cfs_rq->rq->cpu))
		return bpf_get_smp_processor_id();
	return BPF_CORE_READ(cfs_rq, rq, cpu);
}

static __always_inline struct cgroup *cfs_rq_cgroup(struct cfs_rq *cfs_rq)
{
	return BPF_CORE_READ(cfs_rq, tg, css.cgroup);
}

/* oom_control::constraint is missing from older kernels' BTF (it was a local
 * of out_of_memory() there): then only a memcg OOM (->memcg set) is told.
 * The values of enum oom_constraint are the running kernel's. */
static __always_inline bool oom_constraint_is(struct oom_control *oc, int value)
{
	if (!bpf_core_field_exists(oc->constraint))
		return false;
	return BPF_CORE_READ(oc, constraint) == value;
}

static __always_inline bool oom_is_cpuset(struct oom_control *oc)
{
	return oom_constraint_is(oc, bpf_core_enum_value(enum oom_constraint, CONSTRAINT_CPUSET));
}

static __always_inline bool oom_is_mempolicy(struct oom_control *oc)
{
	return oom_constraint_is(oc, bpf_core_enum_value(enum oom_constraint,
							 CONSTRAINT_MEMORY_POLICY));
}

/* Linux 6.9 changed oom:mark_victim from TP_PROTO(int pid) to
 * TP_PROTO(struct task_struct *task, uid_t uid) ("mm: update mark_victim
 * tracepoints fields"). Which one the running kernel has is read from the
 * tracepoint's prototype in its BTF by agent/events/bpf_probe.c and set
 * here before load: the verifier then drops the branch that does not apply,
 * with its reads of an argument the kernel does not pass. */
const volatile bool mark_victim_has_task = true;

/* The victim of the tp_btf or raw_tp flavour of mark_victim, from its first
 * argument: its task_struct (NULL when the kernel passes only the pid). */
static __always_inline struct task_struct *mark_victim_task(u64 arg0, u32 *ret_pid)
{
	struct task_struct *task = (void *)arg0;

	if (!mark_victim_has_task) {
		*ret_pid = (u32)arg0;
		return NULL;
	}
	*ret_pid = BPF_CORE_READ(task, pid);
	return task;
}

/* What the tracefs record of mark_victim says of the victim besides its
 * pid; memory figures in kB. The same change (6.9) added them. */
struct mark_victim_detail {
	u32 comm_loc;		/* __data_loc of the comm */
	u32 uid;
	s32 oom_score_adj;
	u64 total_vm_kb, anon_rss_kb, file_rss_kb, shmem_rss_kb, pgtables_kb;
};

static __always_inline bool mark_victim_tp_detail(struct trace_event_raw_mark_victim *ctx,
						  struct mark_victim_detail *ret)
{
	if (!bpf_core_field_exists(ctx->total_vm))
		return false;
	ret->comm_loc = ctx->__data_loc_comm;
	ret->uid = ctx->uid;
	ret->oom_score_adj = ctx->oom_score_adj;
	ret->total_vm_kb = ctx->total_vm;
	ret->anon_rss_kb = ctx->anon_rss;
	ret->file_rss_kb = ctx->file_rss;
	ret->shmem_rss_kb = ctx->shmem_rss;
	ret->pgtables_kb = ctx->pgtables;
	return true;
}

/* The cgroup2 cgroup a socket belongs to (the one its creator was in),
 * by id; 0 when the kernel did not record one. Linux 5.15 made
 * sock_cgroup_data a plain `struct cgroup *cgroup` (8520e224f547 "bpf,
 * cgroups: Fix cgroup v2 fallback on v1/v2 mixed mode"); before, the
 * pointer was the union's `val`, valid when its lowest bit was clear (set:
 * the word held net_prio/net_cls data instead). */
struct sock_cgroup_data___pre515 {
	union {
		u64 val;
	};
} __attribute__((preserve_access_index));

struct sock___pre515 {
	struct sock_cgroup_data___pre515 sk_cgrp_data;
} __attribute__((preserve_access_index));

static __always_inline u64 sock_cgroup_id(const struct sock *sk)
{
	struct cgroup *cgrp;

	if (bpf_core_field_exists(sk->sk_cgrp_data.cgroup)) {
		cgrp = BPF_CORE_READ(sk, sk_cgrp_data.cgroup);
	} else {
		u64 v = BPF_CORE_READ((struct sock___pre515 *)sk, sk_cgrp_data.val);

		if (v & 1)
			return 0;
		cgrp = (struct cgroup *)v;
	}
	return cgrp ? cgroup_id_of(cgrp) : 0;
}

/* The TCP segments an skb carries (tcp_skb_pcount(): gso_segs of its
 * shared info, which sits at head + end; end is an offset on 64-bit
 * kernels, NET_SKBUFF_DATA_USES_OFFSET). At least 1. */
static __always_inline u32 skb_tcp_segs(const struct sk_buff *skb)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	u32 end = BPF_CORE_READ(skb, end);
	struct skb_shared_info *sh = (void *)(head + end);
	u16 segs = BPF_CORE_READ(sh, gso_segs);

	return segs ? segs : 1;
}

#endif
