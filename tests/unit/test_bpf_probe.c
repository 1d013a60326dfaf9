// SPDX-License-Identifier: GPL-2.0-only
/* The probe on this machine's kernel (root, BTF at /sys/kernel/btf/vmlinux,
 * as make test runs): answers stay the same once the kernel's BTF is
 * released, and a section not asked before is refused, saying why. Also
 * what every BPF user shares: the one table of hook names, libbpf's
 * messages as lines, the loader's account of each feature, and a program's
 * run statistics. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "events/bpf_loader.h"
#include "events/bpf_probe.h"
#include "events/hook.h"
#include "events/prog_stats.h"
#include "kernel/kernel_btf.h"
#include "lib/macros.h"

static void test_answers_outlive_the_btf(void **state)
{
	static const char *const secs[] = {
		"tp_btf/cgroup_mkdir",		/* exists on every kernel with BTF */
		"raw_tp/cgroup_attach_task",
		"tp_btf/no_such_tracepoint_here",
		"fentry/no_such_function_here",
		"iter/task",
	};
	int before[ARRAY_SIZE(secs)];
	const char *why[ARRAY_SIZE(secs)];
	struct bpf_probe *p;

	(void)state;
	UNIT_NEED_ROOT();
	assert_int_equal(bpf_probe_new(&p), 0);
	for (size_t i = 0; i < ARRAY_SIZE(secs); i++) {
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
	for (size_t i = 0; i < ARRAY_SIZE(secs); i++) {
		assert_int_equal(bpf_probe_section(p, secs[i]), before[i]);
		assert_ptr_equal(bpf_probe_reason(p), why[i]);
	}
	/* Not asked while the BTF was there: refused, with the reason. */
	assert_int_equal(bpf_probe_section(p, "tp_btf/cgroup_rmdir"), -ENOENT);
	assert_non_null(strstr(bpf_probe_reason(p), "BTF was released"));
	bpf_probe_free(p);
}

static void test_hook_names(void **state)
{
	static const char *const names[] = {
		"none", "tracepoint", "tp_btf", "raw_tp", "fentry", "kprobe", "poll",
		"cgroup_skb",
	};
	enum cgscope_hook h;
	uint32_t mask;

	(void)state;
	/* One name per kind, in the record's numbering, and back. */
	assert_int_equal(ARRAY_SIZE(names), CGSCOPE_HOOKS);
	for (uint32_t k = 0; k < CGSCOPE_HOOKS; k++) {
		assert_string_equal(hook_name(k), names[k]);
		assert_int_equal(hook_parse(names[k], &h), 0);
		assert_int_equal(h, k);
	}
	assert_int_equal(CGSCOPE_HOOK_TP_BTF, 2);	/* records already carry these */
	assert_int_equal(CGSCOPE_HOOK_POLL, 6);
	assert_int_equal(CGSCOPE_HOOK_CGROUP_SKB, 7);
	assert_string_equal(hook_name(CGSCOPE_HOOKS), "unknown");
	assert_int_equal(hook_parse("TP_BTF", &h), -EINVAL);

	assert_int_equal(hook_mask_parse("tp_btf,kprobe", &mask), 0);
	assert_int_equal(mask, (1u << CGSCOPE_HOOK_TP_BTF) | (1u << CGSCOPE_HOOK_KPROBE));
	mask = 7;
	/* Only hooks that BPF gives can be denied; the mask is left alone. */
	assert_int_equal(hook_mask_parse("none", &mask), -EINVAL);
	assert_int_equal(hook_mask_parse("poll", &mask), -EINVAL);
	assert_int_equal(hook_mask_parse("", &mask), -EINVAL);
	assert_int_equal(hook_mask_parse("tp_btf,", &mask), -EINVAL);
	assert_int_equal(hook_mask_parse("tp_btf,,raw_tp", &mask), -EINVAL);
	assert_int_equal(hook_mask_parse("fentryfentryfentry", &mask), -EINVAL);
	assert_int_equal(mask, 7);
}

static char lines[16][512];
static int levels[16];
static int nlines;

static void capture(enum libbpf_print_level level, const char *line)
{
	if (nlines < 16) {
		snprintf(lines[nlines], sizeof(lines[0]), "%s", line);
		levels[nlines++] = level;
	}
}

static void test_libbpf_messages_are_lines(void **state)
{
	struct bpf_object *obj;

	(void)state;
	nlines = 0;
	kernel_libbpf_log_to(capture);
	obj = bpf_object__open_file("/nonexistent/cgscope.bpf.o", NULL);
	kernel_libbpf_log_to(NULL);
	assert_null(obj);
	assert_true(nlines >= 1);
	for (int i = 0; i < nlines; i++) {
		assert_null(strchr(lines[i], '\n'));
		assert_int_not_equal(strncmp(lines[i], "libbpf: ", 8), 0);
	}
	/* "loading object from ..." (debug), then the warning */
	assert_int_equal(nlines, 2);
	assert_int_equal(levels[0], LIBBPF_DEBUG);
	assert_int_equal(levels[1], LIBBPF_WARN);
	assert_string_equal(lines[1], "elf: failed to open /nonexistent/cgscope.bpf.o: "
			    "No such file or directory");
	/* Dropped once no one listens. */
	nlines = 0;
	assert_null(bpf_object__open_file("/nonexistent/cgscope.bpf.o", NULL));
	assert_int_equal(nlines, 0);
}

static void test_open_opts_name_the_kernel_btf(void **state)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct btf *btf;

	(void)state;
	kernel_bpf_open_opts(&opts);
	/* libbpf then never lists module BTF, which needs CAP_SYS_ADMIN. */
	assert_string_equal(opts.btf_custom_path, KERNEL_BTF_SYSFS);
	btf = kernel_btf_load();
	assert_non_null(btf);
	assert_true(btf__find_by_name_kind(btf, "cgroup", BTF_KIND_STRUCT) > 0);
	btf__free(btf);
}

static void test_loader_tells_fallbacks_from_failures(void **state)
{
	struct bpf_loader_opts o = {
		.deny_hooks = (1u << CGSCOPE_HOOK_TP_BTF) | (1u << CGSCOPE_HOOK_RAW_TP) |
			      (1u << CGSCOPE_HOOK_TRACEPOINT) | (1u << CGSCOPE_HOOK_FENTRY) |
			      (1u << CGSCOPE_HOOK_KPROBE),
	};
	const struct bpf_hook *h;
	struct bpf_loader *l;
	size_t n;

	(void)state;
	UNIT_NEED_ROOT();
	/* Every hook denied: every feature falls back, none failed. */
	assert_int_equal(bpf_loader_open(&o, &l), 0);
	n = bpf_loader_hooks(l, &h);
	assert_int_equal(n, BPF_FEATURES);
	assert_int_equal(bpf_loader_failed(l), 0);
	for (size_t f = 0; f < n; f++) {
		bool net = f == BPF_FEATURE_NETWORK || f == BPF_FEATURE_TCP_RETRANSMIT;

		assert_int_equal(h[f].feature, f);
		/* network is asked for on its own (opts.network) */
		assert_int_equal(h[f].state, net ? BPF_FEATURE_OFF : BPF_FEATURE_UNAVAILABLE);
		assert_int_equal(h[f].err, 0);
		assert_int_equal(h[f].hook, f == BPF_FEATURE_THROTTLE ? CGSCOPE_HOOK_POLL
								    : CGSCOPE_HOOK_NONE);
	}
	assert_string_equal(h[BPF_FEATURE_MIGRATION].detail, "tp_btf: denied by option; "
			    "raw_tp: denied by option; tracepoint: denied by option");
	assert_string_equal(h[BPF_FEATURE_OOM_DOMAIN].detail, "no oom hook to add to");
	assert_string_equal(h[BPF_FEATURE_NETWORK].detail, "not requested");
	bpf_loader_close(l);

	/* Network asked for, its hook denied: it falls back to none, and
	 * the retransmits that add to it have nothing to add to. */
	o.network = true;
	o.counters = true;
	o.cgroup_root = "/";
	o.deny_hooks = 1u << CGSCOPE_HOOK_CGROUP_SKB;
	assert_int_equal(bpf_loader_open(&o, &l), 0);
	bpf_loader_hooks(l, &h);
	assert_int_equal(bpf_loader_failed(l), 0);
	assert_int_equal(h[BPF_FEATURE_NETWORK].state, BPF_FEATURE_UNAVAILABLE);
	assert_string_equal(h[BPF_FEATURE_NETWORK].detail, "cgroup_skb: denied by option");
	assert_int_equal(h[BPF_FEATURE_TCP_RETRANSMIT].state, BPF_FEATURE_UNAVAILABLE);
	assert_string_equal(h[BPF_FEATURE_TCP_RETRANSMIT].detail, "no network hook to add to");
	assert_null(bpf_loader_net_counters(l));
	bpf_loader_close(l);

	/* A watched cgroup that cannot be opened fails network, at "open",
	 * and nothing else. */
	o.deny_hooks = 0;
	o.cgroup_root = "/nonexistent/cgroup";
	assert_int_equal(bpf_loader_open(&o, &l), 0);
	bpf_loader_hooks(l, &h);
	assert_int_equal(h[BPF_FEATURE_NETWORK].state, BPF_FEATURE_FAILED);
	assert_int_equal(h[BPF_FEATURE_NETWORK].err, -ENOENT);
	assert_string_equal(bpf_stage_name(h[BPF_FEATURE_NETWORK].err_stage), "open");
	assert_int_equal(h[BPF_FEATURE_LIFECYCLE].state, BPF_FEATURE_HOOKED);
	bpf_loader_close(l);

	/* Only mkdir wanted: lifecycle hooked (tp_btf on every kernel with BTF),
	 * the others not loaded at all. */
	o = (struct bpf_loader_opts){ .type_mask = CGSCOPE_EV_MASK(CGSCOPE_EV_MKDIR) };
	assert_int_equal(bpf_loader_open(&o, &l), 0);
	bpf_loader_hooks(l, &h);
	for (size_t f = 0; f < BPF_FEATURES; f++) {
		if (f == BPF_FEATURE_LIFECYCLE) {
			assert_int_equal(h[f].state, BPF_FEATURE_HOOKED);
			assert_string_equal(hook_name(h[f].hook), "tp_btf");
		} else {
			assert_int_equal(h[f].state, BPF_FEATURE_OFF);
			assert_string_equal(h[f].detail, "not requested");
		}
	}
	bpf_loader_close(l);
}

static void test_without_bpf(void **state)
{
	struct bpf_hook h[BPF_FEATURES];
	char buf[256];

	(void)state;
	/* BPF refused as a whole: every feature failed at "open". */
	bpf_hooks_without_bpf(-EPERM, h);
	for (int f = 0; f < BPF_FEATURES; f++) {
		assert_int_equal(h[f].state, BPF_FEATURE_FAILED);
		assert_int_equal(h[f].err, -EPERM);
		assert_string_equal(bpf_stage_name(h[f].err_stage), "open");
		assert_string_equal(hook_name(h[f].err_hook), "none");
	}
	bpf_hooks_summary(h, BPF_FEATURES, buf, sizeof(buf));
	assert_string_equal(buf, "migration=none migration_src=none lifecycle=none freeze=none oom=none "
			    "oom_domain=none throttle=poll network=none tcp_retransmit=none");
	/* --no-bpf: a choice, not a failure. */
	bpf_hooks_without_bpf(0, h);
	for (int f = 0; f < BPF_FEATURES; f++)
		assert_int_equal(h[f].state, BPF_FEATURE_UNAVAILABLE);
}

/* The statistics the loader reports and the benchmark measures by: as many
 * runs as the program ran (BPF_PROG_TEST_RUN counts while the kernel keeps
 * statistics), the same figures as BPF_OBJ_GET_INFO_BY_FD gives, and the
 * error of a descriptor that is no program. */
static void test_prog_stats(void **state)
{
	static const struct bpf_insn ret0[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	unsigned char pkt[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .repeat = 7);
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	struct prog_stats st;
	int stats_fd, fd, null;

	(void)state;
	UNIT_NEED_ROOT();
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	assert_true(stats_fd >= 0);
	fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "test_stats", "GPL", ret0,
			   ARRAY_SIZE(ret0), NULL);
	assert_true(fd >= 0);
	assert_int_equal(prog_stats_read(fd, &st), 0);
	assert_int_equal(st.run_cnt, 0);
	assert_int_equal(st.run_time_ns, 0);
	assert_int_equal(bpf_prog_test_run_opts(fd, &run), 0);
	assert_int_equal(prog_stats_read(fd, &st), 0);
	assert_int_equal(st.run_cnt, 7);
	assert_int_equal(st.recursion_misses, 0);
	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	assert_int_equal(st.run_cnt, info.run_cnt);
	assert_int_equal(st.run_time_ns, info.run_time_ns);
	close(fd);
	close(stats_fd);
	/* not a BPF program: neither way answers */
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(null >= 0);
	assert_true(prog_stats_read(null, &st) < 0);
	close(null);
}

/* What the probe reads from tracepoint prototypes in the kernel's BTF,
 * against the kernel's release: oom:mark_victim passes its task since 6.9,
 * tcp:tcp_retransmit_skb its err since 6.10. A reading of the wrong
 * argument, or of a prototype not found, gives the other answer on one
 * side of those releases. */
static void test_tracepoint_prototypes(void **state)
{
	struct utsname u;
	unsigned major = 0, minor = 0, v;
	struct bpf_probe *p;

	(void)state;
	UNIT_NEED_ROOT();
	assert_int_equal(uname(&u), 0);
	assert_int_equal(sscanf(u.release, "%u.%u", &major, &minor), 2);
	v = major * 1000 + minor;
	assert_int_equal(bpf_probe_new(&p), 0);
	assert_int_equal(bpf_probe_mark_victim_has_task(p), v >= 6009);
	assert_int_equal(bpf_probe_tcp_retransmit_has_err(p), v >= 6010);
	bpf_probe_free(p);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answers_outlive_the_btf),
		cmocka_unit_test(test_hook_names),
		cmocka_unit_test(test_libbpf_messages_are_lines),
		cmocka_unit_test(test_open_opts_name_the_kernel_btf),
		cmocka_unit_test(test_loader_tells_fallbacks_from_failures),
		cmocka_unit_test(test_without_bpf),
		cmocka_unit_test(test_prog_stats),
		cmocka_unit_test(test_tracepoint_prototypes),
	};

	return UNIT_RUN("bpf_probe", tests, argc, argv);
}
