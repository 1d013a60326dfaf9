// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cmd/collect_source.h"
#include "lib/log.h"

const char *const collect_source_names[3] = { "auto", "bpf", "files" };

int collect_source_parse(const char *name, enum collect_source *ret)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(name, collect_source_names[i])) {
			*ret = (enum collect_source)i;
			return 0;
		}
	return -EINVAL;
}

/* The iterator's cover bits of the groups with a file in files. */
static uint32_t want_of(uint32_t files)
{
	uint32_t want = 0;

	for (int g = 0; g < IG_NR; g++)
		if (iter_groups[g].files & files)
			want |= iter_groups[g].cover;
	return want;
}

void collect_source_summary(uint32_t files, uint32_t iter_files, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = 0;
	for (int g = 0; g < IG_NR && len < size; g++) {
		uint32_t mine = iter_groups[g].files & files;

		if (!mine)
			continue;
		len += (size_t)snprintf(buf + len, size - len, "%s%s=%s", len ? " " : "",
					iter_groups[g].name,
					(mine & iter_files) == mine ? "bpf" : "files");
	}
}

/* The cgroups below a cgroup2 directory and itself, from its cgroup.stat;
 * 0 when it cannot be read (the iterator then starts small). */
static uint32_t count_cgroups(int dirfd)
{
	char buf[512];
	ssize_t n;
	const char *p;
	int fd = openat(dirfd, "cgroup.stat", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strstr(buf, "nr_descendants ");
	return p ? (uint32_t)strtoul(p + 15, NULL, 10) + 1 : 0;
}

static const char *value_str(uint64_t v, char *buf, size_t size)
{
	if (v == UINT64_MAX)
		return "none";
	snprintf(buf, size, "%" PRIu64, v);
	return buf;
}

static void log_check(const struct source_setup *s)
{
	const struct source_check *k = &s->check;

	for (int g = 0; g < IG_NR; g++) {
		const struct source_mismatch *m = &k->first[g];
		char a[24], b[24], c[24];

		if (!((k->bad >> g) & 1))
			continue;
		log_fields(LOG_WARN, "cgroup iterator disagrees with the files: the group is read from its files",
			   "group", iter_groups[g].name, "cgroup", m->path, "file", cg_files[m->file].name,
			   "key", m->key, "file_before", value_str(m->a, a, sizeof(a)),
			   "iterator", value_str(m->b, b, sizeof(b)),
			   "file_after", value_str(m->c, c, sizeof(c)), NULL);
	}
}

static int start(enum collect_source mode, const char *root, uint32_t files, int check_rounds,
		 struct collector *c, bool psi, struct source_setup *ret)
{
	struct cgroup_iter_opts o = { .want = want_of(files), .psi = psi };
	struct cgroup_iter_stats st;
	struct statfs sfs;
	char summary[256];
	int fd, r;

	memset(ret, 0, sizeof(*ret));
	ret->mode = mode;
	if (mode == SOURCE_FILES) {
		snprintf(ret->note, sizeof(ret->note), "--collect.source=files");
		log_info("reading every file: %s", ret->note);
		return 0;
	}
	if (!o.want) {
		snprintf(ret->note, sizeof(ret->note), "no group the iterator reads is collected");
		return 0;
	}
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(ret->note, sizeof(ret->note), "cannot open %s: %s", root, strerror(-r));
		goto fail;
	}
	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		close(fd);
		r = -ENOTSUP;
		snprintf(ret->note, sizeof(ret->note),
			 "%s is not a cgroup2 directory (a captured tree?)", root);
		goto fail;
	}
	o.cgroups = count_cgroups(fd);
	r = cgroup_iter_open(fd, &o, &ret->iter);
	close(fd);	/* the link holds the cgroup */
	if (r < 0) {
		snprintf(ret->note, sizeof(ret->note), "the cgroup iterator did not load: %s%s",
			 strerror(-r),
			 r == -EPERM || r == -EACCES ?
			 " (loading it needs root or CAP_BPF and CAP_PERFMON)" :
			 r == -EOPNOTSUPP ? " (it needs Linux 6.1 or later, with BTF)" :
			 " (libbpf's own messages at --log-level debug)");
		goto fail;
	}
	ret->groups = iter_groups_of(iter_groups_files((1u << IG_NR) - 1) & files);
	/* bpf: everything the kernel lets the iterator read, unchecked (what
	 * the tests compare with the files themselves). */
	if (check_rounds > 0 && mode == SOURCE_AUTO) {
		r = source_check_run(root, ret->iter, ret->groups, check_rounds, &ret->check);
		if (r < 0) {
			snprintf(ret->note, sizeof(ret->note),
				 "the cgroup iterator could not be checked against the files: %s",
				 strerror(-r));
			cgroup_iter_free(ret->iter);
			ret->iter = NULL;
			goto fail;
		}
		ret->checked = true;
		ret->groups = ret->check.groups & ~ret->check.bad;
		log_check(ret);
		if (ret->check.bad)
			snprintf(ret->note, sizeof(ret->note),
				 "groups that disagreed with the files are read from them");
	} else if (cgroup_iter_walk(ret->iter) == 0) {
		cgroup_iter_stats(ret->iter, &st);
		ret->groups = iter_groups_of(iter_cover_files(st.cover, files));
	}
	if (c)
		collector_use_iter(c, ret->iter, ret->groups);
	collect_source_summary(files, iter_groups_files(ret->groups), summary, sizeof(summary));
	cgroup_iter_stats(ret->iter, &st);
	if (ret->checked)
		log_info("cgroup iterator loaded (flush: %s), checked against the files on %zu "
			 "cgroups; sources: %s", st.flush, ret->check.cgroups, summary);
	else
		log_info("cgroup iterator loaded (flush: %s); sources: %s", st.flush, summary);
	return 0;
fail:
	if (mode == SOURCE_BPF) {
		log_error("--collect.source=bpf: %s", ret->note);
		return r;
	}
	log_info("reading every file: %s", ret->note);
	return 0;
}

int collect_source_start(enum collect_source mode, const char *root, uint32_t files,
			 int check_rounds, struct collector *c, struct source_setup *ret)
{
	return start(mode, root, files, check_rounds, c, false, ret);
}

int collect_source_start_psi(enum collect_source mode, const char *root, uint32_t files,
			     int check_rounds, struct collector *c, struct source_setup *ret)
{
	return start(mode, root, files, check_rounds, c, true, ret);
}

void collect_source_stop(struct source_setup *s)
{
	cgroup_iter_free(s->iter);
	s->iter = NULL;
}
