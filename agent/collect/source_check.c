// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/collector.h"
#include "collect/source_check.h"
#include "lib/macros.h"

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* How a value may differ between the iterator and the files read around it. */
enum kind {
	K_EXACT,	/* a limit or setting: equal */
	K_COUNTER,	/* only grows: between the two reads */
	K_LEVEL,	/* moves both ways: within the reads, widened by their distance */
	K_CPUTIME,	/* user/system: within the usage between the reads */
};

/* cpu.stat's user and system are scaled to usage by tick counts
 * (cputime_adjust()): a tick between the reads moves the split by up to a
 * tick's worth of time (4 ms at HZ=250, 10 ms at HZ=100), on top of the
 * usage that passed. */
#define CPUTIME_SLACK_USEC 10000

struct value_ref {
	enum cg_file file;
	const char *key;
	size_t off;		/* in struct cgroup_values; memstat: the row index */
	enum kind kind;
};

#define V(field) offsetof(struct cgroup_values, field)

static size_t add_keyed(struct value_ref *out, size_t n, enum cg_file f, size_t off,
			const char *const *keys, unsigned nkeys, enum kind kind)
{
	for (unsigned k = 0; k < nkeys; k++)
		out[n++] = (struct value_ref){ f, keys[k], off + k * sizeof(uint64_t), kind };
	return n;
}

/* Every value of the iterator's files, and how to compare it. */
static size_t value_refs(struct value_ref *out)
{
	size_t n = 0;

	n = add_keyed(out, n, F_CGROUP_EVENTS, V(events), cgroup_events_keys, CGEV_NR, K_LEVEL);
	n = add_keyed(out, n, F_CGROUP_STAT, V(stat), cgroup_stat_keys, CGSTAT_NR, K_LEVEL);
	out[n++] = (struct value_ref){ F_CGROUP_FREEZE, "freeze", V(freeze), K_EXACT };
	n = add_keyed(out, n, F_CPU_STAT, V(cpu), cpu_stat_keys, CPU_NR, K_COUNTER);
	out[n - CPU_NR + CPU_USER].kind = K_CPUTIME;
	out[n - CPU_NR + CPU_SYSTEM].kind = K_CPUTIME;
	out[n++] = (struct value_ref){ F_CPU_MAX, "quota", V(cpu_quota), K_EXACT };
	out[n++] = (struct value_ref){ F_CPU_MAX, "period", V(cpu_period), K_EXACT };
	out[n++] = (struct value_ref){ F_CPU_WEIGHT, "weight", V(cpu_weight), K_EXACT };
	out[n++] = (struct value_ref){ F_MEMORY_CURRENT, "current", V(mem_current), K_LEVEL };
	out[n++] = (struct value_ref){ F_MEMORY_PEAK, "peak", V(mem_peak), K_COUNTER };
	out[n++] = (struct value_ref){ F_MEMORY_MAX, "max", V(mem_max), K_EXACT };
	out[n++] = (struct value_ref){ F_MEMORY_HIGH, "high", V(mem_high), K_EXACT };
	out[n++] = (struct value_ref){ F_MEMORY_LOW, "low", V(mem_low), K_EXACT };
	out[n++] = (struct value_ref){ F_MEMORY_MIN, "min", V(mem_min), K_EXACT };
	n = add_keyed(out, n, F_MEMORY_EVENTS, V(mem_events), memory_events_keys, MEMEV_NR,
		      K_COUNTER);
	n = add_keyed(out, n, F_MEMORY_EVENTS_LOCAL, V(mem_events_local), memory_events_keys,
		      MEMEV_NR, K_COUNTER);
	for (unsigned k = 0; k < MEMSTAT_NR; k++)
		out[n++] = (struct value_ref){ F_MEMORY_STAT, memory_stat_keys[k], k,
					       k < MEMSTAT_FIRST_EVENT ? K_LEVEL : K_COUNTER };
	out[n++] = (struct value_ref){ F_MEMORY_SWAP_CURRENT, "current", V(swap_current), K_LEVEL };
	out[n++] = (struct value_ref){ F_MEMORY_SWAP_MAX, "max", V(swap_max), K_EXACT };
	n = add_keyed(out, n, F_MEMORY_SWAP_EVENTS, V(swap_events), swap_events_keys, SWAPEV_NR,
		      K_COUNTER);
	out[n++] = (struct value_ref){ F_PIDS_CURRENT, "current", V(pids_current), K_LEVEL };
	out[n++] = (struct value_ref){ F_PIDS_MAX, "max", V(pids_max), K_EXACT };
	out[n++] = (struct value_ref){ F_PIDS_PEAK, "peak", V(pids_peak), K_COUNTER };
	n = add_keyed(out, n, F_PIDS_EVENTS, V(pids_events), pids_events_keys, PIDSEV_NR,
		      K_COUNTER);
	return n;
}

#define MAX_REFS 160

/* The iterator's values of one walk, by cgroup id. */
struct decoded {
	uint64_t id;
	uint32_t unknown;	/* files the collector reads from files for it */
	struct cgroup_values v;
	uint64_t psi_usec[CGITER_PSI_NR];
};

struct walk {
	struct decoded *d;
	size_t n, cap;
	uint32_t files;
	uint64_t page_size;
	struct stat_rows rows;
	struct io_array io;
	int err;
};

static void walk_each(void *ctx, const struct cgiter_rec *r)
{
	struct walk *w = ctx;
	struct cputime_prev prev = { 0, 0 };	/* the kernel's clamp decides */
	struct decoded *d;
	int e;

	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		struct decoded *p = realloc(w->d, cap * sizeof(*p));

		if (!p) {
			w->err = -ENOMEM;
			return;
		}
		w->d = p;
		w->cap = cap;
	}
	d = &w->d[w->n];
	memset(d, 0, sizeof(*d));
	d->id = r->id;
	e = iter_decode(r, w->files, w->page_size, &prev, &d->v,
			&(struct value_arrays){ &w->io, &w->rows }, &d->unknown);
	if (e < 0) {
		w->err = e;
		return;
	}
	for (int i = 0; i < CGITER_PSI_NR; i++)
		d->psi_usec[i] = (r->have & CGITER_HAVE_PSI) && r->psi_total_ns[i] != CGITER_UNSET ?
					 r->psi_total_ns[i] / 1000 : CG_UNSET;
	w->n++;
}

static int cmp_decoded(const void *a, const void *b)
{
	return CMP(((const struct decoded *)a)->id, ((const struct decoded *)b)->id);
}

static const struct decoded *find_decoded(const struct walk *w, uint64_t id)
{
	struct decoded key = { .id = id };

	return bsearch(&key, w->d, w->n, sizeof(*w->d), cmp_decoded);
}

/* The cgroups of a snapshot by id. */
struct by_id {
	uint64_t id;
	size_t idx;
};

static int cmp_by_id(const void *a, const void *b)
{
	return CMP(((const struct by_id *)a)->id, ((const struct by_id *)b)->id);
}

static const struct cgroup_sample *find_sample(const struct snapshot *s, const struct by_id *ix,
					       uint64_t id)
{
	struct by_id key = { .id = id };
	const struct by_id *p = bsearch(&key, ix, s->n, sizeof(*ix), cmp_by_id);

	return p ? &s->cgroups[p->idx] : NULL;
}

static uint64_t value_of(const struct source_values *x, const struct value_ref *ref)
{
	if (ref->file == F_MEMORY_STAT)
		return x->mem_stat ? x->mem_stat[ref->off] : CG_UNSET;
	return *(const uint64_t *)((const char *)x->v + ref->off);
}

static bool within(uint64_t b, uint64_t lo, uint64_t hi, uint64_t slack)
{
	uint64_t l = lo > slack ? lo - slack : 0;
	uint64_t h = hi + slack < hi ? UINT64_MAX : hi + slack;

	return b >= l && b <= h;
}

/* -1: not comparable (the two reads disagree), 0: out of bounds, 1: fine. */
static int judge(enum kind kind, uint64_t a, uint64_t b, uint64_t c, uint64_t usage_delta)
{
	if (a == CG_UNSET || c == CG_UNSET) {
		if (a != c)
			return -1;
		return b == CG_UNSET;
	}
	if (b == CG_UNSET)
		return 0;
	switch (kind) {
	case K_EXACT:
		return a == c ? b == a : -1;
	case K_COUNTER:
		return a <= c ? (a <= b && b <= c) : -1;
	case K_LEVEL: {
		uint64_t lo = MIN(a, c), hi = MAX(a, c);

		return within(b, lo, hi, hi - lo);
	}
	case K_CPUTIME:
		return within(b, MIN(a, c), MAX(a, c), usage_delta + CPUTIME_SLACK_USEC);
	}
	return -1;
}

static int group_of_file(enum cg_file f)
{
	for (int g = 0; g < IG_NR; g++)
		if ((iter_groups[g].files >> f) & 1)
			return g;
	return -1;
}

static struct value_ref refs[MAX_REFS];
static size_t nrefs;

static void refs_init(void)
{
	/* Idempotent: racing threads write the same table. */
	if (!__atomic_load_n(&nrefs, __ATOMIC_ACQUIRE))
		__atomic_store_n(&nrefs, value_refs(refs), __ATOMIC_RELEASE);
}

static void note(struct source_mismatch *m, enum cg_file f, const char *key,
		 uint64_t a, uint64_t b, uint64_t c)
{
	m->file = f;
	snprintf(m->key, sizeof(m->key), "%s", key);
	m->a = a;
	m->b = b;
	m->c = c;
}

uint32_t source_check_cgroup(const struct source_values *a, const struct source_values *b,
			     const struct source_values *c, uint32_t files, uint64_t *ret_values,
			     struct source_mismatch *ret_first)
{
	const struct cgroup_values *va = a->v, *vb = b->v, *vc = c->v;
	uint32_t bad = 0;
	uint64_t du = 0;

	refs_init();
	if (cg_has(va, F_CPU_STAT) && cg_has(vc, F_CPU_STAT) &&
	    va->cpu[CPU_USAGE] != CG_UNSET && vc->cpu[CPU_USAGE] != CG_UNSET &&
	    vc->cpu[CPU_USAGE] >= va->cpu[CPU_USAGE])
		du = vc->cpu[CPU_USAGE] - va->cpu[CPU_USAGE];
	for (int f = 0; f < F_NR; f++) {
		int g = group_of_file((enum cg_file)f);
		bool pa = cg_has(va, f), pb = cg_has(vb, f), pc = cg_has(vc, f);

		if (!((files >> f) & 1) || g < 0 || pa != pc)
			continue;
		(*ret_values)++;
		if (pa != pb) {
			if (!bad && ret_first)
				note(ret_first, (enum cg_file)f, "present", pa, pb, pc);
			bad |= 1u << g;
			continue;
		}
		if (!pa)
			continue;
		for (size_t k = 0; k < nrefs; k++) {
			uint64_t x, y, z;

			if (refs[k].file != (enum cg_file)f)
				continue;
			x = value_of(a, &refs[k]);
			y = value_of(b, &refs[k]);
			z = value_of(c, &refs[k]);
			(*ret_values)++;
			if (judge(refs[k].kind, x, y, z, du) == 0) {
				if (!((bad >> g) & 1) && ret_first)
					note(&ret_first[0], (enum cg_file)f, refs[k].key, x, y, z);
				bad |= 1u << g;
			}
		}
	}
	return bad;
}

/* PSI, measured only: the files' totals against the iterator's. */
static void psi_lag(const struct cgroup_values *va, const struct decoded *d,
		    const struct cgroup_values *vc, struct source_check *ret)
{
	static const int idx[3][2] = {
		{ CGITER_PSI_CPU_SOME, CGITER_PSI_CPU_FULL },
		{ CGITER_PSI_MEM_SOME, CGITER_PSI_MEM_FULL },
		{ CGITER_PSI_IO_SOME, CGITER_PSI_IO_FULL },
	};

	for (int r = 0; r < 3; r++) {
		enum cg_file f = (enum cg_file)(F_CPU_PRESSURE + r);

		if (!cg_has(va, f) || !cg_has(vc, f))
			continue;
		for (int full = 0; full < 2; full++) {
			const struct psi *pa = &va->psi[r], *pc = &vc->psi[r];
			uint64_t b = d->psi_usec[idx[r][full]];
			int64_t before, after;

			if (b == CG_UNSET || !(full ? pa->has_full && pc->has_full
						    : pa->has_some && pc->has_some))
				continue;
			before = (int64_t)((full ? pa->full : pa->some).total_usec - b);
			after = (int64_t)((full ? pc->full : pc->some).total_usec - b);
			if (!ret->psi_values++) {
				ret->psi_lag_before_min = ret->psi_lag_before_max = before;
				ret->psi_lag_after_max = after;
			}
			ret->psi_lag_before_max = MAX(ret->psi_lag_before_max, before);
			ret->psi_lag_before_min = MIN(ret->psi_lag_before_min, before);
			ret->psi_lag_after_max = MAX(ret->psi_lag_after_max, after);
			ret->psi_behind += before > 0;
		}
	}
}

/* One round: which groups had a value out of bounds (bits). */
static uint32_t compare(const struct snapshot *sa, const struct walk *w,
			const struct snapshot *sc, uint32_t files, struct source_check *ret)
{
	struct by_id *ix = calloc(sc->n ? sc->n : 1, sizeof(*ix));
	uint32_t bad = 0;

	if (!ix)
		return 0;
	for (size_t i = 0; i < sc->n; i++)
		ix[i] = (struct by_id){ sc->cgroups[i].id, i };
	qsort(ix, sc->n, sizeof(*ix), cmp_by_id);
	ret->cgroups = 0;
	for (size_t i = 0; i < sa->n; i++) {
		const struct cgroup_sample *ca = &sa->cgroups[i];
		const struct cgroup_sample *cc = find_sample(sc, ix, ca->id);
		const struct decoded *d = find_decoded(w, ca->id);
		struct source_mismatch m;
		uint32_t b;

		if (!cc || !d)
			continue;	/* made or gone between the reads */
		ret->cgroups++;
		b = source_check_cgroup(
			&(struct source_values){ &ca->v, sample_mem_stat(sa, &ca->v) },
			&(struct source_values){ &d->v, cg_has(&d->v, F_MEMORY_STAT) ?
							     w->rows.rows[d->v.mem_stat_row] : NULL },
			&(struct source_values){ &cc->v, sample_mem_stat(sc, &cc->v) },
			files & ~d->unknown, &ret->values, &m);
		for (int g = 0; g < IG_NR; g++) {
			if (!((b >> g) & 1))
				continue;
			ret->mismatches[g]++;
			if (group_of_file((enum cg_file)m.file) == g) {
				ret->first[g] = m;
				snprintf(ret->first[g].path, sizeof(ret->first[g].path), "%s",
					 sample_path(sa, ca));
			}
		}
		bad |= b;
		psi_lag(&ca->v, d, &cc->v, ret);
	}
	free(ix);
	return bad;
}

int source_check_run(const char *root, struct cgroup_iter *it, uint32_t groups, int rounds,
		     struct source_check *ret)
{
	struct cgroup_iter_stats st;
	struct collector *c = NULL;
	uint32_t files, bad_all = 0;
	struct walk w = { .page_size = (uint64_t)sysconf(_SC_PAGESIZE) };
	int r;

	memset(ret, 0, sizeof(*ret));
	/* What the kernel lets the iterator give. */
	r = cgroup_iter_walk(it);
	if (r < 0)
		return r;
	cgroup_iter_stats(it, &st);
	files = iter_cover_files(st.cover, iter_groups_files(groups));
	ret->groups = iter_groups_of(files);
	w.files = files;
	r = collector_new_files(root, files | iter_groups[IG_PRESSURE].files, &c);
	if (r < 0)
		return r;
	bad_all = ret->groups;
	cgroup_iter_want_psi(it, true);
	for (int round = 0; round < rounds && bad_all; round++) {
		struct snapshot *sa = NULL, *sc = NULL;
		uint32_t bad;

		w.n = 0;
		w.rows.len = 0;
		w.io.len = 0;
		w.err = 0;
		if ((r = collector_collect(c, &sa)) < 0)
			break;
		r = cgroup_iter_walk(it);
		if (r == 0)
			r = cgroup_iter_read(it, walk_each, &w);
		if (r == 0)
			r = w.err;
		if (r == 0)
			r = collector_collect(c, &sc);
		if (r < 0) {
			snapshot_unref(sa);
			break;
		}
		qsort(w.d, w.n, sizeof(*w.d), cmp_decoded);
		memset(ret->mismatches, 0, sizeof(ret->mismatches));
		ret->values = 0;
		bad = compare(sa, &w, sc, files, ret);
		bad_all &= bad;
		ret->rounds = round + 1;
		snapshot_unref(sa);
		snapshot_unref(sc);
	}
	cgroup_iter_want_psi(it, false);
	ret->bad = r < 0 ? 0 : bad_all;
	collector_free(c);
	free(w.d);
	free(w.rows.rows);
	free(w.io.items);
	return r < 0 ? r : 0;
}
