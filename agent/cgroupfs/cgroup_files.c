// SPDX-License-Identifier: GPL-2.0-only
/* Which files the collector reads, what their keys are, and where each value
 * goes in struct cgroup_values. */
#include <errno.h>
#include <stdlib.h>

#include "cgroupfs/cgroup_values.h"
#include "lib/macros.h"

const char *const cgroup_events_keys[] = { "populated", "frozen" };
const char *const cgroup_stat_keys[] = {
	"nr_descendants", "nr_dying_descendants",
};
const char *const cpu_stat_keys[] = {
	"usage_usec", "user_usec", "system_usec", "nr_periods", "nr_throttled",
	"throttled_usec", "nr_bursts", "burst_usec", "core_sched.force_idle_usec",
};
const char *const memory_events_keys[] = {
	"low", "high", "max", "oom", "oom_kill", "oom_group_kill", "sock_throttled",
};
const char *const swap_events_keys[] = { "high", "max", "fail" };
const char *const pids_events_keys[] = { "max", "max.imposed" };
const char *const psi_resource_names[] = { "cpu", "memory", "io", "irq" };

/* Sized by the header: a key added or lost here fails to compile.
 * In the kernel's order (mm/memcontrol.c, memory_stats[] then the vm events),
 * which makes parse_keyed's next-key guess right nearly every line. */
const char *const memory_stat_keys[] = {
	/* bytes */
	"anon", "file", "kernel", "kernel_stack", "pagetables", "sec_pagetables",
	"percpu", "sock", "vmalloc", "shmem", "zswap", "zswapped", "file_mapped",
	"file_dirty", "file_writeback", "swapcached", "anon_thp", "file_thp",
	"shmem_thp", "inactive_anon", "active_anon", "inactive_file",
	"active_file", "unevictable", "slab_reclaimable", "slab_unreclaimable",
	"hugetlb", "slab",
	/* event counters */
	"workingset_refault_anon", "workingset_refault_file",
	"workingset_activate_anon", "workingset_activate_file",
	"workingset_restore_anon", "workingset_restore_file",
	"workingset_nodereclaim", "pgdemote_kswapd", "pgdemote_direct",
	"pgdemote_khugepaged", "pgdemote_proactive", "pgpromote_success",
	"pgscan", "pgsteal", "pgscan_kswapd", "pgscan_direct",
	"pgscan_khugepaged", "pgscan_proactive", "pgsteal_kswapd",
	"pgsteal_direct", "pgsteal_khugepaged", "pgsteal_proactive", "pgfault",
	"pgmajfault", "pgrefill", "pgactivate", "pgdeactivate", "pglazyfree",
	"pglazyfreed", "swpin_zero", "swpout_zero", "zswpin", "zswpout",
	"zswpwb", "thp_fault_alloc", "thp_collapse_alloc", "thp_swpout",
	"thp_swpout_fallback", "numa_pages_migrated", "numa_pte_updates",
	"numa_hint_faults", "thp_split_pmd", "thp_deferred_split_page",
	"hugetlb_faults",
};

#define KEYED(fn, field, keys)                                               \
	static int fn(const char *buf, size_t len, struct cgroup_values *v,  \
		      struct value_arrays *a)                                \
	{                                                                    \
		(void)a;                                                     \
		int r = parse_keyed(buf, len, keys,                          \
				    ARRAY_SIZE(v->field),  \
				    v->field);                               \
		return r < 0 ? r : 0;                                        \
	}

#define SCALAR(fn, field)                                                    \
	static int fn(const char *buf, size_t len, struct cgroup_values *v,  \
		      struct value_arrays *a)                                \
	{                                                                    \
		(void)a;                                                     \
		return parse_u64_or_max(buf, len, &v->field);                \
	}

KEYED(store_cgroup_events, events, cgroup_events_keys)
KEYED(store_cgroup_stat, stat, cgroup_stat_keys)
KEYED(store_cpu_stat, cpu, cpu_stat_keys)
KEYED(store_memory_events, mem_events, memory_events_keys)
KEYED(store_memory_events_local, mem_events_local, memory_events_keys)
KEYED(store_swap_events, swap_events, swap_events_keys)
KEYED(store_pids_events, pids_events, pids_events_keys)
SCALAR(store_freeze, freeze)
SCALAR(store_cpu_weight, cpu_weight)
SCALAR(store_mem_current, mem_current)
SCALAR(store_mem_peak, mem_peak)
SCALAR(store_mem_max, mem_max)
SCALAR(store_mem_high, mem_high)
SCALAR(store_mem_low, mem_low)
SCALAR(store_mem_min, mem_min)
SCALAR(store_swap_current, swap_current)
SCALAR(store_swap_max, swap_max)
SCALAR(store_pids_current, pids_current)
SCALAR(store_pids_max, pids_max)
SCALAR(store_pids_peak, pids_peak)

int stat_rows_add(struct stat_rows *r, uint32_t *ret)
{
	if (r->len == r->cap) {
		uint32_t cap = r->cap ? r->cap * 2 : 64;
		void *p = realloc(r->rows, sizeof(*r->rows) * cap);

		if (!p)
			return -ENOMEM;
		r->rows = p;
		r->cap = cap;
	}
	*ret = r->len++;
	return 0;
}

static int store_memory_stat(const char *buf, size_t len, struct cgroup_values *v,
			     struct value_arrays *a)
{
	uint32_t row;
	int r = stat_rows_add(a->mem_stat, &row);

	if (r < 0)
		return r;
	r = parse_keyed(buf, len, memory_stat_keys, MEMSTAT_NR, a->mem_stat->rows[row]);
	if (r < 0) {
		a->mem_stat->len--;	/* the row is the last: give it back */
		return r;
	}
	v->mem_stat_row = row;
	return 0;
}

static int store_cpu_max(const char *buf, size_t len, struct cgroup_values *v,
			 struct value_arrays *a)
{
	(void)a;
	return parse_cpu_max(buf, len, &v->cpu_quota, &v->cpu_period);
}

static int store_io_stat(const char *buf, size_t len, struct cgroup_values *v,
			 struct value_arrays *a)
{
	struct io_array *io = a->io;
	uint32_t room = io->cap - io->len;
	/* Not items + len while items is NULL (no io.stat seen yet this cycle):
	 * NULL + 0 is undefined in C, and UBSan stops on it. */
	int n = parse_io_stat(buf, len, io->items ? io->items + io->len : NULL, room);

	if (n < 0)
		return n;
	if ((uint32_t)n > room) {
		uint32_t cap = io->cap ? io->cap : 64;
		struct io_dev_stat *p;

		while (cap - io->len < (uint32_t)n)
			cap *= 2;
		p = realloc(io->items, sizeof(*p) * cap);
		if (!p)
			return -ENOMEM;
		io->items = p;
		io->cap = cap;
		n = parse_io_stat(buf, len, io->items + io->len, (size_t)n);
	}
	v->io_first = io->len;
	v->io_count = (uint32_t)n;
	io->len += (uint32_t)n;
	return 0;
}

#define PRESSURE(fn, idx)                                                    \
	static int fn(const char *buf, size_t len, struct cgroup_values *v,  \
		      struct value_arrays *a)                                \
	{                                                                    \
		(void)a;                                                     \
		return parse_pressure(buf, len, &v->psi[idx]);               \
	}
PRESSURE(store_cpu_pressure, PSI_CPU)
PRESSURE(store_memory_pressure, PSI_MEMORY)
PRESSURE(store_io_pressure, PSI_IO)
PRESSURE(store_irq_pressure, PSI_IRQ)

const struct cg_file_desc cg_files[F_NR] = {
	[F_CGROUP_EVENTS] = { "cgroup.events", NULL, store_cgroup_events },
	[F_CGROUP_STAT] = { "cgroup.stat", NULL, store_cgroup_stat },
	[F_CGROUP_FREEZE] = { "cgroup.freeze", NULL, store_freeze },
	[F_CPU_STAT] = { "cpu.stat", NULL, store_cpu_stat },
	[F_CPU_MAX] = { "cpu.max", "cpu", store_cpu_max },
	[F_CPU_WEIGHT] = { "cpu.weight", "cpu", store_cpu_weight },
	[F_MEMORY_CURRENT] = { "memory.current", "memory", store_mem_current },
	[F_MEMORY_PEAK] = { "memory.peak", "memory", store_mem_peak },
	[F_MEMORY_MAX] = { "memory.max", "memory", store_mem_max },
	[F_MEMORY_HIGH] = { "memory.high", "memory", store_mem_high },
	[F_MEMORY_LOW] = { "memory.low", "memory", store_mem_low },
	[F_MEMORY_MIN] = { "memory.min", "memory", store_mem_min },
	[F_MEMORY_EVENTS] = { "memory.events", "memory", store_memory_events },
	[F_MEMORY_EVENTS_LOCAL] = { "memory.events.local", "memory", store_memory_events_local },
	[F_MEMORY_STAT] = { "memory.stat", "memory", store_memory_stat },
	[F_MEMORY_SWAP_CURRENT] = { "memory.swap.current", "memory", store_swap_current },
	[F_MEMORY_SWAP_MAX] = { "memory.swap.max", "memory", store_swap_max },
	[F_MEMORY_SWAP_EVENTS] = { "memory.swap.events", "memory", store_swap_events },
	[F_IO_STAT] = { "io.stat", "io", store_io_stat },
	[F_PIDS_CURRENT] = { "pids.current", "pids", store_pids_current },
	[F_PIDS_MAX] = { "pids.max", "pids", store_pids_max },
	[F_PIDS_PEAK] = { "pids.peak", "pids", store_pids_peak },
	[F_PIDS_EVENTS] = { "pids.events", "pids", store_pids_events },
	[F_CPU_PRESSURE] = { "cpu.pressure", NULL, store_cpu_pressure },
	[F_MEMORY_PRESSURE] = { "memory.pressure", NULL, store_memory_pressure },
	[F_IO_PRESSURE] = { "io.pressure", NULL, store_io_pressure },
	[F_IRQ_PRESSURE] = { "irq.pressure", NULL, store_irq_pressure },
};
