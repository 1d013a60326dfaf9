/* SPDX-License-Identifier: GPL-2.0-only */
/* The Prometheus text exposition format (0.0.4) of a snapshot. */
#ifndef CGSCOPE_PROM_TEXT_H
#define CGSCOPE_PROM_TEXT_H

#include <stddef.h>

#include "collect/snapshot.h"
#include "lib/strbuf.h"

/* Appends s[0..len) as a label value: backslash, double quote and newline
 * escaped as the format requires, and bytes that are not UTF-8 replaced by
 * U+FFFD, since Prometheus rejects a page with invalid UTF-8. */
void prom_escape_label(struct strbuf *sb, const char *s, size_t len);

/* Renders every family of the snapshot; 0 or -ENOMEM. */
int prom_render(const struct snapshot *s, struct strbuf *out);

#endif
