// SPDX-License-Identifier: GPL-2.0-only
/* The parsers on files cut from real kernels, and on malformed input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "cgroupfs/cgroup_values.h"
#include "fixture.h"
#include "cgroupfs/parse.h"

#define S(str) str, sizeof(str) - 1

static void test_scalar(void **state)
{
	uint64_t v = 7;
	size_t len;
	char *buf;

	(void)state;
	buf = fixture_read(V2 "/workload/memory.max", &len);
	assert_int_equal(parse_u64_or_max(buf, len, &v), 0);
	assert_int_equal(v, 29999104);	/* 30000000 rounded down to pages */
	free(buf);
	buf = fixture_read(V2 "/workload/pids.current", &len);
	assert_int_equal(parse_u64_or_max(buf, len, &v), 0);
	assert_int_equal(v, 2);
	free(buf);
	assert_int_equal(parse_u64_or_max(S("max\n"), &v), 0);
	assert_true(v == CG_MAX);
	assert_int_equal(parse_u64_or_max(S("18446744073709551614\n"), &v), 0);
	assert_true(v == UINT64_MAX - 1);
	v = 7;
	assert_int_equal(parse_u64_or_max(S("18446744073709551616\n"), &v), -EINVAL);
	assert_int_equal(parse_u64_or_max(S(""), &v), -EINVAL);
	assert_int_equal(parse_u64_or_max(S("\n"), &v), -EINVAL);
	assert_int_equal(parse_u64_or_max(S("12abc\n"), &v), -EINVAL);
	assert_int_equal(parse_u64_or_max(S("-1\n"), &v), -EINVAL);
	assert_int_equal(parse_u64_or_max(S("maximum\n"), &v), -EINVAL);
	assert_int_equal(v, 7);	/* untouched on failure */
}

static void test_cpu_max(void **state)
{
	uint64_t q = 1, p = 1;
	size_t len;
	char *buf = fixture_read(V2 "/workload/cpu.max", &len);

	(void)state;
	assert_int_equal(parse_cpu_max(buf, len, &q, &p), 0);
	assert_int_equal(q, 10000);
	assert_int_equal(p, 100000);
	free(buf);
	assert_int_equal(parse_cpu_max(S("max 100000\n"), &q, &p), 0);
	assert_true(q == CG_MAX);
	assert_int_equal(parse_cpu_max(S("max\n"), &q, &p), -EINVAL);
	assert_int_equal(parse_cpu_max(S("100 max\n"), &q, &p), -EINVAL);
	assert_int_equal(parse_cpu_max(S("100 0\n"), &q, &p), -EINVAL);
	assert_int_equal(parse_cpu_max(S("100 1x\n"), &q, &p), -EINVAL);
}

static void test_cpu_stat_v2(void **state)
{
	uint64_t v[CPU_NR];
	size_t len;
	char *buf = fixture_read(V2 "/workload/cpu.stat", &len);

	(void)state;
	assert_int_equal(parse_keyed(buf, len, cpu_stat_keys, CPU_NR, v), 8);
	assert_int_equal(v[CPU_USAGE], 2621523);
	assert_int_equal(v[CPU_USER], 187570);
	assert_int_equal(v[CPU_SYSTEM], 2433952);
	assert_int_equal(v[CPU_PERIODS], 289);
	assert_int_equal(v[CPU_THROTTLED], 251);
	assert_int_equal(v[CPU_THROTTLED_USEC], 35376960);
	assert_int_equal(v[CPU_BURSTS], 0);
	assert_int_equal(v[CPU_BURST_USEC], 0);
	assert_true(v[CPU_FORCE_IDLE] == CG_UNSET);
	free(buf);
}

static void test_cpu_stat_hybrid(void **state)
{
	uint64_t v[CPU_NR];
	size_t len;
	char *buf = fixture_read(HYBRID "/workload/cpu.stat", &len);

	(void)state;
	/* No cpu controller on v2: only the three usage keys (and no throttling). */
	assert_true(parse_keyed(buf, len, cpu_stat_keys, CPU_NR, v) >= 3);
	assert_true(v[CPU_USAGE] > 0 && v[CPU_USAGE] != CG_UNSET);
	assert_true(v[CPU_USAGE] >= v[CPU_USER]);
	assert_true(v[CPU_THROTTLED] == CG_UNSET);
	free(buf);
}

static void test_memory_stat(void **state)
{
	uint64_t v[MEMSTAT_NR];
	size_t len;
	char *buf = fixture_read(V2 "/workload/memory.stat", &len);

	(void)state;
	assert_true(parse_keyed(buf, len, memory_stat_keys, MEMSTAT_NR, v) > 40);
	assert_int_equal(v[0], 90112);				/* anon */
	assert_int_equal(v[MEMSTAT_INACTIVE_FILE], 0);
	assert_string_equal(memory_stat_keys[MEMSTAT_INACTIVE_FILE], "inactive_file");
	assert_string_equal(memory_stat_keys[MEMSTAT_FIRST_EVENT], "workingset_refault_anon");
	assert_string_equal(memory_stat_keys[MEMSTAT_FIRST_EVENT - 1], "slab");
	for (unsigned i = 0; i < MEMSTAT_NR; i++)
		if (!strcmp(memory_stat_keys[i], "pgfault"))
			assert_int_equal(v[i], 20036);
		else if (!strcmp(memory_stat_keys[i], "slab"))
			assert_int_equal(v[i], 83456);
	free(buf);
}

static void test_memory_events(void **state)
{
	uint64_t v[MEMEV_NR];
	size_t len;
	char *buf = fixture_read(V2 "/workload/memory.events", &len);

	(void)state;
	assert_int_equal(parse_keyed(buf, len, memory_events_keys, MEMEV_NR, v), 6);
	assert_int_equal(v[MEMEV_HIGH], 323);
	assert_int_equal(v[MEMEV_MAX], 53);
	assert_int_equal(v[MEMEV_OOM], 2);
	assert_int_equal(v[MEMEV_OOM_KILL], 1);
	assert_int_equal(v[MEMEV_OOM_GROUP_KILL], 0);
	assert_true(v[MEMEV_SOCK_THROTTLED] == CG_UNSET);
	free(buf);
}

static void test_keyed_malformed(void **state)
{
	uint64_t v[CGEV_NR] = { 5, 5 };

	(void)state;
	/* Unknown keys are skipped, a missing final newline is fine. */
	assert_int_equal(parse_keyed(S("populated 1\nnewkey 3\nfrozen 0"), cgroup_events_keys, CGEV_NR, v), 2);
	assert_int_equal(v[CGEV_POPULATED], 1);
	assert_int_equal(parse_keyed(S(""), cgroup_events_keys, CGEV_NR, v), 0);
	assert_true(v[CGEV_POPULATED] == CG_UNSET);
	v[0] = 5;
	assert_int_equal(parse_keyed(S("populated\n"), cgroup_events_keys, CGEV_NR, v), -EINVAL);
	assert_int_equal(parse_keyed(S("populated 1x\n"), cgroup_events_keys, CGEV_NR, v), -EINVAL);
	assert_int_equal(parse_keyed(S("populated \n"), cgroup_events_keys, CGEV_NR, v), -EINVAL);
	assert_int_equal(parse_keyed(S(" 1\n"), cgroup_events_keys, CGEV_NR, v), -EINVAL);
	assert_int_equal(parse_keyed(S("populated 1 2\n"), cgroup_events_keys, CGEV_NR, v), -EINVAL);
	assert_int_equal(parse_keyed(S("populated 99999999999999999999\n"), cgroup_events_keys, CGEV_NR, v), -EINVAL);
	/* truncated mid-line: "populated 1\nfroz" */
	assert_int_equal(parse_keyed(S("populated 1\nfroz"), cgroup_events_keys, CGEV_NR, v), -EINVAL);
	assert_int_equal(v[0], 5);	/* untouched on failure */
}

static void test_io_stat(void **state)
{
	struct io_dev_stat d[4];
	size_t len;
	char *buf = fixture_read(V2 "/workload/io.stat", &len);

	(void)state;
	assert_int_equal(parse_io_stat(buf, len, d, 4), 1);
	assert_int_equal(d[0].major, 1);
	assert_int_equal(d[0].minor, 0);
	assert_int_equal(d[0].rbytes, 8388608);
	assert_int_equal(d[0].wbytes, 16777216);
	assert_int_equal(d[0].rios, 8);
	assert_int_equal(d[0].wios, 16);
	assert_int_equal(d[0].dbytes, 0);
	/* More devices than room: counted, not written past the end. */
	assert_int_equal(parse_io_stat(S("8:0 rbytes=1 wbytes=2\n8:16 rbytes=3\n259:0 wios=9\n"), d, 2), 3);
	assert_int_equal(d[1].minor, 16);
	assert_int_equal(d[1].rbytes, 3);
	/* io.cost's own keys are not integers and are not ours. */
	assert_int_equal(parse_io_stat(S("8:0 rbytes=1 cost.vrate=100.00 cost.usage=7\n"), d, 4), 1);
	assert_int_equal(d[0].rbytes, 1);
	assert_int_equal(parse_io_stat(S(""), d, 4), 0);
	/* The root of a 6.1 kernel lists an idle ram disk with no stats. */
	free(buf);
	buf = fixture_read(V2 "/io.stat", &len);
	assert_int_equal(parse_io_stat(buf, len, d, 4), 0);
	assert_int_equal(parse_io_stat(S("1:0 \n8:0 rbytes=5\n"), d, 4), 1);
	assert_int_equal(d[0].major, 8);
	/* A disk the kernel cannot name (6.12's root io.stat): no device to
	 * label, left out, the rest read. */
	assert_int_equal(parse_io_stat(S("(unknown) rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n"
					 "8:0 rbytes=5\n"), d, 4), 1);
	assert_int_equal(d[0].major, 8);
	assert_int_equal(d[0].rbytes, 5);
	assert_int_equal(parse_io_stat(S("(other) rbytes=1\n"), d, 4), -EINVAL);
	assert_int_equal(parse_io_stat(S("8 rbytes=1\n"), d, 4), -EINVAL);
	assert_int_equal(parse_io_stat(S("8:x rbytes=1\n"), d, 4), -EINVAL);
	assert_int_equal(parse_io_stat(S("8:0 rbytes\n"), d, 4), -EINVAL);
	assert_int_equal(parse_io_stat(S("8:0 rbytes=12k\n"), d, 4), -EINVAL);
	assert_int_equal(parse_io_stat(S("8:0 =5\n"), d, 4), -EINVAL);
	assert_int_equal(parse_io_stat(S("8:0 rbytes=1 wby"), d, 4), -EINVAL);
	free(buf);
}

static void test_pressure(void **state)
{
	struct psi p;
	size_t len;
	char *buf = fixture_read(V2 "/workload/memory.pressure", &len);

	(void)state;
	assert_int_equal(parse_pressure(buf, len, &p), 0);
	assert_true(p.has_some && p.has_full);
	assert_int_equal(p.some.avg10, 514);
	assert_int_equal(p.some.avg60, 2549);
	assert_int_equal(p.some.avg300, 947);
	assert_int_equal(p.some.total_usec, 32591166);
	assert_int_equal(p.full.total_usec, 32591166);
	free(buf);
	/* irq.pressure has only a full line. */
	assert_int_equal(parse_pressure(S("full avg10=0.00 avg60=0.00 avg300=0.00 total=17\n"), &p), 0);
	assert_false(p.has_some);
	assert_int_equal(p.full.total_usec, 17);
	assert_int_equal(parse_pressure(S(""), &p), -EINVAL);
	assert_int_equal(parse_pressure(S("some avg10=0.00 avg60=0.00 avg300=0.00\n"), &p), -EINVAL);
	assert_int_equal(parse_pressure(S("some avg10=0.0 avg60=0.00 avg300=0.00 total=1\n"), &p), -EINVAL);
	assert_int_equal(parse_pressure(S("half avg10=0.00 avg60=0.00 avg300=0.00 total=1\n"), &p), -EINVAL);
	assert_int_equal(parse_pressure(S("some avg10=0.00 avg60=0.00 avg300=0.00 total=1x\n"), &p), -EINVAL);
	assert_int_equal(parse_pressure(S("some avg10=0.00 avg60=0.00 avg3"), &p), -EINVAL);
}

static void test_pressure_hybrid(void **state)
{
	struct psi p;
	size_t len;
	char *buf = fixture_read(HYBRID "/workload/cpu.pressure", &len);

	(void)state;
	assert_int_equal(parse_pressure(buf, len, &p), 0);
	assert_true(p.has_some);
	free(buf);
}

static void test_mountinfo(void **state)
{
	static const char mi[] =
		"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
		"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
		"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw\n";
	static const char esc[] =
		"41 31 0:38 / /mnt/my\\040cgroups rw - cgroup2 cgroup2 rw\n";
	char out[64];

	(void)state;
	assert_int_equal(parse_mountinfo_cgroup2(S(mi), out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/unified");
	assert_int_equal(parse_mountinfo_cgroup2(S(esc), out, sizeof(out)), 0);
	assert_string_equal(out, "/mnt/my cgroups");
	assert_int_equal(parse_mountinfo_cgroup2(mi, 130, out, sizeof(out)), -ENOENT);
	assert_int_equal(parse_mountinfo_cgroup2(S(mi), out, 8), -ENAMETOOLONG);
}

/* Inputs the fuzz targets (tests/fuzz/) found mishandled. */
static void test_fuzz_regressions(void **state)
{
	uint64_t v[MEMSTAT_NR], ev[CGEV_NR] = { 5, 5 };
	struct io_dev_stat d[2];
	char out[8] = "xxxxxxx";

	(void)state;
	/* A NUL in a key made find_key read past the end of "zswpwb". */
	assert_int_equal(parse_keyed(S("zswpwb\0\0\0 0\n"), memory_stat_keys, MEMSTAT_NR, v), 0);
	for (unsigned i = 0; i < MEMSTAT_NR; i++)
		assert_true(v[i] == CG_UNSET);
	/* A key repeated with the value that equals CG_UNSET counted twice. */
	assert_int_equal(parse_keyed(S("populated 18446744073709551615\npopulated 18446744073709551615\n"),
				     cgroup_events_keys, CGEV_NR, ev), 1);
	/* "rbytes=" with no digits was taken, with an unset value. */
	assert_int_equal(parse_io_stat(S("8:0 rbytes=\n"), d, 2), -EINVAL);
	assert_int_equal(parse_io_stat(S("8:0 rbytes=1 wios=\n"), d, 2), -EINVAL);
	/* Too long: nothing written (it left a partial copy)... */
	assert_int_equal(parse_mountinfo_cgroup2(S("1 2 3:4 / /sys/fs/cgroup/unified rw - cgroup2 c rw\n"),
						 out, sizeof(out)), -ENAMETOOLONG);
	assert_string_equal(out, "xxxxxxx");
	/* ...and an empty mount point with size 0 wrote out[0]. */
	assert_int_equal(parse_mountinfo_cgroup2(S("1 2 3:4 /  rw - cgroup2 c rw\n"), out, 0), -ENAMETOOLONG);
	assert_string_equal(out, "xxxxxxx");
	assert_int_equal(parse_mountinfo_cgroup2(S("1 2 3:4 /  rw - cgroup2 c rw\n"), out, 1), 0);
	assert_string_equal(out, "");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalar),
		cmocka_unit_test(test_cpu_max),
		cmocka_unit_test(test_cpu_stat_v2),
		cmocka_unit_test(test_cpu_stat_hybrid),
		cmocka_unit_test(test_memory_stat),
		cmocka_unit_test(test_memory_events),
		cmocka_unit_test(test_keyed_malformed),
		cmocka_unit_test(test_io_stat),
		cmocka_unit_test(test_pressure),
		cmocka_unit_test(test_pressure_hybrid),
		cmocka_unit_test(test_mountinfo),
		cmocka_unit_test(test_fuzz_regressions),
	};
	return UNIT_RUN("parsers", tests, argc, argv);
}
