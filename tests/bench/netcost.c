// SPDX-License-Identifier: GPL-2.0-only
/* What the network programs cost a packet, for make bench, two ways:
 *
 *   netcost empty DIR
 *       Attaches an empty cgroup_skb program (return 1) to the cgroup DIR,
 *       ingress and egress, through bpf_links, as the agent attaches its
 *       own; prints "ready" once attached, waits for a line on stdin (or
 *       its end), then prints the two programs' run_time_ns and run_cnt
 *       from the kernel's BPF statistics as one JSON object. Beside the
 *       agent's programs on the same traffic, it is what the statistics
 *       charge a program that does nothing: two clock reads, which are
 *       dear in a virtual machine, are in every run's time.
 *
 *   netcost run CGROUP REPEAT PROG_ID...
 *       Moves itself into CGROUP, then runs each program (by id) and an
 *       empty one REPEAT times on one 1,054-byte TCP/IPv4 packet
 *       (BPF_PROG_TEST_RUN, whose skb belongs to a socket of this
 *       process's cgroup), and prints the kernel's average ns per run of
 *       each as one JSON object: the program alone, without the
 *       statistics' clock reads.
 *
 * Needs root (bpf_prog_get_fd_by_id, attaching to a cgroup). Exits
 * non-zero when something failed, saying what. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "events/prog_stats.h"

/* r0 = 1; exit */
static const struct bpf_insn pass[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static int load_empty(enum bpf_attach_type at)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = at);
	int fd = bpf_prog_load(BPF_PROG_TYPE_CGROUP_SKB, "netcost_empty", "GPL", pass, 2, &o);

	if (fd < 0)
		fprintf(stderr, "netcost: loading an empty program: %s\n", strerror(-fd));
	return fd;
}

static int cmd_empty(const char *dir)
{
	int cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), in, eg;
	struct prog_stats st[2];
	char buf[64];

	if (cg < 0) {
		fprintf(stderr, "netcost: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	in = load_empty(BPF_CGROUP_INET_INGRESS);
	eg = load_empty(BPF_CGROUP_INET_EGRESS);
	if (in < 0 || eg < 0)
		return 1;
	if (bpf_link_create(in, cg, BPF_CGROUP_INET_INGRESS, NULL) < 0 ||
	    bpf_link_create(eg, cg, BPF_CGROUP_INET_EGRESS, NULL) < 0) {
		fprintf(stderr, "netcost: attaching to %s: %s\n", dir, strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	if (!fgets(buf, sizeof(buf), stdin) && ferror(stdin))
		return 1;
	if (prog_stats_read(in, &st[0]) < 0 || prog_stats_read(eg, &st[1]) < 0)
		return 1;
	printf("{\"ingress\": {\"run_time_ns\": %" PRIu64 ", \"run_cnt\": %" PRIu64 "}, "
	       "\"egress\": {\"run_time_ns\": %" PRIu64 ", \"run_cnt\": %" PRIu64 "}}\n",
	       st[0].run_time_ns, st[0].run_cnt, st[1].run_time_ns, st[1].run_cnt);
	return 0;	/* the links go with the process */
}

/* An Ethernet frame: IPv4, TCP, 1,000 bytes of data (test runs of
 * cgroup_skb programs take the frame and hand them the IP packet). */
static size_t packet(unsigned char *p)
{
	unsigned char ip[20] = { 0x45, 0, 0x04, 0x1c, 0, 0, 0x40, 0, 64, 6, 0, 0,
				 127, 0, 0, 1, 127, 0, 0, 1 };
	size_t n = 0;

	memset(p, 0, 14);
	p[12] = 0x08;
	n = 14;
	memcpy(p + n, ip, sizeof(ip));
	n += sizeof(ip);
	memset(p + n, 0, 20);
	p[n + 12] = 0x50;
	n += 20;
	memset(p + n, 'x', 1000);
	return n + 1000;
}

static int test_run(int fd, unsigned repeat, const unsigned char *pkt, size_t len,
		    uint32_t *ret_ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = (uint32_t)len,
		    .repeat = repeat);
	int r = bpf_prog_test_run_opts(fd, &o);

	if (r < 0)
		return r;
	if (o.retval != 1) {
		fprintf(stderr, "netcost: a program returned %u, not 1\n", o.retval);
		return -EINVAL;
	}
	*ret_ns = o.duration;
	return 0;
}

static int cmd_run(const char *cgroup, unsigned repeat, int nids, char **ids)
{
	unsigned char pkt[1100];
	size_t len = packet(pkt);
	char path[4096], pid[32];
	uint32_t ns;
	int fd, empty, n;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	n = snprintf(pid, sizeof(pid), "%d", getpid());
	if (fd < 0 || write(fd, pid, (size_t)n) != n) {
		fprintf(stderr, "netcost: moving into %s: %s\n", cgroup, strerror(errno));
		return 1;
	}
	close(fd);
	empty = load_empty(BPF_CGROUP_INET_EGRESS);
	if (empty < 0)
		return 1;
	printf("{");
	for (int i = 0; i < nids; i++) {
		int pfd = bpf_prog_get_fd_by_id((uint32_t)strtoul(ids[i], NULL, 10));

		/* one run first: the cgroup's slot is taken then, not timed */
		if (pfd < 0 || test_run(pfd, 1, pkt, len, &ns) < 0 ||
		    test_run(pfd, repeat, pkt, len, &ns) < 0) {
			fprintf(stderr, "netcost: program %s: %s\n", ids[i], strerror(errno));
			return 1;
		}
		printf("\"%s\": %u, ", ids[i], ns);
		close(pfd);
	}
	if (test_run(empty, repeat, pkt, len, &ns) < 0) {
		fprintf(stderr, "netcost: the empty program: %s\n", strerror(errno));
		return 1;
	}
	printf("\"empty\": %u}\n", ns);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "empty"))
		return cmd_empty(argv[2]);
	if (argc >= 5 && !strcmp(argv[1], "run"))
		return cmd_run(argv[2], (unsigned)strtoul(argv[3], NULL, 10), argc - 4, argv + 4);
	fprintf(stderr, "usage: netcost empty DIR | netcost run CGROUP REPEAT PROG_ID...\n");
	return 2;
}
