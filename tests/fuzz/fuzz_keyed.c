// SPDX-License-Identifier: GPL-2.0-only
/* parse_keyed with every key table the collector uses (agent/cgroupfs/cgroup_values.h),
 * against a model: lines "KEY DIGITS", a key the table has goes to its slot
 * (the last occurrence wins), other keys are skipped, anything else makes the
 * whole file -EINVAL and leaves the values untouched. The count returned is
 * the number of distinct keys of the table that were found. */
#include <errno.h>

#include "cgroupfs/cgroup_values.h"
#include "fuzz.h"
#include "lib/macros.h"

static const struct {
	const char *const *keys;
	unsigned n;
} tables[] = {
	{ cgroup_events_keys, CGEV_NR },
	{ cgroup_stat_keys, CGSTAT_NR },
	{ cpu_stat_keys, CPU_NR },
	{ memory_events_keys, MEMEV_NR },
	{ swap_events_keys, SWAPEV_NR },
	{ pids_events_keys, PIDSEV_NR },
	{ memory_stat_keys, MEMSTAT_NR },
};

#define MAXKEYS MEMSTAT_NR
#define CANARY 0x3c3c3c3c3c3c3c3cull

/* The model: -EINVAL, or the count, with values filled. */
static int model(const char *buf, size_t len, const char *const *keys,
		 unsigned nkeys, uint64_t *values)
{
	bool seen[MAXKEYS] = { false };
	const char *p = buf, *end = buf + len;
	int found = 0;

	for (unsigned i = 0; i < nkeys; i++)
		values[i] = CG_UNSET;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *sp;
		uint64_t v = 0;

		if (!eol)
			eol = end;
		sp = memchr(p, ' ', (size_t)(eol - p));
		if (!sp || sp == p || sp + 1 == eol)
			return -EINVAL;
		for (const char *d = sp + 1; d < eol; d++)
			if (*d < '0' || *d > '9' ||
			    __builtin_mul_overflow(v, 10, &v) ||
			    __builtin_add_overflow(v, (uint64_t)(*d - '0'), &v))
				return -EINVAL;
		for (unsigned i = 0; i < nkeys; i++) {
			if (strlen(keys[i]) != (size_t)(sp - p) ||
			    memcmp(keys[i], p, (size_t)(sp - p)))
				continue;
			if (!seen[i])
				found++;
			seen[i] = true;
			values[i] = v;
			break;
		}
		p = eol + 1;
	}
	return found;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size);

	for (size_t t = 0; t < ARRAY_SIZE(tables); t++) {
		/* One slot more than the table, to see a write past its end. */
		uint64_t got[MAXKEYS + 1], want[MAXKEYS];
		unsigned n = tables[t].n;
		int r, m;

		for (unsigned i = 0; i <= n; i++)
			got[i] = CANARY;
		r = parse_keyed(buf, size, tables[t].keys, n, got);
		m = model(buf, size, tables[t].keys, n, want);
		CHECK(r == m);
		CHECK(got[n] == CANARY);
		if (r < 0) {
			for (unsigned i = 0; i < n; i++)
				CHECK(got[i] == CANARY);	/* untouched on failure */
			continue;
		}
		CHECK((unsigned)r <= n);
		CHECK(!memcmp(got, want, n * sizeof(uint64_t)));
	}
	free(buf);
	return 0;
}
