// SPDX-License-Identifier: GPL-2.0-only
/* Issue 20's pieces: subtree figures from the kernel's network table, the
 * page's, cAdvisor's, the JSON's and top's network figures, and the table
 * itself under real traffic (real BPF, as root): a client and a server in
 * two cgroups, their parent's figures, and a freed cgroup's counts moved
 * into its parent's. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/tcp.h>
#include <math.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "cgroupfs/mount.h"
#include "cmd/cycle.h"
#include "collect/collector.h"
#include "events/bpf_loader.h"
#include "events/cgroup_counters.h"
#include "events/net_tree.h"
#include "fixture.h"
#include "json/json_snapshot.h"
#include "prom/cadvisor_text.h"
#include "prom/prom_text.h"
#include "top/top_rows.h"
#include "top/top_view.h"

/* --- subtree figures ------------------------------------------------------ */

static void slot(struct cgc_tree *t, size_t i, uint64_t id, uint64_t parent, uint32_t level,
		 uint64_t rx, uint64_t tx, uint64_t gone_rx)
{
	struct cgscope_net_counts c = {
		.own = { .rx_bytes = rx, .rx_packets = rx ? 1 : 0, .tx_bytes = tx,
			 .tx_packets = tx ? 1 : 0, .tcp_retransmits = tx / 100 },
		.gone = { .rx_bytes = gone_rx },
	};

	t->slots[i] = (struct cgc_tree_slot){ .id = id, .parent = parent, .level = level };
	memcpy(t->values + i * t->n_u64, &c, sizeof(c));
}

static void test_subtree_figures(void **state)
{
	struct cgc_tree t = { .n = 6, .cap = 6, .n_u64 = sizeof(struct cgscope_net_counts) / 8 };
	struct net_tree nt = {0};
	const struct net_tree_entry *e;

	(void)state;
	t.slots = calloc(t.n, sizeof(*t.slots));
	t.values = calloc(t.n * t.n_u64, sizeof(*t.values));
	/* In slot order, not tree order: the root 10 (level 3) with a, b;
	 * a with x and y; b has a freed child's counts. */
	slot(&t, 0, 13, 11, 5, 1000, 2000, 0);		/* /a/x */
	slot(&t, 1, 10, 0, 3, 5, 0, 0);			/* / */
	slot(&t, 2, 12, 10, 4, 0, 300, 7000);		/* /b, and what its gone child did */
	slot(&t, 3, 14, 11, 5, 10, 20, 0);		/* /a/y */
	slot(&t, 4, 11, 10, 4, 1, 1, 100);		/* /a */
	slot(&t, 5, 99, 77, 9, 4, 4, 0);		/* a parent not in the table */
	assert_int_equal(net_tree_build(&t, &nt), 0);
	assert_int_equal(nt.n, 6);

	e = net_tree_find(&nt, 13);
	assert_non_null(e);
	assert_int_equal(e->total.rx_bytes, 1000);
	assert_int_equal(e->total.tcp_retransmits, 20);
	e = net_tree_find(&nt, 11);
	assert_int_equal(e->own.rx_bytes, 1);
	assert_int_equal(e->total.rx_bytes, 1 + 100 + 1000 + 10);
	assert_int_equal(e->total.tx_bytes, 1 + 2000 + 20);
	assert_int_equal(e->total.rx_packets, 3);
	e = net_tree_find(&nt, 12);
	assert_int_equal(e->own.rx_bytes, 0);
	assert_int_equal(e->total.rx_bytes, 7000);
	e = net_tree_find(&nt, 10);
	assert_int_equal(e->own.rx_bytes, 5);
	assert_int_equal(e->total.rx_bytes, 5 + 1111 + 7000);
	assert_int_equal(e->total.tx_bytes, 2021 + 300);
	assert_int_equal(e->total.tx_packets, 4);
	assert_int_equal(e->total.tcp_retransmits, 20 + 3);
	e = net_tree_find(&nt, 99);
	assert_int_equal(e->total.rx_bytes, 4);
	assert_null(net_tree_find(&nt, 77));
	assert_null(net_tree_find(&nt, 1));

	/* Built again from the same read: the same figures (the scratch is
	 * reused, nothing is added twice). */
	assert_int_equal(net_tree_build(&t, &nt), 0);
	assert_int_equal(net_tree_find(&nt, 10)->total.rx_bytes, 8116);
	/* Values of another table: refused. */
	t.n_u64 = 4;
	assert_int_equal(net_tree_build(&t, &nt), -EINVAL);
	t.n = 0;
	assert_int_equal(net_tree_build(&t, &nt), 0);
	assert_null(net_tree_find(&nt, 10));
	net_tree_free(&nt);
	cgc_tree_free(&t);
}

/* --- what is served ------------------------------------------------------- */

/* The V2 fixture (/ and /workload) as an agent with the network feature
 * would have it: figures for both, the root's its subtree's. */
static struct snapshot *net_snapshot(bool network, bool retransmits)
{
	struct collector *c;
	struct snapshot *s;

	assert_int_equal(collector_new(V2, &c), 0);
	assert_int_equal(collector_collect(c, &s), 0);
	collector_free(c);
	assert_int_equal(s->n, 2);
	s->events.nhooks = 1;
	snprintf(s->events.hooks[0].feature, sizeof(s->events.hooks[0].feature), "network");
	snprintf(s->events.hooks[0].hook, sizeof(s->events.hooks[0].hook), "cgroup_skb");
	s->events.network = network;
	s->events.tcp_retransmits = retransmits;
	s->events.net_slots = 4096;
	s->events.net_slots_used = 2;
	for (size_t i = 0; network && i < s->n; i++) {
		struct cgroup_sample *cg = &s->cgroups[i];

		cg->has_net = 1;
		cg->net_own = (struct cgscope_net_figures){ .rx_bytes = 10 + i, .rx_packets = 1,
							    .tx_bytes = 20 + i, .tx_packets = 2,
							    .tcp_retransmits = i };
	}
	if (network) {
		s->cgroups[1].net = s->cgroups[1].net_own;
		s->cgroups[0].net = (struct cgscope_net_figures){ 21, 2, 41, 4, 1 };
	}
	return s;
}

static char *page_of(struct snapshot *s, bool cadvisor)
{
	struct strbuf sb = {0};

	if (cadvisor)
		assert_int_equal(cadvisor_render_devnames(s, NULL, &sb), 0);
	else
		assert_int_equal(prom_render(s, &sb), 0);
	return sb_steal(&sb, NULL);
}

static void has(const char *page, const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "\n%s\n", line);
	if (!strstr(page, want))
		fail_msg("missing line: %s", line);
}

static void test_page_families(void **state)
{
	struct snapshot *s = net_snapshot(true, true);
	char *p = page_of(s, false);

	(void)state;
	has(p, "# TYPE cgroup_network_receive_bytes_total counter");
	/* the subtree's figures: the root's include /workload's */
	has(p, "cgroup_network_receive_bytes_total{cgroup=\"/\"} 21");
	has(p, "cgroup_network_receive_bytes_total{cgroup=\"/workload\"} 11");
	has(p, "cgroup_network_transmit_bytes_total{cgroup=\"/\"} 41");
	has(p, "cgroup_network_receive_packets_total{cgroup=\"/\"} 2");
	has(p, "cgroup_network_transmit_packets_total{cgroup=\"/workload\"} 2");
	has(p, "cgroup_tcp_retransmits_total{cgroup=\"/workload\"} 1");
	has(p, "cgscope_bpf_network_slots 4096");
	has(p, "cgscope_bpf_network_slots_used 2");
	has(p, "cgscope_bpf_network_uncounted_total 0");
	free(p);
	snapshot_unref(s);

	/* No retransmit hook: that family alone is absent. */
	s = net_snapshot(true, false);
	p = page_of(s, false);
	assert_non_null(strstr(p, "cgroup_network_receive_bytes_total{"));
	assert_null(strstr(p, "cgroup_tcp_retransmits_total"));
	free(p);
	snapshot_unref(s);

	/* No network hook: absent, not 0. */
	s = net_snapshot(false, false);
	p = page_of(s, false);
	assert_null(strstr(p, "cgroup_network_"));
	assert_null(strstr(p, "cgscope_bpf_network_"));
	assert_null(strstr(p, "cgroup_tcp_retransmits_total"));
	free(p);
	snapshot_unref(s);
}

static void test_cadvisor_families(void **state)
{
	struct snapshot *s = net_snapshot(true, true);
	char *p = page_of(s, true);

	(void)state;
	/* Each cgroup's own sockets: the root's own (10), not its subtree's
	 * (21), so that a sum over cgroups counts each byte once. */
	has(p, "# TYPE container_network_receive_bytes_total counter");
	has(p, "container_network_receive_bytes_total{container=\"\",id=\"/\",image=\"\",name=\"\",namespace=\"\",pod=\"\",interface=\"all\"} 10");
	has(p, "container_network_receive_bytes_total{container=\"\",id=\"/workload\",image=\"\",name=\"\",namespace=\"\",pod=\"\",interface=\"all\"} 11");
	has(p, "container_network_transmit_bytes_total{container=\"\",id=\"/\",image=\"\",name=\"\",namespace=\"\",pod=\"\",interface=\"all\"} 20");
	has(p, "container_network_receive_packets_total{container=\"\",id=\"/workload\",image=\"\",name=\"\",namespace=\"\",pod=\"\",interface=\"all\"} 1");
	has(p, "container_network_transmit_packets_total{container=\"\",id=\"/workload\",image=\"\",name=\"\",namespace=\"\",pod=\"\",interface=\"all\"} 2");
	free(p);
	snapshot_unref(s);

	s = net_snapshot(false, false);
	p = page_of(s, true);
	assert_null(strstr(p, "container_network_"));
	free(p);
	snapshot_unref(s);
}

static void test_json_round_trip(void **state)
{
	struct snapshot *s = net_snapshot(true, true), *back;
	struct strbuf sb = {0};
	char *text;

	(void)state;
	assert_int_equal(json_snapshot(s, NULL, &sb), 0);
	text = sb_steal(&sb, NULL);
	assert_non_null(strstr(text, "\"network\":{\"receive_bytes\":21,\"receive_packets\":2,"
				     "\"transmit_bytes\":41,\"transmit_packets\":4,"
				     "\"tcp_retransmits\":1,\"own\":{\"receive_bytes\":10,"));
	assert_int_equal(json_parse_snapshot(text, strlen(text), &back), 0);
	assert_int_equal(back->n, 2);
	assert_true(back->events.network && back->events.tcp_retransmits);
	for (size_t i = 0; i < 2; i++) {
		assert_true(back->cgroups[i].has_net);
		assert_memory_equal(&back->cgroups[i].net, &s->cgroups[i].net,
				    sizeof(s->cgroups[i].net));
		assert_memory_equal(&back->cgroups[i].net_own, &s->cgroups[i].net_own,
				    sizeof(s->cgroups[i].net_own));
	}
	free(text);
	snapshot_unref(back);
	snapshot_unref(s);

	/* Without the feature, no "network" key, and nothing parsed back. */
	s = net_snapshot(false, false);
	assert_int_equal(json_snapshot(s, NULL, &sb), 0);
	text = sb_steal(&sb, NULL);
	assert_null(strstr(text, "\"network\""));
	assert_int_equal(json_parse_snapshot(text, strlen(text), &back), 0);
	assert_false(back->cgroups[0].has_net || back->events.network);
	free(text);
	snapshot_unref(back);
	snapshot_unref(s);
}

static void test_top_rates_and_sort(void **state)
{
	struct snapshot *a = net_snapshot(true, true), *b = net_snapshot(true, true);
	struct top_view v = { .sort = TOP_SORT_NETWORK, .flat = true, .max_depth = -1 };
	struct top_row *rows;
	size_t n, order[2];
	enum top_sort sort;

	(void)state;
	assert_int_equal(top_sort_parse("network", &sort), 0);
	assert_int_equal(sort, TOP_SORT_NETWORK);
	/* Two seconds apart: the root received 2,000 bytes more, sent 500;
	 * /workload received 10,000. */
	a->taken_mono_ns = 1000000000;
	b->taken_mono_ns = 3000000000;
	b->cgroups[0].net.rx_bytes += 2000;
	b->cgroups[0].net.tx_bytes += 500;
	b->cgroups[1].net.rx_bytes += 10000;
	assert_int_equal(top_rows_build(b, a, NULL, &rows, &n), 0);
	assert_int_equal(n, 2);
	assert_true(fabs(rows[0].net_rx - 1000.0) < 1e-9);
	assert_true(fabs(rows[0].net_tx - 250.0) < 1e-9);
	assert_true(fabs(rows[1].net_rx - 5000.0) < 1e-9);
	assert_true(rows[1].net_tx == 0.0);
	assert_int_equal(top_view_order(&v, rows, n, order), 2);
	assert_string_equal(rows[order[0]].path, "/workload");
	free(rows);

	/* The first frame, and a cgroup without figures: unknown. */
	assert_int_equal(top_rows_build(b, NULL, NULL, &rows, &n), 0);
	assert_true(isnan(rows[0].net_rx) && isnan(rows[0].net_tx));
	free(rows);
	a->cgroups[1].has_net = 0;
	assert_int_equal(top_rows_build(b, a, NULL, &rows, &n), 0);
	assert_true(isnan(rows[1].net_rx) && !isnan(rows[0].net_rx));
	free(rows);
	snapshot_unref(a);
	snapshot_unref(b);
}

/* --- the kernel's table, under real traffic ------------------------------- */

static uint64_t ino_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

static void move_self(const char *cg)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%d", getpid()) < 0 || fclose(f) != 0)
		_exit(90);
}

#define SENT 1000000

/* What the client's socket says it retransmitted (TCP_INFO), once the
 * connection is over: a busy machine can delay an ACK on loopback long
 * enough for a tail loss probe to send data again. */
struct retrans {
	uint32_t segs;
	uint64_t bytes;
};

/* A server in srv_cg that takes one connection, reads it to its end and
 * closes it, and a client in cli_cg that sends SENT bytes to it over
 * loopback, then waits for the server's end. Both exit 0 when all went
 * through. */
static void transfer(const char *cli_cg, const char *srv_cg, struct retrans *ret)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int ready[2], info[2], st;
	pid_t srv, cli;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(info), 0);
	srv = fork();
	if (srv == 0) {
		static char buf[65536];
		long got = 0, n;
		int l, c;

		move_self(srv_cg);
		l = socket(AF_INET, SOCK_STREAM, 0);
		if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0 ||
		    getsockname(l, (struct sockaddr *)&sa, &len) < 0 ||
		    write(ready[1], &sa.sin_port, sizeof(sa.sin_port)) != sizeof(sa.sin_port))
			_exit(91);
		c = accept(l, NULL, NULL);
		while (c >= 0 && (n = read(c, buf, sizeof(buf))) > 0)
			got += n;
		_exit(got == SENT && close(c) == 0 ? 0 : 92);
	}
	assert_int_equal(read(ready[0], &sa.sin_port, sizeof(sa.sin_port)), sizeof(sa.sin_port));
	cli = fork();
	if (cli == 0) {
		static char buf[SENT];
		struct tcp_info ti = {0};
		socklen_t tl = sizeof(ti);
		struct retrans r;
		long sent = 0, n;
		int c;

		move_self(cli_cg);
		c = socket(AF_INET, SOCK_STREAM, 0);
		if (c < 0 || connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			_exit(93);
		while (sent < SENT && (n = write(c, buf + sent, SENT - sent)) > 0)
			sent += n;
		/* The server's FIN acknowledges ours: nothing is sent again
		 * after it. */
		if (sent != SENT || shutdown(c, SHUT_WR) < 0 || read(c, buf, 1) != 0 ||
		    getsockopt(c, IPPROTO_TCP, TCP_INFO, &ti, &tl) < 0)
			_exit(94);
		r = (struct retrans){ .segs = ti.tcpi_total_retrans, .bytes = ti.tcpi_bytes_retrans };
		_exit(write(info[1], &r, sizeof(r)) == sizeof(r) && close(c) == 0 ? 0 : 95);
	}
	assert_int_equal(waitpid(cli, &st, 0), cli);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(waitpid(srv, &st, 0), srv);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(read(info[0], ret, sizeof(*ret)), sizeof(*ret));
	close(ready[0]);
	close(ready[1]);
	close(info[0]);
	close(info[1]);
}

static const struct net_tree_entry *read_table(struct cgroup_counters *nc, struct cgc_tree *t,
					       struct net_tree *nt, const char *cg)
{
	assert_true(cgroup_counters_read_tree(nc, t) >= 0);
	assert_false(t->torn);
	assert_int_equal(net_tree_build(t, nt), 0);
	return net_tree_find(nt, ino_of(cg));
}

/* The test's cgroups, deepest last: removed by the teardown, also when an
 * assertion failed (its processes have exited by then). */
static char dirs[4][440];

static int remove_dirs(void **state)
{
	(void)state;
	for (int i = 3; i >= 0; i--)
		if (dirs[i][0])
			rmdir(dirs[i]);
	return 0;
}

static void test_kernel_table(void **state)
{
	char mount[256], *top = dirs[0], *p = dirs[1], *c1 = dirs[2], *c2 = dirs[3];
	struct bpf_loader_opts o = { .counters = true, .network = true, .net_slots = 16 };
	const struct net_tree_entry *e;
	struct cgroup_counters *nc;
	struct cgc_tree t = {0};
	struct net_tree nt = {0};
	struct bpf_loader *l;
	struct cgscope_net_figures before, a1, a2;
	struct cgc_stat st;
	struct retrans re;
	uint64_t id1;

	(void)state;
	UNIT_NEED_ROOT();
	assert_int_equal(cgroup2_mount_find(mount, sizeof(mount)), 0);
	snprintf(top, sizeof(dirs[0]), "%.300s/cgscope-unit-net-%d", mount, getpid());
	snprintf(p, sizeof(dirs[0]), "%.400s/p", top);
	snprintf(c1, sizeof(dirs[0]), "%.400s/c1", p);
	snprintf(c2, sizeof(dirs[0]), "%.400s/c2", p);
	assert_int_equal(mkdir(top, 0755), 0);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(mkdir(c1, 0755), 0);
	assert_int_equal(mkdir(c2, 0755), 0);
	o.cgroup_root = top;
	assert_int_equal(bpf_loader_open(&o, &l), 0);
	nc = bpf_loader_net_counters(l);
	assert_non_null(nc);
	assert_int_equal(cgroup_counters_slots(nc), 16);

	transfer(c1, c2, &re);
	/* The client's transmit and the server's receive: the bytes sent,
	 * and at most a TCP/IPv4 header (20 + 60) per packet more, and what
	 * was sent again; the segments sent again, as the socket counts
	 * them. */
	e = read_table(nc, &t, &nt, c1);
	assert_non_null(e);
	a1 = e->total;
	assert_int_equal(a1.tcp_retransmits, re.segs);
	assert_true(a1.tx_bytes >= SENT &&
		    a1.tx_bytes <= SENT + 80 * a1.tx_packets + re.bytes);
	assert_true(a1.rx_packets > 0 && a1.rx_bytes <= 80 * a1.rx_packets);
	assert_memory_equal(&e->own, &e->total, sizeof(e->own));
	e = net_tree_find(&nt, ino_of(c2));
	a2 = e->total;
	assert_true(a2.rx_bytes >= SENT &&
		    a2.rx_bytes <= SENT + 80 * a2.rx_packets + re.bytes);
	/* On one host the client's ACKs are the server's... */
	assert_int_equal(a2.tx_bytes, a1.rx_bytes);
	assert_int_equal(a2.tx_packets, a1.rx_packets);
	/* ...and the parent's, which has no socket, is both children's. */
	e = net_tree_find(&nt, ino_of(p));
	assert_non_null(e);
	assert_int_equal(e->own.rx_bytes + e->own.tx_bytes, 0);
	assert_int_equal(e->total.rx_bytes, a1.rx_bytes + a2.rx_bytes);
	assert_int_equal(e->total.tx_bytes, a1.tx_bytes + a2.tx_bytes);
	assert_int_equal(e->total.rx_packets, a1.rx_packets + a2.rx_packets);
	before = e->total;
	e = net_tree_find(&nt, ino_of(top));
	assert_memory_equal(&e->total, &before, sizeof(before));
	assert_int_equal(nt.n, 4);	/* top, p, c1, c2: the branch, nothing else */
	cgroup_counters_stat(nc, &st);
	assert_int_equal(st.moves, 0);

	/* c1 removed: once the kernel frees it, its counts are p's, whose
	 * figures stay exactly what they were. */
	id1 = ino_of(c1);
	assert_int_equal(rmdir(c1), 0);
	for (int tries = 0; tries < 100; tries++) {
		cgroup_counters_stat(nc, &st);
		if (st.moves == 1)
			break;
		usleep(50000);
	}
	assert_int_equal(st.moves, 1);
	assert_int_equal(st.moving, 0);
	assert_int_equal(st.allocated - st.released, 3);
	e = read_table(nc, &t, &nt, p);
	assert_memory_equal(&e->total, &before, sizeof(before));
	assert_int_equal(e->own.rx_bytes, 0);
	assert_int_equal(e->own.rx_bytes + e->own.tx_bytes, 0);
	assert_null(net_tree_find(&nt, id1));
	assert_int_equal(nt.n, 3);
	assert_non_null(net_tree_find(&nt, ino_of(c2)));

	net_tree_free(&nt);
	cgc_tree_free(&t);
	bpf_loader_close(l);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subtree_figures),
		cmocka_unit_test(test_page_families),
		cmocka_unit_test(test_cadvisor_families),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_top_rates_and_sort),
		cmocka_unit_test_teardown(test_kernel_table, remove_dirs),
	};

	return UNIT_RUN("network", tests, argc, argv);
}
