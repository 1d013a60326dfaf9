/* SPDX-License-Identifier: GPL-2.0-only */
/* What every user of libbpf in cgscope sets up the same way: where the
 * kernel's BTF is read from, and where libbpf's messages go.
 *
 * The BTF: libbpf 1.1 looks up the CO-RE candidates of a type it does not
 * find in vmlinux's BTF (our compat flavours of older kernels, such as
 * union kernfs_node_id___pre55) in the BTF of every kernel module too, and
 * listing module BTF (BPF_BTF_GET_NEXT_ID) needs CAP_SYS_ADMIN. Without it
 * the whole load fails ("failed to iterate BTF objects"), though CAP_BPF
 * and CAP_PERFMON allow everything else. Naming the vmlinux BTF as the
 * object's target (btf_custom_path) stops that walk: none of our programs
 * touches a module's types. */
#ifndef CGSCOPE_KERNEL_BTF_H
#define CGSCOPE_KERNEL_BTF_H

#include <bpf/libbpf.h>

/* The running kernel's own BTF, as sysfs exposes it. */
#define KERNEL_BTF_SYSFS "/sys/kernel/btf/vmlinux"

/* Fills the parts of opts that every BPF object of cgscope shares: the
 * kernel's BTF as the target of CO-RE relocations, when sysfs has it (a
 * kernel without it leaves libbpf to its own search of /boot, where module
 * BTF does not exist either). opts must be initialised (LIBBPF_OPTS). */
void kernel_bpf_open_opts(struct bpf_object_open_opts *opts);

/* The kernel's BTF, read from the same place libbpf is pointed at; NULL
 * with errno set when there is none. Free with btf__free(). */
struct btf *kernel_btf_load(void);

/* Sends every message of libbpf, one line at a time (its "libbpf: " prefix
 * and newline taken off), to fn with libbpf's level. Set once, by main,
 * before any command runs: no raw line of libbpf reaches stderr. NULL
 * drops them all. */
void kernel_libbpf_log_to(void (*fn)(enum libbpf_print_level level, const char *line));

#endif
