/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The one record the BPF programs send to userspace through the ring buffer,
 * and that userspace also builds itself for poll-derived events.
 *
 * It is flat (fixed-size integers and char arrays, no pointers, no unions) so
 * that the same bytes mean the same thing on both sides and any record can
 * be copied, queued and formatted without knowing where it came from. Every
 * type uses the fields it needs and leaves the others zero; `flags` says
 * which optional fields hold a value. */
#ifndef CGSCOPE_EVENTS_H
#define CGSCOPE_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define CGSCOPE_PATH_LEN 256	/* longer paths are cut, flag PATH_TRUNCATED */
#define CGSCOPE_COMM_LEN 16	/* TASK_COMM_LEN */

enum cgscope_event_type {
	CGSCOPE_EV_NONE = 0,
	CGSCOPE_EV_MIGRATION,	/* a task (or a whole process) attached to a cgroup */
	CGSCOPE_EV_MKDIR,	/* cgroup created */
	CGSCOPE_EV_RMDIR,	/* cgroup removed (rmdir) */
	CGSCOPE_EV_RELEASE,	/* cgroup freed by the kernel, after rmdir and its last reference */
	CGSCOPE_EV_RENAME,	/* cgroup renamed: path is the new one (cgroup2 refuses
				   rename(2) today; traced should a kernel allow it) */
	CGSCOPE_EV_FREEZE,	/* cgroup.freeze 1 applied to this cgroup */
	CGSCOPE_EV_UNFREEZE,	/* cgroup.freeze 0 applied to this cgroup */
	CGSCOPE_EV_FROZEN,	/* cgroup.events "frozen" flipped: value = new state */
	CGSCOPE_EV_POPULATED,	/* cgroup.events "populated" flipped: value = new state */
	CGSCOPE_EV_OOM_KILL,	/* the OOM killer chose a victim: pid/comm/cgroup are the victim's */
	CGSCOPE_EV_THROTTLE,	/* CFS bandwidth throttled the cgroup on one CPU */
	CGSCOPE_EV_UNTHROTTLE,	/* ... and let it run again: throttled_ns says how long */
	CGSCOPE_EV_TYPES	/* the number of types, not a type */
};

#define CGSCOPE_EV_MASK(type) (1u << (type))
#define CGSCOPE_EV_MASK_ALL (((1u << CGSCOPE_EV_TYPES) - 1) & ~1u)

/* The kinds of hook a feature can use, and so what produced a record: one
 * list for the BPF programs, the loader and every name shown to users
 * (agent/events/hook.c). The values are part of the record: append only. */
enum cgscope_hook {
	CGSCOPE_HOOK_NONE = 0,	/* no hook: the feature is not served */
	CGSCOPE_HOOK_TRACEPOINT,	/* perf tracepoint, the tracefs record layout; needs tracefs */
	CGSCOPE_HOOK_TP_BTF,	/* BTF-typed raw tracepoint */
	CGSCOPE_HOOK_RAW_TP,	/* raw tracepoint, untyped arguments */
	CGSCOPE_HOOK_FENTRY,	/* fentry/fexit trampolines on a kernel function */
	CGSCOPE_HOOK_KPROBE,	/* kprobe/kretprobe on a kernel function */
	CGSCOPE_HOOK_POLL,	/* synthesized by userspace from cgroup files (cpu.stat) */
	CGSCOPE_HOOK_CGROUP_SKB,	/* cgroup_skb programs attached to a cgroup (a bpf_link):
				   every IP packet of its sockets, in and out */
	CGSCOPE_HOOKS		/* the number of kinds, not a kind */
};

/* Which limit the OOM killer acted on (the kernel's enum oom_constraint). */
enum cgscope_oom_scope {
	CGSCOPE_OOM_UNKNOWN = 0,	/* no hook on oom_kill_process: not told */
	CGSCOPE_OOM_GLOBAL,		/* the whole machine ran out */
	CGSCOPE_OOM_MEMCG,		/* a cgroup's memory.max: see oom_domain_id */
	CGSCOPE_OOM_CPUSET,		/* the memory nodes of a cpuset */
	CGSCOPE_OOM_MEMPOLICY,		/* an mbind/set_mempolicy node set */
};

/* flags */
#define CGSCOPE_EVF_THREADGROUP    (1u << 0)	/* migration: the whole process moved */
#define CGSCOPE_EVF_THREADGROUP_KNOWN (1u << 1)	/* migration: THREADGROUP is meaningful */
#define CGSCOPE_EVF_SRC_KNOWN      (1u << 2)	/* migration: src_cgroup_id holds the source */
#define CGSCOPE_EVF_DURATION       (1u << 3)	/* throttled_ns holds a duration */
#define CGSCOPE_EVF_MEMORY         (1u << 4)	/* oom: the *_bytes figures and oom_score_adj */
#define CGSCOPE_EVF_VICTIM_CGROUP  (1u << 5)	/* oom: cgroup_id/level/path are the victim's */
#define CGSCOPE_EVF_PATH_TRUNCATED (1u << 6)	/* path was longer than CGSCOPE_PATH_LEN - 1 */
#define CGSCOPE_EVF_UID            (1u << 7)	/* oom: uid holds the victim's uid */
#define CGSCOPE_EVF_OOM_DETAIL     (1u << 8)	/* oom: oom_points and oom_limit_bytes */
#define CGSCOPE_EVF_PATH_UNKNOWN   (1u << 9)	/* path: userspace could not name the cgroup
						   from its id (path is "") */

struct cgscope_event {
	__u32 type;		/* enum cgscope_event_type */
	__u32 source;		/* enum cgscope_hook */
	__u64 ts_ns;		/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 cgroup_id;	/* the cgroup's directory inode number (kernfs id); 0 = unknown */
	__u64 src_cgroup_id;	/* migration: where the task came from (flag SRC_KNOWN) */
	__u32 level;		/* depth below the cgroup2 root (root = 0) */
	__u32 flags;		/* CGSCOPE_EVF_* */
	__u32 pid;		/* thread id of the task the event is about (OOM: the victim) */
	__u32 tgid;		/* its process id; 0 = unknown */
	__u32 cpu;		/* throttle: the CPU whose runqueue was throttled */
	__s32 value;		/* frozen, populated: the new state, 0 or 1 */
	char comm[CGSCOPE_COMM_LEN];

	/* oom_kill */
	__u32 oom_scope;	/* enum cgscope_oom_scope */
	__s32 oom_score_adj;
	__u64 oom_domain_id;	/* memcg OOM: the cgroup whose limit was hit, 0 = unknown */
	__u32 uid;
	__u32 killer_pid;	/* the task that ran the OOM killer (often the victim) */
	char killer_comm[CGSCOPE_COMM_LEN];
	__u64 total_vm_bytes;
	__u64 anon_rss_bytes;
	__u64 file_rss_bytes;
	__u64 shmem_rss_bytes;
	__u64 pgtables_bytes;
	__s64 oom_points;	/* the victim's badness, as the kernel computed it */
	__u64 oom_limit_bytes;	/* memory (+swap) the OOM domain may use */

	/* throttle, unthrottle */
	__u64 throttled_ns;	/* unthrottle: how long it was throttled (flag DURATION);
				   poll: throttled time added since the last cycle */
	__u64 count;		/* events this record stands for: 1, or for poll
				   records the growth of cpu.stat nr_throttled */

	char path[CGSCOPE_PATH_LEN];	/* below the cgroup2 root, "/" for the root */
};

/* ------------------------------------------------------------------------
 * What the BPF programs put in the ring buffer: not struct cgscope_event
 * itself (about 450 bytes, most of it a path userspace can find from the
 * id) but a record sized by its type, which userspace decodes into a
 * struct cgscope_event (agent/events/event_decode.h), naming the cgroup from
 * its id. Every record starts with struct cgscope_rec; its type says which
 * of the layouts below follows, and the ring buffer gives its size:
 *
 *   migration                        struct cgscope_rec_migration   72 bytes
 *   release, freeze, unfreeze,
 *   frozen, populated                struct cgscope_rec              64 bytes
 *   throttle, unthrottle             struct cgscope_rec_throttle    72 bytes
 *   mkdir, rmdir, rename             struct cgscope_rec_path       320 bytes
 *   oom_kill                         struct cgscope_event          (all of it)
 *
 * The kernel copies a path only where userspace may not be able to name
 * the cgroup from its id: on mkdir (a cgroup created and gone between two
 * walks of the tree is named by its mkdir record), rmdir, rename, and for
 * OOM kills (rare, and their cgroup often goes right after). */

struct cgscope_rec {
	__u32 type;		/* enum cgscope_event_type */
	__u32 source;		/* enum cgscope_hook */
	__u64 ts_ns;		/* CLOCK_MONOTONIC */
	__u64 cgroup_id;
	__u32 level;
	__u32 flags;		/* CGSCOPE_EVF_* */
	__u32 pid;
	__u32 tgid;
	__u32 aux;		/* frozen, populated: the new state; throttle: the CPU */
	__u32 pad;
	char comm[CGSCOPE_COMM_LEN];
};

struct cgscope_rec_migration {
	struct cgscope_rec h;
	__u64 src_cgroup_id;	/* flag SRC_KNOWN */
};

struct cgscope_rec_throttle {
	struct cgscope_rec h;
	__u64 throttled_ns;	/* unthrottle, flag DURATION */
};

struct cgscope_rec_path {
	struct cgscope_rec h;
	char path[CGSCOPE_PATH_LEN];
};

/* ------------------------------------------------------------------------
 * Per-cgroup counters the kernel keeps for the page (bpf/cgroup_counters.bpf.h
 * holds the tables, agent/events/cgroup_counters.h reads them): exact
 * whatever happens to the ring buffer. All fields are __u64, so that a
 * reader can sum regions without knowing the fields. */

/* Upper bounds of cgroup_throttled_duration_seconds, in ns; the last
 * bucket (+Inf) has no bound. agent/collect/snapshot.c's
 * throttle_hist_bounds are the same in seconds (a unit test checks). */
#define CGSCOPE_THROTTLE_BUCKETS 10
#define CGSCOPE_THROTTLE_BOUNDS_NS { 1000000ull, 2500000ull, 5000000ull, 10000000ull, \
				     25000000ull, 50000000ull, 100000000ull,	\
				     250000000ull, 500000000ull, 1000000000ull }

struct cgscope_cg_counts {
	__u64 migrations_in;	/* tasks (processes) attached to the cgroup */
	__u64 migrations_out;	/* ... moved from it to another, where the source is known */
	__u64 oom_kills;	/* OOM victims that were in the cgroup */
	__u64 throttles;	/* CFS bandwidth throttlings (one per CPU's run queue) */
	__u64 throttled_ns;	/* how long the ended ones lasted, summed */
	__u64 throttle_hist[CGSCOPE_THROTTLE_BUCKETS + 1];	/* ... by duration; last: +Inf */
};

/* Network traffic of a cgroup's sockets, counted by the cgroup_skb programs
 * at the IP layer: an IP packet as the cgroup_skb hook sees it (headers
 * included; a GSO or GRO packet counts once, with its length), and TCP
 * segments retransmitted (tcp:tcp_retransmit_skb). */
struct cgscope_net_figures {
	__u64 rx_bytes;
	__u64 rx_packets;
	__u64 tx_bytes;
	__u64 tx_packets;
	__u64 tcp_retransmits;
};

/* One slot of the network table (per CPU): what the cgroup's own sockets
 * did, and what its descendants did before the kernel freed them (moved in
 * at their release, so that the cgroup's subtree figure never goes down). */
struct cgscope_net_counts {
	struct cgscope_net_figures own;
	struct cgscope_net_figures gone;
};

#endif
