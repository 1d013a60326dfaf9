/* SPDX-License-Identifier: GPL-2.0-only */
/* Cardinality control: which cgroups of a snapshot are served.
 *
 * Applied after each collection, to what every reader is served (the page,
 * the JSON API). The collector still reads every cgroup: the ranking of
 * --max-cgroups needs the values of all of them, and a cgroup dropped in one
 * cycle keeps its rates so that it can come back in the next. It reads only
 * the files of the metric groups switched on, though (collector_new_files):
 * a ranking whose file is switched off has no data, and is skipped.
 *
 * Rules, in this order; the tree stays whole after each (a kept cgroup's
 * parent is kept, so parent ids and depths keep meaning what they say):
 *   include  fnmatch(3) globs with FNM_PATHNAME ("*" stops at "/"). A cgroup
 *            is selected when a glob matches its path or the path of one of
 *            its ancestors: "/system.slice" selects that slice and everything
 *            below it; a glob of the services of /system.slice ("*.service"
 *            as its last component) every service and what is below them. The ancestors of a selected cgroup are kept with it,
 *            up to the root. No include glob: every cgroup is selected.
 *   exclude  the same globs; a cgroup is dropped when one matches its path or
 *            an ancestor's, so a whole subtree goes. Exclude wins over include.
 *   max_depth
 *            cgroups deeper than this below the root are dropped (the root is
 *            depth 0; 1 keeps the root and its children).
 *   max_cgroups
 *            when more remain, the largest are kept: taking in turn the next
 *            largest by CPU rate (cores over the last interval; cumulative
 *            CPU time on a cgroup's first cycle) and the next largest by
 *            memory.current, each with its ancestors not yet kept, while they
 *            fit. Each ranking takes only the cgroups that have its file
 *            (cpu.stat, memory.current): one that no cgroup has data for
 *            (a hybrid host's cgroup2 has no memory.current; a group switched
 *            off) is skipped, rather than ranking all at 0 and taking them by
 *            id. Room left after both: the shallowest of the rest, then by
 *            id. The rest are counted in over_limit. */
#ifndef CGSCOPE_CGROUP_FILTER_H
#define CGSCOPE_CGROUP_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/snapshot.h"

struct cgroup_filter {
	const char *const *include;	/* globs, each starting with "/" */
	size_t n_include;
	const char *const *exclude;
	size_t n_exclude;
	int max_depth;			/* -1: no limit */
	size_t max_cgroups;		/* 0: no limit */
};

/* A filter that keeps everything: no globs, no limits. */
void cgroup_filter_init(struct cgroup_filter *f);

/* 0 if glob can be an include or exclude glob: it must start with "/" (paths
 * below the cgroup root do) and not end with "/" unless it is "/" (no path
 * does). -EINVAL otherwise. */
int cgroup_filter_check_glob(const char *glob);

struct cgroup_filter_result {
	/* Selected by include: matched, or below a match (not the ancestors
	 * kept with them); every cgroup without include globs. 0 with globs
	 * that match nothing, which serves nothing. */
	size_t included;
	size_t kept;
	size_t filtered;	/* dropped by include, exclude or max_depth */
	size_t over_limit;	/* dropped by max_cgroups */
	/* What max_cgroups ranked by, when it left any out: a ranking no
	 * cgroup has data for is skipped. */
	bool ranked_by_cpu, ranked_by_memory;
};

/* The snapshot readers should be served: a new reference to s itself when
 * the filter keeps everything, else a new snapshot with the kept cgroups, in
 * s's tree order, their io ranges and paths valid (the io array and strings
 * are copied whole). s itself is never changed: the collector keeps it to
 * compute the next cycle's rates, by index. 0 or -ENOMEM. */
int cgroup_filter_apply(const struct cgroup_filter *f, struct snapshot *s,
			struct snapshot **ret, struct cgroup_filter_result *ret_result);

#endif
