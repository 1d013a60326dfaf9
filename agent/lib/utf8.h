/* SPDX-License-Identifier: GPL-2.0-only */
/* Cgroup names are bytes: Prometheus, JSON and the terminal want UTF-8.
 *
 * One escape serves every output (Prometheus labels, JSON strings, top, event
 * lines), so that a name reads the same everywhere and two cgroups never
 * share one: each byte that is not part of valid UTF-8 becomes U+FFFD
 * followed by the byte's value in two lowercase hex digits, and a U+FFFD that
 * the name itself holds is written twice. "bad\xff" is "bad\uFFFDff", a name
 * that holds U+FFFD, "ff" is "bad\uFFFD\uFFFDff": after a U+FFFD comes either
 * a second one or two hex digits, so the escape can be undone
 * (utf8_unescape) and names that differ stay different. A name of valid
 * UTF-8 without U+FFFD, which is every name in practice, is left as it is. */
#ifndef CGSCOPE_UTF8_H
#define CGSCOPE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/strbuf.h"

#define UTF8_REPLACEMENT "\xEF\xBF\xBD"		/* U+FFFD */
#define UTF8_ESCAPE_MAX 5			/* U+FFFD and two hex digits */

/* Length of the valid UTF-8 sequence at s (1 to 4), or 0 if there is none:
 * overlong forms, surrogates and code points past U+10FFFF are invalid. */
size_t utf8_seq_len(const unsigned char *s, size_t len);

/* Is s[0..len) all valid UTF-8? */
int utf8_valid(const char *s, size_t len);

/* How the character or byte at s goes out under the escape: 0 when as it is
 * (*ret_n bytes of s, a valid sequence other than U+FFFD), else the length of
 * its escape written to out (U+FFFD twice for a U+FFFD of s, *ret_n = 3;
 * U+FFFD and two hex digits for a byte that is not UTF-8, *ret_n = 1). */
size_t utf8_escape_at(const unsigned char *s, size_t len, char out[2 * 3], size_t *ret_n);

/* Appends the escape of s[0..len). */
void utf8_escape(struct strbuf *sb, const char *s, size_t len);

/* Does s[0..len) need the escape (bytes that are not UTF-8, or U+FFFD)? */
bool utf8_needs_escape(const char *s, size_t len);

/* Undoes utf8_escape: the name's bytes into sb. -EINVAL when s is not the
 * escape of any name (a U+FFFD followed by neither U+FFFD nor two hex
 * digits). */
int utf8_unescape(struct strbuf *sb, const char *s, size_t len);

#endif
