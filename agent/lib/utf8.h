/* SPDX-License-Identifier: GPL-2.0-only */
/* Cgroup names are bytes: Prometheus and JSON both want UTF-8. */
#ifndef CGSCOPE_UTF8_H
#define CGSCOPE_UTF8_H

#include <stddef.h>

#include "lib/strbuf.h"

/* Length of the valid UTF-8 sequence at s (1 to 4), or 0 if there is none:
 * overlong forms, surrogates and code points past U+10FFFF are invalid. */
size_t utf8_seq_len(const unsigned char *s, size_t len);

/* Is s[0..len) all valid UTF-8? */
int utf8_valid(const char *s, size_t len);

/* Appends s with every byte that is not part of valid UTF-8 replaced by
 * U+FFFD. */
void utf8_sanitize(struct strbuf *sb, const char *s, size_t len);

#endif
