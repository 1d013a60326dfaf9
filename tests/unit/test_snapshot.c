// SPDX-License-Identifier: GPL-2.0-only
/* A snapshot's page is kept compressed only, written a chunk at a time:
 * whatever the chunks, what a reader gets back, inflated or as gzip, must
 * be the text that was written, byte for byte, and a part (the cAdvisor
 * families) must be a gzip stream of its own that any gzip reader takes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <cmocka.h>

#include "unit.h"

#include "collect/snapshot.h"
#include "lib/macros.h"

/* What a gzip client does: inflate with the gzip header and trailer, which
 * zlib checks (CRC-32 and length), and nothing may follow the trailer. */
static char *gunzip(const char *gz, size_t len, size_t *ret_len)
{
	z_stream zs = {0};
	size_t cap = 1 << 16, n = 0;
	char *out = malloc(cap);
	int r;

	assert_non_null(out);
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (Bytef *)gz;
	zs.avail_in = (uInt)len;
	do {
		if (n == cap) {
			cap *= 2;
			assert_non_null(out = realloc(out, cap));
		}
		zs.next_out = (Bytef *)out + n;
		zs.avail_out = (uInt)(cap - n);
		r = inflate(&zs, Z_NO_FLUSH);
		n = cap - zs.avail_out;
		if (r != Z_OK && r != Z_STREAM_END)
			fail_msg("gunzip: %d %s", r, zs.msg ? zs.msg : "");
	} while (r != Z_STREAM_END);
	assert_int_equal(zs.avail_in, 0);
	inflateEnd(&zs);
	*ret_len = n;
	return out;
}

/* The gzip of a part as the HTTP layer sends it: the page's header, the
 * part's deflate data, the part's trailer. */
static char *part_gz(const struct zpage *p, enum page_part part, size_t *ret_len)
{
	size_t data = p->gz_len - GZIP_TRAILER_LEN - p->part[part].zoff;
	size_t len = GZIP_HEADER_LEN + data + GZIP_TRAILER_LEN;
	char *gz = malloc(len);

	assert_non_null(gz);
	memcpy(gz, p->gz, GZIP_HEADER_LEN);
	memcpy(gz + GZIP_HEADER_LEN, p->gz + p->part[part].zoff, data);
	memcpy(gz + GZIP_HEADER_LEN + data, p->part[part].trailer, GZIP_TRAILER_LEN);
	*ret_len = len;
	return gz;
}

/* Text like a page's: long runs that repeat with numbers that change. */
static void write_text(struct strbuf *sb, struct strbuf *ref, unsigned lines, unsigned seed)
{
	for (unsigned i = 0; i < lines; i++) {
		char line[160];
		int n = snprintf(line, sizeof(line),
				 "cgroup_memory_stat_bytes{cgroup=\"/kubepods/pod%u/c%u\",type=\"t%u\"} %u\n",
				 (i * 7 + seed) % 97, i % 13, i % 71, i * 2654435761u + seed);

		sb_append(sb, line, (size_t)n);
		sb_append(ref, line, (size_t)n);
		if (i % 500 == 0) {	/* the other ways renderers write */
			sb_printf(sb, "# HELP f%u %s\n", i, "a family");
			sb_printf(ref, "# HELP f%u %s\n", i, "a family");
			sb_fixed(sb, (uint64_t)i * 1000003, 6);
			sb_fixed(ref, (uint64_t)i * 1000003, 6);
			sb_putc(sb, '\n');
			sb_putc(ref, '\n');
		}
	}
}

static void check_page(const struct zpage *p, const struct strbuf *ref, size_t part_off)
{
	char *text, *gz;
	size_t len, gzlen;

	/* Inflated by the reader, the way a plain scrape and dump get it. */
	assert_int_equal(zpage_text(p, PAGE_ALL, &text, &len), 0);
	assert_int_equal(len, ref->len);
	assert_int_equal(p->part[PAGE_ALL].len, ref->len);
	assert_memory_equal(text, ref->buf, len);
	free(text);
	/* As kept, by a gzip client. */
	text = gunzip(p->gz, p->gz_len, &len);
	assert_int_equal(len, ref->len);
	assert_memory_equal(text, ref->buf, len);
	free(text);
	if (part_off == SIZE_MAX) {
		assert_false(p->part[PAGE_CADVISOR].on);
		assert_int_equal(zpage_text(p, PAGE_CADVISOR, &text, &len), -ENOENT);
		return;
	}
	assert_true(p->part[PAGE_CADVISOR].on);
	assert_int_equal(p->part[PAGE_CADVISOR].off, part_off);
	assert_int_equal(zpage_text(p, PAGE_CADVISOR, &text, &len), 0);
	assert_int_equal(len, ref->len - part_off);
	assert_memory_equal(text, ref->buf + part_off, len);
	free(text);
	gz = part_gz(p, PAGE_CADVISOR, &gzlen);
	text = gunzip(gz, gzlen, &len);
	assert_int_equal(len, ref->len - part_off);
	assert_memory_equal(text, ref->buf + part_off, len);
	free(text);
	free(gz);
}

/* Chunks of every size the writer takes, a part or none, a part that
 * starts on a chunk's edge, and appends larger than a chunk. */
static void test_page_roundtrip(void **state)
{
	const size_t chunks[] = { 256, 1000, 4096, 0 };

	(void)state;
	for (size_t c = 0; c < ARRAY_SIZE(chunks); c++) {
		for (int with_part = 0; with_part < 2; with_part++) {
			struct strbuf ref = {0};
			struct page_writer w;
			struct zpage p;
			size_t part_off = SIZE_MAX;
			char big[9000];

			assert_int_equal(page_writer_start(&w, chunks[c]), 0);
			write_text(&w.sb, &ref, 6000, (unsigned)c);
			memset(big, 'x', sizeof(big));
			big[sizeof(big) - 1] = '\n';
			sb_append(&w.sb, big, sizeof(big));
			sb_append(&ref, big, sizeof(big));
			if (with_part) {
				assert_int_equal(page_writer_mark(&w, PAGE_CADVISOR), 0);
				part_off = ref.len;
				/* Nothing left in the buffer: a full flush at once. */
				assert_int_equal(w.sb.len, 0);
			}
			write_text(&w.sb, &ref, 3000, 7);
			assert_int_equal(page_writer_finish(&w, &p), 0);
			assert_true(p.gz_len < ref.len / 4);	/* it did compress */
			check_page(&p, &ref, part_off);
			zpage_free(&p);
			sb_free(&ref);
		}
	}
}

/* A plain scrape reads what fits in MHD's block, a little at a time. */
static void test_page_reader_blocks(void **state)
{
	const size_t sizes[] = { 1, 7, 4096, 100000 };
	struct strbuf ref = {0};
	struct page_writer w;
	struct zpage p;

	(void)state;
	assert_int_equal(page_writer_start(&w, 0), 0);
	write_text(&w.sb, &ref, 2000, 3);
	assert_int_equal(page_writer_mark(&w, PAGE_CADVISOR), 0);
	size_t off = ref.len;
	write_text(&w.sb, &ref, 2000, 4);
	assert_int_equal(page_writer_finish(&w, &p), 0);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (int part = 0; part < PAGE_PARTS; part++) {
			struct page_reader rd;
			const char *want = ref.buf + (part ? off : 0);
			size_t wlen = ref.len - (part ? off : 0), got = 0;
			char *buf = malloc(sizes[i]);
			ssize_t n;

			assert_non_null(buf);
			assert_int_equal(page_reader_open(&rd, &p, (enum page_part)part), 0);
			while ((n = page_reader_read(&rd, buf, sizes[i])) > 0) {
				assert_true(got + (size_t)n <= wlen);
				assert_memory_equal(buf, want + got, (size_t)n);
				got += (size_t)n;
			}
			assert_int_equal(n, 0);
			assert_int_equal(got, wlen);
			page_reader_close(&rd);
			free(buf);
		}
	}
	zpage_free(&p);
	sb_free(&ref);
}

/* Damaged data is an error, not text. */
static void test_page_reader_damaged(void **state)
{
	struct strbuf ref = {0};
	struct page_writer w;
	struct zpage p;
	char *text;
	size_t len;

	(void)state;
	assert_int_equal(page_writer_start(&w, 0), 0);
	write_text(&w.sb, &ref, 3000, 5);
	assert_int_equal(page_writer_finish(&w, &p), 0);
	/* A block header of the reserved type 3: invalid whatever follows. */
	p.gz[GZIP_HEADER_LEN] = (char)0x07;
	assert_int_equal(zpage_text(&p, PAGE_ALL, &text, &len), -EBADMSG);
	zpage_free(&p);
	sb_free(&ref);
}

struct sink {
	struct strbuf got;
	size_t calls, largest;
	int fail_at;		/* the call that fails, 0: none */
};

static int sink_take(void *ctx, const char *buf, size_t len)
{
	struct sink *k = ctx;

	if (++k->calls == (size_t)k->fail_at)
		return -EIO;
	if (len > k->largest)
		k->largest = len;
	sb_append(&k->got, buf, len);
	return 0;
}

/* A drained buffer stays at its size, hands over every byte in order, and
 * grows only for one append larger than itself. */
static void test_strbuf_drain(void **state)
{
	struct sink k = {0};
	struct strbuf sb = {0}, ref = {0};
	char big[3000];

	(void)state;
	assert_int_equal(sb_drain_to(&sb, 512, sink_take, &k), 0);
	for (int i = 0; i < 1000; i++) {
		sb_printf(&sb, "line %d\n", i);
		sb_printf(&ref, "line %d\n", i);
	}
	assert_true(sb.cap <= 512);
	memset(big, 'b', sizeof(big));
	sb_append(&sb, big, sizeof(big));
	sb_append(&ref, big, sizeof(big));
	assert_int_equal(sb_drain(&sb), 0);
	assert_int_equal(sb.len, 0);
	assert_int_equal(k.got.len, ref.len);
	assert_memory_equal(k.got.buf, ref.buf, ref.len);
	assert_true(k.calls > 10);
	sb_free(&sb);
	sb_free(&ref);
	sb_free(&k.got);

	/* A drain that fails: sticky, as running out of memory is. */
	k = (struct sink){ .fail_at = 3 };
	sb = (struct strbuf){0};
	assert_int_equal(sb_drain_to(&sb, 256, sink_take, &k), 0);
	for (int i = 0; i < 200; i++)
		sb_printf(&sb, "line %d\n", i);
	assert_int_equal(sb_error(&sb), -ENOMEM);
	assert_int_equal(k.calls, 3);
	assert_int_equal(sb_drain(&sb), -ENOMEM);
	sb_free(&sb);
	sb_free(&k.got);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_roundtrip),
		cmocka_unit_test(test_page_reader_blocks),
		cmocka_unit_test(test_page_reader_damaged),
		cmocka_unit_test(test_strbuf_drain),
	};

	return UNIT_RUN("snapshot", tests, argc, argv);
}
