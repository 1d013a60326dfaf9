/* SPDX-License-Identifier: GPL-2.0-only */
/* How many descriptors one descriptor table may hold for cgroups: one object
 * that every holder on the table draws from (the tree's directories and the
 * collector's files on the collector's own table; the collector's files alone
 * on a table of a thread of its own, fd_table.h), so that neither has to ask
 * the other. Not locked: a table's holders run on one thread at a time. */
#ifndef CGSCOPE_FD_BUDGET_H
#define CGSCOPE_FD_BUDGET_H

#include <stdbool.h>
#include <stddef.h>

struct fd_budget {
	size_t held;
	size_t limit;
};

/* A budget of RLIMIT_NOFILE's soft limit less reserve (what the rest of the
 * process keeps for itself: the HTTP server's connections, libc), or half of
 * it when it is below twice the reserve. */
void fd_budget_init_nofile(struct fd_budget *b, size_t reserve);

static inline void fd_budget_init(struct fd_budget *b, size_t limit)
{
	*b = (struct fd_budget){ .held = 0, .limit = limit };
}

/* Room for n more. */
static inline bool fd_budget_has_room(const struct fd_budget *b, size_t n)
{
	return b->held + n <= b->limit;
}

/* Counts one more held if there is room for it: true when it may be kept. */
static inline bool fd_budget_take(struct fd_budget *b)
{
	if (b->held >= b->limit)
		return false;
	b->held++;
	return true;
}

/* One held is closed. */
static inline void fd_budget_give(struct fd_budget *b)
{
	b->held--;
}

static inline size_t fd_budget_room(const struct fd_budget *b)
{
	return b->held < b->limit ? b->limit - b->held : 0;
}

#endif
