// SPDX-License-Identifier: GPL-2.0-only
/* cgscope agent: the daemon. One thread collects a snapshot per interval;
 * the HTTP server's threads serve whatever snapshot is current. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "collect/cgroup_filter.h"
#include "cmd/cmd.h"
#include "cmd/cycle.h"
#include "events/event_source.h"
#include "http/http_server.h"
#include "lib/log.h"
#include "collect/metric_groups.h"
#include "lib/privileges.h"
#include "lib/version.h"
#include "http/web_config.h"

struct agent_config {
	const char *cgroup_root;
	const char *web_config_file;
	const char *user;
	uint64_t interval_ms;
	struct http_server_opts http;
	/* --include/--exclude globs: at most one per argument, so argc-sized. */
	const char **include, **exclude;
	struct metric_groups groups;
	struct cycle_opts cycle;
	struct event_source_opts events;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: cgscope agent [OPTIONS]\n"
		"\n"
		"Discovers every cgroup below the cgroup root, reads its files once per\n"
		"interval, and serves the result as Prometheus metrics and JSON over HTTP.\n"
		"Requests are answered from the last cycle's snapshot: they never read\n"
		"cgroupfs.\n"
		"\n"
		"Collection:\n"
		"  --cgroup-root DIR           the tree to watch (default: the cgroup2 mount\n"
		"                              found in /proc/self/mountinfo)\n"
		"  --interval DURATION         time between collection cycles, e.g. 1s,\n"
		"                              500ms, 1m (default 1s)\n"
		"\n"
		"What is served (the page and the JSON API):\n"
		"  --include GLOB              only cgroups whose path, or an ancestor's,\n"
		"                              matches GLOB (fnmatch, '*' stops at '/'), with\n"
		"                              their ancestors; repeatable\n"
		"  --exclude GLOB              not cgroups whose path, or an ancestor's,\n"
		"                              matches GLOB; repeatable, wins over --include\n"
		"  --max-depth N               not cgroups more than N levels below the root\n"
		"  --max-cgroups N             at most N cgroups: the largest by CPU and by\n"
		"                              memory, with their ancestors\n"
		"  --collect.GROUP[=BOOL], --no-collect.GROUP\n"
		"                              serve a group of files or not (default: all):\n"
		"                              cgroup, cpu, memory, memory.events,\n"
		"                              memory.stat, memory.swap, io, pids, pressure\n"
		"  --collect.disable-defaults  every group off unless named\n"
		"  --compat MODE               cadvisor: add cAdvisor's metric names and\n"
		"                              labels; none (default)\n"
		"\n"
		"HTTP:\n"
		"  --web.listen-address ADDR   where to listen (default \":9753\", every\n"
		"                              address; \"127.0.0.1:9753\", \"[::1]:9753\")\n"
		"  --web.telemetry-path PATH   path of the metrics page (default /metrics)\n"
		"  --web.config.file FILE      TLS and basic auth, in the format Prometheus\n"
		"                              exporters share (tls_server_config,\n"
		"                              basic_auth_users with bcrypt hashes)\n"
		"  --web.max-connections N     connections open at once (default 512)\n"
		"  --web.max-connections-per-ip N\n"
		"                              from one client address (default 64)\n"
		"  --web.connection-memory BYTES\n"
		"                              memory per connection, which bounds the request\n"
		"                              line and headers (default 32768)\n"
		"  --web.idle-timeout DURATION close connections idle this long (default 30s)\n"
		"  --web.request-timeout DURATION\n"
		"                              a request must arrive whole within this, or\n"
		"                              the connection is cut (default 10s)\n"
		"\n"
		"Kernel events:\n"
		"  --no-bpf                    load no BPF program: events are derived from\n"
		"                              polling only (throttling from cpu.stat, OOM\n"
		"                              kills from memory.events.local)\n"
		"  --bpf.ring-buffer-size BYTES\n"
		"                              the kernel-to-agent ring buffer (default 1MiB);\n"
		"                              records that find it full are counted in\n"
		"                              cgscope_bpf_events_lost_total\n"
		"  --events.ring-size N        recent events kept for /api/v1/events\n"
		"                              (default 4096)\n"
		"\n"
		"Process:\n"
		"  --user USER                 run as USER once set up (default nobody; root\n"
		"                              keeps root). All capabilities are dropped.\n"
		"  --log-level LEVEL           error, warn, info or debug (default info)\n"
		"  -h, --help                  show this help\n"
		"\n"
		"Endpoints: / (a page of links), the metrics path, /api/v1/cgroups,\n"
		"/api/v1/cgroups/ID, /api/v1/cgroup?path=P, /api/v1/events,\n"
		"/api/v1/events/stream (Server-Sent Events), /api/v1/status, and /healthz\n"
		"(200 while the collector keeps up, 503 otherwise).\n");
}

static int bad(const char *flag, const char *value, const char *want)
{
	fprintf(stderr, "cgscope agent: bad %s '%s': want %s\n", flag, value, want);
	return -EINVAL;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
	char *end;

	errno = 0;
	*ret = strtoul(s, &end, 10);
	return errno || end == s || *end || s[0] == '-' || *ret == 0 || *ret > max ? -EINVAL : 0;
}

static int parse_args(int argc, char **argv, struct agent_config *cfg)
{
	enum {
		O_LISTEN = 256, O_PATH, O_WEBCONF, O_MAXCONN, O_MAXIP, O_CONNMEM,
		O_IDLE, O_REQTIMEOUT, O_ROOT, O_INTERVAL, O_LOG, O_USER,
		O_INCLUDE, O_EXCLUDE, O_MAX_DEPTH, O_MAX_CGROUPS, O_COMPAT,
		O_NO_BPF, O_RINGBUF, O_EVRING,
	};
	static const struct option opts[] = {
		{ "web.listen-address", required_argument, NULL, O_LISTEN },
		{ "web.telemetry-path", required_argument, NULL, O_PATH },
		{ "web.config.file", required_argument, NULL, O_WEBCONF },
		{ "web.max-connections", required_argument, NULL, O_MAXCONN },
		{ "web.max-connections-per-ip", required_argument, NULL, O_MAXIP },
		{ "web.connection-memory", required_argument, NULL, O_CONNMEM },
		{ "web.idle-timeout", required_argument, NULL, O_IDLE },
		{ "web.request-timeout", required_argument, NULL, O_REQTIMEOUT },
		{ "cgroup-root", required_argument, NULL, O_ROOT },
		{ "interval", required_argument, NULL, O_INTERVAL },
		{ "log-level", required_argument, NULL, O_LOG },
		{ "user", required_argument, NULL, O_USER },
		{ "include", required_argument, NULL, O_INCLUDE },
		{ "exclude", required_argument, NULL, O_EXCLUDE },
		{ "max-depth", required_argument, NULL, O_MAX_DEPTH },
		{ "max-cgroups", required_argument, NULL, O_MAX_CGROUPS },
		{ "compat", required_argument, NULL, O_COMPAT },
		{ "no-bpf", no_argument, NULL, O_NO_BPF },
		{ "bpf.ring-buffer-size", required_argument, NULL, O_RINGBUF },
		{ "events.ring-size", required_argument, NULL, O_EVRING },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct cgroup_filter *f = &cfg->cycle.filter;
	const char *bad_arg = NULL;
	unsigned long n;
	uint64_t ms;
	int opt, r;

	/* --collect.<group> flags are named after the groups: taken out of argv
	 * before getopt_long, which knows only fixed names. */
	metric_groups_init(&cfg->groups);
	r = metric_groups_take_args(&cfg->groups, &argc, argv, &bad_arg);
	if (r < 0)
		return bad("metric group flag", bad_arg, r == -ENOENT ?
			   "a group of cgroup, cpu, memory, memory.events, memory.stat, memory.swap, io, pids, pressure" :
			   "--collect.GROUP, --collect.GROUP=true|false or --no-collect.GROUP");
	cgroup_filter_init(f);
	cfg->include = calloc((size_t)argc, sizeof(*cfg->include));
	cfg->exclude = calloc((size_t)argc, sizeof(*cfg->exclude));
	if (!cfg->include || !cfg->exclude)
		return -ENOMEM;
	f->include = cfg->include;
	f->exclude = cfg->exclude;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case O_LISTEN:
			cfg->http.listen_address = optarg;
			break;
		case O_PATH:
			if (optarg[0] != '/' || !strcmp(optarg, "/") || !strncmp(optarg, "/api/", 5) ||
			    !strcmp(optarg, "/healthz"))
				return bad("--web.telemetry-path", optarg,
					   "a path starting with '/' that is not /, /healthz or under /api/");
			cfg->http.metrics_path = optarg;
			break;
		case O_WEBCONF:
			cfg->web_config_file = optarg;
			break;
		case O_MAXCONN:
			if (parse_uint(optarg, 1000000, &n) < 0)
				return bad("--web.max-connections", optarg, "a whole number from 1");
			cfg->http.max_connections = (unsigned)n;
			break;
		case O_MAXIP:
			if (parse_uint(optarg, 1000000, &n) < 0)
				return bad("--web.max-connections-per-ip", optarg, "a whole number from 1");
			cfg->http.max_connections_per_ip = (unsigned)n;
			break;
		case O_CONNMEM:
			if (parse_uint(optarg, 64ul << 20, &n) < 0 || n < 4096)
				return bad("--web.connection-memory", optarg, "bytes, from 4096 to 64 MiB");
			cfg->http.connection_memory_limit = n;
			break;
		case O_IDLE:
			if (parse_duration_ms(optarg, &ms) < 0 || ms < 1000)
				return bad("--web.idle-timeout", optarg, "a duration of 1s or more");
			cfg->http.idle_timeout_s = (unsigned)(ms / 1000);
			break;
		case O_REQTIMEOUT:
			if (parse_duration_ms(optarg, &ms) < 0)
				return bad("--web.request-timeout", optarg, "a duration such as 10s");
			cfg->http.request_timeout_ms = ms;
			break;
		case O_ROOT:
			cfg->cgroup_root = optarg;
			break;
		case O_INTERVAL:
			if (parse_duration_ms(optarg, &cfg->interval_ms) < 0)
				return bad("--interval", optarg, "a duration such as 1s, 500ms or 1m");
			break;
		case O_LOG:
			if (log_level_parse(optarg, &log_threshold) < 0)
				return bad("--log-level", optarg, "error, warn, info or debug");
			break;
		case O_USER:
			cfg->user = optarg;
			break;
		case O_NO_BPF:
			cfg->events.bpf = false;
			break;
		case O_RINGBUF:
			if (parse_size_bytes(optarg, &cfg->events.ringbuf_bytes) < 0 ||
			    cfg->events.ringbuf_bytes < 4096)
				return bad("--bpf.ring-buffer-size", optarg, "bytes from 4096 to 1GiB, such as 256k or 1MiB");
			break;
		case O_EVRING:
			if (parse_uint(optarg, 10000000, &n) < 0)
				return bad("--events.ring-size", optarg, "a whole number from 1");
			cfg->events.ring_capacity = n;
			break;
		case O_INCLUDE:
		case O_EXCLUDE:
			if (cgroup_filter_check_glob(optarg) < 0)
				return bad(opt == O_INCLUDE ? "--include" : "--exclude", optarg,
					   "a glob of cgroup paths starting with '/', such as '/system.slice/*.service'");
			if (opt == O_INCLUDE)
				cfg->include[f->n_include++] = optarg;
			else
				cfg->exclude[f->n_exclude++] = optarg;
			break;
		case O_MAX_DEPTH: {
			char *end;

			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' || n > 10000)
				return bad("--max-depth", optarg, "a whole number from 0");
			f->max_depth = (int)n;
			break;
		}
		case O_MAX_CGROUPS:
			if (parse_uint(optarg, 100000000, &n) < 0)
				return bad("--max-cgroups", optarg, "a whole number from 1");
			f->max_cgroups = n;
			break;
		case O_COMPAT:
			if (!strcmp(optarg, "cadvisor"))
				cfg->cycle.compat = COMPAT_CADVISOR;
			else if (!strcmp(optarg, "none"))
				cfg->cycle.compat = COMPAT_NONE;
			else
				return bad("--compat", optarg, "cadvisor or none");
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			fprintf(stderr, "Try 'cgscope agent --help'.\n");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cgscope agent: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	f->files = metric_groups_files(&cfg->groups);
	return 0;
}

/* A descriptor per cgroup file: thousands of cgroups need more than the
 * usual soft limit of 1024. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
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

static void enrich(void *ctx, struct snapshot *s)
{
	event_source_after_cycle(ctx, s);
}

/* Says once, at start, which hook serves each event feature. */
static void log_hooks(const struct event_source_opts *o, struct event_source *es)
{
	struct snapshot *s = snapshot_new();
	char line[512] = "";
	size_t len = 0;

	(void)o;
	if (!s)
		return;
	event_source_after_cycle(es, s);
	for (unsigned i = 0; i < s->events.nhooks && len < sizeof(line); i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s=%s", i ? " " : "",
					s->events.hooks[i].feature, s->events.hooks[i].hook);
	log_info("BPF programs loaded; hooks: %s", line);
	snapshot_unref(s);
}

static void run_loop(struct collector *c, struct snapshot_slot *slot,
		     uint64_t interval_ms, const struct cycle_opts *o,
		     const sigset_t *sigs)
{
	bool warned_limit = false, warned_tables = false;
	uint64_t seen[F_NR] = {0};
	struct timespec last_log[F_NR] = {{0}};
	int sig = 0;

	while (!sig) {
		struct timespec t0, t1, wait;
		struct snapshot *s;
		uint64_t spent_ms;
		int r;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		struct cgroup_filter_result res;

		r = cycle_run_opts(c, o, &s, &res);
		if (r < 0) {
			log_error("collection cycle failed: %s", strerror(-r));
		} else {
			if (res.over_limit && !warned_limit) {
				log_warn("--max-cgroups %zu reached: %zu of %zu cgroups left out, the largest by CPU and memory kept; cgscope_cgroups_dropped{reason=\"limit\"} counts them",
					 o->filter.max_cgroups, res.over_limit, res.kept + res.over_limit);
				warned_limit = true;
			}
			if (s->stats.fd_table_error && !warned_tables) {
				log_warn("cannot start a descriptor table of its own (%s): files past "
					 "RLIMIT_NOFILE are opened for each read",
					 strerror(-s->stats.fd_table_error));
				warned_tables = true;
			}
			log_read_errors(c, s, seen, last_log);
			snapshot_publish(slot, s);
			/* The old snapshot is freed now, unless a reader still has
			 * it. Give the pages back: without this, the peak of a burst
			 * of cgroups or connections stays resident for good. */
			malloc_trim(0);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		spent_ms = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000 +
				      (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (spent_ms >= interval_ms)
			spent_ms = interval_ms - 1;
		wait.tv_sec = (time_t)((interval_ms - spent_ms) / 1000);
		wait.tv_nsec = (long)((interval_ms - spent_ms) % 1000) * 1000000;
		sig = sigtimedwait(sigs, NULL, &wait);
		if (sig < 0)
			sig = 0;	/* the interval passed (EAGAIN) or EINTR */
	}
	log_info("received signal %d, shutting down", sig);
}

int cmd_agent(int argc, char **argv)
{
	struct agent_config cfg = {
		.interval_ms = 1000,
		.user = "nobody",
		.events = { .bpf = true, .ring_capacity = 4096 },
		.http = {
			.listen_address = ":9753",
			.metrics_path = "/metrics",
			.max_connections = 512,
			.max_connections_per_ip = 64,
			.connection_memory_limit = 32768,
			.idle_timeout_s = 30,
			.request_timeout_ms = 10000,
		},
	};
	struct web_config wc = {0};
	struct snapshot_slot slot;
	struct http_server *http = NULL;
	struct collector *c = NULL;
	struct event_source *es = NULL;
	int bpf_err = 0;
	struct agent_info info;
	struct timespec started;
	char root[PATH_MAX], err[512];
	sigset_t sigs;
	int r;

	r = parse_args(argc, argv, &cfg);
	if (r != 0) {
		free(cfg.include);
		free(cfg.exclude);
		return r > 0 ? 0 : 2;
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
	raise_fd_limit();
	/* Signals are taken synchronously by the collection loop's wait; the
	 * threads started below inherit the blocked mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	r = collector_new(root, &c);
	if (r < 0) {
		log_error("cannot open cgroup root %s: %s", root, strerror(-r));
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &started);
	info = (struct agent_info){
		.started_ms = (int64_t)started.tv_sec * 1000 + started.tv_nsec / 1000000,
		.cgroup_root = root,
		.interval_ms = cfg.interval_ms,
	};
	cfg.http.info = &info;
	cfg.http.slot = &slot;
	cfg.http.stale_after_ms = cfg.interval_ms * 3 + 5000;
	cfg.http.web_config = cfg.web_config_file ? &wc : NULL;
	/* BPF is loaded while root; a refusal leaves the agent poll-only. */
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
		log_hooks(&cfg.events, es);
	cfg.cycle.enrich = enrich;
	cfg.cycle.enrich_ctx = es;
	cfg.http.ring = event_source_ring(es);
	r = http_server_start(&cfg.http, &http);
	if (r < 0) {
		log_error("cannot listen on %s: %s", cfg.http.listen_address,
			  r == -EINVAL ? "not an address of the form [host]:port" :
			  r == -EKEYREJECTED ? "the TLS certificate or key was refused" : strerror(-r));
		goto out;
	}
	r = drop_privileges(cfg.user);
	if (r < 0) {
		log_error("cannot switch to user %s: %s", cfg.user,
			  r == -ENOENT ? "no such user" : strerror(-r));
		goto out;
	}
	log_info("cgscope %s watching %s every %lu ms, serving %s://%s%s as uid %u",
		 cgscope_version, root, (unsigned long)cfg.interval_ms,
		 wc.cert_pem ? "https" : "http", cfg.http.listen_address,
		 cfg.http.metrics_path, (unsigned)geteuid());
	run_loop(c, &slot, cfg.interval_ms, &cfg.cycle, &sigs);
	r = 0;
out:
	http_server_stop(http);
	event_source_stop(es);
	snapshot_slot_destroy(&slot);
	collector_free(c);
	web_config_free(&wc);
	free(cfg.include);
	free(cfg.exclude);
	return r < 0 ? 1 : 0;
}
