// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>

#include "json/json_identity.h"
#include "json/json_snapshot.h"
#include "json/json_writer.h"
#include "lib/utf8.h"
#include "lib/macros.h"

/* The objects a cgroup's values are grouped in. */
enum group { G_CGROUP, G_CPU, G_MEMORY, G_PIDS, G_IO, G_PRESSURE, G_NR };

static const char *const group_names[G_NR] = {
	[G_CGROUP] = "cgroup", [G_CPU] = "cpu", [G_MEMORY] = "memory",
	[G_PIDS] = "pids", [G_IO] = "io", [G_PRESSURE] = "pressure",
};

/* The values of a flat file with one number per file, by JSON group/key. */
static const struct {
	enum group group;
	const char *key;
	enum cg_file file;
	size_t off;
	bool limit;			/* "max" possible: null in JSON */
} scalars[] = {
#define V(field) offsetof(struct cgroup_values, field)
	{ G_CGROUP, "freeze", F_CGROUP_FREEZE, V(freeze), false },
	{ G_CPU, "weight", F_CPU_WEIGHT, V(cpu_weight), false },
	{ G_MEMORY, "current", F_MEMORY_CURRENT, V(mem_current), false },
	{ G_MEMORY, "peak", F_MEMORY_PEAK, V(mem_peak), false },
	{ G_MEMORY, "max", F_MEMORY_MAX, V(mem_max), true },
	{ G_MEMORY, "high", F_MEMORY_HIGH, V(mem_high), true },
	{ G_MEMORY, "low", F_MEMORY_LOW, V(mem_low), true },
	{ G_MEMORY, "min", F_MEMORY_MIN, V(mem_min), true },
	{ G_MEMORY, "swap_current", F_MEMORY_SWAP_CURRENT, V(swap_current), false },
	{ G_MEMORY, "swap_max", F_MEMORY_SWAP_MAX, V(swap_max), true },
	{ G_PIDS, "current", F_PIDS_CURRENT, V(pids_current), false },
	{ G_PIDS, "max", F_PIDS_MAX, V(pids_max), true },
	{ G_PIDS, "peak", F_PIDS_PEAK, V(pids_peak), false },
};

/* Keyed files: an object of the keys the file had. */
static const struct {
	enum group group;
	const char *key;
	enum cg_file file;
	size_t off;
	const char *const *keys;
	unsigned nkeys;
} keyed[] = {
	{ G_CGROUP, "events", F_CGROUP_EVENTS, V(events), cgroup_events_keys, CGEV_NR },
	{ G_CGROUP, "stat", F_CGROUP_STAT, V(stat), cgroup_stat_keys, CGSTAT_NR },
	{ G_CPU, "stat", F_CPU_STAT, V(cpu), cpu_stat_keys, CPU_NR },
	{ G_MEMORY, "events", F_MEMORY_EVENTS, V(mem_events), memory_events_keys, MEMEV_NR },
	{ G_MEMORY, "events_local", F_MEMORY_EVENTS_LOCAL, V(mem_events_local), memory_events_keys, MEMEV_NR },
	/* off unused: memory.stat is in the snapshot's rows (sample_keyed) */
	{ G_MEMORY, "stat", F_MEMORY_STAT, 0, memory_stat_keys, MEMSTAT_NR },
	{ G_MEMORY, "swap_events", F_MEMORY_SWAP_EVENTS, V(swap_events), swap_events_keys, SWAPEV_NR },
	{ G_PIDS, "events", F_PIDS_EVENTS, V(pids_events), pids_events_keys, PIDSEV_NR },
#undef V
};

/* --- writing ------------------------------------------------------------ */

/* "max" limits are JSON null. */
static void write_limit(struct json_writer *w, uint64_t v)
{
	if (v == CG_MAX)
		jw_null(w);
	else
		jw_u64(w, v);
}

static void write_psi_line(struct json_writer *w, const char *kind, const struct psi_line *l)
{
	jw_key(w, kind);
	jw_object(w);
	/* avg values are hundredths of a percent: two decimals, exact. */
	jw_key(w, "avg10");
	jw_fixed(w, l->avg10, 2);
	jw_key(w, "avg60");
	jw_fixed(w, l->avg60, 2);
	jw_key(w, "avg300");
	jw_fixed(w, l->avg300, 2);
	jw_key(w, "total_usec");
	jw_u64(w, l->total_usec);
	jw_object_end(w);
}

static void write_io_devices(struct json_writer *w, const struct snapshot *s,
			     const struct cgroup_values *v)
{
	jw_key(w, "devices");
	jw_array(w);
	for (uint32_t d = 0; d < v->io_count; d++) {
		const struct io_dev_stat *ds = &s->io.items[v->io_first + d];
		char dev[24];

		snprintf(dev, sizeof(dev), "%u:%u", ds->major, ds->minor);
		jw_object(w);
		jw_key(w, "device");
		jw_string(w, dev);
		jw_key(w, "rbytes");
		jw_u64(w, ds->rbytes);
		jw_key(w, "wbytes");
		jw_u64(w, ds->wbytes);
		jw_key(w, "rios");
		jw_u64(w, ds->rios);
		jw_key(w, "wios");
		jw_u64(w, ds->wios);
		jw_key(w, "dbytes");
		jw_u64(w, ds->dbytes);
		jw_key(w, "dios");
		jw_u64(w, ds->dios);
		jw_object_end(w);
	}
	jw_array_end(w);
}

/* The groups that have a value, in the order their first value comes in
 * write_group's order (keyed files, then scalars, then cpu.max, io.stat,
 * PSI). This is the order the cJSON tree gave them, each made when its first
 * value was added: a cgroup with memory.stat and cgroup.freeze but no
 * cgroup.events has "memory" before "cgroup". Clients have seen that order. */
static unsigned group_order(const struct cgroup_values *v, enum group ret[G_NR])
{
	unsigned seen = 0, n = 0;

#define SEE(g) do { if (!(seen & (1u << (g)))) { seen |= 1u << (g); ret[n++] = (g); } } while (0)
	for (size_t i = 0; i < ARRAY_SIZE(keyed); i++)
		if (cg_has(v, keyed[i].file))
			SEE(keyed[i].group);
	for (size_t i = 0; i < ARRAY_SIZE(scalars); i++)
		if (cg_has(v, scalars[i].file))
			SEE(scalars[i].group);
	if (cg_has(v, F_CPU_MAX))
		SEE(G_CPU);
	if (cg_has(v, F_IO_STAT))
		SEE(G_IO);
	for (int r = 0; r < PSI_NR; r++)
		if (cg_has(v, (enum cg_file)(F_CPU_PRESSURE + r)))
			SEE(G_PRESSURE);
#undef SEE
	return n;
}

/* The members of group g's object. */
static void write_group(struct json_writer *w, const struct snapshot *s,
			const struct cgroup_values *v, enum group g)
{
	for (size_t i = 0; i < ARRAY_SIZE(keyed); i++) {
		const uint64_t *vals;

		if (keyed[i].group != g || !cg_has(v, keyed[i].file))
			continue;
		vals = sample_keyed(s, v, keyed[i].file, keyed[i].off);
		jw_key(w, keyed[i].key);
		jw_object(w);
		for (unsigned j = 0; j < keyed[i].nkeys; j++)
			if (vals[j] != CG_UNSET) {
				jw_key(w, keyed[i].keys[j]);
				jw_u64(w, vals[j]);
			}
		jw_object_end(w);
	}
	for (size_t i = 0; i < ARRAY_SIZE(scalars); i++) {
		uint64_t x = *(const uint64_t *)((const char *)v + scalars[i].off);

		if (scalars[i].group != g || !cg_has(v, scalars[i].file))
			continue;
		jw_key(w, scalars[i].key);
		if (scalars[i].limit)
			write_limit(w, x);
		else
			jw_u64(w, x);
	}
	if (g == G_CPU && cg_has(v, F_CPU_MAX)) {
		jw_key(w, "max");
		jw_object(w);
		jw_key(w, "quota_usec");
		write_limit(w, v->cpu_quota);
		jw_key(w, "period_usec");
		jw_u64(w, v->cpu_period);
		jw_object_end(w);
	}
	if (g == G_IO && cg_has(v, F_IO_STAT))
		write_io_devices(w, s, v);
	for (int r = 0; g == G_PRESSURE && r < PSI_NR; r++) {
		const struct psi *p = &v->psi[r];

		if (!cg_has(v, (enum cg_file)(F_CPU_PRESSURE + r)))
			continue;
		jw_key(w, psi_resource_names[r]);
		jw_object(w);
		if (p->has_some)
			write_psi_line(w, "some", &p->some);
		if (p->has_full)
			write_psi_line(w, "full", &p->full);
		jw_object_end(w);
	}
}

/* Network (issue 20): the subtree's figures, and the cgroup's own
 * sockets' in "own"; retransmits where their hook is in use. */
static const struct {
	const char *key;
	size_t off;
} net_keys[] = {
	{ "receive_bytes", offsetof(struct cgscope_net_figures, rx_bytes) },
	{ "receive_packets", offsetof(struct cgscope_net_figures, rx_packets) },
	{ "transmit_bytes", offsetof(struct cgscope_net_figures, tx_bytes) },
	{ "transmit_packets", offsetof(struct cgscope_net_figures, tx_packets) },
	{ "tcp_retransmits", offsetof(struct cgscope_net_figures, tcp_retransmits) },
};

static void write_net_figures(struct json_writer *w, const struct cgscope_net_figures *f,
			      bool retransmits)
{
	for (size_t k = 0; k < ARRAY_SIZE(net_keys); k++) {
		if (!retransmits && net_keys[k].off == offsetof(struct cgscope_net_figures,
								tcp_retransmits))
			continue;
		jw_key(w, net_keys[k].key);
		jw_u64(w, *(const uint64_t *)((const char *)f + net_keys[k].off));
	}
}

static void write_network(struct json_writer *w, const struct snapshot *s,
			  const struct cgroup_sample *c)
{
	jw_key(w, "network");
	jw_object(w);
	write_net_figures(w, &c->net, s->events.tcp_retransmits);
	jw_key(w, "own");
	jw_object(w);
	write_net_figures(w, &c->net_own, s->events.tcp_retransmits);
	jw_object_end(w);
	jw_object_end(w);
}

void json_cgroup_fields(struct json_writer *w, const struct snapshot *s,
			const struct cgroup_sample *c)
{
	const struct cgroup_values *v = &c->v;
	enum group order[G_NR];
	unsigned n;

	jw_key(w, "id");
	jw_u64(w, c->id);
	jw_key(w, "path");
	jw_string(w, sample_path(s, c));
	jw_key(w, "parent_id");
	jw_u64(w, c->parent_id);
	jw_key(w, "depth");
	jw_u64(w, c->depth);
	json_write_identity(w, s, (size_t)(c - s->cgroups));
	if (cg_has(v, F_CGROUP_EVENTS)) {
		if (v->events[CGEV_POPULATED] != CG_UNSET) {
			jw_key(w, "populated");
			jw_bool(w, v->events[CGEV_POPULATED] != 0);
		}
		if (v->events[CGEV_FROZEN] != CG_UNSET) {
			jw_key(w, "frozen");
			jw_bool(w, v->events[CGEV_FROZEN] != 0);
		}
	}
	n = group_order(v, order);
	for (unsigned i = 0; i < n; i++) {
		jw_key(w, group_names[order[i]]);
		jw_object(w);
		write_group(w, s, v, order[i]);
		jw_object_end(w);
	}
	if (c->has_rates) {
		jw_key(w, "rates");
		jw_object(w);
		jw_key(w, "cpu_cores");
		jw_double(w, c->cpu_cores);
		jw_key(w, "io_read_bytes_per_second");
		jw_double(w, c->io_read_bps);
		jw_key(w, "io_write_bytes_per_second");
		jw_double(w, c->io_write_bps);
		jw_object_end(w);
	}
	if (c->has_net)
		write_network(w, s, c);
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

int json_snapshot(const struct snapshot *s, const struct json_filter *f, struct strbuf *sb)
{
	struct json_writer w = json_writer_on(sb);

	jw_object(&w);
	jw_key(&w, "timestamp_ms");
	jw_u64(&w, (uint64_t)s->taken_ms);
	jw_key(&w, "cycle");
	jw_u64(&w, s->cycle);
	jw_key(&w, "root");
	jw_string(&w, s->root ? s->root : "");
	jw_key(&w, "cgroups");
	jw_array(&w);
	for (size_t i = 0; i < s->n; i++) {
		if (!matches(s, &s->cgroups[i], f))
			continue;
		jw_object(&w);
		json_cgroup_fields(&w, s, &s->cgroups[i]);
		jw_object_end(&w);
	}
	jw_array_end(&w);
	jw_object_end(&w);
	return sb_error(sb);
}

/* --- parsing ------------------------------------------------------------ */

/* cJSON parses: that runs in `cgscope top --url`, not in the agent. */

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

/* A figure missing (retransmits without their hook) or not a number is 0. */
static void parse_net_figures(const cJSON *o, struct cgscope_net_figures *f)
{
	for (size_t k = 0; k < ARRAY_SIZE(net_keys); k++) {
		uint64_t *x = (uint64_t *)((char *)f + net_keys[k].off);

		if (get_u64(cJSON_GetObjectItemCaseSensitive(o, net_keys[k].key), x) < 0 ||
		    *x == CG_MAX)
			*x = 0;
	}
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
	/* The name's own bytes again: the writer escaped what is not UTF-8. */
	c->path_off = (uint32_t)strings->len;
	if (utf8_unescape(strings, path->valuestring, strlen(path->valuestring)) < 0)
		return -EINVAL;
	sb_putc(strings, '\0');
	for (size_t i = 0; i < ARRAY_SIZE(keyed); i++) {
		uint64_t *vals = (uint64_t *)((char *)v + keyed[i].off);

		j = item(o, group_names[keyed[i].group], keyed[i].key);
		if (!cJSON_IsObject(j))
			continue;
		if (keyed[i].file == F_MEMORY_STAT) {
			if (stat_rows_add(&s->mem_stat, &v->mem_stat_row) < 0)
				return -ENOMEM;
			vals = s->mem_stat.rows[v->mem_stat_row];
		}
		for (unsigned k = 0; k < keyed[i].nkeys; k++)
			if (get_u64(cJSON_GetObjectItemCaseSensitive(j, keyed[i].keys[k]), &vals[k]) < 0)
				vals[k] = CG_UNSET;
		v->present |= 1u << keyed[i].file;
	}
	for (size_t i = 0; i < ARRAY_SIZE(scalars); i++)
		if (get_u64(item(o, group_names[scalars[i].group], scalars[i].key),
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
	j = item(o, "network", NULL);
	if (cJSON_IsObject(j)) {
		c->has_net = 1;
		/* the agent's features, as far as its JSON tells them */
		s->events.network = 1;
		if (cJSON_GetObjectItemCaseSensitive(j, "tcp_retransmits"))
			s->events.tcp_retransmits = 1;
		parse_net_figures(j, &c->net);
		parse_net_figures(item(j, "own", NULL), &c->net_own);
	}
	return 0;
}

int json_parse_snapshot(const char *buf, size_t len, struct snapshot **ret)
{
	char *text = quote_long_ints(buf, len);
	struct strbuf strings = {0}, names = {0};
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
	if (cJSON_IsString(o)) {
		/* Escaped as a path is (lib/utf8.h): its own bytes again. */
		struct strbuf rb = {0};

		if (utf8_unescape(&rb, o->valuestring, strlen(o->valuestring)) < 0) {
			sb_free(&rb);
			goto out;
		}
		s->root = sb_steal(&rb, NULL);
	} else {
		s->root = strdup("");
	}
	if (!s->root) {
		r = -ENOMEM;
		goto out;
	}
	sb_putc(&names, '\0');
	cJSON_ArrayForEach(o, arr) {
		uint32_t nm[CN_NR];

		r = parse_cgroup(o, s, &s->cgroups[i], &strings);
		if (r < 0)
			goto out;
		r = json_read_identity_names(item(o, "identity", NULL), &names, nm);
		if (r < 0)
			goto out;
		if (r > 0 && !s->names &&
		    !(s->names = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*s->names)))) {
			r = -ENOMEM;
			goto out;
		}
		if (r > 0)
			memcpy(s->names[i], nm, sizeof(nm));
		i++;
	}
	s->n = i;
	r = sb_error(&strings);
	if (r == 0)
		r = sb_error(&names);
	if (r < 0)
		goto out;
	if (s->names && !(s->names_strings = sb_steal(&names, NULL))) {
		r = -ENOMEM;
		goto out;
	}
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
	sb_free(&names);
	snapshot_unref(s);
	cJSON_Delete(doc);
	return r;
}
