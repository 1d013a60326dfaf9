// SPDX-License-Identifier: GPL-2.0-only
/* Names of pods and containers from the container runtimes' state files:
 * the parser on fixture files in each runtime's exact format (their sources
 * are named in tests/fixtures/runtime-state/README.md), and the cache that
 * finds them below a --path.rootfs, reads each once, and labels cgroups as
 * the kubelet's cAdvisor does. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixture.h"
#include "unit.h"

#include "cgroupfs/runtime_state.h"
#include "collect/container_names.h"
#include "json/json_identity.h"
#include "json/json_snapshot.h"
#include "lib/macros.h"
#include "prom/cadvisor_text.h"
#include "prom/prom_info.h"

#define STATE CGSCOPE_SRCDIR "/tests/fixtures/runtime-state"
#define CID "3f4e9c2d1b0a89786756453423120f1e2d3c4b5a69788796a5b4c3d2e1f00112"
#define SID "9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9"
#define UID "5f8c1f2e-4b9a-4c7d-9e3f-1a2b3c4d5e6f"
#define UIDS "5f8c1f2e_4b9a_4c7d_9e3f_1a2b3c4d5e6f"

static void parse_fixture(enum runtime_state_format fmt, const char *file,
			  struct container_names *ret)
{
	char path[512];
	size_t len;
	char *buf;

	snprintf(path, sizeof(path), "%s/%s", STATE, file);
	buf = fixture_read(path, &len);
	assert_int_equal(runtime_state_parse(fmt, buf, len, ret), 0);
	free(buf);
}

static void expect(const struct container_names *n, const char *ns, const char *pod,
		   const char *container, const char *image, const char *name)
{
	assert_string_equal(n->namespace_, ns);
	assert_string_equal(n->pod, pod);
	assert_string_equal(n->container, container);
	assert_string_equal(n->image, image);
	assert_string_equal(n->name, name);
}

/* containerd 2.x, internal/cri/annotations/annotations.go: a container has
 * its name and image; the sandbox has no container name (cAdvisor's
 * container="") and the pause image of io.kubernetes.cri.podsandbox.image-name. */
static void test_containerd(void **state)
{
	struct container_names n;

	(void)state;
	parse_fixture(RUNTIME_STATE_CONTAINERD, "containerd-container.config.json", &n);
	expect(&n, "shop", "web-0", "nginx", "docker.io/library/nginx:1.25.3", "");
	parse_fixture(RUNTIME_STATE_CONTAINERD, "containerd-sandbox.config.json", &n);
	expect(&n, "shop", "web-0", "", "registry.k8s.io/pause:3.10", "");
	/* Outside the CRI plugin there is nothing to say, and that is no error. */
	parse_fixture(RUNTIME_STATE_CONTAINERD, "containerd-plain.config.json", &n);
	expect(&n, "", "", "", "", "");
}

/* CRI-O: the kubelet's labels copied into the annotations; the infra
 * container is "POD", named k8s_POD_... (its ContainerName). */
static void test_crio(void **state)
{
	struct container_names n;

	(void)state;
	parse_fixture(RUNTIME_STATE_CRIO, "crio-container.config.json", &n);
	expect(&n, "shop", "web-0", "nginx", "docker.io/library/nginx:1.25.3",
	       "k8s_nginx_web-0_shop_" UID "_0");
	parse_fixture(RUNTIME_STATE_CRIO, "crio-sandbox.config.json", &n);
	expect(&n, "shop", "web-0", "POD", "registry.k8s.io/pause:3.10",
	       "k8s_POD_web-0_shop_" UID "_0");
}

/* Docker outside Kubernetes: its name without "/", the image as given. */
static void test_docker(void **state)
{
	static const char cri_dockerd[] =
		"{\"Name\":\"/k8s_nginx_web-0_shop_" UID "_0\",\"Config\":{\"Image\":\"nginx@sha256:0d17\","
		"\"Labels\":{\"io.kubernetes.pod.name\":\"web-0\",\"io.kubernetes.pod.namespace\":\"shop\","
		"\"io.kubernetes.container.name\":\"nginx\",\"io.kubernetes.docker.type\":\"container\"}}}";
	struct container_names n;

	(void)state;
	parse_fixture(RUNTIME_STATE_DOCKER, "docker.config.v2.json", &n);
	expect(&n, "", "", "", "nginx:1.25.3", "web");
	/* Under cri-dockerd the kubelet's labels are Docker's labels. */
	assert_int_equal(runtime_state_parse(RUNTIME_STATE_DOCKER, cri_dockerd,
					     strlen(cri_dockerd), &n), 0);
	expect(&n, "shop", "web-0", "nginx", "nginx@sha256:0d17", "k8s_nginx_web-0_shop_" UID "_0");
}

/* What a runtime never writes: -EINVAL, and ret untouched. */
static void test_malformed(void **state)
{
	static const struct {
		enum runtime_state_format fmt;
		const char *text;
	} bad[] = {
		{ RUNTIME_STATE_CONTAINERD, "" },
		{ RUNTIME_STATE_CONTAINERD, "not json" },
		{ RUNTIME_STATE_CONTAINERD, "[1,2]" },
		{ RUNTIME_STATE_CONTAINERD, "\"annotations\"" },
		{ RUNTIME_STATE_CONTAINERD, "{\"annotations\":[]}" },
		{ RUNTIME_STATE_CONTAINERD, "{\"annotations\":{\"io.kubernetes.cri.container-type\":7}}" },
		{ RUNTIME_STATE_CONTAINERD, "{\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\","
					    "\"io.kubernetes.cri.sandbox-name\":{}}}" },
		{ RUNTIME_STATE_CONTAINERD, "{\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\"" },
		{ RUNTIME_STATE_CRIO, "{\"annotations\":{\"io.kubernetes.pod.name\":true}}" },
		{ RUNTIME_STATE_DOCKER, "{\"Name\":[],\"Config\":{}}" },
		{ RUNTIME_STATE_DOCKER, "{\"Name\":\"/a\",\"Config\":\"x\"}" },
		{ RUNTIME_STATE_DOCKER, "{\"Name\":\"/a\",\"Config\":{\"Labels\":[]}}" },
	};
	struct container_names n, before;
	char *longname;
	size_t k;

	(void)state;
	memset(&n, 'x', sizeof(n));
	before = n;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (runtime_state_parse(bad[i].fmt, bad[i].text, strlen(bad[i].text), &n) != -EINVAL)
			fail_msg("accepted: %s", bad[i].text);
		assert_memory_equal(&n, &before, sizeof(n));
	}
	/* A namespace longer than its field is not truncated into another's. */
	longname = malloc(1000);
	k = (size_t)sprintf(longname, "{\"annotations\":{\"io.kubernetes.pod.namespace\":\"");
	memset(longname + k, 'a', 300);
	strcpy(longname + k + 300, "\"}}");
	assert_int_equal(runtime_state_parse(RUNTIME_STATE_CRIO, longname, strlen(longname), &n), -EINVAL);
	free(longname);
	/* The length is the buffer's: the bytes after it are not read. */
	assert_int_equal(runtime_state_parse(RUNTIME_STATE_DOCKER, "{\"Name\":\"/a\"}garbage", 13, &n), 0);
	assert_string_equal(n.name, "a");
	assert_int_equal(runtime_state_parse(RUNTIME_STATE_NR, "{}", 2, &n), -EINVAL);
}

/* --- the cache, on a scratch root filesystem ----------------------------- */

struct rootfs {
	char dir[64];
};

static void mkdirs(const char *path, mode_t mode)
{
	char tmp[1024];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(tmp, 0755);
		*p = '/';
	}
	mkdir(tmp, mode);
}

static void put_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* A containerd bundle as NewBundle makes it: the bundle directory 0700. */
static void put_bundle(struct rootfs *r, const char *id, const char *fixture)
{
	char dir[512], path[600], src[512];
	size_t len;
	char *buf;

	snprintf(dir, sizeof(dir), "%s/run/containerd/io.containerd.runtime.v2.task/k8s.io/%s",
		 r->dir, id);
	mkdirs(dir, 0700);
	snprintf(path, sizeof(path), "%s/config.json", dir);
	snprintf(src, sizeof(src), "%s/%s", STATE, fixture);
	buf = fixture_read(src, &len);
	put_file(path, buf, len);
	free(buf);
}

static void rootfs_remove(struct rootfs *r)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
	assert_int_equal(system(cmd), 0);
}

/* A snapshot of the given paths (tree order), ids 1, 2, ... */
static struct snapshot *snapshot_of(const char *const *paths, size_t n)
{
	struct snapshot *s = snapshot_new();
	struct strbuf sb = {0};

	s->cgroups = calloc(n, sizeof(*s->cgroups));
	for (size_t i = 0; i < n; i++) {
		s->cgroups[i].id = i + 1;
		s->cgroups[i].path_off = (uint32_t)sb.len;
		sb_append(&sb, paths[i], strlen(paths[i]) + 1);
	}
	s->n = n;
	s->strings = sb_steal(&sb, &s->strings_len);
	return s;
}

#define POD "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UIDS ".slice"
/* A pod of another runtime's making (cgroupfs driver, bare ids). */
#define OTHER_CID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define BAD_CID "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HUGE_CID "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define CRIO_CID "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define DOCKER_CID "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
#define PODMAN_CID "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"

static const char *const tree[] = {
	"/",
	"/kubepods.slice",
	"/kubepods.slice/kubepods-burstable.slice",
	POD,
	POD "/cri-containerd-" SID ".scope",
	POD "/cri-containerd-" CID ".scope",
	POD "/cri-containerd-" CID ".scope/made-by-the-container",
	"/kubepods/besteffort/pod11111111-2222-3333-4444-555555555555/" OTHER_CID,
	"/system.slice/docker-" BAD_CID ".scope",
	"/system.slice/docker-" HUGE_CID ".scope",
	"/system.slice/nginx.service",
	"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod11111111_2222_3333_4444_555555555555.slice/crio-" CRIO_CID ".scope",
	"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod11111111_2222_3333_4444_555555555555.slice/crio-conmon-" CRIO_CID ".scope",
	"/system.slice/docker-" DOCKER_CID ".scope",
	"/machine.slice/libpod-" PODMAN_CID ".scope",
};

static void expect_names(const struct snapshot *s, size_t i, const char *ns, const char *pod,
			 const char *container, const char *image, const char *name)
{
	if (strcmp(sample_name(s, i, CN_NAMESPACE), ns) || strcmp(sample_name(s, i, CN_POD), pod) ||
	    strcmp(sample_name(s, i, CN_CONTAINER), container) ||
	    strcmp(sample_name(s, i, CN_IMAGE), image) || strcmp(sample_name(s, i, CN_NAME), name))
		fail_msg("%s:\n got  %s/%s/%s image=%s name=%s\n want %s/%s/%s image=%s name=%s",
			 sample_path(s, &s->cgroups[i]), sample_name(s, i, CN_NAMESPACE),
			 sample_name(s, i, CN_POD), sample_name(s, i, CN_CONTAINER),
			 sample_name(s, i, CN_IMAGE), sample_name(s, i, CN_NAME), ns, pod, container,
			 image, name);
}

/* A fixture file at a path below the rootfs, its directories made. */
static void put_state(struct rootfs *r, const char *dir, const char *file, const char *fixture)
{
	char path[700], src[512];
	size_t len;
	char *buf;

	snprintf(path, sizeof(path), "%s/%s", r->dir, dir);
	mkdirs(path, 0700);
	snprintf(path, sizeof(path), "%s/%s/%s", r->dir, dir, file);
	snprintf(src, sizeof(src), "%s/%s", STATE, fixture);
	buf = fixture_read(src, &len);
	put_file(path, buf, len);
	free(buf);
}

static void setup_rootfs(struct rootfs *r)
{
	char path[512], *huge;

	strcpy(r->dir, "/tmp/cgscope-rootfs-XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	put_bundle(r, SID, "containerd-sandbox.config.json");
	put_bundle(r, CID, "containerd-container.config.json");
	/* Docker: one malformed, one larger than the limit. */
	snprintf(path, sizeof(path), "%s/var/lib/docker/containers/" BAD_CID, r->dir);
	mkdirs(path, 0710);
	strcat(path, "/config.v2.json");
	put_file(path, "{\"Name\":", 8);
	snprintf(path, sizeof(path), "%s/var/lib/docker/containers/" HUGE_CID, r->dir);
	mkdirs(path, 0710);
	strcat(path, "/config.v2.json");
	huge = malloc(RUNTIME_STATE_MAX_BYTES + 2);
	memset(huge, ' ', RUNTIME_STATE_MAX_BYTES + 2);
	memcpy(huge, "{}", 2);
	put_file(path, huge, RUNTIME_STATE_MAX_BYTES + 2);
	free(huge);
	/* CRI-O's run directory and Docker's data root, at their defaults. */
	put_state(r, "run/containers/storage/overlay-containers/" CRIO_CID "/userdata", "config.json",
		  "crio-container.config.json");
	put_state(r, "var/lib/docker/containers/" DOCKER_CID, "config.v2.json", "docker.config.v2.json");
}

static void test_cache(void **state)
{
	struct container_names_cache *c;
	struct container_names_errors e;
	struct snapshot *s, *t;
	struct rootfs r;
	char path[512];

	(void)state;
	setup_rootfs(&r);
	/* A trailing slash, as a user may type it. */
	snprintf(path, sizeof(path), "%s/", r.dir);
	assert_int_equal(container_names_new(path, &c), 0);
	s = snapshot_of(tree, ARRAY_SIZE(tree));
	container_names_update(c, s);
	assert_int_equal(container_names_attach(c, s), 0);

	expect_names(s, 0, "", "", "", "", "");
	expect_names(s, 1, "", "", "", "", "");		/* kubepods: nobody's */
	expect_names(s, 2, "", "", "", "", "");		/* the QoS level */
	expect_names(s, 3, "shop", "web-0", "", "", "");	/* the pod, as the kubelet names it */
	expect_names(s, 4, "shop", "web-0", "", "registry.k8s.io/pause:3.10", "");
	expect_names(s, 5, "shop", "web-0", "nginx", "docker.io/library/nginx:1.25.3", "");
	/* Below a container's own cgroup: not counted twice in a pod's sum. */
	expect_names(s, 6, "", "", "", "", "");
	expect_names(s, 7, "", "", "", "", "");		/* no state anywhere */
	expect_names(s, 8, "", "", "", "", "");		/* malformed */
	expect_names(s, 9, "", "", "", "", "");		/* too large */
	expect_names(s, 10, "", "", "", "", "");
	expect_names(s, 11, "shop", "web-0", "nginx", "docker.io/library/nginx:1.25.3",
		     "k8s_nginx_web-0_shop_" UID "_0");
	expect_names(s, 12, "", "", "", "", "");	/* conmon: the runtime's, no one's */
	expect_names(s, 13, "", "", "", "nginx:1.25.3", "web");
	expect_names(s, 14, "", "", "", "", "");	/* Podman: not looked up, no error */

	container_names_errors(c, &e);
	assert_int_equal(e.count[IDERR_MISSING], 1);
	assert_int_equal(e.count[IDERR_MALFORMED], 1);
	assert_int_equal(e.count[IDERR_TOO_LARGE], 1);
	assert_int_equal(e.count[IDERR_UNREADABLE], 0);
	assert_int_equal(e.total, 3);
	assert_memory_equal(s->identity_errors, e.count, sizeof(e.count));
	/* The cgroupfs driver's bare id: every runtime's place was tried, and
	 * the last path named is the last tried. */
	assert_int_equal(container_names_count(c), 8);

	/* Read once: a changed file is not read again while the container
	 * lives, and the errors are not counted again. */
	put_bundle(&r, CID, "containerd-sandbox.config.json");
	t = snapshot_of(tree, ARRAY_SIZE(tree));
	container_names_update(c, t);
	assert_int_equal(container_names_attach(c, t), 0);
	expect_names(t, 5, "shop", "web-0", "nginx", "docker.io/library/nginx:1.25.3", "");
	container_names_errors(c, &e);
	assert_int_equal(e.total, 3);
	snapshot_unref(t);

	/* Gone, then back (a new container with that id): read anew. */
	t = snapshot_of(tree, 5);
	container_names_update(c, t);
	assert_int_equal(container_names_count(c), 1);
	snapshot_unref(t);
	t = snapshot_of(tree, ARRAY_SIZE(tree));
	container_names_update(c, t);
	assert_int_equal(container_names_attach(c, t), 0);
	expect_names(t, 5, "shop", "web-0", "", "registry.k8s.io/pause:3.10", "");
	container_names_errors(c, &e);
	assert_int_equal(e.total, 6);
	snapshot_unref(t);

	snapshot_unref(s);
	container_names_free(c);
	rootfs_remove(&r);
}

/* The labels on cgroup_info, on cAdvisor's families and in the JSON API,
 * and back from the JSON (top --url). */
static void test_exported(void **state)
{
	struct container_names_cache *c;
	struct snapshot *s, *back;
	struct strbuf sb = {0};
	struct rootfs r;

	(void)state;
	setup_rootfs(&r);
	assert_int_equal(container_names_new(r.dir, &c), 0);
	s = snapshot_of(tree, ARRAY_SIZE(tree));
	for (size_t i = 0; i < s->n; i++) {
		s->cgroups[i].v.present = 1u << F_CPU_STAT;
		s->cgroups[i].v.cpu[CPU_USAGE] = 1000000 * (i + 1);
	}
	container_names_update(c, s);
	assert_int_equal(container_names_attach(c, s), 0);

	prom_render_info(s, &sb);
	assert_int_equal(sb_error(&sb), 0);
	assert_non_null(strstr(sb.buf, "\ncgroup_info{cgroup=\"" POD "/cri-containerd-" CID ".scope\",id=\"6\","
				"unit=\"cri-containerd-" CID ".scope\",container_id=\"" CID "\",runtime=\"containerd\","
				"pod_uid=\"" UID "\",qos_class=\"burstable\",namespace=\"shop\",pod=\"web-0\","
				"container=\"nginx\",image=\"docker.io/library/nginx:1.25.3\"} 1\n"));
	assert_non_null(strstr(sb.buf, "\ncgroup_info{cgroup=\"/\",id=\"1\",unit=\"\",container_id=\"\",runtime=\"\","
				"pod_uid=\"\",qos_class=\"\",namespace=\"\",pod=\"\",container=\"\",image=\"\"} 1\n"));
	assert_non_null(strstr(sb.buf, "\n# TYPE cgscope_identity_errors_total counter\n"
				"cgscope_identity_errors_total{reason=\"missing\"} 1\n"
				"cgscope_identity_errors_total{reason=\"unreadable\"} 0\n"
				"cgscope_identity_errors_total{reason=\"malformed\"} 1\n"
				"cgscope_identity_errors_total{reason=\"too_large\"} 1\n"));
	sb_free(&sb);

	assert_int_equal(cadvisor_render_devnames(s, NULL, &sb), 0);
	assert_non_null(strstr(sb.buf, "\ncontainer_cpu_usage_seconds_total{container=\"nginx\",id=\"" POD "/cri-containerd-" CID ".scope\","
				"image=\"docker.io/library/nginx:1.25.3\",name=\"" CID "\",namespace=\"shop\",pod=\"web-0\",cpu=\"total\"} 6\n"));
	assert_non_null(strstr(sb.buf, "\ncontainer_cpu_usage_seconds_total{container=\"\",id=\"" POD "/cri-containerd-" SID ".scope\","
				"image=\"registry.k8s.io/pause:3.10\",name=\"" SID "\",namespace=\"shop\",pod=\"web-0\",cpu=\"total\"} 5\n"));
	assert_non_null(strstr(sb.buf, "\ncontainer_cpu_usage_seconds_total{container=\"\",id=\"" POD "\","
				"image=\"\",name=\"\",namespace=\"shop\",pod=\"web-0\",cpu=\"total\"} 4\n"));
	sb_free(&sb);

	assert_int_equal(json_snapshot(s, NULL, &sb), 0);
	assert_non_null(strstr(sb.buf, "\"identity\":{\"unit\":\"cri-containerd-" CID ".scope\",\"container_id\":\"" CID "\","
				"\"runtime\":\"containerd\",\"pod_uid\":\"" UID "\",\"qos_class\":\"burstable\","
				"\"namespace\":\"shop\",\"pod\":\"web-0\",\"container\":\"nginx\","
				"\"image\":\"docker.io/library/nginx:1.25.3\"}"));
	assert_int_equal(json_parse_snapshot(sb.buf, sb.len, &back), 0);
	assert_int_equal(back->n, s->n);
	for (size_t i = 0; i < s->n; i++)
		for (int f = 0; f < CN_NAME; f++)
			assert_string_equal(sample_name(back, i, (enum cgroup_name)f),
					    sample_name(s, i, (enum cgroup_name)f));
	snapshot_unref(back);
	sb_free(&sb);

	snapshot_unref(s);
	container_names_free(c);
	rootfs_remove(&r);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_containerd),
		cmocka_unit_test(test_crio),
		cmocka_unit_test(test_docker),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_exported),
	};
	return UNIT_RUN("runtime_state", tests, argc, argv);
}
