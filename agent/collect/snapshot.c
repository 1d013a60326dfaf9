// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>
#include <pthread.h>
#include <stdlib.h>
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>

#include "collect/snapshot.h"

const double collect_hist_bounds[COLLECT_HIST_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
};

const double throttle_hist_bounds[THROTTLE_HIST_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
};

const char *const identity_error_reasons[IDERR_NR] = {
	[IDERR_MISSING] = "missing",
	[IDERR_UNREADABLE] = "unreadable",
	[IDERR_MALFORMED] = "malformed",
	[IDERR_TOO_LARGE] = "too_large",
};

struct snapshot *snapshot_new(void)
{
	struct snapshot *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	atomic_init(&s->refs, 1);
	pthread_mutex_init(&s->cache_lock, NULL);
	return s;
}

struct snapshot *snapshot_ref(struct snapshot *s)
{
	atomic_fetch_add(&s->refs, 1);
	return s;
}

void snapshot_unref(struct snapshot *s)
{
	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	pthread_mutex_destroy(&s->cache_lock);
	for (int i = 0; i < SNAPSHOT_CACHE_NR; i++)
		zpage_free(&s->cache[i]);
	free(s->root);
	free(s->cgroups);
	free(s->strings);
	free(s->io.items);
	free(s->mem_stat.rows);
	free(s->names);
	free(s->names_strings);
	zpage_free(&s->page);
	free(s);
}

void snapshot_slot_init(struct snapshot_slot *slot)
{
	pthread_mutex_init(&slot->lock, NULL);
	slot->cur = NULL;
}

void snapshot_publish(struct snapshot_slot *slot, struct snapshot *s)
{
	struct snapshot *old;

	pthread_mutex_lock(&slot->lock);
	old = slot->cur;
	slot->cur = s;
	pthread_mutex_unlock(&slot->lock);
	/* Outside the lock: freeing a large snapshot must not stall readers. */
	snapshot_unref(old);
}

struct snapshot *snapshot_get(struct snapshot_slot *slot)
{
	struct snapshot *s;

	pthread_mutex_lock(&slot->lock);
	s = slot->cur ? snapshot_ref(slot->cur) : NULL;
	pthread_mutex_unlock(&slot->lock);
	return s;
}

void snapshot_slot_destroy(struct snapshot_slot *slot)
{
	snapshot_unref(slot->cur);
	slot->cur = NULL;
	pthread_mutex_destroy(&slot->lock);
}

int snapshot_cached(struct snapshot *s, enum snapshot_cache which,
		    int (*make)(struct snapshot *s, struct page_writer *w),
		    const struct zpage **ret)
{
	struct page_writer w;
	int r = 0;

	/* One lock for all forms: each is made once per cycle at most. */
	pthread_mutex_lock(&s->cache_lock);
	if (!s->cache[which].gz) {
		r = page_writer_start(&w, 0);
		if (r >= 0) {
			r = make(s, &w);
			if (r >= 0)
				r = page_writer_finish(&w, &s->cache[which]);
			else
				page_writer_abort(&w);
		}
	}
	if (r == 0)
		*ret = &s->cache[which];
	pthread_mutex_unlock(&s->cache_lock);
	return r;
}

/* --- the page, kept compressed ------------------------------------------ */

/* gzip's header with no name, time or flags: the page's and each part's. */
static const unsigned char gzip_header[GZIP_HEADER_LEN] = {
	0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3,
};

static int compressor_open(struct page_writer *w)
{
	w->zs = malloc(sizeof(*w->zs));		/* 80 KiB: not on a stack */
	w->level_buf = malloc(ISAL_DEF_LVL1_DEFAULT);
	if (!w->zs || !w->level_buf)
		return -ENOMEM;
	isal_deflate_init(w->zs);
	w->zs->level = 1;
	w->zs->level_buf = w->level_buf;
	w->zs->level_buf_size = ISAL_DEF_LVL1_DEFAULT;
	/* The trailer from igzip, the header from us: the same 10 bytes
	 * whatever the library's defaults, which each part repeats. */
	w->zs->gzip_flag = IGZIP_GZIP_NO_HDR;
	sb_append(&w->out, (const char *)gzip_header, sizeof(gzip_header));
	return sb_error(&w->out);
}

/* Feeds len bytes to the compressor, output straight into out, until it has
 * taken them all and, with a flush or at the end, written all it has. */
static int compress(struct page_writer *w, const char *buf, size_t len, int flush, bool end)
{
	struct isal_zstream *zs = w->zs;

	if (w->err)
		return w->err;
	zs->next_in = (uint8_t *)buf;
	zs->avail_in = (uint32_t)len;
	zs->flush = (uint16_t)flush;
	zs->end_of_stream = end;
	for (;;) {
		uint32_t in = zs->avail_in, room;

		/* Half a chunk more each time: a page compresses 15 to 20 to 1. */
		if (w->out.cap - w->out.len < 1024 && sb_grow(&w->out, PAGE_CHUNK / 2) < 0)
			return w->err = -ENOMEM;
		room = (uint32_t)(w->out.cap - 1 - w->out.len);
		zs->next_out = (uint8_t *)w->out.buf + w->out.len;
		zs->avail_out = room;
		if (isal_deflate(zs) != COMP_OK)
			return w->err = -EIO;
		w->out.len += room - zs->avail_out;
		w->in_len += in - zs->avail_in;
		if (end ? zs->internal_state.state == ZSTATE_END : !zs->avail_in && zs->avail_out)
			return 0;
		if (zs->avail_in == in && zs->avail_out == room)
			return w->err = -EIO;	/* no progress: never seen */
	}
}

static int page_drain(void *ctx, const char *buf, size_t len)
{
	struct page_writer *w = ctx;

	for (int p = PAGE_ALL + 1; p < PAGE_PARTS; p++)
		if (w->mark_zoff[p])
			w->part_crc[p] = crc32_gzip_refl(w->part_crc[p], (const uint8_t *)buf, len);
	return compress(w, buf, len, NO_FLUSH, false);
}

int page_writer_start(struct page_writer *w, size_t chunk)
{
	*w = (struct page_writer){0};
	if (compressor_open(w) < 0 ||
	    sb_drain_to(&w->sb, chunk ? chunk : PAGE_CHUNK, page_drain, w) < 0) {
		page_writer_abort(w);
		return -ENOMEM;
	}
	return 0;
}

int page_writer_mark(struct page_writer *w, enum page_part p)
{
	/* The text so far with a full flush: its output ends on a byte, and
	 * what follows does not refer back to it, so it decodes alone. */
	if (sb_error(&w->sb) < 0 && !w->err)
		w->err = -ENOMEM;
	if (compress(w, w->sb.buf, w->sb.len, FULL_FLUSH, false) < 0)
		return w->err;
	for (int q = PAGE_ALL + 1; q < PAGE_PARTS; q++)
		if (w->mark_zoff[q])
			w->part_crc[q] = crc32_gzip_refl(w->part_crc[q], (const uint8_t *)w->sb.buf,
							 w->sb.len);
	w->sb.len = 0;
	if (w->sb.buf)
		w->sb.buf[0] = '\0';
	w->mark_off[p] = w->in_len;
	w->mark_zoff[p] = w->out.len;
	w->part_crc[p] = 0;
	return 0;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

int page_writer_finish(struct page_writer *w, struct zpage *ret)
{
	struct zpage z = {0};
	int r;

	if ((sb_drain(&w->sb) < 0 || sb_error(&w->sb) < 0) && !w->err)
		w->err = -ENOMEM;
	r = compress(w, NULL, 0, NO_FLUSH, true);
	if (r < 0) {
		page_writer_abort(w);
		return r;
	}
	z.part[PAGE_ALL].on = true;
	z.part[PAGE_ALL].len = w->in_len;
	z.part[PAGE_ALL].zoff = GZIP_HEADER_LEN;
	for (int p = PAGE_ALL + 1; p < PAGE_PARTS; p++) {
		if (!w->mark_zoff[p])
			continue;
		z.part[p].on = true;
		z.part[p].off = w->mark_off[p];
		z.part[p].len = w->in_len - w->mark_off[p];
		z.part[p].zoff = w->mark_zoff[p];
		put_le32(z.part[p].trailer, w->part_crc[p]);
		put_le32(z.part[p].trailer + 4, (uint32_t)z.part[p].len);
	}
	z.gz_len = w->out.len;
	z.gz = sb_steal(&w->out, NULL);
	memcpy(z.part[PAGE_ALL].trailer, z.gz + z.gz_len - GZIP_TRAILER_LEN, GZIP_TRAILER_LEN);
	page_writer_abort(w);
	*ret = z;
	return 0;
}

void page_writer_abort(struct page_writer *w)
{
	free(w->zs);
	free(w->level_buf);
	w->zs = NULL;
	w->level_buf = NULL;
	sb_free(&w->sb);
	sb_free(&w->out);
}

int gzip_buf(const char *in, size_t len, char **ret, size_t *ret_len)
{
	struct page_writer w = {0};
	int r = compressor_open(&w);

	if (r >= 0)
		r = compress(&w, in, len, NO_FLUSH, true);
	if (r >= 0) {
		*ret_len = w.out.len;
		*ret = sb_steal(&w.out, NULL);
	}
	page_writer_abort(&w);
	return r;
}

void zpage_free(struct zpage *p)
{
	free(p->gz);
	*p = (struct zpage){0};
}

int page_reader_open(struct page_reader *r, const struct zpage *p, enum page_part part)
{
	*r = (struct page_reader){0};
	if (!p->part[part].on)
		return -ENOENT;
	r->st = malloc(sizeof(*r->st));		/* 85 KiB: not on a stack */
	if (!r->st)
		return -ENOMEM;
	isal_inflate_init(r->st);
	r->st->crc_flag = ISAL_DEFLATE;		/* the part's data has no header */
	r->st->next_in = (uint8_t *)p->gz + p->part[part].zoff;
	r->st->avail_in = (uint32_t)(p->gz_len - GZIP_TRAILER_LEN - p->part[part].zoff);
	r->left = p->part[part].len;
	return 0;
}

ssize_t page_reader_read(struct page_reader *r, char *buf, size_t size)
{
	size_t n;

	if (size > r->left)
		size = r->left;
	if (!size)
		return 0;
	r->st->next_out = (uint8_t *)buf;
	r->st->avail_out = (uint32_t)size;
	if (isal_inflate(r->st) < 0)
		return -EBADMSG;
	n = size - r->st->avail_out;
	if (!n)
		return -EBADMSG;	/* ends before the text does */
	r->left -= n;
	return (ssize_t)n;
}

void page_reader_close(struct page_reader *r)
{
	free(r->st);
	r->st = NULL;
}

int zpage_text(const struct zpage *p, enum page_part part, char **ret, size_t *ret_len)
{
	struct page_reader r;
	size_t len = 0;
	char *text;
	int e = page_reader_open(&r, p, part);

	if (e < 0)
		return e;
	text = malloc(p->part[part].len + 1);
	if (!text) {
		page_reader_close(&r);
		return -ENOMEM;
	}
	while (len < p->part[part].len) {
		ssize_t n = page_reader_read(&r, text + len, p->part[part].len - len);

		if (n <= 0) {
			page_reader_close(&r);
			free(text);
			return n < 0 ? (int)n : -EBADMSG;
		}
		len += (size_t)n;
	}
	page_reader_close(&r);
	text[len] = '\0';
	*ret = text;
	if (ret_len)
		*ret_len = len;
	return 0;
}
