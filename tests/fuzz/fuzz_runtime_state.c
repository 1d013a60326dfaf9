// SPDX-License-Identifier: GPL-2.0-only
/* runtime_state_parse in each format, against cJSON's own reading of the
 * same bytes: what does not parse as a JSON object is -EINVAL; on -EINVAL
 * the result is untouched; on success every field is a NUL-terminated
 * string within its array, and each field the format takes from a member
 * is that member's string (or "" when it is absent). */
#include <errno.h>

#include <cJSON.h>

#include "cgroupfs/runtime_state.h"
#include "fuzz.h"

#define FIELD_OK(f) (memchr((f), '\0', sizeof(f)) != NULL)

/* The string at a (then b) of o, or "" when absent; NULL when not a string. */
static const char *member(const cJSON *o, const char *a, const char *b)
{
	const cJSON *j = o ? cJSON_GetObjectItemCaseSensitive(o, a) : NULL;

	if (j && b)
		j = cJSON_GetObjectItemCaseSensitive(j, b);
	if (!j || cJSON_IsNull(j))
		return "";
	return cJSON_IsString(j) ? j->valuestring : NULL;
}

static void same(const char *got, const char *want)
{
	CHECK(want != NULL);
	CHECK(!strcmp(got, want));
}

static void check_fields(enum runtime_state_format fmt, const cJSON *root,
			 const struct container_names *n)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "annotations");
	const cJSON *labels;

	CHECK(FIELD_OK(n->namespace_) && FIELD_OK(n->pod) && FIELD_OK(n->container) &&
	      FIELD_OK(n->image) && FIELD_OK(n->name));
	switch (fmt) {
	case RUNTIME_STATE_CONTAINERD: {
		const char *type = a ? member(a, "io.kubernetes.cri.container-type", NULL) : "";

		if (!type || (strcmp(type, "container") && strcmp(type, "sandbox"))) {
			CHECK(!n->namespace_[0] && !n->pod[0] && !n->container[0] && !n->image[0]);
			break;
		}
		same(n->namespace_, member(a, "io.kubernetes.cri.sandbox-namespace", NULL));
		same(n->pod, member(a, "io.kubernetes.cri.sandbox-name", NULL));
		if (!strcmp(type, "sandbox")) {
			CHECK(!n->container[0]);
			same(n->image, member(a, "io.kubernetes.cri.podsandbox.image-name", NULL));
		} else {
			same(n->container, member(a, "io.kubernetes.cri.container-name", NULL));
			same(n->image, member(a, "io.kubernetes.cri.image-name", NULL));
		}
		CHECK(!n->name[0]);
		break;
	}
	case RUNTIME_STATE_CRIO:
		if (!cJSON_IsObject(a))
			break;
		same(n->namespace_, member(a, "io.kubernetes.pod.namespace", NULL));
		same(n->pod, member(a, "io.kubernetes.pod.name", NULL));
		same(n->container, member(a, "io.kubernetes.container.name", NULL));
		same(n->image, member(a, "io.kubernetes.cri-o.ImageName", NULL));
		break;
	default: {
		const char *name = member(root, "Name", NULL);

		CHECK(name);
		same(n->name, name[0] == '/' ? name + 1 : name);
		labels = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(root, "Config"), "Labels");
		same(n->image, member(root, "Config", "Image"));
		if (cJSON_IsObject(labels))
			same(n->pod, member(labels, "io.kubernetes.pod.name", NULL));
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size);
	cJSON *root = cJSON_ParseWithLength(buf, size);

	for (int fmt = 0; fmt < RUNTIME_STATE_NR; fmt++) {
		struct container_names n, canary;
		int r;

		memset(&n, 0x5a, sizeof(n));
		canary = n;
		r = runtime_state_parse((enum runtime_state_format)fmt, buf, size, &n);
		CHECK(r == 0 || r == -EINVAL);
		if (r < 0) {
			CHECK(!memcmp(&n, &canary, sizeof(n)));
			continue;
		}
		CHECK(cJSON_IsObject(root));
		check_fields((enum runtime_state_format)fmt, root, &n);
	}
	cJSON_Delete(root);
	free(buf);
	return 0;
}
