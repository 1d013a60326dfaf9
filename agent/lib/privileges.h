/* SPDX-License-Identifier: GPL-2.0-only */
/* Giving up root once everything that needs it (BPF, binding, reading the
 * TLS key) is done. */
#ifndef CGSCOPE_PRIVILEGES_H
#define CGSCOPE_PRIVILEGES_H

/* Switches to user (name or numeric uid), drops supplementary groups and
 * every capability, and sets no_new_privs. "root" keeps root. Does nothing
 * when not running as root. 0, -ENOENT for an unknown user, or -errno. */
int drop_privileges(const char *user);

/* The same, except that the calling thread (and it alone: capabilities are
 * per thread) keeps CAP_DAC_READ_SEARCH in its permitted set, not
 * effective, when it has it: container runtimes keep their state in
 * directories only root may enter (containerd's bundles are 0700), and the
 * agent reads a container's state file once when its cgroup appears.
 * privileges_read_search() raises it around such a read. 1 when it was
 * kept, 0 when not (not in the bounding set: the reads then fail as they
 * would for the user), or -errno. */
int drop_privileges_keep_read_search(const char *user);

/* Raises (on) or lowers CAP_DAC_READ_SEARCH in the calling thread's
 * effective set: 1 when that changed it, 0 when it already was so (root),
 * -EPERM when it is not permitted (harmless: the read that follows is then
 * the user's own). Lower only what was raised. */
int privileges_read_search(int on);

/* Clears every capability of the calling thread when the process runs as
 * a user other than root: for threads started after the drop, which would
 * inherit what the thread that started them kept (the collection thread
 * keeps CAP_DAC_READ_SEARCH permitted). 0 or -errno. */
int privileges_drop_thread(void);

/* Whether the calling thread holds capability cap (CAP_NET_ADMIN, ...) in
 * its effective set: for saying why the kernel refused something. */
int privileges_have(int cap);

#endif
