// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
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

int drop_privileges(const char *user)
{
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
	/* Groups first: after setresuid there is no privilege left to do it. */
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		return -errno;
	/* All uids non-zero and no SECBIT_KEEP_CAPS: the kernel has cleared the
	 * permitted and effective sets. no_new_privs keeps it that way across
	 * any exec. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}
