/* SPDX-License-Identifier: GPL-2.0-only */
/* Giving up root once everything that needs it (BPF, binding, reading the
 * TLS key) is done. */
#ifndef CGSCOPE_PRIVILEGES_H
#define CGSCOPE_PRIVILEGES_H

/* Switches to user (name or numeric uid), drops supplementary groups and
 * every capability, and sets no_new_privs. "root" keeps root. Does nothing
 * when not running as root. 0, -ENOENT for an unknown user, or -errno. */
int drop_privileges(const char *user);

#endif
