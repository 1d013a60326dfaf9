// SPDX-License-Identifier: GPL-2.0-only
/* cgscope dump: one snapshot to stdout, as the agent would serve it. Works
 * on a live cgroupfs and on a plain directory holding a captured tree (the
 * golden pages of tests/fixtures/ are made this way), and on a recording
 * (--replay): the page the agent served at a past cycle. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/collect_source.h"
#include "cmd/cycle.h"
#include "cmd/flags.h"
#include "cmd/replay_cmd.h"
#include "json/json_snapshot.h"
#include "json/json_writer.h"
#include "lib/log.h"
#include "lib/macros.h"

enum dump_format { DUMP_PROM, DUMP_JSON };

struct dump_flags {
	const char *cgroup_root;
	enum dump_format format;
	enum compat compat;
	bool compat_set;
	const char *replay;
	int64_t at_ms;
	bool at_set, list;
	enum collect_source source;
	bool check_sources;
};

#define F(x) offsetof(struct dump_flags, x)

static int parse_format(const struct flag *f, const char *value, void *cfg)
{
	(void)f;
	if (!strcmp(value, "prometheus"))
		((struct dump_flags *)cfg)->format = DUMP_PROM;
	else if (!strcmp(value, "json"))
		((struct dump_flags *)cfg)->format = DUMP_JSON;
	else
		return -EINVAL;
	return 0;
}

static int parse_compat(const struct flag *f, const char *value, void *cfg)
{
	((struct dump_flags *)cfg)->compat_set = value != f->def;
	return compat_parse(value, &((struct dump_flags *)cfg)->compat);
}

static int parse_at(const struct flag *f, const char *value, void *cfg)
{
	((struct dump_flags *)cfg)->at_set = value != f->def;
	return flag_time(f, value, cfg);
}

static int parse_source(const struct flag *f, const char *value, void *cfg)
{
	(void)f;
	return collect_source_parse(value, &((struct dump_flags *)cfg)->source);
}

static const struct flag dump_flags[] = {
	FLAG_SECTION("Options:"),
	{ .name = "cgroup-root", .arg = "DIR", .parse = flag_string, .off = F(cgroup_root),
	  .help = "the tree to read (default: the cgroup2 mount from /proc/self/mountinfo); "
		  "a plain directory holding a captured tree works too" },
	{ .name = "format", .arg = "FORMAT", .def = "prometheus", .parse = parse_format,
	  .want = "prometheus or json",
	  .help = "prometheus: the agent's metrics page; json: its /api/v1/cgroups" },
	{ .name = "compat", .arg = "MODE", .def = "none", .parse = parse_compat,
	  .want = "cadvisor or none",
	  .help = "cadvisor: add cAdvisor's metric names and labels to the page, as the "
		  "agent's --compat cadvisor does" },

	FLAG_SECTION("From a recording (docs/recording.md):"),
	{ .name = "replay", .arg = "DIR", .parse = flag_string, .off = F(replay),
	  .help = "print the page an agent recording into DIR (--record.dir) served at --at, "
		  "byte for byte, instead of reading cgroupfs" },
	{ .name = "at", .arg = "TIME", .def = "now", .parse = parse_at, .off = F(at_ms),
	  .want = TIME_ARG_WANT,
	  .help = "with --replay: the cycle at or before TIME (an error if the nearest is more "
		  "than three intervals before it): 2026-12-02T03:14:00Z, '2026-12-02 03:14' "
		  "(local), 03:14, 'yesterday 03:00', @1764645240, '10m ago', -2h" },
	{ .name = "list", .parse = flag_switch, .off = F(list),
	  .help = "with --replay: list every frame of the recording (time, kind, cycle, "
		  "cgroups or events) and whether it reads, instead of a page" },
	{ .name = "collect.source", .arg = "SOURCE", .def = "auto", .parse = parse_source,
	  .want = "auto, bpf or files",
	  .help = "where values come from, as the agent's --collect.source: auto, bpf or files" },
	{ .name = "check-sources", .parse = flag_switch, .off = F(check_sources),
	  .help = "instead of a page: read every cgroup's files, walk the cgroup iterator, read the "
		  "files again, and print as JSON how each value of the iterator compares with the "
		  "files around it (exit 1 when a group disagrees; docs/dump.md)" },
	FLAG_END
};

static const struct flag_cmd dump_cmd = {
	.name = "dump",
	.about =
		"Reads every cgroup once and prints what the agent would serve, then exits.\n"
		"Useful for a bug report: point --cgroup-root at a copy of a cgroup tree.\n"
		"Events (BPF) are not part of it: they need an agent that runs. With --replay,\n"
		"prints what an agent served at a past time, from its recording.\n",
	.flags = dump_flags,
};

static int write_out(const char *out, size_t len)
{
	int r = fwrite(out, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : -EIO;

	if (r < 0)
		log_error("cannot write to stdout: %s", strerror(errno));
	return r;
}

static const char *const frame_kinds[] = {
	[FRAME_SEGMENT] = "segment", [FRAME_KEY] = "keyframe", [FRAME_DELTA] = "delta",
	[FRAME_EVENTS] = "events",
};

struct list_totals {
	uint64_t frames, cycles, bad_cycles, events, bad;
};

static int list_frame(void *ctx, const struct replay_frame_info *f)
{
	struct list_totals *t = ctx;
	const char *kind = f->e.type < ARRAY_SIZE(frame_kinds) &&
			   frame_kinds[f->e.type] ? frame_kinds[f->e.type] : "unknown";
	char ts[64];

	format_time_utc(f->e.time_ms, ts, sizeof(ts));
	t->frames++;
	if (frame_is_cycle(f->e.type)) {
		t->cycles++;
		t->bad_cycles += !f->ok;
		if (f->ok)
			printf("%s %-8s seq=%" PRIu64 " cycle=%" PRIu64 " cgroups=%zu bytes=%u seg=%u\n",
			       ts, kind, f->e.seq, f->cycle, f->cgroups, f->e.len, f->slot);
		else
			printf("%s %-8s seq=%" PRIu64 " unreadable bytes=%u seg=%u\n", ts, kind,
			       f->e.seq, f->e.len, f->slot);
	} else {
		t->events += f->events;
		t->bad += !f->ok;
		printf("%s %-8s events=%zu bytes=%u seg=%u%s\n", ts, kind, f->events, f->e.len,
		       f->slot, f->ok ? "" : " unreadable");
	}
	return ferror(stdout) ? -EIO : 0;
}

static int dump_list(struct replay *rp)
{
	struct list_totals t = { 0 };
	uint64_t damaged = 0;
	int r = replay_each_frame(rp, list_frame, &t, &damaged);

	if (r < 0) {
		log_error("cannot read the recording: %s", strerror(-r));
		return 1;
	}
	printf("%" PRIu64 " frames: %" PRIu64 " cycles (%" PRIu64 " unreadable), %" PRIu64
	       " events (%" PRIu64 " frames unreadable), %" PRIu64 " bytes damaged\n",
	       t.frames, t.cycles, t.bad_cycles, t.events, t.bad, damaged);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int dump_replay(const struct dump_flags *fl)
{
	struct replay_cycle c = { 0 };
	struct strbuf page = { 0 };
	struct replay *rp;
	char want[64], got[64], span[160];
	int r, rc = 1;

	if (fl->cgroup_root || fl->compat_set) {
		log_error("--replay prints the page as it was served: --cgroup-root and --compat "
			  "do not apply (the recording has the agent's own)");
		return 2;
	}
	if (replay_cmd_open("dump", fl->replay, &rp) < 0)
		return 1;
	if (fl->list) {
		rc = dump_list(rp);
		replay_close(rp);
		return rc;
	}
	format_time_local(fl->at_ms, 1, 1, want, sizeof(want));
	r = replay_at(rp, fl->at_ms, &c);
	if (r == 0 && c.meta.interval_ms &&
	    fl->at_ms - c.time_ms > 3 * (int64_t)c.meta.interval_ms) {
		format_time_local(c.time_ms, 1, 1, got, sizeof(got));
		replay_cmd_span(rp, span, sizeof(span));
		log_error("nothing recorded near %s: the last cycle before it is at %s, more than "
			  "three intervals (%" PRIu64 " ms each) earlier; %s holds %s", want, got,
			  c.meta.interval_ms, fl->replay, span);
		goto out;
	}
	if (r < 0) {
		replay_cmd_span(rp, span, sizeof(span));
		if (r == -ENOENT)
			log_error("nothing recorded at or before %s: %s holds %s", want, fl->replay, span);
		else
			log_error("cannot read %s: %s", fl->replay, strerror(-r));
		goto out;
	}
	replay_cmd_note_version(&c);
	if (fl->format == DUMP_JSON) {
		r = json_snapshot(c.s, NULL, &page);
		sb_putc(&page, '\n');
	} else {
		r = replay_cmd_render(&c, &page);
	}
	if (r >= 0)
		r = sb_error(&page);
	if (r < 0) {
		log_error("cannot render the page: %s", strerror(-r));
		goto out;
	}
	rc = write_out(page.buf, page.len) < 0 ? 1 : 0;
out:
	sb_free(&page);
	replay_cycle_free(&c);
	replay_close(rp);
	return rc;
}

/* The page as kept (compressed), inflated a chunk at a time. 0, -EIO when
 * stdout failed (errno says why), or the page's error. */
static int write_page(const struct zpage *page)
{
	static char buf[PAGE_CHUNK];
	struct page_reader rd;
	ssize_t n;
	int r = page_reader_open(&rd, page, PAGE_ALL);

	if (r < 0)
		return r;
	while ((n = page_reader_read(&rd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			break;
	page_reader_close(&rd);
	if (n < 0)
		return (int)n;
	return n == 0 && fflush(stdout) == 0 ? 0 : -EIO;
}

/* The agent checks the iterator in three rounds at start; a dump, which
 * reads once, in one. */
#define DUMP_CHECK_ROUNDS 1

static void json_value(struct json_writer *w, uint64_t v)
{
	if (v == CG_UNSET)
		jw_null(w);
	else
		jw_u64(w, v);
}

/* --check-sources: the check the agent makes at start, as JSON. */
static int check_sources(const char *root)
{
	struct strbuf sb = {0};
	struct json_writer w = json_writer_on(&sb);
	struct source_setup src;
	struct cgroup_iter_stats st;
	const struct source_check *k = &src.check;
	int r;

	/* No collector: the check makes its own, reading files only. */
	r = collect_source_start_psi(SOURCE_BPF, root, CG_FILES_ALL, 0, NULL, &src);
	if (r < 0)
		return 1;
	r = source_check_run(root, src.iter, src.groups, 1, &src.check);
	if (r < 0) {
		log_error("cannot check the cgroup iterator: %s", strerror(-r));
		collect_source_stop(&src);
		return 1;
	}
	cgroup_iter_stats(src.iter, &st);
	jw_object(&w);
	jw_key(&w, "kernel_cover");
	jw_u64(&w, st.cover);
	jw_key(&w, "flush");
	jw_string(&w, st.flush);
	jw_key(&w, "cgroups");
	jw_u64(&w, k->cgroups);
	jw_key(&w, "values");
	jw_u64(&w, k->values);
	jw_key(&w, "groups");
	jw_object(&w);
	for (int g = 0; g < IG_NR; g++) {
		if (!((k->groups >> g) & 1))
			continue;
		jw_key(&w, iter_groups[g].name);
		jw_object(&w);
		jw_key(&w, "mismatches");
		jw_u64(&w, k->mismatches[g]);
		if (k->mismatches[g]) {
			const struct source_mismatch *m = &k->first[g];

			jw_key(&w, "example");
			jw_object(&w);
			jw_key(&w, "cgroup");
			jw_string(&w, m->path);
			jw_key(&w, "file");
			jw_string(&w, cg_files[m->file].name);
			jw_key(&w, "key");
			jw_string(&w, m->key);
			jw_key(&w, "file_before");
			json_value(&w, m->a);
			jw_key(&w, "iterator");
			json_value(&w, m->b);
			jw_key(&w, "file_after");
			json_value(&w, m->c);
			jw_object_end(&w);
		}
		jw_object_end(&w);
	}
	jw_object_end(&w);
	jw_key(&w, "psi");
	jw_object(&w);
	jw_key(&w, "values");
	jw_u64(&w, k->psi_values);
	jw_key(&w, "behind_earlier_read");
	jw_u64(&w, k->psi_behind);
	jw_key(&w, "lag_before_usec_min");
	jw_double(&w, (double)k->psi_lag_before_min);
	jw_key(&w, "lag_before_usec_max");
	jw_double(&w, (double)k->psi_lag_before_max);
	jw_key(&w, "lag_after_usec_max");
	jw_double(&w, (double)k->psi_lag_after_max);
	jw_object_end(&w);
	jw_object_end(&w);
	sb_putc(&sb, '\n');
	r = sb_error(&sb);
	if (r == 0 && (fwrite(sb.buf, 1, sb.len, stdout) != sb.len || fflush(stdout) != 0))
		r = -EIO;
	sb_free(&sb);
	collect_source_stop(&src);
	if (r < 0) {
		log_error("cannot write to stdout: %s", strerror(-r));
		return 1;
	}
	return k->bad ? 1 : 0;
}

int cmd_dump(int argc, char **argv)
{
	struct dump_flags fl = {0};
	struct source_setup source = {0};
	struct cycle_opts o = {0};
	struct strbuf json = {0};
	char root[PATH_MAX];
	struct collector *c;
	struct snapshot *s;
	int r;

	r = flags_parse(&dump_cmd, argc, argv, &fl);
	if (r != 0)
		return r > 0 ? 0 : 2;
	if (fl.replay)
		return dump_replay(&fl);
	if (fl.at_set || fl.list) {
		log_error("--at and --list read a recording: they go with --replay DIR");
		return 2;
	}
	if (resolve_cgroup_root(fl.cgroup_root, root, sizeof(root)) < 0)
		return 1;
	if (fl.check_sources)
		return check_sources(root);
	r = collector_new(root, &c);
	if (r < 0) {
		log_error("cannot open cgroup root %s: %s", root, strerror(-r));
		return 1;
	}
	if (collect_source_start(fl.source, root, CG_FILES_ALL, DUMP_CHECK_ROUNDS, c,
				 &source) < 0) {
		collector_free(c);
		return 1;
	}
	cgroup_filter_init(&o.filter);
	o.compat = fl.compat;
	r = cycle_run_opts(c, &o, &s, NULL);
	if (r < 0) {
		log_error("cannot read %s: %s", root, strerror(-r));
		collector_free(c);
		collect_source_stop(&source);
		return 1;
	}
	if (fl.format == DUMP_PROM) {
		r = write_page(&s->page);
		if (r == -EIO)
			log_error("cannot write to stdout: %s", strerror(errno));
		else if (r < 0)
			log_error("cannot read the page: %s", strerror(-r));
		goto out;
	}
	r = json_snapshot(s, NULL, &json);
	if (r >= 0) {
		sb_putc(&json, '\n');
		r = sb_error(&json);
	}
	if (r < 0) {
		log_error("cannot write JSON: %s", strerror(-r));
		goto out;
	}
	r = write_out(json.buf, json.len);
out:
	sb_free(&json);
	snapshot_unref(s);
	collector_free(c);
	collect_source_stop(&source);
	return r < 0 ? 1 : 0;
}
