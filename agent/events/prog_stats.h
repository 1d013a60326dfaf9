/* SPDX-License-Identifier: GPL-2.0-only */
/* The kernel's run statistics of one BPF program: what the loader reports
 * of its programs, and what the benchmark's own programs (tests/bench
 * netcost, evcost) are measured by. One way to read them, so that both
 * read the same figures. */
#ifndef CGSCOPE_PROG_STATS_H
#define CGSCOPE_PROG_STATS_H

#include <stdint.h>

struct prog_stats {
	uint64_t run_time_ns;	/* 0 when the kernel keeps no statistics */
	uint64_t run_cnt;
	uint64_t recursion_misses;	/* runs skipped because it was already running on that CPU */
};

/* Of the program open at fd: from /proc/self/fdinfo, which, unlike
 * BPF_OBJ_GET_INFO_BY_FD, still answers after the process dropped its
 * privileges on kernels that refuse bpf() to unprivileged processes; from
 * BPF_OBJ_GET_INFO_BY_FD where fdinfo has no run_time_ns and run_cnt.
 * 0, or -errno of the second way. */
int prog_stats_read(int fd, struct prog_stats *ret);

#endif
