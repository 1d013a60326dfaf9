// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/fileio.h"
#include "lib/macros.h"
#include "record/bytes.h"
#include "record/store.h"

#define IDX_MAGIC 0x49524743u		/* "CGRI" */
#define IDX_VERSION 1
#define IDX_ENTRY 40
#define SEGMENT_VERSION 1
/* How much of a segment is read at once when it is scanned. */
#define SCAN_CHUNK (8u << 20)
/* An index larger than this is damage. */
#define IDX_MAX (256u << 20)

static uint32_t crc_of(const uint8_t *p, size_t n)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

static void slot_name(char *buf, size_t size, unsigned slot, const char *ext)
{
	snprintf(buf, size, "seg-%02u.%s", slot, ext);
}

static int file_size(int fd, uint64_t *ret)
{
	struct stat stt;

	if (fstat(fd, &stt) < 0)
		return -errno;
	*ret = (uint64_t)stt.st_size;
	return 0;
}

/* --- index entries -------------------------------------------------------- */

static void idx_header(uint8_t *b, uint64_t gen)
{
	memset(b, 0, IDX_ENTRY);
	put_le32(b, IDX_MAGIC);
	put_le32(b + 4, IDX_VERSION);
	put_le64(b + 8, gen);
	put_le32(b + 36, crc_of(b, 36));
}

static void idx_entry(uint8_t *b, const struct store_entry *e)
{
	memset(b, 0, IDX_ENTRY);
	put_le64(b, (uint64_t)e->time_ms);
	put_le64(b + 8, e->off);
	put_le64(b + 16, e->seq);
	put_le32(b + 24, e->len);
	b[28] = e->type;
	put_le32(b + 36, crc_of(b, 36));
}

static bool idx_entry_read(const uint8_t *b, struct store_entry *ret)
{
	if (get_le32(b + 36) != crc_of(b, 36) || b[29] || b[30] || b[31] || get_le32(b + 32))
		return false;
	*ret = (struct store_entry){
		.time_ms = (int64_t)get_le64(b),
		.off = get_le64(b + 8),
		.seq = get_le64(b + 16),
		.len = get_le32(b + 24),
		.type = b[28],
	};
	return ret->len >= FRAME_HEADER_SIZE;
}

/* --- segment frames ------------------------------------------------------- */

struct seg_ident {
	uint64_t generation;
	int64_t created_ms;
	char hostname[256], kernel[128], version[64];
	uint32_t len;			/* of the SEGMENT frame */
};

static int segment_frame(uint64_t gen, int64_t now_ms, const struct store_opts *o,
			 struct strbuf *out)
{
	struct strbuf p = { 0 };
	int r;

	sb_putc(&p, SEGMENT_VERSION);
	sb_varint(&p, gen);
	sb_str(&p, o->hostname ? o->hostname : "");
	sb_str(&p, o->kernel ? o->kernel : "");
	sb_str(&p, o->version ? o->version : "");
	r = sb_error(&p) < 0 ? -ENOMEM : frame_build(FRAME_SEGMENT, now_ms, 0, p.buf, p.len, 0, out);
	sb_free(&p);
	return r;
}

/* The SEGMENT frame at the start of fd: 0, -ENODATA for an empty file,
 * -EBADMSG when it is not one. */
static int read_ident(int fd, struct seg_ident *ret)
{
	uint8_t hb[FRAME_HEADER_SIZE], *buf;
	struct frame_header h;
	struct rbuf rb;
	int r = pread_all(fd, hb, sizeof(hb), 0);

	if (r < 0)
		return r == -ENODATA ? -ENODATA : r;
	if (frame_header_read(hb, sizeof(hb), &h) < 0 || h.type != FRAME_SEGMENT ||
	    h.codec != FRAME_RAW || h.len > 4096)
		return -EBADMSG;
	buf = malloc(FRAME_HEADER_SIZE + h.len);
	if (!buf)
		return -ENOMEM;
	r = pread_all(fd, buf, FRAME_HEADER_SIZE + h.len, 0);
	if (r == 0 && frame_check(buf, FRAME_HEADER_SIZE + h.len, &h) < 0)
		r = -EBADMSG;
	if (r == 0) {
		*ret = (struct seg_ident){ .created_ms = h.time_ms, .len = FRAME_HEADER_SIZE + h.len };
		rb = rbuf_of(buf + FRAME_HEADER_SIZE, h.len);
		if (rb_u8(&rb) != SEGMENT_VERSION)
			r = -EBADMSG;
		ret->generation = rb_varint(&rb);
		rb_str(&rb, ret->hostname, sizeof(ret->hostname));
		rb_str(&rb, ret->kernel, sizeof(ret->kernel));
		rb_str(&rb, ret->version, sizeof(ret->version));
		if (rb.bad || !ret->generation)
			r = -EBADMSG;
	}
	free(buf);
	return r;
}

/* --- the frames of a segment: its index, checked, and a scan past it ------- */

struct entries {
	struct store_entry *e;
	size_t n, cap;
	uint64_t end;			/* where the last whole frame ends */
	uint64_t damaged;		/* bytes skipped that were not frames */
	bool idx_ok;			/* the first n_idx came from a good index */
	size_t n_idx;
};

static int entries_add(struct entries *es, const struct store_entry *e)
{
	if (es->n == es->cap) {
		size_t cap = es->cap ? es->cap * 2 : 256;
		struct store_entry *p = realloc(es->e, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		es->e = p;
		es->cap = cap;
	}
	es->e[es->n++] = *e;
	return 0;
}

/* Whether the frame e points to is there, as e says. */
static bool entry_matches(int fd, const struct store_entry *e, uint64_t size)
{
	uint8_t hb[FRAME_HEADER_SIZE];
	struct frame_header h;

	if (e->off + e->len > size || e->off + e->len < e->off ||
	    pread_all(fd, hb, sizeof(hb), e->off) < 0 || frame_header_read(hb, sizeof(hb), &h) < 0)
		return false;
	return h.time_ms == e->time_ms && h.seq == e->seq && h.type == e->type &&
	       FRAME_HEADER_SIZE + (uint64_t)h.len == e->len;
}

/* The index's entries that agree with the segment: a prefix of the file,
 * each after the one before, the last one checked against its frame (the
 * index is written after the frame, so only its end can be ahead). */
static int load_index(int idxfd, const struct seg_ident *id, int fd, uint64_t size,
		      struct entries *es)
{
	uint64_t isize = 0;
	uint8_t *b;
	uint64_t last_end = id->len;
	int r;

	if (idxfd < 0 || file_size(idxfd, &isize) < 0 || isize < IDX_ENTRY || isize > IDX_MAX)
		return 0;
	b = malloc((size_t)isize);
	if (!b)
		return -ENOMEM;
	r = pread_all(idxfd, b, (size_t)isize, 0);
	if (r < 0 || get_le32(b) != IDX_MAGIC || get_le32(b + 4) != IDX_VERSION ||
	    get_le64(b + 8) != id->generation || get_le32(b + 36) != crc_of(b, 36)) {
		free(b);
		return 0;
	}
	for (uint64_t at = IDX_ENTRY; at + IDX_ENTRY <= isize; at += IDX_ENTRY) {
		struct store_entry e;

		if (!idx_entry_read(b + at, &e) || e.off < last_end || e.off + e.len > size ||
		    e.off + e.len < e.off)
			break;
		if ((r = entries_add(es, &e)) < 0) {
			free(b);
			return r;
		}
		last_end = e.off + e.len;
	}
	free(b);
	/* A crash between a frame and its entry, or a frame cut since: walk
	 * back to the last entry whose frame is there. A few at most. */
	while (es->n && !entry_matches(fd, &es->e[es->n - 1], size))
		es->n--;
	es->idx_ok = true;
	es->n_idx = es->n;
	return 0;
}

/* Frames from offset `from` to the end of the file, by reading it. */
static int scan(int fd, uint64_t from, uint64_t size, struct entries *es)
{
	uint8_t *buf = NULL;
	size_t cap = 0;
	uint64_t at = from;
	int r = 0;

	es->end = from;
	while (at < size) {
		size_t want = size - at > SCAN_CHUNK ? SCAN_CHUNK : (size_t)(size - at);
		size_t pos = 0, off;
		struct frame_header h;
		bool last = at + want >= size;

		if (want > cap) {
			uint8_t *p = realloc(buf, want);

			if (!p) {
				r = -ENOMEM;
				break;
			}
			buf = p;
			cap = want;
		}
		r = pread_all(fd, buf, want, at);
		if (r < 0) {
			if (r == -ENODATA)	/* truncated meanwhile */
				r = 0;
			break;
		}
		while (frame_next(buf, want, &pos, &h, &off, &es->damaged) == 1) {
			struct store_entry e = { .time_ms = h.time_ms, .off = at + off, .seq = h.seq,
						 .len = FRAME_HEADER_SIZE + h.len, .type = h.type };

			es->end = e.off + e.len;
			if (h.type != FRAME_SEGMENT && (r = entries_add(es, &e)) < 0)
				break;
		}
		if (r < 0)
			break;
		if (last)
			break;
		if (pos == 0) {
			/* One frame larger than a chunk: read it whole. */
			uint8_t hb[FRAME_HEADER_SIZE];

			if (frame_header_read(buf, want, &h) < 0 ||
			    pread_all(fd, hb, sizeof(hb), at) < 0) {
				at += 1;
				es->damaged += 1;
				continue;
			}
			if ((uint64_t)FRAME_HEADER_SIZE + h.len > size - at)
				break;	/* torn */
			uint8_t *p = realloc(buf, FRAME_HEADER_SIZE + h.len);

			if (!p) {
				r = -ENOMEM;
				break;
			}
			buf = p;
			cap = FRAME_HEADER_SIZE + h.len;
			if (pread_all(fd, buf, cap, at) == 0 && frame_check(buf, cap, &h) == 0) {
				struct store_entry e = { .time_ms = h.time_ms, .off = at, .seq = h.seq,
							 .len = (uint32_t)cap, .type = h.type };

				if ((r = entries_add(es, &e)) < 0)
					break;
				es->end = at + cap;
				at += cap;
			} else {
				at += 1;
				es->damaged += 1;
			}
			continue;
		}
		at += pos;
	}
	free(buf);
	return r;
}

/* Every frame of a segment: its index, then a scan of what follows. */
static int load_entries(int fd, int idxfd, const struct seg_ident *id, struct entries *es,
			uint64_t *ret_size)
{
	uint64_t size, from;
	int r = file_size(fd, &size);

	memset(es, 0, sizeof(*es));
	if (r < 0)
		return r;
	r = load_index(idxfd, id, fd, size, es);
	if (r < 0)
		return r;
	from = es->n ? es->e[es->n - 1].off + es->e[es->n - 1].len : id->len;
	r = scan(fd, from, size, es);
	if (r < 0)
		return r;
	if (es->end < from)
		es->end = from;
	*ret_size = size;
	return 0;
}

/* --- the writer ------------------------------------------------------------ */

struct wslot {
	int fd, idxfd;
	bool used;
	uint64_t gen;
	int64_t first_ms, last_ms;	/* of its frames (first: the SEGMENT frame's) */
	uint64_t size, idx_size;
	bool has_key;
	uint64_t last_seq;
	uint64_t frames;		/* after its SEGMENT frame */
};

struct store {
	int dirfd, lockfd;
	struct store_opts o;
	struct wslot s[STORE_SLOTS];
	int active;			/* -1: none yet */
	uint64_t max_gen;
	uint64_t seg_cap, span_ms;
	uint64_t total;
	uint64_t last_seq;
	struct strbuf tmp;
};

static void drop_slot(struct store *st, int i)
{
	struct wslot *w = &st->s[i];

	/* Truncating gives the space back; the files stay, held open. */
	if (ftruncate(w->fd, 0) == 0 && ftruncate(w->idxfd, 0) == 0) {
		st->total -= w->size + w->idx_size;
		w->size = w->idx_size = 0;
	}
	w->used = false;
	w->gen = 0;
	w->has_key = false;
	if (st->active == i)
		st->active = -1;
}

/* The used slot with the lowest generation, not `except`; -1 for none. */
static int oldest(const struct store *st, int except)
{
	int best = -1;

	for (int i = 0; i < STORE_SLOTS; i++)
		if (st->s[i].used && i != except && (best < 0 || st->s[i].gen < st->s[best].gen))
			best = i;
	return best;
}

/* A new segment: an empty slot, or the oldest one's. */
static int rotate(struct store *st, int64_t now_ms)
{
	uint8_t ih[IDX_ENTRY];
	int i = -1, r;

	for (int k = 0; k < STORE_SLOTS && i < 0; k++)
		if (!st->s[k].used && k != st->active)
			i = k;
	if (i < 0)
		i = oldest(st, st->active);
	if (i < 0)
		i = st->active;
	if (st->s[i].used || st->s[i].size || st->s[i].idx_size)
		drop_slot(st, i);
	st->active = -1;
	st->tmp.len = 0;
	r = segment_frame(st->max_gen + 1, now_ms, &st->o, &st->tmp);
	if (r < 0)
		return r;
	idx_header(ih, st->max_gen + 1);
	if ((r = pwrite_all(st->s[i].fd, st->tmp.buf, st->tmp.len, 0)) < 0 ||
	    (r = pwrite_all(st->s[i].idxfd, ih, sizeof(ih), 0)) < 0) {
		drop_slot(st, i);
		return r;
	}
	st->max_gen++;
	st->s[i] = (struct wslot){
		.fd = st->s[i].fd, .idxfd = st->s[i].idxfd, .used = true, .gen = st->max_gen,
		.first_ms = now_ms, .last_ms = now_ms, .size = st->tmp.len, .idx_size = IDX_ENTRY,
	};
	st->total += st->tmp.len + IDX_ENTRY;
	st->active = i;
	return 0;
}

static void free_store(struct store *st)
{
	for (int i = 0; i < STORE_SLOTS; i++) {
		if (st->s[i].fd >= 0)
			close(st->s[i].fd);
		if (st->s[i].idxfd >= 0)
			close(st->s[i].idxfd);
	}
	if (st->lockfd >= 0)
		close(st->lockfd);	/* the lock goes with it */
	if (st->dirfd >= 0)
		close(st->dirfd);
	sb_free(&st->tmp);
	free(st);
}

static int take_lock(struct store *st, struct store_open_info *info)
{
	char pid[32];
	int n;

	st->lockfd = openat(st->dirfd, "LOCK", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (st->lockfd < 0)
		return -errno;
	if (flock(st->lockfd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		if (e == EWOULDBLOCK) {
			ssize_t len = pread(st->lockfd, pid, sizeof(pid) - 1, 0);

			pid[len > 0 ? len : 0] = '\0';
			info->holder = (pid_t)atoi(pid);
			return -EBUSY;
		}
		return -e;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(st->lockfd, 0) < 0 || pwrite_all(st->lockfd, pid, (size_t)n, 0) < 0)
		return -errno ? -errno : -EIO;
	return 0;
}

/* Rewrites the index of slot i from es (after a crash cut its end). */
static int rewrite_index(struct wslot *w, const struct entries *es)
{
	size_t len = IDX_ENTRY * (es->n + 1);
	uint8_t *b = malloc(len);
	int r;

	if (!b)
		return -ENOMEM;
	idx_header(b, w->gen);
	for (size_t k = 0; k < es->n; k++)
		idx_entry(b + IDX_ENTRY * (k + 1), &es->e[k]);
	r = pwrite_all(w->idxfd, b, len, 0);
	if (r == 0 && ftruncate(w->idxfd, (off_t)len) < 0)
		r = -errno;
	free(b);
	if (r == 0)
		w->idx_size = len;
	return r;
}

/* What a slot holds, found at open. The newest's torn end is cut. */
static int recover_slot(struct store *st, int i, bool newest, struct store_open_info *info)
{
	struct wslot *w = &st->s[i];
	struct seg_ident id;
	struct entries es;
	uint64_t size;
	int r = read_ident(w->fd, &id);

	if (r == -ENODATA) {
		w->used = false;
		return 0;
	}
	if (r < 0 && r != -EBADMSG)
		return r;
	if (r == -EBADMSG) {
		/* Not a segment of ours any more: the next rotation reuses it. */
		w->used = true;
		w->gen = 0;
		file_size(w->fd, &w->size);
		file_size(w->idxfd, &w->idx_size);
		return 0;
	}
	if (!newest) {
		w->used = true;
		w->gen = id.generation;
		return 0;	/* looked at below, once the newest is known */
	}
	r = load_entries(w->fd, w->idxfd, &id, &es, &size);
	if (r < 0)
		return r;
	w->used = true;
	w->gen = id.generation;
	w->first_ms = id.created_ms;
	w->last_ms = es.n ? es.e[es.n - 1].time_ms : id.created_ms;
	for (size_t k = 0; k < es.n; k++) {
		if (es.e[k].type == FRAME_KEY)
			w->has_key = true;
		if (frame_is_cycle(es.e[k].type))
			w->last_seq = es.e[k].seq;
	}
	info->frames += es.n;
	w->frames = es.n;
	if (size > es.end) {
		info->torn_bytes += size - es.end;
		if (ftruncate(w->fd, (off_t)es.end) < 0)
			r = -errno;
	}
	w->size = es.end;
	if (r == 0 && (es.n != es.n_idx || !es.idx_ok || size > es.end))
		r = rewrite_index(w, &es);
	else
		file_size(w->idxfd, &w->idx_size);
	free(es.e);
	return r;
}

/* The times of an older segment: its index's last entry (checked), or a
 * scan when the index does not agree. */
static int recover_times(struct store *st, int i, struct store_open_info *info)
{
	struct wslot *w = &st->s[i];
	struct seg_ident id;
	struct entries es;
	uint64_t size;
	int r = read_ident(w->fd, &id);

	if (r < 0)
		return 0;
	r = load_entries(w->fd, w->idxfd, &id, &es, &size);
	if (r < 0)
		return r;
	w->first_ms = id.created_ms;
	w->last_ms = es.n ? es.e[es.n - 1].time_ms : id.created_ms;
	w->size = size;
	file_size(w->idxfd, &w->idx_size);
	for (size_t k = 0; k < es.n; k++)
		if (frame_is_cycle(es.e[k].type))
			w->last_seq = es.e[k].seq;
	info->frames += es.n;
	free(es.e);
	return 0;
}

int store_open(const char *dir, const struct store_opts *o, struct store **ret,
	       struct store_open_info *info)
{
	struct store *st = calloc(1, sizeof(*st));
	int newest = -1, r;
	char name[32];

	*info = (struct store_open_info){ 0 };
	if (!st)
		return -ENOMEM;
	st->o = *o;
	st->active = -1;
	st->lockfd = -1;
	for (int i = 0; i < STORE_SLOTS; i++)
		st->s[i].fd = st->s[i].idxfd = -1;
	/* One level: a missing parent is a typo more often than a wish. */
	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		r = -errno;
		goto fail;
	}
	st->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dirfd < 0) {
		r = -errno;
		goto fail;
	}
	if ((r = take_lock(st, info)) < 0)
		goto fail;
	for (unsigned i = 0; i < STORE_SLOTS; i++) {
		struct wslot *w = &st->s[i];

		slot_name(name, sizeof(name), i, "cgr");
		w->fd = openat(st->dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
		slot_name(name, sizeof(name), i, "idx");
		w->idxfd = w->fd < 0 ? -1 :
			   openat(st->dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
		if (w->fd < 0 || w->idxfd < 0) {
			r = -errno;
			goto fail;
		}
	}
	/* Which segment is the newest: it may end in a torn frame. */
	for (int i = 0; i < STORE_SLOTS; i++) {
		if ((r = recover_slot(st, i, false, info)) < 0)
			goto fail;
		if (st->s[i].used && st->s[i].gen > st->max_gen) {
			st->max_gen = st->s[i].gen;
			newest = i;
		}
	}
	for (int i = 0; i < STORE_SLOTS; i++) {
		if (!st->s[i].used) {
			/* A torn first frame: bytes that count until reused. */
			file_size(st->s[i].fd, &st->s[i].size);
			file_size(st->s[i].idxfd, &st->s[i].idx_size);
			st->total += st->s[i].size + st->s[i].idx_size;
			continue;
		}
		r = i == newest ? recover_slot(st, i, true, info) : recover_times(st, i, info);
		if (r < 0)
			goto fail;
		st->total += st->s[i].size + st->s[i].idx_size;
	}
	if (newest >= 0) {
		st->active = newest;
		st->last_seq = st->s[newest].last_seq;
	}
	for (int i = 0; i < STORE_SLOTS; i++)
		if (st->s[i].last_seq > st->last_seq)
			st->last_seq = st->s[i].last_seq;
	st->seg_cap = o->max_bytes / STORE_SEGMENTS;
	if (st->seg_cap < STORE_SEGMENT_MIN)
		st->seg_cap = STORE_SEGMENT_MIN;
	if (st->seg_cap > STORE_SEGMENT_MAX)
		st->seg_cap = STORE_SEGMENT_MAX;
	st->span_ms = o->retention_ms / STORE_SEGMENTS;
	*ret = st;
	return 0;
fail:
	free_store(st);
	return r;
}

void store_close(struct store *st)
{
	if (st)
		free_store(st);
}

uint64_t store_last_seq(const struct store *st)
{
	return st->last_seq;
}

void store_usage(const struct store *st, uint64_t *ret_bytes, int64_t *ret_oldest_ms)
{
	int i = oldest(st, -1);

	*ret_bytes = st->total + 0;
	*ret_oldest_ms = i >= 0 && st->s[i].gen ? st->s[i].first_ms : 0;
	/* A damaged segment (generation 0) has no time: the next one's. */
	if (i >= 0 && !st->s[i].gen) {
		int64_t best = 0;

		for (int k = 0; k < STORE_SLOTS; k++)
			if (st->s[k].used && st->s[k].gen && (!best || st->s[k].first_ms < best))
				best = st->s[k].first_ms;
		*ret_oldest_ms = best;
	}
}

/* Drops what is past the retention, then the oldest until len more bytes
 * fit. */
static int make_room(struct store *st, int64_t now_ms, size_t len)
{
	for (int i = 0; i < STORE_SLOTS; i++) {
		struct wslot *w = &st->s[i];

		if (w->used && i != st->active && st->o.retention_ms &&
		    (w->gen == 0 || w->last_ms < now_ms - (int64_t)st->o.retention_ms))
			drop_slot(st, i);
	}
	while (st->total + len > st->o.max_bytes) {
		int i = oldest(st, st->active);

		if (i < 0)
			return st->total + len > st->o.max_bytes ? -EFBIG : 0;
		drop_slot(st, i);
	}
	return 0;
}

int store_append(struct store *st, const uint8_t *frame, size_t len)
{
	struct frame_header h;
	struct store_entry e;
	struct wslot *w;
	uint8_t ib[IDX_ENTRY];
	int r;

	if (frame_header_read(frame, len, &h) < 0 || FRAME_HEADER_SIZE + (size_t)h.len != len)
		return -EINVAL;
	w = st->active >= 0 ? &st->s[st->active] : NULL;
	/* A new segment when the active one is full (and holds more than its
	 * first frame), spans its share of the retention, or the clock went
	 * back: each segment's frames are in time order. */
	if (!w || h.time_ms < w->last_ms ||
	    (w->frames && (w->size + len > st->seg_cap ||
			    (st->span_ms && h.time_ms - w->first_ms > (int64_t)st->span_ms)))) {
		r = make_room(st, h.time_ms, len + 512);
		if (r == 0)
			r = rotate(st, h.time_ms);
		if (r < 0)
			return r;
		w = &st->s[st->active];
	}
	if (h.type == FRAME_DELTA && !w->has_key)
		return -ESTALE;
	r = make_room(st, h.time_ms, len + IDX_ENTRY);
	if (r == -EFBIG && w->size > 4096) {
		/* The active segment alone is too much: a new one, and the
		 * old goes with the rest. */
		if ((r = rotate(st, h.time_ms)) < 0)
			return r;
		w = &st->s[st->active];
		if (h.type == FRAME_DELTA)
			return -ESTALE;
		r = make_room(st, h.time_ms, len + IDX_ENTRY);
	}
	if (r < 0)
		return r;
	r = pwrite_all(w->fd, frame, len, w->size);
	if (r < 0) {
		/* Nothing of a frame that did not go whole. */
		if (ftruncate(w->fd, (off_t)w->size) < 0) {
			/* The next open cuts it. */
		}
		return r;
	}
	e = (struct store_entry){ .time_ms = h.time_ms, .off = w->size, .seq = h.seq,
				  .len = (uint32_t)len, .type = h.type };
	idx_entry(ib, &e);
	if (pwrite_all(w->idxfd, ib, sizeof(ib), w->idx_size) == 0) {
		w->idx_size += IDX_ENTRY;
		st->total += IDX_ENTRY;
	} else if (ftruncate(w->idxfd, (off_t)w->idx_size) < 0) {
		/* Readers check entries: a torn one is ignored. */
	}
	w->size += len;
	st->total += len;
	w->frames++;
	w->last_ms = h.time_ms;
	if (h.type == FRAME_KEY)
		w->has_key = true;
	if (frame_is_cycle(h.type)) {
		w->last_seq = h.seq;
		st->last_seq = h.seq;
	}
	return 0;
}

/* --- the reader -------------------------------------------------------------- */

static int seg_cmp(const void *a, const void *b)
{
	const struct store_segment *x = a, *y = b;

	if (x->generation != y->generation)
		return CMP(x->generation, y->generation);
	return CMP(x->created_ms, y->created_ms);
}

int store_reader_open(const char *dir, struct store_reader **ret)
{
	struct store_reader *r = calloc(1, sizeof(*r));
	char name[32];

	if (!r)
		return -ENOMEM;
	r->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->dirfd < 0) {
		int e = -errno;

		free(r);
		return e;
	}
	for (unsigned i = 0; i < STORE_SLOTS; i++) {
		struct store_segment *sg = &r->seg[r->nseg];
		struct seg_ident id;
		int fd;

		slot_name(name, sizeof(name), i, "cgr");
		fd = openat(r->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			int e = -errno;

			if (e == -ENOENT)
				continue;
			store_reader_close(r);
			return e;
		}
		if (read_ident(fd, &id) < 0) {
			close(fd);	/* empty, or not a segment (damage) */
			continue;
		}
		*sg = (struct store_segment){ .slot = i, .generation = id.generation,
					      .created_ms = id.created_ms, .fd = fd };
		snprintf(sg->hostname, sizeof(sg->hostname), "%s", id.hostname);
		snprintf(sg->kernel, sizeof(sg->kernel), "%s", id.kernel);
		snprintf(sg->version, sizeof(sg->version), "%s", id.version);
		r->nseg++;
	}
	if (!r->nseg) {
		store_reader_close(r);
		return -ENOENT;
	}
	qsort(r->seg, r->nseg, sizeof(r->seg[0]), seg_cmp);
	*ret = r;
	return 0;
}

void store_reader_close(struct store_reader *r)
{
	if (!r)
		return;
	for (size_t k = 0; k < r->nseg; k++) {
		close(r->seg[k].fd);
		free(r->seg[k].entries);
	}
	close(r->dirfd);
	free(r);
}

int store_reader_entries(struct store_reader *r, size_t i)
{
	struct store_segment *sg = &r->seg[i];
	struct seg_ident id;
	struct entries es;
	char name[32];
	int idxfd, e;

	if (sg->loaded)
		return 0;
	e = read_ident(sg->fd, &id);
	if (e < 0)
		return e == -ENODATA ? 0 : e;
	if (id.generation != sg->generation) {
		/* Reused since the store was opened: nothing of what it was. */
		sg->loaded = true;
		return 0;
	}
	slot_name(name, sizeof(name), sg->slot, "idx");
	idxfd = openat(r->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	e = load_entries(sg->fd, idxfd, &id, &es, &sg->size);
	if (idxfd >= 0)
		close(idxfd);
	if (e < 0) {
		free(es.e);
		return e;
	}
	sg->entries = es.e;
	sg->n = es.n;
	sg->damaged = es.damaged;
	sg->loaded = true;
	return 0;
}

int store_reader_read(struct store_reader *r, size_t i, uint64_t off, size_t len,
		      uint8_t **buf, size_t *cap)
{
	if (len > *cap) {
		uint8_t *p = realloc(*buf, len);

		if (!p)
			return -ENOMEM;
		*buf = p;
		*cap = len;
	}
	return pread_all(r->seg[i].fd, *buf, len, off);
}
