/* SPDX-License-Identifier: GPL-2.0-only */
/* A cgroup's rates and growth from two samples of it: what the collector
 * computes each cycle, and what a replay of recorded cycles computes from
 * the cycle before, so that both give the same figures. */
#ifndef CGSCOPE_RATES_H
#define CGSCOPE_RATES_H

#include "collect/snapshot.h"

/* Sets cur's has_rates, cpu_cores, io_*_bps and the throttled and oom_kill
 * deltas from old, its sample in prev (the snapshot before s). */
void sample_rates(const struct snapshot *prev, struct snapshot *s,
		  struct cgroup_sample *cur, const struct cgroup_sample *old);

#endif
