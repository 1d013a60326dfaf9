// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroupfs/block_device.h"

int parse_uevent_devname(const char *buf, size_t len, char *ret, size_t size)
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		size_t n = (size_t)(eol - p);

		if (n > 8 && !memcmp(p, "DEVNAME=", 8)) {
			n -= 8;
			if (n + 6 > size)
				return -ENAMETOOLONG;
			memcpy(ret, "/dev/", 5);
			memcpy(ret + 5, p + 8, n);
			ret[5 + n] = '\0';
			return 0;
		}
		p = eol + 1;
	}
	return -ENOENT;
}

int block_device_name(uint32_t major, uint32_t minor, char *ret, size_t size)
{
	char path[64], buf[1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", major, minor);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	close(fd);
	return parse_uevent_devname(buf, (size_t)n, ret, size);
}
