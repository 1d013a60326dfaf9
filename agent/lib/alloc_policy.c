// SPDX-License-Identifier: GPL-2.0-only
#include <malloc.h>

#include "lib/alloc_policy.h"

void alloc_policy_apply(void)
{
	/* One arena: with one per thread, memory freed by HTTP threads after a
	 * burst of connections stays in theirs, and RSS creeps up burst after
	 * burst. The agent allocates little outside a cycle; contention is no
	 * concern. */
	mallopt(M_ARENA_MAX, 1);
	/* Connection pools (--web.connection-memory, 32 KiB) and pages come
	 * from mmap and go back whole when freed, rather than leaving holes
	 * in the heap that keep RSS at a burst's peak. */
	mallopt(M_MMAP_THRESHOLD, 32 * 1024);
}

void alloc_policy_batch(void)
{
	/* A day of a thousand cgroups is 8,640 snapshots of a megabyte and
	 * more: from mmap, each was a few thousand page faults (a seventh
	 * of an export's time, in the kernel). */
	mallopt(M_MMAP_THRESHOLD, 256 << 20);
	mallopt(M_TRIM_THRESHOLD, 512 << 20);
}
