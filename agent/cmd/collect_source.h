/* SPDX-License-Identifier: GPL-2.0-only */
/* --collect.source: where the values of each group of files come from.
 * auto (the default) loads the cgroup iterator where the kernel allows it,
 * checks it against the files once, and has it serve every group it gave
 * right; bpf insists on the iterator (an error when it cannot load) and has
 * it serve everything the kernel lets it read, unchecked; files reads every
 * file as before. Shared by agent and dump. */
#ifndef CGSCOPE_COLLECT_SOURCE_H
#define CGSCOPE_COLLECT_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "collect/cgroup_iter.h"
#include "collect/collector.h"
#include "collect/source_check.h"

enum collect_source { SOURCE_AUTO, SOURCE_BPF, SOURCE_FILES };

extern const char *const collect_source_names[3];

/* "auto", "bpf", "files": 0 or -EINVAL. */
int collect_source_parse(const char *name, enum collect_source *ret);

struct source_setup {
	enum collect_source mode;
	struct cgroup_iter *iter;	/* NULL: files only */
	uint32_t groups;		/* the iterator's groups (1 << enum iter_group) */
	bool checked;			/* check holds the check against the files */
	struct source_check check;
	char note[192];			/* why (some) files, when the iterator is not used */
};

/* Sets up the source of collector c (reading files of root): for auto and
 * bpf, loads the iterator (needs CAP_BPF and CAP_PERFMON: before the
 * privileges are dropped), for auto checks it against the files in up to
 * check_rounds rounds (0: no check), and hands the groups it gave right to
 * the collector (NULL: none, only load). Logs what it chose. 0, or -errno
 * when mode is bpf and the iterator cannot load. */
int collect_source_start(enum collect_source mode, const char *root, uint32_t files,
			 int check_rounds, struct collector *c, struct source_setup *ret);

/* The same, with room in the records for the psi totals that
 * source_check_run() measures (dump --check-sources). */
int collect_source_start_psi(enum collect_source mode, const char *root, uint32_t files,
			     int check_rounds, struct collector *c, struct source_setup *ret);

/* After the collector is done with it. */
void collect_source_stop(struct source_setup *s);

/* The groups that source serves, as "cgroup=bpf cpu=bpf ... io=files", of
 * the groups with a file in files. */
void collect_source_summary(uint32_t files, uint32_t iter_files, char *buf, size_t size);

#endif
