// SPDX-License-Identifier: GPL-2.0-only
#include "prom/prom_filter.h"

void prom_render_filter(const struct cgroup_filter_result *r, struct strbuf *out)
{
	sb_puts(out, "# HELP cgscope_cgroups_dropped Cgroups of the last cycle left out of what is "
		"served: by --include, --exclude or --max-depth (reason=\"filter\"), or by "
		"--max-cgroups, the largest by CPU and memory kept (reason=\"limit\").\n"
		"# TYPE cgscope_cgroups_dropped gauge\n"
		"cgscope_cgroups_dropped{reason=\"filter\"} ");
	sb_u64(out, r->filtered);
	sb_puts(out, "\ncgscope_cgroups_dropped{reason=\"limit\"} ");
	sb_u64(out, r->over_limit);
	sb_putc(out, '\n');
}
