// SPDX-License-Identifier: GPL-2.0-only
/* The recorder's reader on damaged segments. The first byte chooses:
 *
 *   even: the rest is a segment's bytes, read as the store reads one: every
 *         cycle that decodes is turned into a snapshot and rendered (page and
 *         JSON), every event formatted. No crash, no hang, whatever the bytes.
 *   odd:  the rest says how to damage a good recording (record_corpus.h):
 *         5 bytes an operation, a kind and a place: a bit flipped (three at
 *         most: CRC-32 catches any three in a frame), a run of zeros, a 4 KiB
 *         page of zeros, the end cut. Then the store's promise is checked:
 *         every cycle whose own frame and whose keyframe group before it are
 *         whole still decodes, to the very cycle it was recorded as (every
 *         value its page is made of), and no cycle decodes to another. */
#include "fuzz.h"
#include "events/event_format.h"
#include "json/json_snapshot.h"
#include "record/segment_walk.h"
#include "record_corpus.h"

static struct rc_corpus corpus;
static bool corpus_ready;

struct check {
	bool ok[RC_CYCLES];
	bool raw;			/* even mode: no page to compare with */
	bool pages;			/* compare the rendered pages */
	int rendered;
};

static int print_event(void *ctx, const struct event_ring_entry *e)
{
	char line[1024], *json = NULL;

	(void)ctx;
	CHECK(event_format_text(&e->ev, e->wall_ns, line, sizeof(line)) >= 0);
	CHECK(strlen(line) < sizeof(line));
	if (event_format_json(&e->ev, e->seq, e->wall_ns, &json) == 0)
		cJSON_free(json);
	return 0;
}

static int on_frame(void *ctx, const struct frame_header *h, size_t off, int ok,
		    const struct cycle_state *dec)
{
	struct check *c = ctx;
	struct snapshot *s;
	struct cycle_meta m;
	char *page;

	if (!frame_is_cycle(h->type) || !ok)
		return 0;
	CHECK(cycle_state_snapshot(dec, &s, &m, NULL) == 0);
	if (c->raw && c->rendered++ < 4) {
		/* What a file says, rendered: the renderers take it as it is. */
		struct strbuf sb = { 0 };

		page = rc_page(s, &m);
		CHECK(page);
		CHECK(!*page || page[strlen(page) - 1] == '\n');
		free(page);
		json_snapshot(s, NULL, &sb);
		sb_free(&sb);
	} else if (!c->raw) {
		uint64_t k = h->seq - 10;

		/* Whatever decodes is what was recorded, where it was. */
		CHECK(k < RC_CYCLES);
		CHECK(corpus.cyc[k].off == off);
		CHECK(rc_same(s, &m, corpus.cyc[k].s, &corpus.cyc[k].m));
		if (c->pages) {
			page = rc_page(s, &m);
			CHECK(page && !strcmp(page, corpus.cyc[k].page));
			free(page);
		}
		c->ok[k] = true;
	}
	cycle_meta_free(&m);
	snapshot_unref(s);
	return 0;
}

static void walk(const uint8_t *buf, size_t len, struct check *c)
{
	struct cycle_state *dec;
	struct strbuf scratch = { 0 };
	size_t pos = 0, off;
	struct frame_header h;

	CHECK(cycle_state_new(&dec) == 0);
	CHECK(segment_walk(buf, len, dec, &scratch, on_frame, c, NULL) == 0);
	/* And every events frame, each event formatted. */
	while (c->raw && frame_next(buf, len, &pos, &h, &off, NULL) == 1)
		if (h.type == FRAME_EVENTS && frame_payload(&h, buf + off + FRAME_HEADER_SIZE, &scratch) == 0)
			events_decode((const uint8_t *)scratch.buf, scratch.len, print_event, NULL);
	sb_free(&scratch);
	cycle_state_free(dec);
}

static void damaged(const uint8_t *ops, size_t nops)
{
	size_t n = corpus.seg.len, len = n;
	uint8_t *buf = malloc(n);
	bool *hit = calloc(n, 1), group_ok = false;
	int flips = 0;
	struct check c = { 0 };

	CHECK(buf && hit);
	memcpy(buf, corpus.seg.buf, n);
	for (size_t i = 0; i + 5 <= nops; i += 5) {
		unsigned kind = ops[i];
		size_t at = ((size_t)ops[i + 1] | (size_t)ops[i + 2] << 8 | (size_t)ops[i + 3] << 16 |
			     (size_t)ops[i + 4] << 24) % n;

		switch (kind % 4) {
		case 0:
			if (flips++ < 3)
				buf[at] ^= (uint8_t)(1u << (kind >> 2 & 7));
			break;
		case 1:
			for (size_t b = at; b < n && b < at + 1 + (kind >> 2) * 8; b++)
				buf[b] = 0;
			break;
		case 2:
			if (at < len)
				len = at;
			break;
		default:
			for (size_t b = at & ~(size_t)4095; b < n && b < (at & ~(size_t)4095) + 4096; b++)
				buf[b] = 0;
		}
	}
	for (size_t b = 0; b < n; b++)
		hit[b] = buf[b] != (uint8_t)corpus.seg.buf[b];
	walk(buf, len, &c);
	for (int k = 0; k < RC_CYCLES; k++) {
		bool whole = corpus.cyc[k].end <= len;

		for (size_t b = corpus.cyc[k].off; whole && b < corpus.cyc[k].end; b++)
			whole = !hit[b];
		group_ok = corpus.cyc[k].key ? whole : group_ok && whole;
		if (group_ok)
			CHECK(c.ok[k]);
	}
	free(buf);
	free(hit);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!corpus_ready) {
		CHECK(rc_build(&corpus) == 0);
		corpus_ready = true;
		/* Once, whole: every cycle decodes, to the very page recorded
		 * (which the cheaper comparison then stands for). */
		{
			struct check c = { .pages = true };

			walk((const uint8_t *)corpus.seg.buf, corpus.seg.len, &c);
			for (int k = 0; k < RC_CYCLES; k++)
				CHECK(c.ok[k]);
		}
	}
	if (!size)
		return 0;
	if (data[0] % 2) {
		damaged(data + 1, size - 1);
	} else {
		uint8_t *buf = (uint8_t *)fuzz_dup(data + 1, size - 1);
		struct check c = { .raw = true };

		walk(buf, size - 1, &c);
		free(buf);
	}
	return 0;
}
