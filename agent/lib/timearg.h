/* SPDX-License-Identifier: GPL-2.0-only */
/* Points in time as people type them on a command line: one syntax for
 * every --at, --since, --until, --from and --to, and for the time `top
 * --replay` is told to go to.
 *
 *   2026-12-02T03:14:00Z         RFC 3339: a zone (Z, +01:00, -0500) says which
 *   2026-12-02T03:14:00.250+01:00
 *   2026-12-02 03:14:00          no zone: local time (the TZ of the reader);
 *   2026-12-02T03:14             the seconds may be left out, the T may be a space
 *   2026-12-02                   midnight, local
 *   03:14, 03:14:05              today, local
 *   today 03:14, yesterday 03:14 that day, local (the time may be left out: midnight)
 *   @1764645240, @1764645240.5   Unix seconds
 *   now
 *   10m ago, 1h30m ago, -2h      relative to now: a duration as every flag takes
 *                                them (lib/units.h)
 *
 * Pure but for the reader's time zone (localtime_r and mktime: TZ), and now
 * is passed in, so that tests fix both. */
#ifndef CGSCOPE_TIMEARG_H
#define CGSCOPE_TIMEARG_H

#include <stddef.h>
#include <stdint.h>

/* s as milliseconds since the epoch in *ret_ms, now_ms being now. -EINVAL
 * when it is none of the forms above (or names a day that does not exist),
 * -ERANGE before 1970 or past the year 9999. */
int parse_time_arg(const char *s, int64_t now_ms, int64_t *ret_ms);

/* What the forms are, for the messages of the commands that take them. */
#define TIME_ARG_WANT "a time: 2026-12-02T03:14:00Z, '2026-12-02 03:14' (local), 03:14, " \
	"'yesterday 03:00', @1764645240, '10m ago', -2h or now"

/* ms as "2026-12-02 03:14:05.250" in local time (".250" only when
 * with_ms), and "+0100"-style zone when with_zone. Returns what snprintf
 * returns. */
int format_time_local(int64_t ms, int with_ms, int with_zone, char *buf, size_t size);

/* ms as RFC 3339 in UTC with milliseconds: "2026-12-02T02:14:05.250Z". */
int format_time_utc(int64_t ms, char *buf, size_t size);

#endif
