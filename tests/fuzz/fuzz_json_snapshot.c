// SPDX-License-Identifier: GPL-2.0-only
/* json_parse_snapshot (what `top --url` reads from an agent): whatever the
 * bytes, either -EINVAL/-ENOMEM or a snapshot whose offsets and ranges all
 * lie inside it; printed again with json_snapshot() it parses again, and the
 * second print is the same text as the first (a fixed point after one round). */
#include <errno.h>

#include "fuzz.h"
#include "json/json_snapshot.h"

static char *print(const struct snapshot *s)
{
	struct strbuf sb = {0};
	char *text;

	CHECK(json_snapshot(s, NULL, &sb) == 0);
	text = sb_steal(&sb, NULL);
	CHECK(text);
	return text;
}

static void check_bounds(const struct snapshot *s)
{
	CHECK(s->root);
	CHECK(s->n == 0 || s->cgroups);
	CHECK(s->io.len <= s->io.cap);
	CHECK(s->mem_stat.len <= s->mem_stat.cap);
	for (size_t i = 0; i < s->n; i++) {
		const struct cgroup_sample *c = &s->cgroups[i];

		CHECK(c->path_off < s->strings_len);
		CHECK(memchr(s->strings + c->path_off, '\0', s->strings_len - c->path_off));
		if (cg_has(&c->v, F_IO_STAT))
			CHECK(c->v.io_first <= s->io.len &&
			      c->v.io_count <= s->io.len - c->v.io_first);
		if (cg_has(&c->v, F_MEMORY_STAT))
			CHECK(c->v.mem_stat_row < s->mem_stat.len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size), *t1, *t2;
	struct snapshot *s = NULL, *s2 = NULL;
	int r;

	r = json_parse_snapshot(buf, size, &s);
	CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
	if (r < 0) {
		CHECK(s == NULL);	/* not written on failure */
		free(buf);
		return 0;
	}
	check_bounds(s);
	t1 = print(s);
	r = json_parse_snapshot(t1, strlen(t1), &s2);
	if (r != 0)
		fprintf(stderr, "printed snapshot does not parse back: %s\n", t1);
	CHECK(r == 0);
	check_bounds(s2);
	CHECK(s2->n == s->n);
	t2 = print(s2);
	if (strcmp(t1, t2))
		fprintf(stderr, "first print:  %s\nsecond print: %s\n", t1, t2);
	CHECK(!strcmp(t1, t2));
	free(t2);
	free(t1);
	snapshot_unref(s2);
	snapshot_unref(s);
	free(buf);
	return 0;
}
