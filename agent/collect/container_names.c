// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroupfs/identity.h"
#include "cgroupfs/runtime_state.h"
#include "collect/container_names.h"
#include "lib/macros.h"
#include "lib/privileges.h"
#include "lib/fileio.h"
#include "lib/strbuf.h"

/* Where each format lives below the root of the host's filesystem. The
 * CRI plugin of containerd always uses the namespace "k8s.io"; CRI-O's
 * run root and Docker's data root are their defaults (overlay storage). */
static const char *const state_paths[RUNTIME_STATE_NR] = {
	[RUNTIME_STATE_CONTAINERD] = "run/containerd/io.containerd.runtime.v2.task/k8s.io/%s/config.json",
	[RUNTIME_STATE_CRIO] = "run/containers/storage/overlay-containers/%s/userdata/config.json",
	[RUNTIME_STATE_DOCKER] = "var/lib/docker/containers/%s/config.v2.json",
};

struct entry {
	char id[65];
	char pod_uid[65];		/* from the cgroup path: pods are found by it */
	uint64_t seen;			/* the update that last saw it */
	char *names;			/* CN_NR strings in a row; NULL: none known */
};

struct container_names_cache {
	char *rootfs;			/* without a trailing '/' ("" for "/") */
	struct entry *e;		/* sorted by id */
	size_t n, cap;
	size_t *pods;			/* indexes into e of named containers, by pod_uid */
	size_t npods;
	uint64_t updates;
	struct container_names_errors err;
	char last_path[PATH_MAX];
};

int container_names_new(const char *rootfs, struct container_names_cache **ret)
{
	struct container_names_cache *c;
	size_t len = strlen(rootfs);

	while (len > 0 && rootfs[len - 1] == '/')
		len--;
	if (len > PATH_MAX / 2)
		return -ENAMETOOLONG;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->rootfs = strndup(rootfs, len))) {
		free(c);
		return -ENOMEM;
	}
	c->err.last_path = c->last_path;
	*ret = c;
	return 0;
}

void container_names_free(struct container_names_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->e[i].names);
	free(c->e);
	free(c->pods);
	free(c->rootfs);
	free(c);
}

size_t container_names_count(const struct container_names_cache *c)
{
	return c->n;
}

void container_names_errors(const struct container_names_cache *c,
			    struct container_names_errors *ret)
{
	*ret = c->err;
}

/* The whole of a regular file, at most RUNTIME_STATE_MAX_BYTES. */
static int read_state(const char *path, char **ret, size_t *ret_len)
{
	int fd, raised, r = 0;

	/* The runtimes keep these below directories only root may enter. */
	raised = privileges_read_search(1);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		r = -errno;
	if (raised > 0)
		privileges_read_search(0);
	if (r < 0)
		return r;
	r = read_file_fd(fd, RUNTIME_STATE_MAX_BYTES, ret, ret_len);
	close(fd);
	/* Not a file at all, as for a FIFO: malformed, not an error of ours. */
	return r == -EISDIR ? -EINVAL : r;
}

static void count_error(struct container_names_cache *c, const char *path, int err)
{
	enum identity_error reason;

	if (err == -ENOENT || err == -ENOTDIR)
		reason = IDERR_MISSING;
	else if (err == -EINVAL)
		reason = IDERR_MALFORMED;
	else if (err == -EFBIG)
		reason = IDERR_TOO_LARGE;
	else
		reason = IDERR_UNREADABLE;
	c->err.count[reason]++;
	c->err.total++;
	c->err.last_reason = reason;
	c->err.last_err = err;
	snprintf(c->last_path, sizeof(c->last_path), "%s", path);
}

/* The names strings of a container: CN_NR strings in a row. */
static char *pack(const struct container_names *n)
{
	const char *f[CN_NR] = {
		[CN_NAMESPACE] = n->namespace_, [CN_POD] = n->pod,
		[CN_CONTAINER] = n->container, [CN_IMAGE] = n->image, [CN_NAME] = n->name,
	};
	size_t len = 0, off = 0;
	char *p;

	for (int i = 0; i < CN_NR; i++)
		len += strlen(f[i]) + 1;
	p = malloc(len);
	if (!p)
		return NULL;
	for (int i = 0; i < CN_NR; i++) {
		size_t k = strlen(f[i]) + 1;

		memcpy(p + off, f[i], k);
		off += k;
	}
	return p;
}

/* Reads the names of container id of the given runtime ("" for the
 * kubelet's cgroupfs driver, which does not say: every format is tried).
 * NULL when there are none: an error (counted) or a runtime whose state
 * names nothing (Podman keeps names in its database). */
static char *lookup(struct container_names_cache *c, const char *id, const char *runtime)
{
	enum runtime_state_format tried[RUNTIME_STATE_NR];
	size_t ntried = 0;
	char path[PATH_MAX] = "";
	int err = -ENOENT;

	if (!strcmp(runtime, "containerd")) {
		tried[ntried++] = RUNTIME_STATE_CONTAINERD;
	} else if (!strcmp(runtime, "cri-o")) {
		tried[ntried++] = RUNTIME_STATE_CRIO;
	} else if (!strcmp(runtime, "docker")) {
		tried[ntried++] = RUNTIME_STATE_DOCKER;
	} else if (!runtime[0]) {
		for (int f = 0; f < RUNTIME_STATE_NR; f++)
			tried[ntried++] = (enum runtime_state_format)f;
	} else {
		return NULL;
	}
	for (size_t i = 0; i < ntried; i++) {
		struct container_names n;
		char rel[256], *buf;
		size_t len;
		int r;

		snprintf(rel, sizeof(rel), state_paths[tried[i]], id);
		snprintf(path, sizeof(path), "%s/%s", c->rootfs, rel);
		r = read_state(path, &buf, &len);
		if (r == -ENOENT && i + 1 < ntried)
			continue;	/* another runtime's, perhaps */
		if (r == 0) {
			r = runtime_state_parse(tried[i], buf, len, &n);
			free(buf);
		}
		if (r == 0)
			return pack(&n);
		err = r;
		break;
	}
	if (err != -ENOMEM)
		count_error(c, path, err);
	return NULL;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->id, ((const struct entry *)b)->id);
}

/* In the first n entries, which are sorted. */
static struct entry *find(const struct container_names_cache *c, size_t n, const char *id)
{
	struct entry key;

	snprintf(key.id, sizeof(key.id), "%s", id);
	return n ? bsearch(&key, c->e, n, sizeof(*c->e), cmp_entry) : NULL;
}

/* The container's own cgroup, not one it made below it: its name holds the
 * id (cri-containerd-<id>.scope, crio-<id>, <id>). */
static bool own_cgroup(const char *path, const char *id)
{
	const char *base = strrchr(path, '/');

	return base && strstr(base, id);
}

/* A cgroup whose name is too short to hold a pod UID (32) or a container id
 * (64) names neither: most of a host's cgroups, not parsed each cycle. */
static bool may_name(const char *path)
{
	const char *base = strrchr(path, '/');

	return base && strlen(base + 1) >= 32;
}

static const char *field(const char *names, enum cgroup_name f)
{
	for (int i = 0; i < (int)f; i++)
		names += strlen(names) + 1;
	return names;
}

/* qsort_r's context: the entries the indexes point into. */
static int cmp_pod(const void *a, const void *b, void *ctx)
{
	const struct entry *e = ctx;

	return strcmp(e[*(const size_t *)a].pod_uid, e[*(const size_t *)b].pod_uid);
}

/* The containers that can name their pod's cgroup, by pod UID. */
static void index_pods(struct container_names_cache *c)
{
	size_t *p = realloc(c->pods, (c->n ? c->n : 1) * sizeof(*p));

	c->npods = 0;
	if (!p)
		return;		/* pods' cgroups go unnamed this cycle */
	c->pods = p;
	for (size_t i = 0; i < c->n; i++)
		if (c->e[i].names && c->e[i].pod_uid[0] && field(c->e[i].names, CN_POD)[0])
			c->pods[c->npods++] = i;
	qsort_r(c->pods, c->npods, sizeof(*c->pods), cmp_pod, c->e);
}

void container_names_update(struct container_names_cache *c, const struct snapshot *s)
{
	size_t old_n = c->n, w = 0;

	c->updates++;
	for (size_t i = 0; i < s->n; i++) {
		const char *path = sample_path(s, &s->cgroups[i]);
		struct cgroup_identity id;
		struct entry *e;

		if (!may_name(path) || cgroup_identity_parse(path, &id) < 0 ||
		    !id.container_id[0] || !own_cgroup(path, id.container_id))
			continue;
		e = find(c, old_n, id.container_id);
		if (e) {
			e->seen = c->updates;
			continue;
		}
		/* New ones go after the sorted part, sorted in below; two cgroups
		 * naming one id in a cycle (a new one) are looked up once. */
		for (size_t k = old_n; k < c->n && !e; k++)
			if (!strcmp(c->e[k].id, id.container_id))
				e = &c->e[k];
		if (e)
			continue;
		if (c->n == c->cap) {
			size_t ncap = c->cap ? c->cap * 2 : 64;
			struct entry *p = realloc(c->e, ncap * sizeof(*p));

			if (!p)
				break;	/* looked up at the next update */
			c->e = p;
			c->cap = ncap;
		}
		e = &c->e[c->n++];
		memset(e, 0, sizeof(*e));
		snprintf(e->id, sizeof(e->id), "%s", id.container_id);
		snprintf(e->pod_uid, sizeof(e->pod_uid), "%s", id.pod_uid);
		e->seen = c->updates;
		e->names = lookup(c, id.container_id, id.runtime);
	}
	/* Forget the containers whose cgroups are gone. */
	for (size_t i = 0; i < c->n; i++) {
		if (c->e[i].seen != c->updates) {
			free(c->e[i].names);
			continue;
		}
		c->e[w++] = c->e[i];
	}
	c->n = w;
	if (c->n > 1)
		qsort(c->e, c->n, sizeof(*c->e), cmp_entry);
	index_pods(c);
}

/* A container of the pod, with its names, for the pod's own cgroup. */
static const struct entry *pod_entry(const struct container_names_cache *c, const char *uid)
{
	size_t lo = 0, hi = c->npods;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct entry *e = &c->e[c->pods[mid]];
		int r = strcmp(e->pod_uid, uid);

		if (r == 0)
			return e;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Offsets of strings appended to sb; 0 for "" (names_strings starts with
 * a NUL). */
static uint32_t put(struct strbuf *sb, const char *str)
{
	uint32_t off = (uint32_t)sb->len;

	if (!str[0])
		return 0;
	sb_append(sb, str, strlen(str) + 1);
	return off;
}

int container_names_attach(const struct container_names_cache *c, struct snapshot *s)
{
	uint32_t (*names)[CN_NR] = calloc(s->n ? s->n : 1, sizeof(*names));
	struct strbuf sb = {0};

	memcpy(s->identity_errors, c->err.count, sizeof(s->identity_errors));
	sb_putc(&sb, '\0');
	for (size_t i = 0; names && i < s->n; i++) {
		const char *path = sample_path(s, &s->cgroups[i]);
		struct cgroup_identity id;
		const struct entry *e = NULL;
		int nf = CN_NR;

		if (!may_name(path) || cgroup_identity_parse(path, &id) < 0)
			continue;
		if (id.container_id[0] && own_cgroup(path, id.container_id)) {
			e = find(c, c->n, id.container_id);
		} else if (id.pod_uid[0] && !id.container_id[0] && !id.runtime[0]) {
			/* The pod's cgroup: its namespace and name alone, as
			 * the kubelet gives them (pods are few: a scan). */
			e = pod_entry(c, id.pod_uid);
			nf = CN_POD + 1;
		}
		if (!e || !e->names)
			continue;
		for (int f = 0; f < nf; f++)
			names[i][f] = put(&sb, field(e->names, (enum cgroup_name)f));
	}
	if (!names || sb_error(&sb) < 0) {
		free(names);
		sb_free(&sb);
		return -ENOMEM;
	}
	free(s->names);
	free(s->names_strings);
	s->names = names;
	s->names_strings = sb_steal(&sb, NULL);
	return 0;
}
