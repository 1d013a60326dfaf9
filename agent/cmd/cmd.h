/* SPDX-License-Identifier: GPL-2.0-only */
/* The subcommands of the cgscope binary, and what they share. */
#ifndef CGSCOPE_CLI_H
#define CGSCOPE_CLI_H

#include <stddef.h>
#include <stdint.h>

int cmd_agent(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_top(int argc, char **argv);

/* "1s", "250ms", "2m", "1.5s" as milliseconds; -EINVAL otherwise. */
int parse_duration_ms(const char *s, uint64_t *ret);

/* "4096", "64k", "1MiB", "2M" as bytes, from 1 to 1 GiB; -EINVAL otherwise. */
int parse_size_bytes(const char *s, size_t *ret);

/* The cgroup2 mount point from /proc/self/mountinfo. */
int find_cgroup2_mount(char *ret, size_t size);

/* The --cgroup-root to use: the flag's value, else the cgroup2 mount.
 * Logs and returns a negative errno when there is none. */
int resolve_cgroup_root(const char *flag, char *ret, size_t size);

#endif
