// SPDX-License-Identifier: GPL-2.0-only
/* cgscope: one binary, one subcommand per way of looking at cgroups. */
#include <stdio.h>
#include <string.h>

#include "lib/alloc_policy.h"
#include "cmd/cmd.h"
#include "kernel/kernel_btf.h"
#include "lib/log.h"
#include "lib/version.h"
#include "lib/macros.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "agent", cmd_agent, "the daemon: poll every cgroup, trace kernel events, serve /metrics" },
	{ "events", cmd_events, "print kernel events (migrations, OOM kills, throttling) as they happen" },
	{ "dump", cmd_dump, "print one snapshot of every cgroup as Prometheus text, no server" },
	{ "top", cmd_top, "a live view of every cgroup: CPU, throttling, memory, pressure, IO, OOM kills" },
	{ "export", cmd_export, "a recording (--record.dir) as OpenMetrics text, to backfill Prometheus" },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: cgscope COMMAND [OPTIONS]\n"
		"\n"
		"cgscope observes Linux cgroup v2: it reads every cgroup's files\n"
		"(cpu.stat, memory.*, io.stat, pids.*, PSI) and serves them as Prometheus\n"
		"metrics.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
		"\n"
		"Options:\n"
		"  -h, --help     show this help\n"
		"  --version      print the version\n"
		"\n"
		"'cgscope COMMAND --help' explains the options of a command.\n");
}

/* libbpf's messages, for every command: logfmt like ours. Its warnings
 * are mostly the fallbacks the loader expects (a refused fentry, say) and
 * says itself in words, so they stay at debug unless asked for (-v,
 * --log-level debug), then they are warnings; its debug is never shown. */
static void on_libbpf(enum libbpf_print_level level, const char *line)
{
	if (level == LIBBPF_DEBUG)
		return;
	log_msg(level == LIBBPF_WARN && log_threshold >= LOG_DEBUG ? LOG_WARN : LOG_DEBUG,
		"libbpf: %s", line);
}

int main(int argc, char **argv)
{
	alloc_policy_apply();
	kernel_libbpf_log_to(on_libbpf);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("cgscope %s\n", cgscope_version);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "cgscope: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
