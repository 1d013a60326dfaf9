/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef CGSCOPE_VERSION_H
#define CGSCOPE_VERSION_H

/* From `git describe` at build time; one object holds it so that every part
 * of a binary reports the same version. */
extern const char cgscope_version[];

#endif
