// SPDX-License-Identifier: GPL-2.0-only
/* The Prometheus page of fixture trees: names, labels, values, units. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "collect/collector.h"
#include "cmd/cycle.h"
#include "fixture.h"
#include "prom/cadvisor_text.h"
#include "prom/prom_filter.h"
#include "prom/prom_info.h"
#include "prom/prom_text.h"
#include "lib/macros.h"

static char *escaped(const char *s, size_t len)
{
	struct strbuf sb = {0};

	prom_escape_label(&sb, s, len);
	sb_putc(&sb, '\0');
	return sb.buf;
}

static void test_escape(void **state)
{
	char *e;

	(void)state;
	e = escaped("a\"b\\c\nd", 7);
	assert_string_equal(e, "a\\\"b\\\\c\\nd");
	free(e);
	e = escaped("caf\xc3\xa9 \xe2\x82\xac", 10);	/* valid UTF-8 stays */
	assert_string_equal(e, "caf\xc3\xa9 \xe2\x82\xac");
	free(e);
	/* Not UTF-8: U+FFFD and the byte's hex (lib/utf8.h). */
	e = escaped("a\xff" "b\xc3", 4);		/* invalid and truncated */
	assert_string_equal(e, "a\xef\xbf\xbd" "ffb\xef\xbf\xbd" "c3");
	free(e);
	e = escaped("\xc0\xaf\xed\xa0\x80", 5);	/* overlong, surrogate */
	assert_string_equal(e, "\xef\xbf\xbd" "c0\xef\xbf\xbd" "af\xef\xbf\xbd" "ed"
			    "\xef\xbf\xbd" "a0\xef\xbf\xbd" "80");
	free(e);
	/* Three names that once made one series stay three (issue 15). */
	{
		char *a = escaped("bad\xff\xfeutf8", 9), *b = escaped("bad\xfe\xffutf8", 9);
		char *c = escaped("bad\xef\xbf\xbd\xef\xbf\xbdutf8", 13);

		assert_string_not_equal(a, b);
		assert_string_not_equal(a, c);
		assert_string_not_equal(b, c);
		assert_string_equal(c, "bad\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdutf8");
		free(a);
		free(b);
		free(c);
	}
	e = escaped("x\0y", 3);				/* NUL passes as a byte */
	assert_memory_equal(e, "x\0y", 3);
	free(e);
}

static void test_sb_fixed(void **state)
{
	struct strbuf sb = {0};

	(void)state;
	sb_fixed(&sb, 1500000, 6);
	sb_putc(&sb, ' ');
	sb_fixed(&sb, 2621523, 6);
	sb_putc(&sb, ' ');
	sb_fixed(&sb, 7, 6);
	sb_putc(&sb, ' ');
	sb_fixed(&sb, 0, 6);
	sb_putc(&sb, ' ');
	sb_fixed(&sb, UINT64_MAX - 1, 0);
	sb_putc(&sb, ' ');
	sb_fixed(&sb, 10000000, 6);
	sb_putc(&sb, ' ');
	sb_fixed(&sb, 1234, 9);
	sb_putc(&sb, ' ');
	sb_fixed(&sb, UINT64_MAX, 9);
	sb_putc(&sb, ' ');
	sb_u64(&sb, 0);
	assert_string_equal(sb.buf, "1.5 2.621523 0.000007 0 18446744073709551614 10 "
			    "0.000001234 18446744073.709551615 0");
	sb_free(&sb);
}

/* An allocation failure is sticky: the inline fast path must not append
 * after it, and nothing half-written is handed out. */
static void test_sb_fail(void **state)
{
	struct strbuf sb = {0};
	size_t len;

	(void)state;
	sb_puts(&sb, "before");
	sb_fail(&sb);
	sb_puts(&sb, "after");
	sb_putc(&sb, 'x');
	sb_u64(&sb, 42);
	assert_int_equal(sb_error(&sb), -ENOMEM);
	assert_int_equal(sb.len, 6);
	assert_null(sb_steal(&sb, &len));
	sb_free(&sb);
}

/* A tree of n cgroups below root, each with every file of the v2 fixture's
 * workload: a page of many chunks. */
static void make_tree(char *root, int n)
{
	static const char *const files[] = {
		"cgroup.events", "cgroup.stat", "cgroup.freeze", "cpu.stat", "cpu.max",
		"cpu.weight", "memory.current", "memory.peak", "memory.max", "memory.high",
		"memory.low", "memory.min", "memory.events", "memory.events.local",
		"memory.stat", "memory.swap.current", "memory.swap.max", "memory.swap.events",
		"io.stat", "pids.current", "pids.max", "pids.peak", "pids.events",
		"cpu.pressure", "memory.pressure", "io.pressure",
	};

	assert_non_null(mkdtemp(root));
	for (int i = -1; i < n; i++) {
		char dir[256];

		if (i < 0)
			snprintf(dir, sizeof(dir), "%s", root);
		else
			snprintf(dir, sizeof(dir), "%s/c%d", root, i);
		if (i >= 0)
			assert_int_equal(mkdir(dir, 0755), 0);
		for (size_t f = 0; f < ARRAY_SIZE(files); f++) {
			char src[512], dst[512], buf[8192];
			FILE *in, *out;
			size_t len;

			snprintf(src, sizeof(src), "%s/workload/%s", V2, files[f]);
			snprintf(dst, sizeof(dst), "%s/%s", dir, files[f]);
			if (!(in = fopen(src, "r")))
				continue;
			assert_non_null(out = fopen(dst, "w"));
			len = fread(buf, 1, sizeof(buf), in);
			assert_int_equal(fwrite(buf, 1, len, out), len);
			fclose(in);
			fclose(out);
		}
	}
}

static void remove_tree(const char *root)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* The page is rendered a chunk at a time into the compressor and kept only
 * compressed: whatever the chunk, it must be the page that the same
 * renderers write into one buffer, and its cAdvisor part the end of it. */
static void test_page_chunked(void **state)
{
	const size_t chunks[] = { 256, 5000, 0 };
	char root[] = "/tmp/cgscope-chunks-XXXXXX";

	(void)state;
	make_tree(root, 100);
	for (size_t i = 0; i < ARRAY_SIZE(chunks); i++) {
		struct cycle_opts o = { .compat = COMPAT_CADVISOR, .page_chunk = chunks[i] };
		struct cgroup_filter_result res;
		struct strbuf ref = {0};
		struct collector *c;
		struct snapshot *s;
		char *text, *tail;
		size_t len, tail_len, head;

		cgroup_filter_init(&o.filter);
		assert_int_equal(collector_new(root, &c), 0);
		assert_int_equal(cycle_run_opts(c, &o, &s, &res), 0);
		assert_int_equal(s->n, 101);
		assert_int_equal(prom_render(s, &ref), 0);
		prom_render_info(s, &ref);
		prom_render_filter(&res, &ref);
		head = ref.len;
		assert_int_equal(cadvisor_render(s, &ref), 0);
		assert_true(ref.len > 8 * PAGE_CHUNK);	/* many chunks at every size */
		assert_int_equal(zpage_text(&s->page, PAGE_ALL, &text, &len), 0);
		assert_int_equal(len, ref.len);
		assert_memory_equal(text, ref.buf, len);
		assert_int_equal(zpage_text(&s->page, PAGE_CADVISOR, &tail, &tail_len), 0);
		assert_int_equal(s->page.part[PAGE_CADVISOR].off, head);
		assert_int_equal(tail_len, ref.len - head);
		assert_memory_equal(tail, ref.buf + head, tail_len);
		assert_true(!strncmp(tail, "# HELP container_", 17));
		free(text);
		free(tail);
		sb_free(&ref);
		snapshot_unref(s);
		collector_free(c);
	}
	remove_tree(root);
}

/* The page of a tree's first cycle; the text lives until the next call. */
static char *render_tree(const char *root, struct snapshot **ret)
{
	static char *text;
	struct collector *c;
	struct snapshot *s;

	free(text);
	assert_int_equal(collector_new(root, &c), 0);
	assert_int_equal(cycle_run(c, &s), 0);
	collector_free(c);
	assert_int_equal(zpage_text(&s->page, PAGE_ALL, &text, NULL), 0);
	*ret = s;
	return text;
}

static void test_full_v2(void **state)
{
	struct snapshot *s;
	const char *p = render_tree(V2, &s);

	(void)state;
	assert_int_equal(s->n, 2);
	assert_line(p, "cgroup_cpu_usage_seconds_total{cgroup=\"/workload\"} 2.621523");
	assert_line(p, "cgroup_cpu_user_seconds_total{cgroup=\"/workload\"} 0.18757");
	assert_line(p, "cgroup_cpu_periods_total{cgroup=\"/workload\"} 289");
	assert_line(p, "cgroup_cpu_throttled_periods_total{cgroup=\"/workload\"} 251");
	assert_line(p, "cgroup_cpu_throttled_seconds_total{cgroup=\"/workload\"} 35.37696");
	assert_line(p, "cgroup_cpu_quota_cores{cgroup=\"/workload\"} 0.1");
	assert_line(p, "cgroup_cpu_weight{cgroup=\"/workload\"} 200");
	assert_line(p, "cgroup_populated{cgroup=\"/workload\"} 1");
	assert_line(p, "cgroup_descendants{cgroup=\"/\"} 2");
	assert_line(p, "cgroup_memory_usage_bytes{cgroup=\"/workload\"} 561152");
	assert_line(p, "cgroup_memory_limit_bytes{cgroup=\"/workload\"} 29999104");
	assert_line(p, "cgroup_memory_high_bytes{cgroup=\"/workload\"} 19996672");
	assert_line(p, "cgroup_memory_working_set_bytes{cgroup=\"/workload\"} 561152");
	assert_line(p, "cgroup_memory_events_total{cgroup=\"/workload\",event=\"oom_kill\"} 1");
	assert_line(p, "cgroup_memory_events_total{cgroup=\"/workload\",event=\"max\"} 53");
	assert_line(p, "cgroup_memory_stat_bytes{cgroup=\"/workload\",type=\"anon\"} 90112");
	assert_line(p, "cgroup_memory_stat_events_total{cgroup=\"/workload\",type=\"pgfault\"} 20036");
	assert_line(p, "cgroup_io_write_bytes_total{cgroup=\"/workload\",device=\"1:0\"} 16777216");
	assert_line(p, "cgroup_io_read_bytes_total{cgroup=\"/workload\",device=\"1:0\"} 8388608");
	assert_line(p, "cgroup_io_writes_total{cgroup=\"/workload\",device=\"1:0\"} 16");
	assert_line(p, "cgroup_pids_limit{cgroup=\"/workload\"} 50");
	assert_line(p, "cgroup_pids_events_total{cgroup=\"/workload\",event=\"max\"} 1");
	assert_line(p, "cgroup_pressure_stalled_seconds_total{cgroup=\"/workload\",resource=\"memory\",kind=\"some\"} 32.591166");
	assert_line(p, "cgroup_pressure_avg10_ratio{cgroup=\"/workload\",resource=\"memory\",kind=\"some\"} 0.0514");
	assert_line(p, "cgscope_cgroups 2");
	assert_line(p, "# TYPE cgscope_collect_duration_seconds histogram");
	assert_line(p, "cgscope_collect_duration_seconds_count 1");
	assert_line(p, "cgscope_read_errors_total{file=\"memory.stat\"} 0");
	assert_line(p, "cgscope_read_errors_total{file=\"io.stat\"} 0");	/* root: "1:0 " */
	/* The root has no limits: no series rather than a fake "max" value. */
	assert_no(p, "cgroup_memory_limit_bytes{cgroup=\"/\"}");
	assert_no(p, "cgroup_cpu_quota_cores{cgroup=\"/\"}");
	snapshot_unref(s);
}

/* cpu.max quota / period in cores, rounded to nine decimals: exact where
 * the kernel's microseconds allow, and no float printing to get it wrong. */
static void test_quota_cores(void **state)
{
	static const struct {
		const char *cpu_max, *line;
	} cases[] = {
		{ "100000 300000\n", "cgroup_cpu_quota_cores{cgroup=\"/\"} 0.333333333" },
		{ "200000 300000\n", "cgroup_cpu_quota_cores{cgroup=\"/\"} 0.666666667" },
		{ "250000 100000\n", "cgroup_cpu_quota_cores{cgroup=\"/\"} 2.5" },
		{ "1000 1000000\n", "cgroup_cpu_quota_cores{cgroup=\"/\"} 0.001" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char dir[] = "/tmp/cgscope-quota-XXXXXX", path[64];
		struct snapshot *s;
		FILE *f;

		assert_non_null(mkdtemp(dir));
		snprintf(path, sizeof(path), "%s/cpu.max", dir);
		assert_non_null(f = fopen(path, "w"));
		fputs(cases[i].cpu_max, f);
		fclose(f);
		assert_line(render_tree(dir, &s), cases[i].line);
		snapshot_unref(s);
		unlink(path);
		rmdir(dir);
	}
}

static void test_hybrid(void **state)
{
	struct snapshot *s;
	const char *p = render_tree(HYBRID, &s);

	(void)state;
	assert_int_equal(s->n, 3);	/* /, /workload, /workload/child */
	assert_line(p, "cgroup_populated{cgroup=\"/workload/child\"} 0");
	assert_line(p, "cgroup_populated{cgroup=\"/workload\"} 1");
	/* No memory controller on v2 here: no memory families at all. */
	assert_no(p, "# TYPE cgroup_memory_usage_bytes");
	assert_no(p, "cgroup_cpu_throttled_periods_total{");
	assert_non_null(strstr(p, "cgroup_pressure_stalled_seconds_total{cgroup=\"/workload\",resource=\"cpu\",kind=\"some\"}"));
	snapshot_unref(s);
}

/* Every family once, HELP then TYPE, and all of its series together. */
/* Each family once, with HELP and TYPE first and then its series, all in a
 * row and at least one, named as the family (histograms: _bucket, _sum,
 * _count). At least min_families of them: an empty page must not pass. */
static void test_families_grouped(void **state)
{
	const char *roots[] = { V2, HYBRID };
	const size_t min_families[] = { 50, 20 };

	(void)state;
	for (size_t r = 0; r < 2; r++) {
		struct snapshot *s;
		char *page = strdup(render_tree(roots[r], &s)), *save, *line;
		char seen[200][80];
		size_t nseen = 0, series = 0;
		char cur[80] = "", type[16] = "";

		for (line = strtok_r(page, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char name[80];

			if (!strncmp(line, "# HELP ", 7)) {
				if (nseen && !series)
					fail_msg("family %s has no series", cur);
				sscanf(line + 7, "%79s", name);
				for (size_t i = 0; i < nseen; i++)
					if (!strcmp(seen[i], name))
						fail_msg("family %s twice", name);
				assert_true(nseen < 200);
				strcpy(seen[nseen++], name);
				strcpy(cur, name);
				type[0] = '\0';
				series = 0;
				continue;
			}
			if (!strncmp(line, "# TYPE ", 7)) {
				assert_int_equal(sscanf(line + 7, "%79s %15s", name, type), 2);
				assert_string_equal(name, cur);
				continue;
			}
			assert_true(line[0] != '#');
			assert_true(nseen > 0 && type[0]);	/* HELP and TYPE came first */
			sscanf(line, "%79[^{ ]", name);
			if (!strcmp(type, "histogram")) {
				size_t n = strlen(cur);

				if (strncmp(name, cur, n) || (strcmp(name + n, "_bucket") &&
				    strcmp(name + n, "_sum") && strcmp(name + n, "_count")))
					fail_msg("series %s outside its family (in %s)", name, cur);
			} else if (strcmp(name, cur)) {
				fail_msg("series %s outside its family (in %s)", name, cur);
			}
			series++;
		}
		if (!series)
			fail_msg("family %s has no series", cur);
		if (nseen < min_families[r])
			fail_msg("%zu families in the page of %s, fewer than %zu", nseen, roots[r],
				 min_families[r]);
		free(page);
		snapshot_unref(s);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_sb_fixed),
		cmocka_unit_test(test_sb_fail),
		cmocka_unit_test(test_page_chunked),
		cmocka_unit_test(test_full_v2),
		cmocka_unit_test(test_quota_cores),
		cmocka_unit_test(test_hybrid),
		cmocka_unit_test(test_families_grouped),
	};
	return UNIT_RUN("prom_text", tests, argc, argv);
}
