// SPDX-License-Identifier: GPL-2.0-only
/* --compat=cadvisor on the captured 6.1 tree: cAdvisor's names, labels and
 * presence rules, and values as cAdvisor computes them from cgroup v2 files
 * (see exporters/prom/cadvisor_text.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "cgroupfs/block_device.h"
#include "prom/cadvisor_text.h"
#include "collect/collector.h"
#include "fixture.h"

/* Labels of the captured tree's cgroups, in cAdvisor's order. */
#define ROOT "container=\"\",id=\"/\",image=\"\",name=\"\",namespace=\"\",pod=\"\""
#define WL "container=\"\",id=\"/workload\",image=\"\",name=\"\",namespace=\"\",pod=\"\""

static int fake_devname(uint32_t major, uint32_t minor, char *ret, size_t size)
{
	if (major == 1 && minor == 0) {
		snprintf(ret, size, "/dev/ram0");
		return 0;
	}
	return -ENOENT;
}

static struct snapshot *collect(const char *root)
{
	struct collector *c;
	struct snapshot *s;

	assert_int_equal(collector_new(root, &c), 0);
	assert_int_equal(collector_collect(c, &s), 0);
	collector_free(c);
	return s;
}

static char *render(const struct snapshot *s, cadvisor_devname_fn fn)
{
	struct strbuf sb = {0};

	assert_int_equal(cadvisor_render_devnames(s, fn, &sb), 0);
	return sb_steal(&sb, NULL);
}

static void test_fixture_values(void **state)
{
	struct snapshot *s = collect(V2);
	char *p = render(s, fake_devname);

	(void)state;
	/* CPU: cpu.stat usec as seconds; usage carries cpu="total". */
	assert_line(p, "# TYPE container_cpu_usage_seconds_total counter");
	assert_line(p, "container_cpu_usage_seconds_total{" WL ",cpu=\"total\"} 2.621523");
	assert_line(p, "container_cpu_usage_seconds_total{" ROOT ",cpu=\"total\"} 9.196");
	assert_line(p, "container_cpu_user_seconds_total{" WL "} 0.18757");
	assert_line(p, "container_cpu_system_seconds_total{" WL "} 2.433952");
	/* CFS: /workload has cpu.max "10000 100000"; the root has no cpu.max. */
	assert_line(p, "container_cpu_cfs_periods_total{" WL "} 289");
	assert_line(p, "container_cpu_cfs_throttled_periods_total{" WL "} 251");
	assert_line(p, "container_cpu_cfs_throttled_seconds_total{" WL "} 35.37696");
	assert_no(p, "container_cpu_cfs_periods_total{" ROOT "}");
	assert_no(p, "container_cpu_cfs_throttled_seconds_total{" ROOT "}");
	/* Memory: usage = memory.current; working set = usage - inactive_file
	 * (0 in the capture); rss = anon; cache = file; swap; limit = memory.max. */
	assert_line(p, "container_memory_usage_bytes{" WL "} 561152");
	assert_line(p, "container_memory_working_set_bytes{" WL "} 561152");
	assert_line(p, "container_memory_rss{" WL "} 90112");
	assert_line(p, "container_memory_cache{" WL "} 0");
	assert_line(p, "container_memory_swap{" WL "} 0");
	assert_line(p, "container_spec_memory_limit_bytes{" WL "} 29999104");
	assert_line(p, "container_oom_events_total{" WL "} 1");
	/* The root cgroup has no memory.current nor memory.max on cgroup v2. */
	assert_no(p, "container_memory_usage_bytes{" ROOT "}");
	assert_no(p, "container_spec_memory_limit_bytes{" ROOT "}");
	/* PSI: stalled = full, waiting = some, in seconds. */
	assert_line(p, "container_pressure_cpu_stalled_seconds_total{" WL "} 18.56672");
	assert_line(p, "container_pressure_cpu_waiting_seconds_total{" WL "} 18.913734");
	assert_line(p, "container_pressure_memory_stalled_seconds_total{" WL "} 32.591166");
	assert_line(p, "container_pressure_memory_waiting_seconds_total{" WL "} 32.591166");
	assert_line(p, "container_pressure_io_stalled_seconds_total{" WL "} 0");
	assert_line(p, "container_pressure_cpu_waiting_seconds_total{" ROOT "} 14.569085");
	assert_line(p, "container_pressure_memory_stalled_seconds_total{" ROOT "} 32.732625");
	/* io.stat: the ram disk 1:0, named as cAdvisor names disks. */
	assert_line(p, "container_fs_reads_bytes_total{" WL ",device=\"/dev/ram0\"} 8388608");
	assert_line(p, "container_fs_writes_bytes_total{" WL ",device=\"/dev/ram0\"} 16777216");
	assert_line(p, "container_fs_reads_total{" WL ",device=\"/dev/ram0\"} 8");
	assert_line(p, "container_fs_writes_total{" WL ",device=\"/dev/ram0\"} 16");
	assert_line(p, "container_blkio_device_usage_total{" WL ",device=\"/dev/ram0\",major=\"1\",minor=\"0\",operation=\"Read\"} 8388608");
	assert_line(p, "container_blkio_device_usage_total{" WL ",device=\"/dev/ram0\",major=\"1\",minor=\"0\",operation=\"Write\"} 16777216");
	/* Nothing of cgscope's own names in this mode. */
	assert_null(strstr(p, "cgroup_"));
	free(p);

	/* A device that cannot be named keeps its numbers. */
	p = render(s, NULL);
	assert_line(p, "container_fs_reads_total{" WL ",device=\"1:0\"} 8");
	free(p);
	snapshot_unref(s);
}

/* cAdvisor's presence rules, on the captured values changed in place. */
static void test_presence_rules(void **state)
{
	struct snapshot *s = collect(V2);
	struct cgroup_values *v = &s->cgroups[1].v;
	char *p;

	(void)state;
	assert_string_equal(sample_path(s, &s->cgroups[1]), "/workload");
	v->cpu_quota = CG_MAX;				/* cpu.max "max 100000" */
	v->mem_max = CG_MAX;				/* memory.max "max" */
	s->mem_stat.rows[v->mem_stat_row][MEMSTAT_INACTIVE_FILE] = 600000; /* > usage */
	s->cgroups[0].v.cpu[CPU_USAGE] = 0;
	p = render(s, fake_devname);
	assert_no(p, "container_cpu_cfs_periods_total{");
	assert_no(p, "container_cpu_cfs_throttled_periods_total{");
	assert_no(p, "# TYPE container_cpu_cfs_throttled_seconds_total");
	assert_line(p, "container_spec_memory_limit_bytes{" WL "} 0");
	assert_line(p, "container_memory_working_set_bytes{" WL "} 0");
	assert_no(p, "container_cpu_usage_seconds_total{" ROOT);
	assert_line(p, "container_cpu_usage_seconds_total{" WL ",cpu=\"total\"} 2.621523");
	free(p);

	/* A file not read (controller off, or its group switched off): no
	 * series, rather than a 0 that would look measured. */
	v->present &= ~(1u << F_MEMORY_STAT | 1u << F_MEMORY_SWAP_CURRENT | 1u << F_IO_STAT);
	p = render(s, fake_devname);
	assert_no(p, "container_memory_rss{" WL);
	assert_no(p, "container_memory_swap{" WL);
	assert_no(p, "# TYPE container_fs_reads_total");
	assert_no(p, "# TYPE container_blkio_device_usage_total");
	/* Without memory.stat the working set is the usage, as in cAdvisor. */
	assert_line(p, "container_memory_working_set_bytes{" WL "} 561152");
	free(p);
	snapshot_unref(s);
}

/* `name` is the container id when the path names one. */
static void test_name_label(void **state)
{
	static const char id[] = "3f4e9c2d1b0a89786756453423120f1e2d3c4b5a69788796a5b4c3d2e1f00112";
	static const char paths[] = "/\0/system.slice/docker-3f4e9c2d1b0a89786756453423120f1e2d3c4b5a69788796a5b4c3d2e1f00112.scope\0/a\"b";
	struct snapshot *s = snapshot_new();
	char *p, *want;

	(void)state;
	s->strings = malloc(sizeof(paths));
	memcpy(s->strings, paths, sizeof(paths));
	s->strings_len = sizeof(paths);
	s->n = 3;
	s->cgroups = calloc(3, sizeof(*s->cgroups));
	s->cgroups[1].path_off = 2;
	s->cgroups[2].path_off = (uint32_t)(2 + strlen(paths + 2) + 1);
	for (int i = 0; i < 3; i++) {
		s->cgroups[i].v.present = 1u << F_CPU_STAT;
		s->cgroups[i].v.cpu[CPU_USAGE] = 1000000 * (uint64_t)(i + 1);
	}
	p = render(s, NULL);
	assert_true(asprintf(&want, "container_cpu_usage_seconds_total{container=\"\",id=\"/system.slice/docker-%s.scope\",image=\"\",name=\"%s\",namespace=\"\",pod=\"\",cpu=\"total\"} 2", id, id) > 0);
	assert_line(p, want);
	/* Label values are escaped. */
	assert_line(p, "container_cpu_usage_seconds_total{container=\"\",id=\"/a\\\"b\",image=\"\",name=\"\",namespace=\"\",pod=\"\",cpu=\"total\"} 3");
	free(want);
	free(p);
	snapshot_unref(s);
}

static void test_uevent(void **state)
{
	char name[32];
	const char ev[] = "MAJOR=259\nMINOR=0\nDEVNAME=nvme0n1\nDEVTYPE=disk\n";

	(void)state;
	assert_int_equal(parse_uevent_devname(ev, sizeof(ev) - 1, name, sizeof(name)), 0);
	assert_string_equal(name, "/dev/nvme0n1");
	assert_int_equal(parse_uevent_devname("MAJOR=1\n", 8, name, sizeof(name)), -ENOENT);
	assert_int_equal(parse_uevent_devname(ev, sizeof(ev) - 1, name, 10), -ENAMETOOLONG);
	/* The last line need not end in a newline. */
	assert_int_equal(parse_uevent_devname("DEVNAME=vda", 11, name, sizeof(name)), 0);
	assert_string_equal(name, "/dev/vda");
}

/* The page passes the real promtool's checks (lint included), when it is
 * installed (`make deps` installs it). */
static void test_promtool(void **state)
{
	struct snapshot *s = collect(V2);
	char *p = render(s, fake_devname), path[] = "/tmp/cgscope-cadvisor-XXXXXX", *cmd;
	int fd, rc;

	(void)state;
	if (access("/usr/bin/promtool", X_OK) != 0) {
		free(p);
		snapshot_unref(s);
		skip();
	}
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, strlen(p)), (ssize_t)strlen(p));
	close(fd);
	assert_true(asprintf(&cmd, "/usr/bin/promtool check metrics < %s", path) > 0);
	rc = system(cmd);
	unlink(path);
	free(cmd);
	free(p);
	snapshot_unref(s);
	assert_int_equal(rc, 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_values),
		cmocka_unit_test(test_presence_rules),
		cmocka_unit_test(test_name_label),
		cmocka_unit_test(test_uevent),
		cmocka_unit_test(test_promtool),
	};
	return UNIT_RUN("cadvisor_text", tests, argc, argv);
}
