// SPDX-License-Identifier: GPL-2.0-only
/* The flight recorder's store: frames, the cycle and event codecs (a cycle
 * decoded renders the very page it was recorded with), damage (every frame
 * outside a damaged keyframe group still reads, the same), the store on disk
 * (reopened after a torn write, bounded in size with the segment being
 * written included, in age), on copies of the fixture trees. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "cmd/cycle.h"
#include "collect/collector.h"
#include "fixture.h"
#include "record/bytes.h"
#include "record/cycle_codec.h"
#include "record/event_codec.h"
#include "record/frame.h"
#include "record/recorder.h"
#include "record/replay.h"
#include "record/segment_walk.h"
#include "record/store.h"

/* --- a tree to record ---------------------------------------------------- */

struct tree {
	char dir[64], root[128];
	struct collector *c;
};

static void sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static void put(const struct tree *t, const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", t->root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The 6.1 fixture (every controller) with n more cgroups like workload. */
static struct tree *tree_new(int n)
{
	struct tree *t = calloc(1, sizeof(*t));

	strcpy(t->dir, "/tmp/cgscope-rec-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->root, sizeof(t->root), "%s/tree", t->dir);
	sh("cp -r %s %s", V2, t->root);
	for (int i = 0; i < n; i++)
		sh("cp -r %s/workload %s/workload/c%d && rm -rf %s/workload/c%d/workload "
		   "%s/workload/c%d/c*", V2, t->root, i, t->root, i, t->root, i);
	assert_int_equal(collector_new(t->root, &t->c), 0);
	return t;
}

static void tree_free(struct tree *t)
{
	collector_free(t->c);
	sh("rm -rf %s", t->dir);
	free(t);
}

static const struct cycle_devname devs[] = { { 8, 0, "/dev/sda" }, { 259, 0, "" } };

static void meta_of(struct cycle_meta *m, uint64_t k)
{
	*m = (struct cycle_meta){
		.filtered = k % 3, .over_limit = k % 2, .compat = COMPAT_CADVISOR,
		.rec = { .on = true, .bytes = 1000 + k * 77, .frames = k, .oldest_ms = 1700000000123,
			 .errors = { k / 4, 0, k / 7, 3 } },
		.interval_ms = 1000, .devs = (struct cycle_devname *)devs, .ndev = 2,
	};
	snprintf(m->version, sizeof(m->version), "test-1.2");
	snprintf(m->hostname, sizeof(m->hostname), "node-%u", (unsigned)(k % 2));
	snprintf(m->kernel, sizeof(m->kernel), "6.1.0");
}

static const struct cycle_meta *devs_meta;

static int devname(uint32_t major, uint32_t minor, char *ret, size_t size)
{
	for (size_t i = 0; devs_meta && i < devs_meta->ndev; i++)
		if (devs_meta->devs[i].major == major && devs_meta->devs[i].minor == minor &&
		    devs_meta->devs[i].name[0]) {
			snprintf(ret, size, "%s", devs_meta->devs[i].name);
			return 0;
		}
	return -ENOENT;
}

/* The page of s as the agent renders it with m. */
static char *page_of(const struct snapshot *s, const struct cycle_meta *m)
{
	struct cycle_page p = {
		.filter = { .filtered = m->filtered, .over_limit = m->over_limit },
		.compat = (enum compat)m->compat, .record = m->rec.on ? &m->rec : NULL,
		.devname = devname,
	};
	struct strbuf sb = { 0 };

	devs_meta = m;
	assert_int_equal(cycle_render(s, &p, &sb), 0);
	devs_meta = NULL;
	return sb_steal(&sb, NULL);
}

/* Something changes in the tree before cycle k. */
static void churn(struct tree *t, uint64_t k)
{
	char text[256], path[512];

	snprintf(text, sizeof(text), "usage_usec %lu\nuser_usec %lu\nsystem_usec 7\n"
		 "nr_periods %lu\nnr_throttled 3\nthrottled_usec 99\n",
		 (unsigned long)(1000 + k * 12345), (unsigned long)(900 + k * 1000),
		 (unsigned long)k);
	put(t, "workload/c0/cpu.stat", text);
	snprintf(text, sizeof(text), "8:0 rbytes=%lu wbytes=%lu rios=%lu wios=9 dbytes=0 dios=0\n%s",
		 (unsigned long)(k * 4096), (unsigned long)(k * 8192), (unsigned long)k,
		 k % 4 == 1 ? "259:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6\n" : "");
	put(t, "workload/c1/io.stat", text);
	if (k % 5 == 2) {
		snprintf(path, sizeof(path), "%s/workload/c1/new%lu", t->root, (unsigned long)k);
		assert_int_equal(mkdir(path, 0755), 0);
		snprintf(text, sizeof(text), "usage_usec %lu\n", (unsigned long)k);
		snprintf(path, sizeof(path), "workload/c1/new%lu/cpu.stat", (unsigned long)k);
		put(t, path, text);
	}
	if (k % 5 == 4) {
		snprintf(path, sizeof(path), "rm -rf %s/workload/c1/new%lu", t->root, (unsigned long)(k - 2));
		assert_int_equal(system(path), 0);
	}
	if (k == 9) {
		snprintf(path, sizeof(path), "%s/workload/c2/memory.stat", t->root);
		assert_int_equal(unlink(path), 0);	/* a file that goes: present changes */
	}
	if (k == 13) {
		snprintf(path, sizeof(path), "mv %s/workload/c3 %s/workload/c3-renamed", t->root, t->root);
		assert_int_equal(system(path), 0);
	}
}

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

/* Names of who runs in the cgroups, as container_names_attach gives them,
 * changing with k: some cycles have none at all. */
static void give_names(struct snapshot *s, uint64_t k)
{
	static const char *const pool[] = { "default", "web-7d9f", "nginx", "nginx:1.25", "c0ffee",
					    "kube-system", "coredns-x", "coredns", "coredns:1.11" };
	size_t len = 1;

	if (k % 7 == 3)
		return;	/* no names looked up: no cgscope_identity_errors_total either */
	s->names = calloc(s->n, sizeof(*s->names));
	s->names_strings = calloc(1, 4096);
	assert_non_null(s->names);
	for (size_t i = 0; i < s->n; i++)
		for (int f = 0; f < CN_NR; f++) {
			const char *nm = pool[(i * 3 + (size_t)f + (k / 5)) % 9];

			if ((i + (size_t)f + k) % 4 == 0)
				continue;	/* "" */
			s->names[i][f] = (uint32_t)len;
			strcpy(s->names_strings + len, nm);
			len += strlen(nm) + 1;
		}
	for (int e = 0; e < IDERR_NR; e++)
		s->identity_errors[e] = k / 3 + (uint64_t)e;
}

/* --- frames ------------------------------------------------------------------ */

static void test_frames(void **state)
{
	struct strbuf sb = { 0 }, out = { 0 };
	uint8_t raw[3000];
	struct frame_header h;
	size_t pos = 0, off, mid;
	uint64_t skipped = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)(i % 7 == 0 ? i : 0);
	assert_int_equal(frame_build(FRAME_KEY, 1700000000123, 5, raw, sizeof(raw), 1, &sb), 0);
	mid = sb.len;
	assert_int_equal(frame_build(FRAME_EVENTS, -5, 0, "abc", 3, 1, &sb), 0);
	/* Deflate made the first smaller; three bytes stay raw. */
	assert_true(mid < FRAME_HEADER_SIZE + sizeof(raw));
	assert_int_equal(sb.len - mid, FRAME_HEADER_SIZE + 3);

	assert_int_equal(frame_next((uint8_t *)sb.buf, sb.len, &pos, &h, &off, &skipped), 1);
	assert_int_equal(off, 0);
	assert_int_equal(h.type, FRAME_KEY);
	assert_int_equal(h.codec, FRAME_DEFLATE);
	assert_int_equal(h.time_ms, 1700000000123);
	assert_int_equal(h.seq, 5);
	assert_int_equal(h.raw_len, sizeof(raw));
	assert_int_equal(frame_payload(&h, (uint8_t *)sb.buf + FRAME_HEADER_SIZE, &out), 0);
	assert_memory_equal(out.buf, raw, sizeof(raw));
	assert_int_equal(frame_next((uint8_t *)sb.buf, sb.len, &pos, &h, &off, &skipped), 1);
	assert_int_equal(h.time_ms, -5);
	assert_int_equal(h.codec, FRAME_RAW);
	assert_int_equal(frame_next((uint8_t *)sb.buf, sb.len, &pos, &h, &off, &skipped), 0);
	assert_int_equal(skipped, 0);

	/* A torn tail: the walk stops at it, nothing skipped. */
	pos = 0;
	assert_int_equal(frame_next((uint8_t *)sb.buf, sb.len - 1, &pos, &h, &off, &skipped), 1);
	assert_int_equal(frame_next((uint8_t *)sb.buf, sb.len - 1, &pos, &h, &off, &skipped), 0);
	assert_int_equal(pos, mid);
	assert_int_equal(skipped, 0);

	/* A flipped bit in the first payload: skipped, the second found. */
	sb.buf[FRAME_HEADER_SIZE + 10] ^= 4;
	pos = 0;
	assert_int_equal(frame_next((uint8_t *)sb.buf, sb.len, &pos, &h, &off, &skipped), 1);
	assert_int_equal(off, mid);
	assert_int_equal(skipped, mid);
	sb.buf[FRAME_HEADER_SIZE + 10] ^= 4;

	/* A flipped bit in the first header's length: not believed. */
	sb.buf[9] ^= 1;
	pos = 0;
	skipped = 0;
	assert_int_equal(frame_next((uint8_t *)sb.buf, sb.len, &pos, &h, &off, &skipped), 1);
	assert_int_equal(off, mid);
	sb.buf[9] ^= 1;

	/* A payload that inflates to more than it says is refused. */
	assert_int_equal(frame_header_read((uint8_t *)sb.buf, sb.len, &h), 0);
	h.raw_len -= 1;
	assert_int_equal(frame_payload(&h, (uint8_t *)sb.buf + FRAME_HEADER_SIZE, &out), -EBADMSG);
	sb_free(&sb);
	sb_free(&out);
}

/* --- cycles -------------------------------------------------------------------- */

/* A recording of a tree, made in memory: the segment's bytes, and for each
 * cycle its frame's place and page. */
#define CYCLES 40
#define KEY_EVERY 8

struct corpus {
	struct strbuf seg;
	struct {
		uint64_t seq;
		size_t off, end;
		bool key;
		char *page;
	} cyc[CYCLES];
	struct {
		size_t off, end;
	} evf[CYCLES];
	size_t nev;
	size_t idle_frame;		/* bytes of a delta frame with nothing changed */
};

static void add_events(struct corpus *co, uint64_t k)
{
	struct event_ring_entry e[2] = { 0 };
	struct strbuf raw = { 0 };

	for (int i = 0; i < 2; i++) {
		e[i].seq = k * 2 + (uint64_t)i + 1;
		e[i].wall_ns = 1700000000000000000ull + k * 1000000000ull + (uint64_t)i;
		e[i].ev.type = i ? CGSCOPE_EV_OOM_KILL : CGSCOPE_EV_MKDIR;
		e[i].ev.cgroup_id = 1000 + k;
		e[i].ev.pid = 4242;
		e[i].ev.oom_score_adj = -999;
		e[i].ev.oom_points = -5;
		snprintf(e[i].ev.comm, sizeof(e[i].ev.comm), "stress-ng");
		snprintf(e[i].ev.path, sizeof(e[i].ev.path), "/workload/c%lu", (unsigned long)k);
	}
	assert_int_equal(events_encode(e, 2, &raw), 0);
	co->evf[co->nev].off = co->seg.len;
	assert_int_equal(frame_build(FRAME_EVENTS, (int64_t)(1700000000000 + k * 1000), 0, raw.buf,
				     raw.len, 1, &co->seg), 0);
	co->evf[co->nev++].end = co->seg.len;
	sb_free(&raw);
}

static void make_corpus(struct corpus *co)
{
	struct tree *t = tree_new(4);
	struct cycle_state *enc;
	struct strbuf raw = { 0 };

	memset(co, 0, sizeof(*co));
	assert_int_equal(cycle_state_new(&enc), 0);
	for (uint64_t k = 0; k < CYCLES; k++) {
		struct cycle_meta m;
		struct snapshot *s;
		bool key;

		if (k != 20)	/* cycle 20 has nothing new: the idle frame */
			churn(t, k);
		assert_int_equal(collector_collect(t->c, &s), 0);
		give_names(s, k == 20 ? 19 : k);
		meta_of(&m, k);
		assert_int_equal(cycle_encode(enc, s, &m, k % KEY_EVERY == 0, 100 + k, &raw, &key), 0);
		assert_int_equal(key, k % KEY_EVERY == 0);
		co->cyc[k].seq = 100 + k;
		co->cyc[k].key = key;
		co->cyc[k].off = co->seg.len;
		assert_int_equal(frame_build(key ? FRAME_KEY : FRAME_DELTA, s->taken_ms, 100 + k,
					     raw.buf, raw.len, 1, &co->seg), 0);
		co->cyc[k].end = co->seg.len;
		if (k == 20)
			co->idle_frame = co->cyc[k].end - co->cyc[k].off;
		co->cyc[k].page = page_of(s, &m);
		if (k % 3 == 1)
			add_events(co, k);
		snapshot_unref(s);
	}
	sb_free(&raw);
	cycle_state_free(enc);
	tree_free(t);
}

static void free_corpus(struct corpus *co)
{
	for (int k = 0; k < CYCLES; k++)
		free(co->cyc[k].page);
	sb_free(&co->seg);
}

/* What a walk of damaged bytes gave: which cycles decoded, and whether each
 * to the page it was recorded with. */
struct walked {
	const struct corpus *co;
	bool ok[CYCLES];
	bool wrong;
	size_t events[CYCLES];
};

static int on_frame(void *ctx, const struct frame_header *h, size_t off, int ok,
		    const struct cycle_state *dec)
{
	struct walked *w = ctx;

	if (frame_is_cycle(h->type) && ok) {
		uint64_t k = h->seq - 100;
		struct snapshot *s;
		struct cycle_meta m;
		char *page;

		if (k >= CYCLES || w->co->cyc[k].off != off) {
			w->wrong = true;
			return 0;
		}
		assert_int_equal(cycle_state_snapshot(dec, &s, &m, NULL), 0);
		page = page_of(s, &m);
		if (strcmp(page, w->co->cyc[k].page))
			w->wrong = true;
		w->ok[k] = true;
		free(page);
		cycle_meta_free(&m);
		snapshot_unref(s);
	} else if (h->type == FRAME_EVENTS && ok > 0) {
		for (size_t i = 0; i < w->co->nev; i++)
			if (w->co->evf[i].off == off)
				w->events[i] = (size_t)ok;
	}
	return 0;
}

static void walk(const struct corpus *co, const uint8_t *buf, size_t len, struct walked *w)
{
	struct cycle_state *dec;
	struct strbuf scratch = { 0 };

	memset(w, 0, sizeof(*w));
	w->co = co;
	assert_int_equal(cycle_state_new(&dec), 0);
	assert_int_equal(segment_walk(buf, len, dec, &scratch, on_frame, w, NULL), 0);
	cycle_state_free(dec);
	sb_free(&scratch);
}

static void test_cycles_decode_to_the_pages_recorded(void **state)
{
	struct corpus co;
	struct walked w;

	(void)state;
	make_corpus(&co);
	walk(&co, (uint8_t *)co.seg.buf, co.seg.len, &w);
	assert_false(w.wrong);
	for (int k = 0; k < CYCLES; k++)
		assert_true(w.ok[k]);
	for (size_t i = 0; i < co.nev; i++)
		assert_int_equal(w.events[i], 2);
	/* Nothing changed: a delta of 256 bytes at most, header and the
	 * collector's own counters included, for seven cgroups of every
	 * controller. */
	assert_true(co.idle_frame < 256);
	free_corpus(&co);
}

static struct event_ring_entry got;

static int copy(void *ctx, const struct event_ring_entry *x)
{
	(*(int *)ctx)++;
	got = *x;
	return 0;
}

static void test_events_round_trip(void **state)
{
	struct event_ring_entry e = { .seq = 77, .wall_ns = 1700000000123456789ull };
	struct strbuf raw = { 0 };
	int n = 0;

	(void)state;
	e.ev = (struct cgscope_event){
		.type = CGSCOPE_EV_OOM_KILL, .source = CGSCOPE_HOOK_TP_BTF, .ts_ns = 123456,
		.cgroup_id = 99, .src_cgroup_id = 98, .level = 3, .flags = 0x1ff, .pid = 1,
		.tgid = 2, .cpu = 3, .value = -1, .oom_scope = 2, .oom_score_adj = -1000,
		.oom_domain_id = 5, .uid = 65534, .killer_pid = 7, .total_vm_bytes = 1ull << 40,
		.anon_rss_bytes = 6, .file_rss_bytes = 7, .shmem_rss_bytes = 8, .pgtables_bytes = 9,
		.oom_points = -42, .oom_limit_bytes = UINT64_MAX, .throttled_ns = 11, .count = 12,
	};
	memcpy(e.ev.comm, "0123456789abcdef", 16);	/* full, no NUL */
	snprintf(e.ev.killer_comm, sizeof(e.ev.killer_comm), "oom");
	snprintf(e.ev.path, sizeof(e.ev.path), "/a/\"b\"\n");
	assert_int_equal(events_encode(&e, 1, &raw), 0);
	assert_int_equal(events_decode((uint8_t *)raw.buf, raw.len, copy, &n), 0);
	assert_int_equal(n, 1);
	/* comm is a fixed array: what fits of it, NUL-terminated. */
	assert_memory_equal(got.ev.comm, "0123456789abcde", 16);
	memcpy(got.ev.comm, e.ev.comm, 16);
	assert_memory_equal(&got, &e, sizeof(e));
	/* Every cut of it is refused, never read past. */
	for (size_t cut = 0; cut < raw.len; cut++)
		assert_int_equal(events_decode((uint8_t *)raw.buf, cut, copy, &n), -EBADMSG);
	sb_free(&raw);
}

/* Which cycles must survive damage to [lo, hi) of buf cut at len: those
 * whose own bytes and those of the cycles before them in their group are
 * whole. */
static void expect(const struct corpus *co, const bool *hit, size_t len, bool *ret)
{
	bool group_ok = false;

	for (int k = 0; k < CYCLES; k++) {
		bool whole = co->cyc[k].end <= len;

		for (size_t b = co->cyc[k].off; whole && b < co->cyc[k].end; b++)
			whole = !hit[b];
		if (co->cyc[k].key)
			group_ok = whole;
		else
			group_ok = group_ok && whole;
		ret[k] = group_ok;
	}
}

static void test_damage_costs_its_group_only(void **state)
{
	struct corpus co;
	size_t n;

	(void)state;
	make_corpus(&co);
	n = co.seg.len;
	for (int iter = 0; iter < 400; iter++) {
		uint8_t *buf = malloc(n);
		bool *hit = calloc(n, 1), want[CYCLES];
		size_t len = n;
		struct walked w;

		memcpy(buf, co.seg.buf, n);
		switch (iter % 4) {
		case 0:	/* bit flips: CRC-32 catches any three in a frame */
			for (uint64_t f = 1 + rnd(3); f-- > 0;) {
				size_t at = rnd(n);

				buf[at] ^= (uint8_t)(1u << rnd(8));
				hit[at] = buf[at] != (uint8_t)co.seg.buf[at];
			}
			break;
		case 1: {	/* a zeroed run */
			size_t at = rnd(n), l = 1 + rnd(2048);

			for (size_t b = at; b < n && b < at + l; b++)
				if (buf[b]) {
					buf[b] = 0;
					hit[b] = true;
				}
			break;
		}
		case 2:	/* truncated */
			len = rnd(n + 1);
			break;
		default: {	/* a zeroed 4 KiB page */
			size_t at = rnd(n) & ~(size_t)4095;

			for (size_t b = at; b < n && b < at + 4096; b++)
				if (buf[b]) {
					buf[b] = 0;
					hit[b] = true;
				}
		}
		}
		expect(&co, hit, len, want);
		walk(&co, buf, len, &w);
		assert_false(w.wrong);
		for (int k = 0; k < CYCLES; k++)
			if (want[k] && !w.ok[k])
				fail_msg("damage #%d: cycle %d should read and did not", iter, k);
		free(buf);
		free(hit);
	}
	free_corpus(&co);
}

/* --- the store on disk ------------------------------------------------------------ */

static char *tmpdir(void)
{
	char *d = strdup("/tmp/cgscope-store-XXXXXX");

	assert_non_null(mkdtemp(d));
	return d;
}

/* Bytes of every file in dir. */
static uint64_t du(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	uint64_t total = 0;
	char p[512];
	struct stat st;

	assert_non_null(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "LOCK"))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		assert_int_equal(stat(p, &st), 0);
		total += (uint64_t)st.st_size;
	}
	closedir(d);
	return total;
}

/* Frames of incompressible bytes, as large as asked. */
static void noise_frame(struct strbuf *f, uint8_t type, int64_t t, uint64_t seq, size_t len)
{
	uint8_t *p = malloc(len);

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)rnd(256);
	f->len = 0;
	assert_int_equal(frame_build(type, t, seq, p, len, 0, f), 0);
	free(p);
}

static void test_recorder_reopens_after_a_torn_write(void **state)
{
	struct tree *t = tree_new(4);
	char *dir = tmpdir(), seg[600];
	struct recorder_opts o = { .dir = dir, .max_bytes = 64 << 20, .retention_ms = 86400000 };
	struct store_open_info info;
	struct recorder *rec;
	struct replay *rp;
	struct replay_cycle c;
	char *pages[12];
	int64_t times[12];
	int fd;

	(void)state;
	assert_int_equal(recorder_open(&o, &rec, &info), 0);
	assert_int_equal(info.frames, 0);
	for (int k = 0; k < 6; k++) {
		struct cycle_meta m;
		struct snapshot *s;

		churn(t, (uint64_t)k);
		assert_int_equal(collector_collect(t->c, &s), 0);
		meta_of(&m, (uint64_t)k);
		assert_int_equal(recorder_record(rec, s, &m, NULL), 0);
		pages[k] = page_of(s, &m);
		times[k] = s->taken_ms;
		snapshot_unref(s);
		usleep(2000);
	}
	recorder_close(rec);

	/* A crash in the middle of a frame: its first 90 bytes at the end. */
	snprintf(seg, sizeof(seg), "%s/seg-00.cgr", dir);
	fd = open(seg, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	{
		struct strbuf f = { 0 };

		noise_frame(&f, FRAME_DELTA, times[5] + 1, 999, 500);
		assert_int_equal(write(fd, f.buf, FRAME_HEADER_SIZE + 50), FRAME_HEADER_SIZE + 50);
		sb_free(&f);
	}
	close(fd);

	assert_int_equal(recorder_open(&o, &rec, &info), 0);
	assert_int_equal(info.torn_bytes, FRAME_HEADER_SIZE + 50);
	assert_int_equal(info.frames, 6);
	/* Recording goes on where it was. */
	for (int k = 6; k < 12; k++) {
		struct cycle_meta m;
		struct snapshot *s;

		churn(t, (uint64_t)k);
		assert_int_equal(collector_collect(t->c, &s), 0);
		meta_of(&m, (uint64_t)k);
		assert_int_equal(recorder_record(rec, s, &m, NULL), 0);
		pages[k] = page_of(s, &m);
		times[k] = s->taken_ms;
		snapshot_unref(s);
		usleep(2000);
	}
	{
		struct record_status st;

		recorder_status(rec, &st);
		assert_int_equal(st.errors[REC_ERR_TORN], FRAME_HEADER_SIZE + 50);
		assert_int_equal(st.bytes, du(dir));
		assert_int_equal(st.oldest_ms <= times[0], true);
	}
	recorder_close(rec);

	/* Every cycle reads back, to its page. */
	assert_int_equal(replay_open(dir, &rp), 0);
	for (int k = 0; k < 12; k++) {
		char *page;

		assert_int_equal(replay_at(rp, times[k], &c), 0);
		assert_int_equal(c.time_ms, times[k]);
		page = page_of(c.s, &c.meta);
		assert_string_equal(page, pages[k]);
		free(page);
		replay_cycle_free(&c);
		free(pages[k]);
	}
	/* And one after another. */
	assert_int_equal(replay_at(rp, times[0], &c), 0);
	for (int k = 1; k < 12; k++) {
		replay_cycle_free(&c);
		assert_int_equal(replay_next(rp, &c), 0);
		assert_int_equal(c.time_ms, times[k]);
		/* Rates from the recorded cycle before, within a run. */
		assert_true(c.prev != NULL || k == 6);
	}
	replay_cycle_free(&c);
	assert_int_equal(replay_next(rp, &c), -ENOENT);
	assert_int_equal(replay_at(rp, times[0] - 1, &c), -ENOENT);
	replay_close(rp);

	/* A second writer is refused while one holds the store. */
	assert_int_equal(recorder_open(&o, &rec, &info), 0);
	{
		struct recorder *other;

		assert_int_equal(recorder_open(&o, &other, &info), -EBUSY);
		assert_int_equal(info.holder, getpid());
	}
	recorder_close(rec);
	sh("rm -rf %s", dir);
	free(dir);
	tree_free(t);
}

static void test_store_stays_within_its_size_and_age(void **state)
{
	char *dir = tmpdir();
	struct store_opts o = { .max_bytes = 2 << 20, .retention_ms = 600000 };
	struct store_open_info info;
	struct store *st;
	struct strbuf f = { 0 };
	int64_t t0 = 1700000000000;
	uint64_t bytes;
	int64_t oldest;

	(void)state;
	assert_int_equal(store_open(dir, &o, &st, &info), 0);
	/* 10 MiB through a 2 MiB store: never more than 2 MiB on disk, the
	 * segment being written included. */
	for (uint64_t k = 1; k <= 1000; k++) {
		int r;

		noise_frame(&f, k % 10 == 1 ? FRAME_KEY : FRAME_DELTA, t0 + (int64_t)k * 100, k,
			    10000 + rnd(1000));
		r = store_append(st, (uint8_t *)f.buf, f.len);
		if (r == -ESTALE) {	/* a new segment: a keyframe for it */
			noise_frame(&f, FRAME_KEY, t0 + (int64_t)k * 100, k, 10000);
			r = store_append(st, (uint8_t *)f.buf, f.len);
		}
		assert_int_equal(r, 0);
		store_usage(st, &bytes, &oldest);
		assert_int_equal(bytes, du(dir));
		assert_true(bytes <= o.max_bytes);
	}
	/* What is kept is the newest: the oldest frame kept is recent. */
	store_usage(st, &bytes, &oldest);
	assert_true(bytes > o.max_bytes / 2);
	assert_true(oldest > t0 + 700 * 100);
	/* A frame larger than the whole store is refused, and harms nothing. */
	noise_frame(&f, FRAME_KEY, t0 + 200000, 2000, 3 << 20);
	assert_int_equal(store_append(st, (uint8_t *)f.buf, f.len), -EFBIG);
	store_close(st);

	/* Age: an hour later, with frames a second apart, nothing older than
	 * the retention and a 48th of it stays. */
	o.max_bytes = 1ull << 40;
	assert_int_equal(store_open(dir, &o, &st, &info), 0);
	for (uint64_t k = 0; k < 3600; k += 2) {
		int64_t t = t0 + 3600000 + (int64_t)k * 1000;
		int r;

		noise_frame(&f, FRAME_DELTA, t, 5000 + k, 100);
		r = store_append(st, (uint8_t *)f.buf, f.len);
		if (r == -ESTALE) {
			noise_frame(&f, FRAME_KEY, t, 5000 + k, 100);
			r = store_append(st, (uint8_t *)f.buf, f.len);
		}
		assert_int_equal(r, 0);
		store_usage(st, &bytes, &oldest);
		assert_true(oldest >= t - (int64_t)o.retention_ms - (int64_t)o.retention_ms / STORE_SEGMENTS - 2000);
	}
	store_close(st);
	sb_free(&f);
	sh("rm -rf %s", dir);
	free(dir);
}

static void test_store_index_rebuilt(void **state)
{
	char *dir = tmpdir(), p[600];
	struct store_opts o = { .max_bytes = 64 << 20, .retention_ms = 86400000 };
	struct store_open_info info;
	struct store_reader *r;
	struct store *st;
	struct strbuf f = { 0 };

	(void)state;
	assert_int_equal(store_open(dir, &o, &st, &info), 0);
	for (uint64_t k = 1; k <= 50; k++) {
		noise_frame(&f, k == 1 ? FRAME_KEY : FRAME_DELTA, 1700000000000 + (int64_t)k, k, 300);
		assert_int_equal(store_append(st, (uint8_t *)f.buf, f.len), 0);
	}
	store_close(st);
	/* The index lost its second half: readers scan what it lacks. */
	snprintf(p, sizeof(p), "%s/seg-00.idx", dir);
	assert_int_equal(truncate(p, 40 * 26 + 13), 0);
	assert_int_equal(store_reader_open(dir, &r), 0);
	assert_int_equal(r->nseg, 1);
	assert_int_equal(store_reader_entries(r, 0), 0);
	assert_int_equal(r->seg[0].n, 50);
	for (size_t j = 0; j < 50; j++)
		assert_int_equal(r->seg[0].entries[j].seq, j + 1);
	store_reader_close(r);
	/* The writer makes it whole again. */
	assert_int_equal(store_open(dir, &o, &st, &info), 0);
	assert_int_equal(info.frames, 50);
	assert_int_equal(info.torn_bytes, 0);
	assert_int_equal(store_last_seq(st), 50);
	store_close(st);
	{
		struct stat sst;

		assert_int_equal(stat(p, &sst), 0);
		assert_int_equal(sst.st_size, 40 * 51);
	}
	sb_free(&f);
	sh("rm -rf %s", dir);
	free(dir);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_events_round_trip),
		cmocka_unit_test(test_cycles_decode_to_the_pages_recorded),
		cmocka_unit_test(test_damage_costs_its_group_only),
		cmocka_unit_test(test_recorder_reopens_after_a_torn_write),
		cmocka_unit_test(test_store_stays_within_its_size_and_age),
		cmocka_unit_test(test_store_index_rebuilt),
	};

	return UNIT_RUN("record", tests, argc, argv);
}
