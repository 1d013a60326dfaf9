// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupfs/block_device.h"
#include "prom/cadvisor_text.h"
#include "prom/prom_page.h"
#include "cgroupfs/identity.h"
#include "prom/prom_text.h"
#include "lib/macros.h"

/* cAdvisor takes a memory limit above this as "unlimited" and reports 0: the
 * kernel rounds "max" down to a page multiple, so it is not UINT64_MAX. */
#define CADVISOR_MAX_MEMORY (UINT64_C(1) << 62)

struct device {
	uint32_t major, minor;
	char name[64];
};

struct page {
	struct prom_page p;		/* its labels: cAdvisor's base set */
	const struct snapshot *s;
	struct strbuf *out;
	struct device *dev;
	size_t ndev;
	int anon, file, inactive_file;	/* memory.stat indexes; -1 if unknown */
};

static int memstat_index(const char *key)
{
	for (int i = 0; i < MEMSTAT_NR; i++)
		if (!strcmp(memory_stat_keys[i], key))
			return i;
	return -1;
}

/* --- what each family reads -------------------------------------------- */

/* Each getter says whether cgroup v has a value for the family, and which. */
typedef bool (*getter)(const struct page *pg, int arg, const struct cgroup_values *v,
		       uint64_t *ret);

static bool keyed_value(uint64_t x, uint64_t *ret)
{
	if (x == CG_UNSET)
		return false;
	*ret = x;
	return true;
}

static bool get_cpu_usage(const struct page *pg, int arg, const struct cgroup_values *v,
			  uint64_t *ret)
{
	(void)pg, (void)arg;
	/* cAdvisor emits the "total" series only when usage is not zero. */
	return cg_has(v, F_CPU_STAT) && v->cpu[CPU_USAGE] != CG_UNSET &&
	       v->cpu[CPU_USAGE] > 0 && keyed_value(v->cpu[CPU_USAGE], ret);
}

static bool get_cpu(const struct page *pg, int arg, const struct cgroup_values *v,
		    uint64_t *ret)
{
	(void)pg;
	return cg_has(v, F_CPU_STAT) && keyed_value(v->cpu[arg], ret);
}

/* cAdvisor's condition for the CFS families: the spec has a quota, which on
 * cgroup v2 is a cpu.max quota other than "max". */
static bool get_cfs(const struct page *pg, int arg, const struct cgroup_values *v,
		    uint64_t *ret)
{
	return cg_has(v, F_CPU_MAX) && v->cpu_quota != CG_MAX && get_cpu(pg, arg, v, ret);
}

static bool get_mem_usage(const struct page *pg, int arg, const struct cgroup_values *v,
			  uint64_t *ret)
{
	(void)pg, (void)arg;
	if (!cg_has(v, F_MEMORY_CURRENT))
		return false;
	*ret = v->mem_current;
	return true;
}

static bool get_working_set(const struct page *pg, int arg, const struct cgroup_values *v,
			    uint64_t *ret)
{
	const uint64_t *ms = sample_mem_stat(pg->p.s, v);
	uint64_t inactive = 0;

	(void)arg;
	if (!cg_has(v, F_MEMORY_CURRENT))
		return false;
	if (ms && pg->inactive_file >= 0 && ms[pg->inactive_file] != CG_UNSET)
		inactive = ms[pg->inactive_file];
	*ret = v->mem_current > inactive ? v->mem_current - inactive : 0;
	return true;
}

/* arg: which memory.stat index of the page (anon or file). */
static bool get_memstat(const struct page *pg, int arg, const struct cgroup_values *v,
			uint64_t *ret)
{
	const uint64_t *ms = sample_mem_stat(pg->p.s, v);
	int idx = arg ? pg->file : pg->anon;

	return ms && idx >= 0 && keyed_value(ms[idx], ret);
}

static bool get_swap(const struct page *pg, int arg, const struct cgroup_values *v,
		     uint64_t *ret)
{
	(void)pg, (void)arg;
	if (!cg_has(v, F_MEMORY_SWAP_CURRENT))
		return false;
	*ret = v->swap_current;
	return true;
}

static bool get_mem_limit(const struct page *pg, int arg, const struct cgroup_values *v,
			  uint64_t *ret)
{
	(void)pg, (void)arg;
	if (!cg_has(v, F_MEMORY_MAX))
		return false;
	*ret = v->mem_max > CADVISOR_MAX_MEMORY ? 0 : v->mem_max;
	return true;
}

static bool get_oom(const struct page *pg, int arg, const struct cgroup_values *v,
		    uint64_t *ret)
{
	(void)pg, (void)arg;
	return cg_has(v, F_MEMORY_EVENTS) && keyed_value(v->mem_events[MEMEV_OOM_KILL], ret);
}

/* arg: PSI resource * 2 + (1 for "full", 0 for "some"). */
static bool get_psi(const struct page *pg, int arg, const struct cgroup_values *v,
		    uint64_t *ret)
{
	int r = arg / 2, full = arg % 2;
	const struct psi *p = &v->psi[r];

	(void)pg;
	if (!cg_has(v, (enum cg_file)(F_CPU_PRESSURE + r)) || !(full ? p->has_full : p->has_some))
		return false;
	*ret = full ? p->full.total_usec : p->some.total_usec;
	return true;
}

struct family {
	const char *name, *type, *help;
	const char *extra;		/* a label added to every series, or NULL */
	getter get;
	int arg;
	unsigned digits;		/* 6: usec to seconds */
};

#define PSI(res, idx)                                                                      \
	{ "container_pressure_" res "_stalled_seconds_total", "counter",                   \
	  "Time in which no task of the cgroup could make progress for lack of " res       \
	  " (" res ".pressure full total).", NULL, get_psi, (idx) * 2 + 1, 6 },             \
	{ "container_pressure_" res "_waiting_seconds_total", "counter",                   \
	  "Time in which some task of the cgroup waited for " res                           \
	  " (" res ".pressure some total).", NULL, get_psi, (idx) * 2, 6 }

static const struct family families[] = {
	{ "container_cpu_usage_seconds_total", "counter",
	  "CPU time used by the cgroup's tasks (cpu.stat usage_usec); cpu=\"total\", cgroup v2 has no per-CPU usage.",
	  "cpu=\"total\"", get_cpu_usage, 0, 6 },
	{ "container_cpu_user_seconds_total", "counter",
	  "CPU time in user mode (cpu.stat user_usec).", NULL, get_cpu, CPU_USER, 6 },
	{ "container_cpu_system_seconds_total", "counter",
	  "CPU time in kernel mode (cpu.stat system_usec).", NULL, get_cpu, CPU_SYSTEM, 6 },
	{ "container_cpu_cfs_periods_total", "counter",
	  "Elapsed CFS enforcement periods (cpu.stat nr_periods); only with a cpu.max quota.",
	  NULL, get_cfs, CPU_PERIODS, 0 },
	{ "container_cpu_cfs_throttled_periods_total", "counter",
	  "CFS periods in which the cgroup was throttled (cpu.stat nr_throttled); only with a cpu.max quota.",
	  NULL, get_cfs, CPU_THROTTLED, 0 },
	{ "container_cpu_cfs_throttled_seconds_total", "counter",
	  "Time the cgroup was throttled (cpu.stat throttled_usec); only with a cpu.max quota.",
	  NULL, get_cfs, CPU_THROTTLED_USEC, 6 },
	{ "container_memory_usage_bytes", "gauge",
	  "Memory charged to the cgroup, page cache included (memory.current).",
	  NULL, get_mem_usage, 0, 0 },
	{ "container_memory_working_set_bytes", "gauge",
	  "memory.current minus inactive_file of memory.stat, 0 if negative.",
	  NULL, get_working_set, 0, 0 },
	{ "container_memory_rss", "gauge",
	  "Anonymous memory (memory.stat anon).", NULL, get_memstat, 0, 0 },
	{ "container_memory_cache", "gauge",
	  "Page cache memory (memory.stat file).", NULL, get_memstat, 1, 0 },
	{ "container_memory_swap", "gauge",
	  "Swap used by the cgroup (memory.swap.current).", NULL, get_swap, 0, 0 },
	{ "container_spec_memory_limit_bytes", "gauge",
	  "Hard memory limit (memory.max); 0 when unlimited.", NULL, get_mem_limit, 0, 0 },
	{ "container_oom_events_total", "counter",
	  "Processes of the cgroup killed by the OOM killer (memory.events oom_kill).",
	  NULL, get_oom, 0, 0 },
	PSI("cpu", PSI_CPU),
	PSI("memory", PSI_MEMORY),
	PSI("io", PSI_IO),
};

/* --- rendering ----------------------------------------------------------- */

static void render_family(struct page *pg, const struct family *f)
{
	const struct snapshot *s = pg->s;
	bool any = false;

	for (size_t i = 0; i < s->n; i++) {
		uint64_t x;

		if (!f->get(pg, f->arg, &s->cgroups[i].v, &x))
			continue;
		if (!any)
			prom_family(&pg->p, f->name, f->type, f->help);
		any = true;
		prom_series(&pg->p, f->name, i);
		if (f->extra) {
			sb_putc(pg->out, ',');
			sb_puts(pg->out, f->extra);
		}
		prom_value(&pg->p, x, f->digits);
	}
}

static const struct device *find_device(const struct page *pg, uint32_t major, uint32_t minor)
{
	for (size_t i = 0; i < pg->ndev; i++)
		if (pg->dev[i].major == major && pg->dev[i].minor == minor)
			return &pg->dev[i];
	return NULL;
}

/* The devices of every io.stat read, each named once per page: a host has a
 * few disks and thousands of cgroups. */
static int name_devices(struct page *pg, cadvisor_devname_fn devname)
{
	const struct snapshot *s = pg->s;
	size_t cap = 0;

	for (size_t i = 0; i < s->n; i++) {
		const struct cgroup_values *v = &s->cgroups[i].v;

		if (!cg_has(v, F_IO_STAT))
			continue;
		for (uint32_t d = 0; d < v->io_count; d++) {
			const struct io_dev_stat *ds = &s->io.items[v->io_first + d];
			struct device *dev;

			if (find_device(pg, ds->major, ds->minor))
				continue;
			if (pg->ndev == cap) {
				size_t ncap = cap ? cap * 2 : 8;
				struct device *p = realloc(pg->dev, ncap * sizeof(*p));

				if (!p)
					return -ENOMEM;
				pg->dev = p;
				cap = ncap;
			}
			dev = &pg->dev[pg->ndev++];
			dev->major = ds->major;
			dev->minor = ds->minor;
			if (!devname || devname(ds->major, ds->minor, dev->name, sizeof(dev->name)) < 0)
				snprintf(dev->name, sizeof(dev->name), "%u:%u", ds->major, ds->minor);
		}
	}
	return 0;
}

static void device_label(struct page *pg, const struct io_dev_stat *ds)
{
	const struct device *dev = find_device(pg, ds->major, ds->minor);
	const char *name = dev ? dev->name : "";

	sb_puts(pg->out, ",device=\"");
	prom_escape_label(pg->out, name, strlen(name));
	sb_putc(pg->out, '"');
}

/* The page is the first member of struct page: from it, the device names. */
static void fs_device_label(struct prom_page *p, const struct io_dev_stat *ds)
{
	device_label((struct page *)p, ds);
}

static void render_io(struct page *pg)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} io[] = {
		{ "container_fs_reads_bytes_total", "Bytes read from the device (io.stat rbytes).", offsetof(struct io_dev_stat, rbytes) },
		{ "container_fs_writes_bytes_total", "Bytes written to the device (io.stat wbytes).", offsetof(struct io_dev_stat, wbytes) },
		{ "container_fs_reads_total", "Read operations completed on the device (io.stat rios).", offsetof(struct io_dev_stat, rios) },
		{ "container_fs_writes_total", "Write operations completed on the device (io.stat wios).", offsetof(struct io_dev_stat, wios) },
	};
	for (size_t f = 0; f < ARRAY_SIZE(io); f++)
		prom_io_family(&pg->p, io[f].name, io[f].help, io[f].off, fs_device_label);
}

/* runc maps io.stat to cgroup v1's blkio tables: rbytes and wbytes become the
 * "Read" and "Write" operations of io_service_bytes. */
static void render_blkio(struct page *pg)
{
	const struct snapshot *s = pg->s;
	bool any = false;

	for (size_t i = 0; i < s->n; i++) {
		const struct cgroup_values *v = &s->cgroups[i].v;

		if (!cg_has(v, F_IO_STAT))
			continue;
		for (uint32_t d = 0; d < v->io_count; d++) {
			const struct io_dev_stat *ds = &s->io.items[v->io_first + d];

			for (int op = 0; op < 2; op++) {
				if (!any)
					prom_family(&pg->p, "container_blkio_device_usage_total", "counter",
						      "Bytes transferred to and from the device (io.stat rbytes, wbytes), by operation.");
				any = true;
				prom_series(&pg->p, "container_blkio_device_usage_total", i);
				device_label(pg, ds);
				sb_printf(pg->out, ",major=\"%u\",minor=\"%u\",operation=\"%s\"",
					  ds->major, ds->minor, op ? "Write" : "Read");
				prom_value(&pg->p, op ? ds->wbytes : ds->rbytes, 0);
			}
		}
	}
}

/* Network (issue 20): each container's own sockets, not its descendants',
 * so that sum by (pod) counts each byte once; cAdvisor's figures are an
 * interface's of the pod's network namespace, ours every IP packet of the
 * cgroup's sockets, whatever the interface: interface="all" says so. */
static void render_network(struct page *pg)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} net[] = {
		{ "container_network_receive_bytes_total",
		  "Bytes of the IP packets the cgroup's own sockets received, headers included, every interface (BPF cgroup_skb).",
		  offsetof(struct cgscope_net_figures, rx_bytes) },
		{ "container_network_transmit_bytes_total",
		  "Bytes of the IP packets the cgroup's own sockets sent, headers included, every interface (BPF cgroup_skb).",
		  offsetof(struct cgscope_net_figures, tx_bytes) },
		{ "container_network_receive_packets_total",
		  "IP packets the cgroup's own sockets received, every interface (BPF cgroup_skb).",
		  offsetof(struct cgscope_net_figures, rx_packets) },
		{ "container_network_transmit_packets_total",
		  "IP packets the cgroup's own sockets sent, every interface (BPF cgroup_skb).",
		  offsetof(struct cgscope_net_figures, tx_packets) },
	};
	const struct snapshot *s = pg->s;

	if (!s->events.network)
		return;
	for (size_t f = 0; f < ARRAY_SIZE(net); f++) {
		bool any = false;

		for (size_t i = 0; i < s->n; i++) {
			const struct cgroup_sample *c = &s->cgroups[i];

			if (!c->has_net)
				continue;
			if (!any)
				prom_family(&pg->p, net[f].name, "counter", net[f].help);
			any = true;
			prom_series(&pg->p, net[f].name, i);
			sb_puts(pg->out, ",interface=\"all\"");
			prom_value(&pg->p, *(const uint64_t *)((const char *)&c->net_own + net[f].off), 0);
		}
	}
}

static void put_label(struct strbuf *lb, const char *name, const char *value)
{
	sb_puts(lb, name);
	sb_puts(lb, "=\"");
	prom_escape_label(lb, value, strlen(value));
	sb_putc(lb, '"');
}

/* cAdvisor's base labels, in the order the kubelet's page has them. */
static void base_labels(struct strbuf *lb, const struct snapshot *s, size_t i)
{
	const char *path = sample_path(s, &s->cgroups[i]);
	const char *name = sample_name(s, i, CN_NAME);
	struct cgroup_identity id;

	/* The runtime's name where it has one (CRI-O, Docker), else the id,
	 * as cAdvisor's Aliases[0]. */
	if (!name[0] && cgroup_identity_parse(path, &id) == 0)
		name = id.container_id;
	put_label(lb, "container", sample_name(s, i, CN_CONTAINER));
	sb_putc(lb, ',');
	put_label(lb, "id", path);
	sb_putc(lb, ',');
	put_label(lb, "image", sample_name(s, i, CN_IMAGE));
	sb_putc(lb, ',');
	put_label(lb, "name", name);
	sb_putc(lb, ',');
	put_label(lb, "namespace", sample_name(s, i, CN_NAMESPACE));
	sb_putc(lb, ',');
	put_label(lb, "pod", sample_name(s, i, CN_POD));
}

int cadvisor_render_devnames(const struct snapshot *s, cadvisor_devname_fn devname,
			     struct strbuf *out)
{
	struct page pg = {
		.s = s,
		.out = out,
		.anon = memstat_index("anon"),
		.file = memstat_index("file"),
		.inactive_file = memstat_index("inactive_file"),
	};
	int r = prom_page_open(&pg.p, s, out, base_labels);

	if (r >= 0)
		r = name_devices(&pg, devname);
	if (r >= 0) {
		for (size_t i = 0; i < ARRAY_SIZE(families); i++)
			render_family(&pg, &families[i]);
		render_io(&pg);
		render_blkio(&pg);
		render_network(&pg);
		r = sb_error(out);
	}
	prom_page_close(&pg.p);
	free(pg.dev);
	return r;
}

int cadvisor_render(const struct snapshot *s, struct strbuf *out)
{
	return cadvisor_render_devnames(s, block_device_name, out);
}
