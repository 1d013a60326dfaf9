// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>

#include "events/prog_stats.h"

static int from_fdinfo(int fd, struct prog_stats *st)
{
	char path[64], line[128];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		found += sscanf(line, "run_time_ns: %" SCNu64, &st->run_time_ns) == 1;
		found += sscanf(line, "run_cnt: %" SCNu64, &st->run_cnt) == 1;
		sscanf(line, "recursion_misses: %" SCNu64, &st->recursion_misses);
	}
	fclose(f);
	return found == 2 ? 0 : -ENODATA;
}

static int from_info(int fd, struct prog_stats *st)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int r;

	memset(&info, 0, sizeof(info));
	r = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (r < 0)
		return r;
	st->run_time_ns = info.run_time_ns;
	st->run_cnt = info.run_cnt;
	st->recursion_misses = info.recursion_misses;
	return 0;
}

int prog_stats_read(int fd, struct prog_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (from_fdinfo(fd, ret) == 0)
		return 0;
	return from_info(fd, ret);
}
