// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "lib/log.h"
#include "cgroupfs/parse.h"

int parse_duration_ms(const char *s, uint64_t *ret)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 } };
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0 || s[0] == '-' || s[0] == ' ')
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) == 0) {
			double ms = v * units[i].ms;
			if (ms < 1 || ms > 86400000.0)
				return -ERANGE;
			*ret = (uint64_t)ms;
			return 0;
		}
	}
	return -EINVAL;
}

int find_cgroup2_mount(char *ret, size_t size)
{
	char *buf = NULL;
	size_t cap = 0, len = 0;
	int fd, r;

	fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;
		if (len == cap) {
			char *p = realloc(buf, cap = cap ? cap * 2 : 16384);
			if (!p) {
				r = -ENOMEM;
				goto out;
			}
			buf = p;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	r = parse_mountinfo_cgroup2(buf, len, ret, size);
out:
	free(buf);
	close(fd);
	return r;
}

int resolve_cgroup_root(const char *flag, char *ret, size_t size)
{
	int r;

	if (flag) {
		if (strlen(flag) >= size)
			return -ENAMETOOLONG;
		strcpy(ret, flag);
		return 0;
	}
	r = find_cgroup2_mount(ret, size);
	if (r == -ENOENT)
		log_error("no cgroup2 mount in /proc/self/mountinfo: mount one, or pass --cgroup-root DIR");
	else if (r < 0)
		log_error("cannot read /proc/self/mountinfo: %s", strerror(-r));
	return r;
}

int parse_size_bytes(const char *s, size_t *ret)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end == 'i' && shift)	/* KiB, MiB, GiB */
		end++;
	if (*end == 'B')
		end++;
	if (*end || v == 0 || v > (1ULL << 30) >> shift)
		return -EINVAL;
	*ret = (size_t)(v << shift);
	return 0;
}
