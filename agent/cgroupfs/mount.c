// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "cgroupfs/mount.h"
#include "cgroupfs/parse.h"

int cgroup2_mount_find(char *ret, size_t size)
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
