// SPDX-License-Identifier: GPL-2.0-only
/* parse_pressure against a model of the PSI format ("some|full avg10=P
 * avg60=P avg300=P total=N", P a percent with exactly two decimals); the
 * result printed back as the kernel prints it parses to itself; the output
 * untouched on failure. */
#include <errno.h>
#include <inttypes.h>

#include "fuzz.h"
#include "cgroupfs/parse.h"

static bool number(const char *s, const char *e, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (s >= e)
		return false;
	for (; s < e; s++)
		if (*s < '0' || *s > '9' || __builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*s - '0'), &v))
			return false;
	*ret = v;
	return v <= max;
}

/* "KEY=12.34 " at *p: the value as hundredths. */
static bool percent(const char **p, const char *eol, const char *key, uint32_t *ret)
{
	size_t k = strlen(key);
	const char *s = *p + k, *sp, *dot;
	uint64_t ip, fp;

	if ((size_t)(eol - *p) < k || memcmp(*p, key, k))
		return false;
	sp = memchr(s, ' ', (size_t)(eol - s));
	if (!sp || sp - s < 4)
		return false;
	dot = sp - 3;
	if (*dot != '.' || !number(s, dot, 100, &ip) || !number(dot + 1, sp, 99, &fp))
		return false;
	*ret = (uint32_t)(ip * 100 + fp);
	*p = sp + 1;
	return true;
}

static int model(const char *buf, size_t len, struct psi *ret)
{
	const char *p = buf, *end = buf + len;
	struct psi psi = {0};

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		struct psi_line l;

		if (!eol)
			eol = end;
		if (eol - p < 5 || (memcmp(p, "some ", 5) && memcmp(p, "full ", 5)))
			return -EINVAL;
		bool some = p[0] == 's';
		p += 5;
		if (!percent(&p, eol, "avg10=", &l.avg10) ||
		    !percent(&p, eol, "avg60=", &l.avg60) ||
		    !percent(&p, eol, "avg300=", &l.avg300) ||
		    eol - p < 6 || memcmp(p, "total=", 6) ||
		    !number(p + 6, eol, UINT64_MAX, &l.total_usec))
			return -EINVAL;
		if (some)
			psi.some = l, psi.has_some = 1;
		else
			psi.full = l, psi.has_full = 1;
		p = eol + 1;
	}
	if (!psi.has_some && !psi.has_full)
		return -EINVAL;
	*ret = psi;
	return 0;
}

static bool same_line(const struct psi_line *a, const struct psi_line *b)
{
	return a->avg10 == b->avg10 && a->avg60 == b->avg60 &&
	       a->avg300 == b->avg300 && a->total_usec == b->total_usec;
}

static bool same(const struct psi *a, const struct psi *b)
{
	return a->has_some == b->has_some && a->has_full == b->has_full &&
	       (!a->has_some || same_line(&a->some, &b->some)) &&
	       (!a->has_full || same_line(&a->full, &b->full));
}

static size_t print_line(char *out, const char *kind, const struct psi_line *l)
{
	return (size_t)sprintf(out, "%s avg10=%u.%02u avg60=%u.%02u avg300=%u.%02u total=%" PRIu64 "\n",
			       kind, l->avg10 / 100, l->avg10 % 100, l->avg60 / 100,
			       l->avg60 % 100, l->avg300 / 100, l->avg300 % 100, l->total_usec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size), text[256];
	struct psi got, want, again;
	size_t tlen = 0;
	int r, m;

	memset(&got, 0x6b, sizeof(got));
	r = parse_pressure(buf, size, &got);
	m = model(buf, size, &want);
	CHECK(r == m);
	if (r < 0) {
		const struct psi c = got;	/* compare against the fill */
		memset(&got, 0x6b, sizeof(got));
		CHECK(!memcmp(&c, &got, sizeof(got)));	/* untouched on failure */
		free(buf);
		return 0;
	}
	CHECK(same(&got, &want));
	CHECK(got.has_some <= 1 && got.has_full <= 1);
	if (got.has_some)
		CHECK(got.some.avg10 <= 10099 && got.some.avg60 <= 10099 && got.some.avg300 <= 10099);
	if (got.has_full)
		CHECK(got.full.avg10 <= 10099 && got.full.avg60 <= 10099 && got.full.avg300 <= 10099);
	if (got.has_some)
		tlen += print_line(text + tlen, "some", &got.some);
	if (got.has_full)
		tlen += print_line(text + tlen, "full", &got.full);
	CHECK(parse_pressure(text, tlen, &again) == 0 && same(&again, &got));
	free(buf);
	return 0;
}
