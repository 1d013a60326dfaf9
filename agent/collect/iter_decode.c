// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "collect/iter_decode.h"
#include "lib/macros.h"

#define B(f) (1u << (f))

const struct iter_group_desc iter_groups[IG_NR] = {
	[IG_CGROUP] = { "cgroup", B(F_CGROUP_EVENTS) | B(F_CGROUP_STAT) | B(F_CGROUP_FREEZE),
			CGITER_COVER_CGROUP },
	[IG_CPU] = { "cpu", B(F_CPU_STAT) | B(F_CPU_MAX) | B(F_CPU_WEIGHT), CGITER_COVER_CPU },
	[IG_MEMORY] = { "memory",
			B(F_MEMORY_CURRENT) | B(F_MEMORY_PEAK) | B(F_MEMORY_MAX) | B(F_MEMORY_HIGH) |
			B(F_MEMORY_LOW) | B(F_MEMORY_MIN), CGITER_COVER_MEMORY },
	[IG_MEMORY_EVENTS] = { "memory.events", B(F_MEMORY_EVENTS) | B(F_MEMORY_EVENTS_LOCAL),
			       CGITER_COVER_MEMORY_EVENTS },
	[IG_MEMORY_STAT] = { "memory.stat", B(F_MEMORY_STAT), CGITER_COVER_MEMORY_STAT },
	[IG_MEMORY_SWAP] = { "memory.swap",
			     B(F_MEMORY_SWAP_CURRENT) | B(F_MEMORY_SWAP_MAX) | B(F_MEMORY_SWAP_EVENTS),
			     CGITER_COVER_MEMORY_SWAP },
	[IG_PIDS] = { "pids", B(F_PIDS_CURRENT) | B(F_PIDS_MAX) | B(F_PIDS_PEAK) | B(F_PIDS_EVENTS),
		      CGITER_COVER_PIDS },
	[IG_IO] = { "io", B(F_IO_STAT), 0 },
	[IG_PRESSURE] = { "pressure",
			  B(F_CPU_PRESSURE) | B(F_MEMORY_PRESSURE) | B(F_IO_PRESSURE) | B(F_IRQ_PRESSURE),
			  0 },
};

uint32_t iter_groups_of(uint32_t files)
{
	uint32_t g = 0;

	for (int i = 0; i < IG_NR; i++)
		if (iter_groups[i].files & files)
			g |= 1u << i;
	return g;
}

uint32_t iter_groups_files(uint32_t groups)
{
	uint32_t f = 0;

	for (int i = 0; i < IG_NR; i++)
		if ((groups >> i) & 1)
			f |= iter_groups[i].files;
	return f;
}

uint32_t iter_cover_files(uint32_t cover, uint32_t files)
{
	uint32_t out = 0;

	for (int g = 0; g < IG_NR; g++)
		if (iter_groups[g].cover && (cover & iter_groups[g].cover))
			out |= iter_groups[g].files;
	return out & files;
}

void iter_cputime_adjust(uint64_t rtime, uint64_t utime, uint64_t stime,
			 struct cputime_prev *prev, uint64_t *ret_utime, uint64_t *ret_stime)
{
	/* The kernel's filter for a runtime that did not grow. */
	if (prev->stime + prev->utime >= rtime)
		goto out;
	if (stime == 0) {
		utime = rtime;
	} else if (utime == 0) {
		stime = rtime;
	} else {
		/* mul_u64_u64_div_u64(), exact on x86-64 (mulq, divq). */
		stime = (uint64_t)((unsigned __int128)stime * rtime / ((unsigned __int128)stime + utime));
		if (stime > rtime)
			stime = rtime;
	}
	if (stime < prev->stime)
		stime = prev->stime;
	utime = rtime - stime;
	if (utime < prev->utime) {
		utime = prev->utime;
		stime = rtime - utime;
	}
	prev->stime = stime;
	prev->utime = utime;
out:
	*ret_utime = prev->utime;
	*ret_stime = prev->stime;
}

uint64_t iter_cpu_weight(uint64_t shares)
{
	/* scale_load_down() on 64-bit (SCHED_FIXEDPOINT_SHIFT 10), then
	 * sched_weight_to_cgroup(): DIV_ROUND_CLOSEST(w * 100, 1024) kept in
	 * [1, 10000] (6.12; 6.1 had no clamp, and no weight it can set falls
	 * outside). */
	uint64_t w = shares, cg;

	if (w) {
		w >>= 10;
		if (w < 2)
			w = 2;
	}
	cg = (w * 100 + 512) / 1024;
	return cg < 1 ? 1 : cg > 10000 ? 10000 : cg;
}

/* memory.stat: where each item goes, and its unit. */
enum unit { U_PAGES, U_BYTES, U_KB, U_COUNT };

static const struct {
	const char *key;
	enum unit unit;
} memstat_items[CGITER_MS_NR] = {
	[CGITER_MS_ANON] = { "anon", U_PAGES },
	[CGITER_MS_FILE] = { "file", U_PAGES },
	[CGITER_MS_KERNEL] = { "kernel", U_PAGES },
	[CGITER_MS_KERNEL_STACK] = { "kernel_stack", U_KB },
	[CGITER_MS_PAGETABLES] = { "pagetables", U_PAGES },
	[CGITER_MS_SEC_PAGETABLES] = { "sec_pagetables", U_PAGES },
	[CGITER_MS_PERCPU] = { "percpu", U_BYTES },
	[CGITER_MS_SOCK] = { "sock", U_PAGES },
	[CGITER_MS_VMALLOC] = { "vmalloc", U_PAGES },
	[CGITER_MS_SHMEM] = { "shmem", U_PAGES },
	[CGITER_MS_ZSWAP] = { "zswap", U_BYTES },
	[CGITER_MS_ZSWAPPED] = { "zswapped", U_PAGES },
	[CGITER_MS_FILE_MAPPED] = { "file_mapped", U_PAGES },
	[CGITER_MS_FILE_DIRTY] = { "file_dirty", U_PAGES },
	[CGITER_MS_FILE_WRITEBACK] = { "file_writeback", U_PAGES },
	[CGITER_MS_SWAPCACHED] = { "swapcached", U_PAGES },
	[CGITER_MS_ANON_THP] = { "anon_thp", U_PAGES },
	[CGITER_MS_FILE_THP] = { "file_thp", U_PAGES },
	[CGITER_MS_SHMEM_THP] = { "shmem_thp", U_PAGES },
	[CGITER_MS_INACTIVE_ANON] = { "inactive_anon", U_PAGES },
	[CGITER_MS_ACTIVE_ANON] = { "active_anon", U_PAGES },
	[CGITER_MS_INACTIVE_FILE] = { "inactive_file", U_PAGES },
	[CGITER_MS_ACTIVE_FILE] = { "active_file", U_PAGES },
	[CGITER_MS_UNEVICTABLE] = { "unevictable", U_PAGES },
	[CGITER_MS_SLAB_RECLAIMABLE] = { "slab_reclaimable", U_BYTES },
	[CGITER_MS_SLAB_UNRECLAIMABLE] = { "slab_unreclaimable", U_BYTES },
	[CGITER_MS_WORKINGSET_REFAULT_ANON] = { "workingset_refault_anon", U_COUNT },
	[CGITER_MS_WORKINGSET_REFAULT_FILE] = { "workingset_refault_file", U_COUNT },
	[CGITER_MS_WORKINGSET_ACTIVATE_ANON] = { "workingset_activate_anon", U_COUNT },
	[CGITER_MS_WORKINGSET_ACTIVATE_FILE] = { "workingset_activate_file", U_COUNT },
	[CGITER_MS_WORKINGSET_RESTORE_ANON] = { "workingset_restore_anon", U_COUNT },
	[CGITER_MS_WORKINGSET_RESTORE_FILE] = { "workingset_restore_file", U_COUNT },
	[CGITER_MS_WORKINGSET_NODERECLAIM] = { "workingset_nodereclaim", U_COUNT },
	[CGITER_MS_PGSCAN_KSWAPD] = { "pgscan_kswapd", U_COUNT },
	[CGITER_MS_PGSCAN_DIRECT] = { "pgscan_direct", U_COUNT },
	[CGITER_MS_PGSTEAL_KSWAPD] = { "pgsteal_kswapd", U_COUNT },
	[CGITER_MS_PGSTEAL_DIRECT] = { "pgsteal_direct", U_COUNT },
	[CGITER_MS_PGFAULT] = { "pgfault", U_COUNT },
	[CGITER_MS_PGMAJFAULT] = { "pgmajfault", U_COUNT },
	[CGITER_MS_PGREFILL] = { "pgrefill", U_COUNT },
	[CGITER_MS_PGACTIVATE] = { "pgactivate", U_COUNT },
	[CGITER_MS_PGDEACTIVATE] = { "pgdeactivate", U_COUNT },
	[CGITER_MS_PGLAZYFREE] = { "pglazyfree", U_COUNT },
	[CGITER_MS_PGLAZYFREED] = { "pglazyfreed", U_COUNT },
	[CGITER_MS_ZSWPIN] = { "zswpin", U_COUNT },
	[CGITER_MS_ZSWPOUT] = { "zswpout", U_COUNT },
	[CGITER_MS_THP_FAULT_ALLOC] = { "thp_fault_alloc", U_COUNT },
	[CGITER_MS_THP_COLLAPSE_ALLOC] = { "thp_collapse_alloc", U_COUNT },
};

/* memory_stat_keys[] index of each item, and of the keys made of sums;
 * -1 for one the table lacks. Found by name once: the two tables are kept
 * apart (the kernel's 6.1 items here, every kernel's keys there). */
static int memstat_key[CGITER_MS_NR];
static int key_slab = -1, key_pgscan = -1, key_pgsteal = -1;
static int memstat_ready;

static int key_index(const char *name)
{
	for (int k = 0; k < MEMSTAT_NR; k++)
		if (!strcmp(memory_stat_keys[k], name))
			return k;
	return -1;
}

static void memstat_init(void)
{
	/* Idempotent: two threads racing here write the same values. */
	for (int i = 0; i < CGITER_MS_NR; i++)
		memstat_key[i] = key_index(memstat_items[i].key);
	key_slab = key_index("slab");
	key_pgscan = key_index("pgscan");
	key_pgsteal = key_index("pgsteal");
	__atomic_store_n(&memstat_ready, 1, __ATOMIC_RELEASE);
}

static uint64_t scaled(uint64_t raw, enum unit u, uint64_t page_size)
{
	switch (u) {
	case U_PAGES: return raw * page_size;
	case U_KB: return raw * 1024;
	default: return raw;
	}
}

static uint64_t sum2(uint64_t a, uint64_t b)
{
	return a == CGITER_UNSET || b == CGITER_UNSET ? CG_UNSET : a + b;
}

static int decode_memstat(const struct cgiter_rec *r, uint64_t page_size, uint64_t *row)
{
	if (!__atomic_load_n(&memstat_ready, __ATOMIC_ACQUIRE))
		memstat_init();
	for (int k = 0; k < MEMSTAT_NR; k++)
		row[k] = CG_UNSET;
	for (int i = 0; i < CGITER_MS_NR; i++)
		if (memstat_key[i] >= 0 && r->memstat[i] != CGITER_UNSET)
			row[memstat_key[i]] = scaled(r->memstat[i], memstat_items[i].unit, page_size);
	if (key_slab >= 0)
		row[key_slab] = sum2(r->memstat[CGITER_MS_SLAB_RECLAIMABLE],
				     r->memstat[CGITER_MS_SLAB_UNRECLAIMABLE]);
	if (key_pgscan >= 0)
		row[key_pgscan] = sum2(r->memstat[CGITER_MS_PGSCAN_KSWAPD],
				       r->memstat[CGITER_MS_PGSCAN_DIRECT]);
	if (key_pgsteal >= 0)
		row[key_pgsteal] = sum2(r->memstat[CGITER_MS_PGSTEAL_KSWAPD],
					r->memstat[CGITER_MS_PGSTEAL_DIRECT]);
	return 0;
}

/* A page counter's value as memory.current and the like print it. */
static uint64_t pages(uint64_t raw, uint64_t page_size)
{
	return raw * page_size;
}

/* A limit: "max" at PAGE_COUNTER_MAX (LONG_MAX / PAGE_SIZE). */
static uint64_t page_limit(uint64_t raw, uint64_t page_size)
{
	return raw == (uint64_t)LONG_MAX / page_size ? CG_MAX : raw * page_size;
}

/* PIDS_MAX: PID_MAX_LIMIT + 1, PID_MAX_LIMIT being 4M on 64-bit. */
#define PIDS_MAX (4u * 1024 * 1024 + 1)
/* RUNTIME_INF: no quota. */
#define RUNTIME_INF CGITER_UNSET

static void set(struct cgroup_values *v, enum cg_file f)
{
	v->present |= 1u << f;
}

int iter_decode(const struct cgiter_rec *r, uint32_t files, uint64_t page_size,
		struct cputime_prev *prev, struct cgroup_values *v, struct value_arrays *a,
		uint32_t *ret_unknown)
{
	bool nonroot = r->level > 0;
	bool cpu = nonroot && (r->controllers & CGITER_CTL_CPU) && (r->have & CGITER_HAVE_CPU_CTL);
	bool mem_visible = (r->controllers & CGITER_CTL_MEMORY) && (r->have & CGITER_HAVE_MEMORY);
	bool mem = nonroot && mem_visible;
	bool swap = mem && (r->have & CGITER_HAVE_SWAP);
	bool pids = nonroot && (r->controllers & CGITER_CTL_PIDS) && (r->have & CGITER_HAVE_PIDS);
#define WANT(f) ((files >> (f)) & 1)

	if (WANT(F_CGROUP_EVENTS) && nonroot) {
		v->events[CGEV_POPULATED] = !!(r->flags & CGITER_POPULATED);
		v->events[CGEV_FROZEN] = !!(r->flags & CGITER_FROZEN);
		set(v, F_CGROUP_EVENTS);
	}
	if (WANT(F_CGROUP_STAT)) {
		v->stat[CGSTAT_DESCENDANTS] = r->nr_descendants;
		v->stat[CGSTAT_DYING_DESCENDANTS] = r->nr_dying_descendants;
		set(v, F_CGROUP_STAT);
	}
	if (WANT(F_CGROUP_FREEZE) && nonroot) {
		v->freeze = !!(r->flags & CGITER_FREEZE);
		set(v, F_CGROUP_FREEZE);
	}
	*ret_unknown = WANT(F_CPU_STAT) && !nonroot ? 1u << F_CPU_STAT : 0;
	if (WANT(F_CPU_STAT) && (r->have & CGITER_HAVE_CPU_STAT)) {
		uint64_t ut = r->utime_ns, st = r->stime_ns;

		if (r->have & CGITER_HAVE_CPU_SCALE) {
			/* The newer of the kernel's last clamp (a read of the
			 * file since ours) and ours: both only move forward,
			 * and their sums grow with time. */
			struct cputime_prev kp = { r->prev_utime_ns, r->prev_stime_ns };

			if (kp.utime + kp.stime > prev->utime + prev->stime)
				*prev = kp;
			iter_cputime_adjust(r->sum_exec_ns, r->utime_ns, r->stime_ns, prev, &ut, &st);
		}
		for (int k = 0; k < CPU_NR; k++)
			v->cpu[k] = CG_UNSET;
		v->cpu[CPU_USAGE] = r->sum_exec_ns / 1000;
		v->cpu[CPU_USER] = ut / 1000;
		v->cpu[CPU_SYSTEM] = st / 1000;
		if (r->have & CGITER_HAVE_CPU_BW) {
			v->cpu[CPU_PERIODS] = r->nr_periods;
			v->cpu[CPU_THROTTLED] = r->nr_throttled;
			v->cpu[CPU_THROTTLED_USEC] = r->throttled_ns / 1000;
			if (r->nr_bursts != CGITER_UNSET) {
				v->cpu[CPU_BURSTS] = r->nr_bursts;
				v->cpu[CPU_BURST_USEC] = r->burst_ns / 1000;
			}
		}
		if (r->forceidle_ns != CGITER_UNSET)
			v->cpu[CPU_FORCE_IDLE] = r->forceidle_ns / 1000;
		set(v, F_CPU_STAT);
	}
	if (WANT(F_CPU_MAX) && cpu) {
		v->cpu_quota = r->quota_ns == RUNTIME_INF ? CG_MAX : r->quota_ns / 1000;
		v->cpu_period = r->period_ns / 1000;
		set(v, F_CPU_MAX);
	}
	if (WANT(F_CPU_WEIGHT) && cpu) {
		v->cpu_weight = iter_cpu_weight(r->shares);
		set(v, F_CPU_WEIGHT);
	}
	if (mem) {
		const struct { enum cg_file f; uint64_t *dst; uint64_t raw; bool limit; } m[] = {
			{ F_MEMORY_CURRENT, &v->mem_current, r->mem_usage, false },
			{ F_MEMORY_PEAK, &v->mem_peak, r->mem_watermark, false },
			{ F_MEMORY_MAX, &v->mem_max, r->mem_max, true },
			{ F_MEMORY_HIGH, &v->mem_high, r->mem_high, true },
			{ F_MEMORY_LOW, &v->mem_low, r->mem_low, true },
			{ F_MEMORY_MIN, &v->mem_min, r->mem_min, true },
		};

		for (size_t i = 0; i < ARRAY_SIZE(m); i++) {
			if (!WANT(m[i].f) || m[i].raw == CGITER_UNSET)
				continue;
			*m[i].dst = m[i].limit ? page_limit(m[i].raw, page_size) : pages(m[i].raw, page_size);
			set(v, m[i].f);
		}
		_Static_assert((int)CGITER_MEMEV_NR == (int)MEMEV_NR, "memory.events keys");
		if (WANT(F_MEMORY_EVENTS) && r->mem_events[CGITER_MEMEV_LOW] != CGITER_UNSET) {
			for (int k = 0; k < MEMEV_NR; k++)
				v->mem_events[k] = r->mem_events[k];
			set(v, F_MEMORY_EVENTS);
		}
		if (WANT(F_MEMORY_EVENTS_LOCAL) &&
		    r->mem_events_local[CGITER_MEMEV_LOW] != CGITER_UNSET) {
			for (int k = 0; k < MEMEV_NR; k++)
				v->mem_events_local[k] = r->mem_events_local[k];
			set(v, F_MEMORY_EVENTS_LOCAL);
		}
	}
	if (swap) {
		if (WANT(F_MEMORY_SWAP_CURRENT) && r->swap_usage != CGITER_UNSET) {
			v->swap_current = pages(r->swap_usage, page_size);
			set(v, F_MEMORY_SWAP_CURRENT);
		}
		if (WANT(F_MEMORY_SWAP_MAX) && r->swap_max != CGITER_UNSET) {
			v->swap_max = page_limit(r->swap_max, page_size);
			set(v, F_MEMORY_SWAP_MAX);
		}
		_Static_assert((int)CGITER_SWAPEV_NR == (int)SWAPEV_NR, "memory.swap.events keys");
		if (WANT(F_MEMORY_SWAP_EVENTS) && r->swap_events[CGITER_SWAPEV_HIGH] != CGITER_UNSET) {
			for (int k = 0; k < SWAPEV_NR; k++)
				v->swap_events[k] = r->swap_events[k];
			set(v, F_MEMORY_SWAP_EVENTS);
		}
	}
	/* memory.stat is on the root too. */
	if (WANT(F_MEMORY_STAT) && mem_visible && (r->have & CGITER_HAVE_MEMSTAT)) {
		uint32_t row;
		int e = stat_rows_add(a->mem_stat, &row);

		if (e < 0)
			return e;
		decode_memstat(r, page_size, a->mem_stat->rows[row]);
		v->mem_stat_row = row;
		set(v, F_MEMORY_STAT);
	}
	if (pids) {
		if (WANT(F_PIDS_CURRENT)) {
			v->pids_current = r->pids_current;
			set(v, F_PIDS_CURRENT);
		}
		if (WANT(F_PIDS_MAX)) {
			v->pids_max = r->pids_limit >= PIDS_MAX ? CG_MAX : r->pids_limit;
			set(v, F_PIDS_MAX);
		}
		if (WANT(F_PIDS_PEAK) && r->pids_peak != CGITER_UNSET) {
			v->pids_peak = r->pids_peak;
			set(v, F_PIDS_PEAK);
		}
		if (WANT(F_PIDS_EVENTS)) {
			v->pids_events[PIDSEV_MAX] = r->pids_events_max;
			v->pids_events[PIDSEV_MAX_IMPOSED] = CG_UNSET;
			set(v, F_PIDS_EVENTS);
		}
	}
#undef WANT
	return 0;
}
