// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>

#include "cgroupfs/identity.h"
#include "json/json_identity.h"
#include "lib/utf8.h"

/* The JSON keys of the names, in enum cgroup_name's order; cAdvisor's
 * `name` is not repeated: it is container_id or the runtime's name. */
static const char *const name_keys[CN_NR] = {
	[CN_NAMESPACE] = "namespace", [CN_POD] = "pod", [CN_CONTAINER] = "container",
	[CN_IMAGE] = "image", [CN_NAME] = NULL,
};

int json_write_identity(struct json_writer *w, const struct snapshot *s, size_t i)
{
	struct cgroup_identity id;
	int r = cgroup_identity_parse(sample_path(s, &s->cgroups[i]), &id);

	if (r < 0)
		return r;
	jw_key(w, "identity");
	jw_object(w);
	jw_key(w, "unit");
	jw_string(w, id.unit);
	jw_key(w, "container_id");
	jw_string(w, id.container_id);
	jw_key(w, "runtime");
	jw_string(w, id.runtime);
	jw_key(w, "pod_uid");
	jw_string(w, id.pod_uid);
	jw_key(w, "qos_class");
	jw_string(w, id.qos_class);
	for (int f = 0; f < CN_NR; f++) {
		if (!name_keys[f])
			continue;
		jw_key(w, name_keys[f]);
		jw_string(w, sample_name(s, i, (enum cgroup_name)f));
	}
	jw_object_end(w);
	return 0;
}

int json_read_identity_names(const cJSON *identity, struct strbuf *strings,
			     uint32_t ret[CN_NR])
{
	int any = 0;

	memset(ret, 0, sizeof(uint32_t) * CN_NR);
	for (int f = 0; f < CN_NR; f++) {
		const cJSON *j;

		if (!name_keys[f])
			continue;
		j = cJSON_GetObjectItemCaseSensitive(identity, name_keys[f]);
		if (!cJSON_IsString(j))
			continue;
		any = 1;
		if (!j->valuestring[0])
			continue;
		ret[f] = (uint32_t)strings->len;
		/* The writer escaped what is not UTF-8 (lib/utf8.h). */
		if (utf8_unescape(strings, j->valuestring, strlen(j->valuestring)) < 0)
			return -EINVAL;
		sb_putc(strings, '\0');
	}
	return any;
}
