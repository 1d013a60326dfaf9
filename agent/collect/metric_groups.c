// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "collect/metric_groups.h"

#define B(f) (1u << (f))

const struct metric_group_desc metric_groups[MG_NR] = {
	[MG_CGROUP] = { "cgroup", B(F_CGROUP_EVENTS) | B(F_CGROUP_STAT) | B(F_CGROUP_FREEZE),
			"cgroup.events, cgroup.stat, cgroup.freeze" },
	[MG_CPU] = { "cpu", B(F_CPU_STAT) | B(F_CPU_MAX) | B(F_CPU_WEIGHT),
		     "cpu.stat, cpu.max, cpu.weight" },
	[MG_MEMORY] = { "memory",
			B(F_MEMORY_CURRENT) | B(F_MEMORY_PEAK) | B(F_MEMORY_MAX) | B(F_MEMORY_HIGH) |
			B(F_MEMORY_LOW) | B(F_MEMORY_MIN) | B(F_MEMORY_EVENTS) |
			B(F_MEMORY_EVENTS_LOCAL) | B(F_MEMORY_STAT) | B(F_MEMORY_SWAP_CURRENT) |
			B(F_MEMORY_SWAP_MAX) | B(F_MEMORY_SWAP_EVENTS),
			"every memory.* file, the groups below included" },
	[MG_MEMORY_EVENTS] = { "memory.events", B(F_MEMORY_EVENTS) | B(F_MEMORY_EVENTS_LOCAL),
			       "memory.events, memory.events.local" },
	[MG_MEMORY_STAT] = { "memory.stat", B(F_MEMORY_STAT),
			     "memory.stat (about 70 series per cgroup)" },
	[MG_MEMORY_SWAP] = { "memory.swap",
			     B(F_MEMORY_SWAP_CURRENT) | B(F_MEMORY_SWAP_MAX) | B(F_MEMORY_SWAP_EVENTS),
			     "memory.swap.current, memory.swap.max, memory.swap.events" },
	[MG_IO] = { "io", B(F_IO_STAT), "io.stat" },
	[MG_PIDS] = { "pids", B(F_PIDS_CURRENT) | B(F_PIDS_MAX) | B(F_PIDS_PEAK) | B(F_PIDS_EVENTS),
		      "pids.current, pids.max, pids.peak, pids.events" },
	[MG_PRESSURE] = { "pressure",
			  B(F_CPU_PRESSURE) | B(F_MEMORY_PRESSURE) | B(F_IO_PRESSURE) |
			  B(F_IRQ_PRESSURE),
			  "cpu.pressure, memory.pressure, io.pressure, irq.pressure" },
	[MG_NETWORK] = { "network", 0,
			 "network traffic per cgroup, from cgroup_skb programs attached to the "
			 "watched cgroup (BPF): off, nothing is attached" },
};

void metric_groups_init(struct metric_groups *mg)
{
	memset(mg->set, -1, sizeof(mg->set));
	mg->disable_defaults = false;
}

static int find_group(const char *name, size_t len)
{
	for (int g = 0; g < MG_NR; g++)
		if (strlen(metric_groups[g].name) == len && !memcmp(metric_groups[g].name, name, len))
			return g;
	return -ENOENT;
}

int metric_groups_parse_arg(struct metric_groups *mg, const char *arg)
{
	const char *name, *eq;
	size_t len;
	bool on = true;
	int g;

	if (!strncmp(arg, "--collect.", 10)) {
		name = arg + 10;
	} else if (!strncmp(arg, "--no-collect.", 13)) {
		name = arg + 13;
		on = false;
	} else {
		return 0;
	}
	eq = strchr(name, '=');
	len = eq ? (size_t)(eq - name) : strlen(name);
	if (eq) {
		if (!on)
			return -EINVAL;		/* --no-collect.x=... says nothing clear */
		if (!strcmp(eq + 1, "true"))
			on = true;
		else if (!strcmp(eq + 1, "false"))
			on = false;
		else
			return -EINVAL;
	}
	if (len == strlen("disable-defaults") && !memcmp(name, "disable-defaults", len)) {
		mg->disable_defaults = on;
		return 1;
	}
	g = find_group(name, len);
	if (g < 0)
		return g;
	mg->set[g] = on;
	return 1;
}

int metric_groups_take_args(struct metric_groups *mg, int *argc, char **argv,
			    const char **bad_arg)
{
	int in, out;

	for (in = out = 1; in < *argc; in++) {
		int r;

		if (!strcmp(argv[in], "--"))
			break;
		r = metric_groups_parse_arg(mg, argv[in]);
		if (r < 0) {
			*bad_arg = argv[in];
			return r;
		}
		if (r == 0)
			argv[out++] = argv[in];
	}
	while (in < *argc)
		argv[out++] = argv[in++];
	*argc = out;
	argv[out] = NULL;
	return 0;
}

uint32_t metric_groups_files(const struct metric_groups *mg)
{
	uint32_t files = mg->disable_defaults ? 0 : METRIC_FILES_ALL;

	for (int g = 0; g < MG_NR; g++) {
		if (mg->set[g] == 1)
			files |= metric_groups[g].files;
		else if (mg->set[g] == 0)
			files &= ~metric_groups[g].files;
	}
	return files;
}

bool metric_groups_on(const struct metric_groups *mg, enum metric_group g)
{
	return mg->set[g] == 1 || (mg->set[g] == -1 && !mg->disable_defaults);
}

const char *metric_groups_names(void)
{
	static char names[256];

	if (!names[0]) {
		size_t len = 0;

		for (int g = 0; g < MG_NR; g++)
			len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
						g ? ", " : "", metric_groups[g].name);
	}
	return names;
}
