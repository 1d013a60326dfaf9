/* SPDX-License-Identifier: GPL-2.0-only */
/* Writing a Prometheus text page of a snapshot, one family at a time: what
 * cgscope's own families and the cAdvisor-compatible ones share. Each
 * cgroup's labels are escaped once per page, not once per series. */
#ifndef CGSCOPE_PROM_PAGE_H
#define CGSCOPE_PROM_PAGE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "collect/snapshot.h"
#include "lib/strbuf.h"

struct prom_page {
	const struct snapshot *s;
	struct strbuf *out;
	char *labels;
	uint32_t *label_off;	/* n + 1: cgroup i's labels end at label_off[i + 1] - 1 */
	const char *name;	/* the last series' metric name, and its length */
	size_t name_len;
};

/* Writes the label text of cgroup i (`cgroup="/a"`), escaped. */
typedef void (*prom_labels_fn)(struct strbuf *sb, const struct snapshot *s, size_t i);

int prom_page_open(struct prom_page *pg, const struct snapshot *s, struct strbuf *out,
		   prom_labels_fn labels);
void prom_page_close(struct prom_page *pg);

/* # HELP and # TYPE. */
void prom_family(struct prom_page *pg, const char *name, const char *type, const char *help);
/* The labels of cgroup i and their length. */
static inline const char *prom_labels(const struct prom_page *pg, size_t i, size_t *len)
{
	*len = pg->label_off[i + 1] - pg->label_off[i] - 1;
	return pg->labels + pg->label_off[i];
}

/* `name{LABELS` of cgroup i; more labels may follow, then prom_value. name
 * is a literal or a table's: its length is kept while the same pointer
 * comes again.
 * Inline: it and prom_value run once per series. One reservation covers
 * the line's usual extra labels and its value. */
static inline void prom_series(struct prom_page *pg, const char *name, size_t i)
{
	size_t len;
	const char *labels = prom_labels(pg, i, &len);

	if (name != pg->name) {		/* a family's series come in a row */
		pg->name = name;
		pg->name_len = strlen(name);
	}
	if (sb_reserve(pg->out, pg->name_len + len + 128) < 0)
		return;
	sb_append(pg->out, name, pg->name_len);
	sb_putc(pg->out, '{');
	sb_append(pg->out, labels, len);
}

/* `} v/10^digits` and the end of the line. */
static inline void prom_value(struct prom_page *pg, uint64_t v, unsigned digits)
{
	sb_append(pg->out, "} ", 2);
	sb_fixed(pg->out, v, digits);
	sb_putc(pg->out, '\n');
}

/* One family with a series per io.stat device of each cgroup, its value the
 * uint64_t at off in struct io_dev_stat; device() writes the device's
 * labels (",device=..."). No family header when no cgroup has a device. */
typedef void (*prom_device_fn)(struct prom_page *pg, const struct io_dev_stat *ds);
void prom_io_family(struct prom_page *pg, const char *name, const char *help, size_t off,
		    prom_device_fn device);

#endif
