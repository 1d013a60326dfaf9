// SPDX-License-Identifier: GPL-2.0-only
#include <string.h>

#include "cgroupfs/identity.h"
#include "prom/prom_info.h"
#include "prom/prom_text.h"

static void label(struct strbuf *sb, const char *name, const char *value)
{
	sb_putc(sb, ',');
	sb_puts(sb, name);
	sb_puts(sb, "=\"");
	prom_escape_label(sb, value, strlen(value));
	sb_putc(sb, '"');
}

void prom_render_info(const struct snapshot *s, struct strbuf *out)
{
	if (!s->n)
		return;
	sb_puts(out, "# HELP cgroup_info Who owns the cgroup: systemd unit, container id and "
		"runtime, Kubernetes pod UID and QoS class from its path; namespace, pod, container "
		"and image from the container runtime's state (empty when unknown); always 1, to "
		"join on cgroup.\n"
		"# TYPE cgroup_info gauge\n");
	for (size_t i = 0; i < s->n; i++) {
		const struct cgroup_sample *c = &s->cgroups[i];
		const char *path = sample_path(s, c);
		struct cgroup_identity id;

		/* Paths in a snapshot are absolute; an identity left empty is
		 * still one series, so that every cgroup has its info. */
		if (cgroup_identity_parse(path, &id) < 0)
			memset(&id, 0, sizeof(id));
		sb_puts(out, "cgroup_info{cgroup=\"");
		prom_escape_label(out, path, strlen(path));
		sb_puts(out, "\",id=\"");
		sb_u64(out, c->id);
		sb_putc(out, '"');
		label(out, "unit", id.unit);
		label(out, "container_id", id.container_id);
		label(out, "runtime", id.runtime);
		label(out, "pod_uid", id.pod_uid);
		label(out, "qos_class", id.qos_class);
		label(out, "namespace", sample_name(s, i, CN_NAMESPACE));
		label(out, "pod", sample_name(s, i, CN_POD));
		label(out, "container", sample_name(s, i, CN_CONTAINER));
		label(out, "image", sample_name(s, i, CN_IMAGE));
		sb_puts(out, "} 1\n");
	}
	if (!s->names)
		return;
	sb_puts(out, "# HELP cgscope_identity_errors_total Container state files that could not "
		"give a container's names (its labels stay empty), by reason.\n"
		"# TYPE cgscope_identity_errors_total counter\n");
	for (int r = 0; r < IDERR_NR; r++) {
		sb_puts(out, "cgscope_identity_errors_total{reason=\"");
		sb_puts(out, identity_error_reasons[r]);
		sb_puts(out, "\"} ");
		sb_u64(out, s->identity_errors[r]);
		sb_putc(out, '\n');
	}
}
