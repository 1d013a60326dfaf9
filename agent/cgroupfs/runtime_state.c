// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>

#include <cJSON.h>

#include "cgroupfs/runtime_state.h"

/* Copies the string member key of obj into dst[size]. A member that is
 * absent (or null) leaves dst as it is; one of another type, or too long,
 * makes the whole file malformed: a runtime never writes either. */
static int copy_member(const cJSON *obj, const char *key, char *dst, size_t size)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
	size_t n;

	if (!j || cJSON_IsNull(j))
		return 0;
	if (!cJSON_IsString(j) || !j->valuestring)
		return -EINVAL;
	n = strlen(j->valuestring);
	if (n >= size)
		return -EINVAL;
	memcpy(dst, j->valuestring, n + 1);
	return 0;
}

/* An object member that may be absent; -EINVAL when present and not an
 * object. */
static int object_member(const cJSON *obj, const char *key, const cJSON **ret)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (j && !cJSON_IsNull(j) && !cJSON_IsObject(j))
		return -EINVAL;
	*ret = j && cJSON_IsObject(j) ? j : NULL;
	return 0;
}

static int parse_containerd(const cJSON *root, struct container_names *n)
{
	const cJSON *a;
	char type[16] = "";
	int r;

	r = object_member(root, "annotations", &a);
	if (r < 0 || !a)
		return r;	/* not a CRI container (ctr, moby): nothing to say */
	r = copy_member(a, "io.kubernetes.cri.container-type", type, sizeof(type));
	if (r < 0)
		return r;
	if (!r && !strcmp(type, "sandbox")) {
		/* cAdvisor: container="" and the pause image. */
		r = copy_member(a, "io.kubernetes.cri.podsandbox.image-name", n->image,
				sizeof(n->image));
	} else if (!strcmp(type, "container")) {
		r = copy_member(a, "io.kubernetes.cri.container-name", n->container,
				sizeof(n->container));
		if (!r)
			r = copy_member(a, "io.kubernetes.cri.image-name", n->image,
					sizeof(n->image));
	} else {
		return 0;	/* no CRI type: not the kubelet's */
	}
	if (!r)
		r = copy_member(a, "io.kubernetes.cri.sandbox-namespace", n->namespace_,
				sizeof(n->namespace_));
	if (!r)
		r = copy_member(a, "io.kubernetes.cri.sandbox-name", n->pod, sizeof(n->pod));
	return r;
}

/* The kubelet's labels, as CRI-O copies them into the annotations and
 * cri-dockerd into Docker's labels. */
static int kubelet_labels(const cJSON *labels, struct container_names *n)
{
	int r = copy_member(labels, "io.kubernetes.pod.namespace", n->namespace_,
			    sizeof(n->namespace_));

	if (!r)
		r = copy_member(labels, "io.kubernetes.pod.name", n->pod, sizeof(n->pod));
	if (!r)
		r = copy_member(labels, "io.kubernetes.container.name", n->container,
				sizeof(n->container));
	return r;
}

static int parse_crio(const cJSON *root, struct container_names *n)
{
	const cJSON *a;
	char type[16] = "";
	int r;

	r = object_member(root, "annotations", &a);
	if (r < 0 || !a)
		return r;
	r = kubelet_labels(a, n);
	if (!r)
		r = copy_member(a, "io.kubernetes.cri-o.ImageName", n->image, sizeof(n->image));
	if (!r)
		r = copy_member(a, "io.kubernetes.cri-o.ContainerType", type, sizeof(type));
	/* cAdvisor's name is the container's: a sandbox's infra container has
	 * its own (k8s_POD_...) beside the sandbox's. */
	if (!r)
		r = copy_member(a, !strcmp(type, "sandbox") ? "io.kubernetes.cri-o.ContainerName" :
				"io.kubernetes.cri-o.Name", n->name, sizeof(n->name));
	return r;
}

static int parse_docker(const cJSON *root, struct container_names *n)
{
	const cJSON *config, *labels = NULL;
	int r;

	r = copy_member(root, "Name", n->name, sizeof(n->name));
	if (r < 0)
		return r;
	/* Docker keeps the name with a leading "/"; cAdvisor drops it. */
	if (n->name[0] == '/')
		memmove(n->name, n->name + 1, strlen(n->name));
	r = object_member(root, "Config", &config);
	if (r < 0 || !config)
		return r;
	r = copy_member(config, "Image", n->image, sizeof(n->image));
	if (!r)
		r = object_member(config, "Labels", &labels);
	if (!r && labels)
		r = kubelet_labels(labels, n);
	return r;
}

int runtime_state_parse(enum runtime_state_format fmt, const char *buf, size_t len,
			struct container_names *ret)
{
	struct container_names n;
	cJSON *root;
	int r;

	if (fmt >= RUNTIME_STATE_NR || !buf || len > RUNTIME_STATE_MAX_BYTES)
		return -EINVAL;
	/* cJSON_ParseWithLength stops at len: buf need not be NUL-terminated. */
	root = cJSON_ParseWithLength(buf, len);
	if (!root)
		return -EINVAL;
	memset(&n, 0, sizeof(n));
	if (!cJSON_IsObject(root))
		r = -EINVAL;
	else if (fmt == RUNTIME_STATE_CONTAINERD)
		r = parse_containerd(root, &n);
	else if (fmt == RUNTIME_STATE_CRIO)
		r = parse_crio(root, &n);
	else
		r = parse_docker(root, &n);
	cJSON_Delete(root);
	if (r < 0)
		return r;
	*ret = n;
	return 0;
}
