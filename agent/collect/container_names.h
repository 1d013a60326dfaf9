/* SPDX-License-Identifier: GPL-2.0-only */
/* The names of who runs in each cgroup (namespace, pod, container, image),
 * read from the container runtime's state on disk (cgroupfs/runtime_state.h)
 * once per container: when its cgroup is first seen. Containers whose
 * cgroups are gone are forgotten. Keyed by the container id that the cgroup
 * path says (cgroupfs/identity.h).
 *
 * Which cgroups get names, as the kubelet's cAdvisor labels them:
 *   - a container's own cgroup (cri-containerd-<id>.scope, crio-<id>.scope,
 *     docker-<id>.scope, or the bare <id> of the cgroupfs driver): all four;
 *     a pod's sandbox (pause) container has container="" (containerd) or
 *     "POD" (CRI-O, cri-dockerd), and its own image;
 *   - a pod's cgroup (kubepods-burstable-pod<uid>.slice): namespace and pod,
 *     taken from a container of the pod (the kubelet's GetPodByCgroupfs);
 *   - everything else (QoS cgroups, cgroups a container made below its
 *     own, the runtime's monitors, Podman's containers): none. */
#ifndef CGSCOPE_CONTAINER_NAMES_H
#define CGSCOPE_CONTAINER_NAMES_H

#include <stdint.h>

#include "collect/snapshot.h"

struct container_names_cache;

/* rootfs: where the host's filesystem is ("/", or "/host" in a container:
 * --path.rootfs). 0, -ENOMEM or -ENAMETOOLONG. */
int container_names_new(const char *rootfs, struct container_names_cache **ret);
void container_names_free(struct container_names_cache *c);

/* Brings the cache up to date with every cgroup of s (all that the
 * collector saw, before any filter): reads the state file of each container
 * not seen before, forgets those no longer there. A file that cannot be
 * read or parsed leaves that container without names and is counted. */
void container_names_update(struct container_names_cache *c, const struct snapshot *s);

/* Gives s (the snapshot to serve) the names of its cgroups and the error
 * counts. 0 or -ENOMEM (s then has no names). */
int container_names_attach(const struct container_names_cache *c, struct snapshot *s);

/* Errors of each reason so far, and the last one. */
struct container_names_errors {
	uint64_t count[IDERR_NR];
	uint64_t total;
	enum identity_error last_reason;
	int last_err;			/* a negative errno; -EINVAL: malformed */
	const char *last_path;		/* "" before the first; valid until the next update */
};
void container_names_errors(const struct container_names_cache *c,
			    struct container_names_errors *ret);

/* Containers known (tests, and the bound on memory). */
size_t container_names_count(const struct container_names_cache *c);

#endif
