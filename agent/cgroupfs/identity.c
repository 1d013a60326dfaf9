// SPDX-License-Identifier: GPL-2.0-only
/* The layouts recognised, one path component at a time (a component is the
 * name of one cgroup directory):
 *
 *   systemd          /system.slice/nginx.service, /user.slice/user-1000.slice/...
 *   Docker           docker-<id>.scope (systemd driver), /docker/<id> (cgroupfs)
 *   containerd (CRI) cri-containerd-<id>.scope
 *   CRI-O            crio-<id>.scope, crio-<id> (cgroupfs), crio-conmon-<id>...
 *   Podman           libpod-<id>.scope, libpod-<id> (cgroupfs), libpod-conmon-<id>...
 *   kubelet systemd  kubepods.slice/kubepods-burstable.slice/
 *                    kubepods-burstable-pod<uid with _>.slice/<container scope>
 *                    (a prefix such as "kubelet-kubepods-..." when the kubelet
 *                    runs with a --cgroup-root of its own)
 *   kubelet cgroupfs /kubepods/burstable/pod<uid>/<id>, /kubepods/pod<uid>/<id>
 *
 * Guaranteed pods have no QoS level of their own: a pod directly below
 * kubepods is guaranteed. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "cgroupfs/identity.h"
#include "lib/macros.h"

/* A component as a (pointer, length) pair: components are not
 * NUL-terminated inside the path. */
struct comp {
	const char *s;
	size_t len;
};

static bool has_prefix(struct comp c, const char *p)
{
	size_t n = strlen(p);

	return c.len >= n && !memcmp(c.s, p, n);
}

static bool has_suffix(struct comp c, const char *p)
{
	size_t n = strlen(p);

	return c.len >= n && !memcmp(c.s + c.len - n, p, n);
}

static bool equals(struct comp c, const char *p)
{
	return c.len == strlen(p) && !memcmp(c.s, p, c.len);
}

static struct comp cut(struct comp c, size_t prefix, size_t suffix)
{
	return (struct comp){ c.s + prefix, c.len - prefix - suffix };
}

static void set(char *dst, size_t size, struct comp c)
{
	size_t n = c.len < size - 1 ? c.len : size - 1;

	memcpy(dst, c.s, n);
	dst[n] = '\0';
}

/* Every runtime here names containers by 64 lowercase hex digits. Requiring
 * exactly that keeps /docker/registry or crio-foo.scope from passing for a
 * container. */
static bool is_container_id(struct comp c)
{
	if (c.len != 64)
		return false;
	for (size_t i = 0; i < c.len; i++)
		if (!((c.s[i] >= '0' && c.s[i] <= '9') || (c.s[i] >= 'a' && c.s[i] <= 'f')))
			return false;
	return true;
}

/* A UUID (36 characters, with "-" or systemd's "_") or the 32 hex digits the
 * kubelet gives a static pod. */
static bool is_pod_uid(struct comp c)
{
	if (c.len != 32 && c.len != 36)
		return false;
	for (size_t i = 0; i < c.len; i++) {
		char ch = c.s[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || ch == '-' || ch == '_'))
			return false;
	}
	return true;
}

static void set_pod_uid(struct cgroup_identity *id, struct comp uid)
{
	set(id->pod_uid, sizeof(id->pod_uid), uid);
	for (char *p = id->pod_uid; *p; p++)
		if (*p == '_')
			*p = '-';
}

static void set_container(struct cgroup_identity *id, const char *runtime, struct comp cid)
{
	set(id->container_id, sizeof(id->container_id), cid);
	strcpy(id->runtime, runtime);
}

/* A runtime's monitor (conmon) belongs to the runtime, not to a container. */
static void set_monitor(struct cgroup_identity *id, const char *runtime)
{
	id->container_id[0] = '\0';
	strcpy(id->runtime, runtime);
}

static const char *const unit_suffixes[] = {
	".service", ".scope", ".slice", ".socket", ".mount", ".swap",
};

static bool is_unit(struct comp c)
{
	if (c.len >= sizeof(((struct cgroup_identity *)0)->unit))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(unit_suffixes); i++)
		if (c.len > strlen(unit_suffixes[i]) && has_suffix(c, unit_suffixes[i]))
			return true;
	return false;
}

/* Container scopes of the systemd driver: prefix, runtime, and whether the
 * scope is the runtime's monitor rather than a container. Monitors first:
 * "crio-conmon-" also starts with "crio-". */
static const struct {
	const char *prefix, *runtime;
	bool monitor;
} scopes[] = {
	{ "crio-conmon-", "cri-o", true },
	{ "libpod-conmon-", "podman", true },
	{ "docker-", "docker", false },
	{ "cri-containerd-", "containerd", false },
	{ "crio-", "cri-o", false },
	{ "libpod-", "podman", false },
};

/* A container component, with or without ".scope" (the cgroupfs drivers of
 * CRI-O and Podman use the same names bare). */
static bool parse_container(struct comp c, struct cgroup_identity *id)
{
	struct comp name = has_suffix(c, ".scope") ? cut(c, 0, strlen(".scope")) : c;

	for (size_t i = 0; i < ARRAY_SIZE(scopes); i++) {
		struct comp cid;

		if (!has_prefix(name, scopes[i].prefix))
			continue;
		cid = cut(name, strlen(scopes[i].prefix), 0);
		if (!is_container_id(cid))
			return false;
		if (scopes[i].monitor)
			set_monitor(id, scopes[i].runtime);
		else
			set_container(id, scopes[i].runtime, cid);
		return true;
	}
	return false;
}

/* The systemd driver's slices: [PREFIX-]kubepods[-QOS][-pod<UID>].slice. */
static bool parse_kube_slice(struct comp c, struct cgroup_identity *id)
{
	static const char *const qos[] = { "burstable", "besteffort" };
	const char *qos_class = NULL;
	struct comp rest, uid;
	const char *k;

	if (!has_suffix(c, ".slice"))
		return false;
	c = cut(c, 0, strlen(".slice"));
	k = memmem(c.s, c.len, "kubepods", 8);
	if (!k || (k != c.s && k[-1] != '-'))
		return false;
	rest = cut(c, (size_t)(k - c.s) + 8, 0);
	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(qos[i]);

		if (rest.len > n && rest.s[0] == '-' && !memcmp(rest.s + 1, qos[i], n) &&
		    (rest.len == n + 1 || rest.s[n + 1] == '-')) {
			qos_class = qos[i];
			rest = cut(rest, n + 1, 0);
			break;
		}
	}
	if (rest.len == 0) {
		if (qos_class)
			strcpy(id->qos_class, qos_class);
		return true;
	}
	if (!has_prefix(rest, "-pod"))
		return false;
	uid = cut(rest, 4, 0);
	if (!is_pod_uid(uid))
		return false;
	set_pod_uid(id, uid);
	/* A pod slice directly below kubepods.slice is a guaranteed pod. */
	strcpy(id->qos_class, qos_class ? qos_class : "guaranteed");
	return true;
}

/* Where the previous components put us in the cgroupfs layouts. */
enum place {
	P_NONE,
	P_KUBEPODS,	/* just below .../kubepods */
	P_QOS,		/* just below .../kubepods/{burstable,besteffort} */
	P_POD,		/* just below a pod's directory */
	P_DOCKER,	/* just below .../docker */
};

int cgroup_identity_parse(const char *path, struct cgroup_identity *ret)
{
	struct cgroup_identity id;
	enum place place = P_NONE;
	const char *p;

	if (!path || path[0] != '/')
		return -EINVAL;
	memset(&id, 0, sizeof(id));
	for (p = path; *p;) {
		struct comp c;
		enum place next = P_NONE;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		c.s = p;
		while (*p && *p != '/')
			p++;
		c.len = (size_t)(p - c.s);

		if (is_unit(c))
			set(id.unit, sizeof(id.unit), c);
		if (parse_kube_slice(c, &id) || parse_container(c, &id)) {
			/* nothing more to learn from this component */
		} else if (equals(c, "kubepods")) {
			next = P_KUBEPODS;
		} else if (equals(c, "docker")) {
			next = P_DOCKER;
		} else if (place == P_KUBEPODS &&
			   (equals(c, "burstable") || equals(c, "besteffort"))) {
			set(id.qos_class, sizeof(id.qos_class), c);
			next = P_QOS;
		} else if ((place == P_KUBEPODS || place == P_QOS) && has_prefix(c, "pod") &&
			   is_pod_uid(cut(c, 3, 0))) {
			set_pod_uid(&id, cut(c, 3, 0));
			if (place == P_KUBEPODS)
				strcpy(id.qos_class, "guaranteed");
			next = P_POD;
		} else if (place == P_POD && is_container_id(c)) {
			/* containerd's and Docker's cgroupfs layout under the
			 * kubelet: the bare id says nothing of the runtime. */
			set_container(&id, "", c);
		} else if (place == P_DOCKER && is_container_id(c)) {
			set_container(&id, "docker", c);
		}
		place = next;
	}
	*ret = id;
	return 0;
}
