/* SPDX-License-Identifier: GPL-2.0-only */
/* What the collector reads from one cgroup in one cycle, and the table of the
 * files it comes from. Values stay in the kernel's units (usec, bytes, counts);
 * the exporters convert to base units. */
#ifndef CGSCOPE_CGROUP_VALUES_H
#define CGSCOPE_CGROUP_VALUES_H

#include <stddef.h>
#include <stdint.h>

#include "cgroupfs/parse.h"

/* Every file the collector reads, in the order of its passes. */
enum cg_file {
	F_CGROUP_EVENTS, F_CGROUP_STAT, F_CGROUP_FREEZE,
	F_CPU_STAT, F_CPU_MAX, F_CPU_WEIGHT,
	F_MEMORY_CURRENT, F_MEMORY_PEAK, F_MEMORY_MAX, F_MEMORY_HIGH,
	F_MEMORY_LOW, F_MEMORY_MIN, F_MEMORY_EVENTS, F_MEMORY_EVENTS_LOCAL,
	F_MEMORY_STAT, F_MEMORY_SWAP_CURRENT, F_MEMORY_SWAP_MAX,
	F_MEMORY_SWAP_EVENTS, F_IO_STAT,
	F_PIDS_CURRENT, F_PIDS_MAX, F_PIDS_PEAK, F_PIDS_EVENTS,
	F_CPU_PRESSURE, F_MEMORY_PRESSURE, F_IO_PRESSURE, F_IRQ_PRESSURE,
	F_NR
};

enum { CGEV_POPULATED, CGEV_FROZEN, CGEV_NR };
enum { CGSTAT_DESCENDANTS, CGSTAT_DYING_DESCENDANTS, CGSTAT_NR };
enum {
	CPU_USAGE, CPU_USER, CPU_SYSTEM, CPU_PERIODS, CPU_THROTTLED,
	CPU_THROTTLED_USEC, CPU_BURSTS, CPU_BURST_USEC, CPU_FORCE_IDLE, CPU_NR
};
enum { MEMEV_LOW, MEMEV_HIGH, MEMEV_MAX, MEMEV_OOM, MEMEV_OOM_KILL,
       MEMEV_OOM_GROUP_KILL, MEMEV_SOCK_THROTTLED, MEMEV_NR };
enum { SWAPEV_HIGH, SWAPEV_MAX, SWAPEV_FAIL, SWAPEV_NR };
enum { PIDSEV_MAX, PIDSEV_MAX_IMPOSED, PIDSEV_NR };
enum { PSI_CPU, PSI_MEMORY, PSI_IO, PSI_IRQ, PSI_NR };

/* memory.stat keys: the byte-valued ones first, the event counters from
 * MEMSTAT_FIRST_EVENT on. Keys a kernel adds that are not here are skipped. */
#define MEMSTAT_NR 72
#define MEMSTAT_FIRST_EVENT 28
#define MEMSTAT_INACTIVE_FILE 21

extern const char *const cgroup_events_keys[CGEV_NR];
extern const char *const cgroup_stat_keys[CGSTAT_NR];
extern const char *const cpu_stat_keys[CPU_NR];
extern const char *const memory_events_keys[MEMEV_NR];
extern const char *const swap_events_keys[SWAPEV_NR];
extern const char *const pids_events_keys[PIDSEV_NR];
extern const char *const memory_stat_keys[MEMSTAT_NR];
extern const char *const psi_resource_names[PSI_NR];

struct cgroup_values {
	uint32_t present;		/* bit (1 << enum cg_file): read and parsed */
	uint64_t events[CGEV_NR];
	uint64_t stat[CGSTAT_NR];
	uint64_t freeze;
	uint64_t cpu[CPU_NR];
	uint64_t cpu_quota, cpu_period;	/* cpu.max; quota CG_MAX: unlimited */
	uint64_t cpu_weight;
	uint64_t mem_current, mem_peak, mem_max, mem_high, mem_low, mem_min;
	uint64_t mem_events[MEMEV_NR], mem_events_local[MEMEV_NR];
	uint32_t mem_stat_row;		/* memory.stat: a row of the snapshot's */
	uint64_t swap_current, swap_max, swap_events[SWAPEV_NR];
	uint64_t pids_current, pids_max, pids_peak, pids_events[PIDSEV_NR];
	struct psi psi[PSI_NR];
	uint32_t io_first, io_count;	/* a range of the snapshot's io array */
};

/* Every file of the table. */
#define CG_FILES_ALL ((uint32_t)((1ull << F_NR) - 1))

static inline int cg_has(const struct cgroup_values *v, enum cg_file f)
{
	return (v->present >> f) & 1;
}

/* A growable array of io.stat lines, shared by all cgroups of a snapshot. */
struct io_array {
	struct io_dev_stat *items;
	uint32_t len, cap;
};

/* The memory.stat values of a snapshot, a row (576 bytes) per cgroup that
 * has the file: in each cgroup's sample they doubled its size, on hosts
 * where no cgroup has them too (a hybrid host's cgroup2 tree). */
struct stat_rows {
	uint64_t (*rows)[MEMSTAT_NR];
	uint32_t len, cap;
};

/* A new row at the end, its contents undefined: 0 and its index in *ret,
 * or -ENOMEM. */
int stat_rows_add(struct stat_rows *r, uint32_t *ret);

/* Where a file's values go that are not in the cgroup's own sample. */
struct value_arrays {
	struct io_array *io;
	struct stat_rows *mem_stat;
};

struct cg_file_desc {
	const char *name;
	/* The controller that must be in cgroup.controllers for the file to
	 * exist; NULL for files every cgroup has. */
	const char *controller;
	/* Parses buf and stores the result in v (and a); -EINVAL if
	 * malformed. */
	int (*store)(const char *buf, size_t len, struct cgroup_values *v,
		     struct value_arrays *a);
};

extern const struct cg_file_desc cg_files[F_NR];

#endif
