// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroupfs/mount.h"
#include "events/cgroup_names.h"

#define WALK_MIN_MS 1000	/* a miss walks the tree at most this often */
#define MAX_DEPTH 64

struct name {
	uint64_t id;
	uint64_t gen;		/* the walk that last found it, or during which it was learned */
	char *path;		/* NULL: a walk did not find it (known unknown) */
	struct name *next;
};

struct cgroup_names {
	char mount[PATH_MAX];
	struct name **buckets;
	size_t nbuckets, count;
	uint64_t gen;		/* walks made */
	uint64_t last_walk_ms;
	bool walked;
};

static size_t bucket_of(const struct cgroup_names *n, uint64_t id)
{
	return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 32) & (n->nbuckets - 1);
}

static struct name *find(struct cgroup_names *n, uint64_t id)
{
	for (struct name *e = n->buckets[bucket_of(n, id)]; e; e = e->next)
		if (e->id == id)
			return e;
	return NULL;
}

static void grow(struct cgroup_names *n)
{
	size_t nb = n->nbuckets * 2;
	struct name **b = calloc(nb, sizeof(*b));

	if (!b)
		return;		/* longer chains, still correct */
	for (size_t i = 0; i < n->nbuckets; i++)
		for (struct name *e = n->buckets[i], *next; e; e = next) {
			size_t k = (size_t)((e->id * 0x9E3779B97F4A7C15ull) >> 32) & (nb - 1);

			next = e->next;
			e->next = b[k];
			b[k] = e;
		}
	free(n->buckets);
	n->buckets = b;
	n->nbuckets = nb;
}

/* Sets id's path (NULL: unknown), keeping the entry for the current walk. */
static void put(struct cgroup_names *n, uint64_t id, const char *path)
{
	struct name *e = find(n, id);
	char *copy = NULL;

	if (path && !(copy = strdup(path)))
		return;
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e) {
			free(copy);
			return;
		}
		e->id = id;
		e->next = n->buckets[bucket_of(n, id)];
		n->buckets[bucket_of(n, id)] = e;
		if (++n->count > n->nbuckets)
			grow(n);
	}
	free(e->path);
	e->path = copy;
	e->gen = n->gen;
}

void cgroup_names_learn(struct cgroup_names *n, uint64_t id, const char *path)
{
	if (id && path && path[0] == '/')
		put(n, id, path);
}

void cgroup_names_forget(struct cgroup_names *n, uint64_t id)
{
	for (struct name **pp = &n->buckets[bucket_of(n, id)]; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id) {
			struct name *e = *pp;

			*pp = e->next;
			free(e->path);
			free(e);
			n->count--;
			return;
		}
}

/* Learns dir (fd, at rel) and everything below it. d_ino of a cgroupfs
 * entry is the directory's inode: the cgroup id, without a stat. */
static void walk_dir(struct cgroup_names *n, int fd, char *rel, size_t len, int depth)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;

	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		size_t nl;
		int sub;

		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		nl = strlen(de->d_name);
		if (len + 1 + nl >= PATH_MAX)
			continue;
		rel[len] = '/';
		memcpy(rel + len + 1, de->d_name, nl + 1);
		put(n, de->d_ino, rel);
		if (depth < MAX_DEPTH &&
		    (sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
			walk_dir(n, sub, rel, len + 1 + nl, depth + 1);
		rel[len] = 0;
	}
	closedir(d);
}

static void walk(struct cgroup_names *n, uint64_t now_ms)
{
	char rel[PATH_MAX] = "";
	struct stat st;
	int fd;

	n->gen++;
	n->last_walk_ms = now_ms;
	n->walked = true;
	fd = open(n->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0)
		put(n, st.st_ino, "/");
	walk_dir(n, fd, rel, 0, 0);
	/* Entries neither found by this walk nor by the one before, nor
	 * learned since then, are of cgroups gone without a release record
	 * (one lost): they go. */
	for (size_t b = 0; b < n->nbuckets; b++)
		for (struct name **pp = &n->buckets[b]; *pp;) {
			struct name *e = *pp;

			if (e->gen + 1 < n->gen) {
				*pp = e->next;
				free(e->path);
				free(e);
				n->count--;
			} else {
				pp = &e->next;
			}
		}
}

const char *cgroup_names_get(struct cgroup_names *n, uint64_t id, uint64_t now_ms)
{
	struct name *e = find(n, id);

	if (e)
		return e->path;
	if (n->walked && now_ms - n->last_walk_ms < WALK_MIN_MS)
		return NULL;
	walk(n, now_ms);
	e = find(n, id);
	if (!e)
		put(n, id, NULL);	/* not asked about again until it ages out */
	return e ? e->path : NULL;
}

int cgroup_names_new(const char *mount, struct cgroup_names **ret)
{
	struct cgroup_names *n = calloc(1, sizeof(*n));
	int r;

	if (!n)
		return -ENOMEM;
	n->nbuckets = 1024;
	n->buckets = calloc(n->nbuckets, sizeof(*n->buckets));
	if (!n->buckets) {
		free(n);
		return -ENOMEM;
	}
	if (mount) {
		if (strlen(mount) >= sizeof(n->mount)) {
			cgroup_names_free(n);
			return -ENAMETOOLONG;
		}
		strcpy(n->mount, mount);
	} else if ((r = cgroup2_mount_find(n->mount, sizeof(n->mount))) < 0) {
		cgroup_names_free(n);
		return r;
	}
	walk(n, 0);
	n->walked = false;	/* the first miss may walk at once */
	*ret = n;
	return 0;
}

void cgroup_names_free(struct cgroup_names *n)
{
	if (!n)
		return;
	for (size_t b = 0; b < n->nbuckets; b++)
		for (struct name *e = n->buckets[b], *next; e; e = next) {
			next = e->next;
			free(e->path);
			free(e);
		}
	free(n->buckets);
	free(n);
}

uint64_t cgroup_names_walks(const struct cgroup_names *n)
{
	return n->gen;
}

size_t cgroup_names_count(const struct cgroup_names *n)
{
	return n->count;
}
