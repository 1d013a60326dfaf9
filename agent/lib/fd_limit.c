// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <sys/resource.h>

#include "lib/fd_limit.h"

int fd_limit_raise(uint64_t beyond)
{
	struct rlimit rl, want = { (rlim_t)beyond, (rlim_t)beyond };

	if (beyond && setrlimit(RLIMIT_NOFILE, &want) == 0)
		return 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return -errno;
	}
	return 0;
}
