/* SPDX-License-Identifier: GPL-2.0-only */
/* Loading fixture files in unit tests. Paths start at the source tree the
 * test was built from (CGSCOPE_SRCDIR, unit.h), whatever the working
 * directory. */
#ifndef CGSCOPE_TEST_FIXTURE_H
#define CGSCOPE_TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "unit.h"

#define FIXTURES CGSCOPE_SRCDIR "/tests/fixtures/cgroupfs"
#define V2 FIXTURES "/linux-6.1-v2"
#define HYBRID FIXTURES "/linux-6.18-hybrid"

/* The whole file, NUL-terminated for convenience (parsers do not need it). */
static inline char *fixture_read(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (!f) {
		fprintf(stderr, "cannot open fixture %s\n", path);
		abort();
	}
	buf = malloc(1 << 20);
	n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	buf[n] = '\0';
	*ret_len = n;
	return buf;
}

#endif
