/* SPDX-License-Identifier: GPL-2.0-only */
/* When collection cycles start: on the ticks of the interval, counted from
 * the first cycle's start. A cycle still running at the next tick overran:
 * the ticks it ran into are skipped, and the next cycle starts on the first
 * tick after it ended. A collector that cannot keep up then reads every
 * other tick (or fewer) and idles in between, rather than running cycles
 * back to back at 100% of a CPU, and the overruns are counted. Times are
 * CLOCK_MONOTONIC nanoseconds; pure arithmetic, no clock read here. */
#ifndef CGSCOPE_SCHEDULE_H
#define CGSCOPE_SCHEDULE_H

#include <stdint.h>

struct cycle_schedule {
	uint64_t interval_ns;
	uint64_t tick_ns;		/* when the current cycle was due */
	uint64_t overruns;		/* cycles that ran past the next tick */
	uint64_t ticks_skipped;		/* ticks no cycle started on */
	uint32_t streak;		/* overruns in a row, up to the last cycle */
};

/* The first cycle is due now. interval_ns > 0. */
void cycle_schedule_init(struct cycle_schedule *s, uint64_t now_ns, uint64_t interval_ns);

/* The current cycle ended at now_ns: returns when the next is due, always
 * after now_ns, and counts the overrun if it is not the tick right after
 * the current cycle's. A cycle that ends exactly on the next tick overran. */
uint64_t cycle_schedule_next(struct cycle_schedule *s, uint64_t now_ns);

#endif
