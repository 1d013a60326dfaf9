/* SPDX-License-Identifier: GPL-2.0-only */
/* Who a cgroup belongs to, read from its path alone: the systemd unit, the
 * container and its runtime, the Kubernetes pod and its QoS class. Nothing is
 * looked up (no runtime socket, no API server): the layouts of systemd,
 * Docker, containerd, CRI-O, Podman and the kubelet (systemd and cgroupfs
 * drivers) say enough, and a path is all a snapshot keeps. */
#ifndef CGSCOPE_IDENTITY_H
#define CGSCOPE_IDENTITY_H

/* Each field is a NUL-terminated string, "" when the path does not say.
 * A cgroup inherits what its ancestors say (a subgroup of a container's scope
 * belongs to that container); where two ancestors say different things, the
 * one nearer the cgroup wins (Docker in Docker: the inner container). */
struct cgroup_identity {
	/* The innermost systemd unit on the path: "nginx.service",
	 * "docker-<id>.scope", "kubepods-burstable.slice". Units are at most
	 * 255 bytes (systemd's UNIT_NAME_MAX). */
	char unit[256];
	/* The runtime's container id, 64 hex digits for all the runtimes below.
	 * Empty for a runtime's monitor process (conmon), so that an id names
	 * one cgroup. */
	char container_id[65];
	/* "docker", "containerd", "cri-o", "podman" (the prefixes Kubernetes
	 * uses in containerID), or "" when the layout does not tell: the
	 * kubelet's cgroupfs driver names a container by its bare id, whatever
	 * the runtime. */
	char runtime[16];
	/* The Kubernetes pod UID with dashes ("_" in systemd slice names turned
	 * back into "-"); 32 hex digits for a static pod. */
	char pod_uid[65];
	/* "guaranteed", "burstable" or "besteffort" for a pod and what is in it,
	 * and for the burstable and besteffort QoS cgroups themselves. */
	char qos_class[16];
};

/* path: a cgroup path below the cgroup2 root, "/" or "/a/b". Fills ret with
 * what the path says (every field "" for a path no layout matches).
 * -EINVAL if path is not absolute. */
int cgroup_identity_parse(const char *path, struct cgroup_identity *ret);

#endif
