// SPDX-License-Identifier: GPL-2.0-only
#include <stddef.h>

#include "collect/rates.h"

static uint64_t io_sum(const struct snapshot *s, const struct cgroup_values *v,
		       size_t field)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < v->io_count; i++)
		sum += *(const uint64_t *)((const char *)&s->io.items[v->io_first + i] + field);
	return sum;
}

void sample_rates(const struct snapshot *prev, struct snapshot *s,
		  struct cgroup_sample *cur, const struct cgroup_sample *old)
{
	/* Each rate over the time between the starts of the two reads: a read
	 * of thousands of cgroups takes a while, in the same order each cycle,
	 * and the snapshot's stamp comes after all of it. */
	double dt = (double)(s->read_mono_ns - prev->read_mono_ns) / 1e9;

	/* Rates are made of cpu.stat and io.stat only. */
	if (dt <= 0 || !(cg_has(&cur->v, F_CPU_STAT) || cg_has(&cur->v, F_IO_STAT)))
		return;
	cur->has_rates = 1;
	if (cg_has(&cur->v, F_CPU_STAT) && cg_has(&old->v, F_CPU_STAT) &&
	    cur->v.cpu[CPU_USAGE] >= old->v.cpu[CPU_USAGE] &&
	    old->v.cpu[CPU_USAGE] != CG_UNSET)
		cur->cpu_cores = (double)(cur->v.cpu[CPU_USAGE] - old->v.cpu[CPU_USAGE]) / 1e6 / dt;
	if (cg_has(&cur->v, F_CPU_STAT) && cg_has(&old->v, F_CPU_STAT) &&
	    cur->v.cpu[CPU_THROTTLED] != CG_UNSET && old->v.cpu[CPU_THROTTLED] != CG_UNSET &&
	    cur->v.cpu[CPU_THROTTLED] > old->v.cpu[CPU_THROTTLED]) {
		cur->throttled_delta = cur->v.cpu[CPU_THROTTLED] - old->v.cpu[CPU_THROTTLED];
		if (cur->v.cpu[CPU_THROTTLED_USEC] >= old->v.cpu[CPU_THROTTLED_USEC])
			cur->throttled_usec_delta = cur->v.cpu[CPU_THROTTLED_USEC] -
						    old->v.cpu[CPU_THROTTLED_USEC];
	}
	if (cg_has(&cur->v, F_MEMORY_EVENTS_LOCAL) && cg_has(&old->v, F_MEMORY_EVENTS_LOCAL) &&
	    cur->v.mem_events_local[MEMEV_OOM_KILL] != CG_UNSET &&
	    old->v.mem_events_local[MEMEV_OOM_KILL] != CG_UNSET &&
	    cur->v.mem_events_local[MEMEV_OOM_KILL] > old->v.mem_events_local[MEMEV_OOM_KILL])
		cur->oom_kill_delta = cur->v.mem_events_local[MEMEV_OOM_KILL] -
				      old->v.mem_events_local[MEMEV_OOM_KILL];
	if (cg_has(&cur->v, F_IO_STAT) && cg_has(&old->v, F_IO_STAT)) {
		size_t rb = offsetof(struct io_dev_stat, rbytes);
		size_t wb = offsetof(struct io_dev_stat, wbytes);
		uint64_t r0 = io_sum(prev, &old->v, rb), r1 = io_sum(s, &cur->v, rb);
		uint64_t w0 = io_sum(prev, &old->v, wb), w1 = io_sum(s, &cur->v, wb);
		cur->io_read_bps = r1 >= r0 ? (double)(r1 - r0) / dt : 0;
		cur->io_write_bps = w1 >= w0 ? (double)(w1 - w0) / dt : 0;
	}
}
