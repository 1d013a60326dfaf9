/* SPDX-License-Identifier: GPL-2.0-only */
/* A whole small file into memory: a config, a TLS key, a container runtime's
 * state file. One way to do it, with one set of answers for what is not such
 * a file. */
#ifndef CGSCOPE_READ_FILE_H
#define CGSCOPE_READ_FILE_H

#include <stddef.h>

/* The whole of the regular file open at fd (read from where fd stands; fd
 * stays open), at most max bytes, in a malloc'd buffer with a NUL after it
 * (not counted in *ret_len). -EISDIR for a directory, -EINVAL for any other
 * file that is not regular (a FIFO or a device has no whole to read), -EFBIG
 * past max (also when it grew past max while read), -ENOMEM, or -errno of a
 * failed read: a read error is never taken for the end of the file. Open the
 * file with O_NONBLOCK, so that a FIFO cannot hang the open itself. */
int read_file_fd(int fd, size_t max, char **ret, size_t *ret_len);

#endif
