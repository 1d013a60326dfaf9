/* SPDX-License-Identifier: GPL-2.0-only */
/* Who runs in a container, by name, read from the file its runtime keeps on
 * disk for it (no runtime socket, no API client): the Kubernetes namespace,
 * pod and container names and the image, as the kubelet's cAdvisor labels
 * them. Pure parsers over a buffer; agent/collect/container_names.h finds
 * the files and reads each once.
 *
 * The files, keys and conventions, each checked against the runtime's
 * sources (docs/cadvisor.md says more):
 *
 * containerd (CRI plugin): the OCI bundle's config.json,
 *   run/containerd/io.containerd.runtime.v2.task/k8s.io/<id>/config.json
 *   (core/runtime/v2/bundle.go), annotations of
 *   internal/cri/annotations/annotations.go DefaultCRIAnnotations:
 *     io.kubernetes.cri.container-type   "sandbox" | "container"
 *     io.kubernetes.cri.sandbox-namespace, io.kubernetes.cri.sandbox-name
 *     io.kubernetes.cri.container-name   containers only
 *     io.kubernetes.cri.image-name       containers only
 *     io.kubernetes.cri.podsandbox.image-name
 *                                        the sandbox's (pause) image, 2.0 on
 *   cAdvisor's containerd handler labels a sandbox container="" with its own
 *   (pause) image, and names every container by its id.
 *
 * CRI-O: the OCI spec it keeps in the container's run directory,
 *   run/containers/storage/overlay-containers/<id>/userdata/config.json
 *   (c/storage ContainerRunDirectory; CRI-O saves config.json there), with
 *   the kubelet's labels copied into the annotations
 *   (internal/factory/container/container.go, server/sandbox_run_linux.go):
 *     io.kubernetes.pod.namespace, io.kubernetes.pod.name,
 *     io.kubernetes.container.name       "POD" for the sandbox (infra)
 *     io.kubernetes.cri-o.ImageName      the image ("SomeNameOfTheImage")
 *     io.kubernetes.cri-o.Name           cAdvisor's `name` (Aliases[0]), or
 *     io.kubernetes.cri-o.ContainerName  for a sandbox (its infra container)
 *     io.kubernetes.cri-o.ContainerType  "sandbox" | "container"
 *
 * Docker: the container's config.v2.json under the data root,
 *   var/lib/docker/containers/<id>/config.v2.json
 *     Name ("/web"), Config.Image, Config.Labels (io.kubernetes.pod.name,
 *     io.kubernetes.pod.namespace, io.kubernetes.container.name: "POD" for
 *     a sandbox, under cri-dockerd)
 *   as cAdvisor's docker handler reads it (Aliases[0] = Name without "/").
 */
#ifndef CGSCOPE_RUNTIME_STATE_H
#define CGSCOPE_RUNTIME_STATE_H

#include <stddef.h>

/* Files larger than this are refused unread (-EFBIG): a bundle's
 * config.json is some 10 to 50 KiB. */
#define RUNTIME_STATE_MAX_BYTES (4u << 20)

enum runtime_state_format {
	RUNTIME_STATE_CONTAINERD,	/* an OCI bundle's config.json (CRI annotations) */
	RUNTIME_STATE_CRIO,		/* CRI-O's userdata/config.json */
	RUNTIME_STATE_DOCKER,		/* Docker's config.v2.json */
	RUNTIME_STATE_NR
};

/* Each field NUL-terminated, "" where the file does not say. Sizes: a
 * namespace and a container name are DNS labels (63), a pod name a DNS
 * subdomain (253); an image reference with a digest fits 1023. */
struct container_names {
	char namespace_[254];
	char pod[254];
	char container[254];
	char image[1024];
	/* cAdvisor's `name` label when the runtime has one (CRI-O, Docker);
	 * "" for containerd, which cAdvisor names by the id. */
	char name[512];
};

/* Parses a state file of the given format into ret. 0 (fields the file does
 * not have stay ""), -EINVAL when it is not a JSON object of that format or
 * a value is not a string or too long for its field. ret is written only on
 * success. */
int runtime_state_parse(enum runtime_state_format fmt, const char *buf, size_t len,
			struct container_names *ret);

#endif
