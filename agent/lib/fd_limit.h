/* SPDX-License-Identifier: GPL-2.0-only */
/* The open-file limit: the collector holds a descriptor per file per cgroup,
 * and a host with a few thousand cgroups needs more than the usual soft limit
 * of 1024. One way to raise it for every command. */
#ifndef CGSCOPE_FD_LIMIT_H
#define CGSCOPE_FD_LIMIT_H

#include <stdint.h>

/* Raises RLIMIT_NOFILE: to beyond (soft and hard) when beyond is not 0 and
 * the process may go past the hard limit (root), else the soft limit up to
 * the hard one. 0, or -errno when neither could be done (the limit then
 * stays as it was: fewer files are held, none is lost). */
int fd_limit_raise(uint64_t beyond);

#endif
