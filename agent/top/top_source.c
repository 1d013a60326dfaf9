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
#include "events/event_format.h"
#include "events/hook.h"
#include "lib/timearg.h"
#include "record/replay.h"
#include "top/http_get.h"
#include "json/json_snapshot.h"
#include "top/top_rows.h"
#include "top/top_source.h"
#include "lib/macros.h"
#include "lib/clock.h"

/* An agent that does not answer within this is shown as an error, and top
 * stays responsive to keys. */
#define HTTP_TIMEOUT_MS 5000
#define HTTP_MAX_BODY (512u << 20)
/* The agent's status (which BPF hooks it uses) changes rarely. */
#define STATUS_EVERY 10

struct top_replay;

struct top_source {
	char *name;
	struct top_replay *replay;	/* a recording: the section at the end */
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

static void replay_free(struct top_replay *rp);

void top_source_free(struct top_source *s)
{
	if (!s)
		return;
	replay_free(s->replay);
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
	for (size_t i = 0; doc && !o && i < ARRAY_SIZE(keys); i++)
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

static int replay_fetch(struct top_source *s, struct snapshot **ret);
static int replay_events(struct top_source *s, struct top_events *ev);

int top_source_fetch(struct top_source *s, struct snapshot **ret, uint64_t **ret_tasks)
{
	struct snapshot *snap;
	uint64_t *tasks = NULL;
	int r;

	if (s->replay) {
		r = replay_fetch(s, &snap);
		if (r < 0)
			return r;
	} else if (!s->collector) {
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
	char q[64];
	int r;

	if (s->replay)
		return replay_events(s, ev);
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
	r = top_events_parse_json(ev, resp.body, resp.body_len, clock_ms(CLOCK_REALTIME),
				  &s->next_seq);
	http_response_free(&resp);
	return r;
}

/* --- a recording ------------------------------------------------------------ */

/* How far back the events pane looks after a jump. */
#define REPLAY_EVENTS_MS (10 * 60 * 1000)

struct top_replay {
	struct replay *rp;
	struct replay_cycle cur;
	bool have, pending, jumped;
	enum top_replay_move how;
	int64_t amount;
	int64_t shown_ms, events_from_ms;	/* the events pane's range: (from, shown] */
	char when[96];
};

static void replay_free(struct top_replay *rp)
{
	if (!rp)
		return;
	replay_cycle_free(&rp->cur);
	replay_close(rp->rp);
	free(rp);
}

int top_source_open_replay(const char *dir, int64_t at_ms, struct top_source **ret)
{
	struct top_source *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->root_fd = -1;
	s->replay = calloc(1, sizeof(*s->replay));
	s->name = strdup(dir);
	if (!s->replay || !s->name) {
		top_source_free(s);
		return -ENOMEM;
	}
	r = replay_open(dir, &s->replay->rp);
	if (r < 0) {
		top_source_free(s);
		return r;
	}
	s->replay->pending = true;
	s->replay->how = TOP_REPLAY_TO_MS;
	s->replay->amount = at_ms;
	snprintf(s->events_desc, sizeof(s->events_desc), "events: recorded");
	snprintf(s->host, sizeof(s->host), "%s", replay_hostname(s->replay->rp));
	snprintf(s->kernel, sizeof(s->kernel), "%s", replay_kernel(s->replay->rp));
	*ret = s;
	return 0;
}

void top_source_replay_move(struct top_source *s, enum top_replay_move how, int64_t amount)
{
	if (!s->replay)
		return;
	s->replay->pending = true;
	s->replay->how = how;
	s->replay->amount = amount;
}

bool top_source_is_replay(const struct top_source *s)
{
	return s->replay != NULL;
}

const struct snapshot *top_source_prev(const struct top_source *s)
{
	return s->replay && s->replay->have ? s->replay->cur.prev : NULL;
}

const char *top_source_when(const struct top_source *s)
{
	return s->replay ? s->replay->when : "";
}

static int replay_fetch(struct top_source *s, struct snapshot **ret)
{
	struct top_replay *t = s->replay;
	struct replay_cycle c = { 0 };
	char at[64];
	int r = 0;

	if (!t->pending)
		return -EAGAIN;
	t->pending = false;
	if (!t->have || t->how == TOP_REPLAY_TO_MS) {
		r = replay_at(t->rp, t->have || t->how == TOP_REPLAY_TO_MS ? t->amount : 0, &c);
	} else if (t->how == TOP_REPLAY_BY_MS) {
		r = replay_at(t->rp, t->cur.time_ms + t->amount, &c);
	} else {
		/* One cycle at a time, keeping the last that could be read. */
		for (int64_t k = 0; k < (t->amount < 0 ? -t->amount : t->amount); k++) {
			struct replay_cycle n = { 0 };
			int e = t->amount < 0 ? replay_prev(t->rp, &n) : replay_next(t->rp, &n);

			if (e < 0) {
				if (!k)
					r = e;
				break;
			}
			replay_cycle_free(&c);
			c = n;
		}
	}
	if (r == -ENOENT && t->have) {
		snprintf(s->warning, sizeof(s->warning), "%s", t->how == TOP_REPLAY_CYCLES &&
			 t->amount > 0 ? "the end of the recording" :
			 "nothing recorded at or before that time");
		/* The cycle shown stays: the replay's position goes back to it. */
		replay_cycle_free(&c);
		r = replay_at(t->rp, t->cur.time_ms, &c);
		if (r == 0)
			r = -ENOENT;
	}
	if (r < 0 && r != -ENOENT) {
		replay_cycle_free(&c);
		return r;
	}
	if (r == -ENOENT && !c.s)
		return t->have ? -EAGAIN : -ENOENT;
	s->warning[0] = r == -ENOENT ? s->warning[0] : '\0';
	t->jumped = !t->have || t->how != TOP_REPLAY_CYCLES || t->amount != 1;
	t->events_from_ms = t->jumped ? c.time_ms - REPLAY_EVENTS_MS : t->cur.time_ms;
	replay_cycle_free(&t->cur);
	t->cur = c;
	t->have = true;
	t->shown_ms = c.time_ms;
	format_time_local(c.time_ms, 1, 1, at, sizeof(at));
	snprintf(t->when, sizeof(t->when), "%s  cycle %" PRIu64, at, c.s->cycle);
	*ret = snapshot_ref(c.s);
	return 0;
}

/* The recorded events go through the same parser as an agent's answer,
 * so that the pane shows them as it shows live ones. */
struct events_doc {
	struct strbuf sb;
	uint64_t last_seq;
	size_t n;
};

static int add_event_json(void *ctx, const struct event_ring_entry *e)
{
	struct events_doc *d = ctx;
	char *json;

	if (event_format_json(&e->ev, e->seq, e->wall_ns, &json) < 0)
		return -ENOMEM;
	if (d->n++)
		sb_putc(&d->sb, ',');
	sb_puts(&d->sb, json);
	cJSON_free(json);
	d->last_seq = e->seq;
	return sb_error(&d->sb);
}

static int replay_events(struct top_source *s, struct top_events *ev)
{
	struct top_replay *t = s->replay;
	struct events_doc d = { 0 };
	uint64_t next;
	int r;

	if (!t->have)
		return 0;
	if (t->jumped)
		memset(ev, 0, sizeof(*ev));	/* another moment: its events only */
	sb_puts(&d.sb, "{\"events\":[");
	r = replay_each_event(t->rp, t->events_from_ms + 1, t->shown_ms, add_event_json, &d);
	sb_printf(&d.sb, "],\"next_seq\":%" PRIu64 "}", d.last_seq);
	if (r == 0)
		r = sb_error(&d.sb);
	if (r == 0)
		r = top_events_parse_json(ev, d.sb.buf, d.sb.len, t->shown_ms, &next);
	sb_free(&d.sb);
	t->events_from_ms = t->shown_ms;
	t->jumped = false;
	return r < 0 ? r : 0;
}
