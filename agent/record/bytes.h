/* SPDX-License-Identifier: GPL-2.0-only */
/* Little-endian integers, varints and strings, written into a strbuf and read
 * back from a bounded buffer. The reader never reads past its end: a short or
 * malformed input sets `bad` and every later read gives 0, so that a decoder
 * checks once, at the end of what it read, whether it all was there. */
#ifndef CGSCOPE_RECORD_BYTES_H
#define CGSCOPE_RECORD_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/strbuf.h"

static inline void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* Signed differences as small unsigned numbers: 0, -1, 1, -2 ... -> 0, 1, 2, 3. */
static inline uint64_t zigzag(uint64_t delta)
{
	return (delta << 1) ^ (uint64_t)((int64_t)delta >> 63);
}

static inline uint64_t unzigzag(uint64_t z)
{
	return (z >> 1) ^ (uint64_t)-(int64_t)(z & 1);
}

/* LEB128: 7 bits a byte, low first. */
static inline void sb_varint(struct strbuf *sb, uint64_t v)
{
	uint8_t b[10];
	size_t n = 0;

	while (v >= 0x80) {
		b[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b[n++] = (uint8_t)v;
	sb_append(sb, (const char *)b, n);
}

/* The same into a buffer with room for 10 bytes: how many were written. */
static inline size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static inline void sb_bytes(struct strbuf *sb, const void *p, size_t n)
{
	sb_varint(sb, n);
	sb_append(sb, p, n);
}

static inline void sb_str(struct strbuf *sb, const char *s)
{
	sb_bytes(sb, s, strlen(s));
}

struct rbuf {
	const uint8_t *p, *end;
	bool bad;
};

static inline struct rbuf rbuf_of(const void *p, size_t len)
{
	return (struct rbuf){ .p = p, .end = (const uint8_t *)p + len };
}

static inline size_t rb_left(const struct rbuf *r)
{
	return r->bad ? 0 : (size_t)(r->end - r->p);
}

static inline uint64_t rb_varint(struct rbuf *r)
{
	uint64_t v = 0;

	for (unsigned shift = 0; !r->bad; shift += 7) {
		uint8_t b;

		if (r->p >= r->end || shift > 63) {
			r->bad = true;
			break;
		}
		b = *r->p++;
		if (shift == 63 && b > 1) {	/* past 64 bits */
			r->bad = true;
			break;
		}
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	return 0;
}

static inline uint8_t rb_u8(struct rbuf *r)
{
	if (r->bad || r->p >= r->end) {
		r->bad = true;
		return 0;
	}
	return *r->p++;
}

/* n bytes in place, NULL (and bad) if there are fewer. */
static inline const uint8_t *rb_take(struct rbuf *r, size_t n)
{
	const uint8_t *p = r->p;

	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		return NULL;
	}
	r->p += n;
	return p;
}

/* A length-prefixed byte string in place; *ret_len its length. */
static inline const uint8_t *rb_bytes(struct rbuf *r, size_t *ret_len)
{
	uint64_t n = rb_varint(r);
	const uint8_t *p = n <= rb_left(r) ? rb_take(r, (size_t)n) : (r->bad = true, NULL);

	*ret_len = p ? (size_t)n : 0;
	return p;
}

/* A length-prefixed string copied into buf[size], NUL-terminated, cut to
 * fit (a string from a file is never trusted to fit). */
static inline void rb_str(struct rbuf *r, char *buf, size_t size)
{
	size_t n;
	const uint8_t *p = rb_bytes(r, &n);

	if (!size)
		return;
	if (n >= size)
		n = size - 1;
	if (p && n)
		memcpy(buf, p, n);
	buf[p ? n : 0] = '\0';
}

#endif
