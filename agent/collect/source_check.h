/* SPDX-License-Identifier: GPL-2.0-only */
/* The cgroup iterator checked against the files, value by value, on the
 * running kernel: every cgroup's files read, the iterator's walk, the files
 * read again, and each value of the iterator's groups compared with the two
 * reads around it:
 *
 *   - which files a cgroup has: the same (where both reads agree);
 *   - limits, settings and cgroup.freeze: equal (where both reads agree);
 *   - counters (usage, events, peaks): between the two reads; user and
 *     system time within the usage that passed between them, as cpu.stat
 *     scales them to it;
 *   - levels (memory.current, populated, ...): within the two reads,
 *     widened by how far they moved apart.
 *
 * A group with a value out of bounds in every round is one the iterator
 * cannot be trusted with on this kernel: the agent reads it from its files.
 * PSI totals are measured too (how far the iterator's lag behind the files'),
 * never served. */
#ifndef CGSCOPE_SOURCE_CHECK_H
#define CGSCOPE_SOURCE_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "collect/cgroup_iter.h"
#include "collect/iter_decode.h"

struct source_mismatch {
	char path[256];		/* the cgroup */
	int file;		/* enum cg_file */
	char key[48];		/* the value's key ("user_usec"), or "present" */
	uint64_t a, b, c;	/* file, iterator, file (CG_UNSET: none) */
};

struct source_check {
	uint32_t groups;	/* checked: bits 1 << enum iter_group */
	uint32_t bad;		/* of those, out of bounds in every round */
	int rounds;		/* rounds run */
	size_t cgroups;		/* cgroups compared in the last round */
	/* Of the last round: */
	uint64_t values;	/* values compared */
	uint64_t mismatches[IG_NR];	/* values out of bounds */
	struct source_mismatch first[IG_NR];	/* one of them */
	/* PSI (not served): total_usec of the files minus the iterator's, the
	 * largest over cgroups and resources, against the read before the walk
	 * and the one after (a negative first figure: the iterator was ahead
	 * of the earlier read). */
	uint64_t psi_values;
	int64_t psi_lag_before_max, psi_lag_after_max;
	int64_t psi_lag_before_min;
	uint64_t psi_behind;	/* values where the iterator was behind the earlier read */
};

/* One cgroup's values from one source: its values and memory.stat row. */
struct source_values {
	const struct cgroup_values *v;
	const uint64_t *mem_stat;	/* NULL without memory.stat */
};

/* Compares the iterator's values b of one cgroup with the files' a (read
 * before) and c (after), for the files of files, by the rules above.
 * Returns the groups (bits 1 << enum iter_group) with a value out of
 * bounds, adds the values compared to *ret_values and, when ret_first is
 * not NULL, says the first value out of bounds there (its path is left
 * alone). */
uint32_t source_check_cgroup(const struct source_values *a, const struct source_values *b,
			     const struct source_values *c, uint32_t files, uint64_t *ret_values,
			     struct source_mismatch *ret_first);

/* Checks the groups (bits 1 << enum iter_group) of the tree at root that
 * the iterator it serves on this kernel, in up to rounds rounds (a round
 * with no mismatch ends it). 0, or -errno when the files or the iterator
 * could not be read at all. */
int source_check_run(const char *root, struct cgroup_iter *it, uint32_t groups, int rounds,
		     struct source_check *ret);

#endif
