// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"

void sb_free(struct strbuf *sb)
{
	free(sb->buf);
	*sb = (struct strbuf){0};
}

void sb_fail(struct strbuf *sb)
{
	/* cap 0: the inline fast path of sb_reserve() never passes again. */
	sb->failed = true;
	sb->cap = 0;
}

int sb_drain(struct strbuf *sb)
{
	int r;

	if (sb->failed)
		return -ENOMEM;
	if (!sb->drain || !sb->len)
		return 0;
	r = sb->drain(sb->drain_ctx, sb->buf, sb->len);
	if (r < 0) {
		sb_fail(sb);
		return r;
	}
	sb->len = 0;
	sb->buf[0] = '\0';
	return 0;
}

int sb_grow(struct strbuf *sb, size_t extra)
{
	size_t need, cap;
	char *p;

	if (sb->failed)
		return -ENOMEM;
	need = sb->len + extra + 1;
	if (need <= sb->cap)
		return 0;
	if (sb->drain && sb->len) {
		if (sb_drain(sb) < 0)
			return -ENOMEM;
		need = extra + 1;
		if (need <= sb->cap)
			return 0;
	}
	cap = sb->cap ? sb->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(sb->buf, cap);
	if (!p) {
		sb_fail(sb);
		return -ENOMEM;
	}
	sb->buf = p;
	sb->cap = cap;
	return 0;
}

int sb_drain_to(struct strbuf *sb, size_t cap,
		int (*drain)(void *ctx, const char *buf, size_t len), void *ctx)
{
	if (cap < 256)
		cap = 256;
	if (sb->cap < cap && sb_grow(sb, cap - 1 - sb->len) < 0)
		return -ENOMEM;
	sb->drain = drain;
	sb->drain_ctx = ctx;
	return 0;
}

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || sb_reserve(sb, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

void sb_u64(struct strbuf *sb, uint64_t v)
{
	sb_fixed(sb, v, 0);
}

static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Right to left into one small buffer, then one append: a page writes a
 * value per series. The integer part two digits at a time. */
void sb_fixed(struct strbuf *sb, uint64_t v, unsigned digits)
{
	char tmp[48], *end = tmp + sizeof(tmp), *p = end;
	bool frac = false;

	for (unsigned i = 0; i < digits; i++) {
		char d = (char)('0' + v % 10);

		v /= 10;
		if (frac || d != '0') {
			*--p = d;
			frac = true;
		}
	}
	if (frac)
		*--p = '.';
	while (v >= 100) {
		const char *d = digit_pairs + 2 * (v % 100);

		v /= 100;
		*--p = d[1];
		*--p = d[0];
	}
	if (v >= 10) {
		*--p = digit_pairs[2 * v + 1];
		*--p = digit_pairs[2 * v];
	} else {
		*--p = (char)('0' + v);
	}
	sb_append(sb, p, (size_t)(end - p));
}

int sb_error(const struct strbuf *sb)
{
	return sb->failed ? -ENOMEM : 0;
}

char *sb_steal(struct strbuf *sb, size_t *ret_len)
{
	char *p;

	if (sb_reserve(sb, 0) < 0)
		return NULL;
	p = sb->buf;
	if (ret_len)
		*ret_len = sb->len;
	*sb = (struct strbuf){0};
	return p;
}
