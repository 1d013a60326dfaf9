// SPDX-License-Identifier: GPL-2.0-only
/* Cardinality control: include/exclude globs, --max-depth, --max-cgroups, and
 * metric groups switched off, on made-up trees and on the captured one. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "collect/cgroup_filter.h"
#include "collect/collector.h"
#include "fixture.h"
#include "collect/metric_groups.h"
#include "prom/prom_filter.h"
#include "prom/prom_text.h"
#include "lib/macros.h"

/* A made-up tree, in tree order. The io.stat line of each cgroup carries its
 * id, to check that the io ranges of kept cgroups still point at their own. */
struct node {
	const char *path;
	uint64_t id, parent_id;
	uint32_t depth;
	double cores;
	uint64_t mem;
};

static const struct node tree[] = {
	{ "/", 1, 0, 0, 4.0, 0 },
	{ "/system.slice", 2, 1, 1, 1.0, 600 },
	{ "/system.slice/nginx.service", 3, 2, 2, 0.9, 100 },
	{ "/system.slice/nginx.service/worker", 4, 3, 3, 0.8, 90 },
	{ "/system.slice/sshd.service", 5, 2, 2, 0.01, 500 },
	{ "/user.slice", 6, 1, 1, 0.5, 50 },
	{ "/user.slice/user-1000.slice", 7, 6, 2, 0.5, 50 },
	{ "/kubepods.slice", 8, 1, 1, 2.5, 2000 },
	{ "/kubepods.slice/kubepods-burstable.slice", 9, 8, 2, 2.0, 1500 },
	{ "/kubepods.slice/kubepods-burstable.slice/pod-a", 10, 9, 3, 1.9, 100 },
	{ "/kubepods.slice/kubepods-burstable.slice/pod-b", 11, 9, 3, 0.1, 1400 },
	{ "/kubepods.slice/kubepods-besteffort.slice", 12, 8, 2, 0.5, 500 },
};
#define NTREE (ARRAY_SIZE(tree))

/* When set, the CPU rate of the nginx worker, made larger than its
 * ancestors' (rates of a parent and a child are read at slightly different
 * times, so this happens). */
static double worker_cores;

/* A hybrid host's cgroup2 tree: no memory.current anywhere, and a busy
 * leaf four levels down, its ancestors each as busy as it (they hold it),
 * idle cgroups made before it (smaller ids). */
static const struct node hybrid[] = {
	{ "/", 1, 0, 0, 2.0, 0 },
	{ "/idle-a", 2, 1, 1, 0, 0 },
	{ "/idle-b", 3, 1, 1, 0, 0 },
	{ "/t", 4, 1, 1, 1.0, 0 },
	{ "/t/idle-c", 5, 4, 2, 0, 0 },
	{ "/t/x", 6, 4, 2, 1.0, 0 },
	{ "/t/x/y", 7, 6, 3, 1.0, 0 },
	{ "/t/x/y/busy", 8, 7, 4, 1.0, 0 },
};
#define NHYBRID (ARRAY_SIZE(hybrid))

/* Which files make_tree_of gives each cgroup (the root never has
 * memory.current). */
static bool no_memory, no_cpu;

static struct snapshot *make_tree_of(const struct node *nodes, size_t ntree)
{
	struct snapshot *s = snapshot_new();
	size_t len = 0;

	for (size_t i = 0; i < ntree; i++)
		len += strlen(nodes[i].path) + 1;
	s->strings = malloc(len);
	s->cgroups = calloc(ntree, sizeof(*s->cgroups));
	s->io.items = calloc(ntree * 2, sizeof(*s->io.items));
	s->io.cap = (uint32_t)ntree * 2;
	s->root = strdup("/sys/fs/cgroup");
	for (size_t i = 0; i < ntree; i++) {
		struct cgroup_sample *c = &s->cgroups[i];

		c->id = nodes[i].id;
		c->parent_id = nodes[i].parent_id;
		c->depth = nodes[i].depth;
		c->path_off = (uint32_t)s->strings_len;
		strcpy(s->strings + s->strings_len, nodes[i].path);
		s->strings_len += strlen(nodes[i].path) + 1;
		c->has_rates = 1;
		c->cpu_cores = nodes[i].cores;
		if (worker_cores > 0 && c->id == 4 && nodes == tree)
			c->cpu_cores = worker_cores;
		c->v.present = 1u << F_IO_STAT | 1u << F_MEMORY_STAT;
		if (!no_cpu)
			c->v.present |= 1u << F_CPU_STAT;
		else
			c->cpu_cores = 0;
		if (i > 0 && !no_memory) {
			c->v.present |= 1u << F_MEMORY_CURRENT;
			c->v.mem_current = nodes[i].mem;
		}
		c->v.cpu[CPU_USAGE] = (uint64_t)(nodes[i].cores * 1e6);
		/* Two devices each, so ranges are not all of length one. */
		c->v.io_first = s->io.len;
		c->v.io_count = 2;
		for (int d = 0; d < 2; d++)
			s->io.items[s->io.len++] = (struct io_dev_stat){ .major = 8, .minor = (uint32_t)d * 16, .rbytes = c->id * 1000 + (uint64_t)d };
		/* And a memory.stat row each, with values of its own. */
		assert_int_equal(stat_rows_add(&s->mem_stat, &c->v.mem_stat_row), 0);
		for (int k = 0; k < MEMSTAT_NR; k++)
			s->mem_stat.rows[c->v.mem_stat_row][k] = c->id * 100 + (uint64_t)k;
	}
	s->n = ntree;
	return s;
}

static struct snapshot *make_tree(void)
{
	return make_tree_of(tree, NTREE);
}

/* The paths of t, one per line, and checks that every kept cgroup's parent
 * is kept before it and its io range and memory.stat row are its own. */
static char *paths_of(const struct snapshot *t)
{
	static char buf[4096];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < t->n; i++) {
		const struct cgroup_sample *c = &t->cgroups[i];
		bool parent_seen = c->depth == 0;

		for (size_t j = 0; j < i; j++)
			if (t->cgroups[j].id == c->parent_id)
				parent_seen = true;
		if (!parent_seen)
			fail_msg("%s kept without its parent before it", sample_path(t, c));
		if (cg_has(&c->v, F_IO_STAT)) {
			assert_int_equal(c->v.io_count, 2);
			assert_int_equal(t->io.items[c->v.io_first].rbytes, c->id * 1000);
			assert_int_equal(t->io.items[c->v.io_first + 1].rbytes, c->id * 1000 + 1);
		}
		if (cg_has(&c->v, F_MEMORY_STAT)) {
			const uint64_t *row = sample_mem_stat(t, &c->v);

			assert_int_equal(row[0], c->id * 100);
			assert_int_equal(row[MEMSTAT_NR - 1], c->id * 100 + MEMSTAT_NR - 1);
		}
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s\n", sample_path(t, c));
	}
	return buf;
}

static char *run(const struct cgroup_filter *f, struct cgroup_filter_result *res)
{
	struct snapshot *s = make_tree(), *t;
	char *p;

	assert_int_equal(cgroup_filter_apply(f, s, &t, res), 0);
	/* The collector's snapshot is left as it was. */
	assert_int_equal(s->n, NTREE);
	assert_true(cg_has(&s->cgroups[1].v, F_MEMORY_STAT));
	p = paths_of(t);
	assert_int_equal(res->kept, t->n);
	assert_int_equal(res->kept + res->filtered + res->over_limit, NTREE);
	snapshot_unref(t);
	snapshot_unref(s);
	return p;
}

static void test_keep_everything(void **state)
{
	struct cgroup_filter f;
	struct cgroup_filter_result res;
	struct snapshot *s = make_tree(), *t;

	(void)state;
	cgroup_filter_init(&f);
	assert_int_equal(cgroup_filter_apply(&f, s, &t, &res), 0);
	assert_ptr_equal(t, s);		/* no copy when nothing changes */
	assert_int_equal(res.kept, NTREE);
	assert_int_equal(res.filtered + res.over_limit, 0);
	snapshot_unref(t);
	snapshot_unref(s);
}

static void test_include(void **state)
{
	static const char *const inc1[] = { "/system.slice" };
	static const char *const inc2[] = { "/system.slice/*.service" };
	static const char *const inc3[] = { "/kubepods.slice/*/pod-?", "/user.slice/*" };
	static const char *const nothing[] = { "/system.slice/nope.service" };
	struct cgroup_filter f;
	struct cgroup_filter_result res;

	(void)state;
	cgroup_filter_init(&f);
	/* A glob selects a subtree, and the ancestors come along. */
	f.include = inc1, f.n_include = 1;
	assert_string_equal(run(&f, &res),
			    "/\n/system.slice\n/system.slice/nginx.service\n"
			    "/system.slice/nginx.service/worker\n/system.slice/sshd.service\n");
	assert_int_equal(res.filtered, 7);
	/* "*" stops at "/", descendants of a match still come. */
	f.include = inc2;
	assert_string_equal(run(&f, &res),
			    "/\n/system.slice\n/system.slice/nginx.service\n"
			    "/system.slice/nginx.service/worker\n/system.slice/sshd.service\n");
	f.include = inc3, f.n_include = 2;
	assert_string_equal(run(&f, &res),
			    "/\n/user.slice\n/user.slice/user-1000.slice\n/kubepods.slice\n"
			    "/kubepods.slice/kubepods-burstable.slice\n"
			    "/kubepods.slice/kubepods-burstable.slice/pod-a\n"
			    "/kubepods.slice/kubepods-burstable.slice/pod-b\n");
	/* What the globs selected (the ancestors kept with it aside). */
	assert_int_equal(res.included, 3);
	f.include = inc1, f.n_include = 1;
	run(&f, &res);
	assert_int_equal(res.included, 4);
	/* A glob that matches nothing: nothing served, and the result says
	 * so, for the agent to. */
	f.include = nothing;
	assert_string_equal(run(&f, &res), "");
	assert_int_equal(res.included, 0);
	assert_int_equal(res.filtered, NTREE);
	/* No include glob: everything is selected. */
	f.n_include = 0;
	run(&f, &res);
	assert_int_equal(res.included, NTREE);
}

static void test_exclude(void **state)
{
	static const char *const exc[] = { "/system.slice/nginx.service", "/kubepods.slice/*-besteffort.slice" };
	static const char *const inc[] = { "/system.slice", "/kubepods.slice" };
	static const char *const exc_all[] = { "/kubepods.slice" };
	struct cgroup_filter f;
	struct cgroup_filter_result res;

	(void)state;
	cgroup_filter_init(&f);
	/* An excluded cgroup goes with its subtree. */
	f.exclude = exc, f.n_exclude = 2;
	assert_string_equal(run(&f, &res),
			    "/\n/system.slice\n/system.slice/sshd.service\n/user.slice\n"
			    "/user.slice/user-1000.slice\n/kubepods.slice\n"
			    "/kubepods.slice/kubepods-burstable.slice\n"
			    "/kubepods.slice/kubepods-burstable.slice/pod-a\n"
			    "/kubepods.slice/kubepods-burstable.slice/pod-b\n");
	assert_int_equal(res.filtered, 3);
	/* Exclude wins over include. */
	f.include = inc, f.n_include = 2;
	f.exclude = exc_all, f.n_exclude = 1;
	assert_string_equal(run(&f, &res),
			    "/\n/system.slice\n/system.slice/nginx.service\n"
			    "/system.slice/nginx.service/worker\n/system.slice/sshd.service\n");
}

static void test_max_depth(void **state)
{
	struct cgroup_filter f;
	struct cgroup_filter_result res;

	(void)state;
	cgroup_filter_init(&f);
	f.max_depth = 1;
	assert_string_equal(run(&f, &res), "/\n/system.slice\n/user.slice\n/kubepods.slice\n");
	assert_int_equal(res.filtered, 8);
	f.max_depth = 0;
	assert_string_equal(run(&f, &res), "/\n");
}

static void test_max_cgroups(void **state)
{
	struct cgroup_filter f;
	struct cgroup_filter_result res;

	(void)state;
	cgroup_filter_init(&f);
	/* In turn by CPU then memory: / (4 cores), /kubepods.slice (2000),
	 * kubepods-burstable (2.0 cores), -burstable (1500: kept),
	 * pod-b (1400 bytes) ... each with its ancestors. */
	f.max_cgroups = 4;
	assert_string_equal(run(&f, &res),
			    "/\n/kubepods.slice\n/kubepods.slice/kubepods-burstable.slice\n"
			    "/kubepods.slice/kubepods-burstable.slice/pod-b\n");
	assert_int_equal(res.over_limit, 8);
	assert_int_equal(res.filtered, 0);
	/* pod-a (1.9 cores) is next by CPU; then /system.slice (600 bytes). */
	f.max_cgroups = 6;
	assert_string_equal(run(&f, &res),
			    "/\n/system.slice\n/kubepods.slice\n/kubepods.slice/kubepods-burstable.slice\n"
			    "/kubepods.slice/kubepods-burstable.slice/pod-a\n"
			    "/kubepods.slice/kubepods-burstable.slice/pod-b\n");
	/* Then sshd (500 bytes), nginx (0.9 cores), besteffort (500 bytes,
	 * a larger id than sshd's). */
	f.max_cgroups = 9;
	assert_string_equal(run(&f, &res),
			    "/\n/system.slice\n/system.slice/nginx.service\n/system.slice/sshd.service\n"
			    "/kubepods.slice\n/kubepods.slice/kubepods-burstable.slice\n"
			    "/kubepods.slice/kubepods-burstable.slice/pod-a\n"
			    "/kubepods.slice/kubepods-burstable.slice/pod-b\n"
			    "/kubepods.slice/kubepods-besteffort.slice\n");
	assert_int_equal(res.over_limit, 3);
	/* A cgroup whose ancestors do not fit with it is passed over for the
	 * next that fits: the worker ranks first by CPU but needs four places. */
	worker_cores = 10;
	f.max_cgroups = 2;
	assert_string_equal(run(&f, &res), "/\n/kubepods.slice\n");
	f.max_cgroups = 4;
	assert_string_equal(run(&f, &res),
			    "/\n/system.slice\n/system.slice/nginx.service\n"
			    "/system.slice/nginx.service/worker\n");
	worker_cores = 0;
	/* With other filters: the limit counts what they left. */
	f.max_depth = 1;
	f.max_cgroups = 3;
	assert_string_equal(run(&f, &res), "/\n/system.slice\n/kubepods.slice\n");
	assert_int_equal(res.filtered, 8);
	assert_int_equal(res.over_limit, 1);
	/* Under the limit: nothing dropped. */
	f.max_cgroups = 100;
	run(&f, &res);
	assert_int_equal(res.over_limit, 0);
}

static char *run_on(const struct node *nodes, size_t n, const struct cgroup_filter *f,
		    struct cgroup_filter_result *res)
{
	struct snapshot *s = make_tree_of(nodes, n), *t;
	char *p;

	assert_int_equal(cgroup_filter_apply(f, s, &t, res), 0);
	p = paths_of(t);
	assert_int_equal(res->kept + res->filtered + res->over_limit, n);
	snapshot_unref(t);
	snapshot_unref(s);
	return p;
}

/* A ranking with no data is skipped: where no cgroup has memory.current
 * (a hybrid host, or --collect.memory=false), ranking by it put every cgroup
 * at 0 and took them by id, so the idle ones made first crowded out the busy
 * leaf. */
static void test_max_cgroups_without_data(void **state)
{
	struct cgroup_filter f;
	struct cgroup_filter_result res;

	(void)state;
	cgroup_filter_init(&f);
	f.max_cgroups = 5;
	no_memory = true;
	assert_string_equal(run_on(hybrid, NHYBRID, &f, &res),
			    "/\n/t\n/t/x\n/t/x/y\n/t/x/y/busy\n");
	assert_int_equal(res.over_limit, 3);
	assert_true(res.ranked_by_cpu);
	assert_false(res.ranked_by_memory);

	/* The same by memory alone, CPU switched off: the largest by
	 * memory.current, pod-b (1,400 bytes) and its ancestors first. */
	no_memory = false;
	no_cpu = true;
	f.max_cgroups = 4;
	assert_string_equal(run(&f, &res),
			    "/\n/kubepods.slice\n/kubepods.slice/kubepods-burstable.slice\n"
			    "/kubepods.slice/kubepods-burstable.slice/pod-b\n");
	assert_false(res.ranked_by_cpu);
	assert_true(res.ranked_by_memory);

	/* Neither: the shallowest first, then by id. */
	no_memory = true;
	assert_string_equal(run(&f, &res), "/\n/system.slice\n/user.slice\n/kubepods.slice\n");
	assert_false(res.ranked_by_cpu);
	assert_false(res.ranked_by_memory);
	no_memory = no_cpu = false;

	/* Both, as ever. */
	assert_string_equal(run(&f, &res),
			    "/\n/kubepods.slice\n/kubepods.slice/kubepods-burstable.slice\n"
			    "/kubepods.slice/kubepods-burstable.slice/pod-b\n");
	assert_true(res.ranked_by_cpu && res.ranked_by_memory);
}

static void test_check_glob(void **state)
{
	(void)state;
	assert_int_equal(cgroup_filter_check_glob("/"), 0);
	assert_int_equal(cgroup_filter_check_glob("/system.slice/*.service"), 0);
	assert_int_equal(cgroup_filter_check_glob("system.slice"), -EINVAL);
	assert_int_equal(cgroup_filter_check_glob("/system.slice/"), -EINVAL);
	assert_int_equal(cgroup_filter_check_glob(""), -EINVAL);
}

static void test_metric_groups_args(void **state)
{
	struct metric_groups mg;
	char a0[] = "agent", a1[] = "--collect.memory.stat=false", a2[] = "--interval",
	     a3[] = "5s", a4[] = "--no-collect.pressure", a5[] = "--collect.io",
	     a6[] = "--", a7[] = "--collect.cpu=false";
	char *argv[] = { a0, a1, a2, a3, a4, a5, a6, a7, NULL };
	int argc = 8;
	const char *bad = NULL;
	uint32_t files;

	(void)state;
	metric_groups_init(&mg);
	assert_int_equal(metric_groups_files(&mg), METRIC_FILES_ALL);
	assert_int_equal(metric_groups_take_args(&mg, &argc, argv, &bad), 0);
	/* Ours are gone; getopt's and everything after "--" stay, in order. */
	assert_int_equal(argc, 5);
	assert_string_equal(argv[1], "--interval");
	assert_string_equal(argv[2], "5s");
	assert_string_equal(argv[3], "--");
	assert_string_equal(argv[4], "--collect.cpu=false");
	assert_null(argv[5]);
	files = metric_groups_files(&mg);
	assert_false(files & (1u << F_MEMORY_STAT));
	assert_false(files & (1u << F_CPU_PRESSURE));
	assert_false(files & (1u << F_IRQ_PRESSURE));
	assert_true(files & (1u << F_MEMORY_CURRENT));
	assert_true(files & (1u << F_CPU_STAT));
	assert_true(files & (1u << F_IO_STAT));

	/* The nested group wins, in either order. */
	metric_groups_init(&mg);
	assert_int_equal(metric_groups_parse_arg(&mg, "--collect.memory.stat=true"), 1);
	assert_int_equal(metric_groups_parse_arg(&mg, "--collect.memory=false"), 1);
	files = metric_groups_files(&mg);
	assert_true(files & (1u << F_MEMORY_STAT));
	assert_false(files & (1u << F_MEMORY_CURRENT));
	assert_false(files & (1u << F_MEMORY_SWAP_CURRENT));

	/* Only what is named, after --collect.disable-defaults. */
	metric_groups_init(&mg);
	assert_int_equal(metric_groups_parse_arg(&mg, "--collect.disable-defaults"), 1);
	assert_int_equal(metric_groups_parse_arg(&mg, "--collect.cpu"), 1);
	assert_int_equal(metric_groups_files(&mg),
			 1u << F_CPU_STAT | 1u << F_CPU_MAX | 1u << F_CPU_WEIGHT);

	/* Every file is in some group: nothing escapes disable-defaults. */
	{
		uint32_t all = 0;

		for (int g = 0; g < MG_NR; g++)
			all |= metric_groups[g].files;
		assert_int_equal(all, METRIC_FILES_ALL);
	}

	/* Errors name the argument. */
	{
		char b0[] = "agent", b1[] = "--collect.memroy=false";
		char *bargv[] = { b0, b1, NULL };
		int bargc = 2;

		assert_int_equal(metric_groups_take_args(&mg, &bargc, bargv, &bad), -ENOENT);
		assert_ptr_equal(bad, b1);
	}
	assert_int_equal(metric_groups_parse_arg(&mg, "--collect.io=no"), -EINVAL);
	assert_int_equal(metric_groups_parse_arg(&mg, "--no-collect.io=false"), -EINVAL);
	assert_int_equal(metric_groups_parse_arg(&mg, "--interval"), 0);
	assert_int_equal(metric_groups_parse_arg(&mg, "--collector.io"), 0);
}

/* A group switched off is not read, and leaves nothing on the page, on the
 * captured tree. */
static void test_groups_on_page(void **state)
{
	struct collector *c, *all;
	struct snapshot *t, *s;
	struct metric_groups mg;
	struct strbuf sb = {0};

	(void)state;
	metric_groups_init(&mg);
	assert_int_equal(metric_groups_parse_arg(&mg, "--collect.memory.stat=false"), 1);
	assert_int_equal(metric_groups_parse_arg(&mg, "--collect.io=false"), 1);
	assert_int_equal(collector_new_files(V2, metric_groups_files(&mg), &c), 0);
	assert_int_equal(collector_collect(c, &t), 0);
	assert_int_equal(t->n, 2);
	/* Not opened: two files fewer held for / and for /workload, which
	 * have both. */
	assert_int_equal(collector_new(V2, &all), 0);
	assert_int_equal(collector_collect(all, &s), 0);
	assert_true(cg_has(&s->cgroups[1].v, F_MEMORY_STAT));
	assert_true(cg_has(&s->cgroups[1].v, F_IO_STAT));
	assert_int_equal(t->stats.files_held + 4, s->stats.files_held);
	assert_false(cg_has(&t->cgroups[1].v, F_MEMORY_STAT));
	assert_false(cg_has(&t->cgroups[1].v, F_IO_STAT));
	assert_int_equal(t->io.len, 0);
	assert_int_equal(t->mem_stat.len, 0);
	assert_int_equal(prom_render(t, &sb), 0);
	assert_null(strstr(sb.buf, "cgroup_memory_stat_bytes"));
	assert_null(strstr(sb.buf, "cgroup_io_read_bytes_total"));
	/* working set needs memory.stat: gone too, rather than wrong */
	assert_null(strstr(sb.buf, "cgroup_memory_working_set_bytes"));
	assert_non_null(strstr(sb.buf, "cgroup_memory_usage_bytes{cgroup=\"/workload\"} 561152"));
	assert_non_null(strstr(sb.buf, "cgroup_cpu_usage_seconds_total{cgroup=\"/workload\"}"));
	sb_free(&sb);
	snapshot_unref(t);
	snapshot_unref(s);
	collector_free(c);
	collector_free(all);
}

static void test_self_metric(void **state)
{
	struct cgroup_filter_result res = { .kept = 4, .filtered = 3, .over_limit = 18446744073709551615u };
	struct strbuf sb = {0};

	(void)state;
	prom_render_filter(&res, &sb);
	assert_string_equal(sb.buf,
			    "# HELP cgscope_cgroups_dropped Cgroups of the last cycle left out of what is served: "
			    "by --include, --exclude or --max-depth (reason=\"filter\"), or by --max-cgroups, "
			    "the largest by CPU and memory kept (reason=\"limit\").\n"
			    "# TYPE cgscope_cgroups_dropped gauge\n"
			    "cgscope_cgroups_dropped{reason=\"filter\"} 3\n"
			    "cgscope_cgroups_dropped{reason=\"limit\"} 18446744073709551615\n");
	sb_free(&sb);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keep_everything),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_exclude),
		cmocka_unit_test(test_max_depth),
		cmocka_unit_test(test_max_cgroups),
		cmocka_unit_test(test_max_cgroups_without_data),
		cmocka_unit_test(test_check_glob),
		cmocka_unit_test(test_metric_groups_args),
		cmocka_unit_test(test_groups_on_page),
		cmocka_unit_test(test_self_metric),
	};
	return UNIT_RUN("cgroup_filter", tests, argc, argv);
}
