/* SPDX-License-Identifier: GPL-2.0-only */
/* A growable byte buffer for rendering pages. An allocation failure is sticky:
 * appends after it do nothing and sb_error() says so once at the end, so that
 * renderers need not check every call. */
#ifndef CGSCOPE_STRBUF_H
#define CGSCOPE_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf {
	char *buf;
	size_t len, cap;
	bool failed;
};

void sb_free(struct strbuf *sb);
int sb_reserve(struct strbuf *sb, size_t extra);
void sb_append(struct strbuf *sb, const char *s, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
void sb_putc(struct strbuf *sb, char c);
void sb_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sb_u64(struct strbuf *sb, uint64_t v);
/* v / 10^digits written exactly, without trailing zeros: 1500000 usec with
 * digits 6 is "1.5". Exact, unlike going through a double. */
void sb_fixed(struct strbuf *sb, uint64_t v, unsigned digits);
/* 0 or -ENOMEM if any append failed. */
int sb_error(const struct strbuf *sb);
/* Gives up ownership of the bytes (NUL-terminated); the buffer is empty after. */
char *sb_steal(struct strbuf *sb, size_t *ret_len);

#endif
