// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The cgroup iterator (cgroup_iter.bpf.h) for Linux 6.16 and later, which
 * split rstat per subsystem and renamed the flush: css_rstat_flush(css)
 * ("cgroup: use separate rstat trees for each subsystem"). Flushing the
 * cgroup's own css is what reading its cpu.stat does.
 *
 * One object per flush kfunc rather than both as __weak externs in one:
 * libbpf 1.1 looks a kfunc that vmlinux lacks up in the kernel modules'
 * BTF, which takes CAP_SYS_ADMIN to list (kernel/kernel_btf.h), and fails
 * the load without it, weak or not. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern void css_rstat_flush(struct cgroup_subsys_state *css) __ksym;
#define ITER_FLUSH(cgrp) css_rstat_flush(&(cgrp)->self)

#include "cgroup_iter.bpf.h"
