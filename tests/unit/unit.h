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

#endif
