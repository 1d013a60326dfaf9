// SPDX-License-Identifier: GPL-2.0-only
/* bench_record: what the flight recorder costs, in bytes and in CPU.
 *
 *   bench_record store [--cycles N] [--busy FRACTION] [--interval-ms MS]
 *                      [--json FILE] [--label NAME] ROOT
 *       ROOT is a tree of cgroups (cgroupfs, or a plain copy of the fixture
 *       with every controller's files). N cycles of cycle_run() (collect,
 *       render), each recorded as the agent records it (recorder_record:
 *       encode, deflate, write into a store in a temporary directory), the
 *       cycles stamped --interval-ms apart so that keyframes come as they
 *       would. With --busy F, before each cycle a fraction F of the cgroups
 *       (every 1/F-th, their files made their own: the fixture's are hard
 *       links) gets new CPU, memory and IO figures: cpu.stat usage, user and
 *       system, memory.current, a tenth of memory.stat, io.stat per device.
 *       Prints the store's bytes per cgroup per cycle, what a day at that
 *       interval would take for 1,000 cgroups, and the CPU time of a cycle
 *       and of recording it (the process's CPU clock around each call, as
 *       the collector reads in threads of its own too; the median); then
 *       the same payloads compressed otherwise, side by side: deflate at
 *       levels 1 and 6, and zstd at levels 1 and 3 when the
 *       system's libzstd.so.1 loads (dlopen: nothing links it).
 *
 *   bench_record synth [--days D] [--busy F] [--interval-ms MS] [--json FILE]
 *                      OUTDIR ROOT
 *       A store of D days for the cgroups of ROOT, made fast: one real
 *       collection, then each cycle's values changed in memory (the busy
 *       fraction as above) and stamped --interval-ms apart, ending now. For
 *       `top --replay` and `export` to be timed on (the bench script does).
 *
 * Nothing here judges the figures; the exit status says only whether the
 * measurement could be made. */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "cmd/cycle.h"
#include "collect/collector.h"
#include "lib/alloc_policy.h"
#include "lib/clock.h"
#include "record/cycle_codec.h"
#include "record/frame.h"
#include "record/recorder.h"
#include "lib/macros.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? rng % n : rng;
}

static double thread_ms(void)
{
	return (double)clock_ns(CLOCK_PROCESS_CPUTIME_ID) / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n ? v[n / 2] : 0;
}

/* --- busy cgroups: their files, rewritten each cycle ----------------------- */

struct busy {
	char **dirs;
	size_t n;
	uint64_t usage, mem, io;
};

static bool is_busy(size_t i, double frac)
{
	size_t every = frac > 0 ? (size_t)(1.0 / frac + 0.5) : 0;

	return every && i % every == every / 2;
}

/* The files of a busy cgroup become its own (not links to the template). */
static int own_file(const char *dir, const char *name)
{
	char path[4096], tmp[4200], buf[65536];
	FILE *in, *out;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.own", path);
	in = fopen(path, "r");
	if (!in)
		return 0;	/* a tree without it */
	out = fopen(tmp, "w");
	if (!out) {
		fclose(in);
		return -errno;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	if (fclose(out) != 0 || rename(tmp, path) < 0)
		return -errno;
	return 0;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static const char *const busy_files[] = { "cpu.stat", "memory.current", "memory.stat", "io.stat" };

/* New figures for every busy cgroup's files, written in place (the
 * collector rereads the descriptors it holds). */
static void churn_files(struct busy *b, unsigned k)
{
	char text[8192];
	size_t len;

	for (size_t d = 0; d < b->n; d++) {
		uint64_t u = b->usage + (d + 1) * 1000003ull * k + rnd(500000);

		snprintf(text, sizeof(text), "usage_usec %lu\nuser_usec %lu\nsystem_usec %lu\n"
			 "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0\n",
			 (unsigned long)u, (unsigned long)(u * 3 / 4), (unsigned long)(u / 4));
		write_file(b->dirs[d], "cpu.stat", text);
		snprintf(text, sizeof(text), "%lu\n", (unsigned long)(b->mem + rnd(64 << 20)));
		write_file(b->dirs[d], "memory.current", text);
		len = 0;
		for (int m = 0; m < MEMSTAT_NR; m++)
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%s %lu\n", memory_stat_keys[m],
						(unsigned long)(m % 10 == 0 ? 4096 * (k * 31 + rnd(1000)) :
								(uint64_t)(1000 + m)));
		write_file(b->dirs[d], "memory.stat", text);
		snprintf(text, sizeof(text),
			 "8:0 rbytes=%lu wbytes=%lu rios=%lu wios=%lu dbytes=0 dios=0\n"
			 "253:0 rbytes=%lu wbytes=%lu rios=%lu wios=%lu dbytes=0 dios=0\n",
			 (unsigned long)(b->io + k * 40960 + rnd(4096)), (unsigned long)(k * 81920),
			 (unsigned long)(k * 10), (unsigned long)(k * 20),
			 (unsigned long)(k * 4096), (unsigned long)(k * 8192), (unsigned long)k,
			 (unsigned long)(k * 2));
		write_file(b->dirs[d], "io.stat", text);
	}
}

/* --- zstd, if the system has it ---------------------------------------------- */

typedef size_t (*zstd_bound_fn)(size_t);
typedef size_t (*zstd_compress_fn)(void *, size_t, const void *, size_t, int);
typedef unsigned (*zstd_iserror_fn)(size_t);

static struct {
	zstd_bound_fn bound;
	zstd_compress_fn compress;
	zstd_iserror_fn is_error;
} zstd;

static bool zstd_load(void)
{
	void *h = dlopen("libzstd.so.1", RTLD_NOW);

	if (!h)
		return false;
	zstd.bound = (zstd_bound_fn)dlsym(h, "ZSTD_compressBound");
	zstd.compress = (zstd_compress_fn)dlsym(h, "ZSTD_compress");
	zstd.is_error = (zstd_iserror_fn)dlsym(h, "ZSTD_isError");
	return zstd.bound && zstd.compress && zstd.is_error;
}

/* The same payloads, compressed otherwise. */
struct codec {
	const char *name;
	int kind, level;		/* kind 0 deflate, 1 zstd */
	uint64_t bytes;
	double cpu_ms;
};

static void compress_with(struct codec *c, const void *raw, size_t len)
{
	static uint8_t *out;
	static size_t cap;
	size_t need = c->kind ? zstd.bound(len) : compressBound((uLong)len);
	double t0;

	if (need > cap) {
		out = realloc(out, need);
		cap = need;
	}
	t0 = thread_ms();
	if (c->kind) {
		size_t n = zstd.compress(out, cap, raw, len, c->level);

		c->bytes += zstd.is_error(n) ? len : n;
	} else {
		struct strbuf sb = { 0 };

		frame_build(FRAME_DELTA, 0, 0, raw, len, c->level, &sb);
		c->bytes += sb.len - FRAME_HEADER_SIZE;
		sb_free(&sb);
	}
	c->cpu_ms += thread_ms() - t0;
}

/* --- bench_record store ------------------------------------------------------- */

struct opts {
	unsigned cycles;
	double busy;
	uint64_t interval_ms;
	const char *json, *label;
	double days;
};

static uint64_t du(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	uint64_t total = 0;
	char p[4096];
	struct stat st;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && strcmp(e->d_name, "LOCK")) {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			if (stat(p, &st) == 0)
				total += (uint64_t)st.st_size;
		}
	closedir(d);
	return total;
}

static void meta_of(struct cycle_meta *m, const struct cgroup_filter_result *res,
		    const struct record_status *rec, uint64_t interval_ms)
{
	*m = (struct cycle_meta){ .filtered = res->filtered, .over_limit = res->over_limit,
				  .rec = *rec, .interval_ms = interval_ms };
	snprintf(m->version, sizeof(m->version), "bench");
	snprintf(m->hostname, sizeof(m->hostname), "bench");
	snprintf(m->kernel, sizeof(m->kernel), "bench");
}

static int find_busy(const char *root, struct collector *c, double frac, struct busy *b)
{
	struct snapshot *s;
	int r = collector_collect(c, &s);

	if (r < 0)
		return r;
	b->dirs = calloc(s->n + 1, sizeof(*b->dirs));
	for (size_t i = 0; i < s->n; i++) {
		char dir[4096];

		if (!is_busy(i, frac))
			continue;
		snprintf(dir, sizeof(dir), "%s%s", root, sample_path(s, &s->cgroups[i]));
		for (size_t f = 0; f < ARRAY_SIZE(busy_files); f++)
			if ((r = own_file(dir, busy_files[f])) < 0)
				return r;
		b->dirs[b->n++] = strdup(dir);
	}
	b->usage = 1000000000ull;
	b->mem = 500ull << 20;
	b->io = 1ull << 30;
	snapshot_unref(s);
	return 0;
}

static int cmd_store(const struct opts *o, const char *root)
{
	char dir[] = "/tmp/cgscope-bench-store-XXXXXX";
	struct recorder_opts ro = { .dir = dir, .max_bytes = 1ull << 40, .retention_ms = 30ull * 86400000 };
	struct store_open_info info;
	struct codec codecs[] = {
		{ "deflate-1", 0, 1, 0, 0 }, { "deflate-6", 0, 6, 0, 0 },
		{ "zstd-1", 1, 1, 0, 0 }, { "zstd-3", 1, 3, 0, 0 },
	};
	size_t ncodec = zstd_load() ? 4 : 2;
	struct cycle_state *enc;
	struct strbuf raw = { 0 };
	struct collector *c;
	struct recorder *rec;
	struct busy b = { 0 };
	double *cycle_ms = calloc(o->cycles, sizeof(double)), *rec_ms = calloc(o->cycles, sizeof(double));
	uint64_t key_bytes = 0, keys = 0, delta_bytes = 0, deltas = 0, raw_bytes = 0, gz_bytes = 0, gz_n = 0;
	size_t ncg = 0;
	int64_t t0 = 1700000000000;
	FILE *js = NULL;
	int r;

	if (!mkdtemp(dir) || (r = collector_new(root, &c)) < 0) {
		fprintf(stderr, "bench_record: cannot read %s\n", root);
		return 1;
	}
	if (o->busy > 0) {
		if ((r = find_busy(root, c, o->busy, &b)) < 0) {
			fprintf(stderr, "bench_record: cannot make busy cgroups: %s\n", strerror(-r));
			return 1;
		}
		/* The collector holds the files it read: the busy ones are new
		 * files now, which a new collector opens. */
		collector_free(c);
		if ((r = collector_new(root, &c)) < 0)
			return 1;
	}
	if ((r = recorder_open(&ro, &rec, &info)) < 0 || cycle_state_new(&enc) < 0) {
		fprintf(stderr, "bench_record: cannot open a store in %s: %s\n", dir, strerror(-r));
		return 1;
	}
	for (unsigned k = 0; k < o->cycles + 2; k++) {
		struct cgroup_filter_result res;
		struct cycle_opts co = { .compat = COMPAT_NONE };
		struct record_status st;
		struct cycle_meta m;
		struct snapshot *s;
		uint64_t fb;
		bool key;
		double a, bb, cc;

		if (b.n)
			churn_files(&b, k);
		recorder_status(rec, &st);
		cgroup_filter_init(&co.filter);
		co.record = &st;
		a = thread_ms();
		if (cycle_run_opts(c, &co, &s, &res) < 0) {
			fprintf(stderr, "bench_record: a cycle failed\n");
			return 1;
		}
		bb = thread_ms();
		/* As if the cycles came an interval apart. */
		s->taken_ms = t0 + (int64_t)(k * o->interval_ms);
		meta_of(&m, &res, &st, o->interval_ms);
		if ((r = recorder_record(rec, s, &m, NULL)) < 0) {
			fprintf(stderr, "bench_record: recording failed: %s\n", strerror(-r));
			return 1;
		}
		cc = thread_ms();
		recorder_last_frame(rec, &fb, &key);
		ncg = s->n;
		/* Two warm-up cycles: the first opens every file. */
		if (k >= 2) {
			cycle_ms[k - 2] = bb - a;
			rec_ms[k - 2] = cc - bb;
			if (key) {
				key_bytes += fb;
				keys++;
			} else {
				delta_bytes += fb;
				deltas++;
			}
			/* The baseline: the page itself, gzip'd as a scrape gets it:
			 * the cycle keeps it so (collect/snapshot.h). */
			if (k % 10 == 2) {
				gz_bytes += s->page.gz_len;
				gz_n++;
			}
			/* The same payload, compressed otherwise. */
			if (cycle_encode(enc, s, &m, key, k, &raw, &key) == 0) {
				raw_bytes += raw.len;
				for (size_t i = 0; i < ncodec; i++)
					compress_with(&codecs[i], raw.buf, raw.len);
			}
		}
		snapshot_unref(s);
	}
	recorder_close(rec);
	{
		uint64_t store = du(dir);
		double per = (double)store / (double)ncg / o->cycles;
		double day_mb = per * 1000 * (86400000.0 / (double)o->interval_ms) / 1e6;
		double cyc = median(cycle_ms, o->cycles), recm = median(rec_ms, o->cycles);

		printf("%s: %zu cgroups, %u cycles %lu ms apart, busy %.0f%%\n", o->label, ncg, o->cycles,
		       (unsigned long)o->interval_ms, o->busy * 100);
		printf("  store: %lu bytes, %.2f bytes per cgroup per cycle; a day of 1,000 cgroups: %.1f MB\n",
		       (unsigned long)store, per, day_mb);
		printf("  keyframes %lu (%.0f bytes avg), deltas %lu (%.0f bytes avg), raw payload %.0f bytes avg\n",
		       (unsigned long)keys, keys ? (double)key_bytes / keys : 0, (unsigned long)deltas,
		       deltas ? (double)delta_bytes / deltas : 0, (double)raw_bytes / o->cycles);
		printf("  cpu: cycle_run %.3f ms, recording %.3f ms (+%.1f%%)\n", cyc, recm,
		       cyc > 0 ? 100 * recm / cyc : 0);
		printf("  the page gzip'd: %.0f bytes a cycle, %.2f bytes per cgroup (the store: %.3fx)\n",
		       gz_n ? (double)gz_bytes / gz_n : 0, gz_n ? (double)gz_bytes / gz_n / ncg : 0,
		       gz_n && gz_bytes ? per / ((double)gz_bytes / gz_n / ncg) : 0);
		for (size_t i = 0; i < ncodec; i++)
			printf("  %-10s %10lu bytes (%.2fx deflate-1), %.3f ms cpu a cycle\n", codecs[i].name,
			       (unsigned long)codecs[i].bytes,
			       (double)codecs[i].bytes / (double)codecs[0].bytes,
			       codecs[i].cpu_ms / o->cycles);
		if (o->json && (js = fopen(o->json, "w"))) {
			fprintf(js, "{\"label\":\"%s\",\"cgroups\":%zu,\"cycles\":%u,\"interval_ms\":%lu,"
				"\"busy\":%g,\"store_bytes\":%lu,\"bytes_per_cgroup_cycle\":%g,"
				"\"day_mb_1000\":%g,\"keyframes\":%lu,\"key_bytes_avg\":%g,\"deltas\":%lu,"
				"\"delta_bytes_avg\":%g,\"raw_bytes_avg\":%g,\"cycle_cpu_ms\":%g,"
				"\"record_cpu_ms\":%g,\"page_gzip_bytes_avg\":%g,\"codecs\":[",
				o->label, ncg, o->cycles, (unsigned long)o->interval_ms, o->busy,
				(unsigned long)store, per, day_mb, (unsigned long)keys,
				keys ? (double)key_bytes / keys : 0, (unsigned long)deltas,
				deltas ? (double)delta_bytes / deltas : 0, (double)raw_bytes / o->cycles, cyc,
				recm, gz_n ? (double)gz_bytes / gz_n : 0);
			for (size_t i = 0; i < ncodec; i++)
				fprintf(js, "%s{\"name\":\"%s\",\"bytes\":%lu,\"cpu_ms\":%g}", i ? "," : "",
					codecs[i].name, (unsigned long)codecs[i].bytes,
					codecs[i].cpu_ms / o->cycles);
			fprintf(js, "]}\n");
			fclose(js);
		}
	}
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_record: could not remove %s\n", dir);
	}
	cycle_state_free(enc);
	sb_free(&raw);
	collector_free(c);
	return 0;
}

/* --- bench_record synth ------------------------------------------------------- */

/* Changes the values of the busy cgroups of s in place, as churn_files does
 * to their files. */
static void churn_values(struct snapshot *s, double frac, unsigned k)
{
	for (size_t i = 0; i < s->n; i++) {
		struct cgroup_values *v = &s->cgroups[i].v;
		uint64_t d;

		if (!is_busy(i, frac))
			continue;
		d = 1000000 + rnd(500000);
		v->cpu[CPU_USAGE] += d;
		v->cpu[CPU_USER] += d * 3 / 4;
		v->cpu[CPU_SYSTEM] += d / 4;
		v->mem_current = (500ull << 20) + rnd(64 << 20);
		if (cg_has(v, F_MEMORY_STAT))
			for (int m = 0; m < MEMSTAT_NR; m += 10)
				s->mem_stat.rows[v->mem_stat_row][m] = 4096 * (k * 31 + rnd(1000));
		for (uint32_t j = 0; j < v->io_count; j++) {
			struct io_dev_stat *e = &s->io.items[v->io_first + j];

			e->rbytes += 40960 + rnd(4096);
			e->wbytes += 81920;
			e->rios += 10;
			e->wios += 20;
		}
	}
}

/* The values of src into dst, two snapshots of the same tree: 0, or -EINVAL
 * when their shapes differ. */
static int copy_values(struct snapshot *dst, const struct snapshot *src)
{
	if (dst->n != src->n || dst->io.len != src->io.len || dst->mem_stat.len != src->mem_stat.len)
		return -EINVAL;
	memcpy(dst->cgroups, src->cgroups, src->n * sizeof(*src->cgroups));
	memcpy(dst->io.items, src->io.items, src->io.len * sizeof(*src->io.items));
	memcpy(dst->mem_stat.rows, src->mem_stat.rows, src->mem_stat.len * sizeof(*src->mem_stat.rows));
	dst->stats = src->stats;
	dst->events = src->events;
	return 0;
}

static int cmd_synth(const struct opts *o, const char *out, const char *root)
{
	struct recorder_opts ro = { .dir = out, .max_bytes = 1ull << 40,
				    .retention_ms = (uint64_t)(o->days * 86400000) + 86400000 };
	uint64_t n = (uint64_t)(o->days * 86400000 / (double)o->interval_ms);
	int64_t now = clock_ms(CLOCK_REALTIME), t0 = now - (int64_t)(n * o->interval_ms);
	struct store_open_info info;
	struct collector *c;
	struct recorder *rec;
	/* Two snapshots in turn, each given the other's values before it
	 * changes: the recorder holds the last one it recorded (a snapshot
	 * is immutable once made, record/cycle_codec.h). */
	struct snapshot *sn[2], *s;
	double t = thread_ms();
	int r;

	if ((r = collector_new(root, &c)) < 0 || (r = collector_collect(c, &sn[0])) < 0 ||
	    (r = collector_collect(c, &sn[1])) < 0 || (r = copy_values(sn[1], sn[0])) < 0) {
		fprintf(stderr, "bench_record: cannot read %s\n", root);
		return 1;
	}
	s = sn[0];
	if ((r = recorder_open(&ro, &rec, &info)) < 0) {
		fprintf(stderr, "bench_record: cannot open a store in %s: %s\n", out, strerror(-r));
		return 1;
	}
	for (uint64_t k = 0; k < n; k++) {
		struct record_status st;
		struct cycle_meta m;
		struct cgroup_filter_result res = { 0 };

		if (k) {
			s = sn[k & 1];
			copy_values(s, sn[!(k & 1)]);
		}
		churn_values(s, o->busy, (unsigned)k);
		s->cycle = k + 1;
		s->taken_ms = t0 + (int64_t)(k * o->interval_ms);
		s->read_mono_ns = 1000000000ull + k * o->interval_ms * 1000000ull;
		s->taken_mono_ns = s->read_mono_ns + 1000000;
		s->stats.cycles = k + 1;
		recorder_status(rec, &st);
		meta_of(&m, &res, &st, o->interval_ms);
		if ((r = recorder_record(rec, s, &m, NULL)) < 0) {
			fprintf(stderr, "bench_record: recording failed: %s\n", strerror(-r));
			return 1;
		}
	}
	recorder_close(rec);
	printf("synth: %lu cycles of %zu cgroups, %lu ms apart, from %lld to %lld (Unix ms): "
	       "%lu bytes, made in %.1f s\n", (unsigned long)n, s->n, (unsigned long)o->interval_ms,
	       (long long)t0, (long long)(t0 + (int64_t)((n - 1) * o->interval_ms)),
	       (unsigned long)du(out), (thread_ms() - t) / 1000);
	if (o->json) {
		FILE *js = fopen(o->json, "w");

		if (js) {
			fprintf(js, "{\"cycles\":%lu,\"cgroups\":%zu,\"interval_ms\":%lu,\"first_ms\":%lld,"
				"\"last_ms\":%lld,\"bytes\":%lu}\n", (unsigned long)n, s->n,
				(unsigned long)o->interval_ms, (long long)t0,
				(long long)(t0 + (int64_t)((n - 1) * o->interval_ms)), (unsigned long)du(out));
			fclose(js);
		}
	}
	snapshot_unref(sn[0]);
	snapshot_unref(sn[1]);
	collector_free(c);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "cycles", required_argument, NULL, 'c' }, { "busy", required_argument, NULL, 'b' },
		{ "interval-ms", required_argument, NULL, 'i' }, { "json", required_argument, NULL, 'j' },
		{ "label", required_argument, NULL, 'l' }, { "days", required_argument, NULL, 'd' },
		{ 0 },
	};
	struct opts o = { .cycles = 360, .interval_ms = 10000, .label = "tree", .days = 7 };
	const char *cmd = argc > 1 ? argv[1] : "";
	int ch;

	alloc_policy_apply();
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': o.cycles = (unsigned)atoi(optarg); break;
		case 'b': o.busy = atof(optarg); break;
		case 'i': o.interval_ms = strtoull(optarg, NULL, 10); break;
		case 'j': o.json = optarg; break;
		case 'l': o.label = optarg; break;
		case 'd': o.days = atof(optarg); break;
		default: return 2;
		}
	}
	if (!strcmp(cmd, "store") && optind + 1 == argc && o.cycles)
		return cmd_store(&o, argv[optind]);
	if (!strcmp(cmd, "synth") && optind + 2 == argc)
		return cmd_synth(&o, argv[optind], argv[optind + 1]);
	fprintf(stderr, "usage: bench_record store [--cycles N] [--busy F] [--interval-ms MS] "
		"[--json FILE] [--label L] ROOT\n"
		"       bench_record synth [--days D] [--busy F] [--interval-ms MS] [--json FILE] "
		"OUTDIR ROOT\n");
	return 2;
}
