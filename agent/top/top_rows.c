// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "top/top_rows.h"
#include "lib/macros.h"

static int id_cmp(const void *a, const void *b)
{
	const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return CMP(x, y);
}

int top_id_map_build(const struct snapshot *s, struct top_id_map *ret)
{
	struct top_id_map m = { .n = s->n };

	m.items = calloc(s->n ? s->n : 1, sizeof(*m.items));
	if (!m.items)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		m.items[i].id = s->cgroups[i].id;
		m.items[i].idx = i;
	}
	/* id is the first member: the comparator reads it through the item. */
	qsort(m.items, m.n, sizeof(*m.items), id_cmp);
	*ret = m;
	return 0;
}

size_t top_id_map_find(const struct top_id_map *m, uint64_t id)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->items[mid].id == id)
			return m->items[mid].idx;
		if (m->items[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

void top_id_map_free(struct top_id_map *m)
{
	free(m->items);
	*m = (struct top_id_map){0};
}

/* A keyed value the file carried, or CG_UNSET. */
static uint64_t keyed(const struct cgroup_values *v, enum cg_file f, const uint64_t *vals, int key)
{
	return cg_has(v, f) ? vals[key] : CG_UNSET;
}

/* Growth of a counter between two samples: TOP_NA when either lacks it, 0
 * when it went down (the cgroup was recreated under the same inode). */
static uint64_t growth(uint64_t old, uint64_t cur)
{
	if (old == CG_UNSET || cur == CG_UNSET)
		return TOP_NA;
	return cur >= old ? cur - old : 0;
}

/* Bytes per second between two samples dt seconds apart; NaN when either
 * has no network figures, 0 when they went down (another cgroup under the
 * same id cannot be, but an agent restarted counts from 0). */
static double net_rate(bool known, uint64_t old, uint64_t cur, double dt)
{
	if (!known || !(dt > 0))
		return NAN;
	return cur >= old ? (double)(cur - old) / dt : 0.0;
}

static void fill(struct top_row *r, const struct snapshot *s, const struct cgroup_sample *c,
		 const struct cgroup_sample *old, uint64_t procs, double dt)
{
	const struct cgroup_values *v = &c->v;
	uint64_t x;

	r->path = sample_path(s, c);
	r->namespace_ = sample_name(s, (size_t)(c - s->cgroups), CN_NAMESPACE);
	r->pod = sample_name(s, (size_t)(c - s->cgroups), CN_POD);
	r->container = sample_name(s, (size_t)(c - s->cgroups), CN_CONTAINER);
	r->image = sample_name(s, (size_t)(c - s->cgroups), CN_IMAGE);
	r->id = c->id;
	r->parent_id = c->parent_id;
	r->depth = c->depth;
	r->parent = SIZE_MAX;
	r->tasks = cg_has(v, F_PIDS_CURRENT) ? v->pids_current : procs;

	r->cpu_pct = c->has_rates && cg_has(v, F_CPU_STAT) ? c->cpu_cores * 100.0 : NAN;
	r->throttled_pct = NAN;
	if (old) {
		uint64_t periods = growth(keyed(&old->v, F_CPU_STAT, old->v.cpu, CPU_PERIODS),
					  keyed(v, F_CPU_STAT, v->cpu, CPU_PERIODS));
		uint64_t thr = growth(keyed(&old->v, F_CPU_STAT, old->v.cpu, CPU_THROTTLED),
				      keyed(v, F_CPU_STAT, v->cpu, CPU_THROTTLED));

		if (periods != TOP_NA && thr != TOP_NA)
			r->throttled_pct = periods ? 100.0 * (double)thr / (double)periods : 0.0;
	}

	r->mem = cg_has(v, F_MEMORY_CURRENT) ? v->mem_current : TOP_NA;
	r->mem_pct = NAN;
	if (r->mem != TOP_NA && cg_has(v, F_MEMORY_MAX) && v->mem_max != CG_MAX && v->mem_max)
		r->mem_pct = 100.0 * (double)r->mem / (double)v->mem_max;
	r->psi_mem = cg_has(v, F_MEMORY_PRESSURE) && v->psi[PSI_MEMORY].has_some ?
		     v->psi[PSI_MEMORY].some.avg10 / 100.0 : NAN;
	r->io_read = r->io_write = NAN;
	if (c->has_rates && cg_has(v, F_IO_STAT)) {
		r->io_read = c->io_read_bps;
		r->io_write = c->io_write_bps;
	}

	x = keyed(v, F_MEMORY_EVENTS, v->mem_events, MEMEV_OOM_KILL);
	r->oom_kills = x == CG_UNSET ? TOP_NA : x;
	r->oom_new = r->high_new = r->max_new = TOP_NA;
	if (old) {
		const struct cgroup_values *o = &old->v;

		r->oom_new = growth(keyed(o, F_MEMORY_EVENTS, o->mem_events, MEMEV_OOM_KILL), x);
		r->high_new = growth(keyed(o, F_MEMORY_EVENTS, o->mem_events, MEMEV_HIGH),
				     keyed(v, F_MEMORY_EVENTS, v->mem_events, MEMEV_HIGH));
		r->max_new = growth(keyed(o, F_MEMORY_EVENTS, o->mem_events, MEMEV_MAX),
				    keyed(v, F_MEMORY_EVENTS, v->mem_events, MEMEV_MAX));
	}
	r->net_rx = net_rate(old && old->has_net && c->has_net, old ? old->net.rx_bytes : 0,
			     c->net.rx_bytes, dt);
	r->net_tx = net_rate(old && old->has_net && c->has_net, old ? old->net.tx_bytes : 0,
			     c->net.tx_bytes, dt);
}

/* Seconds between two snapshots: by the monotonic clock where both have it
 * (local), else by their wall-clock times (an agent's JSON). */
static double elapsed(const struct snapshot *cur, const struct snapshot *prev)
{
	if (!prev)
		return NAN;
	if (cur->taken_mono_ns && prev->taken_mono_ns)
		return (double)(int64_t)(cur->taken_mono_ns - prev->taken_mono_ns) / 1e9;
	return (double)(cur->taken_ms - prev->taken_ms) / 1e3;
}

int top_rows_build(const struct snapshot *cur, const struct snapshot *prev,
		   const uint64_t *tasks, struct top_row **ret, size_t *ret_n)
{
	struct top_id_map cur_ids = {0}, prev_ids = {0};
	double dt = elapsed(cur, prev);
	struct top_row *rows;
	int r;

	rows = calloc(cur->n ? cur->n : 1, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	r = top_id_map_build(cur, &cur_ids);
	if (r == 0 && prev)
		r = top_id_map_build(prev, &prev_ids);
	if (r < 0) {
		free(rows);
		top_id_map_free(&cur_ids);
		return r;
	}
	for (size_t i = 0; i < cur->n; i++) {
		const struct cgroup_sample *c = &cur->cgroups[i], *old = NULL;

		if (prev) {
			size_t j = top_id_map_find(&prev_ids, c->id);
			if (j != SIZE_MAX)
				old = &prev->cgroups[j];
		}
		fill(&rows[i], cur, c, old, tasks ? tasks[i] : TOP_NA, dt);
		if (c->depth > 0)
			rows[i].parent = top_id_map_find(&cur_ids, c->parent_id);
	}
	top_id_map_free(&cur_ids);
	top_id_map_free(&prev_ids);
	*ret = rows;
	*ret_n = cur->n;
	return 0;
}

void top_totals(const struct top_row *rows, size_t n, struct top_totals *ret)
{
	struct top_totals t = { .cgroups = n, .cpu_pct = NAN, .mem = TOP_NA };
	double cpu1 = NAN;

	for (size_t i = 0; i < n; i++) {
		const struct top_row *r = &rows[i];

		if (r->depth == 0 && !isnan(r->cpu_pct))
			t.cpu_pct = r->cpu_pct;
		if (r->depth != 1)
			continue;
		if (!isnan(r->cpu_pct))
			cpu1 = isnan(cpu1) ? r->cpu_pct : cpu1 + r->cpu_pct;
		/* The root has no memory.current: its children add up to it. */
		if (r->mem != TOP_NA)
			t.mem = t.mem == TOP_NA ? r->mem : t.mem + r->mem;
	}
	if (isnan(t.cpu_pct))
		t.cpu_pct = cpu1;
	*ret = t;
}
