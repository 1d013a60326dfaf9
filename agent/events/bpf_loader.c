// SPDX-License-Identifier: GPL-2.0-only
/* The BPF loader. Each feature is loaded as its own instance of the one
 * skeleton (its own bpf_object, only its programs autoloaded), sharing the
 * maps of a first, program-less instance: a variant that the kernel refuses,
 * at load or at attach, is thrown away with its object and the next variant
 * is tried, without touching the features already running. bpf_probe.c rules
 * out, cheaply, the variants that cannot work, so a refused kind of hook
 * usually costs no real load at all. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "events/bpf_loader.h"
#include "events/bpf_probe.h"
#include "cgscope_events.skel.h"

#define MAX_PROGS 6

struct variant {
	enum hook_kind kind;
	const char *progs[MAX_PROGS];	/* function names in the .bpf.c */
	uint32_t optional;		/* bit i: progs[i] may be missing */
};

struct feature {
	const char *name;
	uint32_t types;			/* the event types it produces */
	enum hook_kind fallback;	/* what is left when no variant works */
	struct variant variants[3];
};

static const struct feature features[] = {
	{ "migration", CGSCOPE_EV_MASK(CGSCOPE_EV_MIGRATION), HOOK_NONE, {
		/* the fork hook only makes sources known: optional */
		{ HOOK_TP_BTF, { "tpbtf_cgroup_attach_task", "tpbtf_sched_process_fork" }, 2 },
		{ HOOK_RAW_TP, { "rawtp_cgroup_attach_task", "rawtp_sched_process_fork" }, 2 },
		{ HOOK_TRACEPOINT, { "tp_cgroup_attach_task", "tp_sched_process_fork" }, 2 },
	} },
	{ "lifecycle", CGSCOPE_EV_MASK(CGSCOPE_EV_MKDIR) | CGSCOPE_EV_MASK(CGSCOPE_EV_RMDIR) |
		       CGSCOPE_EV_MASK(CGSCOPE_EV_RELEASE) | CGSCOPE_EV_MASK(CGSCOPE_EV_RENAME),
	  HOOK_NONE, {
		/* cgroup2 refuses rename(2) today: rename is optional */
		{ HOOK_TP_BTF, { "tpbtf_cgroup_mkdir", "tpbtf_cgroup_rmdir",
				 "tpbtf_cgroup_release", "tpbtf_cgroup_rename" }, 8 },
		{ HOOK_RAW_TP, { "rawtp_cgroup_mkdir", "rawtp_cgroup_rmdir",
				 "rawtp_cgroup_release", "rawtp_cgroup_rename" }, 8 },
		{ HOOK_TRACEPOINT, { "tp_cgroup_mkdir", "tp_cgroup_rmdir",
				     "tp_cgroup_release", "tp_cgroup_rename" }, 8 },
	} },
	{ "freeze", CGSCOPE_EV_MASK(CGSCOPE_EV_FREEZE) | CGSCOPE_EV_MASK(CGSCOPE_EV_UNFREEZE) |
		    CGSCOPE_EV_MASK(CGSCOPE_EV_FROZEN) | CGSCOPE_EV_MASK(CGSCOPE_EV_POPULATED),
	  HOOK_NONE, {
		{ HOOK_TP_BTF, { "tpbtf_cgroup_freeze", "tpbtf_cgroup_unfreeze",
				 "tpbtf_cgroup_notify_frozen", "tpbtf_cgroup_notify_populated" }, 0 },
		{ HOOK_RAW_TP, { "rawtp_cgroup_freeze", "rawtp_cgroup_unfreeze",
				 "rawtp_cgroup_notify_frozen", "rawtp_cgroup_notify_populated" }, 0 },
		{ HOOK_TRACEPOINT, { "tp_cgroup_freeze", "tp_cgroup_unfreeze",
				     "tp_cgroup_notify_frozen", "tp_cgroup_notify_populated" }, 0 },
	} },
	{ "oom", CGSCOPE_EV_MASK(CGSCOPE_EV_OOM_KILL), HOOK_NONE, {
		{ HOOK_TP_BTF, { "tpbtf_mark_victim" }, 0 },
		{ HOOK_RAW_TP, { "rawtp_mark_victim" }, 0 },
		{ HOOK_TRACEPOINT, { "tp_mark_victim" }, 0 },
	} },
	/* adds to the oom feature's records: after it, and only with it */
	{ "oom_domain", CGSCOPE_EV_MASK(CGSCOPE_EV_OOM_KILL), HOOK_NONE, {
		{ HOOK_FENTRY, { "fentry_oom_kill_process", "fexit_oom_kill_process" }, 0 },
		{ HOOK_KPROBE, { "kprobe_oom_kill_process", "kretprobe_oom_kill_process" }, 0 },
	} },
	{ "throttle", CGSCOPE_EV_MASK(CGSCOPE_EV_THROTTLE) | CGSCOPE_EV_MASK(CGSCOPE_EV_UNTHROTTLE),
	  HOOK_POLL, {
		/* throttling alone still counts; its end gives durations */
		{ HOOK_FENTRY, { "fexit_throttle_cfs_rq", "fentry_unthrottle_cfs_rq" }, 2 },
		{ HOOK_KPROBE, { "kprobe_throttle_cfs_rq", "kretprobe_throttle_cfs_rq",
				 "kprobe_unthrottle_cfs_rq" }, 4 },
	} },
};

#define N_FEATURES (sizeof(features) / sizeof(features[0]))

struct unit {
	const struct feature *feature;
	struct cgscope_events *skel;
	struct bpf_program *progs[MAX_PROGS];
	struct bpf_link *links[MAX_PROGS];
};

struct bpf_loader {
	struct cgscope_events *maps;	/* owns the maps every unit shares */
	struct unit units[N_FEATURES];
	size_t n_units;
	struct bpf_hook hooks[N_FEATURES];
	char details[N_FEATURES][192];
	struct ring_buffer *rb;
	size_t ringbuf_bytes;
	const uint64_t *lost;	/* the lost map, mmapped: readable without bpf() */
	size_t lost_len;
	int stats_fd;
	bool mark_victim_task;
	uint32_t type_mask;
	/* the callback of the poll in progress */
	void (*fn)(const struct cgscope_event *ev, void *ctx);
	void *fn_ctx;
	int handled;
};

static size_t round_ringbuf(size_t bytes)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = page;

	if (bytes == 0)
		bytes = BPF_LOADER_RINGBUF_DEFAULT;
	if (bytes > (1u << 30))
		bytes = 1u << 30;
	while (n < bytes)
		n <<= 1;
	return n;
}

static unsigned page_shift(void)
{
	unsigned s = 0;
	long page = sysconf(_SC_PAGESIZE);

	while ((1L << s) < page)
		s++;
	return s;
}

static void set_rodata(struct bpf_loader *l, struct cgscope_events *skel)
{
	skel->rodata->type_mask = l->type_mask;
	skel->rodata->mark_victim_has_task = l->mark_victim_task;
	skel->rodata->page_shift = page_shift();
}

/* Points every map of skel at the shared instance's. */
static int share_maps(struct bpf_loader *l, struct cgscope_events *skel)
{
	struct bpf_map *m;
	int r;

	bpf_object__for_each_map(m, skel->obj) {
		struct bpf_map *shared;

		if (bpf_map__is_internal(m))
			continue;	/* .rodata/.bss: each instance its own */
		shared = bpf_object__find_map_by_name(l->maps->obj, bpf_map__name(m));
		if (!shared)
			return -ENOENT;
		r = bpf_map__reuse_fd(m, bpf_map__fd(shared));
		if (r < 0)
			return r;
	}
	return 0;
}

static void unit_destroy(struct unit *u)
{
	for (int i = 0; i < MAX_PROGS; i++) {
		bpf_link__destroy(u->links[i]);
		u->links[i] = NULL;
		u->progs[i] = NULL;
	}
	cgscope_events__destroy(u->skel);
	u->skel = NULL;
}

/* Appends "KIND: WHAT" to a feature's detail. WHAT ending in a space is a
 * prefix ("load: ") for the error's text; otherwise it says it all. */
static void note(char *buf, size_t size, enum hook_kind kind, const char *what, int err)
{
	size_t n = strlen(buf), w = what ? strlen(what) : 0;
	bool prefix = w == 0 || what[w - 1] == ' ';

	if (n + 2 >= size)
		return;
	snprintf(buf + n, size - n, "%s%s: %s%s", n ? "; " : "", hook_kind_name(kind),
		 what ? what : "", prefix && err ? strerror(-err) : "");
}

/* Opens, loads and attaches one variant into u. 0, or -errno with u empty
 * and *what saying what failed (see note()). */
static int try_variant(struct bpf_loader *l, struct bpf_probe *probe, const struct variant *v,
		       struct unit *u, const char **what)
{
	struct bpf_program *prog;
	int r, n = 0;

	*what = NULL;
	u->skel = cgscope_events__open();
	if (!u->skel)
		return errno ? -errno : -ENOMEM;
	bpf_object__for_each_program(prog, u->skel->obj)
		bpf_program__set_autoload(prog, false);
	for (int i = 0; i < MAX_PROGS && v->progs[i]; i++) {
		prog = bpf_object__find_program_by_name(u->skel->obj, v->progs[i]);
		if (!prog) {
			r = -ENOENT;
			goto fail;
		}
		r = bpf_probe_section(probe, bpf_program__section_name(prog));
		if (r < 0) {
			if (v->optional & (1u << i))
				continue;
			*what = bpf_probe_reason(probe);
			goto fail;
		}
		bpf_program__set_autoload(prog, true);
		u->progs[i] = prog;
		n++;
	}
	if (n == 0) {
		r = -ENOENT;
		goto fail;
	}
	set_rodata(l, u->skel);
	r = share_maps(l, u->skel);
	if (r < 0)
		goto fail;
	r = cgscope_events__load(u->skel);
	if (r < 0) {
		*what = "load: ";
		goto fail;
	}
	for (int i = 0; i < MAX_PROGS; i++) {
		if (!u->progs[i])
			continue;
		u->links[i] = bpf_program__attach(u->progs[i]);
		if (!u->links[i]) {
			r = errno ? -errno : -EINVAL;
			if (v->optional & (1u << i)) {
				u->progs[i] = NULL;
				continue;
			}
			*what = "attach: ";
			goto fail;
		}
	}
	return 0;
fail:
	unit_destroy(u);
	return r;
}

/* Runs the task iterator once, so that migrations of processes that existed
 * before the load know their source too. Best effort: without it those
 * migrations only lack a source. */
static void seed_proc_cgroup(struct bpf_loader *l, struct bpf_probe *probe)
{
	struct cgscope_events *skel = cgscope_events__open();
	struct bpf_program *prog;
	struct bpf_link *link = NULL;
	char buf[256];
	int fd;

	if (!skel)
		return;
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, false);
	prog = skel->progs.seed_proc_cgroup;
	if (bpf_probe_section(probe, bpf_program__section_name(prog)) < 0)
		goto out;
	bpf_program__set_autoload(prog, true);
	set_rodata(l, skel);
	if (share_maps(l, skel) < 0 || cgscope_events__load(skel) < 0)
		goto out;
	link = bpf_program__attach_iter(prog, NULL);
	if (!link)
		goto out;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0)
		goto out;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
out:
	bpf_link__destroy(link);
	cgscope_events__destroy(skel);
}

/* Asks the probe about every program's section once, then lets it release
 * the kernel's BTF before anything is loaded (libbpf reads its own). */
static int probe_all_sections(struct bpf_probe *probe)
{
	struct cgscope_events *skel = cgscope_events__open();
	struct bpf_program *prog;

	if (!skel)
		return errno ? -errno : -ENOMEM;
	bpf_object__for_each_program(prog, skel->obj)
		bpf_probe_section(probe, bpf_program__section_name(prog));
	cgscope_events__destroy(skel);
	bpf_probe_release_btf(probe);
	return 0;
}

static int open_maps(struct bpf_loader *l, const struct bpf_loader_opts *o)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct bpf_program *prog;
	void *p;
	int r;

	l->maps = cgscope_events__open();
	if (!l->maps)
		return errno ? -errno : -ENOMEM;
	bpf_object__for_each_program(prog, l->maps->obj)
		bpf_program__set_autoload(prog, false);
	set_rodata(l, l->maps);
	r = bpf_map__set_max_entries(l->maps->maps.events, l->ringbuf_bytes);
	if (r == 0 && o->proc_map_entries)
		r = bpf_map__set_max_entries(l->maps->maps.proc_cgroup, o->proc_map_entries);
	if (r == 0)
		r = cgscope_events__load(l->maps);
	if (r < 0)
		return r;
	l->lost_len = (CGSCOPE_EV_TYPES * sizeof(uint64_t) + page - 1) / page * page;
	p = mmap(NULL, l->lost_len, PROT_READ, MAP_SHARED, bpf_map__fd(l->maps->maps.lost), 0);
	if (p == MAP_FAILED)
		return -errno;
	l->lost = p;
	return 0;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct bpf_loader *l = ctx;

	if (size < sizeof(struct cgscope_event))
		return 0;	/* not ours: a record of another layout */
	l->fn(data, l->fn_ctx);
	l->handled++;
	return 0;
}

int bpf_loader_open(const struct bpf_loader_opts *opts, struct bpf_loader **ret)
{
	static const struct bpf_loader_opts defaults;
	const struct bpf_loader_opts *o = opts ? opts : &defaults;
	struct bpf_probe *probe = NULL;
	struct bpf_loader *l;
	int r;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->stats_fd = -1;
	l->ringbuf_bytes = round_ringbuf(o->ringbuf_bytes);
	l->type_mask = o->type_mask ? o->type_mask : CGSCOPE_EV_MASK_ALL;

	r = bpf_probe_new(&probe);
	if (r < 0)
		goto fail;
	l->mark_victim_task = bpf_probe_mark_victim_has_task(probe);
	r = probe_all_sections(probe);
	if (r < 0)
		goto fail;
	/* Run-time statistics are kept while this fd is open (from before the
	 * first attach, so that they count every run); an old kernel without
	 * BPF_ENABLE_STATS just reports zeros. */
	l->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	r = open_maps(l, o);
	if (r < 0)
		goto fail;

	for (size_t f = 0; f < N_FEATURES; f++) {
		const struct feature *feat = &features[f];
		struct bpf_hook *h = &l->hooks[f];
		struct unit *u = &l->units[l->n_units];

		h->feature = feat->name;
		h->hook = hook_kind_name(feat->fallback);
		h->detail = l->details[f];
		if (!(feat->types & l->type_mask)) {
			snprintf(l->details[f], sizeof(l->details[f]), "not requested");
			h->hook = "none";
			continue;
		}
		if (!strcmp(feat->name, "oom_domain") && f > 0 && !strcmp(l->hooks[f - 1].hook, "none")) {
			snprintf(l->details[f], sizeof(l->details[f]), "no oom hook to add to");
			continue;
		}
		for (size_t v = 0; v < 3 && feat->variants[v].kind != HOOK_NONE; v++) {
			const struct variant *var = &feat->variants[v];
			const char *what;

			if (o->deny_hooks & (1u << var->kind)) {
				note(l->details[f], sizeof(l->details[f]), var->kind,
				     "denied by option", 0);
				continue;
			}
			r = try_variant(l, probe, var, u, &what);
			if (r == 0) {
				u->feature = feat;
				l->n_units++;
				h->hook = hook_kind_name(var->kind);
				break;
			}
			note(l->details[f], sizeof(l->details[f]), var->kind, what, r);
		}
		if (u->feature && !strcmp(feat->name, "migration"))
			seed_proc_cgroup(l, probe);
	}

	l->rb = ring_buffer__new(bpf_map__fd(l->maps->maps.events), on_sample, l, NULL);
	if (!l->rb) {
		r = errno ? -errno : -ENOMEM;
		goto fail;
	}
	bpf_probe_free(probe);
	*ret = l;
	return 0;
fail:
	bpf_probe_free(probe);
	bpf_loader_close(l);
	return r;
}

int bpf_loader_poll(struct bpf_loader *l, int timeout_ms,
		    void (*fn)(const struct cgscope_event *ev, void *ctx), void *ctx)
{
	int r;

	l->fn = fn;
	l->fn_ctx = ctx;
	l->handled = 0;
	r = ring_buffer__poll(l->rb, timeout_ms);
	return r < 0 ? r : l->handled;
}

int bpf_loader_epoll_fd(const struct bpf_loader *l)
{
	return ring_buffer__epoll_fd(l->rb);
}

void bpf_loader_lost_by_type(const struct bpf_loader *l, uint64_t *ret)
{
	for (int t = 0; t < CGSCOPE_EV_TYPES; t++)
		ret[t] = __atomic_load_n(&l->lost[t], __ATOMIC_RELAXED);
}

uint64_t bpf_loader_lost(const struct bpf_loader *l)
{
	uint64_t by_type[CGSCOPE_EV_TYPES], sum = 0;

	bpf_loader_lost_by_type(l, by_type);
	for (int t = 0; t < CGSCOPE_EV_TYPES; t++)
		sum += by_type[t];
	return sum;
}

size_t bpf_loader_hooks(const struct bpf_loader *l, const struct bpf_hook **ret)
{
	*ret = l->hooks;
	return N_FEATURES;
}

size_t bpf_loader_ringbuf_bytes(const struct bpf_loader *l)
{
	return l->ringbuf_bytes;
}

/* The kernel's statistics of a program from /proc/self/fdinfo, which,
 * unlike BPF_OBJ_GET_INFO_BY_FD, still answers after the agent dropped its
 * privileges on kernels that refuse bpf() to unprivileged processes. */
static int prog_fdinfo(int fd, struct bpf_prog_stat *st)
{
	char path[64], line[128];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		found += sscanf(line, "run_time_ns: %" SCNu64, &st->run_time_ns) == 1;
		found += sscanf(line, "run_cnt: %" SCNu64, &st->run_cnt) == 1;
		sscanf(line, "recursion_misses: %" SCNu64, &st->recursion_misses);
	}
	fclose(f);
	return found == 2 ? 0 : -ENODATA;
}

static int prog_info(int fd, struct bpf_prog_stat *st)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int r;

	memset(&info, 0, sizeof(info));
	r = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (r < 0)
		return r;
	st->run_time_ns = info.run_time_ns;
	st->run_cnt = info.run_cnt;
	st->recursion_misses = info.recursion_misses;
	return 0;
}

int bpf_loader_prog_stats(const struct bpf_loader *l, struct bpf_prog_stat *ret, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n_units; i++) {
		const struct unit *u = &l->units[i];

		for (int p = 0; p < MAX_PROGS && n < max; p++) {
			struct bpf_prog_stat *st = &ret[n];
			int fd, r;

			if (!u->links[p])
				continue;
			memset(st, 0, sizeof(*st));
			fd = bpf_program__fd(u->progs[p]);
			r = prog_fdinfo(fd, st);
			if (r < 0)
				r = prog_info(fd, st);
			if (r < 0)
				return r;
			snprintf(st->name, sizeof(st->name), "%s", bpf_program__name(u->progs[p]));
			st->feature = u->feature->name;
			n++;
		}
	}
	return (int)n;
}

void bpf_loader_close(struct bpf_loader *l)
{
	if (!l)
		return;
	ring_buffer__free(l->rb);
	if (l->lost)
		munmap((void *)l->lost, l->lost_len);
	for (size_t i = 0; i < l->n_units; i++)
		unit_destroy(&l->units[i]);
	cgscope_events__destroy(l->maps);
	if (l->stats_fd >= 0)
		close(l->stats_fd);
	free(l);
}
