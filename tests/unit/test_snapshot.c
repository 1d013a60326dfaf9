// SPDX-License-Identifier: GPL-2.0-only
/* A snapshot's page is kept for the next cycle to render into: what is
 * handed out must be as clean as fresh memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "collect/snapshot.h"

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

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_start),
	};

	return UNIT_RUN("snapshot", tests, argc, argv);
}
