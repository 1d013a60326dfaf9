// SPDX-License-Identifier: GPL-2.0-only
/* What the kernel's BPF statistics charge a program that does nothing on
 * the tracepoints of the events programs, for make bench:
 *
 *   evcost empty TRACEPOINT...
 *       Loads an empty tp_btf program (return 0) for each tracepoint
 *       (sched_process_fork, cgroup_attach_task, ...) and attaches it, as
 *       the agent attaches its own; prints "ready" once attached, waits for
 *       a line on stdin (or its end), then prints each program's
 *       run_time_ns and run_cnt from the kernel's BPF statistics as one
 *       JSON object. Run beside the agent's programs on the same events,
 *       it is what every run of a program costs here before it does
 *       anything: the statistics' two clock reads (dear in a virtual
 *       machine) and the trampoline's entry and exit.
 *
 * Needs root. Exits non-zero when something failed, saying what. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "events/prog_stats.h"

#define MAX_TPS 8

/* r0 = 0; exit */
static const struct bpf_insn ret0[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static int load_empty(const char *tp)
{
	int id = libbpf_find_vmlinux_btf_id(tp, BPF_TRACE_RAW_TP);
	int fd;

	if (id < 0) {
		fprintf(stderr, "evcost: %s: no such tracepoint in the kernel's BTF: %s\n", tp,
			strerror(-id));
		return id;
	}
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_TRACE_RAW_TP,
		    .attach_btf_id = (__u32)id);
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "evcost_empty", "GPL", ret0, 2, &o);
	if (fd < 0) {
		fprintf(stderr, "evcost: %s: loading an empty program: %s\n", tp, strerror(-fd));
		return fd;
	}
	if (bpf_raw_tracepoint_open(NULL, fd) < 0) {
		fprintf(stderr, "evcost: %s: attaching: %s\n", tp, strerror(errno));
		return -errno;
	}
	return fd;
}

int main(int argc, char **argv)
{
	int fds[MAX_TPS], n = argc - 2;
	struct prog_stats st;
	int r;
	char buf[64];

	if (argc < 3 || strcmp(argv[1], "empty") || n > MAX_TPS) {
		fprintf(stderr, "usage: evcost empty TRACEPOINT... (at most %d)\n", MAX_TPS);
		return 2;
	}
	for (int i = 0; i < n; i++) {
		fds[i] = load_empty(argv[i + 2]);
		if (fds[i] < 0)
			return 1;
	}
	printf("ready\n");
	fflush(stdout);
	if (!fgets(buf, sizeof(buf), stdin) && ferror(stdin))
		return 1;
	printf("{");
	for (int i = 0; i < n; i++) {
		r = prog_stats_read(fds[i], &st);
		if (r < 0) {
			fprintf(stderr, "evcost: %s: statistics: %s\n", argv[i + 2], strerror(-r));
			return 1;
		}
		printf("%s\"%s\": {\"run_time_ns\": %" PRIu64 ", \"run_cnt\": %" PRIu64 "}",
		       i ? ", " : "", argv[i + 2], st.run_time_ns, st.run_cnt);
	}
	printf("}\n");
	return 0;	/* the programs and their attachments go with the process */
}
