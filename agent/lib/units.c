// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/macros.h"
#include "lib/units.h"

static const struct {
	const char *name;
	uint64_t ms;
} duration_units[] = {	/* largest first: the order a duration's parts come in */
	{ "w", 7 * 86400000ull }, { "d", 86400000ull }, { "h", 3600000ull },
	{ "m", 60000ull }, { "s", 1000ull }, { "ms", 1ull },
};

#define DURATION_MAX_MS (100ull * 365 * 86400000ull)

int parse_duration_ms(const char *s, uint64_t *ret)
{
	size_t next = 0;	/* the largest unit allowed next: "1m2h" is a typo */
	double total = 0;
	const char *p = s;

	if (!*s)
		return -EINVAL;
	while (*p) {
		size_t u, ulen = 0, best = ARRAY_SIZE(duration_units);
		const char *q = p;
		char *end;
		double v;

		/* Digits and one point only: strtod would also take signs,
		 * spaces, hex, "inf" and exponents. */
		while ((*q >= '0' && *q <= '9') || *q == '.')
			q++;
		if (q == p)
			return -EINVAL;
		errno = 0;
		v = strtod(p, &end);
		if (errno || end != q)
			return -EINVAL;
		p = end;
		/* The longest unit name that matches: "ms" before "m". */
		for (u = next; u < ARRAY_SIZE(duration_units); u++) {
			size_t n = strlen(duration_units[u].name);

			if (!strncmp(p, duration_units[u].name, n) && n > ulen) {
				best = u;
				ulen = n;
			}
		}
		if (best == ARRAY_SIZE(duration_units))
			return -EINVAL;
		next = best + 1;
		total += v * (double)duration_units[best].ms;
		p += ulen;
	}
	if (total > (double)DURATION_MAX_MS || llround(total) < 1)
		return -ERANGE;
	*ret = (uint64_t)llround(total);
	return 0;
}

int format_duration_ms(uint64_t ms, char *buf, size_t size)
{
	size_t len = 0;
	int n;

	if (ms == 0)
		return snprintf(buf, size, "0s");
	for (size_t u = 0; u < ARRAY_SIZE(duration_units); u++) {
		uint64_t q = ms / duration_units[u].ms;

		if (!q)
			continue;
		n = snprintf(buf + (len < size ? len : size), len < size ? size - len : 0,
			     "%llu%s", (unsigned long long)q, duration_units[u].name);
		len += (size_t)n;
		ms -= q * duration_units[u].ms;
	}
	return (int)len;
}

int parse_size(const char *s, uint64_t *ret)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (!(*s >= '0' && *s <= '9'))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (*end == 'i' && shift)	/* KiB, MiB, GiB, TiB */
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v == 0)
		return -EINVAL;
	if (v > (1ull << 62) >> shift)
		return -ERANGE;
	*ret = (uint64_t)v << shift;
	return 0;
}

int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (!s || !(*s >= '0' && *s <= '9'))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno || v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}
