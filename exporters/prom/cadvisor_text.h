/* SPDX-License-Identifier: GPL-2.0-only */
/* --compat=cadvisor: what cgscope measures under cAdvisor's metric names,
 * label set and presence rules, so that dashboards and alerts written for
 * the kubelet's /metrics/cadvisor work unchanged.
 *
 * Every cgroup is a "container", as cAdvisor's raw handler sees it. Labels:
 *   id         the cgroup path ("/" for the root), as in cAdvisor
 *   name       the runtime's name for the container (CRI-O, Docker) when its
 *              state says one, else the container id when the path names one
 *              (agent/cgroupfs/identity.h), else ""
 *   image, pod, namespace, container
 *              from the container runtime's state on disk, as the kubelet's
 *              cAdvisor labels them (agent/collect/container_names.h): a
 *              sandbox has container="" (containerd) or "POD", a pod's own
 *              cgroup namespace and pod only, anything else ""
 *
 * Values follow cAdvisor's definitions on cgroup v2 (container/libcontainer
 * handler, runc's fs2 stats):
 *   container_cpu_usage_seconds_total{cpu="total"}   cpu.stat usage_usec,
 *                                  only when > 0 (no per-CPU usage on v2)
 *   container_cpu_{user,system}_seconds_total        cpu.stat user/system_usec
 *   container_cpu_cfs_{periods,throttled_periods}_total, ..._throttled_seconds_total
 *                                  cpu.stat nr_periods, nr_throttled,
 *                                  throttled_usec; only when cpu.max has a quota
 *   container_memory_usage_bytes   memory.current
 *   container_memory_working_set_bytes
 *                                  memory.current - memory.stat inactive_file,
 *                                  0 if negative (memory.current if no memory.stat)
 *   container_memory_rss           memory.stat anon
 *   container_memory_cache         memory.stat file
 *   container_memory_swap          memory.swap.current (runc reports swap+memory,
 *                                  cAdvisor subtracts memory.current again)
 *   container_spec_memory_limit_bytes
 *                                  memory.max, 0 when unlimited (above 2^62)
 *   container_oom_events_total     memory.events oom_kill (cAdvisor counts the
 *                                  kernel log's OOM kills since it started;
 *                                  the kernel's counter is the same events,
 *                                  and survives an agent restart)
 *   container_pressure_{cpu,memory,io}_stalled_seconds_total  PSI "full" total
 *   container_pressure_{cpu,memory,io}_waiting_seconds_total  PSI "some" total
 *   container_fs_{reads,writes}_bytes_total{device}  io.stat rbytes, wbytes
 *   container_fs_{reads,writes}_total{device}        io.stat rios, wios
 *   container_blkio_device_usage_total{device,major,minor,operation="Read"|"Write"}
 *                                  io.stat rbytes, wbytes
 * A family whose file was not read for a cgroup (controller off, or its
 * metric group switched off) has no series for it. */
#ifndef CGSCOPE_CADVISOR_TEXT_H
#define CGSCOPE_CADVISOR_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "collect/snapshot.h"
#include "lib/strbuf.h"

/* Names device major:minor for the `device` label: a NUL-terminated name in
 * ret[size], 0, or a negative errno when unknown. An unknown device is
 * labelled "MAJ:MIN" (cAdvisor leaves it "", which makes two unknown devices
 * of one cgroup the same series). */
typedef int (*cadvisor_devname_fn)(uint32_t major, uint32_t minor, char *ret, size_t size);

/* Appends every cAdvisor family of s to out, devices named by
 * block_device_name ("/dev/sda"). 0 or -ENOMEM. */
int cadvisor_render(const struct snapshot *s, struct strbuf *out);

/* The same with another way to name devices (tests; NULL: "MAJ:MIN"). */
int cadvisor_render_devnames(const struct snapshot *s, cadvisor_devname_fn devname,
			     struct strbuf *out);

#endif
