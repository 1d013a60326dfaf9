/* SPDX-License-Identifier: GPL-2.0-only */
/* Parsers of cgroup v2 files: pure functions over a buffer (not necessarily
 * NUL-terminated), so that the unit tests and fuzz targets call exactly what
 * the collector calls. Each returns 0 (or a count) or a negative errno:
 * -EINVAL for malformed input. Outputs are written only on success. */
#ifndef CGSCOPE_PARSE_H
#define CGSCOPE_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* "max" in memory.max, pids.max, cpu.max: no limit. */
#define CG_MAX UINT64_MAX
/* A key that a keyed file did not carry. */
#define CG_UNSET UINT64_MAX

/* A single number or "max" (memory.current, memory.max, pids.max, ...). */
int parse_u64_or_max(const char *buf, size_t len, uint64_t *ret);

/* Flat keyed files, one "key value" per line (cpu.stat, memory.stat,
 * memory.events, cgroup.events, cgroup.stat, pids.events): the value of each
 * key found in keys[] goes to values[index]; the others keep CG_UNSET. Keys
 * the table does not know (newer kernels add some) are skipped. Returns the
 * number of keys found. */
int parse_keyed(const char *buf, size_t len, const char *const *keys,
		unsigned nkeys, uint64_t *values);

/* cpu.max: "$QUOTA $PERIOD", quota "max" for none. */
int parse_cpu_max(const char *buf, size_t len, uint64_t *ret_quota,
		  uint64_t *ret_period);

struct io_dev_stat {
	uint32_t major, minor;
	uint64_t rbytes, wbytes, rios, wios, dbytes, dios;
};

/* io.stat: "MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=.. dbytes=.. dios=..",
 * one line per device. Fills up to max entries and returns how many lines
 * there are, which can be more than max: then grow the array and call again. */
int parse_io_stat(const char *buf, size_t len, struct io_dev_stat *ret,
		  size_t max);

struct psi_line {
	uint32_t avg10, avg60, avg300;	/* percent * 100, as the kernel keeps it */
	uint64_t total_usec;
};

struct psi {
	uint8_t has_some, has_full;
	struct psi_line some, full;
};

/* {cpu,memory,io,irq}.pressure: "some avg10=.. avg60=.. avg300=.. total=..",
 * and/or the same for "full" (irq.pressure has only "full"). */
int parse_pressure(const char *buf, size_t len, struct psi *ret);

/* /proc/self/mountinfo: the mount point of the first cgroup2 mount, with the
 * kernel's octal escapes (\040 for a space) undone. -ENOENT if none. */
int parse_mountinfo_cgroup2(const char *buf, size_t len, char *ret, size_t size);

#endif
