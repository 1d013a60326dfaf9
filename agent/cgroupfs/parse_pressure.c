// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>

#include "cgroupfs/parse.h"
#include "cgroupfs/parse_util.h"

/* "12.34" as 1234: the kernel prints the averages with exactly two decimals
 * from fixed-point values, so integers keep them exact. */
static int parse_percent(const char *s, size_t len, uint32_t *ret)
{
	uint64_t ip, fp;
	size_t n = parse_u64_prefix(s, len, &ip);

	if (!n || n + 3 != len || s[n] != '.' || ip > 100)
		return -EINVAL;
	if (parse_u64_prefix(s + n + 1, 2, &fp) != 2)
		return -EINVAL;
	*ret = (uint32_t)(ip * 100 + fp);
	return 0;
}

static int expect_n(const char **p, const char *end, const char *word, size_t n)
{
	if ((size_t)(end - *p) < n || memcmp(*p, word, n))
		return -EINVAL;
	*p += n;
	return 0;
}

/* The word's length from the literal: no strlen() per field. */
#define expect(p, end, word) expect_n(p, end, word, sizeof(word) - 1)

static int parse_avg_n(const char **p, const char *end, const char *key, size_t key_len,
		       uint32_t *ret)
{
	const char *sp;
	int r = expect_n(p, end, key, key_len);

	if (r < 0)
		return r;
	sp = memchr(*p, ' ', (size_t)(end - *p));
	if (!sp)
		return -EINVAL;
	r = parse_percent(*p, (size_t)(sp - *p), ret);
	*p = sp + 1;
	return r;
}

#define parse_avg(p, end, key, ret) parse_avg_n(p, end, key, sizeof(key) - 1, ret)

static int parse_line(const char *p, const char *eol, struct psi_line *ret)
{
	struct psi_line l;
	size_t n;
	int r;

	if ((r = parse_avg(&p, eol, "avg10=", &l.avg10)) < 0 ||
	    (r = parse_avg(&p, eol, "avg60=", &l.avg60)) < 0 ||
	    (r = parse_avg(&p, eol, "avg300=", &l.avg300)) < 0 ||
	    (r = expect(&p, eol, "total=")) < 0)
		return r;
	n = parse_u64_prefix(p, (size_t)(eol - p), &l.total_usec);
	if (!n || p + n != eol)
		return -EINVAL;
	*ret = l;
	return 0;
}

int parse_pressure(const char *buf, size_t len, struct psi *ret)
{
	const char *p = buf, *end = buf + len;
	struct psi psi = {0};
	int r;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (!eol)
			eol = end;
		if (expect(&p, eol, "some ") == 0) {
			r = parse_line(p, eol, &psi.some);
			psi.has_some = 1;
		} else if (expect(&p, eol, "full ") == 0) {
			r = parse_line(p, eol, &psi.full);
			psi.has_full = 1;
		} else {
			r = -EINVAL;
		}
		if (r < 0)
			return r;
		p = eol + 1;
	}
	if (!psi.has_some && !psi.has_full)
		return -EINVAL;
	*ret = psi;
	return 0;
}
