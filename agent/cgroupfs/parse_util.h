/* SPDX-License-Identifier: GPL-2.0-only */
/* Helpers private to the parsers. */
#ifndef CGSCOPE_PARSE_UTIL_H
#define CGSCOPE_PARSE_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Decimal digits at s: their value in *ret and how many there were (0 for
 * none, or on overflow). */
size_t parse_u64_prefix(const char *s, size_t len, uint64_t *ret);

#endif
