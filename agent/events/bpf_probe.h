/* SPDX-License-Identifier: GPL-2.0-only */
/* What the running kernel lets us hook, found cheaply before anything real is
 * loaded: one trivial program load per kind of hook (cached), BTF look-ups,
 * and file checks. With bpf/core_compat.bpf.h it is the only place that knows how
 * kernels differ; the loader asks it which variant of a feature to load. */
#ifndef CGSCOPE_BPF_PROBE_H
#define CGSCOPE_BPF_PROBE_H

#include <stdbool.h>

#include "bpf/events.h"

struct bpf_probe;

/* Reads the kernel's BTF (kernel/kernel_btf.h) and checks that BPF
 * tracing programs and ring buffers can be loaded at all. Fails with
 * -EPERM (or -EACCES) without the privilege, -EOPNOTSUPP when the kernel
 * has no BTF or no ring buffer (before 5.8), -ENOMEM. */
int bpf_probe_new(struct bpf_probe **ret);
void bpf_probe_free(struct bpf_probe *p);

/* Whether a program of section SEC (as libbpf names it: "tp_btf/NAME",
 * "raw_tp/NAME", "tracepoint/CAT/NAME", "fentry/FUNC", "fexit/FUNC",
 * "kprobe/FUNC", "kretprobe/FUNC", "iter/task", "cgroup_skb/ingress",
 * "cgroup_skb/egress") can be loaded and attached here (cgroup_skb: loaded,
 * and the kernel has cgroup bpf_links; whether this process may attach is
 * left to the attach). 0 if so; -ENOENT when the tracepoint or function does not exist (or
 * is inlined), -EPERM/-EOPNOTSUPP/... when the kind of hook is refused. */
int bpf_probe_section(struct bpf_probe *p, const char *sec);

/* Releases the kernel's BTF (5 to 8 MB parsed) once every section the
 * loader will ask about has been asked once: the answers are kept, and
 * libbpf parses its own copy for each load, so holding ours through the
 * loads doubled the agent's peak. A section first asked after this gets
 * -ENOENT. */
void bpf_probe_release_btf(struct bpf_probe *p);

/* Why the last bpf_probe_section() refused, in words, when the errno says
 * too little ("tracefs is not mounted"); NULL when the errno says it all. */
const char *bpf_probe_reason(const struct bpf_probe *p);

/* oom:mark_victim's arguments: (task_struct *, uid) on newer kernels, only
 * the pid on older ones. From the BTF of the tracepoint's prototype. */
bool bpf_probe_mark_victim_has_task(const struct bpf_probe *p);

/* Whether tcp:tcp_retransmit_skb passes err as its third argument (and
 * fires for failed retransmissions too). From its prototype's BTF. */
bool bpf_probe_tcp_retransmit_has_err(const struct bpf_probe *p);

#endif
