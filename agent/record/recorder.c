// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "record/event_codec.h"
#include "record/frame.h"
#include "record/recorder.h"

/* Level 1: on the payloads of cycles (mostly zeros and small varints) it
 * comes within a few percent of level 6 for a third of the time
 * (make bench prints both). */
#define DEFAULT_LEVEL 1
#define EVENTS_BATCH 1024
/* The payload and frame buffers are kept between cycles up to this size:
 * a delta frame fits, and a keyframe (megabytes at 10,000 cgroups, once an
 * hour or so) gives its buffers back instead of staying resident. */
#define KEEP_BUFFER (1u << 20)

struct recorder {
	struct store *store;
	struct cycle_state *enc;
	int level;
	uint64_t seq;			/* of the next cycle frame */
	uint64_t events_since;		/* the ring's seq recorded up to */
	/* since the last keyframe */
	uint64_t frames_since_key, bytes_since_key, key_bytes;
	int64_t key_ms;
	uint64_t last_bytes;
	bool last_key;
	struct record_status st;
	struct strbuf raw, frame;
	struct event_ring_entry *ev;
};

int recorder_open(const struct recorder_opts *o, struct recorder **ret,
		  struct store_open_info *info)
{
	struct store_opts so = { .max_bytes = o->max_bytes, .retention_ms = o->retention_ms,
				 .hostname = o->hostname, .kernel = o->kernel, .version = o->version };
	struct recorder *r = calloc(1, sizeof(*r));
	int e;

	if (!r)
		return -ENOMEM;
	r->level = o->level ? o->level : DEFAULT_LEVEL;
	r->ev = malloc(EVENTS_BATCH * sizeof(*r->ev));
	if (!r->ev || (e = cycle_state_new(&r->enc)) < 0) {
		recorder_close(r);
		return -ENOMEM;
	}
	e = store_open(o->dir, &so, &r->store, info);
	if (e < 0) {
		recorder_close(r);
		return e;
	}
	r->seq = store_last_seq(r->store) + 1;
	r->st.on = true;
	r->st.errors[REC_ERR_TORN] = info->torn_bytes;
	store_usage(r->store, &r->st.bytes, &r->st.oldest_ms);
	*ret = r;
	return 0;
}

void recorder_close(struct recorder *r)
{
	if (!r)
		return;
	store_close(r->store);
	cycle_state_free(r->enc);
	sb_free(&r->raw);
	sb_free(&r->frame);
	free(r->ev);
	free(r);
}

void recorder_status(const struct recorder *r, struct record_status *ret)
{
	*ret = r->st;
}

void recorder_last_frame(const struct recorder *r, uint64_t *ret_bytes, bool *ret_key)
{
	*ret_bytes = r->last_bytes;
	*ret_key = r->last_key;
}

static int count_error(struct recorder *r, int e)
{
	r->st.errors[e == -ENOSPC || e == -EDQUOT || e == -EFBIG ? REC_ERR_NO_SPACE : REC_ERR_IO]++;
	return e;
}

static int append(struct recorder *r)
{
	int e = store_append(r->store, (const uint8_t *)r->frame.buf, r->frame.len);

	if (e == 0)
		r->st.frames++;
	store_usage(r->store, &r->st.bytes, &r->st.oldest_ms);
	return e;
}

/* The events of ring since the last call, in frames of a batch each. */
static int record_events(struct recorder *r, struct event_ring *ring, int64_t time_ms)
{
	uint64_t first, last;

	event_ring_bounds(ring, &first, &last);
	if (first && r->events_since + 1 < first) {
		/* The ring went round since: those are gone. */
		r->st.errors[REC_ERR_EVENTS_LOST] += first - 1 - r->events_since;
		r->events_since = first - 1;
	}
	while (r->events_since < last) {
		uint64_t next = r->events_since;
		size_t n = event_ring_read(ring, r->events_since, 0, EVENTS_BATCH, r->ev, &next);
		int e;

		if (!n)
			break;
		if ((e = events_encode(r->ev, n, &r->raw)) < 0)
			return count_error(r, e);
		r->frame.len = 0;
		if ((e = frame_build(FRAME_EVENTS, time_ms, 0, r->raw.buf, r->raw.len, r->level,
				     &r->frame)) < 0)
			return count_error(r, e);
		if ((e = append(r)) < 0)
			return count_error(r, e);	/* kept in the ring: next time */
		r->events_since = next;
	}
	return 0;
}

static bool want_key(const struct recorder *r, int64_t time_ms)
{
	return r->frames_since_key >= KEY_MAX_FRAMES || time_ms - r->key_ms >= KEY_MAX_MS ||
	       time_ms < r->key_ms ||
	       (r->frames_since_key >= KEY_MIN_FRAMES && r->bytes_since_key >= r->key_bytes);
}

static int encode(struct recorder *r, const struct snapshot *s, const struct cycle_meta *m,
		  bool key, bool *ret_key)
{
	int e = cycle_encode(r->enc, s, m, key, r->seq, &r->raw, ret_key);

	if (e < 0)
		return e;
	r->frame.len = 0;
	return frame_build(*ret_key ? FRAME_KEY : FRAME_DELTA, s->taken_ms, r->seq, r->raw.buf,
			   r->raw.len, r->level, &r->frame);
}

int recorder_record(struct recorder *r, const struct snapshot *s, const struct cycle_meta *m,
		    struct event_ring *ring)
{
	bool key;
	int e;

	if (ring && (e = record_events(r, ring, s->taken_ms)) < 0)
		return e;
	e = encode(r, s, m, want_key(r, s->taken_ms), &key);
	if (e == 0) {
		e = append(r);
		/* A new segment begins with a keyframe. */
		if (e == -ESTALE && !key && (e = encode(r, s, m, true, &key)) == 0)
			e = append(r);
	}
	r->seq++;
	if (r->raw.cap > KEEP_BUFFER)
		sb_free(&r->raw);
	if (e == 0)
		r->last_bytes = r->frame.len;
	if (r->frame.cap > KEEP_BUFFER)
		sb_free(&r->frame);
	if (e < 0) {
		/* What the encoder holds was not stored: start afresh. */
		cycle_state_reset(r->enc);
		return count_error(r, e);
	}
	r->last_key = key;
	if (key) {
		r->frames_since_key = 0;
		r->bytes_since_key = 0;
		r->key_bytes = r->last_bytes;
		r->key_ms = s->taken_ms;
	} else {
		r->frames_since_key++;
		r->bytes_since_key += r->last_bytes;
	}
	return 0;
}
