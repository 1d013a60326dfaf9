// SPDX-License-Identifier: GPL-2.0-only
/* prom_escape_label: whatever the bytes (a cgroup name can hold any byte but
 * '/' and NUL), the label value it appends is valid UTF-8, has no raw newline
 * and no unescaped double quote, uses only the escapes the text format
 * defines, and decodes to the input with each byte that is not part of a
 * well-formed UTF-8 sequence replaced by U+FFFD. Escaping that decoded text
 * again gives the same bytes, and what was in the buffer before is kept. */
#include "fuzz.h"
#include "prom/prom_text.h"
#include "lib/strbuf.h"

static const char prefix[] = "cgroup_populated{cgroup=\"";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_dup(data, size), *dec, *want;
	const unsigned char *u = (const unsigned char *)in;
	struct strbuf sb = {0}, again = {0};
	size_t elen, dlen = 0, wlen = 0;
	const char *e;

	sb_puts(&sb, prefix);
	prom_escape_label(&sb, in, size);
	CHECK(sb_error(&sb) == 0);
	CHECK(sb.len >= sizeof(prefix) - 1 && !memcmp(sb.buf, prefix, sizeof(prefix) - 1));
	CHECK(sb.buf[sb.len] == '\0');
	e = sb.buf + sizeof(prefix) - 1;
	elen = sb.len - (sizeof(prefix) - 1);

	CHECK(elen <= 3 * size);			/* U+FFFD is the longest: 3 bytes */
	CHECK(utf8_valid((const unsigned char *)e, elen));
	CHECK(!memchr(e, '\n', elen));

	/* Decode: '\' only before '\', '"' or 'n', and no bare '"'. */
	dec = malloc(elen + 1);
	CHECK(dec);
	for (size_t i = 0; i < elen; i++) {
		CHECK(e[i] != '"');
		if (e[i] == '\\') {
			CHECK(i + 1 < elen);
			i++;
			CHECK(e[i] == '\\' || e[i] == '"' || e[i] == 'n');
			dec[dlen++] = e[i] == 'n' ? '\n' : e[i];
		} else {
			dec[dlen++] = e[i];
		}
	}

	/* The input with every byte outside a well-formed sequence as U+FFFD. */
	want = malloc(3 * size + 1);
	CHECK(want);
	for (size_t i = 0, n; i < size; i += n) {
		n = utf8_seq(u + i, size - i);
		if (n) {
			memcpy(want + wlen, in + i, n);
			wlen += n;
		} else {
			memcpy(want + wlen, "\xEF\xBF\xBD", 3);
			wlen += 3;
			n = 1;
		}
	}
	CHECK(dlen == wlen && (!dlen || !memcmp(dec, want, dlen)));
	if (utf8_valid(u, size))
		CHECK(dlen == size && (!size || !memcmp(dec, in, size)));

	/* Idempotent on its own decoded output. */
	prom_escape_label(&again, dec, dlen);
	CHECK(sb_error(&again) == 0 && again.len == elen && (!elen || !memcmp(again.buf, e, elen)));

	sb_free(&again);
	sb_free(&sb);
	free(want);
	free(dec);
	free(in);
	return 0;
}
