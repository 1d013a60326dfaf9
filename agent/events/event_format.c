// SPDX-License-Identifier: GPL-2.0-only
/* Text and JSON forms of an event.
 *
 * JSON fields, beyond the common ones (seq; time: RFC 3339 UTC; timestamp_ns:
 * the same in ns since the epoch; ktime_ns: CLOCK_MONOTONIC as the kernel
 * stamped it; type, source, cgroup_id, path, level; path_truncated when the
 * path was cut):
 *   every type   pid, tgid, comm: the task the event is about (migration:
 *                the one moved; oom_kill: the victim; otherwise the task
 *                that was running: for mkdir, rmdir, rename, freeze,
 *                unfreeze the one that asked)
 *   migration    src_cgroup_id (when known), threadgroup (when known)
 *   frozen       frozen: true/false;  populated: populated: true/false
 *   oom_kill     oom_scope, oom_domain_id (when known), uid, the memory
 *                figures in bytes (total_vm_bytes, anon_rss_bytes,
 *                file_rss_bytes, shmem_rss_bytes, pgtables_bytes) and
 *                oom_score_adj when the hook gives them, oom_points and
 *                oom_limit_bytes with an oom_kill_process hook,
 *                killer_pid and killer_comm
 *   throttle     cpu;  unthrottle: cpu, throttled_duration_ns (when known)
 *   poll records count (cpu.stat nr_throttled growth), throttled_duration_ns
 * A field whose value is unknown is left out rather than written as 0.
 *
 * 64-bit integers: cJSON keeps numbers as doubles, exact only up to 2^53.
 * Ids and counters are written with cJSON_CreateRaw from their decimal
 * text, so they stay exact JSON integers (as exporters/json/json_writer.c
 * writes them); a reader that parses JSON numbers into doubles must take
 * care. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events/event_format.h"
#include "events/hook.h"
#include "lib/macros.h"
#include "lib/utf8.h"

static const char *const type_names[CGSCOPE_EV_TYPES] = {
	[CGSCOPE_EV_NONE] = "unknown",
	[CGSCOPE_EV_MIGRATION] = "migration",
	[CGSCOPE_EV_MKDIR] = "mkdir",
	[CGSCOPE_EV_RMDIR] = "rmdir",
	[CGSCOPE_EV_RELEASE] = "release",
	[CGSCOPE_EV_RENAME] = "rename",
	[CGSCOPE_EV_FREEZE] = "freeze",
	[CGSCOPE_EV_UNFREEZE] = "unfreeze",
	[CGSCOPE_EV_FROZEN] = "frozen",
	[CGSCOPE_EV_POPULATED] = "populated",
	[CGSCOPE_EV_OOM_KILL] = "oom_kill",
	[CGSCOPE_EV_THROTTLE] = "throttle",
	[CGSCOPE_EV_UNTHROTTLE] = "unthrottle",
};

static const char *const scope_names[] = {
	[CGSCOPE_OOM_UNKNOWN] = "unknown",
	[CGSCOPE_OOM_GLOBAL] = "global",
	[CGSCOPE_OOM_MEMCG] = "memcg",
	[CGSCOPE_OOM_CPUSET] = "cpuset",
	[CGSCOPE_OOM_MEMPOLICY] = "mempolicy",
};

const char *event_type_name(uint32_t type)
{
	return type < CGSCOPE_EV_TYPES ? type_names[type] : "unknown";
}

const char *event_oom_scope_name(uint32_t scope)
{
	return scope < ARRAY_SIZE(scope_names) ? scope_names[scope] : "unknown";
}

#define M(t) CGSCOPE_EV_MASK(CGSCOPE_EV_##t)

static const struct {
	const char *name;
	uint32_t mask;
} groups[] = {
	{ "all", CGSCOPE_EV_MASK_ALL },
	{ "lifecycle", M(MKDIR) | M(RMDIR) | M(RELEASE) | M(RENAME) },
	{ "freezer", M(FREEZE) | M(UNFREEZE) | M(FROZEN) },
	{ "oom", M(OOM_KILL) },
	{ "throttling", M(THROTTLE) | M(UNTHROTTLE) },
};

static int word_mask(const char *w, size_t n, uint32_t *ret)
{
	for (uint32_t t = 1; t < CGSCOPE_EV_TYPES; t++)
		if (strlen(type_names[t]) == n && !strncmp(w, type_names[t], n)) {
			*ret = CGSCOPE_EV_MASK(t);
			return 0;
		}
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++)
		if (strlen(groups[i].name) == n && !strncmp(w, groups[i].name, n)) {
			*ret = groups[i].mask;
			return 0;
		}
	return -EINVAL;
}

int event_type_mask_parse(const char *list, uint32_t *ret_mask)
{
	uint32_t mask = 0, m;
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, ",");

		if (n == 0 || word_mask(p, n, &m) < 0)
			return -EINVAL;
		mask |= m;
		p += n;
		if (*p == ',')
			p++;
	}
	if (!mask)
		return -EINVAL;
	*ret_mask = mask;
	return 0;
}

/* ------------------------------------------------------------------ text */

struct out {
	char *buf;
	size_t size;
	size_t len;	/* what the whole line needs */
};

static void __attribute__((format(printf, 2, 3))) put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->len < o->size ? o->buf + o->len : NULL,
		      o->len < o->size ? o->size - o->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

/* A kernel string (at most max bytes, maybe without NUL) with control
 * characters and backslashes escaped, so one event stays one line. */
static void put_escaped(struct out *o, const char *s, size_t max)
{
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '\\')
			put(o, "\\x%02x", c);
		else
			put(o, "%c", c);
	}
}

static void put_time(struct out *o, uint64_t wall_ns)
{
	time_t sec = (time_t)(wall_ns / 1000000000u);
	struct tm tm;

	if (!gmtime_r(&sec, &tm)) {
		put(o, "-");
		return;
	}
	put(o, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (unsigned)(wall_ns % 1000000000u / 1000u));
}

static void put_task(struct out *o, uint32_t pid, const char *comm)
{
	put(o, "pid %" PRIu32 " (", pid);
	put_escaped(o, comm, CGSCOPE_COMM_LEN);
	put(o, ")");
}

static void put_ms(struct out *o, uint64_t ns)
{
	put(o, "%" PRIu64 ".%03" PRIu64 "ms", ns / 1000000u, ns % 1000000u / 1000u);
}

static void put_kb(struct out *o, const char *name, uint64_t bytes)
{
	put(o, " %s %" PRIu64 "kB", name, bytes >> 10);
}

static void text_oom(struct out *o, const struct cgscope_event *ev)
{
	put(o, " victim ");
	put_task(o, ev->pid, ev->comm);
	if (ev->flags & CGSCOPE_EVF_UID)
		put(o, " uid %" PRIu32, ev->uid);
	put(o, ", %s OOM", event_oom_scope_name(ev->oom_scope));
	if (ev->oom_domain_id)
		put(o, " of cgroup %" PRIu64, (uint64_t)ev->oom_domain_id);
	if (ev->flags & CGSCOPE_EVF_OOM_DETAIL)
		put(o, " (limit %" PRIu64 "kB, points %" PRId64 ")",
		    (uint64_t)ev->oom_limit_bytes >> 10, (int64_t)ev->oom_points);
	if (ev->flags & CGSCOPE_EVF_MEMORY) {
		put(o, ";");
		put_kb(o, "total-vm", ev->total_vm_bytes);
		put_kb(o, "anon-rss", ev->anon_rss_bytes);
		put_kb(o, "file-rss", ev->file_rss_bytes);
		put_kb(o, "shmem-rss", ev->shmem_rss_bytes);
		put_kb(o, "pgtables", ev->pgtables_bytes);
		put(o, " oom_score_adj %" PRId32, ev->oom_score_adj);
	}
	if (ev->killer_pid) {
		put(o, "; killed by ");
		put_task(o, ev->killer_pid, ev->killer_comm);
	}
}

int event_format_text(const struct cgscope_event *ev, uint64_t wall_ns, char *buf, size_t size)
{
	struct out o = { buf, size, 0 };

	if (size)
		buf[0] = 0;
	put_time(&o, wall_ns);
	put(&o, " %-10s ", event_type_name(ev->type));
	if (ev->cgroup_id || ev->path[0]) {
		put_escaped(&o, ev->path[0] ? ev->path : "?", sizeof(ev->path));
		if (ev->flags & CGSCOPE_EVF_PATH_TRUNCATED)
			put(&o, "...");
		put(&o, " (id %" PRIu64 ")", (uint64_t)ev->cgroup_id);
	} else {
		put(&o, "cgroup unknown");
	}

	switch (ev->type) {
	case CGSCOPE_EV_MIGRATION:
		put(&o, " ");
		put_task(&o, ev->pid, ev->comm);
		if (ev->flags & CGSCOPE_EVF_SRC_KNOWN)
			put(&o, " moved in from cgroup %" PRIu64, (uint64_t)ev->src_cgroup_id);
		else
			put(&o, " moved in");
		if (ev->flags & CGSCOPE_EVF_THREADGROUP_KNOWN)
			put(&o, (ev->flags & CGSCOPE_EVF_THREADGROUP) ? ", whole process"
								      : ", one thread");
		break;
	case CGSCOPE_EV_FROZEN:
		put(&o, " frozen=%d", ev->value);
		break;
	case CGSCOPE_EV_POPULATED:
		put(&o, " populated=%d", ev->value);
		break;
	case CGSCOPE_EV_MKDIR:
	case CGSCOPE_EV_RMDIR:
	case CGSCOPE_EV_RENAME:
	case CGSCOPE_EV_FREEZE:
	case CGSCOPE_EV_UNFREEZE:
		if (ev->pid) {
			put(&o, " by ");
			put_task(&o, ev->pid, ev->comm);
		}
		break;
	case CGSCOPE_EV_OOM_KILL:
		text_oom(&o, ev);
		break;
	case CGSCOPE_EV_THROTTLE:
	case CGSCOPE_EV_UNTHROTTLE:
		if (ev->source == CGSCOPE_HOOK_POLL) {
			put(&o, " nr_throttled +%" PRIu64, (uint64_t)ev->count);
			if (ev->flags & CGSCOPE_EVF_DURATION) {
				put(&o, ", throttled ");
				put_ms(&o, ev->throttled_ns);
			}
			break;
		}
		put(&o, " cpu %" PRIu32, ev->cpu);
		if (ev->flags & CGSCOPE_EVF_DURATION) {
			put(&o, " after ");
			put_ms(&o, ev->throttled_ns);
		}
		break;
	default:
		break;
	}
	put(&o, " [%s]", hook_name(ev->source));
	return (int)o.len;
}

/* ------------------------------------------------------------------ JSON */

static cJSON *json_u64(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return cJSON_CreateRaw(buf);
}

static cJSON *json_s64(int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return cJSON_CreateRaw(buf);
}

/* A kernel char array, which may lack its NUL, as a JSON string. The kernel
 * allows any byte but '/' in a cgroup name and any in a comm; JSON wants
 * UTF-8: lib/utf8.h's escape, as every output of a name has. */
static cJSON *json_chars(const char *s, size_t max)
{
	struct strbuf sb = {0};
	cJSON *j;

	utf8_escape(&sb, s, strnlen(s, max));
	if (sb_error(&sb) < 0) {
		sb_free(&sb);
		return NULL;
	}
	j = cJSON_CreateString(sb.buf ? sb.buf : "");
	sb_free(&sb);
	return j;
}

static void add(cJSON *o, const char *key, cJSON *v, bool *ok)
{
	if (!v || !cJSON_AddItemToObject(o, key, v)) {
		cJSON_Delete(v);
		*ok = false;
	}
}

static void time_string(uint64_t wall_ns, char *buf, size_t size)
{
	time_t sec = (time_t)(wall_ns / 1000000000u);
	struct tm tm;

	if (!gmtime_r(&sec, &tm)) {
		snprintf(buf, size, "1970-01-01T00:00:00.000000000Z");
		return;
	}
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09uZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(wall_ns % 1000000000u));
}

static void json_task(cJSON *o, const struct cgscope_event *ev, bool *ok)
{
	if (!ev->pid)
		return;
	add(o, "pid", json_u64(ev->pid), ok);
	if (ev->tgid)
		add(o, "tgid", json_u64(ev->tgid), ok);
	if (ev->comm[0])
		add(o, "comm", json_chars(ev->comm, sizeof(ev->comm)), ok);
}

static void json_oom(cJSON *o, const struct cgscope_event *ev, bool *ok)
{
	add(o, "oom_scope", cJSON_CreateString(event_oom_scope_name(ev->oom_scope)), ok);
	if (ev->oom_domain_id)
		add(o, "oom_domain_id", json_u64(ev->oom_domain_id), ok);
	if (ev->flags & CGSCOPE_EVF_UID)
		add(o, "uid", json_u64(ev->uid), ok);
	if (ev->flags & CGSCOPE_EVF_MEMORY) {
		add(o, "total_vm_bytes", json_u64(ev->total_vm_bytes), ok);
		add(o, "anon_rss_bytes", json_u64(ev->anon_rss_bytes), ok);
		add(o, "file_rss_bytes", json_u64(ev->file_rss_bytes), ok);
		add(o, "shmem_rss_bytes", json_u64(ev->shmem_rss_bytes), ok);
		add(o, "pgtables_bytes", json_u64(ev->pgtables_bytes), ok);
		add(o, "oom_score_adj", json_s64(ev->oom_score_adj), ok);
	}
	if (ev->flags & CGSCOPE_EVF_OOM_DETAIL) {
		add(o, "oom_points", json_s64(ev->oom_points), ok);
		add(o, "oom_limit_bytes", json_u64(ev->oom_limit_bytes), ok);
	}
	if (ev->killer_pid) {
		add(o, "killer_pid", json_u64(ev->killer_pid), ok);
		add(o, "killer_comm", json_chars(ev->killer_comm, sizeof(ev->killer_comm)), ok);
	}
}

cJSON *event_to_json(const struct cgscope_event *ev, uint64_t seq, uint64_t wall_ns)
{
	cJSON *o = cJSON_CreateObject();
	char tbuf[96];
	bool ok = true;

	if (!o)
		return NULL;
	if (seq)
		add(o, "seq", json_u64(seq), &ok);
	time_string(wall_ns, tbuf, sizeof(tbuf));
	add(o, "time", cJSON_CreateString(tbuf), &ok);
	add(o, "timestamp_ns", json_u64(wall_ns), &ok);
	add(o, "ktime_ns", json_u64(ev->ts_ns), &ok);
	add(o, "type", cJSON_CreateString(event_type_name(ev->type)), &ok);
	add(o, "source", cJSON_CreateString(hook_name(ev->source)), &ok);
	if (ev->cgroup_id || ev->path[0]) {
		add(o, "cgroup_id", json_u64(ev->cgroup_id), &ok);
		/* A cgroup gone before the reader could name it has no path. */
		if (!(ev->flags & CGSCOPE_EVF_PATH_UNKNOWN))
			add(o, "path", json_chars(ev->path, sizeof(ev->path)), &ok);
		add(o, "level", json_u64(ev->level), &ok);
		if (ev->flags & CGSCOPE_EVF_PATH_TRUNCATED)
			add(o, "path_truncated", cJSON_CreateTrue(), &ok);
	}

	switch (ev->type) {
	case CGSCOPE_EV_MIGRATION:
		json_task(o, ev, &ok);
		if (ev->flags & CGSCOPE_EVF_SRC_KNOWN)
			add(o, "src_cgroup_id", json_u64(ev->src_cgroup_id), &ok);
		if (ev->flags & CGSCOPE_EVF_THREADGROUP_KNOWN)
			add(o, "threadgroup",
			    cJSON_CreateBool(ev->flags & CGSCOPE_EVF_THREADGROUP), &ok);
		break;
	case CGSCOPE_EV_FROZEN:
		json_task(o, ev, &ok);
		add(o, "frozen", cJSON_CreateBool(ev->value), &ok);
		break;
	case CGSCOPE_EV_POPULATED:
		json_task(o, ev, &ok);
		add(o, "populated", cJSON_CreateBool(ev->value), &ok);
		break;
	case CGSCOPE_EV_OOM_KILL:
		json_task(o, ev, &ok);
		json_oom(o, ev, &ok);
		break;
	case CGSCOPE_EV_THROTTLE:
	case CGSCOPE_EV_UNTHROTTLE:
		if (ev->source == CGSCOPE_HOOK_POLL)
			add(o, "count", json_u64(ev->count), &ok);
		else
			add(o, "cpu", json_u64(ev->cpu), &ok);
		if (ev->flags & CGSCOPE_EVF_DURATION)
			add(o, "throttled_duration_ns", json_u64(ev->throttled_ns), &ok);
		break;
	default:
		json_task(o, ev, &ok);
		break;
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int event_format_json(const struct cgscope_event *ev, uint64_t seq, uint64_t wall_ns,
		      char **ret)
{
	cJSON *o = event_to_json(ev, seq, wall_ns);
	char *s;

	if (!o)
		return -ENOMEM;
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}
