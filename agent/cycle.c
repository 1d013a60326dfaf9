// SPDX-License-Identifier: GPL-2.0-only
#include "cycle.h"
#include "prom_text.h"

int cycle_run(struct collector *c, struct snapshot **ret)
{
	struct strbuf sb = {0};
	struct snapshot *s;
	int r;

	r = collector_collect(c, &s);
	if (r < 0)
		return r;
	r = prom_render(s, &sb);
	if (r < 0) {
		sb_free(&sb);
		snapshot_unref(s);
		return r;
	}
	s->metrics = sb_steal(&sb, &s->metrics_len);
	*ret = s;
	return 0;
}
