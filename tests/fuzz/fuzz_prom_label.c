// SPDX-License-Identifier: GPL-2.0-only
/* prom_escape_label: whatever the bytes (a cgroup name can hold any byte but
 * '/' and NUL), the label value it appends is valid UTF-8, has no raw newline
 * and no unescaped double quote, uses only the escapes the text format
 * defines, and, once those are decoded, is the one escape of lib/utf8.h of
 * the input: utf8_unescape gives the input's bytes back exactly (so two names
 * never share a label value), a name of valid UTF-8 without U+FFFD is as it
 * is, and no byte grows past UTF8_ESCAPE_MAX. What was in the buffer before
 * is kept. */
#include "fuzz.h"
#include "prom/prom_text.h"
#include "lib/strbuf.h"

/* From lib/utf8.h, whose utf8_valid fuzz.h's own model would clash with. */
#define UTF8_REPLACEMENT "\xEF\xBF\xBD"
#define UTF8_ESCAPE_MAX 5
int utf8_unescape(struct strbuf *sb, const char *s, size_t len);

static const char prefix[] = "cgroup_populated{cgroup=\"";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_dup(data, size), *dec;
	const unsigned char *u = (const unsigned char *)in;
	struct strbuf sb = {0}, again = {0};
	size_t elen, dlen = 0;
	const char *e;

	sb_puts(&sb, prefix);
	prom_escape_label(&sb, in, size);
	CHECK(sb_error(&sb) == 0);
	CHECK(sb.len >= sizeof(prefix) - 1 && !memcmp(sb.buf, prefix, sizeof(prefix) - 1));
	CHECK(sb.buf[sb.len] == '\0');
	e = sb.buf + sizeof(prefix) - 1;
	elen = sb.len - (sizeof(prefix) - 1);

	CHECK(elen <= UTF8_ESCAPE_MAX * size);
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

	/* The escape undone is the input, byte for byte. */
	CHECK(utf8_unescape(&again, dec, dlen) == 0);
	CHECK(sb_error(&again) == 0 && again.len == size && (!size || !memcmp(again.buf, in, size)));
	/* Valid UTF-8 without U+FFFD goes out as it is. */
	if (utf8_valid(u, size) && !memmem(in, size, UTF8_REPLACEMENT, 3))
		CHECK(dlen == size && (!size || !memcmp(dec, in, size)));

	sb_free(&again);
	sb_free(&sb);
	free(dec);
	free(in);
	return 0;
}
