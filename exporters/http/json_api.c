// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "lib/utf8.h"
#include "lib/version.h"
#include "events/event_format.h"
#include "http/http_reply.h"
#include "collect/iter_decode.h"
#include "http/json_api.h"
#include "json/json_snapshot.h"
#include "json/json_writer.h"
#include "lib/clock.h"
#include "lib/units.h"

static const char *arg(struct MHD_Connection *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
}

static int make_json(struct snapshot *s, struct page_writer *w)
{
	return json_snapshot(s, NULL, &w->sb);
}

/* The unfiltered list is made once per snapshot and shared by all readers,
 * kept compressed: sent as kept to those that take gzip, inflated for the
 * others. */
static enum MHD_Result reply_cached_json(struct MHD_Connection *conn, struct snapshot *s)
{
	const struct zpage *p;

	if (snapshot_cached(s, CACHE_JSON, make_json, &p) < 0) {
		snapshot_unref(s);
		return reply_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	return reply_snapshot_page(conn, s, "application/json", p, PAGE_ALL,
				   reply_wants_gzip(conn));
}

static enum MHD_Result cgroups_list(struct MHD_Connection *conn, struct snapshot *s)
{
	struct json_filter f = { .path_prefix = arg(conn, "path"), .max_depth = -1 };
	const char *depth = arg(conn, "depth");
	struct strbuf sb = {0};
	uint64_t d;

	if (depth) {
		if (parse_uint(depth, 0, 10000, &d) < 0) {
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
	json_snapshot(s, &f, &sb);	/* an error stays in sb: reply_json says it */
	snapshot_unref(s);
	return reply_json(conn, MHD_HTTP_OK, &sb);
}

/* One cgroup with its direct children's ids. */
static enum MHD_Result cgroup_one(struct MHD_Connection *conn, struct snapshot *s,
				  const struct cgroup_sample *c, const char *what)
{
	struct strbuf sb = {0};
	struct json_writer w = json_writer_on(&sb);

	if (!c) {
		snapshot_unref(s);
		return reply_error(conn, MHD_HTTP_NOT_FOUND, "no cgroup %s", what);
	}
	jw_object(&w);
	json_cgroup_fields(&w, s, c);
	jw_key(&w, "children");
	jw_array(&w);
	/* Children follow their parent in tree order, up to the next cgroup
	 * that is not deeper. */
	for (const struct cgroup_sample *k = c + 1; k < s->cgroups + s->n && k->depth > c->depth; k++)
		if (k->parent_id == c->id)
			jw_u64(&w, k->id);
	jw_array_end(&w);
	jw_key(&w, "timestamp_ms");
	jw_u64(&w, (uint64_t)s->taken_ms);
	jw_object_end(&w);
	snapshot_unref(s);
	return reply_json(conn, MHD_HTTP_OK, &sb);
}

static enum MHD_Result cgroup_by_id(struct MHD_Connection *conn, struct snapshot *s,
				    const char *id_text)
{
	const struct cgroup_sample *c = NULL;
	char what[64];
	uint64_t id;

	if (parse_uint(id_text, 0, UINT64_MAX, &id) < 0) {
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

/* The cgroup at path: its raw name, or the escaped form the page and the
 * JSON write (lib/utf8.h), which a client copies from them. */
static const struct cgroup_sample *find_path(const struct snapshot *s, const char *path)
{
	struct strbuf raw = {0};
	const struct cgroup_sample *c = NULL;

	for (size_t i = 0; i < s->n && !c; i++)
		if (!strcmp(sample_path(s, &s->cgroups[i]), path))
			c = &s->cgroups[i];
	if (!c && utf8_unescape(&raw, path, strlen(path)) == 0 && raw.buf)
		for (size_t i = 0; i < s->n && !c; i++)
			if (!strcmp(sample_path(s, &s->cgroups[i]), raw.buf))
				c = &s->cgroups[i];
	sb_free(&raw);
	return c;
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
	c = find_path(s, path);
	return cgroup_one(conn, s, c, "at that path");
}

static enum MHD_Result status(const struct http_server_opts *o,
			      struct MHD_Connection *conn, struct snapshot *s)
{
	struct strbuf sb = {0};
	struct json_writer w = json_writer_on(&sb);
	struct utsname u;
	int64_t now_ms = clock_ms(CLOCK_REALTIME);

	jw_object(&w);
	jw_key(&w, "version");
	jw_string(&w, cgscope_version);
	jw_key(&w, "uptime_seconds");
	jw_double(&w, (double)(now_ms - o->info->started_ms) / 1000.0);
	jw_key(&w, "started_ms");
	jw_u64(&w, (uint64_t)o->info->started_ms);
	/* Where the agent runs: `top --url` shows them in its header. */
	if (uname(&u) == 0) {
		jw_key(&w, "hostname");
		jw_string(&w, u.nodename);
		jw_key(&w, "kernel");
		jw_string(&w, u.release);
	}
	jw_key(&w, "cgroup_root");
	jw_string(&w, o->info->cgroup_root);
	jw_key(&w, "interval_seconds");
	jw_double(&w, (double)o->info->interval_ms / 1000.0);
	jw_key(&w, "cycles");
	jw_u64(&w, s->stats.cycles);
	jw_key(&w, "cgroups");
	jw_u64(&w, s->n);
	jw_key(&w, "last_cycle_ms");
	jw_u64(&w, (uint64_t)s->taken_ms);
	jw_key(&w, "last_collect_seconds");
	jw_double(&w, s->stats.last_duration);
	jw_key(&w, "overruns");
	jw_u64(&w, s->stats.overruns);
	jw_key(&w, "read_errors");
	jw_object(&w);
	for (int f = 0; f < F_NR; f++) {
		jw_key(&w, cg_files[f].name);
		jw_u64(&w, s->stats.read_errors[f]);
	}
	jw_object_end(&w);
	jw_key(&w, "walk_errors");
	jw_u64(&w, s->stats.walk_errors);
	/* Where the collector's files are: README, "How it reads the tree". */
	jw_key(&w, "files");
	jw_object(&w);
	jw_key(&w, "held");
	jw_u64(&w, s->stats.files_held);
	jw_key(&w, "reopened");
	jw_u64(&w, s->stats.files_reopened);
	jw_key(&w, "descriptor_tables");
	jw_u64(&w, s->stats.fd_tables);
	jw_object_end(&w);
	/* --collect.source, and what each group of files came from. */
	jw_key(&w, "collect_source");
	jw_object(&w);
	jw_key(&w, "mode");
	jw_string(&w, o->info->collect_source ? o->info->collect_source : "files");
	if (o->info->collect_source_note && o->info->collect_source_note[0]) {
		jw_key(&w, "note");
		jw_string(&w, o->info->collect_source_note);
	}
	jw_key(&w, "groups");
	jw_object(&w);
	for (int g = 0; g < IG_NR; g++) {
		uint32_t mine = iter_groups[g].files & s->stats.files;

		if (!mine)
			continue;
		jw_key(&w, iter_groups[g].name);
		jw_string(&w, (mine & s->stats.iter_files) == mine ? "bpf" : "files");
	}
	jw_object_end(&w);
	jw_key(&w, "iterator_errors");
	jw_u64(&w, s->stats.iter_errors);
	jw_key(&w, "iterator_missing");
	jw_u64(&w, s->stats.iter_files ? s->stats.iter_missing : 0);
	if (s->stats.iter_files) {
		jw_key(&w, "iterator_walked");
		jw_u64(&w, s->stats.iter_visited);
		jw_key(&w, "iterator_in_place");
		jw_u64(&w, s->stats.iter_capacity);
	}
	jw_object_end(&w);
	if (s->events.nhooks) {
		const struct events_status *ev = &s->events;

		jw_key(&w, "bpf");
		jw_object(&w);
		jw_key(&w, "loaded");
		jw_bool(&w, ev->bpf);
		if (ev->bpf_error[0]) {
			jw_key(&w, "error");
			jw_string(&w, ev->bpf_error);
		}
		jw_key(&w, "hooks");
		jw_object(&w);
		for (unsigned i = 0; i < ev->nhooks; i++) {
			jw_key(&w, ev->hooks[i].feature);
			jw_string(&w, ev->hooks[i].hook);
		}
		jw_object_end(&w);
		jw_key(&w, "events_lost");
		jw_u64(&w, ev->lost);
		jw_key(&w, "events");
		jw_object(&w);
		for (uint32_t i = 1; i < CGSCOPE_EV_TYPES; i++) {
			jw_key(&w, event_type_name(i));
			jw_u64(&w, ev->by_type[i]);
		}
		jw_object_end(&w);
		jw_object_end(&w);
		jw_key(&w, "event_ring_capacity");
		jw_u64(&w, ev->ring_capacity);
		jw_key(&w, "event_last_seq");
		jw_u64(&w, ev->ring_last_seq);
	}
	jw_object_end(&w);
	snapshot_unref(s);
	return reply_json(conn, MHD_HTTP_OK, &sb);
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
