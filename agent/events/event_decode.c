// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "events/event_decode.h"

/* The size of each type's record (events.h); 0 for none. */
static size_t rec_size(uint32_t type)
{
	switch (type) {
	case CGSCOPE_EV_MIGRATION:
		return sizeof(struct cgscope_rec_migration);
	case CGSCOPE_EV_MKDIR:
	case CGSCOPE_EV_RMDIR:
	case CGSCOPE_EV_RENAME:
		return sizeof(struct cgscope_rec_path);
	case CGSCOPE_EV_RELEASE:
	case CGSCOPE_EV_FREEZE:
	case CGSCOPE_EV_UNFREEZE:
	case CGSCOPE_EV_FROZEN:
	case CGSCOPE_EV_POPULATED:
		return sizeof(struct cgscope_rec);
	case CGSCOPE_EV_THROTTLE:
	case CGSCOPE_EV_UNTHROTTLE:
		return sizeof(struct cgscope_rec_throttle);
	case CGSCOPE_EV_OOM_KILL:
		return sizeof(struct cgscope_event);
	default:
		return 0;
	}
}

static void copy_str(char *dst, const char *src, size_t size)
{
	memcpy(dst, src, size);
	dst[size - 1] = 0;
}

int event_decode(const void *data, size_t size, struct cgscope_event *ret)
{
	struct cgscope_rec h;

	if (size < sizeof(h))
		return -EINVAL;
	memcpy(&h, data, sizeof(h));
	if (h.type == CGSCOPE_EV_NONE || h.type >= CGSCOPE_EV_TYPES || size != rec_size(h.type))
		return -EINVAL;
	if (h.type == CGSCOPE_EV_OOM_KILL) {
		memcpy(ret, data, sizeof(*ret));
		ret->comm[sizeof(ret->comm) - 1] = 0;
		ret->killer_comm[sizeof(ret->killer_comm) - 1] = 0;
		ret->path[sizeof(ret->path) - 1] = 0;
		/* The victim's cgroup, when known, comes with the kernel's path. */
		return ret->cgroup_id && (ret->flags & CGSCOPE_EVF_VICTIM_CGROUP) && ret->path[0];
	}
	memset(ret, 0, sizeof(*ret));
	ret->type = h.type;
	ret->source = h.source;
	ret->ts_ns = h.ts_ns;
	ret->cgroup_id = h.cgroup_id;
	ret->level = h.level;
	ret->flags = h.flags;
	ret->pid = h.pid;
	ret->tgid = h.tgid;
	ret->count = 1;
	copy_str(ret->comm, h.comm, sizeof(ret->comm));
	switch (h.type) {
	case CGSCOPE_EV_MIGRATION: {
		struct cgscope_rec_migration m;

		memcpy(&m, data, sizeof(m));
		ret->src_cgroup_id = m.src_cgroup_id;
		return 0;
	}
	case CGSCOPE_EV_THROTTLE:
	case CGSCOPE_EV_UNTHROTTLE: {
		struct cgscope_rec_throttle t;

		memcpy(&t, data, sizeof(t));
		ret->cpu = h.aux;
		ret->throttled_ns = t.throttled_ns;
		return 0;
	}
	case CGSCOPE_EV_FROZEN:
	case CGSCOPE_EV_POPULATED:
		ret->value = (int32_t)h.aux;
		return 0;
	case CGSCOPE_EV_MKDIR:
	case CGSCOPE_EV_RMDIR:
	case CGSCOPE_EV_RENAME:
		copy_str(ret->path, (const char *)data + offsetof(struct cgscope_rec_path, path),
			 sizeof(ret->path));
		return 1;
	default:
		return 0;
	}
}
