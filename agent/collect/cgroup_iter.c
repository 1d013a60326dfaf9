// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "collect/cgroup_iter.h"
#include "kernel/kernel_btf.h"
#include "cgscope_iter.skel.h"
#include "cgscope_iter_cgroup_rstat.skel.h"

/* Records of the spill map read per batch: 100 KiB of buffer. */
#define BATCH 256
/* The spill map's size: cgroups past the array's capacity. Without
 * preallocation it costs only its buckets (16 bytes each) until used. */
#define SPILL_MAX 65536

/* The two objects (one per flush kfunc, bpf/cgscope_iter.bpf.c) are the same
 * program: their skeletons differ only in name. What the loader uses of
 * either: */
struct iter_obj {
	void *skel;
	void (*destroy)(void *skel);
	struct bpf_program *prog;
	struct bpf_map *recs, *spill;
	struct cgscope_iter__rodata *rodata;	/* the same layout in both */
	struct cgscope_iter__bss *bss;
};

struct cgroup_iter {
	struct iter_obj o;
	struct bpf_link *link;
	int spill_fd;
	uint64_t gen;
	size_t value_size;		/* of the maps: a record up to an optional part */
	uint32_t capacity;		/* records of the array */
	const char *array;		/* its mapping: capacity records, elem apart */
	size_t elem, array_len;
	char *recs;			/* one batch of the spill map, value_size apart */
	uint64_t *keys;
	size_t batch;
	bool spilled;			/* the spill map may hold records */
	uint64_t *stale;		/* keys of cgroups that are gone */
	size_t nstale, stale_cap;
	struct cgroup_iter_stats stats;
};

_Static_assert(sizeof(struct cgscope_iter__rodata) == sizeof(struct cgscope_iter_cgroup_rstat__rodata) &&
	       sizeof(struct cgscope_iter__bss) == sizeof(struct cgscope_iter_cgroup_rstat__bss),
	       "the two objects are one program");

/* Which flush kfunc the kernel has: the object that calls it, NULL for
 * neither (a kernel before 6.1 has no cgroup iterator either). */
static const char *flush_kfunc(void)
{
	struct btf *btf = kernel_btf_load();
	const char *name = NULL;

	if (!btf)
		return NULL;
	if (btf__find_by_name_kind(btf, "css_rstat_flush", BTF_KIND_FUNC) >= 0)
		name = "css_rstat_flush";
	else if (btf__find_by_name_kind(btf, "cgroup_rstat_flush", BTF_KIND_FUNC) >= 0)
		name = "cgroup_rstat_flush";
	btf__free(btf);
	return name;
}

static void destroy_cgscope_iter(void *skel)
{
	cgscope_iter__destroy(skel);
}

static void destroy_cgscope_iter_cgroup_rstat(void *skel)
{
	cgscope_iter_cgroup_rstat__destroy(skel);
}

#define OPEN_OBJ(o, name, opts)                                                 \
	({                                                                      \
		struct name *sk = name##__open_opts(opts);                      \
		if (sk) {                                                       \
			(o)->skel = sk;                                         \
			(o)->destroy = destroy_##name;                          \
			(o)->prog = sk->progs.cgroup_stats;                     \
			(o)->recs = sk->maps.recs;                              \
			(o)->spill = sk->maps.spill;                            \
			(o)->rodata = (void *)sk->rodata;                       \
			(o)->bss = (void *)sk->bss;                             \
		}                                                               \
		sk ? 0 : -errno;                                                \
	})

/* The number of elements of array member name of struct t, -1 for none. */
static long array_len(const struct btf *btf, const struct btf_type *t, const char *name)
{
	const struct btf_member *m = btf_members(t);

	for (unsigned i = 0; i < btf_vlen(t); i++, m++) {
		const struct btf_type *mt;

		if (strcmp(btf__name_by_offset(btf, m->name_off), name))
			continue;
		mt = btf__type_by_id(btf, btf__resolve_type(btf, m->type));
		return mt && btf_is_array(mt) ? (long)btf_array(mt)->nelems : -1;
	}
	return -1;
}

static long enum_value(const struct btf *btf, const char *type, const char *name)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_ENUM);
	const struct btf_type *t = id < 0 ? NULL : btf__type_by_id(btf, (__u32)id);
	const struct btf_enum *e;

	if (!t)
		return -1;
	e = btf_enum(t);
	for (unsigned i = 0; i < btf_vlen(t); i++, e++)
		if (!strcmp(btf__name_by_offset(btf, e->name_off), name))
			return e->val;
	return -1;
}

/* Whether the kernel has Linux 6.1's memcg_vmstats, as memstat_layout_v61()
 * of bpf/iter_compat.bpf.h decides it: then the records have room for
 * memory.stat. The program's check stays the one that decides whether it
 * is read. */
static bool memstat_v61(void)
{
	struct btf *btf = kernel_btf_load();
	long nstat, nstate, nevents, want;
	int id;

	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, "memcg_vmstats", BTF_KIND_STRUCT);
	nstat = enum_value(btf, "memcg_stat_item", "MEMCG_NR_STAT");
	nstate = id < 0 ? -1 : array_len(btf, btf__type_by_id(btf, (__u32)id), "state");
	nevents = id < 0 ? -1 : array_len(btf, btf__type_by_id(btf, (__u32)id), "events");
	want = 13 + (enum_value(btf, "vm_event_item", "ZSWPIN") >= 0 ? 2 : 0) +
	       (enum_value(btf, "vm_event_item", "THP_FAULT_ALLOC") >= 0 ? 2 : 0);
	btf__free(btf);
	return nstat > 0 && nstate == nstat && nevents == want;
}

static int load_obj(struct iter_obj *o, bool cgroup_rstat)
{
	return cgroup_rstat ? cgscope_iter_cgroup_rstat__load(o->skel) : cgscope_iter__load(o->skel);
}
int cgroup_iter_open(int dirfd, const struct cgroup_iter_opts *o, struct cgroup_iter **ret)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	LIBBPF_OPTS(bpf_iter_attach_opts, ao);
	union bpf_iter_link_info linfo;
	struct cgroup_iter *it;
	int r;

	const char *flush = flush_kfunc();
	bool cgroup_rstat;

	if (!flush)
		return -EOPNOTSUPP;
	cgroup_rstat = !strcmp(flush, "cgroup_rstat_flush");
	it = calloc(1, sizeof(*it));
	if (!it)
		return -ENOMEM;
	kernel_bpf_open_opts(&oo);
	r = cgroup_rstat ? OPEN_OBJ(&it->o, cgscope_iter_cgroup_rstat, &oo)
			 : OPEN_OBJ(&it->o, cgscope_iter, &oo);
	if (r < 0)
		goto fail;
	it->o.rodata->want = o->want;
	it->o.rodata->with_psi = o->psi;
	it->o.rodata->with_memstat = (o->want & CGITER_COVER_MEMORY_STAT) && memstat_v61();
	it->value_size = it->o.rodata->with_memstat ? CGITER_SIZE_ALL :
			 o->psi ? CGITER_SIZE_PSI : CGITER_SIZE_BASE;
	it->stats.flush = flush;
	/* The tree as it is, a quarter more and 1,024: growth past that goes
	 * to the spill map. */
	it->capacity = o->cgroups + o->cgroups / 4 + 1024;
	it->o.rodata->capacity = it->capacity;
	it->stats.capacity = it->capacity;
	it->stats.max_cgroups = it->capacity + SPILL_MAX;
	r = bpf_map__set_max_entries(it->o.recs, it->capacity);
	if (r == 0)
		r = bpf_map__set_value_size(it->o.recs, (__u32)it->value_size);
	if (r == 0)
		r = bpf_map__set_max_entries(it->o.spill, SPILL_MAX);
	if (r == 0)
		r = bpf_map__set_value_size(it->o.spill, (__u32)it->value_size);
	if (r < 0)
		goto fail;
	r = load_obj(&it->o, cgroup_rstat);
	if (r < 0)
		goto fail;
	memset(&linfo, 0, sizeof(linfo));
	linfo.cgroup.cgroup_fd = (__u32)dirfd;
	linfo.cgroup.order = BPF_CGROUP_ITER_DESCENDANTS_PRE;
	ao.link_info = &linfo;
	ao.link_info_len = sizeof(linfo);
	it->link = bpf_program__attach_iter(it->o.prog, &ao);
	if (!it->link) {
		r = -errno;
		goto fail;
	}
	/* Array elements are 8-byte aligned (value_size is already). */
	it->elem = (it->value_size + 7) & ~(size_t)7;
	it->array_len = it->elem * it->capacity;
	it->array = mmap(NULL, it->array_len, PROT_READ, MAP_SHARED, bpf_map__fd(it->o.recs), 0);
	if (it->array == MAP_FAILED) {
		it->array = NULL;
		r = -errno;
		goto fail;
	}
	it->spill_fd = bpf_map__fd(it->o.spill);
	it->batch = BATCH;
	/* The last record is read as a whole struct cgiter_rec: room past it. */
	it->recs = malloc(it->batch * it->value_size + sizeof(struct cgiter_rec));
	it->keys = malloc(it->batch * sizeof(*it->keys));
	if (!it->recs || !it->keys) {
		r = -ENOMEM;
		goto fail;
	}
	*ret = it;
	return 0;
fail:
	cgroup_iter_free(it);
	return r;
}

void cgroup_iter_free(struct cgroup_iter *it)
{
	if (!it)
		return;
	bpf_link__destroy(it->link);
	if (it->array)
		munmap((void *)it->array, it->array_len);
	if (it->o.skel)
		it->o.destroy(it->o.skel);
	free(it->recs);
	free(it->keys);
	free(it->stale);
	free(it);
}

/* One session: create, read to the end (the program writes nothing to the
 * seq_file; the read is what runs it), close. */
static int walk(struct cgroup_iter *it)
{
	char buf[64];
	ssize_t n;
	int fd = bpf_iter_create(bpf_link__fd(it->link));

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

static int stale_push(struct cgroup_iter *it, uint64_t key)
{
	if (it->nstale == it->stale_cap) {
		size_t cap = it->stale_cap ? it->stale_cap * 2 : 64;
		uint64_t *p = realloc(it->stale, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		it->stale = p;
		it->stale_cap = cap;
	}
	it->stale[it->nstale++] = key;
	return 0;
}

int cgroup_iter_walk(struct cgroup_iter *it)
{
	int r;

	it->o.bss->gen = ++it->gen;
	r = walk(it);
	if (r < 0)
		return r;
	it->stats.sessions++;
	it->stats.cover = it->o.bss->cover;
	it->stats.visited = it->o.bss->visited;
	it->stats.dropped = it->o.bss->dropped;
	return 0;
}

int cgroup_iter_read(struct cgroup_iter *it,
		     void (*each)(void *ctx, const struct cgiter_rec *r), void *ctx)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	uint64_t in = 0, out = 0, staged;
	void *inp = NULL;
	int r;

	/* The array: the walk's first cgroups, in place. */
	staged = it->stats.visited < it->capacity ? it->stats.visited : it->capacity;
	for (uint64_t i = 0; i < staged; i++)
		each(ctx, (const void *)(it->array + i * it->elem));
	/* The spill map, when the tree ever outgrew the array. */
	if (it->stats.visited <= it->capacity && !it->spilled)
		return 0;
	it->spilled = it->stats.visited > it->capacity;
	it->nstale = 0;
	for (;;) {
		__u32 count = (__u32)it->batch;

		r = bpf_map_lookup_batch(it->spill_fd, inp, &out, it->keys, it->recs, &count, &bo);
		if (r < 0 && errno == ENOSPC && count == 0) {
			/* A hash bucket holds more than a batch: a larger one. */
			size_t nb = it->batch * 2;
			char *rp = realloc(it->recs, nb * it->value_size + sizeof(struct cgiter_rec));
			uint64_t *kp = rp ? realloc(it->keys, nb * sizeof(*kp)) : NULL;

			if (rp)
				it->recs = rp;
			if (!kp)
				return -ENOMEM;
			it->keys = kp;
			it->batch = nb;
			continue;
		}
		if (r < 0 && errno != ENOENT)
			return -errno;
		for (__u32 i = 0; i < count; i++) {
			const struct cgiter_rec *rec = (const void *)(it->recs + i * it->value_size);

			if (rec->gen == it->gen)
				each(ctx, rec);
			else if (stale_push(it, it->keys[i]) < 0)
				return -ENOMEM;
		}
		if (r < 0)	/* ENOENT: that was the last batch */
			break;
		in = out;
		inp = &in;
	}
	for (size_t i = 0; i < it->nstale; i++)
		bpf_map_delete_elem(it->spill_fd, &it->stale[i]);
	return 0;
}

void cgroup_iter_want_psi(struct cgroup_iter *it, bool on)
{
	it->o.bss->psi = on;
}

void cgroup_iter_stats(const struct cgroup_iter *it, struct cgroup_iter_stats *ret)
{
	*ret = it->stats;
}
