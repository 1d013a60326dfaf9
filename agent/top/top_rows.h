/* SPDX-License-Identifier: GPL-2.0-only */
/* The values `cgscope top` shows for each cgroup, worked out from two
 * snapshots (the current one and the one before, for what grew in between).
 * Pure: the same code serves the local cgroupfs and an agent's JSON. */
#ifndef CGSCOPE_TOP_ROWS_H
#define CGSCOPE_TOP_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/snapshot.h"

/* A count that cannot be shown: the file is absent (no such controller on
 * this host) or there is no earlier snapshot to compare with. */
#define TOP_NA UINT64_MAX

struct top_row {
	const char *path;		/* into the current snapshot */
	/* Who runs in it (collect/container_names.h), "" when unknown: into
	 * the current snapshot too. */
	const char *namespace_, *pod, *container, *image;
	uint64_t id, parent_id;
	uint32_t depth;
	size_t parent;			/* row index of the parent; SIZE_MAX for none */
	uint64_t tasks;			/* TOP_NA */
	/* Percentages and rates: NaN when they cannot be known. */
	double cpu_pct;			/* of one core */
	double throttled_pct;		/* of CFS periods, since the previous snapshot */
	uint64_t mem;			/* memory.current; TOP_NA */
	double mem_pct;			/* of memory.max; NaN when unlimited */
	double psi_mem;			/* memory.pressure some avg10, percent */
	double io_read, io_write;	/* bytes per second */
	uint64_t oom_kills;		/* memory.events oom_kill; TOP_NA */
	uint64_t oom_new;		/* growth since the previous snapshot; TOP_NA */
	uint64_t high_new, max_new;	/* memory.events high/max growth; TOP_NA */
	/* Network bytes per second of the cgroup's subtree (the agent's
	 * cgroup_skb counters, issue 20): NaN without them (local top loads
	 * no BPF) or without an earlier snapshot. */
	double net_rx, net_tx;
};

struct top_totals {
	size_t cgroups;
	double cpu_pct;			/* the root's, else the sum of depth 1; NaN */
	uint64_t mem;			/* the sum of depth 1 memory.current; TOP_NA */
};

/* One row per cgroup of cur, in cur's tree order. prev may be NULL (the
 * first frame): what grows then shows as unknown. tasks, if not NULL, has
 * cur->n counts that stand in where pids.current is absent (TOP_NA for
 * none). The rows point into cur, which must outlive them. */
int top_rows_build(const struct snapshot *cur, const struct snapshot *prev,
		   const uint64_t *tasks, struct top_row **ret, size_t *ret_n);

void top_totals(const struct top_row *rows, size_t n, struct top_totals *ret);

/* Snapshots list cgroups in tree order: this maps an id to its index in
 * one, for comparing two snapshots and finding parents. */
struct top_id_map {
	struct { uint64_t id; size_t idx; } *items;
	size_t n;
};
int top_id_map_build(const struct snapshot *s, struct top_id_map *ret);
/* SIZE_MAX when the id is not there. */
size_t top_id_map_find(const struct top_id_map *m, uint64_t id);
void top_id_map_free(struct top_id_map *m);

#endif
