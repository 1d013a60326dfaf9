/* SPDX-License-Identifier: GPL-2.0-only */
/* How the process allocates: set once at start, by the agent and by
 * make bench's bench_cycle, so that the benchmark pays what the agent pays
 * (pages from mmap are faulted in again every cycle). */
#ifndef CGSCOPE_ALLOC_POLICY_H
#define CGSCOPE_ALLOC_POLICY_H

void alloc_policy_apply(void);

/* For a command that reads a recording cycle after cycle (export): the
 * memory of each cycle's snapshot and page is the next one's, kept in the
 * heap rather than unmapped and faulted in again. */
void alloc_policy_batch(void);

#endif
