// SPDX-License-Identifier: GPL-2.0-only
/* The BPF loader. Each feature is loaded as its own instance of the one
 * skeleton (its own bpf_object, only its programs autoloaded), sharing the
 * maps of a first, program-less instance: a variant that the kernel refuses,
 * at load or at attach, is thrown away with its object and the next variant
 * is tried, without touching the features already running. bpf_probe.c rules
 * out, cheaply, the variants that cannot work, so a refused kind of hook
 * usually costs no real load at all. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "events/bpf_loader.h"
#include "events/bpf_probe.h"
#include "events/cgroup_counters.h"
#include "events/cgroup_names.h"
#include "events/event_decode.h"
#include "events/hook.h"
#include "events/prog_stats.h"
#include "kernel/kernel_btf.h"
#include "lib/clock.h"
#include "lib/macros.h"
#include "lib/privileges.h"
#include "cgscope_events.skel.h"

#define MAX_PROGS 6
#define MAX_VARIANTS 5

struct prog_ref {
	const char *name;		/* the function's name in the .bpf.c */
	bool optional;			/* the feature works without it */
	uint32_t only_for;		/* loaded only when one of these types is
					   wanted (its records are all it makes); 0:
					   whenever the feature is */
};

struct variant {
	enum cgscope_hook hook;		/* CGSCOPE_HOOK_NONE ends the list */
	/* Keeps proc_cgroup from forks: used only with the base feature's
	 * own kind of hook (both keep addresses, or both ids), and the task
	 * iterator seeds the table once it is attached. */
	bool by_fork;
	struct prog_ref progs[MAX_PROGS];
};

struct feature {
	const char *name;
	uint32_t types;			/* the event types it produces */
	bool network;			/* asked for by opts.network, not by types */
	enum cgscope_hook fallback;	/* what is left when no variant works */
	bool adds_to_base;		/* loaded only when base is hooked */
	enum bpf_feature base;
	struct variant variants[MAX_VARIANTS];
};

#define T(t) CGSCOPE_EV_MASK(CGSCOPE_EV_##t)
#define REQ(p) { p, false, 0 }
#define OPT(p) { p, true, 0 }
/* Required when its types are wanted, not loaded (so never run) otherwise. */
#define FOR(p, types) { p, false, types }

/* Indexed by enum bpf_feature, which is also the order of loading. */
static const struct feature features[BPF_FEATURES] = {
	[BPF_FEATURE_MIGRATION] = {
		.name = "migration",
		.types = T(MIGRATION),
		.fallback = CGSCOPE_HOOK_NONE,
		.variants = {
			{ CGSCOPE_HOOK_TP_BTF, false, { REQ("tpbtf_cgroup_attach_task") } },
			{ CGSCOPE_HOOK_RAW_TP, false, { REQ("rawtp_cgroup_attach_task") } },
			{ CGSCOPE_HOOK_TRACEPOINT, false, { REQ("tp_cgroup_attach_task") } },
		},
	},
	[BPF_FEATURE_MIGRATION_SOURCE] = {
		/* Where a moved process came from (migrations out): the attach
		 * tracepoint fires after the move. Best seen at the entry of
		 * cgroup_attach_task(); else kept for every process from its
		 * fork on, a store per fork. */
		.name = "migration_src",
		.types = T(MIGRATION),
		.fallback = CGSCOPE_HOOK_NONE,
		.adds_to_base = true,
		.base = BPF_FEATURE_MIGRATION,
		.variants = {
			{ CGSCOPE_HOOK_FENTRY, false, { REQ("fentry_cgroup_attach_task") } },
			{ CGSCOPE_HOOK_KPROBE, false, { REQ("kprobe_cgroup_attach_task") } },
			{ CGSCOPE_HOOK_TP_BTF, true, { REQ("tpbtf_sched_process_fork") } },
			{ CGSCOPE_HOOK_RAW_TP, true, { REQ("rawtp_sched_process_fork") } },
			{ CGSCOPE_HOOK_TRACEPOINT, true, { REQ("tp_sched_process_fork") } },
		},
	},
	[BPF_FEATURE_LIFECYCLE] = {
		.name = "lifecycle",
		.types = T(MKDIR) | T(RMDIR) | T(RELEASE) | T(RENAME),
		.fallback = CGSCOPE_HOOK_NONE,
		/* cgroup2 refuses rename(2) today */
		.variants = {
			{ CGSCOPE_HOOK_TP_BTF, false, { REQ("tpbtf_cgroup_mkdir"), REQ("tpbtf_cgroup_rmdir"),
							REQ("tpbtf_cgroup_release"),
							OPT("tpbtf_cgroup_rename") } },
			{ CGSCOPE_HOOK_RAW_TP, false, { REQ("rawtp_cgroup_mkdir"), REQ("rawtp_cgroup_rmdir"),
							REQ("rawtp_cgroup_release"),
							OPT("rawtp_cgroup_rename") } },
			{ CGSCOPE_HOOK_TRACEPOINT, false, { REQ("tp_cgroup_mkdir"), REQ("tp_cgroup_rmdir"),
							    REQ("tp_cgroup_release"),
							    OPT("tp_cgroup_rename") } },
		},
	},
	[BPF_FEATURE_FREEZE] = {
		.name = "freeze",
		.types = T(FREEZE) | T(UNFREEZE) | T(FROZEN) | T(POPULATED),
		.fallback = CGSCOPE_HOOK_NONE,
		.variants = {
			{ CGSCOPE_HOOK_TP_BTF, false, { REQ("tpbtf_cgroup_freeze"), REQ("tpbtf_cgroup_unfreeze"),
							REQ("tpbtf_cgroup_notify_frozen"),
							FOR("tpbtf_cgroup_notify_populated", T(POPULATED)) } },
			{ CGSCOPE_HOOK_RAW_TP, false, { REQ("rawtp_cgroup_freeze"), REQ("rawtp_cgroup_unfreeze"),
							REQ("rawtp_cgroup_notify_frozen"),
							FOR("rawtp_cgroup_notify_populated", T(POPULATED)) } },
			{ CGSCOPE_HOOK_TRACEPOINT, false, { REQ("tp_cgroup_freeze"), REQ("tp_cgroup_unfreeze"),
							    REQ("tp_cgroup_notify_frozen"),
							    FOR("tp_cgroup_notify_populated", T(POPULATED)) } },
		},
	},
	[BPF_FEATURE_OOM] = {
		.name = "oom",
		.types = T(OOM_KILL),
		.fallback = CGSCOPE_HOOK_NONE,
		.variants = {
			{ CGSCOPE_HOOK_TP_BTF, false, { REQ("tpbtf_mark_victim") } },
			{ CGSCOPE_HOOK_RAW_TP, false, { REQ("rawtp_mark_victim") } },
			{ CGSCOPE_HOOK_TRACEPOINT, false, { REQ("tp_mark_victim") } },
		},
	},
	[BPF_FEATURE_OOM_DOMAIN] = {
		.name = "oom_domain",
		.types = T(OOM_KILL),
		.fallback = CGSCOPE_HOOK_NONE,
		/* adds to the oom feature's records */
		.adds_to_base = true,
		.base = BPF_FEATURE_OOM,
		.variants = {
			{ CGSCOPE_HOOK_FENTRY, false, { REQ("fentry_oom_kill_process"),
							REQ("fexit_oom_kill_process") } },
			{ CGSCOPE_HOOK_KPROBE, false, { REQ("kprobe_oom_kill_process"),
							REQ("kretprobe_oom_kill_process") } },
		},
	},
	[BPF_FEATURE_THROTTLE] = {
		.name = "throttle",
		.types = T(THROTTLE) | T(UNTHROTTLE),
		.fallback = CGSCOPE_HOOK_POLL,
		/* throttling alone still counts; its end gives durations */
		.variants = {
			{ CGSCOPE_HOOK_FENTRY, false, { REQ("fexit_throttle_cfs_rq"),
							OPT("fentry_unthrottle_cfs_rq") } },
			{ CGSCOPE_HOOK_KPROBE, false, { REQ("kprobe_throttle_cfs_rq"),
							REQ("kretprobe_throttle_cfs_rq"),
							OPT("kprobe_unthrottle_cfs_rq") } },
		},
	},
	[BPF_FEATURE_NETWORK] = {
		.name = "network",
		.network = true,
		.fallback = CGSCOPE_HOOK_NONE,
		/* the release hook moves a freed cgroup's counts into its
		 * parent's and frees its slot */
		.adds_to_base = true,
		.base = BPF_FEATURE_LIFECYCLE,
		.variants = {
			{ CGSCOPE_HOOK_CGROUP_SKB, false, { REQ("cgskb_ingress"), REQ("cgskb_egress") } },
		},
	},
	[BPF_FEATURE_TCP_RETRANSMIT] = {
		.name = "tcp_retransmit",
		.network = true,
		.fallback = CGSCOPE_HOOK_NONE,
		/* counts in the slots the egress hook gave */
		.adds_to_base = true,
		.base = BPF_FEATURE_NETWORK,
		.variants = {
			{ CGSCOPE_HOOK_TP_BTF, false, { REQ("tpbtf_tcp_retransmit_skb") } },
			{ CGSCOPE_HOOK_RAW_TP, false, { REQ("rawtp_tcp_retransmit_skb") } },
		},
	},
};

#undef T
#undef REQ
#undef OPT
#undef FOR

const char *bpf_feature_name(enum bpf_feature f)
{
	return f < BPF_FEATURES ? features[f].name : "unknown";
}

const char *bpf_stage_name(enum bpf_stage s)
{
	static const char *const names[] = {
		[BPF_STAGE_NONE] = "", [BPF_STAGE_OPEN] = "open",
		[BPF_STAGE_LOAD] = "load", [BPF_STAGE_ATTACH] = "attach",
	};

	return s < ARRAY_SIZE(names) ? names[s] : "";
}

void bpf_hooks_without_bpf(int err, struct bpf_hook *ret)
{
	for (int f = 0; f < BPF_FEATURES; f++)
		ret[f] = (struct bpf_hook){
			.feature = (enum bpf_feature)f,
			.hook = features[f].fallback,
			.state = err ? BPF_FEATURE_FAILED : BPF_FEATURE_UNAVAILABLE,
			.err = err,
			.err_hook = CGSCOPE_HOOK_NONE,
			.err_stage = err ? BPF_STAGE_OPEN : BPF_STAGE_NONE,
			.detail = "",
		};
}

void bpf_hooks_summary(const struct bpf_hook *hooks, size_t n, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s=%s", i ? " " : "",
					bpf_feature_name(hooks[i].feature), hook_name(hooks[i].hook));
}

struct unit {
	const struct feature *feature;
	enum bpf_feature id;
	struct cgscope_events *skel;
	struct bpf_program *progs[MAX_PROGS];
	struct bpf_link *links[MAX_PROGS];
};

struct bpf_loader {
	struct cgscope_events *maps;	/* owns the maps every unit shares */
	struct unit units[BPF_FEATURES];
	size_t n_units;
	struct bpf_hook hooks[BPF_FEATURES];
	char details[BPF_FEATURES][192];
	struct ring_buffer *rb;
	size_t ringbuf_bytes;
	bool counting;
	bool proc_by_pid;		/* proc_cgroup_arr, not the LRU hash */
	uint32_t pid_max;
	struct cgc_cfg ev_cfg;
	struct cgroup_counters *counters;	/* the `ev` table; NULL when not counting */
	/* network: the watched cgroup, which the cgroup_skb programs are
	 * attached to, and the `net` table */
	bool network;
	int cgroup_err;			/* why the cgroup could not be opened */
	int cgroup_fd;
	uint64_t cgroup_id;
	bool retransmit_err;
	struct cgc_cfg net_cfg;
	struct cgroup_counters *net;
	struct cgroup_names *names;		/* NULL: cgroups without a path are left unnamed */
	struct cgscope_event decoded;
	uint64_t undecodable;
	const uint64_t *lost;	/* the lost map, mmapped: readable without bpf() */
	size_t lost_len;
	int stats_fd;
	bool stats_enabled;
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
	if (bytes > BPF_LOADER_RINGBUF_MAX)
		bytes = BPF_LOADER_RINGBUF_MAX;
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

/* Every instance of the skeleton is opened the same way: CO-RE against the
 * kernel's BTF file, no program loaded unless asked for. */
static struct cgscope_events *skel_open(void)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct cgscope_events *skel;
	struct bpf_program *prog;

	kernel_bpf_open_opts(&opts);
	skel = cgscope_events__open_opts(&opts);
	if (!skel)
		return NULL;
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, false);
	return skel;
}

/* The reader is woken once the ring is this full (or after WAKE_NS):
 * batches of records, not a wakeup each. Each CPU counts what it wrote
 * (no line shared with the reader), so each gets its share. */
#define WAKE_FRACTION 8
#define WAKE_NS 10000000ull

static uint64_t wake_bytes_per_cpu(uint64_t ring_bytes)
{
	int cpus = libbpf_num_possible_cpus();
	uint64_t b = ring_bytes / WAKE_FRACTION / (uint64_t)(cpus > 0 ? cpus : 1);

	return b ? b : 1;
}

static void set_rodata(struct bpf_loader *l, struct cgscope_events *skel)
{
	skel->rodata->type_mask = l->type_mask;
	skel->rodata->mark_victim_has_task = l->mark_victim_task;
	skel->rodata->page_shift = page_shift();
	skel->rodata->counting = l->counting;
	skel->rodata->ev_cfg = l->ev_cfg;
	skel->rodata->wake_bytes = wake_bytes_per_cpu(l->ringbuf_bytes);
	skel->rodata->wake_ns = WAKE_NS;
	skel->rodata->proc_by_pid = l->proc_by_pid;
	/* tp_btf and raw_tp keep addresses in proc_cgroup, the tracefs
	 * tracepoints ids (cgscope_events.bpf.c): the task iterator, loaded
	 * after the migration hook, writes what the hook reads. */
	skel->rodata->proc_holds_ptr = l->hooks[BPF_FEATURE_MIGRATION].hook != CGSCOPE_HOOK_TRACEPOINT;
	skel->rodata->net_cfg = l->net_cfg;
	skel->rodata->net_root_id = l->cgroup_id;
	skel->rodata->retransmit_has_err = l->retransmit_err;
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

/* Why a variant was not used. */
struct refusal {
	enum bpf_stage stage;	/* NONE: the probe ruled it out */
	const char *reason;	/* the probe's words, when the errno says too little */
};

/* Appends "HOOK: [STAGE: ]REASON" to a feature's detail. */
static void note(char *buf, size_t size, enum cgscope_hook hook, const struct refusal *why, int err)
{
	size_t n = strlen(buf);

	if (n + 2 >= size)
		return;
	snprintf(buf + n, size - n, "%s%s: %s%s%s", n ? "; " : "", hook_name(hook),
		 bpf_stage_name(why->stage), why->stage ? ": " : "",
		 why->reason ? why->reason : strerror(-err));
}

/* Opens, loads and attaches one variant into u. 0, or -errno with u empty
 * and *why saying what refused it. */
static int try_variant(struct bpf_loader *l, struct bpf_probe *probe, const struct variant *v,
		       struct unit *u, struct refusal *why)
{
	struct bpf_program *prog;
	int r, n = 0;

	*why = (struct refusal){ BPF_STAGE_LOAD, NULL };
	u->skel = skel_open();
	if (!u->skel)
		return errno ? -errno : -ENOMEM;
	for (int i = 0; i < MAX_PROGS && v->progs[i].name; i++) {
		/* A program whose every record is masked out would run for
		 * nothing: a populated flip, two per move of a cgroup's only
		 * process, would cost a run of an empty program. */
		if (v->progs[i].only_for && !(v->progs[i].only_for & l->type_mask))
			continue;
		prog = bpf_object__find_program_by_name(u->skel->obj, v->progs[i].name);
		if (!prog) {
			r = -ENOENT;
			goto fail;
		}
		r = bpf_probe_section(probe, bpf_program__section_name(prog));
		if (r < 0) {
			if (v->progs[i].optional)
				continue;
			*why = (struct refusal){ BPF_STAGE_NONE, bpf_probe_reason(probe) };
			goto fail;
		}
		bpf_program__set_autoload(prog, true);
		u->progs[i] = prog;
		n++;
	}
	if (n == 0) {
		*why = (struct refusal){ BPF_STAGE_NONE, NULL };
		r = -ENOENT;
		goto fail;
	}
	set_rodata(l, u->skel);
	r = share_maps(l, u->skel);
	if (r < 0)
		goto fail;
	r = cgscope_events__load(u->skel);
	if (r < 0)
		goto fail;
	for (int i = 0; i < MAX_PROGS; i++) {
		if (!u->progs[i])
			continue;
		/* cgroup_skb: a bpf_link on the watched cgroup (multi-attach
		 * semantics, other programs there stay), which goes when its
		 * descriptor closes, with the process. */
		if (v->hook == CGSCOPE_HOOK_CGROUP_SKB)
			u->links[i] = bpf_program__attach_cgroup(u->progs[i], l->cgroup_fd);
		else
			u->links[i] = bpf_program__attach(u->progs[i]);
		if (!u->links[i]) {
			r = errno ? -errno : -EINVAL;
			if (v->progs[i].optional) {
				u->progs[i] = NULL;
				continue;
			}
			why->stage = BPF_STAGE_ATTACH;
			/* The kernel checks CAP_NET_ADMIN when a cgroup_skb
			 * program is attached, not when it is loaded (an EPERM
			 * with it comes from elsewhere: a seccomp filter). */
			if (v->hook == CGSCOPE_HOOK_CGROUP_SKB && r == -EPERM &&
			    !privileges_have(CAP_NET_ADMIN))
				why->reason = "Operation not permitted (attaching to a cgroup needs "
					      "CAP_NET_ADMIN)";
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
	struct cgscope_events *skel = skel_open();
	struct bpf_program *prog;
	struct bpf_link *link = NULL;
	char buf[256];
	int fd;

	if (!skel)
		return;
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
	struct cgscope_events *skel = skel_open();
	struct bpf_program *prog;

	if (!skel)
		return errno ? -errno : -ENOMEM;
	bpf_object__for_each_program(prog, skel->obj)
		bpf_probe_section(probe, bpf_program__section_name(prog));
	cgscope_events__destroy(skel);
	bpf_probe_release_btf(probe);
	return 0;
}

/* The processes' cgroups go in an array indexed by pid up to this pid_max
 * (2 MiB); beyond, in the LRU hash. */
#define PROC_ARRAY_MAX_PIDS (1u << 18)

static uint32_t read_pid_max(void)
{
	unsigned long v = 0;
	FILE *f = fopen("/proc/sys/kernel/pid_max", "re");

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v > UINT32_MAX ? 0 : (uint32_t)v;
}

static int open_maps(struct bpf_loader *l, const struct bpf_loader_opts *o)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *p;
	int r;

	l->pid_max = read_pid_max();
	l->proc_by_pid = l->pid_max && l->pid_max <= PROC_ARRAY_MAX_PIDS && !o->proc_map_entries;
	l->maps = skel_open();
	if (!l->maps)
		return errno ? -errno : -ENOMEM;
	r = cgroup_counters_prepare(l->maps->obj, "ev", o->counter_slots, false, &l->ev_cfg);
	if (r < 0)
		return r;
	/* Without network, one slot: the maps exist in every instance. */
	r = cgroup_counters_prepare(l->maps->obj, "net", l->network ? o->net_slots : 1, true,
				    &l->net_cfg);
	if (r < 0)
		return r;
	set_rodata(l, l->maps);
	r = bpf_map__set_max_entries(l->maps->maps.events, l->ringbuf_bytes);
	if (r == 0 && l->proc_by_pid)
		r = bpf_map__set_max_entries(l->maps->maps.proc_cgroup_arr, l->pid_max);
	if (r == 0)
		r = bpf_map__set_max_entries(l->maps->maps.proc_cgroup, l->proc_by_pid ? 1 :
					     o->proc_map_entries ? o->proc_map_entries : 16384);
	if (r == 0)
		r = cgscope_events__load(l->maps);
	if (r < 0)
		return r;
	if (l->counting) {
		r = cgroup_counters_open(l->maps->obj, "ev", &l->ev_cfg, &l->counters);
		if (r < 0)
			return r;
	}
	if (l->network) {
		r = cgroup_counters_open(l->maps->obj, "net", &l->net_cfg, &l->net);
		if (r < 0)
			return r;
	}
	l->lost_len = (CGSCOPE_EV_TYPES * sizeof(uint64_t) + page - 1) / page * page;
	p = mmap(NULL, l->lost_len, PROT_READ, MAP_SHARED, bpf_map__fd(l->maps->maps.lost), 0);
	if (p == MAP_FAILED)
		return -errno;
	l->lost = p;
	return 0;
}

/* The watched cgroup: its directory, which the cgroup_skb programs are
 * attached to, and its id (the inode number), the top of the network
 * table's tree. */
static int open_cgroup(const char *root, struct bpf_loader *l)
{
	struct stat st;

	if (!root)
		return -EINVAL;
	l->cgroup_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->cgroup_fd < 0)
		return -errno;
	if (fstat(l->cgroup_fd, &st) < 0)
		return -errno;
	l->cgroup_id = st.st_ino;
	return 0;
}

/* Names the cgroup of a record that came without its path, and keeps the
 * names table current with those that came with one. */
static void name_cgroup(struct bpf_loader *l, struct cgscope_event *ev, int has_path)
{
	const char *path;

	if (!l->names || !ev->cgroup_id)
		return;
	if (has_path) {
		if (ev->type != CGSCOPE_EV_RMDIR && !(ev->flags & CGSCOPE_EVF_PATH_TRUNCATED))
			cgroup_names_learn(l->names, ev->cgroup_id, ev->path);
		return;
	}
	path = cgroup_names_get(l->names, ev->cgroup_id, (uint64_t)clock_ms(CLOCK_MONOTONIC));
	if (path && strlen(path) < sizeof(ev->path)) {
		memcpy(ev->path, path, strlen(path) + 1);
	} else if (path) {
		memcpy(ev->path, path, sizeof(ev->path) - 1);
		ev->flags |= CGSCOPE_EVF_PATH_TRUNCATED;
	} else {
		ev->flags |= CGSCOPE_EVF_PATH_UNKNOWN;
	}
	if (ev->type == CGSCOPE_EV_RELEASE)
		cgroup_names_forget(l->names, ev->cgroup_id);
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct bpf_loader *l = ctx;
	int r = event_decode(data, size, &l->decoded);

	if (r < 0) {
		l->undecodable++;	/* not a layout of this build */
		return 0;
	}
	name_cgroup(l, &l->decoded, r);
	l->fn(&l->decoded, l->fn_ctx);
	l->handled++;
	return 0;
}

/* Whether the sysctl kernel.bpf_stats_enabled keeps statistics for all. */
static bool stats_sysctl(void)
{
	char c = '0';
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "re");

	if (!f)
		return false;
	if (fread(&c, 1, 1, f) != 1)
		c = '0';
	fclose(f);
	return c == '1';
}

/* Tries the variants of one feature, best first, into u; fills h. */
static void load_feature(struct bpf_loader *l, struct bpf_probe *probe,
			 const struct bpf_loader_opts *o, enum bpf_feature id, struct unit *u)
{
	const struct feature *feat = &features[id];
	struct bpf_hook *h = &l->hooks[id];
	char *detail = l->details[id];
	size_t size = sizeof(l->details[id]);

	*h = (struct bpf_hook){
		.feature = id,
		.hook = feat->fallback,
		.state = BPF_FEATURE_UNAVAILABLE,
		.detail = detail,
	};
	if (feat->network ? !l->network : !(feat->types & l->type_mask)) {
		snprintf(detail, size, "not requested");
		h->state = BPF_FEATURE_OFF;
		h->hook = CGSCOPE_HOOK_NONE;
		return;
	}
	if (feat->network && l->cgroup_err) {
		snprintf(detail, size, "cannot open the watched cgroup: %s", strerror(-l->cgroup_err));
		h->err = l->cgroup_err;
		h->err_stage = BPF_STAGE_OPEN;
		h->state = BPF_FEATURE_FAILED;
		return;
	}
	if (feat->adds_to_base && l->hooks[feat->base].state != BPF_FEATURE_HOOKED) {
		snprintf(detail, size, "no %s hook to add to", features[feat->base].name);
		return;
	}
	for (size_t v = 0; v < MAX_VARIANTS && feat->variants[v].hook != CGSCOPE_HOOK_NONE; v++) {
		const struct variant *var = &feat->variants[v];
		struct refusal why;
		int r;

		if (o->deny_hooks & (1u << var->hook)) {
			why = (struct refusal){ BPF_STAGE_NONE, "denied by option" };
			note(detail, size, var->hook, &why, 0);
			continue;
		}
		if (var->by_fork && var->hook != l->hooks[feat->base].hook)
			continue;
		r = try_variant(l, probe, var, u, &why);
		if (r == 0) {
			u->feature = feat;
			u->id = id;
			l->n_units++;
			h->hook = var->hook;
			h->state = BPF_FEATURE_HOOKED;
			if (var->by_fork)
				seed_proc_cgroup(l, probe);
			return;
		}
		note(detail, size, var->hook, &why, r);
		/* The probe said the kernel has this hook, and it was refused
		 * all the same: an error, not the kernel's limit. */
		if (why.stage != BPF_STAGE_NONE && !h->err) {
			h->err = r;
			h->err_hook = var->hook;
			h->err_stage = why.stage;
		}
	}
	if (h->err)
		h->state = BPF_FEATURE_FAILED;
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
	l->cgroup_fd = -1;
	l->ringbuf_bytes = round_ringbuf(o->ringbuf_bytes);
	l->type_mask = o->type_mask ? o->type_mask : CGSCOPE_EV_MASK_ALL;
	l->counting = o->counters;
	/* Network counts in the kernel's table only: it needs counting. */
	l->network = o->network && o->counters;
	if (l->network)
		l->cgroup_err = open_cgroup(o->cgroup_root, l);
	/* Without a cgroup2 mount to walk, records without a path stay
	 * unnamed (their ids are there): not a reason to fail. */
	if (cgroup_names_new(NULL, &l->names) < 0)
		l->names = NULL;

	r = bpf_probe_new(&probe);
	if (r < 0)
		goto fail;
	l->mark_victim_task = bpf_probe_mark_victim_has_task(probe);
	l->retransmit_err = bpf_probe_tcp_retransmit_has_err(probe);
	r = probe_all_sections(probe);
	if (r < 0)
		goto fail;
	/* Run-time statistics are kept while this fd is open (from before the
	 * first attach, so that they count every run). BPF_ENABLE_STATS needs
	 * CAP_SYS_ADMIN, which the deployments do not grant: then only the
	 * sysctl turns them on. */
	l->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	l->stats_enabled = l->stats_fd >= 0 || stats_sysctl();
	r = open_maps(l, o);
	if (r < 0)
		goto fail;

	for (int f = 0; f < BPF_FEATURES; f++) {
		struct unit *u = &l->units[l->n_units];

		load_feature(l, probe, o, (enum bpf_feature)f, u);
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
	/* The programs wake the reader per batch (BPF_RB_NO_WAKEUP below a
	 * fill level): what came without a wakeup is read now. */
	if (r >= 0)
		r = ring_buffer__consume(l->rb);
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
	return BPF_FEATURES;
}

size_t bpf_loader_failed(const struct bpf_loader *l)
{
	size_t n = 0;

	for (int f = 0; f < BPF_FEATURES; f++)
		n += l->hooks[f].state == BPF_FEATURE_FAILED;
	return n;
}

bool bpf_loader_stats_enabled(const struct bpf_loader *l)
{
	return l->stats_enabled;
}

size_t bpf_loader_ringbuf_bytes(const struct bpf_loader *l)
{
	return l->ringbuf_bytes;
}

int bpf_loader_prog_stats(const struct bpf_loader *l, struct bpf_prog_stat *ret, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n_units; i++) {
		const struct unit *u = &l->units[i];

		for (int p = 0; p < MAX_PROGS && n < max; p++) {
			struct bpf_prog_stat *st = &ret[n];
			int r;

			if (!u->links[p])
				continue;
			memset(st, 0, sizeof(*st));
			r = prog_stats_read(bpf_program__fd(u->progs[p]), &st->stats);
			if (r < 0)
				return r;
			snprintf(st->name, sizeof(st->name), "%s", bpf_program__name(u->progs[p]));
			st->feature = u->id;
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
	cgroup_counters_close(l->counters);
	cgroup_counters_close(l->net);
	cgroup_names_free(l->names);
	if (l->lost)
		munmap((void *)l->lost, l->lost_len);
	for (size_t i = 0; i < l->n_units; i++)
		unit_destroy(&l->units[i]);
	cgscope_events__destroy(l->maps);
	if (l->stats_fd >= 0)
		close(l->stats_fd);
	if (l->cgroup_fd >= 0)
		close(l->cgroup_fd);
	free(l);
}

struct cgroup_counters *bpf_loader_counters(const struct bpf_loader *l)
{
	return l->counters;
}

struct cgroup_counters *bpf_loader_net_counters(const struct bpf_loader *l)
{
	return l->hooks[BPF_FEATURE_NETWORK].state == BPF_FEATURE_HOOKED ? l->net : NULL;
}

bool bpf_loader_oom_named(const struct bpf_loader *l)
{
	const struct bpf_hook *oom = &l->hooks[BPF_FEATURE_OOM];

	if (oom->state != BPF_FEATURE_HOOKED)
		return false;
	if (l->hooks[BPF_FEATURE_OOM_DOMAIN].state == BPF_FEATURE_HOOKED)
		return true;
	return l->mark_victim_task && oom->hook != CGSCOPE_HOOK_TRACEPOINT;
}
