/* SPDX-License-Identifier: GPL-2.0-only */
/* A thread with a descriptor table of its own.
 *
 * RLIMIT_NOFILE bounds each descriptor table, not the process. Where the hard
 * limit is below the number of files the collector reads (a host fixed at
 * 20,000 with 10,000 cgroups of 8 files each), more tables let every file
 * stay open for pread instead of being opened for each read, which costs
 * 2 to 3 times as much. The caller runs a function on the table's thread and
 * waits for it: one logical thread of control, so the caller's state needs
 * no locks, and a descriptor number is only ever used on its own table. */
#ifndef CGSCOPE_FD_TABLE_H
#define CGSCOPE_FD_TABLE_H

struct fd_table;

/* Starts the thread (named "cgscope-fds") and gives it a table that holds
 * only stdin, stdout, stderr and keep_fd, at the same numbers. -errno, e.g.
 * when unshare(CLONE_FILES) is refused. */
int fd_table_new(int keep_fd, struct fd_table **ret);

/* Runs fn(arg) on the table's thread and returns when it has returned. */
void fd_table_run(struct fd_table *t, void (*fn)(void *arg), void *arg);

/* Ends the thread; the kernel closes every descriptor of its table. */
void fd_table_free(struct fd_table *t);

#endif
