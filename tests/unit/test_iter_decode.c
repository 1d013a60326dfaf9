// SPDX-License-Identifier: GPL-2.0-only
/* The cgroup iterator's records into the files' values (collect/
 * iter_decode.c), and the rules the agent checks them against the files by
 * (collect/source_check.c): the kernel's conversions, the files each cgroup
 * has, cpu.stat's scaled user and system that never go backwards. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "collect/iter_decode.h"
#include "collect/source_check.h"

#define PAGE 4096ull
#define B(f) (1u << (f))

static void rec_init(struct cgiter_rec *r, uint32_t level, uint32_t controllers, uint32_t have)
{
	memset(r, 0xff, sizeof(*r));	/* every value CGITER_UNSET */
	r->id = 1234;
	r->gen = 1;
	r->level = level;
	r->controllers = controllers;
	r->have = have;
	r->flags = 0;
	r->nr_descendants = 2;
	r->nr_dying_descendants = 1;
}

struct out {
	struct cgroup_values v;
	struct stat_rows rows;
	struct io_array io;
	uint32_t unknown;
};

static void decode(const struct cgiter_rec *r, uint32_t files, struct cputime_prev *prev,
		   struct out *o)
{
	struct cputime_prev p0 = { 0, 0 };

	memset(&o->v, 0, sizeof(o->v));
	assert_int_equal(iter_decode(r, files, PAGE, prev ? prev : &p0, &o->v,
				     &(struct value_arrays){ &o->io, &o->rows }, &o->unknown), 0);
}

static void test_cputime_adjust(void **state)
{
	struct cputime_prev p = { 0, 0 };
	uint64_t ut, st;

	(void)state;
	/* Only ticks of user time: all of the runtime is user's. */
	iter_cputime_adjust(1000, 5, 0, &p, &ut, &st);
	assert_int_equal(ut, 1000);
	assert_int_equal(st, 0);
	/* Scaled to the runtime by the ticks' ratio: 3:1 of 2000. */
	p = (struct cputime_prev){ 0, 0 };
	iter_cputime_adjust(2000, 1, 3, &p, &ut, &st);
	assert_int_equal(st, 1500);
	assert_int_equal(ut, 500);
	/* The ratio shifts towards user: system stays at what was said, user
	 * takes the rest. */
	iter_cputime_adjust(3000, 3, 1, &p, &ut, &st);
	assert_int_equal(st, 1500);
	assert_int_equal(ut, 1500);
	/* A runtime that did not grow: the last figures. */
	iter_cputime_adjust(2900, 1, 1, &p, &ut, &st);
	assert_int_equal(ut, 1500);
	assert_int_equal(st, 1500);
	/* Figures past 64 bits in the product (mul_u64_u64_div_u64). */
	p = (struct cputime_prev){ 0, 0 };
	iter_cputime_adjust(4000000000000000000ull, 3000000000000000000ull,
			    1000000000000000000ull, &p, &ut, &st);
	assert_int_equal(st, 1000000000000000000ull);
	assert_int_equal(ut, 3000000000000000000ull);
}

static void test_cpu_weight(void **state)
{
	(void)state;
	/* cpu.weight w is stored as shares scale_load(round(w * 1024 / 100)). */
	assert_int_equal(iter_cpu_weight(1024ull << 10), 100);
	assert_int_equal(iter_cpu_weight(10ull << 10), 1);
	assert_int_equal(iter_cpu_weight(102400ull << 10), 10000);
	assert_int_equal(iter_cpu_weight(1536ull << 10), 150);
	assert_int_equal(iter_cpu_weight(0), 1);
}

/* The hierarchy's root: no cgroup.events or cgroup.freeze, cpu.stat is the
 * machine's (left to the file), memory.stat only of the memory files. */
static void test_root_files(void **state)
{
	struct cgiter_rec r;
	struct out o = {0};

	(void)state;
	rec_init(&r, 0, CGITER_CTL_CPU | CGITER_CTL_MEMORY | CGITER_CTL_PIDS,
		 CGITER_HAVE_CPU_BW | CGITER_HAVE_CPU_CTL | CGITER_HAVE_MEMORY |
		 CGITER_HAVE_MEMSTAT | CGITER_HAVE_PIDS | CGITER_HAVE_SWAP);
	for (int i = 0; i < CGITER_MS_NR; i++)
		r.memstat[i] = i;
	decode(&r, CG_FILES_ALL, NULL, &o);
	assert_int_equal(o.v.present, B(F_CGROUP_STAT) | B(F_MEMORY_STAT));
	assert_int_equal(o.unknown, B(F_CPU_STAT));
	assert_int_equal(o.v.stat[CGSTAT_DESCENDANTS], 2);
	assert_int_equal(o.v.stat[CGSTAT_DYING_DESCENDANTS], 1);
	free(o.rows.rows);
}

static void test_controller_files(void **state)
{
	struct cgiter_rec r;
	struct out o = {0};

	(void)state;
	rec_init(&r, 2, CGITER_CTL_CPU | CGITER_CTL_MEMORY | CGITER_CTL_PIDS,
		 CGITER_HAVE_CPU_STAT | CGITER_HAVE_CPU_SCALE | CGITER_HAVE_CPU_BW |
		 CGITER_HAVE_CPU_CTL | CGITER_HAVE_MEMORY | CGITER_HAVE_SWAP | CGITER_HAVE_PIDS);
	r.flags = CGITER_POPULATED | CGITER_FREEZE;
	r.sum_exec_ns = 5000999;
	r.utime_ns = 3;
	r.stime_ns = 1;
	r.prev_utime_ns = r.prev_stime_ns = 0;
	r.nr_periods = 7;
	r.nr_throttled = 3;
	r.throttled_ns = 1999;
	r.nr_bursts = 0;
	r.burst_ns = 0;
	r.quota_ns = CGITER_UNSET;	/* RUNTIME_INF */
	r.period_ns = 100000000;
	r.shares = 1024ull << 10;
	r.mem_usage = 10;
	r.mem_watermark = 20;
	r.mem_max = LONG_MAX / PAGE;	/* PAGE_COUNTER_MAX */
	r.mem_high = 256;
	r.mem_low = 0;
	r.mem_min = 0;
	for (int i = 0; i < CGITER_MEMEV_NR; i++)
		r.mem_events[i] = r.mem_events_local[i] = (uint64_t)i;
	r.mem_events[CGITER_MEMEV_SOCK_THROTTLED] = CGITER_UNSET;
	r.mem_events_local[CGITER_MEMEV_SOCK_THROTTLED] = CGITER_UNSET;
	r.swap_usage = 0;
	r.swap_max = 0;
	for (int i = 0; i < CGITER_SWAPEV_NR; i++)
		r.swap_events[i] = 0;
	r.pids_current = 3;
	r.pids_limit = 4194305;		/* PIDS_MAX: "max" */
	r.pids_peak = 9;
	r.pids_events_max = 4;
	decode(&r, CG_FILES_ALL, NULL, &o);
	assert_int_equal(o.unknown, 0);
	assert_true(cg_has(&o.v, F_CGROUP_EVENTS) && cg_has(&o.v, F_CGROUP_FREEZE));
	assert_int_equal(o.v.events[CGEV_POPULATED], 1);
	assert_int_equal(o.v.events[CGEV_FROZEN], 0);
	assert_int_equal(o.v.freeze, 1);
	/* cpu.stat: ns to us, floored; scaled user/system; bandwidth. */
	assert_int_equal(o.v.cpu[CPU_USAGE], 5000);
	assert_int_equal(o.v.cpu[CPU_USER], 3750);
	assert_int_equal(o.v.cpu[CPU_SYSTEM], 1250);
	assert_int_equal(o.v.cpu[CPU_PERIODS], 7);
	assert_int_equal(o.v.cpu[CPU_THROTTLED_USEC], 1);
	assert_int_equal(o.v.cpu[CPU_BURSTS], 0);
	assert_int_equal(o.v.cpu[CPU_FORCE_IDLE], CG_UNSET);
	assert_int_equal(o.v.cpu_quota, CG_MAX);
	assert_int_equal(o.v.cpu_period, 100000);
	assert_int_equal(o.v.cpu_weight, 100);
	assert_int_equal(o.v.mem_current, 10 * PAGE);
	assert_int_equal(o.v.mem_peak, 20 * PAGE);
	assert_int_equal(o.v.mem_max, CG_MAX);
	assert_int_equal(o.v.mem_high, 256 * PAGE);
	assert_int_equal(o.v.mem_events[MEMEV_OOM_KILL], 4);
	assert_int_equal(o.v.mem_events[MEMEV_SOCK_THROTTLED], CG_UNSET);
	assert_int_equal(o.v.swap_max, 0);
	assert_int_equal(o.v.pids_max, CG_MAX);
	assert_int_equal(o.v.pids_peak, 9);
	assert_int_equal(o.v.pids_events[PIDSEV_MAX], 4);
	assert_int_equal(o.v.pids_events[PIDSEV_MAX_IMPOSED], CG_UNSET);
	assert_false(cg_has(&o.v, F_MEMORY_STAT));	/* no HAVE_MEMSTAT */
	assert_false(cg_has(&o.v, F_IO_STAT) || cg_has(&o.v, F_CPU_PRESSURE));

	/* The memory controller's css without memory in cgroup.controllers
	 * (implied by io): no memory files, as the kernel shows none. */
	r.controllers = CGITER_CTL_CPU | CGITER_CTL_IO;
	r.pids_limit = 100;
	decode(&r, CG_FILES_ALL, NULL, &o);
	assert_false(cg_has(&o.v, F_MEMORY_CURRENT) || cg_has(&o.v, F_MEMORY_SWAP_MAX) ||
		     cg_has(&o.v, F_PIDS_MAX));
	assert_true(cg_has(&o.v, F_CPU_MAX));
	/* Only the files asked for. */
	r.controllers = CGITER_CTL_CPU | CGITER_CTL_MEMORY | CGITER_CTL_PIDS;
	decode(&r, B(F_PIDS_MAX) | B(F_CGROUP_STAT), NULL, &o);
	assert_int_equal(o.v.present, B(F_PIDS_MAX) | B(F_CGROUP_STAT));
	assert_int_equal(o.v.pids_max, 100);
	/* No cpu css (cpu on cgroup v1): base cpu.stat without bandwidth keys. */
	r.have &= ~(uint32_t)(CGITER_HAVE_CPU_BW | CGITER_HAVE_CPU_CTL);
	decode(&r, CG_FILES_ALL, NULL, &o);
	assert_true(cg_has(&o.v, F_CPU_STAT));
	assert_false(cg_has(&o.v, F_CPU_MAX) || cg_has(&o.v, F_CPU_WEIGHT));
	assert_int_equal(o.v.cpu[CPU_PERIODS], CG_UNSET);
	assert_int_equal(o.v.cpu[CPU_THROTTLED], CG_UNSET);
	free(o.rows.rows);
}

/* A cgroup read again with the kernel's clamp state left behind (nobody
 * read cpu.stat): user and system never go backwards. */
static void test_cputime_never_backwards(void **state)
{
	struct cputime_prev prev = { 0, 0 };
	struct cgiter_rec r;
	struct out o = {0};
	uint64_t u0, s0;

	(void)state;
	rec_init(&r, 1, 0, CGITER_HAVE_CPU_STAT | CGITER_HAVE_CPU_SCALE);
	r.prev_utime_ns = r.prev_stime_ns = 0;
	r.sum_exec_ns = 2000000;
	r.utime_ns = 1;
	r.stime_ns = 3;
	decode(&r, B(F_CPU_STAT), &prev, &o);
	u0 = o.v.cpu[CPU_USER];
	s0 = o.v.cpu[CPU_SYSTEM];
	assert_int_equal(s0, 1500);
	r.sum_exec_ns = 2400000;
	r.utime_ns = 3;
	r.stime_ns = 1;
	decode(&r, B(F_CPU_STAT), &prev, &o);
	assert_true(o.v.cpu[CPU_SYSTEM] >= s0 && o.v.cpu[CPU_USER] >= u0);
	assert_int_equal(o.v.cpu[CPU_SYSTEM] + o.v.cpu[CPU_USER], 2400);
	/* A read of the file since (at 2.5 ms) moved the kernel's clamp
	 * further: its figures are the base, as the file's next read would
	 * take them. */
	r.sum_exec_ns = 2600000;
	r.prev_stime_ns = 1600000;
	r.prev_utime_ns = 900000;
	decode(&r, B(F_CPU_STAT), &prev, &o);
	assert_int_equal(o.v.cpu[CPU_SYSTEM], 1600);
	assert_int_equal(o.v.cpu[CPU_USER], 1000);
	/* An older clamp of the kernel's than ours: ours. */
	r.sum_exec_ns = 2700000;
	r.prev_stime_ns = 100000;
	r.prev_utime_ns = 100000;
	decode(&r, B(F_CPU_STAT), &prev, &o);
	assert_int_equal(o.v.cpu[CPU_SYSTEM], 1600);
	assert_int_equal(o.v.cpu[CPU_USER], 1100);
}

static int key(const char *name)
{
	for (int k = 0; k < MEMSTAT_NR; k++)
		if (!strcmp(memory_stat_keys[k], name))
			return k;
	fail_msg("no memory.stat key %s", name);
	return -1;
}

static void test_memory_stat(void **state)
{
	struct cgiter_rec r;
	struct out o = {0};
	const uint64_t *row;

	(void)state;
	rec_init(&r, 1, CGITER_CTL_MEMORY, CGITER_HAVE_MEMORY | CGITER_HAVE_MEMSTAT);
	for (int i = 0; i < CGITER_MS_NR; i++)
		r.memstat[i] = 0;
	r.memstat[CGITER_MS_ANON] = 10;			/* pages */
	r.memstat[CGITER_MS_KERNEL_STACK] = 16;		/* KiB */
	r.memstat[CGITER_MS_PERCPU] = 1000;		/* bytes */
	r.memstat[CGITER_MS_SLAB_RECLAIMABLE] = 300;	/* bytes */
	r.memstat[CGITER_MS_SLAB_UNRECLAIMABLE] = 200;
	r.memstat[CGITER_MS_WORKINGSET_REFAULT_FILE] = 5;	/* a count */
	r.memstat[CGITER_MS_PGSCAN_KSWAPD] = 7;
	r.memstat[CGITER_MS_PGSCAN_DIRECT] = 8;
	r.memstat[CGITER_MS_PGFAULT] = 1234;
	r.memstat[CGITER_MS_ZSWAP] = CGITER_UNSET;	/* no CONFIG_ZSWAP */
	decode(&r, B(F_MEMORY_STAT), NULL, &o);
	assert_true(cg_has(&o.v, F_MEMORY_STAT));
	row = o.rows.rows[o.v.mem_stat_row];
	assert_int_equal(row[key("anon")], 10 * PAGE);
	assert_int_equal(row[key("kernel_stack")], 16 * 1024);
	assert_int_equal(row[key("percpu")], 1000);
	assert_int_equal(row[key("slab")], 500);
	assert_int_equal(row[key("workingset_refault_file")], 5);
	assert_int_equal(row[key("pgscan")], 15);
	assert_int_equal(row[key("pgfault")], 1234);
	assert_int_equal(row[key("zswap")], CG_UNSET);
	/* Keys of later kernels: not in the record, not in the row. */
	assert_int_equal(row[key("hugetlb")], CG_UNSET);
	assert_int_equal(row[key("pgdemote_kswapd")], CG_UNSET);
	free(o.rows.rows);
}

/* --- the check's rules ----------------------------------------------------- */

struct three {
	struct cgroup_values a, b, c;
};

static uint32_t check(struct three *t, uint32_t files, struct source_mismatch *m)
{
	uint64_t n = 0;

	return source_check_cgroup(&(struct source_values){ &t->a, NULL },
				   &(struct source_values){ &t->b, NULL },
				   &(struct source_values){ &t->c, NULL }, files, &n, m);
}

static void three_init(struct three *t)
{
	memset(t, 0, sizeof(*t));
	t->a.present = B(F_CPU_STAT) | B(F_MEMORY_MAX) | B(F_MEMORY_CURRENT) | B(F_MEMORY_EVENTS);
	for (int k = 0; k < CPU_NR; k++)
		t->a.cpu[k] = CG_UNSET;
	t->a.cpu[CPU_USAGE] = 1000000;
	t->a.cpu[CPU_USER] = 600000;
	t->a.cpu[CPU_SYSTEM] = 400000;
	t->a.mem_max = 1 << 20;
	t->a.mem_current = 100000;
	for (int k = 0; k < MEMEV_NR; k++)
		t->a.mem_events[k] = CG_UNSET;
	t->a.mem_events[MEMEV_OOM_KILL] = 2;
	t->b = t->c = t->a;
}

static void test_check_rules(void **state)
{
	uint32_t files = B(F_CPU_STAT) | B(F_MEMORY_MAX) | B(F_MEMORY_CURRENT) | B(F_MEMORY_EVENTS);
	struct source_mismatch m;
	struct three t;

	(void)state;
	three_init(&t);
	assert_int_equal(check(&t, files, &m), 0);
	/* A limit that differs while the files agree. */
	t.b.mem_max = (1 << 20) + 4096;
	assert_int_equal(check(&t, files, &m), 1u << IG_MEMORY);
	assert_string_equal(m.key, "max");
	assert_int_equal(m.b, (1 << 20) + 4096);
	/* ... not judged when the limit changed between the reads. */
	t.c.mem_max = 2 << 20;
	assert_int_equal(check(&t, files, &m), 0);
	/* A counter between the reads, and out of them. */
	three_init(&t);
	t.c.mem_events[MEMEV_OOM_KILL] = 4;
	t.b.mem_events[MEMEV_OOM_KILL] = 3;
	assert_int_equal(check(&t, files, &m), 0);
	t.b.mem_events[MEMEV_OOM_KILL] = 5;
	assert_int_equal(check(&t, files, &m), 1u << IG_MEMORY_EVENTS);
	assert_string_equal(m.key, "oom_kill");
	/* A key only the iterator has. */
	three_init(&t);
	t.b.mem_events[MEMEV_SOCK_THROTTLED] = 0;
	assert_int_equal(check(&t, files, &m), 1u << IG_MEMORY_EVENTS);
	assert_string_equal(m.key, "sock_throttled");
	/* A level within the reads widened by their distance, and past it. */
	three_init(&t);
	t.c.mem_current = 200000;
	t.b.mem_current = 290000;
	assert_int_equal(check(&t, files, &m), 0);
	t.b.mem_current = 310000;
	assert_int_equal(check(&t, files, &m), 1u << IG_MEMORY);
	assert_string_equal(m.key, "current");
	/* User time: within the usage between the reads and a tick. */
	three_init(&t);
	t.c.cpu[CPU_USAGE] = 1050000;
	t.c.cpu[CPU_USER] = 650000;
	t.b.cpu[CPU_USAGE] = 1020000;
	t.b.cpu[CPU_USER] = 590000;
	assert_int_equal(check(&t, files, &m), 0);
	t.b.cpu[CPU_USER] = 500000;
	assert_int_equal(check(&t, files, &m), 1u << IG_CPU);
	assert_string_equal(m.key, "user_usec");
	/* Usage is a counter: behind the first read is out. */
	three_init(&t);
	t.b.cpu[CPU_USAGE] = 999999;
	assert_int_equal(check(&t, files, &m), 1u << IG_CPU);
	assert_string_equal(m.key, "usage_usec");
	/* A file the iterator says the cgroup lacks. */
	three_init(&t);
	t.b.present &= ~B(F_MEMORY_CURRENT);
	assert_int_equal(check(&t, files, &m), 1u << IG_MEMORY);
	assert_string_equal(m.key, "present");
	/* ... unless the files disagree too (its controller went off). */
	t.c.present &= ~B(F_MEMORY_CURRENT);
	assert_int_equal(check(&t, files, &m), 0);
	/* Files not asked about are not compared. */
	three_init(&t);
	t.b.mem_max = 1;
	assert_int_equal(check(&t, B(F_CPU_STAT), &m), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cputime_adjust),
		cmocka_unit_test(test_cpu_weight),
		cmocka_unit_test(test_root_files),
		cmocka_unit_test(test_controller_files),
		cmocka_unit_test(test_cputime_never_backwards),
		cmocka_unit_test(test_memory_stat),
		cmocka_unit_test(test_check_rules),
	};

	return UNIT_RUN("iter_decode", tests, argc, argv);
}
