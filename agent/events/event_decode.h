/* SPDX-License-Identifier: GPL-2.0-only */
/* The records of the BPF ring buffer (bpf/events.h: a struct cgscope_rec
 * header and a body sized by the type) into the struct cgscope_event that
 * the rest of cgscope keeps, formats and serves. A pure function over the
 * record's bytes: the fuzz and unit tests call it. */
#ifndef CGSCOPE_EVENT_DECODE_H
#define CGSCOPE_EVENT_DECODE_H

#include <stdbool.h>
#include <stddef.h>

#include "bpf/events.h"

/* Decodes the record data[size] into *ret (every field written). Returns 1
 * when the record carried the cgroup's path (the kernel's, in ret->path), 0
 * when it did not (ret->path is "": the caller names the cgroup from its
 * id), -EINVAL when the record has no layout this build knows (a type out
 * of range, or a size that is not its type's). */
int event_decode(const void *data, size_t size, struct cgscope_event *ret);

#endif
