// SPDX-License-Identifier: GPL-2.0-only
/* cgscope top: a live view of every cgroup, from the local cgroupfs or from
 * a running agent. Interactive on a terminal, plain text frames otherwise. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/flags.h"
#include "cmd/replay_cmd.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/units.h"
#include "top/term.h"
#include "top/top_source.h"
#include "top/top_view.h"
#include "lib/macros.h"
#include "lib/fd_limit.h"

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
	bool replay;			/* a recording: moves by keys, not by the clock */
	bool editing_time;		/* typing a time after 'g' */
	char goto_time[64];
};

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static const char *getenv_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* USER:PASSWORD from CGSCOPE_AUTH, else the first line of the file
 * CGSCOPE_AUTH_FILE names, else "" (the URL's own user info wins over both,
 * in top_source_open_url). */
static int read_auth(char *buf, size_t size, char *err, size_t errsize)
{
	const char *v = getenv_nonempty("CGSCOPE_AUTH"), *path = getenv_nonempty("CGSCOPE_AUTH_FILE");
	FILE *f;
	size_t n;

	buf[0] = '\0';
	if (v) {
		if (strlen(v) >= size || !strchr(v, ':')) {
			snprintf(err, errsize, "CGSCOPE_AUTH: want USER:PASSWORD");
			return -EINVAL;
		}
		strcpy(buf, v);
		return 0;
	}
	if (!path)
		return 0;
	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errsize, "CGSCOPE_AUTH_FILE %s: %s", path, strerror(errno));
		return -errno;
	}
	if (!fgets(buf, (int)size, f))
		buf[0] = '\0';
	fclose(f);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	if (!strchr(buf, ':')) {
		explicit_bzero(buf, size);
		snprintf(err, errsize, "CGSCOPE_AUTH_FILE %s: want USER:PASSWORD on its first line", path);
		return -EINVAL;
	}
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
	case -EACCES:
		return "401: the agent asks for a user and password (http://USER:PASSWORD@HOST:PORT, "
		       "CGSCOPE_AUTH or CGSCOPE_AUTH_FILE)";
	case -EPERM:
		return "401: the agent refused the user and password given";
	case -EPROTONOSUPPORT:
		return "the agent serves TLS: use an https:// URL";
	case -EKEYREJECTED:
		return "the agent's TLS certificate is not trusted for this host "
		       "(CGSCOPE_CA_FILE names the CA that signed it)";
	case -ECONNABORTED:
		return "the TLS session failed (is it an https agent? does it want a client "
		       "certificate: CGSCOPE_CERT_FILE, CGSCOPE_KEY_FILE?)";
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
	/* A replay compares with the recorded cycle before: the frame shown
	 * before may be a jump away. */
	r = top_rows_build(snap, t->replay ? top_source_prev(t->src) : t->cur, tasks, &rows, &n);
	free(tasks);
	if (r < 0) {
		snapshot_unref(snap);
		return r;
	}
	t->events_ok = top_source_events(t->src, t->cur, snap, t->events) >= 0;
	if (top_source_warning(t->src)) {
		snprintf(t->warning, sizeof(t->warning), "%s", top_source_warning(t->src));
		t->warning_ms = clock_ms(CLOCK_MONOTONIC);
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
		.when = top_source_when(t->src),
	};

	return top_render(&f, &t->view, o, sb);
}

/* --- batch ------------------------------------------------------------- */

/* A new snapshot; an agent that has not made one yet is asked again for up
 * to a minute. */
static int refresh_wait(struct top *t)
{
	int64_t give_up = clock_ms(CLOCK_MONOTONIC) + 60000;
	int r;

	while ((r = refresh(t)) == -EAGAIN && clock_ms(CLOCK_MONOTONIC) < give_up)
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

		if (t->replay) {
			/* A frame per recorded cycle, from --at on, as fast as
			 * they come: the first was read before the loop. */
			if (i > 0) {
				top_source_replay_move(t->src, TOP_REPLAY_CYCLES, 1);
				r = refresh(t);
				if (r == -EAGAIN || r == -ENOENT || top_source_warning(t->src)) {
					log_info("the end of the recording");
					return 0;
				}
			} else {
				r = 0;
			}
		} else {
			sleep_ms(i == 0 && t->delay_ms > FIRST_FRAME_MS ? FIRST_FRAME_MS :
				 (int64_t)t->delay_ms);
			r = refresh_wait(t);
		}
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
	size_t n = ARRAY_SIZE(delay_steps);

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

/* A key while typing a time after 'g': Enter goes there. */
static void time_key(struct top *t, int key, bool *refresh_now)
{
	size_t len = strlen(t->goto_time);
	int64_t ms;

	if (key == '\r' || key == '\n') {
		t->editing_time = false;
		if (parse_time_arg(t->goto_time, clock_ms(CLOCK_REALTIME), &ms) < 0) {
			snprintf(t->error, sizeof(t->error), "cannot read '%s': want %s", t->goto_time,
				 TIME_ARG_WANT);
			return;
		}
		t->error[0] = '\0';
		top_source_replay_move(t->src, TOP_REPLAY_TO_MS, ms);
		*refresh_now = true;
	} else if (key == 27) {
		t->editing_time = false;
	} else if (key == 127 || key == 8) {
		if (len)
			t->goto_time[len - 1] = '\0';
	} else if (key == 21) {
		t->goto_time[0] = '\0';
	} else if (key >= 0x20 && key < 0x7f && len + 1 < sizeof(t->goto_time)) {
		t->goto_time[len] = (char)key;
		t->goto_time[len + 1] = '\0';
	}
}

/* The keys that move a replay through time: true if key was one. */
static bool replay_key(struct top *t, int key, bool *refresh_now)
{
	enum top_replay_move how = TOP_REPLAY_CYCLES;
	int64_t amount;

	switch (key) {
	case TERM_KEY_RIGHT:
		amount = 1;
		break;
	case TERM_KEY_LEFT:
		amount = -1;
		break;
	case ']':
		how = TOP_REPLAY_BY_MS, amount = 60000;
		break;
	case '[':
		how = TOP_REPLAY_BY_MS, amount = -60000;
		break;
	case '}':
	case TERM_KEY_PGDN:
		how = TOP_REPLAY_BY_MS, amount = 600000;
		break;
	case '{':
	case TERM_KEY_PGUP:
		how = TOP_REPLAY_BY_MS, amount = -600000;
		break;
	case 'g':
		t->editing_time = true;
		t->goto_time[0] = '\0';
		return true;
	case ' ':
		return true;	/* nothing new comes by itself */
	default:
		return false;
	}
	top_source_replay_move(t->src, how, amount);
	*refresh_now = true;
	return true;
}

/* Returns false to quit; *refresh_now for space and a new delay. */
static bool on_key(struct top *t, int key, bool *refresh_now)
{
	static const struct { int key; enum top_sort sort; } sort_keys[] = {
		{ 'c', TOP_SORT_CPU }, { 'm', TOP_SORT_MEMORY }, { 'i', TOP_SORT_IO },
		{ 'p', TOP_SORT_PATH }, { 't', TOP_SORT_TASKS }, { 'T', TOP_SORT_THROTTLE },
		{ 'P', TOP_SORT_PRESSURE }, { 'o', TOP_SORT_OOM }, { 'N', TOP_SORT_NETWORK },
	};

	if (t->editing) {
		filter_key(t, key);
		return true;
	}
	if (t->editing_time) {
		time_key(t, key, refresh_now);
		return true;
	}
	if (t->replay && replay_key(t, key, refresh_now))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(sort_keys); i++) {
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
	case 'n':
		t->view.names = !t->view.names;
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
	if (t->editing_time)
		snprintf(buf, size, "go to: %s_   (2026-12-02 03:14, 03:14, '10m ago', -2h, @SECONDS; "
			 "Enter: go, Esc: cancel)", t->goto_time);
	else if (t->replay && !t->editing && !t->error[0] &&
		 !(t->warning[0] && clock_ms(CLOCK_MONOTONIC) - t->warning_ms < WARNING_MS) && !t->filter[0])
		snprintf(buf, size, "keys: <-/-> cycle  [ ] minute  { } 10 minutes  g go to  "
			 "c m i p t T P o sort  d tree  / filter  q quit");
	else if (t->editing)
		snprintf(buf, size, "filter: %s_   (Enter: keep, Esc: cancel)", t->filter);
	else if (t->error[0])
		snprintf(buf, size, "%s", t->error);
	else if (t->warning[0] && clock_ms(CLOCK_MONOTONIC) - t->warning_ms < WARNING_MS)
		snprintf(buf, size, "warning: %s", t->warning);
	else if (t->filter[0])
		snprintf(buf, size, "filter: %s   (/ to change)", t->filter);
	else
		snprintf(buf, size, "keys: c m i p t T P o N sort  d tree/flat  n names  / filter  "
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
	int64_t next = clock_ms(CLOCK_MONOTONIC) + (t->delay_ms < FIRST_FRAME_MS ? (int64_t)t->delay_ms : FIRST_FRAME_MS);
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
		now = clock_ms(CLOCK_MONOTONIC);
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
		if (t->replay && !refresh_now)
			next = clock_ms(CLOCK_MONOTONIC) + 3600000;	/* moves come from keys only */
		if (refresh_now || clock_ms(CLOCK_MONOTONIC) >= next) {
			r = refresh(t);
			if (r == -EAGAIN) {
				next = clock_ms(CLOCK_MONOTONIC) + AGAIN_MS;
				continue;
			}
			if (r < 0)
				note_error(t, r);
			next = clock_ms(CLOCK_MONOTONIC) + (int64_t)t->delay_ms;
			dirty = fresh = true;
		}
	}
	term_close();
	if (r < 0)
		log_error("terminal: %s", strerror(-r));
	return r < 0 ? r : 0;
}

/* --- main -------------------------------------------------------------- */

/* --- flags --------------------------------------------------------------- */

struct top_flags {
	bool batch, reverse, tree, flat, raw;
	uint64_t iterations, delay_ms, depth;
	enum top_sort sort;
	const char *url, *cgroup_root;
	const char *replay;
	int64_t at_ms;
	bool at_set;
};

#define F(x) offsetof(struct top_flags, x)

/* Seconds as systemd-cgtop takes them ("1", "0.5"), or a duration ("2s"),
 * within what the + and - keys reach. */
static int parse_delay(const struct flag *f, const char *value, void *cfg)
{
	uint64_t ms;
	char *end;
	double v;
	int r;

	errno = 0;
	v = strtod(value, &end);
	if (end != value && !*end && !errno && value[0] >= '0' && value[0] <= '9') {
		if (!(v * 1000 >= (double)f->min && v * 1000 <= (double)f->max))
			return -ERANGE;
		ms = (uint64_t)llround(v * 1000);
	} else if ((r = parse_duration_ms(value, &ms)) < 0) {
		return r;
	}
	if (ms < f->min || ms > f->max)
		return -ERANGE;
	((struct top_flags *)cfg)->delay_ms = ms;
	return 0;
}

static int parse_at(const struct flag *f, const char *value, void *cfg)
{
	((struct top_flags *)cfg)->at_set = value != f->def;
	return flag_time(f, value, cfg);
}

static int parse_sort(const struct flag *f, const char *value, void *cfg)
{
	(void)f;
	return top_sort_parse(value, &((struct top_flags *)cfg)->sort);
}

static const struct flag top_flags[] = {
	FLAG_SECTION("Options:"),
	{ .name = "batch", .short_name = 'b', .parse = flag_switch, .off = F(batch),
	  .help = "plain text frames, no keys (also when stdout is not a terminal)" },
	{ .name = "iterations", .short_name = 'n', .arg = "N", .parse = flag_uint,
	  .off = F(iterations), .min = 1, .max = 1000000000, .want = "a whole number from 1",
	  .help = "stop after N frames (default: run until stopped)" },
	{ .name = "delay", .short_name = 'd', .arg = "SECONDS", .def = "1",
	  .parse = parse_delay, .min = 100, .max = 60000,
	  .want = "seconds (1, 0.5) or a duration (500ms, 2s) from 0.1 to 60 s, as the + and - keys go",
	  .help = "time between refreshes: 1, 0.5, 2s, 500ms" },
	{ .name = "depth", .arg = "N", .def = "3", .parse = flag_uint, .off = F(depth),
	  .max = 10000, .want = "a whole number from 0",
	  .help = "show cgroups at most N levels below the root (the root is level 0)" },
	{ .name = "sort", .arg = "KEY", .def = "cpu", .parse = parse_sort,
	  .want = "path, tasks, cpu, memory, io, throttle, pressure, oom or network",
	  .help = "path, tasks, cpu, memory, io, throttle, pressure, oom or network" },
	{ .name = "reverse", .short_name = 'r', .parse = flag_switch, .off = F(reverse),
	  .help = "reverse the sort order" },
	{ .name = "tree", .parse = flag_switch, .off = F(tree),
	  .help = "an indented tree, sorted among siblings (the default on a terminal)" },
	{ .name = "flat", .parse = flag_switch, .off = F(flat),
	  .help = "one list of full paths (the default in batch mode)" },
	{ .name = "raw", .parse = flag_switch, .off = F(raw),
	  .help = "bytes and rates as plain integers, no K/M/G" },
	{ .name = "url", .arg = "URL", .parse = flag_string, .off = F(url),
	  .help = "read the agent at URL (http://host:9753, https://..., "
		  "http://USER:PASSWORD@host:9753) instead of the local cgroupfs; "
		  "events come from its /api/v1/events" },
	{ .name = "cgroup-root", .arg = "DIR", .parse = flag_string, .off = F(cgroup_root),
	  .help = "the tree to read (default: the cgroup2 mount from /proc/self/mountinfo); "
		  "a captured tree works too" },
	{ .name = "replay", .arg = "DIR", .parse = flag_string, .off = F(replay),
	  .help = "show what an agent recorded into DIR (--record.dir) instead of the present, "
		  "from --at on; keys move through time (below), -b prints a frame per recorded "
		  "cycle" },
	{ .name = "at", .arg = "TIME", .def = "now", .parse = parse_at, .off = F(at_ms),
	  .want = TIME_ARG_WANT,
	  .help = "with --replay: start at the cycle at or before TIME: 2026-12-02T03:14:00Z, "
		  "'2026-12-02 03:14' (local), 03:14, 'yesterday 03:00', @1764645240, '10m ago', -2h" },
	FLAG_END
};

static const struct flag_cmd top_cmd = {
	.name = "top",
	.about =
		"A live view of every cgroup, like systemd-cgtop, with what it cannot show:\n"
		"CPU throttling, memory pressure, OOM kills and recent events. Reads the\n"
		"local cgroupfs, or a running agent's JSON API with --url. Interactive on a\n"
		"terminal; plain text frames when stdout is not a terminal, or with -b.\n",
	.epilogue =
		"Environment, for --url (a password in the URL shows in ps; these do not):\n"
		"  CGSCOPE_AUTH         USER:PASSWORD for an agent that asks for basic auth\n"
		"  CGSCOPE_AUTH_FILE    a file whose first line is USER:PASSWORD\n"
		"  CGSCOPE_CA_FILE      https: the CA that signed the agent's certificate\n"
		"                       (PEM; default: the system's CAs)\n"
		"  CGSCOPE_CERT_FILE, CGSCOPE_KEY_FILE\n"
		"                       https: a client certificate and its key (PEM), for\n"
		"                       an agent that asks for one\n"
		"\n"
		"Columns: Tasks (pids.current, else the processes in cgroup.procs of the\n"
		"cgroup and its descendants), %CPU (of one core, from cpu.stat usage),\n"
		"%Thr (throttled CFS periods, % of periods since the last refresh), Memory\n"
		"(memory.current), %Max (of memory.max, where set), PSI-M (memory.pressure\n"
		"some avg10, %), Read/s and Write/s (io.stat), Rx/s and Tx/s (network bytes\n"
		"of the cgroup's sockets and its descendants', from an agent whose network\n"
		"feature is on: --url), OOM (memory.events oom_kill;\n"
		"marked when it grew since the last refresh), High+ and Max+ (growth of\n"
		"memory.events high and max since the last refresh). '-': the host has no\n"
		"such file (no memory controller on cgroup v2, say), or no earlier sample.\n"
		"\n"
		"Keys:\n"
		"  c m i p t        sort by CPU, memory, IO, path, tasks (as systemd-cgtop)\n"
		"  T P o N          sort by throttling, memory pressure, OOM kills, network\n"
		"                   (the same key again, or r, reverses the order)\n"
		"  d                tree or flat list\n"
		"  /                filter by a substring of the path (Enter keeps it, Esc\n"
		"                   cancels, an empty filter shows all)\n"
		"  + -              refresh less or more often\n"
		"  < >              show fewer or more levels\n"
		"  space            refresh now\n"
		"  q, Ctrl-C        quit (the terminal is restored, also on a crash)\n"
		"With --replay:\n"
		"  <- ->            one recorded cycle back, forward\n"
		"  [ ]              a minute back, forward\n"
		"  { }, PgUp PgDn   ten minutes back, forward\n"
		"  g                go to a time, typed as --at takes it\n",
	.flags = top_flags,
};

int cmd_top(int argc, char **argv)
{
	struct top_flags fl = {0};
	struct top t = {0};
	char root[PATH_MAX];
	bool batch;
	int r, rc = 1;

	r = flags_parse(&top_cmd, argc, argv, &fl);
	if (r != 0)
		return r > 0 ? 0 : 2;
	if (fl.replay && (fl.url || fl.cgroup_root)) {
		fprintf(stderr, "cgscope top: --replay reads a recording: not with --url or --cgroup-root\n");
		return 2;
	}
	if (fl.at_set && !fl.replay) {
		fprintf(stderr, "cgscope top: --at goes with --replay DIR\n");
		return 2;
	}
	if (fl.url && fl.cgroup_root) {
		fprintf(stderr, "cgscope top: --url and --cgroup-root exclude each other\n");
		return 2;
	}
	if (fl.tree && fl.flat) {
		fprintf(stderr, "cgscope top: --tree and --flat exclude each other\n");
		return 2;
	}
	t.view = (struct top_view){ .sort = fl.sort, .reverse = fl.reverse,
				    .max_depth = (int)fl.depth };
	t.delay_ms = fl.delay_ms;
	t.raw = fl.raw;
	batch = fl.batch;
	/* Keys need a terminal on both sides. */
	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
		batch = true;
	t.view.flat = fl.tree ? false : fl.flat ? true : batch;

	if (fl.replay) {
		r = top_source_open_replay(fl.replay, fl.at_ms, &t.src);
		if (r < 0) {
			log_error("cannot read the recording in %s: %s", fl.replay,
				  r == -ENOENT ? "there is none (an agent records with --record.dir)" :
				  strerror(-r));
			return 1;
		}
		t.replay = true;
	} else if (fl.url) {
		struct top_url_opts uo = {
			.ca_file = getenv_nonempty("CGSCOPE_CA_FILE"),
			.cert_file = getenv_nonempty("CGSCOPE_CERT_FILE"),
			.key_file = getenv_nonempty("CGSCOPE_KEY_FILE"),
		};
		char auth[512], err[512];

		if (read_auth(auth, sizeof(auth), err, sizeof(err)) < 0) {
			fprintf(stderr, "cgscope top: %s\n", err);
			return 2;
		}
		uo.auth = auth[0] ? auth : NULL;
		r = top_source_open_url(fl.url, &uo, &t.src, err, sizeof(err));
		explicit_bzero(auth, sizeof(auth));
		if (r == -ENOKEY) {
			fprintf(stderr, "cgscope top: --url: %s\n", err);
			return 2;
		}
		if (r < 0) {
			fprintf(stderr, "cgscope top: bad --url: want http[s]://[USER:PASSWORD@]HOST[:PORT]\n");
			return 2;
		}
	} else {
		if (resolve_cgroup_root(fl.cgroup_root, root, sizeof(root)) < 0)
			return 1;
		/* Root may go past the hard limit: top has one descriptor table. */
		fd_limit_raise(1u << 20);
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
	r = t.replay ? refresh(&t) : refresh_wait(&t);
	if (r < 0) {
		if (t.replay && r == -ENOENT) {
			char at[64];

			format_time_local(fl.at_ms, 0, 1, at, sizeof(at));
			log_error("nothing recorded at or before %s in %s", at, fl.replay);
			goto out;
		}
		log_error("cannot read %s: %s", top_source_name(t.src), describe(r));
		goto out;
	}
	if (batch)
		rc = run_batch(&t, (long)fl.iterations);
	else
		rc = run_interactive(&t, (long)fl.iterations) < 0 ? 1 : 0;
out:
	snapshot_unref(t.cur);
	free(t.rows);
	free(t.events);
	top_source_free(t.src);
	return rc;
}
