// SPDX-License-Identifier: GPL-2.0-only
#include "cgroupfs/identity.h"
#include "json/json_identity.h"

int json_write_identity(struct json_writer *w, const char *path)
{
	struct cgroup_identity id;
	int r = cgroup_identity_parse(path, &id);

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
	jw_object_end(w);
	return 0;
}
