// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>

#include "events/hook.h"

static const char *const names[CGSCOPE_HOOKS] = {
	[CGSCOPE_HOOK_NONE] = "none",
	[CGSCOPE_HOOK_TRACEPOINT] = "tracepoint",
	[CGSCOPE_HOOK_TP_BTF] = "tp_btf",
	[CGSCOPE_HOOK_RAW_TP] = "raw_tp",
	[CGSCOPE_HOOK_FENTRY] = "fentry",
	[CGSCOPE_HOOK_KPROBE] = "kprobe",
	[CGSCOPE_HOOK_POLL] = "poll",
	[CGSCOPE_HOOK_CGROUP_SKB] = "cgroup_skb",
};

const char *hook_name(uint32_t hook)
{
	return hook < CGSCOPE_HOOKS ? names[hook] : "unknown";
}

int hook_parse(const char *name, enum cgscope_hook *ret)
{
	for (int h = 0; h < CGSCOPE_HOOKS; h++)
		if (!strcmp(name, names[h])) {
			*ret = (enum cgscope_hook)h;
			return 0;
		}
	return -EINVAL;
}

int hook_mask_parse(const char *list, uint32_t *ret_mask)
{
	uint32_t mask = 0;
	const char *p = list;

	for (;;) {
		size_t n = strcspn(p, ",");
		char word[16];
		enum cgscope_hook h;

		if (n == 0 || n >= sizeof(word))
			return -EINVAL;
		memcpy(word, p, n);
		word[n] = 0;
		if (hook_parse(word, &h) < 0 || h == CGSCOPE_HOOK_NONE || h == CGSCOPE_HOOK_POLL)
			return -EINVAL;
		mask |= 1u << h;
		if (!p[n])
			break;
		p += n + 1;
	}
	*ret_mask = mask;
	return 0;
}
