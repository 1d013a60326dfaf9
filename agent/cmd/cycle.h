/* SPDX-License-Identifier: GPL-2.0-only */
/* One collection cycle: read the tree, then render the pages every reader
 * will be served, so that no reader ever renders or reads cgroupfs. The
 * page is rendered by one function from a snapshot and what the page shows
 * besides it, for the agent and for `cgscope dump --replay` alike. */
#ifndef CGSCOPE_CYCLE_H
#define CGSCOPE_CYCLE_H

#include "collect/cgroup_filter.h"
#include "collect/collector.h"
#include "collect/container_names.h"
#include "collect/snapshot.h"
#include "prom/cadvisor_text.h"
#include "record/record_status.h"

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
	/* The recorder's families as of this cycle; NULL: no recorder. */
	const struct record_status *record;
	/* Names devices for cAdvisor's labels; NULL: block_device_name. */
	cadvisor_devname_fn devname;
	/* The page is rendered this many bytes at a time (0: PAGE_CHUNK). */
	size_t page_chunk;
};

/* What a page shows besides its snapshot. */
struct cycle_page {
	struct cgroup_filter_result filter;	/* what was left out */
	enum compat compat;
	const struct record_status *record;	/* NULL: no recorder families */
	cadvisor_devname_fn devname;		/* NULL: block_device_name */
	size_t cadvisor_off;			/* out: where cAdvisor's families
						   begin; SIZE_MAX for none */
	/* sb is this writer's (collect/snapshot.h): the page compressed as it
	 * is written, cAdvisor's families its PAGE_CADVISOR part. NULL: sb is
	 * any buffer, the page its text (dump --replay). */
	struct page_writer *writer;
};

/* The page of s: cgscope's families, cgroup_info, cgscope_cgroups_dropped,
 * the recorder's, and cAdvisor's with COMPAT_CADVISOR. 0 or -ENOMEM. */
int cycle_render(const struct snapshot *s, struct cycle_page *p, struct strbuf *sb);

/* A cycle with the defaults: everything served, cgscope's names only. */
int cycle_run(struct collector *c, struct snapshot **ret);

/* The snapshot served is the filter's (a copy when it drops anything: the
 * collector keeps its own to compute the next cycle's rates, by index), its
 * page (s->page, kept compressed) made by cycle_render, whose cAdvisor
 * families are also its PAGE_CADVISOR part, for /metrics/cadvisor.
 * ret_result, if not NULL, says what the filter left out. */
int cycle_run_opts(struct collector *c, const struct cycle_opts *o, struct snapshot **ret,
		   struct cgroup_filter_result *ret_result);

#endif
