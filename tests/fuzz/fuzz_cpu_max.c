// SPDX-License-Identifier: GPL-2.0-only
/* parse_cpu_max against a model built on parse_u64_or_max (fuzzed on its
 * own): "QUOTA PERIOD", split at the first space, period a number > 0. */
#include <errno.h>
#include <inttypes.h>

#include "fuzz.h"
#include "cgroupfs/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size), text[64];
	const uint64_t canary = 0xa5a5a5a5a5a5a5a5ull;
	uint64_t q = canary, p = canary, mq, mp;
	const char *sp = memchr(buf, ' ', size);
	bool ok;
	int r;

	r = parse_cpu_max(buf, size, &q, &p);
	CHECK(r == 0 || r == -EINVAL);
	ok = sp && parse_u64_or_max(buf, (size_t)(sp - buf), &mq) == 0 &&
	     parse_u64_or_max(sp + 1, size - (size_t)(sp + 1 - buf), &mp) == 0 &&
	     mp != CG_MAX && mp != 0;
	if (!ok) {
		CHECK(r == -EINVAL);
		CHECK(q == canary && p == canary);	/* untouched on failure */
		free(buf);
		return 0;
	}
	CHECK(r == 0 && q == mq && p == mp);
	/* What the kernel would print for these values parses back the same. */
	if (q == CG_MAX)
		snprintf(text, sizeof(text), "max %" PRIu64 "\n", p);
	else
		snprintf(text, sizeof(text), "%" PRIu64 " %" PRIu64 "\n", q, p);
	CHECK(parse_cpu_max(text, strlen(text), &mq, &mp) == 0 && mq == q && mp == p);
	free(buf);
	return 0;
}
