// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Kernel events of cgroup v2: migrations, lifecycle, freezer, OOM kills and
 * CFS throttling. Each is counted per cgroup in the kernel (the `ev` table,
 * cgroup_counters.bpf.h: exact, whatever the ring buffer does), and its
 * details go to one ring buffer as a record sized by its type (events.h).
 *
 * Most features exist here in several variants, one per kind of hook
 * (tp_btf, raw_tp, tracepoint; fentry/fexit, kprobe/kretprobe): userspace
 * (agent/events/bpf_loader.c) loads only the variant the running kernel allows, so
 * every variant is a thin wrapper around one shared handler. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "core_compat.bpf.h"
#include "events.h"
#include "cgroup_counters.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Tunables, set by userspace before load. */
const volatile __u32 type_mask = CGSCOPE_EV_MASK_ALL;
const volatile __u32 page_shift = 12;
/* Count per cgroup in the `ev` table (the agent reads it); off for a
 * reader that only prints records (cgscope events). */
const volatile bool counting = false;
/* Wake the reader only past this much data in the ring, or when it was
 * last woken wake_ns ago or more; 0: on every record (libbpf's default). */
const volatile __u64 wake_bytes = 0;
const volatile __u64 wake_ns = 10000000;

/* The per-cgroup counters of the page: exact whatever the ring does.
 * Shared (one region, atomic adds): the events counted are serialised by
 * the kernel already (cgroup_mutex for migrations, the OOM lock) or rare
 * (a throttle per CPU and period), so per-CPU regions would cost memory
 * for nothing. */
CGC_TABLE(ev, struct cgscope_cg_counts, 16384);

/* Size set by userspace (bpf_map__set_max_entries) from --bpf.ring-buffer-size. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* Records dropped because the ring buffer was full, per event type. An
 * mmapable array rather than a per-CPU one: userspace maps it at load and
 * reads it without the bpf() syscall, which kernels before 6.5 refuse to a
 * process that dropped its privileges (kernel.unprivileged_bpf_disabled).
 * Losses are rare, so the atomic add costs nothing in the common case. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, CGSCOPE_EV_TYPES);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* The cgroup each process was last seen in, so that a migration can say
 * where the process came from: the attach tracepoint fires after the move.
 * Only where the kernel allows no hook at the entry of cgroup_attach_task()
 * (attach_src, below; fentry refused, no kprobes): then the fork hook,
 * every migration and once at load a task iterator fill it.
 * Keyed by tgid: a process moves as a whole in cgroup v2 except in threaded
 * subtrees. LRU: exited processes age out, a reused pid is rewritten at fork.
 *
 * What an entry holds: with the tp_btf and raw_tp hooks, the cgroup's
 * address (struct cgroup *), turned into its id only when the process
 * migrates; with the tracefs tracepoints (which give ids only), its id.
 * An address because forks are many and migrations few: the id is two
 * loads further (cgroup, kernfs node), lines a fork touches nowhere else,
 * which made them most of the fork hook's cost. An address is safe to keep:
 * a process keeps its cgroup alive, every move of a process rewrites its
 * entry, and a reused pid is rewritten at fork; and it is read only with
 * bpf_probe_read_kernel(). 0: unknown. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);	/* per-CPU lists: no lock shared by CPUs */
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} proc_cgroup SEC(".maps");

/* The same as an array indexed by process id, where pid_max makes it small
 * enough (the loader sizes it, and this map or the LRU to one entry): a
 * lookup and a store where the LRU hash costs an insertion and, once full,
 * an eviction (about a microsecond in the fork hook). A reused pid is
 * rewritten at fork. */
const volatile bool proc_by_pid = false;
/* Entries hold addresses (the migration hook is tp_btf or raw_tp): for the
 * task iterator, which runs beside either. */
const volatile bool proc_holds_ptr = false;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} proc_cgroup_arr SEC(".maps");

/* The source of the move under way, where a hook at the entry of
 * cgroup_attach_task() (fentry, kprobe) can see it before the move: the
 * attach tracepoint takes it from here, and proc_cgroup, with the fork
 * hook that fills it, is not needed at all (a fork then costs nothing).
 * One entry: cgroup_attach_task() runs under cgroup_mutex, so one move is
 * under way at a time; the tracepoint takes the entry only when it is
 * about the same task (a move that failed leaves one the next entry hook
 * overwrites). */
struct attach_src {
	__u32 pid;
	__u32 pad;
	__u64 id;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct attach_src);
} attach_src SEC(".maps");

/* Where the process key is now: NULL when unknown (the LRU has no entry, a
 * pid beyond the array). */
static __always_inline __u64 *proc_where(__u32 key)
{
	__u64 *v;

	if (proc_by_pid) {
		v = bpf_map_lookup_elem(&proc_cgroup_arr, &key);
		return v && *v ? v : NULL;
	}
	return bpf_map_lookup_elem(&proc_cgroup, &key);
}

static __always_inline void proc_set(__u32 key, __u64 id, bool only_new)
{
	__u64 *v;

	if (proc_by_pid) {
		v = bpf_map_lookup_elem(&proc_cgroup_arr, &key);
		if (v && (!only_new || !*v))
			*v = id;
		return;
	}
	bpf_map_update_elem(&proc_cgroup, &key, &id, only_new ? BPF_NOEXIST : BPF_ANY);
}

/* When each throttled cfs_rq (one per cgroup and CPU) was throttled. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u64);
} throttle_start SEC(".maps");

/* kprobe variant: the cfs_rq argument, from entry to return, per thread. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} throttle_arg SEC(".maps");

/* What oom_kill_process() knows (scope, OOM domain, chosen task) for the
 * mark_victim events it causes, keyed by the killing thread. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct cgscope_event);
} oom_ctx SEC(".maps");

/* Room to build a cgroup path. A program can be interrupted on its CPU by
 * another of ours (an unthrottle from the hrtimer, say), so each nesting
 * level gets its own slot. Twice the path length: every write starts below
 * CGSCOPE_PATH_LEN and may run CGSCOPE_PATH_LEN long, which the verifier can
 * check without relating offset and length. */
#define PATH_SLOTS 3
#define PATH_DEPTH 16
struct path_scratch {
	__u32 depth;
	__u32 pad;
	char buf[PATH_SLOTS][2 * CGSCOPE_PATH_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_scratch);
} scratch SEC(".maps");

/* A zeroed record to start oom_ctx entries from (entry 0), and where an
 * OOM record is built before it is copied to the ring (entry 1). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct cgscope_event);
} ev_zero SEC(".maps");

/* Per CPU: when this CPU last woke the reader (wake_ns), and the bytes it
 * wrote to the ring since. Per CPU so that deciding costs no line shared
 * with other CPUs or with the reader (bpf_ringbuf_query(AVAIL_DATA) reads
 * the consumer position, which the reader writes: a cache miss a record). */
struct ring_state {
	__u64 last_wake_ns;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ring_state);
} ring_state SEC(".maps");

static __always_inline void count_lost(__u32 type)
{
	__u64 *n = bpf_map_lookup_elem(&lost, &type);

	if (n)
		__sync_fetch_and_add(n, 1);
}

/* The reader is woken per batch, not per record: once this CPU wrote
 * wake_bytes since it last woke the reader (the loader sets wake_bytes to
 * the ring's share per CPU, so that what no wakeup announced stays below
 * an eighth of the ring whatever the CPUs do), or when it last woke the
 * reader wake_ns ago or more (so a lone record after a quiet spell wakes it
 * at once). The reader also looks at the ring at least every 100 ms on its
 * own. */
static __always_inline __u64 wake_flags(__u64 now, __u64 size)
{
	struct ring_state *st;
	__u32 zero = 0;

	if (!wake_bytes)
		return 0;
	st = bpf_map_lookup_elem(&ring_state, &zero);
	if (!st)
		return 0;
	st->bytes += size;
	if (now - st->last_wake_ns >= wake_ns || st->bytes >= wake_bytes) {
		st->last_wake_ns = now;
		st->bytes = 0;
		return BPF_RB_FORCE_WAKEUP;
	}
	return BPF_RB_NO_WAKEUP;
}

/* A record of size bytes (a constant once inlined) starting with struct
 * cgscope_rec, zeroed but for its header; NULL when the type is not wanted
 * or the ring is full (counted). */
static __always_inline void *rec_reserve(__u64 size, __u32 type, __u32 source)
{
	struct cgscope_rec *e;

	if (!(type_mask & CGSCOPE_EV_MASK(type)))
		return NULL;
	e = bpf_ringbuf_reserve(&events, size, 0);
	if (!e) {
		count_lost(type);
		return NULL;
	}
	/* Every header field is written by the caller or here: only the
	 * padding and the body are zeroed. */
	if (size > sizeof(*e))
		__builtin_memset((char *)e + sizeof(*e), 0, size - sizeof(*e));
	e->type = type;
	e->source = source;
	e->ts_ns = bpf_ktime_get_ns();
	e->flags = 0;
	e->aux = 0;
	e->pad = 0;
	return e;
}

/* size: what was reserved (a constant once inlined). */
static __always_inline void rec_submit(void *e, __u64 size)
{
	bpf_ringbuf_submit(e, wake_flags(((struct cgscope_rec *)e)->ts_ns, size));
}

static __always_inline void rec_current(struct cgscope_rec *e)
{
	__u64 id = bpf_get_current_pid_tgid();

	e->pid = (__u32)id;
	e->tgid = id >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
}

/* This cgroup's counters, given a slot on first use; NULL when not
 * counting or no slot is free (counted in ev_stat). */
static __always_inline struct cgscope_cg_counts *counts_of(__u64 cgroup_id)
{
	if (!counting || !cgroup_id)
		return NULL;
	return CGC_VALUES(ev, cgroup_id, true);
}

/* A path string the kernel already built (the cgroup tracepoints do). */
static __always_inline void path_str(char *dst, __u32 *flags, const char *path)
{
	char c = 0;
	long n = bpf_probe_read_kernel_str(dst, CGSCOPE_PATH_LEN, path);

	if (n == CGSCOPE_PATH_LEN &&
	    !bpf_probe_read_kernel(&c, 1, path + CGSCOPE_PATH_LEN - 1) && c)
		*flags |= CGSCOPE_EVF_PATH_TRUNCATED;
}

/* The path of a cgroup below the hierarchy's root, from its kernfs node,
 * for hooks that get no path from the kernel (OOM, throttling). Deeper than
 * PATH_DEPTH levels, the deepest ones are kept and the path is flagged as
 * truncated. */
static __always_inline void ev_path_kn(struct cgscope_event *e, struct kernfs_node *kn)
{
	const char *names[PATH_DEPTH] = {};
	struct path_scratch *s;
	__u32 zero = 0, slot;
	int n = 0, off = 0;
	char *buf;
	long len;

	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return;
	slot = s->depth++;
	if (slot >= PATH_SLOTS)
		goto out;
	buf = s->buf[slot];

#pragma unroll
	for (int i = 0; i < PATH_DEPTH; i++) {
		struct kernfs_node *parent = kn_parent(kn);

		if (!parent)
			break;
		names[i] = BPF_CORE_READ(kn, name);
		n = i + 1;
		kn = parent;
	}
	if (n == PATH_DEPTH && kn_parent(kn))
		e->flags |= CGSCOPE_EVF_PATH_TRUNCATED;	/* deeper than PATH_DEPTH */
	if (n == 0) {
		e->path[0] = '/';
		e->path[1] = 0;
		goto out;
	}
#pragma unroll
	for (int i = PATH_DEPTH - 1; i >= 0; i--) {
		if (i >= n)
			continue;
		if (off >= CGSCOPE_PATH_LEN - 2) {
			e->flags |= CGSCOPE_EVF_PATH_TRUNCATED;
			break;
		}
		buf[off & (CGSCOPE_PATH_LEN - 1)] = '/';
		off++;
		len = bpf_probe_read_kernel_str(&buf[off & (CGSCOPE_PATH_LEN - 1)],
						CGSCOPE_PATH_LEN, names[i]);
		if (len <= 0) {
			off--;	/* the name vanished: the path ends before it */
			break;
		}
		off += len - 1;
	}
	if (off >= CGSCOPE_PATH_LEN)
		e->flags |= CGSCOPE_EVF_PATH_TRUNCATED;
	else
		buf[off & (CGSCOPE_PATH_LEN - 1)] = 0;
	bpf_probe_read_kernel(e->path, sizeof(e->path), buf);
	e->path[CGSCOPE_PATH_LEN - 1] = 0;
out:
	s->depth--;
}

/* ------------------------------------------------------------------------
 * Network: cgroup_skb programs attached, through a bpf_link, to the cgroup
 * the agent watches run for every IP packet of every socket below it
 * (sockets belong to the cgroup of the process that made them). They count
 * the packet for the socket's cgroup, and let it pass: they return 1, so
 * cgscope never drops or delays traffic, and a link goes with the agent
 * (a killed agent leaves nothing attached). Counted in the `net` table, per
 * CPU; a freed cgroup's counts move into its parent's (net_release), so
 * that the agent's subtree figures never go down.
 */

/* The watched cgroup's id: the top of the table's tree. */
const volatile __u64 net_root_id = 0;
/* Whether tcp:tcp_retransmit_skb passes err, its third argument: the
 * tracepoint fires for failed retransmissions too since it does (Linux
 * 6.10, "tcp: add a new argument err for tcp_retransmit_skb"), and those
 * sent nothing. From the tracepoint's prototype (bpf_probe.c). */
const volatile bool retransmit_has_err = false;

/* Per CPU: the many CPUs that carry one busy cgroup's packets each add to
 * their own line, never to one they share. */
CGC_TABLE(net, struct cgscope_net_counts, 4096);

/* cgroups deeper below the cgroup2 root are not counted */
#define NET_MAX_LEVELS 64

/* In front of net_slot: the slot of a packet's cgroup, direct mapped on the
 * id's low bits, one u64 per entry, (id << 20) | (slot + 1), read and
 * written whole: an array lookup where the hash lookup cost ~20 ns a
 * packet. A cgroup keeps its slot as long as it has sockets, and ids are
 * never reused, so an entry is never wrong: at worst it is another
 * cgroup's, a miss. Shared by the CPUs: written only on a miss. */
#define NET_CACHE_SIZE 4096
#define NET_CACHE_SLOT_BITS 20	/* --bpf.network-slots is below 2^20 */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NET_CACHE_SIZE);
	__type(key, __u32);
	__type(value, __u64);
} net_cache SEC(".maps");

/* The slot of the skb's cgroup (id), on its first packet: the cgroup gets
 * one, and so does every ancestor up to the watched root that has none,
 * each with its parent and level. Every cgroup counted is in the table with
 * its whole branch, so the agent sums subtrees from the table alone: the
 * cgroups its filters leave out, and those freed between two reads, count
 * in their ancestors' figures. -1 when a slot was not to be had. */
static __always_inline __s64 net_slot_new(struct __sk_buff *skb, __u64 id)
{
	__u64 parent = 0;
	bool below = false;

	for (__u32 lvl = 0; lvl < NET_MAX_LEVELS; lvl++) {
		__u64 a = bpf_skb_ancestor_cgroup_id(skb, lvl);
		__s64 slot;

		if (!a)
			break;
		if (!below) {
			if (a != net_root_id)
				continue;
			below = true;
		}
		slot = CGC_SLOT(net, a, parent, lvl);
		if (slot < 0 || a == id)
			return slot;
		parent = a;
	}
	return -1;
}

/* skb->len is the IP packet's length, headers included: the hook pushes
 * the network header back before it runs on ingress. Each CPU adds to its
 * own region. Sending, the adds are atomic all the same: a packet sent from
 * process context can be interrupted on its CPU by a softirq that sends one
 * for the same cgroup (an ACK, a retransmission), whose add a plain one
 * would lose (an uncontended atomic add costs a few ns; a line shared by
 * the CPUs would cost far more). Receiving, they need not be: the ingress
 * hook runs with softirqs off (sk_filter() from the protocols' receive
 * paths), so no other receive on its CPU comes between a load and its
 * store, and one that interrupts a send writes other fields. */
static __always_inline void net_count(struct __sk_buff *skb, bool rx)
{
	__u64 id = bpf_skb_cgroup_id(skb), *e, v;
	__u32 *s, len = skb->len, key = id & (NET_CACHE_SIZE - 1);
	struct cgscope_net_counts *c;
	__s64 slot;

	if (!id)
		return;
	e = bpf_map_lookup_elem(&net_cache, &key);
	v = e ? *e : 0;
	if (v && v >> NET_CACHE_SLOT_BITS == id) {
		slot = (v & ((1u << NET_CACHE_SLOT_BITS) - 1)) - 1;
	} else {
		s = bpf_map_lookup_elem(&net_slot, &id);
		slot = s ? (__s64)*s : net_slot_new(skb, id);
		if (slot < 0)
			return;
		if (e && id >> (64 - NET_CACHE_SLOT_BITS) == 0)
			*e = id << NET_CACHE_SLOT_BITS | (__u64)(slot + 1);
	}
	c = CGC_SLOT_VALUES(net, (__u32)slot);
	if (!c)
		return;
	if (rx) {
		CGC_ADD(net, &c->own.rx_bytes, len);
		CGC_ADD(net, &c->own.rx_packets, 1);
	} else {
		__sync_fetch_and_add(&c->own.tx_bytes, len);
		__sync_fetch_and_add(&c->own.tx_packets, 1);
	}
}

SEC("cgroup_skb/ingress")
int cgskb_ingress(struct __sk_buff *skb)
{
	net_count(skb, true);
	return 1;
}

SEC("cgroup_skb/egress")
int cgskb_egress(struct __sk_buff *skb)
{
	net_count(skb, false);
	return 1;
}

/* The kernel frees cgroup id (from the lifecycle feature's release hook):
 * its counts, own and those of its own freed descendants, go to its
 * parent's `gone`, then its slot goes back. Inside the table's `moving`
 * count, so that a reader summing the tree sees the counts in one place,
 * never in both or neither. No packet can come for the cgroup any more: a
 * socket holds its cgroup until it is freed. */
static __always_inline void net_release(__u64 id)
{
	struct cgscope_net_counts *from, *to;
	__u32 *s = bpf_map_lookup_elem(&net_slot, &id), *ps;
	__u32 slot, pslot, zero = 0;
	struct cgc_meta *m;
	struct cgc_stat *st;
	__u64 parent;

	if (!s)
		return;
	slot = *s;
	m = bpf_map_lookup_elem(&net_meta, &slot);
	st = bpf_map_lookup_elem(&net_stat, &zero);
	if (!m || !st)
		return;
	parent = m->parent;
	__sync_fetch_and_add(&st->moving, 1);
	ps = parent ? bpf_map_lookup_elem(&net_slot, &parent) : NULL;
	if (ps) {
		pslot = *ps;
		for (__u32 r = 0; r < CGC_MAX_REGIONS; r++) {
			if (r >= net_cfg.regions)
				break;
			from = CGC_REGION_VALUES(net, slot, r);
			to = CGC_REGION_VALUES(net, pslot, r);
			if (!from || !to)
				break;
			__sync_fetch_and_add(&to->gone.rx_bytes, from->own.rx_bytes + from->gone.rx_bytes);
			__sync_fetch_and_add(&to->gone.rx_packets,
					     from->own.rx_packets + from->gone.rx_packets);
			__sync_fetch_and_add(&to->gone.tx_bytes, from->own.tx_bytes + from->gone.tx_bytes);
			__sync_fetch_and_add(&to->gone.tx_packets,
					     from->own.tx_packets + from->gone.tx_packets);
			__sync_fetch_and_add(&to->gone.tcp_retransmits,
					     from->own.tcp_retransmits + from->gone.tcp_retransmits);
		}
	}
	CGC_RELEASE(net, id);
	__sync_fetch_and_add(&st->moves, 1);
	__sync_fetch_and_add(&st->moving, -1);
}

/* TCP segments retransmitted, for the socket's cgroup (tcp_retransmit_skb
 * counts them as /proc/net/snmp RetransSegs and TCP_INFO's total_retrans
 * do). A retransmission is sent through the egress hook first, so the
 * cgroup has its slot already; a socket outside the watched tree has none
 * and is not counted. */
static __always_inline int on_retransmit(const struct sock *sk, const struct sk_buff *skb)
{
	struct cgscope_net_counts *c;
	__u64 id;

	if (!counting || !sk)
		return 0;
	id = sock_cgroup_id(sk);
	c = id ? CGC_VALUES(net, id, false) : NULL;
	if (c)
		__sync_fetch_and_add(&c->own.tcp_retransmits, skb ? skb_tcp_segs(skb) : 1);
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int tpbtf_tcp_retransmit_skb(unsigned long long *ctx)
{
	if (retransmit_has_err && (int)ctx[2])
		return 0;
	return on_retransmit((const struct sock *)ctx[0], (const struct sk_buff *)ctx[1]);
}

SEC("raw_tp/tcp_retransmit_skb")
int rawtp_tcp_retransmit_skb(struct bpf_raw_tracepoint_args *ctx)
{
	if (retransmit_has_err && (int)ctx->args[2])
		return 0;
	return on_retransmit((const struct sock *)ctx->args[0], (const struct sk_buff *)ctx->args[1]);
}

/* ------------------------------------------------------------------------
 * Lifecycle and freezer: cgroup_{mkdir,rmdir,release,rename,freeze,unfreeze}
 * (TP_PROTO(struct cgroup *, const char *path)) and
 * cgroup_notify_{populated,frozen} (the same plus int val).
 */

/* Which types carry the kernel's path: those whose cgroup userspace may
 * not find in the tree by its id (events.h). */
#define PATH_TYPES (CGSCOPE_EV_MASK(CGSCOPE_EV_MKDIR) | CGSCOPE_EV_MASK(CGSCOPE_EV_RMDIR) | \
		    CGSCOPE_EV_MASK(CGSCOPE_EV_RENAME))

static __always_inline int cgroup_rec_path(__u32 type, __u32 source, __u64 id, __u32 level,
					   const char *path, int val)
{
	struct cgscope_rec_path *e = rec_reserve(sizeof(*e), type, source);

	if (!e)
		return 0;
	e->h.cgroup_id = id;
	e->h.level = level;
	e->h.aux = val;
	rec_current(&e->h);
	path_str(e->path, &e->h.flags, path);
	rec_submit(e, sizeof(*e));
	return 0;
}

static __always_inline int cgroup_rec(__u32 type, __u32 source, __u64 id, __u32 level, int val)
{
	struct cgscope_rec *e;

	/* The kernel frees the cgroup: its counters go (the agent no longer
	 * serves a cgroup that left the tree), and its slot is free again. */
	if (type == CGSCOPE_EV_RELEASE && counting) {
		CGC_RELEASE(ev, id);
		net_release(id);
	}
	e = rec_reserve(sizeof(*e), type, source);
	if (!e)
		return 0;
	e->cgroup_id = id;
	e->level = level;
	e->aux = val;
	if (type == CGSCOPE_EV_FROZEN || type == CGSCOPE_EV_POPULATED) {
		/* Notifications: the task running is incidental, its pid is
		 * enough (these come in pairs with every migration). */
		__u64 cur = bpf_get_current_pid_tgid();

		e->pid = (__u32)cur;
		e->tgid = cur >> 32;
		__builtin_memset(e->comm, 0, sizeof(e->comm));
	} else {
		rec_current(e);
	}
	rec_submit(e, sizeof(*e));
	return 0;
}

static __always_inline int on_cgroup(__u32 type, __u32 source, struct cgroup *cgrp,
				     const char *path, int val)
{
	if (!cgroup_on_dfl(cgrp))
		return 0;
	if (CGSCOPE_EV_MASK(type) & PATH_TYPES)
		return cgroup_rec_path(type, source, cgroup_id_of(cgrp),
				       BPF_CORE_READ(cgrp, level), path, val);
	return cgroup_rec(type, source, cgroup_id_of(cgrp), BPF_CORE_READ(cgrp, level), val);
}

/* tp_btf: the cgroup's fields read directly. */
static __always_inline int on_cgroup_typed(__u32 type, struct cgroup *cgrp, const char *path,
					   int val)
{
	if (!cgroup_on_dfl_typed(cgrp))
		return 0;
	if (CGSCOPE_EV_MASK(type) & PATH_TYPES)
		return cgroup_rec_path(type, CGSCOPE_HOOK_TP_BTF, cgroup_id_typed(cgrp),
				       cgrp->level, path, val);
	return cgroup_rec(type, CGSCOPE_HOOK_TP_BTF, cgroup_id_typed(cgrp), cgrp->level, val);
}

/* The tracefs layout of the same tracepoints: hierarchy id, level, id, and
 * the path as a __data_loc string (offset in the low 16 bits). */
static __always_inline int on_cgroup_tp(__u32 type, void *ctx, int root, int level,
					__u64 id, __u32 path_loc, int val)
{
	if (root != 0)
		return 0;
	if (CGSCOPE_EV_MASK(type) & PATH_TYPES)
		return cgroup_rec_path(type, CGSCOPE_HOOK_TRACEPOINT, id, level,
				       (const char *)ctx + (path_loc & 0xffff), val);
	return cgroup_rec(type, CGSCOPE_HOOK_TRACEPOINT, id, level, val);
}

#define CGROUP_TP(name, type)							\
SEC("tp_btf/" #name)								\
int BPF_PROG(tpbtf_##name, struct cgroup *cgrp, const char *path)		\
{										\
	return on_cgroup_typed(type, cgrp, path, 0);				\
}										\
SEC("raw_tp/" #name)								\
int BPF_PROG(rawtp_##name, struct cgroup *cgrp, const char *path)		\
{										\
	return on_cgroup(type, CGSCOPE_HOOK_RAW_TP, cgrp, path, 0);		\
}										\
SEC("tracepoint/cgroup/" #name)							\
int tp_##name(struct trace_event_raw_cgroup *ctx)				\
{										\
	return on_cgroup_tp(type, ctx, ctx->root, ctx->level, ctx->id,		\
			    ctx->__data_loc_path, 0);				\
}

#define CGROUP_EVENT_TP(name, type)						\
SEC("tp_btf/" #name)								\
int BPF_PROG(tpbtf_##name, struct cgroup *cgrp, const char *path, int val)	\
{										\
	return on_cgroup_typed(type, cgrp, path, val);				\
}										\
SEC("raw_tp/" #name)								\
int BPF_PROG(rawtp_##name, struct cgroup *cgrp, const char *path, int val)	\
{										\
	return on_cgroup(type, CGSCOPE_HOOK_RAW_TP, cgrp, path, val);		\
}										\
SEC("tracepoint/cgroup/" #name)							\
int tp_##name(struct trace_event_raw_cgroup_event *ctx)				\
{										\
	return on_cgroup_tp(type, ctx, ctx->root, ctx->level, ctx->id,		\
			    ctx->__data_loc_path, ctx->val);			\
}

CGROUP_TP(cgroup_mkdir, CGSCOPE_EV_MKDIR)
CGROUP_TP(cgroup_rmdir, CGSCOPE_EV_RMDIR)
CGROUP_TP(cgroup_release, CGSCOPE_EV_RELEASE)
CGROUP_TP(cgroup_rename, CGSCOPE_EV_RENAME)
CGROUP_TP(cgroup_freeze, CGSCOPE_EV_FREEZE)
CGROUP_TP(cgroup_unfreeze, CGSCOPE_EV_UNFREEZE)
CGROUP_EVENT_TP(cgroup_notify_frozen, CGSCOPE_EV_FROZEN)
CGROUP_EVENT_TP(cgroup_notify_populated, CGSCOPE_EV_POPULATED)

/* ------------------------------------------------------------------------
 * Migration: cgroup_attach_task(dst_cgrp, path, task, threadgroup), traced
 * after the move, so the source comes from proc_cgroup.
 */

/* The 6.1 verifier (not 6.12's) refuses a program where a ring buffer
 * record, once tested for NULL, is tested again after a helper returned it
 * ("Unreleased reference"): so every handler reserves, tests once, fills
 * (helpers take the record) and submits, in that order, in one function. */

struct attach {
	__u64 dst_id;
	__u64 src_id;
	bool src_known;
};

/* The source's id as the entry hook saw it (attach_src), when it saw this
 * task's move; the entry is taken. */
static __always_inline bool attach_src_take(__u32 pid, __u64 *ret_id)
{
	__u32 zero = 0;
	struct attach_src *s = bpf_map_lookup_elem(&attach_src, &zero);

	if (!s || s->pid != pid || !s->id)
		return false;
	*ret_id = s->id;
	s->pid = 0;
	return true;
}

/* Looks up where the process was (*ret_src: its proc_cgroup entry, 0 when
 * unknown) and records where it is now (dst: an entry, address or id).
 * False when there is nothing to say: a write of a pid into the cgroup it
 * is already in traces an attach too, but moves nothing. */
static __always_inline bool attach_note(__u64 dst, __u32 pid, __u32 tgid, int threadgroup,
					__u64 *ret_src)
{
	__u32 key = tgid ? tgid : pid;	/* the tracefs layout has no tgid: pid is the leader */
	__u64 *src = proc_where(key);

	*ret_src = src ? *src : 0;
	if (*ret_src == dst)
		return false;
	/* Only a move of the whole process (or of its leader) says where the
	 * process is now. */
	if (threadgroup != 0 || pid == tgid)
		proc_set(key, dst, false);
	return true;
}

/* The source of a move from its entry, an address (tp_btf, raw_tp). */
static __always_inline void attach_src_ptr(struct attach *a, __u64 src)
{
	if (!src)
		return;
	a->src_id = cgroup_id_of((struct cgroup *)src);
	a->src_known = a->src_id != 0;
}

/* The source of the move into a->dst_id, from the entry hook where it saw
 * it, else from proc_cgroup (whose entry for the process becomes dst:
 * an address when ptr, else the id). False when nothing moved. */
static __always_inline bool attach_source(struct attach *a, __u64 dst, __u32 pid, __u32 tgid,
					  int threadgroup, bool ptr)
{
	__u64 src;

	if (attach_src_take(pid, &a->src_id)) {
		a->src_known = true;
		return a->src_id != a->dst_id;
	}
	if (!attach_note(dst, pid, tgid, threadgroup, &src))
		return false;
	if (ptr) {
		attach_src_ptr(a, src);
	} else {
		a->src_id = src;
		a->src_known = src != 0;
	}
	return true;
}

/* Counts the move: into dst, and out of the source where known. Plain
 * adds: the attach tracepoint fires under cgroup_mutex, so no two
 * migrations count at once. */
static __always_inline void attach_count(const struct attach *a)
{
	struct cgscope_cg_counts *c = counts_of(a->dst_id);

	if (c)
		CGC_ADD_SERIAL(ev, &c->migrations_in, 1);
	if (!a->src_known || !a->src_id)
		return;
	c = counts_of(a->src_id);
	if (c)
		CGC_ADD_SERIAL(ev, &c->migrations_out, 1);
}

static __always_inline void attach_fill(struct cgscope_rec_migration *e, const struct attach *a,
					__u32 level, __u32 pid, __u32 tgid, int threadgroup)
{
	e->h.cgroup_id = a->dst_id;
	e->h.level = level;
	e->h.pid = pid;
	e->h.tgid = tgid;
	if (a->src_known) {
		e->src_cgroup_id = a->src_id;
		e->h.flags |= CGSCOPE_EVF_SRC_KNOWN;
	}
	if (threadgroup >= 0)
		e->h.flags |= CGSCOPE_EVF_THREADGROUP_KNOWN |
			      (threadgroup ? CGSCOPE_EVF_THREADGROUP : 0);
}

static __always_inline int on_attach(__u32 source, struct cgroup *dst, const char *path,
				     struct task_struct *task, bool threadgroup)
{
	__u32 pid = BPF_CORE_READ(task, pid), tgid = BPF_CORE_READ(task, tgid);
	struct cgscope_rec_migration *e;
	struct attach a = {};

	if (!cgroup_on_dfl(dst))
		return 0;
	a.dst_id = cgroup_id_of(dst);
	if (!attach_source(&a, (__u64)dst, pid, tgid, threadgroup, true))
		return 0;
	attach_count(&a);
	e = rec_reserve(sizeof(*e), CGSCOPE_EV_MIGRATION, source);
	if (!e)
		return 0;
	attach_fill(e, &a, BPF_CORE_READ(dst, level), pid, tgid, threadgroup);
	BPF_CORE_READ_STR_INTO(&e->h.comm, task, comm);
	rec_submit(e, sizeof(*e));
	return 0;
}

/* tp_btf: fields read directly. */
SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(tpbtf_cgroup_attach_task, struct cgroup *dst, const char *path,
	     struct task_struct *task, bool threadgroup)
{
	__u32 pid = task->pid, tgid = task->tgid;
	struct cgscope_rec_migration *e;
	struct attach a = {};

	if (!cgroup_on_dfl_typed(dst))
		return 0;
	a.dst_id = cgroup_id_typed(dst);
	if (!attach_source(&a, (__u64)dst, pid, tgid, threadgroup, true))
		return 0;
	attach_count(&a);
	e = rec_reserve(sizeof(*e), CGSCOPE_EV_MIGRATION, CGSCOPE_HOOK_TP_BTF);
	if (!e)
		return 0;
	attach_fill(e, &a, dst->level, pid, tgid, threadgroup);
	__builtin_memcpy(e->h.comm, task->comm, sizeof(e->h.comm));
	rec_submit(e, sizeof(*e));
	return 0;
}

SEC("raw_tp/cgroup_attach_task")
int BPF_PROG(rawtp_cgroup_attach_task, struct cgroup *dst, const char *path,
	     struct task_struct *task, bool threadgroup)
{
	return on_attach(CGSCOPE_HOOK_RAW_TP, dst, path, task, threadgroup);
}

SEC("tracepoint/cgroup/cgroup_attach_task")
int tp_cgroup_attach_task(struct trace_event_raw_cgroup_migrate *ctx)
{
	struct cgscope_rec_migration *e;
	struct attach a = {};

	if (ctx->dst_root != 0)
		return 0;
	a.dst_id = ctx->dst_id;
	if (!attach_source(&a, a.dst_id, ctx->pid, 0, -1, false))
		return 0;
	attach_count(&a);
	e = rec_reserve(sizeof(*e), CGSCOPE_EV_MIGRATION, CGSCOPE_HOOK_TRACEPOINT);
	if (!e)
		return 0;
	attach_fill(e, &a, ctx->dst_level, ctx->pid, 0, -1);
	bpf_probe_read_kernel_str(e->h.comm, sizeof(e->h.comm),
				  (const char *)ctx + (ctx->__data_loc_comm & 0xffff));
	rec_submit(e, sizeof(*e));
	return 0;
}

/* The source before the move, at the entry of cgroup_attach_task(dst,
 * leader, threadgroup), on kernels that allow fentry or kprobes: the task
 * is still in its cgroup there. A move in a v1 hierarchy is left alone, as
 * the attach programs leave it. */
static __always_inline int attach_src_note(__u32 pid, __u64 id)
{
	__u32 zero = 0;
	struct attach_src *s = bpf_map_lookup_elem(&attach_src, &zero);

	if (s) {
		s->id = id;
		s->pid = pid;
	}
	return 0;
}

SEC("fentry/cgroup_attach_task")
int BPF_PROG(fentry_cgroup_attach_task, struct cgroup *dst, struct task_struct *leader,
	     bool threadgroup)
{
	if (!cgroup_on_dfl_typed(dst))
		return 0;
	return attach_src_note(leader->pid, cgroup_id_typed(task_dfl_cgroup_typed(leader)));
}

SEC("kprobe/cgroup_attach_task")
int BPF_KPROBE(kprobe_cgroup_attach_task, struct cgroup *dst, struct task_struct *leader)
{
	if (!cgroup_on_dfl(dst))
		return 0;
	return attach_src_note(BPF_CORE_READ(leader, pid), cgroup_id_of(task_dfl_cgroup(leader)));
}

/* Fork: a new process starts in its parent's cgroup, or with
 * CLONE_INTO_CGROUP in another one, which only the child's css_set tells.
 * The entry is the cgroup's address (proc_cgroup): two loads from lines the
 * fork has just touched (the child, its css_set). */
static __always_inline int on_fork(struct task_struct *child)
{
	__u32 pid = BPF_CORE_READ(child, pid), tgid = BPF_CORE_READ(child, tgid);

	if (pid != tgid)	/* a thread: its process is already known */
		return 0;
	proc_set(tgid, (__u64)task_dfl_cgroup(child), false);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(tpbtf_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 tgid = child->tgid;

	if (child->pid != tgid)	/* a thread: its process is already known */
		return 0;
	proc_set(tgid, (__u64)task_dfl_cgroup_typed(child), false);
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(rawtp_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(child);
}

/* The tracefs layout gives pids only; the parent is running, and its cgroup
 * is the child's unless CLONE_INTO_CGROUP was used (the one case missed).
 * It does not say whether the child is a thread: recording a thread's tid
 * costs an LRU slot, nothing else. */
SEC("tracepoint/sched/sched_process_fork")
int tp_sched_process_fork(struct trace_event_raw_sched_process_fork *ctx)
{
	__u32 pid = ctx->child_pid;
	__u64 id = bpf_get_current_cgroup_id();

	proc_set(pid, id, false);
	return 0;
}

/* Run once at load: the processes that exist already. Never overwrites what
 * a hook recorded meanwhile. */
SEC("iter/task")
int seed_proc_cgroup(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	__u32 pid, tgid;
	__u64 id;

	if (!task)
		return 0;
	pid = BPF_CORE_READ(task, pid);
	tgid = BPF_CORE_READ(task, tgid);
	if (pid != tgid)
		return 0;
	if (proc_holds_ptr)
		id = (__u64)task_dfl_cgroup(task);
	else
		id = cgroup_id_of(task_dfl_cgroup(task));
	proc_set(tgid, id, true);
	return 0;
}

/* ------------------------------------------------------------------------
 * OOM kills. oom:mark_victim fires once per victim (several with
 * memory.oom.group) from oom_kill_process(), whose struct oom_control holds
 * what the tracepoint does not: the constraint, the memcg whose limit was hit
 * and the chosen task. A hook on oom_kill_process() (fentry or kprobe, where
 * the kernel allows one) leaves that in oom_ctx for mark_victim to add.
 */

/* The victim's identity, cgroup and memory, read from its task_struct the
 * way the mark_victim tracepoint computes its fields. */
static __always_inline void fill_victim(struct cgscope_event *e, struct task_struct *task)
{
	struct cgroup *cgrp = task_dfl_cgroup(task);
	struct mm_struct *mm = BPF_CORE_READ(task, mm);

	e->pid = BPF_CORE_READ(task, pid);
	e->tgid = BPF_CORE_READ(task, tgid);
	BPF_CORE_READ_STR_INTO(&e->comm, task, comm);
	if (cgrp) {
		e->cgroup_id = cgroup_id_of(cgrp);
		e->level = BPF_CORE_READ(cgrp, level);
		ev_path_kn(e, BPF_CORE_READ(cgrp, kn));
		e->flags |= CGSCOPE_EVF_VICTIM_CGROUP;
	}
	e->uid = BPF_CORE_READ(task, real_cred, uid.val);
	e->flags |= CGSCOPE_EVF_UID;
	e->oom_score_adj = BPF_CORE_READ(task, signal, oom_score_adj);
	if (mm) {
		e->total_vm_bytes = BPF_CORE_READ(mm, total_vm) << page_shift;
		e->anon_rss_bytes = mm_anon_pages(mm) << page_shift;
		e->file_rss_bytes = mm_file_pages(mm) << page_shift;
		e->shmem_rss_bytes = mm_shmem_pages(mm) << page_shift;
		e->pgtables_bytes = mm_pgtables_bytes(mm);
		e->flags |= CGSCOPE_EVF_MEMORY;
	}
}

static __always_inline int on_oom_kill_process(struct oom_control *oc)
{
	__u32 zero = 0, tid = (__u32)bpf_get_current_pid_tgid();
	struct cgscope_event *t, *z = bpf_map_lookup_elem(&ev_zero, &zero);
	struct task_struct *chosen;
	struct mem_cgroup *memcg;

	if (!z || bpf_map_update_elem(&oom_ctx, &tid, z, BPF_ANY))
		return 0;
	t = bpf_map_lookup_elem(&oom_ctx, &tid);
	if (!t)
		return 0;
	memcg = BPF_CORE_READ(oc, memcg);
	if (memcg) {
		struct cgroup *cgrp = BPF_CORE_READ(memcg, css.cgroup);

		t->oom_scope = CGSCOPE_OOM_MEMCG;
		/* On a hybrid host the memcg lives in a v1 hierarchy: its id
		 * would name no cgroup2 directory. */
		if (cgrp && cgroup_on_dfl(cgrp))
			t->oom_domain_id = cgroup_id_of(cgrp);
	} else if (oom_is_cpuset(oc)) {
		t->oom_scope = CGSCOPE_OOM_CPUSET;
	} else if (oom_is_mempolicy(oc)) {
		t->oom_scope = CGSCOPE_OOM_MEMPOLICY;
	} else {
		t->oom_scope = CGSCOPE_OOM_GLOBAL;
	}
	t->oom_limit_bytes = BPF_CORE_READ(oc, totalpages) << page_shift;
	t->oom_points = BPF_CORE_READ(oc, chosen_points);
	t->flags |= CGSCOPE_EVF_OOM_DETAIL;
	chosen = BPF_CORE_READ(oc, chosen);
	/* (void *)-1 means "abort, a victim is already dying" */
	if (chosen && (long)chosen != -1)
		fill_victim(t, chosen);
	return 0;
}

static __always_inline int on_oom_kill_process_done(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	bpf_map_delete_elem(&oom_ctx, &tid);
	return 0;
}

SEC("fentry/oom_kill_process")
int BPF_PROG(fentry_oom_kill_process, struct oom_control *oc, const char *message)
{
	return on_oom_kill_process(oc);
}

SEC("fexit/oom_kill_process")
int BPF_PROG(fexit_oom_kill_process, struct oom_control *oc, const char *message)
{
	return on_oom_kill_process_done();
}

SEC("kprobe/oom_kill_process")
int BPF_KPROBE(kprobe_oom_kill_process, struct oom_control *oc)
{
	return on_oom_kill_process(oc);
}

SEC("kretprobe/oom_kill_process")
int BPF_KRETPROBE(kretprobe_oom_kill_process)
{
	return on_oom_kill_process_done();
}

/* Fills a reserved OOM record: what oom_kill_process() left for this
 * killer, then the victim's own task_struct where the hook gives it (task
 * NULL: the pid only). */
static __always_inline void victim_fill(struct cgscope_event *e, struct task_struct *task,
					__u32 pid)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct cgscope_event *t = bpf_map_lookup_elem(&oom_ctx, &tid);

	if (t) {
		if (t->pid == pid) {
			/* the chosen task itself: all oom_kill_process() saw */
			__u32 type = e->type, source = e->source;
			__u64 ts = e->ts_ns;

			__builtin_memcpy(e, t, sizeof(*e));
			e->type = type;
			e->source = source;
			e->ts_ns = ts;
			e->count = 1;
		}
		e->oom_scope = t->oom_scope;
		e->oom_domain_id = t->oom_domain_id;
		e->oom_limit_bytes = t->oom_limit_bytes;
		e->oom_points = t->oom_points;
		e->flags |= CGSCOPE_EVF_OOM_DETAIL;
	}
	e->pid = pid;
	e->killer_pid = tid;
	bpf_get_current_comm(e->killer_comm, sizeof(e->killer_comm));
	if (task)
		fill_victim(e, task);
}

/* An OOM record is built in a per-CPU scratch record (whole struct
 * cgscope_event: rare, and with the kernel's path), counted, then copied
 * to the ring. NULL when the scratch is missing. */
static __always_inline struct cgscope_event *oom_start(__u32 source)
{
	__u32 one = 1;
	struct cgscope_event *e = bpf_map_lookup_elem(&ev_zero, &one);

	if (!e)
		return NULL;
	__builtin_memset(e, 0, sizeof(*e));
	e->type = CGSCOPE_EV_OOM_KILL;
	e->source = source;
	e->ts_ns = bpf_ktime_get_ns();
	e->count = 1;
	return e;
}

static __always_inline int oom_emit(struct cgscope_event *e)
{
	struct cgscope_cg_counts *c = counts_of(e->cgroup_id);

	if (c)
		CGC_ADD(ev, &c->oom_kills, 1);
	if (!(type_mask & CGSCOPE_EV_MASK(CGSCOPE_EV_OOM_KILL)))
		return 0;
	/* Rare and worth seeing at once: the reader is always woken. */
	if (bpf_ringbuf_output(&events, e, sizeof(*e), 0))
		count_lost(CGSCOPE_EV_OOM_KILL);
	return 0;
}

SEC("tp_btf/mark_victim")
int tpbtf_mark_victim(unsigned long long *ctx)
{
	struct cgscope_event *e = oom_start(CGSCOPE_HOOK_TP_BTF);
	struct task_struct *task;
	__u32 pid;

	if (!e)
		return 0;
	task = mark_victim_task(ctx[0], &pid);
	victim_fill(e, task, pid);
	return oom_emit(e);
}

SEC("raw_tp/mark_victim")
int rawtp_mark_victim(struct bpf_raw_tracepoint_args *ctx)
{
	struct cgscope_event *e = oom_start(CGSCOPE_HOOK_RAW_TP);
	struct task_struct *task;
	__u32 pid;

	if (!e)
		return 0;
	task = mark_victim_task(ctx->args[0], &pid);
	victim_fill(e, task, pid);
	return oom_emit(e);
}

/* The tracefs layout: the pid, and on newer kernels the victim's comm and
 * memory (core_compat.bpf.h). The victim's cgroup comes from oom_ctx when
 * oom_kill_process() is hooked. */
SEC("tracepoint/oom/mark_victim")
int tp_mark_victim(struct trace_event_raw_mark_victim *ctx)
{
	struct cgscope_event *e = oom_start(CGSCOPE_HOOK_TRACEPOINT);
	struct mark_victim_detail d;

	if (!e)
		return 0;
	victim_fill(e, NULL, ctx->pid);
	if (mark_victim_tp_detail(ctx, &d)) {
		bpf_probe_read_kernel_str(e->comm, sizeof(e->comm),
					  (const char *)ctx + (d.comm_loc & 0xffff));
		e->total_vm_bytes = d.total_vm_kb << 10;
		e->anon_rss_bytes = d.anon_rss_kb << 10;
		e->file_rss_bytes = d.file_rss_kb << 10;
		e->shmem_rss_bytes = d.shmem_rss_kb << 10;
		e->pgtables_bytes = d.pgtables_kb << 10;
		e->oom_score_adj = d.oom_score_adj;
		e->uid = d.uid;
		e->flags |= CGSCOPE_EVF_MEMORY | CGSCOPE_EVF_UID;
	}
	return oom_emit(e);
}

/* ------------------------------------------------------------------------
 * CFS bandwidth: throttle_cfs_rq(cfs_rq) returns whether it throttled (it
 * can find runtime at the last moment), so the throttle is recorded on
 * return; unthrottle_cfs_rq(cfs_rq) ends it. One cfs_rq per cgroup and CPU.
 */

static const __u64 throttle_bounds[CGSCOPE_THROTTLE_BUCKETS] = CGSCOPE_THROTTLE_BOUNDS_NS;

static __always_inline int on_throttle(__u32 source, struct cfs_rq *cfs_rq)
{
	struct cgroup *cgrp = cfs_rq_cgroup(cfs_rq);
	__u64 key = (__u64)cfs_rq, now = bpf_ktime_get_ns(), id;
	struct cgscope_rec_throttle *e;
	struct cgscope_cg_counts *c;

	if (!cgrp || !cgroup_on_dfl(cgrp))
		return 0;
	bpf_map_update_elem(&throttle_start, &key, &now, BPF_ANY);
	id = cgroup_id_of(cgrp);
	c = counts_of(id);
	if (c)
		CGC_ADD(ev, &c->throttles, 1);
	e = rec_reserve(sizeof(*e), CGSCOPE_EV_THROTTLE, source);
	if (!e)
		return 0;
	e->h.cgroup_id = id;
	e->h.level = BPF_CORE_READ(cgrp, level);
	e->h.aux = cfs_rq_cpu(cfs_rq);
	rec_current(&e->h);
	rec_submit(e, sizeof(*e));
	return 0;
}

/* Adds one throttling of dur ns to the cgroup's histogram. */
static __always_inline void throttle_count_end(__u64 id, __u64 dur)
{
	struct cgscope_cg_counts *c = counts_of(id);
	__u32 b = CGSCOPE_THROTTLE_BUCKETS;

	if (!c)
		return;
#pragma unroll
	for (int i = CGSCOPE_THROTTLE_BUCKETS - 1; i >= 0; i--)
		if (dur <= throttle_bounds[i])
			b = i;
	if (b > CGSCOPE_THROTTLE_BUCKETS)
		return;
	CGC_ADD(ev, &c->throttle_hist[b], 1);
	CGC_ADD(ev, &c->throttled_ns, dur);
}

static __always_inline int on_unthrottle(__u32 source, struct cfs_rq *cfs_rq)
{
	struct cgroup *cgrp = cfs_rq_cgroup(cfs_rq);
	__u64 key = (__u64)cfs_rq, *start, id;
	struct cgscope_rec_throttle *e;
	__u64 dur = 0;
	bool known;

	if (!cgrp || !cgroup_on_dfl(cgrp))
		return 0;
	id = cgroup_id_of(cgrp);
	start = bpf_map_lookup_elem(&throttle_start, &key);
	known = start != NULL;
	if (start) {
		dur = bpf_ktime_get_ns() - *start;
		bpf_map_delete_elem(&throttle_start, &key);
		throttle_count_end(id, dur);
	}
	/* No start: throttled before we were loaded. Every caller of
	 * unthrottle_cfs_rq() checks that the cfs_rq is throttled. */
	e = rec_reserve(sizeof(*e), CGSCOPE_EV_UNTHROTTLE, source);
	if (!e)
		return 0;
	e->h.cgroup_id = id;
	e->h.level = BPF_CORE_READ(cgrp, level);
	e->h.aux = cfs_rq_cpu(cfs_rq);
	if (known) {
		e->throttled_ns = dur;
		e->h.flags |= CGSCOPE_EVF_DURATION;
	}
	rec_current(&e->h);
	rec_submit(e, sizeof(*e));
	return 0;
}

SEC("fexit/throttle_cfs_rq")
int BPF_PROG(fexit_throttle_cfs_rq, struct cfs_rq *cfs_rq, bool ret)
{
	return ret ? on_throttle(CGSCOPE_HOOK_FENTRY, cfs_rq) : 0;
}

SEC("fentry/unthrottle_cfs_rq")
int BPF_PROG(fentry_unthrottle_cfs_rq, struct cfs_rq *cfs_rq)
{
	return on_unthrottle(CGSCOPE_HOOK_FENTRY, cfs_rq);
}

SEC("kprobe/throttle_cfs_rq")
int BPF_KPROBE(kprobe_throttle_cfs_rq, struct cfs_rq *cfs_rq)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 arg = (__u64)cfs_rq;

	bpf_map_update_elem(&throttle_arg, &tid, &arg, BPF_ANY);
	return 0;
}

SEC("kretprobe/throttle_cfs_rq")
int BPF_KRETPROBE(kretprobe_throttle_cfs_rq, bool ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *arg = bpf_map_lookup_elem(&throttle_arg, &tid);
	struct cfs_rq *cfs_rq;

	if (!arg)
		return 0;
	cfs_rq = (void *)*arg;
	bpf_map_delete_elem(&throttle_arg, &tid);
	return ret ? on_throttle(CGSCOPE_HOOK_KPROBE, cfs_rq) : 0;
}

SEC("kprobe/unthrottle_cfs_rq")
int BPF_KPROBE(kprobe_unthrottle_cfs_rq, struct cfs_rq *cfs_rq)
{
	return on_unthrottle(CGSCOPE_HOOK_KPROBE, cfs_rq);
}
