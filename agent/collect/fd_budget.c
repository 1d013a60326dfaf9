// SPDX-License-Identifier: GPL-2.0-only
#include <sys/resource.h>

#include "collect/fd_budget.h"

void fd_budget_init_nofile(struct fd_budget *b, size_t reserve)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		rl.rlim_cur = 1024;
	fd_budget_init(b, rl.rlim_cur > 2 * reserve ? (size_t)rl.rlim_cur - reserve :
						       (size_t)rl.rlim_cur / 2);
}
