// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>

#include "cgroupfs/parse.h"

/* Copies a mountinfo field, undoing the kernel's \ooo escapes. With ret
 * NULL, only measures: the length of the result. */
static size_t unescape(const char *s, size_t len, char *ret)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '\\' && i + 3 < len &&
		    s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' &&
		    s[i + 3] >= '0' && s[i + 3] <= '7') {
			c = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		}
		if (ret)
			ret[o] = c;
		o++;
	}
	return o;
}

int parse_mountinfo_cgroup2(const char *buf, size_t len, char *ret, size_t size)
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *field = p, *sep, *mnt = NULL;
		size_t mntlen = 0;

		if (!eol)
			eol = end;
		/* "36 35 98:0 / /mnt rw,... shared:1 - cgroup2 cgroup2 rw": the
		 * mount point is the 5th field, the fs type follows " - ". */
		for (int i = 0; i < 5 && field < eol; i++) {
			const char *sp = memchr(field, ' ', (size_t)(eol - field));
			if (!sp)
				break;
			if (i == 4) {
				mnt = field;
				mntlen = (size_t)(sp - field);
			}
			field = sp + 1;
		}
		sep = memmem(p, (size_t)(eol - p), " - cgroup2 ", 11);
		if (mnt && sep && sep > mnt) {
			/* Measured first: a result too long for ret left part
			 * of it written, and an empty one with size 0 wrote
			 * ret[0] (found by fuzz_mountinfo). */
			size_t n = unescape(mnt, mntlen, NULL);

			if (n >= size)
				return -ENAMETOOLONG;
			unescape(mnt, mntlen, ret);
			ret[n] = '\0';
			return 0;
		}
		p = eol + 1;
	}
	return -ENOENT;
}
