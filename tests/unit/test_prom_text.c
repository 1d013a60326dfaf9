// SPDX-License-Identifier: GPL-2.0-only
/* The Prometheus page of fixture trees: names, labels, values, units. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "collect/collector.h"
#include "cmd/cycle.h"
#include "fixture.h"
#include "prom/prom_text.h"

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

/* The next page is rendered into the memory of one no snapshot needs any
 * more: it must come out as a page rendered into fresh memory would. */
static void test_page_reused(void **state)
{
	struct collector *c, *c2;
	struct snapshot *a, *b, *fresh;
	size_t head;
	char *first;

	(void)state;
	assert_int_equal(collector_new(V2, &c), 0);
	assert_int_equal(cycle_run(c, &a), 0);
	first = strndup(a->metrics, a->metrics_len);
	assert_non_null(first);
	/* Scribble over it, then give it back: the next cycle takes it. */
	memset(a->metrics, 'Z', a->metrics_len);
	snapshot_unref(a);
	assert_int_equal(cycle_run(c, &b), 0);
	assert_int_equal(strlen(b->metrics), b->metrics_len);
	assert_null(memchr(b->metrics, 'Z', b->metrics_len));
	/* Same cgroups, same files: the same page as a first cycle's into
	 * fresh memory, but for the collector's own counters, which come
	 * after every cgroup family. */
	assert_int_equal(collector_new(V2, &c2), 0);
	assert_int_equal(cycle_run(c2, &fresh), 0);
	assert_non_null(strstr(first, "# HELP cgscope_build_info"));
	head = (size_t)(strstr(first, "# HELP cgscope_build_info") - first);
	assert_true(head > 1000);
	assert_true(b->metrics_len > head && fresh->metrics_len > head);
	assert_memory_equal(fresh->metrics, first, head);
	assert_memory_equal(b->metrics, first, head);
	free(first);
	snapshot_unref(b);
	snapshot_unref(fresh);
	collector_free(c);
	collector_free(c2);
}

static char *render_tree(const char *root, struct snapshot **ret)
{
	struct collector *c;
	struct snapshot *s;

	assert_int_equal(collector_new(root, &c), 0);
	assert_int_equal(cycle_run(c, &s), 0);
	collector_free(c);
	*ret = s;
	return s->metrics;
}

static void assert_line(const char *page, const char *line)
{
	char *want;

	assert_true(asprintf(&want, "\n%s\n", line) > 0);
	if (!strstr(page, want))
		fail_msg("missing line: %s", line);
	free(want);
}

static void assert_no(const char *page, const char *prefix)
{
	char *want;

	assert_true(asprintf(&want, "\n%s", prefix) > 0);
	if (strstr(page, want))
		fail_msg("unexpected series: %s", prefix);
	free(want);
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
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
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
		cmocka_unit_test(test_page_reused),
		cmocka_unit_test(test_full_v2),
		cmocka_unit_test(test_quota_cores),
		cmocka_unit_test(test_hybrid),
		cmocka_unit_test(test_families_grouped),
	};
	return UNIT_RUN("prom_text", tests, argc, argv);
}
