// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"

struct cg_node {
	uint64_t id;
	struct cg_node *hnext;		/* hash chain by id */
	char *path;
	uint32_t depth;
	uint64_t parent_id;
	int dirfd;
	int ctl_fd;			/* cgroup.controllers; -1 in a bare capture */
	int fds[F_NR];			/* -1: the file is not there */
	char ctl[256];			/* last contents of cgroup.controllers */
	size_t ctl_len;
	uint64_t gen;			/* the cycle that last saw it */
	int32_t prev_idx;		/* its index in the previous snapshot */
	bool vanished;
};

struct child {
	char *name;
	uint64_t ino;
};

struct collector {
	char *root;
	struct cg_node *root_node;
	struct cg_node **table;		/* hash of nodes by id */
	size_t nbuckets, nnodes, open_fds;
	uint64_t gen;
	struct cg_node **order;		/* this cycle's walk, tree order */
	size_t norder, order_cap;
	struct child *kids;		/* scratch for one directory's listing */
	size_t kids_cap;
	char *buf;			/* scratch for file contents */
	size_t buf_cap;
	struct snapshot *prev;
	struct collector_stats stats;
	struct {
		char *path;
		int err;
	} last_error[F_NR];
};

static size_t bucket(const struct collector *c, uint64_t id)
{
	return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 20) & (c->nbuckets - 1);
}

static struct cg_node *node_find(const struct collector *c, uint64_t id)
{
	for (struct cg_node *n = c->table[bucket(c, id)]; n; n = n->hnext)
		if (n->id == id)
			return n;
	return NULL;
}

static int table_grow(struct collector *c)
{
	size_t old = c->nbuckets, nb = old ? old * 2 : 256;
	struct cg_node **t = calloc(nb, sizeof(*t)), **ot = c->table;

	if (!t)
		return -ENOMEM;
	c->table = t;
	c->nbuckets = nb;
	for (size_t i = 0; i < old; i++) {
		for (struct cg_node *n = ot[i], *next; n; n = next) {
			size_t b = bucket(c, n->id);
			next = n->hnext;
			n->hnext = t[b];
			t[b] = n;
		}
	}
	free(ot);
	return 0;
}

static void close_fd(struct collector *c, int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		c->open_fds--;
		*fd = -1;
	}
}

static void node_free(struct collector *c, struct cg_node *n)
{
	for (int f = 0; f < F_NR; f++)
		close_fd(c, &n->fds[f]);
	close_fd(c, &n->ctl_fd);
	close_fd(c, &n->dirfd);
	free(n->path);
	free(n);
}

static void note_error(struct collector *c, enum cg_file f,
		       const struct cg_node *n, int err)
{
	char *p = strdup(n->path);

	c->stats.read_errors[f]++;
	if (p) {
		free(c->last_error[f].path);
		c->last_error[f].path = p;
		c->last_error[f].err = err;
	}
}

static bool vanished_errno(int err)
{
	/* What a read on a removed cgroup's file gives: the node is gone. */
	return err == ENODEV || err == ENOENT || err == ESTALE;
}

/* Reads a whole file from offset 0 into c->buf; returns its length or -errno. */
static ssize_t read_file(struct collector *c, int fd)
{
	for (;;) {
		ssize_t n = pread(fd, c->buf, c->buf_cap, 0);
		char *p;

		if (n < 0)
			return -errno;
		if ((size_t)n < c->buf_cap)
			return n;
		/* Filled the buffer: the file may be longer. */
		p = realloc(c->buf, c->buf_cap * 2);
		if (!p)
			return -ENOMEM;
		c->buf = p;
		c->buf_cap *= 2;
	}
}

static bool controller_listed(const char *list, size_t len, const char *name)
{
	size_t nl = strlen(name);
	const char *p = list, *end = list + len;

	while (p < end) {
		const char *e = p;
		while (e < end && *e != ' ' && *e != '\n')
			e++;
		if ((size_t)(e - p) == nl && memcmp(p, name, nl) == 0)
			return true;
		p = e + 1;
	}
	return false;
}

/* Opens the files that cgroup.controllers says exist and closes those that
 * no longer do. Without cgroup.controllers (a bare capture) tries them all. */
static void node_probe(struct collector *c, struct cg_node *n)
{
	for (int f = 0; f < F_NR; f++) {
		const char *ctl = cg_files[f].controller;
		bool want = !ctl || n->ctl_fd < 0 ||
			    controller_listed(n->ctl, n->ctl_len, ctl);

		if (!want) {
			close_fd(c, &n->fds[f]);
			continue;
		}
		if (n->fds[f] >= 0)
			continue;
		n->fds[f] = openat(n->dirfd, cg_files[f].name, O_RDONLY | O_CLOEXEC);
		if (n->fds[f] >= 0)
			c->open_fds++;
		else if (errno == EMFILE || errno == ENFILE || errno == ENOMEM)
			note_error(c, (enum cg_file)f, n, -errno);
		/* ENOENT and the like: the file is not there, which is normal. */
	}
}

/* Re-reads cgroup.controllers; returns false if the cgroup vanished. */
static bool node_refresh_controllers(struct collector *c, struct cg_node *n)
{
	ssize_t len;

	if (n->ctl_fd < 0)
		return true;
	len = read_file(c, n->ctl_fd);
	if (len < 0)
		return !vanished_errno((int)-len);
	if ((size_t)len > sizeof(n->ctl))
		len = sizeof(n->ctl);
	if ((size_t)len != n->ctl_len || memcmp(n->ctl, c->buf, (size_t)len)) {
		memcpy(n->ctl, c->buf, (size_t)len);
		n->ctl_len = (size_t)len;
		node_probe(c, n);
	}
	return true;
}

static int node_new(struct collector *c, int parent_dirfd, const char *name,
		    const char *path, uint32_t depth, uint64_t parent_id,
		    struct cg_node **ret)
{
	struct cg_node *n;
	struct stat st;
	size_t b;
	int fd, r;

	fd = openat(parent_dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	n = calloc(1, sizeof(*n));
	if (!n || !(n->path = strdup(path))) {
		free(n);
		close(fd);
		return -ENOMEM;
	}
	c->open_fds++;
	n->id = st.st_ino;
	n->dirfd = fd;
	n->depth = depth;
	n->parent_id = parent_id;
	n->prev_idx = -1;
	for (int f = 0; f < F_NR; f++)
		n->fds[f] = -1;
	n->ctl_fd = openat(fd, "cgroup.controllers", O_RDONLY | O_CLOEXEC);
	if (n->ctl_fd >= 0)
		c->open_fds++;
	node_refresh_controllers(c, n);
	if (n->ctl_fd < 0 || n->ctl_len == 0)
		node_probe(c, n);	/* no controllers: still the core files */
	if (c->nnodes + 1 > c->nbuckets && (r = table_grow(c)) < 0) {
		node_free(c, n);
		return r;
	}
	b = bucket(c, n->id);
	n->hnext = c->table[b];
	c->table[b] = n;
	c->nnodes++;
	if (c->gen > 1)		/* those there at start are not news */
		c->stats.created++;
	*ret = n;
	return 0;
}

static int order_push(struct collector *c, struct cg_node *n)
{
	if (c->norder == c->order_cap) {
		size_t cap = c->order_cap ? c->order_cap * 2 : 256;
		struct cg_node **o = realloc(c->order, cap * sizeof(*o));
		if (!o)
			return -ENOMEM;
		c->order = o;
		c->order_cap = cap;
	}
	c->order[c->norder++] = n;
	return 0;
}

static int child_cmp(const void *a, const void *b)
{
	return strcmp(((const struct child *)a)->name, ((const struct child *)b)->name);
}

/* Lists a node's subdirectories into c->kids, sorted by name so that the
 * output has a stable order. Returns how many, or -errno. */
static int list_children(struct collector *c, struct cg_node *n)
{
	struct dirent *de;
	size_t nk = 0;
	DIR *d;
	int fd;

	fd = openat(n->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	while ((de = readdir(d))) {
		uint64_t ino = de->d_ino;

		if (de->d_name[0] == '.' &&
		    (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		if (de->d_type == DT_UNKNOWN) {
			struct stat st;
			if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
			    !S_ISDIR(st.st_mode))
				continue;
			ino = st.st_ino;
		} else if (de->d_type != DT_DIR) {
			continue;
		}
		if (nk == c->kids_cap) {
			size_t cap = c->kids_cap ? c->kids_cap * 2 : 64;
			struct child *k = realloc(c->kids, cap * sizeof(*k));
			if (!k)
				break;
			c->kids = k;
			c->kids_cap = cap;
		}
		c->kids[nk].name = strdup(de->d_name);
		if (!c->kids[nk].name)
			break;
		c->kids[nk++].ino = ino;
	}
	closedir(d);
	qsort(c->kids, nk, sizeof(*c->kids), child_cmp);
	return (int)nk;
}

static char *join_path(const char *parent, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", strcmp(parent, "/") ? parent : "", name) < 0)
		return NULL;
	return p;
}

/* Visits one directory's children: known ones are marked seen (and their path
 * updated after a rename), new ones are opened. Appends them to the walk. */
static int visit_children(struct collector *c, struct cg_node *n, size_t *ret_first)
{
	int nk = list_children(c, n);

	*ret_first = c->norder;
	if (nk < 0) {
		if (!vanished_errno(-nk))
			c->stats.walk_errors++;
		return 0;
	}
	for (int i = 0; i < nk; i++) {
		char *path = join_path(n->path, c->kids[i].name);
		struct cg_node *k = node_find(c, c->kids[i].ino);

		if (!path || (k && k->gen == c->gen))
			goto next;	/* no memory, or listed twice in one walk */
		if (k && k->parent_id == n->id) {
			if (strcmp(k->path, path)) {	/* renamed */
				free(k->path);
				k->path = path;
				path = NULL;
			}
		} else if (!k) {
			if (node_new(c, n->dirfd, c->kids[i].name, path, n->depth + 1,
				     n->id, &k) < 0)
				k = NULL;	/* gone already, or no fd: next cycle */
		} else {
			/* Same id under another parent: a plain directory moved. */
			k->parent_id = n->id;
			k->depth = n->depth + 1;
			free(k->path);
			k->path = path;
			path = NULL;
		}
		if (k) {
			k->gen = c->gen;
			k->vanished = false;
			if (order_push(c, k) < 0)
				k->gen = 0;
		}
next:
		free(path);
		free(c->kids[i].name);
	}
	return 0;
}

/* Depth-first, parents before children, children by name: each node's
 * children are listed onto the tail of the walk, taken off again, and pushed
 * back one at a time, each followed by its own subtree. */
static void walk_dfs(struct collector *c, struct cg_node *n)
{
	size_t first, last;

	visit_children(c, n, &first);
	last = c->norder;
	/* Children were appended at [first, last); recurse into each in turn.
	 * Recursion depth is bounded by the cgroup tree's depth. */
	if (first == last)
		return;
	{
		size_t cnt = last - first;
		struct cg_node **kids = malloc(cnt * sizeof(*kids));
		if (!kids)
			return;
		memcpy(kids, c->order + first, cnt * sizeof(*kids));
		c->norder = first;
		for (size_t i = 0; i < cnt; i++) {
			if (order_push(c, kids[i]) < 0)
				break;
			walk_dfs(c, kids[i]);
		}
		free(kids);
	}
}

static void drop_unseen(struct collector *c)
{
	for (size_t b = 0; b < c->nbuckets; b++) {
		struct cg_node **pp = &c->table[b];
		while (*pp) {
			struct cg_node *n = *pp;
			if (n->gen != c->gen && n != c->root_node) {
				*pp = n->hnext;
				c->nnodes--;
				c->stats.removed++;
				node_free(c, n);
			} else {
				pp = &n->hnext;
			}
		}
	}
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void read_pass(struct collector *c, enum cg_file f,
		      struct cgroup_sample *samples, struct io_array *io)
{
	for (size_t i = 0; i < c->norder; i++) {
		struct cg_node *n = c->order[i];
		ssize_t len;
		int r;

		if (n->vanished || n->fds[f] < 0)
			continue;
		len = read_file(c, n->fds[f]);
		if (len < 0) {
			if (vanished_errno((int)-len))
				n->vanished = true;
			else if (len != -EOPNOTSUPP)	/* PSI off for this cgroup */
				note_error(c, f, n, (int)len);
			continue;
		}
		r = cg_files[f].store(c->buf, (size_t)len, &samples[i].v, io);
		if (r < 0)
			note_error(c, f, n, r);
		else
			samples[i].v.present |= 1u << f;
	}
}

static uint64_t io_sum(const struct snapshot *s, const struct cgroup_values *v,
		       size_t field)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < v->io_count; i++)
		sum += *(const uint64_t *)((const char *)&s->io.items[v->io_first + i] + field);
	return sum;
}

static void compute_rates(const struct snapshot *prev, struct snapshot *s,
			  struct cgroup_sample *cur, const struct cgroup_sample *old)
{
	double dt = (double)(s->taken_mono_ns - prev->taken_mono_ns) / 1e9;

	if (dt <= 0)
		return;
	cur->has_rates = 1;
	if (cg_has(&cur->v, F_CPU_STAT) && cg_has(&old->v, F_CPU_STAT) &&
	    cur->v.cpu[CPU_USAGE] >= old->v.cpu[CPU_USAGE] &&
	    old->v.cpu[CPU_USAGE] != CG_UNSET)
		cur->cpu_cores = (double)(cur->v.cpu[CPU_USAGE] - old->v.cpu[CPU_USAGE]) / 1e6 / dt;
	if (cg_has(&cur->v, F_IO_STAT) && cg_has(&old->v, F_IO_STAT)) {
		size_t rb = offsetof(struct io_dev_stat, rbytes);
		size_t wb = offsetof(struct io_dev_stat, wbytes);
		uint64_t r0 = io_sum(prev, &old->v, rb), r1 = io_sum(s, &cur->v, rb);
		uint64_t w0 = io_sum(prev, &old->v, wb), w1 = io_sum(s, &cur->v, wb);
		cur->io_read_bps = r1 >= r0 ? (double)(r1 - r0) / dt : 0;
		cur->io_write_bps = w1 >= w0 ? (double)(w1 - w0) / dt : 0;
	}
}

static void observe_duration(struct collector_stats *st, double secs)
{
	int i;

	for (i = 0; i < COLLECT_HIST_BUCKETS; i++)
		if (secs <= collect_hist_bounds[i])
			break;
	st->hist_counts[i]++;
	st->hist_sum += secs;
	st->last_duration = secs;
}

/* Builds the snapshot's arrays from this cycle's walk, leaving out the
 * cgroups that vanished while being read. */
static int build(struct collector *c, struct snapshot *s, struct cgroup_sample *samples)
{
	size_t slen = 0, o = 0, k = 0;

	for (size_t i = 0; i < c->norder; i++)
		if (!c->order[i]->vanished)
			slen += strlen(c->order[i]->path) + 1;
	s->strings = malloc(slen ? slen : 1);
	if (!s->strings)
		return -ENOMEM;
	for (size_t i = 0; i < c->norder; i++) {
		struct cg_node *n = c->order[i];
		size_t pl;

		if (n->vanished) {
			n->gen = 0;	/* dropped below; seen anew if it is back */
			continue;
		}
		samples[k] = samples[i];
		samples[k].id = n->id;
		samples[k].parent_id = n->parent_id;
		samples[k].depth = n->depth;
		samples[k].path_off = (uint32_t)o;
		pl = strlen(n->path) + 1;
		memcpy(s->strings + o, n->path, pl);
		o += pl;
		if (c->prev && n->prev_idx >= 0)
			compute_rates(c->prev, s, &samples[k],
				      &c->prev->cgroups[n->prev_idx]);
		n->prev_idx = (int32_t)k;
		k++;
	}
	s->strings_len = o;
	s->cgroups = samples;
	s->n = k;
	return 0;
}

int collector_collect(struct collector *c, struct snapshot **ret)
{
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	struct cgroup_sample *samples;
	struct snapshot *s;
	int r;

	c->gen++;
	c->norder = 0;
	c->root_node->gen = c->gen;
	r = order_push(c, c->root_node);
	if (r < 0)
		return r;
	walk_dfs(c, c->root_node);
	drop_unseen(c);

	s = snapshot_new();
	samples = calloc(c->norder ? c->norder : 1, sizeof(*samples));
	if (!s || !samples || !(s->root = strdup(c->root))) {
		free(samples);
		snapshot_unref(s);
		return -ENOMEM;
	}
	for (size_t i = 0; i < c->norder; i++)
		if (!node_refresh_controllers(c, c->order[i]))
			c->order[i]->vanished = true;
	/* One pass per file type across all cgroups: the kernel's cost of a
	 * file (memory.stat flushes statistics) is paid in one stretch. */
	for (int f = 0; f < F_NR; f++)
		read_pass(c, (enum cg_file)f, samples, &s->io);

	s->taken_mono_ns = now_ns(CLOCK_MONOTONIC);
	s->taken_ms = (int64_t)(now_ns(CLOCK_REALTIME) / 1000000);
	r = build(c, s, samples);
	if (r < 0) {
		free(samples);
		snapshot_unref(s);
		return r;
	}
	c->stats.cycles++;
	s->cycle = c->stats.cycles;
	observe_duration(&c->stats, (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e9);
	s->stats = c->stats;
	snapshot_unref(c->prev);
	c->prev = snapshot_ref(s);
	*ret = s;
	return 0;
}

int collector_new(const char *root, struct collector **ret)
{
	struct collector *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	c->root = strdup(root);
	c->buf_cap = 64 * 1024;
	c->buf = malloc(c->buf_cap);
	if (!c->root || !c->buf || (r = table_grow(c)) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	r = node_new(c, AT_FDCWD, root, "/", 0, 0, &c->root_node);
	if (r < 0)
		goto fail;
	*ret = c;
	return 0;
fail:
	collector_free(c);
	return r;
}

void collector_free(struct collector *c)
{
	if (!c)
		return;
	for (size_t b = 0; b < c->nbuckets; b++)
		for (struct cg_node *n = c->table[b], *next; n; n = next) {
			next = n->hnext;
			node_free(c, n);
		}
	for (int f = 0; f < F_NR; f++)
		free(c->last_error[f].path);
	snapshot_unref(c->prev);
	free(c->table);
	free(c->order);
	free(c->kids);
	free(c->buf);
	free(c->root);
	free(c);
}

int collector_last_error(const struct collector *c, enum cg_file f,
			 const char **ret_path)
{
	if (!c->last_error[f].err)
		return 0;
	*ret_path = c->last_error[f].path;
	return c->last_error[f].err;
}

size_t collector_open_fds(const struct collector *c)
{
	return c->open_fds;
}
