// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "cgroupfs/block_device.h"
#include "prom/cadvisor_text.h"
#include "cmd/cycle.h"
#include "prom/prom_filter.h"
#include "prom/prom_info.h"
#include "prom/prom_record.h"
#include "prom/prom_text.h"

int cycle_render(const struct snapshot *s, struct cycle_page *p, struct strbuf *sb)
{
	int r = prom_render(s, sb);

	p->cadvisor_off = SIZE_MAX;
	if (r >= 0) {
		prom_render_info(s, sb);
		prom_render_filter(&p->filter, sb);
		prom_render_record(p->record, sb);
		if (p->compat == COMPAT_CADVISOR && p->writer) {
			/* A tail of its own in the compressed page. */
			r = page_writer_mark(p->writer, PAGE_CADVISOR);
			p->cadvisor_off = p->writer->mark_off[PAGE_CADVISOR];
		} else if (p->compat == COMPAT_CADVISOR) {
			p->cadvisor_off = sb->len;
		}
		if (r >= 0 && p->compat == COMPAT_CADVISOR)
			cadvisor_render_devnames(s, p->devname ? p->devname : block_device_name, sb);
		if (r >= 0)
			r = sb_error(sb);
	}
	return r;
}

int cycle_run_opts(struct collector *c, const struct cycle_opts *o, struct snapshot **ret,
		   struct cgroup_filter_result *ret_result)
{
	struct cycle_page page = { .compat = o->compat, .record = o->record, .devname = o->devname };
	struct snapshot *raw, *s;
	struct page_writer w;
	int r;

	r = collector_collect(c, &raw);
	if (r < 0)
		return r;
	/* Every cgroup, so that a container the filter leaves out now and
	 * then is not read again each time it comes back. */
	if (o->names)
		container_names_update(o->names, raw);
	r = cgroup_filter_apply(&o->filter, raw, &s, &page.filter);
	snapshot_unref(raw);
	if (r < 0)
		return r;
	/* Without names (no memory) the labels are "", nothing else changes. */
	if (o->names)
		container_names_attach(o->names, s);
	if (o->enrich)
		o->enrich(o->enrich_ctx, s);
	r = page_writer_start(&w, o->page_chunk);
	if (r >= 0) {
		page.writer = &w;
		r = cycle_render(s, &page, &w.sb);
		if (r >= 0)
			r = page_writer_finish(&w, &s->page);
		else
			page_writer_abort(&w);
	}
	if (r < 0) {
		snapshot_unref(s);
		return r;
	}
	if (ret_result)
		*ret_result = page.filter;
	*ret = s;
	return 0;
}

int cycle_run(struct collector *c, struct snapshot **ret)
{
	struct cycle_opts o = { .compat = COMPAT_NONE };

	cgroup_filter_init(&o.filter);
	return cycle_run_opts(c, &o, ret, NULL);
}

int compat_parse(const char *name, enum compat *ret)
{
	if (!strcmp(name, "cadvisor"))
		*ret = COMPAT_CADVISOR;
	else if (!strcmp(name, "none"))
		*ret = COMPAT_NONE;
	else
		return -EINVAL;
	return 0;
}
