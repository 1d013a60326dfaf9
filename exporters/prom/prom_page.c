// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>

#include "prom/prom_page.h"

int prom_page_open(struct prom_page *pg, const struct snapshot *s, struct strbuf *out,
		   prom_labels_fn labels)
{
	struct strbuf lb = {0};

	*pg = (struct prom_page){ .s = s, .out = out };
	pg->label_off = malloc(sizeof(*pg->label_off) * (s->n + 1));
	if (!pg->label_off)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		pg->label_off[i] = (uint32_t)lb.len;
		labels(&lb, s, i);
		sb_putc(&lb, '\0');
	}
	pg->label_off[s->n] = (uint32_t)lb.len;
	if (sb_error(&lb) < 0 || !(pg->labels = sb_steal(&lb, NULL))) {
		sb_free(&lb);
		prom_page_close(pg);
		return -ENOMEM;
	}
	return 0;
}

void prom_page_close(struct prom_page *pg)
{
	free(pg->labels);
	free(pg->label_off);
	pg->labels = NULL;
	pg->label_off = NULL;
}

void prom_family(struct prom_page *pg, const char *name, const char *type, const char *help)
{
	struct strbuf *sb = pg->out;

	sb_puts(sb, "# HELP ");
	sb_puts(sb, name);
	sb_putc(sb, ' ');
	sb_puts(sb, help);
	sb_puts(sb, "\n# TYPE ");
	sb_puts(sb, name);
	sb_putc(sb, ' ');
	sb_puts(sb, type);
	sb_putc(sb, '\n');
}

void prom_io_family(struct prom_page *pg, const char *name, const char *help, size_t off,
		    prom_device_fn device)
{
	const struct snapshot *s = pg->s;
	int any = 0;

	for (size_t i = 0; i < s->n; i++) {
		const struct cgroup_values *v = &s->cgroups[i].v;

		if (!cg_has(v, F_IO_STAT))
			continue;
		for (uint32_t d = 0; d < v->io_count; d++) {
			const struct io_dev_stat *ds = &s->io.items[v->io_first + d];

			if (!any++)
				prom_family(pg, name, "counter", help);
			prom_series(pg, name, i);
			device(pg, ds);
			prom_value(pg, *(const uint64_t *)((const char *)ds + off), 0);
		}
	}
}
