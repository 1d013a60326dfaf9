// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdint.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/privileges.h"

static int lookup(const char *user, uid_t *ret_uid, gid_t *ret_gid)
{
	struct passwd pw, *res = NULL;
	char buf[4096], *end;
	unsigned long id;

	if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) == 0 && res) {
		*ret_uid = pw.pw_uid;
		*ret_gid = pw.pw_gid;
		return 0;
	}
	/* A minimal system (an initramfs, a distroless image) may have no
	 * passwd file: nobody is the kernel's overflow id there too. */
	if (!strcmp(user, "nobody")) {
		*ret_uid = 65534;
		*ret_gid = 65534;
		return 0;
	}
	errno = 0;
	id = strtoul(user, &end, 10);
	if (!*user || *end || errno)
		return -ENOENT;
	/* A bare uid with no passwd entry: its own number as group. */
	*ret_uid = (uid_t)id;
	*ret_gid = (gid_t)id;
	return 0;
}

/* The calling thread's capability sets, through the raw system calls
 * (libcap is not worth a dependency for two words). */
struct caps {
	uint64_t effective, permitted, inheritable;
};

static int caps_get(struct caps *ret)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	ret->effective = d[0].effective | (uint64_t)d[1].effective << 32;
	ret->permitted = d[0].permitted | (uint64_t)d[1].permitted << 32;
	ret->inheritable = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

static int caps_set(const struct caps *c)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)c->effective, (uint32_t)c->permitted, (uint32_t)c->inheritable },
		{ (uint32_t)(c->effective >> 32), (uint32_t)(c->permitted >> 32),
		  (uint32_t)(c->inheritable >> 32) },
	};

	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

#define READ_SEARCH (UINT64_C(1) << CAP_DAC_READ_SEARCH)

static int drop(const char *user, int keep_read_search)
{
	struct caps c = {0};
	int kept = 0;
	uid_t uid;
	gid_t gid;
	int r;

	if (geteuid() != 0 || !strcmp(user, "root"))
		return 0;
	r = lookup(user, &uid, &gid);
	if (r < 0)
		return r;
	if (uid == 0)
		return 0;
	if (keep_read_search && caps_get(&c) == 0 && (c.permitted & READ_SEARCH))
		kept = 1;
	/* Groups first: after setresuid there is no privilege left to do it. */
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 ||
	    (kept && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) ||
	    setresuid(uid, uid, uid) < 0)
		return -errno;
	/* All uids non-zero: the kernel has cleared the effective set of every
	 * thread, and the permitted set of every thread but this one when it
	 * keeps CAP_DAC_READ_SEARCH (SECBIT_KEEP_CAPS is per thread). Of that
	 * set, keep that one capability, lowered until a read raises it. */
	if (kept) {
		c = (struct caps){ .permitted = READ_SEARCH };
		if (caps_set(&c) < 0 || prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
			return -errno;
	}
	/* no_new_privs keeps it that way across any exec. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return kept;
}

int drop_privileges(const char *user)
{
	return drop(user, 0);
}

int drop_privileges_keep_read_search(const char *user)
{
	return drop(user, 1);
}

int privileges_read_search(int on)
{
	struct caps c;
	int r = caps_get(&c);

	if (r < 0)
		return r;
	if (!(c.permitted & READ_SEARCH))
		return -EPERM;
	if (!!(c.effective & READ_SEARCH) == !!on)
		return 0;
	c.effective = on ? c.effective | READ_SEARCH : c.effective & ~READ_SEARCH;
	r = caps_set(&c);
	return r < 0 ? r : 1;
}

int privileges_drop_thread(void)
{
	struct caps c = {0};

	if (geteuid() == 0)
		return 0;	/* --user root keeps root's: nothing was dropped */
	return caps_set(&c);
}

int privileges_have(int cap)
{
	struct caps c;

	return cap >= 0 && cap < 64 && caps_get(&c) == 0 && (c.effective >> cap & 1);
}
