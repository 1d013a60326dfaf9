// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "version.h"
#include "event_format.h"
#include "http_reply.h"
#include "json_api.h"
#include "json_snapshot.h"

static const char *arg(struct MHD_Connection *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
}

/* A whole decimal u64, nothing else. */
static int parse_u64_arg(const char *s, uint64_t *ret)
{
	char *end;

	if (!s || !*s || strspn(s, "0123456789") != strlen(s))
		return -EINVAL;
	errno = 0;
	*ret = strtoull(s, &end, 10);
	return errno ? -EINVAL : 0;
}

static int make_json(struct snapshot *s, char **ret, size_t *ret_len)
{
	cJSON *doc = json_snapshot(s, NULL);
	char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;

	cJSON_Delete(doc);
	if (!text)
		return -ENOMEM;
	*ret = text;
	*ret_len = strlen(text);
	return 0;
}

static void unref_snapshot(void *cls)
{
	snapshot_unref(cls);
}

/* The unfiltered list is made once per snapshot and shared by all readers. */
static enum MHD_Result reply_cached_json(struct MHD_Connection *conn, struct snapshot *s)
{
	struct MHD_Response *resp;
	const char *body;
	size_t len;
	enum MHD_Result r;

	if (snapshot_cached(s, CACHE_JSON, make_json, &body, &len) < 0) {
		snapshot_unref(s);
		return reply_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	resp = MHD_create_response_from_buffer_with_free_callback_cls(
		len, (void *)body, unref_snapshot, s);
	if (!resp) {
		snapshot_unref(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	r = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result cgroups_list(struct MHD_Connection *conn, struct snapshot *s)
{
	struct json_filter f = { .path_prefix = arg(conn, "path"), .max_depth = -1 };
	const char *depth = arg(conn, "depth");
	uint64_t d;
	enum MHD_Result r;

	if (depth) {
		if (parse_u64_arg(depth, &d) < 0 || d > 10000) {
			snapshot_unref(s);
			return reply_error(conn, MHD_HTTP_BAD_REQUEST,
					   "depth must be a whole number from 0, not '%s'", depth);
		}
		f.max_depth = (int)d;
	}
	if (f.path_prefix && f.path_prefix[0] != '/') {
		snapshot_unref(s);
		return reply_error(conn, MHD_HTTP_BAD_REQUEST,
				   "path must start with '/', not '%s'", f.path_prefix);
	}
	if (!depth && !f.path_prefix)
		return reply_cached_json(conn, s);
	r = reply_json(conn, MHD_HTTP_OK, json_snapshot(s, &f));
	snapshot_unref(s);
	return r;
}

/* One cgroup with its direct children's ids. */
static enum MHD_Result cgroup_one(struct MHD_Connection *conn, struct snapshot *s,
				  const struct cgroup_sample *c, const char *what)
{
	cJSON *doc, *kids;

	if (!c) {
		snapshot_unref(s);
		return reply_error(conn, MHD_HTTP_NOT_FOUND, "no cgroup %s", what);
	}
	doc = json_cgroup(s, c);
	kids = cJSON_AddArrayToObject(doc, "children");
	/* Children follow their parent in tree order, up to the next cgroup
	 * that is not deeper. */
	for (const struct cgroup_sample *k = c + 1; k < s->cgroups + s->n && k->depth > c->depth; k++)
		if (k->parent_id == c->id)
			cJSON_AddItemToArray(kids, json_u64(k->id));
	cJSON_AddItemToObject(doc, "timestamp_ms", json_u64((uint64_t)s->taken_ms));
	snapshot_unref(s);
	return reply_json(conn, MHD_HTTP_OK, doc);
}

static enum MHD_Result cgroup_by_id(struct MHD_Connection *conn, struct snapshot *s,
				    const char *id_text)
{
	const struct cgroup_sample *c = NULL;
	char what[64];
	uint64_t id;

	if (parse_u64_arg(id_text, &id) < 0) {
		snapshot_unref(s);
		return reply_error(conn, MHD_HTTP_BAD_REQUEST,
				   "a cgroup id is a whole number (the inode of its directory)");
	}
	for (size_t i = 0; i < s->n && !c; i++)
		if (s->cgroups[i].id == id)
			c = &s->cgroups[i];
	snprintf(what, sizeof(what), "with id %" PRIu64, id);
	return cgroup_one(conn, s, c, what);
}

static enum MHD_Result cgroup_by_path(struct MHD_Connection *conn, struct snapshot *s)
{
	const char *path = arg(conn, "path");
	const struct cgroup_sample *c = NULL;

	if (!path || path[0] != '/') {
		snapshot_unref(s);
		return reply_error(conn, MHD_HTTP_BAD_REQUEST,
				   "the path parameter is required and starts with '/'");
	}
	for (size_t i = 0; i < s->n && !c; i++)
		if (!strcmp(sample_path(s, &s->cgroups[i]), path))
			c = &s->cgroups[i];
	return cgroup_one(conn, s, c, "at that path");
}

static enum MHD_Result status(const struct http_server_opts *o,
			      struct MHD_Connection *conn, struct snapshot *s)
{
	cJSON *doc = cJSON_CreateObject(), *errs;
	struct timespec now;
	int64_t now_ms;

	clock_gettime(CLOCK_REALTIME, &now);
	now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	cJSON_AddStringToObject(doc, "version", cgscope_version);
	cJSON_AddNumberToObject(doc, "uptime_seconds", (double)(now_ms - o->info->started_ms) / 1000.0);
	cJSON_AddItemToObject(doc, "started_ms", json_u64((uint64_t)o->info->started_ms));
	cJSON_AddStringToObject(doc, "cgroup_root", o->info->cgroup_root);
	cJSON_AddNumberToObject(doc, "interval_seconds", (double)o->info->interval_ms / 1000.0);
	cJSON_AddItemToObject(doc, "cycles", json_u64(s->stats.cycles));
	cJSON_AddItemToObject(doc, "cgroups", json_u64(s->n));
	cJSON_AddItemToObject(doc, "last_cycle_ms", json_u64((uint64_t)s->taken_ms));
	cJSON_AddNumberToObject(doc, "last_collect_seconds", s->stats.last_duration);
	errs = cJSON_AddObjectToObject(doc, "read_errors");
	for (int f = 0; f < F_NR; f++)
		cJSON_AddItemToObject(errs, cg_files[f].name, json_u64(s->stats.read_errors[f]));
	cJSON_AddItemToObject(doc, "walk_errors", json_u64(s->stats.walk_errors));
	if (s->events.nhooks) {
		const struct events_status *ev = &s->events;
		cJSON *b = cJSON_AddObjectToObject(doc, "bpf"), *h, *t;

		cJSON_AddBoolToObject(b, "loaded", ev->bpf);
		if (ev->bpf_error[0])
			cJSON_AddStringToObject(b, "error", ev->bpf_error);
		h = cJSON_AddObjectToObject(b, "hooks");
		for (unsigned i = 0; i < ev->nhooks; i++)
			cJSON_AddStringToObject(h, ev->hooks[i].feature, ev->hooks[i].hook);
		cJSON_AddItemToObject(b, "events_lost", json_u64(ev->lost));
		t = cJSON_AddObjectToObject(b, "events");
		for (uint32_t i = 1; i < CGSCOPE_EV_TYPES; i++)
			cJSON_AddItemToObject(t, event_type_name(i), json_u64(ev->by_type[i]));
		cJSON_AddItemToObject(doc, "event_ring_capacity", json_u64(ev->ring_capacity));
		cJSON_AddItemToObject(doc, "event_last_seq", json_u64(ev->ring_last_seq));
	}
	snapshot_unref(s);
	return reply_json(conn, MHD_HTTP_OK, doc);
}

enum MHD_Result json_api_handle(const struct http_server_opts *o,
				struct MHD_Connection *conn, const char *url)
{
	struct snapshot *s;

	if (strncmp(url, "/api/v1/", 8))
		return reply_error(conn, MHD_HTTP_NOT_FOUND, "no such endpoint: %s", url);
	url += 8;
	s = snapshot_get(o->slot);
	if (!s)
		return reply_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				   "no collection cycle has completed yet");
	if (!strcmp(url, "cgroups"))
		return cgroups_list(conn, s);
	if (!strncmp(url, "cgroups/", 8))
		return cgroup_by_id(conn, s, url + 8);
	if (!strcmp(url, "cgroup"))
		return cgroup_by_path(conn, s);
	if (!strcmp(url, "status"))
		return status(o, conn, s);
	snapshot_unref(s);
	return reply_error(conn, MHD_HTTP_NOT_FOUND, "no such endpoint: /api/v1/%s", url);
}
