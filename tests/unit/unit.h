/* SPDX-License-Identifier: GPL-2.0-only */
/* What every unit test binary shares.
 *
 *   build/tests/test_parse                 every case
 *   build/tests/test_parse 'test_cpu_*'    only the cases whose name matches
 *                                          (cmocka's filter: * and ?)
 *
 * Fixture paths come from the build (CGSCOPE_SRCDIR, the source tree the
 * binary was built from), so a test runs from any directory. */
#ifndef CGSCOPE_TEST_UNIT_H
#define CGSCOPE_TEST_UNIT_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#ifndef CGSCOPE_SRCDIR
#error "CGSCOPE_SRCDIR: the Makefile passes the source tree's path"
#endif

/* The group, run with the filter of argv[1] if there is one. */
#define UNIT_RUN(group, tests, argc, argv) \
	(((argc) > 1 ? cmocka_set_test_filter((argv)[1]) : (void)0), \
	 cmocka_run_group_tests_name(group, tests, NULL, NULL))

/* For a case that needs root: skipped, saying so, when not root (make test
 * runs as root, so there it always runs). */
#define UNIT_NEED_ROOT()							\
	do {								\
		if (geteuid() != 0) {					\
			print_message("skipped: needs root (make test runs as root)\n"); \
			skip();						\
		}							\
	} while (0)

/* A page (Prometheus text) has this whole line. */
static inline void assert_line(const char *page, const char *line)
{
	char *want;

	assert_true(asprintf(&want, "\n%s\n", line) > 0);
	if (!strstr(page, want))
		fail_msg("missing line: %s", line);
	free(want);
}

/* No line of the page starts with prefix. */
static inline void assert_no(const char *page, const char *prefix)
{
	char *want;

	assert_true(asprintf(&want, "\n%s", prefix) > 0);
	if (strstr(page, want))
		fail_msg("unexpected series: %s", prefix);
	free(want);
}

/* Writes text to root/rel (a file of a test's own cgroup-like tree). */
static inline void unit_put(const char *root, const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

#endif
