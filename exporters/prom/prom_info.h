/* SPDX-License-Identifier: GPL-2.0-only */
/* cgroup_info: one series per cgroup saying who owns it (agent/cgroupfs/identity.h),
 * so that a query joins on `cgroup` instead of every series carrying the
 * owner's labels. */
#ifndef CGSCOPE_PROM_INFO_H
#define CGSCOPE_PROM_INFO_H

#include "collect/snapshot.h"
#include "lib/strbuf.h"

/* Appends the cgroup_info family to out:
 *   cgroup_info{cgroup,id,unit,container_id,runtime,pod_uid,qos_class,
 *               namespace,pod,container,image} 1
 * with "" for what a cgroup's path and its container's state do not say,
 * and, when s has names (collect/container_names.h),
 *   cgscope_identity_errors_total{reason} N
 * An allocation failure is left in out (sb_error). */
void prom_render_info(const struct snapshot *s, struct strbuf *out);

#endif
