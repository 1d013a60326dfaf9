// SPDX-License-Identifier: GPL-2.0-only
/* cgscope dump: one snapshot to stdout. Works on a live cgroupfs and on a
 * plain directory holding a captured tree. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/cycle.h"
#include "lib/log.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: cgscope dump [OPTIONS]\n"
		"\n"
		"Reads every cgroup once and prints the Prometheus text page that the agent\n"
		"would serve, then exits. Useful for a bug report: point --cgroup-root at a\n"
		"copy of a cgroup tree.\n"
		"\n"
		"Options:\n"
		"  --cgroup-root DIR   the tree to read (default: the cgroup2 mount from\n"
		"                      /proc/self/mountinfo); a plain directory works too\n"
		"  -h, --help          show this help\n");
}

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cgroup-root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *root_flag = NULL;
	char root[PATH_MAX];
	struct collector *c;
	struct snapshot *s;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			root_flag = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cgscope dump: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (resolve_cgroup_root(root_flag, root, sizeof(root)) < 0)
		return 1;
	r = collector_new(root, &c);
	if (r < 0) {
		log_error("cannot open cgroup root %s: %s", root, strerror(-r));
		return 1;
	}
	r = cycle_run(c, &s);
	if (r < 0) {
		log_error("cannot read %s: %s", root, strerror(-r));
		collector_free(c);
		return 1;
	}
	r = fwrite(s->metrics, 1, s->metrics_len, stdout) == s->metrics_len &&
	    fflush(stdout) == 0 ? 0 : -EIO;
	if (r < 0)
		log_error("cannot write to stdout: %s", strerror(errno));
	snapshot_unref(s);
	collector_free(c);
	return r < 0 ? 1 : 0;
}
