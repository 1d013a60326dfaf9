// SPDX-License-Identifier: GPL-2.0-only
/* parse_u64_or_max against a model: the text (less trailing newlines and
 * spaces) is "max" or decimal digits that fit 64 bits; an accepted number
 * prints back as the same digits, leading zeros aside. */
#include <errno.h>
#include <inttypes.h>

#include "fuzz.h"
#include "cgroupfs/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size), text[32];
	const uint64_t canary = 0x5a5a5a5a5a5a5a5aull;
	uint64_t v = canary, model = 0;
	size_t len = size, z = 0;
	bool ok = true;
	int r;

	r = parse_u64_or_max(buf, size, &v);
	CHECK(r == 0 || r == -EINVAL);

	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		len--;
	if (len == 3 && !memcmp(buf, "max", 3)) {
		model = UINT64_MAX;
	} else {
		ok = len > 0;
		for (size_t i = 0; ok && i < len; i++)
			ok = buf[i] >= '0' && buf[i] <= '9' &&
			     !__builtin_mul_overflow(model, 10, &model) &&
			     !__builtin_add_overflow(model, (uint64_t)(buf[i] - '0'), &model);
	}
	if (!ok) {
		CHECK(r == -EINVAL);
		CHECK(v == canary);	/* untouched on failure */
		free(buf);
		return 0;
	}
	CHECK(r == 0);
	CHECK(v == model);
	if (!(len == 3 && !memcmp(buf, "max", 3))) {
		/* Round trip: the value prints back as the digits it came from. */
		while (z + 1 < len && buf[z] == '0')
			z++;
		snprintf(text, sizeof(text), "%" PRIu64, v);
		CHECK(strlen(text) == len - z && !memcmp(text, buf + z, len - z));
		/* and the printed form parses to the same value. */
		v = canary;
		CHECK(parse_u64_or_max(text, strlen(text), &v) == 0 && v == model);
	}
	free(buf);
	return 0;
}
