// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/utf8.h"

size_t utf8_seq_len(const unsigned char *s, size_t len)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2, cp = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3, cp = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

int utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0, n; i < len; i += n)
		if ((n = utf8_seq_len(p + i, len - i)) == 0)
			return 0;
	return 1;
}

static bool is_replacement(const unsigned char *s, size_t len)
{
	return len >= 3 && s[0] == 0xEF && s[1] == 0xBF && s[2] == 0xBD;
}

size_t utf8_escape_at(const unsigned char *s, size_t len, char out[2 * 3], size_t *ret_n)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = utf8_seq_len(s, len);

	if (n == 0) {
		memcpy(out, UTF8_REPLACEMENT, 3);
		out[3] = hex[s[0] >> 4];
		out[4] = hex[s[0] & 0xf];
		*ret_n = 1;
		return 5;
	}
	*ret_n = n;
	if (n == 3 && is_replacement(s, len)) {
		memcpy(out, UTF8_REPLACEMENT UTF8_REPLACEMENT, 6);
		return 6;
	}
	return 0;
}

bool utf8_needs_escape(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0, n; i < len; i += n) {
		if (p[i] < 0x80) {
			n = 1;
			continue;
		}
		n = utf8_seq_len(p + i, len - i);
		if (n == 0 || is_replacement(p + i, len - i))
			return true;
	}
	return false;
}

void utf8_escape(struct strbuf *sb, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start = 0, n;
	char esc[6];

	while (i < len) {
		size_t e = p[i] < 0x80 ? (n = 1, 0) : utf8_escape_at(p + i, len - i, esc, &n);

		if (e) {
			sb_append(sb, s + start, i - start);
			sb_append(sb, esc, e);
			start = i + n;
		}
		i += n;
	}
	sb_append(sb, s + start, len - start);
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int utf8_unescape(struct strbuf *sb, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start = 0;

	while (i < len) {
		int hi, lo;

		if (!is_replacement(p + i, len - i)) {
			i++;
			continue;
		}
		sb_append(sb, s + start, i - start);
		if (is_replacement(p + i + 3, len - i - 3)) {
			sb_append(sb, UTF8_REPLACEMENT, 3);
			i += 6;
		} else if (len - i >= 5 && (hi = hexval(p[i + 3])) >= 0 && (lo = hexval(p[i + 4])) >= 0) {
			sb_putc(sb, (char)(hi << 4 | lo));
			i += 5;
		} else {
			return -EINVAL;
		}
		start = i;
	}
	sb_append(sb, s + start, len - start);
	return sb_error(sb);
}
