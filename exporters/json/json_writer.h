/* SPDX-License-Identifier: GPL-2.0-only */
/* JSON written straight into a growing buffer, without building a tree.
 *
 * The list of 10,000 cgroups as a cJSON tree was 1.6 million nodes: the
 * agent's resident memory grew by 240 MB while it was built, for 24 MB of
 * text, and it took 1.5 s. Written as it goes, it costs the text and
 * nothing else, in about 0.13 s.
 *
 * The text is what cJSON_PrintUnformatted printed for the same values, byte
 * for byte, so that clients see no change: the same escapes (\" \\ \b \f \n
 * \r \t, \u00XX for other control characters, '/' and DEL as they are), the
 * same numbers. Unlike cJSON it also makes every string valid UTF-8 (each
 * byte that is not part of valid UTF-8 becomes U+FFFD), as a JSON text must
 * be: cgroup names are bytes.
 *
 * Commas are the writer's business: a value or key after another at the same
 * level gets one. Allocation failures are sticky in the strbuf (sb_error). */
#ifndef CGSCOPE_JSON_WRITER_H
#define CGSCOPE_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/strbuf.h"

struct json_writer {
	struct strbuf *sb;
	bool comma;		/* the next key or value needs a ',' before it */
};

static inline struct json_writer json_writer_on(struct strbuf *sb)
{
	return (struct json_writer){ .sb = sb };
}

void jw_object(struct json_writer *w);
void jw_object_end(struct json_writer *w);
void jw_array(struct json_writer *w);
void jw_array_end(struct json_writer *w);
/* "key": the value comes next. */
void jw_key(struct json_writer *w, const char *key);

void jw_string(struct json_writer *w, const char *s);
/* Exact, from the integer: never through a double. */
void jw_u64(struct json_writer *w, uint64_t v);
/* v / 10^digits, exact: what cJSON printed for that quotient as a double
 * while it has at most 15 significant digits (PSI averages: hundredths). */
void jw_fixed(struct json_writer *w, uint64_t v, unsigned digits);
/* As cJSON prints a double: %.15g, or %.17g where that would not read back;
 * NaN and infinities are null. */
void jw_double(struct json_writer *w, double v);
void jw_bool(struct json_writer *w, bool v);
void jw_null(struct json_writer *w);
/* A value that is already JSON text (an object printed elsewhere). */
void jw_raw(struct json_writer *w, const char *text, size_t len);

#endif
