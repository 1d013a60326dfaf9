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

#include "collect/cgroup_iter.h"
#include "collect/cgroup_tree.h"
#include "collect/collector.h"
#include "collect/fd_budget.h"
#include "collect/rates.h"
#include "collect/fd_table.h"
#include "collect/iter_decode.h"
#include "lib/macros.h"
#include "lib/clock.h"

/* Descriptor tables: the collector's own (0), then, where RLIMIT_NOFILE is
 * too small to hold every file, tables of threads of their own (fd_table.h).
 * A node's files all live in one table, and are opened, read and closed only
 * on that table's thread. */
#define MAX_TABLES 16

struct table {
	struct fd_table *thread;	/* NULL for table 0 */
	/* Table 0's is shared with the tree, which holds directories on it. */
	struct fd_budget fds;
	int *closing;			/* of removed nodes, closed at the next run */
	size_t nclosing, closing_cap;
};

/* What the collector knows of one cgroup, kept by the tree's slot of its
 * node (cgroup_tree.h): the tree knows nothing of it. */
struct cg_state {
	int8_t table;			/* descriptor table of fds[], -1 for none yet */
	bool vanished;			/* gone while being read this cycle */
	/* This cycle's values of the iterator's files came from its record. */
	bool from_iter;
	bool ctl_known;			/* ctl says which controllers it has */
	uint32_t iter_unknown;		/* the iterator's files its record cannot give */
	uint8_t ctl;			/* its controllers: CGITER_CTL_* bits */
	int32_t prev_idx;		/* its index in the previous snapshot */
	int32_t walk_idx;		/* its index in this cycle's walk */
	uint32_t probe_gen;		/* c->probe_gen when its files were opened */
	int ctl_fd;			/* cgroup.controllers; -1 when not read */
	int fds[F_NR];			/* -1: the file is not there, or not held */
	struct cputime_prev cpu_prev;	/* cpu.stat from records: never backwards */
};

struct collector {
	char *root;
	uint32_t files;			/* to read: bits (1 << enum cg_file) */
	/* Some file read from its file needs its controller:
	 * cgroup.controllers says whether it is there (or the record). */
	bool need_controllers;
	/* The cgroup iterator (not ours), and the groups it may serve. */
	struct cgroup_iter *iter;
	uint32_t iter_groups;
	/* The files it serves this cycle: of iter_groups, those the kernel
	 * gave, and only while it works. Nodes hold descriptors on the others
	 * only; a change reopens them (probe_gen). */
	uint32_t iter_files;
	uint32_t probe_gen;
	uint64_t page_size;
	int iter_failures;			/* walks failed in a row */
	struct cgroup_sample *iter_samples;	/* this cycle's, for the records */
	struct value_arrays *iter_arr;
	struct cgroup_tree *tree;
	struct table tables[MAX_TABLES];
	int ntables;
	int on_table;			/* whose thread runs collector code now */
	size_t unclaimed;		/* nodes of this walk in no table yet */
	struct cg_node **order;		/* this cycle's walk, tree order */
	size_t norder;
	struct cg_state *st;		/* by slot */
	size_t st_cap;
	/* order[i]'s table, so that each table's pass skips the nodes of
	 * others without touching them (a cache miss each, 5 passes at
	 * 10,000 cgroups). */
	int8_t *tab;
	size_t tab_cap;
	size_t held, reopened;		/* files of this cycle's nodes */
	char *buf;			/* scratch for file contents */
	size_t buf_cap;
	struct snapshot *prev;
	struct collector_stats stats;
	struct {
		char *path;
		int err;
	} last_error[F_NR];
};

/* Past the budget of every table a file is opened for each read instead of
 * held: slower, but the HTTP server keeps descriptors to accept with. */
#define FD_UNHELD (-2)
#define FD_RESERVE 512
/* The most files one cgroup has: a table claims a node only with room for it. */
#define NODE_FILES_MAX (F_NR + 1)

static int closing_push(struct table *tb, int fd)
{
	if (tb->nclosing == tb->closing_cap) {
		size_t cap = tb->closing_cap ? tb->closing_cap * 2 : 64;
		int *p = realloc(tb->closing, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		tb->closing = p;
		tb->closing_cap = cap;
	}
	tb->closing[tb->nclosing++] = fd;
	return 0;
}

/* Closes a node's descriptor on its own table: now, when this is that
 * table's thread, else at the table's next run. */
static void release_fd(struct collector *c, const struct cg_state *cs, int *fd)
{
	struct table *tb;

	if (*fd < 0) {
		*fd = -1;
		return;
	}
	tb = &c->tables[cs->table];
	if (cs->table == c->on_table) {
		close(*fd);
		fd_budget_give(&tb->fds);
	} else if (closing_push(tb, *fd) == 0) {
		fd_budget_give(&tb->fds);	/* counted in nclosing until then */
	}
	/* else left open, and held, until the table ends, rather than closed
	 * on a table where the number means another file. */
	*fd = -1;
}

static void state_reset(struct cg_state *cs)
{
	*cs = (struct cg_state){ .table = -1, .prev_idx = -1, .walk_idx = -1, .ctl_fd = -1 };
	for (int f = 0; f < F_NR; f++)
		cs->fds[f] = -1;
}

/* A node the tree dropped: its descriptors go with it, and its slot is
 * ready for a node of a later walk. */
static void state_removed(struct collector *c, struct cg_state *cs)
{
	if (cs->table >= 0) {
		for (int f = 0; f < F_NR; f++)
			release_fd(c, cs, &cs->fds[f]);
		release_fd(c, cs, &cs->ctl_fd);
	}
	state_reset(cs);
}

/* Room for every slot of the tree, the new ones as new nodes. */
static int states_grow(struct collector *c, size_t nslots)
{
	struct cg_state *p;
	size_t cap;

	if (nslots <= c->st_cap)
		return 0;
	cap = c->st_cap ? c->st_cap : 256;
	while (cap < nslots)
		cap *= 2;
	p = realloc(c->st, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	for (size_t i = c->st_cap; i < cap; i++)
		state_reset(&p[i]);
	c->st = p;
	c->st_cap = cap;
	return 0;
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

/* Opens a file of a node on this thread's table: other tables keep only the
 * root's directory descriptor. -errno. */
static int open_file(struct collector *c, const struct cg_node *n, const char *name)
{
	if (c->on_table == 0)
		return cgroup_tree_openat(c->tree, n, name, O_RDONLY);
	return cgroup_tree_open_by_path(c->tree, n, name, O_RDONLY);
}

/* Holds a file of a node while its table has room, else notes it as one to
 * open for each read. Returns the descriptor, FD_UNHELD, or -1 when the
 * file cannot be opened (-errno in *err). */
static int hold_file(struct collector *c, const struct cg_node *n, const char *name, int *err)
{
	struct table *tb = &c->tables[c->on_table];
	int fd = open_file(c, n, name);

	*err = fd < 0 ? fd : 0;
	if (fd < 0)
		return -1;
	if (!fd_budget_take(&tb->fds)) {
		close(fd);
		return FD_UNHELD;
	}
	return fd;
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

/* Reads a node's file whether held or not; its length or -errno. */
static ssize_t read_node_file(struct collector *c, const struct cg_node *n, int held,
			      const char *name)
{
	ssize_t len;
	int fd = held;

	if (held == FD_UNHELD && (fd = open_file(c, n, name)) < 0)
		return fd;
	len = read_file(c, fd);
	if (held == FD_UNHELD)
		close(fd);
	return len;
}

/* The controllers of cg_files[] as CGITER_CTL_* bits, which is also how
 * the iterator's records say them. */
static const char *const ctl_names[] = { "cpu", "memory", "io", "pids" };

static uint8_t ctl_bit(const char *name)
{
	for (unsigned i = 0; i < ARRAY_SIZE(ctl_names); i++)
		if (!strcmp(ctl_names[i], name))
			return (uint8_t)(1u << i);
	return 0;
}

/* The CGITER_CTL_* bits of a cgroup.controllers line ("cpu io memory"). */
static uint8_t ctl_parse(const char *list, size_t len)
{
	const char *p = list, *end = list + len;
	uint8_t m = 0;

	while (p < end) {
		const char *e = p;

		while (e < end && *e != ' ' && *e != '\n')
			e++;
		for (unsigned i = 0; i < ARRAY_SIZE(ctl_names); i++)
			if ((size_t)(e - p) == strlen(ctl_names[i]) &&
			    !memcmp(p, ctl_names[i], (size_t)(e - p)))
				m |= (uint8_t)(1u << i);
		p = e + 1;
	}
	return m;
}

/* The files a node holds a descriptor on: those not from the iterator. */
static uint32_t held_files(const struct collector *c)
{
	return c->files & ~c->iter_files;
}

/* Opens the files its controllers say exist and closes those that no
 * longer do, or are served by the iterator now. Without a word on its
 * controllers (a bare capture, a node with no record) tries them all. */
static void node_probe(struct collector *c, const struct cg_node *n, struct cg_state *cs)
{
	uint32_t held = held_files(c);

	cs->probe_gen = c->probe_gen;
	for (int f = 0; f < F_NR; f++) {
		const char *ctl = cg_files[f].controller;
		bool want = ((held >> f) & 1) &&
			    (!ctl || !cs->ctl_known || (cs->ctl & ctl_bit(ctl)));
		int err;

		if (!want) {
			release_fd(c, cs, &cs->fds[f]);
			continue;
		}
		if (cs->fds[f] != -1)
			continue;
		cs->fds[f] = hold_file(c, n, cg_files[f].name, &err);
		/* ENOENT and the like: the file is not there, which is normal. */
		if (err == -EMFILE || err == -ENFILE || err == -ENOMEM)
			note_error(c, (enum cg_file)f, n, err);
	}
}

/* Learns the node's controllers, from its record or by re-reading
 * cgroup.controllers, and reopens its files when they changed or the files
 * to hold did; returns false if the cgroup vanished. */
static bool node_refresh_controllers(struct collector *c, const struct cg_node *n,
				     struct cg_state *cs)
{
	bool known = cs->ctl_known;
	uint8_t ctl = cs->ctl;
	int err;

	if (cs->from_iter) {
		/* The record said it (cs->ctl); cgroup.controllers is not read. */
		release_fd(c, cs, &cs->ctl_fd);
		known = true;
	} else if (c->need_controllers) {
		ssize_t len;

		if (cs->ctl_fd == -1)
			cs->ctl_fd = hold_file(c, n, "cgroup.controllers", &err);
		if (cs->ctl_fd == -1) {
			known = false;	/* a bare capture: try every file */
		} else {
			len = read_node_file(c, n, cs->ctl_fd, "cgroup.controllers");
			if (len < 0)
				return !vanished_errno((int)-len);
			ctl = ctl_parse(c->buf, (size_t)len);
			known = true;
		}
	}
	if (known != cs->ctl_known || ctl != cs->ctl || cs->probe_gen != c->probe_gen ||
	    cs->table == -1) {
		cs->ctl_known = known;
		cs->ctl = ctl;
		node_probe(c, n, cs);
	}
	return true;
}

/* This thread's table takes a new node: opens the files it has. Returns
 * false if the cgroup vanished. */
static bool node_claim(struct collector *c, const struct cg_node *n, struct cg_state *cs)
{
	cs->table = (int8_t)c->on_table;
	c->unclaimed--;
	cs->probe_gen = c->probe_gen - 1;	/* not probed yet */
	return node_refresh_controllers(c, n, cs);
}

/* What the self-metrics say of descriptors: files held, files opened for
 * each read. Counted as each node is read, while it is in the cache. */
static void count_node_files(struct collector *c, const struct cg_state *cs)
{
	c->held += cs->ctl_fd >= 0;
	c->reopened += cs->ctl_fd == FD_UNHELD;
	for (int f = 0; f < F_NR; f++) {
		c->held += cs->fds[f] >= 0;
		c->reopened += cs->fds[f] == FD_UNHELD;
	}
}

/* One pass over a table's nodes, run on the table's thread. */
struct pass {
	struct collector *c;
	int table;
	bool claim_all;			/* the last resort: take every node left */
	struct cgroup_sample *samples;
	struct value_arrays *arr;
};

static void read_node(struct collector *c, struct cg_node *n, struct cg_state *cs,
		      struct cgroup_sample *sample, struct value_arrays *arr)
{
	/* The iterator's files of a node it gave no record of this cycle
	 * (made or removed since its walk, or past the map's size): opened
	 * for this read, as they are not held. */
	uint32_t unheld = cs->from_iter ? cs->iter_unknown : c->iter_files;

	for (int f = 0; f < F_NR; f++) {
		int fd = cs->fds[f];
		ssize_t len;
		int r;

		if (fd == -1 && ((unheld >> f) & 1))
			fd = FD_UNHELD;
		if (fd == -1)
			continue;
		len = read_node_file(c, n, fd, cg_files[f].name);
		if (len < 0) {
			if (fd == FD_UNHELD && cs->fds[f] == -1 && len == -ENOENT)
				continue;	/* not there: its controller is off */
			if (vanished_errno((int)-len)) {
				cs->vanished = true;
				cgroup_tree_vanished(c->tree, n);
				return;
			}
			if (len != -EOPNOTSUPP)	/* PSI off for this cgroup */
				note_error(c, (enum cg_file)f, n, (int)len);
			continue;
		}
		r = cg_files[f].store(c->buf, (size_t)len, &sample->v, arr);
		if (r < 0)
			note_error(c, (enum cg_file)f, n, r);
		else
			sample->v.present |= 1u << f;
	}
}

/* Closes what removed nodes left on this table, claims new nodes while the
 * table has room for them, and reads every file of each of its nodes:
 * cgroup.controllers first (which says what else there is), then the rest.
 *
 * All files of one cgroup at a time, not one file type across all cgroups:
 * make bench measures both orders, and by cgroup the kernel answers in 0.73x
 * to 0.89x of the time (the cgroup's own structures stay in cache). The
 * statistics flushes that could favour a pass per type (cpu.stat,
 * memory.stat) flush a whole subtree at once, and the tree is read parents
 * first either way. */
static void node_pass(struct pass *p)
{
	struct collector *c = p->c;
	struct table *tb = &c->tables[p->table];

	for (size_t i = 0; i < tb->nclosing; i++)
		close(tb->closing[i]);
	tb->nclosing = 0;
	for (size_t i = 0; i < c->norder; i++) {
		struct cg_node *n;
		struct cg_state *cs;
		bool alive;

		if (c->tab[i] == -1 &&
		    (p->claim_all || fd_budget_has_room(&tb->fds, NODE_FILES_MAX))) {
			n = c->order[i];
			cs = &c->st[n->slot];
			alive = node_claim(c, n, cs);
			c->tab[i] = cs->table;
		} else if (c->tab[i] == p->table) {
			n = c->order[i];
			cs = &c->st[n->slot];
			alive = node_refresh_controllers(c, n, cs);
		} else {
			continue;
		}
		cs->vanished = !alive;
		if (!alive)
			cgroup_tree_vanished(c->tree, n);
		else
			read_node(c, n, cs, &p->samples[i], p->arr);
		count_node_files(c, cs);
	}
}

static void pass_on_table(void *arg)
{
	struct pass *p = arg;

	p->c->on_table = p->table;
	node_pass(p);
	p->c->on_table = 0;
}

/* A new table for nodes that no table had room for; false when there can
 * be none (the most tables, or a kernel or sandbox refusing unshare). */
static bool add_table(struct collector *c)
{
	struct table *tb;
	int r;

	if (c->ntables == MAX_TABLES || c->tables[0].fds.limit < 4 * NODE_FILES_MAX)
		return false;
	tb = &c->tables[c->ntables];
	r = fd_table_new(cgroup_tree_root_fd(c->tree), &tb->thread);
	if (r < 0) {
		c->stats.fd_table_error = r;	/* the agent says it, once */
		return false;
	}
	/* 0-2 and the root's directory, and a few for libc. */
	fd_budget_init_nofile(&tb->fds, 16);
	c->ntables++;
	return true;
}

/* What the lower tables must keep free besides the files they take in,
 * before the last table is given back: so that a tree that shrank and grows
 * a little again does not start a table, and move its nodes back, every
 * few cycles. */
static size_t shrink_margin(const struct collector *c)
{
	size_t m = c->tables[0].fds.limit / 8;

	return m > 4 * NODE_FILES_MAX ? m : 4 * NODE_FILES_MAX;
}

/* Gives back the last table, thread and all, while the tables below have
 * room for its files: a tree that shrank (4,019 cgroups to 1,042) has no
 * use for it. Its nodes are claimed by the tables below in this cycle's
 * read, and their files opened there once; the table's end closes them
 * where they were. */
static void shrink_tables(struct collector *c)
{
	while (c->ntables > 1) {
		int last = c->ntables - 1;
		struct table *tb = &c->tables[last];
		size_t room = 0;

		for (int k = 0; k < last; k++) {
			size_t r = fd_budget_room(&c->tables[k].fds);

			/* A table claims a node only with room for the most
			 * files one can have. */
			room += r > NODE_FILES_MAX ? r - NODE_FILES_MAX : 0;
		}
		if (tb->fds.held + shrink_margin(c) > room)
			return;
		for (size_t i = 0; i < c->st_cap; i++) {
			struct cg_state *cs = &c->st[i];
			int32_t prev = cs->prev_idx;	/* rates go on */
			struct cputime_prev cpu = cs->cpu_prev;

			if (cs->table != last)
				continue;
			state_reset(cs);
			cs->prev_idx = prev;
			cs->cpu_prev = cpu;
		}
		fd_table_free(tb->thread);
		free(tb->closing);
		*tb = (struct table){ 0 };
		c->ntables--;
	}
}

/* Reads every node of this walk, on each table in turn (the collector's
 * state has one writer at a time): nodes that have a table on it, new ones
 * on the first table with room, on a new table when none has, or, past the
 * most tables, on table 0 to be opened for each read. */
static void read_all(struct collector *c, struct cgroup_sample *samples,
		     struct value_arrays *arr)
{
	struct pass p = { .c = c, .samples = samples, .arr = arr };

	c->unclaimed = 0;
	for (size_t i = 0; i < c->norder; i++) {
		c->tab[i] = c->st[c->order[i]->slot].table;
		c->unclaimed += c->tab[i] == -1;
	}
	c->held = c->reopened = 0;
	for (p.table = 0; p.table < c->ntables || (c->unclaimed && add_table(c)); p.table++) {
		if (p.table == 0)
			pass_on_table(&p);
		else
			fd_table_run(c->tables[p.table].thread, pass_on_table, &p);
	}
	if (c->unclaimed) {
		p.table = 0;
		p.claim_all = true;
		pass_on_table(&p);
	}
}

/* Nodes hold descriptors on the files the iterator does not serve; when
 * that changes, each node reopens its files at its next read. */
static void set_iter_files(struct collector *c, uint32_t files)
{
	if (files == c->iter_files)
		return;
	c->iter_files = files;
	c->probe_gen++;
	c->need_controllers = false;
	for (int f = 0; f < F_NR; f++)
		if (((held_files(c) >> f) & 1) && cg_files[f].controller)
			c->need_controllers = true;
}

/* A record of the iterator into its node's sample of this cycle. */
static void iter_each(void *ctx, const struct cgiter_rec *r)
{
	struct collector *c = ctx;
	struct cg_node *n = cgroup_tree_find(c->tree, r->id);
	struct cg_state *cs;
	int32_t i;

	/* Not in the tree: made since the tree's walk, read next cycle. */
	if (!n || n->slot >= c->st_cap)
		return;
	cs = &c->st[n->slot];
	i = cs->walk_idx;
	if (i < 0 || (size_t)i >= c->norder || c->order[i] != n || cs->from_iter)
		return;
	if (iter_decode(r, c->iter_files, c->page_size, &cs->cpu_prev, &c->iter_samples[i].v,
			c->iter_arr, &cs->iter_unknown) < 0)
		return;		/* no memory for its memory.stat row: from files */
	cs->from_iter = true;
	cs->ctl = (uint8_t)r->controllers;
}

/* Walks made in a row that failed before the iterator is given up. */
#define ITER_FAILURES_MAX 3

/* The iterator's walk and records, before the files are read: each node it
 * has a record of gets the values of the iterator's files from it; the
 * others (made or gone since, past the map's size, or all of them when the
 * walk failed) have those files read for this cycle. */
static void iter_pass(struct collector *c, struct cgroup_sample *samples,
		      struct value_arrays *arr)
{
	struct cgroup_iter_stats st;
	uint32_t missing = 0;
	int r;

	for (size_t i = 0; i < c->norder; i++) {
		struct cg_state *cs = &c->st[c->order[i]->slot];

		cs->walk_idx = (int32_t)i;
		cs->from_iter = false;
	}
	c->stats.iter_ran = false;
	if (!c->iter || !c->iter_groups) {
		set_iter_files(c, 0);
		return;
	}
	r = cgroup_iter_walk(c->iter);
	if (r == 0) {
		cgroup_iter_stats(c->iter, &st);
		set_iter_files(c, iter_cover_files(st.cover, c->files &
						   iter_groups_files(c->iter_groups)));
		c->iter_samples = samples;
		c->iter_arr = arr;
		r = cgroup_iter_read(c->iter, iter_each, c);
		c->stats.iter_dropped = st.dropped;
		c->stats.iter_visited = st.visited;
		c->stats.iter_capacity = st.capacity;
	}
	if (r < 0) {
		c->stats.iter_errors++;
		c->stats.iter_last_error = r;
		if (++c->iter_failures >= ITER_FAILURES_MAX) {
			c->iter_groups = 0;	/* for good: files, said by the agent */
			c->stats.iter_gave_up = true;
			set_iter_files(c, 0);
			return;
		}
	} else {
		c->iter_failures = 0;
		c->stats.iter_ran = true;
	}
	for (size_t i = 0; i < c->norder; i++)
		missing += !c->st[c->order[i]->slot].from_iter;
	c->stats.iter_missing = missing;
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
		if (!c->st[c->order[i]->slot].vanished)
			slen += strlen(c->order[i]->path) + 1;
	s->strings = malloc(slen ? slen : 1);
	if (!s->strings)
		return -ENOMEM;
	for (size_t i = 0; i < c->norder; i++) {
		struct cg_node *n = c->order[i];
		struct cg_state *cs = &c->st[n->slot];
		size_t pl;

		if (cs->vanished)
			continue;	/* its parent is listed again next cycle */
		if (k != i)
			samples[k] = samples[i];	/* a whole sample: not onto itself */
		samples[k].id = n->id;
		samples[k].parent_id = n->parent ? n->parent->id : 0;
		samples[k].depth = n->depth;
		samples[k].path_off = (uint32_t)o;
		pl = strlen(n->path) + 1;
		memcpy(s->strings + o, n->path, pl);
		o += pl;
		if (c->prev && cs->prev_idx >= 0)
			sample_rates(c->prev, s, &samples[k],
				      &c->prev->cgroups[cs->prev_idx]);
		cs->prev_idx = (int32_t)k;
		k++;
	}
	s->strings_len = o;
	s->cgroups = samples;
	s->n = k;
	return 0;
}

int collector_collect(struct collector *c, struct snapshot **ret)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	struct value_arrays arr;
	struct cgroup_sample *samples;
	struct cgroup_tree_stats ts;
	struct cgroup_walk w;
	struct snapshot *s;
	int r;

	r = cgroup_tree_walk(c->tree, &w);
	if (r < 0)
		return r;
	c->order = w.order;
	c->norder = w.n;
	/* Before anything else: a slot reported removed is given to a new
	 * node from the next walk on, and must then be found empty. */
	r = states_grow(c, cgroup_tree_slots(c->tree));
	for (size_t i = 0; i < w.nremoved; i++)
		if (w.removed[i] < c->st_cap)
			state_removed(c, &c->st[w.removed[i]]);
	if (r < 0)
		return r;
	if (w.nremoved)
		shrink_tables(c);
	if (c->norder > c->tab_cap) {
		int8_t *tab = realloc(c->tab, c->norder);

		if (!tab)
			return -ENOMEM;
		c->tab = tab;
		c->tab_cap = c->norder;
	}

	s = snapshot_new();
	samples = calloc(c->norder ? c->norder : 1, sizeof(*samples));
	if (!s || !samples || !(s->root = strdup(c->root))) {
		free(samples);
		snapshot_unref(s);
		return -ENOMEM;
	}
	s->read_mono_ns = clock_ns(CLOCK_MONOTONIC);
	arr = (struct value_arrays){ &s->io, &s->mem_stat };
	iter_pass(c, samples, &arr);
	read_all(c, samples, &arr);
	c->stats.iter_files = c->iter_files;
	c->stats.files = c->files;
	c->stats.files_held = c->held;
	c->stats.files_reopened = c->reopened;
	c->stats.fd_tables = (uint32_t)c->ntables;

	s->taken_mono_ns = clock_ns(CLOCK_MONOTONIC);
	s->taken_ms = clock_ms(CLOCK_REALTIME);
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
	observe_duration(&c->stats, (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9);
	s->stats = c->stats;
	snapshot_unref(c->prev);
	c->prev = snapshot_ref(s);
	*ret = s;
	return 0;
}

int collector_new_files(const char *root, uint32_t files, struct collector **ret)
{
	struct collector *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	c->root = strdup(root);
	c->files = files & CG_FILES_ALL;
	for (int f = 0; f < F_NR; f++)
		if (((c->files >> f) & 1) && cg_files[f].controller)
			c->need_controllers = true;
	c->ntables = 1;
	c->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	fd_budget_init_nofile(&c->tables[0].fds, FD_RESERVE);
	c->buf_cap = 64 * 1024;
	c->buf = malloc(c->buf_cap);
	if (!c->root || !c->buf) {
		r = -ENOMEM;
		goto fail;
	}
	r = cgroup_tree_open(root, &c->tables[0].fds, &c->tree);
	if (r < 0)
		goto fail;
	*ret = c;
	return 0;
fail:
	collector_free(c);
	return r;
}

int collector_new(const char *root, struct collector **ret)
{
	return collector_new_files(root, CG_FILES_ALL, ret);
}

void collector_free(struct collector *c)
{
	if (!c)
		return;
	/* Table 0's files here; the others' go with their tables. */
	for (size_t i = 0; i < c->st_cap; i++)
		if (c->st[i].table == 0)
			state_removed(c, &c->st[i]);
	cgroup_tree_free(c->tree);
	for (int k = 0; k < c->ntables; k++) {
		fd_table_free(c->tables[k].thread);
		free(c->tables[k].closing);
	}
	for (int f = 0; f < F_NR; f++)
		free(c->last_error[f].path);
	snapshot_unref(c->prev);
	free(c->buf);
	free(c->tab);
	free(c->st);
	free(c->root);
	free(c);
}

void collector_use_iter(struct collector *c, struct cgroup_iter *it, uint32_t groups)
{
	c->iter = it;
	c->iter_groups = it ? groups : 0;
	c->iter_failures = 0;
	c->stats.iter_gave_up = false;
	if (!c->iter_groups)
		set_iter_files(c, 0);
}

uint32_t collector_iter_groups(const struct collector *c)
{
	return c->iter_groups;
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
	size_t n = 0;

	for (int k = 0; k < c->ntables; k++)
		n += c->tables[k].fds.held + c->tables[k].nclosing;
	return n;
}
