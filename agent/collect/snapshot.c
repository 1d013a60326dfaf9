// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <zlib.h>

#include "collect/snapshot.h"

const double collect_hist_bounds[COLLECT_HIST_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
};

const double throttle_hist_bounds[THROTTLE_HIST_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
};

/* The page of the snapshot before last, kept for the next cycle to render
 * into. A page is larger than 32 KiB and comes from mmap (alloc_policy.c):
 * a fresh one is faulted in page by page on every cycle, most of the 15%
 * of a cycle's time that faults took at 1,000 cgroups. Keeping one costs no
 * more than the peak already was (the page served while the next one is
 * rendered). The cgroups array is not kept: at 10,000 cgroups it is 8 MB
 * that would stay resident for 2% of a cycle. */
static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static char *spare_page;

/* Keeps page for the next cycle when none is kept yet, else frees it. */
static void page_recycle(char *page)
{
	pthread_mutex_lock(&spare_lock);
	if (!spare_page) {
		spare_page = page;
		page = NULL;
	}
	pthread_mutex_unlock(&spare_lock);
	free(page);
}

void snapshot_page_start(struct strbuf *sb)
{
	char *p;

	pthread_mutex_lock(&spare_lock);
	p = spare_page;
	spare_page = NULL;
	pthread_mutex_unlock(&spare_lock);
	*sb = (struct strbuf){0};
	if (p) {
		*sb = (struct strbuf){ .buf = p, .cap = malloc_usable_size(p) };
		p[0] = '\0';
	}
}

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
		free(s->cache[i].buf);
	free(s->root);
	free(s->cgroups);
	free(s->strings);
	free(s->io.items);
	free(s->mem_stat.rows);
	free(s->names);
	free(s->names_strings);
	page_recycle(s->metrics);
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

int gzip_buf(const char *in, size_t len, char **ret, size_t *ret_len)
{
	z_stream zs = {0};
	uLong cap;
	char *out;
	int r;

	/* windowBits 15 + 16: a gzip header, which is what Accept-Encoding: gzip asks for.
	 * Level 1, not the default 6: on the page of 10,000 cgroups (78.6 MB)
	 * level 1 took 240 ms and made 3.79 MB, level 6 1,073 ms and 3.35 MB
	 * (1,000 cgroups: 26 ms, 396 KB against 115 ms, 347 KB). 13% more
	 * bytes on the wire for under a quarter of the CPU time, which the
	 * first gzip scrape of each cycle waits for. */
	if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	cap = deflateBound(&zs, (uLong)len);
	out = malloc(cap);
	if (!out) {
		deflateEnd(&zs);
		return -ENOMEM;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)out;
	zs.avail_out = (uInt)cap;
	r = deflate(&zs, Z_FINISH);
	deflateEnd(&zs);
	if (r != Z_STREAM_END) {
		free(out);
		return -EIO;
	}
	*ret = out;
	*ret_len = zs.total_out;
	return 0;
}

int snapshot_cached(struct snapshot *s, enum snapshot_cache which,
		    int (*make)(struct snapshot *s, char **ret, size_t *ret_len),
		    const char **ret, size_t *ret_len)
{
	int r = 0;

	/* One lock for all forms: each is made once per cycle at most. */
	pthread_mutex_lock(&s->cache_lock);
	if (!s->cache[which].buf)
		r = make(s, &s->cache[which].buf, &s->cache[which].len);
	if (r == 0) {
		*ret = s->cache[which].buf;
		*ret_len = s->cache[which].len;
	}
	pthread_mutex_unlock(&s->cache_lock);
	return r;
}
