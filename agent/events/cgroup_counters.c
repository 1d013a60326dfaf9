// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "events/cgroup_counters.h"

struct cgroup_counters {
	struct cgc_cfg cfg;
	size_t value_size;		/* bytes, a multiple of 8 */
	size_t n_u64;
	struct cgc_meta *meta;		/* mapped read-write: the sweep gives slots back */
	size_t meta_len;
	const uint64_t *values;
	size_t values_len;
	const struct cgc_stat *stat;
	size_t stat_len;
	int slot_fd, free_fd;
};

static struct bpf_map *table_map(struct bpf_object *obj, const char *name, const char *part)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%s_%s", name, part);
	return bpf_object__find_map_by_name(obj, buf);
}

int cgroup_counters_prepare(struct bpf_object *obj, const char *name, uint32_t slots,
			    bool per_cpu, struct cgc_cfg *ret_cfg)
{
	struct bpf_map *slot = table_map(obj, name, "slot"), *fr = table_map(obj, name, "free");
	struct bpf_map *meta = table_map(obj, name, "meta"), *values = table_map(obj, name, "values");
	uint32_t regions = 1;
	int r;

	if (!slot || !fr || !meta || !values || !table_map(obj, name, "stat"))
		return -ENOENT;
	if (slots == 0)
		slots = bpf_map__max_entries(meta);
	if (per_cpu) {
		int n = libbpf_num_possible_cpus();

		if (n > 0 && n <= CGC_REGIONS_MAX)
			regions = (uint32_t)n;
	}
	if ((uint64_t)slots * regions > UINT32_MAX / 2)
		return -E2BIG;
	r = bpf_map__set_max_entries(slot, slots);
	if (!r)
		r = bpf_map__set_max_entries(fr, slots);
	if (!r)
		r = bpf_map__set_max_entries(meta, slots);
	if (!r)
		r = bpf_map__set_max_entries(values, slots * regions);
	if (r < 0)
		return r;
	*ret_cfg = (struct cgc_cfg){ .slots = slots, .regions = regions };
	return 0;
}

static void *map_mmap(struct bpf_map *m, size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, bpf_map__fd(m), 0);

	return p == MAP_FAILED ? NULL : p;
}

static size_t page_round(size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (n + page - 1) / page * page;
}

int cgroup_counters_open(struct bpf_object *obj, const char *name, const struct cgc_cfg *cfg,
			 struct cgroup_counters **ret)
{
	struct bpf_map *meta = table_map(obj, name, "meta"), *values = table_map(obj, name, "values");
	struct bpf_map *stat = table_map(obj, name, "stat"), *fr = table_map(obj, name, "free");
	struct bpf_map *slot = table_map(obj, name, "slot");
	struct cgroup_counters *c;
	int r;

	if (!meta || !values || !stat || !fr || !slot)
		return -ENOENT;
	if (bpf_map__value_size(values) % 8 || bpf_map__value_size(values) / 8 > CGC_MAX_U64S)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cfg = *cfg;
	c->value_size = bpf_map__value_size(values);
	c->n_u64 = c->value_size / 8;
	c->slot_fd = bpf_map__fd(slot);
	c->free_fd = bpf_map__fd(fr);
	/* The stack pops the last pushed first: push the high slots first so
	 * that cgroups fill the table from slot 0. */
	for (uint32_t s = cfg->slots; s-- > 0;) {
		errno = 0;
		r = bpf_map_update_elem(c->free_fd, NULL, &s, 0);
		if (r < 0) {
			r = errno ? -errno : r;
			goto fail;
		}
	}
	c->meta_len = page_round((size_t)cfg->slots * sizeof(struct cgc_meta));
	c->values_len = page_round((size_t)cfg->slots * cfg->regions * c->value_size);
	c->stat_len = page_round(sizeof(struct cgc_stat));
	c->meta = map_mmap(meta, c->meta_len, PROT_READ | PROT_WRITE);
	c->values = map_mmap(values, c->values_len, PROT_READ);
	c->stat = map_mmap(stat, c->stat_len, PROT_READ);
	if (!c->meta || !c->values || !c->stat) {
		r = -errno;
		goto fail;
	}
	*ret = c;
	return 0;
fail:
	cgroup_counters_close(c);
	return r;
}

void cgroup_counters_close(struct cgroup_counters *c)
{
	if (!c)
		return;
	if (c->meta)
		munmap(c->meta, c->meta_len);
	if (c->values)
		munmap((void *)c->values, c->values_len);
	if (c->stat)
		munmap((void *)c->stat, c->stat_len);
	free(c);
}

#define load(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)

/* Reads slot s into sum: its owner, or 0 when it has none or kept changing;
 * where it sits into *ret_where, when not NULL. */
static uint64_t read_slot(const struct cgroup_counters *c, uint32_t s, uint64_t *sum,
			  struct cgc_tree_slot *ret_where)
{
	const struct cgc_meta *m = &c->meta[s];

	for (int tries = 0; tries < 4; tries++) {
		uint64_t g1 = load(&m->gen), g2, id;

		if (g1 & 1)
			continue;
		id = load(&m->id);
		if (!id)
			return 0;
		if (ret_where) {
			ret_where->id = id;
			ret_where->parent = load(&m->parent);
			ret_where->level = load(&m->level);
		}
		memset(sum, 0, c->n_u64 * sizeof(*sum));
		for (uint32_t r = 0; r < c->cfg.regions; r++) {
			const uint64_t *v = c->values + ((size_t)r * c->cfg.slots + s) * c->n_u64;

			for (size_t i = 0; i < c->n_u64; i++)
				sum[i] += __atomic_load_n(&v[i], __ATOMIC_RELAXED);
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		g2 = load(&m->gen);
		if (g1 == g2)
			return id;
	}
	return 0;
}

size_t cgroup_counters_read(struct cgroup_counters *c,
			    void (*fn)(uint64_t id, const uint64_t *values, void *ctx), void *ctx)
{
	uint64_t sum[CGC_MAX_U64S];
	size_t n = 0;

	for (uint32_t s = 0; s < c->cfg.slots; s++) {
		uint64_t id;

		if (!__atomic_load_n(&c->meta[s].id, __ATOMIC_RELAXED))
			continue;	/* the common case: a free slot, one load */
		id = read_slot(c, s, sum, NULL);
		if (!id)
			continue;
		fn(id, sum, ctx);
		n++;
	}
	return n;
}

/* Reads of the tree that a move may overlap, before the last is kept as
 * it is (moves come with cgroups freed: a few a second at most). */
#define TREE_TRIES 8

static int tree_grow(struct cgc_tree *t, size_t n_u64)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	struct cgc_tree_slot *slots = realloc(t->slots, cap * sizeof(*slots));
	uint64_t *values;

	if (!slots)
		return -ENOMEM;
	t->slots = slots;
	values = realloc(t->values, cap * n_u64 * sizeof(*values));
	if (!values)
		return -ENOMEM;
	t->values = values;
	t->cap = cap;
	return 0;
}

int cgroup_counters_read_tree(struct cgroup_counters *c, struct cgc_tree *t)
{
	for (int tries = 0; tries < TREE_TRIES; tries++) {
		uint64_t done = load(&c->stat->moves), busy = load(&c->stat->moving);

		t->n = 0;
		t->n_u64 = c->n_u64;
		for (uint32_t s = 0; s < c->cfg.slots; s++) {
			if (!__atomic_load_n(&c->meta[s].id, __ATOMIC_RELAXED))
				continue;
			if (t->n == t->cap && tree_grow(t, c->n_u64) < 0)
				return -ENOMEM;
			if (read_slot(c, s, t->values + t->n * c->n_u64, &t->slots[t->n]))
				t->n++;
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		t->torn = busy || load(&c->stat->moving) || load(&c->stat->moves) != done;
		if (!t->torn)
			break;
	}
	return (int)t->n;
}

void cgc_tree_free(struct cgc_tree *t)
{
	free(t->slots);
	free(t->values);
	*t = (struct cgc_tree){0};
}

void cgroup_counters_stat(const struct cgroup_counters *c, struct cgc_stat *ret)
{
	ret->allocated = __atomic_load_n(&c->stat->allocated, __ATOMIC_RELAXED);
	ret->released = __atomic_load_n(&c->stat->released, __ATOMIC_RELAXED);
	ret->unslotted = __atomic_load_n(&c->stat->unslotted, __ATOMIC_RELAXED);
	ret->moves = __atomic_load_n(&c->stat->moves, __ATOMIC_RELAXED);
	ret->moving = __atomic_load_n(&c->stat->moving, __ATOMIC_RELAXED);
}

uint32_t cgroup_counters_slots(const struct cgroup_counters *c)
{
	return c->cfg.slots;
}

int cgroup_counters_sweep(struct cgroup_counters *c, bool (*live)(uint64_t id, void *ctx),
			  void *ctx)
{
	int freed = 0;

	for (uint32_t s = 0; s < c->cfg.slots; s++) {
		struct cgc_meta *m = &c->meta[s];
		uint64_t g = load(&m->gen), id = load(&m->id);

		if (!id || (g & 1) || live(id, ctx))
			continue;
		/* Whoever deletes the hash entry owns the slot's return. */
		if (bpf_map_delete_elem(c->slot_fd, &id) < 0) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		__atomic_fetch_add(&m->gen, 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(&m->id, 0, __ATOMIC_RELEASE);
		__atomic_fetch_add(&m->gen, 1, __ATOMIC_SEQ_CST);
		if (bpf_map_update_elem(c->free_fd, NULL, &s, 0) < 0)
			return -errno;
		freed++;
	}
	return freed;
}
