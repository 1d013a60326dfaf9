/* SPDX-License-Identifier: GPL-2.0-only */
/* The subcommands of the cgscope binary, and what they share. */
#ifndef CGSCOPE_CLI_H
#define CGSCOPE_CLI_H

#include <stddef.h>
#include <stdint.h>

int cmd_agent(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_top(int argc, char **argv);

/* The --cgroup-root to use: the flag's value, else the cgroup2 mount.
 * Logs and returns a negative errno when there is none. */
int resolve_cgroup_root(const char *flag, char *ret, size_t size);

#endif
