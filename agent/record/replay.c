// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collect/rates.h"
#include "record/event_codec.h"
#include "record/idmap.h"
#include "record/replay.h"

struct replay {
	struct store_reader *r;
	struct cycle_state *dec;
	bool have_cur;
	size_t cur_k, cur_j;		/* the current cycle's segment and entry */
	struct snapshot *cur_s;		/* its snapshot, for the rates of the next */
	bool no_rates;			/* replay_without_rates */
	uint8_t *buf;
	size_t cap;
	struct strbuf payload;
};

void replay_cycle_free(struct replay_cycle *c)
{
	snapshot_unref(c->s);
	snapshot_unref(c->prev);
	cycle_meta_free(&c->meta);
	memset(c, 0, sizeof(*c));
}

int replay_open(const char *dir, struct replay **ret)
{
	struct replay *rp = calloc(1, sizeof(*rp));
	int e;

	if (!rp)
		return -ENOMEM;
	e = store_reader_open(dir, &rp->r);
	if (e == 0)
		e = cycle_state_new(&rp->dec);
	if (e < 0) {
		replay_close(rp);
		return e;
	}
	*ret = rp;
	return 0;
}

void replay_without_rates(struct replay *rp)
{
	rp->no_rates = true;
}

void replay_close(struct replay *rp)
{
	if (!rp)
		return;
	store_reader_close(rp->r);
	cycle_state_free(rp->dec);
	snapshot_unref(rp->cur_s);
	free(rp->buf);
	sb_free(&rp->payload);
	free(rp);
}

const char *replay_hostname(const struct replay *rp)
{
	return rp->r->seg[rp->r->nseg - 1].hostname;
}

const char *replay_kernel(const struct replay *rp)
{
	return rp->r->seg[rp->r->nseg - 1].kernel;
}

static struct store_segment *seg(struct replay *rp, size_t k)
{
	return &rp->r->seg[k];
}

static int load(struct replay *rp, size_t k)
{
	return store_reader_entries(rp->r, k);
}

/* The frame of entry j of segment k, checked, at buf[at - base]. */
static int frame_at(struct replay *rp, size_t k, size_t j, uint64_t base, struct frame_header *h,
		    const uint8_t **ret_payload)
{
	const struct store_entry *e = &seg(rp, k)->entries[j];
	const uint8_t *p = rp->buf + (e->off - base);

	if (frame_check(p, e->len, h) < 0 || FRAME_HEADER_SIZE + h->len != e->len)
		return -EBADMSG;
	*ret_payload = p + FRAME_HEADER_SIZE;
	return 0;
}

/* Applies the cycle frame of entry j (its bytes read from base) to the
 * decoder; on failure the decoder holds nothing. */
static int apply(struct replay *rp, size_t k, size_t j, uint64_t base)
{
	struct frame_header h;
	const uint8_t *p;
	int e = frame_at(rp, k, j, base, &h, &p);

	if (e == 0)
		e = frame_payload(&h, p, &rp->payload);
	if (e == 0)
		e = cycle_decode(rp->dec, (const uint8_t *)rp->payload.buf, rp->payload.len,
				 h.type == FRAME_KEY, h.seq);
	if (e < 0)
		cycle_state_reset(rp->dec);
	return e;
}

/* Whether prev is the cycle before cur in the same run of an agent. */
static bool follows(const struct snapshot *prev, const struct snapshot *cur)
{
	return prev && prev->cycle + 1 == cur->cycle && prev->read_mono_ns < cur->read_mono_ns;
}

/* Rates of cur from prev, its cycle before, as the collector makes them. */
static int apply_rates(const struct snapshot *prev, struct snapshot *cur)
{
	struct idmap m = { 0 };
	uint64_t *ids;

	if (!follows(prev, cur))
		return 0;
	ids = malloc((prev->n ? prev->n : 1) * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < prev->n; i++)
		ids[i] = prev->cgroups[i].id;
	if (idmap_build(&m, ids, prev->n) < 0) {
		free(ids);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cur->n; i++) {
		uint32_t pi = idmap_find(&m, cur->cgroups[i].id);

		if (pi != UINT32_MAX)
			sample_rates(prev, cur, &cur->cgroups[i], &prev->cgroups[pi]);
	}
	idmap_free(&m);
	free(ids);
	return 0;
}

/* The decoder's cycle as ret, with rates from prev. */
static int make_cycle(struct replay *rp, const struct store_entry *e, struct snapshot *prev,
		      struct replay_cycle *ret)
{
	struct replay_cycle c = { .seq = e->seq, .time_ms = e->time_ms };
	int r = cycle_state_snapshot(rp->dec, &c.s, &c.meta, &c.layout_differs);

	if (r == 0 && !rp->no_rates && (r = apply_rates(prev, c.s)) < 0)
		replay_cycle_free(&c);
	if (r == 0) {
		if (follows(prev, c.s))
			c.prev = snapshot_ref(prev);
		*ret = c;
	}
	return r;
}

static int last_key_before(struct replay *rp, size_t k, size_t j, size_t *ret)
{
	const struct store_segment *sg = seg(rp, k);

	for (size_t m = j + 1; m-- > 0;) {
		if (sg->entries[m].type == FRAME_KEY) {
			*ret = m;
			return 0;
		}
	}
	return -ENOENT;
}

/* Decodes cycle entry j of segment k from its keyframe; *ret_prev (may be
 * NULL) gets the snapshot of the cycle just before it when that is in the
 * same group. -EBADMSG when it cannot be decoded. */
static int decode_to(struct replay *rp, size_t k, size_t j, struct snapshot **ret_prev)
{
	const struct store_segment *sg = seg(rp, k);
	const struct store_entry *target = &sg->entries[j];
	size_t kk;
	uint64_t base;
	int e;

	if (ret_prev)
		*ret_prev = NULL;
	if (last_key_before(rp, k, j, &kk) < 0)
		return -EBADMSG;
	base = sg->entries[kk].off;
	e = store_reader_read(rp->r, k, base, (size_t)(target->off + target->len - base), &rp->buf,
			      &rp->cap);
	if (e < 0)
		return e == -ENODATA ? -EBADMSG : e;
	cycle_state_reset(rp->dec);
	for (size_t m = kk; m <= j; m++) {
		const struct store_entry *en = &sg->entries[m];

		if (!frame_is_cycle(en->type))
			continue;
		if (m == j && ret_prev && cycle_state_valid(rp->dec) &&
		    cycle_state_seq(rp->dec) + 1 == en->seq) {
			struct cycle_meta meta;

			if (cycle_state_snapshot(rp->dec, ret_prev, &meta, NULL) == 0)
				cycle_meta_free(&meta);
		}
		e = apply(rp, k, m, base);
		if (e == -ENOMEM)
			return e;
	}
	if (!cycle_state_valid(rp->dec) || cycle_state_seq(rp->dec) != target->seq) {
		if (ret_prev) {
			snapshot_unref(*ret_prev);
			*ret_prev = NULL;
		}
		return -EBADMSG;
	}
	return 0;
}

/* The cycle entry before (k, j): -ENOENT at the start. */
static int prev_cycle(struct replay *rp, size_t *k, size_t *j)
{
	size_t kk = *k, jj = *j;

	for (;;) {
		while (jj-- > 0)
			if (frame_is_cycle(seg(rp, kk)->entries[jj].type)) {
				*k = kk;
				*j = jj;
				return 0;
			}
		if (kk == 0)
			return -ENOENT;
		kk--;
		if (load(rp, kk) < 0)
			return -EIO;
		jj = seg(rp, kk)->n;
	}
}

/* The cycle entry after (k, j): -ENOENT at the end. */
static int next_cycle(struct replay *rp, size_t *k, size_t *j)
{
	size_t kk = *k, jj = *j + 1;

	for (;;) {
		for (; jj < seg(rp, kk)->n; jj++)
			if (frame_is_cycle(seg(rp, kk)->entries[jj].type)) {
				*k = kk;
				*j = jj;
				return 0;
			}
		if (kk + 1 >= rp->r->nseg)
			return -ENOENT;
		kk++;
		if (load(rp, kk) < 0)
			return -EIO;
		jj = 0;
	}
}

/* Decodes cycle (k, j) with its rates, making it the current one. */
static int take(struct replay *rp, size_t k, size_t j, struct replay_cycle *ret)
{
	struct snapshot *prev = NULL;
	int e = decode_to(rp, k, j, &prev);

	if (e < 0)
		return e;
	if (!prev) {
		/* The cycle before is in the group before: decode it for the
		 * rates, then this one again. */
		size_t pk = k, pj = j;
		struct replay_cycle pc;

		if (prev_cycle(rp, &pk, &pj) == 0 && decode_to(rp, pk, pj, NULL) == 0 &&
		    make_cycle(rp, &seg(rp, pk)->entries[pj], NULL, &pc) == 0) {
			prev = snapshot_ref(pc.s);
			replay_cycle_free(&pc);
		}
		e = decode_to(rp, k, j, NULL);
		if (e < 0) {
			snapshot_unref(prev);
			return e;
		}
	}
	e = make_cycle(rp, &seg(rp, k)->entries[j], prev, ret);
	snapshot_unref(prev);
	if (e < 0)
		return e;
	snapshot_unref(rp->cur_s);
	rp->cur_s = snapshot_ref(ret->s);
	rp->have_cur = true;
	rp->cur_k = k;
	rp->cur_j = j;
	return 0;
}

int replay_at(struct replay *rp, int64_t t, struct replay_cycle *ret)
{
	for (size_t k = rp->r->nseg; k-- > 0;) {
		struct store_segment *sg = seg(rp, k);
		size_t lo = 0, hi;
		int e;

		if (sg->created_ms > t)
			continue;
		if ((e = load(rp, k)) < 0)
			return e;
		/* The first entry later than t. */
		hi = sg->n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (sg->entries[mid].time_ms <= t)
				lo = mid + 1;
			else
				hi = mid;
		}
		/* Back to a cycle that decodes, into older segments if need be. */
		size_t kk = k, jj = lo;

		while (prev_cycle(rp, &kk, &jj) == 0) {
			e = take(rp, kk, jj, ret);
			if (e != -EBADMSG)
				return e;
		}
		return -ENOENT;
	}
	return -ENOENT;
}

int replay_next(struct replay *rp, struct replay_cycle *ret)
{
	size_t k, j;
	int e;

	if (!rp->have_cur)
		return -ENOENT;
	for (int again = 0; again < 2; again++) {
		k = rp->cur_k;
		j = rp->cur_j;
		while ((e = next_cycle(rp, &k, &j)) == 0) {
			const struct store_entry *en = &seg(rp, k)->entries[j];

			/* The next delta applies to what the decoder holds. */
			if (en->type == FRAME_DELTA && cycle_state_valid(rp->dec) &&
			    cycle_state_seq(rp->dec) + 1 == en->seq) {
				e = store_reader_read(rp->r, k, en->off, en->len, &rp->buf, &rp->cap);
				if (e == 0)
					e = apply(rp, k, j, en->off);
				if (e == 0) {
					struct snapshot *prev = rp->cur_s;

					e = make_cycle(rp, en, prev, ret);
					if (e < 0)
						return e;
					snapshot_unref(rp->cur_s);
					rp->cur_s = snapshot_ref(ret->s);
					rp->cur_k = k;
					rp->cur_j = j;
					return 0;
				}
			} else {
				e = take(rp, k, j, ret);
				if (e != -EBADMSG)
					return e;
			}
			/* Damaged: on to the next. */
		}
		if (e != -ENOENT || again)
			return e;
		/* The end: a writer may have added frames since. */
		struct store_segment *last = seg(rp, rp->r->nseg - 1);

		free(last->entries);
		last->entries = NULL;
		last->n = 0;
		last->loaded = false;
		if (load(rp, rp->r->nseg - 1) < 0)
			return -ENOENT;
		if (rp->cur_k == rp->r->nseg - 1 && rp->cur_j >= last->n)
			return -ENOENT;
	}
	return -ENOENT;
}

int replay_prev(struct replay *rp, struct replay_cycle *ret)
{
	size_t k, j;

	if (!rp->have_cur)
		return -ENOENT;
	k = rp->cur_k;
	j = rp->cur_j;
	while (prev_cycle(rp, &k, &j) == 0) {
		int e = take(rp, k, j, ret);

		if (e != -EBADMSG)
			return e;
	}
	return -ENOENT;
}

int replay_span(struct replay *rp, int64_t *ret_first, int64_t *ret_last)
{
	size_t k, j;
	bool first = false;

	for (k = 0; k < rp->r->nseg && !first; k++) {
		if (load(rp, k) < 0)
			return -EIO;
		for (j = 0; j < seg(rp, k)->n; j++)
			if (frame_is_cycle(seg(rp, k)->entries[j].type)) {
				*ret_first = seg(rp, k)->entries[j].time_ms;
				first = true;
				break;
			}
	}
	if (!first)
		return -ENOENT;
	for (k = rp->r->nseg; k-- > 0;) {
		if (load(rp, k) < 0)
			return -EIO;
		for (j = seg(rp, k)->n; j-- > 0;)
			if (frame_is_cycle(seg(rp, k)->entries[j].type)) {
				*ret_last = seg(rp, k)->entries[j].time_ms;
				return 0;
			}
	}
	return -ENOENT;
}

/* Reads the frames of entries [j0, j1] of segment k at once. */
static int read_entries(struct replay *rp, size_t k, size_t j0, size_t j1, uint64_t *ret_base)
{
	const struct store_entry *a = &seg(rp, k)->entries[j0], *b = &seg(rp, k)->entries[j1];
	int e = store_reader_read(rp->r, k, a->off, (size_t)(b->off + b->len - a->off), &rp->buf,
				  &rp->cap);

	*ret_base = a->off;
	return e == -ENODATA ? -EBADMSG : e;
}

/* At most this much of a segment is read at once by the walks. */
#define WALK_CHUNK (16u << 20)

/* The last entry j1 >= j0 whose frames from j0 fit a chunk (one at least). */
static size_t chunk_end(struct replay *rp, size_t k, size_t j0, size_t jmax)
{
	const struct store_entry *en = seg(rp, k)->entries;
	size_t j1 = j0;

	while (j1 + 1 <= jmax && en[j1 + 1].off + en[j1 + 1].len - en[j0].off <= WALK_CHUNK)
		j1++;
	return j1;
}

int replay_each_cycle(struct replay *rp, int64_t from, int64_t to,
		      int (*fn)(void *ctx, const struct replay_cycle *c), void *ctx)
{
	struct snapshot *prev = NULL;
	int e = 0;

	for (size_t k = 0; k < rp->r->nseg && e == 0; k++) {
		struct store_segment *sg;
		size_t start = 0, end;

		if (k + 1 < rp->r->nseg && seg(rp, k + 1)->created_ms <= from)
			continue;	/* all of it before from */
		if (seg(rp, k)->created_ms > to)
			break;
		if ((e = load(rp, k)) < 0)
			break;
		sg = seg(rp, k);
		if (!sg->n)
			continue;
		/* From the last keyframe at or before from. */
		for (size_t j = 0; j < sg->n && sg->entries[j].time_ms <= from; j++)
			if (sg->entries[j].type == FRAME_KEY)
				start = j;
		for (end = sg->n; end > start && sg->entries[end - 1].time_ms > to; end--)
			;
		/* The last cycle before from: the first one's rates need it. */
		size_t lb = SIZE_MAX;

		for (size_t j = start; j < end && sg->entries[j].time_ms < from; j++)
			if (frame_is_cycle(sg->entries[j].type))
				lb = j;
		cycle_state_reset(rp->dec);
		for (size_t j0 = start; j0 < end && e == 0;) {
			size_t j1 = chunk_end(rp, k, j0, end - 1);
			uint64_t base;

			if ((e = read_entries(rp, k, j0, j1, &base)) < 0) {
				if (e == -EBADMSG)
					e = 0;	/* cut while read: what there was */
				break;
			}
			for (size_t j = j0; j <= j1 && e == 0; j++) {
				const struct store_entry *en = &sg->entries[j];
				struct replay_cycle c;

				if (!frame_is_cycle(en->type))
					continue;
				if ((e = apply(rp, k, j, base)) < 0) {
					e = e == -ENOMEM ? e : 0;	/* damaged or not following: skipped */
					snapshot_unref(prev);
					prev = NULL;
					continue;
				}
				if (en->time_ms < from && j != lb)
					continue;
				if ((e = make_cycle(rp, en, prev, &c)) < 0)
					break;
				snapshot_unref(prev);
				prev = snapshot_ref(c.s);
				if (en->time_ms >= from)
					e = fn(ctx, &c);
				replay_cycle_free(&c);
			}
			j0 = j1 + 1;
		}
	}
	snapshot_unref(prev);
	rp->have_cur = false;
	return e;
}

struct event_filter {
	int64_t from, to;
	int (*fn)(void *ctx, const struct event_ring_entry *e);
	void *ctx;
	bool past;			/* an event after to was seen */
};

static int filter_event(void *ctx, const struct event_ring_entry *e)
{
	struct event_filter *f = ctx;
	int64_t ms = (int64_t)(e->wall_ns / 1000000);

	if (ms > f->to) {
		f->past = true;
		return 0;
	}
	return ms >= f->from ? f->fn(f->ctx, e) : 0;
}

int replay_each_event(struct replay *rp, int64_t from, int64_t to,
		      int (*fn)(void *ctx, const struct event_ring_entry *e), void *ctx)
{
	struct event_filter f = { .from = from, .to = to, .fn = fn, .ctx = ctx };
	int e = 0;

	for (size_t k = 0; k < rp->r->nseg && e == 0 && !f.past; k++) {
		struct store_segment *sg;

		if (k + 1 < rp->r->nseg && seg(rp, k + 1)->created_ms <= from)
			continue;
		if ((e = load(rp, k)) < 0)
			break;
		sg = seg(rp, k);
		for (size_t j0 = 0; j0 < sg->n && e == 0 && !f.past;) {
			size_t j1;
			uint64_t base;

			/* Events are recorded in the cycle after they happen:
			 * frames before from hold none of the range. */
			if (sg->entries[j0].time_ms < from) {
				j0++;
				continue;
			}
			j1 = chunk_end(rp, k, j0, sg->n - 1);
			if ((e = read_entries(rp, k, j0, j1, &base)) < 0) {
				e = e == -EBADMSG ? 0 : e;
				break;
			}
			for (size_t j = j0; j <= j1 && e == 0 && !f.past; j++) {
				struct frame_header h;
				const uint8_t *p;

				if (sg->entries[j].type != FRAME_EVENTS ||
				    frame_at(rp, k, j, base, &h, &p) < 0 ||
				    frame_payload(&h, p, &rp->payload) < 0)
					continue;
				e = events_decode((const uint8_t *)rp->payload.buf, rp->payload.len,
						  filter_event, &f);
				if (e == -EBADMSG)
					e = 0;
			}
			j0 = j1 + 1;
		}
	}
	return e;
}

struct count_ctx {
	size_t n;
};

static int count_event(void *ctx, const struct event_ring_entry *e)
{
	(void)e;
	((struct count_ctx *)ctx)->n++;
	return 0;
}

int replay_each_frame(struct replay *rp, int (*fn)(void *ctx, const struct replay_frame_info *f),
		      void *ctx, uint64_t *ret_damaged)
{
	uint64_t damaged = 0;
	int e = 0;

	for (size_t k = 0; k < rp->r->nseg && e == 0; k++) {
		struct store_segment *sg;

		if ((e = load(rp, k)) < 0)
			break;
		sg = seg(rp, k);
		damaged += sg->damaged;
		cycle_state_reset(rp->dec);
		for (size_t j0 = 0; j0 < sg->n && e == 0;) {
			size_t j1 = chunk_end(rp, k, j0, sg->n - 1);
			uint64_t base;

			if ((e = read_entries(rp, k, j0, j1, &base)) < 0) {
				e = e == -EBADMSG ? 0 : e;
				break;
			}
			for (size_t j = j0; j <= j1 && e == 0; j++) {
				struct replay_frame_info fi = { .segment = k, .slot = sg->slot,
								.e = sg->entries[j] };
				struct frame_header h;
				const uint8_t *p;

				if (frame_is_cycle(fi.e.type)) {
					fi.ok = apply(rp, k, j, base) == 0;
					if (fi.ok) {
						struct snapshot *s;
						struct cycle_meta m;

						if (cycle_state_snapshot(rp->dec, &s, &m, NULL) == 0) {
							fi.cycle = s->cycle;
							fi.cgroups = s->n;
							snapshot_unref(s);
							cycle_meta_free(&m);
						}
					}
				} else if (fi.e.type == FRAME_EVENTS) {
					struct count_ctx c = { 0 };

					fi.ok = frame_at(rp, k, j, base, &h, &p) == 0 &&
						frame_payload(&h, p, &rp->payload) == 0 &&
						events_decode((const uint8_t *)rp->payload.buf,
							      rp->payload.len, count_event, &c) == 0;
					fi.events = c.n;
				} else {
					fi.ok = frame_at(rp, k, j, base, &h, &p) == 0;
				}
				e = fn(ctx, &fi);
			}
			j0 = j1 + 1;
		}
	}
	if (ret_damaged)
		*ret_damaged = damaged;
	rp->have_cur = false;
	return e;
}
