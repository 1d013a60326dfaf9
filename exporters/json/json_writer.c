// SPDX-License-Identifier: GPL-2.0-only
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json/json_writer.h"
#include "lib/utf8.h"

/* Room for the ',' that may be due and n bytes more, or NULL when out of
 * memory (the strbuf remembers). One reservation per key or value, not
 * per byte: the list of 10,000 cgroups has over 3 million of them. */
static char *room(struct json_writer *w, size_t n)
{
	char *o;

	if (sb_reserve(w->sb, n + 1) < 0)
		return NULL;
	o = w->sb->buf + w->sb->len;
	if (w->comma)
		*o++ = ',';
	return o;
}

/* Ends what room() began at end; comma: whether a ',' is due next. */
static void done(struct json_writer *w, char *end, bool comma)
{
	w->sb->len = (size_t)(end - w->sb->buf);
	w->sb->buf[w->sb->len] = '\0';
	w->comma = comma;
}

static void sep(struct json_writer *w)
{
	if (w->comma)
		sb_putc(w->sb, ',');
}

/* How much of s goes out as it is: no escape, valid UTF-8. */
static size_t plain_len(const unsigned char *p, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		if (p[i] >= 0x20 && p[i] < 0x80 && p[i] != '"' && p[i] != '\\')
			i++;
		else if (p[i] >= 0x80 && (n = utf8_seq_len(p + i, len - i)) > 0 &&
			 !(n == 3 && !memcmp(p + i, UTF8_REPLACEMENT, 3)))
			i += n;
		else
			break;
	}
	return i;
}

/* The rest of s from i, which needs escapes: the escapes cJSON's
 * print_string_ptr writes, \u00XX with lowercase hex for other bytes below
 * 0x20, and lib/utf8.h's escape for bytes that are not UTF-8 and U+FFFD. */
static void put_escaped(struct strbuf *sb, const char *s, size_t len, size_t i)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t start = 0;

	while (i < len) {
		unsigned char c = p[i];
		char esc[6] = { '\\', 0 };
		size_t n = plain_len(p + i, len - i);

		if (n) {
			i += n;
			continue;
		}
		sb_append(sb, s + start, i - start);
		switch (c) {
		case '"': case '\\': esc[1] = (char)c; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			if (c < 0x20) {
				memcpy(esc + 1, "u00", 3);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 0xf];
			}
			break;
		}
		if (c >= 0x80) {
			char u[6];
			size_t e = utf8_escape_at(p + i, len - i, u, &n);

			sb_append(sb, u, e);
			start = i += n;
			continue;
		}
		sb_append(sb, esc, esc[1] == 'u' ? 6 : 2);
		start = ++i;
	}
	sb_append(sb, s + start, len - start);
}

/* "s", then ':' for a key. */
static void put_string(struct json_writer *w, const char *s, bool key)
{
	size_t len = strlen(s), plain = plain_len((const unsigned char *)s, len);
	char *o;

	if (plain == len) {
		o = room(w, len + 3);
		if (!o)
			return;
		*o++ = '"';
		memcpy(o, s, len);
		o += len;
		*o++ = '"';
		if (key)
			*o++ = ':';
		done(w, o, !key);
		return;
	}
	sep(w);
	sb_putc(w->sb, '"');
	put_escaped(w->sb, s, len, plain);
	sb_puts(w->sb, key ? "\":" : "\"");
	w->comma = !key;
}

static void put_char(struct json_writer *w, char c, bool comma)
{
	char *o = room(w, 1);

	if (!o)
		return;
	*o++ = c;
	done(w, o, comma);
}

void jw_object(struct json_writer *w)
{
	put_char(w, '{', false);
}

void jw_object_end(struct json_writer *w)
{
	w->comma = false;
	put_char(w, '}', true);
}

void jw_array(struct json_writer *w)
{
	put_char(w, '[', false);
}

void jw_array_end(struct json_writer *w)
{
	w->comma = false;
	put_char(w, ']', true);
}

void jw_key(struct json_writer *w, const char *key)
{
	put_string(w, key, true);
}

void jw_string(struct json_writer *w, const char *s)
{
	put_string(w, s, false);
}

void jw_u64(struct json_writer *w, uint64_t v)
{
	jw_fixed(w, v, 0);
}

void jw_fixed(struct json_writer *w, uint64_t v, unsigned digits)
{
	sep(w);
	sb_fixed(w->sb, v, digits);
	w->comma = true;
}

/* Does text read back as d? cJSON's compare_double: equal within one ulp of
 * the larger. */
static bool reads_back(const char *text, double d)
{
	double back, max;

	if (sscanf(text, "%lg", &back) != 1)
		return false;
	max = fabs(back) > fabs(d) ? fabs(back) : fabs(d);
	return fabs(back - d) <= max * DBL_EPSILON;
}

/* cJSON's print_number (1.7.15, Debian 12's), step by step. */
void jw_double(struct json_writer *w, double d)
{
	char buf[32], point = localeconv()->decimal_point[0];
	int n;

	if (isnan(d) || isinf(d)) {
		jw_null(w);
		return;
	}
	n = snprintf(buf, sizeof(buf), "%1.15g", d);
	if (!reads_back(buf, d))
		n = snprintf(buf, sizeof(buf), "%1.17g", d);
	/* cJSON writes '.' whatever the locale's decimal point. */
	for (int i = 0; i < n; i++)
		if (buf[i] == point)
			buf[i] = '.';
	sep(w);
	sb_append(w->sb, buf, (size_t)n);
	w->comma = true;
}

void jw_bool(struct json_writer *w, bool v)
{
	sep(w);
	sb_puts(w->sb, v ? "true" : "false");
	w->comma = true;
}

void jw_null(struct json_writer *w)
{
	sep(w);
	sb_puts(w->sb, "null");
	w->comma = true;
}

void jw_raw(struct json_writer *w, const char *text, size_t len)
{
	sep(w);
	sb_append(w->sb, text, len);
	w->comma = true;
}
