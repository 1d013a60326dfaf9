/* SPDX-License-Identifier: GPL-2.0-only */
/* The BPF half of cgscope: loads bpf/cgscope_events.bpf.c with the best hook
 * the running kernel allows for each feature, and hands its records
 * (struct cgscope_event, bpf/events.h) to a callback.
 *
 * Features and the hooks they try, best first:
 *   migration   tp_btf, raw_tp, tracepoint  (cgroup_attach_task)
 *   lifecycle   tp_btf, raw_tp, tracepoint  (cgroup_mkdir/rmdir/release/rename)
 *   freeze      tp_btf, raw_tp, tracepoint  (cgroup_freeze/unfreeze, notify_frozen/populated)
 *   oom         tp_btf, raw_tp, tracepoint  (oom:mark_victim: victim, its cgroup, memory)
 *   oom_domain  fentry, kprobe              (oom_kill_process: memcg or global, OOM domain)
 *   throttle    fentry, kprobe, else "poll" (throttle_cfs_rq/unthrottle_cfs_rq)
 * A refused hook makes its feature fall back, never the whole load fail; a
 * feature with nothing left reports "none" ("poll" for throttle: the agent
 * derives throttling from cpu.stat then).
 *
 * Threads: bpf_loader_poll() from one thread at a time (the consumer); the
 * other functions may be called from any thread while the loader is open. */
#ifndef CGSCOPE_BPF_LOADER_H
#define CGSCOPE_BPF_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "bpf/events.h"

struct bpf_loader;

struct bpf_loader_opts {
	size_t ringbuf_bytes;		/* 0: 1 MiB; rounded up to a power of two >= a page */
	uint32_t type_mask;		/* CGSCOPE_EV_MASK() of the types wanted; 0: all.
					   Features with no wanted type are not loaded. */
	uint32_t deny_hooks;		/* 1u << enum hook_kind (bpf_probe.h) never to use */
	size_t proc_map_entries;	/* processes whose cgroup is remembered for the
					   source of migrations; 0: 16384 */
};

#define BPF_LOADER_RINGBUF_DEFAULT (1u << 20)
/* What --bpf.ring-buffer-size takes, in every command: a page at least, so
 * that a record fits, and at most 1 GiB. */
#define BPF_LOADER_RINGBUF_MIN 4096
#define BPF_LOADER_RINGBUF_MAX (1u << 30)

struct bpf_hook {
	const char *feature;	/* "migration", "lifecycle", "freeze", "oom", "oom_domain", "throttle" */
	const char *hook;	/* "tp_btf", "raw_tp", "tracepoint", "fentry", "kprobe", "poll", "none" */
	const char *detail;	/* why better hooks were not used, e.g. "fentry: Operation not
				   permitted; kprobe: Operation not supported"; "" when none failed */
};

struct bpf_prog_stat {
	char name[64];		/* the program's function name in the .bpf.c */
	const char *feature;
	uint64_t run_time_ns;	/* 0 when the kernel keeps no statistics */
	uint64_t run_cnt;
	uint64_t recursion_misses;	/* runs skipped because it was already running on that CPU */
};

/* Probes the kernel, then loads and attaches every wanted feature. Fails only
 * when BPF cannot be used at all: -EPERM/-EACCES without the privilege,
 * -EOPNOTSUPP when the kernel lacks BTF or ring buffers, -ENOMEM; then
 * nothing is left loaded. opts may be NULL. */
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

/* One entry per feature (the array lives as long as the loader). */
size_t bpf_loader_hooks(const struct bpf_loader *l, const struct bpf_hook **ret);

/* The ring buffer's size in bytes, after rounding. */
size_t bpf_loader_ringbuf_bytes(const struct bpf_loader *l);

/* Runtime statistics of every attached program, at most max of them into
 * ret; returns how many were written or -errno. */
int bpf_loader_prog_stats(const struct bpf_loader *l, struct bpf_prog_stat *ret, size_t max);

/* Detaches and unloads everything. NULL is fine. */
void bpf_loader_close(struct bpf_loader *l);

#endif
