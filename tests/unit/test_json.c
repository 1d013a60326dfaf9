// SPDX-License-Identifier: GPL-2.0-only
/* The JSON form of snapshots: values, exact 64-bit integers, round trip;
 * the writer: escaping, UTF-8, numbers as cJSON printed them, commas. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include <cmocka.h>

#include "unit.h"

#include "collect/collector.h"
#include "fixture.h"
#include "json/json_snapshot.h"
#include "lib/macros.h"

static struct snapshot *collect(const char *root)
{
	struct collector *c;
	struct snapshot *s;

	assert_int_equal(collector_new(root, &c), 0);
	assert_int_equal(collector_collect(c, &s), 0);
	collector_free(c);
	return s;
}

static char *print_filtered(const struct snapshot *s, const struct json_filter *f)
{
	struct strbuf sb = {0};

	assert_int_equal(json_snapshot(s, f, &sb), 0);
	return sb_steal(&sb, NULL);
}

static char *print(const struct snapshot *s)
{
	return print_filtered(s, NULL);
}

static cJSON *print_doc(const struct snapshot *s, const struct json_filter *f)
{
	char *text = print_filtered(s, f);
	cJSON *doc = cJSON_Parse(text);

	assert_non_null(doc);
	free(text);
	return doc;
}

static const cJSON *get(const cJSON *o, const char *a, const char *b, const char *c)
{
	o = cJSON_GetObjectItemCaseSensitive(o, a);
	if (b)
		o = cJSON_GetObjectItemCaseSensitive(o, b);
	if (c)
		o = cJSON_GetObjectItemCaseSensitive(o, c);
	assert_non_null(o);
	return o;
}

static void test_fixture_values(void **state)
{
	struct snapshot *s = collect(V2);
	char *text = print(s);
	cJSON *doc = cJSON_Parse(text);
	const cJSON *w = cJSON_GetArrayItem(get(doc, "cgroups", NULL, NULL), 1), *dev;

	(void)state;
	assert_string_equal(get(w, "path", NULL, NULL)->valuestring, "/workload");
	assert_true(cJSON_IsTrue(get(w, "populated", NULL, NULL)));
	assert_int_equal(get(w, "depth", NULL, NULL)->valueint, 1);
	assert_int_equal(get(w, "cpu", "stat", "nr_throttled")->valueint, 251);
	assert_int_equal(get(w, "cpu", "max", "quota_usec")->valueint, 10000);
	assert_int_equal(get(w, "cpu", "weight", NULL)->valueint, 200);
	assert_int_equal(get(w, "memory", "max", NULL)->valueint, 29999104);
	assert_int_equal(get(w, "memory", "events", "oom_kill")->valueint, 1);
	assert_int_equal(get(w, "memory", "stat", "anon")->valueint, 90112);
	assert_true(cJSON_IsNull(get(w, "memory", "swap_max", NULL)) ||
		    get(w, "memory", "swap_max", NULL)->valuedouble >= 0);
	assert_int_equal(get(w, "pids", "events", "max")->valueint, 1);
	assert_true(get(w, "pressure", "memory", "some")->child != NULL);
	assert_true(get(get(w, "pressure", "memory", "some"), "avg10", NULL, NULL)->valuedouble == 5.14);
	dev = cJSON_GetArrayItem(get(w, "io", "devices", NULL), 0);
	assert_string_equal(get(dev, "device", NULL, NULL)->valuestring, "1:0");
	assert_int_equal(get(dev, "wbytes", NULL, NULL)->valueint, 16777216);
	/* The root has no cpu.max: no such key rather than a made-up one. */
	assert_null(cJSON_GetObjectItemCaseSensitive(
		get(cJSON_GetArrayItem(get(doc, "cgroups", NULL, NULL), 0), "cpu", NULL, NULL), "max"));
	cJSON_Delete(doc);
	free(text);
	snapshot_unref(s);
}

static void test_exact_u64(void **state)
{
	struct snapshot *s = collect(V2), *back;
	char *text;

	(void)state;
	/* Beyond 2^53 a double would round these. */
	s->cgroups[1].id = (1ull << 63) + 1;
	s->cgroups[1].v.cpu[CPU_USAGE] = UINT64_MAX - 1;
	s->cgroups[1].v.mem_max = CG_MAX;
	text = print(s);
	assert_non_null(strstr(text, "\"id\":9223372036854775809,"));
	assert_non_null(strstr(text, "\"usage_usec\":18446744073709551614,"));
	assert_non_null(strstr(text, "\"max\":null"));
	assert_int_equal(json_parse_snapshot(text, strlen(text), &back), 0);
	assert_true(back->cgroups[1].id == (1ull << 63) + 1);
	assert_true(back->cgroups[1].v.cpu[CPU_USAGE] == UINT64_MAX - 1);
	assert_true(back->cgroups[1].v.mem_max == CG_MAX);
	snapshot_unref(back);
	free(text);
	snapshot_unref(s);
}

static void test_round_trip(void **state)
{
	const char *roots[] = { V2, HYBRID };

	(void)state;
	for (int r = 0; r < 2; r++) {
		struct snapshot *s = collect(roots[r]), *back;
		char *text = print(s);

		assert_int_equal(json_parse_snapshot(text, strlen(text), &back), 0);
		assert_int_equal(back->n, s->n);
		assert_string_equal(back->root, s->root);
		for (size_t i = 0; i < s->n; i++) {
			const struct cgroup_values *a = &s->cgroups[i].v, *b = &back->cgroups[i].v;

			assert_string_equal(sample_path(s, &s->cgroups[i]), sample_path(back, &back->cgroups[i]));
			assert_true(s->cgroups[i].id == back->cgroups[i].id);
			assert_true(s->cgroups[i].parent_id == back->cgroups[i].parent_id);
			assert_int_equal(a->present, b->present);
			assert_memory_equal(a->cpu, b->cpu, sizeof(a->cpu));
			assert_int_equal(!sample_mem_stat(s, a), !sample_mem_stat(back, b));
			if (sample_mem_stat(s, a))
				assert_memory_equal(sample_mem_stat(s, a), sample_mem_stat(back, b),
						    sizeof(s->mem_stat.rows[0]));
			assert_memory_equal(a->mem_events, b->mem_events, sizeof(a->mem_events));
			for (int k = 0; k < PSI_NR; k++) {	/* field by field: padding differs */
				assert_int_equal(a->psi[k].has_some, b->psi[k].has_some);
				assert_int_equal(a->psi[k].has_full, b->psi[k].has_full);
				assert_int_equal(a->psi[k].some.avg10, b->psi[k].some.avg10);
				assert_int_equal(a->psi[k].some.avg300, b->psi[k].some.avg300);
				assert_true(a->psi[k].some.total_usec == b->psi[k].some.total_usec);
				assert_true(a->psi[k].full.total_usec == b->psi[k].full.total_usec);
			}
			assert_true(a->mem_max == b->mem_max && a->cpu_quota == b->cpu_quota);
			assert_int_equal(a->io_count, b->io_count);
			if (a->io_count)
				assert_memory_equal(&s->io.items[a->io_first], &back->io.items[b->io_first],
						    a->io_count * sizeof(struct io_dev_stat));
		}
		snapshot_unref(back);
		free(text);
		snapshot_unref(s);
	}
}

static void test_filter(void **state)
{
	struct snapshot *s = collect(HYBRID);
	struct json_filter only_workload = { "/workload", -1 }, shallow = { NULL, 1 }, none = { "/work", -1 };
	cJSON *doc;

	(void)state;
	doc = print_doc(s, &only_workload);
	assert_int_equal(cJSON_GetArraySize(get(doc, "cgroups", NULL, NULL)), 2);
	cJSON_Delete(doc);
	doc = print_doc(s, &shallow);
	assert_int_equal(cJSON_GetArraySize(get(doc, "cgroups", NULL, NULL)), 2);
	cJSON_Delete(doc);
	doc = print_doc(s, &none);	/* a prefix of a name is not a parent */
	assert_int_equal(cJSON_GetArraySize(get(doc, "cgroups", NULL, NULL)), 0);
	cJSON_Delete(doc);
	snapshot_unref(s);
}

/* --- the writer ------------------------------------------------------- */

static char *written(struct strbuf *sb)
{
	assert_int_equal(sb_error(sb), 0);
	return sb_steal(sb, NULL);
}

/* Commas at every level, empty containers, each kind of value. */
static void test_writer_structure(void **state)
{
	struct strbuf sb = {0};
	struct json_writer w = json_writer_on(&sb);
	char *text;

	(void)state;
	jw_object(&w);
	jw_key(&w, "a");
	jw_object(&w);
	jw_object_end(&w);
	jw_key(&w, "b");
	jw_array(&w);
	jw_array_end(&w);
	jw_key(&w, "c");
	jw_array(&w);
	jw_object(&w);
	jw_key(&w, "k");
	jw_u64(&w, 0);
	jw_object_end(&w);
	jw_u64(&w, 1);
	jw_string(&w, "x");
	jw_raw(&w, "{\"r\":[]}", 8);
	jw_array_end(&w);
	jw_key(&w, "d");
	jw_null(&w);
	jw_key(&w, "e");
	jw_bool(&w, true);
	jw_key(&w, "f");
	jw_bool(&w, false);
	jw_key(&w, "g");
	jw_u64(&w, UINT64_MAX);
	jw_object_end(&w);
	text = written(&sb);
	assert_string_equal(text, "{\"a\":{},\"b\":[],\"c\":[{\"k\":0},1,\"x\",{\"r\":[]}],\"d\":null,"
			    "\"e\":true,\"f\":false,\"g\":18446744073709551615}");
	free(text);
}

/* Strings as cJSON escapes them (every byte from 1 to 0x7f), and bytes that
 * are not UTF-8 as U+FFFD: a truncated sequence, a lone continuation byte,
 * an overlong '/', a surrogate, 0xff. */
static void test_writer_strings(void **state)
{
	char ascii[128];
	struct strbuf sb = {0};
	struct json_writer w = json_writer_on(&sb);
	char *text, *want;
	cJSON *o;

	(void)state;
	for (int i = 1; i < 128; i++)
		ascii[i - 1] = (char)i;
	ascii[127] = '\0';
	jw_string(&w, ascii);
	text = written(&sb);
	o = cJSON_CreateString(ascii);
	want = cJSON_PrintUnformatted(o);
	assert_string_equal(text, want);
	assert_non_null(strstr(text, "\\u0001\\u0002"));
	assert_non_null(strstr(text, "\\b\\t\\n\\u000b\\f\\r\\u000e"));
	assert_non_null(strstr(text, "!\\\"#"));
	assert_non_null(strstr(text, "[\\\\]"));
	cJSON_free(want);
	cJSON_Delete(o);
	free(text);

	w = json_writer_on(&sb);
	jw_string(&w, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\xa7");	/* valid: as it is */
	jw_string(&w, "a\xe2\x82" "b\x80" "c\xc0\xaf" "d\xed\xa0\x80" "e\xff");
	jw_string(&w, "");
	text = written(&sb);
	/* Each byte that is not UTF-8: U+FFFD and its hex (lib/utf8.h). */
	assert_string_equal(text, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\xa7\","
			    "\"a\xef\xbf\xbd" "e2\xef\xbf\xbd" "82b\xef\xbf\xbd" "80c\xef\xbf\xbd" "c0"
			    "\xef\xbf\xbd" "afd\xef\xbf\xbd" "ed\xef\xbf\xbd" "a0\xef\xbf\xbd" "80e"
			    "\xef\xbf\xbd" "ff\",\"\"");
	free(text);
}

static void assert_double_as_cjson(double d)
{
	struct strbuf sb = {0};
	struct json_writer w = json_writer_on(&sb);
	cJSON *o = cJSON_CreateNumber(d);
	char *want = cJSON_PrintUnformatted(o), *text;

	jw_double(&w, d);
	text = written(&sb);
	assert_string_equal(text, want);
	free(text);
	cJSON_free(want);
	cJSON_Delete(o);
}

/* Numbers: rates as cJSON printed them, PSI averages (hundredths) exact and
 * as cJSON printed v / 100.0. */
static void test_writer_numbers(void **state)
{
	static const double doubles[] = {
		0, -0.0, 1, -1, 0.1, 0.5, 1.0 / 3, 2.0 / 3, 1e-7, 5e-324, 1e15, 1e16, 1e17,
		123456789012345678.0, 1e300, -1e300, DBL_MAX, 2147483647.0, 2147483648.0,
		-2147483648.0, -2147483649.0, 0.30000000000000004, 12345.678, 3.0e9, 1.5e-3,
	};
	struct strbuf sb = {0};
	struct json_writer w = json_writer_on(&sb);
	char *text;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(doubles); i++)
		assert_double_as_cjson(doubles[i]);
	assert_double_as_cjson(NAN);
	assert_double_as_cjson(INFINITY);
	for (uint64_t v = 0; v <= 100000; v++) {
		char want[32];
		cJSON *o = cJSON_CreateNumber((double)v / 100.0);

		assert_true(cJSON_PrintPreallocated(o, want, sizeof(want), false));
		cJSON_Delete(o);
		w = json_writer_on(&sb);
		jw_fixed(&w, v, 2);
		assert_string_equal(sb.buf, want);
		sb.len = 0;
	}
	sb_free(&sb);
	w = json_writer_on(&sb);
	jw_fixed(&w, UINT32_MAX, 2);
	text = written(&sb);
	assert_string_equal(text, "42949672.95");
	free(text);
}

/* A snapshot made by hand: the strings no captured tree has. */
static struct snapshot *hand_snapshot(const char *root, const char *path)
{
	struct snapshot *s = snapshot_new();
	size_t len = strlen(path) + 1;

	assert_non_null(s);
	s->root = root ? strdup(root) : NULL;
	s->strings = malloc(2 + len);
	memcpy(s->strings, "/", 2);
	memcpy(s->strings + 2, path, len);
	s->strings_len = 2 + len;
	s->cgroups = calloc(2, sizeof(*s->cgroups));
	s->n = 2;
	s->cgroups[0].id = 1;
	s->cgroups[1].id = UINT64_MAX;
	s->cgroups[1].parent_id = 1;
	s->cgroups[1].depth = 1;
	s->cgroups[1].path_off = 2;
	return s;
}

static void test_writer_snapshot(void **state)
{
	struct snapshot *s = hand_snapshot("/sys/fs/\"cg\"", "/q\"b\\s\x01\n\xff\xc3\xa9"), *back;
	struct cgroup_values *v = &s->cgroups[1].v;
	char *text;
	cJSON *doc;

	(void)state;
	s->taken_ms = 1700000000123;
	s->cycle = 7;
	v->present = 1u << F_MEMORY_CURRENT | 1u << F_MEMORY_MAX | 1u << F_CPU_MAX;
	v->mem_current = UINT64_MAX;	/* not a limit: the number itself */
	v->mem_max = CG_MAX;
	v->cpu_quota = CG_MAX;
	v->cpu_period = 100000;
	text = print(s);
	assert_string_equal(text,
		"{\"timestamp_ms\":1700000000123,\"cycle\":7,\"root\":\"/sys/fs/\\\"cg\\\"\",\"cgroups\":["
		"{\"id\":1,\"path\":\"/\",\"parent_id\":0,\"depth\":0,\"identity\":{\"unit\":\"\","
		"\"container_id\":\"\",\"runtime\":\"\",\"pod_uid\":\"\",\"qos_class\":\"\",\"namespace\":\"\",\"pod\":\"\",\"container\":\"\",\"image\":\"\"}},"
		"{\"id\":18446744073709551615,\"path\":\"/q\\\"b\\\\s\\u0001\\n\xef\xbf\xbd" "ff\xc3\xa9\","
		"\"parent_id\":1,\"depth\":1,\"identity\":{\"unit\":\"\",\"container_id\":\"\","
		"\"runtime\":\"\",\"pod_uid\":\"\",\"qos_class\":\"\",\"namespace\":\"\",\"pod\":\"\",\"container\":\"\",\"image\":\"\"},"
		"\"memory\":{\"current\":18446744073709551615,\"max\":null},"
		"\"cpu\":{\"max\":{\"quota_usec\":null,\"period_usec\":100000}}}]}");
	doc = cJSON_Parse(text);
	assert_non_null(doc);
	cJSON_Delete(doc);
	assert_int_equal(json_parse_snapshot(text, strlen(text), &back), 0);
	assert_int_equal(back->n, 2);
	assert_string_equal(back->root, "/sys/fs/\"cg\"");
	assert_true(back->cgroups[1].id == UINT64_MAX);
	/* The name's bytes, as they were before the escape. */
	assert_string_equal(sample_path(back, &back->cgroups[1]), "/q\"b\\s\x01\n\xff\xc3\xa9");
	assert_true(back->cgroups[1].v.mem_current == UINT64_MAX);
	assert_true(back->cgroups[1].v.mem_max == CG_MAX);
	assert_true(back->cgroups[1].v.cpu_quota == CG_MAX);
	snapshot_unref(back);
	free(text);
	snapshot_unref(s);
}

static void test_writer_empty(void **state)
{
	struct snapshot *s = snapshot_new(), *back;
	char *text;

	(void)state;
	text = print(s);
	assert_string_equal(text, "{\"timestamp_ms\":0,\"cycle\":0,\"root\":\"\",\"cgroups\":[]}");
	assert_int_equal(json_parse_snapshot(text, strlen(text), &back), 0);
	assert_int_equal(back->n, 0);
	snapshot_unref(back);
	free(text);
	snapshot_unref(s);
}

/* Groups come in the order of their first value (keyed files, scalars,
 * cpu.max, io.stat, PSI), as the cJSON tree made them: without
 * cgroup.events and cgroup.stat, "cgroup" (for cgroup.freeze) comes after
 * "memory" (memory.stat). */
static void test_writer_group_order(void **state)
{
	struct snapshot *s = collect(V2);
	struct cgroup_values *v = &s->cgroups[1].v;
	char *text;
	const char *mem, *cg, *pids, *cpu;

	(void)state;
	v->present &= ~(1u << F_CGROUP_EVENTS | 1u << F_CGROUP_STAT | 1u << F_CPU_STAT |
			1u << F_CPU_WEIGHT | 1u << F_PIDS_EVENTS);
	text = print(s);
	mem = strstr(text, "\"memory\":{\"events\":");
	cg = strstr(text, "\"cgroup\":{\"freeze\":");
	pids = strstr(text, "\"pids\":{\"current\":");
	cpu = strstr(text, "\"cpu\":{\"max\":{");
	assert_non_null(mem);
	assert_non_null(cg);
	assert_non_null(pids);
	assert_non_null(cpu);
	assert_true(mem < cg && cg < pids && pids < cpu);
	free(text);
	snapshot_unref(s);
}

static void test_parse_rejects(void **state)
{
	struct snapshot *s = NULL;

	(void)state;
	assert_int_equal(json_parse_snapshot("", 0, &s), -EINVAL);
	assert_int_equal(json_parse_snapshot("{\"cgroups\":5}", 13, &s), -EINVAL);
	assert_int_equal(json_parse_snapshot("{\"cgroups\":[{\"path\":1}]}", 24, &s), -EINVAL);
	assert_int_equal(json_parse_snapshot("[1,2", 4, &s), -EINVAL);
	assert_null(s);
}

/* Numbers no double-to-integer conversion can hold, found by
 * tests/fuzz/fuzz_json_snapshot: undefined behaviour before, now refused (an
 * id) or read as 0 (a PSI average that is missing or absurd). */
static void test_parse_hostile_numbers(void **state)
{
	static const char *const refused[] = {
		"{\"cgroups\":[{\"id\":1e300,\"path\":\"/\",\"parent_id\":0,\"depth\":0}]}",
		"{\"cgroups\":[{\"id\":1,\"path\":\"/\",\"parent_id\":0,\"depth\":18446744073709551616.0}]}",
		"{\"cgroups\":[{\"id\":1,\"path\":\"/\",\"parent_id\":-1e-300,\"depth\":0}]}",
	};
	static const char psi[] =
		"{\"cgroups\":[{\"id\":1,\"path\":\"/\",\"parent_id\":0,\"depth\":0,"
		"\"pressure\":{\"cpu\":{\"some\":{\"avg60\":-5,\"avg300\":1e300,\"total_usec\":7}}}}]}";
	struct snapshot *s = NULL;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
		assert_int_equal(json_parse_snapshot(refused[i], strlen(refused[i]), &s), -EINVAL);
	assert_null(s);
	assert_int_equal(json_parse_snapshot(psi, strlen(psi), &s), 0);
	assert_int_equal(s->cgroups[0].v.psi[PSI_CPU].some.avg10, 0);	/* missing */
	assert_int_equal(s->cgroups[0].v.psi[PSI_CPU].some.avg60, 0);
	assert_true(s->cgroups[0].v.psi[PSI_CPU].some.avg300 == UINT32_MAX);
	assert_true(s->cgroups[0].v.psi[PSI_CPU].some.total_usec == 7);
	snapshot_unref(s);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_values),
		cmocka_unit_test(test_exact_u64),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_writer_structure),
		cmocka_unit_test(test_writer_strings),
		cmocka_unit_test(test_writer_numbers),
		cmocka_unit_test(test_writer_snapshot),
		cmocka_unit_test(test_writer_empty),
		cmocka_unit_test(test_writer_group_order),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_parse_hostile_numbers),
	};
	return UNIT_RUN("json", tests, argc, argv);
}
