/* SPDX-License-Identifier: GPL-2.0-only */
/* A recording made in memory from synthetic cycles (no files, no cgroupfs):
 * a segment's bytes, where each cycle's frame lies, and the page each cycle
 * was recorded with. What fuzz_record damages and seed_record writes. */
#ifndef CGSCOPE_FUZZ_RECORD_CORPUS_H
#define CGSCOPE_FUZZ_RECORD_CORPUS_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cycle.h"
#include "record/cycle_codec.h"
#include "record/event_codec.h"
#include "record/frame.h"

#define RC_CYCLES 18
#define RC_CGROUPS 6
#define RC_KEY_EVERY 6

struct rc_corpus {
	struct strbuf seg;
	struct {
		uint64_t seq;
		size_t off, end;
		bool key;
		char *page;
		struct snapshot *s;
		struct cycle_meta m;
	} cyc[RC_CYCLES];
};

/* Whether a decoded cycle is the one recorded: every value a page or the
 * JSON is made of (faster than rendering both, which the unit tests do). */
static inline bool rc_same(const struct snapshot *a, const struct cycle_meta *ma,
		    const struct snapshot *b, const struct cycle_meta *mb)
{
	if (a->n != b->n || a->cycle != b->cycle || a->taken_ms != b->taken_ms ||
	    a->read_mono_ns != b->read_mono_ns || strcmp(a->root, b->root) ||
	    memcmp(&a->stats, &b->stats, sizeof(a->stats)) ||
	    memcmp(&a->events, &b->events, sizeof(a->events)) ||
	    ma->filtered != mb->filtered || ma->over_limit != mb->over_limit ||
	    ma->compat != mb->compat || memcmp(&ma->rec, &mb->rec, sizeof(ma->rec)) ||
	    strcmp(ma->version, mb->version) || ma->interval_ms != mb->interval_ms)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct cgroup_sample *x = &a->cgroups[i], *y = &b->cgroups[i];
		struct cgroup_values vx = x->v, vy = y->v;

		if (x->id != y->id || x->parent_id != y->parent_id || x->depth != y->depth ||
		    strcmp(sample_path(a, x), sample_path(b, y)) ||
		    memcmp(&x->ev, &y->ev, sizeof(x->ev)))
			return false;
		/* Indexes into the snapshot's arrays differ: what they point to must not. */
		if (cg_has(&vx, F_MEMORY_STAT) &&
		    memcmp(a->mem_stat.rows[vx.mem_stat_row], b->mem_stat.rows[vy.mem_stat_row],
			   sizeof(a->mem_stat.rows[0])))
			return false;
		if (vx.io_count != vy.io_count ||
		    (vx.io_count && memcmp(&a->io.items[vx.io_first], &b->io.items[vy.io_first],
					   vx.io_count * sizeof(a->io.items[0]))))
			return false;
		vx.mem_stat_row = vy.mem_stat_row = 0;
		vx.io_first = vy.io_first = 0;
		if (memcmp(&vx, &vy, sizeof(vx)))
			return false;
	}
	return true;
}

static inline int rc_devname(uint32_t major, uint32_t minor, char *ret, size_t size)
{
	if (major == 8) {
		snprintf(ret, size, "/dev/sd%c", 'a' + (int)(minor / 16 % 26));
		return 0;
	}
	return -ENOENT;
}

/* The page of s, rendered as the agent renders it with m. */
static inline char *rc_page(const struct snapshot *s, const struct cycle_meta *m)
{
	struct cycle_page p = {
		.filter = { .filtered = m->filtered, .over_limit = m->over_limit },
		.compat = m->compat == COMPAT_CADVISOR ? COMPAT_CADVISOR : COMPAT_NONE,
		.record = m->rec.on ? &m->rec : NULL,
		.devname = rc_devname,
	};
	struct strbuf sb = { 0 };

	if (cycle_render(s, &p, &sb) < 0) {
		sb_free(&sb);
		return NULL;
	}
	return sb_steal(&sb, NULL);
}

/* Cycle k of a tree of RC_CGROUPS cgroups that churns: one goes and comes
 * back with a new id, values grow, files come and go. */
static inline struct snapshot *rc_cycle(unsigned k, struct cycle_meta *m)
{
	struct snapshot *s = snapshot_new();
	size_t slen = 0;

	s->n = RC_CGROUPS;
	s->cgroups = calloc(RC_CGROUPS, sizeof(*s->cgroups));
	s->strings = calloc(RC_CGROUPS, 16);
	s->io.items = calloc(2 * RC_CGROUPS, sizeof(*s->io.items));
	s->root = strdup("/sys/fs/cgroup");
	for (unsigned i = 0; i < RC_CGROUPS; i++) {
		struct cgroup_sample *c = &s->cgroups[i];
		struct cgroup_values *v = &c->v;

		c->id = i == RC_CGROUPS - 1 ? 5000 + k / 5 : 100 + i;
		c->parent_id = i ? 100 : 0;
		c->depth = i ? 1 : 0;
		c->path_off = (uint32_t)slen;
		slen += (size_t)sprintf(s->strings + slen, i ? "/c%u-%u" : "/", i, c->id == 100 + i ? 0 : k / 5) + 1;
		v->present = 1u << F_CGROUP_EVENTS | 1u << F_CPU_STAT | 1u << F_CPU_MAX |
			     1u << F_MEMORY_CURRENT | 1u << F_MEMORY_EVENTS | 1u << F_PIDS_CURRENT |
			     1u << F_CPU_PRESSURE;
		for (int x = 0; x < CGEV_NR; x++)
			v->events[x] = (i + k) % 2;
		for (int x = 0; x < CPU_NR; x++)
			v->cpu[x] = x == CPU_FORCE_IDLE ? CG_UNSET : (uint64_t)(k * 1000 * (i + x));
		v->cpu_quota = i % 2 ? CG_MAX : 50000;
		v->cpu_period = 100000;
		v->mem_current = (uint64_t)(1 << 20) * (i + 1) + k * 4096 * (i % 3);
		for (int x = 0; x < MEMEV_NR; x++)
			v->mem_events[x] = k / 7 * x;
		v->pids_current = i + k % 3;
		v->psi[PSI_CPU].has_some = 1;
		v->psi[PSI_CPU].some.avg10 = (uint32_t)(k * 37 % 10000);
		v->psi[PSI_CPU].some.total_usec = k * 12345 * i;
		if (i % 2 == 0 && k % 11 != 10) {
			uint32_t row;

			if (stat_rows_add(&s->mem_stat, &row) == 0) {
				for (int x = 0; x < MEMSTAT_NR; x++)
					s->mem_stat.rows[row][x] = x % 5 ? (uint64_t)(x * 4096 + k * i) : CG_UNSET;
				v->mem_stat_row = row;
				v->present |= 1u << F_MEMORY_STAT;
			}
		}
		if (i % 3 == 0) {
			v->present |= 1u << F_IO_STAT;
			v->io_first = s->io.len;
			v->io_count = 1 + (k % 4 == 0);
			for (uint32_t d = 0; d < v->io_count; d++) {
				struct io_dev_stat *e = &s->io.items[s->io.len++];

				e->major = d ? 259 : 8;
				e->minor = d * 16;
				e->rbytes = k * 512 * (i + 1);
				e->wbytes = k * 1024;
				e->rios = k;
			}
		}
		c->ev.migrations_in = k * i;
		c->ev.throttles = k / 3;
		c->ev.throttle_hist[k % (THROTTLE_HIST_BUCKETS + 1)] = k;
		c->ev.throttled_ns_sum = k * 1000003;
	}
	s->strings_len = slen;
	s->cycle = k + 1;
	s->taken_ms = 1700000000000 + (int64_t)k * 1000;
	s->read_mono_ns = 5000000000ull + k * 1000000000ull;
	s->taken_mono_ns = s->read_mono_ns + 1000000;
	s->stats.cycles = k + 1;
	s->stats.hist_counts[k % 5] = k;
	s->stats.hist_sum = k * 0.00125;
	s->events.bpf = 1;
	s->events.nhooks = 2;
	snprintf(s->events.hooks[0].feature, sizeof(s->events.hooks[0].feature), "migration");
	snprintf(s->events.hooks[0].hook, sizeof(s->events.hooks[0].hook), "tp_btf");
	snprintf(s->events.hooks[1].feature, sizeof(s->events.hooks[1].feature), "oom");
	snprintf(s->events.hooks[1].hook, sizeof(s->events.hooks[1].hook), "poll");
	s->events.migrations = s->events.oom = 1;
	s->events.by_type[1] = k * 10;
	*m = (struct cycle_meta){
		.filtered = k % 2, .over_limit = k % 3, .compat = k < RC_CYCLES / 2 ? 1 : 0,
		.rec = { .on = true, .bytes = k * 4096, .frames = k, .oldest_ms = 1700000000000 },
		.interval_ms = 1000,
	};
	snprintf(m->version, sizeof(m->version), "fuzz");
	return s;
}

static inline int rc_events(unsigned k, struct strbuf *seg)
{
	struct event_ring_entry e[2] = { 0 };
	struct strbuf raw = { 0 };
	int r;

	for (int i = 0; i < 2; i++) {
		e[i].seq = k * 2 + (uint64_t)i + 1;
		e[i].wall_ns = 1700000000000000000ull + k * 1000000000ull + (uint64_t)i;
		e[i].ev.type = i ? CGSCOPE_EV_OOM_KILL : CGSCOPE_EV_MKDIR;
		e[i].ev.cgroup_id = 100 + k;
		snprintf(e[i].ev.comm, sizeof(e[i].ev.comm), "x%u", k);
		snprintf(e[i].ev.path, sizeof(e[i].ev.path), "/c%u", k);
	}
	r = events_encode(e, 2, &raw);
	if (r == 0)
		r = frame_build(FRAME_EVENTS, 1700000000000 + (int64_t)k * 1000, 0, raw.buf, raw.len,
				1, seg);
	sb_free(&raw);
	return r;
}

/* The corpus: 0 or -ENOMEM. */
static inline int rc_build(struct rc_corpus *co)
{
	struct cycle_state *enc;
	struct strbuf raw = { 0 };
	int r = cycle_state_new(&enc);

	memset(co, 0, sizeof(*co));
	for (unsigned k = 0; r == 0 && k < RC_CYCLES; k++) {
		struct cycle_meta m;
		struct snapshot *s = rc_cycle(k, &m);
		bool key;

		r = cycle_encode(enc, s, &m, k % RC_KEY_EVERY == 0, 10 + k, &raw, &key);
		co->cyc[k].seq = 10 + k;
		co->cyc[k].key = key;
		co->cyc[k].off = co->seg.len;
		if (r == 0)
			r = frame_build(key ? FRAME_KEY : FRAME_DELTA, s->taken_ms, 10 + k, raw.buf,
					raw.len, 1, &co->seg);
		co->cyc[k].end = co->seg.len;
		co->cyc[k].page = rc_page(s, &m);
		if (r == 0 && !co->cyc[k].page)
			r = -ENOMEM;
		if (r == 0 && k % 3 == 2)
			r = rc_events(k, &co->seg);
		co->cyc[k].s = s;
		co->cyc[k].m = m;
	}
	sb_free(&raw);
	cycle_state_free(enc);
	return r;
}

static inline void rc_free(struct rc_corpus *co)
{
	for (int k = 0; k < RC_CYCLES; k++) {
		free(co->cyc[k].page);
		snapshot_unref(co->cyc[k].s);
	}
	sb_free(&co->seg);
}

#endif
