// SPDX-License-Identifier: GPL-2.0-only
/* Files that hold one value, and the number syntax all parsers share. */
#include <errno.h>
#include <string.h>

#include "cgroupfs/parse.h"
#include "cgroupfs/parse_util.h"

size_t parse_u64_prefix(const char *s, size_t len, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return 0;	/* overflow: malformed, not wrapped */
		v = v * 10 + d;
	}
	if (i)
		*ret = v;
	return i;
}

int parse_u64_or_max(const char *buf, size_t len, uint64_t *ret)
{
	uint64_t v;
	size_t n;

	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		len--;
	if (len == 3 && memcmp(buf, "max", 3) == 0) {
		*ret = CG_MAX;
		return 0;
	}
	n = parse_u64_prefix(buf, len, &v);
	if (!n || n != len)
		return -EINVAL;
	*ret = v;
	return 0;
}

int parse_cpu_max(const char *buf, size_t len, uint64_t *ret_quota,
		  uint64_t *ret_period)
{
	const char *sp = memchr(buf, ' ', len);
	uint64_t quota, period;
	int r;

	if (!sp)
		return -EINVAL;
	r = parse_u64_or_max(buf, (size_t)(sp - buf), &quota);
	if (r < 0)
		return r;
	r = parse_u64_or_max(sp + 1, len - (size_t)(sp + 1 - buf), &period);
	if (r < 0 || period == CG_MAX || period == 0)
		return -EINVAL;
	*ret_quota = quota;
	*ret_period = period;
	return 0;
}
