# SPDX-License-Identifier: GPL-2.0-only
"""BPF under the capabilities the deployments grant, not as full root.

systemd starts the agent as uid 0 with no more than the unit's
CapabilityBoundingSet= and no_new_privs; Kubernetes starts it as uid 0 with the
DaemonSet's capabilities.add after drop ALL. Both are read from the files
users install (deploy/), never copied here, and reproduced with setpriv:
the agent and `cgscope events` must load their BPF programs and see the
events of the test's own cgroups, with no feature failed and no raw line of
libbpf on stderr.

Then what a partial failure looks like: a descriptor limit low enough that
some features cannot load while others did (EMFILE from the kernel at load),
reported per feature in the log, in cgscope_bpf_feature_error_info and by
cgscope_bpf_loaded 0."""
import json
import os
import re
import resource
import subprocess
import urllib.request

import pytest
import yaml

from conftest import CGSCOPE, ROOT, SLEEP, parse_metrics, series, wait_for
from test_events import Events

UNIT = os.path.join(ROOT, "deploy", "systemd", "cgscope.service")
DAEMONSET = os.path.join(ROOT, "deploy", "kubernetes", "daemonset.yaml")


def unit_bounding_set():
    """The capabilities of the unit's CapabilityBoundingSet= lines (systemd
    joins several; an empty one resets), as setpriv names them."""
    caps, section = set(), None
    with open(UNIT) as f:
        for line in f:
            line = line.strip()
            if line.startswith("["):
                section = line
            elif section == "[Service]" and line.startswith("CapabilityBoundingSet="):
                value = line.split("=", 1)[1].split()
                assert not any(v.startswith("~") for v in value), "inverted sets are not read here"
                caps = set() if not value else caps | set(value)
    assert caps, f"no CapabilityBoundingSet= in {UNIT}"
    return sorted(c.lower().removeprefix("cap_") for c in caps)


def daemonset_capabilities():
    """capabilities.add of the agent's container, after drop ALL."""
    with open(DAEMONSET) as f:
        docs = [d for d in yaml.safe_load_all(f) if d and d.get("kind") == "DaemonSet"]
    assert len(docs) == 1, DAEMONSET
    containers = docs[0]["spec"]["template"]["spec"]["containers"]
    agent = next(c for c in containers if "agent" in c.get("args", []) or
                 "agent" in c.get("command", []))
    caps = agent["securityContext"]["capabilities"]
    assert [d.upper() for d in caps.get("drop", [])] == ["ALL"], caps
    return sorted(c.lower() for c in caps["add"])


DEPLOYMENTS = {
    "systemd": unit_bounding_set,
    "daemonset": daemonset_capabilities,
}


def setpriv(caps):
    """As the deployment starts it: uid 0, only these capabilities, no_new_privs."""
    return ["setpriv", "--bounding-set=-all," + ",".join("+" + c for c in caps),
            "--inh-caps=-all", "--no-new-privs"]


def bpf_metrics(agent):
    """The cgscope_bpf_* series of the agent's page (other tests' cgroups,
    hostile names among them, are on the page too: not parsed here)."""
    page = agent.get("/metrics").splitlines()
    return parse_metrics("\n".join(l for l in page if l.startswith("cgscope_bpf_")))


def get_json(agent, path):
    with urllib.request.urlopen(agent.url + path, timeout=10) as r:
        return json.loads(r.read())


def only_logfmt(lines):
    """Every line of a log is ours (logfmt); none is libbpf's own."""
    raw = [l for l in lines if l.strip() and not l.startswith("ts=")]
    assert not raw, raw[:5]


def test_deployment_files_are_read():
    # What the tests below run under, as the files say today.
    assert {"bpf", "perfmon", "net_admin", "setuid", "setgid"} <= set(unit_bounding_set())
    assert "sys_admin" not in unit_bounding_set()
    assert {"bpf", "perfmon", "net_admin"} <= set(daemonset_capabilities())
    assert "sys_admin" not in daemonset_capabilities()


@pytest.mark.parametrize("deployment", sorted(DEPLOYMENTS))
def test_agent_traces_under_the_deployed_capabilities(deployment, cgtree, agent_factory):
    caps = DEPLOYMENTS[deployment]()
    agent = agent_factory("--interval=200ms", "--events.ring-size=200000", wrap=setpriv(caps))
    m = bpf_metrics(agent)
    hooks = {dict(k[1])["feature"]: dict(k[1])["hook"] for k in m if k[0] == "cgscope_bpf_hook_info"}
    # migration_src: this kernel refuses fentry and has no kprobes, so the
    # sources come from the fork hook (tests/vm for the others).
    for feature in ("migration", "migration_src", "lifecycle", "freeze", "oom", "tcp_retransmit"):
        assert hooks[feature] in ("tp_btf", "raw_tp", "tracepoint"), (caps, hooks)
    # attached to the tree the agent watches: CAP_NET_ADMIN
    assert hooks["network"] == "cgroup_skb", (caps, hooks)
    assert not [k for k in m if k[0] == "cgscope_bpf_feature_error_info"]
    assert series(m, "cgscope_bpf_loaded") == 1

    cgtree.mkdir("a")
    cgtree.mkdir("b")
    p = cgtree.spawn(SLEEP, "a")
    cgtree.move(p.pid, "b")
    a, b = cgtree.ino("a"), cgtree.ino("b")

    def mine():
        doc = get_json(agent, "/api/v1/events?type=mkdir,migration&limit=10000")
        return [e for e in doc["events"] if e["cgroup_id"] in (a, b)]
    evs = wait_for(lambda: (lambda e: e if len(e) >= 4 else None)(mine()))
    assert evs, mine()
    kinds = [(e["type"], e["cgroup_id"]) for e in evs]
    assert kinds == [("mkdir", a), ("mkdir", b), ("migration", a), ("migration", b)], evs
    last = evs[-1]
    assert last["pid"] == p.pid and last["src_cgroup_id"] == a and last["source"] == hooks["migration"]
    status = get_json(agent, "/api/v1/status")["bpf"]
    assert status["loaded"] is True and "error" not in status

    log = agent.stop().splitlines()
    only_logfmt(log)
    assert any("msg=\"BPF programs loaded; hooks: migration=" + hooks["migration"] in l for l in log)
    assert not any("BPF feature failed" in l for l in log), log
    # It went on as nobody, with nothing left to lose.
    assert any("as uid 65534" in l for l in log), log


@pytest.mark.parametrize("deployment", sorted(DEPLOYMENTS))
def test_events_command_under_the_deployed_capabilities(deployment, cgtree):
    caps = DEPLOYMENTS[deployment]()
    ev = Events(wrap=setpriv(caps))
    try:
        hooks = ev.hooks()
        for feature in ("migration", "lifecycle", "freeze", "oom"):
            assert hooks[feature] in ("tp_btf", "raw_tp", "tracepoint"), (caps, hooks)
        cgtree.mkdir("x")
        x = cgtree.ino("x")
        child = cgtree.spawn(SLEEP, "x")
        recs = ev.wait(lambda r: any(e["type"] == "migration" and e.get("pid") == child.pid
                                     for e in r))
        mine = [(e["type"], e["source"]) for e in recs
                if e.get("cgroup_id") == x and e["type"] in ("mkdir", "migration")]
        assert mine == [("mkdir", hooks["lifecycle"]), ("migration", hooks["migration"])], recs[-20:]
    finally:
        rc = ev.stop()
    assert rc == 0
    only_logfmt(ev.err)
    assert not any("BPF feature failed" in l for l in ev.err), ev.err


def failed_features(err_lines):
    """{feature: {hook, stage, error}} of the "BPF feature failed" lines."""
    out = {}
    for l in err_lines:
        if 'msg="BPF feature failed"' in l:
            kv = dict(re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', l))
            out[kv["feature"]] = {k: kv[k].strip('"') for k in ("hook", "stage", "error", "reason")}
    return out


def nofile(n):
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))


def partial_events(verbose):
    """`cgscope events` with the first descriptor limit (from 16 up) where
    some features loaded and others failed for want of descriptors."""
    for n in range(16, 129, 4):
        try:
            ev = Events(*(["-v"] if verbose else []), preexec_fn=nofile(n))
        except RuntimeError:
            continue    # too few for the maps: BPF refused as a whole
        ev.stop()
        hooks = ev.hooks()
        hooked = [f for f, h in hooks.items() if h not in ("none", "poll")]
        failed = failed_features(ev.err)
        if hooked and failed:
            return n, hooks, failed, ev
    pytest.fail("no descriptor limit from 16 to 128 gave a partial load")


def test_events_reports_each_failed_feature():
    n, hooks, failed, ev = partial_events(verbose=False)
    # One line per failed feature, each saying which hook, where and why.
    for feature, f in failed.items():
        assert hooks[feature] in ("none", "poll"), (feature, hooks)
        assert f["hook"] == "tp_btf" and f["stage"] == "load" and f["error"] == "EMFILE", f
        # (migration_src says first why fentry and kprobes were not used)
        assert re.match(r"^(fentry: .*; kprobe: .*; )?tp_btf: load: Too many open files", f["reason"]), f
    assert set(failed) | {f for f, h in hooks.items() if h not in ("none", "poll")} >= \
        {"migration", "lifecycle", "freeze", "oom"}
    # libbpf's warnings about it are debug: not shown without -v, never raw.
    only_logfmt(ev.err)
    assert not any("libbpf" in l for l in ev.err), ev.err


def test_events_verbose_shows_libbpf_messages():
    """Too few descriptors for the maps: libbpf says why, as our log lines,
    at warn with -v and not at all without."""
    for n in range(8, 17, 2):
        quiet, verbose = (subprocess.run([CGSCOPE, "events", *v], capture_output=True, text=True,
                                         timeout=60, preexec_fn=nofile(n))
                          for v in ((), ("-v",)))
        libbpf = [l for l in verbose.stderr.splitlines() if 'msg="libbpf: ' in l]
        if verbose.returncode == 1 and libbpf:
            break
    else:
        pytest.fail("no descriptor limit from 8 to 16 made libbpf fail")
    assert all(" level=warn " in l for l in libbpf), libbpf
    assert any("Too many open files" in l for l in libbpf), libbpf
    only_logfmt(verbose.stderr.splitlines())
    assert quiet.returncode == 1
    assert "cannot load BPF programs: Too many open files" in quiet.stderr
    assert "libbpf" not in quiet.stderr, quiet.stderr
    only_logfmt(quiet.stderr.splitlines())


# seccomp: the architecture's audit number, bpf()'s and perf_event_open()'s
# syscall numbers.
SECCOMP_ARCH = {"x86_64": (0xC000003E, 321, 298), "aarch64": (0xC00000B7, 280, 241)}
BPF_RAW_TRACEPOINT_OPEN, BPF_LINK_CREATE = 17, 28


def seccomp_filter(insns):
    """A function for preexec_fn that installs the classic BPF program insns
    ((code, jt, jf, k) tuples) as a seccomp filter, after no_new_privs."""
    import ctypes

    class Insn(ctypes.Structure):
        _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8),
                    ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]

    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(Insn))]

    arr = (Insn * len(insns))(*[Insn(*i) for i in insns])
    prog = Prog(len(insns), arr)
    libc = ctypes.CDLL(None, use_errno=True)

    def install():
        if libc.prctl(38, 1, 0, 0, 0) or libc.prctl(22, 2, ctypes.byref(prog), 0, 0):
            raise OSError(ctypes.get_errno(), "seccomp")
    return install


def refuse_bpf_attach():
    """A seccomp filter (set in the child before exec) under which bpf()
    refuses, with EPERM, the two commands that attach tracing programs, and
    perf_event_open() (tracepoints, kprobes) is refused: the programs load,
    and every attach fails."""
    import platform

    arch, nr_bpf, nr_perf = SECCOMP_ARCH[platform.machine()]

    ld, jeq, ret = 0x20, 0x15, 0x06
    insns = [
        (ld, 0, 0, 4),                              # arch
        (jeq, 0, 6, arch),                          # -> allow
        (ld, 0, 0, 0),                              # syscall number
        (jeq, 6, 0, nr_perf),                       # -> EPERM
        (jeq, 0, 4, nr_bpf),                        # -> allow
        (ld, 0, 0, 16),                             # bpf()'s cmd
        (jeq, 3, 0, BPF_RAW_TRACEPOINT_OPEN),       # -> EPERM
        (jeq, 2, 0, BPF_LINK_CREATE),               # -> EPERM
        (ret, 0, 0, 0x7FFF0000),                    # allow
        (ret, 0, 0, 0x7FFF0000),
        (ret, 0, 0, 0x00050000 | 1),                # EPERM
    ]
    return seccomp_filter(insns)


def test_agent_reports_features_that_failed(agent_factory):
    """Programs that load but cannot attach: each feature that has a hook on
    this kernel failed, says so in the log and the metrics, and
    cgscope_bpf_loaded says 0, while the agent serves from polling."""
    agent = agent_factory("--interval=200ms", preexec_fn=refuse_bpf_attach())
    m = bpf_metrics(agent)
    errors = {dict(k[1])["feature"]: dict(k[1]) for k in m
              if k[0] == "cgscope_bpf_feature_error_info"}
    assert series(m, "cgscope_bpf_loaded") == 0
    # tp_btf attaches with BPF_LINK_CREATE, raw_tp with RAW_TRACEPOINT_OPEN.
    core = ("migration", "lifecycle", "freeze", "oom")
    for feature in core:
        assert errors[feature] == {"feature": feature, "hook": "tp_btf", "stage": "attach",
                                   "error": "EPERM"}
        assert series(m, "cgscope_bpf_hook_info", feature=feature, hook="none") == 1
    # network needs lifecycle's release hook (which moves a freed cgroup's
    # counts): with none, it is left out, as oom_domain without oom.
    assert series(m, "cgscope_bpf_hook_info", feature="network", hook="none") == 1
    assert "network" not in errors
    # oom_domain has no oom hook to add to; throttle fails only where the
    # kernel offers fentry or kprobes (not here), else it is polled.
    assert set(errors) - set(core) <= {"throttle"}
    assert all(errors[f]["stage"] == "attach" for f in set(errors) - set(core))
    assert series(m, "cgscope_bpf_hook_info", feature="throttle", hook="poll") == 1
    status = get_json(agent, "/api/v1/status")["bpf"]
    assert status["loaded"] is False
    assert status["error"] == "features failed: " + ", ".join(
        f for f in ("migration", "lifecycle", "freeze", "oom", "oom_domain", "throttle") if f in errors)
    assert agent.get("/healthz").startswith("ok")
    log = agent.stop().splitlines()
    only_logfmt(log)
    failed = failed_features(log)
    assert set(failed) == set(errors), log
    for feature, f in failed.items():
        assert f["hook"] == errors[feature]["hook"] and f["stage"] == "attach", f
        assert f["error"] == "EPERM" and "attach: Operation not permitted" in f["reason"], f
    assert any(" level=warn " in l and
               f"BPF programs loaded for no feature, {len(errors)} of 9 features failed" in l
               for l in log), log
    assert not any('msg="BPF programs loaded;' in l for l in log)


def test_without_perfmon_bpf_is_refused_and_said(agent_factory):
    """CAP_BPF alone cannot trace: every feature falls back, failed at "open"."""
    agent = agent_factory("--interval=200ms", wrap=setpriv(["bpf", "setuid", "setgid"]))
    m = bpf_metrics(agent)
    assert series(m, "cgscope_bpf_loaded") == 0
    for feature in ("migration", "migration_src", "lifecycle", "freeze", "oom", "oom_domain",
                    "throttle", "network", "tcp_retransmit"):
        assert series(m, "cgscope_bpf_feature_error_info", feature=feature, hook="none",
                      stage="open", error="EPERM") == 1, feature
    assert series(m, "cgscope_bpf_hook_info", feature="throttle", hook="poll") == 1
    log = agent.stop()
    assert "cannot load BPF programs (Operation not permitted)" in log
    only_logfmt(log.splitlines())


@pytest.mark.parametrize("deployment", sorted(DEPLOYMENTS))
def test_without_net_admin_network_fails_alone(deployment, cgtree, agent_factory):
    """The deployment's capabilities less CAP_NET_ADMIN: the kernel loads the
    network programs but will not attach them to a cgroup. That feature
    fails, at attach, saying why; every other one works, and nothing is
    attached to the tree."""
    caps = [c for c in DEPLOYMENTS[deployment]() if c != "net_admin"]
    agent = agent_factory(f"--cgroup-root={cgtree.path}", "--interval=200ms",
                          wrap=setpriv(caps))
    m = bpf_metrics(agent)
    assert series(m, "cgscope_bpf_feature_error_info", feature="network", hook="cgroup_skb",
                  stage="attach", error="EPERM") == 1
    errors = [dict(k[1])["feature"] for k in m if k[0] == "cgscope_bpf_feature_error_info"]
    assert errors == ["network"], errors
    assert series(m, "cgscope_bpf_hook_info", feature="network", hook="none") == 1
    assert series(m, "cgscope_bpf_hook_info", feature="tcp_retransmit", hook="none") == 1
    for feature in ("migration", "lifecycle", "freeze", "oom"):
        assert series(m, "cgscope_bpf_hook_info", feature=feature, hook="tp_btf") == 1
    assert series(m, "cgscope_bpf_loaded") == 0
    page = agent.get("/metrics")
    assert "cgroup_network_" not in page and "cgroup_migrations_in_total{" in page
    assert get_json(agent, "/api/v1/status")["bpf"]["error"] == "features failed: network"
    r = subprocess.run(["bpftool", "-j", "cgroup", "show", cgtree.path], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0 and r.stdout.strip() in ("", "[]"), r.stdout
    log = agent.stop().splitlines()
    only_logfmt(log)
    failed = failed_features(log)
    assert list(failed) == ["network"], log
    assert failed["network"] == {"hook": "cgroup_skb", "stage": "attach", "error": "EPERM",
                                 "reason": "cgroup_skb: attach: Operation not permitted "
                                           "(attaching to a cgroup needs CAP_NET_ADMIN)"}


def test_ring_buffer_size_is_one_rule():
    """--bpf.ring-buffer-size: the same flag, range and message in both."""
    for bad in ("3", "4095", "5", "2G", "1025M", "-4096", "4k5"):
        outs = []
        for cmd in ("agent", "events"):
            r = subprocess.run([CGSCOPE, cmd, "--bpf.ring-buffer-size", bad],
                               capture_output=True, text=True, timeout=30)
            assert r.returncode == 2, (cmd, bad, r.stderr)
            outs.append(r.stderr.split(": ", 1)[1].strip())
        assert outs[0] == outs[1] == f"bad --bpf.ring-buffer-size '{bad}': want bytes from 4096 to 1GiB, such as 256k or 1MiB", outs
    # The old name of the events flag is gone, and the help says so.
    r = subprocess.run([CGSCOPE, "events", "--ring-buffer-size", "4096"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    h = subprocess.run([CGSCOPE, "events", "--help"], capture_output=True, text=True)
    assert "--ring-buffer-size, which is gone" in re.sub(r"\s+", " ", h.stdout)
