/* SPDX-License-Identifier: GPL-2.0-only */
/* Whole reads and writes on a descriptor: one way to do each, with one set of
 * answers for short reads and writes, EINTR and files that are not files. */
#ifndef CGSCOPE_FILEIO_H
#define CGSCOPE_FILEIO_H

#include <stddef.h>
#include <stdint.h>

/* The whole of the regular file open at fd (read from where fd stands; fd
 * stays open), at most max bytes, in a malloc'd buffer with a NUL after it
 * (not counted in *ret_len). -EISDIR for a directory, -EINVAL for any other
 * file that is not regular (a FIFO or a device has no whole to read), -EFBIG
 * past max (also when it grew past max while read), -ENOMEM, or -errno of a
 * failed read: a read error is never taken for the end of the file. Open the
 * file with O_NONBLOCK, so that a FIFO cannot hang the open itself. */
int read_file_fd(int fd, size_t max, char **ret, size_t *ret_len);

/* Writes all n bytes, again after a short write or EINTR. 0, or -errno (-EIO
 * when write() wrote nothing). Async-signal-safe: write() only. */
int write_all(int fd, const void *p, size_t n);

/* Reads all n bytes at offset off (the file offset does not move), again
 * after a short read or EINTR. 0, -ENODATA when the file ends before n
 * bytes, or -errno. */
int pread_all(int fd, void *p, size_t n, uint64_t off);

/* Writes all n bytes at offset off (the file offset does not move), again
 * after a short write or EINTR. 0, or -errno (-EIO when pwrite() wrote
 * nothing). */
int pwrite_all(int fd, const void *p, size_t n, uint64_t off);

#endif
