// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lib/version.h"
#include "events/event_format.h"
#include "prom/prom_page.h"
#include "collect/iter_decode.h"
#include "prom/prom_text.h"
#include "lib/utf8.h"
#include "lib/macros.h"

void prom_escape_label(struct strbuf *sb, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start = 0;

	while (i < len) {
		const char *rep = NULL;
		char esc[6];
		size_t n = 1, rlen = 2;

		if (p[i] == '\\')
			rep = "\\\\";
		else if (p[i] == '"')
			rep = "\\\"";
		else if (p[i] == '\n')
			rep = "\\n";
		else if (p[i] >= 0x80 && (rlen = utf8_escape_at(p + i, len - i, esc, &n)))
			rep = esc;	/* not UTF-8, or U+FFFD: lib/utf8.h */
		if (rep) {
			sb_append(sb, s + start, i - start);
			sb_append(sb, rep, rlen);
			start = i + n;
		}
		i += n;
	}
	sb_append(sb, s + start, len - start);
}

/* A family with one value per cgroup, taken from a uint64_t field of
 * struct cgroup_values. UINT64_MAX (a "max" limit, or a key the file did not
 * have) means no series. digits: 6 turns usec into seconds. */
struct simple_family {
	const char *name, *type, *help;
	enum cg_file file;
	size_t off;
	unsigned digits;
};

#define V(field) offsetof(struct cgroup_values, field)

static const struct simple_family simple[] = {
	{ "cgroup_populated", "gauge", "1 if the cgroup or a descendant has a live process (cgroup.events populated).", F_CGROUP_EVENTS, V(events[CGEV_POPULATED]), 0 },
	{ "cgroup_frozen", "gauge", "1 if the cgroup is frozen (cgroup.events frozen).", F_CGROUP_EVENTS, V(events[CGEV_FROZEN]), 0 },
	{ "cgroup_freeze_requested", "gauge", "1 if cgroup.freeze asks for the cgroup to be frozen.", F_CGROUP_FREEZE, V(freeze), 0 },
	{ "cgroup_descendants", "gauge", "Live descendant cgroups (cgroup.stat nr_descendants).", F_CGROUP_STAT, V(stat[CGSTAT_DESCENDANTS]), 0 },
	{ "cgroup_dying_descendants", "gauge", "Removed descendant cgroups the kernel still holds (cgroup.stat nr_dying_descendants).", F_CGROUP_STAT, V(stat[CGSTAT_DYING_DESCENDANTS]), 0 },
	{ "cgroup_cpu_usage_seconds_total", "counter", "CPU time used by the cgroup's tasks (cpu.stat usage_usec).", F_CPU_STAT, V(cpu[CPU_USAGE]), 6 },
	{ "cgroup_cpu_user_seconds_total", "counter", "CPU time in user mode (cpu.stat user_usec).", F_CPU_STAT, V(cpu[CPU_USER]), 6 },
	{ "cgroup_cpu_system_seconds_total", "counter", "CPU time in kernel mode (cpu.stat system_usec).", F_CPU_STAT, V(cpu[CPU_SYSTEM]), 6 },
	{ "cgroup_cpu_periods_total", "counter", "CFS bandwidth periods that elapsed with runnable tasks (cpu.stat nr_periods).", F_CPU_STAT, V(cpu[CPU_PERIODS]), 0 },
	{ "cgroup_cpu_throttled_periods_total", "counter", "CFS bandwidth periods in which the cgroup was throttled (cpu.stat nr_throttled).", F_CPU_STAT, V(cpu[CPU_THROTTLED]), 0 },
	{ "cgroup_cpu_throttled_seconds_total", "counter", "Time the cgroup's tasks were throttled by cpu.max (cpu.stat throttled_usec).", F_CPU_STAT, V(cpu[CPU_THROTTLED_USEC]), 6 },
	{ "cgroup_cpu_bursts_total", "counter", "Periods in which the cgroup used its cpu.max.burst (cpu.stat nr_bursts).", F_CPU_STAT, V(cpu[CPU_BURSTS]), 0 },
	{ "cgroup_cpu_burst_seconds_total", "counter", "CPU time used beyond the quota through bursts (cpu.stat burst_usec).", F_CPU_STAT, V(cpu[CPU_BURST_USEC]), 6 },
	{ "cgroup_cpu_force_idle_seconds_total", "counter", "Time forced idle by core scheduling (cpu.stat core_sched.force_idle_usec).", F_CPU_STAT, V(cpu[CPU_FORCE_IDLE]), 6 },
	{ "cgroup_cpu_weight", "gauge", "Relative CPU weight, 1 to 10000 (cpu.weight).", F_CPU_WEIGHT, V(cpu_weight), 0 },
	{ "cgroup_memory_usage_bytes", "gauge", "Memory charged to the cgroup and its descendants (memory.current).", F_MEMORY_CURRENT, V(mem_current), 0 },
	{ "cgroup_memory_peak_bytes", "gauge", "Highest memory usage recorded (memory.peak).", F_MEMORY_PEAK, V(mem_peak), 0 },
	{ "cgroup_memory_limit_bytes", "gauge", "Hard memory limit (memory.max); absent when unlimited.", F_MEMORY_MAX, V(mem_max), 0 },
	{ "cgroup_memory_high_bytes", "gauge", "Memory throttle limit (memory.high); absent when unlimited.", F_MEMORY_HIGH, V(mem_high), 0 },
	{ "cgroup_memory_low_bytes", "gauge", "Best-effort memory protection (memory.low).", F_MEMORY_LOW, V(mem_low), 0 },
	{ "cgroup_memory_min_bytes", "gauge", "Hard memory protection (memory.min).", F_MEMORY_MIN, V(mem_min), 0 },
	{ "cgroup_memory_swap_usage_bytes", "gauge", "Swap used by the cgroup (memory.swap.current).", F_MEMORY_SWAP_CURRENT, V(swap_current), 0 },
	{ "cgroup_memory_swap_limit_bytes", "gauge", "Swap limit (memory.swap.max); absent when unlimited.", F_MEMORY_SWAP_MAX, V(swap_max), 0 },
	{ "cgroup_pids_current", "gauge", "Processes and threads in the cgroup (pids.current).", F_PIDS_CURRENT, V(pids_current), 0 },
	{ "cgroup_pids_limit", "gauge", "Limit on processes and threads (pids.max); absent when unlimited.", F_PIDS_MAX, V(pids_max), 0 },
	{ "cgroup_pids_peak", "gauge", "Highest pids.current recorded (pids.peak).", F_PIDS_PEAK, V(pids_peak), 0 },
};

static void render_simple(struct prom_page *pg, const struct simple_family *f)
{
	const struct snapshot *s = pg->s;
	bool any = false;

	for (size_t i = 0; i < s->n; i++) {
		const struct cgroup_values *v = &s->cgroups[i].v;
		uint64_t x = *(const uint64_t *)((const char *)v + f->off);

		if (!cg_has(v, f->file) || x == UINT64_MAX)
			continue;
		if (!any)
			prom_family(pg, f->name, f->type, f->help);
		any = true;
		prom_series(pg, f->name, i);
		prom_value(pg, x, f->digits);
	}
}

/* A family with one series per key of a keyed file: name{cgroup,label=key}.
 * Each key's label text is made once per page, not once per series. */
static void render_keyed(struct prom_page *pg, const char *name, const char *type,
			 const char *help, enum cg_file file, size_t off,
			 const char *label, const char *const *keys,
			 unsigned first, unsigned last)
{
	const struct snapshot *s = pg->s;
	struct strbuf kl = {0};
	uint32_t at[MEMSTAT_NR + 1];
	bool any = false;

	_Static_assert(MEMEV_NR <= MEMSTAT_NR && SWAPEV_NR <= MEMSTAT_NR &&
		       PIDSEV_NR <= MEMSTAT_NR, "at[] holds the longest key list");

	for (unsigned k = first; k < last; k++) {
		at[k] = (uint32_t)kl.len;
		sb_putc(&kl, ',');
		sb_puts(&kl, label);
		sb_puts(&kl, "=\"");
		sb_puts(&kl, keys[k]);
		sb_putc(&kl, '"');
	}
	at[last] = (uint32_t)kl.len;
	if (sb_error(&kl) < 0) {
		sb_fail(pg->out);
		return;
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct cgroup_values *v = &s->cgroups[i].v;
		const uint64_t *vals;

		if (!cg_has(v, file))
			continue;
		vals = sample_keyed(s, v, file, off);
		for (unsigned k = first; k < last; k++) {
			if (vals[k] == CG_UNSET)
				continue;
			if (!any)
				prom_family(pg, name, type, help);
			any = true;
			prom_series(pg, name, i);
			sb_append(pg->out, kl.buf + at[k], at[k + 1] - at[k]);
			prom_value(pg, vals[k], 0);
		}
	}
	sb_free(&kl);
}

/* quota / period in billionths of a core, rounded: written with nine
 * decimals at most, as exact as the kernel's microseconds allow, without
 * printf's float formatting (once per cgroup, a tenth of a page's time). */
static uint64_t quota_nano_cores(uint64_t quota, uint64_t period)
{
	unsigned __int128 n;

	if (!period)		/* parse_cpu_max refuses it; no division by 0 */
		return 0;
	n = ((unsigned __int128)quota * 1000000000u + period / 2) / period;
	return n > UINT64_MAX ? UINT64_MAX : (uint64_t)n;
}

static void render_derived(struct prom_page *pg)
{
	const struct snapshot *s = pg->s;
	bool any = false;

	for (size_t i = 0; i < s->n; i++) {
		const struct cgroup_values *v = &s->cgroups[i].v;

		if (!cg_has(v, F_CPU_MAX) || v->cpu_quota == CG_MAX)
			continue;
		if (!any)
			prom_family(pg, "cgroup_cpu_quota_cores", "gauge",
			       "CPU quota in cores, cpu.max quota / period; absent when unlimited.");
		any = true;
		prom_series(pg, "cgroup_cpu_quota_cores", i);
		prom_value(pg, quota_nano_cores(v->cpu_quota, v->cpu_period), 9);
	}
	any = false;
	for (size_t i = 0; i < s->n; i++) {
		const struct cgroup_values *v = &s->cgroups[i].v;

		if (!cg_has(v, F_CPU_MAX))
			continue;
		if (!any)
			prom_family(pg, "cgroup_cpu_period_seconds", "gauge",
			       "CFS bandwidth period (cpu.max period).");
		any = true;
		prom_series(pg, "cgroup_cpu_period_seconds", i);
		prom_value(pg, v->cpu_period, 6);
	}
	any = false;
	for (size_t i = 0; i < s->n; i++) {
		const struct cgroup_values *v = &s->cgroups[i].v;
		const uint64_t *ms = sample_mem_stat(s, v);
		uint64_t inactive;

		if (!cg_has(v, F_MEMORY_CURRENT) || !ms ||
		    (inactive = ms[MEMSTAT_INACTIVE_FILE]) == CG_UNSET)
			continue;
		if (!any)
			prom_family(pg, "cgroup_memory_working_set_bytes", "gauge",
			       "memory.current minus inactive_file of memory.stat, as cAdvisor defines the working set.");
		any = true;
		prom_series(pg, "cgroup_memory_working_set_bytes", i);
		prom_value(pg, v->mem_current > inactive ? v->mem_current - inactive : 0, 0);
	}
}

static void device_label(struct prom_page *pg, const struct io_dev_stat *ds)
{
	sb_append(pg->out, ",device=\"", 9);
	sb_u64(pg->out, ds->major);
	sb_putc(pg->out, ':');
	sb_u64(pg->out, ds->minor);
	sb_putc(pg->out, '"');
}

static void render_io(struct prom_page *pg)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} io[] = {
		{ "cgroup_io_read_bytes_total", "Bytes read from the device (io.stat rbytes).", offsetof(struct io_dev_stat, rbytes) },
		{ "cgroup_io_write_bytes_total", "Bytes written to the device (io.stat wbytes).", offsetof(struct io_dev_stat, wbytes) },
		{ "cgroup_io_reads_total", "Read operations on the device (io.stat rios).", offsetof(struct io_dev_stat, rios) },
		{ "cgroup_io_writes_total", "Write operations on the device (io.stat wios).", offsetof(struct io_dev_stat, wios) },
		{ "cgroup_io_discard_bytes_total", "Bytes discarded on the device (io.stat dbytes).", offsetof(struct io_dev_stat, dbytes) },
		{ "cgroup_io_discards_total", "Discard operations on the device (io.stat dios).", offsetof(struct io_dev_stat, dios) },
	};
	for (size_t f = 0; f < ARRAY_SIZE(io); f++)
		prom_io_family(pg, io[f].name, io[f].help, io[f].off, device_label);
}

/* Constant label text: formatting it for each series was half the page's
 * cost. In enum order: cpu, memory, io, irq. */
#define PSI_LABEL(r, k) { ",resource=\"" r "\",kind=\"" k "\"", sizeof(",resource=\"" r "\",kind=\"" k "\"") - 1 }
static const struct {
	const char *text;
	size_t len;
} psi_labels[PSI_NR][2] = {
	{ PSI_LABEL("cpu", "some"), PSI_LABEL("cpu", "full") },
	{ PSI_LABEL("memory", "some"), PSI_LABEL("memory", "full") },
	{ PSI_LABEL("io", "some"), PSI_LABEL("io", "full") },
	{ PSI_LABEL("irq", "some"), PSI_LABEL("irq", "full") },
};

static void render_pressure(struct prom_page *pg)
{
	const struct snapshot *s = pg->s;

	for (int pass = 0; pass < 2; pass++) {
		const char *name = pass ? "cgroup_pressure_avg10_ratio" :
					  "cgroup_pressure_stalled_seconds_total";
		bool any = false;

		for (size_t i = 0; i < s->n; i++) {
			const struct cgroup_values *v = &s->cgroups[i].v;

			for (int r = 0; r < PSI_NR; r++) {
				const struct psi *p = &v->psi[r];

				if (!cg_has(v, (enum cg_file)(F_CPU_PRESSURE + r)))
					continue;
				for (int kind = 0; kind < 2; kind++) {
					const struct psi_line *l = kind ? &p->full : &p->some;

					if (!(kind ? p->has_full : p->has_some))
						continue;
					if (!any)
						prom_family(pg, name, pass ? "gauge" : "counter", pass ?
						       "Share of the last 10 s in which some or all tasks stalled on the resource (PSI avg10 / 100)." :
						       "Time in which some or all tasks stalled on the resource (PSI total).");
					any = true;
					prom_series(pg, name, i);
					sb_append(pg->out, psi_labels[r][kind].text,
						  psi_labels[r][kind].len);
					if (pass)
						prom_value(pg, l->avg10, 4);
					else
						prom_value(pg, l->total_usec, 6);
				}
			}
		}
	}
}

/* A family with one value per cgroup from its event counters (the offset of
 * a uint64_t in struct cgroup_event_counts), 0 for those with none yet, so
 * that rate() starts from the cgroup's first scrape. */
static void render_event_counter(struct prom_page *pg, const char *name, const char *help,
				 size_t off)
{
	const struct snapshot *s = pg->s;

	prom_family(pg, name, "counter", help);
	for (size_t i = 0; i < s->n; i++) {
		prom_series(pg, name, i);
		prom_value(pg, *(const uint64_t *)((const char *)&s->cgroups[i].ev + off), 0);
	}
}

static void render_throttle_hist(struct prom_page *pg)
{
	const struct snapshot *s = pg->s;
	const char *name = "cgroup_throttled_duration_seconds";
	bool any = false;

	for (size_t i = 0; i < s->n; i++) {
		const struct cgroup_event_counts *e = &s->cgroups[i].ev;
		uint64_t cum = 0;
		size_t labels_len;
		const char *labels = prom_labels(pg, i, &labels_len);

		for (int b = 0; b <= THROTTLE_HIST_BUCKETS; b++)
			cum += e->throttle_hist[b];
		if (!cum)
			continue;	/* only cgroups that were throttled */
		if (!any)
			prom_family(pg, name, "histogram",
			       "How long each CFS bandwidth throttling of the cgroup lasted, per CPU, from the BPF unthrottle hook.");
		any = true;
		cum = 0;
		for (int b = 0; b <= THROTTLE_HIST_BUCKETS; b++) {
			cum += e->throttle_hist[b];
			sb_puts(pg->out, name);
			sb_puts(pg->out, "_bucket{");
			sb_append(pg->out, labels, labels_len);
			if (b < THROTTLE_HIST_BUCKETS)
				sb_printf(pg->out, ",le=\"%g\"", throttle_hist_bounds[b]);
			else
				sb_puts(pg->out, ",le=\"+Inf\"");
			prom_value(pg, cum, 0);
		}
		sb_puts(pg->out, name);
		sb_puts(pg->out, "_sum{");
		sb_append(pg->out, labels, labels_len);
		prom_value(pg, e->throttled_ns_sum, 9);
		sb_puts(pg->out, name);
		sb_puts(pg->out, "_count{");
		sb_append(pg->out, labels, labels_len);
		prom_value(pg, cum, 0);
	}
}

/* Network (issue 20): a family per figure of struct cgscope_net_figures
 * (its offset), one series per cgroup that has the figures: a cgroup's
 * subtree, as memory.current is. */
static void render_net_counter(struct prom_page *pg, const char *name, const char *help,
			       size_t off)
{
	const struct snapshot *s = pg->s;
	bool any = false;

	for (size_t i = 0; i < s->n; i++) {
		if (!s->cgroups[i].has_net)
			continue;
		if (!any)
			prom_family(pg, name, "counter", help);
		any = true;
		prom_series(pg, name, i);
		prom_value(pg, *(const uint64_t *)((const char *)&s->cgroups[i].net + off), 0);
	}
}

static void render_network(struct prom_page *pg)
{
	const struct events_status *st = &pg->s->events;
	struct strbuf *sb = pg->out;

	if (!st->network)
		return;		/* no hook: the families are absent, not 0 */
	render_net_counter(pg, "cgroup_network_receive_bytes_total",
			   "Bytes of the IP packets the sockets of the cgroup and its descendants received, headers included (BPF cgroup_skb ingress).",
			   offsetof(struct cgscope_net_figures, rx_bytes));
	render_net_counter(pg, "cgroup_network_transmit_bytes_total",
			   "Bytes of the IP packets the sockets of the cgroup and its descendants sent, headers included (BPF cgroup_skb egress).",
			   offsetof(struct cgscope_net_figures, tx_bytes));
	render_net_counter(pg, "cgroup_network_receive_packets_total",
			   "IP packets the sockets of the cgroup and its descendants received; a GRO packet counts once (BPF cgroup_skb ingress).",
			   offsetof(struct cgscope_net_figures, rx_packets));
	render_net_counter(pg, "cgroup_network_transmit_packets_total",
			   "IP packets the sockets of the cgroup and its descendants sent; a GSO packet counts once (BPF cgroup_skb egress).",
			   offsetof(struct cgscope_net_figures, tx_packets));
	if (st->tcp_retransmits)
		render_net_counter(pg, "cgroup_tcp_retransmits_total",
				   "TCP segments the sockets of the cgroup and its descendants retransmitted (BPF, tcp:tcp_retransmit_skb).",
				   offsetof(struct cgscope_net_figures, tcp_retransmits));
	prom_family(pg, "cgscope_bpf_network_slots", "gauge",
		    "Cgroups the kernel can count network traffic for at once (--bpf.network-slots).");
	sb_printf(sb, "cgscope_bpf_network_slots %lu\n", (unsigned long)st->net_slots);
	prom_family(pg, "cgscope_bpf_network_slots_used", "gauge",
		    "Cgroups the kernel counts network traffic for now: those with traffic since the agent started and their ancestors, a slot each, given back when the cgroup is freed.");
	sb_printf(sb, "cgscope_bpf_network_slots_used %lu\n", (unsigned long)st->net_slots_used);
	prom_family(pg, "cgscope_bpf_network_uncounted_total", "counter",
		    "Packets the kernel could not count per cgroup because every slot of its network table was taken.");
	sb_printf(sb, "cgscope_bpf_network_uncounted_total %lu\n", (unsigned long)st->net_unslotted);
}

static void render_events(struct prom_page *pg)
{
	const struct events_status *st = &pg->s->events;
	struct strbuf *sb = pg->out;

	if (!st->nhooks)
		return;		/* no event source: cgscope dump */
	if (st->migrations) {
		render_event_counter(pg, "cgroup_migrations_in_total",
				     "Tasks moved into the cgroup (BPF, cgroup_attach_task).",
				     offsetof(struct cgroup_event_counts, migrations_in));
		render_event_counter(pg, "cgroup_migrations_out_total",
				     "Tasks moved out of the cgroup, where the kernel tells where from (BPF).",
				     offsetof(struct cgroup_event_counts, migrations_out));
	}
	if (st->oom)
		render_event_counter(pg, "cgroup_oom_kills_total",
				     "Processes of the cgroup killed by the OOM killer, counted as they happen (BPF; without it, from memory.events.local).",
				     offsetof(struct cgroup_event_counts, oom_kills));
	if (st->throttle_events)
		render_event_counter(pg, "cgroup_throttle_events_total",
				     "Times CFS bandwidth throttled the cgroup (BPF per CPU; without a hook, cpu.stat nr_throttled growth).",
				     offsetof(struct cgroup_event_counts, throttles));
	if (st->throttle_durations)
		render_throttle_hist(pg);
	render_network(pg);

	prom_family(pg, "cgscope_bpf_loaded", "gauge", "1 when the BPF programs are loaded and no feature failed; 0 when events come from polling only or a feature failed (cgscope_bpf_feature_error_info).");
	sb_printf(sb, "cgscope_bpf_loaded %d\n", st->bpf ? 1 : 0);
	prom_family(pg, "cgscope_bpf_hook_info", "gauge",
	       "Which hook serves each event feature: tp_btf, raw_tp, tracepoint, fentry, kprobe, cgroup_skb, poll, or none; always 1.");
	for (unsigned i = 0; i < st->nhooks; i++)
		sb_printf(sb, "cgscope_bpf_hook_info{feature=\"%s\",hook=\"%s\"} 1\n",
			  st->hooks[i].feature, st->hooks[i].hook);
	prom_family(pg, "cgscope_bpf_feature_error_info", "gauge",
	       "Event features that failed: the hook the kernel offers that was refused first, at which stage (open, load, attach), with which errno; always 1.");
	for (unsigned i = 0; i < st->nhooks; i++)
		if (st->hooks[i].failed)
			sb_printf(sb, "cgscope_bpf_feature_error_info{feature=\"%s\",hook=\"%s\",stage=\"%s\",error=\"%s\"} 1\n",
				  st->hooks[i].feature, st->hooks[i].error_hook, st->hooks[i].stage,
				  st->hooks[i].error);
	prom_family(pg, "cgscope_bpf_events_total", "counter", "Records received from the BPF programs, by event type.");
	for (uint32_t t = 1; t < CGSCOPE_EV_TYPES; t++)
		sb_printf(sb, "cgscope_bpf_events_total{type=\"%s\"} %lu\n", event_type_name(t),
			  (unsigned long)st->by_type[t]);
	prom_family(pg, "cgscope_bpf_events_lost_total", "counter",
	       "Records the BPF programs dropped because the ring buffer was full.");
	sb_printf(sb, "cgscope_bpf_events_lost_total %lu\n", (unsigned long)st->lost);
	if (st->counter_slots) {
		prom_family(pg, "cgscope_bpf_cgroup_slots", "gauge",
		       "Cgroups the kernel can count events for at once (its per-cgroup counter table).");
		sb_printf(sb, "cgscope_bpf_cgroup_slots %lu\n", (unsigned long)st->counter_slots);
		prom_family(pg, "cgscope_bpf_cgroup_slots_used", "gauge",
		       "Cgroups the kernel counts events for now: a slot each, given back when the cgroup is freed.");
		sb_printf(sb, "cgscope_bpf_cgroup_slots_used %lu\n", (unsigned long)st->counter_slots_used);
		prom_family(pg, "cgscope_bpf_events_uncounted_total", "counter",
		       "Events the kernel could not count per cgroup because every slot of its table was taken.");
		sb_printf(sb, "cgscope_bpf_events_uncounted_total %lu\n", (unsigned long)st->counter_unslotted);
	}
	if (st->prog_stats) {
		prom_family(pg, "cgscope_bpf_program_run_seconds_total", "counter",
		       "CPU time the kernel spent running each BPF program (kernel BPF statistics).");
		for (unsigned i = 0; i < st->nprogs; i++) {
			sb_printf(sb, "cgscope_bpf_program_run_seconds_total{program=\"%s\"} ", st->progs[i].name);
			sb_fixed(sb, st->progs[i].run_time_ns, 9);
			sb_putc(sb, '\n');
		}
		prom_family(pg, "cgscope_bpf_program_runs_total", "counter", "Times each BPF program ran.");
		for (unsigned i = 0; i < st->nprogs; i++)
			sb_printf(sb, "cgscope_bpf_program_runs_total{program=\"%s\"} %lu\n",
				  st->progs[i].name, (unsigned long)st->progs[i].run_cnt);
	}
}

/* Where each group of files came from (--collect.source). */
static void render_source(struct prom_page *pg)
{
	const struct collector_stats *st = &pg->s->stats;
	struct strbuf *sb = pg->out;

	prom_family(pg, "cgscope_collect_source_info", "gauge",
		    "Where the values of each group of cgroup files come from: bpf (the kernel's "
		    "cgroup iterator, one pass over the tree) or files; always 1.");
	for (int g = 0; g < IG_NR; g++) {
		uint32_t mine = iter_groups[g].files & st->files;

		if (mine)
			sb_printf(sb, "cgscope_collect_source_info{group=\"%s\",source=\"%s\"} 1\n",
				  iter_groups[g].name, (mine & st->iter_files) == mine ? "bpf" : "files");
	}
	prom_family(pg, "cgscope_collect_iterator_errors_total", "counter",
		    "Walks of the cgroup iterator that failed: their cycle read the files instead.");
	sb_printf(sb, "cgscope_collect_iterator_errors_total %lu\n", (unsigned long)st->iter_errors);
	prom_family(pg, "cgscope_collect_iterator_missing", "gauge",
		    "Cgroups of the last cycle the cgroup iterator gave no record of (made or removed "
		    "meanwhile, or past its maps' size): their files were read.");
	sb_printf(sb, "cgscope_collect_iterator_missing %u\n",
		  st->iter_files ? (unsigned)st->iter_missing : 0u);
}

static void render_self(struct prom_page *pg)
{
	const struct snapshot *s = pg->s;
	const struct collector_stats *st = &s->stats;
	struct strbuf *sb = pg->out;
	uint64_t cum = 0;

	prom_family(pg, "cgscope_build_info", "gauge", "Version of the running cgscope; always 1.");
	sb_puts(sb, "cgscope_build_info{version=\"");
	prom_escape_label(sb, cgscope_version, strlen(cgscope_version));
	sb_puts(sb, "\"} 1\n");
	prom_family(pg, "cgscope_cgroups", "gauge", "Cgroups in the last collection cycle.");
	sb_printf(sb, "cgscope_cgroups %zu\n", s->n);
	prom_family(pg, "cgroup_created_total", "counter", "Cgroups that appeared below the root since the agent started.");
	sb_printf(sb, "cgroup_created_total %lu\n", (unsigned long)st->created);
	prom_family(pg, "cgroup_removed_total", "counter", "Cgroups that vanished below the root since the agent started.");
	sb_printf(sb, "cgroup_removed_total %lu\n", (unsigned long)st->removed);
	prom_family(pg, "cgscope_collect_cycles_total", "counter", "Collection cycles completed.");
	sb_printf(sb, "cgscope_collect_cycles_total %lu\n", (unsigned long)st->cycles);
	prom_family(pg, "cgscope_collect_overruns_total", "counter",
	       "Collection cycles that took longer than --interval: the ticks they ran into were skipped.");
	sb_printf(sb, "cgscope_collect_overruns_total %lu\n", (unsigned long)st->overruns);
	prom_family(pg, "cgscope_collect_duration_seconds", "histogram",
	       "Time to walk the cgroup tree and read every file, per cycle.");
	for (int i = 0; i <= COLLECT_HIST_BUCKETS; i++) {
		cum += st->hist_counts[i];
		if (i < COLLECT_HIST_BUCKETS)
			sb_printf(sb, "cgscope_collect_duration_seconds_bucket{le=\"%g\"} %lu\n",
				  collect_hist_bounds[i], (unsigned long)cum);
		else
			sb_printf(sb, "cgscope_collect_duration_seconds_bucket{le=\"+Inf\"} %lu\n",
				  (unsigned long)cum);
	}
	sb_printf(sb, "cgscope_collect_duration_seconds_sum %.9f\n", st->hist_sum);
	sb_printf(sb, "cgscope_collect_duration_seconds_count %lu\n", (unsigned long)cum);
	prom_family(pg, "cgscope_read_errors_total", "counter",
	       "Files that could not be read or parsed (malformed, or an I/O error), by file name.");
	for (int f = 0; f < F_NR; f++)
		sb_printf(sb, "cgscope_read_errors_total{file=\"%s\"} %lu\n",
			  cg_files[f].name, (unsigned long)st->read_errors[f]);
	prom_family(pg, "cgscope_walk_errors_total", "counter",
	       "Cgroup directories that could not be listed.");
	sb_printf(sb, "cgscope_walk_errors_total %lu\n", (unsigned long)st->walk_errors);
	prom_family(pg, "cgscope_directories_listed_total", "counter",
	       "Cgroup directories listed to find new and removed cgroups.");
	sb_printf(sb, "cgscope_directories_listed_total %lu\n", (unsigned long)st->dirs_listed);
	prom_family(pg, "cgscope_tree_watched", "gauge",
	       "1 when inotify keeps the cgroup tree current (only changed directories are listed), 0 when every directory is listed each cycle.");
	sb_printf(sb, "cgscope_tree_watched %d\n", st->watching ? 1 : 0);
	prom_family(pg, "cgscope_files_held", "gauge",
	       "Cgroup files held open and re-read with pread each cycle.");
	sb_printf(sb, "cgscope_files_held %lu\n", (unsigned long)st->files_held);
	prom_family(pg, "cgscope_files_reopened", "gauge",
	       "Cgroup files opened for each read: no descriptor table had room for them (RLIMIT_NOFILE).");
	sb_printf(sb, "cgscope_files_reopened %lu\n", (unsigned long)st->files_reopened);
	prom_family(pg, "cgscope_descriptor_tables", "gauge",
	       "Descriptor tables holding cgroup files: the agent's own, and threads with a table of their own when RLIMIT_NOFILE is too small for all files in one.");
	sb_printf(sb, "cgscope_descriptor_tables %u\n", (unsigned)st->fd_tables);
	render_source(pg);
}

static void cgroup_label(struct strbuf *sb, const struct snapshot *s, size_t i)
{
	const char *p = sample_path(s, &s->cgroups[i]);

	sb_puts(sb, "cgroup=\"");
	prom_escape_label(sb, p, strlen(p));
	sb_putc(sb, '"');
}

int prom_render(const struct snapshot *s, struct strbuf *out)
{
	struct prom_page pg;
	int r = prom_page_open(&pg, s, out, cgroup_label);

	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(simple); i++)
		render_simple(&pg, &simple[i]);
	render_derived(&pg);
	render_keyed(&pg, "cgroup_memory_events_total", "counter",
		     "Memory events of the cgroup and its descendants (memory.events).",
		     F_MEMORY_EVENTS, V(mem_events), "event", memory_events_keys, 0, MEMEV_NR);
	render_keyed(&pg, "cgroup_memory_events_local_total", "counter",
		     "Memory events of the cgroup itself (memory.events.local).",
		     F_MEMORY_EVENTS_LOCAL, V(mem_events_local), "event", memory_events_keys, 0, MEMEV_NR);
	render_keyed(&pg, "cgroup_memory_stat_bytes", "gauge",
		     "Memory by type, the byte-valued keys of memory.stat.",
		     F_MEMORY_STAT, 0, "type", memory_stat_keys, 0, MEMSTAT_FIRST_EVENT);
	render_keyed(&pg, "cgroup_memory_stat_events_total", "counter",
		     "Reclaim, fault and other event counters of memory.stat.",
		     F_MEMORY_STAT, 0, "type", memory_stat_keys, MEMSTAT_FIRST_EVENT, MEMSTAT_NR);
	render_keyed(&pg, "cgroup_memory_swap_events_total", "counter",
		     "Swap events (memory.swap.events).",
		     F_MEMORY_SWAP_EVENTS, V(swap_events), "event", swap_events_keys, 0, SWAPEV_NR);
	render_keyed(&pg, "cgroup_pids_events_total", "counter",
		     "Forks refused by pids.max (pids.events).",
		     F_PIDS_EVENTS, V(pids_events), "event", pids_events_keys, 0, PIDSEV_NR);
	render_io(&pg);
	render_pressure(&pg);
	render_events(&pg);
	render_self(&pg);
	prom_page_close(&pg);
	return sb_error(out);
}
