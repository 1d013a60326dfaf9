// SPDX-License-Identifier: GPL-2.0-only
/* parse_io_stat: against a model of the format; the count it returns against
 * the entries it writes, for output arrays from no room to more than needed;
 * the same entries whatever the room; and the entries printed back as the
 * kernel prints io.stat parse to themselves. */
#include <errno.h>
#include <inttypes.h>

#include "fuzz.h"
#include "cgroupfs/parse.h"

/* Decimal digits, all of s, that fit max. */
static bool number(const char *s, const char *e, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (s == e)
		return false;
	for (; s < e; s++)
		if (*s < '0' || *s > '9' || __builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*s - '0'), &v))
			return false;
	*ret = v;
	return v <= max;
}

/* One line: -EINVAL, 0 with *d filled, or 1 for a line left out: a device
 * without stats ("1:0 " in the root's io.stat, or "1:0"), or a disk the
 * kernel cannot name ("(unknown) ...", whatever follows). */
static int model_line(const char *p, const char *eol, struct io_dev_stat *d)
{
	static const char *const names[] = { "rbytes", "wbytes", "rios", "wios", "dbytes", "dios" };
	uint64_t *slots[] = { &d->rbytes, &d->wbytes, &d->rios, &d->wios, &d->dbytes, &d->dios };
	const char *colon = memchr(p, ':', (size_t)(eol - p)), *e;
	uint64_t major, minor;
	unsigned fields = 0;

	*d = (struct io_dev_stat){0};
	if (eol - p >= 10 && !memcmp(p, "(unknown) ", 10))
		return 1;
	if (!colon || !number(p, colon, UINT32_MAX, &major))
		return -EINVAL;
	for (e = colon + 1; e < eol && *e >= '0' && *e <= '9'; e++)
		;
	if (!number(colon + 1, e, UINT32_MAX, &minor))
		return -EINVAL;
	d->major = (uint32_t)major;
	d->minor = (uint32_t)minor;
	p = e;
	while (p < eol) {
		const char *tok, *te, *eq;

		if (*p != ' ')
			return -EINVAL;
		tok = p + 1;
		if (tok == eol)
			break;
		te = memchr(tok, ' ', (size_t)(eol - tok));
		if (!te)
			te = eol;
		eq = memchr(tok, '=', (size_t)(te - tok));
		if (!eq || eq == tok)
			return -EINVAL;
		for (size_t i = 0; i < 6; i++)
			if (strlen(names[i]) == (size_t)(eq - tok) &&
			    !memcmp(names[i], tok, (size_t)(eq - tok)) &&
			    !number(eq + 1, te, UINT64_MAX, slots[i]))
				return -EINVAL;
		fields++;
		p = te;
	}
	return fields ? 0 : 1;
}

/* The entries of the whole file, or -EINVAL. */
static int model(const char *buf, size_t len, struct io_dev_stat *ret, size_t max)
{
	const char *p = buf, *end = buf + len;
	int n = 0;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		struct io_dev_stat d;
		int r;

		if (!eol)
			eol = end;
		r = model_line(p, eol, &d);
		if (r < 0)
			return r;
		if (r == 0 && (size_t)n < max)
			ret[n] = d;
		n += r == 0;
		p = eol + 1;
	}
	return n;
}

static void fill(struct io_dev_stat *d, size_t n)
{
	memset(d, 0xc5, n * sizeof(*d));
}

static bool is_canary(const struct io_dev_stat *d)
{
	static const unsigned char c[sizeof(*d)] = { [0 ... sizeof(*d) - 1] = 0xc5 };

	return !memcmp(d, c, sizeof(*d));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size), *text;
	struct io_dev_stat *all, *part, one;
	size_t cap, tlen = 0;
	int n, r;

	/* No room at all: only the count. The pointer must not be used. */
	fill(&one, 1);
	n = parse_io_stat(buf, size, &one, 0);
	CHECK(n >= 0 || n == -EINVAL);
	CHECK(is_canary(&one));
	CHECK(model(buf, size, &one, 0) == n);
	if (n < 0) {
		free(buf);
		return 0;
	}
	/* A device line has at least "0:0 x=" and a newline: 7 bytes, save
	 * the last line. */
	CHECK((size_t)n <= size / 7 + 1);

	cap = (size_t)n + 2;
	all = malloc(cap * sizeof(*all));
	part = malloc(cap * sizeof(*part));
	CHECK(all && part);
	fill(all, cap);
	r = parse_io_stat(buf, size, all, cap);
	CHECK(r == n);
	CHECK(is_canary(&all[n]) && is_canary(&all[n + 1]));
	fill(part, cap);
	CHECK(model(buf, size, part, cap) == n);
	CHECK(!memcmp(part, all, (size_t)n * sizeof(*part)));

	/* Less room than lines: the same count, the first entries the same,
	 * nothing written past the room. */
	for (size_t room = 1; room < (size_t)n && room <= 4; room++) {
		fill(part, cap);
		CHECK(parse_io_stat(buf, size, part, room) == n);
		CHECK(!memcmp(part, all, room * sizeof(*part)));
		CHECK(is_canary(&part[room]));
	}

	/* Printed back in the kernel's format, the entries parse the same. */
	text = malloc((size_t)n * 160 + 1);
	CHECK(text);
	for (int i = 0; i < n; i++)
		tlen += (size_t)sprintf(text + tlen,
			"%" PRIu32 ":%" PRIu32 " rbytes=%" PRIu64 " wbytes=%" PRIu64
			" rios=%" PRIu64 " wios=%" PRIu64 " dbytes=%" PRIu64 " dios=%" PRIu64 "\n",
			all[i].major, all[i].minor, all[i].rbytes, all[i].wbytes,
			all[i].rios, all[i].wios, all[i].dbytes, all[i].dios);
	fill(part, cap);
	CHECK(parse_io_stat(text, tlen, part, cap) == n);
	CHECK(!memcmp(part, all, (size_t)n * sizeof(*part)));

	free(text);
	free(part);
	free(all);
	free(buf);
	return 0;
}
