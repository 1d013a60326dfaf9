// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "kernel/kernel_btf.h"

void kernel_bpf_open_opts(struct bpf_object_open_opts *opts)
{
	if (access(KERNEL_BTF_SYSFS, R_OK) == 0)
		opts->btf_custom_path = KERNEL_BTF_SYSFS;
}

struct btf *kernel_btf_load(void)
{
	struct btf *btf;

	if (access(KERNEL_BTF_SYSFS, R_OK) < 0)
		return btf__load_vmlinux_btf();
	btf = btf__parse(KERNEL_BTF_SYSFS, NULL);
	if (!btf && !errno)
		errno = EINVAL;
	return btf;
}

static void (*log_fn)(enum libbpf_print_level level, const char *line);

/* libbpf hands whole messages, some of several lines (a verifier log),
 * each line ending in a newline, and prefixes most with "libbpf: ". */
static int print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char small[512], *buf = small, *line, *next;
	va_list copy;
	int n;

	if (!log_fn)
		return 0;
	va_copy(copy, ap);
	n = vsnprintf(small, sizeof(small), fmt, copy);
	va_end(copy);
	if (n < 0)
		return 0;
	if ((size_t)n >= sizeof(small)) {
		buf = malloc((size_t)n + 1);
		if (!buf)
			return 0;
		vsnprintf(buf, (size_t)n + 1, fmt, ap);
	}
	for (line = buf; *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		else
			next = line + strlen(line);
		if (!strncmp(line, "libbpf: ", 8))
			line += 8;
		if (*line)
			log_fn(level, line);
	}
	if (buf != small)
		free(buf);
	return n;
}

void kernel_libbpf_log_to(void (*fn)(enum libbpf_print_level level, const char *line))
{
	log_fn = fn;
	libbpf_set_print(print);
}
