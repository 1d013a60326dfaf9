// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_tree.h"
#include "collector.h"

struct collector {
	char *root;
	struct cgroup_tree *tree;
	size_t open_fds, fd_budget;
	struct cg_node **order;		/* this cycle's walk, tree order */
	size_t norder;
	char *buf;			/* scratch for file contents */
	size_t buf_cap;
	struct snapshot *prev;
	struct collector_stats stats;
	struct {
		char *path;
		int err;
	} last_error[F_NR];
};

static void close_fd(struct collector *c, int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		c->open_fds--;
		*fd = -1;
	}
}

/* The tree drops a node: its descriptors go with it. */
static void node_removed(void *ctx, struct cg_node *n)
{
	struct collector *c = ctx;

	for (int f = 0; f < F_NR; f++)
		close_fd(c, &n->fds[f]);
	close_fd(c, &n->ctl_fd);
}

static bool take_fd(void *ctx)
{
	struct collector *c = ctx;

	if (c->open_fds >= c->fd_budget)
		return false;
	c->open_fds++;
	return true;
}

static void give_fd(void *ctx)
{
	((struct collector *)ctx)->open_fds--;
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

/* Past the descriptor budget a file is opened for each read instead of
 * held: slower, but the HTTP server keeps descriptors to accept with. */
#define FD_UNHELD (-2)
#define FD_RESERVE 512

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
		bool want = !ctl || n->ctl_fd == -1 ||
			    controller_listed(n->ctl, n->ctl_len, ctl);

		if (!want) {
			close_fd(c, &n->fds[f]);
			n->fds[f] = -1;
			continue;
		}
		if (n->fds[f] >= 0 || n->fds[f] == FD_UNHELD)
			continue;
		if (c->open_fds >= c->fd_budget) {
			int fd = cgroup_tree_openat(c->tree, n, cg_files[f].name, O_RDONLY);
			if (fd >= 0) {
				close(fd);
				n->fds[f] = FD_UNHELD;
			}
			continue;
		}
		n->fds[f] = cgroup_tree_openat(c->tree, n, cg_files[f].name, O_RDONLY);
		if (n->fds[f] >= 0)
			c->open_fds++;
		else if (n->fds[f] == -EMFILE || n->fds[f] == -ENFILE || n->fds[f] == -ENOMEM)
			note_error(c, (enum cg_file)f, n, n->fds[f]);
		if (n->fds[f] < 0)
			n->fds[f] = -1;
		/* ENOENT and the like: the file is not there, which is normal. */
	}
}

/* Re-reads cgroup.controllers; returns false if the cgroup vanished. */
static bool node_refresh_controllers(struct collector *c, struct cg_node *n)
{
	ssize_t len;
	int fd = n->ctl_fd;

	if (fd == -1)
		return true;
	if (fd == FD_UNHELD && (fd = cgroup_tree_openat(c->tree, n, "cgroup.controllers", O_RDONLY)) < 0)
		return !vanished_errno(-fd);
	len = read_file(c, fd);
	if (n->ctl_fd == FD_UNHELD)
		close(fd);
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

/* The tree found a new node: open the files it has. */
static void node_added(void *ctx, struct cg_node *n)
{
	struct collector *c = ctx;

	n->ctl_fd = -1;
	if (c->open_fds < c->fd_budget) {
		n->ctl_fd = cgroup_tree_openat(c->tree, n, "cgroup.controllers", O_RDONLY);
		if (n->ctl_fd >= 0)
			c->open_fds++;
		else
			n->ctl_fd = -1;
	} else {
		int fd = cgroup_tree_openat(c->tree, n, "cgroup.controllers", O_RDONLY);
		if (fd >= 0) {
			close(fd);
			n->ctl_fd = FD_UNHELD;
		}
	}
	node_refresh_controllers(c, n);
	if (n->ctl_fd == -1 || n->ctl_len == 0)
		node_probe(c, n);	/* no controllers: still the core files */
}

static const struct cgroup_tree_ops tree_ops = { node_added, node_removed, take_fd, give_fd };

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
		int r, fd;

		if (n->vanished || n->fds[f] == -1)
			continue;
		fd = n->fds[f];
		if (fd == FD_UNHELD)
			fd = cgroup_tree_openat(c->tree, n, cg_files[f].name, O_RDONLY);
		len = fd >= 0 ? read_file(c, fd) : fd;
		if (n->fds[f] == FD_UNHELD && fd >= 0)
			close(fd);
		if (len < 0) {
			if (vanished_errno((int)-len)) {
				n->vanished = true;
				cgroup_tree_vanished(c->tree, n);
			}
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
	/* Each rate over the time between the two reads of its own file's
	 * pass: a pass over thousands of cgroups takes a while, and the
	 * snapshot's stamp comes after all of them. */
	double dt = (double)(s->pass_mono_ns[F_CPU_STAT] - prev->pass_mono_ns[F_CPU_STAT]) / 1e9;
	double dt_io = (double)(s->pass_mono_ns[F_IO_STAT] - prev->pass_mono_ns[F_IO_STAT]) / 1e9;

	if (dt <= 0 || dt_io <= 0)
		return;
	cur->has_rates = 1;
	if (cg_has(&cur->v, F_CPU_STAT) && cg_has(&old->v, F_CPU_STAT) &&
	    cur->v.cpu[CPU_USAGE] >= old->v.cpu[CPU_USAGE] &&
	    old->v.cpu[CPU_USAGE] != CG_UNSET)
		cur->cpu_cores = (double)(cur->v.cpu[CPU_USAGE] - old->v.cpu[CPU_USAGE]) / 1e6 / dt;
	if (cg_has(&cur->v, F_CPU_STAT) && cg_has(&old->v, F_CPU_STAT) &&
	    cur->v.cpu[CPU_THROTTLED] != CG_UNSET && old->v.cpu[CPU_THROTTLED] != CG_UNSET &&
	    cur->v.cpu[CPU_THROTTLED] > old->v.cpu[CPU_THROTTLED]) {
		cur->throttled_delta = cur->v.cpu[CPU_THROTTLED] - old->v.cpu[CPU_THROTTLED];
		if (cur->v.cpu[CPU_THROTTLED_USEC] >= old->v.cpu[CPU_THROTTLED_USEC])
			cur->throttled_usec_delta = cur->v.cpu[CPU_THROTTLED_USEC] -
						    old->v.cpu[CPU_THROTTLED_USEC];
	}
	if (cg_has(&cur->v, F_MEMORY_EVENTS_LOCAL) && cg_has(&old->v, F_MEMORY_EVENTS_LOCAL) &&
	    cur->v.mem_events_local[MEMEV_OOM_KILL] != CG_UNSET &&
	    old->v.mem_events_local[MEMEV_OOM_KILL] != CG_UNSET &&
	    cur->v.mem_events_local[MEMEV_OOM_KILL] > old->v.mem_events_local[MEMEV_OOM_KILL])
		cur->oom_kill_delta = cur->v.mem_events_local[MEMEV_OOM_KILL] -
				      old->v.mem_events_local[MEMEV_OOM_KILL];
	if (cg_has(&cur->v, F_IO_STAT) && cg_has(&old->v, F_IO_STAT)) {
		size_t rb = offsetof(struct io_dev_stat, rbytes);
		size_t wb = offsetof(struct io_dev_stat, wbytes);
		uint64_t r0 = io_sum(prev, &old->v, rb), r1 = io_sum(s, &cur->v, rb);
		uint64_t w0 = io_sum(prev, &old->v, wb), w1 = io_sum(s, &cur->v, wb);
		cur->io_read_bps = r1 >= r0 ? (double)(r1 - r0) / dt_io : 0;
		cur->io_write_bps = w1 >= w0 ? (double)(w1 - w0) / dt_io : 0;
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

		if (n->vanished)
			continue;	/* its parent is listed again next cycle */
		samples[k] = samples[i];
		samples[k].id = n->id;
		samples[k].parent_id = n->parent ? n->parent->id : 0;
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
	struct cgroup_tree_stats ts;
	struct snapshot *s;
	int r;

	r = cgroup_tree_walk(c->tree, &c->order, &c->norder);
	if (r < 0)
		return r;

	s = snapshot_new();
	samples = calloc(c->norder ? c->norder : 1, sizeof(*samples));
	if (!s || !samples || !(s->root = strdup(c->root))) {
		free(samples);
		snapshot_unref(s);
		return -ENOMEM;
	}
	for (size_t i = 0; i < c->norder; i++) {
		c->order[i]->vanished = false;
		if (!node_refresh_controllers(c, c->order[i])) {
			c->order[i]->vanished = true;
			cgroup_tree_vanished(c->tree, c->order[i]);
		}
	}
	/* One pass per file type across all cgroups: the kernel's cost of a
	 * file (memory.stat flushes statistics) is paid in one stretch. */
	for (int f = 0; f < F_NR; f++) {
		s->pass_mono_ns[f] = now_ns(CLOCK_MONOTONIC);
		read_pass(c, (enum cg_file)f, samples, &s->io);
	}

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
	cgroup_tree_stats(c->tree, &ts);
	c->stats.created = ts.created;
	c->stats.removed = ts.removed;
	c->stats.walk_errors = ts.list_errors;
	c->stats.dirs_listed = ts.listed;
	c->stats.watching = ts.watching;
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
	struct rlimit rl;
	int r;

	if (!c)
		return -ENOMEM;
	c->root = strdup(root);
	c->fd_budget = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > 2 * FD_RESERVE ?
		       rl.rlim_cur - FD_RESERVE : 512;
	c->buf_cap = 64 * 1024;
	c->buf = malloc(c->buf_cap);
	if (!c->root || !c->buf) {
		r = -ENOMEM;
		goto fail;
	}
	r = cgroup_tree_open(root, &tree_ops, c, &c->tree);
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
	cgroup_tree_free(c->tree);
	for (int f = 0; f < F_NR; f++)
		free(c->last_error[f].path);
	snapshot_unref(c->prev);
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
