/* SPDX-License-Identifier: GPL-2.0-only */
/* Kernel events for the agent: the BPF programs (when they load) drained by
 * a thread of their own, events derived from polling where no hook serves a
 * feature (throttling from cpu.stat, OOM kills from memory.events.local),
 * the ring of recent events readers are served from, and the per-cgroup
 * counters the snapshot carries. The collector never waits for it. */
#ifndef CGSCOPE_EVENT_SOURCE_H
#define CGSCOPE_EVENT_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "events/bpf_loader.h"
#include "events/event_ring.h"
#include "collect/snapshot.h"

struct event_source_opts {
	bool bpf;			/* false: poll-derived events only */
	size_t ringbuf_bytes;		/* the BPF ring buffer; 0: the loader's default */
	size_t ring_capacity;		/* recent events kept for readers */
	/* CGSCOPE_EV_MASK() of the BPF record types wanted; 0: all. The
	 * kernel counts whatever this says: a type left out costs its ring
	 * records (and, for populated, its hook), never a count. */
	uint32_t type_mask;
	uint32_t counter_slots;		/* cgroups the kernel counts at once; 0: 16384 */
	/* Network traffic per cgroup: cgroup_skb programs attached to
	 * cgroup_root, the tree the agent watches. */
	bool network;
	const char *cgroup_root;
	uint32_t net_slots;		/* cgroups counted at once; 0: 4096 */
};

struct event_source;

/* Loads BPF when asked; a kernel or a privilege that refuses it is not a
 * failure: the source then runs poll-only and *ret_bpf_err says why (a
 * negative errno, 0 when BPF is in use or was not asked for). Fails only
 * for memory or threads. */
int event_source_start(const struct event_source_opts *opts, struct event_source **ret,
		       int *ret_bpf_err);
void event_source_stop(struct event_source *es);

/* After each collection cycle: derives the poll events from s's deltas,
 * and fills s->events and each sample's counters and network figures. */
void event_source_after_cycle(struct event_source *es, struct snapshot *s);

struct event_ring *event_source_ring(struct event_source *es);

/* What serves each feature, indexed by enum bpf_feature (BPF_FEATURES
 * entries, valid while es is): the loader's answer, or every feature's
 * fallback when BPF is off or was refused (then failed at stage "open"
 * with the refusal's errno). */
size_t event_source_hooks(const struct event_source *es, const struct bpf_hook **ret);

/* Whether the kernel keeps run-time statistics of the BPF programs (see
 * bpf_loader_stats_enabled()); false without BPF. */
bool event_source_prog_stats(const struct event_source *es);

#endif
