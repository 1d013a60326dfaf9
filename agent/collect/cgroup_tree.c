// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect/cgroup_tree.h"

struct child {
	char *name;
	uint64_t ino;
};

struct cgroup_tree {
	struct cg_node *root;
	struct cg_node **by_id, **by_wd;	/* hash tables, nbuckets each */
	size_t nbuckets, nnodes;
	int ifd;			/* inotify, -1 when not watching */
	bool relist_all;		/* the next walk lists every directory */
	uint64_t gen;
	struct cg_node **order;
	size_t norder, order_cap;
	struct child *kids;		/* scratch for one directory's listing */
	size_t kids_cap;
	struct fd_budget *dirs;
	/* Slots: nslots given so far; free ones to give again; those freed
	 * by this walk, reported by it and free for the next. Both arrays
	 * have room for every slot, so that freeing one never fails (a slot
	 * lost from the report would be given again with a user's stale state
	 * in it). */
	uint32_t nslots, slots_cap;
	uint32_t *free_slots, nfree;
	uint32_t *removed, nremoved;
	struct cgroup_tree_stats stats;
};

#define WATCH_MASK (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR)

static size_t bucket(const struct cgroup_tree *t, uint64_t key)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & (t->nbuckets - 1);
}

static struct cg_node *find_id(const struct cgroup_tree *t, uint64_t id)
{
	for (struct cg_node *n = t->by_id[bucket(t, id)]; n; n = n->hnext)
		if (n->id == id)
			return n;
	return NULL;
}

static struct cg_node *find_wd(const struct cgroup_tree *t, int wd)
{
	for (struct cg_node *n = t->by_wd[bucket(t, (uint64_t)wd)]; n; n = n->wnext)
		if (n->wd == wd)
			return n;
	return NULL;
}

static void unhash_wd(struct cgroup_tree *t, struct cg_node *n)
{
	struct cg_node **pp;

	if (n->wd < 0)
		return;
	for (pp = &t->by_wd[bucket(t, (uint64_t)n->wd)]; *pp; pp = &(*pp)->wnext) {
		if (*pp == n) {
			*pp = n->wnext;
			break;
		}
	}
}

static int grow(struct cgroup_tree *t)
{
	size_t old = t->nbuckets, nb = old ? old * 2 : 256;
	struct cg_node **ids = calloc(nb, sizeof(*ids)), **wds = calloc(nb, sizeof(*wds));
	struct cg_node **oids = t->by_id;

	if (!ids || !wds) {
		free(ids);
		free(wds);
		return -ENOMEM;
	}
	free(t->by_wd);
	t->by_id = ids;
	t->by_wd = wds;
	t->nbuckets = nb;
	for (size_t i = 0; i < old; i++) {
		for (struct cg_node *n = oids[i], *next; n; n = next) {
			size_t b = bucket(t, n->id);
			next = n->hnext;
			n->hnext = ids[b];
			ids[b] = n;
			if (n->wd >= 0) {
				b = bucket(t, (uint64_t)n->wd);
				n->wnext = wds[b];
				wds[b] = n;
			}
		}
	}
	free(oids);
	return 0;
}

/* Gives up on inotify: every directory is listed each walk from now on. */
static void stop_watching(struct cgroup_tree *t)
{
	if (t->ifd >= 0)
		close(t->ifd);	/* drops every watch at once */
	t->ifd = -1;
	t->stats.watching = false;
	for (size_t b = 0; b < t->nbuckets; b++) {
		t->by_wd[b] = NULL;
		for (struct cg_node *n = t->by_id[b]; n; n = n->hnext)
			n->wd = -1;
	}
}

int cgroup_tree_open_by_path(const struct cgroup_tree *t, const struct cg_node *n,
			     const char *name, int flags)
{
	char *rel;
	int fd;

	if (!n->parent)
		fd = openat(t->root->dirfd, name, flags | O_CLOEXEC);
	else {
		/* "/a/b" and "name" from the root's descriptor: "a/b/name". */
		if (asprintf(&rel, "%s/%s", n->path + 1, name) < 0)
			return -ENOMEM;
		fd = openat(t->root->dirfd, rel, flags | O_CLOEXEC);
		free(rel);
	}
	return fd < 0 ? -errno : fd;
}

int cgroup_tree_openat(const struct cgroup_tree *t, const struct cg_node *n,
		       const char *name, int flags)
{
	int fd;

	if (n->dirfd < 0)
		return cgroup_tree_open_by_path(t, n, name, flags);
	fd = openat(n->dirfd, name, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int cgroup_tree_root_fd(const struct cgroup_tree *t)
{
	return t->root->dirfd;
}

static void watch(struct cgroup_tree *t, struct cg_node *n, int dirfd)
{
	char proc[64];
	size_t b;

	if (t->ifd < 0)
		return;
	/* The directory's descriptor names it even after a rename. The
	 * thread's own table: /proc/self is the process's, which is another
	 * table when the tree is used from a thread that unshared its own
	 * (fd_table.h), where the number names some other file, or none. */
	snprintf(proc, sizeof(proc), "/proc/thread-self/fd/%d", dirfd);
	n->wd = inotify_add_watch(t->ifd, proc, WATCH_MASK);
	if (n->wd < 0) {
		if (errno != ENOENT)	/* ENOSPC: out of watches */
			stop_watching(t);
		return;
	}
	b = bucket(t, (uint64_t)n->wd);
	n->wnext = t->by_wd[b];
	t->by_wd[b] = n;
}

/* A slot for a new node: a free one, else the next. */
static int slot_take(struct cgroup_tree *t, uint32_t *ret)
{
	if (t->nfree) {
		*ret = t->free_slots[--t->nfree];
		return 0;
	}
	if (t->nslots == t->slots_cap) {
		uint32_t cap = t->slots_cap ? t->slots_cap * 2 : 256;
		uint32_t *f = realloc(t->free_slots, cap * sizeof(*f));
		uint32_t *r;

		if (!f)
			return -ENOMEM;
		t->free_slots = f;
		r = realloc(t->removed, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		t->removed = r;
		t->slots_cap = cap;
	}
	*ret = t->nslots++;
	return 0;
}

static int node_new(struct cgroup_tree *t, struct cg_node *parent, const char *name,
		    char *path, struct cg_node **ret)
{
	struct cg_node *n;
	struct stat st;
	size_t b;
	int fd, r;

	fd = parent ? cgroup_tree_openat(t, parent, name, O_RDONLY | O_DIRECTORY) :
		      openat(AT_FDCWD, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return parent ? fd : -errno;
	if (fstat(fd, &st) < 0 || !(n = calloc(1, sizeof(*n)))) {
		r = errno ? -errno : -ENOMEM;
		close(fd);
		return r;
	}
	if ((t->nnodes + 1 > t->nbuckets && (r = grow(t)) < 0) ||
	    (r = slot_take(t, &n->slot)) < 0) {
		close(fd);
		free(n);
		return r;
	}
	n->id = st.st_ino;
	n->dirfd = fd;
	n->path = path;
	n->parent = parent;
	n->depth = parent ? parent->depth + 1 : 0;
	n->wd = -1;
	n->dirty = true;	/* its children are not known yet */
	/* Watch before listing: a child made in between is then not missed. */
	watch(t, n, fd);
	/* Held while the budget allows (the root always): the rest are opened
	 * by path when needed. */
	if (parent && !fd_budget_take(t->dirs)) {
		close(fd);
		n->dirfd = -1;
	}
	b = bucket(t, n->id);
	n->hnext = t->by_id[b];
	t->by_id[b] = n;
	t->nnodes++;
	if (t->gen > 1)		/* those there at start are not news */
		t->stats.created++;
	*ret = n;
	return 0;
}

static void node_free(struct cgroup_tree *t, struct cg_node *n)
{
	if (n->wd >= 0) {
		unhash_wd(t, n);
		/* EINVAL when the kernel already dropped it with the directory. */
		inotify_rm_watch(t->ifd, n->wd);
	}
	if (n->dirfd >= 0) {
		close(n->dirfd);
		if (n != t->root)
			fd_budget_give(t->dirs);
	}
	free(n->path);
	free(n);
}

static int child_cmp(const void *a, const void *b)
{
	return strcmp(((const struct child *)a)->name, ((const struct child *)b)->name);
}

/* A directory's subdirectories into t->kids, sorted by name so that the
 * output has a stable order. How many, or -errno. */
static int list_dir(struct cgroup_tree *t, struct cg_node *n)
{
	struct dirent *de;
	size_t nk = 0;
	DIR *d;
	int fd;

	fd = cgroup_tree_openat(t, n, ".", O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
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
		if (nk == t->kids_cap) {
			size_t cap = t->kids_cap ? t->kids_cap * 2 : 64;
			struct child *k = realloc(t->kids, cap * sizeof(*k));
			if (!k)
				break;
			t->kids = k;
			t->kids_cap = cap;
		}
		if (!(t->kids[nk].name = strdup(de->d_name)))
			break;
		t->kids[nk++].ino = ino;
	}
	closedir(d);
	if (nk)		/* kids may still be NULL: qsort(NULL, 0) is undefined */
		qsort(t->kids, nk, sizeof(*t->kids), child_cmp);
	return (int)nk;
}

static char *join_path(const char *parent, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", strcmp(parent, "/") ? parent : "", name) < 0)
		return NULL;
	return p;
}

/* Lists n's directory again and rebuilds its list of children: known ones
 * keep their node (their path is updated after a rename), new ones are
 * opened. Children no longer listed are left unreached, and dropped. */
static void relist(struct cgroup_tree *t, struct cg_node *n)
{
	struct cg_node *head = NULL, **tail = &head;
	int nk = list_dir(t, n);

	t->stats.listed++;
	n->dirty = false;
	if (nk < 0) {
		if (nk != -ENOENT && nk != -ENODEV)
			t->stats.list_errors++;
		return;
	}
	for (int i = 0; i < nk; i++) {
		char *path = join_path(n->path, t->kids[i].name);
		struct cg_node *k = find_id(t, t->kids[i].ino);

		if (!path) {
			n->dirty = true;	/* try again next time */
		} else if (!k) {
			if (node_new(t, n, t->kids[i].name, path, &k) < 0) {
				free(path);	/* gone already, or no fd */
				k = NULL;
			}
		} else if (k->parent != n || strcmp(k->path, path)) {
			/* Renamed, or (a plain directory) moved here: its
			 * descendants' paths change too. A move leaves the old
			 * parent's list stale, so list everything next time. */
			if (k->parent != n)
				t->relist_all = true;
			k->parent = n;
			k->depth = n->depth + 1;
			free(k->path);
			k->path = path;
			k->dirty = true;
		} else {
			free(path);
		}
		free(t->kids[i].name);
		if (k) {
			*tail = k;
			tail = &k->next_sibling;
		}
	}
	*tail = NULL;
	n->first_child = head;
}

static int order_push(struct cgroup_tree *t, struct cg_node *n)
{
	if (t->norder == t->order_cap) {
		size_t cap = t->order_cap ? t->order_cap * 2 : 256;
		struct cg_node **o = realloc(t->order, cap * sizeof(*o));
		if (!o)
			return -ENOMEM;
		t->order = o;
		t->order_cap = cap;
	}
	t->order[t->norder++] = n;
	return 0;
}

/* Parents before children; recursion depth is the tree's depth. */
static void visit(struct cgroup_tree *t, struct cg_node *n)
{
	n->gen = t->gen;
	if (order_push(t, n) < 0)
		return;
	if (n->dirty || t->ifd < 0 || t->relist_all)
		relist(t, n);
	for (struct cg_node *k = n->first_child; k; k = k->next_sibling)
		if (k->parent == n && k->gen != t->gen)
			visit(t, k);
}

/* Reads what inotify queued: which directories gained or lost a child. */
static void drain_events(struct cgroup_tree *t)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (t->ifd >= 0) {
		ssize_t len = read(t->ifd, buf, sizeof(buf));

		if (len <= 0)
			return;	/* EAGAIN: nothing more */
		for (char *p = buf; p < buf + len;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			struct cg_node *n;

			if (ev->mask & IN_Q_OVERFLOW)
				t->relist_all = true;
			else if ((ev->mask & IN_ISDIR) && (n = find_wd(t, ev->wd)))
				n->dirty = true;
			p += sizeof(*ev) + ev->len;
		}
	}
}

static void drop_unreached(struct cgroup_tree *t)
{
	for (size_t b = 0; b < t->nbuckets; b++) {
		struct cg_node **pp = &t->by_id[b];
		while (*pp) {
			struct cg_node *n = *pp;
			if (n->gen != t->gen) {
				*pp = n->hnext;
				t->nnodes--;
				t->stats.removed++;
				/* Reported by this walk, given again from the
				 * next on. */
				t->removed[t->nremoved++] = n->slot;
				node_free(t, n);
			} else {
				pp = &n->hnext;
			}
		}
	}
}

int cgroup_tree_walk(struct cgroup_tree *t, struct cgroup_walk *ret)
{
	bool all;

	/* Last walk's removed slots are free from now on. */
	if (t->nremoved)
		memcpy(t->free_slots + t->nfree, t->removed, t->nremoved * sizeof(*t->removed));
	t->nfree += t->nremoved;
	t->nremoved = 0;
	t->gen++;
	t->norder = 0;
	drain_events(t);
	all = t->relist_all;
	visit(t, t->root);
	if (all)
		t->relist_all = false;
	drop_unreached(t);
	*ret = (struct cgroup_walk){
		.order = t->order, .n = t->norder,
		.removed = t->removed, .nremoved = t->nremoved,
	};
	return 0;
}

struct cg_node *cgroup_tree_find(const struct cgroup_tree *t, uint64_t id)
{
	return find_id(t, id);
}

uint32_t cgroup_tree_slots(const struct cgroup_tree *t)
{
	return t->nslots;
}

void cgroup_tree_vanished(struct cgroup_tree *t, struct cg_node *n)
{
	(void)t;
	if (n->parent)
		n->parent->dirty = true;
}

void cgroup_tree_stats(const struct cgroup_tree *t, struct cgroup_tree_stats *ret)
{
	*ret = t->stats;
}

int cgroup_tree_open(const char *root, struct fd_budget *dirs, struct cgroup_tree **ret)
{
	struct cgroup_tree *t = calloc(1, sizeof(*t));
	char *path = strdup("/");
	int r;

	if (!t || !path || (r = grow(t)) < 0) {
		free(t);
		free(path);
		return -ENOMEM;
	}
	t->dirs = dirs;
	t->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	t->stats.watching = t->ifd >= 0;
	r = node_new(t, NULL, root, path, &t->root);
	if (r < 0) {
		free(path);
		cgroup_tree_free(t);
		return r;
	}
	*ret = t;
	return 0;
}

void cgroup_tree_free(struct cgroup_tree *t)
{
	if (!t)
		return;
	for (size_t b = 0; b < t->nbuckets; b++)
		for (struct cg_node *n = t->by_id[b], *next; n; n = next) {
			next = n->hnext;
			node_free(t, n);
		}
	if (t->ifd >= 0)
		close(t->ifd);
	free(t->by_id);
	free(t->by_wd);
	free(t->order);
	free(t->kids);
	free(t->free_slots);
	free(t->removed);
	free(t);
}
