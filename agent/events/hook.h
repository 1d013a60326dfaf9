/* SPDX-License-Identifier: GPL-2.0-only */
/* The names of the kinds of hook (enum cgscope_hook, bpf/events.h): the one
 * table that the loader's metrics and logs, the records' "source" and the
 * --deny-hook flag all use. */
#ifndef CGSCOPE_HOOK_H
#define CGSCOPE_HOOK_H

#include <stdint.h>

#include "bpf/events.h"

/* "none", "tracepoint", "tp_btf", "raw_tp", "fentry", "kprobe", "poll",
 * "cgroup_skb";
 * "unknown" for a value outside the enum (a record of a newer layout). */
const char *hook_name(uint32_t hook);

/* The reverse; -EINVAL for an unknown name. */
int hook_parse(const char *name, enum cgscope_hook *ret);

/* A comma-separated list of hooks that BPF provides (not none, not poll)
 * as a mask of 1u << enum cgscope_hook; -EINVAL for an unknown word or an
 * empty list. */
int hook_mask_parse(const char *list, uint32_t *ret_mask);

#endif
