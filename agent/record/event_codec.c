// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>

#include "record/bytes.h"
#include "record/event_codec.h"

#define EVENTS_VERSION 1

static void put_str(struct strbuf *sb, const char *s, size_t size)
{
	sb_bytes(sb, s, strnlen(s, size));
}

static void get_str(struct rbuf *r, char *s, size_t size)
{
	rb_str(r, s, size);
}

int events_encode(const struct event_ring_entry *e, size_t n, struct strbuf *raw)
{
	uint64_t seq = 0, wall = 0;

	raw->len = 0;
	sb_putc(raw, EVENTS_VERSION);
	sb_varint(raw, n);
	for (size_t i = 0; i < n; i++) {
		const struct cgscope_event *ev = &e[i].ev;

		sb_varint(raw, zigzag(e[i].seq - seq));
		sb_varint(raw, zigzag(e[i].wall_ns - wall));
		seq = e[i].seq;
		wall = e[i].wall_ns;
		sb_varint(raw, ev->type);
		sb_varint(raw, ev->source);
		sb_varint(raw, ev->ts_ns);
		sb_varint(raw, ev->cgroup_id);
		sb_varint(raw, ev->src_cgroup_id);
		sb_varint(raw, ev->level);
		sb_varint(raw, ev->flags);
		sb_varint(raw, ev->pid);
		sb_varint(raw, ev->tgid);
		sb_varint(raw, ev->cpu);
		sb_varint(raw, zigzag((uint64_t)(int64_t)ev->value));
		put_str(raw, ev->comm, sizeof(ev->comm));
		sb_varint(raw, ev->oom_scope);
		sb_varint(raw, zigzag((uint64_t)(int64_t)ev->oom_score_adj));
		sb_varint(raw, ev->oom_domain_id);
		sb_varint(raw, ev->uid);
		sb_varint(raw, ev->killer_pid);
		put_str(raw, ev->killer_comm, sizeof(ev->killer_comm));
		sb_varint(raw, ev->total_vm_bytes);
		sb_varint(raw, ev->anon_rss_bytes);
		sb_varint(raw, ev->file_rss_bytes);
		sb_varint(raw, ev->shmem_rss_bytes);
		sb_varint(raw, ev->pgtables_bytes);
		sb_varint(raw, zigzag((uint64_t)ev->oom_points));
		sb_varint(raw, ev->oom_limit_bytes);
		sb_varint(raw, ev->throttled_ns);
		sb_varint(raw, ev->count);
		put_str(raw, ev->path, sizeof(ev->path));
	}
	return sb_error(raw) < 0 ? -ENOMEM : 0;
}

int events_decode(const uint8_t *raw, size_t len,
		  int (*fn)(void *ctx, const struct event_ring_entry *e), void *ctx)
{
	struct rbuf r = rbuf_of(raw, len);
	uint64_t n, seq = 0, wall = 0;

	if (rb_u8(&r) != EVENTS_VERSION)
		return -EBADMSG;
	n = rb_varint(&r);
	/* An event takes thirty bytes or more. */
	if (r.bad || n > rb_left(&r) / 30)
		return -EBADMSG;
	for (uint64_t i = 0; i < n; i++) {
		struct event_ring_entry e = { 0 };
		struct cgscope_event *ev = &e.ev;
		int x;

		seq += unzigzag(rb_varint(&r));
		wall += unzigzag(rb_varint(&r));
		e.seq = seq;
		e.wall_ns = wall;
		ev->type = (uint32_t)rb_varint(&r);
		ev->source = (uint32_t)rb_varint(&r);
		ev->ts_ns = rb_varint(&r);
		ev->cgroup_id = rb_varint(&r);
		ev->src_cgroup_id = rb_varint(&r);
		ev->level = (uint32_t)rb_varint(&r);
		ev->flags = (uint32_t)rb_varint(&r);
		ev->pid = (uint32_t)rb_varint(&r);
		ev->tgid = (uint32_t)rb_varint(&r);
		ev->cpu = (uint32_t)rb_varint(&r);
		ev->value = (int32_t)(int64_t)unzigzag(rb_varint(&r));
		get_str(&r, ev->comm, sizeof(ev->comm));
		ev->oom_scope = (uint32_t)rb_varint(&r);
		ev->oom_score_adj = (int32_t)(int64_t)unzigzag(rb_varint(&r));
		ev->oom_domain_id = rb_varint(&r);
		ev->uid = (uint32_t)rb_varint(&r);
		ev->killer_pid = (uint32_t)rb_varint(&r);
		get_str(&r, ev->killer_comm, sizeof(ev->killer_comm));
		ev->total_vm_bytes = rb_varint(&r);
		ev->anon_rss_bytes = rb_varint(&r);
		ev->file_rss_bytes = rb_varint(&r);
		ev->shmem_rss_bytes = rb_varint(&r);
		ev->pgtables_bytes = rb_varint(&r);
		ev->oom_points = (int64_t)unzigzag(rb_varint(&r));
		ev->oom_limit_bytes = rb_varint(&r);
		ev->throttled_ns = rb_varint(&r);
		ev->count = rb_varint(&r);
		get_str(&r, ev->path, sizeof(ev->path));
		if (r.bad)
			return -EBADMSG;
		x = fn(ctx, &e);
		if (x)
			return x;
	}
	return r.p == r.end ? 0 : -EBADMSG;
}
