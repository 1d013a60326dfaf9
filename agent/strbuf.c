// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

void sb_free(struct strbuf *sb)
{
	free(sb->buf);
	*sb = (struct strbuf){0};
}

int sb_reserve(struct strbuf *sb, size_t extra)
{
	size_t need, cap;
	char *p;

	if (sb->failed)
		return -ENOMEM;
	need = sb->len + extra + 1;
	if (need <= sb->cap)
		return 0;
	cap = sb->cap ? sb->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(sb->buf, cap);
	if (!p) {
		sb->failed = true;
		return -ENOMEM;
	}
	sb->buf = p;
	sb->cap = cap;
	return 0;
}

void sb_append(struct strbuf *sb, const char *s, size_t n)
{
	if (sb_reserve(sb, n) < 0)
		return;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void sb_puts(struct strbuf *sb, const char *s)
{
	sb_append(sb, s, strlen(s));
}

void sb_putc(struct strbuf *sb, char c)
{
	if (sb_reserve(sb, 1) < 0)
		return;
	sb->buf[sb->len++] = c;
	sb->buf[sb->len] = '\0';
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
	char tmp[20];
	size_t n = 0;

	do {
		tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sb_append(sb, tmp + sizeof(tmp) - n, n);
}

void sb_fixed(struct strbuf *sb, uint64_t v, unsigned digits)
{
	uint64_t scale = 1, frac;
	char tmp[20];
	unsigned n;

	for (unsigned i = 0; i < digits; i++)
		scale *= 10;
	sb_u64(sb, v / scale);
	frac = v % scale;
	if (!frac)
		return;
	for (n = digits; n > 0; n--) {
		tmp[n - 1] = (char)('0' + frac % 10);
		frac /= 10;
	}
	n = digits;
	while (n > 0 && tmp[n - 1] == '0')
		n--;
	sb_putc(sb, '.');
	sb_append(sb, tmp, n);
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
