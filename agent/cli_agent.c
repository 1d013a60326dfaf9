// SPDX-License-Identifier: GPL-2.0-only
/* cgscope agent: the daemon. One thread collects a snapshot per interval;
 * the HTTP server's threads serve whatever snapshot is current. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cycle.h"
#include "http_server.h"
#include "log.h"
#include "privileges.h"
#include "version.h"
#include "web_config.h"

struct agent_config {
	const char *cgroup_root;
	const char *web_config_file;
	const char *user;
	uint64_t interval_ms;
	struct http_server_opts http;
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
		"Process:\n"
		"  --user USER                 run as USER once set up (default nobody; root\n"
		"                              keeps root). All capabilities are dropped.\n"
		"  --log-level LEVEL           error, warn, info or debug (default info)\n"
		"  -h, --help                  show this help\n"
		"\n"
		"Endpoints: / (a page of links), the metrics path, /api/v1/cgroups,\n"
		"/api/v1/cgroups/ID, /api/v1/cgroup?path=P, /api/v1/status, and /healthz\n"
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
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	unsigned long n;
	uint64_t ms;
	int opt;

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

static void run_loop(struct collector *c, struct snapshot_slot *slot,
		     uint64_t interval_ms, const sigset_t *sigs)
{
	uint64_t seen[F_NR] = {0};
	struct timespec last_log[F_NR] = {{0}};
	int sig = 0;

	while (!sig) {
		struct timespec t0, t1, wait;
		struct snapshot *s;
		uint64_t spent_ms;
		int r;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = cycle_run(c, &s);
		if (r < 0) {
			log_error("collection cycle failed: %s", strerror(-r));
		} else {
			log_read_errors(c, s, seen, last_log);
			snapshot_publish(slot, s);
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
	struct agent_info info;
	struct timespec started;
	char root[PATH_MAX], err[512];
	sigset_t sigs;
	int r;

	r = parse_args(argc, argv, &cfg);
	if (r != 0)
		return r > 0 ? 0 : 2;
	if (resolve_cgroup_root(cfg.cgroup_root, root, sizeof(root)) < 0)
		return 1;
	if (cfg.web_config_file &&
	    web_config_load(cfg.web_config_file, &wc, err, sizeof(err)) < 0) {
		log_error("--web.config.file %s: %s", cfg.web_config_file, err);
		return 1;
	}
	raise_fd_limit();
	/* Signals are taken synchronously by the collection loop's wait; the
	 * threads started below inherit the blocked mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	snapshot_slot_init(&slot);
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
	run_loop(c, &slot, cfg.interval_ms, &sigs);
	r = 0;
out:
	http_server_stop(http);
	snapshot_slot_destroy(&slot);
	collector_free(c);
	web_config_free(&wc);
	return r < 0 ? 1 : 0;
}
