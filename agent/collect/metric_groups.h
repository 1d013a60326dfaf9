/* SPDX-License-Identifier: GPL-2.0-only */
/* Metric groups that can be switched off as a whole, as node_exporter's
 * --collector.<name> flags do: each group is a set of cgroup files, and a
 * file switched off is as if its controller were off: the collector never
 * opens it (collector_new_files), so it costs nothing, and there is no
 * series and no JSON key of it.
 *
 * Flags, taken out of argv before getopt sees it:
 *   --collect.<group>            on (the default for every group)
 *   --collect.<group>=true|false
 *   --no-collect.<group>         off
 *   --collect.disable-defaults   every group off unless switched on by name
 * A group nested in another ("memory.stat" in "memory") wins over it whatever
 * the order of the flags: --collect.memory=false --collect.memory.stat=true
 * serves memory.stat only. */
#ifndef CGSCOPE_METRIC_GROUPS_H
#define CGSCOPE_METRIC_GROUPS_H

#include <stdbool.h>
#include <stdint.h>

#include "collect/snapshot.h"

enum metric_group {
	MG_CGROUP, MG_CPU, MG_MEMORY, MG_MEMORY_EVENTS, MG_MEMORY_STAT,
	MG_MEMORY_SWAP, MG_IO, MG_PIDS, MG_PRESSURE,
	MG_NETWORK,		/* no file: BPF programs on the watched cgroup */
	MG_NR
};

struct metric_group_desc {
	const char *name;	/* as in the flag: "memory.stat" */
	uint32_t files;		/* bits (1 << enum cg_file); 0 for a group that
				   reads no file (network) */
	const char *help;
};

/* In the order of precedence: a group listed later overrides one listed
 * earlier for the files they share. */
extern const struct metric_group_desc metric_groups[MG_NR];

struct metric_groups {
	int8_t set[MG_NR];	/* -1: not said, 0: off, 1: on */
	bool disable_defaults;
};

void metric_groups_init(struct metric_groups *mg);

/* One argument. 1 if it is one of the flags above and was applied, 0 if it
 * is not a --collect flag (getopt's business), -ENOENT for an unknown group,
 * -EINVAL for a value other than true or false. */
int metric_groups_parse_arg(struct metric_groups *mg, const char *arg);

/* Applies and removes every --collect flag of argv[1..*argc) (up to a "--"),
 * moving the other arguments down and lowering *argc, so that getopt_long
 * sees only its own. On error, *bad_arg points at the offending argument. */
int metric_groups_take_args(struct metric_groups *mg, int *argc, char **argv,
			    const char **bad_arg);

/* "cgroup, cpu, memory, ...": every group's name, for messages. */
const char *metric_groups_names(void);

/* The files served: bits (1 << enum cg_file). */
uint32_t metric_groups_files(const struct metric_groups *mg);

/* Whether group g is on, by its own flag or the defaults: for the groups
 * that read no file. */
bool metric_groups_on(const struct metric_groups *mg, enum metric_group g);

/* Every file of the table (what no flag changes). */
#define METRIC_FILES_ALL CG_FILES_ALL

#endif
