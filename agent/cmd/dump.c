// SPDX-License-Identifier: GPL-2.0-only
/* cgscope dump: one snapshot to stdout, as the agent would serve it. Works
 * on a live cgroupfs and on a plain directory holding a captured tree (the
 * golden pages of tests/fixtures/ are made this way). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/cycle.h"
#include "cmd/flags.h"
#include "json/json_snapshot.h"
#include "lib/log.h"

enum dump_format { DUMP_PROM, DUMP_JSON };

struct dump_flags {
	const char *cgroup_root;
	enum dump_format format;
	enum compat compat;
};

#define F(x) offsetof(struct dump_flags, x)

static int parse_format(const struct flag *f, const char *value, void *cfg)
{
	(void)f;
	if (!strcmp(value, "prometheus"))
		((struct dump_flags *)cfg)->format = DUMP_PROM;
	else if (!strcmp(value, "json"))
		((struct dump_flags *)cfg)->format = DUMP_JSON;
	else
		return -EINVAL;
	return 0;
}

static int parse_compat(const struct flag *f, const char *value, void *cfg)
{
	(void)f;
	return compat_parse(value, &((struct dump_flags *)cfg)->compat);
}

static const struct flag dump_flags[] = {
	FLAG_SECTION("Options:"),
	{ .name = "cgroup-root", .arg = "DIR", .parse = flag_string, .off = F(cgroup_root),
	  .help = "the tree to read (default: the cgroup2 mount from /proc/self/mountinfo); "
		  "a plain directory holding a captured tree works too" },
	{ .name = "format", .arg = "FORMAT", .def = "prometheus", .parse = parse_format,
	  .want = "prometheus or json",
	  .help = "prometheus: the agent's metrics page; json: its /api/v1/cgroups" },
	{ .name = "compat", .arg = "MODE", .def = "none", .parse = parse_compat,
	  .want = "cadvisor or none",
	  .help = "cadvisor: add cAdvisor's metric names and labels to the page, as the "
		  "agent's --compat cadvisor does" },
	FLAG_END
};

static const struct flag_cmd dump_cmd = {
	.name = "dump",
	.about =
		"Reads every cgroup once and prints what the agent would serve, then exits.\n"
		"Useful for a bug report: point --cgroup-root at a copy of a cgroup tree.\n"
		"Events (BPF) are not part of it: they need an agent that runs.\n",
	.flags = dump_flags,
};

int cmd_dump(int argc, char **argv)
{
	struct dump_flags fl = {0};
	struct cycle_opts o = {0};
	struct strbuf json = {0};
	char root[PATH_MAX];
	struct collector *c;
	struct snapshot *s;
	const char *out;
	size_t len;
	int r;

	r = flags_parse(&dump_cmd, argc, argv, &fl);
	if (r != 0)
		return r > 0 ? 0 : 2;
	if (resolve_cgroup_root(fl.cgroup_root, root, sizeof(root)) < 0)
		return 1;
	r = collector_new(root, &c);
	if (r < 0) {
		log_error("cannot open cgroup root %s: %s", root, strerror(-r));
		return 1;
	}
	cgroup_filter_init(&o.filter);
	o.compat = fl.compat;
	r = cycle_run_opts(c, &o, &s, NULL);
	if (r < 0) {
		log_error("cannot read %s: %s", root, strerror(-r));
		collector_free(c);
		return 1;
	}
	out = s->metrics;
	len = s->metrics_len;
	if (fl.format == DUMP_JSON) {
		r = json_snapshot(s, NULL, &json);
		if (r >= 0) {
			sb_putc(&json, '\n');
			r = sb_error(&json);
		}
		if (r < 0) {
			log_error("cannot write JSON: %s", strerror(-r));
			goto out;
		}
		out = json.buf;
		len = json.len;
	}
	r = fwrite(out, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : -EIO;
	if (r < 0)
		log_error("cannot write to stdout: %s", strerror(errno));
out:
	sb_free(&json);
	snapshot_unref(s);
	collector_free(c);
	return r < 0 ? 1 : 0;
}
