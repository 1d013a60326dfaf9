// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The cgroup iterator (cgroup_iter.bpf.h) for Linux 6.1 to 6.15, whose
 * statistics flush is cgroup_rstat_flush(cgrp): it flushes the base
 * statistics and every controller's (memory.stat's included) of the
 * cgroup's subtree, as reading its cpu.stat or memory.stat does. Why two
 * objects: cgscope_iter.bpf.c. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern void cgroup_rstat_flush(struct cgroup *cgrp) __ksym;
#define ITER_FLUSH(cgrp) cgroup_rstat_flush(cgrp)

#include "cgroup_iter.bpf.h"
