// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "cgroupfs/parse.h"
#include "cgroupfs/parse_util.h"

/* The kernel prints a keyed file's keys in the same order every time, so the
 * key after the last match is tried first: one comparison per line instead of
 * a scan of the table (memory.stat has over 60 keys). */
static int find_key(const char *const *keys, unsigned nkeys, unsigned hint,
		    const char *k, size_t klen)
{
	for (unsigned i = 0; i < nkeys; i++) {
		unsigned j = (hint + i) % nkeys;
		/* Lengths first: strncmp stops at a NUL byte in the file's key
		 * ("zswpin\0\0..."), and keys[j][klen] then read past the end
		 * of a shorter table key (found by fuzz_keyed). The first
		 * byte before either: a key the table lacks is compared with
		 * every table key, and strlen() of each was most of a parse. */
		if (keys[j][0] == k[0] && strlen(keys[j]) == klen &&
		    memcmp(keys[j], k, klen) == 0)
			return (int)j;
	}
	return -1;
}

int parse_keyed(const char *buf, size_t len, const char *const *keys,
		unsigned nkeys, uint64_t *values)
{
	uint64_t tmp[nkeys ? nkeys : 1];
	/* Not tmp[k] == CG_UNSET: a value of 18446744073709551615 equals it,
	 * and a key repeated with that value was counted twice. */
	bool seen[nkeys ? nkeys : 1];
	const char *p = buf, *end = buf + len;
	unsigned hint = 0;
	int found = 0;

	for (unsigned i = 0; i < nkeys; i++) {
		tmp[i] = CG_UNSET;
		seen[i] = false;
	}
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *sp;
		uint64_t v;
		size_t n;
		int k;

		if (!eol)
			eol = end;	/* a last line without newline is fine */
		sp = memchr(p, ' ', (size_t)(eol - p));
		if (!sp || sp == p)
			return -EINVAL;
		n = parse_u64_prefix(sp + 1, (size_t)(eol - sp - 1), &v);
		if (!n || sp + 1 + n != eol)
			return -EINVAL;
		k = find_key(keys, nkeys, hint, p, (size_t)(sp - p));
		if (k >= 0) {
			if (!seen[k])
				found++;
			seen[k] = true;
			tmp[k] = v;
			hint = (unsigned)k + 1;
		}
		p = eol + 1;
	}
	memcpy(values, tmp, sizeof(uint64_t) * nkeys);
	return found;
}
