/* SPDX-License-Identifier: GPL-2.0-only */
/* Logging for main(), the HTTP layer and the CLI: logfmt lines on stderr,
 * the format Prometheus exporters use. Library code returns errors instead. */
#ifndef CGSCOPE_LOG_H
#define CGSCOPE_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern enum log_level log_threshold;

int log_level_parse(const char *s, enum log_level *ret);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A message followed by fields: key, value, ..., NULL (logfmt: a value
 * with spaces, quotes or '=' is quoted, its quotes and backslashes
 * escaped). For what a program reads back: which feature failed and why. */
void log_fields(enum log_level level, const char *msg, ...)
	__attribute__((sentinel));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
