// SPDX-License-Identifier: GPL-2.0-only
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/timearg.h"
#include "lib/units.h"

/* 1970-01-01 to 9999-12-31T23:59:59.999: what four-digit years reach. */
#define TIME_MAX_MS 253402300799999LL

/* Exactly n digits at *p, as a number; *p moves past them. -1 if not. */
static int digits(const char **p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return v;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

struct clock_time {
	int h, min, sec, ms;
};

/* "HH:MM", "HH:MM:SS" or "HH:MM:SS.fff" (any number of fraction digits,
 * milliseconds kept); *p moves past it. */
static int parse_clock(const char **p, struct clock_time *ret)
{
	const char *s = *p;
	struct clock_time t = { 0 };

	if ((t.h = digits(&s, 2)) < 0 || *s++ != ':' || (t.min = digits(&s, 2)) < 0)
		return -EINVAL;
	if (*s == ':') {
		s++;
		if ((t.sec = digits(&s, 2)) < 0)
			return -EINVAL;
		if (*s == '.' || *s == ',') {
			int scale = 100;

			s++;
			if (!isdigit((unsigned char)*s))
				return -EINVAL;
			for (; isdigit((unsigned char)*s); s++, scale /= 10)
				t.ms += (*s - '0') * scale;
		}
	}
	/* 60: a leap second, which Unix time folds into the next. */
	if (t.h > 23 || t.min > 59 || t.sec > 60)
		return -EINVAL;
	*p = s;
	*ret = t;
	return 0;
}

/* A local date and time to ms since the epoch, through mktime (TZ). In a
 * gap (the hour skipped when summer time starts) mktime moves forward. */
static int local_ms(int y, int m, int d, const struct clock_time *t, int64_t *ret)
{
	struct tm tm = {
		.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d,
		.tm_hour = t->h, .tm_min = t->min, .tm_sec = t->sec, .tm_isdst = -1,
	};
	time_t secs;

	errno = 0;
	secs = mktime(&tm);
	if (secs == (time_t)-1 && errno)
		return -ERANGE;
	*ret = (int64_t)secs * 1000 + t->ms;
	return 0;
}

/* The local calendar day of ms, shifted by delta days: y, m, d. */
static void local_day(int64_t ms, int delta, int *y, int *m, int *d)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&secs, &tm);
	tm.tm_mday += delta;
	tm.tm_hour = 12;	/* away from any summer time change */
	tm.tm_isdst = -1;
	mktime(&tm);		/* normalises the day */
	*y = tm.tm_year + 1900;
	*m = tm.tm_mon + 1;
	*d = tm.tm_mday;
}

/* "YYYY-MM-DD" and what may follow it. */
static int parse_date_time(const char *s, int64_t *ret)
{
	struct clock_time t = { 0 };
	int y, m, d;
	int64_t ms;

	if ((y = digits(&s, 4)) < 0 || *s++ != '-' || (m = digits(&s, 2)) < 0 ||
	    *s++ != '-' || (d = digits(&s, 2)) < 0)
		return -EINVAL;
	if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return -EINVAL;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		s++;
		while (*s == ' ')
			s++;
		if (parse_clock(&s, &t) < 0)
			return -EINVAL;
	} else if (*s) {
		return -EINVAL;
	}
	while (*s == ' ')
		s++;
	if (!*s)
		return local_ms(y, m, d, &t, ret);
	/* A zone: UTC, with the offset taken off. */
	ms = (days_from_civil(y, m, d) * 86400 + t.h * 3600 + t.min * 60 + t.sec) * 1000 + t.ms;
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		int sign = *s++ == '-' ? -1 : 1, oh, om;

		if ((oh = digits(&s, 2)) < 0)
			return -EINVAL;
		if (*s == ':')
			s++;
		if ((om = digits(&s, 2)) < 0 || oh > 23 || om > 59)
			return -EINVAL;
		ms -= sign * (int64_t)(oh * 3600 + om * 60) * 1000;
	} else {
		return -EINVAL;
	}
	if (*s)
		return -EINVAL;
	*ret = ms;
	return 0;
}

/* "@SECONDS[.fraction]". */
static int parse_unix(const char *s, int64_t *ret)
{
	int64_t secs = 0, ms = 0;
	int scale = 100;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		if (secs > TIME_MAX_MS / 10000)
			return -ERANGE;
		secs = secs * 10 + (*s - '0');
	}
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		for (; isdigit((unsigned char)*s); s++, scale /= 10)
			ms += (*s - '0') * scale;
	}
	if (*s)
		return -EINVAL;
	*ret = secs * 1000 + ms;
	return 0;
}

/* "today[ HH:MM[:SS]]", "yesterday[ ...]", or "HH:MM[:SS]" (today). */
static int parse_day_word(const char *s, int64_t now_ms, int64_t *ret)
{
	struct clock_time t = { 0 };
	int delta = 0, y, m, d;

	if (!strncmp(s, "yesterday", 9)) {
		delta = -1;
		s += 9;
	} else if (!strncmp(s, "today", 5)) {
		s += 5;
	} else if (!isdigit((unsigned char)*s)) {
		return -EINVAL;
	}
	while (*s == ' ')
		s++;
	if (*s && parse_clock(&s, &t) < 0)
		return -EINVAL;
	if (*s)
		return -EINVAL;
	local_day(now_ms, delta, &y, &m, &d);
	return local_ms(y, m, d, &t, ret);
}

/* "-DURATION" or "DURATION ago". */
static int parse_relative(const char *s, int64_t now_ms, int64_t *ret)
{
	char dur[64];
	size_t len = strlen(s);
	uint64_t ms;
	int r;

	if (s[0] == '-') {
		s++;
		len--;
	} else if (len > 4 && !strcmp(s + len - 4, " ago")) {
		len -= 4;
		while (len && s[len - 1] == ' ')
			len--;
	} else {
		return -EINVAL;
	}
	if (!len || len >= sizeof(dur))
		return -EINVAL;
	memcpy(dur, s, len);
	dur[len] = '\0';
	r = parse_duration_ms(dur, &ms);
	if (r < 0)
		return r;
	if (ms > (uint64_t)now_ms)
		return -ERANGE;
	*ret = now_ms - (int64_t)ms;
	return 0;
}

int parse_time_arg(const char *arg, int64_t now_ms, int64_t *ret_ms)
{
	char buf[128];
	size_t len;
	int64_t ms;
	int r;

	while (*arg == ' ')
		arg++;
	len = strlen(arg);
	while (len && arg[len - 1] == ' ')
		len--;
	if (!len || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, arg, len);
	buf[len] = '\0';

	if (!strcmp(buf, "now"))
		ms = now_ms, r = 0;
	else if (buf[0] == '@')
		r = parse_unix(buf + 1, &ms);
	else if (buf[0] == '-' || (len > 4 && !strcmp(buf + len - 4, " ago")))
		r = parse_relative(buf, now_ms, &ms);
	else if (len >= 10 && buf[4] == '-')
		r = parse_date_time(buf, &ms);
	else
		r = parse_day_word(buf, now_ms, &ms);
	if (r < 0)
		return r;
	if (ms < 0 || ms > TIME_MAX_MS)
		return -ERANGE;
	*ret_ms = ms;
	return 0;
}

int format_time_local(int64_t ms, int with_ms, int with_zone, char *buf, size_t size)
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;
	char date[32], zone[16] = "";

	if (!localtime_r(&secs, &tm))
		return snprintf(buf, size, "?");
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
	if (with_zone)
		strftime(zone, sizeof(zone), " %z", &tm);
	if (with_ms)
		return snprintf(buf, size, "%s.%03d%s", date, (int)(ms - (int64_t)secs * 1000), zone);
	return snprintf(buf, size, "%s%s", date, zone);
}

int format_time_utc(int64_t ms, char *buf, size_t size)
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;
	char date[32];

	if (!gmtime_r(&secs, &tm))
		return snprintf(buf, size, "?");
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	return snprintf(buf, size, "%s.%03dZ", date, (int)(ms - (int64_t)secs * 1000));
}
