// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/macros.h"

enum log_level log_threshold = LOG_INFO;

static const char *const level_names[] = {
	[LOG_ERROR] = "error", [LOG_WARN] = "warn",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

int log_level_parse(const char *s, enum log_level *ret)
{
	for (unsigned i = 0; i < ARRAY_SIZE(level_names); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*ret = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

static void stamp(char *ts, size_t size)
{
	struct timespec now;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	n = strftime(ts, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, size - n, ".%03ldZ", now.tv_nsec / 1000000);
}

/* Quotes inside the message would end the logfmt value early. */
static void unquote(char *msg)
{
	for (char *p = msg; *p; p++)
		if (*p == '"' || *p == '\n')
			*p = '\'';
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char msg[1024], ts[40];
	va_list ap;

	if (level > log_threshold)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	unquote(msg);
	stamp(ts, sizeof(ts));
	/* One fprintf so that lines from several threads do not interleave. */
	fprintf(stderr, "ts=%s level=%s msg=\"%s\"\n", ts, level_names[level], msg);
}

/* Appends " key=value", quoting and escaping the value when logfmt needs it. */
static size_t put_field(char *buf, size_t len, size_t size, const char *key, const char *value)
{
	bool quote = !*value || strpbrk(value, " =\"\\\n\t") != NULL;

	len += (size_t)snprintf(buf + len, len < size ? size - len : 0, " %s=%s", key,
				quote ? "\"" : "");
	for (const char *p = value; *p && len + 3 < size; p++) {
		if (*p == '"' || *p == '\\')
			buf[len++] = '\\';
		buf[len++] = *p == '\n' || *p == '\t' ? ' ' : *p;
	}
	if (quote && len + 1 < size)
		buf[len++] = '"';
	if (len < size)
		buf[len] = 0;
	return len;
}

void log_fields(enum log_level level, const char *msg, ...)
{
	char line[2048], text[512], ts[40];
	const char *key;
	size_t len;
	va_list ap;

	if (level > log_threshold)
		return;
	snprintf(text, sizeof(text), "%s", msg);
	unquote(text);
	stamp(ts, sizeof(ts));
	len = (size_t)snprintf(line, sizeof(line), "ts=%s level=%s msg=\"%s\"", ts,
			       level_names[level], text);
	va_start(ap, msg);
	while ((key = va_arg(ap, const char *)) && len < sizeof(line)) {
		const char *value = va_arg(ap, const char *);

		len = put_field(line, len, sizeof(line), key, value ? value : "");
	}
	va_end(ap);
	if (len >= sizeof(line))
		len = sizeof(line) - 1;
	line[len] = 0;
	fprintf(stderr, "%s\n", line);
}
