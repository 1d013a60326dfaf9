// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <cJSON.h>

#include "top/top_events.h"
#include "top/top_rows.h"
#include "lib/macros.h"

/* The tail of a path is what tells cgroups apart: cut the front. */
static void copy_path(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n < size) {
		memcpy(dst, src, n + 1);
		return;
	}
	memcpy(dst, "...", 3);
	memcpy(dst + 3, src + n - (size - 4), size - 3);
}

void top_events_add(struct top_events *e, int64_t ts_ms, const char *type,
		    const char *path, const char *detail)
{
	struct top_event *ev;

	if (e->n == TOP_EVENTS_MAX) {
		e->head = (e->head + 1) % TOP_EVENTS_MAX;
		e->n--;
	}
	ev = &e->items[(e->head + e->n) % TOP_EVENTS_MAX];
	e->n++;
	e->added++;
	ev->ts_ms = ts_ms;
	snprintf(ev->type, sizeof(ev->type), "%s", type);
	copy_path(ev->path, sizeof(ev->path), path ? path : "");
	snprintf(ev->detail, sizeof(ev->detail), "%s", detail ? detail : "");
}

const struct top_event *top_events_recent(const struct top_events *e, size_t i)
{
	if (i >= e->n)
		return NULL;
	return &e->items[(e->head + e->n - 1 - i) % TOP_EVENTS_MAX];
}

static uint64_t counter(const struct cgroup_values *v, enum cg_file f, uint64_t x)
{
	return cg_has(v, f) ? x : CG_UNSET;
}

int top_events_diff(struct top_events *e, const struct snapshot *prev,
		    const struct snapshot *cur)
{
	struct top_id_map prev_ids, cur_ids;
	int64_t ts = cur->taken_ms;
	char detail[96];
	int added = 0;

	if (top_id_map_build(prev, &prev_ids) < 0)
		return -ENOMEM;
	if (top_id_map_build(cur, &cur_ids) < 0) {
		top_id_map_free(&prev_ids);
		return -ENOMEM;
	}
	for (size_t i = 0; i < prev->n; i++) {
		const struct cgroup_sample *c = &prev->cgroups[i];

		if (top_id_map_find(&cur_ids, c->id) == SIZE_MAX) {
			top_events_add(e, ts, "rmdir", sample_path(prev, c), "");
			added++;
		}
	}
	for (size_t i = 0; i < cur->n; i++) {
		const struct cgroup_sample *c = &cur->cgroups[i], *o;
		const struct cgroup_values *v = &c->v;
		size_t j = top_id_map_find(&prev_ids, c->id);
		uint64_t a, b;

		if (j == SIZE_MAX) {
			top_events_add(e, ts, "mkdir", sample_path(cur, c), "");
			added++;
			continue;
		}
		o = &prev->cgroups[j];
		a = counter(&o->v, F_MEMORY_EVENTS, o->v.mem_events[MEMEV_OOM_KILL]);
		b = counter(v, F_MEMORY_EVENTS, v->mem_events[MEMEV_OOM_KILL]);
		if (a != CG_UNSET && b != CG_UNSET && b > a) {
			snprintf(detail, sizeof(detail), "+%" PRIu64 " (total %" PRIu64 ")", b - a, b);
			top_events_add(e, ts, "oom_kill", sample_path(cur, c), detail);
			added++;
		}
		a = counter(&o->v, F_CPU_STAT, o->v.cpu[CPU_THROTTLED]);
		b = counter(v, F_CPU_STAT, v->cpu[CPU_THROTTLED]);
		if (a != CG_UNSET && b != CG_UNSET && b > a) {
			snprintf(detail, sizeof(detail), "+%" PRIu64 " periods", b - a);
			top_events_add(e, ts, "throttle", sample_path(cur, c), detail);
			added++;
		}
	}
	top_id_map_free(&prev_ids);
	top_id_map_free(&cur_ids);
	return added;
}

/* A JSON scalar as text for the detail; NULL for objects and arrays. */
static const char *scalar_text(const cJSON *j, char *buf, size_t size)
{
	if (cJSON_IsString(j))
		return j->valuestring;
	if (cJSON_IsBool(j))
		return cJSON_IsTrue(j) ? "true" : "false";
	if (cJSON_IsNumber(j)) {
		double d = j->valuedouble;

		/* Integers as integers: a pid printed as 1234.000000 reads
		 * badly. (Converting a double outside int64_t is undefined:
		 * those print with %.0f.) */
		if (fabs(d) < 9e18 && d == (double)(int64_t)d)
			snprintf(buf, size, "%" PRId64, (int64_t)d);
		else if (d == floor(d))
			snprintf(buf, size, "%.0f", d);
		else
			snprintf(buf, size, "%g", d);
		return buf;
	}
	if (cJSON_IsRaw(j))
		return j->valuestring;
	return NULL;
}

static bool known_key(const char *k)
{
	static const char *const keys[] = {
		"seq", "type", "path", "cgroup_id", "timestamp_ms", "ts_ms", "time_ms",
		"timestamp_ns", "ts_ns", "time", "ktime_ns", "level", "source",
	};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(k, keys[i]))
			return true;
	return false;
}

/* The event's wall-clock time in ms, else when it was received. */
static int64_t event_time(const cJSON *o, int64_t now_ms)
{
	static const struct { const char *key; double div; } keys[] = {
		{ "timestamp_ms", 1 }, { "ts_ms", 1 }, { "time_ms", 1 },
		{ "timestamp_ns", 1e6 }, { "ts_ns", 1e6 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, keys[i].key);
		/* Up to the year 33658 in ms: beyond that it is not a time,
		 * and converting it would be undefined. */
		if (cJSON_IsNumber(j) && j->valuedouble > 0 && j->valuedouble / keys[i].div < 1e15)
			return (int64_t)(j->valuedouble / keys[i].div);
	}
	return now_ms;
}

int top_events_parse_json(struct top_events *e, const char *buf, size_t len,
			  int64_t now_ms, uint64_t *ret_next_seq)
{
	cJSON *doc = cJSON_ParseWithLength(buf, len);
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "events");
	const cJSON *next = cJSON_GetObjectItemCaseSensitive(doc, "next_seq");
	const cJSON *o;
	int added = 0;

	if (!cJSON_IsArray(arr) || !cJSON_IsNumber(next) ||
	    !(next->valuedouble >= 0 && next->valuedouble < 18446744073709551616.0)) {
		cJSON_Delete(doc);
		return -EINVAL;
	}
	cJSON_ArrayForEach(o, arr) {
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
		const cJSON *path = cJSON_GetObjectItemCaseSensitive(o, "path");
		const cJSON *f;
		char detail[160], num[32];
		size_t dl = 0;

		if (!cJSON_IsObject(o) || !cJSON_IsString(type))
			continue;
		detail[0] = '\0';
		cJSON_ArrayForEach(f, o) {
			const char *t;

			if (!f->string || known_key(f->string) ||
			    !(t = scalar_text(f, num, sizeof(num))))
				continue;
			if (dl < sizeof(detail))
				dl += (size_t)snprintf(detail + dl, sizeof(detail) - dl, "%s%s=%s",
						       dl ? " " : "", f->string, t);
		}
		/* Which hook saw it, last and in brackets as `cgscope events`
		 * prints it: "poll" says it was derived, not traced. */
		f = cJSON_GetObjectItemCaseSensitive(o, "source");
		if (cJSON_IsString(f) && dl < sizeof(detail))
			snprintf(detail + dl, sizeof(detail) - dl, "%s[%s]", dl ? " " : "", f->valuestring);
		if (!cJSON_IsString(path)) {
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "cgroup_id");
			char idbuf[40];

			snprintf(idbuf, sizeof(idbuf), "cgroup id %s",
				 scalar_text(id, num, sizeof(num)) ?: "?");
			top_events_add(e, event_time(o, now_ms), type->valuestring, idbuf, detail);
		} else {
			top_events_add(e, event_time(o, now_ms), type->valuestring, path->valuestring, detail);
		}
		added++;
	}
	*ret_next_seq = (uint64_t)next->valuedouble;
	cJSON_Delete(doc);
	return added;
}
