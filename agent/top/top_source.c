// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <cJSON.h>

#include "collect/collector.h"
#include "collect/container_names.h"
#include "events/hook.h"
#include "top/http_get.h"
#include "json/json_snapshot.h"
#include "top/top_rows.h"
#include "top/top_source.h"

/* An agent that does not answer within this is shown as an error, and top
 * stays responsive to keys. */
#define HTTP_TIMEOUT_MS 5000
#define HTTP_MAX_BODY (512u << 20)
/* The agent's status (which BPF hooks it uses) changes rarely. */
#define STATUS_EVERY 10

struct top_source {
	char *name;
	/* local */
	struct collector *collector;
	/* Pod and container names, from this host's runtimes' state. */
	struct container_names_cache *names;
	int root_fd;
	/* agent */
	struct http_url url;
	uint64_t last_cycle;
	int64_t last_ms;
	uint64_t next_seq;
	unsigned fetches;
	bool status_read;		/* the agent's status came once */
	char events_desc[96];
	char host[256], kernel[128];
	uint64_t read_errors;		/* the collector's, at the last fetch */
	char warning[512];
};

int top_source_open_local(const char *root, struct top_source **ret)
{
	struct top_source *s = calloc(1, sizeof(*s));
	struct utsname u;
	int r;

	if (!s)
		return -ENOMEM;
	s->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->root_fd < 0) {
		r = -errno;
		goto fail;
	}
	s->name = strdup(root);
	if (!s->name) {
		r = -ENOMEM;
		goto fail;
	}
	r = collector_new(root, &s->collector);
	if (r < 0)
		goto fail;
	r = container_names_new("/", &s->names);
	if (r < 0)
		goto fail;
	/* top loads no BPF: what it can say happened is what two snapshots
	 * differ by. */
	snprintf(s->events_desc, sizeof(s->events_desc), "BPF events: off (derived from snapshots)");
	if (uname(&u) == 0) {
		snprintf(s->host, sizeof(s->host), "%s", u.nodename);
		snprintf(s->kernel, sizeof(s->kernel), "%s", u.release);
	}
	*ret = s;
	return 0;
fail:
	top_source_free(s);
	return r;
}

int top_source_open_url(const char *url, const struct top_url_opts *o,
			struct top_source **ret, char *err, size_t errsize)
{
	struct top_source *s = calloc(1, sizeof(*s));
	char name[1024];
	int r;

	if (!s)
		return -ENOMEM;
	s->root_fd = -1;
	r = http_url_parse(url, &s->url);
	if (r < 0) {
		free(s);
		return r;
	}
	if (!s->url.auth[0] && o && o->auth)
		snprintf(s->url.auth, sizeof(s->url.auth), "%s", o->auth);
	if (s->url.https) {
		r = http_tls_client_new(o ? o->ca_file : NULL, o ? o->cert_file : NULL,
					o ? o->key_file : NULL, &s->url.tls, err, errsize);
		if (r < 0) {
			explicit_bzero(s->url.auth, sizeof(s->url.auth));
			free(s);
			return r == -ENOMEM ? r : -ENOKEY;
		}
	}
	/* Shown in the header and in errors: never the password. */
	http_url_display(&s->url, name, sizeof(name));
	s->name = strdup(name);
	if (!s->name) {
		top_source_free(s);
		return -ENOMEM;
	}
	snprintf(s->events_desc, sizeof(s->events_desc), "BPF events: unknown");
	/* The agent's host, not ours; its status may tell the kernel. */
	snprintf(s->host, sizeof(s->host), "%s", s->url.host);
	*ret = s;
	return 0;
}

void top_source_free(struct top_source *s)
{
	if (!s)
		return;
	collector_free(s->collector);
	container_names_free(s->names);
	if (s->root_fd >= 0)
		close(s->root_fd);
	http_tls_client_free(s->url.tls);
	explicit_bzero(s->url.auth, sizeof(s->url.auth));
	free(s->name);
	free(s);
}

const char *top_source_name(const struct top_source *s)
{
	return s->name;
}

const char *top_source_events_desc(const struct top_source *s)
{
	return s->events_desc;
}

const char *top_source_host(const struct top_source *s)
{
	return s->host[0] ? s->host : "?";
}

const char *top_source_kernel(const struct top_source *s)
{
	return s->kernel[0] ? s->kernel : "?";
}

static void copy_string(char *dst, size_t size, const cJSON *doc, const char *const *keys)
{
	for (; *keys; keys++) {
		const cJSON *j = cJSON_GetObjectItemCaseSensitive(doc, *keys);

		if (cJSON_IsString(j) && j->valuestring[0]) {
			snprintf(dst, size, "%s", j->valuestring);
			return;
		}
	}
}

/* Lines in a cgroup's cgroup.procs: its own processes. TOP_NA when the
 * file cannot be read (it vanished, or a capture lacks it). */
static uint64_t count_procs(int root_fd, const char *path)
{
	char rel[4096], buf[65536];
	uint64_t n = 0;
	ssize_t len;
	int fd;

	snprintf(rel, sizeof(rel), "%s/cgroup.procs", path[1] ? path + 1 : ".");
	fd = openat(root_fd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return TOP_NA;
	while ((len = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < len; i++)
			n += buf[i] == '\n';
	close(fd);
	return len < 0 ? TOP_NA : n;
}

static int local_tasks(struct top_source *s, const struct snapshot *snap, uint64_t **ret)
{
	uint64_t *t = calloc(snap->n ? snap->n : 1, sizeof(*t));
	struct top_id_map ids;

	if (!t)
		return -ENOMEM;
	if (top_id_map_build(snap, &ids) < 0) {
		free(t);
		return -ENOMEM;
	}
	for (size_t i = 0; i < snap->n; i++)
		t[i] = count_procs(s->root_fd, sample_path(snap, &snap->cgroups[i]));
	/* Children follow parents: adding backwards gives each cgroup the
	 * processes of its whole subtree, as pids.current counts. */
	for (size_t i = snap->n; i-- > 0;) {
		size_t p;

		if (t[i] == TOP_NA || snap->cgroups[i].depth == 0)
			continue;
		p = top_id_map_find(&ids, snap->cgroups[i].parent_id);
		if (p != SIZE_MAX)
			t[p] = (t[p] == TOP_NA ? 0 : t[p]) + t[i];
	}
	top_id_map_free(&ids);
	*ret = t;
	return 0;
}

/* Whether a part of the agent's status names a BPF hook in use: the status
 * says, per feature, which hook serves it, with the names `cgscope events`
 * prints ("poll" or "none" where no BPF program does). 1, 0, or -1 when
 * the part says nothing of hooks. */
static int hooks_live(const cJSON *o, int depth)
{
	const cJSON *c;
	enum cgscope_hook h;
	int live = -1;

	if (cJSON_IsString(o)) {
		if (hook_parse(o->valuestring, &h) < 0)
			return -1;
		return h != CGSCOPE_HOOK_NONE && h != CGSCOPE_HOOK_POLL;
	}
	if (depth == 0 || !(cJSON_IsObject(o) || cJSON_IsArray(o)))
		return -1;
	cJSON_ArrayForEach(c, o) {
		int r = hooks_live(c, depth - 1);

		if (r > live)
			live = r;
	}
	return live;
}

/* What an answer other than 200 means. */
static int answer_error(const struct top_source *s, const struct http_response *resp)
{
	switch (resp->status) {
	case 401:
		return s->url.auth[0] ? -EPERM : -EACCES;
	case 400:
		/* The agent's answer to plain HTTP on its TLS port. */
		if (resp->body && strstr(resp->body, "HTTPS server"))
			return -EPROTONOSUPPORT;
		return -EPROTO;
	case 503:	/* before the agent's first cycle: wait for it */
		return -EAGAIN;
	default:
		return -EPROTO;
	}
}

static void read_status(struct top_source *s)
{
	static const char *const keys[] = { "bpf_hooks", "hooks", "bpf" };
	struct http_response resp = {0};
	const cJSON *o = NULL;
	cJSON *doc = NULL;
	int live = -1;

	if (http_get(&s->url, "/api/v1/status", HTTP_TIMEOUT_MS, 1u << 20, &resp) < 0)
		return;
	if (resp.status == 200)
		doc = cJSON_ParseWithLength(resp.body, resp.body_len);
	s->status_read |= doc != NULL;
	for (size_t i = 0; doc && !o && i < sizeof(keys) / sizeof(keys[0]); i++)
		o = cJSON_GetObjectItemCaseSensitive(doc, keys[i]);
	if (o)
		live = hooks_live(o, 3);
	if (doc) {
		static const char *const hosts[] = { "hostname", "host", "nodename", NULL };
		static const char *const kernels[] = { "kernel", "kernel_release", "release", NULL };

		copy_string(s->host, sizeof(s->host), doc, hosts);
		copy_string(s->kernel, sizeof(s->kernel), doc, kernels);
	}
	if (live >= 0)
		snprintf(s->events_desc, sizeof(s->events_desc), "BPF events: %s (agent)",
			 live ? "live" : "off");
	cJSON_Delete(doc);
	http_response_free(&resp);
}

static int url_fetch(struct top_source *s, struct snapshot **ret)
{
	struct http_response resp = {0};
	struct snapshot *snap;
	int r;

	/* Until it came once: before the agent's first cycle it is a 503. */
	if (s->fetches++ % STATUS_EVERY == 0 || !s->status_read)
		read_status(s);
	r = http_get(&s->url, "/api/v1/cgroups", HTTP_TIMEOUT_MS, HTTP_MAX_BODY, &resp);
	if (r < 0)
		return r;
	if (resp.status != 200) {
		r = answer_error(s, &resp);
		http_response_free(&resp);
		return r;
	}
	r = json_parse_snapshot(resp.body, resp.body_len, &snap);
	http_response_free(&resp);
	if (r < 0)
		return r;
	if (snap->cycle == s->last_cycle && snap->taken_ms == s->last_ms) {
		snapshot_unref(snap);
		return -EAGAIN;
	}
	s->last_cycle = snap->cycle;
	s->last_ms = snap->taken_ms;
	*ret = snap;
	return 0;
}

/* Files that could not be read show as '-': say why, once per new error.
 * (EMFILE, on a host with more cgroups than the descriptor limit allows.) */
static void note_read_errors(struct top_source *s, const struct snapshot *snap)
{
	uint64_t total = 0;

	s->warning[0] = '\0';
	for (int f = 0; f < F_NR; f++)
		total += snap->stats.read_errors[f];
	if (total <= s->read_errors) {
		s->read_errors = total;
		return;
	}
	for (int f = 0; f < F_NR; f++) {
		const char *path = "";
		int err = collector_last_error(s->collector, (enum cg_file)f, &path);

		if (err && snap->stats.read_errors[f]) {
			snprintf(s->warning, sizeof(s->warning),
				 "%" PRIu64 " file(s) could not be read, last %s%s%s: %s",
				 total - s->read_errors, path, strcmp(path, "/") ? "/" : "",
				 cg_files[f].name,
				 err == -EINVAL ? "malformed contents" : strerror(-err));
			break;
		}
	}
	s->read_errors = total;
}

const char *top_source_warning(const struct top_source *s)
{
	return s->warning[0] ? s->warning : NULL;
}

int top_source_fetch(struct top_source *s, struct snapshot **ret, uint64_t **ret_tasks)
{
	struct snapshot *snap;
	uint64_t *tasks = NULL;
	int r;

	if (!s->collector) {
		r = url_fetch(s, &snap);
		if (r < 0)
			return r;
	} else {
		r = collector_collect(s->collector, &snap);
		if (r < 0)
			return r;
		note_read_errors(s, snap);
		/* Without names (no memory) rows show their paths. */
		container_names_update(s->names, snap);
		container_names_attach(s->names, snap);
		r = local_tasks(s, snap, &tasks);
		if (r < 0) {
			snapshot_unref(snap);
			return r;
		}
	}
	*ret = snap;
	*ret_tasks = tasks;
	return 0;
}

int top_source_events(struct top_source *s, const struct snapshot *prev,
		      const struct snapshot *cur, struct top_events *ev)
{
	struct http_response resp = {0};
	struct timespec now;
	char q[64];
	int r;

	if (s->collector)
		return prev && cur ? top_events_diff(ev, prev, cur) : 0;
	snprintf(q, sizeof(q), "/api/v1/events?since=%" PRIu64, s->next_seq);
	r = http_get(&s->url, q, HTTP_TIMEOUT_MS, HTTP_MAX_BODY, &resp);
	if (r < 0)
		return r;
	if (resp.status != 200) {
		r = resp.status == 404 ? -ENOENT : answer_error(s, &resp);
		http_response_free(&resp);
		return r;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	r = top_events_parse_json(ev, resp.body, resp.body_len,
				  (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000,
				  &s->next_seq);
	http_response_free(&resp);
	return r;
}
