// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events/bpf_loader.h"
#include "events/cgroup_counters.h"
#include "events/event_source.h"
#include "events/hook.h"
#include "events/net_tree.h"
#include "lib/clock.h"
#include "lib/macros.h"

_Static_assert(BPF_FEATURES <= EVENTS_MAX_HOOKS, "struct events_status has a hook per feature");

/* Where the per-cgroup counters come from: the kernel counts every event a
 * BPF hook serves (the loader's `ev` table, read each cycle: exact, whatever
 * the ring buffer loses); this file counts only the poll-derived records
 * of features no hook serves (throttling from cpu.stat, OOM kills from
 * memory.events.local), in the table below. */

/* Poll-derived counters of one cgroup id, kept while the cgroup is in the
 * snapshots and a few cycles more. */
struct counts_entry {
	uint64_t id;
	uint64_t last_cycle;	/* the cycle that last saw or touched it */
	struct counts_entry *next;
	struct cgroup_event_counts c;
};

#define COUNTS_BUCKETS 4096
#define COUNTS_KEEP_CYCLES 5

struct event_source {
	struct bpf_loader *bpf;
	struct event_ring *ring;
	pthread_t thread;
	bool thread_started;
	atomic_bool stop;
	pthread_mutex_t lock;		/* the counters below */
	struct counts_entry *buckets[COUNTS_BUCKETS];
	uint64_t cycle;
	uint64_t by_type[CGSCOPE_EV_TYPES];
	bool poll_throttle, poll_oom;	/* no BPF hook serves these */
	/* The kernel's counts, read once a cycle, sorted by id. */
	struct kernel_counts {
		uint64_t id;
		struct cgscope_cg_counts c;
	} *kc;
	size_t nkc, kc_cap;
	/* The network table, read once a cycle, and each cgroup's figures. */
	struct cgc_tree net_read;
	struct net_tree net;
	bool sweep;			/* no release hook frees the kernel's slots */
	int sweep_err;
	int bpf_err;
	struct bpf_hook no_bpf[BPF_FEATURES];	/* the hooks without a loader */
};

static struct counts_entry *counts_get(struct event_source *es, uint64_t id)
{
	size_t b = (size_t)((id * 0x9E3779B97F4A7C15ull) >> 52) & (COUNTS_BUCKETS - 1);
	struct counts_entry *e;

	for (e = es->buckets[b]; e; e = e->next)
		if (e->id == id)
			break;
	if (!e && (e = calloc(1, sizeof(*e)))) {
		e->id = id;
		e->next = es->buckets[b];
		es->buckets[b] = e;
	}
	if (e)
		e->last_cycle = es->cycle;
	return e;
}

/* Counts one record; the lock is held. A BPF record is counted by the
 * kernel already: here only in the records-received statistics. */
static void record(struct event_source *es, const struct cgscope_event *ev)
{
	struct counts_entry *e;
	uint64_t n = ev->count ? ev->count : 1;

	if (ev->type < CGSCOPE_EV_TYPES && ev->source != CGSCOPE_HOOK_POLL)
		es->by_type[ev->type]++;
	if (!ev->cgroup_id || ev->source != CGSCOPE_HOOK_POLL)
		return;
	switch (ev->type) {
	case CGSCOPE_EV_OOM_KILL:
		if ((e = counts_get(es, ev->cgroup_id)))
			e->c.oom_kills += n;
		break;
	case CGSCOPE_EV_THROTTLE:
		if ((e = counts_get(es, ev->cgroup_id)))
			e->c.throttles += n;
		break;
	default:
		break;
	}
}

static void push(struct event_source *es, const struct cgscope_event *ev)
{
	event_ring_push(es->ring, ev);
	pthread_mutex_lock(&es->lock);
	record(es, ev);
	pthread_mutex_unlock(&es->lock);
}

static void on_bpf_event(const struct cgscope_event *ev, void *ctx)
{
	push(ctx, ev);
}

static void *consume(void *arg)
{
	struct event_source *es = arg;

	/* A short timeout: stop is noticed within it, and records that
	 * came without a wakeup (the programs wake it per batch) wait no
	 * longer. */
	while (!atomic_load(&es->stop)) {
		bpf_loader_poll(es->bpf, 100, on_bpf_event, es);
		event_ring_wake(es->ring);	/* once for all the poll consumed */
	}
	return NULL;
}

/* What serves feature f: the loader's answer, or the fallback without BPF. */
static const struct bpf_hook *hook_of(const struct event_source *es, enum bpf_feature f)
{
	const struct bpf_hook *hooks;

	event_source_hooks(es, &hooks);
	return &hooks[f];
}

size_t event_source_hooks(const struct event_source *es, const struct bpf_hook **ret)
{
	if (es->bpf)
		return bpf_loader_hooks(es->bpf, ret);
	*ret = es->no_bpf;
	return BPF_FEATURES;
}

int event_source_start(const struct event_source_opts *opts, struct event_source **ret,
		       int *ret_bpf_err)
{
	struct event_source *es = calloc(1, sizeof(*es));
	struct bpf_loader_opts bo = { .ringbuf_bytes = opts->ringbuf_bytes, .counters = true,
				      .type_mask = opts->type_mask,
				      .counter_slots = opts->counter_slots,
				      .network = opts->network, .cgroup_root = opts->cgroup_root,
				      .net_slots = opts->net_slots };
	int r;

	if (!es)
		return -ENOMEM;
	pthread_mutex_init(&es->lock, NULL);
	r = event_ring_new(opts->ring_capacity, &es->ring);
	if (r < 0) {
		free(es);
		return r;
	}
	if (opts->bpf) {
		r = bpf_loader_open(&bo, &es->bpf);
		if (r < 0) {
			es->bpf = NULL;
			es->bpf_err = r;
		}
	}
	bpf_hooks_without_bpf(es->bpf_err, es->no_bpf);
	/* --collect.network=false: not asked for, whatever became of BPF. */
	for (int f = BPF_FEATURE_NETWORK; !opts->network && f <= BPF_FEATURE_TCP_RETRANSMIT; f++)
		es->no_bpf[f] = (struct bpf_hook){ .feature = (enum bpf_feature)f,
						   .hook = CGSCOPE_HOOK_NONE,
						   .state = BPF_FEATURE_OFF, .detail = "" };
	es->poll_throttle = hook_of(es, BPF_FEATURE_THROTTLE)->state != BPF_FEATURE_HOOKED;
	/* OOM records that cannot name the victim's cgroup (mark_victim with
	 * a pid only, before Linux 6.9, and no hook on oom_kill_process)
	 * count nothing in the kernel: memory.events.local does then. */
	es->poll_oom = !es->bpf || !bpf_loader_oom_named(es->bpf);
	/* The release hook frees the kernel's slots of removed cgroups;
	 * without it each cycle sweeps them against the tree. */
	es->sweep = es->bpf && hook_of(es, BPF_FEATURE_LIFECYCLE)->state != BPF_FEATURE_HOOKED;
	if (es->bpf) {
		r = pthread_create(&es->thread, NULL, consume, es);
		if (r) {
			event_source_stop(es);
			return -r;
		}
		es->thread_started = true;
	}
	*ret_bpf_err = es->bpf_err;
	*ret = es;
	return 0;
}

void event_source_stop(struct event_source *es)
{
	if (!es)
		return;
	atomic_store(&es->stop, true);
	if (es->thread_started)
		pthread_join(es->thread, NULL);
	bpf_loader_close(es->bpf);
	event_ring_free(es->ring);
	free(es->kc);
	cgc_tree_free(&es->net_read);
	net_tree_free(&es->net);
	for (size_t b = 0; b < COUNTS_BUCKETS; b++)
		for (struct counts_entry *e = es->buckets[b], *n; e; e = n) {
			n = e->next;
			free(e);
		}
	pthread_mutex_destroy(&es->lock);
	free(es);
}

struct event_ring *event_source_ring(struct event_source *es)
{
	return es->ring;
}

static void poll_event(struct event_source *es, const struct snapshot *s,
		       const struct cgroup_sample *c, uint32_t type, uint64_t count,
		       uint64_t ns)
{
	struct cgscope_event ev = {
		.type = type,
		.source = CGSCOPE_HOOK_POLL,
		.cgroup_id = c->id,
		.level = c->depth,
		.count = count,
		.throttled_ns = ns,
		.flags = ns ? CGSCOPE_EVF_DURATION : 0,
	};
	const char *path = sample_path(s, c);

	ev.ts_ns = clock_ns(CLOCK_MONOTONIC);
	if (strlen(path) >= sizeof(ev.path))
		ev.flags |= CGSCOPE_EVF_PATH_TRUNCATED;
	snprintf(ev.path, sizeof(ev.path), "%.*s", (int)sizeof(ev.path) - 1, path);
	push(es, &ev);
}

bool event_source_prog_stats(const struct event_source *es)
{
	return es->bpf && bpf_loader_stats_enabled(es->bpf);
}

/* "features failed: migration, oom" */
static void failed_list(const struct bpf_hook *hooks, size_t n, char *buf, size_t size)
{
	size_t len = (size_t)snprintf(buf, size, "features failed:");
	const char *sep = " ";

	for (size_t i = 0; i < n && len < size; i++)
		if (hooks[i].state == BPF_FEATURE_FAILED) {
			len += (size_t)snprintf(buf + len, size - len, "%s%s", sep,
						bpf_feature_name(hooks[i].feature));
			sep = ", ";
		}
}

/* What the status says of a per-cgroup counter table (the events' or the
 * network's): its slots, those a cgroup holds now, and the counts it could
 * not make for want of one. */
static void counters_status(const struct cgroup_counters *c, uint64_t *ret_slots,
			    uint64_t *ret_used, uint64_t *ret_unslotted)
{
	struct cgc_stat cs;

	cgroup_counters_stat(c, &cs);
	*ret_slots = cgroup_counters_slots(c);
	*ret_used = cs.allocated - cs.released;
	*ret_unslotted = cs.unslotted;
}

static void fill_status(struct event_source *es, struct events_status *st)
{
	const struct bpf_hook *hooks;
	struct bpf_prog_stat progs[EVENTS_MAX_PROGS];
	size_t n = event_source_hooks(es, &hooks);
	int np;
	uint64_t first;

	/* Loaded means every feature the kernel offers a hook for got it. */
	st->bpf = es->bpf && bpf_loader_failed(es->bpf) == 0;
	if (es->bpf_err)
		snprintf(st->bpf_error, sizeof(st->bpf_error), "%s", strerror(-es->bpf_err));
	else if (es->bpf && bpf_loader_failed(es->bpf))
		failed_list(hooks, n, st->bpf_error, sizeof(st->bpf_error));
	for (size_t i = 0; i < n && st->nhooks < EVENTS_MAX_HOOKS; i++, st->nhooks++) {
		const struct bpf_hook *h = &hooks[i];
		const char *errname = h->err ? strerrorname_np(-h->err) : NULL;

		snprintf(st->hooks[i].feature, sizeof(st->hooks[i].feature), "%s",
			 bpf_feature_name(h->feature));
		snprintf(st->hooks[i].hook, sizeof(st->hooks[i].hook), "%s", hook_name(h->hook));
		st->hooks[i].failed = h->state == BPF_FEATURE_FAILED;
		if (!st->hooks[i].failed)
			continue;
		snprintf(st->hooks[i].error, sizeof(st->hooks[i].error), "%s",
			 errname ? errname : "unknown");
		snprintf(st->hooks[i].stage, sizeof(st->hooks[i].stage), "%s",
			 bpf_stage_name(h->err_stage));
		snprintf(st->hooks[i].error_hook, sizeof(st->hooks[i].error_hook), "%s",
			 hook_name(h->err_hook));
	}
	st->prog_stats = event_source_prog_stats(es);
	np = st->prog_stats ? bpf_loader_prog_stats(es->bpf, progs, EVENTS_MAX_PROGS) : 0;
	for (int i = 0; i < np; i++, st->nprogs++) {
		snprintf(st->progs[i].name, sizeof(st->progs[i].name), "%.63s", progs[i].name);
		st->progs[i].run_time_ns = progs[i].stats.run_time_ns;
		st->progs[i].run_cnt = progs[i].stats.run_cnt;
	}
	st->lost = es->bpf ? bpf_loader_lost(es->bpf) : 0;
	if (es->bpf && bpf_loader_counters(es->bpf))
		counters_status(bpf_loader_counters(es->bpf), &st->counter_slots,
				&st->counter_slots_used, &st->counter_unslotted);
	st->ring_capacity = event_ring_capacity(es->ring);
	event_ring_bounds(es->ring, &first, &st->ring_last_seq);
	if (es->bpf && bpf_loader_net_counters(es->bpf))
		counters_status(bpf_loader_net_counters(es->bpf), &st->net_slots,
				&st->net_slots_used, &st->net_unslotted);
	st->network = hook_of(es, BPF_FEATURE_NETWORK)->state == BPF_FEATURE_HOOKED;
	st->tcp_retransmits = st->network &&
			      hook_of(es, BPF_FEATURE_TCP_RETRANSMIT)->state == BPF_FEATURE_HOOKED;
	st->migrations = hook_of(es, BPF_FEATURE_MIGRATION)->state == BPF_FEATURE_HOOKED;
	st->oom = 1;			/* BPF, else memory.events.local */
	st->throttle_events = 1;	/* BPF, else cpu.stat */
	st->throttle_durations = !es->poll_throttle;
}

static void kernel_count(uint64_t id, const uint64_t *values, void *ctx)
{
	struct event_source *es = ctx;

	if (es->nkc == es->kc_cap) {
		size_t cap = es->kc_cap ? es->kc_cap * 2 : 256;
		struct kernel_counts *p = realloc(es->kc, cap * sizeof(*p));

		if (!p)
			return;	/* this cgroup's counts are missing this cycle */
		es->kc = p;
		es->kc_cap = cap;
	}
	es->kc[es->nkc].id = id;
	memcpy(&es->kc[es->nkc].c, values, sizeof(es->kc[es->nkc].c));
	es->nkc++;
}

static int kc_cmp(const void *a, const void *b)
{
	const struct kernel_counts *x = a, *y = b;

	return CMP(x->id, y->id);
}

static const struct cgscope_cg_counts *kernel_counts_of(const struct event_source *es, uint64_t id)
{
	struct kernel_counts key = { .id = id };
	const struct kernel_counts *k = es->nkc ? bsearch(&key, es->kc, es->nkc, sizeof(*es->kc),
							  kc_cmp) : NULL;

	return k ? &k->c : NULL;
}

/* The snapshot's ids, sorted, for the sweep. */
struct live_ids {
	uint64_t *ids;
	size_t n;
};

static int id_cmp(const void *a, const void *b)
{
	return CMP(*(const uint64_t *)a, *(const uint64_t *)b);
}

static bool is_live(uint64_t id, void *ctx)
{
	const struct live_ids *l = ctx;

	return bsearch(&id, l->ids, l->n, sizeof(*l->ids), id_cmp) != NULL;
}

/* Without a release hook: the slots of cgroups no longer in the tree go
 * back (needs bpf(), which kernels before 6.5 refuse once the agent has
 * dropped its privileges: then the table fills, and
 * cgscope_bpf_cgroup_slots_used says so). */
static void sweep(struct event_source *es, const struct snapshot *s)
{
	struct live_ids l = { .ids = malloc(s->n * sizeof(uint64_t) + 1), .n = s->n };
	int r;

	if (!l.ids)
		return;
	for (size_t i = 0; i < s->n; i++)
		l.ids[i] = s->cgroups[i].id;
	if (l.n)
		qsort(l.ids, l.n, sizeof(*l.ids), id_cmp);
	r = cgroup_counters_sweep(bpf_loader_counters(es->bpf), is_live, &l);
	if (r < 0)
		es->sweep_err = r;
	free(l.ids);
}

/* A cgroup's counters: the kernel's, plus this file's poll-derived ones. */
static void add_counts(struct cgroup_event_counts *to, const struct cgscope_cg_counts *k)
{
	to->migrations_in += k->migrations_in;
	to->migrations_out += k->migrations_out;
	to->oom_kills += k->oom_kills;
	to->throttles += k->throttles;
	to->throttled_ns_sum += k->throttled_ns;
	for (int b = 0; b <= THROTTLE_HIST_BUCKETS && b <= CGSCOPE_THROTTLE_BUCKETS; b++)
		to->throttle_hist[b] += k->throttle_hist[b];
}

/* Each cgroup's network figures, from the kernel's table read once: a
 * cgroup with no slot has sent and received nothing since the programs
 * were attached (its figures are 0, and served: the families are there for
 * every cgroup while the feature is). */
static void network_figures(struct event_source *es, struct snapshot *s)
{
	struct cgroup_counters *nc = es->bpf ? bpf_loader_net_counters(es->bpf) : NULL;

	if (!nc)
		return;
	if (cgroup_counters_read_tree(nc, &es->net_read) < 0 ||
	    net_tree_build(&es->net_read, &es->net) < 0)
		return;		/* no memory: no figures this cycle, families absent */
	for (size_t i = 0; i < s->n; i++) {
		struct cgroup_sample *c = &s->cgroups[i];
		const struct net_tree_entry *e = net_tree_find(&es->net, c->id);

		c->has_net = 1;
		if (e) {
			c->net = e->total;
			c->net_own = e->own;
		}
	}
}

void event_source_after_cycle(struct event_source *es, struct snapshot *s)
{
	struct cgroup_counters *cc = es->bpf ? bpf_loader_counters(es->bpf) : NULL;

	for (size_t i = 0; i < s->n; i++) {
		const struct cgroup_sample *c = &s->cgroups[i];

		if (es->poll_throttle && c->throttled_delta)
			poll_event(es, s, c, CGSCOPE_EV_THROTTLE, c->throttled_delta,
				   c->throttled_usec_delta * 1000);
		if (es->poll_oom && c->oom_kill_delta)
			poll_event(es, s, c, CGSCOPE_EV_OOM_KILL, c->oom_kill_delta, 0);
	}
	event_ring_wake(es->ring);
	if (cc && es->sweep && !es->sweep_err)
		sweep(es, s);
	es->nkc = 0;
	if (cc) {
		cgroup_counters_read(cc, kernel_count, es);
		if (es->nkc)
			qsort(es->kc, es->nkc, sizeof(*es->kc), kc_cmp);
	}
	pthread_mutex_lock(&es->lock);
	es->cycle++;
	for (size_t i = 0; i < s->n; i++) {
		struct counts_entry *e = counts_get(es, s->cgroups[i].id);
		const struct cgscope_cg_counts *k = kernel_counts_of(es, s->cgroups[i].id);

		if (e)
			s->cgroups[i].ev = e->c;
		if (k)
			add_counts(&s->cgroups[i].ev, k);
	}
	/* Entries of cgroups gone for a few cycles go too. */
	for (size_t b = 0; b < COUNTS_BUCKETS; b++) {
		struct counts_entry **pp = &es->buckets[b];
		while (*pp) {
			struct counts_entry *e = *pp;
			if (es->cycle - e->last_cycle > COUNTS_KEEP_CYCLES) {
				*pp = e->next;
				free(e);
			} else {
				pp = &e->next;
			}
		}
	}
	memcpy(s->events.by_type, es->by_type, sizeof(es->by_type));
	pthread_mutex_unlock(&es->lock);
	network_figures(es, s);
	fill_status(es, &s->events);
}
