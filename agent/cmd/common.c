// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "lib/log.h"
#include "cgroupfs/mount.h"

int resolve_cgroup_root(const char *flag, char *ret, size_t size)
{
	int r;

	if (flag) {
		if (strlen(flag) >= size)
			return -ENAMETOOLONG;
		strcpy(ret, flag);
		return 0;
	}
	r = cgroup2_mount_find(ret, size);
	if (r == -ENOENT)
		log_error("no cgroup2 mount in /proc/self/mountinfo: mount one, or pass --cgroup-root DIR");
	else if (r < 0)
		log_error("cannot read /proc/self/mountinfo: %s", strerror(-r));
	return r;
}
