// SPDX-License-Identifier: GPL-2.0-only
/* bench_cycle: what one collection cycle costs against what the kernel
 * charges to read the same files.
 *
 *   bench_cycle [--reps N] [--cycles N] [--json FILE] [--label NAME] ROOT
 *   bench_cycle --profile N ROOT
 *
 * For the cgroup tree at ROOT (a cgroup2 directory or a plain copy of one):
 *   1. the limit: every file the agent reads (the cg_files[] that exist, and
 *      cgroup.controllers) opened once, then pread() on the held descriptors
 *      with no parsing, in two orders: one pass per file type across all
 *      cgroups, and all files of one cgroup at a time (what the collector
 *      does); the limit is the cheaper of the two;
 *   2. the same files with open/read/close each (full paths, per type);
 *   3. cgscope's cycle_run() (collect, parse, store, render the page): wall
 *      and CPU time, median over several cycles after a warm-up, each cycle
 *      right after a run of the limit in both orders (the limit's files are
 *      held on descriptor tables of their own, so both stay open together),
 *      and its parts: collector_collect() alone, the page rendered in chunks
 *      into the compressor (what the cycle does), the JSON of /api/v1/cgroups
 *      (kept compressed), and the page inflated (a scrape without gzip); and
 *      what the page cost before it was kept compressed, in the same run:
 *      prom_render() into one buffer, then zlib's gzip of it at level 1 (the
 *      first gzip scrape of each cycle);
 *   4. where ROOT is a cgroup2 directory and the cgroup iterator loads
 *      (collect/cgroup_iter.h): the limit of the files it replaces (the
 *      files of the groups it serves, and cgroup.controllers), the
 *      iterator's own pass (walk, batch reads, decoding of every record),
 *      and cycle_run() with it serving those groups, against the all-files
 *      limit; in the same turns as the rest.
 * The process allocates as the agent does (alloc_policy_apply), and all its
 * threads run on one CPU.
 * Prints a table on stdout and, with --json, one JSON object to FILE.
 * --profile N only runs cycle_run() N times after three warm-up cycles, for
 * a profiler (callgrind --toggle-collect=cycle_run, perf record).
 * Nothing here judges the figures; the exit status says only whether the
 * measurement could be made. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <zlib.h>

#include "lib/alloc_policy.h"
#include "collect/cgroup_iter.h"
#include "collect/collector.h"
#include "collect/iter_decode.h"
#include "cmd/cycle.h"
#include "collect/fd_table.h"
#include "json/json_snapshot.h"
#include "prom/prom_text.h"
#include "collect/snapshot.h"
#include "lib/strbuf.h"
#include "lib/clock.h"

/* Slot 0 is cgroup.controllers, slot 1 + f is cg_files[f]: the agent reads
 * cgroup.controllers of every cgroup first, then one pass per file type. */
#define NSLOT (1 + F_NR)
#define BUF_SIZE (64 * 1024)	/* the collector's initial read buffer */

static const char *slot_name(int k)
{
	return k == 0 ? "cgroup.controllers" : cg_files[k - 1].name;
}

struct tree {
	char *root;
	char **rel;		/* "" for the root, "a/b" below it; tree order */
	size_t n, cap;
};

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_cycle: %s: %s\n", what, strerror(err));
	exit(1);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		die("calloc", ENOMEM);
	return p;
}

static void tree_add(struct tree *t, char *rel)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 1024;
		t->rel = realloc(t->rel, t->cap * sizeof(*t->rel));
		if (!t->rel)
			die("realloc", ENOMEM);
	}
	t->rel[t->n++] = rel;
}

static int is_dir(const struct dirent *d)
{
	return d->d_type == DT_DIR && strcmp(d->d_name, ".") && strcmp(d->d_name, "..");
}

/* Parents before children, siblings by name: the collector's order. */
static void walk(struct tree *t, const char *rel)
{
	struct dirent **ents;
	char path[4096];
	int n;

	snprintf(path, sizeof(path), "%s%s%s", t->root, *rel ? "/" : "", rel);
	n = scandir(path, &ents, is_dir, alphasort);
	if (n < 0) {
		if (*rel == '\0')
			die(path, errno);
		return;		/* vanished meanwhile */
	}
	for (int i = 0; i < n; i++) {
		char *child;

		if (asprintf(&child, "%s%s%s", rel, *rel ? "/" : "", ents[i]->d_name) < 0)
			die("asprintf", ENOMEM);
		tree_add(t, child);
		walk(t, child);
		free(ents[i]);
	}
	free(ents);
}

/* One timed run: wall and process CPU time, in ns. */
struct sample {
	uint64_t wall, cpu;
};

struct timer {
	uint64_t w0, c0;
};

static void timer_start(struct timer *t)
{
	t->c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	t->w0 = clock_ns(CLOCK_MONOTONIC);
}

static struct sample timer_stop(const struct timer *t)
{
	struct sample s;

	s.wall = clock_ns(CLOCK_MONOTONIC) - t->w0;
	s.cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - t->c0;
	return s;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Median and minimum of a series of runs. */
struct stat2 {
	double wall_med, wall_min, cpu_med;	/* ns */
};

static struct stat2 summarize(const struct sample *s, int n)
{
	uint64_t *w = xcalloc((size_t)n, sizeof(*w)), *c = xcalloc((size_t)n, sizeof(*c));
	struct stat2 r;

	for (int i = 0; i < n; i++) {
		w[i] = s[i].wall;
		c[i] = s[i].cpu;
	}
	qsort(w, (size_t)n, sizeof(*w), cmp_u64);
	qsort(c, (size_t)n, sizeof(*c), cmp_u64);
	r.wall_med = n % 2 ? (double)w[n / 2] : ((double)w[n / 2 - 1] + (double)w[n / 2]) / 2;
	r.cpu_med = n % 2 ? (double)c[n / 2] : ((double)c[n / 2 - 1] + (double)c[n / 2]) / 2;
	r.wall_min = (double)w[0];
	free(w);
	free(c);
	return r;
}

static int auto_reps(uint64_t one_ns, double budget_s, int lo, int hi)
{
	double n = budget_s * 1e9 / (double)(one_ns ? one_ns : 1);

	return n < lo ? lo : n > hi ? hi : (int)n;
}

/* Everything but RLIMIT_NOFILE's hard limit is in the way of holding a
 * descriptor per file: raise it as far as the kernel lets us. */
static rlim_t raise_nofile(void)
{
	struct rlimit rl;
	FILE *f = fopen("/proc/sys/fs/nr_open", "r");
	unsigned long nr_open = 0;

	if (f) {
		if (fscanf(f, "%lu", &nr_open) != 1)
			nr_open = 0;
		fclose(f);
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	if (nr_open > rl.rlim_max) {
		struct rlimit up = { nr_open, nr_open };

		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			return nr_open;
	}
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	return rl.rlim_cur;
}

/* Every thread of the process (the limit's and the collector's descriptor
 * tables are threads) on the CPU it starts on: which core the scheduler
 * picks for which part then stays out of the ratio. Unpinned, one run in
 * four at 1,000 cgroups put the limit's thread on the other core and it
 * read 20% faster than the cycle did. Best effort. */
static void pin_to_one_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* ---- the limit: pread on held descriptors ------------------------------ */

/* The descriptors of a range of cgroups [lo, hi). A tree whose files do not
 * all fit under RLIMIT_NOFILE is held in chunks, each on a descriptor table
 * of its own: each run's time is the sum over the chunks, and a pass "by
 * file type" then spans one chunk rather than the whole tree. */
struct held {
	size_t lo, hi;
	int *dfd;			/* [cgroup - lo] */
	int *fd[NSLOT];			/* [slot][cgroup - lo], -1: not there */
	size_t count[NSLOT];		/* files of each type in the chunk */
	size_t total;
	uint64_t errors[NSLOT];		/* failed preads */
};

static char *cg_path(const struct tree *t, size_t i)
{
	char *p;

	if (asprintf(&p, "%s%s%s", t->root, *t->rel[i] ? "/" : "", t->rel[i]) < 0)
		die("asprintf", ENOMEM);
	return p;
}

/* Opens the files of cgroups from lo on, as many cgroups as fit in budget
 * descriptors (at least one); exist[k * n + i] notes which files are there. */
static void held_open(const struct tree *t, size_t lo, size_t budget, bool *exist,
		      struct held *h)
{
	size_t used = 0, cap = t->n - lo;

	memset(h, 0, sizeof(*h));
	h->lo = h->hi = lo;
	h->dfd = xcalloc(cap, sizeof(int));
	for (int k = 0; k < NSLOT; k++)
		h->fd[k] = xcalloc(cap, sizeof(int));
	for (size_t i = lo; i < t->n; i++) {
		char *path;
		int dfd;

		if (i > lo && used + 1 + NSLOT > budget)
			break;
		path = cg_path(t, i);
		dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		free(path);
		if (dfd >= 0)
			used++;
		else if (errno == EMFILE || errno == ENFILE)
			die("open (RLIMIT_NOFILE)", errno);
		h->dfd[i - lo] = dfd;
		for (int k = 0; k < NSLOT; k++) {
			int fd = dfd < 0 ? -1 : openat(dfd, slot_name(k), O_RDONLY | O_CLOEXEC);

			if (fd < 0 && (errno == EMFILE || errno == ENFILE))
				die("openat (RLIMIT_NOFILE)", errno);
			h->fd[k][i - lo] = fd;
			exist[(size_t)k * t->n + i] = fd >= 0;
			if (fd >= 0) {
				h->count[k]++;
				h->total++;
				used++;
			}
		}
		h->hi = i + 1;
	}
}

static void held_close(struct held *h)
{
	size_t n = h->hi - h->lo;

	for (int k = 0; k < NSLOT; k++) {
		for (size_t i = 0; i < n; i++)
			if (h->fd[k][i] >= 0)
				close(h->fd[k][i]);
		free(h->fd[k]);
	}
	for (size_t i = 0; i < n; i++)
		if (h->dfd[i] >= 0)
			close(h->dfd[i]);
	free(h->dfd);
}

static uint64_t sink;	/* keeps the reads from being optimized away */

static inline void one_pread(struct held *h, int k, size_t i, char *buf)
{
	ssize_t r = pread(h->fd[k][i], buf, BUF_SIZE, 0);

	if (r < 0)
		h->errors[k]++;
	else
		sink += (uint64_t)r;
}

static void add(struct sample *acc, struct sample s)
{
	acc->wall += s.wall;
	acc->cpu += s.cpu;
}

/* One pass per type across the chunk; per_type[k] adds each type's CPU time
 * (steadier than wall time when other work shares the machine). */
static struct sample limit_by_type(struct held *h, char *buf, uint64_t *per_type)
{
	size_t n = h->hi - h->lo;
	struct timer all;

	timer_start(&all);
	for (int k = 0; k < NSLOT; k++) {
		uint64_t t0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);

		for (size_t i = 0; i < n; i++)
			if (h->fd[k][i] >= 0)
				one_pread(h, k, i, buf);
		per_type[k] += clock_ns(CLOCK_PROCESS_CPUTIME_ID) - t0;
	}
	return timer_stop(&all);
}

static struct sample limit_by_cgroup(struct held *h, char *buf)
{
	size_t n = h->hi - h->lo;
	struct timer all;

	timer_start(&all);
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < NSLOT; k++)
			if (h->fd[k][i] >= 0)
				one_pread(h, k, i, buf);
	return timer_stop(&all);
}

/* The same two orders over the slots of mask only: the files the cgroup
 * iterator replaces. */
static struct sample limit_mask_by_type(struct held *h, char *buf, const bool *mask)
{
	size_t n = h->hi - h->lo;
	struct timer all;

	timer_start(&all);
	for (int k = 0; k < NSLOT; k++)
		for (size_t i = 0; mask[k] && i < n; i++)
			if (h->fd[k][i] >= 0)
				one_pread(h, k, i, buf);
	return timer_stop(&all);
}

static struct sample limit_mask_by_cgroup(struct held *h, char *buf, const bool *mask)
{
	size_t n = h->hi - h->lo;
	struct timer all;

	timer_start(&all);
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < NSLOT; k++)
			if (mask[k] && h->fd[k][i] >= 0)
				one_pread(h, k, i, buf);
	return timer_stop(&all);
}

static inline void read_close(int fd, char *buf)
{
	ssize_t r = read(fd, buf, BUF_SIZE);

	if (r > 0)
		sink += (uint64_t)r;
	close(fd);
}

/* openat() on the held directory descriptor, read, close, one pass per type:
 * what a collector that holds only its directories would pay. */
static struct sample openat_pass(struct held *h, char *buf)
{
	size_t n = h->hi - h->lo;
	struct timer all;

	timer_start(&all);
	for (int k = 0; k < NSLOT; k++)
		for (size_t i = 0; i < n; i++) {
			int fd;

			if (h->fd[k][i] < 0)
				continue;
			fd = openat(h->dfd[i], slot_name(k), O_RDONLY | O_CLOEXEC);
			if (fd >= 0)
				read_close(fd, buf);
		}
	return timer_stop(&all);
}

/* open/read/close of the same files by full path, one pass per type. */
static char ***orc_paths(const struct tree *t, const bool *exist)
{
	char ***p = xcalloc(NSLOT, sizeof(*p));

	for (int k = 0; k < NSLOT; k++) {
		p[k] = xcalloc(t->n, sizeof(**p));
		for (size_t i = 0; i < t->n; i++)
			if (exist[(size_t)k * t->n + i] &&
			    asprintf(&p[k][i], "%s%s%s/%s", t->root, *t->rel[i] ? "/" : "",
				     t->rel[i], slot_name(k)) < 0)
				die("asprintf", ENOMEM);
	}
	return p;
}

static struct sample orc_pass(const struct tree *t, char ***paths, char *buf)
{
	struct timer all;

	timer_start(&all);
	for (int k = 0; k < NSLOT; k++)
		for (size_t i = 0; i < t->n; i++) {
			int fd;

			if (!paths[k][i])
				continue;
			fd = open(paths[k][i], O_RDONLY | O_CLOEXEC);
			if (fd >= 0)
				read_close(fd, buf);
		}
	return timer_stop(&all);
}

/* Every chunk is held at once, each in a descriptor table of its own (a
 * thread, agent/collect/fd_table.c, as the collector holds its files): the limit's
 * runs then alternate with cgscope's cycles, and drift in what the machine
 * charges (other guests, caches) reaches both alike. */
struct chunk {
	struct held h;
	struct fd_table *table;
};

enum chunk_what { CH_OPEN, CH_BY_TYPE, CH_BY_CGROUP, CH_OPENAT, CH_CLOSE,
		  CH_MASK_BY_TYPE, CH_MASK_BY_CGROUP };

struct chunk_op {
	enum chunk_what what;
	struct chunk *ch;
	const struct tree *t;
	size_t lo, budget;
	bool *exist;
	char *buf;
	uint64_t *per_type;
	const bool *mask;		/* the slots of CH_MASK_* */
	struct sample out;
};

static void chunk_op_run(void *arg)
{
	struct chunk_op *op = arg;
	struct held *h = &op->ch->h;

	switch (op->what) {
	case CH_OPEN: held_open(op->t, op->lo, op->budget, op->exist, h); break;
	case CH_BY_TYPE: op->out = limit_by_type(h, op->buf, op->per_type); break;
	case CH_BY_CGROUP: op->out = limit_by_cgroup(h, op->buf); break;
	case CH_OPENAT: op->out = openat_pass(h, op->buf); break;
	case CH_CLOSE: held_close(h); break;
	case CH_MASK_BY_TYPE: op->out = limit_mask_by_type(h, op->buf, op->mask); break;
	case CH_MASK_BY_CGROUP: op->out = limit_mask_by_cgroup(h, op->buf, op->mask); break;
	}
}

/* One way over every chunk: the sum of the chunks' times. */
static struct sample chunks_run_mask(struct chunk *chunks, int n, enum chunk_what what, char *buf,
				     uint64_t *per_type, const bool *mask)
{
	struct sample sum = {0};

	for (int c = 0; c < n; c++) {
		struct chunk_op op = { .what = what, .ch = &chunks[c], .buf = buf,
				       .per_type = per_type, .mask = mask };

		fd_table_run(chunks[c].table, chunk_op_run, &op);
		add(&sum, op.out);
	}
	return sum;
}

static struct sample chunks_run(struct chunk *chunks, int n, enum chunk_what what, char *buf,
				uint64_t *per_type)
{
	return chunks_run_mask(chunks, n, what, buf, per_type, NULL);
}

/* ---- cgscope's cycle ----------------------------------------------------- */

/* What /api/v1/cgroups makes once per snapshot (exporters/http/json_api.c):
 * the list, through a page writer, kept compressed. */
static int make_json(struct snapshot *s, struct zpage *ret)
{
	struct page_writer w;
	int r = page_writer_start(&w, 0);

	if (r < 0)
		return r;
	r = json_snapshot(s, NULL, &w.sb);
	if (r < 0) {
		page_writer_abort(&w);
		return r;
	}
	return page_writer_finish(&w, ret);
}

/* The page as a cycle makes it now: rendered a chunk at a time into the
 * compressor (cmd/cycle.c). */
static int make_page(struct snapshot *s, struct zpage *ret)
{
	struct cycle_page pg = { .compat = COMPAT_NONE };
	struct page_writer w;
	int r = page_writer_start(&w, 0);

	if (r < 0)
		return r;
	pg.writer = &w;
	r = cycle_render(s, &pg, &w.sb);
	if (r < 0) {
		page_writer_abort(&w);
		return r;
	}
	return page_writer_finish(&w, ret);
}

/* What the first gzip scrape of each cycle cost before the page was kept
 * compressed: the whole text, zlib at level 1, into one buffer. */
static int zlib_gzip(const char *in, size_t len, size_t *ret_len)
{
	z_stream zs = {0};
	uLong cap;
	char *out;
	int r;

	if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	cap = deflateBound(&zs, (uLong)len);
	out = malloc(cap);
	if (!out) {
		deflateEnd(&zs);
		return -ENOMEM;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)out;
	zs.avail_out = (uInt)cap;
	r = deflate(&zs, Z_FINISH);
	deflateEnd(&zs);
	free(out);
	if (r != Z_STREAM_END)
		return -EIO;
	*ret_len = zs.total_out;
	return 0;
}

/* What a scrape without gzip costs: the page inflated a block at a time,
 * as the HTTP layer sends it. */
static int inflate_page(const struct zpage *p, size_t *ret_len)
{
	static char block[64 * 1024];
	struct page_reader rd;
	size_t len = 0;
	ssize_t n;
	int r = page_reader_open(&rd, p, PAGE_ALL);

	if (r < 0)
		return r;
	while ((n = page_reader_read(&rd, block, sizeof(block))) > 0)
		len += (size_t)n;
	page_reader_close(&rd);
	if (n < 0)
		return (int)n;
	*ret_len = len;
	return 0;
}

static size_t count_series(const char *page, size_t len)
{
	size_t n = 0;
	const char *p = page, *end = page + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			nl = end;
		if (nl > p && *p != '#')
			n++;
		p = nl + 1;
	}
	return n;
}

static double tv_ns(struct timeval tv)
{
	return (double)tv.tv_sec * 1e9 + (double)tv.tv_usec * 1e3;
}

struct cycle_result {
	/* render, gzip: the page rendered into one buffer, then gzip'd whole
	 * with zlib, as before; page: rendered in chunks into the compressor,
	 * as now; inflate: a plain scrape now; json: the list kept compressed. */
	struct stat2 first, cycle, collect, render, json, gzip, page, inflate;
	double user_ns, sys_ns;		/* per cycle, getrusage over all timed cycles */
	int cycles;
	size_t n, open_fds, page_len, series, json_len, json_gz_len, gzip_len, page_gz_len;
	uint64_t read_errors;
};

static void fail_r(const char *what, int r)
{
	die(what, -r);
}

/* cgscope's side: a collector, its first cycle (which opens every file) and
 * two warm-up cycles; sizes the number of cycles when not given. */
static struct collector *cycle_start(const char *root, struct cgroup_iter *it, uint32_t groups,
				     int *cycles, struct cycle_result *res)
{
	struct collector *c;
	struct snapshot *s;
	struct sample one;
	struct timer tm;
	int r;

	memset(res, 0, sizeof(*res));
	r = collector_new(root, &c);
	if (r < 0)
		fail_r("collector_new", r);
	if (it)
		collector_use_iter(c, it, groups);
	timer_start(&tm);
	r = cycle_run(c, &s);
	if (r < 0)
		fail_r("cycle_run", r);
	one = timer_stop(&tm);
	res->first = summarize(&one, 1);
	snapshot_unref(s);
	for (int i = 0; i < 2; i++) {
		timer_start(&tm);
		if ((r = cycle_run(c, &s)) < 0)
			fail_r("cycle_run", r);
		one = timer_stop(&tm);
		snapshot_unref(s);
	}
	if (*cycles <= 0)
		*cycles = auto_reps(one.wall, 3.0, 5, 41);
	res->cycles = *cycles;
	return c;
}

/* One timed cycle, its user and system time added to res. The snapshot is
 * kept until the next cycle has run, as the agent serves one while it
 * makes the next. */
static struct sample cycle_once(struct collector *c, struct cycle_result *res,
				struct snapshot **keep)
{
	struct rusage ru0, ru1;
	struct snapshot *s;
	struct sample one;
	struct timer tm;
	int r;

	getrusage(RUSAGE_SELF, &ru0);
	timer_start(&tm);
	if ((r = cycle_run(c, &s)) < 0)
		fail_r("cycle_run", r);
	one = timer_stop(&tm);
	getrusage(RUSAGE_SELF, &ru1);
	res->user_ns += tv_ns(ru1.ru_utime) - tv_ns(ru0.ru_utime);
	res->sys_ns += tv_ns(ru1.ru_stime) - tv_ns(ru0.ru_stime);
	snapshot_unref(*keep);
	*keep = s;
	return one;
}

/* What the last cycle s produced, and the parts of a cycle, each timed on
 * its own; ends the collector. */
static void cycle_finish(struct collector *c, struct snapshot *s, const struct sample *runs,
			 int cycles, struct cycle_result *res)
{
	struct sample *smp = xcalloc((size_t)cycles, sizeof(*smp));
	struct strbuf page = {0};
	struct timer tm;
	char *text;
	int r;

	res->cycle = summarize(runs, cycles);
	res->user_ns /= cycles;
	res->sys_ns /= cycles;

	/* What the last cycle produced. */
	res->n = s->n;
	res->open_fds = collector_open_fds(c);
	res->page_len = s->page.part[PAGE_ALL].len;
	res->page_gz_len = s->page.gz_len;
	if ((r = zpage_text(&s->page, PAGE_ALL, &text, NULL)) < 0)
		fail_r("page text", r);
	res->series = count_series(text, res->page_len);
	for (int f = 0; f < F_NR; f++)
		res->read_errors += s->stats.read_errors[f];

	/* The parts of a cycle, each timed on its own. */
	for (int i = 0; i < cycles; i++) {
		struct zpage z;

		timer_start(&tm);
		r = make_json(s, &z);
		smp[i] = timer_stop(&tm);
		if (r < 0)
			fail_r("json", r);
		res->json_len = z.part[PAGE_ALL].len;
		res->json_gz_len = z.gz_len;
		zpage_free(&z);
	}
	res->json = summarize(smp, cycles);
	for (int i = 0; i < cycles; i++) {
		struct zpage z;

		timer_start(&tm);
		r = make_page(s, &z);
		smp[i] = timer_stop(&tm);
		if (r < 0)
			fail_r("page", r);
		zpage_free(&z);
	}
	res->page = summarize(smp, cycles);
	for (int i = 0; i < cycles; i++) {
		size_t len = 0;

		timer_start(&tm);
		r = inflate_page(&s->page, &len);
		smp[i] = timer_stop(&tm);
		if (r < 0 || len != res->page_len)
			fail_r("inflate", r < 0 ? r : -EIO);
	}
	res->inflate = summarize(smp, cycles);
	for (int i = 0; i < cycles; i++) {
		size_t len;

		timer_start(&tm);
		r = zlib_gzip(text, res->page_len, &len);
		smp[i] = timer_stop(&tm);
		if (r < 0)
			fail_r("gzip", r);
		res->gzip_len = len;
	}
	res->gzip = summarize(smp, cycles);
	free(text);
	/* Into the same buffer each time, as the agent rendered into the page
	 * of the snapshot before last before the page was kept compressed. */
	for (int i = 0; i < cycles; i++) {
		page.len = 0;
		timer_start(&tm);
		r = prom_render(s, &page);
		smp[i] = timer_stop(&tm);
		if (r < 0)
			fail_r("prom_render", r);
	}
	sb_free(&page);
	res->render = summarize(smp, cycles);
	snapshot_unref(s);
	for (int i = 0; i < cycles; i++) {
		timer_start(&tm);
		if ((r = collector_collect(c, &s)) < 0)
			fail_r("collector_collect", r);
		smp[i] = timer_stop(&tm);
		snapshot_unref(s);
	}
	res->collect = summarize(smp, cycles);
	free(smp);
	collector_free(c);
}

/* ---- the cgroup iterator ---------------------------------------------------- */

struct iter_bench {
	struct cgroup_iter *it;		/* NULL: not measured, why says why */
	char why[200];
	const char *flush;
	uint32_t files;			/* the files it serves */
	bool mask[NSLOT];		/* the slots it replaces */
	struct collector *col;
	struct snapshot *keep;
	struct cycle_result cr;
	struct sample *pass, *lim_bt, *lim_bc, *cycles;
	/* what a pass decodes into, as the collector would */
	struct cgroup_values v;
	struct stat_rows rows;
	struct io_array io;
	uint64_t page_size, records;
};

static void decode_each(void *ctx, const struct cgiter_rec *r)
{
	struct iter_bench *ib = ctx;
	struct cputime_prev prev = { 0, 0 };
	uint32_t unknown;

	memset(&ib->v, 0, sizeof(ib->v));
	if (iter_decode(r, ib->files, ib->page_size, &prev, &ib->v,
			&(struct value_arrays){ &ib->io, &ib->rows }, &unknown) < 0)
		die("iter_decode", ENOMEM);
	ib->records++;
}

/* The iterator's part of a cycle: its walk, the batch reads of the records,
 * and their decoding. */
static struct sample iter_pass(struct iter_bench *ib)
{
	struct timer tm;
	int r;

	ib->rows.len = 0;
	ib->records = 0;
	timer_start(&tm);
	r = cgroup_iter_walk(ib->it);
	if (r == 0)
		r = cgroup_iter_read(ib->it, decode_each, ib);
	if (r < 0)
		fail_r("the cgroup iterator", r);
	return timer_stop(&tm);
}

/* Loads the iterator on root, when root is a cgroup2 directory. */
static bool iter_start(const char *root, size_t t_cgroups, struct iter_bench *ib)
{
	struct cgroup_iter_opts o = { .want = ~0u, .cgroups = (uint32_t)t_cgroups };
	struct cgroup_iter_stats st;
	struct statfs sfs;
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	memset(ib, 0, sizeof(*ib));
	ib->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	if (fd < 0 || fstatfs(fd, &sfs) < 0 || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		snprintf(ib->why, sizeof(ib->why), "not a cgroup2 directory");
		if (fd >= 0)
			close(fd);
		return false;
	}
	r = cgroup_iter_open(fd, &o, &ib->it);
	close(fd);
	if (r == 0)
		r = cgroup_iter_walk(ib->it);
	if (r < 0) {
		snprintf(ib->why, sizeof(ib->why), "the cgroup iterator did not load: %s", strerror(-r));
		cgroup_iter_free(ib->it);
		ib->it = NULL;
		return false;
	}
	cgroup_iter_stats(ib->it, &st);
	ib->flush = st.flush;
	ib->files = iter_cover_files(st.cover, CG_FILES_ALL);
	/* With the records, the collector reads no cgroup.controllers. */
	ib->mask[0] = true;
	for (int k = 1; k < NSLOT; k++)
		ib->mask[k] = (ib->files >> (k - 1)) & 1;
	return true;
}

/* The files-only collector runs on a descriptor table of its own (a
 * thread): it and the iterator's collector would otherwise both count on
 * the whole RLIMIT_NOFILE of the process's table, which in the agent is one
 * collector's. The iterator's side stays on this thread, which may load
 * BPF (descriptor-table threads drop every capability). */
enum files_what { FS_START, FS_CYCLE, FS_FINISH };

struct files_op {
	enum files_what what;
	const char *root;
	struct collector **col;
	struct cycle_result *cr;
	struct snapshot **keep;
	int *cycles;
	const struct sample *runs;
	struct sample out;
};

static void files_op_run(void *arg)
{
	struct files_op *op = arg;

	switch (op->what) {
	case FS_START: *op->col = cycle_start(op->root, NULL, 0, op->cycles, op->cr); break;
	case FS_CYCLE: op->out = cycle_once(*op->col, op->cr, op->keep); break;
	case FS_FINISH: cycle_finish(*op->col, *op->keep, op->runs, *op->cycles, op->cr); break;
	}
}

static struct sample files_run(struct fd_table *t, struct files_op op)
{
	fd_table_run(t, files_op_run, &op);
	return op.out;
}

/* ---- output -------------------------------------------------------------- */

static cJSON *jstat(const struct stat2 *s)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "wall_ms", s->wall_med / 1e6);
	cJSON_AddNumberToObject(o, "wall_min_ms", s->wall_min / 1e6);
	cJSON_AddNumberToObject(o, "cpu_ms", s->cpu_med / 1e6);
	return o;
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_cycle [--reps N] [--cycles N] [--json FILE] [--label NAME] ROOT\n"
		   "       bench_cycle --profile N ROOT\n");
}

/* Only the cycle, for a profiler: nothing else in the process to filter out. */
static int profile_cycles(const char *root, int n)
{
	struct collector *c;
	struct snapshot *s;
	int r = collector_new(root, &c);

	if (r < 0)
		fail_r("collector_new", r);
	for (int i = 0; i < 3 + n; i++) {
		if ((r = cycle_run(c, &s)) < 0)
			fail_r("cycle_run", r);
		snapshot_unref(s);
	}
	collector_free(c);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reps", required_argument, NULL, 'r' },
		{ "cycles", required_argument, NULL, 'c' },
		{ "json", required_argument, NULL, 'j' },
		{ "label", required_argument, NULL, 'l' },
		{ "profile", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *json_path = NULL, *label = NULL;
	int reps = 0, cycles = 0, profile = 0, orc_reps = 0, nchunks = 0, ntypes = 0, o;
	struct tree t = {0};
	struct chunk *chunks = NULL;
	struct collector *col;
	struct snapshot *last = NULL;
	char *buf, ***paths;
	bool *exist;
	struct sample *bt = NULL, *bc = NULL, *ao = NULL, *oc, *runs, one;
	uint64_t (*per_type)[NSLOT] = NULL, warm[NSLOT] = {0};
	size_t count[NSLOT] = {0}, total = 0, budget;
	uint64_t errors[NSLOT] = {0};
	struct stat2 s_bt, s_bc, s_lim, s_ao, s_oc, s_type[NSLOT];
	const char *lim_order;
	struct cycle_result cr;
	struct iter_bench ib;
	struct stat2 s_ilim = {0}, s_ibt = {0}, s_ibc = {0}, s_ipass = {0};
	const char *ilim_order = "";
	size_t ireplaced = 0;
	struct fd_table *files_table;
	bool have_iter;
	int r;
	rlim_t nofile;
	double files;

	alloc_policy_apply();	/* the agent's allocator: its page faults too */
	pin_to_one_cpu();

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'r': reps = atoi(optarg); break;
		case 'c': cycles = atoi(optarg); break;
		case 'j': json_path = optarg; break;
		case 'l': label = optarg; break;
		case 'p': profile = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	t.root = argv[optind];
	nofile = raise_nofile();
	if (profile > 0)
		return profile_cycles(t.root, profile);
	buf = malloc(BUF_SIZE);
	if (!buf)
		die("malloc", ENOMEM);
	/* Room for stdio, the JSON file and what libraries open. */
	budget = nofile > 256 ? (size_t)nofile - 128 : (size_t)nofile / 2;

	tree_add(&t, strdup(""));
	walk(&t, "");
	exist = xcalloc((size_t)NSLOT * t.n, sizeof(*exist));

	for (size_t lo = 0; lo < t.n; lo = chunks[nchunks++].h.hi) {
		struct chunk_op op = { .what = CH_OPEN, .t = &t, .lo = lo, .budget = budget,
				       .exist = exist };
		int r;

		chunks = realloc(chunks, sizeof(*chunks) * (size_t)(nchunks + 1));
		if (!chunks)
			die("realloc", ENOMEM);
		if ((r = fd_table_new(-1, &chunks[nchunks].table)) < 0)
			die("a descriptor table of its own (unshare)", -r);
		op.ch = &chunks[nchunks];
		fd_table_run(chunks[nchunks].table, chunk_op_run, &op);
	}
	/* Warm-up of each way; by type also sizes the number of runs. */
	chunks_run(chunks, nchunks, CH_BY_CGROUP, buf, NULL);
	one = chunks_run(chunks, nchunks, CH_BY_TYPE, buf, warm);
	if (reps <= 0)
		reps = auto_reps(one.wall, 1.5, 5, 41);
	orc_reps = reps > 5 ? (reps + 1) / 2 : reps;
	bt = xcalloc((size_t)reps, sizeof(*bt));
	bc = xcalloc((size_t)reps, sizeof(*bc));
	ao = xcalloc((size_t)reps, sizeof(*ao));
	per_type = xcalloc((size_t)reps, sizeof(*per_type));
	for (int c = 0; c < nchunks; c++)
		memset(chunks[c].h.errors, 0, sizeof(chunks[c].h.errors));

	/* The slow ways first, before the collector fills this thread's table:
	 * openat on held directories, and open/read/close by full path. */
	chunks_run(chunks, nchunks, CH_OPENAT, buf, NULL);
	for (int i = 0; i < orc_reps; i++)
		ao[i] = chunks_run(chunks, nchunks, CH_OPENAT, buf, NULL);
	s_ao = summarize(ao, orc_reps);
	paths = orc_paths(&t, exist);
	orc_pass(&t, paths, buf);
	oc = xcalloc((size_t)orc_reps, sizeof(*oc));
	for (int i = 0; i < orc_reps; i++)
		oc[i] = orc_pass(&t, paths, buf);
	s_oc = summarize(oc, orc_reps);

	/* The limit in both orders and cgscope's cycle, in turn; with the
	 * iterator, the limit of the files it replaces, its pass and the cycle
	 * with it, in the same turns. */
	if ((r = fd_table_new(-1, &files_table)) < 0)
		die("a descriptor table of its own (unshare)", -r);
	files_run(files_table, (struct files_op){ .what = FS_START, .root = t.root, .col = &col,
						  .cycles = &cycles, .cr = &cr });
	have_iter = iter_start(t.root, t.n, &ib);
	if (have_iter) {
		int c2 = cycles;

		ib.col = cycle_start(t.root, ib.it, iter_groups_of(ib.files), &c2, &ib.cr);
		ib.cr.cycles = cycles;
		ib.pass = xcalloc((size_t)reps, sizeof(*ib.pass));
		ib.lim_bt = xcalloc((size_t)reps, sizeof(*ib.lim_bt));
		ib.lim_bc = xcalloc((size_t)reps, sizeof(*ib.lim_bc));
		ib.cycles = xcalloc((size_t)cycles, sizeof(*ib.cycles));
		iter_pass(&ib);		/* warm-up */
	} else {
		fprintf(stderr, "bench_cycle: no cgroup iterator figures: %s\n", ib.why);
	}
	runs = xcalloc((size_t)cycles, sizeof(*runs));
	for (int i = 0; i < reps || i < cycles; i++) {
		if (i < reps) {
			bt[i] = chunks_run(chunks, nchunks, CH_BY_TYPE, buf, per_type[i]);
			bc[i] = chunks_run(chunks, nchunks, CH_BY_CGROUP, buf, NULL);
		}
		if (i < cycles)
			runs[i] = files_run(files_table, (struct files_op){ .what = FS_CYCLE,
									   .col = &col, .cr = &cr,
									   .keep = &last });
		if (have_iter && i < reps) {
			ib.lim_bt[i] = chunks_run_mask(chunks, nchunks, CH_MASK_BY_TYPE, buf, NULL,
						       ib.mask);
			ib.lim_bc[i] = chunks_run_mask(chunks, nchunks, CH_MASK_BY_CGROUP, buf, NULL,
						       ib.mask);
			ib.pass[i] = iter_pass(&ib);
		}
		if (have_iter && i < cycles)
			ib.cycles[i] = cycle_once(ib.col, &ib.cr, &ib.keep);
	}
	for (int c = 0; c < nchunks; c++) {
		struct chunk_op op = { .what = CH_CLOSE, .ch = &chunks[c] };

		for (int k = 0; k < NSLOT; k++) {
			count[k] += chunks[c].h.count[k];
			errors[k] += chunks[c].h.errors[k] / (uint64_t)(2 * reps);
		}
		total += chunks[c].h.total;
		fd_table_run(chunks[c].table, chunk_op_run, &op);
		fd_table_free(chunks[c].table);
	}
	free(chunks);
	s_bt = summarize(bt, reps);
	s_bc = summarize(bc, reps);
	/* The limit is the cheaper of the two orders: the collector reads by
	 * cgroup because it measured cheaper here; where it is not, the ratio
	 * says so. */
	s_lim = s_bc.cpu_med <= s_bt.cpu_med ? s_bc : s_bt;
	lim_order = s_bc.cpu_med <= s_bt.cpu_med ? "by cgroup" : "by file type";
	for (int k = 0; k < NSLOT; k++) {
		struct sample *tmp = xcalloc((size_t)reps, sizeof(*tmp));

		for (int i = 0; i < reps; i++)
			tmp[i].wall = tmp[i].cpu = per_type[i][k];
		s_type[k] = summarize(tmp, reps);
		free(tmp);
		ntypes += count[k] > 0;
	}
	files_run(files_table, (struct files_op){ .what = FS_FINISH, .col = &col, .cr = &cr,
						  .keep = &last, .runs = runs, .cycles = &cycles });
	fd_table_free(files_table);
	free(runs);
	if (have_iter) {
		for (int k = 0; k < NSLOT; k++)
			ireplaced += ib.mask[k] ? count[k] : 0;
		s_ibt = summarize(ib.lim_bt, reps);
		s_ibc = summarize(ib.lim_bc, reps);
		s_ilim = s_ibc.cpu_med <= s_ibt.cpu_med ? s_ibc : s_ibt;
		ilim_order = s_ibc.cpu_med <= s_ibt.cpu_med ? "by cgroup" : "by file type";
		s_ipass = summarize(ib.pass, reps);
		cycle_finish(ib.col, ib.keep, ib.cycles, cycles, &ib.cr);
		cgroup_iter_free(ib.it);
	}
	/* The collector holds a descriptor per file and per directory: when they
	 * do not fit under RLIMIT_NOFILE, it reads fewer files than the limit did. */
	bool fd_limited = cr.open_fds < total;

	/* ---- the table ---- */
	files = (double)total;
	printf("bench_cycle %s%s%s: %zu cgroups, %zu files (%d types), %d runs, %d cycles",
	       t.root, label ? " " : "", label ? label : "", t.n, total, ntypes,
	       reps, cr.cycles);
	if (nchunks > 1)
		printf(", limit measured in %d chunks (RLIMIT_NOFILE %llu)", nchunks,
		       (unsigned long long)nofile);
	printf("\n  %-34s %10s %10s %9s %8s\n", "", "wall ms", "cpu ms", "us/file", "x limit");
#define ROW(name, st, nfiles)                                                          \
	printf("  %-34s %10.3f %10.3f %9.3f %8.2f\n", name, (st).wall_med / 1e6,          \
	       (st).cpu_med / 1e6, (nfiles) ? (st).wall_med / 1e3 / (nfiles) : 0.0,        \
	       ratio((st).wall_med, s_lim.wall_med))
	printf("  limit: pread, the cheaper order (%s)\n", lim_order);
	ROW("pread, by file type", s_bt, files);
	ROW("pread, by cgroup (the collector's)", s_bc, files);
	ROW("openat(dirfd)/read/close, by type", s_ao, files);
	ROW("open(path)/read/close, by type", s_oc, files);
	ROW("cgscope first cycle (opens all)", cr.first, files);
	ROW("cgscope cycle_run", cr.cycle, files);
	ROW("  collector_collect alone", cr.collect, files);
	ROW("  page: chunks into igzip (in it)", cr.page, 0);
	ROW("before: prom_render, one buffer", cr.render, 0);
	ROW("before: zlib gzip of that page", cr.gzip, 0);
	ROW("plain scrape: inflate the page", cr.inflate, 0);
	ROW("JSON of /api/v1/cgroups, igzip", cr.json, 0);
	printf("  cycle_run CPU (getrusage): user %.3f ms, sys %.3f ms per cycle\n",
	       cr.user_ns / 1e6, cr.sys_ns / 1e6);
	if (have_iter) {
		char groups[256];
		size_t gl = 0;

		groups[0] = 0;
		for (int g = 0; g < IG_NR; g++)
			if ((iter_groups_of(ib.files) >> g) & 1)
				gl += (size_t)snprintf(groups + gl, sizeof(groups) - gl, "%s%s",
						       gl ? " " : "", iter_groups[g].name);
		printf("  cgroup iterator (flush %s): serves %s; replaces %zu files of %zu\n",
		       ib.flush, groups, ireplaced, total);
		printf("  %-34s %10.3f %10.3f %9.3f %8.2f\n", "LIMIT pread of the files it replaces",
		       s_ilim.wall_med / 1e6, s_ilim.cpu_med / 1e6,
		       ireplaced ? s_ilim.wall_med / 1e3 / (double)ireplaced : 0.0,
		       ratio(s_ilim.wall_med, s_lim.wall_med));
		printf("  %-34s %10.3f %10.3f %9.3f %8.2f\n", "  iterator pass (walk, read, decode)",
		       s_ipass.wall_med / 1e6, s_ipass.cpu_med / 1e6,
		       ireplaced ? s_ipass.wall_med / 1e3 / (double)ireplaced : 0.0,
		       ratio(s_ipass.wall_med, s_lim.wall_med));
		ROW("cycle_run with the iterator", ib.cr.cycle, files);
		ROW("  collector_collect alone", ib.cr.collect, files);
		printf("  iterator pass / LIMIT of the files it replaces: wall %.3fx, cpu %.3fx; "
		       "%llu records\n", ratio(s_ipass.wall_med, s_ilim.wall_med),
		       ratio(s_ipass.cpu_med, s_ilim.cpu_med), (unsigned long long)ib.records);
		printf("  cycle with the iterator / all-files LIMIT: wall %.2fx, cpu %.2fx; "
		       "%.2f us per cgroup (files: %.2f)\n",
		       ratio(ib.cr.cycle.wall_med, s_lim.wall_med), ratio(ib.cr.cycle.cpu_med, s_lim.cpu_med),
		       ib.cr.cycle.wall_med / 1e3 / (double)t.n, cr.cycle.wall_med / 1e3 / (double)t.n);
	}
	printf("  cycle/limit: wall %.2fx, cpu %.2fx; pread by cgroup / by type: cpu %.2fx\n",
	       ratio(cr.cycle.wall_med, s_lim.wall_med), ratio(cr.cycle.cpu_med, s_lim.cpu_med),
	       ratio(s_bc.cpu_med, s_bt.cpu_med));
	printf("  page %zu bytes, %zu series (%.1f/cgroup, %.1f bytes/series), kept %zu (zlib %zu),"
	       " JSON %zu bytes, kept %zu\n",
	       cr.page_len, cr.series, ratio((double)cr.series, (double)cr.n),
	       ratio((double)cr.page_len, (double)cr.series), cr.page_gz_len, cr.gzip_len,
	       cr.json_len, cr.json_gz_len);
	printf("  page now / before (render + zlib gzip): cpu %.2fx\n",
	       ratio(cr.page.cpu_med, cr.render.cpu_med + cr.gzip.cpu_med));
	printf("  cpu us per file, by type (limit pass):");
	for (int k = 0; k < NSLOT; k++)
		if (count[k])
			printf(" %s %.2f", slot_name(k), s_type[k].cpu_med / 1e3 / (double)count[k]);
	printf("\n");
	for (int k = 0; k < NSLOT; k++)
		if (errors[k])
			printf("  note: pread of %s failed on %llu files\n", slot_name(k),
			       (unsigned long long)errors[k]);
	if (cr.read_errors)
		printf("  note: cgscope counted %llu read errors\n",
		       (unsigned long long)cr.read_errors);
	if (cr.n != t.n)
		printf("  note: cgscope saw %zu cgroups, the walk %zu\n", cr.n, t.n);
	if (fd_limited)
		printf("  WARNING: cgscope holds %zu descriptors, RLIMIT_NOFILE is %llu: it could not"
		       " open every file, its figures cover fewer files than the limit's\n",
		       cr.open_fds, (unsigned long long)nofile);

	/* ---- the JSON ---- */
	if (json_path) {
		cJSON *j = cJSON_CreateObject(), *lim = cJSON_CreateObject(),
		      *types = cJSON_CreateArray(), *cyc = cJSON_CreateObject(),
		      *rat = cJSON_CreateObject();
		char *text;
		FILE *f;

		cJSON_AddStringToObject(j, "root", t.root);
		if (label)
			cJSON_AddStringToObject(j, "label", label);
		cJSON_AddNumberToObject(j, "cgroups", (double)t.n);
		cJSON_AddNumberToObject(j, "files", files);
		cJSON_AddNumberToObject(j, "runs", reps);
		cJSON_AddNumberToObject(j, "nofile_limit", (double)nofile);
		cJSON_AddNumberToObject(j, "limit_chunks", nchunks);
		cJSON_AddItemToObject(lim, "pread", jstat(&s_lim));
		cJSON_AddStringToObject(lim, "pread_order", lim_order);
		cJSON_AddItemToObject(lim, "pread_by_type", jstat(&s_bt));
		cJSON_AddItemToObject(lim, "pread_by_cgroup", jstat(&s_bc));
		cJSON_AddItemToObject(lim, "openat_read_close", jstat(&s_ao));
		cJSON_AddItemToObject(lim, "open_read_close", jstat(&s_oc));
		cJSON_AddNumberToObject(lim, "pread_us_per_file", s_lim.wall_med / 1e3 / files);
		cJSON_AddNumberToObject(lim, "openat_us_per_file", s_ao.wall_med / 1e3 / files);
		cJSON_AddNumberToObject(lim, "orc_us_per_file", s_oc.wall_med / 1e3 / files);
		cJSON_AddItemToObject(j, "limit", lim);
		for (int k = 0; k < NSLOT; k++) {
			cJSON *e;

			if (!count[k])
				continue;
			e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "file", slot_name(k));
			cJSON_AddNumberToObject(e, "count", (double)count[k]);
			cJSON_AddNumberToObject(e, "pass_cpu_ms", s_type[k].cpu_med / 1e6);
			cJSON_AddNumberToObject(e, "cpu_us_per_file", s_type[k].cpu_med / 1e3 / (double)count[k]);
			cJSON_AddNumberToObject(e, "pread_errors", (double)errors[k]);
			cJSON_AddItemToArray(types, e);
		}
		cJSON_AddItemToObject(j, "per_type", types);
		cJSON_AddNumberToObject(cyc, "cycles", cr.cycles);
		cJSON_AddItemToObject(cyc, "first", jstat(&cr.first));
		cJSON_AddItemToObject(cyc, "cycle_run", jstat(&cr.cycle));
		cJSON_AddItemToObject(cyc, "collect", jstat(&cr.collect));
		cJSON_AddItemToObject(cyc, "render", jstat(&cr.render));
		cJSON_AddItemToObject(cyc, "json", jstat(&cr.json));
		cJSON_AddItemToObject(cyc, "gzip", jstat(&cr.gzip));
		cJSON_AddItemToObject(cyc, "page", jstat(&cr.page));
		cJSON_AddItemToObject(cyc, "inflate", jstat(&cr.inflate));
		cJSON_AddNumberToObject(cyc, "user_ms", cr.user_ns / 1e6);
		cJSON_AddNumberToObject(cyc, "sys_ms", cr.sys_ns / 1e6);
		cJSON_AddNumberToObject(cyc, "cgroups_seen", (double)cr.n);
		cJSON_AddNumberToObject(cyc, "open_fds", (double)cr.open_fds);
		cJSON_AddBoolToObject(cyc, "fd_limited", fd_limited);
		cJSON_AddNumberToObject(cyc, "page_bytes", (double)cr.page_len);
		cJSON_AddNumberToObject(cyc, "series", (double)cr.series);
		cJSON_AddNumberToObject(cyc, "gzip_bytes", (double)cr.gzip_len);
		cJSON_AddNumberToObject(cyc, "json_bytes", (double)cr.json_len);
		cJSON_AddNumberToObject(cyc, "json_gz_bytes", (double)cr.json_gz_len);
		cJSON_AddNumberToObject(cyc, "page_gz_bytes", (double)cr.page_gz_len);
		cJSON_AddNumberToObject(cyc, "read_errors", (double)cr.read_errors);
		cJSON_AddItemToObject(j, "cycle", cyc);
		cJSON_AddNumberToObject(rat, "cycle_wall", ratio(cr.cycle.wall_med, s_lim.wall_med));
		cJSON_AddNumberToObject(rat, "cycle_cpu", ratio(cr.cycle.cpu_med, s_lim.cpu_med));
		cJSON_AddNumberToObject(rat, "collect_wall", ratio(cr.collect.wall_med, s_lim.wall_med));
		cJSON_AddNumberToObject(rat, "by_cgroup_vs_by_type", ratio(s_bc.cpu_med, s_bt.cpu_med));
		cJSON_AddNumberToObject(rat, "openat_vs_pread", ratio(s_ao.wall_med, s_lim.wall_med));
		cJSON_AddNumberToObject(rat, "orc_vs_pread", ratio(s_oc.wall_med, s_lim.wall_med));
		cJSON_AddItemToObject(j, "ratios", rat);
		if (have_iter) {
			cJSON *it = cJSON_CreateObject(), *gs = cJSON_CreateArray();

			for (int g = 0; g < IG_NR; g++)
				if ((iter_groups_of(ib.files) >> g) & 1)
					cJSON_AddItemToArray(gs, cJSON_CreateString(iter_groups[g].name));
			cJSON_AddItemToObject(it, "groups", gs);
			cJSON_AddStringToObject(it, "flush", ib.flush);
			cJSON_AddNumberToObject(it, "records", (double)ib.records);
			cJSON_AddNumberToObject(it, "files_replaced", (double)ireplaced);
			cJSON_AddItemToObject(it, "limit_replaced", jstat(&s_ilim));
			cJSON_AddStringToObject(it, "limit_replaced_order", ilim_order);
			cJSON_AddItemToObject(it, "limit_replaced_by_type", jstat(&s_ibt));
			cJSON_AddItemToObject(it, "limit_replaced_by_cgroup", jstat(&s_ibc));
			cJSON_AddItemToObject(it, "pass", jstat(&s_ipass));
			cJSON_AddItemToObject(it, "cycle_run", jstat(&ib.cr.cycle));
			cJSON_AddItemToObject(it, "collect", jstat(&ib.cr.collect));
			cJSON_AddItemToObject(it, "render", jstat(&ib.cr.render));
			cJSON_AddNumberToObject(it, "user_ms", ib.cr.user_ns / 1e6);
			cJSON_AddNumberToObject(it, "sys_ms", ib.cr.sys_ns / 1e6);
			cJSON_AddNumberToObject(it, "open_fds", (double)ib.cr.open_fds);
			cJSON_AddNumberToObject(it, "pass_vs_replaced_wall", ratio(s_ipass.wall_med, s_ilim.wall_med));
			cJSON_AddNumberToObject(it, "pass_vs_replaced_cpu", ratio(s_ipass.cpu_med, s_ilim.cpu_med));
			cJSON_AddNumberToObject(it, "cycle_vs_limit_wall", ratio(ib.cr.cycle.wall_med, s_lim.wall_med));
			cJSON_AddNumberToObject(it, "cycle_vs_limit_cpu", ratio(ib.cr.cycle.cpu_med, s_lim.cpu_med));
			cJSON_AddNumberToObject(it, "cycle_us_per_cgroup", ib.cr.cycle.wall_med / 1e3 / (double)t.n);
			cJSON_AddNumberToObject(it, "files_cycle_us_per_cgroup", cr.cycle.wall_med / 1e3 / (double)t.n);
			cJSON_AddItemToObject(j, "iterator", it);
		} else {
			cJSON_AddStringToObject(j, "iterator_absent", ib.why);
		}
		text = cJSON_PrintUnformatted(j);
		f = fopen(json_path, "w");
		if (!f || !text || fprintf(f, "%s\n", text) < 0 || fclose(f) != 0)
			die(json_path, errno ? errno : EIO);
		free(text);
		cJSON_Delete(j);
	}
	if (sink == 0xffffffffffffffffull)
		printf("\n");	/* never: only so that sink is used */
	return 0;
}
