/* SPDX-License-Identifier: GPL-2.0-only */
/* The BPF half of cgscope: loads bpf/cgscope_events.bpf.c with the best hook
 * the running kernel allows for each feature, and hands its records
 * (decoded into struct cgscope_event, bpf/events.h, the cgroup named from
 * its id where the record has no path) to a callback; with opts.counters
 * the programs also count per cgroup in the kernel (bpf_loader_counters()).
 *
 * Features and the hooks they try, best first:
 *   migration   tp_btf, raw_tp, tracepoint  (cgroup_attach_task)
 *   migration_src  fentry, kprobe           (cgroup_attach_task's entry: the source)
 *               else tp_btf, raw_tp, tracepoint  (sched_process_fork: each process's
 *                                            cgroup kept from its fork on; the same
 *                                            kind of hook as migration's)
 *   lifecycle   tp_btf, raw_tp, tracepoint  (cgroup_mkdir/rmdir/release/rename)
 *   freeze      tp_btf, raw_tp, tracepoint  (cgroup_freeze/unfreeze, notify_frozen/populated)
 *   oom         tp_btf, raw_tp, tracepoint  (oom:mark_victim: victim, its cgroup, memory)
 *   oom_domain  fentry, kprobe              (oom_kill_process: memcg or global, OOM domain)
 *   throttle    fentry, kprobe, else "poll" (throttle_cfs_rq/unthrottle_cfs_rq)
 *   network     cgroup_skb                  (ingress and egress, attached to the
 *                                            watched cgroup; opts.network)
 *   tcp_retransmit  tp_btf, raw_tp          (tcp:tcp_retransmit_skb; opts.network)
 * A refused hook makes its feature fall back, never the whole load fail; a
 * feature with nothing left reports "none" ("poll" for throttle: the agent
 * derives throttling from cpu.stat then). Whether that is the kernel's
 * limit or an error (a hook the kernel offers that was refused) is told
 * apart: see enum bpf_feature_state.
 *
 * Threads: bpf_loader_poll() from one thread at a time (the consumer); the
 * other functions may be called from any thread while the loader is open. */
#ifndef CGSCOPE_BPF_LOADER_H
#define CGSCOPE_BPF_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/events.h"
#include "events/prog_stats.h"

struct bpf_loader;

struct bpf_loader_opts {
	size_t ringbuf_bytes;		/* 0: 1 MiB; rounded up to a power of two >= a page */
	uint32_t type_mask;		/* CGSCOPE_EV_MASK() of the types wanted; 0: all.
					   Features with no wanted type are not loaded,
					   nor programs that only make unwanted records
					   (populated flips). */
	uint32_t deny_hooks;		/* 1u << enum cgscope_hook never to use */
	size_t proc_map_entries;	/* processes whose cgroup is remembered for the
					   source of migrations; 0: 16384 */
	bool counters;			/* count per cgroup in the kernel (the `ev` table,
					   bpf_loader_counters()) */
	uint32_t counter_slots;		/* cgroups counted at once; 0: 16384 */
	/* Network traffic per cgroup (with counters): cgroup_skb programs
	 * attached to cgroup_root, counting in the `net` table
	 * (bpf_loader_net_counters()). */
	bool network;
	const char *cgroup_root;	/* the watched cgroup's directory */
	uint32_t net_slots;		/* cgroups counted at once; 0: 4096 */
};

#define BPF_LOADER_RINGBUF_DEFAULT (1u << 20)
/* What --bpf.ring-buffer-size takes, in every command (agent, events: their
 * flag tables use these): a page at least, so that a record fits, and at
 * most 1 GiB. */
#define BPF_LOADER_RINGBUF_MIN 4096
#define BPF_LOADER_RINGBUF_MAX (1u << 30)
#define BPF_LOADER_RINGBUF_WANT "bytes from 4096 to 1GiB, such as 256k or 1MiB"

/* The features, in the order they are loaded (a feature that adds to
 * another comes after it). */
enum bpf_feature {
	BPF_FEATURE_MIGRATION,
	BPF_FEATURE_MIGRATION_SOURCE,
	BPF_FEATURE_LIFECYCLE,
	BPF_FEATURE_FREEZE,
	BPF_FEATURE_OOM,
	BPF_FEATURE_OOM_DOMAIN,
	BPF_FEATURE_THROTTLE,
	BPF_FEATURE_NETWORK,
	BPF_FEATURE_TCP_RETRANSMIT,
	BPF_FEATURES
};

/* "migration", "migration_src", "lifecycle", "freeze", "oom",
 * "oom_domain", "throttle", "network", "tcp_retransmit". */
const char *bpf_feature_name(enum bpf_feature f);

/* How each feature came out of the load. */
enum bpf_feature_state {
	BPF_FEATURE_OFF,		/* not requested (no type of it wanted) */
	BPF_FEATURE_HOOKED,		/* a BPF hook serves it */
	BPF_FEATURE_UNAVAILABLE,	/* the kernel offers none of its hooks (the probe
					   said so), they were denied by option, or the
					   feature it adds to has none: its fallback */
	BPF_FEATURE_FAILED,		/* a hook the kernel offers was refused at load
					   or attach and no other served: an error */
};

/* Where a failed feature's first error came from. */
enum bpf_stage {
	BPF_STAGE_NONE,
	BPF_STAGE_OPEN,		/* BPF could not be used at all (bpf_loader_open failed) */
	BPF_STAGE_LOAD,		/* the kernel refused the program (verifier, CO-RE, privilege) */
	BPF_STAGE_ATTACH,	/* the program loaded but could not be attached */
};

/* "", "open", "load", "attach". */
const char *bpf_stage_name(enum bpf_stage s);

struct bpf_hook {
	enum bpf_feature feature;
	enum cgscope_hook hook;		/* what serves it: a BPF hook, else its fallback
					   (CGSCOPE_HOOK_POLL for throttle, else NONE) */
	enum bpf_feature_state state;
	/* FAILED: the first refusal of a hook the kernel offers */
	int err;			/* -errno */
	enum cgscope_hook err_hook;
	enum bpf_stage err_stage;
	const char *detail;		/* why better hooks were not used, e.g. "fentry:
					   Operation not permitted; kprobe: no kprobe
					   support (...)"; "" when none failed */
};

/* What every feature is when BPF is not used at all: its fallback, with the
 * loader's error (0 with --no-bpf) as a failure at stage "open". ret has
 * BPF_FEATURES entries; detail points at a static "". */
void bpf_hooks_without_bpf(int err, struct bpf_hook *ret);

/* "migration=tp_btf lifecycle=tp_btf ... throttle=poll" into buf. */
void bpf_hooks_summary(const struct bpf_hook *hooks, size_t n, char *buf, size_t size);

struct bpf_prog_stat {
	char name[64];		/* the program's function name in the .bpf.c */
	enum bpf_feature feature;
	struct prog_stats stats;
};

/* Probes the kernel, then loads and attaches every wanted feature. Fails only
 * when BPF cannot be used at all: -EPERM/-EACCES without the privilege,
 * -EOPNOTSUPP when the kernel lacks BTF or ring buffers, -ENOMEM; then
 * nothing is left loaded; -errno too when opts.network names a cgroup
 * that cannot be opened. opts may be NULL. */
int bpf_loader_open(const struct bpf_loader_opts *opts, struct bpf_loader **ret);

/* Waits up to timeout_ms (0: not at all, -1: forever) for records and calls
 * fn for each, in the order the kernel committed them; ev is valid only
 * during the call. Returns the number of records handled, or -errno
 * (-EINTR when a signal arrived while waiting). */
int bpf_loader_poll(struct bpf_loader *l, int timeout_ms,
		    void (*fn)(const struct cgscope_event *ev, void *ctx), void *ctx);

/* An fd that polls readable when records are waiting, for callers with an
 * event loop of their own; then call bpf_loader_poll(l, 0, ...). */
int bpf_loader_epoll_fd(const struct bpf_loader *l);

/* Records dropped because the ring buffer was full, since open. */
uint64_t bpf_loader_lost(const struct bpf_loader *l);
/* The same per event type: ret[CGSCOPE_EV_TYPES]. */
void bpf_loader_lost_by_type(const struct bpf_loader *l, uint64_t *ret);

/* One entry per feature, indexed by enum bpf_feature (the array lives as
 * long as the loader); returns BPF_FEATURES. */
size_t bpf_loader_hooks(const struct bpf_loader *l, const struct bpf_hook **ret);

/* Features that failed (BPF_FEATURE_FAILED). */
size_t bpf_loader_failed(const struct bpf_loader *l);

/* Whether the kernel keeps run-time statistics of the programs: they need
 * CAP_SYS_ADMIN (BPF_ENABLE_STATS) or the sysctl kernel.bpf_stats_enabled. */
bool bpf_loader_stats_enabled(const struct bpf_loader *l);

/* The ring buffer's size in bytes, after rounding. */
size_t bpf_loader_ringbuf_bytes(const struct bpf_loader *l);

/* Runtime statistics of every attached program, at most max of them into
 * ret; returns how many were written or -errno. */
int bpf_loader_prog_stats(const struct bpf_loader *l, struct bpf_prog_stat *ret, size_t max);

/* The kernel's per-cgroup counters (values: struct cgscope_cg_counts), NULL
 * unless opts.counters. Valid as long as the loader. */
struct cgroup_counters *bpf_loader_counters(const struct bpf_loader *l);

/* The kernel's per-cgroup network counters (values: struct
 * cgscope_net_counts, slots with their parent and level), NULL unless the
 * network feature is hooked. Valid as long as the loader. */
struct cgroup_counters *bpf_loader_net_counters(const struct bpf_loader *l);

/* Whether the OOM records (and so the kernel's oom_kills counts) name the
 * victim's cgroup: mark_victim passes the task (Linux 6.9+, tp_btf or
 * raw_tp), or oom_kill_process() is hooked. */
bool bpf_loader_oom_named(const struct bpf_loader *l);

/* Detaches and unloads everything. NULL is fine. */
void bpf_loader_close(struct bpf_loader *l);

#endif
