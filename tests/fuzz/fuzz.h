/* SPDX-License-Identifier: GPL-2.0-only */
/* Helpers shared by the libFuzzer targets. Each target checks invariants of
 * what the code under test returns, not only that it does not crash: a broken
 * invariant aborts, and libFuzzer saves the input as a crash. */
#ifndef CGSCOPE_FUZZ_H
#define CGSCOPE_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: invariant broken: %s\n",     \
				__FILE__, __LINE__, #cond);                  \
			abort();                                             \
		}                                                            \
	} while (0)

/* The fuzzer's bytes copied to a heap block of exactly their size, so that
 * AddressSanitizer sees any read one past the end (libFuzzer's own buffer
 * already is; the copy keeps that true for every call of a target). */
static inline char *fuzz_dup(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1);

	CHECK(p);
	if (size)
		memcpy(p, data, size);
	return p;
}

/* Strict UTF-8 (Unicode 15, table 3-7), written apart from the escaper's own
 * check so that the two do not share a mistake: the length of the well-formed
 * sequence at s, or 0 if there is none. */
static inline size_t utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t n;

	if (c <= 0x7F)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 1;
	else if (c == 0xE0)
		n = 2, lo = 0xA0;
	else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF)
		n = 2;
	else if (c == 0xED)
		n = 2, hi = 0x9F;
	else if (c == 0xF0)
		n = 3, lo = 0x90;
	else if (c >= 0xF1 && c <= 0xF3)
		n = 3;
	else if (c == 0xF4)
		n = 3, hi = 0x8F;
	else
		return 0;
	if (len - 1 < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k <= n; k++)
		if (s[k] < 0x80 || s[k] > 0xBF)
			return 0;
	return n + 1;
}

static inline bool utf8_valid(const unsigned char *s, size_t len)
{
	for (size_t i = 0, n; i < len; i += n)
		if (!(n = utf8_seq(s + i, len - i)))
			return false;
	return true;
}

#endif
