/* SPDX-License-Identifier: GPL-2.0-only */
/* Writing a Prometheus text page of a snapshot, one family at a time: what
 * cgscope's own families and the cAdvisor-compatible ones share. Each
 * cgroup's labels are escaped once per page, not once per series. */
#ifndef CGSCOPE_PROM_PAGE_H
#define CGSCOPE_PROM_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"
#include "strbuf.h"

struct prom_page {
	const struct snapshot *s;
	struct strbuf *out;
	char *labels;
	uint32_t *label_off;
};

/* Writes the label text of cgroup i (`cgroup="/a"`), escaped. */
typedef void (*prom_labels_fn)(struct strbuf *sb, const struct snapshot *s, size_t i);

int prom_page_open(struct prom_page *pg, const struct snapshot *s, struct strbuf *out,
		   prom_labels_fn labels);
void prom_page_close(struct prom_page *pg);

/* # HELP and # TYPE. */
void prom_family(struct prom_page *pg, const char *name, const char *type, const char *help);
/* `name{LABELS` of cgroup i; more labels may follow, then prom_value. */
void prom_series(struct prom_page *pg, const char *name, size_t i);
/* `} v/10^digits` and the end of the line. */
void prom_value(struct prom_page *pg, uint64_t v, unsigned digits);

/* One family with a series per io.stat device of each cgroup, its value the
 * uint64_t at off in struct io_dev_stat; device() writes the device's
 * labels (",device=..."). No family header when no cgroup has a device. */
typedef void (*prom_device_fn)(struct prom_page *pg, const struct io_dev_stat *ds);
void prom_io_family(struct prom_page *pg, const char *name, const char *help, size_t off,
		    prom_device_fn device);

#endif
