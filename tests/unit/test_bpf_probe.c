// SPDX-License-Identifier: GPL-2.0-only
/* The probe on this machine's kernel (root, BTF at /sys/kernel/btf/vmlinux,
 * as make test runs): answers stay the same once the kernel's BTF is
 * released, and a section not asked before is refused, saying why. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "events/bpf_probe.h"

static void test_answers_outlive_the_btf(void **state)
{
	static const char *const secs[] = {
		"tp_btf/cgroup_mkdir",		/* exists on every kernel with BTF */
		"raw_tp/cgroup_attach_task",
		"tp_btf/no_such_tracepoint_here",
		"fentry/no_such_function_here",
		"iter/task",
	};
	int before[sizeof(secs) / sizeof(secs[0])];
	const char *why[sizeof(secs) / sizeof(secs[0])];
	struct bpf_probe *p;

	(void)state;
	UNIT_NEED_ROOT();
	assert_int_equal(bpf_probe_new(&p), 0);
	for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		before[i] = bpf_probe_section(p, secs[i]);
		why[i] = bpf_probe_reason(p);
	}
	/* What the kernel has and has not, read from its BTF. */
	assert_int_equal(before[0], 0);
	assert_int_equal(before[1], 0);
	assert_int_equal(before[2], -ENOENT);
	assert_string_equal(why[2], "no such tracepoint in this kernel");
	assert_int_equal(before[3], -ENOENT);
	assert_int_equal(before[4], 0);

	bpf_probe_release_btf(p);
	for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		assert_int_equal(bpf_probe_section(p, secs[i]), before[i]);
		assert_ptr_equal(bpf_probe_reason(p), why[i]);
	}
	/* Not asked while the BTF was there: refused, with the reason. */
	assert_int_equal(bpf_probe_section(p, "tp_btf/cgroup_rmdir"), -ENOENT);
	assert_non_null(strstr(bpf_probe_reason(p), "BTF was released"));
	bpf_probe_free(p);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answers_outlive_the_btf),
	};

	return UNIT_RUN("bpf_probe", tests, argc, argv);
}
