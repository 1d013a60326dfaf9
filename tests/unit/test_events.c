// SPDX-License-Identifier: GPL-2.0-only
/* The event ring (sequence numbers, wrap-around, filters, waiting) and the
 * text and JSON forms of events, on records built here: no kernel needed. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "events/event_format.h"
#include "events/event_ring.h"

static struct cgscope_event make(uint32_t type, uint64_t id, const char *path)
{
	struct cgscope_event ev;
	struct timespec ts;

	memset(&ev, 0, sizeof(ev));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ev.type = type;
	ev.source = CGSCOPE_HOOK_TP_BTF;
	ev.ts_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	ev.cgroup_id = id;
	ev.count = 1;
	snprintf(ev.path, sizeof(ev.path), "%s", path);
	return ev;
}

static void test_ring_sequence_and_wrap(void **state)
{
	struct event_ring_entry out[16];
	struct event_ring *r;
	uint64_t first, last, next;
	size_t n;

	(void)state;
	assert_int_equal(event_ring_new(0, &r), -EINVAL);
	assert_int_equal(event_ring_new(4, &r), 0);
	event_ring_bounds(r, &first, &last);
	assert_int_equal(first, 0);
	assert_int_equal(last, 0);
	assert_int_equal(event_ring_read(r, 0, 0, 16, out, &next), 0);
	assert_int_equal(next, 0);

	for (uint64_t i = 1; i <= 6; i++) {
		struct cgscope_event ev = make(CGSCOPE_EV_MKDIR, i, "/x");

		assert_int_equal(event_ring_push(r, &ev), i);
	}
	/* capacity 4: 3..6 are left, oldest first */
	event_ring_bounds(r, &first, &last);
	assert_int_equal(first, 3);
	assert_int_equal(last, 6);
	n = event_ring_read(r, 0, 0, 16, out, &next);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(out[i].seq, 3 + i);
		assert_int_equal(out[i].ev.cgroup_id, 3 + i);
	}
	assert_int_equal(next, 6);
	/* since is exclusive; a limit stops early and says where */
	n = event_ring_read(r, 4, 0, 1, out, &next);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].seq, 5);
	assert_int_equal(next, 5);
	assert_int_equal(event_ring_read(r, 6, 0, 16, out, &next), 0);
	assert_int_equal(next, 6);
	/* a reader ahead of the ring (an agent restarted under it) */
	assert_int_equal(event_ring_read(r, 100, 0, 16, out, &next), 0);
	assert_int_equal(next, 6);
	event_ring_free(r);
}

static void test_ring_type_mask(void **state)
{
	struct event_ring_entry out[8];
	struct event_ring *r;
	uint64_t next;
	size_t n;

	(void)state;
	assert_int_equal(event_ring_new(8, &r), 0);
	for (int i = 0; i < 6; i++) {
		struct cgscope_event ev = make(i % 2 ? CGSCOPE_EV_OOM_KILL : CGSCOPE_EV_MIGRATION,
					       i, "/");

		event_ring_push(r, &ev);
	}
	n = event_ring_read(r, 0, CGSCOPE_EV_MASK(CGSCOPE_EV_OOM_KILL), 8, out, &next);
	assert_int_equal(n, 3);
	assert_int_equal(out[0].seq, 2);
	assert_int_equal(out[2].seq, 6);
	assert_int_equal(next, 6);	/* filtered-out entries are not looked at again */
	/* wall-clock time: within a second of now */
	assert_true(llabs((long long)(out[0].wall_ns / 1000000000u) - (long long)time(NULL)) <= 1);
	event_ring_free(r);
}

struct pusher {
	struct event_ring *r;
	int delay_ms;
};

static void *push_later(void *arg)
{
	struct pusher *p = arg;
	struct cgscope_event ev = make(CGSCOPE_EV_RMDIR, 7, "/late");

	usleep(p->delay_ms * 1000);
	event_ring_push(p->r, &ev);
	event_ring_wake(p->r);
	return NULL;
}

static void test_ring_wait(void **state)
{
	struct event_ring *r;
	struct pusher p;
	struct timespec t0, t1;
	pthread_t t;

	(void)state;
	assert_int_equal(event_ring_new(2, &r), 0);
	assert_int_equal(event_ring_wait(r, 0, 0), 0);
	assert_int_equal(event_ring_wait(r, 0, 50), 0);	/* times out */
	p.r = r;
	p.delay_ms = 50;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_create(&t, NULL, push_later, &p);
	assert_int_equal(event_ring_wait(r, 0, 5000), 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* Woken by event_ring_wake, not by the timeout. */
	assert_true(t1.tv_sec - t0.tv_sec < 4);
	pthread_join(t, NULL);
	assert_int_equal(event_ring_wait(r, 0, -1), 1);	/* already there */
	event_ring_shutdown(r);
	assert_int_equal(event_ring_wait(r, 1, -1), -ESHUTDOWN);
	event_ring_free(r);
}

static void test_type_mask_parse(void **state)
{
	uint32_t m;

	(void)state;
	assert_int_equal(event_type_mask_parse("oom_kill", &m), 0);
	assert_int_equal(m, CGSCOPE_EV_MASK(CGSCOPE_EV_OOM_KILL));
	assert_int_equal(event_type_mask_parse("lifecycle,migration", &m), 0);
	assert_int_equal(m, CGSCOPE_EV_MASK(CGSCOPE_EV_MKDIR) | CGSCOPE_EV_MASK(CGSCOPE_EV_RMDIR) |
			    CGSCOPE_EV_MASK(CGSCOPE_EV_RELEASE) | CGSCOPE_EV_MASK(CGSCOPE_EV_RENAME) |
			    CGSCOPE_EV_MASK(CGSCOPE_EV_MIGRATION));
	assert_int_equal(event_type_mask_parse("all", &m), 0);
	assert_int_equal(m, CGSCOPE_EV_MASK_ALL);
	assert_int_equal(event_type_mask_parse("", &m), -EINVAL);
	assert_int_equal(event_type_mask_parse("oom,", &m), 0);
	assert_int_equal(event_type_mask_parse("oom,,mkdir", &m), -EINVAL);
	assert_int_equal(event_type_mask_parse("unknown", &m), -EINVAL);
	assert_int_equal(event_type_mask_parse("mkdirx", &m), -EINVAL);
	for (uint32_t t = 1; t < CGSCOPE_EV_TYPES; t++) {
		assert_int_equal(event_type_mask_parse(event_type_name(t), &m), 0);
		assert_int_equal(m, CGSCOPE_EV_MASK(t));
	}
}

static void test_json_exact_and_fields(void **state)
{
	struct cgscope_event ev = make(CGSCOPE_EV_MIGRATION, UINT64_MAX - 1, "/a/b");
	char *s;

	(void)state;
	ev.level = 2;
	ev.pid = 42;
	ev.tgid = 41;
	memcpy(ev.comm, "0123456789abcdef", 16);	/* no NUL: TASK_COMM_LEN full */
	ev.src_cgroup_id = (1ULL << 53) + 1;		/* a double would round it */
	ev.flags = CGSCOPE_EVF_SRC_KNOWN | CGSCOPE_EVF_THREADGROUP_KNOWN | CGSCOPE_EVF_THREADGROUP;
	assert_int_equal(event_format_json(&ev, 9, 1700000000123456789ULL, &s), 0);
	assert_non_null(strstr(s, "\"seq\":9,"));
	assert_non_null(strstr(s, "\"time\":\"2023-11-14T22:13:20.123456789Z\""));
	assert_non_null(strstr(s, "\"type\":\"migration\",\"source\":\"tp_btf\""));
	assert_non_null(strstr(s, "\"cgroup_id\":18446744073709551614,"));
	assert_non_null(strstr(s, "\"src_cgroup_id\":9007199254740993"));
	assert_non_null(strstr(s, "\"pid\":42,\"tgid\":41,\"comm\":\"0123456789abcdef\""));
	assert_non_null(strstr(s, "\"threadgroup\":true"));
	assert_null(strstr(s, "throttled"));
	cJSON_free(s);

	/* unknown source: no src_cgroup_id at all, rather than a 0 */
	ev.flags = 0;
	assert_int_equal(event_format_json(&ev, 0, 0, &s), 0);
	assert_null(strstr(s, "src_cgroup_id"));
	assert_null(strstr(s, "\"seq\""));
	assert_null(strstr(s, "threadgroup"));
	cJSON_free(s);
}

static void test_json_oom_and_throttle(void **state)
{
	struct cgscope_event ev = make(CGSCOPE_EV_OOM_KILL, 77, "/vmtest/oom");
	char *s;

	(void)state;
	ev.pid = ev.tgid = 119;
	strcpy(ev.comm, "dd");
	ev.oom_scope = CGSCOPE_OOM_MEMCG;
	ev.oom_domain_id = 70;
	ev.anon_rss_bytes = 32 << 20;
	ev.oom_score_adj = -1000;
	ev.oom_points = -5;
	ev.flags = CGSCOPE_EVF_MEMORY | CGSCOPE_EVF_OOM_DETAIL;
	assert_int_equal(event_format_json(&ev, 1, 0, &s), 0);
	/* what the VM harness looks for */
	assert_non_null(strstr(s, "\"path\":\"/vmtest/oom\""));
	assert_non_null(strstr(s, "\"pid\":119,"));
	assert_non_null(strstr(s, "\"comm\":\"dd\""));
	assert_non_null(strstr(s, "\"oom_scope\":\"memcg\",\"oom_domain_id\":70"));
	assert_non_null(strstr(s, "\"anon_rss_bytes\":33554432"));
	assert_non_null(strstr(s, "\"oom_score_adj\":-1000"));
	assert_non_null(strstr(s, "\"oom_points\":-5"));
	assert_null(strstr(s, "\"uid\""));		/* not known: not written */
	cJSON_free(s);

	ev = make(CGSCOPE_EV_UNTHROTTLE, 80, "/vmtest/cpu");
	ev.source = CGSCOPE_HOOK_FENTRY;
	ev.cpu = 3;
	ev.throttled_ns = 12345678;
	ev.flags = CGSCOPE_EVF_DURATION;
	assert_int_equal(event_format_json(&ev, 1, 0, &s), 0);
	assert_non_null(strstr(s, "\"cpu\":3,\"throttled_duration_ns\":12345678"));
	assert_null(strstr(s, "poll"));
	cJSON_free(s);

	ev.source = CGSCOPE_HOOK_POLL;
	ev.count = 5;
	assert_int_equal(event_format_json(&ev, 1, 0, &s), 0);
	assert_non_null(strstr(s, "\"source\":\"poll\""));
	assert_non_null(strstr(s, "\"count\":5"));
	cJSON_free(s);
}

static void test_hostile_names(void **state)
{
	struct cgscope_event ev = make(CGSCOPE_EV_MKDIR, 5, "/a\nb\\c\xff\xc3\xa9");
	char line[512], *s;
	cJSON *doc;

	(void)state;
	strcpy(ev.comm, "x\ty");
	ev.pid = 1;
	event_format_text(&ev, 0, line, sizeof(line));
	/* one line, whatever the names hold */
	assert_null(strchr(line, '\n'));
	assert_null(strchr(line, '\t'));
	assert_non_null(strstr(line, "/a\\x0ab\\x5cc"));
	assert_non_null(strstr(line, "(x\\x09y)"));

	assert_int_equal(event_format_json(&ev, 1, 0, &s), 0);
	assert_null(strchr(s, '\n'));
	doc = cJSON_Parse(s);
	assert_non_null(doc);
	/* invalid UTF-8 became U+FFFD and its hex (lib/utf8.h), valid UTF-8 stayed */
	assert_string_equal(cJSON_GetObjectItem(doc, "path")->valuestring,
			    "/a\nb\\c\xef\xbf\xbd" "ff\xc3\xa9");
	cJSON_Delete(doc);
	cJSON_free(s);

	/* a path of exactly CGSCOPE_PATH_LEN bytes, no NUL */
	memset(ev.path, 'p', sizeof(ev.path));
	assert_int_equal(event_format_json(&ev, 1, 0, &s), 0);
	doc = cJSON_Parse(s);
	assert_int_equal(strlen(cJSON_GetObjectItem(doc, "path")->valuestring), CGSCOPE_PATH_LEN);
	cJSON_Delete(doc);
	cJSON_free(s);
}

static void test_text_lines(void **state)
{
	struct cgscope_event ev = make(CGSCOPE_EV_MIGRATION, 10, "/x");
	char line[512], tiny[16];
	int n;

	(void)state;
	ev.pid = 5;
	strcpy(ev.comm, "sleep");
	ev.src_cgroup_id = 9;
	ev.flags = CGSCOPE_EVF_SRC_KNOWN | CGSCOPE_EVF_THREADGROUP_KNOWN | CGSCOPE_EVF_THREADGROUP;
	n = event_format_text(&ev, 1700000000123456789ULL, line, sizeof(line));
	assert_int_equal(n, (int)strlen(line));
	assert_string_equal(line, "2023-11-14T22:13:20.123456Z migration  /x (id 10) pid 5 (sleep) "
			    "moved in from cgroup 9, whole process [tp_btf]");
	/* cut to fit, the length it needs still returned */
	assert_int_equal(event_format_text(&ev, 1700000000123456789ULL, tiny, sizeof(tiny)), n);
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);

	ev = make(CGSCOPE_EV_UNTHROTTLE, 11, "/cpu");
	ev.source = CGSCOPE_HOOK_KPROBE;
	ev.cpu = 1;
	ev.throttled_ns = 2500000;
	ev.flags = CGSCOPE_EVF_DURATION;
	event_format_text(&ev, 0, line, sizeof(line));
	assert_non_null(strstr(line, "unthrottle /cpu (id 11) cpu 1 after 2.500ms [kprobe]"));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_sequence_and_wrap),
		cmocka_unit_test(test_ring_type_mask),
		cmocka_unit_test(test_ring_wait),
		cmocka_unit_test(test_type_mask_parse),
		cmocka_unit_test(test_json_exact_and_fields),
		cmocka_unit_test(test_json_oom_and_throttle),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_text_lines),
	};

	return UNIT_RUN("events", tests, argc, argv);
}
