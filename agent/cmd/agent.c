// SPDX-License-Identifier: GPL-2.0-only
/* cgscope agent: the daemon. One thread collects a snapshot per interval;
 * the HTTP server's threads serve whatever snapshot is current. */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cgroupfs/block_device.h"
#include "cmd/cmd.h"
#include "cmd/collect_source.h"
#include "cmd/cycle.h"
#include "cmd/flags.h"
#include "collect/cgroup_filter.h"
#include "collect/container_names.h"
#include "collect/metric_groups.h"
#include "collect/schedule.h"
#include "events/bpf_loader.h"
#include "events/event_source.h"
#include "events/hook.h"
#include "http/http_server.h"
#include "http/web_config.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/privileges.h"
#include "lib/units.h"
#include "lib/version.h"
#include "record/recorder.h"
#include "lib/macros.h"
#include "lib/fd_limit.h"

struct agent_config {
	const char *cgroup_root;
	const char *web_config_file;
	const char *user;
	uint64_t interval_ms;
	uint32_t files;			/* to read: metric_groups_files() */
	struct recorder_opts record;
	bool record_explicit;		/* --record.dir was given, not defaulted */
	enum collect_source source;
	struct http_server_opts http;
	struct cycle_opts cycle;
	struct event_source_opts events;
};

/* The flags as typed, each defaulted in the table below; cmd_agent turns
 * them into the options of each part. */
struct agent_flags {
	const char *cgroup_root;
	const char *rootfs;
	uint64_t interval_ms;
	/* --include/--exclude globs: at most one per argument, so argc-sized. */
	const char **include, **exclude;
	size_t n_include, n_exclude;
	int max_depth;
	uint64_t max_cgroups;
	struct metric_groups groups;
	enum collect_source source;
	enum compat compat;
	const char *listen_address, *metrics_path, *web_config_file;
	uint64_t max_connections, max_connections_per_ip, connection_memory;
	uint64_t idle_timeout_ms, request_timeout_ms;
	bool no_bpf, events_populated;
	uint64_t ringbuf_bytes, events_ring_size, net_slots;
	const char *user;
	const char *record_dir;
	bool record_explicit;
	uint64_t record_retention_ms, record_max_bytes;
};

#define F(x) offsetof(struct agent_flags, x)

static int parse_glob(const struct flag *f, const char *value, void *cfg)
{
	struct agent_flags *a = cfg;
	bool inc = !strcmp(f->name, "include");

	if (cgroup_filter_check_glob(value) < 0)
		return -EINVAL;
	if (inc)
		a->include[a->n_include++] = value;
	else
		a->exclude[a->n_exclude++] = value;
	return 0;
}

static int parse_max_depth(const struct flag *f, const char *value, void *cfg)
{
	uint64_t n;
	int r = parse_uint(value, 0, f->max, &n);

	if (r == 0)
		((struct agent_flags *)cfg)->max_depth = (int)n;
	return r;
}

static int parse_group(const struct flag *f, const char *value, void *cfg)
{
	struct agent_flags *a = cfg;
	char arg[128];
	int r;

	(void)f;
	snprintf(arg, sizeof(arg), "--%s", value);
	r = metric_groups_parse_arg(&a->groups, arg);
	if (r == -ENOENT) {
		fprintf(stderr, "cgscope agent: unknown metric group in '%s': want one of %s\n",
			arg, metric_groups_names());
		return -ECANCELED;
	}
	return r == 1 ? 0 : -EINVAL;
}

static int parse_compat(const struct flag *f, const char *value, void *cfg)
{
	(void)f;
	return compat_parse(value, &((struct agent_flags *)cfg)->compat);
}

static int parse_source(const struct flag *f, const char *value, void *cfg)
{
	(void)f;
	return collect_source_parse(value, &((struct agent_flags *)cfg)->source);
}

static int parse_metrics_path(const struct flag *f, const char *value, void *cfg)
{
	if (value[0] != '/' || !strcmp(value, "/") || !strncmp(value, "/api/", 5) ||
	    !strcmp(value, "/healthz"))
		return -EINVAL;
	return flag_string(f, value, cfg);
}

/* The directory, and whether it was typed or is the default (the default
 * that cannot be written warns; a typed one that cannot is an error). */
static int parse_record_dir(const struct flag *f, const char *value, void *cfg)
{
	struct agent_flags *a = cfg;

	a->record_dir = value;
	a->record_explicit = value != f->def;
	return 0;
}

static int parse_log_level(const struct flag *f, const char *value, void *cfg)
{
	(void)f;
	(void)cfg;
	return log_level_parse(value, &log_threshold);
}

static const struct flag agent_flags[] = {
	FLAG_SECTION("Collection:"),
	{ .name = "cgroup-root", .arg = "DIR", .parse = flag_string, .off = F(cgroup_root),
	  .help = "the tree to watch (default: the cgroup2 mount found in /proc/self/mountinfo)" },
	{ .name = "interval", .arg = "DURATION", .def = "1s",
	  .parse = flag_duration, .off = F(interval_ms), .min = 1, .max = 86400000,
	  .want = "a duration from 1ms to 1d, such as 1s, 500ms or 2m30s",
	  .help = "time between collection cycles: 500ms, 1s, 1m, 2m30s" },
	{ .name = "path.rootfs", .arg = "DIR", .def = "/", .parse = flag_string, .off = F(rootfs),
	  .help = "where the host's root filesystem is, for the container runtimes' state "
		  "(names of pods and containers: docs/cadvisor.md)" },

	FLAG_SECTION("What is served (the page and the JSON API):"),
	{ .name = "include", .arg = "GLOB", .parse = parse_glob, .opts = FLAG_REPEAT,
	  .want = "a glob of cgroup paths starting with '/', such as '/system.slice/*.service'",
	  .help = "only cgroups whose path, or an ancestor's, matches GLOB (fnmatch, '*' stops "
		  "at '/'), with their ancestors; repeatable" },
	{ .name = "exclude", .arg = "GLOB", .parse = parse_glob, .opts = FLAG_REPEAT,
	  .want = "a glob of cgroup paths starting with '/', such as '/system.slice/*.service'",
	  .help = "not cgroups whose path, or an ancestor's, matches GLOB; repeatable, wins "
		  "over --include" },
	{ .name = "max-depth", .arg = "N", .parse = parse_max_depth, .max = 10000,
	  .want = "a whole number from 0 to 10000",
	  .help = "not cgroups more than N levels below the root" },
	{ .name = "max-cgroups", .arg = "N", .parse = flag_uint, .off = F(max_cgroups),
	  .min = 1, .max = 100000000, .want = "a whole number from 1",
	  .help = "at most N cgroups: the largest by CPU and by memory, with their ancestors" },
	{ .name = "collect.GROUP", .parse = parse_group, .opts = FLAG_PREFIX | FLAG_REPEAT,
	  .want = "--collect.GROUP, --collect.GROUP=true|false or --no-collect.GROUP",
	  .help = "serve a group of files or not (default: all): cgroup, cpu, memory, "
		  "memory.events, memory.stat, memory.swap, io, pids, pressure; network "
		  "(traffic per cgroup, BPF). A group switched off is not read (network: "
		  "nothing is attached)" },
	{ .name = "collect.disable-defaults", .parse = parse_group,
	  .help = "every group off unless named" },
	{ .name = "collect.source", .arg = "SOURCE", .def = "auto", .parse = parse_source,
	  .want = "auto, bpf or files",
	  .help = "where values come from: auto reads the groups the kernel's cgroup iterator "
		  "(BPF) gives right from it, in one pass, and the rest from their files; bpf "
		  "insists on the iterator (the agent stops when it cannot load); files reads "
		  "every file (docs/agent.md)" },
	{ .name = "compat", .arg = "MODE", .def = "none", .parse = parse_compat,
	  .want = "cadvisor or none",
	  .help = "cadvisor: add cAdvisor's metric names and labels; none: cgscope's only" },

	FLAG_SECTION("HTTP:"),
	{ .name = "web.listen-address", .arg = "ADDR", .def = ":9753",
	  .parse = flag_string, .off = F(listen_address),
	  .help = "where to listen: \":9753\" (every address), \"127.0.0.1:9753\", \"[::1]:9753\"" },
	{ .name = "web.telemetry-path", .arg = "PATH", .def = "/metrics",
	  .parse = parse_metrics_path, .off = F(metrics_path),
	  .want = "a path starting with '/' that is not /, /healthz or under /api/",
	  .help = "path of the metrics page" },
	{ .name = "web.config.file", .arg = "FILE", .parse = flag_string, .off = F(web_config_file),
	  .help = "TLS, client certificates and basic auth, in the web configuration format of "
		  "Prometheus exporters (docs/agent.md says which keys); re-read on SIGHUP" },
	{ .name = "web.max-connections", .arg = "N", .def = "512",
	  .parse = flag_uint, .off = F(max_connections), .min = 1, .max = 1000000,
	  .want = "a whole number from 1", .help = "connections open at once" },
	{ .name = "web.max-connections-per-ip", .arg = "N", .def = "64",
	  .parse = flag_uint, .off = F(max_connections_per_ip), .min = 1, .max = 1000000,
	  .want = "a whole number from 1", .help = "connections open at once from one client address" },
	{ .name = "web.connection-memory", .arg = "BYTES", .def = "32768",
	  .parse = flag_size, .off = F(connection_memory), .min = 4096, .max = 64 << 20,
	  .want = "bytes, from 4096 to 64MiB",
	  .help = "memory per connection, which bounds the request line and headers" },
	{ .name = "web.idle-timeout", .arg = "DURATION", .def = "30s",
	  .parse = flag_duration, .off = F(idle_timeout_ms), .min = 1000, .max = 86400000,
	  .want = "a duration from 1s to 1d", .help = "close connections idle this long" },
	{ .name = "web.request-timeout", .arg = "DURATION", .def = "10s",
	  .parse = flag_duration, .off = F(request_timeout_ms), .min = 1, .max = 86400000,
	  .want = "a duration such as 10s",
	  .help = "a request must arrive whole within this, or the connection is cut" },

	FLAG_SECTION("Kernel events:"),
	{ .name = "no-bpf", .parse = flag_switch, .off = F(no_bpf),
	  .help = "load no BPF program: events are derived from polling only (throttling from "
		  "cpu.stat, OOM kills from memory.events.local)" },
	{ .name = "bpf.ring-buffer-size", .arg = "BYTES", .def = "1MiB",
	  .parse = flag_size, .off = F(ringbuf_bytes),
	  .min = BPF_LOADER_RINGBUF_MIN, .max = BPF_LOADER_RINGBUF_MAX,
	  .want = BPF_LOADER_RINGBUF_WANT,
	  .help = "the kernel-to-agent ring buffer, rounded up to a power of two; records that "
		  "find it full are counted in cgscope_bpf_events_lost_total" },
	{ .name = "bpf.network-slots", .arg = "N", .def = "4096",
	  .parse = flag_uint, .off = F(net_slots), .min = 1, .max = 1000000,
	  .want = "a whole number from 1 to 1000000",
	  .help = "cgroups whose network traffic the kernel counts at once (each takes 80 "
		  "bytes per possible CPU); past them, cgscope_bpf_network_uncounted_total" },
	{ .name = "events.ring-size", .arg = "N", .def = "4096",
	  .parse = flag_uint, .off = F(events_ring_size), .min = 1, .max = 10000000,
	  .want = "a whole number from 1", .help = "recent events kept for /api/v1/events" },
	{ .name = "events.populated", .parse = flag_switch, .off = F(events_populated),
	  .help = "also record populated flips (cgroup.events going 0 to 1 and back, two per "
		  "move of a cgroup's only process) as events, for /api/v1/events, the stream and "
		  "the recorder: a ring record per flip. Off, their hook is not attached and the "
		  "flips cost the kernel nothing; the cgroup_populated gauge is there either way" },

	FLAG_SECTION("Flight recorder (docs/recording.md):"),
	{ .name = "record.dir", .arg = "DIR", .def = "/var/lib/cgscope", .parse = parse_record_dir,
	  .help = "record every cycle and kernel event into DIR, for `cgscope top --replay`, "
		  "`dump --replay`, `events --replay` and `export`; '' records nothing. DIR is "
		  "made if missing and locked: one agent per directory. A DIR given that cannot "
		  "be written stops the start; the default warns and records nothing" },
	{ .name = "record.retention", .arg = "DURATION", .def = "7d", .parse = flag_duration,
	  .off = F(record_retention_ms), .min = 60000, .max = 100ull * 365 * 86400000,
	  .want = "a duration of a minute or more, such as 7d or 36h",
	  .help = "drop what is older than this (a segment at a time, 1/48 of it)" },
	{ .name = "record.max-size", .arg = "BYTES", .def = "1GiB", .parse = flag_size,
	  .off = F(record_max_bytes), .min = 1 << 20, .max = 1ull << 50,
	  .want = "bytes from 1MiB, such as 512MiB or 10GiB",
	  .help = "at most this much on disk, the segment being written included: the oldest "
		  "segment goes first" },

	FLAG_SECTION("Process:"),
	{ .name = "user", .arg = "USER", .def = "nobody", .parse = flag_string, .off = F(user),
	  .help = "run as USER once set up (root keeps root); all capabilities are dropped" },
	{ .name = "log-level", .arg = "LEVEL", .def = "info", .parse = parse_log_level,
	  .want = "error, warn, info or debug", .help = "error, warn, info or debug" },
	FLAG_END
};

static const struct flag_cmd agent_cmd = {
	.name = "agent",
	.about =
		"Discovers every cgroup below the cgroup root, reads its files once per\n"
		"interval, and serves the result as Prometheus metrics and JSON over HTTP.\n"
		"Requests are answered from the last cycle's snapshot: they never read\n"
		"cgroupfs.\n",
	.epilogue =
		"Endpoints: / (a page of links), the metrics path, /api/v1/cgroups,\n"
		"/api/v1/cgroups/ID, /api/v1/cgroup?path=P, /api/v1/events,\n"
		"/api/v1/events/stream (Server-Sent Events), /api/v1/status, and /healthz\n"
		"(200 while the collector keeps up, 503 otherwise). docs/agent.md has more.\n",
	.flags = agent_flags,
};

/* The flags into each part's options: 0, 1 after --help, -EINVAL, -ENOMEM. */
static int parse_args(int argc, char **argv, struct agent_flags *a)
{
	int r;

	metric_groups_init(&a->groups);
	a->max_depth = -1;
	a->include = calloc((size_t)argc, sizeof(*a->include));
	a->exclude = calloc((size_t)argc, sizeof(*a->exclude));
	if (!a->include || !a->exclude)
		return -ENOMEM;
	r = flags_parse(&agent_cmd, argc, argv, a);
	return r;
}

/* Logs files that failed since the last look, at most once a minute each. */
static void log_read_errors(const struct collector *c, const struct snapshot *s,
			    uint64_t *seen, struct timespec *last)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (int f = 0; f < F_NR; f++) {
		const char *path = "";
		int err;

		if (s->stats.read_errors[f] == seen[f] ||
		    (last[f].tv_sec && now.tv_sec - last[f].tv_sec < 60))
			continue;
		err = collector_last_error(c, (enum cg_file)f, &path);
		log_warn("%lu new error(s) reading %s, last in %s: %s",
			 (unsigned long)(s->stats.read_errors[f] - seen[f]),
			 cg_files[f].name, path,
			 err == -EINVAL ? "malformed contents" : strerror(-err));
		seen[f] = s->stats.read_errors[f];
		last[f] = now;
	}
}

/* Rounds of the start's check of the cgroup iterator against the files: a
 * group is read from its files only when it disagrees in every one (a value
 * that moves fast can fall outside the bounds once). */
#define SOURCE_CHECK_ROUNDS 3

/* Says when the cgroup iterator's walks fail (at most once a minute), and
 * when it is given up. */
static void log_iter(const struct snapshot *s, uint64_t *seen, bool *gave_up,
		     struct timespec *last)
{
	struct timespec now;

	if (s->stats.iter_gave_up && !*gave_up) {
		log_error("the cgroup iterator failed %lu times (last: %s): every group is read "
			  "from its files from now on (cgscope_collect_source_info)",
			  (unsigned long)s->stats.iter_errors, strerror(-s->stats.iter_last_error));
		*gave_up = true;
		*seen = s->stats.iter_errors;
		return;
	}
	if (s->stats.iter_errors == *seen || s->stats.iter_gave_up)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (last->tv_sec && now.tv_sec - last->tv_sec < 60)
		return;
	log_warn("%lu walk(s) of the cgroup iterator failed (last: %s): their cycles' values "
		 "were read from the files (cgscope_collect_iterator_errors_total)",
		 (unsigned long)(s->stats.iter_errors - *seen), strerror(-s->stats.iter_last_error));
	*seen = s->stats.iter_errors;
	*last = now;
}

/* What the collection loop adds to each snapshot before it is rendered. */
struct loop_ctx {
	struct event_source *es;
	struct cycle_schedule sched;
};

/* Logs state files that gave no names since the last look, at most once a
 * minute. */
static void log_identity_errors(const struct container_names_cache *names, uint64_t *seen,
				struct timespec *last)
{
	struct container_names_errors e;
	struct timespec now;

	container_names_errors(names, &e);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (e.total == *seen || (last->tv_sec && now.tv_sec - last->tv_sec < 60))
		return;
	log_warn("%lu container state file(s) gave no names (their labels stay empty), last %s: %s; "
		 "cgscope_identity_errors_total counts them",
		 (unsigned long)(e.total - *seen), e.last_path,
		 e.last_reason == IDERR_MALFORMED ? "malformed contents" :
		 e.last_reason == IDERR_TOO_LARGE ? "larger than 4 MiB" : strerror(-e.last_err));
	*seen = e.total;
	*last = now;
}

static void enrich(void *ctx, struct snapshot *s)
{
	struct loop_ctx *l = ctx;

	s->stats.overruns = l->sched.overruns;
	s->stats.overrun_streak = l->sched.streak;
	event_source_after_cycle(l->es, s);
}

/* Says once, at start, which hook serves each event feature; a feature
 * whose hook the kernel offers but refused is a warning of its own. */
static void log_hooks(struct event_source *es)
{
	const struct bpf_hook *h;
	size_t n = event_source_hooks(es, &h), failed = 0, hooked = 0;
	char line[512];

	bpf_hooks_summary(h, n, line, sizeof(line));
	for (size_t i = 0; i < n; i++) {
		hooked += h[i].state == BPF_FEATURE_HOOKED;
		if (h[i].state != BPF_FEATURE_FAILED)
			continue;
		failed++;
		log_fields(LOG_WARN, "BPF feature failed", "feature", bpf_feature_name(h[i].feature),
			   "hook", hook_name(h[i].err_hook), "stage", bpf_stage_name(h[i].err_stage),
			   "error", strerrorname_np(-h[i].err), "reason", h[i].detail, NULL);
	}
	if (failed)
		log_warn("BPF programs loaded %s, %zu of %zu features failed "
			 "(cgscope_bpf_feature_error_info); hooks: %s",
			 hooked ? "in part" : "for no feature", failed, n, line);
	else
		log_info("BPF programs loaded; hooks: %s", line);
	if (!event_source_prog_stats(es))
		log_info("the kernel keeps no run-time statistics of the BPF programs: "
			 "they need CAP_SYS_ADMIN (BPF_ENABLE_STATS) or sysctl "
			 "kernel.bpf_stats_enabled=1; cgscope_bpf_program_* are left out");
}

/* Records the BPF programs dropped (the ring buffer was full): a warning
 * with the count, at most every 10 s. */
static void log_lost(const struct snapshot *s, uint64_t *logged, struct timespec *last)
{
	struct timespec now;

	if (s->events.lost <= *logged)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (last->tv_sec && now.tv_sec - last->tv_sec < 10)
		return;
	log_warn("%lu BPF event records lost (%lu since start): the ring buffer was full; "
		 "counts stay exact, details of those events are missing "
		 "(cgscope_bpf_events_lost_total; a larger --bpf.ring-buffer-size helps)",
		 (unsigned long)(s->events.lost - *logged), (unsigned long)s->events.lost);
	*logged = s->events.lost;
	*last = now;
}

/* SIGHUP re-reads --web.config.file, in a thread of its own: the
 * collection loop's wait stays as it is, and a reload never stops the
 * agent. A file that cannot be read or is refused is logged, and the one
 * in force stays. */
struct reloader {
	pthread_t thread;
	const char *path;
	struct http_server *http;
};

static void reload_web_config(struct reloader *rl)
{
	struct web_config wc;
	char err[512];
	bool tls = false;
	size_t users = 0;
	int r;

	if (!rl->path) {
		log_info("SIGHUP: no --web.config.file to re-read; nothing changed");
		return;
	}
	r = web_config_load(rl->path, &wc, err, sizeof(err));
	if (r == 0) {
		tls = wc.tls;
		users = wc.nusers;
		r = http_server_reload(rl->http, &wc, err, sizeof(err));
		if (r < 0)
			web_config_free(&wc);
	}
	if (r < 0) {
		log_error("SIGHUP: --web.config.file %s: %s; the config in force stays", rl->path, err);
		return;
	}
	log_info("SIGHUP: --web.config.file %s re-read: TLS %s, %zu basic auth user(s); "
		 "in force for new connections and requests", rl->path, tls ? "on" : "off", users);
}

static void *reload_loop(void *arg)
{
	struct reloader *rl = arg;
	sigset_t hup;
	int sig;

	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	for (;;) {
		/* sigwait is where the thread is cancelled at shutdown. */
		if (sigwait(&hup, &sig) != 0)
			continue;
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
		reload_web_config(rl);
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	}
	return NULL;
}

/* The devices cAdvisor's labels named in this cycle's page: the recorder
 * keeps them with the cycle, so that a replayed page names them alike.
 * Only the collection thread renders pages. */
static struct cycle_devname page_devs[256];
static size_t page_ndev;

static int devname_noted(uint32_t major, uint32_t minor, char *ret, size_t size)
{
	int r = block_device_name(major, minor, ret, size);

	if (page_ndev < ARRAY_SIZE(page_devs)) {
		struct cycle_devname *d = &page_devs[page_ndev++];

		d->major = major;
		d->minor = minor;
		snprintf(d->name, sizeof(d->name), "%s", r == 0 ? ret : "");
	}
	return r;
}

/* The flight recorder, as the collection loop drives it. */
struct recording {
	struct recorder *r;		/* NULL: not recording */
	struct record_status status;	/* what this cycle's page shows */
	struct event_ring *ring;
	const char *dir;
	bool paused;
	uint64_t interval_ms;
	enum compat compat;
	char hostname[256], kernel[128];
};

/* Opens the store while the agent may still create files. 0 also when the
 * default directory cannot be used (a warning); an error for a typed one. */
static int open_recorder(struct agent_config *cfg, struct recording *rec)
{
	struct store_open_info info;
	struct utsname u;
	char why[256], ret_s[32], size_s[32];
	int r;

	if (!cfg->record.dir) {
		log_info("flight recorder off (--record.dir '')");
		return 0;
	}
	if (uname(&u) == 0) {
		snprintf(rec->hostname, sizeof(rec->hostname), "%s", u.nodename);
		snprintf(rec->kernel, sizeof(rec->kernel), "%s", u.release);
	}
	cfg->record.hostname = rec->hostname;
	cfg->record.kernel = rec->kernel;
	cfg->record.version = cgscope_version;
	rec->dir = cfg->record.dir;
	rec->interval_ms = cfg->interval_ms;
	rec->compat = cfg->cycle.compat;
	r = recorder_open(&cfg->record, &rec->r, &info);
	if (r < 0) {
		if (r == -EBUSY)
			snprintf(why, sizeof(why), "another process (pid %d) records there: one agent "
				 "per directory", (int)info.holder);
		else if (r == -EACCES || r == -EPERM || r == -EROFS)
			snprintf(why, sizeof(why), "%s (the agent opens it as uid %u, before it "
				 "switches to --user)", strerror(-r), (unsigned)geteuid());
		else
			snprintf(why, sizeof(why), "%s", strerror(-r));
		if (cfg->record_explicit) {
			log_error("cannot record into --record.dir %s: %s", rec->dir, why);
			return r;
		}
		log_warn("not recording: the default --record.dir %s cannot be used: %s "
			 "(--record.dir DIR records elsewhere, --record.dir '' turns this off)",
			 rec->dir, why);
		rec->r = NULL;
		return 0;
	}
	format_duration_ms(cfg->record.retention_ms, ret_s, sizeof(ret_s));
	snprintf(size_s, sizeof(size_s), "%.1f MiB", (double)cfg->record.max_bytes / (1 << 20));
	log_info("recording into %s: %lu frames there, keeping %s and at most %s",
		 rec->dir, (unsigned long)info.frames, ret_s, size_s);
	if (info.torn_bytes)
		log_warn("cut %lu bytes at the end of %s: a frame torn when the last agent stopped "
			 "(cgscope_record_errors_total{reason=\"torn\"})",
			 (unsigned long)info.torn_bytes, rec->dir);
	return 0;
}

/* Before a cycle: what its page says of the recorder. */
static void record_before(struct recording *rec)
{
	page_ndev = 0;
	if (rec->r)
		recorder_status(rec->r, &rec->status);
}

/* After it is published: the cycle and the events since the last. */
static void record_after(struct recording *rec, const struct snapshot *s,
			 const struct cgroup_filter_result *res)
{
	struct cycle_meta m = {
		.filtered = res->filtered,
		.over_limit = res->over_limit,
		.compat = (uint8_t)rec->compat,
		.rec = rec->status,
		.interval_ms = rec->interval_ms,
		.devs = page_devs,
		.ndev = page_ndev,
	};
	int r;

	if (!rec->r)
		return;
	snprintf(m.version, sizeof(m.version), "%s", cgscope_version);
	snprintf(m.hostname, sizeof(m.hostname), "%s", rec->hostname);
	snprintf(m.kernel, sizeof(m.kernel), "%s", rec->kernel);
	r = recorder_record(rec->r, s, &m, rec->ring);
	if (r < 0 && !rec->paused) {
		log_warn("recording paused: cannot write to %s: %s; serving goes on, "
			 "cgscope_record_errors_total counts the cycles not recorded, and recording "
			 "resumes by itself once a write succeeds", rec->dir, strerror(-r));
		rec->paused = true;
	} else if (r == 0 && rec->paused) {
		log_info("recording resumed in %s", rec->dir);
		rec->paused = false;
	}
}

static void run_loop(struct collector *c, struct snapshot_slot *slot,
		     uint64_t interval_ms, const struct cycle_opts *o,
		     const sigset_t *sigs, struct cycle_schedule *sched, struct recording *rec)
{
	bool warned_limit = false, warned_tables = false, warned_include = false;
	bool warned_overrun = false, first = true, iter_gave_up = false;
	uint64_t iter_errors = 0;
	struct timespec last_iter = {0};
	uint64_t seen[F_NR] = {0}, lost_logged = 0, seen_identity = 0;
	struct timespec last_log[F_NR] = {{0}}, last_lost = {0}, last_identity = {0};
	uint64_t next_ns = clock_ns(CLOCK_MONOTONIC);
	int sig = 0;

	cycle_schedule_init(sched, next_ns, interval_ms * 1000000);
	while (!sig) {
		uint64_t t0 = clock_ns(CLOCK_MONOTONIC), t1;
		struct snapshot *s;
		int r;

		struct cgroup_filter_result res;

		record_before(rec);
		r = cycle_run_opts(c, o, &s, &res);
		if (r < 0) {
			log_error("collection cycle failed: %s", strerror(-r));
		} else {
			if (res.over_limit && !warned_limit) {
				log_warn("--max-cgroups %zu reached: %zu of %zu cgroups left out, %s; cgscope_cgroups_dropped{reason=\"limit\"} counts them",
					 o->filter.max_cgroups, res.over_limit, res.kept + res.over_limit,
					 res.ranked_by_cpu && res.ranked_by_memory ?
					 "the largest by CPU and memory kept" :
					 res.ranked_by_cpu ?
					 "the largest by CPU kept (no cgroup has memory.current to rank by: no memory controller on this cgroup2 tree, or --collect.memory=false)" :
					 res.ranked_by_memory ?
					 "the largest by memory kept (no cgroup has cpu.stat to rank by: --collect.cpu=false)" :
					 "the shallowest kept (no cgroup has cpu.stat or memory.current to rank by)");
				warned_limit = true;
			}
			if (o->filter.n_include && !res.included && !warned_include) {
				log_warn("--include matches no cgroup: nothing is served until one does (globs are fnmatch(3) patterns of paths below the cgroup root, such as '/system.slice/*.service')");
				warned_include = true;
			}
			if (s->stats.fd_table_error && !warned_tables) {
				log_warn("cannot start a descriptor table of its own (%s): files past "
					 "RLIMIT_NOFILE are opened for each read",
					 strerror(-s->stats.fd_table_error));
				warned_tables = true;
			}
			log_read_errors(c, s, seen, last_log);
			log_iter(s, &iter_errors, &iter_gave_up, &last_iter);
			log_lost(s, &lost_logged, &last_lost);
			if (o->names)
				log_identity_errors(o->names, &seen_identity, &last_identity);
			snapshot_ref(s);
			snapshot_publish(slot, s);
			record_after(rec, s, &res);
			snapshot_unref(s);
			/* The old snapshot is freed now, unless a reader still has
			 * it. Give the pages back: without this, the peak of a burst
			 * of cgroups or connections stays resident for good. */
			malloc_trim(0);
		}
		/* On the interval's ticks; a cycle that overran skips the ticks
		 * it ran into (collect/schedule.h). The first opens every file:
		 * slow once, and not worth a warning. */
		t1 = clock_ns(CLOCK_MONOTONIC);
		next_ns = cycle_schedule_next(sched, t1);
		if (sched->streak && !first && !warned_overrun) {
			log_warn("a collection cycle took %lu ms, longer than --interval %lu ms: the next starts on the first tick after it, the ticks missed are skipped; cgscope_collect_overruns_total counts such cycles, and /healthz answers 503 while several in a row do",
				 (unsigned long)((t1 - t0) / 1000000), (unsigned long)interval_ms);
			warned_overrun = true;
		}
		first = false;
		while (!sig && (t1 = clock_ns(CLOCK_MONOTONIC)) < next_ns) {
			struct timespec wait = ns_to_timespec(next_ns - t1);

			sig = sigtimedwait(sigs, NULL, &wait);
			if (sig < 0)
				sig = 0;	/* the wait ended (EAGAIN) or EINTR */
		}
	}
	log_info("received signal %d, shutting down", sig);
}

/* The parts' options from the flags. */
static void configure(const struct agent_flags *a, struct agent_config *cfg)
{
	struct cgroup_filter *f = &cfg->cycle.filter;

	cgroup_filter_init(f);
	f->include = a->include;
	f->n_include = a->n_include;
	f->exclude = a->exclude;
	f->n_exclude = a->n_exclude;
	f->max_depth = a->max_depth;
	f->max_cgroups = a->max_cgroups;
	cfg->cycle.compat = a->compat;
	cfg->cgroup_root = a->cgroup_root;
	cfg->web_config_file = a->web_config_file;
	cfg->user = a->user;
	cfg->interval_ms = a->interval_ms;
	cfg->record = (struct recorder_opts){
		.dir = a->record_dir && a->record_dir[0] ? a->record_dir : NULL,
		.max_bytes = a->record_max_bytes,
		.retention_ms = a->record_retention_ms,
	};
	cfg->record_explicit = a->record_explicit;
	cfg->files = metric_groups_files(&a->groups);
	cfg->source = a->source;
	cfg->events = (struct event_source_opts){
		.bpf = !a->no_bpf,
		.ringbuf_bytes = a->ringbuf_bytes,
		.ring_capacity = a->events_ring_size,
		.type_mask = a->events_populated ? CGSCOPE_EV_MASK_ALL :
			     CGSCOPE_EV_MASK_ALL & ~CGSCOPE_EV_MASK(CGSCOPE_EV_POPULATED),
		/* the tree watched: set once the root is resolved */
		.network = metric_groups_on(&a->groups, MG_NETWORK),
		.net_slots = (uint32_t)a->net_slots,
	};
	cfg->http = (struct http_server_opts){
		.listen_address = a->listen_address,
		.metrics_path = a->metrics_path,
		.max_connections = (unsigned)a->max_connections,
		.max_connections_per_ip = (unsigned)a->max_connections_per_ip,
		.connection_memory_limit = a->connection_memory,
		.idle_timeout_s = (unsigned)(a->idle_timeout_ms / 1000),
		.request_timeout_ms = a->request_timeout_ms,
	};
}

int cmd_agent(int argc, char **argv)
{
	struct agent_flags flags = {0};
	struct agent_config cfg = {0};
	struct web_config wc = {0};
	struct reloader reloader = {0};
	bool reloading = false, tls = false;
	struct snapshot_slot slot;
	struct http_server *http = NULL;
	struct collector *c = NULL;
	struct event_source *es = NULL;
	struct loop_ctx loop = { 0 };
	struct recording rec = { 0 };
	struct source_setup source = { 0 };
	int bpf_err = 0;
	struct agent_info info;
	char root[PATH_MAX], err[512];
	sigset_t sigs;
	int r;

	r = parse_args(argc, argv, &flags);
	if (r != 0) {
		free(flags.include);
		free(flags.exclude);
		return r > 0 ? 0 : 2;
	}
	configure(&flags, &cfg);
	/* SIGHUP is the reload thread's (reload_loop): blocked everywhere
	 * from the start, so that it never ends the agent, also before that
	 * thread starts (it is then taken once the thread waits). */
	{
		sigset_t hup;

		sigemptyset(&hup);
		sigaddset(&hup, SIGHUP);
		pthread_sigmask(SIG_BLOCK, &hup, NULL);
	}
	snapshot_slot_init(&slot);
	r = resolve_cgroup_root(cfg.cgroup_root, root, sizeof(root));
	if (r < 0)
		goto out;
	if (cfg.web_config_file &&
	    (r = web_config_load(cfg.web_config_file, &wc, err, sizeof(err))) < 0) {
		log_error("--web.config.file %s: %s", cfg.web_config_file, err);
		goto out;
	}
	if (cfg.web_config_file && !wc.tls && !wc.nusers)
		log_warn("--web.config.file %s sets neither TLS nor basic auth: serving plain HTTP to anyone",
			 cfg.web_config_file);
	tls = wc.tls;
	/* Up to the hard limit only: past it, more descriptor tables keep
	 * the files held (collect/fd_table.h). */
	fd_limit_raise(0);
	/* Signals are taken synchronously by the collection loop's wait; the
	 * threads started below inherit the blocked mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* A group switched off is never read. */
	r = collector_new_files(root, cfg.files, &c);
	if (r < 0) {
		log_error("cannot open cgroup root %s: %s", root, strerror(-r));
		goto out;
	}
	/* Before the switch to --user: it creates files. */
	r = open_recorder(&cfg, &rec);
	if (r < 0)
		goto out;
	if (rec.r) {
		cfg.cycle.record = &rec.status;
		cfg.cycle.devname = devname_noted;
	}
	/* The cgroup iterator is loaded while root, and run as --user. */
	r = collect_source_start(cfg.source, root, cfg.files, SOURCE_CHECK_ROUNDS, c, &source);
	if (r < 0)
		goto out;
	info = (struct agent_info){
		.started_ms = clock_ms(CLOCK_REALTIME),
		.cgroup_root = root,
		.interval_ms = cfg.interval_ms,
		.collect_source = collect_source_names[cfg.source],
		.collect_source_note = source.note,
	};
	cfg.http.info = &info;
	cfg.http.slot = &slot;
	cfg.http.stale_after_ms = cfg.interval_ms * 3 + 5000;
	cfg.http.web_config = cfg.web_config_file ? &wc : NULL;
	/* BPF is loaded while root; a refusal leaves the agent poll-only. */
	cfg.events.cgroup_root = root;
	r = event_source_start(&cfg.events, &es, &bpf_err);
	if (r < 0) {
		log_error("cannot start the event source: %s", strerror(-r));
		goto out;
	}
	if (!cfg.events.bpf)
		log_info("BPF off (--no-bpf): events come from polling only");
	else if (bpf_err)
		log_warn("cannot load BPF programs (%s): events come from polling only%s",
			 strerror(-bpf_err), bpf_err == -EPERM || bpf_err == -EACCES ?
			 "; loading BPF needs root or CAP_BPF and CAP_PERFMON" : "");
	else
		log_hooks(es);
	loop.es = es;
	cfg.cycle.enrich = enrich;
	cfg.cycle.enrich_ctx = &loop;
	cfg.http.ring = event_source_ring(es);
	rec.ring = event_source_ring(es);
	r = http_server_start(&cfg.http, &http, err, sizeof(err));
	if (r < 0) {
		if (r == -EKEYREJECTED)
			log_error("--web.config.file %s: %s", cfg.web_config_file, err);
		else
			log_error("%s", err);
		goto out;
	}
	reloader = (struct reloader){ .path = cfg.web_config_file, .http = http };
	r = pthread_create(&reloader.thread, NULL, reload_loop, &reloader);
	if (r) {
		log_error("cannot start the SIGHUP thread: %s", strerror(r));
		r = -r;
		goto out;
	}
	reloading = true;
	r = container_names_new(flags.rootfs, &cfg.cycle.names);
	if (r < 0) {
		log_error("--path.rootfs %s: %s", flags.rootfs, strerror(-r));
		goto out;
	}
	/* This thread reads the runtimes' state, in directories only root may
	 * enter: it alone keeps CAP_DAC_READ_SEARCH, raised for those reads. */
	r = drop_privileges_keep_read_search(cfg.user);
	if (r < 0) {
		log_error("cannot switch to user %s: %s", cfg.user,
			  r == -ENOENT ? "no such user" : strerror(-r));
		goto out;
	}
	log_info("cgscope %s watching %s every %lu ms, serving %s://%s%s as uid %u",
		 cgscope_version, root, (unsigned long)cfg.interval_ms,
		 tls ? "https" : "http", cfg.http.listen_address,
		 cfg.http.metrics_path, (unsigned)geteuid());
	run_loop(c, &slot, cfg.interval_ms, &cfg.cycle, &sigs, &loop.sched, &rec);
	r = 0;
out:
	if (reloading) {
		pthread_cancel(reloader.thread);
		pthread_join(reloader.thread, NULL);
	}
	http_server_stop(http);
	recorder_close(rec.r);
	event_source_stop(es);
	snapshot_slot_destroy(&slot);
	collector_free(c);
	collect_source_stop(&source);
	container_names_free(cfg.cycle.names);
	web_config_free(&wc);
	free(flags.include);
	free(flags.exclude);
	return r < 0 ? 1 : 0;
}
