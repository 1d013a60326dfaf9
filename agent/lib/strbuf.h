/* SPDX-License-Identifier: GPL-2.0-only */
/* A growable byte buffer for rendering pages. An allocation failure is sticky:
 * appends after it do nothing and sb_error() says so once at the end, so that
 * renderers need not check every call. */
#ifndef CGSCOPE_STRBUF_H
#define CGSCOPE_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct strbuf {
	char *buf;
	size_t len, cap;
	bool failed;
	/* Optional (sb_drain_to): where the bytes go when the buffer is full,
	 * instead of growing it. A page is rendered through a buffer of a fixed
	 * size this way and never exists whole (collect/snapshot.h). */
	int (*drain)(void *ctx, const char *buf, size_t len);
	void *drain_ctx;
};

void sb_free(struct strbuf *sb);
/* Room for extra more bytes and the NUL: 0, or -ENOMEM (sticky). With a
 * drain, the bytes written so far go to it first, and the buffer grows only
 * when extra alone does not fit (a drain's error is sticky too). */
int sb_grow(struct strbuf *sb, size_t extra);

/* From now on, hands the bytes to drain(ctx, buf, len) whenever the buffer
 * is full, cap bytes (at least 256), and starts again from its beginning:
 * 0 or -ENOMEM. drain returns 0 or a negative errno. */
int sb_drain_to(struct strbuf *sb, size_t cap,
		int (*drain)(void *ctx, const char *buf, size_t len), void *ctx);
/* Hands what the buffer holds to its drain now: 0, or the error (sticky). */
int sb_drain(struct strbuf *sb);

/* The appends below run for every series of a page (a million calls at
 * 10,000 cgroups): inline, with one compare on the path that has room, and
 * strlen() of a literal folded by the compiler. The bytes stay
 * NUL-terminated. */
static inline int sb_reserve(struct strbuf *sb, size_t extra)
{
	if (sb->len + extra < sb->cap)
		return 0;
	return sb_grow(sb, extra);
}

static inline void sb_append(struct strbuf *sb, const char *s, size_t n)
{
	if (sb_reserve(sb, n) < 0)
		return;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

static inline void sb_puts(struct strbuf *sb, const char *s)
{
	sb_append(sb, s, strlen(s));
}

static inline void sb_putc(struct strbuf *sb, char c)
{
	if (sb_reserve(sb, 1) < 0)
		return;
	sb->buf[sb->len++] = c;
	sb->buf[sb->len] = '\0';
}

void sb_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sb_u64(struct strbuf *sb, uint64_t v);
/* v / 10^digits written exactly, without trailing zeros: 1500000 usec with
 * digits 6 is "1.5". Exact, unlike going through a double. digits <= 19. */
void sb_fixed(struct strbuf *sb, uint64_t v, unsigned digits);
/* Marks the buffer failed, as an allocation failure would: for what a
 * renderer could not allocate besides it. */
void sb_fail(struct strbuf *sb);
/* 0 or -ENOMEM if any append failed. */
int sb_error(const struct strbuf *sb);
/* Gives up ownership of the bytes (NUL-terminated); the buffer is empty after. */
char *sb_steal(struct strbuf *sb, size_t *ret_len);

#endif
