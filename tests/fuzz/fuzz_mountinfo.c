// SPDX-License-Identifier: GPL-2.0-only
/* parse_mountinfo_cgroup2 against a model (the 5th field of the first line
 * whose fs type, after " - ", is cgroup2, with \ooo escapes undone), with
 * output buffers of exactly the size it needs and one byte less: the longest
 * answer fits in strlen + 1 bytes, one byte less is -ENAMETOOLONG, and nothing
 * is written then. */
#include <errno.h>

#include "fuzz.h"
#include "cgroupfs/parse.h"

/* The mount point's text with escapes undone, its length in *ret_len. */
static int model(const char *buf, size_t len, char *out, size_t *ret_len)
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *f = p, *mnt = NULL, *mnt_end = NULL, *sep;
		int i;

		if (!eol)
			eol = end;
		for (i = 0; i < 5; i++) {
			const char *sp = memchr(f, ' ', (size_t)(eol - f));
			if (!sp)
				break;
			mnt = f;
			mnt_end = sp;
			f = sp + 1;
		}
		sep = memmem(p, (size_t)(eol - p), " - cgroup2 ", 11);
		if (i == 5 && sep && sep > mnt) {
			size_t o = 0;
			for (const char *s = mnt; s < mnt_end; s++) {
				if (s[0] == '\\' && mnt_end - s >= 4 &&
				    s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
				    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
					out[o++] = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
					s += 3;
				} else {
					out[o++] = *s;
				}
			}
			*ret_len = o;
			return 0;
		}
		p = eol + 1;
	}
	return -ENOENT;
}

/* A heap block of exactly n bytes, filled: ASan catches a write past it,
 * also for n = 0 (its malloc(0) is a block of size 0, not NULL). */
static char *block(size_t n)
{
	char *b = malloc(n);

	CHECK(b);
	memset(b, 0xee, n);
	return b;
}

static bool untouched(const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)b[i] != 0xee)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size), *want = block(size + 1), *out;
	size_t wlen = 0;
	int r, m;

	m = model(buf, size, want, &wlen);
	out = block(size + 1);
	r = parse_mountinfo_cgroup2(buf, size, out, size + 1);
	CHECK(r == m);
	if (r < 0) {
		CHECK(untouched(out, size + 1));
		goto done;
	}
	CHECK(wlen <= size && out[wlen] == '\0' && !memcmp(out, want, wlen));
	free(out);

	/* Exactly the room it needs. */
	out = block(wlen + 1);
	CHECK(parse_mountinfo_cgroup2(buf, size, out, wlen + 1) == 0);
	CHECK(out[wlen] == '\0' && !memcmp(out, want, wlen));
	free(out);

	/* One byte less, and none at all: too long, nothing written. */
	out = block(wlen);
	CHECK(parse_mountinfo_cgroup2(buf, size, out, wlen) == -ENAMETOOLONG);
	CHECK(untouched(out, wlen));
	free(out);
	out = block(0);
	CHECK(parse_mountinfo_cgroup2(buf, size, out, 0) == -ENAMETOOLONG);
done:
	free(out);
	free(want);
	free(buf);
	return 0;
}
