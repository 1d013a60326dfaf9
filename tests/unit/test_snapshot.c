// SPDX-License-Identifier: GPL-2.0-only
/* Snapshots keep the memory of the one before last for the next cycle:
 * what they hand out must be as clean as fresh memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "snapshot.h"

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static void test_samples_reused_zeroed(void **state)
{
	struct snapshot *s = snapshot_new();
	struct cgroup_sample *a, *b;

	(void)state;
	assert_non_null(s);
	a = snapshot_samples_new(100);
	assert_non_null(a);
	assert_true(all_zero(a, 100 * sizeof(*a)));
	memset(a, 0xff, 100 * sizeof(*a));
	s->cgroups = a;
	s->n = 100;
	snapshot_unref(s);		/* a becomes the spare */
	b = snapshot_samples_new(60);	/* fits in it: reused, zeroed */
	assert_ptr_equal(b, a);
	assert_true(all_zero(b, 60 * sizeof(*b)));
	free(b);
}

static void test_samples_spare_too_small(void **state)
{
	struct snapshot *s = snapshot_new();
	struct cgroup_sample *a, *b;

	(void)state;
	a = snapshot_samples_new(10);
	memset(a, 0xff, 10 * sizeof(*a));
	s->cgroups = a;
	snapshot_unref(s);
	b = snapshot_samples_new(5000);	/* the spare is too small: a new one */
	assert_non_null(b);
	assert_true(all_zero(b, 5000 * sizeof(*b)));
	free(b);
}

static void test_page_start(void **state)
{
	struct snapshot *s = snapshot_new();
	struct strbuf sb;
	char *page = malloc(100000);

	(void)state;
	memset(page, 'Z', 100000);
	s->metrics = page;
	s->metrics_len = 100000;
	snapshot_unref(s);
	snapshot_page_start(&sb);
	assert_ptr_equal(sb.buf, page);
	assert_true(sb.cap >= 100000);
	assert_int_equal(sb.len, 0);
	assert_string_equal(sb.buf, "");
	sb_puts(&sb, "# HELP x\n");
	assert_string_equal(sb.buf, "# HELP x\n");
	sb_free(&sb);
	snapshot_page_start(&sb);	/* nothing kept: an empty buffer */
	assert_null(sb.buf);
	assert_int_equal(sb.cap, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples_reused_zeroed),
		cmocka_unit_test(test_samples_spare_too_small),
		cmocka_unit_test(test_page_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
