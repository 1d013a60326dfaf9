/* SPDX-License-Identifier: GPL-2.0-only */
/* One collection cycle: read the tree, then render the pages every reader
 * will be served, so that no reader ever renders or reads cgroupfs. */
#ifndef CGSCOPE_CYCLE_H
#define CGSCOPE_CYCLE_H

#include "collect/cgroup_filter.h"
#include "collect/collector.h"
#include "collect/container_names.h"
#include "collect/snapshot.h"

enum compat { COMPAT_NONE, COMPAT_CADVISOR };

/* --compat's words, "none" and "cadvisor": 0 or -EINVAL. */
int compat_parse(const char *name, enum compat *ret);

struct cycle_opts {
	struct cgroup_filter filter;	/* cgroup_filter_init(): serve everything */
	enum compat compat;		/* COMPAT_CADVISOR: add cAdvisor's families */
	/* Names of containers from the runtime's state; NULL for none. */
	struct container_names_cache *names;
	/* Adds to the snapshot before it is rendered (kernel events); NULL
	 * for none. */
	void (*enrich)(void *ctx, struct snapshot *s);
	void *enrich_ctx;
};

/* A cycle with the defaults: everything served, cgscope's names only. */
int cycle_run(struct collector *c, struct snapshot **ret);

/* The snapshot served is the filter's (a copy when it drops anything: the
 * collector keeps its own to compute the next cycle's rates, by index), its
 * page has cgscope's families, cgroup_info, cgscope_cgroups_dropped, and
 * cAdvisor's with COMPAT_CADVISOR (which are also its cadvisor page, for
 * /metrics/cadvisor). ret_result, if not NULL, says what the
 * filter left out. */
int cycle_run_opts(struct collector *c, const struct cycle_opts *o, struct snapshot **ret,
		   struct cgroup_filter_result *ret_result);

#endif
