// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>

#include "identity.h"
#include "json_identity.h"

int json_add_identity(cJSON *obj, const char *path)
{
	struct cgroup_identity id;
	cJSON *o;
	int r = cgroup_identity_parse(path, &id);

	if (r < 0)
		return r;
	o = cJSON_CreateObject();
	if (!o)
		return -ENOMEM;
	if (!cJSON_AddStringToObject(o, "unit", id.unit) ||
	    !cJSON_AddStringToObject(o, "container_id", id.container_id) ||
	    !cJSON_AddStringToObject(o, "runtime", id.runtime) ||
	    !cJSON_AddStringToObject(o, "pod_uid", id.pod_uid) ||
	    !cJSON_AddStringToObject(o, "qos_class", id.qos_class) ||
	    !cJSON_AddItemToObject(obj, "identity", o)) {
		cJSON_Delete(o);
		return -ENOMEM;
	}
	return 0;
}
