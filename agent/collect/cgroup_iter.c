// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "collect/cgroup_iter.h"
#include "kernel/kernel_btf.h"
#include "cgscope_iter.skel.h"
#include "cgscope_iter_v61.skel.h"

/* Records read per batch: a few hundred KiB of buffer whatever the tree. */
#define BATCH 256

/* The two objects (one per flush kfunc, bpf/cgscope_iter.bpf.c) are the same
 * program: their skeletons differ only in name. What the loader uses of
 * either: */
struct iter_obj {
	void *skel;
	void (*destroy)(void *skel);
	struct bpf_program *prog;
	struct bpf_map *recs;
	struct cgscope_iter__rodata *rodata;	/* the same layout in both */
	struct cgscope_iter__bss *bss;
};

struct cgroup_iter {
	struct iter_obj o;
	struct bpf_link *link;
	int map_fd;
	uint64_t gen;
	struct cgiter_rec *recs;	/* one batch */
	uint64_t *keys;
	size_t batch;
	uint64_t *stale;		/* keys of cgroups that are gone */
	size_t nstale, stale_cap;
	struct cgroup_iter_stats stats;
};

_Static_assert(sizeof(struct cgscope_iter__rodata) == sizeof(struct cgscope_iter_v61__rodata) &&
	       sizeof(struct cgscope_iter__bss) == sizeof(struct cgscope_iter_v61__bss),
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

#define OPEN_OBJ(o, name, opts)                                                 \
	({                                                                      \
		struct name *sk = name##__open_opts(opts);                      \
		if (sk) {                                                       \
			(o)->skel = sk;                                         \
			(o)->destroy = (void (*)(void *))name##__destroy;       \
			(o)->prog = sk->progs.cgroup_stats;                     \
			(o)->recs = sk->maps.recs;                              \
			(o)->rodata = (void *)sk->rodata;                       \
			(o)->bss = (void *)sk->bss;                             \
		}                                                               \
		sk ? 0 : -errno;                                                \
	})

static int load_obj(struct iter_obj *o, bool v61)
{
	return v61 ? cgscope_iter_v61__load(o->skel) : cgscope_iter__load(o->skel);
}
int cgroup_iter_open(int dirfd, const struct cgroup_iter_opts *o, struct cgroup_iter **ret)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	LIBBPF_OPTS(bpf_iter_attach_opts, ao);
	union bpf_iter_link_info linfo;
	struct cgroup_iter *it;
	int r;

	const char *flush = flush_kfunc();
	bool v61;

	if (!flush)
		return -EOPNOTSUPP;
	v61 = !strcmp(flush, "cgroup_rstat_flush");
	it = calloc(1, sizeof(*it));
	if (!it)
		return -ENOMEM;
	kernel_bpf_open_opts(&oo);
	r = v61 ? OPEN_OBJ(&it->o, cgscope_iter_v61, &oo) : OPEN_OBJ(&it->o, cgscope_iter, &oo);
	if (r < 0)
		goto fail;
	it->o.rodata->want = o->want;
	it->stats.flush = flush;
	it->stats.max_cgroups = o->max_cgroups ? o->max_cgroups : 65536;
	r = bpf_map__set_max_entries(it->o.recs, it->stats.max_cgroups);
	if (r < 0)
		goto fail;
	r = load_obj(&it->o, v61);
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
	it->map_fd = bpf_map__fd(it->o.recs);
	it->batch = BATCH;
	it->recs = malloc(it->batch * sizeof(*it->recs));
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
	uint64_t in = 0, out = 0;
	void *inp = NULL;
	int r;

	it->nstale = 0;
	for (;;) {
		__u32 count = (__u32)it->batch;

		r = bpf_map_lookup_batch(it->map_fd, inp, &out, it->keys, it->recs, &count, &bo);
		if (r < 0 && errno == ENOSPC && count == 0) {
			/* A hash bucket holds more than a batch: a larger one. */
			size_t nb = it->batch * 2;
			struct cgiter_rec *rp = realloc(it->recs, nb * sizeof(*rp));
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
			if (it->recs[i].gen == it->gen)
				each(ctx, &it->recs[i]);
			else if (stale_push(it, it->keys[i]) < 0)
				return -ENOMEM;
		}
		if (r < 0)	/* ENOENT: that was the last batch */
			break;
		in = out;
		inp = &in;
	}
	for (size_t i = 0; i < it->nstale; i++)
		bpf_map_delete_elem(it->map_fd, &it->stale[i]);
	return 0;
}

void cgroup_iter_stats(const struct cgroup_iter *it, struct cgroup_iter_stats *ret)
{
	*ret = it->stats;
}
