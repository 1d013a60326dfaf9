// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_identity.h"
#include "json_snapshot.h"
#include "strbuf.h"
#include "utf8.h"

cJSON *json_u64(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return cJSON_CreateRaw(buf);
}

/* "max" limits are JSON null. */
static cJSON *json_limit(uint64_t v)
{
	return v == CG_MAX ? cJSON_CreateNull() : json_u64(v);
}

/* The values of a flat file with one number per file, by JSON group/key. */
static const struct {
	const char *group, *key;
	enum cg_file file;
	size_t off;
	bool limit;			/* "max" possible: null in JSON */
} scalars[] = {
#define V(field) offsetof(struct cgroup_values, field)
	{ "cgroup", "freeze", F_CGROUP_FREEZE, V(freeze), false },
	{ "cpu", "weight", F_CPU_WEIGHT, V(cpu_weight), false },
	{ "memory", "current", F_MEMORY_CURRENT, V(mem_current), false },
	{ "memory", "peak", F_MEMORY_PEAK, V(mem_peak), false },
	{ "memory", "max", F_MEMORY_MAX, V(mem_max), true },
	{ "memory", "high", F_MEMORY_HIGH, V(mem_high), true },
	{ "memory", "low", F_MEMORY_LOW, V(mem_low), true },
	{ "memory", "min", F_MEMORY_MIN, V(mem_min), true },
	{ "memory", "swap_current", F_MEMORY_SWAP_CURRENT, V(swap_current), false },
	{ "memory", "swap_max", F_MEMORY_SWAP_MAX, V(swap_max), true },
	{ "pids", "current", F_PIDS_CURRENT, V(pids_current), false },
	{ "pids", "max", F_PIDS_MAX, V(pids_max), true },
	{ "pids", "peak", F_PIDS_PEAK, V(pids_peak), false },
};

/* Keyed files: an object of the keys the file had. */
static const struct {
	const char *group, *key;
	enum cg_file file;
	size_t off;
	const char *const *keys;
	unsigned nkeys;
} keyed[] = {
	{ "cgroup", "events", F_CGROUP_EVENTS, V(events), cgroup_events_keys, CGEV_NR },
	{ "cgroup", "stat", F_CGROUP_STAT, V(stat), cgroup_stat_keys, CGSTAT_NR },
	{ "cpu", "stat", F_CPU_STAT, V(cpu), cpu_stat_keys, CPU_NR },
	{ "memory", "events", F_MEMORY_EVENTS, V(mem_events), memory_events_keys, MEMEV_NR },
	{ "memory", "events_local", F_MEMORY_EVENTS_LOCAL, V(mem_events_local), memory_events_keys, MEMEV_NR },
	{ "memory", "stat", F_MEMORY_STAT, V(mem_stat), memory_stat_keys, MEMSTAT_NR },
	{ "memory", "swap_events", F_MEMORY_SWAP_EVENTS, V(swap_events), swap_events_keys, SWAPEV_NR },
	{ "pids", "events", F_PIDS_EVENTS, V(pids_events), pids_events_keys, PIDSEV_NR },
#undef V
};


static cJSON *group_obj(cJSON *parent, const char *name)
{
	cJSON *g = cJSON_GetObjectItemCaseSensitive(parent, name);

	if (!g)
		g = cJSON_AddObjectToObject(parent, name);
	return g;
}

static void add_psi_line(cJSON *obj, const char *kind, const struct psi_line *l)
{
	cJSON *o = cJSON_AddObjectToObject(obj, kind);

	/* avg values are hundredths of a percent: two decimals, exact. */
	cJSON_AddNumberToObject(o, "avg10", l->avg10 / 100.0);
	cJSON_AddNumberToObject(o, "avg60", l->avg60 / 100.0);
	cJSON_AddNumberToObject(o, "avg300", l->avg300 / 100.0);
	cJSON_AddItemToObject(o, "total_usec", json_u64(l->total_usec));
}

/* A string that may not be UTF-8 (a cgroup name is bytes): cJSON passes
 * bytes through, and a JSON text must be UTF-8. Invalid bytes become U+FFFD;
 * the id stays exact for lookups. */
void json_add_text(cJSON *o, const char *key, const char *text)
{
	size_t len = strlen(text);
	struct strbuf sb = {0};

	if (utf8_valid(text, len)) {
		cJSON_AddStringToObject(o, key, text);
		return;
	}
	utf8_sanitize(&sb, text, len);
	cJSON_AddStringToObject(o, key, sb.buf ? sb.buf : "");
	sb_free(&sb);
}

cJSON *json_cgroup(const struct snapshot *s, const struct cgroup_sample *c)
{
	const struct cgroup_values *v = &c->v;
	cJSON *o = cJSON_CreateObject(), *g;

	cJSON_AddItemToObject(o, "id", json_u64(c->id));
	json_add_text(o, "path", sample_path(s, c));
	cJSON_AddItemToObject(o, "parent_id", json_u64(c->parent_id));
	cJSON_AddNumberToObject(o, "depth", c->depth);
	json_add_identity(o, sample_path(s, c));
	if (cg_has(v, F_CGROUP_EVENTS)) {
		if (v->events[CGEV_POPULATED] != CG_UNSET)
			cJSON_AddBoolToObject(o, "populated", v->events[CGEV_POPULATED] != 0);
		if (v->events[CGEV_FROZEN] != CG_UNSET)
			cJSON_AddBoolToObject(o, "frozen", v->events[CGEV_FROZEN] != 0);
	}
	for (size_t i = 0; i < sizeof(keyed) / sizeof(keyed[0]); i++) {
		const uint64_t *vals = (const uint64_t *)((const char *)v + keyed[i].off);
		cJSON *k;

		if (!cg_has(v, keyed[i].file))
			continue;
		k = cJSON_AddObjectToObject(group_obj(o, keyed[i].group), keyed[i].key);
		for (unsigned j = 0; j < keyed[i].nkeys; j++)
			if (vals[j] != CG_UNSET)
				cJSON_AddItemToObject(k, keyed[i].keys[j], json_u64(vals[j]));
	}
	for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++) {
		uint64_t x = *(const uint64_t *)((const char *)v + scalars[i].off);

		if (cg_has(v, scalars[i].file))
			cJSON_AddItemToObject(group_obj(o, scalars[i].group), scalars[i].key,
					      scalars[i].limit ? json_limit(x) : json_u64(x));
	}
	if (cg_has(v, F_CPU_MAX)) {
		g = cJSON_AddObjectToObject(group_obj(o, "cpu"), "max");
		cJSON_AddItemToObject(g, "quota_usec", json_limit(v->cpu_quota));
		cJSON_AddItemToObject(g, "period_usec", json_u64(v->cpu_period));
	}
	if (cg_has(v, F_IO_STAT)) {
		cJSON *devs = cJSON_AddArrayToObject(group_obj(o, "io"), "devices");
		for (uint32_t d = 0; d < v->io_count; d++) {
			const struct io_dev_stat *ds = &s->io.items[v->io_first + d];
			cJSON *dj = cJSON_CreateObject();
			char dev[24];

			snprintf(dev, sizeof(dev), "%u:%u", ds->major, ds->minor);
			cJSON_AddStringToObject(dj, "device", dev);
			cJSON_AddItemToObject(dj, "rbytes", json_u64(ds->rbytes));
			cJSON_AddItemToObject(dj, "wbytes", json_u64(ds->wbytes));
			cJSON_AddItemToObject(dj, "rios", json_u64(ds->rios));
			cJSON_AddItemToObject(dj, "wios", json_u64(ds->wios));
			cJSON_AddItemToObject(dj, "dbytes", json_u64(ds->dbytes));
			cJSON_AddItemToObject(dj, "dios", json_u64(ds->dios));
			cJSON_AddItemToArray(devs, dj);
		}
	}
	for (int r = 0; r < PSI_NR; r++) {
		const struct psi *p = &v->psi[r];

		if (!cg_has(v, (enum cg_file)(F_CPU_PRESSURE + r)))
			continue;
		g = cJSON_AddObjectToObject(group_obj(o, "pressure"), psi_resource_names[r]);
		if (p->has_some)
			add_psi_line(g, "some", &p->some);
		if (p->has_full)
			add_psi_line(g, "full", &p->full);
	}
	if (c->has_rates) {
		g = cJSON_AddObjectToObject(o, "rates");
		cJSON_AddNumberToObject(g, "cpu_cores", c->cpu_cores);
		cJSON_AddNumberToObject(g, "io_read_bytes_per_second", c->io_read_bps);
		cJSON_AddNumberToObject(g, "io_write_bytes_per_second", c->io_write_bps);
	}
	return o;
}

static bool matches(const struct snapshot *s, const struct cgroup_sample *c,
		    const struct json_filter *f)
{
	const char *p = sample_path(s, c);
	size_t n;

	if (!f)
		return true;
	if (f->max_depth >= 0 && c->depth > (uint32_t)f->max_depth)
		return false;
	if (!f->path_prefix || !strcmp(f->path_prefix, "/"))
		return true;
	n = strlen(f->path_prefix);
	while (n > 1 && f->path_prefix[n - 1] == '/')
		n--;
	return strncmp(p, f->path_prefix, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

cJSON *json_snapshot(const struct snapshot *s, const struct json_filter *f)
{
	cJSON *o = cJSON_CreateObject(), *arr;

	cJSON_AddItemToObject(o, "timestamp_ms", json_u64((uint64_t)s->taken_ms));
	cJSON_AddItemToObject(o, "cycle", json_u64(s->cycle));
	cJSON_AddStringToObject(o, "root", s->root ? s->root : "");
	arr = cJSON_AddArrayToObject(o, "cgroups");
	for (size_t i = 0; i < s->n; i++)
		if (matches(s, &s->cgroups[i], f))
			cJSON_AddItemToArray(arr, json_cgroup(s, &s->cgroups[i]));
	return o;
}

/* --- parsing ------------------------------------------------------------ */

/* cJSON keeps numbers as doubles only. Integers longer than 15 digits are
 * quoted before parsing so that their exact text survives in valuestring. */
static char *quote_long_ints(const char *in, size_t len)
{
	char *out = malloc(len * 2 + 1), *o = out;
	bool str = false;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		char c = in[i];

		if (str) {
			*o++ = c;
			if (c == '\\' && i + 1 < len)
				*o++ = in[++i];
			else if (c == '"')
				str = false;
			i++;
			continue;
		}
		if (c == '"') {
			str = true;
			*o++ = c;
			i++;
			continue;
		}
		if (c >= '0' && c <= '9' && (i == 0 || strchr(",:[ \n\t", in[i - 1]))) {
			size_t j = i;
			while (j < len && in[j] >= '0' && in[j] <= '9')
				j++;
			if (j - i > 15 && (j == len || strchr(",}] \n\t", in[j]))) {
				*o++ = '"';
				memcpy(o, in + i, j - i);
				o += j - i;
				*o++ = '"';
				i = j;
				continue;
			}
		}
		*o++ = c;
		i++;
	}
	*o = '\0';
	return out;
}

/* A number node, or a string of digits made by quote_long_ints; null is
 * CG_MAX. */
static int get_u64(const cJSON *j, uint64_t *ret)
{
	if (cJSON_IsNull(j)) {
		*ret = CG_MAX;
		return 0;
	}
	if (cJSON_IsString(j)) {
		char *end;
		errno = 0;
		*ret = strtoull(j->valuestring, &end, 10);
		return errno || *end ? -EINVAL : 0;
	}
	/* Converting a double outside [0, 2^64) or NaN to uint64_t is
	 * undefined ("depth": 1e300); such a number is not ours (found by
	 * fuzz_json_snapshot). */
	if (!cJSON_IsNumber(j) || !(j->valuedouble >= 0 && j->valuedouble < 18446744073709551616.0))
		return -EINVAL;
	*ret = (uint64_t)j->valuedouble;
	return 0;
}

/* A PSI average (a percent with two decimals) as hundredths. A missing key
 * is NaN and a hostile one any double: converting those to uint32_t is
 * undefined, so they read as 0 and the rest is clamped (found by
 * fuzz_json_snapshot). */
static uint32_t psi_avg(const cJSON *o, const char *key)
{
	double x = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, key)) * 100 + 0.5;

	if (!(x >= 0))
		return 0;
	return x >= UINT32_MAX ? UINT32_MAX : (uint32_t)x;
}

static const cJSON *item(const cJSON *o, const char *a, const char *b)
{
	const cJSON *g = cJSON_GetObjectItemCaseSensitive(o, a);

	return b && g ? cJSON_GetObjectItemCaseSensitive(g, b) : g;
}

static void parse_psi_line(const cJSON *o, struct psi_line *l, uint8_t *has)
{
	uint64_t total;

	if (!o || get_u64(cJSON_GetObjectItemCaseSensitive(o, "total_usec"), &total) < 0)
		return;
	l->avg10 = psi_avg(o, "avg10");
	l->avg60 = psi_avg(o, "avg60");
	l->avg300 = psi_avg(o, "avg300");
	l->total_usec = total;
	*has = 1;
}

static int parse_cgroup(const cJSON *o, struct snapshot *s, struct cgroup_sample *c,
			struct strbuf *strings)
{
	struct cgroup_values *v = &c->v;
	const cJSON *j, *path = cJSON_GetObjectItemCaseSensitive(o, "path");
	uint64_t depth;

	if (!cJSON_IsString(path) || get_u64(item(o, "id", NULL), &c->id) < 0 ||
	    get_u64(item(o, "parent_id", NULL), &c->parent_id) < 0 ||
	    get_u64(item(o, "depth", NULL), &depth) < 0)
		return -EINVAL;
	c->depth = (uint32_t)depth;
	c->path_off = (uint32_t)strings->len;
	sb_append(strings, path->valuestring, strlen(path->valuestring) + 1);
	for (size_t i = 0; i < sizeof(keyed) / sizeof(keyed[0]); i++) {
		uint64_t *vals = (uint64_t *)((char *)v + keyed[i].off);

		j = item(o, keyed[i].group, keyed[i].key);
		if (!cJSON_IsObject(j))
			continue;
		for (unsigned k = 0; k < keyed[i].nkeys; k++)
			if (get_u64(cJSON_GetObjectItemCaseSensitive(j, keyed[i].keys[k]), &vals[k]) < 0)
				vals[k] = CG_UNSET;
		v->present |= 1u << keyed[i].file;
	}
	for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++)
		if (get_u64(item(o, scalars[i].group, scalars[i].key),
			    (uint64_t *)((char *)v + scalars[i].off)) == 0)
			v->present |= 1u << scalars[i].file;
	j = item(o, "cpu", "max");
	if (j && get_u64(item(j, "quota_usec", NULL), &v->cpu_quota) == 0 &&
	    get_u64(item(j, "period_usec", NULL), &v->cpu_period) == 0)
		v->present |= 1u << F_CPU_MAX;
	j = item(o, "io", "devices");
	if (cJSON_IsArray(j)) {
		const cJSON *d;
		v->io_first = s->io.len;
		cJSON_ArrayForEach(d, j) {
			struct io_dev_stat ds = {0};
			const cJSON *dev = cJSON_GetObjectItemCaseSensitive(d, "device");

			if (!cJSON_IsString(dev) || sscanf(dev->valuestring, "%u:%u", &ds.major, &ds.minor) != 2)
				continue;
			get_u64(item(d, "rbytes", NULL), &ds.rbytes);
			get_u64(item(d, "wbytes", NULL), &ds.wbytes);
			get_u64(item(d, "rios", NULL), &ds.rios);
			get_u64(item(d, "wios", NULL), &ds.wios);
			get_u64(item(d, "dbytes", NULL), &ds.dbytes);
			get_u64(item(d, "dios", NULL), &ds.dios);
			if (s->io.len == s->io.cap) {
				uint32_t cap = s->io.cap ? s->io.cap * 2 : 64;
				struct io_dev_stat *p = realloc(s->io.items, cap * sizeof(*p));
				if (!p)
					return -ENOMEM;
				s->io.items = p;
				s->io.cap = cap;
			}
			s->io.items[s->io.len++] = ds;
		}
		v->io_count = s->io.len - v->io_first;
		v->present |= 1u << F_IO_STAT;
	}
	for (int r = 0; r < PSI_NR; r++) {
		struct psi *p = &v->psi[r];

		j = item(o, "pressure", psi_resource_names[r]);
		if (!j)
			continue;
		parse_psi_line(cJSON_GetObjectItemCaseSensitive(j, "some"), &p->some, &p->has_some);
		parse_psi_line(cJSON_GetObjectItemCaseSensitive(j, "full"), &p->full, &p->has_full);
		v->present |= 1u << (F_CPU_PRESSURE + r);
	}
	j = item(o, "rates", NULL);
	if (cJSON_IsObject(j)) {
		c->has_rates = 1;
		c->cpu_cores = cJSON_GetNumberValue(item(j, "cpu_cores", NULL));
		c->io_read_bps = cJSON_GetNumberValue(item(j, "io_read_bytes_per_second", NULL));
		c->io_write_bps = cJSON_GetNumberValue(item(j, "io_write_bytes_per_second", NULL));
		if (c->cpu_cores != c->cpu_cores)	/* NaN: key missing */
			c->cpu_cores = 0;
	}
	return 0;
}

int json_parse_snapshot(const char *buf, size_t len, struct snapshot **ret)
{
	char *text = quote_long_ints(buf, len);
	struct strbuf strings = {0};
	struct snapshot *s = NULL;
	const cJSON *arr, *o;
	cJSON *doc;
	uint64_t u;
	size_t i = 0;
	int r = -EINVAL;

	if (!text)
		return -ENOMEM;
	doc = cJSON_Parse(text);
	free(text);
	arr = cJSON_GetObjectItemCaseSensitive(doc, "cgroups");
	if (!doc || !cJSON_IsArray(arr))
		goto out;
	s = snapshot_new();
	if (!s || !(s->cgroups = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*s->cgroups)))) {
		r = -ENOMEM;
		goto out;
	}
	if (get_u64(item(doc, "timestamp_ms", NULL), &u) == 0)
		s->taken_ms = (int64_t)u;
	if (get_u64(item(doc, "cycle", NULL), &u) == 0)
		s->cycle = u;
	o = item(doc, "root", NULL);
	s->root = strdup(cJSON_IsString(o) ? o->valuestring : "");
	cJSON_ArrayForEach(o, arr) {
		r = parse_cgroup(o, s, &s->cgroups[i], &strings);
		if (r < 0)
			goto out;
		i++;
	}
	s->n = i;
	r = sb_error(&strings);
	if (r < 0)
		goto out;
	s->strings_len = strings.len;
	s->strings = sb_steal(&strings, NULL);
	if (!s->strings) {
		r = -ENOMEM;
		goto out;
	}
	*ret = s;
	s = NULL;
	r = 0;
out:
	sb_free(&strings);
	snapshot_unref(s);
	cJSON_Delete(doc);
	return r;
}
