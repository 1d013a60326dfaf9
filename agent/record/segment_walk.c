// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>

#include "record/event_codec.h"
#include "record/segment_walk.h"

static int count(void *ctx, const struct event_ring_entry *e)
{
	(void)e;
	(*(int *)ctx)++;
	return 0;
}

int segment_walk(const uint8_t *buf, size_t len, struct cycle_state *dec, struct strbuf *scratch,
		 segment_walk_fn fn, void *ctx, uint64_t *ret_skipped)
{
	size_t pos = 0, off;
	struct frame_header h;
	int r = 0;

	cycle_state_reset(dec);
	while (r == 0 && frame_next(buf, len, &pos, &h, &off, ret_skipped) == 1) {
		const uint8_t *payload = buf + off + FRAME_HEADER_SIZE;
		int ok = 0;

		if (frame_is_cycle(h.type)) {
			int e = frame_payload(&h, payload, scratch);

			if (e == 0)
				e = cycle_decode(dec, (const uint8_t *)scratch->buf, scratch->len,
						 h.type == FRAME_KEY, h.seq);
			if (e == -ENOMEM)
				return e;
			if (e < 0)
				cycle_state_reset(dec);
			ok = e == 0;
		} else if (h.type == FRAME_EVENTS) {
			int n = 0;

			ok = frame_payload(&h, payload, scratch) == 0 &&
			     events_decode((const uint8_t *)scratch->buf, scratch->len, count, &n) == 0 ?
			     n : -1;
		} else {
			ok = 1;
		}
		r = fn(ctx, &h, off, ok, dec);
	}
	return r;
}
