/* SPDX-License-Identifier: GPL-2.0-only */
/* The cgroup iterator's records (bpf/cgroup_iter.h) turned into the values
 * the files would have given: which files the cgroup has, and what each
 * would say. Pure functions over a record, for the collector and the tests.
 *
 * The units and conversions are the kernel's own: pages times the page
 * size, "max" for a page counter at PAGE_COUNTER_MAX and for pids at
 * PIDS_MAX, ns divided down to us, cpu.weight from the task group's shares,
 * and cpu.stat's user and system scaled to its usage as cputime_adjust()
 * does, never going backwards. */
#ifndef CGSCOPE_ITER_DECODE_H
#define CGSCOPE_ITER_DECODE_H

#include <stdint.h>

#include "bpf/cgroup_iter.h"
#include "cgroupfs/cgroup_values.h"

/* The groups of files a source serves, each all or nothing: the metric
 * groups of collect/metric_groups.h with the nested ones carved out
 * ("memory" is memory.current, .peak and the limits). The iterator serves
 * the first seven where the kernel lets it; io and pressure are always
 * read from their files. */
enum iter_group {
	IG_CGROUP, IG_CPU, IG_MEMORY, IG_MEMORY_EVENTS, IG_MEMORY_STAT, IG_MEMORY_SWAP,
	IG_PIDS, IG_IO, IG_PRESSURE, IG_NR
};

struct iter_group_desc {
	const char *name;	/* as in cgscope_collect_source_info{group=} */
	uint32_t files;		/* bits (1 << enum cg_file) */
	uint32_t cover;		/* the enum cgiter_cover bit that gives it; 0: none */
};

/* The groups (bits 1 << enum iter_group) with a file in files. */
uint32_t iter_groups_of(uint32_t files);
/* Their files. */
uint32_t iter_groups_files(uint32_t groups);

extern const struct iter_group_desc iter_groups[IG_NR];

/* The files the iterator serves when the kernel gave cover (enum
 * cgiter_cover), of those in files. */
uint32_t iter_cover_files(uint32_t cover, uint32_t files);

/* The last user and system times given for a cgroup (ns), so that they
 * never go backwards; zero for a cgroup not seen before. */
struct cputime_prev {
	uint64_t utime, stime;
};

/* cputime_adjust() of kernel/sched/cputime.c, from prev, without its lock:
 * user and system scaled so that they add up to rtime, each at least what
 * prev said. Updates prev. */
void iter_cputime_adjust(uint64_t rtime, uint64_t utime, uint64_t stime,
			 struct cputime_prev *prev, uint64_t *ret_utime, uint64_t *ret_stime);

/* cpu.weight from task_group::shares (64-bit kernels: scaled load). */
uint64_t iter_cpu_weight(uint64_t shares);

/* Fills v with the files of files (bits (1 << enum cg_file)) that the cgroup
 * of r has, as its files would say them, and sets their present bits;
 * memory.stat goes to a new row of a->mem_stat. prev: the cgroup's last
 * cpu.stat times (read and updated). page_size: the kernel's. The files of
 * files the record cannot speak for (cpu.stat of the hierarchy's root, the
 * whole machine's) are left out and said in *ret_unknown: read them from
 * the files. 0 or -ENOMEM. */
int iter_decode(const struct cgiter_rec *r, uint32_t files, uint64_t page_size,
		struct cputime_prev *prev, struct cgroup_values *v, struct value_arrays *a,
		uint32_t *ret_unknown);

#endif
