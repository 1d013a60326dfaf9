// SPDX-License-Identifier: GPL-2.0-only
/* Seeds of the record fuzz target: the synthetic recording of
 * record_corpus.h whole (as a segment to read, in pieces of the fuzzer's
 * largest input), and a few ways to damage it.
 *
 *   seed_record OUTDIR */
#include <stdio.h>

#include "record_corpus.h"

static int write_seed(const char *dir, const char *name, uint8_t mode, const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fputc(mode, f) == EOF || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "seed_record: cannot write %s\n", path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const uint8_t flip[] = { 0x1c, 0x40, 0x00, 0x00, 0x00 };
	static const uint8_t zeros[] = { 0x7d, 0x00, 0x02, 0x00, 0x00, 0x02, 0x00, 0x10, 0x00, 0x00 };
	struct rc_corpus co;
	int r = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: seed_record OUTDIR\n");
		return 2;
	}
	if (rc_build(&co) < 0) {
		fprintf(stderr, "seed_record: out of memory\n");
		return 1;
	}
	/* The fuzzer takes 8 KiB at most: the segment from each cycle frame on. */
	for (int k = 0; k < RC_CYCLES; k += RC_KEY_EVERY) {
		char name[32];
		size_t n = co.seg.len - co.cyc[k].off;

		snprintf(name, sizeof(name), "segment-%02d", k);
		r |= write_seed(argv[1], name, 0, co.seg.buf + co.cyc[k].off, n > 8000 ? 8000 : n);
	}
	r |= write_seed(argv[1], "flip", 1, flip, sizeof(flip));
	r |= write_seed(argv[1], "zeros", 1, zeros, sizeof(zeros));
	rc_free(&co);
	return r;
}
