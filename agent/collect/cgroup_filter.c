// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "collect/cgroup_filter.h"
#include "lib/macros.h"

void cgroup_filter_init(struct cgroup_filter *f)
{
	*f = (struct cgroup_filter){ .max_depth = -1 };
}

int cgroup_filter_check_glob(const char *glob)
{
	size_t n = strlen(glob);

	if (n == 0 || glob[0] != '/' || (n > 1 && glob[n - 1] == '/'))
		return -EINVAL;
	return 0;
}

static bool keeps_everything(const struct cgroup_filter *f)
{
	return !f->n_include && !f->n_exclude && f->max_depth < 0 && !f->max_cgroups;
}

static bool match_any(const char *const *globs, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (fnmatch(globs[i], path, FNM_PATHNAME) == 0)
			return true;
	return false;
}

struct by_id {
	uint64_t id;
	size_t idx;
};

static int cmp_by_id(const void *a, const void *b)
{
	return CMP(((const struct by_id *)a)->id, ((const struct by_id *)b)->id);
}

/* parent[i]: the index of cgroup i's parent, or -1 for the root (or a parent
 * the snapshot does not have). Tree order puts it before i. */
static int parent_indexes(const struct snapshot *s, ptrdiff_t *parent)
{
	struct by_id *ids = malloc(sizeof(*ids) * (s->n ? s->n : 1));

	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++)
		ids[i] = (struct by_id){ s->cgroups[i].id, i };
	qsort(ids, s->n, sizeof(*ids), cmp_by_id);
	for (size_t i = 0; i < s->n; i++) {
		struct by_id key = { s->cgroups[i].parent_id, 0 }, *hit = NULL;

		if (s->cgroups[i].depth > 0)
			hit = bsearch(&key, ids, s->n, sizeof(*ids), cmp_by_id);
		parent[i] = hit && hit->idx < i ? (ptrdiff_t)hit->idx : -1;
	}
	free(ids);
	return 0;
}

/* A candidate of --max-cgroups, with what it is ranked by. */
struct rank {
	double cores;
	uint64_t cpu_usec, mem;
	uint64_t id;
	uint32_t depth;
	size_t idx;
};

/* Largest first; ties by id so that the choice does not depend on qsort. */
static int cmp_cpu(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;
	int c = CMP(y->cores, x->cores);

	if (!c)
		c = CMP(y->cpu_usec, x->cpu_usec);
	return c ? c : CMP(x->id, y->id);
}

static int cmp_mem(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;
	int c = CMP(y->mem, x->mem);

	return c ? c : CMP(x->id, y->id);
}

/* With nothing to rank by: the shallowest first, then by id. */
static int cmp_depth(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;
	int c = CMP(x->depth, y->depth);

	return c ? c : CMP(x->id, y->id);
}

/* Chooses cgroup idx and its ancestors not chosen yet, if they fit. */
static void choose(size_t idx, const ptrdiff_t *parent, bool *chosen, size_t *nchosen,
		   size_t max)
{
	size_t cost = 0;
	ptrdiff_t i;

	for (i = (ptrdiff_t)idx; i >= 0 && !chosen[i]; i = parent[i])
		cost++;
	if (!cost || *nchosen + cost > max)
		return;
	for (i = (ptrdiff_t)idx; i >= 0 && !chosen[i]; i = parent[i])
		chosen[i] = true;
	*nchosen += cost;
}

/* Narrows keep[] (n_keep set) to at most f->max_cgroups. Each ranking takes
 * only the cgroups that have its file: one that has none for a cgroup would
 * rank it at 0 and take such cgroups by id, crowding out the ones with data
 * (on a hybrid host, no cgroup2 cgroup has memory.current). */
static int limit(const struct cgroup_filter *f, const struct snapshot *s,
		 const ptrdiff_t *parent, bool *keep, size_t n_keep,
		 struct cgroup_filter_result *res)
{
	struct rank *by_cpu = malloc(sizeof(*by_cpu) * n_keep);
	struct rank *by_mem = malloc(sizeof(*by_mem) * n_keep);
	bool *chosen = calloc(s->n, sizeof(*chosen));
	size_t n_cpu = 0, n_mem = 0, nchosen = 0;

	if (!by_cpu || !by_mem || !chosen) {
		free(by_cpu);
		free(by_mem);
		free(chosen);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct cgroup_sample *c = &s->cgroups[i];
		const struct cgroup_values *v = &c->v;
		struct rank r;

		if (!keep[i])
			continue;
		r = (struct rank){
			.cores = c->has_rates ? c->cpu_cores : 0,
			.cpu_usec = cg_has(v, F_CPU_STAT) && v->cpu[CPU_USAGE] != CG_UNSET ?
				    v->cpu[CPU_USAGE] : 0,
			.mem = v->mem_current,
			.id = c->id,
			.depth = c->depth,
			.idx = i,
		};
		if (cg_has(v, F_CPU_STAT))
			by_cpu[n_cpu++] = r;
		if (cg_has(v, F_MEMORY_CURRENT))
			by_mem[n_mem++] = r;
	}
	res->ranked_by_cpu = n_cpu > 0;
	res->ranked_by_memory = n_mem > 0;
	qsort(by_cpu, n_cpu, sizeof(*by_cpu), cmp_cpu);
	qsort(by_mem, n_mem, sizeof(*by_mem), cmp_mem);
	/* In turn, so that neither a CPU-bound nor a memory-heavy cgroup is
	 * crowded out by the other kind. */
	for (size_t i = 0; (i < n_cpu || i < n_mem) && nchosen < f->max_cgroups; i++) {
		if (i < n_cpu)
			choose(by_cpu[i].idx, parent, chosen, &nchosen, f->max_cgroups);
		if (i < n_mem)
			choose(by_mem[i].idx, parent, chosen, &nchosen, f->max_cgroups);
	}
	/* Room left when cgroups have neither file (nothing to rank by at all,
	 * or parts of the tree without the controller): the shallowest of
	 * those not taken, then by id. */
	if (nchosen < f->max_cgroups) {
		size_t n_rest = 0;

		for (size_t i = 0; i < s->n; i++)
			if (keep[i] && !chosen[i])
				by_mem[n_rest++] = (struct rank){ .id = s->cgroups[i].id,
								  .depth = s->cgroups[i].depth,
								  .idx = i };
		qsort(by_mem, n_rest, sizeof(*by_mem), cmp_depth);
		for (size_t i = 0; i < n_rest && nchosen < f->max_cgroups; i++)
			choose(by_mem[i].idx, parent, chosen, &nchosen, f->max_cgroups);
	}
	memcpy(keep, chosen, sizeof(*keep) * s->n);
	free(by_cpu);
	free(by_mem);
	free(chosen);
	return 0;
}

/* A snapshot of the cgroups of s with keep[i] set. Strings, the io array and
 * the memory.stat rows are copied whole, so that path_off, io ranges and
 * rows stay as they are. */
static struct snapshot *copy_kept(const struct snapshot *s, const bool *keep, size_t n_keep)
{
	struct snapshot *t = snapshot_new();
	size_t k = 0;

	if (!t)
		return NULL;
	t->cycle = s->cycle;
	t->taken_ms = s->taken_ms;
	t->taken_mono_ns = s->taken_mono_ns;
	t->read_mono_ns = s->read_mono_ns;
	t->stats = s->stats;
	t->root = s->root ? strdup(s->root) : NULL;
	t->cgroups = malloc(sizeof(*t->cgroups) * (n_keep ? n_keep : 1));
	t->strings = malloc(s->strings_len ? s->strings_len : 1);
	if (s->io.len)
		t->io.items = malloc(sizeof(*t->io.items) * s->io.len);
	if (s->mem_stat.len)
		t->mem_stat.rows = malloc(sizeof(*t->mem_stat.rows) * s->mem_stat.len);
	if ((s->root && !t->root) || !t->cgroups || !t->strings || (s->io.len && !t->io.items) ||
	    (s->mem_stat.len && !t->mem_stat.rows)) {
		snapshot_unref(t);
		return NULL;
	}
	memcpy(t->strings, s->strings, s->strings_len);
	t->strings_len = s->strings_len;
	if (s->io.len)
		memcpy(t->io.items, s->io.items, sizeof(*t->io.items) * s->io.len);
	t->io.len = t->io.cap = s->io.len;
	if (s->mem_stat.len)
		memcpy(t->mem_stat.rows, s->mem_stat.rows,
		       sizeof(*t->mem_stat.rows) * s->mem_stat.len);
	t->mem_stat.len = t->mem_stat.cap = s->mem_stat.len;
	for (size_t i = 0; i < s->n; i++)
		if (keep[i])
			t->cgroups[k++] = s->cgroups[i];
	t->n = k;
	return t;
}

int cgroup_filter_apply(const struct cgroup_filter *f, struct snapshot *s,
			struct snapshot **ret, struct cgroup_filter_result *ret_result)
{
	struct cgroup_filter_result res = { 0 };
	ptrdiff_t *parent;
	bool *keep, *inc, *exc;
	struct snapshot *t;
	size_t n_keep = 0;
	int r;

	if (keeps_everything(f)) {
		*ret = snapshot_ref(s);
		*ret_result = (struct cgroup_filter_result){ .included = s->n, .kept = s->n };
		return 0;
	}
	parent = malloc(sizeof(*parent) * (s->n ? s->n : 1));
	keep = calloc(s->n ? s->n : 1, sizeof(*keep));
	inc = calloc(s->n ? s->n : 1, sizeof(*inc));
	exc = calloc(s->n ? s->n : 1, sizeof(*exc));
	r = parent && keep && inc && exc ? parent_indexes(s, parent) : -ENOMEM;
	if (r < 0)
		goto out;

	/* Parents come first, so a subtree rule is one pass down the order. */
	for (size_t i = 0; i < s->n; i++) {
		const struct cgroup_sample *c = &s->cgroups[i];
		const char *path = sample_path(s, c);
		ptrdiff_t p = parent[i];

		inc[i] = !f->n_include || (p >= 0 && inc[p]) ||
			 match_any(f->include, f->n_include, path);
		exc[i] = (p >= 0 && exc[p]) || match_any(f->exclude, f->n_exclude, path);
		keep[i] = inc[i] && !exc[i] &&
			  (f->max_depth < 0 || c->depth <= (uint32_t)f->max_depth);
		res.included += inc[i];
	}
	/* And children come after: one pass up keeps the ancestors of what is
	 * kept. An ancestor is never excluded nor too deep when its
	 * descendant is not. */
	for (size_t i = s->n; i-- > 0;)
		if (keep[i] && parent[i] >= 0)
			keep[parent[i]] = true;
	for (size_t i = 0; i < s->n; i++)
		n_keep += keep[i];
	res.filtered = s->n - n_keep;

	if (f->max_cgroups && n_keep > f->max_cgroups) {
		r = limit(f, s, parent, keep, n_keep, &res);
		if (r < 0)
			goto out;
		res.over_limit = n_keep;
		n_keep = 0;
		for (size_t i = 0; i < s->n; i++)
			n_keep += keep[i];
		res.over_limit -= n_keep;
	}
	res.kept = n_keep;

	t = copy_kept(s, keep, n_keep);
	if (!t) {
		r = -ENOMEM;
		goto out;
	}
	*ret = t;
	*ret_result = res;
	r = 0;
out:
	free(parent);
	free(keep);
	free(inc);
	free(exc);
	return r;
}
