/* SPDX-License-Identifier: GPL-2.0-only */
/* Clocks as integers: one way to read them. CLOCK_MONOTONIC for intervals and
 * deadlines (what bpf_ktime_get_ns() gives too), CLOCK_REALTIME for what
 * people and Prometheus read. */
#ifndef CGSCOPE_CLOCK_H
#define CGSCOPE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline int64_t clock_ms(clockid_t clk)
{
	return (int64_t)(clock_ns(clk) / 1000000);
}

/* Nanoseconds as a timespec, for the calls that take one. */
static inline struct timespec ns_to_timespec(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / 1000000000ull),
				  .tv_nsec = (long)(ns % 1000000000ull) };
}

#endif
