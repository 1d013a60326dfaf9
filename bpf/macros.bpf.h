/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Small macros of the BPF programs: agent/lib/macros.h's, which BPF code
 * cannot include (it is built against vmlinux.h, not the agent's headers). */
#ifndef CGSCOPE_MACROS_BPF_H
#define CGSCOPE_MACROS_BPF_H

/* The number of elements of an array (not of a pointer: the compiler refuses
 * a pointer through __builtin_types_compatible_p). */
#define ARRAY_SIZE(a)							\
	(sizeof(a) / sizeof((a)[0]) +					\
	 0 * sizeof(struct { int _: !__builtin_types_compatible_p(__typeof__(a), __typeof__(&(a)[0])); }))

#endif
