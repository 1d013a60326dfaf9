// SPDX-License-Identifier: GPL-2.0-only
/* The JSON form of snapshots: values, exact 64-bit integers, round trip. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "collector.h"
#include "fixture.h"
#include "json_snapshot.h"

static struct snapshot *collect(const char *root)
{
	struct collector *c;
	struct snapshot *s;

	assert_int_equal(collector_new(root, &c), 0);
	assert_int_equal(collector_collect(c, &s), 0);
	collector_free(c);
	return s;
}

static char *print(const struct snapshot *s)
{
	cJSON *doc = json_snapshot(s, NULL);
	char *text = cJSON_PrintUnformatted(doc);

	cJSON_Delete(doc);
	return text;
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
			assert_memory_equal(a->mem_stat, b->mem_stat, sizeof(a->mem_stat));
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
	doc = json_snapshot(s, &only_workload);
	assert_int_equal(cJSON_GetArraySize(get(doc, "cgroups", NULL, NULL)), 2);
	cJSON_Delete(doc);
	doc = json_snapshot(s, &shallow);
	assert_int_equal(cJSON_GetArraySize(get(doc, "cgroups", NULL, NULL)), 2);
	cJSON_Delete(doc);
	doc = json_snapshot(s, &none);	/* a prefix of a name is not a parent */
	assert_int_equal(cJSON_GetArraySize(get(doc, "cgroups", NULL, NULL)), 0);
	cJSON_Delete(doc);
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
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		assert_int_equal(json_parse_snapshot(refused[i], strlen(refused[i]), &s), -EINVAL);
	assert_null(s);
	assert_int_equal(json_parse_snapshot(psi, strlen(psi), &s), 0);
	assert_int_equal(s->cgroups[0].v.psi[PSI_CPU].some.avg10, 0);	/* missing */
	assert_int_equal(s->cgroups[0].v.psi[PSI_CPU].some.avg60, 0);
	assert_true(s->cgroups[0].v.psi[PSI_CPU].some.avg300 == UINT32_MAX);
	assert_true(s->cgroups[0].v.psi[PSI_CPU].some.total_usec == 7);
	snapshot_unref(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_values),
		cmocka_unit_test(test_exact_u64),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_parse_hostile_numbers),
	};
	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
