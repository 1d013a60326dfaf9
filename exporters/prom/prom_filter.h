/* SPDX-License-Identifier: GPL-2.0-only */
/* The self-metric of cardinality control (agent/collect/cgroup_filter.h): how many
 * cgroups the last cycle left out of what is served, and why. */
#ifndef CGSCOPE_PROM_FILTER_H
#define CGSCOPE_PROM_FILTER_H

#include "collect/cgroup_filter.h"
#include "lib/strbuf.h"

/* Appends cgscope_cgroups_dropped{reason="filter"|"limit"}, both always, so
 * that an alert can watch for the limit being reached. */
void prom_render_filter(const struct cgroup_filter_result *r, struct strbuf *out);

#endif
