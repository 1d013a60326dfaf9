// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fileio.h"

int read_file_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
	size_t len = 0, cap;
	struct stat st;
	char *buf;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((uint64_t)st.st_size > max)
		return -EFBIG;
	/* Room for one byte past max (a file that grew past it is seen) and
	 * the NUL; a file of the size fstat gave reads in one go. */
	cap = (size_t)st.st_size + 2;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len + 1 == cap) {
			char *p;

			if (len > max)
				break;
			cap = cap > max / 2 ? max + 2 : cap * 2;
			p = realloc(buf, cap);
			if (!p) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			free(buf);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		free(buf);
		return -EFBIG;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

int write_all(int fd, const void *p, size_t n)
{
	const char *b = p;

	while (n) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* pread_all and pwrite_all: one loop, which differs only in the call and in
 * what a call that moved nothing means (the end of the file for a read; for
 * a write, nothing more will go). p is written only by pread, into the
 * caller's own non-const buffer. */
static int at_all(int fd, const char *p, size_t n, uint64_t off, bool is_write)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = is_write ? pwrite(fd, p + done, n - done, (off_t)(off + done))
				     : pread(fd, (char *)p + done, n - done, (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return is_write ? -EIO : -ENODATA;
		done += (size_t)r;
	}
	return 0;
}

int pread_all(int fd, void *p, size_t n, uint64_t off)
{
	return at_all(fd, p, n, off, false);
}

int pwrite_all(int fd, const void *p, size_t n, uint64_t off)
{
	return at_all(fd, p, n, off, true);
}
