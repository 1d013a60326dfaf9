// SPDX-License-Identifier: GPL-2.0-only
/* The collector on a copy of a fixture tree in a temporary directory: new and
 * removed cgroups, renames, malformed files, descriptors. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "collect/cgroup_tree.h"
#include "collect/collector.h"
#include "collect/fd_budget.h"
#include "collect/fd_table.h"
#include "collect/schedule.h"
#include "fixture.h"

struct tree {
	char dir[64];
	char root[128];
};

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	char cmd[256];

	strcpy(t->dir, "/tmp/cgscope-test-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(cmd, sizeof(cmd), "cp -r %s %s/tree", V2, t->dir);
	assert_int_equal(system(cmd), 0);
	snprintf(t->root, sizeof(t->root), "%s/tree", t->dir);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
	system(cmd);
	free(t);
	return 0;
}

static const struct cgroup_sample *find(const struct snapshot *s, const char *path)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(sample_path(s, &s->cgroups[i]), path))
			return &s->cgroups[i];
	return NULL;
}

/* RLIMIT_NOFILE down to 1,100 (the collector keeps 512 of it for the
 * server), the old limits into *old to put back. */
static void lower_nofile(struct rlimit *old)
{
	struct rlimit low = { 1100, 0 };

	assert_int_equal(getrlimit(RLIMIT_NOFILE, old), 0);
	low.rlim_max = old->rlim_max;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
}

static void test_churn(void **state)
{
	struct tree *t = *state;
	struct collector *c;
	struct snapshot *s;
	char p[300];
	struct stat st;
	size_t fds0;

	assert_int_equal(collector_new(t->root, &c), 0);
	assert_int_equal(collector_collect(c, &s), 0);
	assert_int_equal(s->n, 2);
	fds0 = collector_open_fds(c);
	/* inotify keeps the tree: a cycle with no change lists no directory. */
	assert_true(s->stats.watching);
	{
		uint64_t listed = s->stats.dirs_listed;
		snapshot_unref(s);
		assert_int_equal(collector_collect(c, &s), 0);
		assert_int_equal(s->stats.dirs_listed, listed);
	}
	snapshot_unref(s);

	/* A new cgroup appears, with its id = the directory's inode. */
	snprintf(p, sizeof(p), "%s/workload/new", t->root);
	assert_int_equal(mkdir(p, 0755), 0);
	unit_put(t->root, "workload/new/cpu.stat", "usage_usec 42\nuser_usec 40\nsystem_usec 2\n");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(collector_collect(c, &s), 0);
	assert_int_equal(s->n, 3);
	assert_non_null(find(s, "/workload/new"));
	assert_int_equal(find(s, "/workload/new")->id, st.st_ino);
	assert_int_equal(find(s, "/workload/new")->parent_id, find(s, "/workload")->id);
	assert_int_equal(find(s, "/workload/new")->depth, 2);
	assert_int_equal(find(s, "/workload/new")->v.cpu[CPU_USAGE], 42);
	assert_int_equal(s->stats.created, 1);
	snapshot_unref(s);

	/* Renamed: same id, new path. */
	{
		char q[200];
		snprintf(q, sizeof(q), "%s/workload/renamed", t->root);
		assert_int_equal(rename(p, q), 0);
		assert_int_equal(collector_collect(c, &s), 0);
		assert_null(find(s, "/workload/new"));
		assert_non_null(find(s, "/workload/renamed"));
		assert_int_equal(find(s, "/workload/renamed")->id, st.st_ino);
		assert_int_equal(s->stats.created, 1);
		snapshot_unref(s);
		snprintf(p, sizeof(p), "rm -rf %s", q);
		assert_int_equal(system(p), 0);
	}

	/* Removed: gone from the next snapshot, descriptors closed. */
	assert_int_equal(collector_collect(c, &s), 0);
	assert_int_equal(s->n, 2);
	assert_int_equal(s->stats.removed, 1);
	assert_int_equal(collector_open_fds(c), fds0);
	snapshot_unref(s);
	collector_free(c);
}

static void test_malformed(void **state)
{
	struct tree *t = *state;
	const struct cgroup_sample *w;
	struct collector *c;
	struct snapshot *s;
	const char *path = NULL;

	unit_put(t->root, "workload/cpu.stat", "usage_usec 12\nnr_periods oops\n");
	unit_put(t->root, "workload/memory.max", "");
	assert_int_equal(collector_new(t->root, &c), 0);
	assert_int_equal(collector_collect(c, &s), 0);
	w = find(s, "/workload");
	assert_non_null(w);
	assert_false(cg_has(&w->v, F_CPU_STAT));
	assert_false(cg_has(&w->v, F_MEMORY_MAX));
	/* The rest of the cgroup is still read. */
	assert_true(cg_has(&w->v, F_MEMORY_EVENTS));
	assert_int_equal(w->v.mem_events[MEMEV_OOM_KILL], 1);
	assert_int_equal(s->stats.read_errors[F_CPU_STAT], 1);
	assert_int_equal(s->stats.read_errors[F_MEMORY_MAX], 1);
	assert_int_equal(collector_last_error(c, F_CPU_STAT, &path), -EINVAL);
	assert_string_equal(path, "/workload");
	snapshot_unref(s);
	/* Counted again each cycle it stays broken; fixed, it is read again. */
	unit_put(t->root, "workload/cpu.stat", "usage_usec 12\n");
	assert_int_equal(collector_collect(c, &s), 0);
	assert_int_equal(s->stats.read_errors[F_CPU_STAT], 1);
	assert_int_equal(s->stats.read_errors[F_MEMORY_MAX], 2);
	assert_int_equal(find(s, "/workload")->v.cpu[CPU_USAGE], 12);
	snapshot_unref(s);
	collector_free(c);
}

/* Past RLIMIT_NOFILE the collector holds files on descriptor tables of
 * threads of their own: every file is still held, and every value read. */
static void test_fd_tables(void **state)
{
	struct tree *t = *state;
	struct rlimit old;
	struct collector *c;
	struct snapshot *s;
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "cd %s && for i in $(seq 10 49); do cp -r workload w$i; done",
		 t->root);
	assert_int_equal(system(cmd), 0);
	lower_nofile(&old);
	assert_int_equal(collector_new(t->root, &c), 0);
	for (int cycle = 0; cycle < 2; cycle++) {
		assert_int_equal(collector_collect(c, &s), 0);
		assert_int_equal(s->n, 42);
		/* Directories, cgroup.controllers and files: over 1,100 in all,
		 * more than one table may hold. */
		assert_true(collector_open_fds(c) > 1100);
		assert_true(s->stats.fd_tables >= 2);
		assert_int_equal(s->stats.files_reopened, 0);
		assert_true(s->stats.files_held > 1100);
		for (size_t i = 1; i < s->n; i++) {
			assert_true(cg_has(&s->cgroups[i].v, F_MEMORY_STAT));
			assert_true(cg_has(&s->cgroups[i].v, F_IRQ_PRESSURE) ||
				    !cg_has(&s->cgroups[1].v, F_IRQ_PRESSURE));
			assert_int_equal(s->cgroups[i].v.mem_events[MEMEV_OOM_KILL], 1);
		}
		for (int f = 0; f < F_NR; f++)
			assert_int_equal(s->stats.read_errors[f], 0);
		snapshot_unref(s);
	}
	/* Removed cgroups' files are closed on the table that held them. */
	snprintf(cmd, sizeof(cmd), "cd %s && rm -rf w1* w2* w3* w4*", t->root);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(collector_collect(c, &s), 0);
	assert_int_equal(s->n, 2);
	/* and the one directory held besides the root's, which is not counted */
	assert_int_equal(collector_open_fds(c), s->stats.files_held + 1);
	/* Table 0 has room for what is left: the others are given back. */
	assert_int_equal(s->stats.fd_tables, 1);
	snapshot_unref(s);
	collector_free(c);
	setrlimit(RLIMIT_NOFILE, &old);
}

/* The tree shrinks and the cgroups left are those a table of a thread of
 * its own held: table 0 has room for them again, so they move there (opened
 * again there once) and the other table is given back, thread and all. */
static void test_fd_tables_given_back(void **state)
{
	struct tree *t = *state;
	struct rlimit old;
	struct collector *c;
	struct snapshot *s;
	char cmd[512];
	size_t held;

	snprintf(cmd, sizeof(cmd), "cd %s && for i in $(seq 10 49); do cp -r workload w$i; done",
		 t->root);
	assert_int_equal(system(cmd), 0);
	lower_nofile(&old);
	assert_int_equal(collector_new(t->root, &c), 0);
	assert_int_equal(collector_collect(c, &s), 0);
	assert_true(s->stats.fd_tables >= 2);
	snapshot_unref(s);
	/* The first in tree order go: what is left was claimed last. */
	snprintf(cmd, sizeof(cmd), "cd %s && rm -rf workload w1* w2* w3* w40 w41 w42 w43 w44",
		 t->root);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(collector_collect(c, &s), 0);
	assert_int_equal(s->n, 6);
	assert_int_equal(s->stats.fd_tables, 1);
	snapshot_unref(s);
	/* Read from table 0 from now on, every file held, every value read. */
	for (int cycle = 0; cycle < 2; cycle++) {
		assert_int_equal(collector_collect(c, &s), 0);
		assert_int_equal(s->n, 6);
		assert_int_equal(s->stats.fd_tables, 1);
		assert_int_equal(s->stats.files_reopened, 0);
		for (size_t i = 1; i < s->n; i++) {
			assert_true(cg_has(&s->cgroups[i].v, F_MEMORY_STAT));
			assert_int_equal(s->cgroups[i].v.mem_events[MEMEV_OOM_KILL], 1);
		}
		held = s->stats.files_held;
		/* the five directories besides the root's, which is not counted */
		assert_int_equal(collector_open_fds(c), held + 5);
		snapshot_unref(s);
	}
	assert_true(held > 5 * 20);
	collector_free(c);
	setrlimit(RLIMIT_NOFILE, &old);
}

/* More files than the most tables hold: the rest are opened for each read,
 * and every cgroup is still read. */
static void test_fd_tables_full(void **state)
{
	struct tree *t = *state;
	struct rlimit old;
	struct collector *c;
	struct snapshot *s;
	char cmd[512];

	/* 900 cgroups of 28 files: past 16 tables of about 1,100. */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && for i in $(seq 100 999); do cp -al workload w$i; done", t->root);
	assert_int_equal(system(cmd), 0);
	lower_nofile(&old);
	assert_int_equal(collector_new(t->root, &c), 0);
	for (int cycle = 0; cycle < 2; cycle++) {
		size_t read = 0;

		assert_int_equal(collector_collect(c, &s), 0);
		assert_int_equal(s->n, 902);
		assert_int_equal(s->stats.fd_tables, 16);
		assert_true(s->stats.files_reopened > 0);
		assert_true(s->stats.files_held > 15 * 1000);
		for (size_t i = 1; i < s->n; i++)
			read += cg_has(&s->cgroups[i].v, F_MEMORY_STAT) &&
				s->cgroups[i].v.mem_events[MEMEV_OOM_KILL] == 1;
		assert_int_equal(read, 901);
		for (int f = 0; f < F_NR; f++)
			assert_int_equal(s->stats.read_errors[f], 0);
		snapshot_unref(s);
	}
	collector_free(c);
	setrlimit(RLIMIT_NOFILE, &old);
}

/* More cgroups than table 0 has descriptors: directories too are then
 * opened by path, and every cgroup is still read. */
static void test_fd_budget_below_cgroups(void **state)
{
	struct tree *t = *state;
	struct rlimit old;
	struct collector *c;
	struct snapshot *s;
	char p[300];
	int n = 0;

	for (int i = 0; i < 30; i++) {
		snprintf(p, sizeof(p), "%s/workload/a%02d", t->root, i);
		assert_int_equal(mkdir(p, 0755), 0);
		for (int j = 0; j < 25; j++, n++) {
			snprintf(p, sizeof(p), "workload/a%02d/b%02d", i, j);
			char full[800];
			snprintf(full, sizeof(full), "%s/%s", t->root, p);
			assert_int_equal(mkdir(full, 0755), 0);
			strcat(p, "/cpu.stat");
			unit_put(t->root, p, "usage_usec 7\nuser_usec 5\nsystem_usec 2\n");
		}
	}
	lower_nofile(&old);
	assert_int_equal(collector_new(t->root, &c), 0);
	for (int cycle = 0; cycle < 2; cycle++) {
		size_t read = 0;

		assert_int_equal(collector_collect(c, &s), 0);
		assert_int_equal(s->n, 2 + 30 + (size_t)n);
		for (size_t i = 0; i < s->n; i++)
			if (cg_has(&s->cgroups[i].v, F_CPU_STAT) && s->cgroups[i].v.cpu[CPU_USAGE] == 7)
				read++;
		assert_int_equal(read, (size_t)n);
		assert_int_equal(s->stats.files_reopened, 0);
		snapshot_unref(s);
	}
	collector_free(c);
	setrlimit(RLIMIT_NOFILE, &old);
}

static struct cg_node *walk_find(const struct cgroup_walk *w, const char *path)
{
	for (size_t i = 0; i < w->n; i++)
		if (!strcmp(w->order[i]->path, path))
			return w->order[i];
	return NULL;
}

static void mkdir_in(const char *root, const char *rel)
{
	char p[300];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

static void rmdir_in(const char *root, const char *rel)
{
	char p[300];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(rmdir(p), 0);
}

/* The tree on its own, with nothing but a descriptor budget: its directories
 * are held while the budget has room, and each node has a small slot that is
 * reported when the node goes and given again only from the next walk on. */
/* The tree used from a thread with a descriptor table of its own: its
 * directories are watched by their own descriptors (/proc/self/fd would
 * name the process's table, where the numbers are other files), so a new
 * cgroup is found without listing every directory again. */
struct on_thread {
	const char *root;
	struct cgroup_tree *tree;
	struct fd_budget dirs;
	struct cgroup_walk w;
	struct cgroup_tree_stats st;
	int r;
};

static void tree_open_on(void *arg)
{
	struct on_thread *o = arg;

	fd_budget_init(&o->dirs, 100);
	o->r = cgroup_tree_open(o->root, &o->dirs, &o->tree);
}

static void tree_walk_on(void *arg)
{
	struct on_thread *o = arg;

	o->r = cgroup_tree_walk(o->tree, &o->w);
	cgroup_tree_stats(o->tree, &o->st);
}

static void tree_free_on(void *arg)
{
	cgroup_tree_free(((struct on_thread *)arg)->tree);
}

static void test_tree_watches_from_a_table_of_its_own(void **state)
{
	struct tree *t = *state;
	struct on_thread o = { .root = t->root };
	struct fd_table *tbl;
	uint64_t listed;
	int filler[8];

	/* Descriptors in the process's table at the numbers the thread's
	 * table will use: what /proc/self/fd/N would wrongly name. */
	for (int i = 0; i < 8; i++)
		filler[i] = open("/dev/null", O_RDONLY);
	assert_int_equal(fd_table_new(-1, &tbl), 0);
	fd_table_run(tbl, tree_open_on, &o);
	assert_int_equal(o.r, 0);
	mkdir_in(t->root, "a");
	fd_table_run(tbl, tree_walk_on, &o);
	assert_int_equal(o.r, 0);
	assert_true(o.st.watching);
	listed = o.st.listed;
	fd_table_run(tbl, tree_walk_on, &o);
	assert_true(o.st.watching);
	assert_int_equal(o.st.listed, listed);	/* nothing changed: nothing listed */
	mkdir_in(t->root, "a/new");
	fd_table_run(tbl, tree_walk_on, &o);
	assert_true(o.st.watching);
	assert_non_null(walk_find(&o.w, "/a/new"));
	assert_int_equal(o.st.listed, listed + 2);	/* /a, and /a/new itself */
	fd_table_run(tbl, tree_free_on, &o);
	fd_table_free(tbl);
	for (int i = 0; i < 8; i++)
		close(filler[i]);
}

static void test_tree_slots_and_budget(void **state)
{
	struct tree *t = *state;
	struct fd_budget dirs;
	struct cgroup_tree *tree;
	struct cgroup_walk w;
	struct cg_node *n;
	uint32_t slot_b, slot_a;
	bool seen[8] = { false };

	/* /, /a, /b, /c, /workload: four below the root, two held. */
	mkdir_in(t->root, "a");
	mkdir_in(t->root, "b");
	mkdir_in(t->root, "c");
	fd_budget_init(&dirs, 2);
	assert_int_equal(cgroup_tree_open(t->root, &dirs, &tree), 0);
	assert_int_equal(cgroup_tree_walk(tree, &w), 0);
	assert_int_equal(w.n, 5);
	assert_int_equal(w.nremoved, 0);
	assert_int_equal(dirs.held, 2);
	assert_int_equal(cgroup_tree_slots(tree), 5);
	for (size_t i = 0; i < w.n; i++) {
		assert_true(w.order[i]->slot < 5);
		assert_false(seen[w.order[i]->slot]);
		seen[w.order[i]->slot] = true;
	}
	/* The ones past the budget are still read, by path. */
	n = walk_find(&w, "/workload");
	assert_int_equal(n->dirfd, -1);
	{
		int fd = cgroup_tree_openat(tree, n, "cpu.stat", O_RDONLY);

		assert_true(fd >= 0);
		close(fd);
	}

	/* b goes: its slot is reported, its directory given back. */
	slot_b = walk_find(&w, "/b")->slot;
	rmdir_in(t->root, "b");
	assert_int_equal(cgroup_tree_walk(tree, &w), 0);
	assert_int_equal(w.n, 4);
	assert_int_equal(w.nremoved, 1);
	assert_int_equal(w.removed[0], slot_b);
	assert_int_equal(dirs.held, 1);

	/* a goes and d comes in the same walk: d does not take a's slot,
	 * reported by this very walk, but b's, reported by the last. */
	slot_a = walk_find(&w, "/a")->slot;
	rmdir_in(t->root, "a");
	mkdir_in(t->root, "d");
	assert_int_equal(cgroup_tree_walk(tree, &w), 0);
	assert_int_equal(w.nremoved, 1);
	assert_int_equal(w.removed[0], slot_a);
	assert_int_equal(walk_find(&w, "/d")->slot, slot_b);
	assert_int_equal(cgroup_tree_slots(tree), 5);
	assert_int_equal(dirs.held, 1);		/* d's held, a's given back */
	assert_true(walk_find(&w, "/d")->dirfd >= 0);

	/* A walk with no change reports nothing removed. */
	assert_int_equal(cgroup_tree_walk(tree, &w), 0);
	assert_int_equal(w.nremoved, 0);
	assert_int_equal(w.n, 4);
	cgroup_tree_free(tree);
	assert_int_equal(dirs.held, 0);
}

/* Cycles start on the interval's ticks from the first; one that runs past
 * the next tick skips the ticks it ran into, and the next starts on the
 * first tick after it ended: never at once, back to back. */
static void test_schedule(void **state)
{
	struct cycle_schedule s;
	const uint64_t ms = 1000000;

	(void)state;
	cycle_schedule_init(&s, 5 * ms, 100 * ms);
	/* On time: the next tick, wherever in the interval the cycle ended. */
	assert_int_equal(cycle_schedule_next(&s, 60 * ms), 105 * ms);
	assert_int_equal(cycle_schedule_next(&s, 204 * ms), 205 * ms);
	assert_int_equal(s.overruns, 0);
	/* 150 ms: past 305, the tick at 305 is skipped, the next at 405. */
	assert_int_equal(cycle_schedule_next(&s, 355 * ms), 405 * ms);
	assert_int_equal(s.overruns, 1);
	assert_int_equal(s.ticks_skipped, 1);
	assert_int_equal(s.streak, 1);
	/* 340 ms: three ticks skipped (505, 605, 705), next at 805. */
	assert_int_equal(cycle_schedule_next(&s, 745 * ms), 805 * ms);
	assert_int_equal(s.overruns, 2);
	assert_int_equal(s.ticks_skipped, 4);
	assert_int_equal(s.streak, 2);
	/* Ending right on the next tick is an overrun too: it is skipped
	 * rather than started at once. */
	assert_int_equal(cycle_schedule_next(&s, 905 * ms), 1005 * ms);
	assert_int_equal(s.streak, 3);
	/* Back on time: the streak ends, the counts stay. */
	assert_int_equal(cycle_schedule_next(&s, 1010 * ms), 1105 * ms);
	assert_int_equal(s.streak, 0);
	assert_int_equal(s.overruns, 3);
	assert_int_equal(s.ticks_skipped, 5);
}

static void test_missing_root(void **state)
{
	struct collector *c = NULL;

	(void)state;
	assert_int_equal(collector_new("/nonexistent/cgroup", &c), -ENOENT);
	assert_null(c);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_churn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_tables_given_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_tables_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_budget_below_cgroups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_slots_and_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_watches_from_a_table_of_its_own, setup,
						teardown),
		cmocka_unit_test(test_schedule),
		cmocka_unit_test(test_missing_root),
	};
	return UNIT_RUN("collector", tests, argc, argv);
}
