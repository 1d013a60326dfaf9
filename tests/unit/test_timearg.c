// SPDX-License-Identifier: GPL-2.0-only
/* The one time syntax of --at, --since, --until, --from, --to (lib/timearg.h),
 * under fixed time zones (POSIX TZ strings: no zoneinfo files needed) and a
 * fixed now. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "unit.h"

#include "lib/timearg.h"
#include "lib/macros.h"

#define BERLIN "CET-1CEST,M3.5.0,M10.5.0/3"
#define NEW_YORK "EST5EDT,M3.2.0,M11.1.0"

/* 2026-12-02T03:14:00Z */
#define T0 1796181240000LL
/* now in these tests: 2026-12-02T10:00:00.500Z */
#define NOW (T0 + (6 * 3600 + 46 * 60) * 1000LL + 500)

static void set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static int64_t at(const char *s)
{
	int64_t ms = -1;
	int r = parse_time_arg(s, NOW, &ms);

	if (r < 0)
		fail_msg("'%s' did not parse: %s", s, strerror(-r));
	return ms;
}

static void test_rfc3339_with_zone(void **state)
{
	(void)state;
	set_tz(NEW_YORK);	/* a zone in the text wins over TZ */
	assert_int_equal(at("2026-12-02T03:14:00Z"), T0);
	assert_int_equal(at("2026-12-02t03:14:00z"), T0);
	assert_int_equal(at("2026-12-02T04:14:00+01:00"), T0);
	assert_int_equal(at("2026-12-02T04:14:00+0100"), T0);
	assert_int_equal(at("2026-12-01T22:14:00-05:00"), T0);
	assert_int_equal(at("2026-12-02T03:14:00.25Z"), T0 + 250);
	assert_int_equal(at("2026-12-02T03:14:00.123456789Z"), T0 + 123);
	assert_int_equal(at("2026-12-02 03:14:00Z"), T0);
	assert_int_equal(at("2026-12-02T03:14Z"), T0);
	assert_int_equal(at("  2026-12-02T03:14:00Z  "), T0);
	assert_int_equal(at("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(at("2024-02-29T00:00:00Z"), 1709164800000LL);	/* a leap day */
}

static void test_local_without_zone(void **state)
{
	(void)state;
	set_tz("UTC0");
	assert_int_equal(at("2026-12-02 03:14:00"), T0);
	assert_int_equal(at("2026-12-02T03:14:00"), T0);
	assert_int_equal(at("2026-12-02 03:14"), T0);
	set_tz(BERLIN);		/* December: UTC+1 */
	assert_int_equal(at("2026-12-02 04:14:00"), T0);
	assert_int_equal(at("2026-12-02"), T0 - (3 * 3600 + 14 * 60) * 1000LL - 3600000);
	set_tz(NEW_YORK);	/* December: UTC-5 */
	assert_int_equal(at("2026-12-01 22:14:00"), T0);
	/* July: summer time, UTC-4 */
	assert_int_equal(at("2026-07-01 00:00:00"), at("2026-07-01T04:00:00Z"));
}

static void test_unix_seconds(void **state)
{
	(void)state;
	assert_int_equal(at("@1764645240"), 1764645240000LL);
	assert_int_equal(at("@1764645240.5"), 1764645240500LL);
	assert_int_equal(at("@0"), 0);
}

static void test_relative(void **state)
{
	(void)state;
	assert_int_equal(at("now"), NOW);
	assert_int_equal(at("10m ago"), NOW - 600000);
	assert_int_equal(at("10m  ago"), NOW - 600000);
	assert_int_equal(at("1h30m ago"), NOW - 5400000);
	assert_int_equal(at("-2h"), NOW - 7200000);
	assert_int_equal(at("-500ms"), NOW - 500);
	assert_int_equal(at("-7d"), NOW - 7 * 86400000LL);
}

static void test_days_and_clock_times(void **state)
{
	(void)state;
	set_tz("UTC0");
	assert_int_equal(at("yesterday 03:00"), at("2026-12-01T03:00:00Z"));
	assert_int_equal(at("yesterday"), at("2026-12-01T00:00:00Z"));
	assert_int_equal(at("today 03:14"), T0);
	assert_int_equal(at("today"), at("2026-12-02T00:00:00Z"));
	assert_int_equal(at("03:14"), T0);
	assert_int_equal(at("03:14:00"), T0);
	assert_int_equal(at("03:14:00.5"), T0 + 500);
	/* In Berlin it is 11:00 on the 2nd: yesterday is the 1st there. */
	set_tz(BERLIN);
	assert_int_equal(at("yesterday 03:00"), at("2026-12-01T02:00:00Z"));
	/* At 10:00 UTC it is 05:00 in New York, still the 2nd. */
	set_tz(NEW_YORK);
	assert_int_equal(at("yesterday 03:00"), at("2026-12-01T08:00:00Z"));
	assert_int_equal(at("today 03:14"), at("2026-12-02T08:14:00Z"));
}

static void test_yesterday_across_a_summer_time_change(void **state)
{
	int64_t now = 1774774800000LL;	/* 2026-03-29T09:00:00Z, Berlin's change day */
	int64_t ms;

	(void)state;
	set_tz(BERLIN);
	/* Yesterday (the 28th) was still winter time, UTC+1. */
	assert_int_equal(parse_time_arg("yesterday 03:00", now, &ms), 0);
	assert_int_equal(ms, at("2026-03-28T02:00:00Z"));
	/* Today 04:00 is summer time, UTC+2. */
	assert_int_equal(parse_time_arg("today 04:00", now, &ms), 0);
	assert_int_equal(ms, at("2026-03-29T02:00:00Z"));
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"", " ", "yesterday at 3", "2026-02-30", "2026-13-01", "2026-12-02T25:00:00Z",
		"2026-12-02T03:61Z", "2026-12-02T03:14:00+25:00", "2026-12-02T03:14:00 UTC",
		"2026-12-02X03:14", "26-12-02", "@", "@-5", "@12x", "10 ago", "10x ago", "-",
		"-2", "ago", "3:14", "03:14 pm", "tomorrow", "2026-12-02T03:14:00.Z", "now now",
		"2026-12-02T", "+2h",
	};
	int64_t ms = 42;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int r = parse_time_arg(bad[i], NOW, &ms);

		if (r != -EINVAL)
			fail_msg("'%s' gave %d, want -EINVAL", bad[i], r);
		assert_int_equal(ms, 42);	/* untouched */
	}
	assert_int_equal(parse_time_arg("1969-12-31T23:59:59Z", NOW, &ms), -ERANGE);
	assert_int_equal(parse_time_arg("-100w", 1000, &ms), -ERANGE);
	assert_int_equal(parse_time_arg("@99999999999999", NOW, &ms), -ERANGE);
}

static void test_format(void **state)
{
	char buf[64];

	(void)state;
	format_time_utc(T0 + 250, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-02T03:14:00.250Z");
	set_tz(BERLIN);
	format_time_local(T0 + 250, 1, 1, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-02 04:14:00.250 +0100");
	format_time_local(T0, 0, 0, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-02 04:14:00");
	/* What is written reads back. */
	assert_int_equal(at("2026-12-02 04:14:00.250"), T0 + 250);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3339_with_zone),
		cmocka_unit_test(test_local_without_zone),
		cmocka_unit_test(test_unix_seconds),
		cmocka_unit_test(test_relative),
		cmocka_unit_test(test_days_and_clock_times),
		cmocka_unit_test(test_yesterday_across_a_summer_time_change),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_format),
	};

	return UNIT_RUN("timearg", tests, argc, argv);
}
