// SPDX-License-Identifier: GPL-2.0-only
/* Who owns a cgroup, from paths shaped as systemd, Docker, containerd, CRI-O,
 * Podman and the kubelet (systemd and cgroupfs drivers) lay them out. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "cgroupfs/identity.h"
#include "json/json_identity.h"
#include "prom/prom_info.h"
#include "lib/macros.h"

#define CID  "3f4e9c2d1b0a89786756453423120f1e2d3c4b5a69788796a5b4c3d2e1f00112"
#define CID2 "9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9"
#define UID_DASH "5f8c1f2e-4b9a-4c7d-9e3f-1a2b3c4d5e6f"
#define UID_SYSD "5f8c1f2e_4b9a_4c7d_9e3f_1a2b3c4d5e6f"
#define UID_STATIC "0d1c9e7f3a5b4c2d8e6f1a0b9c8d7e6f"

struct want {
	const char *path, *unit, *container_id, *runtime, *pod_uid, *qos_class;
};

static void check(const struct want *w)
{
	struct cgroup_identity id;

	if (cgroup_identity_parse(w->path, &id) != 0)
		fail_msg("%s: not parsed", w->path);
	if (strcmp(id.unit, w->unit) || strcmp(id.container_id, w->container_id) ||
	    strcmp(id.runtime, w->runtime) || strcmp(id.pod_uid, w->pod_uid) ||
	    strcmp(id.qos_class, w->qos_class))
		fail_msg("%s:\n got  unit=%s cid=%s runtime=%s pod=%s qos=%s\n want unit=%s cid=%s runtime=%s pod=%s qos=%s",
			 w->path, id.unit, id.container_id, id.runtime, id.pod_uid, id.qos_class,
			 w->unit, w->container_id, w->runtime, w->pod_uid, w->qos_class);
}

static void check_all(const struct want *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		check(&w[i]);
}

#define CHECK_ALL(arr) check_all(arr, ARRAY_SIZE(arr))

static void test_systemd(void **state)
{
	static const struct want w[] = {
		{ "/", "", "", "", "", "" },
		{ "/init.scope", "init.scope", "", "", "", "" },
		{ "/system.slice", "system.slice", "", "", "", "" },
		{ "/system.slice/nginx.service", "nginx.service", "", "", "", "" },
		{ "/system.slice/system-getty.slice/getty@tty1.service", "getty@tty1.service", "", "", "", "" },
		/* A subgroup a service made in its delegated subtree. */
		{ "/system.slice/nginx.service/worker", "nginx.service", "", "", "", "" },
		{ "/user.slice/user-1000.slice", "user-1000.slice", "", "", "", "" },
		{ "/user.slice/user-1000.slice/session-3.scope", "session-3.scope", "", "", "", "" },
		{ "/user.slice/user-1000.slice/user@1000.service/app.slice/app-org.gnome.Terminal.slice/vte-spawn-0b5e7c2a-7f3e-4a8e-9d6c-2f1e8b3c4d5a.scope",
		  "vte-spawn-0b5e7c2a-7f3e-4a8e-9d6c-2f1e8b3c4d5a.scope", "", "", "", "" },
		{ "/system.slice/docker.service", "docker.service", "", "", "", "" },
		{ "/system.slice/containerd.service", "containerd.service", "", "", "", "" },
		{ "/sys-fs-fuse-connections.mount", "sys-fs-fuse-connections.mount", "", "", "", "" },
		/* Not units: no known suffix, or nothing before it. */
		{ "/workload", "", "", "", "", "" },
		{ "/.service", "", "", "", "", "" },
		{ "//system.slice//nginx.service/", "nginx.service", "", "", "", "" },
	};

	(void)state;
	CHECK_ALL(w);
}

static void test_docker(void **state)
{
	static const struct want w[] = {
		/* systemd cgroup driver (Docker's default on systemd hosts) */
		{ "/system.slice/docker-" CID ".scope", "docker-" CID ".scope", CID, "docker", "", "" },
		{ "/system.slice/docker-" CID ".scope/init", "docker-" CID ".scope", CID, "docker", "", "" },
		/* cgroupfs driver */
		{ "/docker/" CID, "", CID, "docker", "", "" },
		/* Docker in Docker: the inner container wins. */
		{ "/docker/" CID "/docker/" CID2, "", CID2, "docker", "", "" },
		/* Not containers: a short id, a name, a non-hex id. */
		{ "/docker/registry", "", "", "", "", "" },
		{ "/docker/3f4e9c2d1b0a", "", "", "", "", "" },
		{ "/system.slice/docker-compose@web.service", "docker-compose@web.service", "", "", "", "" },
		{ "/system.slice/docker-" CID "X.scope", "docker-" CID "X.scope", "", "", "", "" },
	};

	(void)state;
	CHECK_ALL(w);
}

static void test_kubernetes_systemd(void **state)
{
	static const struct want w[] = {
		{ "/kubepods.slice", "kubepods.slice", "", "", "", "" },
		{ "/kubepods.slice/kubepods-burstable.slice", "kubepods-burstable.slice", "", "", "", "burstable" },
		{ "/kubepods.slice/kubepods-besteffort.slice", "kubepods-besteffort.slice", "", "", "", "besteffort" },
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_SYSD ".slice",
		  "kubepods-burstable-pod" UID_SYSD ".slice", "", "", UID_DASH, "burstable" },
		/* containerd */
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_SYSD ".slice/cri-containerd-" CID ".scope",
		  "cri-containerd-" CID ".scope", CID, "containerd", UID_DASH, "burstable" },
		/* Guaranteed pods sit directly below kubepods.slice. */
		{ "/kubepods.slice/kubepods-pod" UID_SYSD ".slice/cri-containerd-" CID ".scope",
		  "cri-containerd-" CID ".scope", CID, "containerd", UID_DASH, "guaranteed" },
		{ "/kubepods.slice/kubepods-pod" UID_SYSD ".slice", "kubepods-pod" UID_SYSD ".slice", "", "", UID_DASH, "guaranteed" },
		/* CRI-O, and its conmon: the runtime's, not the container's. */
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_SYSD ".slice/crio-" CID ".scope",
		  "crio-" CID ".scope", CID, "cri-o", UID_DASH, "besteffort" },
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_SYSD ".slice/crio-conmon-" CID ".scope",
		  "crio-conmon-" CID ".scope", "", "cri-o", UID_DASH, "besteffort" },
		/* The pause container's cgroup below it (CRI-O's infra container). */
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_SYSD ".slice/crio-" CID ".scope/container",
		  "crio-" CID ".scope", CID, "cri-o", UID_DASH, "besteffort" },
		/* A static (mirror) pod: its UID is a hash, 32 hex digits. */
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_STATIC ".slice/cri-containerd-" CID ".scope",
		  "cri-containerd-" CID ".scope", CID, "containerd", UID_STATIC, "burstable" },
		/* A kubelet with --cgroup-root=/kubelet.slice (kind, nested nodes). */
		{ "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-burstable.slice/kubelet-kubepods-burstable-pod" UID_SYSD ".slice/cri-containerd-" CID ".scope",
		  "cri-containerd-" CID ".scope", CID, "containerd", UID_DASH, "burstable" },
		/* Docker through cri-dockerd with the systemd driver. */
		{ "/kubepods.slice/kubepods-pod" UID_SYSD ".slice/docker-" CID ".scope",
		  "docker-" CID ".scope", CID, "docker", UID_DASH, "guaranteed" },
		/* Lookalikes that are not the kubelet's. */
		{ "/system.slice/mykubepods.slice", "mykubepods.slice", "", "", "", "" },
		{ "/kubepods.slice/kubepods-podnotauid.slice", "kubepods-podnotauid.slice", "", "", "", "" },
	};

	(void)state;
	CHECK_ALL(w);
}

static void test_kubernetes_cgroupfs(void **state)
{
	static const struct want w[] = {
		{ "/kubepods", "", "", "", "", "" },
		{ "/kubepods/burstable", "", "", "", "", "burstable" },
		{ "/kubepods/besteffort", "", "", "", "", "besteffort" },
		{ "/kubepods/burstable/pod" UID_DASH, "", "", "", UID_DASH, "burstable" },
		/* containerd (or Docker): a bare id, whatever the runtime. */
		{ "/kubepods/burstable/pod" UID_DASH "/" CID, "", CID, "", UID_DASH, "burstable" },
		{ "/kubepods/pod" UID_DASH "/" CID, "", CID, "", UID_DASH, "guaranteed" },
		{ "/kubepods/besteffort/pod" UID_DASH "/" CID, "", CID, "", UID_DASH, "besteffort" },
		/* CRI-O's cgroupfs names. */
		{ "/kubepods/besteffort/pod" UID_DASH "/crio-" CID, "", CID, "cri-o", UID_DASH, "besteffort" },
		{ "/kubepods/besteffort/pod" UID_DASH "/crio-conmon-" CID, "", "", "cri-o", UID_DASH, "besteffort" },
		/* --cgroup-root=/kubelet */
		{ "/kubelet/kubepods/burstable/pod" UID_DASH "/" CID, "", CID, "", UID_DASH, "burstable" },
		/* Levels are positional: a "burstable" or a pod elsewhere is not one. */
		{ "/kubepods/burstable/pod" UID_DASH "/" CID "/burstable", "", CID, "", UID_DASH, "burstable" },
		{ "/other/burstable/pod" UID_DASH "/" CID, "", "", "", "", "" },
		{ "/kubepods/burstable/" CID, "", "", "", "", "burstable" },
	};

	(void)state;
	CHECK_ALL(w);
}

static void test_podman(void **state)
{
	static const struct want w[] = {
		/* rootful, systemd driver */
		{ "/machine.slice/libpod-" CID ".scope", "libpod-" CID ".scope", CID, "podman", "", "" },
		/* with --cgroups=split or a systemd inside: a subgroup */
		{ "/machine.slice/libpod-" CID ".scope/container", "libpod-" CID ".scope", CID, "podman", "", "" },
		{ "/machine.slice/libpod-conmon-" CID ".scope", "libpod-conmon-" CID ".scope", "", "podman", "", "" },
		/* in a Podman pod (not a Kubernetes pod: no pod_uid) */
		{ "/machine.slice/machine-libpod_pod_" CID2 ".slice/libpod-" CID ".scope",
		  "libpod-" CID ".scope", CID, "podman", "", "" },
		/* rootless */
		{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" CID ".scope",
		  "libpod-" CID ".scope", CID, "podman", "", "" },
		/* cgroupfs driver */
		{ "/libpod_parent/libpod-" CID, "", CID, "podman", "", "" },
	};

	(void)state;
	CHECK_ALL(w);
}

static void test_errors(void **state)
{
	struct cgroup_identity id;

	(void)state;
	memset(&id, 'x', sizeof(id));
	assert_int_equal(cgroup_identity_parse("system.slice/nginx.service", &id), -EINVAL);
	assert_int_equal(cgroup_identity_parse("", &id), -EINVAL);
	assert_int_equal(cgroup_identity_parse(NULL, &id), -EINVAL);
	/* Outputs are written only on success. */
	assert_int_equal(id.unit[0], 'x');
	/* A unit name longer than systemd allows is not a unit, and nothing
	 * overflows. */
	{
		char path[600] = "/";

		memset(path + 1, 'a', 400);
		strcpy(path + 401, ".service");
		assert_int_equal(cgroup_identity_parse(path, &id), 0);
		assert_string_equal(id.unit, "");
	}
}

/* The same, as cgroup_info series and as the JSON API's "identity". */
static void test_exported(void **state)
{
	static const char paths[] = "/\0/kubepods.slice/kubepods-pod" UID_SYSD ".slice/cri-containerd-" CID ".scope\0/a\"b\\c";
	struct snapshot *s = snapshot_new();
	struct strbuf sb = {0};
	struct json_writer w;

	(void)state;
	s->strings = malloc(sizeof(paths));
	memcpy(s->strings, paths, sizeof(paths));
	s->strings_len = sizeof(paths);
	s->n = 3;
	s->cgroups = calloc(3, sizeof(*s->cgroups));
	s->cgroups[0].id = 1;
	s->cgroups[1].id = 18446744073709551557u;	/* ids are full u64 */
	s->cgroups[1].path_off = 2;
	s->cgroups[2].id = 7;
	s->cgroups[2].path_off = (uint32_t)(2 + strlen(paths + 2) + 1);
	prom_render_info(s, &sb);
	assert_int_equal(sb_error(&sb), 0);
	assert_non_null(strstr(sb.buf, "\n# TYPE cgroup_info gauge\n"));
	assert_non_null(strstr(sb.buf, "\ncgroup_info{cgroup=\"/\",id=\"1\",unit=\"\",container_id=\"\",runtime=\"\",pod_uid=\"\",qos_class=\"\",namespace=\"\",pod=\"\",container=\"\",image=\"\"} 1\n"));
	assert_non_null(strstr(sb.buf, "\ncgroup_info{cgroup=\"/kubepods.slice/kubepods-pod" UID_SYSD ".slice/cri-containerd-" CID ".scope\",id=\"18446744073709551557\","
				"unit=\"cri-containerd-" CID ".scope\",container_id=\"" CID "\",runtime=\"containerd\",pod_uid=\"" UID_DASH "\",qos_class=\"guaranteed\",namespace=\"\",pod=\"\",container=\"\",image=\"\"} 1\n"));
	/* Label values escaped. */
	assert_non_null(strstr(sb.buf, "\ncgroup_info{cgroup=\"/a\\\"b\\\\c\",id=\"7\","));
	sb_free(&sb);

	w = json_writer_on(&sb);
	jw_object(&w);
	assert_int_equal(json_write_identity(&w, s, 1), 0);
	jw_object_end(&w);
	assert_string_equal(sb.buf, "{\"identity\":{\"unit\":\"cri-containerd-" CID ".scope\",\"container_id\":\"" CID "\","
			    "\"runtime\":\"containerd\",\"pod_uid\":\"" UID_DASH "\",\"qos_class\":\"guaranteed\","
			    "\"namespace\":\"\",\"pod\":\"\",\"container\":\"\",\"image\":\"\"}}");
	sb_free(&sb);
	w = json_writer_on(&sb);
	jw_object(&w);
	assert_int_equal(json_write_identity(&w, s, 0), 0);
	s->strings[0] = 'x';	/* not absolute */
	assert_int_equal(json_write_identity(&w, s, 0), -EINVAL);	/* writes nothing */
	jw_object_end(&w);
	assert_string_equal(sb.buf, "{\"identity\":{\"unit\":\"\",\"container_id\":\"\",\"runtime\":\"\",\"pod_uid\":\"\",\"qos_class\":\"\","
			    "\"namespace\":\"\",\"pod\":\"\",\"container\":\"\",\"image\":\"\"}}");
	sb_free(&sb);
	snapshot_unref(s);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_systemd),
		cmocka_unit_test(test_docker),
		cmocka_unit_test(test_kubernetes_systemd),
		cmocka_unit_test(test_kubernetes_cgroupfs),
		cmocka_unit_test(test_podman),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_exported),
	};
	return UNIT_RUN("identity", tests, argc, argv);
}
