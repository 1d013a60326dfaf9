// SPDX-License-Identifier: GPL-2.0-only
#include "collect/schedule.h"

void cycle_schedule_init(struct cycle_schedule *s, uint64_t now_ns, uint64_t interval_ns)
{
	*s = (struct cycle_schedule){ .interval_ns = interval_ns, .tick_ns = now_ns };
}

uint64_t cycle_schedule_next(struct cycle_schedule *s, uint64_t now_ns)
{
	uint64_t due = s->tick_ns + s->interval_ns, skipped;

	if (now_ns < due) {
		s->streak = 0;
		s->tick_ns = due;
		return due;
	}
	skipped = (now_ns - due) / s->interval_ns + 1;
	s->overruns++;
	s->streak++;
	s->ticks_skipped += skipped;
	s->tick_ns = due + skipped * s->interval_ns;
	return s->tick_ns;
}
