/* SPDX-License-Identifier: GPL-2.0-only */
/* Small macros every folder uses. */
#ifndef CGSCOPE_MACROS_H
#define CGSCOPE_MACROS_H

/* The number of elements of an array (not of a pointer: the compiler refuses
 * a pointer through __builtin_types_compatible_p). */
#define ARRAY_SIZE(a)							\
	(sizeof(a) / sizeof((a)[0]) +					\
	 0 * sizeof(struct { int _: !__builtin_types_compatible_p(__typeof__(a), __typeof__(&(a)[0])); }))

/* Compare without subtracting (u64 differences overflow an int): -1, 0, 1. */
#define CMP(a, b) ((a) < (b) ? -1 : (a) > (b) ? 1 : 0)

#endif
