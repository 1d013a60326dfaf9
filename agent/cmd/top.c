// SPDX-License-Identifier: GPL-2.0-only
/* cgscope top: a live view of every cgroup, from the local cgroupfs or from
 * a running agent. Interactive on a terminal, plain text frames otherwise. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "lib/log.h"
#include "top/term.h"
#include "top/top_source.h"
#include "top/top_view.h"

#define DEFAULT_DELAY_MS 1000
#define DEFAULT_DEPTH 3
/* The first frame needs two samples for its rates: it comes this soon. */
#define FIRST_FRAME_MS 500
/* An agent that has not made a new cycle yet is asked again this soon. */
#define AGAIN_MS 200
/* How long the status line shows that some files could not be read. */
#define WARNING_MS 10000

struct top {
	struct top_source *src;
	struct snapshot *cur;
	struct top_row *rows;
	size_t n;
	struct top_events *events;
	bool events_ok;
	struct top_view view;
	uint64_t delay_ms;
	bool raw;
	char error[256];		/* the last refresh's failure, shown until one works */
	char warning[512];		/* files that could not be read */
	int64_t warning_ms;
	bool warning_new;		/* not logged yet (batch mode) */
	bool editing;			/* typing a filter after '/' */
	char filter[256], filter_saved[256];
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: cgscope top [OPTIONS]\n"
		"\n"
		"A live view of every cgroup, like systemd-cgtop, with what it cannot show:\n"
		"CPU throttling, memory pressure, OOM kills and recent events. Reads the\n"
		"local cgroupfs, or a running agent's JSON API with --url. Interactive on a\n"
		"terminal; plain text frames when stdout is not a terminal, or with -b.\n"
		"\n"
		"Options:\n"
		"  -b, --batch          plain text frames, no keys (also when stdout is not\n"
		"                       a terminal)\n"
		"  -n, --iterations N   stop after N frames (default: run until stopped)\n"
		"  -d, --delay SECONDS  time between refreshes: 1, 0.5, 2s, 500ms (default 1)\n"
		"  --depth N            show cgroups at most N levels below the root (default\n"
		"                       %d; the root is level 0)\n"
		"  --sort KEY           path, tasks, cpu (the default), memory, io, throttle,\n"
		"                       pressure or oom\n"
		"  -r, --reverse        reverse the sort order\n"
		"  --tree, --flat       indented tree (sorted among siblings; the default on a\n"
		"                       terminal) or one list of full paths (the default in\n"
		"                       batch mode)\n"
		"  --raw                bytes and rates as plain integers, no K/M/G\n"
		"  --url URL            read the agent at URL (http://host:9753) instead of\n"
		"                       the local cgroupfs; events come from its\n"
		"                       /api/v1/events\n"
		"  --cgroup-root DIR    the tree to read (default: the cgroup2 mount from\n"
		"                       /proc/self/mountinfo); a captured tree works too\n"
		"  -h, --help           show this help\n"
		"\n"
		"Columns: Tasks (pids.current, else the processes in cgroup.procs of the\n"
		"cgroup and its descendants), %%CPU (of one core, from cpu.stat usage),\n"
		"%%Thr (throttled CFS periods, %% of periods since the last refresh), Memory\n"
		"(memory.current), %%Max (of memory.max, where set), PSI-M (memory.pressure\n"
		"some avg10, %%), Read/s and Write/s (io.stat), OOM (memory.events oom_kill;\n"
		"marked when it grew since the last refresh), High+ and Max+ (growth of\n"
		"memory.events high and max since the last refresh). '-': the host has no\n"
		"such file (no memory controller on cgroup v2, say), or no earlier sample.\n"
		"\n"
		"Keys:\n"
		"  c m i p t        sort by CPU, memory, IO, path, tasks (as systemd-cgtop)\n"
		"  T P o            sort by throttling, memory pressure, OOM kills\n"
		"                   (the same key again, or r, reverses the order)\n"
		"  d                tree or flat list\n"
		"  /                filter by a substring of the path (Enter keeps it, Esc\n"
		"                   cancels, an empty filter shows all)\n"
		"  + -              refresh less or more often\n"
		"  < >              show fewer or more levels\n"
		"  space            refresh now\n"
		"  q, Ctrl-C        quit (the terminal is restored, also on a crash)\n",
		DEFAULT_DEPTH);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Seconds as systemd-cgtop takes them ("1", "0.5"), or a duration ("2s"). */
static int parse_delay(const char *s, uint64_t *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end != s && !*end && !errno) {
		if (!(v >= 0.01 && v <= 86400))
			return -ERANGE;
		*ret = (uint64_t)llround(v * 1000);
		return 0;
	}
	return parse_duration_ms(s, ret);
}

static int parse_count(const char *s, long min, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end || errno || v < min || v > INT_MAX)
		return -EINVAL;
	*ret = v;
	return 0;
}

static const char *describe(int err)
{
	/* The two that only an agent's answer gives. */
	switch (err) {
	case -EPROTO:
		return "unexpected HTTP answer (is it a cgscope agent?)";
	case -EINVAL:
		return "the answer is not a JSON snapshot";
	default:
		return strerror(-err);
	}
}

/* Takes the next snapshot; the rows compare it with the one before. */
static int refresh(struct top *t)
{
	struct snapshot *snap;
	struct top_row *rows;
	uint64_t *tasks;
	size_t n;
	int r;

	r = top_source_fetch(t->src, &snap, &tasks);
	if (r < 0)
		return r;
	r = top_rows_build(snap, t->cur, tasks, &rows, &n);
	free(tasks);
	if (r < 0) {
		snapshot_unref(snap);
		return r;
	}
	t->events_ok = top_source_events(t->src, t->cur, snap, t->events) >= 0;
	if (top_source_warning(t->src)) {
		snprintf(t->warning, sizeof(t->warning), "%s", top_source_warning(t->src));
		t->warning_ms = mono_ms();
		t->warning_new = true;
	}
	snapshot_unref(t->cur);
	t->cur = snap;
	free(t->rows);
	t->rows = rows;
	t->n = n;
	t->error[0] = '\0';
	return 0;
}

static int render(const struct top *t, const char *status, const struct top_render_opts *o,
		  struct strbuf *sb)
{
	const struct top_frame f = {
		.host = top_source_host(t->src),
		.kernel = top_source_kernel(t->src),
		.source = top_source_name(t->src),
		.rows = t->rows,
		.n = t->n,
		.interval_ms = t->delay_ms,
		.events = t->events_ok ? t->events : NULL,
		.events_source = top_source_events_desc(t->src),
		.status = status,
	};

	return top_render(&f, &t->view, o, sb);
}

/* --- batch ------------------------------------------------------------- */

/* A new snapshot; an agent that has not made one yet is asked again for up
 * to a minute. */
static int refresh_wait(struct top *t)
{
	int64_t give_up = mono_ms() + 60000;
	int r;

	while ((r = refresh(t)) == -EAGAIN && mono_ms() < give_up)
		sleep_ms(AGAIN_MS);
	return r;
}

static int run_batch(struct top *t, long iterations)
{
	struct top_render_opts o = { .events_max = TOP_EVENTS_MAX, .raw = t->raw };
	uint64_t shown = 0;
	int r;

	for (long i = 0; iterations == 0 || i < iterations; i++) {
		struct strbuf sb = {0};

		sleep_ms(i == 0 && t->delay_ms > FIRST_FRAME_MS ? FIRST_FRAME_MS : (int64_t)t->delay_ms);
		r = refresh_wait(t);
		if (r < 0) {
			log_error("cannot read %s: %s", top_source_name(t->src), describe(r));
			return 1;
		}
		if (t->warning_new) {
			log_warn("%s", t->warning);
			t->warning_new = false;
		}
		o.events_after = shown;
		r = render(t, NULL, &o, &sb);
		if (r == 0 && i > 0)
			fputc('\n', stdout);
		if (r == 0 && (fwrite(sb.buf, 1, sb.len, stdout) != sb.len || fflush(stdout)))
			r = -EIO;
		sb_free(&sb);
		if (r < 0) {
			log_error("cannot write a frame: %s", strerror(r == -EIO ? errno : -r));
			return 1;
		}
		shown = t->events->added;
	}
	return 0;
}

/* --- interactive ------------------------------------------------------- */

static const uint64_t delay_steps[] = {
	100, 250, 500, 1000, 2000, 3000, 5000, 10000, 30000, 60000,
};

static uint64_t step_delay(uint64_t cur, bool up)
{
	size_t n = sizeof(delay_steps) / sizeof(delay_steps[0]);

	if (up) {
		for (size_t i = 0; i < n; i++)
			if (delay_steps[i] > cur)
				return delay_steps[i];
		return cur;
	}
	for (size_t i = n; i-- > 0;)
		if (delay_steps[i] < cur)
			return delay_steps[i];
	return cur;
}

static void sort_by(struct top *t, enum top_sort key)
{
	if (t->view.sort == key) {
		t->view.reverse = !t->view.reverse;
	} else {
		t->view.sort = key;
		t->view.reverse = false;
	}
}

static int deepest(const struct top *t)
{
	uint32_t d = 0;

	for (size_t i = 0; i < t->n; i++)
		if (t->rows[i].depth > d)
			d = t->rows[i].depth;
	return (int)d;
}

/* A key while typing a filter, which applies as it is typed. */
static void filter_key(struct top *t, int key)
{
	size_t len = strlen(t->filter);

	if (key == '\r' || key == '\n') {
		t->editing = false;
	} else if (key == 27) {
		t->editing = false;
		memcpy(t->filter, t->filter_saved, sizeof(t->filter));
	} else if (key == 127 || key == 8) {
		if (len)
			t->filter[len - 1] = '\0';
	} else if (key == 21) {		/* Ctrl-U, as in a shell */
		t->filter[0] = '\0';
	} else if (key >= 0x20 && key < 0x7f && len + 1 < sizeof(t->filter)) {
		t->filter[len] = (char)key;
		t->filter[len + 1] = '\0';
	}
}

/* Returns false to quit; *refresh_now for space and a new delay. */
static bool on_key(struct top *t, int key, bool *refresh_now)
{
	static const struct { int key; enum top_sort sort; } sort_keys[] = {
		{ 'c', TOP_SORT_CPU }, { 'm', TOP_SORT_MEMORY }, { 'i', TOP_SORT_IO },
		{ 'p', TOP_SORT_PATH }, { 't', TOP_SORT_TASKS }, { 'T', TOP_SORT_THROTTLE },
		{ 'P', TOP_SORT_PRESSURE }, { 'o', TOP_SORT_OOM },
	};

	if (t->editing) {
		filter_key(t, key);
		return true;
	}
	for (size_t i = 0; i < sizeof(sort_keys) / sizeof(sort_keys[0]); i++) {
		if (key == sort_keys[i].key) {
			sort_by(t, sort_keys[i].sort);
			return true;
		}
	}
	switch (key) {
	case 'q':
	case 'Q':
		return false;
	case 'r':
		t->view.reverse = !t->view.reverse;
		break;
	case 'd':
		t->view.flat = !t->view.flat;
		break;
	case '/':
		t->editing = true;
		memcpy(t->filter_saved, t->filter, sizeof(t->filter));
		break;
	case '+':
	case '=':
		t->delay_ms = step_delay(t->delay_ms, true);
		break;
	case '-':
	case '_':
		t->delay_ms = step_delay(t->delay_ms, false);
		*refresh_now = true;
		break;
	case '<':
		if (t->view.max_depth < 0)
			t->view.max_depth = deepest(t);
		if (t->view.max_depth > 0)
			t->view.max_depth--;
		break;
	case '>':
		if (t->view.max_depth >= 0 && t->view.max_depth < deepest(t))
			t->view.max_depth++;
		break;
	case ' ':
		*refresh_now = true;
		break;
	}
	return true;
}

static void status_line(const struct top *t, char *buf, size_t size)
{
	if (t->editing)
		snprintf(buf, size, "filter: %s_   (Enter: keep, Esc: cancel)", t->filter);
	else if (t->error[0])
		snprintf(buf, size, "%s", t->error);
	else if (t->warning[0] && mono_ms() - t->warning_ms < WARNING_MS)
		snprintf(buf, size, "warning: %s", t->warning);
	else if (t->filter[0])
		snprintf(buf, size, "filter: %s   (/ to change)", t->filter);
	else
		snprintf(buf, size, "keys: c m i p t T P o sort  d tree/flat  / filter  "
			 "+/- refresh  </> depth  q quit");
}

static int draw(const struct top *t)
{
	struct top_render_opts o = { .ansi = true, .raw = t->raw, .events_max = TOP_EVENTS_MAX };
	struct strbuf sb = {0};
	char status[1024];
	int r;

	term_size(&o.height, &o.width);
	status_line(t, status, sizeof(status));
	r = render(t, status, &o, &sb);
	if (r == 0)
		r = term_draw(sb.buf, sb.len);
	sb_free(&sb);
	return r;
}

static void note_error(struct top *t, int r)
{
	snprintf(t->error, sizeof(t->error), "cannot read %s: %s (retrying)",
		 top_source_name(t->src), describe(r));
}

static int run_interactive(struct top *t, long iterations)
{
	long frames = 0;
	bool fresh = true;		/* a refresh not drawn yet: -n counts these */
	int64_t next = mono_ms() + (t->delay_ms < FIRST_FRAME_MS ? (int64_t)t->delay_ms : FIRST_FRAME_MS);
	int r;

	r = term_open();
	if (r < 0)
		return r;
	for (bool dirty = true;;) {
		bool refresh_now = false;
		int64_t now;
		int key = 0, m;

		if (dirty) {
			r = draw(t);
			if (r < 0)
				break;
			dirty = false;
			if (fresh && iterations && ++frames >= iterations)
				break;
			fresh = false;
		}
		now = mono_ms();
		m = term_wait(next > now ? (int)(next - now) : 0, &key);
		if (m < 0) {
			r = m;
			break;
		}
		if (m & TERM_QUIT)
			break;
		if (m & TERM_RESIZE)
			dirty = true;
		if (m & TERM_KEY) {
			if (!on_key(t, key, &refresh_now))
				break;
			dirty = true;
		}
		if (refresh_now || mono_ms() >= next) {
			r = refresh(t);
			if (r == -EAGAIN) {
				next = mono_ms() + AGAIN_MS;
				continue;
			}
			if (r < 0)
				note_error(t, r);
			next = mono_ms() + (int64_t)t->delay_ms;
			dirty = fresh = true;
		}
	}
	term_close();
	if (r < 0)
		log_error("terminal: %s", strerror(-r));
	return r < 0 ? r : 0;
}

/* --- main -------------------------------------------------------------- */

/* The collector holds a descriptor per file per cgroup: a host with a few
 * thousand cgroups needs more than the usual 1024, or 20000. Root may go
 * beyond the hard limit; anyone may go up to it. */
static void raise_fd_limit(void)
{
	struct rlimit rl, want = { 1u << 20, 1u << 20 };

	if (setrlimit(RLIMIT_NOFILE, &want) == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int cmd_top(int argc, char **argv)
{
	enum { O_DEPTH = 256, O_SORT, O_URL, O_ROOT, O_TREE, O_FLAT, O_RAW };
	static const struct option opts[] = {
		{ "batch", no_argument, NULL, 'b' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "delay", required_argument, NULL, 'd' },
		{ "depth", required_argument, NULL, O_DEPTH },
		{ "sort", required_argument, NULL, O_SORT },
		{ "reverse", no_argument, NULL, 'r' },
		{ "tree", no_argument, NULL, O_TREE },
		{ "flat", no_argument, NULL, O_FLAT },
		{ "raw", no_argument, NULL, O_RAW },
		{ "url", required_argument, NULL, O_URL },
		{ "cgroup-root", required_argument, NULL, O_ROOT },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct top t = {
		.view = { .sort = TOP_SORT_CPU, .max_depth = DEFAULT_DEPTH },
		.delay_ms = DEFAULT_DELAY_MS,
	};
	const char *url = NULL, *root_flag = NULL;
	int layout = -1;		/* -1: by mode, 0: tree, 1: flat */
	bool batch = false;
	long iterations = 0, v;
	char root[PATH_MAX];
	int opt, r, rc = 1;

	while ((opt = getopt_long(argc, argv, "bn:d:rh", opts, NULL)) != -1) {
		switch (opt) {
		case 'b':
			batch = true;
			break;
		case 'n':
			if (parse_count(optarg, 1, &iterations) < 0) {
				fprintf(stderr, "cgscope top: bad -n '%s': want a whole number from 1\n", optarg);
				return 2;
			}
			break;
		case 'd':
			if (parse_delay(optarg, &t.delay_ms) < 0) {
				fprintf(stderr, "cgscope top: bad -d '%s': want seconds (1, 0.5) or a duration (500ms)\n", optarg);
				return 2;
			}
			break;
		case O_DEPTH:
			if (parse_count(optarg, 0, &v) < 0) {
				fprintf(stderr, "cgscope top: bad --depth '%s': want a whole number from 0\n", optarg);
				return 2;
			}
			t.view.max_depth = (int)v;
			break;
		case O_SORT:
			if (top_sort_parse(optarg, &t.view.sort) < 0) {
				fprintf(stderr, "cgscope top: bad --sort '%s': want path, tasks, cpu, memory, io, throttle, pressure or oom\n", optarg);
				return 2;
			}
			break;
		case 'r':
			t.view.reverse = true;
			break;
		case O_TREE:
			layout = 0;
			break;
		case O_FLAT:
			layout = 1;
			break;
		case O_RAW:
			t.raw = true;
			break;
		case O_URL:
			url = optarg;
			break;
		case O_ROOT:
			root_flag = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cgscope top: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (url && root_flag) {
		fprintf(stderr, "cgscope top: --url and --cgroup-root exclude each other\n");
		return 2;
	}
	/* Keys need a terminal on both sides. */
	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
		batch = true;
	t.view.flat = layout < 0 ? batch : layout == 1;

	if (url) {
		r = top_source_open_url(url, &t.src);
		if (r < 0) {
			fprintf(stderr, "cgscope top: bad --url '%s': want http://HOST[:PORT]%s\n", url,
				strncmp(url, "https:", 6) ? "" : " (https is not supported)");
			return 2;
		}
	} else {
		if (resolve_cgroup_root(root_flag, root, sizeof(root)) < 0)
			return 1;
		raise_fd_limit();
		r = top_source_open_local(root, &t.src);
		if (r < 0) {
			log_error("cannot open cgroup root %s: %s", root, strerror(-r));
			return 1;
		}
	}
	t.events = calloc(1, sizeof(*t.events));
	if (!t.events) {
		log_error("out of memory");
		goto out;
	}
	t.view.filter = t.filter;

	/* The first sample: rates and growth need a second one. */
	r = refresh_wait(&t);
	if (r < 0) {
		log_error("cannot read %s: %s", top_source_name(t.src), describe(r));
		goto out;
	}
	if (batch)
		rc = run_batch(&t, iterations);
	else
		rc = run_interactive(&t, iterations) < 0 ? 1 : 0;
out:
	snapshot_unref(t.cur);
	free(t.rows);
	free(t.events);
	top_source_free(t.src);
	return rc;
}
