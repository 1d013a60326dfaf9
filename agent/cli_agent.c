// SPDX-License-Identifier: GPL-2.0-only
/* cgscope agent: the daemon. One thread collects a snapshot per interval;
 * the HTTP server's threads serve whatever snapshot is current. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "version.h"
#include "cli.h"
#include "cycle.h"
#include "http_server.h"
#include "log.h"

struct agent_config {
	const char *listen_address;
	const char *metrics_path;
	const char *cgroup_root;
	uint64_t interval_ms;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: cgscope agent [OPTIONS]\n"
		"\n"
		"Discovers every cgroup below the cgroup root, reads its files once per\n"
		"interval, and serves the result as Prometheus metrics over HTTP. Scrapes\n"
		"are answered from the last cycle's page: they never read cgroupfs.\n"
		"\n"
		"Options:\n"
		"  --web.listen-address ADDR   where to listen (default \":9753\", every\n"
		"                              address; \"127.0.0.1:9753\", \"[::1]:9753\")\n"
		"  --web.telemetry-path PATH   path of the metrics page (default /metrics)\n"
		"  --cgroup-root DIR           the tree to watch (default: the cgroup2 mount\n"
		"                              found in /proc/self/mountinfo)\n"
		"  --interval DURATION         time between collection cycles, e.g. 1s,\n"
		"                              500ms, 1m (default 1s)\n"
		"  --log-level LEVEL           error, warn, info or debug (default info)\n"
		"  -h, --help                  show this help\n"
		"\n"
		"Endpoints: / (a page of links), the metrics path, /healthz (200 while the\n"
		"collector keeps up, 503 otherwise).\n");
}

static int parse_args(int argc, char **argv, struct agent_config *cfg)
{
	enum { O_LISTEN = 256, O_PATH, O_ROOT, O_INTERVAL, O_LOG };
	static const struct option opts[] = {
		{ "web.listen-address", required_argument, NULL, O_LISTEN },
		{ "web.telemetry-path", required_argument, NULL, O_PATH },
		{ "cgroup-root", required_argument, NULL, O_ROOT },
		{ "interval", required_argument, NULL, O_INTERVAL },
		{ "log-level", required_argument, NULL, O_LOG },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case O_LISTEN:
			cfg->listen_address = optarg;
			break;
		case O_PATH:
			if (optarg[0] != '/') {
				fprintf(stderr, "cgscope agent: --web.telemetry-path must start with '/'\n");
				return -EINVAL;
			}
			cfg->metrics_path = optarg;
			break;
		case O_ROOT:
			cfg->cgroup_root = optarg;
			break;
		case O_INTERVAL:
			if (parse_duration_ms(optarg, &cfg->interval_ms) < 0) {
				fprintf(stderr, "cgscope agent: bad --interval '%s': want a duration such as 1s, 500ms or 1m\n", optarg);
				return -EINVAL;
			}
			break;
		case O_LOG:
			if (log_level_parse(optarg, &log_threshold) < 0) {
				fprintf(stderr, "cgscope agent: bad --log-level '%s': want error, warn, info or debug\n", optarg);
				return -EINVAL;
			}
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
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

int cmd_agent(int argc, char **argv)
{
	struct agent_config cfg = {
		.listen_address = ":9753",
		.metrics_path = "/metrics",
		.interval_ms = 1000,
	};
	struct http_server_opts hopts;
	struct agent_info info;
	struct timespec started;
	struct snapshot_slot slot;
	struct http_server *http = NULL;
	struct collector *c = NULL;
	uint64_t seen[F_NR] = {0};
	struct timespec last_log[F_NR] = {{0}};
	char root[PATH_MAX];
	sigset_t sigs;
	int r, sig = 0;

	r = parse_args(argc, argv, &cfg);
	if (r != 0)
		return r > 0 ? 0 : 2;
	if (resolve_cgroup_root(cfg.cgroup_root, root, sizeof(root)) < 0)
		return 1;
	raise_fd_limit();
	/* Signals are taken synchronously by the collection loop's wait; the
	 * HTTP threads started below inherit the blocked mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	r = collector_new(root, &c);
	if (r < 0) {
		log_error("cannot open cgroup root %s: %s", root, strerror(-r));
		return 1;
	}
	snapshot_slot_init(&slot);
	clock_gettime(CLOCK_REALTIME, &started);
	info = (struct agent_info){
		.started_ms = (int64_t)started.tv_sec * 1000 + started.tv_nsec / 1000000,
		.cgroup_root = root,
		.interval_ms = cfg.interval_ms,
	};
	hopts = (struct http_server_opts){
		.info = &info,
		.listen_address = cfg.listen_address,
		.metrics_path = cfg.metrics_path,
		.slot = &slot,
		.stale_after_ms = cfg.interval_ms * 3 + 5000,
	};
	r = http_server_start(&hopts, &http);
	if (r < 0) {
		log_error("cannot listen on %s: %s", cfg.listen_address,
			  r == -EINVAL ? "not an address of the form [host]:port" : strerror(-r));
		goto out;
	}
	log_info("cgscope %s watching %s every %lu ms, serving http://%s%s",
		 cgscope_version, root, (unsigned long)cfg.interval_ms,
		 cfg.listen_address, cfg.metrics_path);

	while (!sig) {
		struct timespec t0, t1, wait;
		struct snapshot *s;
		uint64_t spent_ms;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = cycle_run(c, &s);
		if (r < 0) {
			log_error("collection cycle failed: %s", strerror(-r));
		} else {
			log_read_errors(c, s, seen, last_log);
			snapshot_publish(&slot, s);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		spent_ms = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000 +
				      (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (spent_ms >= cfg.interval_ms)
			spent_ms = cfg.interval_ms - 1;
		wait.tv_sec = (time_t)((cfg.interval_ms - spent_ms) / 1000);
		wait.tv_nsec = (long)((cfg.interval_ms - spent_ms) % 1000) * 1000000;
		sig = sigtimedwait(&sigs, NULL, &wait);
		if (sig < 0)
			sig = 0;	/* the interval passed (EAGAIN) or EINTR */
	}
	log_info("received signal %d, shutting down", sig);
	r = 0;
out:
	http_server_stop(http);
	snapshot_slot_destroy(&slot);
	collector_free(c);
	return r < 0 ? 1 : 0;
}
