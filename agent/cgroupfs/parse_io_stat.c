// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>

#include "cgroupfs/parse.h"
#include "cgroupfs/parse_util.h"
#include "lib/macros.h"

static int parse_field(const char *k, size_t klen, const char *v, size_t vlen,
		       struct io_dev_stat *d)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
		{ "rbytes", offsetof(struct io_dev_stat, rbytes) },
		{ "wbytes", offsetof(struct io_dev_stat, wbytes) },
		{ "rios", offsetof(struct io_dev_stat, rios) },
		{ "wios", offsetof(struct io_dev_stat, wios) },
		{ "dbytes", offsetof(struct io_dev_stat, dbytes) },
		{ "dios", offsetof(struct io_dev_stat, dios) },
	};

	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		uint64_t val;

		if (strlen(fields[i].name) != klen || memcmp(fields[i].name, k, klen))
			continue;
		/* vlen 0 ("rbytes="): parse_u64_prefix reads no digit and
		 * returns 0 == vlen, leaving val unset (found by fuzz_io_stat). */
		if (vlen == 0 || parse_u64_prefix(v, vlen, &val) != vlen)
			return -EINVAL;
		*(uint64_t *)((char *)d + fields[i].off) = val;
		return 0;
	}
	/* io.cost and io.latency add keys of their own (cost.vrate=100.00,
	 * depth=..): not ours, and not all integers. */
	return 0;
}

/* The name the kernel prints for a disk whose backing device has no device
 * of its own (bdi_dev_name()): seen in the root's io.stat on 6.12. Such a
 * line has no major:minor to label it with. */
#define UNKNOWN_DEVICE "(unknown) "

/* 0 for a device line with stats, 1 for one to leave out (the root's io.stat
 * lists idle devices as "1:0 ", and unnamed ones as "(unknown) ..."), or
 * -EINVAL. */
static int parse_line(const char *p, const char *eol, struct io_dev_stat *d)
{
	uint64_t major, minor;
	unsigned fields = 0;
	size_t n;

	*d = (struct io_dev_stat){0};
	if ((size_t)(eol - p) >= strlen(UNKNOWN_DEVICE) &&
	    !memcmp(p, UNKNOWN_DEVICE, strlen(UNKNOWN_DEVICE)))
		return 1;
	n = parse_u64_prefix(p, (size_t)(eol - p), &major);
	if (!n || major > UINT32_MAX || p + n >= eol || p[n] != ':')
		return -EINVAL;
	p += n + 1;
	n = parse_u64_prefix(p, (size_t)(eol - p), &minor);
	if (!n || minor > UINT32_MAX)
		return -EINVAL;
	p += n;
	d->major = (uint32_t)major;
	d->minor = (uint32_t)minor;
	while (p < eol) {
		const char *tok, *eq, *te;
		int r;

		if (*p != ' ')
			return -EINVAL;
		tok = ++p;
		if (tok == eol)
			break;	/* "1:0 ": a device the kernel lists with no stats */
		te = memchr(tok, ' ', (size_t)(eol - tok));
		if (!te)
			te = eol;
		eq = memchr(tok, '=', (size_t)(te - tok));
		if (!eq || eq == tok)
			return -EINVAL;
		r = parse_field(tok, (size_t)(eq - tok), eq + 1, (size_t)(te - eq - 1), d);
		if (r < 0)
			return r;
		p = te;
		fields++;
	}
	return fields ? 0 : 1;
}

int parse_io_stat(const char *buf, size_t len, struct io_dev_stat *ret,
		  size_t max)
{
	const char *p = buf, *end = buf + len;
	int count = 0;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		struct io_dev_stat d;
		int r;

		if (!eol)
			eol = end;
		r = parse_line(p, eol, &d);
		if (r < 0)
			return r;
		if (r == 1) {
			p = eol + 1;
			continue;	/* no stats: nothing to report */
		}
		if ((size_t)count < max)
			ret[count] = d;
		count++;
		p = eol + 1;
	}
	return count;
}
