// SPDX-License-Identifier: GPL-2.0-only
/* cgscope events: kernel events as they happen, one line each, straight from
 * the BPF programs (no agent needed). Every line is flushed at once, so a
 * pipe or a file sees an OOM kill within a poll interval (200 ms).
 *
 * Lost records (ring buffer full) are reported in the stream itself, where
 * they happened: a line "... lost N ..." (with --json an object with
 * "type":"lost"), at most once a second and once more at exit; the exit
 * summary on stderr repeats the totals. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/flags.h"
#include "cmd/replay_cmd.h"
#include "events/bpf_loader.h"
#include "events/event_format.h"
#include "events/hook.h"
#include "lib/log.h"
#include "lib/clock.h"

#define POLL_MS 200

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* --- flags --------------------------------------------------------------- */

struct events_flags {
	bool json, verbose;
	uint32_t type_mask, deny_hooks;
	uint64_t ringbuf_bytes;
	const char *replay;
	int64_t since_ms, until_ms;
	bool range_set;
};

#define F(x) offsetof(struct events_flags, x)

static int parse_types(const struct flag *f, const char *value, void *cfg)
{
	(void)f;
	return event_type_mask_parse(value, &((struct events_flags *)cfg)->type_mask);
}

static int parse_range(const struct flag *f, const char *value, void *cfg)
{
	if (value != f->def)
		((struct events_flags *)cfg)->range_set = true;
	return flag_time(f, value, cfg);
}

static int parse_deny(const struct flag *f, const char *value, void *cfg)
{
	(void)f;
	return hook_mask_parse(value, &((struct events_flags *)cfg)->deny_hooks);
}

static const struct flag events_flags[] = {
	FLAG_SECTION("Options:"),
	{ .name = "json", .parse = flag_switch, .off = F(json),
	  .help = "one JSON object per line (fields: docs/events.md); 64-bit ids are exact "
		  "JSON integers" },
	{ .name = "type", .arg = "LIST", .def = "all", .parse = parse_types,
	  .want = "a comma-separated list of the types above, or lifecycle, freezer, oom, "
		  "throttling, all",
	  .help = "only these types, comma-separated: the names above, or lifecycle (mkdir, "
		  "rmdir, release, rename), freezer (freeze, unfreeze, frozen), oom, throttling, "
		  "all" },
	{ .name = "bpf.ring-buffer-size", .arg = "BYTES", .def = "1MiB",
	  .parse = flag_size, .off = F(ringbuf_bytes),
	  .min = BPF_LOADER_RINGBUF_MIN, .max = BPF_LOADER_RINGBUF_MAX,
	  .want = BPF_LOADER_RINGBUF_WANT,
	  .help = "the kernel-to-user ring buffer, rounded up to a power of two. Records that "
		  "do not fit are counted and reported as \"lost\" lines in the stream. The "
		  "agent's flag, with its rule; it was --ring-buffer-size, which is gone" },
	{ .name = "deny-hook", .arg = "LIST", .parse = parse_deny,
	  .want = "a comma-separated list of tp_btf, raw_tp, tracepoint, fentry, kprobe",
	  .help = "never use these kinds of hook (tp_btf, raw_tp, tracepoint, fentry, kprobe): "
		  "to test or avoid a fallback" },
	{ .name = "verbose", .short_name = 'v', .parse = flag_switch, .off = F(verbose),
	  .help = "say why hooks were not used, and show libbpf's messages" },

	FLAG_SECTION("From a recording (docs/recording.md):"),
	{ .name = "replay", .arg = "DIR", .parse = flag_string, .off = F(replay),
	  .help = "print the events an agent recorded into DIR (--record.dir) between --since "
		  "and --until, in the same format, instead of tracing; no BPF, no root needed "
		  "beyond reading DIR" },
	{ .name = "since", .arg = "TIME", .def = "1h ago", .parse = parse_range, .off = F(since_ms),
	  .want = TIME_ARG_WANT,
	  .help = "with --replay: events from TIME on: 2026-12-02T03:14:00Z, '2026-12-02 03:14' "
		  "(local), 03:14, 'yesterday 03:00', @1764645240, '10m ago', -2h" },
	{ .name = "until", .arg = "TIME", .def = "now", .parse = parse_range, .off = F(until_ms),
	  .want = TIME_ARG_WANT, .help = "with --replay: events up to TIME, the same forms" },
	FLAG_END
};

static const struct flag_cmd events_cmd = {
	.name = "events",
	.about =
		"Loads cgscope's BPF programs and prints cgroup v2 kernel events as they\n"
		"happen, one line each, until interrupted (SIGINT or SIGTERM: exit 0).\n"
		"Needs root (or CAP_BPF and CAP_PERFMON). Events: migration (a task moved\n"
		"into a cgroup), mkdir, rmdir, release, rename, freeze, unfreeze, frozen,\n"
		"populated, oom_kill (victim, its cgroup and memory; memcg or global\n"
		"OOM where the kernel allows a hook on oom_kill_process), throttle and\n"
		"unthrottle (CFS bandwidth, where fentry or kprobes are allowed).\n",
	.epilogue =
		"Which hook serves each feature is logged on stderr at start, with the\n"
		"message \"tracing\", once everything is attached. With --replay, the events\n"
		"an agent recorded are printed instead, and the command exits.\n",
	.flags = events_flags,
};

struct replay_printer {
	bool json;
	uint32_t mask;
	uint64_t printed;
	int error;
};

static int print_recorded(void *ctx, const struct event_ring_entry *e)
{
	struct replay_printer *p = ctx;
	char line[1024], *json;

	if (e->ev.type >= CGSCOPE_EV_TYPES || !(p->mask & CGSCOPE_EV_MASK(e->ev.type)))
		return 0;
	if (p->json) {
		if (event_format_json(&e->ev, e->seq, e->wall_ns, &json) < 0)
			return -ENOMEM;
		if (puts(json) == EOF)
			p->error = -errno;
		cJSON_free(json);
	} else {
		event_format_text(&e->ev, e->wall_ns, line, sizeof(line));
		if (puts(line) == EOF)
			p->error = -errno;
	}
	p->printed++;
	return p->error;
}

/* --replay: the recorded events of the range, as the live stream prints
 * them; the time each happened, not when it was recorded, selects it. */
static int events_replay(const struct events_flags *fl)
{
	struct replay_printer p = { .json = fl->json, .mask = fl->type_mask };
	struct replay *rp;
	char span[160];
	int r;

	if (fl->deny_hooks) {
		log_error("--deny-hook chooses hooks to trace with: it does not go with --replay");
		return 2;
	}
	if (fl->since_ms > fl->until_ms) {
		log_error("--since is after --until");
		return 2;
	}
	if (replay_cmd_open("events", fl->replay, &rp) < 0)
		return 1;
	r = replay_each_event(rp, fl->since_ms, fl->until_ms, print_recorded, &p);
	if (r == 0 && fflush(stdout) == EOF)
		r = -errno;
	if (r == -EPIPE || p.error == -EPIPE)
		r = 0;
	if (r < 0)
		log_error("cannot %s: %s", p.error ? "write to stdout" : "read the recording",
			  strerror(-r));
	else if (!p.printed) {
		replay_cmd_span(rp, span, sizeof(span));
		log_info("no event in that range; %s holds %s", fl->replay, span);
	}
	replay_close(rp);
	return r < 0 ? 1 : 0;
}

struct printer {
	bool json;
	uint64_t seq;
	uint64_t printed;
	uint64_t lost_shown;
	int error;		/* -errno of a failed write: stop */
};

/* CLOCK_MONOTONIC (bpf_ktime_get_ns) to wall-clock time. */
static uint64_t wall_of(uint64_t ktime)
{
	uint64_t mono = clock_ns(CLOCK_MONOTONIC), wall = clock_ns(CLOCK_REALTIME);

	return ktime <= mono ? wall - (mono - ktime) : wall;
}

static void emit(struct printer *p, const char *line)
{
	if (p->error)
		return;
	if (fputs(line, stdout) == EOF || putchar('\n') == EOF || fflush(stdout) == EOF)
		p->error = -errno;
}

static void on_event(const struct cgscope_event *ev, void *ctx)
{
	struct printer *p = ctx;
	uint64_t wall = wall_of(ev->ts_ns);
	char line[1024], *json;

	p->seq++;
	if (p->json) {
		if (event_format_json(ev, p->seq, wall, &json) < 0) {
			p->error = -ENOMEM;
			return;
		}
		emit(p, json);
		cJSON_free(json);
	} else {
		event_format_text(ev, wall, line, sizeof(line));
		emit(p, line);
	}
	p->printed++;
}

/* A "lost" line for the records dropped since the last one, if any. */
static void report_lost(struct printer *p, const struct bpf_loader *l)
{
	uint64_t total = bpf_loader_lost(l), wall = clock_ns(CLOCK_REALTIME);
	char line[256], ts[64];
	time_t sec = (time_t)(wall / 1000000000u);
	struct tm tm;

	if (total <= p->lost_shown)
		return;
	gmtime_r(&sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	if (p->json)
		snprintf(line, sizeof(line),
			 "{\"time\":\"%s.%09" PRIu64 "Z\",\"type\":\"lost\",\"lost\":%" PRIu64
			 ",\"lost_total\":%" PRIu64 ",\"ring_buffer_bytes\":%zu}",
			 ts, wall % 1000000000u, total - p->lost_shown, total,
			 bpf_loader_ringbuf_bytes(l));
	else
		snprintf(line, sizeof(line),
			 "%s.%06" PRIu64 "Z lost       %" PRIu64 " events: the ring buffer (%zu bytes)"
			 " was full (%" PRIu64 " lost in all)",
			 ts, wall % 1000000000u / 1000u, total - p->lost_shown,
			 bpf_loader_ringbuf_bytes(l), total);
	emit(p, line);
	p->lost_shown = total;
}

static void log_hooks(const struct bpf_loader *l)
{
	const struct bpf_hook *h;
	size_t n = bpf_loader_hooks(l, &h);
	char buf[512];

	bpf_hooks_summary(h, n, buf, sizeof(buf));
	log_info("tracing: %s; ring buffer %zu bytes", buf, bpf_loader_ringbuf_bytes(l));
	for (size_t i = 0; i < n; i++) {
		const char *feature = bpf_feature_name(h[i].feature);

		if (h[i].state == BPF_FEATURE_FAILED)
			log_fields(LOG_WARN, "BPF feature failed", "feature", feature,
				   "hook", hook_name(h[i].err_hook), "stage", bpf_stage_name(h[i].err_stage),
				   "error", strerrorname_np(-h[i].err), "reason", h[i].detail, NULL);
		else if (h[i].hook == CGSCOPE_HOOK_POLL)
			log_info("%s: no BPF hook here (%s); cgscope agent derives it from cpu.stat",
				 feature, h[i].detail);
		else if (h[i].detail[0])
			log_debug("%s: %s", feature, h[i].detail);
	}
}

static bool anything_attached(const struct bpf_loader *l)
{
	const struct bpf_hook *h;
	size_t n = bpf_loader_hooks(l, &h);

	for (size_t i = 0; i < n; i++)
		if (h[i].state == BPF_FEATURE_HOOKED)
			return true;
	return false;
}

int cmd_events(int argc, char **argv)
{
	struct events_flags fl = {0};
	struct bpf_loader_opts lo = { 0 };
	struct printer p = { 0 };
	struct bpf_loader *l;
	struct sigaction sa;
	time_t last_lost = 0;
	int r;

	r = flags_parse(&events_cmd, argc, argv, &fl);
	if (r != 0)
		return r > 0 ? 0 : 2;
	if (fl.replay) {
		signal(SIGPIPE, SIG_IGN);
		return events_replay(&fl);
	}
	if (fl.range_set) {
		log_error("--since and --until read a recording: they go with --replay DIR");
		return 2;
	}
	p.json = fl.json;
	if (fl.verbose)		/* libbpf's messages too: main routes them */
		log_threshold = LOG_DEBUG;
	lo.type_mask = fl.type_mask;
	lo.deny_hooks = fl.deny_hooks;
	lo.ringbuf_bytes = (size_t)fl.ringbuf_bytes;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: the poll returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A closed pipe (| head) ends the stream through EPIPE, quietly. */
	signal(SIGPIPE, SIG_IGN);

	r = bpf_loader_open(&lo, &l);
	if (r < 0) {
		if (r == -EPERM || r == -EACCES)
			log_error("cannot load BPF programs: %s: run as root, or with CAP_BPF "
				  "and CAP_PERFMON", strerror(-r));
		else
			log_error("cannot load BPF programs: %s", strerror(-r));
		return 1;
	}
	if (!anything_attached(l)) {
		log_hooks(l);
		log_error("no BPF hook could be attached for the requested events (-v says why)");
		bpf_loader_close(l);
		return 1;
	}
	log_hooks(l);

	while (!stop && !p.error) {
		r = bpf_loader_poll(l, POLL_MS, on_event, &p);
		if (r < 0 && r != -EINTR) {
			log_error("reading the ring buffer: %s", strerror(-r));
			bpf_loader_close(l);
			return 1;
		}
		if (time(NULL) != last_lost) {
			last_lost = time(NULL);
			report_lost(&p, l);
		}
	}
	/* What the kernel committed before the signal still gets out. */
	if (!p.error)
		bpf_loader_poll(l, 0, on_event, &p);
	report_lost(&p, l);
	log_info("%" PRIu64 " events printed, %" PRIu64 " lost", p.printed, bpf_loader_lost(l));
	bpf_loader_close(l);
	/* The reader going away is how a pipeline ends, and a signal may
	 * interrupt a write to a full pipe: neither is a failure. */
	if (p.error && p.error != -EPIPE && !(stop && p.error == -EINTR)) {
		log_error("cannot write to stdout: %s", strerror(-p.error));
		return 1;
	}
	return 0;
}
