// SPDX-License-Identifier: GPL-2.0-only
/* cgscope export: a recording as OpenMetrics text with timestamps, which
 * `promtool tsdb create-blocks-from openmetrics` turns into blocks for a
 * Prometheus that was down, or never scraped this node.
 *
 * Each recorded cycle (or one per --step) is rendered as the agent served
 * it (cmd/replay_cmd.c), so that every family of the page is exported, and
 * with the values the page had. OpenMetrics wants each family whole, each
 * series (each histogram's buckets, sum and count at one time, together)
 * whole, and its points in time order: the export is the transpose of the
 * recording. So the pages are read once, each series' points kept as it
 * goes, compactly (a run of equal values is one token, a change a varint
 * of the difference), and written out family by family at the end. Points
 * past a memory budget go to an unlinked temporary file, in chunks, and are
 * read back series by series: a day of a large host takes disk, not RAM. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/flags.h"
#include "cmd/replay_cmd.h"
#include "lib/alloc_policy.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/macros.h"
#include "lib/units.h"
#include "prom/prom_text.h"
#include "record/bytes.h"
#include "lib/fileio.h"

/* Points kept in memory before they go to the temporary file. */
#define MEMORY_BUDGET (256u << 20)
/* A series' points are flushed in chunks of at least this much. */
#define CHUNK_MIN 256

struct export_flags {
	const char *replay;
	int64_t from_ms, to_ms;
	uint64_t step_ms;
	struct strbuf labels;		/* --label's, escaped: `job="cgscope",instance="a:1"` */
};

#define F(x) offsetof(struct export_flags, x)

/* NAME=VALUE, a label every series gets, as Prometheus adds job and
 * instance to what it scrapes. */
static int parse_label(const struct flag *f, const char *value, void *cfg)
{
	struct strbuf *sb = &((struct export_flags *)cfg)->labels;
	const char *eq = strchr(value, '=');

	(void)f;
	if (!eq || eq == value)
		return -EINVAL;
	for (const char *p = value; p < eq; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
		      (p > value && *p >= '0' && *p <= '9')))
			return -EINVAL;
	if (eq - value >= 2 && value[0] == '_' && value[1] == '_')
		return -EINVAL;	/* reserved */
	if (sb->len)
		sb_putc(sb, ',');
	sb_append(sb, value, (size_t)(eq - value));
	sb_puts(sb, "=\"");
	prom_escape_label(sb, eq + 1, strlen(eq + 1));
	sb_putc(sb, '"');
	return sb_error(sb);
}

static const struct flag export_flags[] = {
	FLAG_SECTION("Options:"),
	{ .name = "replay", .arg = "DIR", .parse = flag_string, .off = F(replay),
	  .help = "the recording to export: the --record.dir of an agent (required)" },
	{ .name = "from", .arg = "TIME", .def = "1h ago", .parse = flag_time, .off = F(from_ms),
	  .want = TIME_ARG_WANT,
	  .help = "the first cycle exported is the first at or after TIME: 2026-12-02T03:14:00Z, "
		  "'2026-12-02 03:14' (local), 03:14, 'yesterday 03:00', @1764645240, '10m ago', "
		  "-2h" },
	{ .name = "to", .arg = "TIME", .def = "now", .parse = flag_time, .off = F(to_ms),
	  .want = TIME_ARG_WANT, .help = "the last is the last at or before TIME, the same forms" },
	{ .name = "step", .arg = "DURATION", .parse = flag_duration, .off = F(step_ms),
	  .min = 1, .max = 86400000, .want = "a duration such as 15s or 1m",
	  .help = "one cycle per DURATION, the first recorded in each (default: every cycle "
		  "recorded); a scrape interval, to keep a day of a large host small" },
	{ .name = "label", .arg = "NAME=VALUE", .parse = parse_label, .opts = FLAG_REPEAT,
	  .want = "NAME=VALUE, NAME a label name ([a-zA-Z_][a-zA-Z0-9_]*, not __...)",
	  .help = "add this label to every series, as Prometheus adds job and instance to what "
		  "it scrapes: --label job=cgscope --label instance=node1:9753; repeatable" },
	FLAG_END
};

static const struct flag_cmd export_cmd = {
	.name = "export",
	.about =
		"Writes what an agent recorded (--record.dir) between --from and --to to stdout\n"
		"as OpenMetrics text with timestamps, each family whole and counters as\n"
		"counters, ending with # EOF: the input of\n"
		"  promtool tsdb create-blocks-from openmetrics FILE DIR\n"
		"which backfills a Prometheus. Every family of the agent's page is there, with\n"
		"the values the page had at each cycle.\n",
	.epilogue =
		"Example, the last day at a 15 s resolution:\n"
		"  cgscope export --replay /var/lib/cgscope --from -1d --step 15s > day.om\n"
		"  promtool tsdb create-blocks-from openmetrics day.om /var/lib/prometheus/data\n"
		"docs/recording.md says more.\n",
	.flags = export_flags,
};

/* --- the points of a series ------------------------------------------------ */

/* Tokens: a varint head (gap << 2 | kind), then by kind:
 *   0  RUN    the value before, again for `gap` cycles in a row
 *   1  DELTA  at `gap` cycles on: mantissa + zigzag varint, same digits
 *   2  DIGITS at `gap` cycles on: a byte of digits, mantissa + zigzag varint
 *   3  TEXT   at `gap` cycles on: a value that is not a plain decimal: its text
 * The first token of a series counts its gap from cycle -1. */
enum { T_RUN, T_DELTA, T_DIGITS, T_TEXT };

struct chunk {
	uint64_t off;
	uint32_t len;
};

struct series {
	uint32_t key_off, key_len;	/* in the key arena: `name{labels}` */
	uint32_t family, group;
	/* the writer's state; the cycle of its last point is the exporter's
	 * end[] (the points after last_idx up to it: a run not written yet) */
	int64_t last_idx;		/* -1: none yet */
	uint64_t mant;
	uint8_t digits;
	/* The last value as the page wrote it: the same text again is the
	 * same value, without parsing it. */
	char last_text[15];
	uint8_t last_len;
	/* its tokens: in memory, and chunks in the temporary file before them */
	uint8_t *buf;
	uint32_t len, cap;
	struct chunk *chunks;
	uint32_t nchunks, chunks_cap;
};

struct family {
	char *name, *help;
	char type[16];
	uint32_t *series;		/* in the order first seen */
	size_t n, cap;
	uint32_t ngroups;
	bool histogram;
};

struct owners {
	char *text;			/* each owner's escaped path, one after another */
	size_t text_len, text_cap;
	uint32_t *off, *len;
	/* Its cgroup's lines were left out of the page (unchanged since the
	 * cycle before) from skip_from (-1: not now) to skipped, the last
	 * such cycle: its series that had a point before skip_from have the
	 * same point in each, which is written into end[] when the streak
	 * ends (settle), not each cycle. */
	uint32_t *skipped;
	int32_t *skip_from;
	/* its series */
	uint32_t **ser, *nser, *ser_cap;
	size_t n, cap;
	uint32_t *table;		/* text -> owner, open addressing */
	size_t mask;
};

/* What a cgroup's lines depend on besides its own sample: while it stays
 * the same, a cgroup whose sample did not change has the lines it had. */
struct page_key {
	uint8_t compat, names, layout_differs;
	uint8_t migrations, oom, throttle_durations, throttle_events;
	unsigned nhooks;
};

struct exporter {
	struct family *fam;
	size_t nfam, fam_cap;
	struct series *ser;
	size_t nser, ser_cap;
	/* Per series, apart from struct series so that the walk of every
	 * series each cycle reads 8 bytes of each: the cycle of its last
	 * point (-1: none yet), and the cgroup whose lines it is (its owner,
	 * NO_OWNER for the page's own). */
	int32_t *end;
	uint32_t *owner;
	char *keys;			/* the key arena */
	size_t keys_len, keys_cap;
	/* key -> series: open addressing over hashes */
	uint32_t *table;
	size_t table_mask;
	/* histogram metrics (a series' labels without le) -> group */
	uint32_t *gtable;
	uint64_t *ghash;
	size_t gtable_mask, ngroup_keys;
	/* This cycle's page and the one before, and their lines: the same
	 * line as the page before had is the same series, with the same value
	 * when all of it is the same, found without a look-up. */
	struct strbuf page[2];
	struct page_lines {
		uint32_t *ser, *fam, *off, *len, *klen;
		size_t n, cap;
	} lines[2];
	unsigned cur;			/* page[cur] is this cycle's */
	int64_t *times;			/* of each cycle exported */
	size_t ntimes, times_cap;
	char *time_text;		/* and as the text of a point's end */
	uint64_t buffered;		/* token bytes in memory */
	int spill_fd;
	uint64_t spill_len;
	int64_t step_ms, from_ms, next_bucket;
	const struct strbuf *labels;	/* --label's text, or empty */
	/* The cycle exported before: its snapshot, what the page decided
	 * its lines by, and each of its cgroups' owner (slot[1]; slot[0]
	 * this cycle's). */
	struct owners own;
	struct snapshot *last;
	struct page_key last_key;
	struct cycle_devname *last_devs;
	size_t last_ndev;
	uint32_t *slot[2];
	struct cgroup_sample *masked;	/* this cycle's samples, the unchanged without files */
	size_t masked_n, cg_cap;
	uint32_t *idmap;		/* last's cgroups by id */
	size_t idmap_cap, idmap_mask;
	bool idmap_built;
	struct strbuf esc;
	uint64_t cgroup_samples, cgroups_rendered;
	int error;
};

static uint64_t hash_bytes(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)p[i];
		h *= 1099511628211ull;
	}
	return h ^ (h >> 29);
}

static const char *key_of(const struct exporter *x, const struct series *s)
{
	return x->keys + s->key_off;
}

static int grow_table(struct exporter *x)
{
	size_t cap = x->table ? (x->table_mask + 1) * 2 : 1024;
	uint32_t *t = malloc(cap * sizeof(*t));

	if (!t)
		return -ENOMEM;
	memset(t, 0xff, cap * sizeof(*t));
	for (size_t i = 0; i < x->nser; i++) {
		size_t h = hash_bytes(key_of(x, &x->ser[i]), x->ser[i].key_len) & (cap - 1);

		while (t[h] != UINT32_MAX)
			h = (h + 1) & (cap - 1);
		t[h] = (uint32_t)i;
	}
	free(x->table);
	x->table = t;
	x->table_mask = cap - 1;
	return 0;
}

/* The group of a histogram series: its name without _bucket, _sum or _count
 * and its labels without le. */
static int group_of(struct exporter *x, struct family *f, const char *key, size_t len,
		    uint32_t *ret)
{
	char buf[8192];
	size_t n = 0;
	const char *brace = memchr(key, '{', len), *name_end = brace ? brace : key + len;
	size_t name_len = (size_t)(name_end - key);
	uint64_t h;

	if (!f->histogram) {
		*ret = f->ngroups++;
		return 0;
	}
	for (const char *suf = "_bucket\0_count\0_sum\0"; *suf; suf += strlen(suf) + 1) {
		size_t sl = strlen(suf);

		if (name_len > sl && !memcmp(name_end - sl, suf, sl)) {
			name_len -= sl;
			break;
		}
	}
	if (name_len >= sizeof(buf))
		return -E2BIG;
	memcpy(buf, key, name_len);
	n = name_len;
	if (brace) {
		/* Labels but le, as a series without labels writes them when
		 * le was all: `name_bucket{le="1"}` and `name_sum` are one
		 * metric. */
		const char *p = brace + 1, *end = key + len;
		size_t lb = n;

		buf[n++] = '{';
		while (p < end && *p != '}') {
			const char *eq = memchr(p, '=', (size_t)(end - p)), *q;

			if (!eq || eq + 1 >= end || eq[1] != '"')
				return -EBADMSG;
			for (q = eq + 2; q < end && *q != '"'; q++)
				if (*q == '\\')
					q++;
			if (q >= end)
				return -EBADMSG;
			if (!(eq - p == 2 && !memcmp(p, "le", 2))) {
				size_t ln = (size_t)(q + 1 - p);

				if (n + ln + 2 >= sizeof(buf))
					return -E2BIG;
				if (n > lb + 1)
					buf[n++] = ',';
				memcpy(buf + n, p, ln);
				n += ln;
			}
			p = q + 1;
			if (p < end && *p == ',')
				p++;
		}
		if (n > lb + 1)
			buf[n++] = '}';
		else
			n = lb;
	}
	h = hash_bytes(buf, n) ^ (uint64_t)(f - x->fam) * 0x9e3779b97f4a7c15ull;
	if (!x->gtable || x->ngroup_keys * 2 >= x->gtable_mask + 1) {
		size_t cap = x->gtable ? (x->gtable_mask + 1) * 2 : 256;
		uint32_t *t = malloc(cap * sizeof(*t));
		uint64_t *hs = malloc(cap * sizeof(*hs));

		if (!t || !hs) {
			free(t);
			free(hs);
			return -ENOMEM;
		}
		memset(t, 0xff, cap * sizeof(*t));
		for (size_t i = 0; x->gtable && i <= x->gtable_mask; i++) {
			size_t k;

			if (x->gtable[i] == UINT32_MAX)
				continue;
			for (k = x->ghash[i] & (cap - 1); t[k] != UINT32_MAX; k = (k + 1) & (cap - 1))
				;
			t[k] = x->gtable[i];
			hs[k] = x->ghash[i];
		}
		free(x->gtable);
		free(x->ghash);
		x->gtable = t;
		x->ghash = hs;
		x->gtable_mask = cap - 1;
	}
	/* 64-bit hashes of short texts: a clash would merge two metrics' points
	 * into one group's time order, never lose one. */
	for (size_t k = h & x->gtable_mask;; k = (k + 1) & x->gtable_mask) {
		if (x->gtable[k] == UINT32_MAX) {
			x->gtable[k] = f->ngroups++;
			x->ghash[k] = h;
			x->ngroup_keys++;
			*ret = x->gtable[k];
			return 0;
		}
		if (x->ghash[k] == h) {
			*ret = x->gtable[k];
			return 0;
		}
	}
}

static int find_family(struct exporter *x, const char *name, size_t len, const char *type,
		       size_t tlen, size_t *hint, uint32_t *ret)
{
	struct family *f;

	/* Families come in the same order each page: the one after the last. */
	for (size_t k = 0; k < x->nfam; k++) {
		size_t i = (*hint + k) % x->nfam;

		if (strlen(x->fam[i].name) == len && !memcmp(x->fam[i].name, name, len)) {
			*hint = i + 1;
			*ret = (uint32_t)i;
			return 0;
		}
	}
	if (x->nfam == x->fam_cap) {
		size_t cap = x->fam_cap ? x->fam_cap * 2 : 64;
		struct family *p = realloc(x->fam, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		x->fam = p;
		x->fam_cap = cap;
	}
	f = &x->fam[x->nfam];
	*f = (struct family){ .name = strndup(name, len) };
	snprintf(f->type, sizeof(f->type), "%.*s", (int)tlen, type);
	f->histogram = !strcmp(f->type, "histogram") || !strcmp(f->type, "summary");
	if (!f->name)
		return -ENOMEM;
	*hint = x->nfam + 1;
	*ret = (uint32_t)x->nfam++;
	return 0;
}

/* --- the cgroup whose lines a series is ------------------------------------------ */

/* Owners are known by the path as a line's labels write it (escaped): the
 * value of its cgroup label, else of its id label (cAdvisor's families).
 * A cgroup of a snapshot finds its owner by its path escaped the same
 * way, so that a series and the cgroup it belongs to meet without the
 * renderer saying which line is whose. */
#define NO_OWNER UINT32_MAX

static int owner_find(struct exporter *x, const char *text, size_t len, uint32_t *ret)
{
	struct owners *o = &x->own;
	uint64_t h = hash_bytes(text, len);
	size_t k;

	if (o->n * 2 >= o->mask + 1 || !o->table) {
		size_t cap = o->table ? (o->mask + 1) * 2 : 1024;
		uint32_t *t = malloc(cap * sizeof(*t));

		if (!t)
			return -ENOMEM;
		memset(t, 0xff, cap * sizeof(*t));
		for (size_t i = 0; i < o->n; i++) {
			for (k = hash_bytes(o->text + o->off[i], o->len[i]) & (cap - 1);
			     t[k] != UINT32_MAX; k = (k + 1) & (cap - 1))
				;
			t[k] = (uint32_t)i;
		}
		free(o->table);
		o->table = t;
		o->mask = cap - 1;
	}
	for (k = h & o->mask; o->table[k] != UINT32_MAX; k = (k + 1) & o->mask) {
		uint32_t i = o->table[k];

		if (o->len[i] == len && !memcmp(o->text + o->off[i], text, len)) {
			*ret = i;
			return 0;
		}
	}
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 1024;
		uint32_t *off = realloc(o->off, cap * sizeof(*off)), *ln, *sk;

		if (!off)
			return -ENOMEM;
		o->off = off;
		if (!(ln = realloc(o->len, cap * sizeof(*ln))))
			return -ENOMEM;
		o->len = ln;
		if (!(sk = realloc(o->skipped, cap * sizeof(*sk))))
			return -ENOMEM;
		o->skipped = sk;
		if (!(sk = realloc(o->nser, cap * sizeof(*sk))))
			return -ENOMEM;
		o->nser = sk;
		if (!(sk = realloc(o->ser_cap, cap * sizeof(*sk))))
			return -ENOMEM;
		o->ser_cap = sk;
		int32_t *sf = realloc(o->skip_from, cap * sizeof(*sf));

		if (!sf)
			return -ENOMEM;
		o->skip_from = sf;
		uint32_t **ls = realloc(o->ser, cap * sizeof(*ls));

		if (!ls)
			return -ENOMEM;
		o->ser = ls;
		o->cap = cap;
	}
	if (o->text_len + len > UINT32_MAX)
		return -E2BIG;
	if (o->text_len + len > o->text_cap) {
		size_t cap = o->text_cap ? o->text_cap * 2 : 1 << 16;
		char *p;

		while (cap < o->text_len + len)
			cap *= 2;
		if (!(p = realloc(o->text, cap)))
			return -ENOMEM;
		o->text = p;
		o->text_cap = cap;
	}
	memcpy(o->text + o->text_len, text, len);
	o->off[o->n] = (uint32_t)o->text_len;
	o->len[o->n] = (uint32_t)len;
	o->skipped[o->n] = UINT32_MAX;
	o->skip_from[o->n] = -1;
	o->ser[o->n] = NULL;
	o->nser[o->n] = o->ser_cap[o->n] = 0;
	o->text_len += len;
	o->table[k] = (uint32_t)o->n;
	*ret = (uint32_t)o->n++;
	return 0;
}

/* The value of label `name` in `{...}` of a key, as written: 0, or
 * -ENOENT. */
static int label_value(const char *key, size_t len, const char *name, const char **ret,
		       size_t *ret_len)
{
	const char *p = memchr(key, '{', len), *end = key + len;
	size_t nl = strlen(name);

	if (!p)
		return -ENOENT;
	p++;
	while (p < end && *p != '}') {
		const char *eq = memchr(p, '=', (size_t)(end - p)), *v, *q;

		if (!eq || eq + 1 >= end || eq[1] != '"')
			return -ENOENT;
		v = eq + 2;
		for (q = v; q < end && *q != '"'; q++)
			if (*q == '\\')
				q++;
		if (q >= end)
			return -ENOENT;
		if ((size_t)(eq - p) == nl && !memcmp(p, name, nl)) {
			*ret = v;
			*ret_len = (size_t)(q - v);
			return 0;
		}
		p = q + 1;
		if (p < end && *p == ',')
			p++;
	}
	return -ENOENT;
}

static int owner_of(struct exporter *x, const char *key, size_t len, uint32_t si,
		    uint32_t *ret)
{
	struct owners *o = &x->own;
	const char *v;
	size_t vl;
	uint32_t k;
	int r;

	*ret = NO_OWNER;
	if (label_value(key, len, "cgroup", &v, &vl) < 0 && label_value(key, len, "id", &v, &vl) < 0)
		return 0;
	if ((r = owner_find(x, v, vl, &k)) < 0)
		return r;
	if (o->nser[k] == o->ser_cap[k]) {
		uint32_t cap = o->ser_cap[k] ? o->ser_cap[k] * 2 : 16;
		uint32_t *p = realloc(o->ser[k], cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		o->ser[k] = p;
		o->ser_cap[k] = cap;
	}
	o->ser[k][o->nser[k]++] = si;
	*ret = k;
	return 0;
}

/* The streak of owner k ended: its series that had a point when it began
 * have the same point in each cycle of it. */
static void settle(struct exporter *x, uint32_t k)
{
	struct owners *o = &x->own;
	int32_t from = o->skip_from[k] - 1, to = (int32_t)o->skipped[k];

	for (uint32_t i = 0; i < o->nser[k]; i++)
		if (x->end[o->ser[k][i]] == from)
			x->end[o->ser[k][i]] = to;
	o->skip_from[k] = -1;
}

static int new_series(struct exporter *x, uint32_t fam, const char *key, size_t len,
		      uint32_t *ret)
{
	struct family *f = &x->fam[fam];
	struct series *s;
	size_t h;
	int r;

	if (x->nser == x->ser_cap) {
		size_t cap = x->ser_cap ? x->ser_cap * 2 : 4096;
		struct series *p = realloc(x->ser, cap * sizeof(*p));
		int32_t *e;
		uint32_t *o;

		if (!p)
			return -ENOMEM;
		x->ser = p;
		if (!(e = realloc(x->end, cap * sizeof(*e))))
			return -ENOMEM;
		x->end = e;
		if (!(o = realloc(x->owner, cap * sizeof(*o))))
			return -ENOMEM;
		x->owner = o;
		x->ser_cap = cap;
	}
	if (x->keys_len + len + 1 > x->keys_cap) {
		size_t cap = x->keys_cap ? x->keys_cap * 2 : 1 << 20;
		char *p;

		while (cap < x->keys_len + len + 1)
			cap *= 2;
		p = realloc(x->keys, cap);
		if (!p)
			return -ENOMEM;
		x->keys = p;
		x->keys_cap = cap;
	}
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 256;
		uint32_t *p = realloc(f->series, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		f->series = p;
		f->cap = cap;
	}
	s = &x->ser[x->nser];
	*s = (struct series){ .key_off = (uint32_t)x->keys_len, .key_len = (uint32_t)len,
			      .family = fam, .last_idx = -1 };
	x->end[x->nser] = -1;
	if ((r = owner_of(x, key, len, (uint32_t)x->nser, &x->owner[x->nser])) < 0)
		return r;
	memcpy(x->keys + x->keys_len, key, len);
	x->keys_len += len;
	x->keys[x->keys_len++] = '\0';
	if ((r = group_of(x, f, key, len, &s->group)) < 0)
		return r;
	f->series[f->n++] = (uint32_t)x->nser;
	*ret = (uint32_t)x->nser++;
	if ((x->nser * 2 > x->table_mask + 1 || !x->table) && grow_table(x) < 0)
		return -ENOMEM;
	h = hash_bytes(key, len) & x->table_mask;
	while (x->table[h] != UINT32_MAX)
		h = (h + 1) & x->table_mask;
	x->table[h] = *ret;
	return 0;
}

static int lookup(struct exporter *x, uint32_t fam, const char *key, size_t len, uint32_t *ret)
{
	size_t h;

	if (x->table) {
		for (h = hash_bytes(key, len) & x->table_mask; x->table[h] != UINT32_MAX;
		     h = (h + 1) & x->table_mask) {
			const struct series *s = &x->ser[x->table[h]];

			if (s->key_len == len && s->family == fam && !memcmp(key_of(x, s), key, len)) {
				*ret = x->table[h];
				return 0;
			}
		}
	}
	return new_series(x, fam, key, len, ret);
}

/* --- tokens ------------------------------------------------------------------ */

static int put_bytes(struct exporter *x, struct series *s, const uint8_t *p, size_t n)
{
	if (s->len + n > s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 32;
		uint8_t *q;

		while (cap < s->len + n)
			cap *= 2;
		q = realloc(s->buf, cap);
		if (!q)
			return -ENOMEM;
		x->buffered += cap - s->cap;
		s->buf = q;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += (uint32_t)n;
	return 0;
}

static int put_token(struct exporter *x, struct series *s, uint64_t gap, unsigned kind,
		     const uint8_t *extra, size_t n)
{
	uint8_t b[32];
	size_t k = put_varint(b, gap << 2 | kind);

	if (k + n <= sizeof(b)) {
		if (n)
			memcpy(b + k, extra, n);
		return put_bytes(x, s, b, k + n);
	}
	return put_bytes(x, s, b, k) ?: put_bytes(x, s, extra, n);
}

static int flush_run(struct exporter *x, struct series *s)
{
	int64_t end = x->end[s - x->ser];
	int r = 0;

	if (s->last_idx >= 0 && end > s->last_idx) {
		r = put_token(x, s, (uint64_t)(end - s->last_idx), T_RUN, NULL, 0);
		s->last_idx = end;
	}
	return r;
}

/* "123", "1.5", "0.000123000": a plain decimal as mantissa and digits. */
static bool decimal(const char *v, size_t len, uint64_t *mant, uint8_t *digits)
{
	uint64_t m = 0;
	int d = -1;

	if (!len || len > 40)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (v[i] == '.' && d < 0 && i > 0 && i + 1 < len) {
			d = 0;
			continue;
		}
		if (v[i] < '0' || v[i] > '9' || __builtin_mul_overflow(m, 10, &m) ||
		    __builtin_add_overflow(m, (uint64_t)(v[i] - '0'), &m))
			return false;
		if (d >= 0)
			d++;
	}
	if (d > 19)
		return false;
	*mant = m;
	*digits = (uint8_t)(d < 0 ? 0 : d);
	return true;
}

static int add_point(struct exporter *x, uint32_t si, int64_t idx, const char *v, size_t vlen)
{
	struct series *s = &x->ser[si];
	int32_t *end = &x->end[si];
	uint32_t k = x->owner[si];
	uint64_t gap, mant;
	uint8_t digits, b[16];
	size_t n;

	/* A series of a cgroup left out of the pages before, here (a line it
	 * has whatever its files: its info) where the page before did not
	 * have it: its points of the streak first. */
	if (k != NO_OWNER && x->own.skip_from[k] >= 0 && x->own.skip_from[k] <= idx - 1 &&
	    (int64_t)x->own.skipped[k] >= idx - 1 && *end == x->own.skip_from[k] - 1)
		*end = (int32_t)(idx - 1);

	if (vlen == s->last_len && s->last_idx >= 0 && idx == *end + 1 &&
	    !memcmp(v, s->last_text, vlen)) {
		*end = (int32_t)idx;
		return 0;
	}
	s->last_len = 0;
	if (vlen <= sizeof(s->last_text)) {
		memcpy(s->last_text, v, vlen);
		s->last_len = (uint8_t)vlen;
	}

	if (!decimal(v, vlen, &mant, &digits)) {
		uint8_t lb[10];
		size_t k;
		int r = flush_run(x, s);

		if (r < 0)
			return r;
		gap = (uint64_t)(idx - s->last_idx);
		k = put_varint(lb, vlen);
		r = put_token(x, s, gap, T_TEXT, lb, k) ?: put_bytes(x, s, (const uint8_t *)v, vlen);
		s->last_idx = *end = (int32_t)idx;
		s->digits = 0xff;	/* no value to be equal to */
		s->last_len = 0;
		return r;
	}
	if (s->last_idx >= 0 && idx == *end + 1 && mant == s->mant && digits == s->digits) {
		*end = (int32_t)idx;
		return 0;
	}
	if (flush_run(x, s) < 0)
		return -ENOMEM;
	gap = (uint64_t)(idx - s->last_idx);
	if (s->last_idx >= 0 && digits == s->digits) {
		n = put_varint(b, zigzag(mant - s->mant));
		if (put_token(x, s, gap, T_DELTA, b, n) < 0)
			return -ENOMEM;
	} else {
		b[0] = digits;
		n = 1 + put_varint(b + 1, zigzag(mant - (s->digits == digits ? s->mant : 0)));
		if (put_token(x, s, gap, T_DIGITS, b, n) < 0)
			return -ENOMEM;
	}
	s->last_idx = *end = (int32_t)idx;
	s->mant = mant;
	s->digits = digits;
	return 0;
}

/* Points past the budget to the temporary file, each series' as a chunk. */
static int spill(struct exporter *x)
{
	if (x->spill_fd < 0) {
		const char *tmp = getenv("TMPDIR");

		x->spill_fd = open(tmp && *tmp ? tmp : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (x->spill_fd < 0)
			return -errno;
	}
	for (size_t i = 0; i < x->nser; i++) {
		struct series *s = &x->ser[i];
		ssize_t w;

		if (s->len < CHUNK_MIN)
			continue;
		if (s->nchunks == s->chunks_cap) {
			uint32_t cap = s->chunks_cap ? s->chunks_cap * 2 : 4;
			struct chunk *p = realloc(s->chunks, cap * sizeof(*p));

			if (!p)
				return -ENOMEM;
			s->chunks = p;
			s->chunks_cap = cap;
		}
		w = pwrite(x->spill_fd, s->buf, s->len, (off_t)x->spill_len);
		if (w != (ssize_t)s->len)
			return w < 0 ? -errno : -ENOSPC;
		s->chunks[s->nchunks++] = (struct chunk){ .off = x->spill_len, .len = s->len };
		x->spill_len += s->len;
		x->buffered -= s->cap;
		free(s->buf);
		s->buf = NULL;
		s->len = s->cap = 0;
	}
	return 0;
}

/* --- reading the pages ---------------------------------------------------------- */

static int lines_room(struct page_lines *pl, size_t k)
{
	if (k < pl->cap)
		return 0;
	size_t cap = pl->cap ? pl->cap * 2 : 4096;
	uint32_t **arr[] = { &pl->ser, &pl->fam, &pl->off, &pl->len, &pl->klen };

	for (size_t i = 0; i < ARRAY_SIZE(arr); i++) {
		uint32_t *q = realloc(*arr[i], cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		*arr[i] = q;
	}
	pl->cap = cap;
	return 0;
}

/* The points of page[cur], cycle idx (the page before is idx - 1's). */
static int add_page(struct exporter *x, int64_t idx)
{
	const struct strbuf *pg = &x->page[x->cur], *pv = &x->page[!x->cur];
	struct page_lines *pl = &x->lines[x->cur];
	const struct page_lines *pp = &x->lines[!x->cur];
	const char *p = pg->buf, *end = p + pg->len;
	uint32_t fam = UINT32_MAX;
	size_t hint = 0, k = 0;
	int r;

	while (p < end) {
		const char *eol, *sp;
		uint32_t si, kl = 0;

		if (p[0] == '#') {
			eol = memchr(p, '\n', (size_t)(end - p));
			if (!eol)
				eol = end;
			if (eol - p > 7 && !memcmp(p, "# TYPE ", 7)) {
				const char *name = p + 7, *tsp = memchr(name, ' ', (size_t)(eol - name));

				if (!tsp)
					return -EBADMSG;
				r = find_family(x, name, (size_t)(tsp - name), tsp + 1,
						(size_t)(eol - tsp - 1), &hint, &fam);
				if (r < 0)
					return r;
			}
			p = eol + 1;
			continue;
		}
		if ((r = lines_room(pl, k)) < 0)
			return r;
		if (k < pp->n && pp->fam[k] == fam) {
			const char *q = pv->buf + pp->off[k];
			size_t ln = pp->len[k];

			kl = pp->klen[k];

			si = pp->ser[k];
			if ((size_t)(end - p) > ln && p[ln] == '\n' && !memcmp(p, q, ln)) {
				/* The line of the cycle before, whole: its
				 * series, its value once more. */
				x->end[si] = (int32_t)idx;
				eol = p + ln;
				sp = NULL;
			} else if ((size_t)(end - p) > kl && p[kl] == ' ' && !memcmp(p, q, kl)) {
				sp = p + kl + 1;
				eol = memchr(sp, '\n', (size_t)(end - sp));
				if (!eol)
					eol = end;
			} else {
				si = UINT32_MAX;
			}
		} else {
			si = UINT32_MAX;
		}
		if (si == UINT32_MAX) {
			eol = memchr(p, '\n', (size_t)(end - p));
			if (!eol)
				eol = end;
			sp = eol;
			while (sp > p && sp[-1] != ' ')
				sp--;
			if (sp == p || fam == UINT32_MAX)
				return -EBADMSG;
			if ((r = lookup(x, fam, p, (size_t)(sp - 1 - p), &si)) < 0)
				return r;
			kl = (uint32_t)(sp - 1 - p);
		}
		if (sp && (r = add_point(x, si, idx, sp, (size_t)(eol - sp))) < 0)
			return r;
		pl->ser[k] = si;
		pl->fam[k] = fam;
		pl->off[k] = (uint32_t)(p - pg->buf);
		pl->len[k] = (uint32_t)(eol - p);
		pl->klen[k] = kl;
		k++;
		p = eol + 1;
	}
	pl->n = k;
	return 0;
}

/* The HELP texts, once per family: the first page that has each. */
static int add_help(struct exporter *x, const char *p, size_t len)
{
	const char *end = p + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (!eol)
			eol = end;
		if (eol - p > 7 && !memcmp(p, "# HELP ", 7)) {
			const char *name = p + 7, *sp = memchr(name, ' ', (size_t)(eol - name));

			for (size_t i = 0; sp && i < x->nfam; i++) {
				struct family *f = &x->fam[i];

				if (!f->help && strlen(f->name) == (size_t)(sp - name) &&
				    !memcmp(f->name, name, (size_t)(sp - name))) {
					f->help = strndup(sp + 1, (size_t)(eol - sp - 1));
					if (!f->help)
						return -ENOMEM;
				}
			}
		}
		p = eol + 1;
	}
	return 0;
}

/* Each cycle's page is rendered without the lines of the cgroups that did
 * not change since the cycle exported before: a cgroup whose sample (its
 * values, io.stat entries, memory.stat row, event counts, rates, identity
 * and names) is the same, while what the page decides its lines by
 * (struct page_key, the device names) is the same, has the lines it had.
 * Its series go on with the values they had, and only the cgroups that
 * changed cost a page's rendering and reading: on a host where a tenth of
 * the cgroups move, a tenth. A cgroup's file families are left out by
 * clearing the files it has (present) in a copy of its sample, so that
 * the renderer needs no other way: the lines it still writes for it (its
 * info, its event counts) are the same lines, read as before. */

static void page_key_of(const struct replay_cycle *c, struct page_key *k)
{
	const struct events_status *ev = &c->s->events;

	memset(k, 0, sizeof(*k));
	k->compat = c->meta.compat;
	k->names = c->s->names != NULL;
	k->layout_differs = c->layout_differs;
	k->migrations = ev->migrations;
	k->oom = ev->oom;
	k->throttle_durations = ev->throttle_durations;
	k->throttle_events = ev->throttle_events;
	k->nhooks = ev->nhooks;
}

/* Whether everything a renderer reads of cgroup i of a is what it reads of
 * cgroup j of b. Byte for byte: a difference it cannot tell apart (an
 * index that moved, a padding byte) costs a rendering, never a line. */
static bool same_cgroup(const struct snapshot *a, size_t i, const struct snapshot *b, size_t j)
{
	const struct cgroup_sample *x = &a->cgroups[i], *y = &b->cgroups[j];
	const size_t from = offsetof(struct cgroup_sample, v);

	if (x->id != y->id || x->parent_id != y->parent_id || x->depth != y->depth ||
	    memcmp((const char *)x + from, (const char *)y + from, sizeof(*x) - from) ||
	    strcmp(sample_path(a, x), sample_path(b, y)))
		return false;
	if (x->v.io_count && memcmp(&a->io.items[x->v.io_first], &b->io.items[y->v.io_first],
				    x->v.io_count * sizeof(*a->io.items)))
		return false;
	if (cg_has(&x->v, F_MEMORY_STAT) &&
	    memcmp(sample_mem_stat(a, &x->v), sample_mem_stat(b, &y->v), MEMSTAT_NR * sizeof(uint64_t)))
		return false;
	for (int f = 0; f < CN_NR; f++)
		if (strcmp(sample_name(a, i, (enum cgroup_name)f), sample_name(b, j, (enum cgroup_name)f)))
			return false;
	return true;
}

static bool same_devs(const struct exporter *x, const struct cycle_meta *m)
{
	return x->last_ndev == m->ndev &&
	       (!m->ndev || !memcmp(x->last_devs, m->devs, m->ndev * sizeof(*m->devs)));
}

/* The cgroup of the last snapshot with the id of cgroup i of s, or SIZE_MAX:
 * where it was, else by the id table (made once a cycle, when needed). */
static size_t match_last(struct exporter *x, const struct snapshot *s, size_t i)
{
	const struct snapshot *l = x->last;
	uint64_t id = s->cgroups[i].id;

	if (i < l->n && l->cgroups[i].id == id)
		return i;
	if (!x->idmap_built) {
		size_t cap = 64;

		while (cap < l->n * 2)
			cap *= 2;
		if (cap > x->idmap_cap) {
			uint32_t *t = realloc(x->idmap, cap * sizeof(*t));

			if (!t)
				return SIZE_MAX;	/* rendered: never wrong */
			x->idmap = t;
			x->idmap_cap = cap;
		}
		x->idmap_mask = cap - 1;
		memset(x->idmap, 0xff, cap * sizeof(*x->idmap));
		for (size_t j = 0; j < l->n; j++) {
			size_t k = hash_bytes((const char *)&l->cgroups[j].id, 8) & x->idmap_mask;

			while (x->idmap[k] != UINT32_MAX)
				k = (k + 1) & x->idmap_mask;
			x->idmap[k] = (uint32_t)j;
		}
		x->idmap_built = true;
	}
	for (size_t k = hash_bytes((const char *)&id, 8) & x->idmap_mask; x->idmap[k] != UINT32_MAX;
	     k = (k + 1) & x->idmap_mask)
		if (l->cgroups[x->idmap[k]].id == id)
			return x->idmap[k];
	return SIZE_MAX;
}

static int grow_cycle_arrays(struct exporter *x, size_t n)
{
	if (n <= x->cg_cap)
		return 0;
	size_t cap = x->cg_cap ? x->cg_cap : 1024;

	while (cap < n)
		cap *= 2;
	struct cgroup_sample *m = realloc(x->masked, cap * sizeof(*m));

	if (!m)
		return -ENOMEM;
	x->masked = m;
	for (int k = 0; k < 2; k++) {
		uint32_t *p = realloc(x->slot[k], cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		x->slot[k] = p;
	}
	x->cg_cap = cap;
	return 0;
}

static int keep_last(struct exporter *x, const struct replay_cycle *c)
{
	struct cycle_devname *d = NULL;

	if (c->meta.ndev) {
		d = malloc(c->meta.ndev * sizeof(*d));
		if (!d)
			return -ENOMEM;
		memcpy(d, c->meta.devs, c->meta.ndev * sizeof(*d));
	}
	free(x->last_devs);
	x->last_devs = d;
	x->last_ndev = c->meta.ndev;
	snapshot_unref(x->last);
	x->last = snapshot_ref(c->s);
	return 0;
}

static int export_cycle(struct exporter *x, const struct replay_cycle *c)
{
	const struct snapshot *s = c->s;
	struct replay_cycle rc = *c;
	struct snapshot view;
	struct page_key key;
	uint32_t *slot, *last_slot;
	size_t before = x->nfam, nskip = 0;
	int32_t idx = (int32_t)x->ntimes;
	bool full;
	int r;

	if (x->ntimes >= INT32_MAX - 1)
		return -E2BIG;
	if ((r = grow_cycle_arrays(x, s->n)) < 0)
		return r;
	slot = x->slot[0];
	last_slot = x->slot[1];
	page_key_of(c, &key);
	full = !x->last || memcmp(&key, &x->last_key, sizeof(key)) || !same_devs(x, &c->meta);
	x->idmap_built = false;
	for (size_t i = 0; i < s->n; i++) {
		size_t j = x->last ? match_last(x, s, i) : SIZE_MAX;
		const char *path = sample_path(s, &s->cgroups[i]);
		bool skip = false;

		if (j != SIZE_MAX && !strcmp(path, sample_path(x->last, &x->last->cgroups[j]))) {
			slot[i] = last_slot[j];
			skip = !full && same_cgroup(s, i, x->last, j);
		} else {
			x->esc.len = 0;
			prom_escape_label(&x->esc, path, strlen(path));
			if (sb_error(&x->esc) < 0 || (r = owner_find(x, x->esc.buf, x->esc.len, &slot[i])) < 0)
				return r < 0 ? r : -ENOMEM;
		}
		/* The copy of the cycle before is this one's when it was the
		 * same cgroup, where it is now, and the same: but where its path
		 * is in the strings. */
		if (skip && j == i && i < x->masked_n)
			x->masked[i].path_off = s->cgroups[i].path_off;
		else
			x->masked[i] = s->cgroups[i];
		if (skip) {
			uint32_t k = slot[i];

			x->masked[i].v.present = 0;
			if (x->own.skip_from[k] >= 0 && x->own.skipped[k] != (uint32_t)idx - 1)
				settle(x, k);	/* not seen: a streak ends where it was left out */
			if (x->own.skip_from[k] < 0)
				x->own.skip_from[k] = idx;
			x->own.skipped[k] = (uint32_t)idx;
			nskip++;
		}
	}
	x->masked_n = s->n;
	/* The streaks that ended with the cycle before: the cgroup changed,
	 * or is gone. Before this page's points, which follow them. */
	for (size_t j = 0; x->last && j < x->last->n; j++) {
		uint32_t k = last_slot[j];

		if (x->own.skip_from[k] >= 0 && x->own.skipped[k] == (uint32_t)idx - 1)
			settle(x, k);
	}
	/* The snapshot as it is but for the samples: a view for the renderer
	 * alone, which reads it and takes no reference. */
	if (nskip) {
		memcpy(&view, s, sizeof(view));
		view.cgroups = x->masked;
		rc.s = &view;
	}
	if (x->page[x->cur].len > UINT32_MAX)
		return -E2BIG;
	x->page[x->cur].len = 0;
	if ((r = replay_cmd_render(&rc, &x->page[x->cur])) < 0)
		return r;
	if (x->page[x->cur].len > UINT32_MAX)
		return -E2BIG;
	if (x->ntimes == x->times_cap) {
		size_t cap = x->times_cap ? x->times_cap * 2 : 1024;
		int64_t *p = realloc(x->times, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		x->times = p;
		x->times_cap = cap;
	}
	x->times[x->ntimes] = c->time_ms;
	if ((r = add_page(x, idx)) < 0)
		return r;
	x->ntimes++;
	x->cgroup_samples += s->n;
	x->cgroups_rendered += s->n - nskip;
	if (x->nfam != before &&
	    (r = add_help(x, x->page[x->cur].buf, x->page[x->cur].len)) < 0)
		return r;
	x->cur = !x->cur;
	if (x->buffered > MEMORY_BUDGET && (r = spill(x)) < 0)
		return r;
	x->slot[0] = last_slot;
	x->slot[1] = slot;
	x->last_key = key;
	return keep_last(x, c);
}

static int on_cycle(void *ctx, const struct replay_cycle *c)
{
	struct exporter *x = ctx;

	if (x->step_ms) {
		int64_t bucket = (c->time_ms - x->from_ms) / x->step_ms;

		if (x->ntimes && bucket < x->next_bucket)
			return 0;
		x->next_bucket = bucket + 1;
	}
	replay_cmd_note_version(c);
	return export_cycle(x, c);
}

/* --- writing ------------------------------------------------------------------ */

/* A line is its series' `name{labels} ` (made once per series), its value
 * (made once per value: a run of equal values shares it) and its time
 * (made once per cycle). Each part is moved in fixed 32-byte steps, which
 * the buffers have room past their ends for: a day of 1,000 cgroups is a
 * billion lines, and a variable-length copy per part was most of their
 * cost. */
#define STEP 32
#define ROUND(n) (((n) + STEP - 1) / STEP * STEP)

static inline void move_steps(char *dst, const char *src, size_t n)
{
	for (size_t i = 0; i < n; i += STEP)
		memcpy(dst + i, src + i, STEP);
}

/* The output: written to stdout in blocks of OUT_BLOCK. */
#define OUT_BLOCK (1u << 20)

struct out {
	char *buf;
	size_t len, cap;
	int error;
};

static void out_flush(struct out *o)
{
	if (!o->error)
		o->error = write_all(STDOUT_FILENO, o->buf, o->len);
	o->len = 0;
}

/* Room for n bytes and a move's overrun, at the end of the buffer. */
static inline char *out_room(struct out *o, size_t n)
{
	n = ROUND(n) + STEP;
	if (o->len + n > o->cap) {
		out_flush(o);
		if (n > o->cap) {
			size_t cap = OUT_BLOCK + n;
			char *p = realloc(o->buf, cap);

			if (!p) {
				o->error = o->error ?: -ENOMEM;
				return NULL;
			}
			o->buf = p;
			o->cap = cap;
		}
	}
	return o->buf + o->len;
}

static void out_text(struct out *o, const char *p, size_t n)
{
	char *d = out_room(o, n);

	if (d) {
		memcpy(d, p, n);
		o->len += n;
	}
}

/* Reads a series' tokens back: from its chunks, then what is in memory. */
struct reader {
	const struct exporter *x;
	const struct series *s;
	uint8_t *buf;			/* one chunk */
	size_t cap;
	struct rbuf rb;
	uint32_t next_chunk;
	bool in_memory;
	/* The points of the last token: count of them from idx, one value. */
	int64_t idx;
	uint64_t count, pending;
	uint64_t mant;
	uint8_t digits;
	bool at_end;
	/* `name{labels} value`: the prefix, then the value */
	char *line;
	size_t pre_len, line_len, line_cap;
};

static int reader_fill(struct reader *rd)
{
	while (!rb_left(&rd->rb)) {
		if (rd->next_chunk < rd->s->nchunks) {
			const struct chunk *c = &rd->s->chunks[rd->next_chunk++];

			if (c->len > rd->cap) {
				uint8_t *p = realloc(rd->buf, c->len);

				if (!p)
					return -ENOMEM;
				rd->buf = p;
				rd->cap = c->len;
			}
			if (pread(rd->x->spill_fd, rd->buf, c->len, (off_t)c->off) != (ssize_t)c->len)
				return -EIO;
			rd->rb = rbuf_of(rd->buf, c->len);
		} else if (!rd->in_memory) {
			rd->in_memory = true;
			rd->rb = rbuf_of(rd->s->buf, rd->s->len);
		} else {
			return 0;
		}
	}
	return 1;
}

static int line_room(struct reader *rd, size_t n)
{
	n = ROUND(rd->pre_len + n) + STEP;
	if (n > rd->line_cap) {
		char *p = realloc(rd->line, n);

		if (!p)
			return -ENOMEM;
		rd->line = p;
		rd->line_cap = n;
	}
	return 0;
}

/* The next token's points: 1, 0 at the end, -errno. */
static int reader_token(struct reader *rd)
{
	uint64_t head, gap;
	int r;

	if ((r = reader_fill(rd)) <= 0)
		return r;
	head = rb_varint(&rd->rb);
	gap = head >> 2;
	switch (head & 3) {
	case T_RUN:
		rd->idx++;
		rd->count = gap;
		return rd->rb.bad || !gap ? -EIO : 1;
	case T_DELTA:
		rd->mant += unzigzag(rb_varint(&rd->rb));
		break;
	case T_DIGITS: {
		uint8_t d = rb_u8(&rd->rb);

		rd->mant = (d == rd->digits ? rd->mant : 0) + unzigzag(rb_varint(&rd->rb));
		rd->digits = d;
		break;
	}
	default: {
		size_t n;
		const uint8_t *t = rb_bytes(&rd->rb, &n);

		if (!t || line_room(rd, n) < 0)
			return t ? -ENOMEM : -EIO;
		memcpy(rd->line + rd->pre_len, t, n);
		rd->line_len = rd->pre_len + n;
		rd->digits = 0xff;
		break;
	}
	}
	rd->idx += (int64_t)gap;
	rd->count = 1;
	if ((head & 3) != T_TEXT) {
		struct strbuf v = { .buf = rd->line + rd->pre_len, .cap = rd->line_cap - rd->pre_len };

		sb_fixed(&v, rd->mant, rd->digits);
		rd->line_len = rd->pre_len + v.len;
	}
	return rd->rb.bad || rd->idx >= (int64_t)rd->x->ntimes ? -EIO : 1;
}

/* One point at a time (the histograms' merge): 1, 0 at the end, -errno. */
static int reader_next(struct reader *rd)
{
	if (rd->pending > 1) {
		rd->pending--;
		rd->idx++;
		return 1;
	}
	int r = reader_token(rd);

	rd->pending = r > 0 ? rd->count : 0;
	return r;
}

/* `name{LABELS,the series' own} `: --label's first. */
static int reader_init(struct reader *rd, const struct exporter *x, const struct series *s)
{
	const char *k = key_of(x, s), *brace = memchr(k, '{', s->key_len);
	const struct strbuf *lb = x->labels;
	size_t nl = brace ? (size_t)(brace - k) : s->key_len, n = 0;

	*rd = (struct reader){ .x = x, .s = s, .idx = -1, .digits = 0xff };
	if (line_room(rd, s->key_len + lb->len + 4 + 48) < 0)
		return -ENOMEM;
	if (!lb->len) {
		memcpy(rd->line, k, s->key_len);
		n = s->key_len;
	} else {
		memcpy(rd->line, k, nl);
		n = nl;
		rd->line[n++] = '{';
		memcpy(rd->line + n, lb->buf, lb->len);
		n += lb->len;
		if (!brace)
			rd->line[n++] = '}';
		else if (brace[1] != '}')
			rd->line[n++] = ',';
		if (brace) {
			memcpy(rd->line + n, brace + 1, s->key_len - nl - 1);
			n += s->key_len - nl - 1;
		}
	}
	rd->line[n++] = ' ';
	rd->pre_len = rd->line_len = n;
	return line_room(rd, 48);
}

static void reader_free(struct reader *rd)
{
	free(rd->buf);
	free(rd->line);
}

/* " 1796241360.606\n": each cycle's time, written once, moved for each
 * of its points; its length in the byte before it. */
#define TIME_TEXT 32

static int make_times(struct exporter *x)
{
	x->time_text = calloc(x->ntimes + 1, TIME_TEXT);
	if (!x->time_text)
		return -ENOMEM;
	for (size_t i = 0; i < x->ntimes; i++) {
		char *t = x->time_text + i * TIME_TEXT;
		int64_t ms = x->times[i];
		struct strbuf sb = { .buf = t + 1, .cap = TIME_TEXT - 1 };

		if (ms < 0) {	/* a clock before 1970: as printf writes it */
			t[0] = (char)snprintf(t + 1, TIME_TEXT - 1, " %lld.%03lld\n",
					      (long long)(ms / 1000), (long long)(ms % 1000));
			continue;
		}
		sb_putc(&sb, ' ');
		sb_u64(&sb, (uint64_t)ms / 1000);
		sb_putc(&sb, '.');
		sb_putc(&sb, (char)('0' + ms / 100 % 10));
		sb_putc(&sb, (char)('0' + ms / 10 % 10));
		sb_putc(&sb, (char)('0' + ms % 10));
		sb_putc(&sb, '\n');
		t[0] = (char)sb.len;
	}
	return 0;
}

/* count points of rd's value from its idx: as many lines as the buffer
 * has room for at a time, each two moves and no test. */
static void put_points(struct out *o, const struct exporter *x, const struct reader *rd,
		       uint64_t count)
{
	const char *t = x->time_text + rd->idx * TIME_TEXT, *line = rd->line;
	size_t n = rd->line_len, most = ROUND(n) + TIME_TEXT;

	while (count) {
		char *d = out_room(o, most);
		uint64_t k = (o->cap - o->len - STEP) / most;

		if (!d)
			return;
		if (k > count)
			k = count;
		count -= k;
		for (; k; k--, t += TIME_TEXT) {
			move_steps(d, line, n);
			memcpy(d + n, t + 1, STEP);
			d += n + (size_t)t[0];
		}
		o->len = (size_t)(d - o->buf);
	}
}

/* HELP as OpenMetrics escapes it: a quote too. */
static void put_help(struct strbuf *sb, const char *name, const char *help)
{
	sb_puts(sb, "# HELP ");
	sb_puts(sb, name);
	sb_putc(sb, ' ');
	for (const char *p = help; *p; p++) {
		if (*p == '"')
			sb_puts(sb, "\\\"");
		else
			sb_putc(sb, *p);
	}
	sb_putc(sb, '\n');
}

static int write_family(struct out *o, const struct exporter *x, const struct family *f)
{
	struct strbuf head = { 0 };
	const char *type = f->type;
	size_t nl = strlen(f->name);
	bool counter = !strcmp(type, "counter");
	int r = 0;

	if (!f->n)
		return 0;
	/* A counter's family is named without _total, its samples with. */
	if (counter && nl > 6 && !strcmp(f->name + nl - 6, "_total"))
		nl -= 6;
	else if (counter)
		type = "unknown";
	sb_puts(&head, "# TYPE ");
	sb_append(&head, f->name, nl);
	sb_putc(&head, ' ');
	sb_puts(&head, type);
	sb_putc(&head, '\n');
	if (f->help) {
		char *name = strndup(f->name, nl);

		if (!name) {
			sb_free(&head);
			return -ENOMEM;
		}
		put_help(&head, name, f->help);
		free(name);
	}
	if (sb_error(&head) < 0) {
		sb_free(&head);
		return -ENOMEM;
	}
	out_text(o, head.buf, head.len);
	sb_free(&head);
	if (!f->histogram) {
		/* A series each: all of its points. */
		for (size_t i = 0; i < f->n && !r && !o->error; i++) {
			const struct series *s = &x->ser[f->series[i]];
			struct reader rd;

			if ((r = reader_init(&rd, x, s)) < 0)
				break;
			while ((r = reader_token(&rd)) > 0) {
				put_points(o, x, &rd, rd.count);
				rd.idx += (int64_t)rd.count - 1;
			}
			reader_free(&rd);
		}
		return r < 0 ? r : o->error;
	}
	/* Histograms: a metric (its series bar le) at a time, its points
	 * time by time, each time's buckets, sum and count together. */
	for (uint32_t g = 0; g < f->ngroups && !r && !o->error; g++) {
		struct reader *rds;
		size_t n = 0;

		for (size_t i = 0; i < f->n; i++)
			n += x->ser[f->series[i]].group == g;
		rds = calloc(n ? n : 1, sizeof(*rds));
		if (!rds)
			return -ENOMEM;
		n = 0;
		for (size_t i = 0; i < f->n && r >= 0; i++) {
			const struct series *s = &x->ser[f->series[i]];

			if (s->group != g)
				continue;
			if ((r = reader_init(&rds[n], x, s)) < 0)
				break;
			r = reader_next(&rds[n]);
			rds[n].at_end = r == 0;
			n++;
		}
		while (r >= 0) {
			int64_t t = INT64_MAX;

			for (size_t i = 0; i < n; i++)
				if (!rds[i].at_end && rds[i].idx < t)
					t = rds[i].idx;
			if (t == INT64_MAX)
				break;
			for (size_t i = 0; i < n && r >= 0; i++) {
				if (rds[i].at_end || rds[i].idx != t)
					continue;
				put_points(o, x, &rds[i], 1);
				r = reader_next(&rds[i]);
				rds[i].at_end = r == 0;
			}
		}
		for (size_t i = 0; i < n; i++)
			reader_free(&rds[i]);
		free(rds);
		r = r < 0 ? r : 0;
	}
	return r < 0 ? r : o->error;
}

static void exporter_free(struct exporter *x)
{
	for (size_t i = 0; i < x->nfam; i++) {
		free(x->fam[i].name);
		free(x->fam[i].help);
		free(x->fam[i].series);
	}
	for (size_t i = 0; i < x->nser; i++) {
		free(x->ser[i].buf);
		free(x->ser[i].chunks);
	}
	free(x->fam);
	free(x->ser);
	free(x->keys);
	free(x->table);
	free(x->gtable);
	free(x->ghash);
	for (int i = 0; i < 2; i++) {
		struct page_lines *pl = &x->lines[i];

		free(pl->ser);
		free(pl->fam);
		free(pl->off);
		free(pl->len);
		free(pl->klen);
		sb_free(&x->page[i]);
	}
	free(x->times);
	free(x->time_text);
	free(x->end);
	free(x->owner);
	free(x->own.text);
	free(x->own.off);
	free(x->own.len);
	free(x->own.skipped);
	free(x->own.skip_from);
	for (size_t k = 0; k < x->own.n; k++)
		free(x->own.ser[k]);
	free(x->own.ser);
	free(x->own.nser);
	free(x->own.ser_cap);
	free(x->own.table);
	snapshot_unref(x->last);
	free(x->last_devs);
	free(x->slot[0]);
	free(x->slot[1]);
	free(x->masked);
	free(x->idmap);
	sb_free(&x->esc);
	if (x->spill_fd >= 0)
		close(x->spill_fd);
}

int cmd_export(int argc, char **argv)
{
	struct export_flags fl = { 0 };
	struct exporter x = { .spill_fd = -1 };
	struct out o = { 0 };
	struct replay *rp;
	uint64_t t0;
	char span[160];
	int r;

	r = flags_parse(&export_cmd, argc, argv, &fl);
	if (r != 0) {
		sb_free(&fl.labels);
		return r > 0 ? 0 : 2;
	}
	if (!fl.replay || fl.from_ms > fl.to_ms) {
		fprintf(stderr, "cgscope export: %s\n", !fl.replay ?
			"--replay DIR is required (an agent's --record.dir)" : "--from is after --to");
		sb_free(&fl.labels);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	alloc_policy_batch();
	if (replay_cmd_open("export", fl.replay, &rp) < 0)
		return 1;
	replay_without_rates(rp);
	x.step_ms = (int64_t)fl.step_ms;
	x.from_ms = fl.from_ms;
	x.labels = &fl.labels;
	t0 = clock_ns(CLOCK_MONOTONIC);
	r = replay_each_cycle(rp, fl.from_ms, fl.to_ms, on_cycle, &x);
	if (r < 0) {
		log_error("cannot read the recording: %s", r == -ENOSPC ? "no space left for the "
			  "temporary file (TMPDIR)" : strerror(-r));
		goto out;
	}
	if (!x.ntimes) {
		replay_cmd_span(rp, span, sizeof(span));
		log_error("no cycle recorded between --from and --to; %s holds %s", fl.replay, span);
		r = -ENOENT;
		goto out;
	}
	for (size_t k = 0; k < x.own.n; k++)
		if (x.own.skip_from[k] >= 0)
			settle(&x, (uint32_t)k);
	for (size_t i = 0; i < x.nser; i++)
		if (flush_run(&x, &x.ser[i]) < 0) {
			r = -ENOMEM;
			goto out;
		}
	if ((r = make_times(&x)) < 0)
		goto out;
	for (size_t i = 0; i < x.nfam && r == 0; i++)
		r = write_family(&o, &x, &x.fam[i]);
	if (r == 0) {
		out_text(&o, "# EOF\n", 6);
		out_flush(&o);
		r = o.error;
	}
	if (r == -EPIPE)
		r = 0;
	if (r < 0)
		log_error("cannot write: %s", strerror(-r));
	else
		log_info("exported %zu cycles, %zu series, %" PRIu64 " cgroup-samples in %.2f s "
			 "(%" PRIu64 " rendered: the others had not changed)%s",
			 x.ntimes, x.nser, x.cgroup_samples,
			 (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9, x.cgroups_rendered,
			 x.spill_len ? " (points past 256 MiB went through a temporary file)" : "");
out:
	free(o.buf);
	sb_free(&fl.labels);
	exporter_free(&x);
	replay_close(rp);
	return r < 0 ? 1 : 0;
}
