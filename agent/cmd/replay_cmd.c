// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cycle.h"
#include "cmd/replay_cmd.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/version.h"

int flag_time(const struct flag *f, const char *value, void *cfg)
{
	return parse_time_arg(value, clock_ms(CLOCK_REALTIME), (int64_t *)((char *)cfg + f->off));
}

int replay_cmd_open(const char *cmd, const char *dir, struct replay **ret)
{
	int r = replay_open(dir, ret);

	if (r == -ENOENT)
		log_error("cgscope %s: %s holds no recording (an agent records with --record.dir)",
			  cmd, dir);
	else if (r < 0)
		log_error("cgscope %s: cannot read %s: %s", cmd, dir, strerror(-r));
	return r;
}

void replay_cmd_span(struct replay *rp, char *buf, size_t size)
{
	int64_t first, last;
	char a[64], b[64];

	if (replay_span(rp, &first, &last) < 0) {
		snprintf(buf, size, "nothing");
		return;
	}
	format_time_local(first, 0, 1, a, sizeof(a));
	format_time_local(last, 0, 1, b, sizeof(b));
	snprintf(buf, size, "%s to %s", a, b);
}

/* The device names the recorded page used: cadvisor_devname_fn has no
 * context, and one page is rendered at a time. */
static const struct cycle_meta *devs_of;

static int recorded_devname(uint32_t major, uint32_t minor, char *ret, size_t size)
{
	for (size_t i = 0; devs_of && i < devs_of->ndev; i++) {
		const struct cycle_devname *d = &devs_of->devs[i];

		if (d->major == major && d->minor == minor) {
			if (!d->name[0])
				return -ENOENT;
			snprintf(ret, size, "%s", d->name);
			return 0;
		}
	}
	return -ENOENT;
}

int replay_cmd_render(const struct replay_cycle *c, struct strbuf *sb)
{
	struct cycle_page p = {
		.filter = { .kept = c->s->n, .filtered = c->meta.filtered,
			    .over_limit = c->meta.over_limit },
		.compat = c->meta.compat == COMPAT_CADVISOR ? COMPAT_CADVISOR : COMPAT_NONE,
		.record = c->meta.rec.on ? &c->meta.rec : NULL,
		.devname = recorded_devname,
	};
	int r;

	devs_of = &c->meta;
	r = cycle_render(c->s, &p, sb);
	devs_of = NULL;
	return r;
}

void replay_cmd_note_version(const struct replay_cycle *c)
{
	static bool said;

	if (said)
		return;
	if (c->layout_differs)
		log_warn("recorded by cgscope %s, whose counters differ from this one's (%s): the "
			 "self-metrics of the page are left out", c->meta.version, cgscope_version);
	else if (strcmp(c->meta.version, cgscope_version))
		log_warn("recorded by cgscope %s, replayed by %s: cgscope_build_info, and any family "
			 "the two render differently, differ from the page served",
			 c->meta.version, cgscope_version);
	else
		return;
	said = true;
}
