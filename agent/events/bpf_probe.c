// SPDX-License-Identifier: GPL-2.0-only
/* Kernel capability probes for the BPF loader. Each check costs at most one
 * trivial program load (two instructions) or a file look-up, so the loader
 * tries a real variant only where it has a chance, and a refused kind of
 * hook (fentry on a locked-down kernel, kprobes not built in) costs nothing
 * more than its probe. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "events/bpf_probe.h"
#include "kernel/kernel_btf.h"
#include "lib/macros.h"

/* A section's answer, kept so that it is still given once the kernel's BTF
 * is released (bpf_probe_release_btf). */
struct probe_memo {
	char *sec;
	int r;
	const char *reason;
};

/* What is known of a kind of hook before looking at a target: 0 not yet
 * probed, 1 usable, or the -errno of the refusal. */
struct bpf_probe {
	struct btf *btf;		/* NULL once released */
	struct probe_memo *memo;
	unsigned nmemo, memo_cap;
	int kind[CGSCOPE_HOOKS];
	int iter;
	bool mark_victim_task;
	bool retransmit_err;
	const char *tracefs;	/* the directory holding events/, or NULL */
	const char *reason;	/* of the last refusal, when errno says too little */
};

/* r0 = 0; exit */
static const struct bpf_insn trivial[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static int load_trivial(enum bpf_prog_type type, enum bpf_attach_type attach, __u32 btf_id)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = attach,
		    .attach_btf_id = btf_id);
	int fd = bpf_prog_load(type, "cgscope_probe", "GPL", trivial, ARRAY_SIZE(trivial), &o);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* The type id of NAME of KIND in the kernel's BTF, or -ENOENT. */
static int btf_id(const struct bpf_probe *p, const char *name, __u32 kind)
{
	int id = btf__find_by_name_kind(p->btf, name, kind);

	return id > 0 ? id : -ENOENT;
}

/* Skips typedefs and qualifiers. */
static const struct btf_type *btf_resolve(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_typedef(t) || btf_is_const(t) || btf_is_volatile(t) ||
		     btf_is_restrict(t)))
		t = btf__type_by_id(btf, t->type);
	return t;
}

/* The prototype of tracepoint TP as BPF programs see it (the function type
 * behind the typedef btf_trace_TP); NULL when the kernel has no such
 * tracepoint or its BTF says something else. params[0] of the prototype is
 * the tracepoint's void *__data, params[1] its first argument. */
static const struct btf_type *tp_proto(const struct bpf_probe *p, const char *tp)
{
	char name[96];
	const struct btf_type *t;
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf_id(p, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return NULL;
	t = btf_resolve(p->btf, id);
	if (!t || !btf_is_ptr(t))
		return NULL;
	t = btf_resolve(p->btf, t->type);
	return t && btf_is_func_proto(t) ? t : NULL;
}

/* oom:mark_victim's first argument: a task_struct pointer since Linux 6.9,
 * the pid before. Without the tracepoint (or its prototype) nothing reads
 * the flag. */
static bool probe_mark_victim_task(const struct bpf_probe *p)
{
	const struct btf_type *t = tp_proto(p, "mark_victim");

	if (!t || btf_vlen(t) < 2)
		return true;
	t = btf_resolve(p->btf, btf_params(t)[1].type);
	return t && btf_is_ptr(t);
}

/* tcp:tcp_retransmit_skb's prototype: (sk, skb) before Linux 6.10, (sk,
 * skb, err) since. */
static bool probe_retransmit_err(const struct bpf_probe *p)
{
	const struct btf_type *t = tp_proto(p, "tcp_retransmit_skb");

	return t && btf_vlen(t) >= 4;
}

static const char *find_tracefs(void)
{
	/* libbpf looks in the same two places, in this order. */
	static const char *const dirs[] = { "/sys/kernel/debug/tracing", "/sys/kernel/tracing" };
	char path[64];

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/events", dirs[i]);
		if (access(path, F_OK) == 0)
			return dirs[i];
	}
	return NULL;
}

int bpf_probe_new(struct bpf_probe **ret)
{
	struct bpf_probe *p;
	int r, fd;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->btf = kernel_btf_load();
	if (!p->btf) {
		r = errno == EPERM || errno == EACCES ? -errno : -EOPNOTSUPP;
		free(p);
		return r;
	}
	/* The privilege question first: a raw tracepoint program needs
	 * CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN). */
	r = load_trivial(BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0);
	if (r < 0)
		goto fail;
	p->kind[CGSCOPE_HOOK_RAW_TP] = 1;
	fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "cgscope_probe", 0, 0, 4096, NULL);
	if (fd < 0) {
		r = fd == -EPERM || fd == -EACCES ? fd : -EOPNOTSUPP;
		goto fail;
	}
	close(fd);
	p->mark_victim_task = probe_mark_victim_task(p);
	p->retransmit_err = probe_retransmit_err(p);
	p->tracefs = find_tracefs();
	*ret = p;
	return 0;
fail:
	btf__free(p->btf);
	free(p);
	return r;
}

void bpf_probe_free(struct bpf_probe *p)
{
	if (!p)
		return;
	btf__free(p->btf);
	for (unsigned i = 0; i < p->nmemo; i++)
		free(p->memo[i].sec);
	free(p->memo);
	free(p);
}

bool bpf_probe_mark_victim_has_task(const struct bpf_probe *p)
{
	return p->mark_victim_task;
}

bool bpf_probe_tcp_retransmit_has_err(const struct bpf_probe *p)
{
	return p->retransmit_err;
}

/* A refusal of the kind itself (not of one target) is remembered: fentry
 * refused on one function is refused on all. */
static int remember(struct bpf_probe *p, enum cgscope_hook kind, int r)
{
	if (r == 0)
		p->kind[kind] = 1;
	else if (r != -ENOENT && r != -ESRCH && r != -EINVAL)
		p->kind[kind] = r;
	return r;
}

static int no_tracepoint(struct bpf_probe *p)
{
	p->reason = "no such tracepoint in this kernel";
	return -ENOENT;
}

static int probe_tp_btf(struct bpf_probe *p, const char *tp)
{
	char name[128];
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf_id(p, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return no_tracepoint(p);
	if (p->kind[CGSCOPE_HOOK_TP_BTF] < 0)
		return p->kind[CGSCOPE_HOOK_TP_BTF];
	return remember(p, CGSCOPE_HOOK_TP_BTF,
			load_trivial(BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, id));
}

static int probe_raw_tp(struct bpf_probe *p, const char *tp)
{
	char name[128];

	/* Every tracepoint has a btf_trace_<name> typedef in the BTF. */
	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	return btf_id(p, name, BTF_KIND_TYPEDEF) < 0 ? no_tracepoint(p) : 0;
}

static int probe_tracepoint(struct bpf_probe *p, const char *cat_name)
{
	char path[256];

	if (!p->tracefs) {
		/* libbpf reads tracepoint ids from tracefs */
		p->reason = "tracefs is not mounted";
		return -EOPNOTSUPP;
	}
	if (p->kind[CGSCOPE_HOOK_TRACEPOINT] == 0)
		remember(p, CGSCOPE_HOOK_TRACEPOINT, load_trivial(BPF_PROG_TYPE_TRACEPOINT, 0, 0));
	if (p->kind[CGSCOPE_HOOK_TRACEPOINT] < 0)
		return p->kind[CGSCOPE_HOOK_TRACEPOINT];
	snprintf(path, sizeof(path), "%s/events/%s/id", p->tracefs, cat_name);
	return access(path, R_OK) == 0 ? 0 : no_tracepoint(p);
}

static int probe_fentry(struct bpf_probe *p, const char *func, enum bpf_attach_type attach)
{
	int id = btf_id(p, func, BTF_KIND_FUNC);

	if (id < 0) {
		p->reason = "function not in the kernel's BTF (inlined or absent)";
		return id;
	}
	if (p->kind[CGSCOPE_HOOK_FENTRY] < 0)
		return p->kind[CGSCOPE_HOOK_FENTRY];
	return remember(p, CGSCOPE_HOOK_FENTRY, load_trivial(BPF_PROG_TYPE_TRACING, attach, id));
}

/* libbpf attaches kprobes through the kprobe PMU, or through tracefs's
 * kprobe_events on kernels without it. */
static bool kprobes_supported(const struct bpf_probe *p)
{
	char path[128];

	if (access("/sys/bus/event_source/devices/kprobe/type", R_OK) == 0)
		return true;
	if (!p->tracefs)
		return false;
	snprintf(path, sizeof(path), "%s/kprobe_events", p->tracefs);
	return access(path, W_OK) == 0;
}

/* An exact name in /proc/kallsyms: a function the compiler inlined
 * everywhere, or only kept as FUNC.isra.0, cannot be probed by name. */
static int in_kallsyms(const char *func)
{
	char line[512], name[256], type;
	unsigned long long addr;
	FILE *f = fopen("/proc/kallsyms", "re");
	int r = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) == 3 &&
		    (type == 't' || type == 'T') && !strcmp(name, func)) {
			r = 0;
			break;
		}
	fclose(f);
	return r;
}

static int probe_kprobe(struct bpf_probe *p, const char *func)
{
	if (p->kind[CGSCOPE_HOOK_KPROBE] == 0) {
		if (!kprobes_supported(p)) {
			p->kind[CGSCOPE_HOOK_KPROBE] = -EOPNOTSUPP;
			p->reason = "no kprobe support (no kprobe PMU, no kprobe_events)";
		}
		else
			remember(p, CGSCOPE_HOOK_KPROBE, load_trivial(BPF_PROG_TYPE_KPROBE, 0, 0));
	}
	if (p->kind[CGSCOPE_HOOK_KPROBE] < 0) {
		if (p->kind[CGSCOPE_HOOK_KPROBE] == -EOPNOTSUPP)
			p->reason = "no kprobe support (no kprobe PMU, no kprobe_events)";
		return p->kind[CGSCOPE_HOOK_KPROBE];
	}
	if (in_kallsyms(func) < 0) {
		p->reason = "function not in /proc/kallsyms (inlined or absent)";
		return -ENOENT;
	}
	return 0;
}

static int probe_iter(struct bpf_probe *p, const char *target)
{
	char name[128];
	int id;

	/* Iterator targets are registered as bpf_iter_<target> functions. */
	snprintf(name, sizeof(name), "bpf_iter_%s", target);
	id = btf_id(p, name, BTF_KIND_FUNC);
	if (id < 0) {
		p->reason = "no such iterator";
		return id;
	}
	if (p->iter == 0)
		p->iter = load_trivial(BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, id) ?: 1;
	return p->iter < 0 ? p->iter : 0;
}

/* A cgroup_skb program loads (any process may load one where unprivileged
 * BPF is allowed; the kernel checks CAP_NET_ADMIN at attach), and the
 * kernel attaches it through a bpf_link (Linux 5.7): a link made for a
 * descriptor that is no cgroup fails with EBADF there, with EINVAL before.
 * EPERM says the kernel has links but this process may not attach: the
 * attach itself then fails, as a failure of the feature. */
static int probe_cgroup_skb(struct bpf_probe *p, const char *dir)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o);
	int fd, r;

	if (strcmp(dir, "ingress") && strcmp(dir, "egress"))
		return -EOPNOTSUPP;
	if (p->kind[CGSCOPE_HOOK_CGROUP_SKB] == 0) {
		o.expected_attach_type = BPF_CGROUP_INET_INGRESS;
		fd = bpf_prog_load(BPF_PROG_TYPE_CGROUP_SKB, "cgscope_probe", "GPL", trivial,
				   ARRAY_SIZE(trivial), &o);
		if (fd < 0) {
			p->kind[CGSCOPE_HOOK_CGROUP_SKB] = fd;
		} else {
			r = bpf_link_create(fd, -1, BPF_CGROUP_INET_INGRESS, NULL);
			if (r >= 0)
				close(r);	/* cannot happen: -1 is no cgroup */
			p->kind[CGSCOPE_HOOK_CGROUP_SKB] = r == -EINVAL ? -EOPNOTSUPP : 1;
			close(fd);
		}
	}
	if (p->kind[CGSCOPE_HOOK_CGROUP_SKB] == -EOPNOTSUPP)
		p->reason = "the kernel has no bpf_link for cgroups (Linux 5.7)";
	return p->kind[CGSCOPE_HOOK_CGROUP_SKB] < 0 ? p->kind[CGSCOPE_HOOK_CGROUP_SKB] : 0;
}

const char *bpf_probe_reason(const struct bpf_probe *p)
{
	return p->reason;
}

static int probe_section(struct bpf_probe *p, const char *sec)
{
	static const struct {
		const char *prefix;
		int (*fn)(struct bpf_probe *p, const char *target);
	} simple[] = {
		{ "tp_btf/", probe_tp_btf },
		{ "raw_tp/", probe_raw_tp },
		{ "tracepoint/", probe_tracepoint },
		{ "kprobe/", probe_kprobe },
		{ "kretprobe/", probe_kprobe },
		{ "iter/", probe_iter },
	};

	p->reason = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(simple); i++) {
		size_t n = strlen(simple[i].prefix);

		if (!strncmp(sec, simple[i].prefix, n))
			return simple[i].fn(p, sec + n);
	}
	if (!strncmp(sec, "cgroup_skb/", 11))
		return probe_cgroup_skb(p, sec + 11);
	if (!strncmp(sec, "fentry/", 7))
		return probe_fentry(p, sec + 7, BPF_TRACE_FENTRY);
	if (!strncmp(sec, "fexit/", 6))
		return probe_fentry(p, sec + 6, BPF_TRACE_FEXIT);
	return -EOPNOTSUPP;
}

int bpf_probe_section(struct bpf_probe *p, const char *sec)
{
	struct probe_memo *m;
	int r;

	for (unsigned i = 0; i < p->nmemo; i++)
		if (!strcmp(p->memo[i].sec, sec)) {
			p->reason = p->memo[i].reason;
			return p->memo[i].r;
		}
	if (!p->btf) {
		p->reason = "not probed before the kernel's BTF was released";
		return -ENOENT;
	}
	r = probe_section(p, sec);
	if (p->nmemo == p->memo_cap) {
		unsigned cap = p->memo_cap ? p->memo_cap * 2 : 32;

		m = realloc(p->memo, sizeof(*m) * cap);
		if (!m)
			return r;	/* answered, not kept: asked again, it says ENOENT */
		p->memo = m;
		p->memo_cap = cap;
	}
	m = &p->memo[p->nmemo];
	if (!(m->sec = strdup(sec)))
		return r;
	p->nmemo++;
	m->r = r;
	m->reason = p->reason;
	return r;
}

void bpf_probe_release_btf(struct bpf_probe *p)
{
	btf__free(p->btf);
	p->btf = NULL;
}
