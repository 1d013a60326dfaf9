/* SPDX-License-Identifier: GPL-2.0-only */
/* Durations and sizes as people type them on a command line. One syntax for
 * every flag of every command. */
#ifndef CGSCOPE_UNITS_H
#define CGSCOPE_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* A duration as Prometheus writes them: one or more NUMBER UNIT pairs, units
 * ms, s, m, h, d (24 h), w (7 d), largest first: "1s", "500ms", "2m30s",
 * "1h30m", "7d", "1.5s". Milliseconds in *ret. -EINVAL when it is not such a
 * duration, -ERANGE past 100 years or when it rounds to 0 ms. */
int parse_duration_ms(const char *s, uint64_t *ret);

/* Bytes: a whole number with an optional suffix K, M, G or T (powers of 1024,
 * "KiB", "MB" and "M" alike, lower case too): "4096", "64k", "1MiB", "10G".
 * -EINVAL when it is not such a size or is 0, -ERANGE past 2^62. */
int parse_size(const char *s, uint64_t *ret);

/* A whole number from min to max: -EINVAL when it is not one (signs, spaces,
 * suffixes, NULL: a query argument that is absent), -ERANGE outside. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

/* Writes ms as the shortest duration that parse_duration_ms reads back:
 * "1s", "2m30s", "500ms". Returns what snprintf returns. */
int format_duration_ms(uint64_t ms, char *buf, size_t size);

#endif
