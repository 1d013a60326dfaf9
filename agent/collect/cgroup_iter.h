/* SPDX-License-Identifier: GPL-2.0-only */
/* The cgroup iterator: bpf/cgscope_iter.bpf.c loaded and attached to one
 * cgroup2 directory, run once per cycle to get a record per cgroup below it
 * (itself included) without reading their files.
 *
 * Loading needs CAP_BPF and CAP_PERFMON (or root); running a session needs
 * nothing but the descriptors: kernel.unprivileged_bpf_disabled refuses
 * only BPF_MAP_CREATE and BPF_PROG_LOAD to a process without CAP_BPF (so
 * in 6.1's __sys_bpf already, the first kernel with iter/cgroup), not
 * BPF_ITER_CREATE on a link or the batch reads of a map one holds. So the
 * agent loads it as root and runs it as nobody, with no capability left
 * (tests/vm/scenarios and tests/e2e/test_collect_source.py check it). */
#ifndef CGSCOPE_CGROUP_ITER_H
#define CGSCOPE_CGROUP_ITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/cgroup_iter.h"

struct cgroup_iter;

struct cgroup_iter_opts {
	/* enum cgiter_cover bits to read; the others cost nothing. */
	uint32_t want;
	/* The cgroups below the directory now: the records of a walk's first
	 * cgroups are read in place, from an array sized for this many with
	 * room to grow (a quarter more, and 1,024); the rest are copied out of
	 * a map that grows with the tree, up to 65,536 more; past that a
	 * cgroup has no record (cgroup_iter_stats.dropped) and is read from
	 * its files. */
	uint32_t cgroups;
	/* Room for the psi totals in the records (cgroup_iter_want_psi). */
	bool psi;
};

/* Loads and attaches the iterator to the cgroup2 directory dirfd (the walk
 * starts there). -errno: -EOPNOTSUPP when the kernel has no statistics
 * flush kfunc (before 6.1: no cgroup iterator either), -EPERM without the capabilities, and libbpf's or the
 * verifier's errors (which libbpf logs through kernel_libbpf_log_to). */
int cgroup_iter_open(int dirfd, const struct cgroup_iter_opts *o, struct cgroup_iter **ret);
void cgroup_iter_free(struct cgroup_iter *it);

/* One walk of the tree, which leaves a record of each cgroup in the map;
 * cgroup_iter_stats() then says what the kernel gave. 0 or -errno. */
int cgroup_iter_walk(struct cgroup_iter *it);

/* The records of the last walk, each handed to each (with ctx), in no
 * particular order; those of cgroups that are gone are deleted. 0 or
 * -errno, in which case some records may have been handed already. */
int cgroup_iter_read(struct cgroup_iter *it,
		     void (*each)(void *ctx, const struct cgiter_rec *r), void *ctx);

/* Has the walks read the cgroups' psi totals too (only measured, against
 * the files: collect/source_check.h); only with cgroup_iter_opts.psi. */
void cgroup_iter_want_psi(struct cgroup_iter *it, bool on);

struct cgroup_iter_stats {
	uint32_t cover;		/* enum cgiter_cover: what the kernel gave, last walk */
	uint64_t sessions;	/* walks done */
	uint64_t visited;	/* cgroups of the last walk */
	uint64_t dropped;	/* of those, without a record: no room left */
	uint32_t capacity;	/* records read in place */
	uint32_t max_cgroups;	/* records in all */
	const char *flush;	/* the flush kfunc: "cgroup_rstat_flush", "css_rstat_flush" */
};

void cgroup_iter_stats(const struct cgroup_iter *it, struct cgroup_iter_stats *ret);

#endif
