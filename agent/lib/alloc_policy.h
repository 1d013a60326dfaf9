/* SPDX-License-Identifier: GPL-2.0-only */
/* How the process allocates: set once at start, by the agent and by
 * make bench's bench_cycle, so that the benchmark pays what the agent pays
 * (pages from mmap are faulted in again every cycle). */
#ifndef CGSCOPE_ALLOC_POLICY_H
#define CGSCOPE_ALLOC_POLICY_H

void alloc_policy_apply(void);

#endif
