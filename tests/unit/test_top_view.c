// SPDX-License-Identifier: GPL-2.0-only
/* cgscope top without a terminal: rows from snapshots, sorting, tree and
 * flat order, depth and path filters, frames of fixture trees, and the
 * events derived from two snapshots or read from an agent. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "collect/collector.h"
#include "fixture.h"
#include "top/top_view.h"

/* --- synthetic rows ------------------------------------------------------ */

/* A tree of rows as a snapshot lists them, parents first:
 *   /  /a  /a/x  /a/y  /b  /b/z  */
static struct top_row rows[6];

static void row(size_t i, const char *path, uint32_t depth, size_t parent,
		double cpu, uint64_t mem)
{
	rows[i] = (struct top_row){
		.path = path, .depth = depth, .parent = parent, .tasks = TOP_NA,
		.cpu_pct = cpu, .throttled_pct = NAN, .mem = mem, .mem_pct = NAN,
		.psi_mem = NAN, .io_read = NAN, .io_write = NAN, .oom_kills = TOP_NA,
		.oom_new = TOP_NA, .high_new = TOP_NA, .max_new = TOP_NA,
		.net_rx = NAN, .net_tx = NAN,
	};
}

static int setup_rows(void **state)
{
	(void)state;
	row(0, "/", 0, SIZE_MAX, 150.0, TOP_NA);
	row(1, "/a", 1, 0, 20.0, 100);
	row(2, "/a/x", 2, 1, 5.0, UINT64_MAX - 1);	/* a difference would overflow */
	row(3, "/a/y", 2, 1, 15.0, 0);
	row(4, "/b", 1, 0, 120.0, 50);
	row(5, "/b/z", 2, 4, NAN, 7);			/* unknown: last either way */
	return 0;
}

static void expect_order(const struct top_view *v, const char *const *want, int nwant)
{
	size_t order[6];
	int n = top_view_order(v, rows, 6, order);

	assert_int_equal(n, nwant);
	for (int i = 0; i < n; i++)
		assert_string_equal(rows[order[i]].path, want[i]);
}

static void test_sort_flat(void **state)
{
	struct top_view v = { .sort = TOP_SORT_CPU, .flat = true, .max_depth = -1 };

	(void)state;
	expect_order(&v, (const char *[]){ "/", "/b", "/a", "/a/y", "/a/x", "/b/z" }, 6);
	v.reverse = true;
	/* Reversed, the unknown value stays last. */
	expect_order(&v, (const char *[]){ "/a/x", "/a/y", "/a", "/b", "/", "/b/z" }, 6);
	v.reverse = false;
	v.sort = TOP_SORT_MEMORY;
	expect_order(&v, (const char *[]){ "/a/x", "/a", "/b", "/b/z", "/a/y", "/" }, 6);
	v.sort = TOP_SORT_PATH;
	expect_order(&v, (const char *[]){ "/", "/a", "/a/x", "/a/y", "/b", "/b/z" }, 6);
	v.reverse = true;
	expect_order(&v, (const char *[]){ "/b/z", "/b", "/a/y", "/a/x", "/a", "/" }, 6);
	/* Ties go by path. */
	v = (struct top_view){ .sort = TOP_SORT_TASKS, .flat = true, .max_depth = -1 };
	expect_order(&v, (const char *[]){ "/", "/a", "/a/x", "/a/y", "/b", "/b/z" }, 6);
}

static void test_sort_tree(void **state)
{
	struct top_view v = { .sort = TOP_SORT_CPU, .max_depth = -1 };

	(void)state;
	/* Siblings sorted, each followed by its own subtree. */
	expect_order(&v, (const char *[]){ "/", "/b", "/b/z", "/a", "/a/y", "/a/x" }, 6);
	v.sort = TOP_SORT_MEMORY;
	expect_order(&v, (const char *[]){ "/", "/a", "/a/x", "/a/y", "/b", "/b/z" }, 6);
}

static void test_depth_and_filter(void **state)
{
	struct top_view v = { .sort = TOP_SORT_CPU, .max_depth = 1 };

	(void)state;
	expect_order(&v, (const char *[]){ "/", "/b", "/a" }, 3);
	v.max_depth = 0;
	expect_order(&v, (const char *[]){ "/" }, 1);
	/* In a tree a match brings its ancestors, so that it keeps its place. */
	v = (struct top_view){ .sort = TOP_SORT_CPU, .max_depth = -1, .filter = "/a/" };
	expect_order(&v, (const char *[]){ "/", "/a", "/a/y", "/a/x" }, 4);
	v.flat = true;
	expect_order(&v, (const char *[]){ "/a/y", "/a/x" }, 2);
	/* A match below the depth limit is not shown, nor does it bring its
	 * ancestors. */
	v = (struct top_view){ .sort = TOP_SORT_CPU, .max_depth = 1, .filter = "z" };
	expect_order(&v, (const char *[]){ 0 }, 0);
	v.filter = "";
	expect_order(&v, (const char *[]){ "/", "/b", "/a" }, 3);
}

static void test_sort_names(void **state)
{
	enum top_sort s;

	(void)state;
	for (int i = 0; i < TOP_SORT_NR; i++) {
		assert_int_equal(top_sort_parse(top_sort_names[i], &s), 0);
		assert_int_equal(s, i);
	}
	assert_int_equal(top_sort_parse("CPU", &s), -EINVAL);
	assert_int_equal(top_sort_parse("", &s), -EINVAL);
}

/* --- fixture trees -------------------------------------------------------- */

struct two {
	struct snapshot *prev, *cur;
	struct top_row *rows;
	size_t n;
};

static void collect_two(const char *root, struct two *t)
{
	struct collector *c;

	assert_int_equal(collector_new(root, &c), 0);
	assert_int_equal(collector_collect(c, &t->prev), 0);
	assert_int_equal(collector_collect(c, &t->cur), 0);
	collector_free(c);
	assert_int_equal(top_rows_build(t->cur, t->prev, NULL, &t->rows, &t->n), 0);
}

static void free_two(struct two *t)
{
	free(t->rows);
	snapshot_unref(t->prev);
	snapshot_unref(t->cur);
}

static const struct top_row *find_row(const struct two *t, const char *path)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->rows[i].path, path))
			return &t->rows[i];
	fail_msg("no row %s", path);
	return NULL;
}

static char *frame(const struct two *t, const struct top_view *v,
		   const struct top_render_opts *o, const struct top_events *ev)
{
	struct top_frame f = {
		.host = "testhost", .kernel = "6.1.0", .source = "fixture",
		.rows = t->rows, .n = t->n, .interval_ms = 1500, .events = ev,
		.events_source = "BPF events: off",
	};
	struct strbuf sb = {0};

	assert_int_equal(top_render(&f, v, o, &sb), 0);
	return sb_steal(&sb, NULL);
}

/* The line of the frame whose first word is path. */
static const char *line_of(const char *text, const char *path)
{
	size_t n = strlen(path);

	for (const char *l = text; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *p = l;
		while (*p == ' ')
			p++;
		if (!strncmp(p, path, n) && p[n] == ' ')
			return l;
	}
	fail_msg("no line for %s in:\n%s", path, text);
	return NULL;
}

/* The words of a line, up to its end. */
static int words(const char *line, char w[][32], int max)
{
	int n = 0;

	while (*line && *line != '\n' && n < max) {
		int k = 0;
		while (*line == ' ')
			line++;
		while (*line && *line != ' ' && *line != '\n' && k < 31)
			w[n][k++] = *line++;
		w[n][k] = '\0';
		if (k)
			n++;
	}
	return n;
}

static void test_rows_v2(void **state)
{
	struct two t;
	const struct top_row *w, *root;

	(void)state;
	collect_two(V2, &t);
	assert_int_equal(t.n, 2);
	w = find_row(&t, "/workload");
	root = find_row(&t, "/");
	assert_true(w->parent == (size_t)(root - t.rows));
	assert_true(root->parent == SIZE_MAX);
	assert_true(w->tasks == 2);			/* pids.current */
	assert_true(w->mem == 561152);			/* memory.current */
	assert_true(fabs(w->mem_pct - 100.0 * 561152 / 29999104) < 1e-9);
	assert_true(fabs(w->psi_mem - 5.14) < 1e-9);
	assert_true(w->oom_kills == 1);
	/* Nothing changes between two reads of a captured tree. */
	assert_true(w->oom_new == 0 && w->high_new == 0 && w->max_new == 0);
	assert_true(w->throttled_pct == 0.0);
	assert_true(w->cpu_pct == 0.0 && w->io_read == 0.0 && w->io_write == 0.0);
	/* The root has no memory.current nor memory.events. */
	assert_true(root->mem == TOP_NA && root->oom_kills == TOP_NA && isnan(root->mem_pct));
	free_two(&t);
}

static void test_frame_v2(void **state)
{
	struct top_view v = { .sort = TOP_SORT_CPU, .flat = true, .max_depth = -1 };
	struct top_render_opts o = { .events_max = 10 };
	struct top_events *ev = calloc(1, sizeof(*ev));
	char w[16][32], *text;
	struct two t;

	(void)state;
	collect_two(V2, &t);
	text = frame(&t, &v, &o, ev);
	/* Header: host, kernel, root, count, memory total, interval. */
	assert_non_null(strstr(text, "host testhost"));
	assert_non_null(strstr(text, "kernel 6.1.0"));
	assert_non_null(strstr(text, "root fixture"));
	assert_non_null(strstr(text, "2 cgroups"));
	assert_non_null(strstr(text, "memory 548.0K"));
	assert_non_null(strstr(text, "refresh 1.5s"));
	assert_non_null(strstr(text, "Events: none new"));
	/* Path Tasks %CPU %Thr Memory %Max PSI-M Read/s Write/s Rx/s Tx/s OOM
	 * High+ Max+ */
	assert_int_equal(words(line_of(text, "Path"), w, 16), 14);
	assert_string_equal(w[4], "Memory");
	assert_string_equal(w[9], "Rx/s");
	assert_string_equal(w[10], "Tx/s");
	assert_int_equal(words(line_of(text, "/workload"), w, 16), 14);
	assert_string_equal(w[1], "2");
	assert_string_equal(w[2], "0.0");
	assert_string_equal(w[3], "0.0");
	assert_string_equal(w[4], "548.0K");
	assert_string_equal(w[5], "1.9");
	assert_string_equal(w[6], "5.14");
	assert_string_equal(w[7], "0B");
	/* a tree read locally has no network figures: no BPF */
	assert_string_equal(w[9], "-");
	assert_string_equal(w[10], "-");
	assert_string_equal(w[11], "1");
	assert_string_equal(w[12], "0");
	/* What the root lacks is a dash. */
	assert_int_equal(words(line_of(text, "/"), w, 16), 14);
	assert_string_equal(w[4], "-");
	assert_string_equal(w[11], "-");
	free(text);

	/* --raw: exact bytes. */
	o.raw = true;
	text = frame(&t, &v, &o, ev);
	assert_int_equal(words(line_of(text, "/workload"), w, 16), 14);
	assert_string_equal(w[4], "561152");
	free(text);

	/* No events endpoint. */
	o.raw = false;
	text = frame(&t, &v, &o, NULL);
	assert_non_null(strstr(text, "Events: unavailable"));
	free(text);
	free(ev);
	free_two(&t);
}

static void test_frame_hybrid(void **state)
{
	struct top_view v = { .sort = TOP_SORT_CPU, .max_depth = -1 };
	struct top_render_opts o = { .events_max = 10 };
	char w[16][32], *text;
	struct two t;

	(void)state;
	collect_two(HYBRID, &t);
	text = frame(&t, &v, &o, NULL);
	/* A tree: the child is indented under its parent, by name. */
	assert_non_null(strstr(text, "\n  workload "));
	assert_non_null(strstr(text, "\n    child "));
	/* No memory, io or pids controller on this host: dashes, as cgtop. */
	assert_int_equal(words(line_of(text, "workload"), w, 16), 14);
	assert_string_equal(w[1], "-");		/* no pids.current, no counts given */
	assert_string_equal(w[2], "0.0");
	assert_string_equal(w[3], "-");		/* no nr_periods without cpu.max */
	assert_string_equal(w[4], "-");
	assert_string_equal(w[7], "-");
	assert_string_equal(w[11], "-");
	assert_non_null(strstr(text, "memory -"));
	free(text);
	free_two(&t);
}

/* A terminal frame fills the screen exactly and cuts nothing but the path. */
static void test_frame_fits_terminal(void **state)
{
	struct top_view v = { .sort = TOP_SORT_CPU, .flat = true, .max_depth = -1 };
	struct top_render_opts o = { .width = 120, .height = 20, .events_max = 100 };
	struct top_events *ev = calloc(1, sizeof(*ev));
	char *text, *p;
	int lines = 1;
	struct two t;

	(void)state;
	collect_two(V2, &t);
	for (int i = 0; i < 30; i++)
		top_events_add(ev, 0, "created", "/a/very/long/path/that/goes/on/and/on/and/on/and/on/and/on/and/on/and/on/x", "");
	text = frame(&t, &v, &o, ev);
	for (p = text; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 20);
	for (char *l = text; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char *e = strchr(l, '\n');
		assert_true((size_t)(e ? e - l : (long)strlen(l)) <= 120);
	}
	/* A cgroup named with an escape sequence does not reach the terminal. */
	t.rows[1].path = "/evil\033]0;pwned\007";
	free(text);
	o.ansi = true;
	text = frame(&t, &v, &o, ev);
	assert_null(strstr(text, "\033]0"));
	assert_non_null(strstr(text, "/evil?]0;pwned?"));
	free(text);
	/* Nor does a C1 control (CSI as U+009B); a byte that is not UTF-8 is
	 * written as the page writes it (lib/utf8.h); valid UTF-8 passes. */
	t.rows[1].path = "/bad\xc2\x9b" "31m\xff/caf\xc3\xa9";
	text = frame(&t, &v, &o, ev);
	assert_non_null(strstr(text, "/bad?31m\xef\xbf\xbd" "ff/caf\xc3\xa9 "));
	free(text);
	free(ev);
	free_two(&t);
}

/* More rows than the terminal has lines: the last says how many are left. */
static void test_frame_more_rows(void **state)
{
	struct top_view v = { .sort = TOP_SORT_PATH, .flat = true, .max_depth = -1 };
	struct top_render_opts o = { .width = 120, .height = 10, .events_max = 10 };
	struct top_frame f = { .rows = rows, .n = 6, .interval_ms = 1000 };
	struct strbuf sb = {0};
	int lines = 1;

	(void)state;
	assert_int_equal(top_render(&f, &v, &o, &sb), 0);
	for (size_t i = 0; i < sb.len; i++)
		lines += sb.buf[i] == '\n';
	assert_int_equal(lines, 10);
	/* 4 header lines and 2 for the events pane leave 4: 3 rows and the
	 * note. */
	assert_non_null(strstr(sb.buf, "\n/a/x "));
	assert_null(strstr(sb.buf, "\n/a/y "));
	assert_non_null(strstr(sb.buf, "\n... 3 more (/ filters"));
	assert_non_null(strstr(sb.buf, "\nEvents: unavailable"));
	sb_free(&sb);
	/* Room for all: no note. */
	o.height = 40;
	assert_int_equal(top_render(&f, &v, &o, &sb), 0);
	assert_null(strstr(sb.buf, "more (/ filters"));
	assert_non_null(strstr(sb.buf, "\n/b/z "));
	sb_free(&sb);
}

/* The names toggle ('n'): pods and containers by name where known, paths
 * elsewhere; the filter matches the names too. */
static void test_frame_names(void **state)
{
	struct top_view v = { .sort = TOP_SORT_PATH, .max_depth = -1 };
	struct top_render_opts o = { .width = 160 };
	struct top_frame f = { .rows = rows, .n = 6, .interval_ms = 1000 };
	struct strbuf sb = {0};

	(void)state;
	/* /a a pod's cgroup, /a/x its sandbox, /a/y a container. */
	rows[1].namespace_ = "shop", rows[1].pod = "web-0", rows[1].container = "", rows[1].image = "";
	rows[2].namespace_ = "shop", rows[2].pod = "web-0", rows[2].container = "";
	rows[2].image = "registry.k8s.io/pause:3.10";
	rows[3].namespace_ = "shop", rows[3].pod = "web-0", rows[3].container = "nginx";
	rows[3].image = "nginx:1.25";
	assert_int_equal(top_render(&f, &v, &o, &sb), 0);
	assert_non_null(strstr(sb.buf, "\n  a "));	/* off: paths */
	assert_null(strstr(sb.buf, "nginx"));
	sb_free(&sb);
	v.names = true;
	assert_int_equal(top_render(&f, &v, &o, &sb), 0);
	assert_non_null(strstr(sb.buf, "\n  shop/web-0 "));
	assert_non_null(strstr(sb.buf, "\n    (sandbox) "));
	assert_non_null(strstr(sb.buf, "\n    nginx "));
	assert_non_null(strstr(sb.buf, "\n  b "));	/* no names: its path */
	sb_free(&sb);
	v.flat = true;
	assert_int_equal(top_render(&f, &v, &o, &sb), 0);
	assert_non_null(strstr(sb.buf, "\nshop/web-0/nginx "));
	assert_non_null(strstr(sb.buf, "\nshop/web-0/(sandbox) "));
	assert_non_null(strstr(sb.buf, "\n/b/z "));
	sb_free(&sb);
	v.filter = "nginx";
	expect_order(&v, (const char *[]){ "/a/y" }, 1);
	v.names = false;
	expect_order(&v, (const char *[]){ "" }, 0);
}

/* --- events --------------------------------------------------------------- */

static const struct top_event *find_event(const struct top_events *ev, const char *type)
{
	const struct top_event *e;

	for (size_t i = 0; (e = top_events_recent(ev, i)); i++)
		if (!strcmp(e->type, type))
			return e;
	fail_msg("no %s event", type);
	return NULL;
}

static void test_events_diff(void **state)
{
	char dir[] = "/tmp/cgscope-top-XXXXXX", root[64], cmd[256], p[128], w[16][32];
	struct top_view v = { .sort = TOP_SORT_CPU, .flat = true, .max_depth = -1 };
	struct top_render_opts o = { .events_max = 10 };
	struct top_events *ev = calloc(1, sizeof(*ev));
	struct snapshot *a, *b, *c3;
	struct top_row *rs;
	struct collector *c;
	const struct top_event *e;
	struct two t;
	size_t n;
	char *text;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "cp -r %s %s/tree && chmod -R u+w %s", V2, dir, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(root, sizeof(root), "%s/tree", dir);
	assert_int_equal(collector_new(root, &c), 0);
	assert_int_equal(collector_collect(c, &a), 0);

	/* An OOM kill, 12 throttled periods of 20, a memory.high breach, and a
	 * new cgroup. */
	unit_put(root, "workload/memory.events",
	    "low 0\nhigh 330\nmax 53\noom 3\noom_kill 2\noom_group_kill 0\n");
	unit_put(root, "workload/cpu.stat",
	    "usage_usec 2621523\nuser_usec 187570\nsystem_usec 2433952\nnr_periods 309\n"
	    "nr_throttled 263\nthrottled_usec 35376960\nnr_bursts 0\nburst_usec 0\n");
	snprintf(p, sizeof(p), "%s/new", root);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(collector_collect(c, &b), 0);

	assert_int_equal(top_events_diff(ev, a, b), 3);
	/* In the order of the tree walk, which follows the directory's. */
	e = find_event(ev, "mkdir");
	assert_string_equal(e->path, "/new");
	e = find_event(ev, "oom_kill");
	assert_string_equal(e->path, "/workload");
	assert_string_equal(e->detail, "+1 (total 2)");
	e = find_event(ev, "throttle");
	assert_string_equal(e->path, "/workload");
	assert_string_equal(e->detail, "+12 periods");
	assert_null(top_events_recent(ev, 3));

	/* The rows say the same, and the fresh OOM kill is marked. */
	assert_int_equal(top_rows_build(b, a, NULL, &rs, &n), 0);
	t = (struct two){ .prev = a, .cur = b, .rows = rs, .n = n };
	text = frame(&t, &v, &o, ev);
	assert_int_equal(words(line_of(text, "/workload"), w, 16), 14);
	assert_string_equal(w[3], "60.0");	/* 12 of 20 periods */
	assert_string_equal(w[11], "2*");
	assert_string_equal(w[12], "7");	/* high 323 -> 330 */
	assert_string_equal(w[13], "0");
	assert_non_null(strstr(text, "mkdir      /new"));
	assert_non_null(strstr(text, "oom_kill   /workload  +1 (total 2)"));
	/* Only what is new since the last frame: here the newest alone. */
	free(text);
	o.events_after = ev->added - 1;
	text = frame(&t, &v, &o, ev);
	for (size_t i = 0; i < 3; i++) {
		char want[320];
		e = top_events_recent(ev, i);
		snprintf(want, sizeof(want), "  %-10s %s", e->type, e->path);
		if (i == 0)
			assert_non_null(strstr(text, want));
		else
			assert_null(strstr(text, want));
	}
	free(text);
	free(rs);

	/* Removed. */
	assert_int_equal(rmdir(p), 0);
	assert_int_equal(collector_collect(c, &c3), 0);
	assert_int_equal(top_events_diff(ev, b, c3), 1);
	assert_string_equal(top_events_recent(ev, 0)->type, "rmdir");
	assert_string_equal(top_events_recent(ev, 0)->path, "/new");

	snapshot_unref(a);
	snapshot_unref(b);
	snapshot_unref(c3);
	collector_free(c);
	free(ev);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_events_ring(void **state)
{
	struct top_events *ev = calloc(1, sizeof(*ev));
	char path[300];

	(void)state;
	for (int i = 0; i < TOP_EVENTS_MAX + 10; i++) {
		snprintf(path, sizeof(path), "/%d", i);
		top_events_add(ev, i, "created", path, NULL);
	}
	assert_int_equal(ev->n, TOP_EVENTS_MAX);
	assert_true(ev->added == TOP_EVENTS_MAX + 10);
	snprintf(path, sizeof(path), "/%d", TOP_EVENTS_MAX + 9);
	assert_string_equal(top_events_recent(ev, 0)->path, path);
	assert_string_equal(top_events_recent(ev, TOP_EVENTS_MAX - 1)->path, "/10");
	/* A long path keeps its end. */
	memset(path, 'x', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	path[sizeof(path) - 2] = 'E';
	top_events_add(ev, 0, "created", path, NULL);
	assert_int_equal(strlen(top_events_recent(ev, 0)->path), 255);
	assert_memory_equal(top_events_recent(ev, 0)->path, "...", 3);
	assert_int_equal(top_events_recent(ev, 0)->path[254], 'E');
	free(ev);
}

static void test_events_json(void **state)
{
	static const char doc[] =
		"{\"events\":[{\"seq\":7,\"type\":\"oom_kill\",\"timestamp_ms\":1700000000000,"
		"\"cgroup_id\":123,\"path\":\"/a\",\"pid\":42,\"comm\":\"stress\"},"
		"{\"seq\":8,\"type\":\"migration\",\"cgroup_id\":18446744073709551615}],"
		"\"next_seq\":9}";
	/* As the agent writes them (agent/events/event_format.c). */
	static const char agent[] =
		"{\"events\":[{\"seq\":9,\"time\":\"2026-11-29T05:00:00.000000001Z\","
		"\"timestamp_ns\":1795928400000000001,\"ktime_ns\":123,\"type\":\"mkdir\","
		"\"source\":\"tp_btf\",\"cgroup_id\":4242,\"path\":\"/x/y\",\"level\":2}],"
		"\"next_seq\":9}";
	static const char huge_seq[] = "{\"events\":[],\"next_seq\":1e300}";
	static const char huge_vals[] =
		"{\"events\":[{\"type\":\"x\",\"ts_ms\":1e300,\"n\":-1e300}],\"next_seq\":10}";
	struct top_events *ev = calloc(1, sizeof(*ev));
	uint64_t next = 0;

	(void)state;
	assert_int_equal(top_events_parse_json(ev, doc, strlen(doc), 5, &next), 2);
	assert_true(next == 9);
	assert_string_equal(top_events_recent(ev, 1)->type, "oom_kill");
	assert_string_equal(top_events_recent(ev, 1)->path, "/a");
	assert_string_equal(top_events_recent(ev, 1)->detail, "pid=42 comm=stress");
	assert_true(top_events_recent(ev, 1)->ts_ms == 1700000000000);
	assert_string_equal(top_events_recent(ev, 0)->type, "migration");
	assert_string_equal(top_events_recent(ev, 0)->detail, "");
	assert_non_null(strstr(top_events_recent(ev, 0)->path, "cgroup id"));
	assert_true(top_events_recent(ev, 0)->ts_ms == 5);
	assert_int_equal(top_events_parse_json(ev, "{}", 2, 0, &next), -EINVAL);
	/* Numbers no event carries are refused or shown, never converted
	 * out of range (found with UBSan). */
	assert_int_equal(top_events_parse_json(ev, huge_seq, strlen(huge_seq), 0, &next), -EINVAL);
	assert_int_equal(top_events_parse_json(ev, huge_vals, strlen(huge_vals), 3, &next), 1);
	assert_true(top_events_recent(ev, 0)->ts_ms == 3);
	assert_true(next == 10);
	assert_int_equal(top_events_parse_json(ev, "[", 1, 0, &next), -EINVAL);
	assert_true(next == 10);
	assert_int_equal(top_events_parse_json(ev, agent, strlen(agent), 0, &next), 1);
	assert_string_equal(top_events_recent(ev, 0)->type, "mkdir");
	assert_string_equal(top_events_recent(ev, 0)->path, "/x/y");
	assert_string_equal(top_events_recent(ev, 0)->detail, "[tp_btf]");
	assert_true(top_events_recent(ev, 0)->ts_ms == 1795928400000);
	free(ev);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_sort_flat, setup_rows),
		cmocka_unit_test_setup(test_sort_tree, setup_rows),
		cmocka_unit_test_setup(test_depth_and_filter, setup_rows),
		cmocka_unit_test(test_sort_names),
		cmocka_unit_test(test_rows_v2),
		cmocka_unit_test(test_frame_v2),
		cmocka_unit_test(test_frame_hybrid),
		cmocka_unit_test(test_frame_fits_terminal),
		cmocka_unit_test_setup(test_frame_more_rows, setup_rows),
		cmocka_unit_test_setup(test_frame_names, setup_rows),
		cmocka_unit_test(test_events_diff),
		cmocka_unit_test(test_events_ring),
		cmocka_unit_test(test_events_json),
	};

	return UNIT_RUN("top_view", tests, argc, argv);
}
